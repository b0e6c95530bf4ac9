"""Text files (``.txt``) among the paths named together: Excel's "Text (Tab delimited)" and
"Unicode Text" exports of a sheet are reference sheets; a readme or lyrics are not."""

from __future__ import annotations

import os

import numpy as np
import pytest

from core.calibration.reference import load_reference, reads_as_sheet
from core.errors import ReferenceSheetError
from core.io.inputs import read_file_start, sheets_among

#: Excel's "Text (Tab delimited)" export of a German sheet: tab-separated, Windows-1252.
TAB_DELIMITED = "Titel\tKünstler\tBPM\tTonart\r\nSommerlied\tDie Ärzte\t128\tA-Moll\r\n"


@pytest.fixture
def files(tmp_path):
    """A song, a sheet by name, Excel's two text exports, a readme and lyrics."""
    (tmp_path / "songs").mkdir()
    song = tmp_path / "songs" / "01.wav"
    song.write_bytes(b"RIFF")
    csv_sheet = tmp_path / "reference.csv"
    csv_sheet.write_text("title,bpm\nSommerlied,128\n")
    tab = tmp_path / "reference.txt"
    tab.write_bytes(TAB_DELIMITED.encode("cp1252"))
    unicode_text = tmp_path / "Unicode.TXT"  # Excel's "Unicode Text": UTF-16 with its mark
    unicode_text.write_bytes(TAB_DELIMITED.encode("utf-16"))
    readme = tmp_path / "readme.txt"
    readme.write_text("Recorded live in 2019.\nTitle: Sommerlied, tempo 128\n")
    lyrics = tmp_path / "lyrics.txt"
    lyrics.write_text("Song, artist and key of the summer\nla la la\n" * 40)
    return dict(song=str(song), folder=str(tmp_path / "songs"), csv=str(csv_sheet),
                tab=str(tab), unicode=str(unicode_text), readme=str(readme),
                lyrics=str(lyrics))


def test_excels_text_exports_read_as_sheets_and_a_readme_or_lyrics_do_not(files):
    assert reads_as_sheet(files["tab"]) and reads_as_sheet(files["unicode"])
    assert not reads_as_sheet(files["readme"]) and not reads_as_sheet(files["lyrics"])
    assert not reads_as_sheet(files["song"]) and not reads_as_sheet(files["folder"])
    assert not reads_as_sheet(os.path.join(files["folder"], "missing.txt"))
    for name in ("tab", "unicode"):  # what the header check takes, the reader reads
        sheet = load_reference(files[name])
        assert [(r.title, r.artist, r.values["bpm"]) for r in sheet.rows] == [
            ("Sommerlied", "Die Ärzte", 128.0)]


def test_a_text_export_under_a_title_line_reads_as_a_sheet(tmp_path):
    # a report's tab-delimited export with its title and an empty line above the table
    path = tmp_path / "report.txt"
    path.write_bytes(("Exported by DJ Tool, 1 December 2026\r\n\r\n"
                      + TAB_DELIMITED).encode("cp1252"))
    assert reads_as_sheet(path)
    sheet = load_reference(path)
    assert sheet.delimiter == "\t"
    assert [(r.row, r.title, r.artist, r.values["bpm"]) for r in sheet.rows] == [
        (4, "Sommerlied", "Die Ärzte", 128.0)]


def test_a_long_text_sheet_is_told_by_its_first_bytes(tmp_path):
    # 64 KB are read: the cut falls inside a line, and inside a two-byte character
    path = tmp_path / "long.txt"
    rows = "".join(f"Lied {i} é\tKünstler\t{100 + i % 50}\n" for i in range(20_000))
    path.write_text("\nTitle\tArtist\tBPM\n" + rows, encoding="utf-8")
    assert os.path.getsize(path) > 1 << 16
    assert reads_as_sheet(path) and len(load_reference(path).rows) == 20_000
    notes = tmp_path / "notes.txt"
    notes.write_text("Title\n" + "just words, no table\n" * 10_000, encoding="utf-16")
    assert not reads_as_sheet(notes)


def test_other_text_is_not_a_sheet(tmp_path):
    cases = {"page.txt": "<html><body><p>Title, Artist, BPM</p></body></html>\n",
             "data.txt": '[{"title": "x", "bpm": 120}]\n',
             "empty.txt": "",
             "nul.txt": "Title\tBPM\n\x00\x00\n"}
    for name, text in cases.items():
        (tmp_path / name).write_text(text)
        assert not reads_as_sheet(tmp_path / name), name


def test_a_text_file_named_alone_is_the_reference(files):
    for name in ("tab", "readme"):  # the reader says why a readme is none
        assert sheets_among([files[name]]).sheet == files[name]
        assert sheets_among([files[name]]).songs == []


def test_text_files_named_with_songs_are_only_candidates(files):
    named = sheets_among([files["readme"], files["folder"], files["tab"], files["song"]])
    assert named.sheet is None
    assert named.maybe == [files["readme"], files["tab"]]  # never scanned as songs
    assert named.songs == [files["folder"], files["song"]]


def test_a_sheet_by_name_goes_before_text_files(files):
    named = sheets_among([files["tab"], files["csv"], files["folder"]])
    assert named.sheet == files["csv"] and named.maybe == []
    assert named.songs == [files["tab"], files["folder"]]  # the scan ignores it as not audio


def test_read_file_start_reads_the_first_bytes_only(tmp_path):
    path = tmp_path / "big.txt"
    path.write_bytes(b"x" * 3_000_000)
    assert read_file_start(path, size=10) == b"x" * 10
    assert len(read_file_start(path, size=2_500_000)) == 2_500_000  # more than one read
    assert read_file_start(path, size=5_000_000) == path.read_bytes()


@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be"])
def test_a_utf16_sheet_without_its_mark_is_read_as_one(tmp_path, codec):
    """UTF-16 text whose byte-order mark a tool left out: each ASCII character a NUL byte and
    its own.  It failed whole, as 'not a text CSV sheet', and was no sheet among songs."""
    path = tmp_path / "reference.txt"
    path.write_bytes(TAB_DELIMITED.replace("Sommerlied", "Sommerlied \u4e00").encode(codec))
    assert reads_as_sheet(path)
    sheet = load_reference(path)
    assert [(row.title, row.values["bpm"]) for row in sheet.rows] == [
        ("Sommerlied \u4e00", 128.0)]
    assert sheet.encoding == codec


def test_binary_and_one_byte_text_with_nul_bytes_are_no_utf16_sheet(tmp_path):
    noise = tmp_path / "noise.txt"
    noise.write_bytes(np.random.default_rng(3).integers(0, 256, 4000, dtype=np.uint8)
                      .tobytes())
    nuls = tmp_path / "nuls.txt"  # a sheet with a NUL byte in it: damaged, said so
    nuls.write_bytes(b"title,bpm\nSommerlied,128\x00\n")
    # quiet 16-bit audio (raw samples 1-255): a NUL byte in each pair, as in UTF-16 text
    quiet = tmp_path / "quiet.txt"
    samples = np.random.default_rng(4).integers(1, 256, 2000, dtype=np.int16)
    quiet.write_bytes(samples.astype("<i2").tobytes())
    for path in (noise, nuls, quiet):
        assert not reads_as_sheet(path)
        with pytest.raises(ReferenceSheetError, match="NUL bytes"):
            load_reference(path)
