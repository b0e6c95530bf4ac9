"""One song end to end through ``analyze_file``: every descriptor, every bad case."""

from __future__ import annotations

import math
import re
import time

import numpy as np
import pytest
import scipy.signal
import soundfile as sf

from benchmarks.errorcases import chorale
from benchmarks.synth import click_track, noise, render_song, silence
from core.analysis.analyze import _downmix, _opposed_channels, analyze_file
from core.analysis.key import NO_KEY_FEW, NO_KEY_FLAT
from core.calibration.agreement import mirex_score
from core.errors import (
    AnalysisCancelled,
    CorruptFileError,
    EmptyFileError,
    TooShortError,
    UnreadableFileError,
    UnsupportedFormatError,
)
from core.io.keynotation import Key, parse_key
from core.io.results import DESCRIPTOR_COLUMNS
from core.settings import AnalysisSettings
from tests.audio_files import write_audio

SR = 44100


def _song(path, *, bpm=120.0, key=Key(9, "minor"), seconds=24.0, style="rock", seed=1,
          sr=SR):
    y = render_song(bpm=bpm, key=key, seconds=seconds, sr=sr, seed=seed, style=style)
    write_audio(path, y, sr)
    return path


def test_every_descriptor_is_measured_with_its_unit(tmp_path):
    r = analyze_file(_song(tmp_path / "Artist - Title.flac"))
    assert r.status == "done" and r.error == ""
    assert (r.title, r.artist) == ("Title", "Artist")
    for col in DESCRIPTOR_COLUMNS:
        assert getattr(r, col) is not None, col
    assert abs(r.bpm - 120.0) <= 0.04 * 120.0
    assert parse_key(r.key) is not None and r.key_camelot
    assert -30 < r.loudness_lufs < 0 and r.peak_dbfs <= 0.0 and r.loudness_range_lu >= 0
    for col in ("energy", "danceability", "valence", "acousticness", "silence_ratio",
                "bpm_confidence", "key_confidence"):
        assert 0.0 <= getattr(r, col) <= 1.0, col
    assert 100 < r.brightness_hz < 11025 and r.dynamic_range_db > 0
    assert r.time_signature == 4 and r.duration_s == pytest.approx(24.0, abs=0.01)
    assert (r.sample_rate, r.channels) == (SR, 2)
    assert any(math.isclose(float(b), r.bpm / 2, rel_tol=0.02)
               for b in r.bpm_alternatives.split(";"))
    from core.analysis.identity import analyzer_id

    assert r.analyzer == analyzer_id()  # the build that made these values


@pytest.mark.xfail(strict=True, reason="open error class (issue 9): the learned key decision "
                   "takes the subdominant (D minor) for this A minor song")
def test_key_and_camelot_of_a_minor_song(tmp_path):
    r = analyze_file(_song(tmp_path / "a_minor.flac"))
    assert parse_key(r.key) == Key(9, "minor") and r.key_camelot == "8A"


def test_a_tempo_range_states_the_song_its_chunks_and_a_loop_in_it(tmp_path):
    from benchmarks.errorcases import halftime_groove

    path = tmp_path / "halftime.wav"
    write_audio(path, halftime_groove(168.0, seed=2, seconds=36.0), 22050)
    plain = analyze_file(path, settings=AnalysisSettings(chunk_seconds=12.0, workers=1))
    ranged = analyze_file(path, settings=AnalysisSettings(chunk_seconds=12.0, workers=1,
                                                          tempo_floor_bpm=88.0))
    assert abs(plain.bpm - 84.0) <= 0.04 * 84.0  # read alone: at half (open error class)
    assert abs(ranged.bpm - 168.0) <= 0.04 * 168.0
    assert all(abs(c.bpm - ranged.bpm) <= 0.01 * ranged.bpm for c in ranged.chunk_results)
    alternatives = [float(b) for b in ranged.bpm_alternatives.split(";")]
    assert alternatives[0] == ranged.bpm and all(87.9 <= b < 176.0 for b in alternatives)
    assert ranged.bpm_confidence >= plain.bpm_confidence
    # the pace descriptors read the beat the evidence found, wherever the range states it
    low = analyze_file(path, settings=AnalysisSettings(chunk_seconds=12.0, workers=1,
                                                       tempo_floor_bpm=58.0))
    assert abs(low.bpm - 84.0) <= 0.04 * 84.0
    assert low.danceability == pytest.approx(ranged.danceability, abs=1e-3)
    # a one-bar loop: its beats are counted at the tempo in the range
    loop = tmp_path / "loop.wav"
    write_audio(loop, click_track(100.0, 2.4, 22050), 22050)
    r = analyze_file(loop, settings=AnalysisSettings(workers=1, tempo_floor_bpm=110.0))
    assert r.bpm == pytest.approx(200.0, abs=0.5) and "loop of 8 beats" in r.note, r
    slow = analyze_file(loop, settings=AnalysisSettings(workers=1, tempo_floor_bpm=58.0))
    assert slow.bpm == pytest.approx(100.0, abs=0.5) and "loop of 4 beats" in slow.note
    assert r.danceability == pytest.approx(slow.danceability, abs=1e-3)


