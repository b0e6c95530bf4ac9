"""What keeping each list's counts costs the session store's writer
(:mod:`core.batch.store_counts`).

Two measures:

* the triggers, per song: the writer's own statements (a list's songs inserted, its results
  inserted, then replaced, then the songs and results deleted as Remove from List does),
  timed on a store with the triggers and on the same store without them, best of
  ``--repeat`` (the two stores taken in turns); the difference divided by the songs is the triggers' cost (µs per song);
* the one count of a store written before the counts were kept: ``--songs`` songs with a
  result each, in lists of 20,000, the columns and triggers then removed; the time to open
  it (columns and triggers added) and for the writer to count every list, per 100,000
  songs.

Run from the repository root::

    python -m benchmarks.store_counts                   # 20,000 songs, 100,000 to count
    python -m benchmarks.store_counts --songs 200000
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import sqlite3
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _result_text(i: int, status: str) -> str:
    from core.io.results import SongResult

    result = SongResult(path=f"/music/song{i:06d}.wav", status=status, bpm=120.0,
                        key="A minor", loudness_lufs=-9.0)
    return json.dumps(dataclasses.asdict(result), ensure_ascii=True)


def _writes(db: sqlite3.Connection, sid: int, songs: int) -> dict[str, float]:
    """The writer's statements on list ``sid``, each step timed (s)."""
    paths = [(sid, i, os.fsencode(f"/music/song{i:06d}.wav")) for i in range(songs)]
    first = [(sid, i, _result_text(i, "failed" if i % 10 == 0 else "done"))
             for i in range(songs)]
    again = [(sid, i, _result_text(i, "done")) for i in range(songs)]
    steps = {
        "songs inserted": lambda: db.executemany(
            "INSERT INTO session_songs VALUES (?, ?, ?)", paths),
        "results inserted": lambda: db.executemany(
            "INSERT OR REPLACE INTO session_results VALUES (?, ?, ?)", first),
        "results replaced": lambda: db.executemany(
            "INSERT OR REPLACE INTO session_results VALUES (?, ?, ?)", again),
        "songs removed": lambda: [db.executemany(
            f"DELETE FROM {table} WHERE session={sid} AND idx=?",
            [(i,) for i in range(songs)]) for table in ("session_results", "session_songs")],
    }
    took = {}
    for name, step in steps.items():
        t0 = time.perf_counter()
        db.execute("BEGIN IMMEDIATE")
        step()
        db.execute("COMMIT")
        took[name] = time.perf_counter() - t0
    return took


def _trigger_cost(folder: str, songs: int, repeat: int) -> None:
    from core.batch.store import ResultStore
    from core.batch.store_counts import TRIGGERS

    dbs = {}
    for label in ("with triggers", "without"):
        path = os.path.join(folder, f"{label.replace(' ', '_')}.sqlite")
        ResultStore(path).close()
        db = dbs[label] = sqlite3.connect(path, isolation_level=None)
        db.execute("PRAGMA synchronous=NORMAL")
        db.execute("PRAGMA foreign_keys=ON")
        if label == "without":
            for name in TRIGGERS:
                db.execute(f"DROP TRIGGER {name}")
    best: dict[str, dict[str, float]] = {}
    for _ in range(repeat):  # taken in turns, so a busy moment of the machine hits both
        for label, db in dbs.items():
            sid = db.execute("INSERT INTO sessions (created, settings, kind) VALUES "
                             "(0, '{}', 'library')").lastrowid
            for step, took in _writes(db, sid, songs).items():
                kept = best.setdefault(label, {})
                kept[step] = min(took, kept.get(step, took))
    for db in dbs.values():
        db.close()
    print(f"writer statements for {songs} songs (best of {repeat}), µs per song:")
    for step in best["without"]:
        with_t, without = best["with triggers"][step], best["without"][step]
        print(f"  {step:17s} {with_t / songs * 1e6:6.1f} with triggers, "
              f"{without / songs * 1e6:6.1f} without: +{(with_t - without) / songs * 1e6:.1f}")
    total = sum(best["with triggers"].values()) - sum(best["without"].values())
    print(f"  the triggers cost {total / songs * 1e6:.1f} µs per song over the four steps")


def _count_cost(folder: str, songs: int) -> None:
    from core.batch.store import ResultStore
    from core.batch.store_counts import COUNT_COLUMNS, TRIGGERS

    path = os.path.join(folder, "older.sqlite")
    store = ResultStore(path, session_timeout_s=600)
    per_list = 20000
    for start in range(0, songs, per_list):
        n = min(per_list, songs - start)
        sid = store.begin_session([f"/music/{start}/{i}.wav" for i in range(n)], {},
                                  kind="library", running=False)
        rows = [(sid, i, _result_text(i, "done")) for i in range(n)]
        store._submit(lambda rows=rows: store._db.executemany(
            "INSERT INTO session_results VALUES (?, ?, ?)", rows), "save")
    store.flush(600)
    store.close(600)
    db = sqlite3.connect(path, isolation_level=None)
    for name in TRIGGERS:
        db.execute(f"DROP TRIGGER {name}")
    for column in COUNT_COLUMNS:
        db.execute(f"ALTER TABLE sessions DROP COLUMN {column}")
    db.close()
    t0 = time.perf_counter()
    store = ResultStore(path, session_timeout_s=600)
    opened = time.perf_counter() - t0
    store.flush(600)
    counted = time.perf_counter() - t0 - opened
    lists = store.list_libraries()
    store.close()
    assert sum(e["songs"] for e in lists) == songs
    print(f"a store written before the counts ({songs} songs, {len(lists)} lists): opened "
          f"in {opened * 1000:.0f} ms, counted on the writer in {counted * 1000:.0f} ms, "
          f"{counted / songs * 1e5 * 1000:.0f} ms per 100,000 songs")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--songs", type=int, default=20000,
                        help="songs of the list the triggers are timed on")
    parser.add_argument("--count", type=int, default=100000,
                        help="songs of the older store counted once")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as folder:
        if args.songs > 0:
            _trigger_cost(folder, args.songs, args.repeat)
        if args.count > 0:
            _count_cost(folder, args.count)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
