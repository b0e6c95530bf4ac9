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

The window asks for these figures several times a second, whatever the size of the batch,
so they are not counted afresh from every song each time: :class:`RunTally` sums the songs
of the run as they end (and takes one back when it is queued again), :class:`QueuedTally`
the songs waiting; :class:`core.batch.rules.Batch` keeps both as its songs change, under its
lock, and only its running songs are read on each call.  :func:`run_counts` and
:func:`eta_seconds` give the same figures counted from a list of jobs.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from core.batch.jobs import ACTIVE_STATES, TERMINAL_STATES, SongState

__all__ = ["RunClock", "RunTally", "QueuedTally", "run_counts", "run_rate", "eta_seconds",
           "eta_from"]


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


@dataclass
class RunTally:
    """The songs that ended in a run, summed as they end.

    A song is added when it ends (after the run's first song started) and taken back when
    it is queued again or leaves the list; what it adds is fixed when it ends, and kept by
    the song's :attr:`core.batch.jobs.Job.key` (its place changes when songs before it are
    removed; the tally is not counted afresh then).  ``took_*`` are the done songs
    analyzed in the run (not served from the store): how many, their analysis times summed;
    ``audio_*`` the same of those whose length is known, with their lengths summed.
    """

    ended: int = 0
    analyzed: int = 0
    stored: int = 0
    took_n: int = 0
    took_s: float = 0.0
    audio_n: int = 0
    audio_s: float = 0.0
    audio_took_s: float = 0.0
    _parts: dict = field(default_factory=dict, repr=False)

    @classmethod
    def of(cls, jobs, run: RunClock) -> RunTally:
        """The tally of ``jobs`` counted afresh."""
        tally = cls()
        for j in jobs:
            tally.add_if_ended(j, run)
        return tally

    def add_if_ended(self, job, run: RunClock) -> None:
        """Add ``job`` when it ended in ``run`` (a song put back in the list)."""
        if _ended_in_run(job, run.started_at):
            self.add(job)

    def add(self, job) -> None:
        """``job`` ended in the run (replaces what it added before, if anything)."""
        self.remove(job.key)
        stored = _stored(job)
        took = duration = None
        if (job.state is SongState.DONE and job.started_at is not None and not stored
                and job.finished_at is not None):
            took = job.finished_at - job.started_at
            duration = job.duration_s or None
        part = (stored, not stored and job.started_at is not None, took, duration)
        self._parts[job.key] = part
        self._apply(part, 1)

    def remove(self, key: int) -> None:
        """The song of key ``key`` no longer counts as ended in the run (queued again, or
        taken out of the list)."""
        part = self._parts.pop(key, None)
        if part is not None:
            self._apply(part, -1)

    def _apply(self, part, sign: int) -> None:
        stored, analyzed, took, duration = part
        self.ended += sign
        self.stored += sign * stored
        self.analyzed += sign * analyzed
        if took is not None:
            self.took_n += sign
            self.took_s = self.took_s + sign * took if self.took_n else 0.0
            if duration:
                self.audio_n += sign
                if self.audio_n:
                    self.audio_s += sign * duration
                    self.audio_took_s += sign * took
                else:  # no rounding left behind once the last one is taken back
                    self.audio_s = self.audio_took_s = 0.0

    def counts(self, waiting: int) -> dict[str, int]:
        """:func:`run_counts` with ``waiting`` songs not ended."""
        return {"ended": self.ended, "analyzed": self.analyzed, "stored": self.stored,
                "total": self.ended + waiting}


@dataclass
class QueuedTally:
    """The queued songs: how many, and how many of them have a known length, summed.

    A song's length does not change while it is queued, so it is added when the song is
    queued and taken back, as it was, when the song leaves the queue.
    """

    n: int = 0
    known_n: int = 0
    known_s: float = 0.0

    @classmethod
    def of(cls, jobs) -> QueuedTally:
        """The tally of the queued songs of ``jobs`` counted afresh."""
        tally = cls()
        for j in jobs:
            if j.state is SongState.QUEUED:
                tally.add(j.duration_s)
        return tally

    def add(self, duration_s: float | None, sign: int = 1) -> None:
        """A song of length ``duration_s`` joined the queue (``sign`` -1: left it)."""
        self.n += sign
        if duration_s:
            self.known_n += sign
            self.known_s = self.known_s + sign * duration_s if self.known_n else 0.0


def run_counts(jobs, run: RunClock) -> dict[str, int]:
    """Songs of the run: ``ended``, ``analyzed`` (ended after an analysis, failed ones
    too), ``stored`` (served from the store) and ``total`` (ended in the run or not ended).

    Parameters
    ----------
    jobs : list of core.batch.rules.Job
    run : RunClock
    """
    waiting = sum(1 for j in jobs if j.state not in TERMINAL_STATES)
    return RunTally.of(jobs, run).counts(waiting)


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
    return eta_from(RunTally.of(jobs, run), QueuedTally.of(jobs),
                    [j for j in jobs if j.state in ACTIVE_STATES], now, workers=workers)


def eta_from(tally: RunTally, queued: QueuedTally, active, now: float, *,
             workers: int) -> float | None:
    """:func:`eta_seconds` from the run's tally, the queue's and the running songs
    (``active``, the jobs running or stalled)."""
    per_song = tally.took_s / tally.took_n if tally.took_n else None
    per_audio_s = (tally.audio_took_s / tally.audio_s
                   if tally.audio_n and tally.audio_s > 0 else None)

    def estimate(duration_s):
        if duration_s and per_audio_s is not None:
            return per_audio_s * duration_s
        return per_song

    longest = total = 0.0
    for j in active:
        if j.state is SongState.STALLED:
            return None
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
    if queued.n:
        if per_song is None:
            return None
        if per_audio_s is not None:
            total += per_audio_s * queued.known_s + per_song * (queued.n - queued.known_n)
        else:
            total += per_song * queued.n
    return max(longest, total / max(1, int(workers)))
