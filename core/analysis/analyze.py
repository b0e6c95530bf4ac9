"""Analyze one song: decode it chunk by chunk and compute every descriptor.

The whole analysis of a song runs in the calling thread: decoding, loudness at the file's
own rate, the mono analysis signal resampled with soxr, streaming frame features, and at the
end the song-level tempo, key and descriptors from features gathered over the whole song.
Only compact per-frame features are kept, and the signal only of a short file (its tempo is
also read as a loop's), so memory stays bounded however long the file is.  Progress is
reported after every chunk and the cancel check is polled between chunks.
"""

from __future__ import annotations

import math
import os
import time

import numpy as np
import scipy.signal
import soxr

from core.analysis import decode
from core.analysis.descriptors import compute_descriptors
from core.analysis.features import FeatureStream
from core.analysis.identity import analyzer_id
from core.analysis.key import chunk_keys, estimate_key
from core.analysis.loops import LOOP_MAX_S, LOOP_REPEATS, read_as_loop
from core.analysis.loudness import LoudnessMeter
from core.analysis.tempo import (
    MIN_TEMPO_S,
    chunk_tempos,
    clear_onsets,
    estimate_tempo,
    interval_guess,
    octave_near,
    strong_onsets,
)
from core.analysis.timesig import estimate_time_signature
from core.errors import AnalysisCancelled, EmptyFileError, TooShortError
from core.io.keynotation import Key
from core.io.results import ChunkResult, SongResult
from core.io.tags import read_title_artist
from core.settings import AnalysisSettings

__all__ = ["analyze_file", "MIN_DURATION_S"]

#: Shortest file (s) that is analyzed (one 400 ms block of the loudness measurement); anything
#: shorter fails as too short.  Under 1 s a tempo is read as a loop or guessed
#: (core.analysis.loops).
MIN_DURATION_S = 0.4
#: Shortest file (s) that gets a key.  A shorter cut of one steady note took a key from the
#: click of its cut ("A minor" for 0.4 and 0.5 s of an A; from 0.6 s on, none, as for a
#: long tone): the pitch window (0.37 s) spans most of such a file.
KEY_MIN_S = 0.6
_SUB_BLOCK_S = 30.0  # longest decoding block (s); a longer chunk is read as several
#: Most samples (frames times channels) in a decoding block: 30 s of stereo at 192 kHz,
#: 44 MB as float32.  Files of more channels or a higher rate are read in shorter blocks
#: (64 channels at 96 kHz: 1.9 s), whose copies would otherwise take gigabytes.
_SUB_BLOCK_SAMPLES = 30 * 192_000 * 2
#: Largest sample magnitude read as sound (+120 dBFS).  Float files may go past full scale,
#: some even hold samples on the 16-bit scale (up to 32768); a value beyond this is damage
#: (a wrong sample format, garbage data) and read as silence like NaN, as its square would
#: overflow the float32 spectra and give every value from the loudness on as nonsense.
MAX_SAMPLE = 1e6
#: A chunk whose tempo is further than this (relative) from the song's, octaves aside, is off
#: it: Acc1's tolerance, so the song's one tempo misdescribes that chunk.
_OFF_TEMPO = math.log(1.04)
#: Chunks off the song's tempo that make it vary: one alone is the usual doubt of a short
#: excerpt (a break, a fill), as a single chunk in another key is no modulation.
_VARIES_MIN_CHUNKS = 2
#: Shortest chunk (s) weighed for the flag: a short last chunk reads its tempo poorly.
_VARIES_MIN_CHUNK_S = 8.0


def _round(x, nd):
    return None if x is None or not math.isfinite(x) else round(float(x), nd)


#: A frequency sweep: the spectral centroid moves one way all along (rank correlation with
#: time at least this, in size) over at least this many octaves.  Music measured from -0.49
#: to 0.72 (218 songs of the unseen edition); the decays of cymbals, toms and chimes reach
#: 0.9999, over less than 2.5 octaves; effect sounds that fall over more (a bass drop, a
#: cinematic boom) reach 0.98.
_SWEEP_RANK_CORRELATION = 0.99
_SWEEP_OCTAVES = 3.0
#: The centroid is compared with time after a running median over this many frames (about
#: 0.1 s), without the half-window at either end: a click where a sweep starts or stops at
#: full level, or the noisy centroid of its lowest octave, is a few frames out of line.
_SWEEP_MEDIAN_FRAMES = 9
#: A sweep is one sound: at least this share of its frames that sound make one run, with no
#: silence of more than :data:`_SWEEP_MAX_GAP_FRAMES` frames (about 0.1 s) within it.  A kick
#: drum followed by a snare (a loop of two beats: a pitch falling fast, then noise) moves its
#: centroid one way over more than three octaves too, in two sounds with silence between
#: them; a sweep's click at its start, before its pitch enters the analysed band, is a few
#: frames apart from the rest.
_SWEEP_ONE_SOUND = 0.9
_SWEEP_MAX_GAP_FRAMES = 9


