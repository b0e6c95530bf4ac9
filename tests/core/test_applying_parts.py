"""Applying a profile, in its details: which tempo is marked outside the fitted range, the
edges of that range, how a learned column names the inputs outside, the range an interval
is clipped to, the songs that get no calibrated value, how the marks are counted, and a
caller's matrix of inputs."""

import pytest

import core.calibration.applying as applying
from core.calibration.applying import (
    OUTSIDE_FIT,
    apply_profile,
    calibrated_values,
    outside_fit,
    outside_fit_counts,
)
from core.calibration.descriptor_fit import LinearCorrection
from core.calibration.inputs import input_matrix
from core.calibration.profile import CalibrationProfile, profile_from_dict
from core.calibration.tempo_fit import TempoRule


def _profile(**sections):
    return profile_from_dict({"format": "songcal-calibration-profile", "version": 2,
                              **sections})


def _ridge(inputs, coef):
    """A learned model ``sum(coef * input)``; a missing input reads as 0."""
    n = len(inputs)
    return {"kind": "ridge", "format": 1, "inputs": inputs, "fill": [0] * n,
            "mean": [0] * n, "scale": [1] * n, "coef": coef, "intercept": 0.0}


def _speech(**ranges):
    """A profile whose learned ``speech`` is energy + duration / 100."""
    return _profile(learned={"speech": _ridge(["energy", "duration_s"], [1, 0.01])},
                    **ranges)


SPEECH_RANGES = {"speech": {"energy": [0.2, 0.8], "duration_s": [120, 300]}}


@pytest.mark.parametrize("rule, correction, marked", [
    (TempoRule("none"), LinearCorrection("none"), False),
    (TempoRule("none"), LinearCorrection("offset", intercept=2.0), True),
    (TempoRule("factor", factor=0.5), LinearCorrection("none"), True),
])
def test_a_tempo_is_marked_outside_its_fitted_range_only_when_the_profile_changes_it(
        rule, correction, marked):
    """A tempo the profile leaves as the analyzer read it (no octave rule, no correction)
    is not extrapolated, so a tempo far from the fitted songs' is not marked; an octave
    rule or a correction alone is enough to mark it."""
    profile = CalibrationProfile(tempo_rule=rule, tempo_correction=correction,
                                 fitted_ranges={"bpm": {"bpm": (90.0, 130.0)}})
    out = apply_profile(profile, [{"status": "done", "bpm": 200.0},
                                  {"status": "done", "bpm": 110.0}])
    assert [r[OUTSIDE_FIT] for r in out] == (["bpm", ""] if marked else ["", ""])


def test_a_value_exactly_on_the_widened_edge_of_the_fitted_range_is_inside():
    """Fitted on -30 to -10 LUFS, the range widened by 5 % of its width (1 LU) on each
    side runs from -31 to -9 LUFS, both ends included; past them a value is marked."""
    profile = CalibrationProfile(
        descriptors={"loudness_lufs": LinearCorrection("offset", intercept=1.0)},
        fitted_ranges={"loudness_lufs": {"loudness_lufs": (-30.0, -10.0)}})
    songs = [{"status": "done", "loudness_lufs": v} for v in (-31.0, -9.0, -31.01, -8.99)]
    assert [r[OUTSIDE_FIT] for r in apply_profile(profile, songs)] == [
        "", "", "loudness_lufs", "loudness_lufs"]


def test_a_learned_column_that_reads_its_own_value_among_others_names_it_in_brackets():
    """A learned energy model reading energy and duration: when only the energy is outside
    its range the mark still names it, as it names any input of a model with several."""
    profile = _profile(
        learned={"energy": _ridge(["energy", "duration_s"], [1, 0.0001])},
        fitted_ranges={"energy": {"energy": [0.2, 0.8], "duration_s": [120, 300]}})
    songs = [{"status": "done", "energy": 0.95, "duration_s": 200.0},
             {"status": "done", "energy": 0.5, "duration_s": 900.0},
             {"status": "done", "energy": 0.5, "duration_s": 200.0}]
    assert [r[OUTSIDE_FIT] for r in apply_profile(profile, songs)] == [
        "energy (energy)", "energy (duration_s)", ""]


@pytest.mark.parametrize("correction, energy, value, bounds", [
    # a correction that changes nothing applies no clamp, and its interval is not cut
    # to one: it stays within energy's 0-1
    ({"method": "none", "low": 0.2, "high": 0.8}, 0.95, 0.95, (0.85, 1.0)),
    # a correction without clamps of its own: the interval stays within 0-1 too
    ({"method": "offset", "intercept": 0.1}, 0.85, 0.95, (0.85, 1.0)),
])
def test_an_interval_stays_within_the_descriptor_range_when_the_correction_sets_no_clamp(
        correction, energy, value, bounds):
    """The interval beside a calibrated energy is cut to the clamps the correction applies;
    where it applies none, to energy's own range 0-1."""
    profile = _profile(descriptors={"energy": correction},
                       intervals={"energy": {"kind": "absolute", "halfwidth": 0.1, "n": 50}})
    out = apply_profile(profile, [{"status": "done", "energy": energy}])[0]
    assert out["energy_calibrated"] == pytest.approx(value)
    assert (out["energy_calibrated_low"], out["energy_calibrated_high"]) == pytest.approx(
        bounds)


def test_the_interval_of_a_column_with_no_fixed_range_is_not_cut():
    """A corrected peak level has no range of its own: its interval is the value plus and
    minus the half-width, however far it reaches."""
    profile = _profile(descriptors={"peak_dbfs": {"method": "offset", "intercept": -1.0}},
                       intervals={"peak_dbfs": {"kind": "absolute", "halfwidth": 0.5,
                                                "n": 50}})
    out = apply_profile(profile, [{"status": "done", "peak_dbfs": -3.0}])[0]
    assert out["peak_dbfs_calibrated"] == pytest.approx(-4.0)
    assert (out["peak_dbfs_calibrated_low"], out["peak_dbfs_calibrated_high"]) == (
        pytest.approx((-4.5, -3.5)))


