"""The live song table model: one row per job of the engine's batch.

The model never copies the batch: it reads each :class:`core.batch.rules.Job` when the view asks,
and the engine tells it which rows changed (in batches, a few times a second), so a deck of
thousands of songs stays smooth.  Its columns and roles are those of
:mod:`gui.song_columns`; colours and icons come from :mod:`gui.song_paint`; the window
shows it through :class:`gui.song_filter.SongFilterProxy`.

Once a reference sheet is loaded into the window's
:class:`gui.calibration_controller.CalibrationController`, the model appends the reference
columns of :func:`gui.reference_columns.reference_columns` (reference value, error, and the
tempo and key agreement), coloured by agreement.  Their cells are computed once per song,
result and match, and refreshed in one notification per match.
"""

from __future__ import annotations

import bisect
import math
import os

from PySide6.QtCore import QAbstractTableModel, QModelIndex, Qt
from PySide6.QtGui import QBrush

from core.batch.rules import TERMINAL_STATES, SongState
from core.io.csvio import format_cell, neutralize
from core.io.keynotation import with_flats
from gui.column_help import column_tip
from gui.formatting import fmt_duration, fmt_value, plain_tip, shown_name, spell_key
from gui.reference_columns import Cell, reference_cells, reference_columns
from gui.song_columns import (
    AGREEMENT_ROLE,
    COL_ARTIST,
    COL_CHUNK,
    COL_ELAPSED,
    COL_FILE,
    COL_NOTE,
    COL_NUM,
    COL_PROGRESS,
    COL_STATUS,
    COL_TITLE,
    COL_WORKER,
    COLUMN_NAMES,
    COPY_HEADERS,
    COPY_ROLE,
    FIRST_DESCRIPTOR_COL,
    FIRST_REFERENCE_COL,
    HEADERS,
    JOB_ID_ROLE,
    PATH_ROLE,
    PRETTY_RATIO,
    PROGRESS_ROLE,
    REFERENCE_TIPS,
    SORT_ROLE,
    STATE_ORDER,
    STATE_ROLE,
    TABLE_DESCRIPTORS,
    TEXT_DESCRIPTORS,
    USER_COPY_ROLE,
    agreement_verdict,
    descriptor_column,
)
from gui.song_paint import ROW_BACKGROUND, status_icon
from gui.song_text import CORRECTED as _CORRECTED
from gui.song_text import USER_MARK, WAITING_NOTE, note_text

__all__ = ["SongTableModel"]

_ALTERNATIVES_COL = descriptor_column("bpm_alternatives")
_KEY_COL = descriptor_column("key")
_ALIGN_RIGHT = int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
#: Rows whose painted cells are kept at most (the cache is emptied beyond).
_MAX_CACHED_ROWS = 400
#: Roles a view asks for that no cell of the table sets.
_UNUSED_ROLES = frozenset(int(r.value) for r in (
    Qt.ItemDataRole.FontRole, Qt.ItemDataRole.ForegroundRole, Qt.ItemDataRole.CheckStateRole,
    Qt.ItemDataRole.SizeHintRole, Qt.ItemDataRole.StatusTipRole,
    Qt.ItemDataRole.WhatsThisRole, Qt.ItemDataRole.AccessibleDescriptionRole))


def _is_text_column(rc) -> bool:
    return rc.descriptor == "key" or rc.kind == "agreement"


def _chunk_count(job) -> int:
    """The number of chunks ``job`` is read in (0 while unknown)."""
    return job.n_chunks or (job.result.chunks if job.result and job.result.chunks else 0)


