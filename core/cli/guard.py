"""What every ``songcal`` command does before and after its work: the output guard, a
terminal that cannot be broken by a file name, and the exit code of a failed write.

- :func:`guard_outputs` runs :func:`core.io.outputs.check_outputs` with SongCal's own rule
  (:func:`protect_user_files`) that an output never names or holds an audio file and never
  replaces a database (a session store, wherever it is), prints the refusal plainly and gives
  :attr:`~core.errors.ExitCode.USAGE` (2).  It runs before any song is analyzed and needs
  one ``stat`` per input.  The inputs' devices and inodes are kept for the rest of the
  command (:func:`core.io.outputs.watch_inputs`): an output replaced by a link to one of
  them while the command runs is refused at its write, its content saved beside it.
- :func:`safe_console` makes standard output and error escape what their encoding cannot
  show (a file name that is not valid UTF-8) instead of raising.
- :func:`write_failed` prints why an output could not be written and gives
  :attr:`~core.errors.ExitCode.OUTPUT` (3).
- :func:`log_to_file` keeps every command's INFO messages (a leftover temporary file
  removed, the traceback of an unexpected error) in ``songcal.log``.
"""

from __future__ import annotations

import contextlib
import os
import sys

from core.analysis.sniff import has_mpeg_frames, read_head, sniff
from core.batch.scan import is_audio_name
from core.errors import ExitCode, SongCalError
from core.io.outputs import OutputError, check_outputs, printable, same_file, watch_inputs

__all__ = ["guard_fitted_sheet", "guard_outputs", "is_fitted_sheet", "log_to_file",
           "protect_user_files", "safe_console", "say_error", "say_unexpected",
           "survive_closed_pipes", "write_failed"]


def say_error(cmd: str, message: str) -> None:
    """Print ``songcal CMD: error: MESSAGE`` on standard error (never raises)."""
    with contextlib.suppress(OSError, ValueError):
        print(f"songcal {cmd}: error: {printable(message)}", file=sys.stderr)


def say_unexpected(command: str, err: BaseException) -> None:
    """An error no check foresaw (a bug): its traceback goes to ``songcal.log`` and the
    terminal gets one line naming it and the log (never raises)."""
    import logging

    with contextlib.suppress(Exception):
        log_to_file()
    log = logging.getLogger("core.cli")
    with contextlib.suppress(Exception):
        log.error("%s stopped on an unexpected error", command, exc_info=err)
    where = ""
    for h in logging.getLogger("core").handlers:
        if getattr(h, "songcal_file", False):
            where = f"; the details are in {printable(h.baseFilename)}"
    with contextlib.suppress(Exception):
        text = printable(str(err))[:300]
        print(f"{command}: error: an unexpected error stopped it "
              f"({type(err).__name__}{': ' + text if text else ''}){where}",
              file=sys.stderr)


def log_to_file() -> None:
    """Keep INFO messages of ``core`` (a leftover temporary file removed, the traceback of an
    unexpected error) in ``songcal.log`` of the user data folder, for every command; the
    terminal shows warnings and errors on one line each.  Called again, it keeps one file,
    the one of the data folder in effect now."""
    import logging

    from core.batch.store import data_dir

    core_log = logging.getLogger("core")
    try:
        path = os.path.abspath(os.path.join(data_dir(), "songcal.log"))
    except OSError:
        return
    for h in list(core_log.handlers):
        if getattr(h, "songcal_file", False):
            if h.baseFilename == path:
                return
            core_log.removeHandler(h)  # another data folder's (a test, a changed setting)
            h.close()

    class QuietFileHandler(logging.FileHandler):
        def emit(self, record):
            try:  # opening the file (delayed) is outside logging's own error handling
                super().emit(record)
            except Exception:  # the data folder removed while running: no log, no failure
                self.handleError(record)

        def handleError(self, record):  # noqa: N802 - a log file we cannot write is no error
            pass

    try:
        handler = QuietFileHandler(path, encoding="utf-8", errors="backslashreplace",
                                   delay=True)
    except OSError:
        return
    handler.songcal_file = True
    handler.setLevel(logging.INFO)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    core_log.addHandler(handler)
    core_log.setLevel(logging.INFO)
    for h in logging.getLogger().handlers:  # the terminal keeps to warnings
        if type(h) is logging.StreamHandler and h.stream in (sys.stderr, sys.__stderr__):
            h.setLevel(max(h.level, logging.WARNING))


