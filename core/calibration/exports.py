"""The calibration exports: their file names, their rows and their writers.

One naming scheme serves the command line and the window: every export of a calibration is
named ``<stem>_<kind>`` (:func:`export_names`), the stem being the results file's name
(``songcal analyze --reference -o X/results.csv`` writes ``X/results_calibration.csv``...)
or :data:`DEFAULT_EXPORT_STEM` (the window's Export writes the same names).  An explicit
path per file (``songcal calibrate -o ... --profile ...``) is honoured as given.

- calibration (:func:`calibration_rows`): one row per descriptor, then the tempo and key
  scores;
- paired (:func:`paired_rows`): every result row with its reference values, errors and
  agreement (:mod:`core.calibration.agreement`), and the calibrated values;
- mismatches (:func:`mismatch_rows`): only the disagreements and the unpaired songs and
  rows;
- profile: the JSON profile (:mod:`core.calibration.profile`).

CSV exports are UTF-8 with a byte-order mark, written atomically, with text cells that a
spreadsheet would run as formulas neutralized (:mod:`core.io.csvio`).  Each records the app
version, the analysis settings, the calibration settings and the reference file's name and
SHA-256 as trailing columns (in the JSON profile, under ``meta``).
"""

from __future__ import annotations

import os

from core.calibration.agreement import fifths_distance, key_relation, mirex_score, tempo_relation
from core.calibration.fit import Calibration
from core.calibration.matching import MatchResult
from core.calibration.reference import REFERENCE_DESCRIPTORS, ReferenceSheet
from core.io.csvio import cell_number, unneutralize, write_csv
from core.io.csvio import typed_row as _typed_row
from core.io.keynotation import Key, parse_key
from core.io.provenance import PROVENANCE_COLUMNS, provenance
from core.io.results import RESULT_COLUMNS, TEXT_COLUMNS

__all__ = [
    "PROVENANCE_COLUMNS",
    "CALIBRATION_COLUMNS",
    "EXPORT_KINDS",
    "DEFAULT_EXPORT_STEM",
    "export_names",
    "export_paths",
    "typed_row",
    "result_number",
    "result_key",
    "export_meta",
    "paired_rows",
    "mismatch_rows",
    "calibration_rows",
    "write_paired_csv",
    "write_mismatches_csv",
    "write_calibration_csv",
]

#: Every export kind and the end of its file name (after ``<stem>_``), in writing order.
EXPORT_KINDS = {
    "calibration": "calibration.csv",
    "paired": "paired.csv",
    "mismatches": "mismatches.csv",
    "profile": "profile.json",
}

#: Stem of the export names when no results file names them (the window's Export).
DEFAULT_EXPORT_STEM = "results"


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


#: Columns of ``calibration.csv``, in order.
CALIBRATION_COLUMNS = (
    "descriptor", "method", "kept", "n", "slope", "intercept", "r2", "r2_before",
    "mae_before", "mae_after", "mae_fit", "score", "score_before", "score_after",
    "rule", "clamp_low", "clamp_high", "folds", "candidates", "note",
)


def typed_row(row: dict) -> dict:
    """A results row read from CSV with numbers as numbers and neutralized text restored."""
    return _typed_row(row, text_columns=TEXT_COLUMNS)


def result_number(row: dict, name: str) -> float | None:
    """A numeric cell of a results row as float (``None`` when empty or unreadable)."""
    return cell_number(row.get(name))


def result_key(row: dict) -> Key | None:
    """The key of a results row (``None`` when empty or unreadable)."""
    v = row.get("key")
    return parse_key(unneutralize(v)) if v not in (None, "") else None


def export_meta(sheet: ReferenceSheet | None, *, settings=None,
                calibration_settings: dict | None = None) -> dict:
    """Provenance columns of a calibration export (:func:`core.io.provenance.provenance`)
    with the sheet's file name and SHA-256."""
    return provenance(settings=settings, calibration_settings=calibration_settings,
                      reference_file=sheet.name if sheet is not None else None,
                      reference_sha256=sheet.sha256 if sheet is not None else None)


