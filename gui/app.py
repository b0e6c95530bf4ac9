"""Start the window: ``songcal gui [PATHS...] [--reference CSV] [--start] [--export-dir DIR]
[--quit-when-done]``.

The options drive the real window for automation: add paths, load the reference sheet into
the window (its columns join the table, the Calibration tab shows the match), start the
batch and, when it ends, make a new folder inside ``DIR`` named after the moment
(``songcal-export-YYYYMMDD-HHMMSS``: :func:`core.calibration.exports.new_export_folder`,
so no earlier export is overwritten), write ``results.csv`` there (the same file as
``songcal analyze``), then, with a reference, the calibration files of ``songcal analyze
--reference`` under the names every calibration export uses (``results_calibration.csv``,
``results_paired.csv``, ``results_mismatches.csv``, ``results_calibrated.csv``,
``results_profile.json``: :func:`core.calibration.exports.export_names`), list what was
written, and quit with the exit code of ``songcal analyze --reference``:
0 every song done and paired with a reference row, 1 any song failed, timed out, was
cancelled or stayed unpaired, 2 bad usage or an unreadable reference sheet.
"""

from __future__ import annotations

import argparse
import logging
import logging.handlers
import os
import sys

from core.errors import ExitCode

__all__ = ["run_gui", "build_gui_parser", "Automation", "EXIT_OK", "EXIT_SOME_FAILED",
           "EXIT_USAGE"]

EXIT_OK, EXIT_SOME_FAILED, EXIT_USAGE = ExitCode.OK, ExitCode.FAILED, ExitCode.USAGE

log = logging.getLogger(__name__)


def build_gui_parser() -> argparse.ArgumentParser:
    """Parser of ``songcal gui`` options (the command line's own, see :mod:`core.cli.gui`)."""
    from core.cli.gui import add_options
    from core.cli.main import Parser

    p = Parser(prog="songcal gui", description="Open the SongCal window.")
    add_options(p)
    return p


def _log_file() -> str | None:
    try:
        from core.batch.store import data_dir

        folder = data_dir()
    except Exception:
        return None
    return os.path.join(folder, "songcal.log")


_FILE_HANDLER: logging.Handler | None = None


def _setup_logging() -> str | None:
    global _FILE_HANDLER
    root = logging.getLogger()
    if _FILE_HANDLER is not None:
        return getattr(_FILE_HANDLER, "baseFilename", None)
    if not any(isinstance(h, logging.StreamHandler) for h in root.handlers):
        h = logging.StreamHandler(sys.stderr)
        h.setLevel(logging.WARNING)
        h.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
        root.addHandler(h)
    path = _log_file()
    if path:
        try:
            fh = logging.handlers.RotatingFileHandler(path, maxBytes=2_000_000, backupCount=2,
                                                      encoding="utf-8")
            fh.setLevel(logging.INFO)
            fh.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
            root.addHandler(fh)
            _FILE_HANDLER = fh
            for name in ("core", "gui"):
                logging.getLogger(name).setLevel(logging.INFO)
        except OSError:
            path = None
    return path


