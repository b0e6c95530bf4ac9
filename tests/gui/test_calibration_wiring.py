"""The calibration wired into the window: Load Reference, drops, the reference columns of the
song table, the Calibration tab, exports and ``songcal gui --reference`` automation.

The songs are short click tracks over an A minor chord (fixed seeds) analyzed by the real
analysis, which finds their tempo within 0.1 BPM and the key A minor; the reference sheet plants known
disagreements: a reference tempo at half the real one (an octave error), one far off, and
keys a fifth, relative and parallel to A minor.
"""

from __future__ import annotations

import csv
import os

import numpy as np
import pytest
import soundfile as sf
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QFileDialog

from core.batch.rules import SongState
from core.calibration.exports import EXPORT_KINDS, export_names
from core.calibration.reference import load_reference
from core.io.csvio import format_cell, read_csv_rows
from core.settings import AnalysisSettings
from gui.main_window import MainWindow
from gui.reference_columns import AGREEMENT_COLORS
from gui.song_columns import AGREEMENT_ROLE, FIRST_REFERENCE_COL, SORT_ROLE
from tests.gui.conftest import drop_paths, flush_deferred_deletes

#: (file stem, true BPM, reference BPM, reference key, expected tempo / key agreement)
SONGS = [
    ("001_Nova Lights_Midnight Drive", 124.0, 124.0, "A minor", "ok", "same"),
    ("002_The Harbor_Low Tide", 140.0, 70.0, "E minor", "double", "fifth"),  # ref at half
    ("003_Kesta_Slow Burn", 100.0, 101.5, "C major", "ok", "relative"),
    ("004_Lumen Trio_Waltz for June", 110.0, 135.0, "A major", "wrong", "parallel"),
    ("005_Juno Park_Glass City", 128.0, 128.0, "F# major", "ok", "other"),
]
TIMEOUT = 20_000  # ms; every wait has one


def write_song(path, *, bpm: float, seconds: float = 4.0, sr: int = 22050, seed: int = 0):
    """A click track at ``bpm`` over an A minor chord (A2, A3, C4, E4), mono 16-bit WAV."""
    rng = np.random.default_rng(seed)
    n = int(seconds * sr)
    t = np.arange(n) / sr
    y = sum(0.06 * np.sin(2 * np.pi * f * t) for f in (110.0, 220.0, 261.63, 329.63))
    period = int(round(60.0 / bpm * sr))
    click = np.exp(-np.arange(400) / 60.0) * rng.uniform(-1, 1, 400)
    for start in range(0, n - 400, period):
        y[start:start + 400] += 0.8 * click
    sf.write(str(path), (0.9 * y / np.max(np.abs(y))).astype(np.float32), sr, subtype="PCM_16")
    return path


def write_sheet(path, songs=SONGS, *, extra_rows=()):
    """A streaming-style reference sheet naming the songs (energy in percent)."""
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["#", "Song", "Artist", "BPM", "Key", "Energy"])
        for i, (stem, _bpm, ref_bpm, ref_key, _t, _k) in enumerate(songs):
            _, artist, title = stem.split("_")
            w.writerow([i + 1, title, artist, f"{ref_bpm:g}", ref_key, 40 + 10 * i])
        for row in extra_rows:
            w.writerow(row)
    return path


@pytest.fixture(scope="module")
def deck(tmp_path_factory):
    """The songs (4 s click tracks) and the reference sheet naming them."""
    root = tmp_path_factory.mktemp("caldeck")
    folder = root / "songs"
    folder.mkdir()
    paths = [write_song(folder / f"{stem}.wav", bpm=bpm, seed=i)
             for i, (stem, bpm, *_rest) in enumerate(SONGS)]
    (folder / "notes.txt").write_text("not audio")
    return folder, paths, write_sheet(root / "reference.csv")


@pytest.fixture
def window(make_window):
    return lambda: make_window(AnalysisSettings(workers=2, budget_base_s=60.0))


def _run_batch(qtbot, w, folder):
    with qtbot.waitSignal(w.engine.scanFinished, timeout=TIMEOUT):
        w.add_paths([folder])
    with qtbot.waitSignal(w.engine.batchFinished, timeout=60_000):
        w.start_action.trigger()
    jobs = w.engine.batch.jobs
    assert [j.state for j in jobs] == [SongState.DONE] * len(SONGS), [j.error for j in jobs]
    for job, (_stem, bpm, *_rest) in zip(jobs, SONGS, strict=True):
        # preconditions of the planted disagreements
        assert job.result.bpm == pytest.approx(bpm, abs=0.5)
        assert job.result.key == "A minor"


def _row_of(w, stem):
    m = w.model
    for r in range(m.rowCount()):
        if os.path.basename(m.job(r).path).startswith(stem):
            return r
    raise AssertionError(f"no row for {stem}")


def _cell(w, stem, name, role=Qt.ItemDataRole.DisplayRole):
    m = w.model
    return m.index(_row_of(w, stem), m.reference_column(name)).data(role)


def _wait_matched(qtbot, w):
    """Wait until every song of the deck is paired (the controller follows the engine)."""
    qtbot.waitUntil(lambda: (s := w.calibration.session.match_summary()) is not None
                    and s.n_matched == len(SONGS) and not w.calibration.busy,
                    timeout=TIMEOUT)


