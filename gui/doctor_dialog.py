"""Help > Check Installation: the report of ``songcal doctor`` in a dialog, with Copy for
bug reports.

The checks (:func:`core.cli.doctor.run_checks`) run on the dialog's own one-thread pool, so a
busy batch neither delays them nor is delayed by them; the Qt platform in use is passed in,
since the window knows it for certain.
"""

from __future__ import annotations

from PySide6.QtCore import QThreadPool, Signal
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
from gui.tasks import run_task

__all__ = ["DoctorDialog", "show_report"]


class DoctorDialog(QDialog):
    """Runs the installation checks and shows their report.

    Parameters
    ----------
    parent : QWidget, optional
        The window.
    store_path : str, optional
        Session store to check (default: the user's).
    """

    #: The report is shown: ``(text, number of problems)``.
    reportReady = Signal(str, int)

    def __init__(self, parent=None, *, store_path: str | None = None):
        super().__init__(parent)
        self.setWindowTitle("SongCal: Check Installation")
        self.resize(760, 620)
        self.report = None
        self.summary = QLabel("Checking the installation\u2026")
        self.summary.setWordWrap(True)
        self.text = QPlainTextEdit()
        self.text.setReadOnly(True)
        self.text.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.text.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.copy_button = QPushButton("&Copy")
        self.copy_button.setToolTip("Copy the report, to paste it into a bug report")
        self.copy_button.setEnabled(False)
        buttons.addButton(self.copy_button, QDialogButtonBox.ButtonRole.ActionRole)
        self.copy_button.clicked.connect(self.copy)
        buttons.rejected.connect(self.reject)
        lay = QVBoxLayout(self)
        lay.addWidget(self.summary)
        lay.addWidget(self.text, 1)
        lay.addWidget(buttons)
        buttons_in_visual_order(buttons)  # once the box is in the dialog
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(1)
        platform = QGuiApplication.platformName() or None

        def work():
            from core.cli.doctor import run_checks

            return run_checks(store_path=store_path, qt_platform=platform)

        run_task(self._pool, self, work, self._show)

    def _show(self, report, error) -> None:
        if error:
            self.summary.setText(f"The checks could not run: {error}")
            self.text.setPlainText(str(error))
            self.copy_button.setEnabled(True)
            self.reportReady.emit(str(error), 1)
            return
        self.report = report
        problems = report.problems
        self.summary.setText("All is well." if not problems else
                             f"{len(problems)} problem{'s' if len(problems) > 1 else ''} "
                             "found (listed at the end).")
        self.text.setPlainText(report.text())
        self.copy_button.setEnabled(True)
        self.reportReady.emit(report.text(), len(problems))

    def copy(self) -> None:
        """Put the report on the clipboard."""
        QGuiApplication.clipboard().setText(self.text.toPlainText())
        self.summary.setText(self.summary.text().split(" (Copied")[0]
                             + " (Copied to the clipboard.)")

    def done(self, result: int) -> None:  # noqa: D102 - Qt API
        self._pool.waitForDone(10000)  # the checks end within seconds; never leave them behind
        super().done(result)


def show_report(window, *, store_path: str | None = None) -> DoctorDialog:
    """Open the report dialog over ``window`` (non-modal); returns it."""
    if store_path is None:  # the window's own store, when it has one on disk
        store_path = getattr(getattr(window, "store", None), "path", None)
        store_path = None if store_path == ":memory:" else store_path
    dialog = DoctorDialog(window, store_path=store_path)
    dialog.setModal(False)
    dialog.show()
    return dialog
