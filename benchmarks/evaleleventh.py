"""The ``eleventh`` edition of the evaluation set: the tenth's plan on LMMS's instruments.

An eleventh held-out-only set (``~/.cache/songcal-eval-eleventh``, 196 files of 30 s),
built while the tenth edition was still kept for a choice, and kept for a later one: no
decision is to be designed from its files' errors, and a rule is to be written before any
decision is run on it.  Every earlier edition plays its pitched parts on sampled
instruments (General MIDI soundfonts, TiMidity++'s patches, Csound's sampled models); this
one plays them on synthesizers, so the partials a note adds to the chroma, its attack and
its decay are of another kind:

* **pitched parts**: the presets of LMMS's own synthesizers (TripleOscillator, BitInvader,
  Organic, LB302, Monstro, Watsyn, Vibed, Nescaline and SID; Debian's ``lmms`` and
  ``lmms-common``), one drawn per part and file, a bass preset for a bass part.  Each
  preset's arpeggiator and chord stacking are switched off (they would add notes the truth
  does not hold) and its effects removed, and its base note is moved by whole octaves to
  LMMS's default, so that every note sounds its own pitch class.  Only presets whose single
  notes lead the chroma with their own pitch class are drawn (:data:`TONAL_PRESETS`,
  :data:`BASS_PRESETS`; OpulenZ is left out, its FM chip being the OPL-3 soundfont's, which
  the fit split plays).
* **drums**: two kits of LMMS's own samples, one of recorded drums and one of its
  TR-808 models (:data:`DRUM_KITS`), one drawn per grooved file.
* **levels**: each part (and the drums together) is scaled to the level (RMS) at which
  GeneralUser GS plays the same part, so that the balance of melody, chords, bass and
  drums is that of the other editions.
* **plan**: the tenth edition's (:data:`benchmarks.evaltenth.TENTH_TUNE_PLAN`: its
  thirteen grooves, eight tunes each, and the eighth's 92 drumless rows), with other
  generated tunes (their own seeds; no melody another edition has).  Players' accents,
  metre-following accompaniment and the fifth edition's variation are drawn as in the
  eighth; the detuning of a file is each part's pitch offset.

The truth is the BPM of the notated beat and the generated tune's key, as in every edition.
LMMS renders a project, not a MIDI file: :func:`lmms_project` writes one from the
performed MIDI file, its notes placed in time at 600 BPM (48 ticks a beat, 2.1 ms a tick),
so that the file's own tempo, drift and players' timing survive.

``python -m benchmarks.evaleleventh`` checks the built edition (what it shares with the
other editions and the drift probe) and, with ``--presets``, renders a note on every preset
drawn from and prints the pitch class that leads its chroma.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
import xml.etree.ElementTree as ET

import numpy as np

__all__ = ["BASS_PRESETS", "DRUM_KITS", "ELEVENTH_FONTS", "ELEVENTH_TUNE_PLAN", "LMMS_PRESETS",
           "LMMS_SAMPLES", "TONAL_PRESETS", "eleventh_sources", "ensure_lmms", "lmms_project",
           "lmms_synth", "main", "render_eleventh", "vary_eleventh"]

LMMS_PRESETS = "/usr/share/lmms/presets"
LMMS_SAMPLES = "/usr/share/lmms/samples"
#: The instrument source of every file (a name of :data:`benchmarks.evalset.SOUNDFONTS`,
#: whose path is the soundfont the parts' levels are matched to).
ELEVENTH_FONTS = ("lmms",)
_SEED = 22
#: Presets played by melody and chord parts (``family/name`` under :data:`LMMS_PRESETS`).
#: Of the synthesizers' presets, those left out: single notes whose chroma another pitch
#: class leads (TripleOscillator's E-Organ, Garfunkel and LovelyDream, SID's CheesyGuitar and
#: MadMind, Organic's pad_rich and, in one render of two, pad_sweep, Nescaline's Chomp), or
#: whose own pitch class holds under 15 % of it (AnalogDreamz, SquarePing, ArpeggioPing),
#: sound effects (Nescaline's Engine_overheats, Fireball_flick and Mega_weapon, BitInvader's
#: spacefx), growls and pitch sweeps (Monstro's Growl, HorrorLead and Phat), presets under
#: -50 dBFS at full velocity (BitInvader's soft_pad and beehive), two whose file keeps no
#: instrument track where the others do (Freaky-Bass, TranceLead) and the drum presets.
#: ``--presets`` checks the rest.
TONAL_PRESETS = (
    "BitInvader/alien_strings", "BitInvader/bell", "BitInvader/cello", "BitInvader/drama",
    "BitInvader/epiano", "BitInvader/invaders_must_die", "BitInvader/pluck",
    "BitInvader/sweep_pad", "BitInvader/toy_piano", "BitInvader/wah_synth",
    "LB302/AcidLead", "LB302/AngryLead", "LB302/DroneArp",
    "Monstro/ScaryBell", "Nescaline/Detune_lead",
    "Organic/Pwnage", "Organic/organ_blues", "Organic/organ_risingsun", "Organic/organ_swish",
    "Organic/pad_ethereal", "Organic/puresine", "Organic/sequencer_64",
    "SID/Lead", "SID/Overdrive", "SID/Pad",
    "TripleOscillator/AmazingBubbles", "TripleOscillator/AnalogBell",
    "TripleOscillator/AnalogTimes", "TripleOscillator/Analogous", "TripleOscillator/Arpeggio",
    "TripleOscillator/Bell", "TripleOscillator/BellArp",
    "TripleOscillator/BrokenToy", "TripleOscillator/ChurchOrgan", "TripleOscillator/CryingPads",
    "TripleOscillator/DetunedGhost", "TripleOscillator/DullBell", "TripleOscillator/E-Organ2",
    "TripleOscillator/ElectricOboe", "TripleOscillator/Erazzor", "TripleOscillator/FatCheese",
    "TripleOscillator/FatPMArp", "TripleOscillator/FatTB303Arp", "TripleOscillator/GhostBoy",
    "TripleOscillator/Harmonium", "TripleOscillator/Harp-of-a-Fairy", "TripleOscillator/HiPad",
    "TripleOscillator/Jupiter", "TripleOscillator/LFO-party", "TripleOscillator/MoogArpeggio",
    "TripleOscillator/MoveYourBody", "TripleOscillator/OldComputerGames",
    "TripleOscillator/PM-FMstring", "TripleOscillator/Play-some-rock",
    "TripleOscillator/PluckArpeggio", "TripleOscillator/PowerStrings",
    "TripleOscillator/Ravemania", "TripleOscillator/ResonantPad", "TripleOscillator/Rough!",
    "TripleOscillator/SEGuitar", "TripleOscillator/SawReso", "TripleOscillator/Square",
    "TripleOscillator/SuperSawLead", "TripleOscillator/Supernova", "TripleOscillator/TB303",
    "TripleOscillator/TINTNpad", "TripleOscillator/TheFirstOne", "TripleOscillator/TheMaster",
    "TripleOscillator/WarmStack", "TripleOscillator/Whistle", "TripleOscillator/Xylophon",
    "Vibed/Harpsichord", "Vibed/SadPad", "Watsyn/Epic_lead", "Watsyn/Pulse",
)
#: Presets played by bass parts (General MIDI programs 32-39).
BASS_PRESETS = (
    "BitInvader/subbass", "LB302/GoodOldTimes", "LB302/STrash", "Organic/Rubberband",
    "SID/Bass", "TripleOscillator/BlandModBass", "TripleOscillator/DirtyReece",
    "TripleOscillator/DistortedPMBass", "TripleOscillator/FutureBass",
    "TripleOscillator/FuzzyAnalogBass", "TripleOscillator/HugeGrittyBass",
    "TripleOscillator/PMFMFTWbass", "TripleOscillator/PMbass", "TripleOscillator/PercussiveBass",
    "TripleOscillator/PluckBass", "TripleOscillator/RaveBass", "TripleOscillator/ResoBass",
    "TripleOscillator/SpaceBass", "Watsyn/Phase_bass",
)
#: Two drum kits of LMMS's samples (paths under :data:`LMMS_SAMPLES`) by General MIDI
#: percussion note: the pieces the tenth edition's grooves play.
DRUM_KITS = {
    "lmms_acoustic": {36: "drums/bassdrum_acoustic01.ogg", 37: "drums/sidestick01.ogg",
                      38: "drums/snare_acoustic01.ogg", 41: "drums/tom_low01.ogg",
                      42: "drums/hihat_closed01.ogg", 44: "drums/hihat_foot_pedal01.ogg",
                      45: "drums/tom03.ogg", 46: "drums/hihat_opened01.ogg",
                      47: "drums/tom_mid01.ogg", 49: "drums/crash01.ogg",
                      51: "drums/ride01.ogg", 53: "drums/ride02.ogg", 54: "drums/shaker01.ogg",
                      56: "drumsynth/tr808/Cowbell.ds"},
    "lmms_808": {36: "drumsynth/tr808/Kick.ds", 37: "drumsynth/tr808/Rimshot.ds",
                 38: "drumsynth/tr808/Snare.ds", 41: "drumsynth/tr808/Tom_lo.ds",
                 42: "drumsynth/tr808/Hat_c.ds", 44: "drumsynth/tr808/Hat_c.ds",
                 45: "drumsynth/tr808/Tom_lo.ds", 46: "drumsynth/tr808/Hat_o.ds",
                 47: "drumsynth/tr808/Tom_mid.ds", 49: "drums/crash02.ogg",
                 51: "drumsynth/tr808/Ride.ds", 53: "drums/ride02.ogg",
                 54: "drums/shaker02.ogg", 56: "drumsynth/tr808/Cowbell.ds"},
}
#: The project's tempo and resolution: notes are placed in time, not in beats.
_BPM, _TICKS_PER_BEAT = 600, 48
_TICKS_PER_S = _BPM / 60.0 * _TICKS_PER_BEAT
_DEFAULT_KEY = 57  # LMMS's A4: MIDI note = LMMS key + 12


def _plan() -> tuple:
    from benchmarks.evaltenth import TENTH_TUNE_PLAN

    return TENTH_TUNE_PLAN


#: The plan: the tenth edition's, row for row.
ELEVENTH_TUNE_PLAN = _plan()


def eleventh_sources(known_tunes: set, known_pieces: set, *, seed: int = _SEED) -> dict:
    """The edition's material: generated tunes from the edition's own seeds
    (:func:`benchmarks.evaleighth.eighth_sources`), none whose melody another edition has."""
    from benchmarks.evaleighth import eighth_sources

    return eighth_sources(known_tunes, known_pieces, seed=seed)


def ensure_lmms() -> None:
    """Raise RuntimeError, with the command that installs them, when LMMS or its presets and
    samples are missing."""
    import shutil

    missing = [p for p in [os.path.join(LMMS_PRESETS, p + ".xpf")
                           for p in TONAL_PRESETS + BASS_PRESETS]
               + [os.path.join(LMMS_SAMPLES, s) for kit in DRUM_KITS.values()
                  for s in kit.values()] if not os.path.exists(p)]
    if shutil.which("lmms") is None or missing:
        raise RuntimeError("the eleventh edition needs LMMS, its presets and samples: "
                           "apt-get install lmms lmms-common"
                           + (f" ({missing[0]} not found)" if missing else ""))


def _pool(program: int) -> tuple[str, ...]:
    """The presets a part of General MIDI ``program`` draws from: the bass presets for a
    bass (programs 32-39), the others for the rest."""
    return BASS_PRESETS if 32 <= int(program) <= 39 else TONAL_PRESETS


def vary_eleventh(items: list[dict], *, seed: int) -> list[dict]:
    """Give the items their parts, figures, accents and variation (in place), as the eighth
    edition draws them; then every item plays on LMMS (``soundfont`` ``"lmms"``), each of its
    General MIDI programs on a preset (``presets``, program -> preset), and a grooved item on
    one of :data:`DRUM_KITS` (``drumkit``)."""
    from benchmarks.evaleighth import vary_eighth
    from benchmarks.evalunseen import item_rng

    vary_eighth(items, seed=seed)
    kits = sorted(DRUM_KITS)
    for it in items:
        it["soundfont"] = "lmms"
        rng = item_rng(it["id"], seed, 11)
        it["presets"] = {}
        for program in it["programs"]:
            pool = _pool(program)
            it["presets"][str(int(program))] = pool[int(rng.integers(len(pool)))]
        if it["groove"] != "none":
            it["drumkit"] = kits[int(rng.integers(len(kits)))]
    return items


def _instrument(preset: str, *, cents: float = 0.0) -> ET.Element:
    """The ``instrumenttrack`` element of a preset, made to play its notes' pitch classes:
    no arpeggio, no chord stacking, no effects, its base note moved by octaves to LMMS's
    default, and its pitch offset ``cents``."""
    root = ET.parse(os.path.join(LMMS_PRESETS, preset + ".xpf")).getroot()
    track = root.find("instrumenttracksettings/instrumenttrack")
    if track is None:
        raise RuntimeError(f"{preset}: no instrument track in the preset")
    base = int(track.get("basenote", _DEFAULT_KEY))
    track.set("basenote", str(_DEFAULT_KEY + 12 * round((base - _DEFAULT_KEY) / 12)))
    track.set("pitch", f"{float(cents):g}")
    track.set("pitchrange", "1")
    for tag, attr in (("arpeggiator", "arp-enabled"), ("chordcreator", "chord-enabled")):
        el = track.find(tag)
        if el is not None:
            el.set(attr, "0")
    fx = track.find("fxchain")
    if fx is not None:
        for child in list(fx):
            fx.remove(child)
        fx.set("enabled", "0")
        fx.set("numofeffects", "0")
    return track


def _sampler(sample: str) -> ET.Element:
    """An AudioFileProcessor track element playing ``sample`` (under :data:`LMMS_SAMPLES`)
    once per note, at its own pitch on LMMS's default key."""
    track = ET.Element("instrumenttrack", pan="0", fxch="0", pitchrange="1", pitch="0",
                       basenote=str(_DEFAULT_KEY), vol="100")
    inst = ET.SubElement(track, "instrument", name="audiofileprocessor")
    ET.SubElement(inst, "audiofileprocessor", reversed="0", looped="0", sframe="0",
                  eframe="1", stutter="0", amp="100", src=sample, interp="1")
    return track


