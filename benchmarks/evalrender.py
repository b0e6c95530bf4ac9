"""Render one item of the evaluation set: score -> performed MIDI -> FluidSynth -> mastered audio.

A *classical* source is played as written by a chosen ensemble (string quartet, organ,
choir, winds, brass, piano) with slow rubato, held fermatas and humanized timing.  A
*tune* is harmonized bar by bar (the diatonic triad that covers most of the melody, tonic
first and last) and accompanied by bass and a comping instrument, with or without a drum
groove (GM percussion channel) of one of :data:`GROOVES`.  FluidSynth (the ``fluidsynth``
command) renders the MIDI with a General MIDI soundfont; a synthetic room reverb and
mastering to a loudness target follow.

Items may also carry ``detune_cents`` (every pitched channel bent by that many cents, with
the bend range set to two semitones: the whole render is out of tune, its tempo unchanged)
and ``master`` (``"lofi"``: a band-pass from 120 Hz to ``lowpass_hz``; ``"bright"``: a high
shelf of ``shelf_db`` above 4 kHz), applied before the loudness target.
"""

from __future__ import annotations

import os
import subprocess
import tempfile

import numpy as np

from benchmarks.evalgrooves import CH, CRASH, GROOVES, KITS
from benchmarks.evalgrooves2 import FIT_BASSES, FIT_COMPS, FIT_GROOVES

__all__ = ["GROOVES", "KITS", "LEADS", "COMPS", "BASSES", "perform", "fluidsynth", "midi_part",
           "render_item", "rms"]

_ENSEMBLES = {"strings": (40, 40, 41, 42), "string orchestra": (48, 48, 49, 48),
              "organ": (19, 19, 19, 19), "choir": (52, 52, 53, 52),
              "winds": (73, 68, 71, 70), "brass": (56, 60, 57, 58), "piano": (0, 0, 0, 0)}
LEADS = (73, 68, 65, 56, 80, 81, 11, 22, 71, 40)
COMPS = (0, 4, 5, 16, 24, 25, 27, 48, 88, 89, 2)
BASSES = (32, 33, 34, 35, 38, 39)
_MAJOR_CHORDS = ((0, (0, 4, 7), 0.3), (5, (0, 4, 7), 0.2), (7, (0, 4, 7), 0.2),
                 (9, (0, 3, 7), 0.05), (2, (0, 3, 7), 0.0), (4, (0, 3, 7), -0.1))
_MINOR_CHORDS = ((0, (0, 3, 7), 0.3), (5, (0, 3, 7), 0.15), (7, (0, 4, 7), 0.2),
                 (8, (0, 4, 7), 0.05), (3, (0, 4, 7), 0.05), (10, (0, 4, 7), 0.0))


def _part_programs(names: list[str], ensemble: str, rng) -> list[int]:
    progs = []
    choice = _ENSEMBLES[ensemble]
    for i, name in enumerate(names):
        if "viola" in name:
            progs.append(41)
        elif "cello" in name:
            progs.append(42)
        elif "violin" in name:
            progs.append(40)
        elif "piano" in name or "pianoforte" in name:
            progs.append(int(rng.choice([0, 0, 1])))
        elif any(w in name for w in ("voice", "voce", "singstimme", "canto")):
            progs.append(int(rng.choice([52, 53, 73, 68, 71])))
        else:
            progs.append(choice[min(i, 3)])
    return progs


def _tempo_map(n_beats: float, bpm: float, rubato: float, rng):
    """Seconds at each beat position (grid of 1/16 beat) for a drifting tempo."""
    grid = np.arange(0.0, n_beats + 8.0, 1.0 / 16)
    if rubato > 0:
        p1, p2 = rng.uniform(6, 14), rng.uniform(14, 32)
        f = 1 + rubato * (0.6 * np.sin(2 * np.pi * grid / p1 + rng.uniform(0, 6.3))
                          + 0.4 * np.sin(2 * np.pi * grid / p2 + rng.uniform(0, 6.3)))
    else:
        f = np.ones_like(grid)
    dt = 60.0 / (bpm * f) / 16
    t = np.concatenate([[0.0], np.cumsum(dt[:-1])])
    return grid, t


