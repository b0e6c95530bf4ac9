"""A song's tempo is read where its pulse is: applause, crowd noise, silence or a noise floor
at either end of a recording is left out (:func:`core.analysis.tempo.pulse_bounds`)."""

from __future__ import annotations

import numpy as np
import pytest
import soxr

import core.analysis.tempo as tempo
from benchmarks.independent_synth import render
from benchmarks.synth import applause, click_track, silence
from core.analysis.analyze import analyze_file
from core.analysis.tempo import chunk_tempos, estimate_tempo, pulse_bounds, tame_end
from core.io.keynotation import Key
from tests.core.streams import SR, features_of


def _mono(style: str, bpm: float, seed: int, key: Key = Key(11, "minor")) -> np.ndarray:
    """A 30 s song of :mod:`benchmarks.independent_synth`, mono at :data:`SR`."""
    song = render(style, bpm=bpm, key=key, seed=seed, seconds=30.0)
    y = np.asarray(song.audio, dtype=np.float32)
    return soxr.resample(y.mean(axis=1), song.sr, SR).astype(np.float32)


def _live(y: np.ndarray, seed: int, before: float = 15.0, after: float = 8.0) -> np.ndarray:
    """``y`` between applause as loud as it (RMS)."""
    level = float(np.sqrt(np.mean(y**2)))
    return np.concatenate([applause(before, SR, seed=seed, level=level), y,
                           applause(after, SR, seed=seed + 50, level=level)])


def _bounds_s(y: np.ndarray) -> tuple[float, float, float]:
    fs = features_of(y, chunk_s=30.0)
    bands, fr = tame_end(fs.onset_bands), fs.frame_rate
    lo, hi = pulse_bounds(bands, fr, 0, bands.shape[1])
    return lo / fr, hi / fr, bands.shape[1] / fr


def _within(bpm, truth):
    return bpm is not None and abs(bpm / truth - 1.0) <= 0.04


def test_applause_around_a_click_track_is_left_out():
    y = _live(click_track(120.0, 30.0, SR), seed=0)
    lo, hi, n = _bounds_s(y)
    # the clicks run from 15 to 45 s; at most one window (6 s) of them is left out at each end
    assert 15.0 <= lo <= 17.0
    assert 43.0 <= hi <= 45.0
    assert n > 52.0


@pytest.mark.parametrize("bpm, seed", [(143.4, 2), (150.0, 4)])
def test_a_live_trap_song_keeps_its_tempo(bpm, seed):
    # Read with the applause, these songs were halved (71.7 and 75.0 BPM).
    y = _mono("trap", bpm, seed)
    assert _within(estimate_tempo(features_of(y, chunk_s=30.0)).bpm, bpm)
    assert _within(estimate_tempo(features_of(_live(y, seed), chunk_s=30.0)).bpm, bpm)


def test_a_live_song_through_the_whole_analysis(tmp_path):
    import soundfile as sf

    y = _live(_mono("trap", 143.4, 2), seed=2)
    path = tmp_path / "live.wav"
    sf.write(path, np.stack([y, y], axis=1), SR, subtype="FLOAT")
    result = analyze_file(str(path))
    assert _within(result.bpm, 143.4)


def test_more_applause_than_song_is_left_out_and_its_chunks_have_no_tempo():
    # 35 s of applause, 30 s of the song, 35 s of applause: the song holds under half of the
    # file's windows (not their median) but over a quarter of them
    y = _mono("trap", 143.4, 2)
    live = _live(y, seed=3, before=35.0, after=35.0)
    lo, hi, n = _bounds_s(live)
    end = 35.0 + len(y) / SR  # the render rings on 2.6 s after its 30 s
    assert 35.0 <= lo <= 37.0 and end - 7.0 <= hi <= end
    fs = features_of(live, chunk_s=30.0)
    song = estimate_tempo(fs)
    assert _within(song.bpm, 143.4)
    tempi = [t.bpm for t in chunk_tempos(fs, song=song)]
    # chunks 0-30 s and 90-102.6 s are applause alone; 30-60 s and 60-90 s hold the song
    assert tempi[0] is None and tempi[3] is None
    assert _within(tempi[1], 143.4) and _within(tempi[2], 143.4)


@pytest.mark.parametrize("style, bpm, seed", [("pop", 110.0, 5), ("piano", 95.0, 3)])
def test_a_song_with_a_pulse_throughout_is_kept_whole(style, bpm, seed):
    lo, hi, n = _bounds_s(_mono(style, bpm, seed, key=Key(6, "major")))
    assert lo == 0.0 and hi == n


def test_a_rubato_quartet_keeps_its_windows_but_its_last_chord():
    # its pulse is weak everywhere (a low median); the last chord, held and ringing out for
    # about five seconds after the 30 s of the piece, has no onsets
    lo, hi, n = _bounds_s(_mono("quartet", 76.0, 5, key=Key(6, "major")))
    assert lo == 0.0
    assert n - 7.5 <= hi <= n - 4.0


def test_silence_before_a_song_is_left_out():
    y = np.concatenate([silence(20.0, SR), _mono("pop", 110.0, 5, key=Key(6, "major"))])
    lo, hi, n = _bounds_s(y)
    assert 20.0 <= lo <= 22.0 and hi == n


