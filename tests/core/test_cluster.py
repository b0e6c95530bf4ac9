"""The cluster engine on a real Dask LocalCluster of two worker processes."""

from __future__ import annotations

import os
import signal
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

distributed = pytest.importorskip("distributed")

from core.batch.cluster import (  # noqa: E402
    FILES_SEND,
    ClusterConnection,
    ClusterError,
    ClusterSpec,
    parse_cluster,
)
from core.batch.cluster_runner import ClusterRunner  # noqa: E402
from core.batch.rules import Batch, SongState  # noqa: E402
from core.batch.runner import BatchRunner  # noqa: E402
from core.settings import AnalysisSettings  # noqa: E402
from tests.core import cluster_helpers  # noqa: E402
from tests.core.cluster_helpers import (  # noqa: E402
    RELEASE_EVENT,
    held_analyze,
    replaced_analyze,
    slow_analyze,
    stuck_analyze,
    warm_held_analyze,
)


@pytest.fixture(autouse=True)
def no_leaked_threads():
    with cluster_helpers.no_leaked_threads():
        yield


@pytest.fixture(scope="module")
def client():
    with cluster_helpers.local_client() as c:
        yield c


def _clicks(path, bpm, seconds=6.0, sr=22050):
    t = np.arange(int(seconds * sr)) / sr
    y = np.zeros_like(t)
    for beat in np.arange(0, seconds, 60.0 / bpm):
        i = int(beat * sr)
        y[i:i + 400] += np.hanning(800)[400:] * np.sin(2 * np.pi * 1000 * t[:400])
    sf.write(path, 0.5 * y, sr)
    return str(path)


def _files(folder, n, prefix="song"):
    out = []
    for i in range(n):
        p = folder / f"{prefix}{i}.wav"
        head = b"BAD" if prefix == "bad" else b"RIFF"
        p.write_bytes(head + os.urandom(100 + i))  # contents only feed slow_analyze
        out.append(str(p))
    return out


@pytest.mark.parametrize("text, address, workers", [
    ("local", None, 3), ("local:4", None, 4), ("tcp://10.0.0.5:8786", "tcp://10.0.0.5:8786", 3),
    ("node7:8786", "tcp://node7:8786", 3), ("tcp://node7", "tcp://node7:8786", 3),
    ("tls://[::1]:9000", "tls://[::1]:9000", 3)])
def test_cluster_names_parse(text, address, workers):
    spec = parse_cluster(text, default_workers=3)
    assert spec.address == address
    if address is None:
        assert spec.workers == workers


@pytest.mark.parametrize("text", ["", "locals", "local:x", "http//x", "local:0", "tcp://:::",
                                  "tcp://", "node7:99999", "node7:0", "http://node7:80"])
def test_bad_cluster_names_are_refused(text):
    with pytest.raises(ValueError):
        parse_cluster(text)


def test_results_match_the_thread_engine(client, tmp_path):
    paths = [_clicks(tmp_path / f"c{bpm}.wav", bpm) for bpm in (90, 120, 150)]
    settings = AnalysisSettings(workers=2)
    local = Batch(paths, settings=settings)
    from core.analysis.analyze import analyze_file

    BatchRunner(local, analyze=analyze_file).run()
    remote = Batch(paths, settings=settings)
    runner = ClusterRunner(remote, spec=ClusterSpec(), client=client)
    runner.run()
    runner.close()
    for a, b in zip(local.results(), remote.results(), strict=True):
        ra, rb = a.__dict__.copy(), b.__dict__.copy()
        ra.pop("analysis_s"), rb.pop("analysis_s")
        assert ra == rb
    assert all(j.worker.count("/") == 1 for j in remote.jobs)  # host:port/thread


def test_progress_failures_and_bytes_mode(client, tmp_path):
    paths = _files(tmp_path, 3) + _files(tmp_path, 1, prefix="bad")
    batch = Batch(paths, settings=AnalysisSettings(workers=2))
    seen = []
    runner = ClusterRunner(batch, spec=ClusterSpec(files=FILES_SEND), analyze=slow_analyze,
                           client=client, on_change=lambda b, ch: seen.extend(
                               (j.id, j.chunk) for j in b.jobs if j.chunk))
    runner.run()
    states = [j.state for j in batch.jobs]
    assert states == [SongState.DONE] * 3 + [SongState.FAILED]
    assert batch.jobs[3].error == "the data is damaged"
    assert {j for j, _ in seen} >= {0, 1, 2}  # chunk progress reached the client
    assert [r.path for r in batch.results()] == paths  # results name the client's paths


def test_results_in_the_store_are_not_submitted(client, tmp_path):
    paths = _files(tmp_path, 3)
    batch = Batch(paths, settings=AnalysisSettings(workers=2))
    stored = {paths[1]: slow_analyze(paths[1])}
    saved = []
    runner = ClusterRunner(batch, spec=ClusterSpec(), analyze=slow_analyze, client=client,
                           lookup=stored.get, on_result=lambda job, r: saved.append(r.path))
    runner.run()
    assert runner.from_store == 1 and runner.submitted == 2
    assert sorted(saved) == sorted([paths[0], paths[2]])
    assert all(j.state is SongState.DONE for j in batch.jobs)


def test_results_of_the_cluster_name_the_content_they_were_measured_on(client, tmp_path):
    """Through the session store's hooks, the results the batch takes name the content
    (and the file) they were measured on, as the thread engines' do: without them a list
    restored later could not tell that a song's file had changed since."""
    from core.batch.cache import content_fingerprint, inode_text
    from core.batch.cluster import store_hooks
    from core.batch.store import ResultStore

    paths = _files(tmp_path, 2)
    settings = AnalysisSettings(workers=2)
    batch = Batch(paths, settings=settings)
    store = ResultStore(tmp_path / "store.sqlite")
    try:
        lookup, on_result = store_hooks(store, settings)
        ClusterRunner(batch, spec=ClusterSpec(), analyze=slow_analyze, client=client,
                      lookup=lookup, on_result=on_result).run()
    finally:
        store.close()
    results = batch.results()
    assert [r.content for r in results] == [content_fingerprint(p) for p in paths]
    assert [r.content_inode for r in results] == [inode_text(os.stat(p)) for p in paths]


def test_a_result_of_another_analyzer_build_is_not_kept(client, tmp_path):
    # The connection's check passed; a worker replaced by another build afterwards must
    # not have its result stored or calibrated as this build's.
    paths = _files(tmp_path, 2) + _files(tmp_path, 1, prefix="other")
    batch = Batch(paths, settings=AnalysisSettings(workers=2))
    saved = []
    ClusterRunner(batch, spec=ClusterSpec(), analyze=replaced_analyze, client=client,
                  on_result=lambda job, r: saved.append(r.path)).run()
    assert [j.state for j in batch.jobs] == [SongState.DONE] * 2 + [SongState.FAILED]
    error = batch.jobs[2].error
    assert "now runs another build of the analyzer (0123456789ab; this SongCal:" in error
    assert "result was not kept" in error and "/" in error.split()[1]  # names the worker
    assert sorted(saved) == sorted(paths[:2])
    failed = batch.results()[2]
    assert failed.status != "done" and failed.bpm is None  # its values are nowhere


def test_a_stop_gives_up_on_a_song_that_ignores_it_after_the_grace_time(client, tmp_path):
    import threading

    release = distributed.Event(RELEASE_EVENT, client=client)
    release.clear()
    paths = _files(tmp_path, 1, prefix="held") + _files(tmp_path, 3)
    batch = Batch(paths, settings=AnalysisSettings(workers=1, budget_base_s=60.0))
    runner = ClusterRunner(batch, spec=ClusterSpec(), analyze=held_analyze, client=client,
                           cancel_grace_s=0.3)

    def stop_when_held(b, changed):  # the held song runs while another one has finished
        if b.jobs[0].state is SongState.RUNNING and any(
                j.state is SongState.DONE for j in b.jobs[1:]):
            runner.request_stop()

    runner.on_change = stop_when_held
    thread = threading.Thread(target=runner.run, daemon=True)
    try:
        thread.start()
        thread.join(60)  # the held song never answers before the release below
        assert not thread.is_alive(), "the stop waited for a song that ignores it"
        assert runner.stopped_by == -1
        assert batch.jobs[0].state is SongState.CANCELLED and batch.jobs[0].error == "cancelled"
        assert all(j.state is not SongState.RUNNING for j in batch.jobs)
        assert batch.is_finished
    finally:
        release.set()
        thread.join(30)
    # the worker thread is free again for the next test
    assert client.submit(sum, [1, 2], pure=False).result(timeout=60) == 3


