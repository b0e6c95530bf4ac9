"""The window's engine on a real Dask LocalCluster of two worker processes."""

from __future__ import annotations

import pytest

distributed = pytest.importorskip("distributed")

from core.batch.cluster import ClusterSpec, parse_cluster  # noqa: E402
from core.batch.rules import SongState  # noqa: E402
from core.batch.store import ResultStore  # noqa: E402
from core.settings import AnalysisSettings  # noqa: E402
from gui.engine import BatchEngine, EngineState  # noqa: E402
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
    eng.ticked.connect(lambda: (panel.refresh(), names.update(
        panel.index(r, 0).data() for r in range(panel.rowCount()))))
    with qtbot.waitSignal(eng.batchFinished, timeout=120_000):
        assert eng.start()
    assert [j.state for j in eng.batch.jobs] == [SongState.DONE] * 6
    assert [r.bpm for r in eng.batch.results()] == [slow_analyze(p).bpm for p in paths]
    assert progressed  # chunk progress reached the window while songs ran
    # One worker row per Dask worker thread, named after its host and port.
    workers = {a.split("://")[-1] for a in client.nthreads()}
    assert {n.rsplit(" #", 1)[0] for n in names if n} <= workers
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
