"""The ``fourth`` edition of the evaluation set: its material, its plan and its rendering variation.

A fourth held-out-only set (``~/.cache/songcal-eval-fourth``, 220 files of 30 s), built after
the three other held-out editions had been measured, to be measured once.  Nothing in it is
in another edition, and nothing was tuned on it:

* **classical**: opening excerpts of quartet movements that no edition has (up to a bar
  whose bass is the tonic again, see :func:`excerpt_sources`), Monteverdi madrigals outside
  the ``fresh`` edition's draw, Josquin chansons and Palestrina mass movements (no edition
  reads either; few of these modal pieces pass the key rule: the built set has one
  Palestrina movement), and Bach chorales whose tune no other edition has (the built set:
  7 quartet excerpts, 1 Palestrina movement, 42 chorales);
* **tunes**: O'Neill numbers no edition reads (reels in 2/2, marches in 2/4, jigs in 6/8,
  slip jigs in 9/8; 12/8 is read too, but none of its few tunes passed), Ryan's Mammoth tunes outside the ``fresh`` edition's draw, and
  Essen collections from which no edition took a tune (``erk10``, ``fink0``, ``lot``,
  ``dva0``, ``zuccal0``: listed by earlier editions whose tune limit was reached before
  them); no melody another edition has;
* **grooves** that only this edition plays (:mod:`benchmarks.evalfourthgrooves`);
* **soundfonts**: MuseScore General (Lite and Full), TimGM6mb and the Csound bank, never
  FluidR3 or OPL-3;
* **rendering variation**: the ``unseen`` edition's detuning, rooms and masters
  (:func:`benchmarks.evalunseen.vary`) and four new kinds, recorded per item in the
  manifest (see :mod:`benchmarks.evalfourthrender`): a slow tempo drift of tunes (the truth stays the mean
  tempo), tape wow, a heavy pumping bus compressor or a band-limited "radio" master, and a
  mono or widened stereo image.

**Truth.**  The BPM is that of the notated beat, as in every edition: a quarter in 2/4, 3/4
and 4/4, a dotted quarter in 6/8, 9/8 and 12/8, a half in 2/2.  Grooves are counted in the
beat of the tune they accompany; the conventions of each groove are in
:mod:`benchmarks.evalfourthgrooves`.  The key is the score's (key signature and tonic bass,
transposed with the item).

``python -m benchmarks.evalfourth`` checks a built edition: it prints, for every other
edition in :data:`benchmarks.evalset.EDITIONS`, the corpus paths, melodies and grooves the
two share (none, when sound; exit status 1 otherwise).
"""

from __future__ import annotations

import numpy as np

__all__ = ["FOURTH_FONTS", "FOURTH_TUNE_PLAN", "fourth_sources", "excerpt_sources", "overlaps",
           "main"]

_DUPLE = ("2/4", "4/4", "2/2")
_TWO = ("2/4", "2/2", "4/4")  # grooves of a two-beat bar take 2/4 tunes first
_FOUR = ("4/4", "2/2", "2/4")
#: (groove, subset, BPM range of the notated beat, metres of the tunes it takes, count).
#: Clear: a stated beat (many over a two-beat bar with a steady 16th layer).  Ambiguous:
#: half-time dance grooves stated at the full tempo, four-on-the-floor at 180-200, mambo
#: above 160, the chacarera's 6/8-against-3/4 hemiola and the Afro-Cuban 6/8 bell.
FOURTH_TUNE_PLAN = (("choro", "clear", (84, 112), _TWO, 5),
                    ("frevo", "clear", (136, 160), _TWO, 5),
                    ("xote", "clear", (84, 110), _FOUR, 4),
                    ("partidoalto", "clear", (92, 112), _TWO, 5),
                    ("axe", "clear", (108, 134), _TWO, 4),
                    ("chachacha", "clear", (108, 126), _FOUR, 4),
                    ("bolero", "clear", (62, 82), _FOUR, 4),
                    ("motown", "clear", (100, 132), _FOUR, 4),
                    ("secondline", "clear", (88, 112), _TWO, 5),
                    ("techno", "clear", (125, 135), _FOUR, 5),
                    ("electro", "clear", (108, 130), _FOUR, 4),
                    ("swing", "clear", (104, 168), _FOUR, 5),
                    ("countryshuffle", "clear", (96, 140), _FOUR, 4),
                    ("newjack", "clear", (94, 112), _FOUR, 4),
                    ("dubstep", "ambiguous", (138, 142), _FOUR, 6),
                    ("grime", "ambiguous", (138, 142), _FOUR, 5),
                    ("gqom", "ambiguous", (120, 128), _FOUR, 5),
                    ("moombahton", "ambiguous", (106, 112), _FOUR, 5),
                    ("gabber", "ambiguous", (180, 200), _FOUR, 6),
                    ("liquiddnb", "ambiguous", (170, 176), _FOUR, 5),
                    ("traphalf", "ambiguous", (140, 160), _FOUR, 6),
                    ("mambo", "ambiguous", (164, 196), _FOUR, 5),
                    ("chacarera", "ambiguous", (96, 126), ("6/8",), 6),
                    ("chacarera34", "ambiguous", (138, 168), ("3/4",), 5),
                    ("afro68", "ambiguous", (76, 118), ("12/8", "6/8"), 6),
                    ("none", "drumless", (62, 130), _DUPLE, 16),
                    ("none", "drumless", (62, 130), ("3/4",), 14),
                    ("none", "drumless", (48, 92), ("6/8", "12/8"), 12),
                    ("none", "drumless", (52, 92), ("9/8",), 10))

