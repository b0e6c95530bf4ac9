"""A session store that refuses writes for a whole batch: what its backlog holds in memory,
what it loses past its bound, and how fast it catches up once it takes writes again.

Another connection holds a write transaction (``BEGIN IMMEDIATE``) on a fresh store while
``--songs`` results are saved as the window saves them (each song's cached result and the
list's result) or, with ``--cli``, as ``songcal analyze --session`` does (the cached result
only).  The results are like the analyzer's (every field set, ``--chunks`` chunk values).
Prints, once every result was handed over: the writes kept, the songs they hold, the
backlog's bytes and the memory Python allocated for it (tracemalloc, the results
themselves excluded: the batch holds them anyway), and the writes lost past the bound.
Then lookups are timed for 3 s while the store is still held (its backlog tried once a
second), the hold is released and the time the backlog takes to be written is printed, with
what the next start finds in the store.

Run from the repository root::

    python -m benchmarks.store_backlog                   # 20,000 songs, window-like
    python -m benchmarks.store_backlog --songs 20000 --cli
    python -m benchmarks.store_backlog --songs 5000 --bound-mb 4
"""

from __future__ import annotations

import argparse
import logging
import os
import sqlite3
import sys
import tempfile
import time
import tracemalloc
from functools import partial

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

print = partial(print, flush=True)  # noqa: A001  (in order with the store's log lines)


def result(i: int, n_chunks: int):
    from core.io.results import ChunkResult, SongResult

    return SongResult(
        path=f"/music/Artist {i % 300}/Album {i % 40}/{i:05d} Song title number {i}.flac",
        title=f"Song title number {i}", artist=f"Artist {i % 300}", status="done",
        duration_s=214.5, sample_rate=44100, channels=2, bpm=120.0 + i % 40,
        bpm_confidence=0.82, bpm_alternatives="61.0;122.0;183.0", bpm_weak_pulse=False,
        bpm_varies=False, key="A minor", key_camelot="8A", key_confidence=0.71,
        key_modulating=False, loudness_lufs=-9.4, loudness_range_lu=5.2, peak_dbfs=-0.3,
        energy=0.71, danceability=0.64, valence=0.43, acousticness=0.12,
        dynamic_range_db=8.1, brightness_hz=2210.0, silence_ratio=0.01, time_signature=4,
        chunks=n_chunks, analysis_s=3.2, source="analysis", format="FLAC",
        analyzer="0123456789ab", content=f"{i:032x}", content_at=1.7e9,
        chunk_results=[ChunkResult(c, 30.0 * c, 30.0 * c + 30.0, bpm=120.0, key="A minor")
                       for c in range(n_chunks)])


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--songs", type=int, default=20_000)
    ap.add_argument("--chunks", type=int, default=8)
    ap.add_argument("--cli", action="store_true", help="the command line's writes only")
    ap.add_argument("--bound-mb", type=float, default=None,
                    help="backlog bound (default: the store's, MAX_BACKLOG_BYTES)")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="  (log) %(message)s")

    from core.batch.store import MAX_BACKLOG_BYTES, ResultStore, _encode

    bound = MAX_BACKLOG_BYTES if args.bound_mb is None else int(args.bound_mb * 1024 * 1024)
    results = [result(i, args.chunks) for i in range(args.songs)]
    print(f"{args.songs} songs, one encoded result: {len(_encode(results[0]))} bytes; "
          f"bound {bound / 1024 / 1024:.0f} MiB; "
          f"{'command line (cached result)' if args.cli else 'window (cached + list result)'}")
    with tempfile.TemporaryDirectory() as tmp:
        db = os.path.join(tmp, "store.sqlite")
        store = ResultStore(db, retry_s=0.5, max_backlog_bytes=bound)
        sid = store.begin_session([r.path for r in results], {}, kind="library",
                                  running=False)
        holder = sqlite3.connect(db, isolation_level=None, check_same_thread=False)
        holder.execute("BEGIN IMMEDIATE")
        tracemalloc.start()
        base = tracemalloc.get_traced_memory()[0]
        started = time.monotonic()
        for i, r in enumerate(results):
            store.save(r, "settings", r.content)
            if not args.cli:
                store.save_session_result(sid, i, r)
        store.flush(600)
        handed = time.monotonic() - started
        held = tracemalloc.get_traced_memory()[0] - base
        tracemalloc.stop()
        backlog = store.backlog()
        print(f"handed over in {handed:.1f} s; backlog: {backlog['writes']} writes, "
              f"{backlog['songs']} songs, {backlog['bytes'] / 1e6:.1f} MB counted, "
              f"{held / 1e6:.1f} MB allocated; lost past the bound: "
              f"{store.stats.failed_writes} writes")
        # Lookups (a cache hit, the window's reads) while the backlog is tried once a second
        waits = []
        until = time.monotonic() + 3 * store.catch_up_s + 0.1
        while time.monotonic() < until:
            t0 = time.perf_counter()
            store.lookup(results[0].content, "settings")
            waits.append(time.perf_counter() - t0)
            time.sleep(0.005)
        waits.sort()
        print(f"lookups while held: {len(waits)} in {3 * store.catch_up_s + 0.1:.1f} s, "
              f"median {1000 * waits[len(waits) // 2]:.2f} ms, slowest "
              f"{1000 * waits[-1]:.1f} ms")
        holder.execute("COMMIT")
        holder.close()
        started = time.monotonic()
        store.flush(600)
        while store.backlog()["writes"]:
            time.sleep(0.05)
        caught = time.monotonic() - started
        store.close()
        print(f"released: written in {caught:.1f} s ({store.stats.late} late writes, "
              f"{store.stats.failed_writes} lost)")
        again = ResultStore(db)
        cached = again._db.execute("SELECT COUNT(*) FROM cache").fetchone()[0]
        listed = again._db.execute("SELECT COUNT(*) FROM session_results").fetchone()[0]
        again.close()
        print(f"the next start finds {cached} cached results"
              + ("" if args.cli else f" and {listed} of the list's {args.songs} results"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
