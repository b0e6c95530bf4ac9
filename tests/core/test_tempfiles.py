"""Temporary files of atomic writes: named after their owner; leftovers of ended writers
of this computer removed by the next write in their folder, nothing else touched; links
written through by every writer; a folder where nothing can be created named as such."""

import errno
import logging
import os
import re
import signal
import subprocess
import sys
import time

import pytest

from core.calibration.profile import CalibrationProfile, load_profile, save_profile
from core.io import tempfiles
from core.io.csvio import atomic_write_bytes, read_csv_rows, write_csv
from core.io.results import SongResult, write_results_csv
from core.io.tempfiles import DEAD_AGE_S, OLD_AGE_S, host_tag, pid_running, sweep

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _dead_pid() -> int:
    """The pid of a process that ran and was reaped."""
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def _leftover(folder, name, age_s) -> str:
    path = os.path.join(folder, name)
    with open(path, "wb") as f:
        f.write(b"half a CSV")
    t = time.time() - age_s
    os.utime(path, (t, t))
    return path


def _owned(pid, host=None, rand="abcd_123") -> str:
    return f".songcal-{host or host_tag()}-{pid}-{rand}.tmp"



def _refuse_unlink(monkeypatch, refused: str) -> None:
    """``os.unlink`` refuses ``refused`` (a file another user owns) and removes the rest."""
    real_unlink = os.unlink

    def unlink(path, *args, **kw):
        if os.fspath(path) == refused:
            raise PermissionError(13, "Permission denied", path)
        return real_unlink(path, *args, **kw)

    monkeypatch.setattr(os, "unlink", unlink)


def _killed_once_it_writes(args, folder, *, owned: bool = False, **popen):
    """Start ``args``, kill it (SIGKILL) once something appears in ``folder`` (with
    ``owned``: a file named as SongCal names its temporary files; Python's own probe of the
    system's temporary folder, a file of eight random letters written and removed at once,
    is not taken for it), or after 60 s, and return the ended process."""
    def written():
        names = os.listdir(folder)
        return any(map(tempfiles._OWNED.fullmatch, names)) if owned else bool(names)

    proc = subprocess.Popen(args, cwd=ROOT, **popen)
    try:
        deadline = time.monotonic() + 60
        while not written() and time.monotonic() < deadline:
            time.sleep(0.005)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    return proc

def test_the_temporary_file_names_this_computer_and_process(tmp_path, monkeypatch):
    seen = []
    real_fsync = os.fsync

    def spying_fsync(fd):
        seen.extend(os.listdir(tmp_path))
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", spying_fsync)
    atomic_write_bytes(tmp_path / "t.csv", b"x")
    tmp = seen[0]
    assert tmp.startswith(f".songcal-{host_tag()}-{os.getpid()}-") and tmp.endswith(".tmp")
    assert tempfiles._OWNED.fullmatch(tmp)


def test_a_file_left_by_a_killed_writer_is_removed_by_the_next_write(tmp_path, caplog):
    """A real writer killed with SIGKILL while syncing leaves its temporary file; the next
    write into that folder (once the margin has passed) removes it and logs it."""
    target = tmp_path / "results.csv"
    code = ("import os, sys, time\n"
            "from core.io.csvio import atomic_write_bytes\n"
            "os.fsync = lambda fd: time.sleep(60)\n"
            "atomic_write_bytes(sys.argv[1], b'row\\n' * 1000)\n")
    proc = _killed_once_it_writes([sys.executable, "-c", code, str(target)], tmp_path)
    (left,) = os.listdir(tmp_path)
    assert left.startswith(f".songcal-{host_tag()}-{proc.pid}-")
    t = time.time() - DEAD_AGE_S - 60
    os.utime(tmp_path / left, (t, t))
    with caplog.at_level(logging.INFO, logger="core.io.tempfiles"):
        write_csv(target, ["a"], [{"a": 1}])
    assert sorted(os.listdir(tmp_path)) == ["results.csv"]
    assert left in caplog.text and f"process {proc.pid}" in caplog.text


