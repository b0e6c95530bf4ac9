"""Fit the calibration of every column a reference sheet holds, at once.

:func:`fit_calibration` sends tempo to :func:`core.calibration.tempo_fit.fit_tempo` (octave
rule, then a guarded linear fit), key to :func:`core.calibration.key_fit.fit_key`, every
other analyzer descriptor to :func:`core.calibration.descriptor_fit.fit_descriptor`, and
every numeric column but tempo -- the analyzer's descriptors and the sheet's extra columns
alike -- also to :func:`core.calibration.learned_fit.fit_learned`, which learns it from all
of SongCal's per-song values.  Each correction or model is kept only where nested
cross-validation says it helps; columns are fitted side by side on ``workers`` threads.
"""

from __future__ import annotations

import math
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from threadpoolctl import threadpool_limits

from core.calibration.descriptor_fit import DESCRIPTOR_RANGES, fit_descriptor
from core.calibration.key_fit import KeyCalibration, fit_key
from core.calibration.tempo_fit import TempoCalibration, fit_tempo

__all__ = ["Calibration", "LearnedInputs", "fit_calibration"]


@dataclass
class LearnedInputs:
    """What a learned model of one column is fitted on.

    Attributes
    ----------
    X : ndarray, shape (n, p)
        SongCal's per-song values of the paired songs with a reference value.
    y : ndarray, shape (n,)
        Their reference values.
    names : sequence of str
        Input names (:data:`core.calibration.inputs.ALL_INPUTS`).
    compare : ndarray of bool, shape (n,), optional
        Songs that also have the analyzer's own value of the column (the songs the single
        descriptor was judged on); the learned model is compared with it on these.
    """

    X: object
    y: object
    names: tuple
    compare: object = None


@dataclass
class Calibration:
    """Calibrations of every column present in both the results and the reference.

    Attributes
    ----------
    descriptors : dict of str to DescriptorCalibration
        Analyzer descriptors other than tempo.
    tempo : TempoCalibration or None
    key : KeyCalibration or None
    learned : dict of str to LearnedCalibration
        A learned model per numeric column but tempo (kept or not).
    extra : list of str
        The sheet's extra columns (no analyzer descriptor of that name).
    k, seed, min_gain
        The cross-validation settings used.
    """

    descriptors: dict = field(default_factory=dict)
    tempo: TempoCalibration | None = None
    key: KeyCalibration | None = None
    learned: dict = field(default_factory=dict)
    extra: list = field(default_factory=list)
    k: int = 10
    seed: int = 0
    min_gain: float = 0.01

    def covers(self, descriptor: str) -> bool:
        """True when the calibration has a single-descriptor fit for ``descriptor``."""
        if descriptor == "bpm":
            return self.tempo is not None
        return descriptor in self.descriptors

    @property
    def columns(self) -> list[str]:
        """Every numeric column fitted: tempo, the descriptors, then the extra columns."""
        return (["bpm"] if self.tempo is not None else []) + list(self.descriptors) + [
            c for c in self.learned if c not in self.descriptors]

    def apply(self, descriptor: str, values):
        """Values of one descriptor after its single-descriptor correction (unchanged where
        none is kept or the descriptor is not covered; a learned model needs whole rows:
        see :func:`core.calibration.applying.apply_profile`).

        Parameters
        ----------
        descriptor : str
            ``"bpm"``, ``"energy"``...
        values : float or array_like
            The analyzer's values, in the descriptor's unit; NaN stays NaN.

        Returns
        -------
        float or ndarray
        """
        if descriptor == "bpm":
            return self.tempo.apply(values) if self.tempo is not None else values
        c = self.descriptors.get(descriptor)
        return c.correction.apply(values) if c is not None else values

    def verdict(self, column: str) -> str:
        """The verdict on a column: the descriptor's own, or for an extra column its
        learned model's (empty when the column was not fitted)."""
        if column == "bpm":
            return self.tempo.verdict if self.tempo is not None else ""
        if column == "key":
            return self.key.verdict if self.key is not None else ""
        if column in self.descriptors:
            return self.descriptors[column].verdict
        m = self.learned.get(column)
        return m.verdict if m is not None else ""

    def set_keep_inverted(self, descriptor: str, keep: bool) -> None:
        """Keep (or drop) the correction of an ``inverted`` descriptor (see
        :meth:`core.calibration.descriptor_fit.DescriptorCalibration.set_keep_inverted`),
        and judge its learned model again against what is now applied (a column whose
        inverted correction is not kept gets no learned model either).

        Raises
        ------
        KeyError
            When ``descriptor`` was not fitted.
        """
        d = self.descriptors[descriptor]
        d.set_keep_inverted(keep)
        m = self.learned.get(descriptor)
        if m is not None:
            m.rejudge(mae_single=d.mae_after, min_gain=self.min_gain, inverted=_blocked(d))


