"""The output guard (:func:`core.io.outputs.check_outputs`) called directly: each refusal
with its whole message, the option and the path it names, and what is let through.

The command-line and hostile-path tests reach the same rules through the commands; these
pin each rule's own limits and words.
"""

import errno
import os
import shutil

import pytest

from core.io import outputs, tempfiles
from core.io.outputs import OutputError, check_outputs

MB = 1024 * 1024


def _refused(outs, **kw) -> OutputError:
    with pytest.raises(OutputError) as info:
        check_outputs(outs, **kw)
    return info.value


def test_a_name_ending_in_a_slash_is_a_folder_not_a_file(tmp_path):
    given = str(tmp_path / "new") + os.sep
    err = _refused({"--profile": given})
    assert (err.option, err.path) == ("--profile", given)
    assert err.reason == "it ends in a slash, so it names a folder; give a file name inside it"
    assert str(err) == f"--profile {given}: {err.reason}"


def test_a_folder_a_fifo_and_a_dangling_link_are_refused_each_with_its_reason(tmp_path):
    err = _refused({"-o": str(tmp_path)})
    assert (err.option, err.reason) == ("-o", "it is a folder; give a file name inside it")
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    err = _refused({"--output": str(fifo)})
    assert (err.option, err.path) == ("--output", str(fifo))
    assert err.reason == ("it is a FIFO (named pipe); SongCal writes regular files only (use - "
                          "for standard output)")
    link = tmp_path / "link.csv"
    link.symlink_to(tmp_path / "nothing.csv")
    err = _refused({"--matched": str(link)})
    assert (err.option, err.path) == ("--matched", str(link))
    assert err.reason == ("it is a symbolic link to a file that does not exist; SongCal "
                          "writes through links to existing files only")


def test_a_link_to_an_existing_file_is_written_through_and_the_rule_sees_its_target(tmp_path):
    target = tmp_path / "real.csv"
    target.write_text("old")
    link = tmp_path / "link.csv"
    link.symlink_to(target)
    seen = []

    def protect(path):
        seen.append(path)
        return None

    assert check_outputs({"-o": str(link)}, protect=protect) == {"-o": str(target)}
    assert seen == [str(target)]


def test_the_callers_rule_refuses_with_its_own_reason(tmp_path):
    err = _refused({"--calibrated": str(tmp_path / "song.flac")},
                   protect=lambda p: "it names an audio file" if p.endswith(".flac") else None)
    assert (err.option, err.reason) == ("--calibrated", "it names an audio file")


def test_a_file_where_a_folder_should_be_and_a_loop_of_links_are_no_folder(tmp_path):
    (tmp_path / "f.txt").write_text("x")
    given = str(tmp_path / "f.txt" / "out.csv")
    err = _refused({"-o": given})
    assert (err.option, err.path) == ("-o", given)
    assert err.reason == f"{tmp_path / 'f.txt'} is not a folder"
    (tmp_path / "loop").symlink_to(tmp_path / "loop")
    err = _refused({"--profile": str(tmp_path / "loop" / "x.json")})
    assert (err.option, err.reason) == ("--profile", f"{tmp_path / 'loop'} is not a folder")


def test_names_and_paths_longer_than_the_system_allows(tmp_path):
    given = str(tmp_path / ("n" * 300))
    err = _refused({"--profile": given})
    assert (err.option, err.path) == ("--profile", given)
    assert err.reason == "the file name is 300 bytes long; the disk allows at most 255"
    assert check_outputs({"-o": str(tmp_path / ("n" * 255))}) == {"-o": str(tmp_path / ("n" * 255))}
    deep = os.path.join(str(tmp_path), *(["a" * 200] * 21), "x.csv")
    err = _refused({"-o": deep})
    assert err.option == "-o"
    assert err.reason == (f"the path is {len(os.fsencode(deep))} bytes long; the system opens "
                          "at most 4095")


