"""A session store that stops taking writes for a while (another process holds it, the disk
is full) and then takes them again: the writes it refused are kept in memory and written
once it does, in order, so the next start finds every result."""

import sqlite3
import threading
import time

from core.batch.store import ResultStore, cached
from core.io.results import ChunkResult, SongResult
from core.settings import AnalysisSettings
from tests.audio_files import tone, write_audio

SETTINGS = AnalysisSettings(workers=1)


class Counting:
    """A fast stand-in for the analyzer: every call counted."""

    def __init__(self, n_chunks=1):
        self.calls = []
        self.n_chunks = n_chunks

    def __call__(self, path, *, settings, progress=None, should_cancel=None):
        self.calls.append(path)
        return SongResult(path=path, title="t", status="done", bpm=100.0 + len(self.calls),
                          chunks=self.n_chunks,
                          chunk_results=[ChunkResult(i, float(i), i + 1.0, bpm=1.0)
                                         for i in range(self.n_chunks)])


def _songs(tmp_path, n, seconds=1.0):
    return [str(write_audio(tmp_path / f"s{i}.wav", tone(200.0 + 37 * i, seconds, 8000), 8000))
            for i in range(n)]


def _holder(path):
    """A second connection holding a write transaction on the store (BEGIN IMMEDIATE)."""
    holder = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    holder.execute("BEGIN IMMEDIATE")
    return holder


def _quick(path, **kw):
    """A store that gives a refused write up quickly (the default waits 20 s)."""
    return ResultStore(path, busy_timeout_s=0.05, retry_s=0.2, ack_timeout_s=0.1, **kw)


def test_results_refused_by_a_locked_store_are_written_once_it_takes_writes_again(tmp_path):
    """Songs analyzed while another process held the store were never written again: the
    store took the later songs, and a resumed batch analyzed the first ones once more."""
    db = tmp_path / "db.sqlite"
    songs = _songs(tmp_path, 6)
    store = _quick(db)
    run = cached(Counting(), store)
    holder = _holder(db)
    for song in songs[:3]:
        assert run(song, settings=SETTINGS).status == "done"
    assert store.flush(10)
    assert store.problem is not None and "another program holds" in store.problem
    holder.execute("COMMIT")
    holder.close()
    for song in songs[3:]:
        run(song, settings=SETTINGS)
    store.close()
    assert store.stats.failed_writes == 0
    assert store.stats.saved == 6
    assert store.stats.late >= 3  # written after they were first refused
    again = ResultStore(db)
    fresh = Counting()
    rerun = cached(fresh, again)
    assert [rerun(song, settings=SETTINGS).source for song in songs] == ["store"] * 6
    assert fresh.calls == []  # nothing analyzed twice
    again.close()


def test_a_library_refused_for_a_while_comes_back_whole_and_in_order(tmp_path):
    """The window's list: results refused while the store was held came back as not
    analyzed at the next start.  A song written twice keeps its last result."""
    db = tmp_path / "db.sqlite"
    store = _quick(db)
    paths = [f"/m/{i}.wav" for i in range(6)]
    sid = store.begin_session(paths, SETTINGS.to_dict(), kind="library", running=False)
    assert store.flush(5)
    holder = _holder(db)
    store.save_session_result(sid, 0, SongResult(path=paths[0], status="failed", error="x"))
    for i in range(3):
        store.save_session_results(sid, [(i, SongResult(path=paths[i], status="done",
                                                        bpm=90.0 + i))])
    store.set_session_state(sid, {"fitted": True})
    assert store.flush(10)
    assert store.problem is not None
    holder.execute("COMMIT")
    holder.close()
    store.save_session_results(sid, [(i, SongResult(path=paths[i], status="done",
                                                    bpm=90.0 + i)) for i in range(3, 6)])
    assert store.flush(10)
    assert store.healthy
    store.close()
    again = ResultStore(db)
    lib = again.last_library()
    assert sorted(lib["results"]) == list(range(6))
    assert [lib["results"][i].bpm for i in range(6)] == [90.0 + i for i in range(6)]
    assert lib["results"][0].status == "done"  # the later result, not the earlier one
    assert lib["state"] == {"fitted": True}
    again.close()
    assert store.stats.failed_writes == 0


