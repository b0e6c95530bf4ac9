"""The ``unseen`` edition of the evaluation set: its material and its rendering variation.

Everything here is new to the set: classical openings and chorales no other edition has
(the quartet movements and pieces that the first edition's whole-piece rule left out are
taken by their opening section, see :func:`benchmarks.evalsources.opening_sources`), folk
tunes from collections no other edition reads (later O'Neill numbers, other Essen
collections, Northumbrian Minstrelsy; no melody another edition has), grooves only this
edition plays (see :mod:`benchmarks.evalgrooves`), the full MuseScore General soundfont,
and two rendering variations recorded per item in the manifest: a global detuning and a
different room or master.
"""

from __future__ import annotations

import hashlib

import numpy as np

__all__ = ["UNSEEN_TUNE_PLAN", "unseen_sources", "item_rng", "vary"]

_DUPLE = ("2/4", "4/4", "2/2")
_FOUR = ("4/4", "2/2", "2/4")
#: (groove, subset, BPM range of the notated beat, metres of the tunes it takes, count).
#: Clear: a steady, stated beat.  Ambiguous: the one-drop (a bar with nothing on beat 1),
#: jungle, footwork and metal above 150 BPM (usually heard at half speed), the 12/8 blues
#: and the bembe bell (a beat of three 8ths under a figure of twos).
UNSEEN_TUNE_PLAN = (("bossa", "clear", (108, 136), _FOUR, 7),
                    ("samba", "clear", (94, 120), _DUPLE, 6),
                    ("baiao", "clear", (82, 110), _DUPLE, 6),
                    ("afrobeat", "clear", (98, 124), _FOUR, 7),
                    ("garage", "clear", (128, 138), _FOUR, 6),
                    ("house", "clear", (118, 128), _FOUR, 7),
                    ("polka", "clear", (100, 132), _DUPLE, 6),
                    ("cumbia", "clear", (84, 106), _DUPLE, 6),
                    ("jazzwaltz", "clear", (100, 170), ("3/4",), 12),
                    ("onedrop", "ambiguous", (66, 84), _FOUR, 9),
                    ("jungle", "ambiguous", (164, 176), _FOUR, 9),
                    ("footwork", "ambiguous", (155, 162), _FOUR, 8),
                    ("metal", "ambiguous", (180, 200), _FOUR, 9),
                    ("blues128", "ambiguous", (46, 70), ("6/8",), 10),
                    ("bembe", "ambiguous", (58, 96), ("6/8",), 10),
                    ("none", "drumless", (62, 130), _DUPLE, 18),
                    ("none", "drumless", (62, 130), ("3/4",), 16),
                    ("none", "drumless", (48, 92), ("6/8",), 16))

_CLASSICAL_PIECES = 50
#: Movements and pieces read by their opening section (none is a source of another edition).
_OPENINGS = (
    [(f"beethoven/opus18no1/movement{i}.mxl", "quartet") for i in (1, 3, 4)]
    + [(f"beethoven/opus59no1/movement{i}", "quartet") for i in (1, 3, 4)]
    + [("beethoven/opus59no2/movement3", "quartet")]
    + [(f"beethoven/opus59no3/movement{i}", "quartet") for i in (1, 3)]
    + [(f"beethoven/opus{n}", "quartet") for n in ("18no3", "18no4", "18no5", "74", "132")]
    + [(f"haydn/opus1no1/movement{i}", "quartet") for i in (2, 3)]
    + [(f"haydn/opus74no1/movement{i}", "quartet") for i in (3, 4)]
    + [("mozart/k80/movement3", "quartet"), ("mozart/k156/movement1", "quartet")]
    + [(f"schumann_robert/opus41no1/movement{i}", "quartet") for i in (1, 2, 3, 5)]
    + [(p, "piece") for p in (
        "mozart/k545/movement1_exposition", "handel/rinaldo/Lascia_chio_pianga",
        "weber/concertino_clarinet", "verdi/laDonnaEMobile", "cpebach/h186",
        "schumann_clara/opus17/movement3", "schumann_clara/polonaise_op1n1",
        "schumann_clara/polonaise_op1n2", "schumann_clara/polonaise_op1n3",
        "schumann_clara/polonaise_op1n4", "beach/prayer_of_a_tired_child",
        "johnson_j_r/lift_every_voice", "liliuokalani/aloha_oe",
        "leadSheet/berlinAlexandersRagtime")])
