"""What the table paints (one-call ``multiData``) and the scan's order of work."""

from __future__ import annotations

import threading

import pytest
from PySide6.QtCore import QModelRoleData, QModelRoleDataSpan, Qt

from core.settings import AnalysisSettings
from gui.engine import BatchEngine
from gui.song_columns import COL_FILE, COL_NUM, COL_STATUS
from gui.song_filter import SongFilterProxy
from gui.song_table import SongTableModel
from gui.workers import ScanRunnable, WorkerSignals


@pytest.fixture
def engine(qapp):
    eng = BatchEngine(AnalysisSettings(workers=2), analyze=lambda *a, **k: None)
    yield eng
    eng.shutdown(timeout_ms=2000)


@pytest.fixture
def proxy(engine):
    model = SongTableModel(engine)
    px = SongFilterProxy()
    px.setSourceModel(model)
    engine.batch.add(["/m/b.wav", "/m/a.wav", "/m/c.wav"])
    engine.jobsAdded.emit(0, 3)
    return px


def _painted(model, row, col, role=Qt.ItemDataRole.DisplayRole):
    """The value a view painting cell ``(row, col)`` gets for ``role``."""
    rd = QModelRoleData(int(role))
    model.multiData(model.index(row, col), QModelRoleDataSpan(rd))
    return rd.data()


def test_painted_cells_follow_the_sort_order(proxy):
    assert [_painted(proxy, r, COL_NUM) for r in range(3)] == ["1", "2", "3"]
    proxy.sort(COL_NUM, Qt.SortOrder.DescendingOrder)
    assert [_painted(proxy, r, COL_NUM) for r in range(3)] == ["3", "2", "1"]
    proxy.sort(COL_FILE, Qt.SortOrder.AscendingOrder)
    assert [_painted(proxy, r, COL_FILE) for r in range(3)] == ["a.wav", "b.wav", "c.wav"]
    proxy.sort(COL_NUM, Qt.SortOrder.AscendingOrder)  # back to the natural order
    assert [_painted(proxy, r, COL_FILE) for r in range(3)] == ["b.wav", "a.wav", "c.wav"]


def test_painted_cells_follow_the_text_filter(proxy):
    proxy.set_text("c.wav")
    assert proxy.rowCount() == 1
    assert _painted(proxy, 0, COL_NUM) == "3"
    proxy.set_text("")
    assert [_painted(proxy, r, COL_NUM) for r in range(3)] == ["1", "2", "3"]


def test_painted_cell_changes_when_the_engine_reports_the_row(engine, proxy):
    assert _painted(proxy, 1, COL_STATUS) == "queued"
    job, _attempt = engine.batch.claim("W1")
    assert job.id == 0
    engine.jobsChanged.emit([0])
    assert _painted(proxy, 0, COL_STATUS) == "running"
    assert _painted(proxy, 1, COL_STATUS) == "queued"


def test_painted_cells_answer_only_the_roles_the_table_sets(proxy):
    assert _painted(proxy, 0, COL_STATUS, Qt.ItemDataRole.FontRole) is None
    assert _painted(proxy, 0, COL_NUM, Qt.ItemDataRole.TextAlignmentRole) is not None


def test_scan_reads_tags_only_once_its_rows_are_added(qtbot, tmp_path):
    for name in ("a.wav", "b.flac", "notes.txt"):
        (tmp_path / name).write_bytes(b"")
    signals = WorkerSignals()
    rows_added = threading.Event()
    scan = ScanRunnable([tmp_path], 7, signals, rows_added=rows_added)
    found, identified = [], []
    signals.found.connect(lambda token, items: found.extend(p for p, _ in items))
    signals.identified.connect(lambda token, ids: identified.append(ids))
    thread = threading.Thread(target=scan.run)
    try:
        with qtbot.waitSignal(signals.listed, timeout=5000) as listed:
            thread.start()
        assert listed.args == [7]
        assert sorted(p.rsplit("/", 1)[-1] for p in found) == ["a.wav", "b.flac"]
        qtbot.wait(300)
        assert identified == []  # still waiting for the rows
        with qtbot.waitSignal(signals.scanned, timeout=5000):
            rows_added.set()
        assert sorted(identified[0].values()) == [("a", ""), ("b", "")]
    finally:
        scan.cancel_event.set()
        thread.join(5)


def test_engine_lets_the_scan_read_tags_after_adding_its_rows(qtbot, engine, tmp_path):
    for i in range(3):
        (tmp_path / f"{i:02d} - Song.wav").write_bytes(b"")
    with qtbot.waitSignal(engine.scanFinished, timeout=5000):
        engine.add_paths([tmp_path])
    assert len(engine.batch.jobs) == 3
    # the tag pass ran (it reads "NN - Title" names as the title), so the engine released it
    assert sorted(t for t, _ in engine.identity.values()) == ["Song", "Song", "Song"]


class _RecordingPainter:
    """Stands in for a QPainter: keeps the pen and clip each text is drawn with."""

    def __init__(self):
        self.pen, self.clip, self.texts, self._saved = None, None, [], []

    def save(self):
        self._saved.append((self.pen, self.clip))

    def restore(self):
        self.pen, self.clip = self._saved.pop()

    def setPen(self, pen):  # noqa: N802 - the QPainter API
        self.pen = pen

    def setClipRect(self, rect):  # noqa: N802
        self.clip = rect

    def drawText(self, rect, flags, text):  # noqa: N802
        self.texts.append((text, self.pen, self.clip))

    def __getattr__(self, name):  # fills and brushes: nothing to keep
        return lambda *a, **k: None


@pytest.mark.parametrize("state,progress", [("stalled", 0.6), ("done", 1.0),
                                            ("failed", 1.0), ("running", 0.3)])
def test_the_progress_text_reads_on_the_bar_and_beside_it(qapp, state, progress):
    """Every part of a progress bar's text has a contrast of at least 4.5:1 (WCAG AA) with
    what lies under it: the state's colour where the bar is filled, the row elsewhere
    (white on the amber of a stalled song was 2:1)."""
    from PySide6.QtCore import QRect
    from PySide6.QtGui import QColor, QStandardItem, QStandardItemModel
    from PySide6.QtWidgets import QStyleOptionViewItem

    from core.batch.rules import SongState
    from gui.song_columns import PROGRESS_ROLE, STATE_ROLE
    from gui.song_paint import STATE_COLORS, ProgressDelegate, contrast_ratio

    model = QStandardItemModel(1, 1)
    item = QStandardItem(f"{100 * progress:.0f} %")
    item.setData(SongState(state).value, STATE_ROLE)
    item.setData(progress, PROGRESS_ROLE)
    model.setItem(0, 0, item)
    option = QStyleOptionViewItem()
    option.rect = QRect(0, 0, 96, 22)
    painter = _RecordingPainter()
    ProgressDelegate().paint(painter, option, model.index(0, 0))
    fill = QColor(STATE_COLORS[SongState(state)])
    row = option.palette.color(option.palette.ColorRole.Base)
    filled_to = (option.rect.width() - 8) * progress + 4
    assert painter.texts
    for text, pen, clip in painter.texts:
        assert text == item.text()
        if clip is None:  # over the whole bar: it must read on both
            under = [fill, row] if progress < 1.0 else [fill]
        else:
            under = [fill if clip.right() <= filled_to + 0.5 else row]
        for color in under:
            assert contrast_ratio(QColor(pen), color) >= 4.5, (state, clip, QColor(pen).name())
