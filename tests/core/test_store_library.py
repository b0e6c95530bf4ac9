"""The window's library in the session store: its songs in order, the last result of each
(any status), its state, the stored-from flag, and a layout 2 store migrated without loss."""

import dataclasses
import json
import math
import sqlite3
import time

import pytest

from core.batch.store import SCHEMA_VERSION, ResultStore, cached
from core.io.results import ChunkResult, SongResult
from core.settings import AnalysisSettings
from tests.audio_files import tone, write_audio

SETTINGS = AnalysisSettings(workers=1)

_LAYOUT_2 = """
CREATE TABLE cache (fingerprint TEXT NOT NULL, settings TEXT NOT NULL, saved REAL NOT NULL,
    result TEXT NOT NULL, PRIMARY KEY (fingerprint, settings));
CREATE TABLE sessions (id INTEGER PRIMARY KEY AUTOINCREMENT, created REAL NOT NULL, ended REAL,
    settings TEXT NOT NULL, reference BLOB);
CREATE TABLE session_songs (session INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    idx INTEGER NOT NULL, path BLOB NOT NULL, PRIMARY KEY (session, idx));
"""


def test_library_comes_back_with_every_song_its_result_and_its_state(tmp_path):
    db = tmp_path / "db.sqlite"
    store = ResultStore(db)
    sid = store.begin_session(["/m/a.wav"], SETTINGS.to_dict(), kind="library", running=False)
    store.add_to_session(sid, ["/m/b.wav", "/m/c.wav"], first=1)
    store.save_session_result(sid, 0, SongResult(path="/m/a.wav", status="done", bpm=120.0,
                                                 bpm_user=60.0, note="quiet"))
    store.save_session_result(sid, 1, SongResult(path="/m/b.wav", status="failed",
                                                 error="cannot decode"))
    store.set_session_state(sid, {"reference": "/m/ref.csv", "fitted": True})
    assert store.unfinished_session() is None  # not running: nothing to resume
    store.close()
    again = ResultStore(db)
    lib = again.last_library()
    assert lib["id"] == sid and lib["ended"] is not None
    assert lib["paths"] == ["/m/a.wav", "/m/b.wav", "/m/c.wav"]
    assert sorted(lib["results"]) == [0, 1]
    a, b = lib["results"][0], lib["results"][1]
    assert (a.status, a.bpm, a.bpm_user, a.note) == ("done", 120.0, 60.0, "quiet")
    assert (b.status, b.error) == ("failed", "cannot decode")
    assert lib["state"] == {"reference": "/m/ref.csv", "fitted": True}
    again.close()


def test_a_library_whose_batch_ran_is_offered_for_resuming(tmp_path):
    store = ResultStore(tmp_path / "db.sqlite")
    sid = store.begin_session(["/m/a.wav"], SETTINGS.to_dict(), kind="library", running=False)
    store.reopen_session(sid)
    assert store.unfinished_session()["kind"] == "library"
    store.end_session(sid)
    assert store.unfinished_session() is None
    store.close()


def test_the_newest_library_wins_and_old_ones_are_pruned(tmp_path):
    from core.batch.store import KEEP_LIBRARIES

    store = ResultStore(tmp_path / "db.sqlite")
    ids = [store.begin_session([f"/m/{i}.wav"], {}, kind="library", running=False)
           for i in range(KEEP_LIBRARIES + 3)]
    store.begin_session(["/m/cli.wav"], {})  # a command-line batch is not a library
    assert store.last_library()["id"] == ids[-1]
    store.flush(5)
    n = store._db.execute("SELECT COUNT(*) FROM sessions WHERE kind='library'").fetchone()[0]
    assert n == KEEP_LIBRARIES
    store.close()


def test_a_damaged_library_result_brings_its_song_back_unanalyzed(tmp_path):
    store = ResultStore(tmp_path / "db.sqlite")
    sid = store.begin_session(["/m/a.wav", "/m/b.wav"], {}, kind="library", running=False)
    store.save_session_result(sid, 1, SongResult(path="/m/b.wav", status="done"))
    store.flush(5)
    store._db.execute("UPDATE session_results SET result='{\"status\": \"done\"}'")
    lib = store.last_library()
    assert lib["paths"] == ["/m/a.wav", "/m/b.wav"] and lib["results"] == {}
    assert store.stats.dropped == 1
    store.close()


