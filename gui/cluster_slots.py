"""The batch engine's worker slots on a Dask cluster: one slot per Dask worker thread.

:class:`ClusterSlots` stands in for :class:`gui.worker_slots.WorkerSlots` when the window
runs songs on a cluster (the engine choice in the settings).  The engine, the views and the
batch rules do not change: a slot still runs one song at a time, reports through the
engine's :class:`gui.workers.WorkerSignals` (``started``, ``progressed``, ``done``) and
keeps the worker timeline; only where the song runs differs.  Each song is one Dask task
(:meth:`core.batch.cluster.ClusterConnection.submit`); the Dask client calls back in its
own event-loop thread, which reports to the (thread-safe) batch and emits the engine's
signals, queued to the GUI thread.  Progress events are throttled on the workers.

A slot is named after the worker thread it stands for (``host:port #1``), so the worker
panel shows one row per Dask worker thread with its host.  Dask decides where a task runs:
a song is placed on a free slot when submitted and moved to a slot of the worker that
really runs it when that worker starts it.

Songs already in the session store are never submitted: the store is read and filled here,
in the window's process (:func:`core.batch.cluster.store_hooks`), as the command line does.
A song given up on (timed out, skipped) keeps its worker thread busy on the cluster until
its task really ends (Dask cannot stop a thread), so it keeps counting against the free
slots meanwhile.
"""

from __future__ import annotations

import logging
import time
from concurrent.futures import ThreadPoolExecutor

from core.batch.cluster import ClusterConnection, store_hooks
from core.batch.rules import Batch, Job
from core.batch.runner import AnalyzeFn
from gui.worker_slots import WorkerSlots
from gui.workers import WorkerRecord, WorkerSignals, WorkerSlot

__all__ = ["ClusterSlots"]

log = logging.getLogger(__name__)

_REFRESH_S = 3.0  # how often the list of the cluster's workers is read again


def _host_port(address: str) -> str:
    return address.split("://", 1)[-1]


