"""A calibration session: results and a reference sheet, paired, fitted, summarized, applied
and exported.

:class:`CalibrationSession` is the one object behind ``songcal calibrate``, ``songcal analyze
--reference``, ``songcal gui --reference`` and the window's Calibration tab.  On top of a
:class:`core.calibration.pairing.Pairing` (results rows with stable keys, the reference
sheet, the match with the user's manual pairs and unpairings) it holds the fitted
:class:`core.calibration.fit.Calibration`, the summaries the window and the report show
(:mod:`core.calibration.summary`), a profile applied to the results, and writes the exports
under the names every caller shares (:mod:`core.calibration.exports`).

A session is not thread-safe.  Slow steps (:meth:`~CalibrationSession.compute_match`,
:meth:`~CalibrationSession.fit`, :meth:`~CalibrationSession.export`) may run on a
:meth:`~CalibrationSession.copy` in another thread; the owner then takes the outcome back
with :meth:`~CalibrationSession.adopt_match` or
:meth:`~CalibrationSession.adopt_calibration`, which know whether the session changed
meanwhile (:attr:`~CalibrationSession.version`).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from core.calibration.descriptor_fit import mae
from core.calibration.exports import (
    DEFAULT_EXPORT_STEM,
    EXPORT_KINDS,
    export_meta,
    export_paths,
    write_calibration_csv,
    write_mismatches_csv,
    write_paired_csv,
)
from core.calibration.fit import Calibration, fit_calibration
from core.calibration.pairing import Pairing
from core.calibration.profile import (
    CalibrationProfile,
    apply_profile,
    profile_from_calibration,
    save_profile,
)
from core.calibration.reference import REFERENCE_DESCRIPTORS, ReferenceSheet
from core.calibration.summary import DescriptorSummary, descriptor_summaries
from core.io.csvio import read_csv_rows

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

    Raises
    ------
    ValueError
        When a value is out of range.
    """

    k: int = 10
    seed: int = 0
    min_gain: float = 0.01
    threshold: float = 86.0

    def __post_init__(self):
        if self.k < 2:
            raise ValueError(f"k must be >= 2, got {self.k!r}")
        if not 0 <= self.min_gain < 1:
            raise ValueError(f"min_gain must be in [0, 1), got {self.min_gain!r}")
        if not 0 <= self.threshold <= 100:
            raise ValueError(f"threshold must be 0-100, got {self.threshold!r}")

    def as_dict(self) -> dict:
        """The options as recorded in the exports' ``calibration_settings``."""
        return {"k": self.k, "seed": self.seed, "min_gain": self.min_gain,
                "match_threshold": self.threshold}


@dataclass
class AppliedProfile:
    """A profile applied to the session's results.

    Attributes
    ----------
    path : str
        The profile file (empty when the profile did not come from a file).
    profile : CalibrationProfile
    rows : list of dict
        The results rows with ``*_calibrated`` columns added.
    mae : dict of str to (int, float, float)
        Per numeric descriptor with paired songs: (n, MAE of the raw values, MAE of the
        calibrated values), in the descriptor's unit.  A profile fitted on other songs
        gives out-of-sample figures here.
    """

    path: str
    profile: CalibrationProfile
    rows: list = field(default_factory=list)
    mae: dict = field(default_factory=dict)


