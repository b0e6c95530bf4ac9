"""The ``fifth`` edition of the evaluation set: its material, its plan and its overlap check.

A fifth held-out-only set (``~/.cache/songcal-eval-fifth``, 206 files of 30 s), built
after the fourth edition had been measured twice, to be measured once.  Nothing in it is in
another edition, and nothing was tuned on it:

* **classical**: Bach chorales whose tune no other edition has (in an order of their own;
  the chorales kept in Humdrum and MusicXML first) and opening excerpts, ending on a tonic
  downbeat, of the quartet movements and pieces that earlier editions listed but none
  took.  music21's corpus has few such pieces left (the other editions hold nearly every
  chorale tune, and its madrigals, motets and masses are modal), so this subset is much
  smaller than in the other editions: 7 pieces;
* **tunes** from corpus files no other edition took a tune from: Aird's Airs books 3-6,
  the Nottingham reels, the American fife book, Essen collections that earlier editions
  listed after their tune limit was reached (``altdeu10``, ``altdeu20``, ``ballad10``,
  ``ballad20``, ``boehme10``, ``erk20``, ``erk30``, ``han1``, ``han2``), O'Neill numbers no
  edition reads (0626-0700, 0721-0730, 0732-0758, 0759-0810, 1476-1555, 1781-1800) and
  Ryan's Mammoth tunes outside the ``fresh`` and ``fourth`` editions' draws (every one in
  9/8 or 12/8 and 30 others); no melody another edition has (2/4, 3/4, 4/4, 2/2, 6/8, 9/8
  and 12/8);
* **grooves** that only this edition plays (:mod:`benchmarks.evalfifthgrooves`), and
  drumless tunes in duple, triple and compound metre;
* **renderers**: TiMidity++ with the freepats GUS patches for about a third of the files,
  FluidSynth with the held-out soundfonts (MuseScore General Lite and Full, TimGM6mb, the
  Csound bank) for the rest, never FluidR3 or OPL-3 (``renderer`` and ``soundfont`` in the
  manifest);
* **rendering variation**: the ``unseen`` and ``fourth`` editions' kinds and four new ones
  (a tempo step, a noise floor, a slapback echo, a fade), recorded per item; see
  :mod:`benchmarks.evalfifthrender`.

**Truth.**  The BPM is that of the notated beat, as in every edition: a quarter in 2/4, 3/4
and 4/4, a dotted quarter in 6/8, 9/8 and 12/8, a half in 2/2 (the mean tempo of a file
whose tempo drifts or steps).  Grooves are counted in the beat of the tune they accompany;
the conventions of each groove are in :mod:`benchmarks.evalfifthgrooves`.  The key is the
score's (key signature and tonic bass, transposed with the item).

``python -m benchmarks.evalfifth`` checks the built edition: it prints, for every other
edition in :data:`benchmarks.evalset.EDITIONS` and the drift benchmark's renders, the corpus
paths, melodies, grooves and renderers the two share (none, when sound; exit status 1
otherwise).
"""

from __future__ import annotations

import numpy as np

__all__ = ["FIFTH_FONTS", "FIFTH_TUNE_PLAN", "TUNE_FILES", "fifth_sources", "classical_part",
           "excerpt_candidates", "tune_part", "cap_tunes", "compound_files", "tune_files",
           "grooves_shared", "shared_grooves", "main"]

