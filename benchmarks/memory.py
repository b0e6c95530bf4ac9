"""Peak memory and speed of streaming a long file through decoding and the loudness meter.

Writes a long stereo 44.1 kHz FLAC, MP3 and M4A (AAC) of synthetic audio (block by block) into a temporary
folder, then, in a fresh process per file (so the peak RSS belongs to the measurement alone),
streams each through :func:`core.analysis.decode.stream` and :class:`core.analysis.loudness.LoudnessMeter`.

Run from the repository root::

    /work/venv/bin/python benchmarks/memory.py            # 45 minutes, FLAC, MP3 and M4A
    /work/venv/bin/python benchmarks/memory.py --minutes 5 --formats flac
    /work/venv/bin/python benchmarks/memory.py --full --formats flac   # the whole analysis
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time

import numpy as np
import soundfile as sf

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

SR = 44100
FORMATS = {"flac": ("FLAC", "PCM_16"), "mp3": ("MP3", "MPEG_LAYER_III")}  # m4a: PyAV AAC


def _synthetic_block(start: int, frames: int, rng: np.random.Generator) -> np.ndarray:
    """Chords that change every 2 s, a kick every 0.5 s and some noise; stereo float32."""
    t = (start + np.arange(frames)) / SR
    chord = (np.floor(t / 2.0) % 4).astype(int)
    root = np.array([220.0, 246.9, 196.0, 174.6])[chord]
    y = sum(0.12 * np.sin(2 * np.pi * root * ratio * t) for ratio in (1.0, 1.26, 1.5))
    y = y + 0.4 * np.exp(-30 * (t % 0.5)) * np.sin(2 * np.pi * 55 * t)
    left = y + 0.03 * rng.standard_normal(frames)
    right = 0.8 * y + 0.03 * rng.standard_normal(frames)
    return np.stack([left, right], axis=1).astype(np.float32)


def write_long_file(path: str, minutes: float, *, block_seconds: float = 10.0) -> float:
    """Write ``minutes`` of synthetic audio to ``path`` block by block; return seconds taken."""
    total = round(minutes * 60 * SR)
    block = round(block_seconds * SR)
    rng = np.random.default_rng(0)
    blocks = (_synthetic_block(start, min(block, total - start), rng)
              for start in range(0, total, block))
    t0 = time.perf_counter()
    ext = os.path.splitext(path)[1].lstrip(".")
    if ext == "m4a":
        _write_aac(path, blocks)
    else:
        fmt, subtype = FORMATS[ext]
        with sf.SoundFile(path, "w", SR, 2, format=fmt, subtype=subtype) as out:
            for y in blocks:
                out.write(y)
    return time.perf_counter() - t0


def _write_aac(path: str, blocks) -> None:
    import av

    with av.open(path, "w", format="ipod") as out:
        st = out.add_stream("aac", rate=SR, layout="stereo")
        done = 0
        for y in blocks:
            frame = av.AudioFrame.from_ndarray(y.reshape(1, -1), format="flt", layout="stereo")
            frame.sample_rate, frame.pts = SR, done
            done += len(y)
            for packet in st.encode(frame):
                out.mux(packet)
        for packet in st.encode(None):
            out.mux(packet)


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # Linux: KiB


def measure(path: str, block_seconds: float) -> dict:
    """Stream ``path`` through the meter in this process; return the numbers."""
    import psutil

    from core.analysis.decode import probe, stream
    from core.analysis.loudness import LoudnessMeter

    proc = psutil.Process()
    base_mb = proc.memory_info().rss / 2**20
    t0 = time.perf_counter()
    info = probe(path)
    meter = LoudnessMeter(info.sample_rate, info.channels)
    frames = blocks = 0
    decode_s = 0.0
    cpu0 = time.process_time()
    max_rss_mb = base_mb
    tick = time.perf_counter()
    for block in stream(path, block_seconds=block_seconds, info=info):
        decode_s += time.perf_counter() - tick
        meter.process(block)
        frames += len(block)
        blocks += 1
        max_rss_mb = max(max_rss_mb, proc.memory_info().rss / 2**20)
        tick = time.perf_counter()
    wall = time.perf_counter() - t0
    audio_s = frames / info.sample_rate
    return {
        "file": os.path.basename(path), "backend": info.backend, "audio_min": audio_s / 60,
        "blocks": blocks, "lufs": meter.integrated_lufs(), "lra_lu": meter.loudness_range_lu(),
        "peak_dbfs": meter.peak_dbfs(), "wall_s": wall,
        "x_realtime_total": audio_s / wall, "x_realtime_decode": audio_s / decode_s,
        "cpu_s": time.process_time() - cpu0, "rss_before_mb": base_mb,
        "rss_max_sampled_mb": max_rss_mb, "peak_rss_mb": _rss_mb(),
    }


def measure_full(path: str, block_seconds: float) -> dict:
    """Run the whole analysis (:func:`core.analysis.analyze.analyze_file`) on ``path`` in this process."""
    import psutil

    from core.analysis.analyze import analyze_file
    from core.settings import AnalysisSettings

    proc = psutil.Process()
    base_mb = proc.memory_info().rss / 2**20
    peak = [base_mb]

    def progress(i, n, duration):
        peak[0] = max(peak[0], proc.memory_info().rss / 2**20)

    t0 = time.perf_counter()
    r = analyze_file(path, settings=AnalysisSettings(chunk_seconds=block_seconds, workers=1),
                     progress=progress)
    wall = time.perf_counter() - t0
    return {"file": os.path.basename(path), "audio_min": r.duration_s / 60, "wall_s": wall,
            "x_realtime_total": r.duration_s / wall, "bpm": r.bpm, "key": r.key,
            "lufs": r.loudness_lufs, "rss_before_mb": base_mb, "rss_max_sampled_mb": peak[0],
            "peak_rss_mb": _rss_mb(), "chunks": r.chunks}


def _meter_file(path: str, block_seconds: float) -> float | None:
    from core.analysis.decode import probe, stream
    from core.analysis.loudness import LoudnessMeter

    info = probe(path)
    meter = LoudnessMeter(info.sample_rate, info.channels)
    for block in stream(path, block_seconds=block_seconds, info=info):
        meter.process(block)
    return meter.integrated_lufs()


def thread_scaling(path: str, block_seconds: float, threads: int) -> tuple[float, float]:
    """Wall time (s) of metering ``path`` ``threads`` times: one after another, then at once."""
    from concurrent.futures import ThreadPoolExecutor

    _meter_file(path, block_seconds)  # warm up: imports, caches
    t0 = time.perf_counter()
    for _ in range(threads):
        _meter_file(path, block_seconds)
    serial = time.perf_counter() - t0
    t0 = time.perf_counter()
    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(lambda _: _meter_file(path, block_seconds), range(threads)))
    return serial, time.perf_counter() - t0


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=45.0)
    parser.add_argument("--formats", default="flac,mp3,m4a")
    parser.add_argument("--block-seconds", type=float, default=30.0)
    parser.add_argument("--threads", type=int, default=0,
                        help="also time N files metered in N threads against one after another")
    parser.add_argument("--full", action="store_true",
                        help="measure the whole analysis (analyze_file), not decoding alone")
    parser.add_argument("--measure", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.measure:
        fn = measure_full if args.full else measure
        print(json.dumps(fn(args.measure, args.block_seconds)))
        return
    with tempfile.TemporaryDirectory(prefix="songcal-bench-") as tmp:
        for ext in args.formats.split(","):
            path = os.path.join(tmp, f"long.{ext}")
            took = write_long_file(path, args.minutes)
            size_mb = os.path.getsize(path) / 2**20
            print(f"wrote {args.minutes:g} min {ext.upper()} ({size_mb:.0f} MB) in {took:.1f} s")
            out = subprocess.run(
                [sys.executable, os.path.abspath(__file__), "--measure", path,
                 "--block-seconds", str(args.block_seconds)] + (["--full"] if args.full else []),
                capture_output=True, text=True, check=True)
            r = json.loads(out.stdout.strip().splitlines()[-1])
            if args.full:
                print(f"  {r['file']}: whole analysis of {r['audio_min']:.1f} min in "
                      f"{r['chunks']} chunks, {r['wall_s']:.1f} s "
                      f"({r['x_realtime_total']:.0f}x real time); {r['bpm']} BPM, {r['key']}, "
                      f"{r['lufs']} LUFS")
                print(f"  memory: RSS after imports {r['rss_before_mb']:.0f} MB, "
                      f"max while analyzing {r['rss_max_sampled_mb']:.0f} MB, "
                      f"peak (getrusage) {r['peak_rss_mb']:.0f} MB")
                continue
            print(f"  {r['file']} via {r['backend']}: {r['audio_min']:.1f} min in {r['blocks']} "
                  f"blocks; {r['lufs']:.2f} LUFS, LRA {r['lra_lu']:.1f} LU, "
                  f"peak {r['peak_dbfs']:.2f} dBFS")
            print(f"  speed: {r['x_realtime_total']:.0f}x real time (decode + meter), decode "
                  f"alone {r['x_realtime_decode']:.0f}x; CPU {r['cpu_s']:.1f} s, "
                  f"wall {r['wall_s']:.1f} s")
            print(f"  memory: RSS after imports {r['rss_before_mb']:.0f} MB, "
                  f"max while streaming {r['rss_max_sampled_mb']:.0f} MB, "
                  f"peak (getrusage) {r['peak_rss_mb']:.0f} MB")
            if args.threads > 1:
                serial, parallel = thread_scaling(path, args.block_seconds, args.threads)
                print(f"  threads: {args.threads} files one after another {serial:.1f} s, "
                      f"in {args.threads} threads {parallel:.1f} s "
                      f"(speed-up {serial / parallel:.2f}x on {os.cpu_count()} cores)")


if __name__ == "__main__":
    main()
