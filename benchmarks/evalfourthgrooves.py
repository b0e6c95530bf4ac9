"""Drum grooves that only the ``fourth`` edition of the evaluation set plays.

Step patterns on the GM percussion channel, in the format of
:data:`benchmarks.evalgrooves.GROOVES` (steps of a 16th in x/4; in 6/8 and 12/8 the beat is
a dotted quarter of 6 steps), which merges them.  A groove's *beat* is the notated beat of
the tune it accompanies, and the planned BPM is the BPM of that beat (the truth):

* ``choro`` (2/4, 84-112): pandeiro 16ths accented on the last 16th of each beat, the
  bass drum on both beats; truth the quarter.
* ``frevo`` (fast 2/4, 136-160): a snare in running 16ths, the surdo on beat 2; truth the
  quarter (the tune is played at half speed above 135 BPM, as under every duple groove).
* ``xote`` (4/4, 84-110): zabumba on 1, the "and" of 2 and 3, triangle 16ths open on the
  off-beats; truth the quarter.
* ``partidoalto`` (two 2/4 bars, 92-112): pandeiro 16ths, the partido-alto figure on the
  rim, the surdo on each bar's second beat; truth the quarter.
* ``axe`` (samba-reggae, 2/4 or 4/4, 108-134): the caixa's syncopated figure, surdos on the
  beats, timbales off the beat; truth the quarter.
* ``chachacha`` (4/4, 108-126): cowbell on the beats and the "cha-cha" on 4-and, guiro,
  conga tumbao; truth the quarter.
* ``bolero`` (slow 4/4, 62-82): bongo martillo in 8ths, maracas, claves; truth the quarter.
* ``motown`` (4/4, 100-132): snare and tambourine on all four beats, syncopated kick; truth
  the quarter.
* ``secondline`` (New Orleans, 88-112): a snare of 16th ghosts with accents, a syncopated
  bass drum, cymbal off the beats; truth the quarter.
* ``techno`` (125-135): four-on-the-floor kick, 16th hats, open hat off the beats, no clap;
  truth the quarter (the kick).
* ``electro`` (808, 108-130): syncopated kick, clap on 2 and 4, 8th hats, 808 cowbell;
  truth the quarter.
* ``swing`` (4/4, 104-168): ride in the triplet "ding ding-a", hi-hat foot on 2 and 4,
  feathered kick; truth the quarter.
* ``countryshuffle`` (4/4, 96-140): a shuffled snare (triplet 8ths) with the backbeat
  accented, kick on 1 and 3; truth the quarter.
* ``newjack`` (new jack swing, 94-112): swung 16th hats, a hard backbeat, a swung kick;
  truth the quarter.
* ``dubstep`` (138-142), ``grime`` (138-142), ``traphalf`` (140-160): half-time grooves
  (the snare or clap on beat 3 only); truth the full tempo as dance music states it (a
  dubstep track is "140"), as for the other editions' half-time and trap grooves.
* ``gqom`` (120-128): a broken kick and toms, no four-on-the-floor; truth the quarter.
* ``moombahton`` (106-112): the dembow figure on the rim over a half-time clap; truth the
  full tempo (108, not 54).
* ``gabber`` (hardcore, 180-200): a heavy kick on every beat; truth the quarter (the kick).
* ``liquiddnb`` (170-176): a two-step with snares on 2 and 4 and shaker 16ths; truth the
  full tempo, as for the other drum-and-bass grooves.
* ``mambo`` (164-196): mambo bell, clave and conga tumbao; truth the quarter.
* ``chacarera`` (6/8, 96-126) and ``chacarera34`` (the same bombo pattern under a 3/4 tune,
  138-168): the bombo's 3/4 accents against the 6/8 bar (a hemiola); truth the dotted
  quarter in 6/8, the quarter in 3/4.
* ``afro68`` (12/8 or 6/8, 76-118): a cowbell in a 12/8 bell pattern, shekere 8ths, the
  kick on each dotted quarter of beats 1 and 3; truth the dotted quarter.
"""

from __future__ import annotations

__all__ = ["FOURTH_GROOVES", "FOURTH_KITS", "FOURTH_UNSTRETCHED"]

# General MIDI percussion notes (channel 10).
KICK, RIM, SNARE, CLAP, E_SNARE, CH, PH, OH, RIDE = 36, 37, 38, 39, 40, 42, 44, 46, 51
LOW_FLOOR_TOM, LOW_TOM, HI_MID_TOM, HIGH_TOM = 41, 45, 48, 50
TAMB, COWBELL, HI_BONGO, LOW_BONGO = 54, 56, 60, 61
MUTE_CONGA, OPEN_CONGA, LOW_CONGA, HIGH_TIMBALE, LOW_TIMBALE = 62, 63, 64, 65, 66
CABASA, MARACAS, SHORT_GUIRO, LONG_GUIRO, CLAVES = 69, 70, 73, 74, 75
MUTE_CUICA, MUTE_TRI, OPEN_TRI = 78, 80, 81
_T = 8 / 3  # the third 8th-note triplet of a beat, in 16th steps

