"""The fifth edition of the realistic evaluation set: its plan, grooves, overlap check and
rendering variation."""

from __future__ import annotations

import collections
import os
import re
import subprocess

import mido
import numpy as np
import pytest
import scipy.signal

import benchmarks.evalfifth as evalfifth
import benchmarks.evalfifthgrooves as fifth_grooves
import benchmarks.evalset as evalset
import benchmarks.evalsources as evalsources
from benchmarks.evalfifth import (
    FIFTH_FONTS,
    FIFTH_TUNE_PLAN,
    TUNE_FILES,
    cap_tunes,
    excerpt_candidates,
    main,
    shared_grooves,
    tune_files,
)
from benchmarks.evalfifthgrooves import FIFTH_GROOVES, FIFTH_KITS, FIFTH_UNSTRETCHED
from benchmarks.evalfifthrender import (
    FREEPATS_CFG,
    FREEPATS_DRUMS,
    FREEPATS_PROGRAMS,
    _freepats_midi,
    _retimer,
    fade,
    freepats_program,
    noise_floor,
    slapback,
    step_map,
    timidity,
    vary_fifth,
)
from benchmarks.evalfourth import _TUNE_FILES as _FOURTH_TUNE_FILES
from benchmarks.evalfourth import tune_files as fourth_tune_files
from benchmarks.evalgrooves import GROOVES, KITS, UNSTRETCHED
from benchmarks.evalgrooves2 import FIT_GROOVES
from benchmarks.evalset import EDITIONS, REPLAYED_GROOVES, SOUNDFONTS, SPLIT_FONTS, plan
from benchmarks.evalsources import _TUNE_FILES as _BASE_TUNE_FILES
from benchmarks.evalunseen import _TUNE_FILES as _UNSEEN_TUNE_FILES
from tests.core.evalset_stand_ins import stand_in_sources, stand_in_tune, write_edition

_OTHERS = [name for name in EDITIONS if name != "fifth"]


def _sources():
    return stand_in_sources(["2/4"] * 60 + ["4/4"] * 70 + ["2/2"] * 50 + ["3/4"] * 30
                             + ["6/8"] * 30 + ["12/8"] * 3 + ["9/8"] * 14)


def _planned():
    _folder, seed, splits, fonts, tune_plan = EDITIONS["fifth"]
    return vary_fifth(plan(_sources(), seed=seed, splits=splits, fonts=fonts,
                           tune_plan=tune_plan), seed=seed)


def test_fifth_plan_is_held_out_with_the_promised_subsets_and_renderers():
    folder, seed, splits, fonts, _plan = EDITIONS["fifth"]
    assert folder.endswith("songcal-eval-fifth") and splits == ("heldout",)
    assert set(fonts["heldout"]) == set(FIFTH_FONTS)
    assert not set(FIFTH_FONTS) & set(SPLIT_FONTS["fit"])  # never FluidR3 or OPL-3
    assert seed not in {EDITIONS[n][1] for n in _OTHERS}
    # No other edition renders with freepats.
    assert all("freepats" not in f for n in _OTHERS for fs in EDITIONS[n][3].values()
               for f in fs)
    assert SOUNDFONTS["freepats"] == FREEPATS_CFG
    items = _planned()
    counts = collections.Counter(it["subset"] for it in items)
    assert counts["classical"] == 50  # every classical stand-in; the corpus now gives 7
    tunes = sum(n for *_r, n in FIFTH_TUNE_PLAN)
    assert 190 <= tunes <= 230 and len(items) - 50 == tunes, len(items)
    assert counts["drumless"] >= 55 and counts["clear"] >= 65 and counts["ambiguous"] >= 55
    assert all(it["seconds"] == 30.0 for it in items)
    renderers = collections.Counter(it["renderer"] for it in items)
    assert 0.25 < renderers["timidity"] / len(items) < 0.45
    for it in items:
        if it["renderer"] == "timidity":
            assert it["soundfont"] == "freepats"
        else:
            assert it["renderer"] == "fluidsynth" and it["soundfont"] in FIFTH_FONTS
    for subset in ("classical", "clear", "ambiguous", "drumless"):
        assert {it["renderer"] for it in items if it["subset"] == subset} == {"fluidsynth",
                                                                             "timidity"}
    meters = collections.Counter(it["meter"] for it in items if it["subset"] != "classical")
    for m in ("2/2", "2/4", "3/4", "4/4", "6/8", "9/8", "12/8"):
        assert meters[m] >= 1, m
    drumless = {it["meter"] for it in items if it["subset"] == "drumless"}
    assert {"3/4", "9/8"} <= drumless and drumless & {"2/4", "4/4", "2/2"} \
        and drumless & {"6/8", "12/8"}


