"""The Set Tempo dialog: tapping a tempo, and the Play button's request."""

from __future__ import annotations

import pytest

from gui.tempo_dialog import TAP_KEEP, TAP_PAUSE_S, SetTempoDialog, TapTempo


def _taps(times):
    t = TapTempo(clock=lambda: 0.0)
    return [t.tap(at) for at in times], t


def test_three_steady_taps_give_their_tempo():
    bpms, t = _taps([0.0, 0.5, 1.0])
    assert bpms[:2] == [None, None] and bpms[2] == pytest.approx(120.0)
    assert t.count == 3


def test_one_late_tap_does_not_move_the_tempo():
    bpms, _ = _taps([0.0, 0.5, 1.0, 1.62, 2.0, 2.5, 3.0])
    assert bpms[-1] == pytest.approx(120.0)


def test_a_pause_starts_a_new_count():
    bpms, t = _taps([0.0, 0.5, 1.0, 1.0 + TAP_PAUSE_S + 0.1])
    assert bpms[-1] is None and t.count == 1
    bpms, t = _taps([0.0, 0.5, 1.0, 1.0 + TAP_PAUSE_S])  # a pause of exactly 2 s still counts
    assert bpms[-1] == pytest.approx(60.0 / 0.5) and t.count == 4


def test_a_clock_that_goes_back_starts_a_new_count():
    bpms, t = _taps([10.0, 10.5, 11.0, 3.0])
    assert bpms[-1] is None and t.count == 1


def test_the_latest_taps_follow_a_new_tempo():
    times = [0.5 * i for i in range(12)]
    times += [times[-1] + 0.4 * (i + 1) for i in range(TAP_KEEP)]
    bpms, t = _taps(times)
    assert bpms[11] == pytest.approx(120.0)
    assert bpms[-1] == pytest.approx(150.0) and t.count == TAP_KEEP


def test_the_dialog_shows_the_tapped_tempo_and_refuses_one_out_of_range(qtbot):
    now = [0.0]
    dlg = SetTempoDialog(1, 97.0, (10.0, 600.0), can_play=True, clock=lambda: now[0])
    qtbot.addWidget(dlg)
    assert dlg.value() == 97.0 and dlg.play_button.isVisibleTo(dlg)
    assert dlg.tap_label.text().startswith("Press Play, then tap")
    dlg.show()
    dlg.activateWindow()
    dlg.play_button.click()
    assert dlg.focusWidget() is dlg.tap_button  # Space taps after Play
    for i in range(3):
        now[0] = 0.4 * i
        dlg.tap_button.click()
    assert dlg.value() == pytest.approx(150.0)
    assert dlg.tap_label.text() == "3 taps: 150.0 BPM."
    now[0] = 0.8 + 0.41  # a fourth tap a little late: the median keeps 150
    dlg.tap_button.click()
    assert dlg.value() == 150.0
    now[0] = 1.21 + 0.404
    dlg.tap_button.click()
    assert dlg.value() == 149.3  # to a tenth: 60 over the median gap, 0.402 s
    now[0] = 2.0
    for i in range(3):  # far too fast: 1,200 BPM (a new count after the pause)
        now[0] = 5.0 + 0.05 * i
        dlg.tap_button.click()
    assert dlg.value() == 149.3  # kept
    assert "1200.0 BPM is outside 10\u2013600" in dlg.tap_label.text()
    now[0] = 60.0
    dlg.tap_button.click()
    assert dlg.tap_label.text() == "1 tap: 2 more to give a tempo."
    now[0] = 60.4
    dlg.tap_button.click()
    assert dlg.tap_label.text() == "2 taps: 1 more to give a tempo."


def test_the_dialog_starts_inside_its_limits_and_asks_to_play(qtbot):
    dlg = SetTempoDialog(3, 900.0, (10.0, 600.0))
    qtbot.addWidget(dlg)
    assert dlg.value() == 600.0 and not dlg.play_button.isVisibleTo(dlg)
    assert dlg.tap_label.text().startswith("Tap along")
    with qtbot.waitSignal(dlg.playRequested, timeout=1000):
        dlg.play_button.click()
    dlg.set_playing(True)
    assert "Stop" in dlg.play_button.text()
    dlg.set_playing(False)
    assert "Play" in dlg.play_button.text()


def _field_label(dlg) -> str:
    from PySide6.QtWidgets import QFormLayout

    form = dlg.findChild(QFormLayout)
    return form.labelForField(dlg.spin).text()


def test_the_dialog_counts_its_songs_in_words(qtbot):
    one = SetTempoDialog(1, 120.0, (10.0, 600.0))
    three = SetTempoDialog(3, 120.0, (10.0, 600.0))
    for dlg in (one, three):
        qtbot.addWidget(dlg)
    assert _field_label(one) == "Tempo of 1 song:"
    assert _field_label(three) == "Tempo of 3 songs:"
    assert one.windowTitle() == "Set Tempo"  # as the command in the Edit menu
