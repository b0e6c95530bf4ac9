"""The window's engine on a real Dask LocalCluster of two worker processes."""

from __future__ import annotations

import contextlib
import time

import pytest

distributed = pytest.importorskip("distributed")

from core.batch.cluster import ClusterSpec, parse_cluster  # noqa: E402
from core.batch.rules import SongState  # noqa: E402
from core.batch.store import ResultStore  # noqa: E402
from core.settings import AnalysisSettings  # noqa: E402
from gui.engine import BatchEngine, EngineState  # noqa: E402
from gui.formatting import fmt_duration  # noqa: E402
from gui.song_columns import COL_ELAPSED, COL_STATUS  # noqa: E402
from gui.song_table import SongTableModel  # noqa: E402
from gui.worker_panel import WorkerTableModel  # noqa: E402
from tests.core import cluster_helpers  # noqa: E402
from tests.core.cluster_helpers import slow_analyze, stuck_analyze  # noqa: E402

pytestmark = pytest.mark.usefixtures("qapp")


@pytest.fixture(autouse=True)
def no_leaked_threads():
    with cluster_helpers.no_leaked_threads(
            allowed=(*cluster_helpers.DASK_THREADS, "songcal-cluster")):
        yield


@pytest.fixture(scope="module")
def client():
    with cluster_helpers.local_client() as c:
        yield c


def _songs(folder, n, prefix="song"):
    paths = []
    for i in range(n):
        p = folder / f"{prefix}{i}.wav"
        p.write_bytes(b"RIFF" + bytes([i]) * (200 + i))
        paths.append(str(p))
    return paths


def _engine(paths, *, client, analyze, store=None, settings=None):
    eng = BatchEngine(settings or AnalysisSettings(workers=2), store=store)
    eng.set_cluster(ClusterSpec(), client=client, analyze=analyze)
    eng.batch.add(paths)
    eng.jobsAdded.emit(0, len(paths))
    return eng


def test_a_batch_runs_on_the_cluster_with_progress_panel_and_store(qtbot, client, tmp_path):
    paths = _songs(tmp_path, 6)
    store = ResultStore(str(tmp_path / "s.sqlite"))
    eng = _engine(paths, client=client, analyze=slow_analyze, store=store)
    panel = WorkerTableModel(eng)
    progressed, names = [], set()
    eng.jobsProgressed.connect(progressed.extend)
    # (the names of the rows that run a song)
    eng.ticked.connect(lambda: (panel.refresh(), names.update(
        panel.index(r, 0).data() for r in range(panel.rowCount())
        if panel.index(r, 2).data())))
    with qtbot.waitSignal(eng.batchFinished, timeout=120_000):
        assert eng.start()
    assert [j.state for j in eng.batch.jobs] == [SongState.DONE] * 6
    assert [r.bpm for r in eng.batch.results()] == [slow_analyze(p).bpm for p in paths]
    assert progressed  # chunk progress reached the window while songs ran
    # One worker row per Dask worker thread, named after its host and port.
    workers = {a.split("://")[-1] for a in client.nthreads()}
    assert names and {n.rsplit(" #", 1)[0] for n in names if n} <= workers
    assert {j.worker.rsplit(" #", 1)[0] for j in eng.batch.jobs} <= workers
    assert len(eng.segments) == 6 and all(s.end is not None for s in eng.segments)
    assert eng.state == EngineState.IDLE
    # The store was filled in this process: a second batch takes every song from it.
    eng.batch.requeue(list(range(6)), force=False, states=(SongState.DONE,))
    with qtbot.waitSignal(eng.batchFinished, timeout=60_000):
        assert eng.start()
    assert [j.state for j in eng.batch.jobs] == [SongState.DONE] * 6
    assert store.stats.hits == 6 and eng.worker_slots.connection.submitted == 6
    assert eng.shutdown(timeout_ms=5000)
    store.close()


def test_a_stuck_song_times_out_and_the_cluster_batch_ends(qtbot, client, tmp_path):
    paths = _songs(tmp_path, 3) + _songs(tmp_path, 1, prefix="stuck")
    settings = AnalysisSettings(workers=2, budget_base_s=1.0, budget_factor=0.0,
                                hard_limit_factor=2.5)
    eng = _engine(paths, client=client, analyze=stuck_analyze, settings=settings)
    timed_out = []
    eng.timedOut.connect(timed_out.append)
    with qtbot.waitSignal(eng.batchFinished, timeout=120_000):
        assert eng.start()
    assert [j.state for j in eng.batch.jobs[:3]] == [SongState.DONE] * 3
    assert eng.batch.jobs[3].state is SongState.TIMED_OUT and timed_out == [3]
    assert len(eng.abandoned) == 1  # its worker thread is still busy on the cluster
    assert eng.shutdown(timeout_ms=5000)
    client.restart()  # free the worker thread the stuck song holds


def test_an_unreachable_scheduler_leaves_every_song_queued(qtbot, tmp_path, monkeypatch):
    import core.batch.cluster

    # (the command line's test waits the real 10 s; the window's reaction is the point here)
    monkeypatch.setattr(core.batch.cluster, "_CONNECT_TIMEOUT_S", 1.0)
    paths = _songs(tmp_path, 2)
    eng = BatchEngine(AnalysisSettings(workers=2))
    eng.set_cluster(parse_cluster("tcp://127.0.0.1:9"), analyze=slow_analyze)
    eng.batch.add(paths)
    eng.jobsAdded.emit(0, 2)
    with qtbot.waitSignal(eng.clusterFailed, timeout=60_000) as blocker:
        assert eng.start()
    assert "cannot reach the scheduler tcp://127.0.0.1:9" in blocker.args[0]
    assert [j.state for j in eng.batch.jobs] == [SongState.QUEUED] * 2
    assert eng.state == EngineState.IDLE
    # Back on this computer's threads, the same songs run.
    eng.set_cluster(None)
    assert eng.shutdown(timeout_ms=5000)


def _done_then(eng, action):
    """Call ``action()`` once, in the GUI thread, when the first song is done."""
    fired = []

    def changed(_rows):
        if not fired and any(j.state is SongState.DONE for j in eng.batch.jobs):
            fired.append(True)
            action()

    eng.jobsChanged.connect(changed)
    return fired


@pytest.fixture
def short_waits(monkeypatch):
    """The wait for a worker and the look at the cluster's workers, cut to a second."""
    import core.batch.cluster
    import gui.cluster_slots

    monkeypatch.setattr(core.batch.cluster, "NO_WORKER_WAIT_S", 1.0)
    monkeypatch.setattr(gui.cluster_slots, "_REFRESH_S", 0.2)


@pytest.mark.timeout(180)
def test_a_cluster_whose_workers_all_left_ends_the_window_batch(qtbot, tmp_path, short_waits):
    # The hard limit (3 x 20 s a song) is far beyond the wait for a worker (1 s here): the
    # songs left fail saying why, not one hard limit after another.
    cluster, client = cluster_helpers.process_cluster(1, timeout=10)
    try:
        paths = _songs(tmp_path, 6)
        eng = _engine(paths, client=client, analyze=slow_analyze,
                      settings=AnalysisSettings(workers=1))
        fired = _done_then(eng, lambda: cluster.scale(0))
        with qtbot.waitSignal(eng.batchFinished, timeout=40_000):
            assert eng.start()
        assert fired and eng.state == EngineState.IDLE
        done = [j for j in eng.batch.jobs if j.state is SongState.DONE]
        failed = [j for j in eng.batch.jobs if j.state is not SongState.DONE]
        assert done and failed
        assert all(j.state is SongState.FAILED and "no worker was left in the local cluster"
                   in j.error for j in failed), [(j.state, j.error) for j in failed]
        assert [r.path for r in eng.batch.results() if r.status == "done"] == \
            [j.path for j in done]
        assert eng.shutdown(timeout_ms=5000)
    finally:
        client.close()
        cluster.close()


@pytest.mark.timeout(240)
def test_a_scheduler_that_goes_away_fails_the_window_songs_left(qtbot, tmp_path, monkeypatch):
    import core.batch.cluster

    # (the window's client tries to reconnect for as long as it waits to connect: 10 s)
    monkeypatch.setattr(core.batch.cluster, "_CONNECT_TIMEOUT_S", 2.0)
    paths = _songs(tmp_path, 6)
    eng = BatchEngine(AnalysisSettings(workers=1))
    eng.batch.add(paths)
    eng.jobsAdded.emit(0, len(paths))
    try:
        with cluster_helpers.scheduler_process() as (address, scheduler):
            eng.set_cluster(parse_cluster(address), analyze=slow_analyze)
            fired = _done_then(eng, lambda: (scheduler.kill(), scheduler.wait()))
            with qtbot.waitSignal(eng.batchFinished, timeout=90_000):
                assert eng.start()
        assert fired and eng.state == EngineState.IDLE
        failed = [j for j in eng.batch.jobs if j.state is not SongState.DONE]
        assert failed and len(failed) < 6
        assert all(j.state is SongState.FAILED and "connection to the" in j.error
                   and "lost" in j.error for j in failed), [(j.state, j.error) for j in failed]
        # The scheduler back at its address: the songs failed run when tried again.
        monkeypatch.setattr(core.batch.cluster, "_CONNECT_TIMEOUT_S", 30.0)
        port = int(address.rsplit(":", 1)[1])
        with cluster_helpers.scheduler_process(port):
            with qtbot.waitSignal(eng.batchFinished, timeout=90_000):
                assert eng.retry_failed() == len(failed)
            assert [j.state for j in eng.batch.jobs] == [SongState.DONE] * 6
            assert eng.shutdown(timeout_ms=5000)
    finally:
        eng.shutdown(timeout_ms=5000)


