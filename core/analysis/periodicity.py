"""Periodicity measures of onset and harmonic-change envelopes, shared by tempo and meter.

* :func:`tame_end` -- onset bands without the click of a cut at the file's end.
* :func:`prepare_bands` -- onset bands scaled to unit mean with the slow trend removed.
* :func:`periodicity` -- windowed (12 s), energy-weighted autocorrelation of an envelope.
* :func:`value_at` -- that autocorrelation read at fractional lags.
* :func:`chroma_novelty` -- frame-to-frame harmonic change of a chroma array.
* :func:`pulse_measures` -- salience, alternation and fill of a pulse train of a given period
  in 8 s windows
  (:class:`PulseEnvelope` holds what it reads from an envelope, for many periods).
* :func:`lag_histogram` -- Percival-style histogram of each window's best beat lag.
"""

from __future__ import annotations

import numpy as np
import scipy.fft
import scipy.ndimage

__all__ = ["WINDOW_S", "PULSE_WINDOW_S", "END_FRAMES", "tame_end", "prepare_bands", "periodicity", "value_at",
           "chroma_novelty", "PulseEnvelope", "pulse_measures", "lag_histogram", "local_maxima",
           "vertex_offsets"]

#: Length (s) of the analysis windows of the autocorrelation.
WINDOW_S = 12.0
_WINDOW_BATCH = 32  # autocorrelation windows transformed at once
_SPREAD = np.array([0.98, 0.99, 1.0, 1.01, 1.02])  # lags read around a lag (+/-2 %)
_MAX_WINDOWS = 40  # windows used for the pulse measures (evenly spread over the signal)
#: Length (s) of the windows of the pulse measures.  A comb of fixed period is laid over each
#: window, and a performance whose tempo sways slips off it: 3 % off at 140 BPM slips by 0.84
#: of a beat over 12 s, 0.56 over 8 s.  The slip costs the fast levels most (their pulses are
#: narrowest), which pushed drifting songs to another metrical level.
PULSE_WINDOW_S = 8.0
#: Frames at the end of a signal's onset bands that :func:`tame_end` bounds: the windows of
#: the onset grid (1024 samples, four hops) of the last four reach past the end of the file.
END_FRAMES = 4


def local_maxima(env: np.ndarray, frame_rate: float, *, width_s: float = 0.1) -> np.ndarray:
    """Frames of ``env`` that are the largest within a window of ``width_s`` seconds centred
    on them (at least three frames; the default, 0.1 s, is 50 ms either side): where an
    onset peaks.

    Returns
    -------
    ndarray of bool, the shape of ``env``
    """
    return scipy.ndimage.maximum_filter1d(env, max(3, int(width_s * frame_rate)) | 1) == env


def tame_end(bands: np.ndarray) -> np.ndarray:
    """Onset bands without the click of a cut at the end: in each band whose last
    :data:`END_FRAMES` frames outdo every frame before them, those frames are bounded by the
    band's median.

    A file cut off at full level (a song taken from a longer recording, a loop, a tone that
    stops mid-swell) ends in the frames whose windows run past its end, into the silence
    after it: the cut spreads over every band there, and its flux outdoes any onset of the
    music (a 2 Hz tremolo's swells 61 times: 9.5 against 0.155).  Nothing begins there, yet
    it set the scale that onsets are counted on and outweighed the rest in the periodicity.
    A file that ends otherwise keeps its end as it is.  (A file that begins at full level
    rises in its first frame, whose window is half silence, and the flux starts from that
    frame: its second rises about as much as a note does.)

    Parameters
    ----------
    bands : ndarray, shape (k, n)
        Onset envelopes of a whole signal.

    Returns
    -------
    ndarray, shape (k, n)
        ``bands`` itself when no band's end outdoes the frames before it (or the signal is
        too short to have them), else a copy with those ends bounded.
    """
    bands = np.atleast_2d(bands)
    n = bands.shape[1]
    if n <= 2 * END_FRAMES:
        return bands
    body, end = bands[:, :n - END_FRAMES], bands[:, n - END_FRAMES:]
    cut = end.max(axis=1) > body.max(axis=1)
    if not cut.any():
        return bands
    out = np.array(bands, copy=True)
    floor = np.median(body[cut], axis=1, keepdims=True)
    out[cut, n - END_FRAMES:] = np.minimum(end[cut], floor)
    return out


