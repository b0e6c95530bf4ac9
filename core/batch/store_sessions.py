"""The session tables of the session store: batches, the window's library, their songs and
results.  A mixin of :class:`core.batch.store.ResultStore` (it uses the store's connections,
its writer and its locks); see :mod:`core.batch.store` for what a session is.
"""

from __future__ import annotations

import dataclasses
import json
import logging
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

__all__ = ["SessionRecords", "KEEP_LIBRARIES"]

log = logging.getLogger("core.batch.store")

#: How many library sessions are kept (older ones are removed when a new one begins).
KEEP_LIBRARIES = 10


class SessionRecords:
    """Session methods of :class:`core.batch.store.ResultStore`."""

    def begin_session(self, paths, settings: dict, reference=None, *, kind: str = "batch",
                      running: bool = True, late: bool = False) -> int:
        """Record a new batch (or, with ``kind="library"``, the window's list) and its
        songs; returns the session id.  A session begun with ``running=False`` is not
        offered for resuming until :meth:`reopen_session`.  Beginning a library removes
        the oldest ones beyond :data:`KEEP_LIBRARIES`.

        With ``late``, a record the database does not take within ``session_timeout_s``
        (another process holds it) is kept queued, or in the backlog, like a result, ahead
        of every later write: the id returned then stands for it (a negative number) in
        this store's session methods until it is written; a record still refused at the
        close is lost and counted, as a result is.  Without it, such a record is never
        written (the caller, told so, goes on without one).

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
        abandoned: list[bool] = []
        guard = threading.Lock()  # one try of the write, or the caller giving up on it

        def write():
            with guard:
                if not abandoned:
                    begin()

        def begin():
            with immediate_transaction(self._db):
                now = time.time()
                cur = self._db.execute(
                    "INSERT INTO sessions (created, ended, settings, reference, kind) "
                    "VALUES (?, ?, ?, ?, ?)",
                    (now, None if running else now, json.dumps(settings), ref, kind))
                sid = cur.lastrowid
                self._db.executemany("INSERT INTO session_songs VALUES (?, ?, ?)",
                                     [(sid, i, p) for i, p in enumerate(rows)])
                if kind == "library":
                    self._db.execute(
                        "DELETE FROM sessions WHERE kind='library' AND id NOT IN (SELECT id "
                        "FROM sessions WHERE kind='library' ORDER BY id DESC LIMIT ?)",
                        (KEEP_LIBRARIES,))
            out.append(sid)

        # not kept when refused, unless ``late``: the caller goes on without the session
        pending, done = self._submit_write(write, "begin a session", keep=late)
        if not done.wait(self.session_timeout_s) and not late:
            with guard:  # still retried: never written now (nobody would end it)
                abandoned.append(True)
        if not out and late and not pending.lost:  # queued or kept: written later
            with self._backlog_lock:
                placeholder = -1 - len(self._late_sessions)
                self._late_sessions[placeholder] = out
            return placeholder
        if not out:
            raise StoreError(self.path, self.problem or "could not begin a session within "
                             f"{self.session_timeout_s:g} s (the database is busy)")
        return out[0]

    def _sid(self, session: int) -> int:
        """The id of ``session`` in the database: the one a record :meth:`begin_session`
        handed on before it was written got once written (on the writer, which wrote it
        first), else ``session`` (a record never written matches no row)."""
        written = self._late_sessions.get(session)
        return written[0] if written else session

    def add_to_session(self, session: int, paths, *, first: int | None = None) -> None:
        """Append songs to a session (queued; never raises).  ``first`` is the position of
        the first one (default: after the session's last song)."""
        rows = [_path_blob(p) for p in paths]

        def write():
            sid = self._sid(session)
            with immediate_transaction(self._db):
                start = first if first is not None else self._db.execute(
                    "SELECT COUNT(*) FROM session_songs WHERE session=?",
                    (sid,)).fetchone()[0]
                self._db.executemany("INSERT OR REPLACE INTO session_songs VALUES (?, ?, ?)",
                                     [(sid, start + i, p) for i, p in enumerate(rows)])

        self._submit(write, "add songs to the session",
                     weight=lambda: sum(len(p) + 64 for p in rows))

    def end_session(self, session: int) -> bool:
        """Mark a batch as ended normally; waits for the write (bounded).  Never raises;
        returns False when the write did not happen."""
        ok: list[bool] = []

        def write():
            self._db.execute("UPDATE sessions SET ended=? WHERE id=?",
                             (time.time(), self._sid(session)))
            ok.append(True)

        self._submit(write, "end the session").wait(self.session_timeout_s)
        return bool(ok)

    def reopen_session(self, session: int) -> None:
        """Mark a session as running again (a batch of the library started); queued."""
        self._submit(lambda: self._db.execute("UPDATE sessions SET ended=NULL WHERE id=?",
                                              (self._sid(session),)), "reopen the session")

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
                for idx, result in items:
                    try:
                        rows.append((session, idx, json.dumps(
                            _finite(dataclasses.asdict(result)), ensure_ascii=True,
                            allow_nan=False)))
                    except (TypeError, ValueError) as err:
                        self._report("could not store a result of the session", err)
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
        """The newest library session: ``{"id", "created", "ended", "settings", "state",
        "reference", "paths", "results"}`` (``results``: song position -> SongResult; a
        damaged one is left out and its song comes back unanalyzed), or None (also when
        the store cannot be read)."""
        self.flush(self.session_timeout_s)
        try:
            with self._reading() as db:
                row = db.execute(
                    "SELECT id, created, ended, settings, state, reference FROM sessions "
                    "WHERE kind='library' ORDER BY id DESC LIMIT 1").fetchone()
                if row is None:
                    return None
                paths = [_path_text(r[0]) for r in db.execute(
                    "SELECT path FROM session_songs WHERE session=? ORDER BY idx", (row[0],))]
                stored = db.execute(
                    "SELECT idx, result FROM session_results WHERE session=?",
                    (row[0],)).fetchall()
            settings = json.loads(row[3])
            state = json.loads(row[4]) if row[4] else {}
        except (sqlite3.Error, ValueError) as err:
            self._report("could not read the last library", err)
            return None
        results = {}
        for idx, text in stored:
            try:
                results[idx] = _decode(text, any_status=True)
            except (ValueError, TypeError, AttributeError) as err:
                self.stats.dropped += 1
                log.warning("a stored result of the library is damaged (%s); its song "
                            "comes back unanalyzed", err)
        return {"id": row[0], "created": row[1], "ended": row[2], "settings": settings,
                "state": state if isinstance(state, dict) else {},
                "reference": None if row[5] is None else _path_text(row[5]),
                "paths": paths, "results": results}

    def unfinished_session(self) -> dict | None:
        """The newest session that never ended: ``{"id", "created", "settings",
        "reference", "paths", "kind"}``, or None (also when the store cannot be read)."""
        self.flush(self.session_timeout_s)
        try:
            with self._reading() as db:
                row = db.execute(
                    "SELECT id, created, settings, reference, kind FROM sessions WHERE ended "
                    "IS NULL ORDER BY id DESC LIMIT 1").fetchone()
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
