"""Temporary files beside the files SongCal writes, named after their owner, and the
removal of those that a killed process left behind.

An atomic write goes to a hidden temporary file in the target's folder, which is renamed
over the target once complete.  A process killed (``kill -9``, power loss) between the two
leaves that file behind.  Its name says who made it::

    .songcal-<host>-<pid>-<random>.tmp

or, for a file a decoder reads and whose kind its extension tells (a test file of ``songcal
doctor``, a song sent to a cluster worker), ``.songcal-<host>-<pid>-<random>.tmp.<ext>``.
Those live in the system's temporary folder: :func:`sweep_system_temp` is run there by the
commands and workers that make them, so a process killed while one existed does not leave
it for good.

``<host>`` is this computer's name, reduced to letters, digits and ``-`` (a name that had
other characters, or more than 24, becomes a shortened form plus 8 hex digits of its hash,
so two computers never share a tag); ``<pid>`` is the writing process; ``<random>`` the 8
characters :func:`tempfile.mkstemp` adds.

:func:`sweep` runs before each atomic write and removes, in that one folder, only

- a file of this naming made on *this* computer by a process that no longer runs, whose
  modification time is more than :data:`DEAD_AGE_S` old (a margin for a process of the
  same computer name that this one cannot see, as in another container);
- a file of the older naming (``.songcal-XXXXXXXX.tmp``, ``.songcal-probe-XXXXXXXX``) or of
  this computer whose process cannot be checked (Windows, where ``os.kill`` would end the
  process), when more than :data:`OLD_AGE_S` old.

Files of other computers (a network share), of running processes, links, folders and any
name not matching exactly are never touched.  Each removal is logged (INFO).
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import socket
import stat
import tempfile
import time

__all__ = ["PREFIX", "SUFFIX", "DEAD_AGE_S", "OLD_AGE_S", "host_tag", "make_temp",
           "make_system_temp", "pid_running", "sweep", "sweep_system_temp"]

log = logging.getLogger(__name__)

PREFIX = ".songcal-"
SUFFIX = ".tmp"
#: Age (s) a file of an ended process of this computer must reach before it is removed.
DEAD_AGE_S = 10 * 60
#: Age (s) past which a file whose owner cannot be told or checked is removed.
OLD_AGE_S = 24 * 3600

#: The tag used when the computer's name cannot be read; no real name gives it (a name
#: holding ``_`` is always shortened with its hash), and files with it are never removed.
UNKNOWN_HOST = "_nohost"
_HOST_MAX = 24
#: Whether ``os.kill(pid, 0)`` only asks (on Windows it would end the process).
_KILL_ASKS = os.name == "posix"

_OWNED = re.compile(r"\.songcal-(?P<host>[A-Za-z0-9_-]{1,40})-(?P<pid>[0-9]{1,10})"
                    r"-[a-z0-9_]{8}\.tmp(?:\.[A-Za-z0-9]{1,8})?")
_OLD = re.compile(r"\.songcal-[a-z0-9_]{8}\.tmp|\.songcal-probe-[a-z0-9_]{8}")


def host_tag(name: str | None = None) -> str:
    """This computer's name (or ``name``) as it appears in temporary file names."""
    if name is None:
        try:
            name = socket.gethostname()
        except OSError:
            name = ""
    if not name:
        return UNKNOWN_HOST
    if len(name) <= _HOST_MAX and re.fullmatch(r"[A-Za-z0-9-]+", name):
        return name
    digest = hashlib.blake2s(name.encode("utf-8", "surrogatepass")).hexdigest()[:8]
    return re.sub(r"[^A-Za-z0-9-]", "_", name)[:15] + "_" + digest


def make_temp(folder: str, *, ext: str = "") -> tuple[int, str]:
    """Create a new private temporary file in ``folder`` named after this process;
    returns ``(fd, path)`` as :func:`tempfile.mkstemp` does.  ``ext`` (``".wav"``) ends the
    name after ``.tmp`` when it is a plain extension of 1-8 letters or digits."""
    suffix = SUFFIX
    if re.fullmatch(r"\.[A-Za-z0-9]{1,8}", ext or ""):
        suffix += ext
    return tempfile.mkstemp(prefix=f"{PREFIX}{host_tag()}-{os.getpid()}-", suffix=suffix,
                            dir=folder)


def make_system_temp(ext: str = "") -> tuple[int, str]:
    """:func:`make_temp` in the system's temporary folder."""
    return make_temp(tempfile.gettempdir(), ext=ext)


def sweep_system_temp() -> list[str]:
    """:func:`sweep` of the system's temporary folder (a test file of ``songcal doctor``, a
    song copied for a cluster worker, left there by a process that was killed)."""
    try:
        folder = tempfile.gettempdir()
    except (OSError, FileNotFoundError):
        return []
    return sweep(folder)


def pid_running(pid: int) -> bool | None:
    """Whether process ``pid`` of this computer runs; ``None`` when that cannot be told
    (not POSIX, a pid that is not a plain process number)."""
    if not _KILL_ASKS or pid <= 0:  # os.kill(0, ...) would signal the process group
        return None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # runs, as another user
        return True
    except (OSError, OverflowError):
        return None
    return True


def _why_leftover(entry: os.DirEntry, me: str, now: float) -> str | None:
    """Why ``entry`` is a leftover to remove, or None to keep it."""
    owned = _OWNED.fullmatch(entry.name)
    old = owned is None and _OLD.fullmatch(entry.name) is not None
    if owned is None and not old:
        return None
    try:
        st = entry.stat(follow_symlinks=False)
    except OSError:
        return None
    if not stat.S_ISREG(st.st_mode):
        return None
    age = now - st.st_mtime
    if old:
        return "older SongCal temporary file, more than a day old" if age > OLD_AGE_S \
            else None
    if me == UNKNOWN_HOST or owned["host"] != me:
        return None
    pid = int(owned["pid"])
    running = pid_running(pid)
    if running is False and age > DEAD_AGE_S:
        return f"left by process {pid} of this computer, which has ended"
    if running is None and age > OLD_AGE_S:
        return f"left by process {pid} of this computer, more than a day old"
    return None


def sweep(folder: str, *, now: float | None = None) -> list[str]:
    """Remove the temporary files that ended writers left in ``folder`` (see the module
    docstring for the exact rules); returns the paths removed.  Never raises."""
    me = host_tag()
    now = time.time() if now is None else now
    removed = []
    try:
        entries = os.scandir(folder)
    except OSError:
        return removed
    with entries:
        for entry in entries:
            try:
                if not entry.name.startswith(PREFIX):
                    continue
                why = _why_leftover(entry, me, now)
                if why is None:
                    continue
                os.unlink(entry.path)  # unlink never follows a link
            except OSError as err:
                log.info("could not remove the temporary file %s: %s", entry.path, err)
                continue
            log.info("removed the temporary file %s (%s)", entry.path, why)
            removed.append(entry.path)
    return removed