_DUPLE = ("2/4", "4/4", "2/2")
_TWO = ("2/4", "2/2", "4/4")  # grooves of a two-beat bar take 2/4 tunes first
_FOUR = ("4/4", "2/2", "2/4")
_HALF = ("2/2", "4/4", "2/4")  # grooves counted in the half note of a 2/2 tune first
_COMPOUND = ("6/8", "12/8")
#: (groove, subset, BPM range of the notated beat, metres of the tunes it takes, count).
#: Clear: a stated beat.  Ambiguous: half-time grooves stated at the full tempo, fast
#: four-on-the-floor, a slow groove under a double-time hi-hat, the vals criollo's hemiola,
#: the 12/8 doo-wop and a West African 6/8 bell.  As classical pieces are few, the tunes are
#: more than in the fourth edition (about 200 against 170).
FIFTH_TUNE_PLAN = (("bachata", "clear", (118, 134), _FOUR, 6),
                   ("songo", "clear", (96, 120), _FOUR, 5),
                   ("plena", "clear", (96, 124), _TWO, 6),
                   ("gogo", "clear", (92, 110), _FOUR, 5),
                   ("amapiano", "clear", (110, 116), _FOUR, 6),
                   ("motorik", "clear", (118, 134), _HALF, 6),
                   ("bigbeat", "clear", (100, 126), _HALF, 5),
                   ("popballad", "clear", (62, 80), _FOUR, 6),
                   ("lofi", "clear", (72, 90), _FOUR, 5),
                   ("soukous", "clear", (120, 134), _HALF, 5),
                   ("zydeco", "clear", (100, 130), _TWO, 6),
                   ("habanera", "clear", (60, 80), _TWO, 5),
                   ("landler", "clear", (96, 140), ("3/4",), 6),
                   ("drill", "ambiguous", (138, 146), _FOUR, 7),
                   ("phonk", "ambiguous", (132, 150), _FOUR, 6),
                   ("halfstep", "ambiguous", (170, 176), _FOUR, 6),
                   ("neurofunk", "ambiguous", (172, 178), _HALF, 6),
                   ("hardstyle", "ambiguous", (150, 158), _HALF, 7),
                   ("happyhardcore", "ambiguous", (166, 180), _FOUR, 6),
                   ("slowjam", "ambiguous", (60, 72), _FOUR, 6),
                   ("valsecriollo", "ambiguous", (136, 168), ("3/4",), 6),
                   ("doowop", "ambiguous", (50, 72), ("12/8", "6/8"), 6),
                   ("fumefume", "ambiguous", (84, 120), _COMPOUND, 7),
                   ("none", "drumless", (62, 130), ("2/4", "4/4"), 14),
                   ("none", "drumless", (56, 110), ("2/2",), 10),
                   ("none", "drumless", (62, 130), ("3/4",), 14),
                   ("none", "drumless", (48, 92), ("6/8", "12/8"), 14),
                   ("none", "drumless", (52, 92), ("9/8",), 12))

#: The held-out soundfonts of its FluidSynth renders (names of
#: :data:`benchmarks.evalset.SOUNDFONTS`); about a third of the items are rendered by
#: TiMidity++ with ``freepats`` instead (see :func:`benchmarks.evalfifthrender.vary_fifth`).
FIFTH_FONTS = ("musescore", "musescore_full", "timgm6mb", "csound")
_CLASSICAL_PIECES = 50
_METERS = ("2/4", "3/4", "4/4", "2/2", "6/8", "9/8", "12/8")
#: (corpus file, largest number of tunes taken from it), read in this order.
TUNE_FILES = (("airdsAirs/book3.abc", 22), ("airdsAirs/book4.abc", 22),
              ("airdsAirs/book5.abc", 22), ("airdsAirs/book6.abc", 22),
              ("nottingham-dataset/reelsa-c.abc", 16), ("miscFolk/americanfifeopus.abc", 14),
              ("oneills1850/0626-0700.abc", 20), ("oneills1850/0721-0730.abc", 8),
              ("oneills1850/0732-0758_bs.abc", 14), ("oneills1850/0759-0810.abc", 18),
              ("oneills1850/1476-1555.abc", 24), ("oneills1850/1781-1800.abc", 14),
              ("essenFolksong/altdeu10.abc", 12), ("essenFolksong/altdeu20.abc", 12),
              ("essenFolksong/ballad10.abc", 12), ("essenFolksong/ballad20.abc", 12),
              ("essenFolksong/boehme10.abc", 12), ("essenFolksong/erk20.abc", 12),
              ("essenFolksong/erk30.abc", 12), ("essenFolksong/han1.abc", 12),
              ("essenFolksong/han2.abc", 12))
_SEED = 15
_FRESH_RYAN_SEED = 31  # the fresh edition's draw of Ryan's Mammoth (left out)
_FOURTH_SEED = 14  # the fourth edition's draw of Ryan's Mammoth (left out)
#: Bach chorales kept in Humdrum or MusicXML rather than compressed MusicXML.
_OTHER_CHORALES = ("bach/bwv277.krn", "bach/bwv281.krn", "bach/bwv366.krn",
                   "bach/bwv67.4.xml", "bach/bwv69.6.xml")


def fifth_sources(known_tunes: set, known_pieces: set) -> dict:
    """Read the edition's classical pieces and tunes from music21's corpus.

    Parameters
    ----------
    known_tunes : set
        Melody signatures of every other edition's tunes (none is taken again).
    known_pieces : set
        Corpus paths and top-part melody signatures of every other edition's pieces.

    Returns
    -------
    dict
        ``{"classical": [...], "tunes": [...]}``, as :mod:`benchmarks.evalsources` gives.
    """
    return {"classical": classical_part(known_pieces), "tunes": tune_part(known_tunes)}


