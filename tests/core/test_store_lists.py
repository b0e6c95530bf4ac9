"""The earlier lists of the session store: each one summed up for a user to recognize it,
opened as a window's list (never one another running SongCal holds; of two windows asking at
once only one gets it; a list whose owner died is free), let go, and deleted; a list written
afresh replaces its copy, and empty lists nobody holds go."""

from __future__ import annotations

import logging
import threading

from core.batch.store import WRITE_OVERHEAD_BYTES, ResultStore
from core.io.results import SongResult
from core.settings import AnalysisSettings
from tests.core.test_store_owners import _holder

SETTINGS = AnalysisSettings(workers=1).to_dict()


def _list(store, paths, statuses=(), *, running=False):
    sid = store.begin_session(paths, SETTINGS, kind="library", running=running)
    store.save_session_results(sid, [(i, SongResult(path=paths[i], status=s, bpm=100.0 + i))
                                      for i, s in enumerate(statuses) if s])
    store.flush(10)
    return sid


def test_each_list_is_summed_up_newest_first_without_batches(tmp_path):
    db = tmp_path / "store.sqlite"
    before = ResultStore(db)
    old = _list(before, ["/gig/a.wav", "/gig/b.wav", "/gig/c.wav", "/gig/d.wav"],
                ["done", "failed", "timed out"], running=True)  # killed mid-batch
    before.begin_session(["/m/cli.wav"], SETTINGS)  # a command-line batch: not a list
    before.close()
    store = ResultStore(db)
    mine = _list(store, ["/mix/x.flac"], ["done"])
    store._db.execute("UPDATE session_results SET result='not json' WHERE session=?", (old,))
    store.save_session_result(old, 3, SongResult(path="/gig/d.wav", status="done"))
    store.flush(5)
    lists = store.list_libraries()
    assert [entry["id"] for entry in lists] == [mine, old]
    new, earlier = lists
    assert new["mine"] and not new["held"] and new["songs"] == 1 and new["done"] == 1
    assert not earlier["mine"] and not earlier["held"] and earlier["ended"] is None
    # damaged results count as neither done nor failed; the fourth song's counts
    assert (earlier["songs"], earlier["results"], earlier["done"], earlier["failed"]) == \
        (4, 1, 1, 0)
    assert earlier["sample"] == ["/gig/a.wav", "/gig/b.wav", "/gig/c.wav"]
    store.close()


def test_done_and_failed_are_counted_from_the_results(tmp_path):
    store = ResultStore(tmp_path / "store.sqlite")
    sid = _list(store, [f"/m/{i}.wav" for i in range(5)],
                ["done", "failed", "timed out", "skipped", "done"])
    (entry,) = store.list_libraries()
    assert entry["id"] == sid
    assert (entry["songs"], entry["results"], entry["done"], entry["failed"]) == (5, 5, 2, 2)
    store.close()


def test_a_list_another_live_process_holds_is_neither_opened_nor_deleted_until_it_dies(
        tmp_path):
    db = tmp_path / "store.sqlite"
    proc, lib, _batch, _owner = _holder(db)
    store = ResultStore(db)
    try:
        (entry,) = store.list_libraries()
        assert entry["id"] == lib and entry["held"] and not entry["mine"]
        assert store.open_library(lib) == (None, "it is open in another SongCal window")
        assert store.delete_library(lib) == "it is open in another SongCal window"
    finally:
        proc.kill()  # as kill -9: the list stays marked as that process's
        proc.wait()
    (entry,) = store.list_libraries()
    assert not entry["held"]  # its owner is dead: the list is free
    taken, why = store.open_library(lib)
    assert why == "" and taken["id"] == lib and taken["ended"] is None
    assert taken["paths"] == ["/m/a.wav", "/m/b.wav"] and taken["results"][0].bpm == 90.0
    assert store.list_libraries()[0]["mine"]
    store.close()


