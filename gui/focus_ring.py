"""A clearly visible keyboard focus: a 2-px ring around whatever widget has the focus.

The platform styles draw focus as a thin dotted line or a faint tint, easy to lose on a
large table.  :class:`FocusRing` is one transparent child of the window, masked to a frame
(so it never covers, or repaints with, the widget inside it), that follows the focus from
widget to widget and the focused widget as it moves or resizes.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QRect, Qt
from PySide6.QtGui import QColor, QPainter, QPen, QRegion
from PySide6.QtWidgets import QApplication, QWidget

__all__ = ["FocusRing"]

#: Colour of the ring (the window's accent blue).
RING_COLOR = "#2f80ed"
#: Ring thickness (px).
RING_WIDTH = 2


class FocusRing(QWidget):
    """The focus ring of ``window`` (a top-level widget)."""

    def __init__(self, window: QWidget):
        super().__init__(window)
        self.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self.setAttribute(Qt.WidgetAttribute.WA_NoSystemBackground)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.target: QWidget | None = None
        self.hide()
        QApplication.instance().focusChanged.connect(self._focus_changed)

    def _focus_changed(self, _old, new) -> None:
        if self.target is not None:
            try:
                self.target.removeEventFilter(self)
            except RuntimeError:  # the old widget is gone
                pass
        self.target = None
        if new is None or new is self.window() or new.window() is not self.window():
            self.hide()
            return
        self.target = new
        new.installEventFilter(self)
        self.follow()

    def eventFilter(self, obj, event):  # noqa: N802 - Qt API
        if obj is self.target and event.type() in (QEvent.Type.Move, QEvent.Type.Resize,
                                                   QEvent.Type.Show, QEvent.Type.Hide):
            self.follow()
        return False

    def follow(self) -> None:
        """Lie around the focused widget (hide when it is not shown)."""
        target = self.target
        if target is None or not target.isVisible():
            self.hide()
            return
        pad = RING_WIDTH
        top_left = target.mapTo(self.window(), target.rect().topLeft())
        rect = QRect(top_left, target.size()).adjusted(-pad, -pad, pad, pad)
        rect = rect.intersected(self.window().rect())
        if rect == self.geometry() and self.isVisible():
            return  # (followed from a timer: nothing to redo while nothing moved)
        self.setGeometry(rect)
        outer = QRegion(self.rect())
        self.setMask(outer.subtracted(QRegion(self.rect().adjusted(pad + 1, pad + 1,
                                                                   -pad - 1, -pad - 1))))
        self.show()
        self.raise_()

    def paintEvent(self, _event):  # noqa: N802 - Qt API
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        p.setPen(QPen(QColor(RING_COLOR), RING_WIDTH))
        half = RING_WIDTH / 2
        p.drawRoundedRect(self.rect().toRectF().adjusted(half, half, -half, -half), 3, 3)
        p.end()