def test_a_result_holding_a_number_beyond_a_float_is_damaged_not_a_crash(tmp_path):
    # JSON may hold a whole number of any size; a float cannot (10**400 overflows), and
    # opening the list raised OverflowError out of the store's read.
    store = ResultStore(tmp_path / "db.sqlite")
    sid = store.begin_session(["/m/a.wav", "/m/b.wav"], {}, kind="library", running=False)
    store.save_session_result(sid, 0, SongResult(path="/m/a.wav", status="done", bpm=120.0))
    store.save_session_result(sid, 1, SongResult(path="/m/b.wav", status="done", bpm=90.0))
    store.flush(5)
    text = store._db.execute("SELECT result FROM session_results WHERE idx=1").fetchone()[0]
    store._db.execute("UPDATE session_results SET result=? WHERE idx=1",
                      (text.replace('"bpm": 90.0', '"bpm": 1' + "0" * 400),))
    lib = store.last_library()
    assert lib["paths"] == ["/m/a.wav", "/m/b.wav"]
    assert list(lib["results"]) == [0] and lib["results"][0].bpm == 120.0
    assert store.stats.dropped == 1
    store.close()


def test_a_layout_2_store_keeps_its_cache_and_sessions(tmp_path):
    path = tmp_path / "old.sqlite"
    db = sqlite3.connect(path)
    db.executescript(_LAYOUT_2)
    result = {"path": "/m/a.wav", "status": "done", "bpm": 99.0, "error": "silent intro"}
    db.execute("INSERT INTO cache VALUES ('fp', 'settings', 0, ?)", (json.dumps(result),))
    db.execute("INSERT INTO sessions (created, settings) VALUES (0, '{}')")
    db.execute("PRAGMA user_version=2")
    db.commit()
    db.close()
    store = ResultStore(path)
    hit = store.lookup("fp", "settings")
    assert hit.bpm == 99.0
    assert (hit.note, hit.error) == ("silent intro", "")  # a note stored before it had a column
    assert store.unfinished_session()["kind"] == "batch"
    assert store._db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    store.close()


def test_a_song_served_from_the_store_says_so(tmp_path):
    song = write_audio(tmp_path / "a.wav", tone(440.0, 1.0, 8000), 8000)
    store = ResultStore(tmp_path / "db.sqlite")

    def analyze(path, *, settings, progress=None, should_cancel=None):
        return SongResult(path=path, status="done", bpm=100.0, analysis_s=3.5)

    run = cached(analyze, store)
    first = run(str(song), settings=SETTINGS)
    assert first.source == ""  # the batch marks an analysis as such (Batch.finish)
    again = run(str(song), settings=SETTINGS)
    assert again.source == "store" and again.analysis_s == 3.5
    store.close()


def test_many_results_are_one_write_encoded_on_the_writer_thread(tmp_path, monkeypatch):
    import threading

    import core.batch.store_sessions as sessions

    store = ResultStore(tmp_path / "db.sqlite")
    paths = [f"/m/{i}.wav" for i in range(300)]
    sid = store.begin_session(paths, {}, kind="library", running=False)
    store.flush(5)
    encoded_on = set()
    finite = sessions._finite
    monkeypatch.setattr(sessions, "_finite",
                        lambda v: encoded_on.add(threading.current_thread().name) or finite(v))
    submits = []
    submit = store._submit
    monkeypatch.setattr(store, "_submit", lambda fn, what, **kw: submits.append(what) or
                        submit(fn, what, **kw))
    bad = SongResult(path="/m/1.wav", status="done", bpm=object())  # not JSON: left out
    items = [(i, SongResult(path=p, status="done", bpm=60.0 + i)) for i, p in enumerate(paths)]
    items[1] = (1, bad)
    store.save_session_results(sid, items)
    assert len(submits) == 1  # one queued write, not one per song
    store.flush(5)
    assert encoded_on == {"songcal-store-writer"}  # not the caller's thread
    lib = store.last_library()
    assert sorted(lib["results"]) == [0] + list(range(2, 300))
    assert lib["results"][299].bpm == 359.0
    assert "could not store a result" in store.problem
    store.close()