def test_fifth_grooves_are_its_own_and_follow_the_truth_conventions():
    # The eighth edition replays earlier editions' grooves by design (REPLAYED_GROOVES).
    other = {g for n in _OTHERS if n not in REPLAYED_GROOVES
             for g, *_r in EDITIONS[n][4]} | set(FIT_GROOVES)
    mine = {g for g, *_r in FIFTH_TUNE_PLAN} - {"none"}
    assert mine == set(FIFTH_GROOVES) == set(FIFTH_KITS)
    assert not mine & (other | set(GROOVES) - set(FIFTH_GROOVES))
    # The docstring names every groove the editions before it play (and uses none of them).
    named = set(re.findall(r"``(\w+)``", fifth_grooves.__doc__.split("Clear (")[0]))
    earlier = {g for n in list(EDITIONS)[: list(EDITIONS).index("fifth")]
               for g, *_r in EDITIONS[n][4]} | set(FIT_GROOVES)
    assert earlier - {"none"} <= named and not named & mine
    for name, (steps, per_beat, parts) in FIFTH_GROOVES.items():
        assert GROOVES[name] == (steps, per_beat, parts) and KITS[name] == FIFTH_KITS[name]
        assert steps % per_beat == 0
        for drum, hits in parts.items():
            assert 35 <= drum <= 81 and drum in FREEPATS_DRUMS, (name, drum)  # GM; freepats has it
            assert all(0 <= s < steps and 1 <= v <= 127 for s, v in hits), name
    assert set(FIFTH_UNSTRETCHED) <= set(UNSTRETCHED)
    for it in _planned():
        style = it["style"]
        if it["subset"] == "classical" or style == "none":
            continue
        steps, per_beat, _parts = FIFTH_GROOVES[style]
        if per_beat == 6:  # compound grooves count dotted quarters under 6/8 and 12/8 tunes
            assert it["meter"] in ("6/8", "12/8") and it["stretch"] == 1.0
        else:
            assert it["meter"] in ("2/4", "3/4", "4/4", "2/2")
        if style in ("landler", "valsecriollo"):
            assert it["meter"] == "3/4" and it["stretch"] == 1.0
        if style in ("drill", "halfstep", "neurofunk", "hardstyle", "happyhardcore"):
            assert it["bpm"] >= 138 and it["stretch"] == 2.0  # stated at the full tempo
        if style in ("hardstyle", "happyhardcore"):
            kicks = [s for s, _v in FIFTH_GROOVES[style][2][fifth_grooves.KICK]]
            assert kicks == [0, 4, 8, 12]  # a kick on every beat: the quarter is the truth
    subsets = collections.Counter(sub for g, sub, *_r in FIFTH_TUNE_PLAN if g != "none")
    assert subsets["clear"] >= 10 and subsets["ambiguous"] >= 8
    assert sum(1 for g in mine if g in FIFTH_UNSTRETCHED) >= 3


def test_fifth_tune_files_are_none_that_another_edition_took_tunes_from():
    more_taken = {f"oneills1850/{f}" for f in (
        "0301-0350.abc", "0351-0400.abc", "0401-0486.abc", "0501-0550.abc", "0550-0625.abc")}
    # The base and fresh editions reached their tune limits before the rest of their lists.
    base_taken = set(_BASE_TUNE_FILES) - {"essenFolksong/altdeu10.abc"}
    fresh_taken = {"airdsAirs/book1.abc", "airdsAirs/book2.abc"}
    taken_from = (base_taken | {f for f, _n in _UNSEEN_TUNE_FILES} | more_taken
                  | fresh_taken | {f for f, _n in _FOURTH_TUNE_FILES})
    mine = [f for f, _n in TUNE_FILES]
    assert len(mine) == len(set(mine)) and not set(mine) & taken_from
    # O'Neill files that hold the same tunes as one another edition read are left out too.
    assert not set(mine) & {"oneills1850/1556-1576.abc", "oneills1850/1577-1624.abc",
                            "oneills1850/1710-1750.abc", "oneills1850/1116-1135_ml.abc",
                            "oneills1850/0626-0635.abc", "oneills1850/0732-0758_mh.abc"}


