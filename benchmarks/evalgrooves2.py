"""The fit-only ``grooves2`` edition of the evaluation set: dense grooves and fast accompaniment.

The edition (``python -m benchmarks.evalset --edition grooves2``, cached in
``~/.cache/songcal-eval-grooves2``) is fitted on, never reported.  Its tunes are those of the
fit-only ``more`` edition (read from that edition's ``sources.json``; no new corpus file is
read), rendered only with the fit soundfonts (FluidR3 and OPL-3).  What is new is how they
are played:

* grooves whose steady fast layer (16th-note shakers and guiros, 8th-note hats, bells,
  cascara or tambourine) runs over a two-beat figure -- merengue, soca, ska, calypso,
  highlife, tango, country train beat, bluegrass boom-chick, fast punk, salsa (son clave
  and cascara), zouk, a 2/4 march with snare rolls, dancehall, kwaito -- and "dense"
  variants of the first edition's rock, hip-hop, breakbeat and four-on-the-floor grooves
  with a prominent 16th-note shaker or 8th-note percussion layer;
* grooves in triple and compound metre: a fast (Viennese) waltz, a mazurka, a tarantella
  and a jig (6/8, bodhran) and a 12/8 gospel / doo-wop shuffle;
* drumless tunes accompanied by steady fast figures: 16th-note arpeggios, an Alberti figure
  in 8ths or 16ths, strummed 16ths and, in 6/8, arpeggios and strums in 8ths.

The beat follows the set's convention (see :mod:`benchmarks.evalgrooves`): a quarter in
2/4, 3/4 and 4/4, a dotted quarter in 6/8 and 12/8.  A groove's pattern is written on a
grid of 16th notes (``steps per beat`` 4, or 6 in compound metre) and repeated with
humanized timing and velocity by :func:`benchmarks.evalrender.render_item`; as in the first
edition a duple tune is played at half speed under a groove faster than 135 BPM.
"""

from __future__ import annotations

import hashlib
import json
import os

import numpy as np

from benchmarks.evalgrooves import (
    AGOGO,
    CH,
    CLAP,
    CLAVES,
    COWBELL,
    GROOVES,
    KICK,
    LONG_GUIRO,
    LOW_CONGA,
    LOW_TOM,
    MARACAS,
    MUTE_CONGA,
    OH,
    OPEN_CONGA,
    PH,
    RIDE,
    RIM,
    SHORT_GUIRO,
    SNARE,
    TAMB,
)

__all__ = ["FIT_GROOVES", "FIT_KITS", "FIT_COMPS", "FIT_BASSES", "GROOVES2_TUNE_PLAN",
           "grooves2_sources", "grooves2_plan"]

HI_TIMBALE, LOW_FLOOR_TOM = 65, 43


def _sixteenths(drum_vel_on, vel_off, steps=16):
    """A steady 16th-note layer: ``drum_vel_on`` on the 8ths, ``vel_off`` between them."""
    return [(s, drum_vel_on if s % 2 == 0 else vel_off) for s in range(steps)]


def _dense(name: str, extra: dict) -> tuple:
    steps, per_beat, parts = GROOVES[name]
    out = {d: list(h) for d, h in parts.items()}
    for drum, hits in extra.items():
        out[drum] = out.get(drum, []) + hits
    return steps, per_beat, out


