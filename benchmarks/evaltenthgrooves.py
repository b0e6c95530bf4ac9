"""Drum grooves that only the ``tenth`` edition of the evaluation set plays.

Step patterns in the format of :data:`benchmarks.evalgrooves.GROOVES` (steps of a 16th in
x/4; in 6/8 and 12/8 the beat is a dotted quarter of 6 steps), which merges them.  A
groove's *beat* is the notated beat of the tune it accompanies, and the planned BPM is the
BPM of that beat (the truth).  The edition plays them on two recorded acoustic drum kits
(:mod:`benchmarks.evaltenth`), so every groove is written for a drum kit's pieces alone
(bass drum, snare and side stick, hi-hat closed, pedalled and open, toms, ride and its
bell, crash, tambourine and cowbell): no hand drums, claps or drum machines.

None of these names is played by an earlier edition (their names are listed in
:mod:`benchmarks.evalseventhgrooves`, and the seventh's own thirteen there too).

Clear (a stated beat):

* ``funkrock`` (4/4, 92-112): kick on 1, the "a" of 1, 3 and the "and" of 3, snare on 2
  and 4 with ghost notes, closed hat 8ths opening on the last one; truth the quarter.
* ``makossa`` (4/4, 112-128): closed hat 16ths with the off-beat 8ths loudest, kick on 1,
  3 and the "a" of 3, snare on 2 and 4.
* ``candombe`` (4/4, 108-128): the side stick on the 3-2 clave (the madera), a tom on the
  second 16th of every beat (the chico's figure), the floor tom on 1, 3 and its "a", and
  the kick under 1 and 3.
* ``klezmer`` (2/4, 104-132): a freylekhs "oom-pah": kick on the beats, snare on the
  off-beat 8ths, light closed hat 16ths.
* ``rockwaltz`` (3/4, 100-132): kick on 1, snare on 2 and 3, closed hat 8ths accented
  on the beats, the crash on the bar every eight bars as elsewhere.
* ``zamba`` (6/8, 44-60): the bombo of an Argentine zamba on the floor tom and kick, the
  rim (side stick) on the third and sixth eighths; truth the dotted quarter.
* ``sixeightsoul`` (12/8, 54-72): closed hat on every 8th accented on the dotted beats,
  kick on 1, 3 and a pickup before 3, snare on 2 and 4; truth the dotted quarter.
* ``mozambique`` (4/4, 104-124): the mozambique bell on the cowbell and the ride bell,
  kick on the "and" of 2 and on 4, tom figures on the "e" and "and" of 2 and 4, snare
  on 3.

Ambiguous:

* ``skankbeat`` (4/4, 168-200): thrash's skank beat: kick on the quarters, snare on every
  off-beat 8th, the ride on the quarters; truth the quarter.
* ``dbeat`` (4/4, 160-190): kick on 1, its "and" and 3's "and", snare on 2 and 4, the
  crash or an open hat on every 8th; truth the quarter.
* ``breakdown`` (4/4, 130-160): a metal half-time breakdown: kick bursts in 16ths, the
  snare on 3 only, the open hat on the quarters; truth the full tempo (the quarter).
* ``hardcore`` (4/4, 184-216): fast hardcore punk: kick on 1 and 3, snare on 2 and 4, the
  ride on the quarters; truth the quarter.
* ``chamame`` (6/8, 92-116): a hemiola of the chamamé: the kick on the three quarter
  notes of the two bars against the snare on the dotted beats, closed hat 8ths; truth
  the dotted quarter.
"""

from __future__ import annotations

__all__ = ["TENTH_GROOVES", "TENTH_KITS", "TENTH_UNSTRETCHED"]

# General MIDI percussion notes: the pieces both acoustic kits of the edition have.
KICK, STICK, SNARE, FLOOR, CH, PH, OH = 36, 37, 38, 41, 42, 44, 46
LOW_TOM, MID_TOM, CRASH, RIDE, BELL, TAMB, COWBELL = 45, 47, 49, 51, 53, 54, 56

