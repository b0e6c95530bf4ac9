"""A calibration session: results and a reference sheet, paired, fitted, summarized, applied
and exported.

:class:`CalibrationSession` is the one object behind ``songcal calibrate``, ``songcal analyze
--reference``, ``songcal gui --reference`` and the window's Calibration tab.  On top of a
:class:`core.calibration.pairing.Pairing` (results rows with stable keys, the reference
sheet, the match with the user's manual pairs and unpairings) it holds the fitted
:class:`core.calibration.fit.Calibration`, the summaries the window and the report show
(:mod:`core.calibration.summary`), a profile applied to the results, the calibrated values
of every song (:meth:`~CalibrationSession.calibrated_rows`), and writes the exports under
the names every caller shares (:mod:`core.calibration.exports`).

A session is not thread-safe.  Slow steps (:meth:`~CalibrationSession.compute_match`,
:meth:`~CalibrationSession.fit`, :meth:`~CalibrationSession.export`) may run on a
:meth:`~CalibrationSession.copy` in another thread; the owner then takes the outcome back
with :meth:`~CalibrationSession.adopt_match` or
:meth:`~CalibrationSession.adopt_calibration`, which know whether the session changed
meanwhile (:attr:`~CalibrationSession.version`).
"""

from __future__ import annotations

import dataclasses
import functools
import os
from dataclasses import dataclass, field

import numpy as np

from core.calibration.applying import apply_profile, calibrated_values
from core.calibration.descriptor_fit import mae
from core.calibration.exports import (
    DEFAULT_EXPORT_STEM,
    EXPORT_KINDS,
    export_meta,
    export_paths,
    new_export_folder,
    paired_rows,
    write_calibrated_csv,
    write_calibration_csv,
    write_mismatches_csv,
    write_paired_csv,
)
from core.calibration.fit import Calibration, LearnedInputs, fit_calibration
from core.calibration.inputs import ALL_INPUTS
from core.calibration.pairing import Pairing
from core.calibration.profile import (
    CalibrationProfile,
    profile_from_calibration,
    profile_mismatch,
    results_analyzer,
    save_profile,
)
from core.calibration.reference import REFERENCE_DESCRIPTORS, ReferenceSheet
from core.calibration.summary import DescriptorSummary, descriptor_summaries
from core.calibration.tempo_range import RangeSuggestion, suggest_tempo_range
from core.io.csvio import read_csv_rows
from core.io.outputs import physical_path

__all__ = ["CalibrationOptions", "AppliedProfile", "CalibrationSession", "calibrate_results_csv"]


@dataclass(frozen=True)
class CalibrationOptions:
    """How a session matches and fits.

    Attributes
    ----------
    k : int
        Cross-validation folds (leave-one-out below 20 pairs); at least 2.
    seed : int
        Seed of the fold shuffle.
    min_gain : float
        Relative drop of the cross-validated MAE a correction needs to be kept, in [0, 1).
    threshold : float
        Lowest fuzzy title/artist score accepted as a match, 0-100.
    keep_inverted : frozenset of str
        Descriptors whose ``inverted`` correction is kept anyway.
    learned : bool
        Fit a learned model per numeric column (tempo aside).
    workers : int
        Columns fitted side by side (threads).

    Raises
    ------
    ValueError
        When a value is out of range.
    """

    k: int = 10
    seed: int = 0
    min_gain: float = 0.01
    threshold: float = 86.0
    keep_inverted: frozenset = frozenset()
    learned: bool = True
    workers: int = 2

    def __post_init__(self):
        if self.k < 2:
            raise ValueError(f"k must be >= 2, got {self.k!r}")
        if not 0 <= self.min_gain < 1:
            raise ValueError(f"min_gain must be in [0, 1), got {self.min_gain!r}")
        if not 0 <= self.threshold <= 100:
            raise ValueError(f"threshold must be 0-100, got {self.threshold!r}")
        if self.workers < 1:
            raise ValueError(f"workers must be >= 1, got {self.workers!r}")
        object.__setattr__(self, "keep_inverted", frozenset(self.keep_inverted))

    def as_dict(self) -> dict:
        """The options as recorded in the exports' ``calibration_settings``."""
        out = {"k": self.k, "seed": self.seed, "min_gain": self.min_gain,
               "match_threshold": self.threshold, "learned": self.learned}
        if self.keep_inverted:
            out["keep_inverted"] = ",".join(sorted(self.keep_inverted))
        return out


