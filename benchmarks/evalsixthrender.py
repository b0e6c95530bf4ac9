"""The ``sixth`` edition's instruments: Csound models for the pitched parts, sample kits for
the drums, mixed in Python.

**Pitched parts.**  Each MIDI channel of a performed item (see
:func:`benchmarks.evalrender.perform`) is rendered on its own by Csound (package
``csound``) with the instrument :func:`gm_instrument` gives its General MIDI program:
waveguide models (``wgpluck2`` plucked strings and basses, ``pluck``, Karplus-Strong steel
strings, ``wgbow`` bowed strings, ``wgclar`` clarinet and reeds), modal and FM instruments
(``marimba``, ``vibes``, ``fmrhode`` electric piano, also for the pianos, ``fmb3`` organ,
``fmbell`` bells) and subtractive and additive ones (pipe organ, flute, double reed,
brass, leads, pads, choir, synth bass), every note at its velocity, pitch bend (detuning)
included.  Csound runs at four times the item's sample rate (the waveguides' pitch is then
within about 10 cents up to C7) and the stem is decimated.  The flute and brass waveguides
(``wgflute``, ``wgbrass``) are not used: they sound off pitch by up to a semitone.

**Drums.**  The percussion channel is played from recorded samples: a Hydrogen drum kit
(package ``hydrogen-drumkits``, :data:`benchmarks.evalsixthgrooves.DRUM_KITS`; velocity
layers where the kit has them), the ``Gimme A Hand`` kit for hand percussion a drum kit
lacks (and the cajon and bongos of the ``"hands"`` set), the ``circAfrique`` kit for the
``"african"`` set and Sonic Pi's tabla strokes and hits (package ``sonic-pi-samples``) for
the ``"tabla"`` set and the rest.

**Mix.**  Every stem is brought to an RMS of its own (``levels_db`` in the manifest: the
lead, the accompaniment, the bass and the drums, or the parts of a classical piece) and
panned (``pans``); :func:`benchmarks.evalrender.render_item` then adds the room, the
master colour, the fifth edition's variation and the loudness target.
"""

from __future__ import annotations

import functools
import json
import os
import re
import subprocess
import tempfile

import numpy as np

#: What the manifest's ``soundfont`` names for this edition: the Csound command.
CSOUND_ORCHESTRA = "csound"
#: Csound's sample rate as a multiple of the item's, for the waveguide instruments.
OVERSAMPLE = 4
#: The instruments rendered at :data:`OVERSAMPLE` times the sample rate (the others at it).
OVERSAMPLED = ("nylon", "bow", "clarinet", "pluckbass")
HYDROGEN_KITS = "/usr/share/hydrogen/data/drumkits"
SONIC_PI_SAMPLES = "/usr/share/sonic-pi/samples"
__all__ = ["CSOUND_ORCHESTRA", "OVERSAMPLE", "OVERSAMPLED", "HYDROGEN_KITS", "SONIC_PI_SAMPLES",
           "INSTRUMENTS", "SIXTH_LEADS", "SIXTH_COMPS", "gm_instrument", "orchestra", "csound_stem", "read_midi",
           "load_kit", "drum_roles", "drum_stem", "vary_sixth", "mix_synth", "mix_stems",
           "stem_report", "render_sixth"]

