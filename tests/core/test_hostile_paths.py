"""What a hostile or careless user does to the command line: ``..`` after a link to a folder,
names longer than the disk allows, folders that cannot be read or are too deep to open,
standard output closed or full, Ctrl-C, SIGTERM and SIGHUP during start-up, the session store,
the profile or the reference sheet removed during the batch, an output replaced by a link to
an input during the batch, a --session file that is no store, --workers beyond the memory,
escape sequences in tags and names, the progress line while songs wait in a cluster's queue.
Each ends with a plain message or a correct row, before any song is analyzed when an input or
an output is at fault, and never writes a file the user did not name."""

from __future__ import annotations

import contextlib
import errno
import os

import pytest

from core.cli.main import main
from tests.core.test_faults import FAST, Fake, _deck, _no_traceback, _rows


@pytest.fixture
def fake(monkeypatch):
    """``fake()`` puts a stand-in analyzer (which records its calls) in place of the real one."""
    import core.analysis.analyze as analysis

    def install():
        f = Fake()
        monkeypatch.setattr(analysis, "analyze_file", f)
        return f

    return install


# ------------------------------------------------------------- outputs resolved as the system does

def test_dotdot_after_a_link_to_a_folder_writes_where_the_system_opens(tmp_path, fake, capsys):
    """``other/link/../results.csv`` with ``link -> real/sub`` is ``real/results.csv`` to every
    program; dropping ``link/..`` by its letters wrote ``other/results.csv`` instead, over a
    file the user never named."""
    _deck(tmp_path / "g", n=2)
    fake()
    (tmp_path / "real" / "sub").mkdir(parents=True)
    (tmp_path / "other").mkdir()
    os.symlink(tmp_path / "real" / "sub", tmp_path / "other" / "link")
    precious = tmp_path / "other" / "results.csv"
    precious.write_text("the user's own notes")
    out = os.path.join(tmp_path, "other", "link", "..", "results.csv")
    assert main(["analyze", str(tmp_path / "g"), "-o", out, *FAST, "--no-store"]) == 0
    assert precious.read_text() == "the user's own notes"
    assert len(_rows(tmp_path / "real" / "results.csv")) == 2
    _no_traceback(capsys)


def test_dotdot_after_a_link_that_reaches_the_reference_sheet_is_refused(tmp_path, capsys):
    (tmp_path / "real" / "sub").mkdir(parents=True)
    (tmp_path / "other").mkdir()
    os.symlink(tmp_path / "real" / "sub", tmp_path / "other" / "link")
    ref = tmp_path / "real" / "ref.csv"
    ref.write_text("title,bpm\nA,120\n")
    res = tmp_path / "r.csv"
    res.write_text("path,title,status,bpm\na.wav,A,done,120\n")
    out = os.path.join(tmp_path, "other", "link", "..", "ref.csv")
    assert main(["calibrate", str(res), "--reference", str(ref), "-o", out]) == 2
    assert ref.read_text() == "title,bpm\nA,120\n"
    assert not (tmp_path / "other" / "ref.csv").exists()
    assert "it is the reference sheet" in _no_traceback(capsys).err


# ------------------------------------------------------------------------ names too long to write

def test_a_results_name_longer_than_the_disk_allows_is_refused_before_analysis(tmp_path, fake,
                                                                               capsys):
    _deck(tmp_path / "g", n=1)
    f = fake()
    out = tmp_path / ("r" * 256 + ".csv")
    assert main(["analyze", str(tmp_path / "g"), "-o", str(out), *FAST]) == 2
    assert f.calls == []
    assert "the file name is 260 bytes long; the disk allows at most 255" in \
        _no_traceback(capsys).err


def test_calibration_files_named_after_a_long_results_name_are_checked_too(tmp_path, fake,
                                                                           capsys):
    """A 249-byte results name fits, but ``<stem>_calibration.csv`` beside it does not: the
    whole analysis ran before the write failed."""
    _deck(tmp_path / "g", n=1)
    f = fake()
    ref = tmp_path / "ref.csv"
    ref.write_text("title,bpm\n00 Song 0,120\n")
    out = tmp_path / ("r" * 245 + ".csv")
    assert main(["analyze", str(tmp_path / "g"), "--reference", str(ref), "-o", str(out),
                 *FAST]) == 2
    assert f.calls == [] and not out.exists()
    assert "_calibration.csv: the file name is 261 bytes long" in _no_traceback(capsys).err


