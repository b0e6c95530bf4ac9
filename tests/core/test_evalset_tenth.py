"""The tenth edition of the realistic evaluation set: its plan, its own grooves, the drum
part rendered on a recorded kit and mixed at the soundfont kit's level (a real render only
where FluidSynth, the kits and a soundfont are present)."""

from __future__ import annotations

import collections
import os
import shutil

import numpy as np
import pytest

import benchmarks.evalrender as evalrender
import benchmarks.evaltenth as evaltenth
import benchmarks.evaltenthgrooves as tenth_grooves
from benchmarks.evaleighth import EIGHTH_TUNE_PLAN, eighth_sources
from benchmarks.evalgrooves import GROOVES, KITS, UNSTRETCHED
from benchmarks.evalgrooves2 import FIT_GROOVES
from benchmarks.evalset import EDITIONS, REPLAYED_GROOVES, RESERVED, SOUNDFONTS
from benchmarks.evalsources import melody_signature
from benchmarks.evaltenth import (
    DRUM_KITS,
    TENTH_FONTS,
    TENTH_TUNE_PLAN,
    fluidsynth_with_kit,
    tenth_sources,
    vary_tenth,
)
from benchmarks.evaltenthgrooves import TENTH_GROOVES, TENTH_KITS, TENTH_UNSTRETCHED
from tests.core.evalset_stand_ins import planned_edition


@pytest.fixture(scope="module")
def sources():
    return tenth_sources(set(), set())


@pytest.fixture(scope="module")
def planned(sources):
    return planned_edition("tenth", sources, vary_tenth)


def test_the_tunes_are_generated_from_seeds_of_their_own(sources):
    tunes = {melody_signature(t) for t in sources["tunes"]}
    assert len(tunes) >= 7 * 40
    for seed in (18, 19):  # the eighth's and the ninth's
        assert not tunes & {melody_signature(t)
                            for t in eighth_sources(set(), set(), seed=seed)["tunes"]}


def test_the_plan_is_held_out_kept_for_the_next_choice_and_draws_fonts_and_kits(planned):
    folder, seed, splits, fonts, _plan = EDITIONS["tenth"]
    assert folder.endswith("songcal-eval-tenth") and splits == ("heldout",)
    assert fonts["heldout"] == TENTH_FONTS and "tenth" in RESERVED
    assert seed not in {EDITIONS[n][1] for n in EDITIONS if n != "tenth"}
    # the pitched soundfonts are those no fit has read: no edition of the tempo fit plays them
    fitted = ("base", "more", "grooves2", "fresh", "unseen", "fourth", "fifth", "sixth")
    assert not {f for n in fitted for fs in EDITIONS[n][3].values() for f in fs} & set(
        TENTH_FONTS)
    assert all(f in SOUNDFONTS for f in TENTH_FONTS)
    assert [r for r in TENTH_TUNE_PLAN if r[0] == "none"] == [
        r for r in EIGHTH_TUNE_PLAN if r[0] == "none"]
    counts = collections.Counter(it["subset"] for it in planned)
    assert len(planned) == sum(n for *_r, n in TENTH_TUNE_PLAN) == 196
    assert counts == {"clear": 64, "ambiguous": 40, "drumless": 92}
    assert all(it["seconds"] == 30.0 and it["renderer"] == "fluidsynth" for it in planned)
    drawn = collections.Counter(it["soundfont"] for it in planned)
    assert set(drawn) == set(TENTH_FONTS) and min(drawn.values()) > 40
    kits = collections.Counter(it.get("drumkit") for it in planned)
    assert kits[None] == 92 and set(kits) - {None} == set(DRUM_KITS)
    assert min(kits[k] for k in DRUM_KITS) > 30
    for it in planned:
        assert (it["groove"] == "none") == (it["subset"] == "drumless") == ("drumkit" not in it)
        if it["groove"] != "none":
            assert it["kit"] in KITS[it["groove"]]
            assert it["meter"] in next(r[3] for r in TENTH_TUNE_PLAN if r[0] == it["groove"])


def test_the_grooves_are_its_own_played_on_a_kits_pieces_and_follow_the_truth_conventions(
        planned):
    mine = {g for g, *_r in TENTH_TUNE_PLAN} - {"none"}
    assert mine == set(TENTH_GROOVES) == set(TENTH_KITS) and len(mine) == 13
    # (an edition that replays others' grooves, the eleventh this one's, is not counted)
    other = {g for n in EDITIONS if n != "tenth" and n not in REPLAYED_GROOVES
             for g, *_r in EDITIONS[n][4]}
    assert not mine & (other | set(FIT_GROOVES) | (set(GROOVES) - set(TENTH_GROOVES)))
    pieces = {36, 37, 38, 41, 42, 44, 45, 46, 47, 49, 51, 53, 54, 56}
    for name, (steps, per_beat, parts) in TENTH_GROOVES.items():
        assert GROOVES[name] == (steps, per_beat, parts) and KITS[name] == (0,)
        assert steps % per_beat == 0 and set(parts) <= pieces, name
        for hits in parts.values():
            assert all(0 <= s < steps and 1 <= v <= 127 for s, v in hits), name
    assert set(TENTH_UNSTRETCHED) <= set(UNSTRETCHED)
    for it in planned:
        if it["groove"] == "none":
            continue
        _steps, per_beat, _parts = TENTH_GROOVES[it["groove"]]
        if per_beat == 6:  # compound grooves count dotted quarters
            assert it["meter"] in ("6/8", "12/8") and it["stretch"] == 1.0
        if it["groove"] in ("skankbeat", "dbeat", "hardcore"):
            assert it["bpm"] >= 160  # stated at the full tempo
    # the breakdown is half-time (its snare on 3 alone); the fast ones keep 2 and 4 or the
    # off-beats
    snare = tenth_grooves.SNARE
    assert {s for s, _v in TENTH_GROOVES["breakdown"][2][snare]} == {8}
    assert {s for s, _v in TENTH_GROOVES["skankbeat"][2][snare]} == {2, 6, 10, 14}
    assert {4, 12} <= {s for s, _v in TENTH_GROOVES["hardcore"][2][snare]}


