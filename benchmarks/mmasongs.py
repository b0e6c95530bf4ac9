"""MIDI songs that MMA (Musical MIDI Accompaniment) writes: its example songs, and a song on
each groove of its style library.

    apt-get install mma

MMA turns a song written as text (a groove, a tempo, a chord to each bar) into a MIDI file
played by the grooves its library defines: drums, bass, chords, arpeggios and riffs that
the library's authors wrote, many of them converted from arranger keyboards (Casio, Yamaha,
Zoom).  :mod:`benchmarks.midisongs` reads these files as it reads a game's MIDI music
(``--only mma-examples``, ``mma-stdlib``, ``mma-casio`` ...): this module runs the ``mma``
program and checks what it wrote.

**Example songs** (``/usr/share/doc/mma/examples``): the song files MMA ships, compiled as
they are.  Their tempo is the one their authors wrote.

**Grooves** (``/usr/share/mma/lib/LIBRARY``): each style file gives one song, its main
groove (the one named as the file, else the first it defines) over 64 bars of the chord
progression :data:`PROGRESSION`.  A groove states no tempo of its own, so the song's tempo
is drawn for it, log-uniform between 60 and 200 BPM from a hash of the library and file
name (:func:`groove_tempo`): the same tempo on every machine and every run, and as many
songs below 90 BPM and above 150 BPM as a steady spread gives.  The metronome files of the
standard library are a click, not music, and are left out.

**Checks.**  ``mma`` draws its random touches (velocity, timing, skipped notes) from a seed
it is given (:data:`SEED`), so a song is the same file on every run.  Text events (lyrics,
MMA's credit) are dropped, so a song's karaoke and plain versions are one tune.  MMA counts
a bar in quarter notes, and some of its 6/8 grooves write a bar of six quarter notes under
a 6/8 time signature (each eighth note written as a quarter): the file's notated beat is
then not the music's, so a song whose bars do not last as long as its time signature says
(within 10 %), or whose time signature changes, is left out.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import shutil
import subprocess
import tempfile

__all__ = ["EXAMPLES", "LIBRARY", "PROGRESSION", "SEED", "VARIANTS", "available", "bar_mismatch",
           "compile_song", "entries", "groove_song", "groove_tempo", "main_groove"]

#: Where the mma package puts its example songs and its style library.
EXAMPLES = "/usr/share/doc/mma/examples"
LIBRARY = "/usr/share/mma/lib"
#: Example songs that are another version of a tune the examples hold (the same song
#: arranged again, with lyrics, or a step of the tutorial that builds it): name -> the
#: version kept.
VARIANTS = {
    "lyrics/twinkle-kar": "lyrics/twinkle", "lyrics/twinkle1": "lyrics/twinkle",
    "lyrics/twinkle2": "lyrics/twinkle", "lyrics/twinkle3": "lyrics/twinkle",
    "midi-inc/frankie2": "midi-inc/frankie", "midi-inc/frankie3": "midi-inc/frankie",
    "midi-inc/frankie4": "midi-inc/frankie",
    "midi-inc/mid2seq/rockgroove": "midi-inc/mid2seq/shes-just-my-style",
    "tutorial/fella1": "tutorial/fella2",
    "subroutines/convert4to5": "misc/convert4to5",
}
#: The chords of a groove's song, one to a bar, repeated (C major: I vi IV V7 I vi ii7 V7).
PROGRESSION = ("C", "Am", "F", "G7", "C", "Am", "Dm7", "G7")
#: The seed of MMA's random touches.
SEED = 23
_BARS = 64
_LOW_BPM, _HIGH_BPM = 60.0, 200.0
#: A bar may be this much longer or shorter than its time signature says (a song's last
#: notes ring past its last bar).
_BAR_SLACK = 0.1
_TEXT_EVENTS = ("text", "lyrics", "marker", "cue_marker", "copyright", "instrument_name")
_BARS_WRITTEN = re.compile(r"\((\d+) bars")
#: Longest a song may take ``mma`` to write (s); the slowest of its libraries takes seconds.
_MMA_TIMEOUT_S = 300.0


def available() -> bool:
    """Whether the ``mma`` program is installed."""
    return shutil.which("mma") is not None


def entries(path: str) -> list[tuple[str, bytes | None, str]]:
    """``(name, MIDI bytes or None, why it is left out)`` of an MMA file: a style file of
    :data:`LIBRARY` gives the song on its main groove, any other file is compiled as the
    song it is.  The name is the file's without ``.mma``, and its folders within
    :data:`EXAMPLES` for an example song; an example of :data:`VARIANTS` is left out."""
    name = os.path.basename(path)[:-len(".mma")]
    if _within(path, LIBRARY):
        if name.startswith("metronome"):
            return [(name, None, "a metronome's click, no music")]
        with open(path, encoding="utf-8", errors="replace") as f:
            style = f.read()
        groove = main_groove(style, name)
        if groove is None:
            return [(name, None, "defines no groove")]
        library = os.path.basename(os.path.dirname(path))
        text = groove_song(os.path.abspath(path), groove, groove_tempo(library, name))
        return [(name, *compile_song(text, folder=os.path.dirname(path)))]
    if _within(path, EXAMPLES):
        name = os.path.relpath(path, EXAMPLES)[:-len(".mma")].replace(os.sep, "/")
    if name in VARIANTS:
        return [(name, None, f"another version of {VARIANTS[name]}")]
    with open(path, encoding="utf-8", errors="replace") as f:
        text = f.read()
    return [(name, *compile_song(text, folder=os.path.dirname(path)))]


def _within(path: str, folder: str) -> bool:
    """Whether ``path`` is inside ``folder``."""
    return os.path.commonpath([os.path.abspath(path), os.path.abspath(folder)]) == \
        os.path.abspath(folder)


def main_groove(style: str, name: str) -> str | None:
    """The groove a style file (its text ``style``, its file name ``name`` without ``.mma``)
    is named for: the one it defines under its file's name (in any case), else the first it
    defines; None when it defines none."""
    grooves = re.findall(r"(?im)^\s*defgroove\s+(\S+)", style)
    for groove in grooves:
        if groove.lower() == name.lower():
            return groove
    return grooves[0] if grooves else None


def groove_tempo(library: str, name: str) -> int:
    """The tempo (BPM, a whole number from 60 to 200) of the song on the groove of style file
    ``name`` in ``library``: log-uniform, from the SHA-1 of ``library/name``."""
    digest = int(hashlib.sha1(f"{library}/{name}".encode()).hexdigest()[:12], 16)
    share = digest / float(16 ** 12)
    return round(_LOW_BPM * (_HIGH_BPM / _LOW_BPM) ** share)


def groove_song(style: str, groove: str, bpm: float, *, bars: int = _BARS) -> str:
    """The text of an MMA song: ``groove`` of the style file ``style`` (its path, or
    ``library/name`` within MMA's own library) at ``bpm`` over ``bars`` bars of
    :data:`PROGRESSION`."""
    lines = [f"Use {style}", f"Groove {groove}", f"Tempo {bpm:g}"]
    lines += [f"{i + 1} {PROGRESSION[i % len(PROGRESSION)]}" for i in range(bars)]
    return "\n".join(lines) + "\n"


def compile_song(text: str, *, folder: str) -> tuple[bytes | None, str]:
    """``(MIDI bytes or None, why not)``: the song ``text`` as ``mma`` writes it, run in
    ``folder`` (where a song's own files, such as MIDI it includes, are), its random touches
    seeded with :data:`SEED`, text events dropped and its bars checked
    (:func:`bar_mismatch`); ``mma`` running past :data:`_MMA_TIMEOUT_S` writes nothing."""
    import mido

    with tempfile.TemporaryDirectory() as tmp:
        song, init, out = (os.path.join(tmp, n) for n in ("song.mma", "mmarc", "song.mid"))
        with open(song, "w", encoding="utf-8") as f:
            f.write(text)
        with open(init, "w", encoding="utf-8") as f:
            f.write(f"RndSeed {SEED}\n")
        try:
            run = subprocess.run(["mma", "-i", init, "-xNOCREDIT", "-f", out, song],
                                 cwd=folder, capture_output=True, text=True,
                                 timeout=_MMA_TIMEOUT_S)
        except subprocess.TimeoutExpired:  # one song stuck must not end the benchmark
            return None, f"mma wrote no MIDI within {_MMA_TIMEOUT_S:.0f} s"
        written = _BARS_WRITTEN.search(run.stdout)
        if run.returncode != 0 or written is None or not os.path.exists(out):
            said = (run.stdout + run.stderr).strip().splitlines()
            return None, f"mma wrote no MIDI ({said[-1].strip() if said else run.returncode})"
        mid = mido.MidiFile(out)
    why = bar_mismatch(mid, int(written.group(1)))
    if why:
        return None, why
    for track in mid.tracks:
        kept, wait = [], 0
        for msg in track:
            if msg.is_meta and msg.type in _TEXT_EVENTS:
                wait += msg.time
                continue
            kept.append(msg.copy(time=msg.time + wait))
            wait = 0
        track[:] = kept
    buf = io.BytesIO()
    mid.save(file=buf)
    return buf.getvalue(), ""


def bar_mismatch(mid, bars: int) -> str:
    """Why the time signature of ``mid`` (a :class:`mido.MidiFile` MMA wrote as ``bars``
    bars) is not the one its bars keep, or ``""`` when it is: the file's length over its
    bars, in quarter notes, against the time signature's bar (4/4 when it has none)."""
    sigs = {(m.numerator, m.denominator) for t in mid.tracks for m in t
            if m.type == "time_signature"} or {(4, 4)}
    if len(sigs) > 1:
        return "time signature changes: " + ", ".join(f"{n}/{d}" for n, d in sorted(sigs))
    (numerator, denominator), = sigs
    end = max((sum(m.time for m in t) for t in mid.tracks), default=0)
    written = end / max(bars, 1) / mid.ticks_per_beat
    signed = numerator * 4.0 / denominator
    if abs(written / signed - 1.0) > _BAR_SLACK:
        return (f"bars of {written:.1f} quarter notes under a time signature of "
                f"{numerator}/{denominator} ({signed:g})")
    return ""

