"""The key of the same tunes played on tones of few and of many partials, or on sampled
instruments.

    python -m benchmarks.key_timbres [--spectra NAME ...] [--tonics N] [--seed S] [--tonic-end]
    python -m benchmarks.key_timbres --soundfont SF2 [--instruments NAME ...] [...]

Every note of a song is one harmonic tone whose partials have fixed amplitudes (a
"spectrum"): two or four partials, as :mod:`benchmarks.synth`'s instruments have, and the
many of a sawtooth, a square wave, a spectrum whose second and third partials outweigh the
first (as a voice's or a brass instrument's formant raises them) and a reed's.  A third
partial sounds the fifth above its note and a fifth partial its third, so the pitch classes a
key is read from lean to the fifth above as the spectrum grows richer: the partials a key
decision expects (:func:`core.analysis.keyevidence._with_harmonics`) should suit them all.

The tunes: each chord progression of :mod:`benchmarks.synth` (four major, four minor) on
every tonic (or ``--tonics`` of them), one chord a bar at 96 BPM for 24 s with its root in
the bass and a melody of quarter notes drawn from the key's scale (seeded by ``--seed`` and
the tune), all on the spectrum.  A tune loops its progression and stops
where the time runs out, as an excerpt does; with ``--tonic-end`` its last bar is the tonic
triad, as a song's close is (i-VI-III-VII is also vi-IV-I-V of the relative major, and only
its first and last chords tell them apart).  No drums, no tune generator of the
realistic editions, no fitting: a check of a key decision against partials alone.

With ``--soundfont`` the same notes are written as a MIDI file, chords, bass and melody
each on a General MIDI program of an instrument set (:data:`INSTRUMENTS`: piano, strings,
organ, guitar, electric piano, brass), and rendered by FluidSynth with that soundfont (the
command the realistic editions render with): a sampled instrument's own partials, attack and
decay instead of a fixed spectrum.

Printed: per spectrum (or instrument set) the share of exact keys, the MIREX weighted score and the misses by
kind (the fifth above or below, the relative, the parallel key, other), then every miss.
Mono, 22050 Hz, as the analysis reads it; 96 tunes per spectrum, about three minutes on
one core (sampled: about a minute and a half per soundfont).
"""

from __future__ import annotations

import argparse
import os
import sys

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import numpy as np  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from benchmarks.evalfeatures import features_of_audio  # noqa: E402
from benchmarks.synth import (  # noqa: E402
    _MAJOR_PROGS,
    _MAJOR_SCALE,
    _MINOR_PROGS,
    _MINOR_SCALE,
    _chord_notes,
    _Mixer,
    _tone,
)
from core.analysis.key import estimate_key  # noqa: E402
from core.calibration.agreement import key_relation, mirex_score  # noqa: E402
from core.io.keynotation import Key  # noqa: E402

SR = 22050
SECONDS = 24.0
BPM = 96.0

#: Relative amplitude of partials 1, 2, 3, ... of every note, by name.
SPECTRA = {
    "two partials": (1.0, 0.3),
    "four partials": (1.0, 0.5, 0.3, 0.2),
    "sawtooth": tuple(1.0 / h for h in range(1, 13)),
    "square": tuple(1.0 / h if h % 2 else 0.0 for h in range(1, 13)),
    "formant": (0.5, 1.0, 0.8, 0.5, 0.4, 0.3, 0.25, 0.2, 0.15, 0.1),
    "reed": (1.0, 0.9, 0.9, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2, 0.15, 0.1, 0.08),
}
KINDS = ("fifth above", "fifth below", "relative", "parallel", "other")