def _analyzed_and_matched(qtbot, window, deck):
    """A window that analyzed the deck and matched it against the deck's sheet."""
    folder, _paths, sheet = deck
    w = window()
    _run_batch(qtbot, w, folder)
    with qtbot.waitSignal(w.calibration.referenceLoaded, timeout=TIMEOUT):
        w.load_reference(sheet)
    _wait_matched(qtbot, w)
    return w


def _check_agreement(w):
    for stem, _bpm, _ref, _key, tempo, key in SONGS:
        assert _cell(w, stem, "bpm_agreement", AGREEMENT_ROLE) == tempo, stem
        assert _cell(w, stem, "key_relation", AGREEMENT_ROLE) == key, stem
        assert _cell(w, stem, "bpm_agreement") == tempo  # the paired export's words
        assert _cell(w, stem, "key_relation") == key


# -- loading a reference --------------------------------------------------------------------

def test_load_reference_action_adds_colored_reference_columns(qtbot, window, deck,
                                                              monkeypatch):
    folder, _paths, sheet = deck
    w = window()
    _run_batch(qtbot, w, folder)
    base = w.model.columnCount()
    assert base == FIRST_REFERENCE_COL  # no reference columns before a sheet is loaded
    inserted = []
    w.model.columnsInserted.connect(lambda _p, a, b: inserted.append((a, b)))
    monkeypatch.setattr(QFileDialog, "getOpenFileName",
                        staticmethod(lambda *a, **k: (str(sheet), "")))
    assert w.load_reference_action.shortcut().toString() == "Ctrl+R"
    with qtbot.waitSignal(w.calibration.referenceLoaded, timeout=TIMEOUT):
        w.load_reference_action.trigger()
    _wait_matched(qtbot, w)

    m = w.model
    headers = [m.headerData(c, Qt.Orientation.Horizontal) for c in range(m.columnCount())]
    assert headers[base:] == ["Ref BPM", "BPM err", "Tempo vs ref", "Ref energy",
                              "Energy err", "Ref key", "Key vs ref"]
    assert inserted == [(base, m.columnCount() - 1)]  # inserted once, as one block
    _check_agreement(w)

    half = SONGS[1][0]
    assert _cell(w, half, "ref_bpm") == "70.0"
    assert _cell(w, half, "bpm_error").startswith("+70.")
    assert _cell(w, half, "bpm_error", SORT_ROLE) == pytest.approx(70.0, abs=0.5)
    assert _cell(w, half, "bpm_agreement") == "double"
    assert "within 4 % of \u00d72 the reference" in _cell(w, half, "bpm_agreement",
                                                       Qt.ItemDataRole.ToolTipRole)
    bg = _cell(w, half, "bpm_agreement", Qt.ItemDataRole.BackgroundRole).color()
    assert bg.rgb() == QColor(AGREEMENT_COLORS["octave"]).rgb()
    ok_bg = _cell(w, SONGS[0][0], "bpm_error", Qt.ItemDataRole.BackgroundRole).color()
    assert ok_bg.rgb() == QColor(AGREEMENT_COLORS["ok"]).rgb()  # the error cell too
    assert "fifth error" in _cell(w, SONGS[1][0], "key_relation", Qt.ItemDataRole.ToolTipRole)
    assert _cell(w, SONGS[3][0], "bpm_agreement") == "wrong"  # 110 / 135 BPM: a miss
    assert "= 0.815" in _cell(w, SONGS[3][0], "bpm_agreement", Qt.ItemDataRole.ToolTipRole)
    assert _cell(w, SONGS[2][0], "ref_key") == "C major (8B)"
    assert _cell(w, half, "ref_bpm", SORT_ROLE) == 70.0
    # the table view shows each reference column next to its descriptor
    header = w.table.horizontalHeader()
    from gui.song_columns import descriptor_column

    assert header.visualIndex(m.reference_column("ref_bpm")) == \
        header.visualIndex(descriptor_column("bpm")) + 1
    assert header.visualIndex(m.reference_column("key_relation")) == \
        header.visualIndex(descriptor_column("key_camelot")) + 2
    w.table.selectAll()
    text = w.table.copy_selection()
    assert "Tempo vs ref" in text.splitlines()[0] and "double" in text
    # keys shown with flats are copied as the paired export writes them, with sharps
    w.spell_keys(True)
    assert _cell(w, SONGS[4][0], "ref_key").startswith("G\u266d major")
    text = w.table.copy_selection()
    assert "\u266d" not in text and "\tF# major" in text
    # each reference cell is copied as the paired export writes it: the key without its
    # Camelot code (its own column there), an error in full and without a plus sign
    lines = [line.split("\t") for line in text.splitlines()]
    copied = {row[3]: dict(zip(lines[0], row, strict=True)) for row in lines[1:]}
    stem = SONGS[4][0]
    row = copied[f"{stem}.wav"]
    assert _cell(w, stem, "ref_key") == "G\u266d major (2B)"  # shown
    bpm = w.model.job(_row_of(w, stem)).result.bpm
    assert (row["Ref key"], row["Ref BPM"], row["BPM err"]) == \
        ("F# major", "128.0", format_cell(bpm - 128.0))
    assert row["Ref energy"] == "0.8" and row["Key vs ref"] == "other"


