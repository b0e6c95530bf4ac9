"""The parts a tempo is read with, each held to what it says it does: the periodicity
measures, the onsets, the seeds and the evidence of each candidate, the decision's figures,
and a chunk's tempo that follows the song's.  Mostly on onset envelopes built by hand and on
click tracks (each test well under a second)."""

from __future__ import annotations

import numpy as np
import pytest

from benchmarks.errorcases import chorale
from benchmarks.synth import click_track, render_song
from core.analysis import periodicity as per
from core.analysis import tempo
from core.analysis.beatevidence import _harmony_acf, _mass, _onset_rate, _steadiness, candidate_bpm
from core.analysis.tempo import (
    FEATURE_NAMES,
    MAX_BPM,
    MIN_BPM,
    candidate_table,
    chunk_tempos,
    clear_onsets,
    estimate_tempo,
    fold_tempo,
    interval_guess,
    trees_from_json,
)
from core.io.keynotation import Key
from tests.core.streams import features_of

SR = 22050
FR = 100.0  # frames per second of the envelopes built by hand
#: Onset frames per second of a stream at :data:`SR` (bands built by hand at the analyzer's rate).
STREAM_FR = features_of(np.zeros(SR)).frame_rate


def _clicks(bpm: float, seconds: float, *, fr: float = FR, height: float = 1.0,
            base: float = 0.0) -> np.ndarray:
    """An onset envelope: a one-frame peak of ``height`` on each beat over ``base``."""
    env = np.full(int(round(seconds * fr)), base)
    env[np.round(np.arange(0.0, seconds, 60.0 / bpm) * fr).astype(int)] += height
    return env


def _onset_periodicity(env: np.ndarray) -> np.ndarray:
    """The periodicity of all onsets, as a tempo reads it, of ``env`` in every band."""
    return per.periodicity(per.prepare_bands(np.tile(env, (3, 1)), FR).sum(axis=0), FR)


def _floor_peaks() -> np.ndarray:
    """A floor of 1, 13 peaks at 5 and 4 at exactly 2.2 times the median."""
    env = np.ones(1000)
    env[np.arange(20, 1000, 80)] = 5.0
    env[np.arange(60, 380, 80)] = 2.2
    return env


def _table(fs):
    bands, fr = tempo._bands_of(fs, None)
    return candidate_table(bands, fr, chroma=fs.chroma, bass_chroma=fs.bass_chroma,
                           pitch_rate=fs.pitch_frame_rate), bands, fr


@pytest.fixture(scope="module")
def clicks_117():
    """A metronome at 117.3 BPM (its clicks fall in the mid band alone), its stream and
    candidate table."""
    fs = features_of(click_track(117.3, 12.0, SR))
    table, bands, fr = _table(fs)
    return fs, table, bands, fr


@pytest.fixture(scope="module")
def chorale_66():
    """A drumless chorale, one chord a beat at 66 BPM: its harmony's changes weigh in the
    decision."""
    return features_of(chorale(bpm=66.0, seconds=20.0, sr=SR, seed=2))


# -- periodicity measures -------------------------------------------------------------------

def test_a_local_maximum_is_the_largest_within_50_ms_either_side():
    env = np.zeros(60)
    env[20], env[25] = 0.9, 1.0  # 50 ms apart at 100 frames a second: 20 is no maximum
    env[40], env[46] = 1.0, 0.9  # 60 ms apart: both are
    peaks = np.flatnonzero(per.local_maxima(env, 100.0) & (env > 0))
    assert peaks.tolist() == [25, 40, 46]
    assert np.flatnonzero(per.local_maxima(env, 100.0, width_s=0.02) & (env > 0)).tolist() \
        == [20, 25, 40, 46]


def test_windows_overlap_by_two_thirds_and_the_last_ends_with_the_signal():
    assert per._window_starts(100, 30).tolist() == [0, 10, 20, 30, 40, 50, 60, 70]
    assert per._window_starts(105, 30).tolist() == [0, 10, 20, 30, 40, 50, 60, 70, 75]
    assert per._window_starts(99, 30).tolist() == [0, 10, 20, 30, 40, 50, 60, 69]
    assert per._window_starts(20, 30).tolist() == [0]


def test_the_periodicity_is_the_same_at_any_level():
    env = _clicks(120.0, 30.0) + np.random.default_rng(1).random(3000) * 0.3
    env[1500:] *= 0.2  # a quieter second half weighs less, at any level
    full = per.periodicity(env, FR)
    for scale in (1e-4, 1e3):
        assert per.periodicity(env * scale, FR) == pytest.approx(full, abs=1e-9)


def test_a_long_steady_pulse_reads_as_a_short_one():
    short = per.periodicity(_clicks(120.0, 30.0), FR)
    long = per.periodicity(_clicks(120.0, 200.0), FR)  # more windows than one batch holds
    assert long[50] == pytest.approx(short[50], abs=0.02)
    assert long[50] <= 1.0


def test_silence_has_no_periodicity_and_a_short_signal_the_full_length():
    assert per.periodicity(np.zeros(3000), FR).tolist() == [0.0] * 450
    acf = per.periodicity(_clicks(120.0, 1.5), FR)  # shorter than the lags read
    assert acf.shape == (450,) and np.isfinite(acf).all()
    assert acf[50] > 0.3 and not acf[200:].any()


def test_the_median_of_each_row():
    x = np.random.default_rng(3).random((50, 8))
    assert per._row_medians(x) == pytest.approx(np.median(x, axis=1))
    assert per._row_medians(x[:, :7]) == pytest.approx(np.median(x[:, :7], axis=1))


def test_the_lag_histogram_reads_each_windows_best_lag_within_the_range():
    windows = np.zeros((1, 300))
    windows[0, 10] = 1.0  # 600 BPM, outside the range
    windows[0, 50] = 0.4  # 120 BPM
    hist = per.lag_histogram(windows, FR)
    assert hist[45:56].sum() == pytest.approx(1.0) and hist[:20].sum() == 0.0


def test_the_lag_histogram_spreads_a_lag_over_one_percent_of_it():
    windows = np.zeros((1, 300))
    windows[0, 200] = 1.0
    hist = per.lag_histogram(windows, FR, min_bpm=20.0)
    assert hist[202] / hist[200] == pytest.approx(np.exp(-0.5))  # sigma: 2 frames at 200
    assert hist[199] == pytest.approx(hist[201])


def test_a_range_of_one_whole_lag_has_an_empty_lag_histogram():
    # 100 BPM at 100 frames a second is a lag of exactly 60: no lag lies inside the range
    windows = np.random.default_rng(0).random((5, 300))
    assert not per.lag_histogram(windows, FR, min_bpm=100.0, max_bpm=100.0).any()
    assert per.lag_histogram(windows, FR, min_bpm=99.0, max_bpm=101.0).sum() == pytest.approx(1.0)


