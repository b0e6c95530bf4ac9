"""The sixth edition of the realistic evaluation set: its plan, grooves, instruments, sample
kits and overlap check (on stand-ins; Csound and the installed kits only where present)."""

from __future__ import annotations

import collections
import json
import os
import re
import shutil

import numpy as np
import pytest
import soundfile as sf

import benchmarks.evalfifth as evalfifth
import benchmarks.evalset as evalset
import benchmarks.evalsixth as evalsixth
import benchmarks.evalsixthgrooves as sixth_grooves
import benchmarks.evalsixthrender as render6
import benchmarks.evalsources as evalsources
from benchmarks.evalfourth import tune_files as fourth_tune_files
from benchmarks.evalgrooves import GROOVES, KITS, UNSTRETCHED
from benchmarks.evalgrooves2 import FIT_GROOVES
from benchmarks.evalrender import _ENSEMBLES, BASSES, COMPS, LEADS, _write_midi
from benchmarks.evalset import EDITIONS, REPLAYED_GROOVES, SOUNDFONTS, plan
from benchmarks.evalsixth import SIXTH_FONTS, SIXTH_TUNE_PLAN, TUNE_FILES, main, shared_grooves
from benchmarks.evalsixth import tune_files as sixth_tune_files
from benchmarks.evalsixthgrooves import (
    DRUM_KITS,
    HAND_SETS,
    SIXTH_GROOVES,
    SIXTH_KITS,
    SIXTH_UNSTRETCHED,
)
from benchmarks.evalsixthrender import (
    INSTRUMENTS,
    csound_stem,
    drum_roles,
    drum_stem,
    gm_instrument,
    mix_stems,
    orchestra,
    read_midi,
    vary_sixth,
)
from tests.core.evalset_stand_ins import stand_in_sources, stand_in_tune, write_edition

_OTHERS = [name for name in EDITIONS if name != "sixth"]
_HAVE_CSOUND = shutil.which("csound") is not None
_HAVE_KITS = all(os.path.exists(os.path.join(render6.HYDROGEN_KITS, k, "drumkit.xml"))
                 for k in DRUM_KITS + (render6.HANDS_KIT, render6.AFRICAN_KIT)) \
    and os.path.isdir(render6.SONIC_PI_SAMPLES)


def _planned(classical: int = 50):
    _folder, seed, splits, fonts, tune_plan = EDITIONS["sixth"]
    src = stand_in_sources(["2/4"] * 90 + ["4/4"] * 40 + ["2/2"] * 60 + ["3/4"] * 40
                           + ["6/8"] * 30 + ["12/8"] * 2 + ["9/8"] * 20)
    src["classical"] = src["classical"][:classical]
    return vary_sixth(plan(src, seed=seed, splits=splits, fonts=fonts, tune_plan=tune_plan),
                      seed=seed)


def test_sixth_plan_is_held_out_with_the_promised_subsets_and_instruments():
    folder, seed, splits, fonts, _plan = EDITIONS["sixth"]
    assert folder.endswith("songcal-eval-sixth") and splits == ("heldout",)
    assert fonts["heldout"] == SIXTH_FONTS and SOUNDFONTS["csound_models"] == "csound"
    assert seed not in {EDITIONS[n][1] for n in _OTHERS}
    # No other edition plays any of its instrument sources.
    assert all(f not in SIXTH_FONTS for n in _OTHERS for fs in EDITIONS[n][3].values()
               for f in fs)
    items = _planned(classical=5)
    counts = collections.Counter(it["subset"] for it in items)
    tunes = sum(n for *_r, n in SIXTH_TUNE_PLAN)
    assert counts["classical"] == 5 and 200 <= tunes <= 230 and len(items) - 5 == tunes
    assert counts["drumless"] >= 55 and counts["clear"] >= 65 and counts["ambiguous"] >= 50
    assert all(it["seconds"] == 30.0 and it["renderer"] == "csound"
               and it["soundfont"] == "csound_models" for it in items)
    for it in items:
        drums = it.get("groove", "none") != "none"
        assert ("drumkit" in it) == drums
        if drums:
            assert it["drumkit"] == DRUM_KITS[it["kit"]]
            assert it["hand_set"] == HAND_SETS.get(it["groove"], "kit")
        n_levels = 3 + drums if it["id"].startswith("t") else 15
        assert len(it["levels_db"]) == n_levels and it["levels_db"][0] == 0.0
        assert all(-8.0 <= v <= 0.0 for v in it["levels_db"])
    meters = collections.Counter(it["meter"] for it in items if it["subset"] != "classical")
    for m in ("2/2", "2/4", "3/4", "4/4", "6/8", "9/8", "12/8"):
        assert meters[m] >= 1, m
    drumless = {it["meter"] for it in items if it["subset"] == "drumless"}
    assert {"3/4", "9/8", "2/2"} <= drumless and drumless & {"6/8", "12/8"}
    bpms = [it["bpm"] for it in items if it["subset"] == "drumless"]
    assert 48 <= min(bpms) and max(bpms) <= 180
    grooved = [it["bpm"] for it in items if it["subset"] in ("clear", "ambiguous")]
    assert 60 <= min(grooved) and max(grooved) <= 190


