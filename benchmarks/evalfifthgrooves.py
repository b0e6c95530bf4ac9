"""Drum grooves that only the ``fifth`` edition of the evaluation set plays.

Step patterns on the GM percussion channel, in the format of
:data:`benchmarks.evalgrooves.GROOVES` (steps of a 16th in x/4; in 6/8 and 12/8 the beat is
a dotted quarter of 6 steps), which merges them.  A groove's *beat* is the notated beat of
the tune it accompanies, and the planned BPM is the BPM of that beat (the truth).

Names the other editions play, none of which is used here: ``fourfloor``, ``rock``,
``breakbeat``, ``hiphop``, ``shuffle``, ``waltz``, ``halftime``, ``trap``, ``dnb``,
``sixeight`` (base, more); ``funk``, ``disco``, ``dembow``, ``halftime2``, ``dnb2`` (fresh);
``bossa``, ``samba``, ``baiao``, ``afrobeat``, ``garage``, ``house``, ``polka``, ``cumbia``,
``jazzwaltz``, ``onedrop``, ``jungle``, ``footwork``, ``metal``, ``blues128``, ``bembe``
(unseen); ``choro``, ``frevo``, ``xote``, ``partidoalto``, ``axe``, ``chachacha``,
``bolero``, ``motown``, ``secondline``, ``techno``, ``electro``, ``swing``,
``countryshuffle``, ``newjack``, ``dubstep``, ``grime``, ``gqom``, ``moombahton``,
``gabber``, ``liquiddnb``, ``traphalf``, ``mambo``, ``chacarera``, ``chacarera34``,
``afro68`` (fourth); ``merengue``, ``soca``, ``ska``, ``calypso``, ``highlife``, ``tango``,
``trainbeat``, ``boomchick``, ``punk``, ``salsa``, ``zouk``, ``march``, ``dancehall``,
``kwaito``, ``rock_dense``, ``hiphop_dense``, ``breakbeat_dense``, ``fourfloor_dense``,
``vwaltz``, ``mazurka``, ``tarantella``, ``jig``, ``gospel128`` (grooves2, fit-only).

Clear (a stated beat):

* ``bachata`` (4/4, 118-134): bongo martillo in 8ths, the guira in 16ths, a bass drum on
  1 and 3; truth the quarter.
* ``songo`` (4/4, 96-120): cowbell on the beats over a syncopated kick and tumbao congas.
* ``plena`` (2/4, 96-124): the low seguidor hand drum on every beat, the requinto's
  off-beat slaps and a tambourine in 8ths.
* ``gogo`` (4/4, 92-110): the go-go pocket: a kick on 1 and the "a" of 2, snare on 2 and
  4, cowbell and conga figures.
* ``amapiano`` (4/4, 110-116): a soft kick on every beat, shaker 16ths, a syncopated log
  drum (low tom) and rim shots.
* ``motorik`` (4/4, 118-134): kick on 1, 3 and the "and" of 3, snare on 2 and 4, steady
  8th hats.
* ``bigbeat`` (4/4, 100-126): a heavy kick with a pickup, snare on 2 and 4 with 16th
  ghosts, open hats off the beat.
* ``popballad`` (4/4, 62-80): kick on 1 and the "and" of 3, cross-stick on 2 and 4, soft
  8th hats.
* ``lofi`` (4/4, 72-90): a lazy swung groove: triplet-swung 8th hats, snare on 2 and 4.
* ``soukous`` (4/4, 120-134): kick on every beat, snare on every off-beat 8th, 16th hats.
* ``zydeco`` (2/4, 100-130): the rubboard (guiro) in 16ths, kick on the beats, a backbeat.
* ``habanera`` (2/4, 60-80): the habanera figure on the bass drum (dotted 8th, 16th, two
  8ths), claves on the beats.
* ``landler`` (3/4, 96-140): bass drum on 1, snare and triangle on 2 and 3; truth the
  quarter.

Ambiguous:

* ``drill`` (138-146), ``phonk`` (132-150), ``halfstep`` (170-176): half-time grooves
  (the snare or clap on beat 3 only); truth the full tempo as dance music states it, as for
  the other editions' half-time grooves.
* ``neurofunk`` (172-178): a drum-and-bass two-step with ghost rolls; truth the full tempo.
* ``hardstyle`` (150-158) and ``happyhardcore`` (166-180): a kick on every beat (fast
  four-on-the-floor, often tapped at half speed); truth the quarter (the kick).
* ``slowjam`` (60-72): a slow backbeat under 16th and 32nd hats (a double-time feel); truth
  the quarter.
* ``valsecriollo`` (3/4, 136-168): the cajon's 6/8 accents (two dotted quarters) against
  the 3/4 bar, a hemiola; truth the quarter.
* ``doowop`` (12/8 or 6/8, 50-72): 8th-note triplets on the ride, snare on beats 2 and 4 of
  the 12/8 bar; truth the dotted quarter.
* ``fumefume`` (6/8 or 12/8, 84-120): the five-stroke West African "fume-fume" bell over
  rattle off-beats and a low drum on the dotted quarters; truth the dotted quarter.
"""