def tune_part(known_tunes: set, files: tuple[tuple[str, int], ...] | None = None,
              ) -> list[dict]:
    """The edition's tunes (see :func:`fifth_sources`).

    Each file gives every tune in 9/8 or 12/8 that no other edition has (few files have
    any) and up to its count of such tunes in the other metres, in file order; a tune whose
    melody an earlier file gave is then dropped.
    """
    from benchmarks.evalfourth import merge_tunes
    from benchmarks.evalsources import tune_sources

    per_file = []
    for path, count in (tune_files() if files is None else files):
        tunes = tune_sources((path,), limit=10 ** 6, exclude=set(known_tunes), meters=_METERS)
        per_file.append(cap_tunes(tunes, count))
    return merge_tunes(per_file)


def cap_tunes(tunes: list[dict], count: int) -> list[dict]:
    """The tunes in 9/8 and 12/8, and the first ``count`` of the others, in their order."""
    out, others = [], 0
    for t in tunes:
        if t["meter"] in ("9/8", "12/8"):
            out.append(t)
        elif others < count:
            others += 1
            out.append(t)
    return out


def excerpt_candidates(known_pieces: set) -> list[tuple[str, str]]:
    """Quartet movements and pieces that earlier editions listed but none took: (corpus
    path, kind), in a fixed order, without those in ``known_pieces`` (by path, with or
    without its extension) and without Humdrum copies of movements read as MusicXML."""
    from benchmarks.evalfourth import _EXCERPTS
    from benchmarks.evalsources import _OTHERS, _QUARTETS
    from benchmarks.evalunseen import _OPENINGS

    out: list[tuple[str, str]] = []
    listed = ([(p, "quartet") for p in _QUARTETS] + [(p, "piece") for p in _OTHERS]
              + list(_OPENINGS) + list(_EXCERPTS))
    for path, kind in listed:
        if path in known_pieces or path.split(".")[0] in known_pieces or path.endswith(".krn"):
            continue
        if all(path != p for p, _k in out):
            out.append((path, kind))
    return out


def classical_part(known_pieces: set) -> list[dict]:
    """The edition's classical sources (see :func:`fifth_sources`): Bach chorales whose tune
    no other edition has, then opening excerpts of the pieces of :func:`excerpt_candidates`
    that end on a tonic downbeat (:func:`benchmarks.evalfourth.excerpt_sources`).

    The corpus holds few such pieces now: the built edition has 5 chorales and 2 excerpts.
    """
    from benchmarks.evalfourth import excerpt_sources
    from benchmarks.evalsources import chorale_paths, classical_sources, melody_signature

    rng = np.random.default_rng(_SEED)
    chorales = chorale_paths()
    chorales = list(_OTHER_CHORALES) + [chorales[i] for i in rng.permutation(len(chorales))]
    out = classical_sources([(p, "chorale") for p in chorales], chorales=_CLASSICAL_PIECES,
                            exclude=set(known_pieces))
    taken = set(known_pieces) | {melody_signature(s, part=0) for s in out}
    for s in excerpt_sources(excerpt_candidates(known_pieces), min_beats=40.0, max_bars=48):
        sig = melody_signature(s, part=0)
        if sig not in taken:
            taken.add(sig)
            out.append(s)
    return out


def compound_files(paths: list[str]) -> set[str]:
    """The corpus files (ABC) among ``paths`` with a tune in 9/8 or 12/8 (read as text)."""
    import re

    from music21 import common

    root = str(common.getCorpusFilePath())
    out = set()
    for p in paths:
        with open(f"{root}/{p}", encoding="utf-8", errors="replace") as f:
            if re.search(r"^M:\s*(9/8|12/8)", f.read(), re.M):
                out.add(p)
    return out


def tune_files() -> tuple[tuple[str, int], ...]:
    """(corpus file, largest number of tunes taken from it) of the edition, in order:
    :data:`TUNE_FILES`, then the Ryan's Mammoth tunes in 9/8 or 12/8 and 30 others, all
    outside the fresh and fourth editions' draws."""
    from benchmarks.evalsources import corpus_paths

    ryan = corpus_paths("ryansMammoth")
    fresh_draw = set(np.array(ryan)[np.random.default_rng(_FRESH_RYAN_SEED)
                                    .permutation(len(ryan))[:400]])
    left = [p for p in ryan if p not in fresh_draw]
    fourth_draw = {left[i] for i in np.random.default_rng(_FOURTH_SEED + 1)
                   .permutation(len(left))[:40]}
    left = [p for p in left if p not in fourth_draw]
    compound = compound_files(left)
    simple = [p for p in left if p not in compound]
    picked = {simple[i] for i in np.random.default_rng(_SEED + 1).permutation(len(simple))[:30]}
    return TUNE_FILES + tuple((p, 1) for p in left if p in picked or p in compound)


