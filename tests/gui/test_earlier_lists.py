"""File > Open Earlier List: a list the session store keeps (an earlier batch, the list of a
window closed since) comes back in place of the window's list with its songs and results, the
list replaced stays kept and is offered in turn; an interrupted one is offered for resuming;
a list another window holds is not offered; not while a batch runs; Delete."""

from __future__ import annotations

from core.batch.rules import SongState
from core.batch.store import ResultStore
from core.errors import AudioFileError
from core.settings import AnalysisSettings
from gui.earlier_lists import EarlierListsDialog, batch_text
from gui.main_window import MainWindow
from gui.song_columns import COL_NOTE, COL_STATUS, FIRST_DESCRIPTOR_COL
from tests.gui.conftest import FakeAnalyzer

TIMEOUT = 20_000
SETTINGS = AnalysisSettings(workers=2, budget_base_s=30.0)


def _window(qtbot, store, analyze=None):
    w = MainWindow(SETTINGS, analyze=analyze or FakeAnalyzer(), remember=False, store=store)
    w.confirm_quit = False
    qtbot.addWidget(w)
    w.show()
    return w


def _restore(qtbot, w):
    with qtbot.waitSignal(w.library.restored, timeout=TIMEOUT) as sig:
        assert w.restore_library()
    return sig.args[0]


def _analyzed(qtbot, w, paths):
    eng = w.engine
    first = len(eng.batch.jobs)
    eng.batch.add(paths)
    eng.jobsAdded.emit(first, len(paths))
    with qtbot.waitSignal(eng.batchFinished, timeout=TIMEOUT):
        w.start()


def _dialog(qtbot, w) -> EarlierListsDialog:
    """The dialog as File > Open Earlier List shows it, once its lists are read."""
    w.open_list_action.trigger()
    dlg = w._lists_dialog
    assert dlg is not None and dlg.isVisible()
    qtbot.waitUntil(lambda: "Reading" not in dlg.note.text(), timeout=TIMEOUT)
    return dlg


def _yesterday(qtbot, db):
    """A list analyzed in an earlier run (one song fails) and a window closed since."""
    fake = FakeAnalyzer(fail_on="bad", error=AudioFileError("/gig/bad.wav", "cannot decode"))
    before = _window(qtbot, ResultStore(db), fake)
    _analyzed(qtbot, before, ["/gig/one.wav", "/gig/bad.wav", "/gig/two.wav"])
    before.engine.correct([2], bpm_user=60.0)
    before.close()


def test_an_earlier_list_comes_back_with_its_results_and_the_one_replaced_stays_offered(
        qtbot, tmp_path):
    db = tmp_path / "store.sqlite"
    _yesterday(qtbot, db)
    w = _window(qtbot, ResultStore(db))
    assert _restore(qtbot, w)["songs"] == 3
    w._confirm = lambda *a: True
    assert w.new_session()  # today's list: an empty one, then two songs
    _analyzed(qtbot, w, ["/today/a.wav", "/today/b.wav"])
    w.store.flush(5)  # (the list's session written: its id is the store's)
    today = w.library.session

    dlg = _dialog(qtbot, w)
    texts = [[dlg.tree.topLevelItem(i).text(c) for c in range(6)]
             for i in range(dlg.tree.topLevelItemCount())]
    # this window's list greyed at the top, yesterday's below: 3 songs, 2 analyzed, 1
    # failed, its batch ended, named by its folder and songs
    assert texts[0][5].startswith("This window's list")
    assert texts[1][1:5] == ["3", "2", "1", "Ended"]
    assert texts[1][5] == "/gig: one.wav, bad.wav, two.wav"
    assert not dlg.select(today) and dlg.open_button.isEnabled()  # yesterday's is chosen
    with qtbot.waitSignal(w.library.restored, timeout=TIMEOUT) as sig:
        dlg.open_button.click()
    assert sig.args[0]["opened"] and sig.args[0]["songs"] == 3
    assert not dlg.isVisible()
    jobs = w.engine.batch.jobs
    assert [j.path for j in jobs] == ["/gig/one.wav", "/gig/bad.wav", "/gig/two.wav"]
    assert [j.state for j in jobs] == [SongState.DONE, SongState.FAILED, SongState.DONE]
    assert jobs[2].result.bpm_user == 60.0
    assert w.model.index(1, COL_NOTE).data() == "cannot decode"
    assert w.model.index(0, FIRST_DESCRIPTOR_COL).data() not in (None, "")
    assert [w.model.index(i, COL_STATUS).data() for i in range(3)] == ["done", "failed", "done"]
    assert "The earlier list is open: 3 songs" in w.statusBar().currentMessage()
    assert w.open_list_action.isEnabled() and not w.undo_action.isEnabled()

    # what the window does now goes into the list opened, not into today's
    _analyzed(qtbot, w, ["/gig/three.wav"])
    dlg = _dialog(qtbot, w)
    assert dlg.list_ids()[1] == today  # today's list, let go, is offered now
    with qtbot.waitSignal(w.library.restored, timeout=TIMEOUT):
        assert dlg.select(today)
        dlg.open_button.click()
    assert [j.path for j in w.engine.batch.jobs] == ["/today/a.wav", "/today/b.wav"]
    w.close()
    check = ResultStore(db)
    lists = {e["sample"][0]: e for e in check.list_libraries()}
    assert lists["/gig/one.wav"]["songs"] == 4 and lists["/gig/one.wav"]["done"] == 3
    assert check.take_library()[0]["id"] == today  # the list shown last comes back first
    check.close()


