"""Reading the cells of reference sheets: a Windows-1252 sheet whose last character is an
accented letter, key cells that are bare pitch classes or not keys at all, a tempo out of
range beside a usable energy, a column written wholly in percentages, many rows repeating
the header, and a workbook whose first worksheet is missing from the file."""

import io
import zipfile

import openpyxl
import pytest

from core.calibration.reference import parse_reference_text, reference_from_bytes


def test_a_windows_1252_sheet_ending_in_an_accented_letter_keeps_that_letter(tmp_path):
    data = "BPM,Song\n120,Blue Night\n96,Café".encode("cp1252")
    sheet = reference_from_bytes(data, tmp_path / "cafe.csv")
    assert sheet.encoding == "cp1252"
    assert [(r.title, r.values) for r in sheet.rows] == [
        ("Blue Night", {"bpm": 120.0}), ("Café", {"bpm": 96.0})]


def test_a_pitch_class_key_without_a_mode_column_names_the_key_column():
    sheet = parse_reference_text("Song,Key,BPM\nA,5,120\nB,7,100\n")
    assert [(b.row, b.column, b.value, b.reason) for b in sheet.bad_cells] == [
        (2, "Key", "5", "a pitch class needs a mode (1 major, 0 minor); no Mode column"),
        (3, "Key", "7", "a pitch class needs a mode (1 major, 0 minor); no Mode column")]
    assert [(r.title, r.key, r.values) for r in sheet.rows] == [
        ("A", None, {"bpm": 120.0}), ("B", None, {"bpm": 100.0})]


def test_a_key_cell_of_a_letter_x_and_a_digit_is_reported_as_not_a_key_and_its_row_kept():
    sheet = parse_reference_text("Song,Key,BPM\nA,X2,120\nB,8A,100\n")
    assert [(b.row, b.column, b.value, b.reason) for b in sheet.bad_cells] == [
        (2, "Key", "X2", "not a key")]
    assert [(r.title, r.key is None, r.values) for r in sheet.rows] == [
        ("A", True, {"bpm": 120.0}), ("B", False, {"bpm": 100.0})]


def test_a_tempo_out_of_range_leaves_out_only_that_cell_and_keeps_the_energy_beside_it():
    sheet = parse_reference_text("Song,BPM,Energy\nA,5000,0.5\nB,120,0.6\n")
    assert [(b.row, b.column, b.value) for b in sheet.bad_cells] == [(2, "BPM", "5000")]
    assert [(r.title, r.values) for r in sheet.rows] == [
        ("A", {"energy": 0.5}), ("B", {"bpm": 120.0, "energy": 0.6})]


def test_a_column_written_wholly_with_percent_signs_is_read_on_the_percent_scale():
    sheet = parse_reference_text("Song,Dance\nA,58%\nB,62%\n")
    assert sheet.scales == {"danceability": 0.01}
    assert [r.values["danceability"] for r in sheet.rows] == pytest.approx([0.58, 0.62])


def test_seven_rows_repeating_the_header_are_listed_five_and_two_more():
    text = "Song,BPM\n" + "".join(f"S{i},{100 + i}\nSong,BPM\n" for i in range(7))
    sheet = parse_reference_text(text)
    assert len(sheet.rows) == 7
    assert sheet.warnings == ["rows 3, 5, 7, 9, 11 and 2 more repeat the header (two sheets "
                              "pasted together?): left out"]


def test_a_workbook_whose_first_worksheet_is_missing_is_read_from_the_next_one(tmp_path):
    book = openpyxl.Workbook()
    old = book.active
    old.title = "Old"
    old.append(["Song", "BPM"])
    old.append(["Gone", 99])
    deck = book.create_sheet("Deck")
    deck.append(["Song", "BPM"])
    deck.append(["Low Tide", 96])
    deck.append(["Slow Burn", 72.5])
    saved = io.BytesIO()
    book.save(saved)
    damaged = io.BytesIO()
    with zipfile.ZipFile(saved) as src, zipfile.ZipFile(damaged, "w") as dst:
        for info in src.infolist():
            if info.filename != "xl/worksheets/sheet1.xml":
                dst.writestr(info, src.read(info))
    sheet = reference_from_bytes(damaged.getvalue(), tmp_path / "deck.xlsx")
    assert [(r.title, r.values) for r in sheet.rows] == [
        ("Low Tide", {"bpm": 96.0}), ("Slow Burn", {"bpm": 72.5})]
