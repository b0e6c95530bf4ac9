"""The output guard: every file a command will write is checked before any work starts.

``songcal analyze``, ``calibrate`` and ``apply`` call :func:`check_outputs` with every
output path they will write and every input they read.  An output is refused, with a plain
message naming the option, when it

- is one of the inputs (an audio file of the batch, the reference sheet, the profile or
  the results CSV in use), compared by resolved path *and* by device and inode, so a hard
  link or a symbolic link to an input counts as that input;
- is the same file as another output of the same run;
- is a folder (or ends in a slash, as a folder's name does), a FIFO, a device or anything
  but a regular file;
- is read-only, or sits in a folder where no file can be created (checked by creating and
  removing a small temporary file there, named as :mod:`core.io.tempfiles` names them);
- sits on a disk with less free space than the output needs;
- has a name longer than its disk allows (255 bytes on most), or a whole path longer than
  the system opens (4,096 bytes on Linux);
- is refused by the caller's own rule (``protect``: e.g. it names or holds an audio file).

A path is taken as the system takes it: ``..`` after a link to a folder leads out of the
link's *target* (:func:`physical_path`), so the file checked, compared with the inputs and
written is the one ``cat`` or a spreadsheet would open under that name.

Symbolic links are followed deliberately: an output that is a link to a regular file is
written *through* the link (the link stays, its target is replaced atomically); a link to
nothing (dangling) is refused.  ``-`` stands for standard output where the caller allows it.

The check before the work cannot see an output that is replaced *during* it (a link to an
input song made while the batch runs).  :func:`watch_inputs` keeps the device and inode of
each input of the command that runs, and every atomic write (:mod:`core.io.csvio`) asks
:func:`watched_input` about its target just before its final rename: a target that has
become an input is not written (:class:`InputReplacedError`).  A program that runs several
writes at once for different inputs (the window) keeps them per thread instead, for the
writes made inside :func:`watching`.

:func:`printable` makes any path safe to print on a terminal whose encoding cannot show it.
"""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import stat
import threading
from collections.abc import Callable, Iterable, Mapping

from core.errors import SongCalError
from core.io import tempfiles
from core.io.inputs import special_kind

__all__ = ["STDOUT", "InputReplacedError", "OutputError", "ReadOnlyOutputError",
           "check_outputs", "forget_inputs", "is_read_only", "physical_path", "printable",
           "same_file", "watch_inputs", "watched_during", "watched_input", "watching"]

#: The output name that means standard output.
STDOUT = "-"
#: Free space (bytes) kept in hand on top of what an output needs.
_MARGIN_BYTES = 1024 * 1024


class OutputError(SongCalError):
    """An output that must not or cannot be written.

    Attributes
    ----------
    option : str
        The option that named it (``"-o"``, ``"--profile"``...).
    path : str
        The path as given.
    reason : str
        Why, in plain words.
    """

    def __init__(self, option: str, path, reason: str):
        self.option = option
        self.path = os.fsdecode(path)
        self.reason = reason
        super().__init__(f"{option} {printable(self.path)}: {reason}")


#: Control characters (C0, DEL, C1) mapped to their backslash escapes (``\\n``, ``\\x1b``),
#: and the bidirectional embeddings, overrides and isolates (U+202A-U+202E, U+2066-U+2069)
#: to ``\\u202e``: one in a file name reorders the rest of the line it is shown in, so
#: ``x\\u202egpj.wav`` reads as ``xvaw.jpg``.  The marks (U+200E, U+200F, U+061C) that
#: right-to-left names use are left as they are.
_CONTROL_ESCAPES = {i: chr(i).encode("unicode_escape").decode("ascii")
                    for i in (*range(0x20), *range(0x7F, 0xA0),
                              *range(0x202A, 0x202F), *range(0x2066, 0x206A))}


def printable(text) -> str:
    """``text`` with anything a strict UTF-8 terminal cannot show escaped (``\\udcff``).

    File names that are not valid UTF-8 reach Python as lone surrogates; printing them as
    they are raises ``UnicodeEncodeError`` on most terminals.  Control characters are
    escaped too (``\\n``, ``\\x1b``): a file name may hold a newline, which would split a
    one-line message, or a terminal's escape sequence, which would act on the terminal.
    """
    text = os.fsdecode(text) if isinstance(text, bytes) else str(text)
    text = text.translate(_CONTROL_ESCAPES)
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        return text.encode("utf-8", "backslashreplace").decode("utf-8")


def _key(path: str):
    try:
        st = os.stat(path)
    except (OSError, ValueError):
        return None
    return st.st_dev, st.st_ino


def same_file(a, b) -> bool:
    """True when ``a`` and ``b`` name the same file: same resolved path, or same device and
    inode (hard links, symbolic links)."""
    a, b = os.fspath(a), os.fspath(b)
    if os.path.realpath(a) == os.path.realpath(b):
        return True
    ka = _key(a)
    return ka is not None and ka == _key(b)


