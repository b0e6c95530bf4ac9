"""The window's batch engine: a QThreadPool driving core.batch.rules.Batch."""

from __future__ import annotations

import pytest

from core.batch.rules import SongState
from core.errors import CorruptFileError
from gui.engine import BatchEngine, EngineState
from tests.gui.conftest import FakeAnalyzer

pytestmark = pytest.mark.usefixtures("qapp")


def _engine(qtbot, settings, analyze, n=8, tmp_path=None):
    eng = BatchEngine(settings, analyze=analyze)
    paths = [f"/music/{i:03d}.wav" for i in range(n)]
    first = len(eng.batch.jobs)
    eng.batch.add(paths)
    eng.jobsAdded.emit(first, n)
    return eng


def _finish(eng):
    assert eng.shutdown(timeout_ms=5000)


def test_batch_runs_every_song_to_done(qtbot, fast_settings):
    fake = FakeAnalyzer()
    eng = _engine(qtbot, fast_settings, fake, n=12)
    with qtbot.waitSignal(eng.batchFinished, timeout=10_000):
        assert eng.start()
    c = eng.batch.counts()
    assert c[SongState.DONE] == 12
    assert sorted(fake.calls) == sorted(j.path for j in eng.batch.jobs)
    # Two worker slots, each song on one of them, timeline segments closed.
    assert {j.worker for j in eng.batch.jobs} <= {"W1", "W2"}
    assert len(eng.segments) == 12 and all(s.end is not None for s in eng.segments)
    assert eng.state == EngineState.IDLE
    assert eng.history.done[-1] == 12
    _finish(eng)


def test_an_idle_engine_starts_nothing_until_started_again(qtbot, fast_settings):
    fake = FakeAnalyzer()
    eng = _engine(qtbot, fast_settings, fake, n=4)
    seen = []
    # When the batch ends, every slot is free: no worker may still hand its slot over and
    # take a song added afterwards while the engine is idle.
    eng.batchFinished.connect(lambda: seen.append(eng.busy_records()))
    with qtbot.waitSignal(eng.batchFinished, timeout=10_000):
        assert eng.start()
    assert seen == [[]]
    eng.batch.add(["/music/late.wav"])
    eng.jobsAdded.emit(4, 1)
    qtbot.wait(100)
    assert eng.batch.jobs[4].state is SongState.QUEUED and len(fake.calls) == 4
    with qtbot.waitSignal(eng.batchFinished, timeout=10_000):
        assert eng.start()
    assert fake.calls[-1] == "/music/late.wav"
    _finish(eng)


def test_never_more_songs_at_once_than_workers(qtbot, fast_settings):
    import threading

    running, peak, lock = [0], [0], threading.Lock()
    inner = FakeAnalyzer(step_s=0.01)

    def counting(path, **kw):
        with lock:
            running[0] += 1
            peak[0] = max(peak[0], running[0])
        try:
            return inner(path, **kw)
        finally:
            with lock:
                running[0] -= 1

    eng = _engine(qtbot, fast_settings, counting, n=10)
    with qtbot.waitSignal(eng.batchFinished, timeout=10_000):
        eng.start()
    assert peak[0] == 2
    _finish(eng)


def test_audio_error_gives_failed_row_with_reason(qtbot, fast_settings):
    fake = FakeAnalyzer(fail_on="003", error=CorruptFileError("/music/003.wav",
                                                              "the data stops after 2 s"))
    eng = _engine(qtbot, fast_settings, fake, n=5)
    with qtbot.waitSignal(eng.batchFinished, timeout=10_000):
        eng.start()
    job = eng.batch.jobs[3]
    assert job.state is SongState.FAILED
    assert job.error == "the data stops after 2 s"
    assert eng.batch.counts()[SongState.DONE] == 4
    _finish(eng)


def test_unexpected_error_is_logged_and_batch_goes_on(qtbot, fast_settings, caplog):
    caplog.set_level("INFO")  # the traceback goes to the log file, at INFO
    fake = FakeAnalyzer(fail_on="001", error=ZeroDivisionError("division by zero"))
    eng = _engine(qtbot, fast_settings, fake, n=4)
    with qtbot.waitSignal(eng.batchFinished, timeout=10_000):
        eng.start()
    job = eng.batch.jobs[1]
    assert job.state is SongState.FAILED
    assert "ZeroDivisionError" in job.error
    assert any("Traceback" in r.getMessage() for r in caplog.records)
    assert eng.batch.counts()[SongState.DONE] == 3
    _finish(eng)


