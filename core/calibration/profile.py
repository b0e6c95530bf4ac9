"""Calibration profiles: what a calibration keeps, as versioned JSON.

A profile holds, per numeric descriptor, a
:class:`core.calibration.descriptor_fit.LinearCorrection`; for tempo an octave rule
(:class:`core.calibration.tempo_fit.TempoRule`) followed by a correction; for key a
:class:`core.calibration.key_fit.KeyCorrection`; per column whose learned model is kept,
the model in its plain-JSON form (:mod:`core.calibration.learned_model`); per numeric
column the 90 % prediction interval of what is applied, the verdict and the range of
values it was fitted on (``fitted_ranges``: per column, per value its calibrated value is
computed from -- the analyzer's own value of that column for a correction, every input of a
learned model -- the lowest and highest value over the songs of the fit); and provenance
(app version, settings, reference file name and SHA-256, the scores measured when it was
fitted).  Nothing in a profile is executed or unpickled.  It is written atomically.
:mod:`core.calibration.applying` applies it to results.

Reading a profile checks it field by field before anything is applied
(:func:`profile_from_dict`): the format name; ``version`` a whole number this SongCal
knows; every method one of the known ones; every slope, intercept, clamp and factor a
finite number within :data:`PROFILE_LIMITS` (a tempo slope positive; a negative slope only
where the result is clamped on both sides), and present where a correction or rule uses it
(the intercept of any correction, the slope of any but an offset, a factor rule's factor;
the other fields left out take their defaults); every section an object (or left out, or
null); descriptor names among the results columns;
key transforms and map targets real keys; learned models, intervals and verdicts in their
documented forms; every fitted range a pair ``[low, high]`` of finite numbers with low not
above high, of a value SongCal measures, for a column the profile calibrates.  Anything
else is refused with :class:`ProfileError` naming the field (``descriptors.energy.slope``,
``fitted_ranges.energy.energy``).  A profile file must be a regular UTF-8 JSON file of at
most :data:`core.io.inputs.MAX_PROFILE_BYTES`.

Format versions: 1 (corrections only) is still read; 2 adds ``learned``, ``intervals`` and
``verdicts``.  ``fitted_ranges`` is optional within version 2 (a SongCal that does not
know it ignores it): a profile written before it was kept has none, and applies as before,
without marking values outside the range (:mod:`core.calibration.applying`).  Version 3
has the sections of version 2 and is written only for a profile whose values are on a
reference's own scale, which a SongCal that knows version 2 alone would take for the
analyzer's: a correction of method ``scale``, or a correction or learned model clamped
beyond its column's range (:data:`core.calibration.descriptor_fit.DESCRIPTOR_RANGES`; a
Mixed In Key energy level 1-10 against the analyzer's 0-1) -- :func:`profile_version`.
Any other profile is still written as version 2, byte for byte as before.  Versions 1 to
:data:`PROFILE_VERSION` are read.
"""

from __future__ import annotations

import json
import math
import os
import re
from dataclasses import asdict, dataclass, field, replace

from core.calibration.descriptor_fit import (
    DESCRIPTOR_RANGES,
    LINEAR_METHODS,
    SCALE_METHOD,
    LinearCorrection,
)
from core.calibration.fit import Calibration
from core.calibration.inputs import ALL_INPUTS
from core.calibration.intervals import PredictionInterval
from core.calibration.key_fit import KEY_TRANSFORMS, KeyCorrection
from core.calibration.learned_model import model_from_dict
from core.calibration.tempo_fit import TempoRule
from core.calibration.verdict import VERDICTS
from core.errors import SongCalError
from core.io.inputs import MAX_PROFILE_BYTES, InputFileError, read_regular_file
from core.io.keynotation import parse_key
from core.io.results import DESCRIPTOR_COLUMNS, TEXT_COLUMNS

