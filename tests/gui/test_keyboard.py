"""The window from the keyboard and with a screen reader: every main command has keys and no
two share them, menus and dialogs have one Alt letter per entry, Tab goes through each dialog
as it reads, every button and view has a name, and the song table answers the keys of a
song list (Home / End, Enter and Space to play, Delete to remove, Ctrl+Delete to skip)."""

from __future__ import annotations

import re
from collections import defaultdict

import pytest
from PySide6.QtCore import QItemSelectionModel, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QApplication,
    QComboBox,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMenu,
    QWidget,
)

from core.batch.rules import SongState
from core.settings import AnalysisSettings
from gui.column_chooser import ColumnChooser
from gui.crash_dialog import CrashDialog
from gui.earlier_lists import EarlierListsDialog
from gui.guide import GuideDialog, ShortcutsDialog, shortcut_rows
from gui.match_dialog import MatchDialog
from gui.settings_dialog import SettingsDialog
from gui.tempo_dialog import SetTempoDialog
from tests.gui.conftest import FakeAnalyzer, with_row_menu

TIMEOUT = 10_000
STD = QKeySequence.StandardKey


def _add(w, paths):
    first = len(w.engine.batch.jobs)
    w.engine.batch.add(paths)
    w.engine.jobsAdded.emit(first, len(paths))


def _mnemonic(text: str) -> str | None:
    """The Alt letter of ``text`` ('&&' is a plain ampersand), lower case."""
    m = re.search(r"(?<!&)&([^&\s])", text.replace("&&", ""))
    return m.group(1).lower() if m else None


def _keys_of(root: QWidget) -> dict[str, list[str]]:
    """Every key sequence that does something in ``root``'s window: the actions' shortcuts,
    the buttons' shortcuts and the Alt letters of its buttons and labelled fields."""
    owners: dict[str, set] = defaultdict(set)
    for a in root.findChildren(QAction):
        for seq in a.shortcuts():
            owners[seq.toString()].add(a.text() or a.objectName())
    for b in root.findChildren(QAbstractButton):
        if not b.shortcut().isEmpty() and not _mnemonic(b.text()):
            owners[b.shortcut().toString()].add(b.text())
    labelled = [b.text() for b in root.findChildren(QAbstractButton)]
    labelled += [lb.text() for lb in root.findChildren(QLabel) if lb.buddy() is not None]
    for text in labelled:
        letter = _mnemonic(text)
        if letter:
            owners[f"Alt+{letter.upper()}"].add(text)
    return {k: sorted(v) for k, v in owners.items()}


def _dialogs(w):
    tempo = SetTempoDialog(2, 120.0, (30.0, 300.0), can_play=True, parent=w)
    return [SettingsDialog(AnalysisSettings(), w), tempo, MatchDialog(w.calibration, w),
            ColumnChooser(w.table, w), GuideDialog(w),
            ShortcutsDialog(w.findChildren(QAction), w),
            CrashDialog("Traceback\nValueError: boom", "/tmp/songcal.log", w),
            EarlierListsDialog(None, lambda fn, done: None, w)]


# -- 1. keys --------------------------------------------------------------------------------