def test_a_list_whose_owner_died_long_ago_is_free(tmp_path):
    store = ResultStore(tmp_path / "store.sqlite")
    sid = _list(store, ["/m/a.wav"], ["done"])
    store.release_library(sid)
    store.flush(5)
    # a process number no process has (beyond any pid_max), started at some moment
    store._db.execute("UPDATE sessions SET owner='999999999:1700000000.00:0badf00d'")
    other = ResultStore(tmp_path / "store.sqlite")
    assert not other.list_libraries()[0]["held"]
    lib, why = other.open_library(sid)
    assert why == "" and lib["results"][0].status == "done"
    store.close()
    other.close()


def test_two_windows_opening_one_list_at_once_only_one_gets_it(tmp_path):
    db = tmp_path / "store.sqlite"
    first = ResultStore(db)
    sid = _list(first, ["/m/a.wav", "/m/b.wav"], ["done"])
    first.close()  # let go: free for anyone
    for _round in range(5):
        one, two = ResultStore(db), ResultStore(db)
        gate = threading.Barrier(2)
        got: dict = {}

        def open_it(store, name, gate=gate, got=got):
            gate.wait()
            got[name] = store.open_library(sid)

        threads = [threading.Thread(target=open_it, args=(s, n))
                   for s, n in ((one, "one"), (two, "two"))]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        winners = [n for n, (lib, _why) in got.items() if lib is not None]
        assert len(winners) == 1, got
        loser = "two" if winners == ["one"] else "one"
        assert got[loser] == (None, "it is open in another SongCal window")
        one.close()
        two.close()


def test_a_list_let_go_can_be_opened_elsewhere_and_the_one_opened_is_kept_by_its_window(
        tmp_path):
    db = tmp_path / "store.sqlite"
    store = ResultStore(db)
    a = _list(store, ["/m/a.wav"])
    b = _list(store, ["/m/b.wav"])  # the store holds b now; a was let go
    other = ResultStore(db)
    lib, why = store.open_library(a)
    assert why == "" and lib["paths"] == ["/m/a.wav"]
    # until the window lets go of b, it holds both
    assert other.open_library(b) == (None, "it is open in another SongCal window")
    store.release_library(b)
    store.flush(5)
    # the list let go comes next to the one the window holds, which stays the last used
    assert [e["id"] for e in store.list_libraries()] == [a, b]
    assert store.last_library()["id"] == a
    assert other.open_library(b)[0]["paths"] == ["/m/b.wav"]
    # and the list opened comes back first at the next start of this window's store
    store.close()
    third = ResultStore(db)
    assert third.take_library()[0]["id"] == a
    other.close()
    third.close()


def test_a_list_nobody_holds_is_deleted_with_its_songs_and_results(tmp_path):
    db = tmp_path / "store.sqlite"
    store = ResultStore(db)
    old = _list(store, ["/m/a.wav", "/m/b.wav"], ["done", "failed"])
    mine = _list(store, ["/m/c.wav"])
    assert store.delete_library(mine) == "it is this window's list"
    assert store.delete_library(old) == ""
    assert store.delete_library(old) == "it is no longer in the session store"
    assert [e["id"] for e in store.list_libraries()] == [mine]
    for table in ("session_songs", "session_results"):
        assert store._db.execute(f"SELECT COUNT(*) FROM {table} WHERE session=?",
                                 (old,)).fetchone()[0] == 0
    assert store.open_library(old) == (None, "it is no longer in the session store")
    store.close()


