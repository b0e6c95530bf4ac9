"""The batch engine's worker slots (``W1``, ``W2``...) on a ``QThreadPool``.

Each slot runs one song at a time.  :class:`WorkerSlots` starts a worker on every free
slot, follows each worker from the song it claimed until it returns, gives up on
(*abandons*) a worker whose song ended without it (timed out, skipped, cancelled), and
keeps the worker timeline (:class:`Segment`, one per attempt).  It holds no batch rules:
who may run next and when a song is late are decided by :class:`core.batch.rules.Batch`;
when to fill the slots and what to show are decided by :class:`gui.engine.BatchEngine`.

Threads: everything here runs in the GUI thread except the hand-over of a slot from one
song to the next, which a finishing :class:`gui.workers.SongRunnable` does in its pool
thread; both change a slot's ``record`` and ``runner`` only under the slots' lock.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from PySide6.QtCore import QThreadPool

from core.batch.rules import TERMINAL_STATES, Batch, Job, SongState
from core.batch.runner import AnalyzeFn
from gui.workers import InFlight, SongRunnable, WorkerRecord, WorkerSignals, WorkerSlot

#: Ends a worker gives its own song (the watchdog and the user give the others).
_ENDED_BY_WORKER = (SongState.DONE, SongState.FAILED)

__all__ = ["WorkerSlots", "Segment"]


@dataclass
class Segment:
    """One attempt of one song on one worker, for the worker timeline.

    Times are seconds since the engine's epoch; ``end`` is None while it runs.
    ``job_id`` is the song's place in the list (-1 once it was removed from the list:
    :meth:`WorkerSlots.renumber`), ``key`` its :attr:`core.batch.rules.Job.key`.
    """

    worker: str
    job_id: int
    start: float
    end: float | None = None
    stalled_at: float | None = None
    state: str = SongState.RUNNING.value
    key: int = -1


class WorkerSlots:
    """Worker slots running the songs of a batch on ``pool``.

    Parameters
    ----------
    pool : QThreadPool
        Where song workers run.
    signals : WorkerSignals
        The engine's signal hub, given to every worker.

    Attributes
    ----------
    slots : list of WorkerSlot
        The slots, in order.
    abandoned : list of WorkerRecord
        Workers given up on that have not returned yet (each holds a pool thread).
    segments : list of Segment
        The worker timeline, in the order attempts started.
    """

    def __init__(self, pool: QThreadPool, signals: WorkerSignals):
        self.pool = pool
        self.signals = signals
        self._lock = threading.Lock()
        self._in_flight = InFlight()
        self.slots: list[WorkerSlot] = []
        self.abandoned: list[WorkerRecord] = []
        self._segments: list[Segment] = []
        #: The songs in list order since they last moved, not yet given to the segments
        #: (:meth:`renumber`), or None.
        self._places: list | None = None
        self._open: dict[tuple[int, int], Segment] = {}  # by (job key, attempt)

    # -- reading ----------------------------------------------------------------------------
    @property
    def segments(self) -> list[Segment]:
        """The worker timeline (see the class), each segment at its song's place now."""
        jobs, self._places = self._places, None
        if jobs is not None:
            places = {j.key: i for i, j in enumerate(jobs)}
            for seg in self._segments:
                seg.job_id = places.get(seg.key, -1)
        return self._segments

    @property
    def in_flight(self) -> int:
        """Songs claimed by workers whose end has not been processed here yet."""
        with self._lock:
            return self._in_flight.count

    @property
    def threads_needed(self) -> int:
        """Pool threads the song workers may use at once: one per slot and per abandoned
        worker still running."""
        return len(self.slots) + len(self.abandoned)

    def label(self, name: str) -> tuple[str, str]:
        """``(shown, tip)`` for the slot named ``name``: the name itself, no tip."""
        return name, ""

    def busy_records(self) -> list[WorkerRecord]:
        """Records of the songs the slots' workers run now."""
        with self._lock:
            return [s.record for s in self.slots if s.record is not None]

    def ended_tasks(self, batch: Batch) -> set[tuple[int, int]]:
        """``(job id, attempt)`` of ``batch``'s songs that ended where they ran but whose
        outcome has not reached the batch yet: none here (a song's worker thread reports
        its outcome as soon as the analysis returns)."""
        return set()

    def running_job_ids(self) -> list[int]:
        """Jobs whose worker has not returned yet (their timing changes every tick)."""
        with self._lock:
            return [s.record.job_id for s in self.slots
                    if s.record is not None and not s.record.returned]

    # -- changing ---------------------------------------------------------------------------
    def resize(self, n: int) -> bool:
        """Make ``n`` slots named ``W1``...; refused (False) while a slot runs a song."""
        if any(s.runner is not None for s in self.slots):
            return False
        self.slots = [WorkerSlot(f"W{i + 1}", self._lock, self._in_flight) for i in range(n)]
        return True

    def fill(self, batch: Batch, analyze: AnalyzeFn, fresh: AnalyzeFn) -> list[Job]:
        """Start a worker on every free slot that can claim a queued song of ``batch``.

        ``fresh`` is the analysis of songs queued with ``force``.  Returns the jobs started.
        """
        started = []
        for slot in self.slots:
            with self._lock:
                if slot.runner is not None:
                    continue
                claimed = batch.claim(slot.name)
                if claimed is None:
                    break
                job, attempt = claimed
                self._in_flight.count += 1
                rec = WorkerRecord(name=slot.name, job_id=job.id, attempt=attempt,
                                   batch=batch, target=job)
                runner = SongRunnable(batch, slot, rec, analyze, self.signals, self.pool,
                                      fresh=fresh)
                slot.record, slot.runner = rec, runner
            started.append(job)
            self.pool.start(runner)
        return started

    def on_started(self, rec: WorkerRecord, epoch: float) -> bool:
        """A worker began its song: open its timeline segment.  False when it was already
        abandoned (nothing to show)."""
        if rec.abandoned:
            return False
        seg = Segment(rec.name, rec.job_id, max(0.0, rec.started_at - epoch), key=rec.key)
        self.segments.append(seg)  # (at the places now: those pending are given first)
        self._open[(rec.key, rec.attempt)] = seg
        return True

    def on_returned(self, rec: WorkerRecord, batch: Batch, epoch: float) -> bool:
        """A worker has returned: count its song as processed and close its segment (a
        worker of another batch, one cleared since, has none in this timeline).

        Returns True when it was an abandoned worker (its pool thread is free again).
        """
        with self._lock:
            if not rec.abandoned:
                self._in_flight.count -= 1
        was_abandoned = rec in self.abandoned
        if was_abandoned:
            self.abandoned.remove(rec)
        if rec.batch is batch and rec.target is not None:  # (not a song of a list cleared
            # since: its segment is gone)
            self.close_segment(rec.target, rec.attempt, rec.ended_at, epoch)
        return was_abandoned

    def reap(self, batch: Batch, now: float, epoch: float) -> list[tuple[WorkerRecord, Job]]:
        """Abandon the workers whose song ended without them (timed out, skipped...).

        Their slots are free at once; each stays in :attr:`abandoned` until it returns.
        Returns the abandoned workers and their jobs.
        """
        out = []
        for slot in self.slots:
            with self._lock:
                rec = slot.record
                if rec is None or rec.returned:
                    continue
                job = rec.target if rec.target is not None else batch.jobs[rec.job_id]
                if job.attempt == rec.attempt and (job.state not in TERMINAL_STATES
                                                   or self._ends_itself(rec, job)):
                    # its song still runs, or the worker ended it and is about to return
                    # (its end signal is on the way): not a worker to give up on.  The
                    # outcome, not the state: a song analyzed again that times out is done
                    # with its earlier result, and its stuck worker is given up on.
                    continue
                rec.abandoned = True
                self._in_flight.count -= 1
                self._let_go(slot, rec)
            self.close_segment(job, rec.attempt, now, epoch)
            out.append((rec, job))
        return out

    def _ends_itself(self, rec: WorkerRecord, job: Job) -> bool:
        """True when ``rec``'s worker gave its song the end it has (done or failed) and is
        about to return (under the lock)."""
        return job.outcome in _ENDED_BY_WORKER

    def _let_go(self, slot, rec: WorkerRecord) -> None:
        """Free ``slot`` of its abandoned worker (under the lock); the worker counts in
        :attr:`abandoned` until it returns."""
        slot.record = slot.runner = None
        self.abandoned.append(rec)

    def release(self) -> None:
        """Free every slot whose worker has returned (the engine goes idle).

        A runnable that has reported its song's end but not yet handed its slot over then
        starts nothing more, so a song added after the batch ended waits for the next start.
        """
        with self._lock:
            for slot in self.slots:
                if slot.record is None or slot.record.returned:
                    slot.record = slot.runner = None

    def mark_stalled(self, job: Job, at: float) -> None:
        """Mark the running segment of ``job`` stalled from ``at`` (s since the epoch)."""
        seg = self._open.get((job.key, job.attempt))
        if seg is not None:
            seg.stalled_at = at

    def close_segment(self, job: Job, attempt: int, end: float, epoch: float) -> None:
        """End the segment of ``attempt`` of ``job`` at monotonic time ``end`` (s)."""
        seg = self._open.pop((job.key, attempt), None)
        if seg is not None:
            seg.end = max(seg.start, end - epoch)
            seg.state = (job.state.value if job.attempt == attempt else SongState.CANCELLED.value)

    def renumber(self, jobs) -> None:
        """The songs moved in the list: ``jobs`` are the songs in their new order (a
        song's place is its index); a segment of a song not there (removed) keeps its run,
        with no place (-1).  Given to the segments when they are next read: a removal from
        a list of 20,000 spent 13 ms of the window's thread on them, and several removals
        in a row need only the last places."""
        self._places = list(jobs)

    def clear_timeline(self) -> None:
        """Forget every segment (the batch was cleared)."""
        self._segments.clear()
        self._places = None
        self._open.clear()