def _blocked(single) -> bool:
    """An inverted descriptor the user has not kept: nothing is applied to its column."""
    return single is not None and single.verdict == "inverted" and not single.kept


def _fit_column(name, values, learned, *, k, seed, min_gain, keep_inverted,
                reference_ranges):
    single = None
    own = reference_ranges.get(name)
    if values is not None:
        x, y = values
        if name == "bpm":
            return fit_tempo(x, y, k=k, seed=seed, min_gain=min_gain), None
        single = fit_descriptor(x, y, descriptor=name, k=k, seed=seed, min_gain=min_gain,
                                keep_inverted=name in keep_inverted, reference_range=own)
    model = None
    if learned is not None:
        low, high = own[:2] if own else DESCRIPTOR_RANGES.get(name, (None, None))
        if single is None and len(learned.y):
            low, high = float(min(learned.y)), float(max(learned.y))
        from core.calibration.learned_fit import fit_learned  # scikit-learn: when needed

        model = fit_learned(learned.X, learned.y, learned.names, column=name,
                            mae_raw=single.mae_before if single else math.nan,
                            mae_single=single.mae_after if single else math.nan,
                            compare=learned.compare, low=low, high=high, seed=seed,
                            min_gain=min_gain, inverted=_blocked(single))
    return single, model


def _one_thread(fn, *args, **kwargs):
    """Call ``fn`` with the numeric libraries held to one thread *in this thread*: an OpenMP
    limit set by another thread does not reach a pool thread, and scikit-learn's boosted
    trees would otherwise start a team of threads per fit inside each of ours."""
    with threadpool_limits(limits=1):
        return fn(*args, **kwargs)


def fit_calibration(values: dict, *, keys=None, learned: dict | None = None, k: int = 10,
                    seed: int = 0, min_gain: float = 0.01, keep_inverted=(),
                    workers: int = 1, reference_ranges: dict | None = None) -> Calibration:
    """Calibrate every column at once.

    Parameters
    ----------
    values : dict of str to (array_like, array_like)
        Descriptor name -> (analyzer values, reference values) of the paired songs;
        ``"bpm"`` goes through :func:`~core.calibration.tempo_fit.fit_tempo` (songs without
        an analyzer tempo given as NaN are counted as misses), the others through
        :func:`~core.calibration.descriptor_fit.fit_descriptor`.
    keys : (sequence of Key, sequence of Key), optional
        Analyzer and reference keys for :func:`~core.calibration.key_fit.fit_key`.
    learned : dict of str to LearnedInputs, optional
        Column -> inputs of a learned model; a column not in ``values`` is an extra column
        (its predictions are clamped to the reference's range).
    k, seed, min_gain
        As in :func:`~core.calibration.descriptor_fit.fit_descriptor`.
    keep_inverted : collection of str, optional
        Descriptors whose ``inverted`` correction is kept anyway.
    workers : int, optional
        Columns fitted side by side (threads; each numeric library uses one thread).
    reference_ranges : dict of str to (float, float), optional
        Descriptor -> (low, high) of a reference column on a scale of its own
        (:attr:`core.calibration.reference.ReferenceSheet.value_scales`): its corrections
        and learned model predict that scale.

    Returns
    -------
    Calibration
    """
    if workers < 1:
        raise ValueError(f"workers must be >= 1, got {workers!r}")
    learned = learned or {}
    cal = Calibration(k=k, seed=seed, min_gain=min_gain,
                      extra=[c for c in learned if c not in values])
    names = list(values) + cal.extra
    opts = {"k": k, "seed": seed, "min_gain": min_gain, "keep_inverted": set(keep_inverted),
            "reference_ranges": dict(reference_ranges or {})}
    with threadpool_limits(limits=1), ThreadPoolExecutor(max_workers=workers) as pool:
        key_job = (pool.submit(_one_thread, fit_key, keys[0], keys[1], k=k, seed=seed)
                   if keys else None)
        jobs = {c: pool.submit(_one_thread, _fit_column, c, values.get(c),
                               None if c == "bpm" else learned.get(c), **opts)
                for c in names}
        for c in names:
            single, model = jobs[c].result()
            if c == "bpm":
                cal.tempo = single
            elif single is not None:
                cal.descriptors[c] = single
            if model is not None:
                cal.learned[c] = model
        if key_job is not None:
            cal.key = key_job.result()
    return cal

