"""Reading the files a user names as inputs (sheets, profiles, results) without surprises.

A path on the command line can be anything the operating system allows: a FIFO that blocks
``open`` until some other program writes to it, a link to ``/dev/zero`` that never ends, a
folder, a file of gigabytes.  :func:`read_regular_file` accepts regular files only, opens
them without blocking, checks again on the open file (so a path swapped after the check
cannot slip through) and refuses anything larger than a stated cap before reading it;
:func:`read_file_start` reads only the first bytes of one, checked the same way.

Which of the paths named together (dropped on the window, or given to ``songcal gui``) is
the reference sheet has its rule here too: :func:`sheets_among`.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass, field

from core.errors import SongCalError

__all__ = ["InputFileError", "read_regular_file", "read_file_start", "special_kind",
           "MAX_SHEET_BYTES", "MAX_PROFILE_BYTES", "MAX_RESULTS_BYTES", "SHEET_EXTENSIONS",
           "TEXT_SHEET_EXTENSIONS", "is_sheet_file", "is_text_sheet_file", "SheetsAmongPaths",
           "sheets_among"]

#: Extensions (compared case-insensitively) of a reference sheet named among songs: dropped
#: on the window, or opened with SongCal from a file manager (the desktop entry's types).
SHEET_EXTENSIONS = (".csv", ".tsv", ".xlsx", ".xlsm")
#: Extensions of text that is a reference sheet only when it reads as one: Excel's "Text (Tab
#: delimited)" export is a ``.txt``, and so is a readme or the lyrics beside the songs.  Not
#: in the desktop entry (SongCal is not offered for every text file); never scanned as audio.
TEXT_SHEET_EXTENSIONS = (".txt",)

#: Largest reference sheet read (bytes): a 200,000-row streaming export is about 40 MB.
MAX_SHEET_BYTES = 256 * 1024 * 1024
#: Largest calibration profile read (bytes); SongCal's own are a few kilobytes.
MAX_PROFILE_BYTES = 16 * 1024 * 1024
#: Largest results CSV read (bytes): about a million songs.
MAX_RESULTS_BYTES = 1024 * 1024 * 1024


def is_sheet_file(path) -> bool:
    """True for a regular file whose name is a reference sheet's (:data:`SHEET_EXTENSIONS`):
    a path named among songs that is read as the reference, not scanned as audio."""
    p = os.fspath(path)
    return os.path.isfile(p) and os.path.splitext(p)[1].lower() in SHEET_EXTENSIONS


def is_text_sheet_file(path) -> bool:
    """True for a regular file whose name is text that may be a reference sheet
    (:data:`TEXT_SHEET_EXTENSIONS`): one only when its header reads as a sheet's."""
    p = os.fspath(path)
    return os.path.isfile(p) and os.path.splitext(p)[1].lower() in TEXT_SHEET_EXTENSIONS


@dataclass
class SheetsAmongPaths:
    """The paths named together, sorted by :func:`sheets_among`."""

    #: The path to load as the reference (its reader says why, when it cannot be one).
    sheet: str | None = None
    #: Text files named with other paths, in their order: the first whose header reads as a
    #: reference sheet's is the reference, but never in place of a sheet already loaded.
    maybe: list = field(default_factory=list)
    #: The paths to scan for songs.
    songs: list = field(default_factory=list)
    #: Sheets named after the first (not loaded, not scanned).
    left_out: list = field(default_factory=list)


def sheets_among(paths) -> SheetsAmongPaths:
    """Which of the paths named together is the reference sheet, which are for the scan.

    A sheet named as one (:func:`is_sheet_file`) is the reference, the first when several
    are; a text file that may be one (:func:`is_text_sheet_file`) is the reference when it is
    named alone, and only a candidate (:attr:`SheetsAmongPaths.maybe`) when it is named with
    songs: a readme or lyrics dropped with the songs must not replace the loaded sheet.
    Text files named beside a sheet are left to the scan, which ignores them as not audio.

    Parameters
    ----------
    paths : iterable of str or os.PathLike

    Returns
    -------
    SheetsAmongPaths
    """
    paths = [os.fspath(p) for p in paths]
    sheets = [p for p in paths if is_sheet_file(p)]
    if sheets:
        return SheetsAmongPaths(sheet=sheets[0], left_out=sheets[1:],
                                songs=[p for p in paths if p not in sheets])
    texts = [p for p in paths if is_text_sheet_file(p)]
    if texts and len(paths) == 1:
        return SheetsAmongPaths(sheet=texts[0])
    return SheetsAmongPaths(maybe=texts, songs=[p for p in paths if p not in texts])