def test_the_prepared_bands_are_float64_whatever_they_came_as():
    bands = np.tile(_clicks(120.0, 5.0), (3, 1))
    single = per.prepare_bands(bands.astype(np.float32), FR)
    assert single.dtype == np.float64
    np.testing.assert_array_equal(single, per.prepare_bands(bands, FR))


def test_a_signal_no_longer_than_two_ends_keeps_its_end():
    for n in (per.END_FRAMES, 2 * per.END_FRAMES):
        bands = np.ones((3, n))
        bands[:, -1] = 50.0
        assert per.tame_end(bands) is bands


def test_taming_the_end_leaves_the_bands_it_was_given_as_they_were():
    bands = np.tile(_clicks(120.0, 10.0), (3, 1))
    bands[:, -per.END_FRAMES:] = 50.0  # a cut at full level
    before = bands.copy()
    tamed = per.tame_end(bands)
    assert tamed[:, -per.END_FRAMES:].max() < 1.0
    np.testing.assert_array_equal(bands, before)


def test_the_pulse_windows_reach_the_end_of_the_signal():
    env = np.zeros(1200)  # 12 s: windows of 8 s at 0 and at 4 s
    env[np.arange(850, 1200, 50)] = 1.0  # clicks in the last 3.5 s only
    salience, _alternation, fill = per.pulse_measures(env, 50.0, FR)
    assert salience > 2.0 and fill > 0.2


def test_loud_windows_weigh_more_than_quiet_ones():
    # clicks at 120 (a lag of 50 frames) for 12 s, then quiet clicks at 75 (80 frames)
    alike = per.periodicity(np.concatenate([_clicks(120.0, 12.0), _clicks(75.0, 12.0)]), FR)
    assert alike[50] > 0.2 and alike[80] > 0.1
    env = np.concatenate([_clicks(120.0, 12.0), _clicks(75.0, 12.0, height=0.01)])
    acf = per.periodicity(env, FR)
    assert acf[50] > 1.5 * alike[50] and acf[80] < 0.02  # the loud pulse, hardly the quiet


def test_a_silent_window_has_no_periodicity_of_its_own():
    env = np.concatenate([np.zeros(1800), _clicks(120.0, 12.0)])
    _, windows = per.periodicity(env, FR, windows=True)
    assert not windows[0].any()  # 0-12 s: silence
    assert windows[-1][50] > 0.3  # (the window's triangle left in)


def test_the_windows_returned_are_the_first_envelopes():
    a, b = _clicks(120.0, 20.0), _clicks(90.0, 20.0)
    _, alone = per.periodicity(a, FR, windows=True)
    _, both = per.periodicity(np.stack([a, b]), FR, windows=True)
    assert both == pytest.approx(alone)


def test_a_vertex_lies_within_half_a_sample_and_an_end_counts_itself_as_its_neighbour():
    y = np.array([1.0, 0.5, 0.2, 0.9])
    # at the start: the parabola through (1, 1, 0.5) peaks half a sample before it
    assert per.vertex_offsets(y, [0]).tolist() == [-0.5]
    y = np.array([0.2, 0.5, 1.0])
    assert per.vertex_offsets(y, [2]).tolist() == [0.5]
    # a point on a steep slope bends down a little: its vertex is far off, held to half
    assert per.vertex_offsets(np.array([1.9, 1.0, 0.0]), [1]).tolist() == [-0.5]
    assert per.vertex_offsets(np.array([0.0, 1.0, 1.9]), [1]).tolist() == [0.5]
    # a symmetric peak: the vertex is the point
    assert per.vertex_offsets(np.array([0.5, 1.0, 0.5]), [1]).tolist() == [0.0]
    # no bend down (a straight line, a trough): 0
    line = np.array([0.0, 1.0, 2.0, 3.0, 2.0, 3.0])
    assert per.vertex_offsets(line, [1, 2, 4]).tolist() == [0.0, 0.0, 0.0]


def test_a_steady_envelope_has_pulses_that_carry_no_onset():
    salience, alternation, fill = per.pulse_measures(np.full(2000, 0.5), 50.0, FR)
    assert (salience, alternation, fill) == (1.0, 1.0, 0.0)
    salience, alternation, fill = per.pulse_measures(_clicks(120.0, 20.0), 50.0, FR)
    assert fill == 1.0 and alternation == 1.0 and salience > 10.0
    # every other pulse filled: the level twice as fast as the clicks
    salience, alternation, fill = per.pulse_measures(_clicks(120.0, 20.0), 25.0, FR)
    assert fill == pytest.approx(0.5, abs=0.05) and alternation == 0.0


def test_a_short_envelope_is_measured_on_two_pulses_at_least():
    # 2 s with an onset at 0 and 1.5 s: a pulse of 1.5 s fits twice, both pulses filled
    env = np.zeros(200)
    env[[0, 150]] = 1.0
    assert per.pulse_measures(env, 150.0, FR)[2] == 1.0
    # the same pulse a little later, its second onset in the envelope's last frame
    env = np.zeros(200)
    env[[49, 199]] = 1.0
    assert per.pulse_measures(env, 150.0, FR)[2] == 1.0
    # onsets 1.36 s apart fill one pulse of 1.5 s, not two, though the second sits near the
    # end that a pulse past the envelope is read at
    env = np.zeros(200)
    env[[60, 196]] = 1.0
    assert per.pulse_measures(env, 150.0, FR)[2] == 0.5


def test_the_periodicitys_last_lag_is_no_beat():
    # a range reaching past the periodicity's 3 s: its last lag, cut off where it may still
    # rise, is no window's best lag
    windows = np.zeros((1, 300))
    windows[0, 299] = 1.0
    windows[0, 100] = 0.5
    hist = per.lag_histogram(windows, FR, min_bpm=10.0)
    assert hist[95:106].sum() == pytest.approx(1.0) and hist[290:].sum() == 0.0


def test_the_lag_histogram_weighs_each_window_by_its_peak():
    windows = np.zeros((2, 300))
    windows[0, 50] = 0.8  # one window beats at 120 BPM (100 frames a second)
    windows[1, 80] = 0.2  # a weaker one at 75
    hist = per.lag_histogram(windows, FR)
    assert hist.sum() == pytest.approx(1.0)
    assert hist[45:56].sum() == pytest.approx(0.8, abs=0.01)
    assert hist[75:86].sum() == pytest.approx(0.2, abs=0.01)


