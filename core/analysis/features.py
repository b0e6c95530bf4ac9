"""Streaming frame features of a mono analysis signal.

:class:`FeatureStream` takes the mono float32 signal in pieces of any length and keeps only
compact per-frame features, never the signal.  Two frame grids are used:

* the **onset grid**: 1024-sample Hann frames every 256 samples (about 86 frames/s at
  22050 Hz), frame ``i`` centred on sample ``i * 256``.  Arrays on this grid:
  ``onset_envelope``, ``onset_bands``, ``decay_bands``, ``rms``, ``centroid_hz``,
  ``flatness``.
* the **pitch grid**: 8192-sample Hann frames every 2048 samples (about 10.8 frames/s at
  22050 Hz), frame ``i`` centred on sample ``i * 2048``.  Arrays on this grid: ``chroma``,
  ``bass_chroma`` (and their 36-bins-per-octave sources).

Results depend only on the signal, not on how it was cut into pieces.  Memory: about 12 MB
per hour of audio on the onset grid and 11 MB per hour on the pitch grid (float32).
"""

from __future__ import annotations

import functools

import numpy as np
import scipy.fft
import scipy.signal

__all__ = ["FeatureStream", "ONSET_BAND_EDGES_HZ"]

_N_FFT = 1024
_HOP = 256
_N_FFT_PITCH = 8192
_HOP_PITCH = 2048
_N_MELS = 48
#: Upper edges (Hz) of the onset bands: low (kick, bass), mid (snare body, chords), high.
ONSET_BAND_EDGES_HZ = (200.0, 2500.0)
_LOG_GAIN = 10.0  # log compression of the mel magnitudes for the flux
_BATCH = 512  # frames transformed at once (bounds the temporary memory)
_MIDI_LO, _MIDI_HI = 28.0, 96.0  # E1 .. C7 for the pitch spectrum
_BASS_HI = 55.0  # MIDI note below which a pitch counts as bass (G3, 196 Hz)
_N_FFT_BASS = 16384  # longer window for the bass range, same hop and centres as the pitch grid
#: Lowest rates (Hz) of the decimated signals that the pitch and bass spectra are taken from:
#: the pitch range ends at C7 (2093 Hz), the bass range below G3 (196 Hz).
_PITCH_MIN_SR = 8000.0
_BASS_MIN_SR = 2500.0


def _decimation(sr: int, min_sr: float) -> int:
    """The largest power of two (at most 8) that keeps ``sr / factor`` at or above ``min_sr``."""
    factor = 1
    while factor < 8 and sr / (2 * factor) >= min_sr:
        factor *= 2
    return factor


@functools.lru_cache(maxsize=8)
def _onset_filters(sr: int):
    import librosa

    mel = librosa.filters.mel(sr=sr, n_fft=_N_FFT, n_mels=_N_MELS, fmin=30.0, fmax=sr / 2)
    centers = librosa.mel_frequencies(n_mels=_N_MELS + 2, fmin=30.0, fmax=sr / 2)[1:-1]
    band = np.searchsorted(np.asarray(ONSET_BAND_EDGES_HZ), centers)
    window = scipy.signal.get_window("hann", _N_FFT).astype(np.float32)
    freqs = np.fft.rfftfreq(_N_FFT, 1.0 / sr)
    return mel.astype(np.float32), band, window, freqs.astype(np.float32)


