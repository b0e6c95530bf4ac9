"""Song and chunk tempo from the onset envelopes of :class:`core.analysis.features.FeatureStream`.

1. Periodicity: windowed (12 s) autocorrelations of the whole-song onset envelope and of the
   accent envelope (low + mid bands), averaged over the song.
2. Candidates: the strongest periodicity (mildly weighted towards 110 BPM) and its metrical
   relatives x1/4, x1/3, x1/2, x2/3, x3/2, x2, x3, x4 within the BPM range.
3. Octave decision: each candidate beat is described by general evidence -- a perceptual
   preference of fixed shape centred on 115 BPM (plus a fitted linear tilt of it, which
   changes with the share of cymbal-band onsets), how much onset strength falls on its pulses and how much more than between them,
   whether every pulse is accented alike (alternation of even and odd pulses) and whether
   the level twice as fast is filled, in the accent envelope and in each band, the
   autocorrelation at its period, and how regularly the harmony (chroma) and the bass
   change after 1, 2 and 4 of its beats (chords change on beats and bars), and whether the
   harmonic changes fall evenly on its pulses rather than on every other one (in music
   without drums, 8th-note figuration is even, but the harmony moves on the beat) -- and a linear
   score over these picks the beat.  Its weights come from ``benchmarks/fit_tempo.py``.
4. The tempo is the centre of the autocorrelation plateau around the chosen level, which
   follows the mean tempo of a drifting (rubato) performance.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import scipy.fft
import scipy.ndimage

__all__ = ["TempoEstimate", "estimate_tempo", "chunk_tempos", "periodicity", "candidate_table"]

_WIN_S = 12.0  # autocorrelation window (s)
_MIN_S = 4.0  # shortest signal with a tempo (s)
_MIN_PERIODICITY = 0.035  # below this (plus a margin for short signals) there is no beat
_WINDOW_BATCH = 32  # autocorrelation windows transformed at once
_PLATEAU = 0.6  # share of the peak that bounds the plateau of a drifting tempo
_MIN_BAND_SHARE = 0.1  # a band with less onset strength than this share of the top is ignored


@dataclass
class TempoEstimate:
    """A tempo estimate.

    Attributes
    ----------
    bpm : float or None
        Beats per minute; ``None`` for silence or a signal without periodicity.
    confidence : float
        0-1: how clearly the chosen level beats its octave alternatives, times how periodic
        the signal is.
    alternatives : tuple of float
        The octave-related candidates that were scored (BPM), best first.
    scores : tuple of float
        Probability (0-1) the decision gives each alternative, same order.
    periodicity : float
        Autocorrelation (0-1) of the onset envelope at the chosen beat period.
    """

    bpm: float | None
    confidence: float = 0.0
    alternatives: tuple[float, ...] = ()
    scores: tuple[float, ...] = field(default=(), repr=False)
    periodicity: float = 0.0


def _min_periodicity(seconds: float) -> float:
    """Autocorrelation a beat must reach; noise reaches less, more so in long signals."""
    return _MIN_PERIODICITY + 0.1 / np.sqrt(max(seconds, 1.0))


def _prepare_bands(bands: np.ndarray, frame_rate: float) -> np.ndarray:
    """Scale each band to unit mean and remove the slow trend; returns (k, n) float64."""
    bands = np.asarray(bands, dtype=np.float64)
    means = bands.mean(axis=1, keepdims=True)
    floor = 0.05 * float(means.mean()) + 1e-12
    b = bands / (means + floor)
    trend = scipy.ndimage.uniform_filter1d(b, size=max(3, int(round(0.5 * frame_rate))), axis=1)
    return np.maximum(b - trend, 0.0)


def _window_acfs(env: np.ndarray, frame_rate: float, max_lag: int):
    """Yield batches of (autocorrelation (k, w, max_lag), weight (k, w)) of 12 s windows.

    Each window's autocorrelation is normalised to 1 at lag 0; its weight is the square root
    of its energy, so that quiet passages count less.
    """
    k, n = env.shape
    win = int(_WIN_S * frame_rate)
    if n <= win:
        starts = [0]
        win = n
    else:
        hop = win // 3
        starts = list(range(0, n - win + 1, hop))
        if starts[-1] != n - win:
            starts.append(n - win)
    nfft = scipy.fft.next_fast_len(2 * win)
    starts = np.asarray(starts)
    for b in range(0, len(starts), _WINDOW_BATCH):  # bounded temporary memory
        idx = starts[b : b + _WINDOW_BATCH, None] + np.arange(win)[None, :]
        frames = env[:, idx]  # (k, w, win)
        frames = frames - frames.mean(axis=2, keepdims=True)
        spec = scipy.fft.rfft(frames, n=nfft, axis=2)
        acf = scipy.fft.irfft(spec.real**2 + spec.imag**2, n=nfft, axis=2)[:, :, :max_lag]
        energy = acf[:, :, :1]
        ok = energy > 1e-12
        acf = np.where(ok, acf / np.where(ok, energy, 1.0), 0.0)
        if acf.shape[2] < max_lag:
            acf = np.pad(acf, ((0, 0), (0, 0), (0, max_lag - acf.shape[2])))
        # Undo the triangular bias of the finite window.
        lags = np.arange(max_lag)
        acf = acf * (win / np.maximum(win - lags, win / 4))
        yield acf, np.sqrt(np.maximum(energy[:, :, 0], 0.0))


def periodicity(env: np.ndarray, frame_rate: float, *, max_lag_s: float = 4.5) -> np.ndarray:
    """Windowed, energy-weighted autocorrelation of an onset envelope.

    Parameters
    ----------
    env : ndarray, shape (n,) or (k, n)
        Onset envelope(s) on a uniform frame grid.
    frame_rate : float
        Frames per second.
    max_lag_s : float
        Longest lag kept (s).

    Returns
    -------
    ndarray, shape (max_lag,) or (k, max_lag)
        Autocorrelation normalised to 1 at lag 0 in each 12 s window, averaged over windows.
    """
    env = np.atleast_2d(np.asarray(env, dtype=np.float64))
    max_lag = int(max_lag_s * frame_rate)
    total = np.zeros((env.shape[0], max_lag))
    wsum = np.zeros((env.shape[0], 1))
    for acf, weight in _window_acfs(env, frame_rate, max_lag):
        total += np.einsum("kwl,kw->kl", acf, weight)
        wsum += weight.sum(axis=1, keepdims=True)
    wsum[wsum == 0] = 1.0
    out = scipy.ndimage.gaussian_filter1d(total / wsum, 1.0, axis=1)
    return out[0] if out.shape[0] == 1 else out


def _at(acf: np.ndarray, lag: np.ndarray | float) -> np.ndarray:
    """Autocorrelation at fractional lags (the best of +/-2 % around the lag)."""
    lag = np.asarray(lag, dtype=float)
    n = acf.shape[-1]
    best = None
    for f in (0.98, 0.99, 1.0, 1.01, 1.02):
        x = np.clip(lag * f, 0, n - 1.001)
        i = x.astype(int)
        v = acf[..., i] * (1 - (x - i)) + acf[..., i + 1] * (x - i)
        best = v if best is None else np.maximum(best, v)
    return best


def _prior(bpm):
    """Log-normal preference for beats around 110 BPM (width about one octave)."""
    return np.exp(-0.5 * (np.log2(np.asarray(bpm) / _PRIOR_BPM) / 0.9) ** 2)


#: Centre (BPM) and width (octaves, one standard deviation) of the fixed perceptual tempo
#: preference: listeners tap most readily near 100-120 BPM (resonance models of tempo
#: perception), and the preference falls off over about an octave either side.
_PREFERENCE_BPM = 115.0
_PREFERENCE_OCTAVES = 1.0
#: Harmonic-change periodicity is read at these multiples of the candidate beat period.
_HARMONY_BEATS = (1, 2, 4)
_HARMONY_LAG_S = 9.0


def _log_prior(bpm: float) -> float:
    """Log of the fixed perceptual preference (0 at its centre, -0.5 one width away)."""
    return -0.5 * (np.log2(bpm / _PREFERENCE_BPM) / _PREFERENCE_OCTAVES) ** 2


#: Weights of the candidate features, in :func:`_candidate_features` order.  They are fitted
#: by ``python -m benchmarks.fit_tempo`` (L2-penalised conditional logit) on songs of two
#: independent generators and metronome tracks, and rounded; that script prints the
#: cross-validation.
_WEIGHTS = np.array([
    5.6, 2.72, 3.04, -0.9,  # preference, its tilt, its change with the cymbal share
    -5.93, 1.33, 2.93, -0.13, 7.54, 6.85, -7.64,  # accent envelope measures
    -0.04, -1.4, 0.67, -2.58,  # low band: alternation, faster alternation, salience, contrast
    -1.48, -0.9, 6.21, -0.85,  # mid band
    -2.83, -0.36, 0.45, -0.4,  # high band
    6.94, -8.62, 7.67,  # harmonic change at 1, 2 and 4 beats
    -2.01, -0.19, 1.98,  # bass change at 1, 2 and 4 beats
    -1.84, -1.69, 1.06,  # harmonic change on the pulses: alternation, faster, contrast
])
_PRIOR_BPM = 110.0
_MAX_WINDOWS = 40  # windows used for the pulse measures (evenly spread over the song)


def _pulse_measures(env: np.ndarray, period: float, frame_rate: float) -> tuple[float, float]:
    """Pulse salience and alternation of a pulse train with ``period`` frames.

    In windows of 12 s the pulse phase that collects the most onset strength is found.
    Returns the mean onset strength on the pulses (relative to the envelope mean) and the
    alternation ratio: median strength of the weaker half of the pulses (every other pulse)
    over that of the stronger half, 0-1 (1 = every pulse equally accented).
    """
    em = scipy.ndimage.maximum_filter1d(env, 5)
    n = len(env)
    win = min(n, int(_WIN_S * frame_rate))
    starts = np.arange(0, max(1, n - win + 1), max(1, win // 2))
    if len(starts) > _MAX_WINDOWS:
        starts = starts[np.linspace(0, len(starts) - 1, _MAX_WINDOWS).astype(int)]
    phases = np.arange(int(np.ceil(period)))
    k = np.arange(max(2, int((win - period) // period)))
    offsets = np.round(phases[:, None] + k[None, :] * period).astype(int)
    offsets = np.clip(offsets, 0, win - 1)
    v = em[starts[:, None, None] + offsets[None, :, :]]  # (windows, phases, pulses)
    m = v.mean(axis=2)
    best = np.argmax(m, axis=1)
    rows = np.arange(len(starts))
    pulses = v[rows, best]  # (windows, pulses) at each window's best phase
    a = np.median(pulses[:, 0::2], axis=1)
    c = np.median(pulses[:, 1::2], axis=1)
    alt = np.minimum(a, c) / np.maximum(np.maximum(a, c), 1e-9)
    sal = m[rows, best]
    mean = float(env.mean()) or 1.0
    return float(np.mean(sal)) / mean, float(np.median(alt))


def _chroma_novelty(chroma: np.ndarray) -> np.ndarray:
    """Positive frame-to-frame change of the normalised chroma, slow trend removed."""
    c = np.sqrt(np.maximum(np.asarray(chroma, dtype=np.float64), 0.0))
    c = c / np.maximum(np.linalg.norm(c, axis=0, keepdims=True), 1e-9)
    nov = np.maximum(np.diff(c, axis=1, prepend=c[:, :1]), 0.0).sum(axis=0)
    return nov - np.convolve(nov, np.ones(9) / 9, mode="same")


def _harmony_acf(chroma: np.ndarray | None, pitch_rate: float | None) -> np.ndarray | None:
    """Periodicity of harmonic change (chroma novelty), or None without enough chroma."""
    if chroma is None or not pitch_rate or chroma.shape[-1] < _MIN_S * pitch_rate:
        return None
    if float(np.sum(chroma)) <= 0:
        return None
    return periodicity(_chroma_novelty(chroma), pitch_rate, max_lag_s=_HARMONY_LAG_S)


def _harmony_pulses(novelty: np.ndarray | None, bpm: float,
                    pitch_rate: float | None) -> list[float]:
    """Alternation, faster alternation and pulse contrast of the harmonic change at a beat.

    ``novelty`` is the positive chroma novelty; without it the features are 0.
    """
    if novelty is None:
        return [0.0, 0.0, 0.0]
    p = 60.0 * pitch_rate / bpm
    sal, alt = _pulse_measures(novelty, p, pitch_rate)
    sal_fast, alt_fast = _pulse_measures(novelty, p / 2, pitch_rate)
    return [alt, alt_fast, float(np.log(max(sal, 1e-6) / max(sal_fast, 1e-6)))]


def _candidate_features(bpm, prep, present, env_acc, a_acc, a_all, frame_rate,
                        harmony=(None, None), pitch_rate=None, high_share=1.0 / 3.0,
                        novelty=None):
    """Features of one candidate beat rate (see :data:`_WEIGHTS`).

    Bands that are not ``present`` and a missing harmony periodicity get constant features,
    which do not change the decision.
    """
    period = 60.0 * frame_rate / bpm
    sal, alt = _pulse_measures(env_acc, period, frame_rate)
    sal_fast, alt_fast = _pulse_measures(env_acc, period / 2, frame_rate)
    octave = np.log2(bpm / _PREFERENCE_BPM)
    feats = [
        _log_prior(bpm),  # fixed perceptual preference (not fitted in shape)
        octave,  # a tilt of that preference ...
        octave * high_share,  # ... and its change with the share of high-band (cymbal) onsets
        -octave * octave * high_share,
        alt,  # every pulse at this level is accented
        alt_fast,  # the level twice as fast is filled too
        np.log(max(sal, 1e-6)),  # how much onset strength falls on the pulses
        float(_at(a_acc, period)),  # periodicity of the accent onsets at this period
        float(_at(a_all, period)),  # periodicity of all onsets at this period
        alt * (1.0 - alt_fast),  # this is the fastest evenly accented level
        np.log(max(sal, 1e-6) / max(sal_fast, 1e-6)),  # pulses stand out from the offbeats
    ]
    for band, here in zip(prep, present, strict=True):  # the same in each band
        if not here:
            feats += [0.0, 0.0, 0.0, 0.0]
            continue
        b_sal, b_alt = _pulse_measures(band, period, frame_rate)
        b_sal_fast, b_fast = _pulse_measures(band, period / 2, frame_rate)
        feats += [b_alt, b_fast, np.log(max(b_sal, 1e-6)),
                  np.log(max(b_sal, 1e-6) / max(b_sal_fast, 1e-6))]
    for acf in harmony:  # chords and bass notes change on beats and bars, not between
        if acf is None:
            feats += [0.0] * len(_HARMONY_BEATS)
        else:
            p = 60.0 * pitch_rate / bpm
            feats += [float(_at(acf, k * p)) for k in _HARMONY_BEATS]
    feats += _harmony_pulses(novelty, bpm, pitch_rate)
    return np.array(feats)


def candidate_table(bands: np.ndarray, frame_rate: float, *, chroma: np.ndarray | None = None,
                    bass_chroma: np.ndarray | None = None,
                    pitch_rate: float | None = None, min_bpm: float = 40.0,
                    max_bpm: float = 240.0):
    """Candidate beat rates and their features (used by the estimator and its fitting).

    Parameters
    ----------
    bands : ndarray, shape (3, n)
        Low/mid/high onset envelopes on a uniform frame grid.
    frame_rate : float
        Onset frames per second.
    chroma, bass_chroma : ndarray, shape (12, m), optional
        Pitch-class magnitudes (whole range and bass range) on the pitch grid; without them
        the harmonic-change features are constant.
    pitch_rate : float, optional
        Pitch frames per second.
    min_bpm, max_bpm : float
        Range of tempos considered (BPM).

    Returns
    -------
    dict or None
        ``None`` for silence or too short a signal; else ``cands`` (BPM, empty when there is
        no periodicity), ``periodicity`` (peak autocorrelation) and, with candidates,
        ``features`` (one row per candidate, :data:`_WEIGHTS` order), ``acf`` (summed
        autocorrelation) and ``a_all`` (autocorrelation of all onsets).
    """
    n = bands.shape[1]
    if n < _MIN_S * frame_rate or float(bands.sum()) <= 1e-6 * n:
        return None
    prep = _prepare_bands(bands, frame_rate)
    band_means = bands.mean(axis=1)
    present = band_means >= _MIN_BAND_SHARE * band_means.max()
    env_all = prep.sum(axis=0)
    env_acc = prep[0] + prep[1]
    a_all, a_acc = periodicity(np.stack([env_all, env_acc]), frame_rate)
    both = a_all + a_acc
    # Strongest periodicity over a wide range.
    grid = np.exp(np.linspace(np.log(min_bpm), np.log(max_bpm), 800))
    lag = 60.0 * frame_rate / grid
    peak = float(np.max(_at(a_all, lag)))
    if peak < _min_periodicity(n / frame_rate):
        return {"cands": [], "periodicity": peak}
    sal = _at(a_all, lag) + _at(a_acc, lag)
    base = _refine(both, frame_rate, grid[int(np.argmax(sal * _prior(grid) ** 0.5))])
    cands = []
    for f in (1 / 4, 1 / 3, 1 / 2, 2 / 3, 1.0, 3 / 2, 2.0, 3.0, 4.0):
        if min_bpm <= base * f <= max_bpm:
            c = _refine(both, frame_rate, base * f)
            if all(abs(c - o) > 0.02 * c for o in cands):
                cands.append(c)
    harmony = (_harmony_acf(chroma, pitch_rate), _harmony_acf(bass_chroma, pitch_rate))
    novelty = None
    if harmony[0] is not None:
        novelty = np.maximum(_chroma_novelty(chroma), 0.0)
    share = band_means / band_means.sum()
    feats = np.array(
        [_candidate_features(c, prep, present, env_acc, a_acc, a_all, frame_rate,
                             harmony, pitch_rate, float(share[2]), novelty) for c in cands]
    )
    return {"cands": cands, "features": feats, "acf": both, "a_all": a_all,
            "periodicity": peak}


def _estimate(bands: np.ndarray, frame_rate: float, *, min_bpm: float, max_bpm: float,
              chroma: np.ndarray | None = None, bass_chroma: np.ndarray | None = None,
              pitch_rate: float | None = None):
    table = candidate_table(bands, frame_rate, chroma=chroma, bass_chroma=bass_chroma,
                            pitch_rate=pitch_rate,
                            min_bpm=min_bpm, max_bpm=max_bpm)
    if table is None:
        return TempoEstimate(None)
    if not table["cands"]:
        return TempoEstimate(None, periodicity=table["periodicity"])
    cands, both, a_all = table["cands"], table["acf"], table["a_all"]
    logits = table["features"] @ _WEIGHTS
    prob = np.exp(logits - logits.max())
    prob /= prob.sum()
    order = np.argsort(prob)[::-1]
    best = _refine(both, frame_rate, cands[int(order[0])], spread=0.06, plateau=True)
    per = float(_at(a_all, 60.0 * frame_rate / best))
    conf = float(np.clip(prob[order[0]] * min(1.0, per / 0.3), 0.0, 1.0))
    return TempoEstimate(
        bpm=round(best, 2),
        confidence=conf,
        alternatives=(round(best, 2),) + tuple(round(cands[i], 2) for i in order[1:]),
        scores=tuple(float(prob[i]) for i in order),
        periodicity=per,
    )


def _refine(acf: np.ndarray, frame_rate: float, bpm: float, *, spread: float = 0.03,
            plateau: bool = False) -> float:
    """Sharpen a tempo using the autocorrelation at 1-4 beat periods.

    The summed autocorrelation is scanned within +/-``spread`` of ``bpm``; the result is its
    peak or, with ``plateau``, the centre of the plateau around the peak (points above 60 %
    of the peak), which is the mean tempo when the tempo drifts (rubato).
    """
    grid = bpm * np.exp(np.linspace(-spread, spread, int(spread * 2000) + 1))
    lag = 60.0 * frame_rate / grid
    s = np.zeros_like(grid)
    for k in (1, 2, 3, 4):
        s += np.interp(k * lag, np.arange(acf.shape[-1]), acf, right=0.0)
    i = int(np.argmax(s))
    if not plateau or s[i] <= 0:
        return float(grid[i])
    lo = hi = i
    while lo > 0 and s[lo - 1] >= _PLATEAU * s[i]:
        lo -= 1
    while hi < len(s) - 1 and s[hi + 1] >= _PLATEAU * s[i]:
        hi += 1
    w = s[lo : hi + 1]
    return float(np.exp(np.sum(w * np.log(grid[lo : hi + 1])) / np.sum(w)))


def _bands_of(features, frame_rate):
    if hasattr(features, "onset_bands"):
        return np.atleast_2d(features.onset_bands), float(features.frame_rate)
    if frame_rate is None:
        raise ValueError("frame_rate is required when onset envelopes are given as an array")
    arr = np.atleast_2d(np.asarray(features, dtype=np.float64))
    if arr.shape[0] == 1:
        arr = np.vstack([arr, arr, arr])
    return arr, float(frame_rate)


def estimate_tempo(
    features,
    *,
    frame_rate: float | None = None,
    frames: tuple[int, int] | None = None,
    min_bpm: float = 40.0,
    max_bpm: float = 240.0,
) -> TempoEstimate:
    """Estimate the beat tempo.

    Parameters
    ----------
    features : FeatureStream or ndarray
        A finished :class:`core.analysis.features.FeatureStream`, or onset envelope(s): shape (n,) or
        (3, n) low/mid/high bands.
    frame_rate : float, optional
        Frames per second of an array input (ignored for a FeatureStream).
    frames : (int, int), optional
        Only use onset frames ``start:stop`` (e.g. one chunk).
    min_bpm, max_bpm : float
        Range of tempos considered (BPM).

    Returns
    -------
    TempoEstimate
        ``bpm`` is ``None`` for silence, too short a signal (< 4 s) or no periodicity.

    Raises
    ------
    ValueError
        Bad ``frame_rate`` or BPM range.
    """
    bands, fr = _bands_of(features, frame_rate)
    if not fr > 0:
        raise ValueError(f"frame_rate must be positive, got {frame_rate!r}")
    if not 10 <= min_bpm < max_bpm <= 600:
        raise ValueError(f"need 10 <= min_bpm < max_bpm <= 600, got {min_bpm!r}, {max_bpm!r}")
    chroma = getattr(features, "chroma", None)
    bass = getattr(features, "bass_chroma", None)
    pitch_rate = getattr(features, "pitch_frame_rate", None)
    if frames is not None:
        bands = bands[:, frames[0] : frames[1]]
        if pitch_rate:
            a, b = (int(round(f * pitch_rate / fr)) for f in frames)
            chroma = None if chroma is None else chroma[:, a:b]
            bass = None if bass is None else bass[:, a:b]
    return _estimate(bands, fr, min_bpm=min_bpm, max_bpm=max_bpm, chroma=chroma,
                     bass_chroma=bass, pitch_rate=pitch_rate)


def chunk_tempos(features, *, song: TempoEstimate | None = None,
                 **kwargs) -> list[TempoEstimate]:
    """Tempo of each chunk of a finished FeatureStream.

    Parameters
    ----------
    features : FeatureStream
        Finished, with chunks marked.
    song : TempoEstimate, optional
        The song's tempo.  A chunk whose strongest periodicity belongs to the song tempo's
        octave family (x1/3 ... x3, within 4 %) gets the song's metrical level, sharpened on
        the chunk; only a chunk that really differs is estimated on its own.  This keeps
        chunk values consistent and cheap.
    **kwargs
        Passed to :func:`estimate_tempo`.

    Returns
    -------
    list of TempoEstimate
        One per chunk.
    """
    out = []
    bands, fr = _bands_of(features, None)
    for a, b in features.chunk_frames():
        est = None
        if song is not None and song.bpm is not None:
            est = _follow_song(bands[:, a:b], fr, song.bpm)
        out.append(est if est is not None else estimate_tempo(features, frames=(a, b), **kwargs))
    return out


def _follow_song(bands: np.ndarray, frame_rate: float, bpm: float) -> TempoEstimate | None:
    """The song's beat sharpened on a chunk, or None when the chunk's pulse differs."""
    n = bands.shape[1]
    if n < _MIN_S * frame_rate or float(bands.sum()) <= 1e-6 * n:
        return TempoEstimate(None)
    prep = _prepare_bands(bands, frame_rate)
    a_all, a_acc = periodicity(np.stack([prep.sum(axis=0), prep[0] + prep[1]]), frame_rate)
    grid = np.exp(np.linspace(np.log(40.0), np.log(240.0), 800))
    lag = 60.0 * frame_rate / grid
    strength = _at(a_all, lag)
    if float(strength.max()) < _min_periodicity(n / frame_rate):
        return TempoEstimate(None, periodicity=float(strength.max()))
    base = grid[int(np.argmax((strength + _at(a_acc, lag)) * _prior(grid) ** 0.5))]
    ratio = base / bpm
    if not any(abs(ratio - f) <= 0.04 * f for f in (1 / 3, 1 / 2, 2 / 3, 1, 3 / 2, 2, 3)):
        return None
    best = _refine(a_all + a_acc, frame_rate, bpm, spread=0.06, plateau=True)
    per = float(_at(a_all, 60.0 * frame_rate / best))
    return TempoEstimate(round(best, 2), confidence=float(np.clip(per / 0.3, 0.0, 1.0)),
                         alternatives=(round(best, 2),), scores=(1.0,), periodicity=per)
