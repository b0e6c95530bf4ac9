"""Key cells of reference sheets: one reading per spelling, and a reason for every cell left
out (mode letters, mode columns, pitch classes, German names, columns that change a cell's
meaning)."""

import pytest

from core.calibration.reference import parse_reference_text
from core.io.keynotation import Key, parse_mode, read_key


def _keys(text):
    sheet = parse_reference_text(text)
    return [r.key for r in sheet.rows], {b.value: b.reason for b in sheet.bad_cells}


# -- a capital M is major, a small m minor -------------------------------------------------


@pytest.mark.parametrize(("cell", "expected"), [
    ("CM", Key(0, "major")), ("Cm", Key(0, "minor")),
    ("C M", Key(0, "major")), ("C m", Key(0, "minor")),
    ("C-M", Key(0, "major")), ("C-m", Key(0, "minor")),  # "C-M" was read as minor
    ("C:M", Key(0, "major")), ("F#M", Key(6, "major")), ("D♭M", Key(1, "major")),
    ("E♭m", Key(3, "minor")), ("Cmaj", Key(0, "major")), ("Cmin", Key(0, "minor")),
])
def test_a_capital_m_after_the_tonic_is_major_and_a_small_one_minor(cell, expected):
    assert read_key(cell) == (expected, "")


def test_a_mode_cell_m_reads_as_the_same_letter_after_a_tonic_does():
    # "M" in a Mode column was read as minor, while "CM" in a Key column is major.
    assert parse_mode("M") == "major" and parse_mode("m") == "minor"
    assert read_key("9", "M") == (Key(9, "major"), "")
    assert read_key("9", "m") == (Key(9, "minor"), "")
    keys, _ = _keys("Track Name,Key,Mode\nA,9,M\nB,9,m\nC,0,Major\nD,0,min\nE,A,M\n")
    assert keys == [Key(9, "major"), Key(9, "minor"), Key(0, "major"), Key(0, "minor"),
                    Key(9, "major")]


def test_a_key_cell_and_its_mode_cell_that_disagree_are_left_out_with_both_named():
    # "Am" beside Mode 1 was read as A minor, the Mode cell ignored; a key name under an
    # unreadable Mode cell was read as major.
    keys, reasons = _keys("Title,Key,Mode\nA,Am,1\nB,8B,minor\nC,A,x\nD,C,0\nE,8A,0\n"
                          "F,Am,\nG,C,M\nH,5,maybe\n")
    assert keys == [None, None, None, Key(0, "minor"), Key(9, "minor"), Key(9, "minor"),
                    Key(0, "major"), None]
    assert reasons["Am"] == "A minor here, major in column 'Mode' (1): which is right?"
    assert reasons["8B"] == "C major here, minor in column 'Mode' (minor): which is right?"
    assert reasons["A"] == "its Mode cell ('x') is not a mode (1 or 0, major or minor)"
    assert "needs a mode" in reasons["5"] and "Mode cell" in reasons["5"]
