"""The calibration part of the window: controller, view, reference cells, match dialog."""

from __future__ import annotations

import csv
import gc
import json
import os
import threading
import weakref

import numpy as np
import pytest
from PySide6.QtCore import QCoreApplication, QEvent, Qt
from PySide6.QtGui import QColor, QGuiApplication, QTextDocument
from PySide6.QtGui import Qt as QtGui

from core.calibration.exports import EXPORT_KINDS, export_names
from core.calibration.reference import ReferenceRow
from core.io.keynotation import Key, parse_key
from gui.calibration_controller import CalibrationController, is_reference_file
from gui.calibration_summary import CalibrationSummaryModel, score_text, verdict_color
from gui.calibration_view import CalibrationView
from gui.match_dialog import MatchDialog
from gui.reference_columns import (
    AGREEMENT_COLORS,
    agreement_color,
    reference_cells,
    reference_columns,
)
from tests.gui.calibration_data import (
    DOUBLE_TEMPO,
    FIFTH_KEY,
    HALF_TEMPO,
    N_SONGS,
    OTHER_KEY,
    PARALLEL_KEY,
    RELATIVE,
    RELATIVE_KEY,
    make_deck,
)

T = 15000  # ms: every wait on the pool has a timeout
GARBLED = N_SONGS - 1  # the song no row matches
ITS_ROW = N_SONGS - 1  # its row in the sheet (0-based)


@pytest.fixture
def deck(tmp_path):
    return make_deck(tmp_path)


@pytest.fixture
def controller(qtbot):
    c = CalibrationController()
    yield c
    assert c.shutdown(10000)


@pytest.fixture
def view(qtbot, controller):
    v = CalibrationView(controller)
    qtbot.addWidget(v)
    v.resize(1400, 900)
    return v


def _load(qtbot, controller, deck):
    sheet, rows, _ = deck
    controller.set_results(rows)
    with qtbot.waitSignal(controller.matched, timeout=T) as blocker:
        controller.load_reference(sheet)
    return blocker.args[0]


def _fit(qtbot, controller):
    with qtbot.waitSignal(controller.fitted, timeout=T) as blocker:
        controller.fit()
    return blocker.args[0]


# ---------------------------------------------------------------- loading and matching

def test_load_reference_then_results_are_matched(qtbot, controller, deck):
    sheet, rows, _ = deck
    with qtbot.waitSignal(controller.referenceLoaded, timeout=T) as blocker:
        controller.load_reference(sheet)
    summary = blocker.args[0]
    assert summary.n_rows == N_SONGS + 1
    assert set(summary.descriptors) == {"bpm", "energy", "loudness_lufs", "key"}
    assert controller.match is None  # no results yet
    with qtbot.waitSignal(controller.matched, timeout=T) as blocker:
        controller.set_results(rows)
    m = blocker.args[0]
    assert (m.n_songs, m.n_matched, m.n_unmatched_songs, m.n_unmatched_rows) == (
        N_SONGS, N_SONGS - 1, 1, 2)
    assert controller.session.match_method(GARBLED) == "unmatched"
    assert controller.reference_row(3).title == "Song Number 3"
    assert controller.reference_row(GARBLED) is None


def test_results_then_reference_are_matched(qtbot, controller, deck):
    m = _load(qtbot, controller, deck)
    assert m.n_matched == N_SONGS - 1
    # the sheet's energy column is in percent and was read on 0-1
    x, y, idx = controller.session.pairs("energy")
    assert x.size == N_SONGS - 1
    np.testing.assert_allclose(y, deck[2]["energy"][idx], atol=0.006)


def test_many_result_updates_fold_into_a_match_of_the_last_rows(qtbot, controller, deck):
    _load(qtbot, controller, deck)
    rows = deck[1]
    for n in range(10, N_SONGS, 7):
        controller.set_results(rows[:n])
    controller.set_results(rows[:20])
    qtbot.waitUntil(lambda: not controller.busy, timeout=T)
    assert controller.match.n_songs == 20
    assert controller.session.match_summary().n_matched == 20


def test_bad_reference_sheet_reports_failure(qtbot, controller, tmp_path):
    bad = tmp_path / "notes.csv"
    bad.write_text("colour,size\nred,3\n", encoding="utf-8")
    with qtbot.waitSignal(controller.failed, timeout=T) as blocker:
        controller.load_reference(bad)
    assert "notes.csv" in blocker.args[0] and "title column" in blocker.args[0]
    assert controller.sheet is None


def test_missing_reference_sheet_reports_failure(qtbot, controller, tmp_path):
    with qtbot.waitSignal(controller.failed, timeout=T) as blocker:
        controller.load_reference(tmp_path / "nowhere.csv")
    assert "nowhere.csv" in blocker.args[0] and "does not exist" in blocker.args[0]


def test_set_results_rejects_keys_of_another_length(controller, deck):
    with pytest.raises(ValueError, match="one entry per row"):
        controller.set_results(deck[1], keys=[1, 2, 3])


def test_set_results_rejects_repeated_keys(controller, deck):
    with pytest.raises(ValueError, match="unique"):
        controller.set_results(deck[1][:2], keys=["a", "a"])


def test_is_reference_file(tmp_path):
    (tmp_path / "a.csv").write_text("x")
    (tmp_path / "b.wav").write_text("x")
    (tmp_path / "c.XLSX").write_text("x")
    (tmp_path / "d.txt").write_text("x")
    assert is_reference_file(tmp_path / "a.csv")
    assert is_reference_file(tmp_path / "c.XLSX")  # an Excel workbook
    assert is_reference_file(tmp_path / "d.txt")  # dropped alone (its reader says if it is)
    assert not is_reference_file(tmp_path / "b.wav")
    assert not is_reference_file(tmp_path)


# ---------------------------------------------------------------- fit and plots

