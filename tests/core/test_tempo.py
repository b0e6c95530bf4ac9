"""Tempo and time signature on click tracks, generated songs, silence and noise."""

from __future__ import annotations

import numpy as np
import pytest

from benchmarks.errorcases import (
    chorale,
    compound_tune,
    four_on_the_floor,
    halftime_groove,
    sixteenth_riff,
    swing_groove,
)
from benchmarks.evalfifthrender import noise_floor
from benchmarks.evalfourthrender import wow
from benchmarks.independent_synth import render
from benchmarks.synth import click_track, noise, render_song, silence
from core.analysis.periodicity import PulseEnvelope, pulse_measures
from core.analysis.tempo import (
    _WEIGHTS,
    FEATURE_NAMES,
    TREES_TOP_BPM,
    TempoEstimate,
    candidate_table,
    chunk_tempos,
    decision_scores,
    estimate_tempo,
    fold_tempo,
)
from core.analysis.timesig import estimate_time_signature
from core.io.keynotation import Key
from tests.core.streams import features_of

SR = 22050


_features = features_of


def _song(bpm, style, seed, seconds=20.0, key=Key(0, "major")):
    y = render_song(bpm=bpm, key=key, seconds=seconds, sr=SR, seed=seed, style=style)
    return _features(y.mean(axis=1))


def _within(est, truth, tol=0.04):
    return est is not None and abs(est - truth) <= tol * truth


@pytest.mark.parametrize("bpm", [62.0, 90.0, 128.0, 174.0])
def test_click_track_tempo(bpm):
    est = estimate_tempo(_features(click_track(bpm, 15.0, SR)))
    assert _within(est.bpm, bpm, 0.01), est
    assert 0.0 <= est.confidence <= 1.0
    assert est.alternatives[0] == est.bpm
    assert any(_within(a, bpm / 2) or _within(a, bpm * 2) for a in est.alternatives)


@pytest.mark.parametrize(
    ("bpm", "style", "seed"),
    [
        (124.0, "electronic", 1),
        (176.0, "rock", 2),
        (72.0, "hiphop", 3),
        (150.0, "waltz", 4),
        (84.0, "ballad", 5),
        (100.0, "busy", 6),
    ],
)
def test_generated_song_tempo(bpm, style, seed):
    est = estimate_tempo(_song(bpm, style, seed))
    assert _within(est.bpm, bpm), (style, est)


@pytest.mark.parametrize(
    ("style", "bpm", "seed"),
    [
        ("quartet", 76.0, 5),  # drumless: once doubled
        ("pop", 100.0, 7),  # once taken at x3/2
        ("trap", 140.0, 9),  # hi-hat rolls over a half-time kick: once halved
        # Drumless, slow, even 8th-note figuration: doubled by the linear decision fitted on
        # every realistic edition, kept by the decision with trees.
        ("organ", 72.0, 2),
        ("quartet", 70.0, 4),  # drumless and slow: once taken at x3
    ],
)
def test_independent_song_keeps_its_metrical_level(style, bpm, seed):
    song = render(style, bpm=bpm, key=Key(0, "major"), seed=seed, seconds=20.0, sr=SR)
    est = estimate_tempo(_features(song.audio.mean(axis=1)))
    assert _within(est.bpm, bpm), (style, est)


def test_candidate_table_describes_every_candidate():
    fs = _features(render_song(bpm=96.0, key=Key(2, "minor"), seconds=16.0, sr=SR, seed=3,
                               style="rock").mean(axis=1))
    table = candidate_table(fs.onset_bands, fs.frame_rate, chroma=fs.chroma,
                            bass_chroma=fs.bass_chroma, pitch_rate=fs.pitch_frame_rate)
    cands = np.asarray(table["cands"])
    assert table["features"].shape == (len(cands), len(_WEIGHTS))
    assert np.all(np.isfinite(table["features"]))
    assert np.any(np.abs(cands - 96.0) <= 0.04 * 96.0)
    assert np.any(np.abs(cands - 48.0) <= 0.04 * 48.0)  # the octave alternatives are scored
    assert candidate_table(fs.onset_bands[:, :80], fs.frame_rate) is None  # too short (0.9 s)


def test_onset_envelope_array_input():
    fs = _features(click_track(100.0, 12.0, SR))
    est = estimate_tempo(fs.onset_envelope, frame_rate=fs.frame_rate)
    assert _within(est.bpm, 100.0, 0.01)


