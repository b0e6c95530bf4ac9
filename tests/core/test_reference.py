"""Reference sheets: the three shapes, delimiters, encodings, scales, key spellings, bad rows."""

import re

import pytest

from core.calibration.reference import (
    load_reference,
    parse_reference_text,
    reference_from_bytes,
)
from core.errors import ReferenceSheetError
from core.io.keynotation import Key

STREAMING = (
    "#,Song,Artist,Popularity,BPM,Genres,Key,Camelot,Energy,Dance,Happy,Acoustic,Loud (Db)\n"
    '1,Blue Night,Ana Lima,55,128,house,G minor,6A,81,74,40,3,-5.2\n'
    '2,"Rain, Again",The Owls,12,92,folk,A#/B♭,6B,35,50,62,88,-11\n'
    "3,Empty Key,Nobody,1,100,pop,,8A,50,50,50,50,-7\n"
)

API = (
    "Track Name,Artist Name(s),Tempo,Key,Mode,Danceability,Energy,Valence,Acousticness,"
    "Loudness\n"
    "Blue Night,Ana Lima,127.98,7,0,0.74,0.81,0.40,0.03,-5.2\n"
    "Rain Again,The Owls,92.01,10,1,0.50,0.35,0.62,0.88,-11.0\n"
    "Unknown Key,Nobody,100,-1,1,0.5,0.5,0.5,0.5,-7\n"
)


def test_streaming_export_scales_percentages_and_reads_keys():
    sheet = parse_reference_text(STREAMING, name="s.csv")
    assert sheet.delimiter == ","
    assert [r.title for r in sheet.rows] == ["Blue Night", "Rain, Again", "Empty Key"]
    first = sheet.rows[0]
    assert first.row == 2 and first.artist == "Ana Lima"
    assert first.values["bpm"] == 128
    assert first.values["energy"] == pytest.approx(0.81)
    assert first.values["danceability"] == pytest.approx(0.74)
    assert first.values["valence"] == pytest.approx(0.40)
    assert first.values["acousticness"] == pytest.approx(0.03)
    assert first.values["loudness_lufs"] == pytest.approx(-5.2)  # dB kept as is
    assert first.key == Key(7, "minor")
    assert sheet.rows[1].key == Key(10, "major")  # "A#/B♭" without a mode: major
    assert sheet.scales["energy"] == 0.01 and sheet.scales["loudness_lufs"] == 1.0
    assert "key" in sheet.descriptors and "bpm" in sheet.descriptors


def test_empty_key_falls_back_to_camelot_column():
    sheet = parse_reference_text(STREAMING)
    assert sheet.rows[2].key == Key(9, "minor")


def test_api_export_pitch_class_and_mode_on_unit_scale():
    sheet = parse_reference_text(API)
    assert sheet.columns["title"] == "Track Name" and sheet.columns["artist"] == "Artist Name(s)"
    assert sheet.rows[0].key == Key(7, "minor")
    assert sheet.rows[1].key == Key(10, "major")
    assert sheet.rows[2].key is None  # -1: no key detected, not an error
    assert sheet.rows[0].values["energy"] == pytest.approx(0.81)  # already 0-1: unscaled
    assert sheet.scales["danceability"] == 1.0
    assert sheet.rows[0].values["bpm"] == pytest.approx(127.98)
    assert sheet.bad_rows == []


def test_plain_truth_sheet_semicolons_and_any_case_headers():
    text = "TITLE;Artist;bpm;KEY\nOne;A;120;C# Minor\nTwo;B;90,5;Db major\nThree;C;100;Gm\n"
    sheet = parse_reference_text(text)
    assert sheet.delimiter == ";"
    assert [r.key for r in sheet.rows] == [Key(1, "minor"), Key(1, "major"), Key(7, "minor")]
    assert sheet.rows[1].values["bpm"] == pytest.approx(90.5)  # decimal comma


@pytest.mark.parametrize("spelling, expected", [
    ("C# Minor", Key(1, "minor")),
    ("Db major", Key(1, "major")),
    ("A#/B♭", Key(10, "major")),
    ("Gm", Key(7, "minor")),
    ("8A", Key(9, "minor")),
    ("8B", Key(0, "major")),
    ("F#m", Key(6, "minor")),
    ("Ebmin", Key(3, "minor")),
    ("e minor", Key(4, "minor")),
])
def test_key_spellings(spelling, expected):
    sheet = parse_reference_text(f"title,key\nSong,{spelling}\n")
    assert sheet.rows[0].key == expected


def test_tab_delimited_and_bom(tmp_path):
    p = tmp_path / "ref.tsv"
    p.write_bytes("\ufefftitle\tartist\tbpm\nÇa plane\tPlastic\t120\n".encode())
    sheet = load_reference(p)
    assert sheet.delimiter == "\t" and sheet.encoding == "utf-8-sig"
    assert sheet.rows[0].title == "Ça plane"
    assert len(sheet.sha256) == 64 and sheet.name == "ref.tsv"


def test_latin1_file(tmp_path):
    p = tmp_path / "ref.csv"
    p.write_bytes("title,artist,bpm\nCafé Olé,Señor,100\n".encode("latin-1"))
    sheet = load_reference(p)
    assert sheet.rows[0].title == "Café Olé" and sheet.rows[0].artist == "Señor"
    assert sheet.encoding in ("cp1252", "latin-1")


def test_utf8_without_bom(tmp_path):
    p = tmp_path / "ref.csv"
    p.write_bytes("title,bpm\nNaïve,99\n".encode())
    assert load_reference(p).rows[0].title == "Naïve"


@pytest.mark.parametrize("codec", ["utf-16", "utf-16-le", "utf-16-be"])
def test_utf16_with_a_byte_order_mark(tmp_path, codec):
    p = tmp_path / "ref.csv"
    text = "title\tbpm\nNaïve\t99\n"
    p.write_bytes(("" if codec == "utf-16" else "\ufeff").encode(codec) + text.encode(codec))
    sheet = load_reference(p)
    assert sheet.encoding == "utf-16" and sheet.rows[0].title == "Naïve"
    assert sheet.rows[0].values == {"bpm": 99.0}


