"""Apply a calibration profile to results: calibrated values and 90 % intervals for every
song, paired with the reference or not.

For each numeric column of the profile (:attr:`CalibrationProfile.columns`) three columns
are added: ``<column>_calibrated`` and the bounds of its 90 % prediction interval,
``<column>_calibrated_low`` and ``<column>_calibrated_high``
(:mod:`core.calibration.intervals`).  The value comes from the column's learned model when
one is kept (it reads all of the song's values), else from the descriptor's correction
(tempo: the octave rule, then the correction), else it is the analyzer's own value.  For
key, ``key_calibrated`` and ``key_camelot_calibrated``.

A song that was not analyzed (failed, timed out, cancelled, still queued) gets empty
calibrated cells, as does a value the analyzer could not measure when no learned model
stands in for it.

The user's own values take no part, for tempo and key alike: a calibration corrects the
analyzer, so ``bpm_calibrated`` comes from ``bpm`` and ``key_calibrated`` from ``key`` even
where the user set the song's tempo or key by hand (``bpm_user``, ``key_user``); those stay
in their own columns beside the calibrated ones (the paired, mismatches and calibrated
exports).

Values outside what a calibration knows.  A correction is a line (tempo: the octave rule,
then a line) and is applied as it is to any value, far outside the fitted songs' values or
not: it extrapolates, and the result is then clamped to the descriptor's range
(:data:`core.calibration.descriptor_fit.DESCRIPTOR_RANGES`: 0-1, -70 to 10 LUFS, 20-320
BPM); a learned model extrapolates as its kind does (ridge along its line, trees at the
value of their last split) and is clamped to its ``low``/``high``.  So that this is not
silent, a profile that keeps the range each column was fitted on
(:attr:`CalibrationProfile.fitted_ranges`) gives one more column, ``outside_fit``: per song,
the calibrated columns (``;``-separated, in column order) whose value was computed from a
value outside that range widened by :data:`OUTSIDE_FIT_MARGIN` of its width on each side
(a column the profile leaves as the analyzer gives it, with no correction, is not marked:
nothing is extrapolated there);
for a learned model the inputs outside follow in brackets (``speech (duration_s,
loudness_lufs)``), as they do when anything but the column's own value is.  Empty when
none; keys are never marked (a key map has no range).  A profile without ranges (written
before they were kept) gives no such column.
"""

from __future__ import annotations

import math

import numpy as np

from core.calibration.cells import result_key, result_number
from core.calibration.descriptor_fit import DESCRIPTOR_RANGES, SCALE_METHOD
from core.calibration.inputs import ALL_INPUTS, analyzed, input_matrix
from core.calibration.profile import CalibrationProfile

__all__ = ["CALIBRATED_SUFFIXES", "OUTSIDE_FIT", "OUTSIDE_FIT_MARGIN", "calibrated_columns",
           "NO_RANGES_KEPT", "calibrated_values", "outside_fit", "outside_fit_counts",
           "keeps_fitted_ranges", "apply_profile"]

#: Suffixes of the columns added per numeric column: the value and the interval's bounds.
CALIBRATED_SUFFIXES = ("_calibrated", "_calibrated_low", "_calibrated_high")

#: The column naming, per song, the calibrated columns computed from a value outside the
#: range the profile was fitted on.
OUTSIDE_FIT = "outside_fit"

#: A fitted range is widened by this share of its width on each side before a value is
#: said to be outside it (a loudness fitted on -14 to -6 LUFS marks values below -14.4 and
#: above -5.6).
OUTSIDE_FIT_MARGIN = 0.05


def calibrated_columns(profile: CalibrationProfile) -> list[str]:
    """Columns :func:`apply_profile` adds, in order."""
    cols = []
    for c in profile.columns:
        cols += [c + s for s in CALIBRATED_SUFFIXES]
    if profile.key is not None:
        cols += ["key_calibrated", "key_camelot_calibrated"]
    if _ranges(profile):
        cols.append(OUTSIDE_FIT)
    return cols