def test_the_main_commands_have_keys_and_no_two_commands_share_any(make_window, fast_settings,
                                                                   qtbot):
    """Quit had no keys where the platform has no standard one, and Skip Song none at all;
    the menu bar's Alt letters, the table bar's and the actions' keys are one set."""
    w = make_window(fast_settings)

    def standard(key):
        return QKeySequence.keyBindings(key)

    by_text = {a.text(): a for a in w.findChildren(QAction)}
    expected = {
        w.add_files_action: standard(STD.Open),
        w.add_folder_action: [QKeySequence("Ctrl+Shift+O")],
        w.open_list_action: [QKeySequence("Ctrl+Shift+L")],
        w.export_action: [QKeySequence("Ctrl+E")],
        w.load_reference_action: [QKeySequence("Ctrl+R")],
        w.start_action: [QKeySequence("F5")],
        w.pause_action: [QKeySequence("F6")],
        w.cancel_action: [QKeySequence("Shift+F5")],
        w.remove_action: [QKeySequence(Qt.Key.Key_Delete)],
        w.skip_action: [QKeySequence("Ctrl+Del")],
        w.preview_action: [QKeySequence("Ctrl+P")],
        w.undo_action: standard(STD.Undo),
        w.redo_action: [QKeySequence("Ctrl+Shift+Z")],
        w.table.copy_action: standard(STD.Copy),
        by_text["Select &All"]: standard(STD.SelectAll),
        by_text["&Filter Songs"]: standard(STD.Find),
        w.settings_action: standard(STD.Preferences) or [QKeySequence("Ctrl+,")],
        w.quit_action: standard(STD.Quit) or [QKeySequence("Ctrl+Q")],
        w.guide_action: standard(STD.HelpContents),
    }
    redo = w.redo_action.shortcuts()  # Ctrl+Y too, and the platform's own keys
    assert redo[:2] == [QKeySequence("Ctrl+Shift+Z"), QKeySequence("Ctrl+Y")]
    assert all(k in redo for k in standard(STD.Redo))
    for action, keys in expected.items():
        assert not action.shortcut().isEmpty(), action.text()
        assert action.shortcut() in keys, (action.text(), action.shortcut().toString())
    clashes = {k: v for k, v in _keys_of(w).items() if len(v) > 1}
    assert clashes == {}
    for dlg in _dialogs(w):
        qtbot.addWidget(dlg)
        clashes = {k: v for k, v in _keys_of(dlg).items() if len(v) > 1}
        assert clashes == {}, type(dlg).__name__


def _menu_clashes(menu: QMenu, where: str) -> list[str]:
    out = []
    seen: dict[str, str] = {}
    for a in menu.actions():
        if a.isSeparator() or not a.isVisible():
            continue
        letter = _mnemonic(a.text())
        if letter in seen:
            out.append(f"{where}: {seen[letter]!r} and {a.text()!r} share &{letter}")
        elif letter:
            seen[letter] = a.text()
        if a.menu() is not None:
            out += _menu_clashes(a.menu(), f"{where} > {a.text()}")
    return out


def test_each_menu_gives_every_entry_its_own_letter(qtbot, make_window, fast_settings):
    """In the File menu Clear and Export Calibration both took C, in the Edit menu Tempo
    Choices and Checked by Ear took H, in the Batch menu Pause and Preview took P (Resume
    and Retry took R): pressing the letter then only moved between them."""
    w = make_window(fast_settings, FakeAnalyzer())
    _add(w, ["/m/a.wav"])
    with qtbot.waitSignal(w.engine.batchFinished, timeout=TIMEOUT):
        w.start()
    bar = w.menuBar()
    problems = _menu_clashes(QMenu(), "")  # nothing
    letters = [_mnemonic(a.text()) for a in bar.actions()]
    assert None not in letters and len(set(letters)) == len(letters)
    for top in bar.actions():
        problems += _menu_clashes(top.menu(), top.text())
    w.pause_action.setText("Res&ume")  # as it reads while paused
    problems += _menu_clashes(w.batch_menu, "Batch (paused)")
    w._update_actions()
    # the song table's context menu
    assert problems + with_row_menu(w, 0, lambda menu: _menu_clashes(menu, "row menu")) == []


def test_every_command_with_keys_names_them_in_its_tip(make_window, fast_settings):
    """Copy Rows and Select All said only their names."""
    w = make_window(fast_settings)
    for a in w.findChildren(QAction):
        keys = a.shortcut().toString(QKeySequence.SequenceFormat.NativeText)
        if keys:
            assert a.toolTip().endswith(f"({keys})"), (a.text(), a.toolTip())
            assert a.toolTip().removesuffix(f"({keys})").strip() != \
                a.text().replace("&", "").replace("\u2026", "")


