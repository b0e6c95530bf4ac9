"""The tempo benchmarks' shared part: every system's answers, then a row per file and scores.

Used by :mod:`benchmarks.loops`, :mod:`benchmarks.productions` and
:mod:`benchmarks.midisongs`: SongCal's tempo is measured on every run, the peers' (librosa's
and Essentia's plain pipelines) are cached in the set's folder, as they do not change.
:func:`songs_by_others` gives the benchmarks that reuse the songs by other people
(:mod:`benchmarks.codecs`, :mod:`benchmarks.loopcuts`, :mod:`benchmarks.confidence`) their
files.  :func:`own_numba_cache` gives each benchmark that runs librosa a numba cache of its
own (:func:`song_arguments` calls it).
"""

from __future__ import annotations

import json
import os

import numpy as np

from core.calibration.agreement import tempo_hits, tempo_relation

__all__ = ["SYSTEMS", "own_numba_cache", "tempo_answers", "print_answers", "print_scores", "print_songs",
           "score_songs", "song_arguments", "songs_by_others"]

#: The systems in the order they are printed.
SYSTEMS = ("SongCal", "librosa", "Essentia")


def own_numba_cache(cache: str) -> str:
    """Point numba's on-disk cache at ``cache``/numba, unless ``NUMBA_CACHE_DIR`` is set.

    librosa compiles its numba functions once and keeps them in numba's cache, by default
    beside librosa's own files and so shared by every process of the environment.  Two
    benchmarks run at once both wrote there and left entries behind that made every later
    ``librosa.beat.beat_track`` crash the interpreter until they were deleted.  With a
    folder in each benchmark's own cache, benchmarks run side by side never share one (two
    runs of one benchmark on one ``--cache`` already share its answers file and are not
    meant to run at once).  numba reads the variable when it is imported, so this is called
    before librosa is, at the benchmark's start.

    Parameters
    ----------
    cache : str
        The benchmark's cache folder; its ``numba`` sub-folder is made when missing.

    Returns
    -------
    str
        The folder numba will use: the one already set, or the new one.
    """
    if "NUMBA_CACHE_DIR" not in os.environ:
        folder = os.path.join(cache, "numba")
        os.makedirs(folder, exist_ok=True)
        os.environ["NUMBA_CACHE_DIR"] = folder
    return os.environ["NUMBA_CACHE_DIR"]


def songs_by_others(name: str) -> list[dict]:
    """``id``, ``bpm`` and ``path`` of the songs made by other people, rendered, mixed or
    played when missing as their own benchmarks do, in their default folders:
    ``"productions"`` (the LMMS and Hydrogen projects, their stated tempo; a project that
    cannot be rendered is left out), ``"midisongs"`` (the games' MIDI songs, 180 s each,
    their notated tempo), ``"recordings"`` (the charted band recordings and Planet Blupi's,
    their MIDI tempo) or ``"modules"`` (the games' tracker modules, 180 s each, the beat of
    their rows; none without libopenmpt).  The MIDI songs and the modules are those of the
    benchmarks' default sets, never the extra ones that only ``--only`` takes, so installing
    more packages leaves these sets as they were."""
    import benchmarks.midisongs as midisongs
    import benchmarks.modules as modules
    import benchmarks.productions as productions
    import benchmarks.recordings as recordings

    folders = {"productions": productions._CACHE, "midisongs": midisongs._CACHE,
               "recordings": recordings._CACHE, "modules": modules._CACHE}
    if name in folders:  # on a new machine the renders' folder is not there yet
        os.makedirs(folders[name], exist_ok=True)
    if name == "productions":
        paths = [(s, productions.render(s, productions._CACHE)) for s in productions.find_songs()]
    elif name == "midisongs":
        paths = [(s, midisongs.render(s, i, midisongs._CACHE, 180.0))
                 for i, s in enumerate(midisongs.find_songs(180.0))]
    elif name == "recordings":
        paths = [(s, s["path"]) for s in recordings.songs(recordings._CACHE)]
    elif name == "modules":
        found = [] if modules._library() is None else modules.find_modules(modules._CACHE, 180.0)
        paths = [(s, s["path"]) for s in found]
    else:
        raise ValueError(f"no such set of songs: {name!r}")
    return [{"id": s["id"], "bpm": s["bpm"], "path": p} for s, p in paths if p is not None]


def tempo_answers(items: list[dict], cache: str, version: int, *, peers: bool = True) -> dict:
    """``{system: {item id: BPM or None}}`` for each item (``id``, ``path``): SongCal's and,
    with ``peers``, librosa's and Essentia's.

    The peers' answers are kept in ``cache``/answers.json under ``version``; a peer that is
    not installed is left out with a message.
    """
    from benchmarks.realistic import (
        essentia_answer,
        librosa_answer,
        read_versioned,
        songcal_answers,
    )

    path = os.path.join(cache, "answers.json")
    stored = read_versioned(path, version)
    out = {"SongCal": {it["id"]: songcal_answers(it).get("bpm") for it in items}}
    others = (("librosa", librosa_answer), ("Essentia", essentia_answer)) if peers else ()
    for name, fn in others:
        table = stored.setdefault(name, {})
        try:
            for it in items:
                if it["id"] not in table:
                    table[it["id"]] = fn(it["path"]).get("bpm")
        except ImportError as exc:
            print(f"{name} is not installed ({exc}); its column is left out")
            continue
        out[name] = {it["id"]: table[it["id"]] for it in items}
    with open(path + ".tmp", "w") as f:
        json.dump(stored, f)
    os.replace(path + ".tmp", path)
    return out


