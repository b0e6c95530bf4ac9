"""Analysis and batch settings, shared by the command line and the window."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
import numbers
import os
from dataclasses import dataclass

__all__ = ["AnalysisSettings", "default_workers", "MEMORY_PER_SONG", "SETTING_RANGES",
           "TEMPO_FLOORS", "WorkerCap", "available_memory", "tempo_range_text",
           "workers_for_memory"]

#: Allowed range of every setting, inclusive: ``name -> (low, high, kind)``; ``kind`` is
#: ``int`` or ``float``.  Every value must be a finite number of that kind inside its range.
SETTING_RANGES = {
    "sample_rate": (8000, 48000, int),
    "chunk_seconds": (5.0, 600.0, float),
    "workers": (1, 256, int),
    "budget_base_s": (0.1, 86400.0, float),
    "budget_factor": (0.0, 100.0, float),
    "hard_limit_factor": (1.0, 100.0, float),
    "tempo_floor_bpm": (0.0, 130.0, float),
}
#: Slowest tempo of a stated tempo range must be at least this (0 means no range).
_MIN_TEMPO_FLOOR = 40.0
#: The tempo ranges offered by the window, as their slowest tempo (BPM); each range is one
#: octave, ``floor`` to ``2 * floor`` (88: the tempos 88 to 175).  Their edges are no tempo
#: that much music is written at (such as 120 or 140), whose octave a range's edge would
#: decide by a hair.  0 is the analyzer's own choice of metrical level.
TEMPO_FLOORS = (0.0, 58.0, 68.0, 78.0, 88.0, 98.0, 108.0)

_UNITS = {"sample_rate": " Hz", "chunk_seconds": " s", "budget_base_s": " s",
          "budget_factor": " s per s of audio", "hard_limit_factor": " x budget",
          "tempo_floor_bpm": " BPM"}


def _check_range(name: str, value, lo, hi, kind) -> None:
    """Raise ValueError unless ``value`` is a finite ``kind`` within [lo, hi]."""
    unit = _UNITS.get(name, "")
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ValueError(f"{name} must be a number, got {value!r}")
    if kind is int and not float(value).is_integer():
        raise ValueError(f"{name} must be a whole number, got {value!r}")
    if not math.isfinite(value):
        raise ValueError(f"{name} must be a finite number ({lo}-{hi}{unit}), got {value!r}")
    if not lo <= value <= hi:
        raise ValueError(f"{name} must be {lo}-{hi}{unit}, got {value!r}")


def tempo_range_text(floor: float) -> str:
    """How a tempo range reads to a user: the whole tempos in it, "88-175 BPM" for 88, or
    "automatic" for 0."""
    if not floor:
        return "automatic"
    return f"{floor:g}\u2013{math.ceil(2 * floor) - 1:g} BPM"


def default_workers() -> int:
    """Number of worker threads by default: the machine's cores."""
    return max(1, os.cpu_count() or 1)


#: Memory (bytes) one song in progress adds on the local engine, for songs of a few minutes:
#: 47 MB per song measured for 3-minute songs on 4 threads, 41 MB for 90 s ones
#: (``benchmarks/worker_memory.py``), plus a margin for longer songs.
MEMORY_PER_SONG = 64 * 1024 * 1024


def available_memory() -> int | None:
    """Bytes of memory the system can give without swapping, or None when it cannot say."""
    try:
        import psutil

        return int(psutil.virtual_memory().available)
    except Exception:  # no psutil, or a system it cannot read
        return None


@dataclass(frozen=True)
class WorkerCap:
    """Workers asked for that the available memory does not hold (:func:`workers_for_memory`).

    Attributes
    ----------
    asked : int
        The workers asked for.
    fits : int
        As many as the memory holds, at least one (fewer than ``asked``).
    available : int
        The bytes of memory available when it was measured.
    """

    asked: int
    fits: int
    available: int

    def reason(self, subject: str, *, plural: bool = False) -> str:
        """Why, after ``subject``: "--workers 256 needs about 17.2 GB of memory for songs in
        progress (64 MB each) and 4.1 GB is available; using 61 workers"."""
        return (f"{subject} need{'' if plural else 's'} about "
                f"{self.asked * MEMORY_PER_SONG / 1e9:.1f} GB of memory for songs in progress "
                f"({MEMORY_PER_SONG // 2**20} MB each) and {self.available / 1e9:.1f} GB is "
                f"available; using {self.fits} worker{'s' if self.fits > 1 else ''}")


