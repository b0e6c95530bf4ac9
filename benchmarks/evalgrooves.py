"""Drum grooves of the evaluation set's renderer, as step patterns on the GM percussion channel.

Each groove is one pattern (one bar, or two where the style's figure spans two bars) of hits
on a grid of 16th notes; :func:`benchmarks.evalrender.render_item` repeats it with humanized
timing and velocity.  The *beat* of a groove is the notated beat of the tune it accompanies
(quarter in x/4, dotted quarter in 6/8 and 12/8, half in 2/2), so a planned BPM is always
the BPM of that beat.  The first group of grooves is played by the ``base`` and ``more``
editions of the set, the second by ``fresh`` only, the third by ``unseen`` only (see
:mod:`benchmarks.evalset`); the grooves of the ``fourth``, ``fifth`` and ``sixth`` editions
are kept in :mod:`benchmarks.evalfourthgrooves`, :mod:`benchmarks.evalfifthgrooves` and
:mod:`benchmarks.evalsixthgrooves` and merged here.
"""

from __future__ import annotations

__all__ = ["GROOVES", "KITS", "UNSTRETCHED"]

KICK, RIM, SNARE, CLAP, CH, PH, OH, CRASH, RIDE = 36, 37, 38, 39, 42, 44, 46, 49, 51
LOW_TOM, BELL, TAMB, COWBELL = 41, 53, 54, 56
MUTE_CONGA, OPEN_CONGA, LOW_CONGA, AGOGO = 62, 63, 64, 67
MARACAS, SHORT_GUIRO, LONG_GUIRO, CLAVES, MUTE_TRI, OPEN_TRI = 70, 73, 74, 75, 80, 81

