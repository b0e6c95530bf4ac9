"""The window on common screens: its first size, 1280x720 with the Calibration tab open,
the frozen # and Title, the column chooser, remembered layouts, and the keyboard focus."""

from __future__ import annotations

import json

import pytest
from PySide6.QtCore import QRect, QSettings, Qt
from PySide6.QtWidgets import QApplication, QScrollArea, QToolButton

from core.calibration.summary import DescriptorSummary
from core.settings import AnalysisSettings
from gui.column_chooser import ColumnChooser, apply_column_layout, column_layout, header_menu
from gui.main_window import MainWindow
from gui.song_columns import COL_ARTIST, COL_NUM, COL_TITLE, COLUMN_NAMES, descriptor_column
from gui.window_layout import MIN_TABLE_ROWS, fitted_geometry

SETTINGS = AnalysisSettings(workers=2)


def _add_rows(w, n):
    w.engine.batch.add([f"/music/{i:03d}_Artist_Song {i}.wav" for i in range(n)])
    w.engine.jobsAdded.emit(0, n)


def _settle(qtbot):
    for _ in range(3):
        QApplication.processEvents()
        qtbot.wait(20)


def _visible_rows(table) -> int:
    """Rows whose whole height is inside the table's viewport."""
    h = table.viewport().height()
    return sum(1 for r in range(table.model().rowCount())
               if 0 <= table.rowViewportPosition(r)
               and table.rowViewportPosition(r) + table.rowHeight(r) <= h)


def _inside(widget, window) -> bool:
    top_left = widget.mapTo(window, widget.rect().topLeft())
    rect = QRect(top_left, widget.size())
    return widget.isVisible() and window.rect().contains(rect)


@pytest.mark.parametrize("screen, expected", [
    ((1280, 720), (1280, 720)),
    ((1366, 768), (1366, 768)),
    ((1600, 1000), (1366, 900)),
    ((1920, 1080), (1632, 972)),
    ((2560, 1440), (1680, 1050)),
])
def test_first_size_fits_the_screen(screen, expected):
    g = fitted_geometry(QRect(0, 24, *screen))
    assert (g.width(), g.height()) == expected
    assert QRect(0, 24, *screen).contains(g)


def test_1280x720_shows_toolbar_filter_status_bar_and_12_rows_with_calibration_open(
        qtbot, make_window):
    w = make_window(SETTINGS)
    w.fit_to_screen(QRect(0, 0, 1280, 720))
    _add_rows(w, 40)
    w.show_calibration()
    w.calibration_view.summary_model.set_rows(
        [DescriptorSummary(descriptor=d, n=8) for d in
         ("bpm", "energy", "danceability", "valence", "acousticness", "loudness_lufs", "key")])
    _settle(qtbot)
    assert (w.width(), w.height()) == (1280, 720)
    ext = w.toolbar.findChild(QToolButton, "qt_toolbar_ext_button")
    assert ext is None or not ext.isVisible()  # nothing in an overflow menu
    for action in w.toolbar_actions:
        if action is None:
            continue
        button = w.toolbar.widgetForAction(action)
        assert _inside(button, w), action.text()
    for widget in (w.filter_combo, w.search, w.statusBar(), w.count_label, w.table_bar):
        assert _inside(widget, w)
    assert _visible_rows(w.table) >= MIN_TABLE_ROWS
    # the calibration table shows all seven descriptors and every column, unscrolled
    summary = w.calibration_view.summary_table
    assert summary.verticalScrollBar().maximum() == 0
    assert summary.horizontalScrollBar().maximum() == 0
    assert _visible_rows(summary) == 7
    assert _inside(w.calibration_view.status_label, w)


def _whole_columns(table) -> list[int]:
    """The shown columns of ``table`` narrower than their text, or past its right edge."""
    hh = table.horizontalHeader()
    cut = []
    for c in range(table.model().columnCount()):
        if table.isColumnHidden(c):
            continue
        need = max(table.sizeHintForColumn(c), hh.sectionSizeHint(c))
        right = table.columnViewportPosition(c) + table.columnWidth(c)
        if table.columnWidth(c) < need or right > table.viewport().width():
            cut.append(c)
    return cut


