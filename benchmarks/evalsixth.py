"""The ``sixth`` edition of the evaluation set: its material, its plan and its overlap check.

A sixth held-out-only set (``~/.cache/songcal-eval-sixth``, 226 files of 30 s), built
after the tempo model had been trained on every earlier edition, to be measured once.
Nothing in it is in another edition and nothing was tuned on it; its main difference is
the instruments:

* **instruments**: no General MIDI soundfont and no GUS patch set at all.  The pitched parts
  are synthesized by Csound with physical models and FM instruments (plucked and bowed
  strings, flute, clarinet, brass, marimba, vibraphone, Rhodes, Wurlitzer, Hammond, FM
  bells and a subtractive pad, bass and lead), chosen by General MIDI family; the drums are
  recorded samples from the Hydrogen drum kits (package ``hydrogen-drumkits``: acoustic,
  break and electronic kits, a hand-percussion kit and a West African kit) and Sonic Pi's
  tabla and percussion hits (``sonic-pi-samples``).  See :mod:`benchmarks.evalsixthrender`.
* **classical**: Bach chorales whose tune no other edition has and opening excerpts of
  pieces no edition took, as in the fifth edition; music21's corpus has almost nothing
  left, so this subset is tiny (the count is printed when the edition is built).
* **tunes**: Ryan's Mammoth tunes outside the ``fresh``, ``fourth`` and ``fifth`` editions'
  draws (2/4, 2/2, 4/4 and 6/8: none of those files has been read), and, for the metres
  that collection has no unread tune in, the tunes in 3/4, 9/8 and 12/8 that no edition
  took from Essen, Aird's Airs, O'Neill and Northumbrian Minstrelsy collections (the
  earlier editions' tune limits or metres left them out; the two Essen test files and the
  second copy of O'Neill's slip jigs were read by none).  No melody any other edition has.
* **grooves** only this edition plays (:mod:`benchmarks.evalsixthgrooves`), among them
  a 9/8 slip-jig groove, and drumless tunes in duple, triple and compound metre.
* **rendering variation**: the fifth edition's kinds (detuning, room, master, drift and
  tempo steps, wow, bus, width, noise floor, slapback, fade), drawn afresh.

**Truth.**  As in every edition: the BPM of the notated beat (a quarter in 2/4, 3/4, 4/4, a
dotted quarter in 6/8, 9/8 and 12/8, a half in 2/2; the mean tempo of a file that drifts)
and the score's key transposed with the item.

``python -m benchmarks.evalsixth`` checks the built edition: for every other edition of
:data:`benchmarks.evalset.EDITIONS` and the drift benchmark's renders it prints the corpus
paths, melodies, grooves and instrument sources the two share (none, when sound; exit
status 1 otherwise).
"""

from __future__ import annotations

import numpy as np

__all__ = ["SIXTH_FONTS", "SIXTH_TUNE_PLAN", "TUNE_FILES", "EXTRA_EXCERPTS", "sixth_sources",
           "tune_part", "tune_files", "classical_part", "shared_grooves", "audio_check",
           "report_shared", "check_fonts", "main"]

_TWO = ("2/4", "4/4", "2/2")
_FOUR = ("4/4", "2/4", "2/2")  # the reels in 2/2 are kept for the half-note grooves
_HALF = ("2/2", "4/4", "2/4")
_COMPOUND = ("6/8", "12/8")
#: (groove, subset, BPM range of the notated beat, metres of the tunes it takes, count).
#: Clear: a stated beat.  Ambiguous: half-time grooves stated at the full tempo, fast
#: four-on-the-floor, a fast waltz felt one to the bar, a slow groove with a double-time
#: hand-drum figure and a West African 6/8 with three against two.  There is no classical
#: piece left (see the module docstring), so the tunes make up the set.
SIXTH_TUNE_PLAN = (("rumba", "clear", (100, 128), _FOUR, 9),
                   ("glamstomp", "clear", (108, 132), _FOUR, 9),
                   ("surf", "clear", (140, 166), _HALF, 8),
                   ("kuku", "clear", (100, 130), _FOUR, 9),
                   ("keherwa", "clear", (84, 112), _FOUR, 9),
                   ("kpanlogo", "clear", (110, 130), _TWO, 9),
                   ("triphop", "clear", (80, 96), _FOUR, 8),
                   ("beguine", "clear", (100, 124), _TWO, 9),
                   ("countrywaltz", "clear", (84, 132), ("3/4",), 10),
                   ("slipjig", "clear", (96, 126), ("9/8",), 5),
                   ("halfshuffle", "ambiguous", (140, 168), _FOUR, 9),
                   ("futurebass", "ambiguous", (140, 160), _FOUR, 9),
                   ("jerseyclub", "ambiguous", (136, 146), _FOUR, 8),
                   ("hardtechno", "ambiguous", (172, 188), _HALF, 9),
                   ("musette", "ambiguous", (160, 190), ("3/4",), 9),
                   ("nyabinghi", "ambiguous", (60, 76), _FOUR, 9),
                   ("soli", "ambiguous", (84, 120), _COMPOUND, 10),
                   ("none", "drumless", (62, 130), ("2/4", "4/4"), 18),
                   ("none", "drumless", (56, 110), ("2/2",), 14),
                   ("none", "drumless", (62, 130), ("3/4",), 18),
                   ("none", "drumless", (48, 92), ("12/8", "6/8"), 18),
                   ("none", "drumless", (52, 92), ("9/8",), 10))