@functools.lru_cache(maxsize=8)
def _pitch_filters(sr: int):
    """Map FFT bins to 36 bins per octave (bin 0 = C in tune), MIDI ``_MIDI_LO``-``_MIDI_HI``.

    The spectrum is taken from the signal decimated by :func:`_decimation`: the FFT is
    shorter by the same factor, so its bins fall on the same frequencies.
    """
    q = _decimation(sr, _PITCH_MIN_SR)
    freqs = np.fft.rfftfreq(_N_FFT_PITCH // q, q / sr)
    with np.errstate(divide="ignore"):
        midi = 69.0 + 12.0 * np.log2(np.maximum(freqs, 1e-9) / 440.0)
    idx = np.nonzero((midi >= _MIDI_LO) & (midi <= _MIDI_HI))[0]
    # Weight higher bins less so that upper partials do not dominate the pitch classes.
    weight = 1.0 / np.sqrt(np.maximum(1.0, freqs[idx] / 500.0))
    used = slice(int(idx[0]), int(idx[-1]) + 1)
    fold = np.zeros((36, used.stop - used.start), dtype=np.float32)
    fold[np.round(midi[idx] * 3.0).astype(int) % 36, idx - used.start] = weight
    window = (q * scipy.signal.get_window("hann", _N_FFT_PITCH // q)).astype(np.float32)
    # Tuning evidence: only bins above C4, where an FFT bin is narrower than 1/3 semitone.
    tune = np.zeros_like(fold)
    hi = midi[idx] >= 60.0
    tune[np.round(midi[idx][hi] * 3.0).astype(int) % 36, (idx - used.start)[hi]] = 1.0
    return fold, tune, used, window


@functools.lru_cache(maxsize=8)
def _bass_filters(sr: int):
    """Map the bins of the long bass FFT to 36 bins per octave (MIDI 28 to ``_BASS_HI``)."""
    q = _decimation(sr, _BASS_MIN_SR)
    freqs = np.fft.rfftfreq(_N_FFT_BASS // q, q / sr)
    with np.errstate(divide="ignore"):
        midi = 69.0 + 12.0 * np.log2(np.maximum(freqs, 1e-9) / 440.0)
    idx = np.nonzero((midi >= _MIDI_LO) & (midi < _BASS_HI))[0]
    used = slice(int(idx[0]), int(idx[-1]) + 1)
    fold = np.zeros((36, used.stop - used.start), dtype=np.float32)
    fold[np.round(midi[idx] * 3.0).astype(int) % 36, idx - used.start] = 1.0
    window = (q * scipy.signal.get_window("hann", _N_FFT_BASS // q)).astype(np.float32)
    return fold, used, window


class _Framer:
    """Cuts a stream into centred frames; keeps the overlap between calls."""

    def __init__(self, n_fft: int, hop: int):
        self.n_fft, self.hop = n_fft, hop
        self.buf = np.zeros(n_fft // 2, dtype=np.float32)

    def push(self, y: np.ndarray) -> np.ndarray:
        buf = np.concatenate([self.buf, y]) if len(y) else self.buf
        if len(buf) < self.n_fft:
            self.buf = buf
            return np.zeros((0, self.n_fft), dtype=np.float32)
        n = (len(buf) - self.n_fft) // self.hop + 1
        frames = np.lib.stride_tricks.sliding_window_view(buf, self.n_fft)[:: self.hop][:n]
        self.buf = buf[n * self.hop :]
        return frames


class _Decimator:
    """Streaming decimation by an integer factor with soxr (the input as is for factor 1)."""

    def __init__(self, sr: float, factor: int):
        self.stream = None
        if factor > 1:
            import soxr

            self.stream = soxr.ResampleStream(sr, sr / factor, 1, dtype="float32", quality="HQ")

    def __call__(self, y: np.ndarray, *, last: bool = False) -> np.ndarray:
        if self.stream is None:
            return y
        return self.stream.resample_chunk(np.ascontiguousarray(y, dtype=np.float32), last=last)


class FeatureStream:
    """Accumulate compact frame features from a mono signal fed in pieces.

    Parameters
    ----------
    sample_rate : int
        Rate (Hz) of the mono signal given to :meth:`process`.

    Attributes (after :meth:`finish`)
    ---------------------------------
    frame_rate : float
        Frames per second of the onset grid (``sample_rate / 256``).
    onset_envelope : ndarray, shape (n,)
        Spectral flux: sum over 48 mel bands of the positive change of log-compressed
        magnitude, ``log1p(10 * mel)``; unitless, >= 0.
    onset_bands : ndarray, shape (3, n)
        The same flux split into low (< 200 Hz), mid (200-2500 Hz) and high (> 2500 Hz) bands.
    decay_bands : ndarray, shape (3, n)
        The falls that the flux leaves out: the negative change of the same log-compressed
        magnitudes (as a positive number), in the same bands.  A struck or plucked sound
        rises faster than it falls; partials beating against each other rise and fall alike.
    rms : ndarray, shape (n,)
        Linear RMS amplitude of each 1024-sample frame (full scale = 1).
    centroid_hz : ndarray, shape (n,)
        Spectral centroid (Hz) of the magnitude spectrum; 0 for silent frames.
    flatness : ndarray, shape (n,)
        Spectral flatness of the power spectrum (geometric / arithmetic mean), 0-1;
        near 1 for noise, near 0 for tones; 0 for silent frames.
    pitch_frame_rate : float
        Frames per second of the pitch grid (``sample_rate / 2048``).
    chroma36 : ndarray, shape (36, m)
        Magnitude per third of a semitone folded into one octave (bin 0 = C, in tune),
        MIDI 28-96; linear magnitude units.
    bass36 : ndarray, shape (36, m)
        The same for pitches from E1 to below G3 (41-196 Hz), from 16384-sample frames
        (same centres as the pitch grid) for a finer frequency resolution.
    chroma, bass_chroma : ndarray, shape (12, m)
        Tuning-corrected pitch-class magnitude (C first) on the pitch grid (properties).

    Per-chunk frame ranges come from :meth:`chunk_frames`.
    """

    def __init__(self, sample_rate: int):
        if not isinstance(sample_rate, (int, np.integer)) or not 4000 <= sample_rate <= 192000:
            raise ValueError(f"sample_rate must be an integer 4000-192000 Hz, got {sample_rate!r}")
        self.sample_rate = int(sample_rate)
        self.frame_rate = self.sample_rate / _HOP
        self.pitch_frame_rate = self.sample_rate / _HOP_PITCH
        self._onset = _Framer(_N_FFT, _HOP)
        # The pitch and bass spectra need no high frequencies: they are taken from the signal
        # decimated by soxr (streaming, delay compensated), with shorter FFTs of the same
        # length in seconds, frame centres and bin frequencies.
        qp = _decimation(self.sample_rate, _PITCH_MIN_SR)
        qb = _decimation(self.sample_rate, _BASS_MIN_SR)
        self._pitch = _Framer(_N_FFT_PITCH // qp, _HOP_PITCH // qp)
        self._bass = _Framer(_N_FFT_BASS // qb, _HOP_PITCH // qb)
        self._to_pitch = _Decimator(self.sample_rate, qp)
        self._to_bass = _Decimator(self.sample_rate / qp, qb // qp)
        self._prev_logmel: np.ndarray | None = None
        self._parts: dict[str, list[np.ndarray]] = {
            k: []
            for k in ("flux", "decay", "rms", "centroid", "flatness", "c36", "b36")
        }
        self._tuning36 = np.zeros(36)
        self._n_samples = 0
        self._marks: list[int] = []
        self._finished = False

    # -- streaming -----------------------------------------------------------------------
    def process(self, y: np.ndarray) -> None:
        """Feed the next piece of the mono signal (1-D, any length)."""
        if self._finished:
            raise RuntimeError("FeatureStream.process called after finish()")
        y = np.asarray(y)
        if y.ndim != 1:
            raise ValueError(f"y must be 1-D mono, got shape {y.shape!r}")
        y = y.astype(np.float32, copy=False)
        if not np.all(np.isfinite(y)):
            y = np.nan_to_num(y, nan=0.0, posinf=0.0, neginf=0.0)
        self._n_samples += len(y)
        self._onset_frames(self._onset.push(y))
        self._pitch_and_bass(y)

    def _pitch_and_bass(self, y: np.ndarray, *, last: bool = False) -> None:
        """Decimate ``y`` for the pitch and the bass spectra and frame it (``last`` flushes
        the decimators)."""
        y_pitch = self._to_pitch(y, last=last)
        self._pitch_frames(self._pitch.push(y_pitch))
        self._bass_frames(self._bass.push(self._to_bass(y_pitch, last=last)))

    def mark_chunk(self) -> None:
        """Record the end of a decoded chunk at the current position."""
        if not self._marks or self._marks[-1] != self._n_samples:
            self._marks.append(self._n_samples)

    def finish(self) -> FeatureStream:
        """Flush the last frames and build the result arrays; returns ``self``."""
        if self._finished:
            return self
        self.mark_chunk()
        self._pitch_and_bass(np.zeros(0, dtype=np.float32), last=True)
        n_on = self._n_samples // _HOP + 1 if self._n_samples else 0
        n_pi = self._n_samples // _HOP_PITCH + 1 if self._n_samples else 0
        for framer, fn, want, parts in (
            (self._onset, self._onset_frames, n_on, "flux"),
            (self._pitch, self._pitch_frames, n_pi, "c36"),
            (self._bass, self._bass_frames, n_pi, "b36"),
        ):
            have = sum(p.shape[-1] for p in self._parts[parts])
            missing = want - have
            if missing > 0:
                pad = np.zeros(framer.n_fft + missing * framer.hop, dtype=np.float32)
                fn(framer.push(pad)[:missing])
        p = self._parts

        def cat(name, rows=None):
            if p[name]:
                return np.concatenate(p[name], axis=-1)
            return np.zeros((rows, 0) if rows else 0, dtype=np.float32)

        self.onset_bands = cat("flux", 3)[:, :n_on]
        self.onset_envelope = self.onset_bands.sum(axis=0)
        self.decay_bands = cat("decay", 3)[:, :n_on]
        self.rms = cat("rms")[:n_on]
        self.centroid_hz = cat("centroid")[:n_on]
        self.flatness = cat("flatness")[:n_on]
        self.chroma36 = cat("c36", 36)[:, :n_pi]
        self.bass36 = cat("b36", 36)[:, :n_pi]
        self._parts = {k: [] for k in p}
        self._finished = True
        return self

    # -- results -------------------------------------------------------------------------
    @property
    def duration_s(self) -> float:
        """Length (s) of the signal seen so far."""
        return self._n_samples / self.sample_rate

    @property
    def chroma(self) -> np.ndarray:
        """(12, m) pitch-class magnitude on the pitch grid (C first), tuning-corrected.

        Each pitch bin is divided by the number of FFT bins it collects, so that white noise
        gives a flat chroma.
        """
        flat = _pitch_filters(self.sample_rate)[0].sum(axis=1, keepdims=True)
        return fold_chroma(self.chroma36 / np.maximum(flat, 1e-9), shift=self.tuning_shift)

    @property
    def bass_chroma(self) -> np.ndarray:
        """(12, m) pitch-class magnitude of the bass range on the pitch grid."""
        flat = _bass_filters(self.sample_rate)[0].sum(axis=1, keepdims=True)
        return fold_chroma(self.bass36 / np.maximum(flat, 1e-9), shift=self.tuning_shift)

    @property
    def tuning_shift(self) -> int:
        """Tuning offset of the song in thirds of a semitone (-1, 0 or +1) from A = 440 Hz."""
        return estimate_tuning_shift(self._tuning36)

    def chunk_samples(self) -> list[tuple[int, int]]:
        """(start, stop) sample ranges of each chunk marked with :meth:`mark_chunk`."""
        edges = [0] + self._marks
        return [(a, b) for a, b in zip(edges[:-1], edges[1:], strict=True) if b > a]

    def chunk_frames(self, *, grid: str = "onset") -> list[tuple[int, int]]:
        """(start, stop) frame ranges of each chunk on the ``"onset"`` or ``"pitch"`` grid."""
        if grid not in ("onset", "pitch"):
            raise ValueError(f"grid must be 'onset' or 'pitch', got {grid!r}")
        hop = _HOP if grid == "onset" else _HOP_PITCH
        return [(-(-a // hop), -(-b // hop)) for a, b in self.chunk_samples()]

    # -- internals -----------------------------------------------------------------------
    def _onset_frames(self, frames: np.ndarray) -> None:
        if not len(frames):
            return
        mel, band, window, freqs = _onset_filters(self.sample_rate)
        for s in range(0, len(frames), _BATCH):
            f = frames[s : s + _BATCH]
            mean_square = np.einsum("ij,ij->i", f, f) / np.float32(f.shape[1])
            self._parts["rms"].append(np.sqrt(mean_square).astype(np.float32, copy=False))
            mag = np.abs(scipy.fft.rfft(f * window, axis=1))  # (t, bins), float32
            total = mag.sum(axis=1)
            ok = total > 1e-9
            safe = np.where(ok, total, 1.0)
            self._parts["centroid"].append(np.where(ok, mag @ freqs / safe, 0.0).astype(np.float32))
            power = np.square(mag)
            power += np.float32(1e-12)
            mean_power = np.mean(power, axis=1)
            flat = np.exp(_mean_log(power)) / mean_power
            self._parts["flatness"].append(np.where(ok, flat, 0.0).astype(np.float32))
            # log(1 + x) rather than log1p: numpy's log is vectorised, log1p is not, and the
            # flux only takes differences of values of order 0.1-10.
            logmel = _LOG_GAIN * (mag @ mel.T)  # (t, mels)
            logmel += np.float32(1.0)
            np.log(logmel, out=logmel)
            prev = self._prev_logmel if self._prev_logmel is not None else logmel[:1]
            diff = np.diff(np.concatenate([prev, logmel]), axis=0)
            net = np.stack([diff[:, band == k].sum(axis=1) for k in range(3)])
            np.maximum(diff, 0.0, out=diff)
            self._prev_logmel = logmel[-1:]
            bands = np.stack([diff[:, band == k].sum(axis=1) for k in range(3)])
            self._parts["flux"].append(bands.astype(np.float32))
            # the rises less the net change are the falls
            self._parts["decay"].append(np.maximum(bands - net, 0.0).astype(np.float32))

    def _pitch_frames(self, frames: np.ndarray) -> None:
        if not len(frames):
            return
        fold, tune, used, window = _pitch_filters(self.sample_rate)
        for s in range(0, len(frames), _BATCH // 4):
            f = frames[s : s + _BATCH // 4]
            mag = np.abs(scipy.fft.rfft(f * window, axis=1)[:, used]).astype(np.float32)
            self._parts["c36"].append((fold @ mag.T).astype(np.float32))
            self._tuning36 += tune @ np.square(mag).sum(axis=0, dtype=np.float64)

    def _bass_frames(self, frames: np.ndarray) -> None:
        if not len(frames):
            return
        fold, used, window = _bass_filters(self.sample_rate)
        for s in range(0, len(frames), _BATCH // 8):
            f = frames[s : s + _BATCH // 8]
            mag = np.abs(scipy.fft.rfft(f * window, axis=1)[:, used]).astype(np.float32)
            self._parts["b36"].append((fold @ mag.T).astype(np.float32))


def _mean_log(power: np.ndarray) -> np.ndarray:
    """Mean over the last axis of ``log(power)`` for float32 powers of at least 1e-12.

    Three bins are multiplied before the logarithm (a third of the logarithms): for powers
    from 1e-12 to 1e12 the product stays within float32's normal range, and the sum of the
    logarithms of the products is the sum of the logarithms of the bins.  Rows whose product
    overflows (samples far above full scale) are taken bin by bin.
    """
    n = power.shape[-1]
    head = n - n % 3
    triples = power[..., :head].reshape(*power.shape[:-1], head // 3, 3)
    with np.errstate(over="ignore"):
        prod = triples[..., 0] * triples[..., 1]
        prod *= triples[..., 2]
        total = np.log(prod).sum(axis=-1)
    if head < n:
        total += np.log(power[..., head:]).sum(axis=-1)
    over = ~np.isfinite(total)
    if over.any():
        total[over] = np.log(power[over]).sum(axis=-1)
    return total / np.float32(n)


def estimate_tuning_shift(energy36: np.ndarray, *, margin: float = 1.2) -> int:
    """Tuning offset (-1, 0 or +1 third of a semitone) holding the most pitch energy.

    Parameters
    ----------
    energy36 : ndarray, shape (36,) or (36, m)
        Energy per third of a semitone folded into one octave (bin 0 = C in tune).
    margin : float
        A detuned offset is chosen only when it holds ``margin`` times the in-tune energy.
    """
    e = np.asarray(energy36, dtype=np.float64)
    if e.size == 0 or not np.any(e > 0):
        return 0
    per = e.reshape(12, 3, -1).sum(axis=(0, 2))  # in tune, +1/3, -1/3 semitone
    best = int(np.argmax(per))
    if best == 0 or per[best] < margin * per[0]:
        return 0
    return 1 if best == 1 else -1


def fold_chroma(c36: np.ndarray, *, shift: int = 0) -> np.ndarray:
    """Fold a 36-bins-per-octave spectrum into 12 pitch classes.

    Parameters
    ----------
    c36 : ndarray, shape (36, m)
        Magnitude per third of a semitone, bin 0 = C in tune.
    shift : int
        Tuning offset in thirds of a semitone (-1, 0, +1) of the pitch centres.

    Returns
    -------
    ndarray, shape (12, m)
    """
    rolled = np.roll(c36, -shift, axis=0)
    # Each pitch class takes its centre bin and half of each neighbour.
    centre = rolled[0::3]
    up = rolled[1::3]
    down = np.roll(rolled[2::3], 1, axis=0)
    return (centre + 0.5 * (up + down)).astype(np.float32)