def _cut_song_columns(table) -> list[str]:
    """Shown song-table columns whose header (with its sort arrow) or values do not fit.
    File and BPM alternatives are elided by design with the whole text in the tip; a Note
    must fit in the form painted (:class:`gui.song_view._NoteDelegate`)."""

    from gui.song_columns import COL_FILE, COL_NOTE
    from gui.song_view import _NoteDelegate

    hh, model = table.horizontalHeader(), table.model()
    elided = {COL_FILE, descriptor_column("bpm_alternatives")}
    cut = []
    for c in range(model.columnCount()):
        if table.isColumnHidden(c):
            continue
        name = str(model.headerData(c, Qt.Orientation.Horizontal))
        width = table.columnWidth(c)
        if width < hh.sectionSizeHint(c):
            cut.append(name)
        elif c == COL_NOTE:
            fm = table.fontMetrics()
            cell = width - (1 if table.showGrid() else 0)  # the rect painted: less the grid
            for r in range(model.rowCount()):
                text = model.index(r, c).data() or ""
                shown = _NoteDelegate.shown(text, fm, cell, table.style())
                if fm.horizontalAdvance(shown) + 8 > width:
                    cut.append(f"{name}: {shown}")
                elif shown != text:
                    assert model.index(r, c).data(Qt.ItemDataRole.ToolTipRole) == text
        elif c in elided:
            for r in range(model.rowCount()):
                text = model.index(r, c).data()
                if text:
                    assert model.index(r, c).data(Qt.ItemDataRole.ToolTipRole) is not None
        elif width < table.sizeHintForColumn(c):
            cut.append(name)
    return cut


def _fewest_spare_columns(view, hidden: list[int]) -> bool:
    """Whether ``hidden`` are the first spare columns and the fewest that let the summary
    fit beside a plot (the plots beside the tables)."""
    from gui.calibration_view import SPARE_COLUMNS

    k = len(hidden)
    if sorted(SPARE_COLUMNS[:k]) != hidden:
        return False
    if k == 0:
        return True
    return view.summary_width(hidden=frozenset(SPARE_COLUMNS[:k - 1])) > _beside(view)


def _beside(view) -> int:
    """Width (px) the summary has beside the narrowest plot the view allows."""
    from gui.calibration_view import PLOT_MIN_WIDTH

    plot = max(PLOT_MIN_WIDTH, view.plots.minimumSizeHint().width())
    return view.splitter.width() - view.splitter.handleWidth() - plot


def _wide_summary() -> list[DescriptorSummary]:
    """Seven fitted rows whose verdicts name outlying songs and whose corrections are long,
    one on a scale of its own: wider than the demo deck's."""
    rows = []
    for d in ("bpm", "energy", "danceability", "valence", "acousticness", "loudness_lufs",
              "key"):
        rows.append(DescriptorSummary(
            descriptor=d, n=240, correction="theil_sen: y = 0.4893x + 0.3371", kept=True,
            r2=0.81, mae_before=0.123, mae_after=0.0456, folds=5, verdict="calibrated",
            r2_cv=0.78, interval="±0.0743 (90 %)", correction_kept=True,
            outliers=[f"song {i}: 0.1 vs 0.9" for i in range(12)],
            acc1_before=0.92, acc1_after=0.93, acc2_before=1.0, acc2_after=1.0,
            accuracy_before=0.75, accuracy_after=0.75, weighted_before=0.78,
            weighted_after=0.79, scale="Mixed In Key 1-10" if d == "energy" else ""))
    return rows


