"""Short files read as loops: the tempo of a cut from a sample pack.

A short file (up to :data:`LOOP_MAX_S`) may be a loop cut from a sample pack: played
repeated, it beats as it does in a track, while a single pass holds too few pulses to fix its
tempo.  :func:`read_as_loop` reads it repeated as well, and takes that reading when it makes a
whole number of beats that a loop is cut to (:func:`loop_beats`) and the single pass beats
there too.

A loop of up to :data:`LOOP_MAX_S` is analyzed as it is by :func:`core.analysis.tempo.estimate_tempo`
and once more played :data:`LOOP_REPEATS` times in a row; :func:`read_as_loop` decides
between the two readings.  A file shorter than :data:`core.analysis.tempo.MIN_TEMPO_S` has
no reading of its own (a loop of two beats at 130 BPM lasts 0.92 s): it gets the repeated
reading when its onsets fall on that reading's sixteenths counted from its start, as a
loop's do, and otherwise, with two onsets or more, that reading as a guess, flagged weak
(a swung or triplet loop, a cut of a song).
"""

from __future__ import annotations

import numpy as np

from core.analysis.periodicity import (
    local_maxima,
    periodicity,
    prepare_bands,
    tame_end,
    vertex_offsets,
)
from core.analysis.tempo import (
    MAX_BPM,
    MIN_TEMPO_S,
    WEAK_CONFIDENCE,
    TempoEstimate,
    clear_onsets,
    estimate_tempo,
    fold_tempo,
    octave_near,
)

__all__ = ["LOOP_MAX_S", "LOOP_REPEATS", "loop_beats", "read_as_loop"]

#: Longest file (s) that is also read as a loop: four bars of 4/4 at 48 BPM.
LOOP_MAX_S = 20.0
#: Times a short file is repeated for its reading as a loop.
LOOP_REPEATS = 3
#: Lengths (beats) a loop is cut to: whole bars of two, three or four beats.  One beat is
#: left out: any sound repeated makes a pulse at its own length.
_LOOP_BEATS = (2, 3, 4, 6, 8, 12, 16, 24, 32)
_LOOP_SLACK = 0.1  # beats a loop's length may be off a whole count (its tail, the frame grid)
#: Loop lengths (beats) that may change the single reading's metrical level (a 2/3 or 4/3
#: reading of its beat): whole bars of 4/4.  A cut of a song read at 2/3 of its beat comes
#: out as three beats as easily as a loop, and triple-metre loops are rare.
_LOOP_BARS = (2, 4, 8, 16, 32)
_LOOP_LAG_SLACK = 0.01  # a loop's single pass peaks this close (log ratio) to its beat period
_LOOP_LAG_HEIGHT = 0.1  # ... with at least this autocorrelation there
#: Two readings this close (log ratio) are one level; a single pass of a short loop can be
#: this far off its beat.
_SAME_TEMPO = np.log(1.06)
#: Ratios of the loop reading to the single one that change the metrical level (the single
#: pass took two or three of the loop's beats for three or four, or the other way round),
#: within 2 %.  Other ratios (5/4, 2/5...) are no other level of the same pulse.
_LEVEL_CHANGES = (2 / 3, 3 / 2, 3 / 4, 4 / 3)
_LEVEL_SLACK = np.log(1.02)
#: A loop too short for a reading of its own (under MIN_TEMPO_S): lengths (beats) it may be
#: cut to (two beats at 240 BPM last 0.5 s; four beats under 1 s are faster than any tempo).
_SHORT_LOOP_BEATS = (2, 3)
_SHORT_ONSET_OF_MAX = 0.25  # its onsets: peaks (within 50 ms) reaching this share of the top
#: ... each this close (in sixteenths) to a sixteenth of its beats counted from its start.
#: Checked on generated two-beat loops and cuts of songs 0.55-0.95 s long at other places:
#: 83 of 120 loops read right and none of 480 cuts read wrong at 0.15; at 0.2, 92 and 1.
#: Eighth-note triplets as well let more cuts through.
_SHORT_GRID_SLACK = 0.15


