"""The confidence benchmark's bands: songs per confidence band and how often they were right."""

import numpy as np
import pytest
import soundfile as sf

from benchmarks.confidence import BANDS, _analyze_all, bands
from benchmarks.synth import click_track


def test_each_song_falls_in_one_band_and_its_scores_are_averaged_there():
    conf = [0.05, 0.15, 0.5, 0.59, 0.6, 0.85, 0.9, 1.0]
    right = [(0, 0), (1, 1), (1, 1), (0, 1), (1, 1), (0, 0), (1, 1), (0, 1)]
    rows = bands(conf, right)
    assert [(b["lo"], b["n"]) for b in rows] == [(0.0, 2), (0.4, 2), (0.6, 1), (0.8, 1),
                                                  (0.9, 2)]
    assert sum(b["n"] for b in rows) == len(conf)  # 0.6 and 0.9 open their band, 1.0 counts
    by_lo = {b["lo"]: b for b in rows}
    assert by_lo[0.0]["scores"] == [0.5, 0.5]
    assert by_lo[0.4]["scores"] == [0.5, 1.0]
    assert by_lo[0.4]["mean"] == pytest.approx(0.545)
    assert by_lo[0.9]["scores"] == [0.5, 1.0]
    assert by_lo[0.9]["mean"] == pytest.approx(0.95)


def test_a_single_score_per_song_and_weighted_scores_are_kept():
    rows = bands([0.95, 0.97, 0.3], [1.0, 0.5, 0.2])
    assert [b["scores"] for b in rows] == [[0.2], [0.75]]
    assert BANDS[0] == 0.0 and BANDS[-1] == 1.0


def test_songs_are_analyzed_as_files_and_a_refused_file_gives_none(tmp_path):
    song = tmp_path / "click.flac"
    sf.write(song, click_track(120.0, 8.0, sr=22050), 22050)
    short = tmp_path / "short.wav"
    sf.write(short, np.zeros(2000, dtype=np.float32), 22050)  # under a second: refused
    results = _analyze_all([{"path": str(song)}, {"path": str(short)}], workers=2)
    assert all(v is None for v in results[1].values())
    assert abs(results[0]["bpm"] - 120.0) < 2.0
    assert 0.0 <= results[0]["bpm_confidence"] <= 1.0


def test_a_range_scores_the_tempo_it_states_for_the_truth():
    from benchmarks.tempo_floor import in_range_hit

    assert in_range_hit(170.5, 85.0, 88.0)  # 85 is stated as 170 in 88-175
    assert not in_range_hit(85.0, 170.0, 88.0)
    assert in_range_hit(95.0, 190.0, 88.0) and in_range_hit(66.0, 132.0, 60.0)
    assert not in_range_hit(113.3, 170.0, 88.0)  # 2/3 is no octave
    assert not in_range_hit(None, 120.0, 88.0)


def test_each_song_is_analyzed_with_and_without_a_range(tmp_path):
    from benchmarks.errorcases import halftime_groove
    from benchmarks.tempo_floor import _answers

    song = tmp_path / "halftime.flac"
    sf.write(song, halftime_groove(170.0, seed=1), 22050)
    short = tmp_path / "short.wav"
    sf.write(short, np.zeros(2000, dtype=np.float32), 22050)
    plain = _answers([str(song), str(short)], 0.0, workers=2)
    ranged = _answers([str(song), str(short)], 88.0, workers=2)
    assert plain[1] is None and ranged[1] is None
    assert abs(plain[0] - 85.0) < 3.0 and abs(ranged[0] - 170.0) < 6.0
