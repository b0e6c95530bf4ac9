"""The live song table: a model over the engine's batch, a progress delegate, a filter proxy.

The model never copies the batch: it reads each :class:`core.batch.rules.Job` when the view asks,
and the engine tells it which rows changed (in batches, a few times a second), so a deck of
thousands of songs stays smooth.

Once a reference sheet is loaded into the window's
:class:`gui.calibration_controller.CalibrationController`, the model appends the reference
columns of :func:`gui.reference_columns.reference_columns` (reference value, error, and the
tempo and key agreement), coloured by agreement.  Their cells are computed once per song,
result and match, and refreshed in one notification per match.
"""

from __future__ import annotations

import math
import os

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QRectF,
    QSortFilterProxyModel,
    Qt,
)
from PySide6.QtGui import QBrush, QColor, QIcon, QPainter, QPen, QPixmap
from PySide6.QtWidgets import QStyle, QStyledItemDelegate

from core.batch.rules import TERMINAL_STATES, SongState
from core.io.results import DESCRIPTOR_COLUMNS
from gui.formatting import DESCRIPTOR_HEADERS, fmt_duration, fmt_value
from gui.reference_columns import Cell, reference_cells, reference_columns

__all__ = [
    "SongTableModel",
    "SongFilterProxy",
    "ProgressDelegate",
    "rows_to_tsv",
    "status_icon",
    "STATE_COLORS",
    "JOB_ID_ROLE",
    "STATE_ROLE",
    "PROGRESS_ROLE",
    "SORT_ROLE",
    "PATH_ROLE",
    "COL_NUM",
    "COL_TITLE",
    "COL_ARTIST",
    "COL_FILE",
    "COL_STATUS",
    "COL_PROGRESS",
    "COL_CHUNK",
    "COL_ELAPSED",
    "COL_WORKER",
    "FIRST_DESCRIPTOR_COL",
    "TABLE_DESCRIPTORS",
    "descriptor_column",
    "AGREEMENT_ROLE",
    "FIRST_REFERENCE_COL",
    "agreement_verdict",
]

#: Custom item roles.
JOB_ID_ROLE = Qt.ItemDataRole.UserRole + 1  #: int, the job id (the source row)
STATE_ROLE = Qt.ItemDataRole.UserRole + 2  #: str, a :class:`core.batch.rules.SongState` value
PROGRESS_ROLE = Qt.ItemDataRole.UserRole + 3  #: float 0-1
SORT_ROLE = Qt.ItemDataRole.UserRole + 4  #: a value of one type per column, for sorting
PATH_ROLE = Qt.ItemDataRole.UserRole + 5  #: str, the file
#: str, agreement category of a reference cell (``"ok"``, ``"octave"``, ``"fifth"``...)
AGREEMENT_ROLE = Qt.ItemDataRole.UserRole + 6

_FIXED = ("#", "Title", "Artist", "File", "Status", "Progress", "Chunk", "Elapsed / budget",
          "Worker")
(COL_NUM, COL_TITLE, COL_ARTIST, COL_FILE, COL_STATUS, COL_PROGRESS, COL_CHUNK, COL_ELAPSED,
 COL_WORKER) = range(len(_FIXED))
FIRST_DESCRIPTOR_COL = len(_FIXED)
_FIRST_SHOWN = ("bpm", "key", "key_camelot", "loudness_lufs", "energy", "danceability",
                "valence", "acousticness", "duration_s")
#: Descriptors in table order: what an engineer checks first, then the rest in export order.
TABLE_DESCRIPTORS = tuple(c for c in _FIRST_SHOWN if c in DESCRIPTOR_COLUMNS) + tuple(
    c for c in DESCRIPTOR_COLUMNS if c not in _FIRST_SHOWN)
_HEADERS = _FIXED + tuple(DESCRIPTOR_HEADERS.get(c, c) for c in TABLE_DESCRIPTORS)
#: First reference column (present once a reference sheet is loaded).
FIRST_REFERENCE_COL = len(_HEADERS)

_VERDICTS = {
    "ok": "within 4 % of the reference tempo",
    "same": "same key as the reference",
    "fifth": "fifth error: a neighbour on the circle of fifths",
    "relative": "relative key: the relative major/minor of the reference",
    "parallel": "parallel key: same tonic, other mode",
}
_PRETTY_RATIO = {"x2": "\u00d72", "x1/2": "\u00d7\u00bd"}


