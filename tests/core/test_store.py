"""The session store: results keyed by content, written by one writer, never costing a result."""

import os
import re
import sqlite3
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from core.batch.store import (
    ResultStore,
    StoreError,
    cached,
    content_fingerprint,
)
from core.io.results import ChunkResult, SongResult
from core.settings import AnalysisSettings
from tests.audio_files import tone, write_audio, write_tags
from tests.databases import write_database

SETTINGS = AnalysisSettings(workers=1)


class CountingAnalyzer:
    """A fast stand-in for the analyzer: the BPM is the file's size, every call counted."""

    def __init__(self, n_chunks=1):
        self.calls = []
        self.before_return = None
        self.n_chunks = n_chunks

    def __call__(self, path, *, settings, progress=None, should_cancel=None):
        self.calls.append(path)
        size = os.path.getsize(path)
        if self.before_return is not None:
            self.before_return(path)
        return SongResult(path=path, title="t", status="done", bpm=float(size % 1000),
                          chunks=self.n_chunks,
                          chunk_results=[ChunkResult(i, float(i), i + 1.0, bpm=1.0)
                                         for i in range(self.n_chunks)])


@pytest.fixture
def store(tmp_path):
    s = ResultStore(tmp_path / "db.sqlite")
    yield s
    s.close()


def _song(path, seconds=1.0, freq=440.0):
    return write_audio(path, tone(freq, seconds, 8000), 8000)


def test_saved_result_is_found_by_content_and_settings(tmp_path, store):
    song = _song(tmp_path / "a.wav")
    fp = content_fingerprint(song)
    r = SongResult(path=str(song), status="done", bpm=128.0, key="A minor",
                   chunk_results=[ChunkResult(index=0, start_s=0, end_s=30, bpm=128.0)])
    assert store.save(r, "fp1", fp).wait(5)
    got = store.lookup(fp, "fp1")
    assert got.bpm == 128.0 and got.chunk_results[0].bpm == 128.0
    assert store.lookup(fp, "other-settings") is None
    assert store.stats.saved == 1


def test_failed_results_are_not_cached(tmp_path):
    store = ResultStore(":memory:")
    assert store.save(SongResult(path="x", status="failed", error="corrupt"), "fp",
                      "abc").wait(5)
    assert store.lookup("abc", "fp") is None
    # never written at all (not written and then refused on reading, with a warning)
    assert store.stats.saved == 0 and store.stats.dropped == 0
    store.close()


def test_fingerprint_follows_content_not_name_or_time(tmp_path):
    a = _song(tmp_path / "a.wav", seconds=30.0)
    fp = content_fingerprint(a)
    os.utime(a, ns=(1, 1))
    moved = tmp_path / "sub" / "renamed.wav"
    moved.parent.mkdir()
    os.replace(a, moved)
    assert content_fingerprint(moved) == fp
    data = bytearray(moved.read_bytes())
    data[-10] ^= 0xFF  # same size, last bytes differ
    moved.write_bytes(bytes(data))
    assert content_fingerprint(moved) != fp
    assert content_fingerprint(tmp_path / "missing.wav") is None
    assert content_fingerprint(tmp_path) is None


def test_fingerprint_never_opens_a_fifo(tmp_path):
    fifo = tmp_path / "pipe.wav"
    os.mkfifo(fifo)
    assert content_fingerprint(fifo) is None  # returns at once: no writer needed


def test_same_size_file_with_kept_timestamp_is_not_a_stale_hit(tmp_path, store):
    a = _song(tmp_path / "song.wav", freq=440.0)
    fake = CountingAnalyzer()
    run = cached(fake, store)
    first = run(str(a), settings=SETTINGS)
    st = os.stat(a)
    other = _song(tmp_path / "other.wav", freq=660.0)
    assert os.path.getsize(other) == st.st_size
    os.replace(other, a)
    os.utime(a, ns=(st.st_atime_ns, st.st_mtime_ns))  # as touch -r
    run(str(a), settings=SETTINGS)
    assert len(fake.calls) == 2  # analyzed again: the content is different
    assert first.bpm is not None


def test_songs_alike_at_both_ends_are_two_songs(tmp_path, store):
    # the same length and 5 s of silence before and after (more than 64 KB each): only
    # the middle tells them apart, and it must
    def padded(name, freq):
        silence = np.zeros((5 * 8000, 1), np.float32)
        y = np.concatenate([silence, tone(freq, 2.0, 8000), silence])
        return str(write_audio(tmp_path / name, y, 8000))

    a, b = padded("a.wav", 440.0), padded("b.wav", 660.0)
    assert os.path.getsize(a) == os.path.getsize(b)
    assert content_fingerprint(a) != content_fingerprint(b)
    fake = CountingAnalyzer()
    run = cached(fake, store)
    run(a, settings=SETTINGS)
    assert run(b, settings=SETTINGS).path == b
    assert fake.calls == [a, b] and store.stats.hits == 0


