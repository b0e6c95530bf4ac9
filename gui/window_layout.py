"""The window's layout: its size fitted to the screen, the height of the bottom pane per tab,
and the table's columns, remembered between runs.

Part of :class:`gui.main_window.MainWindow` (a mixin).  On the first start the window takes
the screen it opens on into account (a 1280x720 laptop gets the whole screen, a large
monitor a comfortable part of it) and the song table gets at least
:data:`MIN_TABLE_ROWS` rows above the bottom pane.  Each tab of the bottom pane keeps the
height the user gave it: the Calibration tab can be tall without making the Workers tab tall
too.  Everything is kept in ``QSettings`` when the window remembers.
"""

from __future__ import annotations

import json
import logging

from PySide6.QtCore import QRect, QSettings, Qt

__all__ = ["LayoutMixin", "fitted_geometry", "MIN_TABLE_ROWS"]

log = logging.getLogger(__name__)

#: Rows of the song table kept in sight above the bottom pane on the first start.
MIN_TABLE_ROWS = 12
#: Largest size (px) the window takes on a big screen at its first start.
_COMFORTABLE = (1680, 1050)


def fitted_geometry(available: QRect) -> QRect:
    """Where the window goes on its first start, on a screen whose free area is
    ``available`` (the screen less task bars and docks).

    Screens up to 1366x800 are filled; larger ones get 85 % of their width and 90 % of
    their height, at most :data:`_COMFORTABLE`, centred.
    """
    w, h = available.width(), available.height()
    if w > 1366 or h > 800:
        w = min(w, max(1366, min(_COMFORTABLE[0], int(0.85 * w))))
        h = min(h, max(800, min(_COMFORTABLE[1], int(0.90 * h))))
    x = available.x() + (available.width() - w) // 2
    y = available.y() + (available.height() - h) // 2
    return QRect(x, y, w, h)


