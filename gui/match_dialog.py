"""The manual match dialog: pair a song with a reference row by hand, or undo a pair.

Left, the songs without a reference row (ambiguous ones marked, their candidate rows in the
tooltip); right, the reference rows no song uses (or every row); below, the current pairs.
Select one song and one row and press Pair (or double-click the row); select a pair and
press Unpair.  The dialog redraws whenever the controller re-matches.
"""

from __future__ import annotations

import os

from PySide6.QtCore import Qt
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
)

from gui.calibration_controller import CalibrationController
from gui.formatting import plain_tip, spell_key
from gui.keyboard import name_clear_button

__all__ = ["MatchDialog", "INDEX_ROLE", "song_label", "row_label"]

#: Item role holding the song index (song and pair lists) or the sheet row index (row list).
INDEX_ROLE = Qt.ItemDataRole.UserRole + 1


def song_label(index: int, row: dict) -> str:
    """``"#3  Title - Artist  (file.mp3)"`` for a results row."""
    title = (row.get("title") or "").strip()
    artist = (row.get("artist") or "").strip()
    name = os.path.basename(row.get("path") or "")
    text = f"#{index + 1}  {title or name}"
    if artist:
        text += f" - {artist}"
    if title and name:
        text += f"  ({name})"
    return text


def row_label(ref, *, flats: bool = False) -> str:
    """``"row 12: Title - Artist  [128 BPM, A minor]"`` for a reference row, its key with
    flats with ``flats`` (Settings > Key names)."""
    text = f"row {ref.row}: {ref.title}"
    if ref.artist:
        text += f" - {ref.artist}"
    extra = []
    if "bpm" in ref.values:
        extra.append(f"{ref.values['bpm']:g} BPM")
    if ref.key is not None:
        extra.append(spell_key(ref.key.name, flats=flats))
    return text + (f"  [{', '.join(extra)}]" if extra else "")


def _list() -> QListWidget:
    w = QListWidget()
    w.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    w.setUniformItemSizes(True)
    return w


