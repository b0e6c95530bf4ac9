"""Shared test set-up: Qt offscreen, one numeric thread, and no threads left behind."""

from __future__ import annotations

import logging
import os
import threading
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import tempfile  # noqa: E402

import pytest  # noqa: E402

# Keep the session store of the tests away from the user's own.
os.environ["SONGCAL_DATA_DIR"] = tempfile.mkdtemp(prefix="songcal-test-data-")


class _UTF8Formatter(logging.Formatter):
    """Another formatter's lines with lone surrogates escaped (``\\udce9``)."""

    def __init__(self, inner: logging.Formatter):
        super().__init__()
        self.inner = inner

    def format(self, record):
        text = self.inner.format(record)
        try:
            text.encode("utf-8")
            return text
        except UnicodeEncodeError:
            return text.encode("utf-8", "backslashreplace").decode("utf-8")


@pytest.fixture(autouse=True, scope="session")
def captured_logs_in_utf8(request):
    """A test's captured log travels to pytest-xdist's controller as UTF-8: a line naming a
    file whose name is not valid UTF-8 (the window logs the path as Python holds it, with
    lone surrogates) stopped the worker process.  Such lines are escaped in the report."""
    plugin = request.config.pluginmanager.get_plugin("logging-plugin")
    handler = getattr(plugin, "report_handler", None)
    if handler is not None and not isinstance(handler.formatter, _UTF8Formatter):
        handler.setFormatter(_UTF8Formatter(handler.formatter or logging.Formatter()))
    yield


@pytest.fixture(autouse=True)
def private_data_dir(tmp_path, monkeypatch):
    """Each test its own session store: results are keyed by content, and the test decks
    are generated alike, so a shared store would serve one test's fakes to another."""
    monkeypatch.setenv("SONGCAL_DATA_DIR", str(tmp_path / "songcal-data"))


def _live_threads() -> set[threading.Thread]:
    return {t for t in threading.enumerate() if t.is_alive()}


@pytest.fixture(autouse=True)
def no_leaked_threads(request):
    """Fail a test that leaves Python threads running after it ends (waits up to 5 s).

    The worker panel's CPU sampler is one thread for the whole process by design
    (:func:`gui.worker_panel.shared_sampler`), not a leak."""
    before = _live_threads()
    yield
    deadline = time.monotonic() + 5.0
    while True:
        leaked = [t for t in _live_threads() - before if not t.name.startswith(("Dummy-", "QThread", "songcal-cpu-sampler"))]
        if not leaked or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    if leaked:
        pytest.fail(f"test left threads running: {[t.name for t in leaked]}")
