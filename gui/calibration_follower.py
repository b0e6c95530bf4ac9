"""Keep a calibration session in step with a running batch.

:class:`EngineFollower` compares a :class:`gui.engine.BatchEngine`'s jobs with what it last
passed on, on a timer (once a second by default, so matching follows at most that often
however fast songs finish), and hands :func:`engine_results` to a callback -- the
calibration controller's ``set_results`` -- when songs were added, removed or finished.

The follower holds a bound method's object weakly: the controller owns its follower, and a
follower holding the controller back made a reference cycle that only the garbage collector
could free -- on whichever thread happened to set off a collection, often a pool thread,
where deleting a Qt object is unsafe.  Held weakly, the controller dies with its last
reference, on the thread that drops it.
"""

from __future__ import annotations

import inspect
import weakref
from collections.abc import Callable

from PySide6.QtCore import QObject, QTimer

__all__ = ["EngineFollower", "engine_results"]


def engine_results(engine, *, cache: dict | None = None) -> tuple[list[dict], list[int]]:
    """Results rows and job keys of a :class:`gui.engine.BatchEngine`'s batch (the keys,
    :attr:`core.batch.rules.Job.key`, are the rows' stable keys: a song removed from the
    list and put back keeps its manual pair, and the songs after it keep theirs).

    A song not analyzed (yet) gets a row with its path and the title and artist read from
    tags or its file name, so it can be matched before its result arrives.  ``cache``
    (job key -> (result, row)), kept by the caller between calls, spares converting results
    already converted.
    """
    rows, keys = [], []
    for job in list(engine.batch.jobs):
        if job.result is not None:
            hit = cache.get(job.key) if cache is not None else None
            if hit is not None and hit[0] is job.result:
                row = hit[1]
            else:
                row = job.result.to_row()
                if cache is not None:
                    cache[job.key] = (job.result, row)
        else:
            title, artist = engine.identity.get(job.id, ("", ""))
            row = {"path": job.path, "title": title, "artist": artist,
                   "status": job.state.value}
        rows.append(row)
        keys.append(job.key)
    return rows, keys


class EngineFollower(QObject):
    """Passes an engine's results on when they change.

    Parameters
    ----------
    set_results : callable
        ``set_results(rows, keys=job_keys)``, called in the GUI thread.  A bound method is
        held weakly (its object is not kept alive; once it is gone the follower stops).
    parent : QObject, optional
    """

    def __init__(self, set_results: Callable, parent=None):
        super().__init__(parent)
        if inspect.ismethod(set_results):
            self._set_results = weakref.WeakMethod(set_results)
        else:
            self._set_results = lambda: set_results
        self._engine = None
        self._stamp = None
        self._rows: dict = {}  # job key -> (result, results row) of the followed engine
        self._timer = QTimer(self)
        self._timer.timeout.connect(self.sync)

    def follow(self, engine, *, interval_ms: int = 1000) -> None:
        """Follow ``engine``, looking every ``interval_ms``; passes its results on now.

        Raises
        ------
        ValueError
            When ``interval_ms`` is not positive.
        """
        if interval_ms <= 0:
            raise ValueError(f"interval_ms must be > 0, got {interval_ms!r}")
        self._engine, self._stamp, self._rows = engine, None, {}
        self._timer.start(interval_ms)
        self.sync()

    def sync(self) -> bool:
        """Pass the engine's results on now if they changed; True when they did."""
        engine = self._engine
        if engine is None:
            return False
        stamp = (tuple((j.key, id(j.result)) for j in engine.batch.jobs),
                 len(engine.identity))
        if stamp == self._stamp:
            return False
        set_results = self._set_results()
        if set_results is None:  # its owner is gone
            self.stop()
            return False
        self._stamp = stamp
        rows, keys = engine_results(engine, cache=self._rows)
        set_results(rows, keys=keys)
        return True

    def stop(self) -> None:
        """Stop looking."""
        self._timer.stop()