def test_threads_held_by_timed_out_songs_are_not_given_out_until_those_songs_end(client,
                                                                                  tmp_path):
    import threading

    release = distributed.Event(RELEASE_EVENT, client=client)
    release.clear()
    paths = _files(tmp_path, 2, prefix="held") + _files(tmp_path, 2)
    # (a hard limit of 4 s: the songs after the held ones take 1 s, with room for a loaded
    # machine and for the mutation runs' slower code)
    settings = AnalysisSettings(workers=2, budget_base_s=2.0, budget_factor=0.0,
                                hard_limit_factor=2.0)
    batch = Batch(paths, settings=settings)
    runner = ClusterRunner(batch, spec=ClusterSpec(), analyze=held_analyze, client=client)
    thread = threading.Thread(target=runner.run, daemon=True)
    try:
        thread.start()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not all(
                j.state is SongState.TIMED_OUT for j in batch.jobs[:2]):
            time.sleep(0.05)
        assert [j.state for j in batch.jobs[:2]] == [SongState.TIMED_OUT] * 2
        time.sleep(1.0)  # the runner polls meanwhile: both threads still run a held song
        assert runner.submitted == 2
        assert [j.state for j in batch.jobs[2:]] == [SongState.QUEUED] * 2
    finally:
        release.set()
    thread.join(60)  # the held songs end, their threads take the queued songs
    assert not thread.is_alive()
    assert [j.state for j in batch.jobs] == [SongState.TIMED_OUT] * 2 + [SongState.DONE] * 2
    assert runner.submitted == 4


def test_a_song_that_ended_in_time_while_another_was_saved_is_not_timed_out(client,
                                                                            tmp_path):
    # song0 ends first; saving its result lasts until the held song, let go meanwhile, has
    # ended on its worker and its clock would have run past the hard limit: that song ended
    # in time, so it is settled as done, not timed out once the save returns, and its
    # analysis time is its run on the worker, not the wait for the save.
    release = distributed.Event(RELEASE_EVENT, client=client)
    release.clear()
    paths = _files(tmp_path, 1) + _files(tmp_path, 1, prefix="held")
    settings = AnalysisSettings(workers=2, budget_base_s=3.0, budget_factor=0.0,
                                hard_limit_factor=2.0)
    batch = Batch(paths, settings=settings)
    held = batch.jobs[1]
    saved, waited = [], []

    def slow_save(job, result):
        saved.append(job.id)
        if job.id != 0:
            return
        release.set()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not (
                held.started_at is not None
                and not runner.connection.is_running(held.id, held.attempt)
                and time.monotonic() - held.started_at > batch.hard_limit(held) + 0.5):
            time.sleep(0.05)
        waited.append(time.monotonic() < deadline)  # (a save that raised is not counted)

    runner = ClusterRunner(batch, spec=ClusterSpec(), analyze=held_analyze, client=client,
                           on_result=slow_save)
    try:
        runner.run()
    finally:
        release.set()
    assert saved == [0, 1] and waited == [True]
    assert [j.state for j in batch.jobs] == [SongState.DONE] * 2
    limit = batch.hard_limit(held)
    assert held.elapsed() < limit and held.result.analysis_s < limit, held.result.analysis_s


def test_a_path_no_worker_can_see_is_refused_before_anything_runs(client, tmp_path,
                                                                   monkeypatch):
    import core.batch.cluster

    # a file this computer reads, in a folder the workers do not share
    monkeypatch.setattr(core.batch.cluster, "_readable_here", lambda path: True)
    paths = _files(tmp_path, 2) + [str(tmp_path / "elsewhere" / "gone.wav")]
    batch = Batch(paths, settings=AnalysisSettings(workers=2))
    runner = ClusterRunner(batch, spec=ClusterSpec(), analyze=slow_analyze, client=client)
    with pytest.raises(ClusterError, match=r"worker .* cannot read .*gone\.wav"):
        runner.run()
    assert runner.submitted == 0
    assert all(j.state is SongState.QUEUED for j in batch.jobs)


def test_a_stuck_song_times_out_and_the_batch_ends(client, tmp_path):
    paths = _files(tmp_path, 3) + _files(tmp_path, 1, prefix="stuck")
    settings = AnalysisSettings(workers=2, budget_base_s=1.0, budget_factor=0.0,
                                hard_limit_factor=2.5)
    batch = Batch(paths, settings=settings)
    ClusterRunner(batch, spec=ClusterSpec(), analyze=stuck_analyze, client=client).run()
    assert [j.state for j in batch.jobs[:3]] == [SongState.DONE] * 3
    assert batch.jobs[3].state is SongState.TIMED_OUT
    client.restart()  # free the worker thread the stuck song still holds


def test_a_result_its_worker_does_not_send_fails_that_song_and_the_batch_ends(
        client, tmp_path, monkeypatch):
    # The worker that ran unsent0 does not send its result (its connection stalls).  The
    # fetch of that result gives up after RESULT_FETCH_S and the song fails, saying so; the
    # other songs' results are fetched and saved, and the batch ends.  Before, the loop
    # waited for that result forever.
    import threading

    import core.batch.cluster

    monkeypatch.setattr(core.batch.cluster, "RESULT_FETCH_S", 1.0)
    paths = _files(tmp_path, 1, prefix="unsent") + _files(tmp_path, 3)
    settings = AnalysisSettings(workers=2, budget_base_s=3.0, budget_factor=0.0,
                                hard_limit_factor=2.0)
    batch = Batch(paths, settings=settings)
    saved = []
    runner = ClusterRunner(batch, spec=ClusterSpec(), analyze=slow_analyze, client=client,
                           on_result=lambda job, result: saved.append(job.id))
    with cluster_helpers.results_held(client):
        thread = threading.Thread(target=runner.run, daemon=True)
        thread.start()
        thread.join(90)
        assert not thread.is_alive(), "the batch waited for the held result"
    unsent = batch.jobs[0]
    assert [j.state for j in batch.jobs] == [SongState.FAILED] + [SongState.DONE] * 3
    assert unsent.error == (f"its analysis ended on {unsent.worker}, but its result did not "
                            f"arrive within 1.0 s; analyze it again")
    assert sorted(saved) == [1, 2, 3]


def test_results_that_stall_fail_together_and_hold_no_other_result(client, tmp_path,
                                                                   monkeypatch):
    # Three workers' results stall on their way (their connections hang).  Each fetch
    # gives up one wait after it was asked for, side by side, and the results of the
    # songs after them are fetched at once.  Before, fetches ran one after another: the
    # third stalled result failed three waits after the first was asked for, and every
    # result behind them waited as long.
    import threading

    import core.batch.cluster

    wait_s = 10.0
    monkeypatch.setattr(core.batch.cluster, "RESULT_FETCH_S", wait_s)
    paths = _files(tmp_path, 3, prefix="unsent") + _files(tmp_path, 3)
    settings = AnalysisSettings(workers=2, budget_base_s=3.0, budget_factor=0.0,
                                hard_limit_factor=20.0)
    batch = Batch(paths, settings=settings)
    runner = ClusterRunner(batch, spec=ClusterSpec(), analyze=slow_analyze, client=client)
    took = {}  # song -> seconds from the ask to the fetch's end
    fetch = runner.connection.fetch

    def timed_fetch(future):
        asked, fetched = time.monotonic(), fetch(future)
        fetched.add_done_callback(
            lambda f: took.__setitem__(future.key, time.monotonic() - asked))
        return fetched

    runner.connection.fetch = timed_fetch
    with cluster_helpers.results_held(client):
        thread = threading.Thread(target=runner.run, daemon=True)
        thread.start()
        thread.join(120)
        assert not thread.is_alive(), "the batch waited for the held results"
    assert [j.state for j in batch.jobs] == [SongState.FAILED] * 3 + [SongState.DONE] * 3
    assert {j.error for j in batch.jobs[:3]} == {
        f"its analysis ended on {j.worker}, but its result did not arrive within 10 s; "
        f"analyze it again" for j in batch.jobs[:3]}
    key = runner.connection._task_key
    stalled = [took[key(("", j.key, j.attempt))] for j in batch.jobs[:3]]
    good = [took[key(("", j.key, j.attempt))] for j in batch.jobs[3:]]
    # (each stalled fetch ends one wait after its ask, whatever the load; a result that
    # comes takes a fraction of a second)
    assert all(wait_s <= t < 2 * wait_s for t in stalled), stalled
    assert all(t < wait_s for t in good), good


