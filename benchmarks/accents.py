"""Tempo of drumless tunes played flat and with a player's metric accents, file for file.

    python -m benchmarks.accents [--edition seventh] [--subset drumless] [--limit N]
                                 [--render-only]

Every edition plays its pitched parts at velocities drawn around one level whatever their
place in the bar: the lead, the comping and the bass give no downbeat, and a drumless tune's
metre is heard only through its notes, chords and bass figures.  Players accent: the first
beat of a bar most, the other beats less, the notes between the beats least.  This
benchmark renders an edition's items (by default the seventh edition's drumless tunes) a
second time with such accents (:func:`accent_events`: a note on a bar's first beat
``+BAR``, on another beat ``+BEAT``, between the beats ``-OFF`` of velocity; in 6/8, 9/8 and
12/8 the beat is the dotted quarter, so an eighth note's accent follows the compound beat)
and otherwise alike, into ``<edition folder>/accented``, and prints SongCal's tempo Acc1 and
Acc2 (and librosa's and Essentia's) on the files as built and on the accented copies, with
the files that moved.

The accented copies are a probe of what the analyzer reads, not an edition: none of them is
fitted on, and a figure from them says which set it comes from.  The seventh edition is the
only one whose files as built no fit has read either; on the others the files as built are
training material (the output says so).
"""

from __future__ import annotations

import argparse
import json
import os
import sys

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import numpy as np  # noqa: E402

__all__ = ["BAR", "BEAT", "OFF", "accent_events", "accented_item", "render_copies", "main"]

#: Velocity added on a bar's first beat, on the bar's other beats, and taken from notes
#: between the beats.
BAR, BEAT, OFF = 14, 6, 8
#: How far (a fraction of the beat) a note may lie from a beat and still count as on it.
_ON = 0.12


def accent_events(events: list, *, beat_s: float, bar_beats: float,
                  scale: float = 1.0) -> list:
    """The performed events ``(time s, duration s, note, velocity, channel)`` with metric
    accents on the pitched channels (the drums, channel 9, as they were).

    Parameters
    ----------
    events : list
        Events on a steady grid whose first bar starts at 0 s.
    beat_s : float
        Length of the notated beat (s).
    bar_beats : float
        Beats in a bar.
    scale : float
        Strength of the accents: ``BAR``, ``BEAT`` and ``OFF`` times ``scale``, rounded.
    """
    bar, beat, off = (int(round(v * scale)) for v in (BAR, BEAT, OFF))
    out = []
    for t, d, note, vel, ch in events:
        if ch != 9:
            beats = t / beat_s
            nearest = round(beats)
            if abs(beats - nearest) <= _ON:
                on_bar = abs(nearest / bar_beats - round(nearest / bar_beats)) < 1e-6
                vel = vel + (bar if on_bar else beat)
            else:
                vel = vel - off
            vel = int(np.clip(vel, 20, 127))
        out.append((t, d, note, vel, ch))
    return out


def accented_item(item: dict, source: dict, *, scale: float = 1.0):
    """A ``retime(events)`` for :func:`benchmarks.evalrender.render_item` that accents the
    item's steady events (``scale`` times the levels) and then applies the item's own
    drift, if any."""
    from benchmarks.evalfifthrender import _retimer

    drift = _retimer(item)
    beat_s = 60.0 / item["bpm"]
    bar_beats = source["bar_ql"] / source["beat_ql"] * item.get("stretch", 1.0)

    def retime(events):
        events = accent_events(events, beat_s=beat_s, bar_beats=bar_beats, scale=scale)
        return drift(events) if drift is not None else events

    return retime


def _render(job):
    from benchmarks.evalfifthrender import _post
    from benchmarks.evalrender import fluidsynth, render_item

    item, source, soundfont, out = job
    render_item(item, source, soundfont, out, retime=accented_item(item, source),
                post=_post(item), synth=fluidsynth)
    return out


def render_copies(folder: str, items: list[dict], kind: str, render, *,
                  jobs: int = 2) -> tuple[list[dict], int]:
    """Render the copies of an edition's ``items`` (in ``folder``) that ``folder``/``kind``
    lacks, ``jobs`` at once, each by ``render((item, source, soundfont, path))``.

    Returns the copies (the items with their copy's ``path``) and how many were rendered now.
    """
    from benchmarks.evalset import SOUNDFONTS

    with open(os.path.join(folder, "sources.json")) as f:
        sources = {s["id"]: s for s in json.load(f)["tunes"]}
    out_dir = os.path.join(folder, kind)
    os.makedirs(os.path.join(out_dir, "audio"), exist_ok=True)
    copies = [dict(it, path=os.path.join(out_dir, it["file"])) for it in items]
    todo = [(it, sources[it["source"]], SOUNDFONTS[it["soundfont"]], it["path"])
            for it in copies if not os.path.exists(it["path"])]
    if todo:
        from concurrent.futures import ProcessPoolExecutor

        with ProcessPoolExecutor(max_workers=max(1, jobs)) as pool:
            for _ in pool.map(render, todo):
                pass
    return copies, len(todo)