def test_fit_fills_the_plots(qtbot, controller, view, deck):
    _load(qtbot, controller, deck)
    cal = _fit(qtbot, controller)
    view.refresh()
    assert cal.tempo.rule.kind != "none"  # the planted octave errors are folded away
    assert cal.tempo.acc1_before == pytest.approx(50 / 59)
    assert cal.tempo.acc1_after == pytest.approx(57 / 59)  # cross-validated
    e = cal.descriptors["energy"]
    assert e.kept and e.verdict == "calibrated" and e.mae_after < 0.3 * e.mae_before

    view.set_descriptor("bpm")
    panel = view.scatter_panel
    x, y = panel.scatter.getData()
    assert len(x) == N_SONGS - 1
    assert panel.identity_line.getData()[0] is not None
    cx, cy = panel.correction_curve.getData()
    assert cx is not None and np.isfinite(cy).sum() > 100

    centers, counts = view.ratio_panel.counts()
    count_at = {round(float(c), 3): int(h) for c, h in zip(centers, counts, strict=True)}
    assert count_at.get(1.0) == len(DOUBLE_TEMPO)  # the octave peak at +1
    assert count_at.get(-1.0) == len(HALF_TEMPO)
    assert counts.sum() == N_SONGS - 1
    assert centers[np.argmax(counts)] == pytest.approx(0.0)

    same = view.key_panel.same_bars.opts["height"]
    other = view.key_panel.other_bars.opts["height"]
    n_wrong = len(FIFTH_KEY + RELATIVE_KEY + PARALLEL_KEY + OTHER_KEY)
    assert list(same) == [N_SONGS - 1 - n_wrong, len(FIFTH_KEY), 0, 0, 0, len(OTHER_KEY), 0]
    assert list(other) == [len(PARALLEL_KEY), 0, 0, len(RELATIVE_KEY), 0, 0, 0]
    rel = list(view.key_panel.relation_bars.opts["height"])
    assert rel == [N_SONGS - 1 - n_wrong, len(FIFTH_KEY), len(RELATIVE_KEY),
                   len(PARALLEL_KEY), len(OTHER_KEY)]


def test_the_calibrated_values_of_a_fit_are_computed_off_the_windows_thread(
        qtbot, controller, view, deck, monkeypatch):
    import threading

    import core.calibration.session as session_module

    threads = []
    apply = session_module.apply_profile
    monkeypatch.setattr(session_module, "apply_profile", lambda *a, **k: threads.append(
        threading.current_thread() is threading.main_thread()) or apply(*a, **k))
    _load(qtbot, controller, deck)
    _fit(qtbot, controller)
    view.refresh()
    assert threads == [False]  # in the fit's task; the view's refresh reuses them
    assert view.values_model.rowCount() == N_SONGS


def test_a_refresh_of_many_calibrated_values_measures_few_rows_for_the_widths(
        qtbot, controller, view, tmp_path):
    _load(qtbot, controller, make_deck(tmp_path, n=600))
    _fit(qtbot, controller)
    view.tables.setCurrentWidget(view.values_table)
    asked = set()
    value = view.values_model.value
    view.values_model.value = lambda row, column: asked.add(row) or value(row, column)
    view.refresh()
    qtbot.wait(10)
    assert view.values_model.rowCount() == 600
    assert len(asked) < 250  # the rows in sight and the first 100, not 1,000


def test_energy_scatter_shows_the_fitted_line(qtbot, controller, view, deck):
    _load(qtbot, controller, deck)
    _fit(qtbot, controller)
    view.refresh()
    view.set_descriptor("energy")
    cx, cy = view.scatter_panel.correction_curve.getData()
    # the analyzer reads 0.8 ref + 0.15: the correction maps 0.55 back to about 0.5
    assert np.interp(0.55, cx, cy) == pytest.approx(0.5, abs=0.02)
    assert "energy" in view.scatter_panel.plot.getAxis("bottom").labelText


def test_summary_table_before_and_after_fit(qtbot, controller, view, deck):
    _load(qtbot, controller, deck)
    view.refresh()
    model = view.summary_model
    assert model.rowCount() == 4
    assert {model.summary(r).correction for r in range(4)} == {"not fitted"}
    before = {model.summary(r).descriptor: model.summary(r) for r in range(4)}
    x, y, _ = controller.session.pairs("energy")
    assert before["energy"].mae_before == pytest.approx(np.mean(np.abs(x - y)))
    assert "Acc1" in score_text(before["bpm"]) and "MIREX" in score_text(before["key"])
    _fit(qtbot, controller)
    view.refresh()
    by = {model.summary(r).descriptor: model.summary(r) for r in range(model.rowCount())}
    assert by["bpm"].kept and "fold" in by["bpm"].correction
    assert by["loudness_lufs"].mae_after < 0.5 < by["loudness_lufs"].mae_before
    assert "MIREX" in score_text(by["key"]) and "→" in score_text(by["key"])
    rows = {model.summary(r).descriptor: r for r in range(model.rowCount())}
    assert model.index(rows["bpm"], model.KEPT_COL).data() == "yes"
    assert model.index(rows["key"], model.KEPT_COL).data() == "no"
    assert model.index(rows["energy"], model.VERDICT_COL).data() == "calibrated"
    assert model.index(rows["key"], model.VERDICT_COL).data() == "tracks"
    assert model.index(rows["energy"], model.INTERVAL_COL).data().startswith("±")
    assert "not kept" in model.index(rows["energy"], model.LEARNED_COL).data()
    tip = model.index(rows["energy"], model.LEARNED_COL).data(Qt.ItemDataRole.ToolTipRole)
    assert "Inputs that matter" in tip and "Learning curve" in tip


def test_fit_without_reference_fails(qtbot, controller, deck):
    controller.set_results(deck[1])
    with qtbot.waitSignal(controller.failed, timeout=T) as blocker:
        controller.fit()
    assert "reference" in blocker.args[0]


def test_fit_without_results_fails(qtbot, controller, deck):
    with qtbot.waitSignal(controller.referenceLoaded, timeout=T):
        controller.load_reference(deck[0])
    with qtbot.waitSignal(controller.failed, timeout=T) as blocker:
        controller.fit()
    assert "no results" in blocker.args[0]


def test_fit_with_no_song_matched_fails(qtbot, controller, deck):
    rows = [dict(r, title=f"qqq {i}", path=f"/x/{i}.wav") for i, r in enumerate(deck[1])]
    controller.set_results(rows)
    with qtbot.waitSignal(controller.matched, timeout=T):
        controller.load_reference(deck[0])
    with qtbot.waitSignal(controller.failed, timeout=T) as blocker:
        controller.fit()
    assert "no song is matched" in blocker.args[0]


# ---------------------------------------------------------------- export and profiles