@pytest.fixture
def frozen_scheduler_waits(monkeypatch):
    """The limit of a question to the scheduler, the wait for one that does not answer and
    the look at the workers, cut to seconds; yields the threads where a question to the
    scheduler went unanswered (``threading.Thread`` each, as it gave up)."""
    import threading

    import core.batch.cluster
    import gui.cluster_slots
    from core.batch.cluster import ClusterConnection

    monkeypatch.setattr(core.batch.cluster, "_LOCAL_CALL_S", 2.0)
    monkeypatch.setattr(core.batch.cluster, "NO_WORKER_WAIT_S", 2.0)
    monkeypatch.setattr(gui.cluster_slots, "_REFRESH_S", 0.2)
    unanswered = ClusterConnection._unanswered
    where = []

    def recording(self):
        where.append(threading.current_thread())
        unanswered(self)

    monkeypatch.setattr(ClusterConnection, "_unanswered", recording)
    yield where


@pytest.mark.timeout(240)
def test_a_scheduler_that_stops_answering_fails_the_window_songs_left(qtbot, tmp_path,
                                                                       frozen_scheduler_waits):
    # The scheduler freezes (SIGSTOP) once a song is done.  The window goes on: the
    # questions to the scheduler that go unanswered wait on the cluster's thread, never on
    # the GUI thread, whose events keep coming; once the scheduler has not answered for the
    # wait, the songs left fail in their rows saying so, the batch ends with what finished,
    # and quitting while it is still frozen does not wait for it.
    import os
    import signal
    import threading

    from PySide6.QtCore import QTimer

    paths = _songs(tmp_path, 6)
    eng = BatchEngine(AnalysisSettings(workers=1))
    eng.batch.add(paths)
    eng.jobsAdded.emit(0, len(paths))
    ticks = []
    timer = QTimer()
    timer.setInterval(20)
    timer.timeout.connect(lambda: ticks.append(time.monotonic()))
    frozen = []
    try:
        with cluster_helpers.scheduler_process() as (address, scheduler):
            def freeze():
                os.kill(scheduler.pid, signal.SIGSTOP)
                frozen.append(time.monotonic())

            try:
                eng.set_cluster(parse_cluster(address), analyze=slow_analyze)
                _done_then(eng, freeze)
                with qtbot.waitSignal(eng.batchFinished, timeout=90_000):
                    assert eng.start()
                    timer.start()
                ended = time.monotonic()
                assert frozen and eng.state == EngineState.IDLE
                done = [j for j in eng.batch.jobs if j.state is SongState.DONE]
                failed = [j for j in eng.batch.jobs if j.state is not SongState.DONE]
                assert done and failed
                assert all(j.state is SongState.FAILED for j in failed)
                assert {j.error for j in failed} == {
                    f"the scheduler {address} did not answer for 2 s"}
                assert [r.path for r in eng.batch.results() if r.status == "done"] == \
                    [j.path for j in done]
                # (the GUI thread never waited for the frozen scheduler, and went on)
                assert frozen_scheduler_waits
                assert threading.main_thread() not in frozen_scheduler_waits
                assert sum(frozen[0] < t < ended for t in ticks) >= 10
                assert eng.shutdown(timeout_ms=5000)  # (still frozen)
            finally:
                timer.stop()
                if frozen:
                    os.kill(scheduler.pid, signal.SIGCONT)
    finally:
        eng.shutdown(timeout_ms=5000)


@pytest.mark.timeout(180)
def test_a_scheduler_that_stops_answering_as_it_is_reached_leaves_the_window_songs_queued(
        qtbot, tmp_path, monkeypatch, frozen_scheduler_waits):
    # The scheduler freezes as the warm-up of the workers that start later is registered:
    # the window says why it cannot run on it, and every song stays queued.  Before, that
    # registration waited forever, and so did the start of the batch.
    import os
    import signal

    from core.batch.cluster import ClusterConnection

    register = ClusterConnection._warm_up_later_workers
    eng = BatchEngine(AnalysisSettings(workers=1))
    eng.batch.add(_songs(tmp_path, 2))
    eng.jobsAdded.emit(0, 2)
    frozen = []
    try:
        with cluster_helpers.scheduler_process() as (address, scheduler):
            def freeze_then_register(conn):
                os.kill(scheduler.pid, signal.SIGSTOP)
                frozen.append(True)
                return register(conn)

            monkeypatch.setattr(ClusterConnection, "_warm_up_later_workers",
                                freeze_then_register)
            try:
                eng.set_cluster(parse_cluster(address), analyze=slow_analyze)
                with qtbot.waitSignal(eng.clusterFailed, timeout=60_000) as blocker:
                    assert eng.start()
                assert frozen
                assert blocker.args[0] == (
                    f"the scheduler {address} stopped answering as it was being reached (no "
                    f"answer within 2.0 s): check that it runs and can be reached, then "
                    f"start again")
                assert [j.state for j in eng.batch.jobs] == [SongState.QUEUED] * 2
                assert eng.state == EngineState.IDLE
            finally:
                if frozen:
                    os.kill(scheduler.pid, signal.SIGCONT)
    finally:
        assert eng.shutdown(timeout_ms=5000)


def _labels(panel):
    """``[(row name, its tooltip), ...]`` of the panel's rows."""
    from PySide6.QtCore import Qt

    panel.refresh()
    return [(panel.index(r, 0).data(), panel.index(r, 0).data(Qt.ItemDataRole.ToolTipRole))
            for r in range(panel.rowCount())]


@pytest.mark.timeout(180)
def test_the_worker_panel_names_a_worker_by_the_name_it_was_started_with(qtbot, tmp_path):
    eng = BatchEngine(AnalysisSettings(workers=1))
    eng.batch.add(_songs(tmp_path, 1))
    eng.jobsAdded.emit(0, 1)
    panel = WorkerTableModel(eng)
    try:
        with cluster_helpers.scheduler_process(worker_name="studio-a") as (address, _):
            eng.set_cluster(parse_cluster(address), analyze=slow_analyze)
            with qtbot.waitSignal(eng.batchFinished, timeout=90_000):
                assert eng.start()
            ((name, tip),) = _labels(panel)
            where = eng.batch.jobs[0].worker.rsplit(" #", 1)[0]  # (host:port)
            assert name == "studio-a #1" and where in tip, (name, tip)
            assert eng.shutdown(timeout_ms=5000)
    finally:
        eng.shutdown(timeout_ms=5000)


def test_a_worker_without_a_name_of_its_own_is_named_by_its_address(qtbot, client,
                                                                    tmp_path):
    # (a LocalCluster numbers its workers 0, 1...: not names anyone gave them)
    eng = _engine(_songs(tmp_path, 1), client=client, analyze=slow_analyze)
    panel = WorkerTableModel(eng)
    with qtbot.waitSignal(eng.batchFinished, timeout=60_000):
        assert eng.start()
    workers = sorted(a.split("://")[-1] for a in client.nthreads())
    labels = sorted(_labels(panel))
    assert [n for n, _ in labels] == [f"{w} #1" for w in workers]
    assert all(w in tip for w, (_, tip) in zip(workers, labels, strict=True))
    assert eng.shutdown(timeout_ms=5000)


@pytest.mark.timeout(300)
def test_a_stuck_song_on_the_windows_own_local_cluster_does_not_hold_the_batch(
        qtbot, tmp_path, short_waits):
    # One worker thread, held by a song Dask cannot stop: the window's own LocalCluster
    # restarts that worker after the wait, and the songs after it run.
    paths = _songs(tmp_path, 1, prefix="stuck") + _songs(tmp_path, 2)
    settings = AnalysisSettings(workers=1, budget_base_s=1.0, budget_factor=0.0,
                                hard_limit_factor=2.0)
    eng = BatchEngine(settings)
    eng.set_cluster(parse_cluster("local:1"), analyze=stuck_analyze)
    eng.batch.add(paths)
    eng.jobsAdded.emit(0, len(paths))
    try:
        with qtbot.waitSignal(eng.batchFinished, timeout=120_000):
            assert eng.start()
        assert eng.batch.jobs[0].state is SongState.TIMED_OUT
        assert [j.state for j in eng.batch.jobs[1:]] == [SongState.DONE] * 2
        assert not eng.abandoned  # its worker was restarted: nothing holds a thread
    finally:
        assert eng.shutdown(timeout_ms=15000)


