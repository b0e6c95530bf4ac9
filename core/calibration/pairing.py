"""Results paired with a reference sheet: the rows, their keys, the match and the pairs.

:class:`Pairing` holds the results rows, each with a stable key (a job id, a path, a
position), the reference sheet, and their match: the automatic pairs of
:func:`core.calibration.matching.match_songs` with the user's manual pairs and unpairings
laid over them by song key, so that they survive new rows, reordered rows and re-matching.
It answers what the plots, the table and the fits need: the analyzer and reference values
per descriptor, the key pairs, the tempo ratios and the key errors.
:class:`core.calibration.session.CalibrationSession` builds on it.

Not thread-safe.  The slow step, :meth:`Pairing.compute_match`, may run on a
:meth:`Pairing.copy` in another thread; :meth:`Pairing.adopt_match` then takes the result
back unless the pairing changed meanwhile (:attr:`Pairing.version`).
"""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np

from core.calibration.cells import result_key, result_number
from core.calibration.inputs import input_matrix
from core.calibration.matching import (
    MatchResult,
    SongIdentity,
    identity_from_row,
    manual_match,
    match_songs,
    unmatch,
)
from core.calibration.reference import ReferenceSheet, load_reference
from core.calibration.summary import KeyErrors, MatchSummary, key_errors, match_summary
from core.io.csvio import unneutralize

__all__ = ["Pairing"]


