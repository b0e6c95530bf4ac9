"""End to end: pair results with a sheet, fit, export CSVs and a profile, the CLI commands."""

import hashlib
import json
import os
import re
from pathlib import Path

import numpy as np
import pytest

from core import __version__
from core.calibration.applying import apply_profile, calibrated_values
from core.calibration.cells import typed_row
from core.calibration.exports import CALIBRATION_COLUMNS, CALIBRATION_LAST_COLUMNS
from core.calibration.profile import (
    ProfileError,
    load_profile,
    profile_from_dict,
    profile_to_dict,
    save_profile,
)
from core.calibration.session import CalibrationOptions, CalibrationSession
from core.cli.main import main as cli_main
from core.io.csvio import read_csv_rows, write_csv
from core.io.keynotation import Key, parse_key
from core.io.results import RESULT_COLUMNS


def make_deck(n=60, seed=0):
    """Result rows and a streaming-style sheet: noisy linear columns, half/double BPM rows."""
    rng = np.random.default_rng(seed)
    true_bpm = np.exp(rng.uniform(np.log(75), np.log(170), n))
    est_bpm = true_bpm * (1 + rng.normal(0, 0.005, n))
    halved = (true_bpm > 125) & (rng.random(n) < 0.6)
    est_bpm[halved] /= 2
    ref_bpm = true_bpm.copy()
    planted = rng.choice(np.flatnonzero(~halved), 4, replace=False)
    ref_bpm[planted[:2]] /= 2
    ref_bpm[planted[2:]] *= 2
    energy = rng.uniform(0.05, 0.95, n)
    dance = rng.uniform(0.05, 0.95, n)
    lufs = rng.uniform(-20, -6, n)
    keys = [Key(int(rng.integers(12)), "minor" if rng.random() < 0.5 else "major")
            for _ in range(n)]
    results, lines = [], ["#,Song,Artist,BPM,Key,Energy,Dance,Loud (Db)"]
    for i in range(n):
        title, artist = f"Track Number {i} Of The Deck", f"Band {i % 7}"
        row = {c: None for c in RESULT_COLUMNS}
        row.update(path=f"/deck/{i:03d}.wav", title=title, artist=artist, status="done",
                   bpm=round(float(est_bpm[i]), 2), key=keys[i].name,
                   energy=float(np.clip(energy[i] + rng.normal(0, 0.03), 0, 1)),
                   danceability=float(np.clip(dance[i] + rng.normal(0, 0.03), 0, 1)),
                   loudness_lufs=float(lufs[i] + rng.normal(0, 0.3)))
        results.append(row)
        e = np.clip(0.7 * energy[i] + 0.2 + rng.normal(0, 0.03), 0, 1)
        d = np.clip(1.2 * dance[i] - 0.1 + rng.normal(0, 0.03), 0, 1)
        db = 0.9 * lufs[i] + 4 + rng.normal(0, 0.4)
        lines.append(f"{i + 1},{title},{artist},{ref_bpm[i]:.1f},{keys[i].name},"
                     f"{100 * e:.0f},{100 * d:.0f},{db:.1f}")
    return results, "\n".join(lines) + "\n"


@pytest.fixture
def deck(tmp_path):
    results, sheet = make_deck()
    ref = tmp_path / "ref.csv"
    ref.write_text(sheet, encoding="utf-8")
    res = tmp_path / "results.csv"
    write_csv(res, RESULT_COLUMNS, results,
              meta={"songcal_version": __version__, "settings": "sample_rate=22050"})
    return tmp_path, results, ref, res


def _session(results, ref, *, learned=False, **options):
    """A session of the deck (learned models only when a test is about them: they make a
    fit several times slower)."""
    s = CalibrationSession(options=CalibrationOptions(learned=learned), **options)
    s.set_results(results, keys=range(len(results)))
    s.set_reference(ref)
    return s


def _calibration_by_descriptor(path):
    cols, rows = read_csv_rows(path)
    return cols, {r["descriptor"]: r for r in rows}


def test_session_meets_the_target_and_writes_every_export(deck):
    tmp, results, ref, _ = deck
    s = _session(results, ref, settings={"sample_rate": 22050})
    written = s.write({"calibration": tmp / "cal.csv", "paired": tmp / "paired.csv",
                       "profile": tmp / "p.json", "mismatches": tmp / "mm.csv"})
    assert list(written) == ["calibration", "paired", "mismatches", "profile"]
    assert len(s.match.matches) == 60 and s.all_songs_paired
    cal = s.calibration
    for name in ("energy", "danceability", "loudness_lufs"):
        d = cal.descriptors[name]
        assert d.kept and d.mae_after < 0.7 * d.mae_before, name
    assert cal.tempo.acc1_before == pytest.approx(44 / 60)
    assert cal.tempo.acc1_after == pytest.approx(48 / 60)  # cross-validated
    assert cal.tempo.rule.kind == "range"

    cols, by = _calibration_by_descriptor(tmp / "cal.csv")
    assert list(CALIBRATION_COLUMNS) == cols[:len(CALIBRATION_COLUMNS)]
    for needed in ("descriptor", "method", "n", "slope", "intercept", "r2", "mae_before",
                   "mae_after", "score", "score_before", "score_after"):
        assert needed in cols
    assert {"bpm", "bpm_acc1", "bpm_acc2", "key_accuracy", "key_weighted", "energy",
            "danceability", "loudness_lufs"} <= set(by)
    assert float(by["energy"]["mae_after"]) < float(by["energy"]["mae_before"])
    assert by["bpm_acc1"]["score"] == "acc1"
    assert float(by["bpm_acc1"]["score_after"]) == pytest.approx(cal.tempo.acc1_after)
    assert by["energy"]["verdict"] == "calibrated" and by["bpm"]["verdict"]
    sha = hashlib.sha256(ref.read_bytes()).hexdigest()
    for r in by.values():
        assert r["songcal_version"] == __version__
        assert r["reference_file"] == "ref.csv" and r["reference_sha256"] == sha
        assert r["settings"] == "sample_rate=22050"

    pcols, prow = read_csv_rows(tmp / "paired.csv")
    for c in ("ref_bpm", "ref_key", "bpm_error", "energy_error", "key_relation",
              "bpm_ratio", "bpm_agreement", "key_fifths_distance",
              "bpm_calibrated", "key_calibrated", "reference_sha256"):
        assert c in pcols
    assert len(prow) == 60
    assert not prow[0]["loudness_lufs"].startswith("'")  # negative numbers stay numbers

    _, mm = read_csv_rows(tmp / "mm.csv")
    assert {r["mismatch"] for r in mm} >= {"tempo half", "tempo double"}
    profile = json.loads((tmp / "p.json").read_text(encoding="utf-8"))
    assert profile["meta"]["reference_sha256"] == sha
    assert profile["meta"]["songcal_version"] == __version__


def test_calibration_csv_ends_with_the_scale_of_each_rows_reference_values(deck):
    tmp, results, ref, _ = deck
    s = _session(results, ref, settings={"sample_rate": 22050})
    s.write({"calibration": tmp / "cal.csv"})
    cols, by = _calibration_by_descriptor(tmp / "cal.csv")
    # the last column: every earlier one, provenance included, keeps its place
    assert cols[-1] == "reference_scale" and CALIBRATION_LAST_COLUMNS == ("reference_scale",)
    assert cols[len(CALIBRATION_COLUMNS)] == "songcal_version"
    assert {d: r["reference_scale"] for d, r in by.items()} == {
        "bpm": "BPM", "bpm_acc1": "BPM", "bpm_acc2": "BPM", "energy": "0-1",
        "danceability": "0-1", "loudness_lufs": "LUFS", "key_accuracy": "as in the sheet",
        "key_weighted": "as in the sheet"}


