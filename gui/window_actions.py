"""The window's actions, menus, toolbar and status bar, and when each action is enabled.

Part of :class:`gui.main_window.MainWindow` (a mixin).  Every command is one ``QAction``
(``self.<name>_action``) shared by the menus and the toolbar; :meth:`ActionsMixin._update_actions`
enables them from the engine's state.  Menus are kept as attributes (``self.file_menu`` ...
``self.help_menu``) so other parts can add to them.  The calibration actions are made and
enabled by :mod:`gui.window_calibration`.
"""

from __future__ import annotations

import platform
import sys
from functools import partial
from importlib import metadata

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QLabel, QMessageBox, QStyle, QToolBar, QToolButton

from core import __version__
from core.batch.rules import TERMINAL_STATES, SongState
from gui.announce import Announcer
from gui.demo import open_demo_deck
from gui.doctor_dialog import show_report
from gui.engine import EngineState

__all__ = ["ActionsMixin", "STATUS_FILTERS", "about_text"]

#: The filter choice that shows the songs whose result another analyzer build made.
OTHER_BUILD = "other build"

#: The filter choice that shows the done songs whose tempo or key is worth checking by ear
#: (:meth:`core.io.results.SongResult.doubts`).
TO_CHECK = "to check"

#: Status filter choices: label -> states shown (None: all), :data:`OTHER_BUILD` or
#: :data:`TO_CHECK`.
STATUS_FILTERS = {
    "All songs": None,
    "Running": (SongState.RUNNING, SongState.STALLED),
    "Queued": (SongState.QUEUED,),
    "Done": (SongState.DONE,),
    "Failed or timed out": (SongState.FAILED, SongState.TIMED_OUT),
    "Stalled": (SongState.STALLED,),
    "Cancelled or skipped": (SongState.CANCELLED, SongState.SKIPPED),
    "Tempo or key to check": TO_CHECK,
    "Made by another build": OTHER_BUILD,
}

#: States from which "Retry failed" queues songs again.
_RETRYABLE = frozenset({SongState.FAILED, SongState.TIMED_OUT, SongState.CANCELLED,
                        SongState.SKIPPED})


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


