"""A drum pattern under a held tone is a pulse, not a steady sound: the tone's level,
centroid and rise-to-fall ratio hardly move under a kick that sweeps through its partials
or a hi-hat that decays within a frame, yet their onsets stand far over its flicker."""

from __future__ import annotations

import numpy as np
import pytest

from core.analysis.analyze import _HITS_MIN, _regular_hits, analyze_file
from tests.audio_files import write_audio
from tests.core.test_analyze import _STEADY_NOTE, _naive
from tests.core.test_few_onsets import _kick

SR = 44100
FRAME_RATE = 22050 / 256


def _hat(sr: int = SR) -> np.ndarray:
    t = np.arange(int(0.05 * sr)) / sr
    noise = np.diff(np.r_[0.0, np.random.default_rng(6).standard_normal(t.size)])
    return noise * np.exp(-90.0 * t)


def _pattern(tone: np.ndarray, hit: np.ndarray, beats, *, bpm: float = 120.0,
             ratio: float = 1.0) -> np.ndarray:
    """``tone`` with ``hit`` (scaled to ``ratio`` times the tone's peak) at each beat of
    ``beats`` (a bar of four, repeated) from 1 s to 1 s before the end."""
    y = np.array(tone, dtype=np.float64)
    hit = ratio * float(np.abs(y).max()) * hit / float(np.abs(hit).max())
    beat = 60.0 / bpm
    bar = 0.0
    while True:
        starts = [1.0 + bar + b * beat for b in beats]
        if starts[-1] * SR + hit.size > y.size - SR:
            break
        for s in starts:
            y[int(s * SR):int(s * SR) + hit.size] += hit
        bar += 4 * beat
    return y / max(1.0, float(np.abs(y).max()) / 0.9)


def _sine(hz: float, seconds: float = 30.0) -> np.ndarray:
    return 0.5 * np.sin(2 * np.pi * hz * np.arange(int(seconds * SR)) / SR)


@pytest.mark.parametrize(("tone", "hit", "ratio"), [
    ("sine 110", "kick", 1.0),       # read as a steady sound without onsets before
    ("sine 110", "kick", 0.2),
    ("square 110", "kick", 0.5),
    ("sawtooth 110", "kick", 0.5),
    ("clipped sine 110", "kick", 0.25),
    ("clipped sine 3000", "hat", 0.25),
    ("sine 8000", "hat", 0.5),
])
def test_a_beat_on_a_held_tone_gets_its_tempo(tmp_path, tone, hit, ratio):
    shape, hz = tone.rsplit(" ", 1)
    held = _sine(float(hz)) if shape == "sine" else _naive(shape, float(hz), 30.0, SR)
    y = _pattern(held, _kick() if hit == "kick" else _hat(), (0, 1, 2, 3), ratio=ratio)
    write_audio(tmp_path / "beat.wav", y, SR, subtype="FLOAT")
    r = analyze_file(tmp_path / "beat.wav")
    assert r.bpm == pytest.approx(120.0, rel=0.02), (r.bpm, r.note)
    assert _STEADY_NOTE not in r.note and "too few onsets" not in r.note


def test_a_syncopated_kick_on_a_held_sine_gets_a_tempo_of_its_beat(tmp_path):
    """Kicks on 1, 2-and, 3 and 4 are 1.5, 0.5, 1 and 1 beats apart: on a grid of half
    their median interval."""
    y = _pattern(_sine(110.0), _kick(), (0, 1.5, 2, 3), bpm=100.0)
    write_audio(tmp_path / "groove.wav", y, SR, subtype="FLOAT")
    r = analyze_file(tmp_path / "groove.wav")
    assert r.bpm is not None and any(r.bpm == pytest.approx(100.0 * f, rel=0.02)
                                     for f in (0.5, 1.0, 2.0)), (r.bpm, r.note)


@pytest.mark.parametrize(("shape", "hz", "sr", "seconds"), [
    ("sawtooth", 441.0, 44100, 30.0), ("square", 1000.0, 48000, 30.0),
    ("square", 3000.0, 44100, 30.0), ("sawtooth", 1000.0, 48000, 20.0),
    ("square", 8000.0, 48000, 3.0)])
