"""Fitting every column at once: the settings a user chooses (folds, seed, keep threshold)
reach the tempo, descriptor, key and learned fits alike and a calibration repeats
exactly; a learned model predicts the sheet's own scale; ``Calibration.apply`` and
``Calibration.verdict`` answer per column; and the columns are fitted on the threads
asked for, each with the numeric libraries held to one thread."""

import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest
import threadpoolctl

import core.calibration.fit as fit_module
import core.calibration.learned_fit as learned_fit_module
from core.calibration.descriptor_fit import fit_descriptor
from core.calibration.fit import Calibration, LearnedInputs, fit_calibration
from core.calibration.key_fit import fit_key
from core.calibration.learned_fit import fit_learned
from core.calibration.tempo_fit import fit_tempo
from core.io.keynotation import Key

N = 30
SPEECH_INPUTS = ("energy", "valence", "danceability")


def _deck(seed=7):
    """Thirty songs: the analyzer's tempo runs about 4 % fast, its energy about 0.1 high."""
    rng = np.random.default_rng(seed)
    bpm_ref = rng.uniform(90.0, 150.0, N)
    bpm = bpm_ref * 1.04 + rng.normal(0.0, 2.0, N)
    energy_ref = rng.uniform(0.1, 0.8, N)
    energy = energy_ref + 0.1 + rng.normal(0.0, 0.03, N)
    return {"bpm": (bpm, bpm_ref), "energy": (energy, energy_ref)}


def _speech(seed=3):
    """An extra column of the sheet (no analyzer descriptor) that follows SongCal's energy."""
    rng = np.random.default_rng(seed)
    X = rng.uniform(0.0, 1.0, (36, len(SPEECH_INPUTS)))
    y = 0.3 + 0.5 * X[:, 0] + rng.normal(0.0, 0.05, 36)
    return LearnedInputs(X, y, SPEECH_INPUTS)


def _keys(seed=0, n=24, p_fifth=0.6):
    """Analyzer and reference keys: the analyzer calls most keys a fifth too high."""
    rng = np.random.default_rng(seed)
    ref = [Key(int(rng.integers(12)), "major" if rng.random() < 0.5 else "minor")
           for _ in range(n)]
    est = [Key((k.tonic + 7) % 12, k.mode) if rng.random() < p_fifth else k for k in ref]
    return est, ref


def _learned_alone(inputs, **kw):
    """The learned model of an extra column, fitted on its own (clamped to its values)."""
    return fit_learned(inputs.X, inputs.y, inputs.names, column="speech",
                       low=float(min(inputs.y)), high=float(max(inputs.y)), **kw)


def _figures(cal):
    """What a user reads of a whole calibration, per part."""
    return {
        "tempo": (cal.tempo.describe(), cal.tempo.mae_nested, cal.tempo.acc1_after,
                  dict(cal.tempo.cv_mae)),
        "energy": (cal.descriptors["energy"].correction.describe(),
                   cal.descriptors["energy"].mae_cv,
                   cal.descriptors["energy"].cv_pred.tolist()),
        "key": (cal.key.correction.describe(), cal.key.accuracy_after,
                cal.key.weighted_after),
        "speech": (cal.learned["speech"].kept, cal.learned["speech"].mae_cv,
                   cal.learned["speech"].cv_pred.tolist()),
    }


# -- the settings reach every part -----------------------------------------------------------

def test_the_seed_chosen_reaches_the_tempo_descriptor_key_and_learned_fits():
    """A calibration fitted with seed 6 holds, for every part, what that part's own fit
    gives with seed 6 (and not what the default seed 0 would give)."""
    values, keys, speech = _deck(), _keys(), _speech()
    cal = fit_calibration(values, keys=keys, learned={"speech": speech}, k=4, seed=6)
    assert cal.seed == 6

    tempo = fit_tempo(*values["bpm"], k=4, seed=6)
    energy = fit_descriptor(*values["energy"], descriptor="energy", k=4, seed=6)
    key = fit_key(*keys, k=4, seed=6)
    model = _learned_alone(speech, seed=6)
    assert cal.tempo.mae_nested == tempo.mae_nested and cal.tempo.cv_mae == tempo.cv_mae
    np.testing.assert_array_equal(cal.descriptors["energy"].cv_pred, energy.cv_pred)
    assert (cal.key.accuracy_after, cal.key.weighted_after) == (key.accuracy_after,
                                                                key.weighted_after)
    np.testing.assert_array_equal(cal.learned["speech"].cv_pred, model.cv_pred)

    # the seed matters on these songs: seed 0 splits them into other folds
    assert fit_tempo(*values["bpm"], k=4, seed=0).mae_nested != tempo.mae_nested
    assert not np.array_equal(
        fit_descriptor(*values["energy"], descriptor="energy", k=4, seed=0).cv_pred,
        energy.cv_pred)
    assert fit_key(*keys, k=4, seed=0).weighted_after != key.weighted_after
    assert not np.array_equal(_learned_alone(speech, seed=0).cv_pred, model.cv_pred)