def test_the_share_of_the_histogram_near_a_lag_stays_within_4_percent():
    hist = np.zeros(40)
    hist[22] = 1.0  # 10 % above a lag of 20
    assert _mass(hist, 20.0) == 0.0
    hist[21] = 1.0  # a bin whose span reaches within 4 %
    assert _mass(hist, 20.0) == 1.0
    assert _mass(hist, 50.0) == 0.0  # past the histogram's end


# -- onsets ---------------------------------------------------------------------------------

def test_clear_onsets_of_a_silent_or_empty_envelope_are_none():
    silent = clear_onsets(np.zeros(50), FR)
    assert silent.dtype == bool and not silent.any() and silent.shape == (50,)
    assert clear_onsets(np.zeros(0), FR).shape == (0,)


def test_clear_onsets_are_found_at_any_level():
    env = _clicks(120.0, 6.0)
    at = np.flatnonzero(clear_onsets(env, FR))
    assert at.tolist() == list(range(0, 600, 50))
    for scale in (1e-4, 1e3):
        assert np.flatnonzero(clear_onsets(env * scale, FR)).tolist() == at.tolist()


def test_an_onset_counted_for_a_tempo_stands_above_its_floor_not_at_it():
    assert tempo._onsets(_floor_peaks()[None, :], FR) == (13, False)  # the 13 peaks at 5


def test_a_clear_onset_stands_above_its_floor_not_at_it():
    assert np.flatnonzero(clear_onsets(_floor_peaks(), FR)).tolist() == list(range(20, 1000, 80))


def test_one_second_of_clicks_is_long_enough_for_a_tempo():
    env = _clicks(240.0, 1.0)  # 4 clicks in exactly one second
    assert estimate_tempo(env, frame_rate=FR).bpm is not None
    assert estimate_tempo(env[:-1], frame_rate=FR).bpm is None


def test_the_onsets_per_second_of_a_click_track():
    for bpm in (90.0, 150.0):
        env = _clicks(bpm, 20.0)
        assert _onset_rate(env, FR) == pytest.approx(bpm / 60.0, rel=0.05)


def test_a_guess_in_a_range_keeps_the_interval_it_found_to_a_hundredth():
    env = np.zeros(500)
    env[[100, 170]] = 1.0  # two hits 0.7 s apart: 85.71 BPM
    guess = interval_guess(env, frame_rate=FR, floor_bpm=100.0)
    assert guess.found_bpm == 85.71 and guess.bpm == 171.43 and guess.weak


# -- seeds and candidates -------------------------------------------------------------------

def test_a_periodicity_without_a_peak_in_the_range_seeds_its_strongest_end():
    fr = 50.0
    falling = np.linspace(1.0, 0.0, 300)  # strongest at the shortest lag: the fastest tempo
    seeds = tempo._seed_tempi(falling, fr, MIN_BPM, MAX_BPM)
    assert seeds[0] == pytest.approx(MAX_BPM)


def test_the_end_of_the_range_is_no_peak_of_its_own():
    fr = 100.0
    lags = np.arange(450.0)
    # a peak at 120 BPM, and a slope rising to the fastest tempo's lag (25 frames)
    acf = np.exp(-0.5 * ((lags - 50.0) / 2.0) ** 2) + 0.6 * np.exp(-(lags - 25.0) / 4.0)
    seeds = tempo._seed_tempi(acf, fr, MIN_BPM, MAX_BPM)
    assert seeds == [pytest.approx(120.0, rel=0.01)]


def test_at_most_four_periodicity_peaks_seed_candidates():
    fr = 100.0
    lags = np.arange(450)
    # equal peaks at every lag from 25 to 150 frames a step of 9 (none a bar long)
    comb = sum(np.exp(-0.5 * ((lags - c) / 1.0) ** 2) for c in range(25, 151, 9))
    seeds = tempo._seed_tempi(comb, fr, MIN_BPM, MAX_BPM)
    assert len(seeds) == tempo._PEAKS


def test_a_bar_long_repeat_seeds_four_beats_to_the_bar():
    fr = 100.0
    lags = np.arange(450)
    # a riff that repeats every 2.4 s (25 bars a minute) and nothing within the beat range
    acf = np.exp(-0.5 * ((lags - 240.0) / 3.0) ** 2)
    seeds = tempo._seed_tempi(acf, fr, MIN_BPM, MAX_BPM)
    # (the bar is read within the 2 % that value_at spreads a lag over)
    assert seeds[-1] == pytest.approx(100.0, rel=0.025)


def test_the_pitch_of_a_span_is_cut_at_its_own_seconds():
    class Stream:
        pitch_frame_rate = 10.0
        chroma = np.arange(12 * 100, dtype=float).reshape(12, 100)
        bass_chroma = chroma + 0.5

    chroma, bass, rate = tempo._pitch_slice(Stream, 100.0, [(200, 400), (700, 800)])
    assert rate == 10.0
    assert chroma.tolist() == np.hstack([Stream.chroma[:, 20:40], Stream.chroma[:, 70:80]]).tolist()
    assert bass.tolist() == (chroma + 0.5).tolist()


