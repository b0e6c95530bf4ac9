"""The command line's guard called directly (:mod:`core.cli.guard`): its one-line errors, the
log file every command keeps, a terminal whose reader went away, and the checks of the
outputs against the reference sheet a profile was fitted on.

The commands' tests reach these through whole commands, often in a child process; these pin
each function's own words and limits.
"""

import codecs
import errno
import logging
import os
import sys
from types import SimpleNamespace

import pytest

from core.cli import guard
from core.errors import ExitCode


@pytest.fixture
def core_log():
    """The ``core`` logger and the root's handlers, restored after the test."""
    log = logging.getLogger("core")
    before = list(log.handlers), log.level
    root = [(h, h.level) for h in logging.getLogger().handlers]
    for h in _file_handlers(log):  # an earlier command's log file, back after the test
        log.removeHandler(h)
    yield log
    for h in log.handlers:
        if h not in before[0]:
            h.close()
    log.handlers[:] = before[0]
    log.setLevel(before[1])
    for h, level in root:
        h.setLevel(level)


@pytest.fixture(autouse=True)
def forget_watched_inputs():
    """The inputs :func:`guard.guard_outputs` keeps watched, forgotten after each test."""
    from core.io.outputs import forget_inputs

    yield
    forget_inputs()


class _ReaderLeft:
    """A standard stream whose reader went away (a pipe to ``head`` that ended)."""

    def write(self, text):
        raise BrokenPipeError(errno.EPIPE, "Broken pipe")


def _file_handlers(log):
    return [h for h in log.handlers if getattr(h, "songcal_file", False)]


def test_an_error_is_one_line_on_standard_error_that_a_terminal_can_print(capsys, monkeypatch):
    guard.say_error("analyze", "no such file: a\x1b[2Jb.wav")
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == "songcal analyze: error: no such file: a\\x1b[2Jb.wav\n"

    class Closed:
        def write(self, text):
            raise ValueError("I/O operation on closed file")

    for stream in (Closed(), _ReaderLeft()):
        monkeypatch.setattr(sys, "stderr", stream)
        guard.say_error("analyze", "not said, and no exception")


def test_a_write_that_failed_says_why_and_gives_the_output_exit_code(capsys):
    err = OSError(errno.ENOSPC, "No space left on device")
    assert guard.write_failed("calibrate", b"/m/out.csv", err) == ExitCode.OUTPUT
    assert capsys.readouterr().err == (
        "songcal calibrate: error: could not write /m/out.csv: No space left on device\n")
    guard.write_failed("calibrate", "/m/out.csv", RuntimeError("the store is closed"))
    assert capsys.readouterr().err.endswith("/m/out.csv: the store is closed\n")
    guard.write_failed("calibrate", "/m/out.csv", RuntimeError())
    assert capsys.readouterr().err.endswith("/m/out.csv: RuntimeError\n")


def test_an_unexpected_error_goes_to_the_log_with_its_traceback_and_one_line_to_the_terminal(
        capsys, core_log, tmp_path, monkeypatch):
    data = tmp_path / "data"
    monkeypatch.setenv("SONGCAL_DATA_DIR", str(data))
    try:
        raise KeyError("x" * 400)
    except KeyError as err:
        guard.say_unexpected("songcal apply", err)
    log_file = data / "songcal.log"
    line = capsys.readouterr().err
    text = guard.printable(str(KeyError("x" * 400)))[:300]
    assert line == (f"songcal apply: error: an unexpected error stopped it (KeyError: {text}); "
                    f"the details are in {log_file}\n")
    logged = log_file.read_text(encoding="utf-8")
    assert "ERROR core.cli: songcal apply stopped on an unexpected error" in logged
    assert "Traceback (most recent call last)" in logged and "KeyError" in logged
    guard.say_unexpected("songcal apply", RuntimeError())
    assert capsys.readouterr().err == (
        "songcal apply: error: an unexpected error stopped it (RuntimeError); the details are "
        f"in {log_file}\n")


