"""A profile keeps the range of values each column was fitted on, and applying it marks
the songs whose calibrated values come from outside that range (``outside_fit``)."""

import json

import numpy as np
import pytest

from core import __version__
from core.calibration.applying import (
    OUTSIDE_FIT,
    OUTSIDE_FIT_MARGIN,
    apply_profile,
    calibrated_columns,
)
from core.calibration.exports import write_calibrated_csv
from core.calibration.inputs import input_matrix
from core.calibration.profile import (
    ProfileError,
    load_profile,
    profile_from_dict,
    profile_to_dict,
    save_profile,
)
from core.cli.main import main as cli_main
from core.io.csvio import read_csv_rows, write_csv
from core.io.results import RESULT_COLUMNS
from tests.core.test_calibration_io import _session, _with_speech, make_deck


@pytest.fixture(scope="module")
def fitted(tmp_path_factory):
    """The deck of test_calibration_io fitted without learned models: (rows, profile)."""
    tmp = tmp_path_factory.mktemp("deck")
    results, sheet = make_deck()
    ref = tmp / "ref.csv"
    ref.write_text(sheet, encoding="utf-8")
    s = _session(results, ref)
    s.fit()
    return results, s.profile()


def _span(rows, column):
    x = np.array([np.nan if r[column] is None else r[column] for r in rows], float)
    return float(np.nanmin(x)), float(np.nanmax(x))


def test_a_profile_keeps_the_range_each_column_was_fitted_on_through_a_file(fitted,
                                                                           tmp_path):
    rows, profile = fitted
    # every song of the deck is paired and has every value: the range is the deck's
    assert set(profile.fitted_ranges) == {"bpm", "energy", "danceability", "loudness_lufs"}
    for c in profile.fitted_ranges:
        assert profile.fitted_ranges[c] == {c: _span(rows, c)}
    save_profile(profile, tmp_path / "p.json")
    data = json.loads((tmp_path / "p.json").read_text(encoding="utf-8"))
    assert data["fitted_ranges"]["loudness_lufs"] == {
        "loudness_lufs": list(_span(rows, "loudness_lufs"))}
    loaded = load_profile(tmp_path / "p.json")
    assert loaded.fitted_ranges == profile.fitted_ranges
    assert profile_to_dict(loaded) == profile_to_dict(profile)


def test_a_learned_model_keeps_the_range_of_every_input(tmp_path):
    results, sheet = make_deck()
    ref = tmp_path / "ref.csv"
    ref.write_text(sheet, encoding="utf-8")
    _with_speech(ref, results)
    s = _session(results, ref, learned=True)
    s.fit()
    profile = s.profile()
    model = profile.learned["speech"]
    X = input_matrix(results, model.inputs)
    assert profile.fitted_ranges["speech"] == {
        name: (float(np.nanmin(X[:, j])), float(np.nanmax(X[:, j])))
        for j, name in enumerate(model.inputs)}
    # a song far louder than any of the deck: its speech comes from outside the fit
    loud = dict(results[0], loudness_lufs=0.0)
    out = apply_profile(profile, [results[0], loud])
    assert out[0][OUTSIDE_FIT] == ""
    assert out[1][OUTSIDE_FIT] == "loudness_lufs;speech (loudness_lufs)"


def test_apply_marks_a_song_outside_the_fitted_range_and_not_one_inside(fitted):
    rows, profile = fitted
    low, high = profile.fitted_ranges["loudness_lufs"]["loudness_lufs"]
    pad = OUTSIDE_FIT_MARGIN * (high - low)
    songs = [dict(rows[0]),
             dict(rows[1], loudness_lufs=-35.0, bpm=190.0),  # quiet and fast
             dict(rows[2], loudness_lufs=low - 0.9 * pad),  # inside the margin
             dict(rows[3], loudness_lufs=high + 1.1 * pad),  # just past it
             dict(rows[4], status="failed", loudness_lufs=-35.0)]
    out = apply_profile(profile, songs)
    assert [r[OUTSIDE_FIT] for r in out] == ["", "bpm;loudness_lufs", "", "loudness_lufs",
                                             None]
    # the value itself is what it was: the correction extended and clamped
    corr = profile.descriptors["loudness_lufs"]
    assert out[1]["loudness_lufs_calibrated"] == pytest.approx(corr.apply(-35.0))
    assert out[1]["bpm_calibrated"] == pytest.approx(profile.apply_values("bpm", 190.0))
    assert calibrated_columns(profile)[-1] == OUTSIDE_FIT


