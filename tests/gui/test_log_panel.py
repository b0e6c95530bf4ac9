"""The Log tab: records from the loggers, newest line followed, the start of lines kept."""

import logging

import pytest
from PySide6.QtWidgets import QLabel, QTabWidget

from gui.log_panel import LogPanel


@pytest.fixture
def tabs(qtbot):
    """A Log panel as the window has it: the second tab, hidden until chosen."""
    tabs = QTabWidget()
    qtbot.addWidget(tabs)
    panel = LogPanel(loggers=("songcal.test.logpanel",))
    tabs.addTab(QLabel("plots"), "Batch Plots")
    tabs.addTab(panel, "Log")
    tabs.resize(420, 200)
    tabs.show()
    yield tabs, panel, logging.getLogger("songcal.test.logpanel")
    panel.detach()


def test_a_long_line_logged_while_hidden_does_not_scroll_the_log_sideways(qtbot, tabs):
    tabs, panel, log = tabs
    log.info("loading reference sheet s.csv")
    log.warning("reference sheet s.csv: " + "a cell left out of the fit, " * 20)
    qtbot.wait(20)
    tabs.setCurrentIndex(1)
    qtbot.wait(20)
    bar = panel.horizontalScrollBar()
    assert bar.maximum() > 0  # the line is wider than the panel
    assert bar.value() == 0  # every line shows its time and level
    assert panel.toPlainText().splitlines()[-1].startswith("\u26a0 ")


def test_the_newest_line_is_followed_unless_the_user_scrolled_up(qtbot, tabs):
    tabs, panel, log = tabs
    tabs.setCurrentIndex(1)
    for i in range(100):
        log.info("song %d done", i)
    qtbot.wait(20)
    bar = panel.verticalScrollBar()
    assert bar.maximum() > 0 and bar.value() == bar.maximum()
    bar.setValue(3)  # reading older lines
    for i in range(20):
        log.warning("song %d: %s", i, "long " * 60)
    qtbot.wait(20)
    assert bar.value() == 3 and panel.horizontalScrollBar().value() == 0


def test_an_empty_log_says_what_it_will_list(qtbot, tabs):
    tabs, panel, log = tabs
    assert panel.toPlainText() == ""
    assert panel.placeholderText().startswith("Nothing logged yet")
    assert "failures, stalls" in panel.placeholderText()
    log.info("scan: 3 added")
    qtbot.waitUntil(lambda: "scan: 3 added" in panel.toPlainText(), timeout=1000)
