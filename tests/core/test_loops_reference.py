"""The recorded-loop benchmark's reading of a loop's tempo from its length."""

import pytest

from benchmarks.loops import reference_tempo


@pytest.mark.parametrize(("name", "seconds", "beats", "bpm"), [
    ("loop_amen", 1.753, 4, 136.9),       # one bar of the break: 68 or 137, 137 is nearer 120
    ("loop_tabla", 10.674, 16, 89.9),     # 90 is nearer 120 than 180 on a log scale
    ("loop_plain", 2.0, 4, 120.0),
    ("loop_short_hit", 0.25, 1, 240.0),   # the fewest beats a loop can hold is one
    ("loop_drone_g_97", 4.948, 8, 97.0),  # the name states the tempo: 8 beats, not 16
    ("loop_take_2", 2.0, 4, 120.0),       # a small number in the name is no tempo
])
def test_beats_and_tempo_of_a_loop(name, seconds, beats, bpm):
    got_bpm, got_beats = reference_tempo(name, seconds)
    assert got_beats == beats
    assert got_bpm == pytest.approx(bpm, abs=0.05)


def test_a_loop_without_length_is_refused():
    with pytest.raises(ValueError, match="longer than 0 s"):
        reference_tempo("loop_empty", 0.0)


def test_a_style_with_a_settled_tempo_range_decides_the_beats():
    # 2.78 s: 86 BPM (4 beats) is nearer 120, but jungle is played at 150-190
    assert reference_tempo("jungle01", 2.7799)[1] == 8
    assert reference_tempo("house_loop01", 1.6901)[1] == 4


def test_loops_are_written_once_or_repeated_to_a_length(tmp_path, monkeypatch):
    """``--once`` keeps a loop as it is; otherwise it is repeated to at least the length."""
    import numpy as np
    import soundfile as sf

    import benchmarks.loops as loops

    src = tmp_path / "src"
    src.mkdir()
    sf.write(src / "loop_plain.flac", np.zeros((int(1.5 * 8000), 1), dtype=np.float32), 8000)
    monkeypatch.setattr(loops, "SOURCES", (("sonic-pi", str(src / "loop_*.flac"), "pkg"),))
    once = loops.build(str(tmp_path / "once"), 0.0)
    repeated = loops.build(str(tmp_path / "10s"), 10.0)
    assert sf.info(once[0]["path"]).frames == int(1.5 * 8000)
    assert sf.info(repeated[0]["path"]).frames == 7 * int(1.5 * 8000)  # ceil(10 / 1.5)
    assert once[0]["loop_s"] == repeated[0]["loop_s"] == 1.5
