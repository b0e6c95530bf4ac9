"""Fixed-seed test songs: drums, bass, chords and a melody in a known key and tempo.

The true tempo of a rendered song is the beat (quarter-note) rate, also in 3/4.  Every
function is deterministic for a given ``seed``.  Styles:

``electronic``  four-on-the-floor kick, clap on 2 and 4, off-beat open hats
``rock``        kick on 1 and 3, snare backbeat, 8th-note hats
``halftime``    kick on 1, snare on 3, 8th hats; bass and chords keep the quarter notes
``hiphop``      syncopated kick, snare on 2 and 4, swung 16th hats
``waltz``       3/4: kick on 1, light snare on 2 and 3, bass on 1, chords on 2 and 3
``ballad``      no drums: bass, arpeggiated chords and a melody only
``busy``        16th-note hats, kick and snare, 8th-note bass
``classical``   no drums: a piano-like Alberti left hand (16ths when slow, 8ths otherwise), a
                bass note each bar, a melody, and rubato (the local tempo drifts by up to
                +/-5 % around the mean; the true tempo is the mean beat rate)
"""

from __future__ import annotations

import numpy as np
import scipy.signal

from core.io.keynotation import Key

__all__ = [
    "STYLES",
    "render_song",
    "drum_groove",
    "click_track",
    "applause",
    "chord_progression",
    "noise",
    "silence",
]

STYLES = ("electronic", "rock", "halftime", "hiphop", "waltz", "ballad", "busy", "classical")

_MAJOR_SCALE = (0, 2, 4, 5, 7, 9, 11)
_MINOR_SCALE = (0, 2, 3, 5, 7, 8, 10)
_QUALITY = {"maj": (0, 4, 7), "min": (0, 3, 7), "dom7": (0, 4, 7, 10), "min7": (0, 3, 7, 10)}

#: Progressions as (root offset from the tonic in semitones, quality), one chord per bar.
_MAJOR_PROGS = (
    ((0, "maj"), (7, "maj"), (9, "min"), (5, "maj")),  # I-V-vi-IV
    ((0, "maj"), (5, "maj"), (7, "maj"), (0, "maj")),  # I-IV-V-I
    ((2, "min7"), (7, "dom7"), (0, "maj"), (0, "maj")),  # ii-V-I
    ((0, "maj"), (9, "min"), (5, "maj"), (7, "dom7")),  # I-vi-IV-V
)
_MINOR_PROGS = (
    ((0, "min"), (8, "maj"), (3, "maj"), (10, "maj")),  # i-VI-III-VII
    ((0, "min"), (5, "min"), (7, "maj"), (0, "min")),  # i-iv-V-i (harmonic minor V)
    ((0, "min"), (10, "maj"), (8, "maj"), (7, "maj")),  # i-VII-VI-V
    ((0, "min"), (5, "min"), (10, "maj"), (3, "maj")),  # i-iv-VII-III
)


def _midi_hz(m):
    return 440.0 * 2.0 ** ((np.asarray(m, dtype=float) - 69.0) / 12.0)


class _Mixer:
    """Adds one-shot sounds into a mono buffer."""

    def __init__(self, n: int, sr: int, warp=None):
        self.out = np.zeros(n, dtype=np.float64)
        self.sr = sr
        self.warp = warp  # maps score time to performance time (rubato), seconds

    def add(self, t: float, sound: np.ndarray, gain: float = 1.0):
        if self.warp is not None:
            t = self.warp(t)
        i = int(round(t * self.sr))
        if i >= len(self.out) or i + len(sound) <= 0:
            return
        if i < 0:
            sound, i = sound[-i:], 0
        j = min(len(self.out), i + len(sound))
        self.out[i:j] += gain * sound[: j - i]


def _kick(sr, rng, *, pitch=50.0, decay=0.25):
    n = int(0.45 * sr)
    t = np.arange(n) / sr
    f = pitch + 110.0 * np.exp(-t / 0.03)
    ph = 2 * np.pi * np.cumsum(f) / sr
    return np.sin(ph) * np.exp(-t / decay) * 0.9


