"""Song and chunk tempo from the onset envelopes of :class:`core.analysis.features.FeatureStream`.

1. Periodicity (:mod:`core.analysis.periodicity`): windowed autocorrelations of the onset
   envelope, of the accent envelope (low + mid bands) and of each band, and a histogram of
   each window's best beat lag.
2. Candidates: the strongest periodicity peaks and their metrical relatives x1/2, x2/3,
   x3/2 and x2 within the BPM range.
3. Metrical-level decision: each candidate beat is described by general evidence -- how
   much onset strength falls on its pulses and how much more than between them, whether
   every pulse is accented alike (even/odd alternation) and whether the level twice as
   fast is filled, overall and in the low, mid and high bands; the periodicity of each
   band at its period and at its sub-beat and bar multiples; the share of windows whose
   best lag is this beat, its half or its double; onsets per beat; how regularly the
   harmony and the bass change after 1, 2 and 4 beats (the change at one beat also weighed
   by the candidate's tempo: chords change on every beat at slow tempi, seldom at fast
   ones) and whether the harmonic changes fall evenly on its pulses -- and the tempo itself
   as a learned term.  A score (softmax
   over the candidates) picks the beat: a weighted mean of a linear score and of
   gradient-boosted trees (:data:`TREE_SHARE`) that read each candidate's evidence as it
   is and beside the song's other candidates (its distance to their best and to their
   mean), so that a combination of evidence can count more than its parts.  Both come
   from ``python -m benchmarks.fit_tempo --wide --trees --compound-replace fit``; the trees
   are kept as plain numbers in ``tempo_trees.json`` beside this module.  There is no fixed preference for a
   tempo range.
4. The tempo is the centre of the autocorrelation plateau around the chosen level, which
   follows the mean tempo of a drifting (rubato) performance.

Every signal with onsets gets a tempo; a pulse too weak to trust is flagged
(:attr:`TempoEstimate.weak`), not dropped.  Faint onsets, whose peaks stand barely twice over
the envelope's floor (legato music heard from afar in a hall, or under loud hiss), carry a
tempo only when it repeats more clearly than noise's does, and that tempo is flagged weak.
A song whose chunks beat at unrelated tempi (a tempo change) takes the tempo of its longest
section.  Stretches without a pulse at either end of a recording (applause, crowd noise,
silence under a noise floor) are left out before that (:func:`pulse_bounds`): a few
seconds of dense applause outweigh a beat in the autocorrelation and can move the reading
to another level.

A short file may also be read as a loop (:mod:`core.analysis.loops`).
"""

from __future__ import annotations

import functools
import json
import os
from dataclasses import dataclass, field

import numpy as np
import scipy.ndimage

from core.analysis.beatevidence import (
    FEATURE_NAMES,
    beat_context,
    candidate_bpm,
    candidate_features,
)
from core.analysis.periodicity import (
    local_maxima,
    periodicity,
    prepare_bands,
    tame_end,
    value_at,
    vertex_offsets,
)
from core.analysis.trees import TreeEnsemble, trees_from_list

__all__ = ["TempoEstimate", "estimate_tempo", "chunk_tempos", "candidate_table",
           "FEATURE_NAMES", "tree_inputs", "trees_from_json", "decision_scores",
           "TREES_PATH", "TREE_SHARE", "TREES_TOP_BPM", "MIN_TEMPO_S", "MIN_BPM", "MAX_BPM",
           "WEAK_CONFIDENCE", "clear_onsets", "strong_onsets", "fold_tempo", "octave_near",
           "interval_guess", "choose_tempo"]

