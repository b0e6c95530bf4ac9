"""The result cache and a file that changes under it: a copy still being written that the
decoder fails on, a file edited or removed while it is analyzed, a stored result handed
back, and what the analysis is given on the way.
"""

import logging
import os
from pathlib import Path

import pytest

from core.batch.store import ResultStore, cached, content_fingerprint
from core.errors import AudioFileError, CorruptFileError
from core.io.results import SongResult
from core.settings import AnalysisSettings
from tests.audio_files import tone, write_audio

SETTINGS = AnalysisSettings(workers=1)
CACHE_LOG = "core.batch.cache"


@pytest.fixture
def store(tmp_path):
    s = ResultStore(tmp_path / "db.sqlite")
    yield s
    s.close()


def _song(path):
    return str(write_audio(path, tone(440.0, 1.0, 8000), 8000))


def _grow(path):
    Path(path).write_bytes(Path(path).read_bytes() + b"\0" * 16)


class Analyzer:
    """Stand-in for the analyzer: each call runs the next step (``"fail"``, ``"grow and
    fail"``, ``"grow"``, ``"remove"`` or ``"ok"``) and records what it was given."""

    def __init__(self, *steps):
        self.steps = list(steps)
        self.calls = []

    def __call__(self, path, *, settings, progress=None, should_cancel=None):
        self.calls.append((settings, progress, should_cancel))
        step = self.steps.pop(0)
        if "grow" in step:
            _grow(path)
        bpm = float(os.path.getsize(path) % 1000)
        if step == "remove":
            os.remove(path)
        if "fail" in step:
            raise CorruptFileError(path, "the data ends early")
        return SongResult(path=path, status="done", bpm=bpm, chunks=1)


def _progress(*a):
    pass


def _should_cancel():
    return False


def _warnings(caplog):
    return [r.getMessage() for r in caplog.records
            if r.name == CACHE_LOG and r.levelno == logging.WARNING]


def test_a_copy_still_being_written_that_fails_to_decode_is_analyzed_again(
        tmp_path, store, caplog):
    caplog.set_level(logging.WARNING, logger=CACHE_LOG)
    song = _song(tmp_path / "a.wav")

    fake = Analyzer("grow and fail", "ok")
    result = cached(fake, store)(song, settings=SETTINGS, progress=_progress,
                                 should_cancel=_should_cancel)
    assert fake.calls == [(SETTINGS, _progress, _should_cancel)] * 2
    assert result.status == "done" and result.bpm == float(os.path.getsize(song) % 1000)
    assert result.content == content_fingerprint(song)  # the content it was read from
    assert isinstance(result.content_at, float)  # and when: the next check may trust its times
    assert store.stats.changed == 1
    assert _warnings(caplog) == [f"{song} changed while it was analyzed; analyzing it again"]
    # stored under the content as it is now: the next run takes it from the store
    again = Analyzer()
    assert cached(again, store)(song, settings=SETTINGS).bpm == result.bpm
    assert again.calls == []


def test_a_file_that_fails_and_did_not_change_fails_once(tmp_path, store):
    song = _song(tmp_path / "a.wav")
    fake = Analyzer("fail", "ok")
    with pytest.raises(CorruptFileError, match="the data ends early"):
        cached(fake, store)(song, settings=SETTINGS)
    assert len(fake.calls) == 1 and store.stats.changed == 0


def test_a_file_that_fails_after_changing_twice_gives_the_second_error(tmp_path, store):
    song = _song(tmp_path / "a.wav")
    fake = Analyzer("grow and fail", "grow and fail", "ok")
    with pytest.raises(CorruptFileError, match="the data ends early"):
        cached(fake, store)(song, settings=SETTINGS)
    assert len(fake.calls) == 2 and store.stats.changed == 1


def test_a_file_edited_during_each_analysis_fails_with_its_reason(tmp_path, store, caplog):
    caplog.set_level(logging.WARNING, logger=CACHE_LOG)
    song = _song(tmp_path / "a.wav")
    fake = Analyzer("grow", "grow", "ok")
    with pytest.raises(AudioFileError) as info:
        cached(fake, store)(song, settings=SETTINGS)
    assert info.value.reason == ("the file changed while it was analyzed, twice (is it still "
                                 "being written?); no result was kept")
    assert len(fake.calls) == 2 and store.stats.changed == 2
    assert _warnings(caplog) == [f"{song} changed while it was analyzed; analyzing it again"] * 2