def test_moved_file_is_a_hit_with_its_new_name_and_tags(tmp_path, store):
    a = _song(tmp_path / "Old Artist - Old Title.wav")
    fake = CountingAnalyzer()
    run = cached(fake, store)
    run(str(a), settings=SETTINGS)
    moved = tmp_path / "New Artist - New Title.wav"
    os.replace(a, moved)
    hit = run(str(moved), settings=SETTINGS)
    assert len(fake.calls) == 1 and store.stats.hits == 1
    assert (hit.title, hit.artist, hit.path) == ("New Title", "New Artist", str(moved))


def test_tag_edit_refreshes_title_and_artist(tmp_path, store):
    a = _song(tmp_path / "x.wav", seconds=40.0)
    write_tags(a, title="First", artist="Someone")
    fake = CountingAnalyzer()
    run = cached(fake, store)
    assert run(str(a), settings=SETTINGS).title == "t"
    st = os.stat(a)
    write_tags(a, title="Second", artist="Someone Else")
    os.utime(a, ns=(st.st_atime_ns, st.st_mtime_ns))
    again = run(str(a), settings=SETTINGS)
    assert (again.title, again.artist) in (("Second", "Someone Else"), ("t", ""))
    if len(fake.calls) == 1:  # the tags sit where the fingerprint does not look: a hit
        assert (again.title, again.artist) == ("Second", "Someone Else")


def test_file_replaced_during_analysis_is_not_stored_and_is_run_again(tmp_path, store):
    a = _song(tmp_path / "song.wav", freq=440.0)
    b = _song(tmp_path / "b.wav", freq=550.0, seconds=2.0)
    fake = CountingAnalyzer()
    swapped = []

    def swap_once(path):
        if not swapped:
            swapped.append(True)
            os.replace(b, path)

    fake.before_return = swap_once
    run = cached(fake, store)
    result = run(str(a), settings=SETTINGS)
    assert len(fake.calls) == 2 and store.stats.changed == 1
    assert result.bpm == float(os.path.getsize(a) % 1000)  # the second, current content
    fake.before_return = None
    run(str(a), settings=SETTINGS)
    assert len(fake.calls) == 2  # the stored result is the one of the current content


def test_file_that_keeps_changing_fails_plainly(tmp_path, store):
    from core.errors import AudioFileError

    a = _song(tmp_path / "song.wav")
    fake = CountingAnalyzer()
    fake.before_return = lambda path: Path(path).write_bytes(Path(path).read_bytes() + b"\0" * 10)
    with pytest.raises(AudioFileError, match="changed while it was analyzed"):
        cached(fake, store)(str(a), settings=SETTINGS)
    assert len(fake.calls) == 2


def _count_fingerprints(monkeypatch):
    from core.batch import cache

    reads = []

    def counting(path):
        reads.append(path)
        return fingerprint(path)

    fingerprint = cache.fingerprint_and_inode
    monkeypatch.setattr(cache, "fingerprint_and_inode", counting)
    return reads


def test_settled_file_is_read_once_per_analysis(tmp_path, store, monkeypatch):
    """A file not written since well before its analysis began, and left alone, is hashed
    once; one replaced meanwhile (another inode) is hashed again, caught and run again."""
    from core.batch import cache

    monkeypatch.setattr(cache, "_RACY_NS", 0)  # every file counts as settled
    reads = _count_fingerprints(monkeypatch)
    a = _song(tmp_path / "song.wav", freq=440.0)
    fake = CountingAnalyzer()
    run = cached(fake, store)
    run(str(a), settings=SETTINGS)
    assert len(reads) == 1 and len(fake.calls) == 1 and store.stats.changed == 0
    run(str(a), settings=SETTINGS)
    assert len(fake.calls) == 1  # stored under the fingerprint read before the analysis

    b = _song(tmp_path / "b.wav", freq=550.0, seconds=2.0)
    c = _song(tmp_path / "c.wav", freq=660.0)
    reads.clear()
    fake.before_return = lambda path: os.path.exists(b) and os.replace(b, path)
    result = cached(fake, store)(str(c), settings=SETTINGS)
    assert store.stats.changed == 1 and len(reads) == 3
    assert result.bpm == float(os.path.getsize(c) % 1000)


def test_freshly_written_file_is_hashed_again_after_its_analysis(tmp_path, store, monkeypatch):
    """Its timestamps cannot vouch for it: a second write within the file system's clock
    tick would leave them as they were."""
    reads = _count_fingerprints(monkeypatch)
    a = _song(tmp_path / "song.wav")
    cached(CountingAnalyzer(), store)(str(a), settings=SETTINGS)
    assert len(reads) == 2 and store.stats.changed == 0


