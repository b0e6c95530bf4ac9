"""CSV exports: formula neutralization, BOM, provenance columns, atomic replace."""

import csv
import enum
import errno
import math
import os

import numpy as np
import pytest

from core.analysis.identity import analyzer_id
from core.io import csvio
from core.io.csvio import (
    atomic_write_bytes,
    atomic_write_text,
    cell_number,
    format_cell,
    neutralize,
    read_csv_rows,
    typed_row,
    unneutralize,
    write_csv,
)
from core.io.provenance import PROVENANCE_COLUMNS, provenance, settings_text
from core.settings import AnalysisSettings


def test_dangerous_cells_are_neutralized_numbers_are_not():
    for text in ["=HYPERLINK(1)", "+1", "-2+3", "@SUM(A1)", "\tx", "\rx"]:
        assert neutralize(text).startswith("'")
    assert neutralize("Daft Punk") == "Daft Punk"


def test_write_csv_round_trip_with_meta(tmp_path):
    path = tmp_path / "out.csv"
    write_csv(path, ["title", "bpm", "ok"], [{"title": "=cmd|' /C calc'!A0", "bpm": -3.5,
                                              "ok": True}, {"title": "Ça va"}],
              meta={"songcal_version": "9"})
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    cols, rows = read_csv_rows(path)
    assert cols == ["title", "bpm", "ok", "songcal_version"]
    assert rows[0]["title"].startswith("'=") and rows[0]["bpm"] == "-3.5"
    assert rows[0]["ok"] == "true" and rows[1]["bpm"] == "" and rows[1]["title"] == "Ça va"
    assert rows[1]["songcal_version"] == "9"
    assert [p for p in os.listdir(tmp_path) if p.endswith(".tmp")] == []


def test_written_file_gets_the_usual_permissions(tmp_path):
    old = os.umask(0o022)
    try:
        write_csv(tmp_path / "p.csv", ["a"], [{"a": 1}])
    finally:
        os.umask(old)
    assert (tmp_path / "p.csv").stat().st_mode & 0o777 == 0o644



def test_replaced_file_keeps_its_permissions(tmp_path):
    """An export written over a file the user made private (or read-only for others) keeps
    that file's mode; the umask applies to new files only."""
    target = tmp_path / "p.csv"
    target.write_text("old\n")
    target.chmod(0o600)
    old = os.umask(0o022)
    try:
        write_csv(target, ["a"], [{"a": 1}])
    finally:
        os.umask(old)
    assert target.stat().st_mode & 0o777 == 0o600 and "old" not in target.read_text()

# -- every cell a spreadsheet reads is neutralized: header and provenance too -----------------

DANGEROUS = ["=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx"]


def _raw_rows(path):
    """The cells exactly as a spreadsheet would get them (only the BOM removed)."""
    with open(path, encoding="utf-8-sig", newline="") as f:
        return list(csv.reader(f))


def test_header_cells_are_neutralized(tmp_path):
    path = tmp_path / "h.csv"
    write_csv(path, ["title", "=HYPERLINK(\"http://x\")", "@cmd"], [{"title": "a"}],
              meta={"+evil": "1"})
    header = _raw_rows(path)[0]
    assert header == ["title", "'=HYPERLINK(\"http://x\")", "'@cmd", "'+evil"]


def test_provenance_cells_are_neutralized_on_every_row(tmp_path):
    path = tmp_path / "p.csv"
    meta = provenance(settings="=1+2", analyzer="0123456789ab", calibration_settings={"folds": "-5"},
                      reference_file="=cmd|' /C calc'!A0.csv", reference_sha256="@abc",
                      profile_file="+profile.json")
    write_csv(path, ["title"], [{"title": "one"}, {"title": "two"}], meta=meta)
    rows = _raw_rows(path)
    assert rows[0] == ["title"] + list(PROVENANCE_COLUMNS)
    for row in rows[1:]:
        cells = dict(zip(rows[0], row, strict=True))
        assert cells["settings"] == "'=1+2"
        assert cells["calibration_settings"] == "folds=-5"  # text that merely contains '-'
        assert cells["reference_file"] == "'=cmd|' /C calc'!A0.csv"
        assert cells["reference_sha256"] == "'@abc"
        assert cells["profile_file"] == "'+profile.json"
        assert cells["songcal_version"] and not cells["songcal_version"].startswith("'")


