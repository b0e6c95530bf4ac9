"""Musical keys: spelling, Camelot and Open Key codes, and parsing.

A key is a tonic pitch class (0 = C ... 11 = B) and a mode (``"major"`` or ``"minor"``).
How two keys relate (fifth, relative, parallel) and the MIREX score are agreement rules:
:mod:`core.calibration.agreement`.

Every notation a sheet may use is read here: English names (``"F# minor"``, ``"Gbm"``,
``"D♭ major"``), German names (``"Fis-Moll"``, ``"Es-Dur"``, ``"H-Moll"``, and without a
mode word ``"Fis"``, ``"H"``), Camelot codes (``"8A"``, Mixed In Key, Rekordbox) and Open
Key codes (``"1m"``, ``"1d"``, Traktor).  A lone ``M`` for the mode is major (``"CM"``), a
lone ``m`` minor (``"Cm"``), after a tonic as in a mode cell.  A cell that could name two
keys is refused with the reason (:func:`read_key`), never read as one of them: two
different spellings (``"C/Am"``, a key and its relative), a lone lower-case letter (``"a"``,
``"fis"``: minor in some notations, major in others) without a mode, and a bare B with
``Dur`` or ``Moll`` (``"B-Dur"`` is B flat major in German, B major to an English reader).
What only a whole column shows (a bare B among German names, a capital M in a column of
capitals) is told by :func:`spelling_traits`.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass

__all__ = [
    "Key",
    "PITCH_NAMES",
    "FLAT_NAMES",
    "flat_spelling",
    "with_flats",
    "parse_key",
    "read_key",
    "parse_mode",
    "from_camelot",
    "from_open_key",
    "PITCH_CLASS_RANGE",
    "spelling_traits",
]

#: Display names of the 12 pitch classes (sharps, as most analyzers print them).
PITCH_NAMES = ("C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B")
#: The same pitch classes spelled with flats, as many reference sheets write them (a
#: flat sign, not a ``b``: ``"Bb minor"`` reads as a B to some).
FLAT_NAMES = ("C", "D\u266d", "D", "E\u266d", "E", "F", "G\u266d", "G", "A\u266d", "A",
              "B\u266d", "B")

_LETTER_PC = {"C": 0, "D": 2, "E": 4, "F": 5, "G": 7, "A": 9, "B": 11}

# Camelot wheel: number for each major tonic (B) and minor tonic (A).
_CAMELOT_MAJOR = {11: 1, 6: 2, 1: 3, 8: 4, 3: 5, 10: 6, 5: 7, 0: 8, 7: 9, 2: 10, 9: 11, 4: 12}
_CAMELOT_MINOR = {8: 1, 3: 2, 10: 3, 5: 4, 0: 5, 7: 6, 2: 7, 9: 8, 4: 9, 11: 10, 6: 11, 1: 12}
_CAMELOT_MAJOR_INV = {v: k for k, v in _CAMELOT_MAJOR.items()}
_CAMELOT_MINOR_INV = {v: k for k, v in _CAMELOT_MINOR.items()}


@dataclass(frozen=True, order=True)
class Key:
    """A musical key.

    Attributes
    ----------
    tonic : int
        Pitch class of the tonic, 0 (C) to 11 (B).
    mode : str
        ``"major"`` or ``"minor"``.
    """

    tonic: int
    mode: str

    def __post_init__(self):
        if not (isinstance(self.tonic, int) and 0 <= self.tonic <= 11):
            raise ValueError(f"tonic must be a pitch class 0-11, got {self.tonic!r}")
        if self.mode not in ("major", "minor"):
            raise ValueError(f"mode must be 'major' or 'minor', got {self.mode!r}")

    @property
    def name(self) -> str:
        """Spelled like ``"F# minor"``."""
        return f"{PITCH_NAMES[self.tonic]} {self.mode}"

    @property
    def flat_name(self) -> str:
        """Spelled with a flat where the tonic has one, like ``"G\u266d minor"``; the same
        as :attr:`name` for a tonic without."""
        return f"{FLAT_NAMES[self.tonic]} {self.mode}"

    @property
    def both_names(self) -> str:
        """:attr:`name`, then the flat spelling in brackets when it differs:
        ``"A# minor (B\u266d minor)"``, ``"C major"``."""
        if self.flat_name == self.name:
            return self.name
        return f"{self.name} ({self.flat_name})"

    @property
    def camelot(self) -> str:
        """Camelot code like ``"11A"`` (A = minor, B = major)."""
        if self.mode == "major":
            return f"{_CAMELOT_MAJOR[self.tonic]}B"
        return f"{_CAMELOT_MINOR[self.tonic]}A"

    @property
    def open_key(self) -> str:
        """Open Key code like ``"4m"`` (m = minor, d = major; ``"1d"`` is C major)."""
        number = int(self.camelot[:-1])
        return f"{(number - 8) % 12 + 1}{'d' if self.mode == 'major' else 'm'}"

    @property
    def index(self) -> int:
        """0-23: majors 0-11 then minors 12-23, by tonic."""
        return self.tonic + (0 if self.mode == "major" else 12)

    @classmethod
    def from_index(cls, index: int) -> Key:
        """Inverse of :attr:`index`."""
        return cls(int(index) % 12, "major" if index < 12 else "minor")

    def relative(self) -> Key:
        """The relative key (C major <-> A minor)."""
        if self.mode == "major":
            return Key((self.tonic + 9) % 12, "minor")
        return Key((self.tonic + 3) % 12, "major")

    def parallel(self) -> Key:
        """Same tonic, other mode."""
        return Key(self.tonic, "minor" if self.mode == "major" else "major")

    def __str__(self) -> str:
        return self.name


def flat_spelling(text: str) -> str:
    """Text that starts with a sharp tonic as :attr:`Key.name` writes it, the tonic
    spelled with a flat (:data:`FLAT_NAMES`); what follows the tonic is kept, and text
    without a sharp tonic comes back as it was.

    Examples
    --------
    >>> flat_spelling("F# minor")
    'G\u266d minor'
    >>> flat_spelling("A# major (6B)")
    'B\u266d major (6B)'
    >>> flat_spelling("C major")
    'C major'
    """
    text = str(text)
    if len(text) < 2 or text[1] != "#" or text[:2] not in PITCH_NAMES:
        return text
    return FLAT_NAMES[PITCH_NAMES.index(text[:2])] + text[2:]


def with_flats(text) -> str:
    """A key as the window writes it (:attr:`Key.name`, ``"A# minor"``) with its flat
    spelling after it, ``"A# minor (B\u266d minor)"`` (:attr:`Key.both_names`); any other
    text (a key without a sharp, a code, a key spelled otherwise) comes back as it was
    (``""`` for None).

    Examples
    --------
    >>> with_flats("D# major")
    'D# major (E\u266d major)'
    >>> with_flats("C minor")
    'C minor'
    """
    if text is None:
        return ""
    text = str(text)
    key = parse_key(text)
    return key.both_names if key is not None and key.name == text.strip() else text


def from_camelot(code: str) -> Key | None:
    """Key for a Camelot code such as ``"8A"`` or ``"12b"``; ``None`` if it is not one."""
    m = re.fullmatch(r"\s*(1[0-2]|0?[1-9])\s*([AaBb])\s*", code or "")
    if not m:
        return None
    num, letter = int(m.group(1)), m.group(2).upper()
    if letter == "B":
        return Key(_CAMELOT_MAJOR_INV[num], "major")
    return Key(_CAMELOT_MINOR_INV[num], "minor")


def from_open_key(code: str) -> Key | None:
    """Key for an Open Key code such as ``"1m"`` (A minor) or ``"12d"`` (F major); ``None``
    if it is not one.  Open Key number n is Camelot number n + 7 (mod 12), ``m`` is minor
    and ``d`` major."""
    m = re.fullmatch(r"\s*(1[0-2]|0?[1-9])\s*([MmDd])\s*", code or "")
    if not m:
        return None
    camelot = (int(m.group(1)) + 6) % 12 + 1
    return from_camelot(f"{camelot}{'B' if m.group(2).lower() == 'd' else 'A'}")


# German names: a letter, "is" (sharp) or "es"/"s" (flat), then Dur or Moll.  H is B; B
# (B flat in German, B in English) is refused.
_GERMAN = re.compile(r"([A-Ha-h])(is|es|s)?\s*[-:\s]?\s*(dur|moll)", re.I)
# A German name without Dur or Moll ("Fis", "Es"), perhaps with another mode word ("Gis m").
_GERMAN_NAME = re.compile(r"([A-Ha-h])((?i:is|es|s))\s*[-:\s]?\s*([A-Za-z\-]*)\s*")
_GERMAN_PC = {**_LETTER_PC, "H": 11}  # B itself is refused before it is looked up
_GERMAN_B = ("B with Dur or Moll: B flat in German, B in English; write Bb major, B major "
             "or H-Dur")


# Characters a cell copied from a web page or a word processor may hold unseen.
_INVISIBLE = re.compile("[\u00ad\u200b-\u200d\u2060\ufeff]")
_WRITTEN_OUT = re.compile(r"(?i)(?<![a-z])([a-h])[\s-]*(flat|sharp)(?![a-z])")  # "B-flat", "F sharp"


# Dashes a word processor puts for a typed hyphen (en and em dash, minus sign...).
_DASHES = re.compile("[\u2010-\u2015\u2212]")
# A mode word set off by a spaced dash or colon ("C - major", "Bb : min", "F# -minor").
_SPACED_MODE = re.compile(r"(?i)(.*?\S)(?:\s+[-:]\s*|\s*[-:]\s+)(major|minor|maj|min|dur|moll)\.?")


def _clean(text: str) -> str:
    text = _INVISIBLE.sub("", unicodedata.normalize("NFKC", text))
    text = text.replace("♯", "#").replace("♭", "b").replace("♮", "").strip()
    text = _DASHES.sub("-", text)
    text = _WRITTEN_OUT.sub(
        lambda m: m.group(1) + ("b" if m.group(2).lower() == "flat" else "#"), text)
    spaced = _SPACED_MODE.fullmatch(text)
    return f"{spaced.group(1)} {spaced.group(2)}" if spaced else text


def parse_key(text, mode=None) -> Key | None:
    """Parse a key written in any common way.

    Accepts ``"C# Minor"``, ``"Db major"``, ``"A#/B♭"`` (major when no mode is given),
    ``"Gm"``, ``"F#m"``, ``"Ebmin"``, ``"8A"`` (Camelot), ``"1m"`` (Open Key),
    ``"Fis-Moll"`` (German), ``"C#:min"``, and a pitch class number 0-11 together with
    ``mode`` (1 or ``"major"`` = major, 0 or ``"minor"`` = minor).

    Parameters
    ----------
    text : str or int
        The key cell.
    mode : str or int, optional
        A separate mode cell (API-style sheets), used when ``text`` is a pitch class or has
        no mode of its own.

    Returns
    -------
    Key or None
        ``None`` when the cell is empty, is not a key or could name two keys (``-1`` pitch
        class means unknown); :func:`read_key` says why.
    """
    return read_key(text, mode)[0]


def read_key(text, mode=None) -> tuple[Key | None, str]:
    """Parse a key as :func:`parse_key` does, saying why a cell is refused.

    Parameters
    ----------
    text : str or int
        The key cell.
    mode : str or int, optional
        A separate mode cell, as for :func:`parse_key`.

    Returns
    -------
    key : Key or None
        The key, or ``None``.
    reason : str
        Empty when a key was read or the cell is empty; else why it was refused: ``"not a
        key"``, or what makes it ambiguous.
    """
    try:
        return _read_key_cached(text, mode)
    except TypeError:  # a cell that cannot be a cache key
        return _read_key(text, mode)


@functools.lru_cache(maxsize=4096, typed=True)
def _read_key_cached(text, mode):
    # A deck spells a few dozen keys thousands of times (the table's reference columns,
    # the calibration): each spelling is read once.  Keys are frozen, so they are shared.
    return _read_key(text, mode)


def _read_key(text, mode):
    mode_name = parse_mode(mode)
    if text is None:
        return None, ""
    if isinstance(text, (int, float)) and not isinstance(text, bool):
        if text != text:  # NaN
            return None, ""
        if isinstance(text, float) and not text.is_integer():  # 7.5, infinity
            return None, "not a key"
        return _from_pc(int(text), mode_name)
    s = _clean(str(text))
    if not s or s.lower() in {"nan", "none", "n/a", "na", "unknown", "?", "-", "-1"}:
        return None, ""
    if re.fullmatch(r"-?\d+(\.0+)?", s):
        return _from_pc(int(float(s)), mode_name)
    coded = from_camelot(s) or from_open_key(s)
    if coded is not None:
        return coded, ""
    german = _GERMAN.fullmatch(s)
    if german is not None:
        return _german(german)
    german = _GERMAN_NAME.fullmatch(s)
    if german is not None:
        return _german_name(german, mode_name)
    m = _NAME.fullmatch(s)
    if not m:
        return _two_spellings(s)
    letter, accidental, word = m.group(1), m.group(2), m.group(5)
    if any(h in "Hh" and a for h, a in ((letter, accidental), (m.group(3), m.group(4)))
           if h):
        return None, "not a key"  # Hb, H#: H is German, its sharp is His
    pc = _pitch_class(letter, accidental)
    if m.group(3) and _pitch_class(m.group(3), m.group(4)) != pc:
        return None, _TWO_KEYS
    if _mode_word(word).lower() in ("dur", "moll") and letter.upper() == "B" and not accidental:
        return None, _GERMAN_B
    return _named(pc, letter.islower(), word, mode_name)


# A note name, perhaps with an enharmonic alternative ("A#/Bb", "C# / Db minor"), then a
# mode word or none.
_NAME = re.compile(
    r"([A-Ha-h])\s*([#b]?)\s*(?:/\s*([A-Ha-h])\s*([#b]?))?\s*[:\s]?\s*([A-Za-z\-]*)\.?\s*")
_LOWER = ("a lower-case letter without a mode: minor in some notations, major in others; "
          "write the mode (a minor, A major)")


def _mode_word(word: str) -> str:
    """The word written after a note name without the hyphen that may join them (``"D#-Dur"``,
    ``"C-M"``); a lone ``-`` is itself a mode word (minor, ``"C-"``)."""
    return word[1:] if len(word) > 1 and word.startswith("-") else word


def _named(pc: int, lower: bool, word: str, mode_name: str | None) -> tuple[Key | None, str]:
    """Key of a note name (pitch class ``pc``, its letter small or not) and the word written
    after it; a note without a word takes ``mode_name``."""
    word = _mode_word(word)
    w = word.lower()
    if word == "M":  # a capital M is major (CM), a small one minor (Cm)
        return Key(pc, "major"), ""
    if w in ("minor", "min", "moll", "m", "-", "mi"):
        return Key(pc, "minor"), ""
    if w in ("major", "maj", "dur", "ma"):
        return Key(pc, "major"), ""
    if w:
        return None, "not a key"
    if mode_name is None and lower:
        return None, _LOWER
    return Key(pc, mode_name or "major"), ""


_TWO_KEYS = "two different keys (a key and its relative?): write one of them"


def _two_spellings(s: str) -> tuple[Key | None, str]:
    """``"Am/C"``, ``"A minor / C major"``, ``"8A/Am"``, ``"8A - Am"``, ``"Am (8A)"``: one key
    spelled twice, or two."""
    bracketed = re.fullmatch(r"(.+?)\s*\(([^()]+)\)", s)
    parts = (list(bracketed.groups()) if bracketed
             else re.split(r"\s*[/|]\s*|\s+[-\u2013]\s+", s))
    if len(parts) != 2:
        return None, "not a key"
    keys = [read_key(p)[0] for p in parts]
    if None in keys:
        return None, "not a key"
    if keys[0] != keys[1]:
        return None, _TWO_KEYS
    return keys[0], ""


def _pitch_class(letter: str, accidental: str) -> int:
    pc = _GERMAN_PC[letter.upper()] + (1 if accidental == "#" else -1 if accidental == "b" else 0)
    return pc % 12


@functools.lru_cache(maxsize=4096)
def spelling_traits(text) -> frozenset[str]:
    """How a key name is written, for the rules that read a whole column's cells together.

    ``"german"``: a German name (``H``, ``Fis``, ``Es``) or mode word (``Dur``, ``Moll``);
    ``"bare_b"``: a B without accidental, not German (``B``, ``Bm``); ``"capital_m"``: a
    lone capital M for the mode (``AM``); ``"no_mode"``: a note without a mode word (``C``,
    ``F#``); ``"lower"``: a small letter anywhere (``Am``, ``Bb``).  Empty for codes,
    numbers and cells that are no names."""
    s = _clean(str(text)) if text is not None else ""
    if _GERMAN.fullmatch(s) or _GERMAN_NAME.fullmatch(s):
        return frozenset({"german"})
    m = _NAME.fullmatch(s)
    if m is None:
        return frozenset()
    letter, word = m.group(1), _mode_word(m.group(5))
    traits = set()
    if letter in "Hh" or m.group(3) in ("H", "h") or word.lower() in ("dur", "moll"):
        traits.add("german")
    elif letter in "Bb" and not m.group(2) and not m.group(3):
        traits.add("bare_b")
    if word == "M":
        traits.add("capital_m")
    if not word:
        traits.add("no_mode")
    if any(c.islower() for c in s):
        traits.add("lower")
    return frozenset(traits)


def _german_name(m: re.Match, mode_name: str | None) -> tuple[Key | None, str]:
    """Key for a German name without Dur or Moll (``Fis``, ``Es``, ``Gis m``): a capital
    is major, as a capital English letter is."""
    letter, suffix = m.group(1), m.group(2).lower()
    upper = letter.upper()
    if upper == "B" or upper == "H" and suffix != "is" or suffix == "s" and upper not in "AE":
        return None, "not a key"  # Bis, Hes, Gs: no German names
    pc = _GERMAN_PC[upper] + (1 if suffix == "is" else -1)
    return _named(pc % 12, letter.islower(), m.group(3), mode_name)


def _german(m: re.Match) -> tuple[Key | None, str]:
    """Key for a German name (``Fis-Moll``, ``Es-Dur``, ``H-Moll`` = B minor)."""
    letter, suffix, word = m.group(1).upper(), (m.group(2) or "").lower(), m.group(3).lower()
    if letter == "B":
        return None, _GERMAN_B
    if letter == "H" and suffix not in ("", "is") or suffix == "s" and letter not in "AE":
        return None, "not a key"
    pc = _GERMAN_PC[letter] + (1 if suffix == "is" else -1 if suffix in ("es", "s") else 0)
    return Key(pc % 12, "major" if word == "dur" else "minor"), ""


def parse_mode(mode) -> str | None:
    """A mode cell (``1``/``0``, ``"major"``/``"minor"``, ``"dur"``/``"moll"``...) as
    ``"major"`` or ``"minor"``; ``None`` when empty or not a mode.  A lone letter reads as
    it does after a tonic: ``"M"`` major (as in ``CM``), ``"m"`` minor (as in ``Cm``)."""
    if mode is None:
        return None
    if isinstance(mode, (int, float)) and not isinstance(mode, bool):
        return "major" if mode == 1 else "minor" if mode == 0 else None
    s = str(mode).strip()
    if s == "M":
        return "major"
    s = s.lower()
    if s in ("1", "1.0", "major", "maj", "dur"):
        return "major"
    if s in ("0", "0.0", "minor", "min", "moll", "m"):
        return "minor"
    return None


#: Why a number other than 0-11 is no key (-1 is "no key detected", no error).
PITCH_CLASS_RANGE = "pitch class must be 0-11 (or -1 for unknown)"


def _from_pc(pc: int, mode_name: str | None) -> tuple[Key | None, str]:
    if pc == -1:
        return None, ""
    if not 0 <= pc <= 11:
        return None, PITCH_CLASS_RANGE
    return Key(pc, mode_name or "major"), ""

