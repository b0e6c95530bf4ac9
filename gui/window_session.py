"""What the window keeps between runs and what it can take back: the library (the last list
comes back at the next start; an earlier one with File > Open Earlier List,
:mod:`gui.window_lists`), an interrupted batch offered for resuming, Clear and New Session
with a question and an undo, Remove from List with an undo (and a question when it removes
many songs), and Force Fresh with a question.

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


class SessionMixin:
    """Session part of the main window."""

    def _init_session(self) -> None:
        self.library = Library(self)
        self.library.restored.connect(self._on_library_restored)
        self.library.contentsChecked.connect(self._on_contents_checked)
        self._init_lists()
        #: What Undo brings back: ``("list", batch, identity)`` Clear or New Session took
        #: away, or ``("songs", removed)`` Remove from List took out
        #: (:meth:`gui.engine.BatchEngine.remove`).
        self._undo = None

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
            self.statusBar().showMessage(
                f"{back}: {info['songs']} songs. The one shown before stays kept: File "
                "\u25b8 Open Earlier List brings it back.", 8000)
        else:
            self.statusBar().showMessage(
                f"Your last list is back: {info['songs']} songs. File \u25b8 New Session "
                "starts an empty one.", 8000)
        self._update_actions()

    def _on_contents_checked(self, changed: int) -> None:
        if changed:
            them = ("its file changed since it was analyzed; it waits" if changed == 1 else
                    "their files changed since they were analyzed; they wait")
            self.statusBar().showMessage(
                f"{changed} song{'s' if changed != 1 else ''} of your last list: {them} to "
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
            self.store.end_session(session["id"])  # the resumed batch gets a session of its own
        log.info("resuming an interrupted batch of %d songs", len(paths))
        self._start_after_scan = True
        self.add_paths(paths)

    def _dismiss_session(self) -> None:
        session = self.resume_banner.session
        if session is not None and self.store is not None:
            self.store.end_session(session["id"])

    # -- taking songs away, and back --------------------------------------------------------
    @property
    def can_undo(self) -> bool:
        """True while Undo can bring back what Clear, New Session or Remove from List took
        away (a list cleared comes back only while no batch runs)."""
        if self._undo is None:
            return False
        return self._undo[0] == "songs" or not self.engine.is_running

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
        removed = self.engine.remove([j.id for j in jobs])
        if not removed:
            return 0
        self._undo = ("songs", removed)
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
                               "Clear")

    def new_session(self) -> bool:
        """Start an empty list with a session of its own, after asking; Undo brings the old
        list back.  The reference sheet stays loaded.  True when done."""
        if not self._take_list("New session",
                               "Start a new session with an empty list? The {n} songs of this "
                               "one stay in the session store, and Edit \u25b8 Undo "
                               "(Ctrl+Z) brings them back. The reference sheet stays loaded.",
                               "New Session", allow_empty=True):
            return False
        self.log_panel.clear()
        log.info("new session started %s", time.strftime("%Y-%m-%d %H:%M"))
        return True

    def _take_list(self, title: str, text: str, ok: str, *, allow_empty: bool = False) -> bool:
        eng = self.engine
        if eng.is_running:
            self.statusBar().showMessage("Cancel the batch first.", 4000)
            return False
        eng.finish_restoring()  # the question counts the whole list coming back
        n = len(eng.batch.jobs)
        if (n or not allow_empty) and not (n and self._confirm(title, text.format(n=n), ok)):
            return False
        old = eng.clear()
        if old is None:
            return False
        self._undo = ("list", *old) if n else None
        self._start_after_scan = False  # a resumed batch being read in is gone with the list
        self.library.begin([])  # an empty list comes back at the next start
        self.resume_banner.hide()
        self._update_actions()
        return True

    def undo_clear(self) -> bool:
        """Bring back the list Clear or New Session took away (not while a batch runs), or
        the songs Remove from List took out (at their places, with their results; mid-batch
        too: a queued one is analyzed when its turn comes); True when they came back."""
        if not self.can_undo:
            return False
        undo, self._undo = self._undo, None
        if undo[0] == "songs":
            n = self.engine.put_back_songs(undo[1])
            self.banner.refresh()
        else:
            _, batch, identity = undo
            self.engine.put_back(batch, identity)
            n = len(batch.jobs)
        self.statusBar().showMessage(f"{n} song{'s' if n != 1 else ''} "
                                     f"{'are' if n != 1 else 'is'} back.", 5000)
        self._update_actions()
        return True

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