def test_results_refused_by_a_full_disk_are_written_once_space_is_freed(tmp_path):
    db = tmp_path / "db.sqlite"
    songs = _songs(tmp_path, 5, seconds=2.0)
    store = _quick(db)
    run = cached(Counting(n_chunks=400), store)  # rows of ~30 KB: each needs new pages
    pages = store._db.execute("PRAGMA page_count").fetchone()[0]
    store._db.execute(f"PRAGMA max_page_count={pages}")  # the disk is full
    for song in songs[:4]:
        run(song, settings=SETTINGS)
    assert store.flush(10)
    assert "the disk is full" in store.problem
    store._db.execute("PRAGMA max_page_count=1073741823")  # space freed
    run(songs[4], settings=SETTINGS)  # written with the refused ones before it
    store.close()
    assert store.stats.failed_writes == 0 and store.stats.saved == 5
    again = ResultStore(db)
    fresh = Counting()
    rerun = cached(fresh, again)
    for song in songs:
        rerun(song, settings=SETTINGS)
    assert fresh.calls == []
    again.close()


def test_closing_waits_a_bounded_time_for_the_store_to_take_the_refused_writes(tmp_path):
    db = tmp_path / "db.sqlite"
    store = _quick(db)
    holder = _holder(db)
    for i in range(3):
        store.save(SongResult(path=f"{i}.wav", status="done", bpm=120.0), "s", f"fp{i}")
    assert store.flush(10)
    release = threading.Timer(0.3, holder.execute, args=("COMMIT",))
    release.start()
    store.close(timeout=30.0)
    release.join()
    holder.close()
    assert store.stats.failed_writes == 0 and store.stats.saved == 3
    again = ResultStore(db)
    assert [again.lookup(f"fp{i}", "s").bpm for i in range(3)] == [120.0] * 3
    again.close()


def test_a_store_that_never_takes_writes_again_holds_a_bounded_backlog(tmp_path):
    """Kept writes are bounded (``max_backlog_bytes``): past it a refused write is given
    up and counted, the earlier ones stay kept."""
    db = tmp_path / "db.sqlite"
    store = _quick(db, max_backlog_bytes=8_000)
    holder = _holder(db)
    for i in range(20):
        store.save(SongResult(path=f"{i}.wav", status="done", bpm=120.0, note="n" * 1200),
                   "s", f"fp{i}")
    assert store.flush(10)
    backlog = store.backlog()
    assert 0 < backlog["bytes"] <= 8_000
    kept = backlog["writes"]
    assert 3 <= kept < 20
    assert store.stats.failed_writes == 20 - kept
    holder.execute("COMMIT")
    holder.close()
    store.close()
    assert store.stats.saved == kept and store.stats.failed_writes == 20 - kept
    again = ResultStore(db)
    assert [again.lookup(f"fp{i}", "s") is not None for i in range(20)] == \
        [True] * kept + [False] * (20 - kept)  # the first ones are kept
    again.close()


def test_the_backlog_says_how_many_songs_wait_and_empties_when_written(tmp_path):
    """A song of the window's list is written twice (its cached result and the list's):
    it counts once; the same song written twice while refused counts once."""
    db = tmp_path / "db.sqlite"
    store = _quick(db)
    sid = store.begin_session(["/m/0.wav", "/m/1.wav"], {}, kind="library", running=False)
    assert store.flush(5)
    holder = _holder(db)
    for i in range(2):
        result = SongResult(path=f"/m/{i}.wav", status="done", bpm=120.0)
        store.save(result, "s", f"fp{i}")
        store.save_session_result(sid, i, result)
    store.save_session_result(sid, 1, SongResult(path="/m/1.wav", status="done", bpm=60.0))
    assert store.flush(10)
    assert not store.healthy
    backlog = store.backlog()
    assert backlog["writes"] == 5 and backlog["songs"] == 2 and backlog["bytes"] > 0
    assert store.waiting and store.unwritten_songs() == 2
    holder.execute("COMMIT")
    holder.close()
    assert store.flush(10)
    assert store.backlog() == {"writes": 0, "songs": 0, "bytes": 0}
    assert store.healthy and store.stats.late == 5
    assert not store.waiting and store.unwritten_songs() == 0
    store.close()