def test_an_edit_during_the_analysis_is_read_again_and_stored_under_the_new_content(
        tmp_path, store):
    song = _song(tmp_path / "a.wav")
    fake = Analyzer("grow", "ok")
    result = cached(fake, store)(song, settings=SETTINGS)
    assert len(fake.calls) == 2 and store.stats.changed == 1
    assert result.content == content_fingerprint(song)
    assert isinstance(result.content_at, float)


def test_a_file_removed_during_its_analysis_keeps_its_result_unstored(tmp_path, store, caplog):
    caplog.set_level(logging.WARNING, logger=CACHE_LOG)
    song = _song(tmp_path / "a.wav")
    fake = Analyzer("remove")
    result = cached(fake, store)(song, settings=SETTINGS)
    assert result.status == "done" and len(fake.calls) == 1
    assert store.stats.changed == 1
    assert _warnings(caplog) == [f"{song} disappeared after its analysis; its result is not "
                                 "stored"]
    write_audio(tmp_path / "a.wav", tone(440.0, 1.0, 8000), 8000)  # the same content back
    again = Analyzer("ok")
    cached(again, store)(song, settings=SETTINGS)
    assert len(again.calls) == 1  # nothing was stored for it


@pytest.mark.parametrize("chunks, told", [(0, (1, 1)), (5, (5, 5))])
def test_a_stored_result_tells_the_progress_it_is_whole(tmp_path, store, chunks, told):
    song = _song(tmp_path / "a.wav")

    class Chunked(Analyzer):
        def __call__(self, path, **kw):
            r = super().__call__(path, **kw)
            r.chunks, r.duration_s = chunks, 1.0
            return r

    cached(Chunked("ok"), store)(song, settings=SETTINGS)
    seen = []
    hit = cached(Analyzer(), store)(song, settings=SETTINGS, progress=lambda *a: seen.append(a))
    assert seen == [told + (1.0,)]
    assert hit.content == content_fingerprint(song)


def test_what_is_no_regular_file_goes_straight_to_the_analysis(tmp_path, store):
    folder = tmp_path / "folder.wav"
    folder.mkdir()

    fake = Analyzer("ok")
    cached(fake, store)(str(folder), settings=SETTINGS, progress=_progress,
                        should_cancel=_should_cancel)
    assert fake.calls == [(SETTINGS, _progress, _should_cancel)]
    assert store.stats.changed == 0


def test_the_content_fingerprint_keeps_its_form(tmp_path):
    # Stores made by earlier versions are keyed by it: a change of the hash, its size or
    # the length prefix would miss every stored result.
    (tmp_path / "abc").write_bytes(b"abc")
    (tmp_path / "empty").write_bytes(b"")
    assert content_fingerprint(tmp_path / "abc") == "10366aba46518e2b9d040dde242bbc5a"
    assert content_fingerprint(tmp_path / "empty") == "c804ce198ec337e3dc762bdd1a09aece"


def test_a_stored_result_is_marked_as_such_and_each_hit_counted(tmp_path, store):
    song = _song(tmp_path / "a.wav")
    first = cached(Analyzer("ok"), store)(song, settings=SETTINGS)
    assert first.source != "store" and store.stats.hits == 0
    for n in (1, 2):
        hit = cached(Analyzer(), store)(song, settings=SETTINGS)
        assert hit.source == "store" and store.stats.hits == n


def test_changes_are_counted_across_songs(tmp_path, store):
    a, b = _song(tmp_path / "a.wav"), _song(tmp_path / "b.wav")
    cached(Analyzer("grow", "ok"), store)(a, settings=SETTINGS)
    cached(Analyzer("grow and fail", "ok"), store)(b, settings=SETTINGS)
    assert store.stats.changed == 2


def _result(fingerprint="", since=None, inode=""):
    return SongResult(path="x", status="done", content=fingerprint, content_at=since,
                      content_inode=inode)


def test_the_changed_check_skips_what_it_cannot_check_and_goes_on(tmp_path):
    import time

    from core.batch.cache import changed_since, fingerprint_and_inode

    a, b = _song(tmp_path / "a.wav"), _song(tmp_path / "b.wav")
    fp_b, inode_b = fingerprint_and_inode(b)
    _grow(b)
    results = {
        0: _result(),  # no fingerprint: not checked, and the check goes on past it
        1: _result(fp_b, time.time(), inode_b),  # b changed since
        2: _result(fp_b, time.time(), inode_b),  # a position past the list: skipped
    }
    assert changed_since([a, b], results) == ([1], [])
    # a time that is no number (a damaged record) is no time: the file is read
    fp_a, inode_a = fingerprint_and_inode(a)
    renewed = {}
    before = time.time()
    assert changed_since([a, b], {0: _result(fp_a, "yesterday", inode_a)},
                         renewed=renewed) == ([], [])
    assert list(renewed) == [0]
    at, inode = renewed[0]
    assert before <= at <= time.time() and inode == inode_a


