"""A Mixed In Key export as the reference: its Energy column (levels 1-10) is read on its own
scale, checked cell by cell, and calibrated against the analyzer's 0-1 energy end to end."""

import json

import numpy as np
import pytest

from core import __version__
from core.calibration.profile import load_profile, profile_to_dict
from core.calibration.reference import parse_reference_text
from core.calibration.session import CalibrationOptions, CalibrationSession
from core.cli.main import main as cli_main
from core.io.csvio import read_csv_rows, write_csv
from core.io.results import RESULT_COLUMNS

LABEL = "energy (Mixed In Key 1\u201310)"


def mik_deck(n=40, seed=3, bad=None):
    """Result rows and a Mixed In Key CSV export of the same songs: its energy level is a
    whole number 1-10 that rises with the analyzer's energy (0-1).  ``bad``: row index ->
    energy cell written instead."""
    rng = np.random.default_rng(seed)
    energy = rng.uniform(0.05, 0.95, n)
    lines = ["Collection name,File name,Key result,BPM,Energy"]
    results, levels = [], []
    for i in range(n):
        artist, title = f"Band {i % 5}", f"Tune Number {i} Of The Set"
        path = f"/music/{artist} - {title}.mp3"
        row = {c: None for c in RESULT_COLUMNS}
        row.update(path=path, title=title, artist=artist, status="done", bpm=120.0 + i,
                   key="A minor", energy=float(energy[i]))
        results.append(row)
        level = int(np.clip(round(1 + 9 * (0.8 * energy[i] + 0.1) + rng.normal(0, 0.3)),
                            1, 10))
        levels.append(level)
        cell = (bad or {}).get(i, level)
        lines.append(f"My Collection,{path},8A,{120 + i},{cell}")
    return results, "\n".join(lines) + "\n", np.array(levels, float)


def test_the_energy_of_a_mixed_in_key_export_is_read_as_its_level_1_to_10():
    _, text, levels = mik_deck(n=12, bad={3: 11, 7: 0, 9: "10.5"})
    sheet = parse_reference_text(text, name="mik.csv")
    assert sheet.value_scales["energy"][:2] == (1.0, 10.0)
    assert sheet.column_label("energy") == LABEL
    assert sheet.scales["energy"] == 1.0  # not divided by 100, nor left out as 1-10 levels
    by_row = {r.row: r for r in sheet.rows}
    assert len(sheet.rows) == 12  # a bad energy costs its cell, not its row
    assert by_row[2].values["energy"] == levels[0]
    # each value outside 1-10 is named in its own row and column
    bad = {(b.row, b.column): b.reason for b in sheet.bad_cells}
    assert set(bad) == {(5, "Energy"), (9, "Energy"), (11, "Energy")}
    assert all(r == "out of range (1 to 10, Mixed In Key 1\u201310)" for r in bad.values())
    assert all("energy" not in by_row[n].values for n in (5, 9, 11))
    assert by_row[5].values["bpm"] == 123


def test_a_sheet_that_is_not_from_mixed_in_key_still_leaves_levels_1_to_10_out():
    """No Mixed In Key header, and keys written by name rather than in Camelot notation:
    not its export, so levels 1-10 stay a doubt."""
    _, text, _ = mik_deck(n=12)
    text = text.replace("Collection name,File name,Key result", "Playlist,File name,Key")
    text = text.replace(",8A,", ",A minor,")
    sheet = parse_reference_text(text, name="other.csv")
    assert "energy" not in sheet.columns and not sheet.value_scales
    assert any("whole numbers 1-10" in w for w in sheet.warnings)


def test_calibrating_against_mixed_in_key_predicts_its_levels():
    results, text, levels = mik_deck()
    s = CalibrationSession(options=CalibrationOptions(learned=False))
    s.set_results(results, keys=range(len(results)))
    s.set_reference(parse_reference_text(text, name="mik.csv"))
    cal = s.fit()
    d = cal.descriptors["energy"]
    assert d.verdict == "calibrated" and d.kept
    assert d.reference_range == (1.0, 10.0)
    assert d.correction.low == 1.0 and d.correction.high == 10.0
    assert d.correction.slope > 5  # 0-1 onto 1-10
    # "before" reads the analyzer's 0-1 stretched onto 1-10, not 0.5 against 7
    assert d.mae_before < 2 and d.mae_after < 0.6
    assert "offset" not in d.cv_mae  # an offset cannot cross from one scale to the other
    fixed = np.array([r["energy_calibrated"] for r in s.calibrated_rows()], float)
    assert np.all((fixed >= 1) & (fixed <= 10))
    assert np.mean(np.abs(fixed - levels)) < 0.6