def test_a_folder_where_nothing_can_be_created_is_named_with_the_systems_reason(
        tmp_path, monkeypatch):
    made = []

    def make_temp(folder, *a, **kw):
        made.append(folder)
        raise OSError(errno.EROFS, "Read-only file system")

    monkeypatch.setattr(tempfiles, "make_temp", make_temp)
    err = _refused({"--matched": str(tmp_path / "m.csv")})
    assert made == [str(tmp_path)]
    assert (err.option, err.path) == ("--matched", str(tmp_path / "m.csv"))
    assert err.reason == f"no file can be written in {tmp_path} (Read-only file system)"


def test_the_probe_file_is_removed(tmp_path):
    check_outputs({"-o": str(tmp_path / "r.csv")})
    assert os.listdir(tmp_path) == []


def _free(monkeypatch, free):
    real = shutil.disk_usage

    def disk_usage(path):
        if free is None:
            raise OSError(errno.ENOSYS, "not supported")
        return real(path)._replace(free=free)

    monkeypatch.setattr(outputs.shutil, "disk_usage", disk_usage)


def test_free_space_is_the_output_and_a_megabyte(tmp_path, monkeypatch):
    out = str(tmp_path / "r.csv")
    _free(monkeypatch, 3 * MB)
    assert check_outputs({"-o": out}, expected_bytes=2 * MB) == {"-o": out}  # just enough
    _free(monkeypatch, 3 * MB - 1)
    err = _refused({"--output": out}, expected_bytes=2 * MB)
    assert (err.option, err.path) == ("--output", out)
    assert err.reason == f"not enough free space in {tmp_path} (3.1 MB free, about 3.1 MB needed)"
    _free(monkeypatch, 1_500_000)
    err = _refused({"-o": out}, expected_bytes=5_000_000)
    assert err.reason == f"not enough free space in {tmp_path} (1.5 MB free, about 6.0 MB needed)"
    _free(monkeypatch, None)  # a disk that does not tell: not refused
    assert check_outputs({"-o": out}, expected_bytes=2 * MB) == {"-o": out}


def test_standard_output_rules():
    assert check_outputs({"-o": "-", "--profile": None}) == {"-o": "-"}
    err = _refused({"--profile": "-"})
    assert (err.option, err.path, err.reason) == (
        "--profile", "-", "standard output (-) is only for -o")
    err = _refused({"-o": "-", "--output": "-"})
    assert (err.option, err.reason) == ("--output", "only one output can go to standard output")
    assert check_outputs({"--json": "-"}, stdout_options=("--json",)) == {"--json": "-"}
    err = _refused({"-o": ""})
    assert (err.option, err.path, err.reason) == ("-o", "", "the file name is empty")


def test_two_outputs_that_are_one_file(tmp_path):
    a = tmp_path / "r.csv"
    err = _refused({"-o": str(a), "--matched": str(a)})
    assert (err.option, err.path) == ("--matched", str(a))
    assert err.reason == f"it is the same file as -o {a}"
    a.write_text("x")
    os.link(a, tmp_path / "hard.csv")
    err = _refused({"-o": str(a), "--profile": str(tmp_path / "hard.csv")})
    assert (err.option, err.reason) == ("--profile", f"it is the same file as -o {a}")


@pytest.mark.parametrize("how", ["same path", "hard link", "link to it", "not there yet"])
def test_an_output_that_is_an_input_is_refused(tmp_path, how):
    song = tmp_path / "song.wav"
    if how != "not there yet":
        song.write_bytes(b"RIFF")
    out = {"same path": song, "hard link": tmp_path / "h.wav", "link to it": tmp_path / "l.csv",
           "not there yet": song}[how]
    if how == "hard link":
        os.link(song, out)
    elif how == "link to it":
        out.symlink_to(song)
    inputs = [("the reference sheet", None), ("an input audio file", str(song))]
    err = _refused({"--profile": None, "-o": str(out)}, inputs=inputs)
    assert (err.option, err.path) == ("-o", str(out))
    assert err.reason == (f"it is an input audio file ({song}); SongCal never writes over its "
                          "inputs")
    other = tmp_path / "other.csv"
    assert check_outputs({"-o": str(other)}, inputs=inputs) == {"-o": str(other)}


