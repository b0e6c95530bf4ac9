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
    _tonic_triad,
    _transitions,
    _with_harmonics,
    closing_transposition,
    key_features,
    pitch_profile,
    sounding_frames,
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


@pytest.mark.parametrize("quieter", [100.0, 1e4])
def test_the_evidence_is_the_same_at_any_level(quieter):
    """The same chroma a hundred or ten thousand times quieter (a quiet recording, or the
    chroma of another scale; at 1e4 the opening's and the ending's 4 s sum to under 1) gives
    the same evidence: what sounds is judged against the loudest frames."""
    chroma = _triads_in_turn(0.01, (A_MINOR_TRIAD, 200), (G_TRIAD, 140))
    np.testing.assert_allclose(key_features(chroma / quieter, chroma / (2 * quieter), RATE),
                               key_features(chroma, chroma / 2.0, RATE), atol=1e-9)


def test_chroma_far_under_any_sound_is_silence():
    """Chroma summing to 1e-9 a frame or less is silence (180 dB under a song at full
    scale): no evidence at all, as for zeros."""
    chroma = _triads_in_turn(0.01, (A_MINOR_TRIAD, 200), (G_TRIAD, 140)) * 1e-10
    assert not key_features(chroma, chroma, RATE).any()
    assert not key_features(np.zeros((12, 340)), None, RATE).any()
    assert not sounding_frames(chroma).any()


@pytest.mark.parametrize("silence", [0.0, 1e-43])
def test_silence_around_the_music_changes_no_evidence(silence):
    """Ten seconds of digital silence (zeros, or the 1e-43 the filters leave of it) before
    and after the music: the evidence is read from the music alone, its opening, ending and
    final chord (the last frame a C major triad) to the frame."""
    music = _triads_in_turn(0.01, (A_MINOR_TRIAD, 200), (G_TRIAD, 139), (C_TRIAD, 1))
    bass = music / 2.0
    pad = np.full((12, 100), silence)
    padded = key_features(np.hstack([pad, music, pad]), np.hstack([pad, bass, pad]), RATE)
    np.testing.assert_allclose(padded, key_features(music, bass, RATE), atol=1e-12)


@pytest.mark.parametrize("silence", [0.0, 1e-43])
def test_a_short_piece_before_minutes_of_silence_keeps_its_ending(silence):
    """Twelve seconds of music before five minutes of digital silence: the music is under
    5 % of the frames, so the frames' 95th percentile is the silence's level.  The sound is
    still measured against the music's, and its ending and final chord are the music's own,
    not the silence at the end of the file."""
    music = _triads_in_turn(0.01, (A_MINOR_TRIAD, 80), (G_TRIAD, 40))
    bass = music / 2.0
    pad = np.full((12, 3000), silence)
    alone = key_features(music, bass, RATE)
    padded = key_features(np.hstack([music, pad]), np.hstack([bass, pad]), RATE)
    np.testing.assert_allclose(padded, alone, atol=1e-12)
    g_major = parse_key("G major").index
    assert padded[g_major, _feature("tonic triad in the final chord")] == pytest.approx(1.0)


def test_a_break_of_silence_within_the_music_is_read_over():
    """Ten seconds of silence between two halves of A minor's triads and scale: the windows
    of the local-key path that fall in the break have no profile, and the song's evidence
    stays A minor's."""
    a_minor = parse_key("A minor").index
    chroma = np.full((12, 500), 0.02)
    chroma[[9, 11, 0, 2, 4, 5, 7]] = 0.4
    chroma[A_MINOR_TRIAD] = 1.0
    chroma[:, 200:300] = 0.0
    f = key_features(chroma, None, RATE)
    assert np.all(np.isfinite(f))
    assert f[a_minor, _feature("local-key path share")] == pytest.approx(1.0)
    assert int(np.argmax(f[:, _feature("Temperley with harmonics")])) in (
        a_minor, parse_key("C major").index)


def test_a_single_frame_of_sound_has_evidence():
    """One frame of a C major triad (0.1 s): every template column and the first and final
    chords read it."""
    chroma = np.zeros((12, 1))
    chroma[C_TRIAD] = 1.0
    f = key_features(chroma, None, RATE)
    c_major = parse_key("C major").index
    assert f[c_major, _feature("tonic triad in the first chord")] == pytest.approx(1.0)
    assert f[c_major, _feature("tonic triad in the final chord")] == pytest.approx(1.0)
    assert f[c_major, _feature("Krumhansl correlation")] > 0.5


def test_each_sounding_frame_weighs_alike_in_the_profile():
    """A loud C (its chroma 4) and a quiet G (0.25), one frame each: the profile is each
    frame's square-root chroma over its own strongest class, averaged, so C and G weigh a
    half each, whatever their level."""
    chroma = np.zeros((12, 2))
    chroma[0, 0], chroma[7, 1] = 4.0, 0.25
    want = np.zeros(12)
    want[[0, 7]] = 0.5
    np.testing.assert_allclose(pitch_profile(chroma), want)
    np.testing.assert_allclose(pitch_profile(chroma * 1e-6), want)


