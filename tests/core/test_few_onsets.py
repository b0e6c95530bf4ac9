"""Files with onsets but too few for a tempo of their own: two hits in a long file, or on a
steady sound, get the interval between them as a guess; one hit gets no tempo."""

from __future__ import annotations

import numpy as np
import pytest

from core.analysis.analyze import analyze_file
from core.analysis.tempo import MAX_BPM, MIN_BPM, clear_onsets, interval_guess
from core.settings import AnalysisSettings
from tests.audio_files import write_audio
from tests.core.streams import features_of
from tests.core.test_analyze import _STEADY_NOTE, _naive

SR = 44100
GUESS_NOTE = ("too few onsets for a tempo of its own: the tempo is a guess from the interval "
              "between its onsets")


def _kick(sr: int = SR) -> np.ndarray:
    t = np.arange(int(0.4 * sr)) / sr
    return np.sin(2 * np.pi * (50 * t + 100 * (1 - np.exp(-30 * t)) / 30)) * np.exp(-25 * t)


def _hits(seconds: float, at: list[float], *, hiss: float = 0.0, under=None,
          gain: float = 0.5, sr: int = SR) -> np.ndarray:
    """``seconds`` of silence (or of ``under``), with a faint hiss when ``hiss`` > 0, and a
    kick at each time of ``at`` (s)."""
    y = np.zeros(int(seconds * sr)) if under is None else np.array(under, dtype=np.float64)
    kick = _kick(sr)
    for s in at:
        i = int(s * sr)
        y[i:i + kick.size] += gain * kick
    if hiss:
        y += hiss * np.random.default_rng(0).standard_normal(y.size)
    return y


@pytest.mark.parametrize(("gap", "hiss", "bpm"), [
    (0.6, 0.0, 100.0),       # in digital silence
    (0.6, 1e-4, 100.0),      # in a faint hiss: a steady sound, judged on its bulk
    (0.3, 1e-4, 200.0),      # the two kicks' levels run together: two onsets all the same
    (1.1, 1e-3, 60.0 / 1.1),
    (2.0, 0.0, 60.0),        # an interval slower than any tempo: two beats of it
    (0.2, 1e-4, 150.0),      # faster than any tempo: half of it
])
def test_two_hits_in_a_long_file_get_their_interval_as_a_guess(tmp_path, gap, hiss, bpm):
    """Two kicks in 30 s had no tempo (in a faint hiss, the note even called the file a steady
    sound without onsets): a file with onsets gets its best estimate, flagged weak, with a
    confidence of 0 and a note saying it is a guess; a metre is not read from it, and every
    chunk takes it."""
    write_audio(tmp_path / "two.wav", _hits(30.0, [5.0, 5.0 + gap], hiss=hiss), SR)
    r = analyze_file(tmp_path / "two.wav")
    assert r.status == "done" and r.bpm == pytest.approx(bpm, rel=0.01), r
    assert MIN_BPM <= r.bpm <= MAX_BPM
    assert r.bpm_weak_pulse is True and r.bpm_confidence == 0.0
    assert r.note.startswith(GUESS_NOTE), r.note  # then why there is no key
    assert r.time_signature is None
    octaves = [b for b in (r.bpm / 2, r.bpm * 2) if MIN_BPM <= round(b, 1) <= MAX_BPM]
    assert r.bpm_alternatives == ";".join(f"{b:.2f}" for b in [r.bpm, *octaves])
    assert [c.bpm for c in r.chunk_results] == [r.bpm] * len(r.chunk_results)


@pytest.mark.parametrize("hiss", [0.0, 1e-4])  # read as no steady sound, and as one
@pytest.mark.parametrize(("floor", "stated"), [(60.0, 100.0), (110.0, 200.0)])
def test_an_interval_guess_is_stated_in_the_tempo_range(tmp_path, floor, stated, hiss):
    write_audio(tmp_path / "two.wav", _hits(30.0, [5.0, 5.6], hiss=hiss), SR)
    r = analyze_file(tmp_path / "two.wav", settings=AnalysisSettings(tempo_floor_bpm=floor))
    assert r.bpm == pytest.approx(stated, rel=0.01) and r.bpm_weak_pulse
    assert r.note.startswith(GUESS_NOTE), r.note


@pytest.mark.parametrize("hiss", [0.0, 1e-4])
def test_one_hit_in_a_long_file_has_no_tempo(tmp_path, hiss):
    """A lone onset (a snare's noise burst) is no pulse; on a faint hiss it is no steady
    sound without onsets either."""
    y = np.zeros(int(30.0 * SR))
    burst = np.random.default_rng(2).standard_normal(int(0.3 * SR))
    y[5 * SR:5 * SR + burst.size] = 0.3 * burst * np.exp(-np.arange(burst.size) / (0.05 * SR))
    write_audio(tmp_path / "one.wav", _hits(30.0, [], hiss=hiss, under=y), SR)
    r = analyze_file(tmp_path / "one.wav")
    assert r.status == "done" and r.bpm is None and r.bpm_confidence is None
    assert r.note.startswith("too few onsets for a tempo"), r.note
    assert "guess" not in r.note and "steady" not in r.note


