"""The eleventh edition of the realistic evaluation set: the tenth's plan played by LMMS's
synthesizers and drum samples (its plan, the project written from a MIDI file, each part
at the soundfont's level; a real render only where LMMS, FluidSynth and GeneralUser GS are
present)."""

from __future__ import annotations

import collections
import os
import shutil
import xml.etree.ElementTree as ET

import numpy as np
import pytest

import benchmarks.evaleleventh as eleventh
import benchmarks.evalrender as evalrender
from benchmarks.evaleighth import eighth_sources
from benchmarks.evaleleventh import (
    BASS_PRESETS,
    DRUM_KITS,
    ELEVENTH_FONTS,
    ELEVENTH_TUNE_PLAN,
    LMMS_PRESETS,
    TONAL_PRESETS,
    eleventh_sources,
    lmms_project,
    vary_eleventh,
)
from benchmarks.evalset import EDITIONS, REPLAYED_GROOVES, RESERVED, SOUNDFONTS
from benchmarks.evalsources import melody_signature
from benchmarks.evaltenth import TENTH_TUNE_PLAN
from benchmarks.evaltenthgrooves import TENTH_GROOVES
from tests.core.evalset_stand_ins import planned_edition

HAVE_PRESETS = os.path.isdir(LMMS_PRESETS)
HAVE_LMMS = shutil.which("lmms") is not None and HAVE_PRESETS


@pytest.fixture(scope="module")
def sources():
    return eleventh_sources(set(), set())


@pytest.fixture(scope="module")
def planned(sources):
    return planned_edition("eleventh", sources, vary_eleventh)


def test_the_tunes_are_generated_from_seeds_of_their_own(sources):
    tunes = {melody_signature(t) for t in sources["tunes"]}
    assert len(tunes) >= 7 * 40
    for seed in (18, 19, 20):  # the eighth's, the ninth's and the tenth's
        assert not tunes & {melody_signature(t)
                            for t in eighth_sources(set(), set(), seed=seed)["tunes"]}


def test_the_plan_is_the_tenths_held_out_kept_and_played_on_lmms(planned):
    folder, seed, splits, fonts, tune_plan = EDITIONS["eleventh"]
    assert folder.endswith("songcal-eval-eleventh") and splits == ("heldout",)
    assert fonts["heldout"] == ELEVENTH_FONTS == ("lmms",)
    assert {"tenth", "eleventh"} <= set(RESERVED) and "eleventh" in REPLAYED_GROOVES
    assert seed not in {EDITIONS[n][1] for n in EDITIONS if n != "eleventh"}
    assert tune_plan == ELEVENTH_TUNE_PLAN == TENTH_TUNE_PLAN
    # no other edition plays LMMS; its parts' levels are GeneralUser GS's
    assert not any("lmms" in fs for n in EDITIONS if n != "eleventh"
                   for fs in EDITIONS[n][3].values())
    assert SOUNDFONTS["lmms"] == SOUNDFONTS["generaluser"]
    counts = collections.Counter(it["subset"] for it in planned)
    assert len(planned) == 196 and counts == {"clear": 64, "ambiguous": 40, "drumless": 92}
    assert all(it["soundfont"] == "lmms" for it in planned)
    kits = collections.Counter(it.get("drumkit") for it in planned)
    assert kits[None] == 92 and set(kits) - {None} == set(DRUM_KITS)
    assert min(kits[k] for k in DRUM_KITS) > 30
    drawn = collections.Counter()
    for it in planned:
        assert (it["groove"] == "none") == ("drumkit" not in it)
        assert set(it["presets"]) == {str(p) for p in it["programs"]}
        for program, preset in it["presets"].items():
            pool = BASS_PRESETS if 32 <= int(program) <= 39 else TONAL_PRESETS
            assert preset in pool
            drawn[preset] += 1
    assert len(drawn) > 60  # the pools are drawn from widely
    again = vary_eleventh([dict(it) for it in planned], seed=seed)
    assert [it["presets"] for it in again] == [it["presets"] for it in planned]


def test_the_kits_have_every_piece_the_grooves_play():
    played = {d for _steps, _per_beat, parts in TENTH_GROOVES.values() for d in parts}
    for name, kit in DRUM_KITS.items():
        assert played <= set(kit), name
    assert not set(TONAL_PRESETS) & set(BASS_PRESETS)
    assert not any(p.startswith(("OpulenZ/", "Kicker/", "AudioFileProcessor/"))
                   for p in TONAL_PRESETS + BASS_PRESETS)


