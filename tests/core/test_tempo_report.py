"""The tempo benchmarks' shared report: lengths, answers and scores of a set of songs."""

import os

import soundfile as sf

from benchmarks.synth import click_track
from benchmarks.tempo_report import score_songs


def test_a_set_of_songs_is_measured_scored_and_reported(tmp_path, capsys):
    songs = []
    for name, bpm, truth, seconds in (("a", 120.0, 120.0, 12.0), ("b", 100.0, 150.0, 9.0)):
        path = tmp_path / f"{name}.flac"
        sf.write(path, click_track(bpm, seconds, sr=22050), 22050)
        songs.append({"id": f"set/{name}", "path": str(path), "bpm": truth, "group": name})
    answers = score_songs(songs, str(tmp_path), 1, peers=False, empty="none", id_width=10,
                          tempo_label="truth", title="group", group=lambda s: s["group"])
    out = capsys.readouterr().out
    assert [round(s["seconds"], 3) for s in songs] == [12.0, 9.0]
    assert set(answers) == {"SongCal"}
    assert abs(answers["SongCal"]["set/a"] - 120.0) < 2.0
    assert abs(answers["SongCal"]["set/b"] - 100.0) < 2.0  # two-thirds of the stated 150
    assert out.startswith("2 songs, 0 min in all")
    assert "all          2 SongCal    0.500  0.500      0" in out


def test_no_song_to_score_exits_with_what_to_install(tmp_path):
    import pytest

    with pytest.raises(SystemExit, match="apt-get install something"):
        score_songs([], str(tmp_path), 1, peers=False, empty="apt-get install something",
                    id_width=10, tempo_label="truth", title="group", group=lambda s: "")


def test_a_benchmark_of_songs_keeps_numba_s_cache_in_its_own_folder(tmp_path):
    import subprocess
    import sys

    # a fresh interpreter: numba reads the variable once, when it is first imported
    code = ("import sys\n"
            "from benchmarks.tempo_report import song_arguments\n"
            "song_arguments(['--cache', sys.argv[1]], 'd', 'unused', 'songs')\n"
            "import numba\n"
            "print(numba.config.CACHE_DIR)\n")
    env = {k: v for k, v in os.environ.items() if k != "NUMBA_CACHE_DIR"}
    for name in ("one", "two"):
        cache = tmp_path / name
        out = subprocess.run([sys.executable, "-c", code, str(cache)], env=env, check=True,
                             capture_output=True, text=True).stdout
        assert out.strip() == str(cache / "numba")
        assert (cache / "numba").is_dir()


def test_a_numba_cache_set_by_the_caller_is_kept(tmp_path, monkeypatch):
    from benchmarks.tempo_report import own_numba_cache

    monkeypatch.setenv("NUMBA_CACHE_DIR", str(tmp_path / "mine"))
    assert own_numba_cache(str(tmp_path / "bench")) == str(tmp_path / "mine")
    assert not (tmp_path / "bench").exists()
    monkeypatch.delenv("NUMBA_CACHE_DIR")
    assert own_numba_cache(str(tmp_path / "bench")) == str(tmp_path / "bench" / "numba")
    assert os.environ["NUMBA_CACHE_DIR"] == str(tmp_path / "bench" / "numba")
