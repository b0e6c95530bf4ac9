"""An Excel workbook opened with openpyxl for reading row by row, without sizing its sheets.

openpyxl's read-only mode sizes each worksheet when the workbook is opened: it takes the
size the sheet's XML states at its top, and when the sheet states none (a file written by a
script, openpyxl's own write-only mode among them) it parses the whole sheet to its end
first.  A sheet with formatting pasted over whole columns holds hundreds of thousands of
styled empty rows (300,000 of ten cells took 4 s of CPU to open, before a row was read).  The
worksheets opened here are never sized: their rows are read as they are asked for, each as
long as its last cell, so a reader that stops early never pays for the rest of the sheet,
and a stated size that is wrong (smaller than the sheet) does not cut rows or cells off.

It builds on openpyxl 3.1's reader (its ``ExcelReader.read_worksheets`` and read-only
worksheet, not public API); ``tests/core/test_workbook.py`` fails if a later openpyxl lays
them out otherwise.  This module imports openpyxl (about 0.2 s);
:mod:`core.calibration.workbook` imports it only when a workbook is read.
"""

from __future__ import annotations

from typing import BinaryIO

from openpyxl.reader.excel import ExcelReader
from openpyxl.workbook import Workbook
from openpyxl.worksheet._read_only import ReadOnlyWorksheet

__all__ = ["open_book"]


class _UnsizedWorksheet(ReadOnlyWorksheet):
    """A read-only worksheet whose rows are read to their end, whatever size it states."""

    def _get_size(self) -> None:
        """Leave the size unknown, so that reading the rows never needs it."""


class _UnsizedReader(ExcelReader):
    """openpyxl's reader in read-only mode, its worksheets :class:`_UnsizedWorksheet`."""

    def read_worksheets(self) -> None:
        for sheet, rel in self.parser.find_sheets():
            if rel.target not in self.valid_files:
                continue
            if "chartsheet" in rel.Type:
                self.read_chartsheet(sheet, rel)  # kept so sheet numbers stay the workbook's
                continue
            ws = _UnsizedWorksheet(self.wb, sheet.name, rel.target, self.shared_strings)
            ws.sheet_state = sheet.state
            self.wb._sheets.append(ws)


def open_book(source: BinaryIO) -> Workbook:
    """The workbook in ``source`` (a binary file), opened read-only with the values its
    formulas last computed, its worksheets unsized (their rows read as asked for).

    Raises
    ------
    Exception
        Whatever openpyxl raises on a damaged workbook (many kinds).
    """
    reader = _UnsizedReader(source, read_only=True, data_only=True)
    reader.read()
    return reader.wb
