"""Drum grooves that only the ``sixth`` edition of the evaluation set plays.

Step patterns in the format of :data:`benchmarks.evalgrooves.GROOVES` (steps of a 16th in
x/4; in 6/8, 9/8 and 12/8 the beat is a dotted quarter of 6 steps), which merges them.  A
groove's *beat* is the notated beat of the tune it accompanies, and the planned BPM is the
BPM of that beat (the truth).  The notes are General MIDI percussion numbers, but the
edition plays them with recorded sample kits (:mod:`benchmarks.evalsixthrender`), and a
groove's *hand set* gives some notes other instruments: ``"hands"`` plays the bass drum
35 and the snare 40 on a cajon and the bongos on bongos; ``"african"`` plays the congas and
bongos on djembes, the toms on dununba, sangban and kenkeni and the cowbell and agogos on
their bells; ``"tabla"`` plays the bongos, congas and side stick on tabla strokes.

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
``merengue``, ``soca``, ``ska``, ``calypso``, ``highlife``, ``tango``, ``trainbeat``,
``boomchick``, ``punk``, ``salsa``, ``zouk``, ``march``, ``dancehall``, ``kwaito``,
``rock_dense``, ``hiphop_dense``, ``breakbeat_dense``, ``fourfloor_dense``, ``vwaltz``,
``mazurka``, ``tarantella``, ``jig``, ``gospel128`` (grooves2, fit-only).

Clear (a stated beat):

* ``rumba`` (4/4, 100-128): rumba flamenca: cajon bass and slap, palmas on the off-beats,
  shaker 16ths; truth the quarter.
* ``glamstomp`` (4/4, 108-132): bass drum and floor tom on 1 and 3, snare and claps on 2
  and 4.
* ``surf`` (2/2 or 4/4, 140-166): the surf drive: toms in 8ths accented on the beats, snare
  on 2 and 4; the tune moves at half speed over it, truth the quarter of the drums.
* ``kuku`` (4/4, 100-130): West African kuku on djembes, dununba, sangban and kenkeni
  (the kenkeni on the off-beats, the bell on the beats).
* ``keherwa`` (4/4, 84-112): the eight-stroke keherwa theka on tabla, one stroke an 8th;
  the strong strokes on 1 and the "and" of 2 and on 4.
* ``kpanlogo`` (2/4 or 4/4, 110-130): the kpanlogo bell (agogo) over congas and shaker.
* ``triphop`` (4/4, 80-96): a slow heavy break: kick, snare on 2 and 4, 8th hats, shaker.
* ``beguine`` (2/4 or 4/4, 100-124): bass drum on 1, the tom figure on the "and" of 2 and
  on 3, side stick on 2 and 4, maracas.
* ``countrywaltz`` (3/4, 84-132): bass drum on 1, cross-stick and pedal hat on 2 and 3,
  ride on the beats.
* ``slipjig`` (9/8, 96-126): a bodhran-like slip-jig pulse on the toms, the three dotted
  quarters accented, a tambourine on beats 2 and 3; truth the dotted quarter.

Ambiguous:

* ``halfshuffle`` (140-168): the half-time shuffle (a triplet hi-hat, the backbeat on 3
  with ghost notes); truth the full tempo (the tune's quarter), as for every half-time
  groove of the set.
* ``futurebass`` (140-160): a half-time electronic groove (clap and snare on 3 only);
  truth the full tempo.
* ``jerseyclub`` (136-146): kicks on the beats and in triplet bursts, claps on 2 and 4.
* ``hardtechno`` (172-188): fast four-on-the-floor with a rumble tom after each kick;
  truth the quarter (the kick).
* ``musette`` (3/4, 160-190): a fast waltz felt one to the bar; truth the quarter.
* ``nyabinghi`` (60-76): a slow heartbeat drum under a repeater playing 16ths (a
  double-time feel); truth the quarter.
* ``soli`` (6/8 or 12/8, 84-120): West African soli: dununba on the dotted quarters
  against a quarter-note bell (three against two); truth the dotted quarter.
"""

from __future__ import annotations

__all__ = ["SIXTH_GROOVES", "SIXTH_KITS", "SIXTH_UNSTRETCHED", "DRUM_KITS", "HAND_SETS"]

# General MIDI percussion notes (channel 10).
KICK2, KICK, STICK, SNARE, CLAP, SNARE2 = 35, 36, 37, 38, 39, 40
LOW_FLOOR_TOM, HIGH_FLOOR_TOM, CH, PH, LOW_TOM, OH, LOW_MID_TOM, HIGH_MID_TOM = (
    41, 43, 42, 44, 45, 46, 47, 48)
