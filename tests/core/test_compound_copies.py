"""Compound-metre tunes comped in threes: which tunes get a copy and what changes."""

from __future__ import annotations

import pytest

from benchmarks.compound import compound_item, copy_edition


def _tune(**kw):
    item = {"id": "t001", "meter": "6/8", "comp": "arp", "bass": "eighth", "bpm": 70.0,
            "renderer": "fluidsynth", "subset": "drumless", "programs": [0, 24, 32]}
    item.update(kw)
    return item


@pytest.mark.parametrize("comp, bass, new_comp, new_bass", [
    ("arp", "eighth", "arp3", "eighth3"), ("arp16", "whole", "arp3", "whole"),
    ("strum", "beat", "strum3", "beat"), ("offbeat", "half", "strum3", "half"),
    ("alberti16", "sixteenth", "alberti3", "eighth3"), ("block", "eighth", "block", "eighth3"),
])
def test_a_compound_tune_is_comped_and_walked_in_threes(comp, bass, new_comp, new_bass):
    item = _tune(comp=comp, bass=bass)
    copy = compound_item(item)
    assert (copy["comp"], copy["bass"]) == (new_comp, new_bass)
    assert {k: v for k, v in copy.items() if k not in ("comp", "bass")} == \
        {k: v for k, v in item.items() if k not in ("comp", "bass")}
    assert (item["comp"], item["bass"]) == (comp, bass)  # the item itself is left alone


@pytest.mark.parametrize("item", [
    _tune(meter="4/4"), _tune(meter="3/4"), _tune(meter="2/2"),
    _tune(id="c003"),  # a classical piece has no comping of ours
    _tune(renderer="timidity"),
    _tune(comp="sustain", bass="whole"), _tune(comp="block", bass="beat"),
    _tune(comp="arp3", bass="eighth3"),  # already in threes
])
def test_no_copy_of_what_is_not_a_compound_tune_or_has_nothing_to_change(item):
    assert compound_item(item) is None


def test_9_8_and_12_8_are_compound_too():
    assert compound_item(_tune(meter="9/8"))["comp"] == "arp3"
    assert compound_item(_tune(meter="12/8"))["comp"] == "arp3"


def test_the_seventh_edition_is_never_copied():
    with pytest.raises(ValueError, match="seventh"):
        copy_edition("seventh")