#: Groove name -> (steps per pattern, steps per beat, {drum: [(step, velocity), ...]}), as
#: :data:`benchmarks.evalgrooves.GROOVES`.
FIT_GROOVES = {
    "merengue": (8, 4, {KICK: [(0, 110), (4, 106)], LOW_CONGA: [(3, 80), (7, 94)],
                        RIM: [(6, 84)], LONG_GUIRO: [(0, 96), (4, 96)],
                        SHORT_GUIRO: [(s, 90 if s % 2 else 76) for s in range(8) if s % 4]}),
    "soca": (16, 4, {KICK: [(s, 116) for s in (0, 4, 8, 12)], CLAP: [(4, 98), (12, 102)],
                     OH: [(s, 88) for s in (2, 6, 10, 14)], CH: _sixteenths(74, 60),
                     COWBELL: [(s, 74) for s in range(0, 16, 2)]}),
    "ska": (16, 4, {KICK: [(0, 110), (8, 104)], RIM: [(4, 102), (12, 102)],
                    CH: [(s, 92 if s % 4 == 2 else 62) for s in range(0, 16, 2)],
                    OH: [(14, 76)]}),
    "calypso": (16, 4, {KICK: [(0, 110), (6, 96), (8, 108), (14, 92)],
                        RIM: [(4, 90), (12, 90)], MARACAS: _sixteenths(84, 66),
                        COWBELL: [(0, 82), (3, 70), (6, 82), (10, 70), (12, 82)]}),
    "highlife": (16, 4, {AGOGO: [(0, 96), (2, 80), (4, 88), (7, 84), (8, 90), (10, 80),
                                 (12, 88), (14, 84)],
                         MARACAS: _sixteenths(82, 64), KICK: [(0, 108), (8, 104), (11, 90)],
                         SNARE: [(4, 88), (12, 94)], OPEN_CONGA: [(6, 88), (14, 88)],
                         MUTE_CONGA: [(2, 70), (10, 70)]}),
    "tango": (16, 4, {KICK: [(0, 116), (4, 100), (8, 108), (12, 100), (7, 84)],
                      SNARE: [(4, 80), (12, 84), (15, 70)],
                      CH: [(s, 70 if s % 4 == 0 else 56) for s in range(0, 16, 2)]}),
    "trainbeat": (16, 4, {KICK: [(0, 108), (8, 104)],
                          SNARE: [(s, 100 if s % 4 == 2 else 64) for s in range(16)],
                          PH: [(4, 70), (12, 70)]}),
    "boomchick": (16, 4, {KICK: [(0, 112), (8, 108)], SNARE: [(4, 98), (12, 98)],
                          MARACAS: [(s, 86 if s % 4 == 2 else 70) for s in range(0, 16, 2)]}),
    "punk": (16, 4, {KICK: [(0, 118), (6, 100), (8, 118)], SNARE: [(4, 120), (12, 120)],
                     CH: [(s, 98) for s in range(0, 16, 2)]}),
    # Son clave 2-3 over two bars, cascara in 8ths, conga tumbao.
    "salsa": (32, 4, {CLAVES: [(4, 100), (8, 100), (16, 100), (22, 100), (28, 100)],
                      HI_TIMBALE: [(s, 94 if s % 4 == 0 else 76) for s in range(0, 32, 2)],
                      MUTE_CONGA: [(4, 86), (20, 86)],
                      OPEN_CONGA: [(12, 92), (14, 96), (28, 92), (30, 96)],
                      KICK: [(6, 90), (22, 90)]}),
    "zouk": (16, 4, {KICK: [(0, 114), (8, 110)], RIM: [(3, 84), (6, 90), (11, 84), (14, 90)],
                     CH: _sixteenths(80, 64), TAMB: [(4, 70), (12, 70)]}),
    # A 2/4 march, two bars: bass drum on both beats, cymbal on 2, snare figures and a roll.
    "march": (16, 4, {KICK: [(0, 112), (4, 104), (8, 112), (12, 104)],
                      OH: [(4, 78), (12, 78)],
                      SNARE: [(0, 104), (2, 82), (3, 80), (4, 98), (6, 84), (7, 82)]
                      + [(8 + k / 2, 70 + 2 * k) for k in range(8)]
                      + [(12, 110), (14, 84), (15, 82)]}),
    "dancehall": (16, 4, {KICK: [(0, 116), (8, 114)], SNARE: [(6, 104), (14, 104)],
                          CLAP: [(4, 90), (12, 90)],
                          CH: [(s, 84 if s % 4 == 2 else 64) for s in range(16)]}),
    "kwaito": (16, 4, {KICK: [(s, 118) for s in (0, 4, 8, 12)], CLAP: [(4, 96), (12, 100)],
                       MARACAS: _sixteenths(62, 86), OH: [(s, 80) for s in (2, 6, 10, 14)]}),
    "rock_dense": _dense("rock", {MARACAS: _sixteenths(88, 72)}),
    "hiphop_dense": _dense("hiphop", {TAMB: [(s, 90) for s in range(0, 16, 2)],
                                      MARACAS: _sixteenths(70, 80)}),
    "breakbeat_dense": _dense("breakbeat", {MARACAS: _sixteenths(90, 74)}),
    "fourfloor_dense": _dense("fourfloor", {MARACAS: _sixteenths(86, 78),
                                            TAMB: [(s, 84) for s in range(2, 16, 4)]}),
    # Triple and compound metre.
    "vwaltz": (12, 4, {KICK: [(0, 116)], SNARE: [(4, 84), (8, 80)],
                       CH: [(s, 66 if s % 4 else 74) for s in range(0, 12, 2)]}),
    "mazurka": (12, 4, {KICK: [(0, 106)], SNARE: [(4, 104), (8, 78)],
                        TAMB: [(s, 80 if s % 4 else 70) for s in range(0, 12, 2)]}),
    "tarantella": (12, 6, {TAMB: [(s, 100 if s % 6 == 0 else 84) for s in range(0, 12, 2)],
                           KICK: [(0, 112), (6, 104)], OPEN_CONGA: [(4, 80), (10, 80)]}),
    "jig": (12, 6, {LOW_TOM: [(s, 106 if s % 6 == 0 else 80) for s in range(0, 12, 2)],
                    LOW_FLOOR_TOM: [(0, 96), (6, 90)], MUTE_CONGA: [(5, 60), (11, 60)]}),
    "gospel128": (24, 6, {KICK: [(0, 112), (10, 80), (12, 106)],
                          SNARE: [(6, 110), (18, 112)],
                          RIDE: [(s, 82 if s % 6 == 0 else 64) for s in range(0, 24, 2)],
                          PH: [(6, 64), (18, 64)]}),
}
#: GM drum kits that suit each groove.
FIT_KITS = {"merengue": (0, 8), "soca": (24, 25, 0), "ska": (0, 8, 16), "calypso": (0, 8),
            "highlife": (0, 8, 32), "tango": (0, 48, 8), "trainbeat": (40, 32, 0),
            "boomchick": (40, 32, 0), "punk": (16, 0, 8), "salsa": (0, 8),
            "zouk": (25, 24, 0), "march": (48, 0, 8), "dancehall": (25, 24, 0),
            "kwaito": (25, 24, 0), "rock_dense": (0, 16, 8), "hiphop_dense": (0, 25, 8),
            "breakbeat_dense": (0, 8, 16), "fourfloor_dense": (24, 25, 0),
            "vwaltz": (0, 48, 8), "mazurka": (0, 48, 8), "tarantella": (0, 8, 48),
            "jig": (0, 8, 32), "gospel128": (0, 8, 32, 40)}
