"""The songs MMA writes for the MIDI-songs benchmark: the groove a style file is named for,
the tempo drawn for it, the bars checked against the time signature, and the MIDI the
``mma`` program writes from a song of a few bars."""

import io
import math

import mido
import pytest

from benchmarks import midisongs, mmasongs
from benchmarks.midisongs import find_songs, notated_tempo
from benchmarks.mmasongs import bar_mismatch, compile_song, groove_song, groove_tempo, main_groove

needs_mma = pytest.mark.skipif(not mmasongs.available(),
                               reason="the mma program is not installed (apt-get install mma)")

#: A groove of its own (so no style library is needed): kick and snare, and a bass on the
#: chord's root and fifth, every part with random touches of timing and velocity.
_GROOVE = """SeqClear
SeqSize 1
Time {time}
Timesig {sig}
Begin Drum-Kick
    Tone KickDrum1
    Sequence {{1 0 100; 3 0 100}}
    RTime 10
    RVolume 20
End
Begin Drum-Snare
    Tone SnareDrum1
    Sequence {{2 0 90; 4 0 90}}
    RTime 10
End
Begin Bass
    Voice AcousticBass
    Octave 3
    Sequence {{1 4 1 90; 3 4 5 90}}
    RTime 10
End
DefGroove {name}   A groove of the test
"""


def _song(bpm=137, bars=16, time=4, sig="4 4", name="Test"):
    chords = ("C", "F", "G", "C")
    return (_GROOVE.format(time=time, sig=sig, name=name) + f"Groove {name}\nTempo {bpm}\n"
            + "".join(f"{i + 1} {chords[i % 4]}\n" for i in range(bars)))


def test_the_main_groove_is_the_one_named_as_the_file_else_the_first():
    style = ("// a style\nDefGroove SwingIntro  An intro\n  defgroove   swing  The groove\n"
             "DefGroove SwingEnd An ending\n")
    assert main_groove(style, "Swing") == "swing"  # any case, any indent
    assert main_groove(style, "jazz") == "SwingIntro"
    assert main_groove("Begin Drum Define\nEnd\n// DefGroove Commented\n", "pats") is None


def test_the_tempo_of_a_groove_is_drawn_once_for_all_log_uniform_from_60_to_200():
    # the draw is part of the reference: a change would move the truth of every groove song
    assert groove_tempo("stdlib", "bossanova") == groove_tempo("stdlib", "bossanova")
    assert [groove_tempo("stdlib", n) for n in ("bossanova", "swing", "rhumba")] == [190, 174, 93]
    assert groove_tempo("casio", "swing") != groove_tempo("stdlib", "swing")
    tempos = [groove_tempo("lib", f"groove{i}") for i in range(2000)]
    assert min(tempos) >= 60 and max(tempos) <= 200
    # log-uniform: a third below 90 BPM, a quarter above 150
    below = sum(t < 90 for t in tempos) / len(tempos)
    above = sum(t > 150 for t in tempos) / len(tempos)
    assert below == pytest.approx(math.log(90 / 60) / math.log(200 / 60), abs=0.04)
    assert above == pytest.approx(math.log(200 / 150) / math.log(200 / 60), abs=0.04)


def test_a_groove_song_plays_the_progression_a_chord_to_a_bar():
    text = groove_song("casio/16beat1", "16Beat1", 96, bars=10)
    lines = text.splitlines()
    assert lines[:3] == ["Use casio/16beat1", "Groove 16Beat1", "Tempo 96"]
    assert lines[3:] == [f"{i + 1} {c}" for i, c in
                         enumerate(mmasongs.PROGRESSION + mmasongs.PROGRESSION[:2])]


def _bars(numerator, denominator, quarters, bars=8):
    """A file of ``bars`` bars of ``quarters`` quarter notes under ``numerator/denominator``."""
    mid = mido.MidiFile(type=1, ticks_per_beat=192)
    track = mido.MidiTrack([mido.MetaMessage("time_signature", numerator=numerator,
                                             denominator=denominator)])
    for _ in range(bars):
        track.append(mido.Message("note_on", note=60, velocity=90, time=0))
        track.append(mido.Message("note_on", note=60, velocity=0, time=int(quarters * 192)))
    mid.tracks.append(track)
    return mid


def test_bars_that_do_not_last_as_the_time_signature_says_are_named():
    assert bar_mismatch(_bars(4, 4, 4), 8) == ""
    assert bar_mismatch(_bars(3, 4, 3), 8) == ""
    assert bar_mismatch(_bars(6, 8, 3), 8) == ""  # a 6/8 bar is three quarter notes
    # MMA's 6/8 grooves that write each eighth note as a quarter
    assert bar_mismatch(_bars(6, 8, 6), 8) == ("bars of 6.0 quarter notes under a time "
                                               "signature of 6/8 (3)")
    assert "4/4" in bar_mismatch(_bars(4, 4, 3), 8)  # a waltz under 4/4
    assert bar_mismatch(_bars(4, 4, 4.3), 8) == ""  # last notes ringing on
    two = _bars(4, 4, 4)
    two.tracks[0].insert(3, mido.MetaMessage("time_signature", numerator=3, denominator=4))
    assert bar_mismatch(two, 8) == "time signature changes: 3/4, 4/4"