def lmms_project(parts: list[tuple[str, ET.Element, list]]) -> bytes:
    """An LMMS project (XML) of ``parts``: (name, instrument track element, notes), each note
    (start s, duration s, LMMS key, velocity 1-127), placed in time at :data:`_BPM`."""
    root = ET.Element("lmms-project", version="1.0", creator="LMMS", creatorversion="1.2.2",
                      type="song")
    ET.SubElement(root, "head", timesig_numerator="4", timesig_denominator="4",
                  bpm=str(_BPM), mastervol="100", masterpitch="0")
    container = ET.SubElement(ET.SubElement(root, "song"), "trackcontainer", type="song")
    for name, instrument, notes in parts:
        track = ET.SubElement(container, "track", type="0", muted="0", solo="0", name=name)
        track.append(instrument)
        pattern = ET.SubElement(track, "pattern", muted="0", type="1", name="", pos="0",
                                steps="16")
        for start, dur, key, vel in notes:
            pos = int(round(start * _TICKS_PER_S))
            length = max(1, int(round((start + dur) * _TICKS_PER_S)) - pos)
            ET.SubElement(pattern, "note", pan="0", key=str(int(key)),
                          vol=str(int(round(100 * vel / 127))), pos=str(pos), len=str(length))
    return (b'<?xml version="1.0"?>\n<!DOCTYPE lmms-project>\n'
            + ET.tostring(root, encoding="utf-8"))


