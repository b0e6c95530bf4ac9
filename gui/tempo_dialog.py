"""The Set Tempo dialog: type a tempo, or tap it along with the song's preview.

:class:`TapTempo` turns taps into a tempo: the median of the intervals between the last taps,
so one early or late tap does not move it; a pause longer than :data:`TAP_PAUSE_S` starts a
new count.  The dialog's Tap button taps (a click, or Space once it has focus); its Play
button plays the selected song's excerpt (the window's preview), so the user can tap along
without leaving it.
"""

from __future__ import annotations

import statistics
import time

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
)

__all__ = ["SetTempoDialog", "TapTempo", "TAP_PAUSE_S", "TAP_KEEP"]

#: A pause between two taps longer than this (s) starts a new count.
TAP_PAUSE_S = 2.0
#: Taps whose intervals make the tempo (the latest ones).
TAP_KEEP = 9


class TapTempo:
    """The tempo of taps: 60 over the median interval of the last :data:`TAP_KEEP` taps.

    Parameters
    ----------
    clock : callable, optional
        Seconds of a monotonic clock (``time.monotonic``; tests pass their own).
    """

    def __init__(self, clock=time.monotonic):
        self._clock = clock
        self._taps: list[float] = []

    @property
    def count(self) -> int:
        """Taps of the current count."""
        return len(self._taps)

    def tap(self, at: float | None = None) -> float | None:
        """Record a tap (now, or at ``at`` s of the clock); returns the tempo (BPM) once
        three taps make two intervals, else None."""
        now = self._clock() if at is None else float(at)
        if self._taps and not 0.0 < now - self._taps[-1] <= TAP_PAUSE_S:
            self._taps.clear()
        self._taps.append(now)
        del self._taps[:-TAP_KEEP]
        return self.bpm()

    def bpm(self) -> float | None:
        """The tempo of the current count (BPM), or None before three taps."""
        if len(self._taps) < 3:
            return None
        gaps = [b - a for a, b in zip(self._taps, self._taps[1:], strict=False)]
        return 60.0 / statistics.median(gaps)


class SetTempoDialog(QDialog):
    """Ask for a tempo: a spin box, a Tap button and, for one song, a Play button.

    Parameters
    ----------
    songs : int
        How many songs the tempo is for (said in the label).
    current : float
        The tempo shown in the spin box at first (BPM).
    limits : tuple of float
        Lowest and highest tempo accepted (BPM).
    can_play : bool
        Whether to offer Play (the window's preview of the one selected song).

    Signals
    -------
    playRequested()
        Play was pressed (the window starts or stops the preview).
    """

    playRequested = Signal()

    def __init__(self, songs: int, current: float, limits: tuple[float, float], *,
                 can_play: bool = False, clock=time.monotonic, parent=None):
        super().__init__(parent)
        self.setWindowTitle("Set Tempo")
        self.taps = TapTempo(clock)
        self.spin = QDoubleSpinBox()
        self.spin.setRange(*limits)
        self.spin.setDecimals(2)
        self.spin.setSuffix(" BPM")
        self.spin.setValue(current)  # the spin box keeps it within its range
        self.spin.setAccessibleName("Tempo")
        self.tap_button = QPushButton("&Tap")
        self.tap_button.setToolTip("Tap along with the beat: click, or press Space while the "
                                   "button has focus (Alt+T gives it focus and taps); a pause "
                                   "of 2 s starts a new count")
        self.tap_button.setAutoDefault(False)
        self.tap_button.clicked.connect(self.tap)
        self.play_button = QPushButton("\u25b6 &Play")
        self.play_button.setToolTip("Play 20 s of the song to tap along (again to stop)")
        self.play_button.setAutoDefault(False)
        self.play_button.setVisible(can_play)
        self.play_button.clicked.connect(self._play)
        self.tap_label = QLabel(("Press Play, then tap along with the beat (Space): "
                                 if can_play else "Tap along with the beat: ")
                                + "three taps give a tempo.")
        self.tap_label.setTextInteractionFlags(Qt.TextInteractionFlag.NoTextInteraction)
        form = QFormLayout()
        form.addRow(f"Tempo of {songs} song{'s' if songs != 1 else ''}:", self.spin)
        row = QHBoxLayout()
        row.addWidget(self.tap_button)
        row.addWidget(self.play_button)
        row.addStretch(1)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                   | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        lay = QVBoxLayout(self)
        lay.addLayout(form)
        lay.addLayout(row)
        lay.addWidget(self.tap_label)
        lay.addWidget(buttons)
        self.spin.setFocus()
        self.spin.selectAll()

    def _play(self) -> None:
        self.playRequested.emit()
        self.tap_button.setFocus()  # Space now taps instead of stopping the song

    def value(self) -> float:
        """The tempo chosen (BPM)."""
        return float(self.spin.value())

    def tap(self) -> None:
        """One tap: from the third on, the spin box shows the taps' tempo."""
        bpm = self.taps.tap()
        if bpm is None:
            more = 3 - self.taps.count
            taps = self.taps.count
            self.tap_label.setText(f"{taps} tap{'s' if taps != 1 else ''}: {more} more "
                                   "to give a tempo.")
            return
        low, high = self.spin.minimum(), self.spin.maximum()
        if not low <= bpm <= high:
            self.tap_label.setText(f"{self.taps.count} taps: {bpm:.1f} BPM is outside "
                                   f"{low:g}\u2013{high:g}.")
            return
        self.spin.setValue(round(bpm, 1))  # taps are good to a tenth at best
        self.tap_label.setText(f"{self.taps.count} taps: {bpm:.1f} BPM.")

    def set_playing(self, playing: bool) -> None:
        """Show Play or Stop on the play button (the window says when the preview runs)."""
        self.play_button.setText("\u25a0 &Stop" if playing else "\u25b6 &Play")
