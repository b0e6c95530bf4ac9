"""The window's library: its list of songs kept in the session store, so that the next start
shows it as it was left.

:class:`Library` follows the engine and the calibration controller and writes, through the
store's one writer thread (every call queues, none waits):

- the songs, in list order, as they are added (a ``"library"`` session of
  :class:`core.batch.store.ResultStore`); a song keeps its position in the store while it
  is in the list (by its :attr:`core.batch.rules.Job.key`), so Remove from List deletes
  the rows of the songs removed and Undo writes them back, whatever the list's length;
  a list cleared stays in the store as an earlier list, and the Undo of the Clear takes it
  back as it is (:meth:`core.batch.store.ResultStore.take_back_library`);
- the last result of each song as it changes: done, failed, timed out, skipped, and the
  user's corrections;
- whether a batch runs (a library whose batch never ended is offered for resuming);
- a small state: the reference sheet's path, the manual matches and unpairings, and
  whether a calibration was fitted.

:meth:`Library.restore` reads back the library used last that no other window of SongCal
holds now (it takes it as this window's, :meth:`core.batch.store.ResultStore.take_library`:
two windows open at once each keep a list of their own): the rows come back with their
results (a song whose file no longer holds what its result was measured on is queued to be
analyzed again, :func:`core.batch.cache.changed_since`), the reference sheet is loaded again, the manual matches are laid over the new
match and the calibration is fitted again (it is a pure function of the rows, the sheet and
the matches, so the same fit comes back).
"""

from __future__ import annotations

import itertools
import logging
import os
import weakref

from PySide6.QtCore import QObject, Signal

from core.batch.cache import changed_since
from core.batch.file_rates import dsd_file_rates, may_state_read_rate
from core.batch.rules import TERMINAL_STATES
from gui.engine import EngineState
from gui.startup import made_to_last

__all__ = ["Library"]

log = logging.getLogger(__name__)


