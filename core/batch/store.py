"""The session store: finished songs kept in SQLite, keyed by what the file holds.

Three jobs: a cache (a file whose content was already analyzed with the same analysis
settings is not analyzed again unless fresh analysis is forced; see
:mod:`core.batch.cache` for the content fingerprint), crash safety (each batch is
recorded as a session with its songs; a session that never ended can be resumed at the next
start, and every result shown as done is already on disk), and the window's *library*: a
session of kind ``"library"`` holds every song of the window's list in order, the last
result of each (failed, skipped and corrected ones too: ``session_results``), and a small
JSON state (the reference sheet, manual matches, whether a fit was made), so the next start
shows the list as it was left (:meth:`ResultStore.last_library`); the earlier lists can be
listed, opened and deleted (:mod:`core.batch.store_lists`).

The store can never cost a result.  One writer thread does every write, with a short busy
timeout and retries with back-off when another process holds the database; callers only
queue writes (and may wait a bounded time for them).  A write the database still refuses
(another process holds it, the disk is full) is reported once (:attr:`ResultStore.problem`)
and kept in memory, in order, with every later write behind it (the *backlog*,
:meth:`ResultStore.backlog`, at most :data:`MAX_BACKLOG_BYTES`); it is written again, once,
as soon as the database takes writes again: before the next write, every
:data:`CATCH_UP_S` while nothing else is written (a refusal other than another process
holding the database, such as a full disk, makes that wait double at each try up to
:data:`MAX_CATCH_UP_S`), and at :meth:`ResultStore.close` within its timeout.  Only what is still in the backlog at the close, or found no room in it, is
lost, and counted (:attr:`StoreStats.failed_writes`); the batch goes on in any case.  A cached row that
cannot be read back is dropped and the song is analyzed again.  Paths are stored as their
bytes (``os.fsencode``), so any file name the operating system allows round-trips.

The database lives in the user data folder (``$SONGCAL_DATA_DIR``, else
``$XDG_DATA_HOME/songcal``, else ``~/.local/share/songcal``; ``%LOCALAPPDATA%\\SongCal``
on Windows, ``~/Library/Application Support/SongCal`` on macOS), or wherever ``songcal
analyze --session PATH`` or the window's settings say.
"""

from __future__ import annotations

import collections
import contextlib
import dataclasses
import logging
import os
import queue
import sqlite3
import threading
import time
from dataclasses import dataclass

from core import paths
from core.batch.store_codec import StoreError, _decode, _encode, immediate_transaction
from core.batch.store_counts import add_counts, count_session, uncounted_lists
from core.batch.store_lists import LibraryLists
from core.batch.store_sessions import (
    KEEP_LIBRARIES,
    SessionRecords,
    forget_owner,
    new_owner,
)
from core.io.results import USER_COLUMNS, SongResult

__all__ = ["ResultStore", "StoreError", "StoreStats", "data_dir", "default_store_path",
           "cached", "content_fingerprint", "SCHEMA_VERSION", "KEEP_LIBRARIES",
           "unusable_store", "layout_problem", "read_only_problem", "MAX_BACKLOG_BYTES",
           "CATCH_UP_S", "MAX_CATCH_UP_S", "WRITE_OVERHEAD_BYTES"]

log = logging.getLogger(__name__)

#: Version of the database layout (``PRAGMA user_version``).  Older stores are migrated:
#: layout 1 results, keyed by path and modification time, are dropped (they cannot be
#: trusted); a layout 2 store keeps its cache and sessions and gains the library tables.
SCHEMA_VERSION = 3

_SCHEMA = """
CREATE TABLE IF NOT EXISTS cache (
    fingerprint TEXT NOT NULL, settings TEXT NOT NULL, saved REAL NOT NULL,
    result TEXT NOT NULL, PRIMARY KEY (fingerprint, settings));
CREATE TABLE IF NOT EXISTS sessions (
    id INTEGER PRIMARY KEY AUTOINCREMENT, created REAL NOT NULL, ended REAL,
    settings TEXT NOT NULL, reference BLOB, kind TEXT NOT NULL DEFAULT 'batch', state TEXT,
    owner TEXT, used REAL);
CREATE TABLE IF NOT EXISTS session_songs (
    session INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    idx INTEGER NOT NULL, path BLOB NOT NULL, PRIMARY KEY (session, idx));
CREATE TABLE IF NOT EXISTS session_results (
    session INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    idx INTEGER NOT NULL, result TEXT NOT NULL, PRIMARY KEY (session, idx));
"""

