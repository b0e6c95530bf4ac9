"""How the window's cluster engine ends a batch whose workers are all killed.

Starts a Dask scheduler and ``--workers`` worker processes of one thread (no nanny, so a
killed worker stays gone), runs ``--songs`` songs in the window's engine
(:class:`gui.engine.BatchEngine`, offscreen) on that scheduler with an analyzer that sleeps
a second a song, kills every worker with SIGKILL once the first song is done, and prints
how long after the kill the batch ended, what ended how, and the reasons given.  The waits
are the defaults (:data:`core.batch.cluster.NO_WORKER_WAIT_S`, the hard limit of a song).

    python -m benchmarks.cluster_outage [--songs 20] [--workers 2]

Needs the optional extra: ``pip install -e '.[cluster]'``.
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import time


def sleepy(path, *, settings=None, progress=None, should_cancel=None):
    """A second of 'analysis' in four chunks (module level: the workers import it)."""
    from core.analysis.identity import analyzer_id
    from core.io.results import SongResult

    for i in range(4):
        if progress is not None:
            progress(i, 4, 8.0)
        time.sleep(0.25)
    return SongResult(path=os.fspath(path), status="done", duration_s=8.0,
                      analyzer=analyzer_id())


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--songs", type=int, default=20)
    ap.add_argument("--workers", type=int, default=2)
    args = ap.parse_args(argv)
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtWidgets import QApplication

    from core.batch.cluster import parse_cluster
    from core.batch.rules import SongState
    from core.settings import AnalysisSettings
    from gui.engine import BatchEngine

    app = QApplication.instance() or QApplication([])
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    address = f"tcp://127.0.0.1:{port}"
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env = {**os.environ, "PYTHONPATH": root}
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL, "env": env}
    scheduler = subprocess.Popen([sys.executable, "-m", "distributed.cli.dask_scheduler",
                                  "--host", "127.0.0.1", "--port", str(port),
                                  "--no-dashboard"], **quiet)
    workers = [subprocess.Popen([sys.executable, "-m", "distributed.cli.dask_worker", address,
                                 "--nthreads", "1", "--no-nanny", "--no-dashboard"], **quiet)
               for _ in range(args.workers)]
    try:
        folder = tempfile.mkdtemp(prefix="songcal-outage-")
        paths = []
        for i in range(args.songs):
            path = os.path.join(folder, f"song{i:03d}.wav")
            with open(path, "wb") as f:
                f.write(b"RIFF" + bytes(200))
            paths.append(path)
        engine = BatchEngine(AnalysisSettings(workers=args.workers))
        engine.set_cluster(parse_cluster(address), analyze=sleepy)
        engine.batch.add(paths)
        engine.jobsAdded.emit(0, len(paths))
        at: dict[str, float] = {}

        def changed(_rows):
            if "kill" not in at and any(j.state is SongState.DONE for j in engine.batch.jobs):
                for w in workers:
                    w.kill()
                at["kill"] = time.monotonic()

        def finished():
            at.setdefault("end", time.monotonic())
            app.quit()

        engine.jobsChanged.connect(changed)
        engine.batchFinished.connect(finished)
        engine.clusterFailed.connect(lambda why: (print("cluster failed:", why), app.quit()))
        engine.start()
        app.exec()
        if "end" in at and "kill" in at:
            c = engine.batch.counts()
            print(f"workers killed -> batch finished: {at['end'] - at['kill']:.1f} s; "
                  f"{c[SongState.DONE]} done, {c[SongState.FAILED]} failed, "
                  f"{c[SongState.TIMED_OUT]} timed out")
            for why in sorted({j.error for j in engine.batch.jobs if j.error}):
                print("  reason:", why)
        engine.shutdown(timeout_ms=5000)
    finally:
        for p in [scheduler, *workers]:
            p.kill()
            p.wait()


if __name__ == "__main__":
    main()