def test_a_session_its_caller_gave_up_on_is_not_written_later(tmp_path):
    """begin_session waits a bounded time; a store held longer made it raise (the batch
    went on without a session), but its write was still retried and, once the store was
    released, left a session nobody would end: offered for resuming at every start."""
    import pytest

    from core.batch.store import StoreError

    db = tmp_path / "db.sqlite"
    store = ResultStore(db, busy_timeout_s=0.05, retry_s=30.0, session_timeout_s=0.3)
    store.flush(5)
    holder = _holder(db)
    with pytest.raises(StoreError, match=r"could not begin a session within 0\.3 s \(the "
                                         r"database is busy\)"):
        store.begin_session(["/m/a.wav"], {})
    holder.execute("COMMIT")
    holder.close()
    assert store.flush(30)
    assert store.unfinished_session() is None
    store.close()


def test_a_write_done_before_its_caller_is_back_still_hands_the_caller_its_event(tmp_path):
    """The writer lets go of a write's event once it ran; a write it ran before the queueing
    call returned handed its caller None, and the song's worker failed on waiting for it
    ("'NoneType' object has no attribute 'wait'", seen in a window batch on a loaded
    machine)."""
    store = ResultStore(str(tmp_path / "s.sqlite"))
    put = store._queue.put

    def put_then_wait_for_the_writer(item):
        put(item)
        deadline = time.monotonic() + 5
        while getattr(item, "done", True) is not None and time.monotonic() < deadline:
            time.sleep(0.005)  # until the writer has run it and let go of its event

    store._queue.put = put_then_wait_for_the_writer
    done = store.save(SongResult(path="/m/a.wav", status="done", bpm=120.0), "s", "fp")
    assert done is not None and done.wait(5)
    assert store.flush(5)
    store._queue.put = put
    store.close()
    assert store.stats.saved == 1


def test_a_lookup_does_not_wait_for_a_try_of_a_write_the_held_store_refuses(tmp_path):
    """A write tried on a store another process holds waits in SQLite (busy_timeout_s a
    try, once a second while refused writes wait); it waited under the lock every read
    took, so a cache hit or the window's list waited for it too.  Here a try waits 60 s:
    the lookup is answered while it goes on."""
    db = tmp_path / "db.sqlite"
    store = ResultStore(db, busy_timeout_s=60.0, retry_s=60.0)
    store.save(SongResult(path="/m/a.wav", status="done", bpm=120.0), "s", "fp")
    assert store.flush(10)
    holder = _holder(db)
    trying = threading.Event()

    def write():  # as the writer runs every write: in SQLite, waiting for the holder
        trying.set()
        store._db.execute("UPDATE sessions SET ended=0 WHERE id=0")

    store._submit(write, "a write the holder refuses")
    assert trying.wait(10)
    found = []
    reader = threading.Thread(target=lambda: found.append(store.lookup("fp", "s")))
    reader.start()
    reader.join(10)
    answered = not reader.is_alive()
    holder.execute("COMMIT")
    holder.close()
    reader.join()
    store.close()
    assert answered
    assert found[0] is not None and found[0].bpm == 120.0