def test_the_same_songs_and_seed_give_the_same_calibration_every_time():
    """Fitting the same songs, keys and extra column three times with one seed gives the
    same corrections, held-out errors and scores each time."""
    values, keys, speech = _deck(), _keys(), _speech()
    first, *again = [_figures(fit_calibration(values, keys=keys, learned={"speech": speech},
                                              k=4, seed=6)) for _ in range(3)]
    assert all(figures == first for figures in again)


def test_the_keep_threshold_chosen_reaches_the_tempo_and_learned_fits():
    """With a 90 % keep threshold neither the tempo line nor the extra column's model is
    kept, though both are at the default 1 %; each part matches its own fit at 90 %."""
    values, speech = _deck(), _speech()
    cal = fit_calibration(values, learned={"speech": speech}, k=4, min_gain=0.9)
    assert cal.min_gain == 0.9

    assert fit_tempo(*values["bpm"], k=4).correction.method != "none"
    assert cal.tempo.correction.method == "none" and not cal.tempo.kept
    assert cal.tempo.mae_after == fit_tempo(*values["bpm"], k=4, min_gain=0.9).mae_after

    assert _learned_alone(speech).kept
    model = cal.learned["speech"]
    assert not model.kept and model.verdict == "weak"
    assert model.note == _learned_alone(speech, min_gain=0.9).note
    assert model.note.endswith("by 90 %")


def test_without_settings_a_calibration_uses_ten_folds_seed_0_and_a_1_percent_threshold():
    """The defaults are 10 folds, seed 0 and a 1 % threshold, recorded on the calibration
    and used by the fit."""
    x, y = _deck()["energy"]
    cal = fit_calibration({"energy": (x, y)})
    assert (cal.k, cal.seed, cal.min_gain) == (10, 0, 0.01)
    energy = cal.descriptors["energy"]
    assert energy.folds == 10
    np.testing.assert_array_equal(energy.cv_pred,
                                  fit_descriptor(x, y, descriptor="energy").cv_pred)


# -- a column on the sheet's own scale -------------------------------------------------------

def test_a_learned_model_of_a_descriptor_on_the_sheets_own_scale_predicts_that_scale():
    """A sheet rating energy 1-10 (Mixed In Key) gets a learned energy model whose
    predictions are on 1-10, not clamped to the analyzer's 0-1."""
    rng = np.random.default_rng(5)
    energy = rng.uniform(0.15, 0.95, N)
    ref = np.clip(1.0 + 9.0 * (energy - 0.1) + rng.normal(0.0, 0.2, N), 1.0, 10.0)
    X = np.column_stack([energy, rng.uniform(0.0, 1.0, N)])
    cal = fit_calibration({"energy": (energy, ref)}, k=4,
                          learned={"energy": LearnedInputs(X, ref, ("energy", "valence"))},
                          reference_ranges={"energy": (1.0, 10.0)})
    model = cal.learned["energy"]
    assert model.cv_pred.min() >= 1.0 and model.cv_pred.max() <= 10.0
    assert model.cv_pred.max() > 6.0
    assert model.mae_cv < 0.5
    assert cal.apply("energy", 0.7) == pytest.approx(6.4, abs=0.4)


# -- apply and verdict -----------------------------------------------------------------------

def test_apply_corrects_tempo_and_each_descriptor_with_its_own_fit():
    """``apply`` runs tempo through the tempo calibration and a descriptor through its
    own correction; NaN stays NaN and a column not fitted is returned unchanged."""
    cal = fit_calibration(_deck(), k=4)
    assert cal.tempo.kept and cal.descriptors["energy"].kept

    bpm = np.array([104.0, 130.0, np.nan])
    fixed = cal.apply("bpm", bpm)
    np.testing.assert_array_equal(fixed, cal.tempo.apply(bpm))
    assert fixed[:2] == pytest.approx(bpm[:2] / 1.04, abs=1.5) and np.isnan(fixed[2])

    energy = np.array([0.3, 0.6])
    np.testing.assert_array_equal(cal.apply("energy", energy),
                                  cal.descriptors["energy"].correction.apply(energy))
    assert cal.apply("energy", energy) == pytest.approx(energy - 0.1, abs=0.03)
    assert cal.apply("valence", 0.3) == 0.3

    no_tempo = Calibration(descriptors=cal.descriptors)
    assert no_tempo.apply("bpm", 104.0) == 104.0
    assert no_tempo.apply("energy", 0.6) == pytest.approx(0.5, abs=0.03)


def test_the_verdict_of_an_extra_column_is_its_learned_models():
    """An extra column of the sheet has no descriptor fit: its verdict is its learned
    model's; a column nothing was fitted for has no verdict."""
    cal = fit_calibration({}, learned={"speech": _speech()}, k=4)
    assert cal.extra == ["speech"] and cal.learned["speech"].kept
    assert cal.verdict("speech") == cal.learned["speech"].verdict == "calibrated"
    assert cal.verdict("valence") == ""


# -- threads ---------------------------------------------------------------------------------