def _classical(item, src, rng):
    beat_ql = src["beat_ql"]
    bpm = item["bpm"]
    max_beats = item["seconds"] * bpm / 60.0
    start = src["pickup_ql"]
    grid, tmap = _tempo_map(max_beats, bpm, item["rubato"], rng)
    fermatas = sorted({(o + d - start) / beat_ql for o, d, *_r, f in src["notes"] if f})
    hold = 1.0 * 60.0 / bpm  # a fermata holds about one more beat

    def sec(b):
        extra = hold * np.searchsorted(fermatas, b - 1e-6, side="left")
        return float(np.interp(b, grid, tmap)) + extra

    progs = _part_programs(src["parts"], item["ensemble"], rng)
    events = []
    for o, d, midi, part, ferm in src["notes"]:
        b = (o - start) / beat_ql
        if b < 0 or b >= max_beats:
            continue
        t0 = sec(b) + rng.normal(0, 0.012)
        t1 = sec(b + d / beat_ql) + (hold * 0.9 if ferm else 0.0)
        vel = int(np.clip(rng.normal(78 if part == 0 else 68, 8), 30, 120))
        events.append((max(0.0, t0), max(0.08, t1 - t0 - 0.02), midi + item["transpose"],
                       vel, part % 15))
    return events, {i % 15: p for i, p in enumerate(progs)}, None


def _harmonize(src, tonic_pc: int):
    """Root pitch class and chord intervals for each bar of a tune (tonic first and last)."""
    chords = _MAJOR_CHORDS if src["mode"] == "major" else _MINOR_CHORDS
    bar, start = src["bar_ql"], src["pickup_ql"]
    n_bars = int(np.ceil((src["length_ql"] - start) / bar))
    out = []
    for k in range(n_bars):
        lo, hi = start + k * bar, start + (k + 1) * bar
        w = np.zeros(12)
        for o, d, midi, *_r in src["notes"]:
            a, b = max(o, lo), min(o + d, hi)
            if b > a:
                w[midi % 12] += (b - a) * (1.5 if abs(o - lo) < 1e-6 else 1.0)
        best = None
        for deg, ivs, bias in chords:
            root = (src["tonic"] + deg) % 12
            score = sum(w[(root + i) % 12] for i in ivs) + bias * bar
            if best is None or score > best[0]:
                best = (score, deg, ivs)
        if k in (0, n_bars - 1):
            best = (0, 0, chords[0][1])
        out.append(((tonic_pc + best[1]) % 12, best[2]))
    return out


def _tune(item, src, rng):
    bpm, groove = item["bpm"], item["groove"]
    beat_s = 60.0 / bpm
    stretch = item["stretch"]  # groove beats per melody beat
    tonic = (src["tonic"] + item["transpose"]) % 12
    chords = _harmonize(src, tonic)
    bar_beats = src["bar_ql"] / src["beat_ql"] * stretch  # groove beats per tune bar
    tune_beats = len(chords) * bar_beats
    total_beats = item["seconds"] / beat_s
    events = []
    lead, comp, bass = item["programs"]
    jit = 0.006
    for rep in range(int(np.ceil(total_beats / tune_beats))):
        base = rep * tune_beats
        for o, d, midi, *_r in src["notes"]:
            b = base + (o - src["pickup_ql"]) / src["beat_ql"] * stretch
            if b < 0 or b >= total_beats:
                continue
            dur = d / src["beat_ql"] * stretch * beat_s
            events.append((b * beat_s + rng.normal(0, jit), max(0.08, dur * 0.9),
                           midi + item["transpose"] + 12 * item["octave"],
                           int(np.clip(rng.normal(92, 8), 40, 127)), 0))
        for k, (root, ivs) in enumerate(chords):
            b0 = base + k * bar_beats
            if b0 >= total_beats:
                break
            _accompany(events, b0, bar_beats, beat_s, root, ivs, item, rng, jit)
    progs = {0: lead, 1: comp, 2: bass}
    return events, progs, (groove, total_beats, beat_s) if groove != "none" else None


