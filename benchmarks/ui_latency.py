"""How long the window's event loop ever waits: the longest gap between timer ticks.

Runs a batch through the real window (2 workers) while a 5 ms timer records when the GUI
thread gets to run; a long gap is a UI freeze.  Two runs:

1. a batch of ``--songs`` short generated songs (default 200, 3 s each) analyzed for real
   (``--fake-ms`` uses a stand-in analysis of that many ms per song instead);
2. a deck of ``--rows`` rows (default 2,000) run with a fast stand-in analysis, to load
   the table, the proxy and the plots the way a large deck does.

Targets: longest gap < 50 ms in run 1; 99.9th percentile < 100 ms with 2,000 rows.

``--explain 30`` also lists every gap longer than 30 ms with the GUI thread's own CPU time
in it (near the gap: GUI work; near zero: the GUI thread waited for the GIL or the CPU), the
window's main slots, paint events and garbage collections that overlapped it.

Usage::

    python benchmarks/ui_latency.py [--songs 200] [--rows 2000] [--fake-ms 0] [--explain 30]
                                    [--cluster local:2]
    xvfb-run -a python benchmarks/ui_latency.py     # with a real X server
"""

from __future__ import annotations

import argparse
import functools
import gc
import os
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
for _v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_v, "1")
os.environ.setdefault("SONGCAL_DATA_DIR", tempfile.mkdtemp(prefix="songcal-bench-"))

import numpy as np  # noqa: E402
import soundfile as sf  # noqa: E402


def make_songs(folder, n, seconds=3.0, sr=22050):
    """Write ``n`` short click-and-tone WAVs; returns their paths."""
    os.makedirs(folder, exist_ok=True)
    rng = np.random.default_rng(0)
    paths = []
    t = np.arange(int(seconds * sr)) / sr
    for i in range(n):
        bpm = 80 + (i * 7) % 90
        y = 0.1 * np.sin(2 * np.pi * (110 * 2 ** ((i % 12) / 12)) * t)
        period = int(60 / bpm * sr)
        for s in range(0, len(y) - 300, period):
            y[s:s + 300] += 0.6 * np.exp(-np.arange(300) / 50) * rng.uniform(-1, 1, 300)
        p = os.path.join(folder, f"{i:04d}_Bench Artist_Song {i}.wav")
        sf.write(p, y.astype(np.float32), sr, subtype="PCM_16")
        paths.append(p)
    return paths


#: ``(label, start, end, thread CPU s)`` of traced calls (see :func:`trace_window`).
TRACE: list = []


def _traced(cls, name):
    fn = getattr(cls, name)
    label = f"{cls.__name__}.{name}"

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        t0, c0 = time.perf_counter(), time.thread_time()
        try:
            return fn(*args, **kwargs)
        finally:
            TRACE.append((label, t0, time.perf_counter(), time.thread_time() - c0))

    setattr(cls, name, wrapper)


def _gc_callback(phase, info, _start={}):  # noqa: B006 - state kept between the two phases
    if phase == "start":
        _start["t"], _start["c"] = time.perf_counter(), time.thread_time()
    elif "t" in _start:
        TRACE.append((f"gc gen{info['generation']} in {threading.current_thread().name}",
                      _start["t"], time.perf_counter(), time.thread_time() - _start["c"]))


def trace_window() -> None:
    """Time the window's main slots, paint events and garbage collections into TRACE.

    Call before the window is built (slots are connected as bound methods).
    """
    from pyqtgraph.widgets.GraphicsView import GraphicsView

    from gui.engine import BatchEngine
    from gui.main_window import MainWindow
    from gui.plots import BatchPlots
    from gui.scan_feed import ScanFeed
    from gui.song_filter import SongFilterProxy
    from gui.song_table import SongTableModel
    from gui.song_view import SongTableView
    from gui.stall_banner import StallBanner
    from gui.worker_panel import WorkerPanel, WorkerTableModel

    def worker_paint(self, event):
        return super(WorkerPanel, self).paintEvent(event)

    WorkerPanel.paintEvent = worker_paint
    for cls, names in (
            (BatchEngine, ("tick", "_on_started", "_on_progress", "_on_done", "_fill",
                           "_on_rows_added")),
            (ScanFeed, ("_drain_found", "_add_found", "_on_identified")),
            (MainWindow, ("_refresh_ui", "_refresh_plots", "_update_actions",
                          "_on_scan_finished", "_on_finished")),
            (SongTableModel, ("_on_changed", "_on_added", "fill_roles")),
            (SongFilterProxy, ("refilter", "resort")), (WorkerTableModel, ("refresh",)),
            (BatchPlots, ("refresh",)), (StallBanner, ("refresh",)),
            (SongTableView, ("paintEvent",)), (WorkerPanel, ("paintEvent",)),
            (GraphicsView, ("paintEvent",))):
        for name in names:
            _traced(cls, name)
    gc.callbacks.append(_gc_callback)


