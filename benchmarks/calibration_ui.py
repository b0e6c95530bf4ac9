"""Time the calibration part of the window on a synthetic deck.

Run: ``QT_QPA_PLATFORM=offscreen python benchmarks/calibration_ui.py [N_SONGS]``.
Prints the time to match, to fit (nested cross-validation and learned models, on the
controller's pool), and to redraw the calibration view (GUI thread), and the longest
GUI-thread stall while the pool matched and while it fitted: the window stays responsive
when these stay short.  The deck is :func:`benchmarks.calibration.make_deck` (planted
relations, two extra reference columns).
"""

from __future__ import annotations

import os
import pathlib
import sys
import tempfile
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))

from PySide6.QtCore import QElapsedTimer, QEventLoop, QTimer  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402


def main(n: int) -> None:
    app = QApplication.instance() or QApplication([])
    from gui.startup import configure_process

    configure_process()  # the application's plot options (gui.app.run_gui)
    from benchmarks.calibration import make_deck
    from gui.calibration_controller import CalibrationController
    from gui.calibration_view import CalibrationView
    from gui.match_dialog import MatchDialog

    rows, text = make_deck(n, 0)
    sheet = pathlib.Path(tempfile.mkdtemp()) / "reference.csv"
    sheet.write_text(text, encoding="utf-8")
    c = CalibrationController()
    v = CalibrationView(c)
    v.resize(1500, 900)
    v.show()

    gaps = [0.0]
    tick = QElapsedTimer()
    tick.start()

    def beat():
        gaps.append(tick.restart() / 1000)

    hb = QTimer()
    hb.timeout.connect(beat)
    hb.start(10)

    def wait(signal, ms=600_000):
        loop = QEventLoop()
        signal.connect(loop.quit)
        QTimer.singleShot(ms, loop.quit)
        loop.exec()

    c.set_results(rows)
    t = time.perf_counter()
    c.load_reference(sheet)
    wait(c.matched)
    t_match = time.perf_counter() - t
    max_gap = max(gaps)
    gaps[:] = [0.0]
    tick.restart()
    t = time.perf_counter()
    c.fit()
    wait(c.fitted)
    t_fit = time.perf_counter() - t
    fit_gap = max(gaps)
    t = time.perf_counter()
    v.refresh()
    app.processEvents()
    t_draw = time.perf_counter() - t
    t = time.perf_counter()
    d = MatchDialog(c)
    d.show()
    app.processEvents()
    t_dialog = time.perf_counter() - t
    print(f"songs={n} load+match={t_match:.2f} s (longest GUI stall {1000 * max_gap:.0f} ms) "
          f"fit={t_fit:.2f} s (longest GUI stall {1000 * fit_gap:.0f} ms) "
          f"view refresh={1000 * t_draw:.0f} ms "
          f"match dialog build={1000 * t_dialog:.0f} ms; {c.session.match_summary()}")
    hb.stop()
    c.shutdown()


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 2000)