def test_an_input_given_as_a_link_is_known_by_its_target(tmp_path):
    song = tmp_path / "song.wav"  # not written yet: compared by name, not by inode
    link = tmp_path / "link.wav"
    link.symlink_to(song)
    err = _refused({"-o": str(song)}, inputs=[("an input audio file", str(link))])
    assert err.reason == (f"it is an input audio file ({link}); SongCal never writes over its "
                          "inputs")


def test_the_free_space_message_rounds_each_figure_to_a_tenth_of_a_megabyte(tmp_path,
                                                                           monkeypatch):
    out = str(tmp_path / "r.csv")
    _free(monkeypatch, 1_050_000)
    err = _refused({"-o": out}, expected_bytes=1_350_000 - MB)
    assert err.reason == f"not enough free space in {tmp_path} (1.1 MB free, about 1.4 MB needed)"
    _free(monkeypatch, MB)  # nothing expected: the margin alone is asked for
    assert check_outputs({"-o": out}) == {"-o": out}


def test_a_read_only_file_is_refused_even_for_the_superuser(tmp_path):
    kept = tmp_path / "kept.csv"
    kept.write_text("x")
    kept.chmod(0o444)
    err = _refused({"--matched": str(kept)})
    assert (err.option, err.path) == ("--matched", str(kept))
    assert err.reason == "the file is read-only; SongCal will not replace it"


def test_a_file_that_cannot_be_examined_is_refused(tmp_path, monkeypatch):
    out = tmp_path / "r.csv"
    out.write_text("x")
    real_stat = os.stat

    def stat(path, *a, **kw):
        if os.fspath(path) == str(out):
            raise PermissionError(errno.EACCES, "Permission denied")
        return real_stat(path, *a, **kw)

    monkeypatch.setattr(outputs.os, "stat", stat)
    err = _refused({"--profile": str(out)})
    assert (err.option, err.path) == ("--profile", str(out))
    assert err.reason == "it cannot be examined (Permission denied)"


@pytest.mark.parametrize("raised, reason", [
    (OSError(errno.ELOOP, "Too many levels of symbolic links"), "Too many levels of symbolic links"),
    (OSError("the current folder is gone"), "the current folder is gone")])
def test_a_path_the_system_cannot_follow_is_refused_with_its_reason(monkeypatch, raised, reason):
    def physical_path(given):
        raise raised

    monkeypatch.setattr(outputs, "physical_path", physical_path)
    err = _refused({"--profile": "a/b.json"})
    assert (err.option, err.path, err.reason) == ("--profile", "a/b.json", reason)


def test_a_closed_standard_output_is_refused(monkeypatch):
    monkeypatch.setattr(outputs, "_stdout_open", lambda: False)
    err = _refused({"-o": "-"})
    assert (err.option, err.path) == ("-o", "-")
    assert err.reason == ("standard output is closed (the command was started with >&-); "
                          "give a file name")


def _limits(monkeypatch, **limits):
    """``os.pathconf`` answering ``limits`` by name (an exception instance is raised)."""
    def pathconf(folder, name):
        value = limits[name]
        if isinstance(value, Exception):
            raise value
        return value

    monkeypatch.setattr(outputs.os, "pathconf", pathconf)


def test_the_disks_own_name_and_path_limits_are_asked(tmp_path, monkeypatch):
    # an encrypted home folder allows 143-byte names; a path of exactly the limit is refused
    # (the limit counts the final NUL), one byte less is let through
    base = len(os.fsencode(str(tmp_path))) + 1
    _limits(monkeypatch, PC_NAME_MAX=143, PC_PATH_MAX=base + 100)
    err = _refused({"-o": str(tmp_path / ("n" * 144))})
    assert err.reason == "the file name is 144 bytes long; the disk allows at most 143"
    assert check_outputs({"-o": str(tmp_path / ("n" * 99))}) == {"-o": str(tmp_path / ("n" * 99))}
    err = _refused({"-o": str(tmp_path / ("n" * 100))})
    assert err.reason == f"the path is {base + 100} bytes long; the system opens at most {base + 99}"


@pytest.mark.parametrize("answer", [OSError(errno.EINVAL, "Invalid argument"), ValueError("name"),
                                    -1, 0, None])