def test_reference_scale_names_the_sheets_own_scale_first():
    from core.calibration.calibration_table import reference_scale

    assert reference_scale("energy", {"energy": "Mixed In Key 1\u201310"}) == (
        "Mixed In Key 1\u201310")
    assert reference_scale("energy", {"speech": "x"}) == "0-1"
    assert [reference_scale(c) for c in ("valence", "acousticness", "bpm", "loudness_lufs",
                                         "speech", "popularity")] == [
        "0-1", "0-1", "BPM", "LUFS", "as in the sheet", "as in the sheet"]


def test_exports_neutralize_formula_cells(tmp_path):
    results = [{**{c: None for c in RESULT_COLUMNS}, "path": "/x/a.wav",
                "title": "=HYPERLINK(\"http://evil\")", "artist": "@SUM(1)", "bpm": 120.0,
                "energy": 0.5}]
    ref = tmp_path / "ref.csv"
    ref.write_text('title,artist,bpm,energy\n"=HYPERLINK(""http://evil"")",@SUM(1),120,50\n'
                   "+cmd,-x,100,40\n", encoding="utf-8")
    s = _session(results, ref)
    s.write({"calibration": tmp_path / "c.csv", "paired": tmp_path / "p.csv",
             "mismatches": tmp_path / "m.csv"})
    assert len(s.match.matches) == 1
    text = (tmp_path / "p.csv").read_text(encoding="utf-8-sig")
    assert "'=HYPERLINK" in text and "'@SUM(1)" in text
    _, mm = read_csv_rows(tmp_path / "m.csv")
    unused = [r for r in mm if r["mismatch"] == "unmatched reference row"]
    assert unused[0]["ref_title"] == "'+cmd" and unused[0]["ref_artist"] == "'-x"
    for line in text.splitlines()[1:]:
        for cell in line.split(","):
            assert not cell.startswith(("=", "+", "@")), cell


def test_profile_round_trip_and_apply(deck, tmp_path):
    _, results, ref, _ = deck
    s = _session(results, ref)
    s.write({"profile": tmp_path / "p.json"})
    loaded = load_profile(tmp_path / "p.json")
    assert profile_to_dict(loaded) == profile_to_dict(s.profile())
    # every value on the analyzer's own scales: still the version earlier SongCals read
    assert json.loads((tmp_path / "p.json").read_text())["version"] == 2
    out = apply_profile(loaded, results)
    cal = s.calibration
    for row, new in zip(results, out, strict=True):
        assert new["bpm_calibrated"] == pytest.approx(cal.tempo.apply(row["bpm"]))
        assert new["energy_calibrated"] == pytest.approx(
            cal.descriptors["energy"].correction.apply(row["energy"]))
        assert new["key_calibrated"] == cal.key.apply(parse_key(row["key"])).name


def test_profile_errors(tmp_path):
    with pytest.raises(ProfileError, match=r"missing\.json: the profile does not exist$"):
        load_profile(tmp_path / "missing.json")
    bad = tmp_path / "bad.json"
    bad.write_text("{not json", encoding="utf-8")
    with pytest.raises(ProfileError, match="not valid JSON"):
        load_profile(bad)
    with pytest.raises(ProfileError, match="not a SongCal calibration profile"):
        profile_from_dict({"format": "other"})
    with pytest.raises(ProfileError, match="malformed"):
        profile_from_dict({"format": "songcal-calibration-profile", "version": 1,
                           "tempo": {"rule": {"kind": "range", "low": -5}}})


def test_save_profile_is_atomic_and_utf8(tmp_path):
    from core.calibration.profile import CalibrationProfile

    p = tmp_path / "p.json"
    save_profile(CalibrationProfile(meta={"reference_file": "réf.csv"}), p)
    assert json.loads(p.read_text(encoding="utf-8"))["meta"]["reference_file"] == "réf.csv"
    assert [f.name for f in tmp_path.iterdir()] == ["p.json"]


def test_typed_row_restores_numbers_but_not_text():
    row = typed_row({"title": "1999", "loudness_lufs": "'-7.5", "bpm": "120.5",
                     "time_signature": "4", "key": "C major"})
    assert row == {"title": "1999", "loudness_lufs": -7.5, "bpm": 120.5,
                   "time_signature": 4, "key": "C major"}


def _cli(argv):
    return cli_main([str(a) for a in argv])


def test_cli_calibrate_and_apply(deck, capsys):
    tmp, _, ref, res = deck
    code = _cli(["calibrate", res, "--reference", ref, "-o", tmp / "cal.csv", "--profile",
                 tmp / "p.json", "--results-out", tmp / "paired.csv", "--no-learned"])
    out = capsys.readouterr().out
    assert code == 0
    assert "matched 60 of 60 songs" in out and "Acc1" in out
    code = _cli(["apply", res, "--profile", tmp / "p.json", "-o", tmp / "calibrated.csv"])
    assert code == 0
    err = capsys.readouterr().err
    assert "warning" not in err  # every column it corrects is there
    # the songs it was fitted on lie inside the ranges it was fitted on
    assert ("applied p.json to 60 songs, none with values outside the range the profile was "
            "fitted on; wrote") in err
    cols, rows = read_csv_rows(tmp / "calibrated.csv")
    assert {"bpm_calibrated", "key_calibrated", "energy_calibrated"} <= set(cols)
    assert cols.count("songcal_version") == 1
    assert rows[0]["energy_calibrated"] != rows[0]["energy"]
    # a new song far quieter than any of them is counted, and named in its column
    _, results = read_csv_rows(res)
    write_csv(tmp / "new.csv", RESULT_COLUMNS,
              [dict(results[0], path="/new/quiet.wav", loudness_lufs=-45.0), results[1]],
              meta={"songcal_version": __version__})
    assert _cli(["apply", tmp / "new.csv", "--profile", tmp / "p.json", "-o",
                 tmp / "new_calibrated.csv"]) == 0
    assert ("applied p.json to 2 songs, 1 with values outside the range the profile was "
            "fitted on (loudness_lufs 1; column outside_fit); wrote") in capsys.readouterr().err
    _, rows = read_csv_rows(tmp / "new_calibrated.csv")
    assert [r["outside_fit"] for r in rows] == ["loudness_lufs", ""]