def test_chunks_stream_with_progress_and_per_chunk_values(tmp_path):
    path = _song(tmp_path / "long.wav", seconds=50.0)
    calls = []
    r = analyze_file(path, settings=AnalysisSettings(chunk_seconds=10.0, workers=1),
                     progress=lambda i, n, d: calls.append((i, n)))
    assert [c[0] for c in calls] == [0, 1, 2, 3, 4, 5] and all(n == 5 for _, n in calls)
    assert r.chunks == 5 and len(r.chunk_results) == 5
    assert r.chunk_results[-1].end_s == pytest.approx(50.0, abs=0.01)
    assert sum(c.bpm is not None and abs(c.bpm - 120) < 5 for c in r.chunk_results) >= 4
    # Each chunk of pitched music names a key of its own (10 s of a progression can lean
    # elsewhere), and the song's key is among them.
    chunk_keys = [c.key for c in r.chunk_results]
    assert all(parse_key(k) is not None for k in chunk_keys) and r.key in chunk_keys, chunk_keys
    assert [c.start_s for c in r.chunk_results] == [0.0, 10.0, 20.0, 30.0, 40.0]
    assert r.key_modulating is False
    assert r.bpm_varies is False and "tempo varies" not in r.note


def _played_at(y: np.ndarray, start: float, end: float) -> np.ndarray:
    """``y`` played at a speed moving steadily from ``start`` to ``end`` (a tape's drift)."""
    mono = y.mean(axis=1) if y.ndim == 2 else y
    speed = np.linspace(start, end, len(mono))
    pos = np.cumsum(speed)
    pos = pos[pos < len(mono) - 1]
    return np.interp(pos, np.arange(len(mono)), mono)


@pytest.mark.parametrize("case", ["steady", "step", "drift", "small drift", "one chunk off",
                                  "double time"])
def test_a_tempo_that_changes_or_drifts_is_flagged_and_a_steady_one_is_not(tmp_path, case):
    sr, key = 22050, Key(2, "major")

    def part(bpm, seconds, seed=3, style="rock"):
        return render_song(bpm=bpm, key=key, seconds=seconds, sr=sr, seed=seed,
                           style=style).mean(axis=1)

    y = {"steady": lambda: part(110.0, 72.0),
         # 110 then 121 BPM (+10 %): three chunks of each
         "step": lambda: np.concatenate([part(110.0, 36.0), part(121.0, 36.0)]),
         # from 8 % slower to 8 % faster: the ends are off any one tempo
         "drift": lambda: _played_at(part(110.0, 72.0), 0.92, 1.08),
         # 1.5 % either way: one tempo is within 4 % of every part
         "small drift": lambda: _played_at(part(110.0, 72.0), 0.985, 1.015),
         # a single chunk at another tempo is a section's doubt, not a change
         "one chunk off": lambda: np.concatenate([part(110.0, 36.0), part(126.0, 12.0),
                                                  part(110.0, 24.0)]),
         # a section at twice the pace keeps the tempo a DJ sets
         "double time": lambda: np.concatenate([part(110.0, 36.0),
                                                part(220.0, 36.0, style="electronic")]),
         }[case]()
    path = tmp_path / f"{case}.wav"
    write_audio(path, (0.5 * y / np.max(np.abs(y))).astype(np.float32), sr)
    r = analyze_file(path, settings=AnalysisSettings(chunk_seconds=12.0, workers=1))
    tempi = [c.bpm for c in r.chunk_results]
    varies = case in ("step", "drift")
    assert r.bpm_varies is varies, (tempi, r.bpm)
    assert ("tempo varies" in r.note) is varies, r.note
    if case == "step":  # the note gives the chunks' range, in the song's octave
        assert "tempo varies: 110-121 BPM across its chunks" in r.note, r.note
    if case == "double time":  # every chunk beats at 110 or at twice it
        assert all(min(abs(t / 110.0 - 1), abs(t / 220.0 - 1)) < 0.04 for t in tempi), tempi


