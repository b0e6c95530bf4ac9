"""The clock the batch's tests give it in place of :func:`time.monotonic`."""

from __future__ import annotations


class HandClock:
    """A monotonic clock (s) moved by the test alone: songs start, stall and time out when
    the test says, however slowly a loaded machine runs them.  Call it to read it; move it
    by setting :attr:`t`, or with :meth:`set`."""

    START = 1000.0

    def __init__(self, t: float = START):
        self.start = t
        self.t = t

    def __call__(self) -> float:
        return self.t

    def set(self, seconds: float) -> None:
        """Set the clock ``seconds`` after its start."""
        self.t = self.start + seconds