def test_model_with_reference_columns_passes_the_model_tester(qtbot, qtmodeltester, window,
                                                              deck):
    w = _analyzed_and_matched(qtbot, window, deck)
    qtmodeltester.check(w.model)
    qtmodeltester.check(w.proxy)


def test_dropping_a_csv_loads_the_reference_and_still_queues_audio(qtbot, window, deck):
    folder, paths, sheet = deck
    w = window()
    with qtbot.waitSignals([w.calibration.referenceLoaded, w.engine.scanFinished],
                           timeout=TIMEOUT):
        drop_paths(w, [sheet, folder])
    assert w.calibration.sheet.path.endswith("reference.csv")
    assert w.model.rowCount() == len(paths)  # the sheet is not queued as a song
    assert sorted(j.path for j in w.engine.batch.jobs) == sorted(str(p) for p in paths)
    assert w.model.columnCount() > FIRST_REFERENCE_COL


def test_dropping_an_excel_workbook_loads_it_as_the_reference(qtbot, window, deck, tmp_path):
    import csv

    import openpyxl

    folder, _paths, sheet = deck
    book = openpyxl.Workbook()
    with open(sheet, newline="", encoding="utf-8") as f:
        for record in csv.reader(f):
            book.active.append(record)
    book.save(tmp_path / "reference.xlsx")
    w = window()
    with qtbot.waitSignal(w.calibration.referenceLoaded, timeout=TIMEOUT):
        drop_paths(w, [tmp_path / "reference.xlsx"])
    assert w.calibration.sheet.path.endswith("reference.xlsx")
    assert len(w.calibration.sheet.rows) == len(load_reference(sheet).rows)
    assert w.model.columnCount() > FIRST_REFERENCE_COL and w.model.rowCount() == 0


def _tab_delimited(sheet, path):
    """``sheet`` saved as Excel's "Text (Tab delimited)" does: a .txt in Windows-1252."""
    with open(sheet, newline="", encoding="utf-8") as f:
        text = "".join("\t".join(record) + "\r\n" for record in csv.reader(f))
    path.write_bytes(text.encode("cp1252"))
    return path


def test_a_tab_delimited_txt_dropped_alone_loads_as_the_reference(qtbot, window, deck,
                                                                   tmp_path):
    _folder, _paths, sheet = deck
    txt = _tab_delimited(sheet, tmp_path / "reference.txt")
    w = window()
    with qtbot.waitSignal(w.calibration.referenceLoaded, timeout=TIMEOUT):
        drop_paths(w, [txt])
    assert w.calibration.sheet.path == str(txt)
    assert [r.title for r in w.calibration.sheet.rows] == [r.title for r in
                                                          load_reference(sheet).rows]
    assert w.model.columnCount() > FIRST_REFERENCE_COL and w.model.rowCount() == 0


def test_a_txt_dropped_alone_that_is_no_sheet_is_named_in_a_message(qtbot, window, tmp_path):
    readme = tmp_path / "readme.txt"
    readme.write_text("Recorded live at the Harbor, 2019.\nMixed by June.\n")
    w = window()
    with qtbot.waitSignal(w.calibration.failed, timeout=TIMEOUT) as said:
        drop_paths(w, [readme])
    assert "readme.txt" in said.args[0] and "no title column" in said.args[0]
    assert "readme.txt" in w.statusBar().currentMessage()
    assert w.calibration.sheet is None and w.model.rowCount() == 0


def test_a_txt_sheet_dropped_with_songs_loads_when_no_sheet_is_loaded(qtbot, window, deck,
                                                                      tmp_path):
    folder, paths, sheet = deck
    txt = _tab_delimited(sheet, tmp_path / "reference.txt")
    readme = tmp_path / "readme.txt"
    readme.write_text("Recorded live at the Harbor, 2019.\n")
    w = window()
    with qtbot.waitSignals([w.calibration.referenceLoaded, w.engine.scanFinished],
                           timeout=TIMEOUT):
        drop_paths(w, [readme, folder, txt])
    assert w.calibration.sheet.path == str(txt)
    # neither text file is taken for a song (nor is the notes.txt inside the folder)
    assert sorted(j.path for j in w.engine.batch.jobs) == sorted(str(p) for p in paths)


def test_a_txt_dropped_with_songs_never_replaces_the_loaded_sheet(qtbot, window, deck,
                                                                  tmp_path):
    folder, paths, sheet = deck
    other = tmp_path / "other.txt"
    other.write_text("Title\tBPM\nSomething Else\t90\n", encoding="utf-8")
    w = window()
    with qtbot.waitSignal(w.calibration.referenceLoaded, timeout=TIMEOUT):
        w.load_reference(sheet)
    failures, declined = [], []
    w.calibration.failed.connect(failures.append)
    w.calibration.declined.connect(declined.append)
    with qtbot.waitSignals([w.calibration.declined, w.engine.scanFinished],
                           timeout=TIMEOUT):
        drop_paths(w, [other, folder])
    assert w.calibration.sheet.path == str(sheet)  # still the user's sheet
    assert len(declined) == 1
    assert "other.txt was not loaded" in declined[0] and "reference.csv" in declined[0]
    assert len(w.engine.batch.jobs) == len(paths)
    # a readme dropped with songs is ignored as before: no message, no song, no sheet
    readme = tmp_path / "readme.txt"
    readme.write_text("Recorded live at the Harbor, 2019.\n")
    with qtbot.waitSignals([w.calibration.busyChanged, w.engine.scanFinished],
                           check_params_cbs=[lambda busy: not busy, None], timeout=TIMEOUT):
        drop_paths(w, [readme, paths[0]])
    assert w.calibration.sheet.path == str(sheet) and failures == [] and len(declined) == 1
    assert len(w.engine.batch.jobs) == len(paths)  # the song was in the list already