def safe_console() -> None:
    """Let standard output and error escape characters their encoding cannot show."""
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            with contextlib.suppress(Exception):
                reconfigure(errors="backslashreplace")


class _ReaderGone:
    """A text stream that drops what it writes once nobody reads it any more (a pipe to
    ``head`` that ended) or it cannot be written (``> /dev/full``): the rest goes to the
    null device, so that neither this write, nor a later one, nor the interpreter's last
    flush raises."""

    def __init__(self, stream):
        self._stream = stream
        #: True once the reader was found gone.
        self.gone = False
        #: The error that made the stream drop what it writes, or None.
        self.error: OSError | None = None

    def _drop(self, err: OSError) -> None:
        self.gone = True
        self.error = err
        with contextlib.suppress(OSError, ValueError):
            fd = self._stream.fileno()
            null = os.open(os.devnull, os.O_WRONLY)
            try:
                os.dup2(null, fd)
            finally:
                os.close(null)

    def write(self, text):
        if not self.gone:
            try:
                return self._stream.write(text)
            except OSError as err:
                self._drop(err)
        return len(text)

    def writelines(self, lines):
        for line in lines:
            self.write(line)

    def flush(self):
        if not self.gone:
            try:
                self._stream.flush()
            except OSError as err:
                self._drop(err)

    def __getattr__(self, name):
        return getattr(self._stream, name)


def survive_closed_pipes() -> None:
    """Let standard output and error lose their reader without an error: the window's
    messages to a terminal (``songcal gui ... --quit-when-done 2>&1 | head``) are not worth
    stopping it for.  Not for a command whose standard output is its result (``-o -``),
    which must know that it was not written."""
    for name in ("stdout", "stderr"):
        stream = getattr(sys, name)
        if stream is not None and not isinstance(stream, _ReaderGone):
            setattr(sys, name, _ReaderGone(stream))


#: First bytes of an SQLite database and of its write-ahead log (both byte orders).
_DATABASE_MAGIC = (b"SQLite format 3\x00", b"\x37\x7f\x06\x82", b"\x37\x7f\x06\x83")


def protect_user_files(path: str, *, database: bool = False) -> str | None:
    """Why ``path`` must not be written as a CSV or JSON output, or None: it has an audio
    file's name, or it is an existing file whose first bytes are audio or an SQLite
    database or its log (a session store: ``calibrate`` and ``apply`` do not know which
    store the user has, so any database is kept).

    Parameters
    ----------
    path : str
        The file that would be written.
    database : bool, optional
        True for the session store itself (``analyze --session``): a database is
        expected there, and an existing file that is not one is refused (it warned and
        went on without a store, exit 3, after the whole batch), as is another program's
        database or a store of a newer layout (:func:`core.batch.store.unusable_store`).
    """
    if is_audio_name(path) and not os.path.basename(path).startswith("._"):
        return (f"the name ends in {os.path.splitext(path)[1]!r}, an audio file; SongCal "
                "writes CSV and JSON files only")
    if os.path.isfile(path):
        try:
            head = read_head(path, 64)
        except SongCalError:
            return None
        if head.startswith(_DATABASE_MAGIC) and not database:
            return ("the file is a database (a session store holds the user's songs and "
                    "corrections); SongCal will not write over it")
        if database and head and not head.startswith(_DATABASE_MAGIC[0]):
            return ("the file is not a session store (not an SQLite database); give a "
                    "store SongCal made, or a new file name")
        if database and head:
            from core.batch.store import unusable_store

            why = unusable_store(path)  # another program's database, a newer layout
            if why:
                return f"{why}; give a store this SongCal made, or a new file name"
        kind, _ = sniff(head)
        if kind == "MPEG" and not has_mpeg_frames(path):
            kind = None  # FF Ex also starts UTF-16 text; only real MPEG frames count
        if kind is not None:
            return f"the file holds {kind} audio; SongCal will not write over it"
    return None