def _accompany(events, b0, bar_beats, beat_s, root, ivs, item, rng, jit):
    """Bass and comping notes for one chord lasting ``bar_beats`` beats from beat ``b0``."""
    pattern = item["comp"]
    bass_note = 36 + (root - 36) % 12
    chord = [48 + (root - 48) % 12 + i for i in ivs]
    chord = [n + 12 if n < 52 else n for n in chord]
    order = None
    if pattern in FIT_COMPS:
        step, order = FIT_COMPS[pattern]
    else:
        step = {"block": 1.0, "arp": 0.5, "sustain": bar_beats, "offbeat": 1.0,
                "strum": 0.5}[pattern]
    b = 0.0
    while b < bar_beats - 1e-6:
        t = (b0 + b) * beat_s
        if pattern == "offbeat":
            t += 0.5 * beat_s
        if pattern == "arp":
            notes = [chord[int(round(b / step)) % len(chord)]]
        elif order is not None:
            notes = [sorted(chord)[order[int(round(b / step)) % len(order)]]]
        else:
            notes = chord
        for n in notes:
            events.append((t + rng.normal(0, jit), step * beat_s * 0.9, n,
                           int(np.clip(rng.normal(70, 8), 30, 110)), 1))
        b += step
    bass_step = FIT_BASSES.get(item["bass"]) or {"whole": bar_beats, "half": 2.0, "beat": 1.0,
                                                 "eighth": 0.5}[item["bass"]]
    b = 0.0
    while b < bar_beats - 1e-6:
        events.append(((b0 + b) * beat_s + rng.normal(0, jit), bass_step * beat_s * 0.85,
                       bass_note, int(np.clip(rng.normal(96, 6), 50, 127)), 2))
        b += bass_step


def _drums(groove, total_beats, beat_s, rng):
    steps, per_beat, parts = GROOVES[groove] if groove in GROOVES else FIT_GROOVES[groove]
    step_s = beat_s / per_beat
    bar_s = steps * step_s
    events = []
    for bar in range(int(np.ceil(total_beats * per_beat / steps))):
        t_bar = bar * bar_s
        if bar % 8 == 0:
            events.append((t_bar, 0.5, CRASH, 100, 9))
        for drum, hits in parts.items():
            for s, vel in hits:
                t = t_bar + s * step_s + rng.normal(0, 0.004)
                if t / beat_s >= total_beats:
                    continue
                v = int(np.clip(vel + rng.normal(0, 6), 20, 127))
                events.append((max(0.0, t), 0.1, drum, v, 9))
        if groove == "trap" and bar % 2 == 1:  # a hi-hat roll in 32nd notes
            for j in range(8):
                events.append((t_bar + 12 * step_s + j * step_s / 2, 0.05, CH, 60 + 4 * j, 9))
    return events


def perform(item: dict, source: dict, *, seed: int):
    """Events ``(time s, duration s, MIDI note, velocity, channel)`` and programs of an item."""
    rng = np.random.default_rng(seed)
    if source["kind"] == "tune":
        events, progs, drums = _tune(item, source, rng)
        if drums is not None:
            events += _drums(*drums, rng)
    else:
        events, progs, _ = _classical(item, source, rng)
    return events, progs