#: Groove name -> (steps per pattern, steps per beat, {drum: [(step, velocity), ...]}).
#: Steps are 16ths in x/4 (a 6/8 bar is 12 16ths, the beat a dotted quarter of 6 steps); a
#: pattern is one bar, or two bars where the figure spans two (bossa clave, jungle break).
GROOVES = {
    "fourfloor": (16, 4, {KICK: [(0, 118), (4, 112), (8, 118), (12, 112)],
                          CLAP: [(4, 100), (12, 104)],
                          OH: [(2, 80), (6, 80), (10, 80), (14, 84)],
                          CH: [(s, 45) for s in range(0, 16, 2)]}),
    "rock": (16, 4, {KICK: [(0, 115), (8, 110), (10, 90)], SNARE: [(4, 112), (12, 115)],
                     CH: [(s, 80 if s % 4 == 0 else 62) for s in range(0, 16, 2)]}),
    "breakbeat": (16, 4, {KICK: [(0, 118), (2, 100), (10, 110), (11, 96)],
                          SNARE: [(4, 115), (7, 55), (9, 50), (12, 115), (15, 55)],
                          RIDE: [(s, 70) for s in range(0, 16, 2)]}),
    "hiphop": (16, 4, {KICK: [(0, 118), (3, 90), (8, 70), (10, 112)],
                       SNARE: [(4, 115), (12, 118)],
                       CH: [(s, 70 if s % 2 == 0 else 48) for s in range(16)]}),
    "shuffle": (16, 4, {KICK: [(0, 112), (8, 108)], SNARE: [(4, 110), (12, 112)],
                        RIDE: [(s + d, 76 if d == 0 else 56) for s in range(0, 16, 4)
                               for d in (0, 8 / 3)]}),
    "waltz": (12, 4, {KICK: [(0, 115)], SNARE: [(4, 70), (8, 72)],
                      CH: [(s, 60) for s in range(0, 12, 2)]}),
    "sixeight": (12, 6, {KICK: [(0, 115), (10, 70)], SNARE: [(6, 108)],
                         CH: [(s, 72 if s % 6 == 0 else 55) for s in range(0, 12, 2)]}),
    "halftime": (16, 4, {KICK: [(0, 118), (10, 96)], SNARE: [(8, 118)],
                         CH: [(s, 72 if s % 4 == 0 else 58) for s in range(0, 16, 2)]}),
    "trap": (16, 4, {KICK: [(0, 120), (7, 100), (10, 110)], CLAP: [(8, 118)],
                     CH: [(s, 70 if s % 2 == 0 else 52) for s in range(16)]}),
    "dnb": (16, 4, {KICK: [(0, 120), (10, 112)], SNARE: [(4, 118), (12, 118), (7, 45)],
                    CH: [(s, 72 if s % 4 == 2 else 56) for s in range(0, 16, 2)]}),
    # Grooves that only the fresh edition of the set plays (see benchmarks.evalset).
    "funk": (16, 4, {KICK: [(0, 118), (6, 96), (10, 108)],
                     SNARE: [(4, 115), (12, 115), (7, 40), (14, 40)],
                     CH: [(s, 72 if s % 2 == 0 else 50) for s in range(16)]}),
    "disco": (16, 4, {KICK: [(s, 116) for s in (0, 4, 8, 12)], CLAP: [(4, 100), (12, 100)],
                      OH: [(s, 84) for s in (2, 6, 10, 14)],
                      CH: [(s, 44) for s in range(1, 16, 2)]}),
    "dembow": (16, 4, {KICK: [(s, 116) for s in (0, 4, 8, 12)],
                       SNARE: [(3, 100), (6, 104), (11, 100), (14, 104)],
                       CH: [(s, 60) for s in range(0, 16, 2)]}),
    "halftime2": (16, 4, {KICK: [(0, 120), (6, 100), (11, 96)], SNARE: [(8, 118)],
                          CH: [(s, 70 if s % 4 == 0 else 55) for s in range(0, 16, 2)],
                          OH: [(14, 80)]}),
    "dnb2": (16, 4, {KICK: [(0, 120), (10, 110)], SNARE: [(4, 118), (12, 118), (9, 50), (14, 45)],
                     RIDE: [(s, 70) for s in range(0, 16, 2)]}),
    # Grooves that only the unseen edition plays.  Latin, Afro and Brazilian patterns are
    # counted in the beat their dancers step (the quarter of a 2/4 or 4/4 bar); the one-drop
    # has its kick and rim on beat 3 of a 4/4 bar, the usual reggae count (66-84 BPM); the 12/8
    # blues and the bembe bell are counted in dotted quarters, four to a 24-step bar.
    "onedrop": (16, 4, {KICK: [(8, 116)], RIM: [(8, 104)],
                        CH: [(s, 72 if s % 4 == 2 else 50) for s in range(0, 16, 2)],
                        OH: [(14, 70)]}),
    "bossa": (32, 4, {KICK: [(s + d, 96 if d == 0 else 80) for s in range(0, 32, 8)
                             for d in (0, 6)],
                      RIM: [(s, 90) for s in (0, 6, 12, 20, 26)],
                      CH: [(s, 62 if s % 4 == 0 else 48) for s in range(0, 32, 2)]}),
    "samba": (16, 4, {KICK: [(0, 96), (3, 80), (4, 112), (8, 96), (11, 80), (12, 112)],
                      LOW_TOM: [(4, 110), (12, 110)],
                      RIM: [(0, 88), (3, 80), (6, 88), (10, 80), (13, 88)],
                      MARACAS: [(s, 84 if s % 4 == 3 else 56) for s in range(16)]}),
    "baiao": (16, 4, {KICK: [(0, 114), (3, 100), (8, 114), (11, 100)],
                      RIM: [(4, 84), (12, 84)],
                      MUTE_TRI: [(s, 58) for s in range(16) if s % 4 != 2],
                      OPEN_TRI: [(s, 92) for s in range(2, 16, 4)]}),
    "afrobeat": (16, 4, {KICK: [(0, 116), (6, 92), (10, 108)],
                         SNARE: [(4, 104), (12, 110), (7, 42), (9, 40), (15, 44)],
                         CH: [(s, 76 if s % 2 == 0 else 52) for s in range(16) if s != 14],
                         OH: [(14, 86)],
                         COWBELL: [(0, 80), (3, 66), (6, 80), (10, 66), (12, 80)]}),
    "garage": (16, 4, {KICK: [(0, 118), (7, 88), (10, 108)],
                       SNARE: [(4, 108), (12, 112)], CLAP: [(4, 96), (12, 100)],
                       CH: [(s + (2 / 3 if s % 4 == 2 else 0), 74 if s % 4 == 2 else 54)
                            for s in range(0, 16, 2)],
                       RIM: [(3 + 2 / 3, 48), (11 + 2 / 3, 48)]}),
    "jungle": (32, 4, {KICK: [(0, 118), (10, 108), (16, 118), (18, 100), (27, 104)],
                       SNARE: [(4, 116), (12, 116), (20, 116), (28, 114), (6, 48), (9, 52),
                               (15, 46), (25, 50), (30, 70), (31, 50)],
                       CH: [(s, 66 if s % 4 == 0 else 52) for s in range(0, 32, 2)
                            if s not in (14, 30)],
                       OH: [(14, 80), (30, 80)], RIDE: [(s, 60) for s in range(0, 32, 4)]}),
    "footwork": (16, 4, {KICK: [(0, 118), (3, 104), (6, 110), (10, 104), (13, 110)],
                         CLAP: [(8, 112)], RIM: [(4, 60), (12, 64)],
                         CH: [(s, 60 if s % 2 == 0 else 44) for s in range(16)]}),
    "house": (16, 4, {KICK: [(s, 118) for s in (0, 4, 8, 12)],
                      OH: [(s, 92) for s in (2, 6, 10, 14)], RIM: [(4, 64), (12, 64), (7, 56)],
                      MARACAS: [(s, 62 if s % 2 else 42) for s in range(16)],
                      OPEN_CONGA: [(3, 74), (11, 70)], LOW_CONGA: [(14, 78)]}),
    "blues128": (24, 6, {KICK: [(0, 112), (12, 106), (22, 70)], SNARE: [(6, 108), (18, 110)],
                         RIDE: [(s, 76 if s % 6 == 0 else 56 if s % 6 == 4 else 40)
                                for s in range(0, 24, 2)],
                         PH: [(6, 62), (18, 62)]}),
    "polka": (16, 4, {KICK: [(s, 112 if s % 8 == 0 else 98) for s in range(0, 16, 4)],
                      SNARE: [(s, 94) for s in range(2, 16, 4)],
                      CH: [(s, 62) for s in range(2, 16, 4)]}),
    "cumbia": (16, 4, {KICK: [(0, 108), (8, 104)],
                       LONG_GUIRO: [(s, 80) for s in range(0, 16, 4)],
                       SHORT_GUIRO: [(s + d, 66) for s in range(0, 16, 4) for d in (2, 3)],
                       MUTE_CONGA: [(4, 70), (12, 70)], OPEN_CONGA: [(6, 92), (14, 92)],
                       LOW_CONGA: [(7, 80), (15, 80)]}),
    "metal": (16, 4, {KICK: [(s, 112 if s % 4 == 0 else 100) for s in range(0, 16, 2)],
                      SNARE: [(4, 122), (12, 122)],
                      CH: [(s, 82) for s in range(0, 16, 4)], BELL: [(0, 70), (8, 70)]}),
    "jazzwaltz": (12, 4, {RIDE: [(0, 80), (4, 72), (4 + 8 / 3, 58), (8, 72)],
                          PH: [(4, 60), (8, 60)], KICK: [(0, 70)],
                          SNARE: [(8 + 8 / 3, 46)]}),
    "bembe": (24, 6, {AGOGO: [(s, 96 if s == 0 else 82) for s in (0, 4, 8, 10, 14, 18, 22)],
                      MARACAS: [(s, 60) for s in range(0, 24, 2)],
                      KICK: [(0, 100), (12, 96)], OPEN_CONGA: [(10, 92), (22, 92)],
                      MUTE_CONGA: [(4, 62), (16, 62)], LOW_CONGA: [(6, 84), (18, 84)]}),
}
#: GM drum kits (program on the percussion channel) that suit each groove.
KITS = {"fourfloor": (24, 25, 0), "trap": (25, 24), "dnb": (0, 16, 24), "halftime": (0, 16, 25),
         "shuffle": (0, 8, 40), "waltz": (0, 8, 40), "sixeight": (0, 8, 32),
         "rock": (0, 16, 8), "breakbeat": (0, 8, 16), "hiphop": (0, 25, 8),
         "funk": (0, 8, 16), "disco": (0, 24, 25), "dembow": (0, 25, 24), "halftime2": (0, 25, 16),
         "dnb2": (0, 8, 24),
         "onedrop": (0, 8, 32), "bossa": (40, 32, 0), "samba": (0, 8), "baiao": (0, 8, 32),
         "afrobeat": (0, 8, 16), "garage": (25, 24), "jungle": (0, 8, 16), "footwork": (25, 24),
         "house": (24, 25, 0), "blues128": (0, 32, 40, 8), "polka": (0, 8, 48),
         "cumbia": (0, 8, 24), "metal": (16, 0, 8), "jazzwaltz": (32, 40, 0), "bembe": (0, 8, 32)}