def test_a_tone_that_changes_where_the_step_of_its_time_doubles_stays_steady(
        tmp_path, shape, hz, sr, seconds):
    """A naive tone whose period is a whole number of samples, computed from ``t = n / sr``,
    changes by a sample near 0.5, 1, 2, 4, 8 and 16 s: bursts of onsets over its flicker,
    in a few windows of the file and on no grid, which are no drum pattern; in a short file
    they can cover every window, but there are fewer than eight of them."""
    write_audio(tmp_path / "tone.wav", _naive(shape, hz, seconds, sr), sr)
    r = analyze_file(tmp_path / "tone.wav")
    assert r.bpm is None and r.note.startswith(_STEADY_NOTE), (r.bpm, r.note)


def test_kicks_far_under_a_held_square_at_an_uneven_pace_are_no_steady_sound(tmp_path):
    """Kicks 36 dB under a naive square wave, 0.3 to 0.7 s apart at random: on no grid, yet
    each rises in its band faster than it falls, so the file is read for a tempo."""
    from tests.core.test_analyze import _quiet_kicks

    sr, seconds = 44100, 20.0
    kick = _quiet_kicks(60.0, 1.0, sr, -36.0)[int(0.3 * sr):int(0.5 * sr)]  # one kick
    y = _naive("square", 440.0, seconds, sr).astype(np.float64)
    rng = np.random.default_rng(2)
    at = 0.3
    while at < seconds - 0.5:
        y[int(at * sr):int(at * sr) + kick.size] += kick
        at += rng.uniform(0.3, 0.7)
    write_audio(tmp_path / "uneven.wav", 0.5 * y / np.max(np.abs(y)), sr)
    r = analyze_file(tmp_path / "uneven.wav")
    assert r.bpm is not None and _STEADY_NOTE not in r.note, (r.bpm, r.note)


def test_chords_cross_fading_at_an_uneven_pace_are_no_steady_sound(tmp_path):
    """Chords fading into each other at an even power, 0.6 to 1.4 s apart at random: no
    grid and no sharp rise, but the centroid moves (by more than 0.3 octave)."""
    sr, seconds, fade = 44100, 20.0, 0.05
    t = np.arange(int(seconds * sr)) / sr
    rng = np.random.default_rng(4)
    changes = np.cumsum(rng.uniform(0.6, 1.4, 40))
    changes = np.r_[0.0, changes[changes < seconds]]
    y = np.zeros_like(t)
    ends = np.r_[changes[1:], seconds + 1.0]
    for i, (a, b) in enumerate(zip(changes, ends, strict=True)):
        chord = [(0, 4, 7), (9, 12, 16), (5, 9, 12), (7, 11, 14)][i % 4]
        env = np.sqrt(np.clip((t - a + fade) / (2 * fade), 0, 1)
                      * np.clip((b + fade - t) / (2 * fade), 0, 1))
        for n in chord:
            for k in range(1, 5):
                y += env * np.sin(2 * np.pi * 220 * 2 ** (n / 12) * k * t + k * n) / k
    write_audio(tmp_path / "chords.wav", 0.5 * y / np.max(np.abs(y)), sr)
    r = analyze_file(tmp_path / "chords.wav")
    assert r.bpm is not None and _STEADY_NOTE not in r.note, (r.bpm, r.note)


def _train(at_s, *, seconds: float = 30.0, flicker: float = 0.1, height: float = 1.0,
           seed: int = 0) -> np.ndarray:
    """An onset band: a flicker of up to ``flicker`` and a sharp rise at each time of
    ``at_s`` (s)."""
    n = int(seconds * FRAME_RATE)
    x = flicker * np.random.default_rng(seed).random(n)
    for t in at_s:
        x[int(round(t * FRAME_RATE))] = height
    return x


def test_a_regular_train_of_hits_is_found_and_what_is_not_a_pattern_is_not():
    beats = np.arange(1.0, 29.0, 0.5)
    assert _regular_hits(_train(beats), FRAME_RATE)
    # syncopated: on a grid of half the median interval
    bars = np.arange(1.0, 28.0, 2.0)
    assert _regular_hits(_train(np.concatenate([bars, bars + 0.75, bars + 1.0, bars + 1.5])),
                         FRAME_RATE)
    # too few; hits no higher than three times the flicker's 90th percentile
    assert not _regular_hits(_train(beats[:_HITS_MIN - 1]), FRAME_RATE)
    assert not _regular_hits(_train(beats, flicker=1.0, height=2.5), FRAME_RATE)
    # in the first half of the file only: a quarter of its windows hold none
    assert not _regular_hits(_train(beats[beats < 15.0]), FRAME_RATE)
    assert _regular_hits(_train(beats[beats < 24.0]), FRAME_RATE)
    # bursts where a naive tone's time step doubles
    bursts = [b + 0.07 * k for b in (0.5, 1.0, 2.0, 4.0, 8.0, 16.0) for k in range(6)]
    assert not _regular_hits(_train(bursts), FRAME_RATE)
    # spread over the whole file but on no grid
    loose = np.sort(np.random.default_rng(3).uniform(1.0, 29.0, 56))
    assert not _regular_hits(_train(loose), FRAME_RATE)


