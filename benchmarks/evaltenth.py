"""The ``tenth`` edition of the evaluation set: new grooves on recorded drum kits, held back.

A tenth held-out-only set (``~/.cache/songcal-eval-tenth``, 196 files of 30 s), built when
the ninth edition had made its choice, and kept for the next choice between two decisions:
a rule is to be written before either is run on it, and no decision is to be designed from
its files' errors.  Nothing in it was tuned on.  Beside the ninth edition, whose recipe it
follows (:mod:`benchmarks.evalninth`):

* **grooves**: thirteen that no edition has played (:mod:`benchmarks.evaltenthgrooves`:
  funk rock, makossa, candombe, klezmer, rock waltz, zamba, 12/8 soul and mozambique as the
  clear ones; skank beat, d-beat, a metal breakdown, hardcore punk and a chamamé hemiola as
  the ambiguous ones), eight tunes each.
* **drums**: two recorded acoustic kits, AVL Drumkits' Black Pearl and Red Zeppelin (Robin
  Gareus, GPL-2+; the Debian package ``avldrums.lv2-soundfont``), which no edition or
  benchmark plays: the earlier editions' drums came from General MIDI soundfonts' kits and,
  in the sixth (fitted on), from Hydrogen's sample kits.  :func:`render_tenth` renders the
  drum part with one of them and the pitched parts apart, and mixes the kit at the level
  the pitched soundfont's own kit would have had.
* **pitched instruments**: drawn per file from the three soundfonts that no fit has read
  (Merlin, GeneralUser GS and Sonivox EAS, of the seventh, eighth and ninth editions).
  Those editions have been measured and made choices, so the sound of the pitched parts is
  not new; their tunes, grooves and drums are.
* **tunes**: other generated tunes (:func:`benchmarks.evaleighth.generate_tune` from seeds of
  their own), none whose melody another edition has.
* **drumless files**: 92, in the eighth edition's rows (duple, 2/2, 3/4 and compound metres).

Players' accents, metre-following accompaniment and the fifth edition's variation are
drawn as in the eighth (:func:`benchmarks.evaleighth.vary_eighth`).  The truth is the BPM
of the notated beat and the generated tune's key, as in every edition.

``python -m benchmarks.evaltenth`` checks the built edition: it prints the pieces, melodies,
grooves and drum kits it shares with every other built edition and the drift benchmark's
renders (none, when sound).
"""

from __future__ import annotations

import os

import numpy as np

from benchmarks.evaleighth import DRUMLESS_ROWS

__all__ = ["TENTH_FONTS", "TENTH_TUNE_PLAN", "DRUM_KITS", "ensure_drum_kits", "tenth_sources",
           "vary_tenth", "render_tenth", "fluidsynth_with_kit", "main"]

#: The recorded drum kits by name: Debian's ``avldrums.lv2-soundfont`` installs them.
DRUM_KITS = {"blackpearl": "/usr/share/sounds/sf2/Black_Pearl_4_LV2.sf2",
             "redzeppelin": "/usr/share/sounds/sf2/Red_Zeppelin_4_LV2.sf2"}
#: The pitched instrument sources, drawn per file (names of
#: :data:`benchmarks.evalset.SOUNDFONTS`): the soundfonts no fit has read.
TENTH_FONTS = ("merlin", "generaluser", "sonivox")
_SEED = 20
_TUNES_PER_GROOVE = 8


def _grooved_rows() -> tuple:
    return (("funkrock", "clear", (92, 112), ("4/4", "2/4", "2/2"), _TUNES_PER_GROOVE),
            ("makossa", "clear", (112, 128), ("4/4", "2/4", "2/2"), _TUNES_PER_GROOVE),
            ("candombe", "clear", (108, 128), ("4/4", "2/4", "2/2"), _TUNES_PER_GROOVE),
            ("klezmer", "clear", (104, 132), ("2/4", "4/4", "2/2"), _TUNES_PER_GROOVE),
            ("rockwaltz", "clear", (100, 132), ("3/4",), _TUNES_PER_GROOVE),
            ("zamba", "clear", (44, 60), ("6/8",), _TUNES_PER_GROOVE),
            ("sixeightsoul", "clear", (54, 72), ("12/8", "6/8"), _TUNES_PER_GROOVE),
            ("mozambique", "clear", (104, 124), ("4/4", "2/4", "2/2"), _TUNES_PER_GROOVE),
            ("skankbeat", "ambiguous", (168, 200), ("4/4", "2/4", "2/2"), _TUNES_PER_GROOVE),
            ("dbeat", "ambiguous", (160, 190), ("4/4", "2/4", "2/2"), _TUNES_PER_GROOVE),
            ("breakdown", "ambiguous", (130, 160), ("4/4", "2/4", "2/2"), _TUNES_PER_GROOVE),
            ("hardcore", "ambiguous", (184, 216), ("4/4", "2/4", "2/2"), _TUNES_PER_GROOVE),
            ("chamame", "ambiguous", (92, 116), ("6/8",), _TUNES_PER_GROOVE))


#: The plan: the edition's thirteen grooves, eight tunes each, then the eighth's drumless rows.
TENTH_TUNE_PLAN = _grooved_rows() + DRUMLESS_ROWS