def test_sixth_grooves_are_its_own_and_follow_the_truth_conventions():
    # The eighth edition replays earlier editions' grooves by design (REPLAYED_GROOVES).
    other = {g for n in _OTHERS if n not in REPLAYED_GROOVES
             for g, *_r in EDITIONS[n][4]} | set(FIT_GROOVES)
    mine = {g for g, *_r in SIXTH_TUNE_PLAN} - {"none"}
    assert mine == set(SIXTH_GROOVES) == set(SIXTH_KITS)
    assert not mine & (other | set(GROOVES) - set(SIXTH_GROOVES))
    # Its docstring names every groove of the editions built before it.
    before = list(EDITIONS)[: list(EDITIONS).index("sixth")]
    earlier = {g for n in before for g, *_r in EDITIONS[n][4]} | set(FIT_GROOVES)
    named = set(re.findall(r"``(\w+)``", sixth_grooves.__doc__.split("Clear (")[0]))
    assert earlier - {"none"} <= named and not named & mine
    assert set(HAND_SETS) <= mine and set(HAND_SETS.values()) <= {"hands", "african", "tabla"}
    for name, (steps, per_beat, parts) in SIXTH_GROOVES.items():
        assert GROOVES[name] == (steps, per_beat, parts) and KITS[name] == SIXTH_KITS[name]
        assert steps % per_beat == 0 and all(0 <= k < len(DRUM_KITS) for k in KITS[name])
        for drum, hits in parts.items():
            assert drum in render6._NOTE_ROLES, (name, drum)
            assert all(0 <= s < steps and 1 <= v <= 127 for s, v in hits), name
    assert set(SIXTH_UNSTRETCHED) <= set(UNSTRETCHED)
    for it in _planned():
        style = it["style"]
        if it["subset"] == "classical" or style == "none":
            continue
        _steps, per_beat, _parts = SIXTH_GROOVES[style]
        if per_beat == 6:  # compound grooves count dotted quarters
            assert it["meter"] in ("6/8", "9/8", "12/8") and it["stretch"] == 1.0
        else:
            assert it["meter"] in ("2/4", "3/4", "4/4", "2/2")
        if style in ("countrywaltz", "musette"):
            assert it["meter"] == "3/4" and it["stretch"] == 1.0
        if style == "slipjig":
            assert it["meter"] == "9/8"
        if style in ("halfshuffle", "futurebass", "jerseyclub", "hardtechno", "surf"):
            assert it["bpm"] >= 136 and it["stretch"] == 2.0  # stated at the full tempo
        if style == "hardtechno":
            kicks = [s for s, _v in SIXTH_GROOVES[style][2][sixth_grooves.KICK]]
            assert kicks == [0, 4, 8, 12]


def test_sixth_ryans_mammoth_draw_is_outside_the_other_editions_draws(monkeypatch):
    fake = [f"ryansMammoth/Tune{i:04d}.abc" for i in range(1059)]
    compound = set(fake[::25])
    monkeypatch.setattr(evalsources, "corpus_paths", lambda name, ext="": list(fake))
    monkeypatch.setattr(evalfifth, "compound_files", lambda paths: compound & set(paths))
    fresh = set(np.array(fake)[np.random.default_rng(31).permutation(len(fake))[:400]])
    fourth = {p for p, _n in fourth_tune_files()}
    fifth = {p for p, _n in evalfifth.tune_files()}
    files = sixth_tune_files()
    mine = [p for p, _n, _m in files if p.startswith("ryansMammoth")]
    assert len(mine) == len(set(mine)) == 330
    assert not set(mine) & (fresh | fourth | fifth)
    assert files[len(mine):] == TUNE_FILES
    # The other files give only the metres the unread Ryan's Mammoth files lack.
    assert all(set(m) <= {"3/4", "9/8", "12/8"} for _p, _n, m in TUNE_FILES)
    assert len({(p, m) for p, _n, m in TUNE_FILES}) == len(TUNE_FILES)


