"""SQLite files for the tests of the session store's guards: SongCal's own layouts, a newer
SongCal's store, another program's database."""

from __future__ import annotations

import sqlite3

#: The tables of SongCal's store (layouts 2 and 3).
STORE_TABLES = ("cache", "sessions", "session_songs", "session_results")


def write_database(path, version: int, tables=STORE_TABLES, *, row: str | None = "keep me"):
    """An SQLite database at ``path`` of layout ``version`` (``PRAGMA user_version``) with
    ``tables`` of one text column, each holding ``row`` (none when None); returns its
    bytes, for a test to check it is left as it was."""
    db = sqlite3.connect(path)
    try:
        for table in tables:
            db.execute(f"CREATE TABLE {table} (x TEXT)")
            if row is not None:
                db.execute(f"INSERT INTO {table} VALUES (?)", (row,))
        db.execute(f"PRAGMA user_version={int(version)}")
        db.commit()
    finally:
        db.close()
    with open(path, "rb") as fh:
        return fh.read()
