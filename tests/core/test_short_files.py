"""Files under 20 s through ``analyze_file``: the tempo of a short file read as a loop
(:mod:`core.analysis.loops`), guessed from it played repeated, or none; the notes that say
which."""

from __future__ import annotations

import numpy as np
import pytest

from benchmarks.errorcases import clave_loop
from benchmarks.independent_synth import render
from benchmarks.synth import render_song
from core.analysis.analyze import analyze_file
from core.io.keynotation import Key
from core.settings import AnalysisSettings
from tests.audio_files import write_audio
from tests.core.test_analyze import _naive

SR = 44100


def test_a_clip_under_a_second_has_loudness_a_guessed_tempo_and_no_key(tmp_path):
    """0.45 s of a song at 100 BPM (0.75 beat): no loop, too short for a key, measured; its
    onsets give a tempo that is a guess, flagged weak, with a confidence of at most 0.1."""
    write_audio(tmp_path / "clip.wav", render_song(bpm=100, key=Key(0, "major"), seconds=0.45,
                                                   sr=SR), SR)
    r = analyze_file(tmp_path / "clip.wav")
    assert r.status == "done" and r.loudness_lufs is not None and r.peak_dbfs is not None
    assert r.bpm is not None and r.bpm_weak_pulse and r.bpm_confidence <= 0.1
    assert r.bpm <= 240.0  # two beats of 0.45 s would be 267 BPM, faster than any tempo read
    assert r.key is None and [c.key for c in r.chunk_results] == [None]
    assert [c.bpm for c in r.chunk_results] == [r.bpm]
    assert r.note == ("under 1 s and no loop on a sixteenth grid: the tempo is a guess from it "
                      "played repeated; under 0.6 s: no key")


def _lone_hit(seconds: float, *, echo: float = 0.0) -> np.ndarray:
    """One snare-like hit 0.1 s into ``seconds`` of silence at :data:`SR` (a burst of noise
    decaying over 0.3 s), and ``echo`` times it 0.35 s later."""
    y = np.zeros(round(seconds * SR), dtype=np.float32)
    n = round(0.3 * SR)
    rng = np.random.default_rng(5)
    hit = 0.5 * rng.standard_normal(n) * np.exp(-np.arange(n) / (0.04 * SR))
    y[round(0.1 * SR) : round(0.1 * SR) + n] = hit
    y[round(0.45 * SR) : round(0.45 * SR) + n] += echo * hit
    return y


@pytest.mark.parametrize("echo", [0.0, 0.1])
def test_a_lone_hit_under_a_second_has_no_tempo(tmp_path, echo):
    """One snare hit in 0.8 s, alone or with a faint echo (a tenth of its level, 0.35 s
    later, as a one-shot's room gives): played repeated it beats at its own length, which
    is no pulse of the file."""
    write_audio(tmp_path / "hit.wav", _lone_hit(0.8, echo=echo), SR)
    r = analyze_file(tmp_path / "hit.wav")
    assert r.status == "done" and r.bpm is None and r.bpm_confidence is None
    assert r.note.startswith("under 1 s with fewer than two onsets: no tempo"), r.note


@pytest.mark.parametrize("wave", ["square", "sawtooth"])
def test_a_steady_tone_under_a_second_has_no_tempo(tmp_path, wave):
    """0.5 s of a naive square or sawtooth wave at 110 Hz: its flux flickers as its partials
    alias against the frames, which a guess counted as onsets (240 BPM for the square);
    over its own 0.5 s it is a steady sound."""
    t = np.arange(round(0.5 * SR)) / SR
    y = (np.sign(np.sin(2 * np.pi * 110 * t)) if wave == "square"
         else 2 * (110 * t % 1.0) - 1)
    write_audio(tmp_path / "tone.wav", (0.9 * y).astype(np.float32), SR)
    r = analyze_file(tmp_path / "tone.wav")
    assert r.bpm is None, r
    assert r.note.startswith("a steady sound without onsets (a test tone, hum or noise): no "
                             "tempo"), r.note