def test_songcal_calibrate_runs_end_to_end_on_a_mixed_in_key_export(tmp_path, capsys):
    results, text, levels = mik_deck(bad={4: 12})
    ref = tmp_path / "mik.csv"
    ref.write_text(text, encoding="utf-8")
    res = tmp_path / "results.csv"
    write_csv(res, RESULT_COLUMNS, results, meta={"songcal_version": __version__})
    code = cli_main(["calibrate", str(res), "--reference", str(ref), "-o",
                     str(tmp_path / "cal.csv"), "--profile", str(tmp_path / "p.json"),
                     "--calibrated-out", str(tmp_path / "calibrated.csv"), "--no-learned"])
    out = capsys.readouterr().out
    assert code == 0
    assert "matched 40 of 40 songs" in out
    assert "row 6, column 'Energy': out of range (1 to 10, Mixed In Key 1\u201310) ('12')" in out
    line = next(ln for ln in out.splitlines() if ln.startswith("energy"))
    assert line.startswith(f"{LABEL} [calibrated] (n=39): ")
    profile = load_profile(tmp_path / "p.json")
    assert (profile.descriptors["energy"].low, profile.descriptors["energy"].high) == (1, 10)
    written = json.loads((tmp_path / "p.json").read_text())
    scores = written["meta"]["scores"]["energy"]
    assert scores["reference_scale"] == "Mixed In Key 1\u201310"
    # a line clamped to 1-10 is past energy's 0-1: version 2 cannot say it
    assert profile.descriptors["energy"].method != "scale" and written["version"] == 3
    _, table = read_csv_rows(tmp_path / "cal.csv")
    assert {r["descriptor"]: r["reference_scale"] for r in table} == {
        "bpm": "BPM", "bpm_acc1": "BPM", "bpm_acc2": "BPM",
        "energy": "Mixed In Key 1\u201310", "key_accuracy": "as in the sheet",
        "key_weighted": "as in the sheet"}
    _, rows = read_csv_rows(tmp_path / "calibrated.csv")
    for c in ("energy_calibrated", "energy_calibrated_low", "energy_calibrated_high"):
        values = np.array([float(r[c]) for r in rows])
        assert np.all((values >= 1) & (values <= 10)), c
    fixed = np.array([float(r["energy_calibrated"]) for r in rows])
    assert np.mean(np.abs(fixed - levels)) == pytest.approx(0.3, abs=0.3)
    # the interval around each value is cut to the sheet's 1-10, not to the analyzer's 0-1
    low, high = ([float(r[f"energy_calibrated_{b}"]) for r in rows] for b in ("low", "high"))
    assert np.all((np.array(low) <= fixed) & (fixed <= np.array(high)))


def test_with_no_correction_kept_the_values_stand_stretched_onto_the_sheets_scale():
    """An analyzer energy unrelated to the levels: nothing is kept, and what stands is the
    0-1 value stretched onto 1-10 (not the 0-1 value, read against levels 1-10)."""
    import io

    from core.cli.calibrate import print_report

    results, text, _ = mik_deck(n=30)
    rng = np.random.default_rng(1)
    for r in results:
        r["energy"] = float(rng.uniform(0, 1))
    s = CalibrationSession(options=CalibrationOptions(learned=False))
    s.set_results(results)
    s.set_reference(parse_reference_text(text, name="mik.csv"))
    d = s.fit().descriptors["energy"]
    assert d.verdict == "no relation" and not d.kept
    assert (d.correction.method, d.correction.slope, d.correction.intercept) == ("scale", 9, 1)
    row = s.calibrated_rows()[0]
    assert row["energy_calibrated"] == pytest.approx(1 + 9 * row["energy"])
    assert s.profile().descriptors["energy"].method == "scale"
    assert profile_to_dict(s.profile())["version"] == 3  # version 2 has no scale map
    report = io.StringIO()
    print_report(s, {}, stream=report)
    assert (f"{LABEL} [no relation] (n=30): no correction; scale: y = 9x + 1 (the analyzer's "
            "range stretched onto the reference's, nothing fitted); MAE") in report.getvalue()