def test_results_carry_the_content_they_were_measured_on(tmp_path, store):
    """A fresh result and a stored one both name the fingerprint of the file's content and
    when it was taken; a result made without the store has neither."""
    a = _song(tmp_path / "song.wav")
    t0 = time.time()
    fresh = cached(CountingAnalyzer(), store)(str(a), settings=SETTINGS)
    served = cached(CountingAnalyzer(), store)(str(a), settings=SETTINGS)
    assert fresh.content == served.content == content_fingerprint(a)
    assert t0 <= fresh.content_at <= served.content_at <= time.time()
    assert CountingAnalyzer()(str(a), settings=SETTINGS).content == ""


def test_changed_since_tells_a_new_content_from_a_touched_or_settled_file(tmp_path,
                                                                          monkeypatch):
    from core.batch import cache
    from core.batch.cache import changed_since, inode_text, still_holds

    paths = [_song(tmp_path / f"{n}.wav", freq=f) for n, f in
             (("same", 440.0), ("touched", 550.0), ("remixed", 660.0), ("gone", 770.0),
              ("unknown", 880.0))]
    time.sleep(0.05)
    results = {i: SongResult(path=str(p), status="done", content=content_fingerprint(p),
                             content_at=time.time(), content_inode=inode_text(os.stat(p)))
               for i, p in enumerate(paths)}
    results[4].content, results[4].content_at = "", None  # made without a store
    time.sleep(0.05)
    os.utime(paths[1])
    _song(paths[2], freq=990.0)
    os.remove(paths[3])
    names = [str(p) for p in paths]
    assert changed_since(names, results) == ([2, 3], [])
    # The file system's word alone (the files are fresh: nothing it says is trusted but a
    # file gone), then with the margin for the clock's tick at 0: the file left alone is
    # trusted, the two whose times moved wait for their content to be read.
    assert changed_since(names, results, read=False) == ([3], [0, 1, 2])
    monkeypatch.setattr(cache, "_RACY_NS", 0)
    assert changed_since(names, results, read=False) == ([3], [1, 2])
    # A file left alone since well before its fingerprint is not read again.
    reads = _count_fingerprints(monkeypatch)
    assert still_holds(paths[0], "not its fingerprint", time.time() + 1.0,
                       inode_text(os.stat(paths[0])))
    assert reads == []
    assert not still_holds(paths[0], "not its fingerprint", None) and len(reads) == 1


def test_a_folder_renamed_into_the_place_of_another_is_read_not_trusted_by_its_times(
        tmp_path, store, monkeypatch):
    """``mv Album Album-old; mv Album-v2 Album`` between two sessions: every file at the
    old paths is another master, yet its times are as old as they were (renaming a folder
    touches none of its files).  The times alone passed it as the file measured, and a
    restored list kept the first album's values for the second; a link pointed at
    another file (``ln -sf``) fooled them the same way."""
    from core.batch import cache
    from core.batch.cache import changed_since

    first, second = tmp_path / "Album", tmp_path / "Album-v2"
    for folder, freq in ((first, 440.0), (second, 523.0)):
        folder.mkdir()
        _song(folder / "01.wav", freq=freq)
    (tmp_path / "take1.wav").write_bytes((first / "01.wav").read_bytes())
    _song(tmp_path / "take2.wav", freq=660.0)
    os.symlink(tmp_path / "take1.wav", tmp_path / "current.wav")
    monkeypatch.setattr(cache, "_RACY_NS", 0)  # (no waiting for the clock's tick)
    time.sleep(0.05)
    run = cached(CountingAnalyzer(), store)
    names = [str(first / "01.wav"), str(tmp_path / "current.wav")]
    results = dict(enumerate(run(p, settings=SETTINGS) for p in names))
    assert all(r.content_inode for r in results.values())
    time.sleep(0.05)
    assert changed_since(names, results, read=False) == ([], [])  # left alone: trusted

    os.rename(first, tmp_path / "Album-old")
    os.rename(second, first)
    os.remove(tmp_path / "current.wav")
    os.symlink(tmp_path / "take2.wav", tmp_path / "current.wav")
    assert changed_since(names, results, read=False) == ([], [0, 1])  # read, not trusted
    assert changed_since(names, results) == ([0, 1], [])


def test_a_result_without_the_file_it_read_is_checked_by_its_content(tmp_path, monkeypatch):
    """One stored before results named their file: its times cannot tell which file they
    were of, so its content is read."""
    from core.batch import cache
    from core.batch.cache import changed_since

    a = _song(tmp_path / "a.wav")
    monkeypatch.setattr(cache, "_RACY_NS", 0)
    time.sleep(0.05)
    old = SongResult(path=str(a), status="done", content=content_fingerprint(a),
                     content_at=time.time())
    assert changed_since([str(a)], {0: old}, read=False) == ([], [0])
    assert changed_since([str(a)], {0: old}) == ([], [])


