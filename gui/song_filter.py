"""The song table's sorting and filtering proxy.

Sorts by :data:`gui.song_columns.SORT_ROLE` and filters by song state, by the analyzer build
of the results and by text in the title, artist or file name, without sorting or filtering
on every row update.
"""

from __future__ import annotations

import os

from PySide6.QtCore import QSortFilterProxyModel, Qt

from core.analysis.identity import made_by_another_build
from gui.song_columns import COL_NUM, SORT_ROLE

__all__ = ["SongFilterProxy"]

#: Flags of every cell: enabled and selectable, no children.
_CELL_FLAGS = (Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
               | Qt.ItemFlag.ItemNeverHasChildren)


class SongFilterProxy(QSortFilterProxyModel):
    """Sorts by :data:`SORT_ROLE` (the song model orders its own rows); filters by song
    state and by text in title/artist/file.

    Sorting and filtering are not dynamic: rows do not jump while the user looks at them,
    and thousands of row updates a second do not each re-sort the table.  The window calls
    :meth:`resort` when a scan or a batch ends and :meth:`refilter` a few times a second
    while a state filter is on.
    """

    def __init__(self, parent=None):
        super().__init__(parent)
        self._states: frozenset[str] | None = None
        self._text = ""
        #: True while only songs whose result another analyzer build made are shown.
        self._other_build = False
        #: True while only songs whose tempo or key is worth checking by ear are shown.
        self._to_check = False
        #: True while proxy rows are the source rows (natural order, no filter).
        self._identity = True
        self.setSortRole(SORT_ROLE)
        self.setDynamicSortFilter(False)

    def sort(self, column, order=Qt.SortOrder.AscendingOrder):
        """Sort by ``column``: the song model orders its rows itself
        (:meth:`gui.song_table.SongTableModel.sort_rows`, one Python sort) and this proxy
        keeps them in that order; another model is sorted by Qt.

        The natural order (``#`` ascending) is the batch's order: nothing to compare, so rows
        added by a scan of thousands of files are not sorted in one by one.
        """
        model = self.sourceModel()
        if hasattr(model, "sort_rows"):
            model.sort_rows(column, order == Qt.SortOrder.DescendingOrder)
            self._update_identity()
            return
        if column == COL_NUM and order == Qt.SortOrder.AscendingOrder:
            column = -1
        self._identity = False
        super().sort(column, order)
        self._update_identity()

    def sortColumn(self) -> int:  # noqa: N802 - Qt API
        """The column sorted by (-1: the natural order)."""
        sorted_by = getattr(self.sourceModel(), "sorted_by", False)
        if sorted_by is False:
            return super().sortColumn()
        return -1 if sorted_by is None else sorted_by[0]

    def sortOrder(self) -> Qt.SortOrder:  # noqa: N802 - Qt API
        sorted_by = getattr(self.sourceModel(), "sorted_by", False)
        if sorted_by is False:
            return super().sortOrder()
        return (Qt.SortOrder.DescendingOrder if sorted_by and sorted_by[1]
                else Qt.SortOrder.AscendingOrder)

    def _update_identity(self) -> None:
        # Qt's own sort column stays -1 with the song model, which orders its rows itself.
        self._identity = super().sortColumn() < 0 and not self.filtering

    @property
    def filtering(self) -> bool:
        """True when a state, build or text filter is on."""
        return (self._states is not None or bool(self._text) or self._other_build
                or self._to_check)

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

    def set_other_build(self, on: bool) -> None:
        """Show only songs whose result another build of the analyzer made (``on``), or
        lift that filter."""
        self._change_filter(lambda: setattr(self, "_other_build", bool(on)))

    def set_to_check(self, on: bool) -> None:
        """Show only done songs whose tempo or key the analyzer doubts and the user has not
        set (``on``; :meth:`core.io.results.SongResult.doubts`), or lift that filter."""
        self._change_filter(lambda: setattr(self, "_to_check", bool(on)))

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
        if not self.filtering:
            return True
        model = self.sourceModel()
        job = model.job(source_row)
        if self._states is not None and job.status.value not in self._states:
            return False
        if self._other_build and not made_by_another_build(job.result):
            return False
        if self._to_check and (job.result is None or not job.result.doubts()):
            return False
        if self._text:
            title, artist = model.title_artist(job)
            hay = f"{title}\n{artist}\n{os.path.basename(job.path)}".casefold()
            if self._text not in hay:
                return False
        return True

