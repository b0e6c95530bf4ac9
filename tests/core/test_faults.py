"""Fault injection on ``songcal analyze``, ``calibrate`` and ``apply``: every fault ends with a
plain message or a correct row, never a traceback, and nothing finished is lost.

Decoders are replaced by fakes where the decoder itself is not the point (raise, hang, NaN,
garbage, slow); the store is locked, filled or damaged for real; signals and ``kill -9``
hit a real ``songcal analyze`` process in :mod:`tests.core.test_fault_signals`.  The
heavier kill-and-resume loop is ``python -m benchmarks.faults``.
"""

from __future__ import annotations

import csv
import errno
import os
import sqlite3
import threading
import time

import pytest

from core.cli.main import main
from core.errors import AnalysisCancelled, CorruptFileError
from core.io.results import SongResult
from tests.audio_files import tone, write_audio, write_cover_only_m4a
from tests.databases import write_database

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FAST = ["--workers", "2", "-q"]
#: Store timings for faults that are meant to outlast them: give up in a fraction of a second.
QUICK_STORE = {"busy_timeout_s": 0.05, "retry_s": 0.3, "ack_timeout_s": 0.3,
               "session_timeout_s": 1.0}


def _rows(path):
    with open(path, encoding="utf-8-sig", errors="surrogateescape", newline="") as f:
        return list(csv.DictReader(f))


def _deck(folder, n=4, seconds=1.0):
    folder.mkdir(parents=True, exist_ok=True)
    return [write_audio(folder / f"{i:02d} Song {i}.wav", tone(300.0 + 40 * i, seconds, 8000),
                        8000) for i in range(n)]


class Fake:
    """A stand-in analyzer; ``behave(path)`` may raise, hang or return what it likes."""

    def __init__(self, behave=None):
        self.calls = []
        self.behave = behave
        self.release = threading.Event()

    def __call__(self, path, *, settings=None, progress=None, should_cancel=None):
        self.calls.append(path)
        if self.behave is not None:
            out = self.behave(self, path, progress, should_cancel)
            if out is not None:
                return out
        if progress is not None:
            progress(1, 1, 1.0)
        return SongResult(path=path, title=os.path.basename(path), status="done", bpm=120.0,
                          duration_s=1.0, chunks=1)


@pytest.fixture
def fake(monkeypatch):
    import core.analysis.analyze as analysis

    made = []

    def install(behave=None):
        f = Fake(behave)
        made.append(f)
        monkeypatch.setattr(analysis, "analyze_file", f)
        return f

    yield install
    for f in made:
        f.release.set()


def _no_traceback(capsys):
    out = capsys.readouterr()
    assert "Traceback" not in out.out + out.err
    return out


# ---------------------------------------------------------------------------- the output guard

def test_output_that_is_an_input_song_is_refused_before_any_analysis(tmp_path, fake, capsys):
    songs = _deck(tmp_path / "g")
    before = songs[0].read_bytes()
    f = fake()
    # what ``songcal analyze -o g/*.wav`` expands to
    code = main(["analyze", "-o", str(songs[0]), *map(str, songs[1:]), *FAST])
    assert code == 2 and f.calls == [] and songs[0].read_bytes() == before
    assert "audio file" in _no_traceback(capsys).err


def test_output_that_is_the_reference_sheet_is_refused(tmp_path, fake, capsys):
    songs = _deck(tmp_path / "g")
    ref = tmp_path / "ref.csv"
    ref.write_text("title,bpm\nSong 0,120\n")
    f = fake()
    assert main(["analyze", str(tmp_path / "g"), "--reference", str(ref), "-o", str(ref),
                 *FAST]) == 2
    assert f.calls == [] and ref.read_text() == "title,bpm\nSong 0,120\n"
    assert "reference sheet" in _no_traceback(capsys).err
    os.link(ref, tmp_path / "hard.csv")
    os.symlink(ref, tmp_path / "soft.csv")
    for alias in ("hard.csv", "soft.csv"):
        assert main(["analyze", str(songs[0]), "--reference", str(ref), "-o",
                     str(tmp_path / alias), *FAST]) == 2
    assert "reference sheet" in _no_traceback(capsys).err and f.calls == []