def test_empty_cells_are_missing_values_not_errors():
    sheet = parse_reference_text("Song,BPM,Energy,Key\nA,,50,\nB,120,,C\n")
    assert sheet.rows[0].values == {"energy": 0.5} and sheet.rows[0].key is None
    assert sheet.rows[1].values == {"bpm": 120.0}
    assert sheet.bad_rows == []


def test_bad_number_names_row_and_column_and_the_rest_of_the_row_is_kept():
    sheet = parse_reference_text("Song,BPM,Key\nA,120,C\nB,fast,D\nC,90,E\n")
    assert [r.title for r in sheet.rows] == ["A", "B", "C"]
    assert "bpm" not in sheet.rows[1].values and sheet.rows[1].key.name == "D major"
    assert sheet.bad_rows == []
    (bad,) = sheet.bad_cells
    assert bad.row == 3 and bad.column == "BPM" and bad.value == "fast"
    assert bad.reason == "not a number"
    assert "row 3" in str(bad) and "BPM" in str(bad)
    assert any("row 3" in w for w in sheet.warnings)


def test_bad_key_is_listed_and_its_row_kept():
    sheet = parse_reference_text("Song,Key,BPM\nA,Hb major,100\nB,C,90\n")
    assert [r.title for r in sheet.rows] == ["A", "B"]
    assert sheet.rows[0].key is None and sheet.rows[0].values == {"bpm": 100.0}
    assert sheet.bad_cells[0].column == "Key" and sheet.bad_cells[0].row == 2


def test_pitch_class_out_of_range_is_listed():
    sheet = parse_reference_text("Song,Key,Mode\nA,12,1\nB,3,0\n")
    assert sheet.rows[1].key == Key(3, "minor") and sheet.rows[0].key is None
    assert "0-11" in sheet.bad_cells[0].reason


@pytest.mark.parametrize("cell", ["-120", "1e308", "0", "1e309", "-inf"])
def test_implausible_tempo_is_left_out_of_the_fit_and_the_row_kept(cell):
    sheet = parse_reference_text(f"Song,BPM,Key\nA,{cell},C\nB,90,D\n")
    assert [r.title for r in sheet.rows] == ["A", "B"]
    assert "bpm" not in sheet.rows[0].values and sheet.rows[0].key.name == "C major"
    (bad,) = sheet.bad_cells
    assert bad.row == 2 and bad.column == "BPM"
    assert sheet.rows[1].values["bpm"] == 90.0


def test_out_of_range_percentage_does_not_change_the_scale_of_the_column():
    sheet = parse_reference_text("Song,Energy\nA,0.5\nB,250\nC,0.7\n")
    assert sheet.scales["energy"] == 1.0
    assert sheet.rows[0].values["energy"] == 0.5 and "energy" not in sheet.rows[1].values
    assert "out of range" in sheet.bad_cells[0].reason


def test_row_without_title_is_listed():
    sheet = parse_reference_text("Song,BPM\n,120\nB,90\n")
    assert sheet.bad_rows[0].row == 2 and sheet.bad_rows[0].reason == "empty title"
    assert sheet.bad_rows[0].column == "Song" and "Song" in str(sheet.bad_rows[0])


def test_no_title_column_is_an_error_naming_the_header():
    with pytest.raises(ReferenceSheetError, match="no title column"):
        parse_reference_text("bpm,key\n120,C\n")


def test_no_value_column_is_an_error():
    with pytest.raises(ReferenceSheetError, match="no reference value column"):
        parse_reference_text("title,artist,album\nA,B,C\n")


def test_empty_sheet_is_an_error():
    with pytest.raises(ReferenceSheetError, match="empty"):
        parse_reference_text("")


def test_all_rows_bad_is_an_error_naming_the_first():
    with pytest.raises(ReferenceSheetError, match="row 2, column 'BPM'"):
        parse_reference_text("title,BPM\nA,x\nB,y\n")


def test_missing_file_is_an_error(tmp_path):
    with pytest.raises(ReferenceSheetError, match="the reference sheet does not exist$"):
        load_reference(tmp_path / "nope.csv")
    with pytest.raises(ReferenceSheetError, match="the reference sheet is a folder"):
        load_reference(tmp_path)


def test_neutralized_cells_from_our_own_exports_are_restored():
    sheet = parse_reference_text("title,loudness\n'-Intro-,'-7.5\n")
    assert sheet.rows[0].title == "-Intro-"
    assert sheet.rows[0].values["loudness_lufs"] == -7.5


def test_doubtful_scale_and_tempo_are_warned_about():
    sheet = parse_reference_text("title,energy,bpm\nA,0,12\nB,1,120\n")
    assert sheet.rows[1].values["energy"] == 1.0
    assert any("only 0 and 1" in w for w in sheet.warnings)
    assert any("30-400 BPM" in w for w in sheet.warnings)
    assert parse_reference_text(STREAMING).warnings == []


EXTRA = (
    "#,Song,Artist,BPM,Speech,Live,Popularity,Album Date,Track ID,Genres,Time,Instrumental\n"
    "1,A,x,120,5,10,40,2011-01-01,7,pop,3:45,0.5\n"
    "2,B,x,121,6%,11,41,2011,8,pop,3:50,n/a\n"
    "3,C,x,122,7,12,x,2012,9,rock,4:01,0.7\n"
    "4,D,x,123,8,13,43,2013,10,pop,2:59,oops\n"
    "5,E,x,124,9,14,44,2014,11,pop,3:33,0.1\n"
)


