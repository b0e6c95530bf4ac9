"""Stand-in sources for the evaluation-set plan tests (no music21 corpus is read)."""

from __future__ import annotations

import numpy as np

__all__ = ["stand_in_sources"]


def stand_in_sources(meters: list[str]) -> dict:
    """Sources as :func:`benchmarks.evalset.plan` reads them: 50 classical pieces (ids,
    metres, keys and note density) and one tune per entry of ``meters``, keys drawn with a
    fixed seed."""
    rng = np.random.default_rng(0)
    classical = [{"id": f"piece{i}", "kind": "chorale" if i % 3 else "quartet", "meter": "4/4",
                  "beat_ql": 1.0, "tonic": i % 12, "mode": "major",
                  "notes": [[float(o), 1.0, 60, 0, False] for o in range(64)],
                  "length_ql": 64.0} for i in range(50)]
    tunes = [{"id": f"tune{i}", "meter": m, "tonic": int(rng.integers(12)),
              "mode": "minor" if i % 4 == 0 else "major"} for i, m in enumerate(meters)]
    return {"classical": classical, "tunes": tunes}