def test_a_result_that_cannot_be_read_here_fails_that_song_and_the_batch_goes_on(client,
                                                                                  tmp_path):
    # The worker's result for unreadable0 cannot be unpacked on this computer (made by a
    # library this computer does not have): that song fails, its row saying why, and the
    # other songs are analyzed and saved.  Before, the error ended the whole run.
    paths = _files(tmp_path, 1, prefix="unreadable") + _files(tmp_path, 3)
    batch = Batch(paths, settings=AnalysisSettings(workers=2))
    saved = []
    ClusterRunner(batch, spec=ClusterSpec(), analyze=cluster_helpers.unreadable_analyze,
                  client=client, on_result=lambda job, result: saved.append(job.id)).run()
    assert [j.state for j in batch.jobs] == [SongState.FAILED] + [SongState.DONE] * 3
    assert batch.jobs[0].error == (
        "its result could not be read on this computer: ValueError: no such class here: "
        "songcal.future.Tempo; analyze it again")
    assert sorted(saved) == [1, 2, 3]


def test_unreachable_scheduler_is_a_clear_error(tmp_path):
    batch = Batch(_files(tmp_path, 1), settings=AnalysisSettings(workers=1))
    runner = ClusterRunner(batch, spec=parse_cluster("tcp://127.0.0.1:9"), analyze=slow_analyze)
    t0 = time.monotonic()
    with pytest.raises(ClusterError, match="cannot reach the scheduler tcp://127.0.0.1:9"):
        runner.run()
    assert time.monotonic() - t0 < 60  # the connect timeout is 10 s; this only bounds a hang
    assert batch.jobs[0].state is SongState.QUEUED


def test_a_worker_killed_mid_batch_loses_nothing(tmp_path):
    cluster, client = cluster_helpers.process_cluster(2, timeout=30)
    try:
        paths = _files(tmp_path, 8)
        batch = Batch(paths, settings=AnalysisSettings(workers=2))
        saved = []
        killed = []

        def on_change(b, changed):
            if not killed and sum(j.state is SongState.DONE for j in b.jobs) >= 2:
                pids = client.run(os.getpid)
                os.kill(next(iter(pids.values())), signal.SIGKILL)
                killed.append(True)

        ClusterRunner(batch, spec=ClusterSpec(), analyze=slow_analyze, client=client,
                      on_change=on_change,
                      on_result=lambda job, r: saved.append(r.path)).run()
        assert killed
        assert all(j.state in (SongState.DONE, SongState.FAILED) for j in batch.jobs)
        assert all(j.error for j in batch.jobs if j.state is SongState.FAILED)
        assert sorted(saved) == sorted(set(saved))  # none saved twice
        assert sum(j.state is SongState.DONE for j in batch.jobs) == len(saved)
    finally:
        client.close()
        cluster.close()


def test_without_the_extra_the_command_line_says_what_to_install(tmp_path, monkeypatch, capsys):
    from core.cli.main import main

    monkeypatch.setitem(sys.modules, "distributed", None)  # import fails as if not installed
    song = _clicks(tmp_path / "a.wav", 120)
    code = main(["analyze", song, "-o", str(tmp_path / "r.csv"), "--no-store", "--cluster",
                 "local:2", "-q"])
    assert code == 2
    assert "pip install 'songcal[cluster]'" in capsys.readouterr().err
    assert not (tmp_path / "r.csv").exists()


def test_an_analyzer_bug_on_a_worker_fails_its_row_and_logs_the_traceback(monkeypatch,
                                                                           caplog):
    # (the task itself, run here as a worker thread runs it: the worker's log is where an
    # administrator finds what went wrong)
    import logging

    from core.batch import cluster_tasks

    events = []

    class Worker:
        address = "tcp://10.0.0.5:4000"

        def log_event(self, topic, msg):
            events.append((topic, msg["kind"]))

    class Event:
        def __init__(self, name):
            pass

        def is_set(self):
            return False

    def broken(path, **kwargs):
        return 1 / 0

    monkeypatch.setattr(distributed, "get_worker", lambda: Worker())
    monkeypatch.setattr(distributed, "Event", Event)
    monkeypatch.setattr(cluster_tasks, "keep_freed_memory", lambda: None)
    with caplog.at_level(logging.ERROR, logger="core.batch.cluster_tasks"):
        kind, value, name = cluster_tasks.analyze_task(
            "/music/a.wav", AnalysisSettings(), 3, 1, "songcal-cancel-x", analyze=broken)
    assert (kind, value) == ("failed", "internal error: ZeroDivisionError: division by zero")
    assert name.startswith("10.0.0.5:4000/")
    assert events == [(cluster_tasks.PROGRESS_TOPIC, "started"),
                      (cluster_tasks.PROGRESS_TOPIC, "ended")]
    (record,) = caplog.records
    message = record.getMessage()
    assert message.startswith("unexpected error analyzing /music/a.wav\nTraceback")
    assert "in broken" in message and message.rstrip().endswith("division by zero")


def test_cluster_options_are_checked_before_anything_runs(tmp_path, capsys):
    from core.cli.main import main

    song = _clicks(tmp_path / "a.wav", 120)
    out = str(tmp_path / "r.csv")
    assert main(["analyze", song, "-o", out, "--cluster", "nowhere"]) == 2
    assert "not a cluster" in capsys.readouterr().err
    assert main(["analyze", song, "-o", out, "--send-files"]) == 2
    assert "--send-files needs --cluster or --scheduler" in capsys.readouterr().err


def test_command_line_on_a_local_cluster_fills_the_session_store(tmp_path, capsys):
    from core.cli.main import main

    deck = tmp_path / "deck"
    deck.mkdir()
    for bpm in (100, 128):
        _clicks(deck / f"c{bpm}.wav", bpm)
    store = str(tmp_path / "session.sqlite")
    out1, out2 = str(tmp_path / "r1.csv"), str(tmp_path / "r2.csv")
    assert main(["analyze", str(deck), "-o", out1, "--session", store, "--cluster",
                 "local:2", "-q"]) == 0
    assert "0 from the session store" in capsys.readouterr().err
    # The thread engine finds what the cluster stored: the store is the same for both.
    assert main(["analyze", str(deck), "-o", out2, "--session", store, "-q"]) == 0
    assert "2 from the session store" in capsys.readouterr().err
    import csv

    rows1 = list(csv.DictReader(Path(out1).read_text(encoding="utf-8-sig").splitlines()))
    rows2 = list(csv.DictReader(Path(out2).read_text(encoding="utf-8-sig").splitlines()))
    assert [(r["path"], r["bpm"], r["key"]) for r in rows1] == \
        [(r["path"], r["bpm"], r["key"]) for r in rows2]


def test_a_worker_keeps_freed_memory_as_the_desktop_process_does(monkeypatch):
    """The warm-up and every song's task set malloc's thresholds (a Dask nanny's
    MALLOC_TRIM_THRESHOLD_ turns glibc's adaptive ones off); the setting itself is tested
    with the runner."""
    from core.batch import cluster_tasks

    calls = []
    monkeypatch.setattr(cluster_tasks, "keep_freed_memory", lambda: calls.append(1) or True)
    cluster_tasks.warm_up()
    assert calls == [1]


def test_a_worker_warms_up_once_and_its_warm_up_never_holds_it_back(monkeypatch):
    import asyncio
    import threading
    from types import SimpleNamespace

    from core.batch import cluster_plugin, cluster_tasks

    worker = SimpleNamespace(address="tcp://127.0.0.1:1")
    # Warm already (the connection's own warm-up ran there): not again.
    runs = []
    monkeypatch.setattr(cluster_tasks, "warm_up", lambda: runs.append(1) or "b1")
    monkeypatch.setattr(cluster_tasks, "_warmed_build", "b0")
    asyncio.run(cluster_plugin.WarmUpPlugin().setup(worker))
    assert runs == []
    monkeypatch.setattr(cluster_tasks, "_warmed_build", None)
    asyncio.run(cluster_plugin.WarmUpPlugin().setup(worker))
    assert runs == [1]

    # A warm-up that fails, or that does not end in time, lets the worker go on.
    def fails():
        raise ImportError("no librosa here")

    monkeypatch.setattr(cluster_plugin, "warm_up_once", fails)
    asyncio.run(cluster_plugin.WarmUpPlugin().setup(worker))
    gate = threading.Event()
    monkeypatch.setattr(cluster_plugin, "warm_up_once", gate.wait)

    async def setup_then_release():
        await cluster_plugin.WarmUpPlugin(timeout_s=0.05).setup(worker)
        gate.set()

    asyncio.run(setup_then_release())


