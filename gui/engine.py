"""The batch engine of the window: a ``QThreadPool`` driving a :class:`core.batch.rules.Batch`.

:class:`BatchEngine` is the one object the window drives: it adds songs, starts, pauses,
cancels and retries the batch, runs the watchdog and tells the views what changed.  The
rules are the batch's; the engine applies them.  Its parts: the worker slots
(:class:`gui.worker_slots.WorkerSlots`, each running one song at a time on a pool thread;
a finishing worker claims its slot's next song itself, so the pool never waits for the GUI
thread; or :class:`gui.cluster_slots.ClusterSlots` on a Dask cluster,
:mod:`gui.cluster_control`), the scan feed (:class:`gui.scan_feed.ScanFeed`), and the
watchdog (:meth:`BatchEngine.tick`, five times a second: stall and time-out rules, workers
given up on, refill, changed rows sent to the views about three times a second).
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable

from PySide6.QtCore import QObject, QThreadPool, QTimer, Signal

from core.batch.rules import ACTIVE_STATES, Batch, SongState
from core.batch.runner import AnalyzeFn
from core.settings import AnalysisSettings
from gui.cluster_control import ClusterControl
from gui.engine_list import EngineListMixin, History
from gui.scan_feed import ScanFeed
from gui.scan_report import ScanReport
from gui.tasks import run_task
from gui.worker_slots import Segment, WorkerSlots
from gui.workers import WorkerRecord, WorkerSignals

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


class BatchEngine(ClusterControl, EngineListMixin, QObject):
    """Run songs on a thread pool under the rules of :class:`core.batch.rules.Batch`.

    Parameters
    ----------
    settings : AnalysisSettings, optional
        Initial settings (workers, budgets, chunk length, sample rate).
    analyze : AnalyzeFn, optional
        The analysis of one song (:class:`core.batch.runner.AnalyzeFn`); defaults to
        :func:`core.analysis.analyze.analyze_file`.  Tests inject fakes.
    store : core.batch.store.ResultStore, optional
        Session store: finished songs are saved at once, and unchanged files already
        analyzed with the same settings are taken from it (unless the song is queued with
        ``force``).  The window's list is kept there by :class:`gui.library.Library`.
    tick_ms : int
        Watchdog and row-refresh period (ms).
    parent : QObject, optional
    """

    #: ``(first_job_id, count)`` rows appended to the batch.
    jobsAdded = Signal(int, int)
    #: The batch was replaced by an empty one.
    cleared = Signal()
    #: ``[job_id, ...]`` the places the songs removed from the list had (empty: songs were
    #: put back); the songs after them moved up, or down (every place may have changed).
    jobsRemoved = Signal(list)
    #: ``[job_id, ...]`` the places of the songs Undo put back, in the list as it is now
    #: (told before :attr:`jobsRemoved` says ``[]``).
    jobsReturned = Signal(list)
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
    #: ``(text)`` the last running scan ended: what was added, failed and left out.
    scanSummary = Signal(str)
    #: Emitted on every watchdog tick, after rows and states were updated.
    ticked = Signal()
    #: ``(message)`` the chosen cluster cannot be used (nothing was analyzed on it).
    clusterFailed = Signal(str)
    #: ``(message)`` something the user should know of the cluster the songs run on (a
    #: worker with an older SongCal), said once per connection.
    clusterWarned = Signal(str)
    #: The songs no longer run on the cluster they ran on (another engine was chosen, or
    #: its lost connection is left to be reached afresh): what was said of it is past.
    clusterLeft = Signal()

    #: Shortest interval (s) between two row refreshes sent to the views while a batch runs.
    ROW_REFRESH_S = 0.3
    #: The ends of songs within this many ms of each other are reported together.
    ENDED_REPORT_MS = 30

    def __init__(self, settings: AnalysisSettings | None = None, *,
                 analyze: AnalyzeFn | None = None, store=None, tick_ms: int = 200,
                 parent=None):
        super().__init__(parent)
        self.settings = settings or AnalysisSettings()
        self.store = store
        analyze = analyze or default_analyze
        #: What workers run: ``analyze`` normally, ``analyze_fresh`` for a song queued with
        #: ``force`` (both save to the store; only the first serves stored results).
        self.analyze: AnalyzeFn = analyze
        self.analyze_fresh: AnalyzeFn = analyze
        if store is not None:
            from core.batch.store import cached

            self.analyze = cached(analyze, store)
            self.analyze_fresh = cached(analyze, store, force=lambda _path: True)
        self.batch = Batch(settings=self.settings)
        #: ``{job_id: (title, artist)}`` from tags, else the file name, until analyzed.
        self.identity: dict[int, tuple[str, str]] = {}
        self.pool = QThreadPool(self)
        self.pool.setExpiryTimeout(30_000)
        self.signals = WorkerSignals(self)
        self.signals.started.connect(self._on_started)
        self.signals.progressed.connect(self._on_progress)
        self.signals.done.connect(self._on_done)
        self.signals.clusterGaveUp.connect(self._on_cluster_gave_up)
        self.signals.clusterRequeued.connect(self._on_cluster_requeued)
        self.signals.clusterOlderWorker.connect(self._on_cluster_older_worker)
        self.signals.skipped.connect(self._on_scan_skipped)
        self._scan_report = ScanReport()
        self.worker_slots = WorkerSlots(self.pool, self.signals)
        self.feed = ScanFeed(self.batch, self.identity, self.signals, self)
        self.feed.rowsAdded.connect(self._on_rows_added)
        self.feed.rowsRepeated.connect(self._on_rows_repeated)
        self.feed.rowsIdentified.connect(self._dirty_rows)
        self.feed.scanEnded.connect(self._on_scan_ended)
        self.feed.aboutToAddRows.connect(self.finish_restoring)
        self.history = History()
        self.epoch = time.monotonic()
        self.state = EngineState.IDLE
        self._dirty: set[int] = set()  # rows to repaint whole
        self._live: set[int] = set()  # running rows: status, progress and timing columns
        self._last_rows_emit = 0.0
        self._tasks: set = set()
        self._cancel_deadline: float | None = None
        #: ``[items, next position, done]`` of a list being restored slice by slice.
        self._restore_left: list | None = None
        self._closing = False
        self.cancel_grace_s = 5.0
        #: Where songs run: None for this computer's threads, else a Dask cluster
        #: (:class:`core.batch.cluster.ClusterSpec`); see :meth:`set_cluster`.
        self.cluster_spec = None
        self._cluster_options: dict = {}
        self._next_cluster = None
        self._connecting = False
        #: The connections of the clusters left, closing on their own threads
        #: (:meth:`_leave_cluster`): futures done once closed.
        self._leaving: list = []
        self._resize_slots(self.settings.workers)
        self.timer = QTimer(self)
        self.timer.setInterval(tick_ms)
        self.timer.timeout.connect(self.tick)
        self.timer.start()
        # A song's end is reported at once, not with the next rows' refresh: its row said
        # "running" up to 0.4 s after the song ended (the refresh waits ROW_REFRESH_S, and
        # is looked at every tick_ms).  The ends of a burst are reported together.
        self._ended_timer = QTimer(self)
        self._ended_timer.setSingleShot(True)
        self._ended_timer.timeout.connect(self._report_rows)

    # -- what the views read ------------------------------------------------------------
    @property
    def is_running(self) -> bool:
        """True while a batch runs (also when paused or cancelling)."""
        return self.state != EngineState.IDLE

    @property
    def is_scanning(self) -> bool:
        """True while a folder scan is going on."""
        return bool(self.feed.scans)

    @property
    def slots(self):
        """The worker slots (:class:`gui.workers.WorkerSlot`), in order; none while the
        chosen cluster's workers are not known (:meth:`cluster_note` says why)."""
        if self.cluster_note():
            return []
        return self.worker_slots.slots

    @property
    def abandoned(self) -> list[WorkerRecord]:
        """Workers given up on that have not returned yet."""
        return self.worker_slots.abandoned

    @property
    def segments(self) -> list[Segment]:
        """The worker timeline: one :class:`Segment` per attempt, in start order."""
        return self.worker_slots.segments

    def worker_label(self, name: str) -> tuple[str, str]:
        """``(shown, tip)`` for the worker slot named ``name`` in the worker panel: a Dask
        worker started with a name of its own shows it, its address in the tip."""
        return self.worker_slots.label(name)

    def busy_records(self) -> list[WorkerRecord]:
        """Records of the songs the slots' workers run now."""
        return self.worker_slots.busy_records()

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
        self.finish_restoring()  # the songs of the last list keep their places, first
        scan = self.feed.new_scan(paths)
        self._update_pool_size()  # a scan never waits for a song worker
        self.pool.start(scan)
        return scan.token

    def _on_rows_added(self, first: int, jobs: list) -> None:
        report = self._scan_report
        for job in jobs:
            if job.state is SongState.FAILED:
                report.failed.append(job.path)
                log.warning("failed: %s: %s", job.path, job.error)
            else:
                report.added += 1
        self.jobsAdded.emit(first, len(jobs))
        if self.state == EngineState.RUNNING:
            self._fill()

    def _on_rows_repeated(self, count: int) -> None:
        self._scan_report.repeated += count

    def _dirty_rows(self, rows: list) -> None:
        self._dirty.update(rows)

    def unreported_rows(self) -> set[int]:
        """Songs changed since the last :attr:`jobsChanged` / :attr:`jobsProgressed` (a
        running batch reports its rows at most every :attr:`ROW_REFRESH_S`): what a view
        keeping values per song must not trust yet."""
        return self._dirty | self._live

    def _on_scan_skipped(self, token: int, items: list) -> None:
        if token in self.feed.scans:  # not a scan stopped by clearing the list
            self._scan_report.skipped.extend(items)

    def _on_scan_ended(self, n_found: int) -> None:
        self._update_pool_size()
        if not self.feed.scans:
            report, self._scan_report = self._scan_report, ScanReport()
            self.scanSummary.emit(report.log())
        self.scanFinished.emit(n_found)

    # -- settings -------------------------------------------------------------------------
    def set_settings(self, settings: AnalysisSettings) -> None:
        """Use ``settings`` from the next batch on (workers change at once when idle)."""
        self.settings = settings
        if not self.is_running:
            self.batch.set_settings(settings)
            self._resize_slots(settings.workers)

    def _resize_slots(self, n: int) -> None:
        if self.worker_slots.resize(n):  # never while songs run
            self._update_pool_size()

    def _update_pool_size(self) -> None:
        # Song workers, plus abandoned workers still running, plus scans and tasks: the
        # engine never dispatches beyond its slots, so nothing ever waits in the pool queue.
        self.pool.setMaxThreadCount(max(1, self.worker_slots.threads_needed
                                        + len(self.feed.scans) + len(self._tasks)))

    # -- batch control --------------------------------------------------------------------
    def start(self) -> bool:
        """Start (or continue) the batch with the current settings; False if nothing queued."""
        self.finish_restoring()
        if self.state == EngineState.PAUSED:
            self.resume()
            return True
        if self.is_running:
            return True
        if not any(j.state is SongState.QUEUED for j in self.batch.jobs):
            return False
        self._apply_next_cluster()
        self._leave_lost_cluster()
        self.batch.begin(self.settings)
        self._resize_slots(self.settings.workers)
        # A new run: its plots and figures start from zero.
        self.epoch = time.monotonic()
        self.history = History()
        self.worker_slots.clear_timeline()
        self._set_state(EngineState.RUNNING)
        if self.cluster_spec is not None and not self._on_cluster():
            self._connect_cluster()
        queued = sum(1 for j in self.batch.jobs if j.state is SongState.QUEUED)
        if self.is_connecting:
            log.info("batch started: %d songs queued for the %s", queued,
                     self.cluster_spec.describe())
        else:
            log.info("batch started: %d songs queued on %d workers", queued,
                     len(self.slots))
        self._fill()
        return True

    def pause(self) -> None:
        """Start no new song; running songs finish."""
        if self.state == EngineState.RUNNING:
            self.batch.pause()
            self._set_state(EngineState.PAUSED)

    def resume(self) -> None:
        """Continue a paused batch."""
        if self.state == EngineState.PAUSED:
            self.batch.resume()
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
        """Queue failed, timed-out, cancelled and skipped songs again and start (a paused
        batch waits for :meth:`resume`); returns how many."""
        self.finish_restoring()
        jobs = self.batch.requeue()
        return self._after_requeue(jobs)

    def force_fresh(self) -> int:
        """Queue every ended song again for a fresh analysis and start; returns how many."""
        self.finish_restoring()
        jobs = self.batch.requeue(force=True)
        return self._after_requeue(jobs)

    def analyze_again(self) -> int:
        """Queue every ended song again and start, with stored results served (for new
        settings: the store keys results by them); returns how many."""
        self.finish_restoring()
        jobs = self.batch.requeue(force=True, fresh=False)
        return self._after_requeue(jobs)

    def requeue(self, job_ids) -> int:
        """Analyze the given ended songs again, afresh (any terminal state), and start."""
        self.finish_restoring()
        jobs = self.batch.requeue(list(job_ids), force=True)
        return self._after_requeue(jobs)

    def _after_requeue(self, jobs) -> int:
        # A paused batch stays paused (as with Start): the songs wait for Resume.
        self._dirty.update(j.id for j in jobs)
        if jobs and self.state != EngineState.PAUSED:
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

    # -- the workers ----------------------------------------------------------------------
    def _fill(self) -> None:
        """Start a worker on every free slot that can get a queued song."""
        if self.state != EngineState.RUNNING or self._closing or self._connecting:
            return
        self._update_pool_size()
        started = self.worker_slots.fill(self.batch, self.analyze, self.analyze_fresh)
        self._dirty.update(j.id for j in started)

    def _on_started(self, rec: WorkerRecord) -> None:
        if self.worker_slots.on_started(rec, self.epoch):
            self._dirty.add(rec.job_id)

    def _on_progress(self, rec: WorkerRecord) -> None:
        if rec.batch is self.batch:
            self._live.add(rec.job_id)

    def _on_done(self, rec: WorkerRecord) -> None:
        job = rec.job()
        if self.worker_slots.on_returned(rec, self.batch, self.epoch):
            log.info("abandoned worker (was %s) returned from %s%s", rec.name,
                     job.path if job is not None else "its song",
                     "" if rec.batch is self.batch else " (a list cleared since)")
            self._update_pool_size()
        # Job ids start again in every list: a worker of a list cleared since names no row.
        if job is not None and rec.batch is self.batch:
            self._dirty.add(rec.job_id)
            if not self._ended_timer.isActive():
                self._ended_timer.start(self.ENDED_REPORT_MS)
            if job.attempt == rec.attempt and job.outcome is SongState.FAILED:
                log.warning("failed: %s: %s", job.path,
                            job.error or (job.result.note if job.result else ""))
        self._fill()
        self._check_finished()

    def _reap(self) -> None:
        """Abandon the workers whose song ended without them (timed out, skipped...)."""
        self._live.update(self.worker_slots.running_job_ids())
        for rec, job in self.worker_slots.reap(self.batch, time.monotonic(), self.epoch):
            self._update_pool_size()
            log.warning("worker %s abandoned on %s (%s)", rec.name, job.path, job.state.value)

    # -- the watchdog ---------------------------------------------------------------------
    def tick(self) -> None:
        """Apply the stall and timeout rules, free abandoned slots, refill, refresh rows."""
        batch = self.batch
        if self.is_running:
            # A song that ended on its cluster worker while its outcome waits behind
            # another's save ended in time: the rules leave it alone.
            for job in batch.check(ended=self.worker_slots.ended_tasks(batch)):
                self._dirty.add(job.id)
                if job.state is SongState.STALLED:
                    self.worker_slots.mark_stalled(job, time.monotonic() - self.epoch)
                    log.warning("%s is past its budget (%.0f s) on %s",
                                job.path, batch.budget(job), job.worker)
                    self.stalled.emit(job.id)
                elif job.outcome is SongState.TIMED_OUT:
                    log.warning("timed out: %s on %s: %s", job.path, job.worker,
                                job.error or job.result.note)
                    self.timedOut.emit(job.id)
                elif job.outcome is SongState.FAILED:  # (its result never came)
                    log.warning("failed: %s: %s", job.path, job.error or job.result.note)
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
        self._report_rows()
        self.ticked.emit()

    def _report_rows(self) -> None:
        """Report the songs changed since the last report (:attr:`jobsChanged`) and the
        running songs' progress (:attr:`jobsProgressed`)."""
        self._ended_timer.stop()
        self._last_rows_emit = time.monotonic()
        n = len(self.batch.jobs)
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

    def _record_history(self) -> None:
        now = time.monotonic() - self.epoch
        done = self.batch.run_counts()["ended"]
        h = self.history
        if not h.done or h.done[-1] != done or now - h.times[-1] > 1.0:
            h.times.append(now)
            h.done.append(done)

    def _run_over(self) -> bool:
        """True when every song has ended, or, once cancelled, when no song runs any more:
        songs added while the cancel waited for the running ones are not part of the
        cancelled run, and stay queued for the next start."""
        batch = self.batch
        if batch.is_finished:
            return True
        if self.state != EngineState.CANCELLING:
            return False
        counts = batch.counts()
        return not (counts[SongState.RUNNING] or counts[SongState.STALLED])

    def _check_finished(self) -> None:
        if self.is_running and self._run_over():
            self._reap()
            if self.worker_slots.in_flight > 0:
                return  # a song's end is still on its way to the GUI thread
            self.worker_slots.release()
            self._record_history()
            self._cancel_deadline = None
            self._set_state(EngineState.IDLE)
            c = self.batch.counts()
            log.info("batch finished: %d done, %d failed, %d timed out, %d cancelled, "
                     "%d skipped", c[SongState.DONE], c[SongState.FAILED],
                     c[SongState.TIMED_OUT], c[SongState.CANCELLED], c[SongState.SKIPPED])
            # the last songs' ends first: a view reading the rows at the batch's end (the
            # summary, an export, a screenshot) saw them still "running"
            self._report_rows()
            self.batchFinished.emit()

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
        self._restore_left = None  # the rest of a list coming back is not added
        self.timer.stop()
        self.feed.cancel()
        self.batch.cancel()  # every running worker's cancel check now says stop
        if self._on_cluster():
            self._leave_cluster()
        self.wait_left()
        self.pool.clear()
        ok = self.pool.waitForDone(timeout_ms)
        if not ok:
            log.warning("some workers did not stop within %d ms; leaving them behind",
                        timeout_ms)
            self.pool.setParent(None)
            _ORPHAN_POOLS.append(self.pool)
        return ok
