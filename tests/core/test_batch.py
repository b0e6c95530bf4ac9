"""The batch rules: states, budgets, stalls, timeouts and stale reports.

Every time-dependent rule is driven by the batch's injectable clock, never by sleeping.
Budgets are checked at their boundaries (one tick before, exactly at) and with hard-limit
factors other than the default, so that a rule wired to a constant or to the wrong song shows.
"""

import dataclasses

import pytest

from core.batch.rules import (
    ACTIVE_STATES,
    CHANGED_NOTE,
    RESULT_WAIT_MIN_S,
    TERMINAL_STATES,
    USER_TEMPO_RANGE,
    Batch,
    Job,
    SongState,
    budget_for,
    hard_limit_for,
    result_lost,
    scaled_user_tempo,
    seconds_text,
)
from core.io.results import SongResult
from core.settings import AnalysisSettings
from tests.core.clocks import HandClock

EPS = 1e-6  # one clock tick before a boundary


def _settings(hard_limit_factor=2.0, **kw):
    kw = {"workers": 2, "budget_base_s": 10.0, "budget_factor": 0.5, **kw}
    return AnalysisSettings(hard_limit_factor=hard_limit_factor, **kw)


@pytest.fixture
def settings():
    return _settings()


def _done(job):
    return SongResult(path=job.path, status="done", duration_s=12.5)


# -- settings -----------------------------------------------------------------------------


@pytest.mark.parametrize("floor", [0.0, 40.0, 88.0, 130.0])
def test_a_tempo_range_is_none_or_an_octave_from_40_to_130_bpm(floor):
    assert AnalysisSettings(workers=1, tempo_floor_bpm=floor).tempo_floor_bpm == floor


@pytest.mark.parametrize("floor", [-1.0, 1.0, 39.9, 131.0, float("nan"), "88"])
def test_another_tempo_range_is_refused(floor):
    with pytest.raises(ValueError, match="tempo_floor_bpm"):
        AnalysisSettings(workers=1, tempo_floor_bpm=floor)


def test_a_tempo_range_changes_the_settings_fingerprint():
    plain = AnalysisSettings(workers=1)
    ranged = {AnalysisSettings(workers=1, tempo_floor_bpm=f).fingerprint() for f in (70, 88)}
    assert len(ranged) == 2 and plain.fingerprint() not in ranged
    assert AnalysisSettings(workers=4, budget_base_s=60.0).fingerprint() == plain.fingerprint()
    assert AnalysisSettings(workers=1, chunk_seconds=20.0).fingerprint() != plain.fingerprint()


def test_another_build_of_the_analyzer_changes_the_settings_fingerprint(monkeypatch):
    import core.analysis.identity as identity

    plain = AnalysisSettings(workers=1)
    before = plain.fingerprint()
    monkeypatch.setattr(identity, "analyzer_id", lambda: "0123456789ab")
    assert plain.fingerprint() != before  # results stored by another build are not served
    assert AnalysisSettings(workers=3).fingerprint() == plain.fingerprint()


# -- budgets ------------------------------------------------------------------------------


def test_budget_is_base_plus_factor_times_duration(settings):
    assert budget_for(None, settings) == 10.0
    assert budget_for(60.0, settings) == 40.0
    assert budget_for(-5.0, settings) == 10.0  # a bogus negative duration adds nothing
    assert hard_limit_for(60.0, settings) == 80.0
    assert hard_limit_for(None, settings) == 20.0


@pytest.mark.parametrize("factor", [1.5, 4.0])
def test_hard_limit_follows_the_setting(factor):
    s = _settings(factor, budget_base_s=8.0, budget_factor=0.25)
    assert budget_for(40.0, s) == 18.0
    assert hard_limit_for(40.0, s) == pytest.approx(18.0 * factor)
    b = Batch(["a.wav"], settings=s)
    job = b.jobs[0]
    job.duration_s = 40.0
    assert b.budget(job) == 18.0 and b.hard_limit(job) == pytest.approx(18.0 * factor)


# -- stall and time-out boundaries --------------------------------------------------------


def test_a_limit_under_ten_seconds_is_said_in_tenths():
    """A hard limit of 0.3 s read "timed out after 0 s (hard limit 0 s)"."""
    clock = HandClock()
    b = Batch(["quick.wav"], settings=_settings(1.5, budget_base_s=0.2, budget_factor=0.0),
              clock=clock)
    job, attempt = b.claim("w1")
    clock.t += 0.34
    assert b.check() == [job] and job.state is SongState.TIMED_OUT
    assert job.error == "timed out after 0.3 s (hard limit 0.3 s)"


@pytest.mark.parametrize("factor", [1.5, 4.0])
def test_stall_and_timeout_exactly_at_their_limits(factor):
    clock = HandClock()
    b = Batch(["slow.wav"], settings=_settings(factor), clock=clock)
    job, attempt = b.claim("w1")
    start = clock.t
    assert b.progress(job.id, attempt, 1, 4, duration_s=20.0)  # budget 20 s
    hard = 20.0 * factor

    clock.t = start + 20.0 - EPS
    assert b.check() == [] and job.state is SongState.RUNNING
    clock.t = start + 20.0
    assert b.check() == [job] and job.state is SongState.STALLED
    assert job.stalled_at == start + 20.0
    assert b.stalled() == [job]
    clock.t = start + hard - EPS
    assert b.check() == [] and job.state is SongState.STALLED  # reported once, stays stalled
    assert not job.should_cancel()
    clock.t = start + hard
    assert b.check() == [job] and job.state is SongState.TIMED_OUT
    assert job.should_cancel() and b.stalled() == []
    assert job.finished_at == start + hard
    assert job.error == f"timed out after {hard:.0f} s (hard limit {hard:.0f} s)"
    r = job.result
    assert (r.path, r.status, r.error) == ("slow.wav", "timed out", job.error)
    assert r.duration_s == 20.0 and r.analysis_s == pytest.approx(hard)
    assert b.is_finished and b.finished_at == start + hard
    clock.t += 100.0
    assert b.check() == []  # a terminal song is left alone
    assert job.elapsed() == pytest.approx(hard)  # frozen at the time-out


@pytest.mark.parametrize("factor", [1.5, 4.0])
def test_running_song_past_its_hard_limit_times_out_without_being_stalled_first(factor):
    # The watchdog may not have looked while the song crossed its budget (a busy machine).
    clock = HandClock()
    b = Batch(["stuck.wav"], settings=_settings(factor), clock=clock)
    job, _ = b.claim("w1")
    clock.t += 10.0 * factor  # no duration known: budget 10 s
    assert b.check() == [job]
    assert job.state is SongState.TIMED_OUT and job.stalled_at is None


def test_a_song_that_ended_where_it_ran_is_not_timed_out_while_its_outcome_is_on_its_way():
    # A cluster engine knows a song's task has ended before its result is settled (the
    # settles run one after another): the rules leave that song to its outcome.
    clock = HandClock()
    b = Batch(["ended.wav", "stuck.wav"], settings=_settings(2.0), clock=clock)
    ended, attempt = b.claim("w1")
    stuck, _ = b.claim("w2")
    clock.t += 25.0  # past both hard limits (budget 10 s)
    assert b.check(ended={(ended.id, attempt), (stuck.id, attempt + 1)}) == [stuck]
    assert ended.state is SongState.RUNNING and stuck.state is SongState.TIMED_OUT
    assert b.finish(ended.id, attempt, SongResult(path="ended.wav", status="done"))
    assert ended.state is SongState.DONE


@pytest.mark.parametrize("factor", [1.5, 4.0])
def test_a_song_that_waits_in_a_cluster_queue_is_timed_from_its_start(factor):
    # A cluster engine hands a song to the scheduler, where it may wait for a worker
    # thread: its budget and hard limit count from its start on the worker.
    clock = HandClock()
    b = Batch(["queued.wav", "other.wav"], settings=_settings(factor), clock=clock)
    job, attempt = b.claim("slot", starts_later=True)
    clock.t += 10.0 * factor + 100.0  # far past the hard limit (budget 10 s), waiting
    assert b.check() == [] and job.state is SongState.RUNNING
    assert job.elapsed() == 0.0
    start = clock.t
    assert b.started(job.id, attempt, "host:1/0") and job.worker == "host:1/0"
    assert job.started_at == start and not job.waiting
    clock.t = start + 10.0 - EPS
    assert b.check() == [] and job.state is SongState.RUNNING
    clock.t = start + 10.0
    assert b.check() == [job] and job.state is SongState.STALLED
    # Run again from its start on another worker (the first one was lost): a new clock.
    restart = clock.t + 3.0
    clock.t = restart
    assert b.started(job.id, attempt, "host:2/0")
    assert job.state is SongState.RUNNING and job.stalled_at is None
    clock.t = restart + 10.0 * factor - EPS
    assert [j.id for j in b.check()] == [job.id] and job.state is SongState.STALLED
    clock.t = restart + 10.0 * factor
    assert b.check() == [job] and job.state is SongState.TIMED_OUT
    assert job.result.analysis_s == pytest.approx(10.0 * factor)
    assert not b.started(job.id, attempt, "host:3/0")  # stale: it has ended
    # A song that fails before it ever started took no analysis time.
    other, attempt = b.claim("slot", starts_later=True)
    clock.t += 50.0
    assert b.fail(other.id, attempt, "the cluster dropped this song")
    assert other.result.analysis_s == 0.0
    # A song claimed by an engine that starts it at once is timed from its claim.
    b.requeue([other.id])
    other, _ = b.claim("W1")
    assert not other.waiting
    clock.t += 10.0 * factor
    assert b.check() == [other] and other.state is SongState.TIMED_OUT