def test_a_value_the_analyzer_did_not_give_is_not_marked(fitted):
    rows, profile = fitted
    out = apply_profile(profile, [dict(rows[0], energy=None, bpm=None)])[0]
    assert out["energy_calibrated"] is None and out[OUTSIDE_FIT] == ""


def test_keys_are_never_marked():
    key_only = profile_from_dict({"format": "songcal-calibration-profile", "version": 2,
                                  "key": {"minor": "relative"}})
    out = apply_profile(key_only, [{"status": "done", "key": "A minor"}])[0]
    assert out["key_calibrated"] == "C major" and OUTSIDE_FIT not in out
    assert OUTSIDE_FIT not in calibrated_columns(key_only)


def test_a_profile_without_ranges_applies_as_before(fitted, tmp_path):
    rows, profile = fitted
    data = profile_to_dict(profile)
    del data["fitted_ranges"]
    old = profile_from_dict(data)
    assert old.fitted_ranges == {} and OUTSIDE_FIT not in calibrated_columns(old)
    songs = [dict(rows[0]), dict(rows[1], loudness_lufs=-35.0, bpm=190.0)]
    new_rows, old_rows = apply_profile(profile, songs), apply_profile(old, songs)
    for a, b in zip(new_rows, old_rows, strict=True):
        assert OUTSIDE_FIT not in b
        assert {c: v for c, v in a.items() if c != OUTSIDE_FIT} == b
    write_calibrated_csv(tmp_path / "new.csv", songs, profile)
    write_calibrated_csv(tmp_path / "old.csv", songs, old)
    new_cols, new_out = read_csv_rows(tmp_path / "new.csv")
    old_cols, old_out = read_csv_rows(tmp_path / "old.csv")
    # the new column comes after every calibrated column, the others keep their order
    assert [c for c in new_cols if c != OUTSIDE_FIT] == old_cols
    assert new_cols.index(OUTSIDE_FIT) == new_cols.index("key_camelot_calibrated") + 1
    assert [{c: v for c, v in r.items() if c != OUTSIDE_FIT} for r in new_out] == old_out
    assert [r[OUTSIDE_FIT] for r in new_out] == ["", "bpm;loudness_lufs"]


def _profile(**change):
    data = {"format": "songcal-calibration-profile", "version": 2,
            "descriptors": {"energy": {"method": "offset", "intercept": 0.1}},
            "learned": {"speech": {"kind": "ridge", "format": 1,
                                   "inputs": ["energy", "duration_s"], "fill": [0, 0],
                                   "mean": [0, 0], "scale": [1, 1], "coef": [1, 0.01],
                                   "intercept": 0.0}},
            "tempo": None, "key": None, "meta": {}}
    data.update(change)
    return data


def test_a_learned_column_names_the_inputs_outside_its_range():
    p = profile_from_dict(_profile(fitted_ranges={
        "energy": {"energy": [0.2, 0.8]},
        "speech": {"energy": [0.2, 0.8], "duration_s": [120, 300]}}))
    rows = [{"status": "done", "energy": 0.5, "duration_s": 200.0},
            {"status": "done", "energy": 0.5, "duration_s": 900.0},
            {"status": "done", "energy": 0.95, "duration_s": 30.0}]
    assert [r[OUTSIDE_FIT] for r in apply_profile(p, rows)] == [
        "", "speech (duration_s)", "energy;speech (duration_s, energy)"]


@pytest.mark.parametrize("ranges, message", [
    ({"energy": {"energy": [0.9, 0.2]}},
     r"fitted_ranges\.energy\.energy: low must not be above high, got \[0\.9, 0\.2\]"),
    ({"energy": {"energy": [0.1, float("inf")]}},
     r"fitted_ranges\.energy\.energy: must hold two finite numbers, got \[0\.1, inf\]"),
    ({"energy": {"energy": [float("nan"), 1.0]}},
     r"fitted_ranges\.energy\.energy: must hold two finite numbers, got \[nan, 1\.0\]"),
    ({"speech": {"duration_s": ["120", 300]}},
     r"fitted_ranges\.speech\.duration_s: must hold two numbers, got \['120', 300\]"),
    ({"energy": {"energy": [0.5]}},
     r"fitted_ranges\.energy\.energy: must be a pair \[low, high\], got \[0\.5\]"),
    ({"energy": {"mood": [0, 1]}},
     r"fitted_ranges\.energy\.mood: is not a value SongCal measures, got 'mood'"),
    ({"valence": {"valence": [0, 1]}},
     r"fitted_ranges\.valence: is not a column the profile calibrates, got 'valence'"),
    ({"energy": [0, 1]}, r"fitted_ranges\.energy: must be an object, got \[0, 1\]"),
])
def test_a_hand_edited_range_that_makes_no_sense_is_refused_naming_the_field(ranges,
                                                                             message):
    with pytest.raises(ProfileError, match=f"^p.json: malformed profile: {message}$"):
        profile_from_dict(_profile(fitted_ranges=ranges), path="p.json")