#: Grooves in triple or compound metre: their tunes are never played at half speed under
#: them (a duple tune is, under a groove faster than 135 BPM).
UNSTRETCHED = ("waltz", "sixeight", "jazzwaltz", "blues128", "bembe")

# Grooves that only the fourth edition plays (see benchmarks.evalfourthgrooves).
from benchmarks.evalfourthgrooves import (  # noqa: E402
    FOURTH_GROOVES,
    FOURTH_KITS,
    FOURTH_UNSTRETCHED,
)

GROOVES.update(FOURTH_GROOVES)
KITS.update(FOURTH_KITS)
UNSTRETCHED += FOURTH_UNSTRETCHED

# Grooves that only the fifth edition plays (see benchmarks.evalfifthgrooves).
from benchmarks.evalfifthgrooves import (  # noqa: E402
    FIFTH_GROOVES,
    FIFTH_KITS,
    FIFTH_UNSTRETCHED,
)

GROOVES.update(FIFTH_GROOVES)
KITS.update(FIFTH_KITS)
UNSTRETCHED += FIFTH_UNSTRETCHED

# Grooves that only the sixth edition plays (see benchmarks.evalsixthgrooves); their kits
# are indices of its sample kits, not General MIDI drum programs.
from benchmarks.evalsixthgrooves import (  # noqa: E402
    SIXTH_GROOVES,
    SIXTH_KITS,
    SIXTH_UNSTRETCHED,
)

GROOVES.update(SIXTH_GROOVES)
KITS.update(SIXTH_KITS)
UNSTRETCHED += SIXTH_UNSTRETCHED

# Grooves that only the seventh edition plays (see benchmarks.evalseventhgrooves).
from benchmarks.evalseventhgrooves import (  # noqa: E402
    SEVENTH_GROOVES,
    SEVENTH_KITS,
    SEVENTH_UNSTRETCHED,
)

GROOVES.update(SEVENTH_GROOVES)
KITS.update(SEVENTH_KITS)
UNSTRETCHED += SEVENTH_UNSTRETCHED

# Grooves that only the tenth edition plays (see benchmarks.evaltenthgrooves), on recorded
# drum kits.
from benchmarks.evaltenthgrooves import (  # noqa: E402
    TENTH_GROOVES,
    TENTH_KITS,
    TENTH_UNSTRETCHED,
)

GROOVES.update(TENTH_GROOVES)
KITS.update(TENTH_KITS)
UNSTRETCHED += TENTH_UNSTRETCHED