def test_calibrate_and_apply_never_write_over_their_inputs(tmp_path, capsys):
    res = tmp_path / "r.csv"
    res.write_text("path,title,status,bpm\na.wav,A,done,120\n")
    ref = tmp_path / "ref.csv"
    ref.write_text("title,bpm\nA,120\n")
    prof = tmp_path / "p.json"
    prof.write_text("{}")
    for out in (ref, res):
        assert main(["calibrate", str(res), "--reference", str(ref), "-o", str(out)]) == 2
    assert main(["calibrate", str(res), "--reference", str(ref), "-o", str(tmp_path / "c.csv"),
                 "--profile", str(tmp_path / "c.csv")]) == 2
    assert main(["apply", str(res), "--profile", str(prof), "-o", str(prof)]) == 2
    assert ref.read_text() == "title,bpm\nA,120\n" and prof.read_text() == "{}"
    err = _no_traceback(capsys).err
    assert "the results CSV" in err and "same file as -o" in err and "the profile" in err


@pytest.mark.parametrize("case", ["folder", "read-only", "dangling link", "fifo", "no room",
                                  "unwritable folder", "trailing slash"])
def test_bad_output_fails_at_once_with_exit_2(tmp_path, fake, capsys, monkeypatch, case):
    _deck(tmp_path / "g", n=1)
    f = fake()
    out = tmp_path / "out.csv"
    if case == "folder":
        out.mkdir()
    elif case == "read-only":
        out.write_text("keep me")
        out.chmod(0o444)
    elif case == "dangling link":
        os.symlink(tmp_path / "nowhere.csv", out)
    elif case == "fifo":
        os.mkfifo(out)
    elif case == "no room":
        import shutil

        monkeypatch.setattr(shutil, "disk_usage",
                            lambda p: shutil._ntuple_diskusage(10**9, 10**9, 4096))
    elif case == "trailing slash":  # a folder meant, never a file named as it
        out = f"{tmp_path / 'new'}{os.sep}"
    else:
        out = "/proc/songcal-results.csv"  # no file can be created there, not even by root
    assert main(["analyze", str(tmp_path / "g"), "-o", str(out), *FAST]) == 2
    assert not (tmp_path / "new").exists()
    assert f.calls == []
    err = _no_traceback(capsys).err
    assert "refusing to write -o" in err
    if case == "read-only":
        assert out.read_text() == "keep me"


def test_output_link_is_written_through_and_kept(tmp_path, fake, capsys):
    _deck(tmp_path / "g", n=2)
    fake()
    target = tmp_path / "real.csv"
    target.write_text("old")
    link = tmp_path / "link.csv"
    os.symlink(target, link)
    assert main(["analyze", str(tmp_path / "g"), "-o", str(link), *FAST, "--no-store"]) == 0
    assert link.is_symlink() and len(_rows(target)) == 2


def test_dash_writes_the_csv_to_standard_output(tmp_path, fake, capsys):
    _deck(tmp_path / "g", n=2)
    fake()
    assert main(["analyze", str(tmp_path / "g"), "-o", "-", "--workers", "1",
                 "--no-store"]) == 0
    out = _no_traceback(capsys)
    lines = out.out.splitlines()
    assert lines[0].startswith("path,title") and len(lines) == 3
    assert not (tmp_path / "-").exists() and not os.path.exists("-")
    assert "standard output" in out.err


def test_failed_final_write_exits_3_plainly(tmp_path, fake, capsys, monkeypatch):
    import core.io.csvio as csvio

    _deck(tmp_path / "g", n=2)
    fake()

    def full(path, data):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(csvio, "atomic_write_bytes", full)
    assert main(["analyze", str(tmp_path / "g"), "-o", str(tmp_path / "r.csv"), *FAST]) == 3
    assert "No space left on device" in _no_traceback(capsys).err


# ---------------------------------------------------------------------------- decoders

def _raise(f, path, progress, cancel):
    if "01" in os.path.basename(path):
        raise RuntimeError("decoder exploded")
    if "02" in os.path.basename(path):
        raise CorruptFileError(path, "damaged frame at 0:01")


def _nan(f, path, progress, cancel):
    return SongResult(path=path, status="done", bpm=float("nan"), loudness_lufs=float("inf"),
                      energy=float("nan"))


