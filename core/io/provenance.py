"""Provenance: the trailing columns every SongCal export carries.

Each export records the app version, the build of the analyzer that made its results
(:func:`core.analysis.identity.analyzer_id`), the analysis settings it came from and, where
they apply, the calibration settings, the reference sheet (name and SHA-256) and the profile.
They are trailing columns with the same value on every row, so a file stays a plain table.
"""

from __future__ import annotations

from core import __version__

__all__ = ["PROVENANCE_COLUMNS", "provenance", "settings_text"]

#: Trailing columns that carry provenance (not data) in SongCal exports.
PROVENANCE_COLUMNS = ("songcal_version", "analyzer", "settings", "calibration_settings",
                      "reference_file", "reference_sha256", "profile_file")


def settings_text(settings) -> str:
    """``key=value;key=value`` text of settings (AnalysisSettings, dict, text or None)."""
    if settings is None:
        return ""
    if isinstance(settings, str):
        return settings
    d = settings.to_dict() if hasattr(settings, "to_dict") else dict(settings)
    return ";".join(f"{k}={v}" for k, v in d.items())


def provenance(*, settings=None, analyzer: str | None = None,
               calibration_settings: dict | None = None,
               reference_file: str | None = None, reference_sha256: str | None = None,
               profile_file: str | None = None) -> dict:
    """The provenance columns of one export.

    Parameters
    ----------
    settings : AnalysisSettings, dict or str, optional
        Analysis settings the results were made with.
    analyzer : str, optional
        The build of the analyzer that made the results
        (:func:`core.analysis.identity.analyzer_id`; empty when a results file they were
        read from did not say); left out when not given.
    calibration_settings : dict, optional
        Folds, seed, thresholds of a calibration.
    reference_file, reference_sha256 : str, optional
        The reference sheet's file name and SHA-256.
    profile_file : str, optional
        The calibration profile applied.

    Returns
    -------
    dict
        Column -> value, in :data:`PROVENANCE_COLUMNS` order; columns that do not apply
        are left out.
    """
    meta = {"songcal_version": __version__}
    if analyzer is not None:
        meta["analyzer"] = analyzer
    meta["settings"] = settings_text(settings)
    if calibration_settings is not None:
        meta["calibration_settings"] = settings_text(calibration_settings)
    if reference_file is not None:
        meta["reference_file"] = reference_file
        meta["reference_sha256"] = reference_sha256 or ""
    if profile_file is not None:
        meta["profile_file"] = profile_file
    return meta