class SongTableModel(QAbstractTableModel):
    """Rows are the engine's jobs, in batch order; columns as in :data:`gui.song_columns.HEADERS`.

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
        #: Painted cells: job id -> {(column, role): value}, dropped when the song changes.
        self._cells: dict[int, dict] = {}
        #: The rows' order: row -> job id, and job id -> row; None for the batch's order.
        self._order: list[int] | None = None
        self._row_of: list[int] | None = None
        #: ``(column, descending)`` of the order shown (None: the batch's order).
        self._sorted: tuple[int, bool] | None = None
        #: Sort keys: column -> ``(keys by job id, job ids whose key is out of date)``,
        #: kept as :attr:`_cells` are (until the engine reports the song changed).
        self._keys: dict[int, tuple[list, set]] = {}
        #: True while the rows are in the order :meth:`sort_rows` last gave them, no song
        #: having changed or come since (a sort asked again then has nothing to do).
        self._order_exact = False
        #: Keys shown with flats (with the flat sign, as the key tips) instead of sharps (Settings).
        self.flat_keys = False
        engine.jobsAdded.connect(self._on_added)
        engine.cleared.connect(self._on_cleared)
        engine.jobsRemoved.connect(self._on_removed)
        if hasattr(engine, "jobsReturned"):
            engine.jobsReturned.connect(self._on_returned)
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
        """Replace the reference columns: removed and inserted only when they change.

        Rows sorted by a reference column stay sorted by it where the new sheet has it
        too; otherwise they go back to the batch's order (the column sorted by is gone)."""
        self._clear_cells()
        if [c.name for c in columns] == [c.name for c in self.reference_columns]:
            self.reference_columns = list(columns)
            self._refresh_reference()
            return
        sorted_by = None  # the name of the reference column the rows are sorted by
        if self._sorted is not None and \
                0 <= self._sorted[0] - FIRST_REFERENCE_COL < len(self.reference_columns):
            sorted_by = self.reference_columns[self._sorted[0] - FIRST_REFERENCE_COL].name
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
        if sorted_by is not None:
            names = [c.name for c in self.reference_columns]
            if sorted_by in names:
                self._sorted = (FIRST_REFERENCE_COL + names.index(sorted_by), self._sorted[1])
            else:
                self.sort_rows(-1)

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
        pos = ctrl.song_index(job.key)
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
                ratio = PRETTY_RATIO.get(cell.text, cell.text.replace("x", "\u00d7", 1))
                return f"octave {ratio}" if cell.category == "octave" else ratio
            if rc.name == "ref_key":
                return spell_key(cell.text, flats=self.flat_keys)
            return cell.text
        if role == COPY_ROLE:  # the value as the paired export writes it: a key with
            # sharps and without its Camelot code, a number in full and without a plus sign
            return format_cell(self.reference_cells(job)[rc.name].value)
        if role == SORT_ROLE:
            value = self.reference_cells(job)[rc.name].value
            if _is_text_column(rc):
                return "" if value is None else str(value)
            return -math.inf if value is None else float(value)
        if role == Qt.ItemDataRole.BackgroundRole:
            cell, agree = self._group_cell(job, rc)
            color = cell.color or (agree.color if agree is not None and cell.text else None)
            if color is None:
                color = ROW_BACKGROUND.get(job.state)
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
        self._order_exact = False
        self.beginInsertRows(QModelIndex(), first, last)
        if self._order is not None:  # below the sorted rows until the next sort
            self._order.extend(range(first, last + 1))
            self._row_of.extend(range(first, last + 1))
        self._n = last + 1
        self.endInsertRows()

    def _on_cleared(self) -> None:
        self._clear_cells()
        self.beginResetModel()
        self._n = len(self.engine.batch.jobs)
        self._order = self._row_of = None
        if self._sorted is not None:  # a list put back is shown in the order chosen
            self._order, self._row_of = self._ordered(*self._sorted)
        self.endResetModel()

    #: More separate runs of rows than this are not removed or inserted one run at a time
    #: (each costs the filter proxy a pass over its rows): the model is reset instead.
    MAX_RUNS = 64

    def _on_removed(self, places: list) -> None:
        """Songs left the list (``places``: the places they had; empty when songs came
        back, :meth:`_on_returned`): their rows are removed in place, a contiguous run
        at a time, the other rows keep their order (sorted or not), selection and
        filter.  A model reset (the whole table laid out and filtered again, 35-50 ms at
        20,000 songs) is kept for what runs do not fit."""
        if not places:
            return
        gone = sorted(set(places))
        n_old = self._n
        if gone[-1] >= n_old:  # (songs the rows did not show yet: not seen)
            self._on_cleared()
            return
        gone_set = set(gone)
        remap = [-1] * n_old  # old place -> new place (-1: removed), a stretch at a time
        prev = 0
        for k, g in enumerate([*gone, n_old]):
            remap[prev:g] = range(prev - k, g - k)
            prev = g + 1
        row_of = self._row_of
        rows = gone if row_of is None else sorted(row_of[i] for i in gone)
        runs = _runs(rows)
        if len(runs) > self.MAX_RUNS:
            self._on_cleared()
            return
        self._cells.clear()  # (a row's cells name its place, which moved)
        self._ref_cache.clear()
        self._keys.pop(COL_NUM, None)
        for col, (keys, stale) in list(self._keys.items()):
            self._keys[col] = (
                _without(keys, gone),
                {i - bisect.bisect_left(gone, i) for i in stale if i not in gone_set})
        order = self._order
        # row -> new place while the runs go (a removed song's row: -1, shows nothing)
        shown = remap if order is None else [remap[j] for j in order]
        self._order = shown
        for first, last in reversed(runs):
            self.beginRemoveRows(QModelIndex(), first, last)
            del shown[first:last + 1]
            self._n -= last - first + 1
            self.endRemoveRows()
        self._set_order(shown, natural=order is None)

    def _on_returned(self, places: list) -> None:
        """Songs came back (Undo) at ``places``: their rows are inserted in place, at
        their places in the order shown (the batch's, or the sorted one)."""
        back = sorted(set(places))
        n_new = self._n + len(back)
        if not back or n_new != len(self.engine.batch.jobs) or back[-1] >= n_new:
            self._on_cleared()
            return
        back_set = set(back)
        kept = [i for i in range(n_new) if i not in back_set]  # old place -> new place
        self._cells.clear()
        self._ref_cache.clear()
        self._keys.pop(COL_NUM, None)
        for col, (keys, stale) in list(self._keys.items()):
            if len(keys) > len(kept):
                del self._keys[col]
                continue
            # the keys at the songs' new places; those back are computed again
            fresh = [None] * (kept[len(keys) - 1] + 1 if keys else 0)
            for i, v in enumerate(keys):
                fresh[kept[i]] = v
            self._keys[col] = (fresh, {kept[i] for i in stale if i < len(kept)} | back_set)
        order = self._order
        shown = list(kept) if order is None else [kept[j] for j in order]
        if order is None:
            rows = back
            final = None
        else:
            self._order = shown
            self._order_exact = False
            self._n, n_old = n_new, self._n  # (the keys of every song, those back too)
            try:
                final, _row_of = self._ordered(*self._sorted)
            finally:
                self._n = n_old
            if [j for j in final if j not in back_set] != shown:
                # the songs shown moved among themselves since the sort: shown sorted anew
                self._on_cleared()
                return
            rows = sorted(_row_of[b] for b in back)
        runs = _runs(rows)
        if len(runs) > self.MAX_RUNS:
            self._on_cleared()
            return
        self._order = shown
        src = iter(back if final is None else [final[r] for r in rows])
        for first, last in runs:
            self.beginInsertRows(QModelIndex(), first, last)
            shown[first:first] = [next(src) for _ in range(last - first + 1)]
            self._n += last - first + 1
            self.endInsertRows()
        self._set_order(shown, natural=order is None)

    def _set_order(self, shown: list, *, natural: bool) -> None:
        """The rows' order after songs left or came back: the batch's, or ``shown``."""
        if natural:
            self._order = self._row_of = None
            return
        row_of = [0] * len(shown)
        for row, job_id in enumerate(shown):
            row_of[job_id] = row
        self._order, self._row_of = shown, row_of

    def _on_progressed(self, rows: list) -> None:
        self._on_changed(rows, COL_STATUS, COL_WORKER)

    def set_flat_keys(self, flats: bool) -> None:
        """Show keys with flats (``True``) or sharps, in the Key and Ref key columns."""
        if bool(flats) == self.flat_keys:
            return
        self.flat_keys = bool(flats)
        self._clear_cells()
        if self.rowCount() and self.columnCount():
            self.dataChanged.emit(self.index(0, 0), self.index(self.rowCount() - 1,
                                                               self.columnCount() - 1))

    def _clear_cells(self) -> None:
        """Forget every value kept (painted cells, reference cells, sort keys)."""
        self._ref_cache.clear()
        self._cells.clear()
        self._keys.clear()
        self._order_exact = False

    def _forget_keys(self, job_ids) -> None:
        """The sort keys of ``job_ids`` are out of date (their songs changed)."""
        for _keys, stale in self._keys.values():
            stale.update(job_ids)
        self._order_exact = False

    def _unreported(self) -> set[int]:
        """Songs the engine changed and has not reported yet."""
        pending = getattr(self.engine, "unreported_rows", None)
        return pending() if pending is not None else set()

    def _on_changed(self, rows: list, first_col: int = 0, last_col: int | None = None) -> None:
        if last_col is None:
            last_col = self.columnCount() - 1
        if rows:
            self._forget_keys(rows)
        cells = self._cells
        if cells:
            for r in rows:
                cells.pop(r, None)
        row_of = self._row_of
        if row_of is not None:  # job ids to rows
            rows = sorted(row_of[j] for j in rows if j < len(row_of))
            if len(rows) > 64:  # scattered by the sort: one notification for their span
                self.dataChanged.emit(self.index(rows[0], first_col),
                                      self.index(rows[-1], last_col))
                return
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
        return 0 if parent.isValid() else len(HEADERS) + len(self.reference_columns)

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):  # noqa: N802
        if orientation == Qt.Orientation.Horizontal:
            if FIRST_REFERENCE_COL <= section < self.columnCount():
                rc = self.reference_columns[section - FIRST_REFERENCE_COL]
                if role == Qt.ItemDataRole.DisplayRole:
                    return rc.header
                if role == Qt.ItemDataRole.ToolTipRole:
                    return REFERENCE_TIPS[rc.kind].format(d=rc.descriptor, name=rc.name)
                return None
            if role == Qt.ItemDataRole.DisplayRole and 0 <= section < len(HEADERS):
                return HEADERS[section]
            if role == Qt.ItemDataRole.ToolTipRole and 0 <= section < len(HEADERS):
                return column_tip(COLUMN_NAMES[section], HEADERS[section]) or None
            if role == USER_COPY_ROLE and 0 <= section < len(HEADERS) \
                    and COLUMN_NAMES[section] in _CORRECTED:
                return f"{HEADERS[section]} set by hand"
            if role == COPY_ROLE and 0 <= section < len(HEADERS):
                return COPY_HEADERS.get(COLUMN_NAMES[section])
        return None

    # ``flags`` is not overridden: Qt's own answer (enabled, selectable, no children) is the
    # one wanted, and leaving it in C++ spares a Python call per cell painted.

    def job(self, row: int):
        """The job of row ``row`` (the job id is the row unless :meth:`sort_rows` ordered
        them otherwise)."""
        order = self._order
        return self.engine.batch.jobs[row if order is None else order[row]]

    def row_of(self, job_id: int) -> int:
        """The row showing job ``job_id``."""
        return job_id if self._row_of is None else self._row_of[job_id]

    @property
    def sorted_by(self) -> tuple[int, bool] | None:
        """``(column, descending)`` of the rows' order; None for the batch's order."""
        return self._sorted

    def sort_rows(self, column: int, descending: bool = False) -> None:
        """Show the rows in the order of ``column``'s :data:`SORT_ROLE` values (equal
        values, missing ones among them, in the batch's order); a negative ``column``, or
        ``#`` ascending, is the batch's order.

        The order is computed here in one Python sort and given to the views as one layout
        change, with the persistent indexes (selection, current row) moved to the same
        songs: a sort proxy calls back into Python for each of its n log n comparisons,
        a second or more for 20,000 songs.
        """
        if column < 0 or (column == COL_NUM and not descending):
            self._sorted = None
            order = row_of = None
        elif (self._order_exact and self._sorted == (column, bool(descending))
              and column != COL_ELAPSED and not self._unreported()):
            return  # already in that order (a view's sortByColumn sorts twice)
        else:
            self._sorted = (column, bool(descending))
            order, row_of = self._ordered(column, bool(descending))
        if order is None and self._order is None:
            self._order_exact = False
            return
        self.layoutAboutToBeChanged.emit()
        old = self.persistentIndexList()
        old_order = self._order
        jobs = [i.row() if old_order is None else old_order[i.row()] for i in old]
        self._order, self._row_of = order, row_of
        self._order_exact = order is not None
        self.changePersistentIndexList(
            old, [self.index(self.row_of(j), i.column()) for i, j in zip(old, jobs, strict=True)])
        self.layoutChanged.emit()

    def _ordered(self, column: int, descending: bool):
        """``(order, row_of)`` of the songs sorted by ``column``."""
        keys = self.sort_keys(column)
        try:
            order = sorted(range(len(keys)), key=keys.__getitem__, reverse=descending)
        except TypeError:  # values of several types: by type, then as text
            text = [(type(k).__name__, str(k)) for k in keys]
            order = sorted(range(len(keys)), key=text.__getitem__, reverse=descending)
        row_of = [0] * len(order)
        for row, job_id in enumerate(order):
            row_of[job_id] = row
        return order, row_of

    def title_artist(self, job) -> tuple[str, str]:
        """Title and artist: from the result once analyzed, else from tags or the file name."""
        r = job.result
        if r is not None and r.title:
            return r.title, r.artist
        return self.engine.identity.get(job.id, (shown_name(os.path.basename(job.path)), ""))

    def descriptor(self, job, col: int):
        """Value of descriptor column ``col`` (None when unknown): the user's correction
        where there is one, else the analyzer's; while a song is analyzed again, its
        earlier result."""
        r = job.result if job.result is not None else job.previous
        if r is None:
            return None
        name = TABLE_DESCRIPTORS[col - FIRST_DESCRIPTOR_COL]
        user = _CORRECTED.get(name)
        if user is not None:
            value = getattr(r, user, None)
            if value is not None:
                return value
        return getattr(r, name, None)

    def corrected(self, job, col: int) -> bool:
        """True when the user corrected descriptor column ``col`` of ``job``."""
        name = TABLE_DESCRIPTORS[col - FIRST_DESCRIPTOR_COL] if col >= FIRST_DESCRIPTOR_COL \
            else ""
        user = _CORRECTED.get(name)
        r = job.result
        return user is not None and r is not None and getattr(r, user, None) is not None

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        row, col = index.row(), index.column()
        jobs = self.engine.batch.jobs
        if row >= self._n or row >= len(jobs):
            return None
        if self._order is not None:
            row = self._order[row]
            if row < 0:  # (a song leaving: its row goes next)
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
        if self._order is not None:
            row = self._order[row]
            if row < 0:
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
            value = self._reference_value(job, col, role)
            return plain_tip(value) if role == Qt.ItemDataRole.ToolTipRole else value
        if role == Qt.ItemDataRole.DisplayRole:
            return self._display(job, col)
        if role == SORT_ROLE:
            return self._sort_value(job, col)
        if role == COPY_ROLE:
            return self._copy_text(job, col)
        if role == USER_COPY_ROLE:
            return self._user_text(job, col)
        if role == Qt.ItemDataRole.DecorationRole and col == COL_STATUS:
            return status_icon(job.status)
        if role == Qt.ItemDataRole.ToolTipRole:
            return plain_tip(self._tooltip(job, col))
        if role == Qt.ItemDataRole.AccessibleTextRole:
            return self._progress_speech(job) if col == COL_PROGRESS else None
        if role == Qt.ItemDataRole.BackgroundRole:
            color = ROW_BACKGROUND.get(job.state)
            return QBrush(color) if color is not None else None
        if role == Qt.ItemDataRole.TextAlignmentRole:
            if col in (COL_NUM, COL_CHUNK, COL_ELAPSED) or (
                    col >= FIRST_DESCRIPTOR_COL
                    and TABLE_DESCRIPTORS[col - FIRST_DESCRIPTOR_COL] not in TEXT_DESCRIPTORS):
                return _ALIGN_RIGHT
            return None
        if role == JOB_ID_ROLE:
            return job.id
        if role == STATE_ROLE:
            return job.status.value
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
            return shown_name(os.path.basename(job.path))
        if col == COL_STATUS:
            return job.status.value
        if col == COL_NOTE:
            return note_text(job, self.engine.batch.budget(job)
                             if job.state is SongState.STALLED else None)
        if col == COL_PROGRESS:
            if job.status is SongState.QUEUED:
                return ""
            if job.state in TERMINAL_STATES and job.state is not SongState.DONE:
                return job.state.value
            return f"{100 * job.progress:.0f} %"
        if col == COL_CHUNK:
            n = _chunk_count(job)
            if not n:
                return ""
            chunk = n if job.state is SongState.DONE else job.chunk
            return f"{chunk}/{n}"
        if col == COL_ELAPSED:
            r = job.result
            if r is not None and r.source == "store" and job.state is SongState.DONE:
                return "from store"
            if job.started_at is None:  # a song restored from an earlier session
                return fmt_duration(r.analysis_s) if r is not None and r.analysis_s else ""
            if job.status is SongState.QUEUED:  # (in a cluster's queue: its clock waits)
                return ""
            return (f"{fmt_duration(job.elapsed())} / "
                    f"{fmt_duration(self.engine.batch.budget(job))}")
        if col == COL_WORKER:  # (none yet for a song in a cluster's queue)
            return job.worker if job.started_at is not None and \
                job.status is not SongState.QUEUED else ""
        name = TABLE_DESCRIPTORS[col - FIRST_DESCRIPTOR_COL]
        text = fmt_value(name, self.descriptor(job, col))
        if name == "key":
            text = spell_key(text, flats=self.flat_keys)
        return text + USER_MARK if text and self.corrected(job, col) else text

    def _copy_text(self, job, col: int) -> str | None:
        """A cell as a copy gives it (:data:`COPY_ROLE`).

        A descriptor is the analyzer's value as the results CSV's column writes it
        (:func:`core.io.csvio.format_cell`): a duration in seconds, a meter in beats per
        bar, ``true`` / ``false``, a key with sharps; the user's own value goes to a column
        of its own (:meth:`_user_text`), as the CSV's ``bpm_user`` / ``key_user``.  The
        fixed columns whose text a spreadsheet would read as a time, a date or a
        percentage are copied as plain numbers (:data:`gui.song_columns.COPY_HEADERS`): the
        count of chunks and the seconds the analysis took, as the CSV's ``chunks`` and
        ``analysis_s``, and the progress in percent.  The other fixed columns are their
        text, one that a spreadsheet would take for a formula (a title ``-Intro-`` or
        ``=1+1``) with the apostrophe the CSV gives it (:func:`core.io.csvio.neutralize`).
        """
        if col == COL_PROGRESS:
            text = self._display(job, col)
            return text.removesuffix(" %")
        if col == COL_CHUNK:
            return format_cell(_chunk_count(job) or None)
        if col == COL_ELAPSED:
            return format_cell(None if job.result is None else job.result.analysis_s)
        if col < FIRST_DESCRIPTOR_COL:
            return neutralize(self._display(job, col))
        r = job.result if job.result is not None else job.previous
        name = TABLE_DESCRIPTORS[col - FIRST_DESCRIPTOR_COL]
        return format_cell(None if r is None else getattr(r, name, None))

    def _user_text(self, job, col: int) -> str | None:
        """The value the user set in descriptor column ``col`` (:data:`USER_COPY_ROLE`),
        empty when none; None for a column the user sets nothing in.  Read from the result
        the row shows (:meth:`descriptor`): while a song is analyzed again, its earlier
        one, whose values set by hand its new result takes over."""
        name = TABLE_DESCRIPTORS[col - FIRST_DESCRIPTOR_COL] if col >= FIRST_DESCRIPTOR_COL \
            else ""
        user = _CORRECTED.get(name)
        if user is None:
            return None
        r = job.result if job.result is not None else job.previous
        return format_cell(None if r is None else getattr(r, user, None))

    def sort_keys(self, col: int) -> list:
        """The :data:`SORT_ROLE` value of every song in column ``col``, in the batch's
        order (for :meth:`sort_rows`).

        Kept per song and column, and computed again only for the songs the engine
        reported changed (or has changed and not reported yet) since: sorting 20,000
        songs again by another column, or back, asks no song for its value twice.  The
        time a running song has taken changes without a report: that column is always
        computed afresh."""
        jobs = self.engine.batch.jobs[:self._n]
        value = self._value
        if col == COL_ELAPSED:
            return [value(job, col, SORT_ROLE) for job in jobs]
        kept = self._keys.get(col)
        if kept is None:
            kept = self._keys[col] = ([value(job, col, SORT_ROLE) for job in jobs], set())
            return list(kept[0])
        keys, stale = kept
        stale.update(self._unreported())
        if len(keys) > len(jobs):  # (the model shows fewer rows than it kept: start over)
            del self._keys[col]
            return self.sort_keys(col)
        for i in stale:
            if i < len(keys):
                keys[i] = value(jobs[i], col, SORT_ROLE)
        stale.clear()
        keys.extend(value(job, col, SORT_ROLE) for job in jobs[len(keys):])
        return list(keys)

    def _sort_value(self, job, col: int):
        if col == COL_NUM:
            return job.id
        if col in (COL_TITLE, COL_ARTIST):
            return self._display(job, col).casefold()
        if col == COL_FILE:
            return os.path.basename(job.path).casefold()
        if col == COL_STATUS:
            return STATE_ORDER[job.status]
        if col == COL_PROGRESS:
            return float(job.progress)
        if col == COL_CHUNK:
            return job.chunk
        if col == COL_NOTE:
            return self._display(job, col).casefold()
        if col == COL_ELAPSED:
            return float(job.elapsed()) if job.started_at is not None and \
                job.status is not SongState.QUEUED else -1.0
        if col == COL_WORKER:
            return job.worker
        name = TABLE_DESCRIPTORS[col - FIRST_DESCRIPTOR_COL]
        value = self.descriptor(job, col)
        if name in TEXT_DESCRIPTORS:
            return "" if value is None else str(value)
        if value is None:
            return -math.inf
        return float(value)

    def _progress_speech(self, job) -> str:
        """The progress bar of ``job`` in words, for a screen reader ("Progress: 40 %,
        chunk 2 of 5"; the bar's own text is only "40 %")."""
        shown = self._display(job, COL_PROGRESS)
        if not shown:
            return f"Progress: {job.status.value}"
        text = f"Progress: {shown}"
        if job.state in (SongState.RUNNING, SongState.STALLED) and job.n_chunks:
            text += f", chunk {job.chunk} of {job.n_chunks}"
        return text

    def _tooltip(self, job, col: int):
        if col == COL_FILE:
            return shown_name(job.path)
        if col in (COL_NOTE, _ALTERNATIVES_COL):  # (both may be cut short in their cell)
            return self._display(job, col) or None
        if col == COL_ELAPSED and job.result is not None and job.result.source == "store":
            took = job.result.analysis_s
            return ("served from the session store: analyzed earlier with the same "
                    "settings" + (f" in {fmt_duration(took)}" if took else ""))
        if col >= FIRST_DESCRIPTOR_COL and self.corrected(job, col):
            name = TABLE_DESCRIPTORS[col - FIRST_DESCRIPTOR_COL]
            analyzer = fmt_value(name, getattr(job.result, name, None)) or "none"
            if name == "key":  # (a sheet may spell either key with flats)
                mine = with_flats(fmt_value(name, self.descriptor(job, col)))
                return (f"your correction {mine}; the analyzer said {with_flats(analyzer)} "
                        f"(both are exported, with sharps: {name} and {_CORRECTED[name]})")
            return (f"your correction; the analyzer said {analyzer} (both are exported: "
                    f"{name} and {_CORRECTED[name]})")
        if col == _KEY_COL and job.state is SongState.DONE:
            text = fmt_value("key", self.descriptor(job, col))
            spelled = with_flats(text)
            return spelled if spelled != text else None
        if job.error and (job.state in TERMINAL_STATES or col == COL_STATUS):
            return f"{job.state.value}: {job.error}"
        if job.state is SongState.STALLED:
            return (f"past its budget of {fmt_duration(self.engine.batch.budget(job))} "
                    f"on {job.worker}")
        if col == COL_STATUS:
            if job.status is not job.state:
                return f"{job.status.value}: {WAITING_NOTE}"
            return job.state.value
        return None



def _runs(rows: list) -> list[tuple[int, int]]:
    """``(first, last)`` of each run of consecutive numbers in sorted ``rows``."""
    runs: list[tuple[int, int]] = []
    for r in rows:
        if runs and r == runs[-1][1] + 1:
            runs[-1] = (runs[-1][0], r)
        else:
            runs.append((r, r))
    return runs


def _without(seq: list, gone: list) -> list:
    """``seq`` without the items at the sorted places ``gone`` (copied a stretch at a
    time)."""
    out: list = []
    prev = 0
    for g in gone:
        if g >= len(seq):
            break
        out.extend(seq[prev:g])
        prev = g + 1
    out.extend(seq[prev:])
    return out
