"""The stall banner: names the song that passed its time budget and offers more time or Skip.

It floats over the bottom edge of the song table (a child of the table, placed above its
horizontal scroll bar) instead of taking a place in the layout, so showing and hiding it
never moves the rows: the stalled row stays where the user is looking.
"""

from __future__ import annotations

import os

from PySide6.QtCore import QEvent, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QFrame,
    QGraphicsDropShadowEffect,
    QPushButton,
    QToolButton,
)

from core.batch.rules import SongState
from gui.bar_frame import AMBER, bar_row
from gui.formatting import fmt_duration, shown_name

__all__ = ["StallBanner"]


class StallBanner(QFrame):
    """An amber card over the bottom of the song table, shown while a song is past its budget.

    Parameters
    ----------
    engine : gui.engine.BatchEngine
        Where the stalled songs are read.
    parent : QAbstractScrollArea, optional
        The table it floats over (it follows the table's size).

    Signals
    -------
    skipRequested(int)
        The user chose Skip for the named job.
    moreTimeRequested(int)
        The user chose to give the named job one more budget of time.
    """

    skipRequested = Signal(int)
    moreTimeRequested = Signal(int)

    #: Space (px) between the card and the table's edges.
    MARGIN = 8

    def __init__(self, engine, parent=None):
        super().__init__(parent)
        self.engine = engine
        self.job_id: int | None = None
        #: ``(job_id, attempt)`` of the stalls the user hid, in the batch ``_waived_in``
        #: (ids and attempts start again in every list: a new list forgets them).
        self._waived: set[tuple[int, int]] = set()
        self._waived_in = None
        lay, self.label = bar_row(self, "stallBanner", AMBER, warning=True,
                                  title="Stalled songs", right_margin=6)
        shadow = QGraphicsDropShadowEffect(self)
        shadow.setBlurRadius(12)
        shadow.setOffset(0, 2)
        shadow.setColor(QColor(0, 0, 0, 70))
        self.setGraphicsEffect(shadow)
        self.more_button = QPushButton("Give It More Time")
        self.skip_button = QPushButton("Skip Song")
        self.skip_button.setToolTip("Give up on this song; the batch goes on without it")
        self.hide_button = QToolButton()
        self.hide_button.setText("\u2715")
        self.hide_button.setAutoRaise(True)
        self.hide_button.setAccessibleName("Hide warning")
        lay.addWidget(self.label, 1)
        lay.addWidget(self.more_button)
        lay.addWidget(self.skip_button)
        lay.addWidget(self.hide_button)
        self.more_button.clicked.connect(self._more)
        self.skip_button.clicked.connect(self._skip)
        self.hide_button.clicked.connect(self._hide_for_song)
        if parent is not None:
            parent.installEventFilter(self)
        self.hide()

    # -- placement ------------------------------------------------------------------------
    def eventFilter(self, obj, event):  # noqa: N802 - Qt API
        if obj is self.parent() and event.type() in (QEvent.Type.Resize, QEvent.Type.Show):
            self.place()
        return False

    def place(self) -> None:
        """Lie over the bottom of the parent table, above its horizontal scroll bar."""
        table = self.parentWidget()
        if table is None:
            return
        area = table.viewport().geometry() if hasattr(table, "viewport") else table.rect()
        width = area.width() - 2 * self.MARGIN
        height = self.heightForWidth(width) if self.hasHeightForWidth() else -1
        height = max(height, self.sizeHint().height())
        self.setGeometry(area.left() + self.MARGIN, area.bottom() - height - self.MARGIN + 1,
                         width, height)
        self.raise_()

    # -- content --------------------------------------------------------------------------
    def refresh(self) -> None:
        """Show the longest-stalled song that the user has not hidden, or hide."""
        batch = self.engine.batch
        if batch is not self._waived_in:
            self._waived, self._waived_in = set(), batch
        stalled = [j for j in batch.stalled() if (j.key, j.attempt) not in self._waived]
        if not stalled:
            self.job_id = None
            self.hide()
            return
        job = min(stalled, key=lambda j: j.stalled_at or 0.0)
        self.job_id = job.id
        budget, limit = batch.budget(job), batch.hard_limit(job)
        more = f"  (+{len(stalled) - 1} more stalled)" if len(stalled) > 1 else ""
        given = (f" (given {fmt_duration(job.extra_s)} more)" if job.extra_s > 0 else "")
        self.label.setText(
            f"\u201c{shown_name(os.path.basename(job.path))}\u201d has run {fmt_duration(job.elapsed())} on "
            f"{job.worker}, past its budget of {fmt_duration(budget)}. It will be timed out "
            f"when it has run {fmt_duration(limit)}{given}.{more}")
        self.more_button.setText(f"Give It More Time (+{fmt_duration(budget)})")
        self.more_button.setToolTip(f"Move this song's time-out from {fmt_duration(limit)} to "
                                    f"{fmt_duration(limit + budget)}; you can do it again")
        self.hide_button.setToolTip(f"Hide this warning; the song is still timed out when "
                                    f"it has run {fmt_duration(limit)}")
        if self.isHidden():
            self.show()
            self.place()

    def text(self) -> str:
        """The message shown (empty when hidden)."""
        return self.label.text() if self.isVisible() or self.job_id is not None else ""

    def _more(self) -> None:
        if self.job_id is not None:
            self.moreTimeRequested.emit(self.job_id)
        self.refresh()

    def _skip(self) -> None:
        if self.job_id is not None:
            self.skipRequested.emit(self.job_id)
        self.refresh()

    def _hide_for_song(self) -> None:
        batch = self.engine.batch
        if self.job_id is not None and batch is self._waived_in:  # (not a list cleared since)
            job = batch.jobs[self.job_id]
            if job.state is SongState.STALLED:  # (by key: places move when songs go)
                self._waived.add((job.key, job.attempt))
        self.refresh()