@pytest.mark.timeout(420)
def test_songs_given_up_on_in_two_lists_with_the_same_number_both_count_as_held(
        qtbot, tmp_path, short_waits):
    # Two worker threads: the first list's song 0 is given up on and holds one; the list is
    # cleared and the new list's song 0 (same job id, same attempt) is given up on and
    # holds the other.  Both threads are held: the window's own LocalCluster restarts both
    # workers after the wait, and the new list's other songs run.
    settings = AnalysisSettings(workers=2, budget_base_s=1.0, budget_factor=0.0,
                                hard_limit_factor=2.0)
    eng = BatchEngine(settings)
    eng.set_cluster(parse_cluster("local:2"), analyze=stuck_analyze)
    old = tmp_path / "old"
    old.mkdir()
    eng.batch.add(_songs(old, 1, prefix="stuck"))
    eng.jobsAdded.emit(0, 1)
    try:
        with qtbot.waitSignal(eng.batchFinished, timeout=180_000):
            assert eng.start()
        assert eng.batch.jobs[0].state is SongState.TIMED_OUT and len(eng.abandoned) == 1
        assert eng.clear() is not None
        new = tmp_path / "new"
        new.mkdir()
        paths = _songs(new, 1, prefix="stuck") + _songs(new, 2)
        eng.batch.add(paths)
        eng.jobsAdded.emit(0, len(paths))
        with qtbot.waitSignal(eng.batchFinished, timeout=180_000):
            assert eng.start()
        jobs = eng.batch.jobs
        assert jobs[0].state is SongState.TIMED_OUT
        assert [j.state for j in jobs[1:]] == [SongState.DONE] * 2, [
            (j.state, j.error) for j in jobs]
        qtbot.waitUntil(lambda: not eng.abandoned, timeout=60_000)  # (both restarted)
    finally:
        assert eng.shutdown(timeout_ms=15000)


class _Workers:
    """A client whose cluster has the workers ``addresses`` (one thread each)."""

    def __init__(self, *addresses):
        self.addresses = list(addresses)

    def nthreads(self, **kwargs):
        return dict.fromkeys(self.addresses, 1)


def _started(conn, thread, batch, job=0, attempt=1):
    from gui.cluster_slots import _tag

    conn._event({"kind": "started", "job": job, "attempt": attempt, "tag": _tag(batch),
                 "run": conn._cancel_name,
                 "worker": thread.split("/")[0], "thread": thread, "host": "h"})


def test_where_a_song_runs_is_told_apart_from_a_cleared_lists_song_with_its_number():
    # Job ids and attempts start again in every list: song 0 of a cleared list, given up on,
    # still runs on h:1; song 0 of the new list ran on h:3, which left the cluster.
    from core.batch.cluster import ClusterConnection
    from core.batch.rules import Batch
    from gui.cluster_slots import ClusterSlots
    from gui.workers import WorkerRecord, WorkerSignals

    old, new = Batch(["/old/a.wav"]), Batch(["/new/b.wav"])
    conn = ClusterConnection(ClusterSpec(), client=_Workers("tcp://h:1", "tcp://h:2"))
    slots = ClusterSlots(conn, WorkerSignals(),
                         workers=[("tcp://h:1", 1), ("tcp://h:2", 1), ("tcp://h:3", 1)])
    slots.resize()
    given_up = WorkerRecord(name="h:1 #1", job_id=0, attempt=1, batch=old, started_at=1.0,
                            abandoned=True)
    slots.abandoned.append(given_up)
    running = WorkerRecord(name="h:3 #1", job_id=0, attempt=1, batch=new, started_at=2.0)
    slots.slots[2].record = running
    _started(conn, "h:1/0", old)
    _started(conn, "h:3/0", new)
    # h:3 left: the new song is not believed to run on h:1 (where the old song 0 runs); its
    # slot stays, marked as left, until Dask runs it again somewhere.
    slots._workers = [("tcp://h:1", 1), ("tcp://h:2", 1)]
    conn.forget_departed(slots._workers)
    slots._follow()
    assert running.name == "h:3 #1" and slots.slots[-1].record is running
    assert slots.slots[-1].left and slots.slots[0].record is None
    # Dask runs it again on h:2: it moves there.
    _started(conn, "h:2/0", new)
    slots._follow()
    assert running.name == "h:2 #1" and slots.slots[1].record is running
    # h:1 leaves too: the old song given up on stops counting (no end will come), though a
    # song 0 (the new list's) still runs on a worker that is there.
    slots._workers = [("tcp://h:2", 1)]
    conn.client.addresses = ["tcp://h:2"]
    conn.forget_departed()
    slots._forget_departed()
    assert given_up.returned and not running.returned



def _two_songs_handed_to_h1_and_h2(*seen, clock=time.monotonic):
    """A batch of two songs (on ``clock``) handed to the window's cluster slots of workers
    h:1 and h:2, while the scheduler lists the workers ``seen``: ``(batch, connection,
    slots)``."""
    from core.batch.cluster import ClusterConnection
    from core.batch.rules import Batch
    from gui.cluster_slots import ClusterSlots, _key
    from gui.workers import WorkerRecord, WorkerSignals

    batch = Batch(["/songs/a.wav", "/songs/b.wav"], clock=clock)
    conn = ClusterConnection(ClusterSpec(), client=_Workers(*seen))
    slots = ClusterSlots(conn, WorkerSignals(), workers=[("tcp://h:1", 1), ("tcp://h:2", 1)])
    slots.resize()
    for slot in slots.slots:
        job, attempt = batch.claim(slot.name, starts_later=True)
        slot.record = WorkerRecord(name=slot.name, job_id=job.id, attempt=attempt,
                                   batch=batch)
        slots._records[_key(slot.record)] = slot.record
        slots._in_flight.count += 1
    return batch, conn, slots


def _ended(conn, thread, batch, job=0, attempt=1):
    from gui.cluster_slots import _tag

    conn._event({"kind": "ended", "job": job, "attempt": attempt, "tag": _tag(batch),
                 "run": conn._cancel_name,
                 "worker": thread.split("/")[0], "thread": thread})


class _Pending:
    """A song's future whose outcome never comes."""

    cancelled = False

    def done(self):
        return False

    def cancel(self):
        self.cancelled = True


def test_a_song_whose_result_never_comes_after_its_end_fails_and_frees_its_row():
    # Song 0 ends on h:1 (its clock stops) but its outcome never reaches the window: once
    # it has waited long enough the batch fails it, saying so, and the window lets its row
    # go (no worker thread held: its task had ended) and stops waiting for its future, so
    # the batch can end.  Song 1, ended too and its outcome come, waiting to be settled
    # (behind a save), is left alone.
    from gui.cluster_slots import _key

    now = [1000.0]
    batch, conn, slots = _two_songs_handed_to_h1_and_h2("tcp://h:1", "tcp://h:2",
                                                        clock=lambda: now[0])
    slots._reading = True  # (the test gives the workers)
    lost, running = (s.record for s in slots.slots)
    future = _Pending()
    slots._futures[_key(lost)] = future
    _started(conn, "h:1/0", batch, job=0)
    _started(conn, "h:2/0", batch, job=1)
    now[0] += 2.0
    _ended(conn, "h:1/0", batch, job=0)
    _ended(conn, "h:2/0", batch, job=1)
    slots._futures[_key(running)] = _Pending()
    slots._futures[_key(running)].done = lambda: True  # (its outcome waits to be settled)
    a, b = batch.jobs
    assert batch.result_wait(a) == 60.0  # (its hard limit: 3 x 20 s)
    now[0] += 60.0
    assert batch.check(ended=slots.ended_tasks(batch)) == [a]
    assert a.state is SongState.FAILED and "its result did not arrive within 60 s" in a.error
    assert b.state is SongState.RUNNING
    ((rec, job),) = slots.reap(batch, time.monotonic(), 0.0)
    assert rec is lost and job is a
    assert slots.slots[0].record is None and slots.slots[1].record is running
    assert slots.abandoned == [] and slots.in_flight == 1
    slots._io.submit(lambda: None).result(timeout=10)
    assert future.cancelled
    slots.shutdown()


def test_a_song_let_go_while_it_is_handed_over_has_its_task_cancelled():
    # The song is skipped while its store lookup (on the cluster thread) is going on: its
    # task, submitted after that, is cancelled at once instead of running for nobody.
    import threading

    from core.batch.cluster import ClusterConnection
    from core.batch.rules import Batch
    from gui.cluster_slots import ClusterSlots
    from gui.workers import WorkerSignals

    class _Client(_Workers):
        def __init__(self, *addresses):
            super().__init__(*addresses)
            self.futures = []

        def submit(self, *args, **kwargs):
            future = _Pending()
            future.add_done_callback = lambda fn: None
            self.futures.append(future)
            return future

    looking, go = threading.Event(), threading.Event()

    def lookup(path):
        looking.set()
        go.wait(10)

    batch = Batch(["/songs/a.wav"])
    conn = ClusterConnection(ClusterSpec(), client=_Client("tcp://h:1"))
    slots = ClusterSlots(conn, WorkerSignals(), workers=[("tcp://h:1", 1)])
    slots.resize()
    slots._store_hooks = lambda batch, fresh: (lookup, None)
    assert len(slots.fill(batch)) == 1 and looking.wait(10)
    assert batch.skip(0)
    ((rec, _),) = slots.reap(batch, time.monotonic(), 0.0)
    go.set()
    slots._io.submit(lambda: None).result(timeout=10)
    (future,) = conn.client.futures
    assert future.cancelled and slots._futures == {}
    slots.shutdown()