def test_an_export_without_its_key_column_is_known_by_its_collection_name():
    """Either header only Mixed In Key writes tells its export: one saved without the key
    column still has its energy read as levels 1-10, not left out."""
    _, text, levels = mik_deck(n=12)
    rows = [line.split(",") for line in text.splitlines()]
    without_key = "\n".join(",".join(r[:2] + r[3:]) for r in rows) + "\n"
    sheet = parse_reference_text(without_key, name="mik.csv")
    assert sheet.value_scales["energy"][:2] == (1.0, 10.0)
    assert [r.values["energy"] for r in sheet.rows] == list(levels)


def test_the_scale_map_stretches_the_descriptors_range_onto_the_references():
    """The values as read on a reference's own scale: the descriptor's lowest value goes to
    the scale's lowest, its highest to the highest, linearly (a sheet's scale given as it
    names it, with the scale's name)."""
    from core.calibration.descriptor_fit import SCALE_METHOD, scale_correction

    _, text, _ = mik_deck(n=12)
    energy = scale_correction("energy", parse_reference_text(text).value_scales["energy"])
    assert energy.method == SCALE_METHOD and (energy.low, energy.high) == (1.0, 10.0)
    assert np.allclose(energy.apply(np.array([0.0, 0.5, 1.0])), [1.0, 5.5, 10.0])
    # a descriptor whose range does not start at 0 (loudness, -70 to +10 LUFS) onto 0-1
    loud = scale_correction("loudness_lufs", (0.0, 1.0))
    assert np.allclose(loud.apply(np.array([-70.0, -30.0, 10.0])), [0.0, 0.5, 1.0])


# --- known by its shape, whatever its headers say --------------------------------------

SHAPE = "read as a Mixed In Key export by its shape"


def shaped(n=12, *, header="Crate,Filename,Initial Key,Tempo,Energy Level", sep=",",
           order=None, keys=None, energies=None, extra=None):
    """A Mixed In Key export without either header only it writes: ``order`` lists the
    columns (indices into the five) in the order written; ``keys``/``energies`` replace
    the cells of their column; ``extra`` (header, cell) adds a column."""
    _, text, levels = mik_deck(n=n)
    rows = [line.split(",") for line in text.splitlines()]
    rows[0] = header.split(",")
    for i, row in enumerate(rows[1:]):
        if keys is not None:
            row[2] = keys[i % len(keys)]
        if energies is not None:
            row[4] = str(energies[i % len(energies)])
    if extra is not None:
        rows = [r + [extra[0] if i == 0 else extra[1]] for i, r in enumerate(rows)]
    if order is not None:
        rows = [[r[j] for j in order] + r[5:] for r in rows]
    return sep.join(rows[0]) + "\n" + "".join(sep.join(r) + "\n" for r in rows[1:]), levels


@pytest.mark.parametrize("kwargs", [
    {},  # renamed headers
    {"header": "Playlist,Location,Key,BPM,Energy"},
    {"sep": ";"},
    {"sep": ";", "header": "Sammlung,Dateiname,Tonart,BPM,Energie"},
    {"order": [4, 2, 1, 3, 0]},
    {"order": [1, 3, 4, 2], "sep": "\t"},  # no collection column at all
], ids=["renamed", "renamed-2", "semicolons", "german-semicolons", "reordered",
        "tabs-four-columns"])
def test_an_export_is_known_by_its_shape_whatever_its_headers(kwargs):
    text, levels = shaped(**kwargs)
    sheet = parse_reference_text(text, name="mik.csv")
    assert sheet.value_scales["energy"] == (1.0, 10.0, "Mixed In Key 1\u201310")
    assert sheet.scales["energy"] == 1.0
    assert [r.values["energy"] for r in sheet.rows] == list(levels)
    energy = sheet.columns["energy"]
    shape = [w for w in sheet.warnings if w.startswith(SHAPE)]
    assert shape == [f"{SHAPE} (a file-name column, 12 of 12 keys in Camelot notation, 12 "
                     f"energies all whole numbers 1-10), though no header says so: column "
                     f"{energy!r} is read as its energy level 1-10 (if it holds percentages "
                     "instead, write them with decimals or on 0-1)"]
    assert not any("whole numbers 1-10:" in w for w in sheet.warnings)


