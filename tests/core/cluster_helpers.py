"""Analyzers for the cluster tests: module-level, so Dask can send them to its workers."""

from __future__ import annotations

import os
import time

from core.errors import AnalysisCancelled, CorruptFileError
from core.io.results import SongResult


def slow_analyze(path, *, settings=None, progress=None, should_cancel=None):
    """Four 'chunks' of 0.25 s each; a file that starts with ``BAD`` fails."""
    path = os.fspath(path)
    with open(path, "rb") as f:
        if f.read(3) == b"BAD":
            raise CorruptFileError(path, "the data is damaged")
    n = 4
    for i in range(n):
        if progress is not None:
            progress(i, n, 8.0)
        if should_cancel is not None and should_cancel():
            raise AnalysisCancelled()
        time.sleep(0.25)
    if progress is not None:
        progress(n, n, 8.0)
    size = os.path.getsize(path)
    return SongResult(path=path, status="done", duration_s=8.0, bpm=60.0 + size % 100,
                      chunks=n)


def stuck_analyze(path, *, settings=None, progress=None, should_cancel=None):
    """Never returns for a file named ``stuck*`` (a decoder stuck in native code)."""
    if os.path.basename(os.fspath(path)).startswith("stuck"):
        if progress is not None:
            progress(0, 4, 1.0)
        while True:
            time.sleep(0.5)
    return slow_analyze(path, settings=settings, progress=progress,
                        should_cancel=should_cancel)
