"""Musical material of the evaluation set, read from music21's bundled corpus.

Two kinds of source, each a plain dict (JSON-friendly) with the notes in quarter lengths:

* **classical** pieces: Bach chorales, string-quartet movements (Haydn, Mozart, Beethoven,
  Schumann), piano pieces and rags, Lieder and arias -- rendered as they are written;
* **tunes**: folk melodies (O'Neill's Irish collection, the Essen German songs) that the
  renderer harmonizes and accompanies, with or without a drum groove.

The key comes from the score: its key signature, with the mode settled by the final bass
note (the tonic of the major key or of its relative minor); a piece that ends elsewhere
(modal chorales, a half cadence) is left out.  The beat is the notated one: a quarter in x/4,
a dotted quarter in 6/8, 9/8 and 12/8, a half in 2/2 and 3/2; other metres are left out.
"""

from __future__ import annotations

import logging

__all__ = ["classical_sources", "opening_sources", "rule_sources", "tune_sources", "beat_of",
           "signatures", "chorale_paths", "corpus_paths", "composer_paths", "melody_signature"]

log = logging.getLogger(__name__)

#: Beat length (quarter lengths) of each accepted time signature.
_BEAT = {"2/4": 1.0, "3/4": 1.0, "4/4": 1.0, "6/8": 1.5, "9/8": 1.5, "12/8": 1.5,
         "2/2": 2.0, "3/2": 2.0}

_QUARTETS = (
    [f"haydn/opus1no1/movement{i}" for i in range(1, 6)]
    + [f"haydn/opus74no1/movement{i}" for i in range(1, 5)]
    + [f"mozart/k155/movement{i}" for i in range(1, 4)]
    + [f"mozart/k156/movement{i}" for i in range(1, 5)]
    + [f"mozart/k458/movement{i}" for i in range(1, 5)]
    + [f"mozart/k80/movement{i}" for i in range(1, 5)]
    + [f"beethoven/opus18no1/movement{i}.mxl" for i in range(1, 5)]
    + [f"beethoven/opus59no{j}/movement{i}" for j in (1, 2, 3) for i in range(1, 5)]
    + [f"schumann_robert/opus41no1/movement{i}" for i in range(1, 6)]
)
_OTHERS = ("joplin/maple_leaf_rag", "leadSheet/berlinAlexandersRagtime", "schubert/Lindenbaum",
           "schumann_robert/dichterliebe_no2", "schumann_robert/opus48no2",
           "handel/rinaldo/Lascia_chio_pianga", "corelli/opus3no1/1grave",
           "verdi/laDonnaEMobile", "mozart/k545/movement1_exposition",
           "schumann_clara/polonaise_op1n1", "schumann_clara/polonaise_op1n2",
           "schumann_clara/polonaise_op1n3", "schumann_clara/polonaise_op1n4",
           "weber/concertino_clarinet", "cpebach/h186", "chopin/mazurka06-2.krn",
           "leadSheet/fosterBrownHair")
_TUNE_FILES = ("oneills1850/0001-0050.abc", "oneills1850/0051-0100.abc",
               "oneills1850/0101-0200.abc", "oneills1850/0201-0300.abc",
               "essenFolksong/erk5.abc", "essenFolksong/kinder0.abc",
               "essenFolksong/altdeu10.abc")


def beat_of(meter: str) -> float | None:
    """Beat length in quarter lengths of a time signature such as ``"6/8"``, or None."""
    return _BEAT.get(meter)


def _key_signature_key(score):
    """(tonic pitch class, mode) from the key signature and the final bass note, or None."""
    from music21 import key as m21key

    sigs = list(score.recurse().getElementsByClass(m21key.KeySignature))
    if not sigs:
        return None
    sig = sigs[0]
    major = (7 * sig.sharps) % 12
    minor = (major + 9) % 12
    notes = list(score.flatten().notes)
    if not notes:
        return None
    end = max(n.offset for n in notes)
    last = [p.midi for n in notes if n.offset >= end - 1e-6 for p in n.pitches]
    bass = min(last) % 12
    mode = getattr(sig, "mode", None)
    if bass == major and mode in (None, "major"):
        return major, "major"
    if bass == minor and mode in (None, "minor"):
        return minor, "minor"
    return None


