"""Thread-pool workers: one :class:`SongRunnable` per song and the folder scan.

A ``QRunnable`` is not a ``QObject``, so workers report through a shared signal hub
(:class:`WorkerSignals`) that lives in the GUI thread; signals emitted from a pool thread
reach GUI slots as queued calls.  Workers never touch widgets: the song worker reports to
the Qt-free :class:`core.batch.rules.Batch` (thread-safe) through
:func:`core.batch.runner.run_job`, the same code path as the command line, and emits a
throttled notification for the view.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
import time
import traceback
from dataclasses import dataclass, field

from PySide6.QtCore import QObject, QRunnable, Signal

from core.batch.rules import Batch, Job
from core.batch.runner import AnalyzeFn, run_job

__all__ = [
    "WorkerSignals",
    "WorkerRecord",
    "WorkerSlot",
    "InFlight",
    "SongRunnable",
    "ScanRunnable",
    "PROGRESS_INTERVAL_S",
    "song_identity_or_name",
]

log = logging.getLogger(__name__)

#: Shortest interval (s) between two progress notifications of one song.
PROGRESS_INTERVAL_S = 0.1
#: How much song worker threads are niced (Linux), so the GUI thread wins a busy CPU.
WORKER_NICE = 5


def song_identity_or_name(path: str) -> tuple[str, str]:
    """``(title, artist)`` from tags via :func:`core.io.tags.read_title_artist`, else the file
    name."""
    from core.io.tags import read_title_artist  # mutagen: imported when a scan first needs it

    try:
        title, artist = read_title_artist(path)
    except Exception:  # a tag reader must never stop a scan
        log.debug("no identity for %s", path, exc_info=True)
        return os.path.splitext(os.path.basename(path))[0], ""
    return title or os.path.splitext(os.path.basename(path))[0], artist or ""


class WorkerSignals(QObject):
    """Signals of every pool worker; one instance, owned by the engine in the GUI thread."""

    #: ``(record)`` a song worker took a job.
    started = Signal(object)
    #: ``(record)`` a throttled progress step (chunk numbers are in the record and the job).
    progressed = Signal(object)
    #: ``(record)`` the song worker has returned (result already reported to the batch).
    done = Signal(object)
    #: ``(token, [(path, missing), ...])`` a batch of files found by a scan.
    found = Signal(int, list)
    #: ``(token, {path: (title, artist)})`` identities read from tags by a scan.
    identified = Signal(int, dict)
    #: ``(token, n_found)`` a scan has ended.
    scanned = Signal(int, int)
    #: ``(token)`` a scan has found all its files (their ``found`` batches were sent).
    listed = Signal(int)
    #: ``(token, [(path, reason), ...])`` what a scan left out (sent before ``scanned``).
    skipped = Signal(int, list)
    #: ``(reason)`` the cluster the songs run on cannot run the songs left (its scheduler
    #: or every worker gone): they are to fail with ``reason``.
    clusterGaveUp = Signal(str)
    #: ``(record)`` the cluster worker running the record's song left the cluster: Dask
    #: runs the song again, which waits (queued) for a worker thread meanwhile.
    clusterRequeued = Signal(object)
    #: ``(worker)`` a worker of the cluster (``"host:port"``) runs an older SongCal: its
    #: progress reports are left out (sent once per connection).
    clusterOlderWorker = Signal(str)


@dataclass(eq=False)
class WorkerRecord:
    """What one song worker is doing, updated by the worker thread, read by the GUI.

    Attributes
    ----------
    name : str
        Worker slot, e.g. ``"W2"``.
    job_id, attempt : int
        The job and attempt it runs.  ``job_id`` is the song's place in its list now (it
        moves when songs before it are removed); ``key`` the song's
        :attr:`core.batch.rules.Job.key`, which does not.
    native_id : int
        OS thread id (for per-thread CPU times), 0 until the worker has started.
    started_at : float
        ``time.monotonic()`` when the worker started (s).
    cpu_start_s : float
        ``time.thread_time()`` of the worker thread when it took the job (s).
    thread_cpu_s : float
        ``time.thread_time()`` of the worker thread at its last progress step (s).
    cpu_sampled_at : float
        When ``thread_cpu_s`` was sampled (monotonic, s).
    chunk, n_chunks : int
        Last chunk reported.
    ended_at : float
        ``time.monotonic()`` when the analysis call returned (s), 0 until then.
    returned : bool
        True once the analysis call has returned.
    abandoned : bool
        True when the engine gave up on this worker (its result will be discarded).
    batch : Batch or None
        The batch the job belongs to.  Job ids and attempt numbers start again in every
        list, so a worker given up on that returns after its list was cleared is told
        apart from a song of the list shown then by this, not by its ``job_id``.
    """

    name: str
    job_id: int
    attempt: int
    native_id: int = 0
    started_at: float = 0.0
    cpu_start_s: float = 0.0
    thread_cpu_s: float = 0.0
    cpu_sampled_at: float = 0.0
    chunk: int = 0
    n_chunks: int = 0
    ended_at: float = 0.0
    returned: bool = False
    abandoned: bool = False
    batch: Batch | None = None
    #: The :class:`core.batch.rules.Job` it runs (taken from ``batch`` when not given).
    target: Job | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        if self.target is None and self.batch is not None \
                and 0 <= self._job_id < len(self.batch.jobs):
            self.target = self.batch.jobs[self._job_id]

    @property
    def key(self) -> int:
        """The :attr:`core.batch.rules.Job.key` of its song (its first place without one)."""
        return self.target.key if self.target is not None else self._job_id

    def job(self):
        """The :class:`core.batch.rules.Job` this worker runs (in its own batch), or None
        without a batch or once the song was removed from its list."""
        if self.batch is None or self.target is None or not self.batch.holds(self.target):
            return None
        return self.target


def _job_id(rec: WorkerRecord) -> int:
    return rec.target.id if rec.target is not None else rec._job_id


def _set_job_id(rec: WorkerRecord, value: int) -> None:
    rec._job_id = value


# The place is read from the song itself: it moves when songs before it leave the list.
WorkerRecord.job_id = property(_job_id, _set_job_id)  # type: ignore[assignment]


_THREAD_STATE = threading.local()


def _lower_priority(native_id: int) -> None:
    """Lower the OS priority of the calling pool thread by :data:`WORKER_NICE`, once.

    Linux only, where a thread has its own nice value (``native_id`` is the thread's id);
    elsewhere, or when not allowed, nothing changes.
    """
    if getattr(_THREAD_STATE, "lowered", False) or not sys.platform.startswith("linux"):
        return
    _THREAD_STATE.lowered = True
    try:
        os.setpriority(os.PRIO_PROCESS, native_id,
                       min(19, os.getpriority(os.PRIO_PROCESS, native_id) + WORKER_NICE))
    except OSError:
        pass


def _safe_emit(signal, *args) -> None:
    try:
        signal.emit(*args)
    except RuntimeError:  # the hub was deleted while the app quit: nobody is listening
        pass


class WorkerSlot:
    """One of the engine's worker slots (``W1``, ``W2``...), shared with its runnable.

    ``record`` is the job the slot's worker runs now and ``runner`` the runnable that owns
    the slot; both change only under ``lock`` (shared by every slot of a
    :class:`gui.worker_slots.WorkerSlots`), from either thread.
    """

    def __init__(self, name: str, lock: threading.Lock, tracker: InFlight):
        self.name = name
        self.lock = lock
        self.tracker = tracker
        self.record: WorkerRecord | None = None
        self.runner: SongRunnable | None = None


class InFlight:
    """Songs claimed by workers whose end the GUI thread has not processed yet.

    Changed only under the slots' lock: +1 when a worker claims a song, -1 when the engine
    processes its end (or abandons it).  The engine reports a batch finished only at zero,
    so every song's end has reached the views first.
    """

    def __init__(self):
        self.count = 0


class SongRunnable(QRunnable):
    """Analyze one song of a batch in a pool thread, chunk by chunk, for one slot.

    When its song ends, the runnable claims the next queued song for its slot itself and
    starts a new runnable for it on the same pool (no round trip through the GUI thread, so
    a busy window never leaves the pool idle), unless the batch is paused or cancelled or
    the engine abandoned it (timed out or skipped while it ran).

    A song queued for a fresh analysis (:attr:`core.batch.rules.Job.force`) runs ``fresh``
    instead of ``analyze``; the worker reads the flag from its own job, which does not
    change while the job runs.

    Parameters
    ----------
    batch : Batch
        The batch (thread-safe).
    slot : WorkerSlot
        The slot it works for.
    record : WorkerRecord
        Its job, already claimed and set as ``slot.record``.
    analyze : AnalyzeFn
        The analysis (it may serve unchanged files from the session store).
    signals : WorkerSignals
        The engine's signal hub.
    pool : QThreadPool
        Where the next song's runnable is started.
    fresh : AnalyzeFn, optional
        The analysis of a song queued with ``force`` (default: ``analyze``).
    """

    def __init__(self, batch: Batch, slot: WorkerSlot, record: WorkerRecord,
                 analyze: AnalyzeFn, signals: WorkerSignals, pool, *,
                 fresh: AnalyzeFn | None = None):
        super().__init__()
        self.batch = batch
        self.slot = slot
        self.record = record
        self.analyze = analyze
        self.fresh = fresh or analyze
        self.signals = signals
        self.pool = pool

    def run(self) -> None:  # noqa: D102 - runs in a pool thread
        self._run_one(self.record)
        nxt = self._next()
        if nxt is not None:
            self.pool.start(nxt)

    def _next(self) -> SongRunnable | None:
        slot = self.slot
        with slot.lock:
            if self.record.abandoned or slot.runner is not self:
                return None  # the engine gave the slot to another worker
            claimed = self.batch.claim(slot.name)
            if claimed is None:
                slot.record = None
                slot.runner = None
                return None
            job, attempt = claimed
            slot.tracker.count += 1
            rec = WorkerRecord(name=slot.name, job_id=job.id, attempt=attempt,
                               batch=self.batch, target=job)
            nxt = SongRunnable(self.batch, slot, rec, self.analyze, self.signals, self.pool,
                               fresh=self.fresh)
            slot.record, slot.runner = rec, nxt
            return nxt

    def _run_one(self, rec: WorkerRecord) -> None:
        rec.native_id = threading.get_native_id()
        _lower_priority(rec.native_id)
        rec.started_at = rec.cpu_sampled_at = time.monotonic()
        rec.thread_cpu_s = rec.cpu_start_s = time.thread_time()
        last_emit = 0.0
        job = rec.target
        analyze = self.fresh if job.force else self.analyze

        def tracked(path, *, settings, progress=None, should_cancel=None):
            # ``analyze`` (an AnalyzeFn) with the worker's record and view updates added
            def on_chunk(chunk, n_chunks, duration_s=None):
                nonlocal last_emit
                if progress is not None:
                    progress(chunk, n_chunks, duration_s)
                now = time.monotonic()
                rec.chunk, rec.n_chunks = chunk, n_chunks
                rec.thread_cpu_s, rec.cpu_sampled_at = time.thread_time(), now
                if now - last_emit >= PROGRESS_INTERVAL_S or chunk >= n_chunks:
                    last_emit = now
                    _safe_emit(self.signals.progressed, rec)

            return analyze(path, settings=settings, progress=on_chunk,
                           should_cancel=should_cancel)

        _safe_emit(self.signals.started, rec)
        try:
            run_job(self.batch, job, rec.attempt, tracked)
        except BaseException:  # run_job catches Exception; keep the pool alive regardless
            log.error("worker %s crashed\n%s", rec.name, traceback.format_exc())
        finally:
            rec.ended_at = time.monotonic()
            rec.thread_cpu_s, rec.cpu_sampled_at = time.thread_time(), rec.ended_at
            rec.returned = True
            _safe_emit(self.signals.done, rec)


class ScanRunnable(QRunnable):
    """Find audio files under dropped paths off the GUI thread, then read their tags.

    Files are emitted in batches (at least every ``interval_s``) so rows appear while the
    scan goes on; identities from tags follow in a second pass, also in batches.

    Parameters
    ----------
    paths : list of str
        Files and folders.
    token : int
        Echoed in every signal so the receiver can ignore an outdated scan.
    signals : WorkerSignals
        The engine's signal hub.
    read_tags : bool
        Whether to read titles and artists from tags after the scan.
    rows_added : threading.Event, optional
        When given, the tag pass waits until it is set (the receiver sets it once every
        found file has its row), so reading tags (Python code, holding the GIL) does not
        compete with the GUI thread while it adds thousands of rows.
    """

    def __init__(self, paths, token: int, signals: WorkerSignals, *, read_tags: bool = True,
                 batch_size: int = 500, interval_s: float = 0.1,
                 rows_added: threading.Event | None = None):
        super().__init__()
        self.paths = [os.fspath(p) for p in paths]
        self.token = token
        self.signals = signals
        self.read_tags = read_tags
        self.batch_size = batch_size
        self.interval_s = interval_s
        self.cancel_event = threading.Event()
        self.rows_added = rows_added

    def run(self) -> None:  # noqa: D102 - runs in a pool thread
        from core.batch.scan import iter_audio_files

        found: list[str] = []
        pending: list[tuple[str, bool]] = []
        skipped: list[tuple[str, str]] = []
        last = time.monotonic()
        try:
            for path in iter_audio_files(self.paths, should_cancel=self.cancel_event.is_set,
                                         on_skip=lambda p, why: skipped.append((p, why))):
                pending.append((path, not os.path.lexists(path)))
                found.append(path)
                now = time.monotonic()
                if len(pending) >= self.batch_size or now - last >= self.interval_s:
                    _safe_emit(self.signals.found, self.token, pending)
                    pending, last = [], now
            if pending:
                _safe_emit(self.signals.found, self.token, pending)
            _safe_emit(self.signals.listed, self.token)
            if skipped:
                _safe_emit(self.signals.skipped, self.token, skipped)
            if self.read_tags and self._wait_for_rows():
                self._identify(found)
        except Exception:
            log.error("scan of %s failed\n%s", self.paths, traceback.format_exc())
        finally:
            _safe_emit(self.signals.scanned, self.token, len(found))

    def _wait_for_rows(self) -> bool:
        """Wait until the rows are added (if asked to); False when cancelled meanwhile."""
        while self.rows_added is not None and not self.rows_added.wait(0.05):
            if self.cancel_event.is_set():
                return False
        return not self.cancel_event.is_set()

    def _identify(self, found: list[str]) -> None:
        out: dict[str, tuple[str, str]] = {}
        last = time.monotonic()
        for i, path in enumerate(found):
            if self.cancel_event.is_set():
                return
            if i % 16 == 15:
                time.sleep(0.001)  # tag reading is Python code: leave the GIL to the GUI
            if not os.path.isfile(path):
                continue
            out[path] = song_identity_or_name(path)
            now = time.monotonic()
            if len(out) >= self.batch_size or now - last >= 0.3:
                _safe_emit(self.signals.identified, self.token, out)
                out, last = {}, now
        if out:
            _safe_emit(self.signals.identified, self.token, out)