def test_silence_has_no_tempo():
    est = estimate_tempo(_features(silence(12.0, SR)))
    assert est.bpm is None and est.confidence == 0.0


@pytest.mark.parametrize(("seconds", "seed"), [(12.0, 2), (40.0, 5)])
def test_white_noise_has_no_onsets_and_no_tempo(seconds, seed):
    est = estimate_tempo(_features(noise(seconds, SR, seed=seed)))
    assert est.bpm is None


def test_signal_under_a_second_has_no_tempo():
    est = estimate_tempo(_features(click_track(240.0, 0.9, SR)))
    assert est.bpm is None


@pytest.mark.parametrize(("bpm", "seed"), [(84.0, 1), (128.0, 2), (174.0, 3)])
def test_one_bar_loop_has_its_tempo(bpm, seed):
    """A loop of a single 4/4 bar (1.4-2.9 s) is read like a long song, not left blank."""
    y = render_song(bpm=bpm, key=Key(seed, "minor"), seconds=12.0, sr=SR, seed=seed)
    est = estimate_tempo(_features(y.mean(axis=1)[: int(SR * 4 * 60.0 / bpm)]))
    assert _within(est.bpm, bpm), est


@pytest.mark.parametrize("seconds", [1.2, 1.5, 2.0, 3.0])
def test_short_white_noise_has_no_tempo(seconds):
    """The top of a short noise's onset envelope stands out more than a long one's (up to 3x
    its median at 2 s); a frame or two above the floor is still no pulse."""
    for seed in range(8):
        assert estimate_tempo(_features(noise(seconds, SR, seed=seed))).bpm is None


def test_constant_signal_has_no_tempo():
    """A constant (DC) signal's one click at its start is no pulse (and no crash)."""
    assert estimate_tempo(_features(np.full(10 * SR, 0.9))).bpm is None


@pytest.mark.parametrize("hz", [440.0, 1000.0])
def test_a_steady_test_tone_has_no_tempo(hz):
    """A calibration tone's onset envelope is zero but for its start and rounding errors.
    (A 50 Hz tone's flux beats with the frames, 1/5 of its start: steady sounds are told
    apart before the tempo is read, see tests/core/test_analyze.py.)"""
    t = np.arange(10 * SR) / SR
    assert estimate_tempo(_features(0.5 * np.sin(2 * np.pi * hz * t))).bpm is None


@pytest.mark.parametrize("decay", [0.3, 0.8])
def test_a_lone_cymbal_crash_has_no_tempo(decay):
    """The flickers of a crash's decaying noise are not onsets of their own."""
    t = np.arange(int(2.3 * SR)) / SR
    y = np.zeros(int(2.5 * SR))
    y[SR // 10 : SR // 10 + len(t)] = (0.3 * np.exp(-t / decay)
                                       * np.random.default_rng(0).standard_normal(len(t)))
    assert estimate_tempo(_features(y)).bpm is None


def test_chunk_tempos_exist_for_each_chunk():
    y = render_song(bpm=118.0, key=Key(7, "major"), seconds=24.0, sr=SR, seed=8, style="rock")
    fs = _features(y.mean(axis=1), chunk_s=8.0)
    tempos = chunk_tempos(fs)
    assert len(tempos) == 3
    assert all(isinstance(t, TempoEstimate) and _within(t.bpm, 118.0) for t in tempos)


def test_chunk_tempos_follow_the_song_level():
    y = render_song(bpm=172.0, key=Key(9, "minor"), seconds=30.0, sr=SR, seed=9, style="rock")
    fs = _features(y.mean(axis=1), chunk_s=10.0)
    song = estimate_tempo(fs)
    assert _within(song.bpm, 172.0)
    assert all(_within(t.bpm, song.bpm, 0.01) for t in chunk_tempos(fs, song=song))


def test_chunk_tempos_see_a_tempo_change():
    slow = click_track(80.0, 12.0, SR)
    fast = click_track(131.0, 12.0, SR)
    fs = _features(np.concatenate([slow, fast]), chunk_s=12.0)
    song = estimate_tempo(fs)  # over the whole splice
    assert _within(song.bpm, 80.0) or _within(song.bpm, 131.0), song
    first, second = chunk_tempos(fs, song=song)
    assert _within(first.bpm, 80.0) and _within(second.bpm, 131.0), (first, second)