def print_answers(items: list[dict], answers: dict, head: str, lead) -> None:
    """One row per item: ``lead(item)`` (under ``head``), then each system's BPM and its
    relation to the item's ``bpm``."""
    names = [s for s in SYSTEMS if s in answers]
    print(f"\n{head}  " + "  ".join(f"{n:>17}" for n in names))
    for it in items:
        cells = []
        for n in names:
            bpm = answers[n][it["id"]]
            rel = tempo_relation(bpm, it["bpm"]) or "none"
            cells.append(f"{bpm:7.1f} {rel:>9}" if bpm else f"{'-':>7} {rel:>9}")
        print(f"{lead(it)}  " + "  ".join(f"{c:>17}" for c in cells))


def print_scores(items: list[dict], answers: dict, title: str, group,
                 systems: tuple[str, ...] = SYSTEMS) -> None:
    """Acc1, Acc2 and files without a tempo per system (of ``systems``), for each
    ``group(item)`` and all."""
    names = [s for s in systems if s in answers]
    groups = sorted({group(it) for it in items})
    width = max([10] + [len(g) for g in groups])
    print(f"\n{title:<{width}} {'n':>3} {'system':<9} {'Acc1':>6} {'Acc2':>6} {'no bpm':>6}")
    for name in groups + ["all"]:
        part = [it for it in items if name in ("all", group(it))]
        for n in names:
            hits = [tempo_hits(answers[n][it["id"]], it["bpm"]) for it in part]
            none = sum(answers[n][it["id"]] is None for it in part)
            print(f"{name:<{width}} {len(part):3d} {n:<9} {np.mean([h[0] for h in hits]):6.3f} "
                  f"{np.mean([h[1] for h in hits]):6.3f} {none:6d}")


def print_songs(songs: list[dict], answers: dict, *, id_width: int, tempo_label: str,
                title: str, group) -> None:
    """The report of a set of whole songs (``id``, ``seconds``, ``bpm``): their count and
    length, a row per song (its id in ``id_width`` characters or as many as the longest id
    takes, its length and the reference tempo under ``tempo_label``) and the scores per
    ``group(song)`` under ``title``."""
    id_width = max([id_width] + [len(s["id"]) for s in songs])
    print(f"{len(songs)} songs, {sum(s['seconds'] for s in songs) / 60:.0f} min in all")
    print_answers(songs, answers, f"{'song':<{id_width}} {'s':>5} {tempo_label:>6}",
                  lambda s: f"{s['id']:<{id_width}} {s['seconds']:5.0f} {s['bpm']:6.1f}")
    print_scores(songs, answers, title, group)


def score_songs(songs: list[dict], cache: str, version: int, *, peers: bool, empty: str,
                **report) -> dict:
    """Score a set of whole songs (``id``, ``path``, ``bpm``): each song's length read from
    its file, every system's answers (:func:`tempo_answers`) and their report
    (:func:`print_songs`, which ``report`` configures).  Returns the answers; without any
    song, exits with the message ``empty`` (what to install)."""
    import soundfile as sf

    if not songs:
        raise SystemExit(empty)
    for song in songs:
        song["seconds"] = sf.info(song["path"]).duration
    answers = tempo_answers(songs, cache, version, peers=peers)
    print_songs(songs, answers, **report)
    return answers


def song_arguments(argv, description: str, cache: str, what: str,
                   seconds: str | None = None, names=None, *, peers: bool = True):
    """The options of a benchmark of whole songs, parsed from ``argv``: ``--cache`` (default
    ``cache``, "folder for the ``what``"; made when missing), with ``peers`` (a benchmark
    that runs the peers) ``--no-peers``, when
    ``seconds`` names what is scored, ``--seconds`` (default 180) and, when ``names`` lists
    the sources the benchmark knows, ``--only NAME ...`` (``args.only``: the names given, in
    their order and each once, or None for the benchmark's default set; a name not in
    ``names`` is refused).  The benchmark's numba cache is set to a folder in the cache
    folder (:func:`own_numba_cache`)."""
    import argparse

    ap = argparse.ArgumentParser(description=description)
    ap.add_argument("--cache", default=cache, help=f"folder for the {what}")
    if seconds is not None:
        ap.add_argument("--seconds", type=float, default=180.0,
                        help=f"length of each {seconds} scored (default: %(default)s)")
    if peers:
        ap.add_argument("--no-peers", action="store_true", help="SongCal alone")
    if names is not None:
        ap.add_argument("--only", nargs="+", choices=list(names), metavar="NAME",
                        help="take only these sources (default: the benchmark's own set); "
                             "one of: " + ", ".join(names))
    args = ap.parse_args(argv)
    if names is not None and args.only is not None:
        args.only = list(dict.fromkeys(args.only))
    os.makedirs(args.cache, exist_ok=True)
    own_numba_cache(args.cache)
    return args
