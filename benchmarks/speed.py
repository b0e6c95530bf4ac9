"""Throughput of the analysis: real-time factor per song, songs per minute, scaling.

Renders N generated songs (default: 8 songs of 3 minutes, stereo 44.1 kHz FLAC), then
analyzes the same deck with 1 worker and with 2 workers through the command line's batch
runner, and prints per-song real-time factors and the throughput ratio.

    python -m benchmarks.speed [--songs 8] [--seconds 180] [--format flac] [--workers 1 2]
                               [--repeat 3]

Each worker count runs ``--repeat`` times, the counts taking turns, and the fastest run
counts, which keeps a noisy machine from deciding the ratio.  The median CPU time of a song
(its worker thread's own time, which other programs on the machine do not inflate) is
printed beside the wall-clock figures, with the load average, and the share of the songs'
wall-clock time their workers spent off the CPU: waiting for the GIL held by another
worker or for the disk, or pushed aside by other programs; on Linux, the share of the
cores' time the host of a virtual machine took for itself ("steal" in ``/proc/stat``).
A short deck ends with workers idle while the last songs finish, which a long batch does
not: the share of the deck's time they sat so is printed, and the scaling once more from
each song's own time in its worker (several side by side against one alone), which leaves
that end out.  Last, the same for two threads that share nothing (numpy on data in the
core's cache): the most two workers can give on this machine, whatever the analysis does.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import statistics  # noqa: E402
import tempfile  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402
import soundfile as sf  # noqa: E402

from core.analysis.analyze import analyze_file  # noqa: E402
from core.batch.rules import Batch, SongState  # noqa: E402
from core.batch.runner import BatchRunner  # noqa: E402
from core.io.keynotation import Key  # noqa: E402
from core.settings import AnalysisSettings  # noqa: E402


def make_deck(folder: str, n: int, seconds: float, fmt: str) -> list[str]:
    from benchmarks.synth import render_song

    paths = []
    for i in range(n):
        path = os.path.join(folder, f"song{i:02d}.{fmt}")
        if not os.path.exists(path):
            y = render_song(bpm=70 + 13 * i, key=Key.from_index((7 * i) % 24), seconds=seconds,
                            sr=44100, seed=i)
            kw = {"format": "MP3", "subtype": "MPEG_LAYER_III"} if fmt == "mp3" else {}
            sf.write(path, y, 44100, **kw)
        paths.append(path)
    return paths


def _cpu_ticks() -> tuple[int, int] | None:
    """(stolen, all) clock ticks of every core so far, from Linux's ``/proc/stat``; ``None``
    elsewhere.  Stolen time is time a virtual machine's cores were runnable but the host ran
    something else."""
    try:
        with open("/proc/stat") as f:
            fields = [int(v) for v in f.readline().split()[1:]]
    except (OSError, ValueError):
        return None
    return (fields[7] if len(fields) > 7 else 0), sum(fields[:8])


def stolen_share(before, after) -> float | None:
    """Share of the cores' time the host took between two :func:`_cpu_ticks` readings."""
    if before is None or after is None or after[1] <= before[1]:
        return None
    return (after[0] - before[0]) / (after[1] - before[1])


def run(paths: list[str], workers: int) -> tuple[float, Batch, list[float], list[float],
                                                  float | None]:
    """Analyze the deck once; returns the wall time, the batch, each song's CPU and wall
    seconds in its worker and the share of the cores' time the host took (None off Linux)."""
    batch = Batch(paths, settings=AnalysisSettings(workers=workers))
    cpu: list[float] = []
    wall: list[float] = []

    def timed(path, **kw):
        t = time.thread_time()  # the worker thread's own CPU time: other load does not count
        w = time.perf_counter()
        try:
            return analyze_file(path, **kw)
        finally:
            cpu.append(time.thread_time() - t)
            wall.append(time.perf_counter() - w)

    ticks = _cpu_ticks()
    t0 = time.perf_counter()
    BatchRunner(batch, analyze=timed, workers=workers, tick_s=0.05).run()
    return time.perf_counter() - t0, batch, cpu, wall, stolen_share(ticks, _cpu_ticks())


