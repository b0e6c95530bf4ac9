"""Time signature guess: beats per bar, 3 or 4.

Measures whether accented (low and mid band) onsets and harmonic changes (chroma novelty)
repeat more strongly every 3 beats than every 2 and 4 beats: a bar of three shows up as a
stronger autocorrelation at 3 and 6 beat periods.
"""

from __future__ import annotations

import numpy as np

from core.analysis.periodicity import chroma_novelty, periodicity, prepare_bands, tame_end, value_at
from core.analysis.tempo import TempoEstimate

__all__ = ["estimate_time_signature", "triple_evidence"]

_TRIPLE_MARGIN = 0.03
_MAX_LAG_S = 9.0


def _three_vs_four(acf: np.ndarray, period: float) -> float:
    """Autocorrelation at 3 and 6 beats minus that at 2, 4 and 8 beats."""
    three = float(value_at(acf, 3 * period)) + 0.5 * float(value_at(acf, 6 * period))
    even = 0.5 * float(value_at(acf, 2 * period) + value_at(acf, 4 * period))
    return three - even - 0.5 * float(value_at(acf, 8 * period))


def triple_evidence(features, bpm: float) -> float:
    """How much more the song repeats every 3 beats than every 2/4 (> 0 favours 3/4).

    Parameters
    ----------
    features : FeatureStream
        A finished :class:`core.analysis.features.FeatureStream`.
    bpm : float
        The beat tempo (BPM).

    Returns
    -------
    float
        Sum of the onset and harmonic-change evidence, autocorrelation units.
    """
    bands = tame_end(features.onset_bands)
    fr = float(features.frame_rate)
    prep = prepare_bands(bands, fr)
    acc = periodicity(prep[0] + prep[1], fr, max_lag_s=_MAX_LAG_S)
    score = _three_vs_four(acc, 60.0 * fr / bpm)
    chroma = features.chroma
    pfr = float(features.pitch_frame_rate)
    if chroma.shape[1] > 8 * pfr and float(chroma.sum()) > 0:
        nov = periodicity(chroma_novelty(chroma), pfr, max_lag_s=_MAX_LAG_S)
        score += _three_vs_four(nov, 60.0 * pfr / bpm)
    return score


def estimate_time_signature(features, tempo: TempoEstimate | float | None) -> int | None:
    """Guess the beats per bar (3 or 4) from onset and harmonic-change periodicity.

    Parameters
    ----------
    features : FeatureStream
        A finished :class:`core.analysis.features.FeatureStream`.
    tempo : TempoEstimate or float or None
        The song's beat tempo (BPM).

    Returns
    -------
    int or None
        3 or 4; ``None`` when there is no tempo.
    """
    bpm = tempo.bpm if isinstance(tempo, TempoEstimate) else tempo
    if bpm is None or not bpm > 0:
        return None
    bands = tame_end(features.onset_bands)
    fr = float(features.frame_rate)
    if bands.shape[1] < 4 * fr or float(bands.sum()) <= 0:
        return None
    if 6.0 * 60.0 / bpm >= _MAX_LAG_S:  # too slow to see two bars of three
        return 4
    return 3 if triple_evidence(features, bpm) > _TRIPLE_MARGIN else 4