def _notes(score, *, beat_ql: float):
    """Notes as [onset_ql, duration_ql, midi, part, fermata] and the parts' names."""
    from music21 import expressions

    rows, names = [], []
    for p_i, part in enumerate(score.parts):
        names.append((part.partName or "").lower())
        for n in part.stripTies().flatten().notes:
            ferm = any(isinstance(e, expressions.Fermata) for e in n.expressions)
            for p in n.pitches:
                rows.append([float(n.offset), float(max(n.quarterLength, 0.125)), int(p.midi),
                             p_i, bool(ferm)])
    rows.sort()
    return rows, names


def _describe(score, name: str, kind: str):
    from music21 import meter

    sigs = list(score.recurse().getElementsByClass(meter.TimeSignature))
    if not sigs or len({s.ratioString for s in sigs}) != 1:
        return None
    ts = sigs[0].ratioString
    beat = beat_of(ts)
    if beat is None:
        return None
    key = _key_signature_key(score)
    if key is None:
        return None
    notes, names = _notes(score, beat_ql=beat)
    if len(notes) < 16:
        return None
    length = max(o + d for o, d, *_ in notes)
    # Pickup bars: the first downbeat is where the first full bar starts.
    measures = list(score.parts[0].getElementsByClass("Measure"))
    pickup = 0.0
    if measures and measures[0].duration.quarterLength < sigs[0].barDuration.quarterLength:
        pickup = float(measures[0].duration.quarterLength)
    return {"id": name, "kind": kind, "meter": ts, "beat_ql": beat,
            "bar_ql": float(sigs[0].barDuration.quarterLength), "pickup_ql": pickup,
            "tonic": key[0], "mode": key[1], "notes": notes, "parts": names,
            "length_ql": float(length)}


def chorale_paths(start: int = 0, stop: int | None = None) -> list[str]:
    """Corpus paths of Bach's four-part chorales, in corpus order, ``start:stop``."""
    from music21 import corpus

    bach = sorted(str(p).split("/corpus/")[-1] for p in corpus.getComposer("bach"))
    return [p for p in bach if p.startswith("bach/bwv") and p.endswith(".mxl")][start:stop]


def corpus_paths(name: str, ext: str = "") -> list[str]:
    """Every corpus path of a composer or collection (files ending in ``ext``), sorted."""
    from music21 import corpus

    paths = sorted(str(p).split("/corpus/")[-1] for p in corpus.getComposer(name))
    return [p for p in paths if p.endswith(ext)]


def composer_paths(name: str, *, count: int, seed: int, ext: str = ".mxl") -> list[str]:
    """``count`` corpus paths of a composer (files ending in ``ext``), drawn with a seed."""
    import numpy as np

    paths = corpus_paths(name, ext)
    rng = np.random.default_rng(seed)
    return [paths[i] for i in sorted(rng.permutation(len(paths))[:count])]


