"""Tempo and key through lossy codecs: the same songs as FLAC, AAC and MP3.

    python -m benchmarks.productions && python -m benchmarks.midisongs   # render the songs once
    python -m benchmarks.codecs [--codecs aac96 mp3_128 mp3_64] [--workers 2]

Most of a user's library is AAC or MP3, while every evaluation set is rendered to FLAC.
This benchmark takes the LMMS and Hydrogen productions and the games' MIDI songs (songs no
fit has read, with their stated tempo), encodes each with PyAV's encoders (FFmpeg's AAC,
LAME for MP3) and analyzes every version with :func:`core.analysis.analyze.analyze_file`,
as the window would.  Printed: each song whose tempo or key differs from its FLAC's, then
Acc1, Acc2 and files without a tempo for every version, and how many tempi (within 4 %)
and keys agree with the FLAC's.  The encoded files are written to a temporary folder and
deleted once analyzed.  About 20 minutes on 2 cores.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import numpy as np  # noqa: E402
import soundfile as sf  # noqa: E402

from benchmarks.tempo_report import print_scores, songs_by_others  # noqa: E402
from core.calibration.agreement import tempo_within  # noqa: E402

__all__ = ["CODECS", "encode", "main"]

#: Versions: name -> (label, PyAV encoder, bit rate, file extension).
CODECS = {
    "aac96": ("AAC 96k", "aac", 96_000, ".m4a"),
    "aac128": ("AAC 128k", "aac", 128_000, ".m4a"),
    "mp3_128": ("MP3 128k", "libmp3lame", 128_000, ".mp3"),
    "mp3_64": ("MP3 64k", "libmp3lame", 64_000, ".mp3"),
    "opus64": ("Opus 64k", "libopus", 64_000, ".opus"),
}


def encode(src: str, dst: str, codec: str, bit_rate: int) -> None:
    """Encode the audio file ``src`` into ``dst`` with the PyAV ``codec`` at ``bit_rate``."""
    import av

    y, sr = sf.read(src, dtype="float32", always_2d=True)
    rate = 48000 if codec == "libopus" else sr  # Opus runs at 48 kHz
    layout = "stereo" if y.shape[1] >= 2 else "mono"
    y = y[:, :2]
    with av.open(dst, "w") as out:
        stream = out.add_stream(codec, rate=rate)
        stream.bit_rate = bit_rate
        stream.layout = layout
        resampler = av.AudioResampler(format=stream.format.name, layout=layout, rate=rate)

        def mux(frame) -> None:
            for resampled in resampler.resample(frame):
                for packet in stream.encode(resampled):
                    out.mux(packet)

        for i in range(0, len(y), 4096):
            frame = av.AudioFrame.from_ndarray(np.ascontiguousarray(y[i : i + 4096].T),
                                               format="fltp", layout=layout)
            frame.sample_rate = sr
            mux(frame)
        mux(None)
        for packet in stream.encode(None):
            out.mux(packet)


def _songs() -> list[dict]:
    """The productions and MIDI songs (rendered when missing, as their benchmarks do)."""
    return ([dict(s, set="demo songs") for s in songs_by_others("productions")]
            + [dict(s, set="MIDI songs") for s in songs_by_others("midisongs")])


def _same_tempo(bpm: float | None, other: float | None) -> bool:
    """Both missing, or within the Acc1 tolerance (4 %) of each other."""
    if bpm is None or other is None:
        return bpm is other
    return bool(tempo_within(bpm, other))


def _analyze(path: str) -> tuple[float | None, str | None]:
    from core.analysis.analyze import analyze_file

    r = analyze_file(path)
    return r.bpm, r.key


def _versions(song: dict, codecs: list[str], folder: str) -> dict:
    """``{version label: (BPM, key)}`` of one song: its FLAC and each codec's version."""
    out = {"FLAC": _analyze(song["path"])}
    for name in codecs:
        label, codec, bit_rate, ext = CODECS[name]
        dst = os.path.join(folder, f"{abs(hash(song['id']))}-{name}{ext}")
        try:
            encode(song["path"], dst, codec, bit_rate)
            out[label] = _analyze(dst)
        finally:
            if os.path.exists(dst):
                os.remove(dst)
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--codecs", nargs="+", default=["aac96", "mp3_128", "mp3_64"],
                    choices=sorted(CODECS))
    ap.add_argument("--workers", type=int, default=2, help="songs analyzed at once")
    args = ap.parse_args(argv)

    songs = _songs()
    if not songs:
        raise SystemExit("no rendered songs: run python -m benchmarks.productions and "
                         "python -m benchmarks.midisongs first")
    labels = ("FLAC",) + tuple(CODECS[c][0] for c in args.codecs)
    with tempfile.TemporaryDirectory(prefix="songcal-codecs-") as folder, \
            ThreadPoolExecutor(args.workers) as pool:
        results = list(pool.map(lambda s: _versions(s, args.codecs, folder), songs))
    print(f"{len(songs)} songs; versions: {', '.join(labels)}")
    print("\nsongs whose tempo or key differs from the FLAC's:")
    for song, res in zip(songs, results, strict=True):
        bpm0, key0 = res["FLAC"]
        for label in labels[1:]:
            bpm, key = res[label]
            if not _same_tempo(bpm, bpm0) or key != key0:
                print(f"  {song['id']:<32} {song['bpm']:6.1f}  {label:<9} "
                      f"{bpm0 or '-'} {key0 or '-'} -> {bpm or '-'} {key or '-'}")
    answers = {label: {s["id"]: r[label][0] for s, r in zip(songs, results, strict=True)}
               for label in labels}
    print_scores(songs, answers, "set", lambda s: s["set"], systems=labels)
    print("\nagreement with the FLAC's answers (tempo within 4 %, same key):")
    for label in labels[1:]:
        tempo = key = 0
        for r in results:
            (b0, k0), (b, k) = r["FLAC"], r[label]
            tempo += _same_tempo(b, b0)
            key += k == k0
        print(f"  {label:<9} tempo {tempo}/{len(results)}  key {key}/{len(results)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
