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
        #: True while only songs whose result another analyzer build made are shown.
        self._other_build = False
        #: True while only songs whose tempo or key is worth checking by ear are shown.
        self._to_check = False
        #: True while proxy rows are the source rows (natural order, no filter).
        self._identity = True
        #: Source rows' places in the order being sorted, while :meth:`sort` runs.
        self._ranks = None
        self.setSortRole(SORT_ROLE)
        self.setDynamicSortFilter(False)

    def sort(self, column, order=Qt.SortOrder.AscendingOrder):
        # The natural order (``#`` ascending) is the source order: no comparisons at all, so
        # rows added by a scan of thousands of files are not sorted in one by one.
        if column == COL_NUM and order == Qt.SortOrder.AscendingOrder:
            column = -1
        self._identity = False
        self._ranks = self._sort_ranks(column) if column >= 0 else None
        try:
            super().sort(column, order)
        finally:
            self._ranks = None
        self._update_identity()

    def _sort_ranks(self, column: int):
        """Each source row's place in ``column``'s order (equal values share one), or None
        when the values do not compare (the base class then asks the model per comparison)."""
        model = self.sourceModel()
        keys = model.sort_keys(column) if hasattr(model, "sort_keys") else None
        if keys is None:
            return None
        try:
            order = sorted(range(len(keys)), key=keys.__getitem__)
        except TypeError:
            return None
        ranks = [0] * len(keys)
        rank = 0
        for i, row in enumerate(order):
            if i and keys[row] != keys[order[i - 1]]:
                rank = i
            ranks[row] = rank
        return ranks

    def lessThan(self, left, right):  # noqa: N802 - Qt API
        # While sort() runs, one list lookup per comparison instead of two calls of the
        # model's data(): sorting 10,000 songs took over a second.
        ranks = self._ranks
        if ranks is not None:
            a, b = left.row(), right.row()
            if a < len(ranks) and b < len(ranks):
                return ranks[a] < ranks[b]
        return super().lessThan(left, right)

    def _update_identity(self) -> None:
        self._identity = self.sortColumn() < 0 and not self.filtering

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
        if self._states is not None and job.state.value not in self._states:
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