def test_a_path_longer_than_the_system_opens_is_refused(tmp_path, fake, capsys):
    _deck(tmp_path / "g", n=1)
    f = fake()
    out = str(tmp_path) + "/" + "/".join(["d" * 200] * 21) + "/r.csv"
    assert main(["analyze", str(tmp_path / "g"), "-o", out, *FAST]) == 2
    assert f.calls == []
    assert "the system opens at most 4095" in _no_traceback(capsys).err


def test_a_failed_rename_names_the_file_asked_for(tmp_path, monkeypatch):
    import core.io.csvio as csvio

    def refuse(src, dst):
        raise OSError(errno.ENAMETOOLONG, "File name too long", src)

    monkeypatch.setattr(csvio.os, "replace", refuse)
    with pytest.raises(OSError) as info:
        csvio.atomic_write_text(tmp_path / "r.csv", "x")
    assert info.value.filename == str(tmp_path / "r.csv")
    assert [p.name for p in tmp_path.iterdir()] == []


# ------------------------------------------------------------ folders that cannot be read

def test_a_folder_that_cannot_be_read_is_a_failed_row_not_silence(tmp_path, monkeypatch, capsys):
    """os.walk dropped an unreadable folder without a word: its songs were missing from the
    results and the exit code said every song was done."""
    real_scandir = os.scandir
    locked = tmp_path / "deck" / "locked"

    def scandir(path="."):
        if os.fspath(path) == str(locked):
            raise PermissionError(errno.EACCES, "Permission denied", os.fspath(path))
        return real_scandir(path)

    _deck(tmp_path / "deck" / "open", n=1)
    _deck(locked, n=2)
    monkeypatch.setattr(os, "scandir", scandir)
    out = tmp_path / "r.csv"
    assert main(["analyze", str(tmp_path / "deck"), "-o", str(out), *FAST, "--no-store"]) == 1
    rows = {r["path"]: r for r in _rows(out)}
    assert rows[str(locked)]["status"] == "failed"
    assert rows[str(locked)]["error"] == ("this folder cannot be read (Permission denied): the "
                                          "songs in it, if any, were not analyzed")
    assert sum(r["status"] == "done" for r in rows.values()) == 1
    # named on its own, it is a failed row too, not "no audio files found"
    assert main(["analyze", str(locked), "-o", str(out), *FAST, "--no-store"]) == 1
    assert [r["path"] for r in _rows(out)] == [str(locked)]
    _no_traceback(capsys)


def _deep_tree(top, depth: int, song: bytes, name: str) -> None:
    """Folders of 200-byte names ``depth`` deep under ``top``, made relative to each other
    (the whole path soon passes what the system opens), with the song ``name`` at the
    bottom."""
    fd = os.open(top, os.O_RDONLY)
    try:
        for _ in range(depth):
            os.mkdir("d" * 200, dir_fd=fd)
            sub = os.open("d" * 200, os.O_RDONLY, dir_fd=fd)
            os.close(fd)
            fd = sub
        out = os.open(name, os.O_WRONLY | os.O_CREAT, 0o644, dir_fd=fd)
        os.write(out, song)
        os.close(out)
    finally:
        os.close(fd)


def test_songs_deeper_than_the_system_opens_are_failed_rows(tmp_path, capsys):
    from tests.audio_files import tone, write_audio

    song = write_audio(tmp_path / "s.wav", tone(440.0, 1.0, 8000), 8000).read_bytes()
    for case in ("file", "folder"):  # the song's own path too long, then its folder's
        top = tmp_path / f"deck-{case}"
        top.mkdir()
        # the file case: the bottom folder's path fits, the song's 250-byte name does not
        depth = (4094 - len(str(top))) // 201 if case == "file" else 22
        _deep_tree(top, depth, song, "s" * 246 + ".wav")
        out = tmp_path / f"r-{case}.csv"
        assert main(["analyze", str(top), "-o", str(out), *FAST, "--no-store"]) == 1
        (row,) = _rows(out)
        assert row["status"] == "failed" and len(os.fsencode(row["path"])) >= 4096
        assert row["error"] == (
            f"the path is {len(os.fsencode(row['path']))} bytes long, more than the system "
            "opens: it was not analyzed (move it higher up)" if case == "file" else
            "the folder's path is longer than the system opens: the songs in it, if any, "
            "were not analyzed (move them higher up)")
        assert row["path"].endswith(".wav") == (case == "file")
    _no_traceback(capsys)


# ------------------------------------------------------------------ standard output closed

