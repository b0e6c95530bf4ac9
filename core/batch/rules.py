"""The rules of a batch, free of Qt and of any particular thread pool.

A :class:`Batch` holds one :class:`Job` per song and decides every state change: which song
runs next, when a running song is *stalled* (past its time budget) or *timed out* (past the
hard limit), which results to keep.  The window (a ``QThreadPool``), the command line (plain
threads) and the cluster engine drive the very same object: workers :meth:`~Batch.claim` a
song and report ``progress`` / ``finish`` / ``fail``, tagged with the job id and attempt
number (a report for an attempt no longer current is ignored), and a watchdog calls
:meth:`Batch.check` a few times a second.

A song analyzed again keeps its earlier good result until the new one arrives (an attempt
that fails, times out, is skipped or cancelled leaves it done with a note; :attr:`Job.outcome`
is how the attempt ended).  :meth:`Batch.extend` moves a running song's hard limit by one
budget; :meth:`Batch.correct` records the user's own tempo and key.  The figures of a run
(songs per minute, time left by song length) are in :mod:`core.batch.progress`.
"""
from __future__ import annotations

import dataclasses
import threading
import time

from core.batch import progress as _progress
from core.batch.jobs import (
    ACTIVE_STATES,
    TERMINAL_STATES,
    CancelFlag,
    Job,
    SongState,
    budget_for,
    hard_limit_for,
)
from core.io.results import SongResult
from core.settings import AnalysisSettings

__all__ = ["SongState", "TERMINAL_STATES", "ACTIVE_STATES", "Job", "Batch", "budget_for",
           "hard_limit_for", "CHANGED_NOTE", "RESULT_WAIT_MIN_S", "USER_TEMPO_RANGE", "scaled_user_tempo",
           "seconds_text", "result_lost"]


def seconds_text(seconds: float) -> str:
    """A duration in messages: whole seconds from 10 s up, tenths below (a limit of 0.4 s
    read "0 s")."""
    return f"{seconds:.0f} s" if seconds >= 9.95 else f"{seconds:.1f} s"

#: The shortest wait (s) for the outcome of a song whose worker has ended it
#: (:meth:`Batch.result_wait`): a result is a few kilobytes, on its way at once.
RESULT_WAIT_MIN_S = 30.0


def result_lost(job: Job, wait: float) -> str:
    """Why a song whose task ended on its worker failed without its outcome (it did not
    reach this computer within ``wait`` seconds)."""
    where = f" on {job.worker}" if job.worker else ""
    return (f"its analysis ended{where}, but its result did not arrive within "
            f"{seconds_text(wait)}; analyze it again")


#: Note of a result kept although its file changed since it was measured (the song was
#: queued again and its attempt ended without a new result).
CHANGED_NOTE = "the file changed since it was analyzed: analyze it again"

#: Tempi (BPM) a user sets by hand: typed, tapped, or a tempo shown scaled by a metrical
#: ratio (x2, /2, x3/2...).
USER_TEMPO_RANGE = (10.0, 600.0)


def scaled_user_tempo(shown: float | None, factor: float) -> float | None:
    """``shown`` (the tempo a song shows, BPM) times ``factor``, rounded to 0.01 BPM, or
    None when there is no tempo to scale or the product leaves :data:`USER_TEMPO_RANGE`
    (x2 pressed again and again would reach tempi no song has, then ones
    :meth:`Batch.correct` refuses)."""
    if not shown:
        return None
    value = round(shown * factor, 2)
    lo, hi = USER_TEMPO_RANGE
    return value if lo <= value <= hi else None