def test_only_ended_writers_of_this_computer_past_the_margin_are_removed(tmp_path):
    dead = _dead_pid()
    gone = _leftover(tmp_path, _owned(dead), DEAD_AGE_S + 60)
    kept = {
        "running": _leftover(tmp_path, _owned(os.getpid(), rand="live0001"), OLD_AGE_S * 2),
        "other computer": _leftover(tmp_path, _owned(dead, host="other-host"),
                                    OLD_AGE_S * 2),
        "within the margin": _leftover(tmp_path, _owned(dead, rand="fresh001"),
                                       DEAD_AGE_S - 60),
        "unknown computer": _leftover(tmp_path, _owned(dead, host=tempfiles.UNKNOWN_HOST),
                                      OLD_AGE_S * 2),
    }
    assert sweep(str(tmp_path)) == [gone]
    assert all(os.path.exists(p) for p in kept.values())


def test_older_names_go_only_when_more_than_a_day_old(tmp_path):
    old = [_leftover(tmp_path, ".songcal-k3j_9x0q.tmp", OLD_AGE_S + 60),
           _leftover(tmp_path, ".songcal-probe-k3j_9x0q", OLD_AGE_S + 60)]
    recent = _leftover(tmp_path, ".songcal-a1b2c3d4.tmp", OLD_AGE_S - 60)
    assert sorted(sweep(str(tmp_path))) == sorted(old)
    assert os.path.exists(recent)


def test_nothing_but_the_exact_names_is_touched(tmp_path):
    dead, ancient = _dead_pid(), OLD_AGE_S * 3
    near = [".songcal-abc.tmp", ".songcal-abcdefghi.tmp", ".songcal-ABCDEFGH.tmp",
            "songcal-k3j_9x0q.tmp", ".songcal-k3j_9x0q.tmp.bak", ".songcal-k3j_9x0q.csv",
            _owned(dead) + "~", "x" + _owned(dead), _owned(dead).replace(".tmp", ".TMP"),
            ".songcal-probe-abcdefghi", "results.csv"]
    for name in near:
        _leftover(tmp_path, name, ancient)
    assert sweep(str(tmp_path)) == []
    assert sorted(os.listdir(tmp_path)) == sorted(near)


def test_links_and_folders_with_leftover_names_are_not_followed_nor_removed(tmp_path):
    dead = _dead_pid()
    precious = tmp_path / "keep" / "precious.csv"
    precious.parent.mkdir()
    precious.write_text("mine")
    t = time.time() - OLD_AGE_S * 2
    os.utime(precious, (t, t))
    link = tmp_path / _owned(dead)
    link.symlink_to(precious)
    os.utime(link, (t, t), follow_symlinks=False)
    folder = tmp_path / ".songcal-k3j_9x0q.tmp"
    folder.mkdir()
    os.utime(folder, (t, t))
    assert sweep(str(tmp_path)) == []
    assert link.is_symlink() and folder.is_dir() and precious.read_text() == "mine"


def test_a_sweep_that_cannot_remove_goes_on(tmp_path, monkeypatch):
    dead = _dead_pid()
    a = _leftover(tmp_path, _owned(dead, rand="aaaaaaaa"), DEAD_AGE_S * 2)
    b = _leftover(tmp_path, _owned(dead, rand="bbbbbbbb"), DEAD_AGE_S * 2)
    _refuse_unlink(monkeypatch, a)
    assert sweep(str(tmp_path)) == [b]
    assert sweep(str(tmp_path / "missing")) == []


def _at(folder, name, mtime) -> str:
    path = os.path.join(folder, name)
    with open(path, "wb") as f:
        f.write(b"half a CSV")
    os.utime(path, (mtime, mtime))
    return path


