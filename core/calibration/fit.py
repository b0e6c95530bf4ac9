"""Fit the calibration of every descriptor a reference sheet holds, at once.

:func:`fit_calibration` sends tempo to :func:`core.calibration.tempo_fit.fit_tempo` (octave
rule, then a guarded linear fit), key to :func:`core.calibration.key_fit.fit_key` and every
other numeric descriptor to :func:`core.calibration.descriptor_fit.fit_descriptor`; each
correction is kept only where cross-validation says it helps.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from core.calibration.descriptor_fit import fit_descriptor
from core.calibration.key_fit import KeyCalibration, fit_key
from core.calibration.tempo_fit import TempoCalibration, fit_tempo

__all__ = ["Calibration", "fit_calibration"]


@dataclass
class Calibration:
    """Calibrations of every descriptor present in both the results and the reference.

    Attributes
    ----------
    descriptors : dict of str to DescriptorCalibration
        Numeric descriptors other than tempo.
    tempo : TempoCalibration or None
    key : KeyCalibration or None
    k, seed, min_gain
        The cross-validation settings used.
    """

    descriptors: dict = field(default_factory=dict)
    tempo: TempoCalibration | None = None
    key: KeyCalibration | None = None
    k: int = 10
    seed: int = 0
    min_gain: float = 0.01

    def covers(self, descriptor: str) -> bool:
        """True when the calibration has a fit for this numeric descriptor."""
        if descriptor == "bpm":
            return self.tempo is not None
        return descriptor in self.descriptors

    def apply(self, descriptor: str, values):
        """Calibrated value(s) of one numeric descriptor (unchanged where not covered).

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


def fit_calibration(values: dict, *, keys=None, k: int = 10, seed: int = 0,
                    min_gain: float = 0.01) -> Calibration:
    """Calibrate every descriptor at once.

    Parameters
    ----------
    values : dict of str to (array_like, array_like)
        Descriptor name -> (analyzer values, reference values) of the paired songs;
        ``"bpm"`` goes through :func:`~core.calibration.tempo_fit.fit_tempo`, the others
        through :func:`~core.calibration.descriptor_fit.fit_descriptor`.
    keys : (sequence of Key, sequence of Key), optional
        Analyzer and reference keys for :func:`~core.calibration.key_fit.fit_key`.
    k, seed, min_gain
        As in :func:`~core.calibration.descriptor_fit.fit_descriptor`.

    Returns
    -------
    Calibration
    """
    cal = Calibration(k=k, seed=seed, min_gain=min_gain)
    for name, (x, y) in values.items():
        if name == "bpm":
            cal.tempo = fit_tempo(x, y, k=k, seed=seed, min_gain=min_gain)
        else:
            cal.descriptors[name] = fit_descriptor(x, y, descriptor=name, k=k, seed=seed,
                                                   min_gain=min_gain)
    if keys is not None:
        cal.key = fit_key(keys[0], keys[1], k=k, seed=seed)
    return cal
