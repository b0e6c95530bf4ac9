"""Analysis and batch settings, shared by the command line and the window."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
from dataclasses import dataclass

__all__ = ["AnalysisSettings", "default_workers"]


def default_workers() -> int:
    """Number of worker threads by default: the machine's cores."""
    return max(1, os.cpu_count() or 1)


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
    """

    sample_rate: int = 22050
    chunk_seconds: float = 30.0
    workers: int = dataclasses.field(default_factory=default_workers)
    budget_base_s: float = 20.0
    budget_factor: float = 0.25
    hard_limit_factor: float = 3.0

    def __post_init__(self):
        if not 8000 <= self.sample_rate <= 48000:
            raise ValueError(f"sample_rate must be 8000-48000 Hz, got {self.sample_rate!r}")
        if not 5.0 <= self.chunk_seconds <= 600.0:
            raise ValueError(f"chunk_seconds must be 5-600 s, got {self.chunk_seconds!r}")
        if not 1 <= self.workers <= 256:
            raise ValueError(f"workers must be 1-256, got {self.workers!r}")
        if self.budget_base_s <= 0 or self.budget_factor < 0:
            raise ValueError(
                f"budget must be positive, got base={self.budget_base_s!r} "
                f"factor={self.budget_factor!r}"
            )
        if self.hard_limit_factor < 1.0:
            raise ValueError(f"hard_limit_factor must be >= 1, got {self.hard_limit_factor!r}")

    def to_dict(self) -> dict:
        """Plain dict of every setting, for exports and QSettings."""
        return dataclasses.asdict(self)

    def fingerprint(self) -> str:
        """Hash of what changes analysis results: the analyzer's version, the analysis rate and
        the chunk length (not workers or budgets)."""
        from core import __version__

        relevant = {"sample_rate": self.sample_rate, "chunk_seconds": self.chunk_seconds,
                    "version": __version__}
        return hashlib.sha1(json.dumps(relevant, sort_keys=True).encode()).hexdigest()[:12]