_HEADER = """sr = {sr}
ksmps = 32
nchnls = 1
0dbfs = 1
giSine ftgen 0, 0, 65536, 10, 1
giImp ftgen 0, 0, 256, 7, 0, 3, 1, 6, -0.7, 10, 0.35, 20, -0.1, 217, 0
giSaw ftgen 0, 0, 16384, 7, -1, 16384, 1
"""
#: Instrument name -> Csound instrument body (p4 frequency in Hz, p5 amplitude 0-1, p6 a
#: brightness or variant 0-1).  Every body writes its signal to ``aout``.
INSTRUMENTS = {
    "nylon": """ kenv linsegr 1, p3, 1, 0.15, 0
 aout wgpluck2 0.2 + 0.3 * p6, p5, p4, 0.25, 0.45
 aout = aout * kenv""",
    "steel": """ kenv linsegr 1, p3, 1, 0.12, 0
 aout pluck p5, p4, p4, 0, 1
 aout = (p6 > 0.5 ? tanh(aout * 6) * 0.4 : aout) * kenv""",
    "bow": """ kenv linsegr 0, 0.07, 1, p3, 1, 0.18, 0
 kvib linseg 0, 0.25, 0.004
 aout wgbow p5 * kenv, p4, 3 + p6, 0.127, 5.2, kvib, giSine""",
    "clarinet": """ kenv linsegr 0, 0.03, 1, p3, 1, 0.12, 0
 aout wgclar p5 * kenv, p4, -0.3 - 0.2 * p6, 0.05, 0.1, 0.2, 5.5, 0.008, giSine
 aout dcblock2 aout""",
    "marimba": """ aout marimba p5, p4, 0.4 + 0.4 * p6, 0.561, giImp, 6, 0.02, giSine, 1.5""",
    "vibes": """ aout vibes p5, p4, 0.5, 0.5, giImp, 4.5, 0.25, giSine, 2""",
    "rhodes": """ kenv linsegr 1, p3, 1, 0.25, 0
 aout fmrhode p5, p4 * 2, 4 + 3 * p6, 0, 0.01, 3, giSine, giSine, giSine, giSine, giSine
 aout = aout * kenv""",
    "b3": """ kenv linsegr 0, 0.01, 1, p3, 1, 0.08, 0
 aout fmb3 p5, p4, 4 + 3 * p6, 0, 0.008, 6, giSine, giSine, giSine, giSine, giSine
 aout = aout * kenv""",
    "bell": """ aout fmbell p5, p4, 1.5 + p6, 1.5, 0.005, 4, giSine, giSine, giSine, giSine, giSine, 2""",
    "pipes": """ kenv linsegr 0, 0.04, 1, p3, 1, 0.2, 0
 a1 = oscili(1, p4) + oscili(0.6, p4 * 2) + oscili(0.35, p4 * 3)
 a2 = oscili(0.4, p4 * 4) + oscili(0.15, p4 * 6) + oscili(0.2 * p6, p4 * 8)
 aout = (a1 + a2) * p5 * kenv * 0.4""",
    "flute": """ kenv linsegr 0, 0.06, 1, p3, 1, 0.12, 0
 kvib linseg 0, 0.3, 0.006
 kf = p4 * (1 + kvib * oscili(1, 5))
 anoise butterbp rand(1), p4 * 2, p4 * 0.5
 a1 = oscili(1, kf) + oscili(0.2, kf * 2) + oscili(0.06, kf * 3)
 aout = (a1 + anoise * (0.15 + 0.1 * p6)) * p5 * kenv * 0.6""",
    "reed": """ kenv linsegr 0, 0.03, 1, p3, 1, 0.1, 0
 kvib linseg 0, 0.3, 0.004
 kf = p4 * (1 + kvib * oscili(1, 5.5))
 asrc vco2 1, kf, 2, 0.2 + 0.2 * p6
 a1 = butterbp(asrc, 1100, 500) + butterbp(asrc, 2600, 900) * 0.5
 aout = (a1 + butterlp(asrc, 800) * 0.4) * p5 * kenv""",
    "brass": """ kenv linsegr 0, 0.04, 1, p3, 0.9, 0.12, 0
 kcut linsegr p4 * 1.5, 0.06, p4 * (4 + 6 * p5), p3, p4 * (3 + 4 * p5), 0.12, p4
 asrc vco2 1, p4
 aout moogladder asrc, limit(kcut, 40, 15000), 0.1
 aout = aout * p5 * kenv""",
    "lead": """ kenv linsegr 0, 0.01, 1, p3, 0.8, 0.1, 0
 kvib linseg 0, 0.2, 0.003
 kf = p4 * (1 + kvib * oscili(1, 5.8))
 asrc vco2 1, kf, p6 > 0.5 ? 0 : 10
 aout moogladder asrc, limit(p4 * 6, 200, 12000), 0.3
 aout = aout * p5 * kenv""",
    "pad": """ kenv linsegr 0, 0.25 + 0.3 * p6, 1, p3, 1, 0.5, 0
 a1 vco2 1, p4 * 1.003
 a2 vco2 1, p4 * 0.997
 a3 vco2 0.5, p4 * 2.002
 aout moogladder (a1 + a2 + a3) * 0.4, limit(p4 * 5, 300, 9000), 0.15
 aout = aout * p5 * kenv""",
    "choir": """ kenv linsegr 0, 0.2, 1, p3, 1, 0.4, 0
 kvib linseg 0, 0.3, 0.005
 kf = p4 * (1 + kvib * oscili(1, 5.2))
 a1 vco2 1, kf * 1.002
 a2 vco2 1, kf * 0.998
 asrc = (a1 + a2) * 0.5
 a3 = butterbp(asrc, 700 + 100 * p6, 110) + butterbp(asrc, 1150, 120) * 0.7
 aout = (a3 + butterbp(asrc, 2600, 200) * 0.3) * p5 * kenv * 3""",
    "pluckbass": """ kenv linsegr 1, p3, 1, 0.08, 0
 aout wgpluck2 0.15, p5, p4, 0.2 + 0.2 * p6, 0.35
 aout = aout * kenv""",
    "synthbass": """ kenv linsegr 0, 0.005, 1, p3, 0.7, 0.06, 0
 kcut expsegr p4 * 12, 0.25, p4 * 3, p3, p4 * 3, 0.06, p4 * 2
 asrc vco2 1, p4, p6 > 0.5 ? 10 : 0
 aout moogladder asrc, limit(kcut, 40, 8000), 0.4
 aout = aout * p5 * kenv""",
}
_NAMES = tuple(INSTRUMENTS)


