"""The user folders and the bundled resources (core.paths)."""

from __future__ import annotations

import os
import sys

import pytest

from core import paths
from core.batch import store
from core.io.csvio import read_csv_rows


@pytest.fixture
def no_overrides(monkeypatch, tmp_path):
    for var in ("SONGCAL_DATA_DIR", "SONGCAL_CACHE_DIR", "SONGCAL_LOG_DIR"):
        monkeypatch.delenv(var, raising=False)
    for var, sub in (("XDG_DATA_HOME", "share"), ("XDG_CACHE_HOME", "cache"),
                     ("XDG_STATE_HOME", "state")):
        monkeypatch.setenv(var, str(tmp_path / sub))
    return tmp_path


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="XDG folders are Linux's")
def test_linux_folders_follow_xdg_and_keep_the_old_data_folder(no_overrides):
    tmp = no_overrides
    # the session store's folder is where SongCal always kept it: $XDG_DATA_HOME/songcal
    assert store.data_dir() == paths.data_dir() == str(tmp / "share" / "songcal")
    assert paths.cache_dir("numba") == str(tmp / "cache" / "songcal" / "numba")
    assert paths.log_dir() == str(tmp / "state" / "songcal" / "log")
    for folder in (paths.data_dir(), paths.cache_dir("numba"), paths.log_dir()):
        assert os.path.isdir(folder)


def test_variables_override_every_folder(monkeypatch, tmp_path):
    monkeypatch.setenv("SONGCAL_DATA_DIR", str(tmp_path / "d"))
    monkeypatch.setenv("SONGCAL_CACHE_DIR", str(tmp_path / "c"))
    monkeypatch.delenv("SONGCAL_LOG_DIR", raising=False)
    assert paths.data_dir() == str(tmp_path / "d")
    assert paths.cache_dir() == str(tmp_path / "c")
    assert paths.log_dir() == str(tmp_path / "d" / "logs")  # follows the data folder
    monkeypatch.setenv("SONGCAL_LOG_DIR", str(tmp_path / "l"))
    assert paths.log_dir() == str(tmp_path / "l")


def test_demo_deck_has_songs_and_a_sheet_naming_them():
    folder, sheet = paths.demo_deck()
    songs = sorted(n for n in os.listdir(folder) if n.endswith((".mp3", ".ogg")))
    assert len(songs) >= 4
    _, rows = read_csv_rows(sheet)
    titles = {r["Song"] for r in rows}
    assert all(any(t in s for t in titles) for s in songs)


def test_icons_come_in_every_size_smallest_first():
    icons = paths.icon_paths()
    sizes = [int(os.path.basename(p)[len("songcal-"):-len(".png")]) for p in icons]
    assert sizes == sorted(sizes) and {16, 32, 48, 256, 512} <= set(sizes)
    folder = os.path.dirname(icons[0])
    for name in ("songcal.svg", "songcal.ico", "songcal.icns"):
        assert os.path.getsize(os.path.join(folder, name)) > 1000
    with open(icons[-1], "rb") as fh:
        assert fh.read(8) == b"\x89PNG\r\n\x1a\n"


def test_build_info_is_empty_outside_a_bundle():
    assert not paths.is_frozen()
    assert paths.build_info() == {}


def test_build_info_is_read_inside_a_bundle(monkeypatch, tmp_path):
    # What a PyInstaller bundle looks like from inside: sys.frozen and sys._MEIPASS, the
    # folder holding the version file written at build time.
    (tmp_path / paths.BUILD_INFO_NAME).write_text(
        "version: 1.2.3\ncommit: abc1234\nbuilt: 2026-01-02\nno colon on this line\n",
        encoding="utf-8")
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "_MEIPASS", str(tmp_path), raising=False)
    assert paths.is_frozen()
    assert paths.build_info() == {"version": "1.2.3", "commit": "abc1234",
                                  "built": "2026-01-02"}
    monkeypatch.delattr(sys, "_MEIPASS")  # frozen by another tool: not SongCal's bundle
    assert not paths.is_frozen() and paths.build_info() == {}
