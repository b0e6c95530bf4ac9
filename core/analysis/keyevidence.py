"""Evidence for each of the 24 keys, read from chroma and bass chroma.

* Templates: Krumhansl-Kessler and Temperley profiles, each also with the upper partials
  a sounding note adds to the chroma (harmonics 1-6 weighted 0.6^(h-1): the 3rd harmonic
  of the tonic lands on the dominant, which pulls plain profile matching a fifth up).
* A local-key path: the profiles of 8 s windows (hop 4 s) are matched to the templates and
  a Viterbi path over the 24 keys (a hidden Markov model whose key changes are rare and
  favour near keys on the circle of fifths) says where each key holds, so that a long
  excursion to the dominant counts for its length and no more.
* The opening (and its first chord) and the ending (the final chord and its bass note) of
  the sound.
* A closing section that plays the body a semitone or a tone higher (a last chorus
  "up a step") is turned back before any of this is read (:func:`closing_transposition`):
  left as it is, its notes mixed with the body's fit a third key best (most often the
  subdominant, heard nowhere in the song) and its final chord speaks for a key the song
  only ends in.

:func:`key_features` returns one row of :data:`KEY_FEATURES` per key; the decision in
:mod:`core.analysis.key` weighs them.
"""

from __future__ import annotations

import numpy as np
import scipy.ndimage

__all__ = ["KEY_FEATURES", "key_features", "key_evidence", "closing_transposition", "noise_ends",
           "pitch_profile", "sounding_frames", "templates", "zscore"]

_KK_MAJOR = (6.35, 2.23, 3.48, 2.33, 4.38, 4.09, 2.52, 5.19, 2.39, 3.66, 2.29, 2.88)
_KK_MINOR = (6.33, 2.68, 3.52, 5.38, 2.60, 3.53, 2.54, 4.75, 3.98, 2.69, 3.34, 3.17)
_TEMPERLEY_MAJOR = (0.748, 0.060, 0.488, 0.082, 0.670, 0.460, 0.096, 0.715, 0.104, 0.366,
                    0.057, 0.400)
_TEMPERLEY_MINOR = (0.712, 0.084, 0.474, 0.618, 0.049, 0.460, 0.105, 0.747, 0.404, 0.067,
                    0.133, 0.330)
_HARMONIC_PC = (0, 0, 7, 0, 4, 7)  # pitch class of harmonics 1-6 above the fundamental
_WINDOW_S, _HOP_S = 8.0, 4.0
_STAY = 0.93  # probability that the local key holds from one window to the next
_TEMPERATURE = 0.08  # correlation units per nat in the window emissions
_ENDS_S = 4.0  # the first and the last seconds of sound
#: A closing section played a semitone or a tone above the body (the shifts, semitones up),
#: the fewest windows of the local-key path it spans (3: 16 s), and how much better the
#: profile of the close matches the body's once moved back by the shift than as it is
#: (correlation, on the scale of -1 to 1).
_CLOSE_SHIFTS = (1, 2)
_CLOSE_WINDOWS = 3
_CLOSE_MARGIN = 0.15
#: Frames (about 2 s on the pitch grid) over which a frame's evenness is averaged, and the
#: evenness from which frames at either end of the sound are noise (:func:`noise_ends`).
_NOISE_SMOOTH = 21
_NOISE_EVENNESS = 0.9
#: Tonic of each of the 24 keys (majors first), and the interval (semitones) of its third.
_TONIC = np.r_[np.arange(12), np.arange(12)]
_THIRD = np.r_[np.full(12, 4), np.full(12, 3)]

#: Names of the per-key features, in the column order of :func:`key_features`.
KEY_FEATURES = (
    "Krumhansl correlation", "Temperley correlation", "Krumhansl with harmonics",
    "Temperley with harmonics", "local-key path share", "path at the start",
    "path at the end", "opening correlation", "ending correlation", "tonic in the bass",
    "tonic in the final bass", "tonic triad in the final chord",
    "tonic triad in the first chord",
)


def zscore(x) -> np.ndarray:
    """``x`` less its mean, over its standard deviation (unchanged scale when flat)."""
    x = np.asarray(x, dtype=float)
    s = x.std()
    return (x - x.mean()) / (s if s > 0 else 1.0)


def _with_harmonics(p) -> np.ndarray:
    p = np.asarray(p, dtype=float)
    return sum(0.6**h * np.roll(p, pc) for h, pc in enumerate(_HARMONIC_PC))


