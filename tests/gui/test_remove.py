"""Remove from List: the selected songs leave the list (a running one is skipped first and
the batch goes on), Undo puts them back at their places with their results, and the
session store keeps the list as it is for the next start."""

from __future__ import annotations

import dataclasses

from PySide6.QtCore import QItemSelectionModel, Qt

from core.batch.rules import SongState
from core.batch.store import ResultStore
from core.io.results import SongResult
from core.settings import AnalysisSettings
from gui.main_window import MainWindow
from gui.song_columns import COL_TITLE
from tests.gui.conftest import FakeAnalyzer

TIMEOUT = 20_000
SETTINGS = AnalysisSettings(workers=2, budget_base_s=30.0)


def _window(qtbot, store=None, analyze=None, settings=SETTINGS):
    w = MainWindow(settings, analyze=analyze or FakeAnalyzer(), remember=False, store=store)
    w.confirm_quit = False
    qtbot.addWidget(w)
    w.show()
    return w


def _add(w, paths):
    first = len(w.engine.batch.jobs)
    w.engine.batch.add(paths)
    w.engine.jobsAdded.emit(first, len(paths))


def _select(w, rows):
    """Select the rows ``rows`` of the table as shown (sorted, filtered)."""
    sel = w.table.selectionModel()
    sel.clearSelection()
    for r in rows:
        sel.select(w.proxy.index(r, 0), QItemSelectionModel.SelectionFlag.Select
                   | QItemSelectionModel.SelectionFlag.Rows)


def _names(w):
    return [j.path.rsplit("/", 1)[-1] for j in w.engine.batch.jobs]


def test_remove_takes_the_rows_selected_in_a_sorted_view_and_undo_puts_them_back(qtbot):
    w = _window(qtbot)
    _add(w, [f"/m/{c}{i}.wav" for i, c in enumerate("cadbe")])  # c0 a1 d2 b3 e4
    with qtbot.waitSignal(w.engine.batchFinished, timeout=TIMEOUT):
        w.start()
    results = {j.path: j.result for j in w.engine.batch.jobs}
    w.table.sortByColumn(COL_TITLE, Qt.SortOrder.DescendingOrder)
    shown = [w.proxy.index(r, COL_TITLE).data() for r in range(5)]
    assert shown == ["T /e4", "T /d2", "T /c0", "T /b3", "T /a1"]
    _select(w, [1, 3])  # d2 and b3 as shown
    assert w.remove_action.isEnabled()
    w.remove_action.trigger()
    assert _names(w) == ["c0.wav", "a1.wav", "e4.wav"]
    assert [j.id for j in w.engine.batch.jobs] == [0, 1, 2]
    assert [w.proxy.index(r, COL_TITLE).data() for r in range(3)] == ["T /e4", "T /c0",
                                                                      "T /a1"]
    assert w.engine.batch.counts()[SongState.DONE] == 3
    assert "Undo" in w.statusBar().currentMessage()
    assert w.undo_action.isEnabled()
    w.undo_action.trigger()
    assert _names(w) == ["c0.wav", "a1.wav", "d2.wav", "b3.wav", "e4.wav"]
    assert all(j.result is results[j.path] for j in w.engine.batch.jobs)
    assert [w.proxy.index(r, COL_TITLE).data() for r in range(5)] == shown
    assert not w.undo_action.isEnabled()
    w.close()


