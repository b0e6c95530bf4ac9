"""Steady sounds and drum patterns on them: which the analyzer calls a steady sound.

    python -m benchmarks.held_tones

A steady sound (a test tone, hum, a held chord, steady noise) gets no tempo: its partials
beat against each other and the onset envelope would read that as a pulse
(:func:`core.analysis.analyze._is_steady`).  A drum pattern on such a sound is a pulse all
the same.  Four sets, generated here, 30 s each:

* **tones**: 106 steady sounds: naive square, 25 % pulse and sawtooth waves, hard-clipped
  sines, sines and a held major triad at 31 Hz to 8 kHz, hum at 50 and 60 Hz with its
  harmonics, white and pink noise.  Naive tones are computed from ``t = n / sr``, as test
  tones often are, so those whose period is a whole number of samples change by a sample
  where the step of ``t`` doubles.
* **patterns**: a third of those tones (every third) with a kick, a snare or a hi-hat on
  every beat at 120 BPM, at a quarter, half and all of the tone's peak: 324 files.
* **sweep**: naive square, 25 % pulse and sawtooth waves at 48 pitches from 40 Hz up in
  steps of an eighth of an octave (to 2.6 kHz), at 44.1 kHz and rounded to 16 bits: 144
  more steady sounds, at pitches the rules were not set on.
* **slow**: a sixth of the tones with one drum every 1.2 or 1.5 s (50 and 40 a minute) at
  half of the tone's peak: 108 files.

Printed: the tones not called steady and the patterns called steady, each by name, then
the counts.  The files are built and analyzed in memory (as ``analyze_file`` resamples
them to 22 050 Hz); nothing is fitted on them.
"""

from __future__ import annotations

import sys

import numpy as np
import soxr

from core.analysis.analyze import _is_steady
from core.analysis.features import FeatureStream

__all__ = ["TONES", "SWEEP", "signal", "sweep_tone", "main"]

_RATE = 22050
_SECONDS = 30.0
#: (shape, Hz or noise seed, sample rate) of each steady sound.
TONES = ([(s, hz, sr) for s in ("square", "pulse", "sawtooth", "clipped sine", "sine", "chord")
          for hz in (31.0, 55.0, 110.0, 220.0, 441.0, 1000.0, 3000.0, 8000.0)
          for sr in (44100, 48000)]
         + [("hum", hz, sr) for hz in (50.0, 60.0) for sr in (44100, 48000)]
         + [(s, float(seed), 44100) for s in ("white", "pink") for seed in (1, 2, 3)])
_RATIOS = (0.25, 0.5, 1.0)


def _tone(shape: str, hz: float, sr: int) -> np.ndarray:
    t = np.arange(int(_SECONDS * sr)) / sr
    phase = (hz * t) % 1.0
    if shape in ("square", "pulse"):
        return np.where(phase < (0.5 if shape == "square" else 0.25), 1.0, -1.0)
    if shape == "sawtooth":
        return 2.0 * phase - 1.0
    if shape == "clipped sine":
        return np.clip(4.0 * np.sin(2 * np.pi * hz * t), -1.0, 1.0)
    if shape == "sine":
        return np.sin(2 * np.pi * hz * t)
    if shape == "chord":
        return sum(np.sin(2 * np.pi * hz * r * t) for r in (1.0, 1.2599, 1.4983)) / 3.0
    if shape == "hum":
        return sum(np.sin(2 * np.pi * hz * k * t + k) / k for k in range(1, 13)) / 3.0
    noise = np.random.default_rng(int(hz)).standard_normal(t.size)
    if shape == "white":
        return noise / 4.0
    spectrum = np.fft.rfft(noise)
    freqs = np.fft.rfftfreq(t.size, 1.0 / sr)
    spectrum[1:] /= np.sqrt(freqs[1:])
    spectrum[0] = 0.0
    pink = np.fft.irfft(spectrum, t.size)
    return pink / np.abs(pink).max()


