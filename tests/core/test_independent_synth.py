"""The independent song renderer, and tempo/key on its songs (off-tonic openings, 6/8)."""

from __future__ import annotations

import numpy as np
import pytest
import soxr

from benchmarks.independent_synth import JAZZ_STYLES, STYLES, _jazz_bar, render, render_jazz
from core.analysis.features import FeatureStream
from core.analysis.key import estimate_key
from core.analysis.tempo import estimate_tempo
from core.io.keynotation import Key

SR = 22050


def _features(song):
    y = song.audio.mean(axis=1)
    if song.sr != SR:
        y = soxr.resample(y, song.sr, SR)
    fs = FeatureStream(SR)
    fs.process(np.asarray(y, dtype=np.float32))
    fs.mark_chunk()
    return fs.finish()


def test_render_is_deterministic_stereo_with_truth():
    a = render("bossa", bpm=128.0, key=Key(9, "minor"), seed=3, seconds=12.0, sr=48000)
    b = render("bossa", bpm=128.0, key=Key(9, "minor"), seed=3, seconds=12.0, sr=48000)
    assert np.array_equal(a.audio, b.audio)
    assert a.audio.ndim == 2 and a.audio.shape[1] == 2 and a.sr == 48000
    assert 0.05 < float(np.max(np.abs(a.audio))) < 1.0
    assert not np.allclose(a.audio[:, 0], a.audio[:, 1])  # panned and reverberated apart
    assert (a.bpm, a.key, a.beats_per_bar) == (128.0, Key(9, "minor"), 4)
    assert -25.0 <= a.tuning_cents <= 25.0
    assert a.audio.shape[0] / a.sr > 12.0


def test_render_rejects_unknown_style():
    with pytest.raises(ValueError, match="samba"):
        render("samba", bpm=120.0, key=Key(0, "major"), seed=1)


def test_render_rejects_bad_bpm():
    with pytest.raises(ValueError, match="500"):
        render("pop", bpm=500.0, key=Key(0, "major"), seed=1)


def test_jazz_render_is_deterministic_with_truth_and_a_swing_ratio():
    a = render_jazz("swing", bpm=176.0, key=Key(5, "major"), seed=4, seconds=10.0, sr=44100)
    b = render_jazz("swing", bpm=176.0, key=Key(5, "major"), seed=4, seconds=10.0, sr=44100)
    assert np.array_equal(a.audio, b.audio) and a.audio.shape[1] == 2
    assert 0.05 < float(np.max(np.abs(a.audio))) < 1.0
    assert (a.bpm, a.key, a.beats_per_bar, a.style) == (176.0, Key(5, "major"), 4, "swing")
    assert 0.58 <= a.notes["swing"] <= 0.70
    slow = [render_jazz("swing", bpm=110.0, key=Key(0, "major"), seed=s, seconds=4.0,
                        sr=22050).notes["swing"] for s in range(4)]
    fast = [render_jazz("swing", bpm=235.0, key=Key(0, "major"), seed=s, seconds=4.0,
                        sr=22050).notes["swing"] for s in range(4)]
    assert min(slow) >= 0.64 and max(fast) <= 0.64  # straighter when faster


def test_jazz_render_rejects_a_style_it_does_not_play():
    with pytest.raises(ValueError, match="pop"):
        render_jazz("pop", bpm=150.0, key=Key(0, "major"), seed=1)


@pytest.mark.parametrize("style", sorted(JAZZ_STYLES))
def test_jazz_bar_swings_the_ride_and_plays_its_bass_figure(style):
    swing = 0.66
    notes, drums = _jazz_bar(style, 0, Key(7, "major"), [(2, 4), (5, 4)], swing,
                             np.random.default_rng(0))
    ride = {round(p, 3) for p, name, _ in drums if name == "ride"}
    assert {0, 1, 2, 3, round(1 + swing, 3), round(3 + swing, 3)} <= ride
    assert not any(abs(p % 1 - 0.5) < 0.05 for p in ride)  # no straight eighth
    bass = [round(p, 3) for p, _, _, inst, _ in sorted(notes) if inst == "pluck"]
    figure = {"swing": [0, 1, 2, 3], "twofeel": [0, 2],
              "boogie": [b + o for b in range(4) for o in (0.0, swing)]}[style]
    figure = [round(p, 3) for p in figure]
    if style == "twofeel":  # now and then a skip note into 3
        assert bass in (figure, [0, round(1 + swing, 3), 2])
    else:
        assert bass == figure


def test_styles_cover_drumless_and_compound_metre():
    assert STYLES["sixeight"][1] == 2 and STYLES["jazzwaltz"][1] == 3
    assert {"piano", "quartet", "dnb", "trap"} <= set(STYLES)


def test_song_opening_on_the_dominant_keeps_its_key():
    # V - I - IV - V7 in 6/8: the opening (dominant) chord alone would suggest D major.
    song = render("sixeight", bpm=100.0, key=Key(7, "major"), seed=5, seconds=20.0, sr=SR)
    assert estimate_key(_features(song)).key == Key(7, "major")


def test_six_eight_tempo_is_the_dotted_quarter():
    song = render("sixeight", bpm=80.0, key=Key(9, "minor"), seed=1, seconds=20.0, sr=SR)
    bpm = estimate_tempo(_features(song)).bpm
    assert bpm is not None and abs(bpm - 80.0) <= 0.04 * 80.0


def test_bad_chroma_frame_rate_is_rejected():
    song = render("pop", bpm=110.0, key=Key(0, "major"), seed=2, seconds=10.0, sr=SR)
    with pytest.raises(ValueError, match="frame_rate"):
        estimate_key(_features(song).chroma, frame_rate=-1.0)
