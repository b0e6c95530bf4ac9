"""The calibration exports: their file names and folders, their rows and their writers.

One naming scheme serves the command line and the window: every export of a calibration is
named ``<stem>_<kind>`` (:func:`export_names`), the stem being the results file's name
(``songcal analyze --reference -o X/results.csv`` writes ``X/results_calibration.csv``...)
or :data:`DEFAULT_EXPORT_STEM` (the window's Export writes the same names).  An explicit
path per file (``songcal calibrate -o ... --profile ...``) is honoured as given.  The
window's Export and ``songcal gui --export-dir`` write into a new folder named after the
moment (:func:`new_export_folder`), so nothing earlier is overwritten.

- calibration (:mod:`core.calibration.calibration_table`): one row per column with its
  verdict, the learned models, then the tempo and key scores;
- paired (:func:`paired_rows`): every result row with its reference values, errors and
  agreement (:mod:`core.calibration.agreement`), the columns whose fit it was a pair of
  (``fitted_on``), and the calibrated values with their 90 % intervals -- for every song,
  paired or not;
- mismatches (:func:`mismatch_rows`): only the disagreements, the songs without a tempo or
  key, and the unpaired songs and rows;
- calibrated (:func:`write_calibrated_csv`): every result row with its calibrated values
  and intervals (:mod:`core.calibration.applying`), and ``outside_fit`` naming the values
  computed from outside the range the profile was fitted on, as ``songcal apply`` writes
  it;
- profile: the JSON profile (:mod:`core.calibration.profile`).

CSV exports are UTF-8 with a byte-order mark, written atomically, with text cells that a
spreadsheet would run as formulas neutralized (:mod:`core.io.csvio`).  Each records the app
version, the analysis settings, the calibration settings and the reference file's name and
SHA-256 as trailing columns (in the JSON profile, under ``meta``).
"""

from __future__ import annotations

import datetime
import math
import os

from core.calibration.agreement import fifths_distance, key_relation, mirex_score, tempo_relation
from core.calibration.applying import apply_profile, calibrated_columns
from core.calibration.calibration_table import (
    CALIBRATION_COLUMNS,
    CALIBRATION_LAST_COLUMNS,
    write_calibration_csv,
)
from core.calibration.cells import result_key, result_number, typed_row
from core.calibration.matching import MatchResult
from core.calibration.profile import CalibrationProfile
from core.calibration.reference import REFERENCE_DESCRIPTORS, ReferenceSheet
from core.io.csvio import unneutralize, write_csv
from core.io.provenance import PROVENANCE_COLUMNS, provenance
from core.io.results import RESULT_COLUMNS

__all__ = [
    "PROVENANCE_COLUMNS",
    "CALIBRATION_COLUMNS",
    "CALIBRATION_LAST_COLUMNS",
    "EXPORT_KINDS",
    "DEFAULT_EXPORT_STEM",
    "EXPORT_FOLDER_PREFIX",
    "export_names",
    "export_paths",
    "new_export_folder",
    "export_meta",
    "paired_rows",
    "mismatch_rows",
    "no_value_reason",
    "write_paired_csv",
    "write_mismatches_csv",
    "write_calibrated_csv",
    "write_calibration_csv",
]

#: Every export kind and the end of its file name (after ``<stem>_``), in writing order.
EXPORT_KINDS = {
    "calibration": "calibration.csv",
    "paired": "paired.csv",
    "mismatches": "mismatches.csv",
    "calibrated": "calibrated.csv",
    "profile": "profile.json",
}

#: Stem of the export names when no results file names them (the window's Export).
DEFAULT_EXPORT_STEM = "results"

#: Start of the name of a new export folder (:func:`new_export_folder`).
EXPORT_FOLDER_PREFIX = "songcal-export"


