"""File > Open Earlier List: bringing back a list the session store keeps (yesterday's batch,
the list of a window closed since) in place of the window's list.

Part of :class:`gui.main_window.MainWindow` (a mixin).  The dialog is
:class:`gui.earlier_lists.EarlierListsDialog`; the list is taken and shown by
:meth:`gui.library.Library.open`, which comes back the way the last list does at the start
(:meth:`gui.window_session.SessionMixin._on_library_restored`).  Not while a batch runs: the
command is disabled and says why.
"""

from __future__ import annotations

import logging

from PySide6.QtGui import QKeySequence

from gui.earlier_lists import EarlierListsDialog

__all__ = ["ListsMixin"]

log = logging.getLogger(__name__)

#: What the command does (its status tip) and why it may not (its tip then).
_TIP = "Open a list kept in the session store in place of this one (this one stays kept)"
_RUNNING = "Not while a batch runs: cancel it or let it end first"
_NO_STORE = "No session store is open, so no list is kept"
_OPENING = "A list is being opened"
_READING = "The last list is still being read"


class ListsMixin:
    """Open Earlier List part of the main window."""

    def _make_list_actions(self) -> None:
        self.open_list_action = self._act("Open Earlier L&ist\u2026", self.open_earlier_list,
                                          "Ctrl+Shift+L", None, _TIP)
        #: The list being opened (its id), None when none is.
        self._opening_list: int | None = None
        self._lists_dialog: EarlierListsDialog | None = None

    def _init_lists(self) -> None:
        """Follow the library (made after the actions)."""
        self.library.openFailed.connect(self._on_list_failed)
        self.library.replacing.connect(self._on_list_replacing)
        self.library.restored.connect(self._update_list_action)
        self.library.readFailed.connect(self._update_list_action)

    def _update_list_action(self, *_news) -> None:
        """Enable Open Earlier List, or say in its tip why it cannot be used now (``_news``:
        what a library signal that calls it carries, unused)."""
        why = self._list_refused()
        a = self.open_list_action
        a.setEnabled(not why)
        keys = a.shortcut().toString(QKeySequence.SequenceFormat.NativeText)
        tip = why or _TIP
        a.setStatusTip(tip)
        a.setToolTip(f"{tip} ({keys})")

    def _list_refused(self) -> str:
        """Why no list can be opened now, or ""."""
        library = getattr(self, "library", None)  # (made after the actions)
        return (_NO_STORE if self.store is None else _RUNNING if self.engine.is_running
                else _OPENING if self._opening_list is not None
                else _READING if library is not None and library.reading else "")

    def open_earlier_list(self) -> EarlierListsDialog | None:
        """Show the store's lists to open one (refused, with the reason in the status bar,
        without a store or while a batch runs); returns the dialog."""
        why = self._list_refused()
        if why and why != _OPENING:  # (while opening, the dialog shows it)
            self.statusBar().showMessage(why + ".", 6000)
            return None
        dlg = self._lists_dialog
        if dlg is None:
            dlg = self._lists_dialog = EarlierListsDialog(self.store, self.engine.run_task,
                                                          self)
            dlg.chosen.connect(self.open_list)
        dlg.refresh()
        dlg.open()
        return dlg

    def open_list(self, sid: int) -> bool:
        """Open the store's list ``sid`` in place of this one (in the background); False
        when refused (no store, a batch runs, a list is being opened already)."""
        why = self._list_refused()
        if why or not self.library.open(sid):
            why = why or _RUNNING
            self.statusBar().showMessage(why + ".", 6000)
            if self._lists_dialog is not None and self._lists_dialog.opening == sid:
                self._lists_dialog.opened(False, why[0].lower() + why[1:])
            return False
        self._opening_list = sid
        self._update_actions()
        return True

    def _on_list_replacing(self) -> None:
        """The list opened is taken: what belonged to the one shown goes with it (its Undo
        and Redo steps go as the engine replaces the list, ``_on_list_replaced``; the list
        stays in the store, opened again from there)."""
        self._start_after_scan = False
        self.resume_banner.hide()

    def _on_list_opened(self) -> None:
        """The list opened is shown (called once it came back, before it is said)."""
        self._opening_list = None
        if self._lists_dialog is not None and self._lists_dialog.opening is not None:
            self._lists_dialog.opened(True)
        self._update_actions()

    def _on_list_failed(self, why: str) -> None:
        self._opening_list = None
        self.statusBar().showMessage(f"That list could not be opened: {why}.", 10000)
        if self._lists_dialog is not None and self._lists_dialog.opening is not None:
            self._lists_dialog.opened(False, why)
        self._update_actions()
