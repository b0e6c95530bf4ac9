"""Title and artist from tags and from file names."""

from __future__ import annotations

import unicodedata

import pytest

from core.io.tags import identity_from_name, read_title_artist
from tests.audio_files import tone, write_audio, write_tags

SR = 22050


@pytest.mark.parametrize(("name", "title", "artist"), [
    ("007_Daft Punk_One More Time.mp3", "One More Time", "Daft Punk"),
    ("007_Daft_Punk__One_More_Time.mp3", "One More Time", "Daft Punk"),
    ("007_Daft_Punk_One_More_Time.mp3", "Daft Punk One More Time", ""),
    ("12_Adele_Hello.flac", "Hello", "Adele"),
    ("01_Intro.mp3", "Intro", ""),
    ("07_Sweet Dreams.flac", "Sweet Dreams", ""),
    ("007_Daft Punk_One More Time_Radio Edit.wav", "One More Time Radio Edit", "Daft Punk"),
    ("Daft Punk - One More Time.mp3", "One More Time", "Daft Punk"),
    ("Daft Punk \u2013 One More Time.mp3", "One More Time", "Daft Punk"),
    ("03 - Daft Punk - One More Time.m4a", "One More Time", "Daft Punk"),
    ("03 - One More Time.m4a", "One More Time", ""),
    ("03. One More Time.ogg", "One More Time", ""),
    ("03) One More Time.ogg", "One More Time", ""),
    ("03 One More Time.ogg", "One More Time", ""),
    ("01. Daft Punk - One More Time.mp3", "One More Time", "Daft Punk"),
    ("99 Problems.mp3", "99 Problems", ""),
    ("One More Time.mp3", "One More Time", ""),
    ("  Spaced   Out  .wav", "Spaced Out", ""),
    ("AC-DC - Back In Black.mp3", "Back In Black", "AC-DC"),
    ("Artist - Title - Live.mp3", "Title - Live", "Artist"),
    ("/some/folder/Artist - Title.flac", "Title", "Artist"),
    ("[03] Daft Punk - One More Time.mp3", "One More Time", "Daft Punk"),
    ("(03) One More Time.mp3", "One More Time", ""),
    ("Daft_Punk_-_One_More_Time.mp3", "One More Time", "Daft Punk"),
    ("One_More_Time.mp3", "One More Time", ""),
    ("(I Can't Get No) Satisfaction.mp3", "(I Can't Get No) Satisfaction", ""),
])
def test_identity_from_name_shapes(name, title, artist):
    assert identity_from_name(name) == (title, artist)


def test_name_is_nfc_normalized():
    decomposed = unicodedata.normalize("NFD", "Beyonc\u00e9 - \u00c7a ira.flac")
    title, artist = identity_from_name(decomposed)
    assert (title, artist) == ("\u00c7a ira", "Beyonc\u00e9")
    assert unicodedata.is_normalized("NFC", title + artist)


@pytest.mark.parametrize("ext", [".mp3", ".flac", ".ogg", ".wav", ".aiff", ".m4a"])
def test_tags_win_over_name(tmp_path, ext):
    path = write_audio(tmp_path / f"01 - Wrong Artist - Wrong Title{ext}", tone(440, 0.5, SR), SR)
    write_tags(path, title="  Ça ira 日本 ", artist="Beyoncé")
    assert read_title_artist(path) == ("Ça ira 日本", "Beyoncé")


def test_missing_tag_field_falls_back_to_name(tmp_path):
    path = write_audio(tmp_path / "Name Artist - Name Title.flac", tone(440, 0.5, SR), SR)
    write_tags(path, title="Tag Title")
    assert read_title_artist(path) == ("Tag Title", "Name Artist")


def test_untagged_file_uses_name(tmp_path):
    path = write_audio(tmp_path / "007_Daft Punk_One More Time.mp3", tone(440, 0.5, SR), SR)
    assert read_title_artist(path) == ("One More Time", "Daft Punk")


def test_corrupt_file_still_gets_name(tmp_path):
    path = tmp_path / "Artist - Title.mp3"
    path.write_bytes(b"ID3\x04\x00\x00\x7f\x7f\x7f\x7f" + b"\xff" * 300)
    assert read_title_artist(path) == ("Title", "Artist")


def test_missing_file_gets_name(tmp_path):
    assert read_title_artist(tmp_path / "Artist - Title.wav") == ("Title", "Artist")


def test_wav_info_chunk_is_read(tmp_path):
    import soundfile as sf

    path = tmp_path / "x.wav"
    with sf.SoundFile(path, "w", SR, 1, format="WAV") as f:
        f.title, f.artist = "Info Title", "Info Artist"
        f.write(tone(440, 0.5, SR))
    assert read_title_artist(path) == ("Info Title", "Info Artist")