def test_stalled_song_times_out_and_batch_finishes(qtbot, fast_settings):
    fake = FakeAnalyzer(block_on="002")
    eng = _engine(qtbot, fast_settings, fake, n=8)
    stalled, timed_out = [], []
    eng.stalled.connect(stalled.append)
    eng.timedOut.connect(timed_out.append)
    try:
        with qtbot.waitSignal(eng.batchFinished, timeout=10_000):
            eng.start()
        assert stalled == [2] and timed_out == [2]
        job = eng.batch.jobs[2]
        assert job.state is SongState.TIMED_OUT
        assert eng.batch.counts()[SongState.DONE] == 7
        # The blocked worker was abandoned and the pool kept its capacity.
        assert len(eng.abandoned) == 1
        assert eng.pool.maxThreadCount() >= len(eng.slots) + 1
    finally:
        fake.release()
    qtbot.waitUntil(lambda: not eng.abandoned, timeout=5000)
    assert eng.batch.jobs[2].state is SongState.TIMED_OUT  # late result discarded
    assert eng.pool.maxThreadCount() == len(eng.slots)
    _finish(eng)


def test_skip_a_stuck_song_frees_its_worker(qtbot, fast_settings):
    import dataclasses

    settings = dataclasses.replace(fast_settings, budget_base_s=30.0)
    fake = FakeAnalyzer(block_on="000")
    eng = _engine(qtbot, settings, fake, n=4)
    try:
        eng.start()
        qtbot.waitUntil(fake.blocked.is_set, timeout=5000)
        with qtbot.waitSignal(eng.batchFinished, timeout=10_000):
            assert eng.skip(0)
        assert eng.batch.jobs[0].state is SongState.SKIPPED
        assert eng.batch.counts()[SongState.DONE] == 3
    finally:
        fake.release()
    qtbot.waitUntil(lambda: not eng.abandoned, timeout=5000)
    _finish(eng)


def test_cancel_mid_batch_stops_running_and_queued_songs(qtbot, fast_settings):
    fake = FakeAnalyzer(n_chunks=20, step_s=0.01)
    eng = _engine(qtbot, fast_settings, fake, n=10)
    eng.start()
    qtbot.waitUntil(lambda: len(fake.calls) >= 2, timeout=5000)
    with qtbot.waitSignal(eng.batchFinished, timeout=10_000):
        eng.cancel()
    c = eng.batch.counts()
    assert c[SongState.CANCELLED] >= 8
    assert c[SongState.CANCELLED] + c[SongState.DONE] == 10
    assert len(fake.calls) < 10
    _finish(eng)


def test_pause_starts_no_new_song_and_resume_continues(qtbot, fast_settings):
    fake = FakeAnalyzer(n_chunks=5, step_s=0.01)
    eng = _engine(qtbot, fast_settings, fake, n=8)
    eng.start()
    eng.pause()
    assert eng.state == EngineState.PAUSED
    qtbot.waitUntil(lambda: not eng.busy_records(), timeout=5000)
    qtbot.wait(150)
    assert len(fake.calls) == 2  # the two songs that had started
    with qtbot.waitSignal(eng.batchFinished, timeout=10_000):
        eng.resume()
    assert eng.batch.counts()[SongState.DONE] == 8
    _finish(eng)


def test_retry_failed_runs_only_the_failed_songs_again(qtbot, fast_settings):
    fake = FakeAnalyzer(fail_on="001", error=CorruptFileError("/music/001.wav", "broken"))
    eng = _engine(qtbot, fast_settings, fake, n=3)
    with qtbot.waitSignal(eng.batchFinished, timeout=10_000):
        eng.start()
    fake.fail_on = None
    n_calls = len(fake.calls)
    with qtbot.waitSignal(eng.batchFinished, timeout=10_000):
        assert eng.retry_failed() == 1
    assert fake.calls[n_calls:] == ["/music/001.wav"]
    assert eng.batch.counts()[SongState.DONE] == 3
    _finish(eng)