def _fake_fluidsynth(calls):
    """A stand-in for FluidSynth: a WAV whose left channel is 0.1 per note-on of channel 0-8
    and right channel 0.1 per note-on of channel 9 (of the MIDI file given), one second,
    doubled when the soundfont's name holds "loud"."""
    import mido
    import soundfile as sf

    def synth(mid, wav, *, sr, soundfont):
        f = mido.MidiFile(mid)
        notes = [m for t in f.tracks for m in t if m.type == "note_on"]
        programs = [(m.channel, m.program) for t in f.tracks for m in t
                    if m.type == "program_change"]
        calls.append((os.path.basename(mid), soundfont, sorted({m.channel for m in notes}),
                      programs))
        gain = 2.0 if "loud" in soundfont else 1.0
        y = np.zeros((sr, 2))
        y[:, 0] = 0.1 * gain * sum(m.channel != 9 for m in notes)
        y[:, 1] = 0.1 * gain * sum(m.channel == 9 for m in notes)
        sf.write(wav, y, sr, subtype="FLOAT")

    return synth


def test_the_drums_are_rendered_on_the_kit_and_mixed_at_the_soundfonts_kit_level(
        tmp_path, monkeypatch):
    import mido
    import soundfile as sf

    mid = mido.MidiFile(ticks_per_beat=480)
    track = mido.MidiTrack()
    mid.tracks.append(track)
    track.append(mido.MetaMessage("set_tempo", tempo=500000, time=0))
    track.append(mido.Message("program_change", channel=0, program=24, time=0))
    track.append(mido.Message("program_change", channel=9, program=16, time=0))
    for ch, note in ((0, 60), (9, 36), (9, 38), (0, 64), (9, 42)):
        track.append(mido.Message("note_on", channel=ch, note=note, velocity=90, time=120))
    path = str(tmp_path / "x.mid")
    mid.save(path)
    calls = []
    monkeypatch.setattr(evalrender, "fluidsynth", _fake_fluidsynth(calls))
    wav = str(tmp_path / "x.wav")
    fluidsynth_with_kit(path, wav, sr=1000, soundfont="/fonts/gm.sf2", kit="/kits/loud.sf2")
    by_part = {c[0]: c[1:] for c in calls}
    # the pitched parts alone, with the soundfont
    assert by_part["x.pitched.mid"] == ("/fonts/gm.sf2", [0], [(0, 24)])
    # the drums with the soundfont's own kit (for the level), and moved onto the kit's preset
    assert by_part["x.own.mid"] == ("/fonts/gm.sf2", [9], [(9, 16)])
    assert by_part["x.kit.mid"] == ("/kits/loud.sf2", [0], [(0, 0)])
    y, _sr = sf.read(wav, always_2d=True)
    # pitched: 2 notes on the left; the kit's render (3 notes at double level, on the left
    # as channel 0) scaled to the own kit's RMS (3 notes on the right at single level)
    own = 0.3 / np.sqrt(2)
    kit = 0.6 / np.sqrt(2)
    assert y[:, 0] == pytest.approx(0.2 + 0.6 * own / kit, abs=1e-6)
    assert y[:, 1] == pytest.approx(0.0, abs=1e-6)


def test_a_drumless_item_renders_without_a_kit(monkeypatch, planned, sources, tmp_path):
    used = []
    monkeypatch.setattr(evalrender, "render_item",
                        lambda item, source, font, out, *, retime, post, synth: used.append(
                            synth))
    drumless = next(it for it in planned if it["subset"] == "drumless")
    grooved = next(it for it in planned if it["subset"] == "clear")
    by_id = {s["id"]: s for s in sources["tunes"]}
    for it in (drumless, grooved):
        evaltenth.render_tenth(it, by_id[it["source"]], "/f.sf2", str(tmp_path / "o.flac"))
    assert used[0] is evalrender.fluidsynth
    assert used[1].func is fluidsynth_with_kit
    assert used[1].keywords == {"kit": DRUM_KITS[grooved["drumkit"]]}


def test_missing_kits_name_the_package_that_installs_them(monkeypatch):
    monkeypatch.setattr(evaltenth, "DRUM_KITS", {"k": "/nowhere/kit.sf2"})
    with pytest.raises(RuntimeError, match="apt-get install avldrums.lv2-soundfont"):
        evaltenth.ensure_drum_kits()


@pytest.mark.skipif(shutil.which("fluidsynth") is None
                    or not all(os.path.exists(p) for p in DRUM_KITS.values())
                    or not os.path.exists(SOUNDFONTS["generaluser"]),
                    reason="needs FluidSynth, the AVL drum kits and GeneralUser GS")
def test_a_grooved_item_renders_thirty_seconds_with_its_kit(tmp_path, sources, planned):
    import soundfile as sf

    item = dict(next(it for it in planned if it["subset"] == "ambiguous"))
    src = next(s for s in sources["tunes"] if s["id"] == item["source"])
    out = str(tmp_path / "item.flac")
    evaltenth.render_tenth(item, src, SOUNDFONTS["generaluser"], out)
    y, sr = sf.read(out)
    assert len(y) / sr == pytest.approx(30.0, abs=0.5) and np.sqrt(np.mean(y**2)) > 0.01
