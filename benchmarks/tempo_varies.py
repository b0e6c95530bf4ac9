"""The "Tempo varies" flag (``bpm_varies``) against the tempo the music states, part by part.

    apt-get install openttd-openmsx freedoom fluidsynth fluid-soundfont-gm \
        musescore-general-soundfont-small timgm6mb-soundfont csound-soundfont \
        avldrums.lv2-soundfont libopenmpt0 fretsonfire-songs-muldjord \
        fretsonfire-songs-sectoid (and the games of benchmarks.modules)
    python -m benchmarks.tempo_varies [--cache DIR] [--seconds 180] [--only NAME ...]

The analyzer states one tempo per song and flags the songs it does not describe: two or more
chunks (30 s each by default) more than 4 % off it, octaves aside (a tempo change, a drift,
rubato).  Here the flag meets songs by other people whose tempo is known part by part:

* **modules** (:mod:`benchmarks.modules`): the beat of the rows, sampled every 50 ms while
  libopenmpt plays the module; tempo effects and sections at another speed included;
* **MIDI songs** (:mod:`benchmarks.midisongs`, OpenMSX and Freedoom): the tempo map of the
  file, as rendered by FluidSynth; songs with tempo changes included;
* **Frets on Fire recordings** (:mod:`benchmarks.recordings`): the tempo map of the chart,
  laid on the band's recording; charts with tempo changes included.

Each benchmark of those sets leaves out the songs whose tempo changes; this one keeps them,
so both answers occur.  The **truth** is the flag's own rule applied to the stated tempo: the
mean stated tempo of each of the analyzer's chunks (from the first sound, the chunk length
of the default settings), the reference the tempo that most of the song's time holds
within 4 % (octaves aside), and the song varies when two or more chunks of 8 s or more are
more than 4 % off it.  A chunk whose stated tempo sits near that edge can fall either way in
the audio, so every disagreement is listed with its largest stated offset.

The modules and the MIDI songs are those of their benchmarks' default sets (the games of
:data:`benchmarks.modules.FOLDERS`, OpenMSX and Freedoom).  ``--only`` takes sources by name
instead: games of either list of :mod:`benchmarks.modules` and ``recordings``.  The MIDI
songs are read only without it: a song's soundfont follows its place in the whole set, so
a part of the set would be rendered with other sounds into the same files.

Songs are rendered (or mixed) once into ``--cache`` (default
``~/.cache/songcal-tempo-varies``) and analyzed with the default settings.  Nothing was fitted
on these songs: the rule's numbers are Acc1's 4 % and the key's "modulating" rule of two
chunks.  Printed: per set, how many songs the truth and the flag call varying or steady, then
the disagreements.
"""

from __future__ import annotations

import io
import math
import os
import sys

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import numpy as np  # noqa: E402

__all__ = ["chunk_spans", "stated_varies", "tempo_map", "map_chunk_tempi", "main"]

_CACHE = os.path.join(os.path.expanduser("~"), ".cache", "songcal-tempo-varies")


def chunk_spans(seconds: float, chunk: float) -> list[tuple[float, float]]:
    """The analyzer's chunks of a song ``seconds`` long: ``(start, end)`` in seconds."""
    n = max(1, math.ceil(seconds / chunk - 1e-9))
    return [(i * chunk, min(seconds, (i + 1) * chunk)) for i in range(n)]


def _fold(tempo: float, level: float) -> float:
    """log of ``tempo`` over ``level`` once ``tempo`` is moved by octaves next to it."""
    from core.analysis.tempo import octave_near

    return math.log(octave_near(tempo, level) / level)