@needs_mma
def test_mma_writes_the_song_at_its_tempo_the_same_on_every_run(tmp_path):
    data, why = compile_song(_song(bpm=137), folder=str(tmp_path))
    assert why == ""
    mid = mido.MidiFile(file=io.BytesIO(data))
    assert notated_tempo(mid, 180.0) == (pytest.approx(137.0, abs=0.01), "")
    assert mid.length == pytest.approx(16 * 4 * 60 / 137, abs=0.5)
    # its random touches are seeded: the same bytes again; MMA's text events are dropped
    assert compile_song(_song(bpm=137), folder=str(tmp_path))[0] == data
    assert not [m for t in mid.tracks for m in t if m.type in ("text", "lyrics")]
    notes = [m for t in mid.tracks for m in t if m.type == "note_on" and m.velocity > 0]
    assert len(notes) == 16 * 6


@needs_mma
def test_a_song_mma_cannot_write_or_writes_under_another_metre_is_left_out(tmp_path):
    data, why = compile_song("Tempo 120\n1 C\n", folder=str(tmp_path))
    assert data is None and why.startswith("mma wrote no MIDI (")
    # six quarter notes to a bar under a 6/8 time signature
    data, why = compile_song(_song(time=6, sig="6 8"), folder=str(tmp_path))
    assert data is None and why.startswith("bars of 5.") and why.endswith("of 6/8 (3)")


@needs_mma
def test_a_style_library_gives_a_song_on_each_main_groove(tmp_path, monkeypatch, capsys):
    library = tmp_path / "lib"
    (library / "mine").mkdir(parents=True)
    (library / "mine" / "test.mma").write_text(_GROOVE.format(time=4, sig="4 4", name="TestIntro")
                                               + _GROOVE.format(time=4, sig="4 4", name="Test"))
    (library / "mine" / "metronome.mma").write_text(_GROOVE.format(time=4, sig="4 4", name="Tick"))
    (library / "mine" / "pats.mma").write_text("// patterns only\n")
    monkeypatch.setattr(mmasongs, "LIBRARY", str(library))
    monkeypatch.setattr(midisongs, "COLLECTIONS", {})
    monkeypatch.setattr(midisongs, "EXTRA_COLLECTIONS",
                        {"mma-mine": (str(library / "mine" / "*.mma"), "mma")})
    songs = find_songs(180.0, only=["mma-mine"])
    out = capsys.readouterr().out
    assert [s["id"] for s in songs] == ["mma-mine/test"]
    assert songs[0]["bpm"] == pytest.approx(groove_tempo("mine", "test"), abs=0.01)
    assert "mma-mine/metronome: a metronome's click, no music, left out" in out
    assert "mma-mine/pats: defines no groove, left out" in out


@needs_mma
def test_example_songs_are_named_by_their_folder_and_a_second_version_is_left_out(
        tmp_path, monkeypatch, capsys):
    examples = tmp_path / "examples"
    for folder in ("one", "two"):
        (examples / folder).mkdir(parents=True)
    (examples / "one" / "song.mma").write_text(_song(bpm=84))
    (examples / "two" / "song.mma").write_text(_song(bpm=168))
    (examples / "two" / "again.mma").write_text(_song(bpm=168, bars=20))
    monkeypatch.setattr(mmasongs, "EXAMPLES", str(examples))
    monkeypatch.setattr(mmasongs, "VARIANTS", {"two/again": "two/song"})
    monkeypatch.setattr(midisongs, "EXTRA_COLLECTIONS",
                        {"mma-ex": ((str(examples / "*" / "*.mma"),), "mma")})
    songs = find_songs(180.0, only=["mma-ex"])
    assert {s["id"]: round(s["bpm"]) for s in songs} == {"mma-ex/one/song": 84,
                                                          "mma-ex/two/song": 168}
    assert "mma-ex/two/again: another version of two/song, left out" in capsys.readouterr().out


def test_without_mma_a_collection_of_mma_files_is_named_and_skipped(tmp_path, monkeypatch,
                                                                    capsys):
    (tmp_path / "song.mma").write_text(_song())
    monkeypatch.setattr(mmasongs, "available", lambda: False)
    monkeypatch.setattr(midisongs, "EXTRA_COLLECTIONS",
                        {"mma-ex": (str(tmp_path / "*.mma"), "mma")})
    assert find_songs(180.0, only=["mma-ex"]) == []
    assert "mma-ex: the mma program is missing: apt-get install mma" in capsys.readouterr().out


def test_a_song_mma_does_not_finish_is_left_out_and_the_run_goes_on(tmp_path, monkeypatch):
    """mma stuck on one song raised TimeoutExpired out of the benchmark, its other songs
    unread: the song is left out, saying why."""
    import subprocess

    def stuck(args, **kwargs):
        raise subprocess.TimeoutExpired(args, kwargs["timeout"])

    monkeypatch.setattr(mmasongs.subprocess, "run", stuck)
    assert compile_song(_song(), folder=str(tmp_path)) == (
        None, "mma wrote no MIDI within 300 s")
