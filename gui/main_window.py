"""The SongCal main window: drop songs, run a batch, watch it live, export the results, and
calibrate against a reference sheet (load one with Ctrl+R or drop a CSV on the window)."""

from __future__ import annotations

import gc
import logging
import os
import platform
import sys
import time
from importlib import metadata

from PySide6.QtCore import QSettings, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QFrame,
    QLabel,
    QLineEdit,
    QMainWindow,
    QMessageBox,
    QScrollArea,
    QSizePolicy,
    QSplitter,
    QStyle,
    QTabWidget,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from core import __version__
from core.batch.rules import TERMINAL_STATES, SongState
from core.batch.scan import AUDIO_EXTENSIONS
from core.settings import AnalysisSettings
from gui.calibration_controller import CalibrationController, is_reference_file
from gui.demo import open_demo_deck
from gui.doctor_dialog import show_report
from gui.engine import BatchEngine, EngineState
from gui.formatting import fmt_eta
from gui.log_panel import LogPanel
from gui.resume_banner import ResumeBanner
from gui.settings_dialog import SettingsDialog, load_settings, save_settings
from gui.song_table import SongFilterProxy, SongTableModel
from gui.song_view import SongTableView
from gui.stall_banner import StallBanner
from gui.worker_panel import WorkerPanel

__all__ = ["MainWindow", "STATUS_FILTERS", "write_results_csv"]

log = logging.getLogger(__name__)

#: Status filter choices: label -> states shown (None: all).
STATUS_FILTERS = {
    "All songs": None,
    "Running": (SongState.RUNNING, SongState.STALLED),
    "Queued": (SongState.QUEUED,),
    "Done": (SongState.DONE,),
    "Failed or timed out": (SongState.FAILED, SongState.TIMED_OUT),
    "Stalled": (SongState.STALLED,),
    "Cancelled or skipped": (SongState.CANCELLED, SongState.SKIPPED),
}

#: States from which "Retry failed" queues songs again.
_RETRYABLE = frozenset({SongState.FAILED, SongState.TIMED_OUT, SongState.CANCELLED,
                        SongState.SKIPPED})


def write_results_csv(path, batch) -> str:
    """Write the results CSV of ``batch`` exactly as ``songcal analyze`` does; returns path."""
    from core.io.results import write_results_csv as write

    write(path, batch.results(), settings=batch.settings)
    return os.fspath(path)