def test_export_writes_the_files_into_a_new_folder(qtbot, controller, view, deck,
                                                   tmp_path, monkeypatch):
    _load(qtbot, controller, deck)
    out = tmp_path / "out"
    out.mkdir()
    (out / "results_calibration.csv").write_text("an earlier export")
    with qtbot.waitSignal(controller.exported, timeout=T) as blocker:
        controller.export(out)
    paths = blocker.args[0]
    assert set(paths) == set(EXPORT_KINDS)
    folder = os.path.dirname(paths["calibration"])
    assert os.path.dirname(folder) == str(out)
    assert os.path.basename(folder).startswith("songcal-export-")
    assert sorted(os.listdir(folder)) == sorted(export_names().values())
    assert (out / "results_calibration.csv").read_text() == "an earlier export"
    opened = []
    monkeypatch.setattr("gui.calibration_exports.QDesktopServices.openUrl",
                        lambda url: opened.append(url.toLocalFile()) or True)
    assert view.export_list.isVisibleTo(view) and folder in view.export_list.label.text()
    assert "results_profile.json" in view.export_list.label.text()
    view.export_list.open_button.click()
    assert opened == [folder]
    assert controller.session.calibration_is_current  # fitted on the way
    with open(paths["calibration"], encoding="utf-8-sig") as f:
        cal_rows = {r["descriptor"]: r for r in csv.DictReader(f)}
    assert cal_rows["energy"]["kept"].lower() == "true"
    assert cal_rows["energy"]["reference_file"] == "reference.csv"
    with open(paths["paired"], encoding="utf-8-sig") as f:
        paired = list(csv.DictReader(f))
    assert len(paired) == N_SONGS
    assert sum(r["bpm_agreement"] == "double" for r in paired) == len(DOUBLE_TEMPO)
    with open(paths["mismatches"], encoding="utf-8-sig") as f:
        mism = list(csv.DictReader(f))
    assert any(r["mismatch"] == "unmatched song" for r in mism)
    data = json.loads(open(paths["profile"], encoding="utf-8").read())
    assert data["format"] == "songcal-calibration-profile"


def test_export_calibrated_writes_every_song(qtbot, controller, view, deck, tmp_path):
    _load(qtbot, controller, deck)
    view.refresh()
    assert not view.export_calibrated_button.isEnabled()  # nothing fitted or applied yet
    _fit(qtbot, controller)
    view.refresh()
    assert view.export_calibrated_button.isEnabled()
    with qtbot.waitSignal(controller.exported, timeout=T) as blocker:
        controller.export_calibrated(tmp_path / "cal.csv")
    assert blocker.args[0] == {"calibrated": str(tmp_path / "cal.csv")}
    with open(tmp_path / "cal.csv", encoding="utf-8-sig") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == N_SONGS and rows[GARBLED]["energy_calibrated"]
    assert rows[GARBLED]["energy_calibrated_low"] < rows[GARBLED]["energy_calibrated_high"]


def test_export_calibrated_never_writes_over_the_sheet_or_a_song(qtbot, controller, deck,
                                                                  tmp_path):
    sheet, rows, _ = deck
    _load(qtbot, controller, deck)
    _fit(qtbot, controller)
    before = open(sheet, "rb").read()
    song = tmp_path / "song.flac"
    song.write_bytes(b"fLaC\0\0\0\x22" + bytes(40))  # a song of the list, as FLAC
    rows = [dict(rows[0], path=str(song))] + rows[1:]
    controller.set_results(rows)
    _fit(qtbot, controller)
    for target, reason in ((sheet, "it is the reference sheet"),
                           (song, "audio"),
                           (tmp_path / "calibrated.wav", "an audio file")):
        with qtbot.waitSignal(controller.failed, timeout=T) as blocker:
            controller.export_calibrated(target)
        assert reason in blocker.args[0] and "the calibrated results file" in blocker.args[0]
    assert open(sheet, "rb").read() == before and song.read_bytes()[:4] == b"fLaC"
    assert not (tmp_path / "calibrated.wav").exists()


def test_calibrated_values_table_lists_every_song(qtbot, controller, view, deck):
    _load(qtbot, controller, deck)
    _fit(qtbot, controller)
    view.refresh()
    m = view.values_model
    assert m.rowCount() == N_SONGS and m.columns == ["bpm", "energy", "loudness_lufs", "key"]
    assert m.index(GARBLED, 3).data() == "no" and m.index(0, 3).data() == "yes"
    col = 4 + m.columns.index("energy")
    assert m.index(GARBLED, col).data() != ""
    tip = m.index(GARBLED, col).data(Qt.ItemDataRole.ToolTipRole)
    assert "90 % interval" in tip and "analyzer value" in tip
    # a calibrated key shows as the export writes it; its tip gives the flat spelling
    key_col = 4 + m.columns.index("key")
    tip_role = Qt.ItemDataRole.ToolTipRole
    keys = [(m.value(r, "key"), m.index(r, key_col).data(), m.index(r, key_col).data(tip_role))
            for r in range(m.rowCount())]
    assert all(shown == (v or "") for v, shown, _ in keys)
    sharp = [(v, tip) for v, _, tip in keys if v and "#" in v]
    assert sharp and all(tip == f"{v} ({parse_key(v).flat_name})" and "\u266d" in tip
                         for v, tip in sharp)
    assert all(tip is None for v, _, tip in keys if not v or "#" not in v)
    # a copy of a key cell (Ctrl+C) copies the key alone
    row = next(r for r in range(m.rowCount()) if "#" in (m.value(r, "key") or ""))
    table = view.values_table
    table.setCurrentIndex(m.index(row, key_col))
    QGuiApplication.clipboard().clear()
    qtbot.keyClick(table, Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier)
    assert QGuiApplication.clipboard().text() == m.value(row, "key")
    assert "the current fit" in view.tables.tabText(1)


def test_a_tempo_and_a_key_set_by_hand_are_named_beside_the_calibrated_ones(
        qtbot, controller, view, deck):
    # The calibrated tempo and key are the analyzer's, corrected, for a song whose tempo
    # or key the user set too: its tempo cell's tip named the analyzer's value alone, its
    # key cell's tip nothing of either.  Both tips now name the user's value with the
    # song table's pencil, and the analyzer's the calibrated value came from.
    from core.calibration.applying import apply_profile

    sheet, rows, _ = deck
    i = 30  # a song with no planted error
    plain = rows[i]
    mine_bpm, mine_key = 2 * plain["bpm"], RELATIVE[plain["key"]]
    rows = [dict(r) for r in rows]
    rows[i].update(bpm_user=mine_bpm, key_user=mine_key)
    controller.set_results(rows)
    with qtbot.waitSignal(controller.matched, timeout=T):
        controller.load_reference(sheet)
    _fit(qtbot, controller)
    view.refresh()
    m = view.values_model
    # the rule: calibrated from the analyzer's values, as if the user had set nothing
    (alone,) = apply_profile(controller.session.current_profile(), [plain])
    assert m.value(i, "bpm") == pytest.approx(alone["bpm_calibrated"])
    assert m.value(i, "key") == alone["key_calibrated"]
    tip = Qt.ItemDataRole.ToolTipRole
    bpm_col, key_col = (4 + m.columns.index(c) for c in ("bpm", "key"))
    why = "(set by hand; the calibration corrects the analyzer's value)"
    bpm_tip = m.index(i, bpm_col).data(tip).split("\n")
    assert f"analyzer value: {plain['bpm']:.4g}" in bpm_tip
    assert f"your tempo: {mine_bpm:.4g} \u270e {why}" in bpm_tip
    key_tip = m.index(i, key_col).data(tip).split("\n")
    assert f"analyzer value: {plain['key']}" in key_tip
    assert f"your key: {mine_key} \u270e {why}" in key_tip
    # a song without values of the user's: its tips as they were
    assert "your" not in m.index(i + 1, bpm_col).data(tip)
    other = m.index(i + 1, key_col).data(tip)
    assert other is None or "your" not in other


