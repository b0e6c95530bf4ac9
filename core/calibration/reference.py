"""Reference sheets: read a CSV of trusted values and map its columns to analyzer descriptors.

Three shapes are recognized by their header names (any case, any punctuation):

- streaming-metrics playlist exports: ``#, Song, Artist, BPM, Key, Camelot, Energy, Dance,
  Happy, Acoustic, Loud (Db)...`` with percentages 0-100;
- API-style exports: ``Track Name, Artist Name(s), Tempo, Key`` (pitch class 0-11, ``-1``
  unknown) with ``Mode`` (1 major, 0 minor), descriptors on 0-1 and ``Loudness`` in dB;
- plain truth sheets: ``title, artist, bpm, key``.

A sheet without a title column may name its songs by file (``File name``, ``Path``,
``Location``: Mixed In Key, DJ software): the title and artist are then read from the file
name as for a song without tags (:func:`core.io.tags.identity_from_name`).

Headers are compared with accents folded, and the German, French, Spanish and Italian words
spreadsheet exports use are known too (``Titel; Künstler; Tonart``, ``Titre, Artiste``).  The
header is the first of the sheet's first ten rows that names a title (or a file) and one
more known column, so a title line or notes above the table are skipped; row numbers in
messages are the spreadsheet's own.

The delimiter (``,`` ``;`` tab ``|``: the one that splits the header, so a title line above
the table counts for nothing), the encoding (UTF-8 with or without a byte-order mark,
UTF-16 with one or, told by its NUL bytes, without one, else Windows-1252 / Latin-1) and
the scale of each 0-1 descriptor column (0-100 percentages are divided by 100; a cell
written with ``%`` is a percentage whatever its column holds) are detected; a 0-1
descriptor column of whole numbers 1-10 only (an energy level, or low percentages: they
cannot be told apart) is left out with a warning.  A Mixed In Key export, known by a header only it writes (``Key
result``, ``Collection name``) or by its shape (a file-name column, Camelot keys, energies
mostly 1-10, rows that repeat the header or sum up the songs not counted:
:mod:`core.calibration.mixed_in_key`, with a warning naming it), has its ``Energy``
column read as the energy level 1-10 it is, on that scale as written
(:data:`MIXED_IN_KEY_ENERGY`, :attr:`ReferenceSheet.value_scales`); a cell outside 1-10 is
a bad cell of its row.  ``128,5`` has a decimal comma and ``12,345,678``
thousands separators; ``1,234``, which could be either, is a bad cell.

Every cell is checked on its own.  A cell that cannot be read (not a number, not a key) or
holds a value out of any plausible range (:data:`CELL_RANGES`: a tempo of -120 or 1e308
BPM, an energy of 250 %) is left out of the fit and listed in
:attr:`ReferenceSheet.bad_cells` with its row and column; the rest of its row is kept.  A
row without a title is left out whole (:attr:`ReferenceSheet.bad_rows`).  A total or
average row under the songs (``Total``, ``Summe``, ``Average``, ``Ø`` with no artist and no
key, each number the sum or the mean of its column above) is left out and named in the
warnings (:attr:`ReferenceSheet.summary_rows`); a song titled ``Total Eclipse``, or
``Total`` with an artist, is kept.  A file that is
not a regular file, is larger than :data:`core.io.inputs.MAX_SHEET_BYTES`, or is not text
CSV at all is refused with a :class:`~core.errors.ReferenceSheetError` naming the reason.

A role named by two header cells (two ``BPM`` columns, ``BPM`` and ``Tempo``) is read from the
first that holds values, the others left out, with a warning when it is not the first or
another one holds values too.

Any other column whose cells are numbers (speechiness, liveness, popularity...) is kept as
an *extra* column (:attr:`ReferenceSheet.extra`), named after its header (lower case,
punctuation as ``_``: ``Speech`` -> ``speech``), on the sheet's own scale; a cell of it that
is not a number is read as missing.  Row numbers, identifiers and dates are not kept.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import json
import math
import os
import re
import unicodedata
from dataclasses import dataclass, field

from core.calibration.mixed_in_key import (
    ENERGY_SCALE,
    levels_1_to_10,
    may_be_export,
    recognize,
)
from core.calibration.workbook import XLSX, WorkbookError, spreadsheet_kind, workbook_sheets
from core.errors import ReferenceSheetError
from core.io.csvio import open_quote_problem, text_lines, unneutralize
from core.io.inputs import MAX_SHEET_BYTES, InputFileError, read_file_start, read_regular_file
from core.io.keynotation import (
    PITCH_CLASS_RANGE,
    Key,
    parse_mode,
    read_key,
    spelling_traits,
)
from core.io.tags import identity_from_name

__all__ = [
    "REFERENCE_DESCRIPTORS",
    "UNIT_DESCRIPTORS",
    "MIXED_IN_KEY_ENERGY",
    "CELL_RANGES",
    "EXTRA_MIN_SHARE",
    "ReferenceRow",
    "BadRow",
    "ReferenceSheet",
    "load_reference",
    "reads_as_sheet",
    "read_reference_bytes",
    "reference_from_bytes",
    "parse_reference_text",
    "file_sha256",
    "normalize_header",
]

#: Numeric descriptors a reference sheet can hold, by analyzer column name.
REFERENCE_DESCRIPTORS = ("bpm", "energy", "danceability", "valence", "acousticness",
                         "loudness_lufs")

#: Descriptors on 0-1 in the analyzer (a 0-100 reference column is divided by 100).
UNIT_DESCRIPTORS = ("energy", "danceability", "valence", "acousticness")

#: Plausible range of a reference cell as written in the sheet (before a 0-100 column is
#: scaled), inclusive; a value outside is left out of the fit and reported.
CELL_RANGES = {
    "bpm": (1.0, 1000.0),
    "energy": (0.0, 100.0),
    "danceability": (0.0, 100.0),
    "valence": (0.0, 100.0),
    "acousticness": (0.0, 100.0),
    "loudness_lufs": (-120.0, 20.0),
}
_CELL_UNITS = {"bpm": " BPM", "loudness_lufs": " dB"}

#: Mixed In Key's energy level: (lowest, highest, name of the scale).  Its export writes a
#: whole number 1-10 where Spotify-style sheets write 0-1.
MIXED_IN_KEY_ENERGY = ENERGY_SCALE

#: Cells listed one by one in the sheet's warnings; the rest are counted.
_CELLS_IN_WARNINGS = 5
_HEADER_SEARCH_ROWS = 20  # rows searched for the header (notes may stand above the table)
#: From this many values on, a column holding one value for every row is pointed out.
_SAME_VALUE_ROWS = 5
_SNIFF_CHARS = 1 << 16  # characters the delimiter is guessed from
_DELIMITERS = ",;\t|"  # the delimiters a sheet may have

# Normalized header name -> role.  Headers are lower-cased with every run of
# non-alphanumeric characters turned into one space ("Loud (Db)" -> "loud db").
# Accents are folded first ("Künstler" -> "kunstler").  Besides the English names, the
# German, French, Spanish and Italian words that spreadsheet exports use are recognized.
_HEADER_ROLES = {
    "title": ("title", "song", "song title", "song name", "track", "track name", "track title",
              "name", "titel", "titre", "titulo", "titolo", "cancion", "chanson", "brano"),
    "artist": ("artist", "artists", "artist name", "artist names", "artist name s",
               "artist s", "performer", "artist s name", "kunstler", "kuenstler",
               "interpret", "artiste", "artista", "interprete"),
    # one column naming each song as "Artist - Title" (split at the first spaced dash)
    "artist_title": ("artist title", "artist song", "artist track", "artist and title",
                     "artist song title", "artist track title", "artist track name",
                     "interpret titel", "kunstler titel", "artiste titre", "artista titulo",
                     "artista titolo"),
    "file": ("file", "file name", "filename", "path", "file path", "filepath", "location",
             "datei", "dateiname", "fichier", "nom du fichier", "archivo", "percorso"),
    "bpm": ("bpm", "tempo", "tempo bpm", "beats per minute"),
    "key": ("key", "musical key", "key name", "key signature", "initial key", "initialkey",
            "key text", "open key", "key open key", "key result", "tonart", "tonalite",
            "tonalidad", "tonalita"),
    "mode": ("mode",),
    "camelot": ("camelot", "camelot key", "key camelot"),
    "energy": ("energy", "energy result", "energy level", "energie", "energia"),
    "danceability": ("dance", "danceability"),
    "valence": ("happy", "valence", "happiness", "mood"),
    "acousticness": ("acoustic", "acousticness"),
    "loudness_lufs": ("loud db", "loud", "loudness", "loudness db", "loudness lufs",
                      "loudness_lufs", "lufs", "lautheit", "lautstarke", "loudness dbfs",
                      "loud dbfs", "integrated loudness", "integrated lufs",
                      "lufs integrated", "loudness integrated"),
}
_ROLE_OF = {alias: role for role, aliases in _HEADER_ROLES.items() for alias in aliases}
#: Roles that name a song rather than hold a reference value.
_NAMING_ROLES = frozenset({"title", "artist", "artist_title", "file"})
#: Unit words a header may end with ("Lautheit (dB)", "Energie (%)" is "energie" already),
#: and the roles a name followed by them can have.
_UNIT_ROLES = {
    "db": {"loudness_lufs"}, "dbfs": {"loudness_lufs"}, "lufs": {"loudness_lufs"},
    "bpm": {"bpm"},
    **{unit: {"energy", "danceability", "valence", "acousticness"}
       for unit in ("percent", "pct", "prozent", "pourcentage", "porcentaje", "percentuale")},
}
_SPACED_DASH = re.compile(r"\s+[-\u2013\u2014]\s+")

#: Share of a column's non-empty cells that must be numbers for it to be kept as an extra
#: numeric column.
EXTRA_MIN_SHARE = 0.8
_EXTRA_MIN_VALUES = 4
# Header words of numeric columns that describe the row, not the song's sound.
_NOT_EXTRA = re.compile(r"(^|_)(id|isrc|upc|ean|date|year|released?|rank|position|index|"
                        r"no|number|num|row|spotify|uri|url)(_|$)")

_MISSING = {"", "nan", "none", "n/a", "na", "null", "-", "--", "?", "unknown", "#n/a"}
# What a spreadsheet shows for a formula that failed (#DIV/0!, #VALUE!, #REF!, #NAME?...).
_FORMULA_ERROR = re.compile(r"#[A-Z][A-Z0-9/]*[!?]|#DIV/0!?|#NULL!?", re.I)

# Labels of the rows a spreadsheet adds under the songs (normalized as headers are), the
# symbols some write instead, and the words that may follow a label ("Total (12 songs)",
# "Average BPM").
_SUMMARY_LABELS = {
    "total", "totals", "grand total", "subtotal", "sub total", "sum", "sums", "average",
    "averages", "avg", "mean", "median", "overall",
    "summe", "summen", "gesamt", "gesamtsumme", "insgesamt", "zwischensumme", "durchschnitt",
    "mittelwert", "mittel", "schnitt",
    "somme", "sous total", "moyenne", "total general",
    "suma", "promedio", "media", "totale", "somma", "subtotale", "media totale",
}
_SUMMARY_SYMBOLS = ("Ø", "ø", "⌀", "Σ", "∑")
_SUMMARY_TAIL = {"all", "alle", "songs", "song", "tracks", "track", "titles", "title",
                 "titel", "lieder", "stucke", "rows", "of", "der", "des", "de", "value",
                 "values", "werte", *(a for a in _ROLE_OF if " " not in a)}
_SUMMARY_STARTS = tuple({label[:4] for label in _SUMMARY_LABELS})
_SUMMARY_MIN_SONGS = 2  # songs above a row before its numbers can be their sum or mean


@dataclass
class ReferenceRow:
    """One usable row of a reference sheet.

    Attributes
    ----------
    row : int
        Line number in the sheet as a spreadsheet shows it (the header is row 1).
    title, artist : str
        As written in the sheet.
    values : dict of str to float
        Numeric reference values by analyzer descriptor name (``"bpm"`` in BPM, 0-1
        descriptors on 0-1, ``"loudness_lufs"`` in the sheet's dB); missing cells absent.
    key : Key or None
        Reference key, ``None`` when the sheet has none for this row.
    """

    row: int
    title: str
    artist: str = ""
    values: dict = field(default_factory=dict)
    key: Key | None = None


@dataclass
class BadRow:
    """A cell that could not be used: the whole row left out (in ``bad_rows``), or just
    this cell (in ``bad_cells``)."""

    row: int
    column: str
    value: str
    reason: str

    def __str__(self) -> str:
        return f"row {self.row}, column {self.column!r}: {self.reason} ({self.value!r})"


@dataclass
class ReferenceSheet:
    """A parsed reference sheet.

    Attributes
    ----------
    name : str
        File name (no folder), as recorded in exports.
    sha256 : str
        SHA-256 of the file's bytes (hex).
    encoding, delimiter : str
        What was detected (``"utf-8"``, ``","``...); an Excel workbook's are
        :data:`~core.calibration.workbook.XLSX` and ``""``.  Neither is shown in the
        window, the command line's reports or the exports.
    columns : dict of str to str
        Role (``"title"``, ``"bpm"``, ``"key"``...) to the sheet's header.
    scales : dict of str to float
        Factor applied to each numeric descriptor column (0.01 for percentages, else 1).
        Extra columns are not scaled.
    rows : list of ReferenceRow
        The rows that imported.
    bad_rows : list of BadRow
        Rows left out, each naming the row and column.
    path : str
        Where the sheet was read from (empty for text parsed in memory).
    warnings : list of str
        Doubts worth showing the user (a scale that could be read either way, tempi out of
        the usual range, cells left out); the import went on with the stated choice.
    bad_cells : list of BadRow
        Cells left out of the fit (unreadable or out of :data:`CELL_RANGES`) while the
        rest of their row was kept.
    extra : list of str
        Names of the extra numeric columns, in sheet order (``columns`` maps each to its
        header).
    summary_rows : list of int
        Rows left out as the total, sum or average of the rows above (``Total``, ``Summe``,
        ``Average`` under the songs), by row number; named in the warnings.
    value_scales : dict of str to (float, float, str)
        Descriptor columns the sheet writes on a scale of their own rather than the
        analyzer's (a Mixed In Key export's energy level 1-10): lowest and highest value
        and the scale's name.  Their values are kept as written; a correction fitted
        against them predicts the sheet's scale.
    """

    name: str
    sha256: str
    encoding: str
    delimiter: str
    columns: dict
    scales: dict
    rows: list
    bad_rows: list
    path: str = ""
    warnings: list = field(default_factory=list)
    bad_cells: list = field(default_factory=list)
    extra: list = field(default_factory=list)
    summary_rows: list = field(default_factory=list)
    value_scales: dict = field(default_factory=dict)

    def column_label(self, column: str) -> str:
        """``column`` as reports name it, with the sheet's own scale where it has one
        (``"energy (Mixed In Key 1-10)"``)."""
        scale = self.value_scales.get(column)
        return f"{column} ({scale[2]})" if scale else column

    @property
    def descriptors(self) -> list[str]:
        """Numeric descriptors present in the sheet, plus ``"key"`` when it has keys."""
        out = [d for d in REFERENCE_DESCRIPTORS if d in self.columns]
        if "key" in self.columns or "camelot" in self.columns:
            out.append("key")
        return out

    @property
    def numeric_columns(self) -> list[str]:
        """Every numeric column: the analyzer descriptors present, then the extra ones."""
        return [d for d in REFERENCE_DESCRIPTORS if d in self.columns] + list(self.extra)


def normalize_header(name: str) -> str:
    """Header spelled for lookup: accents folded, lower case, punctuation runs become one
    space."""
    plain = "".join(c for c in unicodedata.normalize("NFKD", str(name))
                    if not unicodedata.combining(c))
    return re.sub(r"[^0-9a-z]+", " ", plain.lower()).strip()


def file_sha256(path: str | os.PathLike) -> str:
    """SHA-256 (hex) of a file's bytes."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _decode(data: bytes, name: str, *, whole: bool = True) -> tuple[str, str]:
    """The text of a sheet's bytes and the encoding it was read with; ``whole=False`` for the
    first bytes of a file, whose last character may be cut (it is left out)."""
    def text(codec: str, errors: str = "strict") -> str:
        return codecs.getincrementaldecoder(codec)(errors).decode(data, final=whole)

    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
        return text("utf-8", "replace"), "utf-8-sig"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return text("utf-16"), "utf-16"
        except UnicodeDecodeError:
            raise ReferenceSheetError(
                name, "the file starts with a UTF-16 byte-order mark but the rest is not "
                      "UTF-16 text: it is damaged, or not a CSV sheet") from None
    if (unmarked := _utf16_without_mark(data)) is not None:
        try:
            return text(unmarked), unmarked
        except UnicodeDecodeError:
            pass  # (NUL bytes in other text: the parse names them)
    try:
        return text("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return text("cp1252"), "cp1252"
    except UnicodeDecodeError:
        return text("latin-1"), "latin-1"


#: Bytes of a sheet looked at for UTF-16 written without a byte-order mark.
_UTF16_PROBE = 4096
#: Share of a sheet's first characters that are ASCII (a header's names, digits, tabs) in
#: UTF-16 without a mark: a NUL byte in each pair, on the same side.
_UTF16_ASCII_SHARE = 0.6
#: Share of them with a NUL byte on the other side at most (a character such as U+4E00).
_UTF16_OTHER_SHARE = 0.1
#: Control characters that no sheet's text holds (NUL among them).
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def _utf16_without_mark(data: bytes) -> str | None:
    """``"utf-16-le"`` or ``"utf-16-be"`` for text written so without a byte-order mark (a
    tool that leaves Excel's "Unicode Text" mark out, or an editor that dropped it), told
    by its NUL bytes: one in most pairs of the first bytes, on the same side, and no
    control character but tabs and line ends among the characters they make; None
    otherwise (text of one byte a character holds no NUL; audio or other binary data
    with such a pattern holds control characters)."""
    head = data[:_UTF16_PROBE]
    head = head[:len(head) // 2 * 2]
    if b"\x00" not in head:
        return None
    pairs = len(head) // 2
    low, high = head[0::2].count(0), head[1::2].count(0)
    if high >= _UTF16_ASCII_SHARE * pairs and low <= _UTF16_OTHER_SHARE * pairs:
        codec = "utf-16-le"
    elif low >= _UTF16_ASCII_SHARE * pairs and high <= _UTF16_OTHER_SHARE * pairs:
        codec = "utf-16-be"
    else:
        return None
    chars = head.decode(codec, errors="replace")
    return None if _CONTROL.search(chars) else codec


def _detect_delimiter(text: str) -> str:
    """The delimiter of a sheet's text, one of :data:`_DELIMITERS`, told from the lines
    that hold its table.

    The table starts at its header (:func:`_table_header`), which only the right delimiter
    splits into a title (or file) column and one more known column; a title line or notes
    above it (``My playlist export 2026-12-01``, ``Exported by X, Y and Z``), whose commas
    or semicolons are no delimiter, count for nothing.  When several delimiters find a
    header (a title line ``Title, Artist, BPM of my set`` above a tab-delimited table),
    the one under whose header most of the first lines split into as many cells is taken,
    and on a tie the one sniffed (:func:`_sniffed`) in the lines from the first of those
    headers on; when none finds one, all the first lines are sniffed.
    """
    # The first 64 KB hold the first 20 lines of any sheet worth sniffing; splitting the
    # whole text would copy a large sheet once more.
    lines = [ln for ln in text[:_SNIFF_CHARS].splitlines() if ln.strip()][:20]
    if not lines:
        return ","
    found = {}  # delimiter -> (rows as wide as the header it splits, the header's line)
    for d in _DELIMITERS:
        try:
            records = [next(csv.reader([ln], delimiter=d), []) for ln in lines]
        except csv.Error:  # (a cell past the size limit; the whole reading names it)
            continue
        at = _table_header(records, 0)
        if at is not None:
            width = len(records[at])
            found[d] = (sum(len(r) == width for r in records[at + 1:]), at)
    if not found:
        return _sniffed(lines, _DELIMITERS)
    most = max(rows for rows, _at in found.values())
    tied = {d: at for d, (rows, at) in found.items() if rows == most}
    if len(tied) == 1:
        return next(iter(tied))
    return _sniffed(lines[min(tied.values()):], "".join(tied))


def _sniffed(lines: list[str], delimiters: str) -> str:
    """The one of ``delimiters`` that :class:`csv.Sniffer` finds in ``lines``; else the
    one the first line holds most of, else ``,``."""
    try:
        return csv.Sniffer().sniff("\n".join(lines), delimiters=delimiters).delimiter
    except csv.Error:
        counts = {d: lines[0].count(d) for d in delimiters}
        best = max(counts, key=counts.get)
        return best if counts[best] else ","


_XML_START = re.compile(r"<(\?xml|!DOCTYPE|[A-Za-z_][\w.:-]*[\s/>])", re.I)


def _other_format(text: str) -> str:
    """``"XML"``, ``"HTML"`` or ``"JSON"`` when the text is one (a DJ program's collection,
    such as Rekordbox's XML or Traktor's NML, a playlist printed as a web page, an API's
    JSON), else empty."""
    head = text.lstrip()
    if _XML_START.match(head[:200]) and text.rstrip().endswith(">"):
        return "HTML" if re.match(r"<(!doctype\s+)?html", head[:200], re.I) else "XML"
    if head[:1] in ("{", "["):
        try:
            parsed = json.loads(text)
        except (ValueError, RecursionError):
            return ""
        if isinstance(parsed, dict | list):
            return "JSON"
    return ""


class _UnclearNumber(ValueError):
    """A cell that reads as a number in two ways; its message says which."""


def _number(cell: str) -> float | None:
    """A numeric cell as float; None when empty; raises ValueError when unreadable.

    ``1,5`` is a decimal comma and ``12,345,678`` has thousands separators; ``1,234`` could
    be either and is refused (:class:`_UnclearNumber`), as is any other unreadable cell.
    """
    s = unneutralize(cell.strip()).replace("\u2212", "-")
    if s.lower() in _MISSING:
        return None
    percent = s.endswith("%")
    if percent:
        s = s[:-1].strip()
    # a unit first, so that "128,5 BPM" has its decimal comma read as "128,5" does
    s = re.sub(r"(?i)\s*(dbfs|db|lufs|bpm)$", "", s)
    if re.fullmatch(r"[+-]?[1-9]\d{0,2},\d{3}", s):
        raise _UnclearNumber("a thousands separator or a decimal comma? (write 1234 or 1.234)")
    if re.fullmatch(r"[+-]?[1-9]\d{0,2}(,\d{3}){2,}", s):  # thousands separators
        s = s.replace(",", "")
    if re.fullmatch(r"[+-]?\d+,\d+", s):  # decimal comma
        s = s.replace(",", ".")
    value = float(s)
    if not math.isfinite(value):
        raise ValueError("not a finite number")
    return value


def _text(cell) -> str:
    return unneutralize((cell or "").strip())


def parse_reference_text(text: str, *, name: str = "<text>", sha256: str = "",
                         encoding: str = "utf-8", path: str = "") -> ReferenceSheet:
    """Parse the text of a reference sheet.

    Parameters
    ----------
    text : str
        The whole CSV.
    name : str, optional
        Name used in messages and recorded in exports.
    sha256, encoding, path : str, optional
        Provenance recorded in the result.

    Returns
    -------
    ReferenceSheet

    Raises
    ------
    ReferenceSheetError
        When the sheet is empty, has no title column, has no reference value column, or
        when no row at all could be read.
    """
    if text.startswith("\ufeff"):
        text = text[1:]
    if "\x00" in text:
        raise ReferenceSheetError(name, "the file holds NUL bytes: it is not a text CSV sheet "
                                        "(a spreadsheet file, or damaged)")
    kind = _other_format(text)
    if kind:
        raise ReferenceSheetError(name, f"the file is {kind}, not a CSV sheet (SongCal reads "
                                        "comma-, semicolon- or tab-separated text): export the "
                                        "playlist or collection as CSV or as text")
    delimiter = _detect_delimiter(text)
    # Lines cut from the text itself: io.StringIO would hold a second copy at four bytes a
    # character (200 MB for a 50 MB sheet).
    reader = csv.reader(text_lines(text), delimiter=delimiter)
    records, last_start, read = [], 1, 0  # last_start: the line the last record began on
    try:
        for record in reader:
            last_start, read = read + 1, reader.line_num
            records.append(record)
    except csv.Error as err:
        limit_kb = csv.field_size_limit() // 1024
        what = (f"a cell is longer than {limit_kb} KB (an unclosed quote?)"
                if "field larger" in str(err) else f"the CSV cannot be read ({err})")
        raise ReferenceSheetError(name, f"line {reader.line_num}: {what}") from None
    if records and (problem := open_quote_problem(text, last_start, reader.line_num,
                                                  delimiter)):
        raise ReferenceSheetError(name, problem)
    return _sheet_of_records(records, name=name, sha256=sha256, encoding=encoding,
                             delimiter=delimiter, path=path)


def _sheet_of_records(records: list[list[str]], *, name: str, sha256: str, encoding: str,
                      delimiter: str, path: str) -> ReferenceSheet:
    """The reference sheet of a table's rows of text (a CSV's records, or a workbook's
    sheet read as text); see :func:`parse_reference_text`."""
    first = _first_filled(records)
    if first is None:
        raise ReferenceSheetError(name, "the sheet is empty")
    at = _header_row(records, first)
    header = [h.strip() for h in records[at]]
    columns = _roles(header)
    if "title" not in columns and "file" not in columns:
        raise ReferenceSheetError(
            name, f"row {at + 1}: no title column (expected one of Song, Title, Track Name, "
            "or a file name column: File name, Path, Location); "
            f"header is {_header_text(header)}")
    copies, copy_warnings = _named_twice(header, records[at + 1:], columns)
    numeric = [d for d in REFERENCE_DESCRIPTORS if d in columns]
    extra = _extra_columns(header, records[at + 1:], columns, copies)
    if not numeric and not extra and "key" not in columns and "camelot" not in columns:
        raise ReferenceSheetError(
            name, f"row {at + 1}: no reference value column (BPM/Tempo, Key, Camelot, Energy, Dance, "
            f"Happy, Acoustic, Loud); header is {_header_text(header)}")

    def cell(record, role):
        return _cell_at(record, columns.get(role))

    # a Mixed In Key export's energy is its 1-10 level, checked against that range
    mixed_in_key = _mixed_in_key(header, records[at + 1:], columns, extra, first_row=at + 2)
    value_scales = {"energy": MIXED_IN_KEY_ENERGY} if mixed_in_key else {}
    ranges = {**CELL_RANGES, **{d: s[:2] for d, s in value_scales.items()}}
    rows: list[ReferenceRow] = []
    bad: list[BadRow] = []
    bad_cells: list[BadRow] = []
    raw_values: list[dict] = []
    # (index in rows, name) of the 0-1 descriptor cells written with a percent sign: a
    # percentage whatever the rest of the column holds
    percent_cells: set[tuple[int, str]] = set()
    key_cells: list[tuple] = []  # (index in rows, row, key cell, read) of the key column
    summaries = _Summaries(columns, {**{d: columns[d] for d in numeric}, **extra})
    header_key = [normalize_header(h) for h in header]
    repeats: list[int] = []  # rows that repeat the header
    for line_no, record in enumerate(records[at + 1:], start=at + 2):
        if not any(c.strip() for c in record):
            continue
        if _repeats(record, header, header_key):
            repeats.append(line_no)
            continue
        title, artist = _text(cell(record, "title")), _text(cell(record, "artist"))
        if "artist_title" in columns and columns["artist_title"] == columns.get("title"):
            named, title = split_artist_title(title)
            artist = artist or named
        if summaries.take(record, line_no,
                          title if "title" in columns else _text(cell(record, "file"))):
            continue
        if "title" not in columns:  # songs named by file
            title, named = identity_from_name(_text(cell(record, "file")).replace("\\", "/"))
            artist = artist or named
        if not title:
            what = "title" if "title" in columns else "file name"
            bad.append(BadRow(line_no, header[columns.get("title", columns.get("file"))], "",
                              f"empty {what}"))
            continue
        values, summed = {}, {}
        for d in numeric:
            raw = cell(record, d)
            try:
                v = _number(raw)
            except _UnclearNumber as err:
                bad_cells.append(BadRow(line_no, header[columns[d]], raw, str(err)))
                continue
            except ValueError:
                bad_cells.append(BadRow(line_no, header[columns[d]], raw,
                                        "a spreadsheet formula error"
                                        if _FORMULA_ERROR.fullmatch(raw.strip())
                                        else "not a number"))
                continue
            if v is None:
                continue
            if CELL_RANGES[d][0] <= v <= CELL_RANGES[d][1]:
                summed[d] = v  # a total row sums a level out of 1-10 too
            lo, hi = ranges[d]
            if not lo <= v <= hi:
                unit = (f", {value_scales[d][2]}" if d in value_scales
                        else _CELL_UNITS.get(d, ""))
                bad_cells.append(BadRow(line_no, header[columns[d]], raw,
                                        f"out of range ({lo:g} to {hi:g}{unit})"))
                continue
            values[d] = v
            if (d in UNIT_DESCRIPTORS and d not in value_scales
                    and unneutralize(raw.strip()).endswith("%")):
                percent_cells.add((len(rows), d))
        for d, i in extra.items():
            raw = _cell_at(record, i)
            try:
                v = _number(raw)
            except ValueError:
                continue  # an extra column's odd cell is missing, not a bad cell
            if v is not None:
                values[d] = v
        key, problem = _row_key(record, line_no, columns, header, cell)
        if problem is not None:
            bad_cells.append(problem)
        raw_key = cell(record, "key").strip()
        if raw_key and raw_key.lower() not in _MISSING:
            key_cells.append((len(rows), line_no, raw_key, problem is None and key is not None))
        rows.append(ReferenceRow(line_no, title, artist, {}, key))
        raw_values.append(values)
        summaries.add({**values, **summed})
    bad_cells.extend(_column_spellings(key_cells, rows, header[columns["key"]])
                     if key_cells else [])
    bad_cells.sort(key=lambda b: b.row)
    warnings = copy_warnings + summaries.warnings()
    if mixed_in_key and mixed_in_key.warning(header[columns["energy"]]):
        warnings.append(mixed_in_key.warning(header[columns["energy"]]))
    if repeats:
        rows_text = ", ".join(str(n) for n in repeats[:_CELLS_IN_WARNINGS])
        more = f" and {len(repeats) - _CELLS_IN_WARNINGS} more" if len(
            repeats) > _CELLS_IN_WARNINGS else ""
        warnings.append(f"row{'s' if len(repeats) > 1 else ''} {rows_text}{more} "
                        f"repeat{'' if len(repeats) > 1 else 's'} the header (two sheets "
                        "pasted together?): left out")
    def plain(d):  # the column's values but those written as percentages
        return [v[d] for i, v in enumerate(raw_values) if d in v and (i, d) not in percent_cells]

    for d in [d for d in numeric if d in UNIT_DESCRIPTORS and d not in value_scales
              and levels_1_to_10(plain(d))]:
        warnings.append(f"column {header[columns[d]]!r} holds only whole numbers 1-10: a 1-10 "
                        "level (as Mixed In Key writes energy) or percentages? Left out of the "
                        "fit; write it on 0-1 or as percentages with decimals to use it")
        numeric.remove(d)
        del columns[d]
        for v in raw_values:
            v.pop(d, None)
    if not any(v for v in raw_values) and not any(r.key for r in rows):
        problems = bad_cells or bad
        detail = (f"; first problem: {problems[0]}" if problems
                  else f"; {warnings[0]}" if warnings else "")
        if not rows and not bad:
            raise ReferenceSheetError(name, f"the sheet has a header (row {at + 1}: "
                                            f"{_header_text(header)}) but no rows under it")
        raise ReferenceSheetError(name, ("no row could be read" if not rows else
                                         "no row holds a usable reference value") + detail)

    scales = {}
    for d in numeric:
        col = plain(d)
        scale = 1.0
        if d in UNIT_DESCRIPTORS and d not in value_scales and (
                max(abs(x) for x in col) > 1.0 + 1e-9 if col else any(
                (i, d) in percent_cells for i in range(len(raw_values)))):
            scale = 0.01
        scales[d] = scale
    for d in numeric:
        col = [v[d] for v in raw_values if d in v]
        if (d in UNIT_DESCRIPTORS and d not in value_scales and col
                and set(col) <= {0.0, 1.0} and len(col) > 1):
            warnings.append(f"column {header[columns[d]]!r} holds only 0 and 1: read as the "
                            "0-1 scale (it could also be percentages)")
        if d == "bpm" and col and (min(col) < 30 or max(col) > 400):
            warnings.append(f"column {header[columns[d]]!r} has tempi outside 30-400 BPM "
                            f"({min(col):g}-{max(col):g})")
        if len(col) >= _SAME_VALUE_ROWS and len(set(col)) == 1:
            warnings.append(f"column {header[columns[d]]!r} gives every row the same value "
                            f"({col[0]:g}): a placeholder, or a default of the tool that "
                            "wrote it? It cannot tell a good value from a bad one")
    keys = [r.key for r in rows if r.key is not None]
    if len(keys) >= _SAME_VALUE_ROWS and len(set(keys)) == 1:
        warnings.append(f"every row has the same key ({keys[0].name}): a placeholder, or a "
                        "default of the tool that wrote it? It cannot tell a good key from a "
                        "bad one")
    if bad_cells:
        shown = "; ".join(str(b) for b in bad_cells[:_CELLS_IN_WARNINGS])
        more = len(bad_cells) - _CELLS_IN_WARNINGS
        cells = f"{len(bad_cells)} cell{'s' if len(bad_cells) != 1 else ''}"
        warnings.append(f"{cells} left out of the fit, their rows kept: "
                        f"{shown}" + (f"; and {more} more" if more > 0 else ""))
    for i, (row, vals) in enumerate(zip(rows, raw_values, strict=True)):
        row.values = {d: v * (0.01 if (i, d) in percent_cells else scales.get(d, 1.0))
                      for d, v in vals.items()}
    named = {role: header[i] for role, i in columns.items()}
    named.update({d: header[i] for d, i in extra.items()})
    return ReferenceSheet(name=name, sha256=sha256, encoding=encoding, delimiter=delimiter,
                          columns=named, scales=scales, rows=rows, bad_rows=bad, path=path,
                          warnings=warnings, bad_cells=bad_cells, extra=list(extra),
                          summary_rows=[n for n, _ in summaries.rows],
                          value_scales={d: v for d, v in value_scales.items() if d in numeric})


def _repeats(record: list[str], header: list[str], header_key: list[str]) -> bool:
    """Whether ``record`` spells the ``header`` again (``header_key``: its cells
    normalized)."""
    if not header or record[0].strip().lower() != header[0].lower():  # most rows end here
        return False
    cells = [normalize_header(c) for c in record[:len(header_key)]]
    cells += [""] * (len(header_key) - len(cells))
    return cells == header_key and not any(c.strip() for c in record[len(header_key):])


def _summary_label(text: str) -> bool:
    """Whether a cell's text is the label of a total or average row (``Total``, ``Summe:``,
    ``Ø``, ``Total (12 songs)``, ``Average BPM``), not a title that holds such a word."""
    if text.startswith(_SUMMARY_SYMBOLS):
        text = "average " + text[1:]
    elif not text[:4].lower().startswith(_SUMMARY_STARTS):  # most titles end here
        return False
    words = normalize_header(text).split()
    for n in (2, 1):
        if len(words) >= n and " ".join(words[:n]) in _SUMMARY_LABELS:
            return all(w.isdigit() or w in _SUMMARY_TAIL for w in words[n:])
    return False


def _close(value: float, raw: str, target: float) -> bool:
    """Whether ``value`` (read from ``raw``) is ``target`` as the cell rounds it."""
    decimals = re.search(r"[.,](\d+)\D*$", raw.strip())
    places = len(decimals.group(1)) if decimals else 0
    return abs(value - target) <= 0.5 * 10.0 ** -places + 1e-9 * abs(target)


def _cell_at(record: list[str], i: int | None) -> str:
    """The cell of ``record`` in column ``i``: empty when the column is not there (None) or
    the row is shorter."""
    return record[i] if i is not None and i < len(record) else ""


class _Summaries:
    """Finds the rows a spreadsheet adds under the songs: a total or average label (in the
    title cell, or in another cell when the title is empty) and, under a title, no artist,
    no key and numbers that are each the sum or the mean of their column over the songs
    above (all of them, or those since the last such row: subtotals)."""

    def __init__(self, columns, numeric):
        self.columns = columns
        self.numeric = numeric  # value name -> column index
        # Value name -> [sum, count] over the songs above, and what it was at the last
        # summary row (the songs since then are the difference).
        self.above: dict[str, list] = {}
        self.at_last: dict[str, tuple] = {}
        self.rows: list[tuple[int, str]] = []

    def _cell(self, record, role):
        return _cell_at(record, self.columns.get(role))

    def take(self, record, line_no, name) -> bool:
        """Whether ``record``, titled ``name`` (or named by file), is a summary row (then
        remembered)."""
        if name:
            if not (_summary_label(name) and not self._has(record, "key")
                    and not self._has(record, "camelot") and not self._has(record, "artist")
                    and self._sums(record)):
                return False
            label = name
        else:  # no title: not a song either way
            label = next((_text(c) for c in record if _summary_label(_text(c))), None)
            if label is None:
                return False
        self.rows.append((line_no, label))
        self.at_last = {name: tuple(t) for name, t in self.above.items()}
        return True

    def add(self, values: dict) -> None:
        """Count a song row's values (by name) in the sums."""
        above = self.above
        for name, v in values.items():
            total = above.get(name)
            if total is None:
                above[name] = [v, 1]
            else:
                total[0] += v
                total[1] += 1

    def _has(self, record, role) -> bool:
        text = _text(self._cell(record, role))
        return bool(text) and text.lower() not in _MISSING and not _summary_label(text)

    def _sums(self, record) -> bool:
        """Whether every number of the row is the sum or the mean of its column above (or
        the row has none)."""
        for name, i in self.numeric.items():
            raw = _cell_at(record, i)
            try:
                v = _number(raw)
            except ValueError:
                continue
            total, n = self.above.get(name, (0.0, 0))
            last_total, last_n = self.at_last.get(name, (0.0, 0))
            if v is not None and not any(
                    count >= _SUMMARY_MIN_SONGS
                    and (_close(v, raw, t) or _close(v, raw, t / count))
                    for t, count in ((total, n), (total - last_total, n - last_n))):
                return False
        return True

    def warnings(self) -> list[str]:
        if not self.rows:
            return []
        named = ", ".join(f"{n} ({label!r})" for n, label in self.rows)
        if len(self.rows) == 1:
            return [f"row {named}: a total or average of the rows above, not a song: "
                    "left out"]
        return [f"rows {named}: totals or averages of the rows above, not songs: left out"]


def _mixed_in_key(header, records, columns, extra, *, first_row):
    """The :class:`core.calibration.mixed_in_key.Recognition` of a sheet (``records``: the
    rows under its ``header``, the first of them row ``first_row``), or None when it is not
    a Mixed In Key export.  Rows that repeat the header and total or average rows are left
    out of its shape, as they are left out of the songs."""
    names = [normalize_header(h) for h in header]
    by_headers = recognize(names, columns, keys=(), energies=(), extra=extra)
    if by_headers is not None or not may_be_export(names, columns, extra):
        return by_headers
    # a total or average row is told by its energy alone here (its other numbers are not
    # read twice); the songs' loop checks them all
    at, energy = columns.get("key", columns.get("camelot")), columns["energy"]
    summaries = _Summaries(columns, {"energy": energy})
    lo, hi = CELL_RANGES["energy"]
    energies, keys = [], []
    for line_no, record in enumerate(records, start=first_row):
        if not any(c.strip() for c in record) or _repeats(record, header, names):
            continue
        name = _text(_cell_at(record, columns.get("title", columns.get("file"))))
        if summaries.take(record, line_no, name) or not name:
            continue
        try:
            v = _number(_cell_at(record, energy))
        except ValueError:
            v = None
        if v is not None:
            energies.append(v)  # out of any range too: a cell that is not a level
            summaries.add({"energy": v} if lo <= v <= hi else {})  # as the songs' loop sums
        key = _text(_cell_at(record, at)) if at is not None else ""
        if key and key.lower() not in _MISSING:
            keys.append(key)
    return recognize(names, columns, keys=keys, energies=energies, extra=extra)


def _header_text(header: list[str], limit: int = 200) -> str:
    """The header for a message, cut to ``limit`` characters (the first line of a binary
    file can be megabytes long)."""
    text = ", ".join(header)
    return text if len(text) <= limit else f"{text[:limit]}... ({len(text)} characters)"


def _role_of(cell: str) -> str | None:
    """The role a header cell names: by its whole name, else by its name without a unit
    word that fits the role ("Lautheit (dB)", "Energy percent"), else None."""
    name = normalize_header(cell)
    role = _ROLE_OF.get(name)
    if role is None and " " in name:
        rest, unit = name.rsplit(" ", 1)
        role = _ROLE_OF.get(rest)
        if role not in _UNIT_ROLES.get(unit, ()):
            role = None
    return role


def _roles(header: list[str]) -> dict[str, int]:
    """Role -> index of the first header cell that names it.  A sheet whose songs are named
    by one "Artist - Title" column and no title column reads that column as its titles
    (each cell split into artist and title as the rows are read)."""
    columns: dict[str, int] = {}
    for i, h in enumerate(header):
        role = _role_of(h)
        if role and role not in columns:
            columns[role] = i
    if "artist_title" in columns and "title" not in columns:
        columns["title"] = columns["artist_title"]
    return columns


def split_artist_title(text: str) -> tuple[str, str]:
    """``(artist, title)`` of an "Artist - Title" cell, split at its first dash with spaces
    around it ("AC/DC - Back In Black", "Jay-Z - 99 Problems"); ``("", text)`` without one."""
    parts = _SPACED_DASH.split(text.strip(), maxsplit=1)
    if len(parts) == 2 and parts[0].strip() and parts[1].strip():
        return parts[0].strip(), parts[1].strip()
    return "", text.strip()


def _first_filled(records: list[list[str]]) -> int | None:
    """Index of the first row with a cell that is not blank, or None."""
    return next((i for i, r in enumerate(records) if any(c.strip() for c in r)), None)


def _table_header(records: list[list[str]], first: int) -> int | None:
    """Index of the first of the sheet's first rows (from ``first``) that names a title (or
    file) column and one more known column, or None when none does.  A row that names no
    reference value column gives way to a later one that does: a title line above the table
    ("Title, Artist, BPM of my set") is not the table's header."""
    found = None
    for i in range(first, min(len(records), first + _HEADER_SEARCH_ROWS)):
        roles = _roles([h.strip() for h in records[i]])
        if ("title" in roles or "file" in roles) and len(roles) >= 2:
            if set(roles) - _NAMING_ROLES:
                return i
            found = i if found is None else found
    return found


def _header_row(records: list[list[str]], first: int) -> int:
    """Index of the header: :func:`_table_header` (a title line or notes above the table
    are skipped); else the first non-empty row."""
    found = _table_header(records, first)
    return first if found is None else found


def _holds_values(records, i: int) -> bool:
    """Whether column ``i`` has a cell that is not empty (nor a word for no value)."""
    return any(i < len(r) and r[i].strip() and r[i].strip().lower() not in _MISSING
               for r in records)


def _named_twice(header, records, columns) -> tuple[set[int], list[str]]:
    """For each role named by more than one header cell, keep in ``columns`` (changed in
    place) the first of them that holds values; returns the indices of the others, and a
    warning for each role where another one holds values too (what it holds is not read)."""
    named: dict[str, list[int]] = {}
    for i, h in enumerate(header):
        role = _role_of(h)
        if role:
            named.setdefault(role, []).append(i)
    copies: set[int] = set()
    warnings = []
    for role, idx in named.items():
        if len(idx) < 2:
            continue
        filled = [i for i in idx if _holds_values(records, i)]
        used = filled[0] if filled else idx[0]
        columns[role] = used
        copies.update(i for i in idx if i != used)
        if len(filled) > 1 or (filled and used != idx[0]):
            listed = ", ".join(f"{i + 1} ({header[i]!r})" for i in idx)
            warnings.append(f"columns {listed} all read as {role}: column {used + 1} is used "
                            "(the first that holds values), the others left out")
    return copies, warnings


def _extra_columns(header, records, columns, copies=frozenset()) -> dict[str, int]:
    """Name -> index of the columns without a role whose cells are numbers (``copies``:
    columns of a role another column gives, left out)."""
    taken = set(columns.values()) | set(copies)
    out: dict[str, int] = {}
    for i, h in enumerate(header):
        name = normalize_header(h).replace(" ", "_")
        if (i in taken or not name or name in out or name in _HEADER_ROLES
                or _NOT_EXTRA.search(name)):
            continue
        filled = [r[i] for r in records if i < len(r) and r[i].strip()
                  and r[i].strip().lower() not in _MISSING]
        good = 0
        for c in filled:
            try:
                good += _number(c) is not None
            except ValueError:
                pass
        if good >= _EXTRA_MIN_VALUES and good >= EXTRA_MIN_SHARE * len(filled):
            out[name] = i
    return out


_NUMBER = re.compile(r"[+-]?\d+(?:[.,]\d+)?")


def _row_key(record, line_no, columns, header, cell):
    """(key, problem) for one row: the key column (with mode), else the Camelot column; a
    key and a Camelot code that name different keys are both left out, and a Camelot cell
    that is not a code is listed even when the key column gives the key."""
    raw = cell(record, "key").strip()
    cam = cell(record, "camelot").strip()
    coded = cam_problem = None
    if cam and cam.lower() not in _MISSING:
        if _NUMBER.fullmatch(cam):  # read_key would take it for a pitch class
            reason = "not a Camelot code (a number without A or B)"
        elif _FORMULA_ERROR.fullmatch(cam):
            reason = "a spreadsheet formula error"
        else:
            coded, reason = read_key(cam)  # a Camelot code first, as any key cell
        if coded is None:
            cam_problem = BadRow(line_no, header[columns["camelot"]], cam,
                                 reason if reason not in ("", "not a key")
                                 else "not a Camelot code")
    if not raw or raw.lower() in _MISSING:
        return coded, cam_problem
    key, problem = _key_cell(raw, cell(record, "mode").strip() or None, line_no, columns,
                             header)
    if key is None and problem is None:  # -1: no key detected, as an empty cell
        return coded, cam_problem
    if key is not None and coded is not None and key != coded:
        return None, BadRow(line_no, header[columns["key"]], raw,
                            f"{key.name} here, {coded.name} in column "
                            f"{header[columns['camelot']]!r} ({cam}): which is right?")
    return key, problem or cam_problem


def _column_spellings(key_cells, rows, column) -> list[BadRow]:
    """Key cells a look at their whole column finds ambiguous, each left out (its row's key
    set to None) and returned as a bad cell.

    A bare B where the column writes German names (``H-Moll``) is B flat to a German reader,
    B to an English one.  A lone capital M where the column holds no small letter at all and
    writes other keys without a mode (``AM``, ``C``, ``F#M``) is major in chord symbols, or
    the m of a minor key in capitals."""
    traits = {raw: spelling_traits(raw) for raw in {c[2] for c in key_cells}}
    found = frozenset().union(*traits.values())
    capitals = "capital_m" in found and "no_mode" in found and "lower" not in found
    if not capitals and not {"german", "bare_b"} <= found:
        return []

    def first(trait):  # (row, cell) of the first cell with the trait, for the message
        return next(((n, raw) for _, n, raw, _ in key_cells if trait in traits[raw]), None)

    german, bare = first("german"), first("no_mode")
    out = []
    for i, line_no, raw, read in key_cells:
        t = traits[raw]
        if not read:
            continue
        if german and "bare_b" in t:
            reason = (f"B in a column that writes German names (row {german[0]}: "
                      f"{german[1]!r}): B flat in German, B in English; write Bb or H")
        elif capitals and "capital_m" in t:
            reason = (f"a capital M in a column without small letters that writes other keys "
                      f"without a mode (row {bare[0]}: {bare[1]!r}): major as in CM, or a "
                      "minor key's m in capitals? write Am or A major")
        else:
            continue
        rows[i].key = None
        out.append(BadRow(line_no, column, raw, reason))
    return out


def _key_cell(raw, mode, line_no, columns, header):
    """(key, problem) for a key cell that is not empty, with its Mode cell (or ``None``).

    A cell that names its own mode (``Am``, ``8B``) must agree with a Mode cell beside it;
    a cell that does not (a pitch class, ``A``) takes the Mode cell's, which must then be a
    mode; only a key name without any Mode cell is major (``A``)."""
    column = header[columns["key"]]
    if mode is not None and mode.lower() in _MISSING:
        mode = None
    key, reason = read_key(raw, mode)
    pitch_class = raw.lstrip("-").replace(".", "", 1).isdigit()
    if pitch_class:  # API sheets
        if key is None and float(raw) == -1:  # -1 means "no key detected"
            return None, None
        if key is None:  # 12, or 7.5 (read_key refuses it as not a key)
            return None, BadRow(line_no, column, raw, PITCH_CLASS_RANGE)
    if key is None:
        if _FORMULA_ERROR.fullmatch(raw):
            reason = "a spreadsheet formula error"
        return None, BadRow(line_no, column, raw, reason or "not a key")
    if mode is None and not pitch_class:  # no Mode cell: the key as read (A is major)
        return key, None
    own = read_key(raw, "major")[0] == read_key(raw, "minor")[0]  # the cell names its mode
    mode_name = parse_mode(mode)
    if own:
        if mode_name is not None and mode_name != key.mode:
            return None, BadRow(line_no, column, raw,
                                f"{key.name} here, {mode_name} in column "
                                f"{header[columns['mode']]!r} ({mode}): which is right?")
        return key, None
    if mode_name is None and pitch_class:
        what = "no Mode column" if "mode" not in columns else "its Mode cell is not 1 or 0"
        return None, BadRow(line_no, column, raw,
                            f"a pitch class needs a mode (1 major, 0 minor); {what}")
    if mode_name is None and mode is not None:
        return None, BadRow(line_no, column, raw,
                            f"its Mode cell ({mode!r}) is not a mode (1 or 0, major or minor)")
    return key, None


def reads_as_sheet(path: str | os.PathLike) -> bool:
    """Whether a text file reads as a reference sheet: one of its first rows is a header
    naming a title (or file) column and one more known column, as :func:`load_reference`
    finds the header.  Only the first 64 KB are read; a text file named with songs (a
    readme, lyrics, or Excel's "Text (Tab delimited)" export of a sheet) is told apart so.

    Parameters
    ----------
    path : str or os.PathLike

    Returns
    -------
    bool
        False too for a file that cannot be read, is not a regular file, or is not text (a
        workbook, audio, NUL bytes).
    """
    try:
        data = read_file_start(path, size=_SNIFF_CHARS, what="reference sheet")
        if spreadsheet_kind(data):
            return False
        text, _encoding = _decode(data, os.path.basename(os.fspath(path)),
                                  whole=len(data) < _SNIFF_CHARS)
    except (InputFileError, ReferenceSheetError):
        return False
    if len(data) >= _SNIFF_CHARS:  # the last line may be cut
        text = text[:max(text.rfind("\n"), text.rfind("\r")) + 1]
    text = text.removeprefix("\ufeff")
    if "\x00" in text or _other_format(text):
        return False
    reader = csv.reader(text_lines(text), delimiter=_detect_delimiter(text))
    try:
        records = list(reader)
    except csv.Error:
        return False
    first = _first_filled(records)
    return first is not None and _table_header(records, first) is not None


def read_reference_bytes(path: str | os.PathLike) -> bytes:
    """The bytes of a reference sheet, checked as :func:`load_reference` checks the file
    (a regular file of bounded size) and read whole, to be parsed later by
    :func:`reference_from_bytes` (``songcal analyze --reference`` reads the sheet before the
    batch and keeps these bytes, a few megabytes, instead of the parsed rows, which take
    about 30 times as much).

    Raises
    ------
    ReferenceSheetError
        When the file cannot be opened, is not a regular file or is too large.
    """
    path = os.fspath(path)
    try:
        return read_regular_file(path, max_bytes=MAX_SHEET_BYTES, what="reference sheet")
    except InputFileError as err:
        raise ReferenceSheetError(path, err.reason) from None


def reference_from_bytes(data: bytes, path: str | os.PathLike) -> ReferenceSheet:
    """The reference sheet whose file (at ``path``) held ``data``; see
    :func:`load_reference`.

    Raises
    ------
    ReferenceSheetError
        When the bytes hold nothing usable.
    """
    path = os.fspath(path)
    name = os.path.basename(path)
    sha256 = hashlib.sha256(data).hexdigest()
    kind = spreadsheet_kind(data)
    if kind == XLSX:
        return _workbook_reference(data, name=name, sha256=sha256, path=path)
    if kind:
        raise ReferenceSheetError(name, f"the file is {kind}, not a sheet SongCal reads: save "
                                        "it as an Excel workbook (.xlsx) or as CSV")
    text, encoding = _decode(data, name)
    del data  # the text is all that is needed now (a caller may still hold the bytes)
    return parse_reference_text(text, name=name, sha256=sha256, encoding=encoding, path=path)


def _workbook_reference(data: bytes, *, name: str, sha256: str, path: str) -> ReferenceSheet:
    """The reference sheet of an Excel workbook: its first worksheet that has a header
    naming a title (or file) column and one more known column, else its first."""
    chosen = None
    try:
        for title, count, rows in workbook_sheets(data):
            records = list(rows)
            if chosen is None:
                chosen = (title, count, records)
            first = _first_filled(records)
            if first is not None and _table_header(records, first) is not None:
                chosen = (title, count, records)
                break
    except WorkbookError as err:
        raise ReferenceSheetError(name, str(err)) from None
    title, count, records = chosen
    if _first_filled(records) is None:
        raise ReferenceSheetError(name, "the workbook's sheets are empty" if count > 1
                                  else "the sheet is empty")
    sheet = _sheet_of_records(records, name=name, sha256=sha256, encoding=XLSX,
                              delimiter="", path=path)
    if count > 1:
        sheet.warnings.insert(0, f"read worksheet {title!r}, one of the workbook's {count}")
    return sheet


def load_reference(path: str | os.PathLike) -> ReferenceSheet:
    """Read a reference sheet from a CSV file.

    Parameters
    ----------
    path : str or os.PathLike
        The CSV file.

    Returns
    -------
    ReferenceSheet
        Rows that imported, the rows left out (each naming its row and column), the
        detected columns, scales, delimiter and encoding, and the file's SHA-256.

    Raises
    ------
    ReferenceSheetError
        When the file cannot be opened, is not a regular file (a FIFO, a device), is larger
        than :data:`core.io.inputs.MAX_SHEET_BYTES`, or holds nothing usable.
    """
    path = os.fspath(path)
    try:
        data = read_regular_file(path, max_bytes=MAX_SHEET_BYTES, what="reference sheet")
    except InputFileError as err:
        raise ReferenceSheetError(path, err.reason) from None
    return reference_from_bytes(data, path)
