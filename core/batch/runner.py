"""A plain thread pool that runs a :class:`core.batch.rules.Batch` without Qt.

One thread per worker; each takes a song, analyzes it chunk by chunk in its own thread and
reports to the batch.  A watchdog in the calling thread applies the stall and timeout rules;
a worker whose song timed out is abandoned (a Python thread cannot be killed) and a fresh
thread takes its place, so the batch always finishes, whatever a decoder does.

Stopping: :meth:`BatchRunner.request_stop` (safe to call from a signal handler: it only
sets a flag) or a ``KeyboardInterrupt`` cancels the batch at the next watchdog tick;
running songs stop at their next chunk or are abandoned after ``cancel_grace_s``, so the
run returns within about ``tick_s + cancel_grace_s`` seconds with every finished result.
"""

from __future__ import annotations

import functools
import logging
import sys
import threading
import time
import traceback
from collections.abc import Callable
from typing import Protocol

from core.batch.rules import TERMINAL_STATES, Batch, Job, SongState
from core.errors import AnalysisCancelled, AudioFileError
from core.io.results import SongResult
from core.settings import AnalysisSettings

__all__ = ["AnalyzeFn", "ProgressFn", "BatchRunner", "SWITCH_INTERVAL_S", "run_job",
           "shorten_switch_interval", "keep_freed_memory"]

log = logging.getLogger(__name__)

#: Worker threads per pool slot that may stop on an unexpected error before the run ends
#: every song left (a bug in the rules must not respawn threads for ever).
_MAX_CRASHES = 3

#: Longest time (s) a Python thread keeps the GIL while another thread waits for it (the
#: interpreter's default is 5 ms).  A song worker spends most of its time in decoders,
#: filters and FFTs that release the GIL; between them it runs short stretches of Python.
#: When two workers need the GIL at once, one of them waits, and with the default it may
#: wait up to 5 ms each time.  The window runs its workers with this value (it keeps the
#: window's own thread responsive), and so does every run of :class:`BatchRunner`, so the
#: command line and the speed benchmark measure what the window does.  On eight
#: three-minute songs on two workers (``python -m benchmarks.speed``) the workers' time off
#: the CPU fell from 4.6 % to 3.5 % of the songs' time (means of four runs); the wall-clock
#: time did not change beyond this machine's noise.
SWITCH_INTERVAL_S = 0.00005


def shorten_switch_interval() -> None:
    """Lower the process's thread switch interval to :data:`SWITCH_INTERVAL_S` (never raise it).

    A process-wide setting: :meth:`BatchRunner.run` and the window's start-up call it, once
    threads are about to analyze songs side by side.
    """
    sys.setswitchinterval(min(sys.getswitchinterval(), SWITCH_INTERVAL_S))


#: glibc's malloc keeps freed blocks up to this size (bytes) in the process instead of giving
#: them back to the system at once (its default starts at 128 KB and moves with what is
#: freed).  A song's analysis allocates and frees arrays of a few MB again and again (a
#: 30-s block of samples, its spectra); each one handed back is mapped afresh by the next,
#: its pages faulted in and zeroed one by one, and two workers fault in the one address space
#: under the kernel's lock.  Measured on three-minute FLAC songs, one worker: 3,200 page
#: faults per song with the default, none with these values, and about 3 % less CPU.
KEEP_BLOCKS_BYTES = 32 * 1024 * 1024
#: Free memory at the top of a heap beyond this (bytes) is given back to the system, so a
#: batch keeps at most this much memory it no longer uses per worker's heap.
RETURN_ABOVE_BYTES = 128 * 1024 * 1024
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3


@functools.cache
def keep_freed_memory() -> bool:
    """Let glibc's malloc keep freed blocks for reuse (:data:`KEEP_BLOCKS_BYTES`,
    :data:`RETURN_ABOVE_BYTES`); a process-wide setting, made once, where glibc is the C
    library (elsewhere nothing changes).  Returns whether it was made."""
    import platform

    if not sys.platform.startswith("linux") or platform.libc_ver()[0] != "glibc":
        return False
    import ctypes

    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
    return bool(mallopt(_M_MMAP_THRESHOLD, KEEP_BLOCKS_BYTES)
                and mallopt(_M_TRIM_THRESHOLD, RETURN_ABOVE_BYTES))


class ProgressFn(Protocol):
    """Told after each chunk of a song: ``progress(chunk, n_chunks, duration_s)``.

    ``chunk`` of ``n_chunks`` chunks are done; ``duration_s`` is the song's length (s) once
    known, else None.
    """

    def __call__(self, chunk: int, n_chunks: int, duration_s: float | None = None, /) -> None:
        ...