def test_a_cluster_result_names_the_content_it_was_measured_on(tmp_path, store):
    """The cluster's store hooks kept results unnamed: a list restored later never checked
    a song analyzed on a cluster, and kept its values after its file was re-rendered.
    Now the result is named before the batch takes it, as the thread engines name theirs,
    and one whose file changed while it ran is neither named nor stored."""
    from core.batch.cache import inode_text
    from core.batch.cluster import store_hooks
    from core.batch.rules import Job

    a, b = _song(tmp_path / "a.wav"), _song(tmp_path / "b.wav", freq=550.0)
    lookup, on_result = store_hooks(store, SETTINGS)
    t0 = time.time()
    assert lookup(str(a)) is None and lookup(str(b)) is None
    made = [CountingAnalyzer()(str(p), settings=SETTINGS) for p in (a, b)]
    made[0].content = "made elsewhere"  # only what this computer read is trusted
    _song(b, freq=660.0)  # re-rendered while it was analyzed
    for i, (p, result) in enumerate(zip((a, b), made, strict=True)):
        on_result.vouch(Job(id=i, path=str(p)), result)
    assert made[0].content == content_fingerprint(a) and t0 <= made[0].content_at <= time.time()
    assert made[0].content_inode == inode_text(os.stat(a))
    assert (made[1].content, made[1].content_at, made[1].content_inode) == ("", None, "")
    for i, (p, result) in enumerate(zip((a, b), made, strict=True)):
        on_result(Job(id=i, path=str(p)), result)
    store.flush(5)
    assert store.stats.changed == 1
    hit = lookup(str(a))
    assert hit is not None and hit.content == content_fingerprint(a)
    assert hit.content_inode == inode_text(os.stat(a)) and lookup(str(b)) is None


def test_the_users_corrections_of_a_song_are_not_stored_with_its_content(tmp_path, store):
    """On a cluster the result is stored after the batch took it, by then holding the
    song's corrections (the user's tempo, key and checked mark of its earlier result): any
    file with that content, in any later list, was served them as if the user had set
    them there (the thread engines store the analyzer's result alone)."""
    from core.batch.cluster import store_hooks
    from core.batch.rules import Job

    a = _song(tmp_path / "a.wav")
    copy = tmp_path / "other folder" / "a copy.wav"
    copy.parent.mkdir()
    copy.write_bytes(a.read_bytes())
    lookup, on_result = store_hooks(store, SETTINGS)
    assert lookup(str(a)) is None
    result = CountingAnalyzer()(str(a), settings=SETTINGS)
    on_result.vouch(Job(id=0, path=str(a)), result)
    result.bpm_user, result.key_user, result.user_checked = 99.0, "C major", True  # finish()
    on_result(Job(id=0, path=str(a)), result)
    store.flush(5)
    hit = lookup(str(copy))
    assert hit is not None and hit.bpm == result.bpm
    assert (hit.bpm_user, hit.key_user, hit.user_checked) == (None, None, None)
    assert (result.bpm_user, result.key_user, result.user_checked) == (99.0, "C major", True)
    # a store written before they were left out still holds them: they are not served
    store.flush(5)
    with sqlite3.connect(store.path) as db:
        db.execute("UPDATE cache SET result=json_set(result, '$.bpm_user', 99.0, "
                   "'$.user_checked', json('true'))")
    hit = lookup(str(copy))
    assert hit is not None and (hit.bpm_user, hit.user_checked) == (None, None)


def test_an_old_attempt_checked_first_leaves_the_current_one_its_content(tmp_path, store):
    """Analyze Again while the first attempt still runs on the cluster: the first attempt's
    result, which the batch refuses, is checked before it is refused; the look-up of the
    current attempt stays for the result the batch takes."""
    from core.batch.cluster import store_hooks
    from core.batch.rules import Job

    a = _song(tmp_path / "a.wav")
    job = Job(id=0, path=str(a))
    _lookup, on_result = store_hooks(store, SETTINGS, fresh=True)
    _lookup(str(a))  # the first attempt
    _lookup(str(a))  # the current one
    old, new = (CountingAnalyzer()(str(a), settings=SETTINGS) for _ in range(2))
    on_result.vouch(job, old)  # refused by the batch: on_result is not called for it
    on_result.vouch(job, new)
    on_result(job, new)
    store.flush(5)
    assert new.content == content_fingerprint(a) and store.stats.changed == 0


def test_corrupt_row_is_dropped_and_the_song_analyzed_again(tmp_path, store):
    a = _song(tmp_path / "a.wav")
    fake = CountingAnalyzer()
    run = cached(fake, store)
    run(str(a), settings=SETTINGS)
    store.flush(5)
    with sqlite3.connect(store.path) as db:
        db.execute("UPDATE cache SET result='{\"status\": \"done\", \"bpm\": \"fast\"'")
    again = run(str(a), settings=SETTINGS)
    assert len(fake.calls) == 2 and store.stats.dropped == 1 and again.bpm is not None
    run(str(a), settings=SETTINGS)
    assert len(fake.calls) == 2  # stored anew