class Library(QObject):
    """Keeps ``window``'s songs, results and calibration state in ``window.store``.

    Signals
    -------
    restored(dict)
        The last library came back: ``{"songs", "unfinished", "reference", "busy"}``
        (``busy``: how many lists used since are held by other windows running now); a list
        :meth:`open` brought says ``"opened": True``.
    openFailed(str)
        A list asked for with :meth:`open` was not opened, and why.
    contentsChecked(int)
        The restored files whose times moved were hashed; so many had changed.
    """

    restored = Signal(dict)
    #: ``(why)`` a list asked for with :meth:`open` was not opened; the list shown stays.
    openFailed = Signal(str)
    #: A list :meth:`open` took is about to replace the one shown (which is cleared next).
    replacing = Signal()
    #: ``(why)`` the last list could not be read at the start.
    readFailed = Signal(str)
    #: ``(n)`` the files touched since their results were checked by their content: ``n``
    #: had changed and are queued again.
    contentsChecked = Signal(int)

    def __init__(self, window):
        super().__init__(window)
        # weakly: the window owns its library, which holding the window back would make a
        # reference cycle that only the garbage collector frees
        self._window = weakref.ref(window)
        self.store = window.store
        self.engine = window.engine
        self._session: int | None = None  # (see session)
        #: Job key -> the song's position in the store's session (kept after a removal,
        #: for the undo); the positions grow down the list, with gaps where songs left.
        self._at: dict[int, int] = {}
        self._next_at = 0  # the position of the next song added at the end
        self._listed: set[int] = set()  # the keys of the songs the session holds now
        self._saved: dict[int, object] = {}  # job key -> the result object last written
        self._state: dict = {}
        self._pending: dict | None = None  # calibration state to lay over the next match
        #: What the last clear took, for its undo: the batch, its session and the
        #: positions and results written of it (:meth:`_on_cleared`).
        self._cleared: tuple | None = None
        self._batch = self.engine.batch  # the engine's list the positions above are of
        #: True while the last list is read at the start (another list is not opened
        #: meanwhile: the one read would be taken too, and held until the window closes).
        self.reading = False
        #: True when the list shown came from File > Open Earlier List (not the last one,
        #: read back at the start).
        self.opened = False
        eng = self.engine
        eng.jobsAdded.connect(self._on_added)
        eng.jobsChanged.connect(self._on_changed)
        eng.stateChanged.connect(self._on_state)
        eng.cleared.connect(self._on_cleared)
        eng.jobsRemoved.connect(self._on_removed)
        cal = window.calibration
        cal.referenceLoaded.connect(self._on_reference)
        cal.matched.connect(self._on_matched)
        cal.fitted.connect(self._on_fitted)

    @property
    def window(self):
        """The window whose list this is (held weakly)."""
        return self._window()

    @property
    def session(self) -> int | None:
        """Id of the library session in the store (None until songs are added): the
        store's once the session is written, the stand-in :meth:`begin` was handed
        (negative) until then."""
        sid = self._session
        if sid is None or sid >= 0 or self.store is None:
            return sid
        return self.store.session_id(sid)

    @session.setter
    def session(self, value: int | None) -> None:
        self._session = value

    @property
    def active(self) -> bool:
        """True when there is a store to keep the library in."""
        return self.store is not None

    # -- writing --------------------------------------------------------------------------
    def begin(self, jobs=(), *, replaces=()) -> int | None:
        """Start a new library session holding ``jobs`` (the list's songs so far);
        ``replaces``: the sessions it is a fresh copy of, removed with it (see
        :meth:`core.batch.store.ResultStore.begin_session`)."""
        self.session = None
        jobs = list(jobs)
        self._at = {j.key: i for i, j in enumerate(jobs)}
        self._next_at = len(jobs)
        self._listed = set(self._at)
        self._saved = {}
        if not self.active:
            return None
        try:
            # queued, not waited for: the window's thread never waits on the store (a list
            # of 20,000 songs written afresh takes it 1.3 s, and a store another
            # program holds would keep the window still); the id handed on stands for the
            # session in the store's later writes, and a record the store refuses waits
            # with them until it takes writes again
            self.session = self.store.begin_session(
                [j.path for j in jobs], self.engine.settings.to_dict(), kind="library",
                running=False, replaces=[i for i in replaces if i is not None], late=True,
                wait=False)
        except Exception as err:  # a store in trouble: the window works without a library
            log.warning("the list cannot be kept for the next start: %s", err)
            return None
        if self._state:
            self.store.set_session_state(self.session, self._state)
        return self.session

    def _on_added(self, first: int, count: int) -> None:
        if self.engine.restoring or not self.active:
            return
        jobs = self.engine.batch.jobs[first:first + count]
        if self.session is None:
            self.begin(self.engine.batch.jobs[:first + count])
            self._save_results(range(first + count))
            return
        start = self._next_at
        for i, job in enumerate(jobs):
            self._at[job.key] = start + i
            self._listed.add(job.key)
        self._next_at = start + len(jobs)
        self.store.add_to_session(self.session, [j.path for j in jobs], first=start)
        self._save_results(range(first, first + count))

    def _on_changed(self, rows: list) -> None:
        if self.session is not None:
            self._save_results(rows)

    def _save_results(self, rows) -> None:
        jobs = self.engine.batch.jobs
        saved, at = self._saved, self._at
        items = []
        for i in rows:
            if i >= len(jobs):
                continue
            job = jobs[i]
            result = job.result
            if job.state in TERMINAL_STATES and result is not None \
                    and saved.get(job.key) is not result and job.key in at:
                saved[job.key] = result
                items.append((at[job.key], result))
        if items:  # one queued write, the results encoded on the store's thread
            self.store.save_session_results(self.session, items)

    def keep_ended(self) -> None:
        """Write every result not written yet (the window quits).  While a batch runs the
        library is written as the rows are refreshed, a few times a second; a song that ended
        or was corrected since the last refresh would otherwise come back as it was before.
        Call it before the running songs are stopped: they come back queued."""
        if self.session is not None:
            self._save_results(range(len(self.engine.batch.jobs)))

    def _on_state(self, state: str) -> None:
        if self.session is None:
            return
        if state == EngineState.RUNNING:
            self.store.reopen_session(self.session)
        elif state == EngineState.IDLE:
            self._save_results(range(len(self.engine.batch.jobs)))
            self.store.end_session(self.session, wait=False)

    def _on_cleared(self) -> None:
        if self.active and self.engine.batch.jobs:  # an undo: the list that came back
            cleared, self._cleared = self._cleared, None
            jobs = self.engine.batch.jobs
            if cleared is not None and cleared[0] is self.engine.batch \
                    and cleared[1] is not None and len(cleared[4]) == len(jobs) \
                    and all(j.key in cleared[4] for j in jobs):
                self._take_back(*cleared[1:])
            else:  # (not the list the clear took: written afresh, the one kept goes)
                self.begin(self.engine.batch.jobs,
                           replaces=[cleared[1]] if cleared is not None else ())
                self._save_results(range(len(self.engine.batch.jobs)))
        else:
            # the list taken stays in the store as it is, let go of by the next begin:
            # an earlier list, and the one its undo takes back
            self._cleared = (self._batch, self._session, self._at, self._next_at,
                             self._listed, self._saved)
            self.session = None
            self._at, self._next_at, self._listed, self._saved = {}, 0, set(), {}
        self._batch = self.engine.batch

    def _take_back(self, session, at, next_at, listed, saved) -> None:
        """Undo of a Clear: the list's session, still in the store, is this window's again
        with what was written of it (its songs' positions and results); only results that
        changed since are written.  The empty list the clear began goes."""
        jobs = self.engine.batch.jobs
        songs = list(jobs)  # (as they are now; ``at`` and ``saved`` are not changed again)
        self.session = self.store.take_back_library(
            session, leaving=self._session,
            songs=lambda: [(at[j.key], j.path) for j in songs],
            results=lambda: [(at[k], r) for k, r in saved.items() if k in at],
            settings=self.engine.settings.to_dict())
        self._at, self._next_at = dict(at), next_at
        self._listed, self._saved = set(listed), dict(saved)
        if self._state:
            self.store.set_session_state(self.session, self._state)
        self._save_results(range(len(jobs)))  # (none, unless one changed before the clear)

    def _on_removed(self, _places: list) -> None:
        """Songs left the list, or came back (an undo): the rows of the songs removed are
        deleted from the store, those of the songs back written again at the positions
        they had, with their results (the other songs' rows are not touched); the manual
        pairs are kept at the songs' new places."""
        if not self.active or self.session is None:
            return
        jobs = self.engine.batch.jobs
        keys = [j.key for j in jobs]
        now = set(keys)
        gone = self._listed - now
        back = [j for j in jobs if j.key not in self._listed]
        if gone:
            self.store.remove_from_session(self.session, [self._at[k] for k in gone])
            self._listed -= gone
            for k in gone:
                self._saved.pop(k, None)
        if back:
            at = self._at
            if any(k not in at for k in keys) or any(
                    at[a] >= at[b] for a, b in itertools.pairwise(keys)):
                # (not their old order: never seen, but the list is then written afresh)
                log.info("the list is written afresh to the store")
                running = self.engine.is_running
                self.begin(jobs, replaces=[self.session])
                self._save_results(range(len(jobs)))
                if self.session is not None and running:
                    self.store.reopen_session(self.session)
            else:
                self.store.add_to_session(self.session, [j.path for j in back],
                                          at=[at[j.key] for j in back])
                self._listed.update(j.key for j in back)
                self._save_results(j.id for j in back)
        if self._pending is None and "manual" in self._state:
            self._set_state(**self._pairs())

    # -- the calibration state ------------------------------------------------------------
    def _set_state(self, **values) -> None:
        self._state.update(values)
        if self.session is not None:
            self.store.set_session_state(self.session, self._state)

    def _on_reference(self, _summary) -> None:
        sheet = self.window.calibration.sheet
        path = getattr(sheet, "path", "") if sheet is not None else ""
        if self._pending is None:
            self._set_state(reference=path, manual={}, unpaired=[], fitted=False)

    def _keep_sheet(self) -> str:
        """A list opened that has no reference sheet of its own keeps the one loaded, as a
        New Session does, and keeps it in the store with the list (else the window showed
        the sheet while the list, at the next start, came back without it); returns its
        path ("" when none is loaded)."""
        sheet = self.window.calibration.sheet
        path = getattr(sheet, "path", "") if sheet is not None else ""
        if path:
            self._set_state(reference=os.fspath(path), manual={}, unpaired=[], fitted=False)
        return os.fspath(path) if path else ""

    def _on_matched(self, _summary) -> None:
        pending, self._pending = self._pending, None
        if pending is not None:
            self._apply_pending(pending)
            return
        self._set_state(**self._pairs())

    def _pairs(self) -> dict:
        """The manual pairs and unpairings, by the songs' places in the list (the
        calibration keeps them by :attr:`core.batch.rules.Job.key`; a song not in the list,
        removed, is left out)."""
        session = self.window.calibration.session
        places = {j.key: j.id for j in self.engine.batch.jobs}
        return {"manual": {str(places[k]): int(v) for k, v in session.manual.items()
                           if k in places},
                "unpaired": sorted(places[k] for k in session.unpaired if k in places)}

    def _on_fitted(self, _calibration) -> None:
        if self._pending is None:
            self._set_state(fitted=True)

    def _apply_pending(self, state: dict) -> None:
        """Lay the remembered manual matches over the first match, then fit again."""
        ctrl = self.window.calibration
        jobs = self.engine.batch.jobs

        def key_of(place):  # (saved by place; the calibration keeps songs by key)
            place = int(place)
            return jobs[place].key if 0 <= place < len(jobs) else None

        for key, row in (state.get("manual") or {}).items():
            pos = ctrl.song_index(key_of(key))
            if pos is not None:
                try:
                    ctrl.manual_match(pos, int(row))
                except ValueError as err:
                    log.warning("a remembered manual match no longer fits: %s", err)
        for key in state.get("unpaired") or ():
            pos = ctrl.song_index(key_of(key))
            if pos is not None:
                try:
                    ctrl.unmatch(pos)
                except ValueError:
                    pass
        self._state = dict(state)
        if state.get("fitted"):
            ctrl.fit()

    # -- reading back ---------------------------------------------------------------------
    def restore(self) -> bool:
        """Read the newest library in the background and show it (when the window's list
        is still empty then); :attr:`restored` tells when.  Returns False when there is no
        store."""
        if not self.active:
            return False
        store = self.store

        def read():
            with made_to_last():  # (no full collection on this thread holds the GIL)
                return read_list()

        def read_list():
            # the list no other window holds now, taken as this window's: two windows
            # never write into one list
            lib, busy = store.take_library()
            if lib is None and busy:
                return {"paths": [], "busy": busy}
            return _prepared(lib)

        def done(lib, error):
            if error:
                self.reading = False
                log.warning("the last list could not be read: %s", error)
                self.readFailed.emit(str(error))
                return
            self._show(lib)

        self.reading = True
        self.engine.run_task(read, done)
        return True

    def open(self, sid: int) -> bool:
        """Take the earlier list ``sid`` in the background (:meth:`core.batch.store.ResultStore.
        open_library`: not one another window holds) and show it in place of this window's
        list, which stays in the store, let go for any window to open; :attr:`restored`
        tells when it is back, as at the start (an interrupted batch is offered for
        resuming), :attr:`openFailed` why it was not opened.  Refused (False) without a
        store or while a batch runs."""
        if not self.active or self.engine.is_running or self.reading:
            return False
        store = self.store
        self.keep_ended()  # this list is complete in the store before it is let go

        def read():
            with made_to_last():
                lib, why = store.open_library(sid)
                return (_prepared(lib) if lib else None), why

        def done(result, error):
            lib, why = result if not error else (None, error)
            if lib is None:
                log.warning("the list could not be opened: %s", why)
                self.openFailed.emit(why)
                return
            if self.engine.is_running:  # a batch started meanwhile: this list stays
                store.release_library(sid)
                self.openFailed.emit("a batch started meanwhile; cancel it or let it end "
                                     "first")
                return
            old = self.session
            self.replacing.emit()
            self.engine.clear()  # (the library follows: no session until this one shows)
            if old != sid:
                store.release_library(old)
            lib["opened"] = True
            self._show(lib)

        self.engine.run_task(read, done)
        return True

    def _show(self, lib: dict | None) -> None:
        if lib and lib.get("opened") and not lib.get("paths"):  # an empty list, taken
            self.session, self._state = lib["id"], dict(lib.get("state") or {})
            self._cleared = None
            self._keep_sheet()
        if not lib or not lib.get("paths") or self.engine.batch.jobs or self.engine.restoring:
            self.reading = False
            self.restored.emit({"songs": 0, "unfinished": False, "reference": "",
                                "busy": (lib or {}).get("busy", 0),
                                "opened": bool(lib and lib.get("opened"))})
            return
        for i in sorted(lib.get("changed", ())):
            log.warning("%s changed since it was analyzed: queued to be analyzed again",
                        lib["paths"][i])
        # In slices: the window answers while a list of thousands comes back.
        self.engine.restore_in_slices(lib["items"], lambda: self._shown(lib))

    def _shown(self, lib: dict) -> None:
        """Every song of ``lib`` is back in the list."""
        self._cleared = None  # (an undo no longer brings that list back)
        self.reading = False
        self.opened = bool(lib.get("opened"))
        results = lib["results"]
        changed = set(lib.get("changed", ()))
        self.session = lib["id"]
        jobs = self.engine.batch.jobs
        at = lib.get("at") or range(len(lib["paths"]))
        self._at = {jobs[i].key: a for i, a in enumerate(at)}
        self._next_at = max(at, default=-1) + 1
        self._listed = set(self._at)
        self._saved = {jobs[i].key: r for i, r in results.items() if i < len(jobs)}
        self._save_results(range(len(lib["paths"])))  # songs corrected while they came in
        state = lib.get("state") or {}
        self._state = dict(state)
        reference = state.get("reference") or ""
        if reference and os.path.isfile(reference):
            self._pending = state
            self.window.load_reference(reference)
        elif reference:
            log.warning("the reference sheet of the last session is gone: %s", reference)
        kept = ""  # the sheet loaded, kept for a list opened that has none of its own
        if lib.get("opened") and not reference:
            reference = kept = self._keep_sheet()
        n = len(lib["paths"])
        log.info("the last list is back: %d songs (%d with results)", n, len(results))
        if lib.get("unsure"):
            self._check_contents(lib, lib["unsure"])
        self._check_rates(lib)
        self.restored.emit({"songs": n, "unfinished": lib.get("ended") is None,
                            "reference": reference, "created": lib.get("created", 0),
                            "id": lib["id"], "other_build": lib["other_build"],
                            "changed": len(changed), "busy": lib.get("busy", 0),
                            "kept_sheet": kept,
                            "opened": lib.get("opened", False)})


    def _check_contents(self, lib: dict, positions: list) -> None:
        """Hash, in the background, the files whose times moved since their results, and
        queue again those whose content changed (:attr:`contentsChecked` tells how many)."""
        batch = self.engine.batch
        songs = {i: batch.jobs[i] for i in positions}  # (their places move with removals)
        paths = {i: lib["paths"][i] for i in positions}
        results = {i: lib["results"][i] for i in positions}
        log.info("checking the content of %d files touched since they were analyzed",
                 len(positions))

        def read():
            renewed: dict = {}
            changed, _ = changed_since([paths.get(i, "") for i in range(max(paths) + 1)],
                                       results, renewed=renewed)
            return changed, renewed

        def done(answer, error):
            if error:
                log.warning("the files of the last list could not be checked: %s", error)
                return
            if self.engine.batch is not batch:  # the list was cleared meanwhile
                return
            changed, renewed = answer
            # the songs where they are now: songs removed from the list meanwhile moved
            # those after them (a removed one is not queued; Undo brings it back as it was)
            ids = [songs[i].id for i in changed if i in songs and batch.holds(songs[i])]
            self._renew(renewed, results, {i: songs[i] for i in renewed
                                           if i in songs and batch.holds(songs[i])})
            n = self.engine.mark_changed(ids) if ids else 0
            self.contentsChecked.emit(n)

        self.engine.run_task(read, done)

    def _check_rates(self, lib: dict) -> None:
        """Read, in the background, the rate the header of each DSD file states whose stored
        result another build made (it kept the rate DSD is read at, 88,200), and give it to
        the song's result, which the store then keeps (:mod:`core.batch.file_rates`).  The
        songs queued again for a changed file are left to their new analysis."""
        changed = set(lib.get("changed", ()))
        positions = [i for i, r in lib["results"].items()
                     if i not in changed and i < len(lib["paths"]) and may_state_read_rate(r)]
        if not positions:
            return
        batch = self.engine.batch
        songs = {i: batch.jobs[i] for i in positions if i < len(batch.jobs)}
        paths = {i: lib["paths"][i] for i in songs}
        results = {i: lib["results"][i] for i in songs}

        def done(rates, error):
            if error:
                log.warning("the rates of the DSD files of the list could not be read: %s",
                            error)
                return
            if self.engine.batch is not batch:  # the list was cleared meanwhile
                return
            given = self.engine.give_file_rates(
                (songs[i].id, rate, results[i]) for i, rate in rates.items()
                if batch.holds(songs[i]))
            if given:
                log.info("%d DSD files of the list show their own sample rate (their "
                         "results kept the rate DSD is read at)", len(given))
                for i in given:
                    self._saved.pop(batch.jobs[i].key, None)
                if self.session is not None:
                    self._save_results(given)

        self.engine.run_task(lambda: dsd_file_rates(paths, results), done)

    def _renew(self, renewed: dict, results: dict, held: dict) -> None:
        """Name in each result found to hold its file's content when and from which file
        it was read (``renewed``, as :func:`core.batch.cache.changed_since` fills it), and
        keep it: the next start trusts those files' times instead of reading them again.
        ``held``: the songs, by their places when the check began, still in the list."""
        for i, (at, inode) in renewed.items():
            job = held.get(i)
            result = job.result if job is not None else None
            if result is None or not inode or result.content != results[i].content:
                continue  # analyzed again or corrected into another result meanwhile: its own
            result.content_at, result.content_inode = at, inode
            self._saved.pop(job.key, None)
        if self.session is not None:
            self._save_results(sorted(j.id for j in held.values()))


def _prepared(lib: dict | None) -> dict | None:
    """``lib`` as read from the store, with what showing it needs (asked of the file system
    here, off the window's thread; no file is read before the list shows: a library of
    thousands of touched files): the songs whose files changed since their results
    (``changed``, ``unsure``), the rows to add (``items``) and how many results another
    build made (``other_build``)."""
    if lib:
        lib["changed"], lib["unsure"] = changed_since(lib["paths"], lib["results"],
                                                      read=False)
        results, changed = lib["results"], set(lib["changed"])
        lib["items"] = [(p, results.get(i), i in changed)
                        for i, p in enumerate(lib["paths"])]
        lib["other_build"] = _other_build(results.values())
    return lib


def _other_build(results) -> int:
    """Analyzed results made by another build of the analyzer than this one (or before
    builds were named): their values may differ from what this SongCal would give."""
    from core.analysis.identity import made_by_another_build

    return sum(1 for r in results if made_by_another_build(r))
