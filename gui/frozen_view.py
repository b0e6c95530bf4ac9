"""The frozen columns of the song table: ``#`` and Title stay at the left edge while the
other fifty-odd columns scroll sideways under them, so a row's song is always named.

A second, narrow :class:`QTableView` lies over the left edge of the main view (the layout of
Qt's "Frozen Column" example): it shares the main view's model and selection model, shows
only the frozen columns, scrolls vertically with the main view, mirrors their widths and the
sort indicator, and takes no keyboard focus (Tab goes to the main view).  The main view
keeps the frozen columns at its first visual positions, under the overlay.
"""

from __future__ import annotations

import weakref

from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtWidgets import QAbstractItemView, QFrame, QHeaderView, QTableView

__all__ = ["FrozenColumns"]


class FrozenColumns(QTableView):
    """The overlay showing ``columns`` of ``main`` (logical column numbers, in order).

    Parameters
    ----------
    main : QTableView
        The table it lies over; call :meth:`attach` once the main view has its model.
    columns : tuple of int
        The frozen columns.
    """

    def __init__(self, main: QTableView, columns):
        super().__init__(main)
        # weakly: the main view owns this overlay, which holding it back would make a
        # reference cycle that only the garbage collector frees
        self._main = weakref.ref(main)
        self.columns = tuple(columns)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setVerticalScrollMode(main.verticalScrollMode())
        self.setSelectionBehavior(main.selectionBehavior())
        self.setSelectionMode(main.selectionMode())
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setAlternatingRowColors(main.alternatingRowColors())
        self.setWordWrap(False)
        self.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.setTabKeyNavigation(False)
        vh = self.verticalHeader()
        vh.hide()
        vh.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        vh.setDefaultSectionSize(main.verticalHeader().defaultSectionSize())
        hh = self.horizontalHeader()
        hh.setHighlightSections(False)
        hh.setSectionsMovable(False)
        hh.setSortIndicatorShown(True)
        hh.setSectionsClickable(True)
        self.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.customContextMenuRequested.connect(self._menu_of_main)
        self.setStyleSheet("QTableView { border-right: 1px solid palette(mid); }")

    @property
    def main(self) -> QTableView:
        """The table this overlay lies over."""
        return self._main()

    def _menu_of_main(self, pos) -> None:
        """A right click here opens the main view's menu, at the same place."""
        main = self.main
        main.customContextMenuRequested.emit(
            main.viewport().mapFromGlobal(self.viewport().mapToGlobal(pos)))

    def _sort_indicator_of_main(self, column: int, order) -> None:
        self.horizontalHeader().setSortIndicator(column, order)

    # -- wiring ---------------------------------------------------------------------------
    def attach(self) -> None:
        """Share the main view's model and selection; follow its scrolling and header."""
        main = self.main
        self.setModel(main.model())
        self.setSelectionModel(main.selectionModel())
        model = main.model()
        for signal in (model.rowsInserted, model.rowsRemoved, model.modelReset,
                       model.layoutChanged):
            signal.connect(self._update_shown)
        model.columnsInserted.connect(self.sync_columns)  # (its arguments unused)
        main.verticalScrollBar().valueChanged.connect(self.verticalScrollBar().setValue)
        self.verticalScrollBar().valueChanged.connect(main.verticalScrollBar().setValue)
        mh, fh = main.horizontalHeader(), self.horizontalHeader()
        mh.sectionResized.connect(self._main_resized)
        mh.sectionMoved.connect(self.keep_in_front)
        fh.sectionResized.connect(self._own_resized)
        mh.sortIndicatorChanged.connect(self._sort_indicator_of_main)
        fh.sectionClicked.connect(self._sort)
        fh.setSortIndicator(mh.sortIndicatorSection(), mh.sortIndicatorOrder())
        self.sync_columns()
        self._update_shown()

    def sync_columns(self) -> None:
        """Show exactly the frozen columns the main view shows, at its widths."""
        main = self.main
        for col in range(self.model().columnCount()):
            shown = col in self.columns and not main.isColumnHidden(col)
            self.setColumnHidden(col, not shown)
            if shown:
                self.setColumnWidth(col, main.columnWidth(col))
        self.keep_in_front()
        self.update_geometry()

    def keep_in_front(self) -> None:
        """Move the frozen columns back to the main view's first visual positions."""
        header = self.main.horizontalHeader()
        for i, col in enumerate(self.columns):
            if header.visualIndex(col) != i:
                header.blockSignals(True)
                header.moveSection(header.visualIndex(col), i)
                header.blockSignals(False)
                self.main.viewport().update()
                header.viewport().update()

    def width_needed(self) -> int:
        """Width (px) of the frozen columns shown."""
        return sum(self.main.columnWidth(c) for c in self.columns
                   if not self.main.isColumnHidden(c))

    def update_geometry(self) -> None:
        """Lie exactly over the frozen columns of the main view."""
        main = self.main
        fw = main.frameWidth()
        self.setGeometry(fw, fw, self.width_needed(),
                         main.viewport().height() + main.horizontalHeader().height())

    def _update_shown(self, *_):
        self.setVisible(self.model() is not None and self.model().rowCount() > 0)
        self.update_geometry()

    def _main_resized(self, col: int, _old: int, new: int) -> None:
        if col in self.columns:  # resized, hidden (width 0) or shown again
            self.sync_columns()

    def _own_resized(self, col: int, _old: int, new: int) -> None:
        if col in self.columns and self.main.columnWidth(col) != new:
            self.main.setColumnWidth(col, new)

    def _sort(self, col: int) -> None:
        mh = self.main.horizontalHeader()
        order = Qt.SortOrder.AscendingOrder
        if mh.sortIndicatorSection() == col and mh.sortIndicatorOrder() == order:
            order = Qt.SortOrder.DescendingOrder
        self.main.sortByColumn(col, order)

    # -- painting -------------------------------------------------------------------------
    def dataChanged(self, top_left, bottom_right, roles=()):  # noqa: N802 - Qt API
        # Repaint only when a frozen column changed (progress ticks touch other columns).
        if not top_left.isValid() or not bottom_right.isValid():
            super().dataChanged(top_left, bottom_right, roles)
            return
        lo, hi = top_left.column(), bottom_right.column()
        if not any(lo <= c <= hi for c in self.columns):
            return
        vp = self.viewport()
        top = max(0, self.rowViewportPosition(top_left.row()))
        bottom = min(vp.height(), self.rowViewportPosition(bottom_right.row())
                     + self.rowHeight(bottom_right.row()))
        if bottom > top:
            vp.update(0, top, vp.width(), bottom - top)

    def scrollTo(self, index: QModelIndex, hint=QAbstractItemView.ScrollHint.EnsureVisible):  # noqa: N802
        # Vertical scrolling belongs to the main view, which this one follows.
        if index.isValid():
            self.main.scrollTo(index, hint)
