"""Start the window: ``songcal gui [PATHS...] [--reference SHEET] [--start] [--export-dir DIR]
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
cancelled or stayed unpaired, 2 bad usage or an unreadable reference sheet, 3 an export
(a calibration file included) that could not be written.

``--demo`` opens the bundled demo deck with its reference sheet (:mod:`gui.demo`): the songs
are analyzed, the calibration fitted and the Calibration tab shown; with ``--export-dir`` the
same files are written there, and with ``--quit-when-done`` the window then closes.

Each run writes its own log file in the user log folder (:func:`core.paths.log_dir`; the
newest :data:`KEEP_LOGS` are kept); an unexpected error shows the crash dialog of
:mod:`gui.crash_dialog`, which names that file.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import logging.handlers
import os
import re
import sys

from core.errors import ExitCode

__all__ = ["run_gui", "build_gui_parser", "Automation", "EXIT_OK", "EXIT_SOME_FAILED",
           "EXIT_USAGE"]

EXIT_OK, EXIT_SOME_FAILED, EXIT_USAGE = ExitCode.OK, ExitCode.FAILED, ExitCode.USAGE
EXIT_OUTPUT = ExitCode.OUTPUT

log = logging.getLogger(__name__)


def build_gui_parser() -> argparse.ArgumentParser:
    """Parser of ``songcal gui`` options (the command line's own, see :mod:`core.cli.gui`)."""
    from core.cli.gui import add_options
    from core.cli.main import Parser

    p = Parser(prog="songcal gui", description="Open the SongCal window.")
    add_options(p)
    return p


#: How many log files (one per run) are kept in the log folder.
KEEP_LOGS = 10
#: Size (bytes) past which a run's log file rolls over to ``.1`` (once).
LOG_MAX_BYTES = 5_000_000

_FILE_HANDLER: logging.Handler | None = None


def _log_file() -> str | None:
    """A new log file for this run in the user log folder, older ones pruned."""
    import time

    try:
        from core.paths import log_dir

        folder = log_dir()
    except Exception:
        return None
    stamp = time.strftime("%Y%m%d-%H%M%S")
    path = os.path.join(folder, f"songcal-{stamp}-{os.getpid()}.log")
    runs = sorted((n for n in os.listdir(folder)
                   if n.startswith("songcal-") and ".log" in n),
                  key=lambda n: os.path.getmtime(os.path.join(folder, n)))
    for old in runs[:max(0, len(runs) - (KEEP_LOGS - 1))]:
        if _log_of_running_window(old):
            continue
        try:
            os.remove(os.path.join(folder, old))
        except OSError:
            pass
    return path


def _log_of_running_window(name: str) -> bool:
    """Whether the log file ``name`` (``songcal-STAMP-PID.log``, or its ``.1``) is that of
    a window still running: an idle window writes nothing, so its file can be the oldest
    while ten other windows started (automated runs), and its crash dialog would name a
    file removed under it."""
    from core.io.tempfiles import pid_running

    m = re.fullmatch(r"songcal-\d{8}-\d{6}-(\d{1,10})\.log(?:\.1)?", name)
    if m is None or int(m.group(1)) == os.getpid():
        return False
    return bool(pid_running(int(m.group(1))))  # (where it cannot be told, Windows keeps
    # the open file of a running process from being removed)


class _LogFile(logging.handlers.RotatingFileHandler):
    """The run's log file; when it cannot be written (a full disk), one line on stderr says
    so, instead of logging's "--- Logging error ---" and a traceback for every message."""

    _told = False

    def handleError(self, record):  # noqa: N802 - logging's name
        if self._told:
            return
        self._told = True
        err = sys.exc_info()[1]
        reason = getattr(err, "strerror", None) or str(err) or type(err).__name__
        try:
            print(f"songcal: the log file {self.baseFilename} cannot be written ({reason}); "
                  "messages go to this terminal only", file=sys.stderr)
        except (OSError, ValueError):
            pass


def _setup_logging() -> str | None:
    """Log warnings to stderr and everything from INFO on to this run's log file (once per
    process); returns the log file's path, or None when none could be written."""
    global _FILE_HANDLER
    root = logging.getLogger()
    if _FILE_HANDLER is not None:
        return getattr(_FILE_HANDLER, "baseFilename", None)
    if not any(isinstance(h, logging.StreamHandler) for h in root.handlers):
        h = logging.StreamHandler(sys.stderr)
        h.setLevel(logging.WARNING)
        h.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
        root.addHandler(h)
    try:
        path = _log_file()
        if path is None:
            return None
        # backslashreplace: a file name that is not valid UTF-8 is written as \udcXX, as
        # the terminal shows it, instead of losing its line and saying the file failed
        fh = _LogFile(path, maxBytes=LOG_MAX_BYTES, backupCount=1, encoding="utf-8",
                      errors="backslashreplace")
    except OSError:
        return None
    fh.setLevel(logging.INFO)
    fh.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(threadName)s %(name)s: "
                                      "%(message)s"))
    root.addHandler(fh)
    _FILE_HANDLER = fh
    for name in ("core", "gui"):
        logging.getLogger(name).setLevel(logging.INFO)
    from core import __version__

    logging.getLogger("gui").info("SongCal %s started: %s", __version__, " ".join(sys.argv))
    return path


