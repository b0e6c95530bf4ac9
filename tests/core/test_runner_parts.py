"""The plain thread pool's parts: what a worker reports, what the watchdog logs and starts,
how a Ctrl-C and a stop end a run, and what is left running when it returns.

As in ``test_runner.py``, every wait is bounded and waits for a condition; the songs that
get stuck do so on a clock the test moves.
"""

import logging
import threading
import time

import pytest

from core.batch.rules import Batch, SongState
from core.batch.runner import BatchRunner, run_job
from core.errors import AnalysisCancelled
from core.io.results import SongResult
from core.settings import AnalysisSettings
from tests.core.clocks import HandClock
from tests.core.test_runner import WAIT_S, WatchdogTicks, _fake_analyze, _joined, _start

RUNNER_LOG = "core.batch.runner"


def _run(runner: BatchRunner):
    """``runner.run()``, where a KeyboardInterrupt nobody pressed is a failure of the test
    (raised on, it would stop the whole test session instead)."""
    try:
        return runner.run()
    except KeyboardInterrupt:
        pytest.fail("the run raised KeyboardInterrupt without a Ctrl-C")


def _records(caplog, level):
    return [r.getMessage() for r in caplog.records
            if r.name == RUNNER_LOG and r.levelno == level]


# -- one song in its worker ------------------------------------------------------------------


def test_run_job_hands_the_batch_settings_and_reports_each_chunk():
    settings = AnalysisSettings(workers=1)
    batch = Batch(["a.wav"], settings=settings)
    job, attempt = batch.claim("w1")
    seen = []

    def analyze(path, *, settings, progress, should_cancel):
        seen.append(settings)
        progress(2, 5, 12.5)
        seen.append((job.chunk, job.n_chunks, job.duration_s))
        progress(3, 5)  # the length is told once; a later report keeps it
        seen.append((job.chunk, job.n_chunks, job.duration_s))
        return SongResult(path=path, status="done", bpm=100.0)

    run_job(batch, job, attempt, analyze)
    assert seen[0] is batch.settings
    assert seen[1:] == [(2, 5, 12.5), (3, 5, 12.5)]
    assert job.state is SongState.DONE and job.result.bpm == 100.0


@pytest.mark.parametrize("returned, name", [(None, "NoneType"), ({"bpm": 120}, "dict")])
def test_an_analyzer_that_returns_no_result_fails_its_song_and_says_what_it_returned(
        caplog, returned, name):
    batch = Batch(["a.wav"], settings=AnalysisSettings(workers=1))
    job, attempt = batch.claim("w1")
    caplog.set_level(logging.INFO, logger=RUNNER_LOG)
    run_job(batch, job, attempt, lambda path, **kw: returned)
    assert job.state is SongState.FAILED
    assert job.error == f"internal error: the analyzer returned {name}, not a result"
    assert _records(caplog, logging.ERROR) == [f"the analyzer returned {returned!r} for a.wav"]


def test_an_analyzer_bug_is_logged_with_its_song_and_its_traceback(caplog):
    batch = Batch(["dir/a.wav"], settings=AnalysisSettings(workers=1))
    job, attempt = batch.claim("w1")

    def analyze(path, **kw):
        raise RuntimeError("index out of range")

    caplog.set_level(logging.INFO, logger=RUNNER_LOG)
    run_job(batch, job, attempt, analyze)
    assert job.error == "internal error: RuntimeError: index out of range"
    assert _records(caplog, logging.ERROR) == [
        "unexpected error analyzing dir/a.wav: RuntimeError: index out of range"]
    (trace,) = _records(caplog, logging.INFO)
    head, _, rest = trace.partition("\n")
    assert head == "traceback of the error analyzing dir/a.wav"
    assert rest.startswith("Traceback (most recent call last):")
    assert rest.rstrip().endswith("RuntimeError: index out of range")


# -- the pool ---------------------------------------------------------------------------------


