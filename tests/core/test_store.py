"""The session store: cached results survive, changed files are analyzed again."""

import os

from core.batch.store import ResultStore
from core.io.results import ChunkResult, SongResult


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