def test_the_log_file_is_one_per_data_folder_at_info_and_the_terminal_keeps_to_warnings(
        core_log, tmp_path, monkeypatch):
    terminal = logging.StreamHandler(sys.stderr)
    terminal.setLevel(logging.DEBUG)
    other = logging.StreamHandler(open(os.devnull, "w"))  # noqa: SIM115 - closed below
    other.setLevel(logging.DEBUG)
    root = logging.getLogger()
    root.addHandler(terminal)
    root.addHandler(other)
    try:
        monkeypatch.setenv("SONGCAL_DATA_DIR", str(tmp_path / "one"))
        guard.log_to_file()
        guard.log_to_file()
        (handler,) = _file_handlers(core_log)
        assert handler.baseFilename == str(tmp_path / "one" / "songcal.log")
        assert (handler.level, core_log.level) == (logging.INFO, logging.INFO)
        assert codecs.lookup(handler.encoding).name == "utf-8"  # whatever the locale's
        assert (terminal.level, other.level) == (logging.WARNING, logging.DEBUG)
        logging.getLogger("core.batch").info("a leftover temporary file removed: %s", "é\udcff")
        logging.getLogger("core.batch").debug("not kept")
        handler.flush()
        logged = (tmp_path / "one" / "songcal.log").read_text(encoding="utf-8")
        assert logged.endswith(" INFO core.batch: a leftover temporary file removed: "
                               "é\\udcff\n")
        assert logged[:4].isdigit() and logged.count("\n") == 1
        monkeypatch.setenv("SONGCAL_DATA_DIR", str(tmp_path / "two"))
        guard.log_to_file()  # another data folder: its file replaces the first
        (handler,) = _file_handlers(core_log)
        assert handler.baseFilename == str(tmp_path / "two" / "songcal.log")
    finally:
        root.removeHandler(terminal)
        root.removeHandler(other)
        other.stream.close()


def test_no_log_file_where_the_data_folder_cannot_be(core_log, tmp_path, monkeypatch):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    monkeypatch.setenv("SONGCAL_DATA_DIR", str(blocker / "data"))
    guard.log_to_file()
    assert _file_handlers(core_log) == []


def test_a_terminal_whose_reader_went_away_swallows_the_rest(tmp_path):
    read_end, write_end = os.pipe()
    stream = open(write_end, "w", buffering=1)  # noqa: SIM115 - closed below
    quiet = guard._ReaderGone(stream)
    try:
        assert quiet.write("first\n") == 6 and quiet.gone is False and quiet.error is None
        assert os.read(read_end, 100) == b"first\n"
        assert quiet.fileno() == write_end and quiet.encoding == stream.encoding
        os.close(read_end)  # `| head` ended
        assert quiet.write("lost\n") == 5
        assert quiet.gone and isinstance(quiet.error, BrokenPipeError)
        quiet.writelines(["more\n", "and more\n"])
        quiet.flush()
        # the descriptor now leads to the null device: the last flush cannot fail either
        assert os.path.samestat(os.fstat(write_end), os.stat(os.devnull))
        stream.write("after\n")
        stream.flush()
    finally:
        stream.close()


def test_a_stream_that_fails_on_flush_is_dropped_there(tmp_path):
    class Full:
        def __init__(self):
            self.text = []

        def write(self, text):
            self.text.append(text)
            return len(text)

        def flush(self):
            raise OSError(errno.ENOSPC, "No space left on device")

        def fileno(self):
            raise ValueError("no descriptor")

    full = Full()
    quiet = guard._ReaderGone(full)
    quiet.writelines(["a", "b"])
    assert full.text == ["a", "b"] and not quiet.gone
    quiet.flush()
    assert quiet.gone and quiet.error.errno == errno.ENOSPC
    quiet.write("c")
    quiet.flush()
    assert full.text == ["a", "b"]


def test_standard_streams_are_wrapped_once(monkeypatch):
    out, err = SimpleNamespace(name="out"), SimpleNamespace(name="err")
    monkeypatch.setattr(sys, "stdout", out)
    monkeypatch.setattr(sys, "stderr", err)
    guard.survive_closed_pipes()
    assert isinstance(sys.stdout, guard._ReaderGone) and sys.stdout._stream is out
    assert isinstance(sys.stderr, guard._ReaderGone) and sys.stderr._stream is err
    wrapped = sys.stdout
    guard.survive_closed_pipes()
    assert sys.stdout is wrapped
    monkeypatch.setattr(sys, "stdout", None)  # started with its descriptor closed
    guard.survive_closed_pipes()
    assert sys.stdout is None