#: (device, inode) -> (what, path) of the inputs of the command that runs.
_WATCHED: dict[tuple[int, int], tuple[str, str]] = {}
#: Per thread, the inputs of :func:`watching` (``keys``) and what runs (``during``).
_LOCAL = threading.local()


def _input_keys(inputs: Iterable) -> dict:
    kept = {}
    for label, raw in inputs:
        if raw is None:
            continue
        key = _key(os.fspath(raw))
        if key is not None:
            kept.setdefault(key, (label, os.fsdecode(os.fspath(raw))))
    return kept


def watch_inputs(inputs: Iterable) -> None:
    """Keep the device and inode of every input (``(what, path)`` pairs, as
    :func:`check_outputs` takes them) until :func:`forget_inputs`, in place of those kept
    before; one ``stat`` each (an input that cannot be examined is left out)."""
    kept = _input_keys(inputs)
    _WATCHED.clear()
    _WATCHED.update(kept)


def forget_inputs() -> None:
    """Forget the inputs :func:`watch_inputs` kept (the command has ended)."""
    _WATCHED.clear()


@contextlib.contextmanager
def watching(inputs: Iterable, *, during: str = "the export ran"):
    """Within the block, the atomic writes this thread makes also refuse a target that has
    become one of ``inputs`` (``(what, path)`` pairs; one ``stat`` each, now), as
    :func:`watch_inputs` does for a whole command; ``during`` ends the refusal's "while
    ..." (what was running).  Blocks nest; the outer one's inputs return after the inner."""
    before = getattr(_LOCAL, "keys", None), getattr(_LOCAL, "during", None)
    _LOCAL.keys, _LOCAL.during = _input_keys(inputs), during
    try:
        yield
    finally:
        _LOCAL.keys, _LOCAL.during = before


def watched_input(path) -> tuple[str, str] | None:
    """``(what, path)`` of the kept input that ``path`` now is (links followed), or None;
    one ``stat``, none while no input is kept."""
    local = getattr(_LOCAL, "keys", None)
    if not _WATCHED and not local:
        return None
    key = _key(os.fspath(path))
    if key is None:
        return None
    return (local or {}).get(key) or _WATCHED.get(key)


def watched_during() -> str:
    """What runs while this thread's writes are checked: "the command ran" outside
    :func:`watching`."""
    return getattr(_LOCAL, "during", None) or "the command ran"


class InputReplacedError(OSError):
    """An output found, at the moment of writing, to be one of the command's inputs (it
    was replaced by a link to one after the check before the work).

    Attributes
    ----------
    kept : str or None
        Where what would have been written was saved instead (None when nowhere could).
    """

    def __init__(self, path: str, what: str, input_path: str, kept: str | None,
                 during: str = "the command ran"):
        self.kept = kept
        where = (f"what it would have held is in {printable(kept)}" if kept
                 else "what it would have held could not be saved anywhere")
        super().__init__(errno.EEXIST, f"it became {what} ({printable(input_path)}) while "
                                       f"{during} (a link or a file put in its place); "
                                       f"SongCal never writes over its inputs; {where}", path)

    def __str__(self) -> str:
        """``could not write PATH: why`` (no errno number), as a window shows it."""
        return f"could not write {printable(self.filename)}: {self.strerror}"


#: Why an existing read-only file is not written (at the check and at the write).
READ_ONLY_REASON = "the file is read-only; SongCal will not replace it"


def is_read_only(st: os.stat_result, path) -> bool:
    """Whether the existing file ``path`` (its status ``st``) is read-only: no write bit
    (which the superuser, whom :func:`os.access` lets write anything, is held to as well)
    or not writable by this process."""
    return not st.st_mode & 0o222 or not os.access(path, os.W_OK)


class ReadOnlyOutputError(PermissionError):
    """An output found read-only at the moment of writing (made so after the check before
    the work): a rename would replace it all the same, as it needs only its folder to be
    writable, so nothing is renamed over it.

    Attributes
    ----------
    kept : str or None
        Where what would have been written was saved instead (None when nowhere could).
    """

    def __init__(self, path: str, kept: str | None):
        self.kept = kept
        where = (f"what it would have held is in {printable(kept)}" if kept
                 else "what it would have held could not be saved anywhere")
        super().__init__(errno.EACCES, f"{READ_ONLY_REASON}; {where}", path)

    def __str__(self) -> str:
        """``could not write PATH: why`` (no errno number), as a window shows it."""
        return f"could not write {printable(self.filename)}: {self.strerror}"