def test_a_store_refusing_writes_for_another_reason_is_tried_less_and_less_often(tmp_path):
    """A store refusing writes for longer than a lock is held (a full disk here; a failing
    disk, a share gone) had its backlog tried every catch_up_s for as long as the window
    was open.  The wait between tries now doubles up to max_catch_up_s; once the store
    takes writes again, the next try writes the backlog, without a new write or a flush."""
    db = tmp_path / "db.sqlite"
    store = _quick(db, catch_up_s=0.02, max_catch_up_s=0.3)
    assert store.flush(5)
    waits = []
    get = store._queue.get

    def get_and_note(block=True, timeout=None):
        if timeout is not None:  # the writer waits this long before trying the backlog
            waits.append(timeout)
        return get(block, timeout)

    store._queue.get = get_and_note
    with store._lock:
        pages = store._db.execute("PRAGMA page_count").fetchone()[0]
        store._db.execute(f"PRAGMA max_page_count={pages}")  # the disk is full
    store.save(SongResult(path="/m/a.wav", status="done", bpm=120.0, note="n" * 20_000),
               "s", "fp")
    assert store.flush(10)
    deadline = time.monotonic() + 60
    while len(waits) < 7 and time.monotonic() < deadline:
        time.sleep(0.02)
    assert store.backlog()["writes"] == 1 and "the disk is full" in store.problem
    noted = waits[:7]
    assert noted[-1] > 4 * noted[0]  # 0.02, 0.04, ... up to 0.3 s
    assert max(waits) <= 0.3
    with store._lock:
        store._db.execute("PRAGMA max_page_count=1073741823")  # space freed
    while store.backlog()["writes"] and time.monotonic() < deadline:
        time.sleep(0.02)
    assert store.backlog()["writes"] == 0 and store.stats.late == 1
    store._queue.get = get
    store.close()
    assert store.stats.failed_writes == 0
    again = ResultStore(db)
    assert again.lookup("fp", "s").bpm == 120.0
    again.close()


def test_the_next_try_of_refused_writes_is_known_and_can_be_made_at_once(tmp_path):
    """The window could only say that a store refused writes, not when it would try them
    again (up to a minute on) nor try them when the user had freed the disk."""
    db = tmp_path / "db.sqlite"
    store = _quick(db, catch_up_s=30.0, max_catch_up_s=60.0)
    assert store.next_try_in() is None and store.try_now() is None  # nothing waits
    with store._lock:
        pages = store._db.execute("PRAGMA page_count").fetchone()[0]
        store._db.execute(f"PRAGMA max_page_count={pages}")  # the disk is full
    store.save(SongResult(path="/m/a.wav", status="done", bpm=120.0, note="n" * 20_000),
               "s", "fp")
    assert store.flush(10)
    assert store.backlog()["writes"] == 1
    assert 20.0 < store.next_try_in() <= 60.0  # (the wait doubles from 30 s, up to 60)
    # a try the database refuses again: the writes still wait, as long again
    assert store.try_now().wait(10)
    assert store.backlog()["writes"] == 1 and 50.0 < store.next_try_in() <= 60.0
    with store._lock:
        store._db.execute("PRAGMA max_page_count=1073741823")  # space freed
    assert store.try_now().wait(10)  # long before the writer's own try
    assert store.backlog()["writes"] == 0 and store.stats.late == 1
    assert store.next_try_in() is None
    store.close()
    assert store.stats.failed_writes == 0
    again = ResultStore(db)
    assert again.lookup("fp", "s").bpm == 120.0
    again.close()


def test_a_library_begun_without_waiting_is_written_once_a_held_store_takes_writes(tmp_path):
    """A window begins its list's session on its own thread: it must not wait for a store
    another process holds.  The record comes back at once as a stand-in id, the later writes
    that name it follow it, and the stand-in becomes the record's id once written."""
    db = tmp_path / "db.sqlite"
    store = ResultStore(db, busy_timeout_s=0.05, retry_s=30.0, session_timeout_s=30.0)
    store.flush(5)
    holder = _holder(db)
    released = threading.Event()

    def release():
        if not released.is_set():
            released.set()
            holder.execute("COMMIT")

    timer = threading.Timer(8.0, release)  # (a wait on the store ends in any case)
    timer.start()
    try:
        sid = store.begin_session(["/m/a.wav"], {}, kind="library", running=False,
                                  late=True, wait=False)
        assert not released.is_set()  # back while the store is held
        assert sid < 0 and store.session_id(sid) == sid
        store.add_to_session(sid, ["/m/b.wav"])
        store.reopen_session(sid)
        assert not store.end_session(sid, wait=False)  # queued, not waited for
        assert not released.is_set()
    finally:
        timer.cancel()
        release()
        holder.close()
    assert store.flush(30)
    real = store.session_id(sid)
    assert real > 0
    lib, _busy = store.take_library()
    assert lib["id"] == real and lib["paths"] == ["/m/a.wav", "/m/b.wav"]
    assert lib["ended"] is not None
    assert store.stats.failed_writes == 0
    store.close()


