"""The counts each session keeps in its row (songs, results, done, failed): kept by the
store's triggers through every write the window makes, read by File > Open Earlier List
without touching a result, and counted once for a store written before they were kept."""

from __future__ import annotations

import json
import random
import sqlite3

import pytest

from core.batch import store as store_module
from core.batch.store import ResultStore
from core.batch.store_counts import COUNT_COLUMNS, TRIGGERS, add_counts
from core.io.results import SongResult
from core.settings import AnalysisSettings

SETTINGS = AnalysisSettings(workers=1).to_dict()
STATUSES = ("done", "failed", "timed out", "skipped", "pending", "done")


def _recount(path) -> dict[int, tuple[int, int, int, int]]:
    """Every session's counts summed afresh in Python from its rows (a damaged result, not
    JSON, counts as none)."""
    db = sqlite3.connect(path)
    try:
        out = {sid: [0, 0, 0, 0] for (sid,) in db.execute("SELECT id FROM sessions")}
        for (sid,) in db.execute("SELECT session FROM session_songs"):
            out[sid][0] += 1
        for sid, text in db.execute("SELECT session, result FROM session_results"):
            try:
                status = json.loads(text).get("status")
            except ValueError:
                continue
            if status is not None:
                out[sid][1] += 1
                out[sid][2] += status == "done"
                out[sid][3] += status in ("failed", "timed out")
    finally:
        db.close()
    return {sid: tuple(c) for sid, c in out.items()}


def _kept(path) -> dict[int, tuple]:
    db = sqlite3.connect(path)
    try:
        return {r[0]: tuple(r[1:]) for r in db.execute(
            f"SELECT id, {', '.join(COUNT_COLUMNS)} FROM sessions")}
    finally:
        db.close()


def _summaries(store) -> dict[int, tuple]:
    return {e["id"]: (e["songs"], e["results"], e["done"], e["failed"])
            for e in store.list_libraries()}


def _result(rng, idx):
    return SongResult(path=f"/m/{idx}.wav", status=rng.choice(STATUSES), bpm=100.0 + idx)


@pytest.mark.parametrize("seed", [1, 2])
def test_kept_counts_match_a_full_recount_through_random_edits(tmp_path, seed):
    """A few hundred random writes on several lists (songs added, appended and replaced,
    results saved and replaced, songs removed and put back by Undo, results damaged,
    lists opened, replaced and deleted): after each, every session's kept counts and every
    summary the dialog reads equal a count made afresh from the rows."""
    rng = random.Random(seed)
    path = tmp_path / "store.sqlite"
    store = ResultStore(path, session_timeout_s=10)
    try:
        _random_edits(store, path, rng)
    finally:
        store.close()
    assert store.stats.failed_writes == 0


def _random_edits(store, path, rng):
    sids = [store.begin_session([f"/m/{i}.wav" for i in range(rng.randrange(1, 6))],
                                SETTINGS, kind="library", running=False) for _ in range(4)]
    store.begin_session(["/b/1.wav", "/b/2.wav"], SETTINGS)  # a batch: counted as well
    undo: list[tuple] = []
    ops = ["save", "save", "add", "put", "remove", "remove", "undo", "undo", "damage",
           "open", "new", "delete"]
    for _step in range(300):
        live = [s for s in sids if s in _kept(path)]
        sid = rng.choice(live)
        op = rng.choice(ops)
        if op == "save":
            store.save_session_results(sid, [(i, _result(rng, i))
                                             for i in rng.sample(range(12), rng.randrange(1, 5))])
        elif op == "add":
            store.add_to_session(sid, [f"/m/n{rng.randrange(99)}.wav"
                                       for _ in range(rng.randrange(1, 4))])
        elif op == "put":  # positions that may hold a song already (it is replaced)
            at = rng.sample(range(12), rng.randrange(1, 4))
            store.add_to_session(sid, [f"/m/p{i}.wav" for i in at], at=at)
        elif op == "remove":
            store.flush(10)
            lib = store._read_library(sid)
            if lib and lib["paths"]:
                picked = rng.sample(range(len(lib["paths"])),
                                    rng.randrange(1, len(lib["paths"]) + 1))
                at = [lib["at"][k] for k in picked]
                undo.append((sid, at, [lib["paths"][k] for k in picked],
                             [(lib["at"][k], lib["results"][k]) for k in picked
                              if k in lib["results"]]))
                store.remove_from_session(sid, at)
        elif op == "undo" and undo:
            back, at, paths, results = undo.pop()
            if back in live:  # (a list deleted since has no Undo step left)
                store.add_to_session(back, paths, at=at)
                store.save_session_results(back, results)
        elif op == "damage":
            idx = rng.randrange(12)
            store._submit(lambda sid=sid, idx=idx: store._db.execute(
                "UPDATE session_results SET result='not json' WHERE session=? AND idx=?",
                (sid, idx)), "damage a result")
        elif op == "open":
            store.open_library(sid)
        elif op == "new":
            replaced = rng.sample(live, 1) if rng.random() < 0.3 else []
            sids.append(store.begin_session(
                [f"/m/{i}.wav" for i in range(rng.randrange(0, 6))], SETTINGS,
                kind="library", running=False, replaces=replaced))
        elif op == "delete" and len(live) > 1:
            store.delete_library(sid)
        store.flush(10)
        recount = _recount(path)
        assert _kept(path) == recount, (op, sid)
        summaries = _summaries(store)
        assert summaries == {s: recount[s] for s in summaries}, (op, sid)
    assert len(_kept(path)) >= 3  # the lists were not all deleted on the way


