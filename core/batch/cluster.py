"""A Dask cluster for the batch: which cluster, the connection to it, the store hooks.

Nothing here is imported unless the cluster engine is chosen, and Dask itself (the optional
``songcal[cluster]`` extra) only when a :class:`ClusterConnection` connects.  The batch
rules do not change: an engine (the command line's :class:`core.batch.cluster_runner.
ClusterRunner`, the window's ``gui.cluster_slots.ClusterSlots``) claims songs from the same
:class:`~core.batch.rules.Batch`, submits one Dask task per song through
:meth:`ClusterConnection.submit` (the song's chunks run inside that task, in the Dask
worker's thread: no nested parallelism), feeds the workers' progress events back into the
batch and settles each finished task with :meth:`ClusterConnection.settle`.

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
import uuid
import warnings
from collections.abc import Callable
from dataclasses import dataclass

from core.batch.cluster_tasks import PROGRESS_TOPIC, analyze_task, unreadable_paths, warm_up
from core.batch.rules import Batch
from core.errors import SongCalError

__all__ = [
    "ClusterSpec",
    "ClusterError",
    "ClusterConnection",
    "WorkerThread",
    "parse_cluster",
    "store_hooks",
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


def _other_build(builds: dict) -> str:
    """Why the workers cannot analyze for this SongCal (a worker runs another build of the
    analyzer, whose results would be stored and calibrated as this one's), or empty.
    ``builds``: worker address -> what :func:`warm_up` returned there."""
    from core.analysis.identity import analyzer_id

    ours = analyzer_id()
    for worker, build in sorted(builds.items()):
        if build != ours:
            return (f"worker {worker} runs another build of the analyzer "
                    f"({_build_name(build)}; this SongCal: {ours}): its code or its "
                    f"libraries differ, so its results could too; install the same SongCal "
                    f"and libraries on every worker")
    return ""


def _build_name(build) -> str:
    """A worker's analyzer build as a message names it: the id, or "older" for a SongCal
    from before builds had ids (whatever its warm-up or its results said instead)."""
    return build if isinstance(build, str) and re.fullmatch("[0-9a-f]{12}", build) else "older"


def _result_of_another_build(result, worker: str) -> str:
    """Why a finished song's result cannot be kept (the worker that made it runs another
    build of the analyzer than this SongCal: it was replaced after the connection's check),
    or empty."""
    from core.analysis.identity import analyzer_id

    ours = analyzer_id()
    build = getattr(result, "analyzer", "")
    if build == ours:
        return ""
    return (f"worker {worker} now runs another build of the analyzer ({_build_name(build)}; "
            f"this SongCal: {ours}), so its result was not kept; install the same SongCal "
            f"and libraries on every worker, then analyze the song again")


def _import_dask():
    try:
        import distributed
    except ImportError as err:
        from core.paths import is_frozen

        if is_frozen():  # nothing can be installed into a bundle
            raise ClusterError(
                "this SongCal bundle has no cluster engine (Dask is not part of it): run the "
                "songs on this computer (no --cluster or --scheduler; in the window, an empty "
                "'Run songs on' in Settings), or install SongCal with pip install "
                "'songcal[cluster]' for a cluster") from None
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


class ClusterConnection:
    """A client of a Dask cluster that runs songs of a batch, one task per song.

    Parameters
    ----------
    spec : ClusterSpec
        Where to run.
    analyze : callable, optional
        A module-level function (it is pickled to the workers) with the signature of
        :func:`core.analysis.analyze.analyze_file`; default that function.
    retries : int
        Times Dask re-runs a song whose worker died (``allowed_failures`` per task, for a
        LocalCluster; a scheduler of its own keeps its own setting).
    client : distributed.Client, optional
        An existing client to use (and leave open); by default :meth:`connect` makes one.
    on_event : callable, optional
        ``on_event(kind, msg)`` for each worker event (``"started"``, ``"progress"``,
        ``"ended"``), in the client's event-loop thread, after :attr:`threads` is updated.

    Attributes
    ----------
    threads : dict of str to WorkerThread
        The worker threads seen so far, by name.
    submitted : int
        Tasks submitted.
    """

    def __init__(self, spec: ClusterSpec, *, analyze: Callable | None = None,
                 retries: int = 2, client=None, on_event: Callable | None = None):
        self.spec = spec
        self.analyze = analyze
        self.retries = retries
        self.client = client
        self._own_client = client is None
        self.cluster = None
        self.on_event = on_event
        self.threads: dict[str, WorkerThread] = {}
        self.lock = threading.Lock()
        self._token = uuid.uuid4().hex[:12]  # task keys unique to this connection
        self._cancel_name = f"songcal-cancel-{self._token}"
        self._subscribed = False
        self.submitted = 0

    @property
    def connected(self) -> bool:
        """True once a client exists (made here or given)."""
        return self.client is not None

    def connect(self) -> None:
        """Start the LocalCluster or reach the scheduler (within 10 s), then warm up every
        worker; with a client given, only subscribe to the workers' events.

        Raises
        ------
        ClusterError
            The extra is missing, the scheduler cannot be reached or a worker cannot
            import SongCal.
        """
        distributed = _import_dask()
        if self.client is None:
            import dask

            try:
                if self.spec.address is None:
                    with dask.config.set({
                            "distributed.scheduler.allowed-failures": self.retries,
                            "logging.distributed": "error"}):
                        self.cluster = distributed.LocalCluster(
                            n_workers=self.spec.workers, threads_per_worker=1,
                            processes=True, dashboard_address=None,
                            silence_logs=logging.ERROR,
                            env={"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1",
                                 "MKL_NUM_THREADS": "1"})
                    self.client = distributed.Client(self.cluster,
                                                     timeout=_CONNECT_TIMEOUT_S)
                else:
                    self.client = distributed.Client(self.spec.address,
                                                     timeout=_CONNECT_TIMEOUT_S)
            except (OSError, TimeoutError) as err:
                self.close()
                raise ClusterError(f"cannot reach the {self.spec.describe()} within "
                                   f"{_CONNECT_TIMEOUT_S:.0f} s: {err}") from None
            try:
                builds = self.client.run(warm_up)
            except Exception as err:
                self.close()
                raise ClusterError(f"the workers of the {self.spec.describe()} cannot "
                                   f"import SongCal ({type(err).__name__}: {err}); install "
                                   f"songcal on every worker") from None
            other = _other_build(builds)
            if other:
                self.close()
                raise ClusterError(other)
        self.client.subscribe_topic(PROGRESS_TOPIC, self._event)
        self._subscribed = True

    def close(self) -> None:
        """Leave the cluster (a LocalCluster is shut down; a client given is left open)."""
        if self._subscribed and self.client is not None:
            try:
                self.client.unsubscribe_topic(PROGRESS_TOPIC)
            except Exception:
                pass
            self._subscribed = False
        if not self._own_client:
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

    def worker_threads(self) -> list[tuple[str, int]]:
        """``(worker address, threads)`` of every worker of the cluster now."""
        try:
            return sorted(self.client.nthreads().items())
        except Exception:
            return []

    def check_paths(self, paths) -> None:
        """Make sure every worker can read every path (files by shared path).

        Raises
        ------
        ClusterError
            Naming the first worker and path it cannot see.
        """
        if self.spec.files != FILES_SHARED or not paths:
            return
        missing = self.client.run(unreadable_paths, list(paths))
        for worker, bad in sorted(missing.items()):
            if bad:
                more = f" (and {len(bad) - 1} more)" if len(bad) > 1 else ""
                raise ClusterError(f"worker {worker} cannot read {bad[0]}{more}; share the "
                                   f"folder at the same path on every worker, or send the "
                                   f"files' bytes")

    def _event(self, event) -> None:
        _, msg = event if isinstance(event, tuple) else (None, event)
        kind, job_id = msg.get("kind"), msg.get("job")
        with self.lock:
            if kind == "started":
                t = self.threads.setdefault(msg["worker"], WorkerThread(msg["worker"]))
                t.host, t.job = msg.get("host", ""), job_id
            elif kind == "ended":
                t = self.threads.get(msg.get("worker"))
                if t is not None and t.job == job_id:
                    t.job = None
        if self.on_event is not None:
            self.on_event(kind, msg)

    def is_running(self, job_id: int) -> bool:
        """True while a worker thread runs ``job_id`` (its task has not ended)."""
        with self.lock:
            return any(t.job == job_id for t in self.threads.values())

    def submit(self, job, attempt: int, settings, *, on_done: Callable | None = None):
        """Submit one song; returns its future.

        ``on_done(future)`` is called in the client's event-loop thread when it ends.

        Raises
        ------
        OSError
            When a file to send cannot be read or is too large to send.
        """
        payload = None
        if self.spec.files == FILES_SEND:
            size = os.path.getsize(job.path)
            if size > MAX_SEND_BYTES:
                raise OSError(f"too large to send to the cluster ({size / 1e6:.0f} MB; "
                              f"at most {MAX_SEND_BYTES / 1e6:.0f} MB): share the folder")
            with open(job.path, "rb") as f:
                payload = f.read()
        self.submitted += 1
        with warnings.catch_warnings():
            # Sending the file with its task is the point of bytes mode (one task, one
            # transfer); Dask's "large graph" advice is about data sent many times.
            warnings.filterwarnings("ignore", message="Sending large graph",
                                    category=UserWarning)
            future = self.client.submit(analyze_task, job.path, settings, job.id, attempt,
                                        self._cancel_name, payload, self.analyze,
                                        key=f"songcal-{self._token}-{job.id}-{attempt}",
                                        pure=False)
        if on_done is not None:
            future.add_done_callback(on_done)
        return future

    def settle(self, batch: Batch, future, job_id: int, attempt: int,
               on_result: Callable | None = None, *, label: str | None = None) -> bool:
        """Report a finished future's outcome to ``batch``; True when it was current.

        A result is handed to ``on_result(job, result)`` (the store) when the batch took it.
        The song's worker is named ``label`` when given, else after the worker thread.
        """
        if future.status == "finished":
            kind, value, worker = future.result()
            batch.relabel(job_id, attempt, label or worker)
            if kind != "done":
                return batch.fail(job_id, attempt, value, cancelled=kind == "cancelled")
            other = _result_of_another_build(value, label or worker)
            if other:  # never stored or calibrated as this build's result
                return batch.fail(job_id, attempt, other)
            taken = batch.finish(job_id, attempt, value)
            if taken and on_result is not None:
                try:
                    on_result(batch.jobs[job_id], value)
                except Exception:  # saving must never cost the song
                    log.warning("could not save %s", value.path, exc_info=True)
            return taken
        if future.status == "error":
            err = future.exception()
            name = type(err).__name__
            if name == "KilledWorker":
                reason = (f"the cluster lost the worker running this song "
                          f"{self.retries + 1} times")
            else:
                reason = f"cluster error: {name}: {err}"
            return batch.fail(job_id, attempt, reason)
        # cancelled (by us, or the scheduler went away)
        return batch.fail(job_id, attempt, "cancelled", cancelled=True)

    def signal_cancel(self) -> None:
        """Tell running tasks to stop at their next chunk (the batch was cancelled)."""
        distributed = _import_dask()
        try:
            distributed.Event(self._cancel_name, client=self.client).set()
        except Exception:
            log.debug("could not signal the cancel event", exc_info=True)


def store_hooks(store, settings, *, fresh: bool = False):
    """``(lookup, on_result)`` that read and fill the session store in the client for a
    cluster engine (the workers never touch it), by content as the thread engines do.

    ``lookup(path)`` takes the file's content fingerprint and returns the stored result
    (None with ``fresh``); ``on_result(job, result)`` stores a result only when the file's
    content is the same as when it was looked up (unchanged while it was analyzed).
    """
    from core.batch.cache import content_fingerprint, stored_result

    settings_fp = settings.fingerprint()
    before: dict[str, str | None] = {}
    lock = threading.Lock()

    def lookup(path):
        fp = content_fingerprint(path)
        with lock:
            before[path] = fp
        if fp is None or fresh:
            return None
        return stored_result(store, path, fp, settings_fp)

    def on_result(job, result):
        after = content_fingerprint(job.path)
        with lock:
            was = before.pop(job.path, None)
        if after is not None and after == was:
            store.save(result, settings_fp, after)
        else:
            store.stats.changed += 1

    return lookup, on_result