def test_a_running_song_removed_mid_batch_is_skipped_and_the_batch_ends_with_the_rest(
        qtbot):
    """The running song's worker is given up on (its slot takes the next song); the songs
    that moved up get their own results, the removed ones none."""
    fake = FakeAnalyzer(block_on="stuck", n_chunks=4, step_s=0.02)
    w = _window(qtbot, analyze=fake)
    _add(w, ["/m/a0.wav", "/m/stuck1.wav"] + [f"/m/s{i}.wav" for i in range(2, 9)])
    w.start()
    qtbot.waitUntil(fake.blocked.is_set, timeout=TIMEOUT)
    qtbot.waitUntil(lambda: w.engine.batch.jobs[0].state is SongState.DONE, timeout=TIMEOUT)
    running = [j.path for j in w.engine.batch.jobs if j.state is SongState.RUNNING]
    assert "/m/stuck1.wav" in running
    try:
        with qtbot.waitSignal(w.engine.batchFinished, timeout=TIMEOUT):
            _select(w, [0, 1, 5])  # done, running (stuck), and one not ended yet
            w.remove_selected()
            assert _names(w)[:2] == ["s2.wav", "s3.wav"] and len(_names(w)) == 6
    finally:
        fake.release()
    jobs = w.engine.batch.jobs
    assert [j.state for j in jobs] == [SongState.DONE] * 6
    assert all(j.result.path == j.path for j in jobs)  # each its own result
    assert w.engine.batch.counts()[SongState.DONE] == 6
    assert w.engine.batch.run_counts()["ended"] == 6
    qtbot.waitUntil(lambda: w.count_label.text().startswith("6 songs:"), timeout=TIMEOUT)
    assert w.model.rowCount() == 6
    qtbot.waitUntil(lambda: not w.engine.abandoned, timeout=TIMEOUT)  # its worker freed
    assert fake.calls.count("/m/stuck1.wav") == 1 and "/m/s5.wav" not in fake.calls
    assert len(fake.calls) == 8
    # the Workers tab's timeline keeps the removed songs' runs, with no row
    segs = {s.key: s for s in w.engine.segments}
    assert segs[1].job_id == -1 and segs[1].state == SongState.SKIPPED.value
    assert all(segs[j.key].job_id == j.id for j in jobs if j.key in segs)
    # Undo mid-list: the skipped song comes back skipped, the others as they ended
    assert w.undo_clear()
    assert _names(w)[:3] == ["a0.wav", "stuck1.wav", "s2.wav"] and len(_names(w)) == 9
    assert w.engine.batch.jobs[1].state is SongState.SKIPPED
    assert w.engine.batch.jobs[1].error == "removed from the list"
    w.close()


def test_removed_queued_songs_come_back_queued_mid_batch_and_are_analyzed(qtbot):
    fake = FakeAnalyzer(n_chunks=4, step_s=0.05)
    w = _window(qtbot, analyze=fake, settings=dataclasses.replace(SETTINGS, workers=1))
    _add(w, [f"/m/s{i}.wav" for i in range(6)])
    w.start()
    qtbot.waitUntil(lambda: w.engine.batch.jobs[0].state is SongState.RUNNING,
                    timeout=TIMEOUT)
    _select(w, [3, 4])
    assert w.remove_selected() == 2
    assert w.undo_action.isEnabled()  # mid-batch too
    with qtbot.waitSignal(w.engine.batchFinished, timeout=TIMEOUT):
        assert w.undo_clear()
    assert _names(w) == [f"s{i}.wav" for i in range(6)]
    assert [j.state for j in w.engine.batch.jobs] == [SongState.DONE] * 6
    assert all(j.result.path == j.path for j in w.engine.batch.jobs)
    w.close()


def test_the_list_after_a_removal_and_after_its_undo_comes_back_at_the_next_start(
        qtbot, tmp_path):
    db = tmp_path / "store.sqlite"
    first = _window(qtbot, ResultStore(db))
    _add(first, [f"/m/s{i}.wav" for i in range(5)])
    with qtbot.waitSignal(first.engine.batchFinished, timeout=TIMEOUT):
        first.start()
    first.engine.correct([4], bpm_user=60.0)
    _select(first, [1, 2])
    assert first.remove_selected() == 2
    first.close()

    second = _window(qtbot, ResultStore(db))
    with qtbot.waitSignal(second.library.restored, timeout=TIMEOUT) as sig:
        second.restore_library()
    assert sig.args[0]["songs"] == 3
    assert _names(second) == ["s0.wav", "s3.wav", "s4.wav"]
    assert [j.state for j in second.engine.batch.jobs] == [SongState.DONE] * 3
    assert second.engine.batch.jobs[2].result.bpm_user == 60.0
    # removed again, then undone: the whole list is kept
    _select(second, [0])
    assert second.remove_selected() == 1 and second.undo_clear()
    second.close()

    third = _window(qtbot, ResultStore(db))
    with qtbot.waitSignal(third.library.restored, timeout=TIMEOUT):
        third.restore_library()
    assert _names(third) == ["s0.wav", "s3.wav", "s4.wav"]
    assert third.engine.batch.jobs[2].result.bpm_user == 60.0
    third.close()