def loop_beats(seconds: float, bpm: float | None) -> int | None:
    """The length in beats of a loop of ``seconds`` at ``bpm``, when loops are cut to it.

    Returns the count in ``(2, 3, 4, 6, 8, 12, 16, 24, 32)`` that ``seconds * bpm / 60`` is
    within 0.1 beat of, else ``None``.
    """
    if not bpm or not seconds > 0:
        return None
    n = seconds * bpm / 60.0
    k = min(_LOOP_BEATS, key=lambda b: abs(n - b))
    return k if abs(n - k) <= _LOOP_SLACK else None


def read_as_loop(features, once: TempoEstimate, repeated, seconds: float, *,
                 floor_bpm: float = 0.0) -> tuple[TempoEstimate, int | None]:
    """The tempo of a short signal, read once and read as a loop.

    A single pass of a one- or two-bar loop holds a handful of pulses, and its
    autocorrelation can peak off the beat (a 2/3 or 3/4 reading, or a few per cent off).
    Played repeated, the loop's beat returns exactly every loop length.  The repeated
    reading is taken when

    * it makes a whole loop length (:func:`loop_beats`): its tempo is then that count over
      the signal's length, exactly;
    * the single pass beats there too: its own autocorrelation peaks within 1 % of that beat
      period and reaches :data:`_LOOP_LAG_HEIGHT` there.  Repeating any cut makes a pulse of
      its length; a cut of a song that is no loop fails here;
    * it is the single reading's level (within 6 %: a single pass can be that far off), an
      octave of it, or another level of the same pulse (2/3, 3/2, 3/4 or 4/3 of it, within
      2 %) in a loop of 2, 4, 8, 16 or 32 beats.

    An octave between the two readings is left to the single pass (repeating adds no
    evidence of which level is the beat): it keeps its level with the loop's precision.

    Parameters
    ----------
    features : FeatureStream
        The features of the signal as it is.
    once : TempoEstimate
        Their estimate.
    repeated : FeatureStream
        The features of the signal played :data:`LOOP_REPEATS` times in a row.
    seconds : float
        The signal's length.
    floor_bpm : float
        A stated tempo range (see :func:`estimate_tempo`); the loop's tempo is moved into it
        by octaves, and its length counted in those beats (a loop of three beats at 130 BPM
        is one of 1.5 beats at 65).

    Returns
    -------
    (TempoEstimate, float or None)
        The estimate and the loop's length in beats of its tempo (:func:`_length_in_beats`:
        a whole number unless the tempo was moved by octaves) when the loop reading is
        taken, else ``once`` and ``None``.  A signal without a tempo of its own gets none
        (repeating noise or a lone hit makes a pulse of its length), unless it is too short
        for one (under :data:`core.analysis.tempo.MIN_TEMPO_S`): a loop of two or three
        beats whose onsets fall on the repeated reading's grid gets that reading, another
        signal with two onsets or more the reading as a guess (:func:`_guess`; the length
        in beats is then None).  A weak pulse stays flagged.
    """
    if once.bpm is None:
        if seconds < MIN_TEMPO_S:
            return _short_loop(once, repeated, seconds, floor_bpm=floor_bpm)
        guess = _guess(estimate_tempo(repeated), repeated, seconds, floor_bpm=floor_bpm)
        return guess or once, None
    looped = estimate_tempo(repeated)
    beats = loop_beats(seconds, looped.bpm)
    if beats is None:
        return once, None
    bpm = found = 60.0 * beats / seconds
    for octave in (1.0, 2.0, 0.5):
        if _near(bpm, once.bpm * octave, _SAME_TEMPO):
            bpm /= octave
            same = True
            break
    else:
        same = False
        level = any(_near(bpm, once.bpm * r, _LEVEL_SLACK) for r in _LEVEL_CHANGES)
        if not (level and beats in _LOOP_BARS):
            return once, None
    # in a stated range the single reading was moved by octaves: the single pass must beat
    # where the repeated one found the loop's beat
    if not _beats_in(features, found if floor_bpm else bpm):
        return once, None
    found_bpm = None
    if floor_bpm:  # stated in the range; kept at the octave the single pass's evidence found
        bpm = fold_tempo(bpm, floor_bpm)
        level = once.found_bpm or once.bpm
        found_bpm = round(octave_near(bpm, level), 2)
    return _taken(bpm, seconds, once if same else looped, weak=once.weak or looped.weak,
                  found_bpm=found_bpm)