def _result_columns(result_rows) -> list[str]:
    cols = list(RESULT_COLUMNS)
    for r in result_rows[:1]:
        cols += [c for c in r if c not in cols and c not in PROVENANCE_COLUMNS]
    return cols


def _reference_columns(sheet: ReferenceSheet, calibration: Calibration | None) -> list[str]:
    cols = ["match_method", "match_score", "ref_row", "ref_title", "ref_artist"]
    has_key = "key" in sheet.columns or "camelot" in sheet.columns
    for d in REFERENCE_DESCRIPTORS:
        if d in sheet.columns:
            cols += [f"ref_{d}", f"{d}_error"]
            if d == "bpm":
                cols += ["bpm_ratio", "bpm_agreement"]
            if calibration is not None:
                cols.append(f"{d}_calibrated")
    if has_key:
        cols += ["ref_key", "ref_key_camelot", "key_relation", "key_score",
                 "key_fifths_distance"]
        if calibration is not None and calibration.key is not None:
            cols.append("key_calibrated")
    return cols


def paired_rows(result_rows, sheet: ReferenceSheet, match: MatchResult, *,
                calibration: Calibration | None = None) -> tuple[list[str], list[dict]]:
    """Results with their reference values and per-song errors.

    Every result row is kept (unmatched ones with empty reference cells) in input order.
    ``{d}_error`` is analyzer minus reference; ``bpm_ratio`` analyzer over reference;
    ``bpm_agreement`` the tempo relation (``ok`` within 4 %, ``double``, ``half``,
    ``triple``, ``third``, ``three-halves``, ``two-thirds`` or ``wrong``:
    :func:`core.calibration.agreement.tempo_relation`); ``key_relation`` ``same``,
    ``fifth``, ``relative``, ``parallel`` or ``other`` with its MIREX ``key_score`` and the
    tonics' ``key_fifths_distance`` (0-6 steps around the circle of fifths).  With a
    ``calibration``, ``{d}_calibrated`` holds the corrected values.

    Returns
    -------
    (list of str, list of dict)
        Columns and rows.
    """
    columns = _result_columns(result_rows) + _reference_columns(sheet, calibration)
    row_of = {m.song: m for m in match.matches}
    ambiguous = {a.song for a in match.ambiguous}
    out = []
    for i, r in enumerate(result_rows):
        row = {c: v for c, v in typed_row(r).items() if c not in PROVENANCE_COLUMNS}
        m = row_of.get(i)
        if m is None:
            row["match_method"] = "ambiguous" if i in ambiguous else "unmatched"
            out.append(row)
            continue
        ref = sheet.rows[m.row]
        row.update(match_method=m.method, match_score=m.score, ref_row=ref.row,
                   ref_title=ref.title, ref_artist=ref.artist)
        for d in REFERENCE_DESCRIPTORS:
            if d not in sheet.columns:
                continue
            x, y = result_number(r, d), ref.values.get(d)
            row[f"ref_{d}"] = y
            row[f"{d}_error"] = None if x is None or y is None else x - y
            if d == "bpm":
                row["bpm_ratio"] = None if x is None or not y else x / y
                row["bpm_agreement"] = tempo_relation(x, y)
            if calibration is not None and x is not None:
                row[f"{d}_calibrated"] = calibration.apply(d, x)
        if "ref_key" in columns:
            est, rk = result_key(r), ref.key
            row["ref_key"] = rk.name if rk else None
            row["ref_key_camelot"] = rk.camelot if rk else None
            if est is not None and rk is not None:
                row["key_relation"] = key_relation(est, rk)
                row["key_score"] = mirex_score(est, rk)
                row["key_fifths_distance"] = fifths_distance(est.tonic, rk.tonic)
            if calibration is not None and calibration.key is not None and est is not None:
                fixed = calibration.key.apply(est)
                row["key_calibrated"] = fixed.name if fixed else None
        out.append(row)
    return columns, out


