"""The batch rules: states, budgets, stalls, timeouts and stale reports."""

import pytest

from core.batch.rules import Batch, SongState, budget_for, hard_limit_for
from core.io.results import SongResult
from core.settings import AnalysisSettings


class FakeClock:
    def __init__(self):
        self.t = 1000.0

    def __call__(self):
        return self.t


@pytest.fixture
def settings():
    return AnalysisSettings(workers=2, budget_base_s=10.0, budget_factor=0.5,
                            hard_limit_factor=2.0)


def test_budget_is_base_plus_factor_times_duration(settings):
    assert budget_for(None, settings) == 10.0
    assert budget_for(60.0, settings) == 40.0
    assert hard_limit_for(60.0, settings) == 80.0


def test_claim_runs_songs_in_order_and_finish_marks_done(settings):
    b = Batch(["a.wav", "b.wav"], settings=settings)
    job, attempt = b.claim("w1")
    assert job.path == "a.wav" and attempt == 1 and job.state is SongState.RUNNING
    assert b.finish(job.id, attempt, SongResult(path="a.wav", status="done"))
    assert job.state is SongState.DONE
    job2, _ = b.claim("w2")
    assert job2.path == "b.wav"
    assert b.claim("w1") is None
    assert not b.is_finished


def test_stall_then_timeout_and_late_result_discarded(settings):
    clock = FakeClock()
    b = Batch(["slow.wav", "ok.wav"], settings=settings, clock=clock)
    job, attempt = b.claim("w1")
    b.progress(job.id, attempt, 1, 4, duration_s=20.0)  # budget 20 s, hard limit 40 s
    clock.t += 19.0
    assert b.check() == []
    clock.t += 2.0
    assert b.check() == [job] and job.state is SongState.STALLED
    assert b.stalled() == [job]
    clock.t += 20.0
    assert b.check() == [job] and job.state is SongState.TIMED_OUT
    assert job.cancel_event.is_set()
    assert "timed out" in job.error
    # The abandoned worker finally answers: ignored.
    assert not b.finish(job.id, attempt, SongResult(path="slow.wav", status="done"))
    assert job.state is SongState.TIMED_OUT
    other, a2 = b.claim("w2")
    b.finish(other.id, a2, SongResult(path="ok.wav", status="done"))
    assert b.is_finished
    assert b.counts()[SongState.TIMED_OUT] == 1


def test_skip_discards_the_running_attempt(settings):
    b = Batch(["a.wav"], settings=settings)
    job, attempt = b.claim("w1")
    assert b.skip(job.id)
    assert job.state is SongState.SKIPPED and job.should_cancel()
    assert not b.progress(job.id, attempt, 1, 2)
    assert not b.finish(job.id, attempt, SongResult(path="a.wav", status="done"))
    assert b.is_finished


def test_cancel_cancels_queued_and_signals_running(settings):
    b = Batch(["a.wav", "b.wav", "c.wav"], settings=settings)
    job, attempt = b.claim("w1")
    changed = b.cancel()
    assert [j.path for j in changed] == ["b.wav", "c.wav"]
    assert job.should_cancel() and b.claim("w2") is None
    assert not b.is_finished
    b.fail(job.id, attempt, "cancelled", cancelled=True)
    assert job.state is SongState.CANCELLED and b.is_finished


def test_retry_failed_requeues_with_a_new_attempt(settings):
    b = Batch(["a.wav"], settings=settings)
    job, attempt = b.claim("w1")
    b.fail(job.id, attempt, "corrupt")
    assert b.requeue() == [job] and job.state is SongState.QUEUED
    job2, attempt2 = b.claim("w1")
    assert job2 is job and attempt2 == attempt + 1
    # A late failure report from the first attempt is stale.
    assert not b.fail(job.id, attempt, "late")
    assert job.state is SongState.RUNNING


def test_force_requeues_done_songs_only_with_force(settings):
    b = Batch(["a.wav"], settings=settings)
    job, attempt = b.claim("w1")
    b.finish(job.id, attempt, SongResult(path="a.wav", status="done"))
    assert b.requeue() == []
    assert b.requeue(force=True) == [job] and job.force


def test_pause_stops_dispatch(settings):
    b = Batch(["a.wav"], settings=settings)
    b.pause()
    assert b.paused and b.claim("w1") is None
    b.resume()
    assert not b.paused and b.claim("w1") is not None


def test_begin_clears_cancel_and_pause_and_takes_new_settings(settings):
    b = Batch(["a.wav", "b.wav"], settings=settings)
    job, attempt = b.claim("w1")
    b.cancel()
    b.pause()
    assert b.claim("w2") is None
    assert b.requeue() == [b.jobs[1]]  # the song cancelled while queued
    slower = AnalysisSettings(workers=1, budget_base_s=99.0)
    b.begin(slower)
    assert not b.cancelled and not b.paused and b.settings is slower
    assert b.budget(b.jobs[1]) == 99.0
    other, _ = b.claim("w2")
    assert other.path == "b.wav"
    b.begin()  # without settings: the current ones stay
    assert b.settings is slower


def test_batch_state_changes_only_through_methods(settings):
    b = Batch(["a.wav"], settings=settings)
    for name, value in (("paused", True), ("cancelled", True), ("settings", settings),
                        ("finished_at", None), ("started_at", 0.0), ("jobs", [])):
        with pytest.raises(AttributeError):
            setattr(b, name, value)


def test_results_keep_batch_order_and_failed_rows(settings):
    b = Batch(["a.wav"], settings=settings)
    b.add_failed("missing.wav", "file not found")
    rows = b.results()
    assert [r.path for r in rows] == ["a.wav", "missing.wav"]
    assert rows[1].status == "failed" and rows[1].error == "file not found"


def test_rate_counts_at_least_one_second(settings):
    clock = FakeClock()
    b = Batch(["a.wav", "b.wav", "c.wav"], settings=settings, clock=clock)
    for _ in range(2):
        job, attempt = b.claim("w1")
        b.finish(job.id, attempt, SongResult(path=job.path, status="done"))
    clock.t += 0.01
    assert b.rate_per_minute() == 120.0  # two songs in 10 ms count as two in one second
    clock.t += 59.99
    assert b.rate_per_minute() == 2.0