#: Layout 2 to 3: the library's columns and table, nothing dropped.
_MIGRATE_2_TO_3 = (
    "ALTER TABLE sessions ADD COLUMN kind TEXT NOT NULL DEFAULT 'batch'",
    "ALTER TABLE sessions ADD COLUMN state TEXT",
    "CREATE TABLE IF NOT EXISTS session_results (session INTEGER NOT NULL REFERENCES "
    "sessions(id) ON DELETE CASCADE, idx INTEGER NOT NULL, result TEXT NOT NULL, "
    "PRIMARY KEY (session, idx))",
)

#: Columns layout 3 gained later, added to a store that lacks them: ``owner``, the open
#: store (a window, a batch) that holds a session (:func:`core.batch.store_sessions.new_owner`;
#: empty once it closed), and ``used``, when a window last used a library.  A SongCal that
#: does not know them reads and writes the store as before (its statements name their
#: columns), so the layout number stays.
_LATER_COLUMNS = (("sessions", "owner", "TEXT"), ("sessions", "used", "REAL"))

#: Tables a layout 1 store (``user_version`` 0) may hold; a database at version 0 with any
#: other table belongs to another program and is left alone.
_LAYOUT_1_TABLES = frozenset({"results", "sessions", "session_songs", "sqlite_sequence"})

#: Every table a SongCal store of any layout holds; a database with another one belongs to
#: another program.
_STORE_TABLES = _LAYOUT_1_TABLES | {"cache", "session_results"}

_STOP = object()

#: The most the writes a database refused may hold in memory while they wait for it to take
#: writes again (bytes of encoded results): 32 MiB, about 20,000 results of 1.5 KB, or
#: 10,000 songs of the window (each song is written twice, as a cached result and as the
#: list's result).  A refused write that finds no more room is lost, and counted.
MAX_BACKLOG_BYTES = 32 * 1024 * 1024

#: How often (s) the writer tries the backlog again while nothing else is written.
CATCH_UP_S = 1.0

#: The longest wait (s) between two tries of the backlog while the database refuses writes
#: for a reason other than another process holding it (a full disk, a failing one, a
#: network share gone): the wait doubles from :data:`CATCH_UP_S` at each refusal, as such a
#: refusal rarely ends within seconds; it is back to :data:`CATCH_UP_S` once a write is
#: taken, or when the refusal becomes another process holding the database.
MAX_CATCH_UP_S = 60.0

#: What a write kept in the backlog costs beside the text it holds (bytes): the write, its
#: function and its song keys, measured with tracemalloc (``python -m
#: benchmarks.store_backlog``).  Each write's weight in :meth:`ResultStore.backlog`'s
#: ``bytes`` is this plus its own text's.
WRITE_OVERHEAD_BYTES = 640


class _Write:
    """A queued write: ``fn`` runs it; ``keep``: kept in the backlog when refused (a write
    whose caller already gave up waiting on it is not); ``weight()``: its bytes; ``songs``:
    which songs' results it holds (``("cache", key)`` or ``("session", id, position)``)."""

    __slots__ = ("fn", "what", "done", "keep", "weight", "songs", "size", "lost")

    def __init__(self, fn, what, *, keep=True, weight=None, songs=()):
        self.fn, self.what, self.done, self.keep = fn, what, threading.Event(), keep
        self.weight = weight or (lambda: 0)
        self.songs = tuple(songs)
        self.size = 0  # its bytes in the backlog (counted as it is kept)
        self.lost = False  # given up (counted in StoreStats.failed_writes)

#: The first 16 bytes of every SQLite database.
_SQLITE_MAGIC = b"SQLite format 3\x00"


def _foreign_tables(version: int, tables) -> list[str]:
    """The tables no SongCal store of layout ``version`` holds (sorted): any makes the
    database another program's, never to be dropped into a store or migrated."""
    known = _LAYOUT_1_TABLES if version == 0 else _STORE_TABLES
    return sorted(t for t in set(tables) - known
                  if not t.startswith("sqlite_"))  # SQLite's own (sqlite_stat1 ...)


def layout_problem(version: int, tables) -> str | None:
    """Why a database of layout ``version`` (``PRAGMA user_version``) holding ``tables``
    cannot be used as a session store, or None: another program's database (a table no
    SongCal layout has), or a store written by a newer SongCal (a layout above
    :data:`SCHEMA_VERSION`)."""
    foreign = _foreign_tables(version, tables)
    if foreign:
        from core.io.outputs import printable

        shown = ", ".join(map(printable, foreign[:5])) + (f" and {len(foreign) - 5} more" if len(foreign) > 5
                                          else "")
        return (f"the file is not a SongCal session store: another program's database "
                f"(tables {shown})")
    if version > SCHEMA_VERSION:
        return (f"the file was written by a newer SongCal (store layout {version}; this one "
                f"reads layouts up to {SCHEMA_VERSION})")
    return None


