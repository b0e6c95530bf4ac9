"""Key spelling and Camelot codes."""

import numpy as np
import pytest

from core.calibration.agreement import fifths_distance, key_relation, mirex_score
from core.io.keynotation import (
    PITCH_NAMES,
    Key,
    _read_key_cached,
    from_camelot,
    from_open_key,
    parse_key,
    parse_mode,
    read_key,
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


# -- relations against every reference key ----------------------------------------------------
#
# The expected relations come from tables written out here (the circle of fifths, the
# relative minor of each major key, the Camelot wheel), not from the helpers under test.

PC = {"C": 0, "C#": 1, "Db": 1, "D": 2, "D#": 3, "Eb": 3, "E": 4, "F": 5, "F#": 6, "Gb": 6,
      "G": 7, "G#": 8, "Ab": 8, "A": 9, "A#": 10, "Bb": 10, "B": 11}
CIRCLE_OF_FIFTHS = ["C", "G", "D", "A", "E", "B", "F#", "C#", "G#", "D#", "A#", "F"]
RELATIVE_MINOR = {"C": "A", "G": "E", "D": "B", "A": "F#", "E": "C#", "B": "G#", "F#": "D#",
                  "Db": "Bb", "Ab": "F", "Eb": "C", "Bb": "G", "F": "D"}
CAMELOT = {"1B": "B", "2B": "F#", "3B": "Db", "4B": "Ab", "5B": "Eb", "6B": "Bb", "7B": "F",
           "8B": "C", "9B": "G", "10B": "D", "11B": "A", "12B": "E",
           "1A": "Ab", "2A": "Eb", "3A": "Bb", "4A": "F", "5A": "C", "6A": "G", "7A": "D",
           "8A": "A", "9A": "E", "10A": "B", "11A": "F#", "12A": "Db"}
MIREX_WEIGHTS = {"same": 1.0, "fifth": 0.5, "relative": 0.3, "parallel": 0.2, "other": 0.0}
ALL_KEYS = [Key(PC[n], m) for m in ("major", "minor") for n in CIRCLE_OF_FIFTHS]
_REL_PC = {PC[major]: PC[minor] for major, minor in RELATIVE_MINOR.items()}


def _expected_relation(est: Key, ref: Key) -> str:
    if est == ref:
        return "same"
    if est.mode == ref.mode:
        steps = CIRCLE_OF_FIFTHS.index(_name(est.tonic)) - CIRCLE_OF_FIFTHS.index(
            _name(ref.tonic))
        return "fifth" if steps % 12 in (1, 11) else "other"
    if est.tonic == ref.tonic:
        return "parallel"
    major, minor = (ref, est) if ref.mode == "major" else (est, ref)
    return "relative" if _REL_PC[major.tonic] == minor.tonic else "other"


def _name(pc: int) -> str:
    return next(n for n in CIRCLE_OF_FIFTHS if PC[n] == pc)


@pytest.mark.parametrize("ref", ALL_KEYS, ids=str)
def test_relations_against_every_reference_key(ref):
    relations = {}
    for est in ALL_KEYS:
        expected = _expected_relation(est, ref)
        assert key_relation(est, ref) == expected, (est, ref)
        assert mirex_score(est, ref) == MIREX_WEIGHTS[expected]
        relations.setdefault(expected, []).append(est)
    # Each reference has one of each kind but two fifths (up and down), 19 others.
    assert {k: len(v) for k, v in relations.items()} == {
        "same": 1, "fifth": 2, "relative": 1, "parallel": 1, "other": 19}


@pytest.mark.parametrize("major", sorted(RELATIVE_MINOR))
def test_relative_and_parallel_keys_from_the_table(major):
    maj = Key(PC[major], "major")
    minor = Key(PC[RELATIVE_MINOR[major]], "minor")
    assert maj.relative() == minor and minor.relative() == maj
    assert maj.parallel() == Key(PC[major], "minor") and minor.parallel() == Key(
        minor.tonic, "major")
    # Relations are not symmetric by accident: both directions are checked.
    assert key_relation(minor, maj) == key_relation(maj, minor) == "relative"
    assert key_relation(maj.parallel(), maj) == "parallel"


def test_fifths_distance_follows_the_circle():
    for i, a in enumerate(CIRCLE_OF_FIFTHS):
        for j, b in enumerate(CIRCLE_OF_FIFTHS):
            steps = abs(i - j)
            assert fifths_distance(PC[a], PC[b]) == min(steps, 12 - steps), (a, b)


@pytest.mark.parametrize("code", sorted(CAMELOT))
def test_camelot_wheel(code):
    mode = "major" if code.endswith("B") else "minor"
    key = Key(PC[CAMELOT[code]], mode)
    assert key.camelot == code
    assert from_camelot(code) == key and from_camelot(code.lower()) == key
    assert from_camelot("0" + code if len(code) == 2 else code) == key


@pytest.mark.parametrize("bad", ["13A", "0B", "8C", "", "A8", "8 AB"])
def test_not_a_camelot_code(bad):
    assert from_camelot(bad) is None


def test_index_round_trip_and_names():
    assert sorted(k.index for k in ALL_KEYS) == list(range(24))
    assert Key(11, "major").index == 11 and Key(0, "minor").index == 12
    for k in ALL_KEYS:
        assert Key.from_index(k.index) == k
        assert str(k) == k.name == f"{PITCH_NAMES[k.tonic]} {k.mode}"


@pytest.mark.parametrize(("tonic", "mode"), [(12, "major"), (-1, "minor"), (1.0, "major"),
                                             (0, "Major"), (0, "dorian")])
def test_bad_keys_are_refused(tonic, mode):
    with pytest.raises(ValueError, match="tonic|mode"):
        Key(tonic, mode)


# -- spellings at the edges --------------------------------------------------------------------


@pytest.mark.parametrize(("text", "mode", "expected"), [
    ("A", None, Key(9, "major")), ("A", "minor", Key(9, "minor")), ("A", 0, Key(9, "minor")),
    ("A", 1, Key(9, "major")), ("Am", 1, Key(9, "minor")),  # the cell's own mode wins
    ("A major", 0, Key(9, "major")),
    ("CM", None, Key(0, "major")), ("Cm", None, Key(0, "minor")), ("C-", None, Key(0, "minor")),
    ("Cmi", None, Key(0, "minor")), ("Cma", None, Key(0, "major")), ("C maj", None, Key(0, "major")),
    ("C moll", None, Key(0, "minor")), ("C dur", None, Key(0, "major")),
    ("Cb", None, Key(11, "major")), ("B#", None, Key(0, "major")), ("E♭ major", None, Key(3, "major")),
    ("F♯m", None, Key(6, "minor")), ("C♮ major", None, Key(0, "major")), ("A♮m", None, Key(9, "minor")), ("A#/Bb minor", None, Key(10, "minor")),
    ("C# / Db minor", None, Key(1, "minor")), ("  g  minor ", None, Key(7, "minor")),
    (" 8a ", None, Key(9, "minor")), ("08B", None, Key(0, "major")),
    (7, 0, Key(7, "minor")), (7.0, "minor", Key(7, "minor")), (0, None, Key(0, "major")),
    ("11", "0", Key(11, "minor")), ("4.0", "1.0", Key(4, "major")), ("2", "maj", Key(2, "major")),
    ("2", "dur", Key(2, "major")), ("2", "min", Key(2, "minor")), ("2", "moll", Key(2, "minor")),
    ("2", "m", Key(2, "minor")), ("2", "0.0", Key(2, "minor")), ("2", " Minor ", Key(2, "minor")),
    ("2", 2, Key(2, "major")), ("2", "x", Key(2, "major")), ("2", float("nan"), Key(2, "major")),
])
def test_parse_key_spellings(text, mode, expected):
    assert parse_key(text, mode) == expected


@pytest.mark.parametrize("text", [None, "", "  ", "nan", "NaN", "None", "n/a", "NA", "unknown",
                                  "?", "-", "-1", -1, 12, "12", float("nan"), "C lydian", "Hb",
                                  "C#m7", "8C", True])
def test_parse_key_refuses_what_is_not_a_key(text):
    assert parse_key(text) is None
    assert parse_key(text, 1) is None


# -- other tools' notations, and cells that could name two keys -------------------------------


def test_every_open_key_code_round_trips_and_matches_its_camelot_code():
    # Traktor's Open Key: 1d is C major and 1m A minor, n steps a fifth up each.
    assert from_open_key("1d") == Key(0, "major") and from_open_key("1m") == Key(9, "minor")
    assert parse_key("2d") == Key(7, "major") and parse_key("12m") == Key(2, "minor")
    assert parse_key(" 06M ") == Key(8, "minor")
    for i in range(24):
        k = Key.from_index(i)
        assert from_open_key(k.open_key) == k == parse_key(k.open_key)
        assert int(k.open_key[:-1]) == (int(k.camelot[:-1]) - 8) % 12 + 1
    assert from_open_key("13m") is None and from_open_key("0d") is None
    assert from_open_key("8A") is None


@pytest.mark.parametrize(("text", "expected"), [
    ("A-Moll", Key(9, "minor")), ("G-Dur", Key(7, "major")), ("Fis-Moll", Key(6, "minor")),
    ("Es-Dur", Key(3, "major")), ("as-moll", Key(8, "minor")), ("Des Dur", Key(1, "major")),
    ("Cis-Moll", Key(1, "minor")), ("H-Moll", Key(11, "minor")), ("H-Dur", Key(11, "major")),
    ("Ces-Dur", Key(11, "major")), ("D#-Dur", Key(3, "major")), ("Bb dur", Key(10, "major")),
])
def test_german_key_names(text, expected):
    assert parse_key(text) == expected


@pytest.mark.parametrize(("text", "why"), [
    ("C/Am", "two different keys"),  # a key and its relative: was read as C minor
    ("Em/G", "two different keys"), ("G/Em", "two different keys"),
    ("B-Dur", "B flat in German"), ("b-moll", "B flat in German"),  # B dur was B major
    ("a", "lower-case letter"), ("c#", "lower-case letter"), ("bb", "lower-case letter"),
    ("Hes-Dur", "not a key"), ("Cs-Moll", "not a key"),
])
def test_a_cell_that_could_name_two_keys_is_refused_with_the_reason(text, why):
    key, reason = read_key(text)
    assert key is None and why in reason
    assert parse_key(text) is None


def test_enharmonic_spellings_and_a_lower_case_letter_with_a_mode_are_read():
    assert parse_key("Ab/G#m") == Key(8, "minor") and parse_key("Db/C#") == Key(1, "major")
    assert parse_key("a", "minor") == Key(9, "minor") and parse_key("a", 1) == Key(9, "major")
    assert parse_key("a minor") == Key(9, "minor") and parse_key("C-") == Key(0, "minor")
    assert read_key("F# minor") == (Key(6, "minor"), "")
    assert read_key("") == (None, "") and read_key("C lydian") == (None, "not a key")


def test_a_key_read_again_is_the_same_and_cells_of_other_types_stay_apart():
    for _ in range(2):  # the second time from the memo of spellings already read
        assert parse_key("F#m") == Key(6, "minor") and read_key("X#") == (None, "not a key")
        assert parse_key(1) == Key(1, "major") and parse_key(True) is None  # 1 == True
        assert parse_key(float("nan")) is None
    assert parse_key(["not", "hashable"]) is None


# -- what read_key says about each cell a sheet can hold --------------------------------------


@pytest.mark.parametrize(("text", "mode", "expected"), [
    (7, 0, Key(7, "minor")), (7.0, None, Key(7, "major")), ("11", "0", Key(11, "minor")),
    ("8A", None, Key(9, "minor")), ("1m", None, Key(9, "minor")), ("Fis-Moll", None, Key(6, "minor")),
    ("CM", None, Key(0, "major")), ("C major", None, Key(0, "major")), ("C", None, Key(0, "major")),
    ("Am", None, Key(9, "minor")), ("8A/Am", None, Key(9, "minor")),
    ("A minor / Am", None, Key(9, "minor")),
])
def test_a_key_read_has_no_reason(text, mode, expected):
    assert read_key(text, mode) == (expected, "")


@pytest.mark.parametrize("text", [None, float("nan"), "", "  ", "nan", "NaN", "None", "NONE",
                                  "n/a", "N/A", "na", "NA", "unknown", "Unknown", "?", "-", "-1",
                                  -1, -1.0, "-1.0", "-01"])
def test_an_empty_or_unknown_cell_is_no_key_and_no_error(text):
    # A sheet counts the cells it could not read: an empty cell or a placeholder is not one.
    assert read_key(text) == (None, "")
    assert read_key(text, "minor") == (None, "")


@pytest.mark.parametrize(("text", "reason"), [
    ("C#m7", "not a key"), ("A/B/C", "not a key"), ("8A/X", "not a key"),
    ("C major / lydian", "not a key"), ("Hes-Dur", "not a key"),
    ("Cs-Moll", "not a key"), ("Hs-Dur", "not a key"), ("C lydian", "not a key"),
    (7.5, "not a key"), (float("inf"), "not a key"),  # no pitch class (inf made int() fail)
    (["not", "hashable"], "not a key"),
    ("a", "a lower-case letter without a mode: minor in some notations, major in others; "
          "write the mode (a minor, A major)"),
    ("B-Dur", "B with Dur or Moll: B flat in German, B in English; write Bb major, B major or "
              "H-Dur"),
    # However the bare B and the German mode are punctuated.
    ("B:-Dur", "B with Dur or Moll"), ("b:-moll", "B with Dur or Moll"),
    # A German B with a sharp or flat is no German name either: the same reason.
    ("Bes-Dur", "B with Dur or Moll"), ("Bis-moll", "B with Dur or Moll"),
    # One hyphen joins the mode word, as after any other letter ("C--Dur" is no key).
    ("B--Dur", "not a key"), ("C--Dur", "not a key"),
    # H is German: it takes no English accidental, in either half of a cell.
    ("Hb", "not a key"), ("H#", "not a key"), ("A#/Hb", "not a key"), ("Hb/A#", "not a key"),
    # Two keys, one in brackets after the other.
    ("C (Am)", "two different keys"), ("8A (8B)", "two different keys"),
    ("Am (lydian)", "not a key"),
])
def test_the_reason_a_cell_is_refused(text, reason):
    assert read_key(text)[0] is None
    assert read_key(text)[1].startswith(reason)


@pytest.mark.parametrize(("text", "expected"), [
    # B in English notation, without a German mode word, is B.
    ("B", Key(11, "major")), ("Bm", Key(11, "minor")), ("B minor", Key(11, "minor")),
    ("B major", Key(11, "major")), ("B:min", Key(11, "minor")),
    # An English accidental with a German mode word, and other punctuations.
    ("Eb moll", Key(3, "minor")), ("F# Dur", Key(6, "major")), ("D#-Moll", Key(3, "minor")),
    ("Eb-m", Key(3, "minor")), ("C:-Dur", Key(0, "major")), ("C:-moll", Key(0, "minor")),
    # German: His is B sharp; as and es are the only one-letter flats.
    ("His-Dur", Key(0, "major")), ("As-Dur", Key(8, "major")), ("es-moll", Key(3, "minor")),
    ("Ges-Dur", Key(6, "major")), ("h-moll", Key(11, "minor")),
])
def test_more_spellings(text, expected):
    assert read_key(text) == (expected, "")


@pytest.mark.parametrize(("text", "expected"), [
    # A mode word set off by a spaced dash or colon, and the dashes word processors type.
    ("C - major", Key(0, "major")), ("A - minor", Key(9, "minor")), ("Bb - minor", Key(10, "minor")),
    ("F# : min", Key(6, "minor")), ("D - maj.", Key(2, "major")), ("G -minor", Key(7, "minor")),
    ("A \u2013 Moll", Key(9, "minor")), ("Fis \u2212 Moll", Key(6, "minor")),
    ("Eb\u2013Dur", Key(3, "major")), ("8A \u2014 Am", Key(9, "minor")),
    # A lone dash after the note is still the minor sign, spaced or not.
    ("C -", Key(0, "minor")), ("C \u2013", Key(0, "minor")),
])
def test_a_mode_word_after_a_spaced_or_typographic_dash(text, expected):
    assert read_key(text) == (expected, "")


@pytest.mark.parametrize(("text", "reason"), [
    ("C - Am", "two different keys"), ("B - Dur", "B with Dur or Moll"),
    ("C - lydian", "not a key"), ("C \u2013 Am", "two different keys"),
])
def test_a_spaced_dash_does_not_hide_what_is_wrong_with_a_cell(text, reason):
    key, why = read_key(text)
    assert key is None and why.startswith(reason)


def test_parse_mode_reads_every_documented_mode_cell():
    for cell in (1, 1.0, "1", "1.0", "major", "Major", " MAJ ", "maj", "dur", "Dur"):
        assert parse_mode(cell) == "major", cell
    for cell in (0, 0.0, "0", "0.0", "minor", "min", "moll", "m", " Minor "):
        assert parse_mode(cell) == "minor", cell
    # Not modes: other numbers (0.5 read as minor, infinity failed), a boolean, words.
    for cell in (None, 2, 0.5, 1.5, float("nan"), float("inf"), True, False, "", "x", "2",
                 "dorian"):
        assert parse_mode(cell) is None, cell


def test_a_lone_small_h_with_an_accidental_is_no_key_even_with_a_mode():
    # "h#" is no German name (B sharp is "his") and H takes no English accidental.
    assert read_key("h#", "minor") == (None, "not a key")
    assert read_key("hb", 1) == (None, "not a key")


@pytest.mark.parametrize(("text", "mode", "expected"), [
    # A German name without Dur or Moll: a capital is major, as a capital English letter is.
    ("Fis", None, Key(6, "major")), ("Es", None, Key(3, "major")), ("As", None, Key(8, "major")),
    ("His", None, Key(0, "major")), ("Ces", None, Key(11, "major")), ("Des", None, Key(1, "major")),
    # The mode cell, or a mode word of another notation, gives the mode.
    ("Fis", "minor", Key(6, "minor")), ("Fis", 0, Key(6, "minor")), ("fis", "moll", Key(6, "minor")),
    ("es", 1, Key(3, "major")), ("Gis m", None, Key(8, "minor")), ("Gis-M", None, Key(8, "major")),
    ("Des:maj", None, Key(1, "major")), ("gis minor", None, Key(8, "minor")),
])
def test_german_names_without_dur_or_moll(text, mode, expected):
    assert read_key(text, mode) == (expected, "")


@pytest.mark.parametrize(("text", "reason"), [
    ("fis", "a lower-case letter without a mode"), ("es", "a lower-case letter without a mode"),
    # Not German names: B sharp is His, B flat is B; H flat is B; only A and E take a bare s.
    ("Bis", "not a key"), ("Bes", "not a key"), ("Hes", "not a key"), ("Hs", "not a key"),
    ("Gs", "not a key"), ("Fis lydian", "not a key"),
])
def test_a_german_name_without_dur_or_moll_refused_with_the_reason(text, reason):
    key, why = read_key(text)
    assert key is None and why.startswith(reason)
    assert why == "not a key" or why.endswith("write the mode (a minor, A major)")


@pytest.mark.parametrize(("text", "expected"), [
    # Characters a cell copied from a web page or a word processor holds unseen.
    ("\u200bF#m", Key(6, "minor")), ("A\u00adm", Key(9, "minor")), ("\ufeffC major", Key(0, "major")),
    ("E\u2060b", Key(3, "major")), ("C\u200d#\u200c minor", Key(1, "minor")),
    # Accidentals written out, in any case, with or without a space or hyphen.
    ("B-flat minor", Key(10, "minor")), ("F sharp", Key(6, "major")), ("E Flat Major", Key(3, "major")),
    ("c-SHARP minor", Key(1, "minor")), ("Bflat", Key(10, "major")),
    ("A flat / G sharp minor", Key(8, "minor")), ("Es flat", None),
])
def test_invisible_characters_and_written_out_accidentals(text, expected):
    assert parse_key(text) == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("Am (8A)", Key(9, "minor")), ("8B (C major)", Key(0, "major")), ("Fis-Moll (11A)", Key(6, "minor")),
])
def test_a_key_with_its_code_in_brackets(text, expected):
    assert read_key(text) == (expected, "")