def explain_gaps(ticks, cpus, threshold_ms: float) -> None:
    """Print each gap over ``threshold_ms`` with the GUI CPU in it and the traced calls."""
    t = np.asarray(ticks)
    gaps = np.diff(t) * 1000.0
    for i in np.nonzero(gaps > threshold_ms)[0]:
        a, b = t[i], t[i + 1]
        print(f"  gap {gaps[i]:.1f} ms at {a - t[0]:.3f} s; GUI thread CPU in it "
              f"{1000 * (cpus[i + 1] - cpus[i]):.1f} ms")
        calls: dict = {}
        for label, start, end, cpu in TRACE:
            if end > a and start < b:
                n, wall, c = calls.get(label, (0, 0.0, 0.0))
                calls[label] = (n + 1, wall + end - start, c + cpu)
        for label, (n, wall, c) in sorted(calls.items(), key=lambda kv: -kv[1][1]):
            if wall >= 0.0005:
                print(f"     {label} x{n}: {1000 * wall:.1f} ms wall, {1000 * c:.1f} ms CPU")


def fake_analysis(ms, python_share=0.1):
    """A stand-in analysis of ``ms`` per song: ``python_share`` of it is pure Python (holds
    the GIL), the rest waits without the GIL, as numpy/scipy/decoder code does."""
    from core.io.results import SongResult

    def analyze(path, *, settings, progress=None, should_cancel=None):
        steps = 4
        for i in range(steps):
            t_end = time.perf_counter() + python_share * ms / 1000 / steps
            while time.perf_counter() < t_end:
                pass
            time.sleep((1 - python_share) * ms / 1000 / steps)
            if progress:
                progress(i + 1, steps, 180.0)
        return SongResult(path=path, status="done", duration_s=180.0, bpm=120.0,
                          key="A minor", loudness_lufs=-10.0, chunks=steps)

    return analyze


class TickRecorder:
    """A precise timer on the UI thread that records when it gets to run.

    ``ticks`` holds the wall time (s) of each tick and ``cpus`` the UI thread's CPU time
    then; the gaps between ticks are how long the event loop was kept from running.
    """

    def __init__(self, interval_ms: int = 5):
        from PySide6.QtCore import Qt, QTimer

        self.ticks: list[float] = []
        self.cpus: list[float] = []
        self.timer = QTimer()
        self.timer.setTimerType(Qt.TimerType.PreciseTimer)
        self.timer.setInterval(interval_ms)
        self.timer.timeout.connect(self._tick)

    def _tick(self) -> None:
        self.ticks.append(time.perf_counter())
        self.cpus.append(time.thread_time())

    def start(self) -> None:
        self.timer.start()

    def stop(self) -> None:
        self.timer.stop()

    def gaps_ms(self) -> np.ndarray:
        """Milliseconds between consecutive ticks."""
        return np.diff(np.asarray(self.ticks)) * 1000.0


