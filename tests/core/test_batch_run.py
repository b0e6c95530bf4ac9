"""The batch rules added for the window in daily use: more time for a stalled song, earlier
results kept while a song is analyzed again, budgets of the settings a song ran with, the
user's corrections, restored songs, and the figures of a run (rate, time left by length)."""

import threading

import pytest

from core.batch.rules import Batch, SongState
from core.io.results import SongResult
from core.settings import AnalysisSettings
from tests.core.clocks import HandClock


@pytest.fixture
def settings():
    return AnalysisSettings(workers=2, budget_base_s=10.0, budget_factor=0.0,
                            hard_limit_factor=2.0)


def _done(job, **kw):
    return SongResult(path=job.path, status="done", **kw)


def test_extend_moves_the_hard_limit_by_one_budget_each_time(settings):
    clock = HandClock()
    b = Batch(["a.wav"], settings=settings, clock=clock)
    job, attempt = b.claim("w1")
    assert b.hard_limit(job) == 20.0
    clock.t += 12
    assert [j.state for j in b.check()] == [SongState.STALLED]
    assert b.extend(job.id) == 30.0
    assert b.extend(job.id) == 40.0  # repeatable
    clock.t += 25  # 37 s: past the first limit (20), within the extended one (40)
    assert b.check() == [] and job.state is SongState.STALLED
    clock.t += 4
    assert b.check() == [job] and job.state is SongState.TIMED_OUT
    assert "hard limit 40 s" in job.error
    assert b.extend(job.id) is None  # not running any more: nothing changes


def test_extend_is_for_this_attempt_only(settings):
    b = Batch(["a.wav"], settings=settings)
    job, attempt = b.claim("w1")
    b.extend(job.id)
    b.skip(job.id)
    b.requeue([job.id])
    b.claim("w1")
    assert b.hard_limit(job) == 20.0


