"""The log panel: records of the ``logging`` module, from any thread, in a read-only view."""

from __future__ import annotations

import logging

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QFont, QTextCursor
from PySide6.QtWidgets import QPlainTextEdit

from gui.formatting import shown_text

__all__ = ["LogPanel", "QtLogHandler", "EMPTY_LOG"]

#: What the panel says before anything is logged.
EMPTY_LOG = ("Nothing logged yet. Songs added and left out, failures, stalls, reference "
             "sheets and fits are listed here as they happen.")


class _Emitter(QObject):
    record = Signal(str, int)


class QtLogHandler(logging.Handler):
    """A logging handler that forwards formatted records through a Qt signal."""

    def __init__(self, level=logging.INFO):
        super().__init__(level)
        self.emitter = _Emitter()
        self.setFormatter(logging.Formatter("%(asctime)s  %(levelname)-7s %(message)s",
                                            "%H:%M:%S"))

    def emit(self, record):  # noqa: D102 - logging API
        try:
            # escaped before the signal: Qt's string drops what is not valid UTF-8
            self.emitter.record.emit(shown_text(self.format(record)), record.levelno)
        except RuntimeError:  # the panel is gone (app quitting)
            pass
        except Exception:
            self.handleError(record)


class LogPanel(QPlainTextEdit):
    """Shows log records of the ``songcal``-related loggers (keeps the last 5,000 lines).

    Parameters
    ----------
    loggers : iterable of str
        Logger names to attach to (default: the ``core`` and ``gui`` packages).
    """

    def __init__(self, parent=None, *, loggers=("core", "gui"), level=logging.INFO):
        super().__init__(parent)
        self.setReadOnly(True)
        self.setAccessibleName("Log")
        self.setMaximumBlockCount(5000)
        self.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.setPlaceholderText(EMPTY_LOG)
        font = QFont("monospace")
        font.setStyleHint(QFont.StyleHint.TypeWriter)
        font.setPointSizeF(max(8.0, font.pointSizeF() * 0.95))
        self.setFont(font)
        self.handler = QtLogHandler(level)
        self.handler.emitter.record.connect(self._append)
        self._loggers = [logging.getLogger(n) for n in loggers]
        for lg in self._loggers:
            lg.addHandler(self.handler)
            if lg.getEffectiveLevel() > level:
                lg.setLevel(level)

    def detach(self) -> None:
        """Stop receiving records (call before the panel is destroyed)."""
        for lg in self._loggers:
            lg.removeHandler(self.handler)

    def _append(self, text: str, level: int) -> None:
        if level >= logging.ERROR:
            text = f"\u2716 {text}"
        elif level >= logging.WARNING:
            text = f"\u26a0 {text}"
        bar = self.verticalScrollBar()
        following = bar.value() >= bar.maximum()
        self.appendPlainText(text)
        if following:
            # The cursor at the start of the newest line, not at its end: a long line (a
            # reference sheet's warning) would otherwise scroll the whole log sideways
            # when the panel is next shown, hiding the start of every line.
            self.setTextCursor(QTextCursor(self.document().lastBlock()))
