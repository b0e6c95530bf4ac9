"""What runs on a Dask worker for the cluster engine (:mod:`core.batch.cluster`).

:func:`analyze_task` analyzes one song in the worker's thread, chunk by chunk, publishes
throttled progress events on :data:`PROGRESS_TOPIC` and returns a plain tuple, never an
exception object.  :func:`warm_up` and :func:`unreadable_paths` run once on every worker
before a batch; a worker that starts later (restarted by its nanny, or one that joins) runs
:func:`warm_up_once` before it takes a song (:mod:`core.batch.cluster_plugin`).  Dask itself
is imported only inside these functions, on the workers.
"""

from __future__ import annotations

import logging
import os
import re
import socket
import threading
import time
import traceback
from collections.abc import Callable

from core.batch.runner import keep_freed_memory
from core.errors import AnalysisCancelled, AudioFileError
from core.io import tempfiles

__all__ = ["PROGRESS_TOPIC", "analyze_task", "warm_up", "warm_up_once", "warmed_up",
           "unreadable_paths", "tasks_held"]

log = logging.getLogger(__name__)

#: Event topic of the workers' progress reports.
PROGRESS_TOPIC = "songcal-progress"
_PROGRESS_INTERVAL_S = 0.2  # at most five progress events per song and second
_CANCEL_POLL_S = 0.5  # how often a running task asks whether the batch was cancelled

_warm_lock = threading.Lock()
_warmed_build: str | None = None  # what warm_up returned in this process, once it has run

def warm_up() -> str:
    """Run once on each worker: import the analyzer and analyze four seconds of noise, so
    the first song does not pay for imports, filter banks and FFT plans, after letting malloc
    keep freed blocks as the desktop process does (:func:`core.batch.runner.keep_freed_memory`).
    Returns the worker's analyzer build (:func:`core.analysis.identity.analyzer_id`)."""
    import numpy as np
    import soundfile as sf

    from core.analysis.analyze import analyze_file
    from core.analysis.identity import analyzer_id

    # A Dask nanny starts its workers with MALLOC_TRIM_THRESHOLD_ set, which turns off
    # glibc's adaptive mmap threshold: every array over 128 KiB would be mapped afresh
    # (measured: 2.6 s against 1.2 s of CPU for a three-minute song).
    keep_freed_memory()
    tempfiles.sweep_system_temp()  # songs a killed worker of this computer left there
    fd, path = tempfiles.make_system_temp(".wav")
    os.close(fd)
    try:
        noise = np.random.default_rng(0).normal(0, 0.1, (4 * 44100, 2))  # CD-like stereo
        sf.write(path, noise, 44100)
        analyze_file(path)
    finally:
        os.unlink(path)
    global _warmed_build
    _warmed_build = analyzer_id()
    return _warmed_build


def warm_up_once() -> str:
    """:func:`warm_up`, unless it has already run in this process; returns the analyzer
    build either way."""
    with _warm_lock:
        return _warmed_build if _warmed_build is not None else warm_up()


def warmed_up() -> str | None:
    """The analyzer build :func:`warm_up` returned in this process, or None before it ran."""
    return _warmed_build


def _worker_name() -> tuple[str, str]:
    """(worker id as ``host:port/N``, host name) of the calling Dask worker thread, ``N``
    the number that ends the thread's name."""
    from distributed import get_worker

    w = get_worker()
    thread = threading.current_thread().name
    m = re.search(r"(\d+)$", thread)
    return (f"{w.address.split('://')[-1]}/{m.group(1) if m else thread}",
            socket.gethostname())


