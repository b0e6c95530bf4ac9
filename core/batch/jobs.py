"""One song of a batch (:class:`Job`), its life cycle (:class:`SongState`) and its time
budget.

A job is owned by :class:`core.batch.rules.Batch`, which makes every change to it; the
names here are re-exported there.
"""

from __future__ import annotations

import enum
import time
from dataclasses import dataclass, field

from core.io.results import SongResult
from core.settings import AnalysisSettings

__all__ = ["SongState", "TERMINAL_STATES", "ACTIVE_STATES", "Job", "CancelFlag", "budget_for",
           "hard_limit_for"]


class SongState(enum.StrEnum):
    """Life cycle of one song in a batch."""

    QUEUED = "queued"
    RUNNING = "running"
    STALLED = "stalled"  # running, but past its time budget
    DONE = "done"
    FAILED = "failed"
    TIMED_OUT = "timed out"
    CANCELLED = "cancelled"
    SKIPPED = "skipped"


#: States a song does not leave on its own.
TERMINAL_STATES = frozenset(
    {SongState.DONE, SongState.FAILED, SongState.TIMED_OUT, SongState.CANCELLED, SongState.SKIPPED}
)
#: States of a song a worker is analyzing now.
ACTIVE_STATES = frozenset({SongState.RUNNING, SongState.STALLED})


def budget_for(duration_s: float | None, settings: AnalysisSettings) -> float:
    """Time budget (s) of a song: base + factor x duration (base alone while unknown)."""
    return settings.budget_base_s + settings.budget_factor * max(0.0, duration_s or 0.0)


def hard_limit_for(duration_s: float | None, settings: AnalysisSettings) -> float:
    """Hard limit (s) after which a running song is marked timed out and abandoned."""
    return settings.hard_limit_factor * budget_for(duration_s, settings)


class CancelFlag:
    """A stop flag that is set once and read by the attempt's thread: the part of
    :class:`threading.Event` an attempt uses (``set``, ``is_set``; nobody waits on it).

    Every job has one: an Event is a condition, a lock and a queue, and making 20,000 of
    them (a list restored at start-up) kept the window's thread busy several times longer.
    Setting and reading one attribute is atomic in Python.
    """

    __slots__ = ("_set",)

    def __init__(self) -> None:
        self._set = False

    def set(self) -> None:
        self._set = True

    def is_set(self) -> bool:
        return self._set


@dataclass
class Job:
    """One song in a batch.  Owned by :class:`Batch`; read it, do not change it.

    Attributes
    ----------
    id : int
        The song's place in the batch (0-based): its row.  It changes when songs before
        it are removed from the list (:meth:`core.batch.rules.Batch.remove`).
    key : int
        A number of the song that never changes while it is in its batch, nor when a
        removal is undone, and is never given to another song of the batch: what tells
        its tasks and reports apart when places shift (a cluster's task names, the
        calibration's pairs).  The first place it had, unless songs were removed before
        it came.
    path : str
        The file.
    attempt : int
        Incremented each time the song is (re)started; reports carry it.
    cancel_event : CancelFlag
        Set when the running attempt should stop at its next chunk.
    force : bool
        Queued for a fresh analysis: a stored result of the file must not be reused.  Fixed
        while the job runs, so a worker reads it without the batch's lock.
    settings : AnalysisSettings or None
        The settings of the current (or last) attempt; its budget and limit come from them,
        whatever the batch's settings became since.  None before the first attempt.
    extra_s : float
        Time (s) added to the current attempt's hard limit by :meth:`Batch.extend`.
    previous : SongResult or None
        A good result kept while the song is analyzed again (see the module docstring).
    outcome : SongState or None
        How the last attempt ended (``TIMED_OUT`` even when the earlier result was kept).
    changed_on_disk : bool
        Restored from an earlier session while its file no longer holds the content its
        result was measured on: queued again, that result kept as :attr:`previous` (see
        :meth:`Batch.add_restored`).
    waiting : bool
        Handed to an engine that queues it on its own (a cluster's scheduler) and not
        started there yet: its clock, budget and hard limit wait for that start
        (:meth:`Batch.started`).
    """

    id: int
    path: str
    state: SongState = SongState.QUEUED
    attempt: int = 0
    worker: str = ""
    duration_s: float | None = None
    chunk: int = 0
    n_chunks: int = 0
    started_at: float | None = None
    finished_at: float | None = None
    stalled_at: float | None = None
    error: str = ""
    result: SongResult | None = None
    cancel_event: CancelFlag = field(default_factory=CancelFlag)
    force: bool = False
    settings: AnalysisSettings | None = None
    extra_s: float = 0.0
    previous: SongResult | None = None
    outcome: SongState | None = None
    changed_on_disk: bool = False
    waiting: bool = False
    key: int = -1

    def __post_init__(self) -> None:
        if self.key < 0:
            self.key = self.id

    @property
    def status(self) -> SongState:
        """The state a user is told: :attr:`SongState.QUEUED` while the song is
        :attr:`waiting` in an engine's own queue (handed to a cluster's scheduler, not
        started on a worker), else :attr:`state`.  The batch's rules still count such a
        song as running (it holds a place among the songs handed over)."""
        if self.waiting and self.state in ACTIVE_STATES:
            return SongState.QUEUED
        return self.state

    def elapsed(self, now: float | None = None) -> float:
        """Seconds since the current attempt started (0 if it has not, or while it waits to
        start on a cluster worker)."""
        if self.started_at is None or self.waiting:
            return 0.0
        end = self.finished_at if self.finished_at is not None else (now or time.monotonic())
        return max(0.0, end - self.started_at)

    @property
    def progress(self) -> float:
        """Fraction done, 0-1."""
        if self.state in TERMINAL_STATES:
            return 1.0
        if self.n_chunks <= 0:
            return 0.0
        return min(1.0, self.chunk / self.n_chunks)

    def should_cancel(self, attempt: int | None = None) -> bool:
        """Whether ``attempt`` (default: the current one) should stop at its next chunk.

        True once the attempt was stopped (skipped, timed out, cancelled), and for an older
        attempt once the song was started again (it has a new cancel event by then).
        """
        if attempt is not None and attempt != self.attempt:
            return True
        return self.cancel_event.is_set()