def unusable_store(path, *, timeout_s: float = 0.25) -> str | None:
    """Why the existing SQLite database ``path`` cannot be used as a session store, or None
    (it can, or it could not be read now: a store another process holds is found out, and
    waited for, when it is opened).  Read-only, without creating or changing any file: the
    layout version (``PRAGMA user_version``) and the names of the tables.

    A database with a table no SongCal layout has is another program's; one whose layout is
    newer than :data:`SCHEMA_VERSION` was written by a newer SongCal."""
    from urllib.parse import quote

    uri = "file:" + quote(os.path.abspath(os.fsdecode(path))) + "?mode=ro"
    try:
        db = sqlite3.connect(uri, uri=True, timeout=timeout_s, isolation_level=None)
    except sqlite3.Error:
        return None
    try:
        version = db.execute("PRAGMA user_version").fetchone()[0]
        tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    except sqlite3.Error:  # locked, damaged: said when the store is opened
        return None
    finally:
        db.close()
    return layout_problem(version, tables)


def read_only_problem(path) -> str | None:
    """What keeps the session store ``path`` from being written, in words that say what to
    do, or None: the file is read-only (its mode has no write bit, as the output checks
    have it, or this user may not write it), or its folder is (SQLite creates its journal,
    ``-wal`` and ``-shm``, beside the store; SQLite itself only said "attempt to write a
    readonly database" or "unable to open database file")."""
    if path is None or os.fspath(path) == ":memory:":
        return None
    path = os.path.abspath(os.fsdecode(path))
    folder = os.path.dirname(path)
    try:
        st = os.stat(path)
    except OSError:
        st = None
    if st is not None and (not st.st_mode & 0o222 or not os.access(path, os.W_OK)):
        return ("the file is read-only, so nothing can be kept in it; make it writable (or "
                "choose another store file)")
    if os.path.isdir(folder) and not os.access(folder, os.W_OK):
        name = os.path.basename(path)
        return (f"its folder {folder} is read-only, and SQLite needs to create its journal "
                f"({name}-wal, {name}-shm) beside the store; make the folder writable (or "
                "choose a store file in another folder)")
    return None


@dataclass
class StoreStats:
    """What the store did during a run (read them after :meth:`ResultStore.close`)."""

    #: Songs served from the store.
    hits: int = 0
    #: Results written.
    saved: int = 0
    #: Writes (results or sessions) lost: still refused when the store was closed, found no
    #: room in the backlog, or refused for good (the store file removed or replaced).
    failed_writes: int = 0
    #: Writes the database refused at first and took later (from the backlog).
    late: int = 0
    #: Cached rows that could not be read back and were dropped.
    dropped: int = 0
    #: Songs whose file changed while they were analyzed (their result was not stored).
    changed: int = 0


def data_dir() -> str:
    """The user data folder of SongCal (created when missing); see :func:`core.paths.data_dir`."""
    return paths.data_dir()


def default_store_path() -> str:
    """``results.sqlite`` in :func:`data_dir`."""
    return os.path.join(data_dir(), "results.sqlite")


def _retryable(err: Exception) -> bool:
    text = str(err).lower()
    return isinstance(err, sqlite3.OperationalError) and any(
        w in text for w in ("locked", "busy", "full", "disk i/o", "unable to open"))


def _held_by_another(err: Exception) -> bool:
    """True for a database another connection holds (worth waiting for while opening);
    a full disk or a failing one is not waited for then: the window opens at once and
    says the list is not kept, instead of appearing 20 s later with the same news."""
    text = str(err).lower()
    return isinstance(err, sqlite3.OperationalError) and any(
        w in text for w in ("locked", "busy"))


def _upgrade(db: sqlite3.Connection, statements) -> None:
    """Run ``statements`` and stamp the current layout version, all or nothing."""
    with immediate_transaction(db):
        for statement in statements:
            db.execute(statement)
        db.execute(f"PRAGMA user_version={SCHEMA_VERSION}")


