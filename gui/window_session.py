"""What the window keeps between runs and what it can take back: the library (the last list
comes back at the next start; an earlier one with File > Open Earlier List,
:mod:`gui.window_lists`), an interrupted batch offered for resuming, Clear and New Session
with a question and an undo, Remove from List with an undo (and a question when it removes
many songs), Undo and Redo over several such steps, and Force Fresh with a question.

Part of :class:`gui.main_window.MainWindow` (a mixin).  The list lives in the session store
(:class:`core.batch.store.ResultStore`) as a library session kept by
:class:`gui.library.Library`; a batch that never ended (the window was killed) is offered
again at the next start.  The window's layout is :mod:`gui.window_layout`'s.
"""

from __future__ import annotations

import logging
import os
import time

from PySide6.QtWidgets import QMessageBox

from gui.library import Library

__all__ = ["SessionMixin", "open_store", "open_store_why", "store_unavailable_text"]

log = logging.getLogger(__name__)


def open_store():
    """The user's session store, or None when it cannot be opened (the reason is logged;
    analysis still works, results are just not cached)."""
    return open_store_why()[0]


def open_store_why(path=None):
    """``(store, "")``, or ``(None, reason)`` when the session store ``path`` (default: the
    user's) cannot be opened (a data folder that is a file, or read-only; a damaged
    database; a store of a newer SongCal, said in words of its own by
    :func:`store_unavailable_text`)."""
    from core.batch.store import ResultStore, StoreError

    try:
        return ResultStore(path), ""
    except StoreError as err:  # said by the window; no traceback on the terminal
        log.info("session store unavailable: %s", err)
        return None, store_unavailable_text(err)
    except OSError as err:
        log.info("session store unavailable: %s", err)
        return None, str(err) or type(err).__name__
    except Exception as err:  # no store: analysis still works, results are just not cached
        log.exception("session store unavailable")
        return None, str(err) or type(err).__name__


def store_unavailable_text(err) -> str:
    """Why a store cannot be used, for the window: a newer SongCal's store is named as one,
    with both layout numbers and the word that it is left untouched."""
    if getattr(err, "newer", False):
        why = err.reason.removesuffix("; choose another file")
        why = why.removeprefix("the file ")
        return (f"{err.path} {why}. It is left as it is: its songs and results wait for "
                "that SongCal")
    return str(err) or type(err).__name__


def _step_text(step: tuple) -> str:
    """A change of the list as Undo and Redo name it: "Remove 3 Songs", "Clear"."""
    if step[0] == "list":
        return step[1]
    n = len(step[1])
    return f"Remove {n} Song{'s' if n != 1 else ''}"


