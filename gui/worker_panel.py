"""The worker panel: one row per pool worker, idle / busy / stalled, and whether it uses CPU.

CPU use is read per thread: from ``psutil`` by native thread id when available (works even
while a decoder is stuck inside native code and never reports), else from the
``time.thread_time()`` samples each worker takes at every chunk.  A worker whose CPU time
moves is *computing*; one whose CPU time stands still while its song runs is *waiting*
(blocked in I/O or stuck) - a slow song and a stuck decoder look different.

On a Dask cluster the rows are the cluster's worker threads, following its workers as they
join and leave (a row whose worker left while it held a song says so until the song moves
or ends); while the cluster is being reached there is no row, and the panel says so
(:meth:`gui.engine.BatchEngine.cluster_note`).
"""

from __future__ import annotations

import os
import threading
import time

from PySide6.QtCore import QAbstractTableModel, QModelIndex, Qt
from PySide6.QtGui import QBrush, QColor, QPainter
from PySide6.QtWidgets import QHeaderView, QTableView

from core.batch.rules import SongState
from gui.formatting import fmt_duration, plain_tip, shown_name
from gui.song_paint import STATE_COLORS, status_icon

__all__ = ["WorkerTableModel", "WorkerPanel", "ThreadCpuSampler", "shared_sampler",
           "WORKER_COLUMNS"]

WORKER_COLUMNS = ("Worker", "State", "Song", "Chunk", "Elapsed", "CPU", "CPU time")


class ThreadCpuSampler:
    """CPU seconds of threads of this process by native id (psutil), read on its own thread.

    Listing a process's threads reads one file per thread on Linux: tens of milliseconds
    on a loaded machine with many threads, too long for the GUI thread a few times a
    second.  :meth:`sample` hands back the last reading at once and asks for a new one,
    which a daemon thread takes; the reading carries the time it was taken, so a rate
    between two readings is right however late it arrives.
    """

    def __init__(self):
        try:
            import psutil

            self._proc = psutil.Process(os.getpid())
            self._proc.threads()
        except Exception:  # no psutil, or no per-thread times on this system
            self._proc = None
        self._latest: tuple[dict[int, float], float] = ({}, 0.0)
        self._wanted = threading.Event()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    @property
    def available(self) -> bool:
        """True when per-thread CPU times can be read."""
        return self._proc is not None

    def sample(self) -> tuple[dict[int, float], float]:
        """``({native_thread_id: cpu_seconds}, monotonic time of the reading)``: the last
        reading taken (empty before the first), a new one being asked for."""
        if self._proc is None:
            return {}, time.monotonic()
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="songcal-cpu-sampler",
                                                daemon=True)
                self._thread.start()
        self._wanted.set()
        return self._latest

    def read_now(self) -> dict[int, float]:
        """One reading on the calling thread (``{}`` when unavailable)."""
        if self._proc is None:
            return {}
        try:
            return {t.id: t.user_time + t.system_time for t in self._proc.threads()}
        except Exception:  # the process's thread list changed under the read
            return {}

    def _run(self) -> None:
        while True:
            self._wanted.wait()
            self._wanted.clear()
            times = self.read_now()
            self._latest = (times, time.monotonic())


_SAMPLER: ThreadCpuSampler | None = None
_SAMPLER_LOCK = threading.Lock()


def shared_sampler() -> ThreadCpuSampler:
    """The process's one sampler (it reads this process's threads, whichever window asks)."""
    global _SAMPLER
    with _SAMPLER_LOCK:
        if _SAMPLER is None:
            _SAMPLER = ThreadCpuSampler()
        return _SAMPLER


class _Row:
    __slots__ = ("name", "tip", "record", "abandoned", "cpu", "cpu_at", "rate")

    def __init__(self, name, tip=""):
        self.name = name
        self.tip = tip
        self.record = None
        self.abandoned = False
        self.cpu = None
        self.cpu_at = None
        self.rate = None  # CPU seconds per wall second over the last interval


