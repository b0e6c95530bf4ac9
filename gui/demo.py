"""The demo deck one click away: Help > Open Demo Deck and ``songcal --demo``.

:class:`DemoRun` loads the bundled deck (``resources/demo``: a few short songs) and its
reference sheet into the window, analyzes the songs, fits the calibration and brings the
Calibration tab to the front, so a new user sees a whole calibration in a minute.  The
command line's ``--demo`` drives the same object (``gui.app.Automation``) and may then
export and quit.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QMessageBox

from core import paths

__all__ = ["DemoRun", "open_demo_deck"]

log = logging.getLogger(__name__)


class DemoRun(QObject):
    """Runs the demo deck through the window once: load, analyze, fit, show.

    Parameters
    ----------
    window : gui.main_window.MainWindow
        The window (parents this object).
    deck : (str, str), optional
        Folder of songs and reference sheet (default: :func:`core.paths.demo_deck`).
    """

    #: The run has ended: True when the calibration is fitted and shown, False (with the
    #: reason logged and shown in the status bar) otherwise.
    finished = Signal(bool)

    def __init__(self, window, *, deck: tuple[str, str] | None = None):
        super().__init__(window)
        self.window = window
        self.deck = deck
        self.ended: bool | None = None  # None while running, else what finished said
        self._started = False
        self._fitting = False
        self._connected = False

    @property
    def started(self) -> bool:
        """True once the demo's batch has been started."""
        return self._started

    def _connections(self):
        eng, ctrl = self.window.engine, self.window.calibration
        return ((eng.scanFinished, self._on_scanned),
                (eng.batchFinished, self._on_batch_finished),
                (ctrl.fitted, self._on_fitted),
                (ctrl.failed, self._on_failed),
                (ctrl.referenceLoaded, self._on_sheet))

    def start(self) -> bool:
        """Begin; False (and :attr:`finished` emitted) when the demo cannot run now."""
        w = self.window
        eng = w.engine
        if eng.is_running or eng.is_scanning:
            return self._end(False, "Cancel the running batch before opening the demo deck.")
        try:
            folder, sheet = self.deck or paths.demo_deck()
        except FileNotFoundError as err:
            return self._end(False, f"Cannot open the demo deck: {err}")
        for signal, slot in self._connections():
            signal.connect(slot)
        self._connected = True
        log.info("opening the demo deck %s", folder)
        w.statusBar().showMessage("Analyzing the demo deck\u2026", 5000)
        w.load_reference(sheet)
        w.add_paths([folder])
        return True

    def _on_scanned(self, _n: int) -> None:
        eng = self.window.engine
        if self._started or eng.is_scanning:
            return
        self._started = True
        if not eng.start():
            self._end(False, "The demo deck has no song to analyze.")

    def _on_sheet(self, _summary) -> None:
        if self._started and not self.window.engine.is_running and not self._fitting:
            self._fit()  # the batch ended before the sheet was read

    def _on_batch_finished(self) -> None:
        if self._started and self.window.calibration.sheet is not None:
            self._fit()

    def _fit(self) -> None:
        self._fitting = True
        ctrl = self.window.calibration
        ctrl.sync_engine()
        ctrl.fit()

    def _on_fitted(self, _calibration) -> None:
        if self._fitting:
            self.window.show_calibration()
            self._end(True, "Demo deck calibrated: see the Calibration tab.")

    def _on_failed(self, message: str) -> None:
        if self._fitting or not self._started:
            self._end(False, f"The demo could not be calibrated: {message}")

    def _end(self, ok: bool, message: str) -> bool:
        if self.ended is not None:
            return ok
        self.ended = ok
        (log.info if ok else log.error)("%s", message)
        self.window.statusBar().showMessage(message, 8000)
        if self._connected:
            self._connected = False
            for signal, slot in self._connections():
                signal.disconnect(slot)
        self.finished.emit(ok)
        return ok


def open_demo_deck(window, *, ask: bool = True) -> DemoRun | None:
    """Help > Open Demo Deck: replace the list with the demo deck and calibrate it.

    Parameters
    ----------
    window : gui.main_window.MainWindow
        The window.
    ask : bool
        Ask before replacing songs already in the list.

    Returns
    -------
    DemoRun or None
        The run, or None when the user kept the current list.
    """
    eng = window.engine
    if eng.batch.jobs and not eng.is_running:
        if ask and QMessageBox.question(
                window, "Open Demo Deck",
                f"Replace the {len(eng.batch.jobs)} songs in the list with the demo deck?"
        ) != QMessageBox.StandardButton.Yes:
            return None
        eng.clear()
    run = DemoRun(window)
    run.finished.connect(lambda _ok: run.deleteLater())
    run.start()
    return run