def test_the_defaults_are_a_fifth_of_a_second_tick_and_a_second_of_grace():
    runner = BatchRunner(Batch([]), analyze=_fake_analyze(threading.Event()))
    assert runner.tick_s == 0.2 and runner.cancel_grace_s == 1.0


def test_workers_are_daemon_threads_named_from_one():
    both = threading.Barrier(2, timeout=WAIT_S)
    threads = {}

    def analyze(path, *, settings, progress, should_cancel):
        both.wait()  # each worker holds a song until the other has one too
        t = threading.current_thread()
        threads[path] = (t.name, t.daemon)
        return SongResult(path=path, status="done")

    batch = Batch(["a.wav", "b.wav"], settings=AnalysisSettings(workers=2))
    runner = BatchRunner(batch, analyze=analyze, workers=2, tick_s=0.02)
    assert _run(runner) is batch
    assert sorted(threads.values()) == [("songcal-worker-1", True), ("songcal-worker-2", True)]
    assert sorted(j.worker for j in batch.jobs) == ["worker-1", "worker-2"]
    assert runner._serial == 2  # no worker started for nothing once the queue was empty


def test_no_worker_is_started_for_an_empty_queue():
    # Two workers, one song: the second finds nothing and stops; none replaces it while
    # the first works on (the watchdog looks many times meanwhile).
    watch = WatchdogTicks()
    gate = threading.Event()

    def analyze(path, *, settings, progress, should_cancel):
        gate.wait(WAIT_S)
        return SongResult(path=path, status="done")

    batch = Batch(["a.wav"], settings=AnalysisSettings(workers=2))
    runner = BatchRunner(batch, analyze=analyze, workers=2, tick_s=0.01, on_change=watch)
    run = _start(runner)
    try:
        watch.wait_until(lambda: batch.jobs[0].state is SongState.RUNNING)
        watch.wait_ticks(5)
    finally:
        gate.set()
    _joined(run)
    assert runner._serial == 2


def test_a_paused_batch_gets_no_new_workers_until_it_resumes():
    watch = WatchdogTicks()
    batch = Batch(["a.wav", "b.wav"], settings=AnalysisSettings(workers=2))
    batch.pause()
    runner = BatchRunner(batch, analyze=_fake_analyze(threading.Event()), workers=2,
                         tick_s=0.01, on_change=watch)
    run = _start(runner)
    try:
        watch.wait_ticks(5)  # the first two found the batch paused and stopped
        assert runner._serial == 2 and runner._live_workers() == 0
        assert [j.state for j in batch.jobs] == [SongState.QUEUED, SongState.QUEUED]
    finally:
        batch.resume()
    _joined(run)
    assert [j.state for j in batch.jobs] == [SongState.DONE, SongState.DONE]
    assert runner._serial == 4


def test_a_timed_out_worker_is_replaced_at_once_while_the_other_works_on(caplog):
    # Two workers: one is held by a stuck song, the other by a long one.  When the stuck
    # song times out, the one song still queued gets a fresh worker at once: it does not
    # wait for the long song to end.
    caplog.set_level(logging.INFO, logger=RUNNER_LOG)
    release, gate = threading.Event(), threading.Event()
    budget, factor = 10.0, 1.5
    settings = AnalysisSettings(workers=2, budget_base_s=budget, budget_factor=0.0,
                                hard_limit_factor=factor)
    clock = HandClock()
    batch = Batch(["stuck.wav", "long.wav", "c.wav"], settings=settings, clock=clock)
    stuck, long_, c = batch.jobs
    fake = _fake_analyze(release)

    def analyze(path, **kw):
        if path == "long.wav":
            gate.wait(WAIT_S)
        return fake(path, **kw)

    watch = WatchdogTicks()
    runner = BatchRunner(batch, analyze=analyze, workers=2, tick_s=0.01, on_change=watch)
    run = _start(runner)
    try:
        watch.wait_until(lambda: stuck.state is SongState.RUNNING
                         and long_.state is SongState.RUNNING)
        assert batch.extend(long_.id) == budget * factor + budget  # (it outlives the stuck one)
        clock.set(budget * factor)
        watch.wait_until(lambda: c.state is not SongState.QUEUED)
        assert long_.state in (SongState.RUNNING, SongState.STALLED)
        assert c.worker == "worker-3"
    finally:
        gate.set()
        release.set()
    _joined(run)
    assert stuck.state is SongState.TIMED_OUT and c.state is SongState.DONE
    assert f"stuck.wav timed out on {stuck.worker}; its worker is abandoned" in _records(
        caplog, logging.WARNING)
    assert stuck.worker in runner._abandoned