def _set_app_icon(app) -> None:
    from PySide6.QtGui import QIcon

    from core.paths import icon_paths

    icon = QIcon()
    for path in icon_paths():
        icon.addFile(path)
    if not icon.isNull():
        app.setWindowIcon(icon)
    # Wayland shows the icon of the desktop entry with this name (packaging/linux).
    app.setDesktopFileName("org.songcal.SongCal")


class Automation:
    """Drives the window from the command-line options (see the module docstring)."""

    def __init__(self, window, args, app):
        self.window = window
        self.args = args
        self.app = app
        self.exit_code = EXIT_OK
        self._midway_done = False
        self._calibration_code = EXIT_OK
        #: The demo run (``--demo``), once begun.
        self.demo = None
        self._folder = ""  # the new export folder made inside --export-dir
        eng = window.engine
        eng.scanFinished.connect(self._on_scanned)
        eng.batchFinished.connect(self._on_finished)
        eng.clusterFailed.connect(self._on_cluster_failed)
        if args.screenshot_midway:
            eng.ticked.connect(self._maybe_midway_shot)

    def _on_cluster_failed(self, message: str) -> None:
        print(f"songcal gui: error: cannot run on the cluster: {message}", file=sys.stderr)
        if self.args.quit_when_done:
            self._quit(EXIT_USAGE)  # nothing was analyzed; every song stays queued

    def begin(self) -> None:
        if getattr(self.args, "demo", False):
            self._begin_demo()
            return
        if self.args.reference:
            self.window.load_reference(self.args.reference)
        if self.args.paths:
            self.window.add_paths(self.args.paths)
        else:
            self.window.restore_library()
        if not self.args.paths and self.args.start and self.args.quit_when_done:
            log.error("--start needs paths to analyze")
            self._quit(EXIT_USAGE)

    def _begin_demo(self) -> None:
        from core.paths import demo_deck
        from gui.demo import DemoRun

        try:
            folder, sheet = demo_deck()
        except FileNotFoundError as err:
            print(f"songcal: error: {err}", file=sys.stderr)
            if self.args.quit_when_done:
                self._quit(EXIT_USAGE)
            return
        # The demo run adds the songs, loads the sheet and starts; what follows the batch
        # (exports with --export-dir, quitting) is this object's, as for any batch.
        self.args.paths, self.args.reference, self.args.start = [folder], sheet, False
        self.demo = DemoRun(self.window, deck=(folder, sheet))
        self.demo.finished.connect(self._on_demo_finished)
        self.demo.start()

    def _on_demo_finished(self, ok: bool) -> None:
        if not ok:
            self.exit_code = max(self.exit_code, EXIT_SOME_FAILED)
            if not self.demo.started and self.args.quit_when_done:
                self._quit(self.exit_code)  # no batch ran: nothing else will end the run

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
                self.exit_code = max(self.exit_code, EXIT_OUTPUT)
                self._after_export()
                return
            print(f"exporting into {self._folder}", file=sys.stderr)
            path = os.path.join(self._folder, "results.csv")
            self.window.exported.connect(self._on_exported)
            self.window.export_results(path)
        else:
            self._fit_for_view()

    def _on_exported(self, path: str, error: str) -> None:
        self.window.exported.disconnect(self._on_exported)
        if error:
            print(f"songcal gui: error: could not write {path}: {error}", file=sys.stderr)
            self.exit_code = max(self.exit_code, EXIT_OUTPUT)
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
        from gui.window_exports import written_safely

        settings = self.window.engine.settings
        reference, folder = self.args.reference, self._folder
        data = getattr(self.args, "reference_sheet", None)
        inputs = self.window.export_guard().inputs + [("the reference sheet", reference),
                                                      ("the results file", results_csv)]

        def work():
            sheet = reference
            if data is not None:  # the bytes read before the batch
                from core.calibration.reference import reference_from_bytes

                sheet = reference_from_bytes(data, reference)
            # a file of the folder swapped for a link to an input is not written through
            return written_safely(lambda: calibrate_results_csv(
                results_csv, sheet, out_dir=folder, settings=settings), inputs)

        def done(result, error):
            failure = getattr(error, "exception", None)
            if error and isinstance(failure, OSError):
                # a calibration file (or the results file read back) failed, not the sheet:
                # exit code 3, as ``songcal analyze --reference`` gives
                from core.io.outputs import printable

                where = failure.filename or folder
                reason = failure.strerror or str(failure) or type(failure).__name__
                print(f"songcal gui: error: calibration failed: could not write "
                      f"{printable(os.fsdecode(where))}: {reason}", file=sys.stderr)
                code = EXIT_OUTPUT
            elif error:
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
        screenshot of that tab, or wait for the demo run's fit; otherwise go on at once."""
        if self.demo is not None and self.demo.ended is None:
            self.demo.finished.connect(lambda _ok: self._after_export())
            return
        ctrl = self.window.calibration
        if not self.args.screenshot_calibration or ctrl.sheet is None:
            self._after_export()
            return
        ctrl.fitted.connect(self._fitted_for_view)
        ctrl.failed.connect(self._fitted_for_view)
        ctrl.sync_engine()
        ctrl.fit()

    def _fitted_for_view(self, *_) -> None:
        # a method, not a closure that disconnects itself: such a function holds itself
        # (and this object, and the window) in a reference cycle
        ctrl = self.window.calibration
        ctrl.fitted.disconnect(self._fitted_for_view)
        ctrl.failed.disconnect(self._fitted_for_view)
        self._after_export()

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