#: The edition's one instrument source (a name of :data:`benchmarks.evalset.SOUNDFONTS`):
#: Csound's models for the pitched parts, sample kits for the drums.
SIXTH_FONTS = ("csound_models",)
_METERS = ("2/4", "3/4", "4/4", "2/2", "6/8", "9/8", "12/8")
_TRIPLE = ("3/4", "9/8", "12/8")
_COMPOUND_TRIPLE = ("9/8", "12/8")
#: (corpus file, largest number of tunes taken from it, metres taken), read in this order
#: after the Ryan's Mammoth tunes.  Only metres the unread Ryan's Mammoth files lack; the
#: files read last give slip jigs (9/8) and 12/8 tunes only, which the cap of the files
#: read first had left out.
TUNE_FILES = (("essenFolksong/test0.abc", 10, _TRIPLE), ("essenFolksong/test1.abc", 10, _TRIPLE),
              ("essenFolksong/testd.abc", 10, _TRIPLE), ("essenFolksong/teste.abc", 10, _TRIPLE),
              ("oneills1850/1116-1135_ml.abc", 20, _TRIPLE),
              ("miscFolk/northumbrianminstrelsyopus.abc", 20, ("9/8", "12/8")),
              ("airdsAirs/book2.abc", 10, _TRIPLE), ("airdsAirs/book3.abc", 10, _TRIPLE),
              ("airdsAirs/book5.abc", 10, _TRIPLE), ("airdsAirs/book6.abc", 10, _TRIPLE),
              ("oneills1850/0101-0200.abc", 4, ("9/8", "12/8")),
              ("oneills1850/0951-0981.abc", 4, ("9/8", "12/8")),
              ("essenFolksong/boehme10.abc", 10, ("3/4",)),
              ("essenFolksong/lux.abc", 8, ("3/4",)),
              ("airdsAirs/book1.abc", 10, _COMPOUND_TRIPLE),
              ("airdsAirs/book4.abc", 10, _COMPOUND_TRIPLE),
              ("airdsAirs/book5.abc", 10, _COMPOUND_TRIPLE),
              ("airdsAirs/book6.abc", 10, _COMPOUND_TRIPLE),
              ("oneills1850/0001-0050.abc", 4, _COMPOUND_TRIPLE),
              ("oneills1850/0351-0400.abc", 4, _COMPOUND_TRIPLE),
              ("oneills1850/0401-0486.abc", 4, _COMPOUND_TRIPLE),
              ("oneills1850/1801-1850.abc", 4, _COMPOUND_TRIPLE),
              ("essenFolksong/folkHaydn.abc", 4, _COMPOUND_TRIPLE),
              ("essenFolksong/irl.abc", 4, _COMPOUND_TRIPLE),
              ("essenFolksong/ballad40.abc", 4, _COMPOUND_TRIPLE))
#: Pieces no edition listed, read for opening excerpts after the fifth edition's candidates.
EXTRA_EXCERPTS = (("beethoven/opus18no3", "quartet"), ("beethoven/opus132", "quartet"))
_RYAN_TUNES = 330
_CLASSICAL_PIECES = 50
_SEED = 16


def sixth_sources(known_tunes: set, known_pieces: set) -> dict:
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


def tune_files() -> tuple[tuple[str, int, tuple[str, ...]], ...]:
    """(corpus file, largest number of tunes, metres) of the edition, in reading order:
    a seeded draw of the Ryan's Mammoth files outside the fresh, fourth and fifth editions'
    draws, then :data:`TUNE_FILES`."""
    from benchmarks.evalfifth import tune_files as fifth_files
    from benchmarks.evalfourth import tune_files as fourth_files
    from benchmarks.evalsources import corpus_paths

    ryan = corpus_paths("ryansMammoth")
    fresh_draw = set(np.array(ryan)[np.random.default_rng(31).permutation(len(ryan))[:400]])
    taken = {p for p, _n in fourth_files()} | {p for p, _n in fifth_files()}
    left = [p for p in ryan if p not in fresh_draw and p not in taken]
    picked = [left[i] for i in np.random.default_rng(_SEED).permutation(len(left))[:_RYAN_TUNES]]
    return tuple((p, 1, _METERS) for p in picked) + TUNE_FILES