def test_a_limit_the_system_does_not_tell_is_the_common_one(tmp_path, monkeypatch, answer):
    _limits(monkeypatch, PC_NAME_MAX=answer, PC_PATH_MAX=answer)
    err = _refused({"-o": str(tmp_path / ("n" * 256))})
    assert err.reason == "the file name is 256 bytes long; the disk allows at most 255"
    assert check_outputs({"-o": str(tmp_path / ("n" * 255))}) == {"-o": str(tmp_path / ("n" * 255))}
    deep = os.path.join(str(tmp_path), *(["a" * 200] * 21), "x.csv")
    assert _refused({"-o": deep}).reason.endswith("the system opens at most 4095")


def test_a_limit_of_one_is_a_limit(tmp_path, monkeypatch):
    _limits(monkeypatch, PC_NAME_MAX=1, PC_PATH_MAX=4096)
    assert _refused({"-o": str(tmp_path / "ab")}).reason == (
        "the file name is 2 bytes long; the disk allows at most 1")


def test_a_name_is_shown_as_a_strict_terminal_can_print_it():
    from pathlib import Path

    from core.io.outputs import printable

    assert printable(b"caf\xe9.wav") == "caf\\udce9.wav"  # not UTF-8: its byte shown escaped
    assert printable("caf\udce9.wav") == "caf\\udce9.wav"
    assert printable(Path("dir") / "caf\udce9.wav") == "dir/caf\\udce9.wav"
    assert printable("café\n\x1b[31mred\x7f") == "café\\n\\x1b[31mred\\x7f"
    assert printable("x\u202egpj.wav") == "x\\u202egpj.wav"  # it would read as xvaw.jpg
    assert printable("\u05e9\u200f.wav") == "\u05e9\u200f.wav"  # a right-to-left mark stays
    err = OutputError("-o", b"caf\xe9\n.csv", "reason")
    assert str(err) == "-o caf\\udce9\\n.csv: reason" and err.path == "caf\udce9\n.csv"


class _Stream:
    """A standard output with no descriptor (as a test's capture has), open or closed."""

    def __init__(self, **closed):
        self.__dict__.update(closed)

    def fileno(self):
        raise OSError("no descriptor")


def test_whether_there_is_a_standard_output_to_write_to(monkeypatch, tmp_path):
    import sys

    for stream, open_ in [(None, False), (_Stream(), True), (_Stream(closed=False), True),
                          (_Stream(closed=True), False)]:
        monkeypatch.setattr(sys, "stdout", stream)
        assert outputs._stdout_open() is open_, stream
    # a descriptor that was closed under the stream (started with >&-) is no output
    with open(tmp_path / "out.txt", "w") as f:
        fd = os.dup(f.fileno())
    stream = open(fd, "w", closefd=False)
    monkeypatch.setattr(sys, "stdout", stream)
    assert outputs._stdout_open() is True
    os.close(fd)
    assert outputs._stdout_open() is False


def test_a_relative_path_is_made_whole_from_the_current_folder(tmp_path, monkeypatch):
    real = tmp_path / "real"
    (real / "sub").mkdir(parents=True)
    os.symlink(real / "sub", tmp_path / "link")
    monkeypatch.chdir(tmp_path)
    assert outputs.physical_path("out.csv") == str(tmp_path / "out.csv")
    assert outputs.physical_path(b"link/../out.csv") == str(real / "out.csv")
    gone = tmp_path / "gone"
    gone.mkdir()
    monkeypatch.chdir(gone)
    gone.rmdir()
    with pytest.raises(FileNotFoundError) as info:
        outputs.physical_path("out.csv")
    assert (info.value.errno, info.value.filename) == (errno.ENOENT, "out.csv")
    assert info.value.strerror == "the current folder was removed; give a full path"
    assert outputs.physical_path(str(tmp_path / "x.csv")) == str(tmp_path / "x.csv")


