"""The song table view: sorting, column layout (frozen ``#`` and Title, the column chooser),
copy as TSV, the row context menu and the keys of a song list (Home / End: first / last
song; Enter and Space: play; the Menu key and Shift+F10: the row menu at the current
song)."""

from __future__ import annotations

import os

from PySide6.QtCore import QElapsedTimer, QEvent, QPoint, Qt, QTimer, QUrl, Signal
from PySide6.QtGui import QAction, QDesktopServices, QGuiApplication, QKeySequence, QPainter
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QHeaderView,
    QMenu,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTableView,
)

from core.batch.rules import TERMINAL_STATES, SongState
from gui.frozen_view import FrozenColumns
from gui.song_columns import (
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
    COPY_ROLE,
    FROZEN_COLUMNS,
    JOB_ID_ROLE,
    PATH_ROLE,
    STATE_ROLE,
    TABLE_DESCRIPTORS,
    USER_COPY_ROLE,
    descriptor_column,
)
from gui.song_paint import ProgressDelegate
from gui.song_text import short_notes

__all__ = ["SongTableView", "rows_to_tsv", "NOTE_WIDTH"]

_KEY_COL = descriptor_column("key")
_ALTERNATIVES_COL = descriptor_column("bpm_alternatives")

#: The Note column's width (px) on a table of up to :data:`_NARROW_TABLE` px, and the width
#: a remembered layout keeps for it until the user sets one.
NOTE_WIDTH = 230
#: A table wider than this (px) gives the Note column its extra width, up to what fits the
#: longest note: the columns a 1280 px window shows keep their room.
_NARROW_TABLE = 1280
#: How often (ms) at most the Note column is fitted again while notes change.
_NOTE_FIT_MS = 300
#: Room (px) a fitted Note column keeps after its longest note, beyond the item's margins
#: (Qt's size hint rounds the text's width and left some notes 1 px short of the grid line).
_NOTE_SLACK = 4

_WIDTHS = {COL_NUM: 44, COL_TITLE: 190, COL_ARTIST: 130, COL_FILE: 150, COL_STATUS: 96,
           COL_NOTE: NOTE_WIDTH, COL_PROGRESS: 96, COL_ELAPSED: 112, COL_WORKER: 56}


class _MiddleElide(QStyledItemDelegate):
    """Elides in the middle (file names keep their end and extension)."""

    def initStyleOption(self, option, index):  # noqa: N802 - Qt API
        super().initStyleOption(option, index)
        option.textElideMode = Qt.TextElideMode.ElideMiddle


class _NoteDelegate(QStyledItemDelegate):
    """A note too long for its cell is painted in fewer words (:func:`short_notes`: a song
    with two doubts says both with their figures, one with four says what to check), then
    elided at its end; its text, tooltip and the width that fits it are the whole note's."""

    @staticmethod
    def shown(text: str, metrics, width: int, style) -> str:
        """What a cell ``width`` px wide paints of the note ``text`` (before eliding).

        A form fits when its width, a whole number of pixels, is under the room the style
        leaves: the width is rounded, and Qt elides a text whose unrounded width passes
        the room by a fraction of a pixel ("tempo confidence 0.37" is 223.3 px)."""
        if not text:
            return text
        room = width - 2 * (style.pixelMetric(QStyle.PixelMetric.PM_FocusFrameHMargin) + 1)
        forms = short_notes(text)
        for form in forms:
            if metrics.horizontalAdvance(form) < room:
                return form
        return forms[-1]

    def paint(self, painter, option, index):
        opt = QStyleOptionViewItem(option)
        self.initStyleOption(opt, index)
        widget = opt.widget
        style = widget.style() if widget is not None else QApplication.style()
        opt.text = self.shown(opt.text, opt.fontMetrics, opt.rect.width(), style)
        style.drawControl(QStyle.ControlElement.CE_ItemViewItem, opt, painter, widget)