def test_unknown_numeric_columns_are_kept_as_extra_columns():
    sheet = parse_reference_text(EXTRA, name="e.csv")
    # row numbers, identifiers, dates and text columns are not; a column with too many
    # cells that are not numbers (Instrumental: 3 of 4 filled) is not either
    assert sheet.extra == ["speech", "live", "popularity"]
    assert sheet.numeric_columns == ["bpm", "speech", "live", "popularity"]
    assert sheet.descriptors == ["bpm"]
    assert sheet.columns["speech"] == "Speech" and sheet.columns["popularity"] == "Popularity"
    assert sheet.rows[1].values == {"bpm": 121, "speech": 6.0, "live": 11.0,
                                    "popularity": 41.0}  # percent kept on the sheet's scale
    assert "popularity" not in sheet.rows[2].values  # "x" read as missing, row kept
    assert len(sheet.rows) == 5 and not sheet.bad_rows


def test_an_extra_column_needs_four_numbers_and_80_percent_of_its_cells():
    head = "Song,BPM,Live\n"
    three = head + "".join(f"S{i},120,{i}\n" for i in range(3))
    assert parse_reference_text(three).extra == []
    four = head + "".join(f"S{i},120,{i}\n" for i in range(4))
    assert parse_reference_text(four).extra == ["live"]
    # 4 of 5 filled cells numbers (80 %): kept; 4 of 6 (67 %): not
    mixed = head + "".join(f"S{i},120,{i}\n" for i in range(4)) + "S9,120,high\n"
    assert parse_reference_text(mixed).extra == ["live"]
    worse = mixed + "S10,120,low\n"
    assert parse_reference_text(worse).extra == []


def test_a_sheet_with_only_extra_numeric_columns_is_read():
    text = "Title,Liveness\n" + "".join(f"S{i},0.{i}\n" for i in range(1, 6))
    sheet = parse_reference_text(text)
    assert sheet.extra == ["liveness"] and sheet.descriptors == []


def test_words_for_no_key_are_missing_keys_not_bad_cells():
    sheet = parse_reference_text("Song,Key,Camelot,BPM\nA,Unknown,,90\nB,N/A,,90\n"
                                 "C,none,,90\nD,?,Unknown,90\n")
    assert [r.key for r in sheet.rows] == [None] * 4
    assert sheet.bad_cells == [] and sheet.bad_rows == []


def test_a_camelot_column_reads_codes_and_key_names_and_lists_what_it_cannot():
    sheet = parse_reference_text("Song,Camelot,BPM\nA,8A,100\nB,Am,100\nC,13C,100\n")
    assert [r.key for r in sheet.rows] == [Key(9, "minor"), Key(9, "minor"), None]
    bad = sheet.bad_cells[0]
    assert (bad.row, bad.column, bad.value) == (4, "Camelot", "13C")
    assert "not a Camelot code" in str(bad)


def test_a_percentage_column_is_scaled_as_soon_as_a_value_exceeds_one():
    # acousticness 0-2 %: still percentages, because a 0-1 value never exceeds 1
    sheet = parse_reference_text("Song,Acoustic\nA,0.5\nB,1.5\nC,2\nD,0\n")
    assert [r.values["acousticness"] for r in sheet.rows] == pytest.approx(
        [0.005, 0.015, 0.02, 0.0])
    unit = parse_reference_text("Song,Acoustic\nA,0.5\nB,1\nC,0.25\n")
    assert [r.values["acousticness"] for r in unit.rows] == [0.5, 1.0, 0.25]


def test_a_ragged_sheet_falls_back_to_the_delimiter_its_header_uses():
    # A short last row defeats the sniffer; the header's semicolons decide (its capital
    # letters never do).
    sheet = parse_reference_text("Song;BPM;XXL Mix\nA;120;1\nB;90\n")
    assert sheet.delimiter == ";"
    assert [(r.title, r.values["bpm"]) for r in sheet.rows] == [("A", 120.0), ("B", 90.0)]


def test_blank_lines_and_rows_before_the_header_are_skipped():
    sheet = parse_reference_text(",,\n\n,  ,\nSong,BPM,Key\nA,120,C\n")
    assert sheet.columns["title"] == "Song" and [r.title for r in sheet.rows] == ["A"]
    assert sheet.rows[0].values == {"bpm": 120.0} and sheet.rows[0].key == Key(0, "major")
    # Row numbers count the skipped rows, as the spreadsheet shows them.
    assert sheet.rows[0].row == 5


def test_a_title_line_and_notes_above_the_table_are_skipped():
    text = ("My DJ set export 2026-11-30\n"
            "exported by hand; keys checked twice\n"
            "\n"
            "title,artist,bpm,key\n"
            "Blue Night,Ana Lima,128,Gm\n"
            "Rain Again,The Owls,fast,E min\n")
    sheet = parse_reference_text(text)
    assert sheet.columns["title"] == "title" and sheet.columns["artist"] == "artist"
    assert [(r.title, r.key) for r in sheet.rows] == [("Blue Night", Key(7, "minor")),
                                                      ("Rain Again", Key(4, "minor"))]
    assert sheet.rows[0].row == 5
    bad = sheet.bad_cells[0]
    assert (bad.row, bad.column, bad.value) == (6, "bpm", "fast")


_TABLE = [("Title", "Artist", "BPM", "Key", "Energy"),
          ("Blue Night", "Ana Lima", "128,5", "Gm", "81"),
          ("Rain, Again", "The Owls", "92", "E min", "35"),
          ("Glass City", "Juno Park", "100", "F# major", "50")]


def _table_text(delimiter: str) -> str:
    """:data:`_TABLE` as a sheet with ``delimiter`` (a comma sheet writes 128.5 and quotes
    the title holding a comma)."""
    lines = []
    for row in _TABLE:
        cells = [c.replace(",", ".") if delimiter == "," and c[:1].isdigit() else c
                 for c in row]
        cells = [f'"{c}"' if delimiter in c else c for c in cells]
        lines.append(delimiter.join(cells))
    return "\r\n".join(lines) + "\r\n"