def _hit(kind: str, sr: int) -> np.ndarray:
    rng = np.random.default_rng({"kick": 4, "snare": 5, "hat": 6}[kind])
    if kind == "kick":
        t = np.arange(int(0.4 * sr)) / sr
        return np.sin(2 * np.pi * (50 * t + 100 * (1 - np.exp(-30 * t)) / 30)) * np.exp(-25 * t)
    if kind == "snare":
        t = np.arange(int(0.2 * sr)) / sr
        return (0.6 * rng.standard_normal(t.size) * np.exp(-30 * t)
                + 0.5 * np.sin(2 * np.pi * 190 * t) * np.exp(-20 * t))
    t = np.arange(int(0.05 * sr)) / sr
    return np.diff(np.r_[0.0, rng.standard_normal(t.size)]) * np.exp(-90 * t)


def signal(shape: str, hz: float, sr: int, hit: str | None = None,
           ratio: float = 0.0, gap: float = 0.5) -> np.ndarray:
    """A steady sound at half of full scale, with ``hit`` (``"kick"``, ``"snare"`` or
    ``"hat"``) at ``ratio`` times its peak every ``gap`` seconds (every beat at 120 BPM)
    from 1 s to 1 s before its end; at most 0.9 of full scale."""
    y = 0.5 * _tone(shape, hz, sr)
    if hit is not None:
        h = _hit(hit, sr)
        h = ratio * float(np.abs(y).max()) * h / float(np.abs(h).max())
        for s in np.arange(1.0, _SECONDS - 1.0, gap):
            i = int(s * sr)
            y[i:i + h.size] += h
    return (y / max(1.0, float(np.abs(y).max()) / 0.9)).astype(np.float32)


#: (shape, Hz) of the sweep's naive tones, at 44.1 kHz.
SWEEP = [(s, 40.0 * 2.0 ** (k / 8)) for s in ("square", "pulse", "sawtooth") for k in range(48)]


def sweep_tone(shape: str, hz: float) -> np.ndarray:
    """A naive tone of the sweep at half of full scale, 44.1 kHz, rounded to 16 bits."""
    y = 0.5 * _tone(shape, hz, 44100)
    return (np.round(y * 32767.0) / 32767.0).astype(np.float32)


def _steady(y: np.ndarray, sr: int) -> bool:
    if sr != _RATE:
        y = soxr.resample(y, sr, _RATE, quality="HQ")
    fs = FeatureStream(_RATE)
    fs.process(np.asarray(y, dtype=np.float32))
    fs.mark_chunk()
    return _is_steady(fs.finish())


def main(argv=None) -> int:
    if argv:
        print(__doc__.strip().splitlines()[2].strip())
        return 2
    loud = 0
    for shape, hz, sr in TONES:
        if not _steady(signal(shape, hz, sr), sr):
            loud += 1
            print(f"tone not steady:   {shape} {hz:g} Hz at {sr} Hz")
    missed = patterns = 0
    for shape, hz, sr in TONES[::3]:
        for hit in ("kick", "snare", "hat"):
            for ratio in _RATIOS:
                patterns += 1
                if _steady(signal(shape, hz, sr, hit, ratio), sr):
                    missed += 1
                    print(f"pattern steady:    {hit} at {ratio:g} of the peak of "
                          f"{shape} {hz:g} Hz at {sr} Hz")
    swept = 0
    for shape, hz in SWEEP:
        if not _steady(sweep_tone(shape, hz), 44100):
            swept += 1
            print(f"sweep not steady:  {shape} {hz:.1f} Hz")
    slow = slow_missed = 0
    for shape, hz, sr in TONES[1::6]:
        for hit in ("kick", "snare", "hat"):
            for gap in (1.2, 1.5):
                slow += 1
                if _steady(signal(shape, hz, sr, hit, 0.5, gap), sr):
                    slow_missed += 1
                    print(f"slow steady:       {hit} every {gap:g} s at half the peak of "
                          f"{shape} {hz:g} Hz at {sr} Hz")
    print(f"\ntones called steady: {len(TONES) - loud} of {len(TONES)}")
    print(f"patterns called steady (their beat missed): {missed} of {patterns}")
    print(f"sweep tones called steady: {len(SWEEP) - swept} of {len(SWEEP)}")
    print(f"slow patterns called steady (their beat missed): {slow_missed} of {slow}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
