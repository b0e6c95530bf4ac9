"""The session store: cached results survive, changed files are analyzed again."""

import os

from core.batch.store import ResultStore, cached, data_dir, file_signature
from core.io.results import ChunkResult, SongResult
from core.settings import AnalysisSettings


def test_saved_result_is_found_until_the_file_changes(tmp_path):
    song = tmp_path / "a.wav"
    song.write_bytes(b"1234")
    store = ResultStore(str(tmp_path / "db.sqlite"))
    r = SongResult(path=str(song), status="done", bpm=128.0, key="A minor",
                   chunk_results=[ChunkResult(index=0, start_s=0, end_s=30, bpm=128.0)])
    store.save(r, "fp1")
    got = store.lookup(str(song), "fp1")
    assert got.bpm == 128.0 and got.chunk_results[0].bpm == 128.0
    assert store.lookup(str(song), "other-settings") is None
    song.write_bytes(b"123456")
    os.utime(song, ns=(1, 1))
    assert store.lookup(str(song), "fp1") is None
    store.close()


def test_failed_results_are_not_cached(tmp_path):
    song = tmp_path / "b.wav"
    song.write_bytes(b"x")
    store = ResultStore(":memory:")
    store.save(SongResult(path=str(song), status="failed", error="corrupt"), "fp")
    assert store.lookup(str(song), "fp") is None


def test_unfinished_session_can_be_resumed(tmp_path):
    db = str(tmp_path / "db.sqlite")
    store = ResultStore(db)
    sid = store.begin_session(["x.wav", "y.wav"], {"workers": 2})
    store.close()
    again = ResultStore(db)  # as after a crash
    s = again.unfinished_session()
    assert s["id"] == sid and s["paths"] == ["x.wav", "y.wav"] and s["settings"]["workers"] == 2
    again.end_session(sid)
    assert again.unfinished_session() is None


class SpyAnalyze:
    """An analyzer that counts its calls and returns a fixed result."""

    def __init__(self, status="done"):
        self.calls: list[str] = []
        self.status = status

    def __call__(self, path, *, settings, progress=None, should_cancel=None):
        self.calls.append(path)
        return SongResult(path=path, status=self.status, bpm=120.0, chunks=3, duration_s=70.0,
                          error="" if self.status == "done" else "corrupt")


def _song(tmp_path, name="s.wav", data=b"RIFF"):
    p = tmp_path / name
    p.write_bytes(data)
    return str(p)


def test_cached_analyzes_once_then_serves_the_store(tmp_path):
    store = ResultStore(":memory:")
    spy = SpyAnalyze()
    run = cached(spy, store)
    song = _song(tmp_path)
    settings = AnalysisSettings(workers=1)
    seen = []
    first = run(song, settings=settings, progress=lambda *a: seen.append(a))
    second = run(song, settings=settings, progress=lambda *a: seen.append(a))
    assert spy.calls == [song]
    assert first.bpm == second.bpm == 120.0 and second.path == song
    assert seen == [(3, 3, 70.0)]  # a stored song reports itself complete at once
    # Other analysis settings (the analysis rate) miss the store; workers do not matter.
    run(song, settings=AnalysisSettings(workers=3))
    assert spy.calls == [song]
    run(song, settings=AnalysisSettings(workers=1, sample_rate=44100))
    assert spy.calls == [song, song]


def test_cached_with_force_analyzes_again_and_saves(tmp_path):
    store = ResultStore(":memory:")
    song = _song(tmp_path)
    settings = AnalysisSettings(workers=1)
    cached(SpyAnalyze(), store)(song, settings=settings)
    spy = SpyAnalyze()
    forced = cached(spy, store, force=lambda path: path == song)
    forced(song, settings=settings)
    forced(song, settings=settings)
    assert spy.calls == [song, song]


def test_cached_retries_failed_songs_and_changed_files(tmp_path):
    store = ResultStore(":memory:")
    settings = AnalysisSettings(workers=1)
    bad = _song(tmp_path, "bad.wav")
    failing = SpyAnalyze(status="failed")
    run = cached(failing, store)
    run(bad, settings=settings)
    run(bad, settings=settings)
    assert failing.calls == [bad, bad]  # a failure is never served from the store
    song = _song(tmp_path, "ok.wav")
    spy = SpyAnalyze()
    run = cached(spy, store)
    run(song, settings=settings)
    with open(song, "ab") as f:  # the file changes (size and time)
        f.write(b"more")
    run(song, settings=settings)
    assert spy.calls == [song, song]


def test_a_file_changed_within_the_same_size_is_analyzed_again(tmp_path):
    store = ResultStore(":memory:")
    song = _song(tmp_path, data=b"abcd")
    os.utime(song, ns=(10**18, 10**18))
    store.save(SongResult(path=song, status="done", bpm=99.0), "fp")
    (tmp_path / "s.wav").write_bytes(b"wxyz")
    os.utime(song, ns=(2 * 10**18, 2 * 10**18))
    assert store.lookup(song, "fp") is None
    assert store.lookup(str(tmp_path / "missing.wav"), "fp") is None
    store.save(SongResult(path=str(tmp_path / "missing.wav"), status="done"), "fp")
    assert file_signature(str(tmp_path / "missing.wav")) is None


def test_sessions_grow_and_only_the_newest_unfinished_is_offered(tmp_path):
    store = ResultStore(str(tmp_path / "db.sqlite"))
    old = store.begin_session(["a.wav"], {"workers": 1})
    new = store.begin_session(["b.wav"], {"workers": 2}, reference="ref.csv")
    store.add_to_session(new, ["c.wav", "d.wav"])
    s = store.unfinished_session()
    assert s["id"] == new and s["paths"] == ["b.wav", "c.wav", "d.wav"]
    assert s["reference"] == "ref.csv" and s["created"] > 0
    store.end_session(new)
    assert store.unfinished_session()["id"] == old
    store.end_session(old)
    assert store.unfinished_session() is None
    store.close()


def test_data_dir_follows_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("SONGCAL_DATA_DIR", str(tmp_path / "x" / "y"))
    assert data_dir() == str(tmp_path / "x" / "y") and (tmp_path / "x" / "y").is_dir()
    store = ResultStore()
    assert store.path == str(tmp_path / "x" / "y" / "results.sqlite")
    store.close()
