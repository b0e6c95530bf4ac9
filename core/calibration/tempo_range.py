"""Which tempo range of the settings states the analyzer's tempos as a reference sheet does.

A reference sheet often writes every tempo in one octave of its own (dance charts from
about 88 to 175 BPM, a sheet of slow songs from 60 to 120): a half-time groove is 170 there
or 85, a ballad 72 or 144, whatever the analyzer heard.  The settings' tempo range
(:data:`core.settings.TEMPO_FLOORS`) states the analysis in one octave chosen beforehand;
:func:`suggest_tempo_range` finds the range whose octave agrees with the sheet on the most
paired songs, and names it when it agrees clearly more often than the tempos as they were
read.  The calibration's octave rule (:mod:`core.calibration.tempo_fit`) corrects the same
thing after the analysis, in the calibrated columns; a range set before it states the
song, its chunks and alternatives and every export in the sheet's octave.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from core.analysis.tempo import fold_tempo
from core.calibration.agreement import TEMPO_FACTORS, TEMPO_TOLERANCE, tempo_within
from core.settings import TEMPO_FLOORS, tempo_range_text

__all__ = ["RangeSuggestion", "suggest_tempo_range", "MIN_SONGS", "MIN_GAIN", "MIN_GAIN_SHARE"]

#: Paired songs with both tempos needed before a range is suggested.
MIN_SONGS = 5
#: Songs a range must agree on beyond the tempos as read...
MIN_GAIN = 2
#: ...and at least this share of the paired songs.
MIN_GAIN_SHARE = 0.05


@dataclass(frozen=True)
class RangeSuggestion:
    """A tempo range that states the analyzer's tempos as the reference does.

    Attributes
    ----------
    floor : float
        The range's lowest tempo (the range runs to twice it), one of the settings' ranges.
    n : int
        Paired songs with a tempo on both sides.
    agree_as_read : int
        Songs whose tempo as read agrees with the reference (within 4 %).
    agree_in_range : int
        Songs whose tempo moved into the range agrees with it.
    """

    floor: float
    n: int
    agree_as_read: int
    agree_in_range: int

    @property
    def range_text(self) -> str:
        """The range as the settings name it, e.g. ``"88–175 BPM"``."""
        return tempo_range_text(self.floor)

    def text(self) -> str:
        """One sentence for the calibration view."""
        return (f"The reference states its tempos as the range {self.range_text} would: "
                f"{self.agree_in_range} of {self.n} songs agree in it, "
                f"{self.agree_as_read} as read.")


def _agree(est: np.ndarray, ref: np.ndarray) -> int:
    """Songs whose tempo agrees with the reference (Acc1: within 4 %)."""
    return int(np.sum(tempo_within(est, ref, factor=TEMPO_FACTORS["ok"],
                                   tolerance=TEMPO_TOLERANCE)))


def suggest_tempo_range(est, ref, *, current_floor: float = 0.0,
                        floors=TEMPO_FLOORS) -> RangeSuggestion | None:
    """The settings' tempo range that agrees with the reference on the most songs, when it
    agrees clearly more often than the tempos as read; else None.

    Parameters
    ----------
    est, ref : array_like
        Analyzer and reference tempos (BPM) of the paired songs; pairs where either is
        missing, zero or not finite are left out.
    current_floor : float
        The range the tempos were analyzed in (0: none).  It is never suggested again.
    floors : sequence of float
        The ranges to try (their floors; 0, no range, is skipped).

    Returns
    -------
    RangeSuggestion or None
        None with fewer than :data:`MIN_SONGS` pairs, or when no range agrees on at least
        :data:`MIN_GAIN` songs (and :data:`MIN_GAIN_SHARE` of them) more than the tempos
        as read.  Among ranges that agree equally, the one holding the most reference
        tempos wins, then the lower.
    """
    est, ref = np.asarray(est, float), np.asarray(ref, float)
    ok = np.isfinite(est) & np.isfinite(ref) & (est > 0) & (ref > 0)
    est, ref = est[ok], ref[ok]
    n = int(est.size)
    if n < MIN_SONGS:
        return None
    as_read = _agree(est, ref)
    best = None
    for floor in floors:
        if not floor or floor == current_floor:
            continue
        moved = np.array([fold_tempo(e, floor) for e in est])  # as the analysis moves them
        inside = int(np.sum((ref >= floor * 0.96) & (ref < 2.0 * floor * 1.04)))
        rank = (_agree(moved, ref), inside, -floor)
        if best is None or rank > best[0]:
            best = (rank, floor)
    if best is None:
        return None
    (agree, _, _), floor = best
    if agree - as_read < max(MIN_GAIN, MIN_GAIN_SHARE * n):
        return None
    return RangeSuggestion(floor=float(floor), n=n, agree_as_read=as_read, agree_in_range=agree)
