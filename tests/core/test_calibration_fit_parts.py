"""Calibration fits and what they report: the nested cross-validation of a single
descriptor, prediction intervals at a chosen coverage, the learned models' input ranking,
learning curve and repeatability, the tempo row of ``calibration.csv`` and the warning
that names a results value left out of the fit."""

import numpy as np
import pytest

from core.calibration.calibration_table import calibration_rows, write_calibration_csv
from core.calibration.cells import implausible_cells
from core.calibration.descriptor_fit import (
    cv_folds,
    cv_predict,
    fit_descriptor,
    fit_linear,
    nested_predict,
    select_method,
)
from core.calibration.fit import Calibration
from core.calibration.intervals import interval_from_residuals
from core.calibration.learned_fit import fit_learned
from core.calibration.tempo_fit import fit_tempo
from core.io.csvio import read_csv_rows

INPUTS = ("energy", "danceability", "valence", "acousticness", "loudness_lufs",
          "brightness_hz", "dynamic_range_db", "silence_ratio")


# ---------------------------------------------------------------------------- descriptors

def test_a_reference_floored_at_zero_is_predicted_exactly_under_cross_validation():
    # six near-silent songs the sheet rates 0 energy; the rest rise as 2x - 0.6
    x = np.r_[np.zeros(6), np.linspace(0.3, 0.8, 24)]
    y = np.maximum(0.0, 2 * x - 0.6)
    cal = fit_descriptor(x, y, descriptor="energy")
    assert cal.kept and cal.verdict == "calibrated"
    assert cal.mae_cv == pytest.approx(0.0, abs=1e-9)
    assert cal.mae_after == pytest.approx(0.0, abs=1e-9)
    assert np.allclose(cal.cv_pred, y, atol=1e-9)


def test_nested_predictions_choose_the_method_by_the_inner_folds_asked_for():
    rng = np.random.default_rng(1)
    x = rng.uniform(0, 1, 30)
    y = np.clip(0.8 * x + 0.1 + rng.normal(0, 0.08, 30), 0, 1)
    folds = cv_folds(30, k=5, seed=0)

    def chosen_by(k):
        def fp(train, test):
            m, _ = select_method(x[train], y[train], k=k, low=0.0, high=1.0)
            return fit_linear(x[train], y[train], method=m, low=0.0, high=1.0).apply(x[test])
        return cv_predict(30, folds, fp)

    two = nested_predict(x, y, folds, k_inner=2, low=0.0, high=1.0)
    assert np.array_equal(two, chosen_by(2))
    assert not np.array_equal(two, nested_predict(x, y, folds, low=0.0, high=1.0))


# ---------------------------------------------------------------------------- intervals

def test_an_interval_asked_at_50_percent_is_the_median_absolute_residual():
    residuals = [1.0, -2.0, 3.0, -4.0, 5.0, -6.0, 7.0, -8.0, 9.0]
    half = interval_from_residuals(residuals, coverage=0.5)
    assert half.halfwidth == 5.0 and half.coverage == 0.5 and half.n == 9
    assert half.describe() == "\u00b15 (50 %)"
    assert interval_from_residuals(residuals).describe() == "\u00b19 (90 %)"


# ---------------------------------------------------------------------------- learned

def _loudness_step(n=40, seed=0):
    """Eight inputs; the reference is high for songs louder than -12.5 LUFS, low else.
    The seven other inputs are 0 for all but three songs each: too few songs for a tree
    to set apart, so no model reads them."""
    rng = np.random.default_rng(seed)
    X = np.zeros((n, len(INPUTS)))
    for j in range(len(INPUTS)):
        X[rng.choice(n, 3, replace=False), j] = rng.uniform(0.2, 1, 3)
    loud = INPUTS.index("loudness_lufs")
    X[:, loud] = rng.uniform(-20, -5, n)
    y = np.where(X[:, loud] > -12.5, 0.8, 0.2)
    return X, y


def test_inputs_that_matter_equally_are_ranked_in_the_order_of_the_inputs():
    X, y = _loudness_step()
    cal = fit_learned(X, y, INPUTS, column="speech")
    assert cal.chosen == {"boosted_trees": 5}
    assert [name for name, _ in cal.importance] == [
        "loudness_lufs", "energy", "danceability", "valence", "acousticness",
        "brightness_hz", "dynamic_range_db", "silence_ratio"]
    assert cal.importance[0][1] > 0 and all(v == 0 for _, v in cal.importance[1:])
    row = next(r for r in calibration_rows(Calibration(learned={"speech": cal}))
               if r["descriptor"] == "speech_learned")
    top = f"{cal.importance[0][1]:.3g}"
    assert row["inputs"] == (f"loudness_lufs={top}; energy=0; danceability=0; valence=0; "
                             "acousticness=0")


def test_the_same_songs_give_the_same_input_importance_every_time():
    rng = np.random.default_rng(4)
    n = 40
    X = np.column_stack([rng.uniform(0, 1, n), rng.uniform(-20, -5, n), rng.uniform(0, 1, n)])
    y = 0.2 + 0.6 * X[:, 0] + 0.02 * (X[:, 1] + 12.5) + rng.normal(0, 0.03, n)
    names = ["energy", "loudness_lufs", "valence"]
    first = fit_learned(X, y, names, column="speech")
    again = fit_learned(X, y, names, column="speech")
    assert [name for name, _ in first.importance][:2] == ["energy", "loudness_lufs"]
    assert again.importance == first.importance
    assert calibration_rows(Calibration(learned={"speech": again})) == calibration_rows(
        Calibration(learned={"speech": first}))


def test_the_learning_curve_scores_predictions_clamped_to_the_columns_range():
    # the reference is 0 for the quietest third of the songs: an unclamped line dips below
    n = 40
    energy = np.linspace(0, 1, n)
    valence = np.random.default_rng(2).uniform(0, 1, n)
    X = np.column_stack([energy, valence])
    y = np.maximum(0.0, energy - 0.3)
    clamped = fit_learned(X, y, ["energy", "valence"], column="energy", low=0.0, high=1.0)
    free = fit_learned(X, y, ["energy", "valence"], column="energy", low=None, high=1.0)
    sizes = [s for s, _ in clamped.learning_curve]
    assert sizes == [s for s, _ in free.learning_curve] == [16, 32]
    assert all(c < f for (_, c), (_, f) in zip(clamped.learning_curve, free.learning_curve,
                                               strict=True))


# ---------------------------------------------------------------------------- tempo row

def test_calibration_csv_gives_the_tempo_error_before_and_after_the_correction(tmp_path):
    rng = np.random.default_rng(7)
    ref = rng.uniform(90, 150, 40)
    est = ref * 1.05  # every song 5 % fast
    tempo = fit_tempo(est, ref)
    assert tempo.kept and tempo.mae_after < tempo.mae_before / 10
    path = tmp_path / "calibration.csv"
    write_calibration_csv(path, Calibration(tempo=tempo))
    cols, rows = read_csv_rows(path)
    bpm = next(r for r in rows if r["descriptor"] == "bpm")
    assert "mae_before" in cols and "mae_after" in cols
    assert float(bpm["mae_before"]) == pytest.approx(tempo.mae_before)
    assert float(bpm["mae_after"]) == pytest.approx(tempo.mae_after)


# ---------------------------------------------------------------------------- cells

def test_a_title_of_61_characters_is_cut_to_60_in_the_warning():
    title = "Midnight Drive Through The City Lights (Extended Radio Mix) A"
    assert len(title) == 61
    assert implausible_cells([{"title": title, "bpm": 5000.0}]) == [
        f"row 1 ({title[:59]}\u2026): bpm 5000"]