#: Groove name -> (steps per pattern, steps per beat, {drum: [(step, velocity), ...]}).
TENTH_GROOVES = {
    "funkrock": (16, 4, {KICK: [(0, 116), (3, 92), (8, 110), (10, 98)],
                         SNARE: [(4, 112), (12, 114), (7, 36), (15, 40), (9, 32)],
                         CH: [(s, 80 if s % 4 == 0 else 62) for s in range(0, 14, 2)],
                         OH: [(14, 78)]}),
    "makossa": (16, 4, {CH: [(s, 78 if s % 4 == 2 else 58 if s % 2 == 0 else 44)
                             for s in range(16)],
                        KICK: [(0, 114), (8, 108), (11, 94)], SNARE: [(4, 110), (12, 112)]}),
    "candombe": (16, 4, {STICK: [(0, 92), (3, 88), (6, 90), (10, 90), (12, 94)],
                         LOW_TOM: [(s, 70) for s in (1, 5, 9, 13)],
                         FLOOR: [(0, 104), (8, 100), (11, 90)],
                         KICK: [(0, 96), (8, 92)]}),
    "klezmer": (8, 4, {KICK: [(0, 110), (4, 104)], SNARE: [(2, 100), (6, 98)],
                       CH: [(s, 56 if s % 2 == 0 else 40) for s in range(8)]}),
    "rockwaltz": (12, 4, {KICK: [(0, 114)], SNARE: [(4, 104), (8, 100)],
                          CH: [(s, 80 if s % 4 == 0 else 56) for s in range(0, 12, 2)]}),
    "zamba": (12, 6, {FLOOR: [(0, 108), (6, 96)], KICK: [(0, 100), (10, 84)],
                      STICK: [(4, 88), (10, 92)]}),
    "sixeightsoul": (24, 6, {CH: [(s, 80 if s % 6 == 0 else 56) for s in range(0, 24, 2)],
                             KICK: [(0, 112), (10, 84), (12, 106)],
                             SNARE: [(6, 112), (18, 114)]}),
    "mozambique": (16, 4, {COWBELL: [(s, 96 if s in (0, 8) else 80)
                                     for s in (0, 2, 3, 5, 7, 8, 10, 12, 14)],
                           BELL: [(s, 60) for s in (1, 4, 9, 13)],
                           KICK: [(6, 104), (12, 110)],
                           MID_TOM: [(5, 78), (13, 80)], LOW_TOM: [(7, 84), (15, 86)],
                           SNARE: [(8, 96)]}),
    "skankbeat": (16, 4, {KICK: [(s, 112) for s in (0, 4, 8, 12)],
                          SNARE: [(s, 110) for s in (2, 6, 10, 14)],
                          RIDE: [(s, 84) for s in (0, 4, 8, 12)]}),
    "dbeat": (16, 4, {KICK: [(0, 114), (2, 100), (10, 102)], SNARE: [(4, 116), (12, 118)],
                      OH: [(s, 86 if s % 4 == 0 else 74) for s in range(0, 16, 2)]}),
    "breakdown": (16, 4, {KICK: [(0, 118), (1, 104), (2, 110), (6, 108), (7, 100),
                                 (12, 112), (13, 100)],
                          SNARE: [(8, 122)], OH: [(s, 84) for s in (0, 4, 8, 12)]}),
    "hardcore": (16, 4, {KICK: [(0, 112), (8, 108)], SNARE: [(4, 114), (12, 116)],
                         RIDE: [(s, 82) for s in (0, 4, 8, 12)]}),
    "chamame": (12, 6, {KICK: [(0, 110), (4, 92), (8, 96)], SNARE: [(0, 70), (6, 98)],
                        CH: [(s, 62 if s % 6 == 0 else 48) for s in range(0, 12, 2)]}),
}
#: Groove -> General MIDI drum kit programs: the edition plays its own recorded kits
#: instead (:mod:`benchmarks.evaltenth`), so only the standard kit is named.
TENTH_KITS = {name: (0,) for name in TENTH_GROOVES}
#: Grooves in triple or compound metre: their tunes are never played at half speed.
TENTH_UNSTRETCHED = ("rockwaltz", "zamba", "sixeightsoul", "chamame")