def _garbage(f, path, progress, cancel):
    return {"bpm": "very fast"} if "01" in os.path.basename(path) else None


def _hang(f, path, progress, cancel):
    if "01" in os.path.basename(path):
        f.release.wait(30)  # a decoder stuck in native code ignores its cancel flag


def _slow(f, path, progress, cancel):
    for i in range(4):
        if cancel():
            raise AnalysisCancelled(path)
        time.sleep(0.15)
        progress(i + 1, 4, 1.0)


@pytest.mark.parametrize("behave,expect", [
    (_raise, {"01": "internal error: RuntimeError: decoder exploded",
              "02": "damaged frame at 0:01"}),
    (_garbage, {"01": "internal error: the analyzer returned dict"}),
    (_hang, {"01": "timed out"}),
    (_nan, {}),
    (_slow, {}),
])
def test_decoder_faults_end_as_rows(tmp_path, fake, capsys, behave, expect):
    from core.analysis.identity import analyzer_id

    _deck(tmp_path / "g", n=4)
    # Each song's clock starts before the store reads the analyzer build (in the settings'
    # fingerprint), which a process does once: a tenth of a second here, but about a second
    # in the mutation runs (fifty times the code, the memo emptied before each test), which
    # would eat the 1.8 s that the songs here get.  It is read first, as in a suite run.
    analyzer_id()
    f = fake(behave)
    out = tmp_path / "r.csv"
    code = main(["analyze", str(tmp_path / "g"), "-o", str(out), *FAST, "--budget-base",
                 "0.3", "--budget-factor", "0", "--hard-limit-factor", "6"])
    rows = {os.path.basename(r["path"])[:2]: r for r in _rows(out)}
    assert len(rows) == 4
    for tag, row in rows.items():
        if tag in expect:
            assert row["status"] in ("failed", "timed out") and expect[tag] in row["error"]
        else:
            assert row["status"] == "done", row
    assert code == (1 if expect else 0)
    if behave is _nan:
        assert {r["bpm"] for r in rows.values()} == {""}
        assert {r["loudness_lufs"] for r in rows.values()} == {""}
    _no_traceback(capsys)
    f.release.set()


@pytest.mark.parametrize("rate,channels,reason", [
    (1, 1, "1 Hz"), (100, 1, "100 Hz"), (7999, 1, "7.999 kHz"), (400_000, 1, "400 kHz"),
    (10_000_000, 1, "10 MHz"), (22050, 300, "300 channels")])
def test_out_of_range_wav_is_a_plain_unsupported_row(tmp_path, capsys, rate, channels, reason):
    import numpy as np
    import soundfile as sf

    path = tmp_path / f"odd_{rate}_{channels}.wav"
    frames = 2000 if rate > 100_000 or channels > 64 else 3 * rate
    sf.write(path, np.zeros((frames, channels), dtype=np.int16), rate, subtype="PCM_16")
    out = tmp_path / "r.csv"
    assert main(["analyze", str(path), "-o", str(out), "-q", "--no-store"]) == 1
    (row,) = _rows(out)
    assert row["status"] == "failed" and "unsupported" in row["error"]
    assert reason in row["error"]
    _no_traceback(capsys)


def test_m4a_of_cover_art_alone_fails_in_its_own_row_and_the_batch_goes_on(tmp_path, capsys):
    (tmp_path / "songs").mkdir()
    write_cover_only_m4a(tmp_path / "songs" / "cover.m4a")
    write_audio(tmp_path / "songs" / "song.wav", tone(440.0, 3.0, 22050), 22050)
    out = tmp_path / "r.csv"
    assert main(["analyze", str(tmp_path / "songs"), "-o", str(out), "-q", "--no-store"]) == 1
    rows = {os.path.basename(r["path"]): r for r in _rows(out)}
    assert rows["cover.m4a"]["status"] == "failed"
    assert rows["cover.m4a"]["error"].endswith(
        "holds no audio track, only a picture (cover art)")
    assert rows["song.wav"]["status"] == "done"
    _no_traceback(capsys)