def test_row_values_override_provenance_and_columns_are_not_repeated(tmp_path):
    path = tmp_path / "o.csv"
    write_csv(path, ["title", "settings"], [{"title": "x", "settings": "row"}, {"title": "y"}],
              meta={"settings": "meta", "songcal_version": "1"})
    rows = _raw_rows(path)
    assert rows[0] == ["title", "settings", "songcal_version"]
    assert rows[1] == ["x", "row", "1"] and rows[2] == ["y", "meta", "1"]
    assert path.read_bytes().count(b"\r\n") == 3


@pytest.mark.parametrize("text", DANGEROUS)
def test_each_dangerous_start_is_neutralized_and_restored(text):
    assert neutralize(text) == "'" + text
    assert unneutralize(neutralize(text)) == text


@pytest.mark.parametrize("text", ["Daft Punk", "", "'quoted'", "a=b", "1-2", "x@y", "'"])
def test_harmless_text_is_left_alone(text):
    assert neutralize(text) == text
    assert unneutralize(text) == text
    assert unneutralize(None) == ""


class _Status(enum.Enum):
    BAD = "-bad"


@pytest.mark.parametrize(("value", "cell"), [
    (None, ""), (float("nan"), ""), (float("inf"), ""), (-float("inf"), ""),
    (True, "true"), (False, "false"), (3, "3"), (-3, "-3"), (-3.5, "-3.5"),
    (0.1234567, "0.123457"), (1e-7, "0.0"), ("-3.5", "'-3.5"), (_Status.BAD, "'-bad"),
    ("plain", "plain"), (np.float64(2.5), "2.5"), (np.float32(-0.25), "-0.25"),
    (np.float64("nan"), ""), (np.int64(4), "4"),
])
def test_format_cell(value, cell):
    assert format_cell(value) == cell


@pytest.mark.parametrize(("cell", "number"), [
    ("-14.2", -14.2), ("'-14.2", -14.2), (" 3 ", 3.0), (7, 7.0), (2.5, 2.5), ("1e3", 1000.0),
    ("", None), (None, None), ("abc", None), ("inf", None), ("nan", None),
    (float("nan"), None), (True, None),
])
def test_cell_number(cell, number):
    got = cell_number(cell)
    assert got == number if number is not None else got is None
    assert got is None or math.isfinite(got)


def test_typed_row_restores_numbers_and_text():
    row = typed_row({"bpm": "'-3.5", "chunks": "12", "key": "7", "title": "'=x", "n": "-2",
                     "e": "1e-3", "empty": "", "word": "abc", "none": None},
                    text_columns={"key", "title"})
    assert row == {"bpm": -3.5, "chunks": 12, "key": "7", "title": "=x", "n": -2,
                   "e": 0.001, "empty": "", "word": "abc", "none": None}
    assert isinstance(row["chunks"], int) and isinstance(row["bpm"], float)


def test_settings_text_and_provenance_columns():
    s = AnalysisSettings(workers=2)
    text = settings_text(s)
    assert text.startswith("sample_rate=22050;") and "workers=2" in text
    assert settings_text(None) == "" and settings_text("a=1") == "a=1"
    assert settings_text({"x": 1, "y": "z"}) == "x=1;y=z"
    meta = provenance(settings=s)
    assert list(meta) == ["songcal_version", "settings"] and meta["settings"] == text
    meta = provenance(settings=s, analyzer=analyzer_id())
    assert list(meta) == ["songcal_version", "analyzer", "settings"]
    assert provenance(analyzer="")["analyzer"] == ""  # read from a file that did not say
    assert provenance(reference_file="r.csv")["reference_sha256"] == ""


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path, monkeypatch):
    path = tmp_path / "keep.csv"
    path.write_text("old")

    def broken_fsync(fd):
        raise OSError("disk full")

    monkeypatch.setattr(os, "fsync", broken_fsync)
    with pytest.raises(OSError, match="disk full"):
        atomic_write_bytes(path, b"new")
    assert path.read_text() == "old"
    assert os.listdir(tmp_path) == ["keep.csv"]