def test_a_list_written_afresh_replaces_its_copy_and_empty_lists_nobody_holds_go(tmp_path):
    """A window writes its list afresh after songs were removed (or put back by Undo); the
    list it was stayed in the store as an earlier list, the same songs again, as did every
    empty list New Session left, and they pushed older lists out of the 10 kept."""
    db = tmp_path / "store.sqlite"
    store, other = ResultStore(db), ResultStore(db)
    _list(other, [])  # a window's empty list, let go at once
    theirs = _list(other, ["/o/x.wav"])
    theirs_empty = other.begin_session([], SETTINGS, kind="library", running=False)
    other.open_library(theirs)  # that window holds `theirs` again, and its empty list
    yesterday = _list(store, ["/m/y.wav"])
    store.begin_session([], SETTINGS, kind="library", running=False)  # New Session
    full = _list(store, ["/m/a.wav", "/m/b.wav"], ["done", "done"])
    fresh = store.begin_session(["/m/b.wav"], SETTINGS, kind="library", running=False,
                                replaces=[full, theirs])
    store.flush(5)
    # the copy replaced and the empty lists let go are gone; another window's lists stay,
    # even one named to be replaced or empty, and so does the list of yesterday
    assert [e["id"] for e in store.list_libraries()] == [fresh, yesterday, theirs,
                                                          theirs_empty]
    store.close()
    other.close()


def test_letting_go_of_a_list_this_window_does_not_hold_leaves_it_to_its_holder(tmp_path):
    """A window lets go only of its own lists: naming another window's list (a release
    queued late, for a list taken elsewhere since) leaves that window holding it."""
    db = tmp_path / "store.sqlite"
    store, other = ResultStore(db), ResultStore(db)
    theirs = _list(other, ["/o/x.wav"], ["done"])
    _list(store, ["/m/a.wav"])
    store.release_library(theirs)
    store.flush(5)
    entry = {e["id"]: e for e in store.list_libraries()}[theirs]
    assert entry["held"] and not entry["mine"]
    assert store.open_library(theirs) == (None, "it is open in another SongCal window")
    assert store.delete_library(theirs) == "it is open in another SongCal window"
    store.close()
    other.close()


def test_songs_removed_from_a_list_no_longer_count_in_its_summary(tmp_path):
    """The summary offered for an earlier list counts the songs it holds now: the results
    of songs removed from it go with them (a list of 3 songs does not say 5 done)."""
    store = ResultStore(tmp_path / "store.sqlite")
    sid = _list(store, [f"/m/{i}.wav" for i in range(5)],
                ["done", "failed", "done", "done", "timed out"])
    store.remove_from_session(sid, [1, 3])
    store.flush(5)
    (entry,) = store.list_libraries()
    assert (entry["songs"], entry["results"], entry["done"], entry["failed"]) == (3, 3, 2, 1)
    assert entry["sample"] == ["/m/0.wav", "/m/2.wav", "/m/4.wav"]
    store.close()


def test_a_deleted_list_is_logged_and_a_refused_delete_is_not(tmp_path, caplog):
    """The log says which list was deleted from which store (a user asking where a list
    went finds it there); a delete refused is not logged as done."""
    db = tmp_path / "store.sqlite"
    store = ResultStore(db)
    old = _list(store, ["/m/a.wav"], ["done"])
    mine = _list(store, ["/m/b.wav"])
    with caplog.at_level("INFO", logger="core.batch.store"):
        assert store.delete_library(mine) == "it is this window's list"
        assert store.delete_library(old) == ""
    deleted = [r.getMessage() for r in caplog.records if "deleted" in r.getMessage()]
    assert deleted == [f"session store {db}: list {old} deleted"]
    store.close()


def test_each_list_says_when_it_was_made_and_last_used_and_which_sheet_it_had(tmp_path):
    """What the dialog shows of each list: made, last used (made, for a list of an older
    store that never noted it), its reference sheet, and zero counts for a list with no
    song or no result yet."""
    store = ResultStore(tmp_path / "store.sqlite")
    old = store.begin_session(["/m/a.wav"], SETTINGS, kind="library", running=False,
                              reference="/refs/sheet.csv")
    mine = _list(store, [])
    store._db.execute("UPDATE sessions SET used=created + 5 WHERE id=?", (old,))
    store._db.execute("UPDATE sessions SET used=NULL WHERE id=?", (mine,))
    by_id = {e["id"]: e for e in store.list_libraries()}
    created = dict(store._db.execute("SELECT id, created FROM sessions"))
    assert by_id[old]["created"] == created[old] and by_id[old]["used"] == created[old] + 5
    assert by_id[mine]["used"] == by_id[mine]["created"] == created[mine]
    assert by_id[old]["reference"] == "/refs/sheet.csv" and by_id[mine]["reference"] is None
    assert (by_id[old]["songs"], by_id[old]["results"], by_id[old]["done"],
            by_id[old]["failed"]) == (1, 0, 0, 0)
    assert (by_id[mine]["songs"], by_id[mine]["results"], by_id[mine]["sample"]) == (0, 0, [])
    store.close()