def test_calibrated_keys_follow_the_key_names_setting_and_copy_as_exported(
        qtbot, controller, view, deck):
    # With Settings > Key names at flats, the song table said "B\u266d minor" while the
    # calibrated values kept "A# minor": they now follow the setting; the export, the
    # tooltip's spellings and a copy of the cell (Ctrl+C) keep the sharps.
    _load(qtbot, controller, deck)
    _fit(qtbot, controller)
    view.refresh()
    m = view.values_model
    key_col = 4 + m.columns.index("key")
    row = next(r for r in range(m.rowCount()) if "#" in (m.value(r, "key") or ""))
    sharp = m.value(row, "key")
    flat = parse_key(sharp).flat_name
    assert "\u266d" in flat and m.index(row, key_col).data() == sharp
    changed = []
    m.dataChanged.connect(lambda a, b, _roles: changed.append((a.column(), b.column())))
    m.set_flat_keys(True)
    assert changed == [(key_col, key_col)]
    assert m.index(row, key_col).data() == flat
    assert m.index(row, key_col).data(Qt.ItemDataRole.ToolTipRole) == f"{sharp} ({flat})"
    shown = [m.index(r, key_col).data() for r in range(m.rowCount())]
    assert not any("#" in k for k in shown)
    # a key without a sharp is spelled alike either way
    plain = next(r for r in range(m.rowCount()) if m.value(r, "key")
                 and "#" not in m.value(r, "key"))
    assert m.index(plain, key_col).data() == m.value(plain, "key")
    table = view.values_table
    table.setCurrentIndex(m.index(row, key_col))
    QGuiApplication.clipboard().clear()
    qtbot.keyClick(table, Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier)
    assert QGuiApplication.clipboard().text() == sharp
    energy = 4 + m.columns.index("energy")  # another cell copies as shown
    table.setCurrentIndex(m.index(row, energy))
    qtbot.keyClick(table, Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier)
    assert QGuiApplication.clipboard().text() == m.index(row, energy).data() != ""
    # a refresh (a new fit) keeps the spelling; sharps come back when chosen
    view.refresh()
    assert m.index(row, key_col).data() == flat
    m.set_flat_keys(False)
    assert m.index(row, key_col).data() == sharp


def test_verdict_cells_are_coloured_and_an_inverted_correction_can_be_ticked(
        qtbot, controller, view, deck):
    sheet, rows, truth = deck
    rng = np.random.default_rng(5)
    rows = [dict(r, energy=float(np.clip(1.0 - truth["energy"][i] + rng.normal(0, 0.02),
                                         0, 1)))
            for i, r in enumerate(rows)]
    _load(qtbot, controller, (sheet, rows, truth))
    _fit(qtbot, controller)
    view.refresh()
    model = view.summary_model
    r = next(i for i in range(model.rowCount()) if model.summary(i).descriptor == "energy")
    verdict = model.index(r, model.VERDICT_COL)
    assert verdict.data().startswith("inverted")
    assert verdict.data(Qt.ItemDataRole.BackgroundRole).color().rgb() == \
        verdict_color("inverted").rgb()
    assert "not kept unless you tick it" in verdict.data(Qt.ItemDataRole.ToolTipRole)
    kept = model.index(r, model.KEPT_COL)
    learned = controller.session.calibration.learned["energy"]
    assert not learned.kept and "runs against the reference" in learned.note
    assert kept.data() == "no"  # neither the correction nor a learned model
    assert model.flags(kept) & Qt.ItemFlag.ItemIsUserCheckable
    assert kept.data(Qt.ItemDataRole.CheckStateRole) == Qt.CheckState.Unchecked
    with qtbot.waitSignal(controller.fitted, timeout=T):
        assert model.setData(kept, Qt.CheckState.Checked.value,
                             Qt.ItemDataRole.CheckStateRole)
    assert controller.session.calibration.descriptors["energy"].kept
    view.refresh()
    r = next(i for i in range(model.rowCount()) if model.summary(i).descriptor == "energy")
    assert model.index(r, model.KEPT_COL).data(Qt.ItemDataRole.CheckStateRole) == \
        Qt.CheckState.Checked
    other = next(i for i in range(model.rowCount()) if model.summary(i).descriptor == "bpm")
    assert not model.flags(model.index(other, model.KEPT_COL)) & \
        Qt.ItemFlag.ItemIsUserCheckable
    assert not model.setData(model.index(other, model.KEPT_COL), Qt.CheckState.Checked.value,
                             Qt.ItemDataRole.CheckStateRole)


def test_weak_verdict_reads_amber_with_its_reason():
    from core.calibration.summary import DescriptorSummary

    model = CalibrationSummaryModel()
    model.set_rows([DescriptorSummary("energy", 40, "linear: y = 0.1x + 0.4", True,
                                      verdict="weak"),
                    DescriptorSummary("valence", 40, "none", False, verdict="no relation")])
    weak = model.index(0, model.VERDICT_COL)
    assert weak.data() == "weak (r² < 0.5)"
    assert "predicts little more than the reference mean" in \
        weak.data(Qt.ItemDataRole.ToolTipRole)
    assert weak.data(Qt.ItemDataRole.BackgroundRole).color().name() == \
        AGREEMENT_COLORS["octave"]
    assert model.index(1, model.VERDICT_COL).data() == "no relation"
    assert verdict_color("") is None


def test_a_verdict_judged_without_outlying_songs_says_so_and_names_them():
    from core.calibration.summary import DescriptorSummary

    model = CalibrationSummaryModel()
    named = ["Artist 4 - Song Number 4 (/deck/04.wav): 0 in the results, -7.9 in the sheet"]
    note = "1 outlying song (...) left out of the verdict: ...:\n  " + named[0]
    model.set_rows([DescriptorSummary("loudness_lufs", 34, "offset: y = x - 1.5", True,
                                      verdict="calibrated", note=note, outliers=named),
                    DescriptorSummary("energy", 34, "none", False, verdict="tracks")])
    cell = model.index(0, model.VERDICT_COL)
    assert cell.data() == "calibrated (1 outlying)"
    assert named[0] in cell.data(Qt.ItemDataRole.ToolTipRole)
    assert model.index(1, model.VERDICT_COL).data() == "tracks"


