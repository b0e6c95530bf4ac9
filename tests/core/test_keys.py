"""Key spelling and Camelot codes."""

import pytest

from core.io.keynotation import Key, from_camelot, parse_key


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