__all__ = [
    "PROFILE_FORMAT",
    "PROFILE_VERSION",
    "PLAIN_PROFILE_VERSION",
    "PROFILE_LIMITS",
    "ProfileError",
    "CalibrationProfile",
    "profile_from_calibration",
    "results_analyzer",
    "profile_mismatch",
    "profile_version",
    "profile_to_dict",
    "profile_from_dict",
    "save_profile",
    "load_profile",
]

PROFILE_FORMAT = "songcal-calibration-profile"
#: Newest format version this SongCal writes and reads.
PROFILE_VERSION = 3
#: Version written for a profile whose values are all on the analyzer's own scales.
PLAIN_PROFILE_VERSION = 2

#: Largest magnitude of each number in a profile (a corrected value past these is no
#: calibration): slopes, intercepts and clamps, tempo factors and ranges (BPM).
PROFILE_LIMITS = {"slope": 1e3, "intercept": 1e6, "clamp": 1e6, "tempo_slope": 10.0,
                  "tempo_factor": 10.0, "tempo_bpm": 1000.0}

#: Descriptor names a profile may correct: the numeric columns of the results.
_PROFILE_DESCRIPTORS = frozenset(c for c in DESCRIPTOR_COLUMNS if c not in TEXT_COLUMNS)
_METHODS = ("none", *LINEAR_METHODS, SCALE_METHOD)


class ProfileError(SongCalError):
    """A calibration profile cannot be read; carries the path and the reason."""

    def __init__(self, path, reason: str):
        self.path = os.fspath(path)
        self.reason = reason
        super().__init__(f"{self.path}: {reason}")


@dataclass
class CalibrationProfile:
    """Corrections to apply to later analyses.

    Attributes
    ----------
    descriptors : dict of str to LinearCorrection
        Numeric descriptors other than tempo (method ``"none"`` passes through).
    tempo_rule : TempoRule or None
        Octave rule for ``bpm``; ``None`` when the profile knows nothing about tempo.
    tempo_correction : LinearCorrection
        Applied after the octave rule (BPM).
    key : KeyCorrection or None
        Key correction; ``None`` when the profile knows nothing about key.
    learned : dict of str to RidgeModel or TreeModel
        Column -> the learned model applied instead of its descriptor's correction (and
        the only calibration of an extra column).
    intervals : dict of str to PredictionInterval
        Column -> 90 % interval of what is applied to it.
    verdicts : dict of str to str
        Column (``"key"`` too) -> verdict when it was fitted.
    fitted_ranges : dict of str to dict of str to (float, float)
        Column -> value its calibrated value is computed from (``"bpm"`` for tempo, the
        inputs of a learned model) -> lowest and highest value over the songs it was
        fitted on.  Empty for a profile written before the ranges were kept.
    meta : dict
        Provenance and the scores measured at fitting time.
    """

    descriptors: dict = field(default_factory=dict)
    tempo_rule: TempoRule | None = None
    tempo_correction: LinearCorrection = field(default_factory=LinearCorrection)
    key: KeyCorrection | None = None
    learned: dict = field(default_factory=dict)
    intervals: dict = field(default_factory=dict)
    verdicts: dict = field(default_factory=dict)
    meta: dict = field(default_factory=dict)
    fitted_ranges: dict = field(default_factory=dict)

    @property
    def columns(self) -> list[str]:
        """Numeric columns the profile gives calibrated values for, in output order."""
        out = ["bpm"] if self.tempo_rule is not None else []
        out += list(self.descriptors)
        return out + [c for c in self.learned if c not in out]

    def apply_values(self, descriptor: str, values):
        """Calibrated value(s) of one numeric descriptor.

        Parameters
        ----------
        descriptor : str
            ``"bpm"``, ``"energy"``...
        values : float or array_like
            Analyzer values in the descriptor's unit; NaN stays NaN.  A correction is
            clamped to its own range, or to the descriptor's
            (:data:`core.calibration.descriptor_fit.DESCRIPTOR_RANGES`) when it sets none.

        Returns
        -------
        float, ndarray or None
            ``None`` when the profile knows nothing about ``descriptor``.  A learned model
            is not used here (it reads whole rows:
            :func:`core.calibration.applying.apply_profile`).
        """
        if descriptor == "bpm":
            if self.tempo_rule is None:
                return None
            c, values = self.tempo_correction, self.tempo_rule.apply(values)
        else:
            c = self.descriptors.get(descriptor)
            if c is None:
                return None
        if (c.method != "none" and c.low is None and c.high is None
                and descriptor in DESCRIPTOR_RANGES):
            # A correction that sets no clamp of its own (a profile written by hand: a
            # fitted one carries its range) is clamped to the descriptor's range.
            low, high = DESCRIPTOR_RANGES[descriptor]
            c = replace(c, low=low, high=high)
        return c.apply(values)