def test_the_project_places_notes_in_time_one_octave_down_with_their_velocity():
    inst = ET.Element("instrumenttrack")
    xml = lmms_project([("lead", inst, [(0.5, 0.25, 60 - 12, 127), (1.0, 0.0001, 45, 64)])])
    assert xml.startswith(b'<?xml version="1.0"?>\n<!DOCTYPE lmms-project>')
    root = ET.fromstring(xml.split(b"\n", 2)[2])
    assert root.find("head").get("bpm") == "600"
    track = root.find("song/trackcontainer/track")
    assert track.get("name") == "lead" and track.find("instrumenttrack") is not None
    notes = [n.attrib for n in track.iter("note")]
    # 600 BPM at 48 ticks a beat: 480 ticks a second
    assert [(n["pos"], n["len"], n["key"], n["vol"]) for n in notes] == [
        ("240", "120", "48", "100"), ("480", "1", "45", "50")]


def test_the_midi_parts_keep_times_programs_and_detuning(tmp_path):
    path = str(tmp_path / "x.mid")
    events = [(0.5, 0.25, 60, 100, 0), (1.0, 0.5, 36, 90, 2), (1.0, 0.1, 38, 80, 9)]
    evalrender._write_midi(events, {0: 81, 2: 33}, 16, path, detune_cents=-23.0)
    notes, progs, cents = eleventh._midi_parts(path)
    assert progs == {0: 81, 2: 33, 9: 16}
    assert cents[0] == pytest.approx(-23.0, abs=0.05) and 9 not in cents
    assert notes[0] == [pytest.approx((0.5, 0.25, 60, 100), abs=2e-3)]
    assert notes[2] == [pytest.approx((1.0, 0.5, 36, 90), abs=2e-3)]
    assert [n[2] for n in notes[9]] == [38]


@pytest.mark.skipif(not HAVE_PRESETS, reason="needs LMMS's presets (apt-get install lmms-common)")
def test_a_preset_plays_its_notes_own_pitch_class_once_each():
    # every preset's base note moved by whole octaves to LMMS's default key (A, 57)
    track = eleventh._instrument("TripleOscillator/TheMaster", cents=12.5)
    assert int(track.get("basenote")) % 12 == 57 % 12 and track.get("pitch") == "12.5"
    assert track.find("chordcreator").get("chord-enabled") == "0"
    assert track.find("arpeggiator").get("arp-enabled") == "0"
    fx = track.find("fxchain")
    assert fx is None or (len(fx) == 0 and fx.get("enabled") == "0")
    for preset in TONAL_PRESETS + BASS_PRESETS:
        assert int(eleventh._instrument(preset).get("basenote")) % 12 == 9, preset


def test_each_part_is_scaled_to_the_soundfonts_level(tmp_path, monkeypatch):
    import soundfile as sf

    path = str(tmp_path / "x.mid")
    events = [(0.1, 0.3, 64, 100, 0), (0.2, 0.3, 40, 100, 2), (0.3, 0.05, 36, 100, 9),
              (0.4, 0.05, 42, 100, 9)]
    evalrender._write_midi(events, {0: 0, 2: 33}, 0, path)
    projects = []

    def tracks(project, folder, sr):
        projects.append(project)
        # lead, bass, two drum pieces: levels 1, 2, 3 and 4
        return [np.full((sr, 2), v) for v in (1.0, 2.0, 3.0, 4.0)]

    def fluidsynth(mid, wav, *, sr, soundfont):
        part = eleventh._midi_parts(mid)[0]
        (ch,) = part
        sf.write(wav, np.full((sr, 2), {0: 0.1, 2: 0.2, 9: 0.3}[ch]), sr, subtype="FLOAT")

    monkeypatch.setattr(eleventh, "_render_tracks", tracks)
    monkeypatch.setattr(evalrender, "fluidsynth", fluidsynth)
    # no preset file is read: the test runs where LMMS is not installed
    monkeypatch.setattr(eleventh, "LMMS_PRESETS", str(tmp_path / "no-presets"))
    monkeypatch.setattr(eleventh, "_instrument", lambda preset, *, cents=0.0: ET.Element(
        "instrumenttrack", preset=preset))
    out = str(tmp_path / "x.wav")
    eleventh.lmms_synth(path, out, sr=1000, soundfont="/f.sf2",
                        presets={"0": "TripleOscillator/Square", "33": "SID/Bass"},
                        kit="lmms_808")
    y, _sr = sf.read(out, always_2d=True)
    assert y == pytest.approx(0.1 + 0.2 + 0.3, abs=1e-6)  # each part at its own level
    root = ET.fromstring(projects[0].split(b"\n", 2)[2])
    names = [t.get("name") for t in root.iter("track")]
    assert names == ["ch0", "ch2", "drum36", "drum42"]
    sample = root.find("song/trackcontainer/track[@name='drum36']//audiofileprocessor")
    assert sample.get("src") == DRUM_KITS["lmms_808"][36]


