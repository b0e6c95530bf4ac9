"""Generated songs for the error classes analyzers are known for (tests and benchmarks).

* :func:`halftime_groove` -- kick on 1, snare on 3 and 8th-note hats (the dance convention
  states its tempo at the hi-hat's quarter-note rate: a "140" dubstep groove);
* :func:`four_on_the_floor` -- a kick on every beat, claps on 2 and 4, off-beat open hats;
* :func:`chorale` -- four sustained voices in block chords, one chord per beat, no drums,
  slight rubato and held fermatas;
* :func:`dominant_excursion` -- a sonata-like piece: a tonic opening, a long passage in the
  dominant key, and a return to the tonic with a final cadence;
* :func:`sixteenth_riff` -- a drumless synthesizer-bass riff on a sixteenth-note grid, its
  notes grouped in threes (dotted eighths) across the bar, as in acid and techno bass loops;
* :func:`clave_loop` -- a seamless sample-pack loop of a son clave (3-2) on a snare, one or
  more bars long: its single pass holds five hits a bar, spaced 3-3-4-2-4 sixteenths.
* :func:`swing_groove` -- a jazz trio in swing: a walking bass on every beat, the ride's
  "spang-a-lang" (the swung eighth before 3 and before 1), the hi-hat foot on 2 and 4 and
  chords in a Charleston figure; jazz states its tempo at the walking bass's quarter note.
* :func:`compound_tune` -- a drumless tune in 6/8 as players comp it: the melody in the
  metre's figures, an arpeggio in eighths (three to the dotted-quarter beat) and the bass on
  the beat; a 6/8 tune states its tempo at the dotted quarter.

All are deterministic for a given ``seed`` and return mono float32 signals.
"""

from __future__ import annotations

import numpy as np

from core.io.keynotation import Key

__all__ = ["halftime_groove", "four_on_the_floor", "chorale", "dominant_excursion",
           "sixteenth_riff", "clave_loop", "swing_groove", "compound_tune"]

_MAJOR = ((0, (0, 4, 7)), (5, (0, 4, 7)), (7, (0, 4, 7, 10)), (9, (0, 3, 7)), (2, (0, 3, 7)))
_MINOR = ((0, (0, 3, 7)), (5, (0, 3, 7)), (7, (0, 4, 7, 10)), (8, (0, 4, 7)), (3, (0, 4, 7)))


def _hz(midi):
    return 440.0 * 2.0 ** ((np.asarray(midi, dtype=float) - 69.0) / 12.0)


def _add(out, sr, t, sound, gain=1.0):
    i = int(round(t * sr))
    if 0 <= i < len(out):
        j = min(len(out), i + len(sound))
        out[i:j] += gain * sound[: j - i]


def _note(sr, midi, dur, *, attack=0.06, partials=(1.0, 0.45, 0.3, 0.2, 0.12), decay=None):
    n = int((dur + 0.15) * sr)
    t = np.arange(n) / sr
    f = float(_hz(midi))
    y = sum(a * np.sin(2 * np.pi * f * k * t + 0.7 * k) for k, a in enumerate(partials, 1)
            if f * k < sr / 2 - 200)
    env = np.minimum(1.0, t / attack) * np.clip((dur + 0.15 - t) / 0.15, 0.0, 1.0)
    if decay is not None:
        env = env * np.exp(-t / decay)
    return y * env


def _drum(sr, rng, kind):
    n = int(0.35 * sr)
    t = np.arange(n) / sr
    if kind == "kick":
        f = 50 + 90 * np.exp(-t / 0.03)
        return np.sin(2 * np.pi * np.cumsum(f) / sr) * np.exp(-t / 0.18)
    if kind == "snare":
        return (0.6 * rng.standard_normal(n) * np.exp(-t / 0.09)
                + 0.4 * np.sin(2 * np.pi * 190 * t) * np.exp(-t / 0.06))
    noise = np.diff(rng.standard_normal(n + 1))  # bright
    return noise * np.exp(-t / (0.12 if kind == "open" else 0.025))


def _bar_chord(key: Key, bar: int) -> tuple[int, tuple[int, ...]]:
    """The chord of bar ``bar`` (I, vi, IV, V over and over; in minor i, VI, iv, V): its
    root's pitch class and its intervals above the root."""
    prog = _MAJOR if key.mode == "major" else _MINOR
    root, ivs = prog[(0, 3, 1, 2)[bar % 4]]
    return (key.tonic + root) % 12, ivs


