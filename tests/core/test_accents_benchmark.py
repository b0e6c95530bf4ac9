"""The metric accents of ``benchmarks.accents``: which notes are raised, which lowered."""

from __future__ import annotations

import pytest

from benchmarks.accents import BAR, BEAT, OFF, accent_events, accented_item


def test_bar_beat_and_offbeat_notes_get_their_accents_and_the_drums_none():
    beat = 0.5  # 120 BPM, 2/4: a bar of two beats
    events = [(0.0, 0.2, 60, 80, 0), (0.25, 0.2, 62, 80, 0), (0.5, 0.2, 64, 80, 1),
              (1.0 + 0.004, 0.2, 65, 80, 2), (1.5 - 0.01, 0.2, 67, 80, 0),
              (0.25, 0.1, 42, 80, 9), (0.0, 0.1, 36, 80, 9)]
    out = accent_events(events, beat_s=beat, bar_beats=2.0)
    assert [e[3] for e in out] == [80 + BAR, 80 - OFF, 80 + BEAT, 80 + BAR, 80 + BEAT, 80, 80]
    assert [e[:3] + e[4:] for e in out] == [e[:3] + e[4:] for e in events]


def test_compound_metre_accents_the_dotted_beat_not_the_eighths():
    beat = 60.0 / 60.0  # a dotted quarter at 60 BPM; 6/8 has two beats in a bar
    eighth = beat / 3
    events = [(k * eighth, 0.2, 60, 80, 0) for k in range(6)]
    out = [e[3] for e in accent_events(events, beat_s=beat, bar_beats=2.0)]
    assert out == [80 + BAR, 80 - OFF, 80 - OFF, 80 + BEAT, 80 - OFF, 80 - OFF]


def test_velocities_stay_in_the_midi_range():
    out = accent_events([(0.0, 0.1, 60, 125, 0), (0.1, 0.1, 60, 22, 1)], beat_s=0.5,
                        bar_beats=4.0)
    assert [e[3] for e in out] == [127, 20]


@pytest.mark.parametrize("drift", ["steady", "sway"])
def test_the_items_drift_follows_the_accents(drift):
    item = {"bpm": 120.0, "seconds": 30.0, "drift": drift, "drift_pct": 3.0,
            "drift_period_s": 10.0, "drift_phase": 0.0}
    retime = accented_item(item, {"bar_ql": 2.0, "beat_ql": 1.0})
    events = [(5.0, 0.2, 60, 80, 0), (5.25, 0.2, 60, 80, 0)]
    out = retime(events)
    assert [e[3] for e in out] == [80 + BAR, 80 - OFF]
    moved = abs(out[0][0] - 5.0) > 1e-3  # a sway moves the note, a steady file does not
    assert moved == (drift == "sway")
