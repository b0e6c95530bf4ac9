"""The fit-only grooves2 edition of the evaluation set: its plan, grooves and fast figures."""

from __future__ import annotations

import collections

import numpy as np

from benchmarks.evalgrooves import GROOVES
from benchmarks.evalgrooves2 import FIT_COMPS, FIT_GROOVES, FIT_KITS, grooves2_plan
from benchmarks.evalrender import perform
from benchmarks.evalset import EDITIONS


def _tunes():
    rng = np.random.default_rng(0)
    meters = ["2/4"] * 16 + ["4/4"] * 60 + ["3/4"] * 60 + ["6/8"] * 55
    return [{"id": f"tune{i}", "kind": "tune", "meter": m, "tonic": int(rng.integers(12)),
             "mode": "major", "beat_ql": 1.5 if m == "6/8" else 1.0,
             "bar_ql": {"2/4": 2.0, "4/4": 4.0, "3/4": 3.0, "6/8": 3.0}[m], "pickup_ql": 0.0,
             "length_ql": 24.0, "notes": [[float(o), 1.0, 67, 0, False] for o in range(24)]}
            for i, m in enumerate(meters)]


def test_grooves2_is_fit_only_and_keeps_the_beat_conventions():
    folder, seed, splits, fonts, tune_plan = EDITIONS["grooves2"]
    assert folder.endswith("songcal-eval-grooves2") and splits == ("fit",)
    assert set(fonts["fit"]) == {"fluidr3", "opl3"}
    tunes = _tunes()
    items = grooves2_plan({"tunes": tunes}, seed=seed, fonts=fonts["fit"], tune_plan=tune_plan)
    assert 150 <= len(items) <= 250 and {it["split"] for it in items} == {"fit"}
    assert {it["soundfont"] for it in items} == {"fluidr3", "opl3"}
    assert {it["source"] for it in items} <= {t["id"] for t in tunes}
    counts = collections.Counter(it["subset"] for it in items)
    assert counts["drumless"] >= 25 and counts["ambiguous"] >= 30
    for it in items:
        if it["style"] in ("tarantella", "jig", "gospel128"):
            assert it["meter"] == "6/8" and it["stretch"] == 1.0
        if it["style"] in ("vwaltz", "mazurka"):
            assert it["meter"] == "3/4" and it["stretch"] == 1.0
        if it["stretch"] == 2.0:
            assert it["bpm"] > 135 and it["meter"] in ("2/4", "4/4")
        if it["style"] == "none":
            assert it["comp"] in FIT_COMPS or it["comp"] in ("arp", "strum")
    # Its grooves are its own: none is played by another edition.
    others = {g for name, (*_f, plan_) in EDITIONS.items() if name != "grooves2" for g, *_r in plan_}
    assert not ({it["style"] for it in items} - {"none"}) & others


def test_grooves2_patterns_are_well_formed():
    assert not set(FIT_GROOVES) & set(GROOVES)
    for name, (steps, per_beat, parts) in FIT_GROOVES.items():
        assert name in FIT_KITS and steps % per_beat == 0
        for drum, hits in parts.items():
            assert 35 <= drum <= 81
            assert all(0 <= s < steps and 1 <= v <= 127 for s, v in hits), name


def _onsets(item, source, channel):
    events, _ = perform(item, source, seed=5)
    return np.sort([t for t, _d, _n, _v, ch in events if ch == channel])


def test_fast_figures_play_at_their_rate():
    tune = _tunes()[20]  # 4/4
    item = {"bpm": 120.0, "groove": "none", "stretch": 1.0, "comp": "alberti16", "bass": "beat",
            "octave": 0, "programs": [73, 0, 32], "seconds": 8.0, "transpose": 0}
    comp = _onsets(item, tune, 1)
    # 16ths at 120 BPM: 8 per second, one note each (an Alberti figure, not a chord).
    assert abs(np.median(np.diff(comp)) - 0.125) < 0.01
    assert len(comp) == len(set(np.round(comp, 2)))
    events, _ = perform(item, tune, seed=5)
    notes = [n for t, _d, n, _v, ch in sorted(events) if ch == 1][:4]
    assert notes[0] < notes[2] < notes[1] == notes[3]  # low, high, middle, high
    jig = dict(item, comp="arp3", bass="eighth3", bpm=100.0, groove="jig")
    comp = _onsets(jig, _tunes()[-1], 1)  # 6/8: 8th notes are a third of the beat
    assert abs(np.median(np.diff(comp)) - 0.2) < 0.01
    events, _ = perform(jig, _tunes()[-1], seed=5)
    bodhran = np.sort([t for t, _d, n, _v, ch in events if ch == 9 and n == 41])
    assert abs(np.median(np.diff(bodhran)) - 0.2) < 0.01  # every 8th note
