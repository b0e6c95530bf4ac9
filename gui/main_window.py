"""The SongCal main window: drop songs, run a batch, watch it live, export the results, and
calibrate against a reference sheet (load one with Ctrl+R or drop a CSV on the window).

The window is built from parts, one module per job, each a mixin of :class:`MainWindow`:

==============================  ===========================================================
:mod:`gui.window_actions`       actions, menus, toolbar, status bar; when actions are enabled
:mod:`gui.window_songs`         adding songs: file dialogs, drag and drop, clearing the list
:mod:`gui.window_calibration`   the reference sheet, the Calibration tab and its actions
:mod:`gui.window_exports`       the results CSV
:mod:`gui.window_session`       the session store: the library, resuming, new sessions, undo
:mod:`gui.window_lists`         Open Earlier List: a list the session store keeps, brought back
:mod:`gui.window_layout`        the window's size, the bottom pane per tab, the columns
:mod:`gui.window_rows`          actions on the selected songs: preview, corrections, time
==============================  ===========================================================

This module builds the widgets, connects the engine (:class:`gui.engine.BatchEngine`, the
one object that runs the batch), drives the batch from the user's commands and refreshes
the status and plots from timers.  Process-wide settings are made before the window is built,
by :mod:`gui.startup`.
"""

from __future__ import annotations

import dataclasses
import logging
import time

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QLabel,
    QMainWindow,
    QMessageBox,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from core.batch.rules import SongState
from core.settings import AnalysisSettings, tempo_range_text
from gui.announce import batch_progress_text
from gui.chunk_view import ChunkView
from gui.engine import BatchEngine, EngineState
from gui.focus_ring import FocusRing
from gui.formatting import fmt_eta, plain_tip
from gui.log_panel import LogPanel
from gui.plots import BatchPlots
from gui.resume_banner import ResumeBanner
from gui.settings_dialog import (
    SettingsDialog,
    cluster_choice,
    fit_workers_to_memory,
    flat_keys,
    load_settings,
    save_settings,
)
from gui.song_filter import SongFilterProxy
from gui.song_table import SongTableModel
from gui.song_view import SongTableView
from gui.stall_banner import StallBanner
from gui.status_notice import StatusNotice
from gui.store_banner import StoreBanner, store_news
from gui.table_bar import TableBar
from gui.window_actions import STATUS_FILTERS, ActionsMixin
from gui.window_calibration import CalibrationMixin
from gui.window_exports import ExportMixin, write_results_csv
from gui.window_layout import LayoutMixin
from gui.window_lists import ListsMixin
from gui.window_rows import RowActionsMixin
from gui.window_session import SessionMixin, open_store_why
from gui.window_songs import SongInputMixin
from gui.worker_panel import WorkerPanel

__all__ = ["MainWindow", "STATUS_FILTERS", "write_results_csv"]

log = logging.getLogger(__name__)