class MatchDialog(QDialog):
    """Pair unmatched songs with reference rows by hand.

    Parameters
    ----------
    controller : CalibrationController
        Holds the results, the sheet and the match; pairing calls
        :meth:`CalibrationController.manual_match` and :meth:`CalibrationController.unmatch`.
    parent : QWidget, optional
    """

    def __init__(self, controller: CalibrationController, parent=None):
        super().__init__(parent)
        self.controller = controller
        #: Keys spelled with flats (Settings > Key names), as in the window's other views.
        self.flat_keys = False
        self.setWindowTitle("Matches")
        self.resize(980, 620)

        self.song_filter = QLineEdit()
        self.song_filter.setPlaceholderText("Filter songs")
        self.song_filter.setClearButtonEnabled(True)
        self.row_filter = QLineEdit()
        self.row_filter.setPlaceholderText("Filter reference rows")
        self.row_filter.setClearButtonEnabled(True)
        name_clear_button(self.song_filter, "Clear Song Filter")
        name_clear_button(self.row_filter, "Clear Row Filter")
        self.show_all_rows = QCheckBox("&Show rows already paired")
        self.show_all_rows.setToolTip("Pairing with a used row moves it to the new song")
        self.song_list = _list()
        self.row_list = _list()
        self.pair_list = _list()
        for w, name in ((self.song_filter, "Filter songs"),
                        (self.row_filter, "Filter reference rows"),
                        (self.song_list, "Songs without a reference row"),
                        (self.row_list, "Reference rows"), (self.pair_list, "Pairs")):
            w.setAccessibleName(name)
        self.song_header = QLabel()
        self.row_header = QLabel()
        self.pair_header = QLabel()
        for label in (self.song_header, self.row_header, self.pair_header):
            label.setTextFormat(Qt.TextFormat.PlainText)
        self.pair_button = QPushButton("&Pair")
        self.pair_button.setToolTip("Pair the selected song with the selected reference row")
        self.unpair_button = QPushButton("&Unpair")
        self.unpair_button.setToolTip("Remove the selected pair; the song stays unpaired "
                                      "when the results are matched again")

        grid = QGridLayout()
        grid.addWidget(self.song_header, 0, 0)
        grid.addWidget(self.row_header, 0, 1)
        grid.addWidget(self.song_filter, 1, 0)
        rf = QHBoxLayout()
        rf.addWidget(self.row_filter, 1)
        rf.addWidget(self.show_all_rows)
        grid.addLayout(rf, 1, 1)
        grid.addWidget(self.song_list, 2, 0)
        grid.addWidget(self.row_list, 2, 1)
        grid.setRowStretch(2, 3)
        mid = QHBoxLayout()
        mid.addStretch(1)
        mid.addWidget(self.pair_button)
        pairs_bar = QHBoxLayout()
        pairs_bar.addWidget(self.pair_header, 1)
        pairs_bar.addWidget(self.unpair_button)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        lay = QVBoxLayout(self)
        lay.addLayout(grid, 3)
        lay.addLayout(mid)
        lay.addLayout(pairs_bar)
        lay.addWidget(self.pair_list, 2)
        lay.addWidget(buttons)

        self.pair_button.clicked.connect(self.pair_selected)
        self.unpair_button.clicked.connect(self.unpair_selected)
        # methods, not lambdas: a lambda holding the dialog, kept by a signal, made a cycle
        # (dialog, controller) that only the garbage collector freed, on any thread
        self.row_list.itemDoubleClicked.connect(self._on_row_double_clicked)
        self.song_list.itemSelectionChanged.connect(self._update_buttons)
        self.row_list.itemSelectionChanged.connect(self._update_buttons)
        self.pair_list.itemSelectionChanged.connect(self._update_buttons)
        self.song_filter.textChanged.connect(self._on_song_filter)
        self.row_filter.textChanged.connect(self._on_row_filter)
        self.show_all_rows.toggled.connect(self._on_show_all_rows)
        self._stale = False
        controller.matched.connect(self._on_controller_changed)
        controller.referenceLoaded.connect(self._on_controller_changed)
        self.refresh()

    # -- public -------------------------------------------------------------------------
    def refresh(self) -> None:
        """Rebuild the three lists from the controller, keeping the selections."""
        self._stale = False
        c = self.controller
        m, sheet = c.match, c.sheet
        keep_song, keep_row = self._selected(self.song_list), self._selected(self.row_list)
        keep_pair = self._selected(self.pair_list)
        for w in (self.song_list, self.row_list, self.pair_list):
            w.setUpdatesEnabled(False)
            w.clear()
        if m is None or sheet is None:
            self.song_header.setText("Songs without a reference row")
            self.row_header.setText("Reference rows")
            self.pair_header.setText("Pairs: load a reference sheet and analyze songs first")
        else:
            ambiguous = {a.song: a.candidates for a in m.ambiguous}
            bold = QFont()
            bold.setBold(True)
            for i in m.unmatched_songs:
                item = QListWidgetItem(song_label(i, c.rows[i]))
                item.setData(INDEX_ROLE, i)
                if i in ambiguous:
                    item.setText(item.text() + "   [ambiguous]")
                    item.setToolTip(plain_tip("Equally good rows:\n" + "\n".join(
                        f"{row_label(sheet.rows[j], flats=self.flat_keys)}  (score {s:g})"
                        for j, s in ambiguous[i])))
                    item.setFont(bold)
                self.song_list.addItem(item)
            used = {x.row: x.song for x in m.matches}
            rows = range(len(sheet.rows)) if self.show_all_rows.isChecked() else m.unmatched_rows
            for j in rows:
                item = QListWidgetItem(row_label(sheet.rows[j], flats=self.flat_keys))
                item.setData(INDEX_ROLE, j)
                if j in used:
                    item.setForeground(Qt.GlobalColor.gray)
                    item.setToolTip(plain_tip(
                        f"now paired with {song_label(used[j], c.rows[used[j]])}"))
                self.row_list.addItem(item)
            for x in m.matches:
                text = (f"{song_label(x.song, c.rows[x.song])}   ->   "
                        f"{row_label(sheet.rows[x.row], flats=self.flat_keys)}   ({x.method}"
                        + (f", {x.score:g}" if x.method == "fuzzy" else "") + ")")
                item = QListWidgetItem(text)
                item.setData(INDEX_ROLE, x.song)
                self.pair_list.addItem(item)
            self.song_header.setText(f"Songs without a reference row: {len(m.unmatched_songs)}"
                                     f" ({len(ambiguous)} ambiguous)")
            self.row_header.setText(f"Reference rows not used: {len(m.unmatched_rows)} of "
                                    f"{len(sheet.rows)}")
            self.pair_header.setText(f"Pairs: {len(m.matches)}")
        for w, keep in ((self.song_list, keep_song), (self.row_list, keep_row),
                        (self.pair_list, keep_pair)):
            if keep is not None:
                self._select(w, keep)
            w.setUpdatesEnabled(True)
        self._apply_filter(self.song_list, self.song_filter)
        self._apply_filter(self.row_list, self.row_filter)
        self._update_buttons()

    def select_song(self, song_index: int) -> bool:
        """Select song ``song_index`` in the unmatched list; False when it is not there."""
        return self._select(self.song_list, song_index)

    def select_row(self, row_index: int) -> bool:
        """Select sheet row ``row_index`` (0-based) in the row list; False when not there."""
        return self._select(self.row_list, row_index)

    def select_pair(self, song_index: int) -> bool:
        """Select the pair of song ``song_index``; False when it has none."""
        return self._select(self.pair_list, song_index)

    def pair_selected(self) -> bool:
        """Pair the selected song with the selected row; True when a pair was made."""
        song, row = self._selected(self.song_list), self._selected(self.row_list)
        if song is None or row is None:
            return False
        self.controller.manual_match(song, row)
        return True

    def unpair_selected(self) -> bool:
        """Remove the selected pair; True when one was removed."""
        song = self._selected(self.pair_list)
        if song is None:
            return False
        self.controller.unmatch(song)
        return True

    # -- helpers --------------------------------------------------------------------------
    def _on_row_double_clicked(self, _item) -> None:
        self.pair_selected()

    def _on_song_filter(self, _text: str) -> None:
        self._apply_filter(self.song_list, self.song_filter)

    def _on_row_filter(self, _text: str) -> None:
        self._apply_filter(self.row_list, self.row_filter)

    def _on_show_all_rows(self, _checked: bool) -> None:
        self.refresh()

    def _on_controller_changed(self, _summary) -> None:
        self._changed()

    def _changed(self) -> None:
        if self.isVisible():
            self.refresh()
        else:
            self._stale = True  # rebuilt when shown

    def showEvent(self, event):  # noqa: N802 - Qt API
        if self._stale:
            self.refresh()
        super().showEvent(event)

    @staticmethod
    def _selected(w: QListWidget):
        items = w.selectedItems()
        return items[0].data(INDEX_ROLE) if items else None

    @staticmethod
    def _select(w: QListWidget, index: int) -> bool:
        for n in range(w.count()):
            item = w.item(n)
            if item.data(INDEX_ROLE) == index:
                w.setCurrentItem(item)
                item.setSelected(True)
                return True
        return False

    @staticmethod
    def _apply_filter(w: QListWidget, edit: QLineEdit) -> None:
        text = edit.text().strip().casefold()
        for n in range(w.count()):
            item = w.item(n)
            item.setHidden(bool(text) and text not in item.text().casefold())

    def _update_buttons(self) -> None:
        self.pair_button.setEnabled(self._selected(self.song_list) is not None
                                    and self._selected(self.row_list) is not None)
        self.unpair_button.setEnabled(self._selected(self.pair_list) is not None)
