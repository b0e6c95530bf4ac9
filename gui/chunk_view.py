"""The Chunks tab: the selected song's values chunk by chunk.

Every song is analyzed in chunks (30 s by default), and each chunk keeps its own tempo, key
and loudness, with how far its tempo and key can be trusted.  For the one analyzed song
selected in the table, this tab shows them in a table beside a plot of each chunk's tempo
against time, with the song's tempo drawn across it in the band of 4 % within which a
chunk reads as the song's tempo (Acc1's tolerance, the band the "Tempo varies" flag uses).  A line above names the song, its tempo and key,
and whether its tempo varies or its key modulates; a tempo or key the user set is named
there with the pencil the song table marks it with, the analyzer's after it.  The chunks
were weighed against the analyzer's tempo, so the line across the plot and its band stay
on it: with a tempo of the user's, the legend names that line "analyzer's tempo" and the
user's tempo has a line of its own, "your tempo" (when it falls outside the chunks' range,
the legend says where, with its value, and no line is drawn).  Only a small table and a few
plot items are set when the selection changes: no analysis or file access happens here.
"""

from __future__ import annotations

import html

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QSizePolicy,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from gui.formatting import fmt_value, plain_tip, spell_key
from gui.plots import titled_plot
from gui.song_text import USER_MARK

__all__ = ["ChunkView", "CHUNK_HEADERS", "NO_SONG", "NO_CHUNKS"]

#: Columns of the chunk table.
CHUNK_HEADERS = ("Chunk", "From", "To", "BPM", "BPM conf.", "Key", "Key conf.",
                 "Loudness (LUFS)")
#: What each column's header tip says.
_HEADER_TIPS = {
    "BPM conf.": "How far this chunk's own tempo can be trusted, 0 to 1: how clearly its "
                 "beat repeats. A break, a bridge or a short last chunk scores low.",
    "Key conf.": "How far this chunk's own key can be trusted, 0 to 1: its margin over "
                 "the next key times how well the key fits the chunk's notes.",
}
_KEY_COLUMN = CHUNK_HEADERS.index("Key")
#: What the tab says when no single analyzed song is selected.
NO_SONG = "Select one analyzed song to see its tempo, key and loudness chunk by chunk."
#: What the tab says of a song analyzed without chunk values (an older list).
NO_CHUNKS = "This song's chunk values were not kept: analyze it again to see them."
#: Half-width of the band around the song's tempo (relative): a chunk inside reads as it.
_BAND = 0.04
_CHUNK_PEN = pg.mkPen((40, 110, 200), width=3)
_SONG_PEN = pg.mkPen((90, 90, 90), width=1, style=Qt.PenStyle.DashLine)
_USER_PEN = pg.mkPen((205, 105, 20), width=2, style=Qt.PenStyle.DashDotLine)
_BAND_BRUSH = pg.mkBrush(120, 120, 120, 40)


def _clock(seconds: float) -> str:
    """``"0:00"``, ``"2:47"``, ``"1:02:07"``: a position in the song."""
    s = int(round(seconds))
    h, rem = divmod(s, 3600)
    m, sec = divmod(rem, 60)
    return f"{h}:{m:02d}:{sec:02d}" if h else f"{m}:{sec:02d}"


def _share(value) -> str:
    """A confidence as shown in the table (``"0.82"``); blank without one."""
    return "" if value is None else f"{value:.2f}"


def _chunk_xy(chunks) -> tuple[np.ndarray, np.ndarray]:
    """One horizontal segment per chunk with a tempo, broken between chunks."""
    x, y = [], []
    for c in chunks:
        if c.bpm is None:
            continue
        x += [c.start_s, c.end_s, np.nan]
        y += [c.bpm, c.bpm, np.nan]
    return np.asarray(x, dtype=float), np.asarray(y, dtype=float)


