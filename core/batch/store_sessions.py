"""The session tables of the session store: batches, the window's library, their songs and
results.  A mixin of :class:`core.batch.store.ResultStore` (it uses the store's connections,
its writer and its locks); see :mod:`core.batch.store` for what a session is.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import secrets
import sqlite3
import threading
import time

from core.batch.store_codec import (
    StoreError,
    _decode,
    _finite,
    _path_blob,
    _path_text,
    immediate_transaction,
)
from core.io.results import SongResult

__all__ = ["SessionRecords", "KEEP_LIBRARIES", "new_owner", "owner_in_use"]

log = logging.getLogger("core.batch.store")

#: How many library sessions are kept (older ones are removed when a new one begins): a
#: month of lists or more, for File > Open Earlier List; reading the summaries of 50 lists
#: of 20,000 songs takes about 1 ms, as each list keeps its counts in its row
#: (``python -m benchmarks.store_lists --lists 50 --songs 20000``).
KEEP_LIBRARIES = 50

#: The owner tags of this process's open stores (:func:`new_owner`): a session one of them
#: holds is in use although its process is this one.
_OPEN_OWNERS: set[str] = set()

#: The libraries in the order they are offered: the one a window used last first (the
#: newest first when none says).
_LIBRARY_ORDER = "ORDER BY COALESCE(used, created) DESC, id DESC"


def _process_started(pid: int) -> float | None:
    """When process ``pid`` of this computer started (s since the epoch), 0.0 when it runs
    but that cannot be read, None when it does not run (or is a zombie)."""
    try:
        import psutil
    except ImportError:  # pragma: no cover - a dependency; without it, never taken
        return 0.0
    try:
        return float(psutil.Process(pid).create_time())
    except psutil.NoSuchProcess:  # a zombie too: it has ended
        return None
    except (psutil.Error, OSError, ValueError, OverflowError):
        return 0.0


def _until_given_up(step):
    """``(write, give_up)``: ``write`` runs ``step`` unless ``give_up`` was called first,
    one or the other at a time, so a write the caller gave up on and that had not begun by
    then is never made (the writer may still try it later)."""
    guard = threading.Lock()
    given_up: list[bool] = []

    def write():
        with guard:
            if not given_up:
                step()

    def give_up():
        with guard:
            given_up.append(True)

    return write, give_up


def new_owner() -> str:
    """A tag naming one open store of this process, ``PID:START:RANDOM`` (``START``: when
    the process started, so that a later process given the same number is not taken for
    it); registered as open until :func:`forget_owner`."""
    started = _process_started(os.getpid()) or 0.0
    owner = f"{os.getpid()}:{started:.2f}:{secrets.token_hex(4)}"
    _OPEN_OWNERS.add(owner)
    return owner


def forget_owner(owner: str) -> None:
    """The store tagged ``owner`` is closed: its sessions are free for others."""
    _OPEN_OWNERS.discard(owner)


def owner_in_use(owner: str | None) -> bool:
    """Whether the store tagged ``owner`` (:func:`new_owner`) may still be open: a store of
    this process not closed yet, or one of a process of this computer that still runs (the
    same number, started at the same moment).  A session of a window or batch that was
    killed, or that ended normally, is not in use."""
    if not owner:
        return False
    parts = owner.split(":")
    if len(parts) != 3:
        return False
    try:
        pid, start = int(parts[0]), float(parts[1])
    except ValueError:
        return False
    if pid == os.getpid():
        return owner in _OPEN_OWNERS
    if pid <= 0:
        return False
    started = _process_started(pid)
    if started is None:
        return False
    if not started or not start:  # runs, and when it started cannot be compared
        return True
    return abs(started - start) < 2.0


class SessionRecords:
    """Session methods of :class:`core.batch.store.ResultStore`."""

    def begin_session(self, paths, settings: dict, reference=None, *, kind: str = "batch",
                      running: bool = True, late: bool = False, replaces=(),
                      wait: bool = True) -> int:
        """Record a new batch (or, with ``kind="library"``, the window's list) and its
        songs; returns the session id.  A session begun with ``running=False`` is not
        offered for resuming until :meth:`reopen_session`.  Beginning a library removes
        the oldest ones beyond :data:`KEEP_LIBRARIES`, and the empty ones nobody holds
        (a New Session left them: nothing to open).  ``replaces``: libraries the new one
        is a fresh copy of (the window's list written afresh after songs were removed, or
        put back by an Undo that did not find it as the Clear left it), removed with it
        unless another open store holds one; else each would stay in the store as an
        earlier list, the same songs again.

        With ``late``, a record the database does not take within ``session_timeout_s``
        (another process holds it) is kept queued, or in the backlog, like a result, ahead
        of every later write: the id returned then stands for it (a negative number) in
        this store's session methods until it is written; a record still refused at the
        close is lost and counted, as a result is.  Without it, such a record is never
        written (the caller, told so, goes on without one).  With ``late`` and
        ``wait=False`` nothing is waited for (a window's thread: a list of 20,000 songs
        takes the store about 1.3 s to write): the placeholder comes back at once, and the
        record is written in its turn, ahead of the writes that name it.

        Raises
        ------
        StoreError
            When the session cannot be written (the caller goes on without one): with
            ``late``, only when it was refused for good (not kept to be written later).
        ValueError
            For a ``kind`` other than ``"batch"`` or ``"library"``.
        """
        if kind not in ("batch", "library"):
            raise ValueError(f"kind must be 'batch' or 'library', got {kind!r}")
        rows = [_path_blob(p) for p in paths]
        ref = None if reference is None else _path_blob(reference)
        out: list[int] = []

        def begin():
            with immediate_transaction(self._db):
                now = time.time()
                cur = self._db.execute(
                    "INSERT INTO sessions (created, ended, settings, reference, kind, owner, "
                    "used) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (now, None if running else now, json.dumps(settings), ref, kind,
                     self.owner, now))
                sid = cur.lastrowid
                self._db.executemany("INSERT INTO session_songs VALUES (?, ?, ?)",
                                     [(sid, i, p) for i, p in enumerate(rows)])
                if kind == "library":
                    # the list this store had before is free (its time of use kept), and
                    # the oldest beyond KEEP_LIBRARIES go, but never one a window uses
                    self._db.execute("UPDATE sessions SET owner=NULL WHERE kind='library' "
                                     "AND owner=? AND id<>?", (self.owner, sid))
                    libraries = self._db.execute(
                        f"SELECT id, owner, EXISTS (SELECT 1 FROM session_songs WHERE "
                        f"session=sessions.id) FROM sessions WHERE kind='library' AND id<>? "
                        f"{_LIBRARY_ORDER}", (sid,)).fetchall()
                    gone = {self._sid(i) for i in replaces}
                    kept = [(i, owner) for i, owner, songs in libraries
                            if songs and i not in gone or owner_in_use(owner)]
                    gone = {i for i, _owner, _songs in libraries} - {i for i, _ in kept}
                    gone |= {i for i, owner in kept[KEEP_LIBRARIES - 1:]
                             if not owner_in_use(owner)}
                    self._db.executemany("DELETE FROM sessions WHERE id=?",
                                         [(i,) for i in sorted(gone)])
            out.append(sid)

        write, give_up = _until_given_up(begin)
        # not kept when refused, unless ``late``: the caller goes on without the session
        pending, done = self._submit_write(write, "begin a session", keep=late,
                                           weight=lambda: sum(len(r) + 64 for r in rows))
        if not done.wait(self.session_timeout_s if wait or not late else 0) and not late:
            give_up()  # still retried: never written now (nobody would end it)
        if not out and late and not pending.lost:  # queued or kept: written later
            return self._stand_in(out)
        if not out:
            raise StoreError(self.path, self.problem or "could not begin a session within "
                             f"{self.session_timeout_s:g} s (the database is busy)")
        return out[0]

    def _stand_in(self, out: list[int]) -> int:
        """A negative id standing for the session a queued write puts into ``out`` (its id
        in the database) once it runs."""
        with self._backlog_lock:
            placeholder = -1 - len(self._late_sessions)
            self._late_sessions[placeholder] = out
        return placeholder

    def session_id(self, session: int) -> int:
        """The id in the database of ``session`` as :meth:`begin_session` handed it on:
        the stand-in of a record not written yet stays itself until it is."""
        return self._sid(session)

    def _sid(self, session: int) -> int:
        """The id of ``session`` in the database: the one a record :meth:`begin_session`
        handed on before it was written got once written (on the writer, which wrote it
        first), else ``session`` (a record never written matches no row)."""
        written = self._late_sessions.get(session)
        return written[0] if written else session

    def add_to_session(self, session: int, paths, *, first: int | None = None,
                       at=None) -> None:
        """Append songs to a session (queued; never raises).  ``first`` is the position of
        the first one (default: after the session's last song); ``at``, one position per
        song, puts them at those positions instead (songs put back where they were:
        positions need not follow each other, only their order is the list's, see
        :meth:`remove_from_session`)."""
        rows = [_path_blob(p) for p in paths]
        places = None if at is None else [int(i) for i in at]
        if places is not None and len(places) != len(rows):
            raise ValueError(f"{len(rows)} songs but {len(places)} positions")

        def write():
            sid = self._sid(session)
            with immediate_transaction(self._db):
                if places is not None:
                    where = places
                else:
                    start = first if first is not None else self._db.execute(
                        "SELECT COALESCE(MAX(idx) + 1, 0) FROM session_songs WHERE session=?",
                        (sid,)).fetchone()[0]
                    where = range(start, start + len(rows))
                self._db.executemany("INSERT OR REPLACE INTO session_songs VALUES (?, ?, ?)",
                                     [(sid, i, p) for i, p in zip(where, rows, strict=True)])

        self._submit(write, "add songs to the session",
                     weight=lambda: sum(len(p) + 64 for p in rows))

    def remove_from_session(self, session: int, positions) -> None:
        """Take the songs at ``positions`` out of a session, with their last results
        (queued; never raises).  The other songs keep their positions: a list read back
        (:meth:`last_library`) is in the order of the positions, numbered afresh, so a
        removal from a list of 20,000 deletes its own rows instead of writing the list
        again, and an undo puts them back at their old positions
        (:meth:`add_to_session` with ``at``)."""
        rows = [(int(i),) for i in sorted(set(positions))]
        if not rows:
            return

        def write():
            sid = self._sid(session)
            with immediate_transaction(self._db):
                for table in ("session_results", "session_songs"):
                    self._db.executemany(f"DELETE FROM {table} WHERE session={int(sid)} "
                                         "AND idx=?", rows)

        self._submit(write, "remove songs from the session", weight=lambda: 32 * len(rows))

    def end_session(self, session: int, *, wait: bool = True) -> bool:
        """Mark a batch as ended normally; waits for the write (bounded), unless ``wait`` is
        False (queued: a window's thread).  Never raises; returns False when the write did
        not happen (yet)."""
        ok: list[bool] = []

        def write():
            now = time.time()
            self._db.execute("UPDATE sessions SET ended=?, used=? WHERE id=?",
                             (now, now, self._sid(session)))
            ok.append(True)

        done = self._submit(write, "end the session")
        if wait:
            done.wait(self.session_timeout_s)
        return bool(ok)

    def reopen_session(self, session: int) -> None:
        """Mark a session as running again (a batch of the library started); queued."""
        self._submit(lambda: self._db.execute(
            "UPDATE sessions SET ended=NULL, used=? WHERE id=?",
            (time.time(), self._sid(session))), "reopen the session")

    def save_session_result(self, session: int, idx: int, result: SongResult) -> None:
        """Keep the last result of song ``idx`` of a session, whatever its status (queued;
        never raises)."""
        self.save_session_results(session, [(idx, result)])

    def save_session_results(self, session: int, items) -> None:
        """Keep the last result of several songs of a session: ``items`` are ``(idx,
        result)`` pairs, written in one transaction (queued; never raises).

        The results are turned into JSON on the store's writer thread, not the caller's: a
        window restoring or putting back a list of 20,000 songs spent 8 s of its own
        thread encoding them one by one.  A result must not be changed after it is given
        (the batch replaces a result rather than changing it).
        """
        items = list(items)
        if not items:
            return
        rows: list = []

        def encoded():
            if not rows:  # encoded once, also when a busy database makes the write retry
                rows.extend((session, idx, text)
                            for idx, text in self._result_texts(items))
                rows.append(None)  # the list is complete even when every result failed
                items.clear()  # a write kept for a while holds only its text
            return rows[:-1]

        def write():
            values = encoded()
            if not values:
                return
            sid = self._sid(session)
            with immediate_transaction(self._db):
                self._db.executemany("INSERT OR REPLACE INTO session_results VALUES (?, ?, ?)",
                                     [(sid, *v[1:]) for v in values])

        self._submit(write, "save results of the session",
                     weight=lambda: sum(len(r[2]) + 128 for r in encoded()),
                     songs=[("session", session, idx) for idx, _ in items])

    def _result_texts(self, items):
        """``(idx, text)`` for the ``(idx, result)`` pairs ``items``, each result as the
        session keeps it (a result that cannot be written is reported and left out)."""
        for idx, result in items:
            try:
                yield idx, json.dumps(_finite(dataclasses.asdict(result)),
                                      ensure_ascii=True, allow_nan=False)
            except (TypeError, ValueError) as err:
                self._report("could not store a result of the session", err)

    def set_session_state(self, session: int, state: dict) -> None:
        """Keep a small JSON-able ``state`` with a session (queued; never raises)."""
        try:
            text = json.dumps(state, ensure_ascii=True, allow_nan=False)
        except (TypeError, ValueError) as err:
            self._report("could not store the session's state", err)
            return
        self._submit(lambda: self._db.execute("UPDATE sessions SET state=? WHERE id=?",
                                              (text, self._sid(session))),
                     "save the session's state")

    def last_library(self) -> dict | None:
        """The library a window used last that no other open store holds (another window
        of SongCal running now): ``{"id", "created", "ended", "settings", "state",
        "reference", "paths", "results", "at", "busy"}`` (``paths`` in list order;
        ``results``: song position in ``paths`` -> SongResult, a damaged one left out, its
        song back unanalyzed; ``at``: each song's position in the store, which
        :meth:`remove_from_session` and :meth:`save_session_results` name; ``busy``: how
        many libraries used since are held by other windows), or None (also when the store
        cannot be read).  Read only: :meth:`take_library` also marks it as this store's."""
        return self._last_free_library()[0]

    def _last_free_library(self) -> tuple[dict | None, int]:
        """:meth:`last_library`, and how many libraries used since (every one, when none is
        free) other windows hold."""
        self.flush(self.session_timeout_s)
        try:
            with self._reading() as db:
                rows = db.execute(f"SELECT id, owner FROM sessions WHERE kind='library' "
                                  f"{_LIBRARY_ORDER}").fetchall()
        except sqlite3.Error as err:
            self._report("could not read the last library", err)
            return None, 0
        busy = 0
        for sid, owner in rows:
            if owner != self.owner and owner_in_use(owner):
                busy += 1
                continue
            lib = self._read_library(sid)
            if lib is not None:
                lib["busy"] = busy
            return lib, busy
        return None, busy

    def take_library(self) -> tuple[dict | None, int]:
        """Take the library a window used last that no other open store holds, as this
        store's (another window starting now, or later while this one runs, takes another
        one or starts a new list), and read it: ``(library, busy)`` as :meth:`last_library`
        gives it, ``busy`` counting the libraries used since that other windows hold.

        Taking is one write (the owner is checked and set in one transaction, so two windows
        started together never take the same list); when the store does not take it within
        ``session_timeout_s`` (another process holds it), the library is only read."""
        taken: list[int] = []
        busy: list[str] = []

        def take():
            with immediate_transaction(self._db):
                busy.clear()
                for sid, owner in self._db.execute(
                        f"SELECT id, owner FROM sessions WHERE kind='library' "
                        f"{_LIBRARY_ORDER}").fetchall():
                    if owner != self.owner and owner_in_use(owner):
                        busy.append(owner)
                        continue
                    self._db.execute("UPDATE sessions SET owner=? WHERE id=?",
                                     (self.owner, sid))
                    taken.append(sid)
                    break

        write, give_up = _until_given_up(take)
        pending, done = self._submit_write(write, "take the last list", keep=False)
        done.wait(self.session_timeout_s)
        give_up()  # a try not begun by now is never made
        if not taken:
            if done.is_set() and not pending.lost:  # taken in no list: none is free
                return None, len(busy)
            log.warning("the last list could not be marked as this window's (%s); it is "
                        "only read", self.problem or "the store is busy")
            return self._last_free_library()
        lib = self._read_library(taken[0])
        if lib is not None:
            lib["busy"] = len(busy)
        return lib, len(busy)

    def _read_library(self, sid: int) -> dict | None:
        """Library ``sid`` (see :meth:`last_library`), or None when it cannot be read."""
        try:
            with self._reading() as db:
                row = db.execute(
                    "SELECT id, created, ended, settings, state, reference FROM sessions "
                    "WHERE id=?", (sid,)).fetchone()
                if row is None:
                    return None
                songs = db.execute("SELECT idx, path FROM session_songs WHERE session=? "
                                   "ORDER BY idx", (row[0],)).fetchall()
                stored = db.execute(
                    "SELECT idx, result FROM session_results WHERE session=?",
                    (row[0],)).fetchall()
            settings = json.loads(row[3])
            state = json.loads(row[4]) if row[4] else {}
        except (sqlite3.Error, ValueError) as err:
            self._report("could not read the last library", err)
            return None
        # positions may have gaps (songs removed): the songs are numbered in their order
        place = {idx: i for i, (idx, _path) in enumerate(songs)}
        paths = [_path_text(p) for _idx, p in songs]
        results = {}
        for idx, text in stored:
            if idx not in place:  # (a result left by a song no longer in the list)
                continue
            try:
                results[place[idx]] = _decode(text, any_status=True)
            except (ValueError, TypeError, AttributeError) as err:
                self.stats.dropped += 1
                log.warning("a stored result of the library is damaged (%s); its song "
                            "comes back unanalyzed", err)
        return {"id": row[0], "created": row[1], "ended": row[2], "settings": settings,
                "state": state if isinstance(state, dict) else {},
                "reference": None if row[5] is None else _path_text(row[5]),
                "paths": paths, "results": results, "at": [idx for idx, _path in songs]}

    def unfinished_session(self) -> dict | None:
        """The newest session that never ended and that no other open store holds (a batch
        or a window's list running now in another process is not interrupted): ``{"id",
        "created", "settings", "reference", "paths", "kind"}``, or None (also when the
        store cannot be read)."""
        self.flush(self.session_timeout_s)
        try:
            with self._reading() as db:
                row = next((r for r in db.execute(
                    "SELECT id, created, settings, reference, kind, owner FROM sessions "
                    "WHERE ended IS NULL ORDER BY id DESC").fetchall()
                    if r[5] == self.owner or not owner_in_use(r[5])), None)
                if row is None:
                    return None
                paths = [_path_text(r[0]) for r in db.execute(
                    "SELECT path FROM session_songs WHERE session=? ORDER BY idx", (row[0],))]
            settings = json.loads(row[2])
        except (sqlite3.Error, ValueError) as err:
            self._report("could not read the last session", err)
            return None
        return {"id": row[0], "created": row[1], "settings": settings,
                "reference": None if row[3] is None else _path_text(row[3]),
                "paths": paths, "kind": row[4]}
