"""Fixtures of the window tests: isolated QSettings, fake analyzers and short WAV files."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest
import soundfile as sf

from core.analysis.identity import analyzer_id
from core.errors import AnalysisCancelled
from core.io.results import SongResult
from core.settings import AnalysisSettings


@pytest.fixture(autouse=True, scope="session")
def application_settings():
    """The process-wide settings the application makes at start-up (thread switch interval,
    pyqtgraph options), so windows and plots in the tests look and behave as in the app."""
    from gui.startup import configure_process

    configure_process()


@pytest.fixture(autouse=True)
def isolated_qsettings(tmp_path, qapp):
    """Keep QSettings of the tests in a temporary folder."""
    from PySide6.QtCore import QSettings

    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope,
                      str(tmp_path / "qsettings"))
    qapp.setOrganizationName("SongCalTests")
    qapp.setApplicationName("SongCalTests")
    yield


def flush_deferred_deletes(rounds: int = 3) -> None:
    """Destroy now the objects whose deletion was deferred (``deleteLater``): widgets that
    pytest-qt closes after a test, task carriers, dialogs.  Outside an event loop Qt holds
    such deletions until a loop next runs, which is inside the next test's first wait."""
    from PySide6.QtCore import QCoreApplication, QEvent

    for _ in range(rounds):  # a deletion may ask for more (a child's own deleteLater)
        QCoreApplication.processEvents()
        QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)


@pytest.fixture(autouse=True)
def deferred_deletes_flushed(qapp):
    """At a test's end, destroy what it deleted later (after pytest-qt closed its widgets
    and the test's other fixtures ended), so that its windows, views and controllers die
    within the test that made them, not in the middle of the next one."""
    yield
    flush_deferred_deletes()


class FakeAnalyzer:
    """An ``analyze`` function: ``n_chunks`` steps of ``step_s`` each, then a result.

    Files whose name contains ``block_on`` block until :meth:`release` is called; files whose
    name contains ``fail_on`` raise the given exception.  Every call is recorded.
    """

    def __init__(self, *, n_chunks=3, step_s=0.005, block_on=None, fail_on=None, error=None,
                 bpm_alternatives=""):
        self.n_chunks = n_chunks
        self.bpm_alternatives = bpm_alternatives
        self.step_s = step_s
        self.block_on = block_on
        self.fail_on = fail_on
        self.error = error
        self.released = threading.Event()
        self.blocked = threading.Event()
        self.calls: list[str] = []
        self.returned: list[str] = []
        self._lock = threading.Lock()

    def release(self):
        self.released.set()

    def __call__(self, path, *, settings, progress=None, should_cancel=None):
        with self._lock:
            self.calls.append(path)
        try:
            if self.block_on and self.block_on in path:
                self.blocked.set()
                self.released.wait(30)  # a stuck decoder: ignores its cancel flag
            if self.fail_on and self.fail_on in path:
                raise self.error
            for i in range(self.n_chunks):
                if should_cancel is not None and should_cancel():
                    raise AnalysisCancelled(path)
                time.sleep(self.step_s)
                if progress is not None:
                    progress(i + 1, self.n_chunks, 3.0)
            return SongResult(path=path, title=f"T {path[-7:-4]}", artist="Fake", status="done",
                              duration_s=3.0, bpm=120.0, bpm_alternatives=self.bpm_alternatives,
                              key="A minor", key_camelot="8A",
                              loudness_lufs=-14.2, chunks=self.n_chunks,
                              analyzer=analyzer_id())
        finally:
            with self._lock:
                self.returned.append(path)


@pytest.fixture
def fast_settings():
    """Two workers and tiny budgets (0.4 s, timed out at 1.2 s)."""
    return AnalysisSettings(workers=2, budget_base_s=0.4, budget_factor=0.0,
                            hard_limit_factor=3.0, chunk_seconds=5.0)


def write_click_wav(path, *, bpm=120.0, seconds=3.0, sr=22050, seed=0):
    """A short click track with a quiet tone under it (mono, 16-bit WAV)."""
    rng = np.random.default_rng(seed)
    n = int(seconds * sr)
    t = np.arange(n) / sr
    y = 0.1 * np.sin(2 * np.pi * 220.0 * t)
    period = int(round(60.0 / bpm * sr))
    click = np.exp(-np.arange(400) / 60.0) * rng.uniform(-1, 1, 400)
    for start in range(0, n - 400, period):
        y[start:start + 400] += 0.8 * click
    sf.write(str(path), (0.9 * y / np.max(np.abs(y))).astype(np.float32), sr, subtype="PCM_16")
    return path


@pytest.fixture
def wav_deck(tmp_path):
    """A folder of 6 short WAVs (two in a subfolder) plus a text file that is not audio."""
    deck = tmp_path / "deck"
    (deck / "sub").mkdir(parents=True)
    paths = []
    for i in range(6):
        folder = deck / "sub" if i >= 4 else deck
        paths.append(write_click_wav(folder / f"{i:03d}_Artist_Song {i}.wav",
                                     bpm=100 + 5 * i, seed=i))
    (deck / "notes.txt").write_text("not audio")
    return deck, paths


def drop_paths(window, paths, *, pos=(200, 200)):
    """Drag ``paths`` onto ``window`` and drop them, as a file manager would."""
    from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
    from PySide6.QtGui import QDragEnterEvent, QDropEvent
    from PySide6.QtWidgets import QApplication

    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    point = QPoint(*pos)
    enter = QDragEnterEvent(point, Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                            Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(window, enter)
    assert enter.isAccepted()
    drop = QDropEvent(QPointF(point), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                      Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(window, drop)
    assert drop.isAccepted()


def with_row_menu(window, row, read):
    """Open the song table's row menu on ``row`` as a right click does, and return what
    ``read(menu)`` gives while it is open (the menu is then closed)."""
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication, QMenu

    seen = []

    def take_menu():
        menu = QApplication.activePopupWidget()
        if isinstance(menu, QMenu):
            seen.append(read(menu))
            menu.close()
        else:
            QTimer.singleShot(20, take_menu)

    QTimer.singleShot(0, take_menu)
    window.table.selectRow(row)
    window.table._menu(window.table.visualRect(window.proxy.index(row, 1)).center())
    assert seen, "the row menu did not open"
    return seen[0]


@pytest.fixture
def make_window(qtbot):
    """Factory of main windows that are closed at the end of the test."""
    from gui.main_window import MainWindow

    windows = []

    def make(settings, analyze=None, **kw):
        w = MainWindow(settings, analyze=analyze, remember=False, **kw)
        w.confirm_quit = False
        qtbot.addWidget(w)
        w.show()
        windows.append(w)
        return w

    yield make
    for w in windows:
        if w.isVisible():
            w.close()