def test_a_song_let_go_as_its_task_starts_holds_its_thread_until_that_task_ends():
    # Song 0, handed over on h:1's row, is skipped while it waits in the scheduler's queue,
    # just as Dask hands its task to h:2's thread (the cancel comes too late): its run holds
    # that thread, under h:2's name, so no other song is handed over for it until the task
    # ends there.
    from core.batch.cluster import free_threads

    batch, conn, slots = _two_songs_handed_to_h1_and_h2("tcp://h:1", "tcp://h:2")
    slots._reading = True
    slots.signals.started.connect(lambda rec: slots.on_started(rec, 0.0))
    slots.signals.done.connect(lambda rec: slots.on_returned(rec, batch, 0.0))
    skipped = slots.slots[0].record
    assert batch.skip(0)
    ((rec, _),) = slots.reap(batch, time.monotonic(), 0.0)
    assert rec is skipped and slots.slots[0].record is None
    assert slots.abandoned == [] and slots.in_flight == 1
    _started(conn, "h:2/0", batch, job=0)
    assert slots.abandoned == [skipped] and skipped.name == "h:2 #1"  # (where it runs)
    batch.add(["/songs/c.wav"])
    assert slots.fill(batch) == [] and batch.jobs[2].state is SongState.QUEUED
    assert free_threads(slots._applied, slots.in_flight, len(slots.abandoned)) == 0
    _ended(conn, "h:2/0", batch, job=0)
    assert skipped.returned and slots.abandoned == []
    assert free_threads(slots._applied, slots.in_flight, len(slots.abandoned)) == 1
    slots.shutdown()


def test_a_song_whose_worker_left_is_queued_and_the_log_keeps_its_lost_run(caplog):
    # Song 0 runs on h:1, which leaves the cluster; song 1 starts on h:3, a worker that
    # joined after the workers were read (not in that reading, yet not gone).
    from gui.cluster_slots import _key

    batch, conn, slots = _two_songs_handed_to_h1_and_h2("tcp://h:1", "tcp://h:2")
    a, b = batch.jobs
    slots._reading = True  # (a start on h:3 reads no workers: the test gives them)
    _started(conn, "h:1/0", batch, job=0)
    read_at = time.monotonic()
    _started(conn, "h:3/0", batch, job=1)
    with caplog.at_level("WARNING", logger="gui.cluster_slots"):
        conn.forget_departed([("tcp://h:2", 1)], read_at=read_at, on_lost=slots._lost)
        assert a.waiting and a.status is SongState.QUEUED and a.elapsed() == 0.0
        assert not slots.slots[0].record.started_at  # (it may move to a free slot)
        assert not b.waiting and conn.running_on() == {_key(slots.slots[1].record): "h:3"}
        assert "the worker running /songs/a.wav (h:1 #1) left the cluster within" in caplog.text
        # Song 0 runs again on h:2: its clock starts there.  Song 1 runs again on h:2 too,
        # its worker's loss not seen yet: the log says so.
        caplog.clear()
        _started(conn, "h:2/0", batch, job=0)
        assert not a.waiting and a.status is SongState.RUNNING
        assert caplog.text == ""
        _started(conn, "h:2/0", batch, job=1)
        assert "the worker running /songs/b.wav left the cluster within" in caplog.text
        assert "runs again on h:2/0" in caplog.text


def test_a_song_starting_on_a_new_worker_has_the_songs_of_a_worker_gone_seen_lost():
    # h:1 died running song 0; song 1 starts on h:3, a worker the window has not seen (one
    # restarted in place of h:1, say): the workers are read at once, and song 0 is queued
    # then, not at the next look.
    batch, conn, slots = _two_songs_handed_to_h1_and_h2("tcp://h:2", "tcp://h:3")
    _started(conn, "h:1/0", batch, job=0)
    _started(conn, "h:3/0", batch, job=1)
    slots._io.submit(lambda: None).result(timeout=10)  # (the workers read meanwhile)
    a, b = batch.jobs
    assert a.waiting and a.status is SongState.QUEUED
    assert not b.waiting and b.status is SongState.RUNNING
    slots.shutdown()


def test_a_song_that_started_on_a_worker_without_rows_yet_moves_to_its_row():
    # Song 0 was handed over on h:1's row and starts on h:3, a worker that joined since
    # (the window reads it at once, and its rows come at the next tick); song 1 was handed
    # over on h:2's row and waits.  Song 0 moves to h:3's row, its own row says so.
    from core.batch.cluster import ClusterConnection
    from core.batch.rules import Batch
    from gui.cluster_slots import ClusterSlots, _key
    from gui.workers import WorkerRecord, WorkerSignals

    batch = Batch(["/songs/a.wav", "/songs/b.wav"])
    conn = ClusterConnection(ClusterSpec(), client=_Workers("tcp://h:1", "tcp://h:2"))
    slots = ClusterSlots(conn, WorkerSignals(), workers=[("tcp://h:1", 1), ("tcp://h:2", 1)])
    slots.resize()
    slots._batch = batch
    for slot in slots.slots:
        job, attempt = batch.claim(slot.name, starts_later=True)
        slot.record = WorkerRecord(name=slot.name, job_id=job.id, attempt=attempt,
                                   batch=batch)
        slots._records[_key(slot.record)] = slot.record
    slots._reading = True  # (the test gives the workers read)
    _started(conn, "h:3/0", batch, job=0)
    assert batch.jobs[0].worker == "h:1 #1"  # (h:3 has no row yet)
    slots._workers = [("tcp://h:1", 1), ("tcp://h:2", 1), ("tcp://h:3", 1)]
    slots._follow()
    assert [(s.name, s.record and s.record.job_id) for s in slots.slots] == [
        ("h:1 #1", None), ("h:2 #1", 1), ("h:3 #1", 0)]
    assert batch.jobs[0].worker == "h:3 #1" and batch.jobs[1].worker == "h:2 #1"


def _rows(panel):
    panel.refresh()
    return [panel.index(r, 0).data() for r in range(panel.rowCount())]


def test_the_worker_panel_says_the_cluster_is_being_reached(qtbot, client, tmp_path):
    eng = _engine(_songs(tmp_path, 2), client=client, analyze=slow_analyze)
    panel = WorkerTableModel(eng)
    # A cluster chosen, not reached yet: no row of this computer's threads (W1, W2).
    assert _rows(panel) == [] and "Songs run on the local cluster" in panel.note
    with qtbot.waitSignal(eng.batchFinished, timeout=60_000):
        assert eng.start()
        # (the cluster is reached off the GUI thread: its answer comes in a later event)
        assert eng.is_connecting
        assert _rows(panel) == [] and panel.note.startswith("Reaching the local cluster")
    workers = sorted(f"{a.split('://')[-1]} #1" for a in client.nthreads())
    assert sorted(_rows(panel)) == workers and panel.note == ""
    assert not eng.is_connecting
    assert eng.shutdown(timeout_ms=5000)


@pytest.mark.timeout(180)
def test_a_song_of_a_cleared_list_on_the_cluster_never_lands_in_the_new_list(
        qtbot, client, tmp_path):
    # A song given up on keeps running on its worker; the list is cleared and a new one
    # started: its first song has the same job id and attempt as the one given up on.
    # The new song is analyzed itself, and the old task's end frees the thread it held.
    release = distributed.Event(cluster_helpers.RELEASE_EVENT, client=client)
    release.clear()
    settings = AnalysisSettings(workers=2, budget_base_s=1.0, budget_factor=0.0,
                                hard_limit_factor=2.5)
    eng = _engine(_songs(tmp_path, 1, prefix="held"), client=client,
                  analyze=cluster_helpers.held_analyze, settings=settings)
    try:
        with qtbot.waitSignal(eng.batchFinished, timeout=60_000):
            assert eng.start()
        assert eng.batch.jobs[0].state is SongState.TIMED_OUT and len(eng.abandoned) == 1
        assert eng.clear() is not None
        new = _songs(tmp_path, 1, prefix="new")
        eng.set_settings(AnalysisSettings(workers=2))
        eng.batch.add(new)
        eng.jobsAdded.emit(0, 1)
        job = eng.batch.jobs[0]
        with qtbot.waitSignal(eng.batchFinished, timeout=60_000):
            assert eng.start()
            qtbot.waitUntil(lambda: job.state is SongState.RUNNING and not job.waiting,
                            timeout=30_000)
            release.set()  # the old song's task ends while the new one runs
        assert job.state is SongState.DONE, (job.state, job.error)
        assert job.result.path == new[0] and job.result.bpm == slow_analyze(new[0]).bpm
        qtbot.waitUntil(lambda: not eng.abandoned, timeout=30_000)
        assert eng.shutdown(timeout_ms=5000)
    finally:
        release.set()
        eng.shutdown(timeout_ms=5000)