def agreement_verdict(category: str, label: str = "") -> str:
    """One line saying what an agreement category means, e.g. ``"×2: octave error"``.

    Parameters
    ----------
    category : str
        Tempo (``"ok"``, ``"octave"``, ``"other"``) or key (``"same"``, ``"fifth"``,
        ``"relative"``, ``"parallel"``, ``"other"``) category; ``""`` gives ``""``.
    label : str, optional
        The cell's label (``"x2"``, ``"x1/2"``, ``"x1.07"`` for tempo); tells a tempo
        ``"other"`` from a key ``"other"``.
    """
    if not category:
        return ""
    if category == "octave":
        return f"{_PRETTY_RATIO.get(label, label)}: octave error"
    if category == "other":
        if label.startswith("x"):
            return (f"\u00d7{label[1:]}: tempo error (not within 4 % of \u00d71, \u00d72 "
                    "or \u00d7\u00bd)")
        return "wrong key: not the same, a fifth, relative or parallel"
    return _VERDICTS.get(category, category)


def descriptor_column(name: str) -> int:
    """Table column of descriptor ``name`` (a :data:`core.io.results.DESCRIPTOR_COLUMNS` entry)."""
    try:
        return FIRST_DESCRIPTOR_COL + TABLE_DESCRIPTORS.index(name)
    except ValueError:
        raise ValueError(f"not a descriptor column: {name!r}") from None
_TEXT_DESCRIPTORS = frozenset({"key", "key_camelot", "bpm_alternatives"})
_ALIGN_RIGHT = int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
_CELL_FLAGS = (Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
               | Qt.ItemFlag.ItemNeverHasChildren)
#: Rows whose painted cells are kept at most (the cache is emptied beyond).
_MAX_CACHED_ROWS = 400
#: Roles a view asks for that no cell of the table sets.
_UNUSED_ROLES = frozenset(int(r.value) for r in (
    Qt.ItemDataRole.FontRole, Qt.ItemDataRole.ForegroundRole, Qt.ItemDataRole.CheckStateRole,
    Qt.ItemDataRole.SizeHintRole, Qt.ItemDataRole.StatusTipRole,
    Qt.ItemDataRole.WhatsThisRole, Qt.ItemDataRole.AccessibleTextRole,
    Qt.ItemDataRole.AccessibleDescriptionRole))
_STATE_ORDER = {s: i for i, s in enumerate((
    SongState.STALLED, SongState.RUNNING, SongState.QUEUED, SongState.FAILED,
    SongState.TIMED_OUT, SongState.CANCELLED, SongState.SKIPPED, SongState.DONE))}

#: Colour of each song state (icons, progress bars, plots).
STATE_COLORS = {
    SongState.QUEUED: "#9aa0a6",
    SongState.RUNNING: "#2f80ed",
    SongState.STALLED: "#f2a900",
    SongState.DONE: "#27ae60",
    SongState.FAILED: "#d64541",
    SongState.TIMED_OUT: "#a31515",
    SongState.CANCELLED: "#7f8c8d",
    SongState.SKIPPED: "#b0b7bd",
}
_ROW_BACKGROUND = {
    SongState.STALLED: QColor(242, 169, 0, 70),
    SongState.TIMED_OUT: QColor(214, 69, 65, 60),
    SongState.FAILED: QColor(214, 69, 65, 35),
}
_ICONS: dict[SongState, QIcon] = {}
_REFERENCE_TIPS = {
    "ref": "{name}: the value of the matched reference row",
    "error": "{name}: analyzer minus reference",
    "agreement": "{name}: agreement with the reference (green agrees, amber a near miss, "
                 "red a miss)",
}


def _is_text_column(rc) -> bool:
    return rc.descriptor == "key" or rc.kind == "agreement"


def status_icon(state: SongState) -> QIcon:
    """A small coloured disc for ``state`` (made once per state)."""
    icon = _ICONS.get(state)
    if icon is None:
        pm = QPixmap(14, 14)
        pm.fill(Qt.GlobalColor.transparent)
        p = QPainter(pm)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        color = QColor(STATE_COLORS[state])
        p.setPen(QPen(color.darker(130), 1))
        p.setBrush(color)
        if state is SongState.STALLED or state is SongState.TIMED_OUT:
            p.drawRoundedRect(QRectF(1.5, 1.5, 11, 11), 2, 2)
        else:
            p.drawEllipse(QRectF(1.5, 1.5, 11, 11))
        p.end()
        icon = _ICONS[state] = QIcon(pm)
    return icon