def test_workers_that_keep_crashing_are_given_up_after_three_each_with_the_last_reason(caplog):
    crashes = []

    class BrokenClaim(Batch):
        def claim(self, worker=""):
            crashes.append(worker)
            raise RuntimeError(f"rules bug {len(crashes)}")

    caplog.set_level(logging.INFO, logger=RUNNER_LOG)
    batch = BrokenClaim(["a.wav"], settings=AnalysisSettings(workers=1))
    runner = BatchRunner(batch, analyze=_fake_analyze(threading.Event()), workers=1, tick_s=0.01)
    run = _start(runner)
    _joined(run)
    # one worker: three crashes are borne, the fourth ends the batch; none is started after
    assert crashes == ["worker-1", "worker-2", "worker-3", "worker-4"]
    assert runner._serial == 4
    assert batch.jobs[0].error == "internal error: the workers stopped (RuntimeError: rules bug 4)"
    errors = _records(caplog, logging.ERROR)
    assert errors[:4] == [f"worker worker-{i} stopped: RuntimeError: rules bug {i}"
                          for i in range(1, 5)]
    assert errors[4:] == ["worker threads keep stopping (RuntimeError: rules bug 4): "
                          "ending the batch"]
    traces = _records(caplog, logging.INFO)
    assert [t.partition("\n")[0] for t in traces] == [f"traceback of worker worker-{i}"
                                                      for i in range(1, 5)]
    assert all(t.rstrip().endswith(f"RuntimeError: rules bug {i}")
               for i, t in enumerate(traces, 1))


def test_two_workers_bear_six_crashes():
    count = []
    lock = threading.Lock()

    class BrokenClaim(Batch):
        def claim(self, worker=""):
            with lock:
                count.append(worker)
            raise RuntimeError("rules bug")

    batch = BrokenClaim(["a.wav"], settings=AnalysisSettings(workers=2))
    runner = BatchRunner(batch, analyze=_fake_analyze(threading.Event()), workers=2, tick_s=0.01)
    _joined(_start(runner))
    assert 7 <= len(count) <= 8  # the seventh ends it (an eighth may be under way)
    assert batch.is_finished


# -- what the window or the terminal is told --------------------------------------------------


def test_each_change_is_told_once_with_the_batch():
    calls = []
    batch = Batch(["a.wav", "b.wav", "c.wav"], settings=AnalysisSettings(workers=2))

    def on_change(b, changed):
        calls.append((b, [(j.path, j.state) for j in changed]))

    _run(BatchRunner(batch, analyze=_fake_analyze(threading.Event()), workers=2, tick_s=0.01,
                     on_change=on_change))
    assert all(b is batch for b, _ in calls)
    told = [c for _, changed in calls for c in changed]
    assert len(told) == len(set(told))  # a state is told when it is new, not at every tick
    assert {c for c in told if c[1] is SongState.DONE} == {
        (p, SongState.DONE) for p in ("a.wav", "b.wav", "c.wav")}


