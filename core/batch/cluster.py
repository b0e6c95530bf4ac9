"""The batch on a Dask cluster: one task per song, the same :class:`~core.batch.rules.Batch`.

Nothing here is imported unless the cluster engine is chosen, and Dask itself (the optional
``songcal[cluster]`` extra) only when a :class:`ClusterRunner` starts.  The rules do not
change: this module claims songs from the batch, submits one Dask task per song (the song's
chunks run inside that task, in the Dask worker's thread: no nested parallelism), feeds the
workers' progress events back into the batch, applies the stall and time-out rules with
:meth:`Batch.check`, and reports results as they complete.

A cluster is named by a :class:`ClusterSpec`: ``local`` or ``local:N`` (a ``LocalCluster``
of N single-threaded worker processes on this machine) or a scheduler address
(``tcp://host:8786``).  Files reach the workers by a path every worker can see (checked on
every worker before anything is submitted) or, for small decks, by sending their bytes.

What a task reports is a plain tuple, never an exception object, so nothing depends on how
an exception pickles: ``("done", SongResult, worker)``, ``("failed", reason, worker)`` or
``("cancelled", reason, worker)``.  Exceptions that do reach the client come from the cluster itself
(a worker that died too often, a lost connection) and fail only that song.
"""

from __future__ import annotations

import logging
import os
import re
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from core.batch.cluster_tasks import PROGRESS_TOPIC, analyze_task, unreadable_paths, warm_up
from core.batch.rules import Batch, SongState
from core.errors import SongCalError

__all__ = [
    "ClusterSpec",
    "ClusterError",
    "ClusterRunner",
    "parse_cluster",
    "FILES_SHARED",
    "FILES_SEND",
]

log = logging.getLogger(__name__)

#: How files reach the workers: a path every worker can see, or the file's bytes.
FILES_SHARED, FILES_SEND = "shared", "send"

#: Largest file sent by bytes (a laptop talking to a cluster; larger decks need a share).
MAX_SEND_BYTES = 512 * 1024 * 1024

_CONNECT_TIMEOUT_S = 10.0


class ClusterError(SongCalError):
    """The cluster cannot be used: the extra is missing, the scheduler cannot be reached,
    or a worker cannot see a file."""


@dataclass(frozen=True)
class ClusterSpec:
    """Which cluster to run on.

    Attributes
    ----------
    address : str or None
        Scheduler address (``tcp://host:8786``); ``None`` for a LocalCluster.
    workers : int
        Worker processes of a LocalCluster (ignored with an address).
    files : str
        :data:`FILES_SHARED` or :data:`FILES_SEND`.
    """

    address: str | None = None
    workers: int = 2
    files: str = FILES_SHARED

    def __post_init__(self):
        if self.files not in (FILES_SHARED, FILES_SEND):
            raise ValueError(f"files must be {FILES_SHARED!r} or {FILES_SEND!r}, "
                             f"got {self.files!r}")
        if self.address is None and not 1 <= self.workers <= 256:
            raise ValueError(f"a local cluster needs 1-256 workers, got {self.workers!r}")

    def describe(self) -> str:
        """``"local cluster, 2 processes"`` or ``"scheduler tcp://host:8786"``."""
        if self.address is None:
            return f"local cluster, {self.workers} process{'es' if self.workers != 1 else ''}"
        return f"scheduler {self.address}"


def parse_cluster(text: str, *, files: str = FILES_SHARED,
                  default_workers: int = 2) -> ClusterSpec:
    """A :class:`ClusterSpec` from ``local``, ``local:N`` or a scheduler address.

    Raises
    ------
    ValueError
        Naming the text when it is none of those.
    """
    t = (text or "").strip()
    m = re.fullmatch(r"local(?::(\d+))?", t)
    if m:
        n = int(m.group(1)) if m.group(1) else default_workers
        return ClusterSpec(address=None, workers=n, files=files)
    if re.fullmatch(r"(tcp|tls|inproc|ws|wss|ucx)://\S+", t):
        return ClusterSpec(address=t, files=files)
    if re.fullmatch(r"[\w.\-]+:\d+", t):
        return ClusterSpec(address=f"tcp://{t}", files=files)
    raise ValueError(f"not a cluster: {text!r} (use local, local:N or tcp://HOST:PORT)")


def _import_dask():
    try:
        import distributed
    except ImportError as err:
        raise ClusterError(
            "the cluster engine needs Dask: pip install 'songcal[cluster]' "
            f"(dask and distributed are not installed: {err})") from None
    # Dask logs every worker start and stop at INFO; SongCal reports what matters itself.
    logging.getLogger("distributed").setLevel(logging.ERROR)
    return distributed