def analyze_task(path: str, settings, job_id: int, attempt: int, cancel_name: str,
                 payload: bytes | None = None, analyze: Callable | None = None,
                 tag: str = "") -> tuple:
    """Run on a Dask worker: analyze one song, report progress, return the outcome.

    Parameters
    ----------
    path : str
        The song (as the client names it).
    settings : AnalysisSettings
    job_id, attempt : int
        Tag of every progress event (stale ones are discarded by the batch).
    cancel_name : str
        Name of a ``distributed.Event`` set when the batch is cancelled.
    payload : bytes, optional
        The file's bytes (files sent by bytes); analyzed from a temporary copy.
    analyze : callable, optional
        ``analyze(path, *, settings, progress, should_cancel)``; default
        :func:`core.analysis.analyze.analyze_file`.
    tag : str
        Sent with every event (``"tag"``): which list of the engine the song is of.

    Returns
    -------
    tuple
        ``(outcome, value, worker)``: ``("done", SongResult, w)``, ``("failed", reason, w)``
        or ``("cancelled", reason, w)``, ``w`` naming the worker thread (``host:port/thread``).
    """
    from distributed import Event, get_worker

    keep_freed_memory()  # (a worker that joined after the warm-up)
    if analyze is None:
        from core.analysis.analyze import analyze_file as analyze
    worker = get_worker()
    name, host = _worker_name()
    # (the scheduler sets "worker" to the worker's address: "thread" names the thread)
    # ("run": every client of the scheduler that listens to the topic hears every event;
    # each connection keeps those of its own tasks, named by its cancel event)
    worker.log_event(PROGRESS_TOPIC, {"kind": "started", "job": job_id, "attempt": attempt,
                                       "tag": tag, "run": cancel_name, "worker": name,
                                       "thread": name, "host": host})
    last = [0.0]
    cancel = Event(cancel_name)
    polled = [0.0, False]

    def progress(chunk: int, n_chunks: int, duration_s: float | None = None) -> None:
        now = time.monotonic()
        if chunk in (0, n_chunks) or now - last[0] >= _PROGRESS_INTERVAL_S:
            last[0] = now
            worker.log_event(PROGRESS_TOPIC, {
                "kind": "progress", "job": job_id, "attempt": attempt, "tag": tag,
                "run": cancel_name, "chunk": chunk,
                "n_chunks": n_chunks, "duration_s": duration_s})

    def should_cancel() -> bool:
        now = time.monotonic()
        if not polled[1] and now - polled[0] >= _CANCEL_POLL_S:
            polled[0] = now
            try:
                polled[1] = cancel.is_set()
            except Exception:  # the scheduler is going away: keep analyzing
                pass
        return polled[1]

    tmp = None
    try:
        source = path
        if payload is not None:
            fd, tmp = tempfiles.make_system_temp(os.path.splitext(path)[1])
            with os.fdopen(fd, "wb") as f:
                f.write(payload)
            source = tmp
        result = analyze(source, settings=settings, progress=progress,
                         should_cancel=should_cancel)
        if tmp is not None:
            _name_from_the_song(result, tmp, path)
        result.path = path
        return ("done", result, name)
    except AnalysisCancelled:
        return ("cancelled", "cancelled", name)
    except AudioFileError as err:
        return ("failed", err.reason, name)
    except MemoryError:
        return ("failed", "ran out of memory while analyzing this file", name)
    except Exception as err:  # an analyzer bug must not stop the batch
        log.error("unexpected error analyzing %s\n%s", path, traceback.format_exc())
        return ("failed", f"internal error: {type(err).__name__}: {err}", name)
    finally:
        if tmp is not None:
            try:
                os.unlink(tmp)
            except OSError:
                pass
        worker.log_event(PROGRESS_TOPIC, {"kind": "ended", "job": job_id,
                                           "attempt": attempt, "tag": tag,
                                           "run": cancel_name, "worker": name,
                                           "thread": name})


def _name_from_the_song(result, copy: str, path: str) -> None:
    """Give ``result``, analyzed from the temporary ``copy`` of ``path``, the title and
    artist that the song's own file name gives where its tags have none, as an analysis of
    ``path`` itself would (the copy's name said ``.songcal-host-123-x1y2z3w4.tmp``)."""
    from core.io.tags import identity_from_name

    copy_title, copy_artist = identity_from_name(copy)
    title, artist = identity_from_name(path)
    if result.title == copy_title:
        result.title = title
    if result.artist == copy_artist:
        result.artist = artist


def unreadable_paths(paths) -> list[str]:
    """Run on each worker: the paths this worker cannot open for reading."""
    return [p for p in paths if not (os.path.isfile(p) and os.access(p, os.R_OK))]


#: Worker task states of a task whose function has begun (or is about to, its thread
#: taken): a task cancelled as it runs is "cancelled" until its thread returns.
_STARTED_STATES = ("executing", "long-running", "cancelled", "resumed")


def tasks_held(keys, dask_worker=None) -> dict[str, str]:
    """Run on each worker: of the task ``keys``, those this worker holds, ``"started"``
    (its thread runs it) or ``"waiting"`` (handed to this worker, not started); a key it
    does not hold is left out."""
    out = {}
    for key in keys:
        ts = dask_worker.state.tasks.get(key)
        if ts is not None:
            out[key] = "started" if ts.state in _STARTED_STATES else "waiting"
    return out