def test_reference_loaded_first_columns_follow_the_batch(qtbot, window, deck):
    folder, _paths, sheet = deck
    w = window()
    with qtbot.waitSignal(w.calibration.referenceLoaded, timeout=TIMEOUT):
        drop_paths(w, [sheet])
    n_cols = w.model.columnCount()
    assert n_cols > FIRST_REFERENCE_COL and w.model.rowCount() == 0
    changes = []
    w.model.dataChanged.connect(lambda a, b, _r=(): changes.append((a.column(), b.column())))
    _run_batch(qtbot, w, folder)
    _wait_matched(qtbot, w)
    qtbot.waitUntil(lambda: _cell(w, SONGS[1][0], "bpm_agreement") == "double",
                    timeout=TIMEOUT)
    _check_agreement(w)
    assert w.model.columnCount() == n_cols  # columns were not inserted again
    # the reference cells are refreshed in whole blocks, not one notification per cell
    ref_only = [c for c in changes if c[0] >= FIRST_REFERENCE_COL]
    assert all(c == (FIRST_REFERENCE_COL, n_cols - 1) for c in ref_only)


def test_a_second_sheet_with_other_columns_replaces_the_columns(qtbot, window, deck, tmp_path):
    folder, _paths, sheet = deck
    w = window()
    with qtbot.waitSignal(w.calibration.referenceLoaded, timeout=TIMEOUT):
        w.load_reference(sheet)
    plain = tmp_path / "truth.csv"
    plain.write_text("title,artist,bpm\nMidnight Drive,Nova Lights,124\n", encoding="utf-8")
    with qtbot.waitSignal(w.calibration.referenceLoaded, timeout=TIMEOUT):
        w.load_reference(plain)
    m = w.model
    assert [m.headerData(c, Qt.Orientation.Horizontal)
            for c in range(FIRST_REFERENCE_COL, m.columnCount())] == \
        ["Ref BPM", "BPM err", "Tempo vs ref"]


def test_rows_sorted_by_a_reference_column_a_new_sheet_lacks_go_back_to_the_list_order(
        qtbot, window, deck, tmp_path):
    """Sorted by a column of the first sheet that the second has not: Clear and Undo
    redid that sort on a column gone (an exception in the middle of the table's reset, the
    table left half reset); a column both sheets have keeps the rows sorted by it."""
    w = _analyzed_and_matched(qtbot, window, deck)
    sheet = deck[2]
    m = w.model
    plain = tmp_path / "truth.csv"
    plain.write_text("title,artist,bpm\nMidnight Drive,Nova Lights,124\n", encoding="utf-8")

    w.table.sortByColumn(m.reference_column("key_relation"), Qt.SortOrder.DescendingOrder)
    assert [m.job(r).id for r in range(m.rowCount())] != list(range(len(SONGS)))
    with qtbot.waitSignal(w.calibration.referenceLoaded, timeout=TIMEOUT):
        w.load_reference(plain)
    assert m.sorted_by is None
    assert [m.job(r).id for r in range(m.rowCount())] == list(range(len(SONGS)))
    w._confirm = lambda *a: True
    assert w.clear()
    assert m.rowCount() == 0
    w.undo_action.trigger()
    assert m.rowCount() == len(SONGS)
    assert [m.job(r).id for r in range(m.rowCount())] == list(range(len(SONGS)))

    with qtbot.waitSignal(w.calibration.referenceLoaded, timeout=TIMEOUT):
        w.load_reference(sheet)
    _wait_matched(qtbot, w)
    w.table.sortByColumn(m.reference_column("ref_bpm"), Qt.SortOrder.AscendingOrder)
    assert [m.job(r).id for r in range(m.rowCount())] == [1, 2, 0, 4, 3]  # 70, 101.5...
    with qtbot.waitSignal(w.calibration.referenceLoaded, timeout=TIMEOUT):
        w.load_reference(plain)
    assert m.sorted_by == (m.reference_column("ref_bpm"), False)
    assert w.clear()
    w.undo_action.trigger()
    assert m.rowCount() == len(SONGS)
    assert m.sorted_by == (m.reference_column("ref_bpm"), False)


