"""The window's calibration state: the reference sheet, the match, the fitted calibration.

:class:`CalibrationController` holds what the calibration view, the match dialog and the
song table's reference columns show.  Reading a sheet, matching, fitting, exporting and
applying a profile run on the controller's own one-thread ``QThreadPool`` (so they run one
after the other, in the order asked); results come back as signals in the GUI thread.  Manual matches survive new results arriving and
re-matching; loading another sheet clears them.
"""

from __future__ import annotations

import logging
import math
import os
from dataclasses import dataclass, field, replace

import numpy as np
from PySide6.QtCore import QObject, QThreadPool, QTimer, Signal

from core.calibration.exports import (
    calibrate_matched,
    export_meta,
    match_results,
    result_key,
    result_number,
    write_calibration_csv,
    write_mismatches_csv,
    write_paired_csv,
)
from core.calibration.fit import Calibration
from core.calibration.matching import MatchResult, manual_match, unmatch
from core.calibration.profile import (
    CalibrationProfile,
    apply_profile,
    load_profile,
    profile_from_calibration,
    save_profile,
)
from core.calibration.reference import ReferenceRow, ReferenceSheet, load_reference
from core.io.keynotation import fifths_distance, key_relation
from gui.tasks import run_task

__all__ = [
    "CalibrationController",
    "ReferenceSummary",
    "MatchSummary",
    "ProfileSummary",
    "KeyErrors",
    "EXPORT_NAMES",
    "KEY_RELATIONS",
    "is_reference_file",
    "engine_results",
]

log = logging.getLogger(__name__)

#: File names written by :meth:`CalibrationController.export`, by export kind.
EXPORT_NAMES = {
    "calibration": "calibration.csv",
    "results": "results_with_reference.csv",
    "mismatches": "mismatches.csv",
    "profile": "calibration_profile.json",
}

#: Key relations in display order (the MIREX categories).
KEY_RELATIONS = ("same", "fifth", "relative", "parallel", "other")


def is_reference_file(path) -> bool:
    """True when a dropped path looks like a reference sheet (a ``.csv`` or ``.tsv`` file)."""
    p = os.fspath(path)
    return os.path.isfile(p) and os.path.splitext(p)[1].lower() in (".csv", ".tsv")


def engine_results(engine, *, cache: dict | None = None) -> tuple[list[dict], list[int]]:
    """Results rows and job ids of a :class:`gui.engine.BatchEngine`'s batch, for
    :meth:`CalibrationController.set_results` (``keys=`` the job ids).

    A song not analyzed (yet) gets a row with its path and the title and artist read from
    tags or its file name, so it can be matched before its result arrives.  ``cache``
    (job id -> (result, row)), kept by the caller between calls, spares converting results
    already converted.
    """
    rows, keys = [], []
    for job in list(engine.batch.jobs):
        if job.result is not None:
            hit = cache.get(job.id) if cache is not None else None
            if hit is not None and hit[0] is job.result:
                row = hit[1]
            else:
                row = job.result.to_row()
                if cache is not None:
                    cache[job.id] = (job.result, row)
        else:
            title, artist = engine.identity.get(job.id, ("", ""))
            row = {"path": job.path, "title": title, "artist": artist,
                   "status": job.state.value}
        rows.append(row)
        keys.append(job.id)
    return rows, keys


@dataclass
class ReferenceSummary:
    """What a loaded sheet holds, for the status line and the log.

    Attributes
    ----------
    name, path : str
        File name and full path.
    n_rows : int
        Rows imported.
    bad_rows : list of str
        Rows left out, each naming its row and column.
    descriptors : list of str
        Descriptors the sheet holds (``"bpm"``, ``"key"``, ``"energy"``...).
    warnings : list of str
        Doubts about the import (scales, implausible tempi).
    """

    name: str
    path: str
    n_rows: int
    bad_rows: list = field(default_factory=list)
    descriptors: list = field(default_factory=list)
    warnings: list = field(default_factory=list)

    def __str__(self) -> str:
        text = f"{self.name}: {self.n_rows} rows ({', '.join(self.descriptors)})"
        if self.bad_rows:
            text += f", {len(self.bad_rows)} left out"
        return text


@dataclass
class MatchSummary:
    """Counts of a match of the results against the sheet."""

    n_songs: int
    n_rows: int
    n_matched: int
    n_manual: int
    n_ambiguous: int
    n_unmatched_songs: int
    n_unmatched_rows: int

    def __str__(self) -> str:
        return (f"{self.n_matched}/{self.n_songs} songs matched ({self.n_manual} by hand), "
                f"{self.n_unmatched_songs} unmatched ({self.n_ambiguous} ambiguous), "
                f"{self.n_unmatched_rows} reference rows unused")