def export_names(stem: str = DEFAULT_EXPORT_STEM) -> dict[str, str]:
    """File name of every export kind: ``{"calibration": "<stem>_calibration.csv", ...}``.

    Parameters
    ----------
    stem : str, optional
        Usually the results file's name without its extension.

    Raises
    ------
    ValueError
        When ``stem`` is empty or holds a path separator.
    """
    if not stem or os.sep in stem or (os.altsep and os.altsep in stem):
        raise ValueError(f"the export stem must be a plain file name, got {stem!r}")
    return {kind: f"{stem}_{end}" for kind, end in EXPORT_KINDS.items()}


def export_paths(folder: str | os.PathLike, *, stem: str = DEFAULT_EXPORT_STEM
                 ) -> dict[str, str]:
    """Path of every export kind in ``folder`` (see :func:`export_names`)."""
    folder = os.fspath(folder)
    return {kind: os.path.join(folder, name) for kind, name in export_names(stem).items()}


def new_export_folder(parent: str | os.PathLike, *, now: datetime.datetime | None = None
                      ) -> str:
    """Create a new, empty folder for one export inside ``parent`` and return its path.

    The folder is named ``songcal-export-YYYYMMDD-HHMMSS`` after ``now`` (default: the
    local time); when that name is taken, ``-2``, ``-3``... is added.  Creating it is the
    claim, so two exports never share a folder.

    Parameters
    ----------
    parent : str or os.PathLike
        An existing folder.
    now : datetime, optional
        The moment to name the folder after.

    Raises
    ------
    NotADirectoryError
        When ``parent`` is not an existing folder.
    OSError
        When the folder cannot be created.
    """
    parent = os.fspath(parent)
    if not os.path.isdir(parent):
        raise NotADirectoryError(f"{parent} is not a folder")
    stamp = (now or datetime.datetime.now()).strftime("%Y%m%d-%H%M%S")
    base = os.path.join(parent, f"{EXPORT_FOLDER_PREFIX}-{stamp}")
    for i in range(1, 1000):
        path = base if i == 1 else f"{base}-{i}"
        try:
            os.mkdir(path)
        except FileExistsError:
            continue
        return path
    raise FileExistsError(f"no free export folder name left in {parent} for {stamp}")


def export_meta(sheet: ReferenceSheet | None, *, settings=None, analyzer: str | None = None,
                calibration_settings: dict | None = None) -> dict:
    """Provenance columns of a calibration export (:func:`core.io.provenance.provenance`)
    with the sheet's file name and SHA-256."""
    return provenance(settings=settings, analyzer=analyzer,
                      calibration_settings=calibration_settings,
                      reference_file=sheet.name if sheet is not None else None,
                      reference_sha256=sheet.sha256 if sheet is not None else None)


def _result_columns(result_rows) -> list[str]:
    cols = list(RESULT_COLUMNS)
    for r in result_rows[:1]:
        cols += [c for c in r if c not in cols and c not in PROVENANCE_COLUMNS]
    return cols


def _reference_columns(sheet: ReferenceSheet, profile: CalibrationProfile | None
                       ) -> list[str]:
    cols = ["match_method", "match_score", "ref_row", "ref_title", "ref_artist", "fitted_on"]
    for d in sheet.numeric_columns:
        cols.append(f"ref_{d}")
        if d in REFERENCE_DESCRIPTORS:
            cols.append(f"{d}_error")
        if d == "bpm":
            cols += ["bpm_ratio", "bpm_agreement"]
    if "key" in sheet.columns or "camelot" in sheet.columns:
        cols += ["ref_key", "ref_key_camelot", "key_relation", "key_score",
                 "key_fifths_distance"]
    if profile is not None:
        cols += calibrated_columns(profile)
    return cols