def tenth_sources(known_tunes: set, known_pieces: set, *, seed: int = _SEED) -> dict:
    """The edition's material: generated tunes from the edition's own seeds
    (:func:`benchmarks.evaleighth.eighth_sources`), none whose melody another edition has."""
    from benchmarks.evaleighth import eighth_sources

    return eighth_sources(known_tunes, known_pieces, seed=seed)


def ensure_drum_kits() -> dict:
    """:data:`DRUM_KITS`, once every kit's file is there.

    Raises
    ------
    RuntimeError
        When a kit is missing, with the command that installs it.
    """
    missing = [path for path in DRUM_KITS.values() if not os.path.exists(path)]
    if missing:
        raise RuntimeError(f"{', '.join(missing)} not found: the tenth edition's drum kits "
                           "come from apt-get install avldrums.lv2-soundfont")
    return DRUM_KITS


def vary_tenth(items: list[dict], *, seed: int) -> list[dict]:
    """Give the items their instruments, figures, accents and variation (in place), as the
    eighth edition draws them, each keeping the pitched soundfont the plan drew for it; a
    grooved item also gets one of :data:`DRUM_KITS` (``drumkit``)."""
    from benchmarks.evaleighth import vary_eighth
    from benchmarks.evalunseen import item_rng

    fonts = {it["id"]: it["soundfont"] for it in items}
    vary_eighth(items, seed=seed)
    kits = sorted(DRUM_KITS)
    for it in items:
        it["soundfont"] = fonts[it["id"]]
        if it["groove"] != "none":
            rng = item_rng(it["id"], seed, 10)
            it["drumkit"] = kits[int(rng.integers(len(kits)))]
    return items


def fluidsynth_with_kit(mid: str, wav: str, *, sr: int, soundfont: str, kit: str) -> None:
    """Render a MIDI file as :func:`benchmarks.evalrender.fluidsynth` does, but its drum part
    (channel 10) with the recorded kit ``kit`` (a soundfont whose one preset is the kit):
    the pitched parts and the drums are rendered apart and mixed, the kit scaled to the
    level (RMS) at which ``soundfont``'s own kit plays the same part.

    Raises
    ------
    RuntimeError
        When FluidSynth fails or writes nothing.
    """
    import mido
    import soundfile as sf

    from benchmarks.evalrender import fluidsynth, midi_part, rms

    def drum(msg) -> bool:
        return getattr(msg, "channel", None) == 9

    def on_kit(msg):  # the kit's one preset: bank 0, program 0
        return (msg.copy(channel=0, program=0) if msg.type == "program_change"
                else msg.copy(channel=0))

    src = mido.MidiFile(mid)
    parts = {"pitched": midi_part(src, lambda msg: not drum(msg)),
             "own": midi_part(src, drum), "kit": midi_part(src, drum, on_kit)}
    base = os.path.splitext(wav)[0]
    audio = {}
    for name, font in (("pitched", soundfont), ("own", soundfont), ("kit", kit)):
        path = f"{base}.{name}.mid"
        parts[name].save(path)
        fluidsynth(path, f"{base}.{name}.wav", sr=sr, soundfont=font)
        audio[name], _ = sf.read(f"{base}.{name}.wav", dtype="float64", always_2d=True)
    kit_rms = rms(audio["kit"])
    gain = rms(audio["own"]) / kit_rms if kit_rms > 0 else 0.0
    n = max(len(audio["pitched"]), len(audio["kit"]))
    y = np.zeros((n, 2))
    y[: len(audio["pitched"])] += audio["pitched"]
    y[: len(audio["kit"])] += gain * audio["kit"]
    sf.write(wav, y.astype(np.float32), sr, subtype="FLOAT")


def render_tenth(item: dict, source: dict, soundfont: str, out_path: str) -> None:
    """Render one item as :func:`benchmarks.evaleighth.render_eighth` does, its drums (if any)
    on the item's recorded kit (:func:`fluidsynth_with_kit`)."""
    import functools

    from benchmarks.accents import accented_item
    from benchmarks.evalfifthrender import _post, _retimer
    from benchmarks.evalrender import fluidsynth, render_item

    synth = fluidsynth
    if item.get("drumkit"):
        synth = functools.partial(fluidsynth_with_kit, kit=DRUM_KITS[item["drumkit"]])
    scale = float(item.get("accent", 0.0))
    retime = accented_item(item, source, scale=scale) if scale else _retimer(item)
    render_item(item, source, soundfont, out_path, retime=retime, post=_post(item),
                synth=synth)


def main(argv=None) -> int:
    """Print what the built tenth edition shares with every other built edition and the
    drift benchmark's renders (:func:`benchmarks.evalsixth.report_shared`): pieces, tunes,
    grooves and drum kits.  Its pitched soundfonts are those of the seventh, eighth and
    ninth editions by design (no fit has read them) and are not counted."""
    import argparse

    from benchmarks.evalset import EDITIONS
    from benchmarks.evalsixth import report_shared

    ap = argparse.ArgumentParser(description="check what the tenth edition shares with "
                                 "another edition (pieces, tunes, grooves, drum kits)")
    ap.add_argument("--cache", default=EDITIONS["tenth"][0])
    args = ap.parse_args(argv)

    def kits_of(items: list[dict]) -> list[str]:
        return sorted({it.get("drumkit") for it in items} & set(DRUM_KITS))

    print("pitched soundfonts shared by design: " + ", ".join(TENTH_FONTS))
    return 1 if report_shared("tenth", args.cache, kits_of) else 0


if __name__ == "__main__":
    import sys

    sys.exit(main())