def _panel_rows(panel):
    """``{worker row: (state, song, elapsed)}`` of the rows that hold a song."""
    panel.refresh()
    rows = {}
    for r in range(panel.rowCount()):
        song = panel.index(r, 2).data()
        if song:
            rows[panel.index(r, 0).data()] = (panel.worker_state(r), song,
                                              panel.index(r, 4).data())
    return rows


@pytest.mark.timeout(180)
def test_the_worker_panel_says_a_song_waits_in_the_schedulers_queue(qtbot, client, tmp_path):
    # Another client holds both worker threads: the song handed over waits in the
    # scheduler's queue.  The panel says so (not "busy" at 0 s) until it starts on a worker.
    release = distributed.Event(cluster_helpers.RELEASE_EVENT, client=client)
    release.clear()
    eng = _engine(_songs(tmp_path, 1, prefix="held"), client=client,
                  analyze=cluster_helpers.held_analyze)
    panel = WorkerTableModel(eng)
    table = SongTableModel(eng)
    job = eng.batch.jobs[0]

    def row():  # (status, elapsed) in the song table
        return tuple(table.index(0, c).data() for c in (COL_STATUS, COL_ELAPSED))

    try:
        with cluster_helpers.every_thread_held(client, n_threads=2) as free:
            assert eng.start()
            qtbot.waitUntil(lambda: bool(_panel_rows(panel)), timeout=60_000)
            qtbot.wait(500)  # (the threads are held: nothing can start meanwhile)
            (state,) = _panel_rows(panel).values()
            assert job.waiting and state == ("queued", "held0.wav", "-")
            assert row() == ("queued", "")  # the table says so too
            free()
            qtbot.waitUntil(lambda: not job.waiting, timeout=60_000)
        (state,) = _panel_rows(panel).values()  # (held on the worker until released)
        assert state[:2] == ("busy", "held0.wav") and state[2] != "-"
        qtbot.waitUntil(lambda: row()[0] == "running", timeout=30_000)
        assert " / " in row()[1]
        with qtbot.waitSignal(eng.batchFinished, timeout=60_000):
            release.set()
        assert job.state is SongState.DONE
    finally:
        release.set()
        assert eng.shutdown(timeout_ms=5000)


@pytest.mark.timeout(180)
def test_a_song_skipped_while_it_waits_in_the_schedulers_queue_is_followed_no_more(
        qtbot, client, tmp_path):
    # Another client holds both worker threads: the song handed over waits in the
    # scheduler's queue and is skipped there.  Its task is cancelled and never starts, so
    # nothing of it is left to follow (its cancelled future used to be kept, and counted
    # among the tasks that had ended on the cluster, for as long as the connection lived).
    eng = _engine(_songs(tmp_path, 1), client=client, analyze=slow_analyze)
    job = eng.batch.jobs[0]
    try:
        with cluster_helpers.every_thread_held(client, n_threads=2):
            with qtbot.waitSignal(eng.batchFinished, timeout=60_000):
                assert eng.start()
                qtbot.waitUntil(lambda: bool(getattr(eng.worker_slots, "_futures", None)),
                                timeout=60_000)
                (future,) = eng.worker_slots._futures.values()
                assert job.waiting and eng.skip(0)
            qtbot.waitUntil(future.cancelled, timeout=30_000)
        assert job.state is SongState.SKIPPED
        assert eng.worker_slots.ended_tasks(eng.batch) == set()
        assert eng.worker_slots._futures == {}
    finally:
        assert eng.shutdown(timeout_ms=5000)


@pytest.mark.timeout(180)
def test_songs_let_go_before_their_start_are_followed_no_more_once_the_batch_ended(
        qtbot, client, tmp_path):
    # Another client holds both worker threads: the two songs handed over wait in the
    # scheduler's queue.  One is skipped, the other removed from the list; their tasks are
    # cancelled and never start, and the batch ends at once.  Their records were kept for
    # 30 s in case Dask started them all the same, and let go only by the ticks of a batch
    # that runs: once it had ended the window followed them for good.
    eng = _engine(_songs(tmp_path, 3), client=client, analyze=slow_analyze)
    first, second = eng.batch.jobs[0], eng.batch.jobs[1]
    try:
        with cluster_helpers.every_thread_held(client, n_threads=2):
            assert eng.start()
            qtbot.waitUntil(lambda: len(getattr(eng.worker_slots, "_futures", ())) == 2,
                            timeout=60_000)
            slots = eng.worker_slots
            with qtbot.waitSignal(eng.batchFinished, timeout=60_000):
                assert eng.skip(0)
                assert [j.key for j, _ in eng.remove([1, 2])] == [second.key, 2]
            assert slots._records  # (Dask could still start them now)
            qtbot.waitUntil(lambda: not slots._records, timeout=30_000)
        assert first.state is SongState.SKIPPED
        assert not slots.abandoned and slots.in_flight == 0 and slots._futures == {}
    finally:
        assert eng.shutdown(timeout_ms=5000)


@pytest.mark.timeout(180)
def test_a_song_waiting_in_the_schedulers_queue_is_timed_from_its_start_in_the_window(
        qtbot, tmp_path):
    # Another client holds the only worker thread: the song handed over waits in the
    # scheduler's queue for longer than its hard limit (4 s), then runs (1 s) and is done.
    cluster, client = cluster_helpers.process_cluster(1, timeout=10)
    try:
        settings = AnalysisSettings(workers=1, budget_base_s=1.0, budget_factor=0.0,
                                    hard_limit_factor=4.0)
        eng = _engine(_songs(tmp_path, 1), client=client, analyze=slow_analyze,
                      settings=settings)
        job = eng.batch.jobs[0]
        with cluster_helpers.every_thread_held(client) as release:
            with qtbot.waitSignal(eng.batchFinished, timeout=60_000):
                assert eng.start()
                qtbot.waitUntil(lambda: job.state is not SongState.QUEUED, timeout=30_000)
                claimed = time.monotonic()
                while time.monotonic() - claimed < 5.0 and job.state is SongState.RUNNING:
                    qtbot.wait(100)
                assert job.state is SongState.RUNNING, (job.state, job.error)
                released = time.monotonic()
                release()
        assert job.state is SongState.DONE, (job.state, job.error)
        assert job.started_at >= released  # its clock started on the worker
        assert job.result.analysis_s < 4.0
        assert eng.shutdown(timeout_ms=5000)
    finally:
        client.close()
        cluster.close()


def _address(job) -> str:
    return job.worker.rsplit(" #", 1)[0]


@contextlib.contextmanager
def _held_songs_cluster(n_workers: int):
    """A LocalCluster of ``n_workers`` processes of the test's own, whose held songs wait for
    its release event: yields ``(cluster, client, release, engines)``; at the end the songs are
    released, the engines the test put in ``engines`` shut down and the cluster closed."""
    cluster, client = cluster_helpers.process_cluster(n_workers, timeout=10)
    release = distributed.Event(cluster_helpers.RELEASE_EVENT, client=client)
    release.clear()
    engines = []
    try:
        yield cluster, client, release, engines
    finally:
        release.set()
        for eng in engines:
            eng.shutdown(timeout_ms=5000)
        client.close()
        cluster.close()


def _restarted(client, first, gone, out) -> bool:
    """True once the cluster's workers, read once, are those of ``first`` and one other
    than those of ``gone`` (a worker restarted by its nanny, at a new address); its
    address (``host:port``) is then put in ``out``."""
    now = {a.split("://")[-1] for a in client.nthreads()}
    new = sorted(now - set(first) - set(gone))
    if not (set(first) <= now and len(now) == len(first) + 1 and len(new) == 1):
        return False
    out[:] = new
    return True