def test_the_benchmark_builds_its_tones_and_patterns_as_it_says():
    from benchmarks import held_tones

    assert len(held_tones.TONES) == 106 and len(held_tones.TONES[::3]) * 9 == 324
    tone = held_tones.signal("sine", 110.0, 44100)
    beat = held_tones.signal("sine", 110.0, 44100, "kick", 1.0)
    assert tone.size == beat.size == 30 * 44100 and np.abs(beat).max() <= 0.9 + 1e-6
    # the kicks fall on every beat at 120 BPM, from 1 s on
    a, b = tone.astype(np.float64), beat.astype(np.float64)
    scale = float(b[:44100] @ a[:44100] / (a[:44100] @ a[:44100]))  # the peak normalised
    extra = np.abs(b - scale * a)
    assert extra[:44100].max() < 1e-5 and extra[44100:44100 + 100].max() > 0.01
    assert extra[66150:66150 + 100].max() > 0.01  # 1.5 s
    assert held_tones._steady(tone, 44100) and not held_tones._steady(beat, 44100)
    # the sweep: three naive shapes at 48 pitches an eighth of an octave apart, 16-bit
    assert len(held_tones.SWEEP) == 144 and held_tones.SWEEP[0] == ("square", 40.0)
    assert held_tones.SWEEP[47][1] == pytest.approx(40.0 * 2.0 ** (47 / 8))
    square = held_tones.sweep_tone("square", 40.0).astype(np.float64)
    assert square.size == 30 * 44100 and np.allclose(np.abs(square), 16384 / 32767)
    # a slow pattern: one hit every 1.5 s from 1 s on
    slow = held_tones.signal("sine", 110.0, 44100, "kick", 0.5, gap=1.5).astype(np.float64)
    extra = np.abs(slow - float(slow[:44100] @ a[:44100] / (a[:44100] @ a[:44100])) * a)
    assert extra[44100:44100 + 100].max() > 0.01 and extra[110250:110250 + 100].max() > 0.01
    assert extra[66150:66150 + 2000].max() < 0.01  # nothing at 1.5 s past the start


# -- the rules on envelopes made by hand -------------------------------------------------------

def _hits_at(frames, *, n: int = 2600, flicker: float = 0.125, heights=None) -> np.ndarray:
    """An onset band of ``n`` frames at a flat ``flicker`` with a hit (height 1, or the
    matching one of ``heights``) at each frame of ``frames``."""
    x = np.full(n, flicker)
    for i, f in enumerate(frames):
        x[f] = 1.0 if heights is None else heights[i]
    return x


def _every(gap: int, count: int, first: int = 40) -> list[int]:
    return [first + gap * i for i in range(count)]


def test_a_train_is_counted_from_its_eighth_hit_at_a_quarter_and_three_times_the_flicker():
    assert _regular_hits(_hits_at(_every(300, 8)), FRAME_RATE)  # eight: a train
    assert not _regular_hits(_hits_at(_every(300, 7)), FRAME_RATE)
    # the eighth hit at exactly a quarter of the strongest, and at exactly three times the
    # flicker (0.375 = 3 x 0.125): each still counts
    assert _regular_hits(_hits_at(_every(300, 8), heights=[1.0] * 7 + [0.25],
                                  flicker=0.05), FRAME_RATE)
    assert _regular_hits(_hits_at(_every(300, 8), heights=[1.0] * 7 + [0.375]), FRAME_RATE)
    assert not _regular_hits(_hits_at(_every(300, 8), heights=[1.0] * 7 + [0.37]), FRAME_RATE)


@pytest.mark.parametrize(("before", "fall", "train"), [
    (1, 0.7, False), (3, 0.7, False), (1, 0.69, True), (4, 0.7, True), (0, 0.7, True)])
