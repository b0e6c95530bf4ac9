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
(a worker that died too often, a lost connection) and fail only that song.  When the whole
cluster fails in the middle of a batch (the scheduler gone, every worker gone or held by
songs given up on), both engines end the batch by the same rule, :class:`WorkerWatch`.
"""

from __future__ import annotations

import collections
import concurrent.futures
import contextlib
import logging
import os
import re
import threading
import time
import uuid
import warnings
from collections.abc import Callable
from dataclasses import dataclass

from core.batch.cluster_tasks import (
    PROGRESS_TOPIC,
    analyze_task,
    tasks_held,
    unreadable_paths,
    warm_up,
)
from core.batch.rules import Batch, Job, result_lost, seconds_text
from core.errors import SongCalError
from core.io.results import SongResult

__all__ = [
    "ClusterSpec",
    "ClusterError",
    "ClusterConnection",
    "WorkerThread",
    "WorkerWatch",
    "free_threads",
    "parse_cluster",
    "store_hooks",
    "FILES_SHARED",
    "FILES_SEND",
    "RESULT_FETCH_S",
    "ResultNotSent",
]

log = logging.getLogger(__name__)

#: How files reach the workers: a path every worker can see, or the file's bytes.
FILES_SHARED, FILES_SEND = "shared", "send"

#: Largest file sent by bytes (a laptop talking to a cluster; larger decks need a share).
MAX_SEND_BYTES = 512 * 1024 * 1024

_CONNECT_TIMEOUT_S = 10.0
#: Longest wait (s) for the result of a song whose task has ended to reach this computer
#: (:meth:`ClusterConnection.fetch`): a result is a few kilobytes, sent at once by a worker
#: that is well.
RESULT_FETCH_S = 30.0
#: Results fetched at the same time at most, one thread each (:meth:`ClusterConnection.
#: fetch`): results that stall hold no other unless this many stall at once.
_FETCH_THREADS = 8
#: The shortest wait (s) given to a fetch that waited that long for a free thread.
_FETCH_LAST_S = 1.0
#: Longest wait for what the client knows already or asks the scheduler alone (the workers
#: of the cluster, an event set, a task's error): a scheduler that stopped answering
#: (frozen, or cut off without the connection closing) must not hold the batch.
_LOCAL_CALL_S = 10.0
#: Longest wait (s) for a LocalCluster to shut down (its nannies give a worker that does
#: not stop 5 s before they kill it).
_CLOSE_S = 15.0
#: Longest wait for the workers' warm-up and file check (a cold worker imports the
#: analyzer's libraries first; a worker stuck there must not hold the batch forever).
_WORKER_CALL_TIMEOUT_S = 180.0
#: Longest a batch waits for a cluster without any worker: one to join before the first
#: song, one to come back when every worker has left in the middle of a batch.
NO_WORKER_WAIT_S = 60.0


class ResultNotSent(Exception):
    """A task's result did not reach this computer within ``wait_s`` seconds of the start
    of its fetch (:meth:`ClusterConnection.fetch`)."""

    def __init__(self, wait_s: float):
        super().__init__(f"the result did not arrive within {seconds_text(wait_s)}")
        self.wait_s = wait_s


class ClusterError(SongCalError):
    """The cluster cannot be used: the extra is missing, the scheduler cannot be reached,
    or a worker cannot see a file."""


#: The local scheduler's options: no dashboard, and the HTTP server Dask starts even
#: without one (its health and metrics pages) on a free port of this machine only.  On its
#: default, 8787, it took the port of the user's own Dask dashboard (or of another SongCal
#: window's cluster), which then warned "Port 8787 is already in use" and moved.
_SCHEDULER_OPTIONS = {"dashboard": False, "dashboard_address": "127.0.0.1:0"}


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
    m = re.fullmatch(r"(?:(tcp|tls|ws|wss)://)?([\w.\-]+|\[[0-9A-Fa-f:.]+\])(?::(\d+))?", t)
    if m and (m.group(1) or m.group(3)):
        scheme, host, port = m.group(1) or "tcp", m.group(2), m.group(3) or "8786"
        if not 0 < int(port) < 65536:
            raise ValueError(f"not a cluster: {text!r} (the port {port} is not 1-65535)")
        return ClusterSpec(address=f"{scheme}://{host}:{int(port)}", files=files)
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
    # Dask logs every worker start and stop at INFO, and a lost scheduler as errors with
    # their tracebacks; SongCal reports what matters itself, in the song's row or in one
    # line.
    for name, logger in list(logging.root.manager.loggerDict.items()):
        if name.split(".", 1)[0] == "distributed" and isinstance(logger, logging.Logger) \
                and (logger.level or name == "distributed"):  # (Dask sets some of its own)
            logger.setLevel(logging.CRITICAL)
    return distributed


def _one_line(err) -> str:
    """An exception's message on one line (Dask's own span several)."""
    text = " ".join(str(err).split())
    return text or type(err).__name__


def _probe_scheduler(address: str, timeout: float) -> None:
    """Make sure a Dask scheduler answers at ``address`` within ``timeout`` seconds.

    Dask's client bounds the TCP connection but not the handshake that follows: on a port
    where something else listens (a web server, a database), it waits for an answer that
    never comes.  Here the whole exchange, up to the scheduler's identity, is bounded.

    Raises
    ------
    ClusterError
        Something else answers there, or nothing within ``timeout``.
    OSError, ValueError
        Nothing listens there, or the address is not one Dask can use.
    """
    import asyncio

    import distributed
    from distributed.comm import connect

    args = distributed.Security().get_connection_args("client")

    async def ask():
        comm = await connect(address, timeout=timeout, **args)
        try:
            await comm.write({"op": "identity", "reply": True})
            return await comm.read()
        finally:
            comm.abort()

    async def bounded():
        # Dask's connect gives up by itself (OSError) when nothing accepts the connection
        # within ``timeout``; this bound is reached only by a connection that was accepted
        # and then never answered.
        return await asyncio.wait_for(ask(), timeout + 5.0)

    try:
        answer = asyncio.run(bounded())
    except TimeoutError:  # (before OSError, of which it is a kind)
        answer = None
    except (OSError, ValueError):
        raise
    except Exception:  # an answer read as Dask's framing: garbage
        raise ClusterError(f"no Dask scheduler answers at {address}: something else "
                           f"listens on that port (what it answered is not Dask's)") from None
    if not (isinstance(answer, dict) and answer.get("type") == "Scheduler"):
        raise ClusterError(f"no Dask scheduler answers at {address}: something else "
                           f"listens on that port (it accepted the connection but did not "
                           f"answer as a scheduler within {timeout + 5.0:.0f} s)")


def _read_to_send(path: str) -> bytes:
    """The bytes of a song to send with its task.

    The file is checked as the analyzer checks it (a missing or empty file, a folder, a
    FIFO or device is refused without being opened, so nothing blocks) and read whole,
    up to :data:`MAX_SEND_BYTES`.

    Raises
    ------
    OSError
        With the reason as its message.
    """
    from core.analysis.sniff import check_path
    from core.errors import AudioFileError
    from core.io.inputs import InputFileError, read_regular_file

    try:
        size = check_path(path)
    except AudioFileError as err:
        raise OSError(err.reason) from None
    too_large = (f"too large to send to the cluster ({{}} MB; at most "
                 f"{MAX_SEND_BYTES / 1e6:.0f} MB): share the folder")
    if size > MAX_SEND_BYTES:
        raise OSError(too_large.format(f"{size / 1e6:.0f}"))
    try:
        return read_regular_file(path, max_bytes=MAX_SEND_BYTES, what="file")
    except InputFileError as err:
        if os.path.isfile(path) and os.path.getsize(path) > MAX_SEND_BYTES:  # grew
            raise OSError(too_large.format(f"{os.path.getsize(path) / 1e6:.0f}")) from None
        raise OSError(err.reason) from None


#: The topic under which a Dask scheduler logs its own events (a worker added or removed).
_SCHEDULER_TOPIC = "all"

#: What :func:`_why_cancelled` says of a future the client cancelled as it lost its scheduler.
_CONNECTION_LOST = "the connection to the scheduler was lost"


def _why_cancelled(future) -> str:
    """Why Dask cancelled a future the batch did not cancel, in words."""
    reason = ""
    try:
        reason = str(getattr(future._state.exception, "reason", "") or "")
    except Exception:
        pass
    if "connection" in reason or "lost" in reason:
        return _CONNECTION_LOST
    return reason.replace("-", " ") or "its task was cancelled on the cluster"


def _readable_here(path: str) -> bool:
    """True when this computer can read ``path`` as a regular file."""
    return not unreadable_paths([path])


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
    attempt : int or None
        That job's attempt.
    tag : str
        The list that job is of (the ``tag`` it was submitted with; empty for none).
    seen : float
        ``time.monotonic()`` when its song's start was reported.
    """

    name: str
    host: str = ""
    job: int | None = None
    attempt: int | None = None
    tag: str = ""
    seen: float = 0.0

    @property
    def task(self) -> tuple[str, int, int | None] | None:
        """``(tag, job, attempt)`` of the song it runs now, or None when idle: job ids and
        attempts start again in every list of an engine, so the job alone does not say
        which song it is."""
        return None if self.job is None else (self.tag, self.job, self.attempt)


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
        ``"ended"``), in the client's event-loop thread, after :attr:`threads` is updated;
        an end that comes from no thread known to run its song (its worker left, or the
        song runs again elsewhere) has ``msg["stale"]`` set.  Only events of this
        connection's own tasks come (an event that does not say which run it is of, from a
        worker with an older SongCal, is counted in :attr:`unnamed_reports` and left out;
        the first comes once as ``"older_worker"``, ``{"worker": "host:port"}``, for the
        user to be told).
        The scheduler's removal or addition of a worker comes as ``"left"`` or
        ``"joined"`` (:meth:`_scheduler_event`).

    Attributes
    ----------
    threads : dict of str to WorkerThread
        The worker threads seen so far, by name.
    submitted : int
        Tasks submitted.
    unnamed_reports : int
        Progress reports left out because they do not say which run they are of (a worker
        runs an older SongCal); the first is logged as a warning.
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
        self._warm_up_name = f"songcal-warm-up-{self._token}"
        self._warm_up_registered = False
        self.submitted = 0
        #: Progress reports left out because they do not say which run they are of (sent
        #: by a worker whose SongCal is older than that field).
        self.unnamed_reports = 0
        # The workers and their names as last read, and since when the scheduler has not
        # answered (None while it answers).
        self._workers: dict[str, int] = {}
        self._names: dict[str, str] = {}
        self._silent_since: float | None = None
        # Results to fetch, in order (fetch), and the threads that fetch them now.
        self._to_fetch: collections.deque = collections.deque()
        self._fetch_lock = threading.Lock()
        self._fetchers = 0
        #: True while a LocalCluster starts: a stop asked then waits until it has started
        #: (a LocalCluster cut short leaves Dask unable to close it at exit).
        self.starting = False
        self.stop_asked = False

    @property
    def connected(self) -> bool:
        """True once a client exists (made here or given)."""
        return self.client is not None

    def connect(self) -> None:
        """Start the LocalCluster or reach the scheduler (within 10 s), then warm up every
        worker, and have every worker that starts later warm up before it takes a song;
        with a client given, only subscribe to the workers' events.

        Raises
        ------
        ClusterError
            The extra is missing, the scheduler cannot be reached or stops answering
            (each question to it waits :data:`_LOCAL_CALL_S` at most), or a worker cannot
            import SongCal.
        """
        distributed = _import_dask()
        if self.client is None:
            import dask

            try:
                if self.spec.address is None:
                    with dask.config.set({
                            "distributed.scheduler.allowed-failures": self.retries,
                            "logging.distributed": "error"}), self._starting():
                        self.cluster = distributed.LocalCluster(
                            n_workers=self.spec.workers, threads_per_worker=1,
                            processes=True, dashboard_address=None,
                            scheduler_kwargs=_SCHEDULER_OPTIONS,
                            silence_logs=logging.ERROR,
                            env={"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1",
                                 "MKL_NUM_THREADS": "1"})
                    self.client = distributed.Client(self.cluster,
                                                     timeout=_CONNECT_TIMEOUT_S)
                else:
                    _probe_scheduler(self.spec.address, _CONNECT_TIMEOUT_S)
                    self.client = distributed.Client(self.spec.address,
                                                     timeout=_CONNECT_TIMEOUT_S)
            except ClusterError:
                self.close()
                raise
            except (OSError, TimeoutError, ValueError) as err:
                self.close()
                raise ClusterError(f"cannot reach the {self.spec.describe()} within "
                                   f"{_CONNECT_TIMEOUT_S:.0f} s: {_one_line(err)}") from None
            except BaseException:  # (a stop asked while connecting)
                self.close()
                raise
            try:
                self._wait_for_a_worker()
                builds = self._run_on_workers(warm_up)
            except ClusterError:
                self.close()
                raise
            except (TimeoutError, distributed.TimeoutError):
                self.close()
                raise ClusterError(f"the workers of the {self.spec.describe()} did not "
                                   f"answer within {_WORKER_CALL_TIMEOUT_S:.0f} s (loading "
                                   f"SongCal's analyzer there)") from None
            except Exception as err:
                self.close()
                raise ClusterError(f"the workers of the {self.spec.describe()} cannot "
                                   f"import SongCal ({type(err).__name__}: "
                                   f"{_one_line(err)}); install songcal on every "
                                   f"worker") from None
            except BaseException:
                self.close()
                raise
            other = _other_build(builds)
            if other:
                self.close()
                raise ClusterError(other)
            try:
                self._warm_up_later_workers()
            except BaseException:
                self.close()
                raise
        self.client.subscribe_topic(PROGRESS_TOPIC, self._event)
        # The scheduler's own events: a worker that leaves (or dies) is known at once, not
        # at the engine's next look at the workers.
        self.client.subscribe_topic(_SCHEDULER_TOPIC, self._scheduler_event)
        self._subscribed = True

    def _warm_up_later_workers(self) -> None:
        """Have every worker that starts from now on (restarted by its nanny, or joining)
        warm up before it takes a song, as those found at connection did
        (:class:`core.batch.cluster_plugin.WarmUpPlugin`).  Without it, the first song on
        such a worker would be timed with the analyzer's start-up in it.  A scheduler that
        refuses the plugin costs only that: a warning, and the batch goes on.

        The registration waits for the scheduler, and the scheduler for every worker to
        set the plugin up (at once: each was just warmed up): it gives up after
        :data:`_LOCAL_CALL_S`.  Then a scheduler that still answers (a worker slow to set
        it up) costs a warning; one that does not (frozen, or cut off without the
        connection closing) cannot run a batch.

        Raises
        ------
        ClusterError
            The scheduler stopped answering.
        """
        import distributed

        from core.batch.cluster_plugin import WarmUpPlugin, plugin_registration

        client = self.client
        plugin = WarmUpPlugin(_WORKER_CALL_TIMEOUT_S, name=self._warm_up_name)
        try:
            # (run on the client's event loop: the registration has no time limit of its own)
            _, register = plugin_registration(client)
            client.sync(register, plugin, self._warm_up_name, callback_timeout=_LOCAL_CALL_S)
            self._warm_up_registered = True
        except (TimeoutError, distributed.TimeoutError):
            self._warm_up_registered = True  # (it may be registered yet: taken away at close)
            try:
                self._nthreads()
            except TimeoutError:
                raise ClusterError(self._stopped_answering()) from None
            except Exception:
                pass
            log.warning("workers that start later may not be warmed up: the workers did "
                        "not set up their warm-up within %s", seconds_text(_LOCAL_CALL_S))
        except Exception as err:
            log.warning("workers that start later will not be warmed up: %s",
                        _one_line(err))

    def _run_on_workers(self, function, *args):
        """``client.run(function, *args)`` on every worker as the cluster is reached: the
        workers get up to :data:`_WORKER_CALL_TIMEOUT_S` (a cold one imports the analyzer's
        libraries first), but the scheduler that relays the call is asked every
        :data:`_LOCAL_CALL_S` whether it still answers, so one that stopped answering is
        not waited for that long.

        Raises
        ------
        ClusterError
            The scheduler stopped answering.
        TimeoutError
            The workers did not answer within :data:`_WORKER_CALL_TIMEOUT_S`.
        """
        import asyncio

        client = self.client
        silent = []

        async def watched():
            run = asyncio.ensure_future(client._run(function, *args))
            try:
                while True:
                    done, _ = await asyncio.wait({run}, timeout=_LOCAL_CALL_S)
                    if done:
                        return run.result()
                    try:
                        await asyncio.wait_for(client.scheduler.ncores(), _LOCAL_CALL_S)
                    except TimeoutError:
                        silent.append(True)
                        return None
            finally:
                if not run.done():
                    run.cancel()

        answer = client.sync(watched, callback_timeout=_WORKER_CALL_TIMEOUT_S)
        if silent:
            self._unanswered()
            raise ClusterError(self._stopped_answering())
        return answer

    def _stopped_answering(self) -> str:
        """Why a cluster that stopped answering as it was reached cannot be used."""
        return (f"the {self.spec.describe()} stopped answering as it was being reached (no "
                f"answer within {seconds_text(_LOCAL_CALL_S)}): check that it runs and can "
                f"be reached, then start again")

    @contextlib.contextmanager
    def _starting(self):
        self.starting, self.stop_asked = True, False
        try:
            yield
        finally:
            self.starting = False
        if self.stop_asked:
            raise KeyboardInterrupt

    def _wait_for_a_worker(self) -> None:
        """Wait (up to :data:`NO_WORKER_WAIT_S`) until the cluster has a worker.

        Raises
        ------
        ClusterError
            None joined in that time, or the scheduler did not answer.
        """
        import distributed

        try:
            if sum(self._nthreads().values()) > 0:
                return
        except TimeoutError:
            raise ClusterError(self._stopped_answering()) from None
        except Exception:  # (as capacity(): the wait below says what is wrong)
            pass
        log.info("waiting for a worker to join the %s", self.spec.describe())
        try:
            self.client.wait_for_workers(1, timeout=NO_WORKER_WAIT_S)
        except (TimeoutError, distributed.TimeoutError):
            raise ClusterError(f"the {self.spec.describe()} has no worker (none joined "
                               f"within {NO_WORKER_WAIT_S:.0f} s): start some with "
                               f"'dask worker {self.spec.address}'") from None

    def close(self) -> None:
        """Leave the cluster (a LocalCluster is shut down; a client given is left open)."""
        if self._subscribed and self.client is not None:
            for topic in (PROGRESS_TOPIC, _SCHEDULER_TOPIC):
                try:
                    self.client.unsubscribe_topic(topic)
                except Exception:
                    pass
            self._subscribed = False
        if not self._own_client:
            return
        if self._warm_up_registered and self.cluster is None and not self.silent_for() \
                and getattr(self.client, "status", "") == "running":
            # (a scheduler of its own outlives this connection: workers that join it later
            # are not warmed up for a client that has left; one that stopped answering
            # would not answer this either)
            try:
                self.client.sync(self.client.scheduler.unregister_worker_plugin,
                                 name=self._warm_up_name, callback_timeout=_LOCAL_CALL_S)
            except Exception:
                log.debug("could not unregister the warm-up", exc_info=True)
        self._warm_up_registered = False
        if self.client is not None:
            try:
                self.client.close(timeout=_LOCAL_CALL_S)
            except Exception:  # leaving must not fail the batch
                log.debug("closing %r failed", self.client, exc_info=True)
        if self.cluster is not None:
            self._close_local_cluster(self.cluster)
        self.client = self.cluster = None

    @staticmethod
    def _close_local_cluster(cluster) -> None:
        """Shut a LocalCluster down, waiting up to :data:`_CLOSE_S`: Dask's own close has
        no time limit, and the command line and the window wait for it as they end.  Worker
        processes still there then are killed: they must not outlive this one."""
        try:
            cluster.close(timeout=_CLOSE_S)
            return
        except TimeoutError:
            log.warning("the local cluster did not shut down within %s: its worker "
                        "processes are killed", seconds_text(_CLOSE_S))
        except Exception:  # leaving must not fail the batch
            log.debug("closing %r failed", cluster, exc_info=True)
        import psutil  # (a requirement of Dask's)

        for nanny in list(getattr(cluster, "workers", {}).values()):
            pid = getattr(getattr(getattr(nanny, "process", None), "process", None), "pid",
                          None)
            if pid:
                with contextlib.suppress(Exception):
                    psutil.Process(pid).kill()

    def _nthreads(self) -> dict:
        """``{worker address: threads}`` as the scheduler says now.

        Raises
        ------
        TimeoutError
            The scheduler did not answer within :data:`_LOCAL_CALL_S` (it is frozen, or
            cut off without its connection closing): :meth:`silent_for` counts from the
            first such call.
        """
        try:
            workers = dict(self.client.nthreads(callback_timeout=_LOCAL_CALL_S))
        except TimeoutError:
            self._unanswered()
            raise
        with self.lock:
            self._silent_since = None
            self._workers = workers
        return workers

    def _unanswered(self) -> None:
        with self.lock:
            if self._silent_since is None:
                self._silent_since = time.monotonic()
                log.warning("the %s did not answer within %.0f s", self.spec.describe(),
                            _LOCAL_CALL_S)

    def silent_for(self, now: float | None = None) -> float:
        """How long (s) the scheduler has not answered (0 while it answers)."""
        with self.lock:
            since = self._silent_since
        return 0.0 if since is None else (time.monotonic() if now is None else now) - since

    def capacity(self) -> int:
        """Worker threads the cluster has now (as last read, while its scheduler does not
        answer)."""
        try:
            workers = self._nthreads()
        except TimeoutError:
            with self.lock:
                workers = self._workers
        except Exception:
            return 0
        return max(0, sum(workers.values()))

    def worker_threads(self) -> list[tuple[str, int]]:
        """``(worker address, threads)`` of every worker of the cluster now (as last read,
        while its scheduler does not answer)."""
        try:
            workers = self._nthreads()
        except TimeoutError:
            with self.lock:
                workers = self._workers
        except Exception:
            return []
        return sorted(workers.items())

    def worker_names(self) -> dict[str, str]:
        """``{worker address: name}`` of the workers started with a name of their own
        (``dask worker --name NAME``).  A worker without one (Dask then names it after its
        address; a LocalCluster numbers its workers) is left out.  As last read while the
        scheduler does not answer."""
        client = self.client
        try:
            try:
                info = client.sync(client.scheduler.identity, n_workers=-1,
                                   callback_timeout=_LOCAL_CALL_S)
            except TypeError:  # (a distributed that lists every worker anyway)
                info = client.sync(client.scheduler.identity,
                                   callback_timeout=_LOCAL_CALL_S)
            workers = dict(info.get("workers", {}))
        except TimeoutError:
            self._unanswered()
            return dict(self._names)
        except Exception:
            return {}
        out = {}
        for address, worker in workers.items():
            name = worker.get("name") if isinstance(worker, dict) else None
            if isinstance(name, str) and name.strip() and name not in (
                    address, address.split("://", 1)[-1]):
                out[address] = name.strip()
        self._names = out
        return out

    def lost(self) -> str:
        """Why the cluster cannot be reached any more (its client gave up reconnecting to
        the scheduler), or empty."""
        client = self.client
        if client is not None and getattr(client, "status", "running") in ("closing",
                                                                         "closed"):
            return self._lost_words()
        return ""

    def _lost_words(self) -> str:
        return (f"the connection to the {self.spec.describe()} was lost (it stopped or "
                f"cannot be reached)")

    def reconnecting(self) -> bool:
        """True while the client tries to reach its scheduler again (it lost it)."""
        return getattr(self.client, "status", "running") == "connecting"

    def forget_departed(self, workers=None, *, read_at: float | None = None,
                        on_lost: Callable | None = None) -> None:
        """Forget the threads of workers that have left the cluster: a worker process that
        died never reports the end of the song it ran.

        Parameters
        ----------
        workers : list of (str, int), optional
            The workers as :meth:`worker_threads` read them (by default they are read here).
        read_at : float, optional
            ``time.monotonic()`` just before they were read (default now): a thread whose
            song started after that, on a worker that joined meanwhile, is kept.
        on_lost : callable, optional
            ``on_lost((tag, job, attempt))`` for each song a forgotten thread ran that no
            thread runs now: Dask queues it to run again (or fails it, its worker lost too
            often).  Called under :attr:`lock`, so the start of its rerun, if reported
            meanwhile, reaches ``on_event`` after it.
        """
        if read_at is None:
            read_at = time.monotonic()
        try:
            here = {a.split("://", 1)[-1] for a in (
                self._nthreads() if workers is None else dict(workers))}
        except Exception:
            return
        with self.lock:
            gone = [n for n, t in self.threads.items()
                    if n.split("/", 1)[0] not in here and t.seen <= read_at]
            lost = {self.threads.pop(n).task for n in gone} - {None}
            lost -= {t.task for t in self.threads.values()}
            if on_lost is not None:
                for task in sorted(lost, key=str):
                    on_lost(task)

    def _scheduler_event(self, event) -> None:
        """In the client's event-loop thread: the scheduler added or removed a worker.

        A worker removed (it left, or its process died and the scheduler dropped it) takes
        its threads with it: the songs they ran are reported at once, as ``on_event("left",
        {"worker": "host:port", "lost": [(tag, job, attempt), ...]})`` (Dask queues each to
        run again, or fails it, its worker lost too often), so an engine shows them queued
        without waiting for its next look at the workers.  A worker added is reported as
        ``on_event("joined", {"worker": "host:port"})``.  Both come in the order the
        scheduler logged them, before the start of any song on a worker added after."""
        _, msg = event if isinstance(event, tuple) else (None, event)
        if not isinstance(msg, dict):
            return
        action = msg.get("action")
        if action not in ("remove-worker", "add-worker"):
            return
        address = str(msg.get("worker") or "").split("://", 1)[-1]
        if not address:
            return
        if action == "add-worker":
            if self.on_event is not None:
                self.on_event("joined", {"worker": address})
            return
        with self.lock:
            gone = [n for n in self.threads if n.split("/", 1)[0] == address]
            lost = {self.threads.pop(n).task for n in gone} - {None}
            lost -= {t.task for t in self.threads.values()}
        if self.on_event is not None:
            self.on_event("left", {"worker": address, "lost": sorted(lost, key=str)})

    def running_on(self) -> dict[tuple, str]:
        """``{(tag, job, attempt): "host:port"}``: where each song that runs now runs (its
        worker, as the worker names itself)."""
        with self.lock:
            return {t.task: t.name.split("/", 1)[0] for t in self.threads.values()
                    if t.task is not None}

    def restart_holding(self, tasks) -> bool:
        """Restart the workers of this connection's own LocalCluster that still run the
        songs ``tasks`` (``(tag, job, attempt)`` of songs given up on, stuck: Dask cannot
        stop a thread otherwise); True when one was restarted.  A cluster of its own
        scheduler is left alone (other clients may be using its workers)."""
        if self.cluster is None:
            return False
        tasks = set(tasks)
        with self.lock:
            hosts = {t.name.split("/", 1)[0] for t in self.threads.values()
                     if t.task is not None and t.task in tasks}
        try:
            workers = [a for a in self._nthreads() if a.split("://", 1)[-1] in hosts]
            if not workers:
                return False
            log.warning("restarting %s: still running a song given up on",
                        ", ".join(workers))
            self.client.restart_workers(workers, timeout=_WORKER_CALL_TIMEOUT_S,
                                        raise_for_error=False)
        except Exception:
            log.warning("could not restart the workers", exc_info=True)
            return False
        with self.lock:
            for name in [n for n in self.threads if n.split("/", 1)[0] in hosts]:
                del self.threads[name]
        return True

    def check_paths(self, paths) -> None:
        """Make sure every worker can read every path (files by shared path).

        Raises
        ------
        ClusterError
            Naming the first worker and path it cannot see.
        """
        if self.spec.files != FILES_SHARED or not paths:
            return
        # A file this computer cannot read either (gone, unreadable, a FIFO) is the song's
        # own problem: it fails in its row, with the analyzer's words, as with threads.
        paths = [p for p in paths if _readable_here(p)]
        if not paths:
            return
        import distributed

        try:
            missing = self._run_on_workers(unreadable_paths, paths)
        except ClusterError:
            raise
        except (TimeoutError, distributed.TimeoutError):
            raise ClusterError(f"the workers of the {self.spec.describe()} did not say "
                               f"within {_WORKER_CALL_TIMEOUT_S:.0f} s whether they can "
                               f"read the files") from None
        except Exception as err:
            raise ClusterError(f"cannot ask the workers of the {self.spec.describe()} for "
                               f"the files: {_one_line(err)}") from None
        for worker, bad in sorted(missing.items()):
            if bad:
                more = f" (and {len(bad) - 1} more)" if len(bad) > 1 else ""
                raise ClusterError(f"worker {worker} cannot read {bad[0]}{more}; share the "
                                   f"folder at the same path on every worker, or send the "
                                   f"files' bytes")

    def _event(self, event) -> None:
        _, msg = event if isinstance(event, tuple) else (None, event)
        if not isinstance(msg, dict):
            return
        if "run" not in msg:  # (from a worker whose SongCal is older than the run field)
            self._unnamed(msg)
            return
        if msg["run"] != self._cancel_name:
            return  # (a task of another client of the scheduler: its numbers are not ours)
        if msg.get("thread"):  # the scheduler replaced "worker" by the worker's address
            msg = {**msg, "worker": msg["thread"]}
        kind, job_id = msg.get("kind"), msg.get("job")
        task = (msg.get("tag") or "", job_id, msg.get("attempt"))
        with self.lock:
            if kind == "started":
                t = self.threads.setdefault(msg["worker"], WorkerThread(msg["worker"]))
                t.host = msg.get("host", "")
                t.tag, t.job, t.attempt = task
                t.seen = time.monotonic()
            elif kind == "ended":
                t = self.threads.get(msg.get("worker"))
                if t is not None and t.task == task:
                    t.job = t.attempt = None
                    t.tag = ""
                else:  # (the end of a run on a worker that was forgotten since)
                    msg = {**msg, "stale": True}
        if self.on_event is not None:
            self.on_event(kind, msg)

    def _unnamed(self, msg: dict) -> None:
        """A progress report that does not say which run it is of: it cannot be told from
        another client's, so it is counted (:attr:`unnamed_reports`) and left out, and the
        first one is logged as a warning and passed on as ``"older_worker"``."""
        with self.lock:
            self.unnamed_reports += 1
            first = self.unnamed_reports == 1
        if first:
            worker = str(msg.get("worker") or "").split("://", 1)[-1] or "unknown"
            log.warning("a worker of the %s (%s) runs an older SongCal: its progress "
                        "reports do not say which run they are of, so they are left out "
                        "(a song it runs shows no progress, and no time limit applies to "
                        "it); install the same SongCal on every worker",
                        self.spec.describe(), worker)
            if self.on_event is not None:
                self.on_event("older_worker", {"worker": worker})

    def is_running(self, job_id: int, attempt: int, tag: str = "") -> bool:
        """True while a worker thread runs attempt ``attempt`` of ``job_id`` of the list
        ``tag`` (its task has not ended)."""
        with self.lock:
            return any(t.task == (tag, job_id, attempt) for t in self.threads.values())

    def submit(self, job, attempt: int, settings, *, on_done: Callable | None = None,
               tag: str = ""):
        """Submit one song; returns its future.

        ``on_done(future)`` is called in the client's event-loop thread when it ends.
        ``tag`` (default none) is part of the task's key and of its events: an engine whose
        job ids start again (a list cleared while a task given up on still runs) tells its
        lists apart by it.  Without it a new song with the job id and attempt of such a
        task would get that task's key, and Dask would hand it the old task's run.

        Raises
        ------
        OSError
            When a file to send cannot be read or is too large to send.
        """
        payload = _read_to_send(job.path) if self.spec.files == FILES_SEND else None
        self.submitted += 1
        with warnings.catch_warnings():
            # Sending the file with its task is the point of bytes mode (one task, one
            # transfer); Dask's "large graph" advice is about data sent many times.
            warnings.filterwarnings("ignore", message="Sending large graph",
                                    category=UserWarning)
            # (the song's key: its place in a window's list moves when songs are removed)
            future = self.client.submit(analyze_task, job.path, settings, job.key, attempt,
                                        self._cancel_name, payload, self.analyze, tag,
                                        key=self._task_key((tag, job.key, attempt)),
                                        pure=False)
        if on_done is not None:
            future.add_done_callback(on_done)
        return future

    def _task_key(self, task) -> str:
        """The Dask key of the task of ``task`` (``(tag, job key, attempt)``)."""
        tag, job, attempt = task
        return f"songcal-{self._token}-{tag + '-' if tag else ''}{job}-{attempt}"

    def held(self, tasks) -> dict[tuple, str]:
        """Of ``tasks`` (``(tag, job key, attempt)`` each), those a worker holds now:
        ``"started"`` (a worker thread runs it) or ``"waiting"`` (handed to a worker, not
        started); a task no worker holds is left out.  Asked of every worker, through the
        scheduler, waiting :data:`_LOCAL_CALL_S` at most: the question is answered from
        what each worker knows already, so a longer wait means a scheduler (or a worker)
        that stopped answering.

        Raises
        ------
        ClusterError
            No answer within :data:`_LOCAL_CALL_S` (what the workers hold is not known
            then; nothing is changed).
        Exception
            When a worker answers with an error.
        """
        import distributed

        keys = {self._task_key(t): t for t in tasks}
        if not keys:
            return {}
        try:
            answers = self.client.run(tasks_held, list(keys), on_error="raise",
                                      callback_timeout=_LOCAL_CALL_S)
        except (TimeoutError, distributed.TimeoutError):
            raise ClusterError(
                f"the {self.spec.describe()} did not say within "
                f"{seconds_text(_LOCAL_CALL_S)} which songs its workers hold (its "
                f"scheduler or a worker stopped answering)") from None
        out: dict[tuple, str] = {}
        for states in answers.values():
            for key, state in states.items():
                if key in keys and out.get(keys[key]) != "started":
                    out[keys[key]] = state
        return out

    def fetch(self, future) -> concurrent.futures.Future:
        """Fetch the outcome of a task that has ended (its future done) off the calling
        thread; returns a :class:`concurrent.futures.Future` of it for :meth:`settle`, done
        on the thread that fetched it (its callbacks run there).

        A task's result stays on its worker until it is fetched, and a worker that stalls
        as it sends it would hold whoever waits for it: the Dask client's one callback
        thread (every later song's result behind it), or the command line's loop.  Each
        fetch gives up :data:`RESULT_FETCH_S` after it was asked for, its future raising
        :class:`ResultNotSent`.  Fetches run side by side, up to :data:`_FETCH_THREADS` at
        once on threads that end when none is left, each asking for its own result alone
        (:meth:`_fetch_one`): results that stall fail together, one wait after they were
        asked for, and the results of other songs go past them.
        """
        fetched: concurrent.futures.Future = concurrent.futures.Future()
        wait_s = RESULT_FETCH_S
        with self._fetch_lock:
            self._to_fetch.append((future, fetched, time.monotonic() + wait_s, wait_s))
            if self._fetchers >= _FETCH_THREADS:
                return fetched
            self._fetchers += 1
        try:
            threading.Thread(target=self._fetch_all, name="songcal-fetch",
                             daemon=True).start()
        except BaseException:
            with self._fetch_lock:
                self._fetchers -= 1
            raise
        return fetched

    def _fetch_all(self) -> None:
        while True:
            with self._fetch_lock:
                if not self._to_fetch:
                    self._fetchers -= 1
                    return
                future, fetched, deadline, wait_s = self._to_fetch.popleft()
            try:
                outcome = self._fetch_one(future, deadline, wait_s)
            except BaseException as err:
                fetched.set_exception(err)
            else:
                fetched.set_result(outcome)

    def _fetch_one(self, future, deadline: float | None = None,
                   wait_s: float | None = None):
        """The task's outcome tuple; None for a task that ended without one (an error, a
        cancel: :meth:`settle` reads why from the future).  Waits until ``deadline``
        (``time.monotonic()``; default :data:`RESULT_FETCH_S` from now), at least
        :data:`_FETCH_LAST_S` (one asked for long before gets its chance).

        The result is asked of the scheduler for this key alone: the client's own fetch
        gathers the results asked for at about the same time in one request, so a result
        that stalls would hold the others asked with it, and fail them at its deadline.
        """
        if future.status != "finished":
            return None
        wait_s = RESULT_FETCH_S if wait_s is None else wait_s
        deadline = time.monotonic() + wait_s if deadline is None else deadline

        def left():
            return max(deadline - time.monotonic(), _FETCH_LAST_S)

        client = self.client
        try:
            if client is not None and getattr(client, "scheduler", None) is not None:
                answer = client.sync(client.scheduler.gather, keys=[future.key],
                                     callback_timeout=left())
                data = answer.get("data") if isinstance(answer, dict) and \
                    answer.get("status") == "OK" else None
                if isinstance(data, dict) and future.key in data:
                    return data[future.key]
            # (its worker lost it meanwhile: the client's own fetch has Dask run it again,
            # or says why it cannot)
            return future.result(timeout=left())
        except TimeoutError:
            if future.status == "finished":
                raise ResultNotSent(wait_s) from None
            return None  # (cancelled or lost meanwhile)

    def settle(self, batch: Batch, future, job_id: int | Job, attempt: int,
               on_result: Callable | None = None, *, label: str | None = None,
               fetched: concurrent.futures.Future | None = None) -> bool:
        """Report a finished future's outcome to ``batch``; True when it was current.
        The song is named by its place or by its :class:`Job` (see
        :meth:`core.batch.rules.Batch.finish`).

        ``fetched`` is what :meth:`fetch` returned for it, done; without it the outcome is
        fetched here (waiting up to :data:`RESULT_FETCH_S`).  A result is
        handed to ``on_result(job, result)`` (the store) when the batch took it.  The
        song's worker is named ``label`` when given, else after the worker thread.  Whatever
        goes wrong here fails that song alone, saying why: a result that did not reach
        this computer in time, one that cannot be read or recorded here.
        """
        job = job_id if isinstance(job_id, Job) else batch.jobs[job_id]
        try:
            if fetched is None:
                fetched = concurrent.futures.Future()
                try:
                    fetched.set_result(self._fetch_one(future))
                except Exception as err:
                    fetched.set_exception(err)
            try:
                outcome = fetched.result(timeout=0)
            except ResultNotSent as err:
                log.warning("the result of %s did not reach this computer within %s",
                            job.path, seconds_text(err.wait_s))
                return batch.fail(job_id, attempt, result_lost(job, err.wait_s))
            except Exception as err:
                if future.status != "finished":  # (cancelled or lost as it was fetched)
                    outcome = None
                else:
                    log.warning("could not read the result of %s", job.path, exc_info=True)
                    return batch.fail(job_id, attempt, f"its result could not be read on "
                                      f"this computer: {type(err).__name__}: "
                                      f"{_one_line(err)}; analyze it again")
            if outcome is not None:
                return self._record(batch, outcome, job_id, attempt, on_result, label)
            return self._settle_unfinished(batch, future, job_id, attempt)
        except Exception as err:  # recording must never hold the batch
            log.warning("could not record the outcome of %s", job.path, exc_info=True)
            return batch.fail(job_id, attempt, f"its result could not be recorded: "
                              f"{type(err).__name__}: {_one_line(err)}; analyze it again")

    def _record(self, batch: Batch, outcome, job_id: int | Job, attempt: int,
                on_result: Callable | None, label: str | None) -> bool:
        kind, value, worker = outcome
        batch.relabel(job_id, attempt, label or worker)
        if kind != "done":
            return batch.fail(job_id, attempt, value, cancelled=kind == "cancelled")
        other = _result_of_another_build(value, label or worker)
        if other:  # never stored or calibrated as this build's result
            return batch.fail(job_id, attempt, other)
        vouch = getattr(on_result, "vouch", None)
        if vouch is not None:  # before the batch takes it: the window keeps what it took
            try:
                vouch(job_id if isinstance(job_id, Job) else batch.jobs[job_id], value)
            except Exception:  # naming its content must never cost the song
                log.warning("could not check the content of %s", value.path, exc_info=True)
        taken = batch.finish(job_id, attempt, value)
        if taken and on_result is not None:
            try:
                on_result(job_id if isinstance(job_id, Job) else batch.jobs[job_id], value)
            except Exception:  # saving must never cost the song
                log.warning("could not save %s", value.path, exc_info=True)
        return taken

    def _settle_unfinished(self, batch: Batch, future, job_id: int | Job, attempt: int) -> bool:
        if future.status == "error":
            err = future.exception(timeout=_LOCAL_CALL_S)
            name = type(err).__name__
            if name == "KilledWorker":
                # (the scheduler's own count: one not started here keeps its own setting)
                allowed = getattr(err, "allowed_failures", None)
                times = allowed + 1 if isinstance(allowed, int) else self.retries + 1
                reason = f"the cluster lost the worker running this song {times} times"
            else:
                reason = f"cluster error: {name}: {err}"
            return batch.fail(job_id, attempt, reason)
        # cancelled: by us (a stop, a time-out), or by the cluster (the scheduler went away)
        if batch.cancelled:
            return batch.fail(job_id, attempt, "cancelled", cancelled=True)
        # (a task submitted while the client tried to reconnect is cancelled, without a
        # reason, when it gives up; the songs it ran when it lost the scheduler say so as
        # the songs left do once it has given up)
        why = _why_cancelled(future)
        return batch.fail(job_id, attempt, self.lost() or (
            self._lost_words() if why == _CONNECTION_LOST
            else f"the cluster dropped this song: {why}"))

    def signal_cancel(self) -> None:
        """Tell running tasks to stop at their next chunk (the batch was cancelled)."""
        _import_dask()
        client = self.client
        try:
            client.sync(client.scheduler.event_set, name=self._cancel_name,
                        callback_timeout=_LOCAL_CALL_S)
        except TimeoutError:
            self._unanswered()
        except Exception:
            log.debug("could not signal the cancel event", exc_info=True)