@pytest.mark.timeout(240)
def test_the_window_slots_follow_workers_that_join_and_leave(qtbot, tmp_path, short_waits):
    import os
    import signal

    with _held_songs_cluster(1) as (cluster, client, release, engines):
        # Two songs that hold their worker thread until released, then two quick ones.
        paths = _songs(tmp_path, 2, prefix="held") + _songs(tmp_path, 2)
        eng = _engine(paths, client=client, analyze=cluster_helpers.held_analyze,
                      settings=AnalysisSettings(workers=1))
        engines.append(eng)
        panel = WorkerTableModel(eng)
        first = sorted(a.split("://")[-1] for a in client.nthreads())
        jobs = eng.batch.jobs
        assert eng.start()
        qtbot.waitUntil(lambda: _address(jobs[0]) in first and any(
            r.started_at for r in eng.worker_slots.busy_records()), timeout=60_000)
        # A worker joins while the only thread is held: it gets the next song.
        cluster.scale(2)
        qtbot.waitUntil(lambda: len(client.nthreads()) == 2, timeout=60_000)
        joined = sorted({a.split("://")[-1] for a in client.nthreads()} - set(first))
        qtbot.waitUntil(lambda: _address(jobs[1]) in joined
                        and jobs[1].state is SongState.RUNNING
                        and any(s.job_id == 1 for s in eng.segments), timeout=60_000)
        qtbot.waitUntil(lambda: sorted(_rows(panel)) == sorted(
            f"{a} #1" for a in first + joined), timeout=5_000)
        # That worker is killed: its nanny starts it again at a new address, where Dask
        # runs the song again; the slots and the panel follow, the song's row names it.
        pid = client.run(os.getpid, workers=[f"tcp://{joined[0]}"])[f"tcp://{joined[0]}"]
        os.kill(pid, signal.SIGKILL)
        # (the workers are read once per look: two readings could straddle the moment the
        # scheduler drops the killed worker, listed in the first, gone from the second,
        # before its restart has joined)
        again = []
        qtbot.waitUntil(lambda: _restarted(client, first, joined, again), timeout=60_000)
        # Dask queues the song again, behind the held one on the other worker (its work
        # stealing may move it to the restarted worker, idle, or not: where it runs again
        # is Dask's choice).  The slot of the worker that was killed goes once the song has
        # left it: for a free slot while it waits, or for the worker that runs it again.
        qtbot.waitUntil(lambda: sorted(_rows(panel)) == sorted(
            f"{a} #1" for a in first + again), timeout=30_000)
        with qtbot.waitSignal(eng.batchFinished, timeout=60_000):
            release.set()
        assert [j.state for j in jobs] == [SongState.DONE] * 4
        assert _address(jobs[1]) in first + again
        # The timeline keeps the run on the worker that was killed, ended (failed) before
        # the song started again, and the rerun where it ran.
        lost, rerun = [s for s in eng.segments if s.job_id == 1]
        assert lost.worker == f"{joined[0]} #1" and lost.state == SongState.FAILED.value
        assert lost.end is not None and lost.end <= rerun.start
        assert rerun.worker == jobs[1].worker and rerun.state == SongState.DONE.value
        assert len(eng.segments) == 5 and all(s.end is not None for s in eng.segments)
        assert eng.shutdown(timeout_ms=5000)


@pytest.mark.timeout(180)
def test_a_song_whose_worker_left_is_queued_in_the_window_until_it_runs_again(
        qtbot, tmp_path, caplog):
    # Another client holds one of the two worker threads; the song runs on the other, whose
    # worker then leaves the cluster.  Dask queues the song again behind the held thread:
    # the window shows it queued (panel and table) and it waits there longer than its hard
    # limit (4 s) without being timed out, then runs (1 s) and is done, timed from the
    # rerun's start; the timeline and the log keep the run that was lost.
    settings = AnalysisSettings(workers=2, budget_base_s=1.0, budget_factor=0.0,
                                hard_limit_factor=4.0)
    with _held_songs_cluster(2) as (_, client, release, engines):
        eng = _engine(_songs(tmp_path, 1, prefix="held"), client=client,
                      analyze=cluster_helpers.held_analyze, settings=settings)
        engines.append(eng)
        panel = WorkerTableModel(eng)
        table = SongTableModel(eng)
        job = eng.batch.jobs[0]
        with cluster_helpers.every_thread_held(client) as free, caplog.at_level(
                "WARNING", logger="gui.cluster_slots"):
            assert eng.start()
            qtbot.waitUntil(lambda: job.state is SongState.RUNNING and not job.waiting,
                            timeout=60_000)
            left, first_start = _address(job), job.started_at
            client.retire_workers(workers=[f"tcp://{left}"], close_workers=True)
            qtbot.waitUntil(lambda: job.waiting, timeout=30_000)  # (the window saw it)
            qtbot.waitUntil(lambda: table.index(0, COL_STATUS).data() == "queued",
                            timeout=5_000)
            assert table.index(0, COL_ELAPSED).data() == ""
            qtbot.waitUntil(lambda: [v[0] for v in _panel_rows(panel).values()] == ["queued"],
                            timeout=30_000)
            # (the lost run's segment ends as the window sees the song queued again)
            qtbot.waitUntil(lambda: [seg.end is not None for seg in eng.segments] == [True],
                            timeout=5_000)
            while time.monotonic() - first_start < eng.batch.hard_limit(job) + 1.0:
                qtbot.wait(100)
            assert job.state is SongState.RUNNING and job.waiting, (job.state, job.error)
            released = time.monotonic()
            with qtbot.waitSignal(eng.batchFinished, timeout=60_000):
                free()
                release.set()
        assert job.state is SongState.DONE, (job.state, job.error)
        assert job.started_at >= released and job.result.analysis_s < 4.0
        assert _address(job) != left
        lost, rerun = [s for s in eng.segments if s.job_id == 0]
        assert lost.worker == f"{left} #1" and lost.state == SongState.FAILED.value
        assert lost.end <= rerun.start
        (line,) = [r.getMessage() for r in caplog.records if "left the cluster" in r.getMessage()]
        assert job.path in line and "waits to run again" in line
        assert eng.shutdown(timeout_ms=5000)


@pytest.mark.timeout(180)
def test_a_song_whose_worker_left_shows_queued_without_a_look_at_the_workers(
        qtbot, tmp_path, monkeypatch):
    # The window never looks at the cluster's workers by itself here: the scheduler's own
    # word that it removed a worker is all that tells.  A song stalled on a worker that
    # leaves shows queued (no clock) right away, not stalled until the next look, then
    # runs again once a thread is free and is done.
    import gui.cluster_slots

    monkeypatch.setattr(gui.cluster_slots, "_REFRESH_S", 1e9)
    settings = AnalysisSettings(workers=2, budget_base_s=1.0, budget_factor=0.0,
                                hard_limit_factor=60.0)
    with _held_songs_cluster(2) as (_, client, release, engines):
        eng = _engine(_songs(tmp_path, 1, prefix="held"), client=client,
                      analyze=cluster_helpers.held_analyze, settings=settings)
        engines.append(eng)
        table = SongTableModel(eng)
        job = eng.batch.jobs[0]
        with cluster_helpers.every_thread_held(client) as free:
            assert eng.start()
            qtbot.waitUntil(lambda: table.index(0, COL_STATUS).data() == "stalled",
                            timeout=60_000)
            left = _address(job)
            client.retire_workers(workers=[f"tcp://{left}"], close_workers=True)
            qtbot.waitUntil(lambda: table.index(0, COL_STATUS).data() == "queued",
                            timeout=30_000)
            assert job.waiting and table.index(0, COL_ELAPSED).data() == ""
            with qtbot.waitSignal(eng.batchFinished, timeout=60_000):
                free()
                release.set()
        assert job.state is SongState.DONE, (job.state, job.error)
        assert _address(job) != left
        assert eng.shutdown(timeout_ms=5000)


def _slow_close(monkeypatch, wait):
    """Every connection's close first calls ``wait()``; returns what happened, in order:
    ``"closed: <what wait() returned>"`` and ``"connect"`` (a connection being made)."""
    from core.batch.cluster import ClusterConnection

    close, connect = ClusterConnection.close, ClusterConnection.connect
    events = []

    def slow_close(self):
        released = wait()
        close(self)
        events.append(f"closed: {released}")

    def noted_connect(self):
        events.append("connect")
        connect(self)

    monkeypatch.setattr(ClusterConnection, "close", slow_close)
    monkeypatch.setattr(ClusterConnection, "connect", noted_connect)
    return events


def _ran_on_the_cluster(qtbot, eng):
    with qtbot.waitSignal(eng.batchFinished, timeout=60_000):
        assert eng.start()
    assert eng._on_cluster()


def test_choosing_this_computer_does_not_wait_for_the_cluster_to_close(
        qtbot, client, tmp_path, monkeypatch, caplog):
    import threading

    from PySide6.QtCore import QTimer

    eng = _engine(_songs(tmp_path, 2), client=client, analyze=slow_analyze)
    _ran_on_the_cluster(qtbot, eng)
    # The close can only end once the window's event loop has run a timer: a GUI thread
    # that waited for it (5 s at most) would let its 3 s wait run out first.
    released = threading.Event()
    events = _slow_close(monkeypatch, lambda: released.wait(3.0))
    QTimer.singleShot(0, released.set)
    assert eng.set_cluster(None)
    assert [s.name for s in eng.slots] == ["W1", "W2"]  # this computer's threads at once
    qtbot.waitUntil(lambda: bool(events), timeout=10_000)
    assert events == ["closed: True"]  # released by the timer, not by its own wait
    assert "took longer" not in caplog.text
    # Songs added now run on the threads.
    eng.batch.add(_songs(tmp_path, 2, prefix="here"))
    eng.jobsAdded.emit(2, 2)
    with qtbot.waitSignal(eng.batchFinished, timeout=60_000):
        assert eng.start()
    # (on this computer's threads; one thread may take both songs on a loaded machine)
    assert {j.worker for j in eng.batch.jobs[2:]} <= {"W1", "W2"}
    assert eng.shutdown(timeout_ms=5000)