def test_remove_while_the_list_comes_back_takes_only_the_songs_selected(
        qtbot, tmp_path, monkeypatch):
    """The list comes back in slices; a removal between two slices adds the rest first (the
    songs keep their places), then removes only the songs selected."""
    from gui.engine_list import EngineListMixin

    db = tmp_path / "store.sqlite"
    paths = [f"/m/{i:03d}.wav" for i in range(30)]
    keep = _window(qtbot, ResultStore(db))
    keep.engine.restore_jobs([(p, SongResult(path=p, status="done", bpm=60.0 + i))
                              for i, p in enumerate(paths)])
    keep.close()
    monkeypatch.setattr(EngineListMixin, "RESTORE_SLICE", 4)
    w = _window(qtbot, ResultStore(db))
    removed = []

    def remove_two():
        _select(w, [1, 5])
        removed.append(w.remove_selected())

    seen = []

    def added(_first, _count):
        seen.append(len(w.engine.batch.jobs))
        if len(seen) == 2:
            from PySide6.QtCore import QTimer

            QTimer.singleShot(0, remove_two)

    w.engine.jobsAdded.connect(added)
    with qtbot.waitSignal(w.library.restored, timeout=TIMEOUT):
        w.restore_library()
    qtbot.waitUntil(lambda: bool(removed), timeout=TIMEOUT)
    assert removed == [2] and not w.engine.restoring
    left = [p for i, p in enumerate(paths) if i not in (1, 5)]
    assert [j.path for j in w.engine.batch.jobs] == left
    assert [j.result.bpm for j in w.engine.batch.jobs] == [
        60.0 + i for i in range(30) if i not in (1, 5)]
    assert w.model.rowCount() == 28
    w.close()
    again = _window(qtbot, ResultStore(db))
    with qtbot.waitSignal(again.library.restored, timeout=TIMEOUT):
        again.restore_library()
    assert [j.path for j in again.engine.batch.jobs] == left
    again.close()


def test_remove_asks_first_only_for_many_songs_and_a_removed_file_can_be_added_again(
        qtbot, monkeypatch):
    w = _window(qtbot)
    monkeypatch.setattr(type(w), "REMOVE_ASK_FROM", 3)
    _add(w, [f"/m/s{i}.wav" for i in range(4)])
    asked = []
    w._confirm = lambda title, text, ok: asked.append(text) or False
    _select(w, [0, 1])
    assert w.remove_selected() == 2 and asked == []
    _select(w, [0, 1])
    w.undo_clear()
    _select(w, [0, 1, 2])
    assert w.remove_selected() == 0 and "Remove the 3 selected songs" in asked[0]
    assert len(w.engine.batch.jobs) == 4
    _select(w, [3])
    assert w.remove_selected() == 1
    with qtbot.waitSignal(w.engine.scanFinished, timeout=TIMEOUT):
        w.engine.add_paths(["/m/s3.wav"])  # (a file that is gone: a failed row)
    assert _names(w) == ["s0.wav", "s1.wav", "s2.wav", "s3.wav"]
    w.close()


def test_remove_is_in_the_edit_menu_and_the_rows_menu(qtbot):
    w = _window(qtbot)
    assert w.remove_action in w.edit_menu.actions()
    assert w.remove_action in w.table.row_actions
    assert not w.remove_action.isEnabled()  # nothing selected
    w.close()