def _bass_and_chords(out, sr, key, beat, n_beats, rng, *, chord_beats=4):
    for b in range(0, n_beats, chord_beats):
        pc, ivs = _bar_chord(key, b // chord_beats)
        _add(out, sr, b * beat, _note(sr, 36 + (pc - 36) % 12, chord_beats * beat * 0.9,
                                      attack=0.01, decay=0.8), 0.35)
        for i in ivs:
            m = 60 + (pc + i - 60) % 12
            _add(out, sr, b * beat, _note(sr, m, chord_beats * beat * 0.9, attack=0.02), 0.08)


def halftime_groove(bpm: float = 150.0, *, key: Key = Key(9, "minor"), seconds: float = 24.0,
                    sr: int = 22050, seed: int = 0) -> np.ndarray:
    """Kick on 1, snare on 3, closed hats on 8th notes of ``bpm``, bass and chords per bar."""
    rng = np.random.default_rng(seed)
    beat = 60.0 / bpm
    n_beats = int(seconds / beat)
    out = np.zeros(int(seconds * sr))
    kick, snare, hat = (_drum(sr, rng, k) for k in ("kick", "snare", "hat"))
    for b in range(n_beats):
        t = b * beat + rng.normal(0, 0.003)
        if b % 4 == 0:
            _add(out, sr, t, kick, 0.9)
        if b % 4 == 2:
            _add(out, sr, t, snare, 0.7)
        _add(out, sr, t, hat, 0.22)
        _add(out, sr, t + beat / 2, hat, 0.14)
    _bass_and_chords(out, sr, key, beat, n_beats, rng, chord_beats=8)
    return (0.8 * out / np.max(np.abs(out))).astype(np.float32)


def four_on_the_floor(bpm: float = 185.0, *, key: Key = Key(2, "major"), seconds: float = 24.0,
                      sr: int = 22050, seed: int = 0) -> np.ndarray:
    """A kick on every beat, claps on 2 and 4, open hats between the beats, at ``bpm``."""
    rng = np.random.default_rng(seed)
    beat = 60.0 / bpm
    n_beats = int(seconds / beat)
    out = np.zeros(int(seconds * sr))
    kick, snare, hat = (_drum(sr, rng, k) for k in ("kick", "snare", "open"))
    for b in range(n_beats):
        t = b * beat + rng.normal(0, 0.002)
        _add(out, sr, t, kick, 0.9)
        if b % 2 == 1:
            _add(out, sr, t, snare, 0.5)
        _add(out, sr, t + beat / 2, hat, 0.15)
    _bass_and_chords(out, sr, key, beat, n_beats, rng, chord_beats=8)
    return (0.8 * out / np.max(np.abs(out))).astype(np.float32)


def _voices(tonic: int, root: int, ivs) -> list[int]:
    pcs = [(tonic + root + i) % 12 for i in ivs[:3]]
    return [40 + (pcs[0] - 40) % 12, 52 + (pcs[2] - 52) % 12, 57 + (pcs[1] - 57) % 12,
            64 + (pcs[0] - 64) % 12]


def chorale(key: Key = Key(7, "major"), *, bpm: float = 66.0, seconds: float = 30.0,
            sr: int = 22050, seed: int = 0) -> np.ndarray:
    """Four legato voices, one chord per beat at ``bpm``, a fermata every 8 beats, no drums."""
    rng = np.random.default_rng(seed)
    prog = _MAJOR if key.mode == "major" else _MINOR
    beat = 60.0 / bpm
    out = np.zeros(int(seconds * sr))
    t, b = 0.0, 0
    while t < seconds:
        phrase_end = b % 8 == 7
        if phrase_end or b == 0:
            root, ivs = prog[0] if b % 16 == 15 or b == 0 else prog[2]
        else:
            root, ivs = prog[int(rng.integers(len(prog)))]
        dur = beat * (2.0 if phrase_end else 1.0) * (1 + rng.normal(0, 0.02))
        for v, m in enumerate(_voices(key.tonic, root, ivs)):
            _add(out, sr, t + rng.normal(0, 0.01), _note(sr, m, dur * 0.97), 0.2 if v else 0.25)
        t += dur
        b += 1
    return (0.7 * out / np.max(np.abs(out))).astype(np.float32)


def dominant_excursion(key: Key = Key(0, "major"), *, bpm: float = 120.0, seconds: float = 60.0,
                       sr: int = 22050, seed: int = 0) -> np.ndarray:
    """Tonic for the first quarter, the dominant key for the next half, then the tonic again.

    The passage in the dominant key is twice as long as either tonic section, and the
    piece ends on a V-I cadence in the home key; piano-like chords with a bass line.
    """
    rng = np.random.default_rng(seed)
    beat = 60.0 / bpm
    bar = 4 * beat
    n_bars = int(seconds / bar)
    dom = Key((key.tonic + 7) % 12, key.mode)
    out = np.zeros(int(seconds * sr))
    prog = _MAJOR if key.mode == "major" else _MINOR
    cycle = (0, 1, 2, 0, 3, 1, 2, 0)
    for k in range(n_bars):
        home = k < n_bars // 4 or k >= 3 * n_bars // 4
        here = key if home else dom
        if k == n_bars - 2:
            root, ivs = prog[2]
        elif k == n_bars - 1:
            root, ivs = prog[0]
        else:
            root, ivs = prog[cycle[k % len(cycle)]]
        pc = (here.tonic + root) % 12
        t0 = k * bar
        _add(out, sr, t0, _note(sr, 36 + (pc - 36) % 12, bar * 0.95, attack=0.01, decay=1.2),
             0.35)
        for j in range(8):  # 8th-note broken chords
            m = 60 + (pc + ivs[j % len(ivs)] - 60) % 12 + 12 * (j % 4 == 3)
            _add(out, sr, t0 + j * beat / 2 + rng.normal(0, 0.004),
                 _note(sr, m, beat * 0.6, attack=0.005, decay=0.5), 0.12)
        scale = (0, 2, 4, 5, 7, 9, 11) if here.mode == "major" else (0, 2, 3, 5, 7, 8, 11)
        for j in range(4):  # a melody of scale steps on the beats
            deg = scale[int(rng.integers(7))] if j else ivs[0] + root
            _add(out, sr, t0 + j * beat, _note(sr, 72 + (here.tonic + deg - 72) % 12, beat * 0.9,
                                               attack=0.01), 0.1)
    return (0.8 * out / np.max(np.abs(out))).astype(np.float32)


def sixteenth_riff(bpm: float = 138.0, *, hits=(0, 3, 6, 9, 12), seconds: float = 24.0,
                   sr: int = 22050, seed: int = 0) -> np.ndarray:
    """A bright, plucked bass riff with no drums: notes on the sixteenths ``hits`` of every
    bar (default: dotted eighths, 3+3+3+3+4), the first of each group of three accented
    and every third note an octave up, over a four-bar root pattern."""
    rng = np.random.default_rng(seed)
    out = np.zeros(int(seconds * sr))
    six = 60.0 / bpm / 4
    roots = (33, 33, 36, 31)
    pluck = (1.0, 0.7, 0.5, 0.4, 0.3, 0.2, 0.15, 0.1)
    for bar in range(int(seconds / (16 * six)) + 1):
        for k, h in enumerate(hits):
            t = (bar * 16 + h) * six + rng.normal(0.0, 0.003)
            midi = roots[bar % 4] + (12 if k % 3 == 2 else 0)
            _add(out, sr, t, _note(sr, midi, 1.6 * six, attack=0.004, decay=0.12,
                                   partials=pluck), 1.0 if k % 3 == 0 else 0.7)
    return (0.5 * out / np.abs(out).max()).astype(np.float32)


def clave_loop(bpm: float = 112.0, *, bars: int = 1, sr: int = 22050, seed: int = 0) -> np.ndarray:
    """A son clave (3-2) on a snare, ``bars`` bars of 4/4 exactly, cut to loop seamlessly:
    the tails of the last hits sound at its start, as they do when the loop repeats."""
    rng = np.random.default_rng(seed)
    six = 60.0 / bpm / 4
    n = int(round(bars * 16 * six * sr))
    out = np.zeros(n)
    for bar in range(bars):
        for h in (0, 3, 6, 10, 12):
            hit = _drum(sr, rng, "snare")
            i = int(round((bar * 16 + h) * six * sr))
            np.add.at(out, (i + np.arange(len(hit))) % n, hit)
    return (0.5 * out / np.abs(out).max()).astype(np.float32)


def swing_groove(bpm: float = 150.0, *, key: Key = Key(5, "major"), seconds: float = 24.0,
                 sr: int = 22050, seed: int = 0) -> np.ndarray:
    """A walking bass on every beat of ``bpm`` through each bar's chord, the ride on every
    beat (accented on 2 and 4) with the swung eighth (two thirds into the beat) after 2 and
    after 4, the hi-hat foot on 2 and 4, and the chord on 1 and on the swung "and" of 2."""
    rng = np.random.default_rng(seed)
    beat = 60.0 / bpm
    n_beats = int(seconds / beat)
    out = np.zeros(int(seconds * sr))
    ride, foot = _drum(sr, rng, "open"), _drum(sr, rng, "hat")
    swung = 2.0 / 3.0
    for b in range(n_beats):
        t = b * beat + rng.normal(0, 0.004)
        _add(out, sr, t, ride, 0.16 if b % 2 else 0.11)
        if b % 2 == 1:
            _add(out, sr, t + swung * beat, ride, 0.08)
            _add(out, sr, t, foot, 0.12)
        pc, ivs = _bar_chord(key, b // 4)
        step = (0, ivs[1], ivs[2], ivs[1] + 2)[b % 4]  # root, third, fifth, a passing note
        _add(out, sr, t, _note(sr, 36 + (pc + step - 36) % 12, beat * 0.85, attack=0.008,
                               decay=0.35, partials=(1.0, 0.6, 0.3, 0.15)), 0.4)
        if b % 4 in (0, 1):
            at = t if b % 4 == 0 else t + swung * beat
            for i in ivs:
                _add(out, sr, at, _note(sr, 60 + (pc + i - 60) % 12, beat * 0.5, attack=0.01,
                                        decay=0.3), 0.07)
    return (0.8 * out / np.max(np.abs(out))).astype(np.float32)


#: Rhythms of one dotted-quarter beat of a 6/8 tune's melody, in eighths.
_COMPOUND_CELLS = ((3,), (2, 1), (1, 1, 1), (2, 1), (1, 2))


def compound_tune(bpm: float = 66.0, *, key: Key = Key(2, "major"), seconds: float = 30.0,
                  sr: int = 22050, seed: int = 0) -> np.ndarray:
    """A drumless tune in 6/8 at ``bpm`` dotted quarters a minute: each beat of the melody
    one of the metre's figures (a dotted quarter, a quarter and an eighth, three eighths ...)
    through the bar's chord, the comping an arpeggio in eighths (root, third, fifth: three to
    the beat), the bass on every beat; one chord a bar of two beats."""
    rng = np.random.default_rng(seed)
    beat = 60.0 / bpm
    eighth = beat / 3.0
    n_beats = int(seconds / beat)
    out = np.zeros(int(seconds * sr))
    scale = (0, 2, 4, 5, 7, 9, 11) if key.mode == "major" else (0, 2, 3, 5, 7, 8, 10)
    degree = 7
    for b in range(n_beats):
        t0 = b * beat
        pc, ivs = _bar_chord(key, b // 2)
        _add(out, sr, t0 + rng.normal(0, 0.004),
             _note(sr, 36 + (pc - 36) % 12, beat * 0.9, attack=0.01, decay=0.6), 0.3)
        for k in range(3):
            m = 55 + (pc + ivs[k % len(ivs)] - 55) % 12
            _add(out, sr, t0 + k * eighth + rng.normal(0, 0.004),
                 _note(sr, m, eighth * 0.95, attack=0.01, decay=0.25), 0.09)
        pos = 0
        for length in _COMPOUND_CELLS[int(rng.integers(len(_COMPOUND_CELLS)))]:
            degree = int(np.clip(degree + rng.choice([-2, -1, -1, 1, 1, 2]), 3, 12))
            octave, step = divmod(degree, 7)
            m = 60 + key.tonic % 12 + 12 * octave + scale[step]
            _add(out, sr, t0 + pos * eighth + rng.normal(0, 0.005),
                 _note(sr, m, length * eighth * 0.9, attack=0.015), 0.16)
            pos += length
    return (0.8 * out / np.max(np.abs(out))).astype(np.float32)