#: Shortest signal with a tempo of its own (s).  A loop of one bar at 120 BPM lasts 2 s and
#: half a bar 1 s: their beat is read as well as a long song's (the evidence is a few pulses,
#: and the weak flag's margin grows for short signals).  A shorter file gets a tempo only as
#: a loop or a guess (:mod:`core.analysis.loops`).
MIN_TEMPO_S = 1.0
#: The range of tempos (BPM) a beat is looked for in.
MIN_BPM, MAX_BPM = 40.0, 240.0
_MIN_ONSETS = 3  # fewer onsets than this make no pulse (a constant signal's single click)
_STEADY_ONSETS = 4  # a tempo read from fewer onsets (two intervals) is a guess: flagged weak
_ONSET_OVER_MEAN = 2.0  # an onset peak stands this far above the envelope's mean around it
_ONSET_OF_MAX = 0.02  # ... and reaches at least this share of the strongest onset
_SECTION_MIN_S = 8.0  # shortest chunk (s) that takes part in the search for the main section
_WEAK_PERIODICITY = 0.035  # below this (plus a margin for short signals) the pulse is weak
#: A tempo whose confidence is below this is a guess whatever the song's periodicity: a held
#: chord's beating partials can be periodic at a lag no onset marks.
WEAK_CONFIDENCE = 0.1
_MIN_ONSET_CREST = 2.2  # onset-envelope peaks over its median: clear onsets from this on
#: Fainter onsets (peaks this far over the median) carry a tempo only when their
#: periodicity is trustworthy (:func:`_weak_periodicity`): legato music in a reverberant
#: hall, heard from afar, sits here, and so does stationary noise, which has no periodicity.
_FAINT_ONSET_CREST = 1.8
_PLATEAU = 0.6  # share of the peak that bounds the plateau of a drifting tempo
_RELATIVES = (1 / 3, 1 / 2, 2 / 3, 1.0, 3 / 2, 2.0, 3.0, 4.0)
_FAMILY = (1 / 3, 1 / 2, 2 / 3, 1.0, 3 / 2, 2.0, 3.0)  # ratios that keep a metrical family
_PEAKS = 4  # periodicity peaks that seed candidates
_BAR_MIN_BPM = 15.0  # slowest bar rate (bars per minute) whose periodicity seeds a candidate
#: Candidates this close (log ratio) are one tempo: the decision adds up their probabilities.
_ONE_TEMPO = np.log(1.04)
#: Weights of the candidate features (see :data:`FEATURE_NAMES`), fitted by
#: ``python -m benchmarks.fit_tempo --wide --trees --compound-replace fit`` (L2-penalised
#: conditional logit) on every edition of the realistic evaluation set measured so far but
#: the seventh and the eighth (the ``fit`` and ``heldout`` splits, the fit-only and the
#: touched held-out editions, the drift probe), their compound-metre tunes comped in threes
#: (``python -m benchmarks.compound``), and on generated songs, and rounded.
_WEIGHTS = np.array([
    0.309, -1.952, 0.559, -1.432, 0.665, 2.774, -2.482, 0.555,
    -0.719, 2.446, 4.383, -0.821, 3.016, -0.623, 0.672, 0.146,
    -0.385, -1.367, -0.231, 0.291, 0.442, 1.138, -0.783, -0.071,
    0.183, 0.364, 0.567, 2.203, -1.109, -0.474, 1.559, 1.472,
    0.397, 0.989, 0.638, -0.303, 4.903, 1.648, 4.582, 3.269,
    0.693, 2.399, 1.892, 0.293, -0.038, 3.163, 1.345, 0.69,
    -0.535, 0.378, 1.336, 1.208, -0.857, 1.842, 2.885, -8.1,
    1.605, 0.559, -0.834, 0.559, -0.671, -0.073, 0.653, -1.66,
    0.65, 0.275, 2.583, 4.373, 1.098, 3.164, 0.863, 0.395,
    -0.461, -0.127, 0.94, -0.693, 0.749, -0.003, -0.853, -0.711,
    0.271, 0.27, 0.33, -0.063, -0.311, 0.593, 0.699, -1.872,
    1.179, 0.159, -0.702, 0.23, -0.256, -2.183, 1.234, -1.819,
    2.046, 0.217, -0.858, -0.641, -0.964, 1.249, 2.85, -0.316,
    -0.971, -0.466, -0.597, 3.266, -0.126, -0.268, 0.208, 0.488,
    -1.481, 1.852, 0.968, -1.182, 0.712, -1.337, 0.254, 0.63,
    -0.596, 1.585, -0.912, 4.023, -1.053, 0.855, 2.344, 0.205,
    -0.176, -0.911, -0.216, 0.077, -1.24, -0.487, 0.089, 0.284,
    -1.702, 1.14, 0.278, 0.351, -0.531, -0.012, -1.09, 0.418,
    1.34, 0.063, 0.526, 0.424, -0.018, -0.648, -6.755, -2.676,
    -1.504, -3.027, -2.167, -2.78, -1.808, -1.46, 0.251, 0.043,
    1.086, -1.445, -1.123, -0.634, 0.27, 0.054, -1.172, 0.731,
    0.429, 2.127, 1.02,
])

#: The decision's trees (written by ``python -m benchmarks.fit_tempo --wide --trees
#: --compound-replace fit``).
TREES_PATH = os.path.join(os.path.dirname(os.path.abspath(__file__)), "tempo_trees.json")
#: The trees' share of the decision's score (the linear term has the rest), chosen by
#: ``python -m benchmarks.fit_tempo --loeo --trees --shares 0.5,0.6,0.65,0.7``: with 0.65
#: every edition left out scored at least as well as with an even mean (mean Acc1 0.900 and
#: Acc2 0.980 against 0.896 and 0.978); 0.7 scored about the same but loses a riff on odd
#: sixteenths that the tempo tests keep.
TREE_SHARE = 0.65
#: Above this tempo the trees abstain between a candidate and the candidate at half its
#: tempo: the faster one takes the slower one's tree score, and the linear term alone decides
#: the octave.  The fit material has few songs faster than this (about 2 % of them, four
#: above 195 BPM), and what the trees, which cut on evidence that carries the tempo, learned
#: there is where that material ends: with their full say, four-on-the-floor renders above
#: 200 BPM and a 190 BPM band recording were read at half.  The linear term's tempo terms are
#: smooth in the log of the tempo and do not learn an edge.
TREES_TOP_BPM = 185.0


def tree_inputs(features: np.ndarray) -> np.ndarray:
    """What the trees read about each candidate (one row each): its features, their
    difference from the best value among the song's candidates and from their mean."""
    return np.hstack([features, features - features.max(axis=0),
                      features - features.mean(axis=0)])


@functools.cache
def _trees() -> TreeEnsemble:
    """The decision's trees, read once.

    Raises
    ------
    ValueError
        When the file is malformed or was fitted on other features than
        :data:`FEATURE_NAMES` (a stale file after a change of the evidence).
    """
    with open(TREES_PATH, encoding="utf-8") as f:
        return trees_from_json(json.load(f))