def test_the_next_cluster_is_reached_once_the_one_left_has_closed(
        qtbot, client, tmp_path, monkeypatch):
    import threading

    eng = _engine(_songs(tmp_path, 2), client=client, analyze=slow_analyze)
    _ran_on_the_cluster(qtbot, eng)
    # The close of the cluster left goes on until a new connection is being made (or 2 s):
    # reached before that close ended, the new connection would lose the workers' events
    # (the client they share unsubscribed after it subscribed).
    connecting = threading.Event()
    events = _slow_close(monkeypatch, lambda: connecting.wait(2.0))
    assert eng.set_cluster(None)
    eng.set_cluster(ClusterSpec(), client=client, analyze=slow_analyze)
    progressed = []
    eng.jobsProgressed.connect(progressed.extend)
    eng.batch.add(_songs(tmp_path, 2, prefix="again"))
    eng.jobsAdded.emit(2, 2)
    with qtbot.waitSignal(eng.batchFinished, timeout=60_000):
        assert eng.start()
        qtbot.waitUntil(lambda: "connect" in events, timeout=30_000)
        connecting.set()
    assert events[:2] == ["closed: False", "connect"]
    assert [j.state for j in eng.batch.jobs] == [SongState.DONE] * 4
    assert set(progressed) & {2, 3}  # the new connection had the workers' events
    assert eng.shutdown(timeout_ms=5000)


@pytest.mark.timeout(180)
def test_quitting_while_a_local_cluster_left_closes_stops_its_processes(qtbot, tmp_path):
    import psutil

    me = psutil.Process()

    def children():  # (multiprocessing's resource tracker lives as long as this process)
        return {p.pid for p in me.children(recursive=True)
                if p.is_running() and p.status() != psutil.STATUS_ZOMBIE
                and "resource_tracker" not in " ".join(p.cmdline())}

    before = children()
    eng = BatchEngine(AnalysisSettings(workers=1))
    eng.set_cluster(parse_cluster("local:1"), analyze=slow_analyze)
    eng.batch.add(_songs(tmp_path, 1))
    eng.jobsAdded.emit(0, 1)
    try:
        _ran_on_the_cluster(qtbot, eng)
        assert children() - before  # the LocalCluster's worker process
        assert eng.set_cluster(None)  # its close starts, on the cluster's thread
    finally:
        assert eng.shutdown(timeout_ms=5000)
    assert not children() - before  # quitting waited for it


def test_start_does_not_wait_for_a_lost_cluster_to_close(qtbot, client, tmp_path,
                                                         monkeypatch):
    import threading

    from PySide6.QtCore import QTimer

    from core.batch.cluster import ClusterConnection

    eng = _engine(_songs(tmp_path, 2), client=client, analyze=slow_analyze)
    _ran_on_the_cluster(qtbot, eng)
    lost = eng.worker_slots.connection
    monkeypatch.setattr(ClusterConnection, "lost",
                        lambda self: "the connection was lost" if self is lost else "")
    released = threading.Event()
    events = _slow_close(monkeypatch, lambda: released.wait(3.0))
    QTimer.singleShot(0, released.set)
    eng.batch.add(_songs(tmp_path, 2, prefix="again"))
    eng.jobsAdded.emit(2, 2)
    with qtbot.waitSignal(eng.batchFinished, timeout=60_000):
        assert eng.start()
        assert eng.is_connecting  # the lost cluster left, the new one being reached
        qtbot.waitUntil(lambda: bool(events), timeout=10_000)
        assert events[0] == "closed: True"  # released by the timer, not by its own wait
    assert events[1:] == ["connect"]
    assert eng.worker_slots.connection is not lost
    assert [j.state for j in eng.batch.jobs] == [SongState.DONE] * 4
    assert eng.shutdown(timeout_ms=5000)


def test_a_cluster_left_reports_nothing_more_to_the_window(qtbot, client, tmp_path):
    from gui.workers import WorkerRecord

    eng = _engine(_songs(tmp_path, 2), client=client, analyze=slow_analyze)
    _ran_on_the_cluster(qtbot, eng)
    old = eng.worker_slots
    assert eng.set_cluster(None)
    reported = []
    eng.signals.done.connect(reported.append)
    eng.signals.clusterGaveUp.connect(reported.append)
    # A song the old cluster still ran (given up on before) ends there, and its look at
    # the workers gives up: the threads' slots now in use are not told.
    old._finish_record(WorkerRecord(name="gone #1", job_id=0, attempt=1))
    old._emit(eng.signals.clusterGaveUp, "no worker was left")
    qtbot.wait(50)
    assert reported == [] and eng.worker_slots.in_flight == 0
    assert eng.shutdown(timeout_ms=5000)


def test_a_song_that_ended_in_time_while_another_was_saved_is_not_timed_out_in_the_window(
        qtbot, client, tmp_path):
    # song0 ends first; saving its result (in the Dask client's callback thread, one for
    # every future) lasts until the held song, let go meanwhile, has ended on its worker and
    # its clock would have run past the hard limit, with the window's timer ticking: that
    # song ended in time, so it is done once the save returns, not timed out by the clock,
    # and its row and timeline show its run on the worker, not the wait for the save.
    release = distributed.Event(cluster_helpers.RELEASE_EVENT, client=client)
    release.clear()
    paths = _songs(tmp_path, 1) + _songs(tmp_path, 1, prefix="held")
    settings = AnalysisSettings(workers=2, budget_base_s=3.0, budget_factor=0.0,
                                hard_limit_factor=2.0)
    store = ResultStore(str(tmp_path / "s.sqlite"))
    eng = _engine(paths, client=client, analyze=cluster_helpers.held_analyze, store=store,
                  settings=settings)
    held = eng.batch.jobs[1]
    save, saved = store.save, []

    def ended(job):
        return job.started_at is not None and all(
            task[1:] != (job.id, job.attempt)
            for task in eng.worker_slots.connection.running_on())

    def slow_save(result, *args, **kwargs):
        saved.append(result.path)
        if result.path == paths[0]:
            release.set()
            deadline = time.monotonic() + 60
            # (a tick is 0.2 s: several go by once the held song's clock is past its limit)
            while time.monotonic() < deadline and not (
                    held.state in (SongState.TIMED_OUT, SongState.DONE) or ended(held)
                    and time.monotonic() - held.started_at > eng.batch.hard_limit(held) + 1.0):
                time.sleep(0.05)
            waited.append(time.monotonic() < deadline)
        return save(result, *args, **kwargs)

    store.save = slow_save
    timed_out, waited = [], []
    eng.timedOut.connect(timed_out.append)
    table = SongTableModel(eng)
    try:
        with qtbot.waitSignal(eng.batchFinished, timeout=120_000):
            assert eng.start()
        assert [j.state for j in eng.batch.jobs] == [SongState.DONE] * 2, held.error
        assert timed_out == [] and saved == paths and waited == [True]
        limit = eng.batch.hard_limit(held)
        assert held.elapsed() < limit and held.result.analysis_s < limit
        assert table.index(1, COL_ELAPSED).data().startswith(fmt_duration(held.elapsed()))
        (seg,) = [s for s in eng.segments if s.job_id == held.id]
        assert seg.end - seg.start < limit
        assert eng.shutdown(timeout_ms=5000)
    finally:
        release.set()
        eng.shutdown(timeout_ms=5000)
        store.close()


def test_songs_removed_mid_batch_on_the_cluster_leave_the_rest_their_own_results(
        qtbot, client, tmp_path):
    """The songs after a removed one move up while their tasks run: a task is named by
    its song's key, so every result still lands on its own song."""
    paths = _songs(tmp_path, 8)
    eng = _engine(paths, client=client, analyze=slow_analyze)
    assert eng.start()
    # (song 0 done and another one running: two results can be settled at the same time,
    # before the window hands the next songs over)
    qtbot.waitUntil(lambda: eng.batch.jobs[0].state is SongState.DONE and any(
        j.state is SongState.RUNNING for j in eng.batch.jobs), timeout=60_000)
    running = [j.id for j in eng.batch.jobs if j.state is SongState.RUNNING]
    with qtbot.waitSignal(eng.batchFinished, timeout=120_000):
        removed = eng.remove([0, running[0], 7])
    assert [j.path for j, _ in removed] == [paths[0], paths[running[0]], paths[7]]
    left = [p for i, p in enumerate(paths) if i not in (0, running[0], 7)]
    jobs = eng.batch.jobs
    assert [j.path for j in jobs] == left
    assert [j.state for j in jobs] == [SongState.DONE] * 5
    assert [r.path for r in eng.batch.results()] == left
    assert [r.bpm for r in eng.batch.results()] == [slow_analyze(p).bpm for p in left]
    assert eng.state == EngineState.IDLE
    assert eng.put_back_songs(removed) == 3
    assert [j.path for j in eng.batch.jobs] == paths
    assert eng.shutdown(timeout_ms=5000)