class LayoutMixin:
    """Layout part of the main window (uses its splitter, bottom tabs and table)."""

    def _init_layout(self) -> None:
        #: Bottom pane height (px) per tab title, as the user left it.
        self._pane_heights: dict[str, int] = {}
        self.splitter.splitterMoved.connect(self._remember_pane_height)
        self.bottom_tabs.currentChanged.connect(self._apply_pane_height)

    # -- first start ----------------------------------------------------------------------
    def fit_to_screen(self, available: QRect | None = None) -> None:
        """Size and place the window for the screen (its free area, or ``available``), and
        split it so the song table shows at least :data:`MIN_TABLE_ROWS` rows."""
        maximize = False
        if available is None:
            screen = self.screen()
            if screen is None:
                return
            available = screen.availableGeometry()
            # A screen the window fills: maximized, so a window manager fits its title bar
            # and frame in too (without one, the geometry below is what counts).
            maximize = available.width() <= 1366 and available.height() <= 800
        geometry = fitted_geometry(available)
        self.setGeometry(geometry)
        if maximize:
            self.setWindowState(self.windowState() | Qt.WindowState.WindowMaximized)
        self.split_for_height(geometry.height())

    def split_for_height(self, height: int) -> None:
        """Divide the splitter for a window ``height`` px tall: the table gets its minimum
        rows or 55 % of the room, whichever is more; the bottom pane the rest."""
        bars = (self.menuBar().sizeHint().height() + self.statusBar().sizeHint().height()
                + max((tb.sizeHint().height() for tb in self._toolbars()), default=0))
        room = max(200, height - bars - self.splitter.handleWidth())
        table = self.table
        rows = (table.horizontalHeader().sizeHint().height()
                + MIN_TABLE_ROWS * table.verticalHeader().defaultSectionSize()
                + table.horizontalScrollBar().sizeHint().height() + 2 * table.frameWidth())
        least = rows + self.table_bar.sizeHint().height() + 12
        top = min(room - 120, max(least, int((0.55 if room < 800 else 0.62) * room)))
        self._default_pane = room - top
        #: The tallest the bottom pane may be while the table keeps its minimum rows.
        self._tallest_pane = max(self._default_pane, room - least)
        self.splitter.setSizes([top, room - top])
        self._apply_pane_height(self.bottom_tabs.currentIndex())

    def _toolbars(self):
        from PySide6.QtWidgets import QToolBar

        return [tb for tb in self.findChildren(QToolBar) if tb.isVisibleTo(self)]

    # -- the bottom pane, per tab ---------------------------------------------------------
    def _tab_title(self, index: int | None = None) -> str:
        i = self.bottom_tabs.currentIndex() if index is None else index
        return self.bottom_tabs.tabText(i).replace("&", "")

    def _remember_pane_height(self, *_):
        self._pane_heights[self._tab_title()] = self.splitter.sizes()[1]

    def _default_height(self, index: int) -> int | None:
        """A tab's pane height before the user sets one: the Workers tab as tall as its
        workers (a few rows need no half screen), the Calibration tab as tall as its view
        likes (its plots at a size that reads; but never at the cost of the table's minimum
        rows), the others the first start's split."""
        default = getattr(self, "_default_pane", None)
        page = self.bottom_tabs.widget(index)
        if default is not None and page is getattr(self, "_calibration_holder", None):
            # as tall as the view likes, as far as the table keeps its rows
            need = (self.calibration_view.sizeHint().height()
                    + self.bottom_tabs.tabBar().sizeHint().height() + 6)
            return max(default, min(need, self._tallest_pane))
        if default is not None and page is self.workers:
            w = self.workers
            rows = max(4, len(self.engine.slots) + 1)
            need = (w.horizontalHeader().sizeHint().height() + 2 * w.frameWidth()
                    + rows * w.verticalHeader().defaultSectionSize()
                    + self.bottom_tabs.tabBar().sizeHint().height())
            return min(default, need)
        return default

    def _apply_pane_height(self, index: int) -> None:
        want = self._pane_heights.get(self._tab_title(index), self._default_height(index))
        top, bottom = self.splitter.sizes()
        if want is not None and want != bottom and top + bottom > 0:
            want = max(80, min(want, top + bottom - 120))
            self.splitter.setSizes([top + bottom - want, want])

    # -- remembered -----------------------------------------------------------------------
    def _save_layout(self) -> None:
        from gui.column_chooser import column_layout

        qs = QSettings()
        qs.setValue("ui/geometry", self.saveGeometry())
        qs.setValue("ui/state", self.saveState())
        qs.setValue("ui/splitter", self.splitter.saveState())
        qs.setValue("ui/pane_heights", json.dumps(self._pane_heights))
        qs.setValue("ui/bottom_tab", self.bottom_tabs.currentIndex())
        qs.setValue("ui/columns", json.dumps(column_layout(self.table)))

    def _restore_layout(self) -> None:
        from gui.column_chooser import apply_column_layout

        qs = QSettings()
        geometry = qs.value("ui/geometry")
        if geometry is None or not self.restoreGeometry(geometry):
            self.fit_to_screen()
        else:
            self._keep_on_screen()
        state = qs.value("ui/state")
        if state is not None:
            self.restoreState(state)
        splitter = qs.value("ui/splitter")
        if splitter is not None:
            self.splitter.restoreState(splitter)
        for key, apply in (("ui/pane_heights", self._restore_pane_heights),
                           ("ui/columns", lambda v: apply_column_layout(self.table, v))):
            text = qs.value(key)
            if not text:
                continue
            try:
                apply(json.loads(str(text)))
            except (ValueError, TypeError):
                log.warning("ignoring a damaged remembered layout (%s)", key)
        try:
            tab = int(qs.value("ui/bottom_tab", 0))
        except (TypeError, ValueError):
            tab = 0
        if 0 <= tab < self.bottom_tabs.count():
            self.bottom_tabs.setCurrentIndex(tab)

    def _restore_pane_heights(self, value) -> None:
        if isinstance(value, dict):
            self._pane_heights = {str(k): int(v) for k, v in value.items()
                                  if isinstance(v, int | float) and v > 0}

    def _keep_on_screen(self) -> None:
        """A remembered geometry from a larger screen is shrunk onto this one."""
        screen = self.screen()
        if screen is None:
            return
        free = screen.availableGeometry()
        if self.width() > free.width() or self.height() > free.height():
            self.fit_to_screen(free)