def classical_sources(plan: list[tuple[str, str]] | None = None, *, chorales: int = 70,
                      limit: dict[str, int] | None = None,
                      exclude: set | None = None) -> list[dict]:
    """Chorales, quartet movements and other classical pieces with a clear key and metre.

    Parameters
    ----------
    plan : list of (corpus path, kind), optional
        The files to read, in order; by default the first edition's: Bach's chorales in
        corpus order, then :data:`_QUARTETS` and :data:`_OTHERS`.
    chorales : int
        Largest number of Bach chorales taken (in plan order).
    limit : dict, optional
        Largest number of pieces taken of other kinds (kind -> count).
    exclude : set, optional
        Corpus paths and top-part :func:`melody_signature` values that must not be taken
        (pieces another edition has; the same chorale tune under another harmonization);
        when given, a piece whose top part repeats one taken before is skipped too.

    Returns
    -------
    list of dict
        ``id`` (corpus path), ``kind`` (``"chorale"``, ``"quartet"``, ``"piece"`` or the
        kind the plan names), ``meter``, ``beat_ql``, ``bar_ql``, ``pickup_ql``, ``tonic``
        (0-11), ``mode``, ``notes`` ([onset, duration (quarter lengths), MIDI pitch, part,
        fermata]), ``parts`` (lower-case part names) and ``length_ql``.
    """
    from music21 import corpus

    if plan is None:
        plan = [(p, "chorale") for p in chorale_paths()] + \
            [(p, "quartet") for p in _QUARTETS] + [(p, "piece") for p in _OTHERS]
    caps = dict(limit or {})
    caps["chorale"] = chorales
    by_melody = exclude is not None
    exclude = set(exclude or ())
    out = []
    taken: dict[str, int] = {}
    for path, kind in plan:
        if kind in caps and taken.get(kind, 0) >= caps[kind]:
            continue
        try:
            score = corpus.parse(path)
        except Exception as exc:  # noqa: BLE001 - a corpus file that does not parse is skipped
            log.warning("skipped %s: %s", path, exc)
            continue
        if not hasattr(score, "parts") or not len(score.parts):
            continue
        d = _describe(score, path, kind)
        if d is None:
            continue
        if kind == "chorale" and len(score.parts) != 4:
            continue
        if by_melody:
            sig = melody_signature(d, part=0)
            if path in exclude or sig in exclude:
                continue
            exclude.add(sig)
        taken[kind] = taken.get(kind, 0) + 1
        out.append(d)
    return out


def melody_signature(source: dict, *, part: int | None = None) -> tuple:
    """The metre and the first 12 melodic intervals of a tune: the same tune in any key.

    With ``part`` (0: the top part of a chorale), only the notes of that part count, so a
    chorale melody is recognized under any harmonization.
    """
    notes = [n for n in source["notes"] if part is None or n[3] == part]
    pitches = [midi for _o, _d, midi, *_r in notes][:13]
    return (source["meter"],) + tuple(b - a for a, b in zip(pitches[:-1], pitches[1:], strict=True))


def signatures(score) -> tuple[list[tuple[float, str]], list[tuple[float, int]]]:
    """Every time signature (offset in quarters, ratio such as ``"3/4"``) and key signature
    (offset, sharps) of a score's parts, each list sorted by offset."""
    from music21 import key as m21key
    from music21 import meter

    ts, ks = [], []
    for part in score.parts:
        flat = part.flatten()
        ts += [(float(t.offset), t.ratioString) for t in flat.getElementsByClass(meter.TimeSignature)]
        ks += [(float(k.offset), k.sharps) for k in flat.getElementsByClass(m21key.KeySignature)]
    return sorted(ts), sorted(ks)


def _opening(score, name: str, kind: str, *, min_beats: float):
    """A piece's opening section, up to its first change of metre or key signature, or None.

    The key is that of the opening key signature whose tonic (major, or its relative minor)
    is the bass both of the first downbeat and of the section's last chord; anything else
    (a modal piece, a section ending on the dominant) is left out.
    """
    import math

    from music21 import meter

    ts, ks = signatures(score)
    if not ts or not ks:
        return None
    beat = beat_of(ts[0][1])
    if beat is None:
        return None
    end = min([o for o, r in ts if r != ts[0][1]] + [o for o, k in ks if k != ks[0][1]]
              + [math.inf])
    notes, names = _notes(score, beat_ql=beat)
    notes = [[o, min(d, end - o), *rest] for o, d, *rest in notes if o < end]
    bar = float(meter.TimeSignature(ts[0][1]).barDuration.quarterLength)
    measures = list(score.parts[0].getElementsByClass("Measure"))
    pickup = 0.0
    if measures and measures[0].duration.quarterLength < bar:
        pickup = float(measures[0].duration.quarterLength)
    if len(notes) < 16:
        return None
    length = max(o + d for o, d, *_ in notes)
    if (length - pickup) / beat < min_beats:
        return None
    first = [m for o, d, m, *_ in notes if o <= pickup + 1e-6 < o + d]
    last_on = max(o for o, *_ in notes)
    last = [m for o, _d, m, *_ in notes if o >= last_on - 1e-6]
    if not first or min(first) % 12 != min(last) % 12:
        return None
    major = (7 * ks[0][1]) % 12
    bass = min(first) % 12
    if bass not in (major, (major + 9) % 12):
        return None
    return {"id": name, "kind": kind, "meter": ts[0][1], "beat_ql": beat, "bar_ql": bar,
            "pickup_ql": pickup, "tonic": bass, "mode": "major" if bass == major else "minor",
            "notes": notes, "parts": names, "length_ql": float(length)}


