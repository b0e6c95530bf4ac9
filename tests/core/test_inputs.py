"""Reading the small input files (reference sheets, profiles) whole, refusing what is not one."""

from __future__ import annotations

import os

import pytest

from core.io.inputs import InputFileError, read_regular_file


def test_a_regular_file_is_read_whole(tmp_path):
    path = tmp_path / "sheet.csv"
    data = b"title,bpm\n" + b"x,120\n" * 300_000  # several reads of 1 MiB
    path.write_bytes(data)
    assert read_regular_file(path, max_bytes=len(data)) == data


def test_what_is_not_a_small_regular_file_is_refused_with_its_reason(tmp_path):
    with pytest.raises(InputFileError, match="the reference sheet does not exist"):
        read_regular_file(tmp_path / "none.csv", max_bytes=100, what="reference sheet")
    with pytest.raises(InputFileError, match="is a folder, not a regular file"):
        read_regular_file(tmp_path, max_bytes=100)
    big = tmp_path / "big.csv"
    big.write_bytes(b"x" * 101)
    with pytest.raises(InputFileError, match="too large"):
        read_regular_file(big, max_bytes=100)


def test_a_platform_without_non_blocking_opens_reads_too(tmp_path, monkeypatch):
    # Windows has no O_NONBLOCK: the file is opened plainly there.
    monkeypatch.delattr(os, "O_NONBLOCK", raising=False)
    path = tmp_path / "p.json"
    path.write_bytes(b"{}")
    assert read_regular_file(path, max_bytes=10) == b"{}"
