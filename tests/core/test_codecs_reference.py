"""The codec benchmark's encoder: each version it makes is read back by the analyzer."""

import numpy as np
import pytest
import soundfile as sf

from benchmarks.codecs import CODECS, encode
from benchmarks.synth import click_track
from core.analysis.analyze import analyze_file


@pytest.mark.parametrize("name", sorted(CODECS))
def test_an_encoded_click_track_keeps_its_length_channels_and_tempo(tmp_path, name):
    y = click_track(120.0, 10.0, 44100)
    src = tmp_path / "clicks.flac"
    sf.write(src, np.stack([y, 0.5 * y], axis=1), 44100)
    _, codec, bit_rate, ext = CODECS[name]
    dst = tmp_path / f"clicks{ext}"
    encode(str(src), str(dst), codec, bit_rate)
    assert dst.stat().st_size * 8 / 10.0 <= 1.1 * bit_rate  # the bit rate asked for, at most
    r = analyze_file(dst)
    assert r.channels == 2
    assert r.duration_s == pytest.approx(10.0, abs=0.05)
    assert r.bpm == pytest.approx(120.0, rel=0.01)