def test_the_ages_are_strict_limits_counted_from_the_time_given(tmp_path):
    """A file goes once it is *more* than the margin (or a day) old at the time the sweep
    is told, whatever the clock says."""
    t = 1_700_000_000  # whole seconds: the file system keeps them exactly
    dead = _at(tmp_path, _owned(_dead_pid()), t)
    older = _at(tmp_path, ".songcal-k3j_9x0q.tmp", t)
    assert sweep(str(tmp_path), now=t + DEAD_AGE_S) == []
    assert sweep(str(tmp_path), now=t + DEAD_AGE_S + 1) == [dead]
    assert sweep(str(tmp_path), now=t + OLD_AGE_S) == []
    assert sweep(str(tmp_path), now=t + OLD_AGE_S + 1) == [older]


def test_where_liveness_cannot_be_told_a_day_is_a_strict_limit(tmp_path, monkeypatch):
    monkeypatch.setattr(tempfiles, "_KILL_ASKS", False)
    t = 1_700_000_000
    path = _at(tmp_path, _owned(123), t)
    assert sweep(str(tmp_path), now=t + OLD_AGE_S) == []
    assert sweep(str(tmp_path), now=t + OLD_AGE_S + 1) == [path]


class _Listing:
    """What ``os.scandir`` gives, in the order of ``names`` (a folder lists its entries in
    no set order)."""

    def __init__(self, folder, names):
        with _REAL_SCANDIR(folder) as it:
            self._entries = sorted(it, key=lambda e: names.index(e.name))

    def __iter__(self):
        return iter(self._entries)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


_REAL_SCANDIR = os.scandir


def test_other_files_and_a_leftover_that_cannot_be_removed_do_not_stop_the_sweep(
        tmp_path, monkeypatch, caplog):
    """The leftovers listed after them go too, and each failure is logged with why."""
    dead = _dead_pid()
    names = ["results.csv", _owned(dead, rand="aaaaaaaa"), "notes.txt",
             _owned(dead, rand="bbbbbbbb")]
    _, stuck, _, gone = (_leftover(tmp_path, n, DEAD_AGE_S * 2) for n in names)
    monkeypatch.setattr(tempfiles.os, "scandir", lambda folder: _Listing(folder, names))
    _refuse_unlink(monkeypatch, stuck)
    with caplog.at_level(logging.INFO, logger="core.io.tempfiles"):
        assert sweep(str(tmp_path)) == [gone]
    assert caplog.messages == [
        f"could not remove the temporary file {stuck}: [Errno 13] Permission denied: "
        f"'{stuck}'",
        f"removed the temporary file {gone} (left by process {dead} of this computer, "
        "which has ended)"]
    assert sorted(os.listdir(tmp_path)) == sorted(names[:3])


def test_the_removal_of_an_older_file_is_logged_with_its_reason(tmp_path, caplog):
    old = _leftover(tmp_path, ".songcal-probe-k3j_9x0q", OLD_AGE_S + 60)
    with caplog.at_level(logging.INFO, logger="core.io.tempfiles"):
        assert sweep(str(tmp_path)) == [old]
    assert caplog.messages == [f"removed the temporary file {old} (older SongCal temporary "
                               "file, more than a day old)"]


def test_liveness_of_a_process():
    assert pid_running(os.getpid()) is True
    assert pid_running(1) is True  # init (or a container's first process, as root or not)
    assert pid_running(_dead_pid()) is False
    assert pid_running(0) is None and pid_running(-1) is None  # never the process group


def test_a_process_of_another_user_counts_as_running(monkeypatch):
    def kill(pid, sig, error):
        assert sig == 0
        raise error

    monkeypatch.setattr(tempfiles.os, "kill", lambda p, s: kill(p, s, PermissionError(1, "")))
    assert pid_running(4242) is True
    monkeypatch.setattr(tempfiles.os, "kill", lambda p, s: kill(p, s, ProcessLookupError()))
    assert pid_running(4242) is False


def test_when_the_computer_name_is_unknown_no_owned_file_is_removed(tmp_path, monkeypatch):
    def no_name():
        raise OSError("no name")

    monkeypatch.setattr(tempfiles.socket, "gethostname", no_name)
    assert host_tag() == tempfiles.UNKNOWN_HOST
    left = _leftover(tmp_path, _owned(_dead_pid()), OLD_AGE_S * 2)
    assert sweep(str(tmp_path)) == [] and os.path.exists(left)