def templates() -> dict[str, np.ndarray]:
    """(24, 12) z-scored templates by name (``kk``, ``temperley``, ``kk_h``, ``temperley_h``).

    Rows are majors C..B then minors C..B (:attr:`core.io.keynotation.Key.index` order).
    """
    out = {}
    for name, (maj, mnr) in {"kk": (_KK_MAJOR, _KK_MINOR),
                             "temperley": (_TEMPERLEY_MAJOR, _TEMPERLEY_MINOR)}.items():
        for suffix, f in (("", np.asarray), ("_h", _with_harmonics)):
            a, b = zscore(f(maj)), zscore(f(mnr))
            out[name + suffix] = np.array([np.roll(a, t) for t in range(12)]
                                          + [np.roll(b, t) for t in range(12)])
    return out


_T = templates()
_MAIN = (_T["kk"] + _T["temperley_h"]) / 2


#: Frames whose chroma sums to less than this share of the loudest frame's (40 dB under it)
#: are no music: each frame weighs alike once normalised, so a long noise floor (hiss 60 dB
#: under full scale after a song, a record's run-out, the gap before a hidden track) would
#: flatten the profile into "no key" (at a thousandth, 60 dB, it did: 40 s of a song in D
#: major followed by 240 s of hiss at -70 dBFS had no key).
_SOUNDING_SHARE = 1e-2
#: A frame whose chroma sums to this or less is silence whatever the rest does: digital
#: silence leaves sums around 1e-42 after the filters, a song at full scale about 100 a
#: frame, and this lies 180 dB under that.
_SILENT = 1e-9


def sounding_frames(chroma: np.ndarray) -> np.ndarray:
    """Which frames of a chroma array (12, frames) sound (see :data:`_SOUNDING_SHARE`);
    none when the loudest hardly does.  Noise before the first pitched sound and after the
    last one does not count (:func:`noise_ends`)."""
    c = np.asarray(chroma, dtype=np.float64)
    if c.ndim != 2 or c.shape[0] != 12:
        raise ValueError(f"chroma must have shape (12, frames), got {c.shape!r}")
    energy = c.sum(axis=0)
    top = float(energy.max()) if energy.size else 0.0
    if top <= _SILENT:
        return np.zeros(energy.size, dtype=bool)
    return _without_noise_ends(c, energy > _SOUNDING_SHARE * top)


def _without_noise_ends(chroma: np.ndarray, sounding: np.ndarray) -> np.ndarray:
    """The sounding frames ``sounding`` (a boolean array, changed in place and returned) with
    the noise at either end left out (:func:`noise_ends`)."""
    first, stop = noise_ends(chroma, sounding)
    sounding[:first] = False
    sounding[stop:] = False
    return sounding


def noise_ends(chroma: np.ndarray, sounding: np.ndarray) -> tuple[int, int]:
    """The frames ``first:stop`` of a chroma array without the noise at either end.

    Applause or crowd noise around a live song, or the hiss of a tape after it, sound in
    every pitch class alike: the mean of a frame's square-root chroma over its largest
    value, averaged over the sounding frames of :data:`_NOISE_SMOOTH` frames around it
    (about 2 s), is 0.91 or more there and under 0.86 in 99 % of the frames of music
    (generated, rendered and recorded songs; distorted guitars the highest).  The runs of
    frames at either end that are silent or reach :data:`_NOISE_EVENNESS` are left out;
    a stretch of noise between two songs is not.  Without a pitched frame the whole array
    is kept (noise alone: too evenly spread for a key).
    """
    n = chroma.shape[1]
    root = np.sqrt(np.asarray(chroma, dtype=np.float64))
    even = root.mean(axis=0) / np.maximum(root.max(axis=0), 1e-12)
    weight = sounding.astype(float)
    total = scipy.ndimage.uniform_filter1d(weight, _NOISE_SMOOTH, mode="constant")
    part = scipy.ndimage.uniform_filter1d(even * weight, _NOISE_SMOOTH, mode="constant")
    smooth = part / np.maximum(total, 1e-12)
    pitched = np.flatnonzero(sounding & (smooth < _NOISE_EVENNESS))
    if pitched.size == 0:
        return 0, n
    return int(pitched[0]), int(pitched[-1]) + 1


def pitch_profile(chroma: np.ndarray) -> np.ndarray:
    """Average of frame-normalised, compressed chroma over the sounding frames
    (:func:`sounding_frames`); shape (12,)."""
    sounding = sounding_frames(chroma)
    if not sounding.any():
        return np.zeros(12)
    c = np.sqrt(np.asarray(chroma, dtype=np.float64)[:, sounding])
    return (c / np.maximum(c.max(axis=0, keepdims=True), 1e-12)).mean(axis=1)