def _burn(n: int) -> None:
    """GIL-free work on data that stays in the core's cache (numpy releases the GIL)."""
    a = np.linspace(0.0, 1.0, 20000, dtype=np.float32)
    for _ in range(n):
        np.sin(a, out=a)


def machine_ceiling(n: int = 15000, repeat: int = 3) -> float:
    """Throughput of two threads over one on work that shares nothing: what the machine
    itself gives two workers, whatever the analysis does (best runs of each count)."""
    one, two = [], []
    for _ in range(repeat):
        t = time.perf_counter()
        _burn(n)
        one.append(time.perf_counter() - t)
        threads = [threading.Thread(target=_burn, args=(n,)) for _ in range(2)]
        t = time.perf_counter()
        for th in threads:
            th.start()
        for th in threads:
            th.join()
        two.append(time.perf_counter() - t)
    return 2.0 * min(one) / min(two)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--songs", type=int, default=8)
    ap.add_argument("--seconds", type=float, default=180.0)
    ap.add_argument("--format", default="flac", choices=["wav", "flac", "mp3", "ogg"])
    ap.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--deck", help="folder to keep the rendered songs in (default: temp)")
    ap.add_argument("--repeat", type=int, default=3,
                    help="runs per worker count; the fastest counts (default: %(default)s)")
    args = ap.parse_args(argv)

    folder = args.deck or tempfile.mkdtemp(prefix="songcal-speed-")
    os.makedirs(folder, exist_ok=True)
    print(f"rendering {args.songs} songs of {args.seconds:.0f} s ({args.format}) in {folder}")
    paths = make_deck(folder, args.songs, args.seconds, args.format)
    analyze_file(paths[0])  # warm-up: imports, filter banks, caches
    audio_s = args.songs * args.seconds
    rates = {}
    # Runs of the worker counts alternate (1, 2, 1, 2, ...): this machine's speed drifts over
    # minutes, and a drift then touches every count alike instead of one of them.
    runs: dict[int, list] = {w: [] for w in args.workers}
    for _ in range(args.repeat):
        for w in args.workers:
            runs[w].append(run(paths, w))
    song_walls = {}
    for w in args.workers:
        wall, batch, cpu, song_wall, stolen = min(runs[w], key=lambda r: r[0])
        song_walls[w] = song_wall
        done = batch.counts()[SongState.DONE]
        rtf = [r.duration_s / r.analysis_s for r in batch.results() if r.analysis_s]
        rates[w] = done / wall * 60.0
        print(f"workers={w}: {done}/{len(paths)} done in {wall:.2f} s  "
              f"{rates[w]:.1f} songs/min  {audio_s / wall:.0f}x real time overall  "
              f"per song: median {statistics.median(rtf):.0f}x, min {min(rtf):.0f}x real time "
              f"per worker; CPU {statistics.median(cpu):.3f} s per song "
              f"({args.seconds / statistics.median(cpu):.0f}x real time per CPU second); "
              f"off CPU {100 * (1 - sum(cpu) / sum(song_wall)):.1f}% of the songs' time"
              + (f"; the host took {100 * stolen:.1f}% of the cores' time"
                 if stolen is not None else "")
              + (f"; the workers sat idle {100 * (1 - sum(song_wall) / (w * wall)):.1f}% of "
                 "the deck's time, waiting for the last songs" if w > 1 else ""))
    print(f"load average (1, 5, 15 min): {', '.join(f'{v:.2f}' for v in os.getloadavg())} "
          f"on {os.cpu_count()} cores")
    if 1 in rates:
        for w in rates:
            if w != 1:
                print(f"throughput {w} workers / 1 worker: {rates[w] / rates[1]:.2f}x")
                # A long batch keeps every worker busy; a short deck ends with workers idle
                # while the last songs finish.  Each song's own time in its worker, with w
                # songs running side by side against one alone, leaves that end out.
                steady = w * statistics.mean(song_walls[1]) / statistics.mean(song_walls[w])
                print(f"the same without the end of the deck (each song's own time, "
                      f"{w} side by side against one alone): {steady:.2f}x")
    if 2 in rates:
        print(f"this machine's ceiling: two threads that share nothing (numpy on cached data) "
              f"give {machine_ceiling():.2f}x one")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
