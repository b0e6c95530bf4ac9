"""The song table's columns and item roles: what each column shows and how it sorts.

One home for the layout shared by the model (:mod:`gui.song_table`), its filter proxy
(:mod:`gui.song_filter`), the view (:mod:`gui.song_view`) and the window: fixed columns
(:data:`COL_NUM`...), then one column per descriptor in :data:`TABLE_DESCRIPTORS` order,
then the reference columns once a sheet is loaded (from :data:`FIRST_REFERENCE_COL`).
"""

from __future__ import annotations

from PySide6.QtCore import Qt

from core.batch.rules import SongState
from core.io.results import DESCRIPTOR_COLUMNS
from gui.formatting import DESCRIPTOR_HEADERS

__all__ = [
    "JOB_ID_ROLE",
    "STATE_ROLE",
    "PROGRESS_ROLE",
    "SORT_ROLE",
    "PATH_ROLE",
    "AGREEMENT_ROLE",
    "COPY_ROLE",
    "USER_COPY_ROLE",
    "COL_NUM",
    "COL_TITLE",
    "COL_ARTIST",
    "COL_FILE",
    "COL_STATUS",
    "COL_NOTE",
    "COL_PROGRESS",
    "COL_CHUNK",
    "COL_ELAPSED",
    "COL_WORKER",
    "FIRST_DESCRIPTOR_COL",
    "TABLE_DESCRIPTORS",
    "TEXT_DESCRIPTORS",
    "HEADERS",
    "COPY_HEADERS",
    "COLUMN_NAMES",
    "FROZEN_COLUMNS",
    "FIRST_REFERENCE_COL",
    "REFERENCE_TIPS",
    "STATE_ORDER",
    "PRETTY_RATIO",
    "descriptor_column",
    "agreement_verdict",
]

#: Custom item roles.
JOB_ID_ROLE = Qt.ItemDataRole.UserRole + 1  #: int, the job id (the source row)
STATE_ROLE = Qt.ItemDataRole.UserRole + 2  #: str, a :class:`core.batch.rules.SongState` value
PROGRESS_ROLE = Qt.ItemDataRole.UserRole + 3  #: float 0-1
SORT_ROLE = Qt.ItemDataRole.UserRole + 4  #: a value of one type per column, for sorting
PATH_ROLE = Qt.ItemDataRole.UserRole + 5  #: str, the file
#: str, agreement category of a reference cell (``"ok"``, ``"octave"``, ``"fifth"``...)
AGREEMENT_ROLE = Qt.ItemDataRole.UserRole + 6
#: str, a cell as a copy gives it (Copy Rows, Ctrl+C): a value as the exports write it (a key
#: with sharps, the analyzer's value without the pencil of a value the user set, a duration
#: in seconds); None where the text shown is the one copied.  As ``headerData``, the header
#: a copy gives a column whose copied value is in another unit than the one shown
#: (:data:`COPY_HEADERS`), None for the others.
COPY_ROLE = Qt.ItemDataRole.UserRole + 7
#: str, the value the user set in a column (their tempo or key, as the results CSV writes it
#: in ``bpm_user`` / ``key_user``), empty when none; as ``headerData``, the header of the
#: column a copy adds after that one for it (None for a column the user sets nothing in).
USER_COPY_ROLE = Qt.ItemDataRole.UserRole + 8

_FIXED = ("#", "Title", "Artist", "File", "Status", "Note", "Progress", "Chunk",
          "Elapsed / budget", "Worker")
(COL_NUM, COL_TITLE, COL_ARTIST, COL_FILE, COL_STATUS, COL_NOTE, COL_PROGRESS, COL_CHUNK,
 COL_ELAPSED, COL_WORKER) = range(len(_FIXED))
#: Stable names of the fixed columns (the column chooser remembers columns by name).
_FIXED_NAMES = ("num", "title", "artist", "file", "status", "note", "progress", "chunk",
                "elapsed", "worker")
FIRST_DESCRIPTOR_COL = len(_FIXED)
_FIRST_SHOWN = ("bpm", "key", "key_camelot", "loudness_lufs", "energy", "danceability",
                "valence", "acousticness", "duration_s")