def test_write_creates_missing_folders(tmp_path):
    path = tmp_path / "a" / "b" / "c.csv"
    write_csv(path, ["x"], [])
    assert _raw_rows(path) == [["x"]]


def test_text_is_written_without_a_byte_order_mark_unless_asked(tmp_path):
    atomic_write_text(tmp_path / "a.json", "{}")
    assert (tmp_path / "a.json").read_bytes() == b"{}"
    atomic_write_text(tmp_path / "b.csv", "é", bom=True)
    assert (tmp_path / "b.csv").read_bytes() == b"\xef\xbb\xbf\xc3\xa9"


def test_the_temporary_file_is_hidden_beside_the_target(tmp_path, monkeypatch):
    seen = []
    real_fsync = os.fsync

    def spying_fsync(fd):
        seen.append(sorted(os.listdir(tmp_path)))
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", spying_fsync)
    atomic_write_bytes(tmp_path / "t.csv", b"x")
    # the data is synced under the hidden name, then the folder once it is renamed
    (tmp,), renamed = seen
    assert tmp.startswith(".songcal-") and tmp.endswith(".tmp") and renamed == ["t.csv"]
    assert os.listdir(tmp_path) == ["t.csv"]


def test_the_original_error_is_raised_when_the_temporary_file_is_already_gone(tmp_path,
                                                                               monkeypatch):
    def vanishing_replace(src, dst):
        os.unlink(src)
        raise PermissionError("target is locked")

    monkeypatch.setattr(os, "replace", vanishing_replace)
    with pytest.raises(PermissionError, match="target is locked"):
        atomic_write_bytes(tmp_path / "t.csv", b"x")
    assert os.listdir(tmp_path) == []


def test_permissions_without_proc(tmp_path, monkeypatch):
    # Where /proc cannot be read, the umask is read (and put back) through os.umask.
    def no_proc(*a, **k):
        raise OSError("no /proc here")

    monkeypatch.setattr(csvio, "open", no_proc, raising=False)
    old = os.umask(0o027)
    try:
        atomic_write_bytes(tmp_path / "p.csv", b"x")
        assert os.umask(0o027) == 0o027  # left as it was
    finally:
        os.umask(old)
    assert (tmp_path / "p.csv").stat().st_mode & 0o777 == 0o640


def test_a_lone_neutralized_sign_is_restored():
    assert neutralize("=") == "'=" and unneutralize("'=") == "=" and unneutralize("'") == "'"


def test_cells_holding_line_breaks_round_trip(tmp_path):
    path = tmp_path / "n.csv"
    write_csv(path, ["note"], [{"note": "first line\r\nsecond line"}, {"note": "a\nb"}])
    _, rows = read_csv_rows(path)
    assert [r["note"] for r in rows] == ["first line\r\nsecond line", "a\nb"]


# -- file names that are not valid UTF-8, standard output, reading limits -------------------

# A Latin-1 file name as Python hands it over (surrogate escapes), with the lowest and the
# highest byte that can be escaped.
ODD_NAME = os.fsdecode(b"/music/caf\xe9 \x80\xff.mp3")