def test_a_song_whose_cluster_worker_was_lost_waits_queued_and_is_timed_from_its_rerun():
    # A cluster engine sees the worker running a song leave: the scheduler runs the song
    # again once a worker thread is free.  Meanwhile it is queued, without a clock.
    clock = HandClock()
    b = Batch(["lost.wav"], settings=_settings(2.0), clock=clock)
    job, attempt = b.claim("slot", starts_later=True)
    assert b.started(job.id, attempt, "host:1/0")
    b.progress(job.id, attempt, 2, 4)
    clock.t += 12.0  # past its budget (10 s)
    assert b.check() == [job] and job.state is SongState.STALLED
    assert b.waits_again(job.id, attempt) == pytest.approx(12.0)  # (for the log)
    assert job.state is SongState.RUNNING and job.status is SongState.QUEUED
    assert job.elapsed() == 0.0 and job.chunk == 0 and job.stalled_at is None
    assert b.waits_again(job.id, attempt) is None  # (already waiting)
    assert not b.progress(job.id, attempt, 3, 4)  # a late report of the lost run
    clock.t += 100.0  # far past its hard limit (20 s), waiting
    assert b.check() == [] and job.state is SongState.RUNNING
    restart = clock.t
    assert b.started(job.id, attempt, "host:2/0") and job.status is SongState.RUNNING
    clock.t = restart + 20.0 - EPS
    assert b.check() == [job] and job.state is SongState.STALLED  # (past 10 s only)
    clock.t = restart + 20.0
    assert b.check() == [job] and job.state is SongState.TIMED_OUT
    assert b.waits_again(job.id, attempt) is None  # stale: it has ended


def test_a_song_ended_on_its_worker_keeps_its_run_time_however_late_it_is_settled():
    # A cluster engine hears a song's task end on its worker before its outcome is settled
    # (behind another song's save): its clock stops there.
    clock = HandClock()
    b = Batch(["a.wav", "b.wav", "c.wav"], settings=_settings(2.0), clock=clock)
    done, attempt = b.claim("slot", starts_later=True)
    failed, attempt_f = b.claim("slot", starts_later=True)
    assert not b.ended_on_worker(done.id, attempt)  # (not started: a late report)
    b.started(done.id, attempt, "host:1/0")
    b.started(failed.id, attempt_f, "host:2/0")
    clock.t += 4.0
    assert b.ended_on_worker(done.id, attempt) and b.ended_on_worker(failed.id, attempt_f)
    clock.t += 25.0  # past the hard limit (20 s) while their outcomes wait
    assert b.check() == [] and done.elapsed() == 4.0
    assert b.finish(done.id, attempt, SongResult(path="a.wav", status="done"))
    assert done.result.analysis_s == 4.0 and done.finished_at == 1004.0
    assert b.fail(failed.id, attempt_f, "the data is damaged")
    assert failed.result.analysis_s == 4.0
    # Its worker lost after it ended (its result with it): it runs again, timed afresh.
    other, attempt_o = b.claim("slot", starts_later=True)
    b.started(other.id, attempt_o, "host:1/0")
    assert b.ended_on_worker(other.id, attempt_o) and b.waits_again(other.id, attempt_o) == 0.0
    assert other.finished_at is None
    clock.t += 5.0
    b.started(other.id, attempt_o, "host:2/0")
    clock.t += 20.0
    assert b.check() == [other] and other.state is SongState.TIMED_OUT

def test_a_song_whose_result_never_comes_after_its_end_fails_and_the_batch_ends():
    # The worker ended the song (its clock stopped) but its outcome never reached the
    # engine: the batch fails it once it has waited its hard limit (at least 30 s) from that
    # end, saying so, instead of waiting for it for ever.  A song whose outcome has come
    # and waits to be settled (``ended``) is left alone; one still running times out.
    clock = HandClock()
    b = Batch(["lost.wav", "settling.wav", "stuck.wav"], settings=_settings(2.0, workers=3),
              clock=clock)
    lost, attempt = b.claim("slot", starts_later=True)
    settling, attempt_s = b.claim("slot", starts_later=True)
    stuck, attempt_k = b.claim("slot", starts_later=True)
    for job, att in ((lost, attempt), (settling, attempt_s), (stuck, attempt_k)):
        assert b.started(job.id, att, "host:1/0")
    clock.t += 4.1234
    assert b.ended_on_worker(lost.id, attempt) and b.ended_on_worker(settling.id, attempt_s)
    assert b.result_wait(lost) == RESULT_WAIT_MIN_S  # (the hard limit is 20 s)
    clock.t += RESULT_WAIT_MIN_S - EPS
    ended = {(settling.id, attempt_s)}
    assert b.check(ended=ended) == [stuck] and stuck.state is SongState.TIMED_OUT
    assert lost.state is SongState.RUNNING
    clock.t += EPS
    assert b.check(ended=ended) == [lost]
    assert lost.state is SongState.FAILED and lost.result.analysis_s == 4.123  # (to the ms)
    assert lost.error == ("its analysis ended on host:1/0, but its result did not arrive "
                          "within 30 s; analyze it again")
    assert not b.finish(lost.id, attempt, SongResult(path="lost.wav", status="done"))
    assert not b.is_finished and settling.state is SongState.RUNNING
    assert b.finish(settling.id, attempt_s, SongResult(path="settling.wav", status="done"))
    assert b.is_finished
    # A song with a longer hard limit waits that long for its outcome.
    b.set_settings(_settings(10.0))
    assert b.requeue([lost.id]) == [lost]
    job, attempt = b.claim("slot", starts_later=True)
    assert b.started(job.id, attempt, "host:2/0") and b.ended_on_worker(job.id, attempt)
    assert b.result_wait(job) == 100.0
    clock.t += 100.0 - EPS
    assert b.check() == []
    clock.t += EPS
    assert b.check() == [job] and "within 100 s" in job.error


def test_a_song_still_waiting_in_the_queue_does_not_shield_the_songs_after_it():
    # The first song handed over waits for a worker thread; the second started at once on
    # another: the second still times out at its own hard limit.
    clock = HandClock()
    b = Batch(["waits.wav", "runs.wav"], settings=_settings(2.0), clock=clock)
    first, _ = b.claim("slot1", starts_later=True)
    second, attempt = b.claim("slot2", starts_later=True)
    assert b.started(second.id, attempt, "host:1/0")
    clock.t += 20.0  # the hard limit (budget 10 s, factor 2)
    assert b.check() == [second] and second.state is SongState.TIMED_OUT
    assert first.state is SongState.RUNNING and first.waiting

def test_a_song_waiting_in_a_cluster_queue_is_told_as_queued_until_it_starts():
    # Handed to a cluster's scheduler, not started on a worker: the batch's rules count it
    # among the songs handed over (running), what the user is told says queued.
    clock = HandClock()
    b = Batch(["waits.wav", "later.wav"], settings=_settings(2.0), clock=clock)
    job, attempt = b.claim("slot", starts_later=True)
    assert job.state is SongState.RUNNING and job.status is SongState.QUEUED
    assert b.counts()[SongState.RUNNING] == 1 and b.counts()[SongState.QUEUED] == 1
    shown = b.status_counts()
    assert shown[SongState.RUNNING] == 0 and shown[SongState.QUEUED] == 2
    assert [r.status for r in b.results()] == ["queued", "queued"]
    clock.t += 5.0
    assert b.started(job.id, attempt, "host:1/0")
    assert job.status is SongState.RUNNING
    shown = b.status_counts()
    assert shown[SongState.RUNNING] == 1 and shown[SongState.QUEUED] == 1
    assert [r.status for r in b.results()] == ["running", "queued"]
    clock.t += 10.0  # past its budget: stalled, told as stalled
    b.check()
    assert job.status is SongState.STALLED and b.status_counts()[SongState.STALLED] == 1
    # One that ends while it waits is told as it ended.
    other, attempt = b.claim("slot", starts_later=True)
    assert b.fail(other.id, attempt, "the cluster dropped this song")
    assert other.status is SongState.FAILED and b.status_counts()[SongState.QUEUED] == 0


def test_hard_limit_equal_to_budget_times_out_at_once():
    clock = HandClock()
    b = Batch(["a.wav"], settings=_settings(1.0), clock=clock)
    job, _ = b.claim("w1")
    clock.t += 10.0 - EPS
    assert b.check() == []
    clock.t += EPS
    assert b.check() == [job] and job.state is SongState.TIMED_OUT


