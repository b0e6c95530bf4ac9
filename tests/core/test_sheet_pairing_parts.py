"""Pairing songs with a reference sheet and what follows from it: a sheet listing one song
twice with different values, the columns of the paired export, the song values read for the
learned models, the profile version a learned model is written in, the tempo range the
results were analyzed in, and the tempo fit's folds and seeded subsample."""

import json

import numpy as np
import pytest

from core.calibration import pairing as pairing_module
from core.calibration.agreement import tempo_within
from core.calibration.descriptor_fit import DESCRIPTOR_RANGES, fit_descriptor, fit_linear
from core.calibration.exports import write_paired_csv
from core.calibration.learned_model import RidgeModel
from core.calibration.matching import Match, MatchResult, SongIdentity, match_songs
from core.calibration.pairing import Pairing
from core.calibration.profile import CalibrationProfile, save_profile
from core.calibration.reference import parse_reference_text
from core.calibration.session import CalibrationOptions, CalibrationSession
from core.calibration.tempo_fit import fit_tempo
from core.io.csvio import read_csv_rows

#: A chart that writes every tempo from 88 to 175 BPM, as dance charts do.
CHART = (90.0, 96.0, 100.0, 110.0, 120.0, 124.0, 128.0, 140.0, 150.0, 160.0, 170.0, 174.0)
#: How the analyzer read each song of CHART: slow ones at double, fast ones at half.
CHART_READ = (2, 2, 1, 1, 1, 1, 1, 1, 0.5, 0.5, 0.5, 0.5)


# -- matching ---------------------------------------------------------------------------

def test_a_sheet_listing_a_song_twice_with_different_tempos_leaves_the_song_ambiguous():
    sheet = parse_reference_text("Song,Artist,BPM\nBlue Night,Ana Lima,100\n"
                                 "Blue Night,Ana Lima,120\nRain,The Owls,92\n")
    songs = [SongIdentity("Blue Night", "Ana Lima"), SongIdentity("Rain", "The Owls")]
    result = match_songs(songs, sheet.rows)
    assert [(m.song, m.row) for m in result.matches] == [(1, 2)]
    assert [a.song for a in result.ambiguous] == [0]
    assert sorted(j for j, _ in result.ambiguous[0].candidates) == [0, 1]


def test_a_sheet_listing_a_song_twice_with_the_same_values_pairs_it_with_the_first_row():
    sheet = parse_reference_text("Song,Artist,BPM\nBlue Night,Ana Lima,100\n"
                                 "Blue Night,Ana Lima,100\n")
    result = match_songs([SongIdentity("Blue Night", "Ana Lima")], sheet.rows)
    assert [(m.song, m.row, m.method) for m in result.matches] == [(0, 0, "exact")]
    assert result.ambiguous == []


# -- the paired export --------------------------------------------------------------------

def test_the_paired_csv_of_a_sheet_with_camelot_codes_only_carries_the_camelot_column(
        tmp_path):
    sheet = parse_reference_text("Song,Artist,Camelot\nA,x,8A\n")
    rows = [{"path": "/a", "title": "A", "key": "A minor"}]
    match = MatchResult(1, 1, [Match(0, 0, "exact", 100.0)], [])
    write_paired_csv(tmp_path / "paired.csv", rows, sheet, match)
    columns, out = read_csv_rows(tmp_path / "paired.csv")
    assert "ref_key_camelot" in columns
    assert (out[0]["ref_row"], out[0]["ref_key_camelot"], out[0]["key_relation"]) == (
        "2", "8A", "same")


# -- the song values read for the learned models -------------------------------------------

def test_the_song_values_are_read_once_until_the_rows_change(monkeypatch):
    reads = []
    real = pairing_module.input_matrix

    def counted(rows):
        reads.append(len(rows))
        return real(rows)

    monkeypatch.setattr(pairing_module, "input_matrix", counted)
    p = Pairing()
    p.set_results([{"path": "/a", "title": "A", "bpm": 120.0, "energy": 0.4},
                   {"path": "/b", "title": "B", "bpm": 90.0, "energy": 0.7}])
    first = p.input_matrix()
    again = p.input_matrix()
    assert reads == [2]
    np.testing.assert_array_equal(first, again)
    p.set_results([{"path": "/c", "title": "C", "bpm": 100.0}])
    assert p.input_matrix().shape[0] == 1
    assert reads == [2, 1]