HIGH_TOM, RIDE, RIDE_BELL, TAMB, COWBELL = 50, 51, 53, 54, 56
HI_BONGO, LOW_BONGO, MUTE_CONGA, OPEN_CONGA, LOW_CONGA = 60, 61, 62, 63, 64
HI_AGOGO, LOW_AGOGO, CABASA, MARACAS, CLAVES = 67, 68, 69, 70, 75
_T = 4 / 3  # an 8th-note triplet, in 16th steps


def _swung(beats: int, vel_on: int, vel_off: int) -> list:
    """A triplet-swung 8th layer: the first and the third triplet of each beat."""
    return [(4 * b + k * _T, vel_on if k == 0 else vel_off) for b in range(beats)
            for k in (0, 2)]


#: Groove name -> (steps per pattern, steps per beat, {drum: [(step, velocity), ...]}).
SIXTH_GROOVES = {
    "rumba": (16, 4, {KICK2: [(0, 106), (7, 86), (8, 100)],
                      SNARE2: [(4, 106), (12, 108), (10, 60), (15, 56)],
                      CLAP: [(2, 84), (6, 84), (10, 80), (14, 86)],
                      MARACAS: [(s, 60 if s % 2 == 0 else 44) for s in range(16)]}),
    "glamstomp": (16, 4, {KICK: [(0, 120), (8, 118)],
                          LOW_FLOOR_TOM: [(0, 96), (2, 80), (8, 96), (10, 80)],
                          SNARE: [(4, 118), (12, 118)], CLAP: [(4, 100), (12, 100)],
                          OH: [(s, 60) for s in (2, 6, 10, 14)]}),
    "surf": (16, 4, {KICK: [(0, 112), (8, 108)], SNARE: [(4, 112), (12, 114)],
                     LOW_TOM: [(s, 96 if s % 4 == 0 else 76) for s in range(0, 16, 2)],
                     RIDE: [(s, 62) for s in (0, 4, 8, 12)]}),
    "kuku": (16, 4, {HIGH_MID_TOM: [(s, 90) for s in (2, 6, 10, 14)],
                     COWBELL: [(s, 80) for s in (0, 4, 8, 12)],
                     LOW_FLOOR_TOM: [(0, 108), (3, 94), (8, 100)],
                     LOW_TOM: [(6, 96), (12, 98), (14, 90)],
                     LOW_CONGA: [(0, 100)], OPEN_CONGA: [(4, 92), (5, 80), (12, 92), (13, 80)],
                     MUTE_CONGA: [(7, 100), (10, 96), (15, 100)]}),
    "keherwa": (16, 4, {LOW_CONGA: [(0, 110), (12, 100)], HI_BONGO: [(0, 96), (4, 84), (8, 84),
                                                                     (14, 80)],
                        LOW_BONGO: [(2, 92), (12, 96)], MUTE_CONGA: [(5, 54), (6, 86)],
                        STICK: [(10, 80)], OPEN_CONGA: [(13, 58)]}),
    "kpanlogo": (16, 4, {HI_AGOGO: [(0, 100), (3, 90), (6, 94), (10, 90), (12, 96)],
                         OPEN_CONGA: [(6, 92), (7, 90), (14, 94), (15, 90)],
                         MUTE_CONGA: [(2, 70), (10, 70)], LOW_CONGA: [(0, 98), (8, 96)],
                         CABASA: [(s, 56) for s in range(0, 16, 2)]}),
    "triphop": (16, 4, {KICK: [(0, 118), (7, 90), (10, 104)], SNARE: [(4, 116), (12, 118)],
                        CH: [(s, 56) for s in range(0, 16, 2)], OH: [(14, 70)],
                        MARACAS: [(s, 44) for s in range(1, 16, 2)]}),
    "beguine": (16, 4, {KICK: [(0, 104)], LOW_TOM: [(6, 92), (8, 100)],
                        STICK: [(4, 82), (12, 86)], MARACAS: [(s, 56) for s in range(0, 16, 2)],
                        RIDE: [(s, 64) for s in (0, 4, 8, 12)]}),
    "countrywaltz": (12, 4, {KICK: [(0, 108)], STICK: [(4, 74), (8, 72)],
                             PH: [(4, 62), (8, 62)], RIDE: [(0, 74), (4, 60), (8, 60), (10, 48)]}),
    "slipjig": (18, 6, {LOW_TOM: [(s, 104 if s % 6 == 0 else 72) for s in range(0, 18, 2)],
                        LOW_FLOOR_TOM: [(0, 110)], TAMB: [(6, 80), (12, 80)]}),
    "halfshuffle": (16, 4, {KICK: [(0, 114), (6 + 2 * _T / 2, 86), (10 + _T, 96)],
                            SNARE: [(8, 120)] + [(4 * b + 2 * _T, 36) for b in (0, 1, 3)],
                            CH: _swung(4, 72, 52)}),
    "futurebass": (16, 4, {KICK: [(0, 120), (10, 104), (14, 96)], CLAP: [(8, 118)],
                           SNARE: [(8, 110)], CH: [(s, 54) for s in range(0, 16, 2)],
                           OH: [(6, 64), (14, 64)]}),
    "jerseyclub": (16, 4, {KICK: [(0, 118), (4, 110), (8, 116), (10 + _T / 2, 100),
                                  (12, 112), (12 + _T, 104), (12 + 2 * _T, 108)],
                           CLAP: [(4, 108), (12, 110)], CH: [(s, 50) for s in range(2, 16, 4)]}),
    "hardtechno": (16, 4, {KICK: [(s, 127) for s in (0, 4, 8, 12)],
                           LOW_FLOOR_TOM: [(s, 86) for s in (2, 3, 6, 7, 10, 11, 14, 15)],
                           OH: [(s, 80) for s in (2, 6, 10, 14)], CLAP: [(4, 90), (12, 90)],
                           CH: [(s, 46) for s in range(16)]}),
    "musette": (12, 4, {KICK: [(0, 104)], STICK: [(4, 66), (8, 64)],
                        MARACAS: [(s, 50) for s in range(0, 12, 2)]}),
    "nyabinghi": (16, 4, {LOW_FLOOR_TOM: [(0, 112), (8, 78)],
                          LOW_CONGA: [(0, 96), (4, 88), (8, 96), (12, 88)],
                          MUTE_CONGA: [(2, 80), (6, 80), (10, 80), (14, 80)],
                          HI_BONGO: [(s, 74 if s % 4 == 1 else 56) for s in range(16)
                                     if s % 4 != 0]}),
    "soli": (12, 6, {LOW_FLOOR_TOM: [(0, 110), (6, 100)], COWBELL: [(0, 90), (4, 80), (8, 84)],
                     HIGH_MID_TOM: [(3, 80), (9, 80)],
                     OPEN_CONGA: [(2, 88), (5, 80), (8, 90), (11, 82)],
                     MUTE_CONGA: [(4, 96), (10, 98)]}),
}
#: The sample kits of the edition (Hydrogen drum kits, package ``hydrogen-drumkits``):
#: acoustic kits first, then a break kit and two electronic kits.
DRUM_KITS = ("The Black Pearl 1.0", "ForzeeStereo", "BJA_Pacific", "ColomboAcousticDrumkit",
             "Millo_MultiLayered2", "Audiophob", "VariBreaks", "ElectricEmpireKit",
             "HardElectro1")