def trees_from_json(data: dict) -> TreeEnsemble:
    """The trees of their JSON form (``features``: the :data:`FEATURE_NAMES` they were
    fitted on, ``baseline``, ``trees``: see :mod:`core.analysis.trees`).

    Raises
    ------
    ValueError
        When a field is malformed or the features are not :data:`FEATURE_NAMES`.
    """
    if data.get("features") != list(FEATURE_NAMES):
        raise ValueError("the tempo trees were fitted on other candidate features")
    baseline = float(data.get("baseline"))
    if not np.isfinite(baseline):
        raise ValueError("the tempo trees' 'baseline' must be a finite number")
    return TreeEnsemble(baseline, trees_from_list(data.get("trees"), 3 * len(FEATURE_NAMES)))


def decision_scores(features: np.ndarray, weights: np.ndarray | None = None,
                    trees: TreeEnsemble | None = None, share: float = TREE_SHARE,
                    top: float = TREES_TOP_BPM) -> np.ndarray:
    """The score (a logit) of each candidate: a weighted mean of the linear term and the
    trees' (each is a logit of its own; a mean keeps the softmax as sharp as either's, so
    the confidence is not inflated), the trees weighing ``share``.  Above ``top`` BPM the
    trees abstain on the octave (see :data:`TREES_TOP_BPM`; ``inf``: never).  ``weights``
    and ``trees`` default to the shipped ones; the fitting scripts pass their refits."""
    linear = features @ (_WEIGHTS if weights is None else weights)
    model = _trees() if trees is None else trees
    tree = _abstain_above(top, features, model.predict(tree_inputs(features)))
    return (1.0 - share) * linear + share * tree


def _abstain_above(top: float, features: np.ndarray, tree: np.ndarray) -> np.ndarray:
    """The trees' scores ``tree`` with each candidate above ``top`` BPM given the score of
    the candidate at half its tempo (within 4 %), when the table has one."""
    bpm = candidate_bpm(features)
    out = tree.copy()
    for i in np.flatnonzero(bpm > top):
        gap = np.abs(np.log(bpm / (bpm[i] / 2.0)))
        j = int(np.argmin(gap))
        if gap[j] <= _ONE_TEMPO:
            out[i] = tree[j]
    return out


@dataclass
class TempoEstimate:
    """A tempo estimate.

    Attributes
    ----------
    bpm : float or None
        Beats per minute; ``None`` only for silence, a signal with fewer than three onsets
        (faint onsets must also repeat more clearly than noise does) or one shorter than 1 s.
    confidence : float
        0-1: how clearly the chosen level beats its alternatives, times how periodic the
        signal is.
    alternatives : tuple of float
        The candidates that were scored (BPM), best first.
    scores : tuple of float
        Probability (0-1) the decision gives each alternative, same order.
    periodicity : float
        Autocorrelation (0-1) of the onset envelope at the chosen beat period.
    weak : bool
        True when the pulse is too weak to trust (the tempo is a best guess).
    found_bpm : float or None
        With a stated tempo range: the beat the evidence found, before it was moved by
        octaves into the range; the descriptors that read the pace (danceability) take it,
        so that the range a user states tempos in does not move them.  None without a range.
    """

    bpm: float | None
    confidence: float = 0.0
    alternatives: tuple[float, ...] = ()
    scores: tuple[float, ...] = field(default=(), repr=False)
    periodicity: float = 0.0
    weak: bool = False
    found_bpm: float | None = None


def _weak_periodicity(seconds: float) -> float:
    """Autocorrelation a trustworthy beat reaches; noise reaches less, more so when long."""
    return _WEAK_PERIODICITY + 0.1 / np.sqrt(max(seconds, 1.0))


def _onsets(bands: np.ndarray, frame_rate: float) -> tuple[int, bool] | None:
    """(how many onsets, whether they are faint) when the bands can carry a tempo, else None.

    An onset is a peak standing out of the envelope's median: :data:`_MIN_ONSET_CREST` times
    for clear onsets (stationary noise's do not), :data:`_FAINT_ONSET_CREST` times for faint
    ones, whose tempo must be periodic enough to trust and is flagged weak.  A tempo needs
    :data:`_MIN_ONSETS` onsets (a constant signal's click at its start, or a lone cymbal
    crash, is not a pulse) and :data:`MIN_TEMPO_S` of signal that is not silent.
    """
    n = bands.shape[1]
    if n < MIN_TEMPO_S * frame_rate or float(bands.sum()) <= 1e-6 * n:
        return None
    env = bands.sum(axis=0)
    top = float(env.max())
    if top <= 0:
        return None
    median = max(float(np.median(env)), 1e-9)
    high = float(np.percentile(env, 99.5))
    peaks = _onset_peaks(env, frame_rate, top)
    for crest, faint in ((_MIN_ONSET_CREST, False), (_FAINT_ONSET_CREST, True)):
        floor = crest * median
        if high > floor:
            count = int(np.count_nonzero(peaks & (env > floor)))
            if count >= _MIN_ONSETS:
                return count, faint
    return None


def _onset_peaks(env: np.ndarray, frame_rate: float, top: float) -> np.ndarray:
    """Which frames of an onset envelope ``env`` (strongest value ``top``) are onset peaks.

    A peak is a local maximum (within 50 ms) above twice the mean of the second around it
    (the flicker of a cymbal's or a noise's decay is not one) and above a fiftieth of the
    strongest (a steady tone's or a constant signal's envelope is zero but for its start
    and rounding errors: its median sets no floor).
    """
    local = local_maxima(env, frame_rate)
    around = scipy.ndimage.uniform_filter1d(env, max(3, int(frame_rate)) | 1)
    return local & (env > _ONSET_OVER_MEAN * around) & (env > _ONSET_OF_MAX * top)