class Automation:
    """Drives the window from the command-line options (see the module docstring)."""

    def __init__(self, window, args, app):
        self.window = window
        self.args = args
        self.app = app
        self.exit_code = EXIT_OK
        self._midway_done = False
        self._calibration_code = EXIT_OK
        self._folder = ""  # the new export folder made inside --export-dir
        eng = window.engine
        eng.scanFinished.connect(self._on_scanned)
        eng.batchFinished.connect(self._on_finished)
        if args.screenshot_midway:
            eng.ticked.connect(self._maybe_midway_shot)

    def begin(self) -> None:
        if self.args.reference:
            self.window.load_reference(self.args.reference)
        if self.args.paths:
            self.window.add_paths(self.args.paths)
        else:
            self.window.offer_resume()
        if not self.args.paths and self.args.start and self.args.quit_when_done:
            log.error("--start needs paths to analyze")
            self._quit(EXIT_USAGE)

    def _on_scanned(self, _n: int) -> None:
        eng = self.window.engine
        if eng.is_scanning or not self.args.start or eng.is_running:
            return
        if not eng.batch.jobs:
            print("songcal gui: error: no audio files found in " + ", ".join(self.args.paths),
                  file=sys.stderr)
            if self.args.quit_when_done:
                self._quit(EXIT_USAGE)
            return
        if not eng.start():  # nothing queued (e.g. every path was missing)
            self._on_finished()

    def _maybe_midway_shot(self) -> None:
        eng = self.window.engine
        jobs = eng.batch.jobs
        if self._midway_done or not jobs or not eng.is_running:
            return
        ended = sum(1 for j in jobs if j.result is not None)
        if ended >= len(jobs) // 2:
            self._midway_done = True
            self.window.bottom_tabs.setCurrentIndex(1)
            self.window._refresh_plots(force=True)
            self._shot(self.args.screenshot_midway)

    def _shot(self, path) -> None:
        from PySide6.QtCore import QCoreApplication, QEvent

        # pending layout requests (a splitter moved, a tab shown) first
        QCoreApplication.sendPostedEvents(None, QEvent.Type.LayoutRequest)
        self.window.grab().save(path)
        log.info("screenshot saved to %s", path)

    def _on_finished(self) -> None:
        from core.batch.rules import SongState

        batch = self.window.engine.batch
        c = batch.counts()
        self.exit_code = EXIT_OK if c[SongState.DONE] == len(batch.jobs) else EXIT_SOME_FAILED
        if self.args.export_dir:
            from core.calibration.exports import new_export_folder

            try:
                self._folder = new_export_folder(self.args.export_dir)
            except OSError as err:
                print(f"songcal gui: error: cannot make an export folder in "
                      f"{self.args.export_dir}: {err}", file=sys.stderr)
                self.exit_code = max(self.exit_code, EXIT_SOME_FAILED)
                self._after_export()
                return
            print(f"exporting into {self._folder}", file=sys.stderr)
            path = os.path.join(self._folder, "results.csv")
            self.window.exported.connect(self._on_exported)
            self.window.export_results(path)
        else:
            self._after_export()

    def _on_exported(self, path: str, error: str) -> None:
        self.window.exported.disconnect(self._on_exported)
        if error:
            print(f"songcal gui: error: could not write {path}: {error}", file=sys.stderr)
            self.exit_code = max(self.exit_code, EXIT_SOME_FAILED)
            self._after_export()
            return
        print(f"results written to {path}", file=sys.stderr)
        if self.args.reference:
            self._calibrate(path)
        else:
            self._after_export()

    def _calibrate(self, results_csv: str) -> None:
        """Pair the results just written with the sheet and write the calibration files
        into the export folder, as ``songcal analyze --reference`` does
        (:func:`core.calibration.session.calibrate_results_csv`)."""
        from core.calibration.session import calibrate_results_csv

        settings = self.window.engine.settings
        reference, folder = self.args.reference, self._folder

        def work():
            return calibrate_results_csv(results_csv, reference, out_dir=folder,
                                         settings=settings)

        def done(result, error):
            if error:
                print(f"songcal gui: error: calibration failed: {error}", file=sys.stderr)
                code = EXIT_USAGE
            else:
                session, written = result
                print(f"calibration: {session.match_summary()}", file=sys.stderr)
                for kind, path in written.items():
                    print(f"{kind} written to {path}", file=sys.stderr)
                code = EXIT_OK if session.all_songs_paired else EXIT_SOME_FAILED
            self.exit_code = max(self.exit_code, int(code))
            self._fit_for_view()

        self.window.engine.run_task(work, done)

    def _fit_for_view(self) -> None:
        """Fit in the window too (its Calibration tab shows the correction) before a
        screenshot of that tab; otherwise go on at once."""
        ctrl = self.window.calibration
        if not self.args.screenshot_calibration or ctrl.sheet is None:
            self._after_export()
            return

        def go_on(*_):
            ctrl.fitted.disconnect(go_on)
            ctrl.failed.disconnect(go_on)
            self._after_export()

        ctrl.fitted.connect(go_on)
        ctrl.failed.connect(go_on)
        ctrl.sync_engine()
        ctrl.fit()

    def _after_export(self) -> None:
        if self.args.screenshot:
            self.window._refresh_ui()
            self.window._refresh_plots(force=True)
            self._shot(self.args.screenshot)
        if self.args.screenshot_calibration:
            self.window.show_calibration()
            view = self.window.calibration_view
            if view is not None:
                view.refresh()
            self._shot(self.args.screenshot_calibration)
        if self.args.quit_when_done:
            self._quit(self.exit_code)

    def _quit(self, code: int) -> None:
        self.exit_code = code
        self.window.confirm_quit = False
        self.window.close()  # the window's closed signal ends the event loop