def test_a_removal_and_its_undo_write_only_the_songs_rows_in_the_same_list(
        qtbot, tmp_path):
    """Removing songs deletes their rows (and results) from the library kept in the store,
    and Undo writes them back: the list is not written again as a new one."""
    import sqlite3

    db = tmp_path / "store.sqlite"
    store = ResultStore(db)
    w = _window(qtbot, store)
    _add(w, [f"/m/s{i}.wav" for i in range(6)])
    with qtbot.waitSignal(w.engine.batchFinished, timeout=TIMEOUT):
        w.start()
    store.flush()  # (the list's session written: its id is the store's)
    session = w.library.session
    written = []
    store._db.set_trace_callback(written.append)  # the writer's statements from here
    _select(w, [1, 4])
    assert w.remove_selected() == 2
    store.flush()

    def rows():
        with sqlite3.connect(db) as con:
            return (con.execute("SELECT COUNT(*) FROM sessions").fetchone()[0],
                    con.execute("SELECT idx FROM session_songs WHERE session=? ORDER BY idx",
                                (session,)).fetchall(),
                    con.execute("SELECT idx FROM session_results WHERE session=? "
                                "ORDER BY idx", (session,)).fetchall())

    assert w.library.session == session
    assert rows() == (1, [(0,), (2,), (3,), (5,)], [(0,), (2,), (3,), (5,)])
    assert not any("INSERT" in s for s in written)  # nothing of the songs left is written
    assert w.undo_clear()
    store.flush()
    assert w.library.session == session
    assert rows() == (1, [(i,) for i in range(6)], [(i,) for i in range(6)])
    # (the trace names a statement again for each step of the triggers it fires, which
    # keep the list's counts: core.batch.store_counts)
    inserted = {s for s in written if "INSERT" in s}
    assert len(inserted) == 4  # the two songs and their two results
    w.close()


def test_undo_takes_back_several_removals_newest_first_and_redo_does_them_again(
        qtbot, tmp_path):
    """Each removal is a step of its own: Undo brings them back one by one, newest first,
    at their places with their results, its menu entry naming the step; Redo removes the
    same songs again; the list kept in the store follows every step."""
    w = _window(qtbot, ResultStore(tmp_path / "store.sqlite"))
    _add(w, [f"/m/s{i}.wav" for i in range(6)])
    with qtbot.waitSignal(w.engine.batchFinished, timeout=TIMEOUT):
        w.start()
    results = {j.path: j.result for j in w.engine.batch.jobs}
    everything = _names(w)
    assert w.undo_action.text() == "&Undo" and not w.undo_action.isEnabled()
    _select(w, [1])
    w.remove_action.trigger()  # s1
    assert w.undo_action.text() == "&Undo Remove 1 Song"
    _select(w, [2, 3])
    w.remove_action.trigger()  # s3 and s4
    assert _names(w) == ["s0.wav", "s2.wav", "s5.wav"]
    assert w.undo_action.text() == "&Undo Remove 2 Songs"
    assert not w.redo_action.isEnabled()

    w.undo_action.trigger()
    assert _names(w) == ["s0.wav", "s2.wav", "s3.wav", "s4.wav", "s5.wav"]
    assert w.undo_action.text() == "&Undo Remove 1 Song"
    assert w.redo_action.isEnabled() and w.redo_action.text() == "Re&do Remove 2 Songs"
    w.undo_action.trigger()
    assert _names(w) == everything
    assert all(j.result is results[j.path] for j in w.engine.batch.jobs)
    assert [j.id for j in w.engine.batch.jobs] == list(range(6))
    assert not w.undo_action.isEnabled() and w.undo_action.text() == "&Undo"
    assert w.redo_action.text() == "Re&do Remove 1 Song"

    w.redo_action.trigger()
    w.redo_action.trigger()
    assert _names(w) == ["s0.wav", "s2.wav", "s5.wav"]
    assert not w.redo_action.isEnabled()
    w.undo_action.trigger()  # s3 and s4 back; a new removal leaves nothing to do again
    assert w.redo_action.isEnabled()
    _select(w, [0])
    w.remove_action.trigger()
    assert not w.redo_action.isEnabled()
    assert _names(w) == ["s2.wav", "s3.wav", "s4.wav", "s5.wav"]
    w.store.flush()
    second = _window(qtbot, ResultStore(tmp_path / "store.sqlite"))
    w.close()
    with qtbot.waitSignal(second.library.restored, timeout=TIMEOUT):
        second.restore_library()
    assert _names(second) == ["s2.wav", "s3.wav", "s4.wav", "s5.wav"]
    assert [j.result.path for j in second.engine.batch.jobs] == [
        j.path for j in second.engine.batch.jobs]
    second.close()