def physical_path(path) -> str:
    """``path`` made absolute as the system resolves it: its folder part with every symbolic
    link and ``..`` resolved, its last part kept as given (a link there is the caller's).

    :func:`os.path.abspath` drops ``..`` by the letters of the path, which is wrong after a
    link to a folder: with ``link -> /music/sub``, ``link/../out.csv`` opens
    ``/music/out.csv``, not the ``out.csv`` beside ``link``.

    Raises
    ------
    FileNotFoundError
        For a relative path when the current folder was removed (nothing can be made
        there).
    """
    path = os.fspath(path)
    if isinstance(path, bytes):
        path = os.fsdecode(path)
    if not os.path.isabs(path):
        try:
            cwd = os.getcwd()
        except FileNotFoundError:
            raise FileNotFoundError(errno.ENOENT, "the current folder was removed; give a "
                                                  "full path", path) from None
        path = os.path.join(cwd, path)
    head, tail = os.path.split(path)
    return os.path.join(os.path.realpath(head), tail)


def _physical_or_given(path) -> str:
    """:func:`physical_path`, or ``path`` as given when the current folder was removed."""
    try:
        return physical_path(path)
    except OSError:
        return os.fspath(path)


def _limit(folder: str, name: str, default: int) -> int:
    """The system's limit ``name`` (``PC_NAME_MAX``, ``PC_PATH_MAX``) for files in
    ``folder``, or ``default`` where it cannot be asked."""
    try:
        value = os.pathconf(folder, name)
    except (AttributeError, OSError, ValueError):
        return default
    return value if value and value > 0 else default


def _check_length(option: str, given: str, path: str, folder: str) -> None:
    """Refuse a name longer than the disk allows or a path longer than the system opens
    (either would fail only at the final write, after the whole analysis)."""
    name = len(os.fsencode(os.path.basename(path)))
    name_max = _limit(folder, "PC_NAME_MAX", 255)
    if name > name_max:
        raise OutputError(option, given, f"the file name is {name} bytes long; the disk "
                                         f"allows at most {name_max}")
    whole = len(os.fsencode(path))
    path_max = _limit(folder, "PC_PATH_MAX", 4096)
    if whole >= path_max:
        raise OutputError(option, given, f"the path is {whole} bytes long; the system opens "
                                         f"at most {path_max - 1}")


def _stdout_open() -> bool:
    """Whether this process has a standard output to write to (Python sets ``sys.stdout``
    to None when the program was started with its descriptor 1 closed)."""
    import sys

    stream = sys.stdout
    if stream is None:
        return False
    try:
        fd = stream.fileno()
    except (AttributeError, OSError, ValueError):  # no descriptor (a test's capture): trust it
        return not getattr(stream, "closed", False)
    try:
        os.fstat(fd)
    except OSError:
        return False
    return True


def _nearest_folder(path: str) -> str:
    folder = os.path.dirname(path) or "."
    while not os.path.lexists(folder):
        parent = os.path.dirname(folder)
        if parent == folder:
            break
        folder = parent
    return folder


def _check_one(option: str, given: str, *, protect, expected_bytes: int) -> str:
    """Checks that need only the output itself; returns the path to write."""
    if given.endswith(tuple(filter(None, (os.sep, os.altsep)))):
        # abspath() would drop the slash and write a file named as the folder meant
        raise OutputError(option, given, "it ends in a slash, so it names a folder; give a "
                                         "file name inside it")
    try:
        path = physical_path(given)
    except OSError as err:
        raise OutputError(option, given, err.strerror or str(err)) from None
    if os.path.islink(path):
        target = os.path.realpath(path)
        if not os.path.exists(target):
            raise OutputError(option, given, "it is a symbolic link to a file that does not "
                                             "exist; SongCal writes through links to existing "
                                             "files only")
        path = target
    if os.path.lexists(path):
        try:
            st = os.stat(path)
        except OSError as err:
            raise OutputError(option, given, f"it cannot be examined ({err.strerror})") \
                from None
        if stat.S_ISDIR(st.st_mode):
            raise OutputError(option, given, "it is a folder; give a file name inside it")
        if not stat.S_ISREG(st.st_mode):
            raise OutputError(option, given, f"it is {special_kind(st.st_mode)}; SongCal "
                                             "writes regular files only (use - for standard "
                                             "output)")
        if is_read_only(st, path):
            raise OutputError(option, given, READ_ONLY_REASON)
    if protect is not None:
        reason = protect(path)
        if reason:
            raise OutputError(option, given, reason)
    folder = _nearest_folder(path)
    if not os.path.isdir(folder):
        raise OutputError(option, given, f"{printable(folder)} is not a folder")
    _check_length(option, given, path, folder)
    try:
        fd, probe = tempfiles.make_temp(folder)
    except OSError as err:
        raise OutputError(option, given, f"no file can be written in {printable(folder)} "
                                         f"({err.strerror or err})") from None
    os.close(fd)
    try:
        os.unlink(probe)
    except OSError:
        pass
    try:
        free = shutil.disk_usage(folder).free
    except OSError:
        free = None
    needed = int(expected_bytes) + _MARGIN_BYTES
    if free is not None and free < needed:
        raise OutputError(option, given, f"not enough free space in {printable(folder)} "
                                         f"({free / 1e6:.1f} MB free, about "
                                         f"{needed / 1e6:.1f} MB needed)")
    return path