def test_a_file_name_that_is_not_utf8_is_written_as_its_own_bytes_and_read_back(tmp_path):
    path = tmp_path / "odd.csv"
    write_csv(path, ["path", "bpm"], [{"path": ODD_NAME, "bpm": 120}])
    assert b"/music/caf\xe9 \x80\xff.mp3,120\r\n" in path.read_bytes()
    _, rows = read_csv_rows(path)
    assert rows == [{"path": ODD_NAME, "bpm": "120"}]
    assert os.fsencode(rows[0]["path"]) == b"/music/caf\xe9 \x80\xff.mp3"


def test_a_lone_surrogate_that_is_no_escaped_byte_becomes_a_replacement_character(tmp_path):
    # A Windows file name may hold an unpaired surrogate; the export used to fail on it
    # (UnicodeEncodeError) instead of writing U+FFFD.
    bad = "\ufffd".encode()
    assert csvio.encode_text("a\ud800b") == b"a" + bad + b"b"
    assert csvio.encode_text("\udc7f") == bad  # just below the escaped bytes
    assert csvio.encode_text("\udd00") == bad  # just above
    assert csvio.encode_text("\udc80\udcff\ud800\udc80") == b"\x80\xff" + bad + b"\x80"
    write_csv(tmp_path / "w.csv", ["path"], [{"path": "C:\\music\\\ud83d.mp3"}])
    assert read_csv_rows(tmp_path / "w.csv")[1] == [{"path": "C:\\music\\\ufffd.mp3"}]


def test_standard_output_gets_the_bytes_without_a_byte_order_mark(capsysbinary):
    write_csv("-", ["path", "note"], [{"path": ODD_NAME, "note": "=1"}], meta={"v": "2"})
    assert capsysbinary.readouterr().out == (
        b"path,note,v\r\n/music/caf\xe9 \x80\xff.mp3,'=1,2\r\n")


def test_standard_output_without_a_byte_stream_gets_the_text(monkeypatch):
    import io
    import sys

    out = io.StringIO()  # a text-only stdout (an embedding console, a test runner)
    monkeypatch.setattr(sys, "stdout", out)
    write_csv("-", ["title"], [{"title": "Ça va"}])
    assert out.getvalue() == "title\r\nÇa va\r\n"


@pytest.mark.parametrize(("value", "cell"), [
    (np.float64(0.1234567), "0.123457"), (np.float32(1e-7), "0.0"),
    (__import__("pathlib").PurePosixPath("/music/a.mp3"), "/music/a.mp3"),
    (enum.Enum("Level", {"LOUD": 3}).LOUD, "Level.LOUD"),  # only text values are unwrapped
])
def test_format_cell_other_types(value, cell):
    assert format_cell(value) == cell


def test_reading_what_is_not_a_readable_csv_names_the_file_and_the_reason(tmp_path):
    with pytest.raises(csvio.CsvReadError) as err:
        read_csv_rows(tmp_path)
    assert err.value.path == str(tmp_path) and err.value.reason == "the CSV file is a folder, not a regular file"
    big = tmp_path / "big.csv"
    big.write_bytes(b"a\r\n" + b"1\r\n" * 600)
    with pytest.raises(csvio.CsvReadError, match="the CSV file is too large") as err:
        read_csv_rows(big, max_bytes=1024)
    assert err.value.path == str(big)
    assert read_csv_rows(big, max_bytes=2048)[1][-1] == {"a": "1"}


def test_a_quote_that_never_ends_is_refused_with_its_line(tmp_path):
    path = tmp_path / "q.csv"
    path.write_bytes(b"title,bpm\r\nA,120\r\n\"B" + b" never closed" * 12000)
    with pytest.raises(csvio.CsvReadError) as err:
        read_csv_rows(path)
    assert err.value.path == str(path)
    assert err.value.reason.startswith("line 3: the CSV cannot be read (field larger than")
    assert err.value.reason.endswith("; an unclosed quote?)")


