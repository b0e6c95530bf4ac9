"""Pair results with a reference sheet, fit the calibration and write its exports.

:func:`run_calibration` is the one call the command line, ``analyze --reference`` and the
window use.  The window can also call the steps itself: :func:`load_reference`
(:mod:`core.calibration.reference`), :func:`match_results`, :func:`core.calibration.matching.manual_match`,
:func:`calibrate_matched` and the ``*_rows`` / ``write_*`` functions here.

Exports are UTF-8 CSV with a byte-order mark, written atomically, with text cells that a
spreadsheet would run as formulas neutralized (:mod:`core.io.csvio`).  Each records the app
version, the analysis settings, the calibration settings and the reference file's name and
SHA-256 as trailing columns (in the JSON profile, under ``meta``).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

import numpy as np

from core.calibration.fit import Calibration, fit_calibration
from core.calibration.matching import MatchResult, SongIdentity, match_songs, song_identity
from core.calibration.profile import CalibrationProfile, profile_from_calibration, save_profile
from core.calibration.reference import REFERENCE_DESCRIPTORS, ReferenceSheet, load_reference
from core.io.csvio import cell_number, unneutralize, write_csv
from core.io.csvio import typed_row as _typed_row
from core.io.keynotation import Key, fifths_distance, key_relation, mirex_score, parse_key
from core.io.provenance import PROVENANCE_COLUMNS, provenance
from core.io.results import RESULT_COLUMNS, TEXT_COLUMNS

__all__ = [
    "PROVENANCE_COLUMNS",
    "CALIBRATION_COLUMNS",
    "CalibrationReport",
    "typed_row",
    "result_number",
    "result_key",
    "match_results",
    "calibrate_matched",
    "export_meta",
    "paired_rows",
    "mismatch_rows",
    "calibration_rows",
    "write_paired_csv",
    "write_mismatches_csv",
    "write_calibration_csv",
    "run_calibration",
]

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


def match_results(result_rows, sheet: ReferenceSheet, *, threshold: float = 86.0
                  ) -> tuple[list[SongIdentity], MatchResult]:
    """Identities of the result rows (tags, else file names) and their match to the sheet."""
    songs = []
    for r in result_rows:
        ident = song_identity({k: unneutralize(v) for k, v in r.items()
                               if k in ("title", "artist", "path")})
        songs.append(ident)
    return songs, match_songs(songs, sheet.rows, threshold=threshold)


def calibrate_matched(result_rows, sheet: ReferenceSheet, match: MatchResult, *,
                      k: int = 10, seed: int = 0, min_gain: float = 0.01) -> Calibration:
    """Fit the calibration of every descriptor the sheet holds, on the matched songs."""
    values = {}
    for d in REFERENCE_DESCRIPTORS:
        if d not in sheet.columns:
            continue
        xs, ys = [], []
        for m in match.matches:
            x = result_number(result_rows[m.song], d)
            y = sheet.rows[m.row].values.get(d)
            if x is not None and y is not None:
                xs.append(x)
                ys.append(y)
        values[d] = (np.array(xs), np.array(ys))
    keys = None
    if "key" in sheet.columns or "camelot" in sheet.columns:
        est = [result_key(result_rows[m.song]) for m in match.matches]
        ref = [sheet.rows[m.row].key for m in match.matches]
        keys = (est, ref)
    return fit_calibration(values, keys=keys, k=k, seed=seed, min_gain=min_gain)


def export_meta(sheet: ReferenceSheet | None, *, settings=None,
                calibration_settings: dict | None = None) -> dict:
    """Provenance columns of a calibration export (:func:`core.io.provenance.provenance`)
    with the sheet's file name and SHA-256."""
    return provenance(settings=settings, calibration_settings=calibration_settings,
                      reference_file=sheet.name if sheet is not None else None,
                      reference_sha256=sheet.sha256 if sheet is not None else None)


def _tempo_agreement(est, ref) -> str:
    if est is None or ref is None or est <= 0 or ref <= 0:
        return ""
    ratio = est / ref
    if abs(ratio - 1) <= 0.04:
        return "ok"
    for f, label in ((2.0, "double"), (0.5, "half"), (3.0, "triple"), (1 / 3, "third"),
                     (1.5, "three-halves"), (2 / 3, "two-thirds")):
        if abs(ratio - f) <= 0.04 * f:
            return label
    return "wrong"


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
    ``bpm_agreement`` ``ok`` (within 4 %), ``double``, ``half``, ``triple``, ``third``,
    ``three-halves``, ``two-thirds`` or ``wrong``; ``key_relation`` ``same``, ``fifth``,
    ``relative``, ``parallel`` or ``other`` with its MIREX ``key_score`` and the tonics'
    ``key_fifths_distance`` (0-6 steps around the circle of fifths).  With a
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
                row["bpm_agreement"] = _tempo_agreement(x, y)
            if calibration is not None and x is not None:
                row[f"{d}_calibrated"] = _calibrated(calibration, d, x)
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


