"""Pair analyzed songs with reference rows by normalized title and artist.

Matching runs in three passes, each only for the songs the previous one left open:

1. ``exact``: same title after case, accents, punctuation, ``feat.`` tails and ``&``/``and``
   are normalized (:func:`normalize_title`), and a compatible artist;
2. ``normalized``: same title once version suffixes are removed as well — bracketed parts,
   ``- Remastered 2011``, ``- Radio Edit``, ``- Live``... (:func:`loose_title`);
3. ``fuzzy``: the best rapidfuzz score of "artist title" against every open row, kept when
   it reaches the threshold and clearly beats the runner-up.  When the artists agree, the
   score is at most the titles' own score plus 3 points, so that a shared artist name does
   not pair two different titles ("Heart of Glass" and "Heart of Gold").

A row goes to one song only; when two songs claim one row equally, both are listed as
ambiguous.  :func:`manual_match` pairs a song with a row by hand (the window calls it).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field, replace

import numpy as np
from rapidfuzz import fuzz, process

from core.io.tags import identity_from_name

__all__ = [
    "SongIdentity",
    "Match",
    "Ambiguity",
    "MatchResult",
    "normalize_text",
    "normalize_title",
    "loose_title",
    "normalize_artist",
    "artist_names",
    "identity_from_filename",
    "identity_from_row",
    "match_songs",
    "manual_match",
    "unmatch",
]

_FEAT = r"(?:feat\.?|ft\.?|featuring)"
_FEAT_BRACKET = r"(?:feat\.?|ft\.?|featuring|with)"
#: Points by which a fuzzy match's score may exceed its title's own score (see match_songs).
_TITLE_LIFT = 3.0
_VERSION_WORDS = (
    r"remaster(?:ed)?|re-?master(?:ed)?|radio edit|radio version|single version|album version|"
    r"edit|live(?: at| from| in)?|mono|stereo|version|mix|remix|extended|original|explicit|"
    r"clean|acoustic|demo|instrumental|bonus track|deluxe|anniversary|\d{4}"
)


def normalize_text(text: str) -> str:
    """Lower case, accents removed, ``&`` as ``and``, punctuation as single spaces."""
    s = unicodedata.normalize("NFKD", str(text or ""))
    s = "".join(c for c in s if not unicodedata.combining(c)).lower()
    s = s.replace("ß", "ss").replace("ø", "o").replace("æ", "ae").replace("œ", "oe")
    s = s.replace("&", " and ").replace("+", " and ")
    s = re.sub(r"['’`´]", "", s)  # don't -> dont
    s = re.sub(r"[^0-9a-z]+", " ", s)
    return s.strip()


def _drop_feat(text: str) -> str:
    s = re.sub(rf"[\(\[]\s*{_FEAT_BRACKET}\s[^\)\]]*[\)\]]", " ", text, flags=re.I)
    s = re.sub(rf"\s(?:-\s+)?{_FEAT}\s.*$", "", s, flags=re.I)
    return s


def normalize_title(title: str) -> str:
    """Title for exact matching: :func:`normalize_text` after dropping a ``feat.`` tail."""
    return normalize_text(_drop_feat(str(title or "")))


def loose_title(title: str) -> str:
    """Title with version suffixes dropped too.

    Removes bracketed parts (``(Live)``, ``[2011 Remaster]``) and dash suffixes such as
    ``- Remastered 2011``, ``- Radio Edit``, ``- Live at Wembley``, ``- Mono``.
    """
    s = _drop_feat(str(title or ""))
    s = re.sub(r"[\(\[\{][^\)\]\}]*[\)\]\}]", " ", s)
    s = re.sub(rf"\s+[-–—/]\s+.*\b(?:{_VERSION_WORDS})\b.*$", "", s, flags=re.I)
    out = normalize_text(s)
    return out or normalize_title(title)


def artist_names(artist: str) -> set[str]:
    """The normalized names in an artist cell (split on ``,``, ``&``, ``and``, ``feat.``, ``x``)."""
    s = str(artist or "")
    parts = re.split(rf"\s*(?:,|;|/|&|\+|\band\b|\bx\b|\bvs\.?|\b{_FEAT}\b)\s*", s, flags=re.I)
    names = {re.sub(r"^the ", "", normalize_text(p)) for p in parts}
    names.discard("")
    whole = normalize_artist(artist)
    if whole:
        names.add(whole)
    return names


def normalize_artist(artist: str) -> str:
    """Artist for exact matching: :func:`normalize_text` without a ``feat.`` tail or a
    leading ``the``."""
    s = normalize_text(_drop_feat(str(artist or "")))
    return re.sub(r"^the ", "", s)


@dataclass(frozen=True)
class SongIdentity:
    """Title and artist of an analyzed song, as used for matching."""

    title: str
    artist: str = ""
    path: str = ""


def identity_from_filename(path: str) -> SongIdentity:
    """Guess title and artist from a file name (the shapes of
    :func:`core.io.tags.identity_from_name`: ``Artist - Title``, ``NN - Artist - Title``,
    ``NNN_Artist_Title``, ``NN. Title``...)."""
    title, artist = identity_from_name(str(path))
    return SongIdentity(title, artist, str(path))


def identity_from_row(row: dict) -> SongIdentity:
    """Identity of a results row: its ``title``/``artist`` tags, else its file name."""
    title = (row.get("title") or "").strip()
    artist = (row.get("artist") or "").strip()
    path = row.get("path") or ""
    if title:
        return SongIdentity(title, artist, path)
    guess = identity_from_filename(path)
    return SongIdentity(guess.title, artist or guess.artist, path)


@dataclass(frozen=True)
class Match:
    """Song ``song`` (index into the songs) paired with row ``row`` (index into the rows).

    ``method`` is ``"exact"``, ``"normalized"``, ``"fuzzy"`` or ``"manual"``; ``score`` is
    0-100 (100 for exact, normalized and manual pairs).
    """

    song: int
    row: int
    method: str
    score: float


@dataclass(frozen=True)
class Ambiguity:
    """A song with several equally good rows, or with a row other songs match as well:
    ``candidates`` is a tuple of (row, score), ``rivals`` the other songs (indices) that
    match its one row as well as it does (the same song listed twice, under two paths)."""

    song: int
    candidates: tuple
    rivals: tuple = ()


@dataclass
class MatchResult:
    """Outcome of matching ``n_songs`` songs against ``n_rows`` reference rows."""

    n_songs: int
    n_rows: int
    matches: list = field(default_factory=list)
    ambiguous: list = field(default_factory=list)

    @property
    def row_of(self) -> dict:
        """Song index -> row index for every matched song."""
        return {m.song: m.row for m in self.matches}

    @property
    def unmatched_songs(self) -> list[int]:
        """Songs without a row (ambiguous ones included), in order."""
        done = {m.song for m in self.matches}
        return [i for i in range(self.n_songs) if i not in done]

    @property
    def unmatched_rows(self) -> list[int]:
        """Rows no song was paired with, in order."""
        used = {m.row for m in self.matches}
        return [j for j in range(self.n_rows) if j not in used]


def _artists_agree(song_artists: set, row_artists: set) -> bool:
    if not song_artists or not row_artists:
        return True  # nothing to contradict
    if song_artists & row_artists:
        return True
    return any(fuzz.ratio(a, b) >= 90 for a in song_artists for b in row_artists)


def match_songs(songs, rows, *, threshold: float = 86.0, margin: float = 3.0) -> MatchResult:
    """Pair songs with reference rows.

    Parameters
    ----------
    songs : sequence of SongIdentity
        The analyzed songs.
    rows : sequence
        Reference rows; anything with ``title`` and ``artist`` attributes
        (:class:`core.calibration.reference.ReferenceRow`).
    threshold : float, optional
        Lowest fuzzy score (0-100) accepted as a match.
    margin : float, optional
        How far (score points) the best fuzzy row must beat the next one; closer calls are
        listed as ambiguous.

    Returns
    -------
    MatchResult
    """
    if not 0 <= threshold <= 100:
        raise ValueError(f"threshold must be 0-100, got {threshold!r}")
    if margin < 0:
        raise ValueError(f"margin must be >= 0, got {margin!r}")
    s_title = [normalize_title(s.title) for s in songs]
    s_loose = [loose_title(s.title) for s in songs]
    s_art = [artist_names(s.artist) for s in songs]
    r_title = [normalize_title(r.title) for r in rows]
    r_loose = [loose_title(r.title) for r in rows]
    r_art = [artist_names(r.artist) for r in rows]

    claims: dict[int, list] = {}  # song -> list of (row, method, score)
    ambiguous: dict[int, tuple] = {}
    for passname, s_keys, r_keys in (("exact", s_title, r_title),
                                     ("normalized", s_loose, r_loose)):
        index: dict[str, list[int]] = {}
        for j, k in enumerate(r_keys):
            if k:
                index.setdefault(k, []).append(j)
        for i, k in enumerate(s_keys):
            if i in claims or i in ambiguous or not k:
                continue
            cands = [j for j in index.get(k, []) if _artists_agree(s_art[i], r_art[j])]
            cands = _distinct(cands, rows)
            if len(cands) > 1 and s_art[i]:  # prefer rows whose artist really matches
                strong = [j for j in cands if r_art[j] and s_art[i] & r_art[j]]
                cands = strong or cands
            if len(cands) == 1:
                claims[i] = [(cands[0], passname, 100.0)]
            elif len(cands) > 1:
                ambiguous[i] = tuple((j, 100.0) for j in cands)

    taken = {c[0][0] for c in claims.values()}
    r_full = [normalize_text(f"{r.artist} {r.title}") for r in rows]
    r_full_title = [normalize_text(r.title) for r in rows]
    open_songs = [i for i in range(len(songs)) if i not in claims and i not in ambiguous]
    fulls = [normalize_text(f"{songs[i].artist} {songs[i].title}") for i in open_songs]
    s_titles = [normalize_text(songs[i].title) for i in open_songs]
    coarse = None
    cutoff = max(0.0, threshold - margin)
    if open_songs and rows:
        # token_set_ratio bounds every score below from above: only rows that pass this
        # bound are scored in full.
        coarse = np.maximum(
            process.cdist(fulls, r_full, scorer=fuzz.token_set_ratio, workers=1,
                          score_cutoff=cutoff),
            process.cdist(fulls, r_full_title, scorer=fuzz.token_set_ratio, workers=1,
                          score_cutoff=cutoff))
    for pos, i in enumerate(open_songs):
        s, full = songs[i], fulls[pos]
        if not full:
            continue
        scored, best_yet = [], threshold
        for j in np.argsort(-coarse[pos], kind="stable"):
            j = int(j)
            if coarse[pos, j] < best_yet - margin:
                break  # no row further down can come within the margin of the best
            if j in taken:
                continue
            if s.artist.strip():
                sc = _fuzzy_score(full, r_full[j])
                agree = _artists_agree(s_art[i], r_art[j])
                # A different artist costs points, unless "artist title" reads the same
                # as a whole (a file name split at the wrong underscore, or named
                # "Title - Artist").
                if sc < 95 and not agree:
                    sc -= 15
                elif agree and r_full_title[j]:
                    # A shared artist name lifts the whole string's score: "Blondie Heart
                    # of Glass" is 88 against "Blondie Heart of Gold".  The title on its own
                    # must come within _TITLE_LIFT points of the score.
                    sc = min(sc, _fuzzy_score(s_titles[pos], r_full_title[j]) + _TITLE_LIFT)
            else:  # title only (or a file name holding both): compare against both shapes
                sc = max(fuzz.token_sort_ratio(full, r_full_title[j]),
                         fuzz.token_sort_ratio(full, r_full[j]))
            scored.append((sc, j))
            best_yet = max(best_yet, sc)
        scored.sort(key=lambda t: -t[0])
        if not scored or scored[0][0] < threshold:
            continue
        best = scored[0][0]
        close = [(j, round(sc, 1)) for sc, j in scored if best - sc < margin]
        if len(close) == 1:
            claims[i] = [(scored[0][1], "fuzzy", round(best, 1))]
        else:
            ambiguous[i] = tuple(close)

    # One song per row: the best claim wins, ties are ambiguous.
    by_row: dict[int, list] = {}
    for i, c in claims.items():
        by_row.setdefault(c[0][0], []).append((c[0][2], _rank(c[0][1]), i, c[0][1]))
    matches = []
    rivals: dict[int, tuple] = {}
    for j, lst in by_row.items():
        lst.sort(key=lambda t: (-t[0], t[1]))
        top = lst[0]
        tied = [t for t in lst if t[0] == top[0] and t[1] == top[1]]
        if len(tied) == 1:
            matches.append(Match(top[2], j, top[3], top[0]))
            rest = lst[1:]
        else:
            rest = lst
            for t in tied:
                rivals[t[2]] = tuple(sorted(u[2] for u in tied if u[2] != t[2]))
        for t in rest:
            ambiguous.setdefault(t[2], ((j, t[0]),))
    matches.sort(key=lambda m: m.song)
    amb = [Ambiguity(i, c, rivals.get(i, ())) for i, c in sorted(ambiguous.items())]
    return MatchResult(len(songs), len(rows), matches, amb)


def _fuzzy_score(a: str, b: str) -> float:
    """Fuzzy score (0-100) of two normalized strings ("artist title" or titles): word order
    ignored, and a string whose words all stand in the other 5 points short of a match."""
    return max(fuzz.token_sort_ratio(a, b), fuzz.token_set_ratio(a, b) - 5)


def _distinct(cands: list[int], rows) -> list[int]:
    """Drop rows that repeat an earlier candidate exactly (a sheet listing a song twice)."""
    seen, out = set(), []
    for j in cands:
        r = rows[j]
        sig = (normalize_title(r.title), normalize_artist(r.artist),
               tuple(sorted((getattr(r, "values", None) or {}).items())),
               getattr(r, "key", None))
        if sig not in seen:
            seen.add(sig)
            out.append(j)
    return out


def _rank(method: str) -> int:
    return {"manual": 0, "exact": 1, "normalized": 2, "fuzzy": 3}.get(method, 4)


def manual_match(result: MatchResult, song: int, row: int) -> MatchResult:
    """Pair song ``song`` with row ``row`` by hand.

    Any other pairing of that song or that row is removed, and the song leaves the
    ambiguous list.

    Returns
    -------
    MatchResult
        A new result; ``result`` is not changed.
    """
    if not 0 <= song < result.n_songs:
        raise ValueError(f"song index must be 0-{result.n_songs - 1}, got {song!r}")
    if not 0 <= row < result.n_rows:
        raise ValueError(f"row index must be 0-{result.n_rows - 1}, got {row!r}")
    matches = [m for m in result.matches if m.song != song and m.row != row]
    matches.append(Match(song, row, "manual", 100.0))
    matches.sort(key=lambda m: m.song)
    amb = [a for a in result.ambiguous if a.song != song]
    return replace(result, matches=matches, ambiguous=amb)


def unmatch(result: MatchResult, song: int) -> MatchResult:
    """Remove the pairing of song ``song`` (a new result)."""
    if not 0 <= song < result.n_songs:
        raise ValueError(f"song index must be 0-{result.n_songs - 1}, got {song!r}")
    return replace(result, matches=[m for m in result.matches if m.song != song],
                   ambiguous=[a for a in result.ambiguous if a.song != song])
