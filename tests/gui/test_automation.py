"""``songcal gui ... --start --export-dir DIR --quit-when-done`` and the launcher."""

from __future__ import annotations

import errno
import os
import subprocess
import sys
from types import SimpleNamespace

import pytest

from core.analysis.identity import analyzer_id
from core.errors import CorruptFileError, ReferenceSheetError
from core.io.csvio import read_csv_rows
from core.io.results import RESULT_COLUMNS
from tests.gui.conftest import FakeAnalyzer

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@pytest.fixture
def fake_analysis(monkeypatch):
    def install(fake):
        import gui.engine

        monkeypatch.setattr(gui.engine, "default_analyze", fake)
        return fake

    return install


def test_gui_runs_a_batch_and_writes_results(qapp, wav_deck, tmp_path, fake_analysis):
    from gui.app import run_gui

    deck, paths = wav_deck
    fake = fake_analysis(FakeAnalyzer())
    out = tmp_path / "export"
    code = run_gui([str(deck), "--start", "--export-dir", str(out), "--quit-when-done",
                    "--workers", "2"])
    assert code == 0
    (made,) = os.listdir(out)  # a new folder named after the moment
    assert made.startswith("songcal-export-")
    cols, rows = read_csv_rows(out / made / "results.csv")
    assert cols[:len(RESULT_COLUMNS)] == list(RESULT_COLUMNS)
    assert "songcal_version" in cols and "settings" in cols and "analyzer" in cols
    assert {r["analyzer"] for r in rows} == {analyzer_id()}
    assert sorted(r["path"] for r in rows) == sorted(str(p) for p in paths)
    assert {r["status"] for r in rows} == {"done"}
    assert len(fake.calls) == 6


def test_gui_exit_code_is_1_when_a_song_fails(qapp, wav_deck, tmp_path, fake_analysis):
    from gui.app import run_gui

    deck, _ = wav_deck
    fake_analysis(FakeAnalyzer(fail_on="003", error=CorruptFileError("x", "damaged data")))
    out = tmp_path / "export"
    code = run_gui([str(deck), "--start", "--export-dir", str(out), "--quit-when-done",
                    "--workers", "2"])
    assert code == 1
    (made,) = os.listdir(out)
    _, rows = read_csv_rows(out / made / "results.csv")
    failed = [r for r in rows if r["status"] == "failed"]
    assert len(failed) == 1 and failed[0]["error"] == "damaged data"


def test_gui_exit_code_is_2_when_no_audio_is_found(qapp, tmp_path, fake_analysis):
    from gui.app import run_gui

    fake_analysis(FakeAnalyzer())
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "readme.txt").write_text("no audio here")
    assert run_gui([str(empty), "--start", "--quit-when-done"]) == 2


@pytest.mark.parametrize("where, why", [
    ("/proc", "nothing can be created in it"),  # even root cannot make a folder there
    ("", "the folder name is empty"),
    ("a song", "it is a file, not a folder"),
])
def test_gui_export_dir_where_nothing_can_be_made_is_refused_before_any_song(
        qapp, wav_deck, tmp_path, fake_analysis, capsys, where, why):
    """The whole batch ran before the export folder failed (and the exit code was 1)."""
    from gui.app import run_gui

    deck, paths = wav_deck
    fake = fake_analysis(FakeAnalyzer())
    if where == "a song":
        where = str(paths[0])
    code = run_gui([str(deck), "--start", "--export-dir", where, "--quit-when-done"])
    assert code == 2 and fake.calls == []
    assert why in capsys.readouterr().err


def test_gui_export_that_cannot_be_written_exits_3(qapp, wav_deck, tmp_path, fake_analysis,
                                                   monkeypatch, capsys):
    """An output that could not be written is exit code 3, as on the command line (it was 1,
    the code of a failed song)."""
    import core.calibration.exports as exports
    from gui.app import run_gui

    deck, _ = wav_deck
    fake_analysis(FakeAnalyzer())

    def full(folder):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(exports, "new_export_folder", full)
    code = run_gui([str(deck), "--start", "--export-dir", str(tmp_path / "export"),
                    "--quit-when-done", "--workers", "2"])
    assert code == 3
    assert "No space left on device" in capsys.readouterr().err


def test_gui_unknown_option_is_usage_error(capsys):
    from gui.app import run_gui

    assert run_gui(["--no-such-option"]) == 2
    assert "usage" in capsys.readouterr().err


def test_gui_missing_reference_is_usage_error(tmp_path, capsys):
    from gui.app import run_gui

    assert run_gui(["--reference", str(tmp_path / "nope.csv")]) == 2
    assert "reference sheet not found" in capsys.readouterr().err


