"""A warning kept in sight in the status bar for as long as what it says holds.

A temporary message of the status bar (``showMessage``) is replaced by the next one at once:
a warning said that way could be gone before it was read.  :class:`StatusNotice` sits among
the bar's permanent widgets, beside its counts, which no message covers.  It stays until
its owner takes it back (:meth:`StatusNotice.clear`, once the warning no longer holds) or
the user dismisses it with its close button; its tip says the warning in full, however
short the line beside the counts.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHBoxLayout, QLabel, QToolButton, QWidget

from gui.formatting import plain_tip

__all__ = ["StatusNotice"]


class StatusNotice(QWidget):
    """A warning for the window's status bar: a label and a close button (hidden until
    :meth:`say` is called)."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setAccessibleName("Warning")
        self.label = QLabel()
        self.label.setTextFormat(Qt.TextFormat.PlainText)
        # On a narrow window the text is cut at the bar's edge (the tip has it whole)
        # instead of widening the window.
        self.label.setMinimumWidth(1)
        self.close_button = QToolButton()
        self.close_button.setText("\u2715")
        self.close_button.setAutoRaise(True)
        self.close_button.setToolTip("Dismiss this warning")
        self.close_button.setAccessibleName("Dismiss the warning")
        self.close_button.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # (the bar takes no focus)
        self.close_button.clicked.connect(self.clear)
        row = QHBoxLayout(self)
        row.setContentsMargins(8, 0, 0, 0)
        row.setSpacing(2)
        row.addWidget(self.label, 1)
        row.addWidget(self.close_button)
        self.hide()

    def text(self) -> str:
        """The line shown (empty when none is)."""
        return self.label.text()

    def say(self, text: str, *, tooltip: str = "") -> None:
        """Show ``text`` after a warning sign until :meth:`clear` or the user dismisses it
        (a later warning replaces it); ``tooltip`` (default: ``text``) says it in full."""
        tip = plain_tip(tooltip or text)
        self.label.setText(f"\u26a0 {text}")
        self.setToolTip(tip)
        self.label.setToolTip(tip)
        self.show()

    def clear(self) -> None:
        """Take the warning away: what it said no longer holds, or the user closed it."""
        self.label.clear()
        self.setToolTip("")
        self.label.setToolTip("")
        self.hide()