from __future__ import annotations

__all__ = ["FIFTH_GROOVES", "FIFTH_KITS", "FIFTH_UNSTRETCHED"]

# General MIDI percussion notes (channel 10, 35-81); all are in the freepats drum set.
KICK, RIM, SNARE, CLAP, E_SNARE, CH, PH, OH, RIDE = 36, 37, 38, 39, 40, 42, 44, 46, 51
LOW_FLOOR_TOM, LOW_TOM, HIGH_TOM = 41, 45, 50
TAMB, COWBELL, HI_BONGO, LOW_BONGO = 54, 56, 60, 61
MUTE_CONGA, OPEN_CONGA, LOW_CONGA = 62, 63, 64
CABASA, MARACAS, SHORT_GUIRO, LONG_GUIRO, CLAVES = 69, 70, 73, 74, 75
HI_WOOD, LOW_WOOD, MUTE_TRI, OPEN_TRI = 76, 77, 80, 81
_T = 8 / 3  # the third 8th-note triplet of a beat, in 16th steps

#: Groove name -> (steps per pattern, steps per beat, {drum: [(step, velocity), ...]}).
FIFTH_GROOVES = {
    "bachata": (16, 4, {HI_BONGO: [(s, 84 if s % 4 == 0 else 62) for s in range(0, 16, 2)],
                        LOW_BONGO: [(6, 80), (14, 84)],
                        SHORT_GUIRO: [(s, 70 if s % 4 == 0 else 50) for s in range(16)],
                        KICK: [(0, 100), (8, 96)]}),
    "songo": (16, 4, {COWBELL: [(s, 96) for s in (0, 4, 8, 12)],
                      KICK: [(6, 104), (12, 96)], SNARE: [(3, 48), (10, 86), (15, 52)],
                      OPEN_CONGA: [(7, 88), (14, 90)], MUTE_CONGA: [(4, 62), (12, 62)],
                      CH: [(s, 50) for s in range(2, 16, 4)]}),
    "plena": (8, 4, {LOW_CONGA: [(0, 108), (4, 108)],
                     HI_BONGO: [(2, 92), (3, 70), (6, 96), (7, 72)],
                     TAMB: [(s, 70 if s % 4 == 0 else 56) for s in range(0, 8, 2)]}),
    "gogo": (16, 4, {KICK: [(0, 112), (7, 96), (10, 90)], SNARE: [(4, 112), (12, 114)],
                     COWBELL: [(0, 80), (3, 70), (6, 80), (10, 74), (12, 80)],
                     OPEN_CONGA: [(2, 82), (3, 82), (14, 86)], LOW_CONGA: [(8, 90)],
                     CH: [(s, 56) for s in range(0, 16, 2)]}),
    "amapiano": (16, 4, {KICK: [(s, 96) for s in (0, 4, 8, 12)],
                         MARACAS: [(s, 62 if s % 2 == 0 else 46) for s in range(16)],
                         LOW_TOM: [(3, 104), (6, 100), (10, 104), (14, 96)],
                         RIM: [(7, 70), (15, 74)]}),
    "motorik": (16, 4, {KICK: [(0, 112), (8, 108), (10, 96)], SNARE: [(4, 108), (12, 108)],
                        CH: [(s, 70 if s % 4 == 0 else 60) for s in range(0, 16, 2)]}),
    "bigbeat": (16, 4, {KICK: [(0, 124), (3, 96), (8, 112), (14, 100)],
                        SNARE: [(4, 122), (12, 122), (6, 40), (9, 44), (15, 48)],
                        OH: [(s, 80) for s in (2, 6, 10, 14)]}),
    "popballad": (16, 4, {KICK: [(0, 100), (10, 86)], RIM: [(4, 84), (12, 86)],
                          CH: [(s, 54 if s % 4 == 0 else 44) for s in range(0, 16, 2)]}),
    "lofi": (16, 4, {KICK: [(0, 100), (6 + 1 / 3, 80), (10, 92)], SNARE: [(4, 94), (12, 96)],
                     CH: [(s + (_T - 2 if s % 4 == 2 else 0), 62 if s % 4 == 0 else 46)
                          for s in range(0, 16, 2)]}),
    "soukous": (16, 4, {KICK: [(s, 104) for s in (0, 4, 8, 12)],
                        SNARE: [(s, 90) for s in (2, 6, 10, 14)],
                        CH: [(s, 52) for s in range(16)]}),
    "zydeco": (8, 4, {SHORT_GUIRO: [(s, 80 if s % 2 == 0 else 60) for s in range(8)],
                      KICK: [(0, 106), (4, 100)], SNARE: [(4, 104)], CH: [(2, 60), (6, 60)]}),
    "habanera": (8, 4, {KICK: [(0, 106), (3, 90), (4, 100), (6, 92)],
                        CLAVES: [(0, 84), (4, 84)], MARACAS: [(s, 48) for s in range(0, 8, 2)]}),
    "landler": (12, 4, {KICK: [(0, 110)], SNARE: [(4, 74), (8, 76)],
                        OPEN_TRI: [(4, 70), (8, 70)], CH: [(s, 46) for s in range(2, 12, 4)]}),
    "drill": (16, 4, {KICK: [(0, 120), (7, 98), (10, 104)], SNARE: [(8, 120), (13, 96)],
                      CH: [(s, 60 if s % 2 == 0 else 46) for s in range(8)]
                      + [(8 + k * 4 / 3, 58) for k in range(6)]}),
    "phonk": (16, 4, {KICK: [(0, 122), (3, 100), (10, 110)], CLAP: [(8, 120)],
                      COWBELL: [(0, 90), (3, 76), (6, 86), (10, 80), (13, 76)],
                      CH: [(s, 52) for s in range(0, 16, 2)]}),
    "halfstep": (16, 4, {KICK: [(0, 122), (14, 96)], SNARE: [(8, 122)],
                         RIDE: [(s, 58) for s in (0, 4, 8, 12)],
                         MARACAS: [(s, 42) for s in range(0, 16, 2)]}),
    "neurofunk": (16, 4, {KICK: [(0, 122), (6, 98), (10, 116)],
                          SNARE: [(4, 120), (12, 122), (13, 50), (14, 58), (15, 66)],
                          CH: [(s, 64 if s % 2 == 0 else 48) for s in range(16)]}),
    "hardstyle": (16, 4, {KICK: [(s, 127) for s in (0, 4, 8, 12)],
                          LOW_FLOOR_TOM: [(s, 100) for s in (2, 6, 10, 14)],
                          CLAP: [(4, 96), (12, 96)], OH: [(s, 70) for s in (2, 6, 10, 14)]}),
    "happyhardcore": (16, 4, {KICK: [(s, 124) for s in (0, 4, 8, 12)],
                              OH: [(s, 84) for s in (2, 6, 10, 14)],
                              CLAP: [(4, 100), (12, 100)], CH: [(s, 50) for s in range(16)]}),
    "slowjam": (16, 4, {KICK: [(0, 108), (7, 90), (9, 96)], SNARE: [(4, 110), (12, 112)],
                        CH: [(s, 56 if s % 2 == 0 else 42) for s in range(12)]
                        + [(12 + k / 2, 40 + 4 * k) for k in range(8)]}),
    "valsecriollo": (12, 4, {LOW_CONGA: [(0, 108), (6, 104)], HI_BONGO: [(3, 90), (9, 92)],
                             MUTE_CONGA: [(10, 70)], MARACAS: [(s, 48) for s in range(0, 12, 2)],
                             CLAVES: [(4, 66), (8, 66)]}),
    "doowop": (24, 6, {RIDE: [(s, 74 if s % 6 == 0 else 56) for s in range(0, 24, 2)],
                       KICK: [(0, 104), (12, 98), (16, 70)], SNARE: [(6, 110), (18, 112)],
                       PH: [(6, 56), (18, 56)]}),
    "fumefume": (24, 6, {HI_WOOD: [(s, 98 if s == 0 else 84) for s in (0, 4, 8, 14, 18)],
                         CABASA: [(s, 58) for s in range(2, 24, 4)],
                         LOW_CONGA: [(0, 96), (6, 82), (12, 94), (18, 82)],
                         OPEN_CONGA: [(10, 84), (22, 84)], MUTE_CONGA: [(4, 58), (16, 58)]}),
}
#: GM drum kits (program on the percussion channel) that suit each groove.
FIFTH_KITS = {"bachata": (0, 8), "songo": (0, 8, 32), "plena": (0, 8), "gogo": (0, 8, 16),
              "amapiano": (25, 24, 0), "motorik": (0, 8, 16), "bigbeat": (16, 0, 25),
              "popballad": (0, 32, 8), "lofi": (0, 25, 8), "soukous": (0, 8),
              "zydeco": (0, 8), "habanera": (0, 48, 8), "landler": (0, 8, 48),
              "drill": (25, 24), "phonk": (25, 24), "halfstep": (0, 16, 24),
              "neurofunk": (24, 16, 0), "hardstyle": (24, 25), "happyhardcore": (24, 25),
              "slowjam": (25, 0, 8), "valsecriollo": (0, 8, 48), "doowop": (0, 32, 8),
              "fumefume": (0, 8, 48)}
#: Grooves in triple or compound metre: their tunes are never played at half speed.
FIFTH_UNSTRETCHED = ("landler", "valsecriollo", "doowop", "fumefume")
