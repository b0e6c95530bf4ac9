"""``calibration.csv``: one row per calibrated column, its verdict, then the scores.

Rows, in order:

- ``bpm``: the octave rule and linear correction of tempo;
- one per analyzer descriptor (``energy``, ``loudness_lufs``...): the correction, its
  verdict, r² (raw, cross-validated, in-sample), MAE before and after (nested
  cross-validated) and the half-width of the 90 % interval;
- one per learned model, named ``<column>_learned`` (extra columns such as ``speech``
  included): its kind, whether it is kept, its nested cross-validated MAE and r², the inputs
  that matter and its learning curve;
- ``bpm_acc1``, ``bpm_acc2``, ``key_accuracy``, ``key_weighted``: the tempo and key scores
  before and after.

Each row ends with ``reference_scale``, the scale its reference values are on.  It is the
file's last column, after the provenance columns (:func:`core.io.csvio.write_csv`'s
``meta``), so every earlier column keeps its place, and a file written before it was added
reads as before, without it (:data:`CALIBRATION_LAST_COLUMNS`):
the name of the sheet's own scale where it has one (``Mixed In Key 1\u201310`` for a Mixed
In Key export's energy level), ``BPM`` for tempo, ``LUFS`` for loudness, ``0-1`` for the 0-1
descriptors, else ``as in the sheet`` (extra columns, keys) -- :func:`reference_scale`.

The verdict words and thresholds are those of :mod:`core.calibration.verdict`.
"""

from __future__ import annotations

from core.calibration.fit import Calibration
from core.calibration.reference import UNIT_DESCRIPTORS
from core.io.csvio import write_csv

__all__ = ["CALIBRATION_COLUMNS", "CALIBRATION_LAST_COLUMNS", "reference_scale",
           "calibration_rows", "write_calibration_csv"]

#: Columns of ``calibration.csv`` before the provenance columns, in order.
CALIBRATION_COLUMNS = (
    "descriptor", "verdict", "method", "kept", "n", "slope", "intercept", "r2", "r2_before",
    "r2_cv", "mae_before", "mae_after", "mae_fit", "interval90", "score", "score_before",
    "score_after", "rule", "clamp_low", "clamp_high", "folds", "candidates", "inputs",
    "learning_curve", "note",
)
#: Columns of ``calibration.csv`` after the provenance columns, in order: columns added
#: later, each at the end so that no earlier column moves.
CALIBRATION_LAST_COLUMNS = ("reference_scale",)

#: Scale of the reference values of each analyzer column the sheet writes on the
#: analyzer's own scale.
_SCALES = {"bpm": "BPM", "loudness_lufs": "LUFS", **dict.fromkeys(UNIT_DESCRIPTORS, "0-1")}
#: Scale of a column SongCal has no scale for (an extra column, keys).
_SHEETS_OWN = "as in the sheet"

_TOP_INPUTS = 5


def _candidates(cv: dict) -> str:
    return "; ".join(f"{m}={v:.4g}" for m, v in cv.items())


def _tempo_rows(cal: Calibration) -> list[dict]:
    t = cal.tempo
    note = t.note or f"linear fit on {t.n_agree} songs agreeing within 8 % after the octave rule"
    if t.n_missing:
        note += (f"; {t.n_missing} of {t.n} paired songs have no analyzer tempo (misses in "
                 "Acc1/Acc2, left out of MAE and r\u00b2)")
    rows = [{
        "descriptor": "bpm", "verdict": t.verdict, "method": t.correction.method,
        "kept": t.kept, "n": t.n, "slope": t.correction.slope,
        "intercept": t.correction.intercept, "r2": t.r2, "r2_before": t.r2_before,
        "r2_cv": t.r2_cv, "mae_before": t.mae_before, "mae_after": t.mae_after,
        "interval90": t.interval.describe(), "rule": t.rule.describe(),
        "clamp_low": t.correction.low, "clamp_high": t.correction.high, "folds": t.folds,
        "candidates": _candidates(t.cv_mae), "note": note}]
    for name, before, after in (("acc1", t.acc1_before, t.acc1_after),
                                ("acc2", t.acc2_before, t.acc2_after)):
        rows.append({"descriptor": f"bpm_{name}", "method": t.rule.describe(),
                     "kept": t.kept, "n": t.n, "score": name, "score_before": before,
                     "score_after": after, "folds": t.folds})
    return rows


