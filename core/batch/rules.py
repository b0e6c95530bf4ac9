"""The rules of a batch, free of Qt and of any particular thread pool.

A :class:`Batch` holds one :class:`Job` per song and decides every state change: which song
runs next, when a running song is *stalled* (past its time budget) or *timed out* (past the
hard limit), which results to keep and which to discard because they come from an abandoned
attempt.  The window (a ``QThreadPool``) and the command line (plain threads) drive the very
same object: workers :meth:`~Batch.claim` a song and report ``progress`` / ``finish`` /
``fail``, and a watchdog calls :meth:`Batch.check` a few times a second.

Every report is tagged with the job id and its attempt number; a report for an attempt that is
no longer current (the song was skipped, timed out, cancelled or re-queued) is ignored.
"""

from __future__ import annotations

import enum
import threading
import time
from dataclasses import dataclass, field

from core.io.results import SongResult
from core.settings import AnalysisSettings

__all__ = [
    "SongState",
    "TERMINAL_STATES",
    "ACTIVE_STATES",
    "Job",
    "Batch",
    "budget_for",
    "hard_limit_for",
]


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


@dataclass
class Job:
    """One song in a batch.  Owned by :class:`Batch`; read it, do not change it.

    Attributes
    ----------
    id : int
        Stable number of the song in the batch (0-based).
    path : str
        The file.
    attempt : int
        Incremented each time the song is (re)started; reports carry it.
    cancel_event : threading.Event
        Set when the running attempt should stop at its next chunk.
    force : bool
        Queued for a fresh analysis: a stored result of the file must not be reused.  Fixed
        while the job runs, so a worker reads it without the batch's lock.
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
    cancel_event: threading.Event = field(default_factory=threading.Event)
    force: bool = False

    def elapsed(self, now: float | None = None) -> float:
        """Seconds since the current attempt started (0 if it has not)."""
        if self.started_at is None:
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


class Batch:
    """A batch of songs and the rules that move them between states.

    All methods are thread-safe: every change happens under one lock, inside a method.  The
    batch-wide state (:attr:`settings`, :attr:`paused`, :attr:`cancelled`, the start and end
    times) is read through read-only properties and changed by :meth:`begin`,
    :meth:`pause`, :meth:`resume`, :meth:`set_settings` and :meth:`cancel`.  Jobs are read
    directly; a reader in another thread may see a job between two of its field updates,
    so counts and results taken together come from :meth:`counts` and :meth:`results`.
    Methods that report on an attempt return ``False`` (or ``None``) when the report is
    stale and was discarded.

    Parameters
    ----------
    paths : iterable of str
        The songs, in order.
    settings : AnalysisSettings
        Budgets and limits come from here.
    clock : callable, optional
        Monotonic clock (s); tests pass a fake one.
    """

    def __init__(self, paths=(), *, settings: AnalysisSettings | None = None, clock=time.monotonic):
        self._settings = settings or AnalysisSettings()
        self._clock = clock
        self._lock = threading.RLock()
        self._jobs: list[Job] = []
        self._cancelled = False
        self._paused = False
        self._started_at: float | None = None
        self._finished_at: float | None = None
        self.add(paths)

    # -- state, read-only -------------------------------------------------------------------
    @property
    def jobs(self) -> list[Job]:
        """The songs in batch order (job id = index); read them, change them through methods."""
        return self._jobs

    @property
    def settings(self) -> AnalysisSettings:
        """Settings of the batch: budgets, limits, and what workers analyze with."""
        return self._settings

    @property
    def cancelled(self) -> bool:
        """True after :meth:`cancel` until the batch begins again or songs are re-queued."""
        return self._cancelled

    @property
    def paused(self) -> bool:
        """True between :meth:`pause` and :meth:`resume` (or :meth:`begin`)."""
        return self._paused

    @property
    def started_at(self) -> float | None:
        """Clock time (s) the first song started, or None."""
        return self._started_at

    @property
    def finished_at(self) -> float | None:
        """Clock time (s) every song had ended, or None while some have not."""
        return self._finished_at

    # -- batch control ------------------------------------------------------------------------
    def begin(self, settings: AnalysisSettings | None = None) -> None:
        """Hand out queued songs (again): clear a pause and a cancel, mark the batch as not
        finished, and use ``settings`` (when given) from now on."""
        with self._lock:
            if settings is not None:
                self._settings = settings
            self._cancelled = False
            self._paused = False
            self._finished_at = None

    def set_settings(self, settings: AnalysisSettings) -> None:
        """Use ``settings`` for budgets, limits and the songs started from now on."""
        with self._lock:
            self._settings = settings

    def pause(self) -> None:
        """Hand out no new song until :meth:`resume`; running songs go on."""
        with self._lock:
            self._paused = True

    def resume(self) -> None:
        """Hand out queued songs again after :meth:`pause`."""
        with self._lock:
            self._paused = False

    # -- building -----------------------------------------------------------------------
    def add(self, paths) -> list[Job]:
        """Queue more songs; returns the new jobs."""
        with self._lock:
            new = [Job(id=len(self.jobs) + i, path=str(p)) for i, p in enumerate(paths)]
            self._jobs.extend(new)
            if new:
                self._finished_at = None
            return new

    def add_failed(self, path: str, message: str) -> Job:
        """Record a file that cannot even be queued (e.g. unreadable) as a failed row."""
        with self._lock:
            job = Job(id=len(self._jobs), path=str(path), state=SongState.FAILED, error=message)
            job.result = SongResult(path=job.path, status=SongState.FAILED.value, error=message)
            self._jobs.append(job)
            return job

    # -- scheduling ---------------------------------------------------------------------
    def claim(self, worker: str = "") -> tuple[Job, int] | None:
        """Atomically take the next queued job and start it on ``worker``.

        Returns ``(job, attempt)``, the attempt number to tag reports with, or None when
        nothing may start now (none queued, paused or cancelled).
        """
        with self._lock:
            if self._paused or self._cancelled:
                return None
            job = next((j for j in self._jobs if j.state is SongState.QUEUED), None)
            if job is None:
                return None
            now = self._clock()
            if self._started_at is None:
                self._started_at = now
            job.attempt += 1
            job.state = SongState.RUNNING
            job.worker = worker
            job.started_at = now
            job.finished_at = None
            job.stalled_at = None
            job.chunk = 0
            job.n_chunks = 0
            job.error = ""
            job.result = None
            job.cancel_event = threading.Event()
            return job, job.attempt

    def relabel(self, job_id: int, attempt: int, worker: str) -> bool:
        """Name the worker a running attempt actually landed on (for engines that place
        songs themselves, such as a cluster scheduler); False when the attempt is stale."""
        with self._lock:
            job = self._current(job_id, attempt)
            if job is None:
                return False
            job.worker = worker
            return True

    def _current(self, job_id: int, attempt: int) -> Job | None:
        job = self.jobs[job_id]
        if job.attempt != attempt or job.state not in ACTIVE_STATES:
            return None
        return job

    def progress(self, job_id: int, attempt: int, chunk: int, n_chunks: int,
                 duration_s: float | None = None) -> bool:
        """A worker finished ``chunk`` of ``n_chunks``; ``duration_s`` once known."""
        with self._lock:
            job = self._current(job_id, attempt)
            if job is None:
                return False
            job.chunk, job.n_chunks = chunk, n_chunks
            if duration_s is not None:
                job.duration_s = duration_s
            return True

    def finish(self, job_id: int, attempt: int, result: SongResult) -> bool:
        """A worker delivered its result; False if the attempt was abandoned (discarded)."""
        with self._lock:
            job = self._current(job_id, attempt)
            if job is None:
                return False
            job.finished_at = self._clock()
            job.state = SongState.DONE if result.status == SongState.DONE.value else SongState.FAILED
            result.analysis_s = round(job.elapsed(), 3)
            job.error = result.error
            job.result = result
            if result.duration_s is not None:
                job.duration_s = result.duration_s
            self._maybe_finished()
            return True

    def fail(self, job_id: int, attempt: int, message: str, *, cancelled: bool = False) -> bool:
        """A worker's attempt ended with an error (or stopped on request when ``cancelled``)."""
        with self._lock:
            job = self._current(job_id, attempt)
            if job is None:
                return False
            job.finished_at = self._clock()
            job.state = SongState.CANCELLED if cancelled else SongState.FAILED
            job.error = message
            job.result = SongResult(path=job.path, status=job.state.value, error=message,
                                    duration_s=job.duration_s,
                                    analysis_s=round(job.elapsed(), 3))
            self._maybe_finished()
            return True

    # -- the watchdog ---------------------------------------------------------------------
    def budget(self, job: Job) -> float:
        """Time budget (s) of ``job``."""
        return budget_for(job.duration_s, self.settings)

    def hard_limit(self, job: Job) -> float:
        """Hard limit (s) of ``job``."""
        return hard_limit_for(job.duration_s, self.settings)

    def check(self) -> list[Job]:
        """Apply the stall and timeout rules now; returns the jobs whose state changed.

        A running job past its budget becomes stalled; a running or stalled job past its hard
        limit is timed out: its cancel event is set, its worker is abandoned and any late
        report from it is discarded.
        """
        changed = []
        with self._lock:
            now = self._clock()
            for job in self.jobs:
                if job.state not in ACTIVE_STATES:
                    continue
                elapsed = job.elapsed(now)
                if elapsed >= self.hard_limit(job):
                    job.state = SongState.TIMED_OUT
                    job.finished_at = now
                    job.cancel_event.set()
                    job.error = (f"timed out after {elapsed:.0f} s "
                                 f"(hard limit {self.hard_limit(job):.0f} s)")
                    job.result = SongResult(path=job.path, status=job.state.value,
                                            error=job.error, duration_s=job.duration_s,
                                            analysis_s=round(elapsed, 3))
                    changed.append(job)
                elif job.state is SongState.RUNNING and elapsed >= self.budget(job):
                    job.state = SongState.STALLED
                    job.stalled_at = now
                    changed.append(job)
            if changed:
                self._maybe_finished()
        return changed

    def stalled(self) -> list[Job]:
        """Jobs currently past their budget."""
        with self._lock:
            return [j for j in self.jobs if j.state is SongState.STALLED]

    # -- user actions -----------------------------------------------------------------------
    def skip(self, job_id: int) -> bool:
        """Skip a queued, running or stalled song; its worker's late result is discarded."""
        return self._stop(job_id, SongState.SKIPPED, "skipped by the user")

    def abandon(self, job_id: int, message: str = "cancelled") -> bool:
        """Give up on a running song now (cancelled); its worker's late result is discarded."""
        return self._stop(job_id, SongState.CANCELLED, message)

    def _stop(self, job_id: int, state: SongState, message: str) -> bool:
        with self._lock:
            job = self.jobs[job_id]
            if job.state in TERMINAL_STATES:
                return False
            job.cancel_event.set()
            job.state = state
            job.finished_at = self._clock()
            job.error = message
            job.result = SongResult(path=job.path, status=job.state.value, error=job.error,
                                    duration_s=job.duration_s)
            self._maybe_finished()
            return True

    def cancel(self) -> list[Job]:
        """Cancel the batch: queued songs become cancelled, running ones are asked to stop.

        Running songs that stop at their next chunk report through :meth:`fail` with
        ``cancelled=True``; a song that finishes anyway keeps its result.
        """
        with self._lock:
            self._cancelled = True
            changed = []
            for job in self.jobs:
                if job.state is SongState.QUEUED:
                    job.state = SongState.CANCELLED
                    job.error = "cancelled before it started"
                    job.result = SongResult(path=job.path, status=job.state.value,
                                            error=job.error)
                    changed.append(job)
                elif job.state in ACTIVE_STATES:
                    job.cancel_event.set()
            self._maybe_finished()
            return changed

    def requeue(self, job_ids=None, *, states=(SongState.FAILED, SongState.TIMED_OUT,
                                             SongState.CANCELLED, SongState.SKIPPED),
                force: bool = False) -> list[Job]:
        """Queue songs again (retry failed, or everything with ``force``); returns them."""
        with self._lock:
            self._cancelled = False
            ids = range(len(self.jobs)) if job_ids is None else job_ids
            out = []
            for i in ids:
                job = self.jobs[i]
                if job.state in ACTIVE_STATES:
                    continue
                if job.state in states or (force and job.state in TERMINAL_STATES):
                    job.cancel_event.set()  # belt and braces for an abandoned attempt
                    job.state = SongState.QUEUED
                    job.error = ""
                    job.result = None
                    job.chunk = job.n_chunks = 0
                    job.worker = ""
                    job.started_at = job.finished_at = job.stalled_at = None
                    job.force = force
                    out.append(job)
            if out:
                self._finished_at = None
            return out

    # -- summaries ------------------------------------------------------------------------
    def _maybe_finished(self) -> None:
        if self._finished_at is None and self._jobs and all(
            j.state in TERMINAL_STATES for j in self._jobs
        ):
            self._finished_at = self._clock()

    @property
    def is_finished(self) -> bool:
        """True when every song has reached a terminal state."""
        with self._lock:
            return bool(self.jobs) and all(j.state in TERMINAL_STATES for j in self.jobs)

    def counts(self) -> dict[SongState, int]:
        """Number of songs in each state."""
        with self._lock:
            out = {s: 0 for s in SongState}
            for j in self.jobs:
                out[j.state] += 1
            return out

    def results(self) -> list[SongResult]:
        """One result per song, in batch order (queued or running songs have status only)."""
        with self._lock:
            out = []
            for j in self.jobs:
                if j.result is not None:
                    out.append(j.result)
                else:
                    out.append(SongResult(path=j.path, status=j.state.value, error=j.error))
            return out

    def rate_per_minute(self) -> float:
        """Songs finished per minute since the batch started."""
        with self._lock:
            if self.started_at is None:
                return 0.0
            end = self.finished_at or self._clock()
            done = sum(1 for j in self.jobs if j.state in TERMINAL_STATES and j.started_at)
            # At least one second: a deck served from the session store in a few
            # milliseconds must not read as a hundred thousand songs a minute.
            minutes = max(1.0, end - self.started_at) / 60.0
            return done / minutes

    def eta_s(self) -> float | None:
        """Estimated seconds until the batch finishes, or None when unknown."""
        with self._lock:
            rate = self.rate_per_minute()
            left = sum(1 for j in self.jobs if j.state not in TERMINAL_STATES)
            if left == 0:
                return 0.0
            if rate <= 0:
                return None
            return 60.0 * left / rate
