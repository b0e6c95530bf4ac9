"""The bass note in the song's and the chunks' key, and what a chunk's key estimate says:
its confidence and why a chunk has no key.  On chroma arrays of known pitch classes."""

from __future__ import annotations

import numpy as np
import pytest

from core.analysis.key import (
    NO_KEY_BRIEF,
    NO_KEY_FEW,
    NO_KEY_SILENT,
    chunk_keys,
    estimate_key,
    key_scores,
    key_table,
)
from core.analysis.keyevidence import pitch_profile
from core.io.keynotation import Key

RATE = 10.0  # pitch frames a second
A_MINOR, C_MAJOR = Key(9, "minor"), Key(0, "major")


class _Arrays:
    """Chroma and bass chroma cut into chunks, read as :func:`chunk_keys` reads a
    FeatureStream."""

    pitch_frame_rate = RATE

    def __init__(self, chroma, bass, chunks):
        self.chroma, self.bass_chroma, self._chunks = chroma, bass, chunks

    def chunk_frames(self, grid):
        assert grid == "pitch"
        return list(self._chunks)


def _a_c_e_g(bass_root: int | tuple | None, frames: int = 300):
    """A, C, E and G held alike (the notes of A minor's and of C major's tonic triads
    together), over ``bass_root`` in the bass (a pitch class, or several taken in turn frame
    by frame), or over no bass (``None``)."""
    chroma = np.zeros((12, frames))
    chroma[[9, 0, 4, 7]] = 1.0
    bass = np.zeros((12, frames))
    if bass_root is not None:
        roots = np.atleast_1d(bass_root)
        bass[roots[np.arange(frames) % len(roots)], np.arange(frames)] = 1.0
    return chroma, bass


@pytest.mark.parametrize(("root", "key"), [(9, A_MINOR), (0, C_MAJOR)])
def test_the_bass_note_decides_between_a_major_key_and_its_relative_minor(root, key):
    """Over A in the bass the four notes are A minor, over C they are C major: the song's
    key, its decision's profile column, and each chunk read alone."""
    chroma, bass = _a_c_e_g(root)
    assert estimate_key(chroma, bass_chroma=bass, frame_rate=RATE).key == key
    other = C_MAJOR if key == A_MINOR else A_MINOR
    table = key_table(chroma, bass, RATE)
    assert table[key.index, -1] > table[other.index, -1]  # the profile score with the bass
    chunks = chunk_keys(_Arrays(chroma, bass, [(0, 150), (150, 300)]))
    assert [c.key for c in chunks] == [key, key]


def test_a_chunks_bass_counts_relative_to_its_strongest_note():
    """A bass playing A twice as often as C (A, A, C in turn) gives A the full weight of a
    bass note and C half of it, whatever the level: the chunk is A minor."""
    chroma, bass = _a_c_e_g((9, 9, 0))
    profile = pitch_profile(bass)
    assert profile.max() == pytest.approx(2 / 3)
    chunks = chunk_keys(_Arrays(chroma, bass, [(0, 150), (150, 300)]))
    assert [c.key for c in chunks] == [A_MINOR, A_MINOR]
    scores = key_scores(pitch_profile(chroma), profile)
    np.testing.assert_allclose(scores, key_scores(pitch_profile(chroma), 3.0 * profile))


def test_a_sound_without_a_bass_reads_its_key_from_the_rest():
    """No note in the bass range (a flute, a high synth line): a bass chroma of zeros is
    no evidence, as none at all is, and every score stays a number."""
    chroma, silent_bass = _a_c_e_g(None)
    with_zeros = estimate_key(chroma, bass_chroma=silent_bass, frame_rate=RATE)
    without = estimate_key(chroma, frame_rate=RATE)
    assert with_zeros.key == without.key is not None
    assert with_zeros.confidence == pytest.approx(without.confidence)
    table = key_table(chroma, silent_bass, RATE)
    assert np.all(np.isfinite(table))
    np.testing.assert_allclose(table[:, -1], key_scores(pitch_profile(chroma)))
    chunk = chunk_keys(_Arrays(chroma, silent_bass, [(0, 300)]))[0]
    assert chunk.key == without.key and np.all(np.isfinite(chunk.scores))
    assert 0.0 < chunk.confidence <= 1.0


def _best_two_and_fit(chroma, bass):
    scores = np.sort(key_scores(pitch_profile(chroma), pitch_profile(bass)))[::-1]
    fit = float(key_scores(pitch_profile(chroma)).max())  # the best template correlation
    return scores[0], scores[1], fit


