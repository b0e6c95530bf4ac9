"""The look the window's bars share (the stall warning, the session store's bar, the offer
to resume a batch): a rounded, tinted frame holding a row with a wrapped plain-text label."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel

__all__ = ["AMBER", "BLUE", "bar_row"]

#: ``(background, border, text)`` colours of a warning bar and of an offer.
AMBER = ("#fff3cd", "#f2a900", "#5c4400")
BLUE = ("#e8f1fd", "#2f80ed", "#163a6b")


def bar_row(frame: QFrame, name: str, colors: tuple[str, str, str], *, warning: bool,
            title: str, right_margin: int = 10) -> tuple[QHBoxLayout, QLabel]:
    """Give ``frame`` (object name ``name``) the bars' look in ``colors`` and a row layout;
    returns the row, already holding a warning sign when ``warning``, and a wrapped
    plain-text label for the caller to add where it wants it.  ``title`` names the bar to
    screen readers (its label says the rest)."""
    background, border, text = colors
    frame.setObjectName(name)
    frame.setAccessibleName(title)
    frame.setStyleSheet(
        f"#{name} {{ background: {background}; border: 1px solid {border}; "
        f"border-radius: 4px; }} #{name} QLabel {{ color: {text}; }}")
    row = QHBoxLayout(frame)
    row.setContentsMargins(10, 6, right_margin, 6)
    if warning:
        icon = QLabel("\u26a0")
        icon.setStyleSheet("font-size: 16px; color: #b07800;")
        icon.setAccessibleName("Warning")
        row.addWidget(icon)
    label = QLabel()
    label.setTextFormat(Qt.TextFormat.PlainText)
    label.setWordWrap(True)
    return row, label
