"""The fourth edition of the realistic evaluation set: its plan, grooves and rendering variation."""

from __future__ import annotations

import collections

import numpy as np
import scipy.signal

from benchmarks.evalfourth import _TUNE_FILES, FOURTH_FONTS, FOURTH_TUNE_PLAN, merge_tunes
from benchmarks.evalfourthgrooves import FOURTH_GROOVES, FOURTH_KITS, FOURTH_UNSTRETCHED
from benchmarks.evalfourthrender import (
    _retimer,
    drift_map,
    pump,
    radio,
    stereo_width,
    vary_fourth,
    wow,
)
from benchmarks.evalgrooves import GROOVES, KITS, UNSTRETCHED
from benchmarks.evalset import EDITIONS, REPLAYED_GROOVES, SOUNDFONTS, SPLIT_FONTS, plan
from benchmarks.evalsources import _TUNE_FILES as _BASE_TUNE_FILES
from benchmarks.evalunseen import _TUNE_FILES as _UNSEEN_TUNE_FILES
from tests.core.evalset_stand_ins import stand_in_sources

#: The styles the parallel fit-only round trains on: the fourth edition must play none.
_FIT_ONLY_STYLES = ("merengue", "soca", "ska", "calypso", "highlife", "tango", "trainbeat",
                    "boomchick", "punk", "salsa", "zouk", "march", "viennesewaltz", "mazurka",
                    "tarantella", "jig", "gospel", "dancehall", "kwaito", "dense")


def _sources():
    return stand_in_sources(["2/4"] * 50 + ["4/4"] * 40 + ["2/2"] * 50 + ["3/4"] * 24
                             + ["6/8"] * 26 + ["12/8"] * 3 + ["9/8"] * 12)


def _planned():
    folder, seed, splits, fonts, tune_plan = EDITIONS["fourth"]
    return vary_fourth(plan(_sources(), seed=seed, splits=splits, fonts=fonts,
                            tune_plan=tune_plan), seed=seed)


def test_fourth_plan_is_held_out_with_the_promised_subsets_and_soundfonts():
    folder, seed, splits, fonts, _plan = EDITIONS["fourth"]
    assert folder.endswith("songcal-eval-fourth") and splits == ("heldout",)
    assert set(fonts["heldout"]) == set(FOURTH_FONTS) == {"musescore", "musescore_full",
                                                          "timgm6mb", "csound"}
    assert not set(FOURTH_FONTS) & set(SPLIT_FONTS["fit"])  # never FluidR3 or OPL-3
    assert seed not in {s for name, (_f, s, *_r) in EDITIONS.items() if name != "fourth"}
    items = _planned()
    counts = collections.Counter(it["subset"] for it in items)
    assert 220 <= len(items) <= 260, len(items)
    assert counts["classical"] == 50 and counts["drumless"] >= 45
    assert counts["clear"] >= 55 and counts["ambiguous"] >= 55
    assert {it["soundfont"] for it in items} == set(FOURTH_FONTS)
    assert all(it["seconds"] == 30.0 for it in items)
    assert all(SOUNDFONTS[f].startswith("/usr/share/sounds/") for f in FOURTH_FONTS)
    meters = collections.Counter(it["meter"] for it in items if it["subset"] != "classical")
    for m in ("2/2", "2/4", "3/4", "4/4", "6/8", "9/8", "12/8"):
        assert meters[m] >= 1, m


