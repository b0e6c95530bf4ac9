"""Each session's counts kept in its own row of the session store, so that File > Open
Earlier List reads a summary per list instead of summing every result each time.

Four columns of ``sessions`` (:data:`COUNT_COLUMNS`): its songs, its results of any status,
the done ones and the failed ones (:data:`FAILED_STATUSES`).  A result that is not JSON
counts as none of them (its song comes back unanalyzed).  SQLite triggers on
``session_songs`` and ``session_results`` change them with each row inserted, replaced,
updated or deleted, in the same transaction, so a SongCal that does not know the columns
(an older one sharing the store) keeps them right as well.

A store written before the columns existed gains them, and the triggers, in one
transaction when it is opened (:func:`add_counts`, cheap: the rows of ``sessions`` only);
its sessions' counts are NULL until each of its lists is counted once
(:func:`uncounted_lists`, :func:`count_session`, run on the store's writer thread), and a
reader counts a list whose columns are NULL the old way meanwhile (:func:`counts_of`).  A trigger adds to NULL and leaves NULL, so
writes made between the two are never counted twice.

The triggers rely on SQLite's default ``recursive_triggers=OFF``, under which the row an
``INSERT OR REPLACE`` replaces is deleted without firing the delete triggers: the insert
triggers take the replaced row off themselves.  The store's statements are plain inserts,
``INSERT OR REPLACE``, updates and deletes (an ``INSERT OR IGNORE`` that met an existing
row would be counted as a replacement).
"""

from __future__ import annotations

import sqlite3

__all__ = ["COUNT_COLUMNS", "FAILED_STATUSES", "TRIGGERS", "add_counts", "count_session",
           "counts_of", "counts_kept", "uncounted_lists"]

#: The result statuses counted as failed in a list's summary.
FAILED_STATUSES = ("failed", "timed out")

#: The columns of ``sessions`` holding its counts, in the order :func:`counts_of` gives them.
COUNT_COLUMNS = ("song_count", "result_count", "done_count", "failed_count")


def _status(text: str) -> str:
    """SQL: the status of the stored result ``text`` (a column or ``NEW.result``), NULL when
    it is not JSON or has none."""
    return f"CASE WHEN json_valid({text}) THEN json_extract({text}, '$.status') END"


_FAILED = " OR ".join(f"st IS '{s}'" for s in FAILED_STATUSES)

#: SQL: add ``sign`` times the counts of the results in ``(SELECT sign, st ...)`` to a
#: session's result columns (``{rows}``: that query, ``{sid}``: the session).
_ADD_RESULTS = (
    "UPDATE sessions SET (result_count, done_count, failed_count) = (SELECT "
    "result_count + SUM(sign * (st IS NOT NULL)), done_count + SUM(sign * (st IS 'done')), "
    f"failed_count + SUM(sign * ({_FAILED})) FROM ({{rows}})) WHERE id = {{sid}};")

#: The triggers keeping the counts, by name.  An insert takes off the row it replaces (if
#: any) before it goes in; a row moved to another session is taken off the one and added to
#: the other.
TRIGGERS = {
    "session_songs_count_insert": (
        "BEFORE INSERT ON session_songs BEGIN "
        "UPDATE sessions SET song_count = song_count + 1 - EXISTS (SELECT 1 FROM "
        "session_songs WHERE session = NEW.session AND idx = NEW.idx) WHERE id = NEW.session;"
        " END"),
    "session_songs_count_delete": (
        "AFTER DELETE ON session_songs BEGIN "
        "UPDATE sessions SET song_count = song_count - 1 WHERE id = OLD.session; END"),
    "session_songs_count_update": (
        "AFTER UPDATE OF session ON session_songs WHEN OLD.session IS NOT NEW.session BEGIN "
        "UPDATE sessions SET song_count = song_count - 1 WHERE id = OLD.session; "
        "UPDATE sessions SET song_count = song_count + 1 WHERE id = NEW.session; END"),
    "session_results_count_insert": (
        "BEFORE INSERT ON session_results BEGIN "
        + _ADD_RESULTS.format(
            rows=f"SELECT 1 AS sign, {_status('NEW.result')} AS st UNION ALL "
                 f"SELECT -1, {_status('result')} FROM session_results "
                 "WHERE session = NEW.session AND idx = NEW.idx",
            sid="NEW.session")
        + " END"),
    "session_results_count_delete": (
        "AFTER DELETE ON session_results BEGIN "
        + _ADD_RESULTS.format(rows=f"SELECT -1 AS sign, {_status('OLD.result')} AS st",
                              sid="OLD.session")
        + " END"),
    "session_results_count_update": (
        "AFTER UPDATE OF session, result ON session_results BEGIN "
        + _ADD_RESULTS.format(rows=f"SELECT -1 AS sign, {_status('OLD.result')} AS st",
                              sid="OLD.session")
        + " "
        + _ADD_RESULTS.format(rows=f"SELECT 1 AS sign, {_status('NEW.result')} AS st",
                              sid="NEW.session")
        + " END"),
}

