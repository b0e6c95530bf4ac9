"""The calibration's key correction, part by part: the fifth-up transform, the text that
describes a correction, how a correction is learned from paired keys (ties, the accuracy
tie-break, the majority a per-key map needs, no songs at all), and what the key fit reports
when there are no pairs, too few, a sheet with one key for every song, a fold count or a
seed of its own, and a held-out rise no larger than rounding."""

from __future__ import annotations

import pytest

import core.calibration.key_fit as key_fit
from core.calibration.key_fit import (
    KeyCorrection,
    _learn_key_correction,
    _transform,
    fit_key,
)
from core.io.keynotation import Key, parse_key


def _keys(names):
    return [parse_key(n) for n in names]


def _g_major_heard_for_e_minor():
    """20 songs: four E minor songs the analyzer calls G major, the rest read right."""
    est = _keys(["G major"] * 4 + ["C major"] * 8 + ["A major"] * 8)
    ref = _keys(["E minor"] * 4 + ["C major"] * 8 + ["A major"] * 8)
    return est, ref


# ---------------------------------------------------------------------------- transforms

@pytest.mark.parametrize(("key", "moved"), [
    (Key(0, "major"), Key(7, "major")),   # C major -> G major
    (Key(5, "minor"), Key(0, "minor")),   # F minor -> C minor, round the octave
    (Key(6, "major"), Key(1, "major")),   # F# major -> C# major
    (Key(11, "minor"), Key(6, "minor")),  # B minor -> F# minor
])
def test_fifth_up_raises_the_tonic_seven_semitones_and_keeps_the_mode(key, moved):
    assert _transform(key, "fifth_up") == moved
    assert KeyCorrection(major="fifth_up", minor="fifth_up").apply(key) == moved


def test_fifth_up_then_fifth_down_gives_back_every_key():
    for i in range(24):
        key = Key.from_index(i)
        assert _transform(_transform(key, "fifth_up"), "fifth_down") == key


# ---------------------------------------------------------------------------- describe

def test_a_key_map_is_described_pair_by_pair_in_name_order():
    c = KeyCorrection(mapping={"G major": "E minor", "D major": "B minor"})
    assert c.describe() == "map D major -> B minor, G major -> E minor"


def test_a_major_transform_is_described_with_its_mode():
    assert KeyCorrection(major="fifth_up").describe() == "major: fifth_up"


def test_transforms_for_both_modes_are_described_major_first():
    c = KeyCorrection(major="parallel", minor="relative")
    assert c.describe() == "major: parallel; minor: relative"


# ---------------------------------------------------------------------------- learning

def test_between_equal_weighted_scores_the_correction_with_more_exact_keys_wins():
    # Two C major songs that are G major and F major: as read, two fifths (0.5, none
    # exact); a fifth up or a fifth down gives one exact key and one unrelated (also 0.5,
    # but one exact).  The first of the two, fifth up, is learned.
    c = _learn_key_correction(_keys(["C major"] * 2), _keys(["G major", "F major"]))
    assert c == KeyCorrection(major="fifth_up", minor="keep")


def test_a_transform_for_a_mode_the_analyzer_never_reported_is_not_learned():
    # Only minor keys, all right: every transform of major keys scores the same as none,
    # and a tie keeps no change.
    keys = _keys(["A minor", "E minor", "D minor"])
    assert _learn_key_correction(keys, keys) == KeyCorrection()


def _one_key_spread(g_major_refs):
    """G major songs whose reference keys are ``g_major_refs``, plus C and F major songs
    read right (so no transform of every major key can help)."""
    est = _keys(["G major"] * len(g_major_refs) + ["C major"] * 3 + ["F major"] * 2)
    ref = _keys(list(g_major_refs) + ["C major"] * 3 + ["F major"] * 2)
    return est, ref