def tune_part(known_tunes: set, files=None) -> list[dict]:
    """The edition's tunes: up to the count of each file in its metres, none whose melody
    another edition or an earlier file has."""
    from benchmarks.evalfourth import merge_tunes
    from benchmarks.evalsources import tune_sources

    per_file = []
    for path, count, meters in (tune_files() if files is None else files):
        per_file.append(tune_sources((path,), limit=count, exclude=set(known_tunes),
                                     meters=meters))
    return merge_tunes(per_file)


def classical_part(known_pieces: set) -> list[dict]:
    """Bach chorales whose tune no other edition has (in an order of this edition's seed),
    then opening excerpts ending on a tonic downbeat of the fifth edition's candidates and
    :data:`EXTRA_EXCERPTS`, none whose top part another edition has."""
    from benchmarks.evalfifth import excerpt_candidates
    from benchmarks.evalfourth import excerpt_sources
    from benchmarks.evalsources import chorale_paths, classical_sources, melody_signature

    chorales = chorale_paths()
    chorales = [chorales[i] for i in np.random.default_rng(_SEED).permutation(len(chorales))]
    out = classical_sources([(p, "chorale") for p in chorales], chorales=_CLASSICAL_PIECES,
                            exclude=set(known_pieces))
    taken = set(known_pieces) | {melody_signature(s, part=0) for s in out}
    cands = excerpt_candidates(known_pieces) + [c for c in EXTRA_EXCERPTS
                                                if c[0] not in known_pieces]
    for s in excerpt_sources(cands, min_beats=40.0, max_bars=48):
        sig = melody_signature(s, part=0)
        if sig not in taken and s["id"] not in taken:
            taken.add(sig)
            out.append(s)
    return out


def shared_grooves(editions: dict) -> dict[str, list[str]]:
    """The sixth edition's grooves that other editions also play
    (:func:`benchmarks.evalfifth.grooves_shared`)."""
    from benchmarks.evalfifth import grooves_shared

    return grooves_shared("sixth", editions)


def _instruments_shared(items: list[dict]) -> list[str]:
    """The instrument sources of another edition's manifest ``items`` that the sixth edition
    uses: its Csound models and its sample kits."""
    out = sorted({it.get("soundfont") for it in items} & set(SIXTH_FONTS))
    out += sorted({it["drumkit"] for it in items if it.get("drumkit")})
    return out


def audio_check(cache: str) -> tuple[list[str], int]:
    """Sanity of the built edition without analysing its music: the counts of the manifest,
    every file's length, sample rate, peak and RMS level, and how each stem stood in its mix
    (``stems.json``, see :func:`benchmarks.evalsixthrender.stem_report`).

    Returns
    -------
    (list of str, int)
        The lines of the report and the number of problems (a missing file, a length other
        than the planned, a peak above full scale, a stem more than 20 dB under its mix or
        heard in under half of the mix's windows).
    """
    import collections
    import json
    import os

    import soundfile as sf

    with open(os.path.join(cache, "manifest.json")) as f:
        items = json.load(f)
    stems_path = os.path.join(cache, "stems.json")
    stems = {}
    if os.path.exists(stems_path):
        with open(stems_path) as f:
            stems = json.load(f)
    lines, bad = [], 0
    for key in ("subset", "meter", "style", "drumkit", "hand_set"):
        counts = collections.Counter(str(it.get(key)) for it in items)
        lines.append(f"{key}: " + ", ".join(f"{k} {n}" for k, n in sorted(counts.items())))
    peaks, levels, missing, weak = [], [], [], []
    for it in items:
        path = os.path.join(cache, it["file"])
        if not os.path.exists(path):
            missing.append(it["id"])
            continue
        y, sr = sf.read(path, dtype="float64", always_2d=True)
        if sr != it["sr"] or abs(len(y) / sr - it["seconds"]) > 0.01:
            bad += 1
            lines.append(f"{it['id']}: {len(y) / sr:.2f} s at {sr} Hz, planned "
                         f"{it['seconds']} s at {it['sr']} Hz")
        peaks.append(float(np.max(np.abs(y))))
        levels.append(20 * np.log10(float(np.sqrt(np.mean(y ** 2))) or 1e-12))
        for ch, (rel, heard) in stems.get(it["id"], {}).items():
            if rel < -20 or heard < 0.5:
                weak.append(f"{it['id']}/{ch} {rel:+.1f} dB heard {heard:.0%}")
    bad += len(missing) + len(weak) + sum(p > 1.0 for p in peaks)
    if peaks:
        lines.append(f"{len(peaks)} files: peak {min(peaks):.3f}-{max(peaks):.3f}, RMS "
                     f"{min(levels):.1f} to {max(levels):.1f} dBFS")
    lines.append(f"missing {len(missing)}" + (f": {', '.join(missing[:10])}" if missing else ""))
    rels = [r for rep in stems.values() for r, _h in rep.values()]
    heard = [h for rep in stems.values() for _r, h in rep.values()]
    if rels:
        lines.append(f"stems of {len(stems)} files: {min(rels):+.1f} to {max(rels):+.1f} dB "
                     f"under the mix, heard in {min(heard):.0%}-{max(heard):.0%} of its "
                     f"windows; weak: {len(weak)} {', '.join(weak[:6])}")
    return lines, bad


