"""Evidence about a candidate beat rate, for the metrical-level decision of :mod:`core.analysis.tempo`.

For each candidate: how much onset strength falls on its pulses and how much more than
between them, whether every pulse is accented alike (even/odd alternation) and whether the
level twice as fast is filled -- overall and in the low, mid and high bands; the
periodicity at its period, half and double period, a third of it and three periods; the
share of analysis windows whose best lag is this beat, its half or its double (Percival &
Tzanetakis); onsets per beat; how regularly harmony and bass change after 1, 2, 3, 4, 6
and 8 beats and whether the harmonic changes fall evenly on its pulses; which share of its
pulses (and of the level twice as fast) carry an onset; and the tempo itself, alone and
times the drum gate.  Every feature appears three times: as it is, times a drum gate (from
the share of onset strength in the cymbal band) and times the steadiness of the onsets
(how sharply periodic they are), so that drums, drumless music and metronomic or rubato
performances can weigh the evidence each their own way.

The tempo enters with the drum gate, not with the cymbal band's share itself: the gate
stops growing at a fifth of the onset strength, so a mix with brighter or louder cymbals
than any the weights were fitted on does not keep pushing the decision towards faster
levels (a 100 BPM song with loud 16th-note hats is not read at 200).
"""

from __future__ import annotations

import numpy as np
import scipy.ndimage

from core.analysis.periodicity import (
    PulseEnvelope,
    chroma_novelty,
    lag_histogram,
    local_maxima,
    periodicity,
    pulse_measures,
    value_at,
)

__all__ = ["FEATURE_NAMES", "beat_context", "candidate_features", "candidate_bpm"]

_MIN_BAND_SHARE = 0.1  # a band with less onset strength than this share of the top is ignored
_HARMONY_BEATS = (1, 2, 3, 4, 6, 8)  # harmonic-change periodicity is read at these beats
_HARMONY_LAG_S = 9.0

#: Names of the evidence about one candidate; each is used three times (see
#: :data:`FEATURE_NAMES`).
_EVIDENCE = (
    "log2 tempo", "log2 tempo squared", "log2 tempo x drum gate",
    "accent alternation", "accent faster alternation", "accent salience", "accent contrast",
    "fastest even level", "accent periodicity", "onset periodicity",
    "periodicity at half period", "periodicity at 2 periods", "periodicity at 1/3 period",
    "periodicity at 3 periods",
    "low alternation", "low faster alternation", "low salience", "low contrast",
    "mid alternation", "mid faster alternation", "mid salience", "mid contrast",
    "high alternation", "high faster alternation", "high salience", "high contrast",
    "low periodicity", "mid periodicity", "high periodicity",
    "low fastest even level", "mid fastest even level", "high fastest even level",
    "lag histogram at period", "lag histogram at half", "lag histogram at double",
    "log onsets per beat",
    "harmony change at 1 beat", "harmony change at 2 beats", "harmony change at 3 beats",
    "harmony change at 4 beats", "harmony change at 6 beats", "harmony change at 8 beats",
    "bass change at 1 beat", "bass change at 2 beats", "bass change at 3 beats",
    "bass change at 4 beats", "bass change at 6 beats", "bass change at 8 beats",
    "harmony pulse alternation", "harmony pulse faster alternation", "harmony pulse contrast",
    "accent fill", "accent faster fill", "onset fill", "onset faster fill",
    "harmony change at 1 beat x log2 tempo", "bass change at 1 beat x log2 tempo",
)
#: Names of the candidate features, in :data:`_WEIGHTS` order: the evidence as it is, then
#: the evidence times the drum gate (0 for music whose onsets hardly reach the cymbal band,
#: 1 for a drum kit), then the evidence times the steadiness (0 for loose rubato, 1 for a
#: metronomic performance).
FEATURE_NAMES = (_EVIDENCE + tuple(f"{name} (drums)" for name in _EVIDENCE)
                 + tuple(f"{name} (steady)" for name in _EVIDENCE))
_GATE = (0.08, 0.2)  # share of high-band onset strength at which the drum gate is 0 and 1


