"""The store bar: says, above the song table, that the window's list is not being kept in
its session store (the store cannot be opened, was written by a newer SongCal, or stopped
taking writes), and what to do about it; and, when a store that refused writes takes them
again, that every result is kept.  Once the bar is dismissed, a button in the status bar
keeps counting down to the store's next try (:attr:`StoreBanner.status_button`)."""

from __future__ import annotations

import math

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QFrame, QLabel, QMenu, QPushButton, QToolButton

from gui.bar_frame import AMBER, bar_row

__all__ = ["StoreBanner", "store_news"]


def store_news(store) -> tuple[str, str]:
    """``(kind, text)``: what to say about a session store that met a problem while the
    window ran, or ``("", "")``.  ``kind`` is ``"waiting"`` (writes it refused wait in
    memory for it to take writes again), ``"caught up"`` (it took them all), or
    ``"failed"`` (something was not kept: lost when refused for good or past the backlog's
    bound, or the problem was a read)."""
    problem = getattr(store, "problem", None)
    if not problem:
        return "", ""
    waiting = store.backlog() if hasattr(store, "backlog") else {"writes": 0, "songs": 0}
    stats = store.stats
    if not stats.failed_writes and waiting["writes"]:
        n = waiting["songs"]
        what = (f"the results of {n} song{'s' if n != 1 else ''} are not kept yet" if n
                else "its last changes are not kept yet")
        return "waiting", (
            f"The session store {store.path} refuses writes: {problem}. The list is all "
            f"here, but {what}: they are written as soon as the store takes writes again. "
            "Keep the window open, or export them (File \u25b8 Export Results).")
    if not stats.failed_writes and getattr(stats, "late", 0):
        return "caught up", (f"The session store {store.path} takes writes again: every "
                             "result is kept.")
    return "failed", (
        f"The session store {store.path} failed: {problem}. The songs and results in the "
        "list are all here, but some may not come back at the next start: export them "
        "(File \u25b8 Export Results).")


class StoreBanner(QFrame):
    """An amber bar above the song table; Dismiss hides it (the status bar's "List not
    kept" stays for as long as the window is open).  While a store it follows
    (:meth:`follow`) holds refused writes, the bar counts down to its next try of them
    and offers Try Now; with the bar dismissed, :attr:`status_button` (for the window's
    status bar) does: "Store: next try in 12 s", a click tries now, its menu offers Try
    Now and Show the Store Bar.  It goes when the store takes writes again."""

    def __init__(self, parent=None):
        super().__init__(parent)
        lay, self.label = bar_row(self, "storeBanner", AMBER, warning=True,
                                  title="Session store")
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.next_label = QLabel()
        self.next_label.setAccessibleName("Next try")
        # as wide as its widest text: the bar's words do not rewrap as the seconds count down
        fm = self.next_label.fontMetrics()
        self.next_label.setMinimumWidth(max(fm.horizontalAdvance(t) for t in (
            "next try in 60 s", "trying now\u2026")) + 4)
        self.try_button = QPushButton("Try Now")
        self.try_button.setToolTip("Try the refused writes again now (a freed disk, a "
                                   "program that let go of the store)")
        self.dismiss_button = QPushButton("Dismiss")
        lay.addWidget(self.label, 1)
        lay.addWidget(self.next_label)
        lay.addWidget(self.try_button)
        lay.addWidget(self.dismiss_button)
        self.dismiss_button.clicked.connect(self.hide)
        self.try_button.clicked.connect(self.try_now)
        #: The countdown in the status bar while the bar is dismissed (the window adds it).
        self.status_button = QToolButton()
        self.status_button.setAutoRaise(True)
        self.status_button.setPopupMode(QToolButton.ToolButtonPopupMode.MenuButtonPopup)
        self.status_button.setAccessibleName("Session store")
        self.status_button.setToolTip("The session store refuses writes and is tried again "
                                      "now and then: click to try it now")
        self.status_button.clicked.connect(self.try_now)
        menu = QMenu(self.status_button)
        self.try_action = menu.addAction("&Try Now", self.try_now)
        self.show_action = menu.addAction("&Show the Store Bar", self.show)
        self.status_button.setMenu(menu)
        self.status_button.hide()
        self._store = None
        # A display clock: the countdown is in whole seconds, so once a second.
        self._clock = QTimer(self)
        self._clock.setInterval(1000)
        self._clock.timeout.connect(self.tick)
        self._asked = None  # the event of a Try Now the writer has not run yet
        self.next_label.hide()
        self.try_button.hide()
        self.hide()

    @property
    def followed(self):
        """The store the bar counts down for, or None."""
        return self._store

    def follow(self, store) -> None:
        """Count down to ``store``'s next try of the writes it refused, for as long as
        it holds some (None: stop)."""
        self._store = store
        self.tick()

    def tick(self) -> None:
        """Say when the next try is (the store only answers a clock: no store work)."""
        store = self._store
        wait = store.next_try_in() if store is not None else None
        if wait is None:
            self._clock.stop()
            self.next_label.hide()
            self.try_button.hide()
            self.status_button.hide()
            return
        asked = self._asked is not None and not self._asked.is_set()
        if asked or wait < 0.5:
            self.next_label.setText("trying now…")
        else:
            self.next_label.setText(f"next try in {math.ceil(wait)} s")
        self.try_button.setEnabled(not asked)
        self.try_action.setEnabled(not asked)
        self.next_label.show()
        self.try_button.show()
        self.status_button.setText(f"Store: {self.next_label.text()}")
        # (only once the window has put it in its status bar: no window of its own)
        self.status_button.setVisible(self.isHidden() and self.status_button.parent() is not None)
        if not self._clock.isActive():
            self._clock.start()

    def try_now(self) -> None:
        """Have the store try its refused writes now, on its writer thread (the bar says
        what came of it at the window's next look at the store)."""
        if self._store is not None:
            self._asked = self._store.try_now()
        self.tick()

    def setVisible(self, visible: bool) -> None:  # noqa: N802 - Qt API
        # the status bar's countdown stands in for a dismissed bar, and goes when it is back
        super().setVisible(visible)
        if hasattr(self, "_clock"):  # (not while it is being made)
            self.tick()

    def say(self, text: str) -> None:
        """Show ``text`` (plain text)."""
        self.label.setText(text)
        self.show()