@pytest.mark.parametrize("delimiter", ["\t", ";", ",", "|"])
@pytest.mark.parametrize("preamble", [
    "My playlist export 2026-12-01\n",
    "Exported by X\n\n",
    "Exported by DJ Tool, version 3.2, on 1 December 2026\n\n",  # commas, no comma sheet
    "Playlist; Summer 2026; 3 songs\nExported by X, Y and Z\n\n",
    "Report\tDecember\n",
])
def test_a_sheet_under_a_title_line_reads_as_the_sheet_without_it(delimiter, preamble):
    """The delimiter is the one that splits the table's header: a title line above a
    tab-delimited table (with commas or semicolons or none) made the sniffer take ",", and
    the header read as one cell had no title column."""
    plain = parse_reference_text(_table_text(delimiter))
    sheet = parse_reference_text(preamble + _table_text(delimiter))
    assert plain.delimiter == sheet.delimiter == delimiter
    assert sheet.columns == plain.columns and not sheet.bad_cells and not sheet.bad_rows
    assert [(r.title, r.artist, r.values, r.key) for r in sheet.rows] == \
        [(r.title, r.artist, r.values, r.key) for r in plain.rows]
    assert [r.values["bpm"] for r in sheet.rows] == [128.5, 92.0, 100.0]
    assert sheet.rows[1].title == "Rain, Again"
    skipped = preamble.count("\n")  # row numbers count the lines above, as a spreadsheet
    assert [r.row for r in sheet.rows] == [r.row + skipped for r in plain.rows]


def test_a_title_line_that_splits_as_a_header_does_not_decide_the_delimiter():
    # with commas, the title line names a title and an artist: the tab table under it,
    # whose rows split as its header does, decides
    text = "Title, Artist, BPM of my set\n\n" + _table_text("\t")
    sheet = parse_reference_text(text)
    assert sheet.delimiter == "\t" and sheet.columns["bpm"] == "BPM"
    assert [r.title for r in sheet.rows] == ["Blue Night", "Rain, Again", "Glass City"]


def test_a_comma_title_line_naming_a_title_and_an_artist_is_not_the_header():
    # the title line splits as a header with a title and an artist column but no value
    # column: the table's own header under it, which names one, is the header
    text = "Title, Artist, BPM of my set\n\n" + _table_text(",")
    sheet = parse_reference_text(text)
    assert sheet.columns["bpm"] == "BPM" and sheet.delimiter == ","
    assert [r.values["bpm"] for r in sheet.rows] == [128.5, 92.0, 100.0]
    assert [r.row for r in sheet.rows] == [4, 5, 6]
    # without a header naming a value column under it, the title line stays the header
    # and the error names it
    with pytest.raises(ReferenceSheetError, match=r"row 1: no reference value column"):
        parse_reference_text("Title, Artist, BPM of my set\nBlue Night,Ana Lima,128\n")


def test_a_table_under_a_dozen_lines_of_notes_is_read():
    notes = "".join(f"Note {i}: exported for the set of 1 December\n" for i in range(12))
    sheet = parse_reference_text(notes + "\n" + _table_text(";"))
    assert sheet.delimiter == ";" and [r.row for r in sheet.rows] == [15, 16, 17]
    assert [r.values["bpm"] for r in sheet.rows] == [128.5, 92.0, 100.0]


def test_a_sheet_without_a_header_names_the_first_row_in_the_error():
    with pytest.raises(ReferenceSheetError, match=r"row 2: no title column.*Blue Night"):
        parse_reference_text("\nBlue Night,Ana Lima,128\nRain Again,The Owls,92\n")


def test_german_and_french_headers_with_accents_are_recognized():
    german = parse_reference_text("Titel;Künstler;BPM;Tonart;Lautstärke\n"
                                  "Blaue Nacht;Ana Lima;128,0;Gm;-5,2\n")
    assert german.columns == {"title": "Titel", "artist": "Künstler", "bpm": "BPM",
                              "key": "Tonart", "loudness_lufs": "Lautstärke"}
    row = german.rows[0]
    assert (row.artist, row.values, row.key) == ("Ana Lima", {"bpm": 128.0,
                                                              "loudness_lufs": -5.2},
                                                 Key(7, "minor"))
    french = parse_reference_text("Titre,Artiste,Tonalité,Énergie\nNuit,Ana,A,80\n")
    assert french.columns == {"title": "Titre", "artist": "Artiste", "key": "Tonalité",
                              "energy": "Énergie"}
    assert french.rows[0].values == {"energy": pytest.approx(0.8)}


def test_tool_key_notations_in_a_sheet_and_the_reason_of_an_ambiguous_key():
    # Traktor's Open Key, Rekordbox's Camelot, German names; "C/Am" names two keys.
    text = ("Title\tArtist\tBPM\tKey\nA\tX\t128.00\t1m\nB\tX\t120.00\t11d\n"
            "C\tX\t100.00\tFis-Moll\nD\tX\t90.00\tC/Am\nE\tX\t90.00\tB-Dur\n")
    sheet = parse_reference_text(text)
    assert [r.key for r in sheet.rows] == [Key(9, "minor"), Key(10, "major"), Key(6, "minor"),
                                           None, None]
    reasons = {b.value: b.reason for b in sheet.bad_cells}
    assert "two different keys" in reasons["C/Am"] and "B flat in German" in reasons["B-Dur"]
    cam = parse_reference_text("Song,Camelot\nA,1m\nB,C/Am\nC,x\n")
    assert cam.rows[0].key == Key(9, "minor")
    assert [b.reason for b in cam.bad_cells][1:] == ["not a Camelot code"]
    assert "two different keys" in cam.bad_cells[0].reason


