"""Pairing, its summaries and the Calibration object: exact figures on small written-out
decks."""

import hashlib
import math
import pathlib

import numpy as np
import pytest

from core.calibration.fit import Calibration, fit_calibration
from core.calibration.matching import (
    Ambiguity,
    Match,
    MatchResult,
    identity_from_filename,
    unmatch,
)
from core.calibration.pairing import Pairing, _remap
from core.calibration.reference import file_sha256, parse_reference_text
from core.calibration.session import CalibrationOptions, CalibrationSession
from core.calibration.summary import (
    MatchSummary,
    ReferenceSummary,
    match_summary,
    reference_summary,
)

SHEET = ("Song,Artist,BPM,Energy\n"
         "One,A,100,50\n"
         "Two,B,120,60\n"
         "Three,C,90,70\n"
         "Four,D,140,80\n")


def _rows():
    return [{"path": "/d/1.wav", "title": "One", "artist": "A", "bpm": 200.0, "energy": 0.4},
            {"path": "/d/2.wav", "title": "Two", "artist": "B", "bpm": 60.0, "energy": 0.5},
            {"path": "/d/3.wav", "title": "Three", "artist": "C", "bpm": None, "energy": 0.6},
            {"path": "/d/x.wav", "title": "Nobody", "artist": "Z", "bpm": 90.0}]


def _pairing():
    p = Pairing()
    p.set_results(_rows())
    p.set_reference(parse_reference_text(SHEET, name="s.csv"))
    p.rematch()
    return p


def test_pairs_reference_values_and_tempo_ratios():
    p = _pairing()
    x, y, idx = p.pairs("bpm")
    assert x.tolist() == [200.0, 60.0] and y.tolist() == [100.0, 120.0]
    assert idx.tolist() == [0, 1]
    xm, ym, im = p.pairs("bpm", keep_missing=True)
    assert math.isnan(xm[2]) and ym.tolist() == [100.0, 120.0, 90.0] and im.tolist() == [0, 1, 2]
    assert p.reference_values("energy")[0].tolist() == pytest.approx([0.5, 0.6, 0.7])
    assert p.tempo_log2_ratios().tolist() == [1.0, -1.0]
    assert p.reference_row(3) is None and p.reference_row(1).title == "Two"
    assert p.input_matrix().shape[0] == 4


def test_match_and_reference_summaries():
    p = _pairing()
    m = p.match_summary()
    assert m == MatchSummary(4, 4, 3, 0, 0, 1, 1)
    assert str(m) == ("3/4 songs matched (0 by hand), 1 unmatched (0 ambiguous), "
                      "1 reference row unused")
    p.manual_match(3, 3)
    assert p.match_summary() == MatchSummary(4, 4, 4, 1, 0, 0, 0)
    assert str(p.match_summary()).endswith(", 0 reference rows unused")
    sheet = parse_reference_text(SHEET + ",nobody,1,1\n", name="s.csv")
    r = reference_summary(sheet)
    assert r == ReferenceSummary("s.csv", "", 4, [str(sheet.bad_rows[0])], ["bpm", "energy"],
                                 [])
    assert str(r) == "s.csv: 4 rows (bpm, energy), 1 left out"
    assert str(reference_summary(parse_reference_text(SHEET, name="t.csv"))) == \
        "t.csv: 4 rows (bpm, energy)"
    assert match_summary(MatchResult(2, 1, [Match(0, 0, "manual", 100.0)],
                                     [Ambiguity(1, [(0, 90.0)])])) == \
        MatchSummary(2, 1, 1, 1, 1, 1, 0)


def test_not_ready_reasons_and_require_pairs():
    p = Pairing()
    assert p.not_ready_reason() == "load a reference sheet first"
    p.set_reference(parse_reference_text(SHEET))
    assert p.not_ready_reason() == "there are no results yet"
    p.set_results(_rows())
    assert p.not_ready_reason() == ""
    assert not p.match_is_current
    assert len(p.require_pairs().matches) == 3 and p.match_is_current