def test_a_list_the_store_cannot_take_in_time_is_not_opened_and_nothing_waits(tmp_path):
    """Another process holds the store: opening a list says why it failed, with the store's
    own words, and leaves no write behind to open it later (the window gave up on it)."""
    import sqlite3

    db = tmp_path / "store.sqlite"
    first = ResultStore(db)
    sid = _list(first, ["/m/a.wav"])
    first.close()
    store = ResultStore(db, busy_timeout_s=0.05, retry_s=0.2, ack_timeout_s=0.1)
    holder = sqlite3.connect(db, isolation_level=None, check_same_thread=False)
    holder.execute("BEGIN IMMEDIATE")
    try:
        lib, why = store.open_library(sid)
        assert lib is None
        assert why == f"the session store did not answer in time ({store.problem})"
        assert store.problem.startswith("could not open a list")
        assert store.backlog()["writes"] == 0
    finally:
        holder.rollback()
        holder.close()
    assert store.open_library(sid)[1] == ""
    store.close()


def test_a_list_the_store_cannot_delete_in_time_stays_and_nothing_waits(tmp_path):
    """Another process holds the store: the delete says so and leaves no write behind to
    delete the list later, behind the user's back."""
    import sqlite3

    db = tmp_path / "store.sqlite"
    first = ResultStore(db)
    sid = _list(first, ["/m/a.wav"])
    first.close()
    store = ResultStore(db, busy_timeout_s=0.05, retry_s=0.2, ack_timeout_s=0.1)
    holder = sqlite3.connect(db, isolation_level=None, check_same_thread=False)
    holder.execute("BEGIN IMMEDIATE")
    try:
        assert store.delete_library(sid) == ("the session store did not answer in time "
                                             "(the store is busy)")
        assert store.problem.startswith("could not delete a list")
        assert store.backlog()["writes"] == 0
    finally:
        holder.rollback()
        holder.close()
    assert [e["id"] for e in store.list_libraries()] == [sid]
    store.close()


def test_lists_that_cannot_be_read_say_so_and_a_list_that_cannot_be_read_is_let_go(
        tmp_path, monkeypatch):
    """A store whose lists cannot be read answers None and names the failure; a list taken
    but then not readable is not opened and is let go at once (another window may try it),
    and a list opened has no list of another window waiting before it."""
    db = tmp_path / "store.sqlite"
    first = ResultStore(db)
    sid = _list(first, ["/m/a.wav"], ["done"])
    first.close()
    store = ResultStore(db)
    monkeypatch.setattr(store, "_read_library", lambda sid: None)
    assert store.open_library(sid) == (None, "it could not be read (see the log)")
    store.flush(5)
    (entry,) = store.list_libraries()
    assert not entry["mine"] and not entry["held"]
    monkeypatch.undo()
    lib, why = store.open_library(sid)
    assert why == "" and lib["busy"] == 0
    store._db.execute("DROP TABLE session_results")
    assert store.list_libraries() is None
    assert store.problem.startswith("could not read the lists: ") and "no such table" in store.problem
    store.close()


