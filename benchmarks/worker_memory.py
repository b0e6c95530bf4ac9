"""Memory each song in progress adds: the figure ``songcal analyze`` sizes ``--workers`` by.

Writes ``--songs`` synthetic stereo 44.1 kHz FLAC songs of ``--seconds`` each, then, in a
fresh process per worker count, warms the analysis up on one song (imports, compiled code,
the first blocks) and analyzes the songs on that many threads at once; prints the peak
resident memory (ru_maxrss) above the warmed-up process per song in progress.

Run from the repository root::

    python benchmarks/worker_memory.py                    # 180 s songs, 1, 2 and 4 threads
    python benchmarks/worker_memory.py --seconds 90
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

_CHILD = r"""
import json, resource, sys, threading
from core.analysis.analyze import analyze_file
from core.settings import AnalysisSettings
paths = json.loads(sys.argv[1]); n = int(sys.argv[2])
settings = AnalysisSettings(workers=n)
analyze_file(paths[0], settings=settings)
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
threads = [threading.Thread(target=analyze_file, args=(p,), kwargs={"settings": settings})
           for p in paths[1:n + 1]]
for t in threads: t.start()
for t in threads: t.join()
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"base_mb": base / 1024, "peak_mb": peak / 1024}))
"""


def main() -> None:
    from benchmarks.memory import write_long_file

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=180.0)
    ap.add_argument("--threads", default="1,2,4")
    args = ap.parse_args()
    counts = [int(c) for c in args.threads.split(",")]
    with tempfile.TemporaryDirectory() as folder:
        paths = []
        for i in range(max(counts) + 1):
            p = os.path.join(folder, f"song{i}.flac")
            write_long_file(p, args.seconds / 60.0)
            paths.append(p)
        for n in counts:
            out = subprocess.run([sys.executable, "-c", _CHILD, json.dumps(paths), str(n)],
                                 capture_output=True, text=True, check=True)
            r = json.loads(out.stdout.strip().splitlines()[-1])
            extra = r["peak_mb"] - r["base_mb"]
            print(f"{args.seconds:.0f} s songs, {n} thread(s): warmed up {r['base_mb']:.0f} MB, "
                  f"peak {r['peak_mb']:.0f} MB, {extra / n:.1f} MB per song in progress")


if __name__ == "__main__":
    main()