def test_learned_panel_shows_inputs_and_learning_curve(qtbot, controller, view, deck):
    _load(qtbot, controller, deck)
    cal = _fit(qtbot, controller)
    view.refresh()
    view.set_descriptor("energy")
    panel = view.learned_panel
    learned = cal.learned["energy"]
    widths = panel.importance_bars.opts["width"]
    assert len(widths) == min(8, len(learned.inputs))
    assert widths[0] == max(learned.importance[0][1], 0.0)
    sizes, errors = panel.curve.getData()
    assert list(sizes) == [n for n, _ in learned.learning_curve]
    assert "not kept" in panel.caption.text()


def test_export_to_a_missing_folder_fails(qtbot, controller, deck, tmp_path):
    _load(qtbot, controller, deck)
    with qtbot.waitSignal(controller.failed, timeout=T) as blocker:
        controller.export(tmp_path / "missing")
    assert "missing" in blocker.args[0]


def test_apply_profile_measures_it_on_this_deck(qtbot, controller, view, deck, tmp_path):
    _load(qtbot, controller, deck)
    with qtbot.waitSignal(controller.exported, timeout=T) as blocker:
        controller.export(tmp_path)
    profile = blocker.args[0]["profile"]
    with qtbot.waitSignal(controller.profileApplied, timeout=T) as blocker:
        controller.apply_profile(profile)
    s = blocker.args[0]
    n, before, after = s.mae["energy"]
    assert n == N_SONGS - 1 and after < before / 2
    assert "energy_calibrated" in s.rows[0] and "bpm_calibrated" in s.rows[0]
    assert len(s.rows) == N_SONGS and s.rows[GARBLED]["energy_calibrated"] is not None
    view.refresh()
    view.set_descriptor("energy")
    assert view.scatter_panel.profile_curve.getData()[0] is not None
    assert "applied to 60 songs" in view.profile_label.text()
    assert view.tables.currentWidget() is view.values_table
    assert view.values_model.rowCount() == N_SONGS
    assert "profile results_profile.json" in view.tables.tabText(1)


def test_a_profile_of_another_analyzer_build_is_applied_with_a_warning(
        qtbot, controller, view, deck, tmp_path):
    import json

    _load(qtbot, controller, deck)
    with qtbot.waitSignal(controller.exported, timeout=T) as blocker:
        controller.export(tmp_path)
    path = blocker.args[0]["profile"]
    with open(path, encoding="utf-8") as f:
        data = json.load(f)
    data["meta"]["analyzer"] = "0123456789ab"  # fitted on another build's results
    other = tmp_path / "other_build.json"
    other.write_text(json.dumps(data), encoding="utf-8")
    with qtbot.waitSignal(controller.profileApplied, timeout=T):
        controller.apply_profile(other)
    text = view.profile_label.text()
    assert "applied to 60 songs" in text and "Warning:" in text and "0123456789ab" in text
    assert "0123456789ab" in view.status_label.text()  # said where it is seen at once


def test_the_tempo_range_that_states_the_reference_is_offered(qtbot, controller, view, deck):
    _load(qtbot, controller, deck)
    view.refresh()
    tip = controller.session.tempo_range_suggestion()
    assert tip is not None and tip.agree_in_range > tip.agree_as_read  # the planted octaves
    panel = view.ratio_panel
    holder = view.tables if view.plots_in_tables else view.plots
    assert holder.tabText(holder.indexOf(panel)) == "Tempo ratios (a range to try)"
    view.show_plot(panel)
    assert panel.range_button.isVisibleTo(view) and panel.range_label.isVisibleTo(view)
    assert panel.range_button.text() == f"Analyze in {tip.range_text}"
    assert panel.range_label.text() == tip.text()
    with qtbot.waitSignal(panel.useRange, timeout=T) as blocker:
        qtbot.mouseClick(panel.range_button, Qt.MouseButton.LeftButton)
    assert blocker.args == [tip.floor]
    panel.show_suggestion(None)
    assert not panel.range_button.isVisibleTo(view)


def test_apply_a_file_that_is_not_a_profile_fails(qtbot, controller, deck, tmp_path):
    controller.set_results(deck[1])
    bad = tmp_path / "p.json"
    bad.write_text('{"hello": 1}', encoding="utf-8")
    with qtbot.waitSignal(controller.failed, timeout=T) as blocker:
        controller.apply_profile(bad)
    assert "not a SongCal calibration profile" in blocker.args[0]


# ---------------------------------------------------------------- manual match

def test_manual_match_pairs_a_song_and_survives_new_results(qtbot, controller, deck):
    _load(qtbot, controller, deck)
    with qtbot.waitSignal(controller.matched, timeout=T) as blocker:
        controller.manual_match(GARBLED, ITS_ROW)
    assert blocker.args[0].n_matched == N_SONGS and blocker.args[0].n_manual == 1
    assert controller.reference_row(GARBLED).title == f"Song Number {ITS_ROW}"
    # new results arrive (one more song in front): the pair follows the song's path
    rows = [dict(deck[1][0], path="/deck/new.wav", title="Brand New")] + deck[1]
    with qtbot.waitSignal(controller.matched, timeout=T):
        controller.set_results(rows)
    qtbot.waitUntil(lambda: not controller.busy, timeout=T)
    assert controller.session.match_method(GARBLED + 1) == "manual"
    assert controller.reference_row(GARBLED + 1).title == f"Song Number {ITS_ROW}"


def test_unmatch_keeps_the_song_unpaired(qtbot, controller, deck):
    _load(qtbot, controller, deck)
    controller.unmatch(4)
    assert controller.reference_row(4) is None
    with qtbot.waitSignal(controller.matched, timeout=T):
        controller.set_results(deck[1])
    qtbot.waitUntil(lambda: not controller.busy, timeout=T)
    assert controller.session.match_method(4) == "unmatched"


def test_manual_match_rejects_a_bad_song_index(qtbot, controller, deck):
    _load(qtbot, controller, deck)
    with pytest.raises(ValueError, match="song index"):
        controller.manual_match(N_SONGS + 5, 0)


def test_manual_match_rejects_a_bad_row_index(qtbot, controller, deck):
    _load(qtbot, controller, deck)
    with pytest.raises(ValueError, match="row index"):
        controller.manual_match(0, 999)


