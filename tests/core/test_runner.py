"""The plain thread pool: every song ends, whatever the analyzer does.

No test sleeps and then looks: every wait is bounded and waits for a condition (an event
set by a spy, a thread that ends, a tick of the watchdog).  The songs that get stuck do so on
a clock the test moves (:class:`HandClock`): the others finish in no time of that clock,
however slowly a loaded machine runs them, and the stuck ones stall and time out exactly at
their limits, not before.
"""

import os
import platform
import sys
import threading
import time

import pytest

from core.batch.rules import TERMINAL_STATES, Batch, Job, SongState
from core.batch.runner import BatchRunner, run_job
from core.errors import AnalysisCancelled, CorruptFileError
from core.io.results import SongResult
from core.settings import AnalysisSettings
from tests.core.clocks import HandClock

WAIT_S = 20.0  # upper bound of every wait below; a pass takes a fraction of a second
EPS = 1e-6  # s: a step of the test's clock just short of a limit


def _fake_analyze(release: threading.Event):
    def analyze(path, *, settings, progress, should_cancel):
        if "stuck" in path:
            release.wait(30)  # a decoder that never returns on its own
            return SongResult(path=path, status="done")
        if "bad" in path:
            raise CorruptFileError(path, "the data is damaged")
        if "boom" in path:
            raise RuntimeError("analyzer bug")
        if "oom" in path:
            raise MemoryError
        for i in range(3):
            if should_cancel():
                raise AnalysisCancelled(path)
            time.sleep(0.01)  # a little work per chunk
            progress(i + 1, 3, 9.0)
        return SongResult(path=path, status="done", bpm=120.0)
    return analyze


class SpyBatch(Batch):
    """A batch that records the outcome of every ``finish`` report."""

    def __init__(self, *a, **kw):
        super().__init__(*a, **kw)
        self.finish_reports: list[tuple[str, bool]] = []
        self.reported = threading.Condition()

    def finish(self, job_id, attempt, result):
        kept = super().finish(job_id, attempt, result)
        with self.reported:
            # (a worker names its song by the job itself: its place may move)
            job = job_id if isinstance(job_id, Job) else self.jobs[job_id]
            self.finish_reports.append((job.path, kept))
            self.reported.notify_all()
        return kept

    def wait_for_report(self, path) -> list[bool]:
        with self.reported:
            self.reported.wait_for(lambda: any(p == path for p, _ in self.finish_reports),
                                   timeout=WAIT_S)
            return [kept for p, kept in self.finish_reports if p == path]


class WatchdogTicks:
    """An ``on_change`` of the runner that records the changes and counts the watchdog's
    ticks, so a test can wait until the watchdog has looked at the batch again."""

    def __init__(self):
        self.seen: list[tuple[str, SongState]] = []
        self.ticks = 0
        self._cond = threading.Condition()

    def __call__(self, batch, changed) -> None:
        with self._cond:
            self.seen.extend((j.path, j.state) for j in changed)
            self.ticks += 1
            self._cond.notify_all()

    def wait_until(self, condition) -> None:
        """Wait (bounded) until ``condition()`` holds at a tick."""
        with self._cond:
            assert self._cond.wait_for(condition, timeout=WAIT_S), "the watchdog did not get there"

    def wait_ticks(self, n: int = 2) -> None:
        """Wait for ``n`` more ticks: the last began after this call, so it saw the clock
        as the test left it."""
        with self._cond:
            target = self.ticks + n
        self.wait_until(lambda: self.ticks >= target)


def _start(runner: BatchRunner) -> tuple[BatchRunner, threading.Thread, list]:
    """Run the batch in a thread; :func:`_joined` waits for its end."""
    errors = []

    def target():
        try:
            runner.run()
        except BaseException as err:  # pragma: no cover - reported by _joined
            errors.append(err)

    t = threading.Thread(target=target, name="test-runner")
    t.start()
    return runner, t, errors


def _joined(run: tuple[BatchRunner, threading.Thread, list]) -> None:
    """Fail (instead of hanging) if the batch does not end in time; a run that does not
    end is stopped, so that its thread does not outlive the test."""
    runner, t, errors = run
    t.join(WAIT_S)
    finished = not t.is_alive()
    if not finished:
        runner.request_stop()
        t.join(WAIT_S)
    assert finished, "the batch did not finish"
    assert not errors, errors


