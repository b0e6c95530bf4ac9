"""The window's calibration controller: threading and signals around a calibration session.

:class:`CalibrationController` owns a :class:`core.calibration.session.CalibrationSession`,
which holds the logic: the reference sheet, the results, the match with the user's manual
pairs, the fit, the summaries, the applied profile and the exports.  The controller runs the
slow steps (reading a sheet, matching, fitting, exporting, applying a profile) on its own
one-thread ``QThreadPool``, so they run one after the other in the order asked, each on a
copy of the session; it takes the outcome back in the GUI thread and announces it with a
signal.  It also keeps the session in step with a running batch
(:meth:`~CalibrationController.follow_engine`).
"""

from __future__ import annotations

import logging
import os

from PySide6.QtCore import QObject, QThreadPool, Signal

from core.calibration.matching import MatchResult
from core.calibration.profile import load_profile, save_profile
from core.calibration.reference import (
    ReferenceRow,
    ReferenceSheet,
    load_reference,
    reads_as_sheet,
)
from core.calibration.session import CalibrationOptions, CalibrationSession
from core.calibration.summary import reference_summary
from core.io.inputs import sheets_among
from gui.calibration_follower import EngineFollower
from gui.tasks import run_task
from gui.window_exports import export_inputs, guard_export, written_safely

__all__ = ["CalibrationController", "is_reference_file", "REFERENCE_FILE_FILTER"]

log = logging.getLogger(__name__)

#: The file dialogs' filter for reference sheets.
REFERENCE_FILE_FILTER = "Reference sheets (*.csv *.tsv *.txt *.xlsx *.xlsm);;All files (*)"


def is_reference_file(path) -> bool:
    """True when a path dropped alone is loaded as a reference sheet (a ``.csv``, ``.tsv``,
    ``.txt`` or Excel ``.xlsx``/``.xlsm`` file: :func:`core.io.inputs.sheets_among`)."""
    return sheets_among([path]).sheet is not None