def _folds_case(folder: str) -> bool:
    """Whether ``folder`` is on a disk that compares names without case (macOS and Windows
    by default, a FAT stick): a new file there is found under its name with the case of
    its letters swapped.  Creates and removes one temporary file."""
    try:
        fd, probe = tempfiles.make_temp(folder)
    except OSError:
        return False
    os.close(fd)
    try:
        head, name = os.path.split(probe)
        return os.path.exists(os.path.join(head, name.swapcase()))
    finally:
        with contextlib.suppress(OSError):
            os.unlink(probe)


def _same_on_a_case_blind_disk(a: str, b: str) -> bool:
    """Whether the outputs ``a`` and ``b`` (neither need exist yet) differ only by case in
    a folder whose disk does not tell case apart: the second written would replace the
    first (``-o Out.csv --results-out out.csv``)."""
    a, b = os.path.realpath(a), os.path.realpath(b)
    if a == b or a.casefold() != b.casefold():
        return False
    return _folds_case(_nearest_folder(a))


def check_outputs(outputs: Mapping[str, object], *, inputs: Iterable = (),
                  protect: Callable[[str], str | None] | None = None,
                  expected_bytes: int = 0, stdout_options=("-o", "--output")
                  ) -> dict[str, str]:
    """Check every output of a command before it starts; see the module docstring.

    Parameters
    ----------
    outputs : mapping of str to path or None
        Option name -> the path it names; ``None`` entries (options not given) are skipped.
    inputs : iterable of (str, path)
        What each input is (``"the reference sheet"``, ``"an input audio file"``) and its
        path.  Compared with every output by resolved path and by device and inode.
    protect : callable, optional
        ``protect(path) -> reason or None``: a further rule of the caller (the path is the
        one that will be written, links resolved).
    expected_bytes : int, optional
        Size the largest output may reach (bytes); the free-space check asks for this plus
        one megabyte.
    stdout_options : collection of str, optional
        Options that may name :data:`STDOUT` (``-``) for standard output.

    Returns
    -------
    dict of str to str
        Option -> the path to write (symbolic links resolved), or ``"-"``.

    Raises
    ------
    OutputError
        For the first output refused, naming the option, the path and the reason.
    """
    chosen: dict[str, str] = {}
    for option, given in outputs.items():
        if given is None:
            continue
        given = os.fspath(given)
        if given == STDOUT:
            if option not in stdout_options:
                raise OutputError(option, given, "standard output (-) is only for -o")
            if STDOUT in chosen.values():
                raise OutputError(option, given, "only one output can go to standard output")
            if not _stdout_open():
                raise OutputError(option, given, "standard output is closed (the command was "
                                                 "started with >&-); give a file name")
            chosen[option] = STDOUT
            continue
        if not given:
            raise OutputError(option, given, "the file name is empty")
        chosen[option] = _check_one(option, given, protect=protect,
                                    expected_bytes=expected_bytes)
    files = {o: p for o, p in chosen.items() if p != STDOUT}
    seen: dict[str, str] = {}
    for option, path in files.items():
        for other, other_path in seen.items():
            if same_file(path, other_path) or _same_on_a_case_blind_disk(path, other_path):
                raise OutputError(option, outputs[option],
                                  f"it is the same file as {other} {printable(outputs[other])}")
        seen[option] = path
    if not files:
        return chosen
    # One stat per input when an output exists (same device and inode = same file, which
    # covers hard and symbolic links); string comparisons only when none exists yet (then
    # only an input that does not exist either can be the same path).
    real = {o: os.path.realpath(p) for o, p in files.items()}
    plain = {o: _physical_or_given(outputs[o]) for o in files}
    keys = {o: _key(p) for o, p in files.items()}
    any_existing = any(k is not None for k in keys.values())
    for label, raw in inputs:
        if raw is None:
            continue
        ipath = os.fspath(raw)
        ikey = _key(ipath) if any_existing else None
        iabs = _physical_or_given(ipath)
        for option in files:
            if ikey is not None:
                hit = ikey == keys[option]
            else:
                hit = iabs in (plain[option], real[option]) or (
                    os.path.islink(ipath) and os.path.realpath(ipath) == real[option])
            if hit:
                raise OutputError(option, outputs[option],
                                  f"it is {label} ({printable(ipath)}); SongCal never "
                                  "writes over its inputs")
    return chosen
