"""The window's earlier lists in the session store: what each one holds (for a user to pick
one), taking one as a window's list, letting one go, taking back the one a Clear let go of,
and deleting one.

A mixin of :class:`core.batch.store.ResultStore`, beside
:class:`core.batch.store_sessions.SessionRecords` (a list is a session of kind
``"library"``).  At its start a window takes the list used last that nobody holds
(:meth:`~core.batch.store_sessions.SessionRecords.take_library`); these methods let it open
any other one later.  A list another running SongCal holds is never taken nor deleted: the
owner is checked and changed in one write transaction, so of two windows asking for the same
list at once only one gets it.
"""

from __future__ import annotations

import json
import logging
import os
import sqlite3
import time

from core.batch.store_codec import _path_blob, _path_text, immediate_transaction
from core.batch.store_counts import COUNT_COLUMNS, FAILED_STATUSES, counts_kept, counts_of
from core.batch.store_sessions import _LIBRARY_ORDER, _until_given_up, owner_in_use

__all__ = ["LibraryLists", "FAILED_STATUSES"]

log = logging.getLogger("core.batch.store")

#: How many song paths of each list the summary holds (enough to recognize it).
_SAMPLE = 3

#: Why a list cannot be opened or deleted, by what the write found.
_HELD = "it is open in another SongCal window"
_GONE = "it is no longer in the session store"


