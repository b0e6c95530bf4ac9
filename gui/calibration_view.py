"""The calibration view: analyzer against reference, the fitted corrections, and the errors.

One widget over a :class:`gui.calibration_controller.CalibrationController` and its
session:

- a bar of actions (Load Reference..., Matches..., Fit, Export..., Export Calibrated...,
  Apply Profile...) and a status line;
- beside the tables, the plots on tabs of their own, one at a time: the scatter of one
  column (:class:`gui.calibration_plots.ScatterPanel`), its learned model's inputs and
  learning curve (:class:`gui.calibration_learned.LearnedPanel`), the tempo-ratio histogram
  and the key errors (:mod:`gui.calibration_plots`); a view too narrow for the whole summary
  and a plot puts the plots on tabs beside the tables instead;
- the summary table with each column's verdict
  (:class:`gui.calibration_summary.CalibrationSummaryModel`) and, on a second tab, the
  calibrated values of every song (:class:`gui.calibration_values.CalibratedValuesModel`);
  the figures of an applied profile and the files of the last export with Open Folder
  (:class:`gui.calibration_exports.ExportList`).

Every figure comes from the session; a burst of controller signals is folded into one
redraw by a short timer, and a hidden view redraws only once it is shown.
"""

from __future__ import annotations

import os
import weakref

from PySide6.QtCore import QSize, Qt, QTimer
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSizePolicy,
    QSplitter,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from core.calibration.applying import (
    NO_RANGES_KEPT,
    keeps_fitted_ranges,
    outside_fit_counts,
)
from core.calibration.exports import export_names
from gui.calibration_controller import (
    REFERENCE_FILE_FILTER,
    CalibrationController,
    is_reference_file,
)
from gui.calibration_exports import ExportList
from gui.calibration_learned import LearnedPanel
from gui.calibration_plots import KeyErrorPanel, ScatterPanel, TempoRatioPanel
from gui.calibration_summary import (
    CalibrationSummaryModel,
    column_title,
    format_value,
    unit_suffix,
)
from gui.calibration_values import CalibratedValuesModel, CalibratedValuesTable
from gui.formatting import plain_tip

__all__ = ["CalibrationView"]


def _outside_text(profile, rows) -> str:
    """How many songs an applied profile marks outside its fitted range, as a sentence
    (empty for a profile of keys alone)."""
    if not profile.columns:
        return ""
    if not keeps_fitted_ranges(profile):
        return NO_RANGES_KEPT[0].upper() + NO_RANGES_KEPT[1:] + "."
    n, _ = outside_fit_counts(rows)
    if not n:
        return "No song has a value outside the range the profile was fitted on."
    return (f"{n} song{'s have' if n != 1 else ' has'} values outside the range the profile "
            "was fitted on: extrapolated, in amber in Calibrated values.")


#: Narrowest (px) a plot beside the tables may be; a narrower view shows the plots on tabs
#: beside Summary and Calibrated values.
PLOT_MIN_WIDTH = 420
#: Summary columns a narrow view hides first, before the plots leave the summary's side;
#: their values are then in the Column cell's tip:
#: the learned model (rarely kept on a small deck), r², the error before calibration (the
#: error after it is green when lower).
SPARE_COLUMNS = (CalibrationSummaryModel.LEARNED_COL, CalibrationSummaryModel.R2_COL,
                 CalibrationSummaryModel.MAE_BEFORE_COL)
#: Height (px) the view likes above its minimum, for its plots (see CalibrationView.sizeHint).
PLOT_ROOM = 160

_AMBER_TEXT = "#8a5c00"  # amber dark enough for text on the window: 5.1:1
_RED_TEXT = "#b03a36"  # the same for red: 5.2:1