def test_songs_added_or_removed_while_another_process_holds_the_store_wait_their_turn(
        tmp_path):
    """An addition to the window's list or a removal from it that the store refuses says
    which it was, waits in the backlog by its size (more songs weigh more), and is written
    once the store takes writes again."""
    db = tmp_path / "db.sqlite"
    import os

    from core.batch.store import WRITE_OVERHEAD_BYTES

    paths = [f"/music/{i:04d}.wav" for i in range(400)]
    weights = {}
    for action in ("add songs to", "remove songs from"):
        for n in (1, 400):
            added = [f"/more/{i}.wav" for i in range(n)]
            store = _quick(db)
            sid = store.begin_session(paths, SETTINGS.to_dict(), kind="library",
                                      running=False)
            store.flush(5)
            holder = _holder(db)
            if action == "add songs to":
                store.add_to_session(sid, added)
            else:
                store.remove_from_session(sid, range(n))
            assert store.flush(10)
            assert store.problem.startswith(f"could not {action} the session")
            weights[action, n] = store.backlog()["bytes"]
            # each added song weighs its path, each removed one its position
            assert weights[action, n] - WRITE_OVERHEAD_BYTES == (
                sum(len(os.fsencode(p)) + 64 for p in added) if action == "add songs to"
                else 32 * n)
            holder.rollback()
            holder.close()
            store.try_now()
            assert store.flush(10) and store.backlog()["writes"] == 0
            songs = store.last_library()["paths"]
            assert len(songs) == (400 + n if action == "add songs to" else 400 - n)
            store.close()
    for action in ("add songs to", "remove songs from"):
        assert weights[action, 400] > weights[action, 1] > 0, weights


def test_session_records_refused_while_another_process_holds_the_store_wait_by_their_size(
        tmp_path):
    """Each kind of session record the store refuses says which it was and waits in the
    backlog weighing what it holds (WRITE_OVERHEAD_BYTES besides), then is written once the
    store takes writes again: a late list's songs, its end and reopening, its results and
    its state."""
    import os

    from core.batch.store import WRITE_OVERHEAD_BYTES

    db = tmp_path / "db.sqlite"
    paths = [f"/music/{i:03d}.wav" for i in range(30)]
    results = [(i, SongResult(path=paths[i], status="done", bpm=100.0 + i, note="n" * i))
               for i in range(5)]

    def held(action, *, running=False):
        """Run ``action(store, sid)`` on a list while the store is held; gives the store,
        the list, what the action answered and the backlog once it was refused."""
        store = _quick(db)
        sid = store.begin_session(paths, SETTINGS.to_dict(), kind="library", running=running)
        assert store.flush(5) and store.problem is None
        holder = _holder(db)
        try:
            answer = action(store, sid)
            assert store.flush(10)
            backlog = store.backlog()
        finally:
            holder.rollback()
            holder.close()
        store.try_now()
        assert store.flush(10) and store.backlog()["writes"] == 0
        return store, sid, answer, backlog

    # a late list: a stand-in id at once, its songs' paths weighed
    store, _sid, late, backlog = held(lambda store, sid: store.begin_session(
        paths, {}, kind="library", running=False, late=True))
    assert store.problem.startswith("could not begin a session: another program holds")
    assert late == -1 and store.session_id(late) > 0
    assert backlog == {"writes": 1, "songs": 0, "bytes": sum(
        len(os.fsencode(p)) + 64 for p in paths) + WRITE_OVERHEAD_BYTES}
    assert len(store.last_library()["paths"]) == 30
    store.close()

    # ending, reopening and the state hold no songs: only the write itself weighs
    store, sid, ended, backlog = held(lambda store, sid: store.end_session(sid),
                                      running=True)
    assert ended is False  # not written (yet)
    assert store.problem.startswith("could not end the session: another program holds")
    assert backlog == {"writes": 1, "songs": 0, "bytes": WRITE_OVERHEAD_BYTES}
    assert store.unfinished_session() is None
    store.close()

    store, sid, _none, backlog = held(lambda store, sid: store.reopen_session(sid))
    assert store.problem.startswith("could not reopen the session: another program holds")
    assert backlog == {"writes": 1, "songs": 0, "bytes": WRITE_OVERHEAD_BYTES}
    assert store.unfinished_session()["id"] == sid
    store.close()

    store, sid, _none, backlog = held(
        lambda store, sid: store.set_session_state(sid, {"fitted": True}))
    assert store.problem.startswith(
        "could not save the session's state: another program holds")
    assert backlog == {"writes": 1, "songs": 0, "bytes": WRITE_OVERHEAD_BYTES}
    assert store.last_library()["state"] == {"fitted": True}
    store.close()

    # results: each weighs its text as kept, and names its song
    store, sid, _none, backlog = held(
        lambda store, sid: store.save_session_results(sid, results))
    assert store.problem.startswith(
        "could not save results of the session: another program holds")
    texts = [t for (t,) in store._db.execute(
        "SELECT result FROM session_results WHERE session=? ORDER BY idx", (sid,))]
    assert len(texts) == 5
    assert backlog == {"writes": 1, "songs": 5, "bytes": sum(
        len(t) + 128 for t in texts) + WRITE_OVERHEAD_BYTES}
    lib = store.last_library()
    assert [lib["results"][i].bpm for i in range(5)] == [100.0 + i for i in range(5)]
    store.close()


