"""Reference sheets saved as Excel workbooks, and other spreadsheet files named."""

import io
import zipfile

import openpyxl
import pytest
from openpyxl.cell import WriteOnlyCell

import core.calibration.workbook as workbook
from core.calibration.reference import load_reference, reads_as_sheet, reference_from_bytes
from core.errors import ReferenceSheetError
from core.io.keynotation import Key


def _save(book, path):
    book.save(path)
    return path


def _deck_book():
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Deck"
    sheet.append(["Checked by ear, March"])  # a note above the table
    sheet.append([])
    sheet.append(["Song", "Artist", "BPM", "Key", "Energy", "Loudness", "Time"])
    rows = [("Midnight Drive", "Nova Lights", 124, "A Minor", 0.58, -12.1),
            ("Low Tide", "The Harbor", 96.0, "G Major", 0.63, -13.3),
            ("Slow Burn", "Kesta", 72.5, "8A", 0.49, -11.9)]
    for title, artist, bpm, key, energy, loud in rows:
        sheet.append([title, artist, bpm, key, energy, loud, None])
    for row in range(4, 7):
        sheet.cell(row=row, column=5).number_format = "0%"  # shown as 58 %
    sheet.cell(row=4, column=7).value = "=1+1"  # a formula never computed: no value
    return book


def test_an_excel_workbook_reads_as_its_csv_would(tmp_path):
    path = _save(_deck_book(), tmp_path / "deck.xlsx")
    sheet = load_reference(path)
    assert [(r.row, r.title, r.artist) for r in sheet.rows] == [
        (4, "Midnight Drive", "Nova Lights"), (5, "Low Tide", "The Harbor"),
        (6, "Slow Burn", "Kesta")]
    assert [r.values["bpm"] for r in sheet.rows] == [124, 96, 72.5]
    # percent-formatted cells are percentages, as a CSV export writes them ("58%")
    assert [r.values["energy"] for r in sheet.rows] == pytest.approx([0.58, 0.63, 0.49])
    assert sheet.rows[0].values["loudness_lufs"] == pytest.approx(-12.1)
    assert [r.key for r in sheet.rows] == [Key(9, "minor"), Key(7, "major"), Key(9, "minor")]
    assert sheet.encoding == "xlsx" and sheet.bad_rows == [] and sheet.bad_cells == []
    assert sheet.sha256 and sheet.name == "deck.xlsx" and sheet.path == str(path)


def test_the_worksheet_with_a_table_is_read_and_named(tmp_path):
    book = _deck_book()
    notes = book.create_sheet("Notes", 0)  # the first worksheet holds no table
    notes.append(["How the deck was checked"])
    path = _save(book, tmp_path / "deck.xlsx")
    sheet = load_reference(path)
    assert len(sheet.rows) == 3
    assert sheet.warnings[0] == "read worksheet 'Deck', one of the workbook's 2"


def test_a_percent_cell_beside_plain_numbers_is_a_percentage(tmp_path):
    book = openpyxl.Workbook()
    ws = book.active
    ws.append(["Title", "Energy"])
    for i, v in enumerate((0.5, 0.8, 0.7)):
        ws.append([f"Song {i}", v])
    ws.cell(row=2, column=2).number_format = "0.0%"
    sheet = load_reference(_save(book, tmp_path / "e.xlsx"))
    assert [r.values["energy"] for r in sheet.rows] == pytest.approx([0.5, 0.8, 0.7])


def test_other_spreadsheet_files_are_named_with_how_to_save_them(tmp_path):
    ods = io.BytesIO()
    with zipfile.ZipFile(ods, "w") as z:
        z.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        z.writestr("content.xml", "<office:document-content/>")
    numbers = io.BytesIO()
    with zipfile.ZipFile(numbers, "w") as z:
        z.writestr("Index/Document.iwa", b"\x00" * 10)
    zipped = io.BytesIO()  # a CSV sheet sent zipped
    with zipfile.ZipFile(zipped, "w") as z:
        z.writestr("reference.csv", "Song,BPM\nA,120\n")
    cases = {
        "old.xls": (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504,
                    "an Excel 97-2003 workbook (.xls) or a password-protected workbook"),
        "sheet.ods": (ods.getvalue(), "an OpenDocument spreadsheet (.ods)"),
        "sheet.numbers": (numbers.getvalue(), "an Apple Numbers file"),
        "sheet.zip": (zipped.getvalue(), "a ZIP archive"),
    }
    for name, (data, kind) in cases.items():
        with pytest.raises(ReferenceSheetError) as err:
            reference_from_bytes(data, tmp_path / name)
        assert str(err.value) == (f"{name}: the file is {kind}, not a sheet SongCal reads: "
                                  "save it as an Excel workbook (.xlsx) or as CSV")


def test_a_workbook_is_not_taken_for_a_text_sheet(tmp_path):
    # a workbook named .txt among songs is not offered as a text sheet: it is read as what
    # it is when named as the reference
    path = _save(_deck_book(), tmp_path / "deck.txt")
    assert not reads_as_sheet(path)
    assert len(load_reference(path).rows) == 3
    text = tmp_path / "deck2.txt"
    text.write_text("Song\tArtist\tBPM\nMidnight Drive\tNova Lights\t124\n")
    assert reads_as_sheet(text)