def test_a_worker_of_another_analyzer_build_is_refused():
    from core.analysis.identity import analyzer_id
    from core.batch.cluster import _other_build

    ours = analyzer_id()
    assert _other_build({"tcp://a:1": ours, "tcp://b:1": ours}) == ""
    said = _other_build({"tcp://a:1": ours, "tcp://b:1": "0123456789ab"})
    assert "worker tcp://b:1 runs another build of the analyzer (0123456789ab" in said
    assert ours in said
    # an older SongCal's warm-up answered with its host name
    assert "(older;" in _other_build({"tcp://c:1": "render-host-7"})


def test_a_file_this_computer_cannot_read_either_fails_in_its_own_row(client, tmp_path):
    # Shared paths: a FIFO or a file gone is the song's problem (as with threads), not a
    # folder the workers do not share; the others are analyzed.
    fifo = tmp_path / "pipe.wav"
    os.mkfifo(fifo)
    paths = _files(tmp_path, 2) + [str(fifo), str(tmp_path / "gone.wav")]
    batch = Batch(paths, settings=AnalysisSettings(workers=2))
    ClusterRunner(batch, spec=ClusterSpec(), client=client).run()
    assert [j.state for j in batch.jobs] == [SongState.FAILED] * 4  # (not audio: _files)
    assert "FIFO" in batch.jobs[2].error and "does not exist" in batch.jobs[3].error


@pytest.mark.timeout(120)
def test_sent_files_that_cannot_be_sent_fail_in_their_rows(client, tmp_path, monkeypatch):
    import core.batch.cluster

    fifo = tmp_path / "pipe.wav"
    os.mkfifo(fifo)  # opening it to read its bytes would wait for a writer forever
    odd = [tmp_path / "ünï cödé.wav", tmp_path / "new\nline.wav"]
    for p in odd:
        p.write_bytes(b"RIFF" + os.urandom(100))
    big = tmp_path / "big.wav"
    big.write_bytes(b"RIFF" + bytes(5000))
    empty = tmp_path / "empty.wav"
    empty.write_bytes(b"")
    monkeypatch.setattr(core.batch.cluster, "MAX_SEND_BYTES", 4096)
    paths = [str(p) for p in odd] + [str(fifo), str(big), str(empty),
                                     str(tmp_path / "gone.wav")]
    batch = Batch(paths, settings=AnalysisSettings(workers=2))
    ClusterRunner(batch, spec=ClusterSpec(files=FILES_SEND), analyze=slow_analyze,
                  client=client).run()
    assert [j.state for j in batch.jobs] == [SongState.DONE] * 2 + [SongState.FAILED] * 4
    assert [r.path for r in batch.results()[:2]] == paths[:2]
    errors = [j.error for j in batch.jobs[2:]]
    assert "FIFO" in errors[0]
    assert "too large to send to the cluster" in errors[1]
    assert "empty" in errors[2] and "does not exist" in errors[3]


class _Listener:
    """A TCP port where something that is not a Dask scheduler listens: it accepts and
    says nothing, or answers as a web server would."""

    def __init__(self, answer: bytes | None):
        import socket
        import threading

        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.sock.settimeout(0.1)
        self.port = self.sock.getsockname()[1]
        self.answer, self.conns, self.open = answer, [], True
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        while self.open:
            try:
                conn, _ = self.sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.conns.append(conn)
            if self.answer is not None:
                try:
                    conn.recv(1000)
                    conn.sendall(self.answer)
                except OSError:
                    pass

    def close(self):
        self.open = False
        self.thread.join(5)
        self.sock.close()
        for c in self.conns:
            c.close()
        self.thread.join(5)


@pytest.mark.timeout(120)
@pytest.mark.parametrize("answer", [None, b"HTTP/1.0 400 Bad Request\r\n\r\n" * 4])
def test_a_port_where_no_scheduler_listens_is_a_clear_error(tmp_path, monkeypatch, answer):
    import core.batch.cluster

    monkeypatch.setattr(core.batch.cluster, "_CONNECT_TIMEOUT_S", 1.0)
    server = _Listener(answer)
    try:
        batch = Batch(_files(tmp_path, 1), settings=AnalysisSettings(workers=1))
        runner = ClusterRunner(batch, spec=parse_cluster(f"127.0.0.1:{server.port}"),
                               analyze=slow_analyze)
        with pytest.raises(ClusterError, match=f"no Dask scheduler answers at "
                                               f"tcp://127.0.0.1:{server.port}: something "
                                               f"else listens on that port"):
            runner.run()
        assert batch.jobs[0].state is SongState.QUEUED
    finally:
        server.close()


@pytest.fixture
def empty_cluster():
    """A scheduler of this process without any worker, and its address."""
    cluster = distributed.LocalCluster(n_workers=0, processes=False, protocol="tcp",
                                       dashboard_address=None,
                                       scheduler_kwargs=cluster_helpers.SCHEDULER_OPTIONS)
    try:
        yield cluster
    finally:
        cluster.close()


@pytest.mark.timeout(120)
def test_a_scheduler_without_workers_is_a_clear_error(tmp_path, monkeypatch, empty_cluster):
    import core.batch.cluster

    monkeypatch.setattr(core.batch.cluster, "NO_WORKER_WAIT_S", 0.5)
    batch = Batch(_files(tmp_path, 2), settings=AnalysisSettings(workers=1))
    runner = ClusterRunner(batch, spec=parse_cluster(empty_cluster.scheduler_address),
                           analyze=slow_analyze)
    with pytest.raises(ClusterError, match="has no worker .none joined within 0 s.: start "
                                           "some with 'dask worker tcp://"):
        runner.run()
    runner.close()
    assert all(j.state is SongState.QUEUED for j in batch.jobs)


@pytest.mark.timeout(120)
def test_a_signal_while_waiting_for_a_worker_stops_at_once(tmp_path, empty_cluster):
    # The command line's stop handler asks the runner to stop; while the cluster is being
    # reached (here: a worker waited for, 60 s) that must not wait for the reach to end.
    batch = Batch(_files(tmp_path, 2), settings=AnalysisSettings(workers=1))
    runner = ClusterRunner(batch, spec=parse_cluster(empty_cluster.scheduler_address),
                           analyze=slow_analyze)
    previous = signal.signal(signal.SIGALRM, lambda signum, _: runner.request_stop(signum))
    try:
        signal.setitimer(signal.ITIMER_REAL, 1.0)
        runner.run()  # no ClusterError: the wait for a worker was cut short
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    runner.close()
    assert runner.stopped_by == signal.SIGALRM
    assert [j.state for j in batch.jobs] == [SongState.CANCELLED] * 2


@pytest.mark.timeout(180)
def test_a_scheduler_that_goes_away_mid_batch_ends_the_batch_with_what_finished(tmp_path):
    with cluster_helpers.scheduler_process() as (address, scheduler):
        client = distributed.Client(address, timeout=2)  # (how long it tries to reconnect)
        try:
            batch = Batch(_files(tmp_path, 6), settings=AnalysisSettings(workers=1))
            saved = []

            def on_change(b, changed):  # (once a song is done and the next one runs)
                if scheduler.poll() is None and any(
                        j.state is SongState.DONE for j in b.jobs) and any(
                        j.state is SongState.RUNNING and "/" in j.worker and not j.waiting
                        for j in b.jobs):
                    scheduler.kill()
                    scheduler.wait()

            ClusterRunner(batch, spec=ClusterSpec(address=address), analyze=slow_analyze,
                          client=client, on_change=on_change,
                          on_result=lambda job, r: saved.append(r.path)).run()
            states = [j.state for j in batch.jobs]
            assert SongState.DONE in states and SongState.FAILED in states
            assert all(s in (SongState.DONE, SongState.FAILED) for s in states)
            # (the songs that ran then and those left say the same)
            failed = [j.error for j in batch.jobs if j.state is SongState.FAILED]
            assert set(failed) == {f"the connection to the scheduler {address} was lost (it "
                                   f"stopped or cannot be reached)"}, failed
            assert sorted(saved) == sorted(j.path for j in batch.jobs
                                           if j.state is SongState.DONE)
        finally:
            client.close()