def test_the_tempo_spread_weighs_clear_whole_chunks_octaves_aside():
    from core.analysis.analyze import _tempo_spread
    from core.analysis.tempo import TempoEstimate
    from core.io.results import ChunkResult

    def spread(bpms, *, weak=(), last_s=30.0):
        n = len(bpms)
        chunks = [ChunkResult(index=i, start_s=30.0 * i,
                              end_s=30.0 * i + (last_s if i == n - 1 else 30.0), bpm=b)
                  for i, b in enumerate(bpms)]
        tempi = [TempoEstimate(b, weak=i in weak) for i, b in enumerate(bpms)]
        return _tempo_spread(chunks, tempi, 100.0)

    assert spread([100, 100, 110, 111]) == pytest.approx((100.0, 111.0))
    assert spread([100, 103.9, 96.2, 100]) is None  # within 4 % everywhere
    assert spread([100, 220, 110, 100]) == pytest.approx((100.0, 110.0))  # 220 is 110's octave
    assert spread([100, 100, 200, 50]) is None  # octaves of the tempo
    assert spread([100, 100, 110, 111], weak={3}) is None  # a faint pulse does not count
    assert spread([100, 100, 110, 111], last_s=5.0) is None  # nor does a short last chunk
    assert spread([100, None, 110, 111]) == pytest.approx((100.0, 111.0))


def test_each_chunk_says_how_far_its_tempo_and_key_can_be_trusted(tmp_path):
    from core.io.results import chunk_rows

    song = render_song(bpm=120.0, key=Key(9, "minor"), seconds=24.0, sr=SR, seed=1)
    hiss = np.repeat(noise(12.0, SR, seed=3, level=0.01)[:, None], 2, axis=1)
    write_audio(tmp_path / "then hiss.wav", np.concatenate([song, hiss]), SR)
    r = analyze_file(tmp_path / "then hiss.wav",
                     settings=AnalysisSettings(chunk_seconds=8.0, workers=1))
    chunks = r.chunk_results
    assert len(chunks) == 5
    # the song's three chunks: a clear beat, a key each, both with a confidence
    for c in chunks[:3]:
        assert abs(c.bpm - 120.0) < 0.04 * 120.0 and c.bpm_confidence >= 0.5, c
        assert c.key is not None and 0.0 < c.key_confidence <= 1.0, c
    # the hiss after it has no beat, and its last four seconds no key: no confidence either
    assert [c.bpm for c in chunks[3:]] == [None, None]
    assert [c.bpm_confidence for c in chunks[3:]] == [None, None]
    assert chunks[4].key is None and chunks[4].key_confidence is None
    # kept in the chunks CSV beside the values they qualify
    rows = chunk_rows([r])
    assert [(row["bpm_confidence"], row["key_confidence"]) for row in rows] == [
        (c.bpm_confidence, c.key_confidence) for c in chunks]


def test_cancel_between_chunks(tmp_path):
    path = _song(tmp_path / "c.wav", seconds=40.0)
    seen = []
    with pytest.raises(AnalysisCancelled):
        analyze_file(path, settings=AnalysisSettings(chunk_seconds=10.0, workers=1),
                     progress=lambda i, n, d: seen.append(i),
                     should_cancel=lambda: len(seen) >= 3)
    assert seen == [0, 1, 2]


def test_digital_silence_is_done_without_tempo_key_or_loudness(tmp_path):
    write_audio(tmp_path / "silence.wav", silence(10.0, SR), SR)
    r = analyze_file(tmp_path / "silence.wav")
    assert r.status == "done" and "silence" in r.note and not r.error
    assert r.bpm is None and r.key is None and r.loudness_lufs is None and r.peak_dbfs is None
    assert r.silence_ratio == 1.0


def test_noise_has_loudness_but_no_invented_tempo_or_key(tmp_path):
    write_audio(tmp_path / "noise.wav", noise(10.0, SR, seed=3), SR)
    r = analyze_file(tmp_path / "noise.wav")
    assert r.bpm is None and r.key is None and r.loudness_lufs is not None


def test_a_clip_under_one_loudness_block_is_too_short(tmp_path):
    write_audio(tmp_path / "clip.wav", render_song(bpm=100, key=Key(0, "major"), seconds=0.35,
                                                   sr=SR), SR)
    with pytest.raises(TooShortError) as exc:
        analyze_file(tmp_path / "clip.wav")
    assert "too short" in exc.value.reason and exc.value.path.endswith("clip.wav")
    assert "0.35 s (at least 0.4 s needed)" in exc.value.reason


@pytest.mark.parametrize(("frames", "said"), [(1, "1 sample (0.02 ms)"),
                                               (100, "100 samples (2.27 ms)")])