class SongTableView(QTableView):
    """The live song table.

    Signals
    -------
    skipRequested(list)
        Job ids the user chose to skip.
    retryRequested(list)
        Job ids the user chose to analyze again.
    playRequested()
        Enter or Space: play the selected song (or stop it).
    """

    skipRequested = Signal(list)
    retryRequested = Signal(list)
    playRequested = Signal()
    #: The user asked for the header menu's Columns... dialog.
    columnsDialogRequested = Signal()

    def __init__(self, parent=None):
        super().__init__(parent)
        #: Actions on the selected rows shown in the context menu (set by the window).
        self.row_actions: list = []
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setAlternatingRowColors(True)
        self.setSortingEnabled(True)
        self.setWordWrap(False)
        self.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.setTabKeyNavigation(False)  # Tab leaves the table; arrows move inside it
        self.setHorizontalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        vh = self.verticalHeader()
        vh.hide()
        vh.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        vh.setDefaultSectionSize(22)
        hh = self.horizontalHeader()
        hh.setHighlightSections(False)
        hh.setSectionsMovable(True)
        hh.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        hh.customContextMenuRequested.connect(self._header_menu)
        #: The Note column's width the user set by dragging its edge (None: fitted to the
        #: table, see :meth:`fit_note_column`).
        self.note_width: int | None = None
        self._fitting = False  # the view itself is sizing the Note column
        self._header_held = False  # a mouse button is down on the header
        hh.viewport().installEventFilter(self)
        hh.sectionResized.connect(self._section_resized)
        hh.sectionHandleDoubleClicked.connect(self._handle_double_clicked)
        self._note_need = 0  # the widest note seen in sight since the rows last went (px)
        self._note_fit = QTimer(self)
        self._note_fit.setSingleShot(True)
        self._note_fit.setInterval(_NOTE_FIT_MS)
        self._note_fit.timeout.connect(self.fit_note_column)
        self.verticalScrollBar().valueChanged.connect(self._notes_changed)
        self.setItemDelegateForColumn(COL_PROGRESS, ProgressDelegate(self))
        self.setItemDelegateForColumn(COL_FILE, _MiddleElide(self))
        self.setItemDelegateForColumn(COL_NOTE, _NoteDelegate(self))
        self.frozen = FrozenColumns(self, FROZEN_COLUMNS)
        self.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.customContextMenuRequested.connect(self._menu)
        self.setAccessibleName("Songs")
        self.setAccessibleDescription(
            "One row per song: its state, note, progress and descriptors. Enter or Space "
            "plays the selected song; Delete skips it; the menu key opens its actions.")
        self._typed = QElapsedTimer()  # when a letter was last typed (keyboard search)
        self.copy_action = QAction("&Copy Rows", self)
        self.copy_action.setShortcut(QKeySequence.StandardKey.Copy)
        keys = self.copy_action.shortcut().toString(QKeySequence.SequenceFormat.NativeText)
        self.copy_action.setToolTip(f"Copy the selected rows as tab-separated text, values "
                                    f"as the results CSV writes them ({keys})")
        self.copy_action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.copy_action.triggered.connect(self.copy_selection)
        self.addAction(self.copy_action)
        # the row menu from the keyboard, where the keyboard is (Qt opens a keyboard
        # context menu in the middle of the table, whatever row is current)
        self.menu_action = QAction("Song &Menu", self)
        self.menu_action.setShortcuts([QKeySequence(Qt.Key.Key_Menu),
                                       QKeySequence("Shift+F10")])
        self.menu_action.setToolTip("Open the menu of the selected songs at the current "
                                    "song, as a right click does; Shift+F10 too (Menu)")
        self.menu_action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.menu_action.triggered.connect(self.menu_at_current_row)
        self.addAction(self.menu_action)
        self.empty_text = ("Drop folders or audio files here\n"
                           "or use File \u25b8 Add Folder\u2026 (Ctrl+Shift+O)")

    def setModel(self, model):  # noqa: N802 - Qt API
        super().setModel(model)
        # The selected songs are looked up again only when the selection or the rows change
        # (the window asks several times a second; with 10,000 songs selected a lookup
        # took a quarter of a second).
        self._selected_ids = None
        self.selectionModel().selectionChanged.connect(self._forget_selected)
        for changed in (model.layoutChanged, model.modelReset, model.rowsInserted,
                        model.rowsRemoved, model.rowsMoved):
            changed.connect(self._forget_selected)
            changed.connect(self._notes_changed)
        # A song's id is its place in the list: a song put back or taken out before the
        # selected ones renumbers them even while a filter hides it (no row of this view
        # comes or goes then).
        source = model.sourceModel() if hasattr(model, "sourceModel") else None
        if source is not None:
            for changed in (source.layoutChanged, source.modelReset, source.rowsInserted,
                            source.rowsRemoved, source.rowsMoved):
                changed.connect(self._forget_selected)
        for gone in (model.modelReset, model.rowsRemoved):
            gone.connect(self._notes_gone)
        model.dataChanged.connect(self._cells_changed)
        fm = self.horizontalHeader().fontMetrics()
        for col in range(model.columnCount()):
            width = _WIDTHS.get(col)
            if width is None:  # descriptors: wide enough for the header and a typical value
                text = str(model.headerData(col, Qt.Orientation.Horizontal) or "")
                width = max(64, fm.horizontalAdvance(text) + 28)
                if col == COL_CHUNK:
                    width = fm.horizontalAdvance("888/888") + 18
                elif col == _KEY_COL:
                    width = max(width, fm.horizontalAdvance("C# minor \u270e") + 16)
                elif col == _ALTERNATIVES_COL:
                    width = max(width, fm.horizontalAdvance("61.5 / 123 / 184.5 / 246") + 16)
            # never narrower than the header with its sort arrow: a sorted "Loudness (LUFS)"
            # read "Loudness (LU..." in its 127 px
            self._set_width(col, max(width, self.horizontalHeader().sectionSizeHint(col)))
        from gui.column_chooser import DEFAULT_HIDDEN

        for col, name in enumerate(COLUMN_NAMES):
            self.setColumnHidden(col, name in DEFAULT_HIDDEN)
        self.sortByColumn(COL_NUM, Qt.SortOrder.AscendingOrder)
        model.columnsInserted.connect(self._place_reference_columns)
        self.frozen.attach()

    def _header_menu(self, pos) -> None:
        from gui.column_chooser import header_menu

        menu = header_menu(self, self, self.columnsDialogRequested.emit)
        menu.exec(self.horizontalHeader().viewport().mapToGlobal(pos))

    def resizeEvent(self, event):  # noqa: N802 - Qt API
        super().resizeEvent(event)
        self.frozen.update_geometry()
        if event.size().width() != event.oldSize().width():
            self.fit_note_column()

    # -- the Note column's width ----------------------------------------------------------
    def fit_note_column(self) -> None:
        """Give the Note column the width its longest note needs, as far as the table is
        wider than :data:`_NARROW_TABLE` px, never less than :data:`NOTE_WIDTH`; a width
        the user set (:attr:`note_width`) is left alone.  The notes measured are those in
        sight and the widest seen before (the column does not narrow as the table
        scrolls), until rows are removed."""
        if self.note_width is not None or self.model() is None \
                or self.isColumnHidden(COL_NOTE):
            return
        want = NOTE_WIDTH
        spare = self.viewport().width() - _NARROW_TABLE
        if spare > 0:
            self._note_need = max(self._note_need, self._notes_in_sight())
            want = max(NOTE_WIDTH, min(self._note_need + _NOTE_SLACK, NOTE_WIDTH + spare))
        if want != self.columnWidth(COL_NOTE):
            self._set_width(COL_NOTE, want)

    def _notes_in_sight(self) -> int:
        """Width (px) the widest note of the rows in sight needs, grid line included.
        Only those: Qt's ``sizeHintForColumn`` also measures up to 1000 rows more, 87 ms
        for a list of 10,000 songs, too slow to run on each step of a window's resize."""
        m = self.model()
        first = self.rowAt(0)
        if first < 0:
            return 0
        last = self.rowAt(self.viewport().height() - 1)
        last = m.rowCount() - 1 if last < 0 else last
        widest = max((self.sizeHintForIndex(m.index(r, COL_NOTE)).width()
                      for r in range(first, last + 1) if not self.isRowHidden(r)), default=0)
        return widest + (1 if self.showGrid() else 0)

    def _notes_gone(self, *_) -> None:
        self._note_need = 0

    def remembered_width(self, col: int) -> int:
        """The width of ``col`` a saved layout keeps: the Note column's own width only when
        the user set it, else :data:`NOTE_WIDTH` (its fitted width follows the window)."""
        if col == COL_NOTE and self.note_width is None:
            return NOTE_WIDTH
        return self.columnWidth(col)

    def restore_width(self, col: int, width: int) -> None:
        """Give ``col`` a width from a saved layout; a Note width other than
        :data:`NOTE_WIDTH` is one the user set and is kept, the default one is fitted."""
        if col != COL_NOTE:
            self.setColumnWidth(col, width)
            return
        self.note_width = None if width == NOTE_WIDTH else width
        self._set_width(col, width)
        self.fit_note_column()

    def _set_width(self, col: int, width: int) -> None:
        """Give ``col`` a width of the view's own choosing (not taken for the user's)."""
        self._fitting = True
        try:
            self.setColumnWidth(col, width)
        finally:
            self._fitting = False

    def _section_resized(self, col: int, _old: int, new: int) -> None:
        # Only a drag of the header's edge is the user's width (a double click on it, which
        # asks for a fitted width, is undone by _handle_double_clicked); the view's own
        # fitting and a restored layout come here as well.
        if col != COL_NOTE or self._fitting:
            return
        if self._header_held:
            self.note_width = new
        else:  # e.g. shown again after it was hidden: fitted again
            self._notes_changed()

    def _handle_double_clicked(self, col: int) -> None:
        """A double click on the edge of ``col``'s header asks for a width that fits: for
        the Note column, the fitted one of :meth:`fit_note_column`, which goes on following
        the table (Qt's own fit, run just before, had set the width as a drag does)."""
        if col != COL_NOTE:
            return
        self.note_width = None
        self.fit_note_column()

    def _notes_changed(self, *_) -> None:
        if not self._note_fit.isActive():
            self._note_fit.start()

    def _cells_changed(self, top_left, bottom_right, _roles=()) -> None:
        if top_left.column() <= COL_NOTE <= bottom_right.column():
            self._notes_changed()

    def eventFilter(self, watched, event):  # noqa: N802 - Qt API
        if watched is self.horizontalHeader().viewport():
            kind = event.type()
            if kind in (QEvent.Type.MouseButtonPress, QEvent.Type.MouseButtonDblClick):
                self._header_held = True
            elif kind == QEvent.Type.MouseButtonRelease:
                self._header_held = False
        return super().eventFilter(watched, event)

    def updateGeometries(self):  # noqa: N802 - Qt API
        super().updateGeometries()
        if hasattr(self, "frozen"):
            self.frozen.update_geometry()

    def scrollTo(self, index, hint=QAbstractItemView.ScrollHint.EnsureVisible):  # noqa: N802
        # Never scroll a cell under the frozen columns: a frozen cell needs no sideways
        # scroll at all, any other is brought out from under them.
        if not index.isValid():
            return
        bar = self.horizontalScrollBar()
        keep = bar.value()
        super().scrollTo(index, hint)
        if index.column() in FROZEN_COLUMNS:
            bar.setValue(keep)
            return
        left = self.columnViewportPosition(index.column())
        cover = self.frozen.width_needed()
        if left < cover:
            bar.setValue(bar.value() - (cover - left))

    # -- keys ----------------------------------------------------------------------------
    def moveCursor(self, action, modifiers):  # noqa: N802 - Qt API
        # Home and End go to the first and last song (a table's own Home and End go to the
        # row's first and last column, which a list of songs selected by row has no use
        # for); Ctrl+Home and Ctrl+End do the same, as before.
        Move = QAbstractItemView.CursorAction
        if action in (Move.MoveHome, Move.MoveEnd):
            m = self.model()
            rows = m.rowCount() if m is not None else 0
            if rows == 0:
                return super().moveCursor(action, modifiers)
            step = 1 if action == Move.MoveHome else -1
            row = 0 if action == Move.MoveHome else rows - 1
            while self.isRowHidden(row) and 0 <= row + step < rows:
                row += step
            current = self.currentIndex()
            column = current.column() if current.isValid() else self.horizontalHeader() \
                .logicalIndex(0)
            return m.index(row, column)
        return super().moveCursor(action, modifiers)

    def keyPressEvent(self, event):  # noqa: N802 - Qt API
        key, mods = event.key(), event.modifiers()
        plain = mods in (Qt.KeyboardModifier.NoModifier, Qt.KeyboardModifier.KeypadModifier)
        if plain and key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self.playRequested.emit()
            event.accept()
            return
        # Space plays, unless it is part of a title being typed to jump to (the table's
        # keyboard search): within the search interval after a letter it stays a space.
        searching = (self._typed.isValid()
                     and self._typed.elapsed() < QApplication.keyboardInputInterval())
        if plain and key == Qt.Key.Key_Space and not searching:
            self.playRequested.emit()
            event.accept()
            return
        if event.text().strip() and event.text().isprintable():
            self._typed.start()
        super().keyPressEvent(event)

    def _source_model(self):
        m = self.model()
        return m.sourceModel() if hasattr(m, "sourceModel") else m

    def _place_reference_columns(self, _parent, first: int, last: int) -> None:
        """Size new reference columns and show each next to its descriptor (the model
        appends them; only their visual position moves)."""
        src = self._source_model()
        ref_cols = getattr(src, "reference_columns", [])
        base = src.columnCount() - len(ref_cols)
        header = self.horizontalHeader()
        fm = header.fontMetrics()
        after: dict = {}  # descriptor -> logical column the next one goes after
        for col in range(first, last + 1):
            if not 0 <= col - base < len(ref_cols):
                continue
            rc = ref_cols[col - base]
            text = str(self.model().headerData(col, Qt.Orientation.Horizontal) or "")
            width = max(64, fm.horizontalAdvance(text) + 28)
            if rc.name == "ref_key":
                width = max(width, fm.horizontalAdvance("C# minor (12A)") + 16)
            elif rc.kind == "agreement":
                width = max(width, fm.horizontalAdvance("parallel") + 28)
            self.setColumnWidth(col, max(width, header.sectionSizeHint(col)))
            anchor_name = "key_camelot" if rc.descriptor == "key" else rc.descriptor
            if anchor_name not in TABLE_DESCRIPTORS:
                continue
            anchor = after.get(rc.descriptor, descriptor_column(anchor_name))
            to = header.visualIndex(anchor) + 1
            header.moveSection(header.visualIndex(col), to)
            after[rc.descriptor] = col

    # -- selection helpers ----------------------------------------------------------------
    def selected_rows(self) -> list[int]:
        """Selected rows of the view's model, top to bottom."""
        sel = self.selectionModel()
        if sel is None:
            return []
        # The selection's ranges, not ``selectedRows()``: that one looks at every cell of
        # every selected row, seconds for a select-all of thousands of songs.
        rows: set[int] = set()
        for rng in sel.selection():
            rows.update(range(rng.top(), rng.bottom() + 1))
        return sorted(rows)

    def selected_job_ids(self) -> list[int]:
        """Job ids of the selected rows, top to bottom."""
        ids = getattr(self, "_selected_ids", None)
        if ids is None:
            m = self.model()
            ids = [m.index(r, 0).data(JOB_ID_ROLE) for r in self.selected_rows()]
            self._selected_ids = ids
        return list(ids)

    def _forget_selected(self, *_) -> None:
        self._selected_ids = None

    def copy_selection(self) -> str:
        """Copy the selected rows to the clipboard as TSV (:func:`rows_to_tsv`: values as
        the results CSV writes them); returns the text."""
        rows = self.selected_rows()
        if not rows:
            return ""
        text = rows_to_tsv(self.model(), rows)
        QGuiApplication.clipboard().setText(text)
        return text

    # -- context menu ---------------------------------------------------------------------
    def menu_at_current_row(self) -> None:
        """Open the row menu beside the current song (the first selected one when none is
        current), scrolled into sight; nothing when the table has no song to act on."""
        idx = self.currentIndex()
        if not idx.isValid():
            rows = self.selected_rows()
            if not rows:
                return
            idx = self.model().index(rows[0], self.horizontalHeader().logicalIndex(0))
        self.scrollTo(idx)
        rect = self.visualRect(idx)
        vp = self.viewport()
        x = min(max(rect.center().x(), self.frozen.width_needed()), vp.width() - 1)
        self._menu(QPoint(x, rect.center().y()))

    def _menu(self, pos) -> None:
        idx = self.indexAt(pos)
        if idx.isValid() and idx.row() not in self.selected_rows():
            self.selectRow(idx.row())
        ids = self.selected_job_ids()
        if not ids:
            return
        m = self.model()
        states = {SongState(m.index(r, 0).data(STATE_ROLE)) for r in self.selected_rows()}
        menu = QMenu(self)
        skip = menu.addAction("&Skip Song")
        skip.setEnabled(any(s not in TERMINAL_STATES for s in states))
        retry = menu.addAction("&Analyze Again")
        retry.setEnabled(any(s in TERMINAL_STATES for s in states))
        if self.row_actions:
            menu.addSeparator()
            for a in self.row_actions:
                if a is None:
                    menu.addSeparator()
                else:
                    menu.addAction(a)
        menu.addSeparator()
        reveal = menu.addAction("Reveal in &File Manager")
        reveal.setEnabled(len(ids) == 1)
        menu.addAction(self.copy_action)
        chosen = menu.exec(self.viewport().mapToGlobal(pos))
        if chosen is skip:
            self.skipRequested.emit(ids)
        elif chosen is retry:
            self.retryRequested.emit(ids)
        elif chosen is reveal:
            path = m.index(self.selected_rows()[0], 0).data(PATH_ROLE)
            QDesktopServices.openUrl(QUrl.fromLocalFile(os.path.dirname(path)))

    def dataChanged(self, top_left, bottom_right, roles=()):  # noqa: N802 - Qt API
        # The base class repaints the whole viewport for any change wider than one cell;
        # repaint only the cells that changed, which keeps a busy table cheap to draw.
        if top_left == bottom_right or not top_left.isValid() or not bottom_right.isValid():
            super().dataChanged(top_left, bottom_right, roles)
            return
        vp = self.viewport()
        h = vp.height()
        top = max(0, self.rowViewportPosition(top_left.row()))
        bottom = min(h, self.rowViewportPosition(bottom_right.row())
                     + self.rowHeight(bottom_right.row()))
        if bottom <= top:
            return  # the changed rows are scrolled out of view
        x0 = self.columnViewportPosition(top_left.column())
        x1 = self.columnViewportPosition(bottom_right.column())
        left, right = 0, vp.width()
        if top_left.column() == bottom_right.column() and x0 >= 0:
            left, right = x0, x0 + self.columnWidth(top_left.column())
        elif x0 >= 0 and x1 >= 0 and not self.horizontalHeader().sectionsMoved():
            left, right = min(x0, x1), max(x0, x1) + self.columnWidth(bottom_right.column())
        vp.update(left, top, right - left, bottom - top)

    def paintEvent(self, event):  # noqa: N802 - Qt API
        super().paintEvent(event)
        m = self.model()
        if m is not None and m.rowCount() == 0:
            src = m.sourceModel() if hasattr(m, "sourceModel") else m
            text = self.empty_text if src.rowCount() == 0 else "No song matches the filter"
            p = QPainter(self.viewport())
            p.setPen(self.palette().placeholderText().color())
            f = p.font()
            f.setPointSizeF(f.pointSizeF() * 1.25)
            p.setFont(f)
            p.drawText(self.viewport().rect(), int(Qt.AlignmentFlag.AlignCenter),
                       text)
            p.end()