def _clean(value):
    """JSON-safe copy: NaN and infinities become None."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    return value


def _scores(cal: Calibration, scales: dict, outliers: dict, learned_outliers: dict) -> dict:
    scores: dict = {}
    for name, d in cal.descriptors.items():
        scores[name] = {"n": d.n, "method": d.correction.method, "verdict": d.verdict,
                        "mae_before": d.mae_before, "mae_after": d.mae_after, "r2": d.r2,
                        "r2_cv": d.r2_cv}
        if len(d.outliers):
            scores[name].update(r2_cv_inliers=d.r2_cv_inliers,
                                outlying_songs=outliers.get(name, []))
    if cal.tempo is not None:
        t = cal.tempo
        scores["bpm"] = {"n": t.n, "n_missing": t.n_missing, "rule": t.rule.describe(),
                         "method": t.correction.method, "verdict": t.verdict,
                         "mae_before": t.mae_before, "mae_after": t.mae_after,
                         "acc1_before": t.acc1_before, "acc1_after": t.acc1_after,
                         "acc2_before": t.acc2_before, "acc2_after": t.acc2_after}
    if cal.key is not None:
        k = cal.key
        scores["key"] = {"n": k.n, "correction": k.correction.describe(), "verdict": k.verdict,
                         "accuracy_before": k.accuracy_before,
                         "accuracy_after": k.accuracy_after,
                         "weighted_before": k.weighted_before,
                         "weighted_after": k.weighted_after,
                         "confusion": [[a, b, c] for (a, b), c in sorted(k.confusion.items())]}
    for name, m in cal.learned.items():
        scores.setdefault(name, {})["learned"] = {
            "n": m.n, "kind": m.kind, "kept": m.kept, "verdict": m.verdict,
            "mae_cv": m.mae_cv, "r2_cv": m.r2_cv, "chosen": m.chosen,
            "importance": [[a, v] for a, v in m.importance],
            "learning_curve": [[a, v] for a, v in m.learning_curve]}
        if len(m.outliers):
            scores[name]["learned"].update(r2_cv_inliers=m.r2_cv_inliers,
                                           outlying_songs=learned_outliers.get(name, []))
    for name, scale in scales.items():
        if name in scores:
            scores[name]["reference_scale"] = scale
    return scores


def profile_from_calibration(cal: Calibration, *, meta: dict | None = None,
                             scales: dict | None = None, outliers: dict | None = None,
                             learned_outliers: dict | None = None) -> CalibrationProfile:
    """The profile of a fitted calibration (scores go into ``meta["scores"]``).

    Parameters
    ----------
    cal : Calibration
    meta : dict, optional
        Provenance.
    scales : dict of str to str, optional
        Column -> name of the reference's own scale (``"Mixed In Key 1-10"``), recorded
        with the column's scores as ``reference_scale``.
    outliers : dict of str to list, optional
        Column -> the outlying songs its verdict was judged without, each a dict (song,
        analyzer and reference value), recorded with its scores as ``outlying_songs``.
    learned_outliers : dict of str to list, optional
        The same for the columns' learned models (song, cross-validated prediction and
        reference value), recorded with the model's scores.
    """
    learned = {c: m.model for c, m in cal.learned.items() if m.kept}
    intervals, verdicts = {}, {}
    if cal.tempo is not None:
        intervals["bpm"], verdicts["bpm"] = cal.tempo.interval, cal.tempo.verdict
    for name, d in cal.descriptors.items():
        intervals[name], verdicts[name] = d.interval, d.verdict
    for name, m in cal.learned.items():
        if m.kept:
            intervals[name] = m.interval
        if name not in verdicts and m.verdict:
            verdicts[name] = m.verdict
    if cal.key is not None:
        verdicts["key"] = cal.key.verdict
    full_meta = dict(meta or {})
    full_meta["scores"] = _scores(cal, scales or {}, outliers or {}, learned_outliers or {})
    full_meta["cross_validation"] = {"k": cal.k, "seed": cal.seed, "min_gain": cal.min_gain}
    return CalibrationProfile(
        fitted_ranges=_fitted_ranges(cal, learned),
        descriptors={name: d.correction for name, d in cal.descriptors.items()},
        tempo_rule=cal.tempo.rule if cal.tempo is not None else None,
        tempo_correction=cal.tempo.correction if cal.tempo is not None else LinearCorrection(),
        key=cal.key.correction if cal.key is not None else None,
        learned=learned, intervals=intervals, verdicts=verdicts, meta=full_meta,
    )


def _fitted_ranges(cal: Calibration, learned: dict) -> dict:
    """Per column, the range of every value its applied calibration reads (see
    :attr:`CalibrationProfile.fitted_ranges`): a kept learned model's inputs, else the
    column's own analyzer values."""
    out = {}
    if cal.tempo is not None and cal.tempo.fitted_range is not None:
        out["bpm"] = {"bpm": cal.tempo.fitted_range}
    for name, d in cal.descriptors.items():
        if d.fitted_range is not None:
            out[name] = {name: d.fitted_range}
    for name in learned:
        ranges = {k: v for k, v in cal.learned[name].input_ranges.items() if v is not None}
        if ranges:
            out[name] = ranges
        else:
            out.pop(name, None)
    return out