def _is_sweep(feats) -> bool:
    """Whether the signal is a frequency sweep (a test signal, or a falling or rising effect).

    A sweep's changing pitch crosses the onset bands one after the other, which reads as a
    steady pulse, and its pitch classes as a key; it has neither.
    """
    centroid = np.asarray(feats.centroid_hz, dtype=np.float64)
    rms = np.asarray(feats.rms, dtype=np.float64)
    if not rms.size:
        return False
    # frames within 20 dB of the loud ones: not the filters' settling at the start
    sounding = (centroid > 0) & (rms > max(0.1 * np.percentile(rms, 90), 1e-4))
    if np.count_nonzero(sounding) < 20:
        return False
    at = np.flatnonzero(sounding)
    runs = np.split(at, np.flatnonzero(np.diff(at) > _SWEEP_MAX_GAP_FRAMES + 1) + 1)
    if max(len(r) for r in runs) < _SWEEP_ONE_SOUND * len(at):
        return False
    octaves = np.log2(centroid[sounding])
    low, high = np.percentile(octaves, [5, 95])
    if high - low < _SWEEP_OCTAVES:
        return False
    half = _SWEEP_MEDIAN_FRAMES // 2
    track = scipy.signal.medfilt(octaves, _SWEEP_MEDIAN_FRAMES)[half:-half]
    ranks = np.argsort(np.argsort(track)).astype(np.float64)
    rho = np.corrcoef(np.arange(len(ranks), dtype=np.float64), ranks)[0, 1]
    return bool(abs(rho) >= _SWEEP_RANK_CORRELATION)


#: A steady sound (a test tone, a held chord, hum, steady noise): between its first and last
#: frames within 60 dB of its loud ones, its level (the power over 0.1 s) stays within this
#: many dB and its spectral centroid within this many octaves (5th to 95th percentile).
#: The 276 songs of the four benchmark sets by other people (``python -m
#: benchmarks.midisongs``, ``modules``, ``productions`` and ``recordings``) spread over 2.4
#: dB or more in level and 0.49 octave or more in centroid, none below 3.0 dB and 0.64
#: octave at once; sines, naive squares and sawtooths, clipped sines and hum with its
#: harmonics over 0.16 dB and 0.15 octave at most (a few high naive tones over up to 0.32
#: octave), a held chord over 1.02 dB, a tremolo of a fifth of the amplitude over 1.75 dB.
_STEADY_LEVEL_DB = 1.5
_STEADY_CENTROID_OCTAVES = 0.3
#: A sounding part under a second samples a song too briefly for that level limit: of 1,000
#: cuts of 0.4-1.2 s from 25 songs (MidiTok's 13 pop songs rendered by ``python -m
#: benchmarks.midisongs``, 12 styles of :mod:`benchmarks.independent_synth`), 7 spread under
#: 1.5 dB and 0.3 octave with rises as sharp as their falls (a distorted guitar wall over
#: 0.8 s among them), 2 under 1.0 dB; 784 cuts of the tones above at 0.41-1.2 s (naive,
#: clipped and pure tones, hum, held triads, white noise) spread under 1.0 dB wherever they
#: spread under 1.5.  Such a part is steady within this many dB.
_STEADY_SHORT_LEVEL_DB = 1.0
#: ... and in no onset band that carries at least this share of the strongest band's flux
#: do its sharpest rises (the top 1 % of its frames) outdo its sharpest falls by this ratio.
#: Partials beating against each other rise and fall alike (0.8-1.26 in 64 naive squares,
#: sawtooths, pulse waves and clipped sines from 31 Hz to 8 kHz at 44.1 and 48 kHz, but for
#: one, a square wave of 8 kHz at 48 kHz: 2.3); a kick drum 20 to 40 dB under a held chord
#: or a naive square wave, which moves neither the level nor the centroid, rises faster
#: than it falls (1.4-2.7), and so do hi-hats 20 or 30 dB under a held chord (1.33-1.35).
_STEADY_BAND_SHARE = 0.005
_STEADY_RISE_OVER_FALL = 1.3
_STEADY_TOP = 0.01
#: ... and its pitch classes stay put (:func:`_pitch_moves`): music squeezed by a compressor
#: holds its level and its centroid, and a pad under a soft melody rises and falls alike,
#: yet its notes and chords change.  Over windows of :data:`_PITCH_WINDOW_S`, the pitch
#: classes move when the median window lies :data:`_PITCH_SHARE` or more of its pitch
#: energy (half the L1 distance of the shares) from the part's mean shares, and the tenth
#: percentile of the windows' correlations with those mean shares is at most
#: :data:`_PITCH_CORRELATION`.  The steady sounds above stay under 0.021 (white, pink and
#: brown noise, 0.013-0.021) or correlate 0.996 or more (the tones up to 2 kHz and hum 0.999,
#: held triads 0.996); all 276 synthesizer tunes of three draws of the eleventh edition's
#: drumless plan (seeds 95-97) and 295 of the 345 files of the sets by other people long
#: enough to be read (most of the rest drum loops) pass both limits.  Naive tones of 3 kHz
#: and more hold aliases alone in the pitch range, which can move (8 of 24 at 44.1 and 48
#: kHz, down to -0.04): the pitch classes are read only where the part's median centroid
#: lies in the pitch range (under :data:`_PITCH_CENTROID_HZ`, C7); those tones sit at 4.7
#: kHz and more, 228 of the 276 tunes under it (``python -m benchmarks.steady_pitch``).
#: A part too short for :data:`_PITCH_MIN_WINDOWS` such windows is read in that many
#: windows of an equal share of it (at least :data:`_PITCH_MIN_FRAMES` pitch frames), and
#: the share limit grows as the square root of how much shorter they are, as the flicker of
#: noise does: a 1 s window holds 11 pitch frames, and a window of 5 (a part of 2 s) moves
#: 0.044.  Cut at 0.8-4.5 s, the steady sounds above, white noise low-passed at 0.6-2.5 kHz
#: and pink noise at 1 and 3 kHz stay under those limits or correlate 0.99 or more; white
#: noise under 300 Hz moves at every length, 1 s windows and all, and is never steady (its
#: level wanders); changing chords under a compressor move from a part of 1.4-2 s on, where
#: two chords sound (``python -m benchmarks.steady_pitch --cuts 0.8,1,2,4``).
_PITCH_WINDOW_S = 1.0
_PITCH_SHARE = 0.03
_PITCH_CORRELATION = 0.95
_PITCH_CENTROID_HZ = 2093.0
#: Windows holding less than this share of the median window's pitch energy (a pause) are
#: left out, and a part of fewer than this many windows is not read.
_PITCH_QUIET = 0.1
_PITCH_MIN_WINDOWS = 4
_PITCH_MIN_FRAMES = 2
#: ... and no onset band holds a regular train of hits: at least :data:`_HITS_MIN` clear
#: onsets (:func:`core.analysis.tempo.clear_onsets`) reaching a quarter of the band's
#: strongest (:func:`core.analysis.tempo.strong_onsets`, as an interval guess reads them)
#: and :data:`_HIT_OVER_FLICKER` times its 90th percentile, in at least
#: :data:`_HITS_COVER` of the part's :data:`_HITS_WINDOW_S` windows, with at least
#: :data:`_HITS_ON_GRID` of the intervals between them within 10 % of a multiple (1 to 8) of
#: half their median.  A kick on every beat of a held low sine, square or sawtooth rises and
#: falls alike where it sweeps through the tone's partials, and a hi-hat decays within a
#: frame or two, so neither changes the ratio above, nor the level (0.1-1.5 dB at the
#: tone's peak level); their onsets stand 3 times over the band's flicker all the same.  A
#: tone computed sample by sample from ``t = n / sr`` changes by a sample where the step of
#: ``t`` doubles (near 1, 2, 4, 8 and 16 s), bursts of up to 40 such onsets in 30 s that
#: cover 5 of its 8 windows at most and fall on no grid.
_HITS_MIN = 8
_HIT_OVER_FLICKER = 3.0
#: An onset whose rise follows, within this many frames before it, a fall of the band of at
#: least this share of the rise is a partial coming out of a beat's null, no hit: naive
#: square and sawtooth waves whose aliases beat in trains (a square of 47.6 Hz, 144 such
#: onsets in 30 s on a grid, read at 84.0 BPM) dip and rise (falls of 0.85-1.0 of the rise
#: just before it); the drum patterns above rise from where they were (under 0.3 of it for
#: all but snares and soft kicks on low tones, at most 0.87).
_HIT_FALL_FRAMES = 3
_HIT_AFTER_FALL = 0.7
_HITS_WINDOW_S = 4.0
_HITS_COVER = 0.75
_HITS_ON_GRID = 0.75
#: Frames (0.1 s) over which the level and the centroid are averaged: a low tone's beat
#: against the frame hop is no change of level.
_STEADY_SMOOTH_S = 0.1
#: Frames left out at either end of the sounding part: they hold part of the silence around
#: it, and the click of a sound cut there.
_STEADY_EDGE_FRAMES = 4
#: A steady sound's level (over 0.1 s) rising this many dB over its 95th percentile is a
#: hit on it (:func:`_hits`): the steady tones above and stationary noise peak within 1 dB
#: of it, two kicks in a faint hiss 69 dB over it.
_HIT_DB = 6.0
#: How a closing section played above the rest of the song is named in its note.
_STEPS = {1: "a semitone up", 2: "a tone up"}
#: The note of a tempo guessed from the interval between a few onsets.
_INTERVAL_NOTE = ("too few onsets for a tempo of its own: the tempo is a guess from the "
                  "interval between its onsets")


