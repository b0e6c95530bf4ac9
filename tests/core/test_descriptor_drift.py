"""The descriptor drift report between two results files: paired by path, moves beyond
each descriptor's tolerance counted, tempo readings named by their relation."""

from __future__ import annotations

import csv

import pytest

from benchmarks.descriptor_drift import TOLERANCE, drift, main, read_results

_FIELDS = ["path", "status", "bpm", "bpm_confidence", "key", "danceability", "energy",
           "bpm_weak_pulse", "time_signature", "analyzer"]


def _write(path, rows):
    with open(path, "w", newline="", encoding="utf-8-sig") as f:
        w = csv.DictWriter(f, fieldnames=_FIELDS)
        w.writeheader()
        for row in rows:
            w.writerow(row)
    return str(path)


def _row(path, bpm, dance, key="A minor", weak="false", status="done", energy=0.5):
    return {"path": path, "status": status, "bpm": bpm, "bpm_confidence": 0.9, "key": key,
            "danceability": dance, "energy": energy, "bpm_weak_pulse": weak,
            "time_signature": 4, "analyzer": "v1"}


@pytest.fixture
def files(tmp_path):
    before = _write(tmp_path / "before.csv", [
        _row("a.wav", 120.0, 0.50), _row("b.wav", 90.0, 0.60), _row("c.wav", 100.0, 0.70),
        _row("d.wav", "", 0.10, status="failed"), _row("gone.wav", 80.0, 0.2)])
    after = _write(tmp_path / "after.csv", [
        _row("a.wav", 121.0, 0.51), _row("b.wav", 180.0, 0.66, weak="true"),
        _row("c.wav", 66.7, 0.70, key="E minor"), _row("d.wav", 95.0, 0.10),
        _row("new.wav", 70.0, 0.3)])
    return before, after


def test_songs_are_paired_by_path_and_moves_counted_beyond_the_tolerance(files):
    d = drift(read_results(files[0]), read_results(files[1]))
    assert d["paired"] == ["a.wav", "b.wav", "c.wav", "d.wav"]
    assert d["only_before"] == ["gone.wav"] and d["only_after"] == ["new.wav"]
    n, moved, mean, big, path = d["numeric"]["danceability"]
    assert (n, moved, path) == (4, 1, "b.wav")  # 0.01 is within the 0.02 tolerance
    assert big == pytest.approx(0.06) and mean == pytest.approx(0.07 / 4)
    assert d["numeric"]["energy"][1:4] == (0, 0.0, 0.0)
    assert TOLERANCE["danceability"] == 0.02
    compared, readings = d["tempo"]
    assert compared == 4  # a song with a tempo in one file only is compared ...
    assert ("b.wav", 90.0, 180.0, "x2") in readings
    assert ("c.wav", 100.0, 66.7, "x2/3") in readings
    assert ("d.wav", None, 95.0, "new") in readings  # ... as a new reading
    assert not any(r[0] == "a.wav" for r in readings)  # within 4 %
    assert d["changed"]["key"] == [("c.wav", "A minor", "E minor")]
    assert d["changed"]["bpm_weak_pulse"] == [("b.wav", "false", "true")]
    assert d["changed"]["status"] == [("d.wav", "failed", "done")]


def test_the_report_names_both_analyzers_and_what_moved(files, capsys):
    assert main([*files, "--show", "1"]) == 0
    out = capsys.readouterr().out
    assert "analyzer v1" in out and "only before: 1, only after: 1" in out
    assert "tempo: 3 of 4 songs read otherwise (new 1, x2 1, x2/3 1)" in out
    assert "b.wav: 90.0 -> 180.0 (x2)" in out and "c.wav: 100.0 -> 66.7" not in out
    assert "key: 1 changed" in out