def test_gui_bad_worker_count_is_usage_error(capsys):
    from gui.app import run_gui

    assert run_gui(["--workers", "0"]) == 2
    assert "--workers" in capsys.readouterr().err


def test_launcher_dispatches_cli_without_qt_and_sets_thread_variables(tmp_path):
    code = (
        "import os, sys\n"
        "for v in ('OMP_NUM_THREADS', 'OPENBLAS_NUM_THREADS', 'MKL_NUM_THREADS',"
        " 'NUMBA_CACHE_DIR'): os.environ.pop(v, None)\n"
        "import core.cli.analyze\n"
        "core.cli.analyze.run = lambda args: 7 if args.command == 'analyze' else 0\n"
        "from core.cli.main import main\n"
        "rc = main(['analyze', 'x.wav', '-o', 'r.csv'])\n"
        "print(rc, 'PySide6' in sys.modules, os.environ['OMP_NUM_THREADS'],"
        " os.environ['OPENBLAS_NUM_THREADS'], bool(os.environ.get('NUMBA_CACHE_DIR')))\n"
    )
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "cache")}
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True,
                         text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["7", "False", "1", "1", "True"]


def test_launcher_keeps_thread_variables_already_set(monkeypatch):
    from core.cli.main import prepare_environment

    monkeypatch.setenv("OMP_NUM_THREADS", "3")
    monkeypatch.setenv("NUMBA_CACHE_DIR", "/somewhere")
    prepare_environment()
    assert os.environ["OMP_NUM_THREADS"] == "3"
    assert os.environ["NUMBA_CACHE_DIR"] == "/somewhere"


