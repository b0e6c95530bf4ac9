"""Reading reference sheets and profiles: the delimiter of a sheet pasted together from two,
negative numbers written with a typographic minus sign, the warnings naming a cell out of
range and a key shared by every row, and the errors for a damaged UTF-16 sheet and for a
profile whose JSON is nested too deeply."""

import pytest

from core.calibration.profile import ProfileError, load_profile
from core.calibration.reference import load_reference, parse_reference_text
from core.errors import ReferenceSheetError


def test_a_comma_table_with_a_short_semicolon_sheet_pasted_under_it_is_read_with_commas():
    text = ("Title,Artist,BPM\n"
            "Blue Night,Ana Lima,128\n"
            "Rain Again,The Owls,92\n"
            "Glass City,Juno Park,100\n"
            "Titel;Künstler;BPM\n"
            "Sommerlied;Kesta;120\n")
    sheet = parse_reference_text(text)
    assert sheet.delimiter == ","
    assert sheet.columns == {"title": "Title", "artist": "Artist", "bpm": "BPM"}
    assert [(r.row, r.title, r.artist, r.values) for r in sheet.rows if r.values] == [
        (2, "Blue Night", "Ana Lima", {"bpm": 128.0}),
        (3, "Rain Again", "The Owls", {"bpm": 92.0}),
        (4, "Glass City", "Juno Park", {"bpm": 100.0})]


def test_a_loudness_written_with_a_typographic_minus_sign_is_read_as_a_negative_number():
    sheet = parse_reference_text("Song,Artist,Loudness\n"
                                 "Blue Night,Ana Lima,\u22127.5\n"
                                 "Rain Again,The Owls,-11\n")
    assert [(r.title, r.values) for r in sheet.rows] == [
        ("Blue Night", {"loudness_lufs": -7.5}), ("Rain Again", {"loudness_lufs": -11.0})]
    assert sheet.bad_cells == [] and sheet.warnings == []


def test_a_percentage_out_of_range_is_named_in_the_warnings_with_its_range_and_no_unit():
    sheet = parse_reference_text("Song,Happy,BPM\nA,0.5,120\nB,250,90\nC,0.7,100\n")
    (bad,) = sheet.bad_cells
    assert (bad.row, bad.column, bad.value) == (3, "Happy", "250")
    assert bad.reason == "out of range (0 to 100)"
    assert sheet.warnings == ["1 cell left out of the fit, their rows kept: "
                              "row 3, column 'Happy': out of range (0 to 100) ('250')"]


def test_a_camelot_column_giving_every_row_one_key_is_pointed_out_as_a_placeholder():
    sheet = parse_reference_text("Song,Camelot\n" + "".join(f"S{i},8A\n" for i in range(5)))
    assert sheet.warnings == [
        "every row has the same key (A minor): a placeholder, or a default of the tool that "
        "wrote it? It cannot tell a good key from a bad one"]


def test_a_sheet_with_a_utf16_mark_but_damaged_text_is_refused_naming_its_file(tmp_path):
    path = tmp_path / "damaged.csv"
    path.write_bytes(b"\xff\xfe\x00\xd8garbage")
    with pytest.raises(ReferenceSheetError) as caught:
        load_reference(path)
    assert caught.value.path == "damaged.csv"
    assert caught.value.reason == ("the file starts with a UTF-16 byte-order mark but the "
                                   "rest is not UTF-16 text: it is damaged, or not a CSV "
                                   "sheet")


def test_a_profile_whose_json_is_nested_too_deeply_is_refused_naming_its_file(tmp_path):
    path = tmp_path / "deep.json"
    path.write_text("[" * 100_000 + "]" * 100_000)
    with pytest.raises(ProfileError) as caught:
        load_profile(path)
    assert caught.value.path == str(path)
    assert caught.value.reason == "not a profile: the JSON is nested too deeply"