def test_songs_queued_again_in_a_paused_batch_wait_for_resume(qtbot, fast_settings):
    # Pause starts no new song until Resume: Retry Failed and Analyze Again queue the songs
    # and leave the batch paused (as Start does).
    fake = FakeAnalyzer(block_on="002", fail_on="000",
                        error=CorruptFileError("/music/000.wav", "broken"))
    eng = _engine(qtbot, fast_settings, fake, n=3)
    try:
        eng.start()
        qtbot.waitUntil(lambda: eng.batch.jobs[1].state is SongState.DONE
                        and fake.blocked.is_set(), timeout=5000)
        assert eng.batch.jobs[0].state is SongState.FAILED
        eng.pause()
        fake.fail_on = None
        assert eng.retry_failed() == 1
        assert eng.requeue([1]) == 1
        assert eng.state == EngineState.PAUSED
        assert [j.state for j in eng.batch.jobs[:2]] == [SongState.QUEUED] * 2
        assert fake.calls.count("/music/000.wav") == 1
    finally:
        fake.release()
    with qtbot.waitSignal(eng.batchFinished, timeout=10_000):
        eng.resume()
    assert eng.batch.counts()[SongState.DONE] == 3
    _finish(eng)


def test_quit_mid_batch_stops_workers(qtbot, fast_settings):
    fake = FakeAnalyzer(n_chunks=50, step_s=0.01)
    eng = _engine(qtbot, fast_settings, fake, n=6)
    eng.start()
    qtbot.waitUntil(lambda: len(fake.calls) >= 2, timeout=5000)
    assert eng.shutdown(timeout_ms=5000)
    assert len(fake.returned) == len(fake.calls)


def test_scan_adds_rows_off_the_gui_thread(qtbot, wav_deck, fast_settings):
    deck, paths = wav_deck
    eng = BatchEngine(fast_settings, analyze=FakeAnalyzer())
    with qtbot.waitSignal(eng.scanFinished, timeout=10_000) as blocker:
        eng.add_paths([deck, deck / "missing.wav"])
    assert blocker.args == [7]
    got = [j.path for j in eng.batch.jobs]
    assert sorted(got[:-1]) == sorted(str(p) for p in paths)
    missing = eng.batch.jobs[-1]
    assert missing.state is SongState.FAILED and missing.error == "file not found"
    _finish(eng)


def test_a_scan_summary_counts_only_what_came_after_the_list_was_cleared(
        qtbot, wav_deck, fast_settings, monkeypatch):
    import threading

    import gui.workers

    deck, paths = wav_deck
    gate = threading.Event()
    read = gui.workers.song_identity_or_name

    def slow_tags(path):  # the first scan stays in its tag pass until the list is cleared
        gate.wait(10)
        return read(path)

    monkeypatch.setattr(gui.workers, "song_identity_or_name", slow_tags)
    eng = BatchEngine(fast_settings, analyze=FakeAnalyzer())
    try:
        with qtbot.waitSignal(eng.jobsAdded, timeout=10_000):
            eng.add_paths([deck])  # six songs and a text file, left out
        assert eng.is_scanning and eng.batch.jobs
        assert eng.clear() is not None
    finally:
        gate.set()
    with qtbot.waitSignal(eng.scanSummary, timeout=10_000) as summary:
        eng.add_paths([paths[0]])
    assert summary.args[0] == "1 added"
    assert [j.path for j in eng.batch.jobs] == [str(paths[0])]
    _finish(eng)


def test_store_serves_unchanged_songs_and_a_forced_song_is_analyzed_afresh(
        qtbot, wav_deck, fast_settings, tmp_path):
    from core.batch.store import ResultStore

    _, paths = wav_deck
    store = ResultStore(str(tmp_path / "store.sqlite"))
    fake = FakeAnalyzer()
    eng = BatchEngine(fast_settings, analyze=fake, store=store)
    try:
        eng.batch.add([str(p) for p in paths[:3]])
        eng.jobsAdded.emit(0, 3)
        with qtbot.waitSignal(eng.batchFinished, timeout=10_000):
            assert eng.start()
        assert len(fake.calls) == 3
        # The same file again in a new row: served from the store, not analyzed.
        eng.batch.add([str(paths[2])])
        eng.jobsAdded.emit(3, 1)
        with qtbot.waitSignal(eng.batchFinished, timeout=10_000):
            assert eng.start()
        assert len(fake.calls) == 3 and eng.batch.jobs[3].state is SongState.DONE
        # "Analyze Again" on row 0 forces that song only, past its stored result.
        with qtbot.waitSignal(eng.batchFinished, timeout=10_000):
            assert eng.requeue([0]) == 1
        assert fake.calls[3:] == [str(paths[0])]
        assert eng.batch.jobs[0].force and not eng.batch.jobs[3].force
    finally:
        _finish(eng)
        store.close()