def _midi_parts(mid: str) -> tuple[dict, dict, dict]:
    """(notes by channel: (start s, duration s, MIDI note, velocity), program by channel,
    pitch offset in cents by channel) of a MIDI file as :mod:`benchmarks.evalrender` writes
    it (bend range two semitones)."""
    import mido

    notes: dict[int, list] = {}
    progs: dict[int, int] = {}
    cents: dict[int, float] = {}
    sounding: dict[tuple[int, int], tuple[float, int]] = {}
    now = 0.0
    for msg in mido.MidiFile(mid):
        now += msg.time
        if msg.is_meta:
            continue
        if msg.type == "program_change":
            progs[msg.channel] = msg.program
        elif msg.type == "pitchwheel":
            cents[msg.channel] = 200.0 * msg.pitch / 8192.0
        elif msg.type == "note_on" and msg.velocity > 0:
            sounding[(msg.channel, msg.note)] = (now, msg.velocity)
        elif msg.type in ("note_off", "note_on"):
            start = sounding.pop((msg.channel, msg.note), None)
            if start is not None:
                notes.setdefault(msg.channel, []).append(
                    (start[0], now - start[0], msg.note, start[1]))
    return notes, progs, cents


#: Renders of a project tried before giving up: LMMS 1.2 now and then crashes (a
#: segmentation fault, about one render in fifty here) on a project it renders the next time.
_RENDER_TRIES = 4