def test_non_utf8_file_name_round_trips_through_sessions(tmp_path, store):
    name = os.fsdecode(b"caf\xe9 \xff.wav")
    sid = store.begin_session([str(tmp_path / name), "plain.wav"], {"workers": 1},
                              reference=str(tmp_path / name))
    s = store.unfinished_session()
    assert s["id"] == sid and s["paths"] == [str(tmp_path / name), "plain.wav"]
    assert os.fsencode(s["paths"][0]).endswith(b"caf\xe9 \xff.wav")



def test_file_names_stored_as_text_are_read_back_as_they_are(tmp_path):
    """SongCal stores file names as bytes, but SQLite keeps whatever a row was given: a
    name stored as text (a store edited by another tool) comes back as that text, in a
    batch to resume and in a window's list, and so does the reference sheet's."""
    path = str(tmp_path / "db.sqlite")
    store = ResultStore(path)
    batch = store.begin_session(["/m/a.wav"], {}, reference="/refs/sheet.csv")
    library = store.begin_session(["/m/b.wav"], {}, reference="/refs/sheet.csv",
                                  kind="library", running=False)
    store.close()
    with sqlite3.connect(path) as db:
        for sid, name in ((batch, "/m/typed a.wav"), (library, "/m/typed b.wav")):
            db.execute("UPDATE session_songs SET path=? WHERE session=?", (name, sid))
            db.execute("UPDATE sessions SET reference=? WHERE id=?", ("/refs/typed.csv", sid))
        assert db.execute("SELECT typeof(path) FROM session_songs").fetchall() == [("text",)] * 2
    db.close()
    store = ResultStore(path)
    s = store.unfinished_session()
    assert s["id"] == batch and s["paths"] == ["/m/typed a.wav"]
    assert s["reference"] == "/refs/typed.csv"
    lib = store.last_library()
    assert lib["paths"] == ["/m/typed b.wav"] and lib["reference"] == "/refs/typed.csv"
    listed = {x["id"]: x for x in store.list_libraries()}[library]
    assert listed["sample"] == ["/m/typed b.wav"] and listed["reference"] == "/refs/typed.csv"
    store.close()


def test_a_session_of_an_unknown_kind_is_refused_naming_the_kinds_there_are(store):
    with pytest.raises(ValueError, match="kind must be 'batch' or 'library', got 'list'"):
        store.begin_session(["/m/a.wav"], {}, kind="list")
    assert store.unfinished_session() is None


def test_non_utf8_file_names_round_trip_through_a_lists_results_and_state(store):
    """A file name that is not valid UTF-8 (a lone surrogate once decoded) in a result or in
    the list's state comes back exactly as it was given."""
    name = os.fsdecode(b"/m/caf\xe9 \xff.wav")
    sheet = os.fsdecode(b"/refs/\xfe.csv")
    sid = store.begin_session([name], {}, kind="library", running=False)
    store.save_session_results(sid, [(0, SongResult(path=name, title=name[3:],
                                                    status="done", bpm=120.0))])
    store.set_session_state(sid, {"sheet": sheet, "matches": {name: 0}})
    lib = store.last_library()
    assert store.problem is None
    assert lib["paths"] == [name]
    assert lib["results"][0].path == name and lib["results"][0].title == name[3:]
    assert lib["state"] == {"sheet": sheet, "matches": {name: 0}}


def test_a_state_that_is_not_strict_json_is_refused_and_the_earlier_one_kept(tmp_path):
    """A state holding NaN would be written as a bare NaN, which is no JSON: it is refused,
    said with the reason, and the state kept before stays."""
    store = ResultStore(tmp_path / "db.sqlite")
    sid = store.begin_session(["/m/a.wav"], {}, kind="library", running=False)
    store.set_session_state(sid, {"gain": 1.5})
    store.set_session_state(sid, {"gain": float("nan")})
    assert store.problem.startswith(
        "could not store the session's state: Out of range float values are not JSON "
        "compliant")
    assert store.last_library()["state"] == {"gain": 1.5}
    store.close()


@pytest.mark.parametrize("odd, why", [
    ({1, 2}, "Object of type set is not JSON serializable"),
    ({float("nan"): "a key that is no number"}, "Out of range float values are not JSON "
                                                "compliant"),
])
def test_a_result_that_cannot_be_stored_as_json_is_left_out_and_said_so(tmp_path, odd, why):
    """A result holding something JSON has no (strict) word for is reported and left out;
    the other results written with it are kept."""
    store = ResultStore(tmp_path / "db.sqlite")
    sid = store.begin_session(["/m/a.wav", "/m/b.wav"], {}, kind="library", running=False)
    store.save_session_results(sid, [
        (0, SongResult(path="/m/a.wav", status="done", bpm=120.0, note=odd)),
        (1, SongResult(path="/m/b.wav", status="done", bpm=90.0))])
    lib = store.last_library()
    assert store.problem.startswith(f"could not store a result of the session: {why}")
    assert list(lib["results"]) == [1] and lib["results"][1].bpm == 90.0
    store.close()


