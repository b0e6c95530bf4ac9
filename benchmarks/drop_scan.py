"""Time from dropping a folder of 10,000 files on the window to the rows being shown.

The scan runs off the GUI thread and adds rows in batches; the GUI thread keeps ticking.
Prints the time to the first rows, to all rows, to the end of the tag pass, and the longest
gap between 5 ms event-loop ticks meanwhile.  Target: all rows within 2 s.

``--explain MS`` lists the gaps longer than MS with what ran in them (see ui_latency.py).

Usage::

    python benchmarks/drop_scan.py [--files 10000] [--per-folder 250] [--explain 40]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
os.environ.setdefault("SONGCAL_DATA_DIR", tempfile.mkdtemp(prefix="songcal-bench-"))


def make_tree(root, n, per_folder):
    """``n`` small files named like songs, in folders of ``per_folder``, plus non-audio."""
    header = bytes.fromhex("52494646") + b"\x24\x00\x00\x00WAVE"  # a WAV header stub
    for i in range(n):
        folder = os.path.join(root, f"Artist {i // per_folder:03d}", "Album")
        if i % per_folder == 0:
            os.makedirs(folder, exist_ok=True)
            with open(os.path.join(folder, "cover.jpg"), "wb") as f:
                f.write(b"\xff\xd8")
        with open(os.path.join(folder, f"{i % per_folder:03d} - Artist - Title {i}.wav"),
                  "wb") as f:
            f.write(header)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--files", type=int, default=10_000)
    ap.add_argument("--per-folder", type=int, default=250)
    ap.add_argument("--explain", type=float, default=0.0, metavar="MS",
                    help="list the gaps longer than MS with what ran in them")
    args = ap.parse_args(argv)
    from benchmarks.ui_latency import TickRecorder, explain_gaps, trace_window

    if args.explain:
        trace_window()

    from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
    from PySide6.QtGui import QDragEnterEvent, QDropEvent
    from PySide6.QtWidgets import QApplication

    from core.settings import AnalysisSettings
    from gui.main_window import MainWindow

    root = tempfile.mkdtemp(prefix="songcal-drop-")
    t = time.perf_counter()
    make_tree(root, args.files, args.per_folder)
    print(f"made {args.files} files in {time.perf_counter() - t:.1f} s under {root}")

    app = QApplication.instance() or QApplication([])
    from gui import startup

    startup.configure_process()  # as gui.app.run_gui does
    w = MainWindow(AnalysisSettings(workers=2), remember=False)
    startup.freeze_long_lived()
    w.confirm_quit = False
    w.resize(1500, 900)
    w.show()
    for _ in range(10):
        app.processEvents()
    rec = TickRecorder()
    rec.start()
    scans_done = []
    w.engine.scanFinished.connect(lambda n: scans_done.append(time.perf_counter()))

    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(root)])
    t0 = time.perf_counter()
    QApplication.sendEvent(w, QDragEnterEvent(QPoint(300, 300), Qt.DropAction.CopyAction, mime,
                                              Qt.MouseButton.LeftButton,
                                              Qt.KeyboardModifier.NoModifier))
    QApplication.sendEvent(w, QDropEvent(QPointF(300, 300), Qt.DropAction.CopyAction, mime,
                                         Qt.MouseButton.LeftButton,
                                         Qt.KeyboardModifier.NoModifier))
    t_drop = time.perf_counter() - t0
    first = all_rows = None
    while not scans_done and time.perf_counter() - t0 < 120:
        app.processEvents()
        n = w.table.model().rowCount()
        now = time.perf_counter() - t0
        if first is None and n > 0:
            first = now
        if all_rows is None and n >= args.files:
            all_rows = now
        time.sleep(0.001)
    for _ in range(5):
        app.processEvents()
    rec.stop()
    import numpy as np

    gaps = rec.gaps_ms()
    print(f"drop handled in {1000 * t_drop:.1f} ms; first rows after "
          f"{first if first is not None else float('nan'):.3f} s; all {args.files} rows after "
          f"{all_rows if all_rows is not None else float('nan'):.3f} s (target < 2 s); "
          f"scan incl. tags ended after {scans_done[0] - t0 if scans_done else float('nan'):.2f} s")
    print(f"UI gaps meanwhile: max {gaps.max():.1f} ms, p99.9 {np.percentile(gaps, 99.9):.1f} ms,"
          f" p99 {np.percentile(gaps, 99):.1f} ms over {gaps.size} ticks")
    w.close()
    if args.explain:
        explain_gaps(rec.ticks, rec.cpus, args.explain)
    return 0


if __name__ == "__main__":
    sys.exit(main())