def test_clear_leaves_itself_alone_to_undo_and_a_list_replaced_leaves_nothing(qtbot):
    w = _window(qtbot)
    _add(w, [f"/m/s{i}.wav" for i in range(4)])
    _select(w, [0])
    w.remove_selected()
    _select(w, [0])
    w.remove_selected()
    w._confirm = lambda *a: True
    assert w.clear()
    assert w.undo_action.text() == "&Undo Clear"
    w.undo_action.trigger()
    assert _names(w) == ["s2.wav", "s3.wav"]
    assert not w.undo_action.isEnabled()  # the removals before the Clear are not undone
    assert w.redo_action.text() == "Re&do Clear"
    w.redo_action.trigger()
    assert _names(w) == [] and w.undo_action.text() == "&Undo Clear"
    w.undo_action.trigger()
    _select(w, [0])
    w.remove_selected()
    w.engine.clear()  # the list replaced (the demo deck does so): nothing to undo or redo
    w._update_actions()
    assert not w.undo_action.isEnabled() and not w.undo()
    assert not w.redo_action.isEnabled() and not w.redo()
    assert _names(w) == []
    w.close()


def test_a_late_report_of_a_removed_song_through_the_thread_engine_reaches_no_row(qtbot):
    """The removed song's worker, stuck past its cancel, returns a result while the song
    that took its row runs with the same attempt number: its progress and its result
    arrive through the engine's worker signals and are dropped, the row keeps its own
    song, and Undo brings the removed song back skipped, without that result."""
    import threading

    from core.analysis.identity import analyzer_id

    stuck_go, hold_go = threading.Event(), threading.Event()
    stuck_in, returned = threading.Event(), []

    def analyze(path, *, settings, progress=None, should_cancel=None):
        bpm = 120.0
        if "stuck" in path:  # ignores its cancel flag, then reports all the same
            stuck_in.set()
            stuck_go.wait(30)
            bpm = 999.0
        elif "hold" in path:
            hold_go.wait(30)
            bpm = 100.0
        if progress is not None:
            progress(1, 1, 3.0)
        returned.append(path)
        return SongResult(path=path, status="done", duration_s=3.0, bpm=bpm, chunks=1,
                          analyzer=analyzer_id())

    w = _window(qtbot, analyze=analyze)
    _add(w, ["/m/a0.wav", "/m/stuck1.wav", "/m/hold2.wav", "/m/c3.wav"])
    jobs = w.engine.batch.jobs
    try:
        w.start()
        qtbot.waitUntil(lambda: stuck_in.is_set() and jobs[0].state is SongState.DONE
                        and jobs[2].state is SongState.RUNNING, timeout=TIMEOUT)
        stuck, hold = jobs[1], jobs[2]
        assert stuck.attempt == hold.attempt == 1
        _select(w, [1])
        assert w.remove_selected() == 1
        assert w.engine.batch.jobs[1] is hold and hold.id == 1  # its row now
        qtbot.waitUntil(lambda: w.engine.batch.jobs[2].state is SongState.DONE,
                        timeout=TIMEOUT)  # c3, in the slot the removed song left
        stuck_go.set()  # the late progress and result, through the worker signals
        qtbot.waitUntil(lambda: "/m/stuck1.wav" in returned and not w.engine.abandoned,
                        timeout=TIMEOUT)
        qtbot.wait(50)  # (anything queued to the window's thread is delivered)
        assert hold.state is SongState.RUNNING and hold.result is None
        assert all(j.result is None or j.result.bpm != 999.0 for j in w.engine.batch.jobs)
        assert stuck.state is SongState.SKIPPED and stuck.chunk == 0
        assert stuck.result.status == "skipped" and stuck.result.bpm is None
        with qtbot.waitSignal(w.engine.batchFinished, timeout=TIMEOUT):
            hold_go.set()
    finally:
        stuck_go.set()
        hold_go.set()
    assert [(j.path, j.result.bpm) for j in w.engine.batch.jobs] == [
        ("/m/a0.wav", 120.0), ("/m/hold2.wav", 100.0), ("/m/c3.wav", 120.0)]
    assert w.engine.batch.run_counts()["ended"] == 3
    assert w.undo()
    back = w.engine.batch.jobs[1]
    assert back is stuck and back.state is SongState.SKIPPED and back.result.bpm is None
    assert back.error == "removed from the list"
    w.close()