def rows_to_tsv(model, rows, *, columns=None) -> str:
    """Tab-separated text of ``rows`` of ``model`` (any model), with a header line.

    A cell is copied as its :data:`~gui.song_columns.COPY_ROLE` text where the model gives
    one (a key with sharps, a value without the pencil of one the user set, a duration in
    seconds, as the results CSV writes them), else as shown; a column is headed as the
    model's ``headerData`` with ``COPY_ROLE`` says where it says (``"Duration (s)"``), else
    as shown.  A column the user sets values in (BPM, Key) is followed by one of the
    values they set (:data:`~gui.song_columns.USER_COPY_ROLE`), as the CSV's ``bpm_user``
    and ``key_user`` follow ``bpm`` and ``key``.

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
    horizontal = Qt.Orientation.Horizontal

    def clean(v) -> str:
        return "" if v is None else str(v).replace("\t", " ").replace("\n", " ")

    def copied(index):
        text = index.data(COPY_ROLE)
        return index.data() if text is None else text

    header, cells = [], []  # per copied column: its header, and how a cell is read
    for c in cols:
        header.append(model.headerData(c, horizontal, COPY_ROLE)
                      or model.headerData(c, horizontal))
        cells.append((c, copied))
        user = model.headerData(c, horizontal, USER_COPY_ROLE)
        if user is not None:
            header.append(user)
            cells.append((c, lambda index: index.data(USER_COPY_ROLE)))
    lines = ["\t".join(clean(h) for h in header)]
    for r in rows:
        lines.append("\t".join(clean(read(model.index(r, c))) for c, read in cells))
    return "\n".join(lines) + "\n"