@pytest.mark.parametrize(("colour", "note"), [
    ("white", "a steady sound without onsets (a test tone, hum or noise): no tempo"),
    ("brown", "under 1 s with fewer than two onsets: no tempo"),
    ("smoothed", "under 1 s with fewer than two onsets: no tempo")])
def test_noise_under_a_second_has_no_tempo(tmp_path, colour, note):
    """0.8 s of noise: played repeated, its flux has peaks (brown and smoothed noise got a
    guessed 150 and 225 BPM from them), but none stands out of the noise as an onset does.
    White noise is as steady in its own 0.8 s as a test tone; brown noise wanders in level
    and centroid more than a steady sound."""
    rng = np.random.default_rng(3)
    n = round(0.8 * SR)
    y = {"white": 0.3 * rng.standard_normal(n),
         "brown": np.cumsum(rng.standard_normal(n)) / 300.0,
         "smoothed": 0.5 * np.convolve(rng.standard_normal(n), np.ones(8) / 8, "same")}[colour]
    write_audio(tmp_path / "noise.wav", y.astype(np.float32), SR)
    r = analyze_file(tmp_path / "noise.wav")
    assert r.bpm is None and r.note.startswith(note), r.note


@pytest.mark.parametrize(("shape", "hz", "seconds"), [
    ("hum", 50.0, 0.41), ("hum", 50.0, 0.47), ("hum", 60.0, 0.47), ("hum", 50.0, 0.95),
    ("sawtooth", 55.0, 0.8), ("square", 97.0, 1.0), ("square", 110.0, 1.05),
    ("sawtooth", 61.0, 1.05), ("hum", 60.0, 1.05), ("chord", 220.0, 1.05)])
def test_a_steady_tone_of_a_second_or_less_cut_anywhere_has_no_tempo(tmp_path, shape, hz,
                                                                     seconds):
    """Held tones cut at any length up to a little over a second: no tempo.  Under 1 s they
    were judged played repeated, where a cut that is no whole number of periods clicks at
    every seam (hum at 0.41 s got a guessed 73.6 BPM, at 0.47 s 129); from 1 s on their
    sounding part was too short to be judged at all, so the flicker of their partials was
    read as a pulse (a square wave of 97 Hz at 1.0 s: 122.8 BPM, a held chord at 1.05 s:
    187.4, neither flagged)."""
    write_audio(tmp_path / "tone.wav", _naive(shape, hz, seconds, SR), SR)
    r = analyze_file(tmp_path / "tone.wav")
    assert r.bpm is None and r.bpm_confidence is None, r
    assert r.note.startswith("a steady sound without onsets (a test tone, hum or noise): no "
                             "tempo"), r.note


@pytest.mark.parametrize("bpm", [130.0, 150.0, 190.0])
def test_a_loop_of_two_beats_under_a_second_gets_its_tempo(tmp_path, bpm):
    """Two beats cut from a bar's start (0.92, 0.80 and 0.63 s): too short for a reading of
    their own, read as a loop; a cut of the same length a sixteenth and a bit later is no
    loop on the grid: it gets the same two beats of its length, as a guess."""
    y = render_song(bpm=bpm, key=Key(9, "minor"), seconds=12.0, sr=SR, seed=2, style="electronic")
    start, n = round(16 * 60.0 / bpm * SR), round(2 * 60.0 / bpm * SR)
    write_audio(tmp_path / "loop.wav", y[start : start + n], SR)
    r = analyze_file(tmp_path / "loop.wav")
    assert r.bpm == pytest.approx(bpm, abs=0.01) and "tempo read as a loop of 2 beats" in r.note
    assert not r.bpm_weak_pulse and r.bpm_confidence > 0.5
    later = start + round(0.3 * 60.0 / bpm * SR)
    write_audio(tmp_path / "cut.wav", y[later : later + n], SR)
    r = analyze_file(tmp_path / "cut.wav")
    assert r.bpm == pytest.approx(bpm, abs=0.01) and r.bpm_weak_pulse and r.bpm_confidence <= 0.1
    assert "no loop on a sixteenth grid: the tempo is a guess" in r.note, r