def test_songs_removed_from_a_library_leave_their_rows_and_come_back_at_their_places(
        tmp_path):
    """A removal deletes the songs' own rows (the others keep theirs and their positions);
    the list read back is numbered afresh; songs put back at their old positions are in
    their old places, and a song added at the end goes after the last position."""
    db = tmp_path / "db.sqlite"
    store = ResultStore(db)
    paths = [f"/m/{i}.wav" for i in range(6)]
    sid = store.begin_session(paths, SETTINGS.to_dict(), kind="library", running=False)
    store.save_session_results(sid, [(i, SongResult(path=p, status="done", bpm=60.0 + i))
                                     for i, p in enumerate(paths)])
    store.remove_from_session(sid, [1, 4])
    store.flush()
    lib = store.last_library()
    assert lib["id"] == sid
    assert lib["paths"] == ["/m/0.wav", "/m/2.wav", "/m/3.wav", "/m/5.wav"]
    assert lib["at"] == [0, 2, 3, 5]
    assert {i: r.bpm for i, r in lib["results"].items()} == {0: 60.0, 1: 62.0, 2: 63.0,
                                                             3: 65.0}
    store.add_to_session(sid, ["/m/new.wav"])  # after the last position, not over it
    store.add_to_session(sid, ["/m/4.wav"], at=[4])
    store.save_session_result(sid, 4, SongResult(path="/m/4.wav", status="done", bpm=64.0))
    store.close()
    again = ResultStore(db)
    lib = again.last_library()
    assert lib["paths"] == ["/m/0.wav", "/m/2.wav", "/m/3.wav", "/m/4.wav", "/m/5.wav",
                            "/m/new.wav"]
    assert lib["at"] == [0, 2, 3, 4, 5, 6]
    assert {i: r.bpm for i, r in lib["results"].items()} == {0: 60.0, 1: 62.0, 2: 63.0,
                                                             3: 64.0, 4: 65.0}
    with sqlite3.connect(db) as con:
        assert con.execute("SELECT COUNT(*) FROM sessions").fetchone()[0] == 1
    again.close()


def test_songs_added_at_a_given_place_go_there_and_places_must_match_the_songs(tmp_path):
    """``first`` places the songs added from that position on (the window appends after
    its own count); ``at`` needs one position per song."""
    import pytest

    store = ResultStore(tmp_path / "db.sqlite")
    sid = store.begin_session(["/m/0.wav", "/m/1.wav"], SETTINGS.to_dict(), kind="library",
                              running=False)
    store.add_to_session(sid, ["/m/a.wav", "/m/b.wav"], first=10)
    store.flush(5)
    lib = store.last_library()
    assert lib["paths"] == ["/m/0.wav", "/m/1.wav", "/m/a.wav", "/m/b.wav"]
    assert lib["at"] == [0, 1, 10, 11]
    with pytest.raises(ValueError, match="2 songs but 1 positions"):
        store.add_to_session(sid, ["/m/c.wav", "/m/d.wav"], at=[3])
    store.close()


def _varied(i: int) -> SongResult:
    """Song ``i`` of a varied list: each status, values missing or not, NaN (stored as
    None), the user's corrections, bools, integers, notes and chunks."""
    status = ("done", "failed", "timed out", "skipped", "done")[i % 5]
    if status != "done":
        return SongResult(path=f"/m/{i:03d} é.wav", status=status, error=f"reason {i}",
                          title=f"t{i}" if i % 2 else "")
    chunks = [ChunkResult(index=k, start_s=10.0 * k, end_s=10.0 * k + 10,
                          bpm=None if k == 1 else 120.0 + k, key="A minor",
                          bpm_confidence=None if k == 1 else 0.25 * k, key_confidence=0.875)
              for k in range(i % 4)]
    return SongResult(path=f"/m/{i:03d}.flac", status="done", title=f"t{i}", artist="a",
                      duration_s=180.5 + i, sample_rate=44100, channels=2,
                      bpm=float("nan") if i % 7 == 0 else 60.0 + i, bpm_confidence=0.5,
                      bpm_alternatives="61.5;123.0", bpm_weak_pulse=bool(i % 3),
                      bpm_varies=i % 2 == 0, key="F# minor", key_camelot="11A",
                      key_modulating=False, loudness_lufs=-9.5 - i, peak_dbfs=-0.1,
                      energy=float("inf") if i % 11 == 0 else 0.7, time_signature=4,
                      bpm_user=None if i % 3 else 90.0, key_user="A minor" if i % 4 else None,
                      user_checked=True if i % 6 == 0 else None, chunks=len(chunks),
                      analysis_s=1.25, source="store", format="FLAC", analyzer="x1",
                      content=f"fp{i}", content_at=1.7e9, content_inode="1:2",
                      note="quiet" if i % 8 == 0 else "", chunk_results=chunks)