_ACOUSTIC, _BREAKS, _ELECTRONIC = (0, 1, 2, 3, 4, 5), (6, 0, 1), (7, 8)
#: Groove -> indices of :data:`DRUM_KITS` that suit it (the planned ``kit``).
SIXTH_KITS = {"rumba": _ACOUSTIC, "glamstomp": _ACOUSTIC, "surf": _ACOUSTIC,
              "kuku": _ACOUSTIC, "keherwa": _ACOUSTIC, "kpanlogo": _ACOUSTIC,
              "triphop": _BREAKS, "beguine": _ACOUSTIC, "countrywaltz": _ACOUSTIC,
              "slipjig": _ACOUSTIC, "halfshuffle": _ACOUSTIC, "futurebass": _ELECTRONIC,
              "jerseyclub": _ELECTRONIC, "hardtechno": _ELECTRONIC, "musette": _ACOUSTIC,
              "nyabinghi": _ACOUSTIC, "soli": _ACOUSTIC}
#: Groove -> hand set (see the module docstring); the others play every note on the kit.
HAND_SETS = {"rumba": "hands", "kuku": "african", "keherwa": "tabla", "kpanlogo": "hands",
             "beguine": "hands", "nyabinghi": "african", "soli": "african"}
#: Grooves in triple or compound metre: their tunes are never played at half speed.
SIXTH_UNSTRETCHED = ("countrywaltz", "slipjig", "musette", "soli")