def test_manual_match_needs_a_match(controller, deck):
    controller.set_results(deck[1])
    with pytest.raises(ValueError, match="reference sheet"):
        controller.manual_match(0, 0)


def test_match_dialog_pairs_the_selected_song_and_row(qtbot, controller, deck):
    _load(qtbot, controller, deck)
    dlg = MatchDialog(controller)
    qtbot.addWidget(dlg)
    dlg.show()
    assert dlg.song_list.count() == 1 and dlg.row_list.count() == 2
    assert not dlg.pair_button.isEnabled()
    assert dlg.select_song(GARBLED) and dlg.select_row(ITS_ROW)
    assert dlg.pair_button.isEnabled()
    with qtbot.waitSignal(controller.matched, timeout=T):
        dlg.pair_button.click()
    assert dlg.song_list.count() == 0 and dlg.row_list.count() == 1
    assert controller.session.match_method(GARBLED) == "manual"
    assert dlg.select_pair(GARBLED)
    with qtbot.waitSignal(controller.matched, timeout=T):
        dlg.unpair_button.click()
    assert dlg.song_list.count() == 1


def test_match_dialog_spells_reference_keys_as_the_window_does(qtbot, controller, view, deck):
    _load(qtbot, controller, deck)
    sharp = [r.key.name for r in controller.sheet.rows if r.key and "#" in r.key.name]
    assert sharp  # the deck's sheet has keys with a sharp
    view.set_flat_keys(True)
    dlg = view.open_match_dialog()
    dlg.show_all_rows.setChecked(True)

    def labels():
        return " ".join(dlg.row_list.item(i).text() for i in range(dlg.row_list.count()))

    assert "#" not in labels() and "\u266d" in labels()
    view.set_flat_keys(False)  # the setting changed while the dialog is open
    assert "\u266d" not in labels() and sharp[0] in labels()
    dlg.close()


def test_match_dialog_filters_rows(qtbot, controller, deck):
    _load(qtbot, controller, deck)
    dlg = MatchDialog(controller)
    qtbot.addWidget(dlg)
    dlg.show_all_rows.setChecked(True)
    assert dlg.row_list.count() == N_SONGS + 1
    dlg.row_filter.setText("lonely")
    shown = [dlg.row_list.item(i).text() for i in range(dlg.row_list.count())
             if not dlg.row_list.item(i).isHidden()]
    assert len(shown) == 1 and "Lonely Row" in shown[0]


# ---------------------------------------------------------------- reference cells

@pytest.mark.parametrize(("est", "category", "group"), [
    (120.0, "ok", "ok"),
    (241.0, "double", "octave"),
    (61.0, "half", "octave"),
    (360.0, "triple", "metrical"),
    (180.0, "three-halves", "metrical"),
    (130.0, "wrong", "wrong"),
])
def test_tempo_cell_speaks_the_export_vocabulary(est, category, group):
    cols = reference_columns(["bpm"])
    ref = ReferenceRow(1, "Song", "", {"bpm": 120.0}, None)
    cell = reference_cells({"bpm": est}, ref, cols)["bpm_agreement"]
    assert (cell.value, cell.text, cell.category) == (category, category, category)
    assert cell.color.name() == AGREEMENT_COLORS[group]
    assert f"{est:.1f} BPM" in cell.tooltip and "4 %" in cell.tooltip


@pytest.mark.parametrize("est", [Key(9, "minor"), Key(4, "minor"), Key(0, "major"),
                                 Key(9, "major"), Key(10, "minor")])
def test_key_cell_speaks_the_export_vocabulary(est):
    from core.calibration.agreement import key_relation

    cols = reference_columns(["key"])
    ref = ReferenceRow(1, "Song", "", {}, Key(9, "minor"))
    cell = reference_cells({"key": est.name}, ref, cols)["key_relation"]
    assert cell.text == cell.category == key_relation(est, Key(9, "minor"))


def test_agreement_colors_are_green_amber_red():
    assert agreement_color("ok").name() == AGREEMENT_COLORS["same"] == "#27ae60"
    assert agreement_color("octave").name() == agreement_color("half").name() == "#f2a900"
    assert agreement_color("other").name() == agreement_color("wrong").name() == "#d64541"
    assert agreement_color("two-thirds").name() == AGREEMENT_COLORS["metrical"]
    assert agreement_color("fifth", alpha=255).alpha() == 255
    assert agreement_color("") is None


def test_agreement_color_rejects_unknown_category():
    with pytest.raises(ValueError, match="'octav'"):
        agreement_color("octav")


def test_agreement_color_rejects_bad_alpha():
    with pytest.raises(ValueError, match="300"):
        agreement_color("ok", alpha=300)


def test_reference_cells_of_a_song():
    cols = reference_columns(["bpm", "energy", "key"])
    assert [c.name for c in cols] == ["ref_bpm", "bpm_error", "bpm_agreement", "ref_energy",
                                      "energy_error", "ref_key", "key_relation"]
    ref = ReferenceRow(5, "Song", "Artist", {"bpm": 120.0, "energy": 0.5}, Key(9, "minor"))
    row = {"bpm": 241.0, "energy": 0.62, "key": "E minor"}
    cells = reference_cells(row, ref, cols)
    assert cells["ref_bpm"].text == "120.0"
    assert cells["bpm_error"].value == pytest.approx(121.0)
    assert cells["bpm_error"].text == "+121.0"
    assert cells["bpm_agreement"].category == "double"
    assert cells["bpm_agreement"].color.name() == AGREEMENT_COLORS["octave"]
    assert cells["energy_error"].text == "+0.12"
    assert cells["ref_key"].text == "A minor (8A)"
    assert cells["key_relation"].category == "fifth"
    assert "circle of fifths" in cells["key_relation"].tooltip
    empty = reference_cells(row, None, cols)
    assert all(c.value is None and c.color is None for c in empty.values())


def test_reference_cells_of_a_song_not_analyzed_yet():
    cols = reference_columns(["bpm", "key"])
    ref = ReferenceRow(2, "Song", "", {"bpm": 100.0}, Key(0, "major"))
    cells = reference_cells(None, ref, cols)
    assert cells["ref_bpm"].value == 100.0
    assert cells["bpm_error"].value is None and cells["bpm_agreement"].category == ""
    assert cells["key_relation"].category == ""


def test_reference_columns_reject_an_unknown_descriptor():
    with pytest.raises(ValueError, match="'tempo'"):
        reference_columns(["tempo"])


