"""CSV files that spreadsheets open cleanly, written atomically.

Text cells that a spreadsheet would run as a formula (starting with ``=``, ``+``, ``-``,
``@``, a tab or a carriage return) are neutralized with a leading apostrophe; numbers stay
numbers.  Files are UTF-8 with a byte-order mark, which Excel needs to read UTF-8, and are
written to a temporary file in the same folder that replaces the target only when complete
(named after its computer and process, so that one a killed process left behind is removed
by a later write there: :mod:`core.io.tempfiles`); a symbolic link is written through.
``-`` as the path writes to standard output instead (no byte-order mark).

Any file name the operating system allows can reach a cell: a name that is not valid UTF-8
arrives as lone surrogates (Python's ``surrogateescape``) and is written back as its
original bytes, so the path in the CSV is the file's real name; reading uses the same
rule, so such a path round-trips exactly.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import errno
import io
import itertools
import math
import numbers
import os
import re
import stat
import sys

from core.io import tempfiles
from core.io.inputs import MAX_RESULTS_BYTES, InputFileError, read_regular_file
from core.io.outputs import (
    InputReplacedError,
    ReadOnlyOutputError,
    is_read_only,
    physical_path,
    watched_during,
    watched_input,
)

__all__ = ["atomic_write_bytes", "atomic_write_text", "encode_text", "neutralize",
           "unneutralize", "cell_number", "typed_row", "format_cell", "write_csv",
           "read_csv_rows", "CsvReadError", "STDOUT", "text_lines", "open_quote_line",
           "open_quote_problem"]

#: The path that means standard output.
STDOUT = "-"
_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+$")


_REPLACEMENT = "\ufffd".encode()


def _bytes_safe(err: UnicodeEncodeError):
    """Encoding error handler: an escaped byte (U+DC80-U+DCFF) becomes that byte again;
    any other lone surrogate (a Windows file name can hold one) becomes U+FFFD.  The
    replacement is given as bytes: the UTF-8 encoder refuses a replacement text that is not
    ASCII and would raise the original error instead."""
    out = bytearray()
    for ch in err.object[err.start:err.end]:
        out += bytes((ord(ch) - 0xDC00,)) if "\udc80" <= ch <= "\udcff" else _REPLACEMENT
    return bytes(out), err.end


codecs.register_error("songcal-bytes-safe", _bytes_safe)


def encode_text(text: str) -> bytes:
    """UTF-8 bytes of ``text``; file-name bytes escaped as surrogates are restored as is."""
    return text.encode("utf-8", "songcal-bytes-safe")


class CsvReadError(InputFileError):
    """A CSV file that cannot be read (not a regular file, too large, malformed)."""


_DANGEROUS = ("=", "+", "-", "@", "\t", "\r")


def _current_umask() -> int:
    """The process umask, read from /proc where possible (setting it is process-wide)."""
    try:
        with open("/proc/self/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _mode_for(path: str) -> int:
    """Permission bits for a file written to ``path``: those of the file it replaces (a
    sheet the user made read-only for others stays so), else those a plain open() gives."""
    try:
        return stat.S_IMODE(os.stat(path).st_mode)
    except OSError:
        return 0o666 & ~_current_umask()


#: The errors of a disk (or a quota) that is full.
_DISK_FULL = tuple(filter(None, (errno.ENOSPC, getattr(errno, "EDQUOT", None))))


def _read_only(path: str) -> bool:
    """Whether ``path`` is an existing file that is read-only
    (:func:`core.io.outputs.is_read_only`)."""
    try:
        return is_read_only(os.stat(path), path)
    except OSError:
        return False


def _sync_folder(folder: str) -> None:
    """Make a rename in ``folder`` durable (where the system can open folders)."""
    try:
        fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _write_target(path: str) -> str:
    """The file an atomic write to ``path`` replaces: ``path`` itself, or the file a
    symbolic link names (the link stays, as with a plain ``open``; the temporary file then
    sits beside that file, on its disk, so the rename stays atomic)."""
    if not os.path.islink(path):
        return path
    target = os.path.realpath(path)
    if not os.path.exists(target):
        raise FileNotFoundError(errno.ENOENT, "it is a symbolic link to a file that does "
                                              "not exist; SongCal writes through links to "
                                              "existing files only", path)
    return target


def _keep_elsewhere(asked: str, data: bytes) -> str | None:
    """Save ``data``, which was meant for ``asked``, in a new file beside it named
    ``<stem>.kept-<date>-<time><ext>`` (or, where nothing can be made there, in the system's
    temporary folder); returns its path, or None.  The file is created anew (an existing
    file or link of that name is never opened)."""
    import tempfile
    import time

    stem, ext = os.path.splitext(os.path.basename(asked))
    stamp = time.strftime("%Y%m%d-%H%M%S")
    for folder in (os.path.dirname(asked), tempfile.gettempdir()):
        for n in range(100):
            kept = os.path.join(folder, f"{stem}.kept-{stamp}{'-' + str(n) if n else ''}{ext}")
            try:
                f = open(kept, "xb")  # noqa: SIM115 - removed again when the write fails
            except FileExistsError:
                continue
            except OSError:
                break
            try:
                with f:
                    f.write(data)
                return kept
            except OSError:
                with contextlib.suppress(OSError):
                    os.unlink(kept)
                break
    return None


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically (temporary file, fsync, rename, fsync of the
    folder).  A file replaced keeps its permission bits; a symbolic link is written
    through (:func:`_write_target`).  Temporary files that ended writers of this computer
    left in the folder are removed first (:func:`core.io.tempfiles.sweep`).

    Raises
    ------
    OSError
        When the file cannot be written; a folder where no file can be created says so,
        with ``path`` as the file name (not the temporary file's).
    InputReplacedError
        When the target has become one of the command's inputs
        (:func:`core.io.outputs.watch_inputs`) since it was checked: nothing is renamed over
        it, and ``data`` is saved in a new file beside it (the error says where).
    ReadOnlyOutputError
        When the target is an existing read-only file (a rename would replace it all the
        same): it stays, and ``data`` is saved beside it as above.

    A disk (or quota) found full leaves the target as it was and ``data`` saved as above
    where it fits (beside it, else in the system's temporary folder), the error saying where.
    """
    asked = physical_path(path)
    path = _write_target(asked)
    folder = os.path.dirname(path)
    os.makedirs(folder, exist_ok=True)
    tempfiles.sweep(folder)
    try:
        fd, tmp = tempfiles.make_temp(folder)
    except OSError as err:
        raise OSError(err.errno, f"no file can be created in the folder {folder} "
                                 f"({err.strerror or err})", path) from err
    try:
        with os.fdopen(fd, "wb") as f:
            # mkstemp makes the file private (0600)
            os.chmod(tmp, _mode_for(path))
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        # the output may have been replaced by a link to an input since it was checked
        hit = watched_input(path) or (watched_input(asked) if asked != path else None)
        if hit is not None:
            raise InputReplacedError(asked, *hit, _keep_elsewhere(asked, data),
                                     watched_during())
        if _read_only(path):  # made so since it was checked: a rename would not care
            raise ReadOnlyOutputError(asked, _keep_elsewhere(asked, data))
        try:
            os.replace(tmp, path)
        except OSError as err:  # name the file asked for, not the temporary one
            if err.errno is None or err.filename != tmp:
                raise
            raise OSError(err.errno, err.strerror, path) from err
    except BaseException as err:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        if isinstance(err, OSError) and err.errno in _DISK_FULL \
                and not isinstance(err, InputReplacedError | ReadOnlyOutputError):
            # what took a whole batch to make is not lost with the file (the system's
            # temporary folder is often on another disk)
            kept = _keep_elsewhere(asked, data)
            where = (f"what it would have held is in {kept}" if kept
                     else "what it would have held could not be saved anywhere")
            raise OSError(err.errno, f"{err.strerror or err}; {where}", asked) from err
        raise
    _sync_folder(folder)