class ActionsMixin:
    """Actions, menus, toolbar and status bar of the main window."""

    def _act(self, text, slot, shortcut=None, icon=None, tip=None, short=None,
             fallback=None) -> QAction:
        """A window action: ``text``, run ``slot``; optional shortcut (``fallback`` when
        it is a standard key this platform has none for), standard icon, tip and ``short``
        text for the toolbar.  The tip names the keys, when there are any."""
        a = QAction(text, self)
        if short:
            a.setIconText(short)
        if shortcut is not None:
            a.setShortcut(QKeySequence(shortcut))
        if fallback is not None and a.shortcut().isEmpty():
            a.setShortcut(QKeySequence(fallback))
        if icon is not None:
            a.setIcon(self.style().standardIcon(icon))
        if tip:
            a.setStatusTip(tip)
            keys = a.shortcut().toString(QKeySequence.SequenceFormat.NativeText)
            a.setToolTip(f"{tip} ({keys})" if keys else tip)
        a.triggered.connect(slot)
        return a

    def _make_actions(self) -> None:
        SP = QStyle.StandardPixmap
        self.add_files_action = self._act("Add &Files\u2026", self.add_files_dialog,
                                          QKeySequence.StandardKey.Open, SP.SP_FileIcon,
                                          "Add audio files", short="Files")
        self.add_folder_action = self._act("Add F&older\u2026", self.add_folder_dialog,
                                           "Ctrl+Shift+O", SP.SP_DirIcon,
                                           "Add every audio file in a folder and its subfolders",
                                           short="Folder")
        self.clear_action = self._act("&Clear\u2026", self.clear, "Ctrl+Shift+Backspace",
                                      SP.SP_DialogResetButton,
                                      "Remove every song from the list (Undo brings them back)",
                                      short="Clear")
        self.new_session_action = self._act(
            "&New Session\u2026", self.new_session, QKeySequence.StandardKey.New, None,
            "Start an empty list; this one stays in the session store")
        self.undo_action = self._act("&Undo", self.undo, QKeySequence.StandardKey.Undo,
                                     None, "Bring back the songs removed by Clear, New Session or "
                                     "Remove from List (again: the change before)")
        self.redo_action = self._act("Re&do", self.redo, "Ctrl+Shift+Z", None,
                                     "Do again what Undo took back")
        # Ctrl+Y too, as most Windows programs have it, and the platform's own Redo keys
        redo_keys = [QKeySequence("Ctrl+Shift+Z"), QKeySequence("Ctrl+Y")]
        redo_keys += [k for k in QKeySequence.keyBindings(QKeySequence.StandardKey.Redo)
                      if k not in redo_keys]
        self.redo_action.setShortcuts(redo_keys)
        self.export_action = self._act("&Export Results\u2026", self.export_dialog,
                                       "Ctrl+E", SP.SP_DialogSaveButton,
                                       "Write the results CSV", short="Export")
        self.export_checked_action = self._act(
            "Export Your &Values as Reference\u2026", self.export_checked_dialog, None, None,
            "Write the tempo and key you set or checked by ear as a truth sheet, to load as "
            "the reference")
        self.export_chunks_action = self._act(
            "Export C&hunks\u2026", self.export_chunks_dialog, None, None,
            "Write every song's tempo, key and loudness chunk by chunk as a CSV")
        self.settings_action = self._act("&Settings\u2026", self.settings_dialog,
                                         QKeySequence.StandardKey.Preferences, None,
                                         "Workers, time budget, chunk length, sample rate",
                                         short="Settings", fallback="Ctrl+,")
        self.quit_action = self._act("&Quit", self.close, QKeySequence.StandardKey.Quit, None,
                                     "Close the window (asks first while a batch runs)",
                                     fallback="Ctrl+Q")
        self.start_action = self._act("&Start", self.start, "F5", SP.SP_MediaPlay,
                                      "Analyze the queued songs")
        self.pause_action = self._act("&Pause", self.toggle_pause, "F6", SP.SP_MediaPause,
                                      "Start no new song until resumed")
        self.pause_action.setCheckable(True)
        self.cancel_action = self._act("&Cancel", self.engine.cancel, "Shift+F5",
                                       SP.SP_MediaStop, "Stop the batch")
        self.retry_action = self._act("&Retry Failed", self.retry_failed,
                                      "Ctrl+Shift+R", SP.SP_BrowserReload,
                                      "Analyze failed, timed-out, cancelled and skipped songs again",
                                      short="Retry")
        self.force_action = self._act("&Force Fresh Analysis\u2026", self.force_fresh, None,
                                      None, "Analyze every song again, ignoring stored results "
                                            "(each keeps its result until the new one arrives)")
        self.about_action = self._act("&About SongCal", self.about)
        self.guide_action = self._act("SongCal &Guide", self.show_guide,
                                      QKeySequence.StandardKey.HelpContents, None,
                                      "What the columns mean, budgets and stalls, the "
                                      "calibration table")
        self.shortcuts_action = self._act("&Keyboard Shortcuts", self.show_shortcuts,
                                          "Ctrl+/", None, "Every command's keys")
        self.columns_action = self._act("&Columns\u2026", self.columns_dialog, None, None,
                                        "Show, hide and order the table's columns",
                                        short="Columns")
        self._make_list_actions()
        self._make_row_actions()
        self._make_calibration_actions()
        self.load_reference_action.setIconText("Reference")
        self.export_calibration_action.setIconText("Export Cal.")

    def _make_menus(self) -> None:
        mb = self.menuBar()
        f = self.file_menu = mb.addMenu("&File")
        for a in (self.new_session_action, self.open_list_action, None, self.add_files_action,
                  self.add_folder_action, self.clear_action, None,
                  self.load_reference_action, self.apply_profile_action, None,
                  self.export_action, self.export_chunks_action, self.export_checked_action,
                  self.export_calibration_action, None,
                  self.settings_action, None, self.quit_action):
            f.addSeparator() if a is None else f.addAction(a)
        e = self.edit_menu = mb.addMenu("&Edit")
        e.addAction(self.undo_action)
        e.addAction(self.redo_action)
        e.addSeparator()
        e.addAction(self.table.copy_action)
        sel_all = self._act("Select &All", self.table.selectAll, QKeySequence.StandardKey.SelectAll,
                            None, "Select every song the table shows")
        e.addAction(sel_all)
        # Escape steps back from a search or a selection; it never cancels the batch
        # (Shift+F5 does: the songs in progress would start over).
        self.escape_action = self._act("Clear Filter or Selectio&n", self.escape,
                                       Qt.Key.Key_Escape, None,
                                       "Clear the song filter, or else the selection")
        e.addAction(self.escape_action)
        e.addAction(self.remove_action)
        e.addSeparator()
        for a in self.correction_actions:
            e.addAction(a)
        b = self.batch_menu = mb.addMenu("&Batch")
        for a in (self.start_action, self.pause_action, self.cancel_action, None,
                  self.retry_action, self.force_action, None, self.more_time_action,
                  self.skip_action, self.preview_action):
            b.addSeparator() if a is None else b.addAction(a)
        c = self.calibration_menu = mb.addMenu("&Calibration")
        for a in (self.load_reference_action, self.matches_action, self.fit_action,
                  self.export_calibration_action, self.apply_profile_action):
            c.addAction(a)
        v = self.view_menu = mb.addMenu("&View")
        for i, name in enumerate(("&Workers", "&Batch Plots", "C&alibration", "&Log",
                                  "C&hunks")):
            # (the tab widget's own method: a partial of the window's would hold the window)
            a = self._act(f"Show {name}", partial(self.bottom_tabs.setCurrentIndex, i),
                          f"Ctrl+{i + 1}", None,
                          f"The {name.replace('&', '')} tab of the bottom pane")
            v.addAction(a)
        v.addSeparator()
        v.addAction(self.columns_action)
        find = self._act("&Filter Songs", self._focus_search,
                         QKeySequence.StandardKey.Find, None, "Type to filter the table")
        v.addAction(find)
        self._make_help_menu()

    def _focus_search(self) -> None:
        self.search.setFocus()

    def escape(self) -> None:
        """Escape: empty the song filter when it holds text, else deselect the songs."""
        if self.search.text():
            self.search.clear()
        else:
            self.table.clearSelection()

    def _make_help_menu(self) -> None:
        h = self.help_menu = self.menuBar().addMenu("&Help")
        h.addAction(self.guide_action)
        h.addAction(self.shortcuts_action)
        h.addSeparator()
        h.addAction(self._act("Open &Demo Deck", self._open_demo_deck, None, None,
                              "Analyze and calibrate the bundled demo deck"))
        h.addAction(self._act("&Check Installation\u2026", self._check_installation))
        h.addAction(self.about_action)

    def _open_demo_deck(self) -> None:
        """Help \u25b8 Open Demo Deck: analyze and calibrate the bundled deck here."""
        open_demo_deck(self)

    def _check_installation(self) -> None:
        """Help \u25b8 Check Installation."""
        show_report(self)

    def _make_toolbar(self) -> None:
        tb = QToolBar("Main")
        tb.setObjectName("mainToolbar")
        tb.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        tb.setMovable(False)
        #: The toolbar's actions, in order (None: a separator).
        self.toolbar_actions = (
            self.add_files_action, self.add_folder_action, self.clear_action, None,
            self.start_action, self.pause_action, self.cancel_action, self.retry_action, None,
            self.load_reference_action, None, self.export_action,
            self.export_calibration_action, self.settings_action)
        for a in self.toolbar_actions:
            tb.addSeparator() if a is None else tb.addAction(a)
        # The toolbar's ">>" (shown when the window is too narrow for every button) and the
        # menu bar's are buttons with no text: name them for screen readers.
        for bar, name in ((tb, "qt_toolbar_ext_button"),
                          (self.menuBar(), "qt_menubar_ext_button")):
            more = bar.findChild(QToolButton, name)
            if more is not None:
                more.setAccessibleName("More Commands")
                more.setToolTip("More commands")
        self.toolbar = tb
        self.addToolBar(tb)

    def _connect_filters(self) -> None:
        self.filter_combo.currentTextChanged.connect(self._on_status_filter)
        self.search.textChanged.connect(self.proxy.set_text)
        self.table.columnsDialogRequested.connect(self.columns_dialog)

    def _on_status_filter(self, label: str) -> None:
        choice = STATUS_FILTERS[label]
        other, check = choice == OTHER_BUILD, choice == TO_CHECK
        self.proxy.set_other_build(other)
        self.proxy.set_to_check(check)
        self.proxy.set_states(None if other or check else choice)

    def _make_status_bar(self) -> None:
        sb = self.statusBar()
        self.state_label = QLabel()
        self.count_label = QLabel()
        self.rate_label = QLabel()
        self.eta_label = QLabel()
        for w in (self.state_label, self.count_label, self.rate_label, self.eta_label):
            w.setContentsMargins(8, 0, 8, 0)
            sb.addPermanentWidget(w)
        # the songs count is the batch's progress to a screen reader: named so, described
        # with the songs finished (gui.announce, a few seconds apart while it runs)
        self.count_label.setAccessibleName("Batch progress")
        self.progress_announcer = Announcer(self.count_label)

    def _update_actions(self, *_):
        """Enable each action for the engine's state and the songs' states (the batch's counts)."""
        self._actions_timer.stop()
        eng = self.engine
        jobs = eng.batch.jobs
        # The batch keeps its songs counted by state: no walk over every song (this runs
        # every 400 ms, and a list can hold tens of thousands).
        counts = eng.batch.counts()
        states = {s for s, n in counts.items() if n > 0}
        queued = SongState.QUEUED in states
        ended = not states.isdisjoint(TERMINAL_STATES)
        retryable = not states.isdisjoint(_RETRYABLE)
        running = eng.is_running
        self.start_action.setEnabled(queued and eng.state == EngineState.IDLE)
        self.pause_action.setEnabled(eng.state in (EngineState.RUNNING, EngineState.PAUSED))
        self.pause_action.setChecked(eng.state == EngineState.PAUSED)
        self.pause_action.setText("Res&ume" if eng.state == EngineState.PAUSED else "&Pause")
        self.cancel_action.setEnabled(running and eng.state != EngineState.CANCELLING)
        self.retry_action.setEnabled(retryable and eng.state != EngineState.CANCELLING)
        self.force_action.setEnabled(ended and not running)
        self.clear_action.setEnabled(bool(jobs) and not running)
        self.new_session_action.setEnabled(not running)
        self._update_list_action()
        self.undo_action.setEnabled(self.can_undo)
        self.redo_action.setEnabled(self.can_redo)
        # (an & in a song's name never reaches the text: steps are named by count)
        self.undo_action.setText(f"&Undo {self.undo_text}".rstrip())
        self.redo_action.setText(f"Re&do {self.redo_text}".rstrip())
        self.export_action.setEnabled(bool(jobs))
        self.export_chunks_action.setEnabled(SongState.DONE in states)
        self.export_checked_action.setEnabled(SongState.DONE in states)
        self._update_row_actions()
        self._update_calibration_actions(bool(jobs))

    def about(self) -> None:
        QMessageBox.about(self, "About SongCal", about_text())

    def show_guide(self) -> None:
        """Open the in-app guide (non-modal)."""
        from gui.guide import GuideDialog

        dlg = getattr(self, "_guide", None)
        if dlg is None:
            dlg = self._guide = GuideDialog(self)
        dlg.show()
        dlg.raise_()

    def show_shortcuts(self) -> None:
        """Show every action that has keys."""
        from gui.guide import ShortcutsDialog

        ShortcutsDialog(self.findChildren(QAction), self).exec()

    def columns_dialog(self) -> None:
        """Show, hide and order the song table's columns."""
        from gui.column_chooser import ColumnChooser

        ColumnChooser(self.table, self).exec()
