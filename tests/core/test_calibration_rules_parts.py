"""Small rules of the calibration that users read directly: the ranges calibrated values and
their intervals are held to, what ``calibration.csv`` and the paired export say, the verdict
asked of a column, when a learned model is kept, and the session's summary of a sheet with
a scale of its own."""

import math

import numpy as np
import pytest

from core.calibration.applying import apply_profile
from core.calibration.calibration_table import calibration_rows, write_calibration_csv
from core.calibration.descriptor_fit import LinearCorrection
from core.calibration.exports import paired_rows
from core.calibration.fit import Calibration
from core.calibration.intervals import PredictionInterval
from core.calibration.key_fit import KeyCalibration, KeyCorrection
from core.calibration.learned_fit import fit_learned
from core.calibration.matching import Match, MatchResult
from core.calibration.profile import profile_from_dict
from core.calibration.reference import parse_reference_text
from core.calibration.session import CalibrationOptions, CalibrationSession
from core.calibration.tempo_fit import TempoCalibration, TempoRule
from core.io.csvio import read_csv_rows
from core.io.results import RESULT_COLUMNS

MIK_SCALE = "Mixed In Key 1\u201310"


def _profile(descriptors, intervals):
    return profile_from_dict({"format": "songcal-calibration-profile", "version": 2,
                              "descriptors": descriptors, "intervals": intervals,
                              "key": None, "meta": {}})


def test_a_correction_clamped_only_from_below_holds_its_interval_to_that_clamp_alone():
    p = _profile({"energy": {"method": "linear", "slope": 1.0, "intercept": 0.0,
                             "low": 0.3}},
                 {"energy": {"kind": "absolute", "halfwidth": 0.1, "n": 50}})
    out = apply_profile(p, [{"status": "done", "energy": 0.1},
                            {"status": "done", "energy": 0.5}])
    low_song, mid_song = out
    assert low_song["energy_calibrated"] == pytest.approx(0.3)
    # the interval's lower bound stops at the correction's own clamp, not at 0
    assert low_song["energy_calibrated_low"] == pytest.approx(0.3)
    assert low_song["energy_calibrated_high"] == pytest.approx(0.4)
    assert mid_song["energy_calibrated_low"] == pytest.approx(0.4)
    assert mid_song["energy_calibrated_high"] == pytest.approx(0.6)


def test_a_correction_of_method_none_passes_values_through_even_outside_its_clamps():
    none = LinearCorrection("none", slope=2.0, intercept=1.0, low=0.0, high=1.0)
    assert none.apply(0.4) == 0.4
    assert none.apply(1.5) == 1.5
    np.testing.assert_array_equal(none.apply([-0.2, 0.5, np.nan]), [-0.2, 0.5, np.nan])


def test_an_interval_around_a_value_below_the_range_is_raised_onto_the_range():
    interval = PredictionInterval("absolute", 0.1, n=50)
    assert interval.bounds(-0.5, low=0.0, high=1.0) == (0.0, 0.0)
    lo, hi = interval.bounds(np.array([-0.5, 0.5, 1.5]), low=0.0, high=1.0)
    np.testing.assert_allclose(lo, [0.0, 0.4, 1.0])
    np.testing.assert_allclose(hi, [0.0, 0.6, 1.0])


def _key_calibration(note=""):
    confusion = {("C major", "C major"): 9, ("C major", "A minor"): 1,
                 ("G major", "E minor"): 5, ("D major", "B minor"): 3}
    return KeyCalibration(18, KeyCorrection(major="relative"), accuracy_before=0.5,
                          weighted_before=0.6, accuracy_after=0.9, weighted_after=0.95,
                          confusion=confusion, verdict="calibrated", folds=10, note=note)


def test_calibration_csv_lists_the_key_confusions_most_frequent_first():
    rows = {r["descriptor"]: r for r in calibration_rows(Calibration(key=_key_calibration()))}
    expected = "confusions: G major > E minor: 5; D major > B minor: 3; C major > A minor: 1"
    assert rows["key_accuracy"]["note"] == expected
    assert rows["key_weighted"]["note"] == expected