class LibraryLists:
    """Listing, opening and deleting the window's lists (a mixin of
    :class:`core.batch.store.ResultStore`)."""

    def list_libraries(self) -> list[dict] | None:
        """Every list the store keeps, the one used last first, each ``{"id", "created",
        "used", "ended", "songs", "results", "done", "failed", "sample", "reference",
        "mine", "held"}``: ``songs`` its number of songs, ``results`` how many have a result
        (any status), ``done`` and ``failed`` how many have one of that kind
        (:data:`FAILED_STATUSES`), ``ended`` None when its batch was interrupted (or runs,
        in the window that holds it), ``sample`` the paths of its first few songs, ``mine``
        whether this store holds it, ``held`` whether another open store (another window of
        SongCal running now) does.  None when the store cannot be read.

        Read only, on the reading connection: the counts are kept in each list's row by
        the store's triggers (:mod:`core.batch.store_counts`), so reading them does not
        grow with the songs; a list of a store written before they were kept is summed by
        SQLite from its rows until the writer has counted it (no result is decoded).  A
        list whose results are all damaged has 0 done and 0 failed."""
        self.flush(self.session_timeout_s)  # this window's latest results are counted
        try:
            with self._reading() as db:
                rows = db.execute(
                    "SELECT id, created, used, ended, owner, reference, "
                    f"{', '.join(COUNT_COLUMNS)} FROM sessions "
                    f"WHERE kind='library' {_LIBRARY_ORDER}").fetchall()
                kept = counts_kept(db)
                # a list not counted yet (a store of an older SongCal, counted on the
                # writer in its turn), or every list when a trigger is missing, is summed
                counts = {r[0]: tuple(r[6:]) for r in rows
                          if kept and None not in r[6:]}
                counts.update(counts_of(db, [r[0] for r in rows if r[0] not in counts]))
                samples = {sid: [_path_text(r[0]) for r in db.execute(
                    "SELECT path FROM session_songs WHERE session=? ORDER BY idx LIMIT ?",
                    (sid, _SAMPLE))] for sid, *_ in rows}
        except sqlite3.Error as err:
            self._report("could not read the lists", err)
            return None
        out = []
        for sid, created, used, ended, owner, ref, *_counts in rows:
            songs, results, done, failed = counts[sid]
            mine = bool(owner) and owner == self.owner
            out.append({"id": sid, "created": created, "used": used or created,
                        "ended": ended, "songs": songs, "results": results,
                        "done": done, "failed": failed,
                        "sample": samples[sid], "mine": mine,
                        "reference": None if ref is None else _path_text(ref),
                        "held": not mine and owner_in_use(owner)})
        return out

    def open_library(self, sid: int) -> tuple[dict | None, str]:
        """Take list ``sid`` as this store's and read it: ``(library, "")`` as
        :meth:`~core.batch.store_sessions.SessionRecords.last_library` gives it, or
        ``(None, why)`` when another open store holds it (another window took it, maybe a
        moment ago), it is gone, or the store did not take the write within
        ``session_timeout_s``.

        The list this store held before stays its own too, until :meth:`release_library`:
        the window lets go of it once the new one replaces it (and of the new one if it
        does not)."""
        found: list[str] = []

        def take():
            with immediate_transaction(self._db):
                row = self._db.execute(
                    "SELECT owner FROM sessions WHERE id=? AND kind='library'",
                    (sid,)).fetchone()
                if row is None:
                    found.append(_GONE)
                elif row[0] != self.owner and owner_in_use(row[0]):
                    found.append(_HELD)
                else:
                    self._db.execute("UPDATE sessions SET owner=?, used=? WHERE id=?",
                                     (self.owner, time.time(), sid))
                    found.append("")

        write, give_up = _until_given_up(take)
        pending, done = self._submit_write(write, "open a list", keep=False)
        done.wait(self.session_timeout_s)
        give_up()  # a try not begun by now is never made: nobody would use the list
        if not found:
            why = self.problem if pending.lost and self.problem else "the store is busy"
            return None, f"the session store did not answer in time ({why})"
        if found[0]:
            return None, found[0]
        lib = self._read_library(sid)
        if lib is None:
            self.release_library(sid)
            return None, "it could not be read (see the log)"
        lib["busy"] = 0
        return lib, ""

    def release_library(self, sid: int | None) -> None:
        """Let go of list ``sid`` if this store holds it (queued; never raises): another
        window may take it, and it keeps the moment it was last used, now; the list this
        store still holds stays the one used last (it is the window's list, which
        :meth:`~core.batch.store_sessions.SessionRecords.last_library` gives)."""
        if sid is None:
            return

        def write():
            now = time.time()
            with immediate_transaction(self._db):
                self._db.execute("UPDATE sessions SET owner=NULL, used=? WHERE id=? AND "
                                 "owner=?", (now, self._sid(sid), self.owner))
                self._db.execute("UPDATE sessions SET used=? WHERE kind='library' AND "
                                 "owner=?", (now + 0.001, self.owner))

        self._submit(write, "let go of a list")

    def take_back_library(self, sid: int, *, leaving: int | None, songs, results,
                          settings: dict) -> int:
        """Take list ``sid``, which this store let go of (a Clear), back as this store's
        list, and delete ``leaving``, the empty list begun in its place (kept, let go, if
        songs were put into it); queued, never waited for (a window's thread).  Returns
        the id that stands for the list in this store's session methods (a negative
        stand-in until the write ran, as :meth:`~core.batch.store_sessions.SessionRecords.
        begin_session` hands on).

        The list's songs and results are in the store already: taking it back is one small
        write, where writing a list of 20,000 songs afresh kept the store's thread busy
        for about a second, in turn with the window's.  When the write runs, ``sid`` may be
        gone (deleted, or its own record never written) or held by another open store (a
        window opened it as an earlier list meanwhile): the list is then written afresh
        from what ``songs()`` gives, ``(position, path)`` pairs, ``results()``,
        ``(position, result)`` pairs (what the store held of it), and ``settings``, the
        other one left as it is.  The two functions are called on the store's thread, and
        only then (a window's thread building the pairs of 20,000 songs set off the
        garbage collector's full pass, 0.2 s).
        Like any write the store refuses, it waits in the backlog, after the writes queued
        before it (the Clear's own among them).
        """
        text = json.dumps(settings)
        out: list[int] = []

        def write():
            own = self._sid(sid)
            gone = None if leaving is None else self._sid(leaving)
            with immediate_transaction(self._db):
                now = time.time()
                row = self._db.execute(
                    "SELECT owner FROM sessions WHERE id=? AND kind='library'",
                    (own,)).fetchone()
                if row is not None and (row[0] in (None, self.owner)
                                        or not owner_in_use(row[0])):
                    self._db.execute("UPDATE sessions SET owner=?, used=? WHERE id=?",
                                     (self.owner, now, own))
                else:
                    log.info("session store %s: the list put back is written afresh (%s)",
                             os.fspath(self.path), _GONE if row is None else _HELD)
                    own = self._db.execute(
                        "INSERT INTO sessions (created, ended, settings, kind, owner, used) "
                        "VALUES (?, ?, ?, 'library', ?, ?)",
                        (now, now, text, self.owner, now)).lastrowid
                    self._db.executemany("INSERT INTO session_songs VALUES (?, ?, ?)",
                                         [(own, i, _path_blob(p)) for i, p in songs()])
                    self._db.executemany(
                        "INSERT INTO session_results VALUES (?, ?, ?)",
                        [(own, i, t) for i, t in self._result_texts(results())])
                if gone is not None and gone != own:
                    empty = not self._db.execute(
                        "SELECT 1 FROM session_songs WHERE session=? LIMIT 1",
                        (gone,)).fetchone()
                    self._db.execute(
                        "DELETE FROM sessions WHERE id=? AND kind='library' AND owner=?"
                        if empty else
                        "UPDATE sessions SET owner=NULL WHERE id=? AND kind='library' AND "
                        "owner=?", (gone, self.owner))
            out.append(own)

        self._submit(write, "take a list back",
                     weight=lambda: sum(len(p) + 64 for _i, p in songs()))
        return out[0] if out else self._stand_in(out)

    def delete_library(self, sid: int) -> str:
        """Delete list ``sid`` with its songs and results (the cached results stay): "" when
        deleted, else why not (held by this store or another open one, gone, the store did
        not answer).  The owner is checked in the same transaction as the delete."""
        found: list[str] = []

        def delete():
            with immediate_transaction(self._db):
                row = self._db.execute(
                    "SELECT owner FROM sessions WHERE id=? AND kind='library'",
                    (sid,)).fetchone()
                if row is None:
                    found.append(_GONE)
                elif row[0] == self.owner:
                    found.append("it is this window's list")
                elif owner_in_use(row[0]):
                    found.append(_HELD)
                else:
                    self._db.execute("DELETE FROM sessions WHERE id=?", (sid,))
                    found.append("")

        write, give_up = _until_given_up(delete)
        self._submit_write(write, "delete a list", keep=False)[1].wait(
            self.session_timeout_s)
        give_up()
        if not found:
            return "the session store did not answer in time (the store is busy)"
        if not found[0]:
            log.info("session store %s: list %d deleted", os.fspath(self.path), sid)
        return found[0]
