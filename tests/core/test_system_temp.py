"""Files SongCal puts in the system's temporary folder (``songcal doctor``'s test files, a
song sent to a cluster worker as bytes) are named after their process, so that one left by a
killed process is removed by a later run, and a song analyzed from such a copy keeps the
title and artist its own file name gives."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time

import pytest

from core.io import tempfiles
from tests.audio_files import tone, write_audio
from tests.core.test_tempfiles import (
    DEAD_AGE_S,
    _dead_pid,
    _killed_once_it_writes,
    _leftover,
    _owned,
)


@pytest.fixture
def system_temp(tmp_path, monkeypatch):
    """A private system temporary folder for this process."""
    folder = tmp_path / "systmp"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    return folder


def test_a_killed_doctor_leaves_only_files_the_next_one_removes(tmp_path, system_temp,
                                                                monkeypatch):
    """``songcal doctor`` killed while it decodes left a ``songcal-doctor-*`` folder in the
    system's temporary folder for good; its test files now carry its pid, and the next
    doctor removes them once the writer has ended (and the 10-minute margin passed)."""
    env = {**os.environ, "TMPDIR": str(system_temp), "QT_QPA_PLATFORM": "offscreen",
           "SONGCAL_DATA_DIR": str(tmp_path / "data")}
    proc = _killed_once_it_writes([sys.executable, "-m", "core.cli.main", "doctor"], system_temp,
                           owned=True, env=env, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)
    left = os.listdir(system_temp)
    assert left, "the doctor wrote no test file in the system's temporary folder"
    for name in left:
        assert tempfiles._OWNED.fullmatch(name), name
        assert f"-{proc.pid}-" in name
        t = time.time() - DEAD_AGE_S - 60
        os.utime(system_temp / name, (t, t))
    from core.cli.doctor import run_checks

    monkeypatch.setenv("QT_QPA_PLATFORM", "offscreen")
    run_checks(store_path=str(tmp_path / "none.sqlite"))
    assert os.listdir(system_temp) == []


def test_a_worker_sweeps_copies_of_songs_that_killed_workers_left(system_temp):
    dead = _dead_pid()
    gone = _leftover(system_temp, _owned(dead)[:-4] + ".tmp.flac", DEAD_AGE_S + 60)
    mine = _leftover(system_temp, _owned(os.getpid())[:-4] + ".tmp.flac", DEAD_AGE_S + 60)
    young = _leftover(system_temp, _owned(dead, rand="young_12")[:-4] + ".tmp.mp3", 5)
    assert tempfiles.sweep_system_temp() == [gone]
    assert os.path.exists(mine) and os.path.exists(young)


def test_a_song_sent_as_bytes_keeps_the_title_of_its_own_name(tmp_path, system_temp,
                                                              monkeypatch):
    """With ``--send-files`` an untagged song was titled after the worker's temporary copy
    (``songcal-uqy8fba8``), so it paired with no row of the reference sheet."""
    distributed = pytest.importorskip("distributed")
    from core.analysis.analyze import analyze_file
    from core.batch.cluster_tasks import analyze_task
    from core.settings import AnalysisSettings

    class Worker:
        address = "tcp://127.0.0.1:1"

        def log_event(self, topic, msg):
            pass

    class Event:
        def __init__(self, name):
            pass

        def is_set(self):
            return False

    monkeypatch.setattr(distributed, "get_worker", lambda: Worker())
    monkeypatch.setattr(distributed, "Event", Event)
    song = write_audio(tmp_path / "Daft Punk - One More Time.wav", tone(440.0, 2.0, 8000), 8000)
    copies = []

    def analyze(path, **kw):
        copies.append(path)
        return analyze_file(path, **kw)

    outcome, result, _ = analyze_task(str(song), AnalysisSettings(workers=1), 1, 1, "c",
                                      payload=song.read_bytes(), analyze=analyze)
    assert outcome == "done", result
    assert (result.title, result.artist) == ("One More Time", "Daft Punk")
    assert result.path == str(song)
    (copy,) = copies
    assert os.path.dirname(copy) == str(system_temp)
    assert tempfiles._OWNED.fullmatch(os.path.basename(copy)) and copy.endswith(".wav")
    assert os.listdir(system_temp) == []


def test_doctor_records_the_leftovers_it_removes_in_the_log_file(tmp_path, system_temp,
                                                                 monkeypatch, capsys):
    from core.cli.main import main

    monkeypatch.setenv("QT_QPA_PLATFORM", "offscreen")
    pid = _dead_pid()
    left = _leftover(system_temp, _owned(pid)[:-4] + ".tmp.wav", DEAD_AGE_S + 60)
    main(["doctor", "--store", str(tmp_path / "none.sqlite")])
    assert not os.path.exists(left)
    log = (tmp_path / "songcal-data" / "songcal.log").read_text(encoding="utf-8")
    assert f"removed the temporary file {left}" in log