class ChunkView(QWidget):
    """The chunk values of one song: a summary line, a table and a tempo plot."""

    def __init__(self, parent=None):
        super().__init__(parent)
        #: What is shown: a song's result or a message.  A correction replaces a song's
        #: result by a copy (:meth:`core.batch.rules.Batch.correct`), so the object says
        #: whether what is shown is still current.
        self._shown = None
        #: Keys shown with flats (Settings > Key names), as in the song table.
        self.flat_keys = False
        self.summary = QLabel(NO_SONG)
        self.summary.setWordWrap(True)
        self.summary.setTextFormat(Qt.TextFormat.RichText)
        # A title with no space to wrap at (a file name as title) is cut at the pane's edge
        # (its tip shows it whole) instead of widening the window past the screen.
        self.summary.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.table = QTableWidget(0, len(CHUNK_HEADERS))
        self.table.setHorizontalHeaderLabels(CHUNK_HEADERS)
        for col, name in enumerate(CHUNK_HEADERS):
            if name in _HEADER_TIPS:
                self.table.horizontalHeaderItem(col).setToolTip(_HEADER_TIPS[name])
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.verticalHeader().setVisible(False)
        self.table.setTabKeyNavigation(False)
        self.table.setAccessibleName("Chunks of the selected song")
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        self.plot = titled_plot("Tempo per chunk", "BPM", "time in the song (s)")
        self.band = pg.LinearRegionItem(orientation="horizontal", movable=False,
                                        brush=_BAND_BRUSH, pen=pg.mkPen(None))
        self.band.setZValue(-10)
        self.song_line = pg.InfiniteLine(angle=0, pen=_SONG_PEN)
        #: The user's tempo (set by hand), when it falls within the plot's range.
        self.user_line = pg.InfiniteLine(angle=0, pen=_USER_PEN)
        self.curve = pg.PlotDataItem(pen=_CHUNK_PEN, connect="finite")
        for item in (self.band, self.song_line, self.user_line, self.curve):
            self.plot.addItem(item)
        # What the lines and the grey band are (swatches of their own: an item hidden
        # while no song is shown would be drawn as a crossed-out eye in the legend).
        self.legend = self.plot.addLegend(offset=(-4, 1), labelTextSize="8pt")
        self._swatches = (
            pg.PlotDataItem(pen=_CHUNK_PEN), pg.PlotDataItem(pen=_SONG_PEN),
            pg.BarGraphItem(x=[0], height=[0], width=0, brush=_BAND_BRUSH,
                            pen=pg.mkPen(None)),
            pg.PlotDataItem(pen=_USER_PEN))
        self._legend_labels = ()
        self._name_lines(None)
        body = QHBoxLayout()
        body.setContentsMargins(0, 0, 0, 0)
        body.addWidget(self.table, 2)
        body.addWidget(self.plot, 3)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(6, 4, 6, 4)
        lay.addWidget(self.summary)
        lay.addLayout(body, 1)
        self.show_nothing()

    def show_nothing(self, message: str = NO_SONG) -> None:
        """Empty the table and the plot and say ``message`` (nothing is redrawn when that
        is what the tab shows already: the window calls this on every update)."""
        if isinstance(self._shown, str) and self._shown == message:
            return
        self._shown = message
        self.summary.setText(html.escape(message, quote=False))
        self.summary.setToolTip("")
        self.table.setRowCount(0)
        self.curve.setData([], [])
        for item in (self.band, self.song_line, self.user_line, self.legend):
            item.setVisible(False)

    def set_flat_keys(self, flats: bool) -> None:
        """Spell the keys with flats (or sharps), the song shown included."""
        if bool(flats) == self.flat_keys:
            return
        self.flat_keys = bool(flats)
        if self._shown is not None and not isinstance(self._shown, str):
            result, self._shown = self._shown, None
            self._show_result(result)

    def show_song(self, job) -> None:
        """Show the chunks of ``job`` (a done song of the batch), unless they are shown."""
        if self._shown is not job.result:
            self._show_result(job.result)

    def _show_result(self, result) -> None:
        chunks = list(result.chunk_results or [])
        if not chunks:
            self.show_nothing(NO_CHUNKS)
            return
        self._shown = result
        self.summary.setText(self._summary(result))
        self.summary.setToolTip(plain_tip(result.title or result.path))
        self.table.setRowCount(len(chunks))
        for row, c in enumerate(chunks):
            cells = (str(c.index + 1), _clock(c.start_s), _clock(c.end_s),
                     "" if c.bpm is None else f"{c.bpm:.1f}", _share(c.bpm_confidence),
                     spell_key(c.key or "", flats=self.flat_keys), _share(c.key_confidence),
                     "" if c.loudness_lufs is None else f"{c.loudness_lufs:.1f}")
            for col, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if col != _KEY_COLUMN:
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight
                                          | Qt.AlignmentFlag.AlignVCenter)
                self.table.setItem(row, col, item)
        x, y = _chunk_xy(chunks)
        self.curve.setData(x, y)
        song, mine = result.bpm, result.bpm_user
        for item in (self.band, self.song_line):
            item.setVisible(song is not None)
        tempi = [v for v in y if np.isfinite(v)]
        if song is not None:
            self.song_line.setValue(song)
            self.band.setRegion((song / (1 + _BAND), song * (1 + _BAND)))
            tempi += [song / (1 + _BAND), song * (1 + _BAND)]
        if not tempi and mine is not None:  # (no tempo of the analyzer's at all)
            tempi = [mine / (1 + _BAND), mine * (1 + _BAND)]
        lo = hi = None
        if tempi:
            lo, hi = min(tempi), max(tempi)
            pad = max(2.0, 0.08 * (hi - lo))
            lo, hi = lo - pad, hi + pad
        # the user's tempo drawn where the chunks are, else named in the legend: a tempo
        # of half or twice theirs would squash the chunks into a strip
        where = "" if mine is None or lo <= mine <= hi else (
            "below the plot" if mine < lo else "above the plot")
        self.user_line.setVisible(mine is not None and not where)
        if mine is not None:
            self.user_line.setValue(mine)
        self._name_lines(mine, where)
        self.legend.setVisible(True)
        if lo is not None:
            # room above the values for the legend (it would hide the top chunks)
            box = self.plot.getViewBox().boundingRect().height()
            legend = self.legend.boundingRect().height() + 6.0
            share = min(0.5, legend / box) if box > legend else 0.5
            self.plot.setYRange(lo, hi + share / (1.0 - share) * (hi - lo), padding=0)
        self.plot.setXRange(0.0, max(c.end_s for c in chunks), padding=0.01)

    def _name_lines(self, mine: float | None, where: str = "") -> None:
        """The legend's entries: the line across the plot is the song's tempo, or, with a
        tempo the user set (``mine``), the analyzer's, and the user's has an entry of its
        own (``where`` it is when off the plot, with its value)."""
        tempo = "song tempo" if mine is None else "analyzer's tempo"
        labels = ["chunk tempo", tempo, f"within {100 * _BAND:.0f} % of the {tempo}"]
        if mine is not None:
            value = f"{fmt_value('bpm', mine)} BPM"
            labels.append(f"your tempo, {value}, {where}" if where else "your tempo")
        labels = tuple(labels)
        if labels == self._legend_labels:
            return
        self._legend_labels = labels
        self.legend.clear()
        for swatch, label in zip(self._swatches, labels, strict=False):
            self.legend.addItem(swatch, label)

    def _summary(self, result) -> str:
        title = result.title or result.path
        parts = [f"<b>{html.escape(title)}</b>"]
        if result.bpm is not None or result.bpm_user is not None:
            analyzer = f"{fmt_value('bpm', result.bpm) or 'none'} BPM"
            if result.bpm_user is None:
                tempo = analyzer
            else:  # the user's tempo, marked as in the song table, then the analyzer's
                mine = fmt_value("bpm", result.bpm_user)
                tempo = f"{mine} BPM{USER_MARK} (analyzer: {analyzer})"
            # (the chunks are weighed against the analyzer's tempo, not a correction)
            off = "it" if result.bpm_user is None else "the analyzer's"
            if result.bpm_varies:
                tempo += f", <b>tempo varies</b> (two or more chunks more than 4 % off {off})"
            elif result.bpm_varies is False:
                tempo += ", steady"
            parts.append(tempo)
        if result.key or result.key_user:
            analyzer = spell_key(result.key or "none", flats=self.flat_keys)
            if result.key_user is None:
                key = html.escape(analyzer)
            else:
                key = html.escape(f"{spell_key(result.key_user, flats=self.flat_keys)}"
                                  f"{USER_MARK} (analyzer: {analyzer})")
            if result.key_modulating:
                key += ", <b>modulating</b> (chunks agree on another key)"
            parts.append(key)
        if result.user_checked:
            parts.append("checked by ear by you")
        n = len(result.chunk_results)
        parts.append(f"{n} chunk{'s' if n != 1 else ''}")
        return " \u00b7 ".join(parts)