@pytest.mark.parametrize("factor", [1.5, 4.0])
def test_stall_and_timeout_orders_can_differ_between_songs(factor):
    """A stalls before B, but B (the shorter budget) times out first."""
    clock = HandClock(0.0)
    b = Batch(["a.wav", "b.wav"], settings=_settings(factor), clock=clock)
    a, att_a = b.claim("w1")
    b.progress(a.id, att_a, 1, 2, duration_s=20.0)  # budget 20 s from t=0
    clock.t = 12.0
    bj, _ = b.claim("w2")  # no duration: budget 10 s from t=12
    events = sorted([(20.0, a, SongState.STALLED), (22.0, bj, SongState.STALLED),
                     (20.0 * factor, a, SongState.TIMED_OUT),
                     (12.0 + 10.0 * factor, bj, SongState.TIMED_OUT)], key=lambda e: e[0])
    assert [e[1].path for e in events] == ["a.wav", "b.wav", "b.wav", "a.wav"]
    for t, job, state in events:
        other = bj if job is a else a
        other_state = other.state
        clock.t = t - EPS
        assert b.check() == []
        clock.t = t
        assert b.check() == [job] and job.state is state
        assert other.state is other_state
    assert b.counts()[SongState.TIMED_OUT] == 2 and b.is_finished


def test_budget_uses_the_duration_reported_with_progress():
    clock = HandClock()
    b = Batch(["long.wav", "short.wav"], settings=_settings(1.5), clock=clock)
    long_, att = b.claim("w1")
    short, att2 = b.claim("w2")
    b.progress(long_.id, att, 1, 10, duration_s=600.0)  # budget 310 s
    b.progress(short.id, att2, 1, 1)  # duration unknown: budget 10 s
    b.progress(long_.id, att, 2, 10)  # no duration this time: the known one is kept
    assert long_.duration_s == 600.0 and short.duration_s is None
    clock.t += 15.0
    assert b.check() == [short] and short.state is SongState.TIMED_OUT
    assert long_.state is SongState.RUNNING and b.budget(long_) == 310.0


def test_late_result_of_a_timed_out_song_is_discarded(settings):
    clock = HandClock()
    b = Batch(["slow.wav", "ok.wav"], settings=settings, clock=clock)
    job, attempt = b.claim("w1")
    clock.t += 20.0
    b.check()
    assert job.state is SongState.TIMED_OUT
    assert not b.progress(job.id, attempt, 2, 4)
    assert not b.finish(job.id, attempt, SongResult(path="slow.wav", status="done"))
    assert not b.fail(job.id, attempt, "late failure")
    assert job.state is SongState.TIMED_OUT and job.chunk == 0
    other, a2 = b.claim("w2")
    assert b.finish(other.id, a2, _done(other))
    assert b.is_finished and b.counts()[SongState.TIMED_OUT] == 1


# -- claiming and reporting ---------------------------------------------------------------


def test_claim_runs_songs_in_order_and_finish_marks_done(settings):
    clock = HandClock()
    b = Batch(["a.wav", "b.wav"], settings=settings, clock=clock)
    assert b.started_at is None and not b.cancelled and not b.paused
    job, attempt = b.claim("w1")
    assert job.path == "a.wav" and attempt == 1 and job.state is SongState.RUNNING
    assert job.worker == "w1" and job.started_at == clock.t and b.started_at == clock.t
    clock.t += 2.5
    result = SongResult(path="a.wav", status="done", error="no steady beat found",
                        duration_s=31.0)
    assert b.finish(job.id, attempt, result)
    assert job.state is SongState.DONE and job.result is result
    assert job.finished_at == clock.t and result.analysis_s == 2.5
    assert job.error == "no steady beat found" and job.duration_s == 31.0
    assert b.finished_at is None and not b.is_finished
    job2, _ = b.claim("w2")
    assert job2.path == "b.wav" and b.started_at == clock.t - 2.5  # set by the first start
    assert b.claim("w1") is None
    assert not b.is_finished


def test_finish_with_a_failed_result_fails_the_song(settings):
    b = Batch(["a.wav"], settings=settings)
    job, attempt = b.claim()
    b.finish(job.id, attempt, SongResult(path="a.wav", status="failed", error="corrupt"))
    assert job.state is SongState.FAILED and job.error == "corrupt"
    assert job.duration_s is None  # the result had none: nothing invented


def test_claim_starts_songs_in_order_on_the_named_worker(settings):
    b = Batch(["a.wav", "b.wav"], settings=settings)
    job, attempt = b.claim("w9")
    assert job is b.jobs[0] and attempt == 1 and job.worker == "w9"
    assert job.state is SongState.RUNNING and b.jobs[1].state is SongState.QUEUED
    assert b.claim("w8")[0] is b.jobs[1]
    assert b.claim("w7") is None


def test_progress_is_recorded_and_reported_as_a_fraction(settings):
    b = Batch(["a.wav"], settings=settings)
    job = b.jobs[0]
    assert job.progress == 0.0
    job_, attempt = b.claim()
    assert job.progress == 0.0  # no chunk count yet
    assert b.progress(job.id, attempt, 3, 4, duration_s=100.0)
    assert (job.chunk, job.n_chunks, job.duration_s) == (3, 4, 100.0)
    assert job.progress == 0.75
    b.progress(job.id, attempt, 6, 4)  # an underestimated chunk count
    assert job.progress == 1.0
    b.finish(job.id, attempt, _done(job))
    assert job.progress == 1.0


def test_fail_records_the_message_and_a_result(settings):
    clock = HandClock()
    b = Batch(["bad.wav"], settings=settings, clock=clock)
    job, attempt = b.claim("w1")
    b.progress(job.id, attempt, 0, 3, duration_s=42.0)
    clock.t += 1.25
    assert b.fail(job.id, attempt, "the data is damaged")
    assert job.state is SongState.FAILED and job.error == "the data is damaged"
    assert job.finished_at == clock.t
    r = job.result
    assert (r.path, r.status, r.error) == ("bad.wav", "failed", "the data is damaged")
    assert r.duration_s == 42.0 and r.analysis_s == 1.25
    assert b.is_finished and b.finished_at == clock.t


def test_fail_with_cancelled_marks_the_song_cancelled(settings):
    b = Batch(["a.wav"], settings=settings)
    job, attempt = b.claim()
    assert b.fail(job.id, attempt, "cancelled", cancelled=True)
    assert job.state is SongState.CANCELLED and job.result.status == "cancelled"


def test_stale_attempt_reports_are_ignored(settings):
    b = Batch(["a.wav"], settings=settings)
    job, attempt = b.claim("w1")
    b.fail(job.id, attempt, "corrupt")
    assert b.requeue() == [job] and job.state is SongState.QUEUED
    job2, attempt2 = b.claim("w2")
    assert job2 is job and attempt2 == attempt + 1
    assert not b.fail(job.id, attempt, "late")
    assert not b.progress(job.id, attempt, 1, 1)
    assert not b.finish(job.id, attempt, _done(job))
    assert job.state is SongState.RUNNING and job.worker == "w2"
    assert b.progress(job.id, attempt2, 1, 2)


def test_restart_resets_the_previous_attempt(settings):
    clock = HandClock()
    b = Batch(["a.wav"], settings=settings, clock=clock)
    job, attempt = b.claim("w1")
    b.progress(job.id, attempt, 2, 3)
    first_event = job.cancel_event
    clock.t += 25.0
    b.check()  # timed out
    assert first_event.is_set()
    b.requeue()
    clock.t += 5.0
    job_, attempt2 = b.claim("w2")
    assert job.state is SongState.RUNNING and job.started_at == clock.t
    assert (job.chunk, job.n_chunks, job.error, job.result) == (0, 0, "", None)
    assert job.finished_at is None and job.stalled_at is None
    assert not job.should_cancel() and first_event.is_set()  # a fresh flag for the new attempt
    assert job.elapsed(clock.t + 3.0) == 3.0


# -- user actions -------------------------------------------------------------------------


def test_skip_discards_the_running_attempt(settings):
    clock = HandClock()
    b = Batch(["a.wav"], settings=settings, clock=clock)
    job, attempt = b.claim("w1")
    b.progress(job.id, attempt, 1, 2, duration_s=9.0)
    clock.t += 4.0
    assert b.skip(job.id)
    assert job.state is SongState.SKIPPED and job.should_cancel()
    assert job.error == "skipped by the user" and job.finished_at == clock.t
    r = job.result
    assert (r.status, r.error, r.duration_s, r.path) == ("skipped", "skipped by the user",
                                                         9.0, "a.wav")
    assert not b.progress(job.id, attempt, 1, 2)
    assert not b.finish(job.id, attempt, SongResult(path="a.wav", status="done"))
    assert b.is_finished and b.finished_at == clock.t
    assert not b.skip(job.id)  # already ended


def test_skip_a_stalled_or_queued_song(settings):
    clock = HandClock()
    b = Batch(["a.wav", "b.wav"], settings=settings, clock=clock)
    job, _ = b.claim("w1")
    clock.t += 10.0
    b.check()
    assert job.state is SongState.STALLED
    assert b.skip(job.id) and job.state is SongState.SKIPPED
    assert b.skip(1) and b.jobs[1].state is SongState.SKIPPED
    assert b.claim("w1") is None and b.is_finished


