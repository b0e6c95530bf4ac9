"""The parts of the key evidence, each on chroma of known pitch classes: the partials the
templates expect of a note, the key-change model of the local-key path, a close played a
step up, where the sound begins and ends, and the song's end read as its last seconds."""

from __future__ import annotations

import numpy as np
import pytest

from core.analysis.key import _TEMPLATES, _templates
from core.analysis.keyevidence import (
    _STAY,
    KEY_FEATURES,
    _corr,
    _moved_match,
    _transitions,
    _with_harmonics,
    closing_transposition,
    key_features,
    templates,
    zscore,
)
from core.io.keynotation import parse_key

RATE = 10.0  # pitch frames a second: a window of the local-key path is 80, its hop 40
G_TRIAD, C_TRIAD, A_MINOR_TRIAD = [7, 11, 2], [0, 4, 7], [9, 0, 4]


def _triads_in_turn(floor: float, *parts: tuple[list[int], int]) -> np.ndarray:
    """Chroma of triads held one after another, each ``(pitch classes, frames)``, over
    ``floor`` in every class."""
    chroma = np.full((12, sum(n for _, n in parts)), floor)
    start = 0
    for classes, n in parts:
        chroma[classes, start : start + n] = 1.0
        start += n
    return chroma


def test_a_note_in_the_templates_brings_five_partials_at_six_tenths_each():
    """A C alone: its 2nd and 4th partials are Cs an octave and two up (0.6 and 0.216 of
    the fundamental, added to it), its 3rd and 6th Gs (0.36 and 0.078), its 5th an E
    (0.130); nothing lands elsewhere."""
    note = np.zeros(12)
    note[0] = 1.0
    want = np.zeros(12)
    want[0] = 1.0 + 0.6 + 0.6**3
    want[7] = 0.6**2 + 0.6**5
    want[4] = 0.6**4
    np.testing.assert_allclose(_with_harmonics(note), want)
    # the same on another note, moved with it
    np.testing.assert_allclose(_with_harmonics(np.roll(note, 5)), np.roll(want, 5))


def test_the_key_change_model_is_a_probability_for_each_key():
    """From each key the path stays with probability 0.93 and moves to the other 23 with the
    rest; near keys (a fifth either way) are alike likely."""
    p = np.exp(_transitions())
    assert np.all(np.isfinite(p)) and np.all(p > 0)
    np.testing.assert_allclose(np.diag(p), _STAY)
    np.testing.assert_allclose(p.sum(axis=1), 1.0)
    c, g, f = (parse_key(k).index for k in ("C major", "G major", "F major"))
    assert p[c, g] == pytest.approx(p[c, f]) and p[c, g] < 1.0 - _STAY


def _c_then_d(frames: int, cut: int) -> np.ndarray:
    """C major's scale, its tonic triad louder, up to frame ``cut``; D major's after it."""
    chroma = np.full((12, frames), 0.05)
    scale = [0, 2, 4, 5, 7, 9, 11]
    for lo, hi, shift in ((0, cut, 0), (cut, frames, 2)):
        chroma[[(n + shift) % 12 for n in scale], lo:hi] = 0.5
        chroma[[(n + shift) % 12 for n in (0, 4, 7)], lo:hi] = 1.0
    return chroma


def test_a_close_of_three_windows_in_six_is_turned_back_and_fewer_are_not():
    """The shortest close read as one: its last run of the path spans three windows (16 s)
    and begins in the second half of six.  It begins half a hop into its first window
    (frame 3 x 40 + 20).  Two windows in five, or three in seven (beginning before the
    middle), are no close; nor is a path that never leaves its key."""
    c_major, d_major = parse_key("C major").index, parse_key("D major").index
    chroma = _c_then_d(280, 140)  # six windows
    assert closing_transposition(chroma, RATE, path=np.array([c_major] * 3 + [d_major] * 3)) \
        == (2, 140)
    assert closing_transposition(chroma[:, :240], RATE, path=np.array(
        [c_major] * 3 + [d_major] * 2)) == (0, 240)
    assert closing_transposition(chroma, RATE, path=np.array([c_major] * 6)) == (0, 280)
    seven = _c_then_d(320, 100)
    assert closing_transposition(seven, RATE, path=np.array(
        [c_major] * 2 + [d_major] * 5)) == (0, 320)


def _feature(name: str) -> int:
    return KEY_FEATURES.index(name)


def test_the_songs_end_is_its_last_seconds():
    """30 s of a G major triad and then 4 s of a C major triad: the final chord (the last
    2 s) is C's triad alone, and the ending (the last 4 s) fits C major better than G
    major, while the opening is G major's."""
    f = key_features(_triads_in_turn(0.01, (G_TRIAD, 300), (C_TRIAD, 40)), None, RATE)
    c_major, g_major = parse_key("C major").index, parse_key("G major").index
    final = f[:, _feature("tonic triad in the final chord")]
    assert final[c_major] == pytest.approx(1.0) and final[g_major] < 0.5
    ending = f[:, _feature("ending correlation")]
    assert ending[c_major] > ending[g_major]
    opening = f[:, _feature("opening correlation")]
    assert int(np.argmax(opening)) == g_major