class SessionMixin:
    """Session part of the main window."""

    def _init_session(self) -> None:
        self.library = Library(self)
        self.library.restored.connect(self._on_library_restored)
        self.library.contentsChecked.connect(self._on_contents_checked)
        self._init_lists()
        #: What Undo brings back, the newest last: ``("list", what, batch, identity)`` Clear
        #: or New Session (``what``) took away, or ``("songs", removed)`` a Remove from
        #: List took out (:meth:`gui.engine.BatchEngine.remove`).  Clear and New Session
        #: leave only themselves to undo; a list replaced otherwise leaves nothing.
        self._undo: list[tuple] = []
        #: What Redo does again, the newest last: ``("list", what)`` or ``("songs",
        #: jobs)``; emptied by any new change of the list.
        self._redo: list[tuple] = []
        self._taking = False  # (the list is changed by Clear, Undo or Redo)
        self.engine.cleared.connect(self._on_list_replaced)

    # -- questions ------------------------------------------------------------------------
    def _confirm(self, title: str, text: str, ok: str) -> bool:
        """Ask before a destructive command; True when the user agrees."""
        box = QMessageBox(QMessageBox.Icon.Question, title, text,
                          QMessageBox.StandardButton.Cancel, self)
        yes = box.addButton(ok, QMessageBox.ButtonRole.AcceptRole)
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)
        box.exec()
        return box.clickedButton() is yes

    # -- the library ----------------------------------------------------------------------
    def restore_library(self) -> bool:
        """Bring the last list back (in the background); without one, offer to resume an
        interrupted command-line batch.  True when a store was there to read."""
        if self.library.restore():
            self._update_list_action()  # (no other list is opened while it is read)
            return True
        return self.offer_resume()

    def _on_library_restored(self, info: dict) -> None:
        opened = info.get("opened", False)
        if opened:
            self._on_list_opened()
        busy = info.get("busy", 0)
        back = "The earlier list is open" if opened else "Your last list is back"
        if not info.get("songs"):
            if opened:
                self.statusBar().showMessage(f"{back}; it has no songs.", 8000)
            elif not self.offer_resume() and busy:
                self.statusBar().showMessage(
                    "Your last list is open in another SongCal window, which keeps it; this "
                    "window starts a list of its own.", 15000)
            return
        if busy:
            log.info("%d lists used since are open in other SongCal windows", busy)
        if info.get("unfinished"):
            left = [j.path for j in self.engine.batch.jobs if j.result is None]
            self.resume_banner.offer({"id": info.get("id"), "created": info.get("created", 0),
                                      "paths": left, "kind": "library"})
        other = info.get("other_build", 0)
        changed = info.get("changed", 0)
        if changed:
            them = ("it was analyzed and waits" if changed == 1 else
                    "they were analyzed and wait")
            self.statusBar().showMessage(
                f"{back}: {info['songs']} songs; {changed} changed on disk "
                f"since {them} to be analyzed again (Start).", 15000)
        elif other:
            log.warning("%d restored results come from another build of the analyzer", other)
            self.statusBar().showMessage(
                f"{back}: {info['songs']} songs; {other} were analyzed by "
                "another build of SongCal (Show: Made by another build).", 15000)
        elif busy:
            self.statusBar().showMessage(
                f"A list of {info['songs']} songs is back; your last one is open in another "
                "SongCal window, which keeps it.", 15000)
        elif opened:
            kept = info.get("kept_sheet", "")
            sheet = (f" It had no reference sheet: {os.path.basename(kept)} stays loaded "
                     "and is kept with it." if kept else "")
            self.statusBar().showMessage(
                f"{back}: {info['songs']} songs.{sheet} The one shown before stays kept: "
                "File \u25b8 Open Earlier List brings it back.", 12000)
        else:
            self.statusBar().showMessage(
                f"Your last list is back: {info['songs']} songs. File \u25b8 New Session "
                "starts an empty one.", 8000)
        self._update_actions()

    def _on_contents_checked(self, changed: int) -> None:
        if changed:
            them = ("its file changed since it was analyzed; it waits" if changed == 1 else
                    "their files changed since they were analyzed; they wait")
            which = "this list" if self.library.opened else "your last list"
            self.statusBar().showMessage(
                f"{changed} song{'s' if changed != 1 else ''} of {which}: {them} to "
                "be analyzed again (Start).", 15000)
        self._update_actions()

    # -- interrupted sessions ---------------------------------------------------------------
    def offer_resume(self) -> bool:
        """Offer to resume the last batch if it never ended; True when offered."""
        if self.store is None:
            return False
        try:
            session = self.store.unfinished_session()
        except Exception:
            log.exception("could not read the session store")
            return False
        if not session or not session.get("paths") or session.get("kind") == "library":
            return False
        self.resume_banner.offer(session)
        return True

    def _resume_session(self, paths: list) -> None:
        session = self.resume_banner.session
        if session is not None and session.get("kind") == "library":
            log.info("resuming the interrupted batch: %d songs left", len(paths))
            self.engine.start()
            return
        if session is not None and self.store is not None:
            # the resumed batch gets a session of its own
            self.store.end_session(session["id"], wait=False)
        log.info("resuming an interrupted batch of %d songs", len(paths))
        self._start_after_scan = True
        self.add_paths(paths)

    def _dismiss_session(self) -> None:
        session = self.resume_banner.session
        if session is not None and self.store is not None:
            self.store.end_session(session["id"], wait=False)

    # -- taking songs away, and back --------------------------------------------------------
    @property
    def can_undo(self) -> bool:
        """True while Undo can bring back what Clear, New Session or Remove from List took
        away last (a list cleared comes back only while no batch runs)."""
        return bool(self._undo) and (self._undo[-1][0] == "songs"
                                     or not self.engine.is_running)

    @property
    def can_redo(self) -> bool:
        """True while Redo can do again what Undo took back last (a list is cleared again
        only while no batch runs)."""
        return bool(self._redo) and (self._redo[-1][0] == "songs"
                                     or not self.engine.is_running)

    @property
    def undo_text(self) -> str:
        """What Undo takes back, for its menu entry ("Remove 3 Songs", "Clear"), or ""."""
        return _step_text(self._undo[-1]) if self._undo else ""

    @property
    def redo_text(self) -> str:
        """What Redo does again, for its menu entry, or ""."""
        return _step_text(self._redo[-1]) if self._redo else ""

    def _on_list_replaced(self) -> None:
        """A list replaced by another (the demo deck, a restore) leaves nothing to undo: the
        songs of the old one are not put into the new one."""
        if not self._taking:
            self._undo.clear()
            self._redo.clear()

    def _on_songs_added(self) -> None:
        """Songs were added: a list cleared cannot come back without dropping them, and
        nothing is done again (songs removed still come back at their places)."""
        self._undo = [u for u in self._undo if u[0] != "list"]
        self._redo.clear()

    #: Remove from List asks first from this many songs (fewer go at once; Undo brings
    #: them back either way).
    REMOVE_ASK_FROM = 100

    def remove_selected(self) -> int:
        """Remove the selected songs from the list (those the table shows selected, sorted
        or filtered); a running one is skipped first and the batch goes on.  Undo brings
        them back at their places with their results.  Asks first from
        :attr:`REMOVE_ASK_FROM` songs.  Returns how many were removed."""
        jobs = self._selected_jobs()
        n = len(jobs)
        if not n:
            return 0
        if n >= self.REMOVE_ASK_FROM and not self._confirm(
                "Remove from the list",
                f"Remove the {n} selected songs from the list? Their results stay in the "
                "session store, and Edit \u25b8 Undo (Ctrl+Z) brings them back.", "Remove"):
            return 0
        return self._remove_jobs(jobs)

    def _remove_jobs(self, jobs, *, again: bool = False) -> int:
        """Remove ``jobs``, a step Undo takes back; ``again``: Redo's (what is left to do
        again stays)."""
        removed = self.engine.remove([j.id for j in jobs])
        if not removed:
            return 0
        self._undo.append(("songs", removed))
        if not again:
            self._redo.clear()
        name = (f"\u201c{os.path.basename(removed[0][0].path)}\u201d" if len(removed) == 1
                else f"{len(removed)} songs")
        self.statusBar().showMessage(
            f"Removed {name} from the list. Edit \u25b8 Undo (Ctrl+Z) brings "
            f"{'it' if len(removed) == 1 else 'them'} back.", 8000)
        self.banner.refresh()
        self._update_actions()
        return len(removed)

    def clear(self) -> bool:
        """Remove every song from the list, after asking; Undo brings them back.  True when
        the list was cleared."""
        return self._take_list("Clear the list",
                               "Remove all {n} songs from the list? Their results stay in the "
                               "session store, and Edit \u25b8 Undo (Ctrl+Z) brings them back.",
                               "Clear", what="Clear")

    def new_session(self) -> bool:
        """Start an empty list with a session of its own, after asking; Undo brings the old
        list back.  The reference sheet stays loaded.  True when done."""
        return self._take_list("New session",
                               "Start a new session with an empty list? The {n} songs of this "
                               "one stay in the session store, and Edit \u25b8 Undo "
                               "(Ctrl+Z) brings them back. The reference sheet stays loaded.",
                               "New Session", allow_empty=True, what="New Session")

    def _take_list(self, title: str, text: str, ok: str, *, what: str,
                   allow_empty: bool = False) -> bool:
        eng = self.engine
        if eng.is_running:
            self.statusBar().showMessage("Cancel the batch first.", 4000)
            return False
        eng.finish_restoring()  # the question counts the whole list coming back
        n = len(eng.batch.jobs)
        if (n or not allow_empty) and not (n and self._confirm(title, text.format(n=n), ok)):
            return False
        return self._clear_list(what)

    def _clear_list(self, what: str, *, again: bool = False) -> bool:
        """Clear the list (``what``: "Clear" or "New Session"), leaving it alone to undo;
        ``again``: Redo's."""
        n = len(self.engine.batch.jobs)
        self._taking = True
        try:
            old = self.engine.clear()
        finally:
            self._taking = False
        if old is None:
            return False
        self._undo = [("list", what, *old)] if n else []
        if not again:
            self._redo.clear()
        self._start_after_scan = False  # a resumed batch being read in is gone with the list
        self.library.begin([])  # an empty list comes back at the next start
        self.resume_banner.hide()
        if what == "New Session":
            self.log_panel.clear()
            log.info("new session started %s", time.strftime("%Y-%m-%d %H:%M"))
        self._update_actions()
        return True

    def undo(self) -> bool:
        """Take back the last change of the list: bring back the list Clear or New Session
        took away (not while a batch runs), or the songs a Remove from List took out (at
        their places, with their results; mid-batch too: a queued one is analyzed when its
        turn comes).  Several removals are undone one by one, newest first.  True when
        something came back."""
        if not self.can_undo:
            return False
        step = self._undo.pop()
        if step[0] == "songs":
            n = self.engine.put_back_songs(step[1])
            self.banner.refresh()
            self._redo.append(("songs", [job for job, _ident in step[1]]))
        else:
            _, what, batch, identity = step
            self._taking = True
            try:
                self.engine.put_back(batch, identity)
            finally:
                self._taking = False
            n = len(batch.jobs)
            self._redo.append(("list", what))
        self.statusBar().showMessage(f"{n} song{'s' if n != 1 else ''} "
                                     f"{'are' if n != 1 else 'is'} back.", 5000)
        self._update_actions()
        return True

    #: The name Undo had when it took back Clear alone.
    undo_clear = undo

    def redo(self) -> bool:
        """Do again what Undo took back last: remove the same songs again (those still in
        the list), or clear the list again (not while a batch runs).  True when done."""
        if not self.can_redo:
            return False
        step = self._redo.pop()
        if step[0] == "songs":
            batch = self.engine.batch
            return bool(self._remove_jobs([j for j in step[1] if batch.holds(j)],
                                          again=True))
        return self._clear_list(step[1], again=True)

    def force_fresh(self) -> int:
        """Analyze every ended song again, ignoring stored results, after asking; each song
        keeps its result until the new one arrives.  Returns how many were queued."""
        n = sum(1 for j in self.engine.batch.jobs if j.result is not None)
        if not n or not self._confirm(
                "Force fresh analysis",
                f"Analyze all {n} songs again, ignoring stored results? Each song keeps its "
                "current result until its new one arrives; if you cancel, or a song fails or "
                "times out, the earlier result stays.", "Analyze Again"):
            return 0
        return self.engine.force_fresh()
