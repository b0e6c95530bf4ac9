"""The plan and the sound of ``benchmarks.riff_loops``: loops cut to whole bars from a
downbeat, cuts that are no loop, and how a reading is scored."""

from __future__ import annotations

import numpy as np
import pytest

from benchmarks.riff_loops import GROUPINGS, KINDS, SONG_STYLES, SR, audio, plan, summary


def test_the_plan_holds_every_kind_and_repeats_for_its_seeds():
    items = plan(3)
    per_seed = 2 * len(GROUPINGS) + 2 * len(SONG_STYLES) + 2
    assert len(items) == 3 * per_seed
    assert {it["kind"] for it in items} == set(KINDS)
    assert plan(3) == items
    assert plan(2, 1) == items[per_seed:]


def test_loops_last_whole_bars_or_beats_and_cuts_no_whole_count():
    for it in plan(6):
        beat = 60.0 / it["bpm"]
        if it["kind"] == "cut":
            n = it["seconds"] / beat
            assert it["beats"] is None and abs(n - round(n)) >= 0.15, it
            phase = (it["start"] / beat) % 1.0
            assert 0.2 - 1e-9 <= phase <= 0.8 + 1e-9, it  # off the beat
            assert 1.2 <= it["seconds"] <= 6.0
        else:
            assert it["seconds"] == pytest.approx(it["beats"] * beat, rel=1e-6), it
            if it["kind"] in ("riff", "clave"):
                assert it["beats"] in (4, 8)
                assert (it["start"] / (4 * beat)) % 1.0 == pytest.approx(0.0, abs=1e-9)


@pytest.mark.parametrize("kind", ["riff", "clave"])
def test_a_loop_starts_on_its_first_note_and_lasts_its_length(kind):
    item = next(it for it in plan(1) if it["kind"] == kind)
    y = audio(item)
    assert len(y) == int(round(item["seconds"] * SR))
    head = np.abs(y[: int(0.03 * SR)]).max()
    assert head >= 0.3 * np.abs(y).max()  # the downbeat's note, not a note's tail


def test_a_riff_plays_its_grouping():
    """The riff of dotted eighths at 120 BPM: its notes start every three sixteenths (0.375 s)
    within the bar; the 16th after the fourth group is the fifth note's place, not 15."""
    item = {"kind": "riff", "source": "dotted eighths", "seed": 0, "bpm": 120.0, "beats": 4,
            "seconds": 2.0, "start": 2.0}
    y = audio(item)
    six = 0.125
    env = np.array([np.abs(y[int(k * six * SR): int(k * six * SR) + int(0.02 * SR)]).max()
                    for k in range(16)])
    notes = set(np.flatnonzero(env >= 0.5 * env.max()))
    assert set(GROUPINGS["dotted eighths"]) <= notes
    assert not notes & {1, 2, 4, 5}


def test_the_summary_counts_relations_loops_and_misses():
    rows = [{"est": 120.0, "bpm": 120.0, "looped": True, "conf": 0.9},
            {"est": 60.0, "bpm": 120.0, "looped": True, "conf": 0.5},
            {"est": 80.0, "bpm": 120.0, "looped": False, "conf": 0.3},
            {"est": None, "bpm": 120.0, "looped": False, "conf": 0.0}]
    assert summary(rows).split() == ["4", "0.250", "0.500", "2", "0.50"]
    assert summary([]).split() == ["0"]
