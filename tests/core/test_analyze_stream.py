"""``analyze_file`` while it reads a file: lengths at their limits, lengths the container
does not state or states wrong, long chunks read in several blocks, what it counts across
blocks, and what it tells its caller (progress, errors, notes) on the way."""

from __future__ import annotations

import dataclasses
import re

import numpy as np
import pytest

from benchmarks.synth import render_song
from core.analysis import decode
from core.analysis.analyze import MAX_SAMPLE, MIN_DURATION_S, analyze_file
from core.errors import AnalysisCancelled, EmptyFileError, TooShortError
from core.io.keynotation import Key
from core.settings import AnalysisSettings
from tests.audio_files import tone, write_audio
from tests.core.test_analyze import _sweep
from tests.core.test_short_files import _lone_hit

SR = 22050


def _stating(monkeypatch, **stated):
    """Make the probe state what ``stated`` says of every file (``duration_s=None,
    frames=None``: a container that states no length)."""
    real = decode.probe

    def probe(path):
        return dataclasses.replace(real(path), **stated)

    monkeypatch.setattr(decode, "probe", probe)


def _tone_file(path, seconds, *, sr=SR):
    write_audio(path, tone(220.0, seconds, sr, amplitude=0.3), sr)
    return path


# -- the shortest file -------------------------------------------------------------------

def test_a_file_of_exactly_the_shortest_length_is_analyzed(tmp_path):
    n = round(MIN_DURATION_S * 44100)  # 17,640 samples: 0.4 s to the bit
    assert n / 44100 == MIN_DURATION_S
    r = analyze_file(_tone_file(tmp_path / "just.wav", MIN_DURATION_S, sr=44100))
    assert r.status == "done" and r.duration_s == MIN_DURATION_S


def test_one_sample_less_is_too_short_when_the_length_is_known_only_at_the_end(
        tmp_path, monkeypatch):
    """A container that states no length is measured as it is read: 0.4 s less one sample
    is too short, said with the file's name and its length."""
    path = _tone_file(tmp_path / "nearly.wav", 17_639 / 44100, sr=44100)
    _stating(monkeypatch, duration_s=None, frames=None)
    with pytest.raises(TooShortError) as exc:
        analyze_file(path)
    assert exc.value.path == str(path)
    assert exc.value.reason == "too short to analyze: 0.40 s (at least 0.4 s needed)"
    # and exactly 0.4 s is analyzed, measured at the end as well
    r = analyze_file(_tone_file(tmp_path / "just.wav", MIN_DURATION_S, sr=44100))
    assert r.status == "done" and r.duration_s == MIN_DURATION_S


def test_a_length_that_rounds_to_nothing_is_given_in_samples_at_the_end(tmp_path,
                                                                        monkeypatch):
    path = tmp_path / "tick.wav"
    write_audio(path, np.full((3, 1), 0.1, np.float32), 44100)
    _stating(monkeypatch, duration_s=None, frames=None)
    with pytest.raises(TooShortError) as exc:
        analyze_file(path)
    assert exc.value.reason == "too short to analyze: 3 samples (0.07 ms) (at least 0.4 s needed)"


def test_a_stated_length_of_no_samples_is_an_empty_file(tmp_path, monkeypatch):
    path = _tone_file(tmp_path / "none.wav", 1.0)
    _stating(monkeypatch, duration_s=0.0, frames=0)
    with pytest.raises(EmptyFileError) as exc:
        analyze_file(path)
    assert (exc.value.path, exc.value.reason) == (str(path), "the file holds no audio")


def test_a_file_that_yields_no_audio_is_empty(tmp_path, monkeypatch):
    """No length stated, and nothing decoded: empty, not too short (0 s)."""
    path = _tone_file(tmp_path / "hollow.wav", 1.0)
    _stating(monkeypatch, duration_s=None, frames=None)
    monkeypatch.setattr(decode, "stream", lambda *a, **k: iter(()))
    with pytest.raises(EmptyFileError) as exc:
        analyze_file(path)
    assert (exc.value.path, exc.value.reason) == (str(path), "the file holds no audio")


# -- progress ------------------------------------------------------------------------------

