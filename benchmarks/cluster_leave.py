"""How long the window's GUI thread is held when it leaves its own LocalCluster.

Runs one song on a LocalCluster of ``--workers`` one-thread worker processes in the
window's engine (:class:`gui.engine.BatchEngine`, offscreen), then chooses this computer's
threads (``set_cluster(None)``, what the settings do) while a 10 ms timer ticks.  Prints how
long that call held the GUI thread, the longest gap between two timer ticks until the
connection was closed, how long the close took, how long quitting then took
(:meth:`BatchEngine.shutdown`), and the LocalCluster's processes still alive after it.

    python -m benchmarks.cluster_leave [--workers 2] [--runs 3]

Needs the optional extra: ``pip install -e '.[cluster]'``.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time

from benchmarks.cluster_outage import sleepy


def run(workers: int) -> None:
    import psutil
    from PySide6.QtCore import QCoreApplication, QTimer

    from core.batch.cluster import parse_cluster
    from core.settings import AnalysisSettings
    from gui.engine import BatchEngine

    me = psutil.Process()
    before = {p.pid for p in me.children(recursive=True)}
    path = os.path.join(tempfile.mkdtemp(prefix="songcal-leave-"), "song.wav")
    with open(path, "wb") as f:
        f.write(b"RIFF" + bytes(300))
    eng = BatchEngine(AnalysisSettings(workers=workers))
    eng.set_cluster(parse_cluster(f"local:{workers}"), analyze=sleepy)
    eng.batch.add([path])
    eng.jobsAdded.emit(0, 1)
    done = []
    eng.batchFinished.connect(lambda: done.append(True))
    eng.start()
    app = QCoreApplication.instance()
    while not done:
        app.processEvents()
        time.sleep(0.01)
    ticks = []
    timer = QTimer()
    timer.setInterval(10)
    timer.timeout.connect(lambda: ticks.append(time.monotonic()))
    timer.start()
    ticks.append(time.monotonic())
    t0 = time.monotonic()
    eng.set_cluster(None)
    held = time.monotonic() - t0
    while any(not f.done() for f in getattr(eng, "_leaving", ())):
        app.processEvents()
        time.sleep(0.005)
    closed = time.monotonic() - t0
    app.processEvents()
    timer.stop()
    gap = max((b - a for a, b in zip(ticks, ticks[1:], strict=False)), default=held)
    t1 = time.monotonic()
    eng.shutdown(timeout_ms=5000)
    quit_s = time.monotonic() - t1
    left = [p for p in me.children(recursive=True) if p.pid not in before
            and p.is_running() and p.status() != psutil.STATUS_ZOMBIE
            and "resource_tracker" not in " ".join(p.cmdline())]  # (lives as long as we do)
    print(f"set_cluster held the GUI thread {held * 1000:.0f} ms; longest tick gap "
          f"{gap * 1000:.0f} ms; closed after {closed * 1000:.0f} ms; quit {quit_s * 1000:.0f} "
          f"ms; processes left {len(left)}")


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args(argv)
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication([])  # noqa: F841 (the engine needs it)
    for _ in range(args.runs):
        run(args.workers)


if __name__ == "__main__":
    main()
