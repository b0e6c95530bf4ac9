"""Crash reports: an unexpected exception in the window is logged with its traceback and
shown in a dialog (the traceback, the log file's path, Copy), instead of the window
vanishing or the error going unnoticed.

:func:`install` replaces ``sys.excepthook`` (which PySide calls for an exception escaping a
slot or a runnable) and ``threading.excepthook``.  An exception may arrive on any thread:
the hook logs it there and hands the text to the GUI thread through a queued signal, where
one dialog at a time shows it; more errors while it is open are added to it.
"""

from __future__ import annotations

import logging
import sys
import threading
import traceback
import weakref

from PySide6.QtCore import QObject, Qt, Signal, Slot
from PySide6.QtGui import QFontDatabase, QGuiApplication
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
)

from gui.keyboard import buttons_in_visual_order

__all__ = ["CrashDialog", "CrashReporter", "install"]

log = logging.getLogger("gui")


class CrashDialog(QDialog):
    """Shows an unexpected error: its traceback, where the log file is, and Copy.

    Parameters
    ----------
    text : str
        The formatted traceback.
    log_path : str or None
        The log file of this run.
    parent : QWidget, optional
        The window.
    """

    def __init__(self, text: str, log_path: str | None, parent=None):
        super().__init__(parent)
        self.setWindowTitle("SongCal: unexpected error")
        self.resize(720, 460)
        self.log_path = log_path
        last = text.strip().splitlines()[-1] if text.strip() else "unknown error"
        head = QLabel(f"<b>SongCal hit an unexpected error:</b> {_escape(last)}<br>"
                      "The batch and the window may go on; save your exports, and please "
                      "report the details below.")
        head.setWordWrap(True)
        head.setTextFormat(Qt.TextFormat.RichText)
        where = (f"Log file: {log_path}" if log_path
                 else "No log file could be written for this run.")
        self.log_label = QLabel(where)
        self.log_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.log_label.setWordWrap(True)
        self.details = QPlainTextEdit(text)
        self.details.setReadOnly(True)
        self.details.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.details.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.copy_button = QPushButton("&Copy")
        self.copy_button.setToolTip("Copy the error and the log file's path")
        buttons.addButton(self.copy_button, QDialogButtonBox.ButtonRole.ActionRole)
        self.copy_button.clicked.connect(self.copy)
        buttons.rejected.connect(self.reject)
        lay = QVBoxLayout(self)
        lay.addWidget(head)
        lay.addWidget(self.details, 1)
        lay.addWidget(self.log_label)
        lay.addWidget(buttons)
        buttons_in_visual_order(buttons)  # once the box is in the dialog

    def add(self, text: str) -> None:
        """Append another error's traceback."""
        self.details.appendPlainText("\n" + text)

    def report_text(self) -> str:
        """What Copy puts on the clipboard."""
        where = f"\nLog file: {self.log_path}" if self.log_path else ""
        return self.details.toPlainText().rstrip() + where + "\n"

    def copy(self) -> None:
        """Put the error report on the clipboard."""
        QGuiApplication.clipboard().setText(self.report_text())


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


class CrashReporter(QObject):
    """Receives formatted errors from any thread and shows them in the GUI thread."""

    #: A formatted traceback; emitted from any thread, handled in the GUI thread.
    caught = Signal(str)

    def __init__(self, window, log_path: str | None):
        super().__init__(window)
        # weakly: the window keeps its reporter (crash_reporter), and a reporter holding
        # the window back made a reference cycle that only the garbage collector freed
        self._window = weakref.ref(window)
        self.log_path = log_path
        self.dialog: CrashDialog | None = None
        self.caught.connect(self._show, Qt.ConnectionType.QueuedConnection)

    @property
    def window(self):
        """The window the dialog shows on (None once it is gone)."""
        return self._window()

    def report(self, exc_type, exc, tb) -> None:
        """Log the error with its traceback and have the dialog show it (any thread)."""
        text = "".join(traceback.format_exception(exc_type, exc, tb))
        log.error("unexpected error\n%s", text)
        try:
            self.caught.emit(text)
        except RuntimeError:  # the window is gone (quitting): the log has it
            pass

    @Slot(str)
    def _show(self, text: str) -> None:
        if self.dialog is not None and self.dialog.isVisible():
            self.dialog.add(text)
            return
        window = self.window
        if window is None or not window.isVisible():
            return
        self.dialog = CrashDialog(text, self.log_path, window)
        self.dialog.setModal(False)
        self.dialog.show()


def install(window, log_path: str | None):
    """Send unexpected exceptions of this process to a :class:`CrashReporter` on ``window``.

    Parameters
    ----------
    window : QWidget
        The main window (parents the reporter and the dialog).
    log_path : str or None
        The log file of this run, named in the dialog.

    Returns
    -------
    callable
        Restores the previous hooks (call it when the window's event loop has ended).
    """
    reporter = CrashReporter(window, log_path)
    old_sys, old_thread = sys.excepthook, threading.excepthook

    def thread_hook(args):
        if args.exc_type is SystemExit:
            return
        reporter.report(args.exc_type, args.exc_value, args.exc_traceback)

    sys.excepthook = reporter.report
    threading.excepthook = thread_hook
    window.crash_reporter = reporter

    def restore() -> None:
        sys.excepthook, threading.excepthook = old_sys, old_thread

    return restore