# -- 2. Tab in the dialogs ----------------------------------------------------------------

def _tab_walk(qtbot, dlg, first: QWidget) -> list[QWidget]:
    """The widgets Tab goes through from ``first`` until it comes back to it."""
    dlg.show()
    dlg.activateWindow()
    qtbot.waitExposed(dlg)
    first.setFocus()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is first, timeout=2000)
    seen = [first]
    for _ in range(40):
        qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)
        now = QApplication.focusWidget()
        if now is first:
            return seen
        seen.append(now)
    raise AssertionError(f"Tab never came back to the first field: {seen}")


def _box_buttons(dlg) -> list[QAbstractButton]:
    """The buttons of the dialog's button box as shown, left to right (the dialog shown)."""
    assert dlg.isVisible()
    box = dlg.findChild(QDialogButtonBox)
    buttons = [b for b in box.buttons() if b.isVisibleTo(dlg) and b.isEnabled()]
    return sorted(buttons, key=lambda b: b.mapTo(dlg, b.rect().topLeft()).x())


def test_tab_goes_through_the_settings_as_they_read_and_the_buttons_left_to_right(qtbot):
    """Restore Defaults, at the left of OK and Cancel, came last."""
    dlg = SettingsDialog(AnalysisSettings())
    qtbot.addWidget(dlg)
    fields = [dlg.workers, dlg.budget_base, dlg.budget_factor, dlg.hard_limit, dlg.chunk,
              dlg.sample_rate, dlg.tempo_range, dlg.session_store, dlg.cluster, dlg.send_files,
              dlg.key_names]
    assert _tab_walk(qtbot, dlg, dlg.workers) == fields + _box_buttons(dlg)


def test_tab_in_the_set_tempo_dialog(qtbot):
    dlg = SetTempoDialog(1, 120.0, (30.0, 300.0), can_play=True)
    qtbot.addWidget(dlg)
    assert _tab_walk(qtbot, dlg, dlg.spin) == [dlg.spin, dlg.tap_button, dlg.play_button,
                                               *_box_buttons(dlg)]


def test_tab_in_the_error_dialog_takes_copy_and_close_as_shown(qtbot):
    dlg = CrashDialog("Traceback\nValueError: boom", "/tmp/songcal.log")
    qtbot.addWidget(dlg)
    walked = _tab_walk(qtbot, dlg, dlg.details)
    buttons = _box_buttons(dlg)  # as laid out on the screen
    assert {b.text() for b in buttons} == {"&Copy", "Close"}
    assert walked == [dlg.details, *buttons]


def test_tab_in_the_matches_dialog_reaches_pair_before_the_pairs(qtbot, make_window,
                                                                 fast_settings):
    """Pair sits under the two lists and Unpair above the pairs: Tab takes them before the
    pairs (the dialog's layout makes the order; the pairs list is made before the buttons)."""
    w = make_window(fast_settings)
    dlg = MatchDialog(w.calibration, w)
    qtbot.addWidget(dlg)
    dlg.pair_button.setEnabled(True)
    dlg.unpair_button.setEnabled(True)
    assert _tab_walk(qtbot, dlg, dlg.song_filter) == [
        dlg.song_filter, dlg.row_filter, dlg.show_all_rows, dlg.song_list, dlg.row_list,
        dlg.pair_button, dlg.unpair_button, dlg.pair_list, *_box_buttons(dlg)]


def test_tab_in_the_column_chooser(qtbot, make_window, fast_settings):
    w = make_window(fast_settings)
    dlg = ColumnChooser(w.table, w)
    qtbot.addWidget(dlg)
    buttons = [b for b in dlg.findChildren(QAbstractButton)
               if b.parent() is not dlg.findChild(QDialogButtonBox) and b.isVisibleTo(dlg)
               and b.focusPolicy() & Qt.FocusPolicy.TabFocus and b.isEnabled()]
    side = sorted(buttons, key=lambda b: b.mapTo(dlg, b.rect().topLeft()).y())
    assert _tab_walk(qtbot, dlg, dlg.list) == [dlg.list, *side, *_box_buttons(dlg)]