def _snare(sr, rng, *, tone=190.0, decay=0.12):
    n = int(0.3 * sr)
    t = np.arange(n) / sr
    nz = rng.standard_normal(n)
    nz = np.diff(nz, prepend=0.0) * 0.5  # tilt towards the highs
    return (0.55 * nz * np.exp(-t / decay) + 0.5 * np.sin(2 * np.pi * tone * t) * np.exp(-t / 0.05))


def _hat(sr, rng, *, decay=0.03):
    n = int(max(0.05, 6 * decay) * sr)
    t = np.arange(n) / sr
    nz = rng.standard_normal(n)
    nz = np.diff(np.diff(nz, prepend=0.0), prepend=0.0) * 0.3
    return nz * np.exp(-t / decay)


def _tone(sr, midi, dur, *, partials=(1.0, 0.5, 0.25), attack=0.005, decay=None, release=0.05):
    """A harmonic tone of ``dur`` seconds (plus release)."""
    n = int((dur + release) * sr)
    t = np.arange(n) / sr
    f0 = float(_midi_hz(midi))
    y = np.zeros(n)
    for k, a in enumerate(partials, start=1):
        if f0 * k < sr / 2 - 500:
            y += a * np.sin(2 * np.pi * f0 * k * t + k)
    env = np.minimum(1.0, t / attack)
    if decay is not None:
        env = env * np.exp(-t / decay)
    rel = np.clip((dur + release - t) / release, 0.0, 1.0)
    return y * env * rel


class _Timbres:
    """Randomly chosen instrument timbres for one song."""

    def __init__(self, rng):
        self.bass = [(1.0, 0.6, 0.35, 0.2, 0.1), (1.0, 0.2, 0.1), (1.0, 0.8, 0.5, 0.4, 0.3, 0.2)][
            rng.integers(3)
        ]
        self.keys_piano = bool(rng.integers(2))
        self.chord = [(1.0, 0.4, 0.2, 0.1), (1.0, 0.6, 0.4, 0.25, 0.15, 0.1), (1.0, 0.3)][
            rng.integers(3)
        ]
        self.lead = [(1.0, 0.3, 0.1), (1.0, 0.5, 0.33, 0.25, 0.2), (1.0,)][rng.integers(3)]
        self.kick_pitch = float(rng.uniform(42, 60))
        self.snare_tone = float(rng.uniform(160, 240))
        self.hat_decay = float(rng.uniform(0.015, 0.04))
        self.levels = {
            "kick": rng.uniform(0.7, 1.0),
            "snare": rng.uniform(0.4, 0.7),
            "hat": rng.uniform(0.15, 0.35),
            "bass": rng.uniform(0.25, 0.45),
            "chord": rng.uniform(0.08, 0.14),
            "lead": rng.uniform(0.12, 0.25),
        }


def _chord_notes(tonic: int, root: int, quality: str, low: int = 55) -> list[int]:
    """MIDI notes of a chord voiced upwards from around ``low``."""
    base = (tonic + root) % 12
    r = low + ((base - low) % 12)
    if r > low + 7:
        r -= 12
    return [r + iv for iv in _QUALITY[quality]]