def clear_onsets(env: np.ndarray, frame_rate: float) -> np.ndarray:
    """Which frames of an onset envelope are clear onsets, as a tempo counts them: peaks
    (:func:`_onset_peaks`) standing :data:`_MIN_ONSET_CREST` times above the envelope's
    median, which stationary noise's and a tremolo's do not."""
    env = np.asarray(env, dtype=np.float64)
    top = float(env.max()) if env.size else 0.0
    if top <= 0:
        return np.zeros(env.shape, dtype=bool)
    median = max(float(np.median(env)), 1e-9)
    return _onset_peaks(env, frame_rate, top) & (env > _MIN_ONSET_CREST * median)


#: The onsets an interval guess reads reach this share of the strongest: the flicker of a
#: lone crash's decay does not (a crash of 0.5 s in 25 s was read at 198 BPM), nor does
#: a loop's guess count such onsets (core.analysis.loops).
_GUESS_ONSET_OF_MAX = 0.25


def strong_onsets(env: np.ndarray, at: np.ndarray) -> np.ndarray:
    """The onset frames ``at`` of the envelope ``env`` that reach
    :data:`_GUESS_ONSET_OF_MAX` of the strongest of them (all of an empty ``at``)."""
    at = np.asarray(at)
    if not at.size:
        return at
    return at[env[at] >= _GUESS_ONSET_OF_MAX * float(env[at].max())]


def interval_guess(features, *, frame_rate: float | None = None,
                   onsets: np.ndarray | None = None,
                   floor_bpm: float = 0.0) -> TempoEstimate | None:
    """The best estimate of a signal with clear onsets but no tempo of its own (two hits in
    a long file): the median interval between its onsets that reach
    :data:`_GUESS_ONSET_OF_MAX` of the strongest, each placed between frames by the
    parabola through it and its neighbours when it peaks, as a beat; moved by the fewest
    octaves into :data:`MIN_BPM` to :data:`MAX_BPM` (to 0.1 BPM) and into a stated range
    (see :func:`estimate_tempo`); flagged weak with a confidence of 0 (one interval shows no
    pulse).  Its octaves in the range follow as alternatives (none in a stated range, where
    they are one reading).

    ``onsets``: onset frames to read (hits on a steady sound); by default its clear onsets
    (:func:`clear_onsets`).  ``features`` and ``frame_rate`` as for :func:`estimate_tempo`.
    None with fewer than two onsets.
    """
    bands, fr = _bands_of(features, frame_rate)
    env = bands.sum(axis=0)
    at = strong_onsets(env, np.flatnonzero(clear_onsets(env, fr)) if onsets is None
                       else onsets)
    if at.size < 2:
        return None
    bpm = 60.0 * fr / float(np.median(np.diff(at + vertex_offsets(env, at))))
    while round(bpm, 1) > MAX_BPM:  # to 0.1 BPM, as fold_tempo: 39.99 is 40
        bpm /= 2.0
    while round(bpm, 1) < MIN_BPM:
        bpm *= 2.0
    found = None
    if floor_bpm:
        found, bpm = round(bpm, 2), fold_tempo(bpm, floor_bpm)
    bpm = round(bpm, 2)
    # the interval may be two beats or half of one (in a stated range, every octave is one)
    others = () if floor_bpm else tuple(round(bpm * f, 2) for f in (0.5, 2.0)
                                        if MIN_BPM <= round(bpm * f, 1) <= MAX_BPM)
    return TempoEstimate(bpm=bpm, confidence=0.0, alternatives=(bpm,) + others,
                         scores=(1.0,) + (0.0,) * len(others), weak=True, found_bpm=found)


def _peak_periodicity(a_all: np.ndarray, frame_rate: float, min_bpm: float,
                      max_bpm: float) -> float:
    """The highest autocorrelation of the onsets at a beat between the two tempi."""
    lags = 60.0 * frame_rate / np.exp(np.linspace(np.log(min_bpm), np.log(max_bpm), 400))
    return float(np.max(value_at(a_all, lags)))


def _seed_tempi(both: np.ndarray, frame_rate: float, min_bpm: float, max_bpm: float):
    """BPM of the strongest peaks of the summed periodicity within the range, strongest first."""
    grid = np.exp(np.linspace(np.log(min_bpm), np.log(max_bpm), 800))
    s = value_at(both, 60.0 * frame_rate / grid)
    is_peak = np.r_[False, (s[1:-1] >= s[:-2]) & (s[1:-1] >= s[2:]), False]
    idx = np.nonzero(is_peak)[0]
    if not len(idx):
        idx = np.array([int(np.argmax(s))])
    idx = idx[np.argsort(s[idx])[::-1]]
    floor = 0.5 * s[idx[0]]  # a seed is at least half as periodic as the strongest peak
    out: list[float] = []

    def distinct(bpm: float) -> bool:
        return all(abs(np.log(bpm / o)) > 0.07 for o in out)

    for i in idx:
        if s[i] < floor or len(out) >= _PEAKS:
            break
        if distinct(grid[i]):
            out.append(float(grid[i]))
    # A riff or loop repeats every bar while its notes fall at odd sixteenths (5, 7, 9...):
    # then no peak within the range is the beat, but the bar is.  A bar-length peak as
    # strong as the seeds adds the rate of four beats to the bar (its relatives follow).
    bars = np.exp(np.linspace(np.log(_BAR_MIN_BPM), np.log(min_bpm), 300))
    bars = bars[60.0 * frame_rate / bars < len(both) - 1]  # lags the periodicity covers
    if len(bars) > 2:
        sb = value_at(both, 60.0 * frame_rate / bars)
        j = int(np.argmax(sb))
        four = 4.0 * float(bars[j])
        if sb[j] >= floor and min_bpm <= four <= max_bpm and distinct(four):
            out.append(four)
    return out