def test_the_console_escapes_what_its_encoding_cannot_show(monkeypatch):
    asked = []

    class Stream:
        def reconfigure(self, **kw):
            asked.append(kw)
            raise ValueError("already written to")

    monkeypatch.setattr(sys, "stdout", Stream())
    monkeypatch.setattr(sys, "stderr", SimpleNamespace())  # no reconfigure: left as it is
    guard.safe_console()
    assert asked == [{"errors": "backslashreplace"}]


def _profile(sheet=None, name=None):
    from core.calibration.reference import file_sha256

    meta = {}
    if sheet is not None:
        meta["reference_sha256"] = file_sha256(str(sheet))
    if name is not None:
        meta["reference_file"] = name
    return SimpleNamespace(meta=meta)


def test_the_fitted_sheet_is_known_by_its_bytes(tmp_path, monkeypatch):
    sheet = tmp_path / "reference.csv"
    sheet.write_text("title,bpm\nA,120\n", encoding="utf-8")
    copy = tmp_path / "copy.csv"
    copy.write_bytes(sheet.read_bytes())
    profile = _profile(sheet)
    assert guard.is_fitted_sheet(str(copy), profile)
    assert not guard.is_fitted_sheet(str(tmp_path / "gone.csv"), profile)
    assert not guard.is_fitted_sheet(str(tmp_path), profile)
    assert not guard.is_fitted_sheet(str(copy), None)
    assert not guard.is_fitted_sheet(str(copy), _profile())
    assert not guard.is_fitted_sheet("a\0b.csv", profile)
    import core.io.inputs

    monkeypatch.setattr(core.io.inputs, "MAX_SHEET_BYTES", copy.stat().st_size)
    assert guard.is_fitted_sheet(str(copy), profile)
    monkeypatch.setattr(core.io.inputs, "MAX_SHEET_BYTES", copy.stat().st_size - 1)
    assert not guard.is_fitted_sheet(str(copy), profile)  # larger than any sheet is read


def test_an_output_that_is_the_fitted_sheet_is_refused_by_name(tmp_path, capsys):
    sheet = tmp_path / "reference.csv"
    sheet.write_text("title,bpm\nA,120\n", encoding="utf-8")
    other = str(tmp_path / "out.csv")
    outs = {"--matched": None, "-o": other, "--results-out": str(sheet)}
    assert guard.guard_fitted_sheet("apply", outs, _profile(sheet, "ref.csv")) is False
    assert capsys.readouterr().err == (
        f"songcal apply: error: refusing to write --results-out {sheet}: it is the reference "
        "sheet the profile was fitted on (ref.csv); SongCal never writes over its inputs\n")
    assert guard.guard_fitted_sheet("apply", outs, _profile(sheet)) is False
    assert capsys.readouterr().err.endswith(
        "it is the reference sheet the profile was fitted on; SongCal never writes over its "
        "inputs\n")
    assert guard.guard_fitted_sheet("apply", {"-o": other}, _profile(sheet)) is True
    assert capsys.readouterr().err == ""


def test_the_outputs_are_checked_with_the_users_files_protected(tmp_path, capsys):
    from core.io import outputs as outputs_module

    song = tmp_path / "a.wav"
    song.write_bytes(b"RIFF\0\0\0\0WAVEfmt ")
    out = tmp_path / "out.csv"
    chosen = guard.guard_outputs("analyze", {"-o": str(out), "--log": None},
                                 inputs=[("song", str(song))])
    assert chosen == {"-o": str(out)}
    assert outputs_module.watched_input(str(song)) is not None  # watched for the rest
    assert guard.guard_outputs("analyze", {"-o": str(tmp_path / "r.mp3")}) is None
    assert capsys.readouterr().err == (
        f"songcal analyze: error: refusing to write -o {tmp_path / 'r.mp3'}: the name ends in "
        "'.mp3', an audio file; SongCal writes CSV and JSON files only\n")
    assert guard.guard_outputs("analyze", {"-o": str(song)},
                               inputs=[("song", str(song))]) is None
    assert "refusing to write -o" in capsys.readouterr().err