def _calibrated(cal: Calibration, d: str, x: float) -> float:
    if d == "bpm":
        return float(cal.tempo.apply(x)) if cal.tempo is not None else x
    c = cal.descriptors.get(d)
    return float(c.correction.apply(x)) if c is not None else x


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


@dataclass
class CalibrationReport:
    """What :func:`run_calibration` did.

    Attributes
    ----------
    sheet : ReferenceSheet
    songs : list of SongIdentity
        Identities used for matching, one per result row.
    match : MatchResult
    calibration : Calibration
    profile : CalibrationProfile
    written : dict of str to str
        Export kind (``"calibration"``, ``"results"``, ``"profile"``, ``"mismatches"``) to
        the path written.
    """

    sheet: ReferenceSheet
    songs: list
    match: MatchResult
    calibration: Calibration
    profile: CalibrationProfile
    written: dict = field(default_factory=dict)

    @property
    def n_matched(self) -> int:
        """Songs paired with a reference row."""
        return len(self.match.matches)

    @property
    def unmatched_songs(self) -> list[SongIdentity]:
        """Songs without a row (ambiguous ones included)."""
        return [self.songs[i] for i in self.match.unmatched_songs]

    @property
    def unmatched_rows(self) -> list:
        """Reference rows no song was paired with."""
        return [self.sheet.rows[j] for j in self.match.unmatched_rows]


def run_calibration(result_rows, reference, *, calibration_out, results_out=None,
                    profile_out=None, mismatches_out=None, settings=None,
                    match: MatchResult | None = None, k: int = 10, seed: int = 0,
                    min_gain: float = 0.01, threshold: float = 86.0) -> CalibrationReport:
    """Pair results with a reference sheet, fit, and write the exports.

    Parameters
    ----------
    result_rows : sequence of dict
        Results rows (read from a results CSV, or ``SongResult.to_row()``).
    reference : str, os.PathLike or ReferenceSheet
        The sheet, or its path.
    calibration_out : str or os.PathLike
        ``calibration.csv`` to write.
    results_out, profile_out, mismatches_out : str or os.PathLike, optional
        Paired results CSV, JSON profile and mismatches CSV to write.
    settings : AnalysisSettings, dict or str, optional
        Analysis settings recorded in the exports; by default the ``settings`` provenance
        column of the results rows.
    match : MatchResult, optional
        A match to use as is (e.g. after manual matches in the window); by default the
        rows are matched here.
    k, seed, min_gain : optional
        Cross-validation folds, seed, and the relative MAE drop a correction must reach.
    threshold : float, optional
        Lowest fuzzy match score (0-100).

    Returns
    -------
    CalibrationReport

    Raises
    ------
    ReferenceSheetError
        When the sheet cannot be read.
    ValueError
        When an argument is out of range, or ``match`` does not fit the rows.
    """
    result_rows = list(result_rows)
    sheet = reference if isinstance(reference, ReferenceSheet) else load_reference(reference)
    if match is None:
        songs, match = match_results(result_rows, sheet, threshold=threshold)
    else:
        if match.n_songs != len(result_rows) or match.n_rows != len(sheet.rows):
            raise ValueError(f"match is for {match.n_songs} songs x {match.n_rows} rows, got "
                             f"{len(result_rows)} songs x {len(sheet.rows)} rows")
        songs = [song_identity({k2: unneutralize(v) for k2, v in r.items()})
                 for r in result_rows]
    if settings is None:
        settings = next((r.get("settings") for r in result_rows if r.get("settings")), None)
    cal = calibrate_matched(result_rows, sheet, match, k=k, seed=seed, min_gain=min_gain)
    cal_settings = {"k": k, "seed": seed, "min_gain": min_gain, "match_threshold": threshold}
    meta = export_meta(sheet, settings=settings, calibration_settings=cal_settings)
    profile = profile_from_calibration(cal, meta=dict(meta))
    written = {}
    write_calibration_csv(calibration_out, cal, meta=meta)
    written["calibration"] = os.fspath(calibration_out)
    if results_out is not None:
        write_paired_csv(results_out, result_rows, sheet, match, calibration=cal, meta=meta)
        written["results"] = os.fspath(results_out)
    if mismatches_out is not None:
        write_mismatches_csv(mismatches_out, result_rows, sheet, match, calibration=cal,
                             meta=meta)
        written["mismatches"] = os.fspath(mismatches_out)
    if profile_out is not None:
        save_profile(profile, profile_out)
        written["profile"] = os.fspath(profile_out)
    return CalibrationReport(sheet, songs, match, cal, profile, written)