def test_explicitly_named_fifo_and_device_become_failed_rows(tmp_path, capsys):
    fifo = tmp_path / "pipe.wav"
    os.mkfifo(fifo)
    zero = tmp_path / "zero.wav"
    os.symlink("/dev/zero", zero)
    out = tmp_path / "r.csv"
    assert main(["analyze", str(fifo), str(zero), "-o", str(out), "-q", "--no-store"]) == 1
    rows = {os.path.basename(r["path"]): r for r in _rows(out)}
    assert "FIFO" in rows["pipe.wav"]["error"]
    assert "character device" in rows["zero.wav"]["error"]
    _no_traceback(capsys)


def test_file_name_that_is_not_utf8_round_trips_into_the_csv(tmp_path, capsys):
    good = write_audio(tmp_path / "x.wav", tone(440.0, 3.0, 8000), 8000)
    odd = os.path.join(os.fsencode(tmp_path), b"caf\xe9 \xff.wav")
    os.rename(os.fsencode(good), odd)
    out = tmp_path / "r.csv"
    assert main(["analyze", os.fsdecode(odd), "-o", str(out), "-q"]) == 0
    with open(out, "rb") as f:
        assert b"caf\xe9 \xff.wav" in f.read()
    (row,) = _rows(out)
    assert os.fsencode(row["path"]) == odd and row["status"] == "done"
    assert main(["analyze", os.fsdecode(odd), "-o", str(out), "-q"]) == 0  # from the store
    _no_traceback(capsys)


# ---------------------------------------------------------------------------- the store

def _quick_store(monkeypatch):
    """Every result store the code opens gives up and retries quickly (:data:`QUICK_STORE`):
    a subclass put in the store module's place.  (Its keyword defaults are not patched:
    mutation testing wraps ``__init__`` in a function that has none.)"""
    import core.batch.store as store_module

    class Quick(store_module.ResultStore):
        def __init__(self, *args, **kw):
            super().__init__(*args, **{**QUICK_STORE, **kw})

    monkeypatch.setattr(store_module, "ResultStore", Quick)
    return Quick


def _lock(path):
    holder = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    holder.execute("BEGIN EXCLUSIVE")
    return holder


def test_store_locked_for_the_whole_run_costs_no_result(tmp_path, fake, capsys, monkeypatch):
    _quick_store(monkeypatch)
    _deck(tmp_path / "g", n=3)
    f = fake()
    store = tmp_path / "s.sqlite"
    main(["analyze", str(tmp_path / "g"), "-o", str(tmp_path / "r0.csv"), "--session",
          str(store), *FAST])  # creates the store
    _deck(tmp_path / "h", n=3, seconds=1.5)  # new content: must be written
    holder = _lock(store)
    try:
        code = main(["analyze", str(tmp_path / "h"), "-o", str(tmp_path / "r.csv"),
                     "--session", str(store), *FAST])
    finally:
        holder.close()
    assert code == 3  # every song done, but the store could not be written
    assert {r["status"] for r in _rows(tmp_path / "r.csv")} == {"done"}
    err = _no_traceback(capsys).err
    assert err.count("another program holds the database") >= 1 and len(f.calls) == 6
    said = err.split("songcal analyze: the session store still refuses ")[1].splitlines()[0]
    assert said.startswith("the results of 3 song(s) (could not begin a session: another "
                           "program holds the database")
    assert said.endswith("); waiting up to 5 s for it")


