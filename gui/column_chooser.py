"""Choosing the song table's columns: which are shown and in what order, remembered by name.

The layout is a list of ``{"name", "shown", "width"}`` entries in the order the columns are
shown (names: :data:`gui.song_columns.COLUMN_NAMES`), so a remembered layout still fits when
a later version adds or removes a column: unknown names are ignored and new columns keep
their default place.  The reference columns come and go with the sheet and are not part of
it.  Two ways in: the table header's context menu (tick a column on or off) and the
Columns... dialog (order too; keyboard: Space ticks, Alt+Up/Alt+Down move).
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMenu,
    QPushButton,
    QVBoxLayout,
)

from gui.column_help import column_tip
from gui.song_columns import COL_TITLE, COLUMN_NAMES, FROZEN_COLUMNS, HEADERS

__all__ = ["column_layout", "apply_column_layout", "ColumnChooser", "header_menu",
           "DEFAULT_HIDDEN"]

#: Columns hidden until the user shows them (rarely read while a batch runs).
DEFAULT_HIDDEN = frozenset({"sample_rate", "channels", "bpm_confidence", "key_confidence",
                            "key_modulating", "silence_ratio", "time_signature",
                            "bpm_weak_pulse", "bpm_varies"})
#: Columns that cannot be hidden (a row must name its song).
_ALWAYS_SHOWN = frozenset({COL_TITLE})


def column_layout(view) -> list[dict]:
    """The fixed and descriptor columns of ``view`` in the order shown, with whether each is
    shown and its width (px; the Note column's fitted width is kept as its default, see
    :meth:`gui.song_view.SongTableView.remembered_width`)."""
    header = view.horizontalHeader()
    cols = sorted(range(len(COLUMN_NAMES)), key=header.visualIndex)
    return [{"name": COLUMN_NAMES[c], "shown": not view.isColumnHidden(c),
             "width": view.remembered_width(c)} for c in cols]


def apply_column_layout(view, layout) -> None:
    """Order, show and size the columns of ``view`` as ``layout`` says (see the module
    docstring); entries that are not dicts with a known name are ignored."""
    header = view.horizontalHeader()
    index = {n: i for i, n in enumerate(COLUMN_NAMES)}
    known = [e for e in layout or () if isinstance(e, dict) and e.get("name") in index]
    frozen = [c for c in FROZEN_COLUMNS]
    position = len(frozen)
    for entry in known:
        col = index[entry["name"]]
        shown = bool(entry.get("shown", True)) or col in _ALWAYS_SHOWN
        view.setColumnHidden(col, not shown)
        width = entry.get("width")
        if isinstance(width, int) and 20 <= width <= 2000:
            view.restore_width(col, width)
        if col in frozen:
            continue
        header.moveSection(header.visualIndex(col), position)
        position += 1
    for i, col in enumerate(frozen):
        header.moveSection(header.visualIndex(col), i)


def default_layout() -> list[dict]:
    """Every column in table order, the :data:`DEFAULT_HIDDEN` ones hidden."""
    return [{"name": n, "shown": n not in DEFAULT_HIDDEN} for n in COLUMN_NAMES]


def header_menu(view, parent, on_dialog) -> QMenu:
    """The table header's context menu: a tick per column, then Columns... and Reset."""
    menu = QMenu(parent)
    for entry in column_layout(view):
        col = COLUMN_NAMES.index(entry["name"])
        act = menu.addAction(HEADERS[col])
        act.setCheckable(True)
        act.setChecked(entry["shown"])
        act.setEnabled(col not in _ALWAYS_SHOWN)
        act.toggled.connect(lambda on, c=col: view.setColumnHidden(c, not on))
    menu.addSeparator()
    menu.addAction("Columns\u2026", on_dialog)
    menu.addAction("Reset Columns", lambda: apply_column_layout(view, default_layout()))
    return menu


class ColumnChooser(QDialog):
    """Show, hide and order the song table's columns.

    Parameters
    ----------
    view : QTableView
        The song table; the layout is applied to it on OK.
    """

    def __init__(self, view, parent=None):
        super().__init__(parent)
        self.view = view
        self.setWindowTitle("Columns")
        self.list = QListWidget()
        self.list.setDragDropMode(QAbstractItemView.DragDropMode.InternalMove)
        self.list.setToolTip("Tick the columns to show; drag them, or use Alt+Up and "
                             "Alt+Down, to order them. # and Title stay at the left edge.")
        self._fill(column_layout(view))
        up, down = QPushButton("Move &Up"), QPushButton("Move &Down")
        up.setShortcut("Alt+Up")
        down.setShortcut("Alt+Down")
        up.clicked.connect(lambda: self._move(-1))
        down.clicked.connect(lambda: self._move(1))
        reset = QPushButton("&Reset")
        reset.clicked.connect(lambda: self._fill(default_layout()))
        side = QVBoxLayout()
        for b in (up, down, reset):
            side.addWidget(b)
        side.addStretch(1)
        row = QHBoxLayout()
        row.addWidget(self.list, 1)
        row.addLayout(side)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                   | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        lay = QVBoxLayout(self)
        lay.addWidget(QLabel("Columns of the song table, in the order shown:"))
        lay.addLayout(row)
        lay.addWidget(buttons)
        self.resize(380, 520)

    def _fill(self, layout) -> None:
        self.list.clear()
        widths = {e["name"]: e.get("width") for e in column_layout(self.view)}
        for entry in layout:
            col = COLUMN_NAMES.index(entry["name"])
            item = QListWidgetItem(HEADERS[col])
            item.setData(Qt.ItemDataRole.UserRole, entry["name"])
            item.setData(Qt.ItemDataRole.UserRole + 1, entry.get("width", widths.get(
                entry["name"])))
            item.setToolTip(column_tip(entry["name"], HEADERS[col]))
            flags = item.flags() | Qt.ItemFlag.ItemIsUserCheckable
            if col in FROZEN_COLUMNS:
                flags &= ~Qt.ItemFlag.ItemIsDragEnabled
            if col in _ALWAYS_SHOWN:
                flags &= ~Qt.ItemFlag.ItemIsUserCheckable
            item.setFlags(flags)
            item.setCheckState(Qt.CheckState.Checked if entry["shown"] or col in _ALWAYS_SHOWN
                               else Qt.CheckState.Unchecked)
            self.list.addItem(item)
        self.list.setCurrentRow(0)

    def _move(self, step: int) -> None:
        row = self.list.currentRow()
        to = row + step
        names = [self.list.item(i).data(Qt.ItemDataRole.UserRole)
                 for i in range(self.list.count())]
        frozen = {COLUMN_NAMES[c] for c in FROZEN_COLUMNS}
        if row < 0 or not 0 <= to < self.list.count() or names[row] in frozen \
                or names[to] in frozen:
            return
        item = self.list.takeItem(row)
        self.list.insertItem(to, item)
        self.list.setCurrentRow(to)

    def layout_chosen(self) -> list[dict]:
        """The layout as ticked and ordered in the dialog."""
        out = []
        for i in range(self.list.count()):
            item = self.list.item(i)
            entry = {"name": item.data(Qt.ItemDataRole.UserRole),
                     "shown": item.checkState() == Qt.CheckState.Checked}
            width = item.data(Qt.ItemDataRole.UserRole + 1)
            if isinstance(width, int):
                entry["width"] = width
            out.append(entry)
        return out

    def accept(self) -> None:  # noqa: D102 - Qt API
        apply_column_layout(self.view, self.layout_chosen())
        super().accept()