@pytest.mark.timeout(240)
def test_a_scheduler_that_stops_answering_mid_batch_ends_the_batch_with_what_finished(
        tmp_path, monkeypatch):
    # The scheduler freezes (SIGSTOP: as a machine paused, or a network cut that leaves the
    # connection open) once a song is done and the next one runs.  Every call to it gives up
    # after a while, and once it has not answered for the wait for a worker the songs left
    # fail, saying so; the batch ends with what finished and the connection is left.
    # Before, the first look at the workers waited for an answer forever.
    import threading

    import core.batch.cluster

    monkeypatch.setattr(core.batch.cluster, "_LOCAL_CALL_S", 1.0)
    with cluster_helpers.scheduler_process() as (address, scheduler):
        batch = Batch(_files(tmp_path, 6), settings=AnalysisSettings(workers=1))
        frozen = []

        def on_change(b, changed):  # (once a song is done and the next one runs)
            if not frozen and any(j.state is SongState.DONE for j in b.jobs) and any(
                    j.state is SongState.RUNNING and "/" in j.worker and not j.waiting
                    for j in b.jobs):
                os.kill(scheduler.pid, signal.SIGSTOP)
                frozen.append(True)

        runner = ClusterRunner(batch, spec=ClusterSpec(address=address), analyze=slow_analyze,
                               on_change=on_change, no_worker_s=2.0)
        thread = threading.Thread(target=lambda: (runner.run(), runner.close()), daemon=True)
        try:
            thread.start()
            thread.join(150)
            assert frozen and not thread.is_alive(), "the batch waited for the scheduler"
        finally:
            if frozen:
                os.kill(scheduler.pid, signal.SIGCONT)
        states = [j.state for j in batch.jobs]
        assert SongState.DONE in states and SongState.FAILED in states
        assert all(s in (SongState.DONE, SongState.FAILED) for s in states)
        failed = {j.error for j in batch.jobs if j.state is SongState.FAILED}
        assert failed == {f"the scheduler {address} did not answer for 2 s"}, failed


@pytest.mark.timeout(180)
def test_a_cluster_whose_workers_all_left_ends_the_batch(tmp_path):
    cluster, client = cluster_helpers.process_cluster(1, timeout=10)
    try:
        batch = Batch(_files(tmp_path, 6), settings=AnalysisSettings(workers=1))
        gone = []

        def on_change(b, changed):
            if not gone and any(j.state is SongState.DONE for j in b.jobs):
                gone.append(True)
                cluster.scale(0)

        ClusterRunner(batch, spec=ClusterSpec(), analyze=slow_analyze, client=client,
                      on_change=on_change, no_worker_s=1.0).run()
        states = [j.state for j in batch.jobs]
        assert SongState.DONE in states and batch.is_finished
        failed = [j for j in batch.jobs if j.state is not SongState.DONE]
        assert failed and all("no worker was left in the" in j.error for j in failed)
    finally:
        client.close()
        cluster.close()


@pytest.mark.timeout(300)
def test_a_stuck_song_holding_the_only_worker_thread_does_not_hold_the_batch(tmp_path):
    # Dask cannot stop a thread: the runner's own LocalCluster restarts the worker that
    # holds the song given up on, and the songs after it run.
    paths = _files(tmp_path, 1, prefix="stuck") + _files(tmp_path, 2)
    settings = AnalysisSettings(workers=1, budget_base_s=1.0, budget_factor=0.0,
                                hard_limit_factor=2.0)
    batch = Batch(paths, settings=settings)
    runner = ClusterRunner(batch, spec=ClusterSpec(workers=1), analyze=stuck_analyze,
                           no_worker_s=1.0)
    try:
        runner.run()
    finally:
        runner.close()
    assert batch.jobs[0].state is SongState.TIMED_OUT
    assert [j.state for j in batch.jobs[1:]] == [SongState.DONE] * 2


class _Workers:
    """A client of a cluster of two one-thread workers that records the restarts asked."""

    def __init__(self):
        self.restarted = []

    def nthreads(self, **kwargs):
        return {"tcp://h:1": 1, "tcp://h:2": 1}

    def restart_workers(self, workers, **_):
        self.restarted.extend(workers)


def _worker_event(conn, kind, thread, tag, job=0, attempt=1):
    """What a worker reports for a task of ``conn``."""
    return {"kind": kind, "job": job, "attempt": attempt, "tag": tag,
            "run": conn._cancel_name, "worker": thread.split("/")[0], "thread": thread,
            "host": "h"}


def test_the_worker_threads_tell_a_cleared_lists_song_from_the_new_one_with_its_number():
    # Job ids and attempts start again in every list: song 0 of a cleared list, given up on
    # and still running on h:1, and song 0 of the new list, running on h:2.
    conn = ClusterConnection(ClusterSpec(), client=_Workers())
    conn.cluster = object()  # (its own LocalCluster: its workers may be restarted)
    conn._event(_worker_event(conn, "started", "h:1/0", "old"))
    conn._event(_worker_event(conn, "started", "h:2/0", "new"))
    assert conn.running_on() == {("old", 0, 1): "h:1", ("new", 0, 1): "h:2"}
    assert conn.is_running(0, 1, "new") and not conn.is_running(0, 1)
    assert not conn.is_running(0, 2, "new")
    # Restarting the worker of the old song leaves the new song's worker alone.
    assert conn.restart_holding({("old", 0, 1)})
    assert conn.client.restarted == ["tcp://h:1"]
    assert conn.running_on() == {("new", 0, 1): "h:2"}
    assert not conn.restart_holding({("old", 0, 1)}) and conn.client.restarted == [
        "tcp://h:1"]
    # An end names its song: the old song's end on h:2's thread would not free it.
    conn._event(_worker_event(conn, "ended", "h:2/0", "old"))
    assert conn.is_running(0, 1, "new")
    conn._event(_worker_event(conn, "ended", "h:2/0", "new"))
    assert conn.running_on() == {}


def test_a_connection_hears_the_events_of_its_own_tasks_only(client, tmp_path):
    # Two users of one scheduler, each with its song 0, attempt 1 (the command line's, with
    # no tag): every client that listens to the progress topic is sent every event, and
    # each connection must keep those of its own task (before, each heard both: the other
    # user's start restarted its song's clock, and the other's end stopped it).
    import distributed

    first, second = _files(tmp_path, 2)
    settings = AnalysisSettings(workers=2)
    other = distributed.Client(client.scheduler.address, timeout=30)
    heard = {"ours": [], "theirs": []}
    try:
        conns = {}
        for who, c in (("ours", client), ("theirs", other)):
            conns[who] = ClusterConnection(
                ClusterSpec(), analyze=slow_analyze, client=c,
                on_event=lambda kind, msg, who=who: heard[who].append((kind, msg["worker"])))
            conns[who].connect()
        futures = {who: conns[who].submit(Batch([path]).jobs[0], 1, settings)
                   for who, path in (("ours", first), ("theirs", second))}
        distributed.wait(list(futures.values()), timeout=60)
        results = {who: f.result()[2] for who, f in futures.items()}  # (the thread)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not all(
                ("ended", results[who]) in heard[who] for who in heard):
            time.sleep(0.05)
        for who in heard:
            starts_and_ends = [(k, w) for k, w in heard[who] if k != "progress"]
            assert starts_and_ends == [("started", results[who]), ("ended", results[who])], \
                (who, heard[who])
            # (a progress event names the worker by its address)
            assert {w.split("://")[-1].split("/")[0] for _, w in heard[who]} == {
                results[who].split("/")[0]}
        for conn in conns.values():
            conn.close()
    finally:
        other.close()