#: The held-out soundfonts it renders with (names of :data:`benchmarks.evalset.SOUNDFONTS`).
FOURTH_FONTS = ("musescore", "musescore_full", "timgm6mb", "csound")
_CLASSICAL_PIECES = 50
_METERS = ("2/4", "3/4", "4/4", "2/2", "6/8", "9/8", "12/8")
#: Quartet movements no edition has (the first edition read them whole, the unseen edition
#: by an opening section that ended elsewhere than on the tonic; neither took them).
_EXCERPTS = (
    [("haydn/opus1no1/movement3", "quartet"), ("haydn/opus74no1/movement2", "quartet"),
     ("haydn/opus74no1/movement4", "quartet"), ("mozart/k156/movement1", "quartet"),
     ("mozart/k80/movement3", "quartet"), ("mozart/k545/movement1_exposition", "piece")]
    + [(f"beethoven/opus18no1/movement{i}.mxl", "quartet") for i in (1, 3)]
    + [(f"beethoven/opus59no1/movement{i}", "quartet") for i in (1, 2, 3, 4)]
    + [("beethoven/opus59no3/movement1", "quartet")]
    + [(f"schumann_robert/opus41no1/movement{i}", "quartet") for i in (1, 2, 3, 5)])
#: (corpus file, largest number of tunes taken from it), read in this order.
_TUNE_FILES = (("oneills1850/1136-1175.abc", 14), ("oneills1850/1116-1135_mh.abc", 10),
               ("oneills1850/0951-0981.abc", 16), ("oneills1850/0701-0720.abc", 12),
               ("oneills1850/0981-1000.abc", 10), ("oneills1850/1376-1475.abc", 24),
               ("oneills1850/1556-1624.abc", 28), ("oneills1850/1701-1780.abc", 28),
               ("oneills1850/1801-1850.abc", 24), ("oneills1850/0487-0500.abc", 12),
               ("essenFolksong/erk10.abc", 22), ("essenFolksong/fink0.abc", 18),
               ("essenFolksong/lot.abc", 18), ("essenFolksong/dva0.abc", 14),
               ("essenFolksong/zuccal0.abc", 18))
_SEED = 14
_FRESH_RYAN_SEED, _FRESH_MONTEVERDI_SEED = 31, 33  # the fresh edition's draws (left out)