def test_an_interrupted_list_is_offered_for_resuming_as_at_the_start(qtbot, tmp_path):
    db = tmp_path / "store.sqlite"
    store = ResultStore(db)
    sid = store.begin_session(["/m/a.wav", "/m/b.wav", "/m/c.wav"], SETTINGS.to_dict(),
                              kind="library")  # its window was killed mid-batch
    store.release_library(sid)
    store.begin_session(["/m/now.wav"], SETTINGS.to_dict(), kind="library", running=False)
    fake = FakeAnalyzer()
    w = _window(qtbot, store, fake)
    dlg = _dialog(qtbot, w)
    assert dlg.tree.topLevelItem(1).text(4) == "Interrupted (3 left)"
    with qtbot.waitSignal(w.library.restored, timeout=TIMEOUT) as sig:
        assert dlg.select(sid)
        dlg.open_button.click()
    assert sig.args[0]["unfinished"]
    assert not w.resume_banner.isHidden() and "3 songs" in w.resume_banner.label.text()
    with qtbot.waitSignal(w.engine.batchFinished, timeout=TIMEOUT):
        w.resume_banner.resume_button.click()
    assert sorted(fake.calls) == ["/m/a.wav", "/m/b.wav", "/m/c.wav"]
    assert store.unfinished_session() is None
    w.close()


def test_not_while_a_batch_runs(qtbot, tmp_path):
    db = tmp_path / "store.sqlite"
    _yesterday(qtbot, db)
    fake = FakeAnalyzer(block_on="slow")
    w = _window(qtbot, ResultStore(db), fake)
    _restore(qtbot, w)
    w._confirm = lambda *a: True
    w.new_session()
    earlier = w.store.list_libraries()[1]["id"]
    w.engine.batch.add(["/m/slow.wav"])
    w.engine.jobsAdded.emit(0, 1)
    w.start()
    qtbot.waitUntil(fake.blocked.is_set, timeout=TIMEOUT)
    a = w.open_list_action
    assert not a.isEnabled() and a.statusTip().startswith("Not while a batch runs")
    assert a.toolTip().startswith("Not while a batch runs")
    assert w.open_earlier_list() is None
    assert not w.open_list(earlier)
    assert "Not while a batch runs" in w.statusBar().currentMessage()
    assert [j.path for j in w.engine.batch.jobs] == ["/m/slow.wav"]
    with qtbot.waitSignal(w.engine.batchFinished, timeout=TIMEOUT):
        fake.release()
    assert a.isEnabled() and not a.statusTip().startswith("Not while")
    w.close()


def test_a_list_another_window_holds_is_left_out_and_one_it_takes_first_is_refused(
        qtbot, tmp_path):
    db = tmp_path / "store.sqlite"
    _yesterday(qtbot, db)
    other = _window(qtbot, ResultStore(db))  # takes yesterday's list at its start
    assert _restore(qtbot, other)["songs"] == 3
    other._confirm = lambda *a: True
    other.new_session()  # ... and lets it go for a list of its own
    w = _window(qtbot, ResultStore(db))
    info = _restore(qtbot, w)  # yesterday's list, let go: this window takes it
    assert info["songs"] == 3
    w.store.flush(5)  # (the list's session written: its id is the store's)
    yesterday = w.library.session
    w._confirm = lambda *a: True
    w.new_session()
    _analyzed(qtbot, w, ["/m/mine.wav"])
    dlg = _dialog(qtbot, w)
    # the other window's empty list is left out and said; yesterday's is offered
    assert "1 list is open in other SongCal windows" in dlg.note.text()
    assert dlg.select(yesterday)
    # the other window opens it first
    with qtbot.waitSignal(other.library.restored, timeout=TIMEOUT):
        assert other.open_list(yesterday)
    with qtbot.waitSignal(w.library.openFailed, timeout=TIMEOUT) as failed:
        dlg.open_button.click()
    assert failed.args == ["it is open in another SongCal window"]
    qtbot.waitUntil(lambda: "could not be opened" in dlg.note.text()
                    and "Reading" not in dlg.note.text(), timeout=TIMEOUT)
    assert dlg.isVisible() and yesterday not in dlg.list_ids()
    assert "1 list is open in other SongCal windows" in dlg.note.text()
    assert [j.path for j in w.engine.batch.jobs] == ["/m/mine.wav"]  # this list stays
    assert w.open_list_action.isEnabled()
    dlg.reject()
    w.close()
    other.close()


