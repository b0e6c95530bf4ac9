"""A second, independent song renderer for checking how the analyzer generalizes.

It shares no code with :mod:`benchmarks.synth` and uses other instrument models, grooves and
harmony, so that a result tuned on one generator can be checked on another:

* instruments: Karplus-Strong plucked guitar and bass (a feedback delay line with a
  fractional delay, run by :func:`scipy.signal.lfilter`), FM electric piano and FM bells,
  an additive drawbar organ and additive bowed strings with vibrato, an additive piano with
  slightly stretched partials, a tuned 808-style sub bass, and noise-based drums (kick,
  snare, clap, rim click, closed/open hats, ride);
* grooves: shuffle, bossa nova, 6/8, breakbeat, drum-and-bass (165-188 BPM), trap
  (half-time snare with 16th/triplet hat rolls), pop, rock, jazz waltz (3/4), and two
  drumless textures: a piano piece with Alberti bass and rubato, and a string quartet;
* harmony: seventh and ninth chords, progressions that start on ii, IV, vi or V, borrowed
  chords (bVI, bVII, iv), secondary dominants and a passage in the dominant or relative key;
  every song ends on its tonic chord;
* production: random tuning (-25 to +25 cents from A = 440 Hz), instrument levels and pans,
  stereo convolution reverb (decaying noise), 44.1 or 48 kHz.

Ground truth
------------
``tempo`` is the beat a listener taps: the quarter note in 4/4 and 3/4 (in ``trap`` the
written quarter, although the snare on beat 3 makes half of it a plausible tap; in ``dnb``
the quarter at 165-188 BPM, as such tracks are labelled), and the DOTTED quarter in 6/8
(two beats per bar), as is usual for compound metre.  Rubato pieces have the mean beat rate.
``key`` is the home key; a passage in another key never lasts more than a third of the song.
``beats_per_bar`` is 4, 3 or 2 (6/8).
Every function is deterministic for a given seed.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import scipy.signal

from core.io.keynotation import Key

__all__ = ["STYLES", "JAZZ_STYLES", "Song", "render", "render_jazz"]

#: style -> (tempo range in BPM, beats per bar, subdivisions of the beat on the groove grid)
STYLES: dict[str, tuple[tuple[float, float], int, int]] = {
    "shuffle": ((85.0, 120.0), 4, 3),
    "bossa": ((110.0, 150.0), 4, 2),
    "sixeight": ((60.0, 100.0), 2, 3),
    "breakbeat": ((120.0, 145.0), 4, 4),
    "dnb": ((165.0, 188.0), 4, 4),
    "trap": ((130.0, 160.0), 4, 4),
    "pop": ((90.0, 130.0), 4, 2),
    "rock": ((100.0, 170.0), 4, 2),
    "piano": ((60.0, 130.0), 4, 4),
    "quartet": ((60.0, 120.0), 4, 2),
    "organ": ((60.0, 95.0), 4, 2),
    "jazzwaltz": ((100.0, 180.0), 3, 3),
}

_MAJOR = (0, 2, 4, 5, 7, 9, 11)
_MINOR = (0, 2, 3, 5, 7, 8, 10)

# Progressions per style and mode: chords as (degree 1-7 or borrowed name, size 3/4/5).
_PROG = {
    "shuffle": {"major": [(2, 4), (5, 4), (1, 4), (1, 4)], "minor": [(4, 4), (5, 4), (1, 4), (1, 4)]},
    "bossa": {"major": [(2, 5), (5, 5), (1, 5), (6, 4)], "minor": [(4, 4), (5, 5), (1, 4), (1, 5)]},
    "sixeight": {"major": [(5, 3), (1, 3), (4, 3), (5, 4)], "minor": [(5, 4), (1, 3), (4, 3), (1, 3)]},
    "breakbeat": {"major": [(1, 3), ("bVII", 3), (4, 3), (1, 3)],
                  "minor": [(1, 4), (7, 3), (6, 4), (7, 3)]},
    "dnb": {"major": [(6, 4), (4, 5), (1, 5), (5, 3)], "minor": [(6, 4), (3, 4), (7, 3), (1, 4)]},
    "trap": {"major": [(4, 3), (1, 3), (5, 3), (6, 3)], "minor": [(6, 3), (4, 3), (5, 3), (1, 3)]},
    "pop": {"major": [(6, 3), (4, 3), (1, 3), (5, 3)], "minor": [(6, 3), (7, 3), (1, 3), (1, 3)]},
    "rock": {"major": [(1, 3), ("bVI", 3), ("bVII", 3), (1, 3)],
             "minor": [(1, 3), (4, 3), (7, 3), (3, 3)]},
    "piano": {"major": [(1, 3), (4, 3), ("V/V", 4), (5, 4)], "minor": [(1, 3), (4, 3), (5, 4), (1, 3)]},
    "quartet": {"major": [(1, 3), (5, 3), (6, 3), (3, 3), (4, 3), (1, 3), ("iv", 3), (5, 4)],
                "minor": [(1, 3), (7, 3), (6, 3), (5, 4), (4, 3), (1, 3), (2, 3), (5, 4)]},
    "organ": {"major": [(4, 4), (1, 3), (5, 3), (6, 4)], "minor": [(6, 4), (7, 3), (1, 3), (1, 4)]},
    "jazzwaltz": {"major": [(2, 4), (5, 4), (1, 4), (6, 4)], "minor": [(2, 4), (5, 4), (1, 4), (1, 4)]},
}
_BORROWED = {  # root in semitones above the tonic, chord intervals
    "bVII": (10, (0, 4, 7)), "bVI": (8, (0, 4, 7)), "iv": (5, (0, 3, 7)),
    "V/V": (2, (0, 4, 7, 10)),
}


@dataclass
class Song:
    """A rendered song and its truth.

    Attributes
    ----------
    audio : ndarray, shape (n, 2)
        Stereo float32 signal, peak below 1.
    sr : int
        Sample rate (Hz).
    bpm : float
        True beat tempo (BPM), see the module notes.
    key : core.io.keynotation.Key
        True home key.
    style : str
    beats_per_bar : int
    tuning_cents : float
        Offset of the tuning from A = 440 Hz (cents).
    notes : dict
        Free-form facts about the arrangement (first chord, modulation...).
    """

    audio: np.ndarray
    sr: int
    bpm: float
    key: Key
    style: str
    beats_per_bar: int
    tuning_cents: float
    notes: dict = field(default_factory=dict)


# -- harmony -------------------------------------------------------------------------------
def _chord(key: Key, chord, *, minor_dominant: bool = True) -> tuple[int, list[int]]:
    """(root pitch class, chord pitch classes) of a progression entry in ``key``."""
    deg, size = chord
    if isinstance(deg, str):
        root, iv = _BORROWED[deg]
        return (key.tonic + root) % 12, [(key.tonic + root + i) % 12 for i in iv]
    scale = list(_MAJOR if key.mode == "major" else _MINOR)
    if key.mode == "minor" and minor_dominant and deg in (5, 7):
        scale[6] = 11  # harmonic minor: leading tone in V and vii
    d = deg - 1
    pcs = [(key.tonic + scale[(d + 2 * j) % 7]) % 12 for j in range(size)]
    return pcs[0], pcs


def _scale_pcs(key: Key) -> list[int]:
    return [(key.tonic + s) % 12 for s in (_MAJOR if key.mode == "major" else _MINOR)]


def _midi_near(pc: int, centre: float) -> int:
    """The MIDI note of pitch class ``pc`` closest to ``centre``."""
    base = int(round(centre)) - 6
    return base + (pc - base) % 12


# -- instruments (each returns a mono note, float64) ----------------------------------------
def _hz(midi, tuning):
    return 440.0 * 2.0 ** ((np.asarray(midi, dtype=float) - 69.0 + tuning / 100.0) / 12.0)


def _release(y, sr, dur, rel=0.05):
    n_on = int(dur * sr)
    env = np.ones(len(y))
    r = max(1, int(rel * sr))
    if n_on < len(y):
        tail = np.clip(1.0 - (np.arange(len(y) - n_on) / r), 0.0, 1.0)
        env[n_on:] = tail
    return y * env


def _pluck(f, dur, sr, rng, *, t60=1.5, bright=0.6):
    """Karplus-Strong string: noise burst into a damped feedback delay of one period."""
    period = sr / f
    n_del = int(period)
    frac = period - n_del  # delay of the two-tap interpolation: n_del + frac samples
    g = 10.0 ** (-3.0 / (t60 * f))
    n = int((dur + 0.08) * sr)
    x = rng.uniform(-1, 1, n_del + 1)
    b, a = scipy.signal.butter(1, min(0.95, 0.1 + bright * 0.8))
    x = scipy.signal.lfilter(b, a, x)
    x = np.concatenate([x - x.mean(), np.zeros(n - len(x))]) if n > len(x) else x[:n]
    den = np.zeros(n_del + 2)
    den[0] = 1.0
    den[n_del] = -g * (1.0 - frac)
    den[n_del + 1] = -g * frac
    y = scipy.signal.lfilter([1.0], den, x)
    y /= max(np.max(np.abs(y)), 1e-9)
    return _release(y, sr, dur, 0.06)


def _fm_epiano(f, dur, sr, rng, **_):
    n = int((dur + 0.3) * sr)
    t = np.arange(n) / sr
    index = 2.2 * np.exp(-t / 0.25) + 0.25
    y = np.sin(2 * np.pi * f * t + index * np.sin(2 * np.pi * f * t))
    if 14 * f < sr / 2.5:
        y += 0.15 * np.exp(-t / 0.04) * np.sin(2 * np.pi * 14 * f * t)
    y *= np.exp(-t / 1.6) * np.minimum(1.0, t / 0.003)
    return _release(y, sr, dur, 0.25)


def _fm_bell(f, dur, sr, rng, **_):
    n = int((dur + 1.5) * sr)
    t = np.arange(n) / sr
    index = 1.8 * np.exp(-t / 0.6)
    y = np.sin(2 * np.pi * f * t + index * np.sin(2 * np.pi * 3.5 * f * t))
    return y * np.exp(-t / 1.2) * np.minimum(1.0, t / 0.002)


def _vibrato_phase(f, n, sr, rng, rate, depth):
    t = np.arange(n) / sr
    ph = rng.uniform(0, 2 * np.pi)
    inst = f * (1.0 + depth * np.sin(2 * np.pi * rate * t + ph) * np.minimum(1.0, t / 0.4))
    return 2 * np.pi * np.cumsum(inst) / sr


def _organ(f, dur, sr, rng, **_):
    n = int((dur + 0.06) * sr)
    ph = _vibrato_phase(f, n, sr, rng, 6.4, 0.003)
    y = np.zeros(n)
    for h, a in ((1, 1.0), (2, 0.8), (3, 0.45), (4, 0.4), (6, 0.2), (8, 0.18)):
        if h * f < sr / 2.2:
            y += a * np.sin(h * ph)
    t = np.arange(n) / sr
    return _release(y * np.minimum(1.0, t / 0.01), sr, dur, 0.05)


def _strings(f, dur, sr, rng, **_):
    n = int((dur + 0.25) * sr)
    y = np.zeros(n)
    for det in (-0.004, 0.0, 0.0035):
        ph = _vibrato_phase(f * (1 + det), n, sr, rng, rng.uniform(5.0, 6.2), 0.005)
        for h in range(1, 13):
            if h * f < sr / 2.2:
                y += np.sin(h * ph + rng.uniform(0, 6.28)) / h
    t = np.arange(n) / sr
    return _release(y * np.minimum(1.0, t / 0.12), sr, dur, 0.2)


def _piano(f, dur, sr, rng, **_):
    n = int((dur + 0.4) * sr)
    t = np.arange(n) / sr
    y = np.zeros(n)
    for k in range(1, 11):
        fk = f * k * np.sqrt(1.0 + 2e-4 * k * k)
        if fk >= sr / 2.2:
            break
        tau = 2.5 * np.sqrt(261.6 / f) / k**0.6
        y += np.exp(-t / tau) * np.sin(2 * np.pi * fk * t) / k**1.3
    return _release(y * np.minimum(1.0, t / 0.002), sr, dur, 0.12)


def _sub808(f, dur, sr, rng, **_):
    n = int((dur + 0.05) * sr)
    t = np.arange(n) / sr
    inst = f * (1.0 + 0.5 * np.exp(-t / 0.03))
    y = np.tanh(1.8 * np.sin(2 * np.pi * np.cumsum(inst) / sr)) * np.exp(-t / 0.9)
    return _release(y, sr, dur, 0.04)


_INSTRUMENTS = {
    "pluck": _pluck, "epiano": _fm_epiano, "bell": _fm_bell, "organ": _organ,
    "strings": _strings, "piano": _piano, "sub": _sub808,
}


# -- drums ---------------------------------------------------------------------------------
def _drum_kit(sr, rng, style):
    def env(n, tau):
        return np.exp(-np.arange(n) / (tau * sr))

    def band(x, lo, hi):
        b, a = scipy.signal.butter(2, [lo / (sr / 2), min(hi / (sr / 2), 0.99)], "band")
        return scipy.signal.lfilter(b, a, x)

    def hp(x, lo):
        b, a = scipy.signal.butter(2, lo / (sr / 2), "high")
        return scipy.signal.lfilter(b, a, x)

    n = int(0.5 * sr)
    t = np.arange(n) / sr
    f0 = {"trap": 55.0, "dnb": 60.0}.get(style, rng.uniform(48, 62))
    sweep = f0 + 110.0 * np.exp(-t / 0.03)
    kick = np.sin(2 * np.pi * np.cumsum(sweep) / sr) * env(n, 0.18 if style != "trap" else 0.4)
    kick += 0.3 * band(rng.standard_normal(n), 1000, 6000) * env(n, 0.004)
    snare = 0.9 * band(rng.standard_normal(n), 1200, 7000) * env(n, 0.09)
    snare += 0.5 * np.sin(2 * np.pi * rng.uniform(170, 220) * t) * env(n, 0.05)
    clap = np.zeros(n)
    for k, d in enumerate((0.0, 0.011, 0.023)):
        i = int(d * sr)
        clap[i:] += band(rng.standard_normal(n - i), 900, 3500) * env(n - i, 0.012 if k < 2 else 0.1)
    rim = 0.8 * np.sin(2 * np.pi * 1750 * t) * env(n, 0.012) + 0.3 * hp(
        rng.standard_normal(n), 3000) * env(n, 0.004)
    hat = hp(rng.standard_normal(n), 7000) * env(n, 0.035)
    ohat = hp(rng.standard_normal(n), 6000) * env(n, 0.22)
    ride = 0.5 * hp(rng.standard_normal(n), 5000) * env(n, 0.35)
    for fr in (3120.0, 4310.0, 5205.0):
        ride += 0.08 * np.sin(2 * np.pi * fr * t) * env(n, 0.4)
    kit = {"kick": kick, "snare": snare, "clap": clap, "rim": rim, "hat": hat, "ohat": ohat,
           "ride": ride}
    return {k: v / np.max(np.abs(v)) for k, v in kit.items()}


def _drum_pattern(style, bar, rng):
    """Drum hits of one bar: list of (beat position, instrument, velocity)."""
    hits = []
    if style == "shuffle":  # triplet swing, backbeat
        for b in range(4):
            hits += [(b, "ride", 0.5), (b + 2 / 3, "ride", 0.35)]
        hits += [(0, "kick", 1), (2, "kick", 0.9), (2 + 2 / 3, "kick", 0.5),
                 (1, "snare", 0.9), (3, "snare", 0.9)]
    elif style == "bossa":  # rim pattern of the 3-2 clave kind, kick on 1 and 3 dotted
        for b in (0, 1.5, 3, 5, 6):
            hits.append((b / 2, "rim", 0.6))
        for b in range(8):
            hits.append((b / 2, "hat", 0.35 if b % 2 else 0.45))
        hits += [(0, "kick", 0.8), (1.5, "kick", 0.5), (2, "kick", 0.8), (3.5, "kick", 0.5)]
    elif style == "sixeight":  # two dotted-quarter beats, six eighths
        for e in range(6):
            hits.append((e / 3, "hat", 0.5 if e % 3 == 0 else 0.3))
        hits += [(0, "kick", 1.0), (1, "snare", 0.9), (5 / 3, "kick", 0.4)]
    elif style == "breakbeat":  # syncopated break
        for s in range(8):
            hits.append((s / 2, "hat", 0.45 if s % 2 == 0 else 0.3))
        hits += [(0, "kick", 1), (0.5, "kick", 0.7), (1, "snare", 0.9), (1.75, "snare", 0.4),
                 (2.5, "kick", 0.9), (3, "snare", 0.9), (3.75, "kick", 0.5)]
    elif style == "dnb":  # two-step: kick 1 and the and of 3, snare 2 and 4
        for s in range(8):
            hits.append((s / 2, "hat", 0.4 if s % 2 == 0 else 0.25))
        hits += [(0, "kick", 1), (2.5, "kick", 0.9), (1, "snare", 1), (3, "snare", 1)]
        if bar % 2:
            hits.append((3.75, "snare", 0.35))
    elif style == "trap":  # half-time snare on 3, 8th hats with rolls
        for s in range(8):
            hits.append((s / 2, "hat", 0.4))
        roll = bar % 2
        if roll:
            hits += [(3 + i / 6, "hat", 0.25) for i in range(1, 6, 2)]
            hits += [(3.5 + i / 8, "hat", 0.25) for i in (1, 3)]
        hits += [(0, "kick", 1), (1.75, "kick", 0.6), (2.5, "kick", 0.6), (2, "clap", 1.0),
                 (2, "snare", 0.6)]
    elif style == "pop":
        for s in range(8):
            hits.append((s / 2, "hat", 0.35 + 0.1 * (s % 2 == 0)))
        hits += [(0, "kick", 1), (2, "kick", 0.9), (2.5, "kick", 0.5), (1, "clap", 0.8),
                 (3, "clap", 0.8)]
    elif style == "rock":
        for s in range(8):
            hits.append((s / 2, "ohat" if s == 7 else "hat", 0.45))
        hits += [(0, "kick", 1), (1.5, "kick", 0.6), (2, "kick", 0.9), (1, "snare", 1),
                 (3, "snare", 1)]
    elif style == "jazzwaltz":  # ride swing, light kick on 1, hat foot on 2 and 3
        hits += [(0, "ride", 0.55), (1, "ride", 0.5), (1 + 2 / 3, "ride", 0.3), (2, "ride", 0.5),
                 (0, "kick", 0.6), (1, "hat", 0.3), (2, "hat", 0.3)]
    return [(p, k, v * rng.uniform(0.85, 1.0)) for p, k, v in hits]


# -- arrangement ---------------------------------------------------------------------------
def _beat_times(n_beats, bpm, rng, rubato):
    """Onset time (s) of beats 0..n_beats; rubato pieces drift but keep the mean rate."""
    dur = np.full(n_beats, 60.0 / bpm)
    if rubato:
        knots = rng.normal(0.0, 1.0, n_beats // 4 + 2)
        drift = np.interp(np.arange(n_beats) / 4.0, np.arange(len(knots)), knots)
        dur *= 1.0 + 0.05 * np.clip(drift, -1.5, 1.5)
        for end in range(15, n_beats, 16):  # a small ritardando at phrase ends
            dur[end - 1 : end + 1] *= 1.12
        dur *= (60.0 / bpm) / dur.mean()
    return np.concatenate([[0.0], np.cumsum(dur)])


def _arrange(style, key, bpb, fast, n_bars, rng):
    """Note events (beat, beats long, midi, instrument, velocity) and drum hits."""
    prog = _PROG[style][key.mode]
    notes = []
    drums = []
    modulate = style in ("piano", "quartet")
    for bar in range(n_bars):
        last = bar == n_bars - 1
        b0 = bar * bpb
        k = key
        if modulate and n_bars // 3 <= bar < n_bars // 3 + max(1, n_bars // 4):
            # a passage in the dominant (major) or relative major (minor)
            k = Key((key.tonic + 7) % 12, "major") if key.mode == "major" else key.relative()
        chord = (1, 3) if last else prog[bar % len(prog)]
        root, pcs = _chord(k, chord)
        voicing = sorted(_midi_near(pc, 62) for pc in pcs)
        bass = _midi_near(root, 40)
        if not last and style in ("shuffle", "bossa", "rock", "breakbeat", "trap", "dnb", "pop"):
            drums += [(b0 + p, n, v) for p, n, v in _drum_pattern(style, bar, rng)]
        elif not last and style in ("sixeight", "jazzwaltz"):
            drums += [(b0 + p, n, v) for p, n, v in _drum_pattern(style, bar, rng)]
        if last:
            for m in voicing:
                notes.append((b0, bpb, m, "piano" if style in ("piano",) else "strings", 0.6))
            notes.append((b0, bpb, bass, "pluck" if style not in ("piano", "quartet") else
                          ("piano" if style == "piano" else "strings"), 0.8))
            notes.append((b0, bpb, _midi_near(key.tonic, 74), "bell" if style not in (
                "piano", "quartet") else "strings", 0.4))
            break
        # bass
        if style == "piano":  # Alberti left hand and a bass note per bar
            lo = sorted(_midi_near(pc, 52) for pc in pcs[:3])
            fig = [lo[0], lo[2], lo[1], lo[2]]
            step = 0.5 if fast else 0.25
            for i in range(int(bpb / step)):
                notes.append((b0 + i * step, step * 1.5, fig[i % 4], "piano", 0.45))
            notes.append((b0, bpb, bass, "piano", 0.55))
        elif style == "quartet":  # cello, viola/second violin repeated eighths, first violin
            notes.append((b0, bpb / 2, bass, "strings", 0.6))
            notes.append((b0 + bpb / 2, bpb / 2, bass + (12 if bass < 45 else 0), "strings", 0.5))
            for i in range(bpb * 2):
                notes.append((b0 + i / 2, 0.45, voicing[0], "strings", 0.3 + 0.1 * (i % 2 == 0)))
                notes.append((b0 + i / 2, 0.45, voicing[1], "strings", 0.25 + 0.1 * (i % 2 == 0)))
        elif style in ("trap", "dnb"):
            for p, d in ((0, 1.5), (2.5, 1.0)) if style == "dnb" else ((0, 1.75), (1.75, 1.0), (2.5, 1.5)):
                notes.append((b0 + p, d, bass - (12 if bass > 40 else 0), "sub", 0.9))
        elif style == "jazzwaltz":
            for i in range(3):
                notes.append((b0 + i, 0.95, bass if i != 1 else bass + 7, "pluck", 0.7))
        elif style == "sixeight":
            notes.append((b0, 1.0, bass, "pluck", 0.8))
            notes.append((b0 + 1, 1.0, bass + 7, "pluck", 0.6))
        elif style == "bossa":
            notes += [(b0, 1.5, bass, "pluck", 0.8), (b0 + 1.5, 0.5, bass + 7, "pluck", 0.6),
                      (b0 + 2, 1.5, bass + 7, "pluck", 0.7), (b0 + 3.5, 0.5, bass, "pluck", 0.6)]
        elif style == "shuffle":
            for i, iv in enumerate((0, 12, 7, 10 if key.mode == "minor" else 9)):
                notes.append((b0 + i, 0.6, bass + iv, "pluck", 0.7))
                notes.append((b0 + i + 2 / 3, 0.3, bass + iv, "pluck", 0.45))
        else:
            for i in range(bpb * 2):
                notes.append((b0 + i / 2, 0.45, bass, "pluck", 0.7 if i % 2 == 0 else 0.5))
        # chords
        if style in ("shuffle", "bossa", "jazzwaltz"):
            hits = {"shuffle": [(1 + 2 / 3, 0.5), (3 + 2 / 3, 0.5)],
                    "bossa": [(0, 0.9), (1.5, 0.4), (2.5, 0.9), (3.5, 0.4)],
                    "jazzwaltz": [(1, 0.6), (2, 0.6)]}[style]
            for p, d in hits:
                for m in voicing:
                    notes.append((b0 + p, d, m, "epiano", 0.35))
        elif style in ("rock", "sixeight"):
            if style == "rock":
                for i in range(bpb * 2):
                    for m in voicing[:3]:
                        notes.append((b0 + i / 2, 0.45, m - 12 + 12 * (m < 52), "pluck", 0.3))
            else:
                for e in range(6):
                    notes.append((b0 + e / 3, 0.3, voicing[e % len(voicing)], "pluck", 0.35))
        elif style in ("organ", "pop", "dnb", "trap", "breakbeat"):
            inst = "organ" if style in ("organ", "breakbeat") else "strings"
            for m in voicing:
                notes.append((b0, bpb, m, inst, 0.25))
            if style == "organ":  # plucked 8th arpeggio
                for i in range(bpb * 2):
                    notes.append((b0 + i / 2, 0.5, voicing[(i * 2) % len(voicing)] - 12,
                                  "pluck", 0.35))
        # melody: chord tones on the beats, scale steps between, the tonic at phrase ends
        mel_inst = {"pop": "bell", "dnb": "epiano", "trap": "bell", "organ": "strings",
                    "quartet": "strings", "piano": "piano"}.get(style, "epiano")
        if style not in ("breakbeat",) or bar % 2:
            note_len = 1.0 if style != "piano" else 0.5
            pos = 0.0
            prev = _midi_near(pcs[0], 74)
            while pos < bpb - 1e-9:
                if bar % 4 == 3 and pos >= bpb - 1:
                    m = _midi_near(k.tonic, 74)
                elif pos == int(pos):
                    m = _midi_near(pcs[int(rng.integers(len(pcs)))], prev)
                else:
                    pcs_s = _scale_pcs(k)
                    m = _midi_near(pcs_s[int(rng.integers(7))], prev)
                d = min(note_len * rng.choice([1, 1, 2]), bpb - pos)
                notes.append((b0 + pos, d, int(np.clip(m, 64, 84)), mel_inst, 0.5))
                prev = m
                pos += d
    return notes, drums


def _check_bpm(bpm: float) -> None:
    """Refuse a tempo the renderers do not play (outside 30-300 BPM)."""
    if not 30.0 <= bpm <= 300.0:
        raise ValueError(f"bpm must be 30-300, got {bpm!r}")


def _mix(notes, drums, at, total, sr, rng, tuning, style, *, jitter=(0.004, 0.003),
         drum_gain=1.2, rt60=(0.4, 2.2, 1.2), wet=(0.08, 0.35, 0.2)):
    """Play ``notes`` (beat, beats long, midi, instrument, velocity) and ``drums`` (beat,
    name, velocity) into a stereo signal of ``total`` samples; ``at(beat)`` is a beat's time
    (s).  Instrument levels and pans, timing jitter (notes, drums; s), the style's drum kit,
    a stereo convolution reverb (its time and wet share drawn up to the second value, or
    the third when there are drums) and a master level are drawn from ``rng``."""
    out = np.zeros((total, 2))
    levels = {k: 10 ** (rng.uniform(-4, 4) / 20) for k in list(_INSTRUMENTS) + ["drums"]}
    pans = {k: rng.uniform(-0.6, 0.6) for k in _INSTRUMENTS}
    cache = {}
    for beat, length, midi, inst, vel in notes:
        t0 = at(beat) + rng.normal(0, jitter[0])
        dur = max(0.05, at(beat + length) - at(beat))
        ck = (inst, midi, round(dur, 2))
        if ck not in cache or inst in ("pluck",):
            cache[ck] = _INSTRUMENTS[inst](float(_hz(midi, tuning)), dur, sr, rng)
        y = cache[ck] * vel * levels[inst]
        i0 = max(0, int(t0 * sr))
        y = y[: total - i0]
        p = pans[inst]
        out[i0 : i0 + len(y), 0] += y * np.sqrt(0.5 * (1 - p))
        out[i0 : i0 + len(y), 1] += y * np.sqrt(0.5 * (1 + p))
    if drums:
        kit = _drum_kit(sr, rng, style)
        for beat, name, vel in drums:
            i0 = int(max(0.0, at(beat) + rng.normal(0, jitter[1])) * sr)
            y = kit[name][: total - i0] * vel * levels["drums"] * drum_gain
            out[i0 : i0 + len(y)] += y[:, None] * np.sqrt(0.5)
    # stereo convolution reverb with decaying noise
    rt = rng.uniform(rt60[0], rt60[1] if not drums else rt60[2])
    n_ir = int(rt * sr)
    decay = np.exp(-6.9 * np.arange(n_ir) / n_ir)
    w = rng.uniform(wet[0], wet[1] if not drums else wet[2])
    b, a = scipy.signal.butter(1, 6000 / (sr / 2))
    for ch in range(2):
        ir = scipy.signal.lfilter(b, a, rng.standard_normal(n_ir)) * decay
        ir /= np.sqrt(np.sum(ir**2))
        out[:, ch] = (1 - w) * out[:, ch] + w * scipy.signal.fftconvolve(out[:, ch], ir)[:total]
    out *= 10 ** (rng.uniform(-12, -1) / 20) / max(np.max(np.abs(out)), 1e-9)
    return out


def render(style: str, *, bpm: float, key: Key, seed: int, seconds: float = 30.0,
           sr: int = 44100) -> Song:
    """Render one song.

    Parameters
    ----------
    style : str
        One of :data:`STYLES`.
    bpm : float
        Beat tempo (BPM); the dotted quarter in ``sixeight``.
    key : core.io.keynotation.Key
        Home key.
    seed : int
        Seed of every random choice (voicings, melody, levels, tuning, reverb).
    seconds : float
        Approximate length (s); the song ends on a full bar of the tonic chord.
    sr : int
        Sample rate (Hz).

    Returns
    -------
    Song
    """
    if style not in STYLES:
        raise ValueError(f"style must be one of {sorted(STYLES)}, got {style!r}")
    _check_bpm(bpm)
    rng = np.random.default_rng(seed)
    _, bpb, _ = STYLES[style]
    n_bars = max(3, int(round(seconds * bpm / 60.0 / bpb)))
    tuning = float(rng.uniform(-25.0, 25.0))
    notes, drums = _arrange(style, key, bpb, bpm >= 90, n_bars, rng)
    times = _beat_times(n_bars * bpb + 1, bpm, rng, rubato=style in ("piano", "quartet"))

    def at(beat):
        return float(np.interp(beat, np.arange(len(times)), times))

    out = _mix(notes, drums, at, int((times[-1] + 2.5) * sr), sr, rng, tuning, style)
    first = _PROG[style][key.mode][0][0]
    return Song(out.astype(np.float32), sr, float(bpm), key, style, bpb, tuning,
                {"first_chord": first, "bars": n_bars})


# -- jazz grooves (not in STYLES: the plans of benchmarks.independent never draw them) -------
#: style -> tempo range (BPM) of the swung 4/4 grooves :func:`render_jazz` plays.
JAZZ_STYLES: dict[str, tuple[float, float]] = {
    "swing": (110.0, 235.0),
    "twofeel": (100.0, 200.0),
    "boogie": (120.0, 210.0),
}
_JAZZ_PROG = {
    "major": [[(2, 4), (5, 4), (1, 4), (6, 4)], [(1, 4), (6, 4), (2, 4), (5, 4)],
              [(1, 4), (4, 4), (1, 4), (5, 4)], [(3, 4), (6, 4), (2, 4), (5, 4)]],
    "minor": [[(2, 4), (5, 4), (1, 4), (1, 4)], [(1, 4), (4, 4), (5, 4), (1, 4)],
              [(1, 4), (6, 4), (2, 4), (5, 4)]],
}


def _jazz_bar(style, bar, key, prog, swing, rng):
    """Notes and drum hits of one bar of a jazz groove (positions in beats from the bar)."""
    root, pcs = _chord(key, prog[bar % len(prog)])
    nroot, _ = _chord(key, prog[(bar + 1) % len(prog)])
    bass = _midi_near(root, 38)
    voicing = sorted(_midi_near(pc, 60) for pc in pcs)
    notes, drums = [], []
    # ride: every beat, the swung skip note after 2 and 4 (sometimes after 1 and 3 too)
    for b in range(4):
        drums.append((b, "ride", (0.55 if b % 2 else 0.45) * rng.uniform(0.8, 1.0)))
        if b % 2 or rng.uniform() < 0.15:
            drums.append((b + swing, "ride", 0.3 * rng.uniform(0.7, 1.0)))
    if style == "boogie":  # backbeat, kick on 1 and 3, hats on the swung eighths
        drums += [(1, "snare", 0.8), (3, "snare", 0.85), (0, "kick", 0.8), (2, "kick", 0.7)]
        drums += [(b + swing, "hat", 0.25) for b in range(4) if rng.uniform() < 0.6]
    else:  # hi-hat foot on 2 and 4, a feathered kick, snare comping on triplet partials
        drums += [(1, "hat", 0.35), (3, "hat", 0.35)]
        drums += [(b, "kick", 0.15) for b in range(4) if rng.uniform() < 0.5]
        for _ in range(int(rng.integers(0, 3))):
            drums.append((int(rng.integers(0, 4)) + (swing if rng.uniform() < 0.7 else 1 / 3),
                          "snare", rng.uniform(0.2, 0.45)))
    # bass
    if style == "swing":  # walking: the root, chord and scale tones, an approach to the next
        scale = _scale_pcs(key)
        prev = bass
        for b in range(4):
            if b == 0:
                m = bass
            elif b == 3:
                m = _midi_near(nroot, prev) + int(rng.choice([-1, 1]))
            else:
                pool = pcs if rng.uniform() < 0.7 else scale
                m = _midi_near(pool[int(rng.integers(len(pool)))], prev)
            m = int(np.clip(m, 31, 50))
            notes.append((b, 0.9, m, "pluck", 0.75 * rng.uniform(0.85, 1.0)))
            prev = m
    elif style == "twofeel":  # half notes on 1 and 3, now and then a skip note into 3
        notes.append((0, 1.9, bass, "pluck", 0.8))
        notes.append((2, 1.9, _midi_near(pcs[2 % len(pcs)], bass), "pluck", 0.7))
        if rng.uniform() < 0.3:
            notes.append((1 + swing, 0.3, bass + 2, "pluck", 0.45))
    else:  # boogie: root, third, fifth, sixth, minor seventh and down on swung eighths
        third = 4 if key.mode == "major" else 3
        figure = (0, third, 7, 9, 10, 9, 7, third)
        for i, iv in enumerate(figure):
            notes.append((i // 2 + (swing if i % 2 else 0.0), 0.4, bass + iv, "pluck",
                          0.7 if i % 2 == 0 else 0.5))
    # comping: one to three short chords on the beat, the swung eighth or anticipating
    spots = [0.0, swing, 1.0, 1 + swing, 2.0, 2 + swing, 3 + swing]
    picks = rng.choice(len(spots), size=int(rng.integers(1, 4)), replace=False)
    inst = "piano" if rng.uniform() < 0.5 else "epiano"
    for i in sorted(picks):
        for m in voicing:
            notes.append((spots[i], rng.uniform(0.2, 0.6), m, inst, 0.3))
    # a sparse melody on the beats and swung eighths
    if bar % 2 == 0:
        pos = 0.0
        prev = _midi_near(pcs[0], 74)
        while pos < 4 - 1e-9:
            m = int(np.clip(_midi_near(pcs[int(rng.integers(len(pcs)))], prev), 64, 84))
            d = float(rng.choice([swing, 1 - swing, 1.0, 1.0, 2.0]))
            if rng.uniform() < 0.8:
                notes.append((pos, min(d, 4 - pos), m, "epiano" if inst == "piano" else "bell",
                              0.45))
            prev = m
            pos += d
    return notes, drums


def render_jazz(style: str, *, bpm: float, key: Key, seed: int, seconds: float = 30.0,
                sr: int = 44100) -> Song:
    """Render one swung 4/4 groove of :data:`JAZZ_STYLES` at ``bpm`` (the quarter note).

    ``swing`` has a walking bass on every beat, ``twofeel`` the bass in half notes on 1 and 3
    (the same beat), ``boogie`` a bass figure in swung eighths under a backbeat.  The ride
    plays every beat with the swung skip note after 2 and 4; the swing ratio is drawn from
    0.58 to 0.70 of the beat (straighter at faster tempos).  Instruments, levels, tuning and
    reverb as :func:`render` has them; deterministic for a given seed.
    """
    if style not in JAZZ_STYLES:
        raise ValueError(f"style must be one of {sorted(JAZZ_STYLES)}, got {style!r}")
    _check_bpm(bpm)
    rng = np.random.default_rng(seed)
    n_bars = max(3, int(round(seconds * bpm / 60.0 / 4)))
    tuning = float(rng.uniform(-25.0, 25.0))
    straight = np.clip((bpm - 110.0) / 125.0, 0.0, 1.0)
    swing = float(rng.uniform(0.64, 0.70) - 0.06 * straight)
    progs = _JAZZ_PROG[key.mode]
    prog = progs[int(rng.integers(len(progs)))]
    notes, drums = [], []
    for bar in range(n_bars - 1):
        n, d = _jazz_bar(style, bar, key, prog, swing, rng)
        notes += [(4 * bar + p, length, m, inst, v) for p, length, m, inst, v in n]
        drums += [(4 * bar + p, name, v) for p, name, v in d]
    last = 4 * (n_bars - 1)
    tonic = sorted(_midi_near(pc, 60) for pc in _chord(key, (1, 4))[1])
    notes += [(last, 4, m, "piano", 0.5) for m in tonic]
    notes.append((last, 4, _midi_near(key.tonic, 38), "pluck", 0.8))
    drums.append((last, "ride", 0.5))
    beat_s = 60.0 / bpm
    out = _mix(notes, drums, lambda beat: beat * beat_s, int((n_bars * 4 * beat_s + 2.5) * sr),
               sr, rng, tuning, "jazz", jitter=(0.005, 0.004), drum_gain=1.0,
               rt60=(0.4, 1.4, 1.4), wet=(0.08, 0.25, 0.25))
    return Song(out.astype(np.float32), sr, float(bpm), key, style, 4, tuning,
                {"swing": swing, "bars": n_bars})
