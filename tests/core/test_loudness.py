"""Loudness meter: BS.1770 filter, pyloudnorm agreement, block independence, gates, LRA, peak."""

from __future__ import annotations

import math

import numpy as np
import pyloudnorm
import pytest

from core.analysis.loudness import LoudnessMeter, channel_weights, k_weighting_sos

RATES = [8000, 22050, 44100, 48000, 96000, 192000]


def _bursts(sr, ch, seed=1, seconds=8):
    """Noise bursts of 1.5 s with 0.5 s near-silent gaps (at -60 dB), so gating matters."""
    rng = np.random.default_rng(seed)
    n = sr * seconds
    env = np.where((np.arange(n) / sr) % 2.0 < 1.5, 1.0, 1e-3)
    return (rng.normal(0, 0.1, (n, ch)) * env[:, None]).astype(np.float32)


def _tone(sr, ch, seconds=5):
    t = np.arange(sr * seconds) / sr
    return (0.3 * np.sin(2 * np.pi * 997 * t))[:, None].repeat(ch, 1).astype(np.float32)


def _music(sr, ch, seconds=8):
    """Seven partials with slow, different amplitude modulations; channels at different gains."""
    t = np.arange(sr * seconds) / sr
    y = sum(0.08 * np.sin(2 * np.pi * f * t + i) * (1 + 0.5 * np.sin(2 * np.pi * 0.4 * (i + 1) * t))
            for i, f in enumerate([110, 220, 330, 440, 660, 1320, 2640]))
    return (y[:, None] * np.linspace(1.0, 0.6, ch)[None, :]).astype(np.float32)


def _measure(y, sr, *, seed=0, max_block=None):
    meter = LoudnessMeter(sr, y.shape[1])
    rng = np.random.default_rng(seed)
    i = 0
    while i < len(y):
        k = int(rng.integers(1, max_block or sr))
        meter.process(y[i:i + k])
        i += k
    return meter


def _reference(y, sr):
    data = y[:, 0] if y.shape[1] == 1 else y
    return pyloudnorm.Meter(sr).integrated_loudness(data.astype(np.float64))


@pytest.mark.parametrize("sr", RATES)
@pytest.mark.parametrize("ch", [1, 2])
@pytest.mark.parametrize("make", [_bursts, _tone, _music], ids=["bursts", "tone", "music"])
def test_integrated_matches_pyloudnorm(sr, ch, make):
    y = make(sr, ch)
    got = _measure(y, sr).integrated_lufs()
    assert got == pytest.approx(_reference(y, sr), abs=0.3)


def test_gates_exclude_quiet_gaps():
    # 2 s of noise, then 2 s 45 dB lower (below the relative gate), four times.
    sr = 22050
    rng = np.random.default_rng(5)
    env = np.where((np.arange(sr * 16) / sr) % 4.0 < 2.0, 1.0, 10 ** (-45 / 20))
    y = (rng.normal(0, 0.1, len(env)) * env)[:, None]
    meter = _whole(y, sr)
    ungated = -0.691 + 10 * math.log10(float(np.mean(meter.block_powers())))
    bursts_only = _whole(y[env == 1.0], sr).integrated_lufs()
    assert meter.integrated_lufs() - ungated > 2.0  # ungated: about 3 dB lower
    # Only the blocks straddling an edge pull it below the bursts alone.
    assert meter.integrated_lufs() == pytest.approx(bursts_only, abs=0.8)


@pytest.mark.parametrize(("seconds", "max_block"), [(3, 7), (8, 1000), (8, 44100 * 3)])
def test_result_does_not_depend_on_block_cutting(seconds, max_block):
    sr = 44100
    y = _music(sr, 2, seconds=seconds)
    whole = _whole(y, sr)
    cut = _measure(y, sr, seed=max_block, max_block=max_block)
    assert cut.integrated_lufs() == pytest.approx(whole.integrated_lufs(), abs=1e-6)
    np.testing.assert_allclose(cut.block_loudness(), whole.block_loudness(), atol=1e-6)
    assert cut.peak_dbfs() == whole.peak_dbfs()


def _whole(y, sr):
    meter = LoudnessMeter(sr, y.shape[1])
    meter.process(y)
    return meter


def test_k_weighting_matches_bs1770_table_at_48k():
    sos = k_weighting_sos(48000)
    np.testing.assert_allclose(sos[0, :3], [1.53512485958697, -2.69169618940638, 1.19839281085285],
                               rtol=1e-9)
    np.testing.assert_allclose(sos[0, 4:], [-1.69065929318241, 0.73248077421585], rtol=1e-9)
    np.testing.assert_allclose(sos[1, 4:], [-1.99004745483398, 0.99007225036621], rtol=1e-9)