def test_a_clip_of_a_few_samples_says_how_many(tmp_path, frames, said):
    """A length that rounds to 0.00 s is given in samples ("0.00 s" read as a file with no
    audio at all)."""
    write_audio(tmp_path / "tick.wav", np.full(frames, 0.1, np.float32), SR)
    with pytest.raises(TooShortError, match=rf"too short to analyze: {re.escape(said)}"):
        analyze_file(tmp_path / "tick.wav")


def _sweep(f0, f1, seconds, sr, *, log=True, click=False):
    t = np.arange(int(seconds * sr)) / sr
    method = "logarithmic" if log else "linear"
    # a sine starts from silence; a cosine jumps to half scale at its first sample (a click)
    phase = 0 if click else -90
    return (0.5 * scipy.signal.chirp(t, f0, seconds, f1, method=method, phi=phase)
            ).astype(np.float32)


@pytest.mark.parametrize(("f0", "f1", "seconds", "log", "click"), [
    (20.0, 20000.0, 10.0, True, False), (20000.0, 20.0, 10.0, True, False),
    (20.0, 20000.0, 10.0, False, False), (50.0, 5000.0, 2.0, True, False),
    # starting with a click, a short one, and falling ones whose lowest octave has a noisy
    # centroid: each of these was read with a tempo or a key by the bare rank correlation
    (20.0, 20000.0, 2.0, True, True), (20000.0, 20.0, 2.0, True, True),
    (20000.0, 20.0, 5.0, False, True), (20000.0, 20.0, 2.0, False, True),
])
def test_a_frequency_sweep_has_loudness_but_no_tempo_or_key(tmp_path, f0, f1, seconds, log,
                                                            click):
    """A test signal: its pitch crosses the onset bands one after the other (read as a steady
    pulse, 149 BPM for the first) and every pitch class (read as F major)."""
    write_audio(tmp_path / "sweep.wav", _sweep(f0, f1, seconds, SR, log=log, click=click), SR)
    r = analyze_file(tmp_path / "sweep.wav")
    assert r.bpm is None and r.key is None and r.loudness_lufs is not None
    assert "frequency sweep" in r.note


def test_two_sounds_apart_are_no_sweep():
    """A centroid rising over six octaves in two sounds with silence between them (a kick,
    then a snare) is no sweep; the same frames without the silence are one."""
    from types import SimpleNamespace

    from core.analysis.analyze import _is_sweep

    centroid = np.geomspace(60.0, 4000.0, 60)
    rms = np.full(60, 0.3)
    gap = np.zeros(40)
    frames = SimpleNamespace(centroid_hz=np.concatenate([centroid[:30], gap + 1000.0,
                                                         centroid[30:]]),
                             rms=np.concatenate([rms[:30], gap, rms[30:]]))
    assert _is_sweep(frames) is False
    assert _is_sweep(SimpleNamespace(centroid_hz=centroid, rms=rms)) is True


@pytest.mark.parametrize(("start_hz", "end_hz", "sweep"), [
    (100.0, 8000.0, True), (8000.0, 100.0, True), (150.0, 1800.0, True),
    (2000.0, 600.0, False),  # a decay's dulling: one way, but under two octaves
])
def test_a_sweep_moves_one_way_over_three_octaves(start_hz, end_hz, sweep):
    from types import SimpleNamespace

    from core.analysis.analyze import _is_sweep

    centroid = np.geomspace(start_hz, end_hz, 400) * (1 + 0.01 * np.sin(np.arange(400)))
    frames = SimpleNamespace(centroid_hz=centroid, rms=np.full(400, 0.3))
    assert _is_sweep(frames) is sweep
    clicked = centroid.copy()
    clicked[[0, 1, 3, 397, 399]] = [6000.0, 300.0, 9000.0, 200.0, 7000.0]  # clicks at both ends
    frames.centroid_hz = clicked
    assert _is_sweep(frames) is sweep
    frames.centroid_hz = centroid[np.random.default_rng(0).permutation(400)]  # no direction
    assert _is_sweep(frames) is False


_STEADY_NOTE = "a steady sound without onsets (a test tone, hum or noise): no tempo"


def _naive(shape: str, hz: float, seconds: float, sr: int) -> np.ndarray:
    """A test tone computed sample by sample, not band-limited: its harmonics above the
    Nyquist frequency fold back (alias) and beat slowly against the others (``"chord"``: a
    held major triad of sines on ``hz``, whose near-unisons beat instead)."""
    t = np.arange(int(seconds * sr)) / sr
    phase = (hz * t) % 1.0
    if shape == "chord":
        y = sum(np.sin(2 * np.pi * hz * r * t) for r in (1.0, 1.2599, 1.4983)) / 3.0
    else:
        y = {"square": np.where(phase < 0.5, 1.0, -1.0), "sawtooth": 2.0 * phase - 1.0,
             "clipped sine": np.clip(4.0 * np.sin(2 * np.pi * hz * t), -1.0, 1.0),
             "hum": sum(np.sin(2 * np.pi * hz * k * t + k) / k for k in range(1, 13)) / 3.0
             }[shape]
    return (0.5 * y).astype(np.float32)