#: General MIDI programs (chords, bass, melody) of each instrument set of ``--soundfont``.
INSTRUMENTS = {
    "piano": (0, 0, 0),
    "strings": (48, 32, 73),  # string ensemble, acoustic bass, flute
    "organ": (19, 33, 56),  # church organ, finger bass, trumpet
    "guitar": (25, 33, 65),  # steel guitar, finger bass, alto sax
    "epiano": (4, 38, 80),  # electric piano, synth bass, square lead
    "brass": (61, 58, 56),  # brass section, tuba, trumpet
}
#: Each part's MIDI channel, velocity and (additive render) level and decay (s).
_PARTS = {"chord": (0, 70, 0.2, 1.5), "bass": (1, 90, 0.3, 1.0), "melody": (2, 80, 0.15, 0.5)}


def notes(key: Key, prog, *, seed: int = 0, seconds: float = SECONDS, bpm: float = BPM,
          tonic_end: bool = False) -> list[tuple[float, float, int, str]]:
    """(start s, length s, MIDI note, part) of a tune: the chords of ``prog`` (a bar each,
    from :mod:`benchmarks.synth`; the last bar the tonic triad if ``tonic_end``), their
    roots in the bass and a seeded melody of quarter notes on ``key``'s scale."""
    rng = np.random.default_rng(seed)
    scale = _MINOR_SCALE if key.mode == "minor" else _MAJOR_SCALE
    bar = 4 * 60.0 / bpm
    bars = int(np.ceil(seconds / bar))
    out = []
    for c in range(bars):
        root, quality = prog[c % len(prog)]
        if tonic_end and c == bars - 1:
            root, quality = 0, "min" if key.mode == "minor" else "maj"
        out += [(c * bar, bar, m, "chord") for m in _chord_notes(key.tonic, root, quality)]
        out.append((c * bar, bar, 36 + (((key.tonic + root) % 12 - 36) % 12), "bass"))
        for b in range(4):
            note = 72 + (key.tonic + scale[int(rng.integers(0, 7))]) % 12
            out.append((c * bar + b * bar / 4, 0.9 * bar / 4, note, "melody"))
    return out


def tune(key: Key, prog, partials, *, seed: int = 0, seconds: float = SECONDS,
         bpm: float = BPM, sr: int = SR, tonic_end: bool = False) -> np.ndarray:
    """:func:`notes` of a tune, every note of ``partials``; mono float32, peak 0.9."""
    mix = _Mixer(int(seconds * sr), sr)
    for start, length, note, part in notes(key, prog, seed=seed, seconds=seconds, bpm=bpm,
                                           tonic_end=tonic_end):
        _, _, level, decay = _PARTS[part]
        mix.add(start, _tone(sr, note, length, partials=partials, decay=decay), level)
    y = mix.out
    return (0.9 * y / (np.max(np.abs(y)) or 1.0)).astype(np.float32)


def sampled(key: Key, prog, programs, soundfont: str, folder: str, *, seed: int = 0,
            seconds: float = SECONDS, bpm: float = BPM, tonic_end: bool = False) -> np.ndarray:
    """:func:`notes` of a tune written as a MIDI file in ``folder`` (chords, bass and melody
    on channels 0-2 with ``programs``, each note held 95 % of its length) and rendered by
    FluidSynth with ``soundfont``; mono float32 at :data:`SR`."""
    import soundfile as sf

    from benchmarks import evalrender

    events = [(start, 0.95 * length, note, _PARTS[part][1], _PARTS[part][0])
              for start, length, note, part in notes(key, prog, seed=seed, seconds=seconds,
                                                      bpm=bpm, tonic_end=tonic_end)]
    mid, wav = os.path.join(folder, "tune.mid"), os.path.join(folder, "tune.wav")
    evalrender._write_midi(events, dict(enumerate(programs)), None, mid)
    evalrender.fluidsynth(mid, wav, sr=SR, soundfont=soundfont)
    y, sr = sf.read(wav, dtype="float32", always_2d=True)
    if sr != SR:
        raise RuntimeError(f"FluidSynth wrote {sr} Hz for {SR} Hz")
    return y.mean(axis=1)