@pytest.mark.parametrize(("data", "line", "after"), [
    (b"title,bpm\r\nA,120\r\n\"B,130\r\nC,140\r\nD,150\r\n", 3, 2),  # rows under it
    (b"title,bpm\nA,120\n\"B,130\nC,140\n", 3, 1),
    (b"title,bpm\r\"A,120\rB,130\r", 2, 1),  # carriage returns alone
    (b"title,\"bpm\r\nA,120\r\nB,130\r\n", 1, 2),  # in the header
    (b"title,bpm\r\nA,\"1\r\n20\"\r\nB,\"9\r\n0\r\n", 4, 1),  # after a closed one
    # after a row only a lenient reader takes (text after a closing quote)
    (b"title,bpm\r\n\"A\" live,120\r\n\"B,130\r\nC,140\r\n", 3, 1),
    (b"title,bpm\r\nA,120\r\n\r\n\r\n\"B,130\r\nC,140\r\n", 5, 1),  # under blank lines
])
def test_a_short_quote_that_never_ends_is_refused_with_its_line(tmp_path, data, line, after):
    # Well under the longest cell a reader takes: without the check every line under the
    # quote would be one cell, and the rows in them lost without a word.
    path = tmp_path / "q.csv"
    path.write_bytes(data)
    with pytest.raises(csvio.CsvReadError) as err:
        read_csv_rows(path)
    assert err.value.path == str(path)
    assert err.value.reason == (f"line {line}: a quote opens a cell and never closes, so the "
                                f"{after} line(s) after it would be read as that one cell: "
                                "close the quote or remove it")


def test_an_open_quote_is_looked_for_with_the_sheets_delimiter_from_the_record_given():
    text = 'x;"open\nmore\n'
    assert csvio.open_quote_line(text, 1, ";") == 1
    assert csvio.open_quote_line(text, 1, ",") is None  # a quote inside a cell opens nothing
    text = '"a"b;1\nc;"open\nmore\n'
    assert csvio.open_quote_line(text, 2, ";") == 2
    assert csvio.open_quote_line(text, 1, ";") is None  # a strict reader stops at line 1
    assert csvio.open_quote_line('a;"closed\nhere";1\n', 1, ";") is None
    # the line of the record that opens it, past blank lines and whole records
    assert csvio.open_quote_line('a;1\n\n\nb;"2\nc;3\n', 1, ";") == 4
    assert csvio.open_quote_line('a;"1\n2"\nb;"2\nc;3\n', 1, ";") == 3
    # the problem as both readers name it, read with the sheet's delimiter
    assert csvio.open_quote_problem('x;"open\nmore\n', 1, 2, ";") == (
        "line 1: a quote opens a cell and never closes, so the 1 line(s) after it would be "
        "read as that one cell: close the quote or remove it")
    assert csvio.open_quote_problem('x;"open\nmore\n', 1, 2, ",") is None
    assert csvio.open_quote_problem('x;"open\n', 1, 1, ";") is None  # no line taken in


def test_quoted_cells_over_several_lines_are_read_whole(tmp_path):
    path = tmp_path / "multi.csv"
    path.write_bytes(b"title,note\r\n\"A\r\nlive\",\"a\nb\"\r\nB,\"x,\"\"y\"\"\"\r\nC,\"open")
    assert read_csv_rows(path) == (["title", "note"], [
        {"title": "A\r\nlive", "note": "a\nb"}, {"title": "B", "note": 'x,"y"'},
        {"title": "C", "note": "open"}])  # a quote left open on the last line takes no other


def test_a_sheet_saved_with_carriage_returns_alone_is_read(tmp_path):
    # Excel's "CSV (Macintosh)" ends each line with a bare carriage return.
    path = tmp_path / "mac.csv"
    path.write_bytes(b"\xef\xbb\xbftitle,bpm\rA,120\rB,90\r")
    assert read_csv_rows(path) == (["title", "bpm"], [{"title": "A", "bpm": "120"},
                                                     {"title": "B", "bpm": "90"}])


