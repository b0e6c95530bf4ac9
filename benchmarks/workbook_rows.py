"""Time reading a reference workbook whose table is followed by styled empty rows.

Formatting pasted over whole columns leaves hundreds of thousands of styled empty rows
below a sheet's table; the reader stops after a run of empty rows
(:data:`core.calibration.workbook.EMPTY_ROWS_STOP`).  The same sheet is written twice:
with the size Excel states at the top of a sheet, and without one, as a script writes it.
Prints the CPU seconds of each read (best of ``--repeat``, the first also imports openpyxl)
and the rows imported.

    python benchmarks/workbook_rows.py [--rows 300000] [--cells 10] [--repeat 3]
"""

from __future__ import annotations

import argparse
import io
import re
import tempfile
import time
import zipfile
from pathlib import Path

import openpyxl
from openpyxl.utils import get_column_letter

from core.calibration.reference import load_reference

SHEET = "xl/worksheets/sheet1.xml"


def write_book(path: Path, *, rows: int, cells: int, stated: bool) -> None:
    """A table of three songs, then ``rows`` rows of ``cells`` styled empty cells."""
    book = openpyxl.Workbook()
    ws = book.active
    ws.append(["Song", "Artist", "BPM", "Key"])
    ws.append(["Midnight Drive", "Nova Lights", 124, "A Minor"])
    ws.append(["Low Tide", "The Harbor", 96, "G Major"])
    ws.append(["Slow Burn", "Kesta", 72.5, "8A"])
    ws.cell(row=5, column=1).font = openpyxl.styles.Font(bold=True)  # style 1 exists
    buf = io.BytesIO()
    book.save(buf)
    last = 4 + rows
    with zipfile.ZipFile(buf) as src, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            body = src.read(info)
            if info.filename == SHEET:
                text = re.sub(r'<row r="5"[^>]*>.*?</row>', "", body.decode())
                size = f'<dimension ref="A1:{get_column_letter(cells)}{last}"/>' if stated \
                    else ""
                text = re.sub(r"<dimension[^>]*/>", size, text)
                letters = [get_column_letter(c) for c in range(1, cells + 1)]
                empty = "".join(
                    f'<row r="{r}">' + "".join(f'<c r="{x}{r}" s="1"/>' for x in letters)
                    + "</row>" for r in range(5, last + 1))
                body = text.replace("</sheetData>", empty + "</sheetData>").encode()
                assert (b"<dimension" in body) == stated
            dst.writestr(info, body)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=300_000)
    parser.add_argument("--cells", type=int, default=10)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        for stated in (True, False):
            path = Path(tmp) / f"{'stated' if stated else 'unsized'}.xlsx"
            write_book(path, rows=args.rows, cells=args.cells, stated=stated)
            times = []
            for _ in range(args.repeat):
                start = time.process_time()
                sheet = load_reference(path)
                times.append(time.process_time() - start)
            what = "size stated" if stated else "no size stated"
            print(f"{args.rows:,} styled empty rows of {args.cells} cells, {what} "
                  f"({path.stat().st_size / 1e6:.1f} MB): {min(times):.2f} s of CPU "
                  f"(best of {args.repeat}), {len(sheet.rows)} rows imported")


if __name__ == "__main__":
    main()
