"""Title and artist from tags and from file names."""

from __future__ import annotations

import unicodedata

import pytest

from core.io.tags import MAX_TAG_CHARS, identity_from_name, read_title_artist
from tests.audio_files import tone, write_audio, write_tags
from tests.core.held_files import hold_file

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


@pytest.mark.parametrize("ext", [".mp3", ".flac", ".m4a"])
def test_a_huge_tag_is_cut(tmp_path, ext):
    """A title tag of a million characters was kept whole: the table laid it out on every
    repaint and each CSV row repeated it."""
    path = write_audio(tmp_path / f"Name Artist - Name Title{ext}", tone(440, 0.5, SR), SR)
    write_tags(path, title="Long " * 200_000, artist="Band")
    title, artist = read_title_artist(path)
    assert MAX_TAG_CHARS - 2 <= len(title) <= MAX_TAG_CHARS and title.startswith("Long Long ")
    assert title.endswith("\u2026") and artist == "Band"


@pytest.mark.parametrize(("encoding", "title"), [("cp1252", "Beyoncé – Déjà Vu"),
                                                 ("utf-8", "Ça ira 日本")])
def test_wav_info_chunk_in_a_windows_code_page_is_read(tmp_path, encoding, title):
    """A WAV's INFO list holds the bytes of the writing program's code page: cp1252 read as
    UTF-8 gave 'Beyonc\ufffd \ufffd D\ufffdj\ufffd Vu'."""
    import struct

    import soundfile as sf

    path = tmp_path / "x.wav"
    sf.write(path, tone(440, 0.5, SR), SR, subtype="PCM_16")
    text = title.encode(encoding) + b"\0"
    name = b"INAM" + struct.pack("<I", len(text)) + text + b"\0" * (len(text) & 1)
    info = b"LIST" + struct.pack("<I", 4 + len(name)) + b"INFO" + name
    data = path.read_bytes() + info
    path.write_bytes(data[:4] + struct.pack("<I", len(data) - 8) + data[8:])
    assert read_title_artist(path)[0] == title


def test_control_characters_in_tags_are_left_out(tmp_path):
    """A terminal escape sequence or a bell in a tag was kept: boxes in the table, colours
    or worse on a terminal showing the CSV."""
    path = write_audio(tmp_path / "x.m4a", tone(440, 0.5, SR), SR)
    write_tags(path, title="Line1\nLine2\x1b[31mred\x07", artist="\x00Band\x9b")
    assert read_title_artist(path) == ("Line1 Line2[31mred", "Band")


def test_apev2_tag_of_an_mp3_is_read(tmp_path):
    """foobar2000 and Mp3tag can tag an MP3 with APEv2 alone: the title came from the file
    name."""
    from mutagen.apev2 import APEv2

    path = write_audio(tmp_path / "Name Artist - Name Title.mp3", tone(440, 0.5, SR), SR)
    tag = APEv2()
    tag["Title"], tag["Artist"] = "Ape Title", "Ape Artist"
    tag.save(path)
    assert read_title_artist(path) == ("Ape Title", "Ape Artist")


def _id3(version: int, frames: list[tuple[bytes, bytes]], stated: int | None = None) -> bytes:
    """An ID3v2.``version`` tag of ``frames`` (id, body) whose header states ``stated``
    bytes (its true size by default)."""
    def size(n: int, safe: bool) -> bytes:
        return bytes((n >> s) & 0x7F for s in (21, 14, 7, 0)) if safe else n.to_bytes(4, "big")

    if version == 2:
        body = b"".join(fid[:3] + len(data).to_bytes(3, "big") + data for fid, data in frames)
    else:
        body = b"".join(fid + size(len(data), version == 4) + b"\x00\x00" + data
                        for fid, data in frames)
    return b"ID3" + bytes((version, 0, 0)) + size(len(body) if stated is None else stated,
                                                   True) + body


@pytest.mark.parametrize("version", [2, 3, 4])
def test_id3_tag_stating_a_size_past_the_end_still_gives_its_title(tmp_path, version):
    """A tag stating 268 MB before the audio: mutagen fails, and the file name was used."""
    song = write_audio(tmp_path / "song.mp3", tone(440, 0.5, SR), SR)
    names = (b"TT2", b"TP1") if version == 2 else (b"TIT2", b"TPE1")
    path = tmp_path / "Name Artist - Name Title.mp3"
    path.write_bytes(_id3(version, [(names[0], b"\x03Tag Title"), (names[1], b"\x03Tag Band")],
                          stated=2**28 - 1) + bytes(100) + song.read_bytes())
    assert read_title_artist(path) == ("Tag Title", "Tag Band")