def _log_window_shown() -> None:
    """Log how long the start took, in wall-clock and CPU seconds (the CPU time is what the
    start costs on an idle machine; the bundle's smoke test reads this line)."""
    try:
        import psutil

        me = psutil.Process()
        started, cpu = me.create_time(), me.cpu_times()
    except Exception:
        return
    import time

    log.info("window shown %.2f s after the process started (%.2f s of CPU)",
             time.time() - started, cpu.user + cpu.system)


def no_display() -> bool:
    """True on Linux/BSD when no X11 or Wayland display is reachable and no Qt platform
    (offscreen, vnc...) was chosen: Qt would abort without a readable message."""
    if sys.platform in ("win32", "darwin") or os.environ.get("QT_QPA_PLATFORM"):
        return False
    return not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def _export_dir_problem(folder: str) -> str | None:
    """Why the exports cannot go into a new folder inside ``folder``, or None: checked
    before the window opens, as every command checks its outputs (a folder where nothing
    can be created failed only once the whole batch had run)."""
    from core.io import tempfiles

    if not folder:
        return "the folder name is empty"
    if os.path.exists(folder) and not os.path.isdir(folder):
        return "it is a file, not a folder"
    try:
        os.makedirs(folder, exist_ok=True)
    except OSError as err:
        return f"it cannot be made ({err.strerror or err})"
    try:
        fd, probe = tempfiles.make_temp(folder)
    except OSError as err:
        return f"nothing can be created in it ({err.strerror or err})"
    os.close(fd)
    with contextlib.suppress(OSError):
        os.unlink(probe)
    return None


def _take_sheet_from_paths(args) -> None:
    """Without ``--reference``, a reference sheet among the paths (a file manager opening a
    CSV or workbook with SongCal) is loaded as the reference, as one dropped on the window
    is, instead of being scanned as a song; the first one, when several are named.  A text
    file (:func:`core.io.inputs.sheets_among`) is the reference when it is the only path, or
    when its header reads as a sheet's; one that does not is left to the scan, which ignores
    it as not audio."""
    from core.calibration.reference import reads_as_sheet
    from core.io.inputs import sheets_among

    if getattr(args, "reference", None):
        return
    paths = list(getattr(args, "paths", None) or [])
    named = sheets_among(paths)
    if named.left_out:
        log.warning("%d reference sheets named; loading %s only", len(named.left_out) + 1,
                    os.path.basename(named.sheet))
    sheet = named.sheet or next((p for p in named.maybe if reads_as_sheet(p)), None)
    if sheet is not None:
        args.reference = sheet
        args.paths = [p for p in paths if p != sheet and p not in named.left_out]