class Batch:
    """A batch of songs and the rules that move them between states.

    Thread-safe: every change happens under one lock, inside a method.  Batch-wide state
    (settings, paused, cancelled, start and end times) is read through properties and
    changed by :meth:`begin`, :meth:`pause`, :meth:`resume`, :meth:`set_settings` and
    :meth:`cancel`.  Jobs are read directly (counts and results taken together come from
    :meth:`counts` and :meth:`results`).  A report on a stale attempt returns ``False``.

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
        self._run = _progress.RunClock()
        # Kept as songs change, so that no question asked on every tick walks every song
        # (a batch of thousands is asked several times a second): songs per state, the
        # running ones, the queued ones (summed) and the run's ended ones (summed), and
        # the first place in the list a queued song can be.
        self._counts = {s: 0 for s in SongState}
        self._active: dict[int, Job] = {}
        self._queued = _progress.QueuedTally()
        self._tally = _progress.RunTally()
        self._first_queued = 0
        self._next_key = 0  # the key of the next song admitted (:attr:`Job.key`)
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

    @property
    def run_started_at(self) -> float | None:
        """Clock time (s) the first song of the current run started (a run begins with
        :meth:`begin`), or None before it."""
        return self._run.started_at

    # -- the bookkeeping of every change of a song's state --------------------------------------
    def _admit(self, job: Job) -> None:
        """Count a new job in its state and append it."""
        job.key = self._next_key
        self._next_key += 1
        self._jobs.append(job)
        self._counts[job.state] += 1
        self._entered(job)

    def _move(self, job: Job, state: SongState) -> None:
        """Change ``job``'s state (every change goes through here)."""
        old = job.state
        if old is state:
            return
        self._counts[old] -= 1
        if old is SongState.QUEUED:
            self._queued.add(job.duration_s, -1)
        elif old in ACTIVE_STATES and state not in ACTIVE_STATES:
            self._active.pop(job.id, None)
        if old in TERMINAL_STATES:
            self._tally.remove(job.key)
        job.state = state
        self._counts[state] += 1
        self._entered(job)

    def _entered(self, job: Job) -> None:
        if job.state is SongState.QUEUED:
            self._queued.add(job.duration_s)
            self._first_queued = min(self._first_queued, job.id)
        elif job.state in ACTIVE_STATES:
            self._active[job.id] = job

    def _ended(self, job: Job) -> None:
        """``job`` has just ended (its fields set): it counts in the run once the run's
        first song started."""
        if self._run.started_at is not None:
            self._tally.add(job)

    @property
    def _waiting(self) -> int:
        return (self._counts[SongState.QUEUED] + self._counts[SongState.RUNNING]
                + self._counts[SongState.STALLED])

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
            self._run = _progress.RunClock()
            self._tally = _progress.RunTally()

    def set_settings(self, settings: AnalysisSettings) -> None:
        """Use ``settings`` for budgets, limits and the songs started from now on."""
        with self._lock:
            self._settings = settings

    def pause(self) -> None:
        """Hand out no new song until :meth:`resume`; running songs go on."""
        with self._lock:
            if not self._paused:
                self._run.pause(self._clock())
            self._paused = True

    def resume(self) -> None:
        """Hand out queued songs again after :meth:`pause`."""
        with self._lock:
            if self._paused:
                self._run.resume(self._clock())
            self._paused = False

    # -- building -----------------------------------------------------------------------
    def add(self, paths) -> list[Job]:
        """Queue more songs; returns the new jobs."""
        with self._lock:
            new = [Job(id=len(self.jobs) + i, path=str(p)) for i, p in enumerate(paths)]
            for job in new:
                self._admit(job)
            if new:
                self._finished_at = None
            return new

    def add_failed(self, path: str, message: str) -> Job:
        """Record a file that cannot even be queued (e.g. unreadable) as a failed row."""
        with self._lock:
            job = Job(id=len(self._jobs), path=str(path), state=SongState.FAILED, error=message,
                      outcome=SongState.FAILED)
            job.result = SongResult(path=job.path, status=SongState.FAILED.value, error=message)
            self._admit(job)
            return job

    def add_restored(self, items) -> list[Job]:
        """Add songs of an earlier session as they were left: ``items`` are ``(path,
        result)`` pairs, ``result`` a :class:`SongResult` (its ``status`` a terminal state)
        or None for a song that was not analyzed (queued again).  Returns the new jobs.

        An item may be ``(path, result, True)``: the file changed since ``result`` was
        measured (another mix rendered under the same name, a file replaced).  The song is
        queued again, a done result kept as :attr:`Job.previous` (shown, its user's values
        carried over, until the new result arrives; an attempt that ends without one puts it
        back with a note saying the file changed, :data:`CHANGED_NOTE`)."""
        terminal = {s.value: s for s in TERMINAL_STATES}
        with self._lock:
            new = []
            for path, result, *changed in items:
                job = Job(id=len(self._jobs), path=str(path))
                state = terminal.get(getattr(result, "status", None))
                if changed and changed[0]:
                    job.changed_on_disk = True
                    if state is SongState.DONE:
                        job.previous = result
                elif state is not None:
                    job.state = job.outcome = state
                    job.result = result
                    job.error = result.error
                    job.duration_s = result.duration_s
                self._admit(job)
                new.append(job)
            if any(j.state is SongState.QUEUED for j in new):
                self._finished_at = None
            return new

    def mark_changed(self, job_ids) -> list[Job]:
        """Songs found, after their list came back, to have files that changed since their
        result: each ended one is queued again as :meth:`add_restored` queues a changed song
        (a done result kept as :attr:`Job.previous`).  Queued and running songs are left as
        they are.  Returns the songs queued."""
        with self._lock:  # (re-entrant) no worker claims a song before it is marked
            out = self.requeue(job_ids, force=True, fresh=False)
            for job in out:
                job.changed_on_disk = True
            return out

    # -- scheduling ---------------------------------------------------------------------
    def claim(self, worker: str = "", *, starts_later: bool = False) -> tuple[Job, int] | None:
        """Atomically take the next queued job and start it on ``worker``.

        With ``starts_later`` the engine hands the song to a queue of its own (a cluster's
        scheduler, where it may wait for a worker thread): its clock starts only when the
        engine reports :meth:`started`; until then no budget or hard limit applies.

        Returns ``(job, attempt)``, the attempt number to tag reports with, or None when
        nothing may start now (none queued, paused or cancelled).
        """
        with self._lock:
            if self._paused or self._cancelled:
                return None
            jobs, i = self._jobs, self._first_queued
            while i < len(jobs) and jobs[i].state is not SongState.QUEUED:
                i += 1
            self._first_queued = i
            if i == len(jobs):
                return None
            job = jobs[i]
            now = self._clock()
            if self._started_at is None:
                self._started_at = now
            self._run.start(now)
            job.attempt += 1
            job.settings = self._settings
            job.extra_s = 0.0
            self._move(job, SongState.RUNNING)
            job.worker = worker
            job.started_at = now
            job.waiting = starts_later
            job.finished_at = None
            job.stalled_at = None
            job.chunk = 0
            job.n_chunks = 0
            job.error = ""
            job.result = None
            job.cancel_event = CancelFlag()
            return job, job.attempt

    def relabel(self, job_id: int | Job, attempt: int, worker: str) -> bool:
        """Name the worker a running attempt actually landed on (for engines that place
        songs themselves, such as a cluster scheduler); False when the attempt is stale."""
        with self._lock:
            job = self._current(job_id, attempt)
            if job is None:
                return False
            job.worker = worker
            return True

    def started(self, job_id: int | Job, attempt: int, worker: str) -> bool:
        """The attempt really started on ``worker`` (a song claimed with ``starts_later``,
        or run again there after the worker that ran it was lost): its clock starts now,
        so the time it waited in the engine's queue counts against neither its budget nor
        its hard limit.  False when the attempt is stale."""
        with self._lock:
            job = self._current(job_id, attempt)
            if job is None:
                return False
            job.worker = worker
            job.started_at = self._clock()
            job.finished_at = None  # (ended before, its result lost with its worker)
            job.waiting = False
            if job.state is SongState.STALLED:  # (stalled on the worker that was lost)
                self._move(job, SongState.RUNNING)
                job.stalled_at = None
            return True

    def waits_again(self, job_id: int | Job, attempt: int) -> float | None:
        """The worker running the attempt was lost and the engine's queue (a cluster's
        scheduler) holds the song to run it again: it is queued again for the user
        (:attr:`Job.waiting`, no clock, no progress) until :meth:`started` reports the
        rerun, whose clock starts afresh, so the time it waits for a worker thread counts
        against neither its budget nor its hard limit.  Returns the seconds since the lost
        run started (for the log), or None when the attempt is stale or already waits."""
        with self._lock:
            job = self._current(job_id, attempt)
            if job is None or job.waiting:
                return None
            ran = job.elapsed(self._clock())
            job.waiting = True
            job.finished_at = job.stalled_at = None
            job.chunk = 0
            if job.state is SongState.STALLED:
                self._move(job, SongState.RUNNING)
            return ran

    def ended_on_worker(self, job_id: int | Job, attempt: int) -> bool:
        """The attempt's task has ended on its worker (a cluster's) and its outcome is on
        its way: its clock stops now.  The outcome may reach the batch seconds later (the
        engine settles a result behind the saves before it, and a save reads its file again);
        the song ended in time, so the time-out rule leaves it alone, and its analysis time
        is its run on the worker, not the wait for its turn to be settled.  False when the
        attempt is stale or waits (a late report of a run whose worker was lost)."""
        with self._lock:
            job = self._current(job_id, attempt)
            if job is None or job.waiting or job.finished_at is not None:
                return False
            job.finished_at = self._clock()
            return True

    def _current(self, job_id: int | Job, attempt: int) -> Job | None:
        if isinstance(job_id, Job):  # (a worker's own job: its place may have moved since)
            job = job_id
            if not self.holds(job):
                return None  # removed from the list
        else:
            job = self.jobs[job_id]
        if job.attempt != attempt or job.state not in ACTIVE_STATES:
            return None
        return job

    def holds(self, job: Job) -> bool:
        """True while ``job`` is one of the songs of the batch (not removed)."""
        return 0 <= job.id < len(self._jobs) and self._jobs[job.id] is job

    def progress(self, job_id: int | Job, attempt: int, chunk: int, n_chunks: int,
                 duration_s: float | None = None) -> bool:
        """A worker finished ``chunk`` of ``n_chunks``; ``duration_s`` once known.  Ignored
        while the song waits to start (a late report of a run whose worker was lost)."""
        with self._lock:
            job = self._current(job_id, attempt)
            if job is None or job.waiting:
                return False
            job.chunk, job.n_chunks = chunk, n_chunks
            if duration_s is not None:
                job.duration_s = duration_s
            return True

    def finish(self, job_id: int | Job, attempt: int, result: SongResult) -> bool:
        """A worker delivered its result; False if the attempt was abandoned (discarded).

        The song is named by its place (job id) or, from a thread that does not hold the
        batch's lock, by the :class:`Job` itself, as every report may be: its place moves
        when songs before it are removed, and a removed song's late report is discarded."""
        with self._lock:
            job = self._current(job_id, attempt)
            if job is None:
                return False
            now = self._clock()
            if result.duration_s is not None:
                job.duration_s = result.duration_s
            if result.status != SongState.DONE.value:
                self._settle(job, SongState.FAILED, result.error or "failed", now,
                             analysis_s=round(job.elapsed(now), 3))
                return True
            if job.finished_at is None:  # (else its task's end: ended_on_worker)
                job.finished_at = now
            job.outcome = SongState.DONE
            if result.source != "store":
                result.source = "analysis"
                result.analysis_s = round(job.elapsed(), 3)
            prev = job.previous
            if prev is not None:  # the user's corrections stay with the song
                if result.bpm_user is None:
                    result.bpm_user = prev.bpm_user
                if result.key_user is None:
                    result.key_user = prev.key_user
                if result.user_checked is None:
                    result.user_checked = prev.user_checked
            job.previous = None
            job.changed_on_disk = False
            job.error = result.error or ""  # a done song may carry a warning
            job.result = result
            self._move(job, SongState.DONE)
            self._ended(job)
            self._maybe_finished()
            return True

    def fail(self, job_id: int | Job, attempt: int, message: str, *,
             cancelled: bool = False) -> bool:
        """A worker's attempt ended with an error (or stopped on request when ``cancelled``)."""
        with self._lock:
            job = self._current(job_id, attempt)
            if job is None:
                return False
            now = self._clock()
            self._settle(job, SongState.CANCELLED if cancelled else SongState.FAILED, message,
                         now, analysis_s=round(job.elapsed(now), 3))
            return True

    def _settle(self, job: Job, state: SongState, message: str, now: float, *,
                analysis_s: float | None = None, quiet: bool = False) -> None:
        """End ``job``'s attempt without a new result: ``state`` with ``message``, or, when
        it was being analyzed again, done with its earlier result and a note saying what
        happened (none when ``quiet``: the attempt never started).  An attempt whose task
        had already ended on its worker (:meth:`ended_on_worker`) keeps that end."""
        if job.finished_at is None:
            job.finished_at = now
        job.outcome = state
        job.cancel_event.set()
        prev, job.previous = job.previous, None
        changed, job.changed_on_disk = job.changed_on_disk, False
        if prev is not None:
            new_state = SongState.DONE
            job.error = ""
            # "timed out after 31 s", "skipped by the user" already name the state
            why = message if message.startswith(state.value) else \
                ", ".join(t for t in (state.value, message) if t)
            if changed:  # the earlier values describe what the file held then
                note = CHANGED_NOTE if quiet else (
                    f"the file changed since it was analyzed, and analyzing it again ended: "
                    f"{why}; the earlier values are kept")
                prev = dataclasses.replace(prev, note=note)
            elif not quiet:
                note = f"analyzing it again: {why}; the earlier result is kept"
                prev = dataclasses.replace(prev, note=note)
            job.result = prev
        else:
            new_state = state
            job.error = message
            job.result = SongResult(path=job.path, status=state.value, error=message,
                                    duration_s=job.duration_s, analysis_s=analysis_s)
        self._move(job, new_state)
        self._ended(job)
        self._maybe_finished()

    # -- the watchdog ---------------------------------------------------------------------
    def budget(self, job: Job) -> float:
        """Time budget (s) of ``job``, from the settings of its attempt (the batch's before
        its first)."""
        return budget_for(job.duration_s, job.settings or self.settings)

    def hard_limit(self, job: Job) -> float:
        """Hard limit (s) of ``job``: its settings' limit plus the time :meth:`extend` gave."""
        return hard_limit_for(job.duration_s, job.settings or self.settings) + job.extra_s

    def result_wait(self, job: Job) -> float:
        """How long (s) the outcome of ``job`` may take to come once its worker has ended
        it (:meth:`ended_on_worker`): its hard limit, at least :data:`RESULT_WAIT_MIN_S`."""
        return max(self.hard_limit(job), RESULT_WAIT_MIN_S)

    def extend(self, job_id: int) -> float | None:
        """Give a running (or stalled) song one more budget of time before it is timed out.

        Repeatable: each call moves the song's hard limit by its budget.  Returns the new
        hard limit (s), or None when the song is not running (nothing changes).
        """
        with self._lock:
            job = self.jobs[job_id]
            if job.state not in ACTIVE_STATES:
                return None
            job.extra_s += self.budget(job)
            return self.hard_limit(job)

    def check(self, ended=()) -> list[Job]:
        """Apply the stall and timeout rules now; returns the jobs whose state changed.

        A running job past its budget becomes stalled; a running or stalled job past its hard
        limit is timed out: its cancel event is set, its worker is abandoned and any late
        report from it is discarded.  ``ended`` holds ``(job key, attempt)``
        (:attr:`Job.key`, the place while no song was removed) of songs whose
        worker has ended them, their outcome not reported yet (as do those reported by
        :meth:`ended_on_worker`): they ended in time, and the rules leave them alone,
        whatever their clock says by now.  One whose worker ended it but whose outcome
        has not come :meth:`result_wait` later (a result lost on its way) fails, saying
        so: the batch never waits for it forever.
        """
        changed = []
        with self._lock:
            now = self._clock()
            for job in sorted(self._active.values(), key=lambda j: j.id):  # batch order
                if job.waiting or (job.key, job.attempt) in ended:  # (no clock, or its
                    continue                                       # outcome has come)
                if job.finished_at is not None:  # its clock stopped: its outcome is due
                    wait = self.result_wait(job)
                    if now - job.finished_at >= wait:
                        self._settle(job, SongState.FAILED, result_lost(job, wait), now,
                                     analysis_s=round(job.elapsed(now), 3))
                        changed.append(job)
                    continue
                elapsed = job.elapsed(now)
                if elapsed >= self.hard_limit(job):
                    self._settle(job, SongState.TIMED_OUT,
                                 f"timed out after {seconds_text(elapsed)} "
                                 f"(hard limit {seconds_text(self.hard_limit(job))})", now,
                                 analysis_s=round(elapsed, 3))
                    changed.append(job)
                elif job.state is SongState.RUNNING and elapsed >= self.budget(job):
                    self._move(job, SongState.STALLED)
                    job.stalled_at = now
                    changed.append(job)
            if changed:
                self._maybe_finished()
        return changed

    def stalled(self) -> list[Job]:
        """Jobs currently past their budget."""
        with self._lock:
            return sorted((j for j in self._active.values() if j.state is SongState.STALLED),
                          key=lambda j: j.id)

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
            self._settle(job, state, message, self._clock(),
                         quiet=job.state is SongState.QUEUED)
            return True

    def correct(self, job_id: int, **values) -> SongResult | None:
        """Record the user's own tempo and key for a done song (``bpm_user=``, ``key_user=``;
        None clears one) or the mark that the user checked it by ear (``user_checked=True``,
        None clears it).  The result is replaced by a copy (views and caches keyed by the
        result object see the change); returns it, or None when the song has no result.

        Raises
        ------
        ValueError
            For another field, or a tempo that is not a positive finite number.
        """
        unknown = set(values) - {"bpm_user", "key_user", "user_checked"}
        if unknown:
            raise ValueError("only bpm_user, key_user and user_checked can be corrected, not "
                             f"{sorted(unknown)}")
        if "user_checked" in values and values["user_checked"] is not None \
                and values["user_checked"] is not True:
            raise ValueError(f"user_checked is True or None, got {values['user_checked']!r}")
        bpm = values.get("bpm_user")
        if bpm is not None and not (isinstance(bpm, int | float) and 0 < bpm < 1e4):
            raise ValueError(f"bpm_user must be a tempo in BPM, got {bpm!r}")
        with self._lock:
            job = self.jobs[job_id]
            if job.state is not SongState.DONE or job.result is None:
                return None
            job.result = dataclasses.replace(job.result, **values)
            return job.result

    def give_file_rate(self, job_id: int, rate: int, *, of: SongResult) -> SongResult | None:
        """Give a done song's result the sample rate its file states (a DSD file's, which
        a result an earlier build stored lacks: :mod:`core.batch.file_rates`), replaced by a
        copy as :meth:`correct` does; returns it, or None when the song's result is no
        longer ``of`` (analyzed again, corrected or removed meanwhile) or not done.

        Raises
        ------
        ValueError
            When ``rate`` is not a positive whole number.
        """
        if isinstance(rate, bool) or not isinstance(rate, int) or rate <= 0:
            raise ValueError(f"rate must be a positive whole number of Hz, got {rate!r}")
        with self._lock:
            job = self.jobs[job_id]
            if job.state is not SongState.DONE or job.result is not of:
                return None
            job.result = dataclasses.replace(of, sample_rate=rate)
            return job.result

    def cancel(self) -> list[Job]:
        """Cancel the batch: queued songs become cancelled, running ones are asked to stop.

        Running songs that stop at their next chunk report through :meth:`fail` with
        ``cancelled=True``; a song that finishes anyway keeps its result.
        """
        with self._lock:
            self._cancelled = True
            changed = []
            now = self._clock()
            for job in self.jobs:
                if job.state is SongState.QUEUED:
                    self._settle(job, SongState.CANCELLED, "cancelled before it started", now,
                                 quiet=True)
                    changed.append(job)
                elif job.state in ACTIVE_STATES:
                    job.cancel_event.set()
            self._maybe_finished()
            return changed

    def requeue(self, job_ids=None, *, states=(SongState.FAILED, SongState.TIMED_OUT,
                                             SongState.CANCELLED, SongState.SKIPPED),
                force: bool = False, fresh: bool | None = None) -> list[Job]:
        """Queue songs again (retry failed, or everything with ``force``); returns them.

        A done song keeps its result (:attr:`Job.previous`) until the new one arrives.
        ``fresh`` (by default ``force``) says whether the songs ignore stored results
        (:attr:`Job.force`): new settings, whose results the store keys apart, need not.
        """
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
                    good = job.result if job.state is SongState.DONE else None
                    job.previous = good if good is not None and good.status == "done" else None
                    self._move(job, SongState.QUEUED)
                    job.error = ""
                    job.result = None
                    job.chunk = job.n_chunks = 0
                    job.worker = ""
                    job.started_at = job.finished_at = job.stalled_at = None
                    job.waiting = False
                    job.force = force if fresh is None else fresh
                    out.append(job)
            if out:
                self._finished_at = None
            return out

    # -- removing songs from the list ---------------------------------------------------------
    def remove(self, job_ids, message: str = "removed from the list") -> list[Job]:
        """Take songs out of the batch; returns them, in list order, each with the place it
        had (its :attr:`Job.id`, kept for :meth:`put_back`).

        A running song is first stopped as :meth:`skip` stops it (skipped with
        ``message``; its worker's late report is discarded); a queued one leaves the
        queue as it is (it comes back queued).  The songs after a removed one move up:
        every :attr:`Job.id` stays its place in :attr:`jobs` (:attr:`Job.key` does not
        change).  A song reports about itself by its :class:`Job` from then on
        (:meth:`progress`, :meth:`finish`...), never by a place read before."""
        with self._lock:
            wanted = {i for i in job_ids if 0 <= i < len(self._jobs)}
            if not wanted:
                return []
            now = self._clock()
            for i in sorted(wanted):
                job = self._jobs[i]
                if job.state in ACTIVE_STATES:
                    self._settle(job, SongState.SKIPPED, message, now)
            out = [self._jobs[i] for i in sorted(wanted)]
            self._jobs = [j for i, j in enumerate(self._jobs) if i not in wanted]
            for job in out:
                self._tally.remove(job.key)
            self._recount(out[0].id, left=out)
            return out

    def put_back(self, jobs) -> list[Job]:
        """Put songs :meth:`remove` took out back at the places they had (their
        :attr:`Job.id`; past the end of the list, at its end), as they are now: a queued
        song waits to run again.  Returns them."""
        with self._lock:
            jobs = [j for j in sorted(jobs, key=lambda j: j.id) if not self.holds(j)]
            first = min(jobs[0].id, len(self._jobs)) if jobs else 0
            for job in jobs:
                self._jobs.insert(min(job.id, len(self._jobs)), job)
                self._tally.add_if_ended(job, self._run)
            if jobs:
                self._recount(first, back=jobs)
                if any(j.state is SongState.QUEUED for j in jobs):
                    self._finished_at = None
            return jobs

    def _recount(self, first: int, *, left=(), back=()) -> None:
        """Number the songs by their places from place ``first`` on (the songs before it
        did not move) and count the songs ``left`` out, ``back`` in (after a removal or
        its undo).  Only the songs that moved and those taken out or put back are read:
        numbering and counting every song afresh took 14 ms of a list of 20,000 at each
        removal."""
        jobs = self._jobs
        for i in range(first, len(jobs)):
            jobs[i].id = i
        counts, queued = self._counts, self._queued
        for sign, songs in ((-1, left), (1, back)):
            for job in songs:
                counts[job.state] += sign
                if job.state is SongState.QUEUED:
                    queued.add(job.duration_s, sign)
        # the running songs by their new places, in list order as ever
        gone = {id(j) for j in left}  # (a song that ran was skipped as it left)
        active = [j for j in self._active.values() if id(j) not in gone]
        active += [j for j in back if j.state in ACTIVE_STATES]
        self._active = {j.id: j for j in sorted(active, key=lambda j: j.id)}
        # (the run's tally is kept by song key: remove and put_back take out and add back
        # their own songs; counting it afresh took 0.1 s of a list of 20,000)
        self._first_queued = 0
        if self._jobs and not self._waiting:
            self._maybe_finished()

    # -- summaries ------------------------------------------------------------------------
    def _maybe_finished(self) -> None:
        if self._finished_at is None and self._jobs and not self._waiting:
            self._finished_at = self._clock()

    @property
    def is_finished(self) -> bool:
        """True when every song has reached a terminal state."""
        with self._lock:
            return bool(self._jobs) and not self._waiting

    def counts(self) -> dict[SongState, int]:
        """Number of songs in each state."""
        with self._lock:
            return dict(self._counts)

    def status_counts(self) -> dict[SongState, int]:
        """Number of songs of each :attr:`Job.status`: as :meth:`counts`, but a song handed
        to an engine's own queue that has not started there yet counts as queued, not
        running (what the song table and the status bar say)."""
        with self._lock:
            out = dict(self._counts)
            for job in self._active.values():
                if job.waiting:
                    out[job.state] -= 1
                    out[SongState.QUEUED] += 1
            return out

    def results(self, jobs=None) -> list[SongResult]:
        """One result per song, in batch order (queued or running songs have status only:
        :attr:`Job.status`, so a song waiting in a cluster's queue is ``queued``); of
        ``jobs`` when given (the songs of the list as it was when an export was asked for)."""
        with self._lock:
            out = []
            for j in (self.jobs if jobs is None else jobs):
                if j.result is not None:
                    out.append(j.result)
                else:
                    out.append(SongResult(path=j.path, status=j.status.value, error=j.error))
            return out

    # -- the figures of the current run (core.batch.progress) ---------------------------
    def run_counts(self) -> dict[str, int]:
        """The run's songs: ``ended``, ``analyzed``, ``stored`` (from the store), ``total``."""
        with self._lock:
            return self._tally.counts(self._waiting)

    def figures(self) -> dict:
        """:meth:`run_counts` with ``"rate"`` (songs analyzed per minute of the run, paused
        time and store hits left out) and ``"eta"`` (seconds until the batch ends, by song
        length; None when unknown), read together in two passes."""
        with self._lock:
            now = self._clock()
            out = self._tally.counts(self._waiting)
            end = self._finished_at if self._finished_at is not None else now
            out["rate"] = _progress.run_rate(self.jobs, self._run, end, counts=out)
            out["eta"] = _progress.eta_from(self._tally, self._queued,
                                            self._active.values(), now,
                                            workers=self._settings.workers)
            return out