def test_fourth_grooves_are_its_own_and_follow_the_truth_conventions():
    other = {g for name, (*_f, plan_) in EDITIONS.items()
             if name != "fourth" and name not in REPLAYED_GROOVES
             for g, *_r in plan_} - {"none"}
    mine = {g for g, *_r in FOURTH_TUNE_PLAN} - {"none"}
    assert not mine & other and mine == set(FOURTH_GROOVES)
    assert not any(bad in g for g in mine for bad in _FIT_ONLY_STYLES)
    for name, (steps, per_beat, parts) in FOURTH_GROOVES.items():
        assert GROOVES[name] == (steps, per_beat, parts) and KITS[name] == FOURTH_KITS[name]
        assert steps % per_beat == 0
        for drum, hits in parts.items():
            assert 35 <= drum <= 81
            assert all(0 <= s < steps and 1 <= v <= 127 for s, v in hits), name
    assert set(FOURTH_UNSTRETCHED) <= set(UNSTRETCHED)
    for it in _planned():
        style = it["style"]
        if it["subset"] == "classical" or style == "none":
            continue
        steps, per_beat, _parts = FOURTH_GROOVES[style]
        if per_beat == 6:  # compound grooves count dotted quarters under 6/8 and 12/8 tunes
            assert it["meter"] in ("6/8", "12/8") and it["stretch"] == 1.0
        else:
            assert it["meter"] in ("2/4", "3/4", "4/4", "2/2")
        if style == "chacarera34":
            assert it["meter"] == "3/4" and it["stretch"] == 1.0
        if style in ("dubstep", "grime", "traphalf"):  # half-time, stated at the full tempo
            assert it["bpm"] >= 138 and it["stretch"] == 2.0
        if style == "gabber":
            assert 180 <= it["bpm"] <= 200
    triple = sum(1 for g, *_r in FOURTH_TUNE_PLAN if g in FOURTH_UNSTRETCHED)
    two_beat = sum(1 for g, _s, _r, meters, _n in FOURTH_TUNE_PLAN if meters[0] == "2/4")
    assert triple >= 3 and two_beat >= 4


def test_fourth_tune_files_are_none_that_another_edition_took_tunes_from():
    more_oneills = {f"oneills1850/{f}" for f in (
        "0301-0350.abc", "0351-0400.abc", "0401-0486.abc", "0501-0550.abc", "0550-0625.abc",
        "0626-0700.abc", "0759-0810.abc")}
    taken_from = set(_BASE_TUNE_FILES) | {f for f, _n in _UNSEEN_TUNE_FILES} | more_oneills
    mine = [f for f, _n in _TUNE_FILES]
    assert len(mine) == len(set(mine)) and not set(mine) & taken_from
    assert not any(f.startswith(("airdsAirs", "miscFolk", "nottingham")) for f in mine)
    # The Essen files are ones earlier editions listed after their tune limit was reached.
    assert {f for f in mine if f.startswith("essen")} <= {
        f"essenFolksong/{f}.abc" for f in ("erk10", "fink0", "lot", "dva0", "zuccal0")}


def test_vary_fourth_is_seeded_and_records_each_new_kind():
    items = [{"id": f"{'t' if i % 4 else 'c'}{i:03d}", "rt60": 1.0, "wet": 0.2}
             for i in range(600)]
    a = vary_fourth([dict(it) for it in items], seed=14)
    assert a == vary_fourth([dict(it) for it in items], seed=14)
    assert all(it["drift"] == "steady" for it in a if it["id"][0] == "c")
    drift = collections.Counter(it["drift"] for it in a if it["id"][0] == "t")
    assert set(drift) == {"steady", "sway", "ramp"}
    assert 0.3 < (drift["sway"] + drift["ramp"]) / sum(drift.values()) < 0.5
    moved = [abs(it["drift_pct"]) for it in a if it["drift"] != "steady"]
    assert min(moved) >= 2.0 and max(moved) <= 3.5
    assert {it["bus"] for it in a} == {"plain", "pump", "radio"}
    assert all(it["master"] == "plain" for it in a if it["bus"] == "radio")
    assert {it["width"] for it in a} == {"stereo", "mono", "wide"}
    wowed = [it["wow_pct"] for it in a if it["wow_pct"]]
    assert 0.12 < len(wowed) / len(a) < 0.28 and max(wowed) <= 0.3
    assert any(it["detune_cents"] for it in a)  # the unseen edition's variation as well