def test_a_pitch_class_without_a_mode_is_left_out_not_read_as_major():
    sheet = parse_reference_text("Title,BPM,Key\nA,120,5\nB,121,-1\nC,122,F\n")
    assert [r.key for r in sheet.rows] == [None, None, Key(5, "major")]
    assert [(b.row, b.value) for b in sheet.bad_cells] == [(2, "5")]
    assert "needs a mode" in sheet.bad_cells[0].reason
    assert "no Mode column" in sheet.bad_cells[0].reason
    odd = parse_reference_text("Title,Key,Mode\nA,5,\nB,7,x\nC,9,0\n")
    assert [r.key for r in odd.rows] == [None, None, Key(9, "minor")]
    assert all("Mode cell" in b.reason for b in odd.bad_cells)


def test_a_number_with_a_unit_and_a_decimal_comma_is_read():
    # a German export writes "125,9 BPM" and "-8,2 LUFS": the unit was taken off only after
    # the decimal comma was looked for, so such a cell was "not a number" (29 of 34 tempi)
    sheet = parse_reference_text(
        "Titel;Tempo;Lautheit\nA;125,9 BPM;-8,2 LUFS\nB;96,5 bpm;-11 dBFS\nC;120 BPM;-7,5 dB\n"
        "D;1,234 BPM;-9\n")
    assert [r.values.get("bpm") for r in sheet.rows] == [125.9, 96.5, 120.0, None]
    assert [r.values["loudness_lufs"] for r in sheet.rows] == [-8.2, -11.0, -7.5, -9.0]
    assert [(b.row, b.value) for b in sheet.bad_cells] == [(5, "1,234 BPM")]


def test_a_number_with_thousands_separators_is_read_and_one_that_reads_two_ways_is_listed():
    sheet = parse_reference_text(
        'Title,BPM,Streams,Energy\nA,"1,234","1,234,567",1\nB,"128,5","2,000,000","0,500"\n'
        'C,"-1,000",3,"0,25"\nD,90,4,"1,5"\n')
    assert [r.values.get("bpm") for r in sheet.rows] == [None, 128.5, None, 90.0]
    assert [r.values["streams"] for r in sheet.rows] == [1234567.0, 2000000.0, 3.0, 4.0]
    assert sheet.rows[1].values["energy"] == pytest.approx(0.005)  # 0,500 is a decimal
    bad = {b.value: b.reason for b in sheet.bad_cells}
    assert "thousands separator or a decimal comma" in bad["1,234"]
    assert "thousands separator or a decimal comma" in bad["-1,000"]


def test_a_0_1_column_of_whole_numbers_1_to_10_is_left_out_with_a_warning():
    # Mixed In Key's energy level 1-10 was read as 1-10 % (0.06 for level 6).
    # (song D has no energy written: the column is left out all the same)
    text = ("Artist,Title,Key,BPM,Energy\nX,A,8A,124,6\nX,B,9B,96,7\nX,C,9A,72,5\n"
            "X,D,10A,100,\n")
    sheet = parse_reference_text(text)
    assert "energy" not in sheet.columns and "energy" not in sheet.descriptors
    assert all("energy" not in r.values for r in sheet.rows)
    assert sheet.rows[0].values == {"bpm": 124.0} and sheet.rows[3].values == {"bpm": 100.0}
    assert ("column 'Energy' holds only whole numbers 1-10: a 1-10 level (as Mixed In Key "
            "writes energy) or percentages? Left out of the fit; write it on 0-1 or as "
            "percentages with decimals to use it") in sheet.warnings
    percent = parse_reference_text("Song,Energy\nA,6\nB,70\nC,5\n")
    assert [r.values["energy"] for r in percent.rows] == pytest.approx([0.06, 0.7, 0.05])
    low = parse_reference_text("Song,Acoustic\nA,0\nB,3\nC,5\n")  # a 0: percentages
    assert [r.values["acousticness"] for r in low.rows] == pytest.approx([0.0, 0.03, 0.05])
    with pytest.raises(ReferenceSheetError, match="no row holds a usable.*1-10"):
        parse_reference_text("Song,Energy\nA,6\nB,7\nC,5\n")


def test_the_error_of_a_binary_file_without_nul_bytes_quotes_a_short_header(tmp_path):
    junk = (bytes(range(0x80, 0x100)) + b",") * 2000  # one line of 514,000 bytes, no NUL
    path = tmp_path / "junk.csv"
    path.write_bytes(junk)
    with pytest.raises(ReferenceSheetError, match="no title column") as err:
        load_reference(path)
    assert len(str(err.value)) < 400 and "characters)" in str(err.value)


def test_a_spreadsheet_file_named_csv_is_refused_for_its_nul_bytes(tmp_path):
    path = tmp_path / "sheet.csv"  # the start of an .xlsx file (a zip), then text
    path.write_bytes(b"PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00Song,BPM\nA,120\n")
    with pytest.raises(ReferenceSheetError, match=re.escape(
            "sheet.csv: the file is a ZIP archive that cannot be opened, not a sheet SongCal "
            "reads: save it as an Excel workbook (.xlsx) or as CSV")):
        load_reference(path)
    message = "the file holds NUL bytes: it is not a text CSV sheet (a spreadsheet file, or"
    with pytest.raises(ReferenceSheetError, match=re.escape(f"sheet.csv: {message}")):
        reference_from_bytes(b"Song,BPM\nA\x00,120\n", tmp_path / "sheet.csv")
    with pytest.raises(ReferenceSheetError, match=re.escape(message)):
        parse_reference_text("Song,BPM\nA\x00,120\n")


def test_an_unclosed_quote_that_swallows_the_sheet_names_its_line():
    text = 'Song,BPM\nB,100\n"A' + "x" * 140_000 + ",120\nC,90\n"
    with pytest.raises(ReferenceSheetError) as err:
        parse_reference_text(text, name="s.csv")
    assert str(err.value) == "s.csv: line 3: a cell is longer than 128 KB (an unclosed quote?)"