# -- the profile version -------------------------------------------------------------------

def _ridge(low, high):
    return RidgeModel(inputs=("loudness_lufs",), fill=np.array([-12.0]),
                      mean=np.array([-11.0]), scale=np.array([3.0]), coef=np.array([2.0]),
                      intercept=-14.0, alpha=1.0, low=low, high=high)


@pytest.mark.parametrize("low, version", [(-80.0, 3), (-70.0, 2), (-60.0, 2)])
def test_a_learned_loudness_model_clamped_below_minus_70_lufs_is_written_as_version_3(
        tmp_path, low, version):
    profile = CalibrationProfile(learned={"loudness_lufs": _ridge(low, 0.0)})
    save_profile(profile, tmp_path / "p.json")
    data = json.loads((tmp_path / "p.json").read_text(encoding="utf-8"))
    assert data["version"] == version


# -- the tempo range the results were analyzed in -------------------------------------------

def _chart_session(settings_cell):
    lines = ["Song,Artist,BPM"] + [f"Chart Song {i},Artist {i},{b:g}"
                                   for i, b in enumerate(CHART)]
    rows = [{"path": f"/chart/{i:02d}.wav", "title": f"Chart Song {i}", "artist": f"Artist {i}",
             "status": "done", "bpm": b * f, "settings": settings_cell}
            for i, (b, f) in enumerate(zip(CHART, CHART_READ, strict=True))]
    s = CalibrationSession(options=CalibrationOptions(learned=False))
    s.set_results(rows)
    s.set_reference(parse_reference_text("\n".join(lines) + "\n", name="chart.csv"))
    s.rematch()
    return s


def test_a_chart_read_in_no_range_is_offered_the_range_that_states_it():
    tip = _chart_session("sample_rate=22050").tempo_range_suggestion()
    assert tip is not None and tip.floor == 88.0


def test_the_range_analyzed_in_is_read_from_a_settings_cell_holding_an_equals_sign_in_a_value():
    # read in the range from 88, the chart is offered the next range, as without the cell
    plain = _chart_session("sample_rate=22050;tempo_floor_bpm=88.0").tempo_range_suggestion()
    tip = _chart_session("sample_rate=22050;tempo_floor_bpm=88.0;label=mix=A"
                         ).tempo_range_suggestion()
    assert tip == plain and tip.floor == 98.0


# -- the tempo fit ---------------------------------------------------------------------

def _agreeing_tempos(n, seed=5):
    rng = np.random.default_rng(seed)
    ref = np.round(rng.uniform(80.0, 160.0, n), 1)
    est = 1.03 * ref + rng.normal(0.0, 1.0, n)
    return est, ref


def test_a_tempo_fit_of_30_songs_is_scored_by_10_folds_by_default_as_a_descriptor_fit_is():
    est, ref = _agreeing_tempos(30)
    cal = fit_tempo(est, ref, methods=("offset",))
    assert cal.folds == 10
    assert cal.folds == fit_descriptor(est / 200.0, ref / 200.0, descriptor="energy",
                                       methods=("offset",)).folds


def test_a_tempo_correction_on_many_songs_is_fitted_on_the_subsample_its_seed_picks():
    est, ref = _agreeing_tempos(210)
    assert tempo_within(est, ref, tolerance=0.08).all()
    low, high = DESCRIPTOR_RANGES["bpm"]
    by_seed_7 = fit_linear(est, ref, method="theil_sen", low=low, high=high, seed=7)
    by_seed_0 = fit_linear(est, ref, method="theil_sen", low=low, high=high, seed=0)
    assert by_seed_7.slope != by_seed_0.slope  # the seed decides which songs are used
    cal = fit_tempo(est, ref, k=3, seed=7, methods=("theil_sen",))
    assert cal.rule.kind == "none"
    assert cal.correction == by_seed_7