def _top_mean(x: np.ndarray, share: float) -> np.ndarray:
    """Mean of the largest ``share`` of each row of ``x`` (at least one value)."""
    k = max(1, int(share * x.shape[1]))
    return np.partition(x, x.shape[1] - k, axis=1)[:, -k:].mean(axis=1)


def _sounding_level(feats):
    """``(start, stop, width, level)`` of the sounding part of a signal, which
    :func:`_is_steady` judges: its frames ``start:stop`` (within 60 dB of its loud ones, less
    :data:`_STEADY_EDGE_FRAMES` at either end) and their level in dB over ``width`` frames
    (:data:`_STEADY_SMOOTH_S`; ``level[i]`` of frames ``start + i`` to ``start + i + width``);
    None for silence or a sounding part shorter than two such windows (0.2 s).  A file of
    0.4 s or more has a part that long: a steady tone of a second or less is judged on its
    own frames (with a part of at least a second, tones of 1.0-1.1 s were not judged and
    got a tempo from their flicker)."""
    power = np.square(np.asarray(feats.rms, dtype=np.float64))
    if not power.size or not power.max() > 0:
        return None
    sounding = np.flatnonzero(power > 1e-6 * np.percentile(power, 90))
    start, stop = sounding[0] + _STEADY_EDGE_FRAMES, sounding[-1] + 1 - _STEADY_EDGE_FRAMES
    width = max(1, round(_STEADY_SMOOTH_S * feats.frame_rate))
    if stop - start < 2 * width:
        return None
    mean = np.ones(width) / width
    level = 10.0 * np.log10(np.maximum(np.convolve(power[start:stop], mean, "valid"), 1e-20))
    return start, stop, width, level