def free_threads(workers, handed_over: int, held: int) -> int:
    """How many more songs an engine may hand to the cluster now: the rule both cluster
    engines follow.

    The worker threads the cluster has now (``workers``: ``(address, threads)`` of each
    worker, as :meth:`ClusterConnection.worker_threads` reads them; workers join and leave
    while a batch runs, and an engine reads them again as it goes), less the songs handed
    over that have not ended (one of a worker that left waits in the scheduler to run
    again) and the threads still held by songs given up on (Dask cannot stop a thread).
    No more is handed over, so a song never waits in the scheduler's queue for a thread the
    engine counted on.
    """
    return max(0, sum(n for _, n in workers) - handed_over - held)


class WorkerWatch:
    """When a batch on a cluster stops waiting for a worker thread: the rule both cluster
    engines apply (the command line's ``ClusterRunner``, the window's ``ClusterSlots``).

    The connection lost for good (the client gave up reconnecting to its scheduler): the
    songs left fail at once.  A scheduler that does not answer (frozen, or cut off without
    its connection closing: :meth:`ClusterConnection.silent_for`) for :attr:`wait_s`: the
    songs left fail.  No worker thread that can take a song for :attr:`wait_s`
    (every worker has left, or every thread still runs a song given up on): the workers of
    the connection's own LocalCluster that hold such songs are restarted, once (Dask cannot
    stop a thread otherwise), and after another such wait the songs left fail, saying why.

    :meth:`check` asks the scheduler (and may restart workers, a few seconds): call it
    from a thread that may wait, never a GUI thread.

    Parameters
    ----------
    connection : ClusterConnection
        Connected.
    wait_s : float, optional
        The wait (s); default :data:`NO_WORKER_WAIT_S` as it is when the watch is made.
    """

    def __init__(self, connection: ClusterConnection, wait_s: float | None = None):
        self.connection = connection
        self.wait_s = NO_WORKER_WAIT_S if wait_s is None else wait_s
        self._since: float | None = None
        self._restarted = False

    def reset(self) -> None:
        """A new run: no wait going on, a worker may be restarted again."""
        self._since = None
        self._restarted = False

    def check(self, *, running: bool, waiting: bool, held, now: float | None = None) -> str:
        """Why the songs left must fail now, or empty while the batch may go on waiting.

        Parameters
        ----------
        running : bool
            Songs were handed to the cluster and have not ended (songs given up on aside).
        waiting : bool
            Songs are queued that the engine would hand over (not paused).
        held : collection of tuple
            ``(tag, job, attempt)`` of the songs given up on whose task still holds a worker
            thread (one each: a list cleared since may have given up on a song with the
            same job id and attempt as one of the list shown now).
        now : float, optional
            ``time.monotonic()``.
        """
        now = time.monotonic() if now is None else now
        lost = self.connection.lost()
        if lost:
            return lost
        capacity = self.connection.capacity()
        silent = self.connection.silent_for()
        if silent:  # (a scheduler that does not answer says nothing of its workers)
            self._since = None
            if silent > self.wait_s:
                return (f"the {self.connection.spec.describe()} did not answer for "
                        f"{self.wait_s:.0f} s")
            return ""
        if self.connection.reconnecting() or not (
                (not capacity and (running or waiting))  # no worker: nothing runs
                or (capacity <= len(held) and not running and waiting)):  # all held
            self._since = None
            return ""
        describe = self.connection.spec.describe()
        if self._since is None:
            self._since = now
            log.warning("%s; waiting up to %.0f s for one",
                        f"no worker left in the {describe}" if not capacity else
                        "every worker thread still runs a song given up on", self.wait_s)
            return ""
        if now - self._since <= self.wait_s:
            return ""
        if held and not self._restarted and self.connection.restart_holding(held):
            self._restarted = True
            self._since = None
            return ""
        if not capacity:
            return f"no worker was left in the {describe} for {self.wait_s:.0f} s"
        return (f"every worker thread of the {describe} still ran a song given up on for "
                f"{self.wait_s:.0f} s")


