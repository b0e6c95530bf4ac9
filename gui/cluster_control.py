"""The engine choice of the window: this computer's threads, or a Dask cluster.

:class:`ClusterControl` is a part of :class:`gui.engine.BatchEngine`: :meth:`set_cluster`
chooses where the next batch runs; when a batch starts on a cluster, the cluster is reached
and every worker is checked for the files off the GUI thread (:func:`gui.tasks.run_task`),
then the engine's worker slots become :class:`gui.cluster_slots.ClusterSlots`, one per Dask
worker thread.  A cluster that cannot be used leaves every song queued and says why
(``clusterFailed``).  When the cluster fails in the middle of a batch (the scheduler gone for
good, every worker gone for a while), the songs left fail in their rows, saying why, and the
batch ends as the command line's does.  Dask is imported only when a cluster is chosen and
reached.
"""

from __future__ import annotations

import logging

from core.batch.rules import SongState
from gui.worker_slots import WorkerSlots

__all__ = ["ClusterControl"]

log = logging.getLogger("gui.engine")

#: Longest wait (s) for a cluster left to close: before the next one is reached (on a pool
#: thread), and when the window quits.
LEAVE_WAIT_S = 5.0


class ClusterControl:
    """The cluster side of :class:`gui.engine.BatchEngine` (it provides ``worker_slots``,
    ``batch``, ``pool``, ``signals``, ``store``, ``run_task`` and the state machine)."""

    def set_cluster(self, spec, **options) -> bool:
        """Run songs on a Dask cluster (a :class:`core.batch.cluster.ClusterSpec`), or on
        this computer's threads with None.

        The cluster is reached when the next batch starts, off the GUI thread; ``options``
        go to :class:`core.batch.cluster.ClusterConnection` (``analyze``, ``client``).
        While a batch runs, the choice waits for the next one (returns False).
        """
        if self.is_running:
            self._next_cluster = (spec, dict(options))
            return False
        self._next_cluster = None
        if spec == self.cluster_spec and dict(options) == self._cluster_options:
            return True
        if self._on_cluster():
            self._leave_cluster()
            self._resize_slots(self.settings.workers)
        self.cluster_spec, self._cluster_options = spec, dict(options)
        return True

    def _apply_next_cluster(self) -> None:
        """A choice made while the last batch ran, applied before the next one starts."""
        pending = getattr(self, "_next_cluster", None)
        if pending is not None:
            self.set_cluster(pending[0], **pending[1])

    def _leave_lost_cluster(self) -> None:
        """Before a batch starts: a cluster whose connection was lost for good (its client
        gave up reconnecting) is left, to be reached afresh (the scheduler may be back)."""
        if self._on_cluster() and self.worker_slots.connection.lost():
            log.info("reaching the %s again (its connection was lost)",
                     self.cluster_spec.describe())
            self._leave_cluster()

    def _leave_cluster(self) -> None:
        """Back on this computer's threads at once; the cluster's connection closes on its
        own thread (a LocalCluster's processes take seconds to stop, a lost scheduler
        longer): the GUI thread never waits for it.  ``clusterLeft`` says so.  The next
        cluster is reached once it is closed (:meth:`_connect_cluster`), and quitting waits
        for it (:meth:`wait_left`)."""
        closed = self.worker_slots.leave()
        self.worker_slots = WorkerSlots(self.pool, self.signals)
        self._leaving = [f for f in self._leaving if not f.done()]
        if closed is not None:
            self._leaving.append(closed)
        if not self._closing:  # (not while the window quits: nothing is left to tell)
            self.clusterLeft.emit()

    def wait_left(self, timeout_s: float = LEAVE_WAIT_S) -> bool:
        """Wait up to ``timeout_s`` for every cluster left to be closed (when quitting:
        the LocalCluster's worker processes must not outlive the window); True when all
        are."""
        from concurrent.futures import wait

        _done, pending = wait(self._leaving, timeout=timeout_s)
        self._leaving = list(pending)
        if pending:
            log.warning("leaving the cluster took longer than %.0f s", timeout_s)
        return not pending

    @property
    def is_connecting(self) -> bool:
        """True while a batch that started waits for its cluster to be reached."""
        return self._connecting

    def cluster_note(self) -> str:
        """What the worker panel says instead of rows while the chosen cluster's workers are
        not known (it is being reached, or not reached yet), else empty."""
        if self.cluster_spec is None or self._on_cluster():
            return ""
        where = self.cluster_spec.describe()
        if self._connecting:
            return (f"Reaching the {where}\u2026 Its workers are listed here once it "
                    f"answers; the songs wait in the queue until then.")
        return (f"Songs run on the {where}. Its workers are listed here once a batch "
                f"starts and reaches it.")

    def _on_cluster(self) -> bool:
        from gui.cluster_slots import ClusterSlots

        return isinstance(self.worker_slots, ClusterSlots)

    def _connect_cluster(self) -> None:
        """Reach the cluster and check the files off the GUI thread, then run on it."""
        from core.batch.cluster import ClusterConnection

        spec, options = self.cluster_spec, self._cluster_options
        paths = [j.path for j in self.batch.jobs if j.state is SongState.QUEUED]
        leaving = list(self._leaving)
        self._connecting = True
        log.info("reaching the %s", spec.describe())

        def connect():
            # The cluster left last is closed first: a client shared with it must not be
            # unsubscribed from the workers' events after this one subscribed, nor two
            # LocalClusters share the cores.
            if leaving:
                from concurrent.futures import wait

                wait(leaving, timeout=LEAVE_WAIT_S)
            connection = ClusterConnection(spec, **options)
            connection.connect()
            try:
                connection.check_paths(paths)
                workers = connection.worker_threads()
                names = connection.worker_names()
            except Exception:
                connection.close()
                raise
            if self._closing:  # the window quit meanwhile: its answer would never come
                connection.close()
            return connection, workers, names

        def done(reached, error):
            from gui.cluster_slots import ClusterSlots

            self._connecting = False
            if error:
                log.error("cannot run on the cluster: %s", error)
                self.batch.pause()  # the songs stay queued: nothing was analyzed
                from gui.engine import EngineState  # (gui.engine imports this module)

                self._set_state(EngineState.IDLE)
                self.clusterFailed.emit(error)
                return
            connection, workers, names = reached
            if self._closing:
                connection.close()
                return
            self.worker_slots = ClusterSlots(connection, self.signals, store=self.store,
                                             workers=workers, names=names)
            self.worker_slots.resize()
            log.info("running on the %s: %d worker threads", spec.describe(),
                     len(self.worker_slots.slots))
            self._fill()

        self.run_task(connect, done)

    def _on_cluster_requeued(self, rec) -> None:
        """The worker running ``rec``'s song left the cluster and the song waits to run
        again: its row says queued, its timeline segment ends now."""
        if not self._on_cluster():
            return
        self.worker_slots.on_lost(rec, self.epoch)
        if rec.batch is self.batch:
            self._dirty.add(rec.job_id)

    def _on_cluster_older_worker(self, worker: str) -> None:
        """A worker of the cluster runs an older SongCal (its first report without the run
        it is of): the log has said so; the window says it too (``clusterWarned``)."""
        if not self._on_cluster():
            return
        self.clusterWarned.emit(
            f"Worker {worker or 'unknown'} of the {self.cluster_spec.describe()} runs an "
            f"older SongCal: the songs it runs show no progress and have no time limit. "
            f"Install the same SongCal on every worker.")

    def _on_cluster_gave_up(self, reason: str) -> None:
        """The cluster cannot run the songs left (:class:`core.batch.cluster.WorkerWatch`):
        they fail in their rows with ``reason`` and the batch ends with what finished."""
        if not (self._on_cluster() and self.is_running):
            return
        jobs = self.worker_slots.give_up(self.batch, reason)
        if jobs:
            log.error("%s: %d songs left failed", reason, len(jobs))
        self._dirty.update(j.id for j in jobs)
        self._check_finished()
