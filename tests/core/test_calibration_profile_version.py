"""Profile format versions: a profile that version 2 can say is written as version 2, byte
for byte as before; one whose corrections version 2 cannot say (a ``scale`` map, a fitted
line clamped beyond its column's range, as against a Mixed In Key export's levels 1-10) is
written as version 3; versions 1 to 3 are read."""

import json
from pathlib import Path

import numpy as np
import pytest

from core.calibration.descriptor_fit import LinearCorrection, scale_correction
from core.calibration.intervals import PredictionInterval
from core.calibration.key_fit import KeyCorrection
from core.calibration.learned_model import RidgeModel
from core.calibration.profile import (
    CalibrationProfile,
    ProfileError,
    load_profile,
    profile_from_dict,
    profile_to_dict,
    save_profile,
)
from core.calibration.tempo_fit import TempoRule

#: A version 2 profile as SongCal wrote it before version 3 existed (from
#: :func:`version_2_profile`).
VERSION_2_FILE = Path(__file__).parent / "data" / "profile_version_2.json"


def version_2_profile() -> CalibrationProfile:
    """A profile with every section filled, each correction within its column's range."""
    ridge = RidgeModel(inputs=("energy", "loudness_lufs"), fill=np.array([0.5, -12.0]),
                       mean=np.array([0.5, -11.0]), scale=np.array([0.2, 3.0]),
                       coef=np.array([0.1, 0.02]), intercept=0.4, alpha=1.0, low=0.0,
                       high=1.0)
    return CalibrationProfile(
        descriptors={"energy": LinearCorrection("theil_sen", 0.82, 0.11, 0.0, 1.0),
                     "loudness_lufs": LinearCorrection("offset", 1.0, 1.5, -70.0, 10.0),
                     "danceability": LinearCorrection()},
        tempo_rule=TempoRule("range", low=70.0, high=140.0),
        tempo_correction=LinearCorrection("huber", 1.01, -0.4, 20.0, 320.0),
        key=KeyCorrection(major="keep", minor="relative", mapping={"A minor": "C major"}),
        learned={"valence": ridge},
        intervals={"bpm": PredictionInterval("relative", 0.04, 0.9, 40),
                   "energy": PredictionInterval("absolute", 0.07, 0.9, 40),
                   "valence": PredictionInterval("absolute", float("nan"), 0.9, 0)},
        verdicts={"bpm": "calibrated", "energy": "calibrated", "key": "weak"},
        fitted_ranges={"bpm": {"bpm": (66.5, 150.0)}, "energy": {"energy": (0.05, 0.95)},
                       "valence": {"energy": (0.05, 0.95),
                                   "loudness_lufs": (-17.1, -12.6)}},
        meta={"app": "SongCal", "reference": "Tabelle für Üben.csv", "mae": float("nan"),
              "scores": {"energy": {"n": 40, "r2": 0.93}}})


def test_a_profile_version_2_can_say_is_written_as_version_2_byte_for_byte(tmp_path):
    path = tmp_path / "p.json"
    save_profile(version_2_profile(), path)
    assert path.read_bytes() == VERSION_2_FILE.read_bytes()
    # and read back, it is written the same again
    save_profile(load_profile(VERSION_2_FILE), tmp_path / "again.json")
    assert (tmp_path / "again.json").read_bytes() == VERSION_2_FILE.read_bytes()


def _written(profile, tmp_path) -> dict:
    save_profile(profile, tmp_path / "p.json")
    return json.loads((tmp_path / "p.json").read_text(encoding="utf-8"))


def test_a_scale_map_is_written_as_version_3_and_read_back(tmp_path):
    p = version_2_profile()
    p.descriptors["energy"] = scale_correction("energy", (1.0, 10.0))
    data = _written(p, tmp_path)
    assert data["version"] == 3
    back = load_profile(tmp_path / "p.json")
    assert back.descriptors["energy"] == p.descriptors["energy"]
    assert back.apply_values("energy", 0.5) == pytest.approx(5.5)
    # every other section is as version 2 writes it
    plain = profile_to_dict(version_2_profile())
    assert {k: v for k, v in data.items() if k not in ("version", "descriptors")} == {
        k: v for k, v in plain.items() if k not in ("version", "descriptors")}