def test_a_later_and_longer_section_sets_the_song_tempo():
    fs = _features(np.concatenate([click_track(80.0, 12.0, SR), click_track(131.0, 24.0, SR)]),
                   chunk_s=12.0)
    song = estimate_tempo(fs)
    assert _within(song.bpm, 131.0), song
    assert [_within(t.bpm, b) for t, b in zip(chunk_tempos(fs, song=song), (80, 131, 131),
                                              strict=True)] == [True] * 3


def test_halftime_groove_is_stated_at_the_full_tempo():
    # Kick on 1 and snare on 3 of 150 BPM sound like 75; the hats keep 150 (dance convention).
    est = estimate_tempo(_features(halftime_groove(150.0, seed=1)))
    assert _within(est.bpm, 150.0), est
    assert not est.weak


def test_fast_four_on_the_floor_is_not_halved():
    est = estimate_tempo(_features(four_on_the_floor(185.0, seed=2)))
    assert _within(est.bpm, 185.0), est


@pytest.mark.parametrize(("style", "bpm", "seed"), [("waltz", 150.0, 3), ("busy", 92.0, 1)])
def test_a_swaying_tempo_keeps_its_metrical_level(style, bpm, seed):
    # The speed swings by 3 % over 12 s (tape wow), as a band's tempo sways: a pulse comb
    # over 12 s windows slipped off the beat and the decision fell to another level
    # (the waltz to 75, the busy song to 184).
    y = render_song(bpm=bpm, key=Key(9, "minor"), seconds=36.0, sr=SR, seed=seed, style=style)
    est = estimate_tempo(_features(wow(y, SR, pct=3.0, hz=1 / 12).mean(axis=1)))
    assert _within(est.bpm, bpm), est


@pytest.mark.parametrize(("hits", "bpm"), [((0, 5, 14), 140.0), ((0, 7), 128.0),
                                         ((0, 5, 12, 14), 128.0)])
def test_a_riff_on_odd_sixteenths_keeps_an_octave_of_its_beat(hits, bpm):
    # Notes 5, 7 or 9 sixteenths apart: no periodicity peak in the tempo range is the beat
    # (these were read at 0.89, 0.57 and 0.44 of it); the bar is, and seeds a candidate.
    est = estimate_tempo(_features(sixteenth_riff(bpm, hits=hits, seed=1)))
    assert any(_within(est.bpm, bpm * f) for f in (0.5, 1.0, 2.0)), est


@pytest.mark.xfail(strict=True, reason="open error class (issue 9): a drumless riff of dotted "
                   "eighths is read at about 0.63 of its beat, as three of LMMS's techno loops")
@pytest.mark.parametrize("bpm", [125.0, 138.0])
def test_a_drumless_sixteenth_riff_keeps_an_octave_of_its_beat(bpm):
    est = estimate_tempo(_features(sixteenth_riff(bpm, seed=2)))
    assert any(_within(est.bpm, bpm * f) for f in (0.5, 1.0, 2.0)), est


def test_drumless_chorale_gets_a_tempo_and_a_confidence():
    est = estimate_tempo(_features(chorale(Key(7, "major"), bpm=66.0, seed=3)))
    assert _within(est.bpm, 66.0), est
    assert 0.0 < est.confidence <= 1.0


@pytest.mark.parametrize("seed", [3, 4, 5])
def test_chorale_under_loud_hiss_gets_a_weak_tempo(seed):
    """Hiss 7 dB below a legato chorale lifts the onset envelope's floor until its peaks
    stand barely twice over it (a distant or noisy recording): the beat is still periodic,
    so it is given, flagged weak."""
    y = chorale(Key(7, "major"), bpm=66.0, seed=seed)
    noisy = noise_floor(y[:, None].astype(np.float64), SR, kind="hiss", db=7.0, seed=seed)
    est = estimate_tempo(_features(noisy[:, 0].astype(np.float32)))
    assert _within(est.bpm, 66.0), est
    assert est.weak, est


@pytest.mark.parametrize("seconds", [8.0, 15.0, 30.0, 60.0])
def test_pink_noise_has_no_tempo(seconds):
    """Pink noise's envelope peaks stand as far over its floor as a noisy chorale's, but do
    not repeat: no tempo."""
    for seed in range(4):
        z = noise_floor(np.full((int(seconds * SR), 1), 1e-3), SR, kind="hiss", db=-60.0,
                        seed=seed)[:, 0]
        est = estimate_tempo(_features((0.1 * z / np.std(z)).astype(np.float32)))
        assert est.bpm is None, (seed, est)