def test_abandon_gives_up_on_a_running_song(settings):
    b = Batch(["a.wav"], settings=settings)
    job, attempt = b.claim("w1")
    assert b.abandon(job.id, "stopped at quit")
    assert job.state is SongState.CANCELLED and job.error == "stopped at quit"
    assert job.should_cancel() and job.result.status == "cancelled"
    assert not b.finish(job.id, attempt, _done(job))
    assert not b.abandon(job.id)
    b2 = Batch(["x.wav"], settings=settings)
    b2.claim()
    b2.abandon(0)
    assert b2.jobs[0].error == "cancelled"


def test_cancel_cancels_queued_and_signals_running(settings):
    b = Batch(["a.wav", "b.wav", "c.wav"], settings=settings)
    job, attempt = b.claim("w1")
    changed = b.cancel()
    assert b.cancelled
    assert [j.path for j in changed] == ["b.wav", "c.wav"]
    for j in changed:
        assert j.state is SongState.CANCELLED and j.error == "cancelled before it started"
        assert (j.result.path, j.result.status, j.result.error) == (
            j.path, "cancelled", "cancelled before it started")
    assert job.should_cancel() and job.state is SongState.RUNNING
    assert b.claim("w2") is None
    assert not b.is_finished and b.finished_at is None
    b.fail(job.id, attempt, "cancelled", cancelled=True)
    assert job.state is SongState.CANCELLED and b.is_finished


def test_cancel_of_a_batch_with_nothing_running_finishes_it(settings):
    clock = HandClock()
    b = Batch(["a.wav", "b.wav"], settings=settings, clock=clock)
    assert len(b.cancel()) == 2
    assert b.is_finished and b.finished_at == clock.t


def test_a_song_that_finishes_after_cancel_keeps_its_result(settings):
    b = Batch(["a.wav"], settings=settings)
    job, attempt = b.claim()
    b.cancel()
    assert b.finish(job.id, attempt, _done(job)) and job.state is SongState.DONE


def test_retry_failed_requeues_only_ended_songs_in_the_given_states(settings):
    clock = HandClock()
    b = Batch(["bad.wav", "ok.wav", "run.wav", "skip.wav"], settings=settings, clock=clock)
    bad, a1 = b.claim("w1")
    b.progress(bad.id, a1, 2, 3)
    b.fail(bad.id, a1, "corrupt")
    ok, a2 = b.claim("w1")
    b.finish(ok.id, a2, _done(ok))
    run, _ = b.claim("w2")
    b.skip(3)
    b.cancel()
    assert b.cancelled
    assert b.requeue(states=(SongState.FAILED,)) == [bad]
    assert not b.cancelled  # a retry lifts the cancel
    assert b.jobs[3].state is SongState.SKIPPED
    assert bad.state is SongState.QUEUED and not bad.force
    assert (bad.error, bad.result, bad.chunk, bad.n_chunks, bad.worker) == ("", None, 0, 0, "")
    assert bad.started_at is None and bad.finished_at is None and bad.stalled_at is None
    assert run.state is SongState.RUNNING  # never requeued while running
    assert b.requeue([3]) == [b.jobs[3]]
    assert ok.state is SongState.DONE


def test_force_requeues_done_songs_only_with_force(settings):
    clock = HandClock()
    b = Batch(["a.wav"], settings=settings, clock=clock)
    job, attempt = b.claim("w1")
    b.finish(job.id, attempt, _done(job))
    assert b.is_finished and b.finished_at is not None
    assert b.requeue() == []
    assert b.finished_at is not None
    assert b.requeue(force=True) == [job] and job.force
    assert job.state is SongState.QUEUED and b.finished_at is None and not b.is_finished
    assert job.should_cancel()  # whatever still runs for the old attempt is told to stop


def test_done_songs_queued_again_for_new_settings_may_be_served_from_the_store(settings):
    b = Batch(["a.wav"], settings=settings, clock=HandClock())
    job, attempt = b.claim("w1")
    b.finish(job.id, attempt, _done(job))
    assert b.requeue(force=True, fresh=False) == [job]
    assert job.state is SongState.QUEUED and not job.force  # the store is asked first
    assert job.previous is not None  # shown until the new result arrives


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


# -- building and summaries ---------------------------------------------------------------


def test_default_settings_and_ids_follow_the_order_of_adding():
    b = Batch()
    assert b.settings == AnalysisSettings() and b.jobs == [] and not b.is_finished
    assert b.finished_at is None
    b.add(["a.wav"])
    failed = b.add_failed("missing.wav", "file not found")
    new = b.add(["b.wav", "c.wav"])
    assert [j.id for j in b.jobs] == [0, 1, 2, 3]
    assert [j.path for j in new] == ["b.wav", "c.wav"]
    assert failed.id == 1 and failed.state is SongState.FAILED
    assert failed.error == "file not found"
    assert (failed.result.path, failed.result.status, failed.result.error) == (
        "missing.wav", "failed", "file not found")


def test_adding_songs_to_a_finished_batch_reopens_it(settings):
    b = Batch(["a.wav"], settings=settings)
    job, attempt = b.claim()
    b.finish(job.id, attempt, _done(job))
    assert b.finished_at is not None
    assert b.add([]) == [] and b.finished_at is not None
    b.add(["b.wav"])
    assert b.finished_at is None and not b.is_finished


def test_results_keep_batch_order_and_failed_rows(settings):
    b = Batch(["a.wav", "b.wav"], settings=settings)
    b.add_failed("missing.wav", "file not found")
    b.claim("w1")
    rows = b.results()
    assert [r.path for r in rows] == ["a.wav", "b.wav", "missing.wav"]
    assert [r.status for r in rows] == ["running", "queued", "failed"]
    assert rows[2].error == "file not found"
    counts = b.counts()
    assert set(counts) == set(SongState)
    assert (counts[SongState.RUNNING], counts[SongState.QUEUED], counts[SongState.FAILED],
            counts[SongState.DONE]) == (1, 1, 1, 0)


def test_job_elapsed_and_terminal_states():
    job = Job(id=0, path="a.wav")
    assert job.elapsed(50.0) == 0.0
    job.started_at = 100.0
    assert job.elapsed(104.5) == 4.5
    assert job.elapsed(99.0) == 0.0  # never negative
    job.finished_at = 103.0
    assert job.elapsed(200.0) == 3.0
    assert TERMINAL_STATES == {SongState.DONE, SongState.FAILED, SongState.TIMED_OUT,
                               SongState.CANCELLED, SongState.SKIPPED}


def test_rate_counts_at_least_one_second(settings):
    clock = HandClock()
    b = Batch(["a.wav", "b.wav", "c.wav"], settings=settings, clock=clock)
    assert b.figures()["rate"] == 0.0 and b.figures()["eta"] is None
    for _ in range(2):
        job, attempt = b.claim("w1")
        b.finish(job.id, attempt, SongResult(path=job.path, status="done"))
    clock.t += 0.01
    assert b.figures()["rate"] == 120.0  # two songs in 10 ms count as two in one second
    clock.t += 59.99
    assert b.figures()["rate"] == 2.0


def test_rate_ignores_songs_that_never_started_and_stops_at_the_end(settings):
    clock = HandClock()
    b = Batch(["a.wav", "b.wav"], settings=settings, clock=clock)
    b.add_failed("x.wav", "unreadable")  # ended, but never ran
    job, attempt = b.claim()
    clock.t += 30.0
    b.finish(job.id, attempt, _done(job))
    assert b.figures()["rate"] == 2.0 and b.figures()["eta"] == 15.0  # 30 s over two workers
    b.skip(1)  # ended without running either
    assert b.is_finished and b.figures()["eta"] == 0.0
    clock.t += 60.0  # the batch is over: its rate no longer decays
    assert b.figures()["rate"] == 2.0


# -- details that reach the window, the exports and the command line ----------------------


def test_a_new_batch_is_neither_cancelled_paused_started_nor_finished():
    b = Batch(["a.wav"])
    assert b.cancelled is False and b.paused is False
    assert b.started_at is None and b.finished_at is None
    job, _ = b.claim()
    assert job.worker == ""  # no worker name given


def test_timings_are_kept_to_the_millisecond(settings):
    clock = HandClock()
    b = Batch(["a.wav", "b.wav", "c.wav"], settings=settings, clock=clock)
    a, att_a = b.claim("w1")
    bj, att_b = b.claim("w2")
    clock.t += 1.23456
    b.finish(a.id, att_a, SongResult(path="a.wav", status="done"))
    b.fail(bj.id, att_b, "corrupt")
    assert a.result.analysis_s == 1.235 and bj.result.analysis_s == 1.235
    c, _ = b.claim("w1")
    clock.t += 20.5004  # past the hard limit of 20 s
    b.check()
    assert c.state is SongState.TIMED_OUT and c.result.analysis_s == 20.5