def test_standard_output_closed_refuses_dash_before_any_analysis(tmp_path, fake, monkeypatch,
                                                                 capsys):
    """Started with ``>&-``, Python has no ``sys.stdout``: ``-o -`` analyzed the whole batch
    and then failed with a traceback."""
    _deck(tmp_path / "g", n=2)
    f = fake()
    monkeypatch.setattr("sys.stdout", None)
    assert main(["analyze", str(tmp_path / "g"), "-o", "-", *FAST]) == 2
    assert f.calls == []
    res = tmp_path / "r.csv"
    res.write_text("path,title,status,bpm\na.wav,A,done,120\n")
    ref = tmp_path / "ref.csv"
    ref.write_text("title,bpm\nA,120\n")
    assert main(["calibrate", str(res), "--reference", str(ref), "-o", "-"]) == 2
    assert "standard output is closed" in _no_traceback(capsys).err


def test_standard_output_closed_still_writes_a_results_file(tmp_path, fake, monkeypatch,
                                                            capsys):
    """The progress lines had nowhere to go and stopped the command before any song."""
    _deck(tmp_path / "g", n=2)
    fake()
    monkeypatch.setattr("sys.stdout", None)
    out = tmp_path / "r.csv"
    assert main(["analyze", str(tmp_path / "g"), "-o", str(out), "--workers", "1"]) == 0
    assert len(_rows(out)) == 2
    _no_traceback(capsys)


@pytest.mark.parametrize("how", ["closed", "reader gone", "full"])
def test_doctor_without_a_reader_ends_without_a_traceback(tmp_path, how):
    import subprocess
    import sys

    from tests.core.test_faults import ROOT

    env = {**os.environ, "SONGCAL_DATA_DIR": str(tmp_path / "data"),
           "QT_QPA_PLATFORM": "offscreen"}
    cmd = [sys.executable, "-m", "core.cli.main", "doctor"]
    if how == "closed":
        p = subprocess.run(cmd, cwd=ROOT, env=env, stderr=subprocess.PIPE, text=True,
                           timeout=120, preexec_fn=lambda: os.close(1))
        err = p.stderr
    elif how == "full":  # the report cannot be printed: said, and exit code 3
        with open("/dev/full", "w") as full:
            p = subprocess.run(cmd, cwd=ROOT, env=env, stdout=full, stderr=subprocess.PIPE,
                               text=True, timeout=120)
        assert p.returncode == 3 and "could not print the report: No space left on device" \
            in p.stderr, p.stderr
        err = p.stderr
    else:
        p = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
        p.stdout.close()  # as ``songcal doctor | head -0`` does
        err = p.stderr.read()
        p.wait(timeout=120)
        p.stderr.close()
    assert "Traceback" not in err and "Exception ignored" not in err, err
    assert p.returncode in ((3,) if how == "full" else (0, 1))


# ------------------------------------------------------------------------ the log file

@pytest.mark.parametrize("command", ["calibrate", "apply"])
def test_every_command_records_a_leftover_it_removed_in_the_log_file(tmp_path, command):
    """Only ``analyze`` kept its INFO messages in songcal.log: a killed writer's temporary
    file that ``calibrate`` or ``apply`` removed went unrecorded."""
    from tests.core.test_tempfiles import DEAD_AGE_S, _dead_pid, _leftover, _owned

    res = tmp_path / "r.csv"
    res.write_text("path,title,status,bpm\na.wav,A,done,120\nb.wav,B,done,100\n")
    ref = tmp_path / "ref.csv"
    ref.write_text("title,bpm\nA,120\nB,100\n")
    out = tmp_path / "out"
    out.mkdir()
    pid = _dead_pid()
    left = _leftover(out, _owned(pid), DEAD_AGE_S + 60)
    if command == "calibrate":
        code = main(["calibrate", str(res), "--reference", str(ref), "-o",
                     str(out / "c.csv")])
    else:
        profile = tmp_path / "p.json"
        assert main(["calibrate", str(res), "--reference", str(ref), "-o",
                     str(tmp_path / "c.csv"), "--profile", str(profile)]) in (0, 1)
        code = main(["apply", str(res), "--profile", str(profile), "-o", str(out / "a.csv")])
    assert code in (0, 1) and not os.path.exists(left)
    log = (tmp_path / "songcal-data" / "songcal.log").read_text(encoding="utf-8")
    assert f"removed the temporary file {left}" in log and f"process {pid}" in log


# ------------------------------------------------------------------------ Ctrl-C at start-up

