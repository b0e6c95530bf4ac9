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

__all__ = ["STATE_COLORS", "ROW_BACKGROUND", "status_icon", "ProgressDelegate",
           "contrast_ratio", "text_color_on"]

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


def _luminance(color: QColor) -> float:
    """Relative luminance of an opaque ``color`` (WCAG 2)."""
    def channel(v: float) -> float:
        return v / 12.92 if v <= 0.03928 else ((v + 0.055) / 1.055) ** 2.4

    return (0.2126 * channel(color.redF()) + 0.7152 * channel(color.greenF())
            + 0.0722 * channel(color.blueF()))


def contrast_ratio(a: QColor, b: QColor) -> float:
    """WCAG contrast ratio of two opaque colours, 1 (none) to 21 (black on white)."""
    la, lb = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def text_color_on(fill: QColor) -> QColor:
    """Black or white, whichever reads better on ``fill``."""
    black, white = QColor("black"), QColor("white")
    return black if contrast_ratio(black, fill) >= contrast_ratio(white, fill) else white


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
        fill = None
        if state is not SongState.QUEUED and frac > 0:
            fill = QRectF(r)
            fill.setWidth(max(2.0, r.width() * min(1.0, frac)))
            painter.setBrush(QColor(STATE_COLORS[state]))
            painter.drawRoundedRect(fill, 3, 3)
        text = index.data(Qt.ItemDataRole.DisplayRole)
        if text:
            # Each part of the text in the colour that reads on what lies under it: the
            # state's colour where the bar is filled, the row (or selection) elsewhere.
            track = QRectF(r)
            if fill is not None:
                track.setLeft(fill.right())
                painter.save()
                painter.setClipRect(fill)
                painter.setPen(text_color_on(QColor(STATE_COLORS[state])))
                painter.drawText(r, int(Qt.AlignmentFlag.AlignCenter), text)
                painter.restore()
            if track.width() > 0:
                painter.setClipRect(track)
                role = (option.palette.ColorRole.HighlightedText if selected
                        else option.palette.ColorRole.Text)
                painter.setPen(option.palette.color(role))
                painter.drawText(r, int(Qt.AlignmentFlag.AlignCenter), text)
        painter.restore()

