"""Song and chunk key from the chroma of :class:`core.analysis.features.FeatureStream`.

The pitch-class profile of the song (frame-normalised chroma, averaged) is correlated with the
24 rotations of two published key profiles (Krumhansl-Kessler probe-tone ratings and
Temperley's corpus profile); a bass pitch-class profile adds evidence for the tonic, and the
first and last seconds of sound (where the tonic chord is usually stated) count extra.  The
opening counts more than the ending; a song that opens on another chord (IV, V, vi) but ends
on its tonic gets evidence back from the ending, while a fade-out (an arbitrary chord at the
end) carries little weight.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from core.io.keynotation import Key

__all__ = ["KeyEstimate", "estimate_key", "chunk_keys", "key_scores", "pitch_profile"]

_KK_MAJOR = (6.35, 2.23, 3.48, 2.33, 4.38, 4.09, 2.52, 5.19, 2.39, 3.66, 2.29, 2.88)
_KK_MINOR = (6.33, 2.68, 3.52, 5.38, 2.60, 3.53, 2.54, 4.75, 3.98, 2.69, 3.34, 3.17)
_TEMPERLEY_MAJOR = (0.748, 0.060, 0.488, 0.082, 0.670, 0.460, 0.096, 0.715, 0.104, 0.366,
                    0.057, 0.400)
_TEMPERLEY_MINOR = (0.712, 0.084, 0.474, 0.618, 0.049, 0.460, 0.105, 0.747, 0.404, 0.067,
                    0.133, 0.330)
_MIN_CORRELATION = 0.35  # below this the chroma has no key
_MIN_PEAKINESS = 0.12  # relative spread of the pitch-class profile; noise is flatter
_BASS_WEIGHT = 0.3
_OPENING_S = 2.0  # the first (and last) seconds of sound, usually the tonic chord


@dataclass
class KeyEstimate:
    """A key estimate.

    Attributes
    ----------
    key : core.io.keynotation.Key or None
        The key; ``None`` for silence or unpitched sound.
    confidence : float
        0-1, from the margin between the best and the second-best key.
    scores : ndarray, shape (24,)
        Score per key, indexed like :attr:`core.io.keynotation.Key.index` (majors C..B, then minors).
    """

    key: Key | None
    confidence: float = 0.0
    scores: np.ndarray = field(default_factory=lambda: np.zeros(24), repr=False)


def _zscore(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, dtype=float)
    s = x.std()
    return (x - x.mean()) / (s if s > 0 else 1.0)


def _templates() -> np.ndarray:
    """(24, 12) z-scored key templates: majors C..B then minors C..B."""
    maj = _zscore(_zscore(_KK_MAJOR) + _zscore(_TEMPERLEY_MAJOR))
    mnr = _zscore(_zscore(_KK_MINOR) + _zscore(_TEMPERLEY_MINOR))
    rows = [np.roll(maj, t) for t in range(12)] + [np.roll(mnr, t) for t in range(12)]
    return np.asarray(rows)


_TEMPLATES = _templates()


def pitch_profile(chroma: np.ndarray) -> np.ndarray:
    """Average of frame-normalised, compressed chroma over the sounding frames; shape (12,)."""
    c = np.asarray(chroma, dtype=np.float64)
    if c.ndim != 2 or c.shape[0] != 12:
        raise ValueError(f"chroma must have shape (12, frames), got {c.shape!r}")
    if c.shape[1] == 0:
        return np.zeros(12)
    energy = c.sum(axis=0)
    top = float(energy.max())
    if top <= 1e-9:
        return np.zeros(12)
    keep = energy > 1e-3 * top
    c = np.sqrt(c[:, keep])
    c = c / np.maximum(c.max(axis=0, keepdims=True), 1e-12)
    return c.mean(axis=1)


def key_scores(profile: np.ndarray, bass: np.ndarray | None = None) -> np.ndarray:
    """Score of each of the 24 keys for a pitch-class profile (and bass profile)."""
    z = _zscore(profile)
    scores = _TEMPLATES @ z / 12.0
    if bass is not None and np.sum(bass) > 0:
        b = np.asarray(bass, dtype=float)
        b = b / b.max()
        tonic = np.concatenate([b, b])
        scores = scores + _BASS_WEIGHT * (tonic - b.mean())
    return scores


def _from_profiles(profile: np.ndarray, bass: np.ndarray | None, *,
                   prior: np.ndarray | None = None) -> KeyEstimate:
    if profile.sum() <= 0:
        return KeyEstimate(None)
    spread = (profile.max() - profile.min()) / max(profile.mean(), 1e-12)
    scores = key_scores(profile, bass)
    if prior is not None:
        scores = scores + prior
    plain = _TEMPLATES @ _zscore(profile) / 12.0
    if spread < _MIN_PEAKINESS or plain.max() < _MIN_CORRELATION:
        return KeyEstimate(None, scores=scores)
    order = np.argsort(scores)[::-1]
    margin = float(scores[order[0]] - scores[order[1]])
    conf = float(np.clip(margin / 0.15, 0.0, 1.0) * np.clip(plain.max(), 0.0, 1.0))
    return KeyEstimate(Key.from_index(int(order[0])), confidence=conf, scores=scores)


def _ends(chroma: np.ndarray, frame_rate: float) -> tuple[slice, slice]:
    """Frames of the first and of the last ``_OPENING_S`` seconds of sound in a chroma array."""
    energy = chroma.sum(axis=0)
    if energy.size == 0:
        return slice(0, 0), slice(0, 0)
    loud = float(np.percentile(energy, 95))
    sounding = np.nonzero(energy > 1e-2 * loud)[0] if loud > 0 else []
    if len(sounding) == 0:
        return slice(0, 0), slice(0, 0)
    n = max(1, int(_OPENING_S * frame_rate))
    first, last = int(sounding[0]), int(sounding[-1]) + 1
    return slice(first, first + n), slice(max(first, last - n), last)


def estimate_key(
    features,
    *,
    bass_chroma: np.ndarray | None = None,
    frames: tuple[int, int] | None = None,
    frame_rate: float = 22050 / 2048,
    opening_weight: float = 0.25,
    ending_weight: float = 0.1,
) -> KeyEstimate:
    """Estimate the key.

    Parameters
    ----------
    features : FeatureStream or ndarray
        A finished :class:`core.analysis.features.FeatureStream`, or a chroma array (12, frames).
    bass_chroma : ndarray, optional
        Bass chroma (12, frames) of an array input; taken from the FeatureStream otherwise.
    frames : (int, int), optional
        Only use pitch-grid frames ``start:stop`` (e.g. one chunk).
    frame_rate : float
        Chroma frames per second of an array input (taken from a FeatureStream).
    opening_weight : float
        Extra weight (>= 0) of the first two seconds of sound, which usually hold the tonic
        chord, relative to the whole; 0 to disable.
    ending_weight : float
        Extra weight (>= 0) of the last two seconds of sound (the final chord, usually the
        tonic), relative to the whole; 0 to disable.

    Returns
    -------
    KeyEstimate
        ``key`` is ``None`` for silence or unpitched sound.

    Raises
    ------
    ValueError
        If the chroma does not have 12 rows or ``opening_weight`` or ``ending_weight`` is
        negative.
    """
    if not opening_weight >= 0:
        raise ValueError(f"opening_weight must be >= 0, got {opening_weight!r}")
    if not ending_weight >= 0:
        raise ValueError(f"ending_weight must be >= 0, got {ending_weight!r}")
    if hasattr(features, "chroma"):
        chroma, bass_chroma = features.chroma, features.bass_chroma
        frame_rate = features.pitch_frame_rate
    else:
        chroma = np.asarray(features)
    if frames is not None:
        chroma = chroma[:, frames[0] : frames[1]]
        if bass_chroma is not None:
            bass_chroma = bass_chroma[:, frames[0] : frames[1]]
    profile = pitch_profile(chroma)
    bass = pitch_profile(bass_chroma) if bass_chroma is not None else None
    if profile.sum() > 0:
        for part, weight in zip(_ends(chroma, frame_rate), (opening_weight, ending_weight),
                                strict=True):
            if weight > 0:
                profile = profile + weight * pitch_profile(chroma[:, part])
                if bass is not None:
                    bass = bass + weight * pitch_profile(bass_chroma[:, part])
    return _from_profiles(profile, bass)


def chunk_keys(features, *, song: KeyEstimate | None = None,
               song_weight: float = 0.5) -> list[KeyEstimate]:
    """Key of each chunk of a finished FeatureStream.

    Parameters
    ----------
    features : FeatureStream
        Finished, with chunks marked.
    song : KeyEstimate, optional
        The song's key estimate; its scores are added (times ``song_weight``) to each chunk's
        so that a chunk moves away from the song key only on clear evidence.
    song_weight : float
        Weight (>= 0) of the song scores.

    Returns
    -------
    list of KeyEstimate
        One per chunk; ``key`` is ``None`` for a silent or unpitched chunk.
    """
    if not song_weight >= 0:
        raise ValueError(f"song_weight must be >= 0, got {song_weight!r}")
    chroma, bass = features.chroma, features.bass_chroma
    out = []
    for a, b in features.chunk_frames(grid="pitch"):
        profile = pitch_profile(chroma[:, a:b])
        bass_profile = pitch_profile(bass[:, a:b])
        prior = None
        if song is not None and song.key is not None:
            prior = song_weight * np.asarray(song.scores, dtype=float)
        out.append(_from_profiles(profile, bass_profile, prior=prior))
    return out