def test_the_summaries_read_no_result(tmp_path):
    """The dialog's counts come from each list's row: a reading connection that may not
    read a result still sums up every list."""
    store = ResultStore(tmp_path / "store.sqlite")
    sid = store.begin_session(["/m/a.wav", "/m/b.wav", "/m/c.wav"], SETTINGS,
                              kind="library", running=False)
    store.save_session_results(sid, [(0, SongResult(path="/m/a.wav", status="done")),
                                     (1, SongResult(path="/m/b.wav", status="timed out"))])

    def no_results(action, table, *_rest):
        return sqlite3.SQLITE_DENY if table == "session_results" else sqlite3.SQLITE_OK

    store._rdb.set_authorizer(no_results)
    assert _summaries(store) == {sid: (3, 2, 1, 1)}
    store.close()


def _written_before_counts(path) -> None:
    """Turn the store at ``path`` into one an older SongCal wrote: no count column, no
    trigger."""
    db = sqlite3.connect(path, isolation_level=None)
    try:
        for name in TRIGGERS:
            db.execute(f"DROP TRIGGER {name}")
        for column in COUNT_COLUMNS:
            db.execute(f"ALTER TABLE sessions DROP COLUMN {column}")
    finally:
        db.close()


def _older_store(path):
    """A store of three lists, as an older SongCal left it: one with results of each kind,
    one whose results are all damaged, one without results; and a command-line batch."""
    store = ResultStore(path)
    mixed = store.begin_session([f"/m/{i}.wav" for i in range(5)], SETTINGS, kind="library",
                                running=False)
    store.save_session_results(mixed, [(i, SongResult(path=f"/m/{i}.wav", status=s))
                                       for i, s in enumerate(["done", "failed", "done"])])
    damaged = store.begin_session(["/d/a.wav", "/d/b.wav"], SETTINGS, kind="library",
                                  running=False)
    store.save_session_results(damaged, [(i, SongResult(path="/d/x.wav", status="done"))
                                         for i in range(2)])
    empty = store.begin_session(["/e/a.wav"], SETTINGS, kind="library", running=False)
    store.begin_session(["/b/a.wav"], SETTINGS, running=False)  # a command-line batch
    store.flush(10)
    store._db.execute("UPDATE session_results SET result='not json' WHERE session=?",
                      (damaged,))
    store.close()
    _written_before_counts(path)
    return {mixed: (5, 3, 2, 1), damaged: (2, 0, 0, 0), empty: (1, 0, 0, 0)}


def test_an_older_store_is_read_the_old_way_until_counted(tmp_path, monkeypatch):
    """Opening a store written before the counts were kept adds the columns and triggers at
    once; until the writer has counted a list, its summary is summed from its rows (a list
    whose results are all damaged has 0 done and 0 failed, not None), and writes made
    meanwhile are counted once the list is."""
    path = tmp_path / "store.sqlite"
    expected = _older_store(path)
    monkeypatch.setattr(store_module, "count_session", lambda db, sid: None)  # not yet
    store = ResultStore(path)
    assert set(_kept(path).values()) == {(None, None, None, None)}  # the batch too
    assert _summaries(store) == expected
    mixed = min(expected)
    store.save_session_result(mixed, 3, SongResult(path="/m/3.wav", status="timed out"))
    store.flush(10)
    assert _kept(path)[mixed] == (None, None, None, None)  # a trigger leaves NULL alone
    assert _summaries(store)[mixed] == (5, 4, 2, 2)
    store.close()
    monkeypatch.undo()
    store = ResultStore(path)
    store.flush(10)
    expected[mixed] = (5, 4, 2, 2)
    kept, recount = _kept(path), _recount(path)
    batch = max(kept)
    assert kept.pop(batch) == (None, None, None, None)  # no list: not counted
    assert recount.pop(batch) == (1, 0, 0, 0)
    assert kept == expected == recount
    assert _summaries(store) == expected
    store.close()