@pytest.mark.parametrize("first", [True, False])
def test_id3_tag_of_thousands_of_frames_gives_its_title(tmp_path, first):
    """The title and artist frames alone are read of a tag of 3,000 frames (mutagen parses
    20,000 in 0.28 s: python -m benchmarks.id3_tags), wherever they are."""
    song = write_audio(tmp_path / "song.mp3", tone(440, 0.5, SR), SR)
    notes = [(b"TXXX", b"\x03note%d\x00%d" % (k, k)) for k in range(3000)]
    named = [(b"TIT2", b"\x03Tag Title"), (b"TPE1", b"\x01\xff\xfeB\x00e\x00y\x00\xe9\x00")]
    path = tmp_path / "Name Artist - Name Title.mp3"
    path.write_bytes(_id3(4, named + notes if first else notes + named) + song.read_bytes())
    assert read_title_artist(path) == ("Tag Title", "Bey\u00e9")


@pytest.mark.parametrize("ext", ["flac", "ogg", "opus"])
def test_vorbis_comment_in_a_windows_code_page_is_read(tmp_path, ext):
    """Vorbis comments are UTF-8 by their format, but some programs write their code page:
    'Beyonc\ufffd \ufffd D\ufffdj\ufffd Vu' as mutagen decodes it; the bytes are read as
    cp1252, as a WAV's INFO text is.  A comment that is UTF-8 is left as it is."""
    title, artist = "Beyoncé – Déjà Vu", "Sigur Rós"
    rate = 48000 if ext == "opus" else SR
    path = write_audio(tmp_path / f"x.{ext}", tone(440, 0.5, rate), rate)
    write_tags(path, title="T" * len(title.encode("cp1252")), artist="Ros\u00e9 Band")
    data = path.read_bytes().replace(b"T" * len(title.encode("cp1252")), title.encode("cp1252"))
    path.write_bytes(data)
    assert read_title_artist(path) == (title, "Ros\u00e9 Band")
    write_tags(path, title="Plain", artist="A" * len(artist.encode("cp1252")))
    data = path.read_bytes().replace(b"A" * len(artist.encode("cp1252")), artist.encode("cp1252"))
    path.write_bytes(data)
    assert read_title_artist(path) == ("Plain", artist)


def test_id3_tag_before_a_flac_header_gives_its_title(tmp_path):
    """Some taggers put an ID3 tag before a FLAC's own header: libsndfile reads the audio
    after it, but mutagen reads FLAC tags only, and the file name was used."""
    song = write_audio(tmp_path / "song.flac", tone(440, 0.5, SR), SR)
    path = tmp_path / "Name Artist - Name Title.flac"
    path.write_bytes(_id3(3, [(b"TIT2", b"\x03Tag Title"), (b"TPE1", b"\x03Tag Band")])
                     + song.read_bytes())
    assert read_title_artist(path) == ("Tag Title", "Tag Band")


def _with_header(tag: bytes, flags: int, extended: bytes = b"", stated: int = 2**28 - 1) -> bytes:
    """``tag`` (from :func:`_id3`) with the flags byte ``flags``, ``extended`` (an extended
    header) before its frames, and a header stating ``stated`` bytes."""
    size = bytes((stated >> s) & 0x7F for s in (21, 14, 7, 0))
    return tag[:5] + bytes((flags,)) + size + extended + tag[10:]