def test_a_wide_summary_hides_its_spare_columns_before_the_plots_leave_its_side(
        qtbot, make_window):
    from gui.calibration_view import SPARE_COLUMNS

    w = make_window(SETTINGS)
    w.setGeometry(0, 0, 1600, 1000)
    w.split_for_height(1000)
    w.show_calibration()
    view = w.calibration_view
    view.summary_model.set_rows(_wide_summary())
    _settle(qtbot)
    summary = view.summary_table
    hidden = [c for c in range(summary.model().columnCount()) if summary.isColumnHidden(c)]
    # the whole summary would not fit beside a plot; without a spare column it does
    assert view.summary_width() > _beside(view)
    assert hidden and _fewest_spare_columns(view, hidden)
    assert not view.plots_in_tables and view.plots.isVisible()
    assert _whole_columns(summary) == []
    assert view.plots.width() >= view.splitter.width() - view.splitter.handleWidth() - _beside(view)
    # the hidden values are in the tip of the row's Column cell
    model = summary.model()
    tip = model.index(1, 0).data(Qt.ItemDataRole.ToolTipRole) or ""
    shown = [c for c in hidden if model.index(1, c).data()]
    assert shown
    for c in shown:
        assert f"{model.headerData(c, Qt.Orientation.Horizontal)}: " in tip
    # narrower than the summary without its spare columns and a plot: the plots on tabs,
    # and the summary given the whole width shows more of its columns
    w.setGeometry(0, 0, 1280, 800)
    _settle(qtbot)
    assert view.plots_in_tables and not view.plots.isVisible()
    assert _whole_columns(summary) == []
    assert len([c for c in SPARE_COLUMNS if summary.isColumnHidden(c)]) <= len(hidden)
    # wide again: back beside, the same columns hidden
    w.setGeometry(0, 0, 1600, 1000)
    _settle(qtbot)
    assert not view.plots_in_tables
    assert [c for c in range(summary.model().columnCount())
            if summary.isColumnHidden(c)] == hidden


def test_the_calibration_tab_of_the_demo_deck_fits_the_window_without_scrolling(
        qtbot, make_window):
    from gui.calibration_view import PLOT_MIN_WIDTH
    from gui.demo import DemoRun

    w = make_window(SETTINGS)
    run = DemoRun(w)
    with qtbot.waitSignal(run.finished, timeout=180_000) as ended:
        run.start()
    assert ended.args == [True]
    view = w.calibration_view
    summary = view.summary_table
    scroll = w._calibration_holder.findChild(QScrollArea)
    seen, hidden = {}, {}
    for width, height in ((1600, 1000), (1280, 800), (1024, 700)):
        w.setGeometry(0, 0, width, height)
        w.split_for_height(height)
        w.show_calibration()
        # the view redraws from the fit on a timer: under load it may not have yet
        qtbot.waitUntil(lambda: summary.model().rowCount() == 7, timeout=10_000)
        _settle(qtbot)
        assert (w.width(), w.height()) == (width, height)
        rows = w.table.viewport().height() // w.table.verticalHeader().defaultSectionSize()
        assert rows >= MIN_TABLE_ROWS  # (room for; the deck has 12 songs)
        assert _visible_rows(summary) == summary.model().rowCount() == 7, (width, height)
        assert _inside(view.status_label, w)
        seen[width] = (scroll.verticalScrollBar().maximum(), _whole_columns(summary),
                       getattr(view, "plots_in_tables", None))
        # every column of the song table shown reads whole, header and values
        assert _cut_song_columns(w.table) == [], (width, height)
        hidden[width] = [c for c in range(summary.model().columnCount())
                         if summary.isColumnHidden(c)]
    # 1600x1000: every part of the tab in sight, the summary beside the plots with every
    # column it shows whole; a spare column hidden only when the whole summary would not fit
    assert seen[1600] == (0, [], False)
    assert view.summary_width(hidden=frozenset(hidden[1600])) + PLOT_MIN_WIDTH <= 1600
    assert _fewest_spare_columns(view, hidden[1600])
    # 1280x800: the summary whole, the plots on tabs beside it
    assert seen[1280] == (0, [], True)
    # 1024x700: the plots on tabs too, a little scrolling at most, and every column shown
    # whole (the score read "Acc1 0.92 → 0...."): the least read ones hidden, their values
    # in the tip of the row's Column cell
    assert seen[1024][2] is True and seen[1024][0] < 60
    assert seen[1024][1] == []
    assert hidden[1280] == [] and hidden[1024]
    model = summary.model()
    tips = [model.index(r, 0).data(Qt.ItemDataRole.ToolTipRole) or ""
            for r in range(model.rowCount())]
    for c in hidden[1024]:
        assert any(model.headerData(c, Qt.Orientation.Horizontal) + ": " in t for t in tips)
    titles = [view.tables.tabText(i) for i in range(view.tables.count())]
    assert titles[2:] == ["Scatter", "Learned model", "Tempo ratios", "Key errors"]
    # wide again: the plots go back beside the tables, the scatter in front
    w.setGeometry(0, 0, 1600, 1000)
    _settle(qtbot)
    assert not view.plots_in_tables and view.tables.count() == 2
    assert view.plots.isVisible() and view.scatter_panel.isVisible()
    assert view.plots.width() >= PLOT_MIN_WIDTH