def test_a_running_song_is_labelled_with_its_worker_thread(client, tmp_path):
    # The scheduler sets the "worker" of every event to the worker's address; the label
    # (and what the runner counts as busy) is the thread that runs the song.
    batch = Batch(_files(tmp_path, 4), settings=AnalysisSettings(workers=2))
    seen = set()
    runner = ClusterRunner(batch, spec=ClusterSpec(), analyze=slow_analyze, client=client,
                           on_change=lambda b, ch: seen.update(
                               j.worker for j in b.jobs if j.state is SongState.RUNNING))
    runner.run()
    workers = {a.split("://")[-1] for a in client.nthreads()}
    seen.discard("dask")  # (claimed, not started yet)
    assert seen and all(w.count("/") == 1 and w.split("/")[0] in workers for w in seen), seen
    assert set(runner.connection.threads) <= {f"{w}/0" for w in workers} | {
        f"{w}/1" for w in workers} or all("/" in t for t in runner.connection.threads)


@pytest.mark.timeout(180)
def test_a_song_waiting_in_the_schedulers_queue_is_timed_from_its_start(tmp_path):
    # Another client holds the only worker thread: the song handed over waits in the
    # scheduler's queue for longer than its hard limit (4 s), then runs (1 s) and is done.
    cluster, client = cluster_helpers.process_cluster(1, timeout=10)
    try:
        settings = AnalysisSettings(workers=1, budget_base_s=1.0, budget_factor=0.0,
                                    hard_limit_factor=4.0)
        batch = Batch(_files(tmp_path, 1), settings=settings)
        released = []
        with cluster_helpers.every_thread_held(client) as release:
            def on_change(b, changed):
                job = b.jobs[0]
                if not released and job.state is SongState.RUNNING and \
                        time.monotonic() - job.started_at > 5.0:
                    released.append(time.monotonic())
                    release()

            ClusterRunner(batch, spec=ClusterSpec(), analyze=slow_analyze, client=client,
                          on_change=on_change).run()
        job = batch.jobs[0]
        assert job.state is SongState.DONE, (job.state, job.error)
        assert released and job.started_at >= released[0]  # its clock started on the worker
        assert job.result.analysis_s < 4.0
    finally:
        client.close()
        cluster.close()


@pytest.mark.timeout(180)
def test_a_worker_that_joins_in_the_middle_of_a_batch_gets_songs(tmp_path):
    cluster, client = cluster_helpers.process_cluster(1, timeout=10)
    try:
        release = distributed.Event(RELEASE_EVENT, client=client)
        release.clear()
        # The first song holds the only worker thread until a second worker runs a song.
        batch = Batch(_files(tmp_path, 1, prefix="held") + _files(tmp_path, 3),
                      settings=AnalysisSettings(workers=1))
        first = sorted(client.nthreads())
        joined = []

        def on_change(b, changed):
            if not joined and b.jobs[0].worker.count("/") == 1:  # (held, on the worker)
                joined.append(True)
                cluster.scale(2)
            if any(j.worker.split("/")[0] not in {a.split("://")[-1] for a in first}
                   and j.state in (SongState.RUNNING, SongState.DONE) and "/" in j.worker
                   for j in b.jobs[1:]):
                release.set()

        ClusterRunner(batch, spec=ClusterSpec(), analyze=held_analyze, client=client,
                      on_change=on_change).run()
        assert [j.state for j in batch.jobs] == [SongState.DONE] * 4
        new = {a.split("://")[-1] for a in client.nthreads()} - {
            a.split("://")[-1] for a in first}
        assert new and any(j.worker.split("/")[0] in new for j in batch.jobs[1:])
    finally:
        release.set()
        client.close()
        cluster.close()


@pytest.mark.timeout(300)
def test_workers_that_join_or_restart_warm_up_before_their_first_song(tmp_path):
    # The runner's own LocalCluster of one worker, warmed up as it connects; a second worker
    # joins while the first song holds that worker's thread.  Every song, the first ones on
    # the worker that joined included, starts on a worker whose warm-up has run (before,
    # the first song there paid for the analyzer's imports within its own time).
    batch = Batch(_files(tmp_path, 1, prefix="held") + _files(tmp_path, 3),
                  settings=AnalysisSettings(workers=1))
    runner = ClusterRunner(batch, spec=ClusterSpec(workers=1), analyze=warm_held_analyze)
    first, joined = [], []

    def on_change(b, changed):
        client = runner.connection.client
        if not joined and b.jobs[0].worker.count("/") == 1:  # (held, on the worker)
            joined.append(True)
            first.extend(a.split("://")[-1] for a in client.nthreads())
            runner.connection.cluster.scale(2)
        if any(j.worker.split("/")[0] not in first and "/" in j.worker
               and j.state in (SongState.RUNNING, SongState.DONE) for j in b.jobs[1:]):
            distributed.Event(RELEASE_EVENT, client=client).set()

    try:
        runner.connect()
        distributed.Event(RELEASE_EVENT, client=runner.connection.client).clear()
        runner.on_change = on_change
        runner.run()
        assert [j.state for j in batch.jobs] == [SongState.DONE] * 4
        on_new = [j for j in batch.jobs if j.worker.split("/")[0] not in first]
        assert on_new, "no song ran on the worker that joined"
        assert [j.result.title for j in batch.jobs] == ["warm-up ran: True"] * 4

        # A worker restarted by its nanny (as after a song given up on) warms up too,
        # before it runs anything.
        client = runner.connection.client
        client.restart_workers(list(client.nthreads()), timeout=120)
        client.wait_for_workers(2, timeout=120)
        from core.analysis.identity import analyzer_id
        from core.batch.cluster_tasks import warmed_up

        futures = [client.submit(warmed_up, workers=[a], pure=False)
                   for a in client.nthreads()]
        assert [f.result(timeout=120) for f in futures] == [analyzer_id()] * 2
    finally:
        runner.close()


@pytest.mark.timeout(180)
def test_leaving_a_scheduler_of_its_own_takes_this_connections_warm_up_away(tmp_path):
    cluster, client = cluster_helpers.process_cluster(1, timeout=10)

    def plugins(dask_scheduler):  # (Dask registers some of its own)
        return sorted(p for p in dask_scheduler.worker_plugins if p.startswith("songcal"))

    try:
        conn = ClusterConnection(parse_cluster(cluster.scheduler_address))
        conn.connect()
        try:
            ours = client.run_on_scheduler(plugins)
            assert len(ours) == 1 and ours[0].startswith("songcal-warm-up-")
        finally:
            conn.close()
        assert client.run_on_scheduler(plugins) == []
    finally:
        client.close()
        cluster.close()


@pytest.mark.timeout(180)
def test_a_song_whose_worker_left_waits_queued_and_is_timed_from_its_rerun(tmp_path, caplog):
    # Another client holds one of the two worker threads; the song runs on the other, whose
    # worker then leaves the cluster.  Dask queues the song again behind the held thread:
    # it is queued (no clock) meanwhile, however long that lasts (here the batch's clock
    # jumps past the hard limit), then runs and is done, timed from the rerun's start; the
    # log keeps how long the lost run lasted.
    cluster, client = cluster_helpers.process_cluster(2, timeout=10)
    release = distributed.Event(RELEASE_EVENT, client=client)
    release.clear()
    offset = [0.0]
    settings = AnalysisSettings(workers=2, budget_base_s=2.0, budget_factor=0.0,
                                hard_limit_factor=2.0)
    batch = Batch(_files(tmp_path, 1, prefix="held"), settings=settings,
                  clock=lambda: time.monotonic() + offset[0])
    job = batch.jobs[0]
    seen = {"left": None, "ticks": 0, "status": []}
    try:
        with cluster_helpers.every_thread_held(client) as free:
            def on_change(b, changed):
                if seen["left"] is None and "/" in job.worker and not job.waiting:
                    seen["left"] = f"tcp://{job.worker.split('/')[0]}"
                    client.retire_workers(workers=[seen["left"]], close_workers=True)
                elif seen["left"] and not seen["ticks"] and not any(
                        t.startswith(seen["left"][6:]) for t in runner.connection.threads):
                    offset[0] += 60.0  # (the runner has seen the worker leave)
                    seen["ticks"] = 1
                elif seen["ticks"]:
                    seen["ticks"] += 1
                    seen["status"].append(job.status)
                    if seen["ticks"] == 3:  # (two checks of the time-out rule since)
                        free()
                        release.set()

            runner = ClusterRunner(batch, spec=ClusterSpec(), analyze=held_analyze,
                                   client=client, on_change=on_change)
            with caplog.at_level("WARNING", logger="core.batch.cluster_runner"):
                runner.run()
        assert job.state is SongState.DONE, (job.state, job.error)
        assert seen["status"][:2] == [SongState.QUEUED] * 2
        assert job.result.analysis_s < batch.hard_limit(job)
        assert job.worker.split("/")[0] != seen["left"][6:]
        (line,) = [r.getMessage() for r in caplog.records if "left the cluster" in r.getMessage()]
        assert job.path in line and "waits to run again" in line
    finally:
        release.set()
        client.close()
        cluster.close()


