"""Text for numbers in the window: durations, rates and descriptor values with units."""

from __future__ import annotations

import html
import math

from PySide6.QtGui import Qt

from core.io.keynotation import flat_spelling
from core.io.outputs import printable

__all__ = ["fmt_duration", "fmt_eta", "fmt_value", "spell_key", "alternative_tempi", "plain_tip",
           "shown_name", "shown_text", "DESCRIPTOR_HEADERS"]

#: Column headers of the descriptors (:data:`core.io.results.DESCRIPTOR_COLUMNS`), with units.
DESCRIPTOR_HEADERS = {
    "duration_s": "Duration",
    "sample_rate": "Rate (Hz)",
    "channels": "Ch",
    "bpm": "BPM",
    "bpm_confidence": "BPM conf.",
    "bpm_alternatives": "BPM alternatives",
    "bpm_weak_pulse": "Weak pulse",
    "bpm_varies": "Tempo varies",
    "key": "Key",
    "key_camelot": "Camelot",
    "key_confidence": "Key conf.",
    "key_modulating": "Modulating",
    "loudness_lufs": "Loudness (LUFS)",
    "loudness_range_lu": "LRA (LU)",
    "peak_dbfs": "Peak (dBFS)",
    "energy": "Energy",
    "danceability": "Dance",
    "valence": "Valence",
    "acousticness": "Acoustic",
    "dynamic_range_db": "DR (dB)",
    "brightness_hz": "Brightness (Hz)",
    "silence_ratio": "Silence",
    "time_signature": "Meter",
}

_DECIMALS = {
    "bpm": 1, "bpm_confidence": 2, "key_confidence": 2, "loudness_lufs": 1,
    "loudness_range_lu": 1, "peak_dbfs": 1, "energy": 2, "danceability": 2, "valence": 2,
    "acousticness": 2, "dynamic_range_db": 1, "brightness_hz": 0, "silence_ratio": 2,
}


def fmt_duration(seconds: float | None) -> str:
    """``"0.4 s"``, ``"12 s"``, ``"3:05"``, ``"1:02:07"`` (empty for None)."""
    if seconds is None:
        return ""
    if seconds < 10:
        return f"{seconds:.1f} s"
    if seconds < 60:
        return f"{seconds:.0f} s"
    s = int(round(seconds))
    h, rem = divmod(s, 3600)
    m, sec = divmod(rem, 60)
    return f"{h}:{m:02d}:{sec:02d}" if h else f"{m}:{sec:02d}"


def fmt_eta(seconds: float | None) -> str:
    """Remaining time for the status bar: ``"--"`` when unknown."""
    if seconds is None:
        return "--"
    if seconds < 60:
        return f"{seconds:.0f} s"
    return fmt_duration(seconds)


def fmt_value(column: str, value) -> str:
    """Display text of one descriptor value."""
    if value is None or value == "":
        return ""
    if column == "duration_s":
        return fmt_duration(float(value))
    if column in ("key_modulating", "bpm_weak_pulse", "bpm_varies"):
        return "yes" if value not in (False, 0, "0", "False", "false") else "no"
    if column == "time_signature":
        return f"{value}/4"
    if column == "bpm_alternatives":
        return " / ".join(_short(v) for v in alternative_tempi(value))
    if isinstance(value, float):
        text = f"{value:.{_DECIMALS.get(column, 2)}f}"
        # a value that rounds to zero has no sign: a peak of -0.004 dBFS reads "0.0"
        return text[1:] if text.startswith("-") and not text.strip("-0.") else text
    return str(value)


def spell_key(text: str, *, flats: bool) -> str:
    """A key name as the user reads keys: ``"F# minor"``, or with ``flats``
    ``"G\u266d minor"``, with the flat sign as in the key tips (what follows the tonic is
    kept: ``"A# major (6B)"`` -> ``"B\u266d major (6B)"``).  Only the window's display:
    exports keep the sharps."""
    return flat_spelling(text) if flats else text


def alternative_tempi(value) -> list[float]:
    """The tempi of a ``bpm_alternatives`` value (``"120.00;60.00;..."``), in its order;
    an entry that is no finite number (a damaged stored row) is left out."""
    out = []
    for part in str(value or "").split(";"):
        try:
            bpm = float(part)
        except ValueError:
            continue
        if math.isfinite(bpm):
            out.append(bpm)
    return out


def _short(bpm: float) -> str:
    """A tempo with one decimal, none when it is whole: ``"61.5"``, ``"123"``."""
    text = f"{bpm:.1f}"
    return text[:-2] if text.endswith(".0") else text


def shown_name(name) -> str:
    """A file name or path as one line the window can show: bytes that are not valid UTF-8
    (lone surrogates in Python) as ``\\udcXX`` and control characters as ``\\n``,
    ``\\t``, ``\\x1b``, as the command line prints them.  Qt drops a lone surrogate: two
    files named ``caf\\xe9.wav`` and ``caf\\xe8.wav`` both showed as ``caf.wav``."""
    return printable(name)


def shown_text(text: str) -> str:
    """``text`` (lines of the Log) with bytes that are not valid UTF-8 as ``\\udcXX``
    escapes, which Qt would drop; its line breaks are kept."""
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        return text.encode("utf-8", "backslashreplace").decode("utf-8")


def plain_tip(text):
    """``text`` (a tooltip holding a song's title, file name or error, a sheet's name...)
    shown as the characters it holds.

    Qt takes a tooltip whose first line holds an HTML tag (``<b>``, ``<img src=...>``) or
    ``&lt;`` for rich text: a file named ``<b>Live</b>.mp3`` would show in bold, and an
    ``<img>`` would load a picture.  Such a text comes back as rich text that shows it
    verbatim; any other (and None) comes back unchanged.
    """
    if not text or not Qt.mightBeRichText(text):
        return text
    return ('<p style="white-space:pre-wrap">' + html.escape(text, quote=False) + "</p>")
