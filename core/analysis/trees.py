"""Gradient-boosted regression trees as plain arrays: read from their JSON form, checked,
and walked all together.

A prediction is ``baseline + sum over trees of the leaf value`` reached by going left where
``x <= threshold`` (or, for a missing input, the side the tree learned for missing values;
a threshold of ``null`` in the JSON form is +infinity: a split of missing from present
values).  The tempo decision (:mod:`core.analysis.tempo`) and the learned calibration models
(:mod:`core.calibration.learned_model`) keep their trees in this form; scikit-learn fits
them (:func:`tree_from_sklearn`) but is never needed to apply them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

__all__ = ["Tree", "TreeEnsemble", "tree_from_sklearn", "checked_tree", "trees_from_list",
           "float_list", "int_list"]

MAX_TREES = 5000
MAX_NODES = 1_000_000


@dataclass
class Tree:
    """One regression tree: per node its input index (-1 for a leaf), threshold, children,
    side for missing values and value (the leaf's contribution).  Trees are walked by
    :meth:`TreeEnsemble.predict`, all of a model's together."""

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
class TreeEnsemble:
    """Trees added one after the other to ``baseline`` (see the module docstring)."""

    baseline: float
    trees: list

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
        """Predictions for the rows of ``X`` (shape (n, inputs), NaN where missing).

        Raises
        ------
        ValueError
            When ``X`` is not a matrix with a column for every input a tree splits on.
        """
        X = np.asarray(X, float)
        need = int(self._feature.max()) + 1 if self._feature.size else 0
        if X.ndim != 2 or X.shape[1] < need:
            raise ValueError(f"expected a matrix with at least {need} input columns, got "
                             f"shape {X.shape}")
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
        return out


def tree_from_sklearn(predictor) -> Tree:
    """A :class:`Tree` from one fitted tree of scikit-learn's histogram gradient boosting
    (a ``TreePredictor``: its ``nodes`` record array)."""
    nodes = predictor.nodes
    leaf = nodes["is_leaf"].astype(bool)
    if np.any(nodes["is_categorical"][~leaf]):
        raise ValueError("categorical splits are not supported")
    # the child fields are unsigned (uint32): made signed first, or a leaf's -1 wraps to
    # 4294967295 (or is refused as out of bounds, by the NumPy version)
    feature = np.where(leaf, -1, nodes["feature_idx"].astype(np.intp))
    left = np.where(leaf, -1, nodes["left"].astype(np.intp))
    right = np.where(leaf, -1, nodes["right"].astype(np.intp))
    threshold = np.where(leaf, 0.0, nodes["num_threshold"]).astype(float)
    return checked_tree(feature, threshold, left, right,
                        nodes["missing_go_to_left"].astype(bool), nodes["value"].astype(float),
                        n_inputs=int(feature.max()) + 1 if feature.size else 0)


def checked_tree(feature, threshold, left, right, missing_left, value, *,
                 n_inputs: int) -> Tree:
    """A :class:`Tree` of node arrays, checked: one length, inputs below ``n_inputs``,
    children that point forward inside the tree (so a walk always ends), finite values.

    Raises
    ------
    ValueError
        Naming the first problem.
    """
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


def float_list(data: dict, name: str, n: int | None = None) -> np.ndarray:
    """The finite numbers of JSON field ``name`` (``n`` of them when given); raise
    ``ValueError`` naming the field otherwise."""
    raw = data.get(name)
    if not isinstance(raw, list) or not all(
            v is None or (isinstance(v, int | float) and not isinstance(v, bool)) for v in raw):
        # (text such as "0.5" or true would pass np.array(..., float) as numbers)
        raise ValueError(f"{name!r} must be a list of numbers")
    arr = np.array([math.nan if v is None else v for v in raw], float)
    if n is not None and arr.size != n:
        raise ValueError(f"{name!r} must hold {n} numbers, got {arr.size}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name!r} holds a value that is not a finite number")
    return arr


def int_list(data: dict, name: str) -> np.ndarray:
    """The integers of JSON field ``name``; raise ``ValueError`` naming the field otherwise."""
    raw = data.get(name)
    if not isinstance(raw, list) or not all(isinstance(v, int) and not isinstance(v, bool)
                                             for v in raw):
        raise ValueError(f"{name!r} must be a list of integers")
    return np.array(raw, np.intp)


def trees_from_list(raw_trees, n_inputs: int) -> list[Tree]:
    """Read and check the JSON form of a model's trees (``Tree.to_dict`` of each) over
    ``n_inputs`` inputs.

    Raises
    ------
    ValueError
        When there are too many trees or nodes or a tree is malformed; the message names
        the first problem.
    """
    if not isinstance(raw_trees, list) or len(raw_trees) > MAX_TREES:
        raise ValueError(f"'trees' must be a list of at most {MAX_TREES} trees")
    trees, total = [], 0
    for t in raw_trees:
        if not isinstance(t, dict):
            raise ValueError("each tree must be a JSON object")
        feature = int_list(t, "feature")
        if not feature.size:
            raise ValueError("a tree's node arrays must be non-empty")
        total += feature.size
        if total > MAX_NODES:
            raise ValueError(f"the trees hold more than {MAX_NODES} nodes")
        trees.append(checked_tree(
            feature, np.array([math.inf if v is None else v for v in t.get("threshold") or []],
                              float),
            int_list(t, "left"), int_list(t, "right"), int_list(t, "missing_left").astype(bool),
            float_list(t, "value", feature.size), n_inputs=n_inputs))
    return trees