def _render_tracks(project: bytes, folder: str, sr: int) -> list[np.ndarray]:
    """Render every track of a project to its own audio (frames x 2, at ``sr``), trying again
    when LMMS fails (:data:`_RENDER_TRIES`)."""
    import shutil

    import soundfile as sf
    import soxr

    path = os.path.join(folder, "song.mmp")
    with open(path, "wb") as f:
        f.write(project)
    out = os.path.join(folder, "tracks")
    rate = max(44100, sr)
    for _ in range(_RENDER_TRIES):
        shutil.rmtree(out, ignore_errors=True)
        os.makedirs(out)
        proc = subprocess.run(["lmms", "--allowroot", "rendertracks", path, "-f", "wav", "-s",
                               str(rate), "-o", out + os.sep], capture_output=True, timeout=600,
                              check=False, env=dict(os.environ, QT_QPA_PLATFORM="offscreen"))
        files = sorted((f for f in os.listdir(out) if f.endswith(".wav")),
                       key=lambda f: int(f.split("_", 1)[0]))
        if proc.returncode == 0 and files:
            break
    else:
        raise RuntimeError(f"lmms failed {_RENDER_TRIES} times (exit status {proc.returncode}): "
                           f"{proc.stderr[-300:]!r}")
    audio = []
    for f in files:
        y, got = sf.read(os.path.join(out, f), dtype="float64", always_2d=True)
        audio.append(soxr.resample(y, got, sr, quality="HQ") if got != sr else y)
    return audio