def gm_instrument(program: int) -> str:
    """The instrument of :data:`INSTRUMENTS` that plays General MIDI ``program``."""
    table = ((range(0, 6), "rhodes"), ((6, 7), "steel"), ((8, 9, 10, 14), "bell"),
             ((11,), "vibes"), ((12, 13, 47), "marimba"), ((15, 24, 46), "nylon"),
             ((16, 17, 18), "b3"), ((19, 20), "pipes"), ((21, 22, 23), "reed"),
             (range(25, 32), "steel"), (range(32, 38), "pluckbass"), ((38, 39), "synthbass"),
             ((40, 41, 42, 43, 44), "bow"), ((45,), "steel"), ((52, 53, 54), "choir"),
             (range(56, 64), "brass"), ((64, 65, 66, 67, 70, 71), "clarinet"),
             ((68, 69), "reed"), (range(72, 80), "flute"), (range(80, 88), "lead"))
    for programs, name in table:
        if program in programs:
            return name
    return "pad"


def orchestra(sr: int) -> str:
    """The Csound orchestra of every instrument of :data:`INSTRUMENTS`, numbered from 1 in
    their order, at sample rate ``sr``."""
    body = [_HEADER.format(sr=sr)]
    for i, name in enumerate(_NAMES, start=1):
        body.append(f"instr {i} ; {name}\n{INSTRUMENTS[name]}\n out aout\nendin\n")
    return "\n".join(body)


def csound_stem(notes, instrument: str, sr: int, *, seconds: float, variant: float = 0.5,
                folder: str | None = None) -> np.ndarray:
    """Render notes with one instrument: a mono stem at ``sr`` (Csound runs at
    :data:`OVERSAMPLE` times ``sr`` for the instruments of :data:`OVERSAMPLED`).

    Parameters
    ----------
    notes : list of (start s, duration s, frequency Hz, velocity)
        The notes.
    instrument : str
        A name of :data:`INSTRUMENTS`.
    sr : int
        Sample rate of the stem (Hz).
    seconds : float
        Length of the stem (s).
    variant : float
        The instrument's brightness or variant (0-1).
    folder : str, optional
        Where the Csound files are written (default: a temporary folder).

    Raises
    ------
    RuntimeError
        When Csound fails or writes nothing.
    """
    import scipy.signal
    import soundfile as sf

    if folder is None:
        with tempfile.TemporaryDirectory() as d:
            return csound_stem(notes, instrument, sr, seconds=seconds, variant=variant,
                               folder=d)
    n = _NAMES.index(instrument) + 1
    factor = OVERSAMPLE if instrument in OVERSAMPLED else 1
    lines = [f"i{n} {t:.5f} {max(d, 0.03):.5f} {f:.4f} {(v / 127) ** 1.6 * 0.5:.5f} "
             f"{variant:.3f}" for t, d, f, v in sorted(notes) if t < seconds and f < 0.4 * sr]
    lines.append(f"e {seconds + 1.0:.3f}")
    csd, wav = os.path.join(folder, "stem.csd"), os.path.join(folder, "stem.wav")
    with open(csd, "w") as f:
        f.write("<CsoundSynthesizer>\n<CsOptions>\n-d -m0 -W -f -o " + wav
                + "\n</CsOptions>\n<CsInstruments>\n" + orchestra(sr * factor)
                + "</CsInstruments>\n<CsScore>\n" + "\n".join(lines)
                + "\n</CsScore>\n</CsoundSynthesizer>\n")
    proc = subprocess.run(["csound", csd], capture_output=True, text=True, timeout=600,
                          check=False)
    if proc.returncode != 0 or not os.path.exists(wav):
        raise RuntimeError(f"csound failed ({instrument}): {proc.stderr[-300:]!r}")
    y, _sr = sf.read(wav, dtype="float64")
    os.remove(wav)
    if factor > 1:
        y = scipy.signal.resample_poly(y, 1, factor)
    out = np.zeros(int(seconds * sr))
    out[: min(len(y), len(out))] = y[: len(out)]
    return out


