"""Progress told to screen readers: a widget's accessible description kept up to date with
a batch's progress, at a pace a listener can follow."""

from __future__ import annotations

import time

__all__ = ["ANNOUNCE_S", "Announcer", "batch_progress_text"]

#: The shortest time (s) between two descriptions a screen reader is given: it reads each
#: change out, and the window's display clock (400 ms) would have it talk without pause.
ANNOUNCE_S = 3.0


def batch_progress_text(counts: dict, total: int, *, paused: bool = False) -> str:
    """``"Batch progress: 12 of 40 songs finished, 2 running"``: the songs in a terminal
    state of ``total``, from the batch's counts by state (:class:`core.batch.rules.SongState`
    -> n)."""
    from core.batch.rules import TERMINAL_STATES, SongState

    if not total:
        return "Batch progress: no songs"
    finished = sum(counts.get(s, 0) for s in TERMINAL_STATES)
    running = counts.get(SongState.RUNNING, 0) + counts.get(SongState.STALLED, 0)
    text = f"Batch progress: {finished} of {total} song{'s' if total != 1 else ''} finished"
    if running:
        text += f", {running} running"
    return text + (", paused" if paused else "")


class Announcer:
    """Gives ``widget`` (already named for screen readers) a description that follows the
    progress it is told, at most every ``interval_s`` seconds; a text kept back is given at
    the first call past the interval, and a ``final`` one (the batch ended) at once."""

    def __init__(self, widget, *, interval_s: float = ANNOUNCE_S, clock=time.monotonic):
        self.widget = widget
        self.interval_s = float(interval_s)
        self._clock = clock
        self._last: float | None = None  # when the description last changed

    def say(self, text: str, *, final: bool = False) -> bool:
        """Make ``text`` the description when it is new and may be given now; True when
        it was."""
        if text == self.widget.accessibleDescription():
            return False
        now = self._clock()
        if not final and self._last is not None and now - self._last < self.interval_s:
            return False
        self.widget.setAccessibleDescription(text)
        self._last = now
        return True