class SongTableModel(QAbstractTableModel):
    """Rows are the engine's jobs, in batch order; columns as in :data:`_HEADERS`.

    Parameters
    ----------
    engine : gui.engine.BatchEngine
        Source of the jobs and of row-change notifications.
    """

    def __init__(self, engine, parent=None, *, calibration=None):
        super().__init__(parent)
        self.engine = engine
        self._n = len(engine.batch.jobs)
        self.calibration = None
        #: The reference columns shown (empty until a reference sheet is loaded).
        self.reference_columns: list = []
        self._ref_cache: dict = {}  # job id -> (result, match, sheet, cells)
        #: Painted cells: source row -> {(column, role): value}, dropped when the row changes.
        self._cells: dict[int, dict] = {}
        engine.jobsAdded.connect(self._on_added)
        engine.cleared.connect(self._on_cleared)
        engine.jobsChanged.connect(self._on_changed)
        engine.jobsProgressed.connect(self._on_progressed)
        if calibration is not None:
            self.set_calibration(calibration)

    def set_calibration(self, controller) -> None:
        """Show the reference columns of ``controller`` (a
        :class:`gui.calibration_controller.CalibrationController`) once it holds a sheet."""
        if self.calibration is not None:
            raise ValueError("the model already follows a calibration controller")
        self.calibration = controller
        controller.referenceLoaded.connect(self._on_reference)
        controller.matched.connect(lambda _summary: self._refresh_reference())
        if controller.sheet is not None:
            self._set_reference_columns(reference_columns(controller.sheet.descriptors))

    # -- reference columns ------------------------------------------------------------
    def _on_reference(self, summary) -> None:
        self._set_reference_columns(reference_columns(summary.descriptors))

    def _set_reference_columns(self, columns: list) -> None:
        """Replace the reference columns: removed and inserted only when they change."""
        self._clear_cells()
        if [c.name for c in columns] == [c.name for c in self.reference_columns]:
            self.reference_columns = list(columns)
            self._refresh_reference()
            return
        if self.reference_columns:
            self.beginRemoveColumns(QModelIndex(), FIRST_REFERENCE_COL,
                                    FIRST_REFERENCE_COL + len(self.reference_columns) - 1)
            self.reference_columns = []
            self.endRemoveColumns()
        if columns:
            self.beginInsertColumns(QModelIndex(), FIRST_REFERENCE_COL,
                                    FIRST_REFERENCE_COL + len(columns) - 1)
            self.reference_columns = list(columns)
            self.endInsertColumns()

    def clear_reference_columns(self) -> None:
        """Remove the reference columns (they come back with the next sheet loaded)."""
        self._set_reference_columns([])

    def _refresh_reference(self) -> None:
        """One change notification for every reference cell (after a new match)."""
        self._clear_cells()
        if self._n and self.reference_columns:
            self.dataChanged.emit(self.index(0, FIRST_REFERENCE_COL),
                                  self.index(self._n - 1, self.columnCount() - 1))

    def reference_column(self, name: str) -> int:
        """Table column of reference column ``name`` (``"ref_bpm"``, ``"key_relation"``...).

        Raises
        ------
        ValueError
            When no such reference column is shown.
        """
        for i, c in enumerate(self.reference_columns):
            if c.name == name:
                return FIRST_REFERENCE_COL + i
        raise ValueError(f"no reference column {name!r}; shown: "
                         f"{[c.name for c in self.reference_columns]}")

    def reference_cells(self, job) -> dict:
        """The reference cells of ``job`` (column name -> :class:`gui.reference_columns.Cell`),
        computed once per result and match."""
        ctrl = self.calibration
        result, match, sheet = job.result, ctrl.match, ctrl.sheet
        hit = self._ref_cache.get(job.id)
        if hit is not None and hit[0] is result and hit[1] is match and hit[2] is sheet:
            return hit[3]
        pos = ctrl.song_index(job.id)
        ref = ctrl.reference_row(pos) if pos is not None else None
        # the result's own attributes (the row's columns) without copying the chunk lists
        row = None if result is None else getattr(result, "__dict__", None) or result.to_row()
        cells = reference_cells(row, ref, self.reference_columns)
        if ref is None and match is None:
            cells = {k: Cell(tooltip="matching with the reference sheet\u2026")
                     for k in cells}
        self._ref_cache[job.id] = (result, match, sheet, cells)
        return cells

    def _group_cell(self, job, rc):
        """The cell of column ``rc`` and the agreement cell of its descriptor (or None)."""
        cells = self.reference_cells(job)
        cell = cells[rc.name]
        agree = cells.get("bpm_agreement" if rc.descriptor == "bpm" else "key_relation") \
            if rc.descriptor in ("bpm", "key") else None
        return cell, agree

    def _reference_value(self, job, col: int, role):
        rc = self.reference_columns[col - FIRST_REFERENCE_COL]
        if role == Qt.ItemDataRole.DisplayRole:
            cell = self.reference_cells(job)[rc.name]
            if rc.name == "bpm_agreement" and cell.category in ("octave", "other"):
                ratio = _PRETTY_RATIO.get(cell.text, cell.text.replace("x", "\u00d7", 1))
                return f"octave {ratio}" if cell.category == "octave" else ratio
            return cell.text
        if role == SORT_ROLE:
            value = self.reference_cells(job)[rc.name].value
            if _is_text_column(rc):
                return "" if value is None else str(value)
            return -math.inf if value is None else float(value)
        if role == Qt.ItemDataRole.BackgroundRole:
            cell, agree = self._group_cell(job, rc)
            color = cell.color or (agree.color if agree is not None and cell.text else None)
            if color is None:
                color = _ROW_BACKGROUND.get(job.state)
            return QBrush(color) if color is not None else None
        if role == Qt.ItemDataRole.ToolTipRole:
            cell, agree = self._group_cell(job, rc)
            src = agree if agree is not None and agree.category else cell
            verdict = agreement_verdict(src.category, src.text)
            tips = [t for t in (verdict, cell.tooltip) if t]
            if src is not cell and src.tooltip and src.tooltip not in tips:
                tips.append(src.tooltip)
            return "\n".join(tips) or None
        if role == AGREEMENT_ROLE:
            cell, agree = self._group_cell(job, rc)
            return cell.category or (agree.category if agree is not None else "")
        if role == Qt.ItemDataRole.TextAlignmentRole:
            if _is_text_column(rc):
                return None
            return _ALIGN_RIGHT
        return self._value(job, COL_NUM, role) if role in (
            JOB_ID_ROLE, STATE_ROLE, PROGRESS_ROLE, PATH_ROLE) else None

    # -- engine notifications ---------------------------------------------------------
    def _on_added(self, first: int, count: int) -> None:
        first = self._n
        last = len(self.engine.batch.jobs) - 1
        if last < first:
            return
        self.beginInsertRows(QModelIndex(), first, last)
        self._n = last + 1
        self.endInsertRows()

    def _on_cleared(self) -> None:
        self._clear_cells()
        self.beginResetModel()
        self._n = len(self.engine.batch.jobs)
        self.endResetModel()

    def _on_progressed(self, rows: list) -> None:
        self._on_changed(rows, COL_STATUS, COL_WORKER)

    def _clear_cells(self) -> None:
        self._ref_cache.clear()
        self._cells.clear()

    def _on_changed(self, rows: list, first_col: int = 0, last_col: int | None = None) -> None:
        if last_col is None:
            last_col = self.columnCount() - 1
        cells = self._cells
        if cells:
            for r in rows:
                cells.pop(r, None)
        start = prev = None
        for r in rows:
            if r >= self._n:
                break
            if start is None:
                start = prev = r
            elif r == prev + 1:
                prev = r
            else:
                self.dataChanged.emit(self.index(start, first_col), self.index(prev, last_col))
                start = prev = r
        if start is not None:
            self.dataChanged.emit(self.index(start, first_col), self.index(prev, last_col))

    # -- Qt model API -------------------------------------------------------------------
    def rowCount(self, parent=QModelIndex()) -> int:  # noqa: N802 - Qt API
        return 0 if parent.isValid() else self._n

    def columnCount(self, parent=QModelIndex()) -> int:  # noqa: N802 - Qt API
        return 0 if parent.isValid() else len(_HEADERS) + len(self.reference_columns)

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):  # noqa: N802
        if orientation == Qt.Orientation.Horizontal:
            if FIRST_REFERENCE_COL <= section < self.columnCount():
                rc = self.reference_columns[section - FIRST_REFERENCE_COL]
                if role == Qt.ItemDataRole.DisplayRole:
                    return rc.header
                if role == Qt.ItemDataRole.ToolTipRole:
                    return _REFERENCE_TIPS[rc.kind].format(d=rc.descriptor, name=rc.name)
                return None
            if role == Qt.ItemDataRole.DisplayRole and 0 <= section < len(_HEADERS):
                return _HEADERS[section]
            if role == Qt.ItemDataRole.ToolTipRole and section >= FIRST_DESCRIPTOR_COL:
                return TABLE_DESCRIPTORS[section - FIRST_DESCRIPTOR_COL]
        return None

    # ``flags`` is not overridden: Qt's own answer (enabled, selectable, no children) is the
    # one wanted, and leaving it in C++ spares a Python call per cell painted.

    def job(self, row: int):
        """The job of source row ``row``."""
        return self.engine.batch.jobs[row]

    def title_artist(self, job) -> tuple[str, str]:
        """Title and artist: from the result once analyzed, else from tags or the file name."""
        r = job.result
        if r is not None and r.title:
            return r.title, r.artist
        return self.engine.identity.get(job.id, (os.path.basename(job.path), ""))

    def descriptor(self, job, col: int):
        """Raw value of descriptor column ``col`` (None when unknown)."""
        r = job.result
        if r is None:
            return None
        return getattr(r, TABLE_DESCRIPTORS[col - FIRST_DESCRIPTOR_COL], None)

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        row, col = index.row(), index.column()
        jobs = self.engine.batch.jobs
        if row >= self._n or row >= len(jobs):
            return None
        return self._value(jobs[row], col, role)

    def multiData(self, index, span):  # noqa: N802 - Qt API
        """All roles a view asks for one cell, in one call.

        Painting a cell asks for about seven roles; answering them in one Python call
        instead of seven keeps painting fast while workers compete for the GIL.
        """
        if index.isValid():
            self.fill_roles(index.row(), index.column(), span)

    def fill_roles(self, row: int, col: int, span) -> None:
        """Answer every role of ``span`` (a ``QModelRoleDataSpan``) for cell ``(row, col)``.

        Roles the table never sets (font, foreground, check state...) are left unset.
        Values are kept until the engine reports the row changed, so repainting rows that
        did not change (rows added below, scrolling back) runs no per-cell Python code
        beyond a lookup.  :meth:`data` always answers afresh.
        """
        jobs = self.engine.batch.jobs
        if row >= self._n or row >= len(jobs):
            return
        cached = self._cells.get(row)
        if cached is None:
            if len(self._cells) >= _MAX_CACHED_ROWS:
                self._cells.clear()
            cached = self._cells[row] = {}
        job = jobs[row]
        for i in range(len(span)):
            rd = span[i]
            role = rd.role()
            if role in _UNUSED_ROLES:
                continue
            key = (col, role)
            try:
                value = cached[key]
            except KeyError:
                value = cached[key] = self._value(job, col, role)
            rd.setData(value)

    def _value(self, job, col: int, role):
        if col >= FIRST_REFERENCE_COL:
            return self._reference_value(job, col, role)
        if role == Qt.ItemDataRole.DisplayRole:
            return self._display(job, col)
        if role == SORT_ROLE:
            return self._sort_value(job, col)
        if role == Qt.ItemDataRole.DecorationRole and col == COL_STATUS:
            return status_icon(job.state)
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._tooltip(job, col)
        if role == Qt.ItemDataRole.BackgroundRole:
            color = _ROW_BACKGROUND.get(job.state)
            return QBrush(color) if color is not None else None
        if role == Qt.ItemDataRole.TextAlignmentRole:
            if col in (COL_NUM, COL_CHUNK, COL_ELAPSED) or (
                    col >= FIRST_DESCRIPTOR_COL
                    and TABLE_DESCRIPTORS[col - FIRST_DESCRIPTOR_COL] not in _TEXT_DESCRIPTORS):
                return _ALIGN_RIGHT
            return None
        if role == JOB_ID_ROLE:
            return job.id
        if role == STATE_ROLE:
            return job.state.value
        if role == PROGRESS_ROLE:
            return float(job.progress)
        if role == PATH_ROLE:
            return job.path
        return None

    def _display(self, job, col: int):
        if col == COL_NUM:
            return str(job.id + 1)
        if col == COL_TITLE:
            return self.title_artist(job)[0]
        if col == COL_ARTIST:
            return self.title_artist(job)[1]
        if col == COL_FILE:
            return os.path.basename(job.path)
        if col == COL_STATUS:
            return job.state.value
        if col == COL_PROGRESS:
            if job.state is SongState.QUEUED:
                return ""
            if job.state in TERMINAL_STATES and job.state is not SongState.DONE:
                return job.state.value
            return f"{100 * job.progress:.0f} %"
        if col == COL_CHUNK:
            n = job.n_chunks or (job.result.chunks if job.result and job.result.chunks else 0)
            if not n:
                return ""
            chunk = n if job.state is SongState.DONE else job.chunk
            return f"{chunk}/{n}"
        if col == COL_ELAPSED:
            if job.started_at is None:
                return ""
            return (f"{fmt_duration(job.elapsed())} / "
                    f"{fmt_duration(self.engine.batch.budget(job))}")
        if col == COL_WORKER:
            return job.worker if job.started_at is not None else ""
        return fmt_value(TABLE_DESCRIPTORS[col - FIRST_DESCRIPTOR_COL],
                         self.descriptor(job, col))

    def _sort_value(self, job, col: int):
        if col == COL_NUM:
            return job.id
        if col in (COL_TITLE, COL_ARTIST):
            return self._display(job, col).casefold()
        if col == COL_FILE:
            return os.path.basename(job.path).casefold()
        if col == COL_STATUS:
            return _STATE_ORDER[job.state]
        if col == COL_PROGRESS:
            return float(job.progress)
        if col == COL_CHUNK:
            return job.chunk
        if col == COL_ELAPSED:
            return float(job.elapsed()) if job.started_at is not None else -1.0
        if col == COL_WORKER:
            return job.worker
        name = TABLE_DESCRIPTORS[col - FIRST_DESCRIPTOR_COL]
        value = self.descriptor(job, col)
        if name in _TEXT_DESCRIPTORS:
            return "" if value is None else str(value)
        if value is None:
            return -math.inf
        return float(value)

    def _tooltip(self, job, col: int):
        if col == COL_FILE:
            return job.path
        if job.error and (job.state in TERMINAL_STATES or col == COL_STATUS):
            return f"{job.state.value}: {job.error}"
        if job.state is SongState.STALLED:
            return (f"past its budget of {fmt_duration(self.engine.batch.budget(job))} "
                    f"on {job.worker}")
        if col == COL_STATUS:
            return job.state.value
        return None


