"""Cost of an ID3 tag of many frames before an MP3: opening it, reading it, its title.

    python -m benchmarks.id3_tags [--frames 100 1000 5000 20000]

Writes 6 s of stereo MP3 with libsndfile in a temporary folder, then the same audio after
an ID3v2.3 tag of N text frames (TXXX, as a tagger that stores every field of a database
writes), and prints for each N the best of 3 runs of: libsndfile opening the file whole
(libmpg123 walks the tag), :func:`core.analysis.decode.probe`, :func:`probe` then
:func:`stream` to the end, :func:`core.io.tags.read_title_artist`, and mutagen reading
the whole tag.
"""

from __future__ import annotations

import argparse
import os
import struct
import tempfile
import timeit

import numpy as np
import soundfile as sf

from core.analysis.decode import probe, stream
from core.io.tags import read_title_artist

__all__ = ["main"]


def _best(fn, runs: int = 3) -> float:
    """The shortest of ``runs`` timings of ``fn()`` (s)."""
    return min(timeit.repeat(fn, number=1, repeat=runs))


def _tag(count: int) -> bytes:
    frames = [(b"TIT2", b"\x03Title"), (b"TPE1", b"\x03Artist")]
    frames += [(b"TXXX", b"\x03field%d\x00value %d" % (k, k)) for k in range(count)]
    body = b"".join(fid + struct.pack(">I", len(data)) + b"\x00\x00" + data
                    for fid, data in frames)
    n = len(body)
    return b"ID3\x03\x00\x00" + bytes((n >> s) & 0x7F for s in (21, 14, 7, 0)) + body


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, nargs="+", default=[100, 1000, 5000, 20000])
    args = parser.parse_args(argv)
    rng = np.random.default_rng(0)
    audio = (0.3 * rng.uniform(-1, 1, (6 * 44100, 2))).astype(np.float32)
    with tempfile.TemporaryDirectory() as tmp:
        song = os.path.join(tmp, "song.mp3")
        sf.write(song, audio, 44100, format="MP3")
        with open(song, "rb") as fh:
            mpeg = fh.read()
        print(f"{'frames':>7} {'libsndfile':>11} {'probe':>8} {'probe+stream':>13} "
              f"{'title':>8} {'mutagen':>8}")
        for count in args.frames:
            path = os.path.join(tmp, f"tagged{count}.mp3")
            with open(path, "wb") as fh:
                fh.write(_tag(count) + mpeg)

            def opened(path=path):
                with sf.SoundFile(path):
                    pass

            def whole(path=path):
                info = probe(path)
                for _ in stream(path, info=info):
                    pass

            def mutagen_whole(path=path):
                from mutagen.id3 import ID3

                ID3(path)

            print(f"{count:>7} {_best(opened):>10.3f}s {_best(lambda p=path: probe(p)):>7.3f}s "
                  f"{_best(whole):>12.3f}s {_best(lambda p=path: read_title_artist(p)):>7.3f}s "
                  f"{_best(mutagen_whole):>7.3f}s")


if __name__ == "__main__":
    main()