class CalibrationView(QWidget):
    """The calibration tab of the window.

    Parameters
    ----------
    controller : CalibrationController
        Source of the session (sheet, match, calibration); the view asks it to load, fit,
        export and apply, and redraws on its signals.
    parent : QWidget, optional
    """

    def __init__(self, controller: CalibrationController, parent=None):
        super().__init__(parent)
        self.controller = controller
        self.setAcceptDrops(True)
        self._last_dir = ""
        self._profile_applier = None  # use_profile_applier's method, held weakly
        #: True when there are songs to apply a profile to that the controller has not been
        #: given yet (the window gathers them when a profile is applied).
        self.songs_available = False
        self._stale = False

        # -- action bar
        self.load_button = QPushButton("Load Reference…")
        self.load_button.setToolTip("Read a reference sheet (CSV); you can also drop one here")
        self.match_button = QPushButton("Matches…")
        self.match_button.setToolTip("Pair unmatched songs with reference rows by hand")
        self.fit_button = QPushButton("Fit")
        self.fit_button.setToolTip("Fit a correction per descriptor (judged by "
                                   "cross-validation)")
        self.export_button = QPushButton("Export…")
        self.export_button.setToolTip("Write the calibration CSV, the results paired with the "
                                      "reference, the mismatches, the calibrated values and "
                                      "a profile into a new folder inside the one you choose")
        self.export_calibrated_button = QPushButton("Export Calibrated…")
        self.export_calibrated_button.setToolTip(
            "Write every song with its calibrated values and 90 % intervals (the applied "
            "profile, else the current fit) to a CSV file")
        self.apply_button = QPushButton("Apply Profile…")
        self.apply_button.setToolTip("Apply a saved calibration profile to these results")
        self.descriptor_combo = QComboBox()
        self.descriptor_combo.setToolTip("Descriptor shown in the scatter")
        self.descriptor_combo.setAccessibleName("Descriptor shown in the scatter")
        self.descriptor_combo.setPlaceholderText("no sheet yet")  # nothing to choose
        self.descriptor_combo.setEnabled(False)
        self.descriptor_combo.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.status_label = QLabel("No reference sheet loaded. Load one, or drop a CSV here.")
        self.status_label.setWordWrap(True)  # its own line, never cut
        self.status_label.setTextFormat(Qt.TextFormat.PlainText)  # a sheet's name is never markup
        self.status_label.setSizePolicy(QSizePolicy.Policy.Ignored,
                                        QSizePolicy.Policy.Preferred)
        bar = QHBoxLayout()
        for b in (self.load_button, self.match_button, self.fit_button, self.export_button,
                  self.export_calibrated_button, self.apply_button):
            bar.addWidget(b)
        bar.addSpacing(12)
        bar.addWidget(QLabel("Scatter:"))
        bar.addWidget(self.descriptor_combo)
        bar.addStretch(1)

        # -- plots and the summary
        self.scatter_panel = ScatterPanel()
        self.learned_panel = LearnedPanel()
        self.ratio_panel = TempoRatioPanel()
        self.key_panel = KeyErrorPanel()
        self.summary_model = CalibrationSummaryModel(self)
        self.summary_table = self._table(self.summary_model)
        self.summary_table.setTabKeyNavigation(False)
        self.summary_table.setAccessibleName("Calibration summary")
        vh = self.summary_table.verticalHeader()
        vh.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        vh.setDefaultSectionSize(22)
        # all seven descriptors without scrolling
        self.summary_table.setMinimumHeight(24 + 7 * 22 + 4)
        self.summary_table.clicked.connect(self._on_summary_clicked)
        # new lines can make the summary wider or narrower: the plots move to suit
        self.summary_model.modelReset.connect(self._arrange)
        self.values_model = CalibratedValuesModel(self)
        self.values_table = self._table(self.values_model, CalibratedValuesTable)
        self.values_table.setSelectionMode(QTableView.SelectionMode.ExtendedSelection)
        self.values_table.setAccessibleName("Calibrated values")
        self.tables = QTabWidget()
        self.tables.setDocumentMode(True)
        self.tables.addTab(self.summary_table, "Summary")
        self.tables.addTab(self.values_table, "Calibrated values")
        self.profile_label = QLabel("")
        self.profile_label.setWordWrap(True)
        self.profile_label.setTextFormat(Qt.TextFormat.PlainText)
        self.export_list = ExportList()

        # -- layout: the tables (every column of the summary in sight) beside the plots, one
        # plot at a time on tabs of their own: the whole view fits in the window's bottom
        # pane without scrolling.  When the view is too narrow for the summary and a plot
        # side by side, the plots become tabs beside Summary and Calibrated values.
        self.plots = QTabWidget()
        self.plots.setDocumentMode(True)
        #: The plot pages in tab order.
        self.plot_pages = (self.scatter_panel, self.learned_panel, self.ratio_panel,
                           self.key_panel)
        self._plot_titles = dict(zip(self.plot_pages, ("Scatter", "Learned model",
                                                       "Tempo ratios", "Key errors"), strict=True))
        for page in self.plot_pages:
            self.plots.addTab(page, self._plot_titles[page])
        summary_box = QWidget()
        sb_lay = QVBoxLayout(summary_box)
        sb_lay.setContentsMargins(0, 0, 0, 0)
        sb_lay.addWidget(self.tables, 1)
        sb_lay.addWidget(self.profile_label)
        sb_lay.addWidget(self.export_list)
        self.splitter = QSplitter(Qt.Orientation.Horizontal)  # tables | plots
        self.splitter.setChildrenCollapsible(False)
        self.splitter.addWidget(summary_box)
        self.splitter.addWidget(self.plots)
        self.splitter.setStretchFactor(1, 1)
        #: True while the plots are tabs beside the tables (a view too narrow for both).
        self.plots_in_tables = False
        self._plot_width = PLOT_MIN_WIDTH  # the narrowest the plots beside the tables can be
        lay = QVBoxLayout(self)
        lay.setContentsMargins(4, 4, 4, 4)
        lay.addLayout(bar)
        lay.addWidget(self.status_label)
        lay.addWidget(self.splitter, 1)

        # -- wiring
        self._redraw = QTimer(self)
        self._redraw.setSingleShot(True)
        self._redraw.setInterval(100)
        self._redraw.timeout.connect(self.refresh)
        self.load_button.clicked.connect(self.choose_reference)
        self.match_button.clicked.connect(self.open_match_dialog)
        self.fit_button.clicked.connect(controller.fit)
        self.export_button.clicked.connect(self.choose_export_folder)
        self.export_calibrated_button.clicked.connect(self.choose_calibrated_file)
        self.apply_button.clicked.connect(self.choose_profile)
        self.summary_model.keepInvertedChanged.connect(controller.set_keep_inverted)
        # methods, not lambdas: a lambda holding the view, kept by the controller's signal,
        # made a cycle (controller, view) that only the garbage collector freed, on any thread
        self.descriptor_combo.currentIndexChanged.connect(self._on_descriptor_chosen)
        controller.referenceLoaded.connect(self._on_reference)
        controller.matched.connect(self._on_matched)
        controller.fitted.connect(self._on_fitted)
        controller.profileApplied.connect(self._on_profile)
        controller.exported.connect(self._on_exported)
        controller.failed.connect(self._on_failed)
        controller.busyChanged.connect(self._on_busy_changed)
        self._update_buttons()

    # -- public -------------------------------------------------------------------------
    def current_descriptor(self) -> str:
        """The descriptor shown in the scatter (empty when none)."""
        return self.descriptor_combo.currentData() or ""

    def set_descriptor(self, descriptor: str) -> None:
        """Show ``descriptor`` in the scatter.

        Raises
        ------
        ValueError
            When the sheet has no such numeric descriptor.
        """
        i = self.descriptor_combo.findData(descriptor)
        if i < 0:
            shown = [self.descriptor_combo.itemData(j)
                     for j in range(self.descriptor_combo.count())]
            raise ValueError(f"no scatter for {descriptor!r}; available: {shown}")
        self.descriptor_combo.setCurrentIndex(i)

    def schedule_refresh(self) -> None:
        """Redraw soon (several calls in a burst give one redraw); while the view is
        hidden, only remember to redraw when it is shown."""
        if not self.isVisible():
            self._stale = True
            self._update_buttons()
            return
        if not self._redraw.isActive():
            self._redraw.start()

    def showEvent(self, event):  # noqa: N802 - Qt API
        super().showEvent(event)
        self._arrange()
        if self._stale:
            self.schedule_refresh()

    def refresh(self) -> None:
        """Redraw everything from the session now."""
        self._redraw.stop()
        self._stale = False
        session = self.controller.session
        self.summary_model.set_rows(session.summary())  # (arranges the view again)
        profile = session.current_profile()
        paired = [session.reference_row(i) is not None for i in range(len(session.rows))]
        source = (f"profile {os.path.basename(session.applied.path)}"
                  if session.applied is not None else "the current fit")
        self.values_model.set_rows(session.calibrated_rows() if profile else [],
                                   profile=profile, paired=paired, source=source)
        self.tables.setTabText(1, f"Calibrated values ({source})" if profile
                               else "Calibrated values")
        self.refresh_scatter()
        self.ratio_panel.show_ratios(session.tempo_log2_ratios())
        suggestion = session.tempo_range_suggestion()
        self.ratio_panel.show_suggestion(suggestion)
        # the offer of a better tempo range sits on its tab: the tab says there is one
        self._set_plot_title(self.ratio_panel, "Tempo ratios (a range to try)"
                             if suggestion is not None else "Tempo ratios")
        self.key_panel.show_errors(session.key_errors())
        self._update_buttons()

    def refresh_scatter(self) -> None:
        """Draw the scatter and the learned model of the chosen column."""
        d = self.current_descriptor()
        session = self.controller.session
        if d:
            self.scatter_panel.show_descriptor(session, d)
        else:
            self.scatter_panel.clear()
        cal = session.calibration if session.calibration_is_current else None
        if d == "bpm":
            message = ("Tempo is calibrated by its octave rule and a guarded linear fit; "
                       "no learned model.")
        elif cal is None:
            message = "Press Fit to learn a model of this column from every per-song value."
        else:
            message = "No learned model: the column was not in the last fit."
        self.learned_panel.show_model(cal.learned.get(d) if cal is not None else None,
                                      unit=unit_suffix(d), message=message)

    # -- dialogs --------------------------------------------------------------------------
    def choose_reference(self) -> None:
        """Ask for a reference sheet and load it."""
        path, _ = QFileDialog.getOpenFileName(self, "Load reference sheet", self._last_dir,
                                              REFERENCE_FILE_FILTER)
        if path:
            self._last_dir = os.path.dirname(path)
            self.controller.load_reference(path)

    def choose_export_folder(self) -> None:
        """Ask for a folder and export the calibration into a new folder inside it."""
        folder = QFileDialog.getExistingDirectory(
            self, "Export calibration (a new folder is made inside the one you choose)",
            self._last_dir)
        if folder:
            self._last_dir = folder
            self.controller.export(folder)

    def choose_calibrated_file(self) -> None:
        """Ask for a file name and write every song's calibrated values to it."""
        start = os.path.join(self._last_dir, export_names()["calibrated"])
        path, _ = QFileDialog.getSaveFileName(self, "Export calibrated results", start,
                                              "CSV files (*.csv);;All files (*)")
        if path:
            self._last_dir = os.path.dirname(path)
            self.controller.export_calibrated(path)

    def choose_profile(self) -> None:
        """Ask for a calibration profile and apply it."""
        path, _ = QFileDialog.getOpenFileName(self, "Apply calibration profile",
                                              self._last_dir,
                                              "Calibration profiles (*.json);;All files (*)")
        if path:
            self._last_dir = os.path.dirname(path)
            self.apply_profile(path)

    def set_songs_available(self, available: bool) -> None:
        """Say whether there are songs a profile could be applied to (Apply Profile… is
        enabled for them even before the controller holds their results)."""
        if self.songs_available != bool(available):
            self.songs_available = bool(available)
            self._update_buttons()

    def use_profile_applier(self, apply) -> None:
        """Have :meth:`apply_profile` call the bound method ``apply(path)`` in place of the
        controller's (the window's, which first gathers the batch's results).  It is held
        weakly: the window owns this view, and the view holding it back would make a
        reference cycle that only the garbage collector frees."""
        self._profile_applier = weakref.WeakMethod(apply)

    def apply_profile(self, path) -> None:
        """Apply the profile at ``path``: with the applier given to
        :meth:`use_profile_applier`, else with the controller's
        :meth:`~gui.calibration_controller.CalibrationController.apply_profile`."""
        apply = self._profile_applier() if self._profile_applier is not None else None
        if apply is None:
            self.controller.apply_profile(path)
        else:
            apply(path)

    def set_flat_keys(self, flats: bool) -> None:
        """Spell keys with flats (or sharps) in the calibrated values and the match dialog
        (only the display: exports keep sharps)."""
        self.values_model.set_flat_keys(flats)
        dlg = getattr(self, "_match_dialog", None)
        if dlg is not None and dlg.flat_keys != bool(flats):
            dlg.flat_keys = bool(flats)
            if dlg.isVisible():
                dlg.refresh()

    def open_match_dialog(self):
        """Open the manual match dialog (non-modal); returns it."""
        from gui.match_dialog import MatchDialog

        dlg = getattr(self, "_match_dialog", None)
        if dlg is None:
            dlg = self._match_dialog = MatchDialog(self.controller, self)
        dlg.flat_keys = self.values_model.flat_keys
        dlg.refresh()
        dlg.show()
        dlg.raise_()
        return dlg

    # -- drops ----------------------------------------------------------------------------
    def dragEnterEvent(self, event):  # noqa: N802 - Qt API
        urls = event.mimeData().urls() if event.mimeData().hasUrls() else []
        if len(urls) == 1 and is_reference_file(urls[0].toLocalFile()):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dropEvent(self, event):  # noqa: N802 - Qt API
        urls = event.mimeData().urls()
        if urls and is_reference_file(urls[0].toLocalFile()):
            self.controller.load_reference(urls[0].toLocalFile())
            event.acceptProposedAction()

    # -- slots ----------------------------------------------------------------------------
    def _on_reference(self, summary) -> None:
        current = self.current_descriptor()
        self.descriptor_combo.blockSignals(True)
        self.descriptor_combo.clear()
        sheet = self.controller.sheet
        columns = sheet.numeric_columns if sheet is not None else [
            d for d in summary.descriptors if d != "key"]
        for d in columns:
            self.descriptor_combo.addItem(column_title(d), d)
        i = self.descriptor_combo.findData(current)
        self.descriptor_combo.setCurrentIndex(max(i, 0))
        self.descriptor_combo.setEnabled(self.descriptor_combo.count() > 0)
        self.descriptor_combo.blockSignals(False)
        text = f"Reference {summary}"
        if summary.warnings:
            n = len(summary.warnings)
            text += f" - {n} warning{'s' if n != 1 else ''}"
        self._set_status(text, level="warning" if summary.warnings or summary.bad_rows else "",
                         tooltip="\n".join(summary.warnings + summary.bad_rows[:20]))
        self.schedule_refresh()

    def _on_matched(self, summary) -> None:
        sheet = self.controller.sheet
        level = "warning" if summary.n_unmatched_songs > 0 else ""
        self._set_status(f"{sheet.name if sheet else ''}: {summary}", level=level)
        self.schedule_refresh()

    def _on_profile(self, applied) -> None:
        bits = [f"{column_title(d)} MAE {format_value(before, d)} → "
                f"{format_value(after, d)}{unit_suffix(d)} (n={n})"
                for d, (n, before, after) in applied.mae.items()]
        self.scatter_panel.add_profile_to_legend()
        text = (f"Profile {os.path.basename(applied.path)} applied to {len(applied.rows)} "
                "songs (see Calibrated values)")
        text += ": " + "; ".join(bits) if bits else "."
        text += " " + _outside_text(applied.profile, applied.rows)
        if applied.warning:
            text += f" Warning: {applied.warning}."
            self._set_status(f"Profile {os.path.basename(applied.path)}: "
                             f"{applied.warning}", level="warning")
        self.profile_label.setText(text)
        self.tables.setCurrentWidget(self.values_table)
        self.schedule_refresh()

    def _on_exported(self, paths: dict) -> None:
        folder = os.path.dirname(next(iter(paths.values()))) if paths else ""
        self._set_status(f"Exported {len(paths)} file{'s' if len(paths) != 1 else ''} to "
                         f"{folder}")
        self.export_list.show_paths(paths)

    def _on_failed(self, message: str) -> None:
        self._set_status(message, level="error")

    def _on_fitted(self, _calibration) -> None:
        self.schedule_refresh()

    def _on_busy_changed(self, _busy: bool) -> None:
        self._update_buttons()

    def _on_descriptor_chosen(self, _index: int) -> None:
        self.refresh_scatter()

    def _on_summary_clicked(self, index) -> None:
        d = self.summary_model.summary(index.row()).descriptor
        if self.descriptor_combo.findData(d) >= 0:
            self.set_descriptor(d)
            if not self.plots_in_tables:  # (on the tables' tabs it would hide the summary)
                self.show_plot(self.scatter_panel)

    # -- helpers --------------------------------------------------------------------------
    def summary_width(self, *, hidden: frozenset = frozenset()) -> int:
        """Width (px) the summary table takes with every column whole, but ``hidden``.
        (Measured from the header's text, not its size hint: that of a hidden column is 0.)"""
        t = self.summary_table
        hh = t.horizontalHeader()
        width = (sum(max(t.sizeHintForColumn(c), hh.minimumSectionSize(),
                         hh.sectionSizeFromContents(c).width())
                     for c in range(self.summary_model.columnCount()) if c not in hidden)
                 + 2 * t.frameWidth() + 4)
        if t.verticalScrollBar().maximum() > 0:  # more columns than rows in sight
            width += t.verticalScrollBar().sizeHint().width()
        return width

    def _arrange(self) -> None:
        """Give the summary table the width of its columns and the plots the rest.  While
        the summary does not fit whole beside a plot of :data:`PLOT_MIN_WIDTH`, its spare
        columns (:data:`SPARE_COLUMNS`) give way first; a view too narrow even for the
        summary without them puts the plots on tabs beside the tables instead, and the
        summary gets the whole width."""
        room = self.splitter.width() if self.splitter.width() > 0 else self.width() - 8
        if not self.plots_in_tables:  # (the plots' own tabs are empty while they are not)
            self._plot_width = max(PLOT_MIN_WIDTH, self.plots.minimumSizeHint().width())
        plot_width = self._plot_width
        beside = room - self.splitter.handleWidth() - plot_width  # the summary's, beside
        narrow = beside < self.summary_width(hidden=frozenset(SPARE_COLUMNS))
        if narrow != self.plots_in_tables:
            self._move_plots(into_tables=narrow)
        hidden = self._spare_columns(room if narrow else beside)
        if narrow:
            return
        total = sum(self.splitter.sizes())
        if total > 0:
            left = min(self.summary_width(hidden=hidden), total - plot_width)
            self.splitter.setSizes([left, total - left])

    def _spare_columns(self, room: int) -> frozenset:
        """Hide the summary's least read columns (:data:`SPARE_COLUMNS`, in order) while
        the others would not fit ``room`` px whole; the Column cell's tip then holds their
        values.  At 1024 px the score column was cut to "Acc1 0.92 → 0....".  Returns the
        columns hidden."""
        model, table = self.summary_model, self.summary_table
        hidden: set[int] = set()
        for col in SPARE_COLUMNS:
            if self.summary_width(hidden=frozenset(hidden)) <= room:
                break
            hidden.add(col)
        for col in SPARE_COLUMNS:
            table.setColumnHidden(col, col in hidden)
        model.set_hidden_columns(hidden)
        return frozenset(hidden)

    def _move_plots(self, *, into_tables: bool) -> None:
        """Put the plot pages on tabs beside the tables (``into_tables``; the table in
        front stays so), or back on their own beside the tables (the plot in front stays
        so)."""
        self.plots_in_tables = into_tables
        source, target = (self.plots, self.tables) if into_tables else (self.tables,
                                                                          self.plots)
        front = source.currentWidget()
        for page in self.plot_pages:
            i = source.indexOf(page)
            if i >= 0:
                source.removeTab(i)
            target.addTab(page, self._plot_titles[page])
        if into_tables:
            self.plots.hide()
        else:
            self.plots.show()
            if target.indexOf(front) >= 0:
                target.setCurrentWidget(front)

    def _plot_holder(self) -> QTabWidget:
        """The tab widget the plot pages are on now."""
        return self.tables if self.plots_in_tables else self.plots

    def show_plot(self, page) -> None:
        """Bring the plot ``page`` (one of :attr:`plot_pages`) to the front."""
        self._plot_holder().setCurrentWidget(page)

    def _set_plot_title(self, page, title: str) -> None:
        self._plot_titles[page] = title
        holder = self._plot_holder()
        holder.setTabText(holder.indexOf(page), title)

    def sizeHint(self):  # noqa: N802 - Qt API
        """The minimum and :data:`PLOT_ROOM` more: a pane this tall shows the plots at a
        size that reads (the window gives the Calibration tab this height when it can)."""
        hint = super().sizeHint()
        return QSize(hint.width(), self.minimumSizeHint().height() + PLOT_ROOM)

    def hasHeightForWidth(self) -> bool:  # noqa: N802 - Qt API
        # A scroll area holding the view (the window's Calibration tab) then sizes it by
        # its minimum: with its wrapped labels it asked for its preferred height, about
        # 600 px, and scrolled in a pane of 350 that shows every part whole.
        return False

    def resizeEvent(self, event):  # noqa: N802 - Qt API
        super().resizeEvent(event)
        self._arrange()

    @staticmethod
    def _table(model, kind=QTableView) -> QTableView:
        t = kind()
        t.setModel(model)
        t.verticalHeader().setVisible(False)
        t.setSelectionBehavior(QTableView.SelectionBehavior.SelectRows)
        t.setSelectionMode(QTableView.SelectionMode.SingleSelection)
        t.setWordWrap(False)
        t.setMinimumHeight(120)
        t.verticalHeader().setDefaultSectionSize(t.fontMetrics().height() + 8)
        hh = t.horizontalHeader()
        hh.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        # Widths from the rows in sight and the first 100, not 1,000: a refresh of the
        # calibrated values of thousands of songs measured 1,000 rows' cells each time.
        hh.setResizeContentsPrecision(100)
        hh.setStretchLastSection(True)
        return t

    def _set_status(self, text: str, *, level: str = "", tooltip: str = "") -> None:
        self.status_label.setText(text)
        self.status_label.setToolTip(plain_tip(tooltip or text))
        color = {"warning": _AMBER_TEXT, "error": _RED_TEXT}.get(level)
        self.status_label.setStyleSheet(f"color: {color};" if color else "")

    def _update_buttons(self) -> None:
        c = self.controller
        ready = c.sheet is not None and bool(c.rows) and not c.busy
        self.fit_button.setEnabled(ready)
        self.export_button.setEnabled(ready)
        self.export_calibrated_button.setEnabled(c.session.has_calibrated_values
                                                 and not c.busy)
        self.match_button.setEnabled(c.match is not None)
        self.apply_button.setEnabled((bool(c.rows) or self.songs_available) and not c.busy)
        self.load_button.setEnabled(not c.busy)
