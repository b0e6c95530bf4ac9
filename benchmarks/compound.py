"""Copies of compound-metre tunes comped in threes, as players comp them: training material.

    python -m benchmarks.compound [--edition base] [--jobs 2]

The editions before the seventh comp a tune in 6/8, 9/8 or 12/8 with the figures of a simple
metre: an arpeggio, a strum, an off-beat chord or an Alberti bass steps half a beat (of the
dotted quarter), so the accompaniment splits each beat in two, and a walking bass in
eighths does the same.  Players comp such a tune in eighths, three to the beat; of the fit
material only the ``grooves2`` edition does, and the seventh edition (which no fit reads).

This script renders an edition's compound-metre tunes a second time with the figure in
threes (:data:`COMPOUND_COMP`: ``arp`` and ``arp16`` as ``arp3``, ``strum``, ``strum16`` and
``offbeat`` as ``strum3``, ``alberti`` and ``alberti16`` as ``alberti3``; a bass in eighths
or sixteenths as ``eighth3``), and otherwise alike (the same tune, instruments, tempo,
drift and rendering variation), into ``<edition folder>/compound``.  A tune whose figures
have nothing to change (held or block chords, a bass on the beat) gets no copy.  Only
FluidSynth renders are copied: the seventh edition is never read, nor the sixth (Csound)
or the fifth's TiMidity renders.  ``python -m benchmarks.fit_tempo --wide|--loeo --compound``
fits on the copies as the source ``compound``; an edition's copies leave the fit with it.
``--compound-replace fit`` puts each copy in its original's place: the shipped decision is
fitted so (``python -m benchmarks.fit_tempo --wide --trees --compound-replace fit``), chosen
on the eighth edition (``benchmarks/results/fits.txt``, nineteenth round).
"""

from __future__ import annotations

import argparse
import os
import sys

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

from benchmarks.evalseventhrender import COMPOUND_METERS  # noqa: E402

__all__ = ["COMPOUND_COMP", "COMPOUND_BASS", "COMPOUND_METERS", "EDITIONS_COPIED",
           "compound_item", "main"]

#: A simple metre's comping figure -> the figure in threes that replaces it.
COMPOUND_COMP = {"arp": "arp3", "arp16": "arp3", "strum": "strum3", "strum16": "strum3",
                 "offbeat": "strum3", "alberti": "alberti3", "alberti16": "alberti3"}
#: A bass figure that splits the beat in two or four -> the bass in eighths.
COMPOUND_BASS = {"eighth": "eighth3", "sixteenth": "eighth3"}
#: Editions whose copies are made (``--edition all``): the fit material and the touched
#: held-out editions rendered by FluidSynth; never the seventh.
EDITIONS_COPIED = ("base", "more", "fresh", "unseen", "fourth", "fifth")


def compound_item(item: dict) -> dict | None:
    """The item comped in threes, or None when it is not a FluidSynth-rendered tune in a
    compound metre or none of its figures would change."""
    if (item.get("meter") not in COMPOUND_METERS or not item["id"].startswith("t")
            or item.get("renderer", "fluidsynth") != "fluidsynth"):
        return None
    comp = COMPOUND_COMP.get(item.get("comp"), item.get("comp"))
    bass = COMPOUND_BASS.get(item.get("bass"), item.get("bass"))
    if comp == item.get("comp") and bass == item.get("bass"):
        return None
    return dict(item, comp=comp, bass=bass)


def _render(job):
    from benchmarks.evalfifthrender import _post, _retimer
    from benchmarks.evalrender import fluidsynth, render_item

    item, source, soundfont, out = job
    tmp = out + ".part.flac"
    render_item(item, source, soundfont, tmp, retime=_retimer(item), post=_post(item),
                synth=fluidsynth)
    os.replace(tmp, out)
    return out


def copy_edition(name: str, *, jobs: int = 2) -> tuple[int, int]:
    """Render the compound copies of edition ``name`` that are missing; (copies, rendered)."""
    from benchmarks.accents import render_copies
    from benchmarks.evalset import EDITIONS, load

    if name == "seventh":
        raise ValueError("the seventh edition is never copied: no fit reads it")
    folder = EDITIONS[name][0]
    items = [c for c in map(compound_item, load(None, cache=folder)) if c is not None]
    if not items:
        return 0, 0
    copies, rendered = render_copies(folder, items, "compound", _render, jobs=jobs)
    return len(copies), rendered


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--edition", default="all", choices=("all",) + EDITIONS_COPIED,
                    help="whose tunes (default: %(default)s, every edition of EDITIONS_COPIED)")
    ap.add_argument("--jobs", type=int, default=2, help="renders at once (default 2)")
    args = ap.parse_args(argv)
    names = EDITIONS_COPIED if args.edition == "all" else (args.edition,)
    for name in names:
        try:
            n, done = copy_edition(name, jobs=args.jobs)
        except FileNotFoundError as e:
            print(f"{name}: not built ({e}); python -m benchmarks.evalset --edition {name}")
            return 2
        print(f"{name}: {n} compound-metre tunes comped in threes ({done} rendered now)",
              flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