def test_ctrl_c_before_the_batch_starts_ends_without_a_traceback(tmp_path, fake, monkeypatch,
                                                                   capsys):
    """Ctrl-C during the scan of a large library (or the first seconds of start-up) printed
    a KeyboardInterrupt traceback: the batch takes the signals over only once it runs."""
    def interrupted():
        raise KeyboardInterrupt

    _stop_during_the_scan(tmp_path, fake, monkeypatch, capsys, interrupted, "interrupted")


@pytest.mark.parametrize("name", ["SIGTERM", "SIGHUP"])
def test_a_stop_signal_before_the_batch_starts_is_said(tmp_path, fake, monkeypatch, capsys,
                                                        name):
    """SIGTERM or SIGHUP in the first seconds (start-up, the scan) ended the process at
    once with exit 143 and no word; now as Ctrl-C: 'songcal analyze: terminated', exit 1."""
    import signal

    signum = getattr(signal, name)

    class Unhandled(Exception):
        pass

    def unhandled(*_):  # stands for the default action, which would end the test run
        raise Unhandled(name)

    before = signal.signal(signum, unhandled)
    try:
        _stop_during_the_scan(tmp_path, fake, monkeypatch, capsys,
                              lambda: os.kill(os.getpid(), signum), "terminated")
        assert signal.getsignal(signum) is unhandled  # the handler in place before is back
    finally:
        signal.signal(signum, before)


def _stop_during_the_scan(tmp_path, fake, monkeypatch, capsys, stop, said):
    """``analyze`` stopped by ``stop()`` while it scans: nothing analyzed or written, exit 1,
    'songcal analyze: <said>' and no traceback."""
    import core.batch.scan as scan

    def stopped(*args, **kw):
        stop()
        raise AssertionError("the stop did not end the scan")

    _deck(tmp_path / "g", n=1)
    f = fake()
    monkeypatch.setattr(scan, "scan_paths", stopped)
    assert main(["analyze", str(tmp_path / "g"), "-o", str(tmp_path / "r.csv"), *FAST]) == 1
    assert f.calls == [] and not (tmp_path / "r.csv").exists()
    assert f"songcal analyze: {said}" in _no_traceback(capsys).err


# ------------------------------------------------------------ the session store removed

def test_a_store_removed_while_the_batch_runs_is_said_and_exits_3(tmp_path, monkeypatch,
                                                                   capsys):
    """The data folder cleaned mid-run: SQLite went on writing into the removed file, the
    run said the songs were in the session store and exited 0, and a resume found nothing."""
    import core.analysis.analyze as analysis

    store = tmp_path / "data" / "s.sqlite"

    def remove_the_store(fake, path, progress, should_cancel):
        if len(fake.calls) == 2:
            for name in os.listdir(store.parent):
                os.unlink(store.parent / name)
        return None

    monkeypatch.setattr(analysis, "analyze_file", Fake(remove_the_store))
    _deck(tmp_path / "g", n=4)
    out = tmp_path / "r.csv"
    code = main(["analyze", str(tmp_path / "g"), "-o", str(out), "--session", str(store),
                 "--workers", "1", "-q"])
    assert code == 3 and {r["status"] for r in _rows(out)} == {"done"}
    err = _no_traceback(capsys).err
    assert "the file was removed while the batch ran" in err
    assert "write(s) to the session store failed" in err


def test_the_log_file_of_a_removed_data_folder_fails_no_thread(tmp_path, monkeypatch):
    """Its delayed open raised from the logging call itself (the store's writer thread died
    on the warning that says the store was removed)."""
    import logging

    from core.cli.guard import log_to_file

    monkeypatch.setenv("SONGCAL_DATA_DIR", str(tmp_path / "data"))
    core_log = logging.getLogger("core")
    before = list(core_log.handlers), core_log.level
    try:
        log_to_file()
        os.rmdir(tmp_path / "data")
        logging.getLogger("core.test").warning("after the data folder was removed")
    finally:
        for h in core_log.handlers:
            if h not in before[0]:
                h.close()
        core_log.handlers[:] = before[0]
        core_log.setLevel(before[1])


def test_a_relative_output_in_a_removed_current_folder_is_refused(tmp_path, fake, monkeypatch,
                                                                   capsys):
    """``cd x; rm -r ../x; songcal analyze ... -o r.csv`` stopped with a traceback."""
    _deck(tmp_path / "g", n=1)
    f = fake()
    here = tmp_path / "here"
    here.mkdir()
    monkeypatch.chdir(here)
    here.rmdir()
    assert main(["analyze", str(tmp_path / "g"), "-o", "r.csv", *FAST]) == 2
    assert f.calls == []
    # a relative input there is a row of its own (the stand-in analyzer reads nothing)
    assert main(["analyze", "song.wav", "-o", str(tmp_path / "r.csv"), *FAST]) == 0
    assert f.calls == ["song.wav"] and len(_rows(tmp_path / "r.csv")) == 1
    assert "the current folder was removed; give a full path" in _no_traceback(capsys).err


