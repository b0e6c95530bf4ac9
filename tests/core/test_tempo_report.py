"""The tempo benchmarks' shared report: lengths, answers and scores of a set of songs."""

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