def test_the_duration_is_stated_to_the_millisecond(tmp_path):
    r = analyze_file(_tone_file(tmp_path / "odd.wav", (3 * SR + 12) / SR))  # 3.000544 s
    assert r.duration_s == 3.001
    assert 0.0 < r.analysis_s == round(r.analysis_s, 3)  # the time it took, to the ms


def test_progress_of_a_file_of_one_chunk(tmp_path):
    calls = []
    analyze_file(_tone_file(tmp_path / "one.wav", 12.0),
                 progress=lambda *a: calls.append(a))
    assert calls == [(0, 1, 12.0), (1, 1, 12.0)]


def test_a_file_that_states_no_length_is_read_to_its_end(tmp_path, monkeypatch):
    """Chunks are counted as they come; the duration is given once it is known."""
    path = _tone_file(tmp_path / "unsized.wav", 25.0)
    _stating(monkeypatch, duration_s=None, frames=None)
    calls = []
    r = analyze_file(path, settings=AnalysisSettings(chunk_seconds=10.0, workers=1),
                     progress=lambda *a: calls.append(a))
    assert r.status == "done" and r.duration_s == 25.0 and r.chunks == 3
    assert calls == [(0, 1, None), (1, 1, None), (2, 2, None), (3, 3, None)]


def test_a_length_guessed_too_long_ends_the_progress_at_the_chunks_there_are(
        tmp_path, monkeypatch):
    """A length guessed from the bit rate (an AMR file's) is kept for the progress, not
    for the samples there are: the progress ends where the file does."""
    path = _tone_file(tmp_path / "overstated.wav", 12.0)
    _stating(monkeypatch, duration_s=40.0, frames=None)
    calls = []
    r = analyze_file(path, settings=AnalysisSettings(chunk_seconds=10.0, workers=1),
                     progress=lambda *a: calls.append(a))
    assert r.duration_s == 12.0 and r.chunks == 2
    assert calls == [(0, 4, 40.0), (1, 4, 40.0), (2, 4, 40.0), (2, 2, 12.0)]


def test_a_cancel_names_the_file(tmp_path):
    path = _tone_file(tmp_path / "stop.wav", 25.0)
    with pytest.raises(AnalysisCancelled) as exc:
        analyze_file(path, settings=AnalysisSettings(chunk_seconds=10.0, workers=1),
                     should_cancel=lambda: True)
    assert str(path) in str(exc.value)


def test_a_cancel_after_the_last_block_is_read_stops_before_the_reading(tmp_path):
    """The cancel check runs once more after the file is read, before tempo and key."""
    path = _tone_file(tmp_path / "late.wav", 25.0)
    asked = []

    def should_cancel():
        asked.append(1)
        return len(asked) > 3  # one check before each of the three chunks, then the last

    with pytest.raises(AnalysisCancelled) as exc:
        analyze_file(path, settings=AnalysisSettings(chunk_seconds=10.0, workers=1),
                     should_cancel=should_cancel)
    assert len(asked) == 4 and str(path) in str(exc.value)


# -- blocks --------------------------------------------------------------------------------

def test_an_empty_block_from_the_decoder_is_passed_over(tmp_path, monkeypatch):
    path = _tone_file(tmp_path / "gap.wav", 6.0)
    real = decode.stream

    def stream(*args, **kwargs):
        yield np.zeros((0, 1), np.float32)
        yield from real(*args, **kwargs)

    monkeypatch.setattr(decode, "stream", stream)
    r = analyze_file(path)
    assert r.status == "done" and r.duration_s == 6.0