def test_letting_go_of_a_list_the_store_refuses_says_so(tmp_path):
    import sqlite3

    db = tmp_path / "store.sqlite"
    store = ResultStore(db, busy_timeout_s=0.05, retry_s=0.2, ack_timeout_s=0.1)
    sid = _list(store, ["/m/a.wav"])
    holder = sqlite3.connect(db, isolation_level=None, check_same_thread=False)
    holder.execute("BEGIN IMMEDIATE")
    try:
        store.release_library(sid)
        store.flush(5)
        assert store.problem.startswith("could not let go of a list")
    finally:
        holder.rollback()
        holder.close()
    store.close()


def test_the_lists_are_read_while_another_process_holds_the_store(tmp_path):
    """Another process holds the store while a result waits to be written: the lists are
    still summed up, after waiting at most ``session_timeout_s`` for that write (the writer
    would keep trying it for ``retry_s``), without the result it holds back."""
    import sqlite3
    import time

    db = tmp_path / "store.sqlite"
    store = ResultStore(db, busy_timeout_s=0.05, retry_s=30.0, session_timeout_s=0.3)
    sid = _list(store, ["/m/a.wav", "/m/b.wav"], ["done"])
    holder = sqlite3.connect(db, isolation_level=None, check_same_thread=False)
    holder.execute("BEGIN IMMEDIATE")
    try:
        store.save_session_result(sid, 1, SongResult(path="/m/b.wav", status="failed"))
        start = time.monotonic()
        (entry,) = store.list_libraries()
        waited = time.monotonic() - start
        assert (entry["songs"], entry["results"], entry["done"], entry["failed"]) == (2, 1, 1, 0)
        assert waited < 10.0
    finally:
        holder.rollback()
        holder.close()
    store.flush(10)
    (entry,) = store.list_libraries()
    assert (entry["results"], entry["failed"]) == (2, 1)
    store.close()


def _rows(store, sid):
    """``(songs, results)`` of session ``sid``: its ``(position, path)`` and ``(position,
    bpm)`` rows."""
    import json

    songs = store._db.execute("SELECT idx, path FROM session_songs WHERE session=? ORDER BY "
                              "idx", (sid,)).fetchall()
    results = store._db.execute("SELECT idx, result FROM session_results WHERE session=? "
                                "ORDER BY idx", (sid,)).fetchall()
    return ([(i, bytes(p).decode()) for i, p in songs],
            [(i, json.loads(t)["bpm"]) for i, t in results])


def _cleared(store, paths):
    """A list of ``paths`` with a result each, at positions 0, 2, 4 ... (songs removed
    between them), then cleared: a New Session's empty list begun in its place.
    ``(list, empty list, songs, results)``, the last two as the window hands them on."""
    songs = [(2 * i, p) for i, p in enumerate(paths)]
    sid = store.begin_session([], SETTINGS, kind="library", running=False)
    store.add_to_session(sid, [p for _i, p in songs], at=[i for i, _p in songs])
    results = [(i, SongResult(path=p, status="done", bpm=100.0 + i)) for i, p in songs]
    store.save_session_results(sid, results)
    empty = store.begin_session([], SETTINGS, kind="library", running=False)
    store.flush(5)
    return sid, empty, songs, results


def test_a_cleared_list_is_taken_back_as_it_is_and_the_empty_one_goes(tmp_path):
    """Undo of a Clear wrote the whole list afresh as another session (a second of the
    store's thread at 20,000 songs, and a new id); the list kept since the Clear is the
    window's again, its rows untouched."""
    db = tmp_path / "store.sqlite"
    store = ResultStore(db)
    sid, empty, songs, results = _cleared(store, ["/m/a.wav", "/m/b.wav"])
    before = _rows(store, sid)
    back = store.take_back_library(sid, leaving=empty, songs=lambda: songs,
                                   results=lambda: results, settings=SETTINGS)
    store.flush(5)
    assert store.session_id(back) == sid
    assert [(e["id"], e["mine"], e["songs"], e["done"]) for e in store.list_libraries()] \
        == [(sid, True, 2, 2)]
    assert _rows(store, sid) == before == ([(0, "/m/a.wav"), (2, "/m/b.wav")],
                                           [(0, 100.0), (2, 102.0)])
    store.close()