#: Comping figures beside :mod:`benchmarks.evalrender`'s: name -> (step in beats, order of
#: the chord notes from the lowest, or None for the whole chord).
FIT_COMPS = {"arp16": (0.25, (0, 1, 2, 1)), "alberti": (0.5, (0, 2, 1, 2)),
             "alberti16": (0.25, (0, 2, 1, 2)), "strum16": (0.25, None),
             "arp3": (1 / 3, (0, 1, 2)), "strum3": (1 / 3, None),
             "alberti3": (1 / 3, (0, 2, 1, 2, 1, 2))}
#: Bass figures beside evalrender's: name -> step in beats.
FIT_BASSES = {"eighth3": 1 / 3, "sixteenth": 0.25}

_DUPLE = ("2/4", "4/4", "2/2")
_SIMPLE_COMPS = ("block", "arp", "offbeat", "strum", "arp16", "alberti", "alberti16", "strum16")
_COMPOUND_COMPS = ("block", "sustain", "arp3", "strum3", "alberti3")
_FAST_SIMPLE = ("arp16", "alberti", "alberti16", "strum16", "strum", "arp")
_FAST_COMPOUND = ("arp3", "strum3", "alberti3")
#: (groove, subset, BPM range of the notated beat, metres of the tunes it takes, count).
GROOVES2_TUNE_PLAN = (("merengue", "clear", (118, 160), _DUPLE, 8),
                      ("soca", "clear", (125, 165), _DUPLE, 8),
                      ("ska", "clear", (110, 165), _DUPLE, 8),
                      ("calypso", "clear", (98, 130), _DUPLE, 8),
                      ("highlife", "clear", (108, 140), _DUPLE, 8),
                      ("tango", "clear", (108, 132), _DUPLE, 7),
                      ("trainbeat", "clear", (100, 150), _DUPLE, 8),
                      ("boomchick", "clear", (100, 160), _DUPLE, 8),
                      ("punk", "ambiguous", (165, 200), _DUPLE, 8),
                      ("salsa", "ambiguous", (150, 195), _DUPLE, 8),
                      ("zouk", "clear", (108, 140), _DUPLE, 8),
                      ("march", "clear", (100, 130), _DUPLE, 8),
                      ("dancehall", "clear", (86, 110), _DUPLE, 8),
                      ("kwaito", "clear", (100, 122), _DUPLE, 7),
                      ("rock_dense", "clear", (76, 165), _DUPLE, 6),
                      ("hiphop_dense", "clear", (78, 100), _DUPLE, 6),
                      ("breakbeat_dense", "clear", (85, 140), _DUPLE, 6),
                      ("fourfloor_dense", "clear", (115, 170), _DUPLE, 6),
                      ("vwaltz", "ambiguous", (150, 190), ("3/4",), 9),
                      ("mazurka", "clear", (118, 165), ("3/4",), 8),
                      ("tarantella", "ambiguous", (110, 150), ("6/8",), 9),
                      ("jig", "clear", (95, 125), ("6/8",), 9),
                      ("gospel128", "ambiguous", (48, 80), ("6/8",), 9),
                      ("none", "drumless", (62, 130), _DUPLE, 12),
                      ("none", "drumless", (62, 130), ("3/4",), 9),
                      ("none", "drumless", (48, 92), ("6/8",), 9))