def test_a_hit_that_rises_out_of_a_fall_just_before_it_is_no_hit(before, fall, train):
    """A partial's beat dips and rises; a hit rises from where the band was.  The eighth hit
    with a fall of 0.7 of its rise 1 to 3 frames before it is no hit (seven are left); a
    fall of 0.69 of it, one 4 frames before, or one in its own frame, leaves it a hit."""
    frames = _every(300, 8)
    rises = _hits_at(frames)
    falls = np.full(rises.size, 0.125 * 0.5)
    falls[frames[-1] - before] = fall
    assert _regular_hits(rises, FRAME_RATE, falls=falls) is train
    assert _regular_hits(rises, FRAME_RATE)  # without the falls every onset is a hit


def test_a_naive_square_wave_whose_aliases_beat_in_a_train_has_no_tempo(tmp_path):
    """A naive square wave of 40 * 2 ** (1 / 4) Hz (47.6 Hz) at 44.1 kHz: its aliases beat
    against its partials 144 times in 30 s on a grid of 0.2 s, each a dip and a rise in the
    cymbal band; taken for hits, they gave it 84.0 BPM."""
    sr = 44100
    t = np.arange(30 * sr) / sr
    y = 0.5 * np.where((40.0 * 2.0 ** 0.25 * t) % 1.0 < 0.5, 1.0, -1.0)
    write_audio(tmp_path / "square.wav", y.astype(np.float32), sr)
    r = analyze_file(tmp_path / "square.wav")
    assert r.bpm is None, r
    assert r.note.startswith("a steady sound without onsets"), r.note


def test_the_flicker_is_the_bands_90th_percentile():
    """With a tenth of the frames a little higher (0.2) the 90th percentile is still the
    flat flicker, so a hit of three times it counts; from the 91st on it would not."""
    x = _hits_at(_every(300, 8), heights=[1.0] * 7 + [0.375])
    rest = np.setdiff1d(np.arange(x.size), _every(300, 8))
    x[rest[-int(0.095 * x.size):]] = 0.2
    assert np.percentile(x, 90) == 0.125 and np.percentile(x, 91) == 0.2
    assert _regular_hits(x, FRAME_RATE)


def test_a_short_file_is_one_window():
    """Under 4 s there is one window, which the hits cover."""
    assert _regular_hits(_hits_at(_every(25, 10, first=10), n=300), FRAME_RATE)


def test_the_grid_takes_gaps_up_to_eight_halves_of_the_median_within_ten_percent():
    # 9 hits, 8 gaps: six of 20 frames (half: 10), two that decide whether 3 of 4 are on it;
    # in one window of 340 frames, or over both of 600
    def train(gaps):
        long = max(gaps) > 40
        return _hits_at(np.cumsum([150 if long else 40, *gaps]).tolist(),
                        n=600 if long else 340)

    assert _regular_hits(train([20] * 6 + [22] * 3), FRAME_RATE)  # 2 halves, 10 % off
    assert _regular_hits(train([20] * 6 + [11] * 3), FRAME_RATE)  # 1 half, 10 % off
    assert not _regular_hits(train([20] * 5 + [23, 23, 23]), FRAME_RATE)  # 15 % off: 5 of 8
    assert _regular_hits(train([20] * 6 + [23, 23]), FRAME_RATE)   # exactly 3 of 4 on it
    # 90 frames is 9 halves, past the eighth: off the grid (6 of 9 on it); 80 is on it
    assert not _regular_hits(train([20] * 6 + [90] * 3), FRAME_RATE)
    assert _regular_hits(train([20] * 6 + [80] * 3), FRAME_RATE)


