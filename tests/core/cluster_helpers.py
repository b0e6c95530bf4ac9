"""Analyzers for the cluster tests (module-level, so Dask can send them to its workers) and
what the command-line and window cluster tests share: a LocalCluster client and the check
that a test leaves no thread of its own running."""

from __future__ import annotations

import contextlib
import os
import threading
import time

from core.analysis.identity import analyzer_id
from core.errors import AnalysisCancelled, CorruptFileError
from core.io.results import SongResult

# The analyzer build is read once, as this module is imported: on a worker that is when the
# first song's task is unpacked, before that song's clock starts, so the first song on a
# fresh or restarted worker takes the time its analyzer says, as the others do (reading the
# build compiles the analysis modules: a tenth of a second, but 7-17 s on the mutation
# runs' instrumented copy of them, fifty times the code, longer than the tests' limits).
analyzer_id()


def slow_analyze(path, *, settings=None, progress=None, should_cancel=None):
    """Four 'chunks' of 0.25 s each; a file that starts with ``BAD`` fails."""
    path = os.fspath(path)
    with open(path, "rb") as f:
        if f.read(3) == b"BAD":
            raise CorruptFileError(path, "the data is damaged")
    n = 4
    for i in range(n):
        if progress is not None:
            progress(i, n, 8.0)
        if should_cancel is not None and should_cancel():
            raise AnalysisCancelled()
        time.sleep(0.25)
    if progress is not None:
        progress(n, n, 8.0)
    size = os.path.getsize(path)
    return SongResult(path=path, status="done", duration_s=8.0, bpm=60.0 + size % 100,
                      chunks=n, analyzer=analyzer_id())


def replaced_analyze(path, *, settings=None, progress=None, should_cancel=None):
    """As :func:`slow_analyze`, but a file named ``other*`` is analyzed by another build of
    the analyzer (a worker replaced while the batch runs)."""
    result = slow_analyze(path, settings=settings, progress=progress,
                          should_cancel=should_cancel)
    if os.path.basename(os.fspath(path)).startswith("other"):
        result.analyzer = "0123456789ab"
    return result


def _refuse_to_unpack():
    raise ValueError("no such class here: songcal.future.Tempo")


class _OnlyOnItsWorker:
    """A value made on a worker that no other process can unpack (a result of a library or
    a SongCal that this computer does not have)."""

    def __reduce__(self):
        return _refuse_to_unpack, ()


def unreadable_analyze(path, *, settings=None, progress=None, should_cancel=None):
    """As :func:`slow_analyze`, but the result of a file named ``unreadable*`` cannot be
    unpacked on this computer."""
    result = slow_analyze(path, settings=settings, progress=progress,
                          should_cancel=should_cancel)
    if os.path.basename(os.fspath(path)).startswith("unreadable"):
        result.note = _OnlyOnItsWorker()
    return result


#: Name of the Dask event that lets :func:`held_analyze`'s held songs go on.
RELEASE_EVENT = "songcal-test-release"


def held_analyze(path, *, settings=None, progress=None, should_cancel=None):
    """As :func:`slow_analyze`, but a file named ``held*`` first waits, deaf to its cancel
    flag, until the Dask event :data:`RELEASE_EVENT` is set (a decoder stuck in native code
    that comes back later)."""
    if os.path.basename(os.fspath(path)).startswith("held"):
        import distributed

        if progress is not None:
            progress(0, 4, 8.0)
        distributed.Event(RELEASE_EVENT).wait(120)
    return slow_analyze(path, settings=settings, progress=progress,
                        should_cancel=should_cancel)


def warm_held_analyze(path, *, settings=None, progress=None, should_cancel=None):
    """As :func:`held_analyze`, with the result's title saying whether the analyzer's
    warm-up had run in the worker's process when the song started."""
    from core.batch.cluster_tasks import warmed_up

    warm = warmed_up() is not None
    result = held_analyze(path, settings=settings, progress=progress,
                          should_cancel=should_cancel)
    result.title = f"warm-up ran: {warm}"
    return result


def _hold_thread(started: str, release: str) -> str:
    """A task of another client of the cluster: holds its worker thread until the Dask
    event ``release`` is set (``started`` is set once it runs)."""
    import distributed

    distributed.Event(started).set()
    distributed.Event(release).wait(120)
    return "held"


