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
    with pytest.raises(ValueError, match=r"\(frames, 2\), got \(100, 3\)"):
        meter.process(np.zeros((100, 3)))


# -- EBU Tech 3341 / 3342 conformance signals -----------------------------------------------
#
# The signals are specified in the documents: 1 kHz sines, the same in every channel, at the
# given peak levels (dBFS) and lengths (s), at 48 kHz.  A stereo sine at -23 dBFS reads
# -23 LUFS.  Tolerances are the documents' own: +-0.1 LU for loudness, +-1 LU for the range.

_EBU_SR = 48000


def _ebu_tone(level_db, seconds, channels=2, sr=_EBU_SR):
    t = np.arange(int(round(seconds * sr))) / sr
    y = 10.0 ** (level_db / 20.0) * np.sin(2 * np.pi * 1000.0 * t)
    return np.repeat(y[:, None], channels, axis=1)


def _ebu_sequence(parts, sr=_EBU_SR):
    return np.concatenate([_ebu_tone(db, s, sr=sr) for db, s in parts])


@pytest.mark.parametrize(("case", "parts"), [
    (1, [(-23, 20)]),
    (2, [(-33, 20)]),
    (3, [(-36, 10), (-23, 60), (-36, 10)]),  # -36 dBFS lies between the two gates
    (4, [(-72, 10), (-36, 10), (-23, 60), (-36, 10), (-72, 10)]),  # ... and below -70
    (5, [(-26, 20), (-20, 20.1), (-26, 20)]),  # both levels pass the gates
])
def test_tech3341_integrated_loudness(case, parts):
    expected = -33.0 if case == 2 else -23.0
    meter = _measure(_ebu_sequence(parts), _EBU_SR, seed=case, max_block=_EBU_SR * 3)
    assert meter.integrated_lufs() == pytest.approx(expected, abs=0.1)


@pytest.mark.parametrize("level", [-23, -33])
def test_tech3341_momentary_loudness_of_a_steady_tone(level):
    # Tech 3341 cases 1 and 2 also specify M: every 400 ms block reads the tone's level.
    meter = _whole(_ebu_tone(level, 20), _EBU_SR)
    blocks = meter.block_loudness()
    assert len(blocks) == 197  # 200 sub-blocks of 100 ms, windows of 4
    np.testing.assert_allclose(blocks, level, atol=0.1)


def test_tech3341_case6_five_channels():
    # L, R at -28 dBFS, C at -24 dBFS, Ls, Rs at -30 dBFS (order L R C Ls Rs): -23 LUFS,
    # which needs the surround channels weighted 1.41.
    levels = [-28, -28, -24, -30, -30]
    t = np.arange(20 * _EBU_SR) / _EBU_SR
    sine = np.sin(2 * np.pi * 1000.0 * t)
    y = np.stack([10.0 ** (db / 20.0) * sine for db in levels], axis=1)
    assert _whole(y, _EBU_SR).integrated_lufs() == pytest.approx(-23.0, abs=0.1)
    # The same programme with a silent LFE (5.1 order L R C LFE Ls Rs) reads the same.
    y6 = np.insert(y, 3, 0.0, axis=1)
    assert _whole(y6, _EBU_SR).integrated_lufs() == pytest.approx(-23.0, abs=0.1)


@pytest.mark.parametrize(("case", "parts", "expected"), [
    (1, [(-20, 20), (-30, 20)], 10.0),
    (2, [(-20, 20), (-15, 20)], 5.0),
    (3, [(-40, 20), (-20, 20)], 20.0),
    (4, [(-50, 20), (-35, 20), (-20, 20), (-35, 20), (-50, 20)], 15.0),
])
def test_tech3342_loudness_range(case, parts, expected):
    meter = _measure(_ebu_sequence(parts), _EBU_SR, seed=case, max_block=_EBU_SR * 5)
    assert meter.loudness_range_lu() == pytest.approx(expected, abs=1.0)


# -- gates at their boundaries ----------------------------------------------------------------


def test_absolute_gate_is_at_minus_70_lufs():
    above = _whole(_ebu_tone(-69, 5), _EBU_SR).integrated_lufs()
    assert above == pytest.approx(-69.0, abs=0.1)
    assert _whole(_ebu_tone(-71, 5), _EBU_SR).integrated_lufs() is None
    assert _whole(_ebu_tone(-71, 5), _EBU_SR).loudness_range_lu() is None