def candidate_table(bands: np.ndarray, frame_rate: float, *, chroma: np.ndarray | None = None,
                    bass_chroma: np.ndarray | None = None, pitch_rate: float | None = None,
                    min_bpm: float = MIN_BPM, max_bpm: float = MAX_BPM):
    """Candidate beat rates and their features (used by the estimator and its fitting).

    Parameters
    ----------
    bands : ndarray, shape (3, n)
        Low/mid/high onset envelopes on a uniform frame grid.
    frame_rate : float
        Onset frames per second.
    chroma, bass_chroma : ndarray, shape (12, m), optional
        Pitch-class magnitudes (whole range and bass range) on the pitch grid; without them
        the harmonic-change features are 0.
    pitch_rate : float, optional
        Pitch frames per second.
    min_bpm, max_bpm : float
        Range of tempos considered (BPM).

    Returns
    -------
    dict or None
        ``None`` for silence, a signal without onsets or too short a signal; else
        ``cands`` (BPM), ``features`` (one row per candidate, :data:`FEATURE_NAMES` order),
        ``acf`` (summed autocorrelation), ``a_all`` (autocorrelation of all onsets),
        ``periodicity`` (its peak over the range), ``faint`` (whether the onsets are faint)
        and ``onsets`` (how many; see :func:`_onsets`).
    """
    onsets = _onsets(bands, frame_rate)
    if onsets is None:
        return None
    count, faint = onsets
    prep = prepare_bands(bands, frame_rate)
    acfs, windows = periodicity(np.vstack([prep.sum(axis=0), prep[0] + prep[1], prep]),
                                frame_rate, windows=True)
    a_all = acfs[0]
    both = a_all + acfs[1]
    peak = _peak_periodicity(a_all, frame_rate, min_bpm, max_bpm)
    if faint and peak < _weak_periodicity(bands.shape[1] / frame_rate):
        return None
    cands: list[float] = []
    for seed in _seed_tempi(both, frame_rate, min_bpm, max_bpm):
        for f in _RELATIVES:
            if min_bpm <= seed * f <= max_bpm:
                c = _refine(both, frame_rate, seed * f)
                if all(abs(c - o) > 0.02 * c for o in cands):
                    cands.append(c)
    ctx = beat_context(bands, prep, acfs, windows, frame_rate, chroma=chroma,
                       bass_chroma=bass_chroma, pitch_rate=pitch_rate, min_bpm=min_bpm,
                       max_bpm=max_bpm)
    feats = np.array([candidate_features(c, ctx) for c in cands])
    return {"cands": cands, "features": feats, "acf": both, "a_all": a_all,
            "periodicity": peak, "faint": faint, "onsets": count}


def fold_tempo(bpm: float, floor: float) -> float:
    """``bpm`` moved by whole octaves into the range ``floor`` (included) to ``2 * floor``.

    The octave is chosen by the tempo to 0.1 BPM, as it is read: 87.99 stays in the range
    from 88 and 175.98 moves to 87.99.
    """
    shift = np.floor(np.log2(round(float(bpm), 1) / floor))
    return float(bpm * 2.0 ** -shift)


def octave_near(bpm: float, level: float) -> float:
    """``bpm`` moved by whole octaves to the one nearest ``level``."""
    return float(bpm * 2.0 ** round(float(np.log2(level / bpm))))


def _one_tempo(c: np.ndarray, floor: float) -> np.ndarray:
    """Which candidates ``c`` are one tempo: within 4 % of each other, or, in a stated
    range (``floor`` > 0), within 4 % of an octave of each other."""
    gap = np.abs(np.log(c[:, None] / c[None, :]))
    if floor:
        octave = np.log(2.0)
        gap = gap % octave
        gap = np.minimum(gap, octave - gap)
    return gap <= _ONE_TEMPO


def choose_tempo(logits: np.ndarray, cands, floor: float = 0.0):
    """The decision's choice among candidates ``cands`` (BPM) scored ``logits``.

    Candidates within 4 % of each other are one tempo: their probabilities (softmax of the
    logits) add up.  In a stated range (``floor`` > 0) the octaves of a tempo are stated as
    one, so they add up too.  The chosen candidate is the likeliest of the likeliest tempo.

    Returns
    -------
    prob, near, mass, top
        Each candidate's probability, which candidates are one tempo (a square boolean
        array), each candidate's tempo's summed probability and the chosen one's index.
    """
    prob = np.exp(logits - logits.max())
    prob /= prob.sum()
    near = _one_tempo(np.asarray(cands, dtype=float), floor)
    mass = near.astype(float) @ prob
    return prob, near, mass, int(np.lexsort((-prob, -mass))[0])