def _ranges(profile: CalibrationProfile) -> dict:
    """The fitted ranges of the columns the profile gives values for."""
    return {c: profile.fitted_ranges[c] for c in profile.columns
            if profile.fitted_ranges.get(c)}


def _corrects(profile: CalibrationProfile, column: str) -> bool:
    """True when ``column``'s calibrated value is not the analyzer's value as it is (a
    learned model, a correction, or a tempo rule other than none): only such a value is
    extrapolated outside the fitted range."""
    if column in profile.learned:
        return True
    if column == "bpm":
        rule = profile.tempo_rule
        return (rule is not None and rule.kind != "none"
                or profile.tempo_correction.method != "none")
    correction = profile.descriptors.get(column)
    return correction is not None and correction.method not in ("none", SCALE_METHOD)


def _range(profile: CalibrationProfile, column: str):
    model = profile.learned.get(column)
    if model is not None:
        return model.low, model.high
    if column == "bpm":
        return None, None
    correction = profile.descriptors.get(column)
    if correction is not None and correction.method != "none" and (
            correction.low is not None or correction.high is not None):
        return correction.low, correction.high  # the range it is clamped to: the reference's
    return DESCRIPTOR_RANGES.get(column, (None, None))


def calibrated_values(profile: CalibrationProfile, rows, *, inputs=None) -> dict[str, tuple]:
    """Calibrated values and interval bounds of every numeric column for ``rows``.

    Parameters
    ----------
    profile : CalibrationProfile
    rows : sequence of dict
        Results rows (CSV text or typed values).
    inputs : ndarray, optional
        ``input_matrix(rows)`` (every input of :data:`core.calibration.inputs.ALL_INPUTS`)
        when the caller has it already.

    Returns
    -------
    dict of str to (ndarray, ndarray, ndarray)
        Column -> (values, lower bounds, upper bounds), NaN where there is no value.
    """
    rows = list(rows)
    done = np.array([analyzed(r) for r in rows], bool)
    if inputs is None and profile.learned:
        inputs = input_matrix(rows)
    out = {}
    for c in profile.columns:
        model = profile.learned.get(c)
        if model is not None:
            X = inputs[:, [ALL_INPUTS.index(name) for name in model.inputs]]
            usable = done & ~np.all(np.isnan(X), axis=1)
            value = np.full(len(rows), np.nan)
            if usable.any():
                value[usable] = model.predict(X[usable])
        else:
            raw = np.array([np.nan if (v := result_number(r, c)) is None else v
                            for r in rows], float)
            value = np.asarray(profile.apply_values(c, raw), float)
            value = np.where(done, value, np.nan)
        interval = profile.intervals.get(c)
        if interval is None:
            low = high = np.full(len(rows), np.nan)
        else:
            lo, hi = _range(profile, c)
            low, high = interval.bounds(value, low=lo, high=hi)
        out[c] = (value, np.asarray(low, float), np.asarray(high, float))
    return out


