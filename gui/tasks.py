"""One helper for every background task of the window: :func:`run_task`.

``run_task(pool, owner, fn, on_done)`` runs ``fn()`` on ``pool`` and calls
``on_done(result, error)`` in the GUI thread (Picard's ``run_task(func, next_func)``
shape).  The signal carrier of each task is a child of ``owner``, so it lives and is deleted
in the GUI thread whatever happens to the runnable in the pool thread, and a task that ends
after its owner was deleted emits into nothing instead of crashing.

Errors: the ones a user can act on (:class:`core.errors.SongCalError`, ``OSError``,
``ValueError``) reach ``on_done`` as their message; anything else is logged with its
traceback and reaches ``on_done`` as ``"TypeName: message"``.  Either message is a
:class:`TaskError`, a ``str`` that also holds the exception (``error.exception``), for a
caller whose answer depends on the kind of failure (a write that failed against a sheet that
cannot be used).  The song workers of the batch
are not tasks: they report through :class:`gui.workers.WorkerSignals`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal

from core.errors import SongCalError

__all__ = ["run_task", "TaskSignals", "TaskError", "EXPECTED_ERRORS"]

log = logging.getLogger(__name__)

#: Errors whose message is enough for the user (no traceback in the log).
EXPECTED_ERRORS = (SongCalError, OSError, ValueError)


class TaskError(str):
    """The message of a task's failure, as shown to the user; :attr:`exception` is the
    exception itself (an ``OSError`` is a write or read that failed, a
    :class:`core.errors.SongCalError` an input that cannot be used)."""

    exception: BaseException | None

    def __new__(cls, text: str, exception: BaseException | None = None):
        self = super().__new__(cls, text)
        self.exception = exception
        return self


class TaskSignals(QObject):
    """Signal carrier of one task: ``finished(result, error message or None)``."""

    finished = Signal(object, object)


class _TaskRunnable(QRunnable):
    def __init__(self, fn: Callable[[], object], signals: TaskSignals):
        super().__init__()
        self.fn = fn
        self.signals = signals

    def run(self) -> None:  # noqa: D102 - runs in a pool thread
        try:
            result, error = self.fn(), None
        except EXPECTED_ERRORS as err:
            result, error = None, TaskError(str(err), err)
        except Exception as err:
            log.exception("background task failed")
            result, error = None, TaskError(f"{type(err).__name__}: {err}", err)
        try:
            self.signals.finished.emit(result, error)
        except RuntimeError:  # the owner (and its carrier) was deleted while the app quit
            pass


def run_task(pool: QThreadPool, owner: QObject, fn: Callable[[], object],
             on_done: Callable[[object, object], None]) -> TaskSignals:
    """Run ``fn()`` on ``pool``; call ``on_done(result, error)`` in the GUI thread.

    Parameters
    ----------
    pool : QThreadPool
        Where the task runs.
    owner : QObject
        A GUI-thread object that parents the task's signal carrier.
    fn : callable
        The work; no arguments; must not touch widgets.
    on_done : callable
        ``on_done(result, None)`` on success, ``on_done(None, message)`` on failure (a
        :class:`TaskError`).

    Returns
    -------
    TaskSignals
        The task's carrier (deleted once ``on_done`` has run).
    """
    sig = TaskSignals(owner)

    def finished(result, error):
        # Detach the carrier from its owner before deleting it: this function (held by the
        # carrier's connection) may hold the last reference to the owner, and an owner freed
        # while the carrier is being deleted would otherwise delete that child a second time.
        sig.setParent(None)
        sig.deleteLater()
        on_done(result, error)

    sig.finished.connect(finished)
    pool.start(_TaskRunnable(fn, sig))
    return sig