#: Descriptors in table order: what an engineer checks first, then the rest in export order.
TABLE_DESCRIPTORS = tuple(c for c in _FIRST_SHOWN if c in DESCRIPTOR_COLUMNS) + tuple(
    c for c in DESCRIPTOR_COLUMNS if c not in _FIRST_SHOWN)
#: Header text of the fixed and descriptor columns.
HEADERS = _FIXED + tuple(DESCRIPTOR_HEADERS.get(c, c) for c in TABLE_DESCRIPTORS)
#: Stable name of each fixed and descriptor column (descriptors: their results column).
COLUMN_NAMES = _FIXED_NAMES + TABLE_DESCRIPTORS
#: Header a copy gives a column (by :data:`COLUMN_NAMES` name) whose copied value is a plain
#: number in another unit than the text shown, which a spreadsheet would read as a time, a
#: date or a percentage: a duration in seconds (shown ``3:25``), beats per bar (``3/4``),
#: the count of chunks (``2/4``), the seconds the analysis took (``0:42 / 5:00``), a
#: progress in percent (``45 %``).  The results CSV's ``duration_s``, ``time_signature``,
#: ``chunks`` and ``analysis_s`` hold the same values.
COPY_HEADERS = {
    "progress": "Progress (%)",
    "chunk": "Chunks",
    "elapsed": "Analysis (s)",
    "duration_s": "Duration (s)",
    "time_signature": "Meter (beats per bar)",
}
#: Columns kept at the left edge while the table scrolls sideways (the song stays named).
FROZEN_COLUMNS = (COL_NUM, COL_TITLE)
#: First reference column (present once a reference sheet is loaded).
FIRST_REFERENCE_COL = len(HEADERS)


def descriptor_column(name: str) -> int:
    """Table column of descriptor ``name`` (a :data:`core.io.results.DESCRIPTOR_COLUMNS` entry)."""
    try:
        return FIRST_DESCRIPTOR_COL + TABLE_DESCRIPTORS.index(name)
    except ValueError:
        raise ValueError(f"not a descriptor column: {name!r}") from None


#: Descriptors shown as text (left-aligned, sorted as text).
TEXT_DESCRIPTORS = frozenset({"key", "key_camelot", "bpm_alternatives"})

#: Order of the states when the Status column is sorted: what needs attention first.
STATE_ORDER = {s: i for i, s in enumerate((
    SongState.STALLED, SongState.RUNNING, SongState.QUEUED, SongState.FAILED,
    SongState.TIMED_OUT, SongState.CANCELLED, SongState.SKIPPED, SongState.DONE))}

#: Header tooltips of the reference columns, by kind (``{name}`` is the column's name).
REFERENCE_TIPS = {
    "ref": "{name}: the value of the matched reference row",
    "error": "{name}: analyzer minus reference",
    "agreement": "{name}: agreement with the reference (green agrees, amber a near miss, "
                 "red a miss)",
}

_VERDICTS = {
    "ok": "within 4 % of the reference tempo",
    "same": "same key as the reference",
    "fifth": "fifth error: a neighbour on the circle of fifths",
    "relative": "relative key: the relative major/minor of the reference",
    "parallel": "parallel key: same tonic, other mode",
}
#: How tempo ratio labels are shown.
PRETTY_RATIO = {"x2": "\u00d72", "x1/2": "\u00d7\u00bd"}


def agreement_verdict(category: str, label: str = "") -> str:
    """One line saying what an agreement category means, e.g. ``"×2: octave error"``.

    Parameters
    ----------
    category : str
        Tempo (``"ok"``, ``"octave"``, ``"other"``) or key (``"same"``, ``"fifth"``,
        ``"relative"``, ``"parallel"``, ``"other"``) category; ``""`` gives ``""``.
    label : str, optional
        The cell's label (``"x2"``, ``"x1/2"``, ``"x1.07"`` for tempo); tells a tempo
        ``"other"`` from a key ``"other"``.
    """
    if not category:
        return ""
    if category == "octave":
        return f"{PRETTY_RATIO.get(label, label)}: octave error"
    if category == "other":
        if label.startswith("x"):
            return (f"\u00d7{label[1:]}: tempo error (not within 4 % of \u00d71, \u00d72 "
                    "or \u00d7\u00bd)")
        return "wrong key: not the same, a fifth, relative or parallel"
    return _VERDICTS.get(category, category)

