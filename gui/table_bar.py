"""The bar above the song table: which songs to show (state filter and text search) and the
one-click actions on the selected row (preview, tempo x2 and /2, tempo, key, columns).

It has its own row, so a narrow window never hides the filter in the toolbar's overflow
menu.  Its buttons show the window's own actions (one ``QAction`` each, also in the menus,
with their shortcuts), so there is one home for each command.
"""

from __future__ import annotations

from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QSizePolicy,
    QToolButton,
    QWidget,
)

from gui.keyboard import name_clear_button

__all__ = ["TableBar"]


class TableBar(QWidget):
    """Filter, search and row actions of the song table.

    Parameters
    ----------
    filters : iterable of str
        The state filter's choices (the first is "all").
    actions : iterable of QAction or None
        Row actions, shown as buttons; None puts a gap.
    """

    def __init__(self, filters, actions=(), parent=None):
        super().__init__(parent)
        lay = QHBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(6)
        self.filter_combo = QComboBox()
        self.filter_combo.addItems(list(filters))
        self.filter_combo.setToolTip("Show songs in these states")
        self.filter_combo.setAccessibleName("Show")
        label = QLabel("&Show:")
        label.setBuddy(self.filter_combo)
        self.search = QLineEdit()
        self.search.setPlaceholderText("Filter title, artist, file  (Ctrl+F)")
        self.search.setClearButtonEnabled(True)
        name_clear_button(self.search, "Clear Filter")
        self.search.setAccessibleName("Filter")
        self.search.setMinimumWidth(110)
        self.search.setMaximumWidth(320)
        self.search.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        lay.addWidget(label)
        lay.addWidget(self.filter_combo)
        # The field takes the room first (up to its largest width): at 1024 px its hint,
        # with the shortcut, was cut to "(Ctr..." while a spacer took as much.
        lay.addWidget(self.search, 6)
        lay.addStretch(1)
        #: The row action buttons, in order.
        self.buttons: list[QToolButton] = []
        for action in actions:
            if action is None:
                lay.addSpacing(8)
                continue
            b = QToolButton()
            b.setDefaultAction(action)
            b.setAutoRaise(True)
            self.buttons.append(b)
            lay.addWidget(b)