class MainWindow(QMainWindow):
    """The window.

    Parameters
    ----------
    settings : AnalysisSettings, optional
        Starting settings (default: the remembered ones).
    analyze : callable, optional
        Analysis function given to the engine (tests inject fakes).
    remember : bool
        Whether to read and write settings and window layout with ``QSettings``, and to
        use the session store (results cache, crash-safe sessions).
    store : core.batch.store.ResultStore, optional
        The session store to use (default: the user's, when ``remember``).
    """

    #: ``(path, error)`` an export ended; ``error`` is empty on success.
    exported = Signal(str, str)
    #: The window accepted to close (workers were asked to stop).
    closed = Signal()
    #: Shortest interval (ms) between two updates of the actions while rows are added.
    ACTIONS_INTERVAL_MS = 150

    def __init__(self, settings: AnalysisSettings | None = None, *, analyze=None,
                 remember: bool = True, store=None, parent=None):
        super().__init__(parent)
        # Workers running Python code hold the GIL for up to the switch interval each time
        # the GUI thread asks for it (once per model or paint call); a short interval keeps
        # the window responsive while songs are analyzed.
        sys.setswitchinterval(min(sys.getswitchinterval(), 0.00005))
        self.remember = remember
        if settings is None:
            settings = load_settings() if remember else AnalysisSettings()
        self.confirm_quit = True
        self._start_after_scan = False
        #: How long closing the window waits for workers to stop (ms).
        self.shutdown_timeout_ms = 3000
        self.stuck_workers = False
        self.store = store if store is not None else (_open_store() if remember else None)
        self.engine = BatchEngine(settings, analyze=analyze, store=self.store, parent=self)
        #: Reference sheet, match and calibration; once a sheet is loaded it follows the
        #: batch (new songs and results reach it at most once a second).
        self.calibration = CalibrationController(self, settings=settings)
        self._following = False
        self.setWindowTitle("SongCal")
        self.setAcceptDrops(True)
        self.resize(1400, 900)

        self.model = SongTableModel(self.engine, self, calibration=self.calibration)
        self.proxy = SongFilterProxy(self)
        self.proxy.setSourceModel(self.model)
        self.table = SongTableView()
        self.table.setModel(self.proxy)
        self.banner = StallBanner(self.engine)
        self.resume_banner = ResumeBanner()
        self.workers = WorkerPanel(self.engine)
        self.log_panel = LogPanel()
        self.plots = None  # created lazily (pyqtgraph) by _make_plots
        self.bottom_tabs = QTabWidget()
        self.bottom_tabs.setDocumentMode(True)
        self.bottom_tabs.addTab(self.workers, "Workers")
        self._plots_holder = QWidget()
        QVBoxLayout(self._plots_holder).setContentsMargins(0, 0, 0, 0)
        self.bottom_tabs.addTab(self._plots_holder, "Batch plots")
        self.calibration_view = None  # created by _make_calibration_view (pyqtgraph)
        self._calibration_holder = QWidget()
        QVBoxLayout(self._calibration_holder).setContentsMargins(0, 0, 0, 0)
        self.bottom_tabs.addTab(self._calibration_holder, "Calibration")
        self.bottom_tabs.addTab(self.log_panel, "Log")
        self._make_plots()
        self._make_calibration_view()
        self.bottom_tabs.currentChanged.connect(self._on_tab_changed)

        top = QWidget()
        top_lay = QVBoxLayout(top)
        top_lay.setContentsMargins(6, 6, 6, 0)
        top_lay.setSpacing(4)
        top_lay.addWidget(self.resume_banner)
        top_lay.addWidget(self.banner)
        top_lay.addWidget(self.table, 1)
        self.splitter = QSplitter(Qt.Orientation.Vertical)
        self.splitter.addWidget(top)
        self.splitter.addWidget(self.bottom_tabs)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setSizes([600, 260])
        self.setCentralWidget(self.splitter)

        self._make_actions()
        self._make_menus_and_toolbar()
        self._make_status_bar()

        eng = self.engine
        eng.stateChanged.connect(self._update_actions)
        eng.jobsAdded.connect(self._on_jobs_added)
        eng.cleared.connect(self._update_actions)
        eng.batchFinished.connect(self._on_finished)
        eng.scanFinished.connect(self._on_scan_finished)
        eng.stalled.connect(lambda _id: self.banner.refresh())
        self.banner.skipRequested.connect(eng.skip)
        self.table.skipRequested.connect(lambda ids: [eng.skip(i) for i in ids])
        self.table.retryRequested.connect(eng.requeue)
        self.resume_banner.resumeRequested.connect(self._resume_session)
        self.resume_banner.dismissed.connect(self._dismiss_session)
        cal = self.calibration
        cal.referenceLoaded.connect(self._on_reference_loaded)
        cal.failed.connect(self._on_calibration_failed)
        cal.exported.connect(self._on_calibration_exported)
        cal.profileApplied.connect(
            lambda s: log.info("calibration profile %s applied", s.path))
        cal.busyChanged.connect(self._update_actions)

        self._rows_actions_at = 0.0  # when added rows last updated the actions
        self._actions_timer = QTimer(self)
        self._actions_timer.setSingleShot(True)
        self._actions_timer.setInterval(self.ACTIONS_INTERVAL_MS)
        self._actions_timer.timeout.connect(self._update_actions)
        self.ui_timer = QTimer(self)
        self.ui_timer.setInterval(400)
        self.ui_timer.timeout.connect(self._refresh_ui)
        self.ui_timer.start()
        self.plot_timer = QTimer(self)
        self.plot_timer.setInterval(500)
        self.plot_timer.timeout.connect(self._refresh_plots)
        self.plot_timer.start()
        if remember:
            self._restore_layout()
        self._update_actions()
        self._refresh_ui()
        # What exists once the window is built (modules, Qt wrappers, settings) lives for the
        # whole session: keep it out of the garbage collector's full passes, which would
        # otherwise walk it again and again (tens of ms each, holding every thread) while a
        # drop adds thousands of rows.
        gc.freeze()

    # -- construction -----------------------------------------------------------------------
    def _make_plots(self) -> None:
        try:
            from gui.plots import BatchPlots
        except Exception:  # pyqtgraph missing or broken: the rest of the window still works
            log.exception("live plots unavailable")
            self._plots_holder.layout().addWidget(QLabel("Live plots unavailable (see the log)."))
            return
        self.plots = BatchPlots(self.engine)
        self._plots_holder.layout().addWidget(self.plots)

    def _make_calibration_view(self) -> None:
        try:
            from gui.calibration_view import CalibrationView
        except Exception:  # pyqtgraph missing or broken: the table still shows the reference
            log.exception("calibration view unavailable")
            self._calibration_holder.layout().addWidget(
                QLabel("Calibration view unavailable (see the log)."))
            return
        self.calibration_view = CalibrationView(self.calibration)
        # In a scroll area, so that its plots do not force a tall bottom pane on the other
        # tabs (a tab widget is as tall as its tallest page's minimum).
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(self.calibration_view)
        self._calibration_holder.layout().addWidget(scroll)

    def _act(self, text, slot, shortcut=None, icon=None, tip=None) -> QAction:
        a = QAction(text, self)
        if shortcut is not None:
            a.setShortcut(QKeySequence(shortcut))
        if icon is not None:
            a.setIcon(self.style().standardIcon(icon))
        if tip:
            a.setStatusTip(tip)
            a.setToolTip(f"{tip} ({a.shortcut().toString(QKeySequence.SequenceFormat.NativeText)})"
                         if shortcut is not None else tip)
        a.triggered.connect(slot)
        return a

    def _make_actions(self) -> None:
        SP = QStyle.StandardPixmap
        self.add_files_action = self._act("Add &Files\u2026", self.add_files_dialog,
                                          QKeySequence.StandardKey.Open, SP.SP_FileIcon,
                                          "Add audio files")
        self.add_folder_action = self._act("Add F&older\u2026", self.add_folder_dialog,
                                           "Ctrl+Shift+O", SP.SP_DirIcon,
                                           "Add every audio file in a folder and its subfolders")
        self.clear_action = self._act("&Clear", self.clear, "Ctrl+Shift+Backspace",
                                      SP.SP_DialogResetButton, "Remove every song from the list")
        self.export_action = self._act("&Export Results\u2026", self.export_dialog,
                                       "Ctrl+E", SP.SP_DialogSaveButton,
                                       "Write the results CSV")
        self.settings_action = self._act("&Settings\u2026", self.settings_dialog,
                                         QKeySequence.StandardKey.Preferences, None,
                                         "Workers, time budget, chunk length, sample rate")
        if self.settings_action.shortcut().isEmpty():
            self.settings_action.setShortcut(QKeySequence("Ctrl+,"))
        self.quit_action = self._act("&Quit", self.close, QKeySequence.StandardKey.Quit)
        self.start_action = self._act("&Start", self.start, "F5", SP.SP_MediaPlay,
                                      "Analyze the queued songs")
        self.pause_action = self._act("&Pause", self.toggle_pause, "F6", SP.SP_MediaPause,
                                      "Start no new song until resumed")
        self.pause_action.setCheckable(True)
        self.cancel_action = self._act("&Cancel", self.engine.cancel, "Shift+F5",
                                       SP.SP_MediaStop, "Stop the batch")
        self.retry_action = self._act("&Retry Failed", self.engine.retry_failed,
                                      "Ctrl+Shift+R", SP.SP_BrowserReload,
                                      "Analyze failed, timed-out, cancelled and skipped songs again")
        self.force_action = self._act("&Force Fresh Analysis", self.engine.force_fresh, None,
                                      None, "Analyze every song again, ignoring earlier results")
        self.about_action = self._act("&About SongCal", self.about)
        self.load_reference_action = self._act(
            "Load &Reference\u2026", self.load_reference_dialog, "Ctrl+R",
            SP.SP_FileDialogDetailedView,
            "Read a reference sheet (CSV) to compare the results with; or drop one here")
        self.export_calibration_action = self._act(
            "Export &Calibration\u2026", self.export_calibration_dialog, "Ctrl+Shift+E", None,
            "Write the calibration CSV, the results paired with the reference, the "
            "mismatches and a profile into a folder")
        self.apply_profile_action = self._act(
            "Apply &Profile\u2026", self.apply_profile_dialog, None, None,
            "Apply a saved calibration profile to these results")
        self.matches_action = self._act(
            "&Matches\u2026", self.open_match_dialog, "Ctrl+M", None,
            "Pair unmatched songs with reference rows by hand")
        self.fit_action = self._act("&Fit Calibration", self.calibration.fit, "Ctrl+Shift+F",
                                    None, "Fit a correction per descriptor")

    def _make_menus_and_toolbar(self) -> None:
        mb = self.menuBar()
        f = mb.addMenu("&File")
        for a in (self.add_files_action, self.add_folder_action, self.clear_action, None,
                  self.load_reference_action, self.apply_profile_action, None,
                  self.export_action, self.export_calibration_action, None,
                  self.settings_action, None, self.quit_action):
            f.addSeparator() if a is None else f.addAction(a)
        e = mb.addMenu("&Edit")
        e.addAction(self.table.copy_action)
        sel_all = self._act("Select &All", self.table.selectAll, QKeySequence.StandardKey.SelectAll)
        e.addAction(sel_all)
        b = mb.addMenu("&Batch")
        for a in (self.start_action, self.pause_action, self.cancel_action, None,
                  self.retry_action, self.force_action):
            b.addSeparator() if a is None else b.addAction(a)
        c = mb.addMenu("&Calibration")
        for a in (self.load_reference_action, self.matches_action, self.fit_action,
                  self.export_calibration_action, self.apply_profile_action):
            c.addAction(a)
        v = mb.addMenu("&View")
        for i, name in enumerate(("Workers", "Batch plots", "Calibration", "Log")):
            a = self._act(f"Show {name}", lambda _=False, i=i: self.bottom_tabs.setCurrentIndex(i),
                          f"Ctrl+{i + 1}")
            v.addAction(a)
        h = mb.addMenu("&Help")
        h.addAction(self._act("Open &Demo Deck", lambda: open_demo_deck(self), None, None,
                              "Analyze and calibrate the bundled demo deck"))
        h.addAction(self._act("&Check Installation\u2026", lambda: show_report(self)))
        h.addAction(self.about_action)

        tb = QToolBar("Main")
        tb.setObjectName("mainToolbar")
        tb.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        tb.setMovable(False)
        for a in (self.add_files_action, self.add_folder_action, self.clear_action, None,
                  self.start_action, self.pause_action, self.cancel_action, self.retry_action,
                  None, self.load_reference_action, None, self.export_action,
                  self.export_calibration_action, self.settings_action):
            tb.addSeparator() if a is None else tb.addAction(a)
        spacer = QWidget()
        spacer.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        tb.addWidget(spacer)
        self.filter_combo = QComboBox()
        self.filter_combo.addItems(list(STATUS_FILTERS))
        self.filter_combo.setToolTip("Show songs in these states")
        self.filter_combo.currentTextChanged.connect(
            lambda t: self.proxy.set_states(STATUS_FILTERS[t]))
        self.search = QLineEdit()
        self.search.setPlaceholderText("Filter title, artist, file")
        self.search.setClearButtonEnabled(True)
        self.search.setFixedWidth(220)
        self.search.textChanged.connect(self.proxy.set_text)
        find = QAction(self)
        find.setShortcut(QKeySequence.StandardKey.Find)
        find.triggered.connect(lambda: self.search.setFocus())
        self.addAction(find)
        tb.addWidget(self.filter_combo)
        tb.addWidget(self.search)
        self.addToolBar(tb)

    def _make_status_bar(self) -> None:
        sb = self.statusBar()
        self.state_label = QLabel()
        self.count_label = QLabel()
        self.rate_label = QLabel()
        self.eta_label = QLabel()
        for w in (self.state_label, self.count_label, self.rate_label, self.eta_label):
            w.setContentsMargins(8, 0, 8, 0)
            sb.addPermanentWidget(w)

    # -- adding songs -----------------------------------------------------------------------
    def add_paths(self, paths) -> None:
        """Add files and folders (folders recursively); the scan runs off the GUI thread."""
        paths = [os.fspath(p) for p in paths]
        if paths:
            log.info("adding %s", ", ".join(paths) if len(paths) <= 3
                     else f"{len(paths)} paths")
            self.engine.add_paths(paths)

    def add_files_dialog(self) -> None:
        pattern = " ".join(f"*{e}" for e in sorted(AUDIO_EXTENSIONS))
        files, _ = QFileDialog.getOpenFileNames(self, "Add audio files", self._last_dir(),
                                                f"Audio files ({pattern});;All files (*)")
        if files:
            self._remember_dir(os.path.dirname(files[0]))
            self.add_paths(files)

    def add_folder_dialog(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Add a folder of songs", self._last_dir())
        if folder:
            self._remember_dir(folder)
            self.add_paths([folder])

    def _last_dir(self) -> str:
        return str(QSettings().value("ui/last_dir", os.path.expanduser("~"))) \
            if self.remember else os.path.expanduser("~")

    def _remember_dir(self, folder: str) -> None:
        if self.remember:
            QSettings().setValue("ui/last_dir", folder)

    def clear(self) -> None:
        if self.engine.is_running:
            self.statusBar().showMessage("Cancel the batch before clearing the list.", 4000)
            return
        self.engine.clear()

    def dragEnterEvent(self, event):  # noqa: N802 - Qt API
        if event.mimeData().hasUrls() and any(u.isLocalFile() for u in event.mimeData().urls()):
            event.acceptProposedAction()
        else:
            event.ignore()

    dragMoveEvent = dragEnterEvent

    def dropEvent(self, event):  # noqa: N802 - Qt API
        paths = [u.toLocalFile() for u in event.mimeData().urls() if u.isLocalFile()]
        if not paths:
            event.ignore()
            return
        event.acceptProposedAction()
        sheets = [p for p in paths if is_reference_file(p)]
        if sheets:
            if len(sheets) > 1:
                log.warning("%d reference sheets dropped; loading %s only", len(sheets),
                            os.path.basename(sheets[0]))
            self.load_reference(sheets[0])
        self.add_paths([p for p in paths if p not in sheets])

    # -- calibration ------------------------------------------------------------------------
    def load_reference(self, path) -> None:
        """Read a reference sheet in the background; its columns join the table once read."""
        path = os.fspath(path)
        log.info("loading reference sheet %s", path)
        self.statusBar().showMessage(f"Reading the reference sheet {os.path.basename(path)}\u2026",
                                     4000)
        self.calibration.load_reference(path)

    def load_reference_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Load reference sheet", self._last_dir(),
                                              "Reference sheets (*.csv *.tsv *.txt);;"
                                              "All files (*)")
        if path:
            self._remember_dir(os.path.dirname(path))
            self.load_reference(path)

    def export_calibration_dialog(self) -> None:
        if not self.calibration.has_reference:
            self.statusBar().showMessage("Load a reference sheet first (Ctrl+R).", 4000)
            return
        folder = QFileDialog.getExistingDirectory(self, "Export calibration to folder",
                                                  self._last_dir())
        if folder:
            self._remember_dir(folder)
            self.export_calibration(folder)

    def export_calibration(self, folder) -> None:
        """Write the calibration files into ``folder`` in the background (the controller's
        :meth:`~gui.calibration_controller.CalibrationController.export`)."""
        self.calibration.sync_engine()
        self.calibration.export(folder)

    def apply_profile_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Apply calibration profile",
                                              self._last_dir(),
                                              "Calibration profiles (*.json);;All files (*)")
        if path:
            self._remember_dir(os.path.dirname(path))
            self.calibration.sync_engine()
            self.calibration.apply_profile(path)
            self.show_calibration()

    def open_match_dialog(self):
        """Open the manual match dialog (non-modal); returns it (None without the view)."""
        if self.calibration_view is None:
            return None
        return self.calibration_view.open_match_dialog()

    def show_calibration(self) -> None:
        """Bring the Calibration tab to the front."""
        self.bottom_tabs.setCurrentWidget(self._calibration_holder)

    #: Least height (px) the bottom pane grows to when the Calibration tab is shown.
    CALIBRATION_MIN_HEIGHT = 420

    def _on_tab_changed(self, index: int) -> None:
        # The calibration plots need room: grow the bottom pane when it is too small to
        # show them (the user can drag the splitter back).
        if self.bottom_tabs.widget(index) is not self._calibration_holder:
            return
        top, bottom = self.splitter.sizes()
        total = top + bottom
        need = self.CALIBRATION_MIN_HEIGHT
        if self.calibration_view is not None:  # the whole view without scrolling
            need = max(need, self.calibration_view.minimumSizeHint().height()
                       + self.bottom_tabs.tabBar().sizeHint().height() + 24)
        want = min(need, total - 160)  # keep a few rows of the song table in sight
        if bottom < want:
            self.splitter.setSizes([total - want, want])

    def _on_reference_loaded(self, summary) -> None:
        if not self._following:  # results are gathered only once there is a sheet
            self._following = True
            self.calibration.follow_engine(self.engine)
        log.info("reference sheet %s", summary)
        for w in summary.warnings:
            log.warning("reference sheet %s: %s", summary.name, w)
        if summary.bad_rows:
            log.warning("reference sheet %s: %d rows left out", summary.name,
                        len(summary.bad_rows))
        self.statusBar().showMessage(f"Reference {summary}", 8000)
        self._update_actions()

    def _on_calibration_failed(self, message: str) -> None:
        log.error("%s", message)
        self.statusBar().showMessage(message, 10000)

    def _on_calibration_exported(self, paths: dict) -> None:
        folder = os.path.dirname(next(iter(paths.values()))) if paths else ""
        log.info("calibration written to %s: %s", folder,
                 ", ".join(os.path.basename(p) for p in paths.values()))
        self.statusBar().showMessage(f"Calibration written to {folder}", 6000)

    # -- interrupted sessions ---------------------------------------------------------------
    def offer_resume(self) -> bool:
        """Offer to resume the last batch if it never ended; True when offered."""
        if self.store is None:
            return False
        try:
            session = self.store.unfinished_session()
        except Exception:
            log.exception("could not read the session store")
            return False
        if not session or not session.get("paths"):
            return False
        self.resume_banner.offer(session)
        return True

    def _resume_session(self, paths: list) -> None:
        session = self.resume_banner.session
        if session is not None and self.store is not None:
            self.store.end_session(session["id"])  # the resumed batch gets a session of its own
        log.info("resuming an interrupted batch of %d songs", len(paths))
        self._start_after_scan = True
        self.add_paths(paths)

    def _dismiss_session(self) -> None:
        session = self.resume_banner.session
        if session is not None and self.store is not None:
            self.store.end_session(session["id"])

    def _on_scan_finished(self, _n: int) -> None:
        self.proxy.resort()
        self._update_actions()
        if self._start_after_scan and not self.engine.is_scanning:
            self._start_after_scan = False
            self.engine.start()

    # -- batch control ------------------------------------------------------------------------
    def start(self) -> None:
        if not self.engine.start():
            self.statusBar().showMessage("No queued songs: add files or folders first.", 4000)

    def toggle_pause(self) -> None:
        if self.engine.state == EngineState.PAUSED:
            self.engine.resume()
        else:
            self.engine.pause()

    def settings_dialog(self) -> None:
        dlg = SettingsDialog(self.engine.settings, self)
        if dlg.exec():
            s = dlg.settings()
            self.engine.set_settings(s)
            self.calibration.set_settings(s)
            if self.remember:
                save_settings(s)
            log.info("settings: %s", ", ".join(f"{k}={v}" for k, v in s.to_dict().items()))
            if self.engine.is_running:
                self.statusBar().showMessage("New settings apply to the next batch.", 5000)
            self.workers.refresh()

    # -- exports ----------------------------------------------------------------------------
    def export_dialog(self) -> None:
        if not self.engine.batch.jobs:
            self.statusBar().showMessage("Nothing to export yet.", 4000)
            return
        path, _ = QFileDialog.getSaveFileName(
            self, "Export results", os.path.join(self._last_dir(), "results.csv"),
            "CSV files (*.csv)")
        if path:
            self.export_results(path)

    def export_results(self, path) -> None:
        """Write the results CSV off the GUI thread; :attr:`exported` tells when it is done."""
        path = os.fspath(path)
        batch = self.engine.batch

        def done(result, error):
            if error:
                log.error("could not write %s: %s", path, error)
                self.statusBar().showMessage(f"Export failed: {error}", 8000)
            else:
                log.info("results written to %s", path)
                self.statusBar().showMessage(f"Results written to {path}", 6000)
            self.exported.emit(path, error or "")

        self.engine.run_task(lambda: write_results_csv(path, batch), done)

    # -- live refresh -------------------------------------------------------------------------
    def _on_jobs_added(self, first: int, count: int) -> None:
        # A scan adds rows many times a second: update the actions at once the first time,
        # then at most every ACTIONS_INTERVAL_MS (each update looks at every song).
        if self._actions_timer.isActive():
            return
        now = time.monotonic()
        if now - self._rows_actions_at >= self.ACTIONS_INTERVAL_MS / 1000:
            self._rows_actions_at = now
            self._update_actions()
        else:
            self._actions_timer.start()

    def _on_finished(self) -> None:
        c = self.engine.batch.counts()
        self.statusBar().showMessage(
            f"Batch finished: {c[SongState.DONE]} done, "
            f"{c[SongState.FAILED] + c[SongState.TIMED_OUT]} failed or timed out.", 10000)
        self.proxy.resort()
        self.proxy.refilter()
        self._refresh_ui()
        self._refresh_plots(force=True)

    def _refresh_ui(self) -> None:
        eng = self.engine
        batch = eng.batch
        c = batch.counts()
        total = len(batch.jobs)
        ended = sum(c[s] for s in TERMINAL_STATES)
        bad = c[SongState.FAILED] + c[SongState.TIMED_OUT]
        extra = f" \u00b7 {bad} failed" if bad else ""
        if c[SongState.STALLED]:
            extra += f" \u00b7 {c[SongState.STALLED]} stalled"
        self.count_label.setText(f"{c[SongState.DONE]} done / {total} songs"
                                 f" ({ended} ended){extra}")
        rate = batch.rate_per_minute()
        self.rate_label.setText(f"{rate:.1f} songs/min" if batch.started_at else "")
        self.eta_label.setText(f"ETA {fmt_eta(batch.eta_s())}" if eng.is_running else "")
        state = eng.state
        if eng.is_scanning:
            state += " \u00b7 scanning"
        self.state_label.setText(state.capitalize())
        self.setWindowTitle(f"SongCal \u2014 {total} songs" if total else "SongCal")
        self.banner.refresh()
        if eng.is_running:
            self.proxy.refilter()
        if self.workers.isVisible():
            self.workers.refresh()
        self._update_actions()

    def _refresh_plots(self, force: bool = False) -> None:
        if self.plots is not None and (force or self.plots.isVisible()):
            self.plots.refresh()

    def _update_actions(self, *_):
        self._actions_timer.stop()
        eng = self.engine
        jobs = eng.batch.jobs
        states = {j.state for j in jobs}  # one pass over the songs
        queued = SongState.QUEUED in states
        ended = not states.isdisjoint(TERMINAL_STATES)
        retryable = not states.isdisjoint(_RETRYABLE)
        running = eng.is_running
        self.start_action.setEnabled(queued and eng.state in (EngineState.IDLE,
                                                              EngineState.PAUSED))
        self.pause_action.setEnabled(eng.state in (EngineState.RUNNING, EngineState.PAUSED))
        self.pause_action.setChecked(eng.state == EngineState.PAUSED)
        self.pause_action.setText("&Resume" if eng.state == EngineState.PAUSED else "&Pause")
        self.cancel_action.setEnabled(running and eng.state != EngineState.CANCELLING)
        self.retry_action.setEnabled(retryable and eng.state != EngineState.CANCELLING)
        self.force_action.setEnabled(ended and not running)
        self.clear_action.setEnabled(bool(jobs) and not running)
        self.export_action.setEnabled(bool(jobs))
        cal = self.calibration
        self.load_reference_action.setEnabled(not cal.busy)
        self.export_calibration_action.setEnabled(cal.has_reference and bool(jobs)
                                                  and not cal.busy)
        self.fit_action.setEnabled(cal.has_reference and bool(jobs) and not cal.busy)
        self.apply_profile_action.setEnabled(bool(jobs) and not cal.busy)
        self.matches_action.setEnabled(cal.match is not None
                                       and self.calibration_view is not None)

    # -- about and quitting -------------------------------------------------------------------
    def about(self) -> None:
        QMessageBox.about(self, "About SongCal", about_text())

    def closeEvent(self, event):  # noqa: N802 - Qt API
        if self.engine.is_running and self.confirm_quit:
            answer = QMessageBox.question(
                self, "Quit SongCal",
                "A batch is running. Stop it and quit? Songs already analyzed are kept.",
                QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
                QMessageBox.StandardButton.No)
            if answer != QMessageBox.StandardButton.Yes:
                event.ignore()
                return
        self.ui_timer.stop()
        self.plot_timer.stop()
        if self.remember:
            self._save_layout()
        # The calibration tasks first (they end quickly and then emit nothing), then the
        # batch workers.
        self.calibration.shutdown(timeout_ms=self.shutdown_timeout_ms)
        self.stuck_workers = not self.engine.shutdown(timeout_ms=self.shutdown_timeout_ms)
        if self.store is not None and not self.stuck_workers:
            self.store.close()
        self.log_panel.detach()
        event.accept()
        self.closed.emit()

    def _save_layout(self) -> None:
        qs = QSettings()
        qs.setValue("ui/geometry", self.saveGeometry())
        qs.setValue("ui/state", self.saveState())
        qs.setValue("ui/splitter", self.splitter.saveState())
        # The reference columns come and go with the sheet: the remembered table layout
        # is the one without them.
        self.model.clear_reference_columns()
        qs.setValue("ui/table_header", self.table.horizontalHeader().saveState())
        qs.setValue("ui/table_columns", self.model.columnCount())

    def _restore_layout(self) -> None:
        qs = QSettings()
        restore = [("ui/geometry", self.restoreGeometry), ("ui/state", self.restoreState),
                   ("ui/splitter", self.splitter.restoreState)]
        try:
            n_cols = int(qs.value("ui/table_columns", self.model.columnCount()))
        except (TypeError, ValueError):
            n_cols = -1
        if n_cols == self.model.columnCount():  # a layout of other columns would not fit
            restore.append(("ui/table_header", self.table.horizontalHeader().restoreState))
        for key, fn in restore:
            value = qs.value(key)
            if value is not None:
                fn(value)


def _open_store():
    try:
        from core.batch.store import ResultStore

        return ResultStore()
    except Exception:  # no store: analysis still works, results are just not cached
        log.exception("session store unavailable")
        return None


def about_text() -> str:
    """The About box text, with the versions of the main libraries."""
    from PySide6 import __version__ as pyside_version
    from PySide6.QtCore import qVersion

    def ver(name):
        try:
            return metadata.version(name)
        except metadata.PackageNotFoundError:
            return "not installed"

    libs = ", ".join(f"{n} {ver(n)}" for n in ("numpy", "scipy", "librosa", "soundfile", "av",
                                                  "pyqtgraph"))
    return (f"<h3>SongCal {__version__}</h3>"
            "<p>Analyze decks of songs, compare them with a reference sheet and export "
            "calibrations.</p>"
            f"<p>Python {platform.python_version()} ({sys.platform}), Qt {qVersion()}, "
            f"PySide6 {pyside_version}<br>{libs}</p>")