def _excerpt(score, name: str, kind: str, *, min_beats: float, max_bars: int):
    """The opening of a movement up to the latest bar (within ``max_bars``) whose downbeat
    bass is the opening's tonic, or None.

    The tonic is the bass of the first downbeat, which must be the key signature's major
    tonic or that of its relative minor; the excerpt stops before any change of metre or key
    signature and ends with the chord on that downbeat (held one bar).
    """
    from music21 import meter

    from benchmarks.evalsources import _notes, beat_of, signatures

    ts, ks = signatures(score)
    if not ts or not ks:
        return None
    beat = beat_of(ts[0][1])
    if beat is None or ts[0][1] not in _METERS:
        return None
    change = min([o for o, r in ts if r != ts[0][1]] + [o for o, k in ks if k != ks[0][1]]
                 + [float("inf")])
    notes, names = _notes(score, beat_ql=beat)
    bar = float(meter.TimeSignature(ts[0][1]).barDuration.quarterLength)
    measures = list(score.parts[0].getElementsByClass("Measure"))
    pickup = float(measures[0].duration.quarterLength) if (
        measures and measures[0].duration.quarterLength < bar) else 0.0

    def bass_at(t):
        sounding = [m for o, d, m, *_ in notes if o <= t + 1e-6 < o + d]
        return min(sounding) % 12 if sounding else None

    tonic = bass_at(pickup)
    major = (7 * ks[0][1]) % 12
    if tonic is None or tonic not in (major, (major + 9) % 12):
        return None
    min_bars = int(np.ceil(min_beats * beat / bar))
    for k in range(max_bars, min_bars - 1, -1):
        end = pickup + k * bar
        if end + bar > change or bass_at(end) != tonic:
            continue
        cut = [[o, min(d, end + bar - o), *rest] for o, d, *rest in notes if o <= end + 1e-6]
        if len(cut) < 16:
            return None
        return {"id": name, "kind": kind, "meter": ts[0][1], "beat_ql": beat, "bar_ql": bar,
                "pickup_ql": pickup, "tonic": tonic,
                "mode": "major" if tonic == major else "minor", "notes": sorted(cut),
                "parts": names, "length_ql": float(max(o + d for o, d, *_ in cut))}
    return None


def excerpt_sources(plan: list[tuple[str, str]], *, min_beats: float = 48.0,
                    max_bars: int = 40, limit: int | None = None) -> list[dict]:
    """Opening excerpts of movements that end on a tonic downbeat (see :func:`_excerpt`).

    Parameters
    ----------
    plan : list of (corpus path, kind)
        The files to read, in order, and the kind each source is given.
    min_beats : float
        Shortest excerpt taken, in notated beats.
    max_bars : int
        Longest excerpt, in bars (a render plays at most about 50 s of it).
    limit : int, optional
        Largest number of excerpts returned.

    Returns
    -------
    list of dict
        As :func:`benchmarks.evalsources.classical_sources`.
    """
    from benchmarks.evalsources import rule_sources

    def rule(score, path, kind):
        return _excerpt(score, path, kind, min_beats=min_beats, max_bars=max_bars)

    return rule_sources(plan, rule, limit=limit)


def fourth_sources(known_tunes: set, known_pieces: set) -> dict:
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


def classical_part(known_pieces: set) -> list[dict]:
    """The edition's classical sources (see :func:`fourth_sources`)."""
    from benchmarks.evalsources import (
        chorale_paths,
        classical_sources,
        composer_paths,
        corpus_paths,
        melody_signature,
    )

    rng = np.random.default_rng(_SEED)
    plan_ = [(p, k) for p, k in _EXCERPTS if p not in known_pieces]
    excerpts = [s for s in excerpt_sources(plan_, limit=16)
                if melody_signature(s, part=0) not in known_pieces]
    fresh_madrigals = set(composer_paths("monteverdi", count=60, seed=_FRESH_MONTEVERDI_SEED))
    madrigals = [p for p in corpus_paths("monteverdi", ".mxl") if p not in fresh_madrigals]
    josquin = corpus_paths("josquin", ".abc")
    palestrina = corpus_paths("palestrina", ".krn")
    palestrina = [palestrina[i] for i in rng.permutation(len(palestrina))[:60]]
    chorales = chorale_paths()
    chorales = [chorales[i] for i in rng.permutation(len(chorales))]
    plan_ = ([(p, "madrigal") for p in madrigals + josquin] + [(p, "motet") for p in palestrina]
             + [(p, "chorale") for p in chorales])
    taken = set(known_pieces) | {melody_signature(s, part=0) for s in excerpts}
    others = classical_sources(plan_, chorales=0, limit={"madrigal": 8, "motet": 5},
                               exclude=taken)
    taken |= {melody_signature(s, part=0) for s in others}
    classical = excerpts + others
    classical += classical_sources(plan_[-len(chorales):],
                                   chorales=_CLASSICAL_PIECES - len(classical), exclude=taken)
    return classical