def test_by_default_the_columns_are_fitted_one_after_another_on_one_thread(monkeypatch):
    """Without ``workers`` the columns are fitted one at a time, all on one thread."""
    threads = set()
    real = fit_module.fit_descriptor

    def timed(*args, **kw):
        threads.add(threading.get_ident())
        time.sleep(0.02)  # still busy when the next column is handed out
        return real(*args, **kw)

    monkeypatch.setattr(fit_module, "fit_descriptor", timed)
    x, y = _deck()["energy"]
    cal = fit_calibration({"energy": (x, y), "valence": (x, y), "danceability": (x, y)}, k=4)
    assert list(cal.descriptors) == ["energy", "valence", "danceability"]
    assert len(threads) == 1


def _fit_watching_threads(setattr, *, workers):
    """Fit the tempo, energy, key and extra column of the songs above on ``workers``
    threads; return what the calibration says, the thread count of each numeric library
    inside every part, and the counts outside the fit (``setattr`` puts the watchers in)."""
    inside = {}

    def libraries():
        return sorted({(i["user_api"], i["num_threads"])
                       for i in threadpoolctl.threadpool_info()})

    def watched(real, part_name):
        def part(*args, **kw):
            inside[part_name(kw)] = libraries()
            return real(*args, **kw)
        return part

    setattr(fit_module, "fit_tempo", watched(fit_tempo, lambda kw: "bpm"))
    setattr(fit_module, "fit_descriptor", watched(fit_descriptor, lambda kw: kw["descriptor"]))
    setattr(fit_module, "fit_key", watched(fit_key, lambda kw: "key"))
    setattr(learned_fit_module, "fit_learned",
            watched(fit_learned, lambda kw: kw["column"] + " learned"))
    cal = fit_calibration(_deck(), keys=_keys(), learned={"speech": _speech()}, k=4,
                          workers=workers)
    return {"outside": libraries(), "inside": inside, "figures": _figures(cal)}


def test_with_more_threads_in_the_environment_every_part_still_runs_on_one_thread(
        monkeypatch):
    """A user may run SongCal with OMP_NUM_THREADS and OPENBLAS_NUM_THREADS above 1 (the
    launcher keeps them): inside the tempo, descriptor, key and learned fits BLAS and
    OpenMP still run one thread each, whether the columns are fitted one at a time or side
    by side, and the calibration is the one fitted with one thread throughout."""
    here = _fit_watching_threads(monkeypatch.setattr, workers=1)
    root = Path(fit_module.__file__).resolve().parents[2]
    code = ("import importlib.util, json\n"
            f"spec = importlib.util.spec_from_file_location('whole', {__file__!r})\n"
            "tests = importlib.util.module_from_spec(spec)\n"
            "spec.loader.exec_module(tests)\n"
            "print(json.dumps([tests._fit_watching_threads(setattr, workers=w)"
            " for w in (1, 2)]))\n")
    env = {**os.environ, "PYTHONPATH": str(root), "OMP_NUM_THREADS": "2",
           "OPENBLAS_NUM_THREADS": "2", "MKL_NUM_THREADS": "2"}
    out = subprocess.run([sys.executable, "-c", code], cwd=root, env=env,
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    there = json.loads(out.stdout.splitlines()[-1])
    assert json.loads(json.dumps(here["figures"])) == there[0]["figures"] == there[1]["figures"]
    for run in there:
        assert ["blas", 2] in run["outside"] and ["openmp", 2] in run["outside"]
        assert sorted(run["inside"]) == ["bpm", "energy", "key", "speech learned"]
        assert all(threads == 1 for libs in run["inside"].values() for _, threads in libs)


def test_a_column_still_fitting_when_another_finishes_keeps_blas_to_one_thread(monkeypatch):
    """In a process whose BLAS runs two threads (as with OPENBLAS_NUM_THREADS=2), two
    columns fitted side by side: after the first one finishes, the one still fitting goes
    on with BLAS held to one thread (no pool of threads inside a pool of threads)."""
    columns = ("energy", "valence")

    def side_by_side():
        started = {c: threading.Event() for c in columns}
        finished = threading.Event()
        seen = []

        def part(x, y, *, descriptor, **kw):
            result = fit_descriptor(x, y, descriptor=descriptor, **kw)
            started[descriptor].set()
            other = columns[1 - columns.index(descriptor)]
            assert started[other].wait(5)
            if descriptor == columns[0]:
                finished.set()
            else:
                assert finished.wait(5)
                time.sleep(0.03)  # the first column's thread is done with its job by now
                seen.extend(i["num_threads"] for i in threadpoolctl.threadpool_info()
                            if i["user_api"] == "blas")
            return result

        monkeypatch.setattr(fit_module, "fit_descriptor", part)
        x, y = _deck()["energy"]
        cal = fit_calibration({c: (x, y) for c in columns}, k=4, workers=2)
        assert list(cal.descriptors) == list(columns)
        return seen

    with threadpoolctl.threadpool_limits(limits=2, user_api="blas"):
        assert {i["num_threads"] for i in threadpoolctl.threadpool_info()
                if i["user_api"] == "blas"} == {2}
        for _ in range(3):
            seen = side_by_side()
            assert seen and all(threads == 1 for threads in seen)