def test_check_looks_past_songs_that_have_ended(settings):
    clock = HandClock()
    b = Batch(["done.wav", "slow.wav"], settings=settings, clock=clock)
    done, attempt = b.claim()
    b.finish(done.id, attempt, _done(done))
    slow, _ = b.claim()
    clock.t += 10.0
    assert b.check() == [slow] and slow.state is SongState.STALLED


def test_requeue_only_the_songs_asked_for_past_running_ones(settings):
    b = Batch(["run.wav", "f1.wav", "f2.wav"], settings=settings)
    run, _ = b.claim()
    for _ in range(2):
        job, attempt = b.claim()
        b.fail(job.id, attempt, "corrupt")
    b.cancel()
    assert [j.path for j in b.requeue([2])] == ["f2.wav"]
    assert b.cancelled is False
    assert b.jobs[1].state is SongState.FAILED
    assert [j.path for j in b.requeue()] == ["f1.wav"]  # the running song is stepped over
    assert run.state is SongState.RUNNING


def test_results_of_songs_not_ended_carry_no_error(settings):
    b = Batch(["a.wav"], settings=settings)
    job, attempt = b.claim()
    b.fail(job.id, attempt, "corrupt")
    b.requeue()
    assert b.results()[0].error == "" and b.results()[0].status == "queued"


def test_eta_with_a_slow_rate_and_several_songs_left(settings):
    clock = HandClock()
    b = Batch(["a.wav", "b.wav", "c.wav"], settings=settings, clock=clock)
    job, attempt = b.claim()
    clock.t += 120.0
    b.finish(job.id, attempt, _done(job))
    assert b.figures()["rate"] == 0.5
    assert b.figures()["eta"] == 120.0  # two songs of 120 s left, shared by two workers


# -- how a delivered result is taken ------------------------------------------------------


def test_a_failed_result_delivered_by_finish_fails_the_song_with_its_reason(settings):
    clock = HandClock()
    b = Batch(["a.wav", "b.wav"], settings=settings, clock=clock)
    a, att_a = b.claim()
    clock.t += 1.23456
    assert b.finish(a.id, att_a, SongResult(path="a.wav", status="failed", error="corrupt"))
    assert a.state is SongState.FAILED and a.error == "corrupt"
    assert a.finished_at == clock.t and a.result.analysis_s == 1.235
    bj, att_b = b.claim()
    assert b.finish(bj.id, att_b, SongResult(path="b.wav", status="failed"))
    assert bj.state is SongState.FAILED and bj.error == "failed"  # no reason given
    assert b.is_finished


def test_finish_labels_analysed_results_and_keeps_stored_ones(settings):
    clock = HandClock()
    b = Batch(["a.wav", "b.wav"], settings=settings, clock=clock)
    a, att_a = b.claim()
    clock.t += 2.0
    b.finish(a.id, att_a, SongResult(path="a.wav", status="done", source=""))
    assert a.result.source == "analysis" and a.result.analysis_s == 2.0
    assert a.error == ""  # exactly empty: no warning was given
    stored = SongResult(path="b.wav", status="done", source="store", analysis_s=41.0)
    bj, att_b = b.claim()
    clock.t += 0.01
    b.finish(bj.id, att_b, stored)
    assert bj.result.source == "store" and bj.result.analysis_s == 41.0  # the original time


def test_analysing_again_keeps_the_users_corrections_unless_the_new_result_has_its_own(
        settings):
    b = Batch(["a.wav", "b.wav"], settings=settings)
    for _ in range(2):
        job, attempt = b.claim()
        b.finish(job.id, attempt, _done(job))
    b.correct(0, bpm_user=140.0, key_user="E minor", user_checked=True)
    b.correct(1, bpm_user=90.0)
    assert {j.id for j in b.requeue(force=True)} == {0, 1}
    a, att_a = b.claim()
    assert a.previous is not None and a.previous.bpm_user == 140.0
    b.finish(a.id, att_a, _done(a))
    assert (a.result.bpm_user, a.result.key_user, a.result.user_checked) == (
        140.0, "E minor", True)
    assert a.previous is None
    bj, att_b = b.claim()
    own = SongResult(path="b.wav", status="done", bpm_user=45.0, key_user="C major")
    b.finish(bj.id, att_b, own)
    assert (bj.result.bpm_user, bj.result.key_user) == (45.0, "C major")


def test_relabel_names_the_worker_of_the_current_attempt_only(settings):
    b = Batch(["a.wav"], settings=settings)
    job, attempt = b.claim("queued-on-cluster")
    assert b.relabel(job.id, attempt, "host:4001/1") is True
    assert job.worker == "host:4001/1"
    assert b.relabel(job.id, attempt + 1, "elsewhere") is False  # a stale attempt
    b.finish(job.id, attempt, _done(job))
    assert b.relabel(job.id, attempt, "late") is False and job.worker == "host:4001/1"


def test_corrections_are_checked_and_only_taken_for_a_done_song(settings):
    b = Batch(["a.wav", "b.wav"], settings=settings)
    job, attempt = b.claim()
    b.finish(job.id, attempt, _done(job))
    for bad in (0, -1.0, 1e4, float("nan"), "120"):
        with pytest.raises(ValueError, match="bpm_user must be a tempo in BPM"):
            b.correct(0, bpm_user=bad)
    with pytest.raises(ValueError, match=r"only bpm_user, key_user and user_checked can be "
                                         r"corrected, not \['bpm'\]"):
        b.correct(0, bpm=1.0)
    for bad in (False, 1, "yes"):
        with pytest.raises(ValueError, match="user_checked is True or None"):
            b.correct(0, user_checked=bad)
    before = job.result
    fixed = b.correct(0, bpm_user=9999.0, key_user="F# minor")
    assert fixed is job.result and fixed is not before  # a new object for caches and views
    assert (fixed.bpm_user, fixed.key_user, fixed.duration_s) == (9999.0, "F# minor", 12.5)
    assert b.correct(0, bpm_user=None).bpm_user is None and job.result.key_user == "F# minor"
    assert b.correct(1, bpm_user=100.0) is None  # queued: no result to correct
    assert b.correct(0, user_checked=True).user_checked is True
    assert job.result.key_user == "F# minor"  # the mark leaves the corrections as they are


# -- restoring, correcting, cancelling: the smaller promises --------------------------------


def test_flags_are_plain_booleans_again_after_begin_and_resume():
    b = Batch(["a.wav"], settings=_settings())
    b.cancel()
    b.pause()
    assert b.cancelled is True and b.paused is True
    b.resume()
    assert b.paused is False
    b.pause()
    b.begin()
    assert b.cancelled is False and b.paused is False


def test_an_unqueueable_file_is_a_failed_row_whose_attempt_failed():
    b = Batch(["a.wav"], settings=_settings())
    job = b.add_failed("broken.wav", "not audio")
    assert job.id == 1 and job.state is SongState.FAILED
    assert job.outcome is SongState.FAILED
    assert job.result.error == "not audio"


def _restored(path, status="done", duration_s=180.0, note=""):
    return SongResult(path=path, status=status, duration_s=duration_s, bpm=120.0, note=note)


def test_restored_songs_get_their_row_ids_and_durations():
    clock = HandClock()
    b = Batch(["first.wav"], settings=_settings(), clock=clock)
    jobs = b.add_restored([("x.wav", _restored("x.wav")),
                           ("y.wav", _restored("y.wav", status="failed", duration_s=30.0)),
                           ("z.wav", None)])
    assert [j.id for j in jobs] == [1, 2, 3]
    assert [b.jobs[j.id] is j for j in jobs] == [True, True, True]
    x, y, z = jobs
    assert x.duration_s == 180.0 and y.duration_s == 30.0 and z.duration_s is None
    # Analyzing a restored song again budgets it by its known length from the start.
    b.requeue([x.id], force=True)
    b.claim("w1")            # first.wav
    job, _ = b.claim("w2")
    assert job is x and b.budget(x) == 10.0 + 0.5 * 180.0


def test_restoring_a_song_to_analyze_reopens_a_finished_batch():
    clock = HandClock()
    b = Batch(["a.wav"], settings=_settings(), clock=clock)
    job, attempt = b.claim("w1")
    clock.t += 5.0
    b.finish(job.id, attempt, _done(job))
    ended = b.finished_at
    assert ended == clock.t
    clock.t += 5.0
    b.add_restored([("done.wav", _restored("done.wav"))])
    assert b.finished_at == ended      # only ended songs came back: the batch stays ended
    b.add_restored([("todo.wav", None)])
    assert b.finished_at is None       # a song to analyze: not ended any more



