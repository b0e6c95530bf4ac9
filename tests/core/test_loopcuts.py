"""The loop-cuts benchmark's cutting and its two readings of a cut."""

from __future__ import annotations

import json

import numpy as np
import pytest
import soundfile as sf

import benchmarks.loopcuts as loopcuts
from benchmarks.errorcases import clave_loop
from benchmarks.synth import click_track


def _edition(tmp_path, monkeypatch):
    songs = []
    for i, (bpm, rubato) in enumerate([(90.0, 0.0), (120.0, 0.001), (150.0, 0.0), (100.0, 0.01)]):
        name = f"audio/s{i}.flac"
        (tmp_path / "audio").mkdir(exist_ok=True)
        sf.write(tmp_path / name, click_track(bpm, 30.0, 22050), 22050)
        songs.append({"id": f"s{i}", "file": name, "bpm": bpm, "rubato": rubato})
    (tmp_path / "manifest.json").write_text(json.dumps(songs))
    monkeypatch.setitem(loopcuts.EDITIONS, "stand-in", (str(tmp_path),))
    return songs


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_cuts_are_whole_beats_or_short_excerpts_of_steady_songs(tmp_path, monkeypatch, seed):
    songs = {s["id"]: s for s in _edition(tmp_path, monkeypatch)}
    got = list(loopcuts.cuts("stand-in", seed))
    assert {song["id"] for song, *_ in got} <= {"stand-in/s0", "stand-in/s1", "stand-in/s2"}
    assert len(got) == 3  # the song with 1 % rubato is left out
    for song, kind, cut, sr in got:
        seconds = len(cut) / sr
        if kind == "loop":
            beats = seconds * songs[song["id"].split("/")[1]]["bpm"] / 60.0
            assert round(beats) in (2, 4, 8) and abs(beats - round(beats)) < 0.01
        else:
            assert kind == "excerpt" and 1.2 <= seconds <= 6.0


def test_both_readings_of_a_loop(tmp_path):
    """A clave loop read off its tempo once (at 2/3 of it now) and at its tempo as a loop;
    the reading off is restored.  Which wrong reading the loop gets once is the decision's,
    not the benchmark's."""
    path = str(tmp_path / "clave.flac")
    sf.write(path, clave_loop(97.0, bars=1), 22050)
    limit = loopcuts.analysis.LOOP_MAX_S
    once, shipped, looped = loopcuts.readings(path)
    assert once is not None and abs(np.log(once / 97.0)) > np.log(1.04)
    assert shipped == 97.0 and looped
    assert loopcuts.analysis.LOOP_MAX_S == limit > 0


def test_the_error_counts_octaves_and_levels_as_near():
    assert loopcuts._error(97.0, 97.0) == 0.0
    assert loopcuts._error(194.0, 97.0) == pytest.approx(0.0)
    assert loopcuts._error(64.67, 97.0) == pytest.approx(0.0, abs=1e-3)
    assert loopcuts._error(100.0, 97.0) == pytest.approx(np.log(100 / 97))