def test_a_short_song_before_minutes_of_digital_silence_is_read_as_alone():
    """10 s of a song, then 200 s of digital silence: the song's windows are under a quarter
    of the file's, so the periodicity a quarter of them reach is the silence's, 0.  The
    song's own is that of the windows with onsets, and the silence is left out: the tempo
    and its confidence are those of the song alone (the whole file was kept, and the
    confidence fell from 0.92 to 0.78 on such a song)."""
    y = _mono("pop", 110.0, 5, key=Key(6, "major"))[: 10 * SR]
    fs = features_of(np.concatenate([y, silence(200.0, SR)]))
    bands, fr = tame_end(fs.onset_bands), fs.frame_rate
    lo, hi = pulse_bounds(bands, fr, 0, bands.shape[1])
    assert lo == 0 and 6.0 <= hi / fr <= 10.0 and bands.shape[1] / fr > 200.0
    alone = estimate_tempo(features_of(y))
    padded = estimate_tempo(fs)
    assert _within(padded.bpm, 110.0) and _within(alone.bpm, 110.0)
    assert padded.confidence == pytest.approx(alone.confidence, abs=0.03)


def test_a_span_under_sixteen_seconds_is_kept_whole():
    y = np.concatenate([applause(6.5, SR, seed=1, level=0.1), click_track(120.0, 9.0, SR)])
    lo, hi, n = _bounds_s(y)
    assert n < tempo._END_MIN_S
    assert (lo, hi) == (0.0, n)
    y = np.concatenate([applause(7.5, SR, seed=1, level=0.1), click_track(120.0, 9.0, SR)])
    lo, hi, n = _bounds_s(y)
    assert n >= tempo._END_MIN_S and lo >= 7.5


def test_noise_that_repeats_by_chance_in_one_window_does_not_end_the_stretch(monkeypatch):
    fr = 100.0
    n = int(60 * fr)
    bands = np.zeros((3, n))
    chance = int(4 * fr)  # the window from 4 s repeats as well as the song does

    def periodicity_of(window, frame_rate):
        start = int(window[0, 0])
        return 0.4 if start >= 20 * fr or start == chance else 0.05

    # every window is told by its first frame's value: its start
    bands[:] = np.arange(n)
    monkeypatch.setattr(tempo, "_window_periodicity", periodicity_of)
    lo, hi = pulse_bounds(bands, fr, 0, n)
    assert lo == int(20 * fr) + int(6 * fr) and hi == n
    monkeypatch.setattr(tempo, "_END_RUN", 1)
    assert pulse_bounds(bands, fr, 0, n)[0] == chance + int(6 * fr)


def test_the_limit_is_a_third_of_the_songs_pulse_and_at_most_0_15(monkeypatch):
    fr = 100.0
    n = int(60 * fr)
    bands = np.tile(np.arange(n, dtype=float), (3, 1))

    def periodicity_of(level_before):
        def f(window, frame_rate):
            return level_before if window[0, 0] < 20 * fr else 0.6
        return f

    # the song's windows reach 0.6: its ends need 0.15 (not 0.2, a third of it)
    monkeypatch.setattr(tempo, "_window_periodicity", periodicity_of(0.149))
    assert pulse_bounds(bands, fr, 0, n)[0] == int(26 * fr)
    monkeypatch.setattr(tempo, "_window_periodicity", periodicity_of(0.15))
    assert pulse_bounds(bands, fr, 0, n) == (0, n)


def test_the_songs_pulse_is_read_over_every_window_when_a_quarter_have_onsets(monkeypatch):
    # 60 s: no onsets for 24 s, then a weak pulse (0.09) to 42 s and a strong one (0.3).  Of
    # the ten windows side by side, four are silent: the pulse a quarter of them reach is
    # 0.2475, over all ten, and the limit a third of it, 0.0825; the weak pulse carries one.
    # Read over the six with onsets alone (0.3) the limit would be 0.1, and the weak pulse
    # would be left out with the silence.
    fr = 100.0
    n = int(60 * fr)
    bands = np.tile(np.arange(n, dtype=float), (3, 1))

    def periodicity_of(window, frame_rate):
        start = window[0, 0] / fr
        return 0.0 if start < 24 else 0.09 if start < 42 else 0.3

    monkeypatch.setattr(tempo, "_window_periodicity", periodicity_of)
    assert pulse_bounds(bands, fr, 0, n) == (int(30 * fr), n)


def test_a_single_run_off_the_grid_searched_back_from_the_end(monkeypatch):
    # The end is searched back from the last window, in steps that need not meet the run the
    # start found: 60.25 s at 100 frames/s puts the backward steps 0.25 s off the forward
    # ones.  Windows carry a pulse at 20, 22 and 24 s (one run) and at whole multiples of
    # 6 s from 30 s (side by side, none of them a run): the run ends at 24 s, and a pulse of
    # one run is too short to cut the file by, which is kept whole.
    fr = 100.0
    n = 6025
    bands = np.tile(np.arange(n, dtype=float), (3, 1))
    clear = {2000, 2200, 2400} | set(range(3000, n, 600))

    def periodicity_of(window, frame_rate):
        return 0.4 if int(window[0, 0]) in clear else 0.05

    monkeypatch.setattr(tempo, "_window_periodicity", periodicity_of)
    assert pulse_bounds(bands, fr, 0, n) == (0, n)