def test_view_rejects_an_unknown_descriptor(qtbot, controller, view, deck):
    _load(qtbot, controller, deck)
    with pytest.raises(ValueError, match="'valence'"):
        view.set_descriptor("valence")


def test_hidden_view_redraws_when_shown(qtbot, controller, view, deck):
    _load(qtbot, controller, deck)
    _fit(qtbot, controller)
    assert view.summary_model.rowCount() == 0  # hidden: nothing drawn yet
    view.show()
    qtbot.waitUntil(lambda: view.summary_model.rowCount() == 4, timeout=T)
    assert len(view.scatter_panel.scatter.getData()[0]) == N_SONGS - 1


def test_view_buttons_follow_the_state(qtbot, controller, view, deck):
    assert not view.fit_button.isEnabled() and not view.export_button.isEnabled()
    _load(qtbot, controller, deck)
    qtbot.waitUntil(lambda: view.fit_button.isEnabled(), timeout=T)
    assert view.match_button.isEnabled()
    assert view.descriptor_combo.count() == 3  # bpm, energy, loudness (key has no scatter)


def test_follow_engine_matches_songs_as_they_finish(qtbot, controller, deck, fast_settings):
    from core.io.results import SongResult
    from gui.engine import BatchEngine

    sheet, rows, _ = deck
    by_path = {r["path"]: r for r in rows[:12]}

    def analyze(path, *, settings, progress=None, should_cancel=None):
        return SongResult(**by_path[path])

    eng = BatchEngine(fast_settings, analyze=analyze)
    try:
        eng.batch.add(list(by_path))
        eng.jobsAdded.emit(0, len(by_path))
        with qtbot.waitSignal(controller.referenceLoaded, timeout=T):
            controller.load_reference(sheet)
        controller.follow_engine(eng, interval_ms=50)
        # before analysis the songs are matched from their file names
        qtbot.waitUntil(lambda: controller.match is not None
                        and controller.session.match_summary().n_matched == 12, timeout=T)
        assert controller.session.pairs("bpm")[0].size == 0  # no tempo measured yet
        with qtbot.waitSignal(eng.batchFinished, timeout=T):
            assert eng.start()
        qtbot.waitUntil(lambda: controller.session.pairs("bpm")[0].size == 12, timeout=T)
        assert controller.reference_row(7).title == "Song Number 7"
    finally:
        assert eng.shutdown(timeout_ms=5000)


def test_follow_engine_rejects_a_bad_interval(controller):
    with pytest.raises(ValueError, match="interval_ms"):
        controller.follow_engine(object(), interval_ms=0)


def test_a_controller_let_go_dies_at_once_in_the_thread_that_let_it_go(qtbot, deck,
                                                                        fast_settings):
    # Its follower holds it weakly: no reference cycle waits for the garbage collector,
    # which may run on a pool thread, where deleting a Qt object can crash.
    from gui.engine import BatchEngine

    sheet, rows, _ = deck
    eng = BatchEngine(fast_settings, analyze=lambda *a, **kw: None)
    died_on = []

    def use_then_let_go():
        c = CalibrationController()
        weakref.finalize(c, lambda: died_on.append(threading.current_thread()))
        with qtbot.waitSignal(c.referenceLoaded, timeout=T):
            c.load_reference(sheet)
        c.follow_engine(eng, interval_ms=50)
        qtbot.waitUntil(lambda: c.match is not None and not c.busy, timeout=T)
        assert c.match.n_songs == 5
        assert c.shutdown(10000)

    gc.disable()
    try:
        eng.batch.add([r["path"] for r in rows[:5]])
        use_then_let_go()
        # the carrier of its last task, deleted later, still held it through its slot
        QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
        assert died_on == [threading.main_thread()]
    finally:
        gc.enable()
        assert eng.shutdown(timeout_ms=5000)


@pytest.mark.parametrize("window", [CalibrationView, MatchDialog])
def test_a_window_let_go_lets_its_controller_go_at_once(qtbot, deck, window):
    # the slots of the view and of the match dialog hold them (methods, not lambdas whose
    # closure held them), so a window and its controller make no cycle for the garbage
    # collector to free
    died_on = []

    def show_then_let_go():
        c = CalibrationController()
        weakref.finalize(c, lambda: died_on.append(threading.current_thread()))
        _load(qtbot, c, deck)
        w = window(c)
        w.show()
        c.fitted.emit(None)  # its slots run while it lives
        c.matched.emit(c.session.match_summary())
        c.busyChanged.emit(False)
        assert c.shutdown(5000)
        w.close()

    gc.disable()
    try:
        show_then_let_go()
        QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
        assert died_on == [threading.main_thread()]
    finally:
        gc.enable()


def test_a_follower_whose_controller_is_gone_stops(qtbot):
    from gui.calibration_follower import EngineFollower

    class Owner:
        def __init__(self):
            self.calls = 0

        def set_results(self, rows, *, keys=None):
            self.calls += 1

    class Engine:
        def __init__(self):
            self.batch, self.identity = type("B", (), {"jobs": []})(), {}

    owner, engine = Owner(), Engine()
    follower = EngineFollower(owner.set_results)
    follower.follow(engine, interval_ms=20)
    assert owner.calls == 1
    engine.identity["x"] = ("t", "a")  # a change: passed on while the owner lives
    assert follower.sync() and owner.calls == 2
    del owner
    engine.identity["y"] = ("t", "a")
    assert not follower.sync()
    assert not follower._timer.isActive()


def test_new_results_keep_the_shown_pairs_until_matched_again(qtbot, controller, deck):
    _load(qtbot, controller, deck)
    rows = deck[1]
    controller.set_results(rows[30:])  # a shorter, shifted deck; matching runs meanwhile
    assert controller.match.n_songs == N_SONGS - 30
    assert controller.reference_row(0).title == "Song Number 30"
    assert controller.session.pairs("bpm")[0].size == N_SONGS - 30 - 1
    qtbot.waitUntil(lambda: not controller.busy, timeout=T)
    assert controller.reference_row(0).title == "Song Number 30"


def test_histogram_bars_are_coloured_by_agreement(qtbot, controller, view, deck):
    _load(qtbot, controller, deck)
    view.refresh()
    centers, _ = view.ratio_panel.counts()
    brushes = view.ratio_panel.bars.opts["brushes"]
    color = {round(float(c), 3): b.color().name() for c, b in zip(centers, brushes,
                                                                    strict=True)}
    assert color[0.0] == AGREEMENT_COLORS["ok"]
    assert color[1.0] == color[-1.0] == AGREEMENT_COLORS["octave"]


