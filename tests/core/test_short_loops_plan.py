"""The plan of ``benchmarks.short_loops``: loops under a second, the same songs for a seed."""

from __future__ import annotations

from benchmarks.short_loops import STYLES, plan


def test_every_loop_lasts_half_a_second_to_under_one_and_the_plan_repeats():
    items = plan(4)
    assert len(items) == 4 * len(STYLES)
    for it in items:
        assert 0.5 <= it["beats"] * 60.0 / it["bpm"] <= 0.95 + 1e-9, it
        assert 0.55 <= it["cut_s"] <= 0.95
    assert plan(4) == items
    later = plan(2, 2)
    assert later == items[2 * len(STYLES):]