def lmms_synth(mid: str, wav: str, *, sr: int, soundfont: str, presets: dict,
               kit: str | None = None) -> None:
    """Render a MIDI file on LMMS: each channel's program on its preset (``presets``,
    program -> preset), channel 10 on the drum kit ``kit`` (a key of :data:`DRUM_KITS`),
    each part scaled to the level at which ``soundfont`` plays it alone.

    Raises
    ------
    RuntimeError
        When LMMS or FluidSynth fails or writes nothing.
    """
    import mido
    import soundfile as sf

    from benchmarks.evalrender import fluidsynth, midi_part, rms

    notes, progs, cents = _midi_parts(mid)
    groups = []  # (name, [(track name, element, notes)]) per part
    for ch in sorted(notes):
        if ch == 9:
            if kit is None:
                continue
            pieces = []
            for note in sorted({n[2] for n in notes[ch]}):
                sample = DRUM_KITS[kit].get(note)
                if sample is not None:
                    pieces.append((f"drum{note}", _sampler(sample),
                                   [(s, d, _DEFAULT_KEY, v) for s, d, n, v in notes[ch]
                                    if n == note]))
            groups.append((ch, pieces))
            continue
        # a program the item drew no preset for plays its pool's first
        preset = presets.get(str(progs.get(ch, 0))) or _pool(progs.get(ch, 0))[0]
        groups.append((ch, [(f"ch{ch}", _instrument(preset, cents=cents.get(ch, 0.0)),
                             [(s, d, n - 12, v) for s, d, n, v in notes[ch]])]))
    with tempfile.TemporaryDirectory() as d:
        tracks = _render_tracks(lmms_project([t for _ch, ts in groups for t in ts]), d, sr)
        # each part's level: its channel alone through the soundfont
        src = mido.MidiFile(mid)
        level = {}
        for ch, _ts in groups:
            path = os.path.join(d, f"part{ch}.mid")
            midi_part(src, lambda msg, ch=ch: getattr(msg, "channel", None) == ch).save(path)
            fluidsynth(path, os.path.join(d, f"part{ch}.wav"), sr=sr, soundfont=soundfont)
            ref, _ = sf.read(os.path.join(d, f"part{ch}.wav"), dtype="float64",
                             always_2d=True)
            level[ch] = rms(ref)
    n = max(len(y) for y in tracks)
    mix = np.zeros((n, 2))
    i = 0
    for ch, ts in groups:
        part = np.zeros((n, 2))
        for y in tracks[i: i + len(ts)]:
            part[: len(y)] += y
        i += len(ts)
        have = rms(part)
        if have > 0:
            mix += part * (level[ch] / have)
    sf.write(wav, mix.astype(np.float32), sr, subtype="FLOAT")