def outside_fit(profile: CalibrationProfile, rows, *, values=None, inputs=None) -> list:
    """Per row, the :data:`OUTSIDE_FIT` cell: the calibrated columns whose value was computed
    from a value outside the fitted range (module docstring).

    Parameters
    ----------
    profile : CalibrationProfile
    rows : sequence of dict
        Results rows.
    values : dict, optional
        ``calibrated_values(profile, rows)`` when the caller has it (a column without a
        calibrated value is not marked).
    inputs : ndarray, optional
        ``input_matrix(rows)`` when the caller has it.

    Returns
    -------
    list of str or None
        ``None`` for every row when the profile keeps no ranges; else ``""`` where nothing
        is outside, or e.g. ``"bpm;speech (duration_s)"``.
    """
    rows = list(rows)
    ranges = _ranges(profile)
    if not ranges:
        return [None] * len(rows)
    ranges = {c: r for c, r in ranges.items() if _corrects(profile, c)}
    if values is None:
        values = calibrated_values(profile, rows, inputs=inputs)
    names = sorted({name for r in ranges.values() for name in r})
    if inputs is not None:
        X = inputs[:, [ALL_INPUTS.index(name) for name in names]]
    else:
        X = input_matrix(rows, names)
    marks: list[list[str]] = [[] for _ in rows]
    for c, r in ranges.items():
        has = np.isfinite(values[c][0])
        out_of: list[list[str]] = [[] for _ in rows]
        for name, (low, high) in r.items():
            x = X[:, names.index(name)]
            pad = OUTSIDE_FIT_MARGIN * (high - low)
            with np.errstate(invalid="ignore"):
                far = has & ((x < low - pad) | (x > high + pad))
            for i in np.flatnonzero(far):
                out_of[i].append(name)
        for i, names_out in enumerate(out_of):
            if names_out:
                own = names_out == [c] and list(r) == [c]
                marks[i].append(c if own else f"{c} ({', '.join(sorted(names_out))})")
    return [";".join(m) for m in marks]


#: What a summary says of a profile written before the fitted ranges were kept.
NO_RANGES_KEPT = ("the profile keeps no fitted ranges (as profiles written before they were "
                  "kept): values outside them are not marked")


def keeps_fitted_ranges(profile: CalibrationProfile) -> bool:
    """True when applying ``profile`` marks values outside its fitted ranges (it has numeric
    columns and kept their ranges: :data:`OUTSIDE_FIT` is among its columns)."""
    return bool(_ranges(profile))


def outside_fit_counts(rows) -> tuple[int, dict]:
    """How many rows (with :data:`OUTSIDE_FIT` cells, as :func:`apply_profile` gives them)
    have a value outside the fitted range, and how many per calibrated column."""
    n, per = 0, {}
    for row in rows:
        cell = row.get(OUTSIDE_FIT)
        if not cell:
            continue
        n += 1
        for entry in str(cell).split(";"):
            c = entry.split(" (")[0]
            per[c] = per.get(c, 0) + 1
    return n, per


def _cell(v) -> float | None:
    return None if v is None or not math.isfinite(v) else float(v)


def apply_profile(profile: CalibrationProfile, rows, *, inputs=None) -> list[dict]:
    """Add calibrated columns (:func:`calibrated_columns`) to result rows.

    Parameters
    ----------
    profile : CalibrationProfile
    rows : iterable of dict
        Results rows (as read from a results CSV, or ``SongResult.to_row()``).
    inputs : ndarray, optional
        As in :func:`calibrated_values`.

    Returns
    -------
    list of dict
        New rows; a calibrated cell is ``None`` where there is no value.  With a profile
        that keeps its fitted ranges, :data:`OUTSIDE_FIT` too (:func:`outside_fit`; ``None``
        for a song that was not analyzed).
    """
    rows = list(rows)
    if inputs is None and profile.learned:
        inputs = input_matrix(rows)
    values = calibrated_values(profile, rows, inputs=inputs)
    marks = outside_fit(profile, rows, values=values, inputs=inputs)
    add_marks = OUTSIDE_FIT in calibrated_columns(profile)
    out = []
    for i, row in enumerate(rows):
        new = dict(row)
        for c, arrays in values.items():
            for suffix, arr in zip(CALIBRATED_SUFFIXES, arrays, strict=True):
                new[c + suffix] = _cell(arr[i])
        if profile.key is not None:
            fixed = profile.key.apply(result_key(row)) if analyzed(row) else None
            new["key_calibrated"] = fixed.name if fixed else None
            new["key_camelot_calibrated"] = fixed.camelot if fixed else None
        if add_marks:
            new[OUTSIDE_FIT] = marks[i] if analyzed(row) else None
        out.append(new)
    return out