def _drums(style, mix, beat, n_beats, meter, rng, tim):
    lv = tim.levels
    kick = _kick(mix.sr, rng, pitch=tim.kick_pitch)
    snare = _snare(mix.sr, rng, tone=tim.snare_tone)
    hats = [_hat(mix.sr, rng, decay=tim.hat_decay) for _ in range(4)]
    open_hat = _hat(mix.sr, rng, decay=0.12)

    def jit():
        return rng.normal(0.0, 0.004)

    def vel():
        return rng.uniform(0.8, 1.0)

    for b in range(n_beats):
        t = b * beat
        pos = b % meter
        if style == "electronic":
            mix.add(t + jit(), kick, lv["kick"] * vel())
            if pos in (1, 3):
                mix.add(t + jit(), snare, lv["snare"] * vel())
            mix.add(t + beat / 2 + jit(), open_hat, lv["hat"] * vel())
        elif style == "rock":
            if pos in (0, 2):
                mix.add(t + jit(), kick, lv["kick"] * vel())
            if pos == 2 and rng.random() < 0.5:
                mix.add(t + beat / 2 + jit(), kick, 0.7 * lv["kick"] * vel())
            if pos in (1, 3):
                mix.add(t + jit(), snare, lv["snare"] * vel())
            for h in range(2):
                mix.add(t + h * beat / 2 + jit(), hats[h], lv["hat"] * vel() * (1.0 - 0.3 * h))
        elif style == "halftime":
            if pos == 0:
                mix.add(t + jit(), kick, lv["kick"] * vel())
            if pos == 2:
                mix.add(t + jit(), snare, lv["snare"] * vel())
            for h in range(2):
                mix.add(t + h * beat / 2 + jit(), hats[h], lv["hat"] * vel() * (1.0 - 0.3 * h))
        elif style == "hiphop":
            if pos == 0 or (pos == 2 and rng.random() < 0.7):
                mix.add(t + jit(), kick, lv["kick"] * vel())
            if pos == 1 and rng.random() < 0.5:
                mix.add(t + 0.75 * beat + jit(), kick, 0.8 * lv["kick"] * vel())
            if pos in (1, 3):
                mix.add(t + jit(), snare, lv["snare"] * vel())
            swing = (0.0, 0.29, 0.5, 0.79)  # swung 16ths
            for h, s in enumerate(swing):
                mix.add(t + s * beat + jit(), hats[h], lv["hat"] * vel() * (1.0 - 0.2 * (h % 2)))
        elif style == "waltz":
            if pos == 0:
                mix.add(t + jit(), kick, lv["kick"] * vel())
            else:
                mix.add(t + jit(), snare, 0.5 * lv["snare"] * vel())
            mix.add(t + jit(), hats[pos % 4], lv["hat"] * vel())
        elif style == "busy":
            if pos in (0, 2) or rng.random() < 0.15:
                mix.add(t + jit(), kick, lv["kick"] * vel())
            if pos in (1, 3):
                mix.add(t + jit(), snare, lv["snare"] * vel())
            for h in range(4):
                mix.add(t + h * beat / 4 + jit(), hats[h], lv["hat"] * vel() * (1.0 - 0.25 * (h % 2)))