def _steadiness(acf, frame_rate, min_bpm, max_bpm) -> float:
    """0-1: how sharply periodic the onsets are (a metronomic performance near 1)."""
    lag = 60.0 * frame_rate / np.exp(np.linspace(np.log(min_bpm), np.log(max_bpm), 400))
    return float(np.clip((np.max(value_at(acf, lag)) - 0.1) / 0.4, 0.0, 1.0))


def _harmony_acf(chroma, pitch_rate):
    """Periodicity of harmonic change (chroma novelty), or None without enough chroma."""
    if chroma is None or not pitch_rate or chroma.shape[-1] < 4.0 * pitch_rate:
        return None
    if float(np.sum(chroma)) <= 0:
        return None
    return periodicity(chroma_novelty(chroma), pitch_rate, max_lag_s=_HARMONY_LAG_S)


def beat_context(bands, prep, acfs, windows, frame_rate, *, chroma=None, bass_chroma=None,
                 pitch_rate=None, min_bpm=40.0, max_bpm=240.0) -> dict:
    """Song-level measures that :func:`candidate_features` reads for every candidate.

    Parameters
    ----------
    bands : ndarray, shape (3, n)
        Raw low/mid/high onset envelopes.
    prep : ndarray, shape (3, n)
        The same after :func:`core.analysis.periodicity.prepare_bands`.
    acfs : ndarray, shape (5, m)
        Periodicity of all onsets, of the accent (low + mid) onsets and of each band.
    windows : ndarray, shape (w, m)
        Periodicity of all onsets in each analysis window.
    frame_rate : float
        Onset frames per second.
    chroma, bass_chroma : ndarray, shape (12, k), optional
        Pitch-class magnitudes on the pitch grid.
    pitch_rate : float, optional
        Pitch frames per second.
    min_bpm, max_bpm : float
        Range of tempos considered (BPM).

    Returns
    -------
    dict
    """
    band_means = bands.mean(axis=1)
    share = band_means / max(float(band_means.sum()), 1e-12)
    harmony = (_harmony_acf(chroma, pitch_rate), _harmony_acf(bass_chroma, pitch_rate))
    env_all = prep.sum(axis=0)
    return {"frame_rate": frame_rate, "prep": [PulseEnvelope(b) for b in prep],
            "present": band_means >= _MIN_BAND_SHARE * band_means.max(),
            "env_acc": PulseEnvelope(prep[0] + prep[1]),
            "env_all": PulseEnvelope(env_all), "acfs": acfs,
            "hist": lag_histogram(windows, frame_rate, min_bpm=min_bpm, max_bpm=max_bpm),
            "steady": _steadiness(acfs[0], frame_rate, min_bpm, max_bpm),
            "gate": float(np.clip((share[2] - _GATE[0]) / (_GATE[1] - _GATE[0]), 0.0, 1.0)),
            "onset_rate": _onset_rate(env_all, frame_rate), "harmony": harmony,
            "pitch_rate": pitch_rate,
            "novelty": (PulseEnvelope(np.maximum(chroma_novelty(chroma), 0.0))
                        if harmony[0] is not None else None)}


def _harmony_pulses(novelty, bpm, pitch_rate) -> list[float]:
    """Alternation, faster alternation and pulse contrast of the harmonic change at a beat."""
    if novelty is None:
        return [0.0, 0.0, 0.0]
    p = 60.0 * pitch_rate / bpm
    sal, alt, _ = pulse_measures(novelty, p, pitch_rate)
    sal_fast, alt_fast, _ = pulse_measures(novelty, p / 2, pitch_rate)
    return [alt, alt_fast, float(np.log(max(sal, 1e-6) / max(sal_fast, 1e-6)))]


def _mass(hist: np.ndarray, lag: float) -> float:
    """Share of the lag histogram within 4 % of ``lag``."""
    lo, hi = int(np.floor(lag / 1.04)), int(np.ceil(lag * 1.04)) + 1
    if lo >= len(hist) or hi <= 0:
        return 0.0
    return float(hist[max(lo, 0) : min(hi, len(hist))].sum())


