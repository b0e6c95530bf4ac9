"""A warning kept in sight in the status bar for a while.

A temporary message of the status bar (``showMessage``) is replaced by the next one at once:
a warning said that way could be gone before it was read.  :class:`StatusNotice` is a label
among the bar's permanent widgets, beside its counts, which no message covers; it goes when
its time is up (a warning said again starts its time again).
"""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QLabel

from gui.formatting import plain_tip

__all__ = ["StatusNotice"]


class StatusNotice(QLabel):
    """A label for the window's status bar (hidden until :meth:`say` is called)."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setTextFormat(Qt.TextFormat.PlainText)
        self.setContentsMargins(8, 0, 8, 0)
        self.setAccessibleName("Warning")
        # On a narrow window the text is cut at the bar's edge (the tip has it whole)
        # instead of widening the window.
        self.setMinimumWidth(1)
        self._clock = QTimer(self)  # how long the warning stays (one shot per warning)
        self._clock.setSingleShot(True)
        self._clock.timeout.connect(self.hide)
        self.hide()

    def say(self, text: str, *, tooltip: str = "", ms: int) -> None:
        """Show ``text`` after a warning sign for ``ms`` milliseconds (a later warning
        replaces it and its time); ``tooltip`` (default: ``text``) says it in full."""
        self.setText(f"\u26a0 {text}")
        self.setToolTip(plain_tip(tooltip or text))
        self._clock.start(int(ms))
        self.show()
