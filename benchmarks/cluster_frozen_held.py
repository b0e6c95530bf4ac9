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
import socket
import subprocess
import sys
import time


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_for_port(port: int, process, timeout_s: float = 60.0) -> None:
    end = time.monotonic() + timeout_s
    while time.monotonic() < end:
        if process.poll() is not None:
            raise RuntimeError(f"the scheduler process ended ({process.returncode})")
        with socket.socket() as s:
            s.settimeout(0.5)
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise RuntimeError(f"no scheduler listening on port {port} after {timeout_s:.0f} s")


def one_run() -> tuple[float, str]:
    """(seconds from the question to its error, the error's words) on a fresh scheduler."""
    import distributed

    from core.batch.cluster import ClusterConnection, ClusterError, parse_cluster

    port = _free_port()
    address = f"tcp://127.0.0.1:{port}"
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL,
             "env": {**os.environ, "PYTHONPATH": root}}
    scheduler = subprocess.Popen([sys.executable, "-m", "distributed.cli.dask_scheduler",
                                  "--host", "127.0.0.1", "--port", str(port),
                                  "--no-dashboard"], **quiet)
    worker = subprocess.Popen([sys.executable, "-m", "distributed.cli.dask_worker", address,
                               "--nthreads", "1", "--no-dashboard", "--death-timeout", "5"],
                              **quiet)
    client = conn = None
    frozen = False
    try:
        _wait_for_port(port, scheduler)
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
        for p in (scheduler, worker):
            p.kill()
            p.wait()


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
