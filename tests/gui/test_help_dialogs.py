"""Help > Check Installation, the crash dialog, the log file of each run and the icon."""

from __future__ import annotations

import contextlib
import os
import sys
import threading

import pytest

from core.settings import AnalysisSettings


def test_check_installation_shows_the_report_and_copies_it(qtbot, make_window, tmp_path):
    from PySide6.QtGui import QGuiApplication

    from gui.doctor_dialog import DoctorDialog

    w = make_window(AnalysisSettings(workers=1))
    dlg = DoctorDialog(w, store_path=str(tmp_path / "none.sqlite"))
    qtbot.addWidget(dlg)
    with qtbot.waitSignal(dlg.reportReady, timeout=60_000) as sig:
        dlg.show()
    text, n_problems = sig.args
    assert n_problems == 0, text
    assert dlg.summary.text() == "All is well."
    assert "Decoding" in text and "M4A (AAC)" in text
    assert "offscreen (in use)" in text  # the platform the running app really uses
    dlg.copy_button.click()
    assert QGuiApplication.clipboard().text() == text
    dlg.close()


def test_check_installation_lists_a_damaged_store(qtbot, make_window, tmp_path):
    from gui.doctor_dialog import DoctorDialog

    bad = tmp_path / "results.sqlite"
    bad.write_bytes(b"not sqlite at all " * 300)
    w = make_window(AnalysisSettings(workers=1))
    dlg = DoctorDialog(w, store_path=str(bad))
    qtbot.addWidget(dlg)
    with qtbot.waitSignal(dlg.reportReady, timeout=60_000) as sig:
        pass
    text, n_problems = sig.args
    assert n_problems == 1
    assert text.rstrip().splitlines()[-1].startswith(f"session store: {bad} is damaged")
    assert dlg.summary.text().startswith("1 problem found")
    dlg.close()


def test_help_menu_has_the_demo_and_the_check(make_window):
    w = make_window(AnalysisSettings(workers=1))
    help_menu = [a.menu() for a in w.menuBar().actions() if a.text() == "&Help"][0]
    texts = [a.text() for a in help_menu.actions()]
    assert texts[:2] == ["SongCal &Guide", "&Keyboard Shortcuts"]
    assert texts[3:5] == ["Open &Demo Deck", "&Check Installation\u2026"]


@pytest.fixture
def hooked_window(make_window, tmp_path):
    from gui.crash_dialog import install

    w = make_window(AnalysisSettings(workers=1))
    log_path = str(tmp_path / "songcal-test.log")
    restore = install(w, log_path)
    yield w, log_path
    restore()
    dialog = w.crash_reporter.dialog
    if dialog is not None:
        dialog.close()


def _raise_in_slot(qtbot, window):
    """Raise from a Qt slot, as a bug in the window would (PySide calls sys.excepthook)."""
    from PySide6.QtCore import QTimer

    def broken():
        raise ZeroDivisionError("a bug in a slot")

    QTimer.singleShot(0, window, broken)


def test_an_error_in_a_slot_shows_the_crash_dialog(qtbot, hooked_window, caplog):
    from PySide6.QtGui import QGuiApplication

    w, log_path = hooked_window
    reporter = w.crash_reporter
    _raise_in_slot(qtbot, w)
    qtbot.waitUntil(lambda: reporter.dialog is not None and reporter.dialog.isVisible(),
                    timeout=5000)
    dialog = reporter.dialog
    details = dialog.details.toPlainText()
    assert "Traceback" in details and "ZeroDivisionError: a bug in a slot" in details
    assert log_path in dialog.log_label.text()
    assert any("a bug in a slot" in r.getMessage() for r in caplog.records)  # logged too
    dialog.copy_button.click()
    copied = QGuiApplication.clipboard().text()
    assert "ZeroDivisionError" in copied and copied.rstrip().endswith(log_path)
    assert w.isVisible()  # the window stays