def test_long_chunks_are_read_in_blocks_and_counted_across_them(tmp_path):
    """A 60 s chunk is decoded in two blocks of 30 s: the chunks, the invalid samples and
    the seconds of opposed channels are those of the whole file, not of its last block."""
    sr = 8000
    y = render_song(bpm=100.0, key=Key(2, "major"), seconds=70.0, sr=sr, seed=4).mean(axis=1)
    y = (0.5 * y / np.abs(y).max()).astype(np.float32)
    y[1000:1300] = np.nan      # 300 in the first block
    y[45 * sr : 45 * sr + 20] = np.inf  # 20 in the second
    y[65 * sr] = np.nan        # 1 in the third
    write_audio(tmp_path / "long.wav", np.stack([y, -y], axis=1), sr, subtype="FLOAT")
    r = analyze_file(tmp_path / "long.wav",
                     settings=AnalysisSettings(chunk_seconds=60.0, workers=1))
    assert r.chunks == 2 and [(c.start_s, c.end_s) for c in r.chunk_results] == [
        (0.0, 60.0), (60.0, 70.0)]
    assert re.search(r"(?<![\d-])642 invalid samples \(NaN, infinite or beyond \+120 dBFS\) "
                     r"were read as silence", r.note), r.note  # 321 per channel
    assert ("its channels cancel in a mono sum (one is in opposite polarity) over 70 s of "
            "its 70 s: read there with that channel turned over") in r.note, r.note
    # the invalid samples are read as silence: the peak is the music's own
    assert r.peak_dbfs == pytest.approx(20 * np.log10(0.5), abs=0.05)


@pytest.mark.parametrize("nan", [False, True])
def test_a_sample_at_exactly_the_largest_value_is_valid(tmp_path, nan):
    """+-1e6 (+120 dBFS) is still a sample, in a block without invalid ones and in one
    with a NaN."""
    y = tone(330.0, 3.0, SR, amplitude=0.3)[:, 0]
    y[SR] = MAX_SAMPLE
    y[2 * SR] = -MAX_SAMPLE
    if nan:
        y[SR + 5] = np.nan
    write_audio(tmp_path / "edge.wav", y[:, None], SR, subtype="FLOAT")
    r = analyze_file(tmp_path / "edge.wav")
    assert r.peak_dbfs == pytest.approx(120.0, abs=0.01)
    if nan:
        assert re.search(r"(?<![\d-])1 invalid samples", r.note), r.note
    else:
        assert "invalid" not in r.note


def test_digital_silence_says_so_in_its_note(tmp_path):
    write_audio(tmp_path / "quiet.wav", np.zeros((2 * SR, 1), np.float32), SR)
    r = analyze_file(tmp_path / "quiet.wav")
    assert r.note == "digital silence: no tempo, key or loudness"
    assert r.bpm_varies is None and r.key_modulating is None  # not False: nothing to vary


def test_a_sweep_says_so_in_its_note(tmp_path):
    write_audio(tmp_path / "sweep.wav", _sweep(50.0, 8000.0, 10.0, SR), SR)
    r = analyze_file(tmp_path / "sweep.wav")
    assert r.note == "a frequency sweep (a test signal): no tempo or key"


# -- the limits of a loop and of a reading of its own ---------------------------------------

def test_a_loop_of_exactly_the_longest_length_is_read_as_a_loop(tmp_path):
    """20 s to the sample (32 beats at 96 BPM, analysed at its own rate) is still a loop;
    one sample more is not."""
    y = render_song(bpm=96.0, key=Key(0, "major"), seconds=21.0, sr=SR, seed=1)
    write_audio(tmp_path / "loop.wav", y[: 20 * SR], SR)
    r = analyze_file(tmp_path / "loop.wav")
    assert r.bpm == 96.0 and r.note == "tempo read as a loop of 32 beats"
    write_audio(tmp_path / "longer.wav", y[: 20 * SR + 1], SR)
    assert "loop" not in analyze_file(tmp_path / "longer.wav").note


@pytest.mark.parametrize(("bpm", "seed", "note"), [
    (120.0, 0, ""),  # a reading of its own: no guess
    (100.0, 0, "too few onsets for a tempo of its own: the tempo is a guess from it played "
               "repeated"),
])
def test_a_file_of_exactly_one_second_is_no_file_under_a_second(tmp_path, bpm, seed, note):
    y = render_song(bpm=bpm, key=Key(0, "major"), seconds=3.0, sr=44100, seed=seed)
    write_audio(tmp_path / "second.wav", y[:44100], 44100)
    r = analyze_file(tmp_path / "second.wav")
    assert r.duration_s == 1.0 and r.bpm is not None and r.note == note