@pytest.mark.parametrize(("shape", "hz", "sr"), [
    ("square", 440.0, 44100), ("square", 100.0, 48000), ("square", 3000.0, 44100),
    ("sawtooth", 55.0, 44100), ("sawtooth", 440.0, 48000), ("sawtooth", 1000.0, 44100),
    ("hum", 50.0, 48000), ("hum", 60.0, 44100),
    ("clipped sine", 440.0, 44100), ("sine", 1000.0, 48000), ("sine", 50.0, 22050),
])
def test_a_steady_test_tone_has_no_tempo_and_the_note_says_why(tmp_path, shape, hz, sr):
    """A naive square or sawtooth wave's aliases and hum's harmonics beat slowly against
    each other, which the onset envelope read as a pulse (120.1 BPM for the square at 440
    Hz, 143.5 for the sawtooth at 55 Hz, 83.3 for hum at 50 Hz); a steady tone has no onsets.
    """
    t = np.arange(20 * sr) / sr
    y = (0.5 * np.sin(2 * np.pi * hz * t)).astype(np.float32) if shape == "sine" else \
        _naive(shape, hz, 20.0, sr)
    write_audio(tmp_path / "tone.wav", y, sr)
    r = analyze_file(tmp_path / "tone.wav")
    assert r.status == "done" and r.bpm is None and r.loudness_lufs is not None, r
    assert r.note.startswith(_STEADY_NOTE), r.note
    assert all(c.bpm is None for c in r.chunk_results)


def _quiet_kicks(bpm: float, seconds: float, sr: int, db: float) -> np.ndarray:
    """Kick drums ``db`` below full scale: a falling sine of 0.2 s."""
    y = np.zeros(int(seconds * sr))
    tt = np.arange(int(0.2 * sr)) / sr
    kick = np.sin(2 * np.pi * (50.0 * tt + 1.8 * (1 - np.exp(-tt / 0.03)))) * np.exp(-tt / 0.08)
    for start in np.arange(0.3, seconds - 0.3, 60.0 / bpm):
        i = int(start * sr)
        y[i:i + len(kick)] += kick
    return y * 10 ** (db / 20)


@pytest.mark.parametrize("case", ["tremolo", "shallow tremolo", "shallow tremolo cut off",
                                  "pulsed tone", "kicks under a square",
                                  "chords that cross-fade"])
def test_a_weak_pulse_in_a_steady_sound_keeps_its_tempo(tmp_path, case):
    """A pulse that moves the level (a tremolo, even of a fifth of the amplitude: 1.75 dB,
    faded or cut off at full level; a pulsed tone), the centroid (chords at 66 BPM
    cross-fading at an even level) or rises in its band faster than it falls (kicks 36 dB
    under a naive square wave) is not a steady sound."""
    sr, seconds = 44100, 20.0
    t = np.arange(int(seconds * sr)) / sr
    if case == "tremolo":  # five swells a second, read at a half or a quarter of that rate
        y, bpm = (1 - 0.25 * (1 + np.sin(2 * np.pi * 5.0 * t))) * np.sin(2 * np.pi * 440 * t), 150.0
    elif case.startswith("shallow tremolo"):  # +-1 dB twice a second
        # faded in and out, or cut off at both ends at full level (the cut at the end
        # clicked 200 times as loud as the swells, and there were too few onsets for a tempo)
        fade = 1.0 if case.endswith("cut off") else np.minimum(1.0, np.minimum(t, seconds - t) / 0.5)
        y = fade * (1 - 0.1 * (1 + np.sin(2 * np.pi * 2.0 * t))) * np.sin(2 * np.pi * 440 * t)
        bpm = 120.0
    elif case == "pulsed tone":
        y, bpm = ((t % 0.5) < 0.25) * np.sin(2 * np.pi * 1000.0 * t), 120.0
    elif case == "kicks under a square":
        y, bpm = _naive("square", 440.0, seconds, sr) + _quiet_kicks(120.0, seconds, sr, -36), 120.0
    else:
        y, bpm = _cross_faded_chords(66.0, seconds, sr), 66.0
    write_audio(tmp_path / "pulse.wav", 0.5 * y / np.max(np.abs(y)), sr)
    r = analyze_file(tmp_path / "pulse.wav")
    assert r.bpm is not None and "steady" not in r.note and "onsets" not in r.note, r
    assert any(abs(r.bpm - bpm * f) <= 0.04 * bpm * f for f in (0.5, 1.0, 2.0)), r.bpm


