"""Throughput of the cluster engine against the local thread engine on the same machine.

Renders a deck (default: 40 songs of 3 minutes, stereo 44.1 kHz FLAC, cached in the folder
given by ``--deck``), then analyzes it with the command line's thread engine (``--workers``
threads) and with a Dask LocalCluster of as many single-threaded worker processes, and
prints songs per minute for both, the cluster's start-up time, the scheduling overhead per
song (measured with an analyzer that does nothing), the memory of each worker process and
the bytes a song sends in ``--send-files`` mode.

    python -m benchmarks.cluster [--songs 40] [--seconds 180] [--workers 2] [--deck DIR]

Needs the optional extra: ``pip install -e '.[cluster]'``.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import statistics  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402

from core.analysis.analyze import analyze_file  # noqa: E402
from core.batch.cluster import ClusterSpec  # noqa: E402
from core.batch.cluster_runner import ClusterRunner  # noqa: E402
from core.batch.rules import Batch, SongState  # noqa: E402
from core.batch.runner import BatchRunner  # noqa: E402
from core.io.results import SongResult  # noqa: E402
from core.settings import AnalysisSettings  # noqa: E402


def make_deck(folder: str, n: int, seconds: float) -> list[str]:
    """``n`` generated songs (FLAC, stereo 44.1 kHz) at 70-189 BPM in every key, cached."""
    import soundfile as sf

    from benchmarks.synth import render_song
    from core.io.keynotation import Key

    paths = []
    for i in range(n):
        path = os.path.join(folder, f"song{i:03d}.flac")
        if not os.path.exists(path):
            y = render_song(bpm=70 + (13 * i) % 120, key=Key.from_index((7 * i) % 24),
                            seconds=seconds, sr=44100, seed=i)
            sf.write(path, y, 44100)
        paths.append(path)
    return paths


def nothing(path, *, settings=None, progress=None, should_cancel=None):
    """An analyzer that does no work: what is left is the engine's own cost per song."""
    if progress is not None:
        progress(1, 1, 1.0)
    return SongResult(path=os.fspath(path), status="done", duration_s=1.0)


def worker_rss_mb() -> float:
    """Peak resident memory of this process (MB)."""
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def run_threads(paths, workers: int, analyze=analyze_file) -> float:
    batch = Batch(paths, settings=AnalysisSettings(workers=workers))
    t0 = time.perf_counter()
    BatchRunner(batch, analyze=analyze, workers=workers, tick_s=0.05).run()
    assert batch.counts()[SongState.DONE] == len(paths), batch.counts()
    return time.perf_counter() - t0


def run_cluster(paths, runner_args: dict, client, analyze=None) -> float:
    batch = Batch(paths, settings=AnalysisSettings(workers=2))
    runner = ClusterRunner(batch, client=client, analyze=analyze, tick_s=0.05, **runner_args)
    t0 = time.perf_counter()
    runner.run()
    elapsed = time.perf_counter() - t0
    runner.close()
    assert batch.counts()[SongState.DONE] == len(paths), batch.counts()
    return elapsed


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--songs", type=int, default=40)
    ap.add_argument("--seconds", type=float, default=180.0)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--deck", help="folder to keep the rendered songs in (default: temp)")
    args = ap.parse_args(argv)

    import distributed

    folder = args.deck or tempfile.mkdtemp(prefix="songcal-cluster-")
    os.makedirs(folder, exist_ok=True)
    print(f"deck: {args.songs} songs of {args.seconds:.0f} s (FLAC) in {folder}")
    paths = make_deck(folder, args.songs, args.seconds)
    analyze_file(paths[0])  # warm-up of this process

    threads = run_threads(paths, args.workers)
    thread_rate = len(paths) / threads * 60
    print(f"threads ({args.workers}):          {threads:7.2f} s  {thread_rate:7.1f} songs/min")

    t0 = time.perf_counter()
    cluster = distributed.LocalCluster(n_workers=args.workers, threads_per_worker=1,
                                       processes=True, dashboard_address=None)
    client = distributed.Client(cluster)
    from core.batch.cluster_tasks import warm_up

    client.run(warm_up)
    startup = time.perf_counter() - t0
    try:
        spec = ClusterSpec(workers=args.workers)
        run_cluster(paths[: args.workers], {"spec": spec}, client)  # as the threads' warm-up
        wall = run_cluster(paths, {"spec": spec}, client)
        rate = len(paths) / wall * 60
        print(f"LocalCluster ({args.workers} processes): {wall:7.2f} s  {rate:7.1f} songs/min  "
              f"({rate / thread_rate:.2f}x the threads; start-up {startup:.1f} s not counted)")
        rss = client.run(worker_rss_mb)
        print(f"peak memory per worker process: "
              f"{statistics.median(rss.values()):.0f} MB (median of {len(rss)})")
        n = 200
        empty = [paths[i % len(paths)] for i in range(n)]
        t_threads = run_threads(empty, args.workers, analyze=nothing)
        t_cluster = run_cluster(empty, {"spec": spec}, client,
                                analyze=nothing)
        print(f"engine cost per song (no-op analyzer, {n} songs): threads "
              f"{1000 * t_threads / n:.1f} ms, cluster {1000 * t_cluster / n:.1f} ms of wall "
              f"time ({1000 * (t_cluster - t_threads) / n * args.workers:.1f} ms of worker "
              f"time per song more)")
        part = paths[: max(4, args.songs // 4)]
        wall = run_cluster(part, {"spec": ClusterSpec(workers=args.workers, files="send")},
                           client)
        mb = sum(os.path.getsize(p) for p in part) / len(part) / 1e6
        print(f"bytes mode ({len(part)} songs): {len(part) / wall * 60:7.1f} songs/min, "
              f"{mb:.1f} MB sent per song")
    finally:
        client.close()
        cluster.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