@pytest.mark.parametrize("bpm", [90.0, 150.0])
def test_three_onsets_give_a_tempo_flagged_weak_and_four_a_steady_one(bpm):
    """Three hits (a one-shot's hit and bounces, a till's clicks) space two intervals: their
    tempo is given but flagged a guess; a fourth makes it a pulse."""
    beat = 60.0 / bpm
    three = estimate_tempo(_features(click_track(bpm, 3 * beat + 0.3, SR)))
    four = estimate_tempo(_features(click_track(bpm, 4 * beat + 0.3, SR)))
    assert _within(three.bpm, bpm) and three.weak, three
    assert _within(four.bpm, bpm) and not four.weak, four


def test_onsets_without_a_pulse_get_a_flagged_tempo():
    # Notes at random times: there are onsets, so a tempo is given, flagged as a weak pulse.
    rng = np.random.default_rng(4)
    y = np.zeros(int(20.0 * SR), dtype=np.float32)
    t = np.arange(int(0.3 * SR)) / SR
    for start in np.sort(rng.uniform(0, 19.5, 40)):
        i = int(start * SR)
        f = 220.0 * 2 ** (int(rng.integers(0, 12)) / 12)
        y[i : i + len(t)] += (np.sin(2 * np.pi * f * t) * np.exp(-t / 0.08)).astype(np.float32)
    est = estimate_tempo(_features(y))
    assert est.bpm is not None and est.weak, est


def _tremolo(seconds: float, depth: float, cut: str) -> np.ndarray:
    """A 440 Hz tone swelling twice a second (its level dips by ``depth``), faded in and out
    over 0.5 s but at the ends ``cut`` names ("start", "end", "both"), which stop at full
    level."""
    t = np.arange(int(seconds * SR)) / SR
    y = (1 - 0.5 * depth * (1 + np.sin(2 * np.pi * 2.0 * t))) * np.sin(2 * np.pi * 440.0 * t)
    if cut not in ("start", "both"):
        y *= np.minimum(1.0, t / 0.5)
    if cut not in ("end", "both"):
        y *= np.minimum(1.0, (seconds - t) / 0.5)
    return (0.5 * y).astype(np.float32)


@pytest.mark.parametrize("seconds", [20.0, 12.0])
@pytest.mark.parametrize("depth", [0.5, 0.2])
@pytest.mark.parametrize("cut", ["end", "start", "both"])
def test_a_tremolo_cut_off_at_full_level_keeps_its_tempo(cut, depth, seconds):
    """A tone that stops at full level clicks in the last frames, whose windows run past its
    end: 30-200 times its swells.  That click set the scale onsets are counted on, and a
    2 Hz tremolo cut at its end had too few onsets for a tempo, while faded out it read
    120.3 BPM.  (A file of 16 s or more has the ends without a pulse left out besides; one
    under 16 s is read whole, click and all.)"""
    est = estimate_tempo(_features(_tremolo(seconds, depth, cut)))
    assert _within(est.bpm, 120.0, 0.01) and not est.weak, est
    assert est.confidence > 0.5, est


@pytest.mark.parametrize(("style", "bpm", "seed"), [
    ("ballad", 84.0, 1), ("rock", 120.0, 2), ("waltz", 150.0, 3), ("hiphop", 72.0, 4),
])
def test_a_song_cut_mid_note_at_both_ends_keeps_its_tempo(style, bpm, seed):
    """An excerpt of a song, cut off mid-note at both ends, reads as the song does; so does
    its chunk at the cut end."""
    y = render_song(bpm=bpm, key=Key(2, "minor"), seconds=30.0, sr=SR, seed=seed,
                    style=style).mean(axis=1)
    fs = _features(y[int(3.37 * SR):int(26.71 * SR)], chunk_s=8.0)
    song = estimate_tempo(fs)
    assert _within(song.bpm, bpm), song
    assert _within(chunk_tempos(fs, song=song)[-1].bpm, bpm), song


def test_silent_chunk_has_no_tempo():
    y = np.concatenate([click_track(100.0, 10.0, SR), silence(10.0, SR)])
    fs = _features(y, chunk_s=10.0)
    first, second = chunk_tempos(fs, song=estimate_tempo(fs))
    assert _within(first.bpm, 100.0) and second.bpm is None


