"""Reading the files a user names as inputs (sheets, profiles, results) without surprises.

A path on the command line can be anything the operating system allows: a FIFO that blocks
``open`` until some other program writes to it, a link to ``/dev/zero`` that never ends, a
folder, a file of gigabytes.  :func:`read_regular_file` accepts regular files only, opens
them without blocking, checks again on the open file (so a path swapped after the check
cannot slip through) and refuses anything larger than a stated cap before reading it.
"""

from __future__ import annotations

import os
import stat

from core.errors import SongCalError

__all__ = ["InputFileError", "read_regular_file", "special_kind", "MAX_SHEET_BYTES",
           "MAX_PROFILE_BYTES", "MAX_RESULTS_BYTES", "SHEET_EXTENSIONS", "is_sheet_file"]

#: Extensions (compared case-insensitively) of a reference sheet named among songs: dropped
#: on the window, or opened with SongCal from a file manager (the desktop entry's types).
SHEET_EXTENSIONS = (".csv", ".tsv", ".xlsx", ".xlsm")

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
        if st.st_size > max_bytes:
            raise InputFileError(path, f"the {what} is too large ({_size_text(st.st_size)}; "
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
