"""Two processes on one session store: a list or a batch that another process holds open is
neither taken nor offered for resuming until that process ends (normally or killed), and a
later process given the same number is not taken for it."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import textwrap

import psutil

import core.batch.store_sessions as sessions
from core.batch.store import ResultStore
from core.batch.store_sessions import forget_owner, new_owner, owner_in_use
from core.io.results import SongResult
from core.settings import AnalysisSettings

SETTINGS = AnalysisSettings(workers=1)

#: Opens the store, begins a window's list and a batch (both running), says so, and waits
#: until its standard input closes.
_HOLDER = textwrap.dedent("""
    import sys
    from core.batch.store import ResultStore
    from core.io.results import SongResult
    store = ResultStore(sys.argv[1])
    lib = store.begin_session(["/m/a.wav", "/m/b.wav"], {}, kind="library")
    store.save_session_result(lib, 0, SongResult(path="/m/a.wav", status="done", bpm=90.0))
    batch = store.begin_session(["/m/x.wav"], {})
    store.flush(10)
    print(lib, batch, store.owner, flush=True)
    sys.stdin.read()
    store.close()
""")


def _holder(db):
    proc = subprocess.Popen([sys.executable, "-c", _HOLDER, str(db)], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True,
                            cwd=os.path.dirname(os.path.dirname(os.path.dirname(
                                os.path.abspath(__file__)))))
    line = proc.stdout.readline().split()
    assert line, "the holding process did not start"
    return proc, int(line[0]), int(line[1]), line[2]


def test_a_list_and_a_batch_another_process_holds_are_left_to_it_until_it_is_killed(
        tmp_path):
    db = tmp_path / "store.sqlite"
    earlier = ResultStore(db)  # a list closed before: free for anyone
    old = earlier.begin_session(["/m/old.wav"], SETTINGS.to_dict(), kind="library",
                                running=False)
    earlier.close()
    proc, lib, batch, owner = _holder(db)
    try:
        store = ResultStore(db)
        assert owner_in_use(owner)
        # the running batch is not offered for resuming (resuming or dismissing it would
        # mark it ended while it runs), nor is the other window's list read or taken
        assert store.unfinished_session() is None
        assert store.last_library()["id"] == old
        taken, busy = store.take_library()
        assert taken["id"] == old and taken["paths"] == ["/m/old.wav"] and busy == 1
    finally:
        proc.kill()  # as kill -9: nothing let go
        proc.wait()
    assert not owner_in_use(owner)
    assert store.unfinished_session()["id"] == batch  # interrupted: offered now
    again = ResultStore(db)
    lib_back, busy = again.take_library()
    assert busy == 0 and lib_back["id"] == lib and lib_back["ended"] is None
    assert lib_back["paths"] == ["/m/a.wav", "/m/b.wav"] and lib_back["results"][0].bpm == 90.0
    store.close()
    again.close()


def test_a_list_let_go_at_a_normal_close_is_free_and_comes_back_first(tmp_path):
    db = tmp_path / "store.sqlite"
    proc, lib, _batch, owner = _holder(db)
    store = ResultStore(db)
    mine = store.begin_session(["/m/mine.wav"], SETTINGS.to_dict(), kind="library",
                               running=False)
    proc.stdin.close()  # the other process closes its store and ends
    assert proc.wait(30) == 0
    # the list closed last comes back first, though this one was begun later
    store.close()
    third = ResultStore(db)
    first, busy = third.take_library()
    assert busy == 0 and first["id"] == mine  # this store closed after the other one
    fourth = ResultStore(db)
    second, busy = fourth.take_library()  # the first is taken: the next one comes
    assert busy == 1 and second["id"] == lib
    assert second["results"][0] == SongResult(path="/m/a.wav", status="done", bpm=90.0)
    third.close()
    fourth.close()


def test_a_later_process_with_the_same_number_is_not_the_owner(tmp_path):
    proc = subprocess.Popen([sys.executable, "-c", "import sys; sys.stdin.read()"],
                            stdin=subprocess.PIPE)
    try:
        import psutil

        started = psutil.Process(proc.pid).create_time()
        assert owner_in_use(f"{proc.pid}:{started:.2f}:0123abcd")
        # the same number, another start: a process that reused the number of an owner
        assert not owner_in_use(f"{proc.pid}:{started - 3600:.2f}:0123abcd")
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    assert not owner_in_use(f"{proc.pid}:{started:.2f}:0123abcd")
    assert not owner_in_use(None) and not owner_in_use("") and not owner_in_use("junk")


def test_a_store_of_this_process_holds_its_list_until_it_closes(tmp_path):
    db = tmp_path / "store.sqlite"
    first = ResultStore(db)
    lib = first.begin_session(["/m/a.wav"], SETTINGS.to_dict(), kind="library",
                              running=False)
    second = ResultStore(db)
    assert second.take_library() == (None, 1)
    first.close()
    taken, busy = second.take_library()
    assert taken["id"] == lib and busy == 0
    second.close()


def test_old_lists_are_pruned_but_never_one_another_window_holds(tmp_path):
    from core.batch.store import KEEP_LIBRARIES

    db = tmp_path / "store.sqlite"
    other = ResultStore(db)
    held = other.begin_session(["/m/held.wav"], SETTINGS.to_dict(), kind="library",
                               running=False)
    store = ResultStore(db)
    for i in range(KEEP_LIBRARIES + 2):
        store.begin_session([f"/m/{i}.wav"], SETTINGS.to_dict(), kind="library",
                            running=False)
    store.close()
    other.close()
    import sqlite3

    with sqlite3.connect(db) as db_:
        ids = {r[0] for r in db_.execute("SELECT id FROM sessions WHERE kind='library'")}
    assert held in ids
    assert len(ids) == KEEP_LIBRARIES + 1  # the held one, and the newest KEEP_LIBRARIES


def test_a_month_of_lists_stays_offered_to_open_again(tmp_path):
    """Only the 10 lists used last were kept: now that File > Open Earlier List brings one
    back, a list of a few weeks ago (a list a day, or several) was gone.  50 are kept, and
    reading them all for the dialog stays quick (50 lists of 20,000 songs: about 1 ms,
    python -m benchmarks.store_lists --lists 50 --songs 20000)."""
    store = ResultStore(tmp_path / "store.sqlite")
    first = store.begin_session(["/m/first.wav"], SETTINGS.to_dict(), kind="library",
                                running=False)
    for i in range(49):
        store.begin_session([f"/m/{i}.wav"], SETTINGS.to_dict(), kind="library",
                            running=False)
    lists = store.list_libraries()
    assert len(lists) == 50 and lists[-1]["id"] == first
    store.begin_session(["/m/one_more.wav"], SETTINGS.to_dict(), kind="library",
                        running=False)
    lists = store.list_libraries()
    assert len(lists) == 50 and first not in {e["id"] for e in lists}  # the oldest went
    store.close()


#: A process number that is not this process's (an owner of this process is looked up
#: among its open stores instead).
OTHER = 4242 if os.getpid() != 4242 else 4243


def test_an_owner_tag_is_this_process_its_start_and_eight_random_hex_digits(monkeypatch):
    owner = new_owner()
    try:
        started = sessions._process_started(os.getpid())
        assert re.fullmatch(rf"{os.getpid()}:{started:.2f}:[0-9a-f]{{8}}", owner), owner
        assert owner_in_use(owner)  # open until forgotten
    finally:
        forget_owner(owner)
    assert not owner_in_use(owner)
    # the start of this process, as the process table gives it for this process's number;
    # a start that cannot be read (0.0) or a process not found is written as 0
    for answer, start in ((1234.5, "1234.50"), (0.0, "0.00"), (None, "0.00")):
        monkeypatch.setattr(sessions, "_process_started", {os.getpid(): answer}.get)
        owner = new_owner()
        forget_owner(owner)
        assert owner.split(":")[:2] == [str(os.getpid()), start], (answer, owner)


def test_a_store_of_this_process_is_in_use_until_it_closes(tmp_path):
    store = ResultStore(tmp_path / "store.sqlite")
    owner = store.owner
    assert owner_in_use(owner)
    store.close()
    assert not owner_in_use(owner)


def test_another_process_owns_a_session_while_it_runs_and_started_when_the_tag_says(
        monkeypatch):
    """The start in the tag is rounded to 1/100 s: within 2 s of the process table's, it is
    the same process; a start that cannot be compared (0 on either side) takes a running
    process as the owner; a process number below 1 never owns one."""
    runs = {OTHER: 102.0, 1: 100.0, 0: 100.0, -5: 100.0, 77: 0.0}
    monkeypatch.setattr(sessions, "_process_started", runs.get)
    assert owner_in_use(f"{OTHER}:101.00:abcd1234")
    assert owner_in_use(f"{OTHER}:100.01:abcd1234")
    assert not owner_in_use(f"{OTHER}:100.00:abcd1234")  # exactly 2 s apart: another one
    assert not owner_in_use(f"{OTHER}:104.50:abcd1234")
    assert owner_in_use(f"{OTHER}:0.00:abcd1234")  # its start was not known when tagged
    assert owner_in_use("77:100.00:abcd1234")  # its start cannot be read now
    assert owner_in_use("1:100.00:abcd1234")
    assert not owner_in_use("0:100.00:abcd1234")
    assert not owner_in_use("-5:100.00:abcd1234")
    assert not owner_in_use("5151:100.00:abcd1234")  # not running
    for damaged in ("abc:100.00:abcd1234", f"{OTHER}:soon:abcd1234", f"{OTHER}:100.00",
                    f"{OTHER}:100.00:abcd:1234"):
        assert not owner_in_use(damaged), damaged


def test_a_process_whose_start_cannot_be_read_is_taken_as_running(monkeypatch):
    def refused(pid):
        raise psutil.AccessDenied(pid)

    monkeypatch.setattr(psutil, "Process", refused)
    assert sessions._process_started(OTHER) == 0.0
    assert owner_in_use(f"{OTHER}:123.00:abcd1234")
    # without psutil nothing can be told about another process: it may be running
    monkeypatch.setitem(sys.modules, "psutil", None)
    assert sessions._process_started(OTHER) == 0.0
    assert owner_in_use(f"{OTHER}:123.00:abcd1234")
