"""Reference sheets as tools and spreadsheets export them: Excel's error cells, combined key
notations, DJ software and API exports."""

from core.calibration.reference import parse_reference_text
from core.io.keynotation import Key


def test_excel_error_cells_are_missing_or_named_as_formula_errors():
    # "#N/A" (not available) is an empty cell; "#DIV/0!" is a formula that failed. Both
    # were "not a number".
    sheet = parse_reference_text("Title,BPM,Energy,Key\nA,#N/A,50,#N/A\nB,120,#DIV/0!,Am\n"
                                 "C,100,60,#VALUE!\nD,90,#REF!,C\n")
    assert [r.values for r in sheet.rows] == [
        {"energy": 0.5}, {"bpm": 120.0}, {"bpm": 100.0, "energy": 0.6}, {"bpm": 90.0}]
    assert [(b.row, b.value, b.reason) for b in sheet.bad_cells] == [
        (3, "#DIV/0!", "a spreadsheet formula error"),
        (4, "#VALUE!", "a spreadsheet formula error"),
        (5, "#REF!", "a spreadsheet formula error")]


def test_a_key_column_mixing_camelot_codes_names_and_both_together():
    sheet = parse_reference_text(
        "File name,Key,BPM\n01 - Ana Lima - Blue Night.mp3,8A - Am,128\n"
        "The Owls - Rain.mp3,Am,92\nX - Three.mp3,3B,90\nY - Four.mp3,Db major (3B),91\n"
        "Z - Five.mp3,F sharp minor,93\n")
    assert [r.key for r in sheet.rows] == [Key(9, "minor"), Key(9, "minor"),
                                           Key(1, "major"), Key(1, "major"), Key(6, "minor")]
    assert sheet.bad_cells == []


def test_key_and_tempo_headers_of_tag_editors_and_dj_software():
    # Each key column was dropped without a word: the sheet read as having no keys.
    for header in ("INITIALKEY", "Initial Key", "Key (Open Key)", "Key Signature", "Key Text"):
        sheet = parse_reference_text(f"Title;Artist;Beats Per Minute;{header}\nA;X;128;8A\n"
                                     "B;Y;92;Am\n")
        assert sheet.columns["key"] == header and sheet.columns["bpm"] == "Beats Per Minute"
        assert [r.key for r in sheet.rows] == [Key(9, "minor")] * 2