@dataclass
class ProfileSummary:
    """A profile applied to the current results, measured against the current reference.

    Attributes
    ----------
    path : str
        The profile file.
    profile : CalibrationProfile
    rows : list of dict
        The results rows with ``*_calibrated`` columns added.
    mae : dict of str to (int, float, float)
        Per numeric descriptor with matched pairs: (n, MAE of the raw values, MAE of the
        calibrated values) on this deck, in the descriptor's unit.  The profile was fitted
        on other songs, so these are out-of-sample figures.
    """

    path: str
    profile: CalibrationProfile
    rows: list = field(default_factory=list)
    mae: dict = field(default_factory=dict)


def _summary(sheet: ReferenceSheet) -> ReferenceSummary:
    return ReferenceSummary(sheet.name, sheet.path, len(sheet.rows),
                            [str(b) for b in sheet.bad_rows], list(sheet.descriptors),
                            list(sheet.warnings))


def _remap(match: MatchResult, old_keys, new_keys) -> MatchResult:
    """``match`` with song indices moved from ``old_keys`` to ``new_keys`` positions;
    songs no longer present are dropped."""
    pos = {k: i for i, k in enumerate(new_keys)}

    def move(i):
        return pos.get(old_keys[i]) if 0 <= i < len(old_keys) else None

    matches = [replace(m, song=move(m.song)) for m in match.matches if move(m.song) is not None]
    amb = [replace(a, song=move(a.song)) for a in match.ambiguous if move(a.song) is not None]
    return MatchResult(len(new_keys), match.n_rows, sorted(matches, key=lambda m: m.song), amb)


def _match_with_overrides(rows, sheet, *, manual, unpaired, keys, threshold):
    """Automatic match, then the user's manual pairs and unpairings (by song key)."""
    _, match = match_results(rows, sheet, threshold=threshold)
    pos = {k: i for i, k in enumerate(keys)}
    for k in unpaired:
        if k in pos:
            match = unmatch(match, pos[k])
    for k, j in manual.items():
        if k in pos and 0 <= j < len(sheet.rows):
            match = manual_match(match, pos[k], j)
    return match


@dataclass
class KeyErrors:
    """Key errors of the matched songs.

    Attributes
    ----------
    same_mode, other_mode : ndarray of int, shape (7,)
        Songs by tonic distance 0-6 around the circle of fifths (analyzer tonic to reference
        tonic), for songs whose mode agrees with the reference and for those whose mode
        differs (a parallel key is distance 0 with the other mode, a relative key 3).
    relations : dict of str to int
        Songs per relation of :data:`KEY_RELATIONS`.
    """

    same_mode: np.ndarray
    other_mode: np.ndarray
    relations: dict

    @property
    def distance(self) -> np.ndarray:
        """Songs by tonic distance 0-6, whatever the mode."""
        return self.same_mode + self.other_mode

    @property
    def n(self) -> int:
        """Songs with both keys."""
        return int(self.distance.sum())