class ClusterSlots(WorkerSlots):
    """Worker slots whose songs run on a Dask cluster.

    Parameters
    ----------
    connection : ClusterConnection
        Connected (:meth:`ClusterConnection.connect`) before :meth:`resize` and
        :meth:`fill` are called.
    signals : WorkerSignals
        The engine's signal hub.
    store : core.batch.store.ResultStore, optional
        Session store: read before a song is submitted, filled as results arrive.
    """

    def __init__(self, connection: ClusterConnection, signals: WorkerSignals, *, store=None):
        super().__init__(pool=None, signals=signals)
        self.connection = connection
        connection.on_event = self._on_event
        self.store = store
        self._hooks: dict[bool, tuple] = {}  # fresh -> (lookup, on_result)
        self._address_of: dict[str, str] = {}  # slot name -> worker address
        self._records: dict[tuple[int, int], WorkerRecord] = {}  # (job, attempt) -> record
        self._futures: dict[tuple[int, int], object] = {}
        self._batch: Batch | None = None
        # Every call into the Dask client (submit, cancel, the store's reads) happens on
        # this one thread, never on the GUI thread: a remote scheduler answers in its time.
        self._io = ThreadPoolExecutor(max_workers=1, thread_name_prefix="songcal-cluster")
        self._workers: list[tuple[str, int]] = connection.worker_threads()
        self._refreshed = time.monotonic()

    # -- reading ----------------------------------------------------------------------------
    @property
    def threads_needed(self) -> int:
        """Songs run on the cluster: no thread of the window's pool is needed."""
        return 0

    # -- changing ---------------------------------------------------------------------------
    def resize(self, n: int = 0) -> bool:
        """One slot per thread of every worker of the cluster (``n`` is not used: the
        cluster decides); refused (False) while a slot runs a song."""
        if any(s.record is not None for s in self.slots):
            return False
        slots, where = [], {}
        for address, threads in self._workers:
            for i in range(threads):
                name = f"{_host_port(address)} #{i + 1}"
                slots.append(WorkerSlot(name, self._lock, self._in_flight))
                where[name] = address
        self.slots, self._address_of = slots, where
        return True

    def fill(self, batch: Batch, analyze: AnalyzeFn | None = None,
             fresh: AnalyzeFn | None = None) -> list[Job]:
        """Claim a song for every free slot and hand it to the cluster; returns the jobs
        started (a song found in the session store ends at once, without a task).

        ``analyze`` and ``fresh`` are the thread engine's analysis functions and are not
        used: the workers run :func:`core.batch.cluster_tasks.analyze_task`.
        """
        if self._batch is not batch:
            self._batch, self._hooks = batch, {}
        started = []
        # A thread still running a song given up on is busy on the cluster.
        free = len(self.slots) - self.in_flight - len(self.abandoned)
        while free > 0:
            with self._lock:
                slot = next((s for s in self.slots if s.record is None), None)
                if slot is None:
                    break
                claimed = batch.claim(slot.name)
                if claimed is None:
                    break
                job, attempt = claimed
                self._in_flight.count += 1
                rec = WorkerRecord(name=slot.name, job_id=job.id, attempt=attempt)
                slot.record = rec
                self._records[(job.id, attempt)] = rec
            started.append(job)
            self._io.submit(self._dispatch, batch, job, rec)
            free -= 1
        return started

    def _store_hooks(self, batch: Batch, fresh: bool):
        if self.store is None:
            return None, None
        if fresh not in self._hooks:
            self._hooks[fresh] = store_hooks(self.store, batch.settings, fresh=fresh)
        return self._hooks[fresh]

    def _dispatch(self, batch: Batch, job: Job, rec: WorkerRecord) -> None:
        """On the cluster thread: serve the song from the store, or submit its task."""
        if rec.abandoned:  # skipped or cancelled before it was handed over
            return
        lookup, on_result = self._store_hooks(batch, job.force)
        hit = None
        if lookup is not None:
            try:
                hit = lookup(job.path)
            except Exception:  # the store must never cost a song
                log.warning("session store lookup failed for %s", job.path, exc_info=True)
        if hit is not None:
            batch.finish(rec.job_id, rec.attempt, hit)
            self._finish_record(rec)
            return
        try:
            self._futures[(rec.job_id, rec.attempt)] = self.connection.submit(
                job, rec.attempt, batch.settings,
                on_done=lambda f: self._on_future(batch, rec, f, on_result))
        except Exception as err:  # unreadable file to send, or the cluster went away
            batch.fail(rec.job_id, rec.attempt,
                       getattr(err, "strerror", None) or f"cluster error: {err}")
            self._finish_record(rec)

    def _finish_record(self, rec: WorkerRecord) -> None:
        """The song's end, from a thread that is not the GUI's (signals are queued)."""
        now = time.monotonic()
        if not rec.started_at:  # ended before its start was reported: show both
            rec.started_at = now
            self._emit(self.signals.started, rec)
        rec.ended_at = now
        rec.returned = True
        with self._lock:
            for slot in self.slots:
                if slot.record is rec:
                    slot.record = None
        self._records.pop((rec.job_id, rec.attempt), None)
        self._futures.pop((rec.job_id, rec.attempt), None)
        self._emit(self.signals.done, rec)

    @staticmethod
    def _emit(signal, rec) -> None:
        try:
            signal.emit(rec)
        except RuntimeError:  # the engine was deleted while the app quit
            pass

    # -- from the Dask client's event-loop thread ---------------------------------------------
    def _on_future(self, batch: Batch, rec: WorkerRecord, future, on_result) -> None:
        if rec.abandoned:
            # Given up on while it ran: its thread is free only when the task really ends
            # (the worker's "ended" event), not when its future was cancelled.
            if future.status != "cancelled":
                self._finish_record(rec)
            return
        try:
            self.connection.settle(batch, future, rec.job_id, rec.attempt, on_result,
                                   label=rec.name)
        except Exception:  # a report must never be lost silently
            log.exception("could not settle the task of job %d", rec.job_id)
        self._finish_record(rec)

    def _on_event(self, kind: str, msg: dict) -> None:
        rec = self._records.get((msg.get("job"), msg.get("attempt")))
        if rec is None:
            return
        if kind == "started":
            rec.started_at = rec.cpu_sampled_at = time.monotonic()
            self._place(rec, msg.get("worker", ""))
            if self._batch is not None:
                self._batch.relabel(rec.job_id, rec.attempt, rec.name)
            self._emit(self.signals.started, rec)
        elif kind == "progress":
            rec.chunk, rec.n_chunks = msg["chunk"], msg["n_chunks"]
            if self._batch is not None:
                self._batch.progress(rec.job_id, rec.attempt, rec.chunk, rec.n_chunks,
                                     msg.get("duration_s"))
            self._emit(self.signals.progressed, rec)
        elif kind == "ended" and rec.abandoned:
            self._finish_record(rec)

    def _place(self, rec: WorkerRecord, worker: str) -> None:
        """Move ``rec`` to a slot of the worker that runs it (``host:port/thread``)."""
        address = worker.split("/", 1)[0]
        with self._lock:
            here = next((s for s in self.slots if s.record is rec), None)
            if here is None or _host_port(self._address_of.get(here.name, "")) == address:
                return
            for slot in self.slots:
                if _host_port(self._address_of.get(slot.name, "")) != address:
                    continue
                other = slot.record
                if other is None or not other.started_at:  # free, or not started: swap
                    slot.record, here.record = rec, other
                    if other is not None:
                        other.name = here.name
                    rec.name = slot.name
                    return

    # -- the watchdog -----------------------------------------------------------------------
    def reap(self, batch: Batch, now: float, epoch: float) -> list[tuple[WorkerRecord, Job]]:
        """Give up on the songs that ended without their task (timed out, skipped...).

        A task not started yet is cancelled and its slot freed; one that runs keeps
        counting as busy (in :attr:`abandoned`) until the worker reports its end.
        """
        out = super().reap(batch, now, epoch)
        if batch.cancelled:
            self._io.submit(self.connection.signal_cancel)
        if now - self._refreshed > _REFRESH_S:
            self._refreshed = now
            self._io.submit(self._refresh)
        return out

    def _let_go(self, slot, rec: WorkerRecord) -> None:
        slot.record = None
        if rec.started_at:
            self.abandoned.append(rec)
        else:
            self._records.pop((rec.job_id, rec.attempt), None)
        future = self._futures.get((rec.job_id, rec.attempt))
        if future is not None:
            self._io.submit(future.cancel)

    def _refresh(self) -> None:
        """On the cluster thread: the workers now; given-up songs on a worker that left the
        cluster (its process died) stop counting, as no end will ever be reported."""
        self._workers = self.connection.worker_threads()
        alive = {_host_port(a) for a, _ in self._workers}
        with self.connection.lock:
            where = {t.job: t.name.split("/", 1)[0] for t in self.connection.threads.values()}
        for rec in list(self.abandoned):
            if where.get(rec.job_id) not in alive:
                self._finish_record(rec)

    def shutdown(self, timeout_s: float = 5.0) -> None:
        """Leave the cluster (a LocalCluster is shut down) and stop the cluster thread."""
        done = self._io.submit(self.connection.close)
        try:
            done.result(timeout=timeout_s)
        except Exception:
            log.warning("leaving the cluster took longer than %.0f s", timeout_s)
        self._io.shutdown(wait=False, cancel_futures=True)
