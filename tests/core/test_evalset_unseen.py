"""The unseen edition of the realistic evaluation set: its plan, grooves and rendering variation."""

from __future__ import annotations

import collections

import numpy as np
import scipy.signal

from benchmarks.evalgrooves import GROOVES, KITS, UNSTRETCHED
from benchmarks.evalrender import _color, _write_midi
from benchmarks.evalset import EDITIONS, SOUNDFONTS, plan
from benchmarks.evalunseen import UNSEEN_TUNE_PLAN, vary
from tests.core.evalset_stand_ins import stand_in_sources


def _sources():
    return stand_in_sources(["2/4"] * 40 + ["4/4"] * 50 + ["2/2"] * 30 + ["3/4"] * 34
                             + ["6/8"] * 45)


def test_unseen_plan_has_the_promised_subsets_fonts_and_tempo_conventions():
    folder, seed, splits, fonts, tune_plan = EDITIONS["unseen"]
    assert folder.endswith("songcal-eval-unseen") and splits == ("heldout",)
    assert set(fonts["heldout"]) == {"musescore_full", "csound", "timgm6mb"}
    assert SOUNDFONTS["musescore_full"].endswith("MuseScore_General_Full.sf3")
    items = vary(plan(_sources(), seed=seed, splits=splits, fonts=fonts, tune_plan=tune_plan),
                 seed=seed)
    counts = collections.Counter(it["subset"] for it in items)
    assert len(items) >= 200 and counts["drumless"] >= 45 and counts["classical"] >= 45
    assert {it["soundfont"] for it in items} == set(fonts["heldout"])
    other = {g for _n, (*_f, plan_) in EDITIONS.items() if _n != "unseen"
             for g, *_r in plan_}
    for it in items:
        if it["subset"] == "classical":
            continue
        assert it["style"] == "none" or it["style"] not in other, it["style"]
        if it["style"] in UNSTRETCHED:
            assert it["stretch"] == 1.0
        if it["style"] in ("blues128", "bembe"):
            assert it["meter"] == "6/8"  # a dotted-quarter beat under a dotted-quarter groove
        assert it["tonic"] == (_sources()["tunes"][int(it["source"][4:])]["tonic"]
                               + it["transpose"]) % 12


def test_new_grooves_are_well_formed_and_have_kits():
    for name, (steps, per_beat, parts) in GROOVES.items():
        assert name in KITS and steps % per_beat == 0
        for drum, hits in parts.items():
            assert 35 <= drum <= 81
            assert all(0 <= s < steps and 1 <= v <= 127 for s, v in hits), name
    planned = {g for g, *_r in UNSEEN_TUNE_PLAN} - {"none"}
    assert planned <= set(GROOVES) and len(planned) >= 12


def test_vary_is_seeded_per_item_and_keeps_detuning_within_30_cents():
    items = [{"id": f"t{i:03d}", "rt60": 1.0, "wet": 0.2} for i in range(400)]
    a = vary([dict(it) for it in items], seed=12)
    b = vary([dict(it) for it in items], seed=12)
    assert a == b
    det = np.array([it["detune_cents"] for it in a])
    moved = det[det != 0]
    assert 0.35 < len(moved) / len(det) < 0.55
    assert np.all((np.abs(moved) >= 10) & (np.abs(moved) <= 30)) and (moved < 0).any()
    rooms = collections.Counter(it["room"] for it in a)
    assert set(rooms) == {"plain", "dry", "hall"}
    assert all(it["rt60"] > 2.5 for it in a if it["room"] == "hall")
    assert all(it["rt60"] < 0.4 for it in a if it["room"] == "dry")
    assert all(it["rt60"] == 1.0 for it in a if it["room"] == "plain")
    assert set(collections.Counter(it["master"] for it in a)) == {"plain", "lofi", "bright"}


def test_detuning_bends_every_pitched_channel_and_never_the_drums(tmp_path):
    import mido
    events = [(0.0, 0.5, 60, 90, 0), (0.0, 0.5, 48, 80, 1), (0.0, 0.1, 36, 100, 9)]
    _write_midi(events, {0: 73, 1: 0}, 0, tmp_path / "d.mid", detune_cents=-25.0)
    _write_midi(events, {0: 73, 1: 0}, 0, tmp_path / "p.mid")
    bends = [m for m in mido.MidiFile(tmp_path / "d.mid") if m.type == "pitchwheel"]
    assert sorted(m.channel for m in bends) == [0, 1]
    assert all(m.pitch == round(8192 * -25.0 / 200) for m in bends)
    plain = list(mido.MidiFile(tmp_path / "p.mid"))
    assert not any(m.type in ("pitchwheel", "control_change") for m in plain)


def test_lofi_and_bright_masters_change_the_top_of_the_spectrum():
    sr = 44100
    y = np.random.default_rng(1).normal(0, 0.1, (sr * 2, 2))

    def top_db(z):
        f, p = scipy.signal.welch(z[:, 0], fs=sr, nperseg=4096)
        return 10 * np.log10(np.mean(p[f > 9000]))

    base = top_db(y)
    assert np.array_equal(_color(y, sr, {"master": "plain"}), y)
    assert top_db(_color(y, sr, {"master": "lofi", "lowpass_hz": 3500})) < base - 30
    bright = top_db(_color(y, sr, {"master": "bright", "shelf_db": 6.0}))
    assert 4.0 < bright - base < 7.0