def test_absurd_results_values_take_no_part_in_the_fit_and_are_named(deck, capsys):
    """A results file edited by hand (or by another program) with a tempo of 1e308 and an
    energy of 1e9: those cells are read as no value (the fit is the one without them),
    and calibrate and apply say which cells were left out."""
    tmp, results, ref, _ = deck
    bad = [dict(r) for r in results]
    bad[3]["bpm"], bad[5]["energy"], bad[7]["bpm"] = 1e308, 1e9, -120.0
    empty = [dict(r) for r in bad]
    empty[3]["bpm"] = empty[5]["energy"] = empty[7]["bpm"] = None
    with_bad, without = _session(bad, ref).fit(), _session(empty, ref).fit()
    assert with_bad.tempo.acc1_before == without.tempo.acc1_before
    assert with_bad.tempo.acc1_after == without.tempo.acc1_after
    e_bad, e_none = with_bad.descriptors["energy"], without.descriptors["energy"]
    assert (e_bad.mae_before, e_bad.mae_after) == (e_none.mae_before, e_none.mae_after)
    assert np.isfinite(e_bad.mae_before)
    res = tmp / "bad.csv"
    write_csv(res, RESULT_COLUMNS, bad)
    assert _cli(["calibrate", res, "--reference", ref, "-o", tmp / "cal.csv", "--profile",
                 tmp / "p.json", "--no-learned"]) == 0
    err = capsys.readouterr().err
    assert "3 value(s) of the results are outside anything the analyzer writes" in err
    assert "row 4 (Track Number 3 Of The Deck): bpm 1e+308" in err and "energy 1e+09" in err
    assert _cli(["apply", res, "--profile", tmp / "p.json", "-o", tmp / "out.csv"]) == 0
    assert "3 value(s) of the results" in capsys.readouterr().err
    _, out = read_csv_rows(tmp / "out.csv")
    assert out[3]["bpm_calibrated"] == "" and out[5]["energy_calibrated"] == ""


def test_cli_apply_warns_when_the_profile_was_fitted_on_another_build(deck, capsys):
    import json

    tmp, results, ref, res = deck
    assert _cli(["calibrate", res, "--reference", ref, "-o", tmp / "cal.csv", "--profile",
                 tmp / "p.json", "--no-learned"]) in (0, 1)
    profile = json.loads((tmp / "p.json").read_text(encoding="utf-8"))
    assert profile["meta"]["analyzer"] == ""  # the results file did not name its build
    named = tmp / "named.csv"
    write_csv(named, RESULT_COLUMNS, results, meta={"songcal_version": "0.1.0",
                                                   "analyzer": "a1b2c3d4e5f6"})
    for build, warned in (("0123456789ab", True), ("a1b2c3d4e5f6", False), ("", False)):
        profile["meta"]["analyzer"] = build
        (tmp / "p2.json").write_text(json.dumps(profile), encoding="utf-8")
        capsys.readouterr()
        assert _cli(["apply", named, "--profile", tmp / "p2.json", "-o", tmp / "c.csv"]) == 0
        err = capsys.readouterr().err
        assert ("warning: the profile was fitted on results of analyzer build "
                "0123456789ab, these results come from build a1b2c3d4e5f6" in err) == warned
        row = read_csv_rows(tmp / "c.csv")[1][0]
        assert row["analyzer"] == "a1b2c3d4e5f6"
        # the calibrated file names the profile and the reference sheet it was fitted on
        assert row["profile_file"] == "p2.json"
        assert (row["reference_file"], row["reference_sha256"]) == (
            os.path.basename(ref), hashlib.sha256(Path(ref).read_bytes()).hexdigest())


def test_cli_calibrate_names_the_tempo_range_the_reference_states_its_tempos_in(tmp_path,
                                                                                 capsys):
    # a chart from 90 to 174 BPM whose fast songs the analyzer read at half
    ref = np.linspace(90.0, 174.0, 12)
    results, lines = [], ["Song,Artist,BPM"]
    for i, r in enumerate(ref):
        row = {c: None for c in RESULT_COLUMNS}
        row.update(path=f"/deck/{i:02d}.wav", title=f"Chart Song {i}", artist="Band",
                   status="done", bpm=round(r / 2 if r > 140 else r, 2))
        results.append(row)
        lines.append(f"Chart Song {i},Band,{r:.1f}")
    res, sheet = tmp_path / "res.csv", tmp_path / "chart.csv"
    write_csv(res, RESULT_COLUMNS, results)
    sheet.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert _cli(["calibrate", res, "--reference", sheet, "-o", tmp_path / "c.csv",
                 "--no-learned"]) == 0
    out = capsys.readouterr().out
    assert ("bpm: The reference states its tempos as the range 88–175 BPM would: 12 of 12 "
            "songs agree in it, 7 as read. Analyze with --tempo-floor 88") in out


def test_cli_calibrate_lists_unmatched_and_exits_1(deck, capsys):
    tmp, results, ref, _ = deck
    results = [dict(r) for r in results]
    results[4]["title"] = "A Song Nobody Listed"
    res = tmp / "results2.csv"
    write_csv(res, RESULT_COLUMNS, results)
    code = _cli(["calibrate", res, "--reference", ref, "-o", tmp / "cal.csv", "--no-learned"])
    out = capsys.readouterr().out
    assert code == 1
    assert "matched 59 of 60 songs" in out
    assert "A Song Nobody Listed" in out and "row 6:" in out
    assert f"wrote calibration: {tmp / 'cal.csv'}\n" in out  # a new file replaced nothing
    assert "(replaced an older file)" not in out


def test_cli_calibrate_says_why_a_sheet_of_one_tempo_and_one_key_corrects_nothing(deck,
                                                                                  capsys):
    tmp, _, _, res = deck
    rng = np.random.default_rng(18)
    _, rows = read_csv_rows(res)
    for r in rows:  # tempi spread over 70-170 BPM, as the sheet's placeholder is not
        r["bpm"] = round(float(rng.uniform(70, 170)), 2)
    write_csv(res, RESULT_COLUMNS, rows)
    sheet = tmp / "placeholder.csv"
    sheet.write_text("Song,Artist,BPM,Key\n" + "".join(
        f"{r['title']},{r['artist']},120,C major\n" for r in rows), encoding="utf-8")
    assert _cli(["calibrate", res, "--reference", sheet, "-o", tmp / "cal.csv", "--profile",
                 tmp / "p.json", "--no-learned"]) == 0
    out = capsys.readouterr().out
    assert "bpm [no relation] (n=60): rule none, correction none;" in out
    assert ("  every paired song has the same reference tempo (120 BPM): a rule or a "
            "correction learned from one tempo cannot be told from one that fits a "
            "placeholder; nothing kept\n") in out
    assert "key [no relation] (n=60): correction none;" in out
    assert "  every paired song has the same reference key (C major)" in out
    profile = load_profile(tmp / "p.json")
    assert profile.tempo_rule.kind == "none" and profile.tempo_correction.method == "none"
    assert profile.key.is_identity


def test_cli_calibrate_unreadable_reference_exits_2(deck, capsys):
    tmp, _, _, res = deck
    bad = tmp / "bad.csv"
    bad.write_text("foo,bar\n1,2\n", encoding="utf-8")
    assert _cli(["calibrate", res, "--reference", bad, "-o", tmp / "c.csv"]) == 2
    assert "no title column" in capsys.readouterr().err


def test_cli_calibrate_missing_results_exits_2(tmp_path, capsys):
    assert _cli(["calibrate", tmp_path / "nope.csv", "--reference", tmp_path / "r.csv",
                 "-o", tmp_path / "c.csv"]) == 2
    assert "cannot read results CSV" in capsys.readouterr().err


def test_cli_calibrate_bad_folds_exits_2(deck):
    tmp, _, ref, res = deck
    assert _cli(["calibrate", res, "--reference", ref, "-o", tmp / "c.csv", "--no-learned",
                 "--folds", "1"]) == 2