@pytest.mark.parametrize(("version", "flags", "extended"), [
    (3, 0x40, b"\x00\x00\x00\x06" + bytes(6)),  # its size leaves out itself
    (3, 0x40, b"\x00\x00\x00\x0a\x80\x00" + bytes(8)),  # with a CRC
    (4, 0x40, b"\x00\x00\x00\x06\x01\x00"),  # its size, syncsafe, counts itself
    (4, 0x80, b""),  # unsynchronised (no byte to unsynchronise in these frames)
    (3, 0x0F, b""),  # flag bits no version defines
    (2, 0x40, b""),  # ID3v2.2 has no extended header: this bit is its compression, unused
])
def test_id3_tag_with_flags_stating_a_size_past_the_end_still_gives_its_title(
        tmp_path, version, flags, extended):
    """The frames of a tag that mutagen cannot read are found after its extended header;
    the other flags do not hide them."""
    song = write_audio(tmp_path / "song.mp3", tone(440, 0.5, SR), SR)
    names = (b"TT2", b"TP1") if version == 2 else (b"TIT2", b"TPE1")
    tag = _id3(version, [(names[0], b"\x03Tag Title"), (names[1], b"\x03Tag Band")])
    path = tmp_path / "Name Artist - Name Title.mp3"
    path.write_bytes(_with_header(tag, flags, extended) + bytes(100) + song.read_bytes())
    assert read_title_artist(path) == ("Tag Title", "Tag Band")


def test_id3_tag_ends_after_its_footer_only():
    """A footer (flag 0x10, ID3v2.4) adds 10 bytes to the size the header states; no other
    flag bit does."""
    from core.io.id3 import stated_end

    assert stated_end(b"ID3\x04\x00\x10\x00\x00\x01\x00") == 10 + 128 + 10
    assert stated_end(b"ID3\x04\x00\x0f\x00\x00\x01\x00") == 10 + 128
    assert stated_end(b"ID3\x04\x00\x00\x10\x00\x01\x00") == 10 + (0x10 << 21) + 128


@pytest.mark.parametrize("head", [b"ID3\x05\x00\x00\x00\x00\x00\x14",  # no such version
                                  b"\xff\xfb\x90\x04\x00\x00\x00\x00\x00\x14"])  # no tag
def test_no_id3_tag_is_walked_where_there_is_none(tmp_path, head):
    from core.io.id3 import id3_tag

    path = tmp_path / "x.mp3"
    path.write_bytes(head + b"TIT2\x00\x00\x00\x04\x00\x00\x03abc" + bytes(100))
    assert id3_tag(str(path)) is None


@pytest.mark.parametrize("version", [2, 3, 4])
def test_id3_tag_stating_a_size_past_the_end_with_a_large_picture_gives_its_title(
        tmp_path, version):
    """Frame sizes over 127 bytes differ between ID3v2.4 (syncsafe: 7 bits a byte) and
    ID3v2.3 (32 bits), and ID3v2.2 gives them in 3 bytes: a picture of 70,001 bytes before
    the title is stepped over in each."""
    song = write_audio(tmp_path / "song.mp3", tone(440, 0.5, SR), SR)
    pic, title, artist = (b"PIC", b"TT2", b"TP1") if version == 2 else (b"APIC", b"TIT2", b"TPE1")
    picture = (b"\x00JPG\x03\x00" if version == 2 else b"\x00image/jpeg\x00\x03\x00") + bytes(70_001)
    picture = picture[:70_001]
    frames = [(pic, picture), (title, b"\x03Tag Title"), (artist, b"\x03Tag Band")]
    path = tmp_path / "Name Artist - Name Title.mp3"
    path.write_bytes(_id3(version, frames, stated=2**28 - 1) + bytes(100) + song.read_bytes())
    assert read_title_artist(path) == ("Tag Title", "Tag Band")


def test_id3_tag_walk_ends_at_the_stated_end_and_copies_the_frames_asked_for(tmp_path):
    """A tag without padding, its last frame empty, then bytes that read as a frame header
    (an ID3v1 tag whose title starts with a capital: "TAGT"): the walk ends where the tag
    states; the frames asked for are copied whole, and only they."""
    from core.io.id3 import id3_tag

    frames = [(b"TIT2", b"\x03Tag Title"), (b"TPE1", b"\x03Tag Band"), (b"TXXX", b"")]
    tag = _id3(3, frames)
    path = tmp_path / "x.mp3"
    path.write_bytes(tag + b"TAGTitle" + bytes(120))
    walked = id3_tag(str(path), frozenset({b"TIT2"}))
    assert (walked.count, walked.frames_end, walked.stated_end, walked.cut) == (
        3, len(tag), len(tag), False)
    assert walked.found == {b"TIT2": b"TIT2\x00\x00\x00\x0a\x00\x00\x03Tag Title"}
    path.write_bytes(tag)  # the tag alone: its last frame ends the file, whole
    walked = id3_tag(str(path))
    assert (walked.count, walked.frames_end, walked.cut) == (3, len(tag), False)