def results_analyzer(rows) -> str | None:
    """The analyzer build that made results rows: their ``analyzer`` column when they were
    read from a SongCal file (which carries ``songcal_version``; empty when it names no
    build), None for rows this SongCal made (this build)."""
    for r in rows:
        if r.get("analyzer"):
            return str(r["analyzer"])
    return "" if any("songcal_version" in r for r in rows) else None


def profile_mismatch(profile: CalibrationProfile, analyzer: str | None) -> str:
    """Why ``profile`` may not fit results of the build ``analyzer`` (None: this build), or
    empty.  A correction learns one analyzer's errors: results of another build (a later
    tempo or key decision, another library) may not have them.  Empty when either side
    does not say which build it is."""
    fitted_on = str(profile.meta.get("analyzer") or "")
    if analyzer is None:
        from core.analysis.identity import analyzer_id

        analyzer = analyzer_id()
    if not fitted_on or not analyzer or fitted_on == analyzer:
        return ""
    return (f"the profile was fitted on results of analyzer build {fitted_on}, these "
            f"results come from build {analyzer}: its corrections may not fit them "
            "(fit a new calibration on these results to be sure)")


def _beyond(column: str, low, high) -> bool:
    """Whether clamps ``low``, ``high`` reach past ``column``'s own range (never, for a
    column SongCal gives no range)."""
    if column not in DESCRIPTOR_RANGES:
        return False
    lo, hi = DESCRIPTOR_RANGES[column]
    return (low is not None and low < lo) or (high is not None and high > hi)


def _own_scale(column: str, c: LinearCorrection) -> bool:
    """Whether correction ``c`` of ``column`` gives values on another scale than the
    analyzer's: the ``scale`` map, or a fitted line clamped beyond the column's range."""
    return c.method == SCALE_METHOD or (c.method != "none" and _beyond(column, c.low, c.high))