def test_missing_frame_rate_is_rejected():
    with pytest.raises(ValueError, match="frame_rate"):
        estimate_tempo(np.ones(1000))


def test_bad_bpm_range_is_rejected():
    fs = _features(click_track(100.0, 6.0, SR))
    with pytest.raises(ValueError, match="min_bpm"):
        estimate_tempo(fs, min_bpm=200.0, max_bpm=100.0)


@pytest.mark.parametrize(("style", "bpm", "meter"), [("waltz", 96.0, 3), ("waltz", 140.0, 3),
                                                     ("rock", 110.0, 4), ("electronic", 126.0, 4)])
def test_time_signature(style, bpm, meter):
    fs = _song(bpm, style, seed=11)
    assert estimate_time_signature(fs, estimate_tempo(fs)) == meter


def test_time_signature_needs_a_tempo():
    fs = _features(silence(6.0, SR))
    assert estimate_time_signature(fs, estimate_tempo(fs)) is None
    assert estimate_time_signature(fs, None) is None


def test_prepared_pulse_envelope_measures_like_the_raw_envelope():
    fr = 86.0
    env = np.zeros(int(40 * fr))
    env[:: int(fr / 2)] = 1.0  # a pulse every half second (120 BPM)
    env += np.random.default_rng(3).uniform(0, 0.2, env.size)
    prepared = PulseEnvelope(env)
    for period in (fr / 2, fr / 4, fr):
        assert pulse_measures(prepared, period, fr) == pulse_measures(env, period, fr)
    sal, alt, fill = pulse_measures(prepared, fr / 2, fr)
    sal_fast, alt_fast, _ = pulse_measures(prepared, fr / 4, fr)
    # The true beat: every pulse accented alike and filled; at twice its rate every other
    # pulse is empty.
    assert sal > sal_fast and alt > 0.9 and fill > 0.9 and alt_fast < 0.5


def test_the_bpm_range_is_honoured():
    # A 56 BPM rock groove is read at its double by default (below); asked for 40-100 BPM,
    # it is stated at 56, asked for 120-240 at 224, and no alternative falls outside the
    # range asked for.
    fs = _song(56.0, "rock", 1)
    assert _within(estimate_tempo(fs).bpm, 112.0)
    for lo, hi, want in ((40.0, 100.0, 56.0), (120.0, 240.0, 224.0)):
        est = estimate_tempo(fs, min_bpm=lo, max_bpm=hi)
        assert _within(est.bpm, want), est
        assert all(lo <= a <= hi for a in est.alternatives), est.alternatives


@pytest.mark.xfail(strict=True, reason="open error class (issue 9): since the decision fitted "
                   "with compound-metre tunes comped in threes, a rock groove at 56 BPM is read "
                   "at its double")
def test_a_slow_rock_groove_is_read_at_its_beat():
    assert _within(estimate_tempo(_song(56.0, "rock", 1)).bpm, 56.0)



@pytest.mark.parametrize("bpm", [190.0, 200.0, 210.0, 225.0])
def test_four_on_the_floor_above_200_is_not_halved(bpm):
    est = estimate_tempo(_features(four_on_the_floor(bpm, seed=1)))
    assert _within(est.bpm, bpm), est


class _FixedTrees:
    """Trees that give each candidate a fixed score."""

    def __init__(self, scores):
        self.scores = np.asarray(scores, dtype=float)

    def predict(self, _inputs):
        return self.scores


def _table(bpms):
    """Candidate features whose only non-zero column is the log2 tempo."""
    feats = np.zeros((len(bpms), len(FEATURE_NAMES)))
    feats[:, FEATURE_NAMES.index("log2 tempo")] = np.log2(np.asarray(bpms) / 120.0)
    return feats


def test_above_the_top_tempo_the_trees_leave_the_octave_to_the_linear_term():
    weights = np.zeros(len(FEATURE_NAMES))
    trees = _FixedTrees([2.0, -3.0, -1.0])
    # 190 (above TREES_TOP_BPM) takes the score of 96, its half within 4 %; 130 keeps its own
    got = decision_scores(_table([96.0, 190.0, 130.0]), weights, trees, share=1.0)
    assert TREES_TOP_BPM < 190.0
    np.testing.assert_allclose(got, [2.0, 2.0, -1.0])
    # below the top, or without a candidate at half the tempo, the trees keep their say
    got = decision_scores(_table([90.0, 180.0, 205.0]), weights, trees, share=1.0)
    np.testing.assert_allclose(got, [2.0, -3.0, -1.0])
    # the linear term is blended in unchanged
    weights[FEATURE_NAMES.index("log2 tempo")] = 1.0
    got = decision_scores(_table([96.0, 190.0]), weights, _FixedTrees([2.0, -3.0]), share=0.5)
    np.testing.assert_allclose(got, [0.5 * np.log2(0.8) + 1.0, 0.5 * np.log2(190 / 120) + 1.0])