def test_unmatch_removes_the_pair_and_ambiguity_of_one_song_only():
    result = MatchResult(3, 3, [Match(0, 0, "exact", 100.0), Match(2, 2, "fuzzy", 90.0)],
                         [Ambiguity(1, [(1, 88.0)])])
    out = unmatch(result, 0)
    assert out.matches == [Match(2, 2, "fuzzy", 90.0)] and out.ambiguous == result.ambiguous
    out = unmatch(result, 1)
    assert out.matches == result.matches and out.ambiguous == []
    assert (out.n_songs, out.n_rows) == (3, 3)
    for bad in (-1, 3):
        with pytest.raises(ValueError, match="song index must be 0-2"):
            unmatch(result, bad)


def test_pairing_unmatch_and_manual_pairs():
    p = _pairing()
    p.unmatch(0)
    assert p.reference_row(0) is None and p.match_method(0) == "unmatched"
    assert p.unpaired == {"/d/1.wav"} and p.match_is_current
    with pytest.raises(ValueError, match="song index"):
        p.unmatch(4)
    with pytest.raises(ValueError, match="nothing is matched"):
        Pairing().unmatch(0)


def test_remap_moves_pairs_and_ambiguities_to_the_new_positions():
    old = ["a", "b", "c", "d"]
    new = ["d", "c", "a"]  # b is gone
    match = MatchResult(4, 5, [Match(0, 4, "exact", 100.0), Match(1, 2, "exact", 100.0),
                               Match(3, 0, "fuzzy", 91.0)],
                        [Ambiguity(2, [(1, 88.0), (3, 87.0)])])
    out = _remap(match, old, new)
    assert out.n_songs == 3 and out.n_rows == 5
    assert out.matches == [Match(0, 0, "fuzzy", 91.0), Match(2, 4, "exact", 100.0)]
    assert out.ambiguous == [Ambiguity(1, [(1, 88.0), (3, 87.0)])]
    assert _remap(match, old, ["x"]).matches == []


def test_identity_from_filename():
    ident = identity_from_filename("/music/007_Ada Reyes_Quiet Rooms.mp3")
    assert (ident.title, ident.artist, ident.path) == ("Quiet Rooms", "Ada Reyes",
                                                       "/music/007_Ada Reyes_Quiet Rooms.mp3")


def test_file_sha256(tmp_path):
    data = b"Song,BPM\n" * 300_000  # more than one 1 MB block
    path = tmp_path / "s.csv"
    path.write_bytes(data)
    assert file_sha256(path) == hashlib.sha256(data).hexdigest()


def test_calibration_answers_for_its_columns():
    rng = np.random.default_rng(0)
    x = rng.uniform(0.1, 0.9, 40)
    values = {"energy": (x, 0.5 * x + 0.2 + rng.normal(0, 0.01, 40)),
              "bpm": (np.full(40, 120.0), np.full(40, 120.0))}
    cal = fit_calibration(values, k=5)
    assert isinstance(cal, Calibration) and cal.columns == ["energy", "bpm"][::-1]
    assert cal.covers("energy") and cal.covers("bpm") and not cal.covers("valence")
    assert cal.apply("energy", 0.4) == pytest.approx(0.4, abs=0.02)
    assert cal.apply("bpm", 120.0) == 120.0 and cal.apply("valence", 0.3) == 0.3
    assert cal.verdict("energy") == "calibrated" and cal.verdict("bpm") == "tracks"
    assert cal.verdict("key") == "" and cal.verdict("valence") == ""
    empty = Calibration()
    assert empty.apply("bpm", 99.0) == 99.0 and not empty.covers("bpm")
    assert empty.verdict("bpm") == "" and empty.columns == []
    with pytest.raises(ValueError, match="workers"):
        fit_calibration(values, workers=0)
    with pytest.raises(KeyError):
        cal.set_keep_inverted("valence", True)


def test_keep_inverted_judges_the_learned_model_again():
    rng = np.random.default_rng(1)
    n = 80
    energy = rng.uniform(0.1, 0.9, n)
    ref = 1.0 - energy + rng.normal(0, 0.02, n)
    lines = ["Song,Energy"] + [f"S{i},{100 * ref[i]:.1f}" for i in range(n)]
    rows = [{"path": f"/d/{i}", "title": f"S{i}", "status": "done", "energy": energy[i],
             "loudness_lufs": float(rng.uniform(-15, -5)), "bpm": float(rng.uniform(90, 140))}
            for i in range(n)]
    s = CalibrationSession(options=CalibrationOptions(workers=1))
    s.set_results(rows)
    s.set_reference(parse_reference_text("\n".join(lines) + "\n"))
    cal = s.fit()
    d, m = cal.descriptors["energy"], cal.learned["energy"]
    assert d.verdict == "inverted" and not d.kept and not m.kept and m.verdict == ""
    s.set_keep_inverted("energy", True)
    assert d.kept and m.mae_single == d.mae_after
    assert m.kept is (m.mae_compared < 0.99 * d.mae_after)
    s.set_keep_inverted("energy", False)
    assert not d.kept and not m.kept and "runs against the reference" in m.note