#: (corpus file, largest number of tunes taken from it), read in this order.
_TUNE_FILES = (("essenFolksong/ballad30.abc", 22), ("oneills1850/0811-0899.abc", 26),
               ("miscFolk/northumbrianminstrelsyopus.abc", 26), ("essenFolksong/boehme20.abc", 22),
               ("oneills1850/0900-0950.abc", 22), ("essenFolksong/ballad50.abc", 22),
               ("oneills1850/1001-1031.abc", 16), ("essenFolksong/lux.abc", 18),
               ("oneills1850/1031-1115.abc", 26), ("essenFolksong/irl.abc", 18),
               ("essenFolksong/ballad70.abc", 22), ("essenFolksong/ballad40.abc", 22),
               ("essenFolksong/ballad60.abc", 22), ("essenFolksong/ballad80.abc", 22),
               ("oneills1850/1625-1700.abc", 30), ("essenFolksong/folkHaydn.abc", 20),
               ("oneills1850/1176-1275.abc", 24), ("oneills1850/1276-1375.abc", 20))


def unseen_sources(known_tunes: set, known_pieces: set) -> dict:
    """Read the edition's classical pieces and tunes from music21's corpus.

    Parameters
    ----------
    known_tunes : set
        Melody signatures of the tunes of every other edition (none is taken again).
    known_pieces : set
        Corpus paths and top-part melody signatures of every other edition's pieces.

    Returns
    -------
    dict
        ``{"classical": [...], "tunes": [...]}``, as :mod:`benchmarks.evalsources` gives.
    """
    from benchmarks.evalsources import (
        chorale_paths,
        classical_sources,
        melody_signature,
        opening_sources,
        tune_sources,
    )

    plan_ = [(p, k) for p, k in _OPENINGS if p not in known_pieces]
    openings = [s for s in opening_sources(plan_, limit=22)
                if melody_signature(s, part=0) not in known_pieces]
    # Chorales between the ranges the 'more' and 'fresh' editions read, and after them.
    chorales = [(p, "chorale") for p in chorale_paths(180, 300) + chorale_paths(349)]
    classical = openings + classical_sources(
        chorales, chorales=_CLASSICAL_PIECES - len(openings),
        exclude=set(known_pieces) | {melody_signature(s, part=0) for s in openings})
    tunes: list[dict] = []
    for path, count in _TUNE_FILES:
        taken = set(known_tunes) | {melody_signature(t) for t in tunes}
        tunes += tune_sources((path,), limit=count, exclude=taken)
    return {"classical": classical, "tunes": tunes}


def item_rng(item_id: str, seed: int, *salt: int) -> np.random.Generator:
    """The generator of one item's draws: it depends only on the edition's ``seed``, the
    item's id and the ``salt`` that tells one kind of draw from another."""
    digest = int(hashlib.sha256(item_id.encode()).hexdigest()[:8], 16)
    return np.random.default_rng([seed, digest, *salt])


def vary(items: list[dict], *, seed: int) -> list[dict]:
    """Give part of the items a detuning and a different room or master (in place).

    Each item gets ``detune_cents`` (0, or 10-30 cents either way for about 45 % of the
    items: the key's nearest pitch class is unchanged), ``room`` (``"plain"``; ``"dry"``:
    RT60 0.15-0.35 s; ``"hall"``: RT60 2.6-3.6 s, about a quarter each) with ``rt60`` and
    ``wet`` set to match, and ``master`` (``"plain"``; ``"lofi"`` with ``lowpass_hz``;
    ``"bright"`` with ``shelf_db``, about a fifth each).  The draws depend only on ``seed``
    and the item's id.

    Parameters
    ----------
    items : list of dict
        Planned items (see :func:`benchmarks.evalset.plan`).
    seed : int
        Seed of the edition.

    Returns
    -------
    list of dict
        The same items.
    """
    for it in items:
        rng = item_rng(it["id"], seed)
        u = rng.random(3)
        it["detune_cents"] = 0.0
        if u[0] < 0.45:
            it["detune_cents"] = round(float(rng.choice([-1.0, 1.0]) * rng.uniform(10, 30)), 1)
        it["room"] = "plain"
        if u[1] < 0.25:
            it.update(room="dry", rt60=float(rng.uniform(0.15, 0.35)),
                      wet=float(rng.uniform(0.05, 0.15)))
        elif u[1] < 0.5:
            it.update(room="hall", rt60=float(rng.uniform(2.6, 3.6)),
                      wet=float(rng.uniform(0.25, 0.5)))
        it["master"] = "plain"
        if u[2] < 0.2:
            it.update(master="lofi", lowpass_hz=round(float(rng.uniform(2800, 4500))))
        elif u[2] < 0.4:
            it.update(master="bright", shelf_db=round(float(rng.uniform(4, 7)), 1))
    return items