class ResultStore(SessionRecords, LibraryLists):
    """SQLite store of song results and batch sessions; safe to share between threads.

    Parameters
    ----------
    path : str or os.PathLike, optional
        Database file (default: :func:`default_store_path`); ``":memory:"`` for a
        throw-away store.
    busy_timeout_s : float, optional
        How long one SQLite call waits for a lock held elsewhere (s).
    retry_s : float, optional
        How long a write is retried (with back-off) before it is kept in the backlog (s);
        while the backlog holds writes, its oldest gets one short try (``busy_timeout_s``)
        at a time, and later writes wait behind it.
    ack_timeout_s : float, optional
        How long :func:`cached` waits for a result to be on disk before handing it on (s).
    session_timeout_s : float, optional
        How long :meth:`begin_session` and :meth:`end_session` wait for their write (s).
    max_backlog_bytes : int, optional
        The most refused writes held in memory (:data:`MAX_BACKLOG_BYTES`).
    catch_up_s : float, optional
        How often the backlog is tried while nothing else is written (:data:`CATCH_UP_S`).
    max_catch_up_s : float, optional
        The longest wait between two tries of the backlog while the database refuses writes
        for another reason than another process holding it (:data:`MAX_CATCH_UP_S`).

    Raises
    ------
    StoreError
        When the database cannot be opened (not a database, no permission, locked for
        longer than ``retry_s``).
    """

    def __init__(self, path=None, *, busy_timeout_s: float = 0.25, retry_s: float = 20.0,
                 ack_timeout_s: float = 2.0, session_timeout_s: float = 3.0,
                 max_backlog_bytes: int = MAX_BACKLOG_BYTES, catch_up_s: float = CATCH_UP_S,
                 max_catch_up_s: float = MAX_CATCH_UP_S):
        self.path = os.fspath(path) if path is not None else default_store_path()
        self.busy_timeout_s = float(busy_timeout_s)
        self.retry_s = float(retry_s)
        self.ack_timeout_s = float(ack_timeout_s)
        self.session_timeout_s = float(session_timeout_s)
        self.max_backlog_bytes = int(max_backlog_bytes)
        self.catch_up_s = float(catch_up_s)
        self.max_catch_up_s = max(self.catch_up_s, float(max_catch_up_s))
        self.stats = StoreStats()
        # Refused writes, oldest first, and what they hold (read by backlog()).
        self._backlog: collections.deque[_Write] = collections.deque()
        self._backlog_lock = threading.Lock()
        self._backlog_bytes = 0
        self._backlog_cache = 0
        self._backlog_session: collections.Counter = collections.Counter()
        self._overflow_told = False
        self._next_try = 0.0  # when a new write may try the backlog again
        self._idle_try = 0.0  # when the backlog is tried again while nothing is written
        self._wait = self.catch_up_s  # the wait after the next refusal (doubles: _refused)
        self._current: _Write | None = None  # the write the writer is running
        #: Ids begin_session(late=True) handed on before the record was written -> the
        #: list its write fills with the real id.
        self._late_sessions: dict[int, list[int]] = {}
        #: The first problem met (plain words), or None.
        self.problem: str | None = None
        self._lock = threading.Lock()
        self._queue: queue.Queue = queue.Queue()
        self._writer: threading.Thread | None = None
        self._healthy = True
        self._closed = False
        self._give_up_at: float | None = None  # set by close(): no retry past it
        self._stuck_since: float | None = None  # when the write now retrying first failed
        read_only = read_only_problem(self.path) if os.path.exists(self.path) else None
        if read_only and read_only.startswith("the file"):  # SQLite opens it, to fail
            raise StoreError(self.path, read_only, read_only=True)
        try:
            if self.path != ":memory:":
                os.makedirs(os.path.dirname(os.path.abspath(self.path)), exist_ok=True)
            self._db = sqlite3.connect(self.path, check_same_thread=False,
                                       timeout=self.busy_timeout_s, isolation_level=None)
        except (sqlite3.Error, OSError) as err:
            raise StoreError(self.path, f"cannot be opened ({err})") from None
        try:
            self._retry(self._prepare, time.monotonic() + self.retry_s,
                        retryable=_held_by_another)
        except sqlite3.Error as err:
            self._db.close()
            why = _plain(err, self.path)
            raise StoreError(self.path, why, newer=getattr(err, "newer", False),
                             read_only="read-only" in why) from None
        # Reads (a cache hit, the window's list) have a connection and a lock of their own:
        # the writer holds its lock while SQLite waits for a database another process
        # holds (busy_timeout_s a try), and a lookup must not wait behind that.  In WAL
        # mode a read never waits for a write.  A throw-away store in memory has one
        # connection (a second would be another database); nobody else can hold it.
        if self.path == ":memory:":
            self._rdb, self._read_lock = self._db, self._lock
        else:
            try:
                self._rdb = sqlite3.connect(self.path, check_same_thread=False,
                                            timeout=self.busy_timeout_s, isolation_level=None)
                self._rdb.execute("PRAGMA query_only=ON")
            except sqlite3.Error as err:
                self._db.close()
                raise StoreError(self.path, _plain(err)) from None
            self._read_lock = threading.Lock()
        #: Why the file at the path is no longer this store's (removed, replaced), or "".
        self._gone = ""
        #: The tag of the sessions this store holds (a window's list, a batch), so that
        #: another process does not take them while it is open
        #: (:func:`core.batch.store_sessions.owner_in_use`).
        self.owner = new_owner()
        self._count_sessions()

    def _count_sessions(self) -> None:
        """Queue one write per list whose counts are not known yet (a store written
        before they were kept, :mod:`core.batch.store_counts`): each is counted on the
        writer, in its turn, and read the old way until then."""
        try:
            with self._lock:
                sids = uncounted_lists(self._db)
        except sqlite3.Error as err:  # counted at the next start; read the old way now
            log.info("session store %s: the lists are not counted now (%s)", self.path, err)
            return
        for sid in sids:
            self._submit(lambda sid=sid: self._count(sid), "count a list's songs")

    def _count(self, sid: int) -> None:
        """Count list ``sid`` (on the writer), one try: a count the database refuses (held
        by another process, a full disk) is no result lost, nor a problem to report; the
        list is read the old way, and counted at the next start."""
        try:
            count_session(self._db, sid)
        except sqlite3.Error as err:
            log.info("session store %s: list %d not counted now (%s)", self.path, sid, err)

    def _removed(self) -> str:
        """Why the store file is no longer the database this store writes into, or "":
        removed (a data folder cleaned, the file moved away) or replaced by a file that is
        not an SQLite database (a sync tool's copy, a stray write) while this store had it
        open: SQLite goes on writing into the old file, where nothing is kept for a resume.
        Only a missing file or a foreign first 16 bytes count (an inode number is not
        stable on every network share)."""
        if not self._gone and self.path != ":memory:":
            try:
                with open(self.path, "rb") as fh:
                    head = fh.read(16)
            except FileNotFoundError:
                self._gone = ("the file was removed while the batch ran; what was written "
                              "since is lost with it")
            except OSError:
                pass
            else:
                if head != _SQLITE_MAGIC:
                    self._gone = ("the file was replaced by a file that is not a session "
                                  "store while the batch ran; what was written since is "
                                  "lost, and the file is left as it is")
        return self._gone

    # -- set-up ---------------------------------------------------------------------------
    def _prepare(self) -> None:
        db = self._db
        # The layout is read before anything is set: switching a database to WAL mode
        # rewrites its header, and another program's database or a newer SongCal's store
        # is left as it was, byte for byte.
        version = db.execute("PRAGMA user_version").fetchone()[0]
        why = layout_problem(version, [r[0] for r in db.execute(
            "SELECT name FROM sqlite_master WHERE type='table'")])
        if why:  # never dropped, migrated or converted
            raise _Unusable(f"{why}; choose another file",
                            newer=version > SCHEMA_VERSION and "newer SongCal" in why)
        if self.path != ":memory:":
            db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")
        db.execute("PRAGMA foreign_keys=ON")
        if version == 2:
            _upgrade(db, _MIGRATE_2_TO_3)
        elif version < SCHEMA_VERSION:  # an early layout: started afresh
            _upgrade(db, [*(f"DROP TABLE IF EXISTS {t}"
                            for t in ("results", "session_songs", "sessions")),
                          *filter(str.strip, _SCHEMA.split(";"))])
        missing = [(table, column, kind) for table, column, kind in _LATER_COLUMNS
                   if column not in {r[1] for r in db.execute(f"PRAGMA table_info({table})")}]
        if missing:
            with immediate_transaction(db):
                for table, column, kind in missing:
                    db.execute(f"ALTER TABLE {table} ADD COLUMN {column} {kind}")
        add_counts(db)  # each session's counts (core.batch.store_counts)

    def _retry(self, fn, deadline: float, *, retryable=_retryable):
        """Run ``fn()`` under the lock, retrying busy or full databases (the errors
        ``retryable`` accepts) until ``deadline``."""
        delay = 0.05
        try:
            while True:
                try:
                    with self._lock:
                        return fn()
                except sqlite3.Error as err:
                    now = time.monotonic()
                    if self._stuck_since is None:
                        self._stuck_since = now
                    stop = (deadline if self._give_up_at is None
                            else min(deadline, self._give_up_at))
                    if not retryable(err) or now + delay > stop:
                        raise
                time.sleep(delay)
                delay = min(1.0, delay * 2)
        finally:
            self._stuck_since = None

    @contextlib.contextmanager
    def _reading(self):
        """The reading connection, under the readers' lock, its statements seeing one state
        of the database (a read transaction: the writer may write between them)."""
        with self._read_lock:
            db = self._rdb
            if db is self._db:  # in memory: the writer's lock is held
                yield db
                return
            db.execute("BEGIN")
            try:
                yield db
            finally:
                if db.in_transaction:
                    db.execute("COMMIT")

    @property
    def healthy(self) -> bool:
        """False while refused writes wait in the backlog, once a write was lost (until a
        later one succeeds), or while a write has been retrying for longer than
        ``ack_timeout_s``: then nobody waits for it."""
        stuck = self._stuck_since
        return (self._healthy and not self._backlog and not self._closed
                and (stuck is None or time.monotonic() - stuck < self.ack_timeout_s))

    def backlog(self) -> dict:
        """The refused writes waiting for the database: ``{"writes", "songs", "bytes"}``
        (``songs``: how many songs' results they hold; a song of the window's list counts
        once, though it is written both as a cached result and as the list's)."""
        with self._backlog_lock:
            return {"writes": len(self._backlog),
                    "songs": max(self._backlog_cache, len(self._backlog_session)),
                    "bytes": self._backlog_bytes}

    def next_try_in(self) -> float | None:
        """Seconds until the writer tries the refused writes again on its own (0 when the
        try is due or running), or None when none wait.  The wait grows up to
        ``max_catch_up_s`` while the database keeps refusing them (:meth:`_refused`)."""
        if not self._backlog or self._closed:
            return None
        return max(0.0, self._idle_try - time.monotonic())

    def try_now(self) -> threading.Event | None:
        """Ask the writer to try the refused writes at once, without waiting for it (the
        returned event is set once it tried); None when none wait.  A try the database
        refuses again sets the next wait as one the writer made itself would."""
        if not self._backlog or self._closed:
            return None
        return self._submit(lambda: None, "flush")

    @property
    def waiting(self) -> bool:
        """True while writes wait for a database that refuses them: kept in the backlog, or
        retried, or queued behind one, for longer than ``ack_timeout_s``."""
        return bool(self._backlog) or (not self.healthy and self._current is not None)

    def unwritten_songs(self) -> int:
        """How many songs' results are not written yet: in the backlog, being written, or
        queued (a song of the window's list counts once)."""
        with self._queue.mutex:
            items = [i for i in self._queue.queue if i is not _STOP]
        with self._backlog_lock:
            items += self._backlog
        current = self._current
        if current is not None:
            items.append(current)
        cache, session = 0, set()
        for item in items:
            for song in item.songs:
                if song[0] == "cache":
                    cache += 1
                else:
                    session.add(song)
        return max(cache, len(session))

    def _report(self, what: str, err: Exception) -> None:
        message = f"{what}: {_plain(err, self.path)}"
        if self.problem is None:
            self.problem = message
            log.warning("session store %s: %s", self.path, message)
        else:
            log.info("session store %s: %s", self.path, message)

    # -- the writer -----------------------------------------------------------------------
    def _submit(self, fn, what: str, **kw) -> threading.Event:
        """Queue ``fn`` for the writer; the returned event is set once it ran, was kept in
        the backlog, or was lost.  ``kw``: see :class:`_Write`."""
        return self._submit_write(fn, what, **kw)[1]

    def _submit_write(self, fn, what: str, **kw) -> tuple[_Write, threading.Event]:
        """:meth:`_submit`, also handing on the write (its ``lost`` says whether it was
        given up)."""
        write = _Write(fn, what, **kw)
        if self._closed:
            self._lose(write)
            write.done.set()
            return write, write.done
        with self._lock:
            if self._writer is None:
                self._writer = threading.Thread(target=self._write_loop, daemon=True,
                                                name="songcal-store-writer")
                self._writer.start()
        done = write.done  # (the writer lets go of it once written, maybe before put returns)
        self._queue.put(write)
        return write, done

    def _closing_late(self) -> bool:
        give_up = self._give_up_at
        return give_up is not None and time.monotonic() > give_up

    def _write_loop(self) -> None:
        while True:
            try:
                item = self._queue.get(timeout=max(0.0, self._idle_try - time.monotonic())
                                       if self._backlog else None)
            except queue.Empty:  # nothing to write: the backlog is tried again
                self._catch_up(time.monotonic() + self.busy_timeout_s)
                continue
            if item is _STOP:
                self._catch_up(self._give_up_at, final=True)
                return
            self._current = item
            try:
                self._write(item)
            finally:
                self._current = None
                item.done.set()
                item.done = None  # its caller holds it; a write kept in the backlog need not

    def _write(self, item: _Write) -> None:
        if item.what == "flush":
            if self._backlog and not self._closing_late():
                self._catch_up(time.monotonic() + self.busy_timeout_s)
            return
        # Behind refused writes, a new write first tries them again, at most every quarter
        # of catch_up_s (a database another process holds costs busy_timeout_s a try, and
        # songs finishing faster than that must not pile up in the queue), or after the
        # growing wait of another kind of refusal (_refused).
        if (self._backlog and not self._closing_late()
                and time.monotonic() >= self._next_try):
            self._catch_up(time.monotonic() + self.busy_timeout_s)
        if self._backlog or (not self._healthy and self._closing_late()):
            # behind refused writes (kept in order), or closing past its timeout with the
            # database still refusing: not tried, so close() keeps its timeout
            self._keep(item)
            return
        budget = self.retry_s if self._healthy else self.busy_timeout_s
        try:
            self._run(item, time.monotonic() + budget)
        except Exception as err:  # the store may fail; the batch must not
            self._report(f"could not {item.what}", err)
            if _retryable(err):
                self._keep(item)
                if self._backlog:
                    self._refused(err)
            else:
                self._lose(item)
        else:
            self._healthy = True

    def _run(self, item: _Write, deadline: float) -> None:
        self._retry(item.fn, deadline)
        gone = self._removed()
        if gone:
            raise _Removed(gone)

    def _keep(self, item: _Write) -> None:
        """Keep a refused write at the end of the backlog, or lose it when it may not be
        kept (its caller gave up on it, the store is closing past its timeout) or finds no
        room."""
        if not item.keep or self._closing_late():
            self._lose(item)
            return
        weight = item.weight() + WRITE_OVERHEAD_BYTES
        item.weight = None
        if self._backlog_bytes + weight > self.max_backlog_bytes:
            if not self._overflow_told:
                self._overflow_told = True
                log.warning("session store %s: %d refused writes (%.1f MB) wait for the "
                            "database; later ones are not kept", self.path,
                            len(self._backlog), self._backlog_bytes / 1e6)
            self._lose(item)
            return
        with self._backlog_lock:
            self._backlog.append(item)
            self._backlog_bytes += weight
            for song in item.songs:
                if song[0] == "cache":
                    self._backlog_cache += 1
                else:
                    self._backlog_session[song] += 1
        item.size = weight

    def _lose(self, item: _Write) -> None:
        item.lost = True
        self._healthy = False
        self.stats.failed_writes += 1

    def _refused(self, err: Exception) -> None:
        """When the backlog is tried again after the database refused a write with ``err``:
        while another process holds it, before a new write at most every quarter of
        ``catch_up_s`` (a try costs busy_timeout_s) and every ``catch_up_s`` while nothing
        else is written; for any other refusal (a full disk, a failing one) the wait
        doubles at each refusal up to ``max_catch_up_s``, for new writes too."""
        now = time.monotonic()
        if _held_by_another(err):
            self._wait = self.catch_up_s
            self._next_try = now + self.catch_up_s / 4
            self._idle_try = now + self.catch_up_s
            return
        self._next_try = self._idle_try = now + self._wait
        self._wait = min(self.max_catch_up_s, self._wait * 2)

    def _pop(self) -> _Write:
        with self._backlog_lock:
            item = self._backlog.popleft()
            self._backlog_bytes -= item.size
            for song in item.songs:
                if song[0] == "cache":
                    self._backlog_cache -= 1
                else:
                    self._backlog_session[song] -= 1
                    if self._backlog_session[song] <= 0:
                        del self._backlog_session[song]
        return item

    def _catch_up(self, deadline: float | None, *, final: bool = False) -> None:
        """Write the backlog, oldest first, until the database refuses one again (tried
        until ``deadline``); ``final``: what is still refused then is lost."""
        deadline = time.monotonic() if deadline is None else deadline
        while self._backlog:
            item = self._backlog[0]
            try:
                self._run(item, deadline)
            except Exception as err:
                if _retryable(err) and not final:
                    self._refused(err)
                    return
                if _retryable(err):  # closing, past its timeout: none of them is tried
                    log.info("session store %s: %d write(s) still refused at the close "
                             "are lost (%s)", self.path, len(self._backlog), _plain(err))
                    while self._backlog:
                        self._lose(self._pop())
                    return
                self._pop()
                self._lose(item)
                self._report(f"could not {item.what}", err)
                continue
            self._pop()
            self.stats.late += 1
            self._healthy = True
            self._wait = self.catch_up_s
            if not self._backlog:
                log.info("session store %s: takes writes again; every refused write is "
                         "written", self.path)

    def flush(self, timeout: float | None = None) -> bool:
        """Wait until every queued write ran or was kept in the backlog (which is tried
        once more first); True when all did within ``timeout`` (s).  :meth:`backlog` says
        what still waits for the database."""
        return self._submit(lambda: None, "flush").wait(timeout)

    def close(self, timeout: float = 5.0) -> None:
        """Finish queued writes and the backlog (retrying refused ones until ``timeout`` s
        have passed) and close.

        Writes still pending or refused after ``timeout`` are lost, and counted in
        :attr:`stats` (``failed_writes``).
        """
        if self._closed:
            return
        self._give_up_at = time.monotonic() + timeout
        self._closed = True
        forget_owner(self.owner)
        writer = self._writer
        if writer is not None:
            self._queue.put(_STOP)
            writer.join(timeout + 1.0)
            if writer.is_alive():  # pragma: no cover - a write stuck in SQLite itself
                self._report("close", TimeoutError("writes still pending at exit"))
                return
        while True:  # anything queued after the stop marker
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                break
            if item is not _STOP:
                self._lose(item)
                item.done.set()
        with self._lock:
            self._let_go()
            self._db.close()
        if self._rdb is not self._db:
            with self._read_lock:
                self._rdb.close()

    def _let_go(self) -> None:
        """At the close: the sessions this store holds are free for the next start, and a
        library keeps the moment it was last used (the list closed last comes back first).
        One try, nothing counted when it fails: a store that is not open is not holding
        anything anyway (:func:`core.batch.store_sessions.owner_in_use`)."""
        if self._gone or self.path == ":memory:":
            return
        try:
            self._db.execute(
                "UPDATE sessions SET owner=NULL, used=CASE WHEN kind='library' THEN ? ELSE "
                "used END WHERE owner=?", (time.time(), self.owner))
        except sqlite3.Error as err:
            log.info("session store %s: its sessions stay marked as this process's (%s)",
                     self.path, err)

    # -- results --------------------------------------------------------------------------
    def lookup(self, fingerprint: str, settings_fp: str) -> SongResult | None:
        """The stored result for this content and these settings, or None.

        A row that cannot be read back is dropped (and counted); a store that cannot be
        read gives None (and its problem is reported once).
        """
        try:
            with self._reading() as db:
                row = db.execute(
                    "SELECT result FROM cache WHERE fingerprint=? AND settings=?",
                    (fingerprint, settings_fp)).fetchone()
        except sqlite3.Error as err:
            self._report("could not read a stored result", err)
            return None
        if row is None:
            return None
        try:
            return _decode(row[0])
        except (ValueError, TypeError, AttributeError) as err:
            self.stats.dropped += 1
            log.warning("dropping a damaged stored result (%s); the song is analyzed again",
                        err)
            self._submit(lambda: self._db.execute(
                "DELETE FROM cache WHERE fingerprint=? AND settings=?",
                (fingerprint, settings_fp)), "drop a damaged result")
            return None

    def save(self, result: SongResult, settings_fp: str, fingerprint: str) -> threading.Event:
        """Queue a finished song for writing (only ``done`` results are kept).

        The user's corrections (:data:`core.io.results.USER_COLUMNS`) are left out: they are
        the user's word on one song of one list, and what is kept here is served to any
        file with the same content, in any later list (a result of a cluster is stored
        once the batch has given it the corrections of the song's earlier result).

        Returns an event set once the write ran (or was given up).
        """
        done = threading.Event()
        if getattr(result, "status", None) != "done":
            done.set()
            return done
        try:
            text = _encode(dataclasses.replace(result, **dict.fromkeys(USER_COLUMNS)))
        except (TypeError, ValueError) as err:  # an odd result: analyzed, just not kept
            self.stats.failed_writes += 1
            self._report("could not store a result", err)
            done.set()
            return done

        def write():
            self._db.execute("INSERT OR REPLACE INTO cache VALUES (?, ?, ?, ?)",
                             (fingerprint, settings_fp, time.time(), text))
            self.stats.saved += 1

        return self._submit(write, "save a result", weight=lambda: len(text),
                            songs=[("cache", fingerprint, settings_fp)])


class _Unusable(sqlite3.DatabaseError):
    """The database is not one this SongCal may use as its store (its words are final);
    ``newer``: it is the store of a newer SongCal.

    Raised as it is made, never kept in a local variable first: the raising frame would
    hold the error, and the error's traceback the frame and every caller's (the window
    opening the store) in a reference cycle that only the garbage collector frees.
    """

    def __init__(self, message: str, *, newer: bool = False):
        super().__init__(message)
        self.newer = newer


class _Removed(Exception):
    """The store file is no longer at its path (a write went into a removed file)."""


def _plain(err: Exception, path=None) -> str:
    text = str(err) or type(err).__name__
    if isinstance(err, _Unusable):
        return text
    low = text.lower()
    if "readonly" in low or "read-only" in low or "unable to open" in low:
        why = read_only_problem(path)
        if why:
            return f"{why} ({text})"
    if "not a database" in low or "malformed" in low:
        return (f"the file is damaged or not a SongCal store ({text}); remove it or choose "
                "another one")
    if "locked" in low or "busy" in low:
        return f"another program holds the database ({text})"
    if "full" in low:
        return f"the disk is full ({text})"
    return text


from core.batch.cache import cached, content_fingerprint  # noqa: E402  (re-exported)