def test_a_held_chord_has_no_tempo(tmp_path):
    """One attack, then three sustained tones whose partials beat against each other: the
    onset envelope is periodic, but no onset marks a pulse.  The tempo estimator alone reads
    87.3 BPM there (at confidence 0.15 cut off at its end, 0.21 faded out): the steady
    sound is told apart first."""
    t = np.arange(int(30.0 * SR)) / SR
    y = sum(0.1 / k * np.sin(2 * np.pi * f * k * t)
            for f in (220.0, 277.18, 329.63) for k in range(1, 6))
    write_audio(tmp_path / "chord.wav", y, SR)
    r = analyze_file(tmp_path / "chord.wav")
    assert r.status == "done" and r.bpm is None and r.note.startswith(_STEADY_NOTE), r
    assert all(c.bpm is None for c in r.chunk_results)


def _cross_faded_chords(bpm: float, seconds: float, sr: int) -> np.ndarray:
    """Chords (C, A minor, F, G; four partials a note) changing on every beat, each fading
    into the next over 0.1 s at an even power: no gap, no attack."""
    t = np.arange(int(seconds * sr)) / sr
    beat, fade = 60.0 / bpm, 0.05
    y = np.zeros_like(t)
    for i, chord in enumerate([(0, 4, 7), (9, 12, 16), (5, 9, 12), (7, 11, 14)] * 12):
        a = i * beat
        if a > seconds:
            break
        env = np.sqrt(np.clip((t - a + fade) / (2 * fade), 0, 1)
                      * np.clip((a + beat + fade - t) / (2 * fade), 0, 1))
        for n in chord:
            for k in range(1, 5):
                y += env * np.sin(2 * np.pi * 220 * 2 ** (n / 12) * k * t + k * n) / k
    return y


def test_constant_signal_is_analyzed_without_a_tempo(tmp_path):
    """A DC offset (a broken converter's output) gives its loudness and a clear note.  The
    resampler's ringing at its start left no periodicity at any lag, and the search for the
    song's main section stopped with an error on that."""
    write_audio(tmp_path / "dc.wav", np.full(10 * SR, 0.9), SR)
    r = analyze_file(tmp_path / "dc.wav")
    # what is left after the DC blocker is steady, or the resampler's ringing at its start
    assert r.status == "done" and r.bpm is None
    assert r.note.startswith((_STEADY_NOTE, "too few onsets")), r.note


def test_the_note_says_why_a_song_has_no_key(tmp_path):
    """A steady test tone has neither onsets nor more than one pitch; bursts of noise have a
    tempo but a flat pitch profile.  Each row's note names its own reasons."""
    t = np.arange(24 * SR) / SR  # longer than a loop, which would add its own note
    write_audio(tmp_path / "tone.wav", 0.3 * np.sin(2 * np.pi * 440.0 * t), SR)
    gate = (np.sin(2 * np.pi * 2.0 * t) > 0.0).astype(float)  # 120 bursts a minute
    write_audio(tmp_path / "bursts.wav", gate * noise(24.0, SR, seed=3), SR)
    tone = analyze_file(tmp_path / "tone.wav")
    assert tone.status == "done" and tone.key is None and tone.bpm is None, tone
    assert tone.note == f"{_STEADY_NOTE}; no key: {NO_KEY_FEW}"
    bursts = analyze_file(tmp_path / "bursts.wav")
    assert bursts.status == "done" and bursts.key is None, bursts
    assert bursts.bpm == pytest.approx(120.0, rel=0.04) and not bursts.error
    assert bursts.note == f"no key: {NO_KEY_FLAT}"


def test_eight_channel_96k_file(tmp_path):
    y = render_song(bpm=100.0, key=Key(2, "major"), seconds=12.0, sr=96000, seed=5)
    y8 = np.concatenate([y, 0.5 * y, 0.25 * y, 0.25 * y], axis=1)
    write_audio(tmp_path / "surround.wav", y8, 96000, subtype="PCM_24")
    r = analyze_file(tmp_path / "surround.wav")
    assert (r.channels, r.sample_rate) == (8, 96000)
    assert abs(r.bpm - 100.0) <= 4.0 and mirex_score(parse_key(r.key), Key(2, "major")) >= 0.5


def test_unicode_name_and_eight_khz(tmp_path):
    path = _song(tmp_path / "Beyoncé – Ça ira 日本.ogg", sr=8000, seconds=16.25)
    started = time.perf_counter()
    r = analyze_file(path)
    elapsed = time.perf_counter() - started
    assert r.status == "done" and r.title == "Ça ira 日本" and r.sample_rate == 8000
    assert r.duration_s == pytest.approx(16.25, abs=0.002)
    assert 0.0 < r.analysis_s <= elapsed + 0.001  # the time it took, in s (to the ms)
    assert abs(r.bpm - 120.0) <= 0.04 * 120.0


