"""``songcal doctor``: a healthy install passes; each deliberately broken part is named in
one line and makes the exit code 1."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from core.batch.store import ResultStore
from core.cli.doctor import FORMATS, run_checks
from core.cli.main import main
from core.errors import ExitCode
from core.io.results import SongResult
from tests.databases import write_database

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@pytest.fixture
def store_file(tmp_path):
    """A real session store holding one result."""
    path = str(tmp_path / "results.sqlite")
    song = tmp_path / "song.wav"
    song.write_bytes(b"x" * 100)
    store = ResultStore(path)
    store.save(SongResult(path=str(song), status="done", bpm=120.0), "fp", "content")
    store.close()
    return path


@pytest.fixture
def offscreen(monkeypatch):
    monkeypatch.setenv("QT_QPA_PLATFORM", "offscreen")


def test_healthy_install_exits_0_and_decodes_every_format(store_file, offscreen, capsys):
    code = main(["doctor", "--store", store_file])
    out = capsys.readouterr().out
    assert code == ExitCode.OK, out
    assert out.rstrip().endswith("All is well.")
    decoding = out.split("\nDecoding\n", 1)[1].split("\n\n", 1)[0].splitlines()
    assert len(decoding) == len(FORMATS)  # every format, under its heading
    for label, *_ in FORMATS:
        line = next(ln for ln in decoding if ln.strip().startswith(label + " "))
        assert "ok (" in line and "0.5" in line, line
    assert store_file in out and "integrity      ok" in out
    for name in ("SongCal", "Python", "Qt", "numpy", "libsndfile", "miniaudio", "FFmpeg (PyAV)"):
        assert any(ln.strip().startswith(name) for ln in out.splitlines()), name
    assert "offscreen (found)" in out and "not needed (offscreen)" in out


def test_store_not_yet_created_is_not_a_problem(tmp_path, offscreen):
    report = run_checks(store_path=str(tmp_path / "none.sqlite"), decode=False)
    assert report.ok, report.problems
    assert any(c.value.startswith("not created yet") for c in report.checks)


def test_a_file_that_is_no_database_is_reported(tmp_path, offscreen, capsys):
    bad = tmp_path / "results.sqlite"
    bad.write_bytes(b"this is not a database, it was overwritten " * 200)
    code = main(["doctor", "--store", str(bad)])
    out = capsys.readouterr().out
    assert code == ExitCode.FAILED
    problems = out.split("problem:\n", 1)[1].strip().splitlines()
    assert len(problems) == 1
    assert problems[0].startswith(f"session store: {bad} is damaged")
    report = run_checks(store_path=str(bad), decode=False)
    line = next(c for c in report.checks if c.section == "Session store" and c.problem)
    assert line.name == "integrity" and line.value.startswith("damaged (")


def test_a_damaged_page_fails_the_integrity_check(store_file, offscreen):
    with open(store_file, "r+b") as fh:  # overwrite the second page (a table's b-tree)
        size = os.path.getsize(store_file)
        assert size > 8192
        fh.seek(4096)
        fh.write(b"\xff" * 4096)
    report = run_checks(store_path=store_file, decode=False)
    assert [p for p in report.problems if p.startswith("session store:")], report.text()


def test_missing_libsndfile_is_named(monkeypatch, tmp_path, offscreen):
    monkeypatch.setitem(sys.modules, "soundfile", None)  # `import soundfile` now fails
    report = run_checks(store_path=str(tmp_path / "s.sqlite"))
    assert report.problems[0].startswith("libsndfile: cannot be loaded (ModuleNotFoundError")
    assert "WAV, AIFF, FLAC, OGG and MP3 files cannot be read" in report.problems[0]
    # the test files libsndfile would write cannot be made either; PyAV's still decode
    assert any(p.startswith("WAV: a test file cannot be written") for p in report.problems)
    assert not any(p.startswith("M4A (AAC)") for p in report.problems)


def test_install_without_soundfile_in_a_fresh_process(tmp_path):
    """The whole command in a process where soundfile cannot be imported at all."""
    code = ("import sys\nsys.modules['soundfile'] = None\n"
            "from core.cli.main import main\nsys.exit(main(['doctor']))\n")
    env = {**os.environ, "SONGCAL_DATA_DIR": str(tmp_path / "data"),
           "QT_QPA_PLATFORM": "offscreen"}
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True,
                         text=True, timeout=120)
    assert out.returncode == 1, out.stdout + out.stderr
    assert "Traceback" not in out.stdout + out.stderr
    problems = out.stdout.split("problems:\n", 1)[1].strip().splitlines()
    assert problems[0].startswith("libsndfile: cannot be loaded")
    assert any(p.startswith("MP3: ") for p in problems)


def test_missing_qt_is_named(monkeypatch, tmp_path, offscreen):
    monkeypatch.setitem(sys.modules, "PySide6.QtCore", None)
    report = run_checks(store_path=str(tmp_path / "s.sqlite"), decode=False)
    assert any(p.startswith("Qt: cannot be loaded") and "window cannot open" in p
               for p in report.problems), report.problems
    line = next(c for c in report.checks if c.value.startswith("cannot be loaded"))
    assert line.name == "Qt"


def test_versions_are_the_libraries_own(tmp_path, offscreen):
    import numpy
    import scipy

    report = run_checks(store_path=str(tmp_path / "s.sqlite"), decode=False)
    values = {c.name: c.value for c in report.checks}
    assert values["numpy"].startswith(numpy.__version__), values["numpy"]
    assert values["scipy"].startswith(scipy.__version__), values["scipy"]
    import PySide6

    assert values["Qt"].endswith(f"(PySide6 {PySide6.__version__})"), values["Qt"]


@pytest.mark.parametrize("n, text", [(0, "0 bytes"), (999, "999 bytes"), (1000, "1.0 KB"),
                                     (2_500_000, "2.5 MB"), (7e12, "7000.0 GB")])
def test_sizes_are_written_as_people_read_them(n, text):
    from core.cli.doctor import _size

    assert _size(n) == text


def test_missing_platform_plugin_is_named(monkeypatch, tmp_path):
    monkeypatch.setenv("QT_QPA_PLATFORM", "nosuchscreen")
    report = run_checks(store_path=str(tmp_path / "s.sqlite"), decode=False)
    assert any(p.startswith("Qt platform plugin 'nosuchscreen' is missing")
               for p in report.problems), report.problems


def test_unwritable_log_folder_is_named(monkeypatch, tmp_path, offscreen):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the log folder should be")
    monkeypatch.setenv("SONGCAL_LOG_DIR", str(blocker / "logs"))
    report = run_checks(store_path=str(tmp_path / "s.sqlite"), decode=False)
    assert [p for p in report.problems if p.startswith("log folder: not writable")]


def test_every_problem_is_one_line(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "av", None)
    monkeypatch.setenv("QT_QPA_PLATFORM", "nosuchscreen")
    bad = tmp_path / "bad.sqlite"
    bad.write_bytes(b"garbage" * 1000)
    report = run_checks(store_path=str(bad))
    assert len(report.problems) >= 4
    for p in report.problems:
        assert "\n" not in p and p.strip() == p
    text = report.text()
    assert text.endswith("\n".join(report.problems) + "\n")


class _LibrosaWithoutStubs:
    """A librosa whose lazy-loader stubs were left out of a bundle."""

    __version__ = "0.11.0"

    @property
    def filters(self):
        raise ImportError("Cannot load imports from non-existent stub 'filters.pyi'")


def test_librosa_without_its_stubs_is_named(monkeypatch, tmp_path, offscreen):
    monkeypatch.setitem(sys.modules, "librosa", _LibrosaWithoutStubs())
    report = run_checks(store_path=str(tmp_path / "s.sqlite"), decode=False)
    assert any(p.startswith("librosa: incomplete (") and "stub" in p
               for p in report.problems), report.problems
    line = next(c for c in report.checks if c.name == "librosa")
    assert line.value.startswith("0.11.0, incomplete")


def test_folders_and_window_are_reported_in_their_sections(monkeypatch, tmp_path, offscreen):
    monkeypatch.setenv("NUMBA_CACHE_DIR", str(tmp_path / "numba"))
    report = run_checks(store_path=str(tmp_path / "s.sqlite"), decode=False)
    by_name = {c.name: c for c in report.checks}
    numba = by_name["numba cache"]
    assert (numba.section, numba.value) == ("Folders", str(tmp_path / "numba"))
    sections = list(dict.fromkeys(c.section for c in report.checks))
    assert sections[-2:] == ["Folders", "Window"], sections
    assert "\nWindow\n" in "\n" + report.text()


def test_the_analyzer_build_is_named_and_unread_code_is_a_problem(monkeypatch, tmp_path,
                                                                   offscreen):
    import core.analysis.identity as identity

    report = run_checks(store_path=str(tmp_path / "s.sqlite"), decode=False)
    line = next(c for c in report.checks if c.name == "Analyzer")
    n = len(identity.ANALYSIS_MODULES)
    assert line.value == f"{identity.analyzer_id()} (the code of {n} of {n} modules)"
    assert line.problem is None
    monkeypatch.setattr(identity, "_identity", lambda: ("0123456789ab", n - 2))
    report = run_checks(store_path=str(tmp_path / "s.sqlite"), decode=False)
    assert "Analyzer build: the code of 2 modules cannot be read" in report.problems[0]

    def unreadable():
        raise OSError("no such file: tempo_trees.json")

    monkeypatch.setattr(identity, "_identity", unreadable)
    report = run_checks(store_path=str(tmp_path / "s.sqlite"), decode=False)
    line = next(c for c in report.checks if c.name == "Analyzer")
    assert line.value.startswith("cannot be named (") and "tempo_trees.json" in line.value
    assert "nothing can be analyzed" in line.problem


def test_a_bundle_names_when_and_from_what_it_was_built(monkeypatch, tmp_path, offscreen):
    from core import __version__, paths

    monkeypatch.setattr(paths, "build_info", lambda: {"built": "2026-12-03", "commit": "abc1234"})
    report = run_checks(store_path=str(tmp_path / "s.sqlite"), decode=False)
    values = {c.name: c.value for c in report.checks}
    assert values["SongCal"] == f"{__version__} (bundle built 2026-12-03 from abc1234)"
    monkeypatch.setattr(paths, "build_info", lambda: {})
    report = run_checks(store_path=str(tmp_path / "s.sqlite"), decode=False)
    assert {c.name: c.value for c in report.checks}["SongCal"] == __version__


@pytest.mark.parametrize("kind", ["FIFO (named pipe)", "character device", "folder"])
def test_a_store_that_is_no_file_is_named_and_never_waited_on(tmp_path, offscreen, kind):
    """``--store`` naming a FIFO waited forever (SQLite opens it for reading); a device
    passed as an intact store and a folder as a damaged one."""
    import threading

    path = {"FIFO (named pipe)": str(tmp_path / "s.sqlite"), "character device": "/dev/zero",
            "folder": str(tmp_path)}[kind]
    if kind.startswith("FIFO"):
        os.mkfifo(path)
    out = []
    worker = threading.Thread(target=lambda: out.append(run_checks(store_path=path,
                                                                   decode=False)))
    worker.start()
    worker.join(20)
    if worker.is_alive():  # let the blocked open go, then fail
        os.close(os.open(path, os.O_WRONLY | os.O_NONBLOCK))
        worker.join(5)
        pytest.fail("the doctor waited on the store")
    (report,) = out
    assert f"session store: {path} is a {kind}, not a database file" in report.problems


def test_a_store_of_a_newer_songcal_is_named_with_both_layouts(tmp_path, offscreen, capsys):
    """A store written by a newer SongCal passed as intact ("integrity ok", exit 0), while
    the window and ``analyze --session`` refuse it: nothing said why."""
    from core.batch.store import SCHEMA_VERSION

    path = tmp_path / "results.sqlite"
    before = write_database(path, SCHEMA_VERSION + 4, row=None)
    code = main(["doctor", "--store", str(path)])
    out = capsys.readouterr().out
    assert code == ExitCode.FAILED, out
    problems = out.split("problem:\n", 1)[1].strip().splitlines()
    assert problems == [
        f"session store: {path}: the file was written by a newer SongCal (store layout "
        f"{SCHEMA_VERSION + 4}; this one reads layouts up to {SCHEMA_VERSION}); this SongCal "
        "leaves it untouched and keeps no list in it (open it with that SongCal, or choose "
        "another store file)"]
    assert (f"layout         {SCHEMA_VERSION + 4}, newer than this build reads (up to "
            f"{SCHEMA_VERSION})") in out
    assert path.read_bytes() == before


def test_the_layout_of_a_current_store_is_shown(store_file, offscreen):
    from core.batch.store import SCHEMA_VERSION

    report = run_checks(store_path=store_file, decode=False)
    values = {c.name: c for c in report.checks if c.section == "Session store"}
    assert values["layout"].value == f"{SCHEMA_VERSION} (this build reads up to " \
                                     f"{SCHEMA_VERSION})"
    assert values["layout"].problem is None