def test_cli_apply_bad_profile_exits_2(deck, capsys):
    tmp, _, _, res = deck
    bad = tmp / "p.json"
    bad.write_text("[]", encoding="utf-8")
    assert _cli(["apply", res, "--profile", bad, "-o", tmp / "o.csv"]) == 2
    assert "not a SongCal calibration profile" in capsys.readouterr().err


def test_cli_calibrate_reports_verdicts_and_learned_models(deck, capsys):
    tmp, _, ref, res = deck
    code = _cli(["calibrate", res, "--reference", ref, "-o", tmp / "cal.csv",
                 "--calibrated-out", tmp / "calibrated.csv", "--profile", tmp / "p.json"])
    out = capsys.readouterr().out
    assert code == 0
    assert "energy [calibrated] (n=60)" in out and "90 % interval" in out
    assert "energy learned model (not kept)" in out and "learning curve:" in out
    assert "do not yet read: onset rate, spectral flatness" in out
    assert f"wrote calibrated: {tmp / 'calibrated.csv'}" in out
    _, by = _calibration_by_descriptor(tmp / "cal.csv")
    assert by["energy"]["verdict"] == "calibrated" and by["energy_learned"]["inputs"]
    # the clamp of a 0-1 descriptor (its learned model's too) and the folds of every score
    # are in the table, and the tempo scores name the octave rule they are measured after
    for name in ("energy", "energy_learned"):
        assert (by[name]["clamp_low"], by[name]["clamp_high"]) == ("0.0", "1.0"), name
    assert by["key_accuracy"]["folds"] == by["key_weighted"]["folds"] == "10"
    assert by["bpm"]["rule"].startswith("fold into ")
    assert by["bpm_acc1"]["method"] == by["bpm_acc2"]["method"] == by["bpm"]["rule"]
    # the score rows say whether what they are measured after is applied, and a learned
    # model's "before" is the MAE of the raw analyzer values, as on its descriptor's row
    assert by["bpm_acc1"]["kept"] == by["bpm_acc2"]["kept"] == by["bpm"]["kept"] == "true"
    assert by["energy_learned"]["mae_before"] == by["energy"]["mae_before"] != ""
    # the profile records the scores of the fit and its cross-validation settings
    meta = json.loads((tmp / "p.json").read_text(encoding="utf-8"))["meta"]
    assert meta["cross_validation"] == {"k": 10, "seed": 0, "min_gain": 0.01}
    scores = meta["scores"]
    assert scores["bpm"]["verdict"] == by["bpm"]["verdict"] and scores["bpm"]["n"] == 60
    assert scores["bpm"]["rule"] == by["bpm"]["rule"]
    for name in ("accuracy", "weighted"):
        assert [scores["key"][f"{name}_{when}"] for when in ("before", "after")] == [
            pytest.approx(float(by[f"key_{name}"][f"score_{when}"]))
            for when in ("before", "after")], name
    # each interval says what share of reference values it is meant to hold, and on how
    # many held-out songs it was measured
    intervals = json.loads((tmp / "p.json").read_text(encoding="utf-8"))["intervals"]
    assert intervals["energy"]["kind"] == "absolute" and intervals["bpm"]["kind"] == "relative"
    assert {(i["coverage"], i["n"]) for i in intervals.values()} == {(0.9, 60)}
    learned = scores["energy"]["learned"]
    assert learned["n"] == 60 and learned["kept"] is False
    assert [f"{size}:{v:.4g}" for size, v in learned["learning_curve"]] == \
        by["energy_learned"]["learning_curve"].split("; ")
    assert [a for a, _ in learned["importance"]][:1] == [by["energy_learned"]["inputs"]
                                                         .split("=")[0]]
    _cli(["calibrate", res, "--reference", ref, "-o", tmp / "cal.csv", "-q", "--no-learned"])
    assert "replaced" not in capsys.readouterr().out  # quiet: no list
    _cli(["calibrate", res, "--reference", ref, "-o", tmp / "cal.csv", "--no-learned"])
    out = capsys.readouterr().out
    assert f"wrote calibration: {tmp / 'cal.csv'} (replaced an older file)" in out
    assert "learned model" not in out


def test_cli_keep_inverted_keeps_the_named_inverted_correction(tmp_path, capsys):
    results, sheet = make_deck(n=60, seed=2)
    for r in results:
        r["danceability"] = 1.0 - r["danceability"]
    write_csv(tmp_path / "r.csv", RESULT_COLUMNS, results)
    (tmp_path / "ref.csv").write_text(sheet, encoding="utf-8")
    args = ["calibrate", tmp_path / "r.csv", "--reference", tmp_path / "ref.csv", "-o",
            tmp_path / "c.csv", "--no-learned"]
    _cli(args)
    assert "danceability [inverted] (n=60): no correction" in capsys.readouterr().out
    _cli(args + ["--keep-inverted", "danceability"])
    out = capsys.readouterr().out
    assert "danceability [inverted] (n=60): " in out
    assert "danceability [inverted] (n=60): no correction" not in out
    _, by = _calibration_by_descriptor(tmp_path / "c.csv")
    assert by["danceability"]["kept"] == "true" and float(by["danceability"]["slope"]) < 0
    assert _cli(args + ["--keep-inverted", "danceabilty"]) == 2
    assert "--keep-inverted names danceabilty" in capsys.readouterr().err


def _with_speech(ref, results):
    """Add a ``Speech`` column that depends on energy and loudness together."""
    lines = ref.read_text(encoding="utf-8").splitlines()
    out = [lines[0] + ",Speech"]
    for line, r in zip(lines[1:], results, strict=True):
        speech = 30 * r["energy"] * (r["loudness_lufs"] + 21) / 15
        out.append(f"{line},{speech:.2f}")
    ref.write_text("\n".join(out) + "\n", encoding="utf-8")


def test_apply_gives_every_song_the_values_of_the_paired_export_exactly(deck, capsys):
    tmp, results, ref, res = deck
    _with_speech(ref, results)
    assert _cli(["calibrate", res, "--reference", ref, "-o", tmp / "cal.csv", "--profile",
                 tmp / "p.json", "--results-out", tmp / "paired.csv"]) == 0
    assert _cli(["apply", res, "--profile", tmp / "p.json", "-o", tmp / "out.csv"]) == 0
    _, paired = read_csv_rows(tmp / "paired.csv")
    cols, applied = read_csv_rows(tmp / "out.csv")
    for c in ("bpm_calibrated", "energy_calibrated", "energy_calibrated_low",
              "energy_calibrated_high", "loudness_lufs_calibrated", "key_calibrated",
              "speech_calibrated", "speech_calibrated_low", "bpm_calibrated_high"):
        assert c in cols
        assert [r[c] for r in applied] == [r[c] for r in paired], c
    assert list(load_profile(tmp / "p.json").learned) == ["speech"]
    assert "applied p.json to 60 songs" in capsys.readouterr().err


def test_apply_leaves_songs_that_were_not_analyzed_empty(tmp_path):
    results, sheet = make_deck(n=40, seed=3)
    results[0].update(status="failed", error="cannot decode", bpm=None, energy=None,
                      danceability=None, loudness_lufs=None, key=None)
    s = _session(results, _write(tmp_path, sheet), learned=True)
    s.fit()
    out = apply_profile(s.profile(), results)
    assert all(out[0][c] is None for c in out[0] if c.endswith(("_calibrated",
                                                                "_calibrated_low")))
    assert out[1]["energy_calibrated"] is not None
    # a row with an empty status cell (a sheet of values made by hand) holds an analysis
    blank = apply_profile(s.profile(), [dict(results[1], status="")])[0]
    assert blank["energy_calibrated"] == out[1]["energy_calibrated"]
    assert blank["key_calibrated"] == out[1]["key_calibrated"] is not None