def _write_midi(events, progs, kit, path, *, detune_cents=0.0):
    import mido

    tpb = 480
    mf = mido.MidiFile(ticks_per_beat=tpb)
    track = mido.MidiTrack()
    mf.tracks.append(track)
    track.append(mido.MetaMessage("set_tempo", tempo=500000, time=0))  # 960 ticks per second
    msgs = []
    for ch, prog in progs.items():
        msgs.append((0, 0, mido.Message("program_change", channel=ch, program=int(prog))))
    if kit is not None:
        msgs.append((0, 0, mido.Message("program_change", channel=9, program=int(kit))))
    if detune_cents:  # bend range two semitones (RPN 0), then a bend of detune_cents
        bend = int(round(8192 * detune_cents / 200.0))
        for ch in (c for c in progs if c != 9):
            for cc, value in ((101, 0), (100, 0), (6, 2), (38, 0), (101, 127), (100, 127)):
                msgs.append((0, 0, mido.Message("control_change", channel=ch, control=cc,
                                                value=value)))
            msgs.append((0, 0, mido.Message("pitchwheel", channel=ch, pitch=bend)))
    for t, d, note, vel, ch in events:
        if not 0 <= note <= 127:
            continue
        on, off = max(0, int(round(t * 960))), int(round((t + d) * 960))
        msgs.append((on, 2, mido.Message("note_on", channel=ch, note=int(note), velocity=vel)))
        msgs.append((max(off, on + 1), 1, mido.Message("note_off", channel=ch, note=int(note))))
    msgs.sort(key=lambda m: (m[0], m[1]))
    now = 0
    for tick, _, msg in msgs:
        track.append(msg.copy(time=tick - now))
        now = tick
    mf.save(path)


def _reverb(y, sr, rt60, wet, rng):
    import scipy.signal

    n = int(min(rt60, 3.0) * sr)
    t = np.arange(n) / sr
    env = np.exp(-6.9 * t / rt60)
    out = np.empty_like(y)
    pre = int(rng.uniform(0.008, 0.03) * sr)
    for c in range(y.shape[1]):
        ir = rng.normal(0, 1, n) * env
        ir = scipy.signal.lfilter([0.3], [1, -0.7], ir)  # darker tail
        ir = np.concatenate([np.zeros(pre), ir / np.sqrt(np.sum(ir**2))])
        out[:, c] = y[:, c] + wet * scipy.signal.fftconvolve(y[:, c], ir)[: len(y)]
    return out


def _color(y, sr, item):
    """The item's master colour: a lo-fi band-pass or a bright high shelf (else unchanged)."""
    import scipy.signal

    master = item.get("master", "plain")
    if master == "lofi":
        sos = scipy.signal.butter(4, [120.0, item["lowpass_hz"]], btype="bandpass", fs=sr,
                                  output="sos")
        return scipy.signal.sosfiltfilt(sos, y, axis=0)
    if master == "bright":
        sos = scipy.signal.butter(2, 4000.0, btype="highpass", fs=sr, output="sos")
        gain = 10 ** (item["shelf_db"] / 20) - 1.0
        return y + gain * scipy.signal.sosfiltfilt(sos, y, axis=0)
    return y


def _master(y, sr, target_lufs, compress, rng):
    from core.analysis.loudness import LoudnessMeter

    if compress:  # a slow RMS compressor on the sum, then a soft limiter
        import scipy.ndimage

        p = scipy.ndimage.uniform_filter1d(np.mean(y**2, axis=1), int(0.05 * sr))
        level = 10 * np.log10(p + 1e-10)
        thr = np.percentile(level, 60)
        gain_db = np.where(level > thr, -(level - thr) * (1 - 1 / 3.0), 0.0)
        y = y * (10 ** (gain_db / 20))[:, None]
    meter = LoudnessMeter(sr, y.shape[1])
    meter.process(y.astype(np.float32))
    lufs = meter.integrated_lufs()
    if lufs is None:
        return y
    y = y * 10 ** ((target_lufs - lufs) / 20)
    peak = float(np.max(np.abs(y)))
    if compress:
        y = np.tanh(y / 0.95) * 0.95 if peak > 0.95 else y
    elif peak > 0.89:
        y = y * 0.89 / peak
    return y