def mismatch_rows(result_rows, sheet: ReferenceSheet, match: MatchResult, *,
                  calibration: Calibration | None = None) -> tuple[list[str], list[dict]]:
    """Only the problems: songs whose tempo or key disagrees with the reference, songs
    without a row (unmatched or ambiguous) and reference rows no song was paired with.

    The ``mismatch`` column says which (e.g. ``"tempo half; key relative"``,
    ``"unmatched song"``, ``"unmatched reference row"``).
    """
    columns, rows = paired_rows(result_rows, sheet, match, calibration=calibration)
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
            rel = row.get("key_relation")
            if rel and rel != "same":
                why.append(f"key {rel}")
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


def calibration_rows(cal: Calibration) -> list[dict]:
    """One row per descriptor, then the tempo and key score rows (``bpm_acc1``,
    ``bpm_acc2``, ``key_accuracy``, ``key_weighted``), for ``calibration.csv``."""
    rows = []
    if cal.tempo is not None:
        t = cal.tempo
        rows.append({
            "descriptor": "bpm",
            "method": t.correction.method if t.correction.method != "none" else "none",
            "kept": t.kept, "n": t.n, "slope": t.correction.slope,
            "intercept": t.correction.intercept, "r2": t.r2, "r2_before": t.r2_before,
            "mae_before": t.mae_before, "mae_after": t.mae_after,
            "rule": t.rule.describe(), "clamp_low": t.correction.low,
            "clamp_high": t.correction.high, "folds": t.folds,
            "candidates": _candidates(t.cv_mae), "note": t.note or
            f"linear fit on {t.n_agree} songs agreeing within 8 % after the octave rule"})
        for name, before, after in (("acc1", t.acc1_before, t.acc1_after),
                                    ("acc2", t.acc2_before, t.acc2_after)):
            rows.append({"descriptor": f"bpm_{name}", "method": t.rule.describe(),
                         "kept": t.kept, "n": t.n, "score": name, "score_before": before,
                         "score_after": after, "folds": t.folds})
    for name, d in cal.descriptors.items():
        c = d.correction
        rows.append({
            "descriptor": name, "method": c.method, "kept": d.kept, "n": d.n,
            "slope": c.slope, "intercept": c.intercept, "r2": d.r2,
            "r2_before": d.r2_before, "mae_before": d.mae_before, "mae_after": d.mae_after,
            "mae_fit": d.mae_fit, "clamp_low": c.low, "clamp_high": c.high,
            "folds": d.folds, "candidates": _candidates(d.cv_mae), "note": d.note})
    if cal.key is not None:
        k = cal.key
        confusions = sorted(((c, a, b) for (a, b), c in k.confusion.items() if a != b),
                            reverse=True)[:12]
        conf_text = "; ".join(f"{a} > {b}: {c}" for c, a, b in confusions)
        for name, before, after in (("accuracy", k.accuracy_before, k.accuracy_after),
                                    ("weighted", k.weighted_before, k.weighted_after)):
            rows.append({"descriptor": f"key_{name}", "method": k.correction.describe(),
                         "kept": k.kept, "n": k.n, "score": name, "score_before": before,
                         "score_after": after, "folds": k.folds,
                         "note": k.note or (f"confusions: {conf_text}" if conf_text else "")})
    return rows


def _candidates(cv: dict) -> str:
    return "; ".join(f"{m}={v:.4g}" for m, v in cv.items())


def write_paired_csv(path, result_rows, sheet, match, *, calibration=None, meta=None) -> None:
    """Write the results with reference columns and errors (see :func:`paired_rows`)."""
    columns, rows = paired_rows(result_rows, sheet, match, calibration=calibration)
    write_csv(path, columns, rows, meta=meta)


def write_mismatches_csv(path, result_rows, sheet, match, *, calibration=None,
                         meta=None) -> None:
    """Write only the mismatches (see :func:`mismatch_rows`)."""
    columns, rows = mismatch_rows(result_rows, sheet, match, calibration=calibration)
    write_csv(path, columns, rows, meta=meta)


def write_calibration_csv(path, cal: Calibration, *, meta=None) -> None:
    """Write ``calibration.csv`` (see :func:`calibration_rows`)."""
    write_csv(path, CALIBRATION_COLUMNS, calibration_rows(cal), meta=meta)