def stated_varies(tempi: list[float], spans: list[tuple[float, float]]):
    """``(varies, largest offset)`` of chunks with stated mean tempi ``tempi`` (BPM; None for
    a chunk without one): the flag's rule, with the analyzer's own numbers, applied to the
    stated tempo."""
    from core.analysis.analyze import _OFF_TEMPO, _VARIES_MIN_CHUNK_S, _VARIES_MIN_CHUNKS

    kept = [(t, b - a) for t, (a, b) in zip(tempi, spans, strict=True) if t and t > 0]
    if not kept:
        return False, 0.0
    # the reference: the tempo most of the time agrees with, within 4 %, octaves aside
    held = [sum(w for t2, w in kept if abs(_fold(t2, t)) <= _OFF_TEMPO) for t, _ in kept]
    ref = kept[int(np.argmax(held))][0]
    offsets = [abs(_fold(t, ref)) for t, w in kept if w >= _VARIES_MIN_CHUNK_S]
    off = [o for o in offsets if o > _OFF_TEMPO]
    return len(off) >= _VARIES_MIN_CHUNKS, math.exp(max(offsets, default=0.0)) - 1.0


def tempo_map(mid) -> tuple[list[tuple[float, float]], float | None]:
    """``([(time s, BPM of the quarter note from then on)], time of the first note)`` of a
    :class:`mido.MidiFile`."""
    from benchmarks.midisongs import timed_messages

    marks, first = [(0.0, 120.0)], None
    for now, msg in timed_messages(mid):
        if msg.type == "set_tempo":
            marks.append((now, 60e6 / msg.tempo))
        elif msg.type == "note_on" and msg.velocity > 0 and first is None:
            first = now
    return marks, first


def map_chunk_tempi(marks, start: float, spans) -> list[float]:
    """Mean tempo (beats over time) of each span (seconds after ``start``) of a tempo map."""
    out = []
    for a, b in spans:
        a, b = a + start, b + start
        beats = 0.0
        for i, (t, bpm) in enumerate(marks):
            t_next = marks[i + 1][0] if i + 1 < len(marks) else math.inf
            lo, hi = max(t, a), min(t_next, b)
            if hi > lo:
                beats += (hi - lo) * bpm / 60.0
        out.append(60.0 * beats / (b - a) if b > a else None)
    return out


def _modules(cache: str, seconds: float, chunk: float, only=None) -> list[dict]:
    from benchmarks.midisongs import store
    from benchmarks.modules import _MIN_SECONDS, _SR, module_files, play

    out = []
    for _game, ident, path in module_files(only=only):
        flac = os.path.join(cache, "modules", ident.replace("/", "__") + ".flac")
        beats_file = flac[:-5] + ".beats.npy"
        if not (os.path.exists(flac) and os.path.exists(beats_file)):
            y, beats, why = play(path, seconds)
            if y is None:
                continue
            store(y, _SR, flac)
            np.save(beats_file, beats)
        beats = np.load(beats_file)
        length = len(beats) * 0.05
        if length < _MIN_SECONDS or not np.any(np.isfinite(beats) & (beats > 0)):
            continue
        spans = chunk_spans(length, chunk)
        tempi = []
        for a, b in spans:
            part = beats[int(a / 0.05): int(b / 0.05)]
            part = part[np.isfinite(part) & (part > 0)]
            tempi.append(float(part.mean()) if part.size else None)
        out.append({"set": "modules", "id": ident, "path": flac, "spans": spans,
                    "tempi": tempi})
    return out


def _midi_songs(cache: str, seconds: float, chunk: float) -> list[dict]:
    import mido

    from benchmarks.midisongs import _MUS_CLOCK, _sources, render

    out = []
    folder = os.path.join(cache, "midi")
    os.makedirs(folder, exist_ok=True)
    for index, (collection, name, data) in enumerate(_sources()):
        if collection == "blupi":  # its recordings are another set's; the files are short
            continue
        try:
            mid = mido.MidiFile(file=io.BytesIO(data))
        except (OSError, ValueError, EOFError, KeyError):
            continue
        marks, first = tempo_map(mid)
        if first is None:
            continue
        # a file converted from Doom's MUS keeps a 1/140 s clock: no notated tempo
        if all(abs(60e6 / bpm / mid.ticks_per_beat / 1e6 * _MUS_CLOCK - 1.0) < 0.02
               for _, bpm in marks[1:] or [(0.0, 120.0)]):
            continue
        song = {"id": f"{collection}/{name}", "midi": data}
        path = render(song, index, folder, seconds)
        import soundfile as sf

        length = sf.info(path).duration
        spans = chunk_spans(length, chunk)
        out.append({"set": "MIDI songs", "id": song["id"], "path": path, "spans": spans,
                    "tempi": map_chunk_tempi(marks, first, spans)})
    return out