def test_a_song_whose_workers_all_died_says_how_many_times_the_scheduler_allowed():
    # A scheduler of its own keeps its own number of tries (Dask's default: a task whose
    # worker died 3 times runs a fourth time); the song's reason says what it did.
    from distributed.scheduler import KilledWorker

    class Failed:
        status = "error"

        def exception(self, timeout=None):
            return KilledWorker("songcal-x-0-1", object(), 3)

    batch = Batch(["a.wav"])
    job, attempt = batch.claim("dask", starts_later=True)
    conn = ClusterConnection(ClusterSpec(address="tcp://h:8786"), retries=2, client=object())
    assert conn.settle(batch, Failed(), job.id, attempt)
    assert job.state is SongState.FAILED
    assert job.error == "the cluster lost the worker running this song 4 times"


def test_the_command_line_logs_the_run_a_lost_worker_took_with_it(caplog):
    # Song 0 runs on h:1, which leaves the cluster: queued, logged; it runs again on h:2.
    # Song 1's worker leaves unseen: its rerun's start says so.
    batch = Batch(["/songs/a.wav", "/songs/b.wav"])
    runner = ClusterRunner(batch, spec=ClusterSpec(), client=_Workers())
    a, b = batch.jobs
    for _ in batch.jobs:
        batch.claim("dask", starts_later=True)
    conn = runner.connection
    conn._event(_worker_event(conn, "started", "h:1/0", "", job=0))
    conn._event(_worker_event(conn, "started", "h:3/0", "", job=1))
    with caplog.at_level("WARNING", logger="core.batch.cluster_runner"):
        conn.forget_departed([("tcp://h:2", 1), ("tcp://h:3", 1)], on_lost=runner._lost)
        assert a.waiting and a.status is SongState.QUEUED and not b.waiting
        assert "the worker running /songs/a.wav left the cluster within" in caplog.text
        caplog.clear()
        conn._event(_worker_event(conn, "started", "h:2/0", "", job=0))
        assert a.status is SongState.RUNNING and caplog.text == ""
        conn._event(_worker_event(conn, "started", "h:2/0", "", job=1))
        assert "the worker running /songs/b.wav left the cluster within" in caplog.text


def test_a_song_running_when_the_scheduler_went_away_says_so_as_the_songs_left_do():
    # The client cancels every future as soon as it loses its scheduler, while it still
    # tries to reach it again: a song settled then says what the songs failed once it has
    # given up say.
    class Cancelled:
        status = "cancelled"

        class _state:  # noqa: N801 - Dask's FutureState
            class exception:  # noqa: N801
                reason = "scheduler-connection-lost"

    class Reconnecting:
        status = "connecting"

    batch = Batch(["a.wav"])
    job, attempt = batch.claim("dask", starts_later=True)
    conn = ClusterConnection(ClusterSpec(address="tcp://h:8786"), client=Reconnecting())
    assert conn.settle(batch, Cancelled(), job.id, attempt)
    assert job.error == ("the connection to the scheduler tcp://h:8786 was lost (it stopped "
                         "or cannot be reached)")


@pytest.mark.timeout(180)
@pytest.mark.parametrize("step", ["_wait_for_a_worker", "_warm_up_later_workers"])
def test_a_scheduler_that_stops_answering_as_it_is_reached_is_a_clear_error(tmp_path,
                                                                            monkeypatch, step):
    # The scheduler freezes (SIGSTOP) as the workers are warmed up (it is asked to relay
    # the warm-up), or once they are, as the warm-up of the workers that start later is
    # registered.  Before, the warm-up waited 180 s for the workers, and the registration
    # waited for an answer forever: the command line hung.  Now each gives up once the
    # scheduler has not answered a question for its limit, says why, and nothing was
    # analyzed.
    import threading

    import core.batch.cluster

    monkeypatch.setattr(core.batch.cluster, "_LOCAL_CALL_S", 1.0)
    original = getattr(ClusterConnection, step)
    with cluster_helpers.scheduler_process() as (address, scheduler):
        frozen = []

        def freeze_around_step(conn):
            if step == "_wait_for_a_worker":  # (frozen as the warm-up is asked for)
                original(conn)
            os.kill(scheduler.pid, signal.SIGSTOP)
            frozen.append(True)
            if step != "_wait_for_a_worker":
                original(conn)

        monkeypatch.setattr(ClusterConnection, step, freeze_around_step)
        batch = Batch(_files(tmp_path, 2), settings=AnalysisSettings(workers=1))
        runner = ClusterRunner(batch, spec=ClusterSpec(address=address), analyze=slow_analyze)
        errors = []

        def run():
            try:
                runner.run()
            except ClusterError as err:
                errors.append(str(err))

        thread = threading.Thread(target=run, daemon=True)
        try:
            thread.start()
            thread.join(60)
            assert frozen and not thread.is_alive(), "reaching the scheduler waited for it"
        finally:
            if frozen:
                os.kill(scheduler.pid, signal.SIGCONT)
            thread.join(30)
        assert errors == [f"the scheduler {address} stopped answering as it was being "
                          f"reached (no answer within 1.0 s): check that it runs and can be "
                          f"reached, then start again"]
        assert [j.state for j in batch.jobs] == [SongState.QUEUED] * 2
        assert not runner.connection.connected


@pytest.mark.timeout(120)
def test_the_local_cluster_leaves_the_dashboard_port_to_others():
    # The local scheduler started its HTTP server on Dask's dashboard port, 8787: a user's
    # own Dask dashboard (or another SongCal window's cluster) started after it found the
    # port taken, and one started before it made it warn "Port 8787 is already in use".
    import socket
    import warnings

    holder = socket.socket()
    try:
        holder.bind(("127.0.0.1", 8787))
        holder.listen()
    except OSError:  # another program has it: the warning cannot be provoked, the port can
        holder.close()
        holder = None
    conn = ClusterConnection(ClusterSpec(workers=1), analyze=slow_analyze)
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            conn.connect()
        server = conn.cluster.scheduler.http_server
        assert server is None or server.port != 8787
        assert not [w for w in caught if "already in use" in str(w.message)]
    finally:
        conn.close()
        if holder is not None:
            holder.close()


@pytest.mark.timeout(120)
def test_a_local_cluster_that_does_not_shut_down_is_left_and_its_workers_killed(
        monkeypatch, caplog):
    # Dask's LocalCluster close has no time limit: one that never ends (here its shutdown
    # is made to hang) held the command line and the window's quit forever.  Now it is
    # waited for up to a limit, and its worker processes are killed then.
    import asyncio
    import threading

    import psutil

    import core.batch.cluster

    monkeypatch.setattr(core.batch.cluster, "_CLOSE_S", 1.0)
    conn = ClusterConnection(ClusterSpec(workers=1), analyze=slow_analyze)
    conn.connect()
    cluster = conn.cluster
    pids = [n.process.process.pid for n in cluster.workers.values()]
    assert pids and all(psutil.pid_exists(p) for p in pids)

    async def hang():
        await asyncio.Event().wait()

    cluster._close = hang
    thread = threading.Thread(target=conn.close, daemon=True)
    try:
        thread.start()
        thread.join(30)
        assert not thread.is_alive(), "leaving waited for the local cluster to shut down"
    finally:
        del cluster._close
        cluster.close(timeout=30)  # (the hang ended: shut it down for good)

    def gone(pid):
        try:
            return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
        except psutil.NoSuchProcess:
            return True

    assert all(gone(p) for p in pids)
    assert "the local cluster did not shut down within 1.0 s: its worker processes are " \
           "killed" in caplog.text
    assert conn.client is None and conn.cluster is None


class _FrozenScheduler:
    """A client whose scheduler stopped answering: a call waits as long as it is allowed
    (its ``callback_timeout``, capped at 3 s so that a test of a longer bound ends), then
    times out as Dask's client does."""

    def __init__(self):
        self.asked = []

    def run(self, function, *args, callback_timeout=None, **kwargs):
        self.asked.append(callback_timeout)
        time.sleep(min(callback_timeout or 3.0, 3.0))
        raise TimeoutError(f"timed out after {callback_timeout} s")