#: The tempo (BPM) whose ``log2 tempo`` feature is 0.
_OCTAVE_REF = 120.0


def candidate_bpm(features: np.ndarray) -> np.ndarray:
    """The tempo (BPM) of each candidate of a feature table (one row each), read back from
    its ``log2 tempo`` feature."""
    return _OCTAVE_REF * np.exp2(np.asarray(features)[:, FEATURE_NAMES.index("log2 tempo")])


def candidate_features(bpm: float, ctx: dict) -> np.ndarray:
    """Features of one candidate beat rate (BPM), :data:`FEATURE_NAMES` order.

    ``ctx`` comes from :func:`beat_context`.
    """
    fr = ctx["frame_rate"]
    period = 60.0 * fr / bpm
    env_acc, a_all = ctx["env_acc"], ctx["acfs"][0]
    sal, alt, fill = pulse_measures(env_acc, period, fr)
    sal_fast, alt_fast, fill_fast = pulse_measures(env_acc, period / 2, fr)
    octave = np.log2(bpm / _OCTAVE_REF)
    feats = [
        octave, octave * octave, octave * ctx["gate"],
        alt, alt_fast, np.log(max(sal, 1e-6)), np.log(max(sal, 1e-6) / max(sal_fast, 1e-6)),
        alt * (1.0 - alt_fast),
        float(value_at(ctx["acfs"][1], period)), float(value_at(a_all, period)),
        float(value_at(a_all, period / 2)), float(value_at(a_all, 2 * period)),
        float(value_at(a_all, period / 3)), float(value_at(a_all, 3 * period)),
    ]
    even = []
    for band, here in zip(ctx["prep"], ctx["present"], strict=True):
        if not here:
            feats += [0.0, 0.0, 0.0, 0.0]
            even.append(0.0)
            continue
        b_sal, b_alt, _ = pulse_measures(band, period, fr)
        b_sal_fast, b_fast, _ = pulse_measures(band, period / 2, fr)
        feats += [b_alt, b_fast, np.log(max(b_sal, 1e-6)),
                  np.log(max(b_sal, 1e-6) / max(b_sal_fast, 1e-6))]
        even.append(b_alt * (1.0 - b_fast))
    for acf, here in zip(ctx["acfs"][2:], ctx["present"], strict=True):
        feats.append(float(value_at(acf, period)) if here else 0.0)
    feats += even
    hist = ctx["hist"]
    feats += [_mass(hist, period), _mass(hist, period / 2), _mass(hist, 2 * period)]
    feats.append(np.log(max(ctx["onset_rate"], 1e-3) * 60.0 / bpm))
    pr = ctx["pitch_rate"]
    for acf in ctx["harmony"]:  # chords and bass notes change on beats and bars
        if acf is None:
            feats += [0.0] * len(_HARMONY_BEATS)
        else:
            feats += [float(value_at(acf, k * 60.0 * pr / bpm)) for k in _HARMONY_BEATS]
    feats += _harmony_pulses(ctx["novelty"], bpm, pr)
    env_all = ctx["env_all"]
    feats += [fill, fill_fast, pulse_measures(env_all, period, fr)[2],
              pulse_measures(env_all, period / 2, fr)[2]]
    # chords change on every beat at slow tempi and rarely at fast ones
    feats += [feats[_EVIDENCE.index("harmony change at 1 beat")] * octave,
              feats[_EVIDENCE.index("bass change at 1 beat")] * octave]
    feats = np.array(feats, dtype=float)
    return np.concatenate([feats, ctx["gate"] * feats, ctx["steady"] * feats])


def _onset_rate(env: np.ndarray, frame_rate: float) -> float:
    """Onsets per second: local maxima of the envelope above its running mean and median."""
    peak = local_maxima(env, frame_rate, width_s=0.05)
    mean = scipy.ndimage.uniform_filter1d(env, max(3, int(1.0 * frame_rate)))
    keep = peak & (env > 1.5 * mean) & (env > np.median(env))
    return float(np.count_nonzero(keep)) / (len(env) / frame_rate)