#: SQL: one session's counts as :data:`COUNT_COLUMNS` from its rows (``?``: the session).
#: Sums of 0/1 terms over at least one row, so a list whose results are all damaged has 0
#: done and 0 failed (not NULL).
_COUNT = (
    "SELECT (SELECT COUNT(*) FROM session_songs WHERE session = ?1), COUNT(st), "
    f"COALESCE(SUM(st IS 'done'), 0), COALESCE(SUM({_FAILED}), 0) FROM "
    f"(SELECT {_status('result')} AS st FROM session_results WHERE session = ?1)")


def add_counts(db: sqlite3.Connection) -> bool:
    """Give the store on ``db`` the count columns and their triggers where any is missing,
    in one write transaction: every session's counts are then NULL, to be counted again
    (:func:`count_session`), as a missing trigger may have let them drift.  True when
    anything was added.  Runs the statements itself (``BEGIN IMMEDIATE``); ``db`` must be
    outside a transaction."""
    columns = {r[1] for r in db.execute("PRAGMA table_info(sessions)")}
    triggers = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='trigger'")}
    if set(COUNT_COLUMNS) <= columns and set(TRIGGERS) <= triggers:
        return False
    db.execute("BEGIN IMMEDIATE")
    try:
        for column in COUNT_COLUMNS:
            if column not in columns:  # new sessions start at 0: the triggers count on
                db.execute(f"ALTER TABLE sessions ADD COLUMN {column} INTEGER DEFAULT 0")
        for name, body in TRIGGERS.items():
            db.execute(f"DROP TRIGGER IF EXISTS {name}")
            db.execute(f"CREATE TRIGGER {name} {body}")
        db.execute("UPDATE sessions SET " + ", ".join(f"{c} = NULL" for c in COUNT_COLUMNS))
        db.execute("COMMIT")
    except BaseException:
        if db.in_transaction:
            db.execute("ROLLBACK")
        raise
    return True


def counts_kept(db: sqlite3.Connection) -> bool:
    """Whether every trigger keeping the counts is in the store on ``db`` (read only): when
    one was dropped, the columns cannot be trusted until the store is opened again."""
    names = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='trigger'")}
    return set(TRIGGERS) <= names


def uncounted_lists(db: sqlite3.Connection) -> list[int]:
    """The window's lists (sessions of kind ``"library"``) whose counts are not known yet
    (any column NULL), oldest first.  A batch of an older store is left uncounted: nothing
    shows its counts, and a store of many command-line batches would keep the writer busy
    for nothing."""
    where = " OR ".join(f"{c} IS NULL" for c in COUNT_COLUMNS)
    return [r[0] for r in db.execute(
        f"SELECT id FROM sessions WHERE kind='library' AND ({where}) ORDER BY id")]


def count_session(db: sqlite3.Connection, sid: int) -> None:
    """Count session ``sid`` from its rows and keep the counts in its row, if they are not
    known yet (a session counted since is left alone).  One statement: atomic on its own."""
    columns = ", ".join(COUNT_COLUMNS)
    where = " OR ".join(f"{c} IS NULL" for c in COUNT_COLUMNS)
    db.execute(f"UPDATE sessions SET ({columns}) = ({_COUNT.replace('?1', '?2')}) "
               f"WHERE id = ?1 AND ({where})", (sid, sid))


def counts_of(db: sqlite3.Connection, sids) -> dict[int, tuple[int, int, int, int]]:
    """The counts of sessions ``sids`` (:data:`COUNT_COLUMNS`) summed from their rows, as
    :func:`count_session` would keep them: the way to read a session not counted yet."""
    return {sid: tuple(db.execute(_COUNT, (sid,)).fetchone()) for sid in sids}