def test_a_session_begun_late_waits_for_a_store_released_in_time_unless_told_not_to(
        tmp_path):
    """begin_session(late=True) waits up to session_timeout_s for its record, so a store
    released within it gives the record's own id; with wait=False it comes back at once with
    a stand-in.  Without late, wait=False changes nothing: the record is waited for."""
    db = tmp_path / "db.sqlite"
    store = ResultStore(db, busy_timeout_s=0.05, retry_s=5.0, session_timeout_s=5.0)
    assert store.begin_session(["/m/free.wav"], {}, wait=False) > 0  # nothing held
    for wait in (True, False):
        holder = _holder(db)
        release = threading.Timer(0.3, holder.rollback)
        release.start()
        try:
            told = {} if wait else {"wait": False}  # waiting is what it does unless told
            sid = store.begin_session(["/m/a.wav"], {}, kind="library", running=False,
                                      late=True, **told)
        finally:
            release.join()
            holder.close()
        if wait:
            assert sid > 0  # written once released, well within the timeout
        else:
            assert sid == -1  # the first stand-in of this store
            assert store.flush(10) and store.session_id(sid) > 0
    assert store.problem is None and store.stats.failed_writes == 0
    store.close()


def test_a_session_refused_while_the_store_is_held_says_why_and_is_never_written_later(
        tmp_path):
    """Without late, a record the store refuses is not kept to be written later (nobody
    would end it): the error carries the store's own words."""
    import pytest

    from core.batch.store import StoreError

    db = tmp_path / "db.sqlite"
    store = _quick(db)
    assert store.flush(5)
    holder = _holder(db)
    try:
        with pytest.raises(StoreError, match="could not begin a session: another program "
                                             "holds the database"):
            store.begin_session(["/m/a.wav"], {})
        assert store.backlog()["writes"] == 0 and store.stats.failed_writes == 1
    finally:
        holder.rollback()
        holder.close()
    assert store.flush(10)
    assert store.unfinished_session() is None
    store.close()


def test_ending_a_session_waits_only_a_bounded_time_for_a_held_store(tmp_path):
    """end_session waits session_timeout_s at most, even while the write is still being
    retried; the end is written once the store is released."""
    db = tmp_path / "db.sqlite"
    store = ResultStore(db, busy_timeout_s=0.05, retry_s=30.0, session_timeout_s=0.3)
    sid = store.begin_session(["/m/a.wav"], {})
    assert store.flush(5)
    holder = _holder(db)
    answers = []
    ending = threading.Thread(target=lambda: answers.append(store.end_session(sid)),
                              daemon=True)
    try:
        ending.start()
        ending.join(3.0)
        assert not ending.is_alive(), "end_session waited past its timeout"
        assert answers == [False]
    finally:
        holder.rollback()
        holder.close()
        ending.join(10)
    assert store.flush(30)
    assert store.unfinished_session() is None  # ended after all
    store.close()