def prepare_bands(bands: np.ndarray, frame_rate: float) -> np.ndarray:
    """Scale each onset band to unit mean and remove its slow trend.

    Parameters
    ----------
    bands : ndarray, shape (k, n)
        Onset envelopes (spectral flux per band) on a uniform frame grid.
    frame_rate : float
        Frames per second.

    Returns
    -------
    ndarray, shape (k, n), float64
        Non-negative envelopes; a 0.5 s moving average is subtracted from each.
    """
    bands = np.asarray(bands, dtype=np.float64)
    means = bands.mean(axis=1, keepdims=True)
    floor = 0.05 * float(means.mean()) + 1e-12
    b = bands / (means + floor)
    trend = scipy.ndimage.uniform_filter1d(b, size=max(3, int(round(0.5 * frame_rate))), axis=1)
    return np.maximum(b - trend, 0.0)


def _window_starts(n: int, win: int) -> np.ndarray:
    if n <= win:
        return np.array([0])
    starts = list(range(0, n - win + 1, win // 3))
    if starts[-1] != n - win:
        starts.append(n - win)
    return np.asarray(starts)


def _window_acfs(env: np.ndarray, frame_rate: float, max_lag: int):
    """Yield batches of (autocorrelation (k, w, max_lag), unbias (max_lag,), weight (k, w)).

    Each 12 s window's autocorrelation is normalised to 1 at lag 0; times ``unbias`` it no
    longer fades with the lag (the finite window's triangle undone).  The weight is the square
    root of the window's energy, so that quiet passages count less.
    """
    n = env.shape[1]
    win = min(n, int(WINDOW_S * frame_rate))
    starts = _window_starts(n, win)
    nfft = scipy.fft.next_fast_len(2 * win)
    lags = np.arange(max_lag)
    unbias = win / np.maximum(win - lags, win / 4)  # undo the finite window's triangle
    for b in range(0, len(starts), _WINDOW_BATCH):  # bounded temporary memory
        idx = starts[b : b + _WINDOW_BATCH, None] + np.arange(win)[None, :]
        frames = env[:, idx]  # (k, w, win)
        frames = frames - frames.mean(axis=2, keepdims=True)
        spec = scipy.fft.rfft(frames, n=nfft, axis=2)
        acf = scipy.fft.irfft(spec.real**2 + spec.imag**2, n=nfft, axis=2)[:, :, :max_lag]
        acf[:, :, win:] = 0.0  # no overlap at these lags (the FFT would wrap negative lags in)
        energy = acf[:, :, :1]
        ok = energy > 1e-12
        acf = np.where(ok, acf / np.where(ok, energy, 1.0), 0.0)
        if acf.shape[2] < max_lag:
            acf = np.pad(acf, ((0, 0), (0, 0), (0, max_lag - acf.shape[2])))
        yield acf, unbias, np.sqrt(np.maximum(energy[:, :, 0], 0.0))


def periodicity(env: np.ndarray, frame_rate: float, *, max_lag_s: float = 4.5,
                windows: bool = False):
    """Windowed, energy-weighted autocorrelation of an onset envelope.

    Parameters
    ----------
    env : ndarray, shape (n,) or (k, n)
        Envelope(s) on a uniform frame grid.
    frame_rate : float
        Frames per second.
    max_lag_s : float
        Longest lag kept (s).
    windows : bool
        Also return each window's autocorrelation of the first envelope.

    Returns
    -------
    ndarray, shape (max_lag,) or (k, max_lag)
        Autocorrelation normalised to 1 at lag 0 in each 12 s window, averaged over windows.
    ndarray, shape (w, max_lag)
        Only with ``windows``: the smoothed autocorrelation of each window of ``env[0]``, with
        the window's triangle left in (of equal peaks the shorter lag is the larger, so a
        short window does not pick the longest of a steady pulse's multiples).
    """
    env = np.atleast_2d(np.asarray(env, dtype=np.float64))
    max_lag = int(max_lag_s * frame_rate)
    total = np.zeros((env.shape[0], max_lag))
    wsum = np.zeros((env.shape[0], 1))
    per_window = []
    for acf, unbias, weight in _window_acfs(env, frame_rate, max_lag):
        total += np.einsum("kwl,kw->kl", acf * unbias, weight)
        wsum += weight.sum(axis=1, keepdims=True)
        if windows:
            per_window.append(acf[0])
    wsum[wsum == 0] = 1.0
    out = scipy.ndimage.gaussian_filter1d(total / wsum, 1.0, axis=1)
    out = out[0] if out.shape[0] == 1 else out
    if not windows:
        return out
    return out, scipy.ndimage.gaussian_filter1d(np.concatenate(per_window), 1.0, axis=1)


def vertex_offsets(y: np.ndarray, at) -> np.ndarray:
    """Where the parabola through each point ``at`` of ``y`` and its two neighbours peaks,
    in samples from that point (within half a sample); 0 where it does not bend down (the
    ends of ``y`` count their own value as the missing neighbour).  At a local maximum the
    vertex lies within half a sample anyway."""
    at = np.asarray(at)
    before, point, after = (y[np.clip(at + d, 0, y.size - 1)] for d in (-1, 0, 1))
    curve = before - 2.0 * point + after
    shift = np.divide(0.5 * (before - after), curve, out=np.zeros(at.shape), where=curve < 0)
    return np.clip(shift, -0.5, 0.5)


def value_at(acf: np.ndarray, lag) -> np.ndarray:
    """An autocorrelation at fractional lags: the best value within +/-2 % of each lag.

    Parameters
    ----------
    acf : ndarray, shape (..., m)
        Autocorrelation(s) indexed by lag in frames.
    lag : float or ndarray
        Lag(s) in frames.

    Returns
    -------
    ndarray
        Linearly interpolated values, shape ``acf.shape[:-1] + np.shape(lag)``.
    """
    lag = np.asarray(lag, dtype=float)
    n = acf.shape[-1]
    x = np.clip(lag[..., None] * _SPREAD, 0, n - 1.001)  # the five lags around each lag
    i = x.astype(int)
    frac = x - i
    v = acf[..., i] * (1 - frac) + acf[..., i + 1] * frac
    return v.max(axis=-1)


def chroma_novelty(chroma: np.ndarray) -> np.ndarray:
    """Positive frame-to-frame change of the normalised chroma, slow trend removed.

    Parameters
    ----------
    chroma : ndarray, shape (12, m)
        Pitch-class magnitudes.

    Returns
    -------
    ndarray, shape (m,)
        Summed positive change of the square-root compressed, unit-norm chroma minus its
        9-frame moving average (may be negative).
    """
    c = np.sqrt(np.maximum(np.asarray(chroma, dtype=np.float64), 0.0))
    c = c / np.maximum(np.linalg.norm(c, axis=0, keepdims=True), 1e-9)
    nov = np.maximum(np.diff(c, axis=1, prepend=c[:, :1]), 0.0).sum(axis=0)
    return nov - np.convolve(nov, np.ones(9) / 9, mode="same")


class PulseEnvelope:
    """An envelope with the local maxima and mean that :func:`pulse_measures` reads.

    Computed once, they serve every period measured on the same envelope.

    Parameters
    ----------
    env : ndarray, shape (n,)
        A non-negative envelope.
    """

    def __init__(self, env: np.ndarray):
        self.env = np.asarray(env)
        self.peaks = scipy.ndimage.maximum_filter1d(self.env, 5)
        self.mean = float(self.env.mean()) or 1.0


def pulse_measures(env: np.ndarray | PulseEnvelope, period: float,
                   frame_rate: float) -> tuple[float, float, float]:
    """Pulse salience, alternation and fill of a pulse train with ``period`` frames.

    In windows of :data:`PULSE_WINDOW_S` (8 s) the pulse phase that collects the most onset
    strength is found.

    Parameters
    ----------
    env : ndarray, shape (n,), or PulseEnvelope
        A non-negative envelope (prepared with :class:`PulseEnvelope` when it is measured
        at several periods).
    period : float
        Pulse period (frames).
    frame_rate : float
        Frames per second.

    Returns
    -------
    salience : float
        Mean strength on the pulses relative to the envelope mean.
    alternation : float
        Median strength of the weaker half of the pulses (every other pulse) over that of
        the stronger half, 0-1 (1 = every pulse equally accented).
    fill : float
        Share of the pulses (0-1) that carry an onset: more strength than the envelope's
        mean.  A beat level twice as fast as the music's pulse leaves half of them empty.
    """
    if not isinstance(env, PulseEnvelope):
        env = PulseEnvelope(env)
    em = env.peaks
    n = len(em)
    win = min(n, int(PULSE_WINDOW_S * frame_rate))
    starts = np.arange(0, max(1, n - win + 1), max(1, win // 2))
    if len(starts) > _MAX_WINDOWS:
        starts = starts[np.linspace(0, len(starts) - 1, _MAX_WINDOWS).astype(int)]
    phases = np.arange(int(np.ceil(period)))
    k = np.arange(max(2, int((win - period) // period)))
    offsets = np.clip(np.round(phases[:, None] + k[None, :] * period).astype(int), 0, win - 1)
    v = em[starts[:, None, None] + offsets[None, :, :]]  # (windows, phases, pulses)
    m = np.add.reduce(v, axis=2) / v.shape[2]  # the mean, without np.mean's overhead
    best = np.argmax(m, axis=1)
    rows = np.arange(len(starts))
    pulses = v[rows, best]  # (windows, pulses) at each window's best phase
    a = _row_medians(pulses[:, 0::2])
    c = _row_medians(pulses[:, 1::2])
    alt = np.minimum(a, c) / np.maximum(np.maximum(a, c), 1e-9)
    mean = env.mean
    fill = np.count_nonzero(pulses > mean) / pulses.size
    strongest = np.add.reduce(m[rows, best]) / len(rows)
    return float(strongest) / mean, float(_row_medians(alt[None, :])[0]), float(fill)


def _row_medians(x: np.ndarray) -> np.ndarray:
    """Median of each row of a 2-D array without NaN, as ``np.median(x, axis=1)`` computes it
    (the mean of the two middle values for an even count), with less overhead."""
    n = x.shape[1]
    half = n // 2
    if n % 2:
        return np.partition(x, half, axis=1)[:, half]
    part = np.partition(x, (half - 1, half), axis=1)
    return (part[:, half - 1] + part[:, half]) / 2.0


def lag_histogram(window_acfs: np.ndarray, frame_rate: float, *, min_bpm: float = 40.0,
                  max_bpm: float = 240.0) -> np.ndarray:
    """Histogram of each window's strongest beat lag (Percival & Tzanetakis 2014).

    Parameters
    ----------
    window_acfs : ndarray, shape (w, m)
        Autocorrelation of each analysis window (see :func:`periodicity`).
    frame_rate : float
        Frames per second.
    min_bpm, max_bpm : float
        Range of beat rates searched (BPM).

    Returns
    -------
    ndarray, shape (m,)
        Share of the windows (weighted by their peak height) whose best lag is each lag,
        smoothed by a Gaussian of 1 % of the lag; sums to 1 (all zeros without windows).
    """
    w = np.atleast_2d(window_acfs)
    m = w.shape[1]
    lo = max(1, int(60.0 * frame_rate / max_bpm))
    hi = min(m - 1, int(np.ceil(60.0 * frame_rate / min_bpm)))
    hist = np.zeros(m)
    if hi <= lo or w.shape[0] == 0:
        return hist
    seg = w[:, lo:hi]
    best = lo + np.argmax(seg, axis=1)
    height = np.maximum(seg.max(axis=1), 0.0)
    np.add.at(hist, best, height)
    total = hist.sum()
    if total <= 0:
        return hist
    lags = np.arange(m)
    # Smooth in proportion to the lag: a log-lag kernel of about 1 %.
    sigma = np.maximum(0.01 * lags, 0.7)
    idx = np.nonzero(hist)[0]
    out = np.zeros(m)
    for i in idx:
        out += hist[i] * np.exp(-0.5 * ((lags - i) / sigma[i]) ** 2) / (sigma[i] * np.sqrt(2 * np.pi))
    return out / max(out.sum(), 1e-12)