def _short_loop(once: TempoEstimate, repeated, seconds: float, *,
                floor_bpm: float = 0.0) -> tuple[TempoEstimate, float | None]:
    """The repeated reading of a signal too short for its own: taken as it is when the signal
    is a loop (:func:`_on_grid`), else as a guess (:func:`_guess`) when the signal has at
    least two onsets."""
    looped = estimate_tempo(repeated)
    beats = loop_beats(seconds, looped.bpm)
    if beats in _SHORT_LOOP_BEATS and _on_grid(repeated, seconds, beats):
        bpm, found_bpm = _stated(60.0 * beats / seconds, floor_bpm)
        return _taken(bpm, seconds, looped, weak=looped.weak, found_bpm=found_bpm)
    return _guess(looped, repeated, seconds, floor_bpm=floor_bpm) or once, None


def _guess(looped: TempoEstimate, repeated, seconds: float, *,
           floor_bpm: float = 0.0) -> TempoEstimate | None:
    """The best estimate of a signal under :data:`core.analysis.tempo.MIN_TEMPO_S` that is
    no loop on a sixteenth grid (a swung or triplet loop, a cut of a song), or of a longer
    one with too few onsets for a tempo of its own (a kick and a snare): the repeated
    reading moved to whole beats of the signal's length when it is near them
    (:func:`_whole_beats`), flagged weak and with a confidence of at most
    :data:`core.analysis.tempo.WEAK_CONFIDENCE` (the level under which
    any reading is flagged weak).  None for a signal with fewer than two clear onsets in its
    second pass (:func:`core.analysis.tempo.clear_onsets`: a lone hit repeated beats at its
    own length, noise and a tremolo make no clear onset) or without a repeated reading."""
    if looped.bpm is None or _clear_onsets_in_pass(repeated, seconds) < 2:
        return None
    bpm, found_bpm = _stated(_whole_beats(looped.bpm, seconds), floor_bpm)
    bpm = round(bpm, 2)
    return TempoEstimate(bpm=bpm, confidence=min(looped.confidence, WEAK_CONFIDENCE),
                         alternatives=(bpm,) + looped.alternatives[1:], scores=looped.scores,
                         periodicity=looped.periodicity, weak=True, found_bpm=found_bpm)


def _stated(bpm: float, floor_bpm: float) -> tuple[float, float | None]:
    """``bpm`` moved by octaves into a stated tempo range (see
    :func:`core.analysis.tempo.estimate_tempo`; none when ``floor_bpm`` is 0), and the beat
    found before it was moved, to 0.01 (None without a range)."""
    if not floor_bpm:
        return bpm, None
    return fold_tempo(bpm, floor_bpm), round(bpm, 2)


def _whole_beats(bpm: float, seconds: float) -> float:
    """``bpm`` moved to a whole number of beats of a loop of ``seconds``, when it is near one:
    a loop is cut to whole beats.  From :data:`core.analysis.tempo.MIN_TEMPO_S` on, the
    count of :func:`loop_beats` at ``bpm``; under it, two or three beats (the first that is
    ``bpm`` or an octave of it, within 6 %, and no faster than any tempo read): the single
    pass of so short a loop is often read an octave off, and it holds two or three beats."""
    if seconds >= MIN_TEMPO_S:
        beats = loop_beats(seconds, bpm)
        return 60.0 * beats / seconds if beats else bpm
    for beats in _SHORT_LOOP_BEATS:
        whole = 60.0 * beats / seconds
        if whole > MAX_BPM:
            continue
        octaves = np.log2(whole / bpm)
        if abs(octaves - np.round(octaves)) * np.log(2.0) <= _SAME_TEMPO:
            return whole
    return bpm


def _taken(bpm: float, seconds: float, base: TempoEstimate, *, weak: bool,
           found_bpm: float | None) -> tuple[TempoEstimate, float]:
    """The loop reading taken: ``bpm`` to 0.01 with the evidence of the ``base`` reading it
    came from, and the loop's length in those beats."""
    beats = _length_in_beats(bpm, seconds)
    bpm = round(bpm, 2)
    return TempoEstimate(bpm=bpm, confidence=base.confidence,
                         alternatives=(bpm,) + base.alternatives[1:], scores=base.scores,
                         periodicity=base.periodicity, weak=weak, found_bpm=found_bpm), beats