@contextlib.contextmanager
def every_thread_held(client, n_threads: int = 1):
    """Hold the cluster's ``n_threads`` worker threads with tasks of ``client`` (another
    user of the cluster) until the block ends or the ``release()`` it yields is called:
    songs handed over meanwhile wait in the scheduler's queue."""
    import uuid

    import distributed

    tag = uuid.uuid4().hex[:8]
    release = distributed.Event(f"songcal-test-release-{tag}", client=client)
    futures = []
    for i in range(n_threads):
        started = f"songcal-test-held-{tag}-{i}"
        futures.append(client.submit(_hold_thread, started, release.name, pure=False))
        if not distributed.Event(started, client=client).wait(60):
            raise RuntimeError("the thread-holding task did not start within 60 s")
    try:
        yield release.set
    finally:
        release.set()
        distributed.wait(futures, timeout=30)


def stuck_analyze(path, *, settings=None, progress=None, should_cancel=None):
    """Never returns for a file named ``stuck*`` (a decoder stuck in native code)."""
    if os.path.basename(os.fspath(path)).startswith("stuck"):
        if progress is not None:
            progress(0, 4, 1.0)
        while True:
            time.sleep(0.5)
    return slow_analyze(path, settings=settings, progress=progress,
                        should_cancel=should_cancel)


#: Threads a Dask client, scheduler and nannies keep while a module's cluster lives (the
#: module fixture closes them); any other thread left running fails the test.
DASK_THREADS = ("Dask-", "AsyncProcess", "IO loop", "QueueFeederThread", "Profile",
                "TCP-Executor", "ThreadPoolExecutor", "Dummy-", "QThread",
                # the worker panel's one CPU sampler for the whole process (not a leak)
                "songcal-cpu-sampler")


@contextlib.contextmanager
def no_leaked_threads(*, allowed=DASK_THREADS, wait_s: float = 5.0):
    """Fail when the block leaves a thread running whose name does not start with one
    of ``allowed`` (threads get ``wait_s`` to end)."""
    before = set(threading.enumerate())
    yield
    deadline = time.monotonic() + wait_s
    while True:
        leaked = [t.name for t in set(threading.enumerate()) - before
                  if t.is_alive() and not t.name.startswith(allowed)]
        if not leaked or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert not leaked, f"test left threads running: {leaked}"


#: Scheduler options of the tests' LocalClusters: no dashboard, and the HTTP server Dask
#: starts even without one (its health and metrics pages) on a free port; on its default
#: 8787, held by the module's cluster, every other cluster warned "Port 8787 is already in
#: use".
SCHEDULER_OPTIONS = {"dashboard": False, "dashboard_address": "127.0.0.1:0"}


@contextlib.contextmanager
def local_client(**cluster_options):
    """A client of a LocalCluster of two single-threaded worker processes, closed after."""
    import distributed

    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                       dashboard_address=None,
                                       scheduler_kwargs=SCHEDULER_OPTIONS, **cluster_options)
    c = distributed.Client(cluster, timeout=30)
    try:
        yield c
    finally:
        c.close()
        cluster.close()


def process_cluster(n_workers: int, *, timeout: float):
    """A LocalCluster of ``n_workers`` worker processes of one thread (no dashboard), and
    a client of it; the caller closes both."""
    import distributed

    cluster = distributed.LocalCluster(n_workers=n_workers, threads_per_worker=1,
                                       processes=True, dashboard_address=None,
                                       scheduler_kwargs=SCHEDULER_OPTIONS)
    return cluster, distributed.Client(cluster, timeout=timeout)


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_for_port(port: int, process, timeout_s: float = 60.0) -> None:
    """Return once something listens on ``port`` (a scheduler process imports Dask first:
    seconds on a busy machine, longer than the waits a test shortens)."""
    import socket
    import time

    end = time.monotonic() + timeout_s
    while time.monotonic() < end:
        if process.poll() is not None:
            raise RuntimeError(f"the scheduler process ended ({process.returncode})")
        with socket.socket() as s:
            s.settimeout(0.5)
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise RuntimeError(f"no scheduler listening on port {port} after {timeout_s:.0f} s")