class WorkerTableModel(QAbstractTableModel):
    """Rows: the engine's worker slots, then abandoned workers that are still running."""

    def __init__(self, engine, parent=None):
        super().__init__(parent)
        self.engine = engine
        self.sampler = shared_sampler()
        self._rows: list[_Row] = []
        self._cpu_state: dict[int, tuple[float, float, float | None]] = {}
        #: What the panel says instead of rows (the cluster is being reached), or empty.
        self.note = ""

    def refresh(self) -> None:
        """Re-read the engine's workers and their CPU times (call a few times a second)."""
        eng = self.engine
        self.note = eng.cluster_note()
        wanted = []
        for s in eng.slots:
            shown, tip = eng.worker_label(s.name)
            wanted.append((f"{shown} (left the cluster)" if getattr(s, "left", False)
                           else shown, tip, s.record, False))
        for r in eng.abandoned:
            shown, tip = eng.worker_label(r.name)
            wanted.append((f"{shown} (abandoned)", tip, r, True))
        if [(w[0], w[1]) for w in wanted] != [(r.name, r.tip) for r in self._rows]:
            self.beginResetModel()
            self._rows = [_Row(name, tip) for name, tip, _, _ in wanted]
            self.endResetModel()
        times, sampled_at = self.sampler.sample()
        for row, (_, _, rec, abandoned) in zip(self._rows, wanted, strict=True):
            row.record, row.abandoned = rec, abandoned
            row.rate = row.cpu = None
            if rec is None or not rec.native_id:
                continue
            cpu = times.get(rec.native_id)
            at = sampled_at
            if cpu is None:  # fall back on the worker's own samples
                cpu, at = rec.thread_cpu_s, rec.cpu_sampled_at
            prev = self._cpu_state.get(id(rec))
            if prev is not None and at > prev[1]:
                rate = (cpu - prev[0]) / (at - prev[1])
                self._cpu_state[id(rec)] = (cpu, at, rate)
            elif prev is None:
                self._cpu_state[id(rec)] = (cpu, at, None)
            row.cpu = max(0.0, cpu - rec.cpu_start_s)
            row.rate = self._cpu_state[id(rec)][2]
        live = {id(r.record) for r in self._rows if r.record is not None}
        for key in list(self._cpu_state):
            if key not in live:
                del self._cpu_state[key]
        if self._rows:
            self.dataChanged.emit(self.index(0, 0),
                                  self.index(len(self._rows) - 1, len(WORKER_COLUMNS) - 1))

    def rowCount(self, parent=QModelIndex()) -> int:  # noqa: N802 - Qt API
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent=QModelIndex()) -> int:  # noqa: N802 - Qt API
        return 0 if parent.isValid() else len(WORKER_COLUMNS)

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):  # noqa: N802
        if (orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole
                and 0 <= section < len(WORKER_COLUMNS)):
            return WORKER_COLUMNS[section]
        return None

    def worker_state(self, row: int) -> str:
        """``"idle"``, ``"queued"``, ``"busy"``, ``"stalled"`` or ``"abandoned"`` for worker
        row ``row``.

        ``"queued"``: the row's song was handed to a cluster's scheduler and waits there for
        a worker thread (:attr:`core.batch.rules.Job.waiting`, until the batch is told it
        started, :meth:`core.batch.rules.Batch.started`); its clock has not started.
        """
        r = self._rows[row]
        if r.abandoned:
            return "abandoned"
        if r.record is None or r.record.returned:  # returned: handing over to the next song
            return "idle"
        job = self._job(r)
        if job is not None and job.attempt == r.record.attempt:
            if job.waiting:
                return "queued"
            if job.state is SongState.STALLED:
                return "stalled"
        return "busy"

    def cpu_label(self, row: int) -> str:
        """``"computing"`` / ``"waiting"`` (no CPU) / ``""`` (idle or not yet known)."""
        r = self._rows[row]
        if r.record is None or r.rate is None:
            return ""
        return "computing" if r.rate > 0.05 else "waiting (no CPU)"

    def _job(self, r: _Row):
        # (the record's own batch: a worker given up on may outlive its list)
        return None if r.record is None else r.record.job()

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid() or index.row() >= len(self._rows):
            return None
        row, col = index.row(), index.column()
        r = self._rows[row]
        state = self.worker_state(row)
        job = self._job(r) if state != "idle" else None
        if role == Qt.ItemDataRole.DisplayRole:
            if col == 0:
                return r.name
            if col == 1:
                return state
            if job is None:
                return ""
            if col == 2:
                return shown_name(os.path.basename(job.path))
            if col == 3:
                rec = r.record
                return f"{rec.chunk}/{rec.n_chunks}" if rec.n_chunks else "-"
            if col == 4:
                if state == "queued":  # (no clock yet: it has not started)
                    return "-"
                return fmt_duration(time.monotonic() - r.record.started_at
                                    if r.record.started_at else 0.0)
            if col == 5:
                if r.record is None or r.rate is None:
                    return ""
                pct = 100 * min(r.rate, 9.99)
                return (f"{pct:.0f} % \u2014 computing" if self.cpu_label(row) == "computing"
                        else f"{pct:.0f} % \u2014 waiting, no CPU")
            if col == 6:
                return "" if r.cpu is None else f"{r.cpu:.1f} s"
        if role == Qt.ItemDataRole.DecorationRole and col == 1:
            return status_icon({"idle": SongState.QUEUED, "queued": SongState.QUEUED,
                                "busy": SongState.RUNNING,
                                "stalled": SongState.STALLED,
                                "abandoned": SongState.TIMED_OUT}[state])
        if role == Qt.ItemDataRole.BackgroundRole and state in ("stalled", "abandoned"):
            color = QColor(STATE_COLORS[SongState.STALLED if state == "stalled"
                                        else SongState.TIMED_OUT])
            color.setAlpha(60)
            return QBrush(color)
        if role == Qt.ItemDataRole.ToolTipRole and col == 0 and r.tip:
            return r.tip
        if role == Qt.ItemDataRole.ToolTipRole and job is not None:
            if col == 5:
                return ("CPU use of the worker thread since the last refresh: a slow song "
                        "keeps computing; a stuck decoder or a blocked read uses no CPU")
            if state == "queued":
                return plain_tip(f"{shown_name(job.path)}\n\nHanded to the cluster's "
                                 f"scheduler, waiting in its queue for a worker thread; its "
                                 f"time budget counts from its start on a worker.")
            return plain_tip(shown_name(job.path))
        return None


