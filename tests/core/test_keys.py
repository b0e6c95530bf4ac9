"""Key spelling, Camelot codes and the MIREX score."""

import pytest

from core.io.keynotation import (
    Key,
    fifths_distance,
    from_camelot,
    key_relation,
    mirex_score,
    parse_key,
)


@pytest.mark.parametrize("text,expected", [
    ("C# Minor", Key(1, "minor")), ("Db major", Key(1, "major")), ("A#/B♭", Key(10, "major")),
    ("Gm", Key(7, "minor")), ("8A", Key(9, "minor")), ("8B", Key(0, "major")),
    ("F#m", Key(6, "minor")), ("Ebmin", Key(3, "minor")), ("C", Key(0, "major")),
    ("B♭ minor", Key(10, "minor")), ("c#:min", Key(1, "minor")), ("12b", Key(4, "major")),
])
def test_parse_common_spellings(text, expected):
    assert parse_key(text) == expected


def test_pitch_class_with_mode():
    assert parse_key(7, 0) == Key(7, "minor")
    assert parse_key("9", "1") == Key(9, "major")
    assert parse_key(-1, 1) is None
    assert parse_key("") is None and parse_key("not a key") is None


def test_every_camelot_code_round_trips():
    for i in range(24):
        k = Key.from_index(i)
        assert from_camelot(k.camelot) == k
    assert Key(9, "minor").camelot == "8A" and Key(6, "minor").camelot == "11A"
    assert Key(6, "minor").name == "F# minor"


def test_mirex_relations():
    c = Key(0, "major")
    assert mirex_score(c, c) == 1.0
    assert key_relation(Key(7, "major"), c) == "fifth" and mirex_score(Key(5, "major"), c) == 0.5
    assert mirex_score(Key(9, "minor"), c) == 0.3
    assert mirex_score(Key(0, "minor"), c) == 0.2
    assert mirex_score(Key(2, "major"), c) == 0.0
    assert fifths_distance(0, 7) == 1 and fifths_distance(0, 6) == 6