@pytest.mark.parametrize("shape", ["sawtooth", "hum"])
def test_two_kicks_on_a_held_tone_get_their_interval_and_its_flicker_none(tmp_path, shape):
    """A naive sawtooth's aliases and hum's harmonics beat against each other: the sound is
    steady by its bulk, and its flicker is no onset.  Two loud kicks 0.7 s apart on it give
    85.7 BPM as a guess (not the flicker's 184 or 145 BPM); one kick gives no tempo."""
    tone = 0.3 * _naive(shape, 50.0 if shape == "hum" else 440.0, 30.0, SR).astype(np.float64)
    write_audio(tmp_path / "two.wav", _hits(30.0, [10.0, 10.7], under=tone, gain=0.6), SR,
                subtype="FLOAT")
    r = analyze_file(tmp_path / "two.wav")
    assert r.bpm == pytest.approx(60.0 / 0.7, rel=0.01) and r.bpm_weak_pulse, r
    assert r.note.startswith(GUESS_NOTE), r.note
    write_audio(tmp_path / "one.wav", _hits(30.0, [10.0], under=tone, gain=0.6), SR,
                subtype="FLOAT")
    r = analyze_file(tmp_path / "one.wav")
    assert r.bpm is None and r.note.startswith("too few onsets for a tempo"), r.note


def test_quiet_kicks_on_a_held_tone_leave_it_a_steady_sound(tmp_path):
    """Kicks that raise a held tone's level by less than 6 dB are no hits on it: the file
    stays a steady sound (its flicker would otherwise be read between them)."""
    tone = 0.15 * _naive("sawtooth", 440.0, 30.0, SR).astype(np.float64)
    write_audio(tmp_path / "two.wav", _hits(30.0, [10.0, 10.7], under=tone, gain=0.15), SR,
                subtype="FLOAT")
    r = analyze_file(tmp_path / "two.wav")
    assert r.bpm is None and r.note.startswith(_STEADY_NOTE), r.note


def test_interval_guess_of_features():
    """The median interval between clear onsets, placed between frames, moved by the fewest
    octaves into 40-240 BPM; a stated range moves it further and keeps what was found;
    given onset frames are taken instead; fewer than two onsets give None."""
    feats = features_of(_hits(30.0, [5.0, 5.75, 6.5, 12.0], sr=22050), sr=22050)
    est = interval_guess(feats)
    assert est.bpm == pytest.approx(80.0, rel=0.01) and est.weak and est.confidence == 0.0
    assert est.alternatives == (est.bpm, round(est.bpm * 2, 2))  # half is under 40 BPM
    assert est.scores == (1.0, 0.0) and est.found_bpm is None
    ranged = interval_guess(feats, floor_bpm=110.0)
    assert ranged.bpm == pytest.approx(160.0, rel=0.01)
    assert ranged.alternatives == (ranged.bpm,) and ranged.scores == (1.0,)
    assert ranged.found_bpm == pytest.approx(80.0, rel=0.01)
    frames = np.flatnonzero(clear_onsets(feats.onset_bands.sum(axis=0), feats.frame_rate))
    assert len(frames) == 4
    # the first and the last onset given: 7 s apart, three octaves up
    assert interval_guess(feats, onsets=frames[[0, 3]]).bpm == pytest.approx(480 / 7, rel=0.01)
    assert interval_guess(feats, onsets=frames[:1]) is None
    assert interval_guess(feats, onsets=np.zeros(0, dtype=int)) is None
    assert interval_guess(features_of(_hits(30.0, [5.0], sr=22050), sr=22050)) is None


@pytest.mark.parametrize(("gap", "bpm"), [(0.25, 240.0), (0.24, 125.0), (6.0, 40.0),
                                          (1.5, 40.0), (1.6, 75.0)])
def test_interval_guess_moves_by_the_fewest_octaves_into_the_tempo_range(gap, bpm):
    """240 BPM is in the range, 250 is halved; 10 BPM is doubled twice to 40, 37.5 doubled
    once to 75."""
    est = interval_guess(features_of(_hits(30.0, [5.0, 5.0 + gap], sr=22050), sr=22050))
    assert est.bpm == pytest.approx(bpm, rel=0.01)


