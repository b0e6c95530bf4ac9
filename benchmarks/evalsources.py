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

__all__ = ["classical_sources", "tune_sources", "beat_of"]

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


def classical_sources(*, chorales: int = 70) -> list[dict]:
    """Chorales, quartet movements and other classical pieces with a clear key and metre.

    Parameters
    ----------
    chorales : int
        Largest number of Bach chorales taken (in corpus order).

    Returns
    -------
    list of dict
        ``id`` (corpus path), ``kind`` (``"chorale"``, ``"quartet"`` or ``"piece"``),
        ``meter``, ``beat_ql``, ``bar_ql``, ``pickup_ql``, ``tonic`` (0-11), ``mode``,
        ``notes`` ([onset, duration (quarter lengths), MIDI pitch, part, fermata]),
        ``parts`` (lower-case part names) and ``length_ql``.
    """
    from music21 import corpus

    out = []
    bach = sorted(str(p).split("/corpus/")[-1] for p in corpus.getComposer("bach"))
    chor = [p for p in bach if p.startswith("bach/bwv") and p.endswith(".mxl")]
    plan = [(p, "chorale") for p in chor] + [(p, "quartet") for p in _QUARTETS] + \
        [(p, "piece") for p in _OTHERS]
    n_chorales = 0
    for path, kind in plan:
        if kind == "chorale" and n_chorales >= chorales:
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
        if kind == "chorale":
            if len(score.parts) != 4:
                continue
            n_chorales += 1
        out.append(d)
    return out


def tune_sources(*, limit: int = 320) -> list[dict]:
    """Folk tunes in major or minor keys, in 2/4, 3/4, 4/4, 2/2 or 6/8.

    Parameters
    ----------
    limit : int
        Largest number of tunes returned.

    Returns
    -------
    list of dict
        As :func:`classical_sources`, ``kind`` ``"tune"``: one melody part.
    """
    from music21 import corpus

    out = []
    seen = set()
    for path in _TUNE_FILES:
        try:
            opus = corpus.parse(path)
        except Exception as exc:  # noqa: BLE001
            log.warning("skipped %s: %s", path, exc)
            continue
        scores = opus.scores if hasattr(opus, "scores") else [opus]
        for i, score in enumerate(scores):
            title = (score.metadata.title if score.metadata else "") or ""
            if title.lower() in seen:
                continue
            d = _describe(score, f"{path}#{i}", "tune")
            if d is None or d["meter"] not in ("2/4", "3/4", "4/4", "2/2", "6/8"):
                continue
            if len(d["parts"]) != 1 or d["length_ql"] < 6 * d["bar_ql"]:
                continue
            seen.add(title.lower())
            out.append(d)
            if len(out) >= limit:
                return out
    return out
