"""The command line's own rule on outputs (:func:`core.cli.guard.protect_user_files`): what
an engineer keeps beside the results is never written over, each refusal in its own words."""

import sqlite3

from core.cli.guard import protect_user_files
from tests.audio_files import tone, write_audio


def test_an_audio_name_is_refused_but_a_mac_resource_fork_is_not(tmp_path):
    assert protect_user_files(str(tmp_path / "mix.flac")) == (
        "the name ends in '.flac', an audio file; SongCal writes CSV and JSON files only")
    assert protect_user_files(str(tmp_path / "._mix.flac")) is None
    assert protect_user_files(str(tmp_path / "results.csv")) is None


def test_an_audio_file_under_another_name_is_refused(tmp_path):
    song = write_audio(tmp_path / "song.wav", tone(440.0, 0.5, 8000), 8000)
    renamed = tmp_path / "results.csv"
    song.rename(renamed)
    assert protect_user_files(str(renamed)) == (
        "the file holds WAV audio; SongCal will not write over it")


def _database(path):
    con = sqlite3.connect(path)
    con.execute("create table t (x)")
    con.commit()
    con.close()
    return str(path)


def test_a_database_is_kept_unless_it_is_the_store_asked_for(tmp_path):
    db = _database(tmp_path / "songs.csv")
    assert protect_user_files(db) == (
        "the file is a database (a session store holds the user's songs and corrections); "
        "SongCal will not write over it")
    assert protect_user_files(db, database=True) == (
        "the file is not a SongCal session store: another program's database (tables t); "
        "give a store this SongCal made, or a new file name")


def test_a_store_must_be_a_database(tmp_path):
    text = tmp_path / "store.sqlite"
    text.write_text("title,bpm\n")
    assert protect_user_files(str(text), database=True) == (
        "the file is not a session store (not an SQLite database); give a store SongCal made, "
        "or a new file name")
    empty = tmp_path / "new.sqlite"
    empty.write_bytes(b"")
    assert protect_user_files(str(empty), database=True) is None


def test_text_that_only_looks_like_audio_in_its_first_bytes_is_let_through(tmp_path):
    # UTF-16 text whose first bytes read as an MPEG sync word, with no MPEG frames after
    text = tmp_path / "notes.csv"
    text.write_bytes(b"\xff\xfb" + "title,bpm\n".encode("utf-16-le") * 40)
    assert protect_user_files(str(text)) is None
    plain = tmp_path / "old.csv"
    plain.write_text("title,bpm\n" + "x,1\n" * 100)
    assert protect_user_files(str(plain)) is None


def test_a_movie_box_that_runs_past_the_first_64_bytes_is_taken_for_audio(tmp_path):
    # A QuickTime file may start with a 'wide' or 'mdat' box; the guard reads 64 bytes and
    # trusts a box that runs past them, where the next box's name cannot be seen.
    import struct

    def movie(size: int):
        path = tmp_path / f"box{size}.csv"
        path.write_bytes(struct.pack(">I", size) + b"mdat" + b"\0" * (size - 8)
                         + b"\x01\x02\x03\x04\x05\x06\x07\x08" + b"\0" * 200)
        return str(path)

    for size in (57, 100):
        assert protect_user_files(movie(size)) == (
            "the file holds MP4 audio; SongCal will not write over it"), size
    # a box that ends within them must lead to another named box
    assert protect_user_files(movie(40)) is None