def _write(tmp_path, sheet):
    p = tmp_path / "ref.csv"
    p.write_text(sheet, encoding="utf-8")
    return p


def test_version_1_profiles_are_still_read(tmp_path):
    old = {"format": "songcal-calibration-profile", "version": 1,
           "descriptors": {"energy": {"method": "linear", "slope": 0.5, "intercept": 0.1,
                                      "low": 0.0, "high": 1.0}},
           "tempo": {"rule": {"kind": "factor", "factor": 0.5},
                     "correction": {"method": "none"}},
           "key": None, "meta": {}}
    p = profile_from_dict(old)
    assert p.columns == ["bpm", "energy"] and not p.learned and not p.intervals
    out = apply_profile(p, [{"bpm": "200", "energy": "0.4", "status": "done"}])[0]
    assert out["bpm_calibrated"] == 100.0 and out["energy_calibrated"] == pytest.approx(0.3)
    assert out["energy_calibrated_low"] is None  # a version 1 profile has no interval


@pytest.mark.parametrize("low, high, version", [
    (20.0, 320.0, 2),  # tempo's own range
    (10.0, 320.0, 3),  # below it: slower than any tempo SongCal states
    (20.0, 400.0, 3),  # above it
])
def test_a_tempo_correction_clamped_beyond_the_tempo_range_is_written_as_version_3(
        low, high, version):
    data = {"format": "songcal-calibration-profile", "version": 3,
            "tempo": {"rule": {"kind": "none"},
                      "correction": {"method": "linear", "slope": 1.02, "intercept": -1.5,
                                     "low": low, "high": high}}}
    p = profile_from_dict(data)
    written = profile_to_dict(p)
    assert written["version"] == version
    assert profile_from_dict(written).tempo_correction == p.tempo_correction


@pytest.mark.parametrize("change, message", [
    ({"learned": {"speech": {"kind": "forest"}}}, "learned.speech: unknown learned model kind"),
    ({"learned": []}, "'learned' must be a JSON object"),
    ({"intervals": {"energy": {"halfwidth": -1}}}, "half-width"),
    ({"intervals": {"energy": {"halfwidth": 0.1, "n": float("inf")}}},
     "intervals.energy: interval n must be"),
    ({"verdicts": {"energy": "great"}}, "verdicts.energy: must be one of"),
    ({"version": 4}, "newer than"),
])
def test_malformed_version_2_profiles_are_refused(change, message):
    data = {"format": "songcal-calibration-profile", "version": 2, "descriptors": {},
            "tempo": None, "key": None, "meta": {}}
    data.update(change)
    with pytest.raises(ProfileError, match=message):
        profile_from_dict(data)


def test_analyze_with_a_profile_writes_calibrated_values_beside_the_results(tmp_path,
                                                                             capsys):
    from tests.audio_files import write_audio
    from tests.core.test_cli import _click_song

    deck = tmp_path / "deck"
    deck.mkdir()
    write_audio(deck / "a.wav", _click_song(120, 8.0), 22050)
    write_audio(deck / "b.wav", _click_song(90, 8.0, seed=1), 22050)
    profile = tmp_path / "p.json"
    save_profile(profile_from_dict({
        "format": "songcal-calibration-profile", "version": 2,
        "descriptors": {"energy": {"method": "offset", "slope": 1.0, "intercept": 0.1}},
        "tempo": {"rule": {"kind": "factor", "factor": 0.5}, "correction": {}},
        "key": None, "meta": {}}), profile)
    out = tmp_path / "run.csv"
    assert _cli(["analyze", deck, "-o", out, "--no-store", "--workers", "1", "--profile",
                 profile]) == 0
    cols, rows = read_csv_rows(tmp_path / "run_calibrated.csv")
    assert len(rows) == 2 and "bpm_calibrated" in cols
    for r in rows:
        assert float(r["bpm_calibrated"]) == pytest.approx(float(r["bpm"]) / 2, abs=1e-6)
        assert r["profile_file"] == "p.json"
    bad = tmp_path / "bad.json"
    bad.write_text("{}", encoding="utf-8")
    assert _cli(["analyze", deck, "-o", out, "--no-store", "--profile", bad]) == 2
    assert "not a SongCal calibration profile" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exc:
        _cli(["analyze", deck, "-o", out, "--profile", profile, "--reference", bad])
    assert exc.value.code == 2


def test_profile_fields_left_out_take_their_defaults():
    p = profile_from_dict({"format": "songcal-calibration-profile", "version": 2,
                           "descriptors": {"energy": {}, "valence": {"low": 0, "high": 1}},
                           "tempo": {"rule": {}, "correction": {}}, "key": {}})
    e = p.descriptors["energy"]
    assert (e.method, e.slope, e.intercept, e.low, e.high) == ("none", 1.0, 0.0, None, None)
    assert (p.descriptors["valence"].low, p.descriptors["valence"].high) == (0.0, 1.0)
    assert (p.tempo_rule.kind, p.tempo_rule.factor, p.tempo_rule.low) == ("none", 1.0, None)
    assert p.tempo_correction.method == "none"
    assert (p.key.major, p.key.minor, p.key.mapping) == ("keep", "keep", {})
    assert p.columns == ["bpm", "energy", "valence"] and p.meta == {}
    bare = profile_from_dict({"format": "songcal-calibration-profile", "version": 1})
    assert bare.tempo_rule is None and bare.key is None and bare.columns == []
    assert bare.tempo_correction.method == "none"
    with pytest.raises(ProfileError, match=r"^<profile>: profile version 4 is newer than "
                                           r"this SongCal understands \(3\)$"):
        profile_from_dict({"format": "songcal-calibration-profile", "version": 4})
    with pytest.raises(ProfileError, match="^x.json: malformed profile: key.mapping.C major: "
                                           "must be a key such as 'A minor', got 'Hb major'$"):
        profile_from_dict({"format": "songcal-calibration-profile", "version": 2,
                           "key": {"mapping": {"C major": "Hb major"}}}, path="x.json")


def test_the_paired_export_says_which_columns_each_song_was_fitted_on():
    from core.calibration.exports import paired_rows
    from core.calibration.matching import Match, MatchResult
    from core.calibration.reference import parse_reference_text

    sheet = parse_reference_text("Song,Artist,BPM,Key,Energy,Speech\n"
                                 "A,x,100,C major,50,0.1\nB,x,120,,,0.2\nC,x,90,D major,40,\n"
                                 "D,x,80,E minor,,0.3\nLone,y,70,F major,20,0.4\n"
                                 "F,x,,G major,30,\n")
    rows = [{"path": "/a", "title": "A", "bpm": 200.0, "key": "C major", "energy": 0.5},
            {"path": "/b", "title": "B", "bpm": 0.0, "key": "C major", "energy": 0.6},
            {"path": "/c", "title": "C", "bpm": None, "key": None, "energy": 0.4},
            {"path": "/d", "title": "D", "bpm": 80.0, "key": "E minor"},
            {"path": "/e", "title": "E", "bpm": 60.0, "key": "C major", "energy": 0.1},
            {"path": "/f", "title": "F", "bpm": 90.0, "key": "G major", "energy": 0.3}]
    match = MatchResult(6, 6, [Match(i, i, "exact", 100.0) for i in (0, 1, 2, 3, 5)], [])
    columns, out = paired_rows(rows, sheet, match)
    assert "fitted_on" in columns
    # B: a tempo of 0 and a key the sheet lacks are no pairs; E: unpaired, so in no fit;
    # F: no reference tempo, so key comes first
    assert [r.get("fitted_on") for r in out] == ["bpm;key;energy;speech", "speech", "energy",
                                                 "bpm;key;speech", None, "key;energy"]
    # the tempo ratio and relation, where both tempi are known
    assert [r.get("bpm_ratio") for r in out] == [2.0, None, None, 1.0, None, None]
    assert [r.get("bpm_agreement") for r in out] == ["double", "", "", "ok", None, ""]