def render_song(
    *,
    bpm: float,
    key: Key,
    seconds: float,
    sr: int = 44100,
    seed: int = 0,
    style: str = "rock",
    meter: int | None = None,
) -> np.ndarray:
    """Render a multi-instrument song in a known tempo and key.

    Parameters
    ----------
    bpm : float
        Beat (quarter-note) rate, beats per minute; this is the true tempo.
    key : core.io.keynotation.Key
        The song's key.
    seconds : float
        Length (s).
    sr : int
        Sample rate (Hz).
    seed : int
        Seed of every random choice (timbres, levels, melody, humanization).
    style : str
        One of :data:`STYLES`.
    meter : int, optional
        Beats per bar; 3 for ``waltz``, 4 otherwise unless given.

    Returns
    -------
    numpy.ndarray
        float32 array of shape (frames, 2), peak about 0.9.
    """
    if style not in STYLES:
        raise ValueError(f"style must be one of {STYLES}, got {style!r}")
    if not 20 <= bpm <= 400:
        raise ValueError(f"bpm must be 20-400, got {bpm!r}")
    if meter is None:
        meter = 3 if style == "waltz" else 4
    rng = np.random.default_rng(seed)
    tim = _Timbres(rng)
    n = int(seconds * sr)
    beat = 60.0 / bpm
    n_beats = int(np.ceil(seconds / beat))
    warp = None
    if style == "classical":
        # Smooth rubato: performance time = score time + a slow sine, local tempo +/-5 %.
        period = float(rng.uniform(12.0, 25.0))
        amp = 0.05 * period / (2 * np.pi)
        phase = float(rng.uniform(0, 2 * np.pi))

        def warp(t):
            return t + amp * (np.sin(2 * np.pi * t / period + phase) - np.sin(phase))

    mix = _Mixer(n, sr, warp)
    minor = key.mode == "minor"
    progs = _MINOR_PROGS if minor else _MAJOR_PROGS
    prog = progs[rng.integers(len(progs))]
    scale = _MINOR_SCALE if minor else _MAJOR_SCALE
    # Slow songs change chord every bar, fast ones every two bars.
    bars_per_chord = 2 if bpm > 150 and meter == 4 else 1
    beats_per_chord = meter * bars_per_chord
    lv = tim.levels
    if style not in ("ballad", "classical"):
        _drums(style, mix, beat, n_beats, meter, rng, tim)

    def jit():
        return rng.normal(0.0, 0.006)

    cache: dict = {}

    def tone(kind, midi, dur, **kw):
        k = (kind, midi, round(dur, 3))
        if k not in cache:
            cache[k] = _tone(sr, midi, dur, **kw)
        return cache[k]

    lead_oct = 72 if rng.random() < 0.5 else 67
    prev = lead_oct + key.tonic % 12
    n_chords = int(np.ceil(n_beats / beats_per_chord))
    for c in range(n_chords):
        # Start and end on the tonic chord, loop the progression in between.
        root, qual = prog[c % len(prog)]
        if c == n_chords - 1:
            root, qual = prog[0]
        t0 = c * beats_per_chord * beat
        notes = _chord_notes(key.tonic, root, qual, low=int(rng.integers(52, 58)))
        bass_pc = (key.tonic + root) % 12
        bass_note = 36 + ((bass_pc - 36) % 12)
        # Bass.
        for b in range(beats_per_chord):
            if t0 + b * beat >= seconds:
                break
            pos = b % meter
            if style == "busy":
                hits = (0.0, 0.5)
            elif style == "waltz":
                hits = (0.0,) if pos == 0 else ()
            elif style == "ballad":
                hits = (0.0,) if pos in (0, 2) else ()
            elif style == "classical":
                hits = (0.0,) if pos == 0 else ()
            elif style == "electronic":
                hits = (0.5,)
            else:
                hits = (0.0,) if pos != 3 else (0.0, 0.5)
            for h in hits:
                note = bass_note + (7 if (b == meter - 1 and h > 0 and rng.random() < 0.5) else 0)
                dur = beat * (0.45 if len(hits) > 1 or style == "electronic" else 0.9)
                if style == "classical":
                    dur = beat * meter * 0.9
                s = tone("bass", note, dur, partials=tim.bass, decay=0.6)
                mix.add(t0 + (b + h) * beat + jit(), s, lv["bass"] * rng.uniform(0.85, 1.0))
        # Chords.
        if style == "ballad":
            # Arpeggio in 8th notes over the chord (plus the octave).
            # Arpeggio over the chord (plus the octave): 8th notes when slow, quarters when
            # fast, so that the player's note rate stays natural.
            arp = notes + [notes[0] + 12]
            order = [0, 1, 2, 3, 2, 1]
            sub = 2 if bpm < 90 else 1
            for e in range(beats_per_chord * sub):
                if t0 + e * beat / sub >= seconds:
                    break
                m = arp[order[e % len(order)] % len(arp)]
                s = tone("arp", m, beat * 0.9, partials=tim.chord, decay=0.5)
                acc = 1.0 if e % sub == 0 else 0.6
                tt = t0 + e * beat / sub + jit()
                mix.add(tt, s, 1.6 * lv["chord"] * acc * rng.uniform(0.8, 1))
        elif style == "classical":
            # Alberti figure: low root, fifth, third, fifth; 16ths when slow, else 8ths.
            third, fifth = notes[1], notes[2]
            root = bass_note + 12
            figure = [root, fifth, third, fifth]
            sub = 4 if bpm < 80 else 2
            for e in range(beats_per_chord * sub):
                if t0 + e * beat / sub >= seconds:
                    break
                m = figure[e % len(figure)]
                s = tone("alberti", m, beat / sub * 1.5, partials=tim.chord, decay=0.3)
                acc = 1.0 if e % sub == 0 else 0.7
                if e % (meter * sub) == 0:
                    acc = 1.15
                tt = t0 + e * beat / sub + jit()
                mix.add(tt, s, 1.4 * lv["chord"] * acc * rng.uniform(0.85, 1))
        elif style == "waltz":
            for b in range(1, meter):
                for m in notes:
                    s = tone("chord", m, beat * 0.8, partials=tim.chord, decay=0.4)
                    mix.add(t0 + b * beat + jit(), s, lv["chord"] * rng.uniform(0.8, 1.0))
            if bars_per_chord > 1:
                pass
        else:
            if tim.keys_piano:
                hits = [0, 2] if meter == 4 else [0]
                hold = 2 * beat
                for bar in range(bars_per_chord):
                    for h in hits:
                        for m in notes:
                            s = tone("piano", m, hold, partials=tim.chord, decay=0.7)
                            tt = t0 + (bar * meter + h) * beat + jit()
                            mix.add(tt, s, lv["chord"] * rng.uniform(0.8, 1.0))
            else:
                hold = beats_per_chord * beat
                for m in notes:
                    s = tone("pad", m, hold, partials=tim.chord, attack=0.08, release=0.2)
                    mix.add(t0, s, 0.8 * lv["chord"])
        # Melody: 8th and quarter notes on the scale, chord tones on strong beats.
        t = t0
        end = t0 + beats_per_chord * beat
        chord_pcs = {m % 12 for m in notes}
        while t < end - 1e-6 and t < seconds:
            dur = beat * (0.5 if rng.random() < 0.5 else 1.0)
            if rng.random() < 0.15:
                t += dur
                continue
            beat_pos = (t - t0) / beat
            strong = abs(beat_pos - round(beat_pos)) < 1e-6
            cands = []
            for o in range(-5, 6):
                m = prev + o
                pc = (m - key.tonic) % 12
                in_scale = pc in scale or (minor and root == 7 and pc == 11)
                if minor and root == 7 and pc == 10:
                    in_scale = False
                if in_scale and (not strong or m % 12 in chord_pcs):
                    cands.append(m)
            if not cands:
                cands = [prev]
            m = int(cands[rng.integers(len(cands))])
            if abs(m - lead_oct) > 9:
                m -= 12 * int(np.sign(m - lead_oct))
            prev = m
            s = tone("lead", m, dur * 0.9, partials=tim.lead, decay=0.8)
            mix.add(t + jit(), s, lv["lead"] * rng.uniform(0.8, 1.0))
            t += dur
    y = mix.out
    # Simple stereo: the second channel is slightly delayed and filtered.
    right = np.concatenate([np.zeros(7), y[:-7]]) * 0.9 + 0.1 * y
    out = np.stack([y, right], axis=1)
    peak = np.max(np.abs(out)) or 1.0
    return (0.9 * out / peak).astype(np.float32)