def test_unfinished_session_can_be_resumed(tmp_path):
    db = str(tmp_path / "db.sqlite")
    store = ResultStore(db)
    sid = store.begin_session(["x.wav", "y.wav"], {"workers": 2})
    store.close()
    again = ResultStore(db)  # as after a crash
    s = again.unfinished_session()
    assert s["id"] == sid and s["paths"] == ["x.wav", "y.wav"] and s["settings"]["workers"] == 2
    assert again.end_session(sid)
    assert again.unfinished_session() is None
    again.close()


def test_old_layout_is_migrated(tmp_path):
    path = tmp_path / "old.sqlite"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE results (path TEXT, size INTEGER, mtime_ns INTEGER, "
                   "settings TEXT, saved REAL, result TEXT)")
        db.execute("INSERT INTO results VALUES ('a', 1, 1, 'x', 0, '{}')")
    store = ResultStore(path)
    assert store.lookup("anything", "x") is None
    assert store.begin_session(["a.wav"], {}) >= 1
    store.close()


def test_another_programs_database_is_never_taken_for_an_old_store(tmp_path):
    path = tmp_path / "app.db"
    with sqlite3.connect(path) as db:  # user_version 0, as a layout 1 store
        db.execute("CREATE TABLE sessions (token TEXT)")
        db.execute("CREATE TABLE users (name TEXT)")
        db.execute("INSERT INTO sessions VALUES ('keep me')")
    with pytest.raises(StoreError, match="another program's database"):
        ResultStore(path)
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT token FROM sessions").fetchall() == [("keep me",)]


@pytest.mark.parametrize("version", [1, 2, 3])
def test_another_programs_database_with_a_layout_number_is_left_alone(tmp_path, version):
    """A database at user_version 1 (many programs set one) with a table of its own had its
    ``sessions`` table dropped as an early layout; at 2 it was migrated, at 3 used."""
    path = tmp_path / "app.db"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE sessions (token TEXT)")
        db.execute("CREATE TABLE users (name TEXT)")
        db.execute("INSERT INTO sessions VALUES ('keep me')")
        db.execute(f"PRAGMA user_version={version}")
    with pytest.raises(StoreError, match=r"another program's database \(tables users\)"):
        ResultStore(path)
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT token FROM sessions").fetchall() == [("keep me",)]
        assert db.execute("PRAGMA user_version").fetchone()[0] == version


@pytest.mark.parametrize("version, tables, why", [
    (7, ("cache", "sessions", "session_songs", "session_results"),
     "written by a newer SongCal (store layout 7; this one reads layouts up to 3)"),
    (1, ("sessions", "users"), "another program's database"),
])
def test_a_database_the_store_refuses_is_left_byte_for_byte(tmp_path, version, tables, why):
    """A newer SongCal's store, or another program's database, was switched to WAL mode
    (bytes 18-19 of its header rewritten, its change counter moved) before its layout was
    read and it was refused: the window wrote into a store it must not touch."""
    path = tmp_path / "kept.sqlite"
    before = write_database(path, version, tables)
    with pytest.raises(StoreError, match=re.escape(why)):
        ResultStore(path)
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["kept.sqlite"]


def test_a_refused_store_holds_nothing_of_its_caller(tmp_path):
    """The error refusing a newer SongCal's store was kept in a local variable of the frame
    that raised it: error, traceback and frame made a reference cycle that held every
    caller's frame, and what they held (the window opening the store), until the garbage
    collector ran."""
    import gc
    import weakref

    path = tmp_path / "newer.sqlite"
    write_database(path, 7, ("cache", "sessions", "session_songs", "session_results"))

    class Opener:
        def open(self):
            try:
                ResultStore(path)
            except StoreError as err:
                return err.newer

    opener = Opener()
    gone = weakref.ref(opener)
    gc.collect()
    gc.disable()
    try:
        assert opener.open() is True
        del opener
        assert gone() is None
    finally:
        gc.enable()


def test_garbage_file_is_a_plain_store_error(tmp_path):
    path = tmp_path / "broken.sqlite"
    path.write_bytes(b"this is not a database " * 200)
    with pytest.raises(StoreError, match="damaged or not a SongCal store"):
        ResultStore(path)


@pytest.mark.parametrize("message, said", [
    ("file is not a database", "the file is damaged or not a SongCal store (file is not"),
    ("database disk image is malformed", "the file is damaged or not a SongCal store"),
    ("database is locked", "another program holds the database (database is locked)"),
    ("database table is busy", "another program holds the database"),
    ("database or disk is full", "the disk is full (database or disk is full)"),
    ("unable to open database file", "unable to open database file"),
])
def test_sqlite_errors_are_said_plainly(message, said):
    from core.batch.store import _plain

    assert _plain(sqlite3.OperationalError(message)).startswith(said)