def test_the_paired_csv_written_without_precomputed_rows_holds_the_sheets_values(tmp_path):
    from core.calibration.exports import write_paired_csv
    from core.calibration.matching import Match, MatchResult
    from core.calibration.reference import parse_reference_text

    sheet = parse_reference_text("Song,Artist,BPM,Key\nA,x,100,C major\nB,x,120,A minor\n")
    rows = [{"path": "/a", "title": "A", "bpm": 200.0, "key": "C major"},
            {"path": "/b", "title": "B", "bpm": 120.0, "key": "C major"}]
    match = MatchResult(2, 2, [Match(0, 0, "exact", 100.0), Match(1, 1, "exact", 100.0)], [])
    write_paired_csv(tmp_path / "paired.csv", rows, sheet, match)
    columns, out = read_csv_rows(tmp_path / "paired.csv")
    assert {"ref_title", "ref_bpm", "ref_key", "bpm_agreement"} <= set(columns)
    assert [(r["ref_title"], r["ref_bpm"], r["ref_key"], r["bpm_agreement"]) for r in out] == [
        ("A", "100.0", "C major", "double"), ("B", "120.0", "A minor", "ok")]
    # each song's row of the sheet (its line, the header being 1) and its key in Camelot code
    assert [(r["ref_row"], r["ref_key_camelot"]) for r in out] == [("2", "8B"), ("3", "8A")]


def test_mismatch_rows_without_a_precomputed_pairing():
    from core.calibration.exports import mismatch_rows, paired_rows
    from core.calibration.matching import Ambiguity, Match, MatchResult
    from core.calibration.reference import parse_reference_text

    sheet = parse_reference_text("Song,Artist,BPM,Key,Energy\n"
                                 "A,x,100,C major,50\nB,x,120,A minor,60\n"
                                 "C,x,90,D major,40\nD,x,80,E minor,30\nLone,y,70,F major,20\n")
    rows = [{"path": "/a", "title": "A", "bpm": 200.0, "key": "C major", "energy": 0.5},
            {"path": "/b", "title": "B", "bpm": 120.0, "key": "C major", "energy": 0.6},
            {"path": "/c", "title": "C", "bpm": None, "key": None, "status": "done",
             "energy": 0.4},
            {"path": "/d", "title": "D", "bpm": 80.0, "key": "E minor"},
            {"path": "/e", "title": "E?", "bpm": 60.0},
            {"path": "/f", "title": "F?", "bpm": 60.0}]
    match = MatchResult(6, 5, [Match(0, 0, "exact", 100.0), Match(1, 1, "exact", 100.0),
                               Match(2, 2, "exact", 100.0), Match(3, 3, "exact", 100.0)],
                        [Ambiguity(5, [(4, 90.0)])])
    columns, out = mismatch_rows(rows, sheet, match)
    assert columns[0] == "mismatch" and columns[1:] == paired_rows(rows, sheet, match)[0]
    assert [r["mismatch"] for r in out] == [
        "tempo double", "key relative", "no tempo: the analyzer found none; "
        "no key: the analyzer found none", "unmatched song", "ambiguous song",
        "unmatched reference row"]
    lone = out[-1]
    assert lone == {"mismatch": "unmatched reference row", "match_method": "unmatched",
                    "ref_row": 6, "ref_title": "Lone", "ref_artist": "y", "ref_bpm": 70.0,
                    "ref_energy": 0.2, "ref_key": "F major", "ref_key_camelot": "7B"}
    assert out[0]["path"] == "/a" and out[3]["match_method"] == "unmatched"
    assert out[4]["match_method"] == "ambiguous"


def test_a_profile_key_map_and_tempo_correction_are_read_and_applied(tmp_path):
    data = {"format": "songcal-calibration-profile", "version": 2, "descriptors": {},
            "tempo": {"rule": {"kind": "factor", "factor": 2.0},
                      "correction": {"method": "offset", "slope": 1.0, "intercept": 1.5}},
            "key": {"major": "keep", "minor": "relative",
                    "mapping": {"A minor": "E minor", "F# major": "C# major"}},
            "meta": {}}
    p = tmp_path / "p.json"
    save_profile(profile_from_dict(data), p)
    loaded = load_profile(p)
    assert loaded.key.mapping == {"A minor": "E minor", "F# major": "C# major"}
    assert (loaded.tempo_correction.method, loaded.tempo_correction.intercept) == ("offset",
                                                                                   1.5)
    rows = [{"status": "done", "bpm": "60", "key": k}
            for k in ("A minor", "F# major", "D minor", "G major")]
    out = apply_profile(loaded, rows)
    assert [r["key_calibrated"] for r in out] == ["E minor", "C# major", "F major", "G major"]
    assert [r["key_camelot_calibrated"] for r in out] == ["9A", "3B", "7B", "9B"]
    assert [r["bpm_calibrated"] for r in out] == [121.5] * 4  # doubled, then +1.5 BPM