class WorkerPanel(QTableView):
    """The worker table, refreshed from a timer by the main window."""

    def __init__(self, engine, parent=None):
        super().__init__(parent)
        self.model_ = WorkerTableModel(engine, self)
        self.setModel(self.model_)
        self.setAccessibleName("Workers")
        self.setAccessibleDescription("One row per worker: idle, busy or stalled, its song, "
                                      "chunk, elapsed time and CPU use")
        self.verticalHeader().hide()
        self.setAlternatingRowColors(True)
        self.setSelectionMode(QTableView.SelectionMode.NoSelection)
        self.setEditTriggers(QTableView.EditTrigger.NoEditTriggers)
        h = self.horizontalHeader()
        h.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        h.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        for col, width in enumerate((130, 100, 320, 70, 80, 170, 80)):
            self.setColumnWidth(col, width)

    def refresh(self) -> None:
        """Re-read workers and CPU times."""
        note = self.model_.note
        self.model_.refresh()
        if self.model_.note != note:
            self.viewport().update()

    def paintEvent(self, event):  # noqa: N802 - Qt API
        """The rows, or the panel's note when there is none (the cluster being reached)."""
        super().paintEvent(event)
        note = self.model_.note
        if note and not self.model_.rowCount():
            painter = QPainter(self.viewport())
            painter.setPen(self.palette().placeholderText().color())
            painter.drawText(self.viewport().rect().adjusted(12, 8, -12, -8),
                             Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap, note)
            painter.end()