def test_a_large_sheet_is_parsed_without_copies_of_its_whole_text():
    # io.StringIO held the text again at four bytes a character, and the delimiter was
    # guessed from a list of every line: 8 times the text at the peak, 4 now.
    import tracemalloc

    text = "Title,Artist,BPM,Key,Comment\n" + "".join(
        f"Song {i},Someone,{90 + i % 90},C,{'y' * 300}\n" for i in range(10000))
    tracemalloc.start()
    try:
        sheet = parse_reference_text(text)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert len(sheet.rows) == 10000 and sheet.rows[-1].values == {"bpm": 90 + 9999 % 90}
    assert peak < 6 * len(text)


def test_a_key_and_a_camelot_code_naming_different_keys_are_left_out():
    # The Key column won silently over a Camelot code naming another key.
    sheet = parse_reference_text("Song,Key,Camelot\nA,A Minor,8A\nB,G Major,10B\nC,,9A\n"
                                 "D,E Minor,\nE,-,x\n")
    assert [r.key for r in sheet.rows] == [Key(9, "minor"), None, Key(4, "minor"),
                                           Key(4, "minor"), None]
    bad = [(b.row, b.column, b.reason) for b in sheet.bad_cells]
    assert bad[0][:2] == (3, "Key") and "G major here, D major in column 'Camelot'" in bad[0][2]
    assert bad[1] == (6, "Camelot", "not a Camelot code")


def test_a_sheet_with_only_its_header_says_so():
    # It said "no row could be read", as if rows had been there and failed.
    with pytest.raises(ReferenceSheetError,
                       match=r"a header \(row 2: Title, Artist, BPM, Key\) but no rows under"):
        parse_reference_text("\nTitle,Artist,BPM,Key\r\n,,,\r\n")
    with pytest.raises(ReferenceSheetError, match="no row could be read; first problem: row 2"):
        parse_reference_text("Title,BPM\n,120\n")


def test_a_sheet_naming_its_songs_by_file_reads_title_and_artist_from_the_file_name():
    # Mixed In Key and DJ software name songs by file; such sheets were refused.
    text = ("Collection name,File name,Key,BPM\n"
            "Demo,001_Nova Lights_Midnight Drive.mp3,8A,124.00\n"
            "Demo,C:\\Music\\Kesta - Slow Burn.mp3,9A,72.00\n"
            "Demo,,8B,110\n")
    sheet = parse_reference_text(text)
    assert sheet.columns["file"] == "File name"
    assert [(r.title, r.artist, r.key) for r in sheet.rows] == [
        ("Midnight Drive", "Nova Lights", Key(9, "minor")),
        ("Slow Burn", "Kesta", Key(4, "minor"))]
    assert [(b.row, b.column, b.reason) for b in sheet.bad_rows] == [
        (4, "File name", "empty file name")]
    both = parse_reference_text("title,artist,bpm,path\nReal Title,Someone,120,x/A - B.wav\n")
    assert (both.rows[0].title, both.rows[0].artist) == ("Real Title", "Someone")
    with pytest.raises(ReferenceSheetError, match="or a file name column"):
        parse_reference_text("bpm,key\n120,C\n")


def test_mixed_in_keys_own_csv_export_is_read():
    # Mixed In Key exports "Collection name,File name,Key result,BPM,Energy": its key
    # column was not recognized, so no key was read from such a sheet
    text = ("Collection name,File name,Key result,BPM,Energy\n"
            "Library,/Music/Nova Lights - Midnight Drive.mp3,8A,124.00,6\n"
            "Library,/Music/Kesta - Slow Burn.mp3,Bm,72.00,5\n"
            "Library,/Music/Ana Lima - Blue Night.mp3,9B,118.00,7\n")
    sheet = parse_reference_text(text)
    assert sheet.columns["key"] == "Key result" and "key" in sheet.descriptors
    assert [(r.title, r.artist, r.key, r.values) for r in sheet.rows] == [
        ("Midnight Drive", "Nova Lights", Key(9, "minor"), {"bpm": 124.0, "energy": 6.0}),
        ("Slow Burn", "Kesta", Key(11, "minor"), {"bpm": 72.0, "energy": 5.0}),
        ("Blue Night", "Ana Lima", Key(7, "major"), {"bpm": 118.0, "energy": 7.0})]
    # its energy is Mixed In Key's level 1-10, read on that scale (it was left out)
    assert "energy" in sheet.descriptors and sheet.value_scales["energy"][:2] == (1, 10)
    assert not sheet.warnings
    assert not sheet.bad_cells and not sheet.bad_rows and not sheet.extra


def test_a_column_with_one_value_for_every_row_is_pointed_out():
    """A tool that writes 120 BPM or C major for every song it has not analyzed: such a
    column says nothing about the songs, and the sheet's warnings say so."""
    rows = "".join(f"S{i},120,C major,{0.1 * i:.1f}\n" for i in range(6))
    sheet = parse_reference_text("Song,BPM,Key,Energy\n" + rows)
    said = " | ".join(sheet.warnings)
    assert "column 'BPM' gives every row the same value (120)" in said
    assert "every row has the same key (C major)" in said
    assert "Energy" not in said
    few = parse_reference_text("Song,BPM,Key\n" + "".join(f"S{i},120,C major\n"
                                                          for i in range(4)))
    assert few.warnings == []  # four songs alike can be a real deck


def test_a_column_named_twice_is_read_from_the_copy_that_holds_values_and_warned_about():
    # two BPM columns, the first left empty (a formula column kept for later): the first
    # was read and every tempo lost, without a word (bpm "too few", n=0)
    sheet = parse_reference_text("Title,Artist,BPM,BPM,Key,Tempo\n"
                                 "A,x,,120,C major,60\nB,x,,98.5,A minor,49\n"
                                 "C,x,,140,G major,70\nD,x,,80,E minor,40\n")
    assert [r.values["bpm"] for r in sheet.rows] == [120, 98.5, 140, 80]
    assert sheet.columns["bpm"] == "BPM"
    # the copies left out are not read as extra columns either
    assert sheet.extra == []
    assert ("columns 3 ('BPM'), 4 ('BPM'), 6 ('Tempo') all read as bpm: column 4 is used "
            "(the first that holds values), the others left out") in sheet.warnings
    # copies of which only the first holds values: read as before, no word
    plain = parse_reference_text("Title,Artist,BPM,BPM\nA,x,120,\nB,x,98,\n")
    assert [r.values["bpm"] for r in plain.rows] == [120, 98]
    assert not any("read as bpm" in w for w in plain.warnings)