def test_songs_analyzed_while_the_store_was_held_are_kept_once_it_is_released(
        tmp_path, fake, capsys, monkeypatch):
    """Another process held the store for the first songs of a batch, then let it go: the
    results it refused were never written again, the run exited 3, and a resumed run
    (same ``--session``) analyzed those songs once more."""
    import core.batch.store as store_module

    opened = []

    class Store(store_module.ResultStore):
        def __init__(self, *args, **kw):
            super().__init__(*args, **{**QUICK_STORE, **kw})
            opened.append(self)

    monkeypatch.setattr(store_module, "ResultStore", Store)
    _deck(tmp_path / "g", n=6)
    db = tmp_path / "s.sqlite"
    holder = []

    def hold_then_release(f, path, progress, cancel):
        if len(f.calls) == 1:  # the session is begun: another process takes the store
            holder.append(_lock(db))
        elif len(f.calls) == 4:  # it lets it go once the store has refused a result
            deadline = time.monotonic() + 30
            while opened[-1].problem is None and time.monotonic() < deadline:
                time.sleep(0.02)
            holder[0].execute("COMMIT")
            holder[0].close()

    f = fake(hold_then_release)
    args = ["analyze", str(tmp_path / "g"), "-o", str(tmp_path / "r.csv"), "--session",
            str(db), "--workers", "1", "-q"]
    try:
        code = main(args)
    finally:
        for h in holder:
            h.close()
    err = _no_traceback(capsys).err
    assert "another program holds the database" in opened[0].problem
    assert code == 0, err
    assert opened[0].stats.late >= 1  # refused, then written
    assert "6 of 6 songs analyzed, 0 from the session store" in err
    assert "took every result once it took writes again" in err
    assert len(f.calls) == 6
    assert main(args) == 0
    assert len(f.calls) == 6  # nothing analyzed twice
    assert "6 of 6 songs analyzed, 6 from the session store" in _no_traceback(capsys).err


def test_a_session_record_the_held_store_took_late_costs_nothing(tmp_path, fake, capsys,
                                                                monkeypatch):
    """Another process held the store while the batch's session record was begun: the run
    went on without the record and exited 3, though the store took every result later.
    The record now waits with the results and is written (and ended) with them."""
    import sqlite3

    ResultStore = _quick_store(monkeypatch)
    _deck(tmp_path / "g", n=3)
    db = tmp_path / "s.sqlite"
    ResultStore(db).close()
    holder = _lock(db)

    def release(f, path, progress, cancel):
        if len(f.calls) == 1 and holder.in_transaction:  # the record was refused
            holder.execute("COMMIT")

    f = fake(release)
    try:
        code = main(["analyze", str(tmp_path / "g"), "-o", str(tmp_path / "r.csv"),
                     "--session", str(db), "--workers", "1", "-q"])
    finally:
        holder.close()
    err = _no_traceback(capsys).err
    assert code == 0, err
    assert "going on without a session record" not in err
    assert "it waits in memory with the results" in err
    assert "3 of 3 songs analyzed" in err and len(f.calls) == 3
    with sqlite3.connect(db) as check:
        sessions = check.execute("SELECT ended FROM sessions").fetchall()
        songs = check.execute("SELECT COUNT(*) FROM session_songs").fetchone()[0]
        cached = check.execute("SELECT COUNT(*) FROM cache").fetchone()[0]
    check.close()
    assert len(sessions) == 1 and sessions[0][0] is not None  # begun late, and ended
    assert songs == 3 and cached == 3


def test_a_session_file_that_is_not_a_store_is_refused_before_any_song(tmp_path, fake, capsys):
    """A file that is no database named by --session warned, ran the whole batch without a
    store and exited 3; it is a bad argument, refused at once as the others are."""
    _deck(tmp_path / "g", n=3)
    f = fake()
    store = tmp_path / "s.sqlite"
    store.write_bytes(b"\x00garbage" * 1000)
    code = main(["analyze", str(tmp_path / "g"), "-o", str(tmp_path / "r.csv"), "--session",
                 str(store), *FAST])
    assert code == 2 and f.calls == [] and not (tmp_path / "r.csv").exists()
    assert store.read_bytes() == b"\x00garbage" * 1000
    err = _no_traceback(capsys).err
    assert f"refusing to write --session {store}: the file is not a session store" in err


@pytest.mark.parametrize("version, tables, why", [
    (0, ("users", "sessions"), "the file is not a SongCal session store: another program's "
                               "database (tables users)"),
    (1, ("accounts", "sessions"), "the file is not a SongCal session store: another "
                                  "program's database (tables accounts)"),
    (3, ("cache", "sessions", "zz_notes"), "the file is not a SongCal session store: another "
                                           "program's database (tables zz_notes)"),
    (7, ("cache", "sessions", "session_songs"), "the file was written by a newer SongCal "
                                                "(store layout 7; this one reads layouts up "
                                                "to 3)"),
])
def test_a_session_database_this_songcal_cannot_use_is_refused_before_any_song(
        tmp_path, fake, capsys, version, tables, why):
    """Another program's database or a newer SongCal's store named by --session was found
    only when the store was opened after the scan: a warning, the whole batch without a
    store, exit code 3 (and a layout 1 program's tables dropped). It is a bad argument."""
    _deck(tmp_path / "g", n=3)
    f = fake()
    store = tmp_path / "s.sqlite"
    write_database(store, version, tables)
    before = store.read_bytes()
    code = main(["analyze", str(tmp_path / "g"), "-o", str(tmp_path / "r.csv"), "--session",
                 str(store), *FAST])
    assert code == 2 and f.calls == [] and not (tmp_path / "r.csv").exists()
    assert store.read_bytes() == before
    assert [p for p in os.listdir(tmp_path) if p.startswith("s.")] == ["s.sqlite"]
    err = _no_traceback(capsys).err
    assert f"refusing to write --session {store}: {why}; give a store this SongCal made" in err