def test_fifth_ryans_mammoth_draw_is_outside_the_fresh_and_fourth_draws(monkeypatch):
    fake = [f"ryansMammoth/Tune{i:04d}.abc" for i in range(1059)]
    compound = set(fake[::25])  # tunes in 9/8 or 12/8: all taken outside the other draws
    monkeypatch.setattr(evalsources, "corpus_paths", lambda name, ext="": list(fake))
    monkeypatch.setattr(evalfifth, "compound_files", lambda paths: compound & set(paths))
    fresh = set(np.array(fake)[np.random.default_rng(31).permutation(len(fake))[:400]])
    fourth = {p for p, _n in fourth_tune_files()} - {f for f, _n in _FOURTH_TUNE_FILES}
    mine = [p for p, n in tune_files() if p.startswith("ryansMammoth")]
    assert len(fourth) == 40 and len(mine) == len(set(mine))
    assert not set(mine) & fresh and not set(mine) & fourth
    free = compound - fresh - fourth
    assert free and free <= set(mine) and len(set(mine) - compound) == 30


def test_tunes_in_nine_and_twelve_eight_are_all_kept_and_the_others_capped():
    tunes = [{"id": f"x#{i}", "meter": m} for i, m in enumerate(
        ["2/4", "9/8", "6/8", "3/4", "12/8", "4/4", "9/8"])]
    assert [t["id"] for t in cap_tunes(tunes, 2)] == ["x#0", "x#1", "x#2", "x#4", "x#6"]
    assert [t["id"] for t in cap_tunes(tunes, 0)] == ["x#1", "x#4", "x#6"]


def test_excerpt_candidates_leave_out_what_another_edition_took():
    known = {"haydn/opus74no1/movement2", "beethoven/opus18no1/movement1.mxl",
             "mozart/k156/movement1"}
    cands = excerpt_candidates(known)
    paths = [p for p, _k in cands]
    assert len(paths) == len(set(paths)) and not set(paths) & known
    assert "beethoven/opus18no1/movement1.mxl" not in paths
    assert not any(p.endswith(".krn") for p in paths)
    assert ("weber/concertino_clarinet", "piece") in cands
    assert len(excerpt_candidates(set())) > len(cands)


def test_overlap_check_reports_shared_tunes_grooves_and_renderers(tmp_path, monkeypatch, capsys):
    assert all(not g for g in shared_grooves(EDITIONS).values())
    fifth, other, base = (str(tmp_path / n) for n in ("fifth", "other", "base"))
    write_edition(fifth, [stand_in_tune("bach/bwv1", 60, kind="chorale")],
                  [stand_in_tune("t#1", 62)])
    write_edition(base, [], [stand_in_tune("b#1", 50, "6/8"), stand_in_tune("b#2", 61, "2/2")],
                   [{"id": "t001", "source": "b#1", "soundfont": "fluidr3"},
                    {"id": "t002", "source": "b#2", "soundfont": "opl3"}])
    os.makedirs(base + "-drift")
    for kind in ("steady", "sway"):  # the drift benchmark keeps only its audio
        open(os.path.join(base + "-drift", f"t001_{kind}.flac"), "wb").close()
    write_edition(other, [], [stand_in_tune("o#1", 67, "3/4")],
                   [{"renderer": "fluidsynth", "soundfont": "timgm6mb"}])
    plan_ = (("drill", "ambiguous", (138, 146), ("4/4",), 1),)
    monkeypatch.setattr(evalset, "CACHE", base)
    monkeypatch.setattr(evalset, "EDITIONS", {
        "base": (base, 1, ("heldout",), {}, ()), "other": (other, 2, ("heldout",), {}, ()),
        "missing": (str(tmp_path / "nothing"), 3, ("heldout",), {}, ()),
        "fifth": EDITIONS["fifth"]})
    assert main(["--cache", fifth]) == 0
    out = capsys.readouterr().out
    assert "missing    not built" in out and out.count("none shared") == 3
    # A tune with the same melody in another key, under another name, is found ...
    write_edition(other, [], [stand_in_tune("o#1", 67, "3/4"), stand_in_tune("o#2", 65)])
    assert main(["--cache", fifth]) == 1
    assert "1 shared" in capsys.readouterr().out
    # ... and so are a groove another edition plays and a TiMidity render elsewhere.
    write_edition(other, [], [], [{"renderer": "timidity", "soundfont": "freepats"}])
    evalset.EDITIONS["other"] = (other, 2, ("heldout",), {}, plan_)
    assert main(["--cache", fifth]) == 1
    assert "2 shared: drill, freepats" in capsys.readouterr().out
    # The drift benchmark's renders are checked through the base edition's manifest.
    write_edition(other, [], [])
    evalset.EDITIONS["other"] = (other, 2, ("heldout",), {}, ())
    write_edition(fifth, [stand_in_tune("bach/bwv1", 60, kind="chorale")],
                  [stand_in_tune("t#1", 49, "6/8")])
    assert main(["--cache", fifth]) == 1
    out = capsys.readouterr().out
    assert re.search(r"drift\s+1 shared", out) and re.search(r"base\s+1 shared", out)
    open(os.path.join(base + "-drift", "t002_sway.flac"), "wb").close()
    write_edition(fifth, [stand_in_tune("bach/bwv1", 60, kind="chorale")],
                  [stand_in_tune("t#1", 62, "2/2")])
    assert main(["--cache", fifth]) == 1  # t#1 is b#2 a tone higher
    out = capsys.readouterr().out
    assert re.search(r"drift\s+1 shared", out) and re.search(r"base\s+1 shared", out)