@pytest.mark.parametrize(("name", "content", "error"), [
    ("empty.wav", b"", EmptyFileError),
    ("text.mp3", b"just some words, not audio\n" * 20, UnsupportedFormatError),
    ("header.flac", b"\x00\x13\x37" * 400, CorruptFileError),
])
def test_bad_files_raise_plain_errors(tmp_path, name, content, error):
    (tmp_path / name).write_bytes(content)
    with pytest.raises(error) as exc:
        analyze_file(tmp_path / name)
    assert exc.value.path.endswith(name) and exc.value.reason


def test_truncated_file_is_corrupt_or_analyzed_in_part(tmp_path):
    path = _song(tmp_path / "cut.wav", seconds=10.0)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(CorruptFileError):
        analyze_file(path)


def test_missing_file(tmp_path):
    with pytest.raises(UnreadableFileError):
        analyze_file(tmp_path / "nowhere.wav")


def test_invalid_float_samples_are_read_as_silence_with_a_note(tmp_path):
    y = render_song(bpm=110.0, key=Key(7, "major"), seconds=12.0, sr=SR, seed=9)
    y[1000:2000] = np.nan
    y[5000, 0] = np.inf
    write_audio(tmp_path / "nan.wav", y, SR, subtype="FLOAT")
    r = analyze_file(tmp_path / "nan.wav")
    assert r.status == "done" and "2001 invalid samples" in r.note
    assert r.loudness_lufs is not None and math.isfinite(r.peak_dbfs)
    assert abs(r.bpm - 110.0) <= 0.04 * 110.0


@pytest.mark.filterwarnings("error::RuntimeWarning")
@pytest.mark.parametrize(("subtype", "value"), [("FLOAT", 1e30), ("DOUBLE", -1e300)])
def test_absurd_float_samples_are_read_as_silence_with_a_note(tmp_path, subtype, value):
    """Garbage in a float file (1e30 overflowed the spectra: +584 LUFS, overflow warnings on
    the terminal; 1e300 was counted as infinite) is read as silence, like NaN."""
    y = render_song(bpm=110.0, key=Key(7, "major"), seconds=12.0, sr=SR, seed=9)
    y = y.astype(np.float64)
    y[1000:2000] = value
    sf.write(tmp_path / "garbage.wav", y, SR, subtype=subtype)
    r = analyze_file(tmp_path / "garbage.wav")
    assert r.status == "done" and "2000 invalid samples" in r.note
    assert "beyond +120 dBFS" in r.note
    assert -40.0 < r.loudness_lufs < 0.0 and r.peak_dbfs <= 0.1
    assert abs(r.bpm - 110.0) <= 0.04 * 110.0


def test_a_dc_offset_alone_has_no_tempo_or_key(tmp_path):
    write_audio(tmp_path / "dc.wav", np.full((SR * 8, 1), 0.5, dtype=np.float32), SR,
                subtype="FLOAT")
    r = analyze_file(tmp_path / "dc.wav")
    assert r.status == "done" and r.bpm is None and r.key is None
    assert r.bpm_weak_pulse is None


def test_dc_offset_does_not_change_tempo_or_key(tmp_path):
    y = render_song(bpm=96.0, key=Key(4, "minor"), seconds=16.0, sr=SR, seed=12)
    write_audio(tmp_path / "offset.wav", 0.5 * y + 0.3, SR, subtype="FLOAT")
    r = analyze_file(tmp_path / "offset.wav")
    assert abs(r.bpm - 96.0) <= 0.04 * 96.0 and parse_key(r.key) == Key(4, "minor")


def test_a_tempo_change_keeps_both_tempi(tmp_path):
    y = np.concatenate([click_track(80.0, 12.0, SR), click_track(131.0, 12.0, SR)])
    write_audio(tmp_path / "splice.wav", y[:, None], SR)
    r = analyze_file(tmp_path / "splice.wav", settings=AnalysisSettings(chunk_seconds=12.0))
    chunk_bpm = [c.bpm for c in r.chunk_results]
    assert len(chunk_bpm) == 2 and r.bpm is not None
    assert abs(chunk_bpm[0] - 80.0) <= 3.2 and abs(chunk_bpm[1] - 131.0) <= 5.2, chunk_bpm
    assert any(abs(r.bpm - b) <= 0.04 * b for b in (80.0, 131.0)), r.bpm


