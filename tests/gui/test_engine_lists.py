"""Workers that outlive their list: a song given up on whose worker returns after the list
was cleared, put back, or analyzed again never lands in a row, a count, the timeline or the
log of the list shown then."""

from __future__ import annotations

import dataclasses
import logging
import threading

import pytest

from core.batch.rules import SongState
from core.errors import CorruptFileError
from core.io.results import SongResult
from gui.engine import BatchEngine
from gui.worker_panel import WorkerTableModel

pytestmark = pytest.mark.usefixtures("qapp")


class Gates:
    """An ``analyze`` function: a file whose name holds a gate's name waits (deaf to its
    cancel flag, a decoder stuck in native code) until that gate is opened; a file named
    ``bad*`` fails; any other is done at once."""

    def __init__(self, *names):
        self.gates = {n: threading.Event() for n in names}
        self.waiting = {n: threading.Event() for n in names}

    def open(self, name):
        self.gates[name].set()

    def open_all(self):
        for gate in self.gates.values():
            gate.set()

    def __call__(self, path, *, settings, progress=None, should_cancel=None):
        for name, gate in self.gates.items():
            if name in path:
                self.waiting[name].set()
                gate.wait(30)
        if "/bad" in path:
            raise CorruptFileError(path, "the data is damaged")
        if progress is not None:
            progress(1, 1, 3.0)
        return SongResult(path=path, title=path.rsplit("/", 1)[-1], status="done",
                          duration_s=3.0, bpm=120.0)


def _run(qtbot, eng, paths):
    first = len(eng.batch.jobs)
    eng.batch.add(paths)
    eng.jobsAdded.emit(first, len(paths))
    with qtbot.waitSignal(eng.batchFinished, timeout=10_000):
        assert eng.start()


def _a_song_given_up_on(qtbot, eng):
    """Run a list of one stuck song until it times out: its worker is given up on."""
    _run(qtbot, eng, ["/old/stuck.wav"])
    assert eng.batch.jobs[0].state is SongState.TIMED_OUT and len(eng.abandoned) == 1


def test_a_worker_of_a_cleared_list_logs_nothing_about_the_new_list(qtbot, fast_settings,
                                                                    caplog):
    caplog.set_level(logging.INFO)
    gates = Gates("stuck")
    eng = BatchEngine(fast_settings, analyze=gates)
    try:
        _a_song_given_up_on(qtbot, eng)
        old = eng.clear()
        # The new list's first song (job 0, attempt 1, as the old one) fails.
        _run(qtbot, eng, ["/new/bad.wav"])
        assert eng.batch.jobs[0].state is SongState.FAILED
        caplog.clear()
        gates.open("stuck")  # the old worker returns, long after its list was cleared
        qtbot.waitUntil(lambda: not eng.abandoned, timeout=5000)
        eng.tick()
        lines = [r.getMessage() for r in caplog.records]
        assert not [m for m in lines if "/new/" in m], lines
        assert any("/old/stuck.wav" in m for m in lines), lines
        # Its late result stayed out of the old list too.
        assert old[0].jobs[0].state is SongState.TIMED_OUT
        assert eng.batch.jobs[0].state is SongState.FAILED
    finally:
        gates.open_all()
        assert eng.shutdown(timeout_ms=5000)


def test_a_worker_of_a_cleared_list_leaves_the_new_timeline_alone(qtbot, fast_settings):
    gates = Gates("stuck", "held")
    eng = BatchEngine(fast_settings, analyze=gates)
    try:
        _a_song_given_up_on(qtbot, eng)
        assert eng.clear() is not None
        # The new list's first song runs (no time limit near) while the old worker returns.
        eng.set_settings(dataclasses.replace(fast_settings, budget_base_s=60.0))
        eng.batch.add(["/new/held.wav"])
        eng.jobsAdded.emit(0, 1)
        assert eng.start()
        qtbot.waitUntil(lambda: bool(eng.segments) and gates.waiting["held"].is_set(),
                        timeout=5000)
        gates.open("stuck")
        qtbot.waitUntil(lambda: not eng.abandoned, timeout=5000)
        qtbot.wait(50)
        (seg,) = eng.segments
        assert seg.end is None and seg.state == SongState.RUNNING.value
        assert eng.batch.jobs[0].state is SongState.RUNNING
        with qtbot.waitSignal(eng.batchFinished, timeout=10_000):
            gates.open("held")
        (seg,) = eng.segments
        assert seg.end is not None and seg.state == SongState.DONE.value
    finally:
        gates.open_all()
        assert eng.shutdown(timeout_ms=5000)


def test_the_worker_panel_names_the_song_a_worker_given_up_on_still_runs(qtbot,
                                                                         fast_settings):
    gates = Gates("stuck")
    eng = BatchEngine(fast_settings, analyze=gates)
    panel = WorkerTableModel(eng)
    try:
        _a_song_given_up_on(qtbot, eng)
        assert eng.clear() is not None
        eng.batch.add(["/new/other.wav"])
        eng.jobsAdded.emit(0, 1)
        panel.refresh()
        rows = {panel.index(r, 0).data(): panel.index(r, 2).data()
                for r in range(panel.rowCount())}
        (name,) = [n for n in rows if n.endswith("(abandoned)")]
        assert rows[name] == "stuck.wav"
    finally:
        gates.open_all()
        assert eng.shutdown(timeout_ms=5000)


def test_a_stall_warning_hidden_in_a_cleared_list_shows_for_the_new_list(qtbot,
                                                                        fast_settings):
    from gui.stall_banner import StallBanner

    settings = dataclasses.replace(fast_settings, hard_limit_factor=100.0)
    gates = Gates("stuck", "held")
    eng = BatchEngine(settings, analyze=gates)
    banner = StallBanner(eng)
    qtbot.addWidget(banner)
    eng.stalled.connect(lambda _id: banner.refresh())
    try:
        eng.batch.add(["/old/stuck.wav"])
        eng.jobsAdded.emit(0, 1)
        assert eng.start()
        qtbot.waitUntil(lambda: banner.job_id == 0, timeout=5000)
        banner.hide_button.click()  # hidden for that song
        assert banner.job_id is None
        with qtbot.waitSignal(eng.batchFinished, timeout=5000):
            assert eng.skip(0)
        assert eng.clear() is not None
        # The new list's first song (job 0, attempt 1, as the old one) stalls: warned.
        eng.batch.add(["/new/held.wav"])
        eng.jobsAdded.emit(0, 1)
        assert eng.start()
        qtbot.waitUntil(lambda: eng.batch.jobs[0].state is SongState.STALLED, timeout=5000)
        banner.refresh()
        assert banner.job_id == 0 and "held.wav" in banner.text()
    finally:
        gates.open_all()
        assert eng.shutdown(timeout_ms=5000)
