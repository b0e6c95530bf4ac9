"""The figures of a batch run: songs per minute and the time left, by song length.

A *run* begins when a batch is (re)started (:meth:`core.batch.rules.Batch.begin`) and its
first song starts; paused time does not count.  Only songs that ended in the current run
count, so a second run over the same batch starts from zero, and songs served from the
session store (``source == "store"``, a few milliseconds each) are counted apart: they say
nothing about how fast songs are analyzed.

The time left is estimated song by song:

- a running song that reported chunk *i* of *n* needs ``elapsed x (n - i) / i`` more
  (chunks are fixed lengths of audio, so a 3-hour file at 11 % has most of its time ahead);
- any other song needs the run's analysis time per second of audio times its length, or,
  while its length is unknown, the run's mean time per song;
- the total is shared by the workers, and the batch cannot end before its slowest running
  song: ``max(longest running song, total / workers)``;
- a stalled song (past its budget) leaves the time unknown: it may end any moment, or only
  at its hard limit, and the batch waits for it (its estimate, already overrun, said 0 s).

These functions read jobs; :class:`core.batch.rules.Batch` calls them under its lock.
"""

from __future__ import annotations

from dataclasses import dataclass

from core.batch.jobs import ACTIVE_STATES, TERMINAL_STATES, SongState

__all__ = ["RunClock", "run_counts", "run_rate", "eta_seconds"]


@dataclass
class RunClock:
    """When the current run started and how long it was paused (clock seconds)."""

    started_at: float | None = None
    paused_s: float = 0.0
    paused_at: float | None = None

    def start(self, now: float) -> None:
        """A song started at ``now``; the first one starts the run."""
        if self.started_at is None:
            self.started_at = now

    def pause(self, now: float) -> None:
        """The batch was paused at ``now``."""
        if self.paused_at is None:
            self.paused_at = now

    def resume(self, now: float) -> None:
        """The batch was resumed at ``now``."""
        if self.paused_at is not None:
            self.paused_s += max(0.0, now - self.paused_at)
            self.paused_at = None

    def active_s(self, now: float) -> float:
        """Seconds the run has been going at ``now``, paused time left out (0 before it)."""
        if self.started_at is None:
            return 0.0
        paused = self.paused_s + (max(0.0, now - self.paused_at)
                                  if self.paused_at is not None else 0.0)
        return max(0.0, now - self.started_at - paused)


def _ended_in_run(job, start: float | None) -> bool:
    # (the window asks several times a second of thousands of songs: kept cheap)
    finished = job.finished_at
    return (start is not None and finished is not None and finished >= start
            and job.state in TERMINAL_STATES)


def _stored(job) -> bool:
    r = job.result
    return r is not None and r.source == "store"


def run_counts(jobs, run: RunClock) -> dict[str, int]:
    """Songs of the run: ``ended``, ``analyzed`` (ended after an analysis, failed ones
    too), ``stored`` (served from the store) and ``total`` (ended in the run or not ended).

    Parameters
    ----------
    jobs : list of core.batch.rules.Job
    run : RunClock
    """
    ended = stored = analyzed = waiting = 0
    start = run.started_at
    for j in jobs:
        if _ended_in_run(j, start):
            ended += 1
            if _stored(j):
                stored += 1
            elif j.started_at is not None:
                analyzed += 1
        elif j.state not in TERMINAL_STATES:
            waiting += 1
    return {"ended": ended, "analyzed": analyzed, "stored": stored, "total": ended + waiting}


def run_rate(jobs, run: RunClock, now: float, *, counts: dict | None = None) -> float:
    """Songs analyzed per minute of the run (at least one second of it counts).

    Parameters
    ----------
    jobs : list of core.batch.rules.Job
    run : RunClock
    now : float
        Clock time (s): the end of the run when it has ended.
    counts : dict, optional
        :func:`run_counts` of the same jobs, when the caller has it already.

    Returns
    -------
    float
        Songs per minute; 0 before the run's first song.
    """
    if run.started_at is None:
        return 0.0
    n = (counts or run_counts(jobs, run))["analyzed"]
    return n / (max(1.0, run.active_s(now)) / 60.0)


def eta_seconds(jobs, run: RunClock, now: float, *, workers: int) -> float | None:
    """Seconds until every song has ended, estimated song by song (module docstring).

    Parameters
    ----------
    jobs : list of core.batch.rules.Job
    run : RunClock
    now : float
        Clock time (s).
    workers : int
        Songs analyzed at once.

    Returns
    -------
    float or None
        0 when nothing is left; None while there is nothing to estimate from (no song of
        the run analyzed yet and no running song past its first chunk) or a song is
        stalled.
    """
    start = run.started_at
    done = SongState.DONE
    took = [(j.finished_at - j.started_at, j.duration_s) for j in jobs
            if j.state is done and _ended_in_run(j, start) and j.started_at is not None
            and not _stored(j)]
    per_song = sum(t for t, _ in took) / len(took) if took else None
    audio = sum(d for _, d in took if d)
    per_audio_s = sum(t for t, d in took if d) / audio if audio > 0 else None

    def estimate(duration_s):
        if duration_s and per_audio_s is not None:
            return per_audio_s * duration_s
        return per_song

    longest = total = 0.0
    queued = SongState.QUEUED
    stalled = SongState.STALLED
    for j in jobs:
        state = j.state
        if state is stalled:
            return None
        if state in ACTIVE_STATES:
            elapsed = j.elapsed(now)
            if j.n_chunks > 0 and 0 < j.chunk < j.n_chunks:
                left = elapsed * (j.n_chunks - j.chunk) / j.chunk
            else:
                whole = estimate(j.duration_s)
                if whole is None:
                    return None
                left = max(0.0, whole - elapsed)
            longest = max(longest, left)
            total += left
        elif state is queued:
            whole = estimate(j.duration_s)
            if whole is None:
                return None
            total += whole
    return max(longest, total / max(1, int(workers)))