class MainWindow(ActionsMixin, SongInputMixin, CalibrationMixin, ExportMixin, SessionMixin,
                 ListsMixin, LayoutMixin, RowActionsMixin, QMainWindow):
    """The window.

    Parameters
    ----------
    settings : AnalysisSettings, optional
        Starting settings (default: the remembered ones).
    analyze : AnalyzeFn, optional
        Analysis function given to the engine (tests inject fakes).
    remember : bool
        Whether to read and write settings and window layout with ``QSettings``, and to
        use the session store (results cache, crash-safe sessions).
    store : core.batch.store.ResultStore, optional
        The session store to use (default: the user's, when ``remember``); the window's
        list of songs is kept there as a library (:mod:`gui.library`).
    audio_output : object, optional
        Where song previews play (:class:`gui.preview.AudioPreview`; tests pass a fake).
    """

    #: ``(path, error)`` an export ended; ``error`` is empty on success.
    exported = Signal(str, str)
    #: The window accepted to close (workers were asked to stop).
    closed = Signal()
    #: Shortest interval (ms) between two updates of the actions while rows are added.
    ACTIONS_INTERVAL_MS = 150
    #: How long (ms) the status bar's message says what a cluster's warning means (the
    #: warning itself stays beside the counts while the songs run on that cluster).
    CLUSTER_WARNING_MS = 30000

    def __init__(self, settings: AnalysisSettings | None = None, *, analyze=None,
                 remember: bool = True, store=None, audio_output=None, parent=None):
        super().__init__(parent)
        self.remember = remember
        if settings is None:
            settings = load_settings() if remember else AnalysisSettings()
        self.confirm_quit = True
        self._start_after_scan = False
        #: How long closing the window waits for workers to stop (ms).
        self.shutdown_timeout_ms = 3000
        self.stuck_workers = False
        #: Why the session store could not be opened ("" when it is open or not wanted).
        self.store_error = ""
        if store is None and remember:
            store, self.store_error = open_store_why()
        self.store = store
        self.engine = BatchEngine(settings, analyze=analyze, store=self.store, parent=self)
        self._make_calibration(settings)
        self.setWindowTitle("SongCal")
        self.setAcceptDrops(True)
        self.resize(1280, 720)

        self.model = SongTableModel(self.engine, self, calibration=self.calibration)
        self.proxy = SongFilterProxy(self)
        self.proxy.setSourceModel(self.model)
        self.table = SongTableView()
        self.table.setModel(self.proxy)
        self.banner = StallBanner(self.engine, self.table)
        self.resume_banner = ResumeBanner()
        self.store_banner = StoreBanner()
        self.store_label: QLabel | None = None
        self._store_said = ""  # the store's news in the bar (gui.store_banner.store_news)
        self._store_kind = ""
        self.workers = WorkerPanel(self.engine)
        self.workers.setTabKeyNavigation(False)  # Tab leaves the panel
        self.log_panel = LogPanel()
        self.plots = BatchPlots(self.engine)
        self.bottom_tabs = QTabWidget()
        self.bottom_tabs.setDocumentMode(True)
        self.bottom_tabs.addTab(self.workers, "Workers")
        self._plots_holder = QWidget()
        plots_lay = QVBoxLayout(self._plots_holder)
        plots_lay.setContentsMargins(0, 0, 0, 0)
        plots_lay.addWidget(self.plots)
        self.bottom_tabs.addTab(self._plots_holder, "Batch Plots")
        self._make_calibration_tab()
        self.calibration_view.summary_table.setTabKeyNavigation(False)
        self.bottom_tabs.addTab(self.log_panel, "Log")
        self.chunk_view = ChunkView()
        self.bottom_tabs.addTab(self.chunk_view, "Chunks")

        self._make_actions()
        self.table_bar = TableBar(STATUS_FILTERS, self.row_bar_actions)
        self.filter_combo, self.search = self.table_bar.filter_combo, self.table_bar.search
        top = QWidget()
        top_lay = QVBoxLayout(top)
        top_lay.setContentsMargins(6, 4, 6, 0)
        top_lay.setSpacing(4)
        top_lay.addWidget(self.store_banner)
        top_lay.addWidget(self.resume_banner)
        top_lay.addWidget(self.table_bar)
        top_lay.addWidget(self.table, 1)
        self.splitter = QSplitter(Qt.Orientation.Vertical)
        self.splitter.setChildrenCollapsible(False)
        self.splitter.addWidget(top)
        self.splitter.addWidget(self.bottom_tabs)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 1)
        self.setCentralWidget(self.splitter)

        self._make_menus()
        self._make_toolbar()
        self._make_status_bar()
        # the store's countdown, while its bar is dismissed
        self.statusBar().addPermanentWidget(self.store_banner.status_button)
        # a cluster's warning, first of the permanent widgets: no later message covers it
        self.cluster_notice = StatusNotice()
        self.statusBar().insertPermanentWidget(0, self.cluster_notice)
        self._connect_filters()
        self._init_layout()
        self.split_for_height(self.height())
        self.focus_ring = FocusRing(self)
        self._init_rows(audio_output)
        self.setTabOrder(self.search, self.table)

        eng = self.engine
        eng.stateChanged.connect(self._update_actions)
        eng.jobsAdded.connect(self._on_jobs_added)
        eng.cleared.connect(self._update_actions)
        eng.jobsRemoved.connect(self._update_actions)
        eng.batchFinished.connect(self._on_finished)
        eng.scanFinished.connect(self._on_scan_finished)
        # Slots are methods, not lambdas: a lambda holding the window, connected to a signal
        # of one of its children, keeps the window alive after its last reference goes.
        eng.scanSummary.connect(self._on_scan_summary)
        eng.stalled.connect(self._on_stalled)
        eng.clusterFailed.connect(self._on_cluster_failed)
        eng.clusterWarned.connect(self._tell_cluster_warning)
        eng.clusterLeft.connect(self.cluster_notice.clear)  # (what it said is past)
        self.banner.skipRequested.connect(eng.skip)
        self.banner.moreTimeRequested.connect(self.give_more_time)
        self.table.skipRequested.connect(self._skip_songs)
        self.table.retryRequested.connect(self.analyze_songs_again)
        self.resume_banner.resumeRequested.connect(self._resume_session)
        self.resume_banner.dismissed.connect(self._dismiss_session)
        self._connect_calibration()
        self._init_session()

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
        self.plot_timer.setInterval(170)  # one of the three plots per tick: each every ~0.5 s
        self.plot_timer.timeout.connect(self._refresh_plots)
        self.plot_timer.start()
        if remember:
            self._restore_layout()
            self.spell_keys(flat_keys())
        if self.store_error:
            self._tell_store_unavailable()
        self._update_actions()
        self._refresh_ui()

    def _tell_cluster_warning(self, message: str) -> None:
        """Say a cluster's warning: its first clause (the worker with an older SongCal,
        named) beside the status bar's counts, where a later message cannot cover it, for
        as long as the songs run on that cluster (``clusterLeft`` takes it back) or until
        the user closes it; the rest (what it means, what to do) as a message for
        :attr:`CLUSTER_WARNING_MS`.  The notice's tip says it whole."""
        lead, _, rest = message.partition(": ")
        self.cluster_notice.say(lead, tooltip=message)
        if rest:
            self.statusBar().showMessage(rest[:1].upper() + rest[1:], self.CLUSTER_WARNING_MS)

    def _tell_store_unavailable(self) -> None:
        """Say, for as long as the window is open, that this list will not be kept."""
        if "newer SongCal" in self.store_error:
            text = (f"Your session store {self.store_error}. This window works without a "
                    "store: what you analyze here is not kept for the next start (export "
                    "it), and earlier results are not reused. Settings \u25b8 Session "
                    "store file can name another file for the next start.")
        else:
            text = (f"The session store cannot be opened ({self.store_error}): songs and "
                    "results of this window will not be kept for the next start; export "
                    "them.")
            if "read-only" in self.store_error:  # said with what to do; also the way out
                text += (" Settings \u25b8 Session store file can name another file for the "
                         "next start.")
        self.tell_store_problem(text, kept=False)

    def _check_store(self) -> None:
        """Say above the list that the session store stopped taking writes (another program
        holds it, the disk is full, the file was removed or replaced) and how many songs'
        results wait in memory for it; then that it took them all, or that some were lost.
        The news replaces its earlier words in the bar; it is logged, and a dismissed bar
        shown again, only when its kind changes."""
        kind, text = store_news(self.store)
        waiting = self.store if kind == "waiting" else None
        if self.store_banner.followed is not waiting:
            self.store_banner.follow(waiting)
        if text == self._store_said:
            return
        before, self._store_said = self._store_said, text
        shown = self.store_banner.label.text() if self.store_banner.isVisibleTo(self) else ""
        if kind == self._store_kind:  # a count changed: in place (a dismissed bar stays so)
            if before and before in shown:
                self.store_banner.say(shown.replace(before, text))
            if self.store_label is not None:
                self.store_label.setToolTip(plain_tip(shown.replace(before, text) or text))
            return
        self._store_kind = kind
        if before and before in shown:  # the store's earlier news goes
            rest = "\n".join(line for line in shown.split("\n") if line != before)
            self.store_banner.label.setText(rest)
        if kind == "caught up":
            log.info("%s", text)
            if self.store_label is not None:
                self.statusBar().removeWidget(self.store_label)
                self.store_label.deleteLater()
                self.store_label = None
            shown = self.store_banner.label.text() if self.store_banner.isVisibleTo(self) else ""
            self.store_banner.say(f"{shown}\n{text}" if shown else text)
            return
        self.tell_store_problem(text, kept=False)

    def tell_chosen_store_problem(self, why: str) -> None:
        """Say that the store chosen in Settings could not be used (``why``), and where
        this window keeps its list instead."""
        if self.store is not None:
            instead = f"this window keeps its list in the default store, {self.store.path}"
        else:
            instead = "this window keeps no list"
        self.tell_store_problem(f"The session store chosen in Settings cannot be used: "
                                f"{why}. Instead {instead}.", kept=self.store is not None)

    def tell_store_problem(self, text: str, *, kept: bool = True) -> None:
        """Say ``text`` about the session store in the bar above the table and the Log (once
        on the screen: the status bar, too narrow for it, cut it short beside the bar that
        says it whole); with ``kept=False`` the status bar says, for as long as the window
        is open, that the list is not kept (its tooltip: the bar's words)."""
        log.warning("%s", text)
        shown = self.store_banner.label.text() if self.store_banner.isVisibleTo(self) else ""
        self.store_banner.say(f"{shown}\n{text}" if shown and text not in shown else text)
        if not kept and self.store_label is None:
            label = QLabel("\u26a0 List not kept")
            label.setContentsMargins(8, 0, 8, 0)
            self.statusBar().addPermanentWidget(label)
            self.store_label = label
        if not kept:
            self.store_label.setToolTip(plain_tip(self.store_banner.label.text()))

    def _on_scan_summary(self, text: str) -> None:
        self.statusBar().showMessage(f"Added songs: {text}", 10000)

    def _on_stalled(self, _job_id: int) -> None:
        self.banner.refresh()

    def _on_cluster_failed(self, message: str) -> None:
        self.statusBar().showMessage(
            f"Cannot run on the cluster: {message}. The songs stay queued; choose another "
            f"engine in Settings or start again.", 15000)

    def _skip_songs(self, job_ids) -> None:
        for job_id in job_ids:
            self.engine.skip(job_id)

    def _on_scan_finished(self, _n: int) -> None:
        self.proxy.resort()
        self._update_actions()
        if self._start_after_scan and not self.engine.is_scanning:
            self._start_after_scan = False
            self.engine.start()

    # -- batch control ------------------------------------------------------------------------
    def start(self) -> None:
        if self.engine.state == EngineState.PAUSED:
            self.statusBar().showMessage("The batch is paused: Resume (F6) goes on.", 4000)
            return
        if not self.engine.start():
            self.statusBar().showMessage("No queued songs: add files or folders first.", 4000)

    def toggle_pause(self) -> None:
        if self.engine.state == EngineState.PAUSED:
            self.engine.resume()
        else:
            self.engine.pause()

    def retry_failed(self) -> int:
        """Retry Failed: queue the failed, timed-out, cancelled and skipped songs again and
        start; returns how many."""
        return self._queued_again(self.engine.retry_failed())

    def analyze_songs_again(self, job_ids) -> int:
        """Analyze Again (the table's menu): the given ended songs, afresh; returns how many."""
        return self._queued_again(self.engine.requeue(job_ids))

    def _queued_again(self, n: int) -> int:
        if n and self.engine.state == EngineState.PAUSED:  # they wait for Resume
            self.statusBar().showMessage(
                f"{n} song{'s' if n != 1 else ''} queued again; the batch is paused: Resume "
                "(F6) goes on.", 6000)
        return n

    def settings_dialog(self) -> None:
        dlg = SettingsDialog(self.engine.settings, self)
        if dlg.exec():
            self.spell_keys(flat_keys())
            lowered = self.apply_settings(dlg.settings())
            if self.engine.is_running:
                self.statusBar().showMessage(
                    "New settings apply to the next batch." + (f" {lowered}" if lowered
                                                               else ""),
                    10000 if lowered else 5000)

    def spell_keys(self, flats: bool) -> None:
        """Show keys with flats (``True``) or sharps wherever the window names them: the
        song table, the Chunks tab and the calibrated values (Settings > Key names)."""
        self.model.set_flat_keys(flats)
        self.chunk_view.set_flat_keys(flats)
        self.calibration_view.set_flat_keys(flats)

    def apply_settings(self, s: AnalysisSettings) -> str | None:
        """Use ``s`` from the next song on (and remember them, when the window does); on
        this computer, with no more workers than its available memory holds songs in
        progress (:func:`gui.settings_dialog.fit_workers_to_memory`).  Returns why the
        workers were lowered, said in the status bar and the Log too, or None."""
        cluster = cluster_choice(workers=s.workers)
        lowered = None
        if cluster is None:  # a cluster's workers have memory of their own
            s, why = fit_workers_to_memory(s)
            if why:
                lowered = f"{why}."
                log.warning("%s", lowered)
                self.statusBar().showMessage(lowered, 10000)
        self.engine.set_settings(s)
        self.engine.set_cluster(cluster)
        self.calibration.set_settings(s)
        if self.remember:
            save_settings(s)
        log.info("settings: %s", ", ".join(f"{k}={v}" for k, v in s.to_dict().items()))
        self.workers.refresh()
        return lowered

    def use_tempo_range(self, floor: float) -> None:
        """Analyze in the tempo range from ``floor`` BPM (the calibration's suggestion):
        set it and, unless a batch is running, analyze every finished song again."""
        s = dataclasses.replace(self.engine.settings, tempo_floor_bpm=float(floor))
        self.apply_settings(s)
        text = tempo_range_text(s.tempo_floor_bpm)
        if self.engine.is_running:
            self.statusBar().showMessage(
                f"Tempo range {text}: it applies to the next batch.", 8000)
            return
        n = self.engine.analyze_again()  # results stored in that range are served
        self.statusBar().showMessage(
            f"Tempo range {text}: analyzing {n} song{'s' if n != 1 else ''} again.", 8000)

    # -- live refresh -------------------------------------------------------------------------
    def _on_jobs_added(self, first: int, count: int) -> None:
        self._on_songs_added()  # putting an old list back would now drop these songs
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
        self.statusBar().showMessage(f"Batch finished: {self._summary()}.", 10000)
        self.proxy.resort()
        self.proxy.refilter()
        self._refresh_ui()
        self._refresh_plots(force=True)

    def _summary(self) -> str:
        """``"8 done, 1 failed, 1 skipped"``: every state that has songs, as the Status
        column says it (a song waiting in a cluster's queue is queued, not running)."""
        c = self.engine.batch.status_counts()
        order = (SongState.DONE, SongState.FAILED, SongState.TIMED_OUT, SongState.SKIPPED,
                 SongState.CANCELLED, SongState.STALLED, SongState.RUNNING, SongState.QUEUED)
        return ", ".join(f"{c[s]} {s.value}" for s in order if c[s]) or "no songs"

    def _refresh_ui(self) -> None:
        eng = self.engine
        batch = eng.batch
        total = len(batch.jobs)
        self.count_label.setText(f"{total} songs: {self._summary()}" if total else "No songs")
        self.progress_announcer.say(
            batch_progress_text(batch.counts(), total, paused=eng.state == EngineState.PAUSED),
            final=not eng.is_running)
        run = batch.figures()
        rate = run["rate"]
        stored = f", {run['stored']} from the store" if run["stored"] else ""
        self.rate_label.setText(f"{rate:.1f} songs/min{stored}" if run["analyzed"]
                                else (f"{run['stored']} from the store" if run["stored"]
                                      else ""))
        if eng.state == EngineState.PAUSED:
            self.eta_label.setText("ETA: paused")
        elif eng.state == EngineState.RUNNING:
            stalled = run["eta"] is None and batch.counts()[SongState.STALLED]
            self.eta_label.setText("ETA: waiting on a stalled song" if stalled
                                   else f"ETA {fmt_eta(run['eta'])}")
        else:
            self.eta_label.setText("")
        state = eng.state
        if eng.is_connecting:
            state += " \u00b7 reaching the cluster"
        if eng.is_scanning:
            state += " \u00b7 scanning"
        self.state_label.setText(state.capitalize())
        self.setWindowTitle(f"SongCal \u2014 {total} songs" if total else "SongCal")
        self.banner.refresh()
        self._check_store()
        if eng.is_running:
            self.proxy.refilter()
        if self.workers.isVisible():
            self.workers.refresh()
        self.focus_ring.follow()
        self._update_actions()

    def _refresh_plots(self, force: bool = False) -> None:
        if force:
            self.plots.refresh()
        elif self.plots.isVisible():
            self.plots.refresh_next()

    # -- quitting -----------------------------------------------------------------------------
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
        self.preview.stop()
        if self.remember:
            self._save_layout()  # before hiding: the layout of the window as shown
        # Gone from the screen at once: a stuck worker is waited for below (up to
        # shutdown_timeout_ms) with no window left frozen on the screen meanwhile.
        self.hide()
        # The calibration tasks first (they end quickly and then emit nothing), then the
        # batch workers.
        self.calibration.shutdown(timeout_ms=self.shutdown_timeout_ms)
        self.library.keep_ended()  # before the running songs are stopped
        self.stuck_workers = not self.engine.shutdown(timeout_ms=self.shutdown_timeout_ms)
        if self.store is not None and not self.stuck_workers:
            self.store.close()
        self.log_panel.detach()
        event.accept()
        self.closed.emit()