def test_match_dialog_tips_show_titles_with_markup_as_written(qtbot, controller, deck):
    sheet, rows, _ = deck
    rows = [dict(r) for r in rows]
    rows[0]["title"] = "<b>Song</b> Number 0"  # still matches its row by title
    controller.set_results(rows)
    with qtbot.waitSignal(controller.matched, timeout=T):
        controller.load_reference(sheet)
    dlg = MatchDialog(controller)
    qtbot.addWidget(dlg)
    dlg.show_all_rows.setChecked(True)
    tips = [dlg.row_list.item(i).toolTip() for i in range(dlg.row_list.count())]
    tip = next(t for t in tips if "Number 0 - " in t)
    if QtGui.mightBeRichText(tip):
        doc = QTextDocument()
        doc.setHtml(tip)
        tip = doc.toPlainText()
    assert "now paired with #1  <b>Song</b> Number 0" in tip


def test_a_value_from_outside_the_fitted_range_is_marked_in_the_values_table(
        qtbot, controller, view, deck, tmp_path):
    sheet, rows, truth = deck
    # the unpaired song is far quieter than any song the profile is fitted on
    rows = [dict(r, loudness_lufs=-45.0) if i == GARBLED else r for i, r in enumerate(rows)]
    _load(qtbot, controller, (sheet, rows, truth))
    with qtbot.waitSignal(controller.exported, timeout=T) as blocker:
        controller.export(tmp_path)
    with qtbot.waitSignal(controller.profileApplied, timeout=T) as applied:
        controller.apply_profile(blocker.args[0]["profile"])
    assert [i for i, r in enumerate(applied.args[0].rows) if r["outside_fit"]] == [GARBLED]
    view.refresh()
    assert ("1 song has values outside the range the profile was fitted on"
            in view.profile_label.text())
    m = view.values_model
    loud, energy = 4 + m.columns.index("loudness_lufs"), 4 + m.columns.index("energy")
    low, high = (f"{v:.4g}" for v in
                 controller.session.applied.profile.fitted_ranges["loudness_lufs"][
                     "loudness_lufs"])
    tip = m.index(GARBLED, loud).data(Qt.ItemDataRole.ToolTipRole)
    assert (f"outside the fitted range: analyzer value -45, the profile was fitted on {low} "
            f"to {high} LUFS") in tip
    assert m.index(GARBLED, loud).data(Qt.ItemDataRole.ForegroundRole) is not None
    for cell in (m.index(GARBLED, energy), m.index(0, loud)):
        assert cell.data(Qt.ItemDataRole.ForegroundRole) is None
        assert "outside" not in cell.data(Qt.ItemDataRole.ToolTipRole)
    with qtbot.waitSignal(controller.exported, timeout=T):
        controller.export_calibrated(tmp_path / "cal.csv")
    with open(tmp_path / "cal.csv", encoding="utf-8-sig") as f:
        exported = list(csv.DictReader(f))
    assert [i for i, r in enumerate(exported) if r["outside_fit"]] == [GARBLED]
    assert exported[GARBLED]["outside_fit"] == "loudness_lufs"


def test_the_scatter_choice_and_the_sheets_warnings_read_as_words(qtbot, controller, view,
                                                                 tmp_path):
    """No sheet: the Scatter choice is disabled and says why (it was an empty box); a
    sheet with one warning says '1 warning', not 'warning(s)'."""
    combo = view.descriptor_combo
    assert not combo.isEnabled() and combo.count() == 0
    assert combo.placeholderText() == "no sheet yet"
    sheet = tmp_path / "one_bad_cell.csv"
    sheet.write_text("Title,Artist,BPM,Energy\nA,x,120,0.2\nB,y,fast,0.5\nC,z,96,0.9\n")
    with qtbot.waitSignal(controller.referenceLoaded, timeout=T):
        controller.load_reference(str(sheet))
    qtbot.waitUntil(lambda: combo.count() > 0, timeout=T)
    assert combo.isEnabled()
    text = view.status_label.text()
    assert text.endswith(" - 1 warning"), text
    assert controller.sheet.warnings[0].startswith("1 cell left out of the fit")


def test_the_tabs_coloured_text_reads_on_its_rows(qtbot, controller, view, deck, tmp_path):
    """Every coloured text of the Calibration tab (a better or worse error after the fit,
    kept or not, a warning) has at least 4.5:1 on what it is written on (WCAG AA); the
    grey 'no' of Kept was 3.5:1, the green and red 4.3-4.6:1, the warning 3.7:1."""
    from gui.song_paint import contrast_ratio

    _load(qtbot, controller, deck)
    _fit(qtbot, controller)
    view.refresh()
    palette = view.summary_table.palette()
    rows = [palette.color(palette.ColorRole.Base), palette.color(palette.ColorRole.AlternateBase)]
    model = view.summary_model
    colours = set()
    for r in range(model.rowCount()):
        for c in range(model.columnCount()):
            brush = model.index(r, c).data(Qt.ItemDataRole.ForegroundRole)
            if brush is not None:
                colours.add(brush.color().name())
    assert len(colours) >= 2  # the kept 'yes' and 'no' at least
    for name in colours:
        for row in rows:
            assert contrast_ratio(QColor(name), row) >= 4.5, (name, row.name())
    sheet = tmp_path / "one_bad_cell.csv"
    sheet.write_text("Title,Artist,BPM\nA,x,120\nB,y,fast\nC,z,96\n")
    with qtbot.waitSignal(controller.referenceLoaded, timeout=T):
        controller.load_reference(str(sheet))
    label = view.status_label
    qtbot.waitUntil(lambda: "warning" in label.text(), timeout=T)
    label.ensurePolished()
    text = label.palette().color(label.foregroundRole())
    ground = view.palette().color(view.backgroundRole())
    assert text != QColor("black") and contrast_ratio(text, ground) >= 4.5, text.name()


def test_key_cells_of_a_sharp_key_give_its_flat_spelling_in_their_tips():
    cols = reference_columns(["key"])
    ref = ReferenceRow(3, "Song", "", {}, Key(10, "minor"))
    cells = reference_cells({"key": "C# major"}, ref, cols)
    assert cells["ref_key"].text == "A# minor (3A)"  # the cell itself keeps the sharp
    assert "A# minor (B\u266d minor)" in cells["ref_key"].tooltip
    assert cells["key_relation"].tooltip.startswith(
        "analyzer C# major (D\u266d major) vs reference A# minor (B\u266d minor): relative")
    plain = reference_cells({"key": "C major"}, ReferenceRow(4, "Song", "", {}, Key(9, "minor")),
                            cols)
    assert plain["key_relation"].tooltip.startswith("analyzer C major vs reference A minor:")
