"""Changing the engine's list of songs: clearing it (and putting it back, an undo),
restoring songs an earlier session left, and the user's changes to single songs (more time,
corrections).  A mixin of :class:`gui.engine.BatchEngine`; the rules themselves are
:class:`core.batch.rules.Batch`'s.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field

from PySide6.QtCore import QTimer

from core.batch.rules import Batch
from gui.scan_report import ScanReport

__all__ = ["EngineListMixin", "History"]

log = logging.getLogger("gui.engine")


@dataclass
class History:
    """Songs ended in the current run over time (s since the run began), for the plots."""

    times: list = field(default_factory=list)
    done: list = field(default_factory=list)


class EngineListMixin:
    """List and single-song changes of the engine."""

    #: Songs :meth:`restore_in_slices` adds per turn of the event loop.
    RESTORE_SLICE = 2000

    def clear(self):
        """Forget every song (only when no batch runs).

        Returns
        -------
        tuple or None
            ``(batch, identity)`` that were replaced, for :meth:`put_back` (an undo); None
            when refused because a batch runs.
        """
        self.finish_restoring()  # what comes back with Undo is the whole list
        if self.is_running:
            return None
        old = (self.batch, dict(self.identity))
        self._replace(Batch(settings=self.settings), {})
        return old

    def put_back(self, batch: Batch, identity: dict) -> bool:
        """Show ``batch`` again (what :meth:`clear` returned); refused (False) while a batch
        runs."""
        self.finish_restoring()
        if self.is_running:
            return False
        self._replace(batch, identity)
        return True

    def _replace(self, batch: Batch, identity: dict) -> None:
        self.batch = batch
        self.feed.clear(self.batch)  # the scans stop: what they found is not reported
        self._scan_report = ScanReport()
        self.identity.clear()
        self.identity.update(identity)
        self.worker_slots.clear_timeline()
        self.history = History()
        self._dirty.clear()
        self._live.clear()
        self.cleared.emit()

    def restore_jobs(self, items) -> int:
        """Add songs as an earlier session left them (see
        :meth:`core.batch.rules.Batch.add_restored`); returns how many."""
        first = len(self.batch.jobs)
        jobs = self.batch.add_restored(items)
        for job in jobs:
            r = job.result if job.result is not None else job.previous
            title = r.title if r is not None and r.title else None
            self.identity[job.id] = ((title, r.artist) if title else
                                     (os.path.splitext(os.path.basename(job.path))[0], ""))
        if jobs:
            self.jobsAdded.emit(first, len(jobs))
        return len(jobs)

    @property
    def restoring(self) -> bool:
        """True while :meth:`restore_in_slices` has songs left to add."""
        return self._restore_left is not None

    def restore_in_slices(self, items, done) -> None:
        """Add songs as :meth:`restore_jobs` does, :attr:`RESTORE_SLICE` per turn of the
        event loop (the window answers and paints between slices: a list of 20,000 added
        in one go kept it from answering for 0.1 s, longer on a busy computer), then call
        ``done()``.

        A change of the list asked for meanwhile (adding files, Clear, Undo, Start, Retry,
        analyzing again) first adds the rest at once (:meth:`finish_restoring`): the
        restored songs keep their places at the top of the list, their job ids being their
        positions in the list kept, and Clear takes, and Undo brings back, the whole list."""
        self.finish_restoring()
        self._restore_left = [list(items), 0, done]
        self._restore_slice(self._restore_left)

    def finish_restoring(self) -> None:
        """Add at once the songs :meth:`restore_in_slices` has left (none: nothing)."""
        while self._restore_left is not None:
            self._restore_slice(self._restore_left)

    def _restore_slice(self, pending: list) -> None:
        if pending is not self._restore_left:  # finished meanwhile, or the window closed
            return
        items, pos, done = pending
        end = pos + max(1, self.RESTORE_SLICE)
        pending[1] = end
        self.restore_jobs(items[pos:end])  # (listeners see :attr:`restoring` still True)
        if pending is not self._restore_left:  # a listener finished it meanwhile
            return
        if end < len(items):
            QTimer.singleShot(0, self, lambda: self._restore_slice(pending))
            return
        self._restore_left = None
        done()

    def mark_changed(self, job_ids) -> int:
        """Queue again the ended songs whose files changed since their result
        (:meth:`core.batch.rules.Batch.mark_changed`); returns how many."""
        jobs = self.batch.mark_changed(job_ids)
        for job in jobs:
            log.warning("%s changed since it was analyzed: queued to be analyzed again",
                        job.path)
            self._dirty.add(job.id)
        if jobs:
            self.tick()
        return len(jobs)

    def extend(self, job_id: int) -> float | None:
        """Give a running song one more budget before it is timed out; returns its new hard
        limit (s), or None when it is not running."""
        limit = self.batch.extend(job_id)
        if limit is not None:
            log.info("%s may run until %.0f s", self.batch.jobs[job_id].path, limit)
            self._dirty.add(job_id)
        return limit

    def correct(self, job_ids, **values) -> int:
        """Record the user's tempo or key for done songs (:meth:`Batch.correct`); returns
        how many changed."""
        return self.correct_each((i, values) for i in job_ids)

    def correct_each(self, changes) -> int:
        """Record ``(job_id, values)`` corrections, each song its own values, then refresh
        the rows once (thousands of songs corrected at once are one refresh, not one per
        song); returns how many changed."""
        n = 0
        for i, values in changes:
            if self.batch.correct(i, **values) is not None:
                self._dirty.add(i)
                n += 1
        if n:
            self.tick()
        return n