def test_the_folder_is_synced_where_os_has_no_o_directory(tmp_path, monkeypatch):
    # Windows has no os.O_DIRECTORY: the folder is then opened read-only, which fails there
    # (and is let go) but works on a system that can open folders.
    monkeypatch.delattr(os, "O_DIRECTORY")
    synced = []
    real_fsync = os.fsync

    def spying_fsync(fd):
        synced.append(os.path.isdir(f"/proc/self/fd/{fd}"))
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", spying_fsync)
    atomic_write_bytes(tmp_path / "w.csv", b"x")
    assert synced == [False, True] and (tmp_path / "w.csv").read_bytes() == b"x"


# -- what a write that cannot replace its file keeps ----------------------------------------

_STAMP = "20261205-041500"


@pytest.fixture
def fixed_time(monkeypatch, tmp_path):
    """The kept files' time fixed, and the system's temporary folder a folder of the test."""
    import tempfile
    import time

    real = time.strftime
    monkeypatch.setattr(time, "strftime",
                        lambda fmt, *a: _STAMP if fmt == "%Y%m%d-%H%M%S" else real(fmt, *a))
    system = tmp_path / "system-temp"
    system.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(system))
    return system


def test_kept_data_is_named_by_its_time_beside_the_file_and_replaces_nothing(tmp_path,
                                                                            fixed_time):
    folder = tmp_path / "out"
    folder.mkdir()
    asked = str(folder / "res.csv")
    first = csvio._keep_elsewhere(asked, b"rows 1")
    assert first == str(folder / f"res.kept-{_STAMP}.csv")
    second = csvio._keep_elsewhere(asked, b"rows 2")
    assert second == str(folder / f"res.kept-{_STAMP}-1.csv")
    os.symlink(tmp_path / "elsewhere", folder / f"res.kept-{_STAMP}-2.csv")  # a link: not opened
    third = csvio._keep_elsewhere(asked, b"rows 3")
    assert third == str(folder / f"res.kept-{_STAMP}-3.csv")
    assert not (tmp_path / "elsewhere").exists()
    for n in range(4, 100):
        (folder / f"res.kept-{_STAMP}-{n}.csv").write_bytes(b"")
    # a hundred names taken beside it: the system's temporary folder
    last = csvio._keep_elsewhere(asked, b"rows 4")
    assert last == str(fixed_time / f"res.kept-{_STAMP}.csv")
    assert [open(p, "rb").read() for p in (first, second, third, last)] == [
        b"rows 1", b"rows 2", b"rows 3", b"rows 4"]


def test_kept_data_goes_to_the_system_temporary_folder_where_its_own_takes_none(
        tmp_path, fixed_time, monkeypatch):
    gone = str(tmp_path / "gone" / "res.csv")  # a folder no longer there
    assert csvio._keep_elsewhere(gone, b"rows") == str(fixed_time / f"res.kept-{_STAMP}.csv")
    # a folder whose disk is full: the part written there is removed
    full = tmp_path / "full"
    full.mkdir()
    real_open = open

    class _Full:
        def __init__(self, f):
            self.f = f

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self.f.close()

        def write(self, data):
            self.f.write(data[:3])
            raise OSError(errno.ENOSPC, "No space left on device")

    def opener(path, mode="r", *args, **kwargs):
        f = real_open(path, mode, *args, **kwargs)
        return _Full(f) if str(path).startswith(str(full)) else f

    monkeypatch.setattr(csvio, "open", opener, raising=False)
    kept = csvio._keep_elsewhere(str(full / "res.csv"), b"rows")
    assert kept == str(fixed_time / f"res.kept-{_STAMP}-1.csv")
    assert os.listdir(full) == [] and real_open(kept, "rb").read() == b"rows"
    # and where the part written cannot even be removed, the data is kept all the same
    unlink = os.unlink

    def stuck(path, *args, **kwargs):
        if str(path).startswith(str(full)):
            raise PermissionError(errno.EPERM, "Operation not permitted", str(path))
        return unlink(path, *args, **kwargs)

    monkeypatch.setattr(os, "unlink", stuck)
    kept = csvio._keep_elsewhere(str(full / "res.csv"), b"rows")
    assert kept == str(fixed_time / f"res.kept-{_STAMP}-2.csv")
    assert os.listdir(full) == [f"res.kept-{_STAMP}.csv"]