def drum_groove(style: str, *, bpm: float = 110.0, seconds: float = 30.0, sr: int = 44100,
                seed: int = 0) -> np.ndarray:
    """The drums of :func:`render_song`'s ``style`` alone: a kick (a sine falling to 42-60
    Hz), a snare (noise and a 160-240 Hz tone) and hi-hats, with random levels and timing.

    Returns
    -------
    numpy.ndarray
        Mono float32 signal, peak about 0.9.
    """
    if style not in STYLES or style in ("ballad", "classical"):
        raise ValueError(f"style must be one of the styles with drums, got {style!r}")
    rng = np.random.default_rng(seed)
    tim = _Timbres(rng)
    mix = _Mixer(int(seconds * sr), sr)
    beat = 60.0 / bpm
    meter = 3 if style == "waltz" else 4
    _drums(style, mix, beat, int(np.ceil(seconds / beat)), meter, rng, tim)
    return (0.9 * mix.out / (np.max(np.abs(mix.out)) or 1.0)).astype(np.float32)


def click_track(bpm: float, seconds: float, sr: int = 44100, *, accent: int = 4) -> np.ndarray:
    """A metronome: a 1 kHz click each beat (2 kHz on every ``accent``-th beat).

    Returns
    -------
    numpy.ndarray
        Mono float32 signal.
    """
    if bpm <= 0:
        raise ValueError(f"bpm must be positive, got {bpm!r}")
    mix = _Mixer(int(seconds * sr), sr)
    t = np.arange(int(0.03 * sr)) / sr
    env = np.exp(-t / 0.005)
    lo = np.sin(2 * np.pi * 1000 * t) * env
    hi = np.sin(2 * np.pi * 2000 * t) * env
    for b in range(int(np.ceil(seconds * bpm / 60.0))):
        mix.add(b * 60.0 / bpm, hi if b % accent == 0 else lo, 0.8)
    return mix.out.astype(np.float32)