# ----------------------------------------------------------------- a terminal kept safe

def test_calibrate_report_escapes_what_a_terminal_would_act_on(tmp_path, capsys):
    """A reference cell or a tag holding an escape sequence (``\\x1b[2J`` clears the
    screen) and an output name holding a newline reached the terminal as they were."""
    res = tmp_path / "r.csv"
    res.write_text("path,title,artist,status,bpm\n/m/a\x1b[2J.wav,A\x1b]0;pwned\x07,,done,120\n"
                   "/m/b.wav,B,,done,100\n", encoding="utf-8")
    ref = tmp_path / "ref.csv"
    ref.write_text("title,artist,bpm\nB,,100\nevil\x1b[2Jrow,x\ny,90\n", encoding="utf-8")
    out = tmp_path / "cal\nibration.csv"
    code = main(["calibrate", str(res), "--reference", str(ref), "-o", str(out)])
    assert code in (0, 1)
    text = _no_traceback(capsys).out
    assert "\x1b" not in text and "\x07" not in text
    assert "wrote calibration: " + str(tmp_path) + "/cal\\nibration.csv" in text
    assert "\\x1b[2J" in text  # said, escaped


# ------------------------------------------------------- a profile removed during the batch

def test_analyze_with_a_profile_removed_during_the_batch_still_writes_the_calibrated_file(
        tmp_path, monkeypatch, capsys):
    """The profile was read (and checked) before the batch, then read again at its end: a
    profile moved away meanwhile cost the calibrated file, with exit code 2 after a whole
    batch."""
    import core.analysis.analyze as analysis
    from tests.core.test_cli import _fitted_profile

    _, _, profile = _fitted_profile(tmp_path)
    moved = tmp_path / "moved.json"

    def move_the_profile(fake, path, progress, should_cancel):
        with contextlib.suppress(FileNotFoundError):  # (the other song's worker moved it)
            profile.rename(moved)
        return None

    monkeypatch.setattr(analysis, "analyze_file", Fake(move_the_profile))
    _deck(tmp_path / "g", n=2)
    out = tmp_path / "res.csv"
    code = main(["analyze", str(tmp_path / "g"), "--profile", str(profile), "-o", str(out),
                 *FAST, "--no-store"])
    assert moved.exists() and not profile.exists()
    assert code == 0, capsys.readouterr().err
    assert len(_rows(tmp_path / "res_calibrated.csv")) == 2


def test_analyze_reads_its_reference_sheet_before_the_batch(tmp_path, fake, capsys):
    """A sheet it cannot use was said only once the whole batch had run (exit 2 after
    hours); a sheet moved away during the batch cost the calibration files."""
    _deck(tmp_path / "g", n=2)
    f = fake()
    bad = tmp_path / "sheet.csv"
    bad.write_bytes(b"PK\x03\x04\x00\x00 a spreadsheet, not a CSV")
    out = tmp_path / "res.csv"
    assert main(["analyze", str(tmp_path / "g"), "--reference", str(bad), "-o", str(out),
                 *FAST, "--no-store"]) == 2
    assert f.calls == [] and not out.exists()
    assert "a ZIP archive that cannot be opened, not a sheet SongCal reads" \
        in _no_traceback(capsys).err


def test_a_reference_sheet_moved_away_during_the_batch_still_calibrates(tmp_path, monkeypatch,
                                                                        capsys):
    import core.analysis.analyze as analysis

    ref = tmp_path / "ref.csv"
    ref.write_text("title,bpm\n00 Song 0,120\n01 Song 1,120\n", encoding="utf-8")

    def move_the_sheet(fake, path, progress, should_cancel):
        if ref.exists():
            ref.rename(tmp_path / "moved.csv")
        return None

    monkeypatch.setattr(analysis, "analyze_file", Fake(move_the_sheet))
    _deck(tmp_path / "g", n=2)
    out = tmp_path / "res.csv"
    code = main(["analyze", str(tmp_path / "g"), "--reference", str(ref), "-o", str(out),
                 *FAST, "--no-store"])
    assert not ref.exists()
    err = _no_traceback(capsys).err
    assert code in (0, 1) and "error" not in err, err  # 1: a stand-in song left unpaired
    assert (tmp_path / "res_paired.csv").exists() and (tmp_path / "res_profile.json").exists()