def test_what_cannot_be_fingerprinted_gives_no_fingerprint_and_no_file(tmp_path, monkeypatch):
    from core.batch import cache

    song = _song(tmp_path / "a.wav")
    fingerprint, inode = cache.fingerprint_and_inode(song)
    assert len(fingerprint) == 32 and inode == cache.inode_text(os.stat(song))
    assert cache.fingerprint_and_inode(str(tmp_path)) == (None, "")  # a folder
    assert cache.fingerprint_and_inode(str(tmp_path / "gone.wav")) == (None, "")
    assert cache.fingerprint_and_inode("a\0b.wav") == (None, "")  # no path the system takes

    def read(fd, n):
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(cache.os, "read", read)  # the disk fails under the read
    assert cache.fingerprint_and_inode(song) == (None, "")


def test_a_file_replaced_by_a_fifo_as_it_is_opened_is_not_waited_on(tmp_path, monkeypatch):
    # The path was a song when it was looked at and is a FIFO with no writer by the time it
    # is opened: the open must not wait for a writer that never comes.
    import stat
    import threading

    from core.batch import cache

    fifo = tmp_path / "a.wav"
    os.mkfifo(fifo)
    real_stat, song = os.stat, os.stat(_song(tmp_path / "b.wav"))

    def looked_at_before(path, *a, **kw):
        return song if os.fspath(path) == str(fifo) else real_stat(path, *a, **kw)

    monkeypatch.setattr(cache.os, "stat", looked_at_before)
    got = []
    opener = threading.Thread(target=lambda: got.append(cache.fingerprint_and_inode(str(fifo))),
                              daemon=True)
    opener.start()
    opener.join(5)
    stuck = opener.is_alive()
    if stuck:  # let the open through so the thread ends
        os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
        opener.join(10)
    assert stat.S_ISFIFO(real_stat(fifo).st_mode)
    assert not stuck
    assert got == [(None, "")]


def test_a_result_with_no_record_of_its_content_is_not_checked(tmp_path):
    from types import SimpleNamespace

    from core.batch.cache import changed_since, fingerprint_and_inode

    a = _song(tmp_path / "a.wav")
    fp, inode = fingerprint_and_inode(a)
    _grow(a)
    # a record without the fields (an older result's form): nothing to compare, no error
    assert changed_since([a], {0: SimpleNamespace(status="done")}) == ([], [])
    # a fingerprint with no time and no file recorded: the content tells
    assert changed_since([a], {0: SimpleNamespace(content=fp)}) == ([0], [])
    assert changed_since([a], {0: SimpleNamespace(content=fp, content_at=None,
                                                  content_inode=inode)}) == ([0], [])


def test_the_file_systems_word_on_a_file_since_a_moment(tmp_path, monkeypatch):
    import time

    from core.batch import cache

    song = _song(tmp_path / "a.wav")
    inode = cache.inode_text(os.stat(song))
    later = time.time() + 10
    assert cache.untouched_since(str(tmp_path / "gone.wav"), later, inode) is False
    assert cache.untouched_since(str(tmp_path), later, inode) is False
    assert cache.untouched_since(song, later, inode) is True
    assert cache.untouched_since(song, later) is None  # which file it was is not known
    assert cache.untouched_since(song, None, inode) is None
    # written within the margin of the moment (the file system's clock tick): not vouched for
    real = os.stat(song)
    at_ns = 1_000_000_000_000_000_000
    fake = os.stat_result(tuple(real)[:10], {"st_mtime_ns": at_ns, "st_ctime_ns": at_ns})
    real_stat = os.stat

    def stat(path, *a, **kw):
        return fake if os.fspath(path) == song else real_stat(path, *a, **kw)

    monkeypatch.setattr(cache.os, "stat", stat)
    assert cache.untouched_since(song, (at_ns + cache._RACY_NS) / 1e9, inode) is None
    assert cache.untouched_since(song, (at_ns + cache._RACY_NS) / 1e9 + 1e-3, inode) is True


def test_times_vouch_for_a_file_only_past_the_clocks_margin(tmp_path):
    from core.batch import cache

    song = _song(tmp_path / "a.wav")
    ids, _ = cache._file_state(song)
    written = max(ids[3], ids[4])
    assert not cache._unchanged_since((ids, written + cache._RACY_NS), song)
    assert cache._unchanged_since((ids, written + cache._RACY_NS + 1), song)
    assert not cache._unchanged_since(None, song)
    _grow(song)
    assert not cache._unchanged_since((ids, written + cache._RACY_NS + 1), song)