def test_where_liveness_cannot_be_told_only_day_old_files_go(tmp_path, monkeypatch):
    """On Windows os.kill(pid, 0) would end the process: liveness is not asked there, and
    this computer's files follow the one-day rule."""
    monkeypatch.setattr(tempfiles.os, "kill",
                        lambda *a: pytest.fail("os.kill must not be called"))
    monkeypatch.setattr(tempfiles, "_KILL_ASKS", False)
    assert pid_running(os.getpid()) is None
    day_old = _leftover(tmp_path, _owned(123, rand="olderone"), OLD_AGE_S + 60)
    hour_old = _leftover(tmp_path, _owned(123, rand="hourold1"), 3600)
    assert sweep(str(tmp_path)) == [day_old]
    assert os.path.exists(hour_old)


def test_computer_names_are_tags_that_stay_apart():
    assert host_tag("studio-pc") == "studio-pc"
    tags = {host_tag(n) for n in ("a.b", "a_b", "a b", "é", "a" * 40, "a" * 41, "_nohost")}
    assert len(tags) == 7
    for tag in tags:
        assert len(tag) <= 24 and tempfiles._OWNED.fullmatch(f".songcal-{tag}-1-abcdefgh.tmp")
    assert tempfiles.UNKNOWN_HOST not in tags and host_tag("") == tempfiles.UNKNOWN_HOST


def test_a_plain_name_is_kept_up_to_24_characters_and_others_shortened_readably():
    assert host_tag("Studio-PC-2") == "Studio-PC-2"
    assert host_tag("A" * 24) == "A" * 24
    # Past 24 characters, or with other characters, the first 15 stay readable.
    assert re.fullmatch("A" * 15 + "_[0-9a-f]{8}", host_tag("A" * 25))
    assert re.fullmatch("Studio_PC_local_[0-9a-f]{8}", host_tag("Studio PC.local"))


def test_a_computer_name_that_is_not_utf8_gets_a_tag(tmp_path, monkeypatch):
    # Python hands such a name over with surrogate escapes, which UTF-8 cannot encode as is.
    name = os.fsdecode(b"caf\xe9")
    monkeypatch.setattr(tempfiles.socket, "gethostname", lambda: name)
    assert re.fullmatch("caf__[0-9a-f]{8}", host_tag())
    assert host_tag() != host_tag(os.fsdecode(b"caf\xe8"))
    atomic_write_bytes(tmp_path / "t.csv", b"x")
    assert (tmp_path / "t.csv").read_bytes() == b"x"


# -- links, permissions, a folder where nothing can be created -----------------------------

def _results(path):
    write_results_csv(path, [SongResult(path="/m/a.wav", title="a", status="done", bpm=120.0)])


def _profile(path):
    save_profile(CalibrationProfile(meta={"reference_file": "sheet.csv"}), path)


@pytest.mark.parametrize("write, read", [
    (lambda p: write_csv(p, ["a"], [{"a": 1}]), lambda p: read_csv_rows(p)[1][0]["a"]),
    (_results, lambda p: read_csv_rows(p)[1][0]["bpm"]),
    (_profile, lambda p: load_profile(p).meta["reference_file"]),
], ids=["csv", "results", "profile"])
def test_every_writer_writes_through_a_link(tmp_path, write, read):
    """The link stays and the file it names gets the new content and keeps its mode; the
    temporary file is made beside that file (same disk), not beside the link."""
    real = tmp_path / "music" / "real.csv"
    real.parent.mkdir()
    real.write_text("old\n")
    real.chmod(0o640)
    links = tmp_path / "links"
    links.mkdir()
    link = links / "out.csv"
    link.symlink_to(real)
    write(link)
    assert link.is_symlink() and os.readlink(link) == str(real)
    assert "old" not in real.read_text() and read(real) in ("1", "120.0", "sheet.csv")
    assert real.stat().st_mode & 0o777 == 0o640
    assert os.listdir(links) == ["out.csv"] and os.listdir(real.parent) == ["real.csv"]