def test_an_unreadable_sheet_is_reported_and_adds_no_column(qtbot, window, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_bytes(b"\xff\xfe\x00garbage\x00\x01")
    w = window()
    with qtbot.waitSignal(w.calibration.failed, timeout=TIMEOUT) as blocker:
        w.load_reference(bad)
    assert "bad.csv" in blocker.args[0]
    assert w.model.columnCount() == FIRST_REFERENCE_COL
    assert "bad.csv" in w.statusBar().currentMessage()


# -- the Calibration tab, fit, export, profile -------------------------------------------

def test_calibration_tab_fit_export_and_apply_profile(qtbot, window, deck, tmp_path,
                                                      monkeypatch):
    w = _analyzed_and_matched(qtbot, window, deck)

    view = w.calibration_view
    tabs = [w.bottom_tabs.tabText(i) for i in range(w.bottom_tabs.count())]
    assert tabs == ["Workers", "Batch Plots", "Calibration", "Log", "Chunks"]
    w.show_calibration()
    assert view.isVisible()
    view.refresh()
    view.set_descriptor("bpm")
    assert len(view.scatter_panel.scatter.data) == len(SONGS)
    centers, counts = view.ratio_panel.counts()
    assert counts.sum() == len(SONGS)
    assert counts[np.isclose(centers, 1.0)].sum() == 1  # the octave error: a peak at +1
    assert view.controller.session.key_errors().relations == {
        "same": 1, "fifth": 1, "relative": 1, "parallel": 1, "other": 1}

    with qtbot.waitSignal(w.calibration.fitted, timeout=TIMEOUT):
        w.fit_action.trigger()
    view.refresh()
    assert [r.descriptor for r in view.summary_model._rows] == ["bpm", "energy", "key"]

    out = tmp_path / "cal"
    out.mkdir()
    monkeypatch.setattr(QFileDialog, "getExistingDirectory",
                        staticmethod(lambda *a, **k: str(out)))
    with qtbot.waitSignal(w.calibration.exported, timeout=TIMEOUT) as blocker:
        w.export_calibration_action.trigger()
    assert set(blocker.args[0]) == set(EXPORT_KINDS)
    (made,) = os.listdir(out)  # a new folder inside the one chosen
    assert made.startswith("songcal-export-")
    out = out / made
    # the names of songcal analyze --reference -o DIR/results.csv
    assert sorted(os.listdir(out)) == sorted(export_names("results").values())
    assert str(out) in view.export_list.label.text()
    cols, rows = read_csv_rows(out / export_names()["paired"])
    assert "ref_bpm" in cols and len(rows) == len(SONGS)
    by_title = {r["title"]: r for r in rows}
    assert float(by_title["Low Tide"]["ref_bpm"]) == 70.0

    profile = out / export_names()["profile"]
    monkeypatch.setattr(QFileDialog, "getOpenFileName",
                        staticmethod(lambda *a, **k: (str(profile), "")))
    with qtbot.waitSignal(w.calibration.profileApplied, timeout=TIMEOUT) as blocker:
        w.apply_profile_action.trigger()
    assert blocker.args[0].path == str(profile)
    assert len(blocker.args[0].rows) == len(SONGS)

    dlg = w.open_match_dialog()
    assert dlg is not None and dlg.isVisible()
    dlg.close()


def test_export_calibration_without_reference_only_tells(qtbot, window, monkeypatch):
    w = window()
    asked = []
    monkeypatch.setattr(QFileDialog, "getExistingDirectory",
                        staticmethod(lambda *a, **k: asked.append(1) or ""))
    w.export_calibration_dialog()
    assert not asked
    assert "reference" in w.statusBar().currentMessage()


def test_quit_while_the_reference_loads_does_not_crash(qtbot, window, deck):
    _folder, _paths, sheet = deck
    w = window()
    got = []
    w.calibration.referenceLoaded.connect(got.append)
    w.load_reference(sheet)
    w.close()
    assert w.calibration.wait(5000)
    qtbot.wait(50)  # a late result would be delivered now; the closed window drops it
    assert not got


# -- automation -------------------------------------------------------------------------------

@pytest.fixture
def data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("SONGCAL_DATA_DIR", str(tmp_path / "data"))


#: Files ``songcal gui --reference --export-dir`` writes, as ``songcal analyze --reference``.
GUI_FILES = {"results": "results.csv", "calibration": "results_calibration.csv",
             "paired": "results_paired.csv", "mismatches": "results_mismatches.csv",
             "calibrated": "results_calibrated.csv", "profile": "results_profile.json"}


def _made(out):
    """The one export folder ``--export-dir out`` made."""
    (name,) = os.listdir(out)
    assert name.startswith("songcal-export-")
    return out / name


def test_gui_with_reference_writes_calibration_files(qapp, deck, tmp_path, data_dir):
    from gui.app import run_gui

    folder, paths, sheet = deck
    out = tmp_path / "export"
    shot = tmp_path / "cal.png"
    out.mkdir()
    (out / "results.csv").write_text("an earlier run")
    code = run_gui([str(folder), "--reference", str(sheet), "--start", "--export-dir",
                    str(out), "--quit-when-done", "--workers", "2",
                    "--screenshot-calibration", str(shot)])
    assert code == 0
    assert (out / "results.csv").read_text() == "an earlier run"  # nothing overwritten
    (out / "results.csv").unlink()
    out = _made(out)
    assert sorted(os.listdir(out)) == sorted(GUI_FILES.values())
    _, rows = read_csv_rows(out / GUI_FILES["results"])
    assert sorted(r["path"] for r in rows) == sorted(str(p) for p in paths)
    _, paired = read_csv_rows(out / GUI_FILES["paired"])
    by_title = {r["title"]: r for r in paired}
    assert float(by_title["Low Tide"]["ref_bpm"]) == 70.0
    assert by_title["Low Tide"]["bpm_agreement"] == "double"  # analyzer at x2
    assert by_title["Slow Burn"]["key_relation"] == "relative"
    cal_cols, cal_rows = read_csv_rows(out / GUI_FILES["calibration"])
    assert {"bpm", "energy"} <= {r["descriptor"] for r in cal_rows}
    assert any(r["descriptor"].startswith("key") for r in cal_rows)
    assert "reference_file" in cal_cols
    assert shot.stat().st_size > 10_000


def test_the_window_of_a_calibrating_command_line_dies_when_it_returns(qapp, deck, tmp_path,
                                                                      data_dir, monkeypatch):
    # what waited for the window's fit (before its screenshot) held the window back in a
    # reference cycle that only the garbage collector freed
    import gc
    import weakref

    import gui.main_window
    from gui.app import run_gui

    made = []

    def make(*args, **kwargs):
        window = MainWindow(*args, **kwargs)
        made.append(weakref.ref(window))
        return window

    monkeypatch.setattr(gui.main_window, "MainWindow", make)
    folder, _, sheet = deck
    gc.collect()
    gc.disable()
    try:
        code = run_gui([str(folder), "--reference", str(sheet), "--start", "--export-dir",
                        str(tmp_path), "--quit-when-done", "--workers", "2",
                        "--screenshot-calibration", str(tmp_path / "cal.png")])
        assert code == 0 and (tmp_path / "cal.png").exists()
        flush_deferred_deletes()  # the window deleted later, as run_gui ends
        assert len(made) == 1 and made[0]() is None
    finally:
        gc.enable()


def test_gui_with_reference_shows_it_in_the_window(qtbot, deck, tmp_path, data_dir,
                                                   monkeypatch):
    """The sheet given on the command line is loaded into the window at start: the table
    has its columns and the Calibration tab its match and fit."""
    import gui.app
    from gui.main_window import MainWindow as RealWindow

    seen = {}

    class Spy(RealWindow):
        def closeEvent(self, event):  # noqa: N802 - Qt API
            m = self.model
            seen["agreement"] = [
                m.index(r, m.reference_column("bpm_agreement")).data(AGREEMENT_ROLE)
                for r in range(m.rowCount())]
            seen["fitted"] = self.calibration.session.calibration is not None
            seen["tab"] = self.bottom_tabs.tabText(self.bottom_tabs.currentIndex())
            super().closeEvent(event)

    monkeypatch.setattr("gui.main_window.MainWindow", Spy)
    folder, _paths, sheet = deck
    code = gui.app.run_gui([str(folder), "--reference", str(sheet), "--start", "--export-dir",
                            str(tmp_path / "out"), "--quit-when-done", "--workers", "2",
                            "--screenshot-calibration", str(tmp_path / "shot.png")])
    assert code == 0
    assert seen["agreement"] == [t for *_x, t, _k in SONGS]
    assert seen["fitted"] and seen["tab"] == "Calibration"


def test_gui_with_reference_exit_code_is_1_when_a_song_is_unpaired(qapp, deck, tmp_path,
                                                                   data_dir):
    from gui.app import run_gui

    folder, _paths, _sheet = deck
    partial = write_sheet(tmp_path / "partial.csv", SONGS[:-1])
    out = tmp_path / "export"
    code = run_gui([str(folder), "--reference", str(partial), "--start", "--export-dir",
                    str(out), "--quit-when-done", "--workers", "2"])
    assert code == 1
    _, mism = read_csv_rows(_made(out) / GUI_FILES["mismatches"])
    assert any("Glass City" in (r.get("title") or "") for r in mism)


def test_gui_with_unreadable_reference_exit_code_is_2(qapp, deck, tmp_path, data_dir, capsys,
                                                      monkeypatch):
    """Said before any song, as ``songcal analyze --reference`` does (the whole batch ran
    and exported its results before the sheet was found unusable)."""
    import gui.engine
    from gui.app import run_gui

    calls = []
    monkeypatch.setattr(gui.engine, "default_analyze", lambda *a, **k: calls.append(a))
    folder, _paths, _sheet = deck
    bad = tmp_path / "bad.csv"
    bad.write_bytes(b"\xff\xfe\x00garbage\x00\x01")
    out = tmp_path / "export"
    code = run_gui([str(folder), "--reference", str(bad), "--start", "--export-dir",
                    str(out), "--quit-when-done", "--workers", "2"])
    assert code == 2 and calls == []
    assert not any(p.name.startswith("songcal-export-") for p in out.iterdir())
    assert "bad.csv" in capsys.readouterr().err


def test_remembered_table_layout_leaves_the_reference_columns_out(qtbot, deck, tmp_path,
                                                                  monkeypatch):
    monkeypatch.setenv("SONGCAL_DATA_DIR", str(tmp_path / "data"))
    _folder, _paths, sheet = deck
    first = MainWindow(AnalysisSettings(workers=2), remember=True)
    qtbot.addWidget(first)
    first.table.setColumnWidth(1, 321)
    with qtbot.waitSignal(first.calibration.referenceLoaded, timeout=TIMEOUT):
        first.load_reference(sheet)
    assert first.model.columnCount() > FIRST_REFERENCE_COL
    first.close()

    second = MainWindow(AnalysisSettings(workers=2), remember=True)
    qtbot.addWidget(second)
    header = second.table.horizontalHeader()
    assert header.count() == FIRST_REFERENCE_COL == second.model.columnCount()
    assert second.table.columnWidth(1) == 321  # the rest of the layout is remembered
    with qtbot.waitSignal(second.calibration.referenceLoaded, timeout=TIMEOUT):
        second.load_reference(sheet)
    assert header.count() == second.model.columnCount() > FIRST_REFERENCE_COL
    second.close()


def test_each_tab_keeps_its_own_pane_height(qtbot, window):
    w = window()
    w.resize(1400, 900)
    w.splitter.setSizes([700, 160])
    w._remember_pane_height()  # as a drag of the splitter does
    small = w.splitter.sizes()[1]
    w.show_calibration()
    w.bottom_tabs.setCurrentWidget(w.workers)
    assert w.splitter.sizes()[1] == small  # the Calibration tab did not grow it for good
    w.show_calibration()
    w.splitter.setSizes([460, 400])
    w._remember_pane_height()
    tall = w.splitter.sizes()[1]
    assert tall > small + 100
    w.bottom_tabs.setCurrentWidget(w.workers)
    assert w.splitter.sizes()[1] == small  # the Workers tab is as the user left it
    w.show_calibration()
    assert w.splitter.sizes()[1] == tall


def test_a_profile_applies_to_the_songs_without_a_reference_sheet(qtbot, window, deck,
                                                                   tmp_path, monkeypatch):
    """New songs, no sheet: the tab's Apply Profile… is enabled and calibrates them all
    (before, the window gathered results only once a sheet was loaded: 0 songs)."""
    from core.calibration.descriptor_fit import LinearCorrection
    from core.calibration.profile import CalibrationProfile, save_profile

    folder, _paths, _sheet = deck
    profile = tmp_path / "p.json"
    save_profile(CalibrationProfile(descriptors={"loudness_lufs": LinearCorrection(
        method="offset", intercept=1.5)}), profile)
    w = window()
    _run_batch(qtbot, w, folder)
    view = w.calibration_view
    assert not w.calibration.has_reference and view.apply_button.isEnabled()
    monkeypatch.setattr(QFileDialog, "getOpenFileName",
                        staticmethod(lambda *a, **k: (str(profile), "")))
    with qtbot.waitSignal(w.calibration.profileApplied, timeout=TIMEOUT) as blocker:
        view.apply_button.click()
    rows = blocker.args[0].rows
    assert len(rows) == len(SONGS)
    for job, row in zip(w.engine.batch.jobs, rows, strict=True):
        assert row["loudness_lufs_calibrated"] == pytest.approx(
            job.result.loudness_lufs + 1.5, abs=0.01)
    view.refresh()
    assert f"applied to {len(SONGS)} songs" in view.profile_label.text()


def test_every_export_of_the_window_writes_off_the_gui_thread(qtbot, window, deck, tmp_path,
                                                             monkeypatch):
    import threading

    import core.calibration.session
    import core.io.results

    on_gui = {}

    def spy(owner, name):
        real = getattr(owner, name)

        def call(*args, **kwargs):
            on_gui.setdefault(name, []).append(
                threading.current_thread() is threading.main_thread())
            return real(*args, **kwargs)

        monkeypatch.setattr(owner, name, call)

    for name in ("write_results_csv", "write_chunks_csv", "write_checked_csv"):
        spy(core.io.results, name)
    for name in ("export", "export_calibrated"):
        spy(core.calibration.session.CalibrationSession, name)
    folder, _paths, sheet = deck
    w = window()
    _run_batch(qtbot, w, folder)
    w.engine.batch.jobs[0].result.bpm_user = 123.0  # a value of the user's, for its sheet
    with qtbot.waitSignal(w.calibration.referenceLoaded, timeout=TIMEOUT):
        w.load_reference(sheet)
    _wait_matched(qtbot, w)
    for export, name in ((w.export_results, "results.csv"), (w.export_chunks, "chunks.csv"),
                         (w.export_checked, "mine.csv")):
        with qtbot.waitSignal(w.exported, timeout=TIMEOUT) as blocker:
            export(tmp_path / name)
        assert blocker.args[1] == "" and (tmp_path / name).exists()
    with qtbot.waitSignal(w.calibration.exported, timeout=TIMEOUT):
        w.calibration.export(tmp_path)
    with qtbot.waitSignal(w.calibration.exported, timeout=TIMEOUT):
        w.calibration.export_calibrated(tmp_path / "calibrated.csv")
    assert (tmp_path / "calibrated.csv").exists()
    assert on_gui == {name: [False] for name in (
        "write_results_csv", "write_chunks_csv", "write_checked_csv", "export",
        "export_calibrated")}


# -- an output swapped for a link to an input after the guard --------------------------------

def test_no_export_of_the_window_writes_through_a_link_to_an_input_made_after_its_guard(
        qtbot, window, deck, tmp_path, monkeypatch):
    """``ln -sf song.wav results.csv`` between the export's guard and its write: the write
    followed the link and replaced the song with the CSV (each export, the calibration
    folder's files and a profile saved alike)."""
    import shutil

    import core.io.csvio as csvio
    from core.io.outputs import InputReplacedError

    folder = tmp_path / "songs"
    shutil.copytree(deck[0], folder)
    song = folder / f"{SONGS[0][0]}.wav"
    before = song.read_bytes()
    w = window()
    _run_batch(qtbot, w, folder)
    with qtbot.waitSignal(w.calibration.referenceLoaded, timeout=TIMEOUT):
        w.load_reference(deck[2])
    _wait_matched(qtbot, w)
    with qtbot.waitSignal(w.calibration.fitted, timeout=TIMEOUT):
        w.calibration.fit()
    swapped = []
    real = csvio._write_target

    def swap_then_write(path):  # the guard has passed; the write starts
        name = os.path.basename(path)
        if name in targets and not os.path.islink(path):
            if os.path.lexists(path):
                os.unlink(path)
            os.symlink(song, path)
            swapped.append(name)
        return real(path)

    monkeypatch.setattr(csvio, "_write_target", swap_then_write)

    def kept_beside(path):
        stem, ext = os.path.splitext(os.path.basename(path))
        found = [p for p in os.listdir(os.path.dirname(path))
                 if p.startswith(f"{stem}.kept-") and p.endswith(ext)]
        assert len(found) == 1, found
        return os.path.join(os.path.dirname(path), found[0])

    def check(path, message):
        assert song.read_bytes() == before and os.path.islink(path)
        kept = kept_beside(path)
        assert os.path.getsize(kept) > 0
        assert "it became a song of the list" in message and str(song) in message
        assert "SongCal never writes over its inputs" in message
        assert f"what it would have held is in {kept}" in message
        return os.path.basename(kept)

    for export, name in ((w.export_results, "results.csv"), (w.export_chunks, "chunks.csv"),
                         (w.export_checked, "mine.csv")):
        targets = {name}
        w.engine.batch.jobs[0].result.bpm_user = 123.0  # a value for the checked sheet
        with qtbot.waitSignal(w.exported, timeout=TIMEOUT) as blocker:
            export(tmp_path / name)
        kept = check(tmp_path / name, blocker.args[1])
        said = w.statusBar().currentMessage()
        assert said.startswith("Export failed: could not write") and kept in said
    targets = {"cal.csv"}
    with qtbot.waitSignal(w.calibration.failed, timeout=TIMEOUT) as blocker:
        w.calibration.export_calibrated(tmp_path / "cal.csv")
    check(tmp_path / "cal.csv", blocker.args[0])
    targets = {"results_paired.csv"}
    out = tmp_path / "exports"
    out.mkdir()
    with qtbot.waitSignal(w.calibration.failed, timeout=TIMEOUT) as blocker:
        w.export_calibration(out)
    (made,) = out.iterdir()
    kept = check(made / "results_paired.csv", blocker.args[0])
    said = w.statusBar().currentMessage()
    assert said.startswith(f"Export to {out} failed") and kept in said
    targets = {"p.json"}
    with pytest.raises(InputReplacedError) as err:
        w.calibration.save_profile(tmp_path / "p.json")
    check(tmp_path / "p.json", str(err.value))
    assert swapped == ["results.csv", "chunks.csv", "mine.csv", "cal.csv",
                       "results_paired.csv", "p.json"]


def test_no_export_of_the_window_writes_over_the_sheet_the_applied_profile_was_fitted_on(
        qtbot, window, deck, tmp_path):
    """A profile applied, its sheet not loaded (only the profile knows it, by its SHA-256):
    ``songcal apply -o sheet.csv`` refused that sheet, the window's Export Results and Export
    Calibrated wrote over it."""
    from core.calibration.descriptor_fit import LinearCorrection
    from core.calibration.profile import CalibrationProfile, save_profile
    from core.calibration.reference import file_sha256

    folder, _paths, _sheet = deck
    mine = tmp_path / "my_checks.csv"
    mine.write_text("title,bpm\nSong,120\n", encoding="utf-8")
    profile = tmp_path / "p.json"
    save_profile(CalibrationProfile(
        descriptors={"loudness_lufs": LinearCorrection(method="offset", intercept=1.5)},
        meta={"reference_file": "my_checks.csv", "reference_sha256": file_sha256(mine)}),
        profile)
    w = window()
    _run_batch(qtbot, w, folder)
    with qtbot.waitSignal(w.calibration.profileApplied, timeout=TIMEOUT):
        w.apply_profile(profile)
    with qtbot.waitSignal(w.exported, timeout=TIMEOUT) as blocker:
        w.export_results(mine)
    assert "it is the reference sheet the profile applied was fitted on (my_checks.csv)" \
        in blocker.args[1]
    with qtbot.waitSignal(w.calibration.failed, timeout=TIMEOUT) as failed:
        w.calibration.export_calibrated(mine)
    assert "the reference sheet the profile applied was fitted on" in failed.args[0]
    assert mine.read_text(encoding="utf-8") == "title,bpm\nSong,120\n"
    with qtbot.waitSignal(w.exported, timeout=TIMEOUT) as blocker:  # another file: written
        w.export_results(tmp_path / "results.csv")
    assert blocker.args[1] == ""
