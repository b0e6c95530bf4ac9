"""The recordings benchmark: which charted songs it scores, at what tempo, and their mix."""

import mido
import numpy as np
import pytest
import soundfile as sf

from benchmarks.recordings import find_blupi, find_songs, mix

SR = 22050


def _chart(path, bpm, change=None, beats=200):
    """A chart of a note on every beat; ``change`` = (beat, BPM) changes the tempo there."""
    mid = mido.MidiFile(type=1, ticks_per_beat=480)
    meta = mido.MidiTrack([mido.MetaMessage("set_tempo", tempo=mido.bpm2tempo(bpm))])
    if change is not None:
        meta.append(mido.MetaMessage("set_tempo", tempo=mido.bpm2tempo(change[1]),
                                     time=change[0] * 480))
    notes = mido.MidiTrack()
    for _ in range(beats):
        notes.append(mido.Message("note_on", note=96, velocity=100, time=0))
        notes.append(mido.Message("note_off", note=96, velocity=0, time=480))
    mid.tracks += [meta, notes]
    mid.save(path)


def _song(root, package, name, stems, bpm=150.0, change=None):
    folder = root / package / name
    folder.mkdir(parents=True)
    for stem, y in stems.items():
        sf.write(folder / f"{stem}.ogg", y, SR)
    if bpm is not None:
        _chart(folder / "notes.mid", bpm, change)
    return folder


def test_the_chart_gives_the_tempo_and_unusable_songs_are_left_out(tmp_path, capsys):
    tone = 0.1 * np.sin(np.linspace(0, 2000, SR * 2)).astype(np.float32)
    _song(tmp_path, "band", "steady", {"song": tone, "guitar": tone}, bpm=172.0)
    _song(tmp_path, "band", "speeds up", {"song": tone}, bpm=120.0, change=(60, 150.0))
    _song(tmp_path, "band", "no chart", {"song": tone}, bpm=None)
    _song(tmp_path, "other", "no stems", {}, bpm=100.0)
    songs = find_songs(str(tmp_path / "*" / "*") + "/")
    assert [s["id"] for s in songs] == ["band/steady"]
    assert songs[0]["bpm"] == pytest.approx(172.0, abs=0.01)
    assert songs[0]["package"] == "band" and len(songs[0]["stems"]) == 2
    out = capsys.readouterr().out
    assert "band/speeds up: tempo changes" in out
    assert "band/no chart: no stems or no chart" in out
    assert "other/no stems: no stems or no chart" in out


def test_the_mix_is_the_sum_of_the_stems_scaled_only_when_it_would_clip(tmp_path):
    t = np.arange(SR) / SR
    a = (0.3 * np.sin(2 * np.pi * 220 * t)).astype(np.float32)
    b = np.stack([0.2 * np.sin(2 * np.pi * 330 * t)] * 2, axis=1)[: SR // 2].astype(np.float32)
    folder = _song(tmp_path, "band", "quiet", {"guitar": b, "song": a})
    song = {"id": "band/quiet", "stems": sorted(str(p) for p in folder.glob("*.ogg"))}
    y, sr = sf.read(mix(song, str(tmp_path)), always_2d=True)
    assert sr == SR and y.shape == (SR, 2)  # the longer stem's length; mono spread to both
    want = np.repeat(sf.read(song["stems"][1], always_2d=True)[0], 2, axis=1)
    want[: SR // 2] += sf.read(song["stems"][0], always_2d=True)[0]
    assert np.abs(y - want).max() < 1e-3  # unscaled, to the 16-bit FLAC's step

    loud = _song(tmp_path, "band", "loud", {"a": 0.8 * np.sign(a), "b": 0.8 * np.sign(a)})
    song = {"id": "band/loud", "stems": sorted(str(p) for p in loud.glob("*.ogg"))}
    y, _ = sf.read(mix(song, str(tmp_path)))
    assert 0.99 < np.abs(y).max() <= 1.0  # scaled down to just under full scale


def test_planet_blupi_recordings_take_the_tempo_of_their_midi_file(tmp_path, capsys):
    tone = 0.1 * np.sin(np.linspace(0, 2000, SR * 2)).astype(np.float32)
    for name in ("music000", "music001", "music002"):
        sf.write(tmp_path / f"{name}.ogg", tone, SR)
    _chart(tmp_path / "music000.mid", 96.1)
    _chart(tmp_path / "music001.mid", 120.0, change=(60, 140.0))
    songs = find_blupi(str(tmp_path / "*.ogg"))
    assert [(s["id"], s["package"], s["path"]) for s in songs] == [
        ("planetblupi/music000", "planetblupi", str(tmp_path / "music000.ogg"))]
    assert songs[0]["bpm"] == pytest.approx(96.1, abs=0.01)
    out = capsys.readouterr().out
    assert "planetblupi/music001: tempo changes" in out
    assert "planetblupi/music002: no MIDI file beside it, left out" in out