def test_a_list_opened_elsewhere_or_deleted_since_the_clear_is_written_afresh(tmp_path,
                                                                            caplog):
    """Between the Clear and its undo another window may open the list (it was let go) or
    delete it: the undo then writes the window's list afresh, at the same positions, and
    leaves the other window's alone."""
    db = tmp_path / "store.sqlite"
    store, other = ResultStore(db), ResultStore(db)
    sid, empty, songs, results = _cleared(store, ["/m/a.wav", "/m/b.wav"])
    assert other.open_library(sid)[1] == ""
    caplog.set_level(logging.INFO, logger="core.batch.store")
    back = store.take_back_library(sid, leaving=empty, songs=lambda: songs,
                                   results=lambda: results, settings=SETTINGS)
    store.flush(5)
    fresh = store.session_id(back)
    assert fresh not in (sid, empty) and fresh > 0
    assert f"session store {db}: the list put back is written afresh (it is open in " \
           "another SongCal window)" in caplog.messages
    assert _rows(store, fresh) == _rows(store, sid) == (
        [(0, "/m/a.wav"), (2, "/m/b.wav")], [(0, 100.0), (2, 102.0)])
    assert {(e["id"], e["mine"], e["held"]) for e in store.list_libraries()} == {
        (fresh, True, False), (sid, False, True)}
    store.close()

    sid, empty, songs, results = _cleared(other, ["/m/c.wav"])
    third = ResultStore(db)
    assert third.delete_library(sid) == ""
    back = other.take_back_library(sid, leaving=empty, songs=lambda: songs,
                                   results=lambda: results, settings=SETTINGS)
    other.flush(5)
    assert _rows(other, other.session_id(back)) == ([(0, "/m/c.wav")], [(0, 100.0)])
    assert caplog.messages[-1] == (f"session store {db}: the list put back is written "
                                   "afresh (it is no longer in the session store)")
    assert empty not in {e["id"] for e in other.list_libraries()}
    other.close()
    third.close()