def test_extend_is_thread_safe(settings):
    b = Batch(["a.wav"], settings=settings)
    job, _ = b.claim("w1")
    threads = [threading.Thread(target=lambda: [b.extend(job.id) for _ in range(200)])
               for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert b.hard_limit(job) == 20.0 + 800 * 10.0


def test_budget_comes_from_the_settings_the_song_ran_with(settings):
    b = Batch(["a.wav"], settings=settings)
    job, attempt = b.claim("w1")
    b.finish(job.id, attempt, _done(job))
    b.set_settings(AnalysisSettings(budget_base_s=99.0))
    assert b.budget(job) == 10.0  # analyzed with a 10 s budget, whatever the settings now
    assert b.budget(Batch(["b.wav"], settings=b.settings).jobs[0]) == 99.0


@pytest.mark.parametrize("end", ["fail", "timeout", "skip", "cancel_running", "cancel_queued"])
def test_analyzing_again_keeps_the_earlier_result_when_the_new_attempt_ends_badly(settings,
                                                                                   end):
    clock = HandClock()
    b = Batch(["a.wav"], settings=settings, clock=clock)
    job, attempt = b.claim("w1")
    good = _done(job, bpm=120.0)
    b.finish(job.id, attempt, good)
    assert b.requeue([job.id], force=True) == [job]
    assert job.state is SongState.QUEUED and job.previous is good
    if end == "cancel_queued":
        b.cancel()
        assert job.state is SongState.DONE and job.result is good  # nothing happened to it
        assert job.result.note == ""
        return
    _, attempt = b.claim("w1")
    if end == "fail":
        b.fail(job.id, attempt, "cannot decode")
    elif end == "timeout":
        clock.t += 30
        b.check()
    elif end == "skip":
        b.skip(job.id)
    else:
        b.cancel()
        b.fail(job.id, attempt, "cancelled", cancelled=True)
    expected = {"fail": SongState.FAILED, "timeout": SongState.TIMED_OUT,
                "skip": SongState.SKIPPED, "cancel_running": SongState.CANCELLED}[end]
    assert job.outcome is expected
    assert job.state is SongState.DONE and job.result.bpm == 120.0
    assert "the earlier result is kept" in job.result.note
    why = {"fail": "failed, cannot decode;", "timeout": "timed out after 30 s (hard limit",
           "skip": "skipped by the user;", "cancel_running": "cancelled;"}[end]
    assert job.result.note.startswith(f"analyzing it again: {why}")  # the state said once
    assert job.error == "" and job.previous is None
    assert b.results()[0].status == "done"


def test_a_failed_song_retried_has_no_earlier_result(settings):
    b = Batch(["a.wav"], settings=settings)
    job, attempt = b.claim("w1")
    b.fail(job.id, attempt, "cannot decode")
    b.requeue()
    assert job.previous is None
    _, attempt = b.claim("w1")
    b.fail(job.id, attempt, "cannot decode again")
    assert job.state is SongState.FAILED and job.result.error == "cannot decode again"


def test_corrections_are_recorded_beside_the_analyzer_values_and_survive_a_new_analysis(
        settings):
    b = Batch(["a.wav", "b.wav"], settings=settings)
    job, attempt = b.claim("w1")
    b.finish(job.id, attempt, _done(job, bpm=61.5, key="A minor"))
    before = job.result
    after = b.correct(job.id, bpm_user=123.0, key_user="C major")
    assert after is job.result and after is not before  # a new object: views see it
    assert (after.bpm, after.bpm_user, after.key, after.key_user) == (61.5, 123.0, "A minor",
                                                                       "C major")
    b.requeue([job.id], force=True)
    _, attempt = b.claim("w1")
    b.finish(job.id, attempt, _done(job, bpm=62.0))
    assert job.result.bpm == 62.0 and job.result.bpm_user == 123.0
    assert b.correct(job.id, bpm_user=None).bpm_user is None
    assert b.correct(1, bpm_user=100.0) is None  # not analyzed yet
    with pytest.raises(ValueError, match="bpm_user"):
        b.correct(job.id, bpm_user=-3.0)
    with pytest.raises(ValueError, match="only"):
        b.correct(job.id, energy=0.5)


def test_restored_songs_keep_their_state_and_unanalyzed_ones_are_queued(settings):
    b = Batch(settings=settings)
    done = SongResult(path="a.wav", status="done", bpm=90.0, duration_s=30.0)
    failed = SongResult(path="b.wav", status="failed", error="cannot decode")
    jobs = b.add_restored([("a.wav", done), ("b.wav", failed), ("c.wav", None)])
    assert [j.state for j in jobs] == [SongState.DONE, SongState.FAILED, SongState.QUEUED]
    assert jobs[0].result is done and jobs[1].error == "cannot decode"
    assert not b.is_finished
    job, _ = b.claim("w1")
    assert job.path == "c.wav"


def test_a_second_run_counts_from_zero_and_paused_time_is_left_out(settings):
    clock = HandClock()
    b = Batch(["a.wav", "b.wav"], settings=settings, clock=clock)
    for _ in range(2):
        job, attempt = b.claim("w1")
        clock.t += 30
        b.finish(job.id, attempt, _done(job))
    assert b.figures()["rate"] == 2.0
    clock.t += 3600  # an hour idle
    b.requeue([0], force=True)
    b.begin()
    assert b.run_counts() == {"ended": 0, "analyzed": 0, "stored": 0, "total": 1}
    job, attempt = b.claim("w1")
    b.pause()
    clock.t += 600  # paused ten minutes while the song runs
    b.resume()
    clock.t += 20
    b.finish(job.id, attempt, _done(job))
    assert b.run_counts()["ended"] == 1
    assert b.figures()["rate"] == pytest.approx(3.0)  # one song in 20 s of running


def test_songs_from_the_store_are_not_counted_as_analyzed(settings):
    clock = HandClock()
    b = Batch(["a.wav", "b.wav", "c.wav"], settings=settings, clock=clock)
    for _ in range(3):
        job, attempt = b.claim("w1")
        clock.t += 0.002
        b.finish(job.id, attempt, _done(job, source="store", analysis_s=42.0))
    assert b.run_counts() == {"ended": 3, "analyzed": 0, "stored": 3, "total": 3}
    assert b.figures()["rate"] == 0.0
    assert b.jobs[0].result.analysis_s == 42.0  # the original analysis time is kept
    assert b.jobs[0].result.source == "store"


def test_eta_follows_song_length_and_the_running_songs_progress(settings):
    clock = HandClock()
    b = Batch(["short.wav", "long.wav", "q1.wav", "q2.wav"], settings=settings, clock=clock)
    short, a1 = b.claim("w1")
    clock.t += 10
    b.progress(short.id, a1, 1, 1, 60.0)
    b.finish(short.id, a1, _done(short, duration_s=60.0))  # 10 s for 60 s of audio
    long_, a2 = b.claim("w1")
    b.progress(long_.id, a2, 0, 100, 10800.0)  # a 3-hour file
    assert b.figures()["eta"] == pytest.approx(max(1800.0, (1800.0 + 10 + 10) / 2))
    clock.t += 198
    b.progress(long_.id, a2, 11, 100, 10800.0)  # 11 % after 198 s
    assert b.figures()["eta"] == pytest.approx(198 * 89 / 11)  # the long song decides
    assert b.run_counts()["total"] == 4


def test_eta_is_unknown_before_anything_can_be_measured_and_zero_at_the_end(settings):
    b = Batch(["a.wav"], settings=settings)
    assert b.figures()["eta"] is None
    job, attempt = b.claim("w1")
    assert b.figures()["eta"] is None
    b.finish(job.id, attempt, _done(job))
    assert b.figures()["eta"] == 0.0


def test_eta_is_unknown_while_a_song_is_stalled(settings):
    clock = HandClock()
    b = Batch(["a.wav", "slow.wav"], settings=settings, clock=clock)
    job, attempt = b.claim("w1")
    clock.t += 4
    b.finish(job.id, attempt, _done(job))
    slow, attempt = b.claim("w1")
    clock.t += 5
    b.check()
    assert b.figures()["eta"] == 0.0  # past the run's 4 s a song: its estimate is spent
    clock.t += 6  # past its budget of 10 s: it may end now, or at its hard limit of 20 s
    b.check()
    assert slow.state is SongState.STALLED and b.figures()["eta"] is None
    b.finish(slow.id, attempt, _done(slow))
    assert b.figures()["eta"] == 0.0


def test_figures_read_counts_rate_and_eta_together(settings):
    clock = HandClock()
    b = Batch(["a.wav", "b.wav"], settings=settings, clock=clock)
    job, attempt = b.claim("w1")
    clock.t += 30
    b.finish(job.id, attempt, _done(job))
    f = b.figures()
    assert {k: f[k] for k in ("ended", "analyzed", "stored", "total")} == b.run_counts()
    assert f["rate"] == b.figures()["rate"] == 2.0
    assert f["eta"] == b.figures()["eta"] == pytest.approx(30.0 / 2)  # one song left, two workers


# -- the figures kept as songs change ----------------------------------------------------


class _CountedList(list):
    """A list that counts the times it is walked from the start."""

    walks = 0

    def __iter__(self):
        type(self).walks += 1
        return super().__iter__()


def test_the_questions_asked_on_every_tick_do_not_walk_the_ended_songs(settings):
    # The window asks for counts, figures and the next song several times a second; a long
    # batch must not make each question cost a pass over every song that has ended.
    clock = HandClock()
    b = Batch([f"{i}.wav" for i in range(3000)], settings=settings, clock=clock)
    for _ in range(2990):
        job, attempt = b.claim("w1")
        clock.t += 0.5
        b.progress(job.id, attempt, 1, 1, 30.0)
        b.finish(job.id, attempt, _done(job, duration_s=30.0))
    running, attempt = b.claim("w1")
    b._jobs = _CountedList(b._jobs)
    _CountedList.walks = 0
    clock.t += 0.5
    for _ in range(5):
        b.counts()
        b.run_counts()
        b.figures()
        b.stalled()
        b.check()
        assert not b.is_finished
    b.finish(running.id, attempt, _done(running, duration_s=30.0))
    assert b.claim("w1")[0].id == 2991
    assert _CountedList.walks == 0
    f = b.figures()
    assert (f["ended"], f["analyzed"], f["total"]) == (2991, 2991, 3000)
    assert f["eta"] == pytest.approx(0.5 * 9 / 2)  # 0.5 s a song, nine left, two workers


def _afresh(b: Batch) -> dict:
    """What the batch's figures are, counted from every job."""
    from core.batch import progress

    jobs = list(b.jobs)
    counts = {s: sum(1 for j in jobs if j.state is s) for s in SongState}
    return {"counts": counts,
            "run": progress.run_counts(jobs, b._run),
            "eta": progress.eta_seconds(jobs, b._run, b._clock(), workers=b.settings.workers),
            "finished": bool(jobs) and all(j.state in TERMINAL for j in jobs),
            "stalled": [j for j in jobs if j.state is SongState.STALLED],
            "next": next((j.id for j in jobs if j.state is SongState.QUEUED), None)}


TERMINAL = frozenset({SongState.DONE, SongState.FAILED, SongState.TIMED_OUT,
                      SongState.CANCELLED, SongState.SKIPPED})


@pytest.mark.parametrize("seed", range(6))
def test_figures_kept_as_songs_change_equal_the_figures_counted_afresh(settings, seed):
    import random

    rng = random.Random(seed)
    clock = HandClock()
    b = Batch([f"{i}.wav" for i in range(12)], settings=settings, clock=clock)
    b.add_failed("gone.wav", "file not found")
    done = SongResult(path="r.wav", status="done", duration_s=40.0, source="store")
    b.add_restored([("r.wav", done), ("q.wav", None), ("c.wav", done, True)])
    running: list = []
    for _ in range(400):
        clock.t += rng.choice((0.001, 0.5, 3.0, 7.0))  # a clock moves between two events
        op = rng.random()
        if op < 0.3:
            claimed = b.claim(f"w{rng.randint(1, 2)}")
            if claimed is not None:
                running.append(claimed)
        elif op < 0.55 and running:
            job, attempt = running.pop(rng.randrange(len(running)))
            if rng.random() < 0.3:
                b.progress(job.id, attempt, 1, 3, rng.choice((None, 20.0, 90.0)))
                running.append((job, attempt))
            elif rng.random() < 0.7:
                b.finish(job.id, attempt, _done(job, duration_s=rng.choice((None, 0.0, 60.0)),
                                                source=rng.choice(("", "store"))))
            else:
                b.fail(job.id, attempt, "corrupt", cancelled=rng.random() < 0.3)
        elif op < 0.65:
            b.check()
        elif op < 0.72:
            b.skip(rng.randrange(len(b.jobs)))
        elif op < 0.8:
            b.requeue(rng.sample(range(len(b.jobs)), 3), force=rng.random() < 0.5)
        elif op < 0.84:
            b.mark_changed([rng.randrange(len(b.jobs))])
        elif op < 0.87:
            b.cancel()
        elif op < 0.92:
            b.begin()
        elif op < 0.95:
            b.pause() if rng.random() < 0.5 else b.resume()
        else:
            b.add([f"more{clock.t}.wav"])
        want = _afresh(b)
        assert b.counts() == want["counts"]
        assert b.run_counts() == want["run"]
        assert b.is_finished == want["finished"]
        assert b.stalled() == want["stalled"]
        eta = b.figures()["eta"]
        assert (eta is None) == (want["eta"] is None)
        if eta is not None:
            assert eta == pytest.approx(want["eta"], abs=1e-6)
        if want["next"] is not None and not (b.paused or b.cancelled):
            assert b._first_queued <= want["next"]


def test_outcome_names_how_the_last_attempt_ended_after_a_retry(settings):
    # A song that failed and then was analyzed fine must not keep saying it failed: the
    # window's worker panel reads the outcome to tell a finished worker from a stuck one.
    clock = HandClock()
    b = Batch(["a.wav"], settings=settings, clock=clock)
    job, attempt = b.claim("w1")
    b.fail(job.id, attempt, "cannot decode")
    assert job.outcome is SongState.FAILED
    assert b.requeue([job.id]) == [job]
    job, attempt = b.claim("w1")
    assert b.finish(job.id, attempt, _done(job, bpm=120.0))
    assert job.state is SongState.DONE and job.outcome is SongState.DONE
