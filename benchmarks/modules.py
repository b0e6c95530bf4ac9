"""Tempo on tracker modules: games' music played with the samples its composers chose.

    apt-get install libopenmpt0 ironseed-data pingus-data tecnoballz-data pekka-kana-2-data \
        heroes-sound-tracks gl-117-data freedroid-data biniax2-data flobopuyo rafkill-data \
        bomberclone-data rockdodger pachi-data
    apt-get install clanlib-doc fb-music-high gambas3-examples libplib-doc sdlbasic \
        sludge-doc  # six of the sources --only takes, measured once (below)
    python -m benchmarks.modules [--no-peers] [--cache DIR] [--seconds 180] [--only GAME ...]

A tracker module (MOD, S3M, XM, IT) holds its own instrument samples -- recorded drums,
basses, pianos, voices, chip sounds -- beside the notes, so no soundfont of ours plays it:
the composer chose every sound.  Thirteen games in Debian ship such music, written by a few
dozen people in the 1990s and 2000s.  libopenmpt (the library of OpenMPT, which Debian
packages as ``libopenmpt0``) plays each module once, without its loop, and the first
``--seconds`` from its first sound are stored as FLAC in the cache folder (default
``~/.cache/songcal-modules``).  No edition uses these sounds or pieces and nothing was
fitted on them.

**Truth.**  A module's tempo is exact: its rows follow each other at the speed and tempo the
composer set.  libopenmpt reads the beat from them (``get_current_estimated_bpm``: four rows
to the beat unless the file states its own rows per beat, as IT files may), sampled every
50 ms of playback and averaged over 4 s (a swing written as alternating speeds averages out
to its groove's beat), then over the windows that share the most common beat
(:func:`steady_beat`).  A module whose
beat is more than 4 % off it for a tenth of the part scored or more (tempo effects, a
section at double speed) is left out, as is one with less than 20 s of music (jingles).  The rows per beat are the composer's habit more than anything the
sound shows -- a tracker at four rows per beat may well write a 90 BPM song at eight -- so
Acc2 is the figure to trust, and Acc1 says how often a system agrees with the rows.

**More games.**  Twenty-five more games in Debian ship a few modules each (:data:`EXTRA_FOLDERS`,
packages in :data:`EXTRA_PACKAGES`), and so do six more packages: Frozen Bubble's
two-player music (``fb-music-high``) and the examples of ClanLib, Gambas, PLIB, SDLBasic
and the SLUDGE adventure engine (two of its modules gzip-compressed, ``.xm.gz``, which are
unpacked before they are played); these six were scored once, with the next MIDI songs,
nothing fitted on them (``benchmarks/results/next_sources.txt``).  They are played only when named with
``--only``: the benchmarks that reuse these modules
(:func:`benchmarks.tempo_report.songs_by_others`) and :mod:`benchmarks.tempo_varies` keep
reading the thirteen games above, so their numbers do not move when a package is
installed.  ``--only`` takes any game of either list.

Printed: each module's reference tempo and every system's answer with its relation, then
Acc1, Acc2 and files without a tempo per game and overall.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import glob
import gzip
import itertools
import os
import sys

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import numpy as np  # noqa: E402

from benchmarks.midisongs import store  # noqa: E402
from benchmarks.tempo_report import score_songs, song_arguments  # noqa: E402

__all__ = ["FOLDERS", "EXTRA_FOLDERS", "EXTRA_PACKAGES", "find_modules", "left_out", "module_files",
           "play", "reference", "steady_beat", "main"]

#: Where each game keeps its music (module files only are taken: .mod, .s3m, .xm, .it).
FOLDERS = {
    "biniax2": "/usr/share/games/biniax2/music",
    "bomberclone": "/usr/share/games/bomberclone/music",
    "flobopuyo": "/usr/share/games/flobopuyo/sfx",
    "freedroid": "/usr/share/games/freedroid/sound",
    "gl-117": "/usr/share/games/gl-117/music",
    "heroes": "/usr/share/games/heroes/mod",
    "ironseed": "/usr/share/games/ironseed/sound",
    "pachi": "/usr/share/pachi/music",
    "pekka-kana-2": "/usr/share/games/pekka-kana-2/data/music",
    "pingus": "/usr/share/games/pingus/data/music",
    "rafkill": "/usr/share/games/rafkill/music",
    "rockdodger": "/usr/share/rockdodger",
    "tecnoballz": "/usr/share/games/tecnoballz/musics",
}
#: Games read only when named with ``--only`` (see the module's docstring).
EXTRA_FOLDERS = {
    "ballz": "/usr/share/games/ballz",
    "bb": "/usr/share/bb",
    "black-box": "/usr/share/black-box/sound",
    "bugsquish": "/usr/share/games/bugsquish/music",
    "ceferino": "/usr/share/games/ceferino/music",
    "circuslinux": "/usr/share/games/circuslinux/data/music",
    "criticalmass": "/usr/share/games/criticalmass",
    "cuyo": "/usr/share/games/cuyo/sounds",
    "dodgindiamond2": "/usr/share/games/dodgindiamond2",
    "gemdropx": "/usr/share/games/gemdropx/sounds",
    "gltron": "/usr/share/games/gltron/music",
    "gweled": "/usr/share/sounds/gweled",
    "madbomber": "/usr/share/games/madbomber/music",
    "monsterz": "/usr/share/games/monsterz/sound",
    "njam": "/usr/share/games/njam/data",
    "open-invaders": "/usr/share/open-invaders",
    "pathogen": "/usr/share/pathogen",
    "penguin-command": "/usr/share/games/penguin-command/sound",
    "ri-li": "/usr/share/games/ri-li/Ri-li/Sounds",
    "solarwolf": "/usr/share/games/solarwolf/data/music",
    "tomatoes": "/usr/share/tomatoes/music",
    "tuxmath": "/usr/share/tuxmath/sounds",
    "vectoroids": "/usr/share/games/vectoroids/music",
    "vodovod": "/usr/share/games/vodovod",
    "vor": "/usr/share/vor",
    "clanlib": "/usr/share/doc/clanlib-doc/examples/*/resources",
    "frozen-bubble": "/usr/share/games/frozen-bubble/snd",
    "gambas3": "/usr/share/doc/gambas3-examples/examples/OpenGL/PDFPresentation",
    "plib": "/usr/share/doc/libplib-doc/examples/sl",
    "sdlbasic": "/usr/share/sdlbasic/demo",
    "sludge": "/usr/share/doc/sludge/ExampleProjects/VerbCoin/*",
}
#: The Debian packages that install :data:`EXTRA_FOLDERS`.
EXTRA_PACKAGES = ("ballz-data bb black-box bugsquish ceferino-data circuslinux-data "
                  "criticalmass-data cuyo-data dodgindiamond2 gemdropx gltron gweled "
                  "madbomber-data monsterz-data njam-data open-invaders-data pathogen "
                  "penguin-command ri-li-data solarwolf tomatoes-data tuxmath-data vectoroids "
                  "vodovod vor clanlib-doc fb-music-high gambas3-examples libplib-doc sdlbasic "
                  "sludge-doc")
_EXTENSIONS = (".mod", ".s3m", ".xm", ".it")
_PACKAGES = ("libopenmpt0 ironseed-data pingus-data tecnoballz-data pekka-kana-2-data "
             "heroes-sound-tracks gl-117-data freedroid-data biniax2-data flobopuyo "
             "rafkill-data bomberclone-data rockdodger pachi-data")
_CACHE = os.path.join(os.path.expanduser("~"), ".cache", "songcal-modules")
_ANSWERS_VERSION = 1
_SR = 44100
_STEP = 2205  # frames per read: the beat is sampled every 50 ms
_MIN_SECONDS = 20.0
_TEMPO_SPREAD = 1.04  # the beat counts as steady within this ratio of its median ...
_STEADY_SHARE = 0.9  # ... over at least this share of the part scored
_WINDOW = 80  # beat samples (4 s) averaged before the test


@functools.cache
def _library():
    """libopenmpt through ctypes (loaded once), or None when it is not installed."""
    name = ctypes.util.find_library("openmpt") or "libopenmpt.so.0"
    try:
        lib = ctypes.CDLL(name)
    except OSError:
        return None
    vp = ctypes.c_void_p
    lib.openmpt_module_create_from_memory2.restype = vp
    lib.openmpt_module_create_from_memory2.argtypes = [
        ctypes.c_char_p, ctypes.c_size_t, vp, vp, vp, vp,
        ctypes.POINTER(ctypes.c_int), ctypes.POINTER(ctypes.c_char_p), vp]
    lib.openmpt_module_read_float_stereo.restype = ctypes.c_size_t
    lib.openmpt_module_read_float_stereo.argtypes = [
        vp, ctypes.c_int32, ctypes.c_size_t, ctypes.POINTER(ctypes.c_float),
        ctypes.POINTER(ctypes.c_float)]
    lib.openmpt_module_get_current_estimated_bpm.restype = ctypes.c_double
    lib.openmpt_module_get_current_estimated_bpm.argtypes = [vp]
    lib.openmpt_module_set_repeat_count.argtypes = [vp, ctypes.c_int32]
    lib.openmpt_module_destroy.argtypes = [vp]
    return lib


def play(path: str, seconds: float) -> tuple[np.ndarray | None, np.ndarray, str]:
    """Play a module once: ``(stereo float32 samples or None, the beat (BPM) every 50 ms,
    why it could not be played)``.  At most ``seconds`` after the first sound are kept."""
    lib = _library()
    if lib is None:
        return None, np.zeros(0), "libopenmpt is not installed"
    with open(path, "rb") as f:
        data = f.read()
    if path.lower().endswith(".gz"):  # (as module_files takes it: in any case)
        data = gzip.decompress(data)
    err = ctypes.c_int(0)
    msg = ctypes.c_char_p()
    silent = ctypes.cast(lib.openmpt_log_func_silent, ctypes.c_void_p)
    mod = lib.openmpt_module_create_from_memory2(data, len(data), silent, None, None, None,
                                                 ctypes.byref(err), ctypes.byref(msg), None)
    if not mod:
        return None, np.zeros(0), f"not a module libopenmpt plays (error {err.value})"
    try:
        lib.openmpt_module_set_repeat_count(mod, 0)
        left = (ctypes.c_float * _STEP)()
        right = (ctypes.c_float * _STEP)()
        parts, beats = [], []
        start = None  # frames played before the first sound
        played = 0
        limit = int(seconds * _SR)
        while True:
            n = lib.openmpt_module_read_float_stereo(mod, _SR, _STEP, left, right)
            if n == 0:
                break
            block = np.stack([np.frombuffer(left, np.float32, n),
                              np.frombuffer(right, np.float32, n)], axis=1).copy()
            if start is None and np.max(np.abs(block)) > 1e-3:
                start = played
            if start is not None:
                parts.append(block)
                beats.append(lib.openmpt_module_get_current_estimated_bpm(mod))
            played += n
            if start is not None and played - start >= limit:
                break
    finally:
        lib.openmpt_module_destroy(mod)
    if not parts:
        return None, np.zeros(0), "silent"
    y = np.concatenate(parts)[:limit]
    return y, np.asarray(beats, dtype=np.float64), ""


def steady_beat(beats: np.ndarray) -> tuple[float, float, float, float]:
    """``(reference BPM, share of the time it holds, lowest, highest)`` of a module's beat
    sampled every 50 ms (``beats``).

    The beat is averaged over windows of 4 s first: a swing written as alternating speeds
    (rows of 8 and 6 ticks, say) changes the stated beat every row, and its mean over a
    window is the beat of the groove (each sample stands for 50 ms of playback, so the mean
    of the samples is the rows' mean rate).  The beat is the one that the most windows share
    (within 4 %); the share is theirs, and the reference the mean of their samples.
    """
    n = len(beats) // _WINDOW
    windows = beats[: n * _WINDOW].reshape(n, _WINDOW) if n else beats[None, :]
    means = windows.mean(axis=1)
    near = np.abs(np.log(means[:, None] / means[None, :])) <= np.log(_TEMPO_SPREAD)
    held = near[int(np.argmax(near.sum(axis=1)))]  # the beat most windows share
    return (float(windows[held].mean()), float(np.mean(held)), float(means.min()),
            float(means.max()))


def find_modules(cache: str, seconds: float, *, only=None) -> list[dict]:
    """Every installed module with a steady beat over the part scored, played into ``cache``
    (once; later runs read the FLAC and the beat stored beside it): of the games of
    :data:`FOLDERS`, or of the games named in ``only`` (of :data:`FOLDERS` and
    :data:`EXTRA_FOLDERS`).

    Raises
    ------
    ValueError
        When ``only`` names a game neither list has.
    """
    out = []
    for game, ident, path in module_files(only=only):
        flac = os.path.join(cache, ident.replace("/", "__") + ".flac")
        beat_file = flac[:-5] + ".bpm.txt"
        if os.path.exists(flac) and os.path.exists(beat_file):
            with open(beat_file) as f:
                bpm, steady, lo, hi, length = (float(v) for v in f.read().split())
        else:
            y, beats, why = play(path, seconds)
            if y is None:
                print(f"{ident}: {why}, left out")
                continue
            ok = beats[np.isfinite(beats) & (beats > 0)]
            bpm, steady, lo, hi = steady_beat(ok) if ok.size else (0.0, 0.0, 0.0, 0.0)
            length = len(y) / _SR
            store(y, _SR, flac)
            with open(beat_file + ".tmp", "w") as f:
                f.write(f"{bpm} {steady} {lo} {hi} {length}\n")
            os.replace(beat_file + ".tmp", beat_file)
        why = left_out(bpm, steady, lo, hi, length)
        if why:
            print(f"{ident}: {why}, left out")
            continue
        out.append({"id": ident, "game": game, "path": flac, "bpm": bpm})
    return out


def reference(path: str, seconds: float) -> tuple[float, str]:
    """``(the rows' beat (BPM), why the module is left out or "")`` of the module at
    ``path`` over the first ``seconds`` of its music: it is played in memory for its beat,
    and nothing is kept."""
    y, beats, why = play(path, seconds)
    if y is None:
        return 0.0, why
    ok = beats[np.isfinite(beats) & (beats > 0)]
    bpm, steady, lo, hi = steady_beat(ok) if ok.size else (0.0, 0.0, 0.0, 0.0)
    return bpm, left_out(bpm, steady, lo, hi, len(y) / _SR)


def left_out(bpm: float, steady: float, lo: float, hi: float, length: float) -> str:
    """Why a module is left out, or ``""``: from its beat (``bpm``, the share of the part it
    holds, the lowest and highest beat of its windows, as :func:`steady_beat` gives them) and
    the seconds of music played (``length``)."""
    if length < _MIN_SECONDS:
        return f"{length:.0f} s of music"
    if bpm <= 0:
        return "no beat stated"
    if steady < _STEADY_SHARE:
        return (f"tempo changes {lo:.0f}-{hi:.0f} ({steady:.0%} of the part within 4 % of "
                f"{bpm:.0f})")
    return ""


def module_files(*, only=None) -> list[tuple[str, str, str]]:
    """``(game, id, path)`` of every installed module file (.mod, .s3m, .xm, .it, each also
    gzip-compressed as .gz) of the games of :data:`FOLDERS`, or of the games named in
    ``only`` (of :data:`FOLDERS` and :data:`EXTRA_FOLDERS`), by game and file name; the id
    is ``game/file name``, with the folders the game's folder matched where it has
    wildcards (``game/inside/music.xm.gz``).

    Raises
    ------
    ValueError
        When ``only`` names a game neither list has.
    """
    out = []
    for game, folder in sorted(_folders(only).items()):
        root = _fixed_part(folder)
        for path in sorted(p for p in glob.glob(os.path.join(folder, "*"))
                           if p.lower().removesuffix(".gz").endswith(_EXTENSIONS)):
            name = os.path.relpath(path, root).replace(os.sep, "/")
            out.append((game, f"{game}/{name}", path))
    return out


def _fixed_part(folder: str) -> str:
    """The folders of ``folder`` before its first one with a wildcard."""
    parts = folder.split(os.sep)
    fixed = itertools.takewhile(lambda p: not any(c in p for c in "*?["), parts)
    return os.sep.join(fixed) or os.sep


def _folders(only) -> dict[str, str]:
    """The folders of the games named in ``only`` (all of :data:`FOLDERS` for None)."""
    if only is None:
        return dict(FOLDERS)
    known = {**FOLDERS, **EXTRA_FOLDERS}
    unknown = [name for name in only if name not in known]
    if unknown:
        raise ValueError(f"no such game: {', '.join(unknown)} (known: {', '.join(sorted(known))})")
    return {name: known[name] for name in only}


def main(argv=None) -> int:
    args = song_arguments(argv, __doc__.splitlines()[0], _CACHE, "played modules",
                          seconds="module", names=sorted({*FOLDERS, *EXTRA_FOLDERS}))
    if _library() is None:
        raise SystemExit(f"libopenmpt is not installed: apt-get install {_PACKAGES}")
    songs = find_modules(args.cache, args.seconds, only=args.only)
    packages = _PACKAGES if args.only is None else f"libopenmpt0 {EXTRA_PACKAGES}"
    score_songs(songs, args.cache, _ANSWERS_VERSION, peers=not args.no_peers,
                empty=f"no modules found: apt-get install {packages}", id_width=40,
                tempo_label="rows", title="game", group=lambda s: s["game"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
