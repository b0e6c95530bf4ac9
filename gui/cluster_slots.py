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
really runs it when that worker starts it; its time limit counts from that start
(:meth:`core.batch.rules.Batch.started`), not from its submission.

The slots follow the cluster's workers while a batch runs: every few seconds, and at once
when the scheduler reports a worker added or removed or a song starts on a worker not seen
yet, the workers are read again on the cluster thread, and the GUI thread turns them into
slots (:meth:`ClusterSlots.reap`).  A worker that
joins gets slots and songs; a worker that leaves loses its slots, so no song is handed over
for a thread that is gone (:func:`core.batch.cluster.free_threads`, the command line's
rule).  A song not started yet moves to a free slot, and so does one whose worker was lost:
once the scheduler reports that worker removed (in the Dask client's thread, as it happens:
nothing waits for the next look), Dask runs the song again and it waits for a worker thread
as a song not started does (queued, no clock: :meth:`ClusterSlots._lost`);
without a free slot it keeps its own, marked ``left``, until Dask runs it again or it ends.
A worker restarted by its nanny comes back at a new address: new slots.  The timeline keeps
every segment already run, under the name of the slot it ran on.

Songs already in the session store are never submitted: the store is read and filled here,
in the window's process (:func:`core.batch.cluster.store_hooks`), as the command line does.
A song given up on (timed out, skipped) keeps its worker thread busy on the cluster until
its task really ends (Dask cannot stop a thread), so it keeps counting against the free
slots meanwhile; so does one let go before its start that Dask starts all the same (its
cancel reached the worker too late), from that start.  A song whose task ended but whose
outcome never came is failed by the batch (:meth:`core.batch.rules.Batch.check`) and its
slot let go at once: it holds no thread.

