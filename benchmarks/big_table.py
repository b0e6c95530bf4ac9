"""What the window's GUI thread spends on a long list: each step a user takes on it, timed.

Builds a window (no settings, a session store of its own in a temporary folder) and puts
``--rows`` songs in it (empty files named like songs: the scan reads no audio), then times,
each on the GUI thread:

- adding the folder (the scan runs on a worker, rows are inserted on the GUI thread);
- a batch over every song with an instant stand-in analysis (results with a tempo, a key
  and a loudness), with the window's own refreshes running;
- sorting by a text column (Title), a number column (BPM), the key column and status,
  each way, and back to ``#``;
- typing a search, a state filter, and lifting them;
- selecting every row;
- the plots' refresh (the three plots at once);
- Remove from List of 1 song and of 1,000 songs, and Undo of each: the GUI thread's time,
  and the session store's (the writer thread's time to write what the step queued);
- Clear and Undo of it: the GUI thread's time, and the store's;
- restoring the saved list at start-up in a new window on the same store (the first
  window deleted, the start-up objects frozen out of the garbage collector's full passes,
  as the application does).

For each step it prints the wall time of the step's call and, for the steps that run in
the event loop (adding, the batch, restoring), the longest gap between two ticks of a 5 ms
timer (how long the window could not answer).  ``--profile STEP`` prints the 25 costliest
functions of one step under cProfile.

Usage::

    QT_QPA_PLATFORM=offscreen python benchmarks/big_table.py [--rows 20000] [--profile sort]
    xvfb-run -a python benchmarks/big_table.py --rows 50000
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import os
import pstats
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
os.environ.setdefault("SONGCAL_DATA_DIR", tempfile.mkdtemp(prefix="songcal-bench-"))

from benchmarks.ui_latency import TickRecorder  # noqa: E402

STEPS = ("add", "batch", "sort", "filter", "select", "plots", "remove", "clear", "restore")
KEYS = [f"{p} {m}" for m in ("major", "minor")
        for p in ("C", "C#", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B")]


def instant_analysis():
    """A stand-in analysis that returns at once: tempo, key and loudness vary by song, one
    song in seven has no key and one in eleven no tempo (missing values sort too)."""
    from core.io.results import SongResult

    def analyze(path, *, settings, progress=None, should_cancel=None):
        n = int(os.path.basename(path)[:6])
        bpm = None if n % 11 == 0 else 60.0 + (n * 37) % 120
        key = None if n % 7 == 0 else KEYS[(n * 5) % 24]
        return SongResult(path=path, status="done", duration_s=120.0 + n % 90, bpm=bpm,
                          key=key, loudness_lufs=-20.0 + (n % 13), chunks=1)

    return analyze


class Step:
    """Times one step; with ``profile`` set to its name, runs it under cProfile."""

    def __init__(self, profile: str | None):
        self.profile = profile
        self.results: list[tuple[str, float, float | None]] = []

    def call(self, step: str, label: str, fn, *args):
        prof = cProfile.Profile() if self.profile == step else None
        t0 = time.perf_counter()
        if prof:
            prof.enable()
        out = fn(*args)
        if prof:
            prof.disable()
        wall = time.perf_counter() - t0
        self.results.append((label, wall * 1000.0, None))
        print(f"{label:<44} {1000 * wall:8.1f} ms", flush=True)
        if prof:
            pstats.Stats(prof).sort_stats("cumulative").print_stats(25)
        return out

    def loop(self, step: str, label: str, start, done, app):
        """Run ``start()`` then the event loop until ``done()``; the longest timer gap."""
        rec = TickRecorder()
        prof = cProfile.Profile() if self.profile == step else None
        full = []  # (start, ms, thread) of each full garbage collection
        began = [0.0]

        def collected(phase, info):
            if info["generation"] != 2:
                return
            if phase == "start":
                began[0] = time.perf_counter()
            else:
                full.append((began[0], 1000 * (time.perf_counter() - began[0]),
                             threading.current_thread().name))

        gc.callbacks.append(collected)
        rec.start()
        t0 = time.perf_counter()
        if prof:
            prof.enable()
        start()
        while not done():
            app.processEvents()
            time.sleep(0.002)
        for _ in range(3):
            app.processEvents()
        if prof:
            prof.disable()
        wall = time.perf_counter() - t0
        rec.stop()
        gc.callbacks.remove(collected)
        gaps = rec.gaps_ms()
        worst = float(gaps.max()) if gaps.size else 0.0
        self.results.append((label, wall * 1000.0, worst))
        print(f"{label:<44} {1000 * wall:8.1f} ms; longest UI gap {worst:.1f} ms "
              f"(p99 {float(gaps.size and __import__('numpy').percentile(gaps, 99)):.1f} ms)",
              flush=True)
        if gaps.size:  # what the window's thread did during its longest wait
            i = int(gaps.argmax())
            start, end = rec.ticks[i], rec.ticks[i + 1]
            busy = 1000 * (rec.cpus[i + 1] - rec.cpus[i])
            inside = [f"{ms:.0f} ms on {name}" for t, ms, name in full
                      if start - 0.001 <= t <= end]
            print(f"{'':<44} (its own CPU {busy:.0f} ms; full collections in it: "
                  f"{', '.join(inside) or 'none'}; in the step: {len(full)}, longest "
                  f"{max((ms for _t, ms, _n in full), default=0):.0f} ms)", flush=True)
        if prof:
            pstats.Stats(prof).sort_stats("tottime").print_stats(25)


def store_time(steps: Step, store, label: str) -> None:
    """The session store's time, after a step's call, to write what the step queued."""
    t0 = time.perf_counter()
    store.flush()
    wall = time.perf_counter() - t0
    steps.results.append((f"{label} (store)", wall * 1000.0, None))
    print(f"{label + ' (store, after the call)':<44} {1000 * wall:8.1f} ms", flush=True)


def remove_steps(steps: Step, w, app) -> None:
    """Remove 1 song, then 1,000 (rows from the middle of the list), and undo each: the
    GUI thread's time of each command, then the store's time to write what it queued."""
    from PySide6.QtCore import QItemSelection, QItemSelectionModel

    store = w.store
    sel = w.table.selectionModel()
    mid = w.proxy.rowCount() // 2
    for count in (1, 1000):
        name = "1 song" if count == 1 else f"{count:,} songs"
        w.table.clearSelection()
        sel.select(QItemSelection(w.proxy.index(mid, 0), w.proxy.index(mid + count - 1, 0)),
                   QItemSelectionModel.SelectionFlag.Select
                   | QItemSelectionModel.SelectionFlag.Rows)
        app.processEvents()
        for label, fn in ((f"remove {name}", w.remove_selected),
                          (f"undo remove {name}", w.undo_clear)):
            store.flush()
            steps.call("remove", f"{label} (GUI thread)", fn)
            store_time(steps, store, label)
            app.processEvents()
    w.table.clearSelection()


def settle(app, seconds: float = 0.3) -> None:
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        app.processEvents()
        time.sleep(0.005)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=20000)
    ap.add_argument("--profile", choices=STEPS, help="print a cProfile of this step")
    args = ap.parse_args(argv)

    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication([])
    from core.batch.store import ResultStore
    from core.settings import AnalysisSettings
    from gui.main_window import MainWindow
    from gui.song_columns import COL_NUM, COL_STATUS, COL_TITLE, descriptor_column
    from gui.startup import configure_process, freeze_long_lived

    configure_process()
    tmp = tempfile.mkdtemp(prefix="songcal-big-table-")
    folder = os.path.join(tmp, "songs")
    os.makedirs(folder)
    for i in range(args.rows):
        open(os.path.join(folder, f"{i:06d}_Artist {i % 97}_Title {i}.wav"), "wb").close()
    db = os.path.join(tmp, "store.sqlite")
    print(f"Qt platform: {app.platformName()}, {args.rows} rows")
    steps = Step(args.profile)

    def window(store):
        w = MainWindow(AnalysisSettings(workers=2, budget_base_s=600.0),
                       analyze=instant_analysis(), remember=False, store=store)
        w.confirm_quit = False
        w._confirm = lambda *a: True
        w.resize(1500, 900)
        freeze_long_lived()  # as the application does once its window is built
        w.show()
        settle(app, 0.2)
        return w

    w = window(ResultStore(db))
    eng = w.engine
    steps.loop("add", "add a folder", lambda: w.add_paths([folder]),
               lambda: not eng.is_scanning and len(eng.batch.jobs) >= args.rows, app)
    settle(app)
    steps.loop("batch", "batch with instant stand-ins (live refresh)", eng.start,
               lambda: not eng.is_running, app)
    settle(app)
    proxy = w.proxy
    for name, col in (("Title (text)", COL_TITLE), ("BPM (number)", descriptor_column("bpm")),
                      ("Key", descriptor_column("key")), ("Status", COL_STATUS)):
        for order, way in ((Qt.SortOrder.AscendingOrder, "up"),
                           (Qt.SortOrder.DescendingOrder, "down")):
            steps.call("sort", f"sort by {name} {way}", w.table.sortByColumn, col, order)
            app.processEvents()
    steps.call("sort", "sort by # (natural order)", w.table.sortByColumn, COL_NUM,
               Qt.SortOrder.AscendingOrder)
    app.processEvents()
    steps.call("filter", "search 'title 1'", w.search.setText, "title 1")
    app.processEvents()
    steps.call("filter", "search cleared", w.search.setText, "")
    app.processEvents()
    steps.call("filter", "state filter: done", proxy.set_states, ["done"])
    app.processEvents()
    steps.call("filter", "state filter lifted", proxy.set_states, None)
    app.processEvents()
    steps.call("select", "select all", w.table.selectAll)
    app.processEvents()
    steps.call("select", "selection read (selected_job_ids)", w.table.selected_job_ids)
    w.table.clearSelection()
    app.processEvents()
    w.bottom_tabs.setCurrentIndex(1)
    settle(app, 0.2)
    steps.call("plots", "plots refreshed (all three)", w.plots.refresh)
    app.processEvents()
    w.bottom_tabs.setCurrentIndex(0)
    remove_steps(steps, w, app)
    for label, fn in (("clear", w.clear), ("undo clear", w.undo_clear)):
        w.store.flush()
        steps.call("clear", label, fn)
        store_time(steps, w.store, label)
        app.processEvents()
    settle(app, 0.5)
    w.close()
    w.deleteLater()  # a new start: the first window and its list are gone
    w = eng = proxy = None
    settle(app, 0.2)
    gc.collect()

    w2 = MainWindow(AnalysisSettings(workers=2), analyze=instant_analysis(), remember=False,
                    store=ResultStore(db))
    w2.confirm_quit = False
    w2.resize(1500, 900)
    freeze_long_lived()
    w2.show()
    steps.loop("restore", "restore the saved list at start-up", w2.restore_library,
               lambda: len(w2.engine.batch.jobs) >= args.rows, app)
    w2.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