def profile_version(profile: CalibrationProfile) -> int:
    """The format version :func:`profile_to_dict` writes ``profile`` in: 3 when a
    correction or learned model gives values on a reference's own scale (module
    docstring), else 2."""
    own = (any(_own_scale(name, c) for name, c in profile.descriptors.items())
           or (profile.tempo_rule is not None
               and _own_scale("bpm", profile.tempo_correction))
           or any(_beyond(name, getattr(m, "low", None), getattr(m, "high", None))
                  for name, m in profile.learned.items()))
    return PROFILE_VERSION if own else PLAIN_PROFILE_VERSION


def profile_to_dict(profile: CalibrationProfile) -> dict:
    """Plain JSON-ready dict of a profile, in the version :func:`profile_version` says."""
    return _clean({
        "format": PROFILE_FORMAT,
        "version": profile_version(profile),
        "descriptors": {k: asdict(v) for k, v in profile.descriptors.items()},
        "tempo": None if profile.tempo_rule is None else {
            "rule": asdict(profile.tempo_rule),
            "correction": asdict(profile.tempo_correction)},
        "key": None if profile.key is None else asdict(profile.key),
        "learned": {c: m.to_dict() for c, m in profile.learned.items()},
        "intervals": {c: i.to_dict() for c, i in profile.intervals.items()},
        "verdicts": dict(profile.verdicts),
        "fitted_ranges": {c: {name: list(r) for name, r in ranges.items()}
                          for c, ranges in profile.fitted_ranges.items()},
        "meta": profile.meta,
    })


def _need(cond: bool, where: str, what: str, value) -> None:
    if not cond:
        raise ValueError(f"{where}: {what}, got {_show(value)}")


def _show(value) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _number(d: dict, name: str, where: str, *, default, limit: float, optional=False):
    value = d.get(name, default)
    if value is None and optional:
        return None
    _need(isinstance(value, int | float) and not isinstance(value, bool),
          f"{where}.{name}", "must be a number", value)
    _need(math.isfinite(value), f"{where}.{name}", "must be a finite number", value)
    _need(abs(value) <= limit, f"{where}.{name}", f"must be within +-{limit:g}", value)
    return float(value)


def _linear(d, where: str, *, tempo: bool = False) -> LinearCorrection:
    _need(isinstance(d, dict), where, "must be an object", d)
    method = d.get("method", "none")
    _need(method in _METHODS, f"{where}.method", f"must be one of {', '.join(_METHODS)}",
          method)
    lim = PROFILE_LIMITS
    slope = _number(d, "slope", where, default=1.0,
                    limit=lim["tempo_slope"] if tempo else lim["slope"])
    intercept = _number(d, "intercept", where, default=0.0,
                        limit=lim["tempo_bpm"] if tempo else lim["intercept"])
    low = _number(d, "low", where, default=None, limit=lim["clamp"], optional=True)
    high = _number(d, "high", where, default=None, limit=lim["clamp"], optional=True)
    if low is not None and high is not None:
        _need(low < high, f"{where}.low", "must be below high", (low, high))
    if method != "none":
        _need(abs(slope) >= 1e-6, f"{where}.slope", "must not be 0", slope)
        if tempo:
            _need(slope > 0, f"{where}.slope", "must be positive for tempo", slope)
        else:
            _need(slope > 0 or (low is not None and high is not None), f"{where}.slope",
                  "may be negative only with both low and high clamps", slope)
    if method != "none":
        # a correction's own numbers have no default: 0 or 1 in their place is another
        # correction than the one fitted
        article = "an" if method[0] in "aeiou" else "a"
        for name in ("slope", "intercept") if method != "offset" else ("intercept",):
            _need(name in d, f"{where}.{name}", f"{article} {method} correction needs it",
                  None)
    return LinearCorrection(method=method, slope=slope, intercept=intercept, low=low,
                            high=high)


