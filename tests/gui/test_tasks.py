"""The one task helper of the window: results reach the GUI thread, carriers die safely."""

from __future__ import annotations

import weakref

from PySide6.QtCore import QCoreApplication, QEvent, QObject, QThreadPool

from gui.tasks import run_task


def test_result_and_error_reach_on_done(qtbot):
    pool, owner, got = QThreadPool(), QObject(), []
    run_task(pool, owner, lambda: 6 * 7, lambda r, e: got.append((r, e)))
    run_task(pool, owner, lambda: int("x"), lambda r, e: got.append((r, e)))
    qtbot.waitUntil(lambda: len(got) == 2, timeout=5000)
    assert (42, None) in got
    assert any(r is None and "invalid literal" in e for r, e in got)
    assert pool.waitForDone(5000)


def test_an_error_carries_its_exception_beside_its_message(qtbot):
    pool, owner, got = QThreadPool(), QObject(), []

    def fail():
        raise PermissionError(13, "Permission denied", "/x/out.csv")

    run_task(pool, owner, fail, lambda r, e: got.append(e))
    qtbot.waitUntil(lambda: len(got) == 1, timeout=5000)
    (error,) = got
    assert "Permission denied" in error  # still the message a window shows
    assert isinstance(error.exception, PermissionError)
    assert error.exception.filename == "/x/out.csv"
    assert pool.waitForDone(5000)


def test_a_task_holding_the_last_reference_to_its_owner_frees_it_safely(qtbot):
    # The carrier's connection keeps on_done, and on_done the owner: deleting the carrier
    # frees the owner, which must not delete the carrier (its child) a second time.
    pool, got = QThreadPool(), []
    owner = QObject()
    ref = weakref.ref(owner)

    def on_done(result, error, owner=owner):
        got.append(result)

    run_task(pool, owner, lambda: 1, on_done)
    del owner, on_done
    qtbot.waitUntil(lambda: got == [1], timeout=5000)
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    assert ref() is None
    assert pool.waitForDone(5000)