def _wait_for_workers(address: str, n: int, worker, timeout_s: float = 120.0) -> None:
    """Return once ``n`` workers have joined the scheduler at ``address``, asked by a client
    closed before returning (so the test finds no client of the scheduler but its own).

    A worker process imports Dask and SongCal's analyzer before it joins: seconds on a busy
    machine, longer than a test's wait for a worker once it is cut to 2 s."""
    import distributed

    with distributed.Client(address, timeout=timeout_s, set_as_default=False) as client:
        try:
            client.wait_for_workers(n, timeout=timeout_s)
        except TimeoutError:
            ended = worker.poll()
            raise RuntimeError(
                f"{len(client.nthreads())} of {n} workers joined {address} within "
                f"{timeout_s:.0f} s" + (f" (the worker process ended: {ended})"
                                        if ended is not None else "")) from None


@contextlib.contextmanager
def scheduler_process(port: int | None = None, *, worker_name: str | None = None):
    """A Dask scheduler in a process of its own (on ``port``, default a free one) with one
    worker process of one thread (started with ``--name worker_name`` when given): yields
    ``(address, scheduler)`` (a ``subprocess.Popen`` the test may kill) once the worker has
    joined the scheduler; both are killed after."""
    import subprocess
    import sys
    from pathlib import Path

    port = port or _free_port()
    address = f"tcp://127.0.0.1:{port}"
    root = str(Path(__file__).resolve().parents[2])
    env = {**os.environ, "PYTHONPATH": root}
    processes = [subprocess.Popen(
        [sys.executable, "-m", "distributed.cli.dask_scheduler", "--host", "127.0.0.1",
         "--port", str(port), "--no-dashboard"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)]
    try:
        _wait_for_port(port, processes[0])
        # (started once the scheduler listens: a worker that finds no scheduler within its
        # death timeout ends)
        processes.append(subprocess.Popen(
            [sys.executable, "-m", "distributed.cli.dask_worker", address, "--nthreads", "1",
             "--no-dashboard", "--death-timeout", "60",
             *(["--name", worker_name] if worker_name else [])],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env))
        _wait_for_workers(address, 1, processes[1])
        yield address, processes[0]
    finally:
        for p in processes:
            p.kill()
            p.wait()


#: Name under which :func:`results_held` registers its worker plugin.
HOLD_RESULTS_PLUGIN = "songcal-test-hold-results"


def _is_unsent(value) -> bool:
    """True for the outcome of a song whose file is named ``unsent*``."""
    if not (isinstance(value, tuple) and len(value) == 3):
        return False
    path = getattr(value[1], "path", "")
    return isinstance(path, str) and os.path.basename(path).startswith("unsent")


try:  # (the tests that use the cluster skip without Dask)
    from distributed.diagnostics.plugin import WorkerPlugin as _WorkerPlugin
except ImportError:  # pragma: no cover
    _WorkerPlugin = object


class HoldResults(_WorkerPlugin):
    """A worker plugin: the worker does not send the outcome of a song whose file is named
    ``unsent*`` (as a worker whose connection stalls does) until the plugin is taken away;
    its event loop goes on answering meanwhile, and the other songs' outcomes go out."""

    name = HOLD_RESULTS_PLUGIN

    def setup(self, worker):
        import asyncio

        self._release = asyncio.Event()
        self._get_data = original = worker.handlers["get_data"]
        release = self._release

        async def get_data(comm, keys, who=None, serializers=None):
            if any(k in worker.data and _is_unsent(worker.data[k]) for k in keys):
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(release.wait(), 120)
            return await original(comm, keys, who=who, serializers=serializers)

        worker.handlers["get_data"] = get_data

    def teardown(self, worker):
        worker.handlers["get_data"] = self._get_data
        self._release.set()


@contextlib.contextmanager
def results_held(client):
    """While the block runs, the workers of ``client``'s cluster do not send the outcome of a
    song whose file is named ``unsent*``; after it, they do."""
    client.register_plugin(HoldResults())
    try:
        yield
    finally:
        client.unregister_worker_plugin(HOLD_RESULTS_PLUGIN)


def report_as_an_older_songcal(events) -> int:
    """Run on a worker: log ``events`` on SongCal's progress topic as a worker whose
    SongCal is older than the run field sends them (without it); returns how many."""
    from distributed import get_worker

    from core.batch.cluster_tasks import PROGRESS_TOPIC

    worker = get_worker()
    for event in events:
        worker.log_event(PROGRESS_TOPIC, {k: v for k, v in event.items() if k != "run"})
    return len(events)


class NothingToSetUp(_WorkerPlugin):
    """A worker plugin that does nothing (for a test of how plugins are registered)."""
