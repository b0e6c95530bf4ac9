"""The heuristic song descriptors, each on a documented scale.

One line each, what it measures:

- ``energy`` (0-1): intensity — loudness (-30 to -6 LUFS), onset density and brightness.
- ``danceability`` (0-1): how steady and strong the beat is — tempo confidence, pulse
  strength and closeness of the tempo to the 90-135 BPM dance range.
- ``valence`` (0-1): musical positiveness — major mode, faster tempo and brighter timbre
  raise it.
- ``acousticness`` (0-1): likelihood of acoustic instruments — low spectral flatness,
  darker timbre, wider dynamics and softer transients raise it.
- ``dynamic_range_db`` (dB): crest factor as DR meters define it — the sample peak over the
  RMS of the loudest 20 % of 3-second blocks.
- ``brightness_hz`` (Hz): spectral centroid averaged over the non-silent frames, weighted by
  their energy.
- ``silence_ratio`` (0-1): share of frames quieter than -60 dBFS RMS.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

__all__ = ["Descriptors", "compute_descriptors", "SILENCE_DBFS", "DEFINITIONS"]

#: The one-line definitions above, by descriptor: ``(scale, what it measures)``, for the
#: window's column tips and guide.
DEFINITIONS = {
    "energy": ("0-1", "intensity: loudness (-30 to -6 LUFS), onset density and brightness"),
    "danceability": ("0-1", "how steady and strong the beat is: tempo confidence, pulse "
                            "strength and closeness of the tempo to the 90-135 BPM dance "
                            "range"),
    "valence": ("0-1", "musical positiveness: major mode, faster tempo and brighter timbre "
                       "raise it"),
    "acousticness": ("0-1", "likelihood of acoustic instruments: low spectral flatness, "
                            "darker timbre, wider dynamics and softer transients raise it"),
    "dynamic_range_db": ("dB", "crest factor as DR meters define it: the sample peak over "
                               "the RMS of the loudest 20 % of 3-second blocks"),
    "brightness_hz": ("Hz", "spectral centroid averaged over the non-silent frames, "
                            "weighted by their energy"),
    "silence_ratio": ("0-1", "share of frames quieter than -60 dBFS RMS"),
}

#: Frames whose RMS is below this level (dBFS) count as silence.
SILENCE_DBFS = -60.0


@dataclass
class Descriptors:
    """Heuristic descriptors of one song (see the module docstring for each scale)."""

    energy: float | None
    danceability: float | None
    valence: float | None
    acousticness: float | None
    dynamic_range_db: float | None
    brightness_hz: float | None
    silence_ratio: float


def _ramp(x: float, lo: float, hi: float) -> float:
    """0 below ``lo``, 1 above ``hi``, linear between."""
    if x is None or not math.isfinite(x):
        return 0.0
    return float(min(1.0, max(0.0, (x - lo) / (hi - lo))))


def _round(x, nd=4):
    return None if x is None or not math.isfinite(x) else round(float(x), nd)


def compute_descriptors(*, rms: np.ndarray, centroid_hz: np.ndarray, flatness: np.ndarray,
                        onset_envelope: np.ndarray, frame_rate: float,
                        tempo_bpm: float | None, tempo_confidence: float,
                        key_mode: str | None, key_confidence: float,
                        loudness_lufs: float | None, peak_dbfs: float | None) -> Descriptors:
    """Compute the heuristic descriptors from a song's frame features.

    Parameters
    ----------
    rms : ndarray
        Per-frame RMS of the mono analysis signal (linear, full scale = 1).
    centroid_hz : ndarray
        Per-frame spectral centroid (Hz), same frames as ``rms``.
    flatness : ndarray
        Per-frame spectral flatness (0-1), same frames.
    onset_envelope : ndarray
        Onset strength per frame (any positive scale), same frame rate.
    frame_rate : float
        Frames per second of the arrays above.
    tempo_bpm, tempo_confidence : float
        Song tempo (BPM, None when there is no beat) and its confidence (0-1).
    key_mode : str or None
        ``"major"``, ``"minor"`` or None.
    key_confidence : float
        Key confidence (0-1).
    loudness_lufs, peak_dbfs : float or None
        Integrated loudness (LUFS) and sample peak (dBFS); None for silence.

    Returns
    -------
    Descriptors
    """
    if frame_rate <= 0:
        raise ValueError(f"frame_rate must be positive, got {frame_rate!r}")
    rms = np.asarray(rms, dtype=np.float64)
    n = rms.size
    if n == 0:
        return Descriptors(None, None, None, None, None, None, 1.0)
    level_db = 20.0 * np.log10(np.maximum(rms, 1e-10))
    voiced = level_db > SILENCE_DBFS
    silence_ratio = float(1.0 - voiced.mean())
    if not voiced.any() or loudness_lufs is None:
        return Descriptors(None, None, None, None, None, None, round(silence_ratio, 4))

    w = rms[voiced] ** 2
    cent = np.asarray(centroid_hz, dtype=np.float64)[:n][voiced]
    brightness = float(np.sum(cent * w) / np.sum(w))
    flat = float(np.median(np.asarray(flatness, dtype=np.float64)[:n][voiced]))

    # Onset density: onsets per second, counted as peaks of the envelope over an adaptive
    # threshold (median + a share of the spread).
    env = np.asarray(onset_envelope, dtype=np.float64)
    if env.size > 3:
        thr = np.median(env) + 0.5 * np.std(env)
        peaks = (env[1:-1] > env[:-2]) & (env[1:-1] >= env[2:]) & (env[1:-1] > thr)
        onset_rate = float(peaks.sum()) / (env.size / frame_rate)
        pulse = float(np.std(env) / (np.mean(env) + 1e-9))
    else:
        onset_rate, pulse = 0.0, 0.0

    # Dynamic range: peak over the RMS of the loudest 20 % of 3 s blocks.
    block = max(1, int(round(3.0 * frame_rate)))
    nb = max(1, n // block)
    blocks = np.sqrt(np.mean((rms[: nb * block] if n >= block else rms).reshape(nb, -1) ** 2,
                             axis=1))
    top = np.sort(blocks)[-max(1, int(math.ceil(0.2 * nb))):]
    top_rms = float(np.sqrt(np.mean(top**2)))
    dyn = None
    if peak_dbfs is not None and top_rms > 0:
        dyn = max(0.0, peak_dbfs - 20.0 * math.log10(top_rms))

    tempo = tempo_bpm if tempo_bpm is not None else 0.0
    energy = (0.5 * _ramp(loudness_lufs, -30.0, -6.0)
              + 0.3 * _ramp(onset_rate, 0.5, 6.0)
              + 0.2 * _ramp(brightness, 800.0, 3500.0))
    dance_range = 1.0 - min(1.0, abs(tempo - 112.0) / 60.0) if tempo else 0.0
    danceability = (0.45 * (tempo_confidence if tempo_bpm else 0.0)
                    + 0.30 * _ramp(pulse, 0.4, 1.6)
                    + 0.25 * dance_range)
    mode_term = 0.5 if key_mode is None else (0.5 + 0.5 * key_confidence
                                              if key_mode == "major"
                                              else 0.5 - 0.5 * key_confidence)
    valence = (0.5 * mode_term + 0.25 * _ramp(tempo, 60.0, 160.0)
               + 0.25 * _ramp(brightness, 800.0, 3500.0))
    acoustic = (0.4 * (1.0 - _ramp(flat, 0.02, 0.3))
                + 0.3 * (1.0 - _ramp(brightness, 1000.0, 4000.0))
                + 0.15 * _ramp(dyn if dyn is not None else 0.0, 8.0, 20.0)
                + 0.15 * (1.0 - _ramp(onset_rate, 1.0, 6.0)))
    return Descriptors(
        energy=_round(energy), danceability=_round(danceability), valence=_round(valence),
        acousticness=_round(acoustic), dynamic_range_db=_round(dyn, 2),
        brightness_hz=_round(brightness, 1), silence_ratio=round(silence_ratio, 4),
    )