def test_drumless_music_gets_a_tempo_and_a_weak_pulse_column(tmp_path):
    write_audio(tmp_path / "chorale.wav", chorale(Key(7, "major"), bpm=66.0, seed=3)[:, None],
                22050)
    r = analyze_file(tmp_path / "chorale.wav")
    assert r.bpm is not None and abs(r.bpm - 66.0) <= 0.04 * 66.0, r.bpm
    assert r.bpm_weak_pulse in (True, False) and r.bpm_confidence > 0
    assert "bpm_weak_pulse" in r.to_row()


@pytest.mark.parametrize("channels", [1, 2, 3, 8])
def test_downmix_is_the_channel_mean(channels):
    block = np.random.default_rng(channels).uniform(-1, 1, (5000, channels)).astype(np.float32)
    mono = _downmix(block)
    assert mono.dtype == np.float32 and mono.shape == (5000,)
    want = block.mean(axis=1, dtype=np.float32)
    if channels <= 2:  # the same sums in the same order: equal to the bit
        assert np.array_equal(mono, want)
    else:
        np.testing.assert_allclose(mono, want, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("subtype", ["PCM_16", "FLOAT"])
def test_a_channel_in_opposite_polarity_is_turned_over(tmp_path, subtype):
    """A channel and its copy in opposite polarity (a channel wired or copied inverted):
    the mean of the two is silence, or the rounding noise of 16 bits, which read as no
    tempo, or a tempo of its own with no key; the channel is turned over and the note says
    so."""
    y = render_song(bpm=110.0, key=Key(7, "major"), seconds=12.0, sr=22050, seed=9).mean(axis=1)
    write_audio(tmp_path / "opposed.wav", np.stack([y, -y], axis=1), 22050, subtype=subtype)
    r = analyze_file(tmp_path / "opposed.wav")
    assert r.bpm is not None and abs(r.bpm - 110.0) <= 0.04 * 110.0, (r.bpm, r.note)
    assert parse_key(r.key) == Key(7, "major"), r.key
    assert "its channels cancel in a mono sum (one is in opposite polarity) over 12 s" in r.note


@pytest.mark.parametrize("channels", [2, 3, 8])
def test_channels_that_do_not_cancel_are_mixed_as_they_are(channels):
    rng = np.random.default_rng(channels)
    unrelated = rng.uniform(-1, 1, (50000, channels)).astype(np.float32)
    assert _opposed_channels(unrelated) is None
    shared = rng.uniform(-1, 1, (50000, 1)).astype(np.float32)
    # Channels partly opposed (stereo: correlation -0.4): their mean keeps more than half.
    partly = shared * np.where(np.arange(channels) % 2, -1.0, 1.0) + 1.2 * unrelated
    assert _opposed_channels(partly.astype(np.float32)) is None
    assert _opposed_channels(np.zeros((5000, channels), dtype=np.float32)) is None


def test_opposed_channels_are_turned_to_the_loudest():
    rng = np.random.default_rng(3)
    x = rng.uniform(-1, 1, 5000).astype(np.float32)
    block = np.stack([0.5 * x, -x, 0.5 * x, -0.2 * x], axis=1)
    signs = _opposed_channels(block)
    assert signs is not None and list(signs) == [-1.0, 1.0, -1.0, 1.0]
    np.testing.assert_allclose(_downmix(block, signs), -0.55 * x, rtol=1e-5, atol=1e-6)


def test_decoding_blocks_hold_a_bounded_number_of_samples(tmp_path, monkeypatch):
    """Blocks were 30 s whatever the channel count and rate: 64 channels at 96 kHz took
    1.1 GB to analyze (a 30 s block and its copies).  With the bound lowered to 1 s of
    stereo at 22.05 kHz, an 8-channel file is read in blocks of a quarter second, with the
    same results."""
    import core.analysis.analyze as analyze_module
    from core.analysis import decode

    y = render_song(bpm=110.0, key=Key(7, "major"), seconds=6.0, sr=22050, seed=9)
    path = write_audio(tmp_path / "eight.wav", np.tile(y, 4), 22050)
    whole = analyze_file(path)
    sizes = []

    def recording(*args, **kwargs):
        for block in real_stream(*args, **kwargs):
            sizes.append(block.size)
            yield block

    real_stream = decode.stream
    monkeypatch.setattr(decode, "stream", recording)
    monkeypatch.setattr(analyze_module, "_SUB_BLOCK_SAMPLES", 22050 * 2)
    r = analyze_file(path)
    assert max(sizes) <= 22050 * 2 and len(sizes) >= 24
    assert (r.bpm, r.key, r.loudness_lufs) == (whole.bpm, whole.key, whole.loudness_lufs)