class CalibrationSession(Pairing):
    """Results, a reference sheet, their match, the fit and its exports.

    Parameters
    ----------
    options : CalibrationOptions, optional
    settings : AnalysisSettings, dict or str, optional
        Analysis settings recorded in the exports; by default the ``settings`` column of
        the results rows.
    """

    def __init__(self, *, options: CalibrationOptions | None = None, settings=None):
        self.options = options or CalibrationOptions()
        super().__init__(threshold=self.options.threshold)
        self.settings = settings
        #: The fitted calibration (None before a fit); see :attr:`calibration_is_current`.
        self.calibration: Calibration | None = None
        self.calibration_version = -1
        #: The last profile applied (None before one).
        self.applied: AppliedProfile | None = None

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

    def summary(self) -> list[DescriptorSummary]:
        """Per descriptor of the sheet: n, r², MAE, Acc1/Acc2 or key scores, before and
        after the fit (from the raw pairs where nothing is fitted yet)."""
        if self.sheet is None:
            return []
        return descriptor_summaries(self.sheet.descriptors, calibration=self.calibration,
                                    pairs=self.pairs, key_errors=self.key_errors())

    # -- fit, apply, export -----------------------------------------------------------
    def fit(self) -> Calibration:
        """Fit every descriptor the sheet holds on the paired songs (matching first when
        the match is not current) and keep the calibration.

        Raises
        ------
        ValueError
            When no sheet is set.
        """
        if not self.match_is_current:
            self.rematch()
        values = {d: self.pairs(d)[:2] for d in REFERENCE_DESCRIPTORS
                  if d in self.sheet.columns}
        keys = None
        if "key" in self.sheet.columns or "camelot" in self.sheet.columns:
            keys = self.key_pairs()
        o = self.options
        cal = fit_calibration(values, keys=keys, k=o.k, seed=o.seed, min_gain=o.min_gain)
        self.adopt_calibration(cal, self.version)
        return cal

    def adopt_calibration(self, calibration: Calibration, version: int) -> None:
        """Keep a calibration fitted (on a copy) at ``version``."""
        self.calibration, self.calibration_version = calibration, version

    def meta(self) -> dict:
        """Provenance of the exports: app version, analysis and calibration settings,
        reference file name and SHA-256."""
        settings = self.settings
        if settings is None:
            settings = next((r.get("settings") for r in self.rows if r.get("settings")), None)
        return export_meta(self.sheet, settings=settings,
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
        return profile_from_calibration(self.calibration, meta=self.meta())

    def apply_profile(self, profile: CalibrationProfile, *, path: str = "") -> AppliedProfile:
        """Apply a profile to the results and measure it on the paired songs.

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
        descriptors = self.sheet.descriptors if self.sheet is not None else []
        for d in descriptors:
            if d == "key":
                continue
            x, y, _ = self.pairs(d)
            fixed = profile.apply_values(d, x) if x.size else None
            if fixed is not None:
                measured[d] = (int(x.size), mae(x, y), mae(fixed, y))
        self.applied = AppliedProfile(os.fspath(path), profile,
                                      apply_profile(profile, self.rows), measured)
        return self.applied

    def write(self, paths: dict) -> dict[str, str]:
        """Write the exports named in ``paths`` (kind -> path; kinds of
        :data:`core.calibration.exports.EXPORT_KINDS`), fitting first when the calibration
        is not current.

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
        writers = {
            "calibration": lambda p: write_calibration_csv(p, cal, meta=meta),
            "paired": lambda p: write_paired_csv(p, self.rows, self.sheet, self._match,
                                                 calibration=cal, meta=meta),
            "mismatches": lambda p: write_mismatches_csv(p, self.rows, self.sheet,
                                                         self._match, calibration=cal,
                                                         meta=meta),
            "profile": lambda p: save_profile(profile_from_calibration(cal, meta=dict(meta)),
                                              p),
        }
        written = {}
        for kind in EXPORT_KINDS:
            if paths.get(kind) is not None:
                writers[kind](paths[kind])
                written[kind] = os.fspath(paths[kind])
        return written

    def export(self, folder, *, stem: str = DEFAULT_EXPORT_STEM) -> dict[str, str]:
        """Write every export into ``folder`` under the shared names
        (:func:`core.calibration.exports.export_names`).

        Raises
        ------
        NotADirectoryError
            When ``folder`` is not an existing folder.
        """
        folder = os.fspath(folder)
        if not os.path.isdir(folder):
            raise NotADirectoryError(f"{folder} is not a folder")
        return self.write(export_paths(folder, stem=stem))


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
    folder = os.fspath(out_dir) if out_dir else os.path.dirname(os.path.abspath(results_csv))
    _, rows = read_csv_rows(results_csv)
    session = CalibrationSession(options=options, settings=settings)
    session.set_results(rows, keys=range(len(rows)))
    session.set_reference(reference)
    return session, session.export(folder, stem=stem)
