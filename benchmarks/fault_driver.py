"""``songcal analyze`` with a fake, fast analyzer, for fault injection from outside.

    python -m benchmarks.fault_driver LOG STEP_S -- [songcal analyze options...]

Each analysis appends one line to ``LOG`` (the path's bytes in hex) before it starts, so a
test can count how often a song was analyzed across a run that is killed and the run that
resumes it.  A song takes four steps of ``STEP_S`` seconds, checks its cancel flag between
steps and returns a result whose tempo is derived from the file's size (so a stale result
for changed content is visible).  Everything else is the real command: the output guard,
the batch runner, the session store, the signal handling and the CSV.
"""

from __future__ import annotations

import os
import sys
import time

STEPS = 4


def expected_bpm(size: int) -> float:
    """The tempo the fake analyzer reports for a file of ``size`` bytes."""
    return float(60 + size % 120)


def make_fake(log_path: str, step_s: float):
    """The fake ``analyze_file``."""
    from core.errors import AnalysisCancelled
    from core.io.results import SongResult

    def analyze(path, *, settings=None, progress=None, should_cancel=None):
        with open(log_path, "a", encoding="ascii") as log:
            log.write(os.fsencode(path).hex() + "\n")
        size = os.path.getsize(path)
        for i in range(STEPS):
            if should_cancel is not None and should_cancel():
                raise AnalysisCancelled(path)
            time.sleep(step_s)
            if progress is not None:
                progress(i + 1, STEPS, 8.0)
        return SongResult(path=path, title=os.path.basename(path), status="done",
                          duration_s=8.0, bpm=expected_bpm(size), chunks=STEPS)

    return analyze


def main(argv=None) -> int:
    """Run the command; returns its exit code."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if len(argv) < 3 or argv[2] != "--":
        print(__doc__, file=sys.stderr)
        return 2
    log_path, step_s, rest = argv[0], float(argv[1]), argv[3:]
    import types

    # A stand-in module: the real one imports the whole numeric stack (seconds per start).
    stub = types.ModuleType("core.analysis.analyze")
    stub.analyze_file = make_fake(log_path, step_s)
    sys.modules["core.analysis.analyze"] = stub
    from core.cli.main import main as songcal

    return songcal(["analyze", *rest])


if __name__ == "__main__":
    sys.exit(main())