def test_a_result_its_worker_does_not_send_fails_that_song_and_the_batch_ends_in_the_window(
        qtbot, client, tmp_path, monkeypatch):
    # The worker that ran unsent0 does not send its result (its connection stalls).  Its
    # fetch gives up after RESULT_FETCH_S and the song fails, its row saying so; the other
    # songs' results are fetched and saved, and the batch ends.
    # Before, the fetch held the Dask client's one callback thread, every later song's
    # result waited behind it and the batch never ended.
    from PySide6.QtCore import Qt

    import core.batch.cluster

    monkeypatch.setattr(core.batch.cluster, "RESULT_FETCH_S", 1.0)
    paths = _songs(tmp_path, 1, prefix="unsent") + _songs(tmp_path, 3)
    settings = AnalysisSettings(workers=2, budget_base_s=3.0, budget_factor=0.0,
                                hard_limit_factor=2.0)
    store = ResultStore(str(tmp_path / "s.sqlite"))
    eng = _engine(paths, client=client, analyze=slow_analyze, store=store,
                  settings=settings)
    save, saved = store.save, []
    store.save = lambda result, *args: saved.append(result.path) or save(result, *args)
    table = SongTableModel(eng)
    try:
        with cluster_helpers.results_held(client), \
                qtbot.waitSignal(eng.batchFinished, timeout=90_000):
            assert eng.start()
        unsent = eng.batch.jobs[0]
        assert [j.state for j in eng.batch.jobs] == [SongState.FAILED] + [SongState.DONE] * 3
        assert unsent.error == (f"its analysis ended on {unsent.worker}, but its result did "
                                f"not arrive within 1.0 s; analyze it again")
        assert unsent.error in table.index(0, COL_STATUS).data(Qt.ItemDataRole.ToolTipRole)
        assert sorted(saved) == sorted(paths[1:])
        assert eng.shutdown(timeout_ms=5000)
    finally:
        eng.shutdown(timeout_ms=5000)
        store.close()


def test_a_result_that_cannot_be_read_here_fails_that_song_in_its_row_at_once(qtbot, client,
                                                                              tmp_path):
    # The worker's result for unreadable0 cannot be unpacked in the window's process: that
    # song fails as soon as its result is fetched, its row saying why, and the batch goes
    # on.  Before, the error was only logged and the song ran on, its row empty, until its
    # result wait was over (at least 30 s) and it failed as a result that never came.
    paths = _songs(tmp_path, 1, prefix="unreadable") + _songs(tmp_path, 3)
    eng = _engine(paths, client=client, analyze=cluster_helpers.unreadable_analyze)
    try:
        with qtbot.waitSignal(eng.batchFinished, timeout=120_000):
            assert eng.start()
        unreadable = eng.batch.jobs[0]
        assert [j.state for j in eng.batch.jobs] == [SongState.FAILED] + [SongState.DONE] * 3
        assert unreadable.error == (
            "its result could not be read on this computer: ValueError: no such class "
            "here: songcal.future.Tempo; analyze it again")
        assert eng.shutdown(timeout_ms=5000)
    finally:
        eng.shutdown(timeout_ms=5000)


def test_a_report_that_does_not_name_its_run_moves_no_song_of_the_window():
    # A worker with an older SongCal reports song 0's start without the run it is of
    # (another user's song 0, as far as the window can tell): the song's row and clock stay
    # as they were; the connection counts it.  Its own run's start is heard.
    from gui.cluster_slots import _tag

    batch, conn, slots = _two_songs_handed_to_h1_and_h2("tcp://h:1", "tcp://h:2")
    started = []
    slots.signals.started.connect(started.append)
    rec = slots.slots[0].record
    conn._event({"kind": "started", "job": 0, "attempt": 1, "tag": _tag(batch),
                 "worker": "tcp://h:1", "host": "h"})
    assert rec.started_at == 0 and started == [] and batch.jobs[0].waiting
    assert conn.unnamed_reports == 1
    _started(conn, "h:1/0", batch, job=0)
    assert rec.started_at and not batch.jobs[0].waiting
    slots.shutdown()


def test_a_worker_with_an_older_songcal_is_told_in_the_status_bar_once(make_window,
                                                                       fast_settings,
                                                                       qtbot, monkeypatch):
    # Its reports do not say which run they are of: the log said so, and only the Log tab
    # showed it.  The status bar says it at the first such report, naming the worker, and
    # not again for the next ones of that connection.  The worker is named beside the
    # bar's counts, where a later message does not cover it (as a message alone, "Batch
    # finished" or any other took its place at once), for as long as the songs run on that
    # cluster: it went after 30 s, while the worker was as old as before.  The user may
    # close it; the window takes it back once the songs no longer run on that cluster.
    from PySide6.QtCore import Qt

    from core.batch.cluster import ClusterConnection
    from gui.cluster_slots import ClusterSlots
    from gui.main_window import MainWindow

    w = make_window(fast_settings)
    eng = w.engine
    local = eng.worker_slots
    told = []
    eng.clusterWarned.connect(told.append)
    report = {"kind": "progress", "job": 0, "attempt": 1, "tag": "another", "chunk": 1,
              "n_chunks": 2, "worker": "tcp://h:1", "thread": "h:1/0"}
    monkeypatch.setattr(MainWindow, "CLUSTER_WARNING_MS", 300)
    notice = w.cluster_notice
    assert notice.isHidden()

    def on_cluster():
        conn = ClusterConnection(ClusterSpec(), client=_Workers("tcp://h:1"))
        eng.cluster_spec = conn.spec
        eng.worker_slots = ClusterSlots(conn, eng.signals, workers=[("tcp://h:1", 1)])
        return conn, eng.worker_slots

    conn, slots = on_cluster()
    try:
        conn._event(report)
        assert len(told) == 1 and "older SongCal" in told[0] and "h:1" in told[0]
        assert not notice.isHidden() and notice.parent() is w.statusBar()
        assert "older SongCal" in notice.text() and "h:1" in notice.text()
        assert notice.text().startswith("\u26a0 Worker")
        assert notice.toolTip() == told[0]  # the warning whole
        message = w.statusBar().currentMessage()  # the rest: what it means, what to do
        assert message.startswith("The songs it runs show no progress")
        assert "Install the same SongCal" in message and "h:1" not in message
        w.statusBar().showMessage("Batch finished: 3 done.", 10000)  # a later message
        assert not notice.isHidden() and "h:1" in notice.text()
        w.statusBar().clearMessage()
        conn._event(report)
        conn._event({**report, "worker": "tcp://h:2"})
        assert conn.unnamed_reports == 3 and len(told) == 1
        assert w.statusBar().currentMessage() == "" and "h:2" not in notice.text()
        # the message's time up, the warning stays: the worker is as old as it was
        w.statusBar().showMessage("What the warning means", MainWindow.CLUSTER_WARNING_MS)
        qtbot.waitUntil(lambda: w.statusBar().currentMessage() == "", timeout=5000)
        assert not notice.isHidden() and "h:1" in notice.text()
        # the user closes it
        assert notice.close_button.isVisibleTo(w)
        qtbot.mouseClick(notice.close_button, Qt.MouseButton.LeftButton)
        assert notice.isHidden() and notice.text() == ""
        # a cluster reached afresh with the same worker: said again; leaving it takes it back
        slots.shutdown()
        conn, slots = on_cluster()
        conn._event(report)
        assert len(told) == 2 and not notice.isHidden() and "h:1" in notice.text()
        assert eng.set_cluster(None)  # back on this computer's threads
        assert notice.isHidden() and notice.text() == "" and notice.toolTip() == ""
    finally:
        eng.worker_slots = local
        slots.shutdown()


class _FrozenWorkers(_Workers):
    """As :class:`_Workers`, but a question relayed to the workers is never answered: it
    waits as long as it is allowed (capped at 3 s), then times out as Dask's client does."""

    def __init__(self, *addresses):
        super().__init__(*addresses)
        self.asked = []

    def run(self, function, *args, callback_timeout=None, **kwargs):
        self.asked.append(callback_timeout)
        time.sleep(min(callback_timeout or 3.0, 3.0))
        raise TimeoutError(f"timed out after {callback_timeout} s")


def test_a_frozen_scheduler_asked_for_the_songs_let_go_says_so_and_changes_nothing(
        monkeypatch, caplog):
    # Song 0 is skipped before its start: a second later the window asks the workers
    # whether Dask handed its task over all the same.  The scheduler does not answer: the
    # question gives up after its bound and says why in the log; the song stays followed
    # (the 30 s rule lets it go) and song 1 runs on.
    import core.batch.cluster

    monkeypatch.setattr(core.batch.cluster, "_LOCAL_CALL_S", 0.5)
    batch, conn, slots = _two_songs_handed_to_h1_and_h2("tcp://h:1", "tcp://h:2")
    conn.client = _FrozenWorkers("tcp://h:1", "tcp://h:2")
    slots._reading = True
    skipped, running = slots.slots[0].record, slots.slots[1].record
    assert batch.skip(0)
    with caplog.at_level("WARNING", logger="gui.cluster_slots"):
        ((rec, _),) = slots.reap(batch, time.monotonic(), 0.0)
        deadline = time.monotonic() + 15
        while not caplog.records and time.monotonic() < deadline:
            time.sleep(0.05)
        slots._io.submit(lambda: None).result(timeout=10)
    assert rec is skipped and conn.client.asked == [0.5]
    assert [r.getMessage() for r in caplog.records] == [
        "could not look for the songs let go before their start: the local cluster, 2 "
        "processes did not say within 0.5 s which songs its workers hold (its scheduler or "
        "a worker stopped answering)"]
    assert [key for _, key in slots._unstarted] == [_key_of(skipped)]
    assert slots._records[_key_of(skipped)] is skipped and not slots._checking
    assert slots.slots[1].record is running and batch.jobs[1].state is SongState.RUNNING
    slots.shutdown()


def _key_of(rec):
    from gui.cluster_slots import _key

    return _key(rec)