#: Groove name -> (steps per pattern, steps per beat, {drum: [(step, velocity), ...]}).
FOURTH_GROOVES = {
    "choro": (8, 4, {TAMB: [(s, 92 if s % 4 == 3 else 74 if s % 4 == 0 else 56)
                            for s in range(8)],
                     KICK: [(0, 100), (3, 72), (4, 104)], RIM: [(2, 62), (6, 66)]}),
    "frevo": (8, 4, {SNARE: [(s, 104 if s in (0, 3, 6) else 72 if s % 2 == 0 else 58)
                             for s in range(8)],
                     KICK: [(0, 96), (4, 118)], CH: [(2, 60), (6, 60)]}),
    "xote": (16, 4, {KICK: [(0, 112), (6, 96), (8, 106)],
                     RIM: [(4, 80), (12, 84)],
                     MUTE_TRI: [(s, 56) for s in range(16) if s % 4 != 2],
                     OPEN_TRI: [(s, 88) for s in range(2, 16, 4)]}),
    "partidoalto": (16, 4, {TAMB: [(s, 84 if s % 4 == 0 else 60 if s % 2 == 0 else 50)
                                   for s in range(16)],
                            RIM: [(s, 92) for s in (3, 6, 8, 11, 14)],
                            LOW_FLOOR_TOM: [(4, 112), (12, 116)], KICK: [(0, 84), (8, 84)],
                            MUTE_CUICA: [(7, 70), (15, 70)]}),
    "axe": (16, 4, {SNARE: [(0, 96), (3, 104), (6, 104), (10, 100), (12, 96)],
                    LOW_FLOOR_TOM: [(4, 112), (12, 112)], KICK: [(0, 100), (8, 100)],
                    HIGH_TIMBALE: [(2, 76), (6, 62), (10, 76), (14, 62)],
                    CH: [(s, 48) for s in range(0, 16, 2)]}),
    "chachacha": (16, 4, {COWBELL: [(0, 98), (4, 84), (8, 98), (12, 84), (14, 86)],
                          LONG_GUIRO: [(0, 72), (8, 72)],
                          SHORT_GUIRO: [(4, 60), (6, 56), (12, 60), (14, 56)],
                          MUTE_CONGA: [(4, 72)], OPEN_CONGA: [(12, 92), (14, 90)],
                          KICK: [(0, 92), (8, 80)]}),
    "bolero": (16, 4, {HI_BONGO: [(s, 72 if s % 4 == 0 else 56) for s in range(0, 16, 2)],
                       LOW_BONGO: [(6, 82), (14, 82)],
                       MARACAS: [(s, 58) for s in range(0, 16, 2)],
                       OPEN_CONGA: [(12, 82), (14, 88)], KICK: [(0, 88), (8, 76)],
                       CLAVES: [(0, 82), (6, 82), (12, 82)]}),
    "motown": (16, 4, {SNARE: [(s, 108) for s in (0, 4, 8, 12)],
                       TAMB: [(s, 96) for s in (0, 4, 8, 12)],
                       KICK: [(0, 112), (6, 90), (8, 106), (10, 82)],
                       CH: [(s, 58) for s in range(2, 16, 4)]}),
    "secondline": (16, 4, {SNARE: [(s, 110 if s in (4, 12) else 88 if s in (7, 10, 15)
                                    else 40) for s in range(16)],
                           KICK: [(0, 112), (6, 100), (10, 96), (12, 104)],
                           CH: [(s, 72) for s in (2, 6, 10, 14)]}),
    "techno": (16, 4, {KICK: [(s, 120) for s in (0, 4, 8, 12)],
                       CH: [(s, 66 if s % 2 else 46) for s in range(16)],
                       OH: [(s, 86) for s in (2, 6, 10, 14)], RIM: [(7, 56), (13, 52)]}),
    "electro": (16, 4, {KICK: [(0, 120), (3, 96), (10, 112)], CLAP: [(4, 110), (12, 112)],
                        CH: [(s, 68 if s % 4 == 0 else 54) for s in range(0, 16, 2)],
                        COWBELL: [(6, 70), (14, 66)]}),
    "swing": (16, 4, {RIDE: [(0, 84), (4, 80), (4 + _T, 60), (8, 84), (12, 80), (12 + _T, 60)],
                      PH: [(4, 66), (12, 66)], KICK: [(s, 42) for s in (0, 4, 8, 12)],
                      SNARE: [(10 + _T, 46)]}),
    "countryshuffle": (16, 4, {SNARE: [(s + d, 110 if s in (4, 12) and d == 0 else 50)
                                       for s in range(0, 16, 4) for d in (0, _T)],
                               KICK: [(0, 110), (8, 104)], PH: [(4, 60), (12, 60)]}),
    "newjack": (16, 4, {KICK: [(0, 118), (3 + 1 / 3, 92), (6, 100), (10, 108)],
                        SNARE: [(4, 118), (12, 120)], CLAP: [(4, 100), (12, 100)],
                        CH: [(s + (1 / 3 if s % 2 else 0), 68 if s % 2 == 0 else 50)
                             for s in range(16)]}),
    "dubstep": (16, 4, {KICK: [(0, 122), (3, 92)], SNARE: [(8, 122)],
                        CH: [(s, 62) for s in (2, 6, 10, 14)],
                        MARACAS: [(s, 44) for s in range(16)]}),
    "grime": (16, 4, {KICK: [(0, 120), (6, 96), (11, 100)], CLAP: [(8, 118)],
                      SNARE: [(15, 60)],
                      CH: [(0, 62), (4, 62), (8, 62), (12, 66), (12 + 4 / 3, 56),
                           (12 + _T, 56)]}),
    "gqom": (16, 4, {KICK: [(0, 118), (7, 100), (10, 110)],
                     LOW_TOM: [(3, 96), (13, 92)], HI_MID_TOM: [(6, 90), (14, 84)],
                     CH: [(s, 54) for s in (2, 6, 10, 14)],
                     MARACAS: [(s, 40) for s in range(16)]}),
    "moombahton": (16, 4, {KICK: [(0, 118), (8, 112)], CLAP: [(8, 116)],
                           RIM: [(3, 86), (6, 94), (11, 86), (14, 94)],
                           CH: [(s, 58) for s in range(0, 16, 2)], LOW_TIMBALE: [(15, 70)]}),
    "gabber": (16, 4, {KICK: [(s, 127 if s % 8 == 0 else 122) for s in (0, 4, 8, 12)],
                       OH: [(s, 90) for s in (2, 6, 10, 14)],
                       CLAP: [(4, 84), (12, 84)], E_SNARE: [(14, 70), (15, 76)]}),
    "liquiddnb": (16, 4, {KICK: [(0, 116), (10, 108)],
                          SNARE: [(4, 114), (12, 116), (7, 42), (15, 46)],
                          MARACAS: [(s, 58 if s % 2 == 0 else 44) for s in range(16)],
                          RIDE: [(s, 60) for s in (2, 6, 10, 14)]}),
    "traphalf": (16, 4, {KICK: [(0, 120), (3, 90), (11, 104)], CLAP: [(8, 118)],
                         CH: [(s, 62 if s % 2 == 0 else 46) for s in range(12)]
                         + [(12 + k * 2 / 3, 50 + 4 * k) for k in range(6)]}),
    "mambo": (16, 4, {COWBELL: [(s, 100 if s % 4 == 0 else 78) for s in (0, 2, 4, 5, 8, 10, 12, 13)],
                      CLAVES: [(0, 90), (3, 90), (6, 90), (10, 90), (12, 90)],
                      OPEN_CONGA: [(6, 90), (7, 86), (14, 90), (15, 86)],
                      MUTE_CONGA: [(4, 66), (12, 66)], KICK: [(6, 96), (14, 96)]}),
    "chacarera": (12, 6, {LOW_TOM: [(4, 104), (8, 104)], RIM: [(0, 84), (6, 80), (10, 70)],
                          KICK: [(0, 94)], CABASA: [(s, 50) for s in range(0, 12, 2)]}),
    "chacarera34": (12, 4, {LOW_TOM: [(4, 104), (8, 104)], RIM: [(0, 84), (6, 80), (10, 70)],
                            KICK: [(0, 94)], CABASA: [(s, 50) for s in range(0, 12, 2)]}),
    "afro68": (24, 6, {COWBELL: [(s, 96 if s == 0 else 80) for s in (0, 4, 8, 12, 14, 18, 22)],
                       MARACAS: [(s, 58) for s in range(0, 24, 2)],
                       KICK: [(0, 104), (12, 100)], LOW_CONGA: [(6, 86), (18, 86)],
                       OPEN_CONGA: [(10, 88), (22, 88)], MUTE_CONGA: [(2, 60), (14, 60)]}),
}
#: GM drum kits (program on the percussion channel) that suit each groove.
FOURTH_KITS = {"choro": (0, 8), "frevo": (0, 8, 48), "xote": (0, 8, 32),
               "partidoalto": (0, 8), "axe": (0, 16, 8), "chachacha": (0, 8, 32),
               "bolero": (32, 0, 40), "motown": (0, 8, 32), "secondline": (0, 8, 48),
               "techno": (24, 25), "electro": (25, 24), "swing": (32, 40, 0),
               "countryshuffle": (40, 0, 8), "newjack": (25, 24, 16), "dubstep": (25, 24, 16),
               "grime": (25, 24), "gqom": (25, 24, 0), "moombahton": (25, 24),
               "gabber": (24, 25, 16), "liquiddnb": (0, 8, 24), "traphalf": (25, 24),
               "mambo": (0, 8, 32), "chacarera": (0, 8, 48), "chacarera34": (0, 8, 48),
               "afro68": (0, 8, 32)}
#: Grooves in triple or compound metre: their tunes are never played at half speed.
FOURTH_UNSTRETCHED = ("chacarera", "chacarera34", "afro68")
