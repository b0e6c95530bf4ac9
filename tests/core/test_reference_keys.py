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


# -- numbers in key cells -------------------------------------------------------------------

PITCH_CLASS = "pitch class must be 0-11 (or -1 for unknown)"


@pytest.mark.parametrize("cell", ["12", "12.0", "-2", "99", 12, -3])
def test_a_pitch_class_out_of_range_says_so(cell):
    # read_key gave no reason at all for 12, as for an empty cell.
    assert read_key(cell, 1) == (None, PITCH_CLASS)
    assert read_key(cell) == (None, PITCH_CLASS)


def test_every_column_gives_the_reason_of_a_number_that_is_no_key():
    # A Camelot column's 12 was listed with an empty reason, and its 5 read as F major (a
    # pitch class without a mode): neither is a Camelot code.
    keys, reasons = _keys("Song,Camelot\nA,12\nB,8A\nC,5\nD,12B\n")
    assert keys == [None, Key(9, "minor"), None, Key(4, "major")]
    assert reasons == {"12": "not a Camelot code (a number without A or B)",
                       "5": "not a Camelot code (a number without A or B)"}
    keys, reasons = _keys("Track Name,Key,Mode,Camelot\nA,12,1,\nB,12,1,8B\nC,7.5,0,\n"
                          "D,-1,1,\nE,-1,1,8A\n")
    assert keys == [None, None, None, None, Key(9, "minor")]
    assert reasons == {"12": PITCH_CLASS, "7.5": PITCH_CLASS}
    sheet = parse_reference_text("Track Name,Key,Mode\nA,12,1\nB,3,0\n")
    assert any(PITCH_CLASS in w and "row 2" in w for w in sheet.warnings)
    # A Camelot cell that is no code beside a key that reads is listed, the key kept.
    keys, reasons = _keys("Song,Key,Camelot\nA,Am,12\nB,C,\n")
    assert keys == [Key(9, "minor"), Key(0, "major")]
    assert reasons == {"12": "not a Camelot code (a number without A or B)"}


# -- German names ---------------------------------------------------------------------------


@pytest.mark.parametrize(("cell", "mode", "expected"), [
    # H is B in German, and no other note anywhere: read with any mode spelling.
    ("H", None, Key(11, "major")), ("Hm", None, Key(11, "minor")),
    ("H minor", None, Key(11, "minor")), ("H-Moll", None, Key(11, "minor")),
    ("HM", None, Key(11, "major")), ("H", "0", Key(11, "minor")),
    # A German name without Dur or Moll: a capital is major, as a capital English letter.
    ("Fis", None, Key(6, "major")), ("Es", None, Key(3, "major")), ("As", None, Key(8, "major")),
    ("Cis", None, Key(1, "major")), ("Des", None, Key(1, "major")), ("Gis m", None, Key(8, "minor")),
    ("Fis minor", None, Key(6, "minor")), ("fis", "moll", Key(6, "minor")), ("es", 1, Key(3, "major")),
])
def test_german_note_names_without_dur_or_moll(cell, mode, expected):
    assert read_key(cell, mode) == (expected, "")


@pytest.mark.parametrize("cell", ["h", "fis", "es"])
def test_a_small_german_name_without_a_mode_is_refused_as_a_small_english_letter_is(cell):
    key, reason = read_key(cell)
    assert key is None and reason.startswith("a lower-case letter without a mode")


@pytest.mark.parametrize("cell", ["Hb", "H#", "Hes", "Bis"])
def test_german_names_that_do_not_exist_are_no_keys(cell):
    assert read_key(cell) == (None, "not a key")


def test_a_bare_b_in_a_column_that_writes_german_names_is_left_out():
    # In a German column B is B flat; it was read as B (major or minor, as written).
    keys, reasons = _keys("Titel;Tonart\nA;H-Moll\nB;B\nC;Fis-Dur\nD;Bm\nE;Bb\nF;b-moll\n")
    assert keys == [Key(11, "minor"), None, Key(6, "major"), None, Key(10, "major"), None]
    why = ("B in a column that writes German names (row 2: 'H-Moll'): B flat in German, "
           "B in English; write Bb or H")
    assert reasons["B"] == why and reasons["Bm"] == why
    assert "B flat in German" in reasons["b-moll"]
    # Without German names in the column, B is B.
    keys, reasons = _keys("Title,Key\nA,B\nB,Bm\nC,F#m\n")
    assert keys == [Key(11, "major"), Key(11, "minor"), Key(6, "minor")] and reasons == {}


def test_a_capital_m_in_a_column_written_in_capitals_is_left_out():
    # AM beside C: the column has no small letter, so M may be an m in capitals. It was
    # read as major.
    keys, reasons = _keys("TITLE,KEY\nA,AM\nB,C\nC,F#M\nD,G\nE,A MINOR\n")
    assert keys == [None, Key(0, "major"), None, Key(7, "major"), Key(9, "minor")]
    assert reasons["AM"] == reasons["F#M"] == (
        "a capital M in a column without small letters that writes other keys without a "
        "mode (row 3: 'C'): major as in CM, or a minor key's m in capitals? write Am or "
        "A major")
    # A small letter in the column (Am, Bb) shows M is written as a capital on purpose; a
    # column whose every note has a mode shows nothing written without one.
    for text in ("Title,Key\nA,AM\nB,C\nC,Am\n", "Title,Key\nA,AM\nB,C\nC,Bb\n",
                 "TITLE,KEY\nA,AM\nB,CM\nC,8A\n"):
        keys, reasons = _keys(text)
        assert keys[0] == Key(9, "major") and reasons == {}, text


# -- spellings of other tools and of hand-made sheets --------------------------------------


@pytest.mark.parametrize(("cell", "expected"), [
    # A Camelot code beside the name, as tools that show both write it.
    ("8A - Am", Key(9, "minor")), ("Am - 8A", Key(9, "minor")), ("Am (8A)", Key(9, "minor")),
    ("D minor (7A)", Key(2, "minor")), ("8A | Am", Key(9, "minor")), ("3B – Db", Key(1, "major")),
    # Accidentals written out.
    ("A flat major", Key(8, "major")), ("F sharp minor", Key(6, "minor")),
    ("B-flat minor", Key(10, "minor")), ("E Flat Major", Key(3, "major")),
    ("C sharp/D flat minor", Key(1, "minor")),
    # Abbreviations with a dot, and invisible characters pasted from a web page.
    ("A min.", Key(9, "minor")), ("F# maj.", Key(6, "major")),
    ("Am\u200b", Key(9, "minor")), ("\ufeffC major", Key(0, "major")), ("E\u00ad minor", Key(4, "minor")),
])
def test_spellings_of_tools_and_hand_made_sheets(cell, expected):
    assert read_key(cell) == (expected, "")


@pytest.mark.parametrize(("cell", "reason"), [
    ("8A - Em", "two different keys"), ("Am (8B)", "two different keys"),
    ("Am - lydian", "not a key"), ("Am (x)", "not a key"), ("H flat major", "not a key"),
])
def test_two_spellings_that_disagree_or_are_no_keys_are_refused(cell, reason):
    key, why = read_key(cell)
    assert key is None and why.startswith(reason)