@pytest.mark.parametrize("filled", [True, False], ids=["filled", "through-init"])
def test_an_opened_list_gives_back_every_result_field_by_field(tmp_path, monkeypatch, filled):
    # (a result is made through SongResult's __init__ where filling its fields is unsafe)
    monkeypatch.setattr("core.batch.store_codec._FILLED", filled)
    store = ResultStore(tmp_path / "db.sqlite")
    saved = [_varied(i) for i in range(60)]
    sid = store.begin_session([r.path for r in saved] + ["/m/old.wav", "/m/extra.wav",
                                                        "/m/bool.wav", "/m/short.wav",
                                                        "/m/full_bool.wav", "/m/full_inf.wav"],
                              {}, kind="library", running=False)
    store.save_session_results(sid, list(enumerate(saved)))
    store.flush(5)
    # rows of older or damaged stores, written as they would be found
    full = dataclasses.asdict(_varied(5))
    rows = {60: {"path": "/m/old.wav", "status": "done", "bpm": 99, "error": "intro"},
            61: {"path": "/m/extra.wav", "status": "done", "gone_field": 1, "bpm": 1.5},
            62: {"path": "/m/bool.wav", "status": "done", "bpm": True},
            63: '{"path": "/m/short.wav", "status": "done", "energy": 1e999}',
            64: {**full, "path": "/m/full_bool.wav", "bpm_confidence": False},
            65: json.dumps({**full, "path": "/m/full_inf.wav"}).replace('"energy": 0.7',
                                                                         '"energy": 1e999')}
    for idx, row in rows.items():
        store._db.execute("INSERT INTO session_results VALUES (?, ?, ?)",
                          (sid, idx, row if isinstance(row, str) else json.dumps(row)))
    lib, why = store.open_library(sid)
    assert why == ""
    assert sorted(lib["results"]) == list(range(62))  # the bool and the infinity: damaged

    def finite(v):
        return None if isinstance(v, float) and not math.isfinite(v) else v

    for i, want in enumerate(saved):
        got = lib["results"][i]
        for f in dataclasses.fields(SongResult):
            if f.name == "chunk_results":
                assert got.chunk_results == want.chunk_results
                assert all(type(c) is ChunkResult for c in got.chunk_results)
            else:
                assert getattr(got, f.name) == finite(getattr(want, f.name)), (i, f.name)
                assert type(getattr(got, f.name)) is type(finite(getattr(want, f.name)))
    assert lib["results"][60] == SongResult(path="/m/old.wav", status="done", bpm=99,
                                            note="intro")
    assert type(lib["results"][60].bpm) is int
    assert lib["results"][61] == SongResult(path="/m/extra.wav", status="done", bpm=1.5)
    assert store.stats.dropped == 4
    store.close()


def test_a_library_and_an_unfinished_session_give_back_their_times_and_reference(tmp_path):
    store = ResultStore(tmp_path / "db.sqlite")
    first = store.begin_session(["/m/a.wav"], {"n": 1}, "/m/ref.csv", kind="library")
    lib = store.last_library()
    created = store._db.execute("SELECT created FROM sessions WHERE id=?",
                                (first,)).fetchone()[0]
    assert lib["id"] == first and lib["created"] == created and lib["ended"] is None
    assert lib["settings"] == {"n": 1} and lib["reference"] == "/m/ref.csv"
    second = store.begin_session(["/m/b.wav"], {}, kind="library")
    lib = store.last_library()
    assert lib["id"] == second and lib["reference"] is None
    # running lists are unfinished sessions too: the newest comes first
    assert store.unfinished_session() == {"id": second, "created": lib["created"],
                                          "settings": {}, "reference": None,
                                          "paths": ["/m/b.wav"], "kind": "library"}
    batch = store.begin_session(["/m/c.wav"], {}, "/m/ref.csv")
    unfinished = store.unfinished_session()
    assert (unfinished["id"], unfinished["kind"]) == (batch, "batch")
    assert unfinished["reference"] == "/m/ref.csv"
    store.close()