def test_vary_fifth_is_seeded_and_records_each_new_kind():
    items = [{"id": f"{'t' if i % 4 else 'c'}{i:03d}", "rt60": 1.0, "wet": 0.2,
              "soundfont": "musescore"} for i in range(800)]
    a = vary_fifth([dict(it) for it in items], seed=15)
    assert a == vary_fifth([dict(it) for it in items], seed=15)
    assert a != vary_fifth([dict(it) for it in items], seed=16)
    assert all(it["drift"] == "steady" for it in a if it["id"][0] == "c")
    drift = collections.Counter(it["drift"] for it in a if it["id"][0] == "t")
    assert set(drift) == {"steady", "sway", "ramp", "step"}
    assert 0.1 < drift["step"] / sum(drift.values()) < 0.2
    steps = [it for it in a if it["drift"] == "step"]
    assert all(0.35 <= it["step_at"] <= 0.65 and 2.0 <= abs(it["drift_pct"]) <= 3.5
               for it in steps)
    assert {np.sign(it["drift_pct"]) for it in steps} == {-1.0, 1.0}
    for field, values in (("floor", {"none", "vinyl", "hiss", "hum"}),
                          ("echo", {"none", "slap"}), ("fade", {"none", "in", "out", "both"}),
                          ("bus", {"plain", "pump", "radio"}),
                          ("width", {"stereo", "mono", "wide"}),
                          ("renderer", {"fluidsynth", "timidity"})):
        assert {it[field] for it in a} == values, field
    floors = [it["floor_db"] for it in a if it["floor"] != "none"]
    assert 0.28 < len(floors) / len(a) < 0.42 and min(floors) >= 28 and max(floors) <= 42
    assert all(it["hum_hz"] in (50.0, 60.0) for it in a if it["floor"] == "hum")
    assert all(("fade_in_s" in it) == (it["fade"] in ("in", "both"))
               and ("fade_out_s" in it) == (it["fade"] in ("out", "both")) for it in a)
    assert all(it["master"] == "plain" for it in a if it["bus"] == "radio")
    assert any(it["detune_cents"] for it in a)  # the unseen edition's variation as well
    assert all(it["seconds"] == 30.0 for it in a)


def test_tempo_step_keeps_the_mean_tempo_and_steps_once():
    for pct in (3.0, -2.5):
        grid, real = step_map(30.0, pct=pct, at=0.4)
        assert abs(np.interp(30.0, grid, real) - 30.0) < 1e-9  # as many beats in the file
        rate = np.diff(grid) / np.diff(real)  # local tempo / planned tempo
        early, late = rate[grid[1:] < 9.0], rate[(grid[1:] > 15.0) & (grid[1:] < 30.0)]
        assert np.ptp(early) < 1e-3 and np.ptp(late) < 1e-3  # steady on either side
        assert abs((np.mean(late) - np.mean(early)) * 100 - 2 * pct) < 0.2
        assert np.all(np.diff(real) > 0)
    with pytest.raises(ValueError):
        step_map(30.0, pct=3.0, at=1.2)
    item = {"seconds": 30.0, "drift": "step", "drift_pct": 3.0, "step_at": 0.5}
    events = _retimer(item)([(t, 0.1, 60, 90, 0) for t in np.arange(0.0, 30.0, 0.5)])
    gaps = np.diff([e[0] for e in events])
    assert gaps[0] > 0.5 > gaps[-1]  # faster after the step
    assert _retimer({"drift": "steady"}) is None