@dataclass
class AppliedProfile:
    """A profile applied to the session's results.

    Attributes
    ----------
    path : str
        The profile file (empty when the profile did not come from a file).
    profile : CalibrationProfile
    rows : list of dict
        Every results row, paired or not, with the calibrated columns added
        (:func:`core.calibration.applying.apply_profile`).
    mae : dict of str to (int, float, float)
        Per numeric column with paired songs: (n, MAE of the raw values -- NaN for an extra
        column --, MAE of the calibrated values), in the column's unit.  A profile fitted on
        other songs gives out-of-sample figures here.
    warning : str
        Why the profile may not fit these results (it was fitted on results of another
        build of the analyzer), or empty.
    """

    path: str
    profile: CalibrationProfile
    rows: list = field(default_factory=list)
    mae: dict = field(default_factory=dict)
    warning: str = ""


class CalibrationSession(Pairing):
    """Results, a reference sheet, their match, the fit and its exports.

    Parameters
    ----------
    options : CalibrationOptions, optional
    settings : AnalysisSettings, dict or str, optional
        Analysis settings recorded in the exports; by default the ``settings`` column of
        the results rows.
    analyzer : str, optional
        The build of the analyzer that made the results (empty: not known, as for a
        results file that does not say); by default the ``analyzer`` column of the rows,
        else this build.
    """

    def __init__(self, *, options: CalibrationOptions | None = None, settings=None,
                 analyzer: str | None = None):
        self.options = options or CalibrationOptions()
        super().__init__(threshold=self.options.threshold)
        self.settings = settings
        self.analyzer = analyzer
        #: The fitted calibration (None before a fit); see :attr:`calibration_is_current`.
        self.calibration: Calibration | None = None
        self.calibration_version = -1
        #: The last profile applied (None before one).
        self.applied: AppliedProfile | None = None
        #: Paths the last :meth:`write` replaced (they held a file before).
        self.replaced: list[str] = []
        self._calibrated_memo: tuple = (None, None, [])

    @property
    def calibration_is_current(self) -> bool:
        """True when the calibration was fitted on the present rows, sheet and pairs."""
        return self.calibration is not None and self.calibration_version == self.version

    def set_reference(self, reference) -> ReferenceSheet:
        """Use a reference sheet; the manual pairs, the match and the fit of the last one
        go (see :meth:`core.calibration.pairing.Pairing.set_reference`)."""
        sheet = super().set_reference(reference)
        self.calibration = None
        return sheet

    @property
    def numeric_columns(self) -> list[str]:
        """Numeric columns of the sheet: analyzer descriptors, then extra columns."""
        return self.sheet.numeric_columns if self.sheet is not None else []

    def summary(self) -> list[DescriptorSummary]:
        """Per column of the sheet: n, verdict, r², MAE, Acc1/Acc2 or key scores, before
        and after the fit (from the raw pairs while no fit covers the present results)."""
        if self.sheet is None:
            return []
        columns = self.numeric_columns + (["key"] if "key" in self.sheet.descriptors else [])
        cal = self.calibration if self.calibration_is_current else None
        songs = self.identities() if cal is not None else []

        def outliers(d):
            what = ("predicted" if cal is not None and d not in cal.descriptors
                    else "in the results")
            return [f"{_song_name(songs[i])}: {x:.4g} {what}, {y:.4g} in the sheet"
                    for i, x, y in self.outlying_songs(d)]

        return descriptor_summaries(
            columns, calibration=cal,
            pairs=lambda d: self.pairs(d, keep_missing=d == "bpm"),
            key_errors=self.key_errors(), counts=lambda d: self.reference_values(d)[0].size,
            outliers=outliers, scales=self.sheet.value_scales)

    def outlying_songs(self, descriptor: str, *, learned: bool | None = None
                       ) -> list[tuple[int, float, float]]:
        """The songs the current fit of ``descriptor`` judged its verdict without
        (:attr:`core.calibration.descriptor_fit.DescriptorCalibration.outliers`): song
        index, analyzer value and reference value of each; empty without a current fit.

        With ``learned`` (default: for a column with no analyzer descriptor, an extra
        column), those of the column's learned model instead
        (:attr:`core.calibration.learned_fit.LearnedCalibration.outliers`), each with its
        cross-validated prediction in place of the analyzer value."""
        cal = self.calibration if self.calibration_is_current else None
        if cal is None:
            return []
        if learned is None:
            learned = descriptor not in cal.descriptors
        if learned:
            m = cal.learned.get(descriptor)
            if m is None or not len(m.outliers):
                return []
            y, idx = self.reference_values(descriptor)  # what the model was given
            pred = np.full(y.size, np.nan)
            pred[np.isfinite(y)] = m.cv_pred  # it predicted the songs with a value
            return [(int(idx[p]), float(pred[p]), float(y[p])) for p in m.outliers]
        d = cal.descriptors.get(descriptor)
        if d is None or not len(d.outliers):
            return []
        x, y, idx = self.pairs(descriptor)  # the pairs the fit was given
        return [(int(idx[p]), float(x[p]), float(y[p])) for p in d.outliers]

    def learned_inputs(self, column: str) -> LearnedInputs:
        """What a learned model of ``column`` is fitted on: SongCal's per-song values of
        the paired songs with a reference value, and those values."""
        y, idx = self.reference_values(column)
        compare = None
        if column in REFERENCE_DESCRIPTORS:
            compare = ~np.isnan(self.pairs(column, keep_missing=True)[0])
        return LearnedInputs(self.input_matrix()[idx], y, ALL_INPUTS, compare)

    # -- fit, apply, export -----------------------------------------------------------
    def fit(self) -> Calibration:
        """Fit every column the sheet holds on the paired songs (matching first when the
        match is not current) and keep the calibration.

        Raises
        ------
        ValueError
            When no sheet is set.
        """
        if not self.match_is_current:
            self.rematch()
        values = {d: self.pairs(d, keep_missing=d == "bpm")[:2] for d in REFERENCE_DESCRIPTORS
                  if d in self.sheet.columns}
        o = self.options
        learned = {}
        if o.learned:
            learned = {c: self.learned_inputs(c) for c in self.numeric_columns if c != "bpm"}
        keys = None
        if "key" in self.sheet.columns or "camelot" in self.sheet.columns:
            keys = self.key_pairs()
        cal = fit_calibration(values, keys=keys, learned=learned, k=o.k, seed=o.seed,
                              min_gain=o.min_gain, keep_inverted=o.keep_inverted,
                              workers=o.workers,
                              reference_ranges={d: v[:2] for d, v in
                                                self.sheet.value_scales.items()})
        self.adopt_calibration(cal, self.version)
        return cal

    def set_keep_inverted(self, descriptor: str, keep: bool) -> None:
        """Keep (or drop) the correction of an ``inverted`` descriptor, in the options and
        in the current calibration (no new fit is needed).

        Raises
        ------
        ValueError
            When the descriptor is not an analyzer descriptor of the sheet.
        """
        if self.sheet is None or descriptor not in self.sheet.descriptors or descriptor in (
                "key", "bpm"):
            raise ValueError(f"{descriptor!r} is not a numeric descriptor of the sheet")
        chosen = set(self.options.keep_inverted)
        (chosen.add if keep else chosen.discard)(descriptor)
        self.options = dataclasses.replace(self.options, keep_inverted=frozenset(chosen))
        if self.calibration is not None and descriptor in self.calibration.descriptors:
            self.calibration.set_keep_inverted(descriptor, keep)

    def adopt_calibration(self, calibration: Calibration, version: int, *,
                          source: CalibrationSession | None = None) -> None:
        """Keep a calibration fitted (on a copy) at ``version``.

        ``source`` is that copy: the calibrated values it computed with this calibration
        (:meth:`calibrated_rows`, called where it was fitted) are kept too when they are
        what this session would compute, so a window's thread does not compute them again.
        """
        self.calibration, self.calibration_version = calibration, version
        if source is not None and source._calibrated_memo[0] == self._calibrated_stamp():
            self._calibrated_memo = source._calibrated_memo

    def results_analyzer(self) -> str | None:
        """The build of the analyzer that made the results: the one given, else the
        ``analyzer`` column of rows read from a results file (empty when the file does not
        say), or None for results this SongCal made."""
        return self.analyzer if self.analyzer is not None else results_analyzer(self.rows)

    def tempo_range_suggestion(self) -> RangeSuggestion | None:
        """The settings' tempo range that states the analyzer's tempos as the reference does,
        when one agrees clearly more often than the tempos as read
        (:func:`core.calibration.tempo_range.suggest_tempo_range`); never the range the
        results were analyzed in."""
        floor = _tempo_floor(self._analysis_settings())
        key = ("tempo range", floor)
        hit = self._memo_get(key)
        if hit is None:  # kept as a 1-tuple: no suggestion is an answer too
            x, y, _ = self.pairs("bpm")
            hit = self._memo[key] = (suggest_tempo_range(x, y, current_floor=floor),)
        return hit[0]

    def _analysis_settings(self):
        """The settings given, else the ``settings`` column of the results rows."""
        if self.settings is not None:
            return self.settings
        return next((r.get("settings") for r in self.rows if r.get("settings")), None)

    def meta(self) -> dict:
        """Provenance of the exports: app version, analyzer build, analysis and calibration
        settings, reference file name and SHA-256."""
        settings = self._analysis_settings()
        analyzer = self.results_analyzer()
        if analyzer is None:  # results this SongCal made
            from core.analysis.identity import analyzer_id

            analyzer = analyzer_id()
        return export_meta(self.sheet, settings=settings, analyzer=analyzer,
                           calibration_settings=self.options.as_dict())

    def profile(self) -> CalibrationProfile:
        """The profile of the calibration.

        Raises
        ------
        ValueError
            When nothing has been fitted yet.
        """
        if self.calibration is None:
            raise ValueError("fit a calibration before making its profile")
        return profile_from_calibration(self.calibration, meta=self.meta(),
                                        **self._profile_notes(self.calibration))

    def _profile_notes(self, cal: Calibration) -> dict:
        """What a profile records beside the fit: the sheet's own scales by column and the
        outlying songs of each column (as the report names them)."""
        songs = self.identities() if self.calibration_is_current else []
        outliers, learned = {}, {}
        for d in cal.descriptors:
            found = self.outlying_songs(d, learned=False)
            if found:
                outliers[d] = [{"song": _song_name(songs[i]), "analyzer": x, "reference": y}
                               for i, x, y in found]
        for c in cal.learned:
            found = self.outlying_songs(c, learned=True)
            if found:
                learned[c] = [{"song": _song_name(songs[i]), "predicted": x, "reference": y}
                              for i, x, y in found]
        return {"scales": {d: v[2] for d, v in self.sheet.value_scales.items()},
                "outliers": outliers, "learned_outliers": learned}

    def apply_profile(self, profile: CalibrationProfile, *, path: str = "") -> AppliedProfile:
        """Apply a profile to every song and measure it on the paired songs.

        Parameters
        ----------
        profile : CalibrationProfile
        path : str, optional
            Where the profile came from (recorded in the result).

        Returns
        -------
        AppliedProfile
            Also kept as :attr:`applied`.
        """
        measured = {}
        for c in profile.columns:
            y, idx = self.reference_values(c)
            if not idx.size:
                continue
            rows = [self.rows[i] for i in idx]
            fixed = calibrated_values(profile, rows, inputs=self.input_matrix()[idx])[c][0]
            raw = self.pairs(c, keep_missing=True)[0] if c in REFERENCE_DESCRIPTORS else None
            ok = np.isfinite(fixed) if raw is None else np.isfinite(fixed) & np.isfinite(raw)
            if ok.any():
                before = mae(raw[ok], y[ok]) if raw is not None else float("nan")
                measured[c] = (int(ok.sum()), before, mae(fixed[ok], y[ok]))
        self.applied = AppliedProfile(os.fspath(path), profile,
                                      apply_profile(profile, self.rows,
                                                    inputs=self.input_matrix()), measured,
                                      profile_mismatch(profile, self.results_analyzer()))
        return self.applied

    @property
    def has_calibrated_values(self) -> bool:
        """True when :meth:`current_profile` has a profile to give."""
        return self.applied is not None or self.calibration_is_current

    def current_profile(self) -> CalibrationProfile | None:
        """The profile whose values :meth:`calibrated_rows` gives: the applied profile, else
        the profile of a calibration fitted on the present results (None when neither)."""
        return self._calibrated()[0]

    def calibrated_rows(self) -> list[dict]:
        """Every results row with the calibrated values and intervals of
        :meth:`current_profile` (the rows unchanged when there is none); computed once per
        change of the results, the fit or the applied profile."""
        return self._calibrated()[1]

    def _calibrated_stamp(self) -> tuple:
        """What the calibrated values depend on."""
        return (self.version, id(self.calibration), self.calibration_version,
                id(self.applied), self.options.keep_inverted)

    def _calibrated(self):
        stamp = self._calibrated_stamp()
        if self._calibrated_memo[0] != stamp:
            profile = None
            if self.applied is not None:
                profile = self.applied.profile
            elif self.calibration_is_current:
                profile = self.profile()
            rows = (apply_profile(profile, self.rows, inputs=self.input_matrix())
                    if profile is not None else list(self.rows))
            self._calibrated_memo = (stamp, profile, rows)
        return self._calibrated_memo[1:]

    def write(self, paths: dict) -> dict[str, str]:
        """Write the exports named in ``paths`` (kind -> path; kinds of
        :data:`core.calibration.exports.EXPORT_KINDS`), fitting first when the calibration
        is not current.  Paths that held a file before are listed in :attr:`replaced`.

        Returns
        -------
        dict of str to str
            Kind -> path written, in writing order.

        Raises
        ------
        ValueError
            When a kind is unknown, or no sheet is set.
        OSError
            When a file cannot be written.
        """
        unknown = set(paths) - set(EXPORT_KINDS)
        if unknown:
            raise ValueError(f"unknown export kind(s) {sorted(unknown)}; expected "
                             f"{list(EXPORT_KINDS)}")
        cal = self.calibration if self.calibration_is_current else self.fit()
        meta = self.meta()
        notes = self._profile_notes(cal)
        profile = profile_from_calibration(cal, meta=dict(meta), **notes)

        @functools.cache
        def calibrated():  # applied once, for whichever exports need it
            return apply_profile(profile, self.rows, inputs=self.input_matrix())

        @functools.cache
        def paired():
            return paired_rows(self.rows, self.sheet, self._match, profile=profile,
                               calibrated=calibrated())

        writers = {
            "calibration": lambda p: write_calibration_csv(p, cal, meta=meta,
                                                           scales=notes["scales"]),
            "paired": lambda p: write_paired_csv(p, self.rows, self.sheet, self._match,
                                                 meta=meta, paired=paired()),
            "mismatches": lambda p: write_mismatches_csv(p, self.rows, self.sheet,
                                                         self._match, meta=meta,
                                                         paired=paired()),
            "calibrated": lambda p: write_calibrated_csv(p, self.rows, profile, meta=meta,
                                                         calibrated=calibrated()),
            "profile": lambda p: save_profile(profile, p),
        }
        written, self.replaced = {}, []
        for kind in EXPORT_KINDS:
            if paths.get(kind) is not None:
                if os.path.exists(paths[kind]):
                    self.replaced.append(os.fspath(paths[kind]))
                writers[kind](paths[kind])
                written[kind] = os.fspath(paths[kind])
        return written

    def export(self, folder, *, stem: str = DEFAULT_EXPORT_STEM,
               new_folder: bool = False) -> dict[str, str]:
        """Write every export into ``folder`` under the shared names
        (:func:`core.calibration.exports.export_names`).

        Parameters
        ----------
        folder : str or os.PathLike
            An existing folder.
        stem : str, optional
            Start of the file names.
        new_folder : bool, optional
            Write into a new folder made inside ``folder``
            (:func:`core.calibration.exports.new_export_folder`) instead, so that nothing
            there is replaced.

        Raises
        ------
        NotADirectoryError
            When ``folder`` is not an existing folder.
        """
        folder = os.fspath(folder)
        if not os.path.isdir(folder):
            raise NotADirectoryError(f"{folder} is not a folder")
        if new_folder:
            folder = new_export_folder(folder)
        return self.write(export_paths(folder, stem=stem))

    def export_calibrated(self, path) -> int:
        """Write every results row with its calibrated values and intervals
        (:meth:`calibrated_rows`) to ``path``; returns the number of rows.

        Raises
        ------
        ValueError
            When there is no applied profile and no calibration fitted on the present
            results.
        OSError
            When the file cannot be written.
        """
        profile = self.current_profile()
        if profile is None:
            raise ValueError("fit a calibration or apply a profile first")
        meta = self.meta()
        if self.applied is not None and self.applied.path:
            meta["profile_file"] = os.path.basename(self.applied.path)
        return write_calibrated_csv(path, self.rows, profile, meta=meta)