def main(argv=None) -> int:
    from benchmarks.evalset import EDITIONS, load
    from benchmarks.realistic import _peers, _score, songcal_answers
    from benchmarks.tempo_report import own_numba_cache

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--edition", default="seventh", choices=list(EDITIONS))
    ap.add_argument("--subset", default="drumless", help="the items' subset ('all': every one)")
    ap.add_argument("--limit", type=int, default=0, help="at most N items (0: all)")
    ap.add_argument("--jobs", type=int, default=2, help="renders at once (default 2)")
    ap.add_argument("--no-peers", action="store_true", help="SongCal alone")
    ap.add_argument("--render-only", action="store_true",
                    help="render the accented copies and stop (for fit_tempo --accented)")
    args = ap.parse_args(argv)
    folder = EDITIONS[args.edition][0]
    items = [it for it in load(None, cache=folder)
             if it["id"].startswith("t") and (args.subset == "all" or it["subset"] == args.subset)
             and it.get("renderer", "fluidsynth") == "fluidsynth"]
    if args.limit:
        items = items[: args.limit]
    if not items:
        print(f"no FluidSynth-rendered tunes in {folder}: build the edition first")
        return 2
    own_numba_cache(folder)
    out_dir = os.path.join(folder, "accented")
    accented, rendered = render_copies(folder, items, "accented", _render, jobs=args.jobs)
    if args.render_only:
        print(f"{len(accented)} accented copies in {out_dir} ({rendered} rendered now)")
        return 0
    from benchmarks.realistic import TEMPO_FITTED

    fitted = ("the tempo decision was fitted on these files as built, not on the accented "
              "copies" if args.edition in TEMPO_FITTED else "nothing here is fitted on")
    print(f"{args.edition} edition, {len(items)} tunes ({args.subset}), as built and with "
          f"metric accents (bar +{BAR}, beat +{BEAT}, between -{OFF}); {fitted}")
    want = set() if args.no_peers else {"librosa", "essentia"}
    tables = {"as built": (items, _peers(items, folder, want=want)),
              "accented": (accented, _peers(accented, out_dir, want=want))}
    scores = {}
    for name, (its, peers) in tables.items():
        rows = {"songcal": [], **{p: [] for p in peers}}
        for it in its:
            ours = songcal_answers(it)
            rows["songcal"].append(dict(_score(ours, it), bpm=ours["bpm"]))
            for p, table in peers.items():
                rows[p].append(_score(table[it["id"]], it))
        scores[name] = rows
    for i, it in enumerate(items):
        a, b = scores["as built"]["songcal"][i], scores["accented"]["songcal"][i]
        if a["acc1"] != b["acc1"]:
            print(f"{it['id']} {it['meter']:<5} {it.get('comp', ''):<9} {it['bpm']:6.1f}  "
                  f"as built {a['bpm'] or 0:6.1f}  accented {b['bpm'] or 0:6.1f}")
    print(f"\n{'set':<9} {'meter':<7} {'n':>3} {'system':<9} {'Acc1':>6} {'Acc2':>6}")
    groups = [("all", lambda it: True), ("duple", lambda it: it["meter"] in ("2/4", "4/4", "2/2")),
              ("3/4", lambda it: it["meter"] == "3/4"),
              ("compound", lambda it: it["meter"] in ("6/8", "9/8", "12/8"))]
    for name, rows_by_system in scores.items():
        for label, keep in groups:
            idx = [i for i, it in enumerate(items) if keep(it)]
            if not idx:
                continue
            for system, rows in rows_by_system.items():
                a1 = np.mean([rows[i]["acc1"] for i in idx])
                a2 = np.mean([rows[i]["acc2"] for i in idx])
                print(f"{name:<9} {label:<7} {len(idx):>3} {system:<9} {a1:6.3f} {a2:6.3f}")
    print(f"\nreproduce: python -m benchmarks.accents --edition {args.edition} "
          f"--subset {args.subset}" + (f" --limit {args.limit}" if args.limit else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