def test_locked_store_never_blocks_the_caller_and_catches_up(tmp_path):
    path = tmp_path / "db.sqlite"
    store = ResultStore(path, busy_timeout_s=0.05, retry_s=30.0, ack_timeout_s=0.2)
    holder = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    holder.execute("BEGIN EXCLUSIVE")
    a = _song(tmp_path / "a.wav")
    fake = CountingAnalyzer()
    run = cached(fake, store)
    result = run(str(a), settings=SETTINGS)  # returns after ack_timeout_s at most
    assert result.status == "done"
    release = threading.Timer(0.5, holder.execute, args=("COMMIT",))
    release.start()
    assert store.flush(20)
    release.join()
    holder.close()
    assert store.stats.saved == 1 and store.stats.failed_writes == 0
    store.close()


def test_closing_a_store_locked_throughout_counts_every_write_lost(tmp_path):
    path = tmp_path / "db.sqlite"
    store = ResultStore(path, busy_timeout_s=0.25, retry_s=30.0, ack_timeout_s=0.1)
    holder = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    holder.execute("BEGIN EXCLUSIVE")
    for i in range(12):
        store.save(SongResult(path=f"{i}.wav", status="done", bpm=120.0), "fp", str(i))
    started = time.monotonic()
    store.close(timeout=0.5)
    assert time.monotonic() - started < 2.0
    assert store.stats.saved == 0 and store.stats.failed_writes == 12
    holder.execute("COMMIT")
    holder.close()


def test_full_store_costs_no_result_and_says_so_once(tmp_path, caplog):
    path = tmp_path / "db.sqlite"
    store = ResultStore(path, retry_s=0.3, ack_timeout_s=0.5)
    fake = CountingAnalyzer(n_chunks=400)  # rows of ~30 KB: each needs new pages
    run = cached(fake, store)
    with sqlite3.connect(path) as db:  # the database can grow no further: SQLITE_FULL
        pages = db.execute("PRAGMA page_count").fetchone()[0]
    store._db.execute(f"PRAGMA max_page_count={pages}")
    results = []
    for i in range(4):
        song = write_audio(tmp_path / f"s{i}.wav", tone(300.0 + 50 * i, 20.0, 8000), 8000)
        results.append(run(str(song), settings=SETTINGS))
    store.close()
    assert [r.status for r in results] == ["done"] * 4
    assert store.stats.failed_writes >= 1 and "full" in store.problem
    warnings = [r for r in caplog.records if r.levelname == "WARNING"
                and "session store" in r.getMessage()]
    assert len(warnings) == 1


class SpyAnalyze:
    """An analyzer that counts its calls and returns a fixed result."""

    def __init__(self, status="done"):
        self.calls: list[str] = []
        self.status = status

    def __call__(self, path, *, settings, progress=None, should_cancel=None):
        self.calls.append(path)
        return SongResult(path=path, status=self.status, bpm=120.0, chunks=3, duration_s=70.0,
                          error="" if self.status == "done" else "corrupt")


def test_cached_analyzes_once_then_serves_the_store(tmp_path, store):
    spy = SpyAnalyze()
    run = cached(spy, store)
    song = str(_song(tmp_path / "s.wav"))
    settings = AnalysisSettings(workers=1)
    seen = []
    first = run(song, settings=settings, progress=lambda *a: seen.append(a))
    second = run(song, settings=settings, progress=lambda *a: seen.append(a))
    assert spy.calls == [song]
    assert first.bpm == second.bpm == 120.0 and second.path == song
    assert seen == [(3, 3, 70.0)]  # a stored song reports itself complete at once
    assert store.stats.hits == 1
    # Other analysis settings (the analysis rate) miss the store; workers do not matter.
    run(song, settings=AnalysisSettings(workers=3))
    assert spy.calls == [song]
    run(song, settings=AnalysisSettings(workers=1, sample_rate=44100))
    assert spy.calls == [song, song]


def test_cached_with_force_analyzes_again_and_saves(tmp_path, store):
    song = str(_song(tmp_path / "s.wav"))
    settings = AnalysisSettings(workers=1)
    cached(SpyAnalyze(), store)(song, settings=settings)
    spy = SpyAnalyze()
    forced = cached(spy, store, force=lambda path: path == song)
    forced(song, settings=settings)
    forced(song, settings=settings)
    assert spy.calls == [song, song]