def no_display() -> bool:
    """True on Linux/BSD when no X11 or Wayland display is reachable and no Qt platform
    (offscreen, vnc...) was chosen: Qt would abort without a readable message."""
    if sys.platform in ("win32", "darwin") or os.environ.get("QT_QPA_PLATFORM"):
        return False
    return not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def run_gui(argv=None) -> int:
    """Open the window (and drive it when options say so); returns the exit code."""
    if isinstance(argv, argparse.Namespace):
        args = argv
    else:
        try:
            args = build_gui_parser().parse_args(argv)
        except SystemExit as exc:
            return int(exc.code or 0)
    if args.reference and not os.path.isfile(args.reference):
        print(f"songcal gui: error: reference sheet not found: {args.reference}",
              file=sys.stderr)
        return EXIT_USAGE
    if args.workers is not None and not 1 <= args.workers <= 256:
        print(f"songcal gui: error: --workers must be 1-256, got {args.workers}",
              file=sys.stderr)
        return EXIT_USAGE
    if args.export_dir:
        try:
            os.makedirs(args.export_dir, exist_ok=True)
        except OSError as err:
            print(f"songcal gui: error: cannot create {args.export_dir}: {err}",
                  file=sys.stderr)
            return EXIT_USAGE

    if no_display():
        print("songcal: no display to open the window on (DISPLAY and WAYLAND_DISPLAY are "
              "not set).\nOn a machine without a screen use the command line, e.g. "
              "'songcal analyze FOLDER -o results.csv', or run the window under xvfb-run.",
              file=sys.stderr)
        return EXIT_USAGE

    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setOrganizationName("SongCal")
    app.setApplicationName("SongCal")
    from core import __version__

    app.setApplicationVersion(__version__)
    log_path = _setup_logging()

    import dataclasses

    from gui.main_window import MainWindow
    from gui.settings_dialog import load_settings

    settings = load_settings()
    if args.workers is not None:
        settings = dataclasses.replace(settings, workers=args.workers)
    window = MainWindow(settings)
    if log_path:
        window.statusBar().showMessage(f"Log file: {log_path}", 5000)
    old_hook = sys.excepthook
    _install_excepthook(window, log_path)
    auto = Automation(window, args, app)
    window.show()
    from PySide6.QtCore import QTimer

    QTimer.singleShot(0, auto.begin)
    # End the loop explicitly when the window closes (not through quitOnLastWindowClosed,
    # whose posted quit event would outlive this loop when the app object is reused).
    quit_on_last = app.quitOnLastWindowClosed()
    app.setQuitOnLastWindowClosed(False)
    window.closed.connect(lambda: app.exit(auto.exit_code if args.quit_when_done else 0))
    try:
        code = app.exec()
    finally:
        sys.excepthook = old_hook
        app.setQuitOnLastWindowClosed(quit_on_last)
    code = auto.exit_code if args.quit_when_done else code
    stuck = window.stuck_workers
    window.deleteLater()
    if stuck:
        # A decoder stuck in native code cannot be stopped; do not wait for it at exit.
        logging.shutdown()
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    return code


def _install_excepthook(window, log_path) -> None:
    """Log an unexpected exception in a slot and show a dialog that names the log file."""
    import traceback

    from PySide6.QtWidgets import QMessageBox

    shown = []

    def hook(exc_type, exc, tb):
        text = "".join(traceback.format_exception(exc_type, exc, tb))
        logging.getLogger("gui").error("unexpected error\n%s", text)
        if not shown and window.isVisible():
            shown.append(True)
            where = f"\n\nDetails are in the log file:\n{log_path}" if log_path else ""
            QMessageBox.critical(window, "SongCal: unexpected error",
                                 f"{exc_type.__name__}: {exc}{where}")

    sys.excepthook = hook