@pytest.mark.xfail(strict=True, reason="open error class (issue 9): a half-time groove from about "
                   "165 BPM on is read at half, as in the half-time grooves of FreePats renders")
def test_fast_halftime_groove_is_stated_at_the_full_tempo():
    est = estimate_tempo(_features(halftime_groove(172.0, seed=1)))
    assert _within(est.bpm, 172.0), est


@pytest.mark.parametrize("bpm", [100.0, 115.0, 125.0])
def test_a_swing_groove_is_read_at_its_walking_bass(bpm):
    # The ride and the hi-hat foot accent 2 and 4; the walking bass plays every beat.
    est = estimate_tempo(_features(swing_groove(bpm, seed=1)))
    assert _within(est.bpm, bpm), est


@pytest.mark.parametrize("bpm", [
    150.0,
    pytest.param(170.0, marks=pytest.mark.xfail(
        strict=True, reason="open error class (issue 9): a swing groove from about 160 BPM on "
                            "is read at half, as MMA's swing and jazz grooves at 108-190 BPM in "
                            "the next sources (Essentia halves it from 150, librosa always)")),
])
def test_a_fast_swing_groove_is_read_at_its_walking_bass(bpm):
    est = estimate_tempo(_features(swing_groove(bpm, seed=1)))
    assert _within(est.bpm, bpm), est


@pytest.mark.parametrize("bpm", [
    pytest.param(48.0, marks=pytest.mark.xfail(
        strict=True, reason="open error class (issue 9): a 6/8 tune at 48 dotted quarters a "
                            "minute is read at its eighths (x3), as the seventh edition's slow "
                            "12/8 blues")),
    56.0, 66.0, 76.0, 88.0,
])
@pytest.mark.parametrize("seed", [0, 1])
def test_a_drumless_tune_in_six_eight_is_read_at_its_dotted_beat(bpm, seed):
    # Comped in eighths, three to the beat, as players comp it: the beat is the dotted
    # quarter, not two eighths (x3/2) nor one (x3).
    est = estimate_tempo(_features(compound_tune(bpm, seed=seed)))
    assert _within(est.bpm, bpm), est


# -- a stated tempo range ------------------------------------------------------------------

def test_folding_moves_a_tempo_by_octaves_into_its_range():
    assert fold_tempo(86.0, 88.0) == pytest.approx(172.0)
    assert fold_tempo(43.0, 88.0) == pytest.approx(172.0)
    assert fold_tempo(200.0, 88.0) == pytest.approx(100.0)
    assert fold_tempo(88.0, 88.0) == pytest.approx(88.0)
    assert fold_tempo(176.0, 88.0) == pytest.approx(88.0)  # the top is the next octave's floor
    assert fold_tempo(130.0, 88.0) == pytest.approx(130.0)
    # the octave is chosen by the tempo as it reads, to 0.1 BPM
    assert fold_tempo(87.99, 88.0) == pytest.approx(87.99)
    assert fold_tempo(175.98, 88.0) == pytest.approx(87.99)
    assert fold_tempo(175.9, 88.0) == pytest.approx(175.9)


@pytest.mark.parametrize("bpm", [165.0, 172.0])
def test_a_range_states_a_fast_halftime_groove_at_its_full_tempo(bpm):
    # Read alone, these are stated at half (the xfail above); in 88-175 the same evidence,
    # its octaves taken as one reading, is stated at the full tempo, confidently.
    fs = _features(halftime_groove(bpm, seed=1))
    alone = estimate_tempo(fs)
    ranged = estimate_tempo(fs, floor_bpm=88.0)
    assert _within(ranged.bpm, bpm), ranged
    assert ranged.confidence >= alone.confidence and not ranged.weak
    assert all(fold_tempo(b, 88.0) == pytest.approx(b) for b in ranged.alternatives), ranged
    # no two alternatives are octaves of each other
    octaves = [np.log2(b) % 1.0 for b in ranged.alternatives]
    gaps = np.abs(np.subtract.outer(octaves, octaves))
    assert np.all(np.minimum(gaps, 1.0 - gaps)[~np.eye(len(octaves), dtype=bool)] > 0.05)


