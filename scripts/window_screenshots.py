"""Screenshots of the real window for the README (docs/screenshot*.png).

Runs the window with the real analysis on the demo deck, plus an empty file (a failed row)
and a macOS resource fork (left out by the scan), under whatever display Qt finds (use
``xvfb-run -a -s '-screen 0 1280x720x24'``).  One song, "Overdrive", is held back a few
seconds inside its analysis (a stand-in for a slow decoder) so the stall banner shows.  The
window is sized for the screen as on a first start.  Three pictures:

1. during the batch: the stalled song, the banner, the failed row's note, the batch plots;
2. the Calibration tab after the fit;
3. the table scrolled to the reference columns (Title stays at the left edge).

Usage::

    xvfb-run -a -s '-screen 0 1280x720x24' python scripts/window_screenshots.py docs/
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    out = argv[0] if argv else "."
    tmp = tempfile.mkdtemp(prefix="songcal-shots-")
    os.environ["SONGCAL_DATA_DIR"] = os.path.join(tmp, "data")
    os.environ["XDG_CONFIG_HOME"] = os.path.join(tmp, "config")
    from PySide6.QtCore import QEventLoop, QTimer
    from PySide6.QtWidgets import QApplication

    app = QApplication(sys.argv[:1])
    app.setOrganizationName("SongCalShots")
    from core.analysis.analyze import analyze_file
    from core.errors import AnalysisCancelled
    from core.paths import demo_deck
    from core.settings import AnalysisSettings
    from gui import startup
    from gui.main_window import MainWindow

    startup.configure_process()
    folder, sheet = demo_deck()
    deck = os.path.join(tmp, "deck")
    shutil.copytree(folder, deck, ignore=shutil.ignore_patterns("*.csv"))
    open(os.path.join(deck, "000_Broken_Empty.wav"), "wb").close()
    with open(os.path.join(deck, "._001_Nova Lights_Midnight Drive.mp3"), "wb") as f:
        f.write(b"\0\5\26\7")

    def analyze(path, *, settings, progress=None, should_cancel=None):
        result = analyze_file(path, settings=settings, progress=None,
                              should_cancel=should_cancel)
        if "Overdrive" in path:  # held back past its budget: a slow decoder
            for i in range(140):
                if should_cancel():
                    raise AnalysisCancelled(path)
                time.sleep(0.25)
                if progress is not None and i % 28 == 0:
                    progress(i // 28 + 1, 5, result.duration_s)
        return result

    settings = AnalysisSettings(workers=2, budget_base_s=20.0, budget_factor=0.0,
                                hard_limit_factor=4.0)
    w = MainWindow(settings, analyze=analyze, remember=False)
    w.confirm_quit = False
    w.fit_to_screen()
    w.show()
    loop = QEventLoop()

    def wait(cond, timeout_s=120.0):
        end = time.monotonic() + timeout_s
        while not cond() and time.monotonic() < end:
            QTimer.singleShot(50, loop.quit)
            loop.exec()

    def shot(name):
        settle = time.monotonic() + 1.0  # the rows' throttled refresh reaches the table
        wait(lambda: time.monotonic() > settle)
        w._refresh_ui()
        w._refresh_plots(force=True)
        for _ in range(5):
            app.processEvents()
        path = os.path.join(out, name)
        w.grab().save(path)
        print(f"{path}: {w.width()}x{w.height()}")

    w.add_paths([deck])
    wait(lambda: not w.engine.is_scanning and w.engine.batch.jobs)
    w.load_reference(sheet)
    wait(lambda: w.calibration.sheet is not None)
    w.bottom_tabs.setCurrentIndex(1)
    w.start()
    wait(lambda: not w.banner.isHidden()
         and sum(j.result is not None for j in w.engine.batch.jobs) >= 6, 240.0)
    shot("screenshot.png")
    wait(lambda: not w.engine.is_running, 240.0)
    fitted = []
    w.calibration.fitted.connect(fitted.append)
    w.calibration.sync_engine()
    w.calibration.fit()
    wait(lambda: fitted)
    w.show_calibration()
    w.calibration_view.refresh()
    shot("screenshot_calibration.png")
    w.bottom_tabs.setCurrentIndex(0)
    w.table.horizontalScrollBar().setValue(w.table.columnViewportPosition(
        w.model.reference_column("ref_bpm")) - 400)
    shot("screenshot_reference.png")
    w.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