def test_a_chunks_confidence_is_its_margin_over_the_next_key_times_its_fit():
    """A chunk read against the templates alone: the margin of its best key's score over
    the second best's, a margin of 0.15 or more counting in full, times how well its
    profile fits the best key's template (a correlation under 1).  With A and C in the bass
    C major leads A minor by a little (0.09) and the third key by much more; with C alone,
    C major leads by a lot."""
    for root, full in (((9, 0), False), (0, True)):
        chroma, bass = _a_c_e_g(root)
        chunk = chunk_keys(_Arrays(chroma, bass, [(0, 300)]))[0]
        first, second, fit = _best_two_and_fit(chroma, bass)
        assert 0.0 < fit < 1.0
        margin = first - second
        assert (margin >= 0.15) == full, margin
        assert chunk.confidence == pytest.approx(min(1.0, margin / 0.15) * fit)
        assert chunk.confidence < fit or full


def test_a_song_weight_of_zero_leaves_each_chunk_to_itself():
    """The song's scores added at weight 0 change nothing (a weight below 0 is refused)."""
    chroma, bass = _a_c_e_g(9)
    arrays = _Arrays(chroma, bass, [(0, 150), (150, 300)])
    c_chroma, c_bass = _a_c_e_g(0)
    song = estimate_key(c_chroma, bass_chroma=c_bass, frame_rate=RATE)
    assert song.key == C_MAJOR  # a song prior that would pull the chunks to C major
    alone = chunk_keys(arrays)
    weighed = chunk_keys(arrays, song=song, song_weight=0.0)
    assert [c.key for c in weighed] == [c.key for c in alone] == [A_MINOR, A_MINOR]
    assert [c.confidence for c in weighed] == pytest.approx([c.confidence for c in alone])


def test_why_a_chunk_has_no_key():
    """A chunk with no sound at all is "no pitched sound"; one whose only sound is three
    frames of one note (0.3 s) is "under 0.5 s of pitched sound"; one of a note held 2 s,
    or of a fifth, is too few pitch classes.  The song, 30 s of the four notes after them,
    has its key, and so has its last chunk."""
    chroma, bass = _a_c_e_g(9, frames=500)
    chroma[:, :200] = 0.0
    bass[:, :200] = 0.0
    chroma[9, 50:53] = 1.0  # a short A in the second chunk
    chroma[9, 100:120] = 1.0  # a held A in the third
    chroma[[9, 4], 150:170] = 1.0  # A and E in the fourth
    first, second, third, fourth, last = chunk_keys(_Arrays(
        chroma, bass, [(0, 50), (50, 100), (100, 150), (150, 200), (200, 500)]))
    assert (first.key, first.reason) == (None, NO_KEY_SILENT)
    assert (second.key, second.reason) == (None, NO_KEY_BRIEF)
    assert (third.key, third.reason) == (None, NO_KEY_FEW)
    assert (fourth.key, fourth.reason) == (None, NO_KEY_FEW)
    assert (last.key, last.reason) == (A_MINOR, "")


def test_a_chunks_scores_put_its_key_first():
    """A chunk's scores (its profile's fit to each key, plus the song's scores as its prior)
    rank the key it is given first, alone or leaning on the song."""
    chroma, bass = _a_c_e_g(9, frames=400)
    chroma[[0, 4, 7], 200:] = 1.0  # the second chunk: C major's triad over C
    chroma[9, 200:] = 0.0
    bass[:, 200:] = 0.0
    bass[0, 200:] = 1.0
    arrays = _Arrays(chroma, bass, [(0, 200), (200, 400)])
    song = estimate_key(chroma, bass_chroma=bass, frame_rate=RATE)
    for chunks in (chunk_keys(arrays), chunk_keys(arrays, song=song)):
        assert [c.key for c in chunks] == [A_MINOR, C_MAJOR]
        for c in chunks:
            assert int(np.argmax(c.scores)) == c.key.index


def test_a_pitch_class_at_a_fifth_of_the_strongest_counts():
    """Three pitch classes make a key when the two weaker reach exactly a fifth of the
    strongest (C at 1, E and G at 0.2 of the profile); at just under a fifth they are one
    pitch class."""
    from core.analysis.key import _key_likeness

    profile = np.zeros(12)
    profile[0], profile[[4, 7]] = 1.0, 0.2
    plain, reason = _key_likeness(profile)
    assert plain is not None and reason == ""
    profile[[4, 7]] = 0.2 - 1e-9
    assert _key_likeness(profile) == (None, NO_KEY_FEW)


def test_the_key_table_of_silence_is_none_and_of_a_single_note_is_read():
    """:func:`key_table` has no rows for silence; a single held note is sound, and its
    table is read (the song's decision refuses it for a key before, as a single pitch)."""
    assert key_table(np.zeros((12, 50)), None, RATE) is None
    note = np.zeros((12, 50))
    note[0] = 1.0
    table = key_table(note, None, RATE)
    assert table.shape == (24, 14) and np.all(np.isfinite(table))
    assert estimate_key(note, frame_rate=RATE).reason == NO_KEY_FEW