def _length_in_beats(bpm: float, seconds: float) -> float:
    """The length of a loop of ``seconds`` in beats of ``bpm``, to 0.01 beat: a loop's count
    moved by octaves into a stated range may be a half or a quarter (3 beats at 130 BPM are
    1.5 at 65), which a whole number would misstate."""
    return round(bpm * seconds / 60.0, 2)


def _on_grid(repeated, seconds: float, beats: int) -> bool:
    """Whether a signal of ``seconds``, played repeated (``repeated``), is a loop of ``beats``
    beats: in its second pass, at least two onsets, each on a sixteenth of its beats
    counted from the pass's start.  A cut of a song at another place or length and a lone
    hit fail it."""
    slot = seconds / (4 * beats)
    slots = _pass_onsets(repeated, seconds, slot / 2) / slot
    return len(slots) >= 2 and bool(np.all(np.abs(slots - np.round(slots)) <= _SHORT_GRID_SLACK))


def _clear_onsets_in_pass(repeated, seconds: float) -> int:
    """How many clear onsets (:func:`core.analysis.tempo.clear_onsets` of the whole repeated
    signal) reaching :data:`_SHORT_ONSET_OF_MAX` of the strongest the second pass of a signal
    of ``seconds`` played repeated holds, the pass taken from half a sixteenth of two beats
    before its start: the onsets a loop's grid is checked on (:func:`_pass_onsets`), which
    also stand out of noise.  A one-shot's decay, with its flicker, has one."""
    env, fr, _t, second = _second_pass(repeated, seconds, seconds / 16)
    if not second.any():
        return 0
    strong = env >= _SHORT_ONSET_OF_MAX * float(env[second].max())
    return int(np.count_nonzero(clear_onsets(env, fr) & second & strong))


def _pass_onsets(repeated, seconds: float, lead: float) -> np.ndarray:
    """The onsets (s from the pass's start) of the second pass of a signal of ``seconds``
    played repeated (``repeated``), the pass taken from ``lead`` seconds before its start
    (:func:`_second_pass`): peaks (within 50 ms) reaching :data:`_SHORT_ONSET_OF_MAX` of the
    pass's top."""
    env, fr, t, second = _second_pass(repeated, seconds, lead)
    top = float(env[second].max()) if second.any() else 0.0
    if top <= 0:
        return np.zeros(0)
    local = local_maxima(env, fr)
    return t[second & local & (env >= _SHORT_ONSET_OF_MAX * top)] - seconds


def _second_pass(repeated, seconds: float, lead: float):
    """The onset envelope (bands summed, the end tamed) of a signal of ``seconds`` played
    repeated (``repeated``), its frame rate, its frames' times, and which frames are its
    second pass, taken from ``lead`` seconds before the pass starts.  The second pass is
    read because a file's first onset does not show in its own envelope (no flux before its
    first frame), while each restart of the loop does."""
    env = tame_end(repeated.onset_bands).sum(axis=0).astype(np.float64)
    fr = float(repeated.frame_rate)
    t = np.arange(env.size) / fr
    return env, fr, t, (t >= seconds - lead) & (t < 2 * seconds - lead)


def _beats_in(features, bpm: float) -> bool:
    """Whether the onsets of ``features`` repeat at the beat period of ``bpm``: their
    autocorrelation peaks within :data:`_LOOP_LAG_SLACK` of it, at least
    :data:`_LOOP_LAG_HEIGHT` high."""
    bands, fr = tame_end(features.onset_bands), float(features.frame_rate)
    acf = periodicity(prepare_bands(bands, fr).sum(axis=0), fr)
    lag = 60.0 * fr / bpm
    reach = float(np.exp(_SAME_TEMPO))
    lo, hi = int(lag / reach), min(len(acf) - 1, int(np.ceil(lag * reach)))
    if hi - lo < 2:
        return False
    j = lo + int(np.argmax(acf[lo : hi + 1]))
    peak = float(j)
    if 0 < j < len(acf) - 1 and acf[j] >= max(acf[j - 1], acf[j + 1]):
        peak += float(vertex_offsets(acf, j))  # the parabola through the peak
    height = float(np.interp(lag, np.arange(len(acf)), acf))
    return _near(peak, lag, _LOOP_LAG_SLACK) and height >= _LOOP_LAG_HEIGHT


def _near(a: float, b: float, slack: float) -> bool:
    """Whether ``a`` is within ``slack`` of ``b`` on a log scale."""
    return bool(abs(np.log(a / b)) <= slack)