def kind(est: Key | None, truth: Key) -> str:
    """What a wrong key is to the truth: one of :data:`KINDS` (the MIREX relation of
    :func:`core.calibration.agreement.key_relation`, its fifth told up from down)."""
    if est is None:
        return "other"
    relation = key_relation(est, truth)
    if relation == "fifth":
        return "fifth above" if (est.tonic - truth.tonic) % 12 == 7 else "fifth below"
    return relation


def tunes(tonics: int = 12, seed: int = 0):
    """(key, progression, seed of the melody) of every tune: each progression on ``tonics``
    tonics, the first four a minor third apart from C (C, D#, F#, A), the next four from C#,
    the last four from D (all twelve at 12)."""
    for p, prog in enumerate(_MAJOR_PROGS + _MINOR_PROGS):
        mode = "major" if p < len(_MAJOR_PROGS) else "minor"
        for t in range(tonics):
            yield Key((3 * t + t // 4) % 12, mode), prog, seed * 1000 + 100 * p + t


def score(name: str, *, tonics: int = 12, seed: int = 0, tonic_end: bool = False,
          soundfont: str | None = None) -> dict:
    """Read every tune on spectrum ``name`` (or, with ``soundfont``, on instrument set
    ``name``): exact share, MIREX, misses by kind and the misses as (truth, estimate)."""
    import tempfile

    n, exact, mirex = 0, 0, 0.0
    kinds = dict.fromkeys(KINDS, 0)
    misses = []
    with tempfile.TemporaryDirectory() as folder:
        for key, prog, s in tunes(tonics, seed):
            if soundfont is None:
                y = tune(key, prog, SPECTRA[name], seed=s, tonic_end=tonic_end)
            else:
                y = sampled(key, prog, INSTRUMENTS[name], soundfont, folder, seed=s,
                            tonic_end=tonic_end)
            est = estimate_key(features_of_audio(y, SR)).key
            n += 1
            mirex += mirex_score(est, key) if est is not None else 0.0
            if est == key:
                exact += 1
            else:
                kinds[kind(est, key)] += 1
                misses.append((key, est))
    return {"n": n, "exact": exact / n, "mirex": mirex / n, "kinds": kinds, "misses": misses}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--spectra", nargs="+", choices=sorted(SPECTRA), default=list(SPECTRA))
    ap.add_argument("--soundfont", help="render on sampled instruments with this General MIDI "
                    "soundfont (FluidSynth) instead of the spectra")
    ap.add_argument("--instruments", nargs="+", choices=sorted(INSTRUMENTS),
                    default=list(INSTRUMENTS), help="the instrument sets of --soundfont")
    ap.add_argument("--tonics", type=int, default=12, choices=range(1, 13), metavar="N",
                    help="tonics per progression: C, D#, F#, A, then C#, E, G, A#, then "
                         "D, F, G#, B (1-12; 12)")
    ap.add_argument("--seed", type=int, default=0, help="seed of the melodies")
    ap.add_argument("--tonic-end", action="store_true",
                    help="end each tune on its tonic triad")
    args = ap.parse_args(argv)
    if args.soundfont is not None and not os.path.isfile(args.soundfont):
        ap.error(f"no soundfont at {args.soundfont}")
    names = args.spectra if args.soundfont is None else args.instruments
    results = {name: score(name, tonics=args.tonics, seed=args.seed, tonic_end=args.tonic_end,
                           soundfont=args.soundfont)
               for name in names}
    label = "spectrum" if args.soundfont is None else "instruments"
    print(f"{label:15s} {'n':>3s} {'exact':>6s} {'MIREX':>6s}  " + "  ".join(KINDS))
    for name, r in results.items():
        print(f"{name:15s} {r['n']:3d} {r['exact']:6.3f} {r['mirex']:6.3f}  "
              + "  ".join(f"{r['kinds'][k]:{len(k)}d}" for k in KINDS))
    for name, r in results.items():
        for truth, est in r["misses"]:
            print(f"  {name}: {truth.name} read {est.name if est else 'no key'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