def test_noise_floor_echo_and_fade_change_the_audio_as_described():
    sr = 16000
    t = np.arange(sr * 4) / sr
    y = np.stack([np.sin(2 * np.pi * 440 * t)] * 2, axis=1) * 0.3
    rms = np.sqrt(np.mean(y ** 2))
    for kind in ("vinyl", "hiss", "hum"):
        noisy = noise_floor(y, sr, kind=kind, db=30.0, seed=3, hum_hz=60.0)
        floor = np.sqrt(np.mean((noisy - y) ** 2))
        assert abs(20 * np.log10(floor / rms) + 30.0) < 0.1, kind
    hum = noise_floor(y, sr, kind="hum", db=20.0, seed=3, hum_hz=50.0) - y
    f, p = scipy.signal.welch(hum[:, 0], fs=sr, nperseg=8192)
    assert abs(f[np.argmax(p)] - 50.0) < 2.0
    assert np.array_equal(noise_floor(y, sr, kind="none", db=30.0, seed=3), y)
    with pytest.raises(ValueError):
        noise_floor(y, sr, kind="crowd", db=30.0, seed=3)
    click = np.zeros((sr, 2))
    click[100] = 1.0
    echoed = slapback(click, sr, ms=100.0, feedback=0.5, mix=0.4)
    d = int(0.1 * sr)
    assert echoed[100, 0] == 1.0 and abs(echoed[100 + d, 0] - 0.4) < 1e-12
    assert abs(echoed[100 + 2 * d, 0] - 0.2) < 1e-12
    faded = fade(np.ones((sr * 10, 2)), sr, fade_in_s=2.0, fade_out_s=3.0)
    assert faded[0, 0] == 0.0 and faded[sr, 0] == pytest.approx(0.5, abs=1e-3)
    assert np.all(faded[2 * sr: 7 * sr] == 1.0) and faded[-1, 0] < 1e-4
    assert np.all(np.diff(faded[: 2 * sr, 0]) >= 0) and np.all(np.diff(faded[7 * sr:, 0]) <= 0)


def test_freepats_programs_stay_in_their_family(tmp_path):
    for program in range(128):
        mapped = freepats_program(program)
        assert mapped in FREEPATS_PROGRAMS
        if program in FREEPATS_PROGRAMS:
            assert mapped == program
        elif any(p // 8 == program // 8 for p in FREEPATS_PROGRAMS):
            assert mapped // 8 == program // 8
    assert freepats_program(41) == 40 and freepats_program(52) == 53  # viola, choir aahs
    if os.path.exists(FREEPATS_CFG):  # the table is that of the installed patches
        with open(FREEPATS_CFG) as f:
            text = f.read()
        bank = text.split("bank 0")[1]
        drums = text.split("drumset 0")[1].split("bank 0")[0]
        assert tuple(int(m) for m in re.findall(r"^\s*(\d+)\s", bank, re.M)) == FREEPATS_PROGRAMS
        assert tuple(int(m) for m in re.findall(r"^\s*(\d+)\s", drums, re.M)) == FREEPATS_DRUMS
    mf = mido.MidiFile(ticks_per_beat=480)
    track = mido.MidiTrack()
    mf.tracks.append(track)
    track += [mido.Message("program_change", channel=0, program=41),
              mido.Message("program_change", channel=9, program=25),
              mido.Message("note_on", channel=9, note=28, velocity=90, time=0),
              mido.Message("note_on", channel=9, note=36, velocity=90, time=100),
              mido.Message("note_on", channel=0, note=60, velocity=90, time=50)]
    mf.save(tmp_path / "a.mid")
    _freepats_midi(str(tmp_path / "a.mid"), str(tmp_path / "b.mid"))
    msgs = [m for m in mido.MidiFile(tmp_path / "b.mid").tracks[0] if not m.is_meta]
    assert [m.program for m in msgs if m.type == "program_change"] == [40, 0]
    notes = [(m.note, m.time) for m in msgs if m.type == "note_on"]
    assert notes == [(36, 100), (60, 50)]  # the missing drum dropped, the timing kept


def test_timidity_refuses_a_render_that_used_a_soundfont(tmp_path, monkeypatch):
    mf = mido.MidiFile(ticks_per_beat=480)
    mf.tracks.append(mido.MidiTrack([mido.Message("note_on", note=60, velocity=90)]))
    mid, wav = str(tmp_path / "x.mid"), str(tmp_path / "x.wav")
    mf.save(mid)

    def fake_run(log):
        def run(cmd, **_kw):
            assert cmd[:3] == ["timidity", "-c", FREEPATS_CFG]
            open(wav, "wb").close()
            return subprocess.CompletedProcess(cmd, 0, stdout=log, stderr="")
        return run

    monkeypatch.setattr(subprocess, "run", fake_run("Tonebank 0 40: Tone_000/040_Violin.pat\n"))
    timidity(mid, wav, sr=44100)
    monkeypatch.setattr(subprocess, "run", fake_run("Loading SF Tonebank 0 41: Viola\n"))
    with pytest.raises(RuntimeError, match="SoundFont"):
        timidity(mid, wav, sr=44100)