def workers_for_memory(workers: int, available: int | None = None) -> WorkerCap | None:
    """The cap on ``workers`` songs analyzed at once on this computer: None when the
    available memory (``available``, else :func:`available_memory`) holds them all, at
    :data:`MEMORY_PER_SONG` each, or cannot be read; otherwise how many fit (at least one)."""
    free = available_memory() if available is None else available
    if free is None or workers * MEMORY_PER_SONG <= free:
        return None
    fits = int(max(1, free // MEMORY_PER_SONG))
    return WorkerCap(int(workers), fits, int(free)) if fits < workers else None


@dataclass(frozen=True)
class AnalysisSettings:
    """Everything that changes what or how a batch is analyzed.

    Attributes
    ----------
    sample_rate : int
        Rate (Hz) the mono analysis signal is resampled to for tempo, key and spectra.
        Loudness and peak are always measured at the file's own rate.
    chunk_seconds : float
        Length (s) of one streamed chunk.
    workers : int
        Worker threads in the batch pool.
    budget_base_s : float
        Time budget of a song: ``budget_base_s + budget_factor * duration_s`` seconds.
    budget_factor : float
        Seconds of budget per second of audio.
    hard_limit_factor : float
        A song is timed out at ``hard_limit_factor * budget``.
    tempo_floor_bpm : float
        0: each song's tempo is stated at the metrical level the analyzer finds most likely.
        Otherwise the slowest tempo of a one-octave range (``floor`` to ``2 * floor``) that
        every tempo is stated in, as DJ programs offer: 88 (88-175) states a half-time
        groove at 170 as 170 and a chorale at 66 as 132.  The analyzer's evidence still decides between
        readings that are not octaves of each other (a tempo or 2/3 of it).
    """

    sample_rate: int = 22050
    chunk_seconds: float = 30.0
    workers: int = dataclasses.field(default_factory=default_workers)
    budget_base_s: float = 20.0
    budget_factor: float = 0.25
    hard_limit_factor: float = 3.0
    tempo_floor_bpm: float = 0.0

    def __post_init__(self):
        for name, (lo, hi, kind) in SETTING_RANGES.items():
            _check_range(name, getattr(self, name), lo, hi, kind)
        if 0.0 < self.tempo_floor_bpm < _MIN_TEMPO_FLOOR:
            raise ValueError(f"tempo_floor_bpm must be 0 (automatic) or "
                             f"{_MIN_TEMPO_FLOOR:g}-{SETTING_RANGES['tempo_floor_bpm'][1]:g} "
                             f"BPM, got {self.tempo_floor_bpm!r}")

    def to_dict(self) -> dict:
        """Plain dict of every setting, for exports and QSettings."""
        return dataclasses.asdict(self)

    def fingerprint(self) -> str:
        """Hash of what changes analysis results: the analyzer's build
        (:func:`core.analysis.identity.analyzer_id`: its code, model and libraries, so a
        result stored by another build is analyzed again), the analysis rate, the chunk
        length and a stated tempo range (not workers or budgets)."""
        from core import __version__
        from core.analysis.identity import analyzer_id

        relevant = {"sample_rate": self.sample_rate, "chunk_seconds": self.chunk_seconds,
                    "version": __version__, "analyzer": analyzer_id()}
        if self.tempo_floor_bpm:
            relevant["tempo_floor_bpm"] = float(self.tempo_floor_bpm)
        return hashlib.sha1(json.dumps(relevant, sort_keys=True).encode()).hexdigest()[:12]