def test_without_a_taker_for_missed_songs_an_unreadable_folder_is_a_skip_with_its_reason(
        tmp_path, monkeypatch):
    """The window's scan, which lists skipped paths with their reasons in its Log."""
    from core.batch.scan import scan_paths

    real_scandir = os.scandir
    locked = tmp_path / "locked"

    def scandir(path="."):
        if os.fspath(path) == str(locked):
            raise PermissionError(errno.EACCES, "Permission denied", os.fspath(path))
        return real_scandir(path)

    _deck(locked, n=1)
    monkeypatch.setattr(os, "scandir", scandir)
    skipped = []
    assert scan_paths([tmp_path], on_skip=lambda p, why: skipped.append((p, why))) == []
    assert skipped == [(str(locked), "this folder cannot be read (Permission denied): the "
                                     "songs in it, if any, were not analyzed")]


# ------------------------------------------------- an output turned into an input during the run

def test_results_replaced_by_a_link_to_an_input_song_during_the_batch_are_kept_aside(
        tmp_path, monkeypatch, capsys):
    """``ln -sf song.wav results.csv`` while the batch runs: the check before the batch had
    passed, and the final write followed the link and replaced the song with the CSV."""
    import core.analysis.analyze as analysis

    songs = _deck(tmp_path / "g", n=3)
    before = songs[0].read_bytes()
    out = tmp_path / "res.csv"

    def swap_the_output(fake, path, progress, should_cancel):
        if len(fake.calls) == 2:
            os.symlink(songs[0], out)
        return None

    monkeypatch.setattr(analysis, "analyze_file", Fake(swap_the_output))
    code = main(["analyze", str(tmp_path / "g"), "-o", str(out), "--workers", "1", "-q",
                 "--no-store"])
    assert code == 3
    assert songs[0].read_bytes() == before and os.path.islink(out)
    kept = [p for p in os.listdir(tmp_path) if p.startswith("res.kept-")]
    assert len(kept) == 1 and kept[0].endswith(".csv")
    assert len(_rows(tmp_path / kept[0])) == 3
    err = _no_traceback(capsys).err
    assert "it became an input audio file" in err and "SongCal never writes over its inputs" in err
    assert f"what it would have held is in {tmp_path / kept[0]}" in err


def test_a_calibration_file_replaced_by_a_link_to_the_sheet_is_not_written_through(
        tmp_path, monkeypatch, capsys):
    import core.analysis.analyze as analysis

    ref = tmp_path / "ref.csv"
    sheet = "title,bpm\n00 Song 0,120\n01 Song 1,120\n"
    ref.write_text(sheet, encoding="utf-8")
    paired = tmp_path / "res_paired.csv"

    def swap_the_output(fake, path, progress, should_cancel):
        if not os.path.lexists(paired):
            os.symlink(ref, paired)
        return None

    monkeypatch.setattr(analysis, "analyze_file", Fake(swap_the_output))
    _deck(tmp_path / "g", n=2)
    code = main(["analyze", str(tmp_path / "g"), "--reference", str(ref), "-o",
                 str(tmp_path / "res.csv"), *FAST, "--no-store"])
    assert code == 3
    assert ref.read_text(encoding="utf-8") == sheet
    assert [p for p in os.listdir(tmp_path) if p.startswith("res_paired.kept-")]
    assert "it became the reference sheet" in _no_traceback(capsys).err


def test_the_inputs_kept_for_the_write_check_end_with_their_command(tmp_path, fake):
    """An inode of an input of an earlier command, reused by a new file, refuses nothing."""
    from core.io import outputs

    _deck(tmp_path / "g", n=1)
    fake()
    assert main(["analyze", str(tmp_path / "g"), "-o", str(tmp_path / "r.csv"), *FAST,
                 "--no-store"]) == 0
    assert outputs.watched_input(tmp_path / "g" / "00 Song 0.wav") is None


# ------------------------------------------------------------- workers sized by the memory