def test_an_output_changed_under_the_write_says_what_and_where_it_went():
    err = outputs.InputReplacedError("/m/out.csv", "the input song", "/m/a.wav", None)
    assert (err.errno, err.filename, err.kept) == (errno.EEXIST, "/m/out.csv", None)
    assert str(err) == (
        "could not write /m/out.csv: it became the input song (/m/a.wav) while the command "
        "ran (a link or a file put in its place); SongCal never writes over its inputs; "
        "what it would have held could not be saved anywhere")
    err = outputs.InputReplacedError("/m/out.csv", "the input song", "/m/a\x1b.wav",
                                     "/tmp/kept.csv", during="the batch ran")
    assert err.kept == "/tmp/kept.csv"
    assert str(err).endswith("(/m/a\\x1b.wav) while the batch ran (a link or a file put in "
                             "its place); SongCal never writes over its inputs; what it would "
                             "have held is in /tmp/kept.csv")
    err = outputs.ReadOnlyOutputError("/m/out.csv", None)
    assert (err.errno, err.filename, err.kept) == (errno.EACCES, "/m/out.csv", None)
    assert str(err) == ("could not write /m/out.csv: the file is read-only; SongCal will not "
                        "replace it; what it would have held could not be saved anywhere")
    assert outputs.ReadOnlyOutputError("/m/out.csv", "/tmp/k.csv").kept == "/tmp/k.csv"


def test_outside_a_watch_the_writes_are_checked_while_the_command_ran():
    import threading

    said = []
    thread = threading.Thread(target=lambda: said.append(outputs.watched_during()))
    thread.start()
    thread.join(10)
    assert said == ["the command ran"]
    with outputs.watching([], during="the batch ran"):
        assert outputs.watched_during() == "the batch ran"
    assert outputs.watched_during() == "the command ran"


def test_a_case_blind_disk_is_asked_of_the_folder_the_outputs_go_to(tmp_path, monkeypatch):
    asked = []

    def folds_case(folder):  # the disk under tmp_path takes names without case
        asked.append(folder)
        return folder == str(tmp_path)

    monkeypatch.setattr(outputs, "_folds_case", folds_case)
    err = _refused({"-o": str(tmp_path / "new" / "Out.csv"),
                    "--results-out": str(tmp_path / "new" / "out.csv")})
    assert (err.option, err.reason) == (
        "--results-out", f"it is the same file as -o {tmp_path / 'new' / 'Out.csv'}")
    assert asked == [str(tmp_path)]  # the nearest folder that exists
    asked.clear()
    outs = {"-o": str(tmp_path / "a.csv"), "--results-out": str(tmp_path / "b.csv")}
    assert check_outputs(outs) == outs  # other names: the disk is not asked
    assert asked == []


def test_a_file_with_no_write_permission_is_read_only_whatever_its_other_bits(tmp_path):
    out = tmp_path / "run.csv"
    out.write_text("x")
    out.chmod(0o555)  # read and execute for all, write for none
    assert outputs.is_read_only(os.stat(out), str(out))
    out.chmod(0o200)
    assert not outputs.is_read_only(os.stat(out), str(out))


def test_a_disk_is_asked_whether_it_folds_case_by_a_file_made_and_removed_there(
        tmp_path, monkeypatch):
    assert outputs._folds_case(str(tmp_path)) is False  # this disk tells case apart
    assert outputs._folds_case(str(tmp_path / "no such folder")) is False
    assert os.listdir(tmp_path) == []
    made, real_make, real_exists = [], tempfiles.make_temp, os.path.exists

    def make_temp(folder, *a, **kw):
        fd, probe = real_make(folder, *a, **kw)
        made.append(probe)
        return fd, probe

    def exists(path):  # a disk that finds a name whatever its case
        return any(os.fspath(path).casefold() == p.casefold() for p in made)

    monkeypatch.setattr(tempfiles, "make_temp", make_temp)
    monkeypatch.setattr(outputs.os.path, "exists", exists)
    assert outputs._folds_case(str(tmp_path)) is True
    assert [os.path.dirname(p) for p in made] == [str(tmp_path)]
    monkeypatch.setattr(outputs.os.path, "exists", real_exists)
    assert os.listdir(tmp_path) == []

    def unlink(path):  # the probe already removed by another program
        raise FileNotFoundError(errno.ENOENT, "gone", path)

    monkeypatch.setattr(outputs.os, "unlink", unlink)
    assert outputs._folds_case(str(tmp_path)) is False