def paired_rows(result_rows, sheet: ReferenceSheet, match: MatchResult, *,
                profile: CalibrationProfile | None = None,
                calibrated: list | None = None) -> tuple[list[str], list[dict]]:
    """Results with their reference values and per-song errors.

    Every result row is kept (unmatched ones with empty reference cells) in input order.
    ``{d}_error`` is analyzer minus reference; ``bpm_ratio`` analyzer over reference;
    ``bpm_agreement`` the tempo relation (``ok`` within 4 %, ``double``, ``half``,
    ``triple``, ``third``, ``three-halves``, ``two-thirds`` or ``wrong``:
    :func:`core.calibration.agreement.tempo_relation`); ``key_relation`` ``same``,
    ``fifth``, ``relative``, ``parallel`` or ``other`` with its MIREX ``key_score`` and the
    tonics' ``key_fifths_distance`` (0-6 steps around the circle of fifths).  Extra
    numeric columns of the sheet appear as ``ref_<column>``.  ``fitted_on`` names the
    columns (``;``-separated, e.g. ``bpm;key;energy``) whose fit this song was one of the
    pairs of: its reference value and, for an analyzer descriptor or key, its analyzer
    value both known (a tempo both positive); the calibrated values of those columns are
    in-sample for it, its other ones are not.  With a ``profile``, the
    calibrated values and their 90 % intervals of every song, paired or not
    (:func:`core.calibration.applying.apply_profile`; ``calibrated`` when the caller has
    applied it already).

    Returns
    -------
    (list of str, list of dict)
        Columns and rows.
    """
    result_rows = list(result_rows)
    columns = _result_columns(result_rows) + _reference_columns(sheet, profile)
    if calibrated is None:
        calibrated = apply_profile(profile, result_rows) if profile is not None else []
    added = calibrated_columns(profile) if profile is not None else []
    row_of = {m.song: m for m in match.matches}
    ambiguous = {a.song for a in match.ambiguous}
    has_key = "ref_key" in columns
    out = []
    for i, r in enumerate(result_rows):
        row = {c: v for c, v in typed_row(r).items() if c not in PROVENANCE_COLUMNS}
        row.update({c: calibrated[i].get(c) for c in added})
        m = row_of.get(i)
        if m is None:
            row["match_method"] = "ambiguous" if i in ambiguous else "unmatched"
            out.append(row)
            continue
        ref = sheet.rows[m.row]
        row.update(match_method=m.method, match_score=m.score, ref_row=ref.row,
                   ref_title=ref.title, ref_artist=ref.artist)
        fitted = []
        for d in sheet.numeric_columns:
            y = ref.values.get(d)
            row[f"ref_{d}"] = y
            if d not in REFERENCE_DESCRIPTORS:
                if y is not None and math.isfinite(y):
                    fitted.append(d)  # a learned model's target: every paired value
                continue
            x = result_number(r, d)
            if _fits(d, x, y):
                fitted.append(d)
            row[f"{d}_error"] = None if x is None or y is None else x - y
            if d == "bpm":
                row["bpm_ratio"] = None if x is None or not y else x / y
                row["bpm_agreement"] = tempo_relation(x, y)
        if has_key:
            est, rk = result_key(r), ref.key
            row["ref_key"] = rk.name if rk else None
            row["ref_key_camelot"] = rk.camelot if rk else None
            if est is not None and rk is not None:
                row["key_relation"] = key_relation(est, rk)
                row["key_score"] = mirex_score(est, rk)
                row["key_fifths_distance"] = fifths_distance(est.tonic, rk.tonic)
                fitted.insert(1 if fitted[:1] == ["bpm"] else 0, "key")
        row["fitted_on"] = ";".join(fitted)
        out.append(row)
    return columns, out


def _fits(d: str, x, y) -> bool:
    """Whether a pair of analyzer value ``x`` and reference value ``y`` of descriptor ``d``
    is one the fit of ``d`` is given."""
    if x is None or y is None or not (math.isfinite(x) and math.isfinite(y)):
        return False
    return d != "bpm" or (x > 0 and y > 0)


#: How a song's state reads after "the song ..." in a reason.
_STATUS_SAID = {"timed out": "timed out", "failed": "failed", "skipped": "was skipped",
                "cancelled": "was cancelled", "queued": "was not analyzed",
                "running": "was not analyzed", "stalled": "was not analyzed"}


