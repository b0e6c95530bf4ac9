"""Calibration details a user reads: the count of songs whose calibrated values come from
outside the fitted range, the note on a single outlying song, the mismatches export, the
tempo offset that replaces a steep slope, and tempi with no relation to the sheet."""

import numpy as np
import pytest

from core.calibration.agreement import tempo_within
from core.calibration.applying import OUTSIDE_FIT, outside_fit_counts
from core.calibration.descriptor_fit import outlier_note
from core.calibration.exports import write_mismatches_csv
from core.calibration.intervals import interval_from_residuals
from core.calibration.matching import Match, MatchResult
from core.calibration.reference import parse_reference_text
from core.calibration.tempo_fit import _fit_tempo_linear, fit_tempo
from core.io.csvio import read_csv_rows


def test_songs_outside_the_fitted_range_are_counted_past_a_song_inside_it():
    rows = [{OUTSIDE_FIT: ""},
            {OUTSIDE_FIT: "bpm"},
            {OUTSIDE_FIT: None},
            {OUTSIDE_FIT: "loudness_lufs;speech (duration_s, loudness_lufs)"},
            {OUTSIDE_FIT: "bpm;loudness_lufs"}]
    assert outside_fit_counts(rows) == (3, {"bpm": 2, "loudness_lufs": 2, "speech": 1})


def test_the_note_on_one_outlying_song_speaks_of_one_song():
    assert outlier_note(1, 0.62, 0.18) == (
        "1 outlying song (held-out error more than 5 robust spreads from the others': a bad "
        "value in the results or the sheet?) left out of the verdict: cross-validated r\u00b2 "
        "0.62 without it, 0.18 with")


def test_the_mismatches_csv_lists_the_songs_that_disagree_with_the_sheet(tmp_path):
    sheet = parse_reference_text("Song,Artist,BPM,Key\nA,x,100,C major\nB,x,120,A minor\n"
                                 "C,x,90,D major\nLone,y,70,F major\n")
    rows = [{"path": "/a", "title": "A", "bpm": 200.0, "key": "C major"},
            {"path": "/b", "title": "B", "bpm": 120.0, "key": "C major"},
            {"path": "/c", "title": "C", "bpm": 90.0, "key": "D major"}]
    match = MatchResult(3, 4, [Match(0, 0, "exact", 100.0), Match(1, 1, "exact", 100.0),
                               Match(2, 2, "exact", 100.0)], [])
    write_mismatches_csv(tmp_path / "mismatches.csv", rows, sheet, match)
    columns, out = read_csv_rows(tmp_path / "mismatches.csv")
    assert columns[0] == "mismatch"
    assert [(r["mismatch"], r["path"], r["ref_title"]) for r in out] == [
        ("tempo double", "/a", "A"), ("key relative", "/b", "B"),
        ("unmatched reference row", "", "Lone")]


def test_a_tempo_offset_that_replaces_a_falling_line_still_stops_at_320_bpm():
    # five songs near 100 BPM whose reference runs the other way: no slope in range fits
    est = np.array([100.0, 101.0, 102.0, 103.0, 104.0])
    ref = est[::-1] + 2.0
    corr = _fit_tempo_linear(est, ref, "theil_sen", 0)
    assert (corr.method, corr.slope, corr.intercept) == ("offset", 1.0, 2.0)
    assert corr.apply(100.0) == pytest.approx(102.0)
    assert corr.apply(400.0) == 320.0


def test_tempi_with_no_relation_count_the_songs_agreeing_as_the_analyzer_read_them():
    # a sixth of the songs read at double tempo (a halving rule would fix them), the rest
    # unrelated to the sheet: too little agrees, so nothing is kept and the songs counted
    # as agreeing are those within 8 % of the sheet as the analyzer read them
    rng = np.random.default_rng(3)
    ref = rng.uniform(80, 170, 60)
    est = rng.uniform(80, 170, 60)
    est[:10] = ref[:10] * 2 * (1 + rng.normal(0, 0.005, 10))
    cal = fit_tempo(est, ref)
    assert cal.verdict == "no relation" and not cal.kept
    assert cal.note == ("no relation: the tempi agree with the reference within an octave "
                        "(Acc2) on fewer than 25 % of the songs; nothing kept")
    assert cal.n_agree == int(np.sum(tempo_within(est, ref, tolerance=0.08))) == 9
    assert cal.apply(200.0) == 200.0
    # the halving rule was kept before the verdict; every "after" is the "before" again
    assert cal.mae_after == cal.mae_rule_only == cal.mae_before
    assert cal.r2 == cal.r2_cv == cal.r2_before
    assert cal.interval == interval_from_residuals(np.log(est / ref), kind="relative")