def test_sessions_grow_and_only_the_newest_unfinished_is_offered(tmp_path, store):
    old = store.begin_session(["a.wav"], {"workers": 1})
    new = store.begin_session(["b.wav"], {"workers": 2}, reference="ref.csv")
    store.add_to_session(new, ["c.wav", "d.wav"])
    assert store.flush(5)
    s = store.unfinished_session()
    assert s["id"] == new and s["paths"] == ["b.wav", "c.wav", "d.wav"]
    assert s["reference"] == "ref.csv" and s["created"] > 0
    assert store.end_session(new)
    assert store.unfinished_session()["id"] == old
    assert store.end_session(old)
    assert store.unfinished_session() is None


def test_default_store_follows_the_data_folder(tmp_path, monkeypatch):
    from core.batch.store import data_dir, default_store_path

    monkeypatch.setenv("SONGCAL_DATA_DIR", str(tmp_path / "x" / "y"))
    assert data_dir() == str(tmp_path / "x" / "y") and (tmp_path / "x" / "y").is_dir()
    assert default_store_path() == str(tmp_path / "x" / "y" / "results.sqlite")


@pytest.mark.parametrize("error, tries", [("database or disk is full", 1),
                                          ("disk I/O error", 1),
                                          ("database is locked", 3)])
def test_opening_waits_only_for_a_store_another_connection_holds(tmp_path, monkeypatch,
                                                                  error, tries):
    """A full or failing disk is reported at once (the window opens without the store
    instead of 20 s late); a database another process holds is waited for."""
    calls = []
    prepare = ResultStore._prepare

    def flaky(self):
        calls.append(1)
        if len(calls) < 3:
            raise sqlite3.OperationalError(error)
        return prepare(self)

    monkeypatch.setattr(ResultStore, "_prepare", flaky)
    if tries == 1:
        with pytest.raises(StoreError, match=error.split()[-1]):
            ResultStore(tmp_path / "db.sqlite", retry_s=20.0)
    else:
        ResultStore(tmp_path / "db.sqlite", retry_s=20.0).close()
    assert len(calls) == tries


def test_a_store_file_replaced_by_garbage_while_open_is_said_not_written_into(tmp_path):
    """The store file replaced by one that is no database (a sync tool's copy, a stray
    write) while the batch ran: SQLite went on writing into the replaced file, every write
    counted as saved and nothing said, and the next start found the garbage."""
    path = tmp_path / "s.sqlite"
    store = ResultStore(path, retry_s=0.5)
    sid = store.begin_session(["a.wav"], {})
    store.flush(5)
    replacement = tmp_path / "other"
    replacement.write_bytes(b"not a database at all " * 100)
    os.replace(replacement, path)
    store.save(SongResult(path="a.wav", status="done", bpm=120.0), "s", "fp").wait(5)
    store.save_session_result(sid, 0, SongResult(path="a.wav", status="done", bpm=120.0))
    store.flush(5)
    assert store.problem is not None
    assert "was replaced by a file that is not a session store while the batch ran" in \
        store.problem
    assert store.stats.failed_writes >= 2
    store.close()
    assert path.read_bytes() == b"not a database at all " * 100


_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0


def _read_only_store(tmp_path, what):
    """An existing store, then made read-only: the file (its mode has no write bit, as the
    output checks read it, for root too) or its folder (not for root, who writes anyway)."""
    folder = tmp_path / "data"
    folder.mkdir()
    path = folder / "results.sqlite"
    store = ResultStore(path)
    store.save(SongResult(path="/m/a.wav", status="done", bpm=120.0), "s", "fp")
    store.close()
    (path.chmod if what == "file" else folder.chmod)(0o444 if what == "file" else 0o555)
    return folder, path


@pytest.mark.parametrize("what", [
    "file", pytest.param("folder", marks=pytest.mark.skipif(
        _ROOT, reason="root writes in a read-only folder"))])
def test_a_read_only_store_says_what_is_wrong_and_what_to_do(tmp_path, what):
    """A store in a read-only folder said only SQLite's "attempt to write a readonly
    database" (or "unable to open database file"); a read-only store file opened, then
    refused every write with the same words."""
    from core.batch.store import read_only_problem
    from core.cli.doctor import run_checks

    folder, path = _read_only_store(tmp_path, what)
    before = path.read_bytes()
    try:
        with pytest.raises(StoreError) as caught:
            ResultStore(path)
        why = read_only_problem(path)
        report = run_checks(store_path=str(path), decode=False)
    finally:
        folder.chmod(0o755)
        path.chmod(0o644)
    assert caught.value.read_only
    if what == "file":
        assert why.startswith("the file is read-only, so nothing can be kept in it; make it "
                              "writable (or choose another store file)")
    else:
        assert why.startswith(f"its folder {folder} is read-only")
        assert "make the folder writable" in why
    assert why in caught.value.reason
    problems = [p for p in report.problems if p.startswith("session store:")]
    assert problems == [f"session store: {path}: {why}; SongCal keeps no results or list in "
                        "it until then (another store file: analyze --session, or the "
                        "window's Settings \u25b8 Session store file)"], report.text()
    assert path.read_bytes() == before