def _run_bounded(runner: BatchRunner) -> None:
    """Run the batch in a thread; fail (instead of hanging) if it does not end in time."""
    _joined(_start(runner))


@pytest.mark.parametrize("factor", [1.5, 4.0])
def test_stuck_song_times_out_and_batch_finishes(factor):
    release = threading.Event()
    budget = 10.0  # s of the test's clock: none passes unless the test moves it
    settings = AnalysisSettings(workers=2, budget_base_s=budget, budget_factor=0.0,
                                hard_limit_factor=factor)
    paths = ["stuck.wav"] + [f"s{i}.wav" for i in range(6)] + ["bad.wav", "boom.wav", "oom.wav"]
    clock = HandClock()
    batch = SpyBatch(paths, settings=settings, clock=clock)
    watch = WatchdogTicks()
    by_path = {j.path: j for j in batch.jobs}
    stuck = by_path["stuck.wav"]
    others = [j for j in batch.jobs if j is not stuck]
    run = _start(BatchRunner(batch, analyze=_fake_analyze(release), tick_s=0.02,
                             on_change=watch))
    try:
        watch.wait_until(lambda: stuck.state is SongState.RUNNING
                         and all(j.state in TERMINAL_STATES for j in others))
        clock.set(budget - EPS)
        watch.wait_ticks()
        assert stuck.state is SongState.RUNNING  # not stalled before its budget
        clock.set(budget)
        watch.wait_until(lambda: stuck.state is SongState.STALLED)
        clock.set(budget * factor - EPS)
        watch.wait_ticks()
        assert stuck.state is SongState.STALLED  # not timed out before its hard limit
        clock.set(budget * factor)
        _joined(run)
    finally:
        release.set()
    assert stuck.state is SongState.TIMED_OUT
    assert stuck.elapsed() == pytest.approx(budget * factor)
    assert ("stuck.wav", SongState.STALLED) in watch.seen
    assert ("stuck.wav", SongState.TIMED_OUT) in watch.seen
    assert all(by_path[f"s{i}.wav"].state is SongState.DONE for i in range(6))
    assert all(by_path[f"s{i}.wav"].result.bpm == 120.0 for i in range(6))
    assert by_path["bad.wav"].state is SongState.FAILED
    assert by_path["bad.wav"].error == "the data is damaged"
    assert by_path["boom.wav"].error == "internal error: RuntimeError: analyzer bug"
    assert by_path["oom.wav"].error == "ran out of memory while analyzing this file"
    # The abandoned worker answers once released: its result is discarded.
    assert batch.wait_for_report("stuck.wav") == [False]
    assert stuck.state is SongState.TIMED_OUT


def test_a_stop_abandons_a_song_that_ignores_the_cancel_after_the_grace_time():
    # The budgets are long: only the stop request can end the stuck song.
    release = threading.Event()
    settings = AnalysisSettings(workers=1, budget_base_s=60.0, budget_factor=0.0,
                                hard_limit_factor=4.0)
    batch = SpyBatch(["stuck.wav", "a.wav", "b.wav"], settings=settings)
    runner = BatchRunner(batch, analyze=_fake_analyze(release), tick_s=0.02,
                         cancel_grace_s=0.3)
    started = threading.Event()

    def stop_when_running():
        deadline = time.monotonic() + WAIT_S
        while batch.jobs[0].state is not SongState.RUNNING and time.monotonic() < deadline:
            time.sleep(0.01)
        started.set()
        runner.request_stop(15)

    stopper = threading.Thread(target=stop_when_running)
    stopper.start()
    try:
        t0 = time.monotonic()
        _run_bounded(runner)
        ended_after = time.monotonic() - t0
    finally:
        release.set()
        stopper.join(WAIT_S)
    assert started.is_set() and runner.stopped_by == 15
    stuck, a, b = batch.jobs
    assert stuck.state is SongState.CANCELLED and stuck.error == "cancelled"
    assert ended_after < 30.0  # long before the stuck song's own hard limit (240 s)
    assert a.state is SongState.CANCELLED and b.state is SongState.CANCELLED
    assert a.error == b.error == "cancelled before it started"
    # The abandoned worker answers once released: its late result is discarded.
    assert batch.wait_for_report("stuck.wav") == [False]
    assert stuck.state is SongState.CANCELLED