def test_a_lone_capital_m_in_the_mode_cell_is_major_a_small_one_minor():
    assert parse_mode("M") == parse_mode(" M ") == "major"
    assert parse_mode("m") == "minor"
    assert read_key("C", "M") == (Key(0, "major"), "")
    assert read_key("7", "M") == (Key(7, "major"), "")
    assert read_key("C", "m") == (Key(0, "minor"), "")


def test_a_cell_that_cannot_be_a_memo_key_is_read_all_the_same():
    # A 0-d array is unhashable but reads as its value.
    assert read_key(np.array(7), 0) == (Key(7, "minor"), "")
    assert read_key("A", np.array(0)) == (Key(9, "minor"), "")


def test_a_spelling_is_read_once_then_comes_from_the_memo():
    _read_key_cached.cache_clear()
    for _ in range(3):
        assert read_key("Gbm") == (Key(6, "minor"), "")
    info = _read_key_cached.cache_info()
    assert (info.misses, info.hits) == (1, 2)


def test_every_key_with_a_sharp_has_its_flat_spelling_and_reads_back():
    from core.io.keynotation import FLAT_NAMES, with_flats

    sharps = [n for n in PITCH_NAMES if n.endswith("#")]
    assert [FLAT_NAMES[PITCH_NAMES.index(n)] for n in sharps] == [
        "D\u266d", "E\u266d", "G\u266d", "A\u266d", "B\u266d"]
    for index in range(24):
        key = Key.from_index(index)
        assert parse_key(key.flat_name) == key  # the flat spelling names the same key
        if "#" in key.name:
            assert key.both_names == f"{key.name} ({key.flat_name})" != key.name
            assert "#" not in key.flat_name
        else:
            assert key.both_names == key.flat_name == key.name
    assert Key(10, "minor").both_names == "A# minor (B\u266d minor)"
    assert with_flats("A# minor") == "A# minor (B\u266d minor)"
    assert with_flats("F# major") == "F# major (G\u266d major)"
    # other text is left as written: keys without sharps, codes, other spellings, none
    for text in ("C major", "8A", "Bb minor", "A#m", "not a key", ""):
        assert with_flats(text) == text
    assert with_flats(None) == ""


def test_the_flat_spelling_has_one_home():
    from core.io.keynotation import flat_spelling

    for index in range(24):
        key = Key.from_index(index)
        assert flat_spelling(key.name) == key.flat_name
    # what follows the tonic is kept; other text comes back as written
    assert flat_spelling("A# major (6B)") == "B\u266d major (6B)"
    assert flat_spelling("F#") == "G\u266d"  # a tonic alone
    for text in ("C major", "8A", "Bb minor", "B# major", "#", "", "C"):
        assert flat_spelling(text) == text