def test_a_restored_song_whose_file_changed_waits_with_its_earlier_values():
    """Queued again, its done result kept as the earlier one; a new result takes the
    user's values over; an attempt that ends without one (cancel, failure) puts the earlier
    values back with a note that the file changed, never as if they were the file's."""
    clock = HandClock()
    b = Batch([], settings=_settings(), clock=clock)
    old = dataclasses.replace(_restored("a.wav"), bpm_user=60.0)
    a, f, c = b.add_restored([("a.wav", old, True),
                              ("f.wav", _restored("f.wav", status="failed"), True),
                              ("c.wav", _restored("c.wav"), True)])
    assert [j.state for j in (a, f, c)] == [SongState.QUEUED] * 3
    assert a.previous is old and a.result is None and a.changed_on_disk
    assert f.previous is None  # a failure is no value to show
    assert b.finished_at is None
    job, attempt = b.claim("w1")
    assert job is a
    b.finish(a.id, attempt, _done(a))
    assert a.result.bpm_user == 60.0 and a.result.duration_s == 12.5
    assert a.changed_on_disk is False and a.previous is None
    job, attempt = b.claim("w1")
    b.fail(f.id, attempt, "cannot decode")
    assert f.state is SongState.FAILED and f.result.error == "cannot decode"
    b.cancel()
    assert c.state is SongState.DONE and c.result.bpm == 120.0
    assert c.result.note == CHANGED_NOTE and not c.changed_on_disk


def test_songs_found_changed_after_the_list_came_back_are_queued_again():
    """An ended song is queued with its done result kept as the earlier one; a failed one
    is queued without; a queued or running one is left alone; the ended batch reopens."""
    clock = HandClock()
    b = Batch([], settings=_settings(), clock=clock)
    done, failed, waiting, other = b.add_restored([
        ("a.wav", _restored("a.wav")), ("f.wav", _restored("f.wav", status="failed")),
        ("q.wav", None), ("o.wav", _restored("o.wav"))])
    running, attempt = b.claim("w1")
    assert running is waiting
    kept = done.result
    assert b.mark_changed([done.id, failed.id, waiting.id]) == [done, failed]
    assert (done.state, done.previous, done.result, done.changed_on_disk) == (
        SongState.QUEUED, kept, None, True)
    # the store keys results by content, so a changed file may still be served from it
    assert done.force is False and failed.force is False
    assert failed.state is SongState.QUEUED and failed.previous is None
    assert waiting.state is SongState.RUNNING and not waiting.changed_on_disk
    assert other.state is SongState.DONE and not other.changed_on_disk  # not named
    assert b.finished_at is None


def test_a_changed_song_whose_new_attempt_fails_keeps_its_values_with_both_reasons():
    """The earlier values come back with a note naming the change and the failure."""
    b = Batch([], settings=_settings(), clock=HandClock())
    (done,) = b.add_restored([("a.wav", _restored("a.wav"))])
    b.mark_changed([done.id])
    job, attempt = b.claim("w1")
    b.fail(job.id, attempt, "cannot decode")
    assert done.state is SongState.DONE and done.result.bpm == 120.0
    assert "changed" in done.result.note and "cannot decode" in done.result.note
    assert done.result.note != CHANGED_NOTE and done.changed_on_disk is False

@pytest.mark.parametrize("how", ["fail", "finish"])
def test_a_failure_under_a_second_records_its_true_analysis_time(how):
    clock = HandClock()
    b = Batch(["a.wav"], settings=_settings(), clock=clock)
    job, attempt = b.claim("w1")
    clock.t += 0.25
    if how == "fail":
        b.fail(job.id, attempt, "decoder error")
    else:
        b.finish(job.id, attempt, SongResult(path=job.path, status="failed", error="bad"))
    assert job.state is SongState.FAILED
    assert job.result.analysis_s == pytest.approx(0.25)


def test_skipping_a_queued_reanalysis_keeps_the_earlier_result_without_a_note():
    clock = HandClock()
    b = Batch(["a.wav", "b.wav"], settings=_settings(), clock=clock)
    for _ in range(2):
        job, attempt = b.claim("w1")
        b.finish(job.id, attempt, _done(job))
    earlier = b.jobs[0].result
    b.requeue(force=True)
    b.claim("w1")                       # a.wav runs again, b.wav waits
    assert b.skip(1)
    assert b.jobs[1].state is SongState.DONE
    assert b.jobs[1].result.note == ""  # never started: nothing happened to tell
    assert b.skip(0)
    assert b.jobs[0].state is SongState.DONE and b.jobs[0].result.bpm == earlier.bpm
    assert "skipped" in b.jobs[0].result.note  # it was running: the note says what happened


@pytest.mark.parametrize("bpm", [0.5, 120.0, 9999.0])
def test_a_user_tempo_is_any_positive_tempo_below_ten_thousand(bpm):
    b = Batch(["a.wav"], settings=_settings())
    job, attempt = b.claim("w1")
    b.finish(job.id, attempt, _done(job))
    assert b.correct(job.id, bpm_user=bpm).bpm_user == bpm


@pytest.mark.parametrize("bpm", [0, -1.0, 1e4, "120"])
def test_a_user_tempo_outside_the_range_is_refused(bpm):
    b = Batch(["a.wav"], settings=_settings())
    job, attempt = b.claim("w1")
    b.finish(job.id, attempt, _done(job))
    with pytest.raises(ValueError):
        b.correct(job.id, bpm_user=bpm)


def test_a_failed_song_cannot_be_corrected():
    b = Batch(["a.wav"], settings=_settings())
    job, attempt = b.claim("w1")
    b.fail(job.id, attempt, "decoder error")
    before = job.result
    assert before is not None
    assert b.correct(job.id, bpm_user=120.0) is None
    assert job.result is before and job.result.bpm_user is None


def test_songs_cancelled_before_they_started_count_as_ended_at_the_cancel():
    clock = HandClock()
    b = Batch(["a.wav", "b.wav", "c.wav"], settings=_settings(), clock=clock)
    job, attempt = b.claim("w1")
    clock.t += 3.0
    b.finish(job.id, attempt, _done(job))
    clock.t += 1.0
    b.cancel()
    assert [j.finished_at for j in b.jobs[1:]] == [clock.t, clock.t]
    figures = b.figures()
    assert figures["ended"] == 3 and figures["total"] == 3


def test_the_run_clock_leaves_paused_time_out():
    from core.batch.progress import RunClock

    c = RunClock()
    assert c.active_s(5.0) == 0.0  # before the first song
    c.start(10.0)
    c.start(12.0)  # the run started with the first song
    assert c.active_s(15.0) == 5.0
    c.pause(20.0)
    assert c.active_s(25.0) == 10.0  # paused: the clock stands
    c.pause(22.0)  # a second pause changes nothing
    c.resume(30.0)
    assert c.active_s(35.0) == 15.0
    c.resume(36.0)  # not paused: nothing to add
    assert c.active_s(40.0) == 20.0


def test_the_run_clock_adds_up_every_pause_to_the_tenth_of_a_second():
    from core.batch.progress import RunClock

    c = RunClock()
    c.start(10.0)
    assert c.active_s(10.5) == 0.5  # half a second in
    c.pause(20.0)
    assert c.active_s(20.4) == 10.0  # paused for less than a second: the clock stands
    c.resume(20.4)
    c.pause(30.0)
    c.resume(35.0)
    assert c.paused_s == pytest.approx(5.4) and c.active_s(40.0) == pytest.approx(24.6)


def test_the_queue_tally_takes_back_a_song_as_it_was_added():
    from core.batch.progress import QueuedTally

    q = QueuedTally()
    for length in (60.0, None, 0.1, 0.2):
        q.add(length)
    assert (q.n, q.known_n, q.known_s) == (4, 3, pytest.approx(60.3))
    q.add(60.0, -1)
    assert (q.n, q.known_n, q.known_s) == (3, 2, pytest.approx(0.3))
    q.add(0.1, -1)
    q.add(0.2, -1)
    q.add(None, -1)
    assert (q.n, q.known_n, q.known_s) == (0, 0, 0.0)  # exactly: no rounding left behind


def _ended_job(key, took, length=None, start=0.0):
    return Job(id=key, path=f"{key}.wav", state=SongState.DONE, started_at=start,
               finished_at=start + took, duration_s=length)


def test_the_run_tally_counts_a_song_once_and_leaves_no_rounding_behind():
    from core.batch.progress import RunClock, RunTally

    run = RunClock()
    run.start(0.0)
    tally = RunTally()
    a, b = _ended_job(0, 0.1), _ended_job(1, 0.2)
    tally.add(a)
    tally.add(a)  # ended again (analyzed again): replaces what it added
    tally.add(b)
    assert (tally.ended, tally.analyzed, tally.took_n) == (2, 2, 2)
    assert tally.took_s == pytest.approx(0.3)
    tally.remove(a.key)
    tally.remove(b.key)
    assert (tally.ended, tally.took_n, tally.took_s) == (0, 0, 0.0)


def test_a_song_that_ends_the_moment_the_run_starts_belongs_to_the_run():
    from core.batch.progress import RunClock, RunTally, run_counts, run_rate

    run = RunClock()
    run.start(10.0)
    instant = _ended_job(0, 0.0, start=10.0)  # (served at once when the run started)
    before = _ended_job(1, 2.0, start=7.0)  # ended before the run
    before.finished_at = 9.0
    assert RunTally.of([instant, before], run).ended == 1
    assert run_counts([instant, before], run)["analyzed"] == 1
    # counted from the songs themselves when no counts are handed over
    assert run_rate([instant, before], run, 70.0) == 1.0


