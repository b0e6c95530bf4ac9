"""The demo deck: ``songcal --demo`` and Help > Open Demo Deck, on the real bundled songs."""

from __future__ import annotations

import json
import os

from core.cli.main import main
from core.io.csvio import read_csv_rows
from core.paths import demo_deck
from core.settings import AnalysisSettings


def _menu_action(window, text):
    for menu_action in window.menuBar().actions():
        for action in menu_action.menu().actions():
            if action.text() == text:
                return action
    raise AssertionError(f"no menu action {text!r}")


def test_songcal_demo_analyzes_calibrates_exports_and_quits(qapp, tmp_path):
    out = tmp_path / "exports"
    code = main(["--demo", "--export-dir", str(out), "--quit-when-done", "--workers", "2"])
    assert code == 0
    folder, sheet = demo_deck()
    (made,) = os.listdir(out)  # a new folder named after the moment
    assert made.startswith("songcal-export-")
    out = out / made
    _, rows = read_csv_rows(out / "results.csv")
    _, ref_rows = read_csv_rows(sheet)
    assert len(rows) == len(ref_rows) >= 4
    assert {r["status"] for r in rows} == {"done"}
    assert all(r["path"].startswith(folder) for r in rows)
    _, cal = read_csv_rows(out / "results_calibration.csv")
    assert {"bpm", "loudness_lufs", "energy"} <= {r["descriptor"] for r in cal}
    profile = json.loads((out / "results_profile.json").read_text(encoding="utf-8"))
    assert profile["descriptors"]  # the demo sheet's loudness is offset: a kept correction
    _, paired = read_csv_rows(out / "results_paired.csv")
    assert len(paired) == len(rows)


def test_help_open_demo_deck_fits_and_shows_the_calibration(qtbot, make_window):
    w = make_window(AnalysisSettings(workers=2))
    action = _menu_action(w, "Open &Demo Deck")
    with qtbot.waitSignal(w.calibration.fitted, timeout=180_000):
        action.trigger()
    qtbot.waitUntil(lambda: w.bottom_tabs.currentWidget() is w._calibration_holder,
                    timeout=5000)
    n_songs = len(read_csv_rows(demo_deck()[1])[1])
    assert len(w.engine.batch.jobs) == n_songs
    assert w.calibration.session.calibration is not None
    assert w.calibration.match is not None and len(w.calibration.match.matches) == n_songs
    assert "calibrated" in w.statusBar().currentMessage()


def test_demo_refuses_while_a_batch_runs(qtbot, make_window, wav_deck):
    from tests.gui.conftest import FakeAnalyzer

    fake = FakeAnalyzer(block_on="001")
    w = make_window(AnalysisSettings(workers=1), analyze=fake)
    deck, _ = wav_deck
    with qtbot.waitSignal(w.engine.scanFinished, timeout=10_000):
        w.add_paths([str(deck)])
    assert w.engine.start()
    qtbot.waitUntil(fake.blocked.is_set, timeout=10_000)
    from gui.demo import DemoRun

    run = DemoRun(w)
    with qtbot.waitSignal(run.finished, timeout=5000) as sig:
        assert run.start() is False
    assert sig.args == [False]
    assert "Cancel the running batch" in w.statusBar().currentMessage()
    fake.release()
    with qtbot.waitSignal(w.engine.batchFinished, timeout=30_000):
        pass