@pytest.mark.parametrize(("style", "bpm", "beats"), [("shuffle", 150.0, 2), ("trap", 205.0, 2),
                                                     ("jazzwaltz", 200.0, 3)])
def test_a_swung_loop_under_a_second_gets_its_beats_as_a_guess(tmp_path, style, bpm, beats):
    """A shuffle's and a trap groove's half bar and a jazz waltz's bar, under a second: their
    notes are on triplets or off the sixteenths, so no loop on the grid, and they got no
    tempo; played repeated, their reading is an octave of two (three) beats of their length,
    which they are given, flagged weak."""
    song = render(style, bpm=bpm, key=Key(2, "major"), seed=4, seconds=10.0)
    beat = 60.0 / bpm
    start, n = round(8 * beat * song.sr), round(beats * beat * song.sr)
    write_audio(tmp_path / "loop.wav", song.audio[start : start + n], song.sr)
    r = analyze_file(tmp_path / "loop.wav")
    assert r.bpm == pytest.approx(bpm, rel=0.005), r
    assert r.bpm_weak_pulse and r.bpm_confidence <= 0.1
    assert "the tempo is a guess" in r.note, r.note


@pytest.mark.parametrize(("beats", "said"), [(2, "a loop of 1 beat"), (3, "a loop of 1.5 beats")])
def test_a_loop_moved_into_the_tempo_range_says_its_length_in_the_beats_shown(tmp_path, beats,
                                                                             said):
    """Two and three beats at 130 BPM (0.92 s, read as a loop too short for a reading of its
    own, and 1.38 s) with the range 60-120 BPM: 65 BPM, a loop of one beat and of one and a
    half at that tempo (the note said "1 beats" for both)."""
    y = render_song(bpm=130.0, key=Key(9, "minor"), seconds=12.0, sr=SR, seed=2,
                    style="electronic")
    start, n = round(16 * 60.0 / 130.0 * SR), round(beats * 60.0 / 130.0 * SR)
    write_audio(tmp_path / "loop.wav", y[start : start + n], SR)
    r = analyze_file(tmp_path / "loop.wav", settings=AnalysisSettings(tempo_floor_bpm=60.0))
    assert r.bpm == pytest.approx(65.0, abs=0.01)
    assert f"tempo read as {said}" in r.note.split("; "), r.note


def test_one_bar_loop_is_analyzed_with_its_tempo(tmp_path):
    """1.6 s: one bar at 150 BPM is long enough for every value, the tempo included."""
    y = render_song(bpm=150.0, key=Key(9, "minor"), seconds=8.0, sr=SR, seed=4)
    write_audio(tmp_path / "loop.wav", y[: int(SR * 1.6)], SR)
    r = analyze_file(tmp_path / "loop.wav")
    assert r.status == "done" and r.bpm is not None and abs(r.bpm - 150.0) <= 0.04 * 150.0
    assert r.loudness_lufs is not None and r.key is not None


@pytest.mark.parametrize(("bpm", "bars", "seed"),
                         [(86.0, 1, 1), (97.0, 1, 0), (139.0, 1, 0), (112.0, 2, 0)])
def test_a_clave_loop_is_read_as_a_loop(tmp_path, bpm, bars, seed):
    """A single pass of each of these loops reads at 2/3 or 4/3 of its beat (five hits a bar,
    spaced 3-3-4-2-4 sixteenths).  Repeated, the beat returns every loop length: the tempo
    is the loop's, to the hundredth, and the note says how it was read."""
    write_audio(tmp_path / "clave.wav", clave_loop(bpm, bars=bars, seed=seed), 22050)
    r = analyze_file(tmp_path / "clave.wav")
    assert r.bpm is not None and abs(r.bpm - bpm) <= 0.005 * bpm, r
    assert f"tempo read as a loop of {4 * bars} beats" in r.note
    assert [c.bpm for c in r.chunk_results] == [r.bpm]  # the one chunk says the same