def test_gui_package_does_not_import_qt():
    out = subprocess.run([sys.executable, "-c",
                          "import sys, gui, core.cli.main; print('PySide6' in sys.modules)"],
                         cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert out.stdout.strip() == "False", out.stderr


def test_gui_reference_runs_the_calibration_after_the_export(qapp, wav_deck, tmp_path,
                                                             fake_analysis, monkeypatch):
    import core.calibration.session
    from gui.app import run_gui

    deck, _ = wav_deck
    fake_analysis(FakeAnalyzer())
    ref = tmp_path / "reference.csv"
    ref.write_text("title,artist,bpm,key\nSong 0,Artist,120,A minor\n")
    calls = []

    class Unpaired:  # a session in which a song found no reference row
        all_songs_paired = False

        def match_summary(self):
            return "1/6 songs matched"

    def fake_calibrate(results_csv, reference, *, out_dir=None, settings=None, options=None):
        # the sheet read before the batch (a path would be read again after it)
        calls.append((results_csv, reference.path, out_dir, os.path.isfile(results_csv)))
        return Unpaired(), {}

    monkeypatch.setattr(core.calibration.session, "calibrate_results_csv", fake_calibrate)
    out = tmp_path / "export"
    code = run_gui([str(deck), "--start", "--export-dir", str(out), "--quit-when-done",
                    "--reference", str(ref), "--workers", "2"])
    (made,) = os.listdir(out)
    made = out / made
    assert calls == [(str(made / "results.csv"), str(ref), str(made), True)]
    assert code == 1  # the calibration's own exit code counts


@pytest.mark.parametrize("name", ["reference.csv", "Reference.XLSX", "reference.txt"])
def test_gui_sheet_among_the_paths_is_the_reference(qapp, wav_deck, tmp_path, fake_analysis,
                                                    monkeypatch, name):
    """A sheet named among the songs (a file manager opening a CSV or a workbook with
    SongCal through its desktop entry; a sheet saved as tab-delimited text) is loaded as the
    reference, not scanned as a song."""
    import core.calibration.session
    from core.calibration.reference import load_reference
    from gui.app import run_gui

    deck, paths = wav_deck
    fake_analysis(FakeAnalyzer())
    ref = tmp_path / name
    if name.endswith(".csv"):
        ref.write_text("title,artist,bpm,key\nSong 0,Artist,120,A minor\n")
    elif name.endswith(".txt"):
        ref.write_text("title\tartist\tbpm\tkey\r\nSong 0\tArtist\t120\tA minor\r\n")
    else:
        openpyxl = pytest.importorskip("openpyxl")
        book = openpyxl.Workbook()
        for row in (["title", "artist", "bpm", "key"], ["Song 0", "Artist", 120, "A minor"]):
            book.active.append(row)
        book.save(ref)
    calls = []

    def fake_calibrate(results_csv, reference, *, out_dir=None, settings=None, options=None):
        calls.append((reference.path, [r.title for r in reference.rows]))
        return SimpleNamespace(all_songs_paired=True, match_summary=lambda: ""), {}

    monkeypatch.setattr(core.calibration.session, "calibrate_results_csv", fake_calibrate)
    out = tmp_path / "export"
    code = run_gui([str(ref), str(deck), "--start", "--export-dir", str(out),
                    "--quit-when-done", "--workers", "2"])
    (made,) = os.listdir(out)
    _, rows = read_csv_rows(out / made / "results.csv")
    assert sorted(r["path"] for r in rows) == sorted(str(p) for p in paths)
    assert calls == [(str(ref), [r.title for r in load_reference(str(ref)).rows])]
    assert calls[0][1] == ["Song 0"] and code == 0


def test_gui_text_that_is_no_sheet_is_never_the_reference(qapp, wav_deck, tmp_path,
                                                         fake_analysis, monkeypatch, capsys):
    """A readme named with the songs is ignored as not audio, and no calibration runs; named
    alone as the sheet with --export-dir, it is refused at once with a message naming it."""
    import core.calibration.session
    from gui.app import run_gui

    deck, paths = wav_deck
    fake_analysis(FakeAnalyzer())
    readme = tmp_path / "readme.txt"
    readme.write_text("Recorded live at the Harbor, 2019.\nMixed by June.\n")
    calls = []
    monkeypatch.setattr(core.calibration.session, "calibrate_results_csv",
                        lambda *a, **k: calls.append(a))
    out = tmp_path / "export"
    code = run_gui([str(readme), str(deck), "--start", "--export-dir", str(out),
                    "--quit-when-done", "--workers", "2"])
    (made,) = os.listdir(out)
    _, rows = read_csv_rows(out / made / "results.csv")
    assert sorted(r["path"] for r in rows) == sorted(str(p) for p in paths)
    assert code == 0 and calls == []
    capsys.readouterr()
    assert run_gui([str(readme), "--start", "--export-dir", str(tmp_path / "other"),
                    "--quit-when-done"]) == 2
    err = capsys.readouterr().err
    assert "readme.txt" in err and "no title column" in err


def test_gui_without_paths_brings_back_the_last_list(qapp, wav_deck, fake_analysis,
                                                     monkeypatch):
    from PySide6.QtCore import QTimer

    from gui.app import run_gui
    from gui.main_window import MainWindow

    deck, paths = wav_deck
    fake_analysis(FakeAnalyzer())
    assert run_gui([str(deck), "--start", "--quit-when-done", "--workers", "2"]) == 0
    seen = {}
    original = MainWindow._on_library_restored

    def spy(self, info):
        original(self, info)
        seen.update(info, rows=self.model.rowCount(),
                    done=sum(j.result is not None for j in self.engine.batch.jobs))
        self.confirm_quit = False
        QTimer.singleShot(0, self.close)

    monkeypatch.setattr(MainWindow, "_on_library_restored", spy)
    guard = QTimer()  # the wait is bounded: windows close after 30 s whatever happens
    guard.setSingleShot(True)
    guard.timeout.connect(lambda: [w.close() for w in qapp.topLevelWidgets()])
    guard.start(30_000)
    try:
        assert run_gui([]) == 0
    finally:
        guard.stop()
    assert seen["songs"] == seen["rows"] == seen["done"] == len(paths)
    assert not seen["unfinished"]


def test_gui_goes_on_when_its_terminal_reader_is_gone(qapp, wav_deck, tmp_path,
                                                      fake_analysis, monkeypatch):
    """``songcal gui ... --quit-when-done 2>&1 | head -1``: the messages after head ended
    raised a broken pipe in the automation, which never quit (the export and exit code were
    lost, and the process waited forever)."""
    from gui.app import run_gui

    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader is gone before the first message
    broken = open(write_end, "w", encoding="utf-8", buffering=1)
    monkeypatch.setattr(sys, "stderr", broken)
    monkeypatch.setattr(sys, "stdout", broken)
    deck, paths = wav_deck
    fake_analysis(FakeAnalyzer())
    out = tmp_path / "export"
    try:
        code = run_gui([str(deck), "--start", "--export-dir", str(out), "--quit-when-done",
                        "--workers", "2"])
    finally:
        monkeypatch.undo()
    assert code == 0
    (made,) = os.listdir(out)
    _cols, rows = read_csv_rows(out / made / "results.csv")
    assert len(rows) == len(paths)
    print("a message after the reader left", file=broken)  # goes nowhere, raises nothing
    broken.close()


def test_gui_workers_beyond_the_memory_are_lowered_with_a_word(qapp, wav_deck, tmp_path,
                                                               fake_analysis, monkeypatch,
                                                               capsys):
    """``songcal gui --workers 256`` on a small machine started 256 songs at once (the
    command line's rule was not applied to the window)."""
    import core.settings
    from gui.app import run_gui

    monkeypatch.setattr(core.settings, "available_memory",
                        lambda: 3 * core.settings.MEMORY_PER_SONG - 1)
    deck, _paths = wav_deck
    fake_analysis(FakeAnalyzer())
    out = tmp_path / "export"
    assert run_gui([str(deck), "--start", "--export-dir", str(out), "--quit-when-done",
                    "--workers", "256"]) == 0
    (made,) = os.listdir(out)
    _cols, rows = read_csv_rows(out / made / "results.csv")
    assert {r["settings"].split(";")[2] for r in rows} == {"workers=2"}
    err = capsys.readouterr().err
    assert ("songcal gui: warning: --workers 256 needs about 17.2 GB of memory for songs in "
            "progress (64 MB each) and 0.2 GB is available; using 2 workers") in err


def test_gui_export_dir_calibration_file_swapped_for_a_link_to_the_sheet_is_kept_aside(
        qapp, wav_deck, tmp_path, fake_analysis, monkeypatch, capsys):
    """``--export-dir`` with ``--reference``: a calibration file replaced by a link to the
    sheet after the folder was made was written through, replacing the sheet."""
    import core.calibration.session
    from core.io.csvio import atomic_write_text
    from gui.app import run_gui

    deck, _ = wav_deck
    fake_analysis(FakeAnalyzer())
    ref = tmp_path / "reference.csv"
    sheet = "title,artist,bpm,key\nSong 0,Artist,120,A minor\n"
    ref.write_text(sheet)

    def calibrate_into_a_swapped_file(results_csv, reference, *, out_dir=None, settings=None,
                                      options=None):
        paired = os.path.join(out_dir, "results_paired.csv")
        os.symlink(ref, paired)  # after the folder was made, before the write
        atomic_write_text(paired, "title\nSong 0\n")
        raise AssertionError("written through")

    monkeypatch.setattr(core.calibration.session, "calibrate_results_csv",
                        calibrate_into_a_swapped_file)
    out = tmp_path / "export"
    code = run_gui([str(deck), "--start", "--export-dir", str(out), "--quit-when-done",
                    "--reference", str(ref), "--workers", "2"])
    assert code == 3  # a file that could not be written, as on the command line; not usage
    (made,) = os.listdir(out)
    assert ref.read_text() == sheet
    (kept,) = [p for p in os.listdir(out / made) if p.startswith("results_paired.kept-")]
    assert (out / made / kept).read_text(encoding="utf-8-sig") == "title\nSong 0\n"
    err = capsys.readouterr().err
    assert "it became the reference sheet" in err and kept in err


@pytest.mark.parametrize("failure, expected", [
    (lambda: OSError(errno.ENOSPC, "No space left on device"), 3),
    (lambda: ReferenceSheetError("reference.csv", "no usable value"), 2),
])
def test_gui_export_dir_calibration_failure_exit_code_depends_on_its_kind(
        qapp, wav_deck, tmp_path, fake_analysis, monkeypatch, capsys, failure, expected):
    """A calibration file that cannot be written is exit code 3 (``songcal analyze
    --reference`` gives 3 too); a sheet the calibration cannot use stays 2 (usage)."""
    import core.calibration.session
    from gui.app import run_gui

    deck, _ = wav_deck
    fake_analysis(FakeAnalyzer())
    ref = tmp_path / "reference.csv"
    ref.write_text("title,artist,bpm,key\nSong 0,Artist,120,A minor\n")

    def calibrate_and_fail(results_csv, reference, *, out_dir=None, settings=None,
                           options=None):
        err = failure()
        if isinstance(err, OSError):
            err.filename = os.path.join(out_dir, "results_paired.csv")
        raise err

    monkeypatch.setattr(core.calibration.session, "calibrate_results_csv", calibrate_and_fail)
    code = run_gui([str(deck), "--start", "--export-dir", str(tmp_path / "export"),
                    "--quit-when-done", "--reference", str(ref), "--workers", "2"])
    assert code == expected
    err = capsys.readouterr().err
    assert "calibration failed" in err
    if expected == 3:
        assert "could not write" in err and "results_paired.csv" in err
