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
    values).

Both clamp their predictions to [``low``, ``high``] when given.  :func:`model_from_dict`
checks every field (kinds, sizes, finite numbers, child indices that only point forward, so
a tree walk always ends) and raises ``ValueError`` naming the first problem.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from core.calibration.inputs import ALL_INPUTS

__all__ = ["MODEL_FORMAT", "MODEL_KINDS", "RidgeModel", "Tree", "TreeModel",
           "model_from_dict", "tree_from_sklearn"]

#: Version of the JSON form of a learned model.
MODEL_FORMAT = 1

#: The kinds of learned model.
MODEL_KINDS = ("ridge", "boosted_trees")

_MAX_TREES = 5000
_MAX_NODES = 1_000_000


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
class Tree:
    """One regression tree: per node its input index (-1 for a leaf), threshold, children,
    side for missing values and value (the leaf's contribution).  Trees are walked by
    :meth:`TreeModel.predict`, all of a model's together."""

    feature: np.ndarray
    threshold: np.ndarray
    left: np.ndarray
    right: np.ndarray
    missing_left: np.ndarray
    value: np.ndarray
    depth: int = 0

    def to_dict(self) -> dict:
        """The JSON form."""
        threshold = [None if v == math.inf else v for v in self.threshold.tolist()]
        return {"feature": self.feature.tolist(), "threshold": threshold,
                "left": self.left.tolist(), "right": self.right.tolist(),
                "missing_left": self.missing_left.astype(int).tolist(),
                "value": self.value.tolist()}


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
        # every tree's nodes in one set of arrays, child indices made absolute, so that all
        # trees are walked together
        sizes = [t.feature.size for t in self.trees]
        offsets = np.cumsum([0] + sizes[:-1]).astype(np.intp) if sizes else np.empty(0, np.intp)

        def cat(name):
            if not self.trees:
                return np.empty(0)
            return np.concatenate([getattr(t, name) for t in self.trees])

        shift = np.repeat(offsets, sizes) if self.trees else np.empty(0, np.intp)
        self._feature = cat("feature").astype(np.intp)
        inner = self._feature >= 0
        self._left = np.where(inner, cat("left").astype(np.intp) + shift, 0)
        self._right = np.where(inner, cat("right").astype(np.intp) + shift, 0)
        self._threshold = cat("threshold").astype(float)
        self._missing_left = cat("missing_left").astype(bool)
        self._value = cat("value").astype(float)
        self._roots = offsets
        self._depth = max((t.depth for t in self.trees), default=0)

    def predict(self, X) -> np.ndarray:
        """Predictions for the rows of ``X`` (shape (n, len(inputs)), NaN where missing)."""
        X = _matrix(X, len(self.inputs))
        n = X.shape[0]
        node = np.broadcast_to(self._roots, (n, self._roots.size)).copy()
        rows = np.arange(n)[:, None]
        for _ in range(self._depth):
            f = self._feature[node]
            inner = f >= 0
            if not inner.any():
                break
            x = X[rows, np.where(inner, f, 0)]
            go_left = np.where(np.isnan(x), self._missing_left[node],
                               x <= self._threshold[node])
            node = np.where(inner, np.where(go_left, self._left[node], self._right[node]),
                            node)
        leaf_values = self._value[node]
        out = np.zeros(n)
        out += self.baseline
        for t in range(leaf_values.shape[1]):  # in tree order, as the trees were fitted
            out += leaf_values[:, t]
        return _clamp(out, self.low, self.high)

    def to_dict(self) -> dict:
        """The JSON form."""
        return {"kind": self.kind, "format": MODEL_FORMAT, "inputs": list(self.inputs),
                "baseline": self.baseline, "trees": [t.to_dict() for t in self.trees],
                "low": self.low, "high": self.high}


def _json_float(v):
    return v if isinstance(v, float) and math.isfinite(v) else None


def tree_from_sklearn(predictor) -> Tree:
    """A :class:`Tree` from one fitted tree of scikit-learn's histogram gradient boosting
    (a ``TreePredictor``: its ``nodes`` record array)."""
    nodes = predictor.nodes
    leaf = nodes["is_leaf"].astype(bool)
    if np.any(nodes["is_categorical"][~leaf]):
        raise ValueError("categorical splits are not supported")
    feature = np.where(leaf, -1, nodes["feature_idx"]).astype(np.intp)
    left = np.where(leaf, -1, nodes["left"]).astype(np.intp)
    right = np.where(leaf, -1, nodes["right"]).astype(np.intp)
    threshold = np.where(leaf, 0.0, nodes["num_threshold"]).astype(float)
    return _checked_tree(feature, threshold, left, right,
                         nodes["missing_go_to_left"].astype(bool), nodes["value"].astype(float),
                         n_inputs=int(feature.max()) + 1 if feature.size else 0)


