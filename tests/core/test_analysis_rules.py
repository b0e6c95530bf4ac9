"""The song-level rules of ``core.analysis.analyze`` on inputs made by hand and on generated
songs: Modulating, Tempo varies, the chunks' values, the channels that cancel in a mono sum,
the frequency sweep, the share of the top frames and the too-short message."""

from __future__ import annotations

import math
from types import SimpleNamespace

import numpy as np
import pytest

from benchmarks.errorcases import four_on_the_floor
from benchmarks.synth import chord_progression
from core.analysis.analyze import (
    _is_sweep,
    _modulating,
    _opposed_channels,
    _tempo_spread,
    _too_short,
    _top_mean,
    analyze_file,
)
from core.analysis.tempo import TempoEstimate
from core.io.keynotation import Key
from core.io.results import ChunkResult
from core.settings import AnalysisSettings
from tests.audio_files import write_audio
from tests.core.test_analyze import _sweep

SR = 22050


# -- Modulating ------------------------------------------------------------------------------

def _keyed(*keys):
    return [ChunkResult(index=i, start_s=30.0 * i, end_s=30.0 * (i + 1), key=k)
            for i, k in enumerate(keys)]


@pytest.mark.parametrize(("keys", "modulating"), [
    (("A minor", "A minor", "E minor", "E minor"), True),   # two chunks in another key
    (("E minor", "E minor"), True),                          # from the start
    (("A minor", "E minor", "E minor", "E minor"), True),    # a longer run
    (("A minor", "E minor", "A minor", "E minor"), False),   # strays, never two in a row
    (("A minor", "E minor", None, "E minor"), False),        # a chunk without a key breaks it
    (("E minor", "D minor", "E minor", "D minor"), False),   # two other keys, alternating
    (("A minor", "A minor", "A minor"), False),              # the song's key throughout
    ((None, None, None), False),                             # no chunk with a key
    (("A minor",), False),
    ((), False),
])
def test_a_song_modulates_when_two_chunks_in_a_row_agree_on_another_key(keys, modulating):
    assert _modulating(_keyed(*keys), "A minor") is modulating


def test_a_song_in_two_keys_is_flagged_modulating(tmp_path):
    """A minute in C major, then a minute in E major (its chords a third apart): chunks of
    30 s, two of them in E major."""
    y = np.concatenate([chord_progression(Key(0, "major"), seconds=60.0, sr=SR, seed=3),
                        chord_progression(Key(4, "major"), seconds=60.0, sr=SR, seed=4)])
    write_audio(tmp_path / "two_keys.wav", y, SR)
    r = analyze_file(tmp_path / "two_keys.wav")
    assert [c.key for c in r.chunk_results] == ["C major"] * 2 + ["E major"] * 2, r
    assert r.key_modulating is True


def test_the_chunks_of_a_progression_lean_on_the_songs_key(tmp_path):
    """i-VI-III-VII in C# minor, 8 s chunks: a chunk alone leans to the relative major (E);
    with the song's key each reads C# minor."""
    y = chord_progression(Key(1, "minor"), seconds=24.0, sr=SR, bpm=120.0, seed=0)
    write_audio(tmp_path / "minor.wav", y, SR)
    r = analyze_file(tmp_path / "minor.wav", settings=AnalysisSettings(chunk_seconds=8.0))
    assert r.key == "C# minor" and [c.key for c in r.chunk_results] == ["C# minor"] * 3
    assert r.key_modulating is False


# -- Tempo varies ----------------------------------------------------------------------------

def _tempi(*chunks, weak=()):
    """Chunks of (bpm, seconds) one after the other, their estimates (weak where asked)."""
    out, tempi, start = [], [], 0.0
    for i, (bpm, seconds) in enumerate(chunks):
        out.append(ChunkResult(index=i, start_s=start, end_s=start + seconds, bpm=bpm))
        tempi.append(TempoEstimate(bpm, weak=i in weak))
        start += seconds
    return out, tempi


