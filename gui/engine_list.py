"""Changing the engine's list of songs: clearing it (and putting it back, an undo), removing
some songs from it (and putting them back),
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

    def remove(self, job_ids) -> list[tuple]:
        """Take the songs ``job_ids`` out of the list, mid-batch too; returns what
        :meth:`put_back_songs` needs to put them back: ``(job, identity)`` each, in list
        order, ``job.id`` the place it had.

        A running song is skipped first (:meth:`core.batch.rules.Batch.remove`): its
        worker is given up on and its slot takes the next song; the batch goes on, and
        ends when the songs left have ended.  The songs after a removed one move up
        (:attr:`jobsRemoved` tells the views)."""
        self.finish_restoring()
        batch = self.batch
        before = list(batch.jobs)
        removed = batch.remove(job_ids)
        if not removed:
            return []
        if len(removed) == 1:
            log.info("removed from the list: %s", removed[0].path)
        else:  # one record: a line each took 0.1 s of the window's thread for 1,000 songs
            log.info("removed %d songs from the list:\n  %s", len(removed),
                     "\n  ".join(j.path for j in removed))
        if self.is_running:
            self._reap()  # the workers of the songs removed while they ran
        out = [(j, self.identity.get(j.id)) for j in removed]
        self._renumber(before, {j.key for j in removed})
        self.jobsRemoved.emit([j.id for j in removed])
        if self.is_running:
            self._fill()
            self._check_finished()
        return out

    def put_back_songs(self, removed) -> int:
        """Put back songs :meth:`remove` took out, at their places, as they are (a queued
        one is analyzed when its turn comes); returns how many came back."""
        self.finish_restoring()
        batch = self.batch
        before = list(batch.jobs)
        back = batch.put_back([job for job, _ident in removed])
        if not back:
            return 0
        idents = {job.key: ident for job, ident in removed if ident is not None}
        self._renumber(before)
        for job in back:
            if job.key in idents:
                self.identity[job.id] = idents[job.key]
        self.jobsReturned.emit(sorted(j.id for j in back))
        self.jobsRemoved.emit([])
        if self.is_running:
            self._fill()
        return len(back)

    def _renumber(self, before: list, gone=frozenset()) -> None:
        """The songs moved in the list: ``before`` is the list as it was (a song's place
        then is its index there; the batch has since given each song left its new place
        as its id), ``gone`` the keys of the songs taken out.  What is kept by place
        follows them.

        The new places are read from the songs themselves, not matched by key through
        dictionaries of the whole list (three of them took 35-40 ms of the window's
        thread per removal from a list of 20,000)."""
        moved = [-1 if j.key in gone else j.id for j in before] if gone else \
            [j.id for j in before]
        n = len(moved)
        old_identity = self.identity.copy()
        self.identity.clear()
        self.identity.update({moved[i]: v for i, v in old_identity.items()
                              if i < n and moved[i] >= 0})
        self._dirty = {moved[i] for i in self._dirty if i < n and moved[i] >= 0}
        self._live = {moved[i] for i in self._live if i < n and moved[i] >= 0}
        self.worker_slots.renumber(self.batch.jobs)
        self.feed.renumber()

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

    def give_file_rates(self, rates) -> list[int]:
        """Give ``(job_id, rate, result)`` songs the rate their file states where their
        result is still ``result`` (:meth:`core.batch.rules.Batch.give_file_rate`), then
        refresh the rows once; returns the songs changed."""
        changed = [i for i, rate, result in rates
                   if self.batch.give_file_rate(i, rate, of=result) is not None]
        if changed:
            self._dirty.update(changed)
            self.tick()
        return changed
