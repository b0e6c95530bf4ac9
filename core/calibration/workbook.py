"""Reference sheets saved as spreadsheet files.

An Excel workbook (``.xlsx``, also what LibreOffice and Google Sheets save as Excel) is read
with openpyxl into the rows of text a CSV export of the same sheet would hold, so that
:mod:`core.calibration.reference` reads both alike: a number shows as Excel would write it
to CSV without its display format (``124``, ``0.58``), except that a cell formatted as a
percentage keeps its sign (``58%``), as the sheet shows it; a formula gives the value the
workbook last computed.  Other spreadsheet files (``.xls``, ``.ods``, Apple Numbers, a
password-protected workbook) are recognised by their first bytes and named, so the message
can say how to save them.
"""

from __future__ import annotations

import datetime
import io
import zipfile
from collections.abc import Iterator

__all__ = ["spreadsheet_kind", "workbook_sheets", "XLSX", "MAX_UNPACKED_BYTES", "WorkbookError"]

#: What :func:`spreadsheet_kind` says of an Excel workbook SongCal reads.
XLSX = "xlsx"
#: Largest unpacked size of the workbook's parts (bytes): the sheets' XML is several times
#: the size of the same table as CSV, and a file packed far smaller than it unpacks (a zip
#: bomb) is refused before it is read.
MAX_UNPACKED_BYTES = 1 << 30

_ZIP = b"PK\x03\x04"
_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # .xls, and any password-protected Office file
_ODS_MIME = b"application/vnd.oasis.opendocument.spreadsheet"


class WorkbookError(ValueError):
    """A workbook that cannot be read; the message says why, for the sheet's row."""


def spreadsheet_kind(data: bytes) -> str:
    """:data:`XLSX` for an Excel workbook, a description of another spreadsheet file
    (``"an Excel 97-2003 workbook (.xls) or a password-protected one"``), or ``""`` for
    anything else (text, most likely)."""
    if data.startswith(_OLE2):
        return "an Excel 97-2003 workbook (.xls) or a password-protected workbook"
    if not data.startswith(_ZIP):
        return ""
    if _ODS_MIME in data[:100]:  # an OpenDocument file names its type in its first member
        return "an OpenDocument spreadsheet (.ods)"
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            names = set(z.namelist())
    except (zipfile.BadZipFile, OSError, ValueError):
        return "a ZIP archive that cannot be opened"
    if "xl/workbook.xml" in names:
        return XLSX
    if "Index/Document.iwa" in names or any(n.startswith("Index/") for n in names):
        return "an Apple Numbers file"
    return "a ZIP archive"


def _text(cell) -> str:
    """A cell's value as text, as a CSV export of the sheet would write it."""
    value = cell.value
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if "%" in (cell.number_format or ""):
            return f"{value * 100:.12g}%"
        return f"{value:.15g}"
    if isinstance(value, datetime.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, datetime.time):  # a duration typed as 3:45
        return value.strftime("%H:%M:%S") if value.hour else value.strftime("%M:%S").lstrip("0")
    if isinstance(value, datetime.timedelta):
        seconds = int(value.total_seconds())
        return f"{seconds // 60}:{seconds % 60:02d}"
    return str(value)


def _check_size(data: bytes) -> None:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            unpacked = sum(i.file_size for i in z.infolist())
    except (zipfile.BadZipFile, OSError, ValueError) as err:
        raise WorkbookError(f"the workbook cannot be opened ({err})") from None
    if unpacked > MAX_UNPACKED_BYTES:
        raise WorkbookError(f"the workbook unpacks to {unpacked / (1 << 20):,.0f} MB, more "
                            f"than the {MAX_UNPACKED_BYTES >> 20:,} MB read; save the sheet "
                            "as CSV")


def workbook_sheets(data: bytes) -> Iterator[tuple[str, int, Iterator[list[str]]]]:
    """``(title, count, rows)`` of each worksheet of an Excel workbook, in the workbook's
    order (``count``: how many worksheets it has; ``rows``: each row's cells as text, read
    as they are asked for).

    Raises
    ------
    WorkbookError
        When the workbook cannot be read (damaged, too large unpacked, no worksheet).
    """
    _check_size(data)
    from core.calibration.xlsx_book import open_book  # imports openpyxl, 0.2 s

    try:
        book = open_book(io.BytesIO(data))
    except Exception as err:  # noqa: BLE001 -- openpyxl raises many kinds on a damaged file
        raise WorkbookError(f"the workbook cannot be read ({type(err).__name__}: {err})") \
            from None
    try:
        sheets = list(book.worksheets)
        if not sheets:
            raise WorkbookError("the workbook holds no worksheet")
        for sheet in sheets:
            yield sheet.title, len(sheets), _rows(sheet)
    finally:
        book.close()


#: Empty rows in a row after which the rest of a worksheet is not read: formatting pasted
#: over whole columns leaves hundreds of thousands of styled empty cells (10,000 rows of ten
#: took 2.4 s of reading, so 300,000 would take over a minute), and no reference sheet has
#: such a gap within its table.
EMPTY_ROWS_STOP = 1_000


def _rows(sheet) -> Iterator[list[str]]:
    empty = 0
    try:
        for row in sheet.iter_rows():
            cells = [_text(c) for c in row]
            while cells and not cells[-1]:  # styled empty cells at the row's end
                cells.pop()
            if any(cells):
                empty = 0
            else:
                empty += 1
                if empty >= EMPTY_ROWS_STOP:
                    return
            yield cells
    except Exception as err:  # noqa: BLE001 -- a damaged sheet's XML fails in many ways
        raise WorkbookError(f"sheet {sheet.title!r} cannot be read "
                            f"({type(err).__name__}: {err})") from None
