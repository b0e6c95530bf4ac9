"""Result records: one :class:`SongResult` per song, with its per-chunk values."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

__all__ = ["ChunkResult", "SongResult", "RESULT_COLUMNS", "DESCRIPTOR_COLUMNS", "TEXT_COLUMNS",
           "write_results_csv"]


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
    """

    index: int
    start_s: float
    end_s: float
    bpm: float | None = None
    key: str | None = None
    loudness_lufs: float | None = None


#: Descriptor columns, in export order, each with its unit in the name where it has one.
DESCRIPTOR_COLUMNS = (
    "duration_s",
    "sample_rate",
    "channels",
    "bpm",
    "bpm_confidence",
    "bpm_alternatives",
    "bpm_weak_pulse",
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

#: Columns of the results CSV, in order.
RESULT_COLUMNS = (
    ("path", "title", "artist", "status", "error")
    + DESCRIPTOR_COLUMNS
    + ("chunks", "analysis_s", "format")
)

#: Results columns that hold text even when a cell looks like a number.
TEXT_COLUMNS = frozenset({"path", "title", "artist", "status", "error", "bpm_alternatives",
                          "key", "key_camelot", "format"})


@dataclass
class SongResult:
    """Everything known about one song after (or instead of) its analysis.

    Descriptor attributes are ``None`` when they could not be measured (a failed file, or a
    silent one that has no tempo or key).  ``status`` is a :class:`core.batch.rules.SongState`
    value (``"done"``, ``"failed"``...); ``error`` is the plain-language reason otherwise.
    """

    path: str
    title: str = ""
    artist: str = ""
    status: str = "queued"
    error: str = ""
    duration_s: float | None = None
    sample_rate: int | None = None
    channels: int | None = None
    bpm: float | None = None
    bpm_confidence: float | None = None
    #: Octave alternatives considered, e.g. ``"61.5;123.0;184.5"`` (BPM).
    bpm_alternatives: str = ""
    #: True when the beat is too weak to trust: ``bpm`` is then a best guess.
    bpm_weak_pulse: bool | None = None
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
    chunks: int | None = None
    analysis_s: float | None = None
    format: str = ""
    chunk_results: list[ChunkResult] = field(default_factory=list)

    def to_row(self) -> dict:
        """The CSV row: every column of :data:`RESULT_COLUMNS` (None for unknown)."""
        d = dataclasses.asdict(self)
        return {c: d.get(c) for c in RESULT_COLUMNS}


def write_results_csv(path, results, *, settings=None) -> None:
    """Write the results CSV atomically: one row per song, failed ones too.

    Parameters
    ----------
    path : str or os.PathLike
        The CSV to write.
    results : iterable of SongResult
    settings : AnalysisSettings, optional
        Recorded in the provenance columns.
    """
    from core.io.csvio import write_csv
    from core.io.provenance import provenance

    write_csv(path, RESULT_COLUMNS, [r.to_row() for r in results],
              meta=provenance(settings=settings))