def render_eleventh(item: dict, source: dict, soundfont: str, out_path: str) -> None:
    """Render one item as :func:`benchmarks.evaleighth.render_eighth` does, on LMMS
    (:func:`lmms_synth`) with the item's presets and drum kit."""
    import functools

    from benchmarks.accents import accented_item
    from benchmarks.evalfifthrender import _post, _retimer
    from benchmarks.evalrender import render_item

    synth = functools.partial(lmms_synth, presets=item["presets"], kit=item.get("drumkit"))
    scale = float(item.get("accent", 0.0))
    retime = accented_item(item, source, scale=scale) if scale else _retimer(item)
    render_item(item, source, soundfont, out_path, retime=retime, post=_post(item),
                synth=synth)


def _preset_check(presets) -> list[tuple[str, int, float]]:
    """(preset, pitch class leading the chroma, its share) of a C played in three octaves
    on each preset."""
    import librosa

    out = []
    for preset in presets:
        notes = [(0.5 * i, 0.4, key, 110) for i, key in enumerate((48, 36, 60, 48))]
        with tempfile.TemporaryDirectory() as d:
            y = _render_tracks(lmms_project([("x", _instrument(preset), notes)]), d, 44100)[0]
        c = librosa.feature.chroma_cqt(y=y.mean(axis=1), sr=44100, tuning=0.0).mean(axis=1)
        out.append((preset, int(np.argmax(c)), float(c[0] / c.sum())))
    return out


def main(argv=None) -> int:
    """Print what the built eleventh edition shares with every other built edition and the
    drift benchmark's renders (:func:`benchmarks.evalsixth.report_shared`): pieces, tunes,
    grooves and drum kits; with ``--presets``, the check of every preset drawn from."""
    import argparse

    from benchmarks.evalset import EDITIONS
    from benchmarks.evalsixth import report_shared

    ap = argparse.ArgumentParser(description="check what the eleventh edition shares with "
                                 "another edition, or its presets")
    ap.add_argument("--cache", default=EDITIONS["eleventh"][0])
    ap.add_argument("--presets", action="store_true",
                    help="render a C on every preset and print the pitch class that leads")
    args = ap.parse_args(argv)
    if args.presets:
        bad = 0
        for preset, top, share in _preset_check(TONAL_PRESETS + BASS_PRESETS):
            ok = top == 0 and share >= 0.15
            bad += not ok
            print(f"{preset:<36} leads {top:2d}  C share {share:.2f}  {'ok' if ok else 'BAD'}")
        return 1 if bad else 0

    def kits_of(items: list[dict]) -> list[str]:
        return sorted({it.get("drumkit") for it in items} & set(DRUM_KITS))

    print("grooves shared by design: the tenth edition's plan")
    return 1 if report_shared("eleventh", args.cache, kits_of) else 0


if __name__ == "__main__":
    import sys

    sys.exit(main())