def test_a_store_of_this_songcal_passes_the_check_before_the_batch(tmp_path):
    """The read-only look before the batch refuses neither a store of an earlier layout nor
    one in use, and leaves no file beside it."""
    from core.batch.store import ResultStore, unusable_store

    old = tmp_path / "old.sqlite"
    write_database(old, 0, ("results", "sessions", "session_songs"))
    assert unusable_store(old) is None
    current = tmp_path / "current.sqlite"
    ResultStore(current).close()
    assert unusable_store(current) is None
    holder = _lock(current)
    try:
        assert unusable_store(current, timeout_s=0.05) is None  # said when opened
    finally:
        holder.close()
    assert sorted(os.listdir(tmp_path)) == ["current.sqlite", "old.sqlite"]


def test_a_damaged_store_lets_the_batch_run_and_says_so_once(tmp_path, fake, capsys):
    _deck(tmp_path / "g", n=3)
    fake()
    store = tmp_path / "s.sqlite"
    store.write_bytes(b"SQLite format 3\x00" + b"\x00garbage" * 1000)
    code = main(["analyze", str(tmp_path / "g"), "-o", str(tmp_path / "r.csv"), "--session",
                 str(store), *FAST])
    assert code == 3 and {r["status"] for r in _rows(tmp_path / "r.csv")} == {"done"}
    err = _no_traceback(capsys).err
    assert err.count("damaged or not a SongCal store") == 1


def test_full_store_costs_no_result(tmp_path, fake, capsys, monkeypatch):
    from core.batch.store import ResultStore

    prepare = ResultStore._prepare

    def full_after_prepare(self):
        prepare(self)
        pages = self._db.execute("PRAGMA page_count").fetchone()[0]
        self._db.execute(f"PRAGMA max_page_count={pages}")  # SQLITE_FULL on any growth

    monkeypatch.setattr(ResultStore, "_prepare", full_after_prepare)
    _quick_store(monkeypatch)
    _deck(tmp_path / "g", n=12)

    def big(f, path, progress, cancel):  # rows large enough to need new pages
        from core.io.results import ChunkResult

        return SongResult(path=path, status="done", bpm=120.0, chunks=300,
                          chunk_results=[ChunkResult(i, i, i + 1.0) for i in range(300)])

    fake(big)
    code = main(["analyze", str(tmp_path / "g"), "-o", str(tmp_path / "r.csv"), "--session",
                 str(tmp_path / "s.sqlite"), *FAST])
    assert code == 3 and len(_rows(tmp_path / "r.csv")) == 12
    assert {r["status"] for r in _rows(tmp_path / "r.csv")} == {"done"}
    assert "disk is full" in _no_traceback(capsys).err


def test_corrupt_cached_rows_are_analyzed_again(tmp_path, fake, capsys):
    _deck(tmp_path / "g", n=3)
    f = fake()
    store = tmp_path / "s.sqlite"
    args = ["analyze", str(tmp_path / "g"), "-o", str(tmp_path / "r.csv"), "--session",
            str(store), *FAST]
    assert main(args) == 0 and len(f.calls) == 3
    with sqlite3.connect(store) as db:
        db.execute("UPDATE cache SET result='{\"status\": \"done\"' WHERE rowid=1")
        db.execute("UPDATE cache SET result='[1, 2]' WHERE rowid=2")
    assert main(args) == 0 and len(f.calls) == 5
    assert main(args) == 0 and len(f.calls) == 5
    summaries = [ln for ln in capsys.readouterr().err.splitlines() if "songs analyzed" in ln]
    assert ["1 from the session store" in summaries[1], "3 from" in summaries[2]] == [True] * 2


