"""The project's exception tree.

Errors from soundfile, PyAV and the operating system are translated once, at the decoding
boundary, into these classes.  Every error that concerns a file carries its path and a
message a person understands.
"""

from __future__ import annotations

import enum
import os

__all__ = [
    "SongCalError",
    "AudioFileError",
    "UnreadableFileError",
    "UnsupportedFormatError",
    "EmptyFileError",
    "TooShortError",
    "CorruptFileError",
    "AnalysisCancelled",
    "ReferenceSheetError",
    "ExitCode",
]


class SongCalError(Exception):
    """Base class of every error SongCal raises on purpose."""


class AudioFileError(SongCalError):
    """A problem with one audio file.

    Parameters
    ----------
    path : str or os.PathLike
        The file concerned.
    reason : str
        A plain-language explanation, e.g. ``"the file is empty (0 bytes)"``.
    """

    #: Short machine-friendly kind, used as the status detail in exports.
    kind = "error"

    def __init__(self, path: str | os.PathLike, reason: str):
        self.path = os.fspath(path)
        self.reason = reason
        super().__init__(f"{self.path}: {reason}")


class UnreadableFileError(AudioFileError):
    """The file cannot be opened (missing, permission denied, a directory...)."""

    kind = "unreadable"


class UnsupportedFormatError(AudioFileError):
    """The file is not audio in any format the decoders know."""

    kind = "unsupported"


class EmptyFileError(AudioFileError):
    """The file holds no audio frames at all."""

    kind = "empty"


class TooShortError(AudioFileError):
    """The file decodes but is too short to analyze."""

    kind = "too short"


class CorruptFileError(AudioFileError):
    """The file starts as audio but its data is damaged or truncated."""

    kind = "corrupt"


class AnalysisCancelled(SongCalError):
    """Raised inside an analysis when its cancel check returns true."""


class ReferenceSheetError(SongCalError):
    """A reference sheet (CSV) cannot be read.

    Parameters
    ----------
    path : str or os.PathLike
        The sheet.
    reason : str
        What is wrong, naming the row and column where that applies.
    """

    def __init__(self, path: str | os.PathLike, reason: str):
        self.path = os.fspath(path)
        self.reason = reason
        super().__init__(f"{self.path}: {reason}")


class ExitCode(enum.IntEnum):
    """Exit codes of every ``songcal`` command and of the window's automation.

    ``OK`` (0) every song done (and paired, where a reference was given); ``FAILED`` (1)
    some songs failed, timed out, were cancelled or stayed unpaired; ``USAGE`` (2) a bad
    option or an unreadable input; ``OUTPUT`` (3) an output or the session store could not
    be written; ``INTERNAL`` (4) an error no check foresaw stopped the command (a bug: one
    line on the terminal, its traceback in ``songcal.log``).
    """

    OK = 0
    FAILED = 1
    USAGE = 2
    OUTPUT = 3
    INTERNAL = 4