@pytest.mark.parametrize("change, message", [
    ({"descriptors": {"energy": {"method": "offset", "intercept": "0.1"}}},
     "descriptors.energy.intercept: must be a number, got '0.1'"),
    ({"tempo": {"rule": "double"}}, "tempo.rule: must be an object, got 'double'"),
    ({"tempo": {"rule": {"kind": "factor", "factor": True}}},
     "tempo.rule.factor: must be a number, got True"),
    ({"key": {"major": "flip"}},
     "key.major: must be one of keep, relative, parallel, fifth_up, fifth_down, got 'flip'"),
    ({"descriptors": {"energy": {"method": "linear", "slope": 0}}},
     "descriptors.energy.slope: must not be 0, got 0.0"),
    ({"descriptors": {"energy": {"method": "linear", "slope": 9e-7}}},
     "descriptors.energy.slope: must not be 0, got 9e-07"),
    ({"descriptors": {"tempo": {"method": "offset", "intercept": 1.0}}},
     "descriptors.tempo: is not a SongCal descriptor, got 'tempo'"),
    ({"tempo": {"rule": {}, "correction": {"method": "huber", "slope": -1.0}}},
     "tempo.correction.slope: must be positive for tempo, got -1.0"),
    ({"descriptors": {"energy": {"method": "linear", "slope": 0.5, "low": "0"}}},
     "descriptors.energy.low: must be a number, got '0'"),
    ({"descriptors": {"energy": {"method": "linear", "slope": -0.5, "high": 1.0}}},
     "descriptors.energy.slope: may be negative only with both low and high clamps, got -0.5"),
    ({"descriptors": {"energy": {}}, "fitted_ranges": {"energy": {"energy": [0, "1"]}}},
     "fitted_ranges.energy.energy: must hold two numbers, got [0, '1']"),
    # a long value is cut in the message
    ({"descriptors": {"energy": {"method": "offset", "intercept": "9" * 80}}},
     "descriptors.energy.intercept: must be a number, got '" + "9" * 56 + "..."),
    # a correction without its numbers (a hand edit that dropped a line) applied 0 for the
    # intercept and 1 for the slope: energy 0.79 came out 0.71 instead of 0.76
    ({"descriptors": {"energy": {"method": "linear", "slope": 0.9}}},
     "descriptors.energy.intercept: a linear correction needs it, got None"),
    ({"descriptors": {"energy": {"method": "theil_sen", "intercept": 0.05}}},
     "descriptors.energy.slope: a theil_sen correction needs it, got None"),
    ({"descriptors": {"energy": {"method": "offset"}}},
     "descriptors.energy.intercept: an offset correction needs it, got None"),
    ({"tempo": {"rule": {}, "correction": {"method": "huber", "slope": 1.01}}},
     "tempo.correction.intercept: a huber correction needs it, got None"),
    ({"tempo": {"rule": {"kind": "factor"}}},
     "tempo.rule.factor: a factor rule needs it, got None"),
    # a section of the wrong type that reads as false was taken for an empty one: the
    # profile applied nothing, or was refused for a field that was right
    ({"descriptors": []}, "descriptors: must be an object, got []"),
    ({"descriptors": ""}, "descriptors: must be an object, got ''"),
    ({"tempo": {"rule": [], "correction": {}}}, "tempo.rule: must be an object, got []"),
    ({"tempo": {"rule": {}, "correction": 0}},
     "tempo.correction: must be an object, got 0"),
    ({"key": {"mapping": []}}, "key.mapping: must be an object, got []"),
    ({"meta": []}, "meta: must be an object, got []"),
])
def test_a_malformed_profile_field_is_named_with_what_is_wrong(change, message):
    data = {"format": "songcal-calibration-profile", "version": 2, "descriptors": {},
            "tempo": None, "key": None, "meta": {}}
    data.update(change)
    with pytest.raises(ProfileError, match=f"^p.json: malformed profile: {re.escape(message)}$"):
        profile_from_dict(data, path="p.json")


def test_a_number_too_long_for_python_is_not_valid_json(tmp_path, capsys):
    # a hand-edited slope of 5,000 digits stopped apply with a traceback (Python refuses
    # to read integers of more than 4,300 digits) and exit code 1
    data = {"format": "songcal-calibration-profile", "version": 2,
            "descriptors": {"energy": {"method": "linear", "slope": 1.0, "intercept": 0.0}}}
    text = json.dumps(data).replace('"slope": 1.0', '"slope": 1' + "0" * 5000)
    profile = tmp_path / "p.json"
    profile.write_text(text, encoding="utf-8")
    with pytest.raises(ProfileError, match=r"not valid JSON \(a number of 5001 digits"):
        load_profile(profile)
    write_csv(tmp_path / "r.csv", RESULT_COLUMNS, [{"path": "/a.wav", "status": "done",
                                                    "energy": 0.5}])
    assert _cli(["apply", tmp_path / "r.csv", "--profile", profile, "-o",
                 tmp_path / "out.csv"]) == 2
    err = capsys.readouterr().err
    assert "not valid JSON (a number of 5001 digits" in err and "Traceback" not in err
    assert not (tmp_path / "out.csv").exists()


def test_a_descriptor_read_against_the_reference_is_corrected_between_its_clamps():
    # a negative slope, as an inverted correction the user kept, needs both clamps
    p = profile_from_dict({"format": "songcal-calibration-profile", "version": 2,
                           "descriptors": {"valence": {"method": "linear", "slope": -1.0,
                                                       "intercept": 1.0, "low": 0.0,
                                                       "high": 1.0}}})
    out = apply_profile(p, [{"status": "done", "valence": v} for v in (0.2, 0.9)])
    assert [r["valence_calibrated"] for r in out] == [pytest.approx(0.8), pytest.approx(0.1)]


def test_the_smallest_slope_a_profile_takes_is_1e_minus_6():
    p = profile_from_dict({"format": "songcal-calibration-profile", "version": 2,
                           "descriptors": {"energy": {"method": "linear", "slope": 1e-6,
                                                      "intercept": 0.5}}})
    assert p.descriptors["energy"].slope == 1e-6
    assert p.apply_values("energy", 0.8) == pytest.approx(0.5 + 0.8e-6)


def test_a_left_out_results_value_is_named_by_its_title_cut_to_60_characters():
    from core.calibration.cells import implausible_cells

    title = "The Longest Title Of The Deck (Extended Club Mix) - Remastered Version"  # 70
    at_space = "The Longest Title Of The Deck (Extended Club Mix) Remaster Version"
    exact = "x" * 60
    rows = [{"title": title, "bpm": 5000.0}, {"path": "/deck/b.wav", "energy": 2.0},
            {"bpm": "-1"}, {"title": "Fine", "bpm": 120.0}, {"title": at_space, "bpm": 1e9},
            {"title": exact, "bpm": 1e9}]
    assert implausible_cells(rows) == [
        "row 1 (The Longest Title Of The Deck (Extended Club Mix) - Remaste\u2026): bpm 5000",
        "row 2 (/deck/b.wav): energy 2", "row 3: bpm -1",
        "row 5 (The Longest Title Of The Deck (Extended Club Mix) Remaster\u2026): bpm 1e+09",
        f"row 6 ({exact}): bpm 1e+09"]


def test_a_results_value_of_nan_or_an_infinity_is_named_with_the_others():
    # nan, inf and a number past the largest float were read as no value without a word,
    # while 1e308 was named
    from core.calibration.cells import implausible_cells

    rows = [{"title": "A", "bpm": "nan"}, {"title": "B", "energy": "-inf"},
            {"title": "C", "loudness_lufs": "1" + "0" * 400}, {"title": "D", "bpm": 1e308},
            {"title": "E", "bpm": float("inf")}, {"title": "F", "bpm": "", "energy": "x"}]
    assert implausible_cells(rows) == [
        "row 1 (A): bpm nan", "row 2 (B): energy -inf", "row 3 (C): loudness_lufs inf",
        "row 4 (D): bpm 1e+308", "row 5 (E): bpm inf"]


def test_a_correction_of_method_none_needs_no_slope():
    data = {"format": "songcal-calibration-profile", "version": 2,
            "descriptors": {"energy": {"method": "none", "slope": 0}},
            "tempo": {"rule": {}, "correction": {"method": "none", "slope": -1.0}},
            "key": None, "meta": {}}
    p = profile_from_dict(data)
    assert p.descriptors["energy"].method == "none" and p.tempo_correction.method == "none"


