"""The session store: every finished song saved at once, in SQLite.

Two jobs: a cache (a file that has not changed since it was analyzed with the same analysis
settings is not analyzed again unless fresh analysis is forced), and crash safety (each
batch is recorded as a session with its songs; a session that never ended can be resumed
at the next start, and every result that was shown as done is already on disk).

The database lives in the user data folder (``$SONGCAL_DATA_DIR``, else
``$XDG_DATA_HOME/songcal``, else ``~/.local/share/songcal``; ``%LOCALAPPDATA%\\SongCal``
on Windows, ``~/Library/Application Support/SongCal`` on macOS).
"""

from __future__ import annotations

import dataclasses
import json
import os
import sqlite3
import threading
import time

from core import paths
from core.io.results import ChunkResult, SongResult

__all__ = ["ResultStore", "data_dir", "file_signature", "cached"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS results (
    path TEXT NOT NULL, size INTEGER NOT NULL, mtime_ns INTEGER NOT NULL,
    settings TEXT NOT NULL, saved REAL NOT NULL, result TEXT NOT NULL,
    PRIMARY KEY (path, settings));
CREATE TABLE IF NOT EXISTS sessions (
    id INTEGER PRIMARY KEY AUTOINCREMENT, created REAL NOT NULL, ended REAL,
    settings TEXT NOT NULL, reference TEXT);
CREATE TABLE IF NOT EXISTS session_songs (
    session INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    idx INTEGER NOT NULL, path TEXT NOT NULL, PRIMARY KEY (session, idx));
"""


def data_dir() -> str:
    """The user data folder of SongCal (created when missing); see :func:`core.paths.data_dir`."""
    return paths.data_dir()


def file_signature(path: str) -> tuple[int, int] | None:
    """(size, mtime in ns) of a file, or None when it cannot be read."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_size, st.st_mtime_ns


def _encode(result: SongResult) -> str:
    return json.dumps(dataclasses.asdict(result))


def _decode(text: str) -> SongResult:
    data = json.loads(text)
    chunks = [ChunkResult(**c) for c in data.pop("chunk_results", [])]
    names = {f.name for f in dataclasses.fields(SongResult)}
    return SongResult(**{k: v for k, v in data.items() if k in names}, chunk_results=chunks)


class ResultStore:
    """SQLite store of song results and batch sessions; safe to share between threads.

    Parameters
    ----------
    path : str, optional
        Database file (default: ``results.sqlite`` in :func:`data_dir`); ``":memory:"`` for
        a throw-away store.
    """

    def __init__(self, path: str | None = None):
        self.path = path or os.path.join(data_dir(), "results.sqlite")
        self._lock = threading.Lock()
        self._db = sqlite3.connect(self.path, check_same_thread=False, timeout=10.0)
        with self._lock:
            if self.path != ":memory:":
                self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.execute("PRAGMA foreign_keys=ON")
            self._db.executescript(_SCHEMA)
            self._db.commit()

    def close(self) -> None:
        """Close the database."""
        with self._lock:
            self._db.close()

    # -- results ------------------------------------------------------------------------
    def lookup(self, path: str, settings_fp: str) -> SongResult | None:
        """The stored result of ``path`` if the file is unchanged and the settings match."""
        sig = file_signature(path)
        if sig is None:
            return None
        with self._lock:
            row = self._db.execute(
                "SELECT size, mtime_ns, result FROM results WHERE path=? AND settings=?",
                (os.path.abspath(path), settings_fp)).fetchone()
        if row is None or (row[0], row[1]) != sig:
            return None
        result = _decode(row[2])
        result.path = path
        return result

    def save(self, result: SongResult, settings_fp: str) -> None:
        """Save a finished song (only ``done`` results are cached; others are retried)."""
        if result.status != "done":
            return
        sig = file_signature(result.path)
        if sig is None:
            return
        with self._lock:
            self._db.execute(
                "INSERT OR REPLACE INTO results VALUES (?, ?, ?, ?, ?, ?)",
                (os.path.abspath(result.path), sig[0], sig[1], settings_fp, time.time(),
                 _encode(result)))
            self._db.commit()

    # -- sessions -----------------------------------------------------------------------
    def begin_session(self, paths, settings: dict, reference: str | None = None) -> int:
        """Record a new batch and its songs; returns the session id."""
        with self._lock:
            cur = self._db.execute(
                "INSERT INTO sessions (created, settings, reference) VALUES (?, ?, ?)",
                (time.time(), json.dumps(settings), reference))
            sid = cur.lastrowid
            self._db.executemany("INSERT INTO session_songs VALUES (?, ?, ?)",
                                 [(sid, i, os.fspath(p)) for i, p in enumerate(paths)])
            self._db.commit()
            return sid

    def add_to_session(self, session: int, paths) -> None:
        """Append songs to a session."""
        with self._lock:
            start = self._db.execute("SELECT COUNT(*) FROM session_songs WHERE session=?",
                                     (session,)).fetchone()[0]
            self._db.executemany("INSERT INTO session_songs VALUES (?, ?, ?)",
                                 [(session, start + i, os.fspath(p))
                                  for i, p in enumerate(paths)])
            self._db.commit()

    def end_session(self, session: int) -> None:
        """Mark a batch as ended normally."""
        with self._lock:
            self._db.execute("UPDATE sessions SET ended=? WHERE id=?", (time.time(), session))
            self._db.commit()

    def unfinished_session(self) -> dict | None:
        """The newest session that never ended: ``{"id", "created", "settings", "reference",
        "paths"}``, or None."""
        with self._lock:
            row = self._db.execute(
                "SELECT id, created, settings, reference FROM sessions WHERE ended IS NULL "
                "ORDER BY id DESC LIMIT 1").fetchone()
            if row is None:
                return None
            paths = [r[0] for r in self._db.execute(
                "SELECT path FROM session_songs WHERE session=? ORDER BY idx", (row[0],))]
        return {"id": row[0], "created": row[1], "settings": json.loads(row[2]),
                "reference": row[3], "paths": paths}


def cached(analyze, store: ResultStore, *, force=lambda path: False):
    """Wrap an ``analyze`` function so unchanged files come from ``store``.

    Parameters
    ----------
    analyze : callable
        ``analyze(path, *, settings, progress, should_cancel) -> SongResult``.
    store : ResultStore
        Where results are looked up and saved as each song finishes.
    force : callable
        ``force(path) -> bool``: analyze afresh even when a stored result exists.
    """

    def run(path, *, settings, progress=None, should_cancel=None):
        fp = settings.fingerprint()
        if not force(path):
            hit = store.lookup(path, fp)
            if hit is not None:
                if progress is not None:
                    progress(hit.chunks or 1, hit.chunks or 1, hit.duration_s)
                return hit
        result = analyze(path, settings=settings, progress=progress,
                         should_cancel=should_cancel)
        store.save(result, fp)
        return result

    return run
