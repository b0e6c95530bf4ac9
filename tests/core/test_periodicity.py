"""The pulse measures and the lag reader against their plain definitions."""

from __future__ import annotations

import numpy as np
import pytest

from core.analysis.periodicity import (
    END_FRAMES,
    PulseEnvelope,
    pulse_measures,
    swing_share,
    tame_end,
    value_at,
)


def _plain_value_at(acf, lag):
    lag = np.asarray(lag, dtype=float)
    n = acf.shape[-1]
    best = None
    for f in (0.98, 0.99, 1.0, 1.01, 1.02):
        x = np.clip(lag * f, 0, n - 1.001)
        i = x.astype(int)
        v = acf[..., i] * (1 - (x - i)) + acf[..., i + 1] * (x - i)
        best = v if best is None else np.maximum(best, v)
    return best


@pytest.mark.parametrize("shape", [(700,), (3, 1200)])
@pytest.mark.parametrize("lag", [0.0, 37.3, np.array([5.5, 80.25, 2000.0])])
def test_value_at_is_the_best_interpolated_value_within_two_percent(shape, lag):
    acf = np.random.default_rng(3).standard_normal(shape)
    got = value_at(acf, lag)
    assert got.shape == shape[:-1] + np.shape(lag)
    assert np.array_equal(got, _plain_value_at(acf, lag))


def test_value_at_a_peak_reads_the_peak_from_a_lag_two_percent_away():
    acf = np.zeros(400)
    acf[100] = 1.0
    assert value_at(acf, 100.0 / 0.99) == pytest.approx(1.0)  # read at 0.99 x the lag
    assert value_at(acf, 102.0) == pytest.approx(0.96)  # 0.98 x 102 = 99.96
    assert value_at(acf, 110.0) == 0.0