def test_id3_tag_cut_within_its_extended_header_is_walked_without_error(tmp_path):
    from core.io.id3 import id3_tag

    path = tmp_path / "x.mp3"
    path.write_bytes(b"ID3\x03\x00\x40\x00\x00\x00\x20\x00\x00")
    walked = id3_tag(str(path))
    assert (walked.count, walked.frames_end, walked.cut) == (0, 10, False)


def test_id3v23_extended_header_stating_over_2_gb_leaves_no_frame_to_walk(tmp_path):
    """ID3v2.3 states its extended header's size as an unsigned 32-bit number: 0x80000006
    puts the frames 2 GB on, past the tag, which is still found, with no frame."""
    from core.io.id3 import id3_tag

    tag = _id3(3, [(b"TIT2", b"\x03Tag Title")])
    path = tmp_path / "x.mp3"
    path.write_bytes(_with_header(tag, 0x40, b"\x80\x00\x00\x06" + bytes(6), len(tag))
                     + bytes(100))
    walked = id3_tag(str(path))
    assert (walked.count, walked.frames_end, walked.cut) == (0, 10 + 4 + 0x80000006, False)


def test_id3v24_frame_size_is_syncsafe_whatever_its_flags(tmp_path):
    """Whether an ID3v2.4 frame's size is syncsafe is read from its 4 size bytes alone: a
    frame whose first flag byte has its top bit set (ID3v2.3's tag-alter flag, which
    ID3v2.4 leaves unused) is still sized in 7-bit bytes, 128 bytes here, not 256."""
    from core.io.id3 import id3_tag

    tag = _id3(4, [(b"TXXX", b"\x03" + bytes(127)), (b"TIT2", b"\x03Tag Title")])
    assert tag[10 + 4:10 + 10] == b"\x00\x00\x01\x00\x00\x00"  # 128, syncsafe; no flag
    tag = tag[:10 + 8] + b"\x80" + tag[10 + 9:]
    path = tmp_path / "x.mp3"
    path.write_bytes(tag + bytes(100))
    walked = id3_tag(str(path), frozenset({b"TIT2"}))
    assert (walked.count, walked.frames_end, walked.cut) == (2, len(tag), False)
    assert walked.found[b"TIT2"].endswith(b"Tag Title")


def test_id3v24_frame_size_with_its_top_bit_set_is_read_as_in_id3v23(tmp_path, monkeypatch):
    """A size whose first byte has its top bit set is no syncsafe size: it is read as a
    32-bit number, as ID3v2.3's, so 0x80000000 is 2 GB, past the end of a file of 268 MB
    (read as syncsafe it would be 268 MB, and the frame would fit).  The file is shown to
    the walk as its tag followed by zeros up to its size, and never written."""
    from core.io import id3

    tag = _id3(4, [(b"TIT2", b"\x03Tag Title")], stated=2**28 - 1)
    tag = tag[:10 + 4] + b"\x80\x00\x00\x00" + tag[10 + 8:]
    path = str(tmp_path / "x.mp3")
    hold_file(monkeypatch, id3, path, 2**28 + 100, {0: tag})
    walked = id3.id3_tag(path)
    assert (walked.count, walked.frames_end, walked.cut) == (0, 10, True)


def test_a_file_name_from_a_latin1_archive_gives_a_readable_title(tmp_path):
    """A name whose bytes are not UTF-8 reaches Python with lone surrogates, which the
    title kept ('Le Ch\\udce2teau'), Qt dropped ('Le Chteau') and no reference row matched:
    read as cp1252, as tags are.  The path itself keeps its bytes."""
    import os

    plain = write_audio(tmp_path / "plain.wav", tone(440.0, 1.0, 22050), 22050)
    path = os.path.join(str(tmp_path), os.fsdecode(b"caf\xe9 - Le Ch\xe2teau.wav"))
    os.rename(plain, path)
    assert read_title_artist(path) == ("Le Ch\u00e2teau", "caf\u00e9")
    assert identity_from_name(os.fsencode(path)) == ("Le Ch\u00e2teau", "caf\u00e9")
    assert identity_from_name("/m/Beyonc\u00e9 - Halo.flac") == ("Halo", "Beyonc\u00e9")
    assert os.path.exists(path) and os.fsencode(path).endswith(b"Ch\xe2teau.wav")