def test_mixed_in_key_headers_need_no_warning():
    _, text, _ = mik_deck(n=12)
    sheet = parse_reference_text(text, name="mik.csv")
    assert sheet.value_scales["energy"][:2] == (1.0, 10.0)
    assert not any(w.startswith(SHAPE) for w in sheet.warnings)


def test_four_camelot_keys_in_five_are_enough_and_fewer_are_not():
    keys = ["8A", "11B", "3a", "12B", "A minor"]  # 80 %
    text, _ = shaped(n=10, keys=keys)
    assert parse_reference_text(text).value_scales
    text, _ = shaped(n=10, keys=["8A", "11B", "3A", "A minor", "C major"])  # 60 %
    sheet = parse_reference_text(text)
    assert not sheet.value_scales and "energy" not in sheet.columns


@pytest.mark.parametrize("change", [
    {"header": "Crate,Title,Initial Key,Tempo,Energy Level"},  # no file-name column
    {"extra": ("Danceability", "0.5")},  # a column Mixed In Key does not write
    {"extra": ("Popularity", "57")},  # an extra numeric column
    {"energies": [1]},  # all 1
    {"energies": [3, 5, 6.5]},  # not whole numbers
    {"energies": [0, 4, 7]},  # 0 is not a level
    {"n": 2},  # too few rows to tell
    {"keys": ["-"]},  # no key at all
], ids=["title-not-file", "danceability", "extra-number", "all-1", "halves", "zero",
        "two-rows", "no-keys"])
def test_a_sheet_of_another_shape_is_not_taken_for_mixed_in_key(change):
    text, _ = shaped(**change)
    sheet = parse_reference_text(text, name="other.csv")
    assert not sheet.value_scales
    assert not any(w.startswith(SHAPE) for w in sheet.warnings)


def test_calibrating_against_an_export_known_by_its_shape_predicts_its_levels():
    results, _, levels = mik_deck()
    text, _ = shaped(n=40, sep=";", order=[4, 2, 1, 3, 0])
    s = CalibrationSession(options=CalibrationOptions(learned=False))
    s.set_results(results, keys=range(len(results)))
    s.set_reference(parse_reference_text(text, name="mik.csv"))
    d = s.fit().descriptors["energy"]
    assert d.verdict == "calibrated" and d.reference_range == (1.0, 10.0)
    assert (d.correction.low, d.correction.high) == (1.0, 10.0)
    fixed = np.array([r["energy_calibrated"] for r in s.calibrated_rows()], float)
    assert np.mean(np.abs(fixed - levels)) < 0.6


def test_songcal_calibrate_says_it_read_an_export_by_its_shape(tmp_path, capsys):
    results, _, _ = mik_deck()
    text, _ = shaped(n=40, sep=";", header="Crate,Filename,Initial Key,Tempo,Energy Level")
    ref = tmp_path / "renamed.csv"
    ref.write_text(text, encoding="utf-8")
    res = tmp_path / "results.csv"
    write_csv(res, RESULT_COLUMNS, results, meta={"songcal_version": __version__})
    code = cli_main(["calibrate", str(res), "--reference", str(ref), "-o",
                     str(tmp_path / "cal.csv"), "--no-learned"])
    out = capsys.readouterr().out
    assert code == 0
    assert (f"warning: {SHAPE} (a file-name column, 40 of 40 keys in Camelot notation, 40 "
            "energies all whole numbers 1-10)") in out
    line = next(ln for ln in out.splitlines() if ln.startswith("energy"))
    assert line.startswith(f"{LABEL} [calibrated] (n=40): ")


def _with_energy(text, cells):
    """``text`` with the energy cell of each listed row (index under the header) replaced."""
    lines = text.splitlines()
    for i, cell in cells.items():
        parts = lines[i + 1].split(",")
        parts[4] = cell
        lines[i + 1] = ",".join(parts)
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("cell", ["11", "10.5", "0", ""])
def test_one_energy_outside_1_to_10_does_not_hide_an_export_known_by_its_shape(cell):
    text, levels = shaped()
    sheet = parse_reference_text(_with_energy(text, {3: cell}), name="mik.csv")
    assert sheet.value_scales["energy"] == (1.0, 10.0, "Mixed In Key 1\u201310")
    assert sheet.scales["energy"] == 1.0  # not read as percentages, nor left out
    by_row = {r.row: r for r in sheet.rows}
    assert len(sheet.rows) == 12 and "energy" not in by_row[5].values
    assert [by_row[n].values["energy"] for n in (2, 3, 4, 6)] == [*levels[:3], levels[4]]
    if cell:
        (bad,) = sheet.bad_cells
        assert (bad.row, bad.column, bad.value) == (5, "Energy Level", cell)
        assert bad.reason == "out of range (1 to 10, Mixed In Key 1\u201310)"
        counted = "11 of 12 energies whole numbers 1-10"
    else:
        assert sheet.bad_cells == []
        counted = "11 energies all whole numbers 1-10"
    assert any(w.startswith(SHAPE) and counted in w for w in sheet.warnings)