def chord_progression(
    key: Key, *, seconds: float = 8.0, sr: int = 44100, bpm: float = 90.0, seed: int = 0
) -> np.ndarray:
    """Only sustained piano-like chords and a bass note, one chord per bar, in ``key``.

    Returns
    -------
    numpy.ndarray
        Mono float32 signal.
    """
    rng = np.random.default_rng(seed)
    progs = _MINOR_PROGS if key.mode == "minor" else _MAJOR_PROGS
    prog = progs[rng.integers(len(progs))]
    bar = 4 * 60.0 / bpm
    mix = _Mixer(int(seconds * sr), sr)
    n_bars = int(np.ceil(seconds / bar))
    for c in range(n_bars):
        root, qual = prog[c % len(prog)] if c < n_bars - 1 else prog[0]
        for m in _chord_notes(key.tonic, root, qual):
            mix.add(c * bar, _tone(sr, m, bar, partials=(1.0, 0.5, 0.3, 0.2), decay=1.5), 0.2)
        bass = 36 + (((key.tonic + root) % 12 - 36) % 12)
        mix.add(c * bar, _tone(sr, bass, bar, partials=(1.0, 0.5, 0.3), decay=1.0), 0.3)
    y = mix.out
    return (0.9 * y / (np.max(np.abs(y)) or 1.0)).astype(np.float32)


def noise(seconds: float, sr: int = 44100, *, seed: int = 0, level: float = 0.3) -> np.ndarray:
    """White Gaussian noise (mono float32) with RMS ``level``."""
    rng = np.random.default_rng(seed)
    return (level * rng.standard_normal(int(seconds * sr))).astype(np.float32)


def applause(seconds: float, sr: int = 44100, *, seed: int = 0, level: float = 0.1,
             claps_per_s: float = 60.0) -> np.ndarray:
    """Applause (mono float32 with RMS ``level``): claps at random times, each a burst of
    noise of a few milliseconds band-limited to 300-3000 Hz, over a soft crowd murmur."""
    rng = np.random.default_rng(seed)
    n = int(seconds * sr)
    y = 0.3 * rng.standard_normal(n)
    burst = int(0.005 * sr)
    decay = np.exp(-np.arange(burst) / (burst / 6.0))
    for at in rng.integers(0, max(1, n - burst), size=int(seconds * claps_per_s)):
        y[at : at + burst] += rng.uniform(0.3, 1.0) * rng.standard_normal(burst) * decay
    sos = scipy.signal.butter(2, [300.0, min(3000.0, 0.45 * sr)], btype="bandpass", fs=sr,
                              output="sos")
    y = scipy.signal.sosfilt(sos, y)
    return (level * y / max(float(np.sqrt(np.mean(y**2))), 1e-12)).astype(np.float32)


def silence(seconds: float, sr: int = 44100) -> np.ndarray:
    """Digital silence (mono float32 zeros)."""
    return np.zeros(int(seconds * sr), dtype=np.float32)
