"""Learned calibration models in a safe, versioned, plain-JSON form, and their predictions.

A learned model (:mod:`core.calibration.learned_fit` fits them with scikit-learn) is kept
and applied in this form only: numbers and lists, never pickled objects, so a profile can
be read without running anything it holds.  Every prediction SongCal makes with a learned
model -- in the fit's summary, the exports, ``songcal apply`` and the window -- goes
through :meth:`RidgeModel.predict` or :meth:`TreeModel.predict`, so applying a saved
profile reproduces the fitted values exactly.

Two kinds (:data:`MODEL_KINDS`):

``ridge``
    Missing inputs are filled with the training medians, each input is standardized
    (training mean and standard deviation), and the prediction is
    ``intercept + sum(coef * z)``.
``boosted_trees``
    Gradient-boosted regression trees (scikit-learn's histogram gradient boosting): the
    prediction is ``baseline + sum over trees of the leaf value`` reached by going left
    where ``x <= threshold`` (or, for a missing input, the side the tree learned for
    missing values; a threshold of ``null`` is +infinity: a split of missing from present
    values); the trees are read and walked by :mod:`core.analysis.trees`.

Both clamp their predictions to [``low``, ``high``] when given.  :func:`model_from_dict`
checks every field (kinds, sizes, finite numbers, child indices that only point forward, so
a tree walk always ends) and raises ``ValueError`` naming the first problem.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from core.analysis.trees import (
    Tree,
    TreeEnsemble,
    float_list,
    tree_from_sklearn,
    trees_from_list,
)
from core.calibration.inputs import ALL_INPUTS

__all__ = ["MODEL_FORMAT", "MODEL_KINDS", "RidgeModel", "Tree", "TreeModel",
           "model_from_dict", "tree_from_sklearn"]

#: Version of the JSON form of a learned model.
MODEL_FORMAT = 1

#: The kinds of learned model.
MODEL_KINDS = ("ridge", "boosted_trees")


def _clamp(out: np.ndarray, low, high) -> np.ndarray:
    if low is not None or high is not None:
        out = np.clip(out, -np.inf if low is None else low, np.inf if high is None else high)
    return out


def _matrix(X, n_inputs: int) -> np.ndarray:
    X = np.asarray(X, float)
    if X.ndim != 2 or X.shape[1] != n_inputs:
        raise ValueError(f"expected a matrix with {n_inputs} input columns, got shape "
                         f"{X.shape}")
    return X


@dataclass
class RidgeModel:
    """A ridge regression on standardized inputs (see the module docstring).

    Attributes
    ----------
    inputs : tuple of str
        Input names (:data:`core.calibration.inputs.ALL_INPUTS`), in matrix column order.
    fill, mean, scale, coef : ndarray
        Per input: the value a missing input takes, the standardization, the coefficient.
    intercept : float
    alpha : float
        The ridge penalty chosen (for the record).
    low, high : float or None
        Clamp range of the predictions.
    """

    inputs: tuple
    fill: np.ndarray
    mean: np.ndarray
    scale: np.ndarray
    coef: np.ndarray
    intercept: float
    alpha: float = math.nan
    low: float | None = None
    high: float | None = None
    kind: str = field(default="ridge", init=False)

    def predict(self, X) -> np.ndarray:
        """Predictions for the rows of ``X`` (shape (n, len(inputs)), NaN where missing)."""
        X = _matrix(X, len(self.inputs))
        X = np.where(np.isnan(X), self.fill, X)
        X = (X - self.mean) / self.scale
        return _clamp(X @ self.coef + self.intercept, self.low, self.high)

    def to_dict(self) -> dict:
        """The JSON form."""
        return {"kind": self.kind, "format": MODEL_FORMAT, "inputs": list(self.inputs),
                "fill": self.fill.tolist(), "mean": self.mean.tolist(),
                "scale": self.scale.tolist(), "coef": self.coef.tolist(),
                "intercept": self.intercept, "alpha": _json_float(self.alpha),
                "low": self.low, "high": self.high}


@dataclass
class TreeModel:
    """Gradient-boosted regression trees (see the module docstring).

    Attributes
    ----------
    inputs : tuple of str
        Input names, in matrix column order.
    baseline : float
        The prediction before any tree.
    trees : list of Tree
        Added one after the other.
    low, high : float or None
        Clamp range of the predictions.
    """

    inputs: tuple
    baseline: float
    trees: list
    low: float | None = None
    high: float | None = None
    kind: str = field(default="boosted_trees", init=False)

    def __post_init__(self):
        self._ensemble = TreeEnsemble(self.baseline, self.trees)

    def predict(self, X) -> np.ndarray:
        """Predictions for the rows of ``X`` (shape (n, len(inputs)), NaN where missing)."""
        X = _matrix(X, len(self.inputs))
        return _clamp(self._ensemble.predict(X), self.low, self.high)

    def to_dict(self) -> dict:
        """The JSON form."""
        return {"kind": self.kind, "format": MODEL_FORMAT, "inputs": list(self.inputs),
                "baseline": self.baseline, "trees": [t.to_dict() for t in self.trees],
                "low": self.low, "high": self.high}


def _json_float(v):
    return v if isinstance(v, float) and math.isfinite(v) else None


def _finite(data: dict, name: str, *, optional: bool = False) -> float | None:
    """JSON field ``name`` as a finite float (``None`` when absent and ``optional``); raise
    ``ValueError`` naming the field for anything else (text, ``true``, NaN)."""
    v = data.get(name)
    if v is None and optional:
        return None
    if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v):
        raise ValueError(f"{name!r} must be a finite number{' or null' if optional else ''}")
    return float(v)


def model_from_dict(data: dict) -> RidgeModel | TreeModel:
    """Read the JSON form of a learned model (see the module docstring).

    Raises
    ------
    ValueError
        When the kind or format is unknown, an input is not one SongCal measures, or a field
        is malformed; the message names it.
    """
    if not isinstance(data, dict):
        raise ValueError("a learned model must be a JSON object")
    kind = data.get("kind")
    if kind not in MODEL_KINDS:
        raise ValueError(f"unknown learned model kind {kind!r}; expected one of "
                         f"{list(MODEL_KINDS)}")
    if isinstance(data.get("format"), bool) or data.get("format") != MODEL_FORMAT:
        raise ValueError(f"learned model format {data.get('format')!r} is not one this "
                         f"SongCal reads ({MODEL_FORMAT})")
    inputs = data.get("inputs")
    if not isinstance(inputs, list) or not inputs:
        raise ValueError("'inputs' must be a non-empty list of input names")
    unknown = [i for i in inputs if i not in ALL_INPUTS]
    if unknown:
        raise ValueError(f"the model reads {unknown}, which this SongCal does not measure")
    p = len(inputs)
    low, high = _finite(data, "low", optional=True), _finite(data, "high", optional=True)
    if low is not None and high is not None and not low <= high:
        # np.clip with low above high gives every song the value high
        raise ValueError(f"'low' must not be above 'high', got {low!r} and {high!r}")
    if kind == "ridge":
        scale = float_list(data, "scale", p)
        if np.any(scale <= 0):
            raise ValueError("'scale' must hold positive numbers")
        alpha = _finite(data, "alpha", optional=True)
        return RidgeModel(tuple(inputs), float_list(data, "fill", p), float_list(data, "mean", p),
                          scale, float_list(data, "coef", p), _finite(data, "intercept"),
                          math.nan if alpha is None else alpha, low, high)
    return TreeModel(tuple(inputs), _finite(data, "baseline"),
                     trees_from_list(data.get("trees"), p), low, high)
