"""The window's results export: the Export Results dialog and the CSV written off the GUI
thread, the same file as ``songcal analyze`` writes.

Part of :class:`gui.main_window.MainWindow` (a mixin).  The calibration exports are in
:mod:`gui.window_calibration`.
"""

from __future__ import annotations

import logging
import os

from PySide6.QtWidgets import QFileDialog

__all__ = ["ExportMixin", "write_results_csv"]

log = logging.getLogger(__name__)


def write_results_csv(path, batch) -> str:
    """Write the results CSV of ``batch`` exactly as ``songcal analyze`` does; returns path.

    Parameters
    ----------
    path : str or path-like
        The CSV file (written atomically).
    batch : core.batch.rules.Batch
        Its results, in batch order, and the settings they were analyzed with.

    Returns
    -------
    str
        ``path``.
    """
    from core.analysis.identity import analyzer_id
    from core.io.results import write_results_csv as write

    write(path, batch.results(), settings=batch.settings, analyzer=analyzer_id())
    return os.fspath(path)


class ExportMixin:
    """Results export part of the main window (needs its ``exported`` signal)."""

    def export_dialog(self) -> None:
        if not self.engine.batch.jobs:
            self.statusBar().showMessage("Nothing to export yet.", 4000)
            return
        path, _ = QFileDialog.getSaveFileName(
            self, "Export results", os.path.join(self._last_dir(), "results.csv"),
            "CSV files (*.csv)")
        if path:
            self.export_results(path)

    def export_results(self, path) -> None:
        """Write the results CSV off the GUI thread; :attr:`exported` tells when it is done."""
        path = os.fspath(path)
        batch = self.engine.batch

        def done(result, error):
            if error:
                log.error("could not write %s: %s", path, error)
                self.statusBar().showMessage(f"Export failed: {error}", 8000)
            else:
                log.info("results written to %s", path)
                self.statusBar().showMessage(f"Results written to {path}", 6000)
            self.exported.emit(path, error or "")

        self.engine.run_task(lambda: write_results_csv(path, batch), done)