def test_mismatch_rows_carry_the_calibrated_values_of_a_profile():
    from core.calibration.exports import mismatch_rows, paired_rows
    from core.calibration.matching import Match, MatchResult
    from core.calibration.reference import parse_reference_text

    sheet = parse_reference_text("Song,Artist,BPM,Energy\nA,x,100,50\nB,x,120,60\n")
    rows = [{"path": "/a", "title": "A", "bpm": 200.0, "energy": 0.5, "status": "done"},
            {"path": "/b", "title": "B", "bpm": 120.0, "energy": 0.6, "status": "done"}]
    match = MatchResult(2, 2, [Match(0, 0, "exact", 100.0), Match(1, 1, "exact", 100.0)], [])
    profile = profile_from_dict({
        "format": "songcal-calibration-profile", "version": 2,
        "descriptors": {"energy": {"method": "offset", "intercept": 0.1}},
        "tempo": {"rule": {"kind": "factor", "factor": 0.5}}, "key": None, "meta": {}})
    columns, out = mismatch_rows(rows, sheet, match, profile=profile)
    assert columns[1:] == paired_rows(rows, sheet, match, profile=profile)[0]
    assert "bpm_calibrated" in columns and "energy_calibrated" in columns
    assert [r["mismatch"] for r in out] == ["tempo double"]
    assert out[0]["bpm_calibrated"] == 100.0
    assert out[0]["energy_calibrated"] == pytest.approx(0.6)


def test_a_profile_applied_to_no_rows_gives_empty_columns():
    ridge = {"kind": "ridge", "format": 1, "inputs": ["energy", "valence"], "fill": [0, 0],
             "mean": [0, 0], "scale": [1, 1], "coef": [1, 2], "intercept": 0.5,
             "alpha": 2.0, "low": None, "high": None}
    p = profile_from_dict({
        "format": "songcal-calibration-profile", "version": 2,
        "descriptors": {"energy": {"method": "offset", "intercept": 0.1}},
        "learned": {"speech": ridge},
        "tempo": {"rule": {"kind": "factor", "factor": 0.5}}, "key": None, "meta": {}})
    assert p.learned  # the learned model's column too
    values = calibrated_values(p, [])
    assert set(values) == {"bpm", "energy", "speech"}
    assert all(a.size == 0 for arrays in values.values() for a in arrays)
    assert apply_profile(p, []) == []
    one = calibrated_values(p, [{"status": "done", "energy": 0.25, "valence": 0.5}])
    assert one["speech"][0].tolist() == [0.5 + 0.25 + 2 * 0.5]


def test_a_binary_file_is_not_a_profile(tmp_path):
    p = tmp_path / "p.json"
    p.write_bytes(b"\x89PNG\r\n\x1a\n\xff\xfe\x00\x81")
    with pytest.raises(ProfileError, match=r"p\.json: not a text file \(binary content\); "
                                           r"a profile is JSON text$"):
        load_profile(p)


def test_interval_bounds_stay_on_the_descriptor_scale_and_tempo_bounds_are_not_cut():
    p = profile_from_dict({
        "format": "songcal-calibration-profile", "version": 2,
        "descriptors": {"energy": {"method": "none"}},
        "tempo": {"rule": {"kind": "none"}, "correction": {"method": "none"}},
        "intervals": {"bpm": {"kind": "relative", "halfwidth": 0.1, "n": 50},
                      "energy": {"kind": "absolute", "halfwidth": 0.1, "n": 50}},
        "key": None, "meta": {}})
    out = apply_profile(p, [{"status": "done", "bpm": 310.0, "energy": 0.95}])[0]
    # a fast tempo's interval reaches past 320 BPM: no range cuts a tempo
    assert out["bpm_calibrated_low"] == pytest.approx(310 * np.exp(-0.1))
    assert out["bpm_calibrated_high"] == pytest.approx(310 * np.exp(0.1))
    # energy lives on 0-1: its upper bound stops at 1
    assert out["energy_calibrated_low"] == pytest.approx(0.85)
    assert out["energy_calibrated_high"] == 1.0


def test_cli_calibrate_lists_20_unused_reference_rows_and_counts_the_rest(tmp_path, capsys):
    # A playlist export of thousands of rows against a small deck printed every row.
    results, reference = tmp_path / "results.csv", tmp_path / "reference.csv"
    results.write_text("path,title,bpm\na.wav,Only Song,120\n", encoding="utf-8")
    reference.write_text("title,bpm\nOnly Song,120\n"
                         + "".join(f"Other Song {i},{90 + i}\n" for i in range(45)),
                         encoding="utf-8")
    mism = tmp_path / "mismatches.csv"
    assert _cli(["calibrate", results, "--reference", reference, "-o", tmp_path / "c.csv",
                 "--mismatches-out", mism, "--no-learned"]) == 0
    out = capsys.readouterr().out
    assert "unused reference rows 45 of 46" in out
    assert "row 22: Other Song 19" in out and "Other Song 20\n" not in out
    assert f"  ... and 25 more (every one is in {mism})\n" in out
    _, rows = read_csv_rows(mism)
    assert sum(r["mismatch"] == "unmatched reference row" for r in rows) == 45


def test_a_results_cell_of_5000_digits_is_written_back_as_it_was(tmp_path, capsys):
    # apply (and calibrate --results-out) stopped with a ValueError traceback and exit
    # code 1: Python reads integers of at most 4,300 digits
    from core.calibration.cells import typed_row as results_typed_row

    huge = "9" * 5000
    assert results_typed_row({"channels": huge, "bpm": "120"}) == {"channels": huge,
                                                                   "bpm": 120}
    res = tmp_path / "r.csv"
    write_csv(res, RESULT_COLUMNS, [{"path": "/a.wav", "title": "A", "status": "done",
                                     "bpm": 120.0, "channels": 2, "energy": 0.5}])
    res.write_text(res.read_text(encoding="utf-8-sig").replace(",2,", f",{huge},"),
                   encoding="utf-8")
    profile = tmp_path / "p.json"
    save_profile(profile_from_dict({
        "format": "songcal-calibration-profile", "version": 2,
        "descriptors": {"energy": {"method": "offset", "intercept": 0.1}}}), profile)
    assert _cli(["apply", res, "--profile", profile, "-o", tmp_path / "out.csv"]) == 0
    assert "Traceback" not in capsys.readouterr().err
    _, rows = read_csv_rows(tmp_path / "out.csv")
    assert rows[0]["channels"] == huge and float(rows[0]["energy_calibrated"]) == 0.6


@pytest.mark.parametrize("delimiter, shown", [(";", "';'"), ("\t", "tabs")])
def test_a_results_csv_saved_again_with_semicolons_says_so(deck, capsys, delimiter, shown):
    # a results CSV opened and saved by a spreadsheet set to a European locale (semicolons,
    # decimal commas) was "not a SongCal results CSV (no path or title column)"
    tmp, _, ref, res = deck
    text = res.read_text(encoding="utf-8-sig")
    resaved = tmp / "resaved.csv"
    resaved.write_text("\ufeff" + text.replace(",", delimiter), encoding="utf-8")
    for argv in (["calibrate", resaved, "--reference", ref, "-o", tmp / "c.csv"],
                 ["apply", resaved, "--profile", tmp / "p.json", "-o", tmp / "a.csv"]):
        if argv[0] == "apply":
            save_profile(profile_from_dict({"format": "songcal-calibration-profile",
                                            "version": 2}), tmp / "p.json")
        assert _cli(argv) == 2
        err = capsys.readouterr().err
        assert (f"{resaved}: its columns are separated by {shown}, not commas (saved again "
                "by a spreadsheet program?): give the results CSV SongCal wrote, or save it "
                "as CSV with commas") in err
        assert "no path or title column" not in err