def _tempo_rule(r, where: str) -> TempoRule:
    _need(isinstance(r, dict), where, "must be an object", r)
    kind = r.get("kind", "none")
    _need(kind in ("none", "factor", "range"), f"{where}.kind",
          "must be one of none, factor, range", kind)
    lim = PROFILE_LIMITS
    factor = _number(r, "factor", where, default=1.0, limit=lim["tempo_factor"])
    low = _number(r, "low", where, default=None, limit=lim["tempo_bpm"], optional=True)
    high = _number(r, "high", where, default=None, limit=lim["tempo_bpm"], optional=True)
    if kind == "factor":
        _need("factor" in r, f"{where}.factor", "a factor rule needs it", None)
    try:
        return TempoRule(kind=kind, factor=factor, low=low, high=high)
    except ValueError as err:
        raise ValueError(f"{where}: {err}") from None


def _fitted_ranges_from(raw: dict, columns) -> dict:
    """The ``fitted_ranges`` section, checked (module docstring)."""
    out = {}
    for c, ranges in raw.items():
        where = f"fitted_ranges.{c}"
        _need(c in columns, where, "is not a column the profile calibrates", c)
        _need(isinstance(ranges, dict), where, "must be an object", ranges)
        out[c] = {}
        for name, r in ranges.items():
            at = f"{where}.{name}"
            _need(name in ALL_INPUTS, at, "is not a value SongCal measures", name)
            _need(isinstance(r, list) and len(r) == 2, at, "must be a pair [low, high]", r)
            for v in r:
                _need(isinstance(v, int | float) and not isinstance(v, bool), at,
                      "must hold two numbers", r)
                _need(math.isfinite(v), at, "must hold two finite numbers", r)
            _need(r[0] <= r[1], at, "low must not be above high", r)
            out[c][name] = (float(r[0]), float(r[1]))
    return out


def _key_correction(k, where: str) -> KeyCorrection:
    _need(isinstance(k, dict), where, "must be an object", k)
    out = {}
    for mode in ("major", "minor"):
        t = k.get(mode, "keep")
        _need(t in KEY_TRANSFORMS, f"{where}.{mode}",
              f"must be one of {', '.join(KEY_TRANSFORMS)}", t)
        out[mode] = t
    mapping = _or_empty(k, "mapping")
    _need(isinstance(mapping, dict), f"{where}.mapping", "must be an object", mapping)
    for a, b in mapping.items():
        _need(isinstance(b, str) and parse_key(b) is not None, f"{where}.mapping.{a}",
              "must be a key such as 'A minor'", b)
        _need(parse_key(a) is not None, f"{where}.mapping", "keys must be keys", a)
    return KeyCorrection(major=out["major"], minor=out["minor"],
                         mapping={str(a): str(b) for a, b in mapping.items()})