def test_which_songs_the_workers_hold_is_asked_within_its_bound(monkeypatch):
    # The window asks the workers which songs let go before their start they hold.  Before,
    # a frozen scheduler held that question (and the cluster thread behind it) for 180 s;
    # now it is given up after the bound for a question the workers answer at once, with
    # a clear error.
    import core.batch.cluster

    monkeypatch.setattr(core.batch.cluster, "_LOCAL_CALL_S", 0.5)
    frozen = _FrozenScheduler()
    conn = ClusterConnection(ClusterSpec(address="tcp://h:8786"), client=frozen)
    started = time.monotonic()
    with pytest.raises(ClusterError) as err:
        conn.held([("b1", 0, 1)])
    took = time.monotonic() - started
    assert frozen.asked == [0.5] and took < 2.5, took
    assert str(err.value) == ("the scheduler tcp://h:8786 did not say within 0.5 s which "
                              "songs its workers hold (its scheduler or a worker stopped "
                              "answering)")
    assert conn.held([]) == {} and frozen.asked == [0.5]  # (nothing to ask: not asked)


def test_reports_that_do_not_name_their_run_are_left_out_counted_and_warned_of_once(caplog):
    # A worker with an older SongCal sends its reports without the run they are of: they
    # cannot be told from another client's song with the same number, so they are left
    # out.  Before, they were taken as this run's: another user's song 0 started this
    # batch's song 0's clock and moved its progress.
    batch = Batch(["/songs/a.wav"])
    runner = ClusterRunner(batch, spec=ClusterSpec(address="tcp://h:8786"),
                           client=_Workers())
    conn = runner.connection
    job, attempt = batch.claim("dask", starts_later=True)
    older = [{k: v for k, v in _worker_event(conn, kind, "h:1/0", "").items() if k != "run"}
             for kind in ("started", "ended")]
    older.insert(1, {"kind": "progress", "job": 0, "attempt": 1, "tag": "", "chunk": 2,
                     "n_chunks": 4, "worker": "tcp://h:1"})
    with caplog.at_level("WARNING", logger="core.batch.cluster"):
        for event in older * 2:
            conn._event(("songcal-progress", event))
    assert job.waiting and job.worker == "dask" and job.chunk == 0
    assert conn.running_on() == {}
    assert runner.unnamed_reports == conn.unnamed_reports == 6
    warnings = [r.getMessage() for r in caplog.records]
    assert warnings == ["a worker of the scheduler tcp://h:8786 (h:1) runs an older "
                        "SongCal: its progress reports do not say which run they are of, "
                        "so they are left out (a song it runs shows no progress, and no "
                        "time limit applies to it); install the same SongCal on every "
                        "worker"]
    # This run's own reports are heard as before.
    conn._event(_worker_event(conn, "started", "h:2/0", ""))
    assert not job.waiting and job.worker == "h:2/0"
    assert runner.unnamed_reports == 6


def test_reports_without_their_run_from_a_real_worker_are_left_out(client, caplog):
    # The same through a scheduler: a task logs a start without the run field for song 0,
    # attempt 1 of a connection listening to the progress topic.
    conn = ClusterConnection(ClusterSpec(), client=client,
                             on_event=lambda kind, msg: heard.append(kind))
    heard = []
    conn.connect()
    try:
        event = _worker_event(conn, "started", "h:1/0", "")
        with caplog.at_level("WARNING", logger="core.batch.cluster"):
            assert client.submit(cluster_helpers.report_as_an_older_songcal, [event] * 2,
                                 pure=False).result(timeout=60) == 2
            deadline = time.monotonic() + 30
            while conn.unnamed_reports < 2 and time.monotonic() < deadline:
                time.sleep(0.05)
        # (only the first is passed on, to tell the user, once)
        assert conn.unnamed_reports == 2 and heard == ["older_worker"] and conn.threads == {}
        assert sum("runs an older SongCal" in r.getMessage() for r in caplog.records) == 1
    finally:
        conn.close()


class _Registrar:
    """A client that records which of Dask's ways of registering a worker plugin is used;
    ``ways`` are the methods it has.  Its methods, called from its event loop (``sync``),
    return a coroutine, as Dask's do."""

    def __init__(self, *ways):
        self.ways, self.used, self.limits = ways, [], []

    def sync(self, func, *args, callback_timeout=None, **kwargs):
        import asyncio

        self.limits.append(callback_timeout)
        return asyncio.run(asyncio.wait_for(func(*args, **kwargs), callback_timeout))

    def __getattr__(self, how):
        if how not in ("register_plugin", "register_worker_plugin",
                       "_register_worker_plugin") or how not in self.ways:
            raise AttributeError(how)

        async def registered(plugin, *args, **kwargs):
            self.used.append((how, plugin.name, args, kwargs))
            return {"tcp://h:1": {"status": "OK"}}

        return registered


@pytest.mark.parametrize("ways, chosen, passed", [
    (("register_plugin", "register_worker_plugin", "_register_worker_plugin"),
     "register_plugin", ((), {"name": "n"})),
    (("register_worker_plugin", "_register_worker_plugin"),
     "register_worker_plugin", ((), {"name": "n"})),
    (("_register_worker_plugin",), "_register_worker_plugin", (("n", False), {})),
])
def test_the_warm_up_is_registered_the_public_way_when_the_client_has_one(ways, chosen,
                                                                           passed):
    # Client.register_plugin first, then the name it had in older releases, then the
    # client's own coroutine; each within the bound of a question to the scheduler.
    import core.batch.cluster
    from core.batch.cluster_plugin import plugin_registration

    client = _Registrar(*ways)
    assert plugin_registration(client)[0] == chosen
    conn = ClusterConnection(ClusterSpec(address="tcp://h:8786"), client=client)
    conn._warm_up_name = "n"
    conn._warm_up_later_workers()
    assert client.used == [(chosen, "n", *passed)]
    assert client.limits == [core.batch.cluster._LOCAL_CALL_S]
    assert conn._warm_up_registered


class _Identified:
    """A client whose scheduler describes ``workers`` (address -> the scheduler's record of
    the worker) when asked who it is, as Dask's ``identity`` does."""

    def __init__(self, workers):
        import types

        self.scheduler = types.SimpleNamespace(
            identity=lambda n_workers=None: {"type": "Scheduler", "workers": workers})

    def sync(self, func, *args, callback_timeout=None, **kwargs):
        return func(*args, **kwargs)


def test_only_workers_started_with_a_name_of_their_own_are_named():
    # ``dask worker --name studio-mac`` is named so (spaces around it dropped); a worker
    # Dask named after its address (with or without the protocol), a LocalCluster's
    # numbered one, a blank name and a record without one are left out.
    conn = ClusterConnection(ClusterSpec(address="tcp://h:8786"), client=_Identified({
        "tcp://10.0.0.5:40001": {"name": " studio-mac ", "nthreads": 4},
        "tcp://10.0.0.6:40002": {"name": "tcp://10.0.0.6:40002"},
        "tcp://10.0.0.7:40003": {"name": "10.0.0.7:40003"},
        "tcp://127.0.0.1:40004": {"name": 0},
        "tcp://10.0.0.8:40005": {"name": "   "},
        "tcp://10.0.0.9:40006": {"nthreads": 2},
        "tcp://10.0.0.10:40007": "not a record"}))
    assert conn.worker_names() == {"tcp://10.0.0.5:40001": "studio-mac"}


def test_the_installed_dask_registers_the_warm_up_with_its_public_method(client,
                                                                         monkeypatch):
    # On a real client, called from its event loop with a time limit, as the connection
    # does: the public method is the one used, and the plugin reaches the scheduler.
    from core.batch.cluster_plugin import plugin_registration

    used = []
    public = distributed.Client.register_plugin

    def spy(self, plugin, name=None):
        used.append(name)
        return public(self, plugin, name=name)

    monkeypatch.setattr(distributed.Client, "register_plugin", spy)
    how, register = plugin_registration(client)
    assert how == "register_plugin"
    name = "songcal-test-nothing-to-set-up"
    client.sync(register, cluster_helpers.NothingToSetUp(), name, callback_timeout=30)
    try:
        assert used == [name]
        assert name in client.run_on_scheduler(
            lambda dask_scheduler: list(dask_scheduler.worker_plugins))
    finally:
        client.unregister_worker_plugin(name)