def read_midi(path: str):
    """The notes of a MIDI file written by :func:`benchmarks.evalrender._write_midi`.

    Returns
    -------
    (dict, dict, dict)
        Channel -> list of (start s, duration s, MIDI note, velocity); channel -> program;
        channel -> pitch bend in cents (the bend range is two semitones).
    """
    import mido

    mf = mido.MidiFile(path)
    tempo, now = 500000, 0.0
    notes: dict[int, list] = {}
    progs: dict[int, int] = {}
    bends: dict[int, float] = {}
    sounding: dict[tuple[int, int], list] = {}
    for msg in mido.merge_tracks(mf.tracks):
        now += mido.tick2second(msg.time, mf.ticks_per_beat, tempo)
        if msg.type == "set_tempo":
            tempo = msg.tempo
        elif msg.type == "program_change":
            progs[msg.channel] = msg.program
        elif msg.type == "pitchwheel":
            bends[msg.channel] = msg.pitch / 8192 * 200.0
        elif msg.type == "note_on" and msg.velocity > 0:
            sounding.setdefault((msg.channel, msg.note), []).append((now, msg.velocity))
        elif msg.type in ("note_on", "note_off"):
            started = sounding.get((msg.channel, msg.note))
            if started:
                t0, vel = started.pop(0)
                notes.setdefault(msg.channel, []).append((t0, now - t0, msg.note, vel))
    return notes, progs, bends


# Drum roles of the General MIDI percussion notes, and the words of a kit's instrument
# names that play each role (tried in order; the first word that matches an instrument
# wins, an instrument named by an excluded word never plays the role).
_NOTE_ROLES = {35: "kick", 36: "kick", 37: "stick", 38: "snare", 39: "clap", 40: "snare",
               41: "tom_low", 43: "tom_low", 45: "tom_mid", 47: "tom_mid", 48: "tom_high",
               50: "tom_high", 42: "hat_closed", 44: "hat_pedal", 46: "hat_open",
               49: "crash", 52: "crash", 55: "crash", 57: "crash", 51: "ride", 59: "ride",
               53: "ride_bell", 54: "tambourine", 56: "cowbell", 60: "bongo_high",
               61: "bongo_low", 62: "conga_mute", 63: "conga_open", 64: "conga_low",
               67: "agogo", 68: "agogo", 69: "shaker", 70: "shaker", 73: "shaker",
               74: "shaker", 75: "claves", 76: "wood_high", 77: "wood_low", 80: "triangle",
               81: "triangle"}