# -- the client side ------------------------------------------------------------------------
@dataclass
class WorkerThread:
    """One Dask worker thread as the client sees it.

    Attributes
    ----------
    name : str
        ``host:port/thread``.
    host : str
    job : int or None
        The job it runs now (None when idle).
    """

    name: str
    host: str = ""
    job: int | None = None


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
        Times Dask re-runs a song whose worker died (``allowed_failures`` per task).
    client : distributed.Client, optional
        An existing client to use (and leave open); by default :meth:`connect` makes one.
    cancel_grace_s : float
        After a stop request, how long running songs get to stop before they are
        abandoned (s).
    """

    def __init__(self, batch: Batch, *, spec: ClusterSpec, analyze: Callable | None = None,
                 lookup: Callable | None = None, on_result: Callable | None = None,
                 on_change: Callable | None = None, tick_s: float = 0.2, retries: int = 2,
                 client=None, cancel_grace_s: float = 1.0):
        self.batch = batch
        self.spec = spec
        self.analyze = analyze
        self.lookup = lookup
        self.on_result = on_result
        self.on_change = on_change
        self.tick_s = tick_s
        self.retries = retries
        self.client = client
        self._own_client = client is None
        self.cluster = None
        self.threads: dict[str, WorkerThread] = {}
        self._lock = threading.Lock()
        self._token = uuid.uuid4().hex[:12]  # task keys unique to this run
        self._cancel_name = f"songcal-cancel-{self._token}"
        self._busy_abandoned: set[tuple[int, int]] = set()  # timed out but still running
        self.submitted = 0
        self.from_store = 0
        self.cancel_grace_s = cancel_grace_s
        #: The signal that stopped the run (-1 for a stop asked without one), or None.
        self.stopped_by: int | None = None
        self._stop_request: int | None = None

    def request_stop(self, signum: int = -1) -> None:
        """Ask the run to cancel the batch at its next tick (signal-handler safe)."""
        if self._stop_request is None:
            self._stop_request = signum

    # -- connection ---------------------------------------------------------------------
    def connect(self) -> None:
        """Start the LocalCluster or reach the scheduler (within 10 s).

        Raises
        ------
        ClusterError
            The extra is missing or the scheduler cannot be reached.
        """
        distributed = _import_dask()
        import dask

        try:
            if self.spec.address is None:
                with dask.config.set({"distributed.scheduler.allowed-failures": self.retries,
                                      "logging.distributed": "error"}):
                    self.cluster = distributed.LocalCluster(
                        n_workers=self.spec.workers, threads_per_worker=1, processes=True,
                        dashboard_address=None, silence_logs=logging.ERROR,
                        scheduler_kwargs={"dashboard": False},
                        env={"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1",
                             "MKL_NUM_THREADS": "1"})
                self.client = distributed.Client(self.cluster, timeout=_CONNECT_TIMEOUT_S)
            else:
                self.client = distributed.Client(self.spec.address,
                                                 timeout=_CONNECT_TIMEOUT_S)
        except (OSError, TimeoutError) as err:
            self.close()
            raise ClusterError(f"cannot reach the {self.spec.describe()} within "
                               f"{_CONNECT_TIMEOUT_S:.0f} s: {err}") from None
        self.client.subscribe_topic(PROGRESS_TOPIC, self._on_event)
        try:
            self.client.run(warm_up)
        except Exception as err:
            self.close()
            raise ClusterError(f"the workers of the {self.spec.describe()} cannot import "
                               f"SongCal ({type(err).__name__}: {err}); install songcal on "
                               f"every worker") from None

    def close(self) -> None:
        """Leave the cluster (a LocalCluster is shut down; a client given is left open)."""
        if not self._own_client:
            try:
                self.client.unsubscribe_topic(PROGRESS_TOPIC)
            except Exception:
                pass
            return
        for obj in (self.client, self.cluster):
            if obj is not None:
                try:
                    obj.close()
                except Exception:  # leaving must not fail the batch
                    log.debug("closing %r failed", obj, exc_info=True)
        self.client = self.cluster = None

    def capacity(self) -> int:
        """Worker threads the cluster has now."""
        try:
            return max(0, sum(self.client.nthreads().values()))
        except Exception:
            return 0

    def check_paths(self, paths) -> None:
        """Make sure every worker can read every path (files by shared path).

        Raises
        ------
        ClusterError
            Naming the first worker and path it cannot see.
        """
        missing = self.client.run(unreadable_paths, list(paths))
        for worker, bad in sorted(missing.items()):
            if bad:
                more = f" (and {len(bad) - 1} more)" if len(bad) > 1 else ""
                raise ClusterError(f"worker {worker} cannot read {bad[0]}{more}; share the "
                                   f"folder at the same path on every worker, or send the "
                                   f"files' bytes")

    # -- events from the workers (client event-loop thread) -------------------------------
    def _on_event(self, event) -> None:
        _, msg = event if isinstance(event, tuple) else (None, event)
        kind, job_id, attempt = msg.get("kind"), msg.get("job"), msg.get("attempt")
        with self._lock:
            if kind == "started":
                t = self.threads.setdefault(msg["worker"], WorkerThread(msg["worker"]))
                t.host, t.job = msg.get("host", ""), job_id
            elif kind == "ended":
                t = self.threads.get(msg.get("worker"))
                if t is not None and t.job == job_id:
                    t.job = None
                self._busy_abandoned.discard((job_id, attempt))
        if kind == "started":
            self.batch.relabel(job_id, attempt, msg["worker"])
        elif kind == "progress":
            self.batch.progress(job_id, attempt, msg["chunk"], msg["n_chunks"],
                                msg.get("duration_s"))

    # -- running --------------------------------------------------------------------------
    def _submit(self, job, attempt):
        payload = None
        if self.spec.files == FILES_SEND:
            size = os.path.getsize(job.path)
            if size > MAX_SEND_BYTES:
                raise OSError(f"too large to send to the cluster ({size / 1e6:.0f} MB; "
                              f"at most {MAX_SEND_BYTES / 1e6:.0f} MB): share the folder")
            with open(job.path, "rb") as f:
                payload = f.read()
        self.submitted += 1
        return self.client.submit(analyze_task, job.path, self.batch.settings, job.id,
                                  attempt, self._cancel_name, payload, self.analyze,
                                  key=f"songcal-{self._token}-{job.id}-{attempt}", pure=False)

    def _claim(self):
        """Next song to submit, served from the store when it is there."""
        while True:
            claimed = self.batch.claim("dask")
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
        if self.client is None:
            self.connect()
        else:
            self.client.subscribe_topic(PROGRESS_TOPIC, self._on_event)
        queued = [j.path for j in self.batch.jobs if j.state is SongState.QUEUED]
        if self.spec.files == FILES_SHARED and queued:
            self.check_paths(queued)
        futures: dict = {}  # future -> (job id, attempt)
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
                    self._fill(futures)
                    self._collect(futures, distributed)
                    for job in self.batch.check():
                        if job.state is SongState.TIMED_OUT:
                            self._drop(futures, job.id, keep_busy=True)
                    if self.batch.cancelled:
                        self._cancel_all(futures, distributed)
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
        free = self.capacity() - len(futures) - stuck
        while free > 0 and not (self.batch.paused or self.batch.cancelled):
            claimed = self._claim()
            if claimed is None:
                return
            job, attempt = claimed
            try:
                futures[self._submit(job, attempt)] = (job.id, attempt)
            except OSError as err:
                self.batch.fail(job.id, attempt, err.strerror or str(err))
                continue
            free -= 1

    def _collect(self, futures, distributed) -> None:
        if not futures:
            time.sleep(self.tick_s)
            return
        try:
            done, _ = distributed.wait(list(futures), timeout=self.tick_s,
                                       return_when="FIRST_COMPLETED")
        except (TimeoutError, distributed.TimeoutError):
            return
        for f in done:
            job_id, attempt = futures.pop(f)
            self._settle(f, job_id, attempt)

    def _settle(self, future, job_id: int, attempt: int) -> None:
        if future.status == "finished":
            kind, value, worker = future.result()
            self.batch.relabel(job_id, attempt, worker)
            if kind == "done":
                if self.batch.finish(job_id, attempt, value) and self.on_result is not None:
                    try:
                        self.on_result(self.batch.jobs[job_id], value)
                    except Exception:  # saving must never cost the song
                        log.warning("could not save %s", value.path, exc_info=True)
            else:
                self.batch.fail(job_id, attempt, value, cancelled=kind == "cancelled")
        elif future.status == "error":
            err = future.exception()
            name = type(err).__name__
            if name == "KilledWorker":
                reason = (f"the cluster lost the worker running this song "
                          f"{self.retries + 1} times")
            else:
                reason = f"cluster error: {name}: {err}"
            self.batch.fail(job_id, attempt, reason)
        else:  # cancelled (by us, or the scheduler went away)
            self.batch.fail(job_id, attempt, "cancelled", cancelled=True)

    def _drop(self, futures, job_id: int, *, keep_busy: bool) -> None:
        for f, (jid, attempt) in list(futures.items()):
            if jid == job_id:
                del futures[f]
                f.cancel()
                if keep_busy:
                    with self._lock:
                        running = any(t.job == jid for t in self.threads.values())
                        if running:
                            self._busy_abandoned.add((jid, attempt))

    def _cancel_all(self, futures, distributed) -> None:
        try:
            distributed.Event(self._cancel_name, client=self.client).set()
        except Exception:
            log.debug("could not signal the cancel event", exc_info=True)
        for f, (jid, _) in list(futures.items()):
            if f.status == "pending" and not any(t.job == jid for t in self.threads.values()):
                f.cancel()

    def _report(self, seen: dict) -> dict:
        now = {j.id: (j.state, j.attempt) for j in self.batch.jobs}
        if self.on_change is not None:
            changed = [self.batch.jobs[i] for i, st in now.items() if seen.get(i) != st]
            self.on_change(self.batch, changed)
        return now