def test_the_time_left_by_song_length_chunk_and_queue():
    from core.batch.progress import QueuedTally, RunTally, eta_from

    def tally(took_s, lengths=None):
        t = RunTally(took_n=len(took_s), took_s=sum(took_s))
        if lengths:
            t.audio_n, t.audio_s, t.audio_took_s = len(lengths), sum(lengths), sum(took_s)
        return t

    # songs shorter than a second still give a rate by length: 0.1 s per second of audio
    short = tally([0.04, 0.04], lengths=[0.4, 0.4])
    assert eta_from(short, QueuedTally(1, 1, 4.0), [], 0.0, workers=1) == pytest.approx(0.4)
    # a running song past its first chunk of four: its time so far, three times more
    running = Job(id=0, path="a.wav", state=SongState.RUNNING, started_at=0.0,
                  chunk=1, n_chunks=4)
    per_song = tally([100.0])
    assert eta_from(per_song, QueuedTally(), [running], 10.0, workers=1) == 30.0
    running.chunk = 4  # every chunk read, the song not done: by its expected time
    assert eta_from(per_song, QueuedTally(), [running], 10.0, workers=1) == 90.0
    # queued songs: those of known length by length, the others by the time per song
    by_length = tally([5.0, 5.0, 6.0], lengths=[50.0, 50.0, 60.0])  # 0.1 s a second
    assert eta_from(by_length, QueuedTally(3, 1, 60.0), [], 0.0,
                    workers=1) == pytest.approx(6.0 + 2 * 16.0 / 3)
    # no lengths known: what the running song has left plus a song's time per queued one
    running.chunk = running.n_chunks = 0
    every = tally([5.0, 5.0])
    assert eta_from(every, QueuedTally(2), [running], 2.0, workers=1) == 13.0
    assert eta_from(every, QueuedTally(2), [running], 2.0, workers=2) == 6.5


def test_a_lost_result_message_names_the_worker_only_when_there_is_one():
    assert result_lost(Job(id=0, path="a.wav"), 30.0) == (
        "its analysis ended, but its result did not arrive within 30 s; analyze it again")
    assert result_lost(Job(id=0, path="a.wav", worker="host:1/0"), 9.95).startswith(
        "its analysis ended on host:1/0, but its result did not arrive within 10 s;")


@pytest.mark.parametrize("seconds, text", [(0.4, "0.4 s"), (9.9, "9.9 s"), (9.95, "10 s"),
                                           (10.4, "10 s"), (10.5, "10 s"), (31.2, "31 s")])
def test_durations_in_messages_are_whole_seconds_from_ten_seconds_up(seconds, text):
    assert seconds_text(seconds) == text


def test_results_of_the_songs_asked_for_only(settings):
    b = Batch(["a.wav", "b.wav", "c.wav"], settings=settings)
    job, attempt = b.claim()
    b.finish(job.id, attempt, _done(job))
    assert [(r.path, r.status) for r in b.results([b.jobs[2], b.jobs[0]])] == [
        ("c.wav", "queued"), ("a.wav", "done")]


def test_a_file_rate_is_given_to_the_done_result_it_was_read_for_only(settings):
    b = Batch(["a.wav", "b.wav"], settings=settings)
    job, attempt = b.claim()
    done = SongResult(path="a.wav", status="done", bpm=120.0, sample_rate=88_200)
    b.finish(job.id, attempt, done)
    done = job.result
    for bad in (True, 0, -44_100, 88_200.0, "88200", None):
        with pytest.raises(ValueError,
                           match=f"rate must be a positive whole number of Hz, got {bad!r}"):
            b.give_file_rate(0, bad, of=done)
    assert b.give_file_rate(1, 44_100, of=None) is None  # queued: nothing to give it to
    assert b.jobs[1].result is None
    assert b.give_file_rate(0, 44_100, of=_done(job)) is None  # another result
    assert job.result is done and done.sample_rate == 88_200
    given = b.give_file_rate(0, 1, of=done)  # (the smallest rate a file can state)
    assert job.result is given and given is not done
    assert (given.sample_rate, given.bpm, given.path, given.status) == (1, 120.0, "a.wav",
                                                                          "done")
    assert done.sample_rate == 88_200


def test_a_scaled_user_tempo_stays_in_the_range_a_user_sets():
    assert USER_TEMPO_RANGE == (10.0, 600.0)
    assert scaled_user_tempo(120.0, 2.0) == 240.0
    assert scaled_user_tempo(300.0, 2.0) == 600.0 and scaled_user_tempo(20.0, 0.5) == 10.0
    assert scaled_user_tempo(100.0, 2.0 / 3.0) == 66.67
    assert scaled_user_tempo(480.0, 2.0) is None and scaled_user_tempo(15.0, 0.5) is None
    assert scaled_user_tempo(None, 2.0) is None and scaled_user_tempo(0.0, 2.0) is None


def test_restored_songs_each_get_their_own_light_stop_flag(settings):
    b = Batch(settings=settings)
    jobs = b.add_restored([("a.wav", None), ("b.wav", None)])
    flags = [j.cancel_event for j in jobs]
    assert flags[0] is not flags[1]
    # a flag, not an Event: a condition, a lock and a queue per song made restoring a list
    # of 20,000 several times slower (benchmarks/big_table.py, restore step)
    assert not hasattr(flags[0], "wait") and not hasattr(flags[0], "__dict__")
    b.skip(jobs[0].id)  # a queued song skipped: its flag alone is set
    assert flags[0].is_set() and not flags[1].is_set()
    assert jobs[0].should_cancel() and not jobs[1].should_cancel()


# -- removing songs from the list ---------------------------------------------------------


def test_removed_songs_leave_the_list_the_rest_move_up_and_come_back_at_their_places(
        settings):
    clock = HandClock()
    batch = Batch([f"s{i}.wav" for i in range(6)], settings=settings, clock=clock)
    batch.begin()
    a, _ = batch.claim("W1")  # s0 runs
    assert batch.finish(a.id, 1, _done(a))  # s0 done
    b, _ = batch.claim("W1")  # s1 runs
    c, _ = batch.claim("W2")  # s2 runs
    removed = batch.remove([0, 1, 4])  # done, running, queued
    assert [(j.path, j.id) for j in removed] == [("s0.wav", 0), ("s1.wav", 1), ("s4.wav", 4)]
    assert [j.state for j in removed] == [SongState.DONE, SongState.SKIPPED, SongState.QUEUED]
    assert b.error == "removed from the list" and b.cancel_event.is_set()
    assert [(j.path, j.id, j.key) for j in batch.jobs] == [
        ("s2.wav", 0, 2), ("s3.wav", 1, 3), ("s5.wav", 2, 5)]
    counts = batch.counts()
    assert counts[SongState.RUNNING] == 1 and counts[SongState.QUEUED] == 2
    assert counts[SongState.DONE] == counts[SongState.SKIPPED] == 0
    # the running song reports by its job: it lands on its new place; the removed one's
    # late report is discarded, whatever its old place holds now
    assert batch.progress(c, 1, 1, 4, 10.0) and c.chunk == 1
    assert not batch.finish(b, 1, _done(b))
    assert batch.jobs[1].state is SongState.QUEUED
    assert batch.finish(c, 1, _done(c)) and batch.jobs[0].state is SongState.DONE
    new = batch.add(["s6.wav"])[0]
    assert new.key == 6  # a key never given twice
    assert batch.put_back(removed) == removed
    assert [(j.path, j.key) for j in batch.jobs] == [(f"s{i}.wav", i) for i in range(7)]
    assert [j.id for j in batch.jobs] == list(range(7))
    assert [j.state for j in batch.jobs] == [
        SongState.DONE, SongState.SKIPPED, SongState.DONE, SongState.QUEUED, SongState.QUEUED,
        SongState.QUEUED, SongState.QUEUED]
    assert batch.counts()[SongState.QUEUED] == 4
    assert batch.claim("W1")[0].path == "s3.wav"  # the queue goes on in list order
    assert batch.put_back(removed) == []  # (already back)


def test_removing_every_song_left_ends_the_batch(settings):
    batch = Batch(["a.wav", "b.wav"], settings=settings, clock=HandClock())
    batch.begin()
    a, _ = batch.claim("W1")
    assert batch.finish(a, 1, _done(a))
    assert not batch.is_finished
    batch.remove([1])
    assert batch.is_finished and batch.run_counts()["ended"] == 1


def test_the_run_figures_after_a_removal_and_its_undo_are_those_of_the_list_counted_afresh(
        settings, monkeypatch):
    """The run's tally follows the songs taken out and put back (by key) instead of being
    counted afresh from every song (0.1 s of the window's thread in a list of 20,000); the
    figures are the same as a fresh count's."""
    from core.batch import progress

    counted = []
    of = progress.RunTally.of.__func__
    monkeypatch.setattr(progress.RunTally, "of",
                        classmethod(lambda cls, jobs, run: counted.append(1) or of(
                            cls, jobs, run)))

    clock = HandClock()
    batch = Batch([f"s{i}.wav" for i in range(8)], settings=settings, clock=clock)
    batch.begin()
    for i in range(5):
        job, _ = batch.claim("W1")
        clock.t += 2.0 + i
        assert batch.finish(job, 1, _done(job))
    batch.claim("W1")  # s5 runs

    def fresh():
        jobs = batch.jobs
        return (progress.run_counts(jobs, batch._run),
                progress.eta_from(progress.RunTally.of(jobs, batch._run),
                                  progress.QueuedTally.of(jobs), [], clock.t,
                                  workers=settings.workers))

    def kept():
        return (batch.run_counts(),
                progress.eta_from(batch._tally, batch._queued, [], clock.t,
                                  workers=settings.workers))

    removed = batch.remove([1, 3, 5])  # two done, the running one (skipped)
    assert batch.run_counts()["ended"] == 3
    more = batch.remove([0])
    back = batch.put_back(more)
    assert not counted  # no song counted afresh
    assert back and kept() == fresh()
    assert batch.put_back(removed) and kept() == fresh()
    assert batch.run_counts()["ended"] == 6  # the five done and the one skipped
    batch.remove([2])
    assert kept() == fresh()


