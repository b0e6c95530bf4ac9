"""Process-wide settings are made once at start-up, not by importing or building widgets."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import pytest

from core.settings import AnalysisSettings
from gui import startup

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _run(code: str) -> dict:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    out = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], cwd=ROOT, env=env,
                         capture_output=True, text=True, timeout=120, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_importing_the_window_changes_no_process_setting():
    got = _run("""
        import json, sys
        before = sys.getswitchinterval()
        import pyqtgraph as pg
        defaults = {k: pg.getConfigOption(k) for k in ("antialias", "background", "foreground")}
        import gui.main_window, gui.plots, gui.calibration_view  # noqa: F401
        after = {k: pg.getConfigOption(k) for k in defaults}
        switch_unchanged = sys.getswitchinterval() == before
        from gui import startup
        startup.configure_process()
        print(json.dumps({"unchanged": after == defaults,
                          "switch_unchanged": switch_unchanged,
                          "configured": {k: pg.getConfigOption(k) for k in defaults},
                          "switch": sys.getswitchinterval()}))
    """)
    assert got["unchanged"] and got["switch_unchanged"]
    assert got["configured"] == startup.PLOT_OPTIONS
    assert got["switch"] <= startup.SWITCH_INTERVAL_S


def test_configure_process_is_in_effect_for_the_tests():
    import pyqtgraph as pg

    assert {k: pg.getConfigOption(k) for k in startup.PLOT_OPTIONS} == startup.PLOT_OPTIONS
    assert sys.getswitchinterval() <= startup.SWITCH_INTERVAL_S


@pytest.mark.parametrize("attr", ["done_curve", "budget_curve", "limit_curve"])
def test_live_curves_are_drawn_without_antialiasing(make_window, attr):
    w = make_window(AnalysisSettings(workers=2))
    assert getattr(w.plots, attr).opts["antialias"] is False


def test_calibration_plots_ask_for_antialiasing(make_window):
    w = make_window(AnalysisSettings(workers=2))
    panel = w.calibration_view.scatter_panel
    assert panel.scatter.opts["antialias"] is True
    assert panel.correction_curve.opts["antialias"] is True


def test_preload_imports_the_analysis_off_the_main_thread_with_no_collection_meanwhile():
    got = _run("""
        import gc, json, sys, threading
        from gui import startup
        assert "numba" not in sys.modules and "core.analysis.analyze" not in sys.modules
        seen = []
        real = startup.importlib.import_module
        startup.importlib.import_module = lambda name: seen.append(
            threading.current_thread() is threading.main_thread()) or real(name)
        frozen = gc.get_freeze_count()
        before = [s["collections"] for s in gc.get_stats()]
        startup.preload_analysis().join(120)
        after = [s["collections"] for s in gc.get_stats()]
        print(json.dumps({"loaded": [m in sys.modules for m in (
                              "core.analysis.analyze", "librosa.filters", "numba")],
                          "on_main": any(seen), "n": len(seen),
                          "collections": [a - b for a, b in zip(after, before)],
                          "enabled": gc.isenabled(),
                          "frozen": gc.get_freeze_count() - frozen}))
    """)
    assert got["loaded"] == [True, True, True]
    assert got["n"] >= len(startup.ANALYSIS_IMPORTS) and not got["on_main"]
    assert got["collections"] == [0, 0, 0]  # the collector was paused ...
    assert got["enabled"]  # ... and runs again
    assert got["frozen"] > 100_000  # what the imports made is out of full collections


def test_the_window_preloads_the_analysis(qapp, wav_deck, monkeypatch):
    import threading

    import gui.app

    calls = []

    def preload():
        calls.append(True)
        thread = threading.Thread(target=lambda: None)
        thread.start()
        return thread

    monkeypatch.setattr(startup, "preload_analysis", preload)
    deck, _paths = wav_deck
    assert gui.app.run_gui([str(deck), "--start", "--quit-when-done", "--workers", "1"]) == 0
    assert calls == [True]


def test_made_to_last_pauses_the_collector_then_freezes_what_the_block_made():
    got = _run("""
        import gc, json, weakref
        from gui import startup

        class Song:
            pass

        states, kept = [], []
        for enabled in (True, False):
            (gc.enable if enabled else gc.disable)()
            frozen = gc.get_freeze_count()
            with startup.made_to_last():
                paused = not gc.isenabled()
                made = [Song() for _ in range(1000)]
            states.append([paused, gc.isenabled(), gc.get_freeze_count() - frozen >= 1000])
            kept.append(made)
        gc.enable()
        ref = weakref.ref(made[0])
        del made, kept
        print(json.dumps({"states": states, "freed": ref() is None}))
    """)
    assert got["states"] == [[True, True, True], [True, False, True]]
    assert got["freed"]  # frozen objects are still freed once nothing refers to them