# -- 3. names for screen readers ----------------------------------------------------------

def _unnamed_buttons(root: QWidget) -> list[str]:
    return [f"{type(b).__name__} {b.objectName()!r} in {type(b.parent()).__name__}"
            for b in root.findChildren(QAbstractButton)
            if b.isVisible() and not b.text().replace("&", "").strip()
            and not b.accessibleName()]


def test_every_button_in_sight_has_a_name(qtbot, make_window, fast_settings):
    """The filter's clear button and the toolbar's '>>' (a narrow window) had none."""
    w = make_window(fast_settings)
    w.store_banner.say("The session store takes no writes.")
    w.resume_banner.offer({"paths": ["/m/a.wav"], "created": 0})
    w.search.setText("abc")
    for width in (1280, w.minimumSizeHint().width()):  # the narrowest shows '>>'
        w.resize(width, 700)
        qtbot.waitUntil(lambda width=width: w.width() == width, timeout=2000)
        for i in range(w.bottom_tabs.count()):
            w.bottom_tabs.setCurrentIndex(i)
            QApplication.processEvents()
            assert _unnamed_buttons(w) == [], (width, w.bottom_tabs.tabText(i))
    assert w.toolbar.findChild(QAbstractButton, "qt_toolbar_ext_button").isVisible()
    for dlg in _dialogs(w):
        qtbot.addWidget(dlg)
        for field in dlg.findChildren(type(w.search)):
            field.setText("x")  # shows its clear button
        dlg.show()
        qtbot.waitExposed(dlg)
        assert _unnamed_buttons(dlg) == [], type(dlg).__name__
        dlg.close()


def test_tables_plots_and_bars_are_named(make_window, fast_settings):
    """A screen reader met 'table' and 'graphic' with no name in every tab."""
    import pyqtgraph as pg

    w = make_window(fast_settings)
    def inside_a_combo(v):
        return any(isinstance(p, QComboBox) for p in (v.parent(), v.parent().parent()))

    views = [v for v in w.findChildren(QAbstractItemView)
             if not isinstance(v, QHeaderView) and v is not w.table.frozen
             and not inside_a_combo(v)]
    assert w.table in views and w.workers in views
    plots = w.findChildren(pg.PlotWidget)
    assert len(plots) >= 8
    buddies = {lb.buddy() for lb in w.findChildren(QLabel)}
    fields = [f for f in w.findChildren(QComboBox) + w.findChildren(QLineEdit)
              if not isinstance(f.parent(), QComboBox) and f not in buddies]
    unnamed = [type(x).__name__ for x in views + plots + fields if not x.accessibleName()]
    assert unnamed == []
    for plot in plots:
        assert plot.accessibleDescription().startswith("Plot of ")
    assert w.table.accessibleName() == "Songs"
    for bar in (w.banner, w.resume_banner, w.store_banner):
        assert bar.accessibleName()


# -- 4. the song table's keys -------------------------------------------------------------

class _Output:
    def __init__(self):
        self.played = []
        self.stopped = 0

    def problem(self):
        return None

    def play(self, frames, rate):
        self.played.append(rate)

    def stop(self):
        self.stopped += 1


def _focus_table(qtbot, w, row: int, column: int = 1) -> None:
    w.activateWindow()
    w.table.setFocus()
    w.table.setCurrentIndex(w.proxy.index(row, column))
    w.table.selectionModel().select(
        w.proxy.index(row, 0), QItemSelectionModel.SelectionFlag.ClearAndSelect
        | QItemSelectionModel.SelectionFlag.Rows)
    qtbot.waitUntil(lambda: QApplication.focusWidget() is w.table, timeout=2000)