@pytest.mark.parametrize(("style", "start", "seconds"),
                         [("rock", 9201, 2.403), ("ballad", 25918, 1.877)])
def test_a_cut_of_a_song_is_not_read_as_a_loop(tmp_path, style, start, seconds):
    """3.4 and 2.6 beats at 84 BPM.  Repeated, each cut beats at a whole count of its own
    length (4 beats: 99.9 and 127.9 BPM), which its single pass does not: the single reading
    stands."""
    y = render_song(bpm=84.0, key=Key(2, "major"), seconds=12.0, sr=22050, seed=3, style=style)
    write_audio(tmp_path / "cut.wav", y[start : start + int(seconds * 22050)], 22050)
    r = analyze_file(tmp_path / "cut.wav")
    assert abs(r.bpm - 84.0) <= 0.02 * 84.0 and "loop" not in r.note, r


def test_a_long_loop_is_read_once(tmp_path):
    """Past 20 s a file is a track, not a sample: no second reading (a 2-bar clave repeated
    six times, 25.7 s, reads right once)."""
    write_audio(tmp_path / "clave.wav", np.tile(clave_loop(112.0, bars=2), 6), 22050)
    r = analyze_file(tmp_path / "clave.wav")
    assert abs(r.bpm - 112.0) <= 0.01 * 112.0 and "loop" not in r.note, r


def _kick_and_snare(bpm, sr):
    """Two beats: an 808-style kick (a sine falling from 150 to 50 Hz) on the first, a noise
    snare on the second, silence between them."""
    beat = 60.0 / bpm
    y = np.zeros(round(2 * beat * sr))
    t = np.arange(round(0.12 * sr)) / sr
    kick = np.sin(2 * np.pi * (50 * t + 100 * (1 - np.exp(-30 * t)) / 30)) * np.exp(-25 * t)
    snare = 0.6 * np.random.default_rng(1).standard_normal(t.size) * np.exp(-30 * t)
    y[: t.size] += kick
    y[round(beat * sr) : round(beat * sr) + t.size] += snare
    return (0.5 * y).astype(np.float32)


@pytest.mark.parametrize("bpm", [70.0, 100.0, 110.0])
def test_a_kick_and_a_snare_of_a_second_or_more_get_their_two_beats_as_a_guess(tmp_path, bpm):
    """A loop of two beats with one kick and one snare (1.71, 1.2 and 1.09 s): two onsets,
    too few for a tempo of its own (it had none, and at 100 BPM its centroid, falling with
    the kick and then high in the snare, was read as a rising sweep, a test signal); played
    repeated, it beats at its two beats, which it gets as a guess."""
    write_audio(tmp_path / "loop.wav", _kick_and_snare(bpm, SR), SR)
    r = analyze_file(tmp_path / "loop.wav")
    assert r.bpm == pytest.approx(bpm, abs=0.01) and r.bpm_weak_pulse
    assert r.bpm_confidence <= 0.1 and [c.bpm for c in r.chunk_results] == [r.bpm]
    assert "too few onsets for a tempo of its own: the tempo is a guess" in r.note, r.note
    assert "sweep" not in r.note


@pytest.mark.parametrize(("floor", "stated"), [(60.0, 100.0), (110.0, 200.0)])
def test_a_guessed_tempo_is_stated_in_the_tempo_range(tmp_path, floor, stated):
    """The guess of a kick and a snare at 100 BPM is moved by octaves into a stated range
    (60-120 and 110-220 BPM), as any tempo is."""
    write_audio(tmp_path / "loop.wav", _kick_and_snare(100.0, SR), SR)
    r = analyze_file(tmp_path / "loop.wav", settings=AnalysisSettings(tempo_floor_bpm=floor))
    assert r.bpm == pytest.approx(stated, abs=0.01) and r.bpm_weak_pulse
    assert "the tempo is a guess" in r.note