def test_a_learned_value_needs_an_analyzed_song_with_at_least_one_of_its_inputs():
    """A learned model gives no value to a song that was not analyzed, even one whose row
    still holds values, nor to an analyzed song with none of the model's inputs; one input
    is enough (the missing one is filled in)."""
    songs = [{"status": "done", "energy": 0.5, "duration_s": 200.0},
             {"status": "failed", "energy": 0.5, "duration_s": 200.0},
             {"status": "done", "bpm": 120.0},
             {"status": "done", "duration_s": 100.0}]
    out = apply_profile(_speech(), songs)
    assert [r["speech_calibrated"] for r in out] == [pytest.approx(2.5), None, None,
                                                     pytest.approx(1.0)]


def test_a_song_not_analyzed_gets_no_calibrated_key_even_with_a_key_in_its_row():
    """A failed song's row may still hold a key (from an earlier run): it gets no
    calibrated key, while an analyzed song's key is corrected."""
    profile = _profile(key={"minor": "relative"})
    out = apply_profile(profile, [{"status": "failed", "key": "A minor"},
                                  {"status": "done", "key": "A minor"}])
    assert [(r["key_calibrated"], r["key_camelot_calibrated"]) for r in out] == [
        (None, None), ("C major", "8B")]


def test_outside_fit_computes_the_calibrated_values_it_needs_when_not_given_them():
    """Asked on its own, ``outside_fit`` marks the same songs as with the calibrated
    values at hand, leaving out a song the model gives no value."""
    profile = _speech(fitted_ranges=SPEECH_RANGES)
    songs = [{"status": "done", "energy": 0.5, "duration_s": 200.0},
             {"status": "done", "energy": 0.5, "duration_s": 900.0},
             {"status": "failed", "energy": 0.95, "duration_s": 900.0}]
    marks = ["", "speech (duration_s)", ""]
    assert outside_fit(profile, songs) == marks
    assert outside_fit(profile, songs, values=calibrated_values(profile, songs)) == marks


def test_a_column_whose_name_holds_a_space_is_counted_under_its_whole_name():
    """A hand-written profile may name a learned column with a space: its songs outside
    the fitted range are counted under the whole name."""
    profile = _profile(
        learned={"vocal presence": _ridge(["energy", "duration_s"], [1, 0.01])},
        fitted_ranges={"vocal presence": {"duration_s": [120, 300]}})
    out = apply_profile(profile, [{"status": "done", "energy": 0.5, "duration_s": 900.0}])
    assert out[0][OUTSIDE_FIT] == "vocal presence (duration_s)"
    assert outside_fit_counts(out) == (1, {"vocal presence": 1})


def test_a_callers_matrix_of_inputs_is_read_and_the_rows_are_not_read_again(monkeypatch):
    """The session keeps every song's inputs and passes them along: the learned values
    and the marks come from that matrix (here one whose duration says 900 s), and the
    rows' inputs are not read again; without a matrix they are read once."""
    profile = _speech(fitted_ranges=SPEECH_RANGES)
    songs = [{"status": "done", "energy": 0.5, "duration_s": 200.0}]
    held = input_matrix([dict(songs[0], duration_s=900.0)])
    reads = []

    def counted(*args, **kwargs):
        reads.append(args)
        return input_matrix(*args, **kwargs)

    monkeypatch.setattr(applying, "input_matrix", counted)
    out = apply_profile(profile, songs, inputs=held)[0]
    assert out["speech_calibrated"] == pytest.approx(0.5 + 9.0)
    assert out[OUTSIDE_FIT] == "speech (duration_s)"
    assert calibrated_values(profile, songs, inputs=held)["speech"][0].tolist() == (
        pytest.approx([9.5]))
    assert outside_fit(profile, songs, inputs=held) == ["speech (duration_s)"]
    assert reads == []
    out = apply_profile(profile, songs)[0]
    assert out["speech_calibrated"] == pytest.approx(0.5 + 2.0) and out[OUTSIDE_FIT] == ""
    assert len(reads) == 1


@pytest.mark.parametrize(("section", "row", "column", "value"), [
    ({"descriptors": {"energy": {"method": "offset", "intercept": 0.3}}},
     {"status": "done", "energy": 0.9}, "energy", 1.0),
    ({"descriptors": {"loudness_lufs": {"method": "linear", "slope": 2.0,
                                        "intercept": 0.0}}},
     {"status": "done", "loudness_lufs": -40.0}, "loudness_lufs", -70.0),
    ({"tempo": {"rule": {"kind": "none"},
                "correction": {"method": "offset", "intercept": 250.0}}},
     {"status": "done", "bpm": 120.0}, "bpm", 320.0),
])
def test_a_correction_without_clamps_of_its_own_is_clamped_to_the_descriptor_range(
        section, row, column, value):
    """A hand-written correction that sets no clamp still gives a value within its
    descriptor's range (energy 0-1, -70 to 10 LUFS, 20-320 BPM), as a fitted one does, so
    that the value and its interval agree."""
    profile = _profile(intervals={column: {"kind": "absolute", "halfwidth": 0.1, "n": 50}},
                       **section)
    out = apply_profile(profile, [row])[0]
    assert out[column + "_calibrated"] == pytest.approx(value)
    assert out[column + "_calibrated_low"] <= value <= out[column + "_calibrated_high"]
    assert profile.apply_values(column, row[column]) == pytest.approx(value)