def test_a_dropped_trigger_makes_the_counts_untrusted_until_recounted(tmp_path):
    """A trigger removed from the store (by hand, by another tool) may have let the counts
    drift: the lists are summed from their rows, and the next opening counts them again."""
    path = tmp_path / "store.sqlite"
    store = ResultStore(path)
    sid = store.begin_session(["/m/a.wav", "/m/b.wav"], SETTINGS, kind="library",
                              running=False)
    store.flush(10)
    store._db.execute("DROP TRIGGER session_songs_count_delete")
    store.remove_from_session(sid, [0])
    store.flush(10)
    assert _kept(path)[sid] == (2, 0, 0, 0)  # drifted
    assert _summaries(store) == {sid: (1, 0, 0, 0)}
    store.close()
    store = ResultStore(path)
    store.flush(10)
    assert _kept(path) == {sid: (1, 0, 0, 0)}
    store.close()


def test_a_count_the_database_refuses_loses_nothing_and_is_made_at_the_next_start(
        tmp_path, monkeypatch):
    """Counting an older store's lists is no result: when the database refuses it (another
    process holds it, the disk is full), no write is counted as lost and no problem is
    reported; the lists are read the old way, and the next start counts them."""
    path = tmp_path / "store.sqlite"
    expected = _older_store(path)

    def refused(db, sid):
        raise sqlite3.OperationalError("database is locked")

    monkeypatch.setattr(store_module, "count_session", refused)
    store = ResultStore(path)
    assert _summaries(store) == expected
    store.close()
    assert store.stats.failed_writes == 0 and store.problem is None
    assert set(_kept(path).values()) == {(None, None, None, None)}
    monkeypatch.undo()
    store = ResultStore(path)
    store.flush(10)
    assert {s: c for s, c in _kept(path).items() if s in expected} == expected
    store.close()


def test_a_song_and_a_result_moved_to_another_list_are_counted_there(tmp_path):
    """SongCal never moves a row from one list to another, but another tool editing the
    store may: the triggers take the song and its result off the one list and add them to
    the other; a song moved within its list changes no count."""
    path = tmp_path / "store.sqlite"
    store = ResultStore(path)
    first = store.begin_session(["/m/a.wav", "/m/b.wav"], SETTINGS, kind="library",
                                running=False)
    second = store.begin_session(["/n/a.wav"], SETTINGS, kind="library", running=False)
    store.save_session_results(first, [(0, SongResult(path="/m/a.wav", status="done")),
                                       (1, SongResult(path="/m/b.wav", status="failed"))])
    store.close()
    db = sqlite3.connect(path, isolation_level=None)
    try:
        for table in ("session_songs", "session_results"):
            db.execute(f"UPDATE {table} SET session=?, idx=5 WHERE session=? AND idx=1",
                       (second, first))
        db.execute("UPDATE session_songs SET idx=7 WHERE session=? AND idx=0", (first,))
    finally:
        db.close()
    assert _kept(path) == _recount(path) == {first: (1, 1, 1, 0), second: (2, 1, 0, 1)}


def test_a_store_that_keeps_its_counts_is_left_alone(tmp_path):
    """A store that has the columns and every trigger gains nothing when opened again: its
    counts stay as they are instead of being set aside to be counted afresh."""
    path = tmp_path / "store.sqlite"
    store = ResultStore(path)
    sid = store.begin_session(["/m/a.wav", "/m/b.wav"], SETTINGS, kind="library",
                              running=False)
    store.save_session_result(sid, 0, SongResult(path="/m/a.wav", status="done"))
    store.close()
    db = sqlite3.connect(path, isolation_level=None)
    try:
        assert add_counts(db) is False
    finally:
        db.close()
    assert _kept(path) == {sid: (2, 1, 1, 0)}


def test_counts_that_cannot_be_added_leave_the_store_as_it_was(tmp_path):
    """When the database refuses a trigger midway, nothing of the counts is left behind
    (no column added, no count set aside) and the connection is out of the transaction,
    free for the next statement."""
    path = tmp_path / "store.sqlite"
    expected = _older_store(path)
    db = sqlite3.connect(path, isolation_level=None)
    try:
        def no_triggers(action, *_rest):
            return sqlite3.SQLITE_DENY if action == sqlite3.SQLITE_CREATE_TRIGGER else sqlite3.SQLITE_OK

        db.set_authorizer(no_triggers)
        with pytest.raises(sqlite3.DatabaseError, match="not authorized"):
            add_counts(db)
        assert not db.in_transaction
        db.set_authorizer(None)
        columns = {r[1] for r in db.execute("PRAGMA table_info(sessions)")}
        assert not columns & set(COUNT_COLUMNS)
        assert add_counts(db) is True
    finally:
        db.close()
    assert {s: c for s, c in _recount(path).items() if s in expected} == expected
