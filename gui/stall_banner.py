"""The stall banner: names the song that passed its time budget and offers Skip or Wait."""

from __future__ import annotations

import os

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton

from core.batch.rules import SongState
from gui.formatting import fmt_duration

__all__ = ["StallBanner"]


class StallBanner(QFrame):
    """An amber bar above the song table, shown while a song is past its budget.

    Signals
    -------
    skipRequested(int)
        The user chose Skip for the named job.
    """

    skipRequested = Signal(int)

    def __init__(self, engine, parent=None):
        super().__init__(parent)
        self.engine = engine
        self.job_id: int | None = None
        self._waived: set[tuple[int, int]] = set()
        self.setObjectName("stallBanner")
        self.setStyleSheet(
            "#stallBanner { background: #fff3cd; border: 1px solid #f2a900; border-radius: 4px; }"
            " #stallBanner QLabel { color: #5c4400; }")
        lay = QHBoxLayout(self)
        lay.setContentsMargins(10, 6, 10, 6)
        icon = QLabel("\u26a0")
        icon.setStyleSheet("font-size: 16px; color: #b07800;")
        self.label = QLabel()
        self.label.setTextFormat(Qt.TextFormat.PlainText)
        self.label.setWordWrap(True)
        self.skip_button = QPushButton("Skip song")
        self.skip_button.setToolTip("Give up on this song; the batch goes on without it")
        self.wait_button = QPushButton("Wait")
        self.wait_button.setToolTip("Hide this warning and let the song run until its hard limit")
        lay.addWidget(icon)
        lay.addWidget(self.label, 1)
        lay.addWidget(self.skip_button)
        lay.addWidget(self.wait_button)
        self.skip_button.clicked.connect(self._skip)
        self.wait_button.clicked.connect(self._wait)
        self.hide()

    def refresh(self) -> None:
        """Show the longest-stalled song that the user has not waived, or hide."""
        batch = self.engine.batch
        stalled = [j for j in batch.stalled() if (j.id, j.attempt) not in self._waived]
        if not stalled:
            self.job_id = None
            self.hide()
            return
        job = min(stalled, key=lambda j: j.stalled_at or 0.0)
        self.job_id = job.id
        more = f"  (+{len(stalled) - 1} more stalled)" if len(stalled) > 1 else ""
        self.label.setText(
            f"\u201c{os.path.basename(job.path)}\u201d has run {fmt_duration(job.elapsed())} on "
            f"{job.worker}, past its budget of {fmt_duration(batch.budget(job))}. It will be "
            f"timed out at {fmt_duration(batch.hard_limit(job))}.{more}")
        self.show()

    def text(self) -> str:
        """The message shown (empty when hidden)."""
        return self.label.text() if self.isVisible() or self.job_id is not None else ""

    def _skip(self) -> None:
        if self.job_id is not None:
            self.skipRequested.emit(self.job_id)
        self.refresh()

    def _wait(self) -> None:
        if self.job_id is not None:
            job = self.engine.batch.jobs[self.job_id]
            if job.state is SongState.STALLED:
                self._waived.add((job.id, job.attempt))
        self.refresh()