_ROLE_WORDS = {
    "kick": ((r"kick", r"bass ?drum", r"bd\b", r"c3 - bass drum 1"), ()),
    "snare": ((r"snare(?! ?(roll|rim|2|low|jazz))", r"snare"), (r"roll", r"rim")),
    "stick": ((r"side ?stick", r"\bstick", r"rim ?click", r"rim"), ()),
    "clap": ((r"clap",), ()),
    "hat_closed": ((r"(hat|hh).*clos|clos.*(hat|hh)", r"hat.* cl\b", r"(hat|hh)"),
                   (r"open|pedal|\bop\b|\bpd\b|semi|swish|choke",)),
    "hat_pedal": ((r"pedal|\bpd\b", r"(hat|hh).*clos|clos.*(hat|hh)"), ()),
    "hat_open": ((r"(hat|hh).*open|open.*(hat|hh)|hat.* op\b|opened", r"semi"), ()),
    "crash": ((r"crash", r"splash", r"cymbal"), (r"choke",)),
    "ride": ((r"ride(?!.*(bell|cup|crash))", r"ride"), ()),
    "ride_bell": ((r"bell|cup",), (r"cow",)),
    "tom_low": ((r"floor", r"\btom ?low|low ?tom|\btom 3", r"\btom"), ()),
    "tom_mid": ((r"\btom ?mid|mid ?tom|\btom 2", r"\btom"), (r"floor",)),
    "tom_high": ((r"\btom ?hi|hi(gh)? ?tom|\btom 1", r"\btom"), (r"floor",)),
    "cowbell": ((r"cowbell",), ()),
    "tambourine": ((r"tambourine",), ()),
    "shaker": ((r"maraca|shaker",), ()),
    "claves": ((r"clave",), ()),
    "wood_high": ((r"woodblock hi",), ()),
    "wood_low": ((r"woodblock lo",), ()),
    "bongo_high": ((r"bongo hi",), ()),
    "bongo_low": ((r"bongo lo",), ()),
}
#: Kit of the hand percussion a drum kit lacks.
HANDS_KIT = "Gimme A Hand 1.0"
AFRICAN_KIT = "circAfrique v4"
#: Roles played from the hand set's kit (or Sonic Pi samples, ``sp:name``), per set.
_SET_ROLES = {
    "hands": {35: "Cajon Thump", 40: "Cajon Slap", 60: "Bongo Hi", 61: "Bongo Lo",
              62: f"{AFRICAN_KIT}/Djembe3 Slap", 63: f"{AFRICAN_KIT}/Djembe3 Tone",
              64: f"{AFRICAN_KIT}/Djembe3 Bass", 67: "Cowbell", 68: "Cowbell"},
    "african": {41: "Dununba1 Head Hit", 43: "Dununba1 Head Hit", 45: "Sangban1 Head Hit",
                47: "Sangban1 Head Hit", 48: "Kenkeni1 Head Hit", 50: "Kenkeni1 Head Hit",
                56: "Dununba1 Bell", 67: "Sangban1 Bell Hit", 68: "Kenkeni1 Bell Hit",
                60: "Djembe2 Slap", 61: "Djembe2 Tone", 62: "Djembe1 Slap",
                63: "Djembe1 Tone", 64: "Djembe1 Bass"},
    "tabla": {60: "sp:tabla_na", 61: "sp:tabla_ghe1", 62: "sp:tabla_te1",
              63: "sp:tabla_tun1", 64: "sp:tabla_dhec", 37: "sp:tabla_ke1"},
}
#: Sonic Pi samples of roles that neither the drum kit nor the hand kit has.
_SONIC_PI_ROLES = {"triangle": "elec_triangle", "agogo": "perc_bell", "ride_bell": "perc_bell",
                   "conga_mute": "tabla_te1", "conga_open": "tabla_tun1",
                   "conga_low": "tabla_ghe2", "crash": "drum_splash_hard",
                   "ride": "drum_cymbal_soft", "hat_pedal": "drum_cymbal_pedal",
                   "hat_open": "drum_cymbal_open", "hat_closed": "drum_cymbal_closed",
                   "clap": "perc_snap", "stick": "elec_wood", "tom_low": "drum_tom_lo_hard",
                   "tom_mid": "drum_tom_mid_hard", "tom_high": "drum_tom_hi_hard",
                   "shaker": "drum_cymbal_pedal", "wood_high": "elec_wood",
                   "wood_low": "elec_wood", "claves": "elec_wood", "cowbell": "drum_cowbell",
                   "tambourine": "drum_cymbal_pedal", "bongo_high": "tabla_na",
                   "bongo_low": "tabla_tun2", "kick": "drum_bass_hard",
                   "snare": "drum_snare_hard"}
#: Pan (-1 left .. 1 right) of each role.
_PANS = {"hat_closed": 0.35, "hat_pedal": 0.35, "hat_open": 0.35, "ride": -0.4,
         "ride_bell": -0.4, "crash": -0.3, "tom_high": 0.25, "tom_mid": 0.0,
         "tom_low": -0.25, "shaker": 0.5, "tambourine": 0.5, "cowbell": -0.3,
         "agogo": -0.35, "claves": 0.3, "bongo_high": 0.4, "bongo_low": 0.3,
         "conga_open": -0.3, "conga_mute": -0.3, "conga_low": -0.4, "triangle": 0.45}


def load_kit(name: str, root: str | None = None) -> dict:
    """A Hydrogen drum kit: instrument name -> [(lowest velocity 0-1, highest, gain, sample
    path), ...] (one layer for kits without velocity layers), from ``root`` (default
    :data:`HYDROGEN_KITS`)."""
    return _load_kit(name, root or HYDROGEN_KITS)