def test_the_profile_of_float32_chroma_is_reckoned_in_float64():
    """The analyzer's chroma is float32; its profile is reckoned in float64, the same to the
    last digit as that of the chroma made float64 first."""
    rng = np.random.default_rng(3)
    chroma = rng.random((12, 500)).astype(np.float32) ** 3
    profile = pitch_profile(chroma)
    assert profile.dtype == np.float64
    np.testing.assert_array_equal(profile, pitch_profile(chroma.astype(np.float64)))


def test_a_flat_profile_z_scores_to_zeros():
    """A profile with the same value in every class has no spread: its z-score is zeros
    (its scale left as it is), not a division by zero."""
    np.testing.assert_array_equal(zscore(np.full(12, 0.25)), np.zeros(12))
    np.testing.assert_array_equal(zscore(np.zeros(12)), np.zeros(12))


def test_silence_and_an_empty_chroma_have_no_sounding_frame():
    """Which frames sound is a boolean mask of the frames, empty for no frames and all
    False for silence; a chord with no sound has no tonic triad in any key."""
    empty = sounding_frames(np.zeros((12, 0)))
    assert empty.dtype == bool and empty.shape == (0,)
    silent = sounding_frames(np.zeros((12, 5)))
    assert silent.dtype == bool and silent.tolist() == [False] * 5
    assert _tonic_triad(np.zeros((12, 20))) == 0.0


def test_an_opening_that_leans_to_another_key_by_less_than_a_change_joins_the_next():
    """The first 8 s (one window of the local-key path) mix C major's scale and triad (a
    share of 0.555) with F# major's, and 36 s of F# major follow: the opening leans to C by
    less than a key change costs, so the path is F# major from its first window; the first
    window's evidence counts once, like every other window's.  At a share of 0.65 the path
    begins in C."""
    scale = [0, 2, 4, 5, 7, 9, 11]

    def opening(c_share):
        chroma = np.full((12, 440), 0.01)
        for shift, share, frames in ((0, c_share, slice(0, 80)), (6, 1 - c_share, slice(0, 80)),
                                     (6, 1.0, slice(80, 440))):
            chroma[[(n + shift) % 12 for n in scale], frames] += 0.5 * share
            chroma[[(n + shift) % 12 for n in C_TRIAD], frames] += 0.5 * share
        return key_features(chroma, None, RATE)[:, _feature("path at the start")]

    assert int(np.argmax(opening(0.555))) == parse_key("F# major").index
    assert int(np.argmax(opening(0.65))) == parse_key("C major").index


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


def _line(frames: int, shift: int) -> np.ndarray:
    """A solo line: one pitch class a frame (C major's scale degrees in turn, two frames
    each), moved up ``shift`` semitones."""
    degrees = [0, 4, 7, 4, 2, 5, 9, 7, 11, 2, 0, 0]
    chroma = np.zeros((12, frames))
    for i in range(frames):
        chroma[(degrees[(i // 2) % len(degrees)] + shift) % 12, i] = 1.0
    return chroma


def test_a_solo_line_has_evidence_and_its_close_a_tone_up_is_turned_back():
    """A line of single notes (each frame one pitch class, so its profile sums to exactly
    1): 16 s in C major then 12 s of the same line a tone up.  The line has evidence, and
    its close is found: the last run of the path, three windows, moved back by two."""
    chroma = np.hstack([_line(160, 0), _line(120, 2)])
    f = key_features(chroma, None, RATE)
    assert f.any()
    c_major, d_major = parse_key("C major").index, parse_key("D major").index
    path = np.array([c_major] * 3 + [d_major] * 3)
    assert closing_transposition(chroma, RATE, path=path) == (2, 140)


def test_the_close_is_the_last_run_of_the_path():
    """The close read is the path's last run.  After three windows in D major, one last
    window in another key (E major), or back in D after a window in E, ends the song on a
    run of one window: no close, though the D major windows before it would make one."""
    chroma = _c_then_d(480, 220)  # eleven windows
    c_major, d_major, e_major = (parse_key(k).index for k in ("C major", "D major", "E major"))
    assert closing_transposition(chroma, RATE, path=np.array(
        [c_major] * 6 + [d_major] * 5)) == (2, 260)
    for end in ([e_major], [e_major, d_major]):
        path = np.array([c_major] * 6 + [d_major] * (5 - len(end)) + end)
        assert closing_transposition(chroma, RATE, path=path) == (0, 480), end


def test_a_close_after_silence_is_no_transposition():
    """A path whose last three windows are in D major, over chroma silent until the close:
    without a body there is nothing the close plays moved."""
    chroma = _c_then_d(280, 140)
    chroma[:, :140] = 0.0
    c_major, d_major = parse_key("C major").index, parse_key("D major").index
    assert closing_transposition(chroma, RATE, path=np.array([c_major] * 3 + [d_major] * 3)) \
        == (0, 280)
