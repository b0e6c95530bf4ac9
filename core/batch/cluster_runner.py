"""The command line's cluster engine: :class:`ClusterRunner` runs a batch on Dask and waits.

It drives the same :class:`~core.batch.rules.Batch` as the thread engine
(:class:`core.batch.runner.BatchRunner`), through a
:class:`core.batch.cluster.ClusterConnection`: it submits as many songs as the cluster has
worker threads now (read again at every tick, so a worker that joins is used at once and
one that leaves stops counting: :func:`core.batch.cluster.free_threads`), settles each
finished task, applies the stall and time-out rules with :meth:`Batch.check` from each
song's start on its worker (a timed-out task is abandoned; its worker thread counts as
busy until the task really ends), and stops on a signal or Ctrl-C with every finished
result kept.
"""

from __future__ import annotations

import concurrent.futures
import logging
import threading
import time
from collections.abc import Callable

from core.batch.cluster import (
    ClusterConnection,
    ClusterSpec,
    WorkerWatch,
    _import_dask,
    free_threads,
)
from core.batch.rules import Batch, SongState, seconds_text

__all__ = ["ClusterRunner"]

log = logging.getLogger(__name__)


class ClusterRunner:
    """Run every queued song of ``batch`` on a Dask cluster and wait for the end.

    Parameters
    ----------
    batch : Batch
        The songs and rules (the same object the thread engines drive).
    spec : ClusterSpec
        Where to run.
    analyze : callable, optional
        A module-level function (it is pickled to the workers) with the signature of
        :func:`core.analysis.analyze.analyze_file`; default that function.
    lookup : callable, optional
        ``lookup(path) -> SongResult or None``: results already stored are taken from
        here and never submitted.
    on_result : callable, optional
        ``on_result(job, result)`` in the calling thread for each song that finished with
        a result (e.g. the store-writer).
    on_change : callable, optional
        ``on_change(batch, changed_jobs)`` in the calling thread a few times a second.
    tick_s : float
        Watchdog period (s).
    retries : int
        Times Dask re-runs a song whose worker died.
    client : distributed.Client, optional
        An existing client to use (and leave open).
    cancel_grace_s : float
        After a stop request, how long running songs get to stop before they are
        abandoned (s).
    no_worker_s : float, optional
        How long the batch waits for a worker when every worker has left the cluster
        (s); then the songs left fail, saying so (default
        :data:`core.batch.cluster.NO_WORKER_WAIT_S`; see
        :class:`core.batch.cluster.WorkerWatch`).
    """

    def __init__(self, batch: Batch, *, spec: ClusterSpec, analyze: Callable | None = None,
                 lookup: Callable | None = None, on_result: Callable | None = None,
                 on_change: Callable | None = None, tick_s: float = 0.2, retries: int = 2,
                 client=None, cancel_grace_s: float = 1.0,
                 no_worker_s: float | None = None):
        self.batch = batch
        self.spec = spec
        self.lookup = lookup
        self.on_result = on_result
        self.on_change = on_change
        self.tick_s = tick_s
        self.connection = ClusterConnection(spec, analyze=analyze, retries=retries,
                                            client=client, on_event=self._on_event)
        self._lock = threading.Lock()
        self._busy_abandoned: set[tuple[int, int]] = set()  # timed out but still running
        self.from_store = 0
        self.cancel_grace_s = cancel_grace_s
        #: The signal that stopped the run (-1 for a stop asked without one), or None.
        self.stopped_by: int | None = None
        self._stop_request: int | None = None
        self._watch = WorkerWatch(self.connection, no_worker_s)
        self._connecting = False
        self._pruned = 0.0
        # future -> (job id, attempt, its result's fetch): tasks ended, results on their way
        self._fetching: dict = {}

    @property
    def submitted(self) -> int:
        """Songs submitted to the cluster."""
        return self.connection.submitted

    @property
    def unnamed_reports(self) -> int:
        """Progress reports left out because they do not say which run they are of (a
        worker runs an older SongCal: :attr:`ClusterConnection.unnamed_reports`)."""
        return self.connection.unnamed_reports

    def request_stop(self, signum: int = -1) -> None:
        """Ask the run to cancel the batch at its next tick (signal-handler safe).

        While the cluster is being reached (which can take a while: a LocalCluster starting,
        a scheduler waited for), a stop asked from a signal handler interrupts that at
        once, as Ctrl-C does.
        """
        if self._stop_request is None:
            self._stop_request = signum
        if self._connecting and threading.current_thread() is threading.main_thread():
            if self.connection.starting:
                self.connection.stop_asked = True
            else:
                raise KeyboardInterrupt

    def connect(self) -> None:
        """Reach the cluster now (see :meth:`ClusterConnection.connect`)."""
        self.connection.connect()

    def close(self) -> None:
        """Leave the cluster."""
        self.connection.close()

    def _on_event(self, kind: str, msg: dict) -> None:
        if kind == "left":  # the scheduler removed a worker: its songs wait to run again
            for task in msg.get("lost", ()):
                self._lost(task)
            return
        job_id, attempt = msg.get("job"), msg.get("attempt")
        if job_id is None:  # ("joined": the workers are read at every tick anyway)
            return
        if kind == "started":  # its clock starts now, not when it was submitted
            job = self.batch.jobs[job_id]  # (a task is named by its song's key: its place
            # here, where no song leaves the list)
            # (a song started and not waiting again: its worker left, unseen yet)
            before = job.started_at if job.attempt == attempt and not job.waiting else None
            if self.batch.started(job_id, attempt, msg["worker"]) and before is not None:
                log.warning("the worker running %s left the cluster within %s of its start; "
                            "the song runs again on %s", job.path,
                            seconds_text(job.started_at - before), msg["worker"])
        elif kind == "progress":
            self.batch.progress(job_id, attempt, msg["chunk"], msg["n_chunks"],
                                msg.get("duration_s"))
        elif kind == "ended":
            if not msg.get("stale"):  # its clock stops: it ended in time, whenever settled
                self.batch.ended_on_worker(job_id, attempt)
            with self._lock:
                self._busy_abandoned.discard((job_id, attempt))

    def _lost(self, task) -> None:
        """The worker running ``task`` (``(tag, job, attempt)``) left the cluster: Dask runs
        the song again, and until it starts on a worker the song is queued, its clock
        stopped (:meth:`Batch.waits_again`); the log keeps how long the lost run lasted at
        most (until its loss was seen)."""
        _, job_id, attempt = task
        ran = self.batch.waits_again(job_id, attempt)
        if ran is not None:
            log.warning("the worker running %s left the cluster within %s of its start; the "
                        "song waits to run again", self.batch.jobs[job_id].path,
                        seconds_text(ran))

    def _claim(self):
        """Next song to submit, served from the store when it is there."""
        while True:
            claimed = self.batch.claim("dask", starts_later=True)
            if claimed is None:
                return None
            job, attempt = claimed
            hit = None
            if self.lookup is not None and not job.force:
                try:
                    hit = self.lookup(job.path)
                except Exception:  # the store must never cost a song
                    log.warning("session store lookup failed for %s", job.path, exc_info=True)
            if hit is None:
                return job, attempt
            self.from_store += 1
            self.batch.finish(job.id, attempt, hit)

    def run(self) -> Batch:
        """Connect (unless connected), run every queued song, return when all have ended.

        Raises
        ------
        ClusterError
            When the cluster cannot be reached or a worker cannot see a file; nothing has
            been analyzed then.
        KeyboardInterrupt
            After cancelling the batch on Ctrl-C (the batch holds what finished).
        """
        distributed = _import_dask()
        self._connecting = True
        try:
            if self._stop_request is not None:
                raise KeyboardInterrupt
            if not self.connection._subscribed:
                self.connection.connect()
            self.connection.check_paths(
                [j.path for j in self.batch.jobs if j.state is SongState.QUEUED])
        except KeyboardInterrupt:  # stopped before any song was submitted
            self._connecting = False
            self.connection.close()
            self.batch.cancel()
            if self._stop_request is None:
                raise
            self.stopped_by = self._stop_request
            self._report({})
            return self.batch
        finally:
            self._connecting = False
        futures: dict = {}  # future -> (job id, attempt)
        self._fetching = {}
        seen = {j.id: (j.state, j.attempt) for j in self.batch.jobs}
        interrupted = False
        deadline = None
        try:
            while True:
                try:
                    if self._stop_request is not None and self.stopped_by is None:
                        self.stopped_by = self._stop_request
                        self.batch.cancel()
                        deadline = time.monotonic() + self.cancel_grace_s
                    if deadline is not None and time.monotonic() > deadline:
                        self._abandon_running()
                    self._watch_workers(futures)
                    self._fill(futures)
                    self._collect(futures, distributed)
                    for job in self.batch.check(ended=self.ended()):
                        if job.state is SongState.TIMED_OUT:
                            self._drop(futures, job.id)
                    if self.batch.cancelled:
                        self._cancel_all(futures)
                    seen = self._report(seen)
                    if self.batch.is_finished:
                        break
                except KeyboardInterrupt:
                    if interrupted:
                        self._abandon_running()
                    interrupted = True
                    self.batch.cancel()
                    deadline = time.monotonic() + self.cancel_grace_s
        finally:
            for f in list(futures):
                f.cancel()
            self._report(seen)
        if interrupted:
            raise KeyboardInterrupt
        return self.batch

    def _abandon_running(self) -> None:
        for job in self.batch.jobs:
            if job.state in (SongState.RUNNING, SongState.STALLED):
                self.batch.abandon(job.id, "cancelled")

    def _fill(self, futures) -> None:
        with self._lock:
            stuck = len(self._busy_abandoned)
        free = free_threads(self.connection.worker_threads(), len(futures), stuck)
        while free > 0 and not (self.batch.paused or self.batch.cancelled):
            claimed = self._claim()
            if claimed is None:
                return
            job, attempt = claimed
            try:
                futures[self.connection.submit(job, attempt, self.batch.settings)] = (
                    job.id, attempt)
            except OSError as err:
                self.batch.fail(job.id, attempt, err.strerror or str(err))
                continue
            free -= 1

    def _collect(self, futures, distributed) -> None:
        """Settle the songs whose tasks have ended, each once its result has been fetched.

        Results are fetched off this thread (:meth:`ClusterConnection.fetch`), each up to
        :data:`core.batch.cluster.RESULT_FETCH_S`: a worker that stalls as it sends one
        does not hold this loop, and that song fails once the wait is over.
        """
        if self._fetching:  # (the fetches are waited for below)
            done = [f for f in futures if f.done()]
        elif not futures:
            time.sleep(self.tick_s)
            return
        else:
            try:
                done, _ = distributed.wait(list(futures), timeout=self.tick_s,
                                           return_when="FIRST_COMPLETED")
            except (TimeoutError, distributed.TimeoutError):
                return
            except Exception:  # a future cancelled by the cluster (the scheduler went away)
                done = [f for f in futures if f.done()]
                if not done:
                    time.sleep(self.tick_s)
        self._fetch(futures, done)
        while self._fetching:
            fetched, _ = concurrent.futures.wait(
                [cf for _, _, cf in self._fetching.values()], timeout=self.tick_s,
                return_when=concurrent.futures.FIRST_COMPLETED)
            if not fetched:
                return
            for f, (job_id, attempt, cf) in list(self._fetching.items()):
                if cf.done():
                    del self._fetching[f]
                    self.connection.settle(self.batch, f, job_id, attempt, self.on_result,
                                           fetched=cf)
            # Songs whose tasks ended while those were settled (``on_result`` reads each
            # file again to store its result: seconds for a large file on a slow share)
            # are fetched as well, and left alone by the time-out rule that follows
            # (:meth:`ended`): they ended in time, whenever their result is settled.
            self._fetch(futures, [f for f in futures if f.done()])

    def _fetch(self, futures, done) -> None:
        for f in done:
            job_id, attempt = futures.pop(f)
            self._fetching[f] = (job_id, attempt, self.connection.fetch(f))

    def ended(self) -> set[tuple[int, int]]:
        """``(job id, attempt)`` of the songs whose tasks have ended and whose results are
        being fetched (each up to :data:`core.batch.cluster.RESULT_FETCH_S`)."""
        return {(job_id, attempt) for job_id, attempt, _ in self._fetching.values()}

    def _watch_workers(self, futures) -> None:
        """Keep the batch from waiting forever for a worker thread
        (:class:`core.batch.cluster.WorkerWatch`: the songs left fail when the connection
        is lost for good, or after a wait without a worker thread free).  Worker threads of
        workers that left are forgotten (a killed process never reports the end of its
        song), and the songs they ran wait, queued, for Dask to run them again
        (:meth:`_lost`).
        """
        now = time.monotonic()
        if now - self._pruned > 1.0:
            self._pruned = now
            self.connection.forget_departed(on_lost=self._lost)
            with self._lock:
                self._busy_abandoned = {(jid, attempt) for jid, attempt in
                                        self._busy_abandoned
                                        if self.connection.is_running(jid, attempt)}
        with self._lock:  # (one list, submitted without a tag)
            held = {("", jid, attempt) for jid, attempt in self._busy_abandoned}
        why = self._watch.check(
            running=bool(futures), held=held, now=now,
            waiting=self.batch.counts()[SongState.QUEUED] > 0)
        if why:
            self._give_up(futures, why)

    def _give_up(self, futures, reason: str) -> None:
        """Fail the songs running and queued with ``reason`` (the batch then ends)."""
        for f, (jid, attempt) in list(futures.items()):
            del futures[f]
            try:
                f.cancel()
            except Exception:
                pass
            self.batch.fail(jid, attempt, reason)
        with self._lock:
            self._busy_abandoned.clear()
        while not self.batch.paused:
            claimed = self.batch.claim("dask")
            if claimed is None:
                break
            self.batch.fail(claimed[0].id, claimed[1], reason)
        for job in self.batch.jobs:  # (timed out before: their tasks are gone too)
            if job.state in (SongState.RUNNING, SongState.STALLED):
                self.batch.fail(job.id, job.attempt, reason)

    def _drop(self, futures, job_id: int) -> None:
        for f, (jid, attempt) in list(futures.items()):
            if jid == job_id:
                del futures[f]
                f.cancel()
                if self.connection.is_running(jid, attempt):
                    with self._lock:
                        self._busy_abandoned.add((jid, attempt))

    def _cancel_all(self, futures) -> None:
        self.connection.signal_cancel()
        for f, (jid, attempt) in list(futures.items()):
            if f.status == "pending" and not self.connection.is_running(jid, attempt):
                f.cancel()

    def _report(self, seen: dict) -> dict:
        now = {j.id: (j.state, j.attempt) for j in self.batch.jobs}
        if self.on_change is not None:
            changed = [self.batch.jobs[i] for i, st in now.items() if seen.get(i) != st]
            self.on_change(self.batch, changed)
        return now