@functools.lru_cache(maxsize=32)
def _load_kit(name: str, root: str) -> dict:
    import xml.etree.ElementTree as ET

    folder = os.path.join(root, name)
    tree = ET.parse(os.path.join(folder, "drumkit.xml"))
    ns = re.match(r"\{.*\}", tree.getroot().tag)
    ns = ns.group(0) if ns else ""
    out = {}
    for inst in tree.getroot().iter(f"{ns}instrument"):
        label = (inst.findtext(f"{ns}name") or "").strip()
        layers = []
        for layer in inst.iter(f"{ns}layer"):
            fn = layer.findtext(f"{ns}filename")
            if fn:
                layers.append((float(layer.findtext(f"{ns}min") or 0.0),
                               float(layer.findtext(f"{ns}max") or 1.0),
                               float(layer.findtext(f"{ns}gain") or 1.0),
                               os.path.join(folder, fn)))
        fn = inst.findtext(f"{ns}filename")
        if not layers and fn:
            layers.append((0.0, 1.0, 1.0, os.path.join(folder, fn)))
        layers = [x for x in layers if os.path.exists(x[3])]
        if label and layers and label not in out:
            out[label] = sorted(layers)
    return out


def _find(kit: dict, role: str):
    words, banned = _ROLE_WORDS.get(role, ((), ()))
    names = [n for n in kit if not any(re.search(b, n.lower()) for b in banned)]
    for w in words:
        for n in names:
            if re.search(w, n.lower()):
                return kit[n]
    return None


def _sonic_pi(name: str) -> str:
    return os.path.join(SONIC_PI_SAMPLES, name + ".flac")


def drum_roles(kit_name: str, hand_set: str = "kit") -> dict:
    """General MIDI percussion note -> layers (as :func:`load_kit` gives) in a kit with a
    hand set (``"kit"``, ``"hands"``, ``"african"`` or ``"tabla"``): the hand set's
    instrument, else the kit's, else the hand kit's, else a Sonic Pi sample."""
    kit, hands = load_kit(kit_name), load_kit(HANDS_KIT)
    out = {}
    for note, role in _NOTE_ROLES.items():
        special = _SET_ROLES.get(hand_set, {}).get(note)
        layers = None
        if special is not None:
            if special.startswith("sp:"):
                layers = [(0.0, 1.0, 1.0, _sonic_pi(special[3:]))]
            elif "/" in special:
                other, label = special.split("/")
                layers = load_kit(other)[label]
            else:
                layers = (load_kit(AFRICAN_KIT) if hand_set == "african" else hands)[special]
        layers = layers or _find(kit, role) or _find(hands, role)
        if layers is None and role in _SONIC_PI_ROLES:
            layers = [(0.0, 1.0, 1.0, _sonic_pi(_SONIC_PI_ROLES[role]))]
        out[note] = layers
    return out