def run(app, paths, analyze, *, workers=2, tab=0, explain_ms=0.0, cluster=None, cold=False,
        preload=True, think_s=0.0):
    """One batch through a new window; with ``cold`` the timer runs from the window's show
    (start-up, scan and batch), else from the batch's start."""

    from core.settings import AnalysisSettings
    from gui import startup
    from gui.main_window import MainWindow

    w = MainWindow(AnalysisSettings(workers=workers, budget_base_s=600.0), analyze=analyze,
                   remember=False)
    startup.freeze_long_lived()  # as gui.app.run_gui does once the window is built
    w.confirm_quit = False
    if cluster:
        from core.batch.cluster import parse_cluster

        w.engine.set_cluster(parse_cluster(cluster, default_workers=workers))
    w.resize(1500, 900)
    w.show()
    w.bottom_tabs.setCurrentIndex(tab)
    rec = TickRecorder()
    if cold:
        rec.start()
        if preload:
            startup.preload_analysis()  # as gui.app.run_gui does once the window is shown
        think = time.perf_counter() + think_s  # the user picks a folder meanwhile
        while time.perf_counter() < think:
            app.processEvents()
            time.sleep(0.005)
    w.add_paths([os.path.dirname(paths[0])])
    while w.engine.is_scanning or len(w.engine.batch.jobs) < len(paths):
        app.processEvents()
        time.sleep(0.01)
    from PySide6.QtCore import QEventLoop

    settle = time.perf_counter() + 0.5  # let the rows the scan added be drawn first
    while time.perf_counter() < settle:
        app.processEvents()
        time.sleep(0.01)
    loop = QEventLoop()
    w.engine.batchFinished.connect(loop.quit)
    t0 = time.perf_counter()
    cpu0 = time.thread_time()
    n_before = len(rec.ticks)
    rec.start()
    w.engine.start()
    loop.exec()  # the window's own event loop, as in the app
    wall = time.perf_counter() - t0
    gui_cpu = time.thread_time() - cpu0
    for _ in range(5):
        app.processEvents()
    rec.stop()
    c = w.engine.batch.counts()
    w.close()
    if explain_ms:
        explain_gaps(rec.ticks, rec.cpus, explain_ms)
    TRACE.clear()
    ticks = np.asarray(rec.ticks)
    gaps = rec.gaps_ms()
    before, gaps = gaps[:max(n_before - 1, 0)], gaps[max(n_before - 1, 0):]
    ticks = ticks[max(n_before - 1, 0):]
    worst_at = float(ticks[int(np.argmax(gaps))] - t0) if gaps.size else float("nan")
    from core.batch.rules import SongState

    return {"songs": len(paths), "wall_s": wall, "done": c[SongState.DONE],
        "max_gap_ms": float(gaps.max()) if gaps.size else float("nan"),
        "p999_gap_ms": float(np.percentile(gaps, 99.9)) if gaps.size else float("nan"),
        "p99_gap_ms": float(np.percentile(gaps, 99)) if gaps.size else float("nan"),
        "ticks": int(gaps.size), "worst_at_s": worst_at, "gui_cpu_s": gui_cpu,
        "max_gap_before_start_ms": float(before.max()) if before.size else float("nan")}