def test_errors_from_threads_join_the_open_dialog(qtbot, hooked_window):
    w, _ = hooked_window
    reporter = w.crash_reporter
    _raise_in_slot(qtbot, w)
    qtbot.waitUntil(lambda: reporter.dialog is not None, timeout=5000)

    def work():
        raise KeyError("from a worker thread")

    t = threading.Thread(target=work, name="crash-test")
    t.start()
    t.join(5)
    qtbot.waitUntil(lambda: "from a worker thread" in reporter.dialog.details.toPlainText(),
                    timeout=5000)
    assert reporter.dialog.details.toPlainText().count("Traceback") == 2


def test_the_hooks_are_restored(make_window):
    from gui.crash_dialog import install

    before = sys.excepthook, threading.excepthook
    restore = install(make_window(AnalysisSettings(workers=1)), None)
    assert sys.excepthook is not before[0]
    restore()
    assert (sys.excepthook, threading.excepthook) == before


def test_a_window_with_a_crash_reporter_dies_when_let_go(qapp):
    # the window keeps its reporter, which must not hold it back in a reference cycle
    import gc
    import weakref

    from gui.crash_dialog import install
    from gui.main_window import MainWindow

    gc.collect()
    gc.disable()
    try:
        w = MainWindow(AnalysisSettings(workers=1), remember=False)
        w.confirm_quit = False
        install(w, None)()  # installed, then restored
        assert w.crash_reporter.window is w
        w.close()
        refs = weakref.ref(w), weakref.ref(w.crash_reporter)
        del w
        assert [ref() for ref in refs] == [None, None]
    finally:
        gc.enable()


def test_each_run_gets_its_own_log_file_and_old_ones_are_pruned(monkeypatch, tmp_path):
    import gui.app

    folder = tmp_path / "logs"
    folder.mkdir()
    monkeypatch.setenv("SONGCAL_LOG_DIR", str(folder))
    ended = _ended_pids(gui.app.KEEP_LOGS + 3)
    for i, pid in enumerate(ended):
        old = folder / f"songcal-202001{i + 1:02d}-000000-{pid}.log"
        old.write_text("an earlier run\n")
        os.utime(old, (1_600_000_000 + i, 1_600_000_000 + i))
    (folder / "notes.txt").write_text("not a log")
    path = gui.app._log_file()
    assert os.path.dirname(path) == str(folder)
    assert os.path.basename(path).startswith("songcal-") and path.endswith(f"-{os.getpid()}.log")
    left = sorted(n for n in os.listdir(folder) if n.startswith("songcal-"))
    assert len(left) == gui.app.KEEP_LOGS - 1  # the new run's file makes KEEP_LOGS
    n = gui.app.KEEP_LOGS + 3
    assert f"songcal-202001{n:02d}-000000-{ended[-1]}.log" in left  # the newest stay
    assert f"songcal-20200101-000000-{ended[0]}.log" not in left
    assert (folder / "notes.txt").exists()


def _ended_pids(n: int) -> list[int]:
    """``n`` process numbers no process has now (of processes started and ended)."""
    import subprocess

    from core.io.tempfiles import pid_running

    pids = []
    while len(pids) < n:
        proc = subprocess.Popen([sys.executable, "-c", "pass"])
        proc.wait()
        if pid_running(proc.pid) is False and proc.pid not in pids:
            pids.append(proc.pid)
    return pids


@pytest.mark.skipif(os.name != "posix", reason="Windows keeps a process's open file")
def test_the_log_of_another_window_still_running_is_not_pruned(monkeypatch, tmp_path):
    """A window that logs nothing for a while has the oldest log file once ten other runs
    started (automated ones, say): its file was removed under it, and its crash dialog
    named a file that was gone."""
    import subprocess

    import gui.app

    folder = tmp_path / "logs"
    folder.mkdir()
    monkeypatch.setenv("SONGCAL_LOG_DIR", str(folder))
    window = subprocess.Popen([sys.executable, "-c", "import sys; sys.stdin.read()"],
                              stdin=subprocess.PIPE)
    try:
        running = folder / f"songcal-20200101-000000-{window.pid}.log"
        running.write_text("a window still open\n")
        os.utime(running, (1_500_000_000, 1_500_000_000))  # the oldest of all
        for i, pid in enumerate(_ended_pids(gui.app.KEEP_LOGS + 2)):
            old = folder / f"songcal-202002{i + 1:02d}-000000-{pid}.log"
            old.write_text("an earlier run\n")
            os.utime(old, (1_600_000_000 + i, 1_600_000_000 + i))
        gui.app._log_file()
        assert running.exists()
        left = [n for n in os.listdir(folder) if n.startswith("songcal-202002")]
        assert len(left) == gui.app.KEEP_LOGS - 1  # and the newest, as before
    finally:
        window.stdin.close()
        window.wait()
    gui.app._log_file()  # once that window ended, its file goes as the oldest
    assert not running.exists()