@functools.lru_cache(maxsize=512)
def _sample(path: str, sr: int) -> np.ndarray:
    """A sample as frames x 2 at ``sr`` (mono samples are copied to both channels)."""
    from math import gcd

    import scipy.signal
    import soundfile as sf

    y, rate = sf.read(path, dtype="float64", always_2d=True)
    y = y[:, :2] if y.shape[1] >= 2 else np.repeat(y, 2, axis=1)
    if rate != sr:
        g = gcd(int(rate), int(sr))
        y = scipy.signal.resample_poly(y, sr // g, int(rate) // g, axis=0)
    return y


def drum_stem(hits, kit_name: str, hand_set: str, sr: int, *, seconds: float,
              seed: int) -> np.ndarray:
    """The drum channel played from samples: frames x 2 at ``sr``.

    Parameters
    ----------
    hits : list of (start s, duration s, MIDI note, velocity)
        Percussion notes (a note without a sample in the kit is left out).
    kit_name : str
        A Hydrogen kit (see :data:`benchmarks.evalsixthgrooves.DRUM_KITS`).
    hand_set : str
        ``"kit"``, ``"hands"``, ``"african"`` or ``"tabla"`` (see :func:`drum_roles`).
    sr : int
        Sample rate (Hz).
    seconds : float
        Length of the stem (s).
    seed : int
        Seed of the small random gain of each hit.
    """
    rng = np.random.default_rng(seed)
    roles = drum_roles(kit_name, hand_set)
    n = int(seconds * sr)
    out = np.zeros((n + sr * 4, 2))
    for t, _d, note, vel in hits:
        layers = roles.get(note)
        start = int(round(t * sr))
        if not layers or not 0 <= start < n:
            continue
        v = vel / 127.0
        fits = [x for x in layers if x[0] <= v <= x[1]] or \
            [min(layers, key=lambda x: min(abs(v - x[0]), abs(v - x[1])))]
        lo, hi, gain, path = fits[int(rng.integers(len(fits)))]
        y = _sample(path, sr)
        g = gain * (v ** 0.7 if len(layers) > 1 else v ** 1.4) * rng.uniform(0.92, 1.0)
        pan = _PANS.get(_NOTE_ROLES.get(note, ""), 0.0)
        lr = np.array([np.sqrt(0.5 * (1 - pan)), np.sqrt(0.5 * (1 + pan))]) * np.sqrt(2)
        m = min(len(y), len(out) - start)
        out[start:start + m] += y[:m] * g * lr
    return out[:n]


#: General MIDI programs of a tune's lead and accompaniment (the bass keeps the planned
#: one): the first edition's choices and others that reach every model of
#: :data:`INSTRUMENTS` (marimba, xylophone, glockenspiel, choir, ocarina, accordion, harp,
#: church organ, harpsichord, vibraphone, cello).  The marimba only leads: its chords die
#: away within a beat, so an accompaniment of whole-bar chords on it is mostly silence.
SIXTH_LEADS = (71, 68, 73, 40, 56, 65, 80, 81, 11, 22, 12, 13, 52, 79, 21, 9)
SIXTH_COMPS = (0, 4, 5, 16, 24, 25, 27, 48, 88, 89, 2, 46, 19, 6, 11, 42)


def vary_sixth(items: list[dict], *, seed: int) -> list[dict]:
    """Give the items their instruments, mix and variation (in place).

    The fifth edition's variation (:func:`benchmarks.evalfifthrender.vary_fifth`, without
    TiMidity renders), then, per item: ``renderer`` ``"csound"``, ``soundfont``
    ``"csound_models"``, a tune's lead and accompaniment programs (drawn again from
    :data:`SIXTH_LEADS` and :data:`SIXTH_COMPS`), the sample kit (``drumkit``, from the
    planned ``kit``, and ``hand_set``) of a groove, the instruments' ``variant`` (0-1), and
    the stems' levels (``levels_db``) and pans (``pans``), lead or top part first.
    """
    from benchmarks.evalfifthrender import vary_fifth
    from benchmarks.evalsixthgrooves import DRUM_KITS, HAND_SETS
    from benchmarks.evalunseen import item_rng

    vary_fifth(items, seed=seed, timidity_share=0.0)
    for it in items:
        rng = item_rng(it["id"], seed, 6)
        it.update(renderer="csound", soundfont="csound_models",
                  variant=round(float(rng.uniform(0.0, 1.0)), 2))
        if "programs" in it:
            it["programs"] = [int(rng.choice(SIXTH_LEADS)), int(rng.choice(SIXTH_COMPS)),
                              it["programs"][2]]
        if it.get("groove", "none") != "none":
            it.update(drumkit=DRUM_KITS[it["kit"]], hand_set=HAND_SETS.get(it["groove"], "kit"))
        if it["id"].startswith("t"):
            levels = [0.0, -5.0 + rng.uniform(-2, 2), -4.0 + rng.uniform(-2, 2)]
            pans = [rng.uniform(-0.25, 0.25), rng.uniform(-0.6, 0.6), 0.0]
            if "drumkit" in it:
                levels.append(-2.0 + rng.uniform(-2, 2))
                pans.append(0.0)
        else:
            levels = [0.0] + [-3.0 + rng.uniform(-1.5, 1.5) for _ in range(14)]
            pans = [rng.uniform(-0.7, 0.7) for _ in range(15)]
        it["levels_db"] = [round(float(x), 2) for x in levels]
        it["pans"] = [round(float(x), 2) for x in pans]
    return items


def mix_synth(item: dict, report: dict | None = None):
    """A ``synth(mid, wav, *, sr, soundfont)`` for :func:`benchmarks.evalrender.render_item`
    that renders the item's MIDI file with Csound and the sample kits and writes the mix;
    ``report``, if given, receives :func:`stem_report` of the stems."""

    def synth(mid: str, wav: str, *, sr: int, soundfont: str = CSOUND_ORCHESTRA) -> None:
        import soundfile as sf

        notes, progs, bends = read_midi(mid)
        seconds = item["seconds"] + 2.0
        stems = mix_stems(item, notes, progs, bends, sr, seconds=seconds,
                          folder=os.path.dirname(wav))
        y = sum(stems.values())
        if report is not None:
            n = int(item["seconds"] * sr)
            report.update(stem_report({ch: s[:n] for ch, s in stems.items()}, sr))
        peak = float(np.max(np.abs(y))) or 1.0
        sf.write(wav, (y / peak * 0.5).astype(np.float32), sr, subtype="FLOAT")

    return synth


def stem_report(stems: dict, sr: int, *, floor_db: float = 24.0) -> dict:
    """How each stem stands in the mix: channel -> (its RMS relative to the mix's, in dB;
    the share of the half-second windows where the mix sounds in which the stem is within
    ``floor_db`` of the mix)."""
    mix = sum(stems.values())
    w = max(1, sr // 2)

    def frames(y):
        n = len(y) // w
        return np.sqrt(np.mean(y[: n * w].reshape(n, w, -1) ** 2, axis=(1, 2)))

    ref = frames(mix)
    total = float(np.sqrt(np.mean(mix ** 2))) or 1e-12
    loud = ref > total * 10 ** (-30 / 20)
    out = {}
    for ch, y in stems.items():
        rel = 20 * np.log10((float(np.sqrt(np.mean(y ** 2))) or 1e-12) / total)
        near = frames(y) > ref * 10 ** (-floor_db / 20)
        out[str(ch)] = [round(float(rel), 2), round(float(np.mean(near[loud])) if loud.any()
                                                     else 0.0, 3)]
    return out


def mix_stems(item: dict, notes: dict, progs: dict, bends: dict, sr: int, *, seconds: float,
              folder: str | None = None) -> dict:
    """Every channel's stem of an item (frames x 2), at its level and pan.

    Returns
    -------
    dict
        Channel -> stem; the drum channel is 9.

    Raises
    ------
    RuntimeError
        When a channel with notes renders silent (every part must be heard).
    """
    levels, pans = item["levels_db"], item["pans"]
    stems = {}
    for ch in sorted(notes):
        if ch == 9:
            y = drum_stem(notes[9], item["drumkit"], item.get("hand_set", "kit"), sr,
                          seconds=seconds, seed=item["seed"] + 9)
            level, pan = levels[-1], 0.0
        else:
            cents = bends.get(ch, 0.0)
            freqs = [(t, d, 440.0 * 2 ** ((m - 69 + cents / 100) / 12), v)
                     for t, d, m, v in notes[ch]]
            mono = csound_stem(freqs, gm_instrument(progs.get(ch, 0)), sr, seconds=seconds,
                               variant=item.get("variant", 0.5), folder=folder)
            i = min(ch, len(levels) - 1 - ("drumkit" in item))
            level, pan = levels[i], pans[min(ch, len(pans) - 1)]
            y = np.stack([mono * np.sqrt(1 - pan), mono * np.sqrt(1 + pan)], axis=1)
        rms = float(np.sqrt(np.mean(y ** 2)))
        if not rms > 1e-5:
            raise RuntimeError(f"{item['id']}: channel {ch} is silent ({len(notes[ch])} notes)")
        stems[ch] = y / rms * 0.1 * 10 ** (level / 20)
    return stems


def render_sixth(item: dict, source: dict, soundfont: str, out_path: str) -> None:
    """Render one item of the sixth edition with its instruments and variation; the
    :func:`stem_report` of its stems goes to ``stems.json`` in the edition's folder (the
    parent of the audio folder).

    Raises
    ------
    RuntimeError
        When Csound fails or writes nothing.
    """
    from benchmarks.evalfifthrender import _post, _retimer
    from benchmarks.evalrender import render_item

    report: dict = {}
    render_item(item, source, soundfont, out_path, retime=_retimer(item), post=_post(item),
                synth=mix_synth(item, report))
    path = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(out_path))),
                        "stems.json")
    import fcntl

    # items rendered at once (evalset --jobs) each add their report: one at a time
    with open(path + ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        stems = {}
        if os.path.exists(path):
            with open(path) as f:
                stems = json.load(f)
        stems[item["id"]] = report
        tmp = f"{path}.{os.getpid()}.tmp"
        with open(tmp, "w") as f:
            json.dump(stems, f, indent=0)
        os.replace(tmp, path)