def test_a_key_split_half_and_half_is_not_mapped():
    # G major is D# major in two of four songs: half is not a majority
    est, ref = _one_key_spread(["D# major", "D# major", "A major", "B major"])
    assert _learn_key_correction(est, ref) == KeyCorrection()


def test_a_key_read_wrong_the_same_way_in_most_of_its_songs_is_mapped():
    # three of five: a majority, so G major is sent to D# major
    est, ref = _one_key_spread(["D# major"] * 3 + ["A major", "B major"])
    assert _learn_key_correction(est, ref) == KeyCorrection(mapping={"G major": "D# major"})


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # the mean of no songs
def test_learning_from_no_songs_changes_nothing():
    assert _learn_key_correction([], []) == KeyCorrection()


# ---------------------------------------------------------------------------- fit_key

def test_no_pairs_are_reported_as_such():
    cal = fit_key([None, Key(0, "major")], [Key(0, "major"), None])
    assert cal.n == 0 and cal.folds == 0
    assert cal.note == "no pairs"
    assert cal.verdict == "too few" and not cal.kept


def test_too_few_pairs_say_how_many_there_are():
    keys = _keys(["C major", "A minor", "G major"])
    cal = fit_key(keys, keys)
    assert cal.note == ("too few pairs to fit (3 < 10): no correction is kept from fewer "
                        "than 10 paired songs")
    assert cal.accuracy_after == 1.0 and cal.weighted_after == 1.0


def test_a_sheet_in_one_key_read_mostly_right_tracks_and_says_why_nothing_is_kept():
    # twelve C major songs, ten read C major and two G major: weighted 11/12
    est = _keys(["C major"] * 10 + ["G major"] * 2)
    cal = fit_key(est, _keys(["C major"] * 12))
    assert cal.weighted_before == pytest.approx(11 / 12)
    # nothing is kept, so the keys as read "track" the sheet (they are not "calibrated")
    assert cal.verdict == "tracks" and not cal.kept
    assert cal.note == ("every paired song has the same reference key (C major): a "
                        "correction learned from one key would send keys to it whatever "
                        "they are; nothing kept")


def test_twenty_songs_or_more_are_split_into_ten_folds_unless_told_otherwise():
    est, ref = _g_major_heard_for_e_minor()
    assert fit_key(est, ref).folds == 10
    assert fit_key(est, ref, k=5).folds == 5


def test_the_seed_chooses_the_folds_and_so_the_held_out_scores():
    est, ref = _g_major_heard_for_e_minor()
    # seed 0 puts the four G major songs in four folds: each is fixed by a map learned
    # from the other three
    cal = fit_key(est, ref, seed=0)
    assert cal.kept and (cal.accuracy_after, cal.weighted_after) == (1.0, 1.0)
    # seed 9 puts two of them in one fold: the map needs three songs, so those two stay
    # relative-key misses (0.3 each) when held out
    cal = fit_key(est, ref, seed=9)
    assert cal.kept and cal.correction == KeyCorrection(mapping={"G major": "E minor"})
    assert cal.accuracy_after == pytest.approx(0.9)
    assert cal.weighted_after == pytest.approx(18.6 / 20)


def test_a_held_out_rise_no_larger_than_rounding_keeps_nothing(monkeypatch):
    # The scores are made to say that the held-out weighted score rose by exactly 1e-12,
    # the allowance for rounding: that is no rise, so the map is not kept.
    est, ref = _g_major_heard_for_e_minor()
    real = key_fit.key_scores
    before = real(est, ref)
    calls = []

    def scores(e, r):
        calls.append(1)
        if len(calls) == 1:
            return real(e, r)
        return real(e, r)[0], before[1] + 1e-12

    monkeypatch.setattr(key_fit, "key_scores", scores)
    cal = fit_key(est, ref)
    assert len(calls) == 2
    assert not cal.kept and cal.correction == KeyCorrection()
    assert cal.weighted_after == before[1]
    assert cal.note == "no key correction raises the cross-validated weighted score"