def test_overlap_check_reports_shared_tunes_grooves_and_instruments(tmp_path, monkeypatch,
                                                                    capsys):
    assert all(not g for g in shared_grooves(EDITIONS).values())
    sixth, other, base = (str(tmp_path / n) for n in ("sixth", "other", "base"))
    write_edition(sixth, [stand_in_tune("bach/bwv1", 60, kind="chorale")],
                  [stand_in_tune("t#1", 62)])
    write_edition(base, [], [stand_in_tune("b#1", 50, "6/8")],
                   [{"id": "t001", "source": "b#1", "soundfont": "fluidr3"}])
    write_edition(other, [], [stand_in_tune("o#1", 67, "3/4")],
                   [{"renderer": "fluidsynth", "soundfont": "timgm6mb"}])
    monkeypatch.setattr(evalset, "CACHE", base)
    monkeypatch.setattr(evalset, "EDITIONS", {
        "base": (base, 1, ("heldout",), {}, ()), "other": (other, 2, ("heldout",), {}, ()),
        "missing": (str(tmp_path / "nothing"), 3, ("heldout",), {}, ()),
        "sixth": EDITIONS["sixth"]})
    assert main(["--cache", sixth]) == 0
    out = capsys.readouterr().out
    assert "missing    not built" in out and out.count("none shared") == 2
    assert "drift      not built" in out
    # The same melody in another key, under another name, is found ...
    write_edition(other, [], [stand_in_tune("o#2", 65)])
    assert main(["--cache", sixth]) == 1
    assert "1 shared" in capsys.readouterr().out
    # ... and so are a groove, a sample kit and the Csound instruments elsewhere.
    write_edition(other, [], [], [{"soundfont": "csound_models", "drumkit": "VariBreaks"}])
    evalset.EDITIONS["other"] = (other, 2, ("heldout",), {},
                                 (("kuku", "clear", (100, 130), ("4/4",), 1),))
    assert main(["--cache", sixth]) == 1
    assert "3 shared: kuku, csound_models, VariBreaks" in capsys.readouterr().out


def test_vary_sixth_is_seeded_and_keeps_the_fifth_editions_variation():
    items = [{"id": f"{'t' if i % 4 else 'c'}{i:03d}", "rt60": 1.0, "wet": 0.2, "kit": i % 9,
              "groove": ("none", "kuku", "surf")[i % 3], "soundfont": "csound_models"}
             for i in range(400)]
    a = vary_sixth([dict(it) for it in items], seed=16)
    assert a == vary_sixth([dict(it) for it in items], seed=16)
    assert a != vary_sixth([dict(it) for it in items], seed=17)
    for field, values in (("floor", {"none", "vinyl", "hiss", "hum"}),
                          ("echo", {"none", "slap"}), ("fade", {"none", "in", "out", "both"}),
                          ("drift", {"steady", "sway", "ramp", "step"}),
                          ("renderer", {"csound"})):
        assert {it[field] for it in a} == values, field
    assert {it.get("hand_set") for it in a} == {None, "african", "kit"}
    tunes = vary_sixth([dict(it, programs=[73, 0, 33]) for it in items[:300]], seed=16)
    assert all(it["programs"][0] in render6.SIXTH_LEADS and it["programs"][1] in
               render6.SIXTH_COMPS and it["programs"][2] == 33 for it in tunes)
    used = {gm_instrument(p) for it in tunes for p in it["programs"]}
    assert used == set(INSTRUMENTS) - {"synthbass"}  # every model but the synth bass (a bass)
    assert all(0.0 <= it["variant"] <= 1.0 for it in a)


def test_every_general_midi_program_has_a_model_and_no_off_pitch_waveguide():
    names = {gm_instrument(p) for p in range(128)}
    assert names == set(INSTRUMENTS)
    orc = orchestra(48000)
    assert orc.count("\ninstr ") + orc.startswith("instr ") == len(INSTRUMENTS)
    assert "wgflute" not in orc and "wgbrass" not in orc  # off pitch by up to a semitone
    assert all(f"{op} " in orc for op in ("wgpluck2", "wgbow", "wgclar", "marimba", "vibes",
                                          "fmrhode", "fmb3", "fmbell", "pluck"))
    assert gm_instrument(40) == gm_instrument(42) == "bow" and gm_instrument(71) == "clarinet"
    assert gm_instrument(33) == "pluckbass" and gm_instrument(38) == "synthbass"
    assert gm_instrument(52) == "choir" and gm_instrument(19) == "pipes"
    for p in LEADS + COMPS + BASSES + tuple(p for e in _ENSEMBLES.values() for p in e):
        assert gm_instrument(p) in INSTRUMENTS
    assert all(gm_instrument(p) in ("pluckbass", "synthbass") for p in BASSES)


