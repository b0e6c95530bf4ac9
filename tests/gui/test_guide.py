"""In-app explanation: column tips in words (not internal names), the guide, the keyboard
shortcuts, the calibration table's header tips and the scatter's point tips."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction

from core.analysis.descriptors import DEFINITIONS
from core.calibration.session import CalibrationSession
from core.settings import AnalysisSettings
from gui.calibration_plots import ScatterPanel
from gui.calibration_summary import CalibrationSummaryModel
from gui.guide import GuideDialog, ShortcutsDialog, guide_html, shortcut_rows
from gui.song_columns import COLUMN_NAMES, HEADERS
from tests.gui.calibration_data import make_deck


def test_every_column_tip_explains_the_column_in_words(make_window):
    w = make_window(AnalysisSettings(workers=1))
    model = w.model
    for col, name in enumerate(COLUMN_NAMES):
        tip = model.headerData(col, Qt.Orientation.Horizontal, Qt.ItemDataRole.ToolTipRole)
        assert tip and tip.startswith(HEADERS[col]), name
        assert name not in tip or name in ("key", "bpm", "note", "status", "file", "title",
                                           "artist", "worker", "chunk", "progress"), tip
    dance = COLUMN_NAMES.index("danceability")
    tip = model.headerData(dance, Qt.Orientation.Horizontal, Qt.ItemDataRole.ToolTipRole)
    assert tip == f"Dance (0-1): {DEFINITIONS['danceability'][1]}"
    camelot = COLUMN_NAMES.index("key_camelot")
    assert "Camelot wheel" in model.headerData(camelot, Qt.Orientation.Horizontal,
                                               Qt.ItemDataRole.ToolTipRole)


def test_guide_explains_descriptors_budgets_stalls_and_the_calibration_table(qtbot):
    text = guide_html()
    for name, (_scale, meaning) in DEFINITIONS.items():
        assert meaning.replace("&", "&amp;") in text, name
    for words in ("time budget", "hard limit", "Give It More Time", "a negative r",
                  "cross-validation", "Acc1", "MIREX", "Open Demo Deck"):
        assert words in text, words
    dlg = GuideDialog()
    qtbot.addWidget(dlg)
    assert "Valence" in dlg.browser.toPlainText()


def test_help_menu_opens_the_guide_and_lists_the_shortcuts(qtbot, make_window, monkeypatch):
    w = make_window(AnalysisSettings(workers=1))
    w.guide_action.trigger()
    assert w._guide.isVisible()
    w._guide.close()
    rows = dict(shortcut_rows(w.findChildren(QAction)))
    assert rows["Start"] == "F5" and rows["Preview Song"] == "Ctrl+P"
    assert rows["Give It More Time"] == "Ctrl+T" and rows["Tempo \u00d72"] == "Ctrl+Shift+Up"
    shown = []
    monkeypatch.setattr(ShortcutsDialog, "exec", lambda self: shown.append(
        self.table.rowCount()))
    w.shortcuts_action.trigger()
    assert shown == [len(rows)]


def test_calibration_header_tips_explain_r2_and_mae():
    model = CalibrationSummaryModel()
    tips = [model.headerData(c, Qt.Orientation.Horizontal, Qt.ItemDataRole.ToolTipRole)
            for c in range(model.columnCount())]
    headers = CalibrationSummaryModel.HEADERS
    assert "negative r\u00b2" in tips[headers.index("r² (CV)")]
    assert "cross-validation" in tips[headers.index("MAE after (CV)")]


def test_scatter_points_name_their_song(qtbot, tmp_path):
    sheet, rows, _truth = make_deck(tmp_path, n=24)
    session = CalibrationSession()
    session.set_reference(sheet)
    session.set_results(rows)
    session.rematch()
    panel = ScatterPanel()
    qtbot.addWidget(panel)
    panel.show_descriptor(session, "energy")
    assert panel.scatter.opts["hoverable"]
    spot = panel.scatter.points()[0]
    tip = panel.scatter.opts["tip"](x=spot.pos().x(), y=spot.pos().y(), data=spot.data())
    row = rows[int(spot.data())]
    assert tip.startswith(f"{row['title']} \u2014 {row['artist']}\n")
    assert "analyzer" in tip and "reference" in tip