def test_each_candidates_evidence_reads_what_its_name_says(clicks_117):
    _fs, table, bands, fr = clicks_117
    col = {name: FEATURE_NAMES.index(name) for name in FEATURE_NAMES}
    prep = per.prepare_bands(bands, fr)
    rate = _onset_rate(prep.sum(axis=0), fr)
    for bpm, row in zip(table["cands"], table["features"], strict=True):
        period = 60.0 * fr / bpm
        assert row[col["periodicity at 3 periods"]] == pytest.approx(
            float(per.value_at(table["a_all"], 3 * period)))
        assert row[col["periodicity at 1/3 period"]] == pytest.approx(
            float(per.value_at(table["a_all"], period / 3)))
        assert row[col["periodicity at 2 periods"]] == pytest.approx(
            float(per.value_at(table["a_all"], 2 * period)))
        assert row[col["periodicity at half period"]] == pytest.approx(
            float(per.value_at(table["a_all"], period / 2)))
        # two clicks a second: one onset a beat at 117 BPM, two at 59
        assert np.exp(row[col["log onsets per beat"]]) == pytest.approx(
            rate * 60.0 / bpm, rel=1e-9)
        assert rate * 60.0 / bpm == pytest.approx(117.3 / bpm, rel=0.06)
        # the clicks sound in the mid band alone: the low and high bands read nothing
        for band in ("low", "high"):
            for name in ("periodicity", "alternation", "faster alternation", "salience",
                         "contrast", "fastest even level"):
                assert row[col[f"{band} {name}"]] == 0.0
        # the salience and its contrast with the level twice as fast, on the accents and
        # the mid band; the fastest even level, on the accents
        measures = {name: (per.pulse_measures(env, period, fr),
                           per.pulse_measures(env, period / 2, fr))
                    for name, env in (("accent", prep[0] + prep[1]), ("mid", prep[1]))}
        for name, ((sal, _, _), (fast_sal, _, _)) in measures.items():
            assert row[col[f"{name} contrast"]] == pytest.approx(np.log(sal / fast_sal))
            assert row[col[f"{name} salience"]] == pytest.approx(np.log(sal))
        (_, alt, _), (_, fast_alt, _) = measures["accent"]
        assert row[col["fastest even level"]] == pytest.approx(alt * (1.0 - fast_alt))
        # the accents (low and mid bands) are the clicks here: their periodicity is the beat's
        assert row[col["accent periodicity"]] == pytest.approx(
            float(per.value_at(table["acf"] - table["a_all"], period)))
    beat = int(np.argmin([abs(c - 117.3) for c in table["cands"]]))
    assert table["features"][beat, col["mid periodicity"]] > 0.3
    assert table["features"][beat, col["accent periodicity"]] > 0.3
    # every window's best lag is the clicks' beat: the whole histogram sits at the beat, at
    # half the period of the candidate at half the tempo, at twice that of the one at double
    for bpm, name in ((117.3, "at period"), (117.3 / 2, "at half"), (117.3 * 2, "at double")):
        i = int(np.argmin([abs(c - bpm) for c in table["cands"]]))
        assert table["cands"][i] == pytest.approx(bpm, rel=0.01)
        row = table["features"][i]
        assert row[col[f"lag histogram {name}"]] == pytest.approx(1.0, abs=0.01)
        others = [f"lag histogram {n}" for n in ("at period", "at half", "at double") if n != name]
        assert all(row[col[n]] < 0.01 for n in others)


def test_each_onset_of_a_fast_roll_is_counted():
    # 25 onsets a second, 40 ms apart, every other one softer: each is an onset of its own
    frames = np.arange(10, 990, 4)
    env = np.zeros(1000)
    env[frames] = np.where(np.arange(len(frames)) % 2 == 0, 1.0, 0.6)
    assert _onset_rate(env, FR) == pytest.approx(len(frames) / 10.0)


@pytest.mark.parametrize("bpm", [100.0, 150.0])
def test_the_periodicity_of_the_range_is_read_on_its_fine_grid(bpm):
    acf = _onset_periodicity(_clicks(bpm, 20.0))
    finest = float(np.max(per.value_at(acf, 60.0 * FR / np.geomspace(40.0, 240.0, 20000))))
    assert tempo._peak_periodicity(acf, FR, 40.0, 240.0) == pytest.approx(finest, abs=0.004)
    # the steadiness is read from it
    assert _steadiness(acf, FR, 40.0, 240.0) == pytest.approx((finest - 0.1) / 0.4, abs=0.01)


def test_a_pulse_just_under_the_range_is_not_its_periodicity():
    # clicks at 38.5 BPM: their periodicity peaks 4 % under the range from 40 BPM
    acf = _onset_periodicity(_clicks(38.5, 30.0))
    assert tempo._peak_periodicity(acf, FR, 40.0, 240.0) < 0.05
    assert tempo._peak_periodicity(acf, FR, 38.0, 240.0) > 0.3


def test_onsets_without_a_pulse_have_no_steadiness():
    acf = _onset_periodicity(np.random.default_rng(3).random(2000) ** 8)  # sparse, no pulse
    assert np.max(per.value_at(acf, 60.0 * FR / np.geomspace(40.0, 240.0, 400))) < 0.1
    assert _steadiness(acf, FR, 40.0, 240.0) == 0.0


def test_in_a_range_the_lag_histogram_reads_each_windows_best_lag_within_it(clicks_117):
    # up to 100 BPM the windows' best lag is two beats of the clicks: the share of the
    # histogram at the candidate of 58.7 BPM is all of it
    _fs, _table_, bands, fr = clicks_117
    table = candidate_table(bands, fr, min_bpm=40.0, max_bpm=100.0)
    col = FEATURE_NAMES.index("lag histogram at period")
    half = int(np.argmin([abs(c - 117.3 / 2) for c in table["cands"]]))
    assert table["cands"][half] == pytest.approx(117.3 / 2, rel=0.01)
    assert table["features"][half, col] == pytest.approx(1.0, abs=0.01)


def test_fewer_onsets_than_one_a_second_are_counted_as_they_are():
    fr = STREAM_FR
    bands = np.tile(_clicks(50.0, 16.0, fr=fr), (3, 1))
    table = candidate_table(bands, fr)
    rate = _onset_rate(per.prepare_bands(bands, fr).sum(axis=0), fr)
    assert rate == pytest.approx(50.0 / 60.0, rel=0.1)
    col = FEATURE_NAMES.index("log onsets per beat")
    for bpm, row in zip(table["cands"], table["features"], strict=True):
        assert np.exp(row[col]) == pytest.approx(rate * 60.0 / bpm, rel=1e-9)


def test_the_drum_gate_opens_between_8_and_20_percent_of_onset_strength_in_the_cymbals():
    fr = STREAM_FR
    env = _clicks(100.0, 12.0, fr=fr)
    col = FEATURE_NAMES.index("log2 tempo x drum gate")
    octave = FEATURE_NAMES.index("log2 tempo")
    for high, gate in ((0.05, 0.0), (0.14, 0.5), (0.2, 1.0), (0.4, 1.0)):
        low = mid = (1.0 - high) / 2
        table = candidate_table(np.stack([low * env, mid * env, high * env]), fr)
        rows = table["features"]
        moved = np.abs(rows[:, octave]) > 0.1
        assert rows[moved, col] / rows[moved, octave] == pytest.approx(gate, abs=1e-6), high