# ---------------------------------------------------------------------------- bad input files

def test_hostile_reference_sheets_and_profiles_give_plain_errors(tmp_path, capsys):
    res = tmp_path / "r.csv"
    res.write_text("path,title,status,bpm\na.wav,A,done,120\n")
    utf16 = tmp_path / "utf16.csv"
    utf16.write_bytes(b"\xff\xfe\x00\xd8garbage")
    huge = tmp_path / "huge.csv"
    huge.write_text('title,bpm\nA,"' + "x" * 140_000 + '"\n')
    fifo = tmp_path / "fifo.csv"
    os.mkfifo(fifo)
    zero = tmp_path / "zero.csv"
    os.symlink("/dev/zero", zero)
    for sheet in (utf16, huge, fifo, zero):
        assert main(["calibrate", str(res), "--reference", str(sheet), "-o",
                     str(tmp_path / "c.csv")]) == 2
    for results in (fifo, zero):
        assert main(["calibrate", str(results), "--reference", str(huge), "-o",
                     str(tmp_path / "c.csv")]) == 2
    err = _no_traceback(capsys).err
    assert "UTF-16" in err and "longer than 128 KB" in err and "FIFO" in err
    assert "character device" in err


@pytest.mark.parametrize("text,field", [
    ('"version": null', "version"), ('"version": "1.0"', "version"),
    ('"version": "two"', "version"),
    ('"version": 1, "tempo": {"correction": {"method": "linear", "slope": NaN}}',
     "tempo.correction.slope"),
    ('"version": 1, "tempo": {"correction": {"method": "linear", "slope": Infinity}}',
     "tempo.correction.slope"),
    ('"version": 1, "tempo": {"correction": {"method": "linear", "slope": 1e308}}',
     "tempo.correction.slope"),
    ('"version": 1, "tempo": {"correction": {"method": "linear", "slope": -1}}',
     "tempo.correction.slope"),
    ('"version": 1, "descriptors": {"energy": {"method": "magic"}}',
     "descriptors.energy.method"),
])
def test_hostile_profiles_are_refused_naming_the_field(tmp_path, capsys, text, field):
    res = tmp_path / "r.csv"
    res.write_text("path,title,status,bpm,energy\na.wav,A,done,120,0.5\n")
    prof = tmp_path / "p.json"
    prof.write_text('{"format": "songcal-calibration-profile", ' + text + "}")
    assert main(["apply", str(res), "--profile", str(prof), "-o",
                 str(tmp_path / "o.csv")]) == 2
    assert field in _no_traceback(capsys).err
    assert not (tmp_path / "o.csv").exists()


def test_binary_profile_and_profile_for_missing_descriptors(tmp_path, capsys):
    res = tmp_path / "r.csv"
    res.write_text("path,title,status,bpm\na.wav,A,done,120\n")
    prof = tmp_path / "p.json"
    prof.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\xff\xfe")
    assert main(["apply", str(res), "--profile", str(prof), "-o", str(tmp_path / "o.csv")]) == 2
    assert "binary" in _no_traceback(capsys).err
    prof.write_text('{"format": "songcal-calibration-profile", "version": 1, "descriptors": '
                    '{"energy": {"method": "offset", "slope": 1, "intercept": 0.1}}}')
    assert main(["apply", str(res), "--profile", str(prof), "-o", str(tmp_path / "o.csv")]) == 2
    assert "none of these columns" in _no_traceback(capsys).err


@pytest.mark.parametrize("option,value", [("--hard-limit-factor", "nan"),
                                          ("--budget-base", "inf"),
                                          ("--budget-factor", "-1"), ("--workers", "0")])
def test_non_finite_or_out_of_range_settings_are_usage_errors(tmp_path, fake, capsys, option,
                                                              value):
    _deck(tmp_path / "g", n=1)
    f = fake()
    assert main(["analyze", str(tmp_path / "g"), "-o", str(tmp_path / "r.csv"), option,
                 value]) == 2
    assert f.calls == [] and "must be" in _no_traceback(capsys).err