def test_a_range_moves_a_slow_chorale_up_with_its_confidence():
    fs = _features(chorale(Key(7, "major"), bpm=66.0, seed=3))
    alone = estimate_tempo(fs)
    ranged = estimate_tempo(fs, floor_bpm=88.0)
    assert _within(ranged.bpm, 132.0), ranged
    # its pulse is measured at the beat the evidence found, not at the eighth it is moved to
    assert ranged.periodicity == pytest.approx(alone.periodicity, rel=0.05)
    assert ranged.confidence == pytest.approx(alone.confidence, abs=0.02) and not ranged.weak
    assert _within(estimate_tempo(fs, floor_bpm=60.0).bpm, 66.0)


def test_a_range_above_200_keeps_a_fast_four_on_the_floor():
    fs = _features(four_on_the_floor(225.0, seed=1))
    assert _within(estimate_tempo(fs, floor_bpm=120.0).bpm, 225.0)
    assert _within(estimate_tempo(fs, floor_bpm=88.0).bpm, 112.5)


def test_a_range_keeps_readings_that_are_no_octave_apart():
    # A triple-metre waltz at 150 is no octave of 100 (its bar rate x2): a range moves the
    # tempo by octaves only, never to another reading.
    y = render_song(bpm=150.0, key=Key(2, "major"), seconds=20.0, sr=SR, seed=2, style="waltz")
    fs = _features(y.mean(axis=1))
    alone = estimate_tempo(fs)
    for floor in (60.0, 88.0, 110.0):
        ranged = estimate_tempo(fs, floor_bpm=floor)
        assert _within(ranged.bpm, fold_tempo(alone.bpm, floor), 0.02), (floor, ranged)


def test_chunk_tempos_stay_in_the_range():
    y = render_song(bpm=172.0, key=Key(9, "minor"), seconds=30.0, sr=SR, seed=9, style="rock")
    fs = _features(y.mean(axis=1), chunk_s=10.0)
    song = estimate_tempo(fs, floor_bpm=60.0)
    assert _within(song.bpm, 86.0), song
    chunks = chunk_tempos(fs, song=song, floor_bpm=60.0)
    assert all(_within(t.bpm, 86.0, 0.01) and 60.0 <= t.bpm < 120.0 for t in chunks), chunks


@pytest.mark.parametrize("first, second", [(87.6, 88.4), (88.4, 87.6)])
def test_chunks_of_a_song_at_the_edge_of_the_range_stay_in_its_octave(first, second):
    # A song drifting across 88 BPM, in the range 88-175: the song is stated at one side
    # of the edge, and every chunk beside it, not an octave away.
    fs = _features(np.concatenate([click_track(first, 12.0, SR),
                                   click_track(second, 12.0, SR)]), chunk_s=12.0)
    song = estimate_tempo(fs, floor_bpm=88.0)
    assert _within(song.bpm, 88.0, 0.01) or _within(song.bpm, 176.0, 0.01), song
    chunks = chunk_tempos(fs, song=song, floor_bpm=88.0)
    octave = song.bpm / 88.0
    assert [round(t.bpm / octave, 1) for t in chunks] == pytest.approx([first, second], abs=0.2)


def test_a_bad_floor_is_refused():
    fs = _features(click_track(120.0, 4.0, SR))
    with pytest.raises(ValueError, match="floor_bpm"):
        estimate_tempo(fs, floor_bpm=5.0)


def test_the_choice_adds_up_one_tempos_candidates_and_in_a_range_its_octaves():
    from core.analysis.tempo import choose_tempo

    logits = np.log([0.35, 0.4, 0.25])
    prob, near, mass, top = choose_tempo(logits, [120.0, 60.0, 121.5])
    assert prob == pytest.approx([0.35, 0.4, 0.25])
    assert top == 0 and mass == pytest.approx([0.6, 0.4, 0.6])  # 120 and 121.5 are one
    assert near.tolist() == [[True, False, True], [False, True, False], [True, False, True]]
    # in a stated range 60 and 120 are one reading: the likeliest candidate of it is taken
    _, near, mass, top = choose_tempo(logits, [120.0, 60.0, 121.5], floor=88.0)
    assert top == 1 and mass == pytest.approx([1.0, 1.0, 1.0]) and near.all()