def test_more_workers_than_the_memory_holds_are_lowered_with_a_word(tmp_path, fake, monkeypatch,
                                                                    capsys):
    """``--workers 256`` on a small machine: every thread took a song's memory at once."""
    import core.settings as analyze  # the memory rule the command line and the window share

    monkeypatch.setattr(analyze, "available_memory", lambda: 3 * analyze.MEMORY_PER_SONG - 1)
    _deck(tmp_path / "g", n=2)
    fake()
    out = tmp_path / "r.csv"
    assert main(["analyze", str(tmp_path / "g"), "-o", str(out), "--workers", "256", "-q",
                 "--no-store"]) == 0
    assert {r["settings"].split(";")[2] for r in _rows(out)} == {"workers=2"}
    err = _no_traceback(capsys).err
    assert "--workers 256 needs about 17.2 GB of memory" in err and "using 2 workers" in err
    monkeypatch.setattr(analyze, "available_memory", lambda: 256 * analyze.MEMORY_PER_SONG)
    assert main(["analyze", str(tmp_path / "g"), "-o", str(out), "--workers", "256", "-q",
                 "--no-store"]) == 0
    assert "workers=256;" in _rows(out)[0]["settings"]
    assert "warning" not in _no_traceback(capsys).err


def test_a_refused_calibration_file_is_named_once(tmp_path, fake, capsys):
    """The refusal read "refusing to write calibration calibration ...csv"."""
    _deck(tmp_path / "g", n=1)
    f = fake()
    ref = tmp_path / "ref.csv"
    ref.write_text("title,bpm\n00 Song 0,120\n", encoding="utf-8")
    (tmp_path / "res_calibration.csv").mkdir()
    assert main(["analyze", str(tmp_path / "g"), "--reference", str(ref), "-o",
                 str(tmp_path / "res.csv"), *FAST, "--no-store"]) == 2
    err = _no_traceback(capsys).err
    assert f.calls == [] and "calibration calibration" not in err
    assert (f"refusing to write --reference's calibration file {tmp_path}/res_calibration.csv:"
            " it is a folder") in err


# --------------------------------------------------------------- the progress line on a cluster

def test_the_progress_line_names_a_song_that_has_started_not_one_in_the_cluster_queue():
    """With the cluster engine the line named the first song handed to the scheduler, which
    may still wait in its queue for a worker thread."""
    import io

    from core.batch.rules import Batch
    from core.cli.analyze import _Reporter
    from core.settings import AnalysisSettings

    class Terminal(io.StringIO):
        def isatty(self):
            return True

    batch = Batch(["/m/waiting.wav", "/m/started.wav", "/m/later.wav"],
                  settings=AnalysisSettings(workers=2))
    waiting, _ = batch.claim("slot1", starts_later=True)
    began, attempt = batch.claim("slot2", starts_later=True)
    screen = Terminal()
    reporter = _Reporter(screen, quiet=False)
    reporter(batch, [waiting, began])
    assert "waiting.wav" not in screen.getvalue() and "started.wav" not in screen.getvalue()
    assert batch.started(began.id, attempt, "tcp://w1")
    reporter.last_line = 0.0
    reporter(batch, [began])
    line = screen.getvalue().rsplit("\r", 1)[-1]
    assert "| started.wav" in line and "waiting.wav" not in line


def test_inputs_watched_for_one_thread_refuse_its_writes_only_inside_the_block(tmp_path):
    """The window runs an export in one thread while others write their own files: the
    inputs of an export are checked for that export's writes, not for the others'."""
    import threading

    from core.io.csvio import atomic_write_text
    from core.io.outputs import InputReplacedError, watched_input, watching

    song = tmp_path / "song.wav"
    song.write_bytes(b"RIFF song")
    out = tmp_path / "out.csv"
    os.symlink(song, out)
    other = []
    with watching([("a song of the list", song)], during="the export ran"):
        with pytest.raises(InputReplacedError) as err:
            atomic_write_text(out, "a,b\n")
        assert "while the export ran" in str(err.value)
        assert str(err.value).startswith(f"could not write {out}: it became a song of the list")
        t = threading.Thread(target=lambda: other.append(watched_input(song)))
        t.start()
        t.join()
    assert other == [None] and watched_input(song) is None
    assert song.read_bytes() == b"RIFF song"
    atomic_write_text(out, "a,b\n")  # outside the block, a link is written through as before
    assert song.read_text(encoding="utf-8-sig") == "a,b\n"


# ----------------------------------------------------- an output made read-only during the run