def _shown(w):
    """The file names of the rows as the table shows them (sorted, filtered), with their
    numbers."""
    from gui.song_columns import COL_FILE, COL_NUM

    p = w.proxy
    return [(p.index(r, COL_NUM).data(), p.index(r, COL_FILE).data().removesuffix(".wav"))
            for r in range(p.rowCount())]


def test_rows_leave_and_come_back_in_place_in_a_sorted_filtered_table(qtbot):
    """A removal and its undo reset the whole table model (at 20,000 songs 35-50 ms of
    the window's thread, the filter passed over every row again); the rows are removed and
    inserted in place now, and the order, the filter and the numbers stay right."""
    from gui.song_columns import COL_NUM

    w = _window(qtbot)
    names = [f"{c}{i}" for i in range(5) for c in "xy"]  # x0 y0 x1 y1 ... x4 y4
    _add(w, [f"/m/{n}.wav" for n in names])
    resets, removed, inserted = [], [], []
    w.model.modelReset.connect(lambda: resets.append(1))
    w.model.rowsRemoved.connect(lambda _p, a, b: removed.append((a, b)))
    w.model.rowsInserted.connect(lambda _p, a, b: inserted.append((a, b)))

    def numbered(listed):
        return [(str(i + 1), n) for i, n in enumerate(listed)]

    w.table.sortByColumn(COL_NUM, Qt.SortOrder.DescendingOrder)
    w.search.setText("x")
    qtbot.waitUntil(lambda: w.proxy.rowCount() == 5, timeout=TIMEOUT)
    assert [n for _, n in _shown(w)] == ["x4", "x3", "x2", "x1", "x0"]
    _select(w, [1, 3])  # x3 and x1
    assert w.remove_selected() == 2
    assert not resets and len(removed) == 2
    left = [n for n in names if n not in ("x3", "x1")]
    assert _shown(w) == [e for e in reversed(numbered(left)) if e[1].startswith("x")]
    w.search.setText("")
    qtbot.waitUntil(lambda: w.proxy.rowCount() == 8, timeout=TIMEOUT)
    assert _shown(w) == list(reversed(numbered(left)))
    w.search.setText("x")
    qtbot.waitUntil(lambda: w.proxy.rowCount() == 3, timeout=TIMEOUT)
    assert w.undo()
    assert not resets and len(inserted) == 2
    assert _shown(w) == [e for e in reversed(numbered(names)) if e[1].startswith("x")]
    w.search.setText("")
    qtbot.waitUntil(lambda: w.proxy.rowCount() == 10, timeout=TIMEOUT)
    assert _shown(w) == list(reversed(numbered(names)))

    # in the list's own order: two runs out, and back with Undo, then out again (Redo)
    w.table.sortByColumn(COL_NUM, Qt.SortOrder.AscendingOrder)
    removed.clear()
    inserted.clear()
    _select(w, [0, 1, 5])
    assert w.remove_selected() == 3
    assert removed == [(5, 5), (0, 1)] and not resets
    assert _shown(w) == numbered([n for i, n in enumerate(names) if i not in (0, 1, 5)])
    assert w.undo()
    assert inserted == [(0, 1), (5, 5)] and not resets
    assert _shown(w) == numbered(names)
    assert w.redo()
    assert _shown(w) == numbered([n for i, n in enumerate(names) if i not in (0, 1, 5)])
    assert not resets