def test_the_tempo_varies_when_two_chunks_are_off_and_the_range_is_theirs():
    chunks, tempi = _tempi((100.0, 30.0), (110.0, 30.0), (92.0, 30.0), (100.0, 30.0))
    low, high = _tempo_spread(chunks, tempi, 100.0)
    assert low == pytest.approx(92.0) and high == pytest.approx(110.0)
    # one chunk off is the doubt of an excerpt; an octave of the song's tempo is no change
    chunks, tempi = _tempi((100.0, 30.0), (110.0, 30.0), (200.0, 30.0), (50.0, 30.0))
    assert _tempo_spread(chunks, tempi, 100.0) is None


def test_a_chunk_exactly_four_percent_off_is_on_the_tempo():
    """Acc1's tolerance: 104 against 100 is within it, 104.01 is not."""
    assert _tempo_spread(*_tempi((104.0, 30.0), (104.0, 30.0)), 100.0) is None
    assert _tempo_spread(*_tempi((104.01, 30.0), (104.01, 30.0)), 100.0) is not None
    assert math.log(104.0 / 100.0) == math.log(1.04)  # the limit is met exactly


def test_chunks_of_eight_seconds_count_and_shorter_weak_or_empty_ones_do_not():
    off = (112.0, 30.0)
    assert _tempo_spread(*_tempi(off, (112.0, 8.0)), 100.0) is not None
    assert _tempo_spread(*_tempi(off, (112.0, 7.99)), 100.0) is None
    assert _tempo_spread(*_tempi(off, off, weak=(1,)), 100.0) is None
    assert _tempo_spread(*_tempi(off, (None, 30.0)), 100.0) is None
    assert _tempo_spread(*_tempi(off, (0.0, 30.0)), 100.0) is None  # no beat read
    # a chunk with a tempo but no estimate of its own (a loop's, say) is not weighed
    chunks, tempi = _tempi(off, off)
    assert _tempo_spread(chunks, [tempi[0], None], 100.0) is None


# -- the chunks' values ----------------------------------------------------------------------

def test_the_chunks_of_a_fast_groove_keep_the_songs_tempo(tmp_path):
    """Four-on-the-floor at 185 BPM in 5 s chunks: the last one alone is read at half
    (92.5); on the song's beat every chunk reads 185."""
    write_audio(tmp_path / "fast.wav", four_on_the_floor(185.0, seconds=30.0, sr=SR), SR)
    r = analyze_file(tmp_path / "fast.wav", settings=AnalysisSettings(chunk_seconds=5.0))
    assert r.bpm == pytest.approx(185.0, rel=0.01)
    assert all(c.bpm == pytest.approx(185.0, rel=0.01) for c in r.chunk_results), r
    assert r.bpm_varies is False


def test_the_chunks_are_numbered_and_their_values_rounded(tmp_path):
    """12.34567 s in chunks of 5.12345 s (112,972 samples): 0-5.123, 5.123-10.247 and
    10.247-12.346 s, to the millisecond; tempo to 0.01 BPM, loudness to 0.01 LU."""
    y = four_on_the_floor(123.0, seconds=13.0, sr=SR)[:round(12.34567 * SR)]
    write_audio(tmp_path / "cut.wav", y, SR)
    r = analyze_file(tmp_path / "cut.wav", settings=AnalysisSettings(chunk_seconds=5.12345))
    chunks = r.chunk_results
    assert [c.index for c in chunks] == [0, 1, 2]
    assert [(c.start_s, c.end_s) for c in chunks] == [(0.0, 5.123), (5.123, 10.247),
                                                      (10.247, 12.346)]
    for c in chunks:
        assert c.bpm is not None and round(c.bpm, 2) == c.bpm
        assert c.loudness_lufs is not None and round(c.loudness_lufs, 2) == c.loudness_lufs
    assert any(round(c.bpm, 1) != c.bpm for c in chunks)
    assert any(round(c.loudness_lufs, 1) != c.loudness_lufs for c in chunks)


# -- channels that cancel ----------------------------------------------------------------------