def _checked_tree(feature, threshold, left, right, missing_left, value, *,
                  n_inputs: int) -> Tree:
    m = feature.size
    if not m or any(a.shape != (m,) for a in (threshold, left, right, missing_left, value)):
        raise ValueError("a tree's node arrays must be non-empty and of one length")
    inner = feature >= 0
    idx = np.arange(m)
    if np.any(feature >= n_inputs):
        raise ValueError("a tree splits on an input the model does not have")
    for child in (left, right):
        if np.any(inner & ((child <= idx) | (child >= m))):
            raise ValueError("a tree's child index must point forward, inside the tree")
    if not (np.all(np.isfinite(value)) and np.all(threshold[inner] > -np.inf)):
        raise ValueError("a tree holds a value or threshold that is not a number")
    depth = np.zeros(m, np.intp)
    for i in np.flatnonzero(inner):  # children point forward: one pass finds every depth
        depth[left[i]] = depth[right[i]] = depth[i] + 1
    return Tree(feature, threshold, left, right, missing_left, value,
                int(depth.max()) + 1)


def _floats(data: dict, name: str, n: int | None = None) -> np.ndarray:
    raw = data.get(name)
    if not isinstance(raw, list):
        raise ValueError(f"{name!r} must be a list of numbers")
    arr = np.array([math.nan if v is None else v for v in raw], float)
    if n is not None and arr.size != n:
        raise ValueError(f"{name!r} must hold {n} numbers, got {arr.size}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name!r} holds a value that is not a finite number")
    return arr


def _ints(data: dict, name: str) -> np.ndarray:
    raw = data.get(name)
    if not isinstance(raw, list) or not all(isinstance(v, int) and not isinstance(v, bool)
                                             for v in raw):
        raise ValueError(f"{name!r} must be a list of integers")
    return np.array(raw, np.intp)


def _bound(data: dict, name: str) -> float | None:
    v = data.get(name)
    if v is None:
        return None
    v = float(v)
    if not math.isfinite(v):
        raise ValueError(f"{name!r} must be a finite number or null")
    return v


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
    if data.get("format") != MODEL_FORMAT:
        raise ValueError(f"learned model format {data.get('format')!r} is not one this "
                         f"SongCal reads ({MODEL_FORMAT})")
    inputs = data.get("inputs")
    if not isinstance(inputs, list) or not inputs:
        raise ValueError("'inputs' must be a non-empty list of input names")
    unknown = [i for i in inputs if i not in ALL_INPUTS]
    if unknown:
        raise ValueError(f"the model reads {unknown}, which this SongCal does not measure")
    p = len(inputs)
    low, high = _bound(data, "low"), _bound(data, "high")
    if kind == "ridge":
        scale = _floats(data, "scale", p)
        if np.any(scale <= 0):
            raise ValueError("'scale' must hold positive numbers")
        intercept = float(data.get("intercept"))
        if not math.isfinite(intercept):
            raise ValueError("'intercept' must be a finite number")
        alpha = data.get("alpha")
        return RidgeModel(tuple(inputs), _floats(data, "fill", p), _floats(data, "mean", p),
                          scale, _floats(data, "coef", p), intercept,
                          math.nan if alpha is None else float(alpha), low, high)
    baseline = float(data.get("baseline"))
    if not math.isfinite(baseline):
        raise ValueError("'baseline' must be a finite number")
    raw_trees = data.get("trees")
    if not isinstance(raw_trees, list) or len(raw_trees) > _MAX_TREES:
        raise ValueError(f"'trees' must be a list of at most {_MAX_TREES} trees")
    trees, total = [], 0
    for t in raw_trees:
        if not isinstance(t, dict):
            raise ValueError("each tree must be a JSON object")
        feature = _ints(t, "feature")
        if not feature.size:
            raise ValueError("a tree's node arrays must be non-empty")
        total += feature.size
        if total > _MAX_NODES:
            raise ValueError(f"the trees hold more than {_MAX_NODES} nodes")
        trees.append(_checked_tree(
            feature, np.array([math.inf if v is None else v for v in t.get("threshold") or []],
                              float),
            _ints(t, "left"), _ints(t, "right"), _ints(t, "missing_left").astype(bool),
            _floats(t, "value", feature.size), n_inputs=p))
    return TreeModel(tuple(inputs), baseline, trees, low, high)