@pytest.mark.parametrize(("quiet_db", "counted"), [
    (-31.0, True),  # about 7 LU below the mean of the blocks: counted
    (-33.0, True),  # about 9 LU below: still counted
    (-34.0, True),  # 0.4 LU above the gate: counted
    (-35.0, False),  # 0.5 LU below the gate: left out
    (-36.0, False),  # about 11.5 LU below: between the relative and absolute gates, left out
    (-45.0, False),  # about 20 LU below: left out
])
def test_relative_gate_is_10_lu_below_the_mean(quiet_db, counted):
    # 20 s at -20 dBFS, then 40 s quieter.  When the quiet part is gated out the loudness is
    # that of the loud part alone; when it is counted it pulls the power mean down.
    sr = 8000
    got = _whole(_ebu_sequence([(-20, 20), (quiet_db, 40)], sr=sr), sr).integrated_lufs()
    loud_only = _whole(_ebu_tone(-20, 20, sr=sr), sr).integrated_lufs()
    parts = [(-20.0, 20.0)] + ([(quiet_db, 40.0)] if counted else [])
    mean_db = 10 * math.log10(sum(s * 10 ** (db / 10) for db, s in parts)
                              / sum(s for _, s in parts))
    assert got == pytest.approx(loud_only + (mean_db + 20.0), abs=0.1)


def _tech3342_oracle(short_term_lufs: np.ndarray) -> float:
    """Loudness range as EBU Tech 3342 states it, from short-term loudness values."""
    st = short_term_lufs[short_term_lufs > -70.0]
    gate = 10 * np.log10(np.mean(10 ** (st / 10))) - 20.0
    st = st[st > gate]
    return float(np.percentile(st, 95) - np.percentile(st, 10))


@pytest.mark.parametrize(("start_db", "end_db", "seconds"), [
    (-40.0, -20.0, 60.0),  # 20 dB: nothing gated, the range is 0.85 x the levels spanned
    (-65.0, -20.0, 90.0),  # 45 dB: the quietest part falls under the relative gate (-20 LU)
])
def test_loudness_range_of_a_level_ramp(start_db, end_db, seconds):
    # A 1 kHz tone whose level rises steadily (in dB) spreads the short-term loudness evenly,
    # so the 10th and 95th percentiles and the relative gate each land at a known level.
    sr = 8000
    t = np.arange(int(seconds * sr)) / sr
    rate = (end_db - start_db) / seconds  # dB per s
    y = 10 ** ((start_db + rate * t) / 20) * np.sin(2 * np.pi * 1000 * t)
    meter = _measure(np.stack([y, y], 1), sr, max_block=sr * 7)
    # Short-term windows (3 s) start every 100 ms; a window reads the level at its centre plus
    # a constant (the same for every window, so it cancels in a range).
    centres = 1.5 + 0.1 * np.arange(int(round((seconds - 3.0) / 0.1)) + 1)
    expected = _tech3342_oracle(start_db + rate * centres)
    if start_db == -40.0:
        assert expected == pytest.approx(0.85 * rate * (seconds - 3.0), abs=1e-6)
    else:
        assert expected < 0.85 * rate * (seconds - 3.0) - 5.0  # the gate does cut here
    assert meter.loudness_range_lu() == pytest.approx(expected, abs=0.2)


def _gating_oracle(block_powers: np.ndarray) -> float:
    """Integrated loudness from momentary block powers, as BS.1770-4 states the two gates."""
    lufs = -0.691 + 10 * np.log10(np.maximum(block_powers, 1e-300))
    above = block_powers[lufs > -70.0]
    relative = -0.691 + 10 * np.log10(np.mean(above)) - 10.0
    kept = block_powers[(lufs > -70.0) & (lufs > relative)]
    return float(-0.691 + 10 * np.log10(np.mean(kept)))


def test_gates_applied_to_blocks_spread_across_them():
    # A tone rising steadily from -85 to -5 dBFS: its blocks fill the whole range, so the
    # gates cut it at an exact point and any other gate level changes the result.
    sr = 8000
    t = np.arange(40 * sr) / sr
    y = 10 ** ((-85.0 + 2.0 * t) / 20) * np.sin(2 * np.pi * 1000 * t)
    meter = _whole(y[:, None], sr)
    powers = meter.block_powers()
    lufs = -0.691 + 10 * np.log10(powers)
    assert lufs.min() < -80 and lufs.max() > -10  # blocks below, between and above the gates
    assert meter.integrated_lufs() == pytest.approx(_gating_oracle(powers), abs=1e-9)