@contextlib.contextmanager
def _own_log_file(monkeypatch):
    """The window's log file set up afresh for the test (the process's own, set up once by
    an earlier window, is put back after it); yields its path."""
    import logging

    import gui.app

    root = logging.getLogger()
    earlier = gui.app._FILE_HANDLER
    if earlier is not None:
        root.removeHandler(earlier)
    monkeypatch.setattr(gui.app, "_FILE_HANDLER", None)
    try:
        yield gui.app._setup_logging()
    finally:
        if gui.app._FILE_HANDLER is not None:
            root.removeHandler(gui.app._FILE_HANDLER)
            gui.app._FILE_HANDLER.close()
        if earlier is not None:
            root.addHandler(earlier)


def test_the_window_runs_write_their_log_file(qapp, monkeypatch):
    with _own_log_file(monkeypatch) as path:
        assert path and os.path.isfile(path)
        assert os.path.dirname(path) == os.path.join(os.environ["SONGCAL_DATA_DIR"], "logs")
        with open(path, encoding="utf-8") as fh:
            assert "SongCal" in fh.read()


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")
def test_a_log_file_on_a_full_disk_is_said_once(qapp, monkeypatch, capsys):
    import logging

    import gui.app

    root = logging.getLogger()
    earlier = gui.app._FILE_HANDLER
    if earlier is not None:
        root.removeHandler(earlier)
    monkeypatch.setattr(gui.app, "_FILE_HANDLER", None)
    monkeypatch.setattr(gui.app, "_log_file", lambda: "/dev/full")  # every write: ENOSPC
    try:
        assert gui.app._setup_logging() == "/dev/full"
        for i in range(5):
            logging.getLogger("gui").info("message %d", i)
    finally:
        if gui.app._FILE_HANDLER is not None:
            root.removeHandler(gui.app._FILE_HANDLER)
            with contextlib.suppress(OSError):  # its last flush fails too
                gui.app._FILE_HANDLER.close()
        if earlier is not None:
            root.addHandler(earlier)
    err = capsys.readouterr().err
    assert "Logging error" not in err and "Traceback" not in err
    said = [ln for ln in err.splitlines() if "log file /dev/full cannot be written" in ln]
    assert len(said) == 1 and "No space left on device" in said[0]


def test_the_application_icon_is_set(qapp):
    import gui.app

    gui.app._set_app_icon(qapp)
    sizes = {s.width() for s in qapp.windowIcon().availableSizes()}
    assert {16, 32, 256} <= sizes


def test_a_song_name_that_is_not_utf8_is_written_into_the_log_file(qapp, monkeypatch, capsys):
    """A line naming a song whose file name is not valid UTF-8 (a lone surrogate in Python)
    was lost from the log file, and the terminal said the log file could not be written
    and messages went to the terminal only, though every later line was written."""
    import logging

    import gui.app

    name = os.fsdecode(b"/music/caf\xe9.wav")  # Latin-1 bytes from an old archive
    with _own_log_file(monkeypatch) as path:
        logging.getLogger("gui.engine").warning("failed: %s: %s", name, "not audio")
        logging.getLogger("gui.engine").warning("after it")
        gui.app._FILE_HANDLER.flush()
        with open(path, encoding="utf-8") as fh:
            text = fh.read()
    assert "failed: /music/caf\\udce9.wav: not audio" in text and "after it" in text
    assert "cannot be written" not in capsys.readouterr().err