def test_home_and_end_go_to_the_first_and_last_song(qtbot, make_window, fast_settings):
    """They went to the row's first and last column: the current song stayed."""
    w = make_window(fast_settings)
    _add(w, [f"/m/{i:02d}.wav" for i in range(6)])
    _focus_table(qtbot, w, 2)
    qtbot.keyClick(w.table, Qt.Key.Key_End)
    assert w.table.currentIndex().row() == 5
    assert w.table.selected_rows() == [5]
    qtbot.keyClick(w.table, Qt.Key.Key_Home)
    assert w.table.currentIndex().row() == 0
    qtbot.keyClick(w.table, Qt.Key.Key_End, Qt.KeyboardModifier.ShiftModifier)
    assert w.table.selected_rows() == list(range(6))
    qtbot.keyClick(w.table, Qt.Key.Key_Up)
    assert w.table.currentIndex().row() == 4


def test_enter_plays_the_selected_song_and_space_stops_it(qtbot, make_window, fast_settings,
                                                         wav_deck):
    _deck, paths = wav_deck
    out = _Output()
    w = make_window(fast_settings, FakeAnalyzer(), audio_output=out)
    _add(w, [str(p) for p in paths[:2]])
    _focus_table(qtbot, w, 1)
    with qtbot.waitSignal(w.preview.started, timeout=TIMEOUT):
        qtbot.keyClick(w.table, Qt.Key.Key_Return)
    assert w.preview.playing == w.engine.batch.jobs[w.table.selected_job_ids()[0]].path
    with qtbot.waitSignal(w.preview.stopped, timeout=TIMEOUT):
        qtbot.keyClick(w.table, Qt.Key.Key_Space)
    assert out.stopped == 1 and w.preview.playing is None
    with qtbot.waitSignal(w.preview.started, timeout=TIMEOUT):
        qtbot.keyClick(w.table, Qt.Key.Key_Space)
    w.preview.stop()


@pytest.fixture
def long_keyboard_search(qapp):
    before = QApplication.keyboardInputInterval()
    QApplication.setKeyboardInputInterval(10 ** 7)  # a typed title never times out
    yield
    QApplication.setKeyboardInputInterval(before)


def test_space_inside_a_typed_title_searches_instead_of_playing(qtbot, make_window,
                                                                fast_settings,
                                                                long_keyboard_search):
    w = make_window(fast_settings)
    _add(w, ["/m/01_Artist_Song one.wav", "/m/02_Artist_Song two.wav"])
    _focus_table(qtbot, w, 0)
    played = []
    w.table.playRequested.connect(lambda: played.append(True))
    qtbot.keyClicks(w.table, "S")
    qtbot.keyClick(w.table, Qt.Key.Key_Space)
    assert played == []