def test_drift_keeps_the_mean_tempo_and_stays_within_the_drift():
    for kind in ("sway", "ramp"):
        grid, real = drift_map(36.0, kind=kind, pct=3.5, period_s=9.0, phase=1.0)
        assert abs(np.interp(36.0, grid, real) - 36.0) < 1e-9  # as many beats in the file
        rate = np.diff(grid) / np.diff(real)  # local tempo / planned tempo
        inside = grid[1:] <= 36.0
        assert np.max(np.abs(rate[inside] - 1.0)) < 0.075
        assert np.max(np.abs(rate[inside] - 1.0)) > 0.02  # it does drift
        assert np.all(np.diff(real) > 0)
    item = {"seconds": 30.0, "drift": "ramp", "drift_pct": 3.0}
    events = _retimer(item)([(t, 0.1, 60, 90, 0) for t in np.arange(0.0, 30.0, 0.5)])
    gaps = np.diff([e[0] for e in events])
    assert gaps[0] > 0.5 > gaps[-1]  # an accelerando: beats come closer


def test_wow_pump_radio_and_width_change_the_audio_as_described():
    sr = 22050
    t = np.arange(sr * 4) / sr
    tone = np.sin(2 * np.pi * 1000 * t)
    y = np.stack([tone, tone], axis=1) * 0.3
    w = wow(y, sr, pct=0.3, hz=1.0)
    f, _t, z = scipy.signal.stft(w[:, 0], fs=sr, nperseg=8192, noverlap=8192 - 1024)
    peaks = f[np.argmax(np.abs(z[:, 4:-4]), axis=0)]
    assert np.ptp(peaks) > 2 * (sr / 8192) * 0.9 and np.all(np.abs(peaks - 1000) < 8)
    rng = np.random.default_rng(2)
    noise = rng.normal(0, 0.05, (sr * 2, 2))
    noise[sr // 2: sr // 2 + 2000] *= 12  # a loud hit ducks what follows
    ducked = pump(noise, sr, ratio=10.0, release_ms=200.0)
    after = slice(sr // 2 + 2200, sr // 2 + 3200)
    assert np.std(ducked[after]) < 0.6 * np.std(noise[after])
    late = slice(sr + sr // 2, 2 * sr)
    assert abs(np.std(ducked[late]) / np.std(noise[late]) - 1.0) < 0.1
    band = radio(noise, sr, band=(300.0, 3400.0))
    fw, p = scipy.signal.welch(band[:, 0], fs=sr, nperseg=4096)
    assert np.mean(p[fw < 100]) < 0.01 * np.mean(p[(fw > 800) & (fw < 2000)])
    assert np.mean(p[fw > 7000]) < 0.01 * np.mean(p[(fw > 800) & (fw < 2000)])
    mono = stereo_width(noise, width="mono")
    assert np.array_equal(mono[:, 0], mono[:, 1])
    wide = stereo_width(noise, width="wide", gain=2.0)
    side = lambda z: np.std(z[:, 0] - z[:, 1])  # noqa: E731
    assert abs(side(wide) / side(noise) - 2.0) < 1e-9
    assert np.allclose(wide.sum(axis=1), noise.sum(axis=1))
    assert np.array_equal(stereo_width(noise, width="stereo"), noise)


def test_tunes_read_file_by_file_drop_a_melody_an_earlier_file_gave():
    def tune(name, first, meter="6/8"):
        return {"id": name, "meter": meter,
                "notes": [[float(i), 1.0, first + (i * 7) % 12, 0, False] for i in range(14)]}

    a, b = [tune("a#0", 60), tune("a#1", 62)], [tune("b#0", 65), tune("b#1", 67, "9/8")]
    merged = merge_tunes([a, b])
    # a#1 and b#0 are a#0 transposed (the same melody); b#1 has its intervals in 9/8.
    assert [t["id"] for t in merged] == ["a#0", "b#1"]
    assert merge_tunes([b, a])[0]["id"] == "b#0"
