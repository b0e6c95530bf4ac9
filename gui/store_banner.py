"""The store bar: says, above the song table, that the window's list is not being kept in
its session store (the store cannot be opened, was written by a newer SongCal, or stopped
taking writes), and what to do about it."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton

__all__ = ["StoreBanner"]


class StoreBanner(QFrame):
    """An amber bar above the song table; Dismiss hides it (the status bar's "List not
    kept" stays for as long as the window is open)."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("storeBanner")
        self.setStyleSheet(
            "#storeBanner { background: #fff3cd; border: 1px solid #f2a900; border-radius: 4px; }"
            " #storeBanner QLabel { color: #5c4400; }")
        lay = QHBoxLayout(self)
        lay.setContentsMargins(10, 6, 10, 6)
        icon = QLabel("\u26a0")
        icon.setStyleSheet("font-size: 16px; color: #b07800;")
        self.label = QLabel()
        self.label.setTextFormat(Qt.TextFormat.PlainText)
        self.label.setWordWrap(True)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.dismiss_button = QPushButton("Dismiss")
        lay.addWidget(icon)
        lay.addWidget(self.label, 1)
        lay.addWidget(self.dismiss_button)
        self.dismiss_button.clicked.connect(self.hide)
        self.hide()

    def say(self, text: str) -> None:
        """Show ``text`` (plain text)."""
        self.label.setText(text)
        self.show()
