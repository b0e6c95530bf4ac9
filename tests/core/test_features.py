"""Streaming frame features: independence from the cutting, units, chunk ranges, bad input."""

from __future__ import annotations

import numpy as np
import pytest

from benchmarks.synth import noise, render_song, silence
from core.analysis.features import FeatureStream
from core.io.keynotation import Key

SR = 22050


def _song(seconds=12.0):
    return render_song(bpm=112, key=Key(2, "major"), seconds=seconds, sr=SR, seed=5).mean(axis=1)


def _features(y, pieces=None, *, chunks=None):
    fs = FeatureStream(SR)
    if pieces is None:
        fs.process(y)
    else:
        for a, b in zip(pieces[:-1], pieces[1:], strict=True):
            fs.process(y[a:b])
            if chunks and b in chunks:
                fs.mark_chunk()
    return fs.finish()


def test_random_pieces_give_the_same_features():
    y = _song()
    rng = np.random.default_rng(1)
    cuts = np.sort(rng.choice(np.arange(1, len(y)), size=40, replace=False))
    # Include some tiny pieces (shorter than one hop) and an empty one.
    cuts = np.concatenate([[0, 3, 3, 100], cuts[cuts > 100], [len(y)]])
    whole, cut = _features(y), _features(y, list(cuts))
    for name in ("onset_envelope", "onset_bands", "decay_bands", "rms", "centroid_hz",
                 "flatness", "chroma36", "bass36"):
        a, b = getattr(whole, name), getattr(cut, name)
        assert a.shape == b.shape, name
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5, err_msg=name)
    np.testing.assert_allclose(whole.chroma, cut.chroma, rtol=1e-4, atol=1e-6)


def test_frame_counts_follow_the_duration():
    y = _song(10.0)
    fs = _features(y)
    assert fs.frame_rate == pytest.approx(SR / 256)
    assert fs.pitch_frame_rate == pytest.approx(SR / 2048)
    assert len(fs.onset_envelope) == len(y) // 256 + 1
    assert fs.chroma.shape == (12, len(y) // 2048 + 1)
    assert fs.bass_chroma.shape == fs.chroma.shape
    assert fs.duration_s == pytest.approx(10.0)


def test_chunk_frames_cover_the_song_in_order():
    y = _song(12.0)
    step = 4 * SR
    edges = list(range(0, len(y), step)) + [len(y)]
    fs = _features(y, edges, chunks=set(edges[1:]))
    onset, pitch = fs.chunk_frames(), fs.chunk_frames(grid="pitch")
    assert len(onset) == len(pitch) == 3
    assert onset[0][0] == 0 and pitch[0][0] == 0
    assert onset[-1][1] >= len(fs.onset_envelope) - 1
    for (a, b), (c, _) in zip(onset[:-1], onset[1:], strict=True):
        assert b == c and b - a == pytest.approx(4 * SR / 256, abs=1)


def test_units_of_a_sine():
    t = np.arange(4 * SR) / SR
    y = (0.5 * np.sin(2 * np.pi * 1000.0 * t)).astype(np.float32)
    fs = _features(y)
    mid = slice(10, -10)
    assert np.median(fs.rms[mid]) == pytest.approx(0.5 / np.sqrt(2), rel=0.02)
    assert np.median(fs.centroid_hz[mid]) == pytest.approx(1000.0, rel=0.05)
    assert np.median(fs.flatness[mid]) < 0.01
    # 1 kHz is between B5 and C6: the chroma peaks at B or C.
    assert int(np.argmax(fs.chroma.sum(axis=1))) in (11, 0)


def test_noise_is_flat_and_silence_is_zero():
    fn = _features(noise(4.0, SR))
    assert np.median(fn.flatness) > 0.3
    fs = _features(silence(4.0, SR))
    for arr in (fs.onset_envelope, fs.rms, fs.centroid_hz, fs.flatness, fs.chroma):
        assert np.all(np.isfinite(arr)) and not np.any(arr)


def test_empty_stream_finishes_with_empty_arrays():
    fs = FeatureStream(SR).finish()
    assert fs.onset_envelope.shape == (0,)
    assert fs.chroma.shape == (12, 0)
    assert fs.chunk_frames() == []


def test_stereo_input_is_rejected():
    with pytest.raises(ValueError, match="1-D"):
        FeatureStream(SR).process(np.zeros((100, 2), dtype=np.float32))


def test_bad_sample_rate_is_rejected():
    with pytest.raises(ValueError, match="sample_rate"):
        FeatureStream(100)


def test_process_after_finish_is_rejected():
    fs = FeatureStream(SR)
    fs.finish()
    with pytest.raises(RuntimeError):
        fs.process(np.zeros(10, dtype=np.float32))


def test_bad_grid_name_is_rejected():
    with pytest.raises(ValueError, match="grid"):
        FeatureStream(SR).finish().chunk_frames(grid="beats")


def test_non_finite_samples_are_zeroed():
    y = _song(5.0)
    y[1000:1100] = np.nan
    fs = _features(y)
    assert np.all(np.isfinite(fs.onset_envelope)) and np.all(np.isfinite(fs.chroma))


@pytest.mark.parametrize(("cents", "shift"), [(0.0, 0), (40.0, 1), (-40.0, -1)])
def test_a_detuned_chord_keeps_its_pitch_classes(cents, shift):
    # An A major chord played 40 cents sharp or flat (a band tuned away from A = 440 Hz): the
    # tuning is found, and the chroma stays on A, C# and E instead of leaking into neighbours.
    t = np.arange(6 * SR) / SR
    ratio = 2.0 ** (cents / 1200.0)
    y = sum(0.2 * np.sin(2 * np.pi * f * ratio * t) for f in (220.0, 277.18, 329.63, 440.0))
    fs = _features(y.astype(np.float32))
    assert fs.tuning_shift == shift
    chroma = fs.chroma.sum(axis=1)
    assert chroma[[9, 1, 4]].sum() >= 0.95 * chroma.sum(), np.round(chroma / chroma.sum(), 2)


@pytest.mark.parametrize("scale", [1e-6, 1.0, 300.0, 1e5, 1e7])  # 1e7: products overflow
def test_mean_log_of_the_flatness_equals_the_mean_of_the_logarithms(scale):
    from core.analysis.features import _mean_log

    rng = np.random.default_rng(7)
    power = (rng.standard_normal((40, 513)).astype(np.float32) * np.float32(scale)) ** 2
    power += np.float32(1e-12)
    want = np.mean(np.log(power.astype(np.float64)), axis=1)
    got = _mean_log(power)
    assert np.all(np.isfinite(got))
    assert np.allclose(got, want, atol=1e-5)


def test_mean_log_takes_a_length_that_is_not_a_multiple_of_three():
    from core.analysis.features import _mean_log

    power = np.random.default_rng(8).random((5, 100)).astype(np.float32) + np.float32(1e-3)
    assert np.allclose(_mean_log(power), np.mean(np.log(power), axis=1), atol=1e-5)