Every few seconds, on the cluster thread, the slots look at the cluster's workers and apply
the command line's rule (:class:`core.batch.cluster.WorkerWatch`): a worker of the window's
own LocalCluster whose threads are all held by songs given up on is restarted after the
wait; the connection lost for good, or no worker thread for the wait, and the songs left
fail in their rows with the reason (``clusterGaveUp``, handled in the GUI thread by
:meth:`ClusterSlots.give_up`).
"""

from __future__ import annotations

import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from core.batch.cluster import (
    ClusterConnection,
    ClusterError,
    WorkerWatch,
    free_threads,
    store_hooks,
)
from core.batch.rules import ACTIVE_STATES, Batch, Job, SongState, seconds_text
from core.batch.runner import AnalyzeFn
from gui.worker_slots import WorkerSlots
from gui.workers import WorkerRecord, WorkerSignals, WorkerSlot

__all__ = ["ClusterSlots"]

log = logging.getLogger(__name__)

#: How often (s) the cluster's workers are looked at again (and the wait for one applied).
_REFRESH_S = 3.0

#: How long (s) a song let go before its start is listened for: Dask starts one whose
#: cancel reached its worker too late at once, and reports that start within a second.
_UNSTARTED_S = 30.0

#: How long (s) after a song was let go before its start its task is looked for on the
#: workers (and again while a worker holds it not started): the scheduler hands a task to
#: a worker, and takes it back when it is cancelled, within milliseconds, so a task no
#: worker holds by then never starts.
_HANDED_S = 1.0


def _host_port(address: str) -> str:
    return address.split("://", 1)[-1]


def _tag(batch: Batch) -> str:
    """The tag of ``batch``'s tasks and their events (its songs' records keep it alive, so
    no other batch has it while one of its tasks is known)."""
    return f"b{id(batch):x}"


def _key(rec: WorkerRecord) -> tuple:
    # The song's key, not its place: places move when songs are removed from the list,
    # and the task's name and events keep what it was submitted with.
    return _tag(rec.batch), rec.key, rec.attempt


def _song(rec: WorkerRecord):
    """What the batch is told a report is about: the song itself (its place may move
    while its task runs), else its place."""
    return rec.target if rec.target is not None else rec.job_id


class _ClusterSlot(WorkerSlot):
    """The slot of one thread of one Dask worker (``address``); ``left`` once that worker
    has left the cluster while the slot still holds a song."""

    def __init__(self, name: str, address: str, lock, tracker):
        super().__init__(name, lock, tracker)
        self.address = address
        self.left = False


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
    workers : list of (str, int)
        The cluster's workers as :meth:`ClusterConnection.worker_threads` read them (off
        the GUI thread: asking the scheduler takes its time).
    names : dict of str to str
        The names workers were started with (:meth:`ClusterConnection.worker_names`), by
        address, read with ``workers``.
    """

    def __init__(self, connection: ClusterConnection, signals: WorkerSignals, *, store=None,
                 workers=(), names=None):
        super().__init__(pool=None, signals=signals)
        self.connection = connection
        connection.on_event = self._on_event
        self.store = store
        self._hooks: dict[bool, tuple] = {}  # fresh -> (lookup, on_result)
        # By _key(record): (list tag, job key, attempt).  Job ids and attempts start again in
        # every list, and a task given up on may outlive its list: its events and its end
        # must not reach a song of the list shown then.
        self._records: dict[tuple, WorkerRecord] = {}
        self._futures: dict[tuple, object] = {}
        self._batch: Batch | None = None
        # Every call into the Dask client (submit, cancel, the store's reads) happens on
        # this one thread, never on the GUI thread: a remote scheduler answers in its time.
        self._io = ThreadPoolExecutor(max_workers=1, thread_name_prefix="songcal-cluster")
        # The workers last read (set on the cluster thread), and those the slots stand for.
        self._workers: list[tuple[str, int]] = list(workers)
        self._names = self._by_host_port(names or {})
        self._applied: list[tuple[str, int]] | None = None
        self._reading = False
        self._left = False  # set by leave(): nothing more is reported
        self._refreshed = time.monotonic()
        self._refreshing = False
        # (let-go time, _key) of the songs let go before their start, oldest first
        self._unstarted: list[tuple[float, tuple]] = []
        self._checking = False  # a look for those tasks on the workers is on its way
        # (used on the cluster thread only)
        self._watch = WorkerWatch(connection)

    # -- reading ----------------------------------------------------------------------------
    @staticmethod
    def _by_host_port(names: dict) -> dict[str, str]:
        return {_host_port(a): n for a, n in names.items()}

    def label(self, name: str) -> tuple[str, str]:
        """``(shown, tip)`` for the slot (or a song's worker) named ``name``
        (``host:port #N``): ``"NAME #N"`` when the worker was started with a name
        (``dask worker --name NAME``), else ``name``; the tip names the worker's address."""
        where, sep, thread = name.rpartition(" #")
        if not sep:
            return name, ""
        given = self._names.get(where)
        tip = f"Dask worker {where}, thread {thread}"
        return (f"{given} #{thread}" if given else name), tip

    @property
    def threads_needed(self) -> int:
        """Songs run on the cluster: no thread of the window's pool is needed."""
        return 0

    # -- changing ---------------------------------------------------------------------------
    def resize(self, n: int = 0) -> bool:
        """One slot per thread of every worker of the cluster (``n`` is not used: the
        cluster decides); refused (False) while a slot runs a song (the slots follow the
        workers by themselves then)."""
        if any(s.record is not None for s in self.slots):
            return False
        self._follow()
        return True

    def _follow(self) -> None:
        """In the GUI thread: make the slots those of the workers last read.

        A worker's slots are kept as long as it is there (with their songs); a worker that
        joined gets new ones.  A song on a slot of a worker that left moves to a free slot
        when it has not started, or to one of the worker that runs it now when Dask runs it
        again elsewhere; else its slot stays, marked ``left``, until the song moves or ends.
        A song that started on a worker whose slots were not there yet moves to one of them.
        """
        workers = self._workers
        present = {_host_port(a) for a, _ in workers}
        running_on = {task: where for task, where in self.connection.running_on().items()
                      if where in present}
        moved = []
        with self._lock:
            old = {s.name: s for s in self.slots}
            slots = []
            for address, threads in workers:
                for i in range(threads):
                    name = f"{_host_port(address)} #{i + 1}"
                    slot = old.pop(name, None)
                    if slot is None:
                        slot = _ClusterSlot(name, address, self._lock, self._in_flight)
                    slot.address, slot.left = address, False
                    slots.append(slot)
            for slot in old.values():  # the slots of workers that left
                rec = slot.record
                if rec is None:
                    continue
                where = running_on.get(_key(rec)) if rec.started_at else None
                target = None
                if where is not None or not rec.started_at:
                    target = next((s for s in slots if s.record is None and (
                        where is None or _host_port(s.address) == where)), None)
                if target is None:
                    slot.left = True
                    slots.append(slot)
                    continue
                target.record, slot.record = rec, None
                rec.name = target.name
                moved.append(rec)
            # A song that started on a worker without slots then (one that joined since,
            # often in place of one that died) moves to a slot of that worker: a free one,
            # or one whose song has not started (that song takes its place).
            for slot in list(slots):
                rec = slot.record
                where = running_on.get(_key(rec)) if rec is not None and rec.started_at \
                    else None
                if where is None or where == _host_port(slot.address):
                    continue
                target = next((s for s in slots if not s.left
                               and _host_port(s.address) == where
                               and (s.record is None or not (slot.left or s.record.started_at))),
                              None)
                if target is None:
                    continue
                other = target.record
                target.record, slot.record = rec, other
                rec.name = target.name
                moved.append(rec)
                if other is not None:
                    other.name = slot.name
                    moved.append(other)
            self.slots = [s for s in slots if not (s.left and s.record is None)]
            self._applied = workers
        for rec in moved:
            self._renamed(rec)

    def _renamed(self, rec: WorkerRecord) -> None:
        """``rec`` moved to another slot (GUI thread): its song's row and its running
        segment of the timeline name that slot."""
        if self._batch is not None:
            self._batch.relabel(_song(rec), rec.attempt, rec.name)
        seg = self._open.get((rec.key, rec.attempt))
        if seg is not None:
            seg.worker = rec.name

    def on_lost(self, rec: WorkerRecord, epoch: float) -> bool:
        """In the GUI thread: the worker running ``rec``'s song left the cluster and the song
        waits to run again (:meth:`_lost`): the segment of the lost run ends now, marked
        failed.  False when there was none (given up on, or already ended)."""
        if rec.abandoned:
            return False
        seg = self._open.pop((rec.key, rec.attempt), None)
        if seg is None:
            return False
        seg.end = max(seg.start, time.monotonic() - epoch)
        seg.state = SongState.FAILED.value
        return True

    def on_started(self, rec: WorkerRecord, epoch: float) -> bool:
        """As :meth:`WorkerSlots.on_started`; a song Dask runs again (its worker was lost)
        ends its earlier segment where the new one starts, if its loss was not seen
        before.  A song let go before its start that Dask starts all the same (skipped or
        cancelled as its task was handed to a worker thread) holds that thread for its run:
        it counts in :attr:`abandoned` until its task ends."""
        if rec.abandoned and not rec.returned and rec not in self.abandoned:
            self.abandoned.append(rec)
            return False
        seg = None if rec.abandoned else self._open.pop((rec.key, rec.attempt), None)
        if seg is not None:
            seg.end = max(seg.start, rec.started_at - epoch)
            seg.state = SongState.FAILED.value
        return super().on_started(rec, epoch)

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
        free = free_threads(self._applied or (), self.in_flight, len(self.abandoned))
        while free > 0:
            with self._lock:
                slot = next((s for s in self.slots if s.record is None and not s.left), None)
                if slot is None:
                    break
                claimed = batch.claim(slot.name, starts_later=True)
                if claimed is None:
                    break
                job, attempt = claimed
                self._in_flight.count += 1
                rec = WorkerRecord(name=slot.name, job_id=job.id, attempt=attempt,
                                   batch=batch, target=job)
                slot.record = rec
                self._records[_key(rec)] = rec
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
        if rec.abandoned or rec.returned:  # skipped, cancelled or failed before it was
            return                          # handed over
        lookup, on_result = self._store_hooks(batch, job.force)
        hit = None
        if lookup is not None:
            try:
                hit = lookup(job.path)
            except Exception:  # the store must never cost a song
                log.warning("session store lookup failed for %s", job.path, exc_info=True)
        if hit is not None:
            batch.finish(_song(rec), rec.attempt, hit)
            self._finish_record(rec)
            return
        try:
            future = self.connection.submit(
                job, rec.attempt, batch.settings, tag=_tag(batch),
                on_done=lambda f: self._on_future(batch, rec, f, on_result))
        except Exception as err:  # unreadable file to send, or the cluster went away
            batch.fail(_song(rec), rec.attempt, self.connection.lost()
                       or getattr(err, "strerror", None) or f"cluster error: {err}")
            self._finish_record(rec)
            return
        self._futures[_key(rec)] = future
        # Let go while it was being handed over (its store lookup or its submission can
        # take seconds): the GUI thread found no future to cancel then.
        if rec.abandoned and self._futures.pop(_key(rec), None) is future:
            future.cancel()

    def _finish_record(self, rec: WorkerRecord) -> None:
        """The song's end, once (signals from a thread that is not the GUI's are queued)."""
        with self._lock:
            if rec.returned:  # (given up on by the window, then its task ended)
                return
            rec.returned = True
        now = time.monotonic()
        if not rec.started_at:  # ended before its start was reported: show both
            rec.started_at = now
            self._emit(self.signals.started, rec)
        # (its task's end on the worker when reported: settling may have come much later)
        rec.ended_at = rec.ended_at or now
        with self._lock:
            for slot in self.slots:
                if slot.record is rec:
                    slot.record = None
        self._records.pop(_key(rec), None)
        self._futures.pop(_key(rec), None)
        self._emit(self.signals.done, rec)

    def _emit(self, signal, rec) -> None:
        if self._left:  # (the engine runs elsewhere now)
            return
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
        # Its result is fetched off this thread, which runs every future's callback, and
        # waited for up to RESULT_FETCH_S from now, beside the other songs' fetches: a
        # worker that stalls as it sends a result holds no other.  The song is settled
        # (and its result saved) on the thread that fetched it.
        try:
            fetched = self.connection.fetch(future)
        except Exception:  # (no thread to be had: the process is going down)
            log.exception("could not fetch the result of job %d", rec.job_id)
            self._settle(batch, rec, future, on_result, None)
            return
        fetched.add_done_callback(lambda f: self._settle(batch, rec, future, on_result, f))

    def _settle(self, batch: Batch, rec: WorkerRecord, future, on_result, fetched) -> None:
        """On the thread that fetched its result: settle the song, save its result and free
        its slot.  Whatever goes wrong fails that song alone (its row says why)."""
        try:
            if rec.abandoned:  # (given up on while its result was fetched: its task ended)
                pass
            elif fetched is None:
                batch.fail(_song(rec), rec.attempt, "its result could not be fetched from "
                           "the cluster; analyze it again")
            else:
                self.connection.settle(batch, future, _song(rec), rec.attempt, on_result,
                                       label=rec.name, fetched=fetched)
        except Exception as err:  # a report must never be lost silently
            log.exception("could not settle the task of job %d", rec.job_id)
            batch.fail(_song(rec), rec.attempt, f"its result could not be recorded: "
                       f"{type(err).__name__}: {err}")
        self._finish_record(rec)

    def _on_event(self, kind: str, msg: dict) -> None:
        if kind == "left":  # (the scheduler removed a worker: its songs are lost now)
            for task in msg.get("lost", ()):
                rec = self._records.get(task)
                if rec is not None and rec.abandoned:  # the thread it held is gone
                    self._finish_record(rec)
                else:
                    self._lost(task)
            self._read_workers_soon()
            return
        if kind == "joined":
            self._read_workers_soon()
            return
        if kind == "older_worker":  # (once per connection: for the user to be told)
            self._emit(self.signals.clusterOlderWorker, str(msg.get("worker", "")))
            return
        rec = self._records.get((msg.get("tag"), msg.get("job"), msg.get("attempt")))
        if rec is None:
            return
        if kind == "started":
            before = rec.started_at  # (a rerun whose worker's loss was not seen yet)
            rec.started_at = rec.cpu_sampled_at = time.monotonic()
            rec.ended_at = 0.0  # (a rerun: the worker that had ended it was lost)
            if before and rec.batch is not None:
                log.warning("the worker running %s left the cluster within %s of its start; "
                            "the song runs again on %s", rec.target.path,
                            seconds_text(rec.started_at - before), msg.get("worker", ""))
            if rec.abandoned:  # (let go before its start: named after where it runs)
                where = msg.get("worker", "").split("/", 1)[0]
                with self._lock:
                    rec.name = next((s.name for s in self.slots
                                     if _host_port(s.address) == where), rec.name)
            self._place(rec, msg.get("worker", ""))
            if rec.batch is not None:  # its clock starts now (it may have waited in Dask)
                rec.batch.started(_song(rec), rec.attempt, rec.name)
            self._emit(self.signals.started, rec)
        elif kind == "progress":
            rec.chunk, rec.n_chunks = msg["chunk"], msg["n_chunks"]
            if rec.batch is not None:
                rec.batch.progress(_song(rec), rec.attempt, rec.chunk, rec.n_chunks,
                                   msg.get("duration_s"))
            self._emit(self.signals.progressed, rec)
        elif kind == "ended" and rec.abandoned:
            self._finish_record(rec)
        elif kind == "ended" and not msg.get("stale"):
            # Its run ends now, however late its outcome is settled (behind another
            # song's save): its clock stops, and its row and timeline show its run.
            rec.ended_at = time.monotonic()
            if rec.batch is not None:
                rec.batch.ended_on_worker(_song(rec), rec.attempt)

    def _lost(self, task) -> None:
        """The worker running ``task`` (``(tag, job, attempt)``) left the cluster: reported
        by the scheduler as it removed that worker (in the client's event-loop thread), or
        seen gone from the workers read (on the cluster thread, under the connection's
        lock), whichever comes first.  Dask runs the song again; until it
        starts on a worker it is queued (:meth:`core.batch.rules.Batch.waits_again`: no
        clock, so the wait for a worker thread never times it out), its record not started
        (it may move to a free slot), and the log keeps how long the lost run lasted at
        most (until its loss was seen)."""
        rec = self._records.get(task)
        if rec is None or rec.abandoned or rec.returned or rec.batch is None:
            return
        ran = rec.batch.waits_again(_song(rec), rec.attempt)
        if ran is None:
            return
        rec.started_at = 0.0
        rec.ended_at = 0.0
        rec.chunk = rec.n_chunks = 0
        log.warning("the worker running %s (%s) left the cluster within %s of its start; "
                    "the song waits to run again", rec.target.path, rec.name,
                    seconds_text(ran))
        self._emit(self.signals.clusterRequeued, rec)

    def _place(self, rec: WorkerRecord, worker: str) -> None:
        """Move ``rec`` to a slot of the worker that runs it (``host:port/thread``).  A
        worker without slots yet (it joined since the workers were last read) has them
        read again at once; the slots follow in the next tick (:meth:`_follow`)."""
        address = worker.split("/", 1)[0]
        with self._lock:
            here = next((s for s in self.slots if s.record is rec), None)
            if here is None or _host_port(here.address) == address:
                return
            known = False
            for slot in self.slots:
                if _host_port(slot.address) != address or slot.left:
                    continue
                known = True
                other = slot.record
                if other is None or not other.started_at:  # free, or not started: swap
                    slot.record, here.record = rec, other
                    if other is not None:
                        other.name = here.name
                    rec.name = slot.name
                    return
        if not known:
            self._read_workers_soon()

    def _read_workers_soon(self) -> None:
        """Have the workers read on the cluster thread (:meth:`_read_workers`), unless a
        reading is already on its way."""
        if not self._reading:
            self._reading = True
            self._submit(self._read_workers)

    def _read_workers(self) -> None:
        """On the cluster thread: read the workers now (applied in the GUI thread).  A
        worker that joined is often one restarted in place of one that died: the songs
        that one ran are seen lost now, not at the next look (:meth:`_lost`)."""
        try:
            self._names = self._by_host_port(self.connection.worker_names())
            read_at = time.monotonic()
            self._workers = workers = self.connection.worker_threads()
            self.connection.forget_departed(workers, read_at=read_at, on_lost=self._lost)
        except Exception:  # looking must never stop the batch
            log.warning("could not look at the cluster's workers", exc_info=True)
        finally:
            self._reading = False

    # -- the watchdog -----------------------------------------------------------------------
    def ended_tasks(self, batch: Batch) -> set[tuple[int, int]]:
        """``(job key, attempt)`` of ``batch``'s songs whose task has ended on the cluster
        while its outcome has not been settled yet.

        The Dask client runs the callbacks of all futures one after another on one thread,
        and settling a result saves it (the session store reads the file again: seconds for
        a large file on a slow share): a song that ends meanwhile waits there, and its clock
        must not time it out (its outcome is settled once the callbacks before it return).
        """
        tag = _tag(batch)
        return {key[1:] for key, future in self._futures.copy().items()
                if key[0] == tag and future.done()}

    def reap(self, batch: Batch, now: float, epoch: float) -> list[tuple[WorkerRecord, Job]]:
        """Give up on the songs that ended without their task (timed out, skipped...).

        A task not started yet is cancelled and its slot freed; one that runs keeps
        counting as busy (in :attr:`abandoned`) until the worker reports its end.
        """
        if self._workers is not self._applied or any(
                s.left and s.record is None for s in self.slots):
            self._follow()
        out = super().reap(batch, now, epoch)
        self._forget_unstarted(now)
        if batch.cancelled:
            self._submit(self.connection.signal_cancel)
        if now - self._refreshed > _REFRESH_S and not self._refreshing:
            self._refreshed, self._refreshing = now, True
            self._submit(self._refresh, batch)
        return out

    def _ends_itself(self, rec: WorkerRecord, job: Job) -> bool:
        """As :meth:`WorkerSlots._ends_itself`, once its task's outcome has reached this
        computer: a song the batch failed because its result never came
        (:meth:`core.batch.rules.Batch.check`) has nothing on its way."""
        if not super()._ends_itself(rec, job):
            return False
        future = self._futures.get(_key(rec))
        return future is None or future.done()

    def _let_go(self, slot, rec: WorkerRecord) -> None:
        slot.record = None
        key = _key(rec)
        if rec.started_at and not rec.ended_at:  # its worker thread is busy until it ends
            self.abandoned.append(rec)
            future = self._futures.get(key)
        else:
            future = self._futures.pop(key, None)
            if rec.ended_at:  # its task has ended: no thread held, nothing more to hear
                self._records.pop(key, None)
            else:
                # Not started: its task is cancelled.  Dask may have started it all the
                # same (the cancel reached its worker too late): its record stays, so that
                # the start, if it comes, counts the thread it holds (:meth:`on_started`)
                # and its end frees it.
                self._unstarted.append((time.monotonic(), key))
                self._check_unstarted_soon()
        if future is not None:
            self._submit(future.cancel)

    def _check_unstarted_soon(self) -> None:
        """Have the tasks of the songs let go before their start looked for on the workers
        :data:`_HANDED_S` from now (:meth:`_check_unstarted`), unless a look is on its way
        (under the lock)."""
        if self._checking or self._left:
            return
        self._checking = True
        timer = threading.Timer(_HANDED_S, self._submit, (self._check_unstarted,))
        timer.name, timer.daemon = "songcal-cluster-check", True
        timer.start()

    def _check_unstarted(self) -> None:
        """On the cluster thread: the songs let go before their start whose task no worker
        holds :data:`_HANDED_S` later never start (the cancel reached the scheduler before
        the task reached a worker thread, or the worker let it go unstarted): their records
        end now, batch running or not, so nothing of them is followed any more.  A task a
        worker holds not started yet is looked for again; one that started is followed
        until its end, as a song given up on (:meth:`on_started`).  When the workers do not
        answer, the records wait for :meth:`_forget_unstarted`."""
        now = time.monotonic()
        with self._lock:
            self._checking = False
            due = [key for at, key in self._unstarted if now - at >= _HANDED_S]
        try:
            held = self.connection.held(due) if due else {}
        except ClusterError as err:  # (no answer in time: the 30 s rule applies)
            log.warning("could not look for the songs let go before their start: %s", err)
            return
        except Exception:  # (a worker that answered with an error: the 30 s rule applies)
            log.debug("could not ask the workers for the tasks let go", exc_info=True)
            return
        with self._lock:
            gone = {key for key in due if key not in held}
            for key in gone:
                self._drop_unstarted(key)
            self._unstarted = [(at, key) for at, key in self._unstarted
                               if key not in gone and held.get(key) != "started"]
            if self._unstarted:
                self._check_unstarted_soon()

    def _forget_unstarted(self, now: float) -> None:
        """In the GUI thread: the songs let go before their start that have not started
        :data:`_UNSTARTED_S` later never will (their cancel reached the scheduler)."""
        with self._lock:
            while self._unstarted and now - self._unstarted[0][0] > _UNSTARTED_S:
                self._drop_unstarted(self._unstarted.pop(0)[1])

    def _drop_unstarted(self, key) -> None:
        """Follow no more the song let go before its start under ``key``, unless its task
        started after all (under the lock)."""
        rec = self._records.get(key)
        if rec is not None and not rec.started_at:
            self._records.pop(key, None)

    def _refresh(self, batch: Batch) -> None:
        """On the cluster thread: the workers now, and the wait for a free worker thread
        (:class:`core.batch.cluster.WorkerWatch`); when it gives up, the GUI thread is told
        (``clusterGaveUp``)."""
        try:
            self._names = self._by_host_port(self.connection.worker_names())
            read_at = time.monotonic()
            self._workers = workers = self.connection.worker_threads()
            self.connection.forget_departed(workers, read_at=read_at, on_lost=self._lost)
            self._forget_departed()
            with self._lock:
                running = any(s.record is not None for s in self.slots)
            waiting = (not (batch.paused or batch.cancelled)
                       and batch.counts()[SongState.QUEUED] > 0)
            why = self._watch.check(running=running, waiting=waiting,
                                    held={_key(r) for r in list(self.abandoned)})
            if why:
                self._emit(self.signals.clusterGaveUp, why)
            else:
                self._forget_departed()  # (a worker restarted: its threads are new)
        except Exception:  # looking must never stop the batch
            log.warning("could not look at the cluster's workers", exc_info=True)
        finally:
            self._refreshing = False

    def _forget_departed(self) -> None:
        """Given-up songs whose worker thread is gone (its process died or was restarted)
        stop counting, as no end will ever be reported."""
        alive = {_host_port(a) for a, _ in self._workers}
        where = self.connection.running_on()
        for rec in list(self.abandoned):
            if where.get(_key(rec)) not in alive:
                self._finish_record(rec)

    def give_up(self, batch: Batch, reason: str) -> list[Job]:
        """In the GUI thread: fail every song left with ``reason`` (the ones queued unless
        paused, the ones handed to the cluster; those given up on stop counting) and return
        them; the batch then ends."""
        failed = []
        while True:  # (none while paused or cancelled)
            claimed = batch.claim("")
            if claimed is None:
                break
            job, attempt = claimed
            batch.fail(job.id, attempt, reason)
            failed.append(job)
        with self._lock:
            records = [s.record for s in self.slots if s.record is not None]
        for rec in records:
            if batch.fail(_song(rec), rec.attempt, reason):
                failed.append(rec.target if rec.target is not None else batch.jobs[rec.job_id])
            future = self._futures.get(_key(rec))
            if future is not None:
                self._submit(future.cancel)
        for job in batch.jobs:  # (handed over, its end not reported yet)
            if job.state in ACTIVE_STATES and batch.fail(job.id, job.attempt, reason):
                failed.append(job)
        for rec in records + list(self.abandoned):
            self._finish_record(rec)
        self._submit(self._watch.reset)
        return failed

    def release(self) -> None:
        """The batch ended: the next one waits for workers afresh (and the slots of
        workers that left go)."""
        super().release()
        self._follow()
        self._submit(self._watch.reset)

    def _submit(self, fn, *args) -> None:
        try:
            self._io.submit(fn, *args)
        except RuntimeError:  # shut down (the window quits)
            pass

    def leave(self):
        """Leave the cluster without waiting (a LocalCluster is shut down): the close runs
        on the cluster thread after the calls already given to it, and that thread ends
        once it is done.  From now on nothing of this cluster reaches the engine's signals
        (a song given up on that ends later on it, a look at its workers).  Returns a
        :class:`concurrent.futures.Future` done once the connection is closed, or None
        when it was already left."""
        if self._left:
            return None
        self._left = True
        self.connection.on_event = None
        try:
            closed = self._io.submit(self.connection.close)
        except RuntimeError:  # (shut down already)
            return None
        self._io.shutdown(wait=False)
        return closed

    def shutdown(self, timeout_s: float = 5.0) -> None:
        """Leave the cluster (a LocalCluster is shut down) and wait up to ``timeout_s`` for
        the connection to close (the window quits: its processes must not outlive it)."""
        closed = self.leave()
        if closed is None:
            return
        try:
            closed.result(timeout=timeout_s)
        except Exception:
            log.warning("leaving the cluster took longer than %.0f s", timeout_s)