def test_read_midi_gives_back_the_written_notes_programs_and_detuning(tmp_path):
    events = [(0.5, 0.25, 60, 90, 0), (1.0, 0.5, 64, 70, 1), (1.25, 0.1, 36, 100, 9),
              (2.0, 1.0, 48, 80, 2)]
    path = str(tmp_path / "x.mid")
    _write_midi(events, {0: 73, 1: 24, 2: 33}, 3, path, detune_cents=-20.0)
    notes, progs, bends = read_midi(path)
    assert progs == {0: 73, 1: 24, 2: 33, 9: 3}
    assert bends[0] == pytest.approx(-20.0, abs=0.1) and 9 not in bends
    got = sorted((round(t, 3), round(d, 2), m, v, ch) for ch, ns in notes.items()
                 for t, d, m, v in ns)
    assert got == sorted((t, d, m, v, ch) for t, d, m, v, ch in events)


def _fake_kits(root, sp):
    """Two tiny Hydrogen-style kits (one with velocity layers) and Sonic Pi samples."""
    sr = 22050
    for kit, names in (("Kit", ("Kick", "Snare", "Closed HH")),
                       ("Gimme A Hand 1.0", ("Cajon Thump", "Cajon Slap", "Bongo Hi",
                                             "Bongo Lo", "Maraca", "Cowbell")),
                       ("circAfrique v4", ("Djembe3 Slap", "Djembe3 Tone", "Djembe3 Bass"))):
        folder = os.path.join(root, kit)
        os.makedirs(folder)
        xml = ['<drumkit_info xmlns="http://www.hydrogen-music.org/drumkit">',
               f"<name>{kit}</name><instrumentList>"]
        for i, name in enumerate(names):
            layers = []
            for j, (lo, hi) in enumerate(((0.0, 0.5), (0.5, 1.0)) if i == 0 else ((0, 1),)):
                fn = f"{i}_{j}.wav"
                click = np.zeros(200)
                click[0] = 0.1 * (j + 1) * (i + 1)
                sf.write(os.path.join(folder, fn), click, sr)
                layers.append(f"<layer><filename>{fn}</filename><min>{lo}</min><max>{hi}</max>"
                              "<gain>1</gain></layer>")
            xml.append(f"<instrument><id>{i}</id><name>{name}</name>{''.join(layers)}"
                       "</instrument>")
        xml.append("</instrumentList></drumkit_info>")
        with open(os.path.join(folder, "drumkit.xml"), "w") as f:
            f.write("".join(xml))
    os.makedirs(sp)
    for name in set(render6._SONIC_PI_ROLES.values()):
        sf.write(os.path.join(sp, name + ".flac"), np.full(100, 0.05), 44100)
    return sr


def test_drum_stem_plays_the_kits_samples_by_role_and_velocity(tmp_path, monkeypatch):
    root, sp = str(tmp_path / "kits"), str(tmp_path / "sp")
    sr = _fake_kits(root, sp)
    monkeypatch.setattr(render6, "HYDROGEN_KITS", root)
    monkeypatch.setattr(render6, "SONIC_PI_SAMPLES", sp)
    roles = drum_roles("Kit")
    assert len(roles[36]) == 2 and roles[38][0][3].endswith("Kit/1_0.wav")
    assert roles[42][0][3].endswith("Kit/2_0.wav")
    assert roles[70][0][3].endswith("Gimme A Hand 1.0/4_0.wav")  # the hand kit's maraca
    assert roles[81][0][3] == os.path.join(sp, "elec_triangle.flac")  # Sonic Pi's triangle
    hands = drum_roles("Kit", "hands")
    assert hands[35][0][3].endswith("Gimme A Hand 1.0/0_0.wav")  # the cajon
    hits = [(0.5, 0.1, 36, 120), (1.0, 0.1, 36, 30), (1.5, 0.1, 38, 127)]
    y = drum_stem(hits, "Kit", "kit", sr, seconds=2.0, seed=1)
    assert y.shape == (2 * sr, 2)
    at = {t: np.abs(y[int(t * sr), 0]) for t, *_r in hits}
    assert at[0.5] > at[1.0] > 0  # the loud layer, louder; the soft one, softer
    assert np.count_nonzero(np.abs(y[:, 0]) > 1e-6) == 3  # one click per hit, nothing else


