"""The store bar: says, above the song table, that the window's list is not being kept in
its session store (the store cannot be opened, was written by a newer SongCal, or stopped
taking writes), and what to do about it; and, when a store that refused writes takes them
again, that every result is kept."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QPushButton

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
    kept" stays for as long as the window is open)."""

    def __init__(self, parent=None):
        super().__init__(parent)
        lay, self.label = bar_row(self, "storeBanner", AMBER, warning=True,
                                  title="Session store")
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.dismiss_button = QPushButton("Dismiss")
        lay.addWidget(self.label, 1)
        lay.addWidget(self.dismiss_button)
        self.dismiss_button.clicked.connect(self.hide)
        self.hide()

    def say(self, text: str) -> None:
        """Show ``text`` (plain text)."""
        self.label.setText(text)
        self.show()
