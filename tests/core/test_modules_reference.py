"""The tracker-module benchmark: the beat it reads from a module's rows, which modules it
scores, and what the analyzer hears in one it played."""

import struct

import numpy as np
import pytest

from benchmarks import modules
from benchmarks.modules import find_modules, play, steady_beat

pytestmark = pytest.mark.skipif(modules._library() is None,
                                reason="libopenmpt is not installed (apt-get install libopenmpt0)")

_PERIOD = 428  # C-2 in ProTracker's period table


def _cell(sample=0, period=0, effect=0, param=0) -> bytes:
    return bytes([(sample & 0xF0) | (period >> 8), period & 0xFF,
                  ((sample & 0x0F) << 4) | effect, param])


def _module(path, speeds, *, tempo=125, orders=8, every=4):
    """A four-channel ProTracker module: a click on every ``every``-th row, at ``tempo``;
    ``speeds(order, row)`` gives the ticks per row set on that row (None: unchanged)."""
    rng = np.random.default_rng(0)
    click = (rng.uniform(-1, 1, 1200) * np.exp(-np.arange(1200) / 150.0) * 120).astype(np.int8)
    head = b"test".ljust(20, b"\0")
    head += b"click".ljust(22, b"\0") + struct.pack(">HBBHH", len(click) // 2, 0, 64, 0, 1)
    head += (b"\0" * 22 + struct.pack(">HBBHH", 0, 0, 0, 0, 1)) * 30
    head += bytes([orders, 127]) + bytes(range(orders)) + bytes(128 - orders) + b"M.K."
    patterns = b""
    for order in range(orders):
        for row in range(64):
            note = _cell(1, _PERIOD) if row % every == 0 else _cell()
            speed = speeds(order, row)
            timing = _cell(effect=0xF, param=speed) if speed else _cell()
            first = _cell(effect=0xF, param=tempo) if order == row == 0 else _cell()
            patterns += note + timing + first + _cell()
    path.write_bytes(head + patterns + click.tobytes())
    return str(path)


def test_a_module_plays_at_the_beat_its_rows_state(tmp_path):
    path = _module(tmp_path / "steady.mod", lambda order, row: 6 if order == row == 0 else None)
    y, beats, why = play(path, 20.0)
    assert why == "" and y.shape == (20 * 44100, 2) and np.max(np.abs(y)) > 0.01
    bpm, steady, lo, hi = steady_beat(beats)
    assert bpm == pytest.approx(125.0, rel=1e-6) and steady == 1.0


def test_a_swing_of_alternating_speeds_averages_to_its_beat_and_a_double_speed_part_does_not():
    # rows of 8 and 4 ticks: the stated beat jumps between 93.75 and 187.5 every row
    swing = np.tile(np.r_[np.full(8, 93.75), np.full(4, 187.5)], 80)
    bpm, steady, _, _ = steady_beat(swing)
    assert bpm == pytest.approx(125.0, rel=0.01) and steady == 1.0
    halves = np.r_[np.full(800, 125.0), np.full(800, 250.0)]
    assert steady_beat(halves)[1] == pytest.approx(0.5, abs=0.05)


def test_steady_modules_are_scored_and_changing_or_short_ones_left_out(tmp_path, monkeypatch,
                                                                       capsys):
    music = tmp_path / "music"
    music.mkdir()
    _module(music / "steady.mod", lambda order, row: 6 if order == row == 0 else None)
    _module(music / "swing.mod", lambda order, row: 8 if row % 2 == 0 else 4)
    _module(music / "faster.mod", lambda order, row: (6 if order < 4 else 3) if row == 0 else None)
    _module(music / "jingle.mod", lambda order, row: 6 if order == row == 0 else None, orders=1)
    (music / "notes.txt").write_text("not a module")
    monkeypatch.setattr(modules, "FOLDERS", {"game": str(music)})
    cache = tmp_path / "cache"
    cache.mkdir()
    songs = find_modules(str(cache), 60.0)
    out = capsys.readouterr().out
    assert {s["id"]: round(s["bpm"], 1) for s in songs} == {"game/steady.mod": 125.0,
                                                              "game/swing.mod": 125.0}
    assert "game/faster.mod: tempo changes" in out
    assert "game/jingle.mod: 8 s of music, left out" in out
    assert "notes.txt" not in out
    # a second run reads what the first stored
    monkeypatch.setattr(modules, "play", lambda *a: pytest.fail("played again"))
    assert [s["id"] for s in find_modules(str(cache), 60.0)] == [s["id"] for s in songs]


def test_the_analyzer_hears_the_beat_of_a_played_module(tmp_path):
    from core.analysis.analyze import analyze_file

    path = _module(tmp_path / "steady.mod", lambda order, row: 6 if order == row == 0 else None)
    y, _, _ = play(path, 30.0)
    import soundfile as sf

    flac = tmp_path / "steady.flac"
    sf.write(flac, y, 44100)
    result = analyze_file(flac)
    assert result.bpm == pytest.approx(125.0, rel=0.02)


def test_only_takes_the_named_games_and_the_default_leaves_the_extra_ones_out(tmp_path,
                                                                              monkeypatch):
    for game in ("home", "away"):
        (tmp_path / game).mkdir()
        _module(tmp_path / game / f"{game}.mod", lambda order, row: 6 if order == row == 0 else None)
    monkeypatch.setattr(modules, "FOLDERS", {"home": str(tmp_path / "home")})
    monkeypatch.setattr(modules, "EXTRA_FOLDERS", {"away": str(tmp_path / "away")})
    cache = tmp_path / "cache"
    cache.mkdir()
    assert [s["id"] for s in find_modules(str(cache), 30.0)] == ["home/home.mod"]
    assert [s["id"] for s in find_modules(str(cache), 30.0, only=["away"])] == ["away/away.mod"]
    assert ([s["game"] for s in find_modules(str(cache), 30.0, only=["home", "away"])]
            == ["away", "home"])
    with pytest.raises(ValueError, match="no such game: elsewhere"):
        find_modules(str(cache), 30.0, only=["elsewhere"])


def test_tempo_varies_reads_the_same_games_keeps_a_changing_tempo_and_takes_only(tmp_path,
                                                                                 monkeypatch):
    from benchmarks import tempo_varies

    for game in ("home", "away"):
        (tmp_path / game).mkdir()
    _module(tmp_path / "home" / "steady.mod", lambda order, row: 6 if order == row == 0 else None)
    _module(tmp_path / "home" / "faster.mod",
            lambda order, row: (6 if order < 4 else 3) if row == 0 else None)
    _module(tmp_path / "away" / "away.mod", lambda order, row: 6 if order == row == 0 else None)
    monkeypatch.setattr(modules, "FOLDERS", {"home": str(tmp_path / "home")})
    monkeypatch.setattr(modules, "EXTRA_FOLDERS", {"away": str(tmp_path / "away")})
    cache = tmp_path / "cache"
    (cache / "modules").mkdir(parents=True)
    songs = tempo_varies._modules(str(cache), 60.0, 30.0)
    # the module whose tempo doubles, which the modules benchmark leaves out, is kept here
    assert [s["id"] for s in songs] == ["home/faster.mod", "home/steady.mod"]
    faster = songs[0]["tempi"]
    assert faster[0] == pytest.approx(125.0, rel=1e-6) and faster[1] > 200.0
    assert songs[1]["tempi"] == pytest.approx([125.0, 125.0], rel=1e-6)
    # --only: the named games alone, the extra ones included; no other set is read
    only = tempo_varies._songs(str(cache), 60.0, 30.0, ["away"])
    assert [(s["set"], s["id"]) for s in only] == [("modules", "away/away.mod")]
    with pytest.raises(SystemExit):
        tempo_varies.main(["--cache", str(cache), "--only", "elsewhere"])


def test_a_gzip_compressed_module_is_played_and_a_folder_pattern_names_its_subfolders(
        tmp_path, monkeypatch):
    import gzip

    for folder in ("inside", "outside"):
        (tmp_path / "game" / folder).mkdir(parents=True)
    _module(tmp_path / "plain.mod", lambda order, row: 6 if order == row == 0 else None)
    (tmp_path / "game" / "inside" / "music.mod.gz").write_bytes(
        gzip.compress((tmp_path / "plain.mod").read_bytes()))
    _module(tmp_path / "game" / "outside" / "music.mod",
            lambda order, row: 3 if order == row == 0 else None)
    (tmp_path / "game" / "outside" / "music.txt.gz").write_bytes(gzip.compress(b"notes"))
    monkeypatch.setattr(modules, "EXTRA_FOLDERS", {"game": str(tmp_path / "game" / "*")})
    assert [ident for _, ident, _ in modules.module_files(only=["game"])] == [
        "game/inside/music.mod.gz", "game/outside/music.mod"]
    cache = tmp_path / "cache"
    cache.mkdir()
    songs = find_modules(str(cache), 30.0, only=["game"])
    assert {s["id"]: round(s["bpm"], 1) for s in songs} == {"game/inside/music.mod.gz": 125.0,
                                                              "game/outside/music.mod": 250.0}


def test_a_module_compressed_under_a_name_in_capitals_is_unpacked_too(tmp_path, monkeypatch):
    """module_files takes ``.MOD.GZ`` as it takes ``.mod.gz`` (names in any case); it was
    then played packed, and left out as no module."""
    import gzip

    (tmp_path / "game").mkdir()
    _module(tmp_path / "plain.mod", lambda order, row: 6 if order == row == 0 else None)
    (tmp_path / "game" / "SONG.MOD.GZ").write_bytes(
        gzip.compress((tmp_path / "plain.mod").read_bytes()))
    monkeypatch.setattr(modules, "EXTRA_FOLDERS", {"game": str(tmp_path / "game")})
    assert [ident for _, ident, _ in modules.module_files(only=["game"])] == ["game/SONG.MOD.GZ"]
    cache = tmp_path / "cache"
    cache.mkdir()
    songs = find_modules(str(cache), 30.0, only=["game"])
    assert {s["id"]: round(s["bpm"], 1) for s in songs} == {"game/SONG.MOD.GZ": 125.0}