class InputFileError(SongCalError):
    """An input file that cannot or must not be read; carries the path and the reason."""

    def __init__(self, path, reason: str):
        self.path = os.fsdecode(path)
        self.reason = reason
        super().__init__(f"{self.path}: {reason}")


def special_kind(mode: int) -> str:
    """What a non-regular file is, in words (``"a FIFO (named pipe)"``, ``"a folder"``...)."""
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISCHR(mode):
        return "a character device"
    if stat.S_ISBLK(mode):
        return "a block device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "a special file"


def _size_text(n: int) -> str:
    for unit, size in (("GB", 1 << 30), ("MB", 1 << 20), ("KB", 1 << 10)):
        if n >= size:
            return f"{n / size:.1f} {unit}"
    return f"{n} bytes"


def _open_regular(path: str, what: str) -> tuple[int, int]:
    """``(descriptor, size)`` of a regular file opened for reading without blocking (the
    caller closes it); refuses what :func:`read_regular_file` refuses but the size."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        raise InputFileError(path, f"the {what} does not exist") from None
    except OSError as err:
        raise InputFileError(path, f"cannot open the {what}: {err.strerror or err}") from None
    if not stat.S_ISREG(st.st_mode):
        raise InputFileError(path, f"the {what} is {special_kind(st.st_mode)}, not a regular "
                                   "file")
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError as err:
        raise InputFileError(path, f"cannot open the {what}: {err.strerror or err}") from None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):  # swapped between the check and the open
            raise InputFileError(path, f"the {what} is {special_kind(st.st_mode)}, not a "
                                       "regular file")
    except OSError as err:
        os.close(fd)
        raise InputFileError(path, f"cannot read the {what}: {err.strerror or err}") from None
    except BaseException:
        os.close(fd)
        raise
    return fd, st.st_size


def read_regular_file(path, *, max_bytes: int, what: str = "file") -> bytes:
    """The whole content of a regular file of at most ``max_bytes`` bytes.

    Parameters
    ----------
    path : str or os.PathLike
        The file; a symbolic link is followed to a regular file.
    max_bytes : int
        Largest size accepted (bytes).
    what : str, optional
        What the file is, for messages (``"reference sheet"``, ``"profile"``...).

    Returns
    -------
    bytes

    Raises
    ------
    InputFileError
        Missing, unreadable, not a regular file (folder, FIFO, device, socket), or larger
        than ``max_bytes``.
    """
    path = os.fspath(path)
    fd, size = _open_regular(path, what)
    try:
        if size > max_bytes:
            raise InputFileError(path, f"the {what} is too large ({_size_text(size)}; "
                                       f"at most {_size_text(max_bytes)} is read)")
        chunks, total = [], 0
        while True:
            block = os.read(fd, 1 << 20)
            if not block:
                break
            total += len(block)
            if total > max_bytes:  # grew while being read
                raise InputFileError(path, f"the {what} is too large (more than "
                                           f"{_size_text(max_bytes)})")
            chunks.append(block)
        return b"".join(chunks)
    except OSError as err:
        raise InputFileError(path, f"cannot read the {what}: {err.strerror or err}") from None
    finally:
        os.close(fd)


def read_file_start(path, *, size: int, what: str = "file") -> bytes:
    """The first ``size`` bytes of a regular file (all of it when it is shorter).

    Parameters
    ----------
    path : str or os.PathLike
    size : int
        Bytes read at most.
    what : str, optional
        What the file is, for messages.

    Returns
    -------
    bytes

    Raises
    ------
    InputFileError
        Missing, unreadable or not a regular file (folder, FIFO, device, socket).
    """
    path = os.fspath(path)
    fd, _size = _open_regular(path, what)
    try:
        chunks, total = [], 0
        while total < size:
            block = os.read(fd, min(1 << 20, size - total))
            if not block:
                break
            total += len(block)
            chunks.append(block)
        return b"".join(chunks)
    except OSError as err:
        raise InputFileError(path, f"cannot read the {what}: {err.strerror or err}") from None
    finally:
        os.close(fd)
