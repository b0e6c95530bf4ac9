"""How long the window waits to learn which songs the workers hold when the scheduler froze.

Starts a Dask scheduler and one worker process of one thread, connects a
:class:`core.batch.cluster.ClusterConnection` to it (with a client of its own, so the
analyzer's warm-up is not part of the run), freezes the scheduler with SIGSTOP and asks the
workers which of a few songs they hold (:meth:`ClusterConnection.held`, what the window asks
for songs let go before their start).  Prints the seconds until the question gave up and
the error it raised; ``--runs`` times, each on a fresh scheduler.

    python -m benchmarks.cluster_frozen_held [--runs 3]

Needs the optional extra (``pip install -e '.[cluster]'``) and a system with SIGSTOP.
"""

from __future__ import annotations

import argparse
import os
import signal
import time

from tests.core.cluster_helpers import scheduler_process


def one_run() -> tuple[float, str]:
    """(seconds from the question to its error, the error's words) on a fresh scheduler."""
    import distributed

    from core.batch.cluster import ClusterConnection, ClusterError, parse_cluster

    with scheduler_process() as (address, scheduler):
        client = conn = None
        frozen = False
        try:
            client = distributed.Client(address, timeout=30)
            client.wait_for_workers(1, timeout=60)
            conn = ClusterConnection(parse_cluster(address), client=client)
            conn.connect()
            os.kill(scheduler.pid, signal.SIGSTOP)
            frozen = True
            started = time.monotonic()
            try:
                conn.held([("b1", 0, 1), ("b1", 1, 1)])
            except ClusterError as err:
                return time.monotonic() - started, str(err)
            return time.monotonic() - started, "(answered: the scheduler was not frozen)"
        finally:
            if frozen:
                os.kill(scheduler.pid, signal.SIGCONT)
            if conn is not None:
                conn.close()
            if client is not None:
                client.close(timeout=10)


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args(argv)
    import logging

    logging.basicConfig(level=logging.ERROR)
    times = []
    for i in range(args.runs):
        took, words = one_run()
        times.append(took)
        print(f"run {i + 1}: gave up after {took:.1f} s: {words}", flush=True)
    print(f"frozen scheduler -> error: min {min(times):.1f} s, max {max(times):.1f} s "
          f"over {len(times)} runs")


if __name__ == "__main__":
    main()