def grooves_shared(edition: str, editions: dict) -> dict[str, list[str]]:
    """The grooves of ``edition``'s tune plan that each other edition's tune plan also plays.

    Parameters
    ----------
    edition : str
        Name of the edition whose grooves are looked up.
    editions : dict
        Edition name -> its entry of :data:`benchmarks.evalset.EDITIONS` (the tune plan last).

    Returns
    -------
    dict
        Edition name -> sorted shared groove names (``"none"``, no groove, is not counted).
        The editions of :data:`benchmarks.evalset.REPLAYED_GROOVES`, which replay earlier
        editions' grooves by design, are left out.
    """
    from benchmarks.evalset import REPLAYED_GROOVES

    mine = {g for g, *_r in editions[edition][-1]} - {"none"}
    return {name: sorted(mine & {g for g, *_r in entry[-1]})
            for name, entry in editions.items()
            if name != edition and name not in REPLAYED_GROOVES}


def shared_grooves(editions: dict) -> dict[str, list[str]]:
    """The fifth edition's grooves that other editions also play (:func:`grooves_shared`)."""
    return grooves_shared("fifth", editions)


def _drift_shared(cache: str, folder: str) -> list[str] | None:
    """Corpus paths, melodies and renderers the fifth edition shares with the drift
    benchmark's renders, or None when there are none.

    The drift benchmark keeps only its audio, ``<base item id>_<steady|sway>.flac``: the
    items are looked up in the base edition's manifest and their sources in its sources.
    """
    import json
    import os

    from benchmarks.evalset import CACHE
    from benchmarks.evalsources import melody_signature

    ids = {f.rsplit("_", 1)[0] for f in (os.listdir(folder) if os.path.isdir(folder) else ())
           if f.endswith(".flac")}
    if not ids:
        return None
    with open(os.path.join(CACHE, "manifest.json")) as f:
        base_items = {it["id"]: it for it in json.load(f)}
    with open(os.path.join(CACHE, "sources.json")) as f:
        base_src = json.load(f)
    used = [base_items[i] for i in ids if i in base_items]
    sources = {it["source"] for it in used}

    def keys(s):
        return (s["id"], melody_signature(s, part=0 if s["kind"] != "tune" else None))

    theirs = {k for s in base_src["classical"] + base_src["tunes"] if s["id"] in sources
              for k in keys(s)}
    with open(os.path.join(cache, "sources.json")) as f:
        src = json.load(f)
    mine = {k for s in src["classical"] + src["tunes"] for k in keys(s)}
    shared = sorted(map(str, mine & theirs))
    if any(it.get("renderer") == "timidity" or it.get("soundfont") == "freepats" for it in used):
        shared.append("freepats")
    return shared


def _renderers_shared(folder: str) -> list[str] | None:
    """``freepats`` if another edition's manifest has a TiMidity or freepats item."""
    import json
    import os

    path = os.path.join(folder, "manifest.json")
    if not os.path.exists(path):
        return None
    with open(path) as f:
        items = json.load(f)
    return ["freepats"] if any(it.get("renderer") == "timidity"
                               or it.get("soundfont") == "freepats" for it in items) else []


def main(argv=None) -> int:
    """Print what the built fifth edition shares with every other built edition."""
    import argparse

    from benchmarks.evalfourth import overlaps
    from benchmarks.evalset import CACHE, EDITIONS

    ap = argparse.ArgumentParser(description="check that the fifth edition shares no piece, "
                                 "tune, groove or renderer with any other built edition")
    ap.add_argument("--cache", default=EDITIONS["fifth"][0])
    args = ap.parse_args(argv)
    others = {n: e[0] for n, e in EDITIONS.items() if n != "fifth"}
    shared = overlaps(args.cache, others)
    grooves = shared_grooves(EDITIONS)
    bad = 0
    for name in sorted(set(others)):
        if name not in shared:
            print(f"{name:<10} not built")
            continue
        both = shared[name] + grooves.get(name, []) + (_renderers_shared(others[name]) or [])
        bad += len(both)
        print(f"{name:<10} " + (f"{len(both)} shared: {', '.join(both[:8])}" if both
                                else "none shared (pieces, tunes, grooves, renderer)"))
    drift = _drift_shared(args.cache, CACHE + "-drift")
    if drift is None:
        print(f"{'drift':<10} not built")
    else:
        bad += len(drift)
        print(f"{'drift':<10} " + (f"{len(drift)} shared: {', '.join(drift[:8])}" if drift
                                   else "none shared (pieces, tunes, renderer)"))
    return 1 if bad else 0


if __name__ == "__main__":
    import sys

    sys.exit(main())
