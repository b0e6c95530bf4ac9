"""The heuristic descriptors move the documented way when the same material changes.

Each test synthesizes one piece of material and a variant of it (brighter, louder, denser,
more compressed, with silence, in the other mode...), measures both through the real frame
features and loudness meter, and checks that each descriptor moves as the one-line
definitions in :mod:`core.analysis.descriptors` say, and that the others stay put where
the definition says they do not depend on the change.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from core.analysis.descriptors import SILENCE_DBFS, compute_descriptors
from core.analysis.features import FeatureStream
from core.analysis.loudness import LoudnessMeter

SR = 22050
SECONDS = 12.0


def _chord(t, *, bright: bool, minor: bool = False):
    """A sustained C triad (E or Eb), 3 partials per note, or 12 partials when ``bright``."""
    third = 311.13 if minor else 329.63
    n_partials = 12 if bright else 3
    y = np.zeros_like(t)
    for f0 in (261.63, third, 392.0, 130.81):
        for h in range(1, n_partials + 1):
            # Bright: the upper partials decay slowly; dark: they fall off fast.
            amp = (0.8 ** (h - 1)) if bright else (0.35 ** (h - 1))
            y += amp * np.sin(2 * np.pi * f0 * h * t + h)
    return y / 4.0


def _hits(n, *, bpm: float, per_beat: int, seed: int, bright: bool):
    """Percussive noise bursts on every beat (or ``per_beat`` times a beat)."""
    rng = np.random.default_rng(seed)
    y = np.zeros(n)
    length = int(0.08 * SR)
    decay = np.exp(-np.arange(length) / (0.015 * SR))
    step = 60.0 / bpm / per_beat
    for k, start in enumerate(np.arange(0.0, n / SR, step)):
        i = int(start * SR)
        burst = rng.normal(0.0, 1.0, length) * decay
        if not bright:  # a dull thump: low-passed noise
            burst = np.convolve(burst, np.ones(16) / 16, mode="same")
        accent = 1.0 if k % per_beat == 0 else 0.7
        seg = burst[: max(0, min(length, n - i))]
        y[i:i + seg.size] += accent * seg
    return y


def _material(*, gain_db=-12.0, bright=False, per_beat=1, compress=False, minor=False,
              hits=True, seed=3):
    """The same short piece of music in several versions (mono float32, SR Hz)."""
    n = int(SECONDS * SR)
    t = np.arange(n) / SR
    y = 0.5 * _chord(t, bright=bright, minor=minor)
    if hits:
        y = y + 0.9 * _hits(n, bpm=120.0, per_beat=per_beat, seed=seed, bright=bright)
    y = y / np.max(np.abs(y))
    if compress:  # a hard-driven limiter: peaks squashed, quiet parts brought up
        y = np.tanh(6.0 * y) / np.tanh(6.0)
    return (10 ** (gain_db / 20) * y).astype(np.float32)


def _describe(y, *, tempo_bpm=120.0, tempo_confidence=0.8, key_mode="major",
              key_confidence=0.8):
    feats = FeatureStream(SR)
    feats.process(y)
    feats.finish()
    meter = LoudnessMeter(SR, 1)
    meter.process(y)
    return compute_descriptors(
        rms=feats.rms, centroid_hz=feats.centroid_hz, flatness=feats.flatness,
        onset_envelope=feats.onset_envelope, frame_rate=feats.frame_rate,
        tempo_bpm=tempo_bpm, tempo_confidence=tempo_confidence,
        key_mode=key_mode, key_confidence=key_confidence,
        loudness_lufs=meter.integrated_lufs(), peak_dbfs=meter.peak_dbfs())


@pytest.fixture(scope="module")
def base():
    return _describe(_material())


def test_every_descriptor_lies_on_its_scale(base):
    for name in ("energy", "danceability", "valence", "acousticness"):
        assert 0.0 < getattr(base, name) < 1.0, name
    assert 0.0 < base.dynamic_range_db < 30.0
    assert 100.0 < base.brightness_hz < SR / 2
    assert base.silence_ratio == 0.0


def test_louder_raises_energy_only(base):
    # Energy counts loudness from -30 to -6 LUFS; a pure gain changes neither the timbre
    # (brightness, flatness) nor the crest factor (dynamic range) nor the beat.
    loud = _describe(_material(gain_db=-1.0))
    assert loud.energy > base.energy + 0.1
    assert loud.brightness_hz == pytest.approx(base.brightness_hz, rel=0.01)
    assert loud.dynamic_range_db == pytest.approx(base.dynamic_range_db, abs=0.1)
    assert loud.valence == pytest.approx(base.valence, abs=0.01)
    assert loud.danceability == pytest.approx(base.danceability, abs=0.02)
    assert loud.acousticness == pytest.approx(base.acousticness, abs=0.02)


def test_brighter_raises_brightness_energy_and_valence_and_lowers_acousticness(base):
    bright = _describe(_material(bright=True))
    assert bright.brightness_hz > base.brightness_hz * 1.5
    assert bright.energy > base.energy
    assert bright.valence > base.valence
    assert bright.acousticness < base.acousticness


def test_denser_onsets_raise_energy_and_lower_acousticness(base):
    dense = _describe(_material(per_beat=4))  # sixteenth notes instead of quarter notes
    assert dense.energy > base.energy + 0.05
    assert dense.acousticness < base.acousticness


def test_major_mode_raises_valence_and_minor_lowers_it():
    y = _material()
    major = _describe(y, key_mode="major", key_confidence=0.9)
    minor = _describe(_material(minor=True), key_mode="minor", key_confidence=0.9)
    unknown = _describe(y, key_mode=None)
    assert major.valence > unknown.valence > minor.valence
    # The mode term carries half of valence: +-0.5 x 0.5 x confidence around the middle.
    assert major.valence - unknown.valence == pytest.approx(0.225, abs=0.01)
    # The more certain the mode, the further it moves valence; nothing else moves.
    unsure = _describe(y, key_mode="major", key_confidence=0.3)
    assert unknown.valence < unsure.valence < major.valence
    assert unsure.energy == major.energy and unsure.danceability == major.danceability


def test_faster_tempo_raises_valence():
    y = _material()
    slow, fast = _describe(y, tempo_bpm=70.0), _describe(y, tempo_bpm=150.0)
    assert fast.valence > slow.valence


def test_danceability_follows_beat_confidence_pulse_and_dance_tempo():
    y = _material()
    steady, unsure = _describe(y, tempo_confidence=0.9), _describe(y, tempo_confidence=0.2)
    assert steady.danceability > unsure.danceability + 0.2
    in_range, too_fast = _describe(y, tempo_bpm=112.0), _describe(y, tempo_bpm=175.0)
    assert in_range.danceability > too_fast.danceability + 0.1
    no_beat = _describe(y, tempo_bpm=None)
    assert no_beat.danceability < unsure.danceability


def test_danceability_rises_with_a_stronger_pulse():
    # The same chords over a noise bed, with the beat's hits faint or strong.
    n = int(SECONDS * SR)
    t = np.arange(n) / SR
    bed = 0.5 * _chord(t, bright=False) + np.random.default_rng(1).normal(0.0, 0.05, n)
    beat = _hits(n, bpm=120.0, per_beat=1, seed=3, bright=False)

    def version(hit_gain):
        y = bed + hit_gain * beat
        return (0.25 * y / np.max(np.abs(y))).astype(np.float32)

    faint = _describe(version(0.1), tempo_confidence=0.5)
    strong = _describe(version(0.9), tempo_confidence=0.5)
    assert strong.danceability > faint.danceability + 0.08


def test_compression_lowers_dynamic_range_and_acousticness(base):
    squashed = _describe(_material(compress=True))
    assert squashed.dynamic_range_db < base.dynamic_range_db - 3.0
    assert squashed.acousticness < base.acousticness


def test_noise_lowers_acousticness():
    n = int(SECONDS * SR)
    t = np.arange(n) / SR
    tonal = (0.2 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)
    noise = np.random.default_rng(0).normal(0, 0.07, n).astype(np.float32)
    assert _describe(noise).acousticness < _describe(tonal).acousticness - 0.3


def _sine(freq, seconds, amp):
    t = np.arange(int(seconds * SR)) / SR
    return (amp * np.sin(2 * np.pi * freq * t)).astype(np.float32)


@pytest.mark.parametrize("freq", [500.0, 3000.0])
def test_brightness_of_a_pure_tone_is_its_frequency(freq):
    d = _describe(_sine(freq, 6.0, 0.3))
    assert d.brightness_hz == pytest.approx(freq, rel=0.05)


def test_dynamic_range_of_a_steady_sine_is_its_crest_factor():
    # A sine's peak is 3.01 dB above its RMS, whatever its level.
    for amp in (0.5, 0.05):
        assert _describe(_sine(1000.0, 9.0, amp)).dynamic_range_db == pytest.approx(3.01,
                                                                                   abs=0.1)


def test_dynamic_range_is_measured_on_the_loudest_blocks():
    # 3 s of a loud sine, then 12 s of the same sine 30 dB quieter: the peak is the loud
    # part's, and so is the RMS of the loudest 20 % of 3 s blocks, so the range stays 3 dB.
    # (Measured over the quiet blocks it would read 33 dB.)
    y = np.concatenate([_sine(1000.0, 3.0, 0.5), _sine(1000.0, 12.0, 0.5 * 10 ** (-30 / 20))])
    assert _describe(y).dynamic_range_db == pytest.approx(3.01, abs=0.3)


def test_dynamic_range_counts_a_fifth_of_the_blocks():
    # Ten 3 s blocks: two at full level and eight 20 dB down.  The loudest 20 % are the two
    # loud blocks; one more block (30 %) would pull the RMS down and widen the range.
    loud, quiet = _sine(1000.0, 3.0, 0.5), _sine(1000.0, 3.0, 0.05)
    y = np.concatenate([loud, quiet, quiet, loud] + [quiet] * 6)
    assert _describe(y).dynamic_range_db == pytest.approx(3.01, abs=0.3)


def test_silence_ratio_counts_frames_below_minus_60_dbfs():
    tone = _sine(440.0, 6.0, 0.3)
    silent = np.zeros(int(2.0 * SR), np.float32)
    d = _describe(np.concatenate([tone, silent]))
    assert d.silence_ratio == pytest.approx(0.25, abs=0.01)
    # A tone 55 dB down is quiet, not silent; 65 dB down is silent.
    assert SILENCE_DBFS == -60.0
    quiet = _sine(440.0, 2.0, math.sqrt(2) * 10 ** (-55 / 20))
    faint = _sine(440.0, 2.0, math.sqrt(2) * 10 ** (-65 / 20))
    assert _describe(np.concatenate([tone, quiet])).silence_ratio == pytest.approx(0.0,
                                                                                   abs=0.01)
    assert _describe(np.concatenate([tone, faint])).silence_ratio == pytest.approx(0.25,
                                                                                   abs=0.01)


def test_silence_and_empty_input_leave_the_descriptors_empty():
    empty = compute_descriptors(rms=np.zeros(0), centroid_hz=np.zeros(0), flatness=np.zeros(0),
                                onset_envelope=np.zeros(0), frame_rate=86.0, tempo_bpm=None,
                                tempo_confidence=0.0, key_mode=None, key_confidence=0.0,
                                loudness_lufs=None, peak_dbfs=None)
    assert empty.energy is None and empty.dynamic_range_db is None
    assert empty.silence_ratio == 1.0
    silent = _describe(np.zeros(int(4 * SR), np.float32), tempo_bpm=None, key_mode=None)
    assert silent.energy is None and silent.valence is None and silent.brightness_hz is None
    assert silent.silence_ratio == 1.0
    with pytest.raises(ValueError, match="frame_rate must be positive"):
        compute_descriptors(rms=np.ones(3), centroid_hz=np.ones(3), flatness=np.ones(3),
                            onset_envelope=np.ones(3), frame_rate=0.0, tempo_bpm=None,
                            tempo_confidence=0.0, key_mode=None, key_confidence=0.0,
                            loudness_lufs=-20.0, peak_dbfs=-1.0)
