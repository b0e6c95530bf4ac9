"""The window's results export: the Export Results dialog and the CSV written off the GUI
thread, the same file as ``songcal analyze`` writes.

Part of :class:`gui.main_window.MainWindow` (a mixin).  The calibration exports are in
:mod:`gui.window_calibration`.
"""

from __future__ import annotations

import logging
import os

from PySide6.QtWidgets import QFileDialog

__all__ = ["ExportMixin", "write_results_csv", "export_inputs", "guard_export", "written_safely"]

log = logging.getLogger(__name__)


def write_results_csv(path, batch, songs=None) -> str:
    """Write the results CSV of ``batch`` exactly as ``songcal analyze`` does; returns path.

    Parameters
    ----------
    path : str or path-like
        The CSV file (written atomically).
    batch : core.batch.rules.Batch
        Its results, in batch order, and the settings they were analyzed with.
    songs : list of Job, optional
        The songs to write (the list as it was when the export was asked for), else the
        batch's songs as they are when the file is written.

    Returns
    -------
    str
        ``path``.
    """
    from core.analysis.identity import analyzer_id
    from core.io.results import write_results_csv as write

    write(path, batch.results(songs), settings=batch.settings, analyzer=analyzer_id())
    return os.fspath(path)


def export_inputs(*, songs=(), sheet=None, profile=None, store=None) -> list:
    """The window's inputs as ``(what, path)`` pairs, as :func:`guard_export` and
    :func:`written_safely` take them: the songs of the list, the reference sheet, the
    calibration profile applied and the library's store (the ones given)."""
    inputs = [("a song of the list", p) for p in songs]
    inputs += [(label, p) for label, p in (("the reference sheet", sheet),
                                           ("the calibration profile applied", profile),
                                           ("the library's store", store)) if p]
    return inputs


def guard_export(path, what: str, *, songs=(), sheet=None, profile=None, store=None,
                 inputs=None, fitted=None) -> str:
    """The file to write ``what`` to, once the command line's output guard has passed it.

    The window asks for a file name in the system's dialog, which will write over any file
    the user picks; the guard refuses, as ``songcal`` does, a name or a file that is audio,
    any of the window's inputs (a song of the list, the reference sheet, the calibration
    profile applied, the library's store, links to them included; or ``inputs``, as
    :func:`export_inputs` makes them), a folder, a read-only file and a disk too full.
    With ``fitted``, the profile applied (a
    :class:`~core.calibration.profile.CalibrationProfile`), a file with the very bytes of
    the reference sheet it was fitted on is refused too, as ``songcal apply`` refuses it
    (that sheet need not be loaded: only the profile knows it).  Call it off the GUI
    thread: it reads one ``stat`` per song.

    Raises
    ------
    core.io.outputs.OutputError
        Naming ``what``, the path and why.
    """
    from core.cli.guard import is_fitted_sheet, protect_user_files
    from core.io.outputs import OutputError, check_outputs

    if inputs is None:
        inputs = export_inputs(songs=songs, sheet=sheet, profile=profile, store=store)
    target = check_outputs({what: os.fspath(path)}, inputs=inputs,
                           protect=protect_user_files, stdout_options=())[what]
    if fitted is not None and is_fitted_sheet(target, fitted):
        name = fitted.meta.get("reference_file", "")
        raise OutputError(what, path, "it is the reference sheet the profile applied was "
                                      f"fitted on{' (' + name + ')' if name else ''}; "
                                      "SongCal never writes over its inputs")
    return target


def written_safely(write, inputs):
    """``write()``, whose atomic writes (:mod:`core.io.csvio`) refuse, at their final
    rename, a target that has become one of ``inputs`` since the guard passed it (a link to a
    song swapped in meanwhile): the song stays, what would have been written is kept in
    ``<name>.kept-<date>-<time><ext>`` beside it, and the error
    (:class:`core.io.outputs.InputReplacedError`) names that file.  Off the GUI thread: one
    ``stat`` per input."""
    from core.io.outputs import watching

    with watching(inputs, during="the export ran"):
        return write()


