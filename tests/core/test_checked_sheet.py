"""The sheet of the user's own tempo and key, read back as a reference."""

from __future__ import annotations

import pytest

from core.calibration.reference import load_reference
from core.io.keynotation import parse_key
from core.io.results import SongResult, checked_rows, write_checked_csv


def _songs():
    def done(path, **values):
        base = dict(status="done", bpm=120.0, key="A minor")
        base.update(values)
        return SongResult(path=path, **base)

    return [done("/m/Ann - Heard.wav", user_checked=True),
            done("/m/Ann - Doubled.wav", bpm_user=240.0),
            done("/m/Bo - Rekeyed.wav", key_user="C major"),
            done("/m/Bo - Both.wav", bpm_user=60.0, key_user="E minor", user_checked=True),
            done("/m/Cy - Untouched.wav"),
            SongResult(path="/m/Cy - Broken.wav", status="failed", error="cannot decode",
                       user_checked=True)]


def test_only_what_the_user_set_or_heard_is_in_the_sheet():
    rows = checked_rows(_songs())
    assert [(r["title"], r["artist"], r["bpm"], r["key"]) for r in rows] == [
        ("Heard", "Ann", 120.0, "A minor"),  # checked: the analyzer's values as shown
        ("Doubled", "Ann", 240.0, None),  # a corrected tempo says nothing of the key
        ("Rekeyed", "Bo", None, "C major"),
        ("Both", "Bo", 60.0, "E minor"),  # the user's values before the analyzer's
    ]


def test_the_sheet_reads_back_as_a_reference_of_tempo_and_key(tmp_path):
    path = tmp_path / "my_checks.csv"
    assert write_checked_csv(path, _songs()) == 4
    sheet = load_reference(path)
    assert {"bpm", "key"} <= set(sheet.descriptors) and not sheet.bad_rows
    by_title = {r.title: r for r in sheet.rows}
    assert by_title["Heard"].values["bpm"] == pytest.approx(120.0)
    assert by_title["Heard"].key == parse_key("A minor") and by_title["Heard"].artist == "Ann"
    assert "bpm" not in by_title["Rekeyed"].values and by_title["Doubled"].key is None
    assert by_title["Both"].values["bpm"] == pytest.approx(60.0)
