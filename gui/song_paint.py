"""How song states look: their colours, the status icons and the progress bar delegate.

Shared by the song table, the worker panel and the live plots, so a state has one colour
everywhere.
"""

from __future__ import annotations

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QIcon, QPainter, QPen, QPixmap
from PySide6.QtWidgets import QStyle, QStyledItemDelegate

from core.batch.rules import SongState
from gui.song_columns import PROGRESS_ROLE, STATE_ROLE

__all__ = ["STATE_COLORS", "ROW_BACKGROUND", "status_icon", "ProgressDelegate"]

#: Colour of each song state (icons, progress bars, plots).
STATE_COLORS = {
    SongState.QUEUED: "#9aa0a6",
    SongState.RUNNING: "#2f80ed",
    SongState.STALLED: "#f2a900",
    SongState.DONE: "#27ae60",
    SongState.FAILED: "#d64541",
    SongState.TIMED_OUT: "#a31515",
    SongState.CANCELLED: "#7f8c8d",
    SongState.SKIPPED: "#b0b7bd",
}
#: Row background of the states that need attention (other states: none).
ROW_BACKGROUND = {
    SongState.STALLED: QColor(242, 169, 0, 70),
    SongState.TIMED_OUT: QColor(214, 69, 65, 60),
    SongState.FAILED: QColor(214, 69, 65, 35),
}

_ICONS: dict[SongState, QIcon] = {}


def status_icon(state: SongState) -> QIcon:
    """A small coloured disc for ``state`` (made once per state)."""
    icon = _ICONS.get(state)
    if icon is None:
        pm = QPixmap(14, 14)
        pm.fill(Qt.GlobalColor.transparent)
        p = QPainter(pm)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        color = QColor(STATE_COLORS[state])
        p.setPen(QPen(color.darker(130), 1))
        p.setBrush(color)
        if state is SongState.STALLED or state is SongState.TIMED_OUT:
            p.drawRoundedRect(QRectF(1.5, 1.5, 11, 11), 2, 2)
        else:
            p.drawEllipse(QRectF(1.5, 1.5, 11, 11))
        p.end()
        icon = _ICONS[state] = QIcon(pm)
    return icon


class ProgressDelegate(QStyledItemDelegate):
    """Draws a slim progress bar coloured by the song's state, with the percentage."""

    def paint(self, painter, option, index):
        state = SongState(index.data(STATE_ROLE))
        frac = index.data(PROGRESS_ROLE) or 0.0
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        painter.save()
        if selected:
            painter.fillRect(option.rect, option.palette.highlight())
        else:
            bg = index.data(Qt.ItemDataRole.BackgroundRole)
            if bg is not None:
                painter.fillRect(option.rect, bg)
        r = QRectF(option.rect).adjusted(4, 5, -4, -5)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor(0, 0, 0, 28))
        painter.drawRoundedRect(r, 3, 3)
        if state is not SongState.QUEUED and frac > 0:
            fill = QRectF(r)
            fill.setWidth(max(2.0, r.width() * min(1.0, frac)))
            painter.setBrush(QColor(STATE_COLORS[state]))
            painter.drawRoundedRect(fill, 3, 3)
        text = index.data(Qt.ItemDataRole.DisplayRole)
        if text:
            on_fill = state is not SongState.QUEUED and frac >= 0.5
            painter.setPen(QColor("white") if on_fill or selected
                           else option.palette.color(option.palette.ColorRole.Text))
            painter.drawText(r, int(Qt.AlignmentFlag.AlignCenter), text)
        painter.restore()