def test_a_library_state_that_is_not_a_dict_comes_back_empty(tmp_path):
    store = ResultStore(tmp_path / "db.sqlite")
    sid = store.begin_session(["/m/a.wav"], {}, kind="library", running=False)
    store.set_session_state(sid, ["not", "a", "dict"])
    lib = store.last_library()
    assert lib["id"] == sid and lib["state"] == {}
    store.close()


def test_a_result_whose_song_is_gone_is_skipped_and_the_others_come_back(tmp_path):
    store = ResultStore(tmp_path / "db.sqlite")
    paths = ["/m/a.wav", "/m/b.wav", "/m/c.wav"]
    sid = store.begin_session(paths, {}, kind="library", running=False)
    store.save_session_results(sid, [(i, SongResult(path=p, status="done", bpm=90.0 + i))
                                     for i, p in enumerate(paths)])
    store.flush(5)
    # the first song's row is gone while its result stays
    store._db.execute("DELETE FROM session_songs WHERE session=? AND idx=0", (sid,))
    lib = store.last_library()
    assert lib["paths"] == ["/m/b.wav", "/m/c.wav"] and lib["at"] == [1, 2]
    assert {i: r.bpm for i, r in lib["results"].items()} == {0: 91.0, 1: 92.0}
    store.close()


def test_a_damaged_library_result_is_told_in_the_log(tmp_path, caplog):
    store = ResultStore(tmp_path / "db.sqlite")
    sid = store.begin_session(["/m/a.wav"], {}, kind="library", running=False)
    store.save_session_result(sid, 0, SongResult(path="/m/a.wav", status="done"))
    store.flush(5)
    store._db.execute("UPDATE session_results SET result='{\"status\": \"done\"}'")
    with caplog.at_level("WARNING", logger="core.batch.store"):
        assert store.last_library()["results"] == {}
    assert [r.getMessage() for r in caplog.records] == [
        "a stored result of the library is damaged (no path); its song comes back "
        "unanalyzed"]
    store.close()


def test_a_list_or_a_session_that_cannot_be_read_is_none_and_the_store_says_why(tmp_path):
    # a damaged list, a damaged batch
    for kind, read, what in (("library", ResultStore.last_library, "last library"),
                             ("batch", ResultStore.unfinished_session, "last session")):
        store = ResultStore(tmp_path / f"{kind}.sqlite")
        store.begin_session(["/m/a.wav"], {}, kind=kind, running=kind == "batch")
        store.flush(5)
        store._db.execute("UPDATE sessions SET settings='{oops'")
        assert read(store) is None
        assert store.problem == (f"could not read the {what}: Expecting property name "
                                 "enclosed in double quotes: line 1 column 2 (char 1)")
        store.close()
    # the sessions table dropped by another program while the store is open
    store = ResultStore(tmp_path / "dropped.sqlite")
    store.begin_session(["/m/a.wav"], {}, kind="library", running=False)
    store.flush(5)
    with sqlite3.connect(tmp_path / "dropped.sqlite") as other:
        other.execute("DROP TABLE sessions")
    assert store.last_library() is None
    assert store.problem == "could not read the last library: no such table: sessions"
    assert store.take_library() == (None, 0)  # neither taken nor read: no list to count
    store.close()


def test_a_library_read_counts_the_later_lists_other_windows_hold(tmp_path):
    db = tmp_path / "db.sqlite"
    earlier = ResultStore(db)
    free = earlier.begin_session(["/m/free.wav"], {}, kind="library", running=False)
    earlier.close()
    store = ResultStore(db)
    lib = store.last_library()
    assert lib["id"] == free and lib["busy"] == 0
    others = [ResultStore(db) for _ in range(2)]
    for i, other in enumerate(others):
        other.begin_session([f"/m/held{i}.wav"], {}, kind="library", running=False)
    lib = store.last_library()
    assert lib["id"] == free and lib["busy"] == 2
    taken, busy = store.take_library()
    assert taken["id"] == free and taken["busy"] == 2 and busy == 2
    for other in others:
        other.close()
    store.close()


def _holder(path):
    """A second connection holding a write transaction on the store (another program)."""
    holder = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    holder.execute("BEGIN IMMEDIATE")
    return holder


def _patient(path, **kw):
    """A store whose writes keep retrying a database held elsewhere for a minute, but whose
    session calls wait for them only briefly."""
    return ResultStore(path, busy_timeout_s=0.05, retry_s=60.0, session_timeout_s=0.2, **kw)