def test_1920x1080_gives_the_table_most_of_the_room(qtbot, make_window):
    w = make_window(SETTINGS)
    w.fit_to_screen(QRect(0, 0, 1920, 1080))
    _add_rows(w, 60)
    _settle(qtbot)
    assert _visible_rows(w.table) >= 20
    top, bottom = w.splitter.sizes()
    assert top > bottom


def test_title_stays_in_sight_while_the_table_scrolls_sideways(qtbot, make_window):
    w = make_window(SETTINGS)
    w.resize(1280, 720)
    _add_rows(w, 5)
    _settle(qtbot)
    frozen = w.table.frozen
    assert frozen.isVisible()
    bar = w.table.horizontalScrollBar()
    bar.setValue(bar.maximum())
    _settle(qtbot)
    assert bar.value() > 0
    assert frozen.geometry().left() <= w.table.frameWidth()
    assert frozen.width() == w.table.columnWidth(COL_NUM) + w.table.columnWidth(COL_TITLE)
    assert not frozen.isColumnHidden(COL_TITLE) and frozen.isColumnHidden(COL_ARTIST)
    rect = frozen.visualRect(frozen.model().index(0, COL_TITLE))
    assert frozen.viewport().rect().contains(rect)
    assert frozen.model().index(0, COL_TITLE).data() == "000_Artist_Song 0.wav"
    # the frozen columns cannot be dragged away from the left edge
    header = w.table.horizontalHeader()
    header.moveSection(header.visualIndex(COL_TITLE), 8)
    assert header.visualIndex(COL_TITLE) == 1
    # sorting from the frozen header sorts the table
    frozen.horizontalHeader().sectionClicked.emit(COL_TITLE)
    assert header.sortIndicatorSection() == COL_TITLE
    # and a resized Title follows in both views
    w.table.setColumnWidth(COL_TITLE, 260)
    assert frozen.columnWidth(COL_TITLE) == 260 and frozen.width() == 260 + w.table.columnWidth(0)


def test_column_chooser_shows_hides_orders_and_is_remembered(qtbot, tmp_path):
    first = MainWindow(SETTINGS, remember=True)
    qtbot.addWidget(first)
    table = first.table
    energy = descriptor_column("energy")
    menu = header_menu(table, first, lambda: None)
    toggle = [a for a in menu.actions() if a.text() == "Energy"][0]
    toggle.setChecked(False)
    assert table.isColumnHidden(energy)
    dlg = ColumnChooser(table, first)
    names = [dlg.list.item(i).data(Qt.ItemDataRole.UserRole) for i in range(dlg.list.count())]
    assert names[:2] == ["num", "title"]
    dlg.list.setCurrentRow(names.index("key"))
    dlg._move(-1)
    dlg._move(-1)
    dlg.accept()
    order = [e["name"] for e in column_layout(table) if e["shown"]]
    assert order.index("key") < order.index("bpm")
    first.close()
    saved = json.loads(QSettings().value("ui/columns"))
    assert {"name": "energy", "shown": False} == {k: saved[[e["name"] for e in saved]
                                                      .index("energy")][k]
                                                  for k in ("name", "shown")}
    second = MainWindow(SETTINGS, remember=True)
    qtbot.addWidget(second)
    assert second.table.isColumnHidden(energy)
    again = [e["name"] for e in column_layout(second.table) if e["shown"]]
    assert again.index("key") < again.index("bpm")
    second.close()