def test_export_calibrated_writes_the_applied_profile_else_the_fit(tmp_path):
    from core.calibration.profile import load_profile, save_profile
    from core.io.csvio import read_csv_rows

    s = CalibrationSession(options=CalibrationOptions(learned=False))
    s.set_results(_rows())
    with pytest.raises(ValueError, match="fit a calibration or apply a profile first"):
        s.export_calibrated(tmp_path / "none.csv")
    s.set_reference(parse_reference_text(SHEET + "Five,E,100,40\nSix,F,110,45\n",
                                         name="s.csv"))
    s.fit()
    assert s.export_calibrated(tmp_path / "fit.csv") == 4
    cols, rows = read_csv_rows(tmp_path / "fit.csv")
    assert "energy_calibrated" in cols and rows[0]["reference_file"] == "s.csv"
    assert "profile_file" not in cols
    save_profile(s.profile(), tmp_path / "p.json")
    s.apply_profile(load_profile(tmp_path / "p.json"), path=str(tmp_path / "p.json"))
    s.export_calibrated(tmp_path / "applied.csv")
    _, again = read_csv_rows(tmp_path / "applied.csv")
    assert again[0]["profile_file"] == "p.json"
    assert [r["energy_calibrated"] for r in again] == [r["energy_calibrated"] for r in rows]


def test_apply_profile_measures_every_column_on_the_paired_songs():
    from core.calibration.descriptor_fit import LinearCorrection
    from core.calibration.profile import CalibrationProfile
    from core.calibration.tempo_fit import TempoRule

    s = CalibrationSession()
    s.set_results(_rows())
    s.set_reference(parse_reference_text(SHEET))
    s.rematch()
    profile = CalibrationProfile(
        descriptors={"energy": LinearCorrection("offset", 1.0, 0.1)},
        tempo_rule=TempoRule("range", low=70.0, high=140.0))
    applied = s.apply_profile(profile, path="p.json")
    # tempo: 200 -> 100 (ref 100), 60 -> 120 (ref 120); the song without a tempo is left out
    assert applied.mae["bpm"] == (2, pytest.approx(80.0), pytest.approx(0.0))
    # energy: 0.4, 0.5, 0.6 -> 0.5, 0.6, 0.7 against 0.5, 0.6, 0.7
    assert applied.mae["energy"] == (3, pytest.approx(0.1), pytest.approx(0.0))
    assert applied.path == "p.json" and len(applied.rows) == 4
    assert applied.rows[3]["bpm_calibrated"] == 90.0  # unpaired songs are calibrated too
    assert s.current_profile() is profile and s.has_calibrated_values


def test_results_need_one_distinct_key_per_row():
    p = Pairing()
    with pytest.raises(ValueError, match=r"^keys must have one entry per row: 1 keys for 2 "
                                         r"rows$"):
        p.set_results(_rows()[:2], keys=["a"])
    with pytest.raises(ValueError, match=r"^keys must be unique \(two rows share a key\)$"):
        p.set_results(_rows()[:2], keys=["a", "a"])
    # two rows of one path (the default keys) are refused the same way
    with pytest.raises(ValueError, match=r"^keys must be unique"):
        p.set_results([_rows()[0], _rows()[0]])
    assert p.rows == [] and p.version == 0  # nothing was taken


def test_manual_match_needs_a_sheet_and_a_match_and_checks_indices():
    p = Pairing()
    with pytest.raises(ValueError, match="load a reference sheet and results before matching "
                                         "by hand"):
        p.manual_match(0, 0)
    p.set_reference(parse_reference_text(SHEET))
    p.set_results(_rows())
    with pytest.raises(ValueError, match="load a reference sheet and results before"):
        p.manual_match(0, 0)  # a sheet but no match yet
    p.rematch()
    with pytest.raises(ValueError, match="song index must be 0-3, got 4"):
        p.manual_match(4, 0)
    with pytest.raises(ValueError, match="song index must be 0-3, got -1"):
        p.manual_match(-1, 0)
    with pytest.raises(ValueError, match="row index must be 0-3, got 4"):
        p.manual_match(0, 4)
    with pytest.raises(ValueError, match="nothing is matched yet"):
        Pairing().unmatch(0)