def report_shared(name: str, cache: str, instruments) -> int:
    """Print what the built edition ``name`` (folder ``cache``) shares with every other built
    edition of :data:`benchmarks.evalset.EDITIONS` and with the drift benchmark's renders.

    Parameters
    ----------
    name : str
        The edition checked.
    cache : str
        Its folder (with its ``sources.json``).
    instruments : callable
        ``instruments(items)``: the instrument sources of another edition's manifest items
        that ``name`` uses too.

    Returns
    -------
    int
        The number of shared pieces, tunes, grooves and instrument sources (0, when sound).
        An edition of :data:`benchmarks.evalset.REPLAYED_GROOVES` replays other editions'
        grooves by design: they are printed and not counted.
    """
    import json
    import os

    from benchmarks.evalfifth import _drift_shared, grooves_shared
    from benchmarks.evalfourth import overlaps
    from benchmarks.evalset import CACHE, EDITIONS, REPLAYED_GROOVES

    others = {n: e[0] for n, e in EDITIONS.items() if n != name}
    shared = overlaps(cache, others)
    grooves = grooves_shared(name, EDITIONS)
    by_design = name in REPLAYED_GROOVES
    bad = 0
    for other in sorted(others):
        if other not in shared:
            print(f"{other:<10} not built")
            continue
        manifest = os.path.join(others[other], "manifest.json")
        items = []
        if os.path.exists(manifest):
            with open(manifest) as f:
                items = json.load(f)
        both = shared[other] + ([] if by_design else grooves.get(other, [])) + instruments(items)
        bad += len(both)
        line = (f"{len(both)} shared: {', '.join(both[:8])}" if both else
                "none shared (pieces, tunes, instruments)" if by_design else
                "none shared (pieces, tunes, grooves, instruments)")
        if by_design and grooves.get(other):
            line += f"; grooves by design: {', '.join(grooves[other])}"
        print(f"{other:<10} {line}")
    drift = _drift_shared(cache, CACHE + "-drift")
    if drift is None:
        print(f"{'drift':<10} not built")
    else:
        drift = [d for d in drift if d != "freepats"]  # these editions have no freepats
        bad += len(drift)
        print(f"{'drift':<10} " + (f"{len(drift)} shared: {', '.join(drift[:8])}" if drift
                                   else "none shared (pieces, tunes, instruments)"))
    return bad


def check_fonts(name: str, fonts: tuple[str, ...], argv=None) -> int:
    """``python -m benchmarks.eval<name>``: :func:`report_shared` for edition ``name``, whose
    instrument sources are the soundfonts ``fonts``; exit status 1 when anything is shared.
    """
    import argparse

    from benchmarks.evalset import EDITIONS

    ap = argparse.ArgumentParser(description=f"check what the {name} edition shares with "
                                 "another edition (pieces, tunes, grooves, instrument sources)")
    ap.add_argument("--cache", default=EDITIONS[name][0])
    args = ap.parse_args(argv)

    def fonts_of(items: list[dict]) -> list[str]:
        return sorted({it.get("soundfont") for it in items} & set(fonts))

    return 1 if report_shared(name, args.cache, fonts_of) else 0


def main(argv=None) -> int:
    """Print what the built sixth edition shares with every other built edition (and, with
    ``--audio``, the sanity of its files: :func:`audio_check`)."""
    import argparse

    from benchmarks.evalset import EDITIONS

    ap = argparse.ArgumentParser(description="check that the sixth edition shares no piece, "
                                 "tune, groove or instrument source with another edition")
    ap.add_argument("--cache", default=EDITIONS["sixth"][0])
    ap.add_argument("--audio", action="store_true",
                    help="also check the files' lengths, levels and stems (no analysis)")
    args = ap.parse_args(argv)
    bad = report_shared("sixth", args.cache, _instruments_shared)
    if args.audio:
        lines, problems = audio_check(args.cache)
        print("\n".join(lines))
        bad += problems
    return 1 if bad else 0


if __name__ == "__main__":
    import sys

    sys.exit(main())