def test_a_damaged_or_old_column_layout_is_ignored_by_name(make_window):
    w = make_window(SETTINGS)
    apply_column_layout(w.table, [{"name": "gone_column"}, "junk",
                                  {"name": "energy", "shown": False}])
    assert w.table.isColumnHidden(descriptor_column("energy"))
    assert [e["name"] for e in column_layout(w.table)][:2] == ["num", "title"]
    assert set(COLUMN_NAMES) == {e["name"] for e in column_layout(w.table)}


def test_window_size_splitter_and_pane_heights_are_restored(qtbot):
    first = MainWindow(SETTINGS, remember=True)
    qtbot.addWidget(first)
    first.show()
    first.resize(790, 580)  # inside the offscreen platform's 800x600 screen
    first.splitter.setSizes([300, 330])
    first._remember_pane_height()
    first.show_calibration()
    first.close()
    second = MainWindow(SETTINGS, remember=True)
    qtbot.addWidget(second)
    second.show()
    assert (second.width(), second.height()) == (790, 580)
    assert second.bottom_tabs.currentWidget() is second._calibration_holder
    assert second._pane_heights.get("Workers") == first._pane_heights["Workers"]
    second.close()


def test_tab_leaves_every_table_and_the_focus_is_ringed(qtbot, make_window):
    w = make_window(SETTINGS)
    w.resize(1280, 720)
    _add_rows(w, 3)
    w.activateWindow()
    w.search.setFocus()
    _settle(qtbot)
    seen = []
    for _ in range(40):
        widget = QApplication.focusWidget()
        seen.append(widget)
        if widget is w.table:
            assert w.focus_ring.isVisible()
            ring = w.focus_ring.geometry()
            assert ring.contains(QRect(w.table.mapTo(w, w.table.rect().topLeft()),
                                       w.table.size()))
        qtbot.keyClick(widget, Qt.Key.Key_Tab)
        _settle(qtbot)
        if QApplication.focusWidget() is w.search:
            break
    assert QApplication.focusWidget() is w.search, "Tab never came back to the filter"
    assert w.table in seen and w.workers in seen
    assert seen.index(w.table) == 1  # right after the filter
    assert w.table.frozen not in seen  # the overlay takes no focus
    # Tab is not trapped in the Calibration tab's table either
    w.show_calibration()
    summary = w.calibration_view.summary_table
    summary.setFocus()
    _settle(qtbot)
    qtbot.keyClick(summary, Qt.Key.Key_Tab)
    assert QApplication.focusWidget() is not summary


def test_the_workers_tab_takes_only_the_room_its_workers_need(qtbot, make_window):
    w = make_window(SETTINGS)
    w.fit_to_screen(QRect(0, 0, 1280, 720))
    _add_rows(w, 40)
    _settle(qtbot)
    assert w.bottom_tabs.currentWidget() is w.workers
    workers_pane = w.splitter.sizes()[1]
    rows_with_workers = _visible_rows(w.table)
    w.show_calibration()
    _settle(qtbot)
    assert w.splitter.sizes()[1] > workers_pane
    assert rows_with_workers > _visible_rows(w.table) >= MIN_TABLE_ROWS
    w.workers.refresh()
    _settle(qtbot)
    w.bottom_tabs.setCurrentWidget(w.workers)
    _settle(qtbot)
    assert w.splitter.sizes()[1] == workers_pane
    assert w.workers.rowAt(w.workers.viewport().height() - 1) == -1  # both workers shown