def _decide(table, frame_rate: float, seconds: float, floor: float = 0.0) -> TempoEstimate:
    cands, both, a_all = table["cands"], table["acf"], table["a_all"]
    prob, near, mass, top = choose_tempo(decision_scores(table["features"]), cands, floor)
    rest = []
    for i in np.argsort(prob)[::-1]:
        if not near[top, i] and not (floor and any(near[i, j] for j in rest)):
            rest.append(i)

    def stated(bpm):
        return fold_tempo(bpm, floor) if floor else bpm

    # The pulse is measured at the level the evidence chose; a stated range only moves it.
    beat = _refine(both, frame_rate, cands[top], spread=0.06, plateau=True)
    per = float(value_at(a_all, 60.0 * frame_rate / beat))
    conf = float(np.clip(mass[top] * min(1.0, per / 0.3), 0.0, 1.0))
    best = stated(beat)
    return TempoEstimate(
        bpm=round(best, 2), confidence=conf,
        alternatives=(round(best, 2),) + tuple(round(stated(cands[i]), 2) for i in rest),
        scores=(float(mass[top]),) + tuple(float(mass[i] if floor else prob[i]) for i in rest),
        periodicity=per,
        weak=bool(table["periodicity"] < _weak_periodicity(seconds) or conf < WEAK_CONFIDENCE
                  or table["faint"] or table["onsets"] < _STEADY_ONSETS),
        found_bpm=round(beat, 2) if floor else None)


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
    """The onset bands of a whole signal, their end tamed (:func:`tame_end`), and their
    frame rate."""
    if hasattr(features, "onset_bands"):
        return tame_end(features.onset_bands), float(features.frame_rate)
    if frame_rate is None:
        raise ValueError("frame_rate is required when onset envelopes are given as an array")
    arr = np.atleast_2d(np.asarray(features, dtype=np.float64))
    if arr.shape[0] == 1:
        arr = np.vstack([arr, arr, arr])
    return tame_end(arr), float(frame_rate)


def _pitch_slice(features, fr, spans):
    """Chroma, bass chroma and pitch rate of the onset-frame ``spans`` (joined)."""
    chroma = getattr(features, "chroma", None)
    bass = getattr(features, "bass_chroma", None)
    pr = getattr(features, "pitch_frame_rate", None)
    if spans is None or not pr:
        return chroma, bass, pr
    cut = [(int(round(a * pr / fr)), int(round(b * pr / fr))) for a, b in spans]

    def join(c):
        return None if c is None else np.concatenate([c[:, a:b] for a, b in cut], axis=1)

    return join(chroma), join(bass), pr


def _estimate_spans(bands, fr, features, spans, min_bpm, max_bpm,
                    floor: float = 0.0) -> TempoEstimate:
    sub = bands if spans is None else np.concatenate([bands[:, a:b] for a, b in spans], axis=1)
    chroma, bass, pr = _pitch_slice(features, fr, spans)
    table = candidate_table(sub, fr, chroma=chroma, bass_chroma=bass, pitch_rate=pr,
                            min_bpm=min_bpm, max_bpm=max_bpm)
    if table is None or not table["cands"]:
        return TempoEstimate(None)
    return _decide(table, fr, sub.shape[1] / fr, floor)