def test_a_profile_file_with_a_range_of_infinity_is_refused(tmp_path):
    p = tmp_path / "p.json"
    p.write_text(json.dumps(_profile(fitted_ranges={"energy": {"energy": [0, 1]}}))
                 .replace("[0, 1]", "[-Infinity, 1]"), encoding="utf-8")
    with pytest.raises(ProfileError, match=r"fitted_ranges\.energy\.energy: must hold two "
                                           r"finite numbers, got \[-inf, 1\]"):
        load_profile(p)


def _cli(argv):
    return cli_main([str(a) for a in argv])


def test_the_apply_summary_counts_the_songs_outside_the_fitted_range(tmp_path, capsys):
    results, sheet = make_deck()
    (tmp_path / "ref.csv").write_text(sheet, encoding="utf-8")
    meta = {"songcal_version": __version__}
    write_csv(tmp_path / "results.csv", RESULT_COLUMNS, results, meta=meta)
    assert _cli(["calibrate", tmp_path / "results.csv", "--reference", tmp_path / "ref.csv",
                 "-o", tmp_path / "cal.csv", "--profile", tmp_path / "p.json",
                 "--no-learned"]) == 0
    new = [dict(results[0], path="/new/quiet.wav", loudness_lufs=-35.0),
           dict(results[1], path="/new/fast.wav", bpm=190.0, loudness_lufs=-40.0),
           dict(results[2], path="/new/plain.wav")]
    write_csv(tmp_path / "new.csv", RESULT_COLUMNS, new, meta=meta)
    capsys.readouterr()
    assert _cli(["apply", tmp_path / "new.csv", "--profile", tmp_path / "p.json",
                 "-o", tmp_path / "out.csv"]) == 0
    assert capsys.readouterr().err.strip() == (
        "applied p.json to 3 songs, 2 with values outside the range the profile was "
        f"fitted on (bpm 1, loudness_lufs 2; column outside_fit); wrote {tmp_path}/out.csv")
    _, out = read_csv_rows(tmp_path / "out.csv")
    assert [r[OUTSIDE_FIT] for r in out] == ["loudness_lufs", "bpm;loudness_lufs", ""]
    # the fitted songs themselves: none outside
    assert _cli(["apply", tmp_path / "results.csv", "--profile", tmp_path / "p.json",
                 "-o", tmp_path / "again.csv"]) == 0
    assert ("applied p.json to 60 songs, none with values outside the range the profile "
            "was fitted on; wrote") in capsys.readouterr().err
    # a profile written before the ranges were kept says it cannot tell
    data = json.loads((tmp_path / "p.json").read_text(encoding="utf-8"))
    del data["fitted_ranges"]
    (tmp_path / "old.json").write_text(json.dumps(data), encoding="utf-8")
    assert _cli(["apply", tmp_path / "new.csv", "--profile", tmp_path / "old.json",
                 "-o", tmp_path / "old.csv"]) == 0
    assert ("applied old.json to 3 songs, the profile keeps no fitted ranges (as profiles "
            "written before they were kept): values outside them are not marked; wrote"
            ) in capsys.readouterr().err
    cols, _ = read_csv_rows(tmp_path / "old.csv")
    assert OUTSIDE_FIT not in cols


def test_a_column_left_as_the_analyzer_gives_it_is_not_marked(fitted):
    """Without a correction nothing is extrapolated: only corrected columns are marked."""
    from core.calibration.descriptor_fit import LinearCorrection
    from core.calibration.profile import CalibrationProfile

    profile = CalibrationProfile(
        descriptors={"energy": LinearCorrection(method="none"),
                     "loudness_lufs": LinearCorrection(method="offset", intercept=1.0)},
        fitted_ranges={"energy": {"energy": (0.4, 0.6)},
                       "loudness_lufs": {"loudness_lufs": (-16.0, -12.0)}})
    rows, _ = fitted
    far = dict(rows[0], energy=0.95, loudness_lufs=-30.0)
    inside = dict(rows[0], energy=0.95, loudness_lufs=-14.0)
    assert [r[OUTSIDE_FIT] for r in apply_profile(profile, [far, inside])] == [
        "loudness_lufs", ""]