def profile_from_dict(data: dict, *, path: str = "<profile>") -> CalibrationProfile:
    """Inverse of :func:`profile_to_dict`, checking every field (module docstring).

    Raises
    ------
    ProfileError
        When the dict is not a SongCal profile or a field is malformed, naming the field.
    """
    if not isinstance(data, dict) or data.get("format") != PROFILE_FORMAT:
        raise ProfileError(path, f"not a SongCal calibration profile (format must be "
                           f"{PROFILE_FORMAT!r})")
    version = data.get("version")
    if isinstance(version, bool) or not isinstance(version, int):
        raise ProfileError(path, f"version: must be a whole number (this SongCal reads "
                                 f"versions 1 to {PROFILE_VERSION}), got {_show(version)}")
    if version > PROFILE_VERSION:
        raise ProfileError(path, f"profile version {version} is newer than this SongCal "
                                 f"understands ({PROFILE_VERSION})")
    if version < 1:
        raise ProfileError(path, f"version: must be 1 or more, got {version}")
    try:
        raw = _or_empty(data, "descriptors")
        _need(isinstance(raw, dict), "descriptors", "must be an object", raw)
        descriptors = {}
        for name, d in raw.items():
            _need(name in _PROFILE_DESCRIPTORS, f"descriptors.{name}",
                  "is not a SongCal descriptor", name)
            descriptors[name] = _linear(d, f"descriptors.{name}")
        tempo = data.get("tempo")
        rule = corr = None
        if tempo is not None:
            _need(isinstance(tempo, dict), "tempo", "must be an object or null", tempo)
            rule = _tempo_rule(_or_empty(tempo, "rule"), "tempo.rule")
            corr = _linear(_or_empty(tempo, "correction"), "tempo.correction", tempo=True)
        key = data.get("key")
        key_corr = None if key is None else _key_correction(key, "key")
        learned, intervals, verdicts = {}, {}, {}
        for c, m in _section(data, "learned").items():
            try:
                learned[str(c)] = model_from_dict(m)
            except ValueError as err:
                raise ValueError(f"learned.{c}: {err}") from None
        for c, i in _section(data, "intervals").items():
            try:
                intervals[str(c)] = PredictionInterval.from_dict(i)
            except (TypeError, ValueError, AttributeError, KeyError) as err:
                raise ValueError(f"intervals.{c}: {err}") from None
        for c, v in _section(data, "verdicts").items():
            if v not in VERDICTS:
                raise ValueError(f"verdicts.{c}: must be one of {list(VERDICTS)}, "
                                 f"got {_show(v)}")
            verdicts[str(c)] = v
        meta = _or_empty(data, "meta")
        _need(isinstance(meta, dict), "meta", "must be an object", meta)
        profile = CalibrationProfile(descriptors=descriptors, tempo_rule=rule,
                                     tempo_correction=corr or LinearCorrection(),
                                     key=key_corr, learned=learned, intervals=intervals,
                                     verdicts=verdicts, meta=dict(meta))
        profile.fitted_ranges = _fitted_ranges_from(_section(data, "fitted_ranges"),
                                                    profile.columns)
    except (TypeError, ValueError, AttributeError) as err:
        raise ProfileError(path, f"malformed profile: {err}") from None
    return profile


def _or_empty(d: dict, name: str):
    """``d[name]``, or an empty object when it is left out or null (a ``[]``, ``""`` or
    ``0`` stays as it is, to be refused as not an object)."""
    value = d.get(name)
    return {} if value is None else value


def _section(data: dict, name: str) -> dict:
    value = data.get(name)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ValueError(f"{name!r} must be a JSON object")
    return value


def save_profile(profile: CalibrationProfile, path: str | os.PathLike) -> None:
    """Write a profile as JSON, atomically."""
    from core.io.csvio import atomic_write_text

    text = json.dumps(profile_to_dict(profile), indent=2, ensure_ascii=False, sort_keys=False)
    atomic_write_text(path, text + "\n")


def load_profile(path: str | os.PathLike) -> CalibrationProfile:
    """Read a profile written by :func:`save_profile`.

    Raises
    ------
    ProfileError
        When the file is missing, not a regular file, too large, binary, not JSON, or not
        a SongCal profile (see :func:`profile_from_dict`).
    """
    path = os.fspath(path)
    try:
        data = read_regular_file(path, max_bytes=MAX_PROFILE_BYTES, what="profile")
    except InputFileError as err:
        raise ProfileError(path, err.reason) from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ProfileError(path, "not a text file (binary content); a profile is JSON "
                                 "text") from None
    try:
        parsed = json.loads(text)
    except json.JSONDecodeError as err:
        raise ProfileError(path, f"not valid JSON (line {err.lineno}: {err.msg})") from None
    except RecursionError:
        raise ProfileError(path, "not a profile: the JSON is nested too deeply") from None
    except ValueError as err:  # an integer past Python's 4,300 digits
        digits = re.search(r"value has (\d+) digits", str(err))
        what = f"a number of {digits.group(1)} digits" if digits else str(err)
        raise ProfileError(path, f"not valid JSON ({what})") from None
    return profile_from_dict(parsed, path=path)