def tune_files() -> tuple[tuple[str, int], ...]:
    """(corpus file, largest number of tunes taken from it) of the edition, in order:
    :data:`_TUNE_FILES`, then 40 Ryan's Mammoth tunes outside the fresh edition's draw."""
    from benchmarks.evalsources import corpus_paths

    rng = np.random.default_rng(_SEED + 1)
    ryan = corpus_paths("ryansMammoth")
    fresh_draw = set(np.array(ryan)[np.random.default_rng(_FRESH_RYAN_SEED)
                                    .permutation(len(ryan))[:400]])
    ryan = [p for p in ryan if p not in fresh_draw]
    ryan = [ryan[i] for i in sorted(rng.permutation(len(ryan))[:40])]
    return _TUNE_FILES + tuple((p, 1) for p in ryan)


def tune_part(known_tunes: set, files: tuple[tuple[str, int], ...] | None = None,
              ) -> list[dict]:
    """The edition's tunes (see :func:`fourth_sources`).

    Each file gives up to its count of tunes that no other edition has (read on its own, so
    that files can be read in parallel); a tune whose melody an earlier file gave is then
    dropped.
    """
    from benchmarks.evalsources import tune_sources

    per_file = [tune_sources((path,), limit=count, exclude=set(known_tunes), meters=_METERS)
                for path, count in (tune_files() if files is None else files)]
    return merge_tunes(per_file)


def merge_tunes(per_file: list[list[dict]]) -> list[dict]:
    """The tunes of each file in order, without a melody that an earlier one has."""
    from benchmarks.evalsources import melody_signature

    seen: set = set()
    out = []
    for tunes in per_file:
        for t in tunes:
            sig = melody_signature(t)
            if sig not in seen:
                seen.add(sig)
                out.append(t)
    return out


def overlaps(cache: str, others: dict[str, str]) -> dict[str, list]:
    """What the built fourth edition shares with other built editions (nothing, if sound).

    Parameters
    ----------
    cache : str
        Folder of the fourth edition (with its ``sources.json``).
    others : dict
        Edition name -> folder; editions whose ``sources.json`` is missing are skipped.

    Returns
    -------
    dict
        Edition name -> the shared corpus paths and melody signatures (empty lists if none).
    """
    import json
    import os

    from benchmarks.evalsources import melody_signature

    def keys(src):
        pieces = {k for c in src["classical"] for k in (c["id"], melody_signature(c, part=0))}
        tunes = {k for t in src["tunes"] for k in (t["id"], melody_signature(t))}
        return pieces | tunes

    with open(os.path.join(cache, "sources.json")) as f:
        mine = keys(json.load(f))
    out = {}
    for name, folder in others.items():
        path = os.path.join(folder, "sources.json")
        if os.path.exists(path) and os.path.abspath(folder) != os.path.abspath(cache):
            with open(path) as f:
                out[name] = sorted(map(str, mine & keys(json.load(f))))
    return out


def main(argv=None) -> int:
    """Print what the built fourth edition shares with every other built edition."""
    import argparse

    from benchmarks.evalset import EDITIONS

    ap = argparse.ArgumentParser(description="check that the fourth edition shares no piece, "
                                 "tune or groove with any other built edition")
    ap.add_argument("--cache", default=EDITIONS["fourth"][0])
    args = ap.parse_args(argv)
    shared = overlaps(args.cache, {n: e[0] for n, e in EDITIONS.items() if n != "fourth"})
    mine = {g for g, *_r in FOURTH_TUNE_PLAN} - {"none"}
    grooves = {n: sorted(mine & {g for g, *_r in e[4]}) for n, e in EDITIONS.items()
               if n != "fourth"}
    bad = 0
    for name in sorted(set(shared) | set(grooves)):
        both = shared.get(name, []) + grooves.get(name, [])
        bad += len(both)
        state = "not built" if name not in shared else (f"{len(both)} shared" if both else "none shared")
        print(f"{name:<10} {state}" + (f": {', '.join(both[:8])}" if both else ""))
    return 1 if bad else 0


if __name__ == "__main__":
    import sys

    sys.exit(main())
