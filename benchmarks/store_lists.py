"""How long File > Open Earlier List takes to read the store's lists, and to open one.

A fresh store gets ``--lists`` window lists of ``--songs`` songs each, every song with a
result (one in ten failed).  Prints the best of three reads of the lists' summaries
(:meth:`core.batch.store.ResultStore.list_libraries`: each list's counts are kept in its
row, :mod:`core.batch.store_counts`) and the time to take and read one list
(:meth:`core.batch.store.ResultStore.open_library`, every result decoded, as at the start;
best of three, with the CPU time of the process beside the wall time).
Both run off the window's thread; the dialog says "Reading the lists..." meanwhile.

Run from the repository root::

    python -m benchmarks.store_lists                  # 10 lists of 2,000 songs
    python -m benchmarks.store_lists --songs 20000
    python -m benchmarks.store_lists --lists 50      # as many lists as the store keeps
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lists", type=int, default=10)
    parser.add_argument("--songs", type=int, default=2000)
    args = parser.parse_args(argv)

    from core.batch.store import ResultStore
    from core.io.results import SongResult

    with tempfile.TemporaryDirectory() as folder:
        store = ResultStore(os.path.join(folder, "store.sqlite"), session_timeout_s=600)
        for k in range(args.lists):
            paths = [f"/music/deck{k}/song{i:05d}.wav" for i in range(args.songs)]
            sid = store.begin_session(paths, {}, kind="library", running=False)
            store.save_session_results(sid, [
                (i, SongResult(path=p, status="failed" if i % 10 == 0 else "done",
                               bpm=120.0, key="A minor", loudness_lufs=-9.0))
                for i, p in enumerate(paths)])
        store.flush(600)
        times = []
        for _ in range(3):
            t0 = time.perf_counter()
            lists = store.list_libraries()
            times.append(time.perf_counter() - t0)
        print(f"{args.lists} lists of {args.songs} songs: read in {min(times) * 1000:.1f} ms "
              f"(best of 3); the oldest: {lists[-1]['done']} done, {lists[-1]['failed']} "
              "failed")
        opened = []
        for _ in range(3):  # the list stays this store's: each turn reads it again
            t0, c0 = time.perf_counter(), time.process_time()
            lib, why = store.open_library(lists[-1]["id"])
            opened.append((time.perf_counter() - t0, time.process_time() - c0))
        took, cpu = min(opened)
        print(f"one list opened in {took * 1000:.0f} ms, {cpu * 1000:.0f} ms of CPU (best of "
              f"3; {len(lib['paths'])} songs, {len(lib['results'])} results){why}")
        store.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
