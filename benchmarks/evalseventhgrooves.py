"""Drum grooves that only the ``seventh`` edition of the evaluation set plays.

Step patterns on the GM percussion channel, in the format of
:data:`benchmarks.evalgrooves.GROOVES` (steps of a 16th in x/4; in 6/8, 9/8 and 12/8 the
beat is a dotted quarter of 6 steps), which merges them.  A groove's *beat* is the notated
beat of the tune it accompanies, and the planned BPM is the BPM of that beat (the truth).
The edition plays them with the General MIDI drum kits of the Merlin soundfont
(:mod:`benchmarks.evalseventhrender`), every note on the kit (no hand sets).

Names the other editions play, none of which is used here: ``fourfloor``, ``rock``,
``breakbeat``, ``hiphop``, ``shuffle``, ``waltz``, ``halftime``, ``trap``, ``dnb``,
``sixeight`` (base, more); ``funk``, ``disco``, ``dembow``, ``halftime2``, ``dnb2`` (fresh);
``bossa``, ``samba``, ``baiao``, ``afrobeat``, ``garage``, ``house``, ``polka``, ``cumbia``,
``jazzwaltz``, ``onedrop``, ``jungle``, ``footwork``, ``metal``, ``blues128``, ``bembe``
(unseen); ``choro``, ``frevo``, ``xote``, ``partidoalto``, ``axe``, ``chachacha``,
``bolero``, ``motown``, ``secondline``, ``techno``, ``electro``, ``swing``,
``countryshuffle``, ``newjack``, ``dubstep``, ``grime``, ``gqom``, ``moombahton``,
``gabber``, ``liquiddnb``, ``traphalf``, ``mambo``, ``chacarera``, ``chacarera34``,
``afro68`` (fourth); ``bachata``, ``songo``, ``plena``, ``gogo``, ``amapiano``,
``motorik``, ``bigbeat``, ``popballad``, ``lofi``, ``soukous``, ``zydeco``, ``habanera``,
``landler``, ``drill``, ``phonk``, ``halfstep``, ``neurofunk``, ``hardstyle``,
``happyhardcore``, ``slowjam``, ``valsecriollo``, ``doowop``, ``fumefume`` (fifth);
``rumba``, ``glamstomp``, ``surf``, ``kuku``, ``keherwa``, ``kpanlogo``, ``triphop``,
``beguine``, ``countrywaltz``, ``slipjig``, ``halfshuffle``, ``futurebass``,
``jerseyclub``, ``hardtechno``, ``musette``, ``nyabinghi``, ``soli`` (sixth);
``merengue``, ``soca``, ``ska``, ``calypso``, ``highlife``, ``tango``, ``trainbeat``,
``boomchick``, ``punk``, ``salsa``, ``zouk``, ``march``, ``dancehall``, ``kwaito``,
``rock_dense``, ``hiphop_dense``, ``breakbeat_dense``, ``fourfloor_dense``, ``vwaltz``,
``mazurka``, ``tarantella``, ``jig``, ``gospel128`` (grooves2, fit-only).

Clear (a stated beat):

* ``kizomba`` (4/4, 84-100): the kizomba (ghetto zouk) kick on 1, the "and" of 2 and on
  3, rim clicks in a 3-3-2 figure, a snare accent on 4, shaker 16ths; truth the quarter.
* ``neosoul`` (4/4, 76-96): lazy swung 16th hats (late and a little uneven), kick on 1
  and the "a" of 2, a late snare on 2 and 4 with ghost notes.
* ``pasodoble`` (2/4, 104-124): a march: bass drum on 1, a snare roll into the accent on
  2 and a second accent on its "and", the band cymbal on the beats.
* ``polska`` (3/4, 96-126): a Swedish polska: kick on 1, tambourine 8ths and the snare
  accenting 1 and 3 (not 2).
* ``sixteenbeat`` (4/4, 88-112): the pop 16-beat: closed hats on every 16th accented on
  the 8ths, kick on 1, the "and" of 2 and on 3, snare on 2 and 4.
* ``afroswing`` (4/4, 96-110): kick on 1 and the "a" of 2 and of 3, claps on 2 and 4
  with a pre-clap, shaker 16ths swung slightly.
* ``slowblues`` (12/8, 48-66): ride on every 8th accented on the dotted quarters, kick
  on beats 1 and 3, snare on 2 and 4; truth the dotted quarter.
* ``bluegrass`` (2/2 or 4/4, 100-130): kick on 1 and 3, snare (brushes on the jazz kit)
  on 2 and 4 over a light train of snare 8ths; truth the quarter.

Ambiguous:

* ``trapsoul`` (130-150): a half-time groove (snare and clap on 3 only) with sparse 808
  kicks and 8th hats ending in a 16th-triplet roll; truth the full tempo (the quarter),
  as for every half-time groove of the set.
* ``halftimerock`` (150-172): rock half-time: kick on 1 and the "and" of 2, snare on 3
  only, open hat on the quarters; truth the full tempo.
* ``rockabilly`` (160-190): snare on 2 and 4 over light shuffled snare 8ths, kick on 1
  and 3; truth the quarter.
* ``bebop`` (170-200): fast swing: the ride's "spang-a-lang" (quarters and swung skip
  notes), pedal hat on 2 and 4, a feathered kick and sparse comping; truth the quarter.
* ``gahu`` (12/8, 96-126): an Ewe gahu-like 12/8: a five-stroke bell, a low drum on the
  dotted quarters against a high drum on the quarters (three against two), a shaker on
  the 8ths; truth the dotted quarter.
"""