def test_delete_removes_a_list_no_window_holds(qtbot, tmp_path):
    db = tmp_path / "store.sqlite"
    _yesterday(qtbot, db)
    w = _window(qtbot, ResultStore(db))
    _restore(qtbot, w)
    w._confirm = lambda *a: True
    w.new_session()
    _analyzed(qtbot, w, ["/m/a.wav"])
    dlg = _dialog(qtbot, w)
    earlier = dlg.list_ids()[1]
    asked = []
    dlg._confirm_delete = lambda text: asked.append(text) or True
    assert dlg.select(earlier)
    dlg.delete_button.click()
    qtbot.waitUntil(lambda: "deleted" in dlg.note.text(), timeout=TIMEOUT)
    assert "3 songs" in asked[0]
    assert earlier not in dlg.list_ids() and earlier not in [
        e["id"] for e in w.store.list_libraries()]
    assert [j.path for j in w.engine.batch.jobs] == ["/m/a.wav"]
    dlg.reject()
    w.close()


def test_the_batch_column_says_how_a_list_was_left():
    entry = {"songs": 4, "results": 4, "ended": 1.0}
    assert batch_text(entry) == "Ended"
    assert batch_text({**entry, "results": 1}) == "3 not analyzed"
    assert batch_text({**entry, "results": 1, "ended": None}) == "Interrupted (3 left)"


def test_removing_songs_or_undoing_a_clear_leaves_no_copy_of_the_list_to_open(qtbot, tmp_path):
    """The list is written afresh when songs leave it or Undo puts it back; the list it was
    stayed in the store and was offered as an earlier list, the same songs again (one more
    each time), and pushed older lists out of the 10 kept."""
    db = tmp_path / "store.sqlite"
    _yesterday(qtbot, db)
    w = _window(qtbot, ResultStore(db))
    _restore(qtbot, w)
    w._confirm = lambda *a: True
    w.new_session()
    _analyzed(qtbot, w, ["/m/a.wav", "/m/b.wav", "/m/c.wav"])
    w.engine.remove([0])
    w.engine.remove([0])
    assert w.clear() and w.undo_clear()
    assert [j.path for j in w.engine.batch.jobs] == ["/m/c.wav"]
    dlg = _dialog(qtbot, w)
    rows = [dlg.tree.topLevelItem(i).text(5) for i in range(dlg.tree.topLevelItemCount())]
    assert rows == ["This window's list \u2014 /m: c.wav", "/gig: one.wav, bad.wav, two.wav"]
    dlg.reject()
    w.close()


def test_not_while_the_last_list_is_read_at_the_start(qtbot, tmp_path):
    """A list opened while the last one was still read at the start left that one taken by
    the window, unseen, until it closed: no other window could open it."""
    import threading

    db = tmp_path / "store.sqlite"
    _yesterday(qtbot, db)
    store = ResultStore(db)
    gate = threading.Event()
    take = store.take_library
    store.take_library = lambda: gate.wait(10) and take()
    w = _window(qtbot, store)
    try:
        assert w.restore_library()
        assert not w.open_list_action.isEnabled()
        assert w.open_list_action.statusTip() == "The last list is still being read"
        assert w.open_earlier_list() is None
    finally:
        gate.set()
    qtbot.waitUntil(w.open_list_action.isEnabled, timeout=TIMEOUT)
    assert len(w.engine.batch.jobs) == 3
    w.close()