def test_a_render_lmms_crashes_on_is_tried_again_and_then_given_up(tmp_path, monkeypatch):
    import subprocess

    import soundfile as sf

    calls = []

    def run(cmd, **_kw):
        calls.append(cmd)
        out = cmd[cmd.index("-o") + 1]
        if len(calls) % 3 == 0:  # the third try renders, the first two crash
            sf.write(os.path.join(out, "1_x.wav"), np.full((100, 2), 0.5), 44100)
            return subprocess.CompletedProcess(cmd, 0, b"", b"")
        if len(calls) % 3 == 2:  # a crash after a partial file
            sf.write(os.path.join(out, "1_x.wav"), np.zeros((10, 2)), 44100)
        return subprocess.CompletedProcess(cmd, -11, b"", b"segfault")

    monkeypatch.setattr(eleventh.subprocess, "run", run)
    (y,) = eleventh._render_tracks(b"<x/>", str(tmp_path), 44100)
    assert len(calls) == 3 and y.shape == (100, 2) and (y == 0.5).all()
    monkeypatch.setattr(eleventh.subprocess, "run", lambda cmd, **_kw: (
        calls.append(cmd), subprocess.CompletedProcess(cmd, -11, b"", b"segfault"))[1])
    with pytest.raises(RuntimeError, match="lmms failed 4 times"):
        eleventh._render_tracks(b"<x/>", str(tmp_path), 44100)
    assert len(calls) == 3 + 4


@pytest.mark.skipif(not HAVE_LMMS or shutil.which("fluidsynth") is None
                    or not os.path.exists(SOUNDFONTS["generaluser"]),
                    reason="needs LMMS, FluidSynth and GeneralUser GS")
def test_chords_on_lmms_sound_their_own_notes_and_an_item_renders_thirty_seconds(
        tmp_path, sources, planned):
    import librosa
    import soundfile as sf

    # a C major and an A minor triad, 1 s each, on strings or an organ; a bass line C, A
    path, wav = str(tmp_path / "x.mid"), str(tmp_path / "x.wav")
    triads = [(0.0, 60), (0.0, 64), (0.0, 67), (1.0, 57), (1.0, 60), (1.0, 64)]
    for program, preset, notes, expected in (
            (48, "TripleOscillator/PowerStrings", triads, ((0, 4, 7), (9, 0, 4))),
            (4, "BitInvader/epiano", triads, ((0, 4, 7), (9, 0, 4))),
            (33, "SID/Bass", [(0.0, 48), (1.0, 45)], ((0,), (9,))),
            (33, "TripleOscillator/PMbass", [(0.0, 48), (1.0, 45)], ((0,), (9,)))):
        evalrender._write_midi([(t, 0.9, n, 100, 0) for t, n in notes], {0: program}, None,
                               path)
        eleventh.lmms_synth(path, wav, sr=44100, soundfont=SOUNDFONTS["generaluser"],
                            presets={str(program): preset})
        y, sr = sf.read(wav)
        for second, pcs in enumerate(expected):
            part = y[int((second + 0.2) * sr): int((second + 0.8) * sr)].mean(axis=1)
            chroma = librosa.feature.chroma_cqt(y=part, sr=sr, tuning=0.0).mean(axis=1)
            assert set(np.argsort(chroma)[-len(pcs):]) == set(pcs), (preset, second)
    item = dict(next(it for it in planned if it["subset"] == "clear"))
    src = next(s for s in sources["tunes"] if s["id"] == item["source"])
    out = str(tmp_path / "item.flac")
    eleventh.render_eleventh(item, src, SOUNDFONTS["generaluser"], out)
    y, sr = sf.read(out)
    assert len(y) / sr == pytest.approx(30.0, abs=0.5) and np.sqrt(np.mean(y**2)) > 0.01