@pytest.mark.parametrize("text, what", [
    ('<?xml version="1.0" encoding="UTF-8"?>\n<DJ_PLAYLISTS Version="1.0.0">\n'
     '<COLLECTION><TRACK Name="A" AverageBpm="120.00"/></COLLECTION></DJ_PLAYLISTS>\n',
     "XML"),
    ('\n  <NML VERSION="19"><COLLECTION><ENTRY TITLE="A"/></COLLECTION></NML>\n', "XML"),
    ('<!DOCTYPE html>\n<html><body><table><tr><td>A</td><td>120</td></tr></table></body>'
     '</html>\n', "HTML"),
    ('<HTML><TABLE><TR><TD>Title</TD><TD>BPM</TD></TR></TABLE></HTML>', "HTML"),
    ('{"items": [{"name": "A", "tempo": 120}]}\n', "JSON"),
    ('[{"name": "A", "tempo": 120}]', "JSON"),
])
def test_a_dj_collection_or_json_export_is_named_for_what_it_is(text, what):
    # it was refused for having no title column, its first line quoted as the header
    with pytest.raises(ReferenceSheetError) as err:
        parse_reference_text(text, name="export")
    assert str(err.value).startswith(
        f"export: the file is {what}, not a CSV sheet (SongCal reads comma-, semicolon- or "
        "tab-separated text)")
    # a CSV whose first title cell starts with a bracket is still a sheet
    sheet = parse_reference_text('Song,BPM\n"[Intro]",120\n{Outro},98\n')
    assert [r.title for r in sheet.rows] == ["[Intro]", "{Outro}"]


def test_a_cell_written_with_a_percent_sign_is_a_percentage_whatever_its_column_holds():
    # one cell formatted as a percentage in a column on 0-1 turned the whole column into
    # percentages: every energy divided by 100 (0.58 read as 0.0058), without a word
    sheet = parse_reference_text("Title,Energy,Dance\nA,0.58,58%\nB,0.62,0.62\n"
                                 "C,0.71,71 %\nD,0.4,0.4\nE,90%,0.9\n")
    assert [r.values["energy"] for r in sheet.rows] == pytest.approx([0.58, 0.62, 0.71, 0.4,
                                                                      0.9])
    assert [r.values["danceability"] for r in sheet.rows] == pytest.approx(
        [0.58, 0.62, 0.71, 0.4, 0.9])
    # a column of percentages, signs or not, reads as before
    plain = parse_reference_text("Title,Energy,Dance\nA,58,58%\nB,62,62%\nC,71,71%\n")
    assert [r.values["energy"] for r in plain.rows] == pytest.approx([0.58, 0.62, 0.71])
    assert [r.values["danceability"] for r in plain.rows] == pytest.approx([0.58, 0.62, 0.71])
    assert plain.scales["energy"] == 0.01


@pytest.mark.parametrize("header", ["Loudness (dBFS)", "Integrated Loudness",
                                    "Integrated LUFS", "LUFS (integrated)"])
def test_loudness_headers_in_dbfs_or_integrated_lufs_are_the_loudness_column(header):
    # read as an extra column named after the header: loudness went uncalibrated, and from
    # 30 songs on a learned model of 'loudness_dbfs' came out beside the analyzer's column
    sheet = parse_reference_text(f"Title,Artist,{header}\nA,x,-9.5\nB,x,-14\nC,x,-7\n"
                                 "D,x,-11\n")
    assert sheet.columns["loudness_lufs"] == header and sheet.extra == []
    assert [r.values["loudness_lufs"] for r in sheet.rows] == [-9.5, -14, -7, -11]


def test_a_row_repeating_the_header_is_left_out_with_one_warning():
    # two exports pasted one under the other: the second header was read as a song titled
    # 'Title' by 'Artist', listed as an unused row with a bad cell in every column
    sheet = parse_reference_text("Title,Artist,BPM,Key\nA,x,120,C major\nB,x,98,A minor\n"
                                 "title , ARTIST,BPM,Key\nC,x,140,G major\n")
    assert [r.title for r in sheet.rows] == ["A", "B", "C"]
    assert sheet.bad_cells == [] and sheet.bad_rows == []
    assert "row 4 repeats the header (two sheets pasted together?): left out" in sheet.warnings


def test_headers_with_a_unit_word_are_read_by_their_name():
    # A German spreadsheet writes "Lautheit (dB)"; "Tempo (BPM)" and "Energie (%)" already
    # fold to known names.  A unit that does not fit the name does not give it a role.
    text = ("Titel;Künstler;Tempo (BPM);Energie (%);Lautheit (dB);Valence percent;Energy LUFS\n"
            "Eins;Anna;120,5;58;-12,1;40;3\n"
            "Zwei;Bert;96;63;-13,3;50;4\n")
    sheet = parse_reference_text(text)
    assert sheet.columns["loudness_lufs"] == "Lautheit (dB)"
    assert sheet.columns["valence"] == "Valence percent"
    assert sheet.columns["energy"] == "Energie (%)"  # "Energy LUFS" is no energy column
    first = sheet.rows[0]
    assert first.values["loudness_lufs"] == pytest.approx(-12.1)
    assert first.values["bpm"] == pytest.approx(120.5)
    assert first.values["valence"] == pytest.approx(0.40)