class _Feats:
    """What the steady-sound rule reads of a FeatureStream."""

    def __init__(self, rms, *, rises=None, falls=None, centroid=None, chroma=None):
        n = len(rms)
        self.frame_rate = FRAME_RATE
        self.pitch_frame_rate = FRAME_RATE / 8  # the pitch grid's hop is 8 onset frames
        held = np.tile(np.array([1.0, 0, 0, 0, 1.0, 0, 0, 1.0, 0, 0, 0, 0])[:, None],
                       (1, n // 8 + 1))  # a C major triad held
        self.chroma = held if chroma is None else np.asarray(chroma, dtype=np.float64)
        self.rms = np.asarray(rms, dtype=np.float64)
        flat = np.full((3, n), 0.125)
        self.onset_bands = flat if rises is None else np.asarray(rises, dtype=np.float64)
        self.decay_bands = flat if falls is None else np.asarray(falls, dtype=np.float64)
        self.centroid_hz = np.full(n, 1000.0) if centroid is None else np.asarray(centroid)


def test_the_sounding_part_of_silence_is_none_and_of_a_sound_its_frames_less_its_edges():
    from core.analysis.analyze import _sounding_level

    assert _sounding_level(_Feats(np.zeros(500))) is None
    # frames at exactly a millionth of the 90th percentile's power are not sounding
    rms = np.r_[np.zeros(10), np.full(5, 0.001), np.ones(600), np.full(5, 0.001), np.zeros(10)]
    start, stop, width, level = _sounding_level(_Feats(rms))
    assert (start, stop, width) == (15 + 4, 615 - 4, 9)
    assert level.size == stop - start - width + 1 and np.allclose(level, 0.0)
    rms[14] = rms[615] = 0.0011  # now they are
    assert _sounding_level(_Feats(rms))[:2] == (14 + 4, 616 - 4)
    # a level of a tenth of the amplitude is -20 dB
    assert np.allclose(_sounding_level(_Feats(np.full(300, 0.1)))[3], -20.0)


def test_a_sounding_part_under_two_level_windows_is_judged_no_steady_sound():
    """Two windows of the level (0.1 s each, 9 frames) past the edges are judged, one frame
    less is not (a second of frames was the limit: steady tones of 1.0-1.1 s got a tempo)."""
    from core.analysis.analyze import _is_steady, _sounding_level

    assert _sounding_level(_Feats(np.ones(2 * 9 + 8))) is not None
    assert _sounding_level(_Feats(np.ones(2 * 9 + 7))) is None
    # a flat level and centroid: steady when judged, and a sound too short to judge is not
    assert _is_steady(_Feats(np.ones(2 * 9 + 8))) is True
    assert _is_steady(_Feats(np.ones(2 * 9 + 7))) is False


def test_a_band_below_its_share_is_not_judged_and_one_at_it_is():
    """A band that carries less than 0.5 % of the strongest band's flux is left out, even
    if its rises outdo its falls; at 0.5 % it counts (twice: no steady sound)."""
    from core.analysis.analyze import _is_steady

    n = 648  # judged: frames 4 to 644
    rises = np.full((3, n), 0.3125)  # 200 in all there
    falls = np.full((3, n), 0.3125)
    rises[2] = falls[2] = 0.0
    rises[2, 40::80] = 0.125  # 1.0 in all: 0.5 % of 200
    falls[2, 80::80] = 0.0625
    assert rises[2, 4:644].sum() == 0.005 * rises[0, 4:644].sum()
    assert not _is_steady(_Feats(np.ones(n), rises=rises, falls=falls))
    rises[2, 40::80] = 0.12
    assert _is_steady(_Feats(np.ones(n), rises=rises, falls=falls))


def test_rises_of_exactly_1_3_times_the_falls_are_no_steady_sound():
    from core.analysis.analyze import _is_steady

    n = 600
    rises = np.full((3, n), 0.125)
    falls = np.full((3, n), 0.125)
    rises[1] = 1.3 * falls[1]
    assert not _is_steady(_Feats(np.ones(n), rises=rises, falls=falls))
    rises[1] = 1.29 * falls[1]
    assert _is_steady(_Feats(np.ones(n), rises=rises, falls=falls))


@pytest.mark.parametrize(("frames", "steady"), [(86 + 8 - 1, False), (86 + 8, True)])
def test_a_part_under_a_second_is_steady_within_one_db(frames, steady):
    """A level that steps by 1.2 dB halfway (at least a tenth of the frames on each side):
    over a sounding part of a second or more (86 frames past the edges) it is within the
    1.5 dB of a steady sound; over a frame less, the 1.0 dB of a part under a second is
    passed (a sub-second cut of a loud mix can be as even as that)."""
    from core.analysis.analyze import _is_steady

    rms = np.ones(frames)
    rms[frames // 2:] = 10.0 ** (1.2 / 20.0)
    assert _is_steady(_Feats(rms)) is steady


def test_a_centroid_under_one_hz_is_read_as_one_hz():
    """The centroid is read in octaves from 1 Hz up (a frame of DC alone has a centroid of
    0 Hz): frames at 0 and 1.5 Hz are 0.58 octave apart, so the sound is not steady."""
    from core.analysis.analyze import _is_steady

    n = 600
    assert _is_steady(_Feats(np.ones(n), centroid=np.full(n, 0.0)))
    assert not _is_steady(_Feats(np.ones(n), centroid=np.r_[np.zeros(n // 2),
                                                             np.full(n // 2, 1.5)]))


def test_a_hit_loud_over_a_single_window_of_the_level_is_one():
    """Nine frames at 4.2 times the sound's power: only the 0.1 s window over all nine
    rises 6 dB over the 95th percentile (6.2 dB; over eight of them, 5.8 dB), and the
    clear onset at their start is a hit."""
    from core.analysis.analyze import _hits

    n = 600
    rms = np.ones(n)
    rms[300:309] = np.sqrt(4.2)
    rises = np.full((3, n), 0.125)
    rises[0, 300] = 1.0
    assert _hits(_Feats(rms, rises=rises)).tolist() == [300]
    rms[300:309] = np.sqrt(3.9)  # 5.9 dB
    assert _hits(_Feats(rms, rises=rises)).tolist() == []


@pytest.mark.parametrize(("what", "side"), [("level", 1), ("level", -1),
                                           ("centroid", 1), ("centroid", -1)])
def test_the_spread_is_read_from_the_5th_to_the_95th_percentile(what, side):
    """Frames 2 dB louder or quieter than the rest (or half an octave higher or lower): 90
    of 2000 louder (higher) move the 96th percentile past the limit, not the 95th, so the
    sound is steady; 109 quieter (lower) move the 5th percentile past it, not the 6th, so it
    is not."""
    from core.analysis.analyze import _is_steady, _sounding_level

    n = 2008
    rms, centroid = np.ones(n), np.full(n, 1000.0)
    block = slice(1000, 1090 if side > 0 else 1109)
    if what == "level":
        rms[block] = 10 ** (side * 2.0 / 20)
    else:
        centroid[block] = 1000.0 * 2 ** (side * 0.5)
    feats = _Feats(rms, centroid=centroid)
    start, stop, width, level = _sounding_level(feats)
    values = level if what == "level" else np.convolve(
        np.log2(centroid[start:stop]), np.ones(width) / width, "valid")
    limit = 1.5 if what == "level" else 0.3
    spread = np.ptp(np.percentile(values, (5, 95)))
    if side > 0:
        assert spread < limit <= np.ptp(np.percentile(values, (5, 96)))
        assert _is_steady(feats)
    else:
        assert np.ptp(np.percentile(values, (6, 95))) < limit <= spread
        assert not _is_steady(feats)


def test_the_sounding_part_starts_over_a_millionth_of_the_90th_percentile_of_power():
    """Frames at 2e-6 of the body's usual power sound: over a millionth of the 90th
    percentile (1), not of the 91st (4, as a tenth of the body is louder)."""
    from core.analysis.analyze import _sounding_level

    body = np.ones(1000)
    body[::10] = 2.0  # a tenth, at power 4
    edge = np.full(5, np.sqrt(2e-6))
    rms = np.r_[np.zeros(10), edge, body, edge, np.zeros(10)]
    power = np.square(rms)
    assert np.percentile(power, 90) == 1.0 and np.percentile(power, 91) == 4.0
    assert _sounding_level(_Feats(rms))[:2] == (10 + 4, 1020 - 4)


def test_a_hit_is_6_db_over_the_95th_percentile_of_the_level():
    """70 frames of 2000 at +2 dB and the hit's own leave the 95th percentile of the level
    at 0 dB (the 96th near 2): a hit at 7 dB is 6 dB over the one."""
    from core.analysis.analyze import _hits, _sounding_level

    n = 2008
    rms = np.ones(n)
    rms[1000:1070] = 10 ** (2.0 / 20)
    rms[500:509] = 10 ** (7.0 / 20)
    rises = np.full((3, n), 0.125)
    rises[0, 500] = 1.0
    level = _sounding_level(_Feats(rms))[3]
    assert abs(np.percentile(level, 95)) < 1e-9 and np.percentile(level, 96) > 1.0
    assert _hits(_Feats(rms, rises=rises)).tolist() == [500]


#: Pitch-class shares of four chords in one register: C, A minor, F and G major.
_CHORDS = np.array([[1, 0, 0, 0, 1, 0, 0, 1, 0, 0, 0, 0], [1, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0],
                    [1, 0, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0], [0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 1]],
                   dtype=np.float64)
_WINDOW = 11  # frames of the pitch grid in a window of a second (10.8 frames)


def _changing(windows: int, *, floor=None) -> np.ndarray:
    """A chroma array whose chord changes every second (C, Am, F, G, ...), each window
    with ``floor[i]`` added to every pitch class."""
    shares = _CHORDS[np.arange(windows) % 4].T
    if floor is not None:
        shares = shares + np.asarray(floor, dtype=np.float64)[None, :]
    return np.repeat(shares, _WINDOW, axis=1)


def _feats_of(chroma: np.ndarray, *, centroid: float = 1000.0) -> _Feats:
    n = chroma.shape[1] * 8 + 16  # 8 onset frames a pitch frame; the edges are left out
    chroma = np.c_[np.ones((12, 1)), chroma, np.ones((12, 2))]  # frames under the edges
    return _Feats(np.ones(n), centroid=np.full(n, centroid), chroma=chroma)


def test_changing_chords_move_the_pitch_classes_and_a_held_chord_does_not():
    from core.analysis.analyze import _is_steady, _pitch_moves

    moving = _feats_of(_changing(12))
    assert _pitch_moves(moving, 4, moving.rms.size - 4)
    assert not _is_steady(moving)  # flat level, centroid and bands: the chords alone
    held = _feats_of(np.repeat(_CHORDS[:1].T, 12 * _WINDOW, axis=1))
    assert not _pitch_moves(held, 4, held.rms.size - 4) and _is_steady(held)


def test_pitch_classes_are_read_only_where_the_centroid_lies_in_the_pitch_range():
    """Naive tones of 3 kHz and more hold only aliases in the pitch range, which move: a
    median centroid at C7 (2093 Hz) or above leaves the pitch classes unread."""
    from core.analysis.analyze import _pitch_moves

    assert _pitch_moves(_feats_of(_changing(12), centroid=2092.0), 4, 12 * _WINDOW * 8 + 12)
    high = _feats_of(_changing(12), centroid=2093.0)
    assert not _pitch_moves(high, 4, high.rms.size - 4)


def test_a_floor_that_swells_under_held_pitch_classes_is_no_move():
    """A held chord over a floor that rises and falls in every pitch class alike (the
    clicks of a naive tone): the shares lie far from their mean (0.30 of the energy), but
    every window correlates with it (1.0)."""
    from core.analysis.analyze import _pitch_moves

    floor = np.tile([0.0, 1.0], 6)
    chroma = np.repeat(_CHORDS[:1].T, 12, axis=1) + floor[None, :]
    feats = _feats_of(np.repeat(chroma, _WINDOW, axis=1))
    assert not _pitch_moves(feats, 4, feats.rms.size - 4)


def test_noise_whose_shares_flicker_by_a_few_percent_is_no_move():
    """Noise: shares within 5 % of even, in no order (correlations of -0.38 to 0.64 with
    their mean), lie 0.011 of the energy from it (the median window), under 0.03; within
    20 %, 0.048 from it: a move."""
    from core.analysis.analyze import _pitch_moves

    rng = np.random.default_rng(3)
    for spread, moves in ((0.05, False), (0.2, True)):
        shares = 1.0 + spread * rng.uniform(-1, 1, (12, 20))
        feats = _feats_of(np.repeat(shares, _WINDOW, axis=1))
        assert _pitch_moves(feats, 4, feats.rms.size - 4) is moves, spread


def test_pauses_are_left_out():
    """Windows of under a tenth of the median window's pitch energy are pauses: a held
    chord with pauses between does not move; nor do four changing chords with one of them
    in a pause."""
    from core.analysis.analyze import _pitch_moves

    chroma = np.repeat(_CHORDS[:1].T, 12, axis=1)
    chroma[:, 1::3] *= 0.09
    paused = _feats_of(np.repeat(chroma, _WINDOW, axis=1))
    assert not _pitch_moves(paused, 4, paused.rms.size - 4)
    four = _changing(4)
    assert _pitch_moves(_feats_of(four), 4, four.shape[1] * 8 + 12)
    four[:, 3 * _WINDOW:] *= 0.09
    assert not _pitch_moves(_feats_of(four), 4, four.shape[1] * 8 + 12)


def test_a_part_too_short_for_four_windows_is_read_in_four_shorter_ones():
    """Three chords of a second: four windows of 8 frames, under a limit of 0.03 times the
    square root of 11/8; 7 frames are too few for four windows of two."""
    from core.analysis.analyze import _pitch_moves, pitch_motion

    three = _feats_of(_changing(3))
    apart, r, limit = pitch_motion(three, 4, 3 * _WINDOW * 8 + 12)
    assert apart.size == 4 and limit == pytest.approx(0.03 * np.sqrt(11 / 8))
    assert _pitch_moves(three, 4, 3 * _WINDOW * 8 + 12)
    brief = _feats_of(np.repeat(_CHORDS.T, 2, axis=1)[:, :8])
    assert pitch_motion(brief, 4, 8 * 8 + 12) is not None
    brief = _feats_of(np.repeat(_CHORDS.T, 2, axis=1)[:, :7])
    assert pitch_motion(brief, 4, 7 * 8 + 12) is None
    assert not _pitch_moves(brief, 4, 7 * 8 + 12)


def test_noise_in_shorter_windows_is_held_to_a_higher_share_limit():
    """Noise read in windows of 5 frames (a part of about 2 s) flickers more than in
    windows of a second: shares within 16 % of even lie 0.034 from their mean (the median
    window), over the 0.03 of a second's windows but under this length's limit (0.044)."""
    from core.analysis.analyze import _pitch_moves, pitch_motion

    rng = np.random.default_rng(4)
    shares = 1.0 + 0.16 * rng.uniform(-1, 1, (12, 4))
    feats = _feats_of(np.repeat(shares, 5, axis=1))
    apart, r, limit = pitch_motion(feats, 4, 20 * 8 + 12)
    assert 0.03 < np.median(apart) < limit == pytest.approx(0.03 * np.sqrt(11 / 5))
    assert np.percentile(r, 10) <= 0.95  # the correlation alone would call it a move
    assert not _pitch_moves(feats, 4, 20 * 8 + 12)


def _squeezed_chords(bpm: float, seconds: float) -> np.ndarray:
    """Chords in one register (C, Am/C, F/C, G/B, three partials a note) changing every two
    beats, each fading into the next over 0.3 s, through an ideal compressor that holds
    every 50 ms at one level: no attack, no change of level, a centroid that stays put."""
    t = np.arange(int(seconds * SR)) / SR
    chords = [(60, 64, 67), (60, 64, 69), (60, 65, 69), (59, 62, 67)]
    y, fade, span = np.zeros_like(t), 0.15, 120.0 / bpm
    for i in range(int(np.ceil(seconds / span)) + 1):
        a, b = i * span, (i + 1) * span
        env = np.sqrt(np.clip((t - a + fade) / (2 * fade), 0, 1)
                      * np.clip((b + fade - t) / (2 * fade), 0, 1))
        for m in chords[i % 4]:
            for k in range(1, 4):
                y += env * np.sin(2 * np.pi * 440.0 * 2 ** ((m - 69) / 12) * k * t + k * m) / k
    win = int(0.05 * SR)
    y /= np.sqrt(np.maximum(np.convolve(y * y, np.ones(win) / win, "same"), 1e-9))
    return 0.3 * y / np.max(np.abs(y))


def test_chords_under_a_compressor_are_no_steady_sound(tmp_path, monkeypatch):
    """Level (0.3 dB), centroid (0.18 octave) and bands (rises 1.0-1.05 times the falls)
    say steady; the chords changing under them give the file its tempo (their pace, half
    the beat), as a synthesizer tune with a pad pumped by a compressor got none."""
    import core.analysis.analyze as analyze

    write_audio(tmp_path / "squeezed.wav", _squeezed_chords(96.0, 20.0), SR)
    r = analyze_file(tmp_path / "squeezed.wav")
    assert r.bpm is not None and "steady" not in r.note and "onsets" not in r.note, r
    assert any(abs(r.bpm - 96.0 * f) <= 0.04 * 96.0 * f for f in (0.5, 1.0, 2.0)), r.bpm
    monkeypatch.setattr(analyze, "_PITCH_SHARE", np.inf)  # the pitch classes unread
    r = analyze_file(tmp_path / "squeezed.wav")
    assert r.bpm is None and r.note.startswith(_STEADY_NOTE), r


@pytest.mark.parametrize("seconds", [2.0, 3.0, 4.0])
def test_a_few_seconds_of_chords_under_a_compressor_are_no_steady_sound(tmp_path, monkeypatch,
                                                                       seconds):
    """The chords under a compressor cut to 2-4 s, too short for four windows of a second:
    read in four shorter windows, their chords change and they get a tempo; read in windows
    of a second alone, they were a steady sound without onsets."""
    import core.analysis.analyze as analyze

    write_audio(tmp_path / "squeezed.wav", _squeezed_chords(96.0, seconds), SR)
    r = analyze_file(tmp_path / "squeezed.wav")
    assert r.bpm is not None and "steady" not in r.note, r
    monkeypatch.setattr(analyze, "_PITCH_MIN_FRAMES", 11)  # windows of a second only
    r = analyze_file(tmp_path / "squeezed.wav")
    assert r.bpm is None and r.note.startswith(_STEADY_NOTE), r