def test_a_display_that_fails_is_logged_and_the_batch_goes_on(caplog):
    caplog.set_level(logging.INFO, logger=RUNNER_LOG)

    def on_change(b, changed):
        raise ValueError("the screen is gone")

    batch = Batch(["a.wav", "b.wav"], settings=AnalysisSettings(workers=1))
    _run(BatchRunner(batch, analyze=_fake_analyze(threading.Event()), workers=1, tick_s=0.01,
                     on_change=on_change))
    assert [j.state for j in batch.jobs] == [SongState.DONE, SongState.DONE]
    errors = _records(caplog, logging.ERROR)
    assert errors and set(errors) == {"progress display failed: ValueError: the screen is gone"}
    traces = _records(caplog, logging.INFO)
    assert traces and all(t.startswith("traceback\nTraceback (most recent call last):")
                          and t.rstrip().endswith("ValueError: the screen is gone")
                          for t in traces)


# -- Ctrl-C, a stop and the end ---------------------------------------------------------------


def _interrupting(times: int, first_song_running):
    """An ``on_change`` that raises KeyboardInterrupt (a Ctrl-C in the watchdog's thread)
    at its first ``times`` calls after the first song runs."""
    left = [times]

    def on_change(b, changed):
        if left[0] and first_song_running(b):
            left[0] -= 1
            raise KeyboardInterrupt

    return on_change


def _stops_when_told(noticed: threading.Event | None = None):
    """An analysis that works until it is told to cancel (for at most a bound), then
    finishes its chunk (50 ms) and stops, cancelled, setting ``noticed`` as it does."""
    def analyze(path, *, settings, progress, should_cancel):
        deadline = time.monotonic() + WAIT_S
        while not should_cancel() and time.monotonic() < deadline:
            time.sleep(0.005)
        time.sleep(0.05)  # a chunk to finish first
        if noticed is not None:
            noticed.set()
        raise AnalysisCancelled(path)

    return analyze


def test_a_ctrl_c_cancels_waits_for_the_running_song_and_is_raised_again():
    # The song notices the cancel a moment later, well within the grace time: it ends by
    # itself, cancelled, and its worker is not abandoned.
    noticed = threading.Event()

    batch = Batch(["a.wav", "b.wav"], settings=AnalysisSettings(workers=1))
    runner = BatchRunner(batch, analyze=_stops_when_told(noticed), workers=1, tick_s=0.01, cancel_grace_s=WAIT_S,
                         on_change=_interrupting(1, lambda b: b.jobs[0].state is SongState.RUNNING))
    with pytest.raises(KeyboardInterrupt):
        runner.run()
    assert noticed.is_set()
    assert [j.state for j in batch.jobs] == [SongState.CANCELLED, SongState.CANCELLED]
    assert runner._abandoned == set()


def test_a_second_ctrl_c_abandons_the_running_song_at_once():
    release = threading.Event()
    batch = Batch(["stuck.wav", "b.wav"], settings=AnalysisSettings(workers=1))
    runner = BatchRunner(batch, analyze=_fake_analyze(release), workers=1, tick_s=0.01,
                         cancel_grace_s=WAIT_S,
                         on_change=_interrupting(2, lambda b: b.jobs[0].state is SongState.RUNNING))
    t0 = time.monotonic()
    try:
        with pytest.raises(KeyboardInterrupt):
            runner.run()
        took = time.monotonic() - t0
    finally:
        release.set()
    assert took < WAIT_S / 2  # not after the grace time
    stuck = batch.jobs[0]
    assert stuck.state is SongState.CANCELLED and stuck.error == "cancelled"
    assert runner._abandoned == {"worker-1"}


def test_a_stop_waits_out_the_grace_for_a_song_that_stops_by_itself():
    batch = Batch(["a.wav"], settings=AnalysisSettings(workers=1))
    runner = BatchRunner(batch, analyze=_stops_when_told(), workers=1, tick_s=0.01, cancel_grace_s=WAIT_S)

    def on_change(b, changed):
        if b.jobs[0].state is SongState.RUNNING:
            runner.request_stop(15)

    runner.on_change = on_change
    assert _run(runner) is batch
    assert runner.stopped_by == 15
    assert batch.jobs[0].state is SongState.CANCELLED and runner._abandoned == set()