def estimate_tempo(features, *, frame_rate: float | None = None,
                   frames: tuple[int, int] | None = None, min_bpm: float = MIN_BPM,
                   max_bpm: float = MAX_BPM, floor_bpm: float = 0.0) -> TempoEstimate:
    """Estimate the beat tempo.

    Parameters
    ----------
    features : FeatureStream or ndarray
        A finished :class:`core.analysis.features.FeatureStream`, or onset envelope(s):
        shape (n,) or (3, n) low/mid/high bands.
    frame_rate : float, optional
        Frames per second of an array input (ignored for a FeatureStream).
    frames : (int, int), optional
        Only use onset frames ``start:stop`` (e.g. one chunk).
    min_bpm, max_bpm : float
        Range of tempos considered (BPM).
    floor_bpm : float
        0: the tempo is stated at the most likely metrical level.  Otherwise it is stated
        in the octave ``floor_bpm`` to ``2 * floor_bpm``: the octaves of each candidate
        count as one reading, and the most likely reading is moved into the range.

    Returns
    -------
    TempoEstimate
        ``bpm`` is ``None`` only for silence, a signal with fewer than three onsets (faint
        onsets must also repeat more clearly than noise does) or one shorter than 1 s.  A
        FeatureStream whose chunks beat at unrelated tempi gets the tempo of its longest
        section (the first of equally long ones).  Stretches without a pulse at either end
        of the signal (applause, a noise floor: :func:`pulse_bounds`) are left out first.

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
    if floor_bpm and not 10 <= floor_bpm <= 300:
        raise ValueError(f"floor_bpm must be 0 or 10-300, got {floor_bpm!r}")
    if frames is not None:
        return _estimate_spans(bands, fr, features, [frames], min_bpm, max_bpm, floor_bpm)
    n = bands.shape[1]
    lo, hi = _pulse_bounds_of(features, bands, fr)
    spans = None
    if hasattr(features, "chunk_frames"):
        chunks = [(max(a, lo), min(b, hi)) for a, b in features.chunk_frames()
                  if min(b, hi) > max(a, lo)]
        spans = _main_section(features, bands, fr, chunks)
    if spans is None and (lo, hi) != (0, n):
        spans = [(lo, hi)]
    return _estimate_spans(bands, fr, features, spans, min_bpm, max_bpm, floor_bpm)


def _chunk_pulse(bands: np.ndarray, frame_rate: float):
    """(autocorrelation of all onsets and of the accents, strongest beat rate in BPM,
    whether the onsets are faint) of a chunk, or None without a pulse."""
    onsets = _onsets(bands, frame_rate)
    if onsets is None:
        return None
    faint = onsets[1]
    prep = prepare_bands(bands, frame_rate)
    a_all, a_acc = periodicity(np.stack([prep.sum(axis=0), prep[0] + prep[1]]), frame_rate)
    if faint and (_peak_periodicity(a_all, frame_rate, MIN_BPM, MAX_BPM)
                  < _weak_periodicity(bands.shape[1] / frame_rate)):
        return None
    seeds = _seed_tempi(a_all + a_acc, frame_rate, MIN_BPM, MAX_BPM)
    if not seeds:  # nothing repeats: the periodicity is negative at every lag
        return None
    return a_all, a_acc, seeds[0], faint


#: Two sections whose tempi are this close (relative) to a metrical ratio are one tempo.
_SECTION_TOLERANCE = 0.04


def _related(a: float, b: float) -> bool:
    return any(abs(a / b - f) <= _SECTION_TOLERANCE * f for f in _FAMILY)


def _chunk_pulse_of(features, bands: np.ndarray, frame_rate: float, span: tuple[int, int]):
    """:func:`_chunk_pulse` of one chunk of a finished FeatureStream, measured once.

    The song's section search and the chunk tempi both read every chunk's pulse; the
    stream does not change once finished, so the pulses are kept on it.
    """
    cache = vars(features).setdefault("_chunk_pulses", {})
    if span not in cache:
        cache[span] = _chunk_pulse(bands[:, span[0]:span[1]], frame_rate)
    return cache[span]


def _main_section(features, bands, fr, chunks):
    """Onset-frame spans of the longest group of chunks whose clear pulses are related, or None.

    ``None`` means the whole signal: every chunk with a clear pulse belongs to one family.
    """
    pulses = []
    for a, b in chunks:
        if b - a >= _SECTION_MIN_S * fr:
            p = _chunk_pulse_of(features, bands, fr, (a, b))
            if p is not None and not p[3]:  # a faint pulse does not mark a tempo change
                pulses.append(((a, b), p[2]))
    if len(pulses) < 2:
        return None
    groups: list[list] = []
    for span, bpm in pulses:
        for g in groups:
            if _related(bpm, g[0][1]):
                g.append((span, bpm))
                break
        else:
            groups.append([(span, bpm)])
    if len(groups) == 1:
        return None
    best = max(groups, key=lambda g: (sum(s[1] - s[0] for s, _ in g), -g[0][0][0]))
    return [s for s, _ in best]


#: Windows (s) in which the ends of a song are searched for a stretch without a pulse
#: (:func:`pulse_bounds`), and the gap between the windows of a run.
_END_WINDOW_S, _END_HOP_S = 6.0, 2.0
#: Windows in a row with a pulse that mark where the pulse begins (and where it ends).
_END_RUN = 3
#: Steps (s) in which the beginning and the end of the pulse are searched.
_END_STEP_S = 0.5
#: A span shorter than this is kept whole (a loop or a short cut has no ends to leave out).
_END_MIN_S = 16.0
#: A window at an end has no pulse below this share of the periodicity that a quarter of the
#: song's windows reach (its 75th percentile: the song's own, though applause or noise
#: fill up to three quarters of the file) ...
_END_OF_SONG = 1.0 / 3.0
#: ... and below this periodicity, whatever the song's.
_END_MAX_PERIODICITY = 0.15


def _window_periodicity(bands: np.ndarray, frame_rate: float) -> float:
    """Peak periodicity of the onsets of a window; 0 for one without onsets."""
    if _onsets(bands, frame_rate) is None:
        return 0.0
    prep = prepare_bands(bands, frame_rate).sum(axis=0)
    return _peak_periodicity(periodicity(prep, frame_rate), frame_rate, MIN_BPM, MAX_BPM)


def pulse_bounds(bands: np.ndarray, frame_rate: float, start: int, stop: int) -> tuple[int, int]:
    """Onset frames ``start:stop`` without the stretches at either end that carry no pulse.

    Applause or crowd noise before and after a live song, room tone or a noise floor:
    onsets that repeat no more than noise does (speech repeats more, with its syllables,
    and is left out only where the song's pulse is clearly stronger).  The song's tempo is
    read where its pulse is, not averaged with them.  A window of :data:`_END_WINDOW_S` s
    carries a pulse when its periodicity reaches a third of what a quarter of the span's
    windows side by side reach (:data:`_END_OF_SONG`), and :data:`_END_MAX_PERIODICITY`
    whatever they reach: a piece whose whole pulse is weak (a rubato quartet) keeps its
    windows.  The pulse begins with the first window that carries one and is followed by
    :data:`_END_RUN` - 1 more that do, :data:`_END_HOP_S` s apart (noise repeats by chance
    in a window now and then), and ends with the last such window.  A window carries the
    pulse as soon as a second of it comes in, and a second of noise left in sways the
    reading more than one of pulse left out: the span kept begins where that first window
    ends and ends where the last one begins.  A span shorter than :data:`_END_MIN_S`, or
    one without such a run, is kept whole.
    """
    w = int(round(_END_WINDOW_S * frame_rate))
    if stop - start < _END_MIN_S * frame_rate:
        return start, stop
    peaks: dict[int, float] = {}

    def pulse(s: int) -> float:
        if s not in peaks:
            peaks[s] = _window_periodicity(bands[:, s : s + w], frame_rate)
        return peaks[s]

    side_by_side = [pulse(s) for s in range(start, stop - w + 1, w)]
    song = float(np.percentile(side_by_side, 75))
    if song <= 0.0:
        # Onsets in under a quarter of the windows (a short piece before minutes of digital
        # silence): the song's is the periodicity of the windows that have any, or the
        # silence would be kept and read with the piece.
        heard = [p for p in side_by_side if p > 0.0]
        song = float(np.percentile(heard, 75)) if heard else 0.0
    limit = min(_END_MAX_PERIODICITY, _END_OF_SONG * song)
    if limit <= 0.0:
        return start, stop
    step = max(1, int(round(_END_STEP_S * frame_rate)))
    gap = int(round(_END_HOP_S * frame_rate))
    span = (_END_RUN - 1) * gap

    def begins(s: int, direction: int) -> bool:
        return all(pulse(s + direction * k * gap) >= limit for k in range(_END_RUN))

    first = next((s for s in range(start, stop - w - span + 1, step) if begins(s, 1)), None)
    if first is None:
        return start, stop
    # searched back from the end; the run found first ends one (off the grid the search
    # steps on, it may not be met again)
    last = next((s for s in range(stop - w, first + span - 1, -step) if begins(s, -1)),
                first + span)
    lo = start if first == start else first + w
    hi = stop if last == stop - w else last
    return (lo, hi) if hi - lo >= w else (start, stop)


def _pulse_bounds_of(features, bands: np.ndarray, frame_rate: float) -> tuple[int, int]:
    """:func:`pulse_bounds` of a whole signal, kept on a FeatureStream (the song's tempo and
    its chunks' both read them)."""
    if not hasattr(features, "chunk_frames"):
        return pulse_bounds(bands, frame_rate, 0, bands.shape[1])
    cache = vars(features)
    if "_pulse_bounds" not in cache:
        cache["_pulse_bounds"] = pulse_bounds(bands, frame_rate, 0, bands.shape[1])
    return cache["_pulse_bounds"]


def chunk_tempos(features, *, song: TempoEstimate | None = None, floor_bpm: float = 0.0,
                 **kwargs) -> list[TempoEstimate]:
    """Tempo of each chunk of a finished FeatureStream.

    Parameters
    ----------
    features : FeatureStream
        Finished, with chunks marked.
    song : TempoEstimate, optional
        The song's tempo.  A chunk whose strongest periodicity belongs to the song tempo's
        metrical family (x1/3 ... x3, within 4 %) gets the song's level, sharpened on the
        chunk; a chunk that really differs is estimated on its own.
    floor_bpm : float
        A stated tempo range (see :func:`estimate_tempo`), for every chunk.
    **kwargs
        Passed to :func:`estimate_tempo`.

    Returns
    -------
    list of TempoEstimate
        One per chunk, read without the stretches without a pulse at either end of the
        song (:func:`pulse_bounds`: applause, crowd noise, a noise floor); a chunk wholly in
        one has no tempo.
    """
    out = []
    bands, fr = _bands_of(features, None)
    lo, hi = _pulse_bounds_of(features, bands, fr)
    for a, b in features.chunk_frames():
        # a chunk is read where the song's pulse is: one wholly in the applause or noise
        # before or after the song has no beat, one partly in it is read without it
        a, b = max(a, lo), min(b, hi)
        if b <= a:
            out.append(TempoEstimate(None))
            continue
        est = None
        if song is not None and song.bpm is not None:
            est = _follow_song(_chunk_pulse_of(features, bands, fr, (a, b)),
                               bands[:, a:b].shape[1] / fr, fr, song.bpm, floor_bpm)
        out.append(est if est is not None else estimate_tempo(
            features, frames=(a, b), floor_bpm=floor_bpm, **kwargs))
    return out


def _follow_song(pulse, seconds: float, frame_rate: float, bpm: float,
                 floor: float = 0.0) -> TempoEstimate | None:
    """The song's beat sharpened on a chunk (its :func:`_chunk_pulse`, ``seconds`` long),
    or None when the chunk's pulse differs.  In a stated range (``floor``) the sharpened
    beat is stated in the song's octave: a song whose tempo sits at the range's edge keeps
    its chunks beside it, a hair outside the range rather than an octave away."""
    if pulse is None:
        return TempoEstimate(None)
    a_all, a_acc, base, faint = pulse
    # a tempo moved into a range may sit an octave from the beat the song was read at
    if not any(_related(base, bpm * 2.0 ** k) for k in ((-1, 0, 1) if floor else (0,))):
        return None
    both = a_all + a_acc
    stated = bpm
    if floor:  # the song's tempo was moved into the range: sharpen its octave that beats
        bpm = max((bpm * 2.0 ** k for k in (-2, -1, 0, 1, 2) if MIN_BPM <= bpm * 2.0 ** k <= MAX_BPM),
                  key=lambda b: float(value_at(both, 60.0 * frame_rate / b)))
    best = _refine(both, frame_rate, bpm, spread=0.06, plateau=True)
    per = float(value_at(a_all, 60.0 * frame_rate / best))
    if floor:
        best = octave_near(best, stated)
    return TempoEstimate(round(best, 2), confidence=float(np.clip(per / 0.3, 0.0, 1.0)),
                         alternatives=(round(best, 2),), scores=(1.0,), periodicity=per,
                         weak=bool(per < _weak_periodicity(seconds) or faint))
