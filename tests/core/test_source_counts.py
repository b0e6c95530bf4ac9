"""Counting the songs a source of the song benchmarks gives, and their tempo bands, from
the files alone: MIDI tempo maps and the beat of a module's rows."""

import pytest

from benchmarks import midisongs, modules, source_counts
from tests.core.test_midisongs_reference import _bytes, _collection, _song
from tests.core.test_modules_reference import _module


def test_tempos_are_counted_in_bands_of_20_bpm():
    assert source_counts.bands([59.9, 60.0, 79.9, 150.0, 151.0, 245.0]) == {
        40: 1, 60: 2, 140: 2, 240: 1}
    assert source_counts.bands([]) == {}


@pytest.mark.skipif(modules._library() is None, reason="libopenmpt is not installed")
def test_a_count_reads_midi_tempo_maps_and_module_rows_and_keeps_no_audio(tmp_path,
                                                                          monkeypatch, capsys):
    monkeypatch.setattr(midisongs, "EXTRA_COLLECTIONS", {"songs": (_collection(
        tmp_path, "songs", {"slow": _bytes(_song(72.0)), "short": _bytes(_song(seconds=8.0))}),
        "pkg")})
    folder = tmp_path / "mods"
    folder.mkdir()
    _module(folder / "steady.mod", lambda order, row: 6 if order == row == 0 else None)
    _module(folder / "fast.mod", lambda order, row: 3 if order == row == 0 else None)
    _module(folder / "jingle.mod", lambda order, row: 6 if order == row == 0 else None,
            orders=1)
    monkeypatch.setattr(modules, "EXTRA_FOLDERS", {"game": str(folder)})
    monkeypatch.setattr(modules, "store", lambda *a: pytest.fail("audio stored"))
    kept = source_counts.count(["songs", "game"], 60.0)
    assert {name: [(i, round(b, 1)) for i, b in songs] for name, songs in kept.items()} == {
        "songs": [("songs/slow", 72.0)],
        "game": [("game/fast.mod", 250.0), ("game/steady.mod", 125.0)]}
    out = capsys.readouterr().out
    assert "songs/short: 8 s of notes, left out" in out
    assert "game/jingle.mod: 8 s of music, left out" in out
    assert list(tmp_path.rglob("*.flac")) == []
    with pytest.raises(ValueError, match="no such source: elsewhere"):
        source_counts.count(["elsewhere"], 60.0)


def test_the_printout_gives_each_source_its_bands(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(midisongs, "EXTRA_COLLECTIONS", {"songs": (_collection(
        tmp_path, "songs", {"a": _bytes(_song(72.0)), "b": _bytes(_song(75.0)),
                            "c": _bytes(_song(160.0))}), "pkg")})
    assert source_counts.main(["songs"]) == 0
    out = capsys.readouterr().out
    assert "songs               3   60-80: 2  160-180: 1" in out
    assert "below 90 BPM: 2, above 150 BPM: 1" in out
