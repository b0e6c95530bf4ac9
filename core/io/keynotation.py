"""Musical keys: spelling, Camelot codes and parsing.

A key is a tonic pitch class (0 = C ... 11 = B) and a mode (``"major"`` or ``"minor"``).
How two keys relate (fifth, relative, parallel) and the MIREX score are agreement rules:
:mod:`core.calibration.agreement`.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

__all__ = [
    "Key",
    "PITCH_NAMES",
    "parse_key",
    "from_camelot",
]

#: Display names of the 12 pitch classes (sharps, as most analyzers print them).
PITCH_NAMES = ("C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B")

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
    def camelot(self) -> str:
        """Camelot code like ``"11A"`` (A = minor, B = major)."""
        if self.mode == "major":
            return f"{_CAMELOT_MAJOR[self.tonic]}B"
        return f"{_CAMELOT_MINOR[self.tonic]}A"

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


def from_camelot(code: str) -> Key | None:
    """Key for a Camelot code such as ``"8A"`` or ``"12b"``; ``None`` if it is not one."""
    m = re.fullmatch(r"\s*(1[0-2]|0?[1-9])\s*([AaBb])\s*", code or "")
    if not m:
        return None
    num, letter = int(m.group(1)), m.group(2).upper()
    if letter == "B":
        return Key(_CAMELOT_MAJOR_INV[num], "major")
    return Key(_CAMELOT_MINOR_INV[num], "minor")


_MINOR_WORDS = ("minor", "min", "moll", "m", "-")
_MAJOR_WORDS = ("major", "maj", "dur", "M", "")


def _clean(text: str) -> str:
    text = unicodedata.normalize("NFKC", text)
    text = text.replace("♯", "#").replace("♭", "b").replace("♮", "")
    return text.strip()


def parse_key(text, mode=None) -> Key | None:
    """Parse a key written in any common way.

    Accepts ``"C# Minor"``, ``"Db major"``, ``"A#/B♭"`` (major when no mode is given),
    ``"Gm"``, ``"F#m"``, ``"Ebmin"``, ``"8A"`` (Camelot), ``"C#:min"``, and a pitch class
    number 0-11 together with ``mode`` (1 or ``"major"`` = major, 0 or ``"minor"`` = minor).

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
        ``None`` when the cell is empty or is not a key (``-1`` pitch class means unknown).
    """
    mode_name = _parse_mode(mode)
    if text is None:
        return None
    if isinstance(text, (int, float)) and not isinstance(text, bool):
        if text != text:  # NaN
            return None
        return _from_pc(int(text), mode_name)
    s = _clean(str(text))
    if not s or s.lower() in {"nan", "none", "n/a", "na", "unknown", "?", "-", "-1"}:
        return None
    if re.fullmatch(r"-?\d+(\.0+)?", s):
        return _from_pc(int(float(s)), mode_name)
    cam = from_camelot(s)
    if cam is not None:
        return cam
    # Alternatives such as "A#/Bb" or "C# / Db minor": take the first spelling, keep the mode.
    m = re.fullmatch(
        r"([A-Ga-g])\s*([#b]?)\s*(?:/\s*[A-Ga-g]\s*[#b]?)?\s*[:\s]?\s*([A-Za-z\-]*)\s*", s
    )
    if not m:
        return None
    letter, accidental, word = m.group(1).upper(), m.group(2), m.group(3)
    pc = _LETTER_PC[letter] + (1 if accidental == "#" else -1 if accidental == "b" else 0)
    pc %= 12
    if word == "M":
        return Key(pc, "major")
    w = word.lower()
    if w in ("minor", "min", "moll", "m", "-", "mi"):
        return Key(pc, "minor")
    if w in ("major", "maj", "dur", "ma", ""):
        return Key(pc, mode_name or "major") if w == "" else Key(pc, "major")
    return None


def _parse_mode(mode) -> str | None:
    if mode is None:
        return None
    if isinstance(mode, (int, float)) and not isinstance(mode, bool):
        if mode != mode:
            return None
        return "major" if int(mode) == 1 else "minor" if int(mode) == 0 else None
    s = str(mode).strip().lower()
    if s in ("1", "1.0", "major", "maj", "dur"):
        return "major"
    if s in ("0", "0.0", "minor", "min", "moll", "m"):
        return "minor"
    return None


def _from_pc(pc: int, mode_name: str | None) -> Key | None:
    if not 0 <= pc <= 11:
        return None
    return Key(pc, mode_name or "major")