def _learned_row(name: str, m) -> dict:
    baseline = m.mae_raw if m.mae_raw == m.mae_raw else m.mae_median
    top = "; ".join(f"{a}={v:.3g}" for a, v in m.importance[:_TOP_INPUTS])
    curve = "; ".join(f"{size}:{v:.4g}" for size, v in m.learning_curve)
    return {"descriptor": f"{name}_learned", "verdict": m.verdict, "method": m.kind or "none",
            "kept": m.kept, "n": m.n, "r2_cv": m.r2_cv, "mae_before": baseline,
            "mae_after": m.mae_cv, "interval90": m.interval.describe() if m.model else "",
            "clamp_low": getattr(m.model, "low", None),
            "clamp_high": getattr(m.model, "high", None), "folds": m.folds,
            "candidates": "; ".join(f"{k} chosen in {v} folds" for k, v in m.chosen.items()),
            "inputs": top, "learning_curve": curve,
            "note": "; ".join(t for t in (m.outlier_note, m.note) if t)}


def reference_scale(column: str, scales: dict | None = None) -> str:
    """The scale of ``column``'s reference values as ``calibration.csv`` names it.

    Parameters
    ----------
    column : str
        Analyzer or extra column (``"energy"``, ``"speech"``, ``"key"``).
    scales : dict of str to str, optional
        Column -> name of the sheet's own scale for it
        (:attr:`core.calibration.reference.ReferenceSheet.value_scales`), which comes first.
    """
    own = (scales or {}).get(column)
    return own or _SCALES.get(column, _SHEETS_OWN)


def _column_of(descriptor: str) -> str:
    """The column a row of ``calibration.csv`` is about (``bpm_acc1`` -> ``bpm``,
    ``energy_learned`` -> ``energy``, ``key_accuracy`` -> ``key``)."""
    for prefix in ("bpm_", "key_"):
        if descriptor.startswith(prefix) and descriptor[4:] in ("acc1", "acc2", "accuracy",
                                                                 "weighted"):
            return prefix[:-1]
    return descriptor.removesuffix("_learned")


def calibration_rows(cal: Calibration, *, scales: dict | None = None) -> list[dict]:
    """The rows of ``calibration.csv`` (see the module docstring).

    Parameters
    ----------
    cal : Calibration
    scales : dict of str to str, optional
        Column -> name of the sheet's own scale for it (see :func:`reference_scale`).
    """
    rows = _calibration_rows(cal)
    for row in rows:
        row["reference_scale"] = reference_scale(_column_of(row["descriptor"]), scales)
    return rows


def _calibration_rows(cal: Calibration) -> list[dict]:
    rows = _tempo_rows(cal) if cal.tempo is not None else []
    for name, d in cal.descriptors.items():
        c = d.correction
        rows.append({
            "descriptor": name, "verdict": d.verdict, "method": c.method, "kept": d.kept,
            "n": d.n, "slope": d.candidate.slope if d.folds else c.slope,
            "intercept": d.candidate.intercept if d.folds else c.intercept, "r2": d.r2,
            "r2_before": d.r2_before, "r2_cv": d.r2_cv, "mae_before": d.mae_before,
            "mae_after": d.mae_after, "mae_fit": d.mae_fit,
            "interval90": d.interval.describe(), "clamp_low": c.low, "clamp_high": c.high,
            "folds": d.folds, "candidates": _candidates(d.cv_mae),
            "note": "; ".join(t for t in (d.outlier_note, d.note) if t)})
    for name, m in cal.learned.items():
        rows.append(_learned_row(name, m))
    if cal.key is not None:
        k = cal.key
        confusions = sorted(((c, a, b) for (a, b), c in k.confusion.items() if a != b),
                            reverse=True)[:12]
        conf_text = "; ".join(f"{a} > {b}: {c}" for c, a, b in confusions)
        for name, before, after in (("accuracy", k.accuracy_before, k.accuracy_after),
                                    ("weighted", k.weighted_before, k.weighted_after)):
            rows.append({"descriptor": f"key_{name}", "verdict": k.verdict,
                         "method": k.correction.describe(), "kept": k.kept, "n": k.n,
                         "score": name, "score_before": before, "score_after": after,
                         "folds": k.folds,
                         "note": k.note or (f"confusions: {conf_text}" if conf_text else "")})
    return rows


def write_calibration_csv(path, cal: Calibration, *, meta=None,
                          scales: dict | None = None) -> None:
    """Write ``calibration.csv`` (see :func:`calibration_rows`): the score columns, the
    provenance ``meta`` holds, then :data:`CALIBRATION_LAST_COLUMNS`."""
    meta = dict(meta or {})
    known = (*CALIBRATION_COLUMNS, *CALIBRATION_LAST_COLUMNS)
    header = [*CALIBRATION_COLUMNS, *(k for k in meta if k not in known),
              *CALIBRATION_LAST_COLUMNS]
    write_csv(path, header, calibration_rows(cal, scales=scales), meta=meta)