def test_a_lone_hit_in_exactly_one_second_has_too_few_onsets(tmp_path):
    write_audio(tmp_path / "hit.wav", _lone_hit(1.0), 44100)  # (made at 44.1 kHz)
    r = analyze_file(tmp_path / "hit.wav")
    assert r.bpm is None and r.note.startswith("too few onsets for a tempo; "), r.note


def test_a_file_of_exactly_the_shortest_length_for_a_key_is_given_one(tmp_path):
    """0.6 s of a major triad (26,460 samples at 44.1 kHz) is long enough for a key."""
    t = np.arange(26_460) / 44100
    y = sum(0.2 * np.sin(2 * np.pi * f * t) for f in (261.63, 329.63, 392.0))
    write_audio(tmp_path / "triad.wav", y.astype(np.float32)[:, None], 44100)
    r = analyze_file(tmp_path / "triad.wav")
    assert r.duration_s == 0.6 and "no key" not in r.note and r.key is not None, r.note


def test_what_the_probe_noticed_is_in_the_note(tmp_path, monkeypatch):
    path = _tone_file(tmp_path / "noticed.wav", 3.0)
    _stating(monkeypatch, notice="its header states no audio but 3.0 s follows")
    r = analyze_file(path)
    assert r.note.endswith("its header states no audio but 3.0 s follows"), r.note


# -- what the song's values are made of ---------------------------------------------------

def _descriptor_inputs(monkeypatch):
    import core.analysis.analyze as analyze

    seen = {}
    real = analyze.compute_descriptors

    def spy(**kwargs):
        seen.update(kwargs)
        return real(**kwargs)

    monkeypatch.setattr(analyze, "compute_descriptors", spy)
    meter_range = analyze.LoudnessMeter.loudness_range_lu

    def loudness_range(meter):
        seen["range"] = meter_range(meter)
        return seen["range"]

    monkeypatch.setattr(analyze.LoudnessMeter, "loudness_range_lu", loudness_range)
    return seen


def test_the_descriptors_read_the_songs_own_tempo_key_and_onsets(tmp_path, monkeypatch):
    seen = _descriptor_inputs(monkeypatch)
    path = tmp_path / "song.wav"
    y = 0.77 * render_song(bpm=124.0, key=Key(9, "minor"), seconds=16.0, sr=SR, seed=3)
    write_audio(path, y, SR)  # (the song is made at -13 LUFS: 2.27 dB under it)
    r = analyze_file(path)
    assert r.path == str(path) and r.bpm is not None and r.key is not None
    assert (r.format, r.sample_rate, r.channels) == ("WAV/PCM_16", SR, 2)
    assert seen["tempo_bpm"] == pytest.approx(r.bpm, abs=0.01)
    # the confidences as stated: to three decimals (floats, 1.0 included)
    assert r.bpm_confidence == round(seen["tempo_confidence"], 3)
    assert isinstance(r.bpm_confidence, float) and isinstance(r.key_confidence, float)
    assert seen["key_mode"] == r.key.split()[-1]
    assert r.key_confidence == round(seen["key_confidence"], 3)
    # loudness, range and peak as stated: to two decimals
    assert (r.loudness_lufs, r.peak_dbfs) == (round(seen["loudness_lufs"], 2),
                                              round(seen["peak_dbfs"], 2))
    assert r.loudness_range_lu == round(seen["range"], 2) and seen["range"] > 0
    env = seen["onset_envelope"]
    assert env.shape == seen["rms"].shape and env.max() > 0
    assert seen["frame_rate"] == pytest.approx(SR / 256)


def test_the_descriptors_of_silence_have_no_confidence_to_read(tmp_path, monkeypatch):
    seen = _descriptor_inputs(monkeypatch)
    write_audio(tmp_path / "quiet.wav", np.zeros((2 * SR, 1), np.float32), SR)
    r = analyze_file(tmp_path / "quiet.wav")
    assert (seen["tempo_bpm"], seen["tempo_confidence"]) == (None, 0.0)
    assert r.bpm_alternatives == "" and r.bpm_confidence is None and r.key_confidence is None
    assert (seen["key_mode"], seen["key_confidence"]) == (None, 0.0)