def test_a_run_leaves_no_worker_running_but_an_abandoned_one():
    # A worker that is slow to stop after its last song (here: its last claim takes a
    # moment) is waited for; one abandoned on a stuck song is not.
    release = threading.Event()
    budget, factor = 10.0, 1.5
    settings = AnalysisSettings(workers=2, budget_base_s=budget, budget_factor=0.0,
                                hard_limit_factor=factor)
    clock = HandClock()

    class SlowToStop(Batch):
        def claim(self, worker=""):
            got = super().claim(worker)
            if got is None:
                time.sleep(0.3)
            return got

    batch = SlowToStop(["stuck.wav", "a.wav"], settings=settings, clock=clock)
    watch = WatchdogTicks()
    runner = BatchRunner(batch, analyze=_fake_analyze(release), workers=2, tick_s=0.01,
                         on_change=watch)
    run = _start(runner)
    try:
        watch.wait_until(lambda: batch.jobs[0].state is SongState.RUNNING
                         and batch.jobs[1].state is SongState.DONE)
        clock.set(budget * factor)
        ended = time.monotonic()
        _joined(run)
        took = time.monotonic() - ended
        alive = [t.name for t in runner._threads if t.is_alive()]
    finally:
        release.set()
    assert alive == [f"songcal-{batch.jobs[0].worker}"]  # the abandoned one alone
    assert took < 1.5  # the abandoned worker is not joined (that would take 2 s)


def test_after_a_ctrl_c_a_song_that_ignores_the_cancel_is_abandoned_after_the_grace():
    release = threading.Event()
    batch = Batch(["stuck.wav", "b.wav"], settings=AnalysisSettings(workers=1))
    runner = BatchRunner(batch, analyze=_fake_analyze(release), workers=1, tick_s=0.01,
                         cancel_grace_s=0.05,
                         on_change=_interrupting(1, lambda b: b.jobs[0].state is SongState.RUNNING))
    _, t, errors = _start(runner)
    try:
        t.join(WAIT_S)
        ended = not t.is_alive()
    finally:
        release.set()
        t.join(WAIT_S)
    assert ended, "the song that ignored the cancel was never abandoned"
    assert [type(e) for e in errors] == [KeyboardInterrupt]
    assert [(j.state, j.error) for j in batch.jobs] == [
        (SongState.CANCELLED, "cancelled"), (SongState.CANCELLED, "cancelled before it started")]
    assert runner._abandoned == {"worker-1"}


def test_giving_up_on_crashing_workers_abandons_the_song_still_running():
    # The first worker takes a song that never ends; every later claim hits a bug.  The
    # batch ends when the crashes pass their limit, and the stuck worker is left behind
    # (not waited for at the end).
    release = threading.Event()
    claims = []
    lock = threading.Lock()

    class BreaksAfterOne(Batch):
        def claim(self, worker=""):
            with lock:
                claims.append(worker)
                first = len(claims) == 1
            if first:
                return super().claim(worker)
            raise RuntimeError("rules bug")

    batch = BreaksAfterOne(["stuck.wav", "b.wav"], settings=AnalysisSettings(workers=2))
    runner = BatchRunner(batch, analyze=_fake_analyze(release), workers=2, tick_s=0.01)
    t0 = time.monotonic()
    try:
        _joined(_start(runner))
        took = time.monotonic() - t0
    finally:
        release.set()
    stuck, b = batch.jobs
    assert stuck.worker == claims[0]
    assert stuck.state is SongState.CANCELLED
    assert stuck.error == "internal error: the workers stopped (RuntimeError: rules bug)"
    assert b.error == stuck.error
    assert stuck.worker in runner._abandoned
    assert took < WAIT_S / 4  # (a stuck worker joined at the end would add 2 s; the bound is loose)