def test_the_session_store_may_be_a_database_and_is_refused_when_read_only(tmp_path, capsys):
    import sqlite3

    from core.batch.store import ResultStore

    store = tmp_path / "songs.sqlite"
    ResultStore(store).close()
    out = {"-o": str(tmp_path / "r.csv"), "--session": str(store)}
    assert guard.guard_outputs("analyze", out, store_option="--session") == out
    # the same database named as another output is kept
    assert guard.guard_outputs("analyze", {"-o": str(store)}) is None
    assert "the file is a database" in capsys.readouterr().err
    foreign = tmp_path / "other.sqlite"
    con = sqlite3.connect(foreign)
    con.execute("create table t (x)")
    con.commit()
    con.close()
    assert guard.guard_outputs("analyze", {"--session": str(foreign)},
                               store_option="--session") is None
    assert "another program's database (tables t)" in capsys.readouterr().err
    store.chmod(0o444)
    assert guard.guard_outputs("analyze", out, store_option="--session") is None
    err = capsys.readouterr().err
    assert err.startswith(f"songcal analyze: error: refusing to write --session {store}: ")
    assert "read-only" in err


@pytest.fixture
def other_handler(core_log):
    """A handler of another kind than the log file on the ``core`` logger."""
    with open(os.devnull, "w") as null:
        handler = logging.StreamHandler(null)
        core_log.addHandler(handler)
        yield handler
        core_log.removeHandler(handler)


def test_an_unexpected_error_is_said_whatever_fails_on_the_way(capsys, core_log, other_handler,
                                                                monkeypatch):
    def no_log_file():  # and the other handler names no log file
        raise RuntimeError("the data folder's library failed")

    monkeypatch.setattr(guard, "log_to_file", no_log_file)

    def error(*a, **kw):
        raise RuntimeError("a handler failed")

    monkeypatch.setattr(logging.getLogger("core.cli"), "error", error)
    guard.say_unexpected("songcal analyze", ValueError("bad"))
    assert capsys.readouterr().err == (
        "songcal analyze: error: an unexpected error stopped it (ValueError: bad)\n")

    monkeypatch.setattr(sys, "stderr", _ReaderLeft())
    guard.say_unexpected("songcal analyze", ValueError("not said, and no exception"))


def test_the_log_file_keeps_the_other_handlers(core_log, other_handler, tmp_path, monkeypatch):
    monkeypatch.setenv("SONGCAL_DATA_DIR", str(tmp_path / "data"))
    guard.log_to_file()
    assert other_handler in core_log.handlers and len(_file_handlers(core_log)) == 1


def test_the_log_file_is_utf_8_whatever_the_locale(tmp_path):
    import subprocess

    env = {k: v for k, v in os.environ.items() if not k.startswith(("LC_", "LANG", "PYTHONUTF8"))}
    env.update(LC_ALL="C", PYTHONUTF8="0", PYTHONCOERCECLOCALE="0", PYTHONIOENCODING="ascii",
               SONGCAL_DATA_DIR=str(tmp_path / "data"))
    code = ("import logging; from core.cli.guard import log_to_file; log_to_file(); "
            "logging.getLogger('core.x').info('B\\u00fcndel \\u65e5\\u672c')")
    subprocess.run([sys.executable, "-c", code], env=env, check=True, timeout=60,
                   cwd=os.path.dirname(os.path.dirname(os.path.dirname(__file__))))
    logged = (tmp_path / "data" / "songcal.log").read_text(encoding="utf-8")
    assert logged.endswith(" INFO core.x: Bündel 日本\n")


def test_a_stream_whose_descriptor_cannot_be_replaced_is_dropped_all_the_same():
    class Broken:
        def write(self, text):
            raise OSError(errno.EIO, "Input/output error")

        def fileno(self):
            return 1 << 30  # no such descriptor: it cannot be pointed at the null device

    def open_fds():
        return set(os.listdir("/proc/self/fd")) if os.path.isdir("/proc/self/fd") else set()

    before = open_fds()
    quiet = guard._ReaderGone(Broken())
    assert quiet.write("x") == 1
    assert quiet.gone is True and quiet.error.errno == errno.EIO
    assert open_fds() == before  # the null device's descriptor closed again


def test_an_output_too_large_for_the_disk_is_refused_before_the_work(tmp_path, capsys):
    out = str(tmp_path / "r.csv")
    assert guard.guard_outputs("analyze", {"-o": out}, expected_bytes=1 << 60) is None
    err = capsys.readouterr().err
    assert err.startswith(f"songcal analyze: error: refusing to write -o {out}: ")
    assert "free" in err