def test_a_full_disk_names_the_file_asked_for_and_where_its_data_went(tmp_path, fixed_time,
                                                                     monkeypatch):
    path = tmp_path / "res.csv"
    path.write_text("old")

    def full(fd):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fsync", full)
    with pytest.raises(OSError) as err:
        atomic_write_bytes(path, b"new")
    kept = tmp_path / f"res.kept-{_STAMP}.csv"
    assert (err.value.errno, err.value.filename) == (errno.ENOSPC, str(path))
    assert err.value.strerror == f"No space left on device; what it would have held is in {kept}"
    assert path.read_text() == "old" and kept.read_bytes() == b"new"
    monkeypatch.setattr(csvio, "_keep_elsewhere", lambda asked, data: None)
    with pytest.raises(OSError) as err:
        atomic_write_bytes(path, b"new")
    assert err.value.strerror == ("No space left on device; what it would have held could "
                                  "not be saved anywhere")


def test_a_failed_rename_names_the_file_asked_for_not_the_temporary_one(tmp_path, monkeypatch):
    path = tmp_path / "res.csv"
    replace = os.replace

    def refused(src, dst):
        raise OSError(errno.EXDEV, "Invalid cross-device link", src, dst)

    monkeypatch.setattr(os, "replace", refused)
    with pytest.raises(OSError) as err:
        atomic_write_bytes(path, b"new")
    assert (err.value.errno, err.value.strerror, err.value.filename) == (
        errno.EXDEV, "Invalid cross-device link", str(path))

    def other(src, dst):  # an error about another file is passed on as it is
        raise OSError(errno.EACCES, "Permission denied", "/elsewhere")

    monkeypatch.setattr(os, "replace", other)
    with pytest.raises(OSError) as err:
        atomic_write_bytes(path, b"new")
    assert (err.value.errno, err.value.filename) == (errno.EACCES, "/elsewhere")
    monkeypatch.setattr(os, "replace", replace)
    assert not [p for p in os.listdir(tmp_path) if p.startswith(".songcal-")]


def test_an_output_made_read_only_is_named_in_the_refusal(tmp_path, fixed_time, monkeypatch):
    path = tmp_path / "res.csv"
    path.write_text("old")
    monkeypatch.setattr(csvio, "_read_only", lambda p: p == str(path))
    with pytest.raises(csvio.ReadOnlyOutputError) as err:
        atomic_write_bytes(path, b"new")
    assert err.value.filename == str(path)
    assert err.value.kept == str(tmp_path / f"res.kept-{_STAMP}.csv")
    assert path.read_text() == "old"


def test_a_link_pointed_at_an_input_during_the_write_is_refused(tmp_path, fixed_time,
                                                                 monkeypatch):
    """The output is a link to a results file; while the write syncs, the link is pointed at
    one of the command's songs: the file it named is not replaced, the song is untouched and
    the data is kept beside the link."""
    from core.io.outputs import InputReplacedError, watching

    song = tmp_path / "song.wav"
    song.write_bytes(b"RIFF song")
    old = tmp_path / "old.csv"
    old.write_text("old")
    out = tmp_path / "out.csv"
    os.symlink(old, out)
    sync = os.fsync

    def repointed(fd):
        out.unlink()
        os.symlink(song, out)
        return sync(fd)

    monkeypatch.setattr(os, "fsync", repointed)
    with watching([("a song of the list", song)], during="the export ran"):
        with pytest.raises(InputReplacedError) as err:
            atomic_write_bytes(out, b"new")
    assert err.value.filename == str(out)
    assert old.read_text() == "old" and song.read_bytes() == b"RIFF song"
    assert (tmp_path / f"out.kept-{_STAMP}.csv").read_bytes() == b"new"
