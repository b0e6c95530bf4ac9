"""The window's calibration wiring: the reference sheet, the Calibration tab and its actions.

Everything the main window does for calibration is here, in one place: the controller
(:class:`gui.calibration_controller.CalibrationController`, which holds the threading and
signals) and its view, the actions of the Calibration menu, the dialogs that load a sheet,
apply a profile and export, and the slots that report what the controller did.  Part of
:class:`gui.main_window.MainWindow` (a mixin: it uses the window's engine, status bar,
bottom tabs and splitter).
"""

from __future__ import annotations

import logging
import os

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFileDialog, QFrame, QScrollArea, QStyle, QVBoxLayout, QWidget

from gui.calibration_controller import REFERENCE_FILE_FILTER, CalibrationController
from gui.calibration_view import CalibrationView

__all__ = ["CalibrationMixin"]

log = logging.getLogger(__name__)


class CalibrationMixin:
    """Calibration part of the main window."""

    # -- construction -----------------------------------------------------------------------
    def _make_calibration(self, settings) -> None:
        #: Reference sheet, match and calibration; once a sheet is loaded it follows the
        #: batch (new songs and results reach it at most once a second).
        self.calibration = CalibrationController(self, settings=settings)
        self._following = False

    def _make_calibration_tab(self) -> None:
        self.calibration_view = CalibrationView(self.calibration)
        self.calibration_view.use_profile_applier(self.apply_profile)
        # In a scroll area, so that the view's minimum does not force a tall bottom pane on
        # the other tabs (a tab widget is as tall as its tallest page's minimum); it scrolls
        # only in a pane shorter than that minimum.  The view sits in a page of its own so
        # that the scroll area sizes it by its minimum height (see
        # CalibrationView.hasHeightForWidth).
        page = QWidget()
        page_lay = QVBoxLayout(page)
        page_lay.setContentsMargins(0, 0, 0, 0)
        page_lay.addWidget(self.calibration_view)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        # never sideways: a view too narrow for the summary and a plot shows the plots on
        # tabs of their own
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(page)
        self._calibration_holder = QWidget()
        holder = QVBoxLayout(self._calibration_holder)
        holder.setContentsMargins(0, 0, 0, 0)
        holder.addWidget(scroll)
        self.bottom_tabs.addTab(self._calibration_holder, "Calibration")

    def _make_calibration_actions(self) -> None:
        SP = QStyle.StandardPixmap
        self.load_reference_action = self._act(
            "Load &Reference\u2026", self.load_reference_dialog, "Ctrl+R",
            SP.SP_FileDialogDetailedView,
            "Read a reference sheet (CSV) to compare the results with; or drop one here")
        self.export_calibration_action = self._act(
            "Export Ca&libration\u2026", self.export_calibration_dialog, "Ctrl+Shift+E", None,
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

    def _connect_calibration(self) -> None:
        cal = self.calibration
        cal.referenceLoaded.connect(self._on_reference_loaded)
        cal.failed.connect(self._on_calibration_failed)
        cal.declined.connect(self._on_sheet_declined)
        cal.exported.connect(self._on_calibration_exported)
        cal.profileApplied.connect(
            lambda s: log.info("calibration profile %s applied", s.path))
        cal.busyChanged.connect(self._update_actions)
        self.calibration_view.ratio_panel.useRange.connect(self.use_tempo_range)

    def _update_calibration_actions(self, has_songs: bool) -> None:
        cal = self.calibration
        self.load_reference_action.setEnabled(not cal.busy)
        self.export_calibration_action.setEnabled(cal.has_reference and has_songs
                                                  and not cal.busy)
        self.fit_action.setEnabled(cal.has_reference and has_songs and not cal.busy)
        self.apply_profile_action.setEnabled(has_songs and not cal.busy)
        self.calibration_view.set_songs_available(has_songs)
        self.matches_action.setEnabled(cal.match is not None)

    # -- user actions -----------------------------------------------------------------------
    def load_reference(self, path) -> None:
        """Read a reference sheet in the background; its columns join the table once read."""
        path = os.fspath(path)
        log.info("loading reference sheet %s", path)
        self.statusBar().showMessage(f"Reading the reference sheet {os.path.basename(path)}\u2026",
                                     4000)
        self.calibration.load_reference(path)

    def load_reference_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Load reference sheet", self._last_dir(),
                                              REFERENCE_FILE_FILTER)
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
            self.apply_profile(path)

    def apply_profile(self, path) -> None:
        """Apply a calibration profile to the batch's results in the background, with or
        without a reference sheet, and bring the Calibration tab to the front."""
        self._follow_batch()
        self.calibration.sync_engine()
        self.calibration.apply_profile(path)
        self.show_calibration()

    def _follow_batch(self) -> None:
        """Let the calibration gather the batch's results from now on (it does once a
        sheet is loaded or a profile applied; not before, so that a batch without either
        pays nothing for it)."""
        if not self._following:
            self._following = True
            self.calibration.follow_engine(self.engine)

    def open_match_dialog(self):
        """Open the manual match dialog (non-modal); returns it."""
        return self.calibration_view.open_match_dialog()

    def show_calibration(self) -> None:
        """Bring the Calibration tab to the front."""
        self.bottom_tabs.setCurrentWidget(self._calibration_holder)

    # -- what the controller reports --------------------------------------------------------
    def _on_reference_loaded(self, summary) -> None:
        self._follow_batch()
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

    def _on_sheet_declined(self, message: str) -> None:
        log.warning("%s", message)
        self.statusBar().showMessage(message, 10000)

    def _on_calibration_exported(self, paths: dict) -> None:
        folder = os.path.dirname(next(iter(paths.values()))) if paths else ""
        log.info("calibration written to %s: %s", folder,
                 ", ".join(os.path.basename(p) for p in paths.values()))
        self.statusBar().showMessage(f"Calibration written to {folder}", 6000)
