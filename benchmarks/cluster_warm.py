"""The first song on a cluster worker that was restarted or joined after the connection.

Connects a :class:`core.batch.cluster.ClusterConnection` to a LocalCluster of one worker
process (the connection's own, as ``songcal analyze --cluster local:1`` and the window do),
then times a generated song, by the song's own clock (from the worker's "started" event
to the end of its task, what a song's time limit counts) and from its submission, twice on
each of: the worker warmed up at connection; that worker after a restart by its nanny (as
after a song given up on); a worker that joined after the connection (the first one then
retired, so the songs run there).  The whole is run ``--runs`` times.

    python -m benchmarks.cluster_warm [--seconds 180] [--runs 2]

Needs the optional extra: ``pip install -e '.[cluster]'``.
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
import time
from types import SimpleNamespace


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seconds", type=float, default=180.0, help="length of the song")
    ap.add_argument("--runs", type=int, default=2)
    args = ap.parse_args(argv)

    import numpy as np
    import soundfile as sf

    from core.batch.cluster import ClusterConnection, ClusterSpec
    from core.settings import AnalysisSettings

    folder = tempfile.mkdtemp(prefix="songcal-warm-")
    path = os.path.join(folder, "song.flac")
    sr = 44100
    t = np.arange(int(args.seconds * sr)) / sr
    y = 0.3 * np.sin(2 * np.pi * 220 * t) * (1 + np.sign(np.sin(2 * np.pi * 2 * t))) / 2
    sf.write(path, np.stack([y, y], axis=1), sr)

    started: dict[int, float] = {}  # job -> when its "started" event came (its clock)

    def on_event(kind, msg):
        if kind == "started":
            started[msg["job"]] = time.monotonic()

    settings = AnalysisSettings(workers=1)
    job_ids = iter(range(1, 10_000))

    def one_song(conn) -> tuple[float, float, str]:
        """(seconds from submission, seconds from the song's start, worker)."""
        job = SimpleNamespace(id=next(job_ids), path=path)
        t0 = time.monotonic()
        future = conn.submit(job, 1, settings)
        kind, _, worker = future.result()
        t1 = time.monotonic()
        assert kind == "done", kind
        return t1 - t0, t1 - started[job.id], worker

    def report(name, numbers):
        for total, song, worker in numbers:
            print(f"  {name:<34} song clock {song:5.2f} s  (from submission {total:5.2f} s) "
                  f"on {worker}")

    try:
        for run in range(args.runs):
            conn = ClusterConnection(ClusterSpec(workers=1), on_event=on_event)
            t0 = time.monotonic()
            conn.connect()
            print(f"run {run + 1}: connected in {time.monotonic() - t0:.1f} s "
                  f"({args.seconds:.0f} s song)")
            try:
                report("warmed at connection", [one_song(conn)])
                report("warmed at connection, again", [one_song(conn)])
                workers = list(conn.client.nthreads())
                t0 = time.monotonic()
                conn.client.restart_workers(workers, timeout=180)
                print(f"  (restart took {time.monotonic() - t0:.1f} s)")
                report("first song after a restart", [one_song(conn)])
                report("second song after a restart", [one_song(conn)])
                # A worker that joins now (the first one then retires, so the songs run there).
                before = set(conn.client.nthreads())
                conn.cluster.scale(2)
                conn.client.wait_for_workers(2, timeout=180)
                conn.client.retire_workers(workers=sorted(before))
                report("first song on a joined worker", [one_song(conn)])
                report("second song on a joined worker", [one_song(conn)])
            finally:
                conn.close()
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