class CalibrationController(QObject):
    """Runs the window's calibration session in the background and signals the outcome.

    Parameters
    ----------
    parent : QObject, optional
    settings : AnalysisSettings, dict or str, optional
        Analysis settings recorded in the exports (see :meth:`set_settings`).
    options : CalibrationOptions, optional
        Folds, seed, least gain and match threshold of the session.
    """

    #: ``(ReferenceSummary)`` a sheet was read (matching follows when results are set).
    referenceLoaded = Signal(object)
    #: ``(MatchSummary)`` the songs were (re-)matched, or a manual match changed the pairs.
    matched = Signal(object)
    #: ``(Calibration)`` a fit ended.
    fitted = Signal(object)
    #: ``(dict)`` export kind -> path written.
    exported = Signal(dict)
    #: ``(AppliedProfile)`` a profile was read and applied to the current results.
    profileApplied = Signal(object)
    #: ``(str)`` a task failed; the message names the file and the reason.
    failed = Signal(str)
    #: ``(str)`` a text file named with songs reads as a sheet but was not loaded in place
    #: of the loaded one (:meth:`load_text_sheet`); the message names both.
    declined = Signal(str)
    #: ``(bool)`` background work started (True) or the last task ended (False).
    busyChanged = Signal(bool)

    def __init__(self, parent=None, *, settings=None, options: CalibrationOptions | None = None):
        super().__init__(parent)
        #: The calibration logic; read it freely in the GUI thread.
        self.session = CalibrationSession(options=options, settings=settings)
        self.pool = QThreadPool(self)
        self.pool.setMaxThreadCount(1)  # tasks run in the order they were asked for
        self._matching = False
        self._match_again = False
        self._tasks: set = set()
        self._closing = False
        self._follower = EngineFollower(self.set_results, self)

    # -- what the table and the dialogs read (the rest: self.session) --------------------
    @property
    def sheet(self) -> ReferenceSheet | None:
        """The reference sheet (None before one is loaded)."""
        return self.session.sheet

    @property
    def rows(self) -> list[dict]:
        """The results rows; a song's index is its position here."""
        return self.session.rows

    @property
    def match(self) -> MatchResult | None:
        """The pairing of results with sheet rows (None before any)."""
        return self.session.match

    @property
    def busy(self) -> bool:
        """True while a background task runs or waits."""
        return bool(self._tasks)

    @property
    def has_reference(self) -> bool:
        """True once a sheet is loaded."""
        return self.session.sheet is not None

    def song_index(self, key) -> int | None:
        """Position of the song with key ``key`` (see :meth:`set_results`), or None."""
        return self.session.song_index(key)

    def reference_row(self, song_index: int) -> ReferenceRow | None:
        """The reference row matched with song ``song_index`` (None when unmatched)."""
        return self.session.reference_row(song_index)

    def set_settings(self, settings) -> None:
        """Analysis settings recorded in later exports (AnalysisSettings, dict or str)."""
        self.session.settings = settings

    # -- actions --------------------------------------------------------------------------
    def load_reference(self, path) -> None:
        """Read a reference sheet in the background; emits :attr:`referenceLoaded` (then
        :attr:`matched` when results are set) or :attr:`failed`.  Manual matches of an
        earlier sheet are dropped."""
        path = os.fspath(path)

        def done(sheet, error):
            if error:
                self.failed.emit(f"Cannot load the reference sheet {os.path.basename(path)}: "
                                 f"{error}")
                return
            self._adopt_sheet(sheet)

        self._run(lambda: load_reference(path), done)

    def load_text_sheet(self, paths) -> None:
        """Load the first of ``paths`` (text files named with songs:
        :attr:`core.io.inputs.SheetsAmongPaths.maybe`) whose header reads as a reference
        sheet's (:func:`core.calibration.reference.reads_as_sheet`), in the background, as
        :meth:`load_reference` does; but never in place of a sheet loaded by then: that is
        said with :attr:`declined`.  Text that is no sheet (a readme, lyrics) is ignored
        with a line in the log, as the scan ignores files that are not audio."""
        paths = [os.fspath(p) for p in paths]
        if not paths:
            return
        loaded = self.has_reference

        def work():
            sheets = [p for p in paths if reads_as_sheet(p)]
            first = sheets[0] if sheets else None
            sheet = load_reference(first) if first is not None and not loaded else None
            return [p for p in paths if p not in sheets], sheets, sheet

        def done(result, error):
            if error:
                self.failed.emit(f"Cannot load the reference sheet: {error}")
                return
            others, sheets, sheet = result
            if others:
                log.info("ignored %s: text that is neither a reference sheet (no header "
                         "naming a title or file column) nor audio",
                         ", ".join(os.path.basename(p) for p in others))
            if not sheets:
                return
            if len(sheets) > 1:
                log.warning("%d reference sheets added; loading %s only", len(sheets),
                            os.path.basename(sheets[0]))
            current = self.session.sheet
            if current is not None:
                self.declined.emit(
                    f"{os.path.basename(sheets[0])} was not loaded: a text file added with "
                    f"songs does not replace the reference sheet {current.name} (drop it "
                    "alone, or use Load Reference)")
            elif sheet is None:  # the sheet loaded when this was asked is gone since
                self.load_reference(sheets[0])
            else:
                self._adopt_sheet(sheet)

        self._run(work, done)

    def _adopt_sheet(self, sheet: ReferenceSheet) -> None:
        """Make ``sheet`` (read in the background) the session's reference and say so."""
        self.session.set_reference(sheet)
        self.referenceLoaded.emit(reference_summary(sheet))
        if self.session.rows:
            self._rematch()

    def set_results(self, rows, *, keys=None) -> None:
        """Give the current results (see
        :meth:`core.calibration.session.CalibrationSession.set_results`); once a sheet is
        loaded they are matched in the background, repeated calls while a match runs
        folding into one more match.

        Raises
        ------
        ValueError
            When ``keys`` and ``rows`` differ in length or ``keys`` repeats a value.
        """
        self.session.set_results(rows, keys=keys)
        if self.session.sheet is not None:
            self._rematch()

    def manual_match(self, song_index: int, row_index: int) -> None:
        """Pair a song with a sheet row by hand (0-based indices); emits :attr:`matched`.

        Raises
        ------
        ValueError
            When no sheet or match exists yet, or an index is out of range.
        """
        self.session.manual_match(song_index, row_index)
        self.matched.emit(self.session.match_summary())

    def unmatch(self, song_index: int) -> None:
        """Unpair a song; it stays unpaired on re-matching.  Emits :attr:`matched`.

        Raises
        ------
        ValueError
            When no match exists yet or the index is out of range.
        """
        self.session.unmatch(song_index)
        self.matched.emit(self.session.match_summary())

    def fit(self) -> None:
        """Fit the calibration of the matched songs in the background; emits
        :attr:`fitted`, or :attr:`failed` when there is no sheet, no results or no pair."""
        if not self._check_ready("fit"):
            return
        snap = self.session.copy()

        def work():
            snap.require_pairs()
            cal = snap.fit()
            snap.calibrated_rows()  # here, not in the window's thread (a second for 10,000)
            return cal

        def done(cal, error):
            if error:
                self.failed.emit(f"Fitting failed: {error}")
                return
            self.session.adopt_calibration(cal, snap.version, source=snap)
            self.fitted.emit(cal)

        self._run(work, done)

    def export(self, folder) -> None:
        """Write every calibration export in the background into a new folder made inside
        ``folder`` (:func:`core.calibration.exports.new_export_folder`), under the names the
        command line uses.  Fits first when the calibration is missing or older than the
        results (then emits :attr:`fitted` too).  Emits :attr:`exported` or :attr:`failed`.
        """
        folder = os.fspath(folder)
        if not self._check_ready("export"):
            return
        snap = self.session.copy()
        before = snap.calibration if snap.calibration_is_current else None

        def work():
            snap.require_pairs()
            # a file of the new folder swapped for a link to an input is not written through
            return written_safely(lambda: snap.export(folder, new_folder=True),
                                  _session_inputs(snap))

        def done(paths, error):
            if error:
                self.failed.emit(f"Export to {folder} failed: {error}")
                return
            if snap.calibration is not before:
                self.session.adopt_calibration(snap.calibration, snap.calibration_version)
                self.fitted.emit(snap.calibration)
            self.exported.emit(paths)

        self._run(work, done)

    def export_calibrated(self, path) -> None:
        """Write every song with its calibrated values and intervals (the applied profile,
        else the current fit) to ``path`` in the background; emits :attr:`exported` with
        ``{"calibrated": path}`` or :attr:`failed`."""
        path = os.fspath(path)
        snap = self.session.copy()

        def write():
            # refused, as on the command line, when it is a song, the sheet or the profile,
            # at the guard and again at the write (a link to one swapped in meanwhile)
            inputs = _session_inputs(snap)
            target = guard_export(path, "the calibrated results file", inputs=inputs,
                                  fitted=snap.applied.profile if snap.applied is not None
                                  else None)
            return written_safely(lambda: snap.export_calibrated(target), inputs)

        def done(_n, error):
            if error:
                self.failed.emit(f"Cannot write {os.path.basename(path)}: {error}")
            else:
                self.exported.emit({"calibrated": path})

        self._run(write, done)

    def set_keep_inverted(self, descriptor: str, keep: bool) -> None:
        """Keep (or drop) an inverted correction; emits :attr:`fitted` (no new fit runs).

        Raises
        ------
        ValueError
            When ``descriptor`` is not a numeric descriptor of the sheet.
        """
        self.session.set_keep_inverted(descriptor, keep)
        if self.session.calibration is not None:
            self.fitted.emit(self.session.calibration)

    def apply_profile(self, path) -> None:
        """Read a calibration profile and apply it to the current results in the
        background; emits :attr:`profileApplied` with an
        :class:`~core.calibration.session.AppliedProfile` (the MAE before and after on the
        matched songs when a sheet is loaded), or :attr:`failed`."""
        path = os.fspath(path)
        snap = self.session.copy()

        def done(applied, error):
            if error:
                self.failed.emit(f"Cannot apply the profile {os.path.basename(path)}: {error}")
                return
            self.session.applied = applied
            self.profileApplied.emit(applied)

        self._run(lambda: snap.apply_profile(load_profile(path), path=path), done)

    def save_profile(self, path) -> None:
        """Write the current calibration as a profile (GUI thread; small file).

        Raises
        ------
        ValueError
            When nothing has been fitted yet.
        """
        profile = self.session.profile()
        written_safely(lambda: save_profile(profile, path), _session_inputs(self.session))

    def follow_engine(self, engine, *, interval_ms: int = 1000) -> None:
        """Keep the results in step with a running batch (keys: the job keys), looking
        every ``interval_ms`` (:class:`gui.calibration_follower.EngineFollower`).

        Raises
        ------
        ValueError
            When ``interval_ms`` is not positive.
        """
        self._follower.follow(engine, interval_ms=interval_ms)

    def sync_engine(self) -> bool:
        """Give the followed engine's results now if they changed; True when they did."""
        return self._follower.sync()

    def wait(self, timeout_ms: int = 10000) -> bool:
        """Wait until the background tasks have ended (tests, quitting); True when done."""
        return self.pool.waitForDone(timeout_ms)

    def shutdown(self, timeout_ms: int = 3000) -> bool:
        """Drop queued tasks, wait for a running one, and emit nothing more."""
        self._closing = True
        self._follower.stop()
        self.pool.clear()
        return self.pool.waitForDone(timeout_ms)

    # -- internals ------------------------------------------------------------------------
    def _check_ready(self, what: str) -> bool:
        problem = self.session.not_ready_reason()
        if problem:
            self.failed.emit(f"Cannot {what}: {problem}")
        return not problem

    def _rematch(self) -> None:
        if self._matching:
            self._match_again = True
            return
        self._matching = True
        self._match_again = False
        snap = self.session.copy()

        def done(match, error):
            self._matching = False
            if error:
                self.failed.emit(f"Matching failed: {error}")
            elif self.session.adopt_match(match, snap.version):
                self.matched.emit(self.session.match_summary())
            else:
                self._match_again = True  # rows or pairs changed meanwhile
            if self._match_again and self.session.sheet is not None:
                self._rematch()

        self._run(snap.compute_match, done)

    def _run(self, fn, on_done) -> None:
        was_busy = self.busy

        def finished(result, error):
            self._tasks.discard(sig)
            if self._closing:
                return
            try:
                on_done(result, error)
            finally:
                if not self.busy:
                    self.busyChanged.emit(False)

        sig = run_task(self.pool, self, fn, finished)
        self._tasks.add(sig)
        if not was_busy:
            self.busyChanged.emit(True)


def _session_inputs(session) -> list:
    """The inputs of a calibration session (its songs, sheet and applied profile) as
    :func:`gui.window_exports.export_inputs` gives them."""
    return export_inputs(songs=[row.get("path") for row in session.rows if row.get("path")],
                         sheet=session.sheet.path if session.sheet is not None else None,
                         profile=session.applied.path if session.applied is not None
                         else None)