@pytest.mark.parametrize("column, correction", [
    ("energy", LinearCorrection("linear", 6.97, 1.92, 1.0, 10.0)),  # Mixed In Key levels
    ("energy", LinearCorrection("huber", 0.9, 0.1, None, 1.5)),
    ("loudness_lufs", LinearCorrection("offset", 1.0, 2.0, -80.0, 10.0)),
])
def test_a_fitted_line_clamped_beyond_its_columns_range_is_version_3(tmp_path, column,
                                                                      correction):
    p = version_2_profile()
    p.descriptors[column] = correction
    assert _written(p, tmp_path)["version"] == 3
    assert load_profile(tmp_path / "p.json").descriptors[column] == correction


@pytest.mark.parametrize("column, correction", [
    ("energy", LinearCorrection("linear", 0.9, 0.1, 0.0, 1.0)),  # its own range
    ("energy", LinearCorrection("linear", 0.9, 0.1, 0.2, 0.8)),  # inside it
    ("energy", LinearCorrection("linear", 0.9, 0.1)),  # not clamped
    ("brightness_hz", LinearCorrection("theil_sen", 1.1, 0.0, 0.0, 8000.0)),  # no range
])
def test_a_line_clamped_within_its_columns_range_stays_version_2(tmp_path, column,
                                                                 correction):
    p = version_2_profile()
    p.descriptors[column] = correction
    assert _written(p, tmp_path)["version"] == 2


def test_a_version_2_profile_holding_a_scale_map_is_still_read():
    """Written before version 3 existed, by a SongCal that already kept scale maps."""
    data = json.loads(VERSION_2_FILE.read_text(encoding="utf-8"))
    data["descriptors"]["energy"] = {"method": "scale", "slope": 9.0, "intercept": 1.0,
                                     "low": 1.0, "high": 10.0}
    p = profile_from_dict(data)
    assert p.descriptors["energy"] == scale_correction("energy", (1.0, 10.0))


@pytest.mark.parametrize("correction, version", [
    (LinearCorrection("linear", 1.0, 0.0, 20.0, 320.0), 2),
    (LinearCorrection("linear", 1.0, 0.0, 25.0, 300.0), 2),  # inside the range: no change
    (LinearCorrection("linear", 1.0, 0.0, 10.0, 320.0), 3),
    (LinearCorrection("none", 1.0, 0.0, 0.0, 900.0), 2),  # not applied: nothing to say
])
def test_a_tempo_correction_clamped_beyond_20_to_320_bpm_is_version_3(tmp_path, correction,
                                                                      version):
    p = version_2_profile()
    p.tempo_correction = correction
    assert _written(p, tmp_path)["version"] == version


def test_a_learned_model_clamped_to_a_references_own_scale_is_version_3(tmp_path):
    p = version_2_profile()
    p.learned["energy"] = p.learned.pop("valence")
    p.learned["energy"].low, p.learned["energy"].high = 1.0, 10.0
    p.fitted_ranges["energy"] = p.fitted_ranges.pop("valence")
    assert _written(p, tmp_path)["version"] == 3
    assert load_profile(tmp_path / "p.json").learned["energy"].high == 10.0


@pytest.mark.parametrize("version", [1, 2, 3])
def test_versions_1_to_3_are_read(version):
    data = json.loads(VERSION_2_FILE.read_text(encoding="utf-8"))
    data["version"] = version
    assert profile_from_dict(data).descriptors == version_2_profile().descriptors


def test_version_4_is_refused_naming_the_versions_read():
    data = json.loads(VERSION_2_FILE.read_text(encoding="utf-8"))
    data["version"] = 4
    with pytest.raises(ProfileError, match=r"profile version 4 is newer than this SongCal "
                                           r"understands \(3\)$"):
        profile_from_dict(data)
    data["version"] = "3"
    with pytest.raises(ProfileError, match=r"this SongCal reads versions 1 to 3\), got '3'"):
        profile_from_dict(data)


def test_a_scale_map_within_its_columns_range_is_version_3_too(tmp_path):
    """The map's own clamps may lie inside the column's range (loudness onto 0-1): the
    values are still on the reference's scale, not the analyzer's."""
    p = version_2_profile()
    p.descriptors["loudness_lufs"] = scale_correction("loudness_lufs", (0.0, 1.0))
    assert _written(p, tmp_path)["version"] == 3