def run_gui(argv=None) -> int:
    """Open the window (and drive it when options say so); returns the exit code."""
    from core.cli.guard import survive_closed_pipes

    survive_closed_pipes()
    if isinstance(argv, argparse.Namespace):
        args = argv
    else:
        try:
            args = build_gui_parser().parse_args(argv)
        except SystemExit as exc:
            return int(exc.code or 0)
    _take_sheet_from_paths(args)
    if args.reference and not os.path.isfile(args.reference):
        print(f"songcal gui: error: reference sheet not found: {args.reference}",
              file=sys.stderr)
        return EXIT_USAGE
    if args.workers is not None and not 1 <= args.workers <= 256:
        print(f"songcal gui: error: --workers must be 1-256, got {args.workers}",
              file=sys.stderr)
        return EXIT_USAGE
    if args.export_dir is not None:
        problem = _export_dir_problem(args.export_dir)
        if problem:
            print(f"songcal gui: error: --export-dir {args.export_dir!r}: {problem}",
                  file=sys.stderr)
            return EXIT_USAGE
    args.reference_sheet = None  # the sheet's bytes, read before the batch
    if args.reference and args.export_dir is not None:
        # the calibration files come after the batch: a sheet they cannot be made from is
        # said now, and the sheet read now is the one they are made from
        from core.calibration.reference import read_reference_bytes, reference_from_bytes
        from core.errors import SongCalError

        try:  # the bytes are kept, not the parsed rows (about 30 times as large)
            args.reference_sheet = read_reference_bytes(args.reference)
            reference_from_bytes(args.reference_sheet, args.reference)
        except (SongCalError, UnicodeDecodeError) as err:
            print(f"songcal gui: error: {err}", file=sys.stderr)
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
    _set_app_icon(app)

    import dataclasses

    from gui import startup

    startup.configure_process()
    from core.cli.cluster_options import cluster_from_args
    from gui.main_window import MainWindow
    from gui.settings_dialog import (
        cluster_choice,
        fit_workers_to_memory,
        load_settings,
        open_session_store_why,
    )

    settings = load_settings()
    if args.workers is not None:
        settings = dataclasses.replace(settings, workers=args.workers)
    try:
        cluster = cluster_from_args(args, workers=settings.workers)
    except ValueError as err:
        print(f"songcal gui: error: {err}", file=sys.stderr)
        return EXIT_USAGE
    if cluster is None:
        cluster = cluster_choice(workers=settings.workers)
    lowered = None
    if cluster is None:  # songs run on this computer: as many as its memory holds
        settings, lowered = fit_workers_to_memory(
            settings, f"--workers {args.workers}" if args.workers is not None else None)
        if lowered:
            print(f"songcal gui: warning: {lowered}", file=sys.stderr)
    store, chosen_why = open_session_store_why()
    window = MainWindow(settings, store=store)
    if chosen_why:
        window.tell_chosen_store_problem(chosen_why)
    window.engine.set_cluster(cluster)
    startup.freeze_long_lived()
    if lowered:
        log.warning("%s", lowered)
        window.statusBar().showMessage(f"{lowered[0].upper()}{lowered[1:]}.", 10000)
    elif log_path:
        window.statusBar().showMessage(f"Log file: {log_path}", 5000)
    from gui.crash_dialog import install as install_crash_dialog

    restore_hooks = install_crash_dialog(window, log_path)
    auto = Automation(window, args, app)
    from gui.signals import install_stop_signals

    stopper = install_stop_signals(window, auto)  # SIGINT/SIGTERM/SIGHUP: stop, export, quit
    window.show()
    from PySide6.QtCore import QTimer

    QTimer.singleShot(0, _log_window_shown)
    preload = []  # the analysis runs in this process unless a cluster runs it
    if cluster is None:
        QTimer.singleShot(0, lambda: preload.append(startup.preload_analysis()))
    QTimer.singleShot(0, auto.begin)
    # End the loop explicitly when the window closes (not through quitOnLastWindowClosed,
    # whose posted quit event would outlive this loop when the app object is reused).
    quit_on_last = app.quitOnLastWindowClosed()
    app.setQuitOnLastWindowClosed(False)
    window.closed.connect(lambda: app.exit(auto.exit_code if args.quit_when_done else 0))
    try:
        code = app.exec()
    finally:
        restore_hooks()
        app.setQuitOnLastWindowClosed(quit_on_last)
        stopper.uninstall()
    code = auto.exit_code if args.quit_when_done else code
    if stopper.seen:  # stopped by a signal: never a success
        code = max(int(code), int(ExitCode.FAILED))
    for thread in preload:
        thread.join(10.0)  # an import cut short at exit could fail in its library
    stuck = window.stuck_workers
    window.deleteLater()
    if stuck:
        # A decoder stuck in native code cannot be stopped; do not wait for it at exit.
        logging.shutdown()
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    return code
