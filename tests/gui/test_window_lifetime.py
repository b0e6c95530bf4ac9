"""A window let go dies at once, with its last reference, not later by the garbage collector.

Nothing in the window may hold it (or one of its parts) back in a reference cycle: a lambda
holding the window connected to a signal of one of its children, a bound method of the
window kept by a child, a child holding its parent.  A window kept by such a cycle lives on
until the garbage collector runs, which may be in another test, on any thread, with its Qt
objects already half destroyed.
"""

from __future__ import annotations

import gc
import weakref

import pytest

from core.paths import demo_deck
from gui.calibration_plots import ScatterPanel
from gui.formatting import plain_tip
from gui.main_window import MainWindow
from gui.song_filter import SongFilterProxy
from gui.song_table import SongTableModel
from gui.song_view import SongTableView
from tests.gui.conftest import FakeAnalyzer, flush_deferred_deletes


@pytest.fixture
def no_collector():
    """The garbage collector off for the test: what dies, dies by its reference count."""
    gc.collect()
    gc.disable()
    yield
    gc.enable()


def _use_a_window(qtbot, settings) -> dict[str, weakref.ref]:
    """Open a window, calibrate the demo deck in it (songs analyzed by a fake), use its menus
    and close it; returns weak references to it and its main parts."""
    folder, sheet = demo_deck()
    w = MainWindow(settings, analyze=FakeAnalyzer(n_chunks=1, step_s=0.001), remember=False)
    w.confirm_quit = False
    w.show()
    with qtbot.waitSignal(w.calibration.referenceLoaded, timeout=20_000):
        w.load_reference(sheet)
    with qtbot.waitSignal(w.engine.scanFinished, timeout=20_000):
        w.add_paths([folder])
    assert len(w.engine.batch.jobs) >= 4
    with qtbot.waitSignal(w.engine.batchFinished, timeout=60_000):
        assert w.engine.start()
    qtbot.waitUntil(lambda: w.calibration.match is not None and not w.calibration.busy,
                    timeout=20_000)
    w.table.selectRow(0)
    w.key_menu()
    for menu in (w.view_menu, w.tempo_levels_action.menu()):
        menu.aboutToShow.emit()
    w.view_menu.actions()[1].trigger()  # Show Batch Plots
    assert w.bottom_tabs.currentIndex() == 1
    parts = {"window": w, "engine": w.engine, "calibration": w.calibration,
             "calibration view": w.calibration_view, "library": w.library, "table": w.table,
             "plots": w.plots, "scatter panel": w.calibration_view.scatter_panel}
    w.close()
    return {name: weakref.ref(part) for name, part in parts.items()}


def test_a_window_let_go_dies_without_the_garbage_collector(qtbot, fast_settings,
                                                            no_collector):
    refs = _use_a_window(qtbot, fast_settings)
    flush_deferred_deletes()  # what the window deleted later (task carriers, dialogs)
    alive = [name for name, ref in refs.items() if ref() is not None]
    assert alive == []


def test_a_song_table_view_let_go_dies_with_its_frozen_columns(qapp, no_collector):
    # the overlay of the frozen columns calls back into the view it lies over
    from gui.engine import BatchEngine

    engine = BatchEngine(None, analyze=lambda *a, **kw: None)
    proxy = SongFilterProxy()
    proxy.setSourceModel(SongTableModel(engine, proxy))
    view = SongTableView()
    view.setModel(proxy)
    assert view.frozen.main is view
    refs = weakref.ref(view), weakref.ref(view.frozen)
    del view
    assert [ref() for ref in refs] == [None, None]
    assert engine.shutdown(timeout_ms=5000)


def test_a_scatter_panel_let_go_dies_though_its_points_tell_their_song(qapp, no_collector):
    # the points' hover text comes from the panel, through a function the plot item keeps
    panel = ScatterPanel()
    told = panel.scatter.opts["tip"](x=1.0, y=2.0, data=0)
    assert told.startswith("song 0") and told == plain_tip(panel.point_tip(0, 1.0, 2.0))
    assert panel.outlying.opts["tip"](x=1.0, y=2.0, data=0).endswith(
        "Outlying: left out of the verdict")
    tip = panel.scatter.opts["tip"]
    ref = weakref.ref(panel)
    del panel
    assert ref() is None
    assert tip(x=1.0, y=2.0, data=0) == ""
