"""The resume bar: offers to finish the batch of an earlier session that never ended."""

from __future__ import annotations

import time

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QFrame, QPushButton

from gui.bar_frame import BLUE, bar_row

__all__ = ["ResumeBanner"]


class ResumeBanner(QFrame):
    """A blue bar above the song table, shown when the last batch was interrupted.

    Signals
    -------
    resumeRequested(list)
        The user chose Resume; the session's file paths.
    dismissed()
        The user chose Dismiss.
    """

    resumeRequested = Signal(list)
    dismissed = Signal()

    def __init__(self, parent=None):
        super().__init__(parent)
        self.session: dict | None = None
        lay, self.label = bar_row(self, "resumeBanner", BLUE, warning=False,
                                  title="Unfinished batch")
        self.resume_button = QPushButton("Resume")
        self.resume_button.setToolTip("Add the songs of that batch again and analyze the ones "
                                      "not done yet (finished songs come from the store)")
        self.dismiss_button = QPushButton("Dismiss")
        lay.addWidget(self.label, 1)
        lay.addWidget(self.resume_button)
        lay.addWidget(self.dismiss_button)
        self.resume_button.clicked.connect(self._resume)
        self.dismiss_button.clicked.connect(self._dismiss)
        self.hide()

    def offer(self, session: dict) -> None:
        """Show the offer for ``session`` (as returned by ``ResultStore.unfinished_session``)."""
        self.session = session
        n = len(session.get("paths", ()))
        when = time.strftime("%Y-%m-%d %H:%M", time.localtime(session.get("created", 0)))
        self.label.setText(f"The batch started {when} ({n} songs) did not finish. "
                           "Resume it? Songs already analyzed are not analyzed again.")
        self.show()

    def _resume(self) -> None:
        if self.session is not None:
            self.resumeRequested.emit(list(self.session.get("paths", ())))
        self.hide()

    def _dismiss(self) -> None:
        self.dismissed.emit()
        self.hide()
