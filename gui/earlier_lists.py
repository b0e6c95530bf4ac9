"""File > Open Earlier List: the lists the session store keeps, each summed up so the user
recognizes it (when it was last used, its songs, how many were analyzed or failed, whether
its batch ended, its first folder and songs), to open one in place of the window's list or
to delete one no longer wanted.

The store is read, and a list deleted, off the window's thread (the window's ``run_task``).
A list another running SongCal holds is not shown (a line says how many there are); the
window's own list is shown greyed.  Opening is the window's (:meth:`gui.library.Library.open`):
the dialog says "Opening..." until the window tells it the outcome (:meth:`opened`).
"""

from __future__ import annotations

import os
import time

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QLabel,
    QMessageBox,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
)

__all__ = ["EarlierListsDialog", "when_text", "batch_text", "holds_text"]

#: The columns of the dialog's table.
HEADERS = ("Last used", "Songs", "Analyzed", "Failed", "Batch", "What it holds")

#: Role of the first cell: the list's id in the store.
LIST_ID = Qt.ItemDataRole.UserRole


def when_text(t: float, now: float | None = None) -> str:
    """``t`` (s since the epoch) as a day and time: "today 14:03", "yesterday 09:12", else
    "2026-11-30 18:45"."""
    now = time.time() if now is None else now
    day, today = time.localtime(t), time.localtime(now)
    clock = time.strftime("%H:%M", day)
    if day[:3] == today[:3]:
        return f"today {clock}"
    if day[:3] == time.localtime(now - 86400)[:3]:
        return f"yesterday {clock}"
    return time.strftime("%Y-%m-%d %H:%M", day)


def batch_text(entry: dict) -> str:
    """Whether the list's batch ended: "Interrupted" (it never ended: the window was closed
    hard or crashed), "Ended" (every song has a result), else how many wait."""
    left = entry["songs"] - entry["results"]
    if entry["ended"] is None:
        return f"Interrupted ({left} left)" if left > 0 else "Interrupted"
    return "Ended" if left <= 0 else f"{left} not analyzed"


def holds_text(entry: dict) -> str:
    """The first song's folder and the first songs' names, to recognize the list by."""
    sample = entry.get("sample") or []
    if not sample:
        return "(no songs)"
    names = ", ".join(os.path.basename(p) for p in sample)
    more = "\u2026" if entry["songs"] > len(sample) else ""
    return f"{os.path.dirname(sample[0]) or '.'}: {names}{more}"