def midi_part(src, keep, change=None):
    """A MIDI file (:class:`mido.MidiFile`) holding ``src``'s meta messages and the other
    messages ``keep(msg)`` accepts, each replaced by ``change(msg)`` when given, at the times
    they had in ``src`` (one part of a song, to be rendered alone)."""
    import mido

    out = mido.MidiFile(ticks_per_beat=src.ticks_per_beat)
    for track in src.tracks:
        kept, wait = mido.MidiTrack(), 0
        for msg in track:
            wait += msg.time
            if msg.is_meta or keep(msg):
                if not msg.is_meta and change is not None:
                    msg = change(msg)
                kept.append(msg.copy(time=wait))
                wait = 0
        out.tracks.append(kept)
    return out


def rms(y: np.ndarray) -> float:
    """Root mean square of audio (0.0 for none)."""
    return float(np.sqrt(np.mean(y**2))) if y.size else 0.0


def fluidsynth(mid: str, wav: str, *, sr: int, soundfont: str) -> None:
    """Render a MIDI file to a WAV file with the ``fluidsynth`` command and a soundfont.

    Raises
    ------
    RuntimeError
        When FluidSynth fails or writes nothing.
    """
    # Dynamic sample loading reads only the samples of the programs in use: the same
    # audio, but a large compressed soundfont loads in seconds rather than a quarter minute.
    cmd = ["fluidsynth", "-ni", "-q", "-R", "0", "-C", "0", "-g", "0.6", "-r", str(sr),
           "-o", "synth.dynamic-sample-loading=1", "-T", "wav", "-F", wav, soundfont, mid]
    proc = subprocess.run(cmd, capture_output=True, timeout=600, check=False)
    if proc.returncode != 0 or not os.path.exists(wav):
        raise RuntimeError(f"fluidsynth failed on {mid}: {proc.stderr[-300:]!r}")


def render_item(item: dict, source: dict, soundfont: str, out_path: str, *,
                retime=None, post=None, synth=fluidsynth) -> None:
    """Render one planned item to a FLAC file (16-bit, stereo, the item's sample rate).

    Parameters
    ----------
    item, source : dict
        The planned item and its source (see :mod:`benchmarks.evalset`).
    soundfont : str
        Path of the General MIDI soundfont.
    out_path : str
        The FLAC file written.
    retime : callable, optional
        ``retime(events) -> events``: moves the performed events (times and durations in
        seconds) before the MIDI file is written, e.g. a tempo drift.
    post : callable, optional
        ``post(y, sr) -> y``: changes the audio (frames x 2) after the room and the colour,
        before the loudness target.
    synth : callable, optional
        ``synth(mid, wav, *, sr, soundfont)``: renders the MIDI file to a WAV file
        (default :func:`fluidsynth`).

    Raises
    ------
    RuntimeError
        When the synthesizer fails or writes nothing.
    """
    import soundfile as sf

    seed = item["seed"]
    rng = np.random.default_rng(seed + 1)
    events, progs = perform(item, source, seed=seed)
    if retime is not None:
        events = retime(events)
    kit = item.get("kit")
    sr = item["sr"]
    with tempfile.TemporaryDirectory() as d:
        mid, wav = os.path.join(d, "x.mid"), os.path.join(d, "x.wav")
        _write_midi(events, progs, kit, mid, detune_cents=item.get("detune_cents", 0.0))
        try:
            synth(mid, wav, sr=sr, soundfont=soundfont)
        except RuntimeError as exc:
            raise RuntimeError(f"{item['id']}: {exc}") from exc
        y, sr = sf.read(wav, dtype="float64", always_2d=True)
    y = y[: int(item["seconds"] * sr)]
    y = _reverb(y, sr, item["rt60"], item["wet"], rng)
    y = _color(y, sr, item)
    if post is not None:
        y = post(y, sr)
    y = _master(y, sr, item["lufs"], item["compress"], rng)
    tmp = out_path + ".tmp.flac"
    sf.write(tmp, y.astype(np.float32), sr, subtype="PCM_16")
    os.replace(tmp, out_path)