def test_a_song_that_ends_after_a_removal_leaves_the_run_figures_when_queued_again(settings):
    """The tally knows each ended song by its key, not by its place in the list: a song
    that ended after songs before it were removed (its place changed) and is then queued
    again stops counting as ended, and the estimate is the one of the list counted afresh."""
    from core.batch import progress

    clock = HandClock()
    batch = Batch([f"s{i}.wav" for i in range(6)], settings=settings, clock=clock)
    batch.begin()
    batch.remove([0])  # the places of the others move up by one
    for took in (2.0, 7.0):
        job, _ = batch.claim("W1")
        clock.t += took
        assert batch.finish(job, 1, _done(job))
    assert batch.run_counts()["ended"] == 2
    assert [j.state for j in batch.requeue([1], force=True)] == [SongState.QUEUED]
    assert batch.run_counts()["ended"] == 1
    jobs = batch.jobs
    assert progress.eta_from(batch._tally, batch._queued, [], clock.t,
                             workers=settings.workers) == progress.eta_from(
        progress.RunTally.of(jobs, batch._run), progress.QueuedTally.of(jobs), [], clock.t,
        workers=settings.workers)


def test_a_removal_names_only_songs_of_the_list(settings):
    """A place past the end of the list (a selection read before the list shrank) removes
    nothing, instead of raising."""
    batch = Batch(["a.wav", "b.wav"], settings=settings, clock=HandClock())
    assert batch.remove([2, -1]) == []
    assert [j.path for j in batch.jobs] == ["a.wav", "b.wav"]


def test_after_a_removal_the_first_song_of_the_list_runs_next(settings):
    """Songs removed before the queued ones: the song now first in the list is the next
    to run (not the one after it)."""
    batch = Batch([f"s{i}.wav" for i in range(4)], settings=settings, clock=HandClock())
    batch.begin()
    batch.claim("W1")  # s0 runs
    batch.remove([0])
    job, _ = batch.claim("W1")
    assert job.path == "s1.wav"


def test_a_running_song_still_times_out_after_songs_are_removed(settings):
    """A removal renumbers the list; the running songs stay watched by the stall and
    time-out rules."""
    clock = HandClock()
    batch = Batch([f"s{i}.wav" for i in range(3)], settings=settings, clock=clock)
    batch.begin()
    job, _ = batch.claim("W1")
    batch.remove([2])
    clock.t += batch.hard_limit(job) + 1.0
    assert job in batch.check()
    assert job.state is SongState.TIMED_OUT


def test_a_removal_that_ends_the_batch_stops_its_clock_and_undo_starts_it_again(settings):
    """Removing the last queued songs ends the batch (its end time is set, as when its last
    song ends); putting them back makes it run again, with no end time."""
    clock = HandClock()
    batch = Batch([f"s{i}.wav" for i in range(3)], settings=settings, clock=clock)
    batch.begin()
    for _ in range(2):
        job, _ = batch.claim("W1")
        clock.t += 1.0
        assert batch.finish(job, 1, _done(job))
    clock.t += 5.0
    taken = batch.remove([2])
    assert batch.is_finished and batch.finished_at == clock.t
    assert batch.put_back(taken) == taken
    assert not batch.is_finished and batch.finished_at is None
    assert [j.path for j in batch.add(["s3.wav"])] == ["s3.wav"]
    assert len({j.key for j in batch.jobs}) == 4  # the song added has a key of its own


def test_the_analysis_times_summed_in_the_run_follow_songs_queued_again(settings):
    """Three songs end, all are queued again (the sums go back to nothing, no rounding left
    behind), two others end: the times and audio lengths summed for the estimate are those
    of the two that ended, as a fresh count gives them."""
    import dataclasses as dc

    from core.batch import progress

    clock = HandClock()
    batch = Batch([f"s{i}.wav" for i in range(5)], settings=settings, clock=clock)
    batch.begin()

    def finish_next(took):
        job, _ = batch.claim("W1")
        clock.t += took
        assert batch.finish(job, 1, _done(job))

    def sums(tally):
        return {f.name: getattr(tally, f.name) for f in dc.fields(tally) if f.name != "_parts"}

    for took in (0.1, 0.2, 0.3):  # sums that leave rounding behind when taken back
        finish_next(took)
    assert batch.requeue([0, 1, 2], force=True)
    assert sums(batch._tally) == sums(progress.RunTally())
    for _ in range(3):
        job, _ = batch.claim("W1")  # s0, s1 and s2 again, then s3 and s4 end
    finish_next(3.0)
    finish_next(5.0)
    fresh = sums(progress.RunTally.of(batch.jobs, batch._run))
    assert fresh["took_n"] == fresh["audio_n"] == 2 and fresh["audio_s"] == 25.0
    assert sums(batch._tally) == fresh


def test_a_removal_and_its_undo_count_only_the_songs_that_moved(settings, monkeypatch):
    """Each removal numbered and counted every song of the list afresh (14 ms of a list of
    20,000); only the songs after the first one taken out are numbered again now, and the
    counts follow the songs taken out and put back.  Every figure is still that of the list
    counted afresh: places, songs per state, the running ones in list order, the queue."""
    import random

    from core.batch import progress

    counted = []
    of = progress.QueuedTally.of.__func__
    monkeypatch.setattr(progress.QueuedTally, "of", classmethod(
        lambda cls, jobs: counted.append(1) or of(cls, jobs)))
    clock = HandClock()
    batch = Batch([f"s{i}.wav" for i in range(30)], settings=settings, clock=clock)
    batch.begin()
    for i in range(12):
        job, attempt = batch.claim(f"W{i}")
        if i % 3:  # every third one keeps running, with a length known
            assert batch.finish(job, attempt, _done(job)) if i % 2 else batch.fail(
                job, attempt, "cannot decode")
        else:
            batch.progress(job, attempt, 1, 4, duration_s=30.0 + i)
    batch.requeue([1, 2], force=True)  # queued again with their lengths
    batch.remove([25])

    def fresh():
        jobs = batch.jobs
        tally = of(progress.QueuedTally, jobs)
        return ([j.id for j in jobs],
                {s: sum(1 for j in jobs if j.state is s) for s in SongState},
                [(j.id, j.path) for j in jobs if j.state in ACTIVE_STATES],
                (tally.n, tally.known_n, round(tally.known_s, 6)))

    def kept():
        q = batch._queued
        return (list(range(len(batch.jobs))), batch.counts(),
                [(i, j.path) for i, j in batch._active.items()],
                (q.n, q.known_n, round(q.known_s, 6)))

    rng = random.Random(7)
    taken = []
    for _ in range(40):
        if taken and (rng.random() < 0.4 or len(batch.jobs) < 8):
            batch.put_back(taken.pop())
        else:
            n = len(batch.jobs)
            taken.append(batch.remove(rng.sample(range(n), rng.randint(1, 4))))
        assert kept() == fresh()
        assert batch.is_finished == all(j.state in TERMINAL_STATES for j in batch.jobs)
    while taken:
        batch.put_back(taken.pop())
        assert kept() == fresh()
    assert sorted(j.path for j in batch.jobs) == sorted(f"s{i}.wav" for i in range(30)
                                                        if i != 25)
    assert counted == []  # no list counted afresh


def test_a_removal_and_its_undo_number_again_only_the_songs_from_the_first_place_moved(
        settings, monkeypatch):
    """The songs before the first one taken out or put back keep their places without being
    numbered again (numbering all 20,000 songs of a list was most of a removal's time)."""
    from core.batch.jobs import Job

    numbered = []
    plain = Job.__setattr__

    def watch(job, name, value):
        if name == "id":
            numbered.append(job.path)
        plain(job, name, value)

    batch = Batch([f"s{i}.wav" for i in range(10)], settings=settings, clock=HandClock())
    monkeypatch.setattr(Job, "__setattr__", watch)
    taken = batch.remove([6, 8])
    assert numbered == ["s7.wav", "s9.wav"]  # places 6 and 7 now
    numbered.clear()
    batch.put_back(taken)
    assert sorted(numbered) == ["s6.wav", "s7.wav", "s8.wav", "s9.wav"]
    assert [(j.id, j.path) for j in batch.jobs] == [(i, f"s{i}.wav") for i in range(10)]