def _hits(feats) -> np.ndarray:
    """Onset frames of the hits on a steady sound (:func:`_is_steady`): its clear onsets
    (:func:`core.analysis.tempo.clear_onsets`) where its level rises :data:`_HIT_DB` over
    its 95th percentile.  A steady sound is judged on the bulk of its frames, which two or
    three kicks in a hiss or on a held tone hardly touch; their interval is the only pulse
    there (:func:`core.analysis.tempo.interval_guess`, which reads the hits that reach a
    quarter of the strongest: a held tone's flicker within a kick's decay does not).
    """
    judged = _sounding_level(feats)
    if judged is None:
        return np.zeros(0, dtype=np.int64)
    start, _stop, width, level = judged
    above = (level >= np.percentile(level, 95) + _HIT_DB).astype(np.float64)
    loud = np.zeros(len(feats.rms), dtype=bool)  # frames within a window of a hit's level
    loud[start:start + len(level) + width - 1] = np.convolve(above, np.ones(width)) > 0
    env = np.asarray(feats.onset_bands, dtype=np.float64).sum(axis=0)
    return np.flatnonzero(clear_onsets(env, feats.frame_rate) & loud[:env.size])


def _is_steady(feats) -> bool:
    """Whether the signal is a steady sound without onsets (a test tone, hum, a held chord,
    steady noise).

    Partials that beat slowly against each other (the aliases of a naive square or sawtooth
    wave or of a clipped sine against its harmonics, the harmonics of hum against the frame
    rate, the near-unisons of a held chord) swell and fade in a band or two, which the
    onset envelope reads as a pulse; the sound's level, its spectral centroid and its pitch
    classes stay put, and each band falls as sharply as it rises.  A pulse changes one of
    these: a beat, a note or a chord raises the level, moves the centroid or changes the
    pitch classes (a melody under a compressor that holds the level), and so does a tremolo
    or a pulsed tone; a quiet drum under a steady sound rises in its band faster than it
    falls; and a drum pattern whose hits rise and fall alike there (a kick sweeping through
    the sound's partials, a hi-hat gone within a frame or two) stands in a regular train
    over the band's flicker (:func:`_regular_hits`).
    """
    judged = _sounding_level(feats)
    if judged is None:
        return False
    start, stop, width, level = judged
    mean = np.ones(width) / width
    centroid = np.asarray(feats.centroid_hz, dtype=np.float64)
    low, high = np.percentile(level, [5, 95])
    short = stop - start < round(feats.frame_rate)
    if high - low >= (_STEADY_SHORT_LEVEL_DB if short else _STEADY_LEVEL_DB):
        return False
    octaves = np.convolve(np.log2(np.maximum(centroid[start:stop], 1.0)), mean, "valid")
    low, high = np.percentile(octaves, [5, 95])
    if high - low >= _STEADY_CENTROID_OCTAVES:
        return False
    if _pitch_moves(feats, start, stop):
        return False
    rises = np.asarray(feats.onset_bands, dtype=np.float64)[:, start:stop]
    falls = np.asarray(feats.decay_bands, dtype=np.float64)[:, start:stop]
    total = rises.sum(axis=1)
    counted = total >= _STEADY_BAND_SHARE * total.max()
    ratio = _top_mean(rises, _STEADY_TOP) / np.maximum(_top_mean(falls, _STEADY_TOP), 1e-12)
    if not np.all(ratio[counted] < _STEADY_RISE_OVER_FALL):
        return False
    return not any(_regular_hits(rises[band], feats.frame_rate, falls=falls[band])
                   for band in np.flatnonzero(counted))


def _pitch_moves(feats, start: int, stop: int) -> bool:
    """Whether the pitch classes of onset frames ``start:stop`` change over the part (see
    :data:`_PITCH_SHARE`): notes or chords that neither the level nor the centroid shows."""
    centroid = np.asarray(feats.centroid_hz, dtype=np.float64)[start:stop]
    if not centroid.size or np.median(centroid) >= _PITCH_CENTROID_HZ:
        return False
    motion = pitch_motion(feats, start, stop)
    if motion is None:
        return False
    apart, r, limit = motion
    return bool(np.median(apart) >= limit and np.percentile(r, 10) <= _PITCH_CORRELATION)