from __future__ import annotations

__all__ = ["SEVENTH_GROOVES", "SEVENTH_KITS", "SEVENTH_UNSTRETCHED"]

# General MIDI percussion notes (channel 10).
KICK, STICK, SNARE, CLAP, CH, PH, OH = 36, 37, 38, 39, 42, 44, 46
RIDE, TAMB, CRASH2 = 51, 54, 57
HI_BONGO, MUTE_CONGA, LOW_CONGA = 60, 62, 64
HI_AGOGO, CABASA, MARACAS = 67, 69, 70
_T = 4 / 3  # an 8th-note triplet, in 16th steps
#: The lazy 16th hat of ``neosoul``: where each 16th of the bar falls (the on-beat 8ths a
#: little late, the off 16ths swung late by uneven amounts).
_LAZY = (0.0, 1.38, 2.1, 3.44, 4.05, 5.36, 6.12, 7.42, 8.0, 9.4, 10.08, 11.36, 12.1, 13.45,
         14.06, 15.38)
_SLIGHT = 0.2  # the slight swing of ``afroswing``: how late its off 16ths fall, in steps


#: Groove name -> (steps per pattern, steps per beat, {drum: [(step, velocity), ...]}).
SEVENTH_GROOVES = {
    "kizomba": (16, 4, {KICK: [(0, 116), (6, 100), (8, 110)],
                        STICK: [(3, 84), (11, 86), (14, 76)], SNARE: [(12, 104)],
                        MARACAS: [(s, 62 if s % 2 == 0 else 44) for s in range(16)]}),
    "neosoul": (16, 4, {KICK: [(0, 108), (_LAZY[7], 92), (_LAZY[10], 78)],
                        SNARE: [(4.15, 108), (12.15, 110), (_LAZY[2], 34), (_LAZY[9], 38),
                                (_LAZY[11], 42), (_LAZY[15], 36)],
                        CH: [(t, (72 if s % 4 == 0 else 62) if s % 2 == 0 else 44 + 4 * (s % 3))
                             for s, t in enumerate(_LAZY)]}),
    "pasodoble": (8, 4, {KICK: [(0, 112)],
                         SNARE: [(2, 46), (3, 54), (3.5, 62), (4, 108), (5, 50), (6, 96)],
                         CRASH2: [(0, 62), (4, 70)]}),
    "polska": (12, 4, {KICK: [(0, 108)], SNARE: [(8, 94), (4, 40)],
                       TAMB: [(0, 96), (2, 54), (4, 60), (6, 54), (8, 90), (10, 56)]}),
    "sixteenbeat": (16, 4, {KICK: [(0, 114), (6, 98), (8, 108)], SNARE: [(4, 114), (12, 116)],
                            CH: [(s, 84 if s % 2 == 0 else 52) for s in range(16)]}),
    "afroswing": (16, 4, {KICK: [(0, 118), (7 + _SLIGHT, 100), (11 + _SLIGHT, 104)],
                          CLAP: [(4, 108), (12, 112), (11 + _SLIGHT, 70)],
                          MARACAS: [(s + (_SLIGHT if s % 2 else 0),
                                     62 if s % 4 == 0 else 52 if s % 2 == 0 else 40)
                                    for s in range(16)]}),
    "slowblues": (24, 6, {KICK: [(0, 110), (12, 104), (22, 64)], SNARE: [(6, 112), (18, 114)],
                          RIDE: [(s, 82 if s % 6 == 0 else 58) for s in range(0, 24, 2)],
                          PH: [(6, 60), (18, 60)]}),
    "bluegrass": (16, 4, {KICK: [(0, 100), (8, 96)],
                          SNARE: [(s, 106 if s in (4, 12) else 48 if s % 4 == 2 else 40)
                                  for s in range(0, 16, 2)]}),
    "trapsoul": (16, 4, {KICK: [(0, 120), (7, 96), (11, 104)], SNARE: [(8, 112)],
                         CLAP: [(8, 118)],
                         CH: [(s, 62 if s % 4 == 0 else 50) for s in range(0, 12, 2)]
                         + [(12 + k * 2 / 3, 48 + 4 * k) for k in range(6)]}),
    "halftimerock": (16, 4, {KICK: [(0, 120), (6, 104)], SNARE: [(8, 122)],
                             OH: [(s, 86 if s % 8 == 0 else 74) for s in (0, 4, 8, 12)]}),
    "rockabilly": (16, 4, {KICK: [(0, 108), (8, 104)],
                           SNARE: [(4, 112), (12, 114)]
                           + [(4 * b + k * _T, 46 if k == 0 else 38) for b in range(4)
                              for k in (0, 2) if k or b in (0, 2)]}),
    "bebop": (16, 4, {RIDE: [(0, 84), (4, 92), (4 + 2 * _T, 62), (8, 84), (12, 92),
                             (12 + 2 * _T, 64)],
                      PH: [(4, 70), (12, 70)],
                      KICK: [(s, 34) for s in (0, 4, 8, 12)] + [(4 + 2 * _T, 76)],
                      SNARE: [(2 * _T, 50), (8 + 2 * _T, 60)]}),
    "gahu": (24, 6, {HI_AGOGO: [(s, 96 if s == 0 else 84) for s in (0, 4, 8, 14, 18)],
                     LOW_CONGA: [(s, 104 if s == 0 else 94) for s in range(0, 24, 6)],
                     HI_BONGO: [(s, 74) for s in range(0, 24, 4)],
                     MUTE_CONGA: [(10, 70), (22, 70)],
                     CABASA: [(s, 60 if s % 6 == 0 else 46) for s in range(0, 24, 2)]}),
}
_ACOUSTIC, _ELECTRONIC, _JAZZ = (0, 16, 32), (25, 0, 16), (32, 0)
#: Groove -> General MIDI drum kits (programs of the Merlin soundfont) that suit it: Standard
#: 0, Power 16, TR-808 25, Jazz 32.
SEVENTH_KITS = {"kizomba": _ELECTRONIC, "neosoul": _ACOUSTIC, "pasodoble": _ACOUSTIC,
                "polska": _ACOUSTIC, "sixteenbeat": _ACOUSTIC, "afroswing": _ELECTRONIC,
                "slowblues": _ACOUSTIC, "bluegrass": _JAZZ, "trapsoul": _ELECTRONIC,
                "halftimerock": _ACOUSTIC, "rockabilly": _ACOUSTIC, "bebop": _JAZZ,
                "gahu": _ACOUSTIC}
#: Grooves in triple or compound metre: their tunes are never played at half speed.
SEVENTH_UNSTRETCHED = ("polska", "slowblues", "gahu")