def test_one_artist_dash_title_column_names_the_songs():
    text = ("Artist - Title,BPM,Camelot\n"
            "Nova Lights - Midnight Drive,124,8A\n"
            "AC/DC - Back In Black,94,9B\n"
            "Jay-Z – 99 Problems,90,5A\n"
            "Untitled Jam,100,1A\n")
    sheet = parse_reference_text(text)
    assert [(r.artist, r.title) for r in sheet.rows] == [
        ("Nova Lights", "Midnight Drive"), ("AC/DC", "Back In Black"),
        ("Jay-Z", "99 Problems"), ("", "Untitled Jam")]
    assert sheet.columns["title"] == "Artist - Title"
    assert sheet.rows[1].values["bpm"] == 94 and sheet.rows[0].key == Key(9, "minor")
    assert sheet.bad_rows == []


def test_an_artist_column_beside_the_combined_one_is_kept():
    text = "Artist,Artist - Title,BPM\nNova Lights,Nova Lights - Midnight Drive,124\n" \
           ",The Harbor - Low Tide,96\n"
    sheet = parse_reference_text(text)
    assert [(r.artist, r.title) for r in sheet.rows] == [
        ("Nova Lights", "Midnight Drive"), ("The Harbor", "Low Tide")]


def test_a_short_unclosed_quote_that_swallows_the_rows_under_it_names_its_line():
    text = 'Song,BPM\nB,100\n"A,120\nC,90\nD,80\n'
    with pytest.raises(ReferenceSheetError) as err:
        parse_reference_text(text, name="s.csv")
    assert str(err.value) == ("s.csv: line 3: a quote opens a cell and never closes, so the "
                              "2 line(s) after it would be read as that one cell: close the "
                              "quote or remove it")


def test_a_quoted_cell_over_two_lines_that_closes_is_read():
    text = 'Song,BPM,Comment\nB,100,"two\nlines"\n"A, the song",120,x\n'
    sheet = parse_reference_text(text, name="s.csv")
    assert [r.values for r in sheet.rows] == [{"bpm": 100.0}, {"bpm": 120.0}]
    # a quote opened on the last line swallows nothing: the cell is read as it is
    sheet = parse_reference_text('Song,BPM\nB,100\nC,90,"note\n', name="s.csv")
    assert [r.values for r in sheet.rows] == [{"bpm": 100.0}, {"bpm": 90.0}]


def test_an_unclosed_quote_is_found_after_a_strictly_malformed_row_and_in_any_column():
    # a row before it that a strict reader refuses ('"Song" (Remix)') does not hide it
    text = 'Song,BPM\n"Song" (Remix),100\n"A,120\nC,90\n'
    with pytest.raises(ReferenceSheetError, match=r"^s\.csv: line 3: a quote opens a cell "
                                                  r"and never closes, so the 1 line\(s\)"):
        parse_reference_text(text, name="s.csv")
    # in the second cell of a semicolon sheet, read with its own delimiter
    text = "Song;BPM;Comment\nB;100;ok\nA;\"120;x\nC;90;y\n"
    with pytest.raises(ReferenceSheetError, match=r"line 3: a quote opens a cell"):
        parse_reference_text(text, name="s.csv")
    # in the header itself: its line is line 1
    with pytest.raises(ReferenceSheetError, match=r"line 1: a quote opens a cell and never "
                                                  r"closes, so the 2 line\(s\)"):
        parse_reference_text('"Song,BPM\nA,120\nC,90\n', name="s.csv")


def test_a_last_row_whose_quoted_cell_closes_on_a_later_line_is_read():
    sheet = parse_reference_text('Song,BPM,Comment\nB,100,"two\nlines"\n', name="s.csv")
    assert [(r.title, r.values) for r in sheet.rows] == [("B", {"bpm": 100.0})]


def test_the_header_is_found_under_notes_by_a_file_column_or_a_title_and_one_value():
    notes = "Exported by DJ Tool\n\n"
    sheet = parse_reference_text(notes + "File;BPM\n/music/a.flac;120\n")
    assert sheet.columns == {"file": "File", "bpm": "BPM"} and sheet.rows[0].row == 4
    sheet = parse_reference_text(notes + "Title;BPM\nBlue Night;128\n")
    assert sheet.columns == {"title": "Title", "bpm": "BPM"} and sheet.rows[0].row == 4
    # a note naming two known columns but neither a title nor a file is no header
    sheet = parse_reference_text("Energy,Mood\n\nTitle,BPM\nBlue Night,128\n")
    assert sheet.columns == {"title": "Title", "bpm": "BPM"} and sheet.rows[0].row == 4


def test_a_title_line_that_names_no_value_stays_the_header_where_it_stands():
    # under a note, it is the header the error names (row 2), not the first row
    with pytest.raises(ReferenceSheetError, match=r"row 2: no reference value column"):
        parse_reference_text("Exported by DJ Tool\nTitle, Artist, BPM of my set\n"
                             "Blue Night,Ana Lima,128\n")


def test_text_read_from_memory_names_itself_and_drops_a_byte_order_mark():
    sheet = parse_reference_text("\ufeffTitle,BPM\nBlue Night,128\n")
    assert sheet.columns == {"title": "Title", "bpm": "BPM"}
    assert (sheet.name, sheet.sha256, sheet.encoding) == ("<text>", "", "utf-8")


def test_of_two_title_lines_that_name_no_value_the_first_is_the_header_named():
    with pytest.raises(ReferenceSheetError, match=r"row 1: no reference value column.*"
                                                  r"header is Title, Artist$"):
        parse_reference_text("Title, Artist\nTitle, Artist, Comment\nBlue Night,Ana,x\n")


def test_a_json_collection_is_refused_with_what_to_export():
    with pytest.raises(ReferenceSheetError) as err:
        parse_reference_text('[{"title": "Blue Night", "bpm": 128}]', name="c.json")
    assert str(err.value) == (
        "c.json: the file is JSON, not a CSV sheet (SongCal reads comma-, semicolon- or "
        "tab-separated text): export the playlist or collection as CSV or as text")