class Pairing:
    """Results rows with stable keys, a reference sheet and their match.

    Parameters
    ----------
    threshold : float, optional
        Lowest fuzzy title/artist score accepted as a match, 0-100
        (:func:`core.calibration.matching.match_songs`).
    """

    def __init__(self, *, threshold: float = 86.0):
        self.threshold = threshold
        #: The reference sheet (None before one is set).
        self.sheet: ReferenceSheet | None = None
        #: Results rows; a song's index is its position here.
        self.rows: list[dict] = []
        #: One stable key per row.
        self.keys: list = []
        #: Manual pairs: song key -> sheet row index.
        self.manual: dict = {}
        #: Song keys the user unpaired.
        self.unpaired: set = set()
        #: Grows whenever the rows, the sheet or the pairs change.
        self.version = 0
        self.match_version = -1
        self._match: MatchResult | None = None
        self._match_serial = 0
        self._pos: dict = {}
        self._memo: dict = {}
        self._memo_stamp = None

    def copy(self):
        """A copy to run slow steps on in another thread (rows, sheet and match are
        shared: they are replaced, never changed in place)."""
        other = object.__new__(type(self))
        other.__dict__.update(self.__dict__)
        other.manual, other.unpaired = dict(self.manual), set(self.unpaired)
        other._memo, other._memo_stamp = {}, None
        return other

    # -- state ------------------------------------------------------------------------
    @property
    def match(self) -> MatchResult | None:
        """The pairing of results with sheet rows (None before any)."""
        return self._match

    @match.setter
    def match(self, value: MatchResult | None) -> None:
        self._match = value
        self._match_serial += 1

    @property
    def match_is_current(self) -> bool:
        """True when the match covers the present rows, sheet and pairs."""
        return self._match is not None and self.match_version == self.version

    def not_ready_reason(self) -> str:
        """Why nothing can be paired or fitted yet (``""`` when it can)."""
        if self.sheet is None:
            return "load a reference sheet first"
        if not self.rows:
            return "there are no results yet"
        return ""

    # -- input ------------------------------------------------------------------------
    def set_reference(self, reference) -> ReferenceSheet:
        """Use a reference sheet; the manual pairs and the match of the last one go.

        Parameters
        ----------
        reference : ReferenceSheet, str or os.PathLike
            The sheet, or its path.

        Raises
        ------
        ReferenceSheetError
            When the sheet cannot be read.
        """
        sheet = reference if isinstance(reference, ReferenceSheet) else load_reference(reference)
        self.sheet = sheet
        self.match = None
        self.manual.clear()
        self.unpaired.clear()
        self.version += 1
        return sheet

    def set_results(self, rows, *, keys=None) -> None:
        """Replace the results rows.

        The match moves with the keys (songs gone are dropped) and stays shown until
        :meth:`rematch`; manual pairs and unpairings follow their songs' keys.

        Parameters
        ----------
        rows : sequence of dict
            Results rows (:data:`core.io.results.RESULT_COLUMNS`, e.g. read from a
            results CSV or ``SongResult.to_row()``; or just ``path``, ``title`` and
            ``artist`` for a song not analyzed yet).
        keys : sequence of hashable, optional
            A stable key per row; default: the ``path`` of each row.

        Raises
        ------
        ValueError
            When ``keys`` and ``rows`` differ in length or ``keys`` repeats a value.
        """
        rows = [dict(r) for r in rows]
        keys = [r.get("path") for r in rows] if keys is None else list(keys)
        if len(keys) != len(rows):
            raise ValueError(f"keys must have one entry per row: {len(keys)} keys for "
                             f"{len(rows)} rows")
        if len(set(keys)) != len(keys):
            raise ValueError("keys must be unique (two rows share a key)")
        if self._match is not None and keys != self.keys:
            self.match = _remap(self._match, self.keys, keys)
        self.rows, self.keys = rows, keys
        self._pos = {k: i for i, k in enumerate(keys)}
        self.version += 1

    # -- matching ---------------------------------------------------------------------
    def identities(self) -> list[SongIdentity]:
        """Title, artist and path of every row, as used for matching."""
        return [identity_from_row({k: unneutralize(r.get(k)) for k in
                                   ("title", "artist", "path")}) for r in self.rows]

    def compute_match(self) -> MatchResult:
        """The automatic match with the manual pairs and unpairings laid over it (the
        pairing itself is not changed; safe on a :meth:`copy` in another thread).

        Raises
        ------
        ValueError
            When no sheet is set.
        """
        if self.sheet is None:
            raise ValueError("load a reference sheet first")
        match = match_songs(self.identities(), self.sheet.rows, threshold=self.threshold)
        for k in self.unpaired:
            if k in self._pos:
                match = unmatch(match, self._pos[k])
        for k, j in self.manual.items():
            if k in self._pos and 0 <= j < len(self.sheet.rows):
                match = manual_match(match, self._pos[k], j)
        return match

    def rematch(self) -> MatchResult:
        """Match now (:meth:`compute_match`) and keep the result."""
        match = self.compute_match()
        self.adopt_match(match, self.version)
        return match

    def adopt_match(self, match: MatchResult, version: int) -> bool:
        """Keep a match computed on a copy at ``version``; False (nothing kept) when the
        pairing changed since."""
        if version != self.version:
            return False
        self.match, self.match_version = match, version
        return True

    def require_pairs(self) -> MatchResult:
        """Match when the match is not current, and make sure a song is paired.

        Raises
        ------
        ValueError
            When no sheet or results are set, or no song is paired with a row.
        """
        problem = self.not_ready_reason()
        if problem:
            raise ValueError(problem)
        if not self.match_is_current:
            self.rematch()
        if not self._match.matches:
            raise ValueError("no song is matched with a reference row")
        return self._match

    def manual_match(self, song: int, row: int) -> None:
        """Pair song ``song`` with sheet row ``row`` (0-based indices) by hand; any other
        pairing of either is removed.

        Raises
        ------
        ValueError
            When no sheet or match exists yet, or an index is out of range.
        """
        if self.sheet is None or self._match is None:
            raise ValueError("load a reference sheet and results before matching by hand")
        self._check_song(song)
        self.match = manual_match(self._match, song, row)  # checks the row index
        key = self.keys[song]
        for k, j in list(self.manual.items()):
            if j == row:
                del self.manual[k]
        self.manual[key] = row
        self.unpaired.discard(key)
        self._pairs_changed()

    def unmatch(self, song: int) -> None:
        """Remove the pairing of song ``song``; it stays unpaired on re-matching.

        Raises
        ------
        ValueError
            When no match exists yet or the index is out of range.
        """
        if self._match is None:
            raise ValueError("nothing is matched yet")
        self._check_song(song)
        self.match = unmatch(self._match, song)
        key = self.keys[song]
        self.manual.pop(key, None)
        self.unpaired.add(key)
        self._pairs_changed()

    # -- queries ----------------------------------------------------------------------
    def song_index(self, key) -> int | None:
        """Position of the song with key ``key``, or None."""
        return self._pos.get(key)

    def reference_row(self, song: int):
        """The :class:`~core.calibration.reference.ReferenceRow` paired with song ``song``
        (None when unpaired)."""
        if self._match is None or self.sheet is None:
            return None
        j = self._row_of().get(song)
        return None if j is None else self.sheet.rows[j]

    def match_method(self, song: int) -> str:
        """``"exact"``, ``"normalized"``, ``"fuzzy"``, ``"manual"``, ``"ambiguous"`` or
        ``"unmatched"`` (empty before any match)."""
        m = self._match
        if m is None:
            return ""
        for x in m.matches:
            if x.song == song:
                return x.method
        return "ambiguous" if any(a.song == song for a in m.ambiguous) else "unmatched"

    def match_summary(self) -> MatchSummary | None:
        """Counts of the match (None before any)."""
        return None if self._match is None else match_summary(self._match)

    @property
    def all_songs_paired(self) -> bool:
        """True when at least one song and every song is paired with a reference row."""
        m = self._match
        return m is not None and bool(m.matches) and not m.unmatched_songs

    def pairs(self, descriptor: str, *, keep_missing: bool = False
              ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Analyzer and reference values of the paired songs for one numeric descriptor.

        Parameters
        ----------
        descriptor : str
            A results column (``"bpm"``, ``"energy"``...).
        keep_missing : bool, optional
            Also list the paired songs with a reference value but no analyzer value (their
            analyzer value NaN).

        Returns
        -------
        (ndarray, ndarray, ndarray)
            Analyzer values, reference values (the descriptor's unit) and song indices, for
            the songs where both are known (or only the reference, with ``keep_missing``).
        """
        key = ("pairs", descriptor, keep_missing)
        hit = self._memo_get(key)
        if hit is not None:
            return hit
        xs, ys, idx = [], [], []
        if self._match is not None and self.sheet is not None:
            for m in self._match.matches:
                x = result_number(self.rows[m.song], descriptor)
                y = self.sheet.rows[m.row].values.get(descriptor)
                if (x is not None or keep_missing) and y is not None and math.isfinite(y):
                    xs.append(math.nan if x is None else x)
                    ys.append(y)
                    idx.append(m.song)
        out = self._memo[key] = (np.array(xs, float), np.array(ys, float),
                                 np.array(idx, int))
        return out

    def input_matrix(self) -> np.ndarray:
        """SongCal's per-song values of every row (:func:`core.calibration.inputs.input_matrix`),
        read once per change of the rows."""
        hit = self._memo_get("inputs")
        if hit is None:
            hit = self._memo["inputs"] = input_matrix(self.rows)
        return hit

    def reference_values(self, column: str) -> tuple[np.ndarray, np.ndarray]:
        """Reference values of one numeric column (an analyzer descriptor or an extra
        column) for the paired songs that have one, and those songs' indices."""
        _, y, idx = self.pairs(column, keep_missing=True)
        return y, idx

    def key_pairs(self) -> tuple[list, list]:
        """Analyzer and reference keys of the paired songs where both are known."""
        hit = self._memo_get("key_pairs")
        if hit is not None:
            return hit
        est, ref = [], []
        if self._match is not None and self.sheet is not None:
            for m in self._match.matches:
                e, r = result_key(self.rows[m.song]), self.sheet.rows[m.row].key
                if e is not None and r is not None:
                    est.append(e)
                    ref.append(r)
        out = self._memo["key_pairs"] = (est, ref)
        return out

    def tempo_log2_ratios(self) -> np.ndarray:
        """log2(analyzer BPM / reference BPM) of the paired songs (0 agrees, +1 double,
        -1 half)."""
        x, y, _ = self.pairs("bpm")
        ok = (x > 0) & (y > 0)
        return np.log2(x[ok] / y[ok])

    def key_errors(self) -> KeyErrors:
        """Key errors of the paired songs (:class:`~core.calibration.summary.KeyErrors`)."""
        hit = self._memo_get("key_errors")
        if hit is None:
            hit = self._memo["key_errors"] = key_errors(*self.key_pairs())
        return hit

    # -- internals --------------------------------------------------------------------
    def _check_song(self, song: int) -> None:
        if not 0 <= song < len(self.rows):
            raise ValueError(f"song index must be 0-{len(self.rows) - 1}, got {song!r}")

    def _pairs_changed(self) -> None:
        self.version += 1
        self.match_version = self.version

    def _row_of(self) -> dict:
        hit = self._memo_get("row_of")
        if hit is None:
            hit = self._memo["row_of"] = self._match.row_of
        return hit

    def _memo_get(self, key):
        """A memo valid while the rows, the sheet and the match stay the same."""
        stamp = (self.version, self._match_serial)
        if self._memo_stamp != stamp:
            self._memo_stamp, self._memo = stamp, {}
        return self._memo.get(key)


def _remap(match: MatchResult, old_keys, new_keys) -> MatchResult:
    """``match`` with song indices moved from ``old_keys`` to ``new_keys`` positions;
    songs no longer present are dropped."""
    pos = {k: i for i, k in enumerate(new_keys)}

    def move(i):
        return pos.get(old_keys[i]) if 0 <= i < len(old_keys) else None

    matches = [replace(m, song=move(m.song)) for m in match.matches if move(m.song) is not None]
    amb = [replace(a, song=move(a.song)) for a in match.ambiguous if move(a.song) is not None]
    return MatchResult(len(new_keys), match.n_rows, sorted(matches, key=lambda m: m.song), amb)