class CalibrationController(QObject):
    """Reference sheet, match and calibration of the window.

    Parameters
    ----------
    parent : QObject, optional
    settings : AnalysisSettings, dict or str, optional
        Analysis settings recorded in the exports (see :meth:`set_settings`).
    k, seed, min_gain : optional
        Cross-validation folds, seed and the relative MAE drop a correction must reach
        (:func:`core.calibration.fit.fit_calibration`).
    threshold : float, optional
        Lowest fuzzy title/artist score accepted as a match (0-100).
    """

    #: ``(ReferenceSummary)`` a sheet was read (matching follows when results are set).
    referenceLoaded = Signal(object)
    #: ``(MatchSummary)`` the songs were (re-)matched, or a manual match changed the pairs.
    matched = Signal(object)
    #: ``(Calibration)`` a fit ended.
    fitted = Signal(object)
    #: ``(dict)`` export kind -> path written.
    exported = Signal(dict)
    #: ``(ProfileSummary)`` a profile was read and applied to the current results.
    profileApplied = Signal(object)
    #: ``(str)`` a task failed; the message names the file and the reason.
    failed = Signal(str)
    #: ``(bool)`` background work started (True) or the last task ended (False).
    busyChanged = Signal(bool)

    def __init__(self, parent=None, *, settings=None, k: int = 10, seed: int = 0,
                 min_gain: float = 0.01, threshold: float = 86.0):
        super().__init__(parent)
        if k < 2:
            raise ValueError(f"k must be >= 2, got {k!r}")
        if not 0 <= min_gain < 1:
            raise ValueError(f"min_gain must be in [0, 1), got {min_gain!r}")
        if not 0 <= threshold <= 100:
            raise ValueError(f"threshold must be 0-100, got {threshold!r}")
        self.k, self.seed, self.min_gain, self.threshold = k, seed, min_gain, threshold
        self.settings = settings
        self.pool = QThreadPool(self)
        self.pool.setMaxThreadCount(1)  # tasks run in the order they were asked for
        self.sheet: ReferenceSheet | None = None
        self.rows: list[dict] = []
        self.keys: list = []
        self._pos: dict = {}
        self._match: MatchResult | None = None
        self._match_serial = 0
        self.calibration: Calibration | None = None
        self.profile_summary: ProfileSummary | None = None
        self._manual: dict = {}  # song key -> sheet row index
        self._unpaired: set = set()  # song keys the user unpaired
        self._version = 0  # bumps when rows, sheet or pairs change
        self._match_version = -1
        self._fit_version = -1
        self._matching = False
        self._match_again = False
        self._tasks: set = set()
        self._closing = False
        self._engine = None
        self._engine_stamp = None
        self._follow_timer: QTimer | None = None
        self._engine_rows: dict = {}  # job id -> (result, results row) of the followed engine
        self._row_of_cache = (None, {})
        self._memo: dict = {}
        self._memo_stamp = None

    # -- state ----------------------------------------------------------------------------
    @property
    def match(self) -> MatchResult | None:
        """The current pairing of results with sheet rows (None before any)."""
        return self._match

    @match.setter
    def match(self, value: MatchResult | None) -> None:
        self._match = value
        self._match_serial += 1

    @property
    def busy(self) -> bool:
        """True while a background task runs or waits."""
        return bool(self._tasks)

    @property
    def has_reference(self) -> bool:
        """True once a sheet is loaded."""
        return self.sheet is not None

    def set_settings(self, settings) -> None:
        """Analysis settings recorded in later exports (AnalysisSettings, dict or str)."""
        self.settings = settings

    def reference_row(self, song_index: int) -> ReferenceRow | None:
        """The reference row matched with song ``song_index`` (``None`` when unmatched)."""
        if self.match is None or self.sheet is None:
            return None
        j = self._row_of.get(song_index)
        return None if j is None else self.sheet.rows[j]

    def song_index(self, key) -> int | None:
        """Position of the song with key ``key`` (see :meth:`set_results`), or None."""
        return self._pos.get(key)

    def match_method(self, song_index: int) -> str:
        """``"exact"``, ``"normalized"``, ``"fuzzy"``, ``"manual"``, ``"ambiguous"`` or
        ``"unmatched"`` (empty before any match)."""
        if self.match is None:
            return ""
        for m in self.match.matches:
            if m.song == song_index:
                return m.method
        if any(a.song == song_index for a in self.match.ambiguous):
            return "ambiguous"
        return "unmatched"

    def match_summary(self) -> MatchSummary | None:
        """Counts of the current match (None before any)."""
        m = self.match
        if m is None:
            return None
        return MatchSummary(m.n_songs, m.n_rows, len(m.matches),
                            sum(1 for x in m.matches if x.method == "manual"),
                            len(m.ambiguous), len(m.unmatched_songs), len(m.unmatched_rows))

    # -- plot data (cheap; GUI thread) ------------------------------------------------------
    def pairs(self, descriptor: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Analyzer and reference values of the matched songs for one numeric descriptor.

        Returns
        -------
        (ndarray, ndarray, ndarray)
            Analyzer values, reference values (the descriptor's unit) and the song indices,
            for the songs where both are known.
        """
        cached = self._cached(("pairs", descriptor))
        if cached is not None:
            return cached
        xs, ys, idx = [], [], []
        if self.match is not None and self.sheet is not None:
            for m in self.match.matches:
                x = result_number(self.rows[m.song], descriptor)
                y = self.sheet.rows[m.row].values.get(descriptor)
                if x is not None and y is not None and math.isfinite(y):
                    xs.append(x)
                    ys.append(y)
                    idx.append(m.song)
        out = np.array(xs, float), np.array(ys, float), np.array(idx, int)
        self._memo[("pairs", descriptor)] = out
        return out

    def tempo_log2_ratios(self) -> np.ndarray:
        """log2(analyzer BPM / reference BPM) of the matched songs (0 agrees, +1 double,
        -1 half)."""
        x, y, _ = self.pairs("bpm")
        ok = (x > 0) & (y > 0)
        return np.log2(x[ok] / y[ok])

    def key_errors(self) -> KeyErrors:
        """Key errors of the matched songs with both keys (see :class:`KeyErrors`)."""
        cached = self._cached("keys")
        if cached is not None:
            return cached
        same = np.zeros(7, int)
        other = np.zeros(7, int)
        rel = dict.fromkeys(KEY_RELATIONS, 0)
        if self.match is not None and self.sheet is not None:
            for m in self.match.matches:
                est, ref = result_key(self.rows[m.song]), self.sheet.rows[m.row].key
                if est is None or ref is None:
                    continue
                target = same if est.mode == ref.mode else other
                target[fifths_distance(est.tonic, ref.tonic)] += 1
                rel[key_relation(est, ref)] += 1
        out = self._memo["keys"] = KeyErrors(same, other, rel)
        return out

    # -- actions --------------------------------------------------------------------------
    def load_reference(self, path) -> None:
        """Read a reference sheet in the background.

        Emits :attr:`referenceLoaded` (then :attr:`matched` when results are set), or
        :attr:`failed` with the reason.  Manual matches of an earlier sheet are dropped.
        """
        path = os.fspath(path)

        def done(sheet, error):
            if error:
                self.failed.emit(f"Cannot load the reference sheet {os.path.basename(path)}: "
                                 f"{error}")
                return
            self.sheet = sheet
            self.match = None
            self.calibration = None
            self._manual.clear()
            self._unpaired.clear()
            self._version += 1
            self.referenceLoaded.emit(_summary(sheet))
            if self.rows:
                self._rematch()

        self._run(lambda: load_reference(path), done)

    def set_results(self, rows, *, keys=None) -> None:
        """Give the current results; they are matched in the background once a sheet is
        loaded (repeated calls while a match runs are folded into one more match).

        Parameters
        ----------
        rows : sequence of dict
            Results rows (:data:`core.io.results.RESULT_COLUMNS`, e.g. ``SongResult.to_row()``,
            or a row with just ``path``, ``title`` and ``artist`` for a song not analyzed
            yet).  A song's index is its position here.
        keys : sequence of hashable, optional
            A stable id per row (e.g. the job id) so that manual matches follow the song
            when rows are added or reordered; default: the ``path`` of each row.

        Raises
        ------
        ValueError
            When ``keys`` and ``rows`` differ in length or ``keys`` repeats a value.
        """
        rows = [dict(r) for r in rows]
        keys = [r.get("path") for r in rows] if keys is None else list(keys)
        if len(keys) != len(rows):
            raise ValueError(f"keys must have one entry per row: {len(keys)} keys for "
                             f"{len(rows)} rows")
        if len(set(keys)) != len(keys):
            raise ValueError("keys must be unique (two rows share a key)")
        if self._match is not None and keys != self.keys:
            self.match = _remap(self._match, self.keys, keys)  # shown until re-matched
        self.rows, self.keys = rows, keys
        self._pos = {k: i for i, k in enumerate(keys)}
        self._version += 1
        if self.sheet is not None:
            self._rematch()

    def manual_match(self, song_index: int, row_index: int) -> None:
        """Pair song ``song_index`` with sheet row ``row_index`` (0-based index into
        ``sheet.rows``) by hand; any other pairing of either is removed.

        Emits :attr:`matched`.

        Raises
        ------
        ValueError
            When no sheet or match exists yet, or an index is out of range.
        """
        if self.sheet is None or self.match is None:
            raise ValueError("load a reference sheet and results before matching by hand")
        if not 0 <= song_index < len(self.rows):
            raise ValueError(f"song index must be 0-{len(self.rows) - 1}, got {song_index!r}")
        self.match = manual_match(self.match, song_index, row_index)  # checks the indices
        key = self.keys[song_index]
        for k, j in list(self._manual.items()):
            if j == row_index:
                del self._manual[k]
        self._manual[key] = row_index
        self._unpaired.discard(key)
        self._pairs_changed()

    def unmatch(self, song_index: int) -> None:
        """Remove the pairing of song ``song_index`` and keep it unpaired on re-matching.

        Raises
        ------
        ValueError
            When no match exists yet or the index is out of range.
        """
        if self.match is None:
            raise ValueError("nothing is matched yet")
        if not 0 <= song_index < len(self.rows):
            raise ValueError(f"song index must be 0-{len(self.rows) - 1}, got {song_index!r}")
        self.match = unmatch(self.match, song_index)
        key = self.keys[song_index]
        self._manual.pop(key, None)
        self._unpaired.add(key)
        self._pairs_changed()

    def fit(self) -> None:
        """Fit the calibration of the matched songs in the background.

        Emits :attr:`fitted` with the :class:`core.calibration.fit.Calibration`, or
        :attr:`failed` when there is no sheet, no results or no matched song.
        """
        if not self._check_ready("fit"):
            return
        job = self._snapshot()

        def done(result, error):
            if error:
                self.failed.emit(f"Fitting failed: {error}")
                return
            cal, version = result
            self.calibration = cal
            self._fit_version = version
            self.fitted.emit(cal)

        self._run(lambda: (self._fit_job(job), job["version"]), done)

    def export(self, folder, *, prefix: str = "") -> None:
        """Write the calibration exports into ``folder`` in the background.

        Writes :data:`EXPORT_NAMES` (each preceded by ``prefix``): the calibration CSV,
        the results with reference columns and errors, the mismatches, and the JSON
        profile.  Fits first when the shown calibration is missing or older than the
        results.  Emits :attr:`exported` with kind -> path, or :attr:`failed`.
        """
        folder = os.fspath(folder)
        if not self._check_ready("export"):
            return
        job = self._snapshot()
        cal = self.calibration if self._fit_version == self._version else None
        settings = self.settings
        paths = {kind: os.path.join(folder, prefix + name) for kind, name in EXPORT_NAMES.items()}
        cal_settings = {"k": self.k, "seed": self.seed, "min_gain": self.min_gain,
                        "match_threshold": self.threshold}

        def work():
            if not os.path.isdir(folder):
                raise OSError(f"{folder} is not a folder")
            c = cal if cal is not None else self._fit_job(job)
            sheet, rows, match = job["sheet"], job["rows"], job["match"]
            meta = export_meta(sheet, settings=settings, calibration_settings=cal_settings)
            write_calibration_csv(paths["calibration"], c, meta=meta)
            write_paired_csv(paths["results"], rows, sheet, match, calibration=c, meta=meta)
            write_mismatches_csv(paths["mismatches"], rows, sheet, match, calibration=c,
                                 meta=meta)
            save_profile(profile_from_calibration(c, meta=dict(meta)), paths["profile"])
            return c

        def done(result, error):
            if error:
                self.failed.emit(f"Export to {folder} failed: {error}")
                return
            if cal is None:
                self.calibration = result
                self._fit_version = job["version"]
                self.fitted.emit(result)
            self.exported.emit(dict(paths))

        self._run(work, done)

    def apply_profile(self, path) -> None:
        """Read a calibration profile and apply it to the current results, in the background.

        Emits :attr:`profileApplied` with a :class:`ProfileSummary` (with the MAE before
        and after on the matched songs when a sheet is loaded), or :attr:`failed`.
        """
        path = os.fspath(path)
        rows = list(self.rows)
        pairs = {d: self.pairs(d)[:2] for d in (self.sheet.descriptors if self.sheet else [])
                 if d != "key"}

        def work():
            profile = load_profile(path)
            calibrated = apply_profile(profile, rows)
            mae = {}
            for d, (x, y) in pairs.items():
                if not x.size:
                    continue
                if d == "bpm":
                    if profile.tempo_rule is None:
                        continue
                    fixed = np.array([profile.apply_bpm(v) for v in x], float)
                elif d in profile.descriptors:
                    fixed = np.asarray(profile.descriptors[d].apply(x), float)
                else:
                    continue
                mae[d] = (int(x.size), float(np.mean(np.abs(x - y))),
                          float(np.mean(np.abs(fixed - y))))
            return ProfileSummary(path, profile, calibrated, mae)

        def done(result, error):
            if error:
                self.failed.emit(f"Cannot apply the profile {os.path.basename(path)}: {error}")
                return
            self.profile_summary = result
            self.profileApplied.emit(result)

        self._run(work, done)

    def save_profile(self, path) -> None:
        """Write the current calibration as a profile (GUI thread; small file).

        Raises
        ------
        ValueError
            When nothing has been fitted yet.
        """
        if self.calibration is None:
            raise ValueError("fit a calibration before saving its profile")
        meta = export_meta(self.sheet, settings=self.settings)
        save_profile(profile_from_calibration(self.calibration, meta=meta), path)

    def follow_engine(self, engine, *, interval_ms: int = 1000) -> None:
        """Keep the results in step with a running batch.

        Every ``interval_ms`` the engine's jobs are compared with what was last given;
        when songs were added, removed or finished, :meth:`set_results` is called with
        :func:`engine_results` (so the song index is the job id).  Matching then follows
        at most once per interval, however fast songs finish.

        Raises
        ------
        ValueError
            When ``interval_ms`` is not positive.
        """
        if interval_ms <= 0:
            raise ValueError(f"interval_ms must be > 0, got {interval_ms!r}")
        self._engine = engine
        self._engine_stamp = None
        self._engine_rows = {}
        if self._follow_timer is None:
            self._follow_timer = QTimer(self)
            self._follow_timer.timeout.connect(self.sync_engine)
        self._follow_timer.start(interval_ms)
        self.sync_engine()

    def sync_engine(self) -> bool:
        """Give the followed engine's results now if they changed; True when they did."""
        engine = self._engine
        if engine is None:
            return False
        jobs = engine.batch.jobs
        stamp = (tuple(id(j.result) for j in jobs), len(engine.identity))
        if stamp == self._engine_stamp:
            return False
        self._engine_stamp = stamp
        rows, keys = engine_results(engine, cache=self._engine_rows)
        self.set_results(rows, keys=keys)
        return True

    def wait(self, timeout_ms: int = 10000) -> bool:
        """Wait until the background tasks have ended (tests, quitting); True when done."""
        return self.pool.waitForDone(timeout_ms)

    def shutdown(self, timeout_ms: int = 3000) -> bool:
        """Drop queued tasks, wait for a running one, and emit nothing more."""
        self._closing = True
        if self._follow_timer is not None:
            self._follow_timer.stop()
        self.pool.clear()
        return self.pool.waitForDone(timeout_ms)

    # -- internals ------------------------------------------------------------------------
    @property
    def _row_of(self) -> dict:
        m = self.match
        if m is None:
            return {}
        if self._row_of_cache[0] is not m:
            self._row_of_cache = (m, m.row_of)
        return self._row_of_cache[1]

    def _cached(self, key):
        """A memo of plot data, valid while the rows, sheet and match stay the same."""
        stamp = (self._version, self._match_serial)
        if self._memo_stamp != stamp:
            self._memo_stamp, self._memo = stamp, {}
        return self._memo.get(key)

    def _pairs_changed(self) -> None:
        self._version += 1
        self._match_version = self._version
        self.matched.emit(self.match_summary())

    def _check_ready(self, what: str) -> bool:
        problem = None
        if self.sheet is None:
            problem = "load a reference sheet first"
        elif not self.rows:
            problem = "there are no results yet"
        if problem:
            self.failed.emit(f"Cannot {what}: {problem}")
            return False
        return True

    def _snapshot(self) -> dict:
        """What a background fit needs, copied so later changes do not reach the task."""
        fresh = self.match is not None and self._match_version == self._version
        return {"rows": list(self.rows), "sheet": self.sheet, "keys": list(self.keys),
                "match": self.match if fresh else None, "manual": dict(self._manual),
                "unpaired": set(self._unpaired), "version": self._version}

    def _fit_job(self, job: dict) -> Calibration:
        """Runs in the pool: match when needed, then fit."""
        if job["match"] is None:
            job["match"] = _match_with_overrides(
                job["rows"], job["sheet"], manual=job["manual"], unpaired=job["unpaired"],
                keys=job["keys"], threshold=self.threshold)
        if not job["match"].matches:
            raise ValueError("no song is matched with a reference row")
        return calibrate_matched(job["rows"], job["sheet"], job["match"], k=self.k,
                                 seed=self.seed, min_gain=self.min_gain)

    def _rematch(self) -> None:
        if self._matching:
            self._match_again = True
            return
        self._matching = True
        self._match_again = False
        job = self._snapshot()
        job["match"] = None

        def work():
            return _match_with_overrides(job["rows"], job["sheet"], manual=job["manual"],
                                         unpaired=job["unpaired"], keys=job["keys"],
                                         threshold=self.threshold)

        def done(match, error):
            self._matching = False
            if error:
                self.failed.emit(f"Matching failed: {error}")
            elif job["version"] == self._version:
                self.match = match
                self._match_version = self._version
                self.matched.emit(self.match_summary())
            else:
                self._match_again = True  # rows or pairs changed meanwhile
            if self._match_again and self.sheet is not None:
                self._rematch()

        self._run(work, done)

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