def atomic_write_text(path: str | os.PathLike, text: str, *, bom: bool = False) -> None:
    """Write UTF-8 text atomically (with a byte-order mark when ``bom``); see
    :func:`encode_text` for file names that are not valid UTF-8."""
    atomic_write_bytes(path, encode_text(("\ufeff" if bom else "") + text))


def neutralize(text: str) -> str:
    """Prefix a text cell that a spreadsheet would treat as a formula with an apostrophe."""
    if text and text.startswith(_DANGEROUS):
        return "'" + text
    return text


def unneutralize(text) -> str:
    """Undo :func:`neutralize`: a cell read back from a SongCal export, as first written."""
    s = "" if text is None else str(text)
    if s.startswith("'") and len(s) > 1 and s[1] in _DANGEROUS:
        return s[1:]
    return s


def cell_number(value) -> float | None:
    """A numeric cell of a SongCal CSV (or an already typed value) as float.

    Returns ``None`` for an empty, unreadable or non-finite cell.
    """
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        f = float(value)
    else:
        try:
            f = float(unneutralize(value).strip())
        except ValueError:
            return None
    return f if math.isfinite(f) else None


_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")
_INTEGER = re.compile(r"[+-]?\d+")


def typed_row(row: dict, *, text_columns=()) -> dict:
    """A row read from a SongCal CSV with numbers as numbers again and neutralized text
    restored, so that writing it back does not turn ``-14.2`` into a text cell.

    Parameters
    ----------
    row : dict
        Column -> cell text.
    text_columns : collection of str, optional
        Columns that stay text even when they look like numbers (titles, keys...).
    """
    out = {}
    for c, v in row.items():
        if isinstance(v, str):
            v = unneutralize(v)
            t = v.strip()
            if c not in text_columns and _NUMBER.fullmatch(t):
                try:
                    v = int(t) if _INTEGER.fullmatch(t) else float(t)
                except ValueError:  # an integer past Python's 4,300 digits stays text
                    pass
        out[c] = v
    return out