def test_manual_pairs_move_rows_between_songs_and_clear_unpairings():
    p = _pairing()
    p.unmatch(3)
    assert p.unpaired == {"/d/x.wav"}
    p.manual_match(3, 3)
    assert p.unpaired == set() and p.manual == {"/d/x.wav": 3}
    p.manual_match(2, 3)  # the row goes to another song: the first manual pair goes
    assert p.manual == {"/d/3.wav": 3}
    assert p.reference_row(2).title == "Four" and p.reference_row(3) is None
    p.unmatch(2)
    assert p.manual == {} and p.unpaired == {"/d/3.wav"}
    assert p.match_method(2) == "unmatched" and p.match_method(0) == "exact"
    assert Pairing().match_method(0) == ""


def test_a_song_two_rows_claim_equally_is_ambiguous():
    p = Pairing()
    p.set_results([{"path": "/d/a.wav", "title": "Same Song", "artist": ""}])
    p.set_reference(parse_reference_text("Song,Artist,BPM\nSame Song,A,100\nSame Song,B,120\n"))
    p.rematch()
    assert p.match_method(0) == "ambiguous" and p.reference_row(0) is None
    p.manual_match(0, 1)
    assert p.match_method(0) == "manual" and p.match.ambiguous == []


def test_a_stale_copy_is_refused_after_pairs_change_whatever_the_order():
    p = _pairing()
    copy = p.copy()
    stale = copy.compute_match()
    p.set_results(list(reversed(p.rows)))
    p.manual_match(0, 0)
    p.unmatch(0)
    assert p.version > copy.version + 2 and p.match_is_current
    assert not p.adopt_match(stale, copy.version)


def test_reference_row_needs_a_match_and_a_sheet():
    p = Pairing()
    p.set_results(_rows())
    assert p.reference_row(0) is None
    p.match = MatchResult(4, 1, [Match(0, 0, "manual", 100.0)])
    assert p.reference_row(0) is None  # a match without a sheet


def test_manual_match_and_unmatch_results():
    result = MatchResult(3, 3, [Match(0, 0, "exact", 100.0), Match(1, 1, "fuzzy", 90.0)],
                         [Ambiguity(2, [(2, 88.0)])])
    from core.calibration.matching import manual_match

    out = manual_match(result, 2, 1)  # song 2 takes row 1 from song 1
    assert out.matches == [Match(0, 0, "exact", 100.0), Match(2, 1, "manual", 100.0)]
    assert out.ambiguous == [] and (out.n_songs, out.n_rows) == (3, 3)
    assert manual_match(result, 0, 2).ambiguous == result.ambiguous
    with pytest.raises(ValueError, match="song index must be 0-2, got 3"):
        manual_match(result, 3, 0)
    with pytest.raises(ValueError, match="row index must be 0-2, got 3"):
        manual_match(result, 0, 3)


def test_results_paths_are_kept_by_identity_from_filename():
    assert identity_from_filename(pathlib.Path("/m/A - B.wav")).path == "/m/A - B.wav"


def test_a_learned_model_is_compared_on_the_songs_the_analyzer_measured():
    from core.calibration.descriptor_fit import mae
    from core.calibration.fit import LearnedInputs

    rng = np.random.default_rng(2)
    n = 60
    X = rng.uniform(0, 1, (n, 3))
    y = 0.6 * X[:, 0] + 0.3 * X[:, 1] + rng.normal(0, 0.02, n)
    measured = np.arange(n) % 4 != 0  # the analyzer gave no energy for a quarter of them
    learned = {"energy": LearnedInputs(X, y, ("energy", "valence", "danceability"),
                                       compare=measured)}
    cal = fit_calibration({"energy": (X[measured, 0], y[measured])}, learned=learned, k=5)
    m = cal.learned["energy"]
    assert m.n == n and cal.descriptors["energy"].n == measured.sum()
    assert m.mae_compared == mae(m.cv_pred[measured], y[measured]) != m.mae_cv