def test_a_list_taken_back_while_the_store_is_held_is_taken_once_it_is_released(tmp_path):
    """The Clear's own write and the undo's wait, in order, while another process holds the
    database; the list is then taken back, not written again, and nothing is lost."""
    import sqlite3

    db = tmp_path / "store.sqlite"
    store = ResultStore(db, retry_s=0.2, busy_timeout_s=0.05)
    sid = store.begin_session(["/m/a.wav"], SETTINGS, kind="library", running=False)
    store.save_session_results(sid, [(0, SongResult(path="/m/a.wav", status="done",
                                                    bpm=90.0))])
    store.flush(5)
    holder = sqlite3.connect(db, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        empty = store.begin_session([], SETTINGS, kind="library", running=False,
                                    late=True, wait=False)
        store.flush(5)
        held = store.backlog()["bytes"]
        back = store.take_back_library(sid, leaving=empty, songs=lambda: [(0, "/m/a.wav")],
                                       results=list, settings=SETTINGS)
        store.flush(5)
        assert back < 0 and store.backlog()["writes"] == 2
        # weighed as the list it may have to write afresh: its song's path and its row
        assert store.backlog()["bytes"] - held == len("/m/a.wav") + 64 + WRITE_OVERHEAD_BYTES
    finally:
        holder.execute("COMMIT")
        holder.close()
    store.flush(5)  # (the backlog is tried again before the flush is done)
    assert store.backlog()["writes"] == 0
    assert store.session_id(back) == sid and store.stats.failed_writes == 0
    assert [(e["id"], e["mine"], e["songs"], e["done"]) for e in store.list_libraries()] \
        == [(sid, True, 1, 1)]
    store.close()


def test_an_undo_after_songs_were_added_to_the_new_list_keeps_that_list_let_go(tmp_path):
    """Songs put into the Clear's new list before the Undo are not lost with it: that list
    stays in the store, free for any window, and the list taken back is the window's and
    the one it used last, with its own settings."""
    db = tmp_path / "store.sqlite"
    store = ResultStore(db)
    sid, empty, songs, results = _cleared(store, ["/m/a.wav", "/m/b.wav"])
    store.add_to_session(empty, ["/m/new.wav"])
    store.flush(5)
    back = store.take_back_library(sid, leaving=empty, songs=lambda: songs,
                                   results=lambda: results, settings=SETTINGS)
    store.flush(5)
    assert store.session_id(back) == sid
    assert {(e["id"], e["mine"], e["held"], e["songs"]) for e in store.list_libraries()} \
        == {(sid, True, False, 2), (empty, False, False, 1)}
    lib = store.last_library()
    assert lib["id"] == sid and lib["paths"] == ["/m/a.wav", "/m/b.wav"]
    other = ResultStore(db)
    taken, busy = other.take_library()  # the kept list is free; the taken-back one is not
    assert (taken["id"], taken["paths"], busy) == (empty, ["/m/new.wav"], 1)
    other.close()
    store.close()


def test_a_list_written_afresh_keeps_the_settings_and_a_dead_owners_list_is_taken(tmp_path):
    """A list held by a window that was killed since the Clear is taken back as it is; a
    list written afresh (another window holds it) carries the settings handed on."""
    db = tmp_path / "store.sqlite"
    store = ResultStore(db)
    sid, empty, songs, results = _cleared(store, ["/m/a.wav"])
    store._db.execute("UPDATE sessions SET owner='0:1.0:dead' WHERE id=?", (sid,))
    back = store.take_back_library(sid, leaving=empty, songs=lambda: songs,
                                   results=lambda: results, settings=SETTINGS)
    store.flush(5)
    assert store.session_id(back) == sid
    assert [(e["id"], e["mine"]) for e in store.list_libraries()] == [(sid, True)]
    store.close()

    store, other = ResultStore(db), ResultStore(db)
    sid, empty, songs, results = _cleared(store, ["/m/c.wav"])
    assert other.open_library(sid)[1] == ""
    changed = {**SETTINGS, "workers": 3}
    back = store.take_back_library(sid, leaving=empty, songs=lambda: songs,
                                   results=lambda: results, settings=changed)
    store.flush(5)
    fresh = store.session_id(back)
    assert fresh != sid and store._read_library(fresh)["settings"] == changed
    assert store.last_library()["id"] == fresh
    store.close()
    other.close()


def test_a_list_this_store_still_holds_is_taken_back_as_it_is(tmp_path):
    """Taking back the list the window holds still (nothing let it go) keeps its id and
    rows: it is not written again as a copy."""
    db = tmp_path / "store.sqlite"
    store = ResultStore(db)
    sid = _list(store, ["/m/a.wav"], ["done"])
    back = store.take_back_library(sid, leaving=None, songs=lambda: [(0, "/m/a.wav")],
                                   results=list, settings=SETTINGS)
    store.flush(5)
    assert store.session_id(back) == sid
    assert [(e["id"], e["mine"], e["songs"]) for e in store.list_libraries()] \
        == [(sid, True, 1)]
    store.close()


def test_a_list_named_as_the_one_left_too_is_taken_back_and_kept(tmp_path):
    """The list to leave is never the one taken back: named as both, it stays the
    window's, its rows untouched."""
    db = tmp_path / "store.sqlite"
    store = ResultStore(db)
    sid, empty, songs, results = _cleared(store, ["/m/a.wav"])
    back = store.take_back_library(sid, leaving=sid, songs=lambda: songs,
                                   results=lambda: results, settings=SETTINGS)
    store.flush(5)
    assert store.session_id(back) == sid
    assert {(e["id"], e["mine"], e["songs"]) for e in store.list_libraries()} \
        == {(sid, True, 1), (empty, True, 0)}
    store.close()


def test_a_take_back_written_before_it_returns_hands_on_the_lists_own_id(tmp_path):
    """When the store's thread has written the take-back before the call returns, the
    call returns the list's id itself, not a stand-in for it."""
    db = tmp_path / "store.sqlite"
    store = ResultStore(db)
    sid, empty, songs, results = _cleared(store, ["/m/a.wav"])
    submit = store._submit

    def written_at_once(fn, what, **kw):
        done = submit(fn, what, **kw)
        assert done.wait(5)
        return done

    store._submit = written_at_once
    back = store.take_back_library(sid, leaving=empty, songs=lambda: songs,
                                   results=lambda: results, settings=SETTINGS)
    assert back == sid
    store.close()


def test_a_take_back_that_fails_says_what_failed(tmp_path):
    """A take-back the store cannot write is named in the store's problem (what the status
    bar shows), and the list another window holds stays its."""
    db = tmp_path / "store.sqlite"
    store, other = ResultStore(db), ResultStore(db)
    sid, empty, _songs, results = _cleared(store, ["/m/a.wav"])
    assert other.open_library(sid)[1] == ""

    def songs():
        raise ValueError("the window's list could not be read")

    store.take_back_library(sid, leaving=empty, songs=songs, results=lambda: results,
                            settings=SETTINGS)
    store.flush(5)
    assert store.problem.startswith("could not take a list back: ")
    assert [(e["id"], e["held"]) for e in store.list_libraries() if e["id"] == sid] \
        == [(sid, True)]
    store.close()
    other.close()


def test_opening_or_deleting_a_list_gives_up_on_a_held_store_after_its_timeout(tmp_path):
    """While the store is held and the write is still being retried, opening or deleting a
    list waits session_timeout_s, no longer, and says the store was busy, not an earlier
    problem that has nothing to do with it."""
    import math
    import sqlite3

    db = tmp_path / "store.sqlite"
    first = ResultStore(db)
    sid = _list(first, ["/m/a.wav"])
    first.close()
    store = ResultStore(db, busy_timeout_s=0.05, retry_s=30.0, session_timeout_s=0.3)
    store.set_session_state(sid, {"gain": math.nan})  # refused: a problem of its own
    assert store.problem.startswith("could not store the session's state")
    holder = sqlite3.connect(db, isolation_level=None, check_same_thread=False)
    holder.execute("BEGIN IMMEDIATE")
    answers = {}
    calls = [threading.Thread(target=lambda: answers.update(opened=store.open_library(sid)),
                              daemon=True),
             threading.Thread(target=lambda: answers.update(deleted=store.delete_library(sid)),
                              daemon=True)]
    try:
        for call in calls:
            call.start()
            call.join(3.0)
            assert not call.is_alive(), "waited past session_timeout_s"
        busy = "the session store did not answer in time (the store is busy)"
        assert answers == {"opened": (None, busy), "deleted": busy}
    finally:
        holder.rollback()
        holder.close()
        for call in calls:
            if call.ident is not None:  # (started)
                call.join(10)
    assert store.flush(30)
    (entry,) = store.list_libraries()  # neither opened nor deleted later
    assert entry["id"] == sid and not entry["mine"]
    store.close()


def test_the_list_a_window_keeps_is_used_just_after_the_one_it_lets_go(tmp_path):
    """Letting go of a list marks it used now, and the list the window keeps a moment
    later (it stays the one used last), not some time in the future."""
    import time

    store = ResultStore(tmp_path / "store.sqlite")
    kept = _list(store, ["/m/a.wav"])
    gone = _list(store, ["/m/b.wav"])  # the store holds this one now
    assert store.open_library(kept)[1] == ""  # ... and both, until it lets go of one
    before = time.time()
    store.release_library(gone)
    store.flush(5)
    after = time.time()
    used = {e["id"]: e["used"] for e in store.list_libraries()}
    assert before <= used[gone] <= after
    assert used[gone] < used[kept] <= after + 0.1
    store.close()