def store_hooks(store, settings, *, fresh: bool = False):
    """``(lookup, on_result)`` that read and fill the session store in the client for a
    cluster engine (the workers never touch it), by content as the thread engines do.

    ``lookup(path)`` takes the file's content fingerprint and returns the stored result
    (None with ``fresh``); ``on_result.vouch(job, result)``, before the batch takes the
    result, names in it the content it was measured on (:attr:`SongResult.content`, as the
    thread engines do, so that a list restored later can tell a file changed since) when
    the file still holds what was looked up; ``on_result(job, result)`` stores only such a
    result (one whose file changed while it was analyzed is not).
    """
    from core.batch.cache import fingerprint_and_inode, stored_result

    settings_fp = settings.fingerprint()
    before: dict[str, tuple] = {}  # path -> (fingerprint, inode, when it was taken)
    lock = threading.Lock()

    def lookup(path):
        at = time.time()
        fp, inode = fingerprint_and_inode(path)
        with lock:
            before[path] = (fp, inode, at)
        if fp is None or fresh:
            return None
        hit = stored_result(store, path, fp, settings_fp)
        if hit is not None:
            hit.content, hit.content_at, hit.content_inode = fp, at, inode
        return hit

    def vouch(job, result) -> str | None:
        if not isinstance(result, SongResult):
            return None
        result.content, result.content_at, result.content_inode = "", None, ""
        after, _ = fingerprint_and_inode(job.path)
        with lock:  # (kept for the result the batch takes: this one may be an old attempt's)
            fp, inode, at = before.get(job.path, (None, "", None))
        if after is None or after != fp:
            return None
        result.content, result.content_at, result.content_inode = fp, at, inode
        return fp

    def on_result(job, result):
        fp = getattr(result, "content", "") or vouch(job, result)
        with lock:
            before.pop(job.path, None)
        if fp:
            store.save(result, settings_fp, fp)
        else:
            store.stats.changed += 1

    on_result.vouch = vouch
    return lookup, on_result
