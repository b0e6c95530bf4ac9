"""Cost of the Ogg page walk (:mod:`core.analysis.oggpages`) on 5-minute files.

    python -m benchmarks.ogg_pages [--seconds 300]

Writes 5 minutes of stereo noise as Ogg Vorbis and Ogg Opus with libsndfile in a temporary
folder, then prints for each: its size and pages, the best of 5 runs of the walk reading
the page headers only and with every page's CRC checked, and one decode of the whole file
by :func:`core.analysis.decode.stream` to compare with.  The file is in the page cache
(read once before timing), as it is when the decoder reads it right after.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
import timeit

import numpy as np
import soundfile as sf

from core.analysis.decode import probe, stream
from core.analysis.oggpages import ogg_damage

__all__ = ["main"]


def _best(fn, runs: int = 5) -> float:
    """The shortest of ``runs`` timings of ``fn()`` (s)."""
    return min(timeit.repeat(fn, number=1, repeat=runs))


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=300.0)
    args = parser.parse_args(argv)
    rng = np.random.default_rng(0)
    with tempfile.TemporaryDirectory() as tmp:
        for name, rate, subtype in (("vorbis.ogg", 44100, "VORBIS"), ("opus.opus", 48000, "OPUS")):
            path = os.path.join(tmp, name)
            with sf.SoundFile(path, "w", rate, 2, format="OGG", subtype=subtype) as out:
                for _ in range(round(args.seconds)):  # a second at a time (a single write
                    # of minutes of noise crashes libsndfile's Vorbis encoder)
                    out.write((0.2 * rng.standard_normal((rate, 2))).astype(np.float32))
            with open(path, "rb") as fh:
                pages = fh.read().count(b"OggS")
            assert ogg_damage(path) is None
            headers = _best(lambda p=path: ogg_damage(p, check_crc=False))
            crc = _best(lambda p=path: ogg_damage(p))
            start = time.perf_counter()
            info = probe(path)
            for _ in stream(path, info=info):
                pass
            decode = time.perf_counter() - start
            print(f"{subtype:6s} {args.seconds:.0f} s, {os.path.getsize(path) / 1e6:.1f} MB, "
                  f"{pages} pages: headers {headers * 1000:.1f} ms, with CRCs "
                  f"{crc * 1000:.1f} ms; probe and decode {decode:.2f} s")


if __name__ == "__main__":
    main()