@pytest.mark.parametrize("sr", [8000, 44100, 96000])
def test_full_scale_997hz_sine_reads_minus_3_lufs(sr):
    # BS.1770: a 0 dBFS 997 Hz sine in one channel reads -3.01 LKFS.
    t = np.arange(sr * 3) / sr
    meter = LoudnessMeter(sr, 1)
    meter.process(np.sin(2 * np.pi * 997 * t)[:, None])
    assert meter.integrated_lufs() == pytest.approx(-3.01, abs=0.05)


def test_digital_silence_gives_none_without_warnings():
    meter = LoudnessMeter(44100, 2)
    with np.errstate(all="raise"):
        meter.process(np.zeros((44100 * 5, 2), np.float32))
        assert meter.integrated_lufs() is None
        assert meter.loudness_range_lu() is None
        assert meter.peak_dbfs() is None
        assert meter.chunk_loudness_lufs() is None
        assert np.all(np.isneginf(meter.block_loudness()))


def test_signal_below_absolute_gate_gives_none():
    meter = LoudnessMeter(48000, 1)
    meter.process(_tone(48000, 1) * 1e-4)  # about -83 LUFS
    assert meter.integrated_lufs() is None


def test_shorter_than_one_block_gives_none():
    meter = LoudnessMeter(48000, 1)
    meter.process(_tone(48000, 1)[:19000])  # 0.396 s: no complete 400 ms block
    assert meter.integrated_lufs() is None
    assert len(meter.block_loudness()) == 0


def test_peak_is_exact():
    y = _music(44100, 2)
    y[12345, 1] = -0.8125
    meter = _measure(y, 44100)
    assert meter.peak_dbfs() == pytest.approx(20 * math.log10(0.8125), abs=1e-9)


@pytest.mark.parametrize(("first_db", "second_db", "expected"), [(-20, -30, 10), (-20, -15, 5),
                                                                    (-40, -20, 20)])
def test_loudness_range_tech3342_cases(first_db, second_db, expected):
    # EBU Tech 3342 test signals 1-3: a 1 kHz stereo sine, 20 s at one level, 20 s at another.
    sr = 48000
    t = np.arange(sr * 20) / sr
    sine = np.sin(2 * np.pi * 1000 * t)
    y = np.concatenate([10 ** (first_db / 20) * sine, 10 ** (second_db / 20) * sine])
    meter = _measure(np.stack([y, y], 1), sr, max_block=sr * 5)
    assert meter.loudness_range_lu() == pytest.approx(expected, abs=1.0)


def test_chunk_loudness_is_per_chunk_and_ungated():
    sr = 22050
    loud, quiet = _tone(sr, 1, seconds=2), _tone(sr, 1, seconds=2) * 0.1
    meter = LoudnessMeter(sr, 1)
    meter.process(loud)
    first = meter.chunk_loudness_lufs()
    meter.process(quiet)
    second = meter.chunk_loudness_lufs()
    assert first - second == pytest.approx(20.0, abs=0.1)
    assert meter.chunk_loudness_lufs() is None  # nothing new since the last call


def test_five_one_weights_skip_lfe_and_boost_surrounds():
    np.testing.assert_array_equal(channel_weights(6), [1, 1, 1, 0, 1.41, 1.41])
    sr = 48000
    tone = _tone(sr, 1)[:, 0]
    only_lfe = np.zeros((len(tone), 6), np.float32)
    only_lfe[:, 3] = tone
    meter = _whole(only_lfe, sr)
    assert meter.integrated_lufs() is None
    front, surround = np.zeros_like(only_lfe), np.zeros_like(only_lfe)
    front[:, 0], surround[:, 4] = tone, tone
    diff = _whole(surround, sr).integrated_lufs() - _whole(front, sr).integrated_lufs()
    assert diff == pytest.approx(10 * math.log10(1.41), abs=1e-6)


@pytest.mark.parametrize(("sr", "ch"), [(7999, 1), (44100.0, 2), (44100, 0)])
def test_bad_meter_arguments_are_named(sr, ch):
    with pytest.raises(ValueError, match="sample_rate|channels"):
        LoudnessMeter(sr, ch)


def test_block_with_wrong_channel_count_is_refused():
    meter = LoudnessMeter(44100, 2)
    with pytest.raises(ValueError, match=r"\(frames, 2\)"):
        meter.process(np.zeros((100, 3)))