class AnalyzeFn(Protocol):
    """The analysis a batch runs on each song, e.g. :func:`core.analysis.analyze.analyze_file`.

    ``analyze(path, *, settings, progress=None, should_cancel=None) -> SongResult``: analyze
    the file at ``path`` with ``settings``, call ``progress`` after each chunk, stop with
    :class:`core.errors.AnalysisCancelled` when ``should_cancel()`` turns true between two
    chunks, and raise :class:`core.errors.AudioFileError` for a file that cannot be read.
    The command line's runner, the window's workers and the session store's cache wrapper
    (:func:`core.batch.store.cached`) all take and give this shape.
    """

    def __call__(self, path: str, *, settings: AnalysisSettings,
                 progress: ProgressFn | None = None,
                 should_cancel: Callable[[], bool] | None = None) -> SongResult:
        ...


def run_job(batch: Batch, job: Job, attempt: int, analyze: AnalyzeFn) -> None:
    """Analyze one claimed job in the calling thread and report the outcome to ``batch``.

    Every exception is turned into a failed (or cancelled) song; nothing escapes.

    Parameters
    ----------
    batch : Batch
        The batch that handed out the job.
    job : Job
        The job, claimed with :meth:`Batch.claim`.
    attempt : int
        The attempt number :meth:`Batch.claim` returned; every report carries it.
    analyze : AnalyzeFn
        The analysis to run.
    """

    def progress(chunk: int, n_chunks: int, duration_s: float | None = None) -> None:
        batch.progress(job, attempt, chunk, n_chunks, duration_s)

    try:
        result = analyze(job.path, settings=batch.settings, progress=progress,
                         should_cancel=functools.partial(job.should_cancel, attempt))
    except AnalysisCancelled:
        batch.fail(job, attempt, "cancelled", cancelled=True)
    except AudioFileError as err:
        batch.fail(job, attempt, err.reason)
    except MemoryError:
        batch.fail(job, attempt, "ran out of memory while analyzing this file")
    except Exception as err:  # an analyzer bug must not stop the batch
        # One line where people look; the traceback for the log file (INFO).
        log.error("unexpected error analyzing %s: %s: %s", job.path, type(err).__name__, err)
        log.info("traceback of the error analyzing %s\n%s", job.path, traceback.format_exc())
        batch.fail(job, attempt, f"internal error: {type(err).__name__}: {err}")
    else:
        if isinstance(result, SongResult):
            batch.finish(job, attempt, result)
        else:
            log.error("the analyzer returned %r for %s", result, job.path)
            batch.fail(job, attempt, "internal error: the analyzer returned "
                                        f"{type(result).__name__}, not a result")