def test_delete_removes_and_ctrl_delete_skips_the_selected_songs_only_from_the_table(
        qtbot, make_window, fast_settings):
    w = make_window(fast_settings)
    _add(w, ["/m/a.wav", "/m/b.wav", "/m/c.wav"])
    w.search.setFocus()
    w.search.setText("ab")
    w.search.setCursorPosition(0)
    _focus_table(qtbot, w, 1)
    w.search.setFocus()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is w.search, timeout=2000)
    qtbot.keyClick(w.search, Qt.Key.Key_Delete)
    assert w.search.text() == "b"  # a key of the field there
    assert [j.state for j in w.engine.batch.jobs] == [SongState.QUEUED] * 3
    w.search.clear()
    _focus_table(qtbot, w, 1)
    qtbot.keyClick(w.table, Qt.Key.Key_Delete, Qt.KeyboardModifier.ControlModifier)
    assert [j.state for j in w.engine.batch.jobs] == [SongState.QUEUED, SongState.SKIPPED,
                                                      SongState.QUEUED]
    _focus_table(qtbot, w, 1)
    qtbot.keyClick(w.table, Qt.Key.Key_Delete)
    assert [j.path for j in w.engine.batch.jobs] == ["/m/a.wav", "/m/c.wav"]
    qtbot.keyClick(w.table, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert [(j.path, j.state) for j in w.engine.batch.jobs] == [
        ("/m/a.wav", SongState.QUEUED), ("/m/b.wav", SongState.SKIPPED),
        ("/m/c.wav", SongState.QUEUED)]
    # Redo: Ctrl+Y as well as Ctrl+Shift+Z
    qtbot.keyClick(w.table, Qt.Key.Key_Y, Qt.KeyboardModifier.ControlModifier)
    assert [j.path for j in w.engine.batch.jobs] == ["/m/a.wav", "/m/c.wav"]
    qtbot.keyClick(w.table, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClick(w.table, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier
                   | Qt.KeyboardModifier.ShiftModifier)
    assert [j.path for j in w.engine.batch.jobs] == ["/m/a.wav", "/m/c.wav"]


def test_escape_clears_the_filter_then_the_selection_and_never_cancels_the_batch(
        qtbot, make_window):
    """Escape did nothing in the window; Cancel stays on Shift+F5."""
    fake = FakeAnalyzer(block_on="a.wav")
    w = make_window(AnalysisSettings(workers=2), fake)
    _add(w, ["/m/a.wav", "/m/b.wav", "/m/c.wav"])
    try:
        w.start()
        assert fake.blocked.wait(5)
        assert w.escape_action.shortcut() == QKeySequence(Qt.Key.Key_Escape)
        # in the filter: its text goes, the songs come back, the focus stays there
        w.activateWindow()
        w.search.setFocus()
        qtbot.waitUntil(lambda: QApplication.focusWidget() is w.search, timeout=2000)
        qtbot.keyClicks(w.search, "b.w")
        qtbot.waitUntil(lambda: w.proxy.rowCount() == 1, timeout=2000)
        qtbot.keyClick(w.search, Qt.Key.Key_Escape)
        assert w.search.text() == "" and QApplication.focusWidget() is w.search
        qtbot.waitUntil(lambda: w.proxy.rowCount() == 3, timeout=2000)
        # in the table with a filter typed: the filter goes first, then the selection
        w.search.setText(".wav")
        qtbot.waitUntil(lambda: w.proxy.rowCount() == 3, timeout=2000)
        _focus_table(qtbot, w, 1)
        chosen = w.table.selected_job_ids()
        assert len(chosen) == 1
        qtbot.keyClick(w.table, Qt.Key.Key_Escape)
        assert w.search.text() == "" and w.table.selected_job_ids() == chosen
        qtbot.keyClick(w.table, Qt.Key.Key_Escape)
        assert w.table.selected_rows() == []
        qtbot.keyClick(w.table, Qt.Key.Key_Escape)  # nothing left to clear: nothing happens
        assert w.engine.is_running
        assert not any(j.state is SongState.CANCELLED for j in w.engine.batch.jobs)
    finally:
        fake.release()
    with qtbot.waitSignal(w.engine.batchFinished, timeout=TIMEOUT):
        pass
    assert [j.state for j in w.engine.batch.jobs] == [SongState.DONE] * 3


def test_the_batch_progress_is_told_to_screen_readers_a_few_seconds_apart():
    from PySide6.QtWidgets import QLabel

    from gui.announce import ANNOUNCE_S, Announcer

    label = QLabel()
    now = [100.0]
    told = Announcer(label, clock=lambda: now[0])
    assert told.say("Batch progress: 1 of 40 songs finished")
    now[0] += ANNOUNCE_S / 3
    assert not told.say("Batch progress: 2 of 40 songs finished")  # too soon: kept back
    assert label.accessibleDescription() == "Batch progress: 1 of 40 songs finished"
    now[0] += ANNOUNCE_S
    assert told.say("Batch progress: 5 of 40 songs finished")
    now[0] += 0.1
    assert told.say("Batch progress: 40 of 40 songs finished", final=True)  # the end: at once
    assert label.accessibleDescription() == "Batch progress: 40 of 40 songs finished"


def test_progress_bars_are_named_and_described_as_the_batch_goes(qtbot, make_window):
    """A screen reader heard "Songs count" text and "40 %" cells: nothing said they were
    the batch's and the songs' progress."""
    from PySide6.QtGui import QAccessible

    from gui.song_columns import COL_PROGRESS

    fake = FakeAnalyzer(block_on="c.wav", n_chunks=4)
    w = make_window(AnalysisSettings(workers=2), fake)
    _add(w, ["/m/a.wav", "/m/b.wav", "/m/c.wav"])
    bar = w.count_label
    w._refresh_ui()
    assert bar.accessibleName() == "Batch progress"
    assert bar.accessibleDescription() == "Batch progress: 0 of 3 songs finished"
    try:
        w.start()
        assert fake.blocked.wait(5)
        qtbot.waitUntil(lambda: bar.accessibleDescription()
                        == "Batch progress: 2 of 3 songs finished, 1 running", timeout=TIMEOUT)
        face = QAccessible.queryAccessibleInterface(bar)
        assert face.text(QAccessible.Text.Name) == "Batch progress"
        assert face.text(QAccessible.Text.Description) == bar.accessibleDescription()
        cell = w.proxy.index(2, COL_PROGRESS)
        assert cell.data(Qt.ItemDataRole.AccessibleTextRole) == "Progress: 0 %"  # (held)
        assert w.proxy.index(0, COL_PROGRESS).data(
            Qt.ItemDataRole.AccessibleTextRole) == "Progress: 100 %"
    finally:
        fake.release()
    with qtbot.waitSignal(w.engine.batchFinished, timeout=TIMEOUT):
        pass
    w._refresh_ui()
    assert bar.accessibleDescription() == "Batch progress: 3 of 3 songs finished"


@pytest.mark.parametrize("keys", [(Qt.Key.Key_Menu, Qt.KeyboardModifier.NoModifier),
                                  (Qt.Key.Key_F10, Qt.KeyboardModifier.ShiftModifier)])
def test_the_menu_key_and_shift_f10_open_the_row_menu_at_the_current_song(
        qtbot, make_window, fast_settings, keys):
    from PySide6.QtCore import QTimer

    w = make_window(fast_settings)
    _add(w, [f"/m/{i:02d}.wav" for i in range(60)])
    w.resize(1000, 600)
    row = 45  # below the rows in sight: the table scrolls to it
    _focus_table(qtbot, w, row)
    opened = []

    def take_menu():
        menu = QApplication.activePopupWidget()
        if isinstance(menu, QMenu):
            opened.append((menu.pos(), [a.text() for a in menu.actions() if a.text()]))
            menu.close()
        elif len(opened) < 5:
            QTimer.singleShot(20, take_menu)

    QTimer.singleShot(0, take_menu)
    qtbot.keyClick(w.table, *keys)
    qtbot.wait(100)  # (a second menu would open by now)
    assert len(opened) == 1
    pos, texts = opened[0]
    assert "&Skip Song" in texts and "Reveal in &File Manager" in texts
    cell = w.table.visualRect(w.proxy.index(row, 1))
    assert w.table.viewport().rect().contains(cell.center())  # scrolled into sight
    at = w.table.viewport().mapToGlobal(cell.center())
    assert abs(pos.y() - at.y()) <= cell.height()  # beside the current song's row
    assert w.table.selected_rows() == [row]
    rows = dict(shortcut_rows(w.findChildren(QAction)))
    assert rows["Song Menu"] == "Menu, Shift+F10"