def no_value_reason(row: dict, what: str) -> str:
    """Why a results row has no value for ``what`` (``"tempo"``, ``"key"``): the row's
    own error text, else that the analyzer found none."""
    error = unneutralize(row.get("error") or "").strip()
    if error:
        return f"no {what}: {error}"
    status = row.get("status")
    if status not in (None, "", "done"):
        return f"no {what}: the song {_STATUS_SAID.get(status, f'is {status}')}"
    return f"no {what}: the analyzer found none"


def mismatch_rows(result_rows, sheet: ReferenceSheet, match: MatchResult, *,
                  profile: CalibrationProfile | None = None,
                  paired: tuple | None = None) -> tuple[list[str], list[dict]]:
    """Only the problems: songs whose tempo or key disagrees with the reference, paired
    songs without an analyzer tempo or key where the reference has one, songs without a row
    (unmatched or ambiguous) and reference rows no song was paired with.

    The ``mismatch`` column says which (e.g. ``"tempo half; key relative"``,
    ``"no tempo: too few onsets for a tempo"``, ``"unmatched song"``,
    ``"unmatched reference row"``).  ``paired``: the output of :func:`paired_rows` when
    the caller has it already.
    """
    columns, rows = paired if paired is not None else paired_rows(result_rows, sheet, match,
                                                                  profile=profile)
    columns = ["mismatch"] + columns
    out = []
    for row in rows:
        why = []
        method = row.get("match_method")
        if method in ("unmatched", "ambiguous"):
            why.append(f"{method} song")
        else:
            agree = row.get("bpm_agreement")
            if agree and agree != "ok":
                why.append(f"tempo {agree}")
            elif row.get("ref_bpm") is not None and not agree:
                why.append(no_value_reason(row, "tempo"))
            rel = row.get("key_relation")
            if rel and rel != "same":
                why.append(f"key {rel}")
            elif row.get("ref_key") and not rel:
                why.append(no_value_reason(row, "key"))
        if why:
            out.append({"mismatch": "; ".join(why), **row})
    for j in match.unmatched_rows:
        ref = sheet.rows[j]
        row = {"mismatch": "unmatched reference row", "match_method": "unmatched",
               "ref_row": ref.row, "ref_title": ref.title, "ref_artist": ref.artist}
        for d, v in ref.values.items():
            row[f"ref_{d}"] = v
        if ref.key is not None:
            row["ref_key"], row["ref_key_camelot"] = ref.key.name, ref.key.camelot
        out.append(row)
    return columns, out


def write_paired_csv(path, result_rows, sheet, match, *, profile=None, meta=None,
                     paired=None) -> None:
    """Write the results with reference columns and errors (see :func:`paired_rows`;
    ``paired`` its output when the caller has it already)."""
    columns, rows = paired or paired_rows(result_rows, sheet, match, profile=profile)
    write_csv(path, columns, rows, meta=meta)


def write_mismatches_csv(path, result_rows, sheet, match, *, profile=None, meta=None,
                         paired=None) -> None:
    """Write only the mismatches (see :func:`mismatch_rows`)."""
    columns, rows = mismatch_rows(result_rows, sheet, match, profile=profile, paired=paired)
    write_csv(path, columns, rows, meta=meta)


def write_calibrated_csv(path, result_rows, profile: CalibrationProfile, *,
                         meta=None, calibrated: list | None = None) -> int:
    """Write every result row with its calibrated values and intervals
    (:func:`core.calibration.applying.apply_profile`, or ``calibrated`` when the caller has
    applied it already); returns the number of rows.

    ``meta`` replaces the rows' own provenance columns.
    """
    result_rows = list(result_rows)
    columns = [c for c in _result_columns(result_rows) if c not in PROVENANCE_COLUMNS]
    if calibrated is None:
        calibrated = apply_profile(profile, result_rows)
    rows = []
    for r in calibrated:
        rows.append({c: v for c, v in typed_row(r).items() if c not in PROVENANCE_COLUMNS})
    write_csv(path, columns + calibrated_columns(profile), rows, meta=meta)
    return len(rows)