def opening_sources(plan: list[tuple[str, str]], *, min_beats: float = 40.0,
                    limit: int | None = None) -> list[dict]:
    """The opening sections of whole movements and pieces (see :func:`_opening`).

    Parameters
    ----------
    plan : list of (corpus path, kind)
        The files to read, in order, and the kind each source is given.
    min_beats : float
        Shortest opening taken, in notated beats.
    limit : int, optional
        Largest number of pieces returned.

    Returns
    -------
    list of dict
        As :func:`classical_sources`.
    """
    def rule(score, path, kind):
        return _opening(score, path, kind, min_beats=min_beats)

    return rule_sources(plan, rule, limit=limit)


def rule_sources(plan: list[tuple[str, str]], rule, *, limit: int | None = None) -> list[dict]:
    """The sources a ``rule(score, path, kind) -> dict or None`` takes from corpus files.

    Files are read in ``plan`` order until ``limit`` sources are taken; a file music21
    cannot read, or one without parts, is skipped.
    """
    from music21 import corpus

    out = []
    for path, kind in plan:
        if limit is not None and len(out) >= limit:
            break
        try:
            score = corpus.parse(path)
            d = rule(score, path, kind) if len(score.parts) else None
        except Exception as exc:  # noqa: BLE001 - a file music21 cannot read is skipped
            log.warning("skipped %s: %s", path, exc)
            continue
        if d is not None:
            out.append(d)
    return out


def _opus_scores(path: str):
    from music21 import corpus

    opus = corpus.parse(path)
    return opus.scores if hasattr(opus, "scores") else [opus]


def tune_sources(files: tuple[str, ...] = _TUNE_FILES, *, limit: int = 320,
                 exclude: set | None = None,
                 meters: tuple[str, ...] = ("2/4", "3/4", "4/4", "2/2", "6/8")) -> list[dict]:
    """Folk tunes in major or minor keys, in 2/4, 3/4, 4/4, 2/2 or 6/8 (or other ``meters``).

    Parameters
    ----------
    files : tuple of str
        Corpus files (ABC collections or single tunes) read in order; by default the first
        edition's: O'Neill's Irish tunes and three Essen collections.
    limit : int
        Largest number of tunes returned.
    exclude : set, optional
        :func:`melody_signature` values of tunes that must not be taken (tunes another
        edition of the set already has, under any title or key); when given, a tune that
        repeats one taken before is skipped too.
    meters : tuple of str
        Time signatures taken (each must have a beat in :data:`_BEAT`, e.g. ``"9/8"``).

    Returns
    -------
    list of dict
        As :func:`classical_sources`, ``kind`` ``"tune"``: one melody part.
    """
    out = []
    seen = set()
    by_melody = exclude is not None
    exclude = set(exclude or ())
    for path in files:
        try:
            scores = _opus_scores(path)
        except Exception as exc:  # noqa: BLE001
            log.warning("skipped %s: %s", path, exc)
            continue
        for i, score in enumerate(scores):
            title = (score.metadata.title if score.metadata else "") or ""
            if title.lower() in seen:
                continue
            try:
                d = _describe(score, f"{path}#{i}", "tune")
            except Exception as exc:  # noqa: BLE001 - a tune music21 cannot read is skipped
                log.warning("skipped %s#%d: %s", path, i, exc)
                continue
            if d is None or d["meter"] not in meters:
                continue
            if len(d["parts"]) != 1 or d["length_ql"] < 6 * d["bar_ql"]:
                continue
            sig = melody_signature(d)
            if by_melody and sig in exclude:
                continue
            exclude.add(sig)
            seen.add(title.lower())
            out.append(d)
            if len(out) >= limit:
                return out
    return out
