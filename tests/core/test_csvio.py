"""CSV exports: formula neutralization, BOM, provenance columns, atomic replace."""

import os

from core.io.csvio import neutralize, read_csv_rows, write_csv


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