def test_an_export_holds_the_list_as_it_was_asked_for_though_songs_leave_meanwhile(
        qtbot, tmp_path, monkeypatch):
    """The results, chunks and checked files are written off the window's thread; songs
    removed before the file was written left it (7 songs asked for, 4 written), so the
    file held neither the list the user exported nor the one they see after."""
    import csv
    import threading

    import gui.window_exports as exports

    w = _window(qtbot)
    _add(w, [f"/m/{i}.wav" for i in range(7)])
    with qtbot.waitSignal(w.engine.batchFinished, timeout=TIMEOUT):
        w.start()
    gate = threading.Event()
    real = exports.written_safely

    def held(write, inputs):  # the write waits until the songs have left the list
        assert gate.wait(TIMEOUT / 1000)
        return real(write, inputs)

    monkeypatch.setattr(exports, "written_safely", held)
    out = tmp_path / "results.csv"
    with qtbot.waitSignal(w.exported, timeout=TIMEOUT) as sig:
        w.export_results(out)
        w.engine.remove([0, 2, 4])
        assert len(w.engine.batch.jobs) == 4
        gate.set()
    assert sig.args == [str(out), ""]
    with open(out, encoding="utf-8") as f:
        rows = [r for r in csv.reader(f) if r and not r[0].startswith("#")][1:]
    assert [r[0].rsplit("/", 1)[-1] for r in rows] == [f"{i}.wav" for i in range(7)]


def test_the_names_and_rows_kept_by_place_follow_the_songs_through_remove_and_undo(qtbot):
    """What the engine keeps by a song's place (its name before a result, the rows waiting
    to be repainted) moves with the songs when some leave the list and come back."""
    w = _window(qtbot)
    names = [f"s{i}" for i in range(6)]
    _add(w, [f"/m/{n}.wav" for n in names])
    eng = w.engine
    eng.identity.clear()
    eng.identity.update({i: (n, "x") for i, n in enumerate(names) if i != 2})
    eng._dirty.clear()
    eng._dirty.update({0, 2, 3, 5})
    w.table.clearSelection()
    removed = eng.remove([1, 4])
    assert [(j.path, ident) for j, ident in removed] == [("/m/s1.wav", ("s1", "x")),
                                                         ("/m/s4.wav", ("s4", "x"))]
    assert eng.identity == {0: ("s0", "x"), 2: ("s3", "x"), 3: ("s5", "x")}
    assert eng._dirty == {0, 1, 2, 3}  # s0, s2, s3, s5 at their new places
    assert eng.put_back_songs(removed) == 2
    assert eng.identity == {i: (n, "x") for i, n in enumerate(names) if i != 2}
    assert eng._dirty == {0, 2, 3, 5}
    w.close()


def test_the_selected_songs_are_renumbered_when_a_song_hidden_by_the_filter_comes_back(qtbot):
    """A song's id is its place: Undo of a removal puts a song back before the selected
    one while the filter hides it, so no row of the table comes or goes, but the selected
    song's id moves on by one.  The actions on the selection must take that song, not
    the one now at its old place (which they did: Skip or Remove would take another)."""
    w = _window(qtbot)
    _add(w, ["/m/x0.wav", "/m/y1.wav", "/m/y2.wav", "/m/x3.wav"])
    w.search.setText("x")
    qtbot.waitUntil(lambda: w.proxy.rowCount() == 2, timeout=TIMEOUT)
    w.search.setText("")
    qtbot.waitUntil(lambda: w.proxy.rowCount() == 4, timeout=TIMEOUT)
    _select(w, [1])  # y1
    assert w.remove_selected() == 1
    w.search.setText("x")
    qtbot.waitUntil(lambda: w.proxy.rowCount() == 2, timeout=TIMEOUT)
    _select(w, [1])  # x3, now the third song (id 2)
    assert w.table.selected_job_ids() == [2]
    assert w.undo()  # y1 back in place, hidden by the filter
    assert w.proxy.rowCount() == 2
    assert w.table.selected_job_ids() == [3]
    assert w.engine.batch.jobs[3].path == "/m/x3.wav"
    assert w.remove_selected() == 1
    assert _names(w) == ["x0.wav", "y1.wav", "y2.wav"]
    w.close()