@pytest.mark.timeout(5)
def test_a_list_the_store_cannot_mark_in_time_is_only_read(tmp_path, caplog):
    """Another program holds the database: taking the list waits ``session_timeout_s``,
    not as long as the write would retry, and the list is read without being taken."""
    db = tmp_path / "db.sqlite"
    earlier = ResultStore(db)
    free = earlier.begin_session(["/m/free.wav"], {}, kind="library", running=False)
    earlier.close()
    other = ResultStore(db)
    other.begin_session(["/m/held.wav"], {}, kind="library", running=False)
    store = _patient(db)
    holder = _holder(db)
    try:
        began = time.monotonic()
        with caplog.at_level("WARNING", logger="core.batch.store"):
            lib, busy = store.take_library()
        assert time.monotonic() - began < 2.5
        assert lib["id"] == free and busy == 1 and lib["busy"] == 1
        assert [r.getMessage() for r in caplog.records] == [
            "the last list could not be marked as this window's (the store is busy); it "
            "is only read"]
    finally:
        holder.execute("COMMIT")
        holder.close()
    with sqlite3.connect(db) as con:
        owner = con.execute("SELECT owner FROM sessions WHERE id=?", (free,)).fetchone()[0]
    assert owner is None  # not taken
    store.close()
    other.close()


@pytest.mark.timeout(5)
def test_with_no_list_free_a_store_held_elsewhere_gives_none_and_the_busy_lists(tmp_path):
    """Taking no list because the database is held: the lists other windows hold are still
    counted (the window says so), none when there is no list at all."""
    db = tmp_path / "db.sqlite"
    store = _patient(db)
    holder = _holder(db)
    try:
        began = time.monotonic()
        assert store.take_library() == (None, 0)
        assert time.monotonic() - began < 2.5
    finally:
        holder.execute("COMMIT")
        holder.close()
    others = [ResultStore(db) for _ in range(2)]
    for i, other in enumerate(others):
        other.begin_session([f"/m/held{i}.wav"], {}, kind="library", running=False)
        other.flush(5)
    holder = _holder(db)
    try:
        assert store.take_library() == (None, 2)
    finally:
        holder.execute("COMMIT")
        holder.close()
    for other in others:
        other.close()
    store.close()


@pytest.mark.timeout(5)
def test_reading_the_last_list_or_session_waits_for_queued_writes_only_briefly(tmp_path):
    """A write waiting for a database another program holds delays a read by
    ``session_timeout_s`` at most; the read sees what was written before."""
    db = tmp_path / "db.sqlite"
    store = _patient(db)
    sid = store.begin_session(["/m/a.wav"], {}, kind="library")
    assert store.flush(5)
    holder = _holder(db)
    try:
        store.set_session_state(sid, {"fitted": True})  # retried while the store is held
        began = time.monotonic()
        lib = store.last_library()
        assert lib["id"] == sid and lib["state"] == {}
        assert store.unfinished_session()["id"] == sid
        assert time.monotonic() - began < 2.5
    finally:
        holder.execute("COMMIT")
        holder.close()
    store.close()
    again = ResultStore(db)
    assert again.last_library()["state"] == {"fitted": True}
    again.close()


def test_a_list_the_store_refuses_to_mark_is_read_and_the_refusal_is_told(tmp_path, caplog):
    db = tmp_path / "db.sqlite"
    earlier = ResultStore(db)
    free = earlier.begin_session(["/m/free.wav"], {}, kind="library", running=False)
    earlier.close()
    # gives a refused write up after 0.2 s, within the 3 s a session call waits
    store = ResultStore(db, busy_timeout_s=0.05, retry_s=0.2, session_timeout_s=3.0)
    holder = _holder(db)
    try:
        with caplog.at_level("WARNING", logger="core.batch.store"):
            lib, busy = store.take_library()
    finally:
        holder.execute("COMMIT")
        holder.close()
    assert lib["id"] == free and busy == 0
    why = "could not take the last list: another program holds the database"
    assert store.problem.startswith(why)
    told = [r.getMessage() for r in caplog.records
            if r.getMessage().startswith("the last list")]
    assert told == [f"the last list could not be marked as this window's ({store.problem}); "
                    "it is only read"]
    store.close()
