"""What each column of the song table means, in words an engineer reads at a glance.

One home for the column tips of the table header, the column chooser and the in-app guide
(:mod:`gui.guide`).  The heuristic descriptors' definitions are the analyzer's own
(:data:`core.analysis.descriptors.DEFINITIONS`); the rest are standard measures defined here.
"""

from __future__ import annotations

from core.analysis.descriptors import DEFINITIONS

__all__ = ["COLUMN_HELP", "column_tip", "R2_HELP", "MAE_HELP", "VERDICT_HELP"]

#: Column name -> (scale or unit, meaning), for every column of the song table that is not
#: a heuristic descriptor.
_STANDARD = {
    "num": ("", "the song's place in the list (sort by it to get back to the order added)"),
    "title": ("", "from the file's tags, else from its name (Artist - Title, NNN_Artist_Title)"),
    "artist": ("", "from the file's tags, else from its name"),
    "file": ("", "the file name; the full path is in its tip and in the exports"),
    "status": ("", "queued, running, stalled (past its time budget), done, failed, timed "
                   "out (past its hard limit), cancelled or skipped"),
    "note": ("", "why a song has no result (failed, timed out, skipped...), or a remark on "
                 "one that has (a silent file, a steady tone or a frequency sweep has no "
                 "tempo; a short loop's tempo read from its length; a tempo that varies; a "
                 "tempo or key to check by ear, and why; an earlier result kept)"),
    "progress": ("%", "chunks analyzed so far"),
    "chunk": ("i/n", "chunk being analyzed of the song's chunks (a chunk is a fixed length "
                     "of audio, set in Settings)"),
    "elapsed": ("s", "time the analysis has taken / the song's time budget (base + factor x "
                     "length, from the settings it ran with); 'from store' when the result "
                     "came from the session store"),
    "worker": ("", "the worker thread that analyzed the song"),
    "duration_s": ("m:ss", "length of the song"),
    "sample_rate": ("Hz", "the file's own sample rate, whatever rate it is analyzed at "
                          "(1-bit DSD: 2822400 for DSD64, read as 88.2 kHz PCM)"),
    "channels": ("", "the file's channel count"),
    "bpm": ("BPM", "tempo the analyzer chose, in the tempo range of the settings when one "
                   "is set; your correction (x2, /2) is shown with a pencil and exported as "
                   "bpm_user, next to this value"),
    "bpm_confidence": ("0-1", "how clearly the tempo stood out from its alternatives"),
    "bpm_alternatives": ("BPM", "the half, double and other metrical tempi it weighed"),
    "bpm_weak_pulse": ("yes/no", "yes when the music has only a faint pulse (rubato, "
                                 "ambient, speech, a held chord, a distant or hissy "
                                 "recording), fewer than four onsets (a one-shot) or "
                                 "the tempo's confidence is under 0.1: the tempo given is "
                                 "the best guess, check it by ear"),
    "bpm_varies": ("yes/no", "yes when two or more chunks of the song read a tempo more than "
                             "4 % off its tempo, octaves aside: a tempo change, a drift, "
                             "rubato, or a song the analyzer reads unevenly (check it by "
                             "ear); the Note gives the range, the Chunks tab each chunk's "
                             "tempo"),
    "key": ("", "key the analyzer chose (tonic and mode); your correction is shown with a "
                "pencil and exported as key_user"),
    "key_camelot": ("1A-12B", "the key on the Camelot wheel DJs use (A minor, B major)"),
    "key_confidence": ("0-1", "the key decision's probability of this key: about the "
                              "chance that it is right"),
    "key_modulating": ("yes/no", "yes when the song's chunks disagree on the key"),
    "loudness_lufs": ("LUFS", "integrated loudness, ITU-R BS.1770 / EBU R128, gated "
                              "(-14 is typical of streaming, -8 very loud)"),
    "loudness_range_lu": ("LU", "loudness range, EBU R128: how much the loudness varies"),
    "peak_dbfs": ("dBFS", "highest sample level (0 is full scale)"),
    "time_signature": ("", "beats to the bar, a guess (3/4 or 4/4)"),
}

#: Column name -> (scale or unit, meaning) for every fixed and descriptor column.
COLUMN_HELP = {**_STANDARD, **DEFINITIONS}

#: How to read r² in the calibration table.
R2_HELP = ("r² says how much of the reference's spread the analyzer's value explains, "
           "measured by cross-validation on songs the fit did not see: 1 is perfect, 0 is "
           "no better than always guessing the reference's mean, and a negative r² is worse "
           "than that guess (the descriptor predicts the reference badly, or the other way "
           "round).")
#: How to read the mean absolute errors.
MAE_HELP = ("MAE before: the mean absolute difference between analyzer and reference, in "
            "the descriptor's unit. MAE after (CV): the same after the correction, each "
            "song's corrected value fitted without that song (cross-validation), so it is "
            "what to expect on new songs.")
#: The verdicts of the calibration table.
VERDICT_HELP = ("A correction is kept only when it lowers the cross-validated MAE. Verdicts: "
                "tracks the reference (no correction needed), calibrated (a kept correction), "
                "weak (predicts little more than the reference mean), inverted (high where "
                "the reference is low), no relation.")


def column_tip(name: str, header: str = "") -> str:
    """The header tip of column ``name``: its header, scale and meaning (``""`` when the
    column is unknown)."""
    scale, meaning = COLUMN_HELP.get(name, ("", ""))
    if not meaning:
        return ""
    title = header or name
    return f"{title} ({scale}): {meaning}" if scale else f"{title}: {meaning}"
