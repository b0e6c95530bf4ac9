"""Result records: one :class:`SongResult` per song, with its per-chunk values, and the results
CSV they are written to.

The results CSV keeps apart what the analyzer measured and what else is known about a song:
``error`` is the reason a song has no result (failed, timed out, skipped...); ``note`` is a
remark on a song that was analyzed (a silent file has no tempo...); ``source`` says whether
the values were measured in this run (``analysis``) or served from the session store
(``store``, whose ``analysis_s`` is then the time of the original analysis, when known);
``bpm_user`` and ``key_user`` are the user's own corrections, next to the analyzer's
``bpm`` and ``key``, which they never replace.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

__all__ = ["ChunkResult", "SongResult", "RESULT_COLUMNS", "DESCRIPTOR_COLUMNS", "TEXT_COLUMNS",
           "USER_COLUMNS", "SOURCES", "CHECK_CONFIDENCE", "CHUNK_COLUMNS", "write_results_csv",
           "chunk_rows", "write_chunks_csv", "CHECKED_COLUMNS", "checked_rows",
           "write_checked_csv", "title_from_filename"]


@dataclass
class ChunkResult:
    """Values measured on one streamed chunk of a song.

    Attributes
    ----------
    index : int
        0-based chunk number.
    start_s, end_s : float
        Position of the chunk in the song (s).
    bpm : float or None
        Tempo of this chunk alone (BPM); ``None`` when the chunk has no beat.
    key : str or None
        Key of this chunk alone, spelled like ``"F# minor"``.
    loudness_lufs : float or None
        Ungated loudness of the chunk (LUFS).
    bpm_confidence, key_confidence : float or None
        How far the chunk's own tempo and key can be trusted, 0 to 1 (``None`` without a
        value, and in results stored before chunks kept them).  A chunk's tempo is as sure
        as its beat repeats: its periodicity at the beat over 0.3, capped at 1, times (for
        a chunk read on its own rather than on the song's beat) the probability the
        decision gives its tempo.  Its key: its margin over the next key (over 0.15, capped
        at 1) times how well the key's template fits its chroma.  A short chunk, a break or
        a bridge scores low: its value is a hint, not a measurement.
    """

    index: int
    start_s: float
    end_s: float
    bpm: float | None = None
    key: str | None = None
    loudness_lufs: float | None = None
    bpm_confidence: float | None = None
    key_confidence: float | None = None


#: Descriptor columns, in export order, each with its unit in the name where it has one.
DESCRIPTOR_COLUMNS = (
    "duration_s",
    "sample_rate",
    "channels",
    "bpm",
    "bpm_confidence",
    "bpm_alternatives",
    "bpm_weak_pulse",
    "bpm_varies",
    "key",
    "key_camelot",
    "key_confidence",
    "key_modulating",
    "loudness_lufs",
    "loudness_range_lu",
    "peak_dbfs",
    "energy",
    "danceability",
    "valence",
    "acousticness",
    "dynamic_range_db",
    "brightness_hz",
    "silence_ratio",
    "time_signature",
)

#: The user's corrections of a song (BPM, key spelled like ``"A minor"``) and whether the
#: user checked its tempo and key by ear (``true``); empty when none.
USER_COLUMNS = ("bpm_user", "key_user", "user_checked")

#: Below this confidence a tempo or key is one to check by ear (:meth:`SongResult.doubts`).
#: In ``benchmarks/results/confidence.txt`` the tempi of songs by other people under it are
#: right (Acc1) 32 times of 55, those above it 154 of 179; the held-out editions' keys
#: under it are exact 43 times of 71, those above it about 1,120 of 1,158.
CHECK_CONFIDENCE = 0.6


def _below(confidence: float) -> str:
    """A confidence under :data:`CHECK_CONFIDENCE` to two decimals, cut rather than rounded,
    so it never reads as the threshold itself (0.598 is "0.59", not "0.60")."""
    return f"{math.floor(confidence * 100 + 1e-9) / 100:.2f}"

#: Values of the ``source`` column: measured in this run, or served from the session store.
SOURCES = ("analysis", "store")

#: Columns of the results CSV, in order.
RESULT_COLUMNS = (
    ("path", "title", "artist", "status", "error", "note")
    + DESCRIPTOR_COLUMNS
    + USER_COLUMNS
    + ("chunks", "analysis_s", "source", "format")
)

#: Columns of the chunks CSV: one row per chunk of every analyzed song, beside the song's
#: own tempo and key (``chunk`` counts from 1; times in seconds from the song's start).
CHUNK_COLUMNS = ("path", "title", "artist", "chunk", "start_s", "end_s", "bpm",
                 "bpm_confidence", "key", "key_confidence", "loudness_lufs", "song_bpm",
                 "song_key", "bpm_varies", "key_modulating")

#: Results columns that hold text even when a cell looks like a number.
TEXT_COLUMNS = frozenset({"path", "title", "artist", "status", "error", "note",
                          "bpm_alternatives", "key", "key_camelot", "key_user", "source",
                          "format"})


@dataclass
class SongResult:
    """Everything known about one song after (or instead of) its analysis.

    Descriptor attributes are ``None`` when they could not be measured (a failed file, or a
    silent one that has no tempo or key).  ``status`` is a :class:`core.batch.rules.SongState`
    value (``"done"``, ``"failed"``...); ``error`` is the plain-language reason a song has
    no result, ``note`` a remark on one that has (see the module docstring).
    """

    path: str
    title: str = ""
    artist: str = ""
    status: str = "queued"
    error: str = ""
    note: str = ""
    duration_s: float | None = None
    sample_rate: int | None = None
    channels: int | None = None
    bpm: float | None = None
    bpm_confidence: float | None = None
    #: Octave alternatives considered, e.g. ``"61.5;123.0;184.5"`` (BPM).
    bpm_alternatives: str = ""
    #: True when the beat is too weak to trust: ``bpm`` is then a best guess.
    bpm_weak_pulse: bool | None = None
    #: True when parts of the song are more than 4 % off its tempo (a tempo change, a
    #: drift or rubato): two or more chunks, octaves aside.
    bpm_varies: bool | None = None
    key: str | None = None
    key_camelot: str | None = None
    key_confidence: float | None = None
    #: True when chunks disagree on the key.
    key_modulating: bool | None = None
    loudness_lufs: float | None = None
    loudness_range_lu: float | None = None
    peak_dbfs: float | None = None
    energy: float | None = None
    danceability: float | None = None
    valence: float | None = None
    acousticness: float | None = None
    dynamic_range_db: float | None = None
    brightness_hz: float | None = None
    silence_ratio: float | None = None
    time_signature: int | None = None
    #: The user's tempo for this song (BPM), e.g. the analyzer's doubled; None when none.
    bpm_user: float | None = None
    #: The user's key for this song, spelled like ``"A minor"``; None when none.
    key_user: str | None = None
    #: True when the user listened and takes the tempo and key shown (theirs where they set
    #: one, else the analyzer's) as right; None when not marked.
    user_checked: bool | None = None
    chunks: int | None = None
    #: Seconds the analysis took (for a stored result: the original analysis, when known).
    analysis_s: float | None = None
    #: ``"analysis"`` or ``"store"`` (:data:`SOURCES`); empty when the song has no values.
    source: str = ""
    format: str = ""
    #: The analyzer build that made the values (:func:`core.analysis.identity.analyzer_id`);
    #: empty for a song without values, or one analyzed before builds were named.  Not a
    #: results column: a results file names its build in its provenance.
    analyzer: str = ""
    #: Fingerprint of the file's content the values were measured on
    #: (:func:`core.batch.cache.content_fingerprint`), and when it was taken (seconds since
    #: the epoch): set by the session store's cache, empty and None without one.  A list
    #: restored later checks its files against them (:func:`core.batch.cache.still_holds`).
    #: ``content_inode`` names the file that was read (``"<device>:<inode>"``): a list
    #: restored trusts the file's timestamps only when the same file is still at its path
    #: (a folder renamed into the place of another brings other songs with old times).
    #: Not results columns.
    content: str = ""
    content_at: float | None = None
    content_inode: str = ""
    chunk_results: list[ChunkResult] = field(default_factory=list)

    def doubts(self) -> list[str]:
        """Why the analyzer's tempo or key of this song is worth checking by ear, e.g.
        ``["weak pulse", "key confidence 0.41"]``; empty when there is no doubt, when the
        song has no values, when the user checked it by ear (``user_checked``), or for a
        value the user has set (``bpm_user``, ``key_user``)."""
        if self.status != "done" or self.user_checked:
            return []
        out = []
        if self.bpm is not None and self.bpm_user is None:
            if self.bpm_weak_pulse:
                out.append("weak pulse")
            if self.bpm_varies:
                out.append("tempo varies")
            if self.bpm_confidence is not None and self.bpm_confidence < CHECK_CONFIDENCE:
                out.append(f"tempo confidence {_below(self.bpm_confidence)}")
        if self.key is not None and self.key_user is None \
                and self.key_confidence is not None and self.key_confidence < CHECK_CONFIDENCE:
            out.append(f"key confidence {_below(self.key_confidence)}")
        return out

    @property
    def has_user_values(self) -> bool:
        """True when the user set this song's tempo or key or checked it by ear."""
        return self.bpm_user is not None or self.key_user is not None or bool(self.user_checked)

    def identity(self) -> tuple[str, str]:
        """``(title, artist)`` as the exports write them: a song without a title (one that
        failed before its tags were read) gets the one its file name gives
        (:func:`title_from_filename`), as the window shows it."""
        if self.title or not self.path:
            return self.title, self.artist
        title, artist = title_from_filename(self.path)
        return title, self.artist or artist

    def to_row(self) -> dict:
        """The CSV row: every column of :data:`RESULT_COLUMNS` (None for unknown), with the
        title and artist of :meth:`identity`."""
        d = {c: getattr(self, c, None) for c in RESULT_COLUMNS}
        d["title"], d["artist"] = self.identity()
        return d


def title_from_filename(path) -> tuple[str, str]:
    """``(title, artist)`` from a file name alone (never opened), in the shapes
    :func:`core.io.tags.identity_from_name` knows (``NNN_Artist_Title``, ``Artist - Title``).

    Parameters
    ----------
    path : str or os.PathLike
        The file.

    Returns
    -------
    tuple of str
        Title and artist (the artist empty when the name does not say).
    """
    from core.io.tags import identity_from_name

    return identity_from_name(path)


def write_results_csv(path, results, *, settings=None, analyzer: str | None = None) -> None:
    """Write the results CSV atomically: one row per song, failed ones too.

    Parameters
    ----------
    path : str or os.PathLike
        The CSV to write.
    results : iterable of SongResult
    settings : AnalysisSettings, optional
        Recorded in the provenance columns.
    analyzer : str, optional
        The analyzer build that made the results, recorded in the provenance columns.
    """
    from core.io.csvio import write_csv
    from core.io.provenance import provenance

    write_csv(path, RESULT_COLUMNS, [r.to_row() for r in results],
              meta=provenance(settings=settings, analyzer=analyzer))


def chunk_rows(results) -> list[dict]:
    """The rows of the chunks CSV (:data:`CHUNK_COLUMNS`): every chunk of every analyzed
    song, in order; songs without values (failed, skipped...) have none."""
    rows = []
    for r in results:
        if r.status != "done":
            continue
        title, artist = r.identity()
        for c in r.chunk_results:
            rows.append({"path": r.path, "title": title, "artist": artist,
                         "chunk": c.index + 1, "start_s": c.start_s, "end_s": c.end_s,
                         "bpm": c.bpm, "bpm_confidence": c.bpm_confidence, "key": c.key,
                         "key_confidence": c.key_confidence, "loudness_lufs": c.loudness_lufs,
                         "song_bpm": r.bpm, "song_key": r.key, "bpm_varies": r.bpm_varies,
                         "key_modulating": r.key_modulating})
    return rows


def write_chunks_csv(path, results, *, settings=None, analyzer: str | None = None) -> int:
    """Write the chunks CSV atomically (:func:`chunk_rows`), with the same arguments and
    provenance columns as :func:`write_results_csv` (the settings name the chunk length);
    returns the number of rows."""
    from core.io.csvio import write_csv
    from core.io.provenance import provenance

    rows = chunk_rows(results)
    write_csv(path, CHUNK_COLUMNS, rows, meta=provenance(settings=settings, analyzer=analyzer))
    return len(rows)


#: Columns of the sheet of the user's own values (:func:`write_checked_csv`): a plain truth
#: sheet that SongCal reads back as a reference.
CHECKED_COLUMNS = ("title", "artist", "bpm", "key", "path")


def checked_rows(results) -> list[dict]:
    """The songs whose tempo or key the user set or checked by ear, with those values.

    A song's tempo is the user's (``bpm_user``) or, when the user marked it as checked
    (``user_checked``), the analyzer's as shown; the same for the key.  A song with neither
    is left out, as is a value the user neither set nor checked (a corrected tempo says
    nothing of the key).
    """
    rows = []
    for r in results:
        if r.status != "done":
            continue
        bpm = r.bpm_user if r.bpm_user is not None else (r.bpm if r.user_checked else None)
        key = r.key_user if r.key_user is not None else (r.key if r.user_checked else None)
        if bpm is None and key is None:
            continue
        title, artist = r.identity()
        rows.append({"title": title, "artist": artist, "bpm": bpm, "key": key, "path": r.path})
    return rows


def write_checked_csv(path, results) -> int:
    """Write the sheet of the user's own values (:func:`checked_rows`) atomically; returns
    the number of songs.  It is a truth sheet (title, artist, bpm, key) to load as a
    reference; the path column names each song's file."""
    from core.io.csvio import write_csv

    rows = checked_rows(results)
    write_csv(path, CHECKED_COLUMNS, rows)
    return len(rows)