def test_harmony_is_read_from_four_seconds_of_chroma_on():
    rate = 10.0
    chroma = np.zeros((12, 45))
    for i in range(45):  # a chord change every half second
        chroma[[0, 4, 7] if (i // 5) % 2 == 0 else [5, 9, 0], i] = 1.0
    assert _harmony_acf(chroma, rate) is not None
    assert _harmony_acf(chroma[:, :40], rate) is not None
    assert _harmony_acf(chroma[:, :39], rate) is None
    assert _harmony_acf(np.zeros((12, 45)), rate) is None
    # without the chroma, or without its frame rate, there is no harmony to read
    assert _harmony_acf(None, rate) is None
    assert _harmony_acf(chroma, None) is None


def test_the_harmonic_changes_pulse_at_the_chords_rate(chorale_66):
    # one chord a beat at 66: the harmonic change pulses on the beat
    from core.analysis.beatevidence import _harmony_pulses

    fs = chorale_66
    table, _bands, _fr = _table(fs)
    pr = fs.pitch_frame_rate
    novelty = per.PulseEnvelope(np.maximum(per.chroma_novelty(fs.chroma), 0.0))
    names = ("harmony pulse alternation", "harmony pulse faster alternation",
             "harmony pulse contrast")
    cols = [FEATURE_NAMES.index(n) for n in names]
    for bpm, row in zip(table["cands"], table["features"], strict=True):
        assert row[cols].tolist() == pytest.approx(_harmony_pulses(novelty, bpm, pr))
    beat = int(np.argmin([abs(c - 66.0) for c in table["cands"]]))
    salience, alternation, _ = per.pulse_measures(novelty, 60.0 * pr / 66.0, pr)
    assert table["features"][beat, cols[0]] == pytest.approx(alternation) and alternation > 0.5
    assert table["features"][beat, cols[2]] > 0.0  # the beat more than its half
    # eight beats at 66 BPM are 7.3 s: the harmony's periodicity reaches 9 s of lags
    acf = per.periodicity(per.chroma_novelty(fs.chroma), pr, max_lag_s=9.0)
    for k in (4, 8):
        col = FEATURE_NAMES.index(f"harmony change at {k} beats")
        assert table["features"][beat, col] == pytest.approx(
            float(per.value_at(acf, k * 60.0 * pr / table["cands"][beat])))
    assert table["features"][beat, FEATURE_NAMES.index("harmony change at 8 beats")] > 0.1
    # without chroma, every harmony column is 0
    bare = candidate_table(_bands, _fr)
    harmony = [i for i, n in enumerate(FEATURE_NAMES)
               if n.startswith(("harmony", "bass change")) and "(" not in n]
    assert len(harmony) == 17 and not bare["features"][:, harmony].any()


def test_the_harmonic_change_has_one_value_per_frame():
    chroma = np.random.default_rng(2).random((12, 80))
    nov = per.chroma_novelty(chroma)
    assert nov.shape == (80,)
    steady = per.chroma_novelty(np.tile(chroma[:, :1], (1, 30)))
    assert steady == pytest.approx(np.zeros(30))  # the same chord throughout: no change


def test_the_harmonic_change_is_the_same_at_any_level():
    chroma = np.random.default_rng(2).random((12, 80)) ** 4
    assert per.chroma_novelty(chroma * 1e-4) == pytest.approx(per.chroma_novelty(chroma))


def test_the_evidence_is_the_same_at_any_level():
    y = render_song(bpm=104.0, key=Key(2, "major"), seconds=16.0, sr=SR, seed=3, style="rock")
    fs = features_of(y.mean(axis=1))
    bands, fr = tempo._bands_of(fs, None)
    kw = {"chroma": fs.chroma, "bass_chroma": fs.bass_chroma, "pitch_rate": fs.pitch_frame_rate}
    full = candidate_table(bands, fr, **kw)
    assert full["features"][:, FEATURE_NAMES.index("log2 tempo x drum gate")].any()  # cymbals
    for scale in (1e-3, 1e3):
        other = candidate_table(bands * scale, fr, **kw)
        assert other["cands"] == pytest.approx(full["cands"])
        assert other["features"] == pytest.approx(full["features"], abs=1e-5)


# -- the decision ---------------------------------------------------------------------------

def test_a_tempos_confidence_is_its_probability_times_its_periodicity_over_0_3():
    # a rubato piece: its pulse is weak (under 0.3), and among the candidates that are not
    # its tempo some are one tempo with each other
    y = render_song(bpm=96.0, key=Key(9, "minor"), seconds=16.0, sr=SR, seed=1,
                    style="classical")
    fs = features_of(y.mean(axis=1))
    est = estimate_tempo(fs)
    table, _bands, _fr = _table(fs)
    assert 0.05 < est.periodicity < 0.3
    assert est.confidence == pytest.approx(est.scores[0] * est.periodicity / 0.3)
    others = np.log(est.alternatives[1:])
    assert (np.abs(others[:, None] - others[None, :]) <= np.log(1.04)).sum() > len(others)
    # the others are the candidates that are another tempo, with their probabilities
    assert len(est.alternatives) == len(est.scores) > 2
    assert set(est.alternatives[1:]) <= {round(c, 2) for c in table["cands"]}
    assert all(abs(a / est.bpm - 1) > 0.04 for a in est.alternatives[1:])
    logits = tempo.decision_scores(table["features"])
    prob = np.exp(logits - logits.max())
    prob /= prob.sum()
    by_bpm = {round(c, 2): p for c, p in zip(table["cands"], prob, strict=True)}
    assert list(est.scores[1:]) == pytest.approx([by_bpm[a] for a in est.alternatives[1:]])


def test_a_clear_pulse_counts_its_periodicity_in_full(clicks_117):
    est = estimate_tempo(clicks_117[0])
    assert est.periodicity > 0.3 and 0.5 < est.scores[0] < 1.0
    assert est.confidence == pytest.approx(est.scores[0])


def test_the_weak_pulse_margin_grows_for_signals_down_to_a_second():
    assert tempo._weak_periodicity(1.0) == pytest.approx(0.135)
    assert tempo._weak_periodicity(1.5) == pytest.approx(0.035 + 0.1 / np.sqrt(1.5))
    assert tempo._weak_periodicity(0.5) == tempo._weak_periodicity(1.0)
    assert tempo._weak_periodicity(100.0) == pytest.approx(0.045)


def test_in_a_range_the_tempo_found_is_kept_beside_the_one_stated(clicks_117):
    fs = clicks_117[0]
    alone = estimate_tempo(fs)
    ranged = estimate_tempo(fs, floor_bpm=60.0)
    assert ranged.found_bpm == alone.bpm
    assert ranged.bpm == pytest.approx(fold_tempo(alone.bpm, 60.0), abs=0.01)
    assert alone.found_bpm is None


def test_the_trees_refuse_a_baseline_that_is_no_number():
    data = {"features": list(FEATURE_NAMES), "baseline": float("nan"), "trees": []}
    with pytest.raises(ValueError, match=r"^the tempo trees' 'baseline' must be a finite number$"):
        trees_from_json(data)


def test_the_trees_refuse_a_file_fitted_on_other_features():
    data = {"features": list(FEATURE_NAMES[:-1]), "baseline": 0.0, "trees": []}
    with pytest.raises(ValueError, match=r"^the tempo trees were fitted on other candidate features$"):
        trees_from_json(data)


def test_the_trees_read_three_inputs_per_feature_and_no_more():
    # (each feature as it is, less the song's best value and less the song's mean)
    def tree_on(inp):
        return {"feature": [inp, -1, -1], "threshold": [0.0, None, None], "left": [1, -1, -1],
                "right": [2, -1, -1], "missing_left": [1, 0, 0], "value": [0.0, -1.0, 1.0]}

    last = 3 * len(FEATURE_NAMES) - 1
    model = trees_from_json({"features": list(FEATURE_NAMES), "baseline": 0.0,
                             "trees": [tree_on(last)]})
    assert model.predict(np.full((1, last + 1), 5.0)).tolist() == [1.0]
    with pytest.raises(ValueError, match="an input the model does not have"):
        trees_from_json({"features": list(FEATURE_NAMES), "baseline": 0.0,
                         "trees": [tree_on(last + 1)]})


def test_the_tempo_range_may_reach_its_limits(clicks_117):
    fs = clicks_117[0]
    assert estimate_tempo(fs, min_bpm=10.0, max_bpm=600.0).bpm is not None
    assert estimate_tempo(fs, floor_bpm=10.0).bpm == pytest.approx(
        fold_tempo(estimate_tempo(fs).bpm, 10.0), abs=0.01)
    for bad in ({"min_bpm": 9.99}, {"max_bpm": 600.01}):
        with pytest.raises(ValueError):
            estimate_tempo(fs, **bad)
    assert estimate_tempo(fs, floor_bpm=300.0).bpm == pytest.approx(
        fold_tempo(estimate_tempo(fs).bpm, 300.0), rel=1e-3)
    for bad in (9.99, 300.01):
        with pytest.raises(ValueError):
            estimate_tempo(fs, floor_bpm=bad)


def test_a_span_of_frames_is_read_with_its_pitch(chorale_66):
    fs = chorale_66
    n = fs.onset_bands.shape[1]
    whole, span = estimate_tempo(fs), estimate_tempo(fs, frames=(0, n))
    # (the span's pitch frames are its onset frames' to the nearest one)
    assert span.alternatives == whole.alternatives
    assert span.scores == pytest.approx(whole.scores, rel=0.25)
    bands, fr = tempo._bands_of(fs, None)
    blind = candidate_table(bands, fr)
    assert not np.allclose(blind["features"], _table(fs)[0]["features"])


def test_a_tempo_sharpened_on_a_plateau_is_its_middle():
    flat = np.full(450, 0.5)  # every lag alike: the plateau fills the whole search
    assert tempo._refine(flat, FR, 100.0, spread=0.06, plateau=True) == pytest.approx(100.0, rel=1e-9)
    flat[60] = 0.55  # a peak at 100 BPM, the plateau on both sides of it to the ends
    assert tempo._refine(flat, FR, 100.0, spread=0.06, plateau=True) == pytest.approx(100.0, rel=1e-6)
    # a plateau from 98 to 104 BPM within 94-106: its middle, by the log of the tempo
    lags = np.arange(450.0)
    acf = np.where((lags >= 60.0 * FR / 104.0 - 0.5) & (lags <= 60.0 * FR / 98.0 + 0.5), 1.0, 0.1)
    acf[int(round(60.0 * FR / 101.0))] = 1.2
    got = tempo._refine(acf, FR, 100.0, spread=0.06, plateau=True)
    assert 99.0 < got < 102.0


def _refine_grid(bpm: float, spread: float) -> np.ndarray:
    return bpm * np.exp(np.linspace(-spread, spread, int(spread * 2000) + 1))


def test_lags_past_the_end_of_the_periodicity_count_nothing():
    # 10,000 frames a second: 100 BPM is a lag of 6,000 frames.  The periodicity peaks there
    # and ends at 12,000 frames with a high last value: twice the lag of every tempo under
    # 100 BPM lies past it, and reads nothing
    fr = 10_000.0
    acf = np.maximum(1.0 - np.abs(np.arange(12_000) - 6000.0) / 30.0, 0.0)
    acf[-1] = 5.0
    assert tempo._refine(acf, fr, 100.0, spread=0.03) == pytest.approx(100.0, rel=1e-9)


def test_a_plateau_ends_at_its_first_point_under_60_percent_of_its_peak():
    # the sum at each tempo of the search set by hand: a peak at 100 BPM, three points at
    # 80 % on either side, then a dip to 50 % and 90 % beyond it on the slower side
    fr, spread = 10_000.0, 0.03
    grid = _refine_grid(100.0, spread)
    level = np.full(len(grid), 0.1)
    mid = len(grid) // 2
    level[mid] = 1.0
    level[mid - 3:mid] = level[mid + 1:mid + 4] = 0.8
    level[mid - 4], level[mid - 5] = 0.5, 0.9
    lags = 60.0 * fr / grid
    acf = np.zeros(int(lags.max()) + 3)  # shorter than two beats: one beat is read alone
    for lag, v in zip(lags, level, strict=True):
        acf[int(round(lag)) - 2:int(round(lag)) + 3] = v
    # the plateau is the seven points around the peak, even on both sides: its centre is it
    got = tempo._refine(acf, fr, 100.0, spread=spread, plateau=True)
    assert got == pytest.approx(grid[mid], rel=1e-9)


def test_a_stated_ranges_readings_score_their_octaves_together():
    # clicks at 90 and 120 BPM together: in the range 88-176, 90 and its octaves are one
    # reading, whose score is their probabilities added up, and the scores add up to 1
    fs = features_of(click_track(90.0, 12.0, SR) + 0.8 * click_track(120.0, 12.0, SR))
    free = estimate_tempo(fs)
    ranged = estimate_tempo(fs, floor_bpm=88.0)
    assert sum(ranged.scores) == pytest.approx(1.0, abs=1e-6)
    i = next(i for i, b in enumerate(ranged.alternatives) if abs(b / 90.0 - 1) < 0.01)
    family = sum(p for b, p in zip(free.alternatives, free.scores, strict=True)
                 if min(abs(np.log2(b / 90.0) - k) for k in (-1, 0, 1)) < 0.06)
    assert ranged.scores[i] == pytest.approx(family, rel=1e-6)
    assert ranged.scores[i] > free.scores[free.alternatives.index(
        next(b for b in free.alternatives if abs(b / 90.0 - 1) < 0.01))]


def test_above_the_trees_top_a_candidate_takes_the_score_of_its_half_within_4_percent():
    col = FEATURE_NAMES.index("log2 tempo")
    feats = np.zeros((3, len(FEATURE_NAMES)))
    feats[:, col] = np.log2(np.array([200.0, 104.0, 150.0]) / 120.0)
    bpm = candidate_bpm(feats)
    assert bpm.tolist() == [200.0, 104.0, 150.0]
    tree = np.array([1.0, 2.0, 3.0])
    # 104 is exactly 4 % above half of 200: it counts as its half
    assert tempo._abstain_above(185.0, feats, tree).tolist() == [2.0, 2.0, 3.0]
    # a candidate at the top itself is not above it
    assert tempo._abstain_above(float(bpm[0]), feats, tree).tolist() == [1.0, 2.0, 3.0]


def test_onset_bands_need_a_frame_rate_above_0():
    with pytest.raises(ValueError, match="frame_rate must be positive"):
        estimate_tempo(np.tile(_clicks(120.0, 4.0), (3, 1)), frame_rate=0.0)


def test_onset_bands_given_as_an_array_longer_than_16_s_are_read_without_their_ends():
    fr = STREAM_FR
    bands = np.tile(np.concatenate([_clicks(120.0, 20.0, fr=fr),
                                    np.zeros(int(10.0 * fr))]), (3, 1))
    assert estimate_tempo(bands, frame_rate=fr).bpm == pytest.approx(120.0, rel=0.01)


# -- a chunk that follows the song ----------------------------------------------------------

def _pulse(bpm: float, height: float, *, fr: float = FR, faint: bool = False,
           decay: float = 1.0):
    """The pulse of a chunk (see tempo._chunk_pulse) whose onsets repeat at ``bpm``: an
    autocorrelation of 1 at lag 0 and ``height`` at the first beat period, times ``decay``
    at each period after it."""
    lags = np.arange(int(4.5 * fr))
    period = 60.0 * fr / bpm
    acf = sum(height * decay ** (k - 1) * np.exp(-0.5 * ((lags - k * period) / 1.5) ** 2)
              for k in range(1, 9))
    acf = acf + np.exp(-0.5 * (lags / 1.5) ** 2)
    return acf, acf.copy(), bpm, faint


def test_a_chunk_on_the_songs_beat_takes_it_with_its_own_confidence():
    est = tempo._follow_song(_pulse(117.3, 0.15), 10.0, FR, 117.0)
    assert est.bpm == pytest.approx(117.3, abs=0.3)
    assert est.periodicity == pytest.approx(0.15, abs=0.01)
    assert est.confidence == pytest.approx(est.periodicity / 0.3)
    assert est.alternatives == (est.bpm,) and est.scores == (1.0,)
    assert not est.weak
    assert est.bpm != int(est.bpm)  # to a hundredth
    clear = tempo._follow_song(_pulse(117.3, 0.6), 10.0, FR, 117.0)
    assert clear.confidence == 1.0
    faint = tempo._follow_song(_pulse(117.3, 0.6, faint=True), 10.0, FR, 117.0)
    assert faint.weak and faint.confidence == 1.0
    weak = tempo._follow_song(_pulse(117.3, 0.05), 10.0, FR, 117.0)
    assert weak.weak and weak.confidence == pytest.approx(weak.periodicity / 0.3)


def test_a_chunk_at_another_octave_of_the_songs_tempo_is_read_on_its_own():
    # a chunk at 3/4 of the song's tempo, or 5/4 of it, is no metrical relative of it
    assert tempo._follow_song(_pulse(90.0, 0.5), 10.0, FR, 120.0) is None
    assert tempo._follow_song(_pulse(150.0, 0.5), 10.0, FR, 120.0) is None
    # its relatives follow the song: twice and 2/3 of its tempo
    assert tempo._follow_song(_pulse(240.0, 0.5), 10.0, FR, 120.0).bpm == pytest.approx(120.0, rel=0.01)
    assert tempo._follow_song(_pulse(80.0, 0.5), 10.0, FR, 120.0).bpm == pytest.approx(120.0, rel=0.01)
    # in a stated range a song's octaves are one reading: 90 is 3/2 of 60, so it follows
    assert tempo._follow_song(_pulse(90.0, 0.5), 10.0, FR, 120.0, floor=88.0) is not None
    est = tempo._follow_song(_pulse(234.0, 0.5), 10.0, FR, 117.0, floor=88.0)
    assert est.bpm == pytest.approx(117.0, rel=0.01)  # the song's octave
    assert tempo._follow_song(None, 10.0, FR, 117.0).bpm is None


def test_a_chunk_that_drifts_takes_the_middle_of_its_plateau_and_no_confidence_below_0():
    # the chunk's onsets repeat at every lag from 96 to 104 BPM, most at 103
    lags = np.arange(int(4.5 * FR))
    acf = np.where((lags >= 60.0 * FR / 104.0 - 0.5) & (lags <= 60.0 * FR / 96.0 + 0.5), 1.0, 0.1)
    acf[int(round(60.0 * FR / 103.0))] = 1.2
    est = tempo._follow_song((acf, np.zeros_like(acf), 103.0, False), 10.0, FR, 100.0)
    assert est.bpm == pytest.approx(100.0, rel=0.01)
    assert tempo._refine(acf, FR, 100.0, spread=0.06) > 102.5  # its peak, off the middle
    # a pulse found in the accents whose onsets as a whole fall off the beat
    a_all = -0.1 * np.ones_like(acf)
    est = tempo._follow_song((a_all, acf, 103.0, False), 10.0, FR, 100.0)
    assert est.periodicity < 0.0 and est.confidence == 0.0


def test_a_periodicity_of_zeros_sharpens_to_a_tempo_in_the_search():
    got = tempo._refine(np.zeros(450), FR, 100.0, spread=0.06, plateau=True)
    assert 100.0 * np.exp(-0.06) <= got <= 100.0 * np.exp(0.06)


def test_the_decisions_probabilities_hold_for_scores_of_any_size():
    cands = [60.0, 120.0, 90.0]
    for shift in (0.0, 400.0, -400.0):
        prob, _near, mass, top = tempo.choose_tempo(np.array([1.0, 2.0, 0.0]) + shift, cands)
        e = np.exp([1.0, 2.0, 0.0])
        assert prob == pytest.approx(e / e.sum()) and top == 1
        assert mass == pytest.approx(prob)


def test_a_tempo_is_sharpened_to_a_thousandth():
    fr = 10_000.0
    for bpm in (100.2, 99.7):
        acf = np.maximum(1.0 - np.abs(np.arange(7000) - 60.0 * fr / bpm) / 30.0, 0.0)
        assert tempo._refine(acf, fr, 100.0, spread=0.03) == pytest.approx(bpm, abs=0.005)


def test_in_a_range_a_chunk_is_sharpened_at_the_octave_it_beats_at():
    # the song found at 60 and stated at 120 (range 88-176); the chunk repeats at 60 alone
    # (lags of 100 frames), so its beat is sharpened and measured there, then stated at 120
    est = tempo._follow_song(_pulse(60.0, 0.15), 10.0, FR, 120.0, floor=88.0)
    assert est.bpm == pytest.approx(120.0, rel=0.005)
    assert est.periodicity == pytest.approx(0.15, abs=0.01)
    assert est.confidence == pytest.approx(0.5, abs=0.04)
    # 8/3 of the song's tempo is no relative of any of its octaves
    assert tempo._follow_song(_pulse(160.0, 0.5), 10.0, FR, 60.0, floor=44.0) is None
    # the song found at 120 and stated at 60 (range 44-88); the chunk beats at 120, its
    # periodicity falling with each beat (0.5, 0.35, ...): it is measured at 120, where it
    # is strongest, and stated at 60
    est = tempo._follow_song(_pulse(120.0, 0.5, decay=0.7), 10.0, FR, 60.0, floor=44.0)
    assert est.bpm == pytest.approx(60.0, rel=0.005)
    assert est.periodicity == pytest.approx(0.5, abs=0.01)


def test_a_chunk_with_a_pulse_of_its_own_is_stated_in_the_range_too():
    # 12 s at 80, then 24 s at 131: the song is 131 (its longest section) and the first
    # chunk, read on its own, is stated in the range 88-176 as the song is
    fs = features_of(np.concatenate([click_track(80.0, 12.0, SR), click_track(131.0, 24.0, SR)]),
                     chunk_s=12.0)
    song = estimate_tempo(fs, floor_bpm=88.0)
    assert song.bpm == pytest.approx(131.0, rel=0.02)
    first, *rest = chunk_tempos(fs, song=song, floor_bpm=88.0)
    assert first.bpm == pytest.approx(160.0, rel=0.02)
    assert [t.bpm for t in rest] == pytest.approx([131.0, 131.0], rel=0.02)


@pytest.mark.parametrize("long, short", [(90.0, 120.0), (120.0, 90.0)])
def test_the_longest_section_sets_the_songs_tempo_however_loud_a_shorter_one_is(long, short):
    # 24 s of soft clicks, then 12 s of clicks ten times as loud at a tempo 4/3 or 3/4 off:
    # read over the whole, the loud section would win (its windows weigh more)
    y = np.concatenate([0.1 * click_track(long, 24.0, SR), click_track(short, 12.0, SR)])
    fs = features_of(y, chunk_s=12.0)
    song = estimate_tempo(fs)
    assert song.bpm == pytest.approx(long, rel=0.01)
    assert [t.bpm for t in chunk_tempos(fs, song=song)] == pytest.approx(
        [long, long, short], rel=0.01)


def test_a_chunk_read_on_its_own_keeps_the_range_of_tempi_asked_for():
    # 12 s of clicks at 160, then 24 s at 131: read up to 110 BPM, the song is 65.5 and the
    # first chunk, no relative of it, is read on its own, within the range too
    fs = features_of(np.concatenate([click_track(160.0, 12.0, SR, accent=2),
                                     click_track(131.0, 24.0, SR)]), chunk_s=12.0)
    assert [t.bpm for t in chunk_tempos(fs, song=estimate_tempo(fs))] == pytest.approx(
        [160.0, 131.0, 131.0], rel=0.01)
    song = estimate_tempo(fs, max_bpm=110.0)
    assert song.bpm == pytest.approx(65.5, rel=0.01)
    chunks = chunk_tempos(fs, song=song, max_bpm=110.0)
    assert all(t.bpm <= 110.0 for t in chunks), chunks
    assert min(abs(chunks[0].bpm * f / 160.0 - 1.0) for f in (2, 3)) < 0.01  # 80 or 53.3


def test_of_two_sections_as_long_as_each_other_the_first_sets_the_tempo():
    # two chunks of exactly 1,550 onset frames each: soft clicks at 90 in the first, loud
    # ones at 120 in the second (read over the whole, the loud ones would win)
    seconds = 1550 * 256 / SR
    y = np.concatenate([0.1 * click_track(90.0, seconds, SR), click_track(120.0, seconds, SR)])
    fs = features_of(y[:2 * 1550 * 256], chunk_s=seconds)
    first, second = fs.chunk_frames()
    assert first[1] - first[0] == second[1] - second[0]
    assert estimate_tempo(fs).bpm == pytest.approx(90.0, rel=0.01)


def test_a_chunk_of_exactly_8_s_is_a_section():
    # at 16 kHz a chunk of 8 s is 500 onset frames: two of them, at unrelated tempi, are two
    # sections as long as each other, and the first sets the tempo
    sr = 16_000
    y = np.concatenate([0.1 * click_track(90.0, 8.0, sr), click_track(120.0, 8.0, sr)])
    fs = features_of(y, chunk_s=8.0, sr=sr)
    assert [b - a for a, b in fs.chunk_frames()] == [500, 500]
    assert fs.frame_rate * 8.0 == 500.0
    assert estimate_tempo(fs).bpm == pytest.approx(90.0, rel=0.01)


def test_in_a_range_a_tempo_just_under_an_octave_of_another_is_one_reading_with_it():
    assert tempo._one_tempo(np.array([60.0, 119.0]), 88.0).all()
    assert not tempo._one_tempo(np.array([60.0, 119.0]), 0.0)[0, 1]
    assert not tempo._one_tempo(np.array([60.0, 110.0]), 88.0)[0, 1]


def test_a_faint_chunk_pulse_is_marked_faint():
    fr = STREAM_FR
    # a floor of hiss in 60 % of the frames (its median), clicks 2 and 4 times as high
    hiss = (np.random.default_rng(4).random(int(10.0 * fr)) < 0.6).astype(float)
    clear = np.tile(_clicks(120.0, 10.0, fr=fr, height=3.0) + hiss, (3, 1))
    faint = np.tile(_clicks(120.0, 10.0, fr=fr, height=1.0) + hiss, (3, 1))
    assert tempo._chunk_pulse(clear, fr)[3] is False
    assert tempo._chunk_pulse(faint, fr)[3] is True
    assert MIN_BPM < tempo._chunk_pulse(faint, fr)[2] < MAX_BPM
    # faint onsets at random: no pulse to read
    at = np.sort(np.random.default_rng(5).choice(int(10.0 * fr), 20, replace=False))
    scattered = hiss.copy()
    scattered[at] += 1.0
    assert tempo._chunk_pulse(np.tile(scattered, (3, 1)), fr) is None
