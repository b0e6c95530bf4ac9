"""The Calibration tab's scatter and summary for what the fit sets apart: outlying songs
(crosses, a legend entry, a count in the title) and a reference on a scale of its own (a
Mixed In Key energy level 1-10, named on its axis and in the table)."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt

from core.calibration.reference import parse_reference_text
from core.calibration.session import CalibrationOptions, CalibrationSession
from gui.calibration_plots import OUTLYING_LEGEND, ScatterPanel
from gui.calibration_summary import CalibrationSummaryModel
from gui.calibration_values import CalibratedValuesModel
from tests.core.test_mixed_in_key import mik_deck

BAD = (4, 9, 20)


def _loudness_with_outliers():
    """34 songs read 1.5 LU above the sheet, 3 of them as 0 LUFS: fitted."""
    rng = np.random.default_rng(11)
    ref = rng.normal(-8.0, 1.5, 34)
    lines, rows = ["Song,Artist,Loudness"], []
    for i in range(34):
        lines.append(f"Song Number {i},Artist {i % 5},{ref[i]:.1f}")
        loud = 0.0 if i in BAD else round(ref[i], 1) + 1.5 + rng.normal(0, 0.3)
        rows.append({"path": f"/deck/{i:02d}.wav", "title": f"Song Number {i}",
                     "artist": f"Artist {i % 5}", "status": "done", "loudness_lufs": loud})
    s = CalibrationSession(options=CalibrationOptions(learned=False))
    s.set_results(rows)
    s.set_reference(parse_reference_text("\n".join(lines) + "\n", name="sheet.csv"))
    s.fit()
    return s


def _legend(panel) -> list[str]:
    return [label.text for _, label in panel.legend.items]


def test_outlying_songs_are_crosses_in_the_scatter_counted_in_its_title(qtbot):
    panel = ScatterPanel()
    qtbot.addWidget(panel)
    session = _loudness_with_outliers()
    panel.show_descriptor(session, "loudness_lufs")
    assert "3 outlying songs" in panel.plot.plotItem.titleLabel.text
    assert "3 outlying songs" in panel.plot.accessibleName()
    apart = sorted(int(i) for i in panel.outlying.data["data"])
    assert apart == list(BAD)
    x, y = panel.outlying.getData()
    assert np.all(x == 0)  # the songs read as 0 LUFS
    kept = {int(i) for i in panel.scatter.data["data"]}
    assert len(kept) == 31 and not kept & set(BAD)  # each song drawn once
    assert OUTLYING_LEGEND in _legend(panel)
    # a column without outlying songs: no crosses, no legend entry, no count
    panel.clear()
    assert OUTLYING_LEGEND not in _legend(panel)
    assert not len(panel.outlying.data)


def test_a_mixed_in_key_energy_is_drawn_on_its_own_scale(qtbot):
    results, text, _ = mik_deck()
    s = CalibrationSession(options=CalibrationOptions(learned=False))
    s.set_results(results)
    s.set_reference(parse_reference_text(text, name="mik.csv"))
    s.fit()
    panel = ScatterPanel()
    qtbot.addWidget(panel)
    panel.show_descriptor(s, "energy")
    assert panel.plot.getAxis("left").labelText == "reference energy (Mixed In Key 1\u201310)"
    assert panel.plot.getAxis("bottom").labelText == "analyzer energy (0-1)"
    (x_lo, x_hi), (y_lo, y_hi) = panel.plot.viewRange()
    assert y_lo < 1 and y_hi > 10 and y_hi - y_lo < 11  # 1-10, not 0-10 shared with x
    assert -0.1 < x_lo and x_hi < 1.1
    assert panel.identity_line.getData()[0] is None or not len(panel.identity_line.getData()[0])
    assert OUTLYING_LEGEND not in _legend(panel)
    # the table names the scale beside the column
    model = CalibrationSummaryModel()
    model.set_rows(s.summary())
    r = next(i for i in range(model.rowCount()) if model.summary(i).descriptor == "energy")
    assert model.index(r, 0).data(Qt.ItemDataRole.DisplayRole) == \
        "Energy (Mixed In Key 1\u201310)"

    # and the calibrated values' header names the scale they are on
    values = CalibratedValuesModel()
    values.set_rows(s.calibrated_rows(), profile=s.current_profile(),
                    paired=[True] * len(s.rows))
    headers = [values.headerData(i, Qt.Orientation.Horizontal)
               for i in range(values.columnCount())]
    assert "Energy (Mixed In Key 1\u201310, calibrated)" in headers
    assert "Tempo BPM (calibrated)" in headers
