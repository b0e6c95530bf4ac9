"""Calibration profiles: what a calibration keeps, as versioned JSON.

A profile holds, per numeric descriptor, a
:class:`core.calibration.descriptor_fit.LinearCorrection`; for tempo an octave rule
(:class:`core.calibration.tempo_fit.TempoRule`) followed by a correction; for key a
:class:`core.calibration.key_fit.KeyCorrection`; per column whose learned model is kept,
the model in its plain-JSON form (:mod:`core.calibration.learned_model`); per numeric
column the 90 % prediction interval of what is applied and the verdict; and provenance
(app version, settings, reference file name and SHA-256, the scores measured when it was
fitted).  Nothing in a profile is executed or unpickled: every field is checked as it is
read.  It is written atomically.  :mod:`core.calibration.applying` applies it to results.

Format versions: 1 (corrections only) is still read; 2 adds ``learned``, ``intervals`` and
``verdicts``.
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import asdict, dataclass, field

from core.calibration.descriptor_fit import LinearCorrection
from core.calibration.fit import Calibration
from core.calibration.intervals import PredictionInterval
from core.calibration.key_fit import KeyCorrection
from core.calibration.learned_model import model_from_dict
from core.calibration.tempo_fit import TempoRule
from core.calibration.verdict import VERDICTS
from core.errors import SongCalError
from core.io.keynotation import parse_key

__all__ = [
    "PROFILE_FORMAT",
    "PROFILE_VERSION",
    "ProfileError",
    "CalibrationProfile",
    "profile_from_calibration",
    "profile_to_dict",
    "profile_from_dict",
    "save_profile",
    "load_profile",
]

PROFILE_FORMAT = "songcal-calibration-profile"
PROFILE_VERSION = 2


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
            Analyzer values in the descriptor's unit; NaN stays NaN.

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
            return self.tempo_correction.apply(self.tempo_rule.apply(values))
        c = self.descriptors.get(descriptor)
        return None if c is None else c.apply(values)


def _clean(value):
    """JSON-safe copy: NaN and infinities become None."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    return value


def _scores(cal: Calibration) -> dict:
    scores: dict = {}
    for name, d in cal.descriptors.items():
        scores[name] = {"n": d.n, "method": d.correction.method, "verdict": d.verdict,
                        "mae_before": d.mae_before, "mae_after": d.mae_after, "r2": d.r2,
                        "r2_cv": d.r2_cv}
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
    return scores


def profile_from_calibration(cal: Calibration, *, meta: dict | None = None
                             ) -> CalibrationProfile:
    """The profile of a fitted calibration (scores go into ``meta["scores"]``)."""
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
    full_meta["scores"] = _scores(cal)
    full_meta["cross_validation"] = {"k": cal.k, "seed": cal.seed, "min_gain": cal.min_gain}
    return CalibrationProfile(
        descriptors={name: d.correction for name, d in cal.descriptors.items()},
        tempo_rule=cal.tempo.rule if cal.tempo is not None else None,
        tempo_correction=cal.tempo.correction if cal.tempo is not None else LinearCorrection(),
        key=cal.key.correction if cal.key is not None else None,
        learned=learned, intervals=intervals, verdicts=verdicts, meta=full_meta,
    )


def profile_to_dict(profile: CalibrationProfile) -> dict:
    """Plain JSON-ready dict of a profile."""
    return _clean({
        "format": PROFILE_FORMAT,
        "version": PROFILE_VERSION,
        "descriptors": {k: asdict(v) for k, v in profile.descriptors.items()},
        "tempo": None if profile.tempo_rule is None else {
            "rule": asdict(profile.tempo_rule),
            "correction": asdict(profile.tempo_correction)},
        "key": None if profile.key is None else asdict(profile.key),
        "learned": {c: m.to_dict() for c, m in profile.learned.items()},
        "intervals": {c: i.to_dict() for c, i in profile.intervals.items()},
        "verdicts": dict(profile.verdicts),
        "meta": profile.meta,
    })


def _linear(d: dict) -> LinearCorrection:
    return LinearCorrection(method=str(d.get("method", "none")),
                            slope=float(d.get("slope", 1.0)),
                            intercept=float(d.get("intercept", 0.0)),
                            low=None if d.get("low") is None else float(d["low"]),
                            high=None if d.get("high") is None else float(d["high"]))


def profile_from_dict(data: dict, *, path: str = "<profile>") -> CalibrationProfile:
    """Inverse of :func:`profile_to_dict`.

    Raises
    ------
    ProfileError
        When the dict is not a SongCal profile or a field is malformed.
    """
    if not isinstance(data, dict) or data.get("format") != PROFILE_FORMAT:
        raise ProfileError(path, f"not a SongCal calibration profile (format must be "
                           f"{PROFILE_FORMAT!r})")
    if int(data.get("version", 0)) > PROFILE_VERSION:
        raise ProfileError(path, f"profile version {data.get('version')!r} is newer than "
                           f"this SongCal understands ({PROFILE_VERSION})")
    try:
        descriptors = {str(k): _linear(v) for k, v in (data.get("descriptors") or {}).items()}
        tempo = data.get("tempo")
        rule = corr = None
        if tempo:
            r = tempo.get("rule") or {}
            rule = TempoRule(kind=str(r.get("kind", "none")), factor=float(r.get("factor", 1.0)),
                             low=r.get("low"), high=r.get("high"))
            corr = _linear(tempo.get("correction") or {})
        key = data.get("key")
        key_corr = None
        if key is not None:
            key_corr = KeyCorrection(major=str(key.get("major", "keep")),
                                     minor=str(key.get("minor", "keep")),
                                     mapping={str(a): str(b) for a, b in
                                              (key.get("mapping") or {}).items()})
            for target in key_corr.mapping.values():
                if parse_key(target) is None:
                    raise ValueError(f"key map target {target!r} is not a key")
        learned, intervals, verdicts = {}, {}, {}
        for c, m in _section(data, "learned").items():
            try:
                learned[str(c)] = model_from_dict(m)
            except ValueError as err:
                raise ValueError(f"learned model of {c!r}: {err}") from None
        for c, i in _section(data, "intervals").items():
            intervals[str(c)] = PredictionInterval.from_dict(i)
        for c, v in _section(data, "verdicts").items():
            if v not in VERDICTS:
                raise ValueError(f"verdict of {c!r} must be one of {list(VERDICTS)}, "
                                 f"got {v!r}")
            verdicts[str(c)] = v
    except (TypeError, ValueError, AttributeError) as err:
        raise ProfileError(path, f"malformed profile: {err}") from err
    return CalibrationProfile(descriptors=descriptors, tempo_rule=rule,
                              tempo_correction=corr or LinearCorrection(), key=key_corr,
                              learned=learned, intervals=intervals, verdicts=verdicts,
                              meta=dict(data.get("meta") or {}))


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
        When the file is missing, is not JSON, or is not a SongCal profile.
    """
    path = os.fspath(path)
    try:
        with open(path, encoding="utf-8-sig") as f:
            data = json.load(f)
    except OSError as err:
        raise ProfileError(path, f"cannot open the profile: {err.strerror or err}") from err
    except json.JSONDecodeError as err:
        raise ProfileError(path, f"not valid JSON (line {err.lineno}: {err.msg})") from err
    return profile_from_dict(data, path=path)
