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