def cli_throughput(paths, workers):
    """Wall time (s) of the command line's engine (core.batch.runner) on ``paths``, no window."""
    from core.analysis.analyze import analyze_file
    from core.batch.rules import Batch
    from core.batch.runner import BatchRunner
    from core.settings import AnalysisSettings

    batch = Batch(paths, settings=AnalysisSettings(workers=workers, budget_base_s=600.0))
    t0 = time.perf_counter()
    BatchRunner(batch, analyze=analyze_file).run()
    return time.perf_counter() - t0


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--songs", type=int, default=200)
    ap.add_argument("--rows", type=int, default=2000)
    ap.add_argument("--fake-ms", type=float, default=0.0,
                    help="stand-in analysis time per song for run 1 (0: real analysis)")
    ap.add_argument("--big-fake-ms", type=float, default=50.0,
                    help="stand-in analysis time per song for the large deck (10 %% Python)")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--throughput-songs", type=int, default=0,
                    help="also compare throughput with the command-line engine on this many "
                         "longer songs (--throughput-seconds each)")
    ap.add_argument("--throughput-seconds", type=float, default=60.0)
    ap.add_argument("--cluster", metavar="local[:N]",
                    help="run 1 on a Dask cluster (real analysis; the window reaches it "
                         "when the batch starts)")
    ap.add_argument("--cold", action="store_true",
                    help="leave the analysis unimported until the window needs it, as in a "
                         "new session (no warm-up, no command-line comparison); the first "
                         "window's timer runs from its show")
    ap.add_argument("--no-preload", action="store_true",
                    help="with --cold: do not import the analysis in the background at "
                         "start-up (gui.startup.preload_analysis), as before it existed")
    ap.add_argument("--think-s", type=float, default=0.0,
                    help="with --cold: seconds between the window's show and the files "
                         "added (a user choosing a folder)")
    ap.add_argument("--explain", type=float, default=0.0, metavar="MS",
                    help="list the gaps longer than MS with what ran in them")
    args = ap.parse_args(argv)
    if args.explain:
        trace_window()

    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication([])
    from gui.startup import configure_process

    configure_process()  # the application's process-wide settings (gui.app.run_gui)
    print(f"Qt platform: {app.platformName()}, workers: {args.workers}")
    tmp = tempfile.mkdtemp(prefix="songcal-ui-latency-")
    if args.songs:
        songs = make_songs(os.path.join(tmp, "songs"), args.songs)
        analyze = fake_analysis(args.fake_ms) if args.fake_ms else None
        kind = f"stand-in {args.fake_ms:.0f} ms" if args.fake_ms else "real analysis"
        if args.cluster:
            kind += f" on {args.cluster}"
        if not args.fake_ms and not args.cold:
            from core.analysis.analyze import analyze_file
            from core.settings import AnalysisSettings

            analyze_file(songs[0], settings=AnalysisSettings(workers=1))  # compile, warm up
            cli = cli_throughput(songs, args.workers)
            print(f"command-line engine: {len(songs)} songs in {cli:.1f} s "
                  f"({60 * len(songs) / cli:.0f} songs/min)")
        for tab, name in ((0, "workers tab"), (1, "plots tab")):
            cold = args.cold and tab == 0
            r = run(app, songs, analyze, workers=args.workers, tab=tab,
                    explain_ms=args.explain, cluster=args.cluster, cold=cold,
                    preload=not args.no_preload, think_s=args.think_s)
            rate = f" ({60 * r['done'] / r['wall_s']:.0f} songs/min)"
            if cold:
                name += (", first batch of the process"
                         f"{', no preload' if args.no_preload else ''}, files added "
                         f"{args.think_s:.1f} s after the show; longest gap from the window's show "
                         f"to the start {r['max_gap_before_start_ms']:.1f} ms")
            print(f"run 1 ({kind}, {name}): {r['songs']} songs, {r['done']} done in "
                  f"{r['wall_s']:.1f} s{rate}; UI gaps: max {r['max_gap_ms']:.1f} ms, "
                  f"p99.9 {r['p999_gap_ms']:.1f} ms, p99 {r['p99_gap_ms']:.1f} ms "
                  f"over {r['ticks']} ticks, worst at {r['worst_at_s']:.2f} s (target max < 50 ms)")
    if args.throughput_songs:
        from core.analysis.analyze import analyze_file
        from core.settings import AnalysisSettings

        long_songs = make_songs(os.path.join(tmp, "long"), args.throughput_songs,
                                seconds=args.throughput_seconds)
        analyze_file(long_songs[0], settings=AnalysisSettings(workers=1))
        cli = cli_throughput(long_songs, args.workers)
        r = run(app, long_songs, None, workers=args.workers, tab=0)
        print(f"throughput, {len(long_songs)} songs of {args.throughput_seconds:.0f} s, "
              f"{args.workers} workers: command-line engine {cli:.1f} s, window "
              f"{r['wall_s']:.1f} s ({100 * (r['wall_s'] / cli - 1):+.1f} %; target within 5 %)"
              f"; UI gaps max {r['max_gap_ms']:.1f} ms; GUI thread CPU {r['gui_cpu_s']:.2f} s")
    if args.rows:
        folder = os.path.join(tmp, "rows")
        os.makedirs(folder)
        rows = []
        for i in range(args.rows):
            p = os.path.join(folder, f"{i:05d}_Artist_Title {i}.wav")
            open(p, "wb").close()
            rows.append(p)
        for tab, name in ((0, "workers tab"), (1, "plots tab")):
            r = run(app, rows, fake_analysis(args.big_fake_ms), workers=args.workers, tab=tab,
                    explain_ms=args.explain)
            print(f"run 2 ({args.rows} rows, stand-in {args.big_fake_ms:.0f} ms/song, {name}): "
                  f"{r['done']} done in {r['wall_s']:.1f} s; UI gaps: max "
                  f"{r['max_gap_ms']:.1f} ms, p99.9 {r['p999_gap_ms']:.1f} ms, p99 "
                  f"{r['p99_gap_ms']:.1f} ms (target p99.9 < 100 ms)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