class ExportMixin:
    """Results export part of the main window (needs its ``exported`` signal)."""

    def export_dialog(self) -> None:
        if not self.engine.batch.jobs:
            self.statusBar().showMessage("Nothing to export yet.", 4000)
            return
        self._ask_file("Export results", "results.csv", self.export_results)

    def export_results(self, path) -> None:
        """Write the results CSV off the GUI thread; :attr:`exported` tells when it is done."""
        batch = self.engine.batch
        songs = list(batch.jobs)  # the list as it is now: songs removed meanwhile stay in it
        self._export(path, "the results file",
                     lambda target: write_results_csv(target, batch, songs),
                     lambda _r: "Results written to")

    def export_chunks_dialog(self) -> None:
        if not any(j.result is not None and j.result.chunk_results
                   for j in self.engine.batch.jobs):
            self.statusBar().showMessage("No song has chunk values to export yet.", 4000)
            return
        self._ask_file("Export chunks", "chunks.csv", self.export_chunks)

    def export_chunks(self, path) -> None:
        """Write every song's chunk values (:func:`core.io.results.write_chunks_csv`) off
        the GUI thread; :attr:`exported` tells when it is done."""
        from core.analysis.identity import analyzer_id
        from core.io.results import write_chunks_csv

        batch = self.engine.batch
        songs = list(batch.jobs)  # (as for the results)
        self._export(path, "the chunks file",
                     lambda target: write_chunks_csv(target, batch.results(songs),
                                                     settings=batch.settings,
                                                     analyzer=analyzer_id()),
                     lambda n: f"{n} chunks written to")

    def export_checked_dialog(self) -> None:
        if not any(j.result is not None and j.result.has_user_values
                   for j in self.engine.batch.jobs):
            self.statusBar().showMessage(
                "No song has a tempo or key of yours yet: correct one, or mark it Checked by "
                "Ear (Ctrl+Shift+C).", 6000)
            return
        self._ask_file("Export your checked values as a reference sheet", "my_checks.csv",
                       self.export_checked)

    def export_checked(self, path) -> None:
        """Write the user's own tempo and key of every song they set or checked by ear
        (:func:`core.io.results.write_checked_csv`) off the GUI thread, a sheet to load as
        the reference; :attr:`exported` tells when it is done."""
        from core.io.results import write_checked_csv

        batch = self.engine.batch
        songs = list(batch.jobs)  # (as for the results)
        self._export(path, "the sheet of your values",
                     lambda target: write_checked_csv(target, batch.results(songs)),
                     lambda n: f"{n} songs of yours written (load it as the reference with "
                               "Ctrl+R) to")

    def _ask_file(self, title: str, name: str, then) -> None:
        path, _ = QFileDialog.getSaveFileName(self, title, os.path.join(self._last_dir(), name),
                                              "CSV files (*.csv)")
        if path:
            then(path)

    def _export(self, path, what: str, write, said) -> None:
        """Run ``write(target)`` off the GUI thread once the output guard has passed
        ``path``; the status bar and the Log say ``said(result)`` and the path, or why it
        failed, and :attr:`exported` tells when it is done."""
        path = os.fspath(path)
        guard = self.export_guard()

        def done(result, error):
            if error:
                log.error("could not write %s: %s", path, error)
                self.statusBar().showMessage(f"Export failed: {error}", 8000)
            else:
                log.info("%s %s", said(result), path)
                self.statusBar().showMessage(f"{said(result)} {path}", 6000)
            self.exported.emit(path, error or "")

        def work():
            target = guard(path, what)
            return written_safely(lambda: write(target), guard.inputs)

        self.engine.run_task(work, done)

    def export_guard(self):
        """``guard(path, what) -> path``: :func:`guard_export` with the window's inputs as
        they are now (the songs' paths are copied here, the stat calls run in the task);
        ``guard.inputs`` are those inputs, for :func:`written_safely`."""
        songs = [j.path for j in self.engine.batch.jobs]
        cal = getattr(self, "calibration", None)
        sheet = cal.sheet.path if cal is not None and cal.sheet is not None else None
        applied = cal.session.applied if cal is not None else None
        store = getattr(self.store, "path", None) if self.store is not None else None
        inputs = export_inputs(songs=songs, sheet=sheet,
                               profile=applied.path if applied is not None else None,
                               store=store)
        fitted = applied.profile if applied is not None else None

        def guard(path, what):
            return guard_export(path, what, inputs=inputs, fitted=fitted)
        guard.inputs = inputs
        return guard