def _strided(rows) -> np.ndarray:
    """A block whose every 16th frame (what the check reads) is a row of ``rows``."""
    return np.repeat(np.asarray(rows, dtype=np.float32), 16, axis=0)


def test_the_signs_turn_opposed_channels_to_the_loudest_ones_polarity():
    left = np.array([1.0, -1.0, 1.0, -1.0]) / 64.0
    side = np.array([1.0, 1.0, -1.0, -1.0]) / 128.0  # unrelated to the left (product 0)
    block = _strided(np.column_stack([left, -0.75 * left, side]))
    # quiet (every product well under 1), the third channel exactly uncorrelated: kept
    assert _opposed_channels(block).tolist() == [1.0, -1.0, 1.0]
    assert _opposed_channels(block[:, :1]) is None  # one channel
    assert _opposed_channels(np.zeros((64, 2), np.float32)) is None  # silence
    together = _strided(np.column_stack([left, 0.5 * left]))
    assert _opposed_channels(together) is None


def test_a_mean_that_keeps_exactly_half_the_power_does_not_cancel():
    """Two channels of equal power whose products sum to -1/4 of it each way (a correlation
    of -0.5): the mean keeps half the power of unrelated channels, the limit, and is read
    as it is; a little more opposed, it cancels (turned to the second channel's polarity,
    now the louder)."""
    ones = np.full(4, 1.0 / 16.0)
    half = np.array([-2.0, 0.0, 0.0, 0.0]) / 16.0
    assert _opposed_channels(_strided(np.column_stack([ones, half]))) is None
    more = np.array([-2.0, -0.25, 0.0, 0.0]) / 16.0
    assert _opposed_channels(_strided(np.column_stack([ones, more]))).tolist() == [-1.0, 1.0]


# -- the frequency sweep ---------------------------------------------------------------------

def _rising(octaves: np.ndarray, rms=None) -> SimpleNamespace:
    octaves = np.asarray(octaves, dtype=np.float64)
    return SimpleNamespace(centroid_hz=100.0 * 2.0 ** octaves,
                           rms=np.full(octaves.size, 0.3) if rms is None else rms)


@pytest.mark.parametrize(("span", "sweep"), [(3.35, True), (3.31, False)])
def test_a_sweep_spans_three_octaves_from_its_5th_to_its_95th_percentile(span, sweep):
    """101 frames rising evenly over ``span`` octaves: the 5th to 95th percentile spans 0.9
    of it (3.015 and 2.979 octaves); the 6th or the 96th would move either across 3."""
    assert _is_sweep(_rising(np.linspace(0.0, span, 101))) is sweep


def test_a_sweep_needs_twenty_sounding_frames():
    assert _is_sweep(_rising(np.linspace(0.0, 6.0, 20))) is True
    assert _is_sweep(_rising(np.linspace(0.0, 6.0, 19))) is False
    assert _is_sweep(SimpleNamespace(centroid_hz=np.zeros(0), rms=np.zeros(0))) is False


def test_a_gap_of_nine_frames_keeps_a_sweep_one_sound_and_ten_split_it():
    octaves = np.linspace(0.0, 6.0, 100)
    for gap, sweep in ((9, True), (10, False)):
        rms = np.full(100 + gap, 0.3)
        rms[50:50 + gap] = 0.0
        track = np.concatenate([octaves[:50], np.full(gap, 3.0), octaves[50:]])
        assert _is_sweep(_rising(track, rms)) is sweep, gap


@pytest.mark.parametrize("first", [True, False])
def test_a_sweep_is_one_run_of_nine_tenths_of_its_sounding_frames(first):
    """90 sounding frames in one run and 10 more apart (before it or after it): 90 % of them,
    one sound; 89 and 11, not."""
    for run, rest, sweep in ((90, 10, True), (89, 11, False)):
        octaves = np.linspace(0.0, 6.0, run + rest)
        rms = np.full(run + rest + 20, 0.3)
        track = np.full(run + rest + 20, 3.0)
        if first:
            rms[run:run + 20] = 0.0
            track[:run], track[run + 20:] = octaves[:run], octaves[run:]
        else:
            rms[rest:rest + 20] = 0.0
            track[:rest], track[rest + 20:] = octaves[:rest], octaves[rest:]
        assert _is_sweep(_rising(track, rms)) is sweep, (run, rest)