def test_songs_changed_on_disk_in_a_list_opened_are_said_of_this_list(qtbot, tmp_path):
    """The files of a list opened were checked as those of the list read at the start, and
    the window said "1 song of your last list: ... changed": it was not the last list."""
    import os

    import numpy as np

    from core.io.results import SongResult
    from tests.audio_files import tone, write_audio

    def analyze(path, *, settings, progress=None, should_cancel=None):
        return SongResult(path=path, title=os.path.basename(path), status="done",
                          bpm=float(os.path.getsize(path) % 1000), duration_s=1.0)

    paths = [tmp_path / n for n in ("kept.wav", "remixed.wav")]
    for i, p in enumerate(paths):
        write_audio(p, tone(300.0 + 100 * i, 1.0, 8000), 8000)
    db = tmp_path / "store.sqlite"
    before = _window(qtbot, ResultStore(db), analyze)
    _analyzed(qtbot, before, [str(p) for p in paths])
    before.close()
    write_audio(paths[1], np.zeros(12_345, np.float32), 8000)  # a new mix, same name

    w = _window(qtbot, ResultStore(db), analyze)
    w._confirm = lambda *a: True
    assert w.new_session()  # (the list of before is let go, for Open Earlier List)
    _analyzed(qtbot, w, ["/m/today.wav"])
    sid = next(e["id"] for e in w.store.list_libraries() if e["songs"] == 2)
    said = []
    w.statusBar().messageChanged.connect(said.append)
    with qtbot.waitSignal(w.library.contentsChecked, timeout=TIMEOUT) as checked:
        with qtbot.waitSignal(w.library.restored, timeout=TIMEOUT):
            assert w.open_list(sid)
    assert checked.args == [1]
    assert any(m.startswith("1 song of this list: its file changed since it was analyzed")
               for m in said), said
    assert not any("your last list" in m for m in said), said
    w.close()


def test_a_list_opened_without_a_sheet_keeps_the_one_loaded_and_the_store_says_so(
        qtbot, tmp_path):
    """The reference sheet loaded stayed loaded when a list with none of its own was opened
    (as after New Session), but the store kept that list without it: the window showed the
    sheet's columns, and the next start brought the list back without them.  The sheet is
    kept with the list opened now, as New Session keeps it with its new list."""
    from tests.gui.calibration_data import make_deck

    sheet, _rows, _truth = make_deck(tmp_path, n=6)
    db = tmp_path / "store.sqlite"
    _yesterday(qtbot, db)  # no sheet
    w = _window(qtbot, ResultStore(db))
    with qtbot.waitSignal(w.library.restored, timeout=TIMEOUT):
        assert w.restore_library()
    w._confirm = lambda *a: True
    assert w.new_session()
    with qtbot.waitSignal(w.calibration.referenceLoaded, timeout=TIMEOUT):
        w.load_reference(sheet)
    _analyzed(qtbot, w, ["/m/today.wav"])
    w.store.flush(5)
    yesterday = next(e["id"] for e in w.store.list_libraries() if e["songs"] == 3)
    with qtbot.waitSignal(w.library.restored, timeout=TIMEOUT) as sig:
        assert w.open_list(yesterday)
    assert sig.args[0]["reference"] == str(sheet)
    assert w.calibration.sheet is not None  # still loaded, and the user is told so ...
    said = w.statusBar().currentMessage()
    assert f"It had no reference sheet: {sheet.name} stays loaded" in said, said
    w.store.flush(5)
    check = ResultStore(db)
    state = next(check._read_library(e["id"])["state"] for e in check.list_libraries()
                 if e["id"] == yesterday)
    check.close()
    assert state.get("reference") == str(sheet)  # ... and kept with the list opened
    w.close()
    again = _window(qtbot, ResultStore(db))
    with qtbot.waitSignal(again.calibration.referenceLoaded, timeout=TIMEOUT):
        info = _restore(qtbot, again)
    assert info["songs"] == 3 and info["reference"] == str(sheet)
    again.close()


def test_a_list_whose_results_are_all_damaged_shows_none_analyzed_and_none_failed(
        qtbot, tmp_path):
    """A store of an older SongCal, one of its lists holding only damaged results (not
    JSON): the dialog showed "None" analyzed and "None" failed for it; it shows 0 and 0,
    its songs counted, and the batch column says none of them was analyzed."""
    from core.io.results import SongResult
    from tests.core.test_store_counts import _written_before_counts

    db = tmp_path / "store.sqlite"
    before = ResultStore(db)
    damaged = before.begin_session(["/old/a.wav", "/old/b.wav"], SETTINGS.to_dict(),
                                   kind="library", running=False)
    before.save_session_results(damaged, [(i, SongResult(path=p, status="done"))
                                          for i, p in enumerate(["/old/a.wav",
                                                                 "/old/b.wav"])])
    before.begin_session(["/new/a.wav"], SETTINGS.to_dict(), kind="library", running=False)
    before.flush(5)
    before._db.execute("UPDATE session_results SET result='not json' WHERE session=?",
                       (damaged,))
    before.close()
    _written_before_counts(db)
    w = _window(qtbot, ResultStore(db))
    _restore(qtbot, w)
    dlg = _dialog(qtbot, w)
    assert dlg.list_ids()[1] == damaged
    row = dlg.tree.topLevelItem(1)
    assert [row.text(c) for c in range(1, 5)] == ["2", "0", "0", "2 not analyzed"]
    w.close()
