"""Rows from folder scans: the files a :class:`gui.workers.ScanRunnable` finds become rows
of the engine's batch, a slice at a time.

A scan of a large folder reports thousands of files within a second.  Adding them all in
one go would hold the event loop (every row insertion reaches the table, the filter proxy
and the views), so found files wait in a queue and are added by a zero-delay timer in
slices of at most :attr:`ScanFeed.ROWS_PER_SLICE` rows and about :attr:`ScanFeed.SLICE_S`
seconds, with a short pause between slices: a busy machine gets smaller slices, not longer
freezes.  Titles and artists read from tags arrive later and update the rows they belong to.
"""

from __future__ import annotations

import os
import threading
import time
from collections import deque

from PySide6.QtCore import QObject, QTimer, Signal

from gui.workers import ScanRunnable, WorkerSignals

__all__ = ["ScanFeed"]


class ScanFeed(QObject):
    """The scans of one engine and the queue of what they found.

    It keeps no reference to the engine (its parent), so an engine without a parent is
    freed as soon as its last reference goes, in the GUI thread, not later by the garbage
    collector in whatever thread it runs.

    Parameters
    ----------
    batch : core.batch.rules.Batch
        Receives the rows (replaced by :meth:`clear`).
    identity : dict
        ``{job_id: (title, artist)}``, the engine's map, filled for each row added.
    signals : WorkerSignals
        The engine's signal hub, where scans report.
    parent : QObject
        The engine.
    """

    #: ``(first_job_id, [job, ...])`` rows appended to the batch.
    rowsAdded = Signal(int, list)
    #: ``[job_id, ...]`` rows whose title and artist were read from tags.
    rowsIdentified = Signal(list)
    #: ``(n_found)`` a scan has ended (its rows are all added).
    scanEnded = Signal(int)
    #: ``(count)`` files found that the list holds already (not added again).
    rowsRepeated = Signal(int)
    #: Found rows are about to be appended (the engine adds first the rest of a list being
    #: restored: those songs keep their places).
    aboutToAddRows = Signal()

    #: Most rows added from scan results in one pass of the event loop.
    ROWS_PER_SLICE = 1000
    #: Rows added at a time within a pass (each step is one row insertion for the views).
    ROWS_PER_STEP = 250
    #: Time (s) after which a pass adds no further step and lets the event loop run.
    SLICE_S = 0.008
    #: Pause (ms) between two passes while rows are still waiting.
    SLICE_PAUSE_MS = 10

    def __init__(self, batch, identity: dict, signals: WorkerSignals, parent=None):
        super().__init__(parent)
        self.batch = batch
        self.identity = identity
        self.signals = signals
        #: Running scans by token.
        self.scans: dict[int, ScanRunnable] = {}
        self._queue: deque = deque()
        self._drain_scheduled = False
        self._token = 0
        #: file -> its songs, for the tag pass (songs, not rows: a row moves when songs
        #: before it are removed)
        self._path_rows: dict[str, list] = {}
        self._listed: set[str] = set()  # the files of the batch's first _listed_upto rows
        self._listed_upto = 0
        signals.found.connect(self._on_found)
        signals.identified.connect(self._on_identified)
        signals.scanned.connect(self._on_scanned)
        signals.listed.connect(self._on_listed)

    def new_scan(self, paths: list[str]) -> ScanRunnable:
        """A registered scan of ``paths`` for the caller to start on its pool."""
        self._token += 1
        scan = ScanRunnable(paths, self._token, self.signals, rows_added=threading.Event())
        self.scans[self._token] = scan
        return scan

    def clear(self, batch) -> None:
        """Stop every scan, drop what they found and not yet added, and feed ``batch``."""
        self.cancel()
        self.batch = batch
        self.scans.clear()
        self._queue.clear()
        self._path_rows.clear()
        self._listed = set()
        self._listed_upto = 0

    def renumber(self) -> None:
        """The batch's songs moved (some were removed from the list, or put back): the files
        listed are read again from the batch when files are next found (a file removed can
        be added again), not now: a removal from a list of 20,000 spent 30-130 ms of the
        window's thread on them.  A tag pass names songs, which find their rows then."""
        self._listed = set()
        self._listed_upto = 0

    def cancel(self) -> None:
        """Ask every running scan to stop."""
        for scan in self.scans.values():
            scan.cancel_event.set()

    # -- reports of the scans ---------------------------------------------------------------
    def _on_found(self, token: int, items: list) -> None:
        self._queue.append(("found", token, items))
        self._schedule_drain()

    def _on_listed(self, token: int) -> None:
        self._queue.append(("listed", token, None))
        self._schedule_drain()

    def _on_scanned(self, token: int, n_found: int) -> None:
        self._queue.append(("scanned", token, n_found))
        self._schedule_drain()

    def _on_identified(self, token: int, ids: dict) -> None:
        changed = []
        batch = self.batch
        for path, ident in ids.items():
            for job in self._path_rows.get(path, ()):
                if batch.holds(job):  # (not a song removed from the list)
                    self.identity[job.id] = ident
                    changed.append(job.id)
        if changed:
            self.rowsIdentified.emit(changed)

    # -- adding rows in slices --------------------------------------------------------------
    def _schedule_drain(self, delay_ms: int = 0) -> None:
        if not self._drain_scheduled:
            self._drain_scheduled = True
            QTimer.singleShot(delay_ms, self._drain_found)

    def _drain_found(self) -> None:
        # At most ROWS_PER_SLICE rows per pass, in steps of ROWS_PER_STEP, and no new step
        # once SLICE_S has passed.
        self._drain_scheduled = False
        budget = self.ROWS_PER_SLICE
        deadline = time.perf_counter() + self.SLICE_S
        queue = self._queue
        while queue and budget > 0:
            if budget < self.ROWS_PER_SLICE and time.perf_counter() > deadline:
                break
            kind, token, payload = queue[0]
            if kind == "scanned":
                queue.popleft()
                self._finish_scan(token, payload)
                continue
            if kind == "listed":  # every row of the scan is in: its tag pass may begin
                queue.popleft()
                scan = self.scans.get(token)
                if scan is not None and scan.rows_added is not None:
                    scan.rows_added.set()
                continue
            step = min(budget, self.ROWS_PER_STEP)
            if len(payload) > step:
                part, rest = payload[:step], payload[step:]
                queue[0] = (kind, token, rest)
            else:
                part = payload
                queue.popleft()
            budget -= len(part)
            self._add_found(token, part)
        if queue:
            # the next pass after a short pause: the window repaints and takes input between
            self._schedule_drain(self.SLICE_PAUSE_MS)

    def _add_found(self, token: int, items: list) -> None:
        if token not in self.scans:
            return
        self.aboutToAddRows.emit()
        batch = self.batch
        identity = self.identity
        # A folder dropped again, or a file inside a folder added before, is listed once:
        # a second row would be analyzed (or served from the store) again, and weigh twice
        # wherever the list is summed up.
        listed = self._listed
        jobs_now = batch.jobs  # rows are appended (a removal renumbers: :meth:`renumber`)
        listed.update(os.path.normcase(j.path) for j in jobs_now[self._listed_upto:])
        self._listed_upto = len(jobs_now)
        fresh = []
        for p, missing in items:
            key = os.path.normcase(p)
            if key not in listed:
                listed.add(key)
                fresh.append((p, missing))
        if len(fresh) < len(items):
            self.rowsRepeated.emit(len(items) - len(fresh))
        ok = [p for p, missing in fresh if not missing]
        first = len(batch.jobs)
        jobs = batch.add(ok)
        for p, missing in fresh:
            if missing:
                jobs.append(batch.add_failed(p, "file not found"))
        for job in jobs:
            identity[job.id] = (os.path.splitext(os.path.basename(job.path))[0], "")
            self._path_rows.setdefault(job.path, []).append(job)
        if jobs:
            self.rowsAdded.emit(first, jobs)

    def _finish_scan(self, token: int, n_found: int) -> None:
        if self.scans.pop(token, None) is not None:
            self.scanEnded.emit(n_found)