def test_a_sweeps_sounding_frames_reach_a_tenth_of_its_90th_percentile():
    """Twenty frames make a sweep, nineteen do not: the first frame of twenty at exactly a
    tenth of the 90th percentile's level (0.025 of 0.25) does not sound, one a little over it
    (0.0381, rising past the 90th percentile's 0.038 but not the 91st's 0.0382) does."""
    octaves = np.linspace(0.0, 6.0, 20)
    rms = np.full(20, 0.25)
    rms[0] = 0.025
    assert _is_sweep(_rising(octaves, rms)) is False
    rms = np.linspace(0.2, 0.4, 20)
    rms[0] = 0.0381
    assert np.percentile(rms, 90) == pytest.approx(0.38)
    assert np.percentile(rms, 91) == pytest.approx(0.382)
    assert _is_sweep(_rising(octaves, rms)) is True


def test_a_frame_without_a_centroid_does_not_sound_and_one_over_0_hz_does():
    """A centroid of 0 Hz (no spectrum above DC) is no sound, one of 0.5 Hz is: nineteen
    frames of a sweep with a twentieth at 0.5 Hz first are a sweep (twenty sounding frames),
    with one at 0 Hz first they are not (nineteen)."""
    rising = 100.0 * 2.0 ** np.linspace(0.0, 6.0, 19)
    frames = SimpleNamespace(centroid_hz=np.r_[0.5, rising], rms=np.full(20, 0.3))
    assert _is_sweep(frames) is True
    frames.centroid_hz = np.r_[0.0, rising]
    assert _is_sweep(frames) is False


def test_a_sweeps_chunks_have_no_tempo_or_key(tmp_path):
    """A sweep of 40 s in 10 s chunks: the song and every chunk without a tempo or key (a
    chunk of it alone has pitch classes enough for one)."""
    write_audio(tmp_path / "sweep.wav", _sweep(20.0, 10000.0, 40.0, SR), SR)
    r = analyze_file(tmp_path / "sweep.wav", settings=AnalysisSettings(chunk_seconds=10.0))
    assert r.bpm is None and r.key is None and "frequency sweep" in r.note
    assert [(c.bpm, c.key) for c in r.chunk_results] == [(None, None)] * 4


def test_a_sweeps_clicks_two_frames_long_are_passed_over():
    """Six clicks of two frames each, far off the sweep's pitch: the 9-frame running median
    takes them out (a 3-frame one would not: they cost the rank correlation its 0.99)."""
    octaves = np.linspace(0.0, 6.0, 400)
    for at in (40, 100, 160, 220, 280, 340):
        octaves[at:at + 2] = 6.0 - octaves[at]
    assert _is_sweep(_rising(octaves)) is True


# -- the share of the top frames; the too-short message ----------------------------------------

def test_the_top_share_is_at_least_one_frame():
    x = np.arange(100.0)[None, :]
    assert _top_mean(x, 0.01).tolist() == [99.0]  # 1 % of 100: the top one alone
    assert _top_mean(x, 0.02).tolist() == [98.5]
    assert _top_mean(np.vstack([x, -x]), 0.01).tolist() == [99.0, 0.0]  # row by row


@pytest.mark.parametrize(("seconds", "frames", "said"), [
    (0.004994, 240, "240 samples (4.99 ms)"),
    (0.005, 240, "0.01 s"),
    (0.0049, 1, "1 sample (4.90 ms)"),
])
def test_a_length_under_five_milliseconds_is_given_in_samples(seconds, frames, said):
    assert _too_short(seconds, frames) == (f"too short to analyze: {said} (at least 0.4 s "
                                           "needed)")