def test_all_workers_stuck_still_finishes():
    release = threading.Event()
    budget, factor = 10.0, 1.5  # s of the test's clock
    settings = AnalysisSettings(workers=2, budget_base_s=budget, budget_factor=0.0,
                                hard_limit_factor=factor)
    clock = HandClock()
    batch = SpyBatch(["stuck1.wav", "stuck2.wav", "a.wav", "b.wav"], settings=settings,
                     clock=clock)
    stuck1, stuck2, a, b = batch.jobs
    watch = WatchdogTicks()
    run = _start(BatchRunner(batch, analyze=_fake_analyze(release), tick_s=0.02,
                             on_change=watch))
    try:
        watch.wait_until(lambda: stuck1.state is SongState.RUNNING
                         and stuck2.state is SongState.RUNNING)
        clock.set(budget * factor - EPS)
        watch.wait_ticks()
        # every worker is held, the two songs behind them wait: until the hard limit
        assert stuck1.state is stuck2.state is SongState.STALLED
        assert a.state is b.state is SongState.QUEUED
        clock.set(budget * factor)
        _joined(run)
    finally:
        release.set()
    c = batch.counts()
    assert c[SongState.TIMED_OUT] == 2 and c[SongState.DONE] == 2
    assert stuck1.state is stuck2.state is SongState.TIMED_OUT
    assert a.state is b.state is SongState.DONE
    assert batch.wait_for_report("stuck1.wav") == [False]
    assert batch.wait_for_report("stuck2.wav") == [False]


def test_worker_on_an_old_attempt_stops_after_the_song_is_started_again():
    from core.batch.runner import run_job
    from core.errors import AnalysisCancelled

    batch = Batch(["a.wav"], settings=AnalysisSettings(workers=2))
    go, seen = threading.Event(), []

    def analyze(path, *, settings, progress=None, should_cancel=None):
        go.wait(10)
        seen.append(should_cancel())
        if should_cancel():
            raise AnalysisCancelled(path)
        return SongResult(path=path, status="done")

    job, first = batch.claim("w1")
    worker = threading.Thread(target=run_job, args=(batch, job, first, analyze))
    worker.start()
    assert batch.skip(job.id)
    assert batch.requeue([job.id]) == [job]
    _, second = batch.claim("w2")  # the song runs again, with a fresh cancel event
    assert second == first + 1 and not job.cancel_event.is_set()
    go.set()
    worker.join(10)
    assert seen == [True]  # the first attempt was told to stop
    assert job.state is SongState.RUNNING and job.attempt == second


def test_a_song_within_a_long_hard_limit_is_waited_for():
    # A stalled song keeps its worker: it ends normally once it is done.
    gate = threading.Event()

    def analyze(path, *, settings, progress, should_cancel):
        gate.wait(WAIT_S)
        return SongResult(path=path, status="done")

    settings = AnalysisSettings(workers=1, budget_base_s=0.1, budget_factor=0.0,
                                hard_limit_factor=100.0)
    batch = Batch(["slow.wav"], settings=settings)
    stalled = threading.Event()

    def on_change(b, changed):
        if any(j.state is SongState.STALLED for j in changed):
            stalled.set()
            gate.set()

    _run_bounded(BatchRunner(batch, analyze=analyze, tick_s=0.02, on_change=on_change))
    assert stalled.is_set() and batch.jobs[0].state is SongState.DONE


def test_the_run_returns_when_the_last_song_ends_not_at_the_next_tick():
    # The watchdog's tick (two bounds long) would hold the command line's exit long after
    # its last song: a song's end wakes it.  The song ends only after the watchdog has
    # looked once, so the run cannot have seen the batch finished at its first look.
    looked = threading.Event()

    def analyze(path, *, settings, progress, should_cancel):
        looked.wait(WAIT_S)
        return SongResult(path=path, status="done")

    batch = Batch(["a.wav", "b.wav"], settings=AnalysisSettings(workers=2))
    runner = BatchRunner(batch, analyze=analyze, workers=2, tick_s=2 * WAIT_S,
                         on_change=lambda b, changed: looked.set())
    runner, t, errors = _start(runner)
    t.join(WAIT_S)
    ended = not t.is_alive()
    if not ended:  # (the old way: it ends at its next tick; let the thread go first)
        t.join(3 * WAIT_S)
    assert ended, "the run waited for its next tick after the last song ended"
    assert not errors and batch.is_finished
    assert [j.state for j in batch.jobs] == [SongState.DONE, SongState.DONE]