class BatchRunner:
    """Run every queued song of ``batch`` on ``workers`` threads and wait for the end.

    Parameters
    ----------
    batch : Batch
        The songs and rules.
    analyze : AnalyzeFn
        The analysis of one song.
    workers : int, optional
        Worker threads (default: ``batch.settings.workers``).
    on_change : callable, optional
        Called in the watchdog thread as ``on_change(batch, changed_jobs)`` at each tick and
        when a song ends, with the jobs whose state changed since the last call.
    tick_s : float
        Watchdog period (s); a song's end wakes the watchdog at once.
    cancel_grace_s : float
        How long running songs may take to stop after a cancel before they are abandoned (s).
    """

    def __init__(self, batch: Batch, *, analyze: AnalyzeFn, workers: int | None = None,
                 on_change: Callable | None = None, tick_s: float = 0.2,
                 cancel_grace_s: float = 1.0):
        self.batch = batch
        self.analyze = analyze
        self.workers = int(workers or batch.settings.workers)
        if self.workers < 1:
            raise ValueError(f"workers must be >= 1, got {workers!r}")
        self.on_change = on_change
        self.tick_s = tick_s
        self.cancel_grace_s = cancel_grace_s
        #: The signal number (or -1 for a plain request) that stopped the run, or None.
        self.stopped_by: int | None = None
        self._stop_request: int | None = None
        self._threads: list[threading.Thread] = []
        self._abandoned: set[str] = set()
        self._serial = 0
        self._crashes: list[str] = []  # why worker threads stopped on an exception
        self._lock = threading.Lock()
        # Set by a worker when a song ends or the worker stops: the watchdog looks at once
        # instead of at its next tick (0.2 s by default), so the run returns as soon as the
        # last song ends and a worker that stopped on a bug is replaced at once.
        self._wake = threading.Event()

    def _spawn(self) -> None:
        with self._lock:
            self._serial += 1
            name = f"worker-{self._serial}"
        t = threading.Thread(target=self._work, args=(name,), name=f"songcal-{name}", daemon=True)
        self._threads.append(t)
        t.start()

    def _work(self, name: str) -> None:
        try:
            while True:
                with self._lock:
                    if name in self._abandoned:
                        return
                claimed = self.batch.claim(name)
                if claimed is None:
                    return
                job, attempt = claimed
                run_job(self.batch, job, attempt, self.analyze)
                self._wake.set()
        except Exception as err:  # a bug in the batch rules: say so, never spin or hang
            log.error("worker %s stopped: %s: %s", name, type(err).__name__, err)
            log.info("traceback of worker %s\n%s", name, traceback.format_exc())
            with self._lock:
                self._crashes.append(f"{type(err).__name__}: {err}")
        finally:
            self._wake.set()

    def request_stop(self, signum: int = -1) -> None:
        """Ask the run to cancel the batch at its next tick (signal-handler safe)."""
        if self._stop_request is None:
            self._stop_request = signum

    def _live_workers(self) -> int:
        return sum(1 for t in self._threads
                   if t.is_alive() and t.name.removeprefix("songcal-") not in self._abandoned)

    def run(self) -> Batch:
        """Start the workers, watch them, return when every song has ended.

        A ``KeyboardInterrupt`` cancels the batch: running songs stop at their next chunk
        (or are abandoned after ``cancel_grace_s``) and the batch ends with what it has;
        the interrupt is raised again at the end.  :meth:`request_stop` does the same and
        the run returns normally with :attr:`stopped_by` set.

        Lowers the process's thread switch interval first (:func:`shorten_switch_interval`):
        the workers and the watchdog share the GIL; and lets malloc keep freed blocks for
        the next song (:func:`keep_freed_memory`).
        """
        shorten_switch_interval()
        keep_freed_memory()
        seen_states = {j.id: (j.state, j.attempt) for j in self.batch.jobs}
        for _ in range(self.workers):
            self._spawn()
        interrupted = False
        cancel_deadline = None
        try:
            while True:
                try:
                    self._wake.clear()  # before looking: a song ending from here on wakes the wait
                    changed = self.batch.check()
                    for job in changed:
                        if job.state is SongState.TIMED_OUT:
                            log.warning("%s timed out on %s; its worker is abandoned",
                                        job.path, job.worker)
                            with self._lock:
                                self._abandoned.add(job.worker)
                    # Keep the pool at full strength while songs are queued.
                    queued = self.batch.counts()[SongState.QUEUED] > 0
                    if queued and len(self._crashes) > _MAX_CRASHES * self.workers:
                        self._give_up(self._crashes[-1])
                        queued = False
                    if queued and not (self.batch.cancelled or self.batch.paused):
                        for _ in range(self.workers - self._live_workers()):
                            self._spawn()  # (at most a pool's worth per tick)
                    if self._stop_request is not None and self.stopped_by is None:
                        self.stopped_by = self._stop_request
                        self.batch.cancel()
                        cancel_deadline = time.monotonic() + self.cancel_grace_s
                    if self.on_change is not None:
                        now_states = {j.id: (j.state, j.attempt) for j in self.batch.jobs}
                        diff = [self.batch.jobs[i] for i, st in now_states.items()
                                if seen_states.get(i) != st]
                        seen_states = now_states
                        try:
                            self.on_change(self.batch, diff)
                        except Exception as err:  # a display problem must not stop the batch
                            log.error("progress display failed: %s: %s",
                                      type(err).__name__, err)
                            log.info("traceback\n%s", traceback.format_exc())
                    if self.batch.is_finished:
                        break
                    if cancel_deadline is not None and time.monotonic() > cancel_deadline:
                        self._abandon_running("cancelled")
                    self._wake.wait(self.tick_s)
                except KeyboardInterrupt:
                    if interrupted:
                        self._abandon_running("cancelled")
                    interrupted = True
                    self.batch.cancel()
                    cancel_deadline = time.monotonic() + self.cancel_grace_s
        finally:
            for t in self._threads:
                if t.name.removeprefix("songcal-") not in self._abandoned:
                    t.join(timeout=2.0)
        if interrupted:
            raise KeyboardInterrupt
        return self.batch

    def _give_up(self, why: str) -> None:
        """Workers keep stopping on an error: end every song not ended, so the batch ends."""
        log.error("worker threads keep stopping (%s): ending the batch", why)
        for job in self.batch.jobs:
            if job.state not in TERMINAL_STATES:
                with self._lock:
                    self._abandoned.add(job.worker)
                self.batch.abandon(job.id, f"internal error: the workers stopped ({why})")

    def _abandon_running(self, reason: str) -> None:
        for job in self.batch.jobs:
            if job.state in (SongState.RUNNING, SongState.STALLED):
                with self._lock:
                    self._abandoned.add(job.worker)
                self.batch.abandon(job.id, reason)