def test_a_faint_floor_before_the_music_is_not_its_opening():
    """8 s of a floor 30 dB under the music's frames (each pitch class alike but A, D and F
    a little stronger: D minor's triad) before 20 s of a G major triad: the sound, and so
    its opening, begins with the triad."""
    chroma = np.zeros((12, 280))
    chroma[:, :80] = 1e-4
    chroma[[2, 5, 9], :80] = 2e-3
    chroma[[7, 11, 2], 80:] = 1.0
    f = key_features(chroma, None, RATE)
    g_major = parse_key("G major").index
    assert int(np.argmax(f[:, _feature("opening correlation")])) == g_major
    assert f[g_major, _feature("tonic triad in the first chord")] == pytest.approx(1.0)


def test_the_evidence_is_the_same_at_any_level():
    """The same chroma a hundred times quieter (a quiet recording, or the chroma of another
    scale) gives the same evidence: what sounds is judged against the loudest frames."""
    chroma = _triads_in_turn(0.01, (A_MINOR_TRIAD, 200), (G_TRIAD, 140))
    np.testing.assert_allclose(key_features(chroma / 100.0, chroma / 200.0, RATE),
                               key_features(chroma, chroma / 2.0, RATE), atol=1e-9)


def test_the_last_frames_of_the_sound_belong_to_its_final_chord():
    """Two frames of a C major triad after 30 s of a G major one: the sound ends with them,
    so the final chord (its last 2 s) holds C and E too, not G's triad alone."""
    chroma = _triads_in_turn(1e-4, (G_TRIAD, 300), (C_TRIAD, 2))
    final = key_features(chroma, None, RATE)[:, _feature("tonic triad in the final chord")]
    g_alone = 1.0 / 3.0  # G at its full strength, C and E silent
    assert final[parse_key("C major").index] > g_alone + 0.05


def test_a_chunk_is_matched_to_krumhansls_and_temperleys_profiles_together():
    """The templates a chunk's profile is matched to (:func:`core.analysis.key.key_scores`):
    for each key, the sum of its z-scored Krumhansl-Kessler and Temperley profiles, z-scored
    again.  C major's weighs C most, then G, then E; A minor's A, then C, then E."""
    t = templates()
    rows = _templates()
    assert rows.shape == (24, 12)
    for i in range(24):
        np.testing.assert_allclose(rows[i], zscore(t["kk"][i] + t["temperley"][i]))
    np.testing.assert_array_equal(rows, _TEMPLATES)
    assert np.argsort(rows[parse_key("C major").index])[-3:].tolist() == [4, 7, 0]
    assert np.argsort(rows[parse_key("A minor").index])[-3:].tolist() == [4, 0, 9]


def test_the_profile_matches_are_correlations():
    """A profile matched to itself gives 1, to itself upside down -1, moved by a semitone
    less: the template columns and the close rule's margin are on that scale."""
    c_major = templates()["kk"][0]
    assert _corr(c_major[None, :], c_major)[0] == pytest.approx(1.0)
    assert _corr(-c_major[None, :], c_major)[0] == pytest.approx(-1.0)
    moved = _moved_match(c_major, c_major)
    assert moved[0] == pytest.approx(1.0) and np.all(moved[1:] < 1.0)
    assert moved[1] == pytest.approx(_corr(np.roll(c_major, 1)[None, :], c_major)[0])


def test_the_final_chord_is_read_over_its_last_two_seconds_at_full_scale():
    """The final chord is the sound's last 2 s, scaled to its strongest pitch class.  One
    second of a C major triad after a G major one: half of those 2 s hold C and E, so C
    major's triad reaches 2/3.  A lone C after the triad: the keys that hold C in their
    tonic triad (C major, A minor, F major) each reach a third.  The last 2 s alternating a
    C and an F# major triad, each with its root in the bass: every note there counts in
    full, in the chord and in the final bass."""
    final = _feature("tonic triad in the final chord")
    final_bass = _feature("tonic in the final bass")
    c_major, f_sharp_major = parse_key("C major").index, parse_key("F# major").index
    chroma = _triads_in_turn(1e-4, (G_TRIAD, 300), (C_TRIAD, 10))
    assert key_features(chroma, None, RATE)[c_major, final] == pytest.approx(2 / 3, abs=0.01)
    chroma = _triads_in_turn(1e-4, (C_TRIAD, 300), ([0], 20))
    chroma[1:, 300:] = 0.0  # the C alone
    f = key_features(chroma, None, RATE)
    for key in ("C major", "A minor", "F major"):
        assert f[parse_key(key).index, final] == pytest.approx(1 / 3, abs=0.01), key
    chroma = _triads_in_turn(1e-4, (C_TRIAD, 300), ([], 20))
    chroma[C_TRIAD, 300::2] = 1.0
    chroma[[6, 10, 1], 301::2] = 1.0
    bass = np.zeros((12, 320))
    bass[0, :300] = bass[0, 300::2] = bass[6, 301::2] = 1.0
    f = key_features(chroma, bass, RATE)
    for key in (c_major, f_sharp_major):
        assert f[key, final] == pytest.approx(1.0) and f[key, final_bass] == pytest.approx(1.0)