class EarlierListsDialog(QDialog):
    """The store's lists to open or delete.

    ``store`` is the window's :class:`core.batch.store.ResultStore`; ``run_task(fn,
    on_done)`` runs ``fn`` off the window's thread and calls ``on_done(result, error)`` on it
    (:meth:`gui.engine.BatchEngine.run_task`).

    Signals
    -------
    chosen(int)
        The user asked to open list ``id``; the window answers with :meth:`opened`.
    """

    chosen = Signal(int)

    def __init__(self, store, run_task, parent=None):
        super().__init__(parent)
        self.setWindowTitle("Open Earlier List")
        self.store, self._run_task = store, run_task
        self._reads = 0  # the newest read's number: an older one that ends later is ignored
        self.opening: int | None = None
        lay = QVBoxLayout(self)
        intro = QLabel("The lists kept in the session store, the one used last first. "
                       "Opening one replaces this window's list, which stays in the store "
                       "and can be opened again from here.")
        intro.setWordWrap(True)
        lay.addWidget(intro)
        self.tree = QTreeWidget()
        self.tree.setAccessibleName("Earlier lists")
        self.tree.setHeaderLabels(list(HEADERS))
        self.tree.setRootIsDecorated(False)
        self.tree.setUniformRowHeights(True)
        self.tree.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.tree.itemSelectionChanged.connect(self._update_buttons)
        self.tree.itemDoubleClicked.connect(lambda *_: self._open())
        lay.addWidget(self.tree, 1)
        self.note = QLabel()
        self.note.setWordWrap(True)
        self.note.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        lay.addWidget(self.note)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.open_button = QPushButton("&Open")
        self.open_button.setToolTip("Show this list and its results in place of the "
                                    "window's list")
        self.delete_button = QPushButton("&Delete\u2026")
        self.delete_button.setToolTip("Remove this list and its results from the session "
                                      "store (the cached analyses stay)")
        buttons.addButton(self.open_button, QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.addButton(self.delete_button, QDialogButtonBox.ButtonRole.DestructiveRole)
        buttons.accepted.connect(self._open)
        buttons.rejected.connect(self.reject)
        self.open_button.setDefault(True)
        lay.addWidget(buttons)
        self.delete_button.clicked.connect(self._delete)
        self.resize(860, 380)
        self._update_buttons()

    # -- reading --------------------------------------------------------------------------
    def refresh(self, note: str = "") -> None:
        """Read the lists again (in the background); ``note`` is said above the buttons
        once they are shown."""
        self._reads += 1
        number = self._reads
        self.note.setText("Reading the lists\u2026")
        self._update_buttons()
        self._run_task(self.store.list_libraries,
                       lambda lists, error: self._show(number, lists, error, note))

    def _show(self, number: int, lists, error, note: str) -> None:
        if number != self._reads:
            return
        chosen = self._current_id()
        self.tree.clear()
        if error or lists is None:
            self.note.setText(f"The session store could not be read: "
                              f"{error or self.store.problem or 'see the log'}.")
            self._update_buttons()
            return
        held = sum(1 for e in lists if e["held"])
        shown = [e for e in lists if not e["held"] and (e["songs"] or e["mine"])]
        for entry in shown:
            item = QTreeWidgetItem([when_text(entry["used"]), str(entry["songs"]),
                                    str(entry["done"]), str(entry["failed"]),
                                    batch_text(entry), holds_text(entry)])
            item.setData(0, LIST_ID, entry["id"])
            for col in (1, 2, 3):
                item.setTextAlignment(col, Qt.AlignmentFlag.AlignRight
                                      | Qt.AlignmentFlag.AlignVCenter)
            tip = "\n".join(entry["sample"])
            if entry["reference"]:
                tip += f"\nReference sheet: {entry['reference']}"
            if entry["mine"]:
                item.setText(5, f"This window's list \u2014 {holds_text(entry)}")
                item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsEnabled
                              & ~Qt.ItemFlag.ItemIsSelectable)
                tip = "Shown in this window now\n" + tip
            item.setToolTip(5, tip)
            self.tree.addTopLevelItem(item)
            if entry["id"] == chosen:
                item.setSelected(True)
        for col in range(len(HEADERS) - 1):
            self.tree.resizeColumnToContents(col)
        lines = [note] if note else []
        if held:
            lines.append(f"{held} list{'s are' if held != 1 else ' is'} open in other "
                         "SongCal windows and not shown here (close that window to open "
                         "it here).")
        if not held and not any(not e["mine"] for e in shown):
            lines.append("No other list is kept in the session store.")
        self.note.setText(" ".join(lines))
        if not self.tree.selectedItems():
            first = next((self.tree.topLevelItem(i) for i in range(self.tree.topLevelItemCount())
                          if self.tree.topLevelItem(i).flags() & Qt.ItemFlag.ItemIsEnabled),
                         None)
            if first is not None:
                first.setSelected(True)
                self.tree.setCurrentItem(first)
        self._update_buttons()

    def list_ids(self) -> list[int]:
        """The ids of the lists shown, in order (the window's own one too)."""
        return [self.tree.topLevelItem(i).data(0, LIST_ID)
                for i in range(self.tree.topLevelItemCount())]

    def select(self, sid: int) -> bool:
        """Select list ``sid``; False when it is not shown or cannot be opened."""
        for i in range(self.tree.topLevelItemCount()):
            item = self.tree.topLevelItem(i)
            if item.data(0, LIST_ID) == sid and item.flags() & Qt.ItemFlag.ItemIsEnabled:
                self.tree.clearSelection()
                item.setSelected(True)
                self.tree.setCurrentItem(item)
                return True
        return False

    def _current_id(self) -> int | None:
        items = self.tree.selectedItems()
        return items[0].data(0, LIST_ID) if items else None

    def _update_buttons(self) -> None:
        free = self._current_id() is not None and self.opening is None
        self.open_button.setEnabled(free)
        self.delete_button.setEnabled(free)

    # -- opening --------------------------------------------------------------------------
    def _open(self) -> None:
        sid = self._current_id()
        if sid is None or self.opening is not None:
            return
        self.opening = sid
        self.note.setText("Opening the list\u2026")
        self._update_buttons()
        self.chosen.emit(sid)

    def opened(self, ok: bool, why: str = "") -> None:
        """The window's answer to :attr:`chosen`: the list shows (the dialog closes), or it
        could not be opened (said here, and the lists are read again)."""
        self.opening = None
        if ok:
            self.accept()
            return
        self.refresh(f"That list could not be opened: {why}.")

    # -- deleting -------------------------------------------------------------------------
    def _confirm_delete(self, text: str) -> bool:
        box = QMessageBox(QMessageBox.Icon.Warning, "Delete list", text,
                          QMessageBox.StandardButton.Cancel, self)
        yes = box.addButton("Delete", QMessageBox.ButtonRole.DestructiveRole)
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)
        box.exec()
        return box.clickedButton() is yes

    def _delete(self) -> None:
        items = self.tree.selectedItems()
        if not items or self.opening is not None:
            return
        item = items[0]
        sid = item.data(0, LIST_ID)
        if not self._confirm_delete(
                f"Delete the list last used {item.text(0)} ({item.text(1)} songs) and its "
                "results from the session store? This cannot be undone; the songs' files "
                "are not touched, and a song analyzed again with the same settings still "
                "comes from the store."):
            return
        self.note.setText("Deleting the list\u2026")
        self._run_task(lambda: self.store.delete_library(sid), self._deleted)

    def _deleted(self, why, error) -> None:
        why = error or why
        self.refresh(f"That list could not be deleted: {why}." if why else
                     "The list was deleted.")