def test_a_dangling_link_is_refused_and_nothing_is_written(tmp_path):
    link = tmp_path / "out.csv"
    link.symlink_to(tmp_path / "nowhere" / "gone.csv")
    with pytest.raises(FileNotFoundError) as info:
        write_csv(link, ["a"], [])
    err = info.value
    assert (err.errno, err.filename) == (errno.ENOENT, str(link))
    assert str(err) == ("[Errno 2] it is a symbolic link to a file that does not exist; "
                        f"SongCal writes through links to existing files only: '{link}'")
    assert link.is_symlink() and os.listdir(tmp_path) == ["out.csv"]
    assert not (tmp_path / "nowhere").exists()


def test_a_folder_where_nothing_can_be_created_is_named(tmp_path, monkeypatch):
    def refuse(*a, **kw):
        raise PermissionError(13, "Permission denied",
                              str(tmp_path / ".songcal-h-1-abcdefgh.tmp"))

    monkeypatch.setattr(tempfiles.tempfile, "mkstemp", refuse)
    target = tmp_path / "out.csv"
    with pytest.raises(PermissionError) as info:
        write_csv(target, ["a"], [])
    err = info.value
    assert err.filename == str(target) and ".tmp" not in str(err)
    assert err.strerror == f"no file can be created in the folder {tmp_path} " \
                           "(Permission denied)"


@pytest.mark.skipif(not os.path.isdir("/proc/self"), reason="needs Linux's /proc")
def test_a_real_folder_where_nothing_can_be_created_is_named():
    # no file can be created in /proc, not even by root
    with pytest.raises(OSError) as info:
        write_csv("/proc/songcal-results.csv", ["a"], [])
    assert info.value.filename == "/proc/songcal-results.csv"
    assert info.value.strerror.startswith("no file can be created in the folder /proc (")


@pytest.mark.parametrize(("ext", "end"), [
    (".wav", ".tmp.wav"), (".Flac8", ".tmp.Flac8"), (".abcdefgh", ".tmp.abcdefgh"),
    ("", ".tmp"), (None, ".tmp"), ("wav", ".tmp"), (".abcdefghi", ".tmp"), (".w v", ".tmp"),
    ("./x", ".tmp"), (".é", ".tmp"),
])
def test_a_temporary_file_takes_a_plain_extension_after_its_own(tmp_path, ext, end):
    fd, path = tempfiles.make_temp(str(tmp_path), ext=ext)
    os.close(fd)
    name = os.path.basename(path)
    assert os.path.dirname(path) == str(tmp_path)
    assert name.startswith(f".songcal-{host_tag()}-{os.getpid()}-") and name.endswith(end)
    assert name[:-len(end)].count(".") == 1  # the leading dot only
    assert tempfiles._OWNED.fullmatch(name)


def test_the_system_temporary_folder_is_written_and_swept_as_any(tmp_path, monkeypatch):
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    fd, path = tempfiles.make_system_temp(".wav")
    os.close(fd)
    assert os.path.dirname(path) == str(tmp_path) and path.endswith(".tmp.wav")
    fd, plain = tempfiles.make_system_temp()
    os.close(fd)
    assert plain.endswith(".tmp") and not plain.endswith(".tmp.tmp")
    # a writer that ended long ago left one: the sweep of that folder removes it, not ours
    dead = tmp_path / f".songcal-{host_tag()}-{_dead_pid()}-abcdefgh.tmp"
    dead.write_bytes(b"")
    os.utime(dead, (time.time() - 2 * DEAD_AGE_S,) * 2)
    assert tempfiles.sweep_system_temp() == [str(dead)]
    assert sorted(os.listdir(tmp_path)) == sorted([os.path.basename(path), os.path.basename(plain)])
