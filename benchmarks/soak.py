"""A long batch on the command line's engine: memory and speed as the songs add up.

Writes ``--songs`` short generated songs (8-12 s of drums, bass, chords and a melody in a
known tempo and key; WAV, FLAC, MP3 and OGG; 22.05 to 48 kHz; mono and stereo) into a
temporary folder, or takes the audio files of ``--folder``, then runs them as ``songcal
analyze --session`` does (:class:`core.batch.runner.BatchRunner`, the session store's cache
in front of the analysis) and prints, every ``--every`` songs, the process's resident
memory (RSS), its CPU time and the wall time.  A second run over the same songs is then
served from the store, as a resumed batch is, and measured the same way.  At the end: the
store's size per song and the size of a kept result (the result and its chunks, deep).

Run from the repository root::

    python -m benchmarks.soak                      # 1,500 songs, 2 workers
    python -m benchmarks.soak --songs 300 --every 50
    python -m benchmarks.soak --folder /path/to/music --workers 2
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor

for _v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_v, "1")
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

#: (extension, soundfile format, subtype); six WAV and six FLAC for one MP3 and one OGG.
_FORMATS = ([(".wav", "WAV", "PCM_16")] * 6 + [(".flac", "FLAC", "PCM_16")] * 6
            + [(".mp3", "MP3", "MPEG_LAYER_III"), (".ogg", "OGG", "VORBIS")])
_RATES = (22050, 32000, 44100, 48000)


def write_song(folder: str, i: int) -> str:
    """Write song ``i`` (its tempo, key, style, format, rate and channels fixed by ``i``)."""
    import numpy as np
    import soundfile as sf

    from benchmarks.synth import STYLES, render_song
    from core.io.keynotation import Key

    rng = np.random.default_rng(1000 + i)
    ext, fmt, subtype = _FORMATS[i % len(_FORMATS)]
    sr = _RATES[int(rng.integers(len(_RATES)))]
    mono = rng.random() < 0.3
    seconds = float(rng.uniform(8, 12))
    bpm = float(rng.uniform(70, 170))
    key = Key(int(rng.integers(12)), "minor" if rng.random() < 0.5 else "major")
    style = STYLES[i % len(STYLES)]
    y = render_song(bpm=bpm, key=key, seconds=seconds, sr=sr, seed=i, style=style)
    if mono:
        y = y.mean(axis=1, keepdims=True)
    path = os.path.join(folder, f"{i // 100:03d}", f"song_{i:05d}_{style}_{bpm:.1f}{ext}")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    sf.write(path, y, sr, format=fmt, subtype=subtype)
    return path


def rss_mb() -> float:
    """Resident memory of this process (MB), from /proc (Linux)."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024.0
    return float("nan")


def deep_size(obj, seen: set) -> int:
    """Bytes of ``obj`` and everything it holds (objects in ``seen`` are not counted)."""
    if id(obj) in seen:
        return 0
    seen.add(id(obj))
    n = sys.getsizeof(obj)
    if isinstance(obj, dict):
        n += sum(deep_size(k, seen) + deep_size(v, seen) for k, v in obj.items())
    elif isinstance(obj, list | tuple | set | frozenset):
        n += sum(deep_size(x, seen) for x in obj)
    elif hasattr(obj, "__dict__"):
        n += deep_size(vars(obj), seen)
    return n


def run(paths, store_path: str, workers: int, every: int, title: str):
    """Run ``paths`` as ``songcal analyze --session store_path`` does; print as it goes."""
    from core.analysis.analyze import analyze_file
    from core.batch.rules import TERMINAL_STATES, Batch, SongState
    from core.batch.runner import BatchRunner
    from core.batch.store import ResultStore, cached
    from core.settings import AnalysisSettings

    settings = AnalysisSettings(workers=workers)
    batch = Batch(paths, settings=settings)
    store = ResultStore(store_path)
    session = store.begin_session(paths, settings.to_dict(), None)
    t0, cpu0 = time.perf_counter(), time.process_time()
    ended, next_mark = [0], [every]
    print(f"{title}: {len(paths)} songs on {workers} workers; RSS before {rss_mb():.0f} MB")

    def on_change(_batch, changed):
        ended[0] += sum(1 for j in changed if j.state in TERMINAL_STATES)
        while ended[0] >= next_mark[0]:
            print(f"  {next_mark[0]:6d} songs  RSS {rss_mb():6.1f} MB  "
                  f"CPU {time.process_time() - cpu0:7.1f} s  wall {time.perf_counter() - t0:7.1f} s",
                  flush=True)
            next_mark[0] += every

    BatchRunner(batch, analyze=cached(analyze_file, store), on_change=on_change).run()
    store.end_session(session)
    store.close()
    c = batch.counts()
    print(f"  end: {c[SongState.DONE]} done, {store.stats.hits} from the store, "
          f"{len(paths) - c[SongState.DONE]} not done; RSS {rss_mb():.1f} MB, "
          f"wall {time.perf_counter() - t0:.1f} s")
    return batch


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--songs", type=int, default=1500, help="songs to generate")
    ap.add_argument("--folder", help="analyze the audio files of this folder instead")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--every", type=int, default=100, help="print every this many songs")
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="songcal-soak-") as tmp:
        if args.folder:
            from core.batch.scan import scan_paths

            paths = scan_paths([args.folder])
        else:
            t0 = time.perf_counter()
            folder = os.path.join(tmp, "songs")
            with ProcessPoolExecutor(max(1, args.workers)) as pool:
                paths = list(pool.map(write_song, [folder] * args.songs, range(args.songs),
                                      chunksize=20))
            print(f"wrote {len(paths)} songs in {time.perf_counter() - t0:.0f} s")
        store_path = os.path.join(tmp, "soak.sqlite")
        batch = run(paths, store_path, args.workers, args.every, "analysis")
        size = sum(os.path.getsize(store_path + s) for s in ("", "-wal")
                   if os.path.exists(store_path + s))
        from core.batch.jobs import SongState

        seen = {id(s) for s in SongState} | {id(batch.settings)}
        kept = [j.result for j in batch.jobs if j.result is not None]
        per_result = sum(deep_size(r, seen) for r in kept) / max(1, len(kept))
        per_job = sum(deep_size(j, seen) for j in batch.jobs) / max(1, len(batch.jobs))
        print(f"session store: {size / 2**20:.1f} MB, {size / max(1, len(paths)) / 1024:.1f} KB "
              f"a song; a kept result {per_result:.0f} bytes (with its chunks), a song of the "
              f"batch with its result {per_job:.0f} bytes")
        del batch, kept
        run(paths, store_path, args.workers, args.every, "resumed from the store")
    return 0


if __name__ == "__main__":
    sys.exit(main())
