"""Stand-in sources for the evaluation-set plan tests (no music21 corpus is read)."""

from __future__ import annotations

import io
import json
import os
import tarfile

import numpy as np

__all__ = ["planned_edition", "stand_in_sources", "stand_in_tune", "write_draw",
           "write_edition"]


def planned_edition(name: str, sources: dict, vary) -> list[dict]:
    """The items of edition ``name`` planned from ``sources`` as
    :func:`benchmarks.evalset.main` plans them, then given their variation by ``vary``
    (the edition's ``vary_*`` function) with the edition's seed."""
    from benchmarks.evalset import EDITIONS, plan

    _folder, seed, splits, fonts, tune_plan = EDITIONS[name]
    return vary(plan(sources, seed=seed, splits=splits, fonts=fonts, tune_plan=tune_plan),
                seed=seed)


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


def stand_in_tune(name: str, first: int, meter: str = "4/4", kind: str = "tune") -> dict:
    """A source of 14 notes from MIDI note ``first`` (its melody signature follows the
    notes, so the same notes under another name or key are the same melody)."""
    return {"id": name, "kind": kind, "meter": meter,
            "notes": [[float(i), 1.0, first + (i * 5) % 12, 0, False] for i in range(14)]}


def write_edition(folder: str, classical: list, tunes: list, items=()) -> None:
    """A built edition's ``sources.json`` and ``manifest.json`` in ``folder``."""
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, "sources.json"), "w") as f:
        json.dump({"classical": classical, "tunes": tunes}, f)
    with open(os.path.join(folder, "manifest.json"), "w") as f:
        json.dump(list(items), f)


def write_draw(folder, rows, *, sr: int = 22050) -> None:
    """A built draw in ``folder``: each ``(item, signal)`` of ``rows`` in its
    ``manifest.json``, and the signal written to the item's ``file`` (none for a row not
    rendered, whose signal is None)."""
    import soundfile as sf

    os.makedirs(os.path.join(folder, "audio"), exist_ok=True)
    for item, signal in rows:
        if signal is not None:
            sf.write(os.path.join(folder, item["file"]), signal, sr)
    with open(os.path.join(folder, "manifest.json"), "w") as f:
        json.dump([item for item, _signal in rows], f)


def npm_tarball(member: str, data: bytes) -> bytes:
    """A gzipped tarball holding ``data`` as ``member``, as the npm registry serves one."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        info = tarfile.TarInfo(member)
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


class Response(io.BytesIO):
    """What ``urllib.request.urlopen`` returns, reading ``bytes`` given."""

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False