def is_fitted_sheet(path: str, profile) -> bool:
    """True when ``path`` is an existing file with the very bytes of the reference sheet
    ``profile`` was fitted on (its SHA-256, which the profile keeps): ``apply`` and
    ``analyze --profile`` are not given the sheet, so they know it by its content."""
    import stat

    from core.calibration.reference import file_sha256
    from core.io.inputs import MAX_SHEET_BYTES

    digest = profile.meta.get("reference_sha256") if profile is not None else None
    if not digest:
        return False
    try:
        st = os.stat(path)
        return (stat.S_ISREG(st.st_mode) and st.st_size <= MAX_SHEET_BYTES
                and file_sha256(path) == digest)
    except (OSError, ValueError):
        return False


def guard_outputs(cmd: str, outputs: dict, *, inputs=(), expected_bytes: int = 0,
                  store_option: str | None = None) -> dict | None:
    """Check every output of ``cmd`` before it starts.

    Parameters
    ----------
    cmd : str
        The sub-command, for the message.
    outputs : dict of str to path or None
        Option -> path (``None`` when the option was not given).
    inputs : iterable of (str, path)
        What each input is and its path.
    expected_bytes : int, optional
        Size the largest output may reach (bytes).
    store_option : str, optional
        The option that names the session store, the one output that may be a database.

    Returns
    -------
    dict or None
        Option -> path to write (links resolved, ``"-"`` for standard output); None when an
        output was refused (the reason is printed).
    """
    store = outputs.get(store_option) if store_option else None

    def protect(path: str) -> str | None:
        return protect_user_files(path, database=store is not None
                                  and same_file(path, store))

    if store is not None and os.path.exists(store):
        from core.batch.store import read_only_problem

        read_only = read_only_problem(store)
        if read_only:  # said as what to do, not as an output SongCal will not replace
            say_error(cmd, f"refusing to write {store_option} {printable(store)}: "
                           f"{printable(read_only)}")
            return None
    inputs = list(inputs)
    try:
        chosen = check_outputs(outputs, inputs=inputs, protect=protect,
                               expected_bytes=expected_bytes)
    except OutputError as err:
        say_error(cmd, f"refusing to write {err}")
        return None
    watch_inputs(inputs)  # an output turned into an input later is refused at its write
    return chosen


def guard_fitted_sheet(cmd: str, outputs: dict, profile) -> bool:
    """Check the outputs of ``cmd`` (option -> path, as :func:`guard_outputs` returned them)
    against the reference sheet ``profile`` was fitted on (:func:`is_fitted_sheet`); False
    after saying which output is that sheet."""
    for option, path in outputs.items():
        if path and is_fitted_sheet(path, profile):
            name = profile.meta.get("reference_file", "")
            say_error(cmd, f"refusing to write {option} {printable(path)}: it is the reference "
                           f"sheet the profile was fitted on{' (' + name + ')' if name else ''}"
                           "; SongCal never writes over its inputs")
            return False
    return True


def write_failed(cmd: str, path, err: BaseException) -> int:
    """Say that ``path`` could not be written; returns :attr:`ExitCode.OUTPUT`."""
    reason = getattr(err, "strerror", None) or str(err) or type(err).__name__
    say_error(cmd, f"could not write {printable(os.fsdecode(path))}: {reason}")
    return ExitCode.OUTPUT
