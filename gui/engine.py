"""The batch engine of the window: a ``QThreadPool`` driving a :class:`core.batch.rules.Batch`.

One :class:`~gui.workers.SongRunnable` per song runs on a pool thread; the song's chunks are
processed in that thread.  Each worker slot (``W1``...) runs one song at a time: the engine
starts a slot's first song, and a finishing runnable claims the slot's next song from the
batch and starts it on the pool itself, so the pool never waits for the GUI thread.  The
engine runs the watchdog (:meth:`Batch.check`) from a timer five times a second and tells
the views which rows changed, in batches, about three times a second.  A worker whose song
timed out or was skipped while it ran is *abandoned*: its cancel event is set, its slot is
freed at once and the pool grows by one thread until it returns, so the batch never loses
capacity; its late result is discarded by the batch.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

from PySide6.QtCore import QObject, QThreadPool, QTimer, Signal

from core.batch.rules import ACTIVE_STATES, TERMINAL_STATES, Batch, Job, SongState
from core.settings import AnalysisSettings
from gui.tasks import run_task
from gui.workers import (
    InFlight,
    ScanRunnable,
    SongRunnable,
    WorkerRecord,
    WorkerSignals,
    WorkerSlot,
)

__all__ = ["BatchEngine", "Segment", "EngineState", "default_analyze"]

log = logging.getLogger(__name__)

#: Pools kept alive after a shutdown that left a worker stuck (a pool waits for its threads
#: when destroyed; a stuck decoder must not hang the quit).
_ORPHAN_POOLS: list[QThreadPool] = []


def default_analyze(path, *, settings, progress=None, should_cancel=None):
    """:func:`core.analysis.analyze.analyze_file`, imported on first use (off the start-up path)."""
    from core.analysis.analyze import analyze_file

    return analyze_file(path, settings=settings, progress=progress, should_cancel=should_cancel)


class EngineState:
    """Names of the engine states (plain strings, for labels and tests)."""

    IDLE = "idle"
    RUNNING = "running"
    PAUSED = "paused"
    CANCELLING = "cancelling"


@dataclass
class Segment:
    """One attempt of one song on one worker, for the worker timeline.

    Times are seconds since the engine's epoch; ``end`` is None while it runs.
    """

    worker: str
    job_id: int
    start: float
    end: float | None = None
    stalled_at: float | None = None
    state: str = SongState.RUNNING.value


@dataclass
class _History:
    times: list = field(default_factory=list)
    done: list = field(default_factory=list)


class BatchEngine(QObject):
    """Run songs on a thread pool under the rules of :class:`core.batch.rules.Batch`.

    Parameters
    ----------
    settings : AnalysisSettings, optional
        Initial settings (workers, budgets, chunk length, sample rate).
    analyze : callable, optional
        ``analyze(path, *, settings, progress, should_cancel) -> SongResult``; defaults to
        :func:`core.analysis.analyze.analyze_file`.  Tests inject fakes.
    store : core.batch.store.ResultStore, optional
        Session store: finished songs are saved at once, unchanged files already analyzed
        with the same settings are taken from it (unless forced), and each batch is recorded
        as a session.
    tick_ms : int
        Watchdog and row-refresh period (ms).
    parent : QObject, optional
    """

    #: ``(first_job_id, count)`` rows appended to the batch.
    jobsAdded = Signal(int, int)
    #: The batch was replaced by an empty one.
    cleared = Signal()
    #: ``[job_id, ...]`` rows whose content changed since the last tick (sorted, unique).
    jobsChanged = Signal(list)
    #: ``[job_id, ...]`` running rows whose progress or timing changed (sorted, unique).
    jobsProgressed = Signal(list)
    #: ``(state)`` one of :class:`EngineState`.
    stateChanged = Signal(str)
    #: ``(job_id)`` a song passed its budget.
    stalled = Signal(int)
    #: ``(job_id)`` a song passed its hard limit.
    timedOut = Signal(int)
    #: Every song of the batch has ended.
    batchFinished = Signal()
    #: ``(n_found)`` a scan ended (rows already added).
    scanFinished = Signal(int)
    #: Emitted on every watchdog tick, after rows and states were updated.
    ticked = Signal()

    #: Most rows added from scan results in one pass of the event loop.
    ROWS_PER_SLICE = 1000
    #: Rows added at a time within a pass (each step is one row insertion for the views).
    ROWS_PER_STEP = 250
    #: Time (s) after which a pass adds no further step and lets the event loop run.
    SLICE_S = 0.008
    #: Pause (ms) between two passes while rows are still waiting.
    SLICE_PAUSE_MS = 10
    #: Shortest interval (s) between two row refreshes sent to the views while a batch runs.
    ROW_REFRESH_S = 0.3

    def __init__(self, settings: AnalysisSettings | None = None, *,
                 analyze: Callable | None = None, store=None, tick_ms: int = 200,
                 parent=None):
        super().__init__(parent)
        self.settings = settings or AnalysisSettings()
        self.store = store
        self._session: int | None = None
        analyze = analyze or default_analyze
        if store is not None:
            from core.batch.store import cached

            analyze = cached(analyze, store, force=self._is_forced)
        self.analyze = analyze
        self.batch = Batch(settings=self.settings)
        self.identity: dict[int, tuple[str, str]] = {}
        self._path_rows: dict[str, list[int]] = {}
        self.pool = QThreadPool(self)
        self.pool.setExpiryTimeout(30_000)
        self.signals = WorkerSignals(self)
        self.signals.started.connect(self._on_started)
        self.signals.progressed.connect(self._on_progress)
        self.signals.done.connect(self._on_done)
        self.signals.found.connect(self._on_found)
        self.signals.identified.connect(self._on_identified)
        self.signals.scanned.connect(self._on_scanned)
        self.signals.listed.connect(self._on_listed)
        self._slot_lock = threading.Lock()
        self._in_flight = InFlight()
        self.slots: list[WorkerSlot] = []
        self.abandoned: list[WorkerRecord] = []
        self.segments: list[Segment] = []
        self._open_segments: dict[tuple[int, int], Segment] = {}
        self.history = _History()
        self.epoch = time.monotonic()
        self.state = EngineState.IDLE
        self._dirty: set[int] = set()  # rows to repaint whole
        self._live: set[int] = set()  # running rows: status, progress and timing columns
        self._last_rows_emit = 0.0
        self._scans: dict[int, ScanRunnable] = {}
        self._found_queue: deque = deque()
        self._drain_scheduled = False
        self._scan_token = 0
        self._tasks: set = set()
        self._cancel_deadline: float | None = None
        self._closing = False
        self.cancel_grace_s = 5.0
        self._resize_slots(self.settings.workers)
        self.timer = QTimer(self)
        self.timer.setInterval(tick_ms)
        self.timer.timeout.connect(self.tick)
        self.timer.start()

    def _is_forced(self, path: str) -> bool:
        jobs = self.batch.jobs
        return any(jobs[i].force for i in self._path_rows.get(path, ()) if i < len(jobs))

    # -- properties ---------------------------------------------------------------------
    @property
    def is_running(self) -> bool:
        """True while a batch runs (also when paused or cancelling)."""
        return self.state != EngineState.IDLE

    @property
    def is_scanning(self) -> bool:
        """True while a folder scan is going on."""
        return bool(self._scans)

    def busy_records(self) -> list[WorkerRecord]:
        """Records of the songs the slots' workers run now."""
        with self._slot_lock:
            return [s.record for s in self.slots if s.record is not None]

    # -- adding songs -------------------------------------------------------------------
    def add_paths(self, paths) -> int:
        """Scan files and folders off the GUI thread; rows are added as files are found.

        Non-audio files are skipped; a named file that does not exist becomes a failed row.
        :attr:`scanFinished` tells when the scan has ended.  Returns a scan number (0 when
        there is nothing to scan).
        """
        paths = [os.fspath(p) for p in paths]
        if not paths:
            return 0
        self._scan_token += 1
        token = self._scan_token
        runnable = ScanRunnable(paths, token, self.signals, rows_added=threading.Event())
        self._scans[token] = runnable
        self._update_pool_size()  # a scan never waits for a song worker
        self.pool.start(runnable)
        return token

    def _on_found(self, token: int, items: list) -> None:
        # Rows are added in slices from a zero-delay timer, so a scan that finds thousands
        # of files at once never holds the event loop for long.
        self._found_queue.append(("found", token, items))
        self._schedule_drain()

    def _on_listed(self, token: int) -> None:
        self._found_queue.append(("listed", token, None))
        self._schedule_drain()

    def _on_scanned(self, token: int, n_found: int) -> None:
        self._found_queue.append(("scanned", token, n_found))
        self._schedule_drain()

    def _schedule_drain(self, delay_ms: int = 0) -> None:
        if not self._drain_scheduled:
            self._drain_scheduled = True
            QTimer.singleShot(delay_ms, self._drain_found)

    def _drain_found(self) -> None:
        # At most ROWS_PER_SLICE rows per pass, in steps of ROWS_PER_STEP, and no new step
        # once SLICE_S has passed: a busy machine gets smaller slices, not longer freezes.
        self._drain_scheduled = False
        budget = self.ROWS_PER_SLICE
        deadline = time.perf_counter() + self.SLICE_S
        while self._found_queue and budget > 0:
            if budget < self.ROWS_PER_SLICE and time.perf_counter() > deadline:
                break
            kind, token, payload = self._found_queue[0]
            if kind == "scanned":
                self._found_queue.popleft()
                self._finish_scan(token, payload)
                continue
            if kind == "listed":  # every row of the scan is in: its tag pass may begin
                self._found_queue.popleft()
                scan = self._scans.get(token)
                if scan is not None and scan.rows_added is not None:
                    scan.rows_added.set()
                continue
            step = min(budget, self.ROWS_PER_STEP)
            if len(payload) > step:
                part, rest = payload[:step], payload[step:]
                self._found_queue[0] = (kind, token, rest)
            else:
                part = payload
                self._found_queue.popleft()
            budget -= len(part)
            self._add_found(token, part)
        if self._found_queue:
            # the next pass after a short pause: the window repaints and takes input between
            self._schedule_drain(self.SLICE_PAUSE_MS)

    def _add_found(self, token: int, items: list) -> None:
        if token not in self._scans:
            return
        ok = [p for p, missing in items if not missing]
        first = len(self.batch.jobs)
        jobs = self.batch.add(ok)
        for p, missing in items:
            if missing:
                jobs.append(self.batch.add_failed(p, "file not found"))
        for job in jobs:
            self.identity[job.id] = (os.path.splitext(os.path.basename(job.path))[0], "")
            self._path_rows.setdefault(job.path, []).append(job.id)
        if jobs:
            self.jobsAdded.emit(first, len(jobs))
            if self.is_running:
                self._add_to_session([j.path for j in jobs if j.state is SongState.QUEUED])
            if self.state == EngineState.RUNNING:
                self._fill()

    def _on_identified(self, token: int, ids: dict) -> None:
        changed = []
        for path, ident in ids.items():
            for row in self._path_rows.get(path, ()):
                self.identity[row] = ident
                changed.append(row)
        if changed:
            self._dirty.update(changed)

    def _finish_scan(self, token: int, n_found: int) -> None:
        if self._scans.pop(token, None) is None:
            return
        self._update_pool_size()
        self.scanFinished.emit(n_found)

    def clear(self) -> bool:
        """Forget every song (only when no batch runs); returns False when refused."""
        if self.is_running:
            return False
        for scan in self._scans.values():
            scan.cancel_event.set()
        self._scans.clear()
        self._found_queue.clear()
        self.batch = Batch(settings=self.settings)
        self.identity.clear()
        self._path_rows.clear()
        self.segments.clear()
        self._open_segments.clear()
        self.history = _History()
        self._dirty.clear()
        self._live.clear()
        self.cleared.emit()
        return True

    # -- settings -------------------------------------------------------------------------
    def set_settings(self, settings: AnalysisSettings) -> None:
        """Use ``settings`` from the next batch on (workers change at once when idle)."""
        self.settings = settings
        if not self.is_running:
            self.batch.settings = settings
            self._resize_slots(settings.workers)

    def _resize_slots(self, n: int) -> None:
        if any(s.runner is not None for s in self.slots):
            return  # never while songs run
        self.slots = [WorkerSlot(f"W{i + 1}", self._slot_lock, self._in_flight)
                      for i in range(n)]
        self._update_pool_size()

    def _update_pool_size(self) -> None:
        # Song workers, plus abandoned workers still running, plus scans and tasks: the
        # engine never dispatches beyond its slots, so nothing ever waits in the pool queue.
        self.pool.setMaxThreadCount(max(1, len(self.slots) + len(self.abandoned)
                                        + len(self._scans) + len(self._tasks)))

    # -- batch control --------------------------------------------------------------------
    def start(self) -> bool:
        """Start (or continue) the batch with the current settings; False if nothing queued."""
        if self.state == EngineState.PAUSED:
            self.resume()
            return True
        if self.is_running:
            return True
        if not any(j.state is SongState.QUEUED for j in self.batch.jobs):
            return False
        self.batch.settings = self.settings
        self.batch.cancelled = False
        self.batch.paused = False
        self.batch.finished_at = None
        self._resize_slots(self.settings.workers)
        if self.batch.started_at is None or not self.history.times:
            self.epoch = time.monotonic()
        self._set_state(EngineState.RUNNING)
        self._begin_session()
        log.info("batch started: %d songs queued on %d workers",
                 sum(1 for j in self.batch.jobs if j.state is SongState.QUEUED),
                 len(self.slots))
        self._fill()
        return True

    def pause(self) -> None:
        """Start no new song; running songs finish."""
        if self.state == EngineState.RUNNING:
            self.batch.paused = True
            self._set_state(EngineState.PAUSED)

    def resume(self) -> None:
        """Continue a paused batch."""
        if self.state == EngineState.PAUSED:
            self.batch.paused = False
            self._set_state(EngineState.RUNNING)
            self._fill()

    def cancel(self) -> None:
        """Cancel the batch: queued songs are cancelled, running ones stop at their next chunk.

        A running song that does not stop within :attr:`cancel_grace_s` is abandoned.
        """
        if not self.is_running:
            return
        changed = self.batch.cancel()
        self._dirty.update(j.id for j in changed)
        self._cancel_deadline = time.monotonic() + self.cancel_grace_s
        self._set_state(EngineState.CANCELLING)
        log.info("batch cancelled")
        self.tick()

    def retry_failed(self) -> int:
        """Queue failed, timed-out, cancelled and skipped songs again and start; returns how many."""
        jobs = self.batch.requeue()
        return self._after_requeue(jobs)

    def force_fresh(self) -> int:
        """Queue every ended song again for a fresh analysis and start; returns how many."""
        jobs = self.batch.requeue(force=True)
        return self._after_requeue(jobs)

    def requeue(self, job_ids) -> int:
        """Analyze the given ended songs again, afresh (any terminal state), and start."""
        jobs = self.batch.requeue(list(job_ids), force=True)
        return self._after_requeue(jobs)

    def _after_requeue(self, jobs) -> int:
        self._dirty.update(j.id for j in jobs)
        if jobs:
            if self.state == EngineState.CANCELLING:
                self._set_state(EngineState.RUNNING)
            self.start()
            self._fill()
        return len(jobs)

    def skip(self, job_id: int) -> bool:
        """Skip a queued, running or stalled song; a running worker is abandoned."""
        ok = self.batch.skip(job_id)
        if ok:
            log.info("skipped %s", self.batch.jobs[job_id].path)
            self._dirty.add(job_id)
            self.tick()
        return ok

    # -- the pool -------------------------------------------------------------------------
    def _fill(self) -> None:
        """Start a worker on every free slot that can get a queued song."""
        if self.state != EngineState.RUNNING or self._closing:
            return
        for slot in self.slots:
            with self._slot_lock:
                if slot.runner is not None:
                    continue
                claimed = self.batch.claim(slot.name)
                if claimed is None:
                    break
                job, attempt = claimed
                self._in_flight.count += 1
                rec = WorkerRecord(name=slot.name, job_id=job.id, attempt=attempt)
                runner = SongRunnable(self.batch, slot, rec, self.analyze, self.signals,
                                      self.pool)
                slot.record, slot.runner = rec, runner
            self._dirty.add(job.id)
            self._update_pool_size()
            self.pool.start(runner)

    def _on_started(self, rec: WorkerRecord) -> None:
        if rec.abandoned:
            return
        seg = Segment(rec.name, rec.job_id, max(0.0, rec.started_at - self.epoch))
        self.segments.append(seg)
        self._open_segments[(rec.job_id, rec.attempt)] = seg
        self._dirty.add(rec.job_id)

    def _on_progress(self, rec: WorkerRecord) -> None:
        self._live.add(rec.job_id)

    def _on_done(self, rec: WorkerRecord) -> None:
        with self._slot_lock:
            if not rec.abandoned:
                self._in_flight.count -= 1
        if rec in self.abandoned:
            self.abandoned.remove(rec)
            log.info("abandoned worker (was %s) returned", rec.name)
            self._update_pool_size()
        if rec.job_id < len(self.batch.jobs):
            self._close_segment(self.batch.jobs[rec.job_id], rec.attempt, rec.ended_at)
            self._dirty.add(rec.job_id)
        self._fill()
        self._check_finished()

    def _reap(self) -> None:
        """Abandon the workers whose song ended without them (timed out, skipped...)."""
        for slot in self.slots:
            with self._slot_lock:
                rec = slot.record
                if rec is None or rec.returned:
                    continue
                job = self.batch.jobs[rec.job_id]
                self._live.add(job.id)
                if job.attempt == rec.attempt and job.state not in TERMINAL_STATES:
                    continue
                rec.abandoned = True
                self._in_flight.count -= 1
                slot.record = slot.runner = None
                self.abandoned.append(rec)
            self._close_segment(job, rec.attempt, time.monotonic())
            self._update_pool_size()
            log.warning("worker %s abandoned on %s (%s)", rec.name, job.path, job.state.value)

    def _close_segment(self, job: Job, attempt: int, end: float) -> None:
        seg = self._open_segments.pop((job.id, attempt), None)
        if seg is not None:
            seg.end = max(seg.start, end - self.epoch)
            seg.state = (job.state.value if job.attempt == attempt else SongState.CANCELLED.value)

    # -- the watchdog ---------------------------------------------------------------------
    def tick(self) -> None:
        """Apply the stall and timeout rules, free abandoned slots, refill, refresh rows."""
        batch = self.batch
        if self.is_running:
            for job in batch.check():
                self._dirty.add(job.id)
                if job.state is SongState.STALLED:
                    seg = self._open_segments.get((job.id, job.attempt))
                    if seg is not None:
                        seg.stalled_at = time.monotonic() - self.epoch
                    log.warning("%s is past its budget (%.0f s) on %s",
                                job.path, batch.budget(job), job.worker)
                    self.stalled.emit(job.id)
                elif job.state is SongState.TIMED_OUT:
                    log.warning("%s timed out on %s: %s", job.path, job.worker, job.error)
                    self.timedOut.emit(job.id)
            self._reap()
            if (self.state == EngineState.CANCELLING and self._cancel_deadline is not None
                    and time.monotonic() > self._cancel_deadline):
                for job in batch.jobs:
                    if job.state in ACTIVE_STATES:
                        batch.abandon(job.id, "cancelled (did not stop in time)")
                        self._dirty.add(job.id)
            self._fill()
            self._record_history()
            self._check_finished()
        now = time.monotonic()
        if now - self._last_rows_emit < self.ROW_REFRESH_S and self.is_running:
            self.ticked.emit()
            return
        self._last_rows_emit = now
        n = len(batch.jobs)
        if self._dirty:
            rows = sorted(r for r in self._dirty if r < n)
            self._live.difference_update(self._dirty)
            self._dirty.clear()
            if rows:
                self.jobsChanged.emit(rows)
        if self._live:
            rows = sorted(r for r in self._live if r < n)
            self._live.clear()
            if rows:
                self.jobsProgressed.emit(rows)
        self.ticked.emit()

    def _record_history(self) -> None:
        now = time.monotonic() - self.epoch
        done = sum(1 for j in self.batch.jobs if j.state in TERMINAL_STATES and j.started_at)
        h = self.history
        if not h.done or h.done[-1] != done or now - h.times[-1] > 1.0:
            h.times.append(now)
            h.done.append(done)

    def _check_finished(self) -> None:
        if self.is_running and self.batch.is_finished:
            self._reap()
            if self._in_flight.count > 0:
                return  # a song's end is still on its way to the GUI thread
            self._record_history()
            self._cancel_deadline = None
            self._set_state(EngineState.IDLE)
            self._end_session()
            c = self.batch.counts()
            log.info("batch finished: %d done, %d failed, %d timed out, %d cancelled, "
                     "%d skipped", c[SongState.DONE], c[SongState.FAILED],
                     c[SongState.TIMED_OUT], c[SongState.CANCELLED], c[SongState.SKIPPED])
            self.batchFinished.emit()

    def _begin_session(self) -> None:
        if self.store is None:
            return
        try:
            paths = [j.path for j in self.batch.jobs if j.state is SongState.QUEUED]
            self._session = self.store.begin_session(paths, self.settings.to_dict())
        except Exception:  # a broken store must not stop the analysis
            log.exception("session store unavailable")
            self._session = None

    def _add_to_session(self, paths) -> None:
        if self.store is not None and self._session is not None and paths:
            try:
                self.store.add_to_session(self._session, paths)
            except Exception:
                log.exception("could not record the new songs in the session")

    def _end_session(self) -> None:
        if self.store is not None and self._session is not None:
            try:
                self.store.end_session(self._session)
            except Exception:
                log.exception("could not close the session")
            self._session = None

    def _set_state(self, state: str) -> None:
        if state != self.state:
            self.state = state
            self.stateChanged.emit(state)

    # -- background tasks -----------------------------------------------------------------
    def run_task(self, fn: Callable[[], object], on_done: Callable[[object, object], None]):
        """Run ``fn()`` on the pool; ``on_done(result, error)`` is called in the GUI thread
        (:func:`gui.tasks.run_task`)."""

        def finished(result, error):
            self._tasks.discard(sig)
            self._update_pool_size()
            on_done(result, error)

        sig = run_task(self.pool, self, fn, finished)
        self._tasks.add(sig)
        self._update_pool_size()

    # -- quitting -------------------------------------------------------------------------
    def shutdown(self, *, timeout_ms: int = 3000) -> bool:
        """Ask every worker to stop and wait up to ``timeout_ms``; True when all returned.

        A worker stuck in native code cannot be stopped: its pool is then kept alive (not
        destroyed, which would wait for it) and the caller may exit the process.
        """
        self._closing = True
        self.timer.stop()
        for scan in self._scans.values():
            scan.cancel_event.set()
        self.batch.cancel()
        for job in self.batch.jobs:
            job.cancel_event.set()
        self.pool.clear()
        ok = self.pool.waitForDone(timeout_ms)
        if not ok:
            log.warning("some workers did not stop within %d ms; leaving them behind",
                        timeout_ms)
            self.pool.setParent(None)
            _ORPHAN_POOLS.append(self.pool)
        return ok