def _envelope(peaks: dict[int, tuple[float, float, float]], n: int = 1000) -> np.ndarray:
    """An onset envelope of ``n`` frames, zero but around each frame of ``peaks``: the values
    of the frame before it, at it and after it."""
    env = np.zeros(n)
    for at, values in peaks.items():
        env[at - 1:at + 2] = values
    return env


def test_an_onset_is_placed_between_frames_by_the_parabola_through_its_peak():
    """At 100 frames a second, a peak of 1 between 0.5 and 0.25 lies 0.1 frame early (the
    vertex of the parabola through the three), one between zeros on its frame: 50.1
    frames, 119.76 BPM."""
    env = _envelope({100: (0.5, 1.0, 0.25), 150: (0.0, 1.0, 0.0)})
    assert interval_guess(env, frame_rate=100.0).bpm == 119.76


def test_given_onsets_off_a_peak_move_half_a_frame_at_most():
    """Onsets given where the envelope does not peak: in silence (no parabola: 50 frames,
    120 BPM) and on a rising flank, whose parabola would put it 1.5 frames on (half a frame
    at most: 49.5 frames, 121.21 BPM)."""
    env = _envelope({300: (0.0, 1.0, 1.5), 350: (0.0, 1.0, 0.0)})
    assert interval_guess(env, frame_rate=100.0, onsets=np.array([10, 60])).bpm == 120.0
    assert interval_guess(env, frame_rate=100.0, onsets=np.array([300, 350])).bpm == 121.21


@pytest.mark.parametrize(("rate", "gap", "bpm"), [
    (100.0, 25, 240.0), (240.04 * 25 / 60.0, 25, 240.04),  # in the range to 0.1 BPM
    (240.06 * 25 / 60.0, 25, 120.03),
    (100.0, 150, 40.0), (39.96 * 150 / 60.0, 150, 39.96), (39.94 * 150 / 60.0, 150, 79.88),
])
def test_the_range_edges_are_read_to_a_tenth_of_a_bpm(rate, gap, bpm):
    env = _envelope({100: (0.0, 1.0, 0.0), 100 + gap: (0.0, 1.0, 0.0)})
    assert interval_guess(env, frame_rate=rate).bpm == bpm


@pytest.mark.parametrize(("rate", "alternatives"), [
    (100.0, (240.0, 120.0)),                      # double is out of the range
    (80.01 * 25 / 60.0, (80.01, 40.01, 160.02)),  # half is 40.005: in it
    (79.8 * 25 / 60.0, (79.8, 159.6)),            # half is 39.9: out of it
    (120.02 * 25 / 60.0, (120.02, 60.01, 240.04)),  # double is 240.04: 240.0 to 0.1 BPM
    (120.5 * 25 / 60.0, (120.5, 60.25)),          # double is 241: out of it
])
def test_the_octaves_of_a_guess_in_the_range_are_its_alternatives(rate, alternatives):
    env = _envelope({100: (0.0, 1.0, 0.0), 125: (0.0, 1.0, 0.0)})
    est = interval_guess(env, frame_rate=rate)
    assert est.alternatives == alternatives
    assert est.scores == (1.0,) + (0.0,) * (len(alternatives) - 1)


@pytest.mark.parametrize("decay", [0.2, 0.5])
@pytest.mark.parametrize("seed", [0, 1])
def test_a_lone_crash_in_a_long_file_has_no_tempo(tmp_path, decay, seed):
    """The flicker of a crash's decaying noise peaks as clear onsets do, but far below its
    attack: a crash of 0.5 s in 25 s was read at 198 BPM from it."""
    t = np.arange(int(10.0 * SR)) / SR
    y = np.zeros(int(25.0 * SR))
    y[SR // 2:SR // 2 + t.size] = (0.3 * np.exp(-t / decay)
                                   * np.random.default_rng(seed).standard_normal(t.size))
    write_audio(tmp_path / "crash.wav", y, SR)
    r = analyze_file(tmp_path / "crash.wav")
    assert r.status == "done" and r.bpm is None, r
    assert r.note.startswith("too few onsets for a tempo;"), r.note


def test_an_onset_under_a_quarter_of_the_strongest_is_not_counted(tmp_path):
    """A kick and one 22 dB softer in 25 s: the softer reaches under a quarter of the
    louder's onset, as a decay's flicker does, and a file up to 20 s would not count it
    either; 13.5 dB softer, it counts."""
    for gain, bpm in ((0.08, None), (0.15, 100.0)):
        y = _hits(25.0, [1.0], gain=0.5) + _hits(25.0, [1.6], gain=0.5 * gain)
        write_audio(tmp_path / "two.wav", y, SR)
        r = analyze_file(tmp_path / "two.wav")
        assert (r.bpm is None) == (bpm is None), r
        if bpm is not None:
            assert r.bpm == pytest.approx(bpm, rel=0.01)