def _recordings(cache: str, chunk: float) -> list[dict]:
    import mido
    import soundfile as sf

    from benchmarks.recordings import mix, song_folders

    out = []
    folder = os.path.join(cache, "recordings")
    os.makedirs(folder, exist_ok=True)
    for name, stems, chart in song_folders():
        marks, _first = tempo_map(mido.MidiFile(chart))
        path = mix({"id": name, "stems": stems}, folder)
        spans = chunk_spans(sf.info(path).duration, chunk)
        out.append({"set": "recordings", "id": name, "path": path, "spans": spans,
                    "tempi": map_chunk_tempi(marks, 0.0, spans)})
    return out


def _songs(cache: str, seconds: float, chunk: float, only=None) -> list[dict]:
    """The songs of the three sets, or of the sources named in ``only`` (see the module's
    docstring)."""
    if only is None:
        return (_modules(cache, seconds, chunk) + _midi_songs(cache, seconds, chunk)
                + _recordings(cache, chunk))
    games = [name for name in only if name != "recordings"]
    songs = _modules(cache, seconds, chunk, games)
    if "recordings" in only:
        songs += _recordings(cache, chunk)
    return songs


def _source_names() -> list[str]:
    """The names ``--only`` takes: the games of :mod:`benchmarks.modules` and ``recordings``."""
    from benchmarks.modules import EXTRA_FOLDERS, FOLDERS

    return sorted({*FOLDERS, *EXTRA_FOLDERS, "recordings"})


def main(argv=None) -> int:
    from benchmarks.tempo_report import song_arguments

    args = song_arguments(argv, __doc__.splitlines()[0], _CACHE, "rendered songs",
                          seconds="module and MIDI song", names=_source_names(), peers=False)
    from core.analysis.analyze import analyze_file
    from core.settings import AnalysisSettings

    settings = AnalysisSettings()
    chunk = settings.chunk_seconds
    for sub in ("modules", "midi", "recordings"):
        os.makedirs(os.path.join(args.cache, sub), exist_ok=True)
    songs = _songs(args.cache, args.seconds, chunk, args.only)
    if not songs:
        raise SystemExit("no songs found: install the packages named in the module docstring")
    rows = []
    for song in songs:
        truth, offset = stated_varies(song["tempi"], song["spans"])
        r = analyze_file(song["path"], settings=settings)
        rows.append((song, truth, offset, r))
    print(f"{'set':<12} {'songs':>5} {'varies':>7} {'flagged':>8} {'steady':>7} {'flagged':>8}")
    for name in dict.fromkeys(s["set"] for s, *_ in rows):
        mine = [x for x in rows if x[0]["set"] == name]
        varies = [x for x in mine if x[1]]
        steady = [x for x in mine if not x[1]]
        print(f"{name:<12} {len(mine):>5} {len(varies):>7} "
              f"{sum(bool(x[3].bpm_varies) for x in varies):>8} "
              f"{len(steady):>7} {sum(bool(x[3].bpm_varies) for x in steady):>8}")
    n_var = sum(1 for x in rows if x[1])
    hit = sum(1 for x in rows if x[1] and x[3].bpm_varies)
    false = sum(1 for x in rows if not x[1] and x[3].bpm_varies)
    print(f"all: {len(rows)} songs; of {n_var} that vary, {hit} flagged; of {len(rows) - n_var} "
          f"steady, {false} flagged")
    print("\ndisagreements (largest stated offset of a chunk from the held tempo):")
    for song, truth, offset, r in rows:
        if bool(r.bpm_varies) != truth:
            stated = ", ".join(f"{t:.0f}" if t else "-" for t in song["tempi"])
            chunks = ", ".join(f"{c.bpm:.0f}" if c.bpm else "-" for c in r.chunk_results)
            print(f"  {song['set']:<10} {song['id'][:38]:<38} truth "
                  f"{'varies' if truth else 'steady'} (off {offset:.1%}); stated [{stated}]; "
                  f"analyzer {r.bpm} [{chunks}]")
    return 0


if __name__ == "__main__":
    sys.exit(main())