def pitch_motion(feats, start: int,
                 stop: int) -> tuple[np.ndarray, np.ndarray, float] | None:
    """How far each window (:data:`_PITCH_WINDOW_S`, or a quarter of a shorter part) of onset
    frames ``start:stop`` lies from the part's mean pitch-class shares (half the L1 distance
    of the shares), how it correlates with them, and the share limit for windows that long;
    None for a part of fewer than :data:`_PITCH_MIN_WINDOWS` windows that sound (pauses left
    out, :data:`_PITCH_QUIET`)."""
    per = feats.frame_rate / feats.pitch_frame_rate  # onset frames per pitch frame
    chroma = np.asarray(feats.chroma, dtype=np.float64)
    chroma = chroma[:, int(np.ceil(start / per)):int(stop // per)]
    full = max(1, round(_PITCH_WINDOW_S * feats.pitch_frame_rate))
    width = min(full, chroma.shape[1] // _PITCH_MIN_WINDOWS)
    if width < min(full, _PITCH_MIN_FRAMES):
        return None
    n = chroma.shape[1] // width
    windows = chroma[:, :n * width].reshape(12, n, width).sum(axis=2)
    energy = windows.sum(axis=0)
    windows = windows[:, energy >= _PITCH_QUIET * np.median(energy)]
    if windows.shape[1] < _PITCH_MIN_WINDOWS or not np.all(windows.sum(axis=0) > 0):
        return None
    shares = windows / windows.sum(axis=0)
    mean = shares.mean(axis=1, keepdims=True)
    apart = 0.5 * np.abs(shares - mean).sum(axis=0)
    a, b = shares - shares.mean(axis=0), mean - mean.mean()
    spread = np.sqrt(np.square(a).sum(axis=0) * np.square(b).sum())
    r = np.where(spread > 0, (a * b).sum(axis=0) / np.maximum(spread, 1e-300), 1.0)
    return apart, r, _PITCH_SHARE * float(np.sqrt(full / width))


def _regular_hits(rises: np.ndarray, frame_rate: float,
                  falls: np.ndarray | None = None) -> bool:
    """Whether one onset band of a sound holds a regular train of hits standing over its
    flicker (see :data:`_HITS_MIN`): a drum pattern under a held tone.  With the band's
    ``falls``, an onset that rises out of a fall just before it is no hit
    (:data:`_HIT_AFTER_FALL`)."""
    at = np.flatnonzero(clear_onsets(rises, frame_rate))
    if at.size < _HITS_MIN:
        return False
    at = strong_onsets(rises, at)
    at = at[rises[at] >= _HIT_OVER_FLICKER * float(np.percentile(rises, 90))]
    if falls is not None:
        before = np.zeros(falls.size)  # the band's largest fall in the frames before each
        for k in range(1, _HIT_FALL_FRAMES + 1):
            before[k:] = np.maximum(before[k:], falls[:-k])
        at = at[before[at] < _HIT_AFTER_FALL * rises[at]]
    if at.size < _HITS_MIN:
        return False
    window = _HITS_WINDOW_S * frame_rate
    windows = max(1, int(np.ceil(rises.size / window)))
    if np.unique((at // window).astype(int)).size < _HITS_COVER * windows:
        return False
    gaps = np.diff(at).astype(np.float64)
    half = 0.5 * float(np.median(gaps))
    steps = np.clip(np.round(gaps / half), 1, 8)
    on_grid = np.abs(gaps - steps * half) <= 0.1 * steps * half
    return bool(np.mean(on_grid) >= _HITS_ON_GRID)


def _repeated(mono: np.ndarray, rate: int):
    """The features of a short file's analysis signal played :data:`LOOP_REPEATS` times in a
    row, as a loop is (see :func:`read_as_loop`)."""
    repeated = FeatureStream(rate)
    repeated.process(np.tile(mono, LOOP_REPEATS))
    repeated.mark_chunk()
    return repeated.finish()


def _too_short(seconds: float, frames: int | None) -> str:
    """Why a file shorter than :data:`MIN_DURATION_S` is not analyzed; a length that rounds
    to 0.00 s is given in samples."""
    length = (f"{seconds:.2f} s" if seconds >= 0.005 or not frames else
              f"{frames} sample{'s' if frames != 1 else ''} ({1000 * seconds:.2f} ms)")
    return f"too short to analyze: {length} (at least {MIN_DURATION_S:g} s needed)"


def analyze_file(path, *, settings: AnalysisSettings | None = None, progress=None,
                 should_cancel=None) -> SongResult:
    """Analyze one audio file in the calling thread.

    Parameters
    ----------
    path : str or os.PathLike
        The audio file.
    settings : AnalysisSettings, optional
        Analysis sample rate and chunk length.
    progress : callable, optional
        Called as ``progress(chunk_done, n_chunks, duration_s)`` after each chunk
        (``n_chunks`` is an estimate when the container does not state its length).
    should_cancel : callable, optional
        Polled between chunks; when it returns true, :class:`core.errors.AnalysisCancelled`
        is raised.

    Returns
    -------
    SongResult
        ``status`` is ``"done"``.  A silent file is done with tempo and key left empty and
        the reason in ``error``.

    Raises
    ------
    core.errors.AudioFileError
        Unreadable, unsupported, empty, too short or corrupt file.
    core.errors.AnalysisCancelled
        When ``should_cancel`` returned true.
    """
    settings = settings or AnalysisSettings()
    path = os.fspath(path)
    t0 = time.perf_counter()
    info = decode.probe(path)
    if info.duration_s is not None and info.duration_s < MIN_DURATION_S:
        if info.frames == 0:
            raise EmptyFileError(path, "the file holds no audio")
        raise TooShortError(path, _too_short(info.duration_s, info.frames))
    duration_est = info.duration_s
    n_chunks = max(1, math.ceil((duration_est or settings.chunk_seconds) / settings.chunk_seconds))
    if progress is not None:  # the length is known now: budgets and chunk counts can use it
        progress(0, n_chunks, duration_est)
    title, artist = read_title_artist(path)

    meter = LoudnessMeter(info.sample_rate, info.channels)
    feats = FeatureStream(settings.sample_rate)
    resampler = None
    if info.sample_rate != settings.sample_rate:
        resampler = soxr.ResampleStream(info.sample_rate, settings.sample_rate, 1,
                                        dtype="float32", quality="HQ")
    dc_block = _DcBlocker(settings.sample_rate)
    # A long chunk (the setting allows up to 600 s) is decoded in sub-blocks of at most
    # _SUB_BLOCK_S and _SUB_BLOCK_SAMPLES, so memory stays bounded whatever the chunk
    # length, rate and channel count.  Progress, chunk values and the chunk marks follow the
    # chunk length of the settings.
    chunk_frames = max(1, round(settings.chunk_seconds * info.sample_rate))
    longest = max(1, min(round(_SUB_BLOCK_S * info.sample_rate),
                         _SUB_BLOCK_SAMPLES // max(1, info.channels)))  # frames
    per_chunk = max(1, math.ceil(chunk_frames / longest))
    sub_frames = math.ceil(chunk_frames / per_chunk)
    chunk_bounds: list[tuple[float, float, float | None]] = []
    frames_done = chunk_start = 0
    subs = invalid = opposed = 0
    short: list[np.ndarray] | None = []  # the analysis signal while the file may be a loop
    short_len = 0

    def close_chunk():
        nonlocal chunk_start, subs
        feats.mark_chunk()
        chunk_bounds.append((chunk_start / info.sample_rate, frames_done / info.sample_rate,
                             meter.chunk_loudness_lufs()))
        chunk_start, subs = frames_done, 0
        if progress is not None:
            progress(len(chunk_bounds), max(n_chunks, len(chunk_bounds)), duration_est)

    for block in decode.stream(path, block_seconds=sub_frames / info.sample_rate, info=info):
        if should_cancel is not None and should_cancel():
            raise AnalysisCancelled(path)
        if block.size == 0:
            continue
        # Float files can hold NaN, infinity or absurd values (NaN fails both comparisons).
        if not (block.max() <= MAX_SAMPLE and block.min() >= -MAX_SAMPLE):
            bad = ~(np.abs(block) <= MAX_SAMPLE)
            invalid += int(bad.sum())
            block = np.where(bad, np.float32(0.0), block)
        meter.process(block)
        signs = _opposed_channels(block)
        if signs is not None:
            opposed += block.shape[0]
        mono = _downmix(block, signs)
        if resampler is not None:
            mono = resampler.resample_chunk(np.ascontiguousarray(mono), last=False)
        mono = dc_block(mono)
        feats.process(mono)
        if short is not None:
            short_len += len(mono)
            if short_len <= LOOP_MAX_S * settings.sample_rate:
                short.append(mono)
            else:
                short = None
        frames_done += block.shape[0]
        subs += 1
        if subs == per_chunk:
            close_chunk()
    if subs:
        close_chunk()
    if should_cancel is not None and should_cancel():
        raise AnalysisCancelled(path)
    if resampler is not None:
        tail = dc_block(resampler.resample_chunk(np.zeros(0, dtype=np.float32), last=True))
        feats.process(tail)
        if short is not None:
            short.append(tail)
    feats.finish()

    duration_s = frames_done / info.sample_rate
    if frames_done == 0:
        raise EmptyFileError(path, "the file holds no audio")
    if duration_s < MIN_DURATION_S:
        raise TooShortError(path, _too_short(duration_s, frames_done))
    if progress is not None and n_chunks > len(chunk_bounds):  # the length was overestimated
        progress(len(chunk_bounds), len(chunk_bounds), duration_s)

    lufs = meter.integrated_lufs()
    peak = meter.peak_dbfs()
    notes: list[str] = []  # what the song's note says, in this order
    loop = None
    guessed = False  # a tempo guessed from the file played repeated (core.analysis.loops)
    by_interval = None  # ... or from the interval between a few onsets
    if peak is None:
        notes.append("digital silence: no tempo, key or loudness")
        tempo = key = None
    elif _is_sweep(feats):
        notes.append("a frequency sweep (a test signal): no tempo or key")
        tempo = key = None
    else:
        steady, repeated = _is_steady(feats), None
        if not steady and short is not None and duration_s <= LOOP_MAX_S:
            repeated = _repeated(np.concatenate(short), settings.sample_rate)
        if steady:
            hits = _hits(feats)
            by_interval = interval_guess(feats, onsets=hits, floor_bpm=settings.tempo_floor_bpm)
            tempo, guessed = by_interval, by_interval is not None
            if by_interval is not None:
                notes.append(_INTERVAL_NOTE)
            elif hits.size:  # one hit on it
                notes.append("too few onsets for a tempo")
            else:
                notes.append("a steady sound without onsets (a test tone, hum or noise): "
                             "no tempo")
        else:
            floor = settings.tempo_floor_bpm
            tempo = estimate_tempo(feats, floor_bpm=floor)
            own = tempo.bpm
            if repeated is not None:
                tempo, loop = read_as_loop(feats, tempo, repeated, duration_s, floor_bpm=floor)
            guessed = (tempo.bpm is not None and loop is None
                       and (own is None or duration_s < MIN_TEMPO_S))
            if tempo.bpm is None and repeated is None:  # a loop's guess is its own
                by_interval = interval_guess(feats, floor_bpm=floor)
                if by_interval is not None:
                    tempo, guessed = by_interval, True
            if tempo.bpm is None and duration_s < MIN_TEMPO_S:
                notes.append(f"under {MIN_TEMPO_S:g} s with fewer than two onsets: no tempo")
            elif guessed and duration_s < MIN_TEMPO_S:
                notes.append(f"under {MIN_TEMPO_S:g} s and no loop on a sixteenth grid: the "
                             "tempo is a guess from it played repeated")
            elif by_interval is not None:
                notes.append(_INTERVAL_NOTE)
            elif guessed:
                notes.append("too few onsets for a tempo of its own: the tempo is a guess from "
                             "it played repeated")
            elif tempo.bpm is None:
                notes.append("too few onsets for a tempo")
        key = estimate_key(feats) if duration_s >= KEY_MIN_S else None
        if key is None:
            notes.append(f"under {KEY_MIN_S:g} s: no key")
    if key is not None and key.key is None:
        notes.append(f"no key: {key.reason}")
    elif key is not None and key.close is not None:
        shift, start = key.close
        close = Key((key.key.tonic + shift) % 12, key.key.mode)
        notes.append(f"its last {duration_s - start:.0f} s are played {_STEPS[shift]}, in "
                     f"{close.name}: the key is that of the rest")

    if loop is not None:
        notes.append(f"tempo read as a loop of {loop:g} beat{'' if loop == 1 else 's'}")
    if opposed:
        notes.append(f"its channels cancel in a mono sum (one is in opposite polarity) over "
                     f"{opposed / info.sample_rate:.0f} s of its {duration_s:.0f} s: read "
                     "there with that channel turned over")
    if info.notice:
        notes.append(info.notice)
    if invalid:
        notes.append(f"{invalid} invalid samples (NaN, infinite or beyond +120 dBFS) were "
                     "read as silence")
    chunk_results, chunk_tempi = _chunk_results(feats, chunk_bounds, tempo=tempo, key=key,
                                                loop=loop is not None or guessed,
                                                floor_bpm=settings.tempo_floor_bpm)
    modulating = _modulating(chunk_results, key.key.name) if key is not None and key.key else None
    varies = None
    if tempo is not None and tempo.bpm is not None:
        spread = _tempo_spread(chunk_results, chunk_tempi, tempo.bpm)
        varies = spread is not None
        if spread is not None:
            notes.append(f"tempo varies: {spread[0]:.0f}-{spread[1]:.0f} BPM across its "
                         "chunks")
    desc = compute_descriptors(
        rms=feats.rms, centroid_hz=feats.centroid_hz, flatness=feats.flatness,
        onset_envelope=feats.onset_envelope, frame_rate=feats.frame_rate,
        tempo_bpm=(tempo.found_bpm or tempo.bpm) if tempo else None,
        tempo_confidence=tempo.confidence if tempo else 0.0,
        key_mode=key.key.mode if key and key.key else None,
        key_confidence=key.confidence if key else 0.0,
        loudness_lufs=lufs, peak_dbfs=peak,
    )
    bpm = tempo.bpm if tempo else None
    return SongResult(
        path=path, title=title, artist=artist, status="done", note="; ".join(notes),
        duration_s=round(duration_s, 3), sample_rate=info.file_rate or info.sample_rate,
        channels=info.channels,
        bpm=_round(bpm, 2),
        bpm_confidence=_round(tempo.confidence, 3) if bpm is not None else None,
        bpm_alternatives=";".join(f"{b:.2f}" for b in tempo.alternatives) if bpm else "",
        bpm_weak_pulse=bool(tempo.weak) if bpm is not None else None,
        bpm_varies=varies,
        key=key.key.name if key and key.key else None,
        key_camelot=key.key.camelot if key and key.key else None,
        key_confidence=_round(key.confidence, 3) if key and key.key else None,
        key_modulating=modulating,
        loudness_lufs=_round(lufs, 2), loudness_range_lu=_round(meter.loudness_range_lu(), 2),
        peak_dbfs=_round(peak, 2),
        energy=desc.energy, danceability=desc.danceability, valence=desc.valence,
        acousticness=desc.acousticness, dynamic_range_db=desc.dynamic_range_db,
        brightness_hz=desc.brightness_hz, silence_ratio=desc.silence_ratio,
        # two or three onsets show no metre
        time_signature=(estimate_time_signature(feats, tempo)
                        if bpm and by_interval is None else None),
        chunks=len(chunk_bounds), analysis_s=round(time.perf_counter() - t0, 3),
        format=f"{info.format}/{info.codec}" if info.codec else info.format,
        analyzer=analyzer_id(),
        chunk_results=chunk_results,
    )


def _downmix(block: np.ndarray, signs: np.ndarray | None = None) -> np.ndarray:
    """Mean of the channels of a (frames, channels) float32 block, each channel multiplied by
    its entry of ``signs`` (+1 or -1) when given (:func:`_opposed_channels`).

    Column by column: numpy's mean over a short last axis is many times slower, and for
    stereo the result is the same to the bit.
    """
    if block.shape[1] == 1:
        return block[:, 0]
    if signs is not None:
        block = block * signs.astype(np.float32)
    out = block[:, 0] + block[:, 1]
    for c in range(2, block.shape[1]):
        out += block[:, c]
    out /= np.float32(block.shape[1])
    return out


#: The channel mean of a block cancels when it keeps less than this share of the power that
#: channels unrelated to each other would leave in it (their mean power over the channel
#: count): for two channels, a correlation below -0.5, which a mix shows only when one of
#: its channels is in opposite polarity (a correlation meter's "phase problem").
_CANCELLED_SHARE = 0.5
#: Every how many frames the cancellation check looks (its power ratios need no more: 2,756
#: a second at 44.1 kHz; the check then costs a tenth of the mean itself).
_CANCEL_STRIDE = 16


def _opposed_channels(block: np.ndarray) -> np.ndarray | None:
    """Signs (+1, -1) that turn the channels opposed to the block's loudest back to its
    polarity, when the plain channel mean of ``block`` cancels (a channel wired or copied
    in opposite polarity: the mean of such a stereo pair is silence, or the rounding noise
    of its samples, and onsets and pitch would be read from that); None when it does not."""
    channels = block.shape[1]
    if channels == 1:
        return None
    sample = block[::_CANCEL_STRIDE]
    gram = (sample.T @ sample).astype(np.float64)  # every channel's product with every other
    power = np.diag(gram)
    total = power.sum()
    # The plain mean's power and that of channels unrelated to each other, both times the
    # channel count squared: the sum of all products against the sum of the powers.
    if not total > 0 or gram.sum() >= _CANCELLED_SHARE * total:
        return None
    return np.where(gram[int(np.argmax(power))] >= 0, 1.0, -1.0)


class _DcBlocker:
    """Streaming high-pass at 10 Hz: a DC offset must not look like sound to the features."""

    def __init__(self, sample_rate: int):
        self.sos = scipy.signal.butter(2, 10.0, btype="highpass", fs=sample_rate,
                                       output="sos").astype(np.float32)
        self.zi = None

    def __call__(self, y: np.ndarray) -> np.ndarray:
        if y.size == 0:
            return y
        if self.zi is None:  # start settled on the first sample, not with a step from zero
            self.zi = (scipy.signal.sosfilt_zi(self.sos) * y[0]).astype(np.float32)
        out, self.zi = scipy.signal.sosfilt(self.sos, y, zi=self.zi)
        return out.astype(np.float32, copy=False)


def _chunk_results(feats, bounds, *, tempo, key, loop: bool = False,
                   floor_bpm: float = 0.0) -> tuple[list[ChunkResult], list]:
    """Per-chunk tempo and key, each chunk leaning on the song's own estimate, and the
    chunks' tempo estimates.  A loop's chunks all take its tempo: a part of a loop is read
    no better than its single pass."""
    if loop:
        tempi = [tempo] * len(bounds)
    elif tempo is not None:
        tempi = chunk_tempos(feats, song=tempo, floor_bpm=floor_bpm)
    else:
        tempi = []
    keys = chunk_keys(feats, song=key) if key is not None else []
    out = []
    for i, (start, end, lufs) in enumerate(bounds):
        t = tempi[i] if i < len(tempi) and tempi[i].bpm is not None else None
        k = keys[i] if i < len(keys) and keys[i].key is not None else None
        out.append(ChunkResult(index=i, start_s=round(start, 3), end_s=round(end, 3),
                               bpm=_round(t.bpm, 2) if t else None,
                               key=k.key.name if k else None,
                               loudness_lufs=_round(lufs, 2),
                               bpm_confidence=_round(t.confidence, 3) if t else None,
                               key_confidence=_round(k.confidence, 3) if k else None))
    return out, tempi


def _tempo_spread(chunks: list[ChunkResult], tempi: list, song_bpm: float):
    """``(lowest, highest)`` tempo of the chunks, stated in the song's octave, when the song's
    tempo varies, else None.

    It varies when at least :data:`_VARIES_MIN_CHUNKS` chunks of
    :data:`_VARIES_MIN_CHUNK_S` or more, each with a clear pulse, are more than 4 % off the
    song's tempo once moved by octaves next to it (a section read at double or half speed
    keeps the tempo a DJ sets).  A song that drifts by a few per cent in all stays steady:
    its one tempo is within 4 % of every part.
    """
    folded = []
    for c, t in zip(chunks, tempi, strict=False):
        if c.bpm is None or c.bpm <= 0 or t is None or t.weak \
                or c.end_s - c.start_s < _VARIES_MIN_CHUNK_S:
            continue
        folded.append(math.log(octave_near(c.bpm, song_bpm) / song_bpm))
    off = [r for r in folded if abs(r) > _OFF_TEMPO]
    if len(off) < _VARIES_MIN_CHUNKS:
        return None
    return song_bpm * math.exp(min(folded)), song_bpm * math.exp(max(folded))


def _modulating(chunks: list[ChunkResult], song_key: str) -> bool:
    """True when two or more consecutive chunks agree on a key other than the song's.

    A single chunk that strays is the usual ambiguity of a short excerpt (a passage on the
    IV or V chord), not a modulation.
    """
    run_key, run = None, 0
    for c in chunks:
        if c.key is not None and c.key == run_key:
            run += 1
        else:
            run_key, run = c.key, 1
        if run_key is not None and run_key != song_key and run >= 2:
            return True
    return False