def _chord_frames(frame_rate: float) -> int:
    """Frames of the first and of the last chord: half of :data:`_ENDS_S`, at least one."""
    return max(1, int(_ENDS_S * frame_rate) // 2)


def _moved_match(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Correlation of pitch-class profile ``a`` with ``b`` moved down by 0-11 semitones."""
    za = zscore(a)
    return _corr(np.array([np.roll(za, s) for s in range(12)]), b)


def _corr(tmpl: np.ndarray, p: np.ndarray) -> np.ndarray:
    return tmpl @ zscore(p) / 12.0


def _transitions() -> np.ndarray:
    """(24, 24) log transition probabilities: rare changes, near keys more likely."""
    pos = np.array([(7 * t) % 12 for t in range(12)] + [(7 * t + 9) % 12 for t in range(12)])
    d = np.abs(pos[:, None] - pos[None, :]) % 12
    d = np.minimum(d, 12 - d) + 0.5 * (np.arange(24)[:, None] // 12 != np.arange(24)[None] // 12)
    w = np.exp(-d)
    np.fill_diagonal(w, 0.0)
    w = (1 - _STAY) * w / w.sum(axis=1, keepdims=True)
    np.fill_diagonal(w, _STAY)
    return np.log(w)


_LOG_TRANS = _transitions()


def _path(chroma: np.ndarray, frame_rate: float) -> np.ndarray:
    """Viterbi key index of each 8 s window (hop 4 s) of the sounding part."""
    win, hop = max(1, int(_WINDOW_S * frame_rate)), max(1, int(_HOP_S * frame_rate))
    n = chroma.shape[1]
    starts = range(0, max(1, n - win + 1), hop)
    em = np.array([_corr(_MAIN, pitch_profile(chroma[:, s : s + win]))
                   for s in starts]) / _TEMPERATURE
    score = em[0].copy()
    back = np.zeros(em.shape, dtype=int)
    for i in range(1, len(em)):
        cand = score[:, None] + _LOG_TRANS
        back[i] = np.argmax(cand, axis=0)
        score = cand[back[i], np.arange(24)] + em[i]
    path = [int(np.argmax(score))]
    for i in range(len(em) - 1, 0, -1):
        path.append(int(back[i][path[-1]]))
    return np.array(path[::-1])


def closing_transposition(chroma: np.ndarray, frame_rate: float, *,
                          path: np.ndarray | None = None) -> tuple[int, int]:
    """A closing section that plays the body transposed, as ``(shift, first frame)``.

    The last run of the local-key path (:func:`_path`) is the candidate close: it spans at
    least :data:`_CLOSE_WINDOWS` windows and at most half of them.  It begins half a hop
    into its first window (the window before it still heard the body's key for the most
    part).  Its pitch-class profile is compared with the body's at every transposition; when
    one of :data:`_CLOSE_SHIFTS` matches best, and by :data:`_CLOSE_MARGIN` better than
    none, and the song's last chord matches its first better moved back by that shift than
    as it is, the close is the body moved up by ``shift`` semitones.  A close in the
    dominant or the relative key matches best at another shift or none; one in the parallel
    key (whose notes are those of the body a tone away but for one) ends on the tonic the
    song began on.  A close a step down is not looked for: a song that turns from major to
    its parallel minor looks like one, and the step up is the common case.

    Parameters
    ----------
    chroma : ndarray, shape (12, m)
        Pitch-class magnitudes of the sounding part.
    frame_rate : float
        Chroma frames per second.
    path : ndarray, optional
        The local-key path of ``chroma`` (:func:`_path`), when it has been found already.

    Returns
    -------
    (int, int)
        The shift (1 or 2) and the close's first frame; ``(0, m)`` without one.
    """
    n = chroma.shape[1]
    if path is None:
        path = _path(chroma, frame_rate)
    if len(path) < 2 * _CLOSE_WINDOWS:
        return 0, n
    first = len(path) - 1
    while first > 0 and path[first - 1] == path[-1]:
        first -= 1
    if len(path) - first < _CLOSE_WINDOWS or first < len(path) / 2:
        return 0, n
    hop = max(1, int(_HOP_S * frame_rate))
    cut = first * hop + hop // 2
    body, close = pitch_profile(chroma[:, :cut]), pitch_profile(chroma[:, cut:])
    if body.sum() <= 0 or close.sum() <= 0:
        return 0, n
    match = _moved_match(body, close)
    shift = int(np.argmax(match))
    if shift not in _CLOSE_SHIFTS or match[shift] - match[0] < _CLOSE_MARGIN:
        return 0, n
    # The song ends where it began, moved by the shift: its last chord matches its first
    # better moved back than as it is (a minor song whose close turns to the parallel
    # major has the notes of its key a tone up but for one, and ends on its own tonic).
    k = _chord_frames(frame_rate)
    chords = _moved_match(pitch_profile(chroma[:, :k]), pitch_profile(chroma[:, -k:]))
    if chords[shift] <= chords[0]:
        return 0, n
    return shift, cut


def _sounding(chroma: np.ndarray) -> slice:
    """The frames from the first to the last that sound: over 1 % of the 95th percentile of
    the frames' energy (a single loud click does not set the level), the noise at either end
    left out (:func:`noise_ends`); an empty slice for silence."""
    energy = chroma.sum(axis=0)
    heard = energy > _SILENT
    if not heard.any():
        return slice(0, 0)
    loud = float(np.percentile(energy, 95))
    if loud <= _SILENT:
        # Sound in under 5 % of the frames (a short piece before minutes of digital
        # silence): the level is that of the frames that carry any.  Measured over every
        # frame it is the silence's own, and the span would run to the end of the file,
        # where the ending and the final chord would be read from silence.
        loud = float(np.percentile(energy[heard], 95))
    idx = np.flatnonzero(_without_noise_ends(chroma, energy > 1e-2 * loud))
    return slice(int(idx[0]), int(idx[-1]) + 1)


def key_features(chroma: np.ndarray, bass: np.ndarray | None, frame_rate: float) -> np.ndarray:
    """Per-key evidence of a chroma array (see :data:`KEY_FEATURES`).

    Parameters
    ----------
    chroma : ndarray, shape (12, m)
        Pitch-class magnitudes.
    bass : ndarray, shape (12, m), optional
        Bass-range pitch-class magnitudes on the same grid.
    frame_rate : float
        Chroma frames per second.

    Returns
    -------
    ndarray, shape (24, len(KEY_FEATURES))
        Rows in :attr:`core.io.keynotation.Key.index` order; zeros without sound.
    """
    return key_evidence(chroma, bass, frame_rate)[0]


def key_evidence(chroma: np.ndarray, bass: np.ndarray | None,
                 frame_rate: float) -> tuple[np.ndarray, tuple[int, int] | None]:
    """:func:`key_features`, and the close that was turned back to read them.

    Returns
    -------
    (ndarray, (int, int) or None)
        The evidence, and ``(shift, first frame)`` of a closing section played ``shift``
        semitones up from the body (:func:`closing_transposition`; the frame counted in
        ``chroma``), or None.
    """
    out = np.zeros((24, len(KEY_FEATURES)))
    span = _sounding(chroma)
    c = chroma[:, span]
    if c.shape[1] == 0:
        return out, None
    b = bass[:, span] if bass is not None else np.zeros_like(c)
    path = _path(c, frame_rate)
    shift, cut = closing_transposition(c, frame_rate, path=path)
    close = None
    if shift:  # read the song as if its close had stayed in the body's key
        c = np.concatenate([c[:, :cut], np.roll(c[:, cut:], -shift, axis=0)], axis=1)
        b = np.concatenate([b[:, :cut], np.roll(b[:, cut:], -shift, axis=0)], axis=1)
        path = _path(c, frame_rate)
        close = (shift, span.start + cut)
    whole = pitch_profile(c)
    if whole.sum() <= 0:
        return out, None
    for j, name in enumerate(("kk", "temperley", "kk_h", "temperley_h")):
        out[:, j] = _corr(_T[name], whole)
    out[:, 4] = np.bincount(path, minlength=24) / len(path)
    out[path[0], 5] = 1.0
    out[path[-1], 6] = 1.0
    n = max(1, int(_ENDS_S * frame_rate))
    head, tail = c[:, :n], c[:, -n:]
    out[:, 7] = _corr(_MAIN, pitch_profile(head)) if head.sum() > 0 else 0.0
    out[:, 8] = _corr(_MAIN, pitch_profile(tail)) if tail.sum() > 0 else 0.0
    bp = pitch_profile(b)
    if bp.sum() > 0:
        out[:, 9] = (bp / bp.max())[_TONIC]
    k = _chord_frames(frame_rate)
    last = pitch_profile(b[:, -k:])
    if last.sum() > 0:
        out[:, 10] = (last / last.max())[_TONIC]
    out[:, 11] = _tonic_triad(c[:, -k:])
    out[:, 12] = _tonic_triad(c[:, :k])
    return out, close


def _tonic_triad(chroma: np.ndarray) -> np.ndarray | float:
    """Per key, the mean strength of its tonic triad's notes in a stretch of chroma (a
    chord), each note relative to the strongest pitch class; 0.0 without sound."""
    p = pitch_profile(chroma)
    if p.sum() <= 0:
        return 0.0
    p = p / p.max()
    return (p[_TONIC] + p[(_TONIC + _THIRD) % 12] + p[(_TONIC + 7) % 12]) / 3