def format_cell(value) -> str:
    """One cell: empty for None/NaN, numbers plainly, booleans as true/false, text neutralized."""
    kind = type(value)
    if kind is float:  # the common case first
        return repr(round(value, 6)) if math.isfinite(value) else ""
    if kind is str:
        return neutralize(value)
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, numbers.Integral):  # numpy integers too
        return str(int(value))
    if isinstance(value, numbers.Real):  # numpy floats too: written as plain numbers
        value = float(value)
        return repr(round(value, 6)) if math.isfinite(value) else ""
    if hasattr(value, "value") and isinstance(value.value, str):  # enums
        value = value.value
    return neutralize(str(value))


def write_csv(path: str | os.PathLike, columns, rows, *, meta: dict | None = None) -> None:
    """Write a CSV atomically.

    Parameters
    ----------
    path : str or os.PathLike
        Target file.
    columns : sequence of str
        Header, in order.
    rows : iterable of dict
        One dict per row; missing keys give empty cells.
    meta : dict, optional
        Provenance (app version, settings, reference file and its SHA-256...).  Each item
        becomes a trailing column holding the same value on every row, so the file stays a
        plain table that spreadsheets and scripts read without special cases.

    Raises
    ------
    OSError
        When the file (or standard output, for ``"-"``) cannot be written.
    """
    meta = dict(meta or {})
    header = list(columns) + [k for k in meta if k not in columns]
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow([format_cell(c) for c in header])
    meta_cells = {c: format_cell(v) for c, v in meta.items()}  # the same on every row
    for row in rows:
        writer.writerow([format_cell(row[c]) if c in row else meta_cells.get(c, "")
                         for c in header])
    if os.fspath(path) == STDOUT:
        out = getattr(sys.stdout, "buffer", None)
        sys.stdout.flush()
        if out is None:
            sys.stdout.write(buf.getvalue())
        else:
            out.write(encode_text(buf.getvalue()))
            out.flush()
        return
    atomic_write_text(path, buf.getvalue(), bom=True)


def read_csv_rows(path: str | os.PathLike, *, max_bytes: int = MAX_RESULTS_BYTES
                  ) -> tuple[list[str], list[dict]]:
    """Read a CSV written by SongCal (UTF-8, optional BOM); returns (columns, rows).

    Parameters
    ----------
    path : str or os.PathLike
        A regular file (a FIFO, device or folder is refused without being opened for
        reading).
    max_bytes : int, optional
        Largest file read (bytes).

    Raises
    ------
    CsvReadError
        Not a regular file, too large, or malformed (e.g. a quoted cell that never ends).
    """
    try:
        data = read_regular_file(path, max_bytes=max_bytes, what="CSV file")
    except InputFileError as err:
        raise CsvReadError(err.path, err.reason) from None
    text = data.decode("utf-8", "surrogateescape")
    if text.startswith("\ufeff"):
        text = text[1:]
    reader = csv.DictReader(text_lines(text))
    rows, last_start = [], 1  # last_start: the line the last record (or the header) began on
    try:
        columns = list(reader.fieldnames or [])  # read first: the count below is then a row's
        read = reader.reader.line_num
        for row in reader:
            last_start, read = read + 1, reader.reader.line_num
            rows.append(dict(row))
    except csv.Error as err:
        # The line where reading stopped (DictReader's own count is that of the last row
        # read whole, one line or more before).
        line = reader.reader.line_num
        raise CsvReadError(os.fspath(path), f"line {line}: the CSV cannot be read ({err}; an "
                                            "unclosed quote?)") from None
    if problem := open_quote_problem(text, last_start, reader.reader.line_num):
        raise CsvReadError(os.fspath(path), problem)
    return columns, rows


def text_lines(text: str):
    """The lines of ``text``, each with its line break, cut from the text one at a time (for
    :func:`csv.reader`, which then holds no second copy of the text)."""
    return (m.group(0) for m in _LINE.finditer(text))


def open_quote_line(text: str, start: int, delimiter: str) -> int | None:
    """The line (1-based) on which a record at or after line ``start`` of ``text`` opens a
    quoted cell that runs to the end of the text, or None: a lenient reader takes every
    later line into that cell, where a strict one finds the data ending in the quote.  A
    record a strict reader refuses before it ends the search (None)."""
    reader = csv.reader(itertools.islice(text_lines(text), start - 1, None),
                        delimiter=delimiter, strict=True)
    read = 0  # lines read by the records before the one being read
    try:
        for _ in reader:
            read = reader.line_num
    except csv.Error as err:
        if "unexpected end of data" in str(err):
            return start + read
    return None


def open_quote_problem(text: str, start: int, lines_read: int,
                       delimiter: str = ",") -> str | None:
    """What is wrong when a lenient reader that began its last record on line ``start`` and
    read ``lines_read`` lines took the lines after a quote left open into one cell
    (:func:`open_quote_line`): ``"line N: a quote opens a cell and never closes, ..."``, or
    None."""
    line = open_quote_line(text, start, delimiter) if lines_read > start else None
    if line is None:
        return None
    return (f"line {line}: a quote opens a cell and never closes, so the {lines_read - line} "
            "line(s) after it would be read as that one cell: close the quote or remove it")