def _song_name(song) -> str:
    """A song as a summary names it: ``Artist - Title (path)``."""
    name = f"{song.artist} - {song.title}" if song.artist else song.title
    return f"{name} ({song.path})" if song.path else name


def _tempo_floor(settings) -> float:
    """The tempo range (its floor, 0 for none) of settings as an AnalysisSettings, a dict or
    the ``key=value;...`` text of a results file's ``settings`` column."""
    if settings is None:
        return 0.0
    if isinstance(settings, str):
        settings = dict(part.split("=", 1) for part in settings.split(";") if "=" in part)
    value = (settings.get("tempo_floor_bpm") if isinstance(settings, dict)
             else getattr(settings, "tempo_floor_bpm", 0.0))
    try:
        return float(value or 0.0)
    except (TypeError, ValueError):
        return 0.0


def calibrate_results_csv(results_csv, reference, *, out_dir=None, settings=None,
                          options: CalibrationOptions | None = None
                          ) -> tuple[CalibrationSession, dict[str, str]]:
    """Calibrate a results CSV and write every export under the shared names.

    What ``songcal analyze --reference`` and ``songcal gui --reference --export-dir`` do
    once the results are written: the rows are keyed by position, paired with the sheet,
    fitted, and the exports named after the results file (``results.csv`` gives
    ``results_calibration.csv``, ``results_paired.csv``...; see
    :func:`core.calibration.exports.export_names`).

    Parameters
    ----------
    results_csv : str or os.PathLike
        A results CSV written by SongCal.
    reference : str, os.PathLike or ReferenceSheet
        The reference sheet.
    out_dir : str or os.PathLike, optional
        Where to write; default: the results file's folder.
    settings : AnalysisSettings, dict or str, optional
        Analysis settings recorded in the exports.
    options : CalibrationOptions, optional

    Returns
    -------
    (CalibrationSession, dict of str to str)
        The fitted session and export kind -> path written.

    Raises
    ------
    OSError, UnicodeDecodeError
        When the results cannot be read or an export cannot be written.
    ReferenceSheetError
        When the sheet cannot be read.
    """
    results_csv = os.fspath(results_csv)
    stem = os.path.splitext(os.path.basename(results_csv))[0]
    folder = os.fspath(out_dir) if out_dir else os.path.dirname(physical_path(results_csv))
    _, rows = read_csv_rows(results_csv)
    session = CalibrationSession(options=options, settings=settings,
                                 analyzer=results_analyzer(rows) or "")
    session.set_results(rows, keys=range(len(rows)))
    session.set_reference(reference)
    return session, session.export(folder, stem=stem)