def test_an_engine_is_freed_as_soon_as_its_last_reference_goes(fast_settings):
    # No reference cycle: the garbage collector would otherwise delete the engine's Qt
    # objects later, in whatever thread it happens to run in.
    import gc
    import weakref

    eng = BatchEngine(fast_settings, analyze=FakeAnalyzer())
    assert eng.shutdown(timeout_ms=5000)
    ref = weakref.ref(eng)
    gc.disable()
    try:
        del eng
        assert ref() is None
    finally:
        gc.enable()


def test_a_worker_whose_song_it_finished_is_not_given_up_before_it_returns(qapp, fast_settings):
    # The worker has finished its song (done) but its return has not reached the GUI thread
    # yet: the song keeps its worker, its timeline bar and its count, until the return.
    from PySide6.QtCore import QThreadPool

    from core.batch.rules import Batch
    from core.io.results import SongResult
    from gui.worker_slots import WorkerSlots
    from gui.workers import WorkerRecord, WorkerSignals

    batch = Batch(["/m/a.wav", "/m/b.wav"], settings=fast_settings)
    slots = WorkerSlots(QThreadPool(), WorkerSignals())
    slots.resize(2)
    records = []
    for slot in slots.slots:
        job, attempt = batch.claim(slot.name)
        rec = WorkerRecord(name=slot.name, job_id=job.id, attempt=attempt, batch=batch)
        rec.started_at = 1.0
        slot.record, slot.runner = rec, object()
        slots._in_flight.count += 1
        assert slots.on_started(rec, 0.0)
        records.append((rec, job, attempt))
    (done_rec, done_job, a0), (skip_rec, skip_job, _) = records
    batch.finish(done_job.id, a0, SongResult(path=done_job.path, title="a", status="done"))
    batch.skip(skip_job.id)  # ended by the user: that worker is given up on
    assert [r for r, _ in slots.reap(batch, 2.0, 0.0)] == [skip_rec]
    assert not done_rec.abandoned and slots.in_flight == 1
    done_rec.ended_at, done_rec.returned = 1.5, True
    slots.on_returned(done_rec, batch, 0.0)
    assert slots.in_flight == 0
    seg = next(s for s in slots.segments if s.job_id == done_job.id)
    assert seg.end == 1.5 and seg.state == SongState.DONE.value


def test_a_songs_end_reaches_the_rows_without_waiting_for_their_refresh(qtbot, fast_settings):
    # While a batch runs, the rows are refreshed at most every ROW_REFRESH_S; a song's end
    # is not held back for it (its row said "running" up to 0.4 s after the song ended).
    fake = FakeAnalyzer(block_on="001", step_s=0.1)  # the first song ends after a refresh
    eng = _engine(qtbot, fast_settings, fake, n=2)
    reported = []
    eng.jobsChanged.connect(
        lambda rows: reported.extend((r, eng.batch.jobs[r].state, eng.is_running)
                                     for r in rows))
    eng.ROW_REFRESH_S = 3600.0  # no refresh of the rows after the first while it runs
    assert eng.start()
    qtbot.waitUntil(fake.blocked.is_set, timeout=5000)
    qtbot.waitUntil(lambda: bool(reported), timeout=5000)  # the refresh of the start
    qtbot.waitUntil(lambda: eng.batch.jobs[0].state is SongState.DONE, timeout=5000)
    # reported while the other song still runs (the refresh of the rows held back)
    qtbot.waitUntil(lambda: (0, SongState.DONE, True) in reported, timeout=5000)
    fake.release()
    with qtbot.waitSignal(eng.batchFinished, timeout=10_000):
        pass
    _finish(eng)


def test_every_row_is_reported_before_the_batch_finishes(qtbot, fast_settings):
    """A view that reads the rows when the batch finishes finds none left to report: the
    last songs' ends were reported only after the end (ENDED_REPORT_MS later), so a window
    exporting or grabbed at that moment showed them "running"."""
    fake = FakeAnalyzer(step_s=0.0)
    eng = _engine(qtbot, fast_settings, fake, n=3)
    eng.ENDED_REPORT_MS = 60_000  # the ends' own report never comes first
    eng.ROW_REFRESH_S = 3600.0
    at_end = []
    eng.batchFinished.connect(lambda: at_end.append(
        (set(eng.unreported_rows()), [j.state for j in eng.batch.jobs])))
    with qtbot.waitSignal(eng.batchFinished, timeout=10_000):
        assert eng.start()
    assert at_end == [(set(), [SongState.DONE] * 3)]
    _finish(eng)
