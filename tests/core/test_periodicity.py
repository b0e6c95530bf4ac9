"""The pulse measures and the lag reader against their plain definitions."""

from __future__ import annotations

import numpy as np
import pytest

from core.analysis.periodicity import END_FRAMES, PulseEnvelope, pulse_measures, tame_end, value_at


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
