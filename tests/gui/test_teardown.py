"""What a test made dies within that test: nothing it deleted later reaches the next one.

pytest-qt closes the widgets a test registered and deletes them later (``deleteLater``);
outside an event loop Qt holds such deletions until a loop runs, which used to be inside the
next test's first wait, in the middle of its work.  The window tests' conftest flushes them
at each test's end (:func:`tests.gui.conftest.flush_deferred_deletes`).

The tests here run in file order: the first makes a window (its calibration controller and
view inside) and a view of a controller of its own, the second counts what is still alive.
"""

from __future__ import annotations

import threading

from PySide6.QtWidgets import QApplication

from gui.calibration_controller import CalibrationController
from gui.calibration_view import CalibrationView
from gui.main_window import MainWindow

#: label -> number of the objects of the first test not destroyed yet
_alive: dict[str, int] = {}
#: label -> the threads that destroyed them
_destroyed_on: dict[str, list[str]] = {}


def _track(obj, label: str) -> None:
    _alive[label] = _alive.get(label, 0) + 1

    def gone(*_):
        _alive[label] -= 1
        _destroyed_on.setdefault(label, []).append(threading.current_thread().name)

    obj.destroyed.connect(gone)


def _live_widgets() -> dict[str, int]:
    widgets = QApplication.allWidgets()
    return {"window": sum(isinstance(w, MainWindow) for w in widgets),
            "view": sum(isinstance(w, CalibrationView) for w in widgets)}


def test_a_window_and_a_view_are_made_and_let_go(qtbot, make_window, fast_settings):
    before = _live_widgets()
    w = make_window(fast_settings)
    _track(w, "window")
    _track(w.calibration, "window's controller")
    _track(w.calibration_view, "window's view")
    controller = CalibrationController()
    view = CalibrationView(controller)
    qtbot.addWidget(view)
    view.show()
    _track(controller, "controller")
    _track(view, "view")
    assert _live_widgets() == {"window": before["window"] + 1, "view": before["view"] + 2}
    assert all(n == 1 for n in _alive.values())
    assert controller.shutdown(5000)


def test_nothing_of_the_test_before_is_alive_when_the_next_begins():
    assert _alive, "the test before did not run (the tests of this file run in order)"
    assert _alive == dict.fromkeys(_alive, 0), f"still alive: {_alive}"
    assert all(names == ["MainThread"] for names in _destroyed_on.values()), _destroyed_on
    assert _live_widgets() == {"window": 0, "view": 0}
