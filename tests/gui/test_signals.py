"""SIGTERM, SIGHUP and SIGINT in the window: the batch stops, the partial exports are
written with unfinished songs cancelled, and the exit code is not 0."""

from __future__ import annotations

import os
import signal

import pytest

from core.errors import AnalysisCancelled
from core.io.csvio import read_csv_rows
from core.io.results import SongResult


class SlowAfterTwo:
    """Songs 000 and 001 finish at once; the others take many chunks, checking cancel."""

    def __init__(self):
        self.calls = []

    def __call__(self, path, *, settings, progress=None, should_cancel=None):
        import time

        self.calls.append(path)
        name = os.path.basename(path)
        if not name.startswith(("000", "001")):
            for i in range(400):
                if should_cancel is not None and should_cancel():
                    raise AnalysisCancelled(path)
                time.sleep(0.02)
                if progress is not None:
                    progress(i + 1, 400, 8.0)
        return SongResult(path=path, status="done", bpm=120.0, duration_s=3.0, chunks=1)


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGHUP, signal.SIGINT])
def test_signal_stops_the_window_and_writes_partial_exports(qapp, wav_deck, tmp_path,
                                                           monkeypatch, sig):
    import gui.engine
    from gui.app import run_gui

    deck, paths = wav_deck
    fake = SlowAfterTwo()
    monkeypatch.setattr(gui.engine, "default_analyze", fake)
    from PySide6.QtCore import QTimer

    sent = []

    def poll():  # signal the process once two songs are done
        from PySide6.QtWidgets import QApplication

        for w in QApplication.topLevelWidgets():
            eng = getattr(w, "engine", None)
            if eng is not None and sum(j.state.value == "done" for j in eng.batch.jobs) >= 2:
                if not sent:
                    sent.append(True)
                    os.kill(os.getpid(), sig)
                return
        QTimer.singleShot(20, poll)

    QTimer.singleShot(20, poll)
    out = tmp_path / "export"
    previous = signal.getsignal(sig)
    code = run_gui([str(deck), "--start", "--export-dir", str(out), "--workers", "2"])
    assert sent and code == 1
    assert signal.getsignal(sig) == previous  # the window's handlers are removed again
    (made,) = os.listdir(out)  # a new folder named after the moment
    _, rows = read_csv_rows(out / made / "results.csv")
    status = {os.path.basename(r["path"])[:3]: r["status"] for r in rows}
    assert len(status) == len(paths)
    assert status["000"] == status["001"] == "done"
    assert set(status.values()) == {"done", "cancelled"}