#: Grooves under which a duple tune is never played at half speed.
_UNSTRETCHED = ("vwaltz", "mazurka", "tarantella", "jig", "gospel128")
_FONTS = ("fluidr3", "opl3")
_LEADS = (73, 68, 65, 56, 80, 81, 11, 22, 71, 40)
_COMP_PROGRAMS = (0, 4, 5, 16, 24, 25, 27, 48, 88, 89, 2)
_BASS_PROGRAMS = (32, 33, 34, 35, 38, 39)


def grooves2_sources(more_cache: str) -> dict:
    """The tunes of the fit-only ``more`` edition (its ``sources.json``); no classical pieces.

    Raises
    ------
    FileNotFoundError
        When the ``more`` edition's sources have not been read yet.
    """
    path = os.path.join(more_cache, "sources.json")
    if not os.path.exists(path):
        raise FileNotFoundError(f"{path} is missing: build --edition more first")
    with open(path) as f:
        return {"classical": [], "tunes": json.load(f)["tunes"]}


def _seed(text: str) -> int:
    return int(hashlib.sha256(text.encode()).hexdigest()[:8], 16)


def grooves2_plan(sources: dict, *, seed: int, fonts: tuple[str, ...] = _FONTS,
                  tune_plan: tuple = GROOVES2_TUNE_PLAN) -> list[dict]:
    """Every item of the edition, as :func:`benchmarks.evalset.plan` describes them.

    Tunes are drawn per metre from a shuffled pool that starts again when it runs out (a
    tune may be played under two grooves, at other tempi and keys).

    Parameters
    ----------
    sources : dict
        ``{"tunes": [...]}`` (see :func:`grooves2_sources`).
    seed : int
        Seed of every random choice.
    fonts : tuple of str
        Soundfont names the items are rendered with.
    tune_plan : tuple
        (groove, subset, BPM range, metres, count) of the items.

    Returns
    -------
    list of dict
        Items with ``split`` ``"fit"``, ``style`` the groove (``"none"`` without drums).
    """
    rng = np.random.default_rng(seed)
    tunes = list(sources["tunes"])
    order = [int(t) for t in rng.permutation(len(tunes))]
    pools: dict[str, list[int]] = {}
    for t in order:
        pools.setdefault(tunes[t]["meter"], []).append(t)
    cursor = {m: 0 for m in pools}
    items = []
    for groove, subset, (lo, hi), meters, count in tune_plan:
        for n in range(count):
            avail = [m for m in meters if pools.get(m)]
            meter = avail[n % len(avail)]
            src = tunes[pools[meter][cursor[meter] % len(pools[meter])]]
            cursor[meter] += 1
            compound = meter == "6/8"
            bpm = round(float(rng.uniform(lo, hi)), 1)
            stretch = 2.0 if bpm > 135 and meter in _DUPLE and groove not in _UNSTRETCHED \
                else 1.0
            if groove == "none":
                comp = str(rng.choice(_FAST_COMPOUND if compound else _FAST_SIMPLE))
            else:
                comp = str(rng.choice(_COMPOUND_COMPS if compound else _SIMPLE_COMPS))
            basses = ("whole", "beat", "eighth3") if compound else \
                ("whole", "half", "beat", "eighth", "sixteenth")
            item = {"id": f"g{len(items):03d}", "source": src["id"], "split": "fit",
                    "subset": subset, "style": groove, "bpm": bpm, "groove": groove,
                    "stretch": stretch, "comp": comp, "bass": str(rng.choice(basses)),
                    "octave": int(rng.choice([-1, 0, 0])),
                    "programs": [int(rng.choice(p)) for p in (_LEADS, _COMP_PROGRAMS,
                                                              _BASS_PROGRAMS)],
                    "seconds": 30.0, "rt60": float(rng.uniform(0.3, 1.4)),
                    "wet": float(rng.uniform(0.05, 0.3)), "lufs": float(rng.uniform(-14, -8)),
                    "compress": True}
            if groove != "none":
                item["kit"] = int(rng.choice(FIT_KITS[groove]))
            item["soundfont"] = fonts[int(rng.integers(len(fonts)))]
            item["sr"] = int(rng.choice([44100, 48000]))
            item["transpose"] = int(rng.integers(-5, 7))
            item["seed"] = _seed("grooves2/" + item["id"])
            item["tonic"] = (src["tonic"] + item["transpose"]) % 12
            item["mode"], item["meter"] = src["mode"], src["meter"]
            item["file"] = os.path.join("audio", f"{item['id']}.flac")
            items.append(item)
    return items