def test_results_made_read_only_during_the_batch_are_not_replaced(tmp_path, monkeypatch,
                                                                  capsys):
    """``chmod a-w results.csv`` while the batch runs (to keep last week's file): the check
    before the batch had passed, and the final rename replaced the file all the same, as a
    rename needs only the folder to be writable.  Now the file stays and the new results
    are kept beside it."""
    import core.analysis.analyze as analysis

    _deck(tmp_path / "g", n=2)
    out = tmp_path / "res.csv"
    out.write_text("last week's results", encoding="utf-8")

    def protect_the_output(fake, path, progress, should_cancel):
        out.chmod(0o444)

    monkeypatch.setattr(analysis, "analyze_file", Fake(protect_the_output))
    code = main(["analyze", str(tmp_path / "g"), "-o", str(out), "--workers", "1", "-q",
                 "--no-store"])
    assert code == 3
    assert out.read_text(encoding="utf-8") == "last week's results"
    kept = [p for p in os.listdir(tmp_path) if p.startswith("res.kept-")]
    assert len(kept) == 1 and len(_rows(tmp_path / kept[0])) == 2
    err = _no_traceback(capsys).err
    assert "the file is read-only; SongCal will not replace it" in err
    assert f"what it would have held is in {tmp_path / kept[0]}" in err


def test_an_atomic_write_never_replaces_a_read_only_file(tmp_path):
    """Every writer, guarded or not: a rename replaces a read-only file as readily as any."""
    from core.io.csvio import atomic_write_text

    sheet = tmp_path / "ref.csv"
    sheet.write_text("title,bpm\nA,120\n", encoding="utf-8")
    sheet.chmod(0o444)
    with pytest.raises(PermissionError, match="read-only"):
        atomic_write_text(sheet, "title,bpm\nA,60\n")
    assert sheet.read_text(encoding="utf-8") == "title,bpm\nA,120\n"
    assert not [p for p in os.listdir(tmp_path) if p.startswith(".songcal-")]


# --------------------------------------------------------- names that a disk takes without case

def test_two_outputs_that_differ_only_by_case_on_a_case_blind_disk_are_refused(
        tmp_path, monkeypatch, capsys):
    """On macOS or Windows (or a FAT stick) ``-o Out.csv --results-out out.csv`` names one
    file; neither existed yet, so the guard compared their letters and let both through,
    and the second write replaced the first (exit 0, the calibration file gone)."""
    from core.io import outputs

    ref = tmp_path / "ref.csv"
    ref.write_text("title,bpm\nA,120\n", encoding="utf-8")
    res = tmp_path / "r.csv"
    res.write_text("path,title,status,bpm\na.wav,A,done,120\n", encoding="utf-8")
    args = ["calibrate", str(res), "--reference", str(ref), "-o", str(tmp_path / "Out.csv"),
            "--results-out", str(tmp_path / "out.csv"), "-q"]
    monkeypatch.setattr(outputs, "_folds_case", lambda folder: True)  # such a disk
    assert main(args) == 2
    err = _no_traceback(capsys).err
    assert f"--results-out {tmp_path / 'out.csv'}: it is the same file as -o" in err
    assert not (tmp_path / "Out.csv").exists() and not (tmp_path / "out.csv").exists()
    monkeypatch.undo()
    assert not outputs._folds_case(str(tmp_path))  # this disk tells case apart: both written
    assert main(args) in (0, 1)
    assert (tmp_path / "Out.csv").exists() and (tmp_path / "out.csv").exists()
    assert not [p for p in os.listdir(tmp_path) if p.startswith(".songcal-")]


# --------------------------------------------------------------------------------- a full disk

def test_a_full_disk_at_the_write_keeps_the_old_file_and_the_new_results(tmp_path,
                                                                         monkeypatch, capsys):
    """The disk filled while the batch ran: the old results stay whole, no temporary file
    is left, and the new results, which took the whole batch to make, are saved where they
    fit and named (they were lost with the write)."""
    import core.analysis.analyze as analysis

    _deck(tmp_path / "g", n=3)
    out = tmp_path / "res.csv"
    out.write_text("last week's results", encoding="utf-8")
    sync = os.fsync

    def full(fd):  # the temporary file of the write finds the disk full
        if os.path.basename(os.readlink(f"/proc/self/fd/{fd}")).startswith(".songcal-"):
            raise OSError(errno.ENOSPC, "No space left on device")
        return sync(fd)

    monkeypatch.setattr(analysis, "analyze_file", Fake())
    monkeypatch.setattr(os, "fsync", full)
    code = main(["analyze", str(tmp_path / "g"), "-o", str(out), *FAST, "--no-store"])
    assert code == 3
    assert out.read_text(encoding="utf-8") == "last week's results"
    assert not [p for p in os.listdir(tmp_path) if p.startswith(".songcal-")]
    kept = [p for p in os.listdir(tmp_path) if p.startswith("res.kept-")]
    assert len(kept) == 1 and len(_rows(tmp_path / kept[0])) == 3
    err = _no_traceback(capsys).err
    assert (f"could not write {out}: No space left on device; what it would have held is in "
            f"{tmp_path / kept[0]}") in err