class SongFilterProxy(QSortFilterProxyModel):
    """Sorts by :data:`SORT_ROLE`; filters by song state and by text in title/artist/file.

    Sorting and filtering are not dynamic: rows do not jump while the user looks at them,
    and thousands of row updates a second do not each re-sort the table.  The window calls
    :meth:`resort` when a scan or a batch ends and :meth:`refilter` a few times a second
    while a state filter is on.
    """

    def __init__(self, parent=None):
        super().__init__(parent)
        self._states: frozenset[str] | None = None
        self._text = ""
        #: True while proxy rows are the source rows (natural order, no filter).
        self._identity = True
        self.setSortRole(SORT_ROLE)
        self.setDynamicSortFilter(False)

    def sort(self, column, order=Qt.SortOrder.AscendingOrder):
        # The natural order (``#`` ascending) is the source order: no comparisons at all, so
        # rows added by a scan of thousands of files are not sorted in one by one.
        if column == COL_NUM and order == Qt.SortOrder.AscendingOrder:
            column = -1
        self._identity = False
        super().sort(column, order)
        self._update_identity()

    def _update_identity(self) -> None:
        self._identity = self.sortColumn() < 0 and not self.filtering

    @property
    def filtering(self) -> bool:
        """True when a state or text filter is on."""
        return self._states is not None or bool(self._text)

    def resort(self) -> None:
        """Apply the current sort again (skipped for the natural order, already exact)."""
        col, order = self.sortColumn(), self.sortOrder()
        if col >= 0:
            self.sort(col, order)

    def refilter(self) -> None:
        """Evaluate the filter again on every row (states change as songs run)."""
        if self.filtering:
            self._change_filter(lambda: None)

    def set_states(self, states) -> None:
        """Show only songs in ``states`` (values of :class:`SongState`); None shows all."""
        self._change_filter(lambda: setattr(
            self, "_states", None if states is None else frozenset(str(s) for s in states)))

    def set_text(self, text: str) -> None:
        """Show only songs whose title, artist or file contains ``text`` (any case)."""
        self._change_filter(lambda: setattr(self, "_text", text.strip().casefold()))

    def _change_filter(self, change) -> None:
        self._identity = False
        if hasattr(self, "beginFilterChange"):  # Qt >= 6.10
            self.beginFilterChange()
            change()
            self.endFilterChange()
        else:
            change()
            self.invalidateFilter()
        self._update_identity()

    def setSourceModel(self, model):  # noqa: N802 - Qt API
        self._identity = False
        super().setSourceModel(model)
        self._update_identity()

    def multiData(self, index, span):  # noqa: N802 - Qt API
        """Answer through :meth:`SongTableModel.fill_roles`, mapping the row only when the
        proxy sorts or filters."""
        if not index.isValid():
            return
        if self._identity:
            # rows in source order, none hidden: the proxy row is the source row
            self.sourceModel().fill_roles(index.row(), index.column(), span)
            return
        src = self.mapToSource(index)
        if src.isValid():
            self.sourceModel().fill_roles(src.row(), src.column(), span)

    def flags(self, index):
        """Every cell is enabled and selectable (answered here: the base class would map the
        index to the source model, which costs two more Python calls per cell)."""
        return _CELL_FLAGS if index.isValid() else Qt.ItemFlag.NoItemFlags

    def filterAcceptsRow(self, source_row, source_parent):  # noqa: N802 - Qt API
        if self._states is None and not self._text:
            return True
        model = self.sourceModel()
        job = model.job(source_row)
        if self._states is not None and job.state.value not in self._states:
            return False
        if self._text:
            title, artist = model.title_artist(job)
            hay = f"{title}\n{artist}\n{os.path.basename(job.path)}".casefold()
            if self._text not in hay:
                return False
        return True