def test_calibration_csv_keeps_only_the_twelve_most_frequent_key_confusions():
    keys = ["C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B"]
    confusion = {(f"{k} major", f"{k} minor"): 20 + i for i, k in enumerate(keys)}
    confusion[("C major", "G major")] = 1
    k = KeyCalibration(300, KeyCorrection(major="parallel"), confusion=confusion,
                       verdict="calibrated", folds=10)
    note = calibration_rows(Calibration(key=k))[0]["note"]
    assert note.startswith("confusions: B major > B minor: 31; A# major > A# minor: 30")
    assert "C major > G major" not in note
    assert note.count(">") == 12


def test_calibration_csv_writes_the_upper_clamp_of_the_tempo_correction(tmp_path):
    tempo = TempoCalibration(30, TempoRule(), LinearCorrection("offset", 1.0, 0.5, 20.0, 320.0),
                             verdict="calibrated", folds=10)
    rows = {r["descriptor"]: r for r in calibration_rows(Calibration(tempo=tempo))}
    assert rows["bpm"]["clamp_low"] == 20.0 and rows["bpm"]["clamp_high"] == 320.0
    write_calibration_csv(tmp_path / "cal.csv", Calibration(tempo=tempo))
    _, written = read_csv_rows(tmp_path / "cal.csv")
    bpm = next(r for r in written if r["descriptor"] == "bpm")
    assert float(bpm["clamp_low"]) == 20.0 and float(bpm["clamp_high"]) == 320.0


def test_the_paired_export_gives_the_fifths_distance_between_the_two_keys():
    sheet = parse_reference_text("Song,Artist,Key\nFirst Tune,x,C major\nSecond Tune,x,A minor\n")
    rows = [{**{c: None for c in RESULT_COLUMNS}, "path": "/a.wav", "title": "First Tune",
             "status": "done", "key": "D major"},
            {**{c: None for c in RESULT_COLUMNS}, "path": "/b.wav", "title": "Second Tune",
             "status": "done", "key": "A minor"}]
    match = MatchResult(2, 2, [Match(0, 0, "exact", 100.0), Match(1, 1, "exact", 100.0)])
    columns, out = paired_rows(rows, sheet, match)
    assert "key_fifths_distance" in columns
    assert [r["key_fifths_distance"] for r in out] == [2, 0]
    assert [r["key_relation"] for r in out] == ["other", "same"]


def test_the_verdict_asked_of_key_is_the_key_calibrations():
    cal = Calibration(key=_key_calibration())
    assert cal.verdict("key") == "calibrated"
    assert Calibration().verdict("key") == ""


def test_a_learned_model_of_a_column_the_analyzer_gave_no_song_is_judged_on_every_song():
    rng = np.random.default_rng(1)
    n = 40
    X = rng.uniform(0, 1, (n, 2))
    y = 0.3 + 0.5 * X[:, 0] - 0.2 * X[:, 1] + rng.normal(0, 0.01, n)
    cal = fit_learned(X, y, ("danceability", "valence"), column="energy",
                      compare=np.zeros(n, bool))
    assert cal.mae_compared == cal.mae_cv and math.isfinite(cal.mae_compared)
    assert cal.kept and cal.verdict == "calibrated" and cal.note == ""


def _mik_session(n=12):
    """A session of results and a Mixed In Key export whose energy levels (1-10) follow
    the analyzer's energy (0-1) closely."""
    lines = ["Collection name,File name,Key result,BPM,Energy"]
    results = []
    for i in range(n):
        energy = 0.05 + 0.9 * i / (n - 1)
        title = f"Tune Number {i} Of The Set"
        path = f"/music/Band - {title}.mp3"
        row = {c: None for c in RESULT_COLUMNS}
        row.update(path=path, title=title, artist="Band", status="done", bpm=120.0 + i,
                   key="A minor", energy=energy)
        results.append(row)
        lines.append(f"My Collection,{path},8A,{120 + i},{round(1 + 9 * energy)}")
    s = CalibrationSession(options=CalibrationOptions(learned=False))
    s.set_results(results, keys=range(n))
    s.set_reference(parse_reference_text("\n".join(lines) + "\n", name="mik.csv"))
    s.rematch()
    return s


def test_the_summary_before_a_fit_reads_a_mixed_in_key_energy_on_its_own_scale():
    s = _mik_session()
    by = {d.descriptor: d for d in s.summary()}
    energy = by["energy"]
    assert energy.scale == MIK_SCALE and not energy.fitted
    # the analyzer's 0-1 stretched onto 1-10 lies within a level of the sheet's
    assert energy.n == 12 and energy.mae_before < 0.5 and energy.r2 > 0.95
    assert by["bpm"].scale == ""
