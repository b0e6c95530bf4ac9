"""The key is read from the music, not from applause before and after it or a tape's hiss
after it (:func:`core.analysis.keyevidence.noise_ends`)."""

from __future__ import annotations

import numpy as np
import pytest

import core.analysis.keyevidence as keyevidence
from benchmarks.synth import applause, noise
from core.analysis.key import estimate_key
from core.analysis.keyevidence import noise_ends, sounding_frames
from core.io.keynotation import Key
from tests.core.streams import SR, features_of
from tests.core.test_pulseless_ends import _mono


def _key(y: np.ndarray):
    return estimate_key(features_of(y)).key


def test_applause_around_a_song_does_not_move_its_key():
    # Read with the applause, as loud as the song (RMS), this 6/8 song was in F major, a
    # fifth below its B-flat major.
    truth = Key(10, "major")
    y = _mono("sixeight", 75.65, 110, key=truth)
    level = float(np.sqrt(np.mean(y**2)))
    live = np.concatenate([applause(15.0, SR, seed=10, level=level), y,
                           applause(8.0, SR, seed=60, level=level)])
    assert _key(y) == truth
    assert _key(live) == truth


def test_a_long_hiss_after_a_song_does_not_take_its_key():
    # 180 s of hiss at -50 dBFS after 30 s of a song: "too evenly spread" before
    truth = Key(2, "major")
    y = _mono("dnb", 183.4, 102, key=truth)
    assert _key(np.concatenate([y, noise(180.0, SR, seed=2, level=10 ** (-50 / 20))])) == truth


def _chroma(*parts: tuple[str, int]) -> np.ndarray:
    """Chroma frames: ``("noise", n)`` every pitch class alike, ``("chord", n)`` a C major
    triad, ``("silence", n)`` nothing."""
    rng = np.random.default_rng(0)
    cols = []
    for kind, n in parts:
        if kind == "noise":
            cols.append(1.0 + 0.02 * rng.random((12, n)))
        elif kind == "chord":
            c = np.full((12, n), 1e-3)
            c[[0, 4, 7]] = 1.0
            cols.append(c)
        else:
            cols.append(np.zeros((12, n)))
    return np.concatenate(cols, axis=1)


def test_noise_at_either_end_is_left_out_within_the_smoothing():
    c = _chroma(("noise", 60), ("chord", 100), ("noise", 80))
    first, stop = noise_ends(c, c.sum(axis=0) > 0)
    # the evenness is averaged over 21 frames: a few frames of noise beside the chord count
    # as pitched, never more than half the window
    assert 60 - 10 <= first < 60
    assert 160 < stop <= 160 + 10
    snd = sounding_frames(c)
    assert not snd[:first].any() and not snd[stop:].any() and snd[first:stop].all()


def test_the_opening_and_final_chords_are_read_in_the_music_not_the_noise_around_it():
    # 6 s of noise, 15 s of a C major chord, 19 s of noise, on the analyzer's pitch grid:
    # the first and the last chord are read where the chord is (with the few frames of
    # noise the smoothing keeps beside it); read in the noise, every key's triad would be
    # there alike
    c = _chroma(("noise", 60), ("chord", 160), ("noise", 200))
    f = keyevidence.key_features(c, None, 22050 / 2048)
    for name in ("tonic triad in the final chord", "tonic triad in the first chord"):
        column = f[:, keyevidence.KEY_FEATURES.index(name)]
        assert column[0] == pytest.approx(1.0, abs=0.01), name  # C major: the chord itself
        assert column[6] < 0.6, name  # F# major: none of its notes but in the noise
    for name in ("ending correlation", "opening correlation"):
        column = f[:, keyevidence.KEY_FEATURES.index(name)]
        assert column[0] == column.max() and column[0] > 0.6, name


def test_noise_between_two_songs_is_kept():
    c = _chroma(("chord", 50), ("noise", 60), ("chord", 50))
    assert noise_ends(c, c.sum(axis=0) > 0) == (0, 160)
    assert sounding_frames(c).all()


def test_silence_then_noise_at_the_start_are_left_out():
    c = _chroma(("silence", 30), ("noise", 40), ("chord", 100))
    first, stop = noise_ends(c, c.sum(axis=0) > 0)
    assert 60 <= first < 70 and stop == 170


def test_noise_alone_is_kept_whole():
    c = _chroma(("noise", 80))
    assert noise_ends(c, c.sum(axis=0) > 0) == (0, 80)
    assert sounding_frames(c).all()


@pytest.mark.parametrize("evenness, left_out", [(0.9005, True), (0.8995, False)])
def test_the_limit_of_noise_is_an_evenness_of_0_9(evenness, left_out):
    # the square roots of the pitch classes: one at 1, the others at a level that gives a
    # frame of that evenness (their mean over the largest)
    other = (12 * evenness - 1) / 11
    frame = np.full(12, other**2)
    frame[0] = 1.0
    c = np.concatenate([np.tile(frame[:, None], (1, 40)), _chroma(("chord", 100))], axis=1)
    first, _ = noise_ends(c, c.sum(axis=0) > 0)
    assert (first > 0) == left_out
    assert keyevidence._NOISE_EVENNESS == 0.9