class ProgressDelegate(QStyledItemDelegate):
    """Draws a slim progress bar coloured by the song's state, with the percentage."""

    def paint(self, painter, option, index):
        state = SongState(index.data(STATE_ROLE))
        frac = index.data(PROGRESS_ROLE) or 0.0
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        painter.save()
        if selected:
            painter.fillRect(option.rect, option.palette.highlight())
        else:
            bg = index.data(Qt.ItemDataRole.BackgroundRole)
            if bg is not None:
                painter.fillRect(option.rect, bg)
        r = QRectF(option.rect).adjusted(4, 5, -4, -5)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor(0, 0, 0, 28))
        painter.drawRoundedRect(r, 3, 3)
        if state is not SongState.QUEUED and frac > 0:
            fill = QRectF(r)
            fill.setWidth(max(2.0, r.width() * min(1.0, frac)))
            painter.setBrush(QColor(STATE_COLORS[state]))
            painter.drawRoundedRect(fill, 3, 3)
        text = index.data(Qt.ItemDataRole.DisplayRole)
        if text:
            on_fill = state is not SongState.QUEUED and frac >= 0.5
            painter.setPen(QColor("white") if on_fill or selected
                           else option.palette.color(option.palette.ColorRole.Text))
            painter.drawText(r, int(Qt.AlignmentFlag.AlignCenter), text)
        painter.restore()


def rows_to_tsv(model, rows, *, columns=None) -> str:
    """Tab-separated text of ``rows`` of ``model`` (any model), with a header line.

    Parameters
    ----------
    model : QAbstractItemModel
        The model as the user sees it (e.g. the sorting proxy).
    rows : iterable of int
        Row numbers in ``model``.
    columns : iterable of int, optional
        Columns to copy (default: all).
    """
    cols = list(range(model.columnCount())) if columns is None else list(columns)

    def clean(v) -> str:
        return "" if v is None else str(v).replace("\t", " ").replace("\n", " ")

    lines = ["\t".join(clean(model.headerData(c, Qt.Orientation.Horizontal)) for c in cols)]
    for r in rows:
        lines.append("\t".join(clean(model.index(r, c).data()) for c in cols))
    return "\n".join(lines) + "\n"