def test_a_damaged_or_oversized_workbook_is_refused_with_a_reason(tmp_path, monkeypatch):
    path = _save(_deck_book(), tmp_path / "deck.xlsx")
    data = path.read_bytes()
    # the worksheet's XML cut in half, the archive still whole
    broken = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(broken, "w") as dst:
        for info in src.infolist():
            body = src.read(info)
            if info.filename == "xl/worksheets/sheet1.xml":
                body = body[:len(body) // 2]
            dst.writestr(info, body)
    with pytest.raises(ReferenceSheetError, match=r"^deck\.xlsx: (sheet 'Deck'|the workbook) "
                                                  r"cannot be read \("):
        reference_from_bytes(broken.getvalue(), tmp_path / "deck.xlsx")
    monkeypatch.setattr(workbook, "MAX_UNPACKED_BYTES", 1000)
    with pytest.raises(ReferenceSheetError, match=r"^deck\.xlsx: the workbook unpacks to "
                                                  r"0 MB, more than the 0 MB read; save the "
                                                  r"sheet as CSV$"):
        reference_from_bytes(data, tmp_path / "deck.xlsx")


def test_an_empty_workbook_says_so(tmp_path):
    path = _save(openpyxl.Workbook(), tmp_path / "empty.xlsx")
    with pytest.raises(ReferenceSheetError, match=r"^empty\.xlsx: the sheet is empty$"):
        load_reference(path)


def test_formatting_pasted_far_below_the_table_is_not_read(tmp_path, monkeypatch):
    # styled empty cells below the songs (formatting pasted over whole columns) are read
    # only up to a long run of empty rows; a table after such a run is not reached
    book = _deck_book()
    ws = book.active
    monkeypatch.setattr(workbook, "EMPTY_ROWS_STOP", 50)
    for row in range(7, 200):
        ws.cell(row=row, column=3).number_format = "0.00"
        ws.cell(row=row, column=3).font = openpyxl.styles.Font(bold=True)
    ws.cell(row=300, column=1).value = "Lost Song"
    ws.cell(row=300, column=3).value = 99
    sheet = load_reference(_save(book, tmp_path / "deck.xlsx"))
    assert [r.title for r in sheet.rows] == ["Midnight Drive", "Low Tide", "Slow Burn"]
    monkeypatch.setattr(workbook, "EMPTY_ROWS_STOP", 1000)
    sheet = load_reference(tmp_path / "deck.xlsx")
    assert [r.title for r in sheet.rows][-1] == "Lost Song"


def _unsized_book(path, *, gap, after):
    # a workbook as a script writes it (openpyxl's write-only mode): its sheet states no
    # size; the songs, then styled empty rows, then rows far below
    book = openpyxl.Workbook(write_only=True)
    ws = book.create_sheet("Deck")
    ws.append(["Song", "Artist", "BPM"])
    for title, bpm in (("Midnight Drive", 124), ("Low Tide", 96), ("Slow Burn", 72.5)):
        ws.append([title, "Nova Lights", bpm])
    for _ in range(gap):
        cell = WriteOnlyCell(ws)
        cell.font = openpyxl.styles.Font(bold=True)
        ws.append([None, None, cell])
    for i in range(after):
        ws.append([f"Lost Song {i}", "Nobody", 99])
    book.save(path)
    with zipfile.ZipFile(path) as z:
        assert b"<dimension" not in z.read(_SHEET)
    return path


_SHEET = "xl/worksheets/sheet1.xml"


def test_a_sheet_that_states_no_size_is_read_only_to_its_gap(tmp_path, monkeypatch):
    # openpyxl sized such a sheet by parsing all of it before the first row was given, so
    # the rows after the gap were read even though the reader stopped at the gap
    monkeypatch.setattr(workbook, "EMPTY_ROWS_STOP", 50)
    path = _unsized_book(tmp_path / "deck.xlsx", gap=60, after=5000)
    read = {}
    zip_read = zipfile.ZipExtFile.read

    def counted(self, n=-1):
        data = zip_read(self, n)
        read[self.name] = read.get(self.name, 0) + len(data)
        return data

    monkeypatch.setattr(zipfile.ZipExtFile, "read", counted)
    sheet = load_reference(path)
    assert [r.title for r in sheet.rows] == ["Midnight Drive", "Low Tide", "Slow Burn"]
    with zipfile.ZipFile(path) as z:
        size = z.getinfo(_SHEET).file_size
    assert size > 200_000
    assert 0 < read[_SHEET] < size / 4  # the songs, the gap and a parser's buffer or two
    # past the gap the rows are there, and read when the gap is allowed
    monkeypatch.setattr(workbook, "EMPTY_ROWS_STOP", 100)
    assert len(load_reference(path).rows) == 3 + 5000


def test_a_stated_size_smaller_than_the_sheet_cuts_nothing_off(tmp_path):
    # a script that writes a wrong size (here A1:B2) for a sheet of 4 rows of 3 cells: the
    # rows and cells past it were not read (one song, no tempo)
    path = _unsized_book(tmp_path / "deck.xlsx", gap=0, after=0)
    stated = io.BytesIO()
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(stated, "w") as dst:
        for info in src.infolist():
            body = src.read(info)
            if info.filename == _SHEET:
                body = body.replace(b"</sheetPr>", b'</sheetPr><dimension ref="A1:B2"/>')
                assert b"<dimension" in body
            dst.writestr(info, body)
    sheet = reference_from_bytes(stated.getvalue(), tmp_path / "deck.xlsx")
    assert [(r.title, r.values["bpm"]) for r in sheet.rows] == [
        ("Midnight Drive", 124), ("Low Tide", 96), ("Slow Burn", 72.5)]