def test_shortest_measurable_signals():
    sr = 8000
    tone = _ebu_tone(-20, 3.0, channels=1, sr=sr)
    exactly_400ms = _whole(tone[: int(0.4 * sr)], sr)
    assert len(exactly_400ms.block_loudness()) == 1
    assert exactly_400ms.integrated_lufs() is not None
    assert exactly_400ms.loudness_range_lu() is None  # no 3 s window yet
    three_s = _whole(tone, sr)
    assert three_s.loudness_range_lu() == pytest.approx(0.0, abs=1e-9)  # one window
    assert _whole(tone[: int(2.9 * sr)], sr).loudness_range_lu() is None


def test_a_meter_fed_nothing_measures_nothing():
    meter = LoudnessMeter(44100, 2)
    meter.process(np.zeros((0, 2)))
    assert meter.integrated_lufs() is None and meter.loudness_range_lu() is None
    assert meter.chunk_loudness_lufs() is None and meter.peak_dbfs() is None
    assert len(meter.block_loudness()) == 0 and meter.duration_s == 0.0


def test_mono_blocks_may_be_one_dimensional():
    y = _music(22050, 1)
    flat, column = LoudnessMeter(22050, 1), LoudnessMeter(22050, 1)
    flat.process(y[:, 0])
    column.process(y)
    assert flat.integrated_lufs() == column.integrated_lufs()
    assert flat.duration_s == column.duration_s == 8.0
    with pytest.raises(ValueError, match=r"block must be shaped \(frames, 2\), got \(100,\)"):
        LoudnessMeter(22050, 2).process(np.zeros(100))


@pytest.mark.parametrize(("sr", "ok"), [(8000, True), (384000, True), (7999, False),
                                        (384001, False)])
def test_sample_rate_limits(sr, ok):
    if ok:
        assert LoudnessMeter(sr, 1).sample_rate == sr
        assert k_weighting_sos(sr).shape == (2, 6)
    else:
        # The meter refuses the rate itself, before designing its filter.
        with pytest.raises(ValueError,
                           match=f"sample_rate must be an integer 8000-384000 Hz, got {sr}"):
            LoudnessMeter(sr, 1)
        with pytest.raises(ValueError, match=f"sample_rate must be 8000-384000 Hz, got {sr}"):
            k_weighting_sos(sr)


def test_channel_limits():
    assert LoudnessMeter(48000, 64).channels == 64
    with pytest.raises(ValueError, match="channels must be an integer 1-64, got 65"):
        LoudnessMeter(48000, 65)


def test_non_finite_samples_are_refused_by_name():
    meter = LoudnessMeter(8000, 1)
    with pytest.raises(ValueError, match="^block holds NaN or infinite samples$"):
        meter.process(np.array([0.1, np.nan, 0.2]))


def test_duration_counts_every_frame_fed():
    meter = LoudnessMeter(8000, 2)
    for n in (3, 8000, 0, 997):
        meter.process(np.zeros((n, 2)))
    assert meter.duration_s == (3 + 8000 + 997) / 8000


def test_a_block_needs_every_one_of_its_samples():
    sr = 8000
    tone = _ebu_tone(-20, 1.0, channels=1, sr=sr)
    assert len(_whole(tone[: int(0.4 * sr) - 1], sr).block_loudness()) == 0
    assert len(_whole(tone[: int(0.4 * sr)], sr).block_loudness()) == 1


def test_chunk_loudness_covers_each_chunk_from_its_first_sub_block():
    # Each chunk is 100 ms loud then 100 ms 20 dB quieter: its ungated power mean is the
    # mean of the two, whichever chunk it is.
    sr = 8000
    loud = _ebu_tone(-20, 0.1, channels=1, sr=sr)
    chunk = np.concatenate([loud, 0.1 * loud])
    expected = 10 * math.log10((10 ** -2.0 + 10 ** -4.0) / 2)
    meter = LoudnessMeter(sr, 1)
    got = []
    for _ in range(3):
        meter.process(chunk)
        got.append(meter.chunk_loudness_lufs())
    reference = _whole(loud, sr).chunk_loudness_lufs() + 20.0  # the meter's scale at 1 kHz
    assert got == pytest.approx([reference + expected] * 3, abs=0.05)