def test_run_job_turns_a_cancel_into_a_cancelled_song():
    batch = Batch(["a.wav"], settings=AnalysisSettings(workers=1))
    job, attempt = batch.claim("w1")
    job.cancel_event.set()
    run_job(batch, job, attempt, _fake_analyze(threading.Event()))
    assert job.state is SongState.CANCELLED and job.error == "cancelled"


def test_worker_count_must_be_positive():
    with pytest.raises(ValueError, match="workers must be >= 1"):
        BatchRunner(Batch([]), analyze=lambda *a, **k: None, workers=-1)


def test_workers_that_keep_crashing_end_the_batch_instead_of_spinning():
    class BrokenClaim(Batch):
        def claim(self, worker=""):
            raise RuntimeError("rules bug")

    batch = BrokenClaim(["a.wav", "b.wav"], settings=AnalysisSettings(workers=2))
    runner = BatchRunner(batch, analyze=_fake_analyze(threading.Event()), tick_s=0.01)
    _run_bounded(runner)
    assert batch.is_finished
    assert all("internal error: the workers stopped (RuntimeError: rules bug)" in j.error
               for j in batch.jobs)
    assert runner._serial < 20  # a bounded number of threads was started


def test_a_run_shortens_the_thread_switch_interval_and_never_lengthens_it():
    """Workers waiting for each other's GIL idle their cores: a run lowers the interval."""
    import json
    import os
    import subprocess
    import sys
    import textwrap

    code = textwrap.dedent("""
        import json, sys
        from core.batch.rules import Batch
        from core.batch.runner import BatchRunner
        from core.io.results import SongResult
        from core.settings import AnalysisSettings

        def analyze(path, *, settings, progress, should_cancel):
            return SongResult(path=path, status="done", bpm=120.0)

        out = {"before": sys.getswitchinterval()}
        batch = Batch(["a.wav", "b.wav"], settings=AnalysisSettings(workers=2))
        BatchRunner(batch, analyze=analyze, workers=2, tick_s=0.01).run()
        out["after"] = sys.getswitchinterval()
        sys.setswitchinterval(1e-5)  # already shorter: a run keeps it
        BatchRunner(Batch(["c.wav"]), analyze=analyze, workers=1, tick_s=0.01).run()
        out["kept"] = sys.getswitchinterval()
        print(json.dumps(out))
    """)
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    got = json.loads(subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True,
                                    text=True, timeout=60, check=True).stdout.splitlines()[-1])
    from core.batch.runner import SWITCH_INTERVAL_S

    assert got["before"] > SWITCH_INTERVAL_S  # the interpreter's default (5 ms)
    assert got["after"] == pytest.approx(SWITCH_INTERVAL_S, rel=0.01)
    assert got["kept"] == pytest.approx(1e-5, rel=0.01)


_FAULTS_OF_A_SECOND_ARRAY = """
import resource, sys
import numpy as np
if sys.argv[1] == "keep":
    from core.batch.runner import keep_freed_memory
    assert keep_freed_memory()
def faults():
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt
# 3 MB, a song's block of samples or spectra (under the 4 MB from which numpy asks for huge
# pages, whose faults would be counted 2 MB at a time)
a = np.ones(375_000); del a
before = faults()
b = np.ones(375_000); del b
print(faults() - before)
"""


@pytest.mark.skipif(not sys.platform.startswith("linux") or platform.libc_ver()[0] != "glibc",
                    reason="glibc's malloc only")
@pytest.mark.parametrize("nanny", [False, True])
def test_freed_arrays_are_reused_without_page_faults(nanny):
    """With :func:`keep_freed_memory`, an array freed and made again comes from memory the
    process kept (no page is faulted in again); with glibc's defaults it is mapped afresh,
    and so it is in a Dask worker, whose nanny sets MALLOC_TRIM_THRESHOLD_.  Each in a fresh
    process: the setting is process-wide."""
    import subprocess

    env = {k: v for k, v in os.environ.items() if not k.startswith("MALLOC_")}
    if nanny:
        env["MALLOC_TRIM_THRESHOLD_"] = "65536"

    def faults(mode):
        out = subprocess.run([sys.executable, "-c", _FAULTS_OF_A_SECOND_ARRAY, mode],
                             capture_output=True, text=True, check=True, timeout=60, env=env,
                             cwd=os.path.dirname(os.path.dirname(os.path.dirname(
                                 os.path.abspath(__file__)))))
        return int(out.stdout.split()[-1])

    assert faults("keep") < 20
    assert faults("default") > 500  # 768 pages of 4 KB