def test_mix_stems_sets_each_parts_level_and_refuses_a_silent_part(monkeypatch):
    sr = 8000

    def fake_stem(notes, instrument, rate, *, seconds, variant=0.5, folder=None):
        y = np.zeros(int(seconds * rate))
        for t, d, f, _v in notes:
            part = y[int(t * rate): int((t + d) * rate)]
            part += np.sin(2 * np.pi * f * np.arange(len(part)) / rate)
        return y

    monkeypatch.setattr(render6, "csound_stem", fake_stem)
    item = {"id": "t001", "seed": 3, "levels_db": [0.0, -6.0, -3.0], "pans": [0.0, 0.5, 0.0]}
    notes = {0: [(0.0, 1.0, 60, 90)], 1: [(0.0, 2.0, 64, 50)], 2: [(0.5, 1.0, 36, 100)]}
    stems = mix_stems(item, notes, {0: 73, 1: 0, 2: 33}, {}, sr, seconds=2.0)
    rms = {ch: 20 * np.log10(np.sqrt(np.mean(y ** 2))) for ch, y in stems.items()}
    assert rms[1] - rms[0] == pytest.approx(-6.0, abs=1e-6)
    assert rms[2] - rms[0] == pytest.approx(-3.0, abs=1e-6)
    assert np.sum(stems[1][:, 1] ** 2) > np.sum(stems[1][:, 0] ** 2)  # panned right
    with pytest.raises(RuntimeError, match="silent"):
        mix_stems(item, {0: [(5.0, 1.0, 60, 90)]}, {0: 73}, {}, sr, seconds=2.0)


@pytest.mark.skipif(not _HAVE_CSOUND, reason="needs the csound command")
def test_csound_models_play_in_tune(tmp_path):
    sr = 22050
    for name in ("nylon", "bow", "clarinet", "rhodes", "marimba", "brass", "pluckbass"):
        f0 = 440.0 * 2 ** ((57 - 69) / 12) if name != "pluckbass" else 55.0 * 2 ** (3 / 12)
        y = csound_stem([(0.1, 0.9, f0, 100)], name, sr, seconds=1.2, folder=str(tmp_path))
        assert len(y) == int(1.2 * sr)
        s = y[int(0.25 * sr): int(0.95 * sr)]
        assert np.sqrt(np.mean(s ** 2)) > 1e-4, name
        spec = np.abs(np.fft.rfft(s * np.hanning(len(s)), 16 * len(s)))
        freqs = np.fft.rfftfreq(16 * len(s), 1 / sr)
        near = (freqs > f0 * 2 ** -0.07) & (freqs < f0 * 2 ** 0.07)
        peak = freqs[near][np.argmax(spec[near])]
        assert abs(1200 * np.log2(peak / f0)) < 15, (name, peak, f0)


@pytest.mark.skipif(not _HAVE_KITS, reason="needs hydrogen-drumkits and sonic-pi-samples")
def test_every_groove_note_has_a_sample_in_every_installed_kit():
    notes = {n for _s, _b, parts in SIXTH_GROOVES.values() for n in parts} | {49}
    for kit in DRUM_KITS:
        for hand_set in ("kit", "hands", "african", "tabla"):
            roles = drum_roles(kit, hand_set)
            for n in notes:
                assert roles[n] and all(os.path.exists(x[3]) for x in roles[n]), (kit, n)


def test_stem_report_and_audio_check_flag_a_buried_part_and_a_short_file(tmp_path):
    sr = 8000
    t = np.arange(4 * sr) / sr
    loud = np.stack([np.sin(2 * np.pi * 220 * t)] * 2, axis=1) * 0.3
    quiet = loud * 10 ** (-26 / 20)
    report = render6.stem_report({0: loud, 1: quiet}, sr)
    assert report["0"][1] == 1.0 and report["1"][1] == 0.0 and report["1"][0] < -20
    cache = tmp_path / "sixth"
    (cache / "audio").mkdir(parents=True)
    items = [{"id": f"t00{i}", "file": f"audio/t00{i}.flac", "sr": sr, "seconds": 4.0,
              "subset": "clear", "meter": "4/4", "style": "kuku"} for i in range(3)]
    sf.write(cache / "audio" / "t000.flac", loud, sr)
    sf.write(cache / "audio" / "t001.flac", loud[: 3 * sr], sr)
    with open(cache / "manifest.json", "w") as f:
        json.dump(items, f)
    with open(cache / "stems.json", "w") as f:
        json.dump({"t000": report}, f)
    lines, bad = evalsixth.audio_check(str(cache))
    text = "\n".join(lines)
    assert bad == 3  # the short file, the missing one and the buried stem
    assert "missing 1: t002" in text and "t001: 3.00 s" in text and "t000/1" in text
    assert "subset: clear 3" in text
