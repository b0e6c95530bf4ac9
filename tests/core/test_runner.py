"""The plain thread pool: every song ends, whatever the analyzer does."""

import threading
import time

from core.batch.rules import Batch, SongState
from core.batch.runner import BatchRunner
from core.errors import CorruptFileError
from core.io.results import SongResult
from core.settings import AnalysisSettings


def _fake_analyze(release: threading.Event):
    def analyze(path, *, settings, progress, should_cancel):
        if "stuck" in path:
            release.wait(30)  # a decoder that never returns on its own
            return SongResult(path=path, status="done")
        if "bad" in path:
            raise CorruptFileError(path, "the data is damaged")
        if "boom" in path:
            raise RuntimeError("analyzer bug")
        for i in range(3):
            if should_cancel():
                from core.errors import AnalysisCancelled
                raise AnalysisCancelled(path)
            time.sleep(0.01)
            progress(i + 1, 3, 9.0)
        return SongResult(path=path, status="done", bpm=120.0)
    return analyze


def test_stuck_song_times_out_and_batch_finishes():
    release = threading.Event()
    settings = AnalysisSettings(workers=2, budget_base_s=0.2, budget_factor=0.0,
                                hard_limit_factor=2.0)
    paths = ["stuck.wav"] + [f"s{i}.wav" for i in range(6)] + ["bad.wav", "boom.wav"]
    batch = Batch(paths, settings=settings)
    seen_stalled = []
    runner = BatchRunner(batch, analyze=_fake_analyze(release), tick_s=0.02,
                         on_change=lambda b, ch: seen_stalled.extend(
                             j.path for j in ch if j.state is SongState.STALLED))
    try:
        t0 = time.monotonic()
        runner.run()
        assert time.monotonic() - t0 < 10
    finally:
        release.set()
    by_path = {j.path: j for j in batch.jobs}
    assert by_path["stuck.wav"].state is SongState.TIMED_OUT
    assert "stuck.wav" in seen_stalled
    assert all(by_path[f"s{i}.wav"].state is SongState.DONE for i in range(6))
    assert by_path["bad.wav"].state is SongState.FAILED
    assert by_path["bad.wav"].error == "the data is damaged"
    assert "internal error" in by_path["boom.wav"].error
    # The abandoned worker's late result is discarded once it returns.
    time.sleep(0.1)
    assert by_path["stuck.wav"].state is SongState.TIMED_OUT


def test_all_workers_stuck_still_finishes():
    release = threading.Event()
    settings = AnalysisSettings(workers=2, budget_base_s=0.1, budget_factor=0.0,
                                hard_limit_factor=2.0)
    batch = Batch(["stuck1.wav", "stuck2.wav", "a.wav", "b.wav"], settings=settings)
    try:
        BatchRunner(batch, analyze=_fake_analyze(release), tick_s=0.02).run()
    finally:
        release.set()
    c = batch.counts()
    assert c[SongState.TIMED_OUT] == 2 and c[SongState.DONE] == 2


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