def test_energies_mostly_outside_1_to_10_are_not_an_export():
    # 9 levels in 12 energies (75 %): percentages, some of them low
    text, _ = shaped()
    sheet = parse_reference_text(_with_energy(text, {1: "35", 5: "12", 8: "64"}))
    assert not sheet.value_scales and sheet.scales["energy"] == 0.01
    assert not any(w.startswith(SHAPE) for w in sheet.warnings)
    text, _ = shaped()  # 10 in 12 (83 %): an export with two bad cells
    sheet = parse_reference_text(_with_energy(text, {1: "35", 5: "12"}))
    assert sheet.value_scales and [b.row for b in sheet.bad_cells] == [3, 7]


def test_a_repeated_header_is_not_counted_in_an_exports_shape():
    # 3 songs, then the header of a second export pasted under them: its 'Initial Key'
    # made 3 Camelot keys in 4 (75 %)
    text, levels = shaped(n=6)
    lines = text.splitlines()
    text = "\n".join(lines[:4] + [lines[0]] + lines[4:]) + "\n"
    sheet = parse_reference_text(text, name="mik.csv")
    assert sheet.value_scales["energy"][:2] == (1.0, 10.0)
    assert [r.row for r in sheet.rows] == [2, 3, 4, 6, 7, 8]
    assert [r.values["energy"] for r in sheet.rows] == list(levels)
    assert "row 5 repeats the header (two sheets pasted together?): left out" in sheet.warnings
    assert any(w.startswith(SHAPE) and "6 of 6 keys" in w for w in sheet.warnings)


@pytest.mark.parametrize("labels", [("Total", "Average"), ("Summe", "Durchschnitt")])
def test_total_and_average_rows_are_not_counted_in_an_exports_shape(labels):
    # A total of the levels, or their mean (5.5), is not a level: with two such rows under
    # six songs, 6 energies in 8 were levels (75 %) and the export was not known
    text, levels = shaped(n=6)
    bpm = sum(120 + i for i in range(6))
    text += f",{labels[0]},,{bpm:g},{levels.sum():g}\n"
    text += f",{labels[1]},,{bpm / 6:g},{levels.mean():g}\n"
    sheet = parse_reference_text(text, name="mik.csv")
    assert sheet.value_scales["energy"][:2] == (1.0, 10.0)
    assert [r.values["energy"] for r in sheet.rows] == list(levels)
    assert sheet.summary_rows == [8, 9]
    assert (f"rows 8 ({labels[0]!r}), 9 ({labels[1]!r}): totals or averages of the rows "
            "above, not songs: left out") in sheet.warnings
    assert any(w.startswith(SHAPE) and "6 energies all" in w for w in sheet.warnings)
    assert sheet.bad_cells == [] and sheet.bad_rows == []


@pytest.mark.parametrize("header", [None, "Collection name,File name,Key result,BPM,Energy"],
                         ids=["by-shape", "by-headers"])
def test_a_total_row_sums_the_energy_cells_as_written(header):
    # The spreadsheet's total counts a level of 11 that the export's scale leaves out: the
    # row was read as a song called Total with a bad energy of 32
    text, levels = shaped(n=6)
    text = _with_energy(text, {2: "11"})
    if header:
        text = header + "\n" + text.split("\n", 1)[1]
    text += f",Total,,{sum(120 + i for i in range(6))},{levels.sum() - levels[2] + 11:g}\n"
    sheet = parse_reference_text(text, name="mik.csv")
    assert sheet.value_scales["energy"][:2] == (1.0, 10.0)
    assert sheet.summary_rows == [8] and len(sheet.rows) == 6
    assert [(b.row, b.value) for b in sheet.bad_cells] == [(4, "11")]