def _plain_pulse_measures(em, mean, period, win, starts):
    phases = np.arange(int(np.ceil(period)))
    k = np.arange(max(2, int((win - period) // period)))
    offsets = np.clip(np.round(phases[:, None] + k[None, :] * period).astype(int), 0, win - 1)
    v = em[starts[:, None, None] + offsets[None, :, :]]
    m = v.mean(axis=2)
    best = np.argmax(m, axis=1)
    rows = np.arange(len(starts))
    pulses = v[rows, best]
    a = np.median(pulses[:, 0::2], axis=1)
    c = np.median(pulses[:, 1::2], axis=1)
    alt = np.minimum(a, c) / np.maximum(np.maximum(a, c), 1e-9)
    return (float(np.mean(m[rows, best])) / mean, float(np.median(alt)),
            float(np.mean(pulses > mean)))


@pytest.mark.parametrize("n, period", [(2000, 21.7), (15000, 43.0), (9000, 64.4), (700, 90.1)])
def test_pulse_measures_match_their_definition(n, period):
    from core.analysis.periodicity import _MAX_WINDOWS, PULSE_WINDOW_S

    fr = 86.0
    env = PulseEnvelope(np.random.default_rng(n).random(n) ** 4)
    win = min(n, int(PULSE_WINDOW_S * fr))
    starts = np.arange(0, max(1, n - win + 1), max(1, win // 2))
    if len(starts) > _MAX_WINDOWS:
        starts = starts[np.linspace(0, len(starts) - 1, _MAX_WINDOWS).astype(int)]
    want = _plain_pulse_measures(env.peaks, env.mean, period, win, starts)
    assert pulse_measures(env, period, fr) == want


def test_a_click_train_has_full_salience_no_alternation_loss_and_every_pulse_filled():
    fr, period = 86.0, 43.0
    env = np.zeros(int(60 * fr))
    env[np.round(np.arange(10, len(env) - 1, period)).astype(int)] = 1.0
    sal, alt, fill = pulse_measures(env, period, fr)
    assert alt == pytest.approx(1.0) and fill == pytest.approx(1.0)
    half_sal, _, half_fill = pulse_measures(env, period / 2, fr)
    assert sal > 1.5 * half_sal and half_fill == pytest.approx(0.5, abs=0.05)


def _train(fr, period, seconds, between=None, strength=0.5, start=10.0):
    """Clicks every ``period`` frames and, with ``between``, a weaker one that share of the
    period after each."""
    env = np.zeros(int(seconds * fr))
    beats = np.arange(start, len(env) - period, period)
    env[np.round(beats).astype(int)] = 1.0
    if between is not None:
        env[np.round(beats + between * period).astype(int)] = strength
    return env


@pytest.mark.parametrize("start", [10.0, 31.5])
def test_a_swung_train_has_a_high_swing_share_at_its_beat_and_a_low_one_at_half(start):
    fr, period = 86.0, 34.4  # 150 BPM
    swung = _train(fr, period, 60, between=2 / 3, start=start)
    assert swing_share(swung, period, fr) == pytest.approx(1.0)
    # read at half, the beats fall half-way between the candidate's pulses
    assert swing_share(swung, 2 * period, fr) == pytest.approx(0.0)
    # straight eighths, or nothing between the beats
    assert swing_share(_train(fr, period, 60, between=0.5, start=start), period, fr) == pytest.approx(0.0)
    assert swing_share(_train(fr, period, 60, start=start), period, fr) == 0.0


def test_a_partly_swung_train_has_a_share_between():
    fr, period = 86.0, 43.0
    env = _train(fr, period, 60, between=2 / 3, strength=0.3)
    env += _train(fr, period, 60, between=0.5, strength=0.1)
    assert swing_share(env, period, fr) == pytest.approx(0.75)


@pytest.mark.parametrize("n, period", [(2000, 21.7), (15000, 43.0), (700, 90.1)])
def test_swing_share_matches_its_definition(n, period):
    from core.analysis.periodicity import _MAX_WINDOWS, PULSE_WINDOW_S

    fr = 86.0
    env = PulseEnvelope(np.random.default_rng(n).random(n) ** 4)
    win = min(n, int(PULSE_WINDOW_S * fr))
    starts = np.arange(0, max(1, n - win + 1), max(1, win // 2))
    if len(starts) > _MAX_WINDOWS:
        starts = starts[np.linspace(0, len(starts) - 1, _MAX_WINDOWS).astype(int)]
    shares = []
    for s in starts:
        seg = env.peaks[s:s + win]
        pulses = max(2, int((win - period) // period))
        m = [np.mean([seg[min(int(np.round(ph + j * period)), win - 1)] for j in range(pulses)])
             for ph in range(int(np.ceil(period)))]
        best = int(np.argmax(m))
        half = m[(best + round(period / 2)) % len(m)]
        two3 = m[(best + round(2 * period / 3)) % len(m)]
        shares.append(two3 / max(two3 + half, 1e-9))
    assert swing_share(env, period, fr) == pytest.approx(np.mean(shares), rel=1e-12)


def test_the_click_of_a_cut_at_the_end_is_taken_out_of_the_onset_bands():
    """A band whose last frames outdo every frame before (the click of a cut at the file's
    end) is bounded there by its median; a loud start, the frames before the end and a band
    whose end stays under its strongest onset are left alone."""
    rng = np.random.default_rng(0)
    bands = rng.uniform(0.0, 0.2, (3, 500))
    bands[:, 1] = 5.0  # a file that begins at full level
    bands[:, -2:] = [[9.0, 9.5], [0.1, 4.0], [5.5, 0.0]]
    out = tame_end(bands)
    np.testing.assert_array_equal(out[:, :-END_FRAMES], bands[:, :-END_FRAMES])
    median = np.median(bands[:, :-END_FRAMES], axis=1)
    np.testing.assert_array_equal(out[0, -END_FRAMES:], np.minimum(bands[0, -END_FRAMES:], median[0]))
    np.testing.assert_array_equal(out[1, -2:], [0.1, 4.0])
    np.testing.assert_array_equal(out[2, -2:], [min(5.5, median[2]), 0.0])
    assert out[:, -END_FRAMES:].max() == 4.0
    quiet = bands[:, :-2]
    assert tame_end(quiet) is quiet
