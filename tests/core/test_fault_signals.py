"""Signals and ``kill -9`` at a real ``songcal analyze`` process (with the fake analyzer of
:mod:`benchmarks.fault_driver`), then a resume with the same ``--session``: nothing shown as
done is lost or analyzed again, and a stopped run writes its partial CSV and exits 1."""

from __future__ import annotations

import csv
import os
import signal
import subprocess
import sys
import time

import pytest

from tests.core.test_faults import _deck

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _rows(path):
    with open(path, encoding="utf-8-sig", errors="surrogateescape", newline="") as f:
        return list(csv.DictReader(f))


def _driver(tmp_path, deck, log, *extra, step_s=0.08):
    cmd = [sys.executable, "-m", "benchmarks.fault_driver", str(log), str(step_s), "--",
           str(deck), "-o", str(tmp_path / "r.csv"), "--session", str(tmp_path / "s.sqlite"),
           "--workers", "2", *extra]
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    return subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, errors="replace")


def _analyzed(log):
    if not os.path.exists(log):
        return []
    with open(log, encoding="ascii") as f:
        return [os.fsdecode(bytes.fromhex(line.strip())) for line in f if line.strip()]


def _wait_done_lines(proc, n, timeout=60.0):
    """Read stdout until ``n`` songs were reported done; returns those paths."""
    done = []
    deadline = time.monotonic() + timeout
    while len(done) < n and time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        if line.startswith("done"):
            done.append(line.split(None, 1)[1].rsplit(" (", 1)[0])
    return done


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGHUP, signal.SIGINT, signal.SIGKILL])
def test_signal_mid_batch_then_resume_loses_nothing(tmp_path, sig):
    deck = tmp_path / "deck"
    _deck(deck, n=12)
    log = tmp_path / "analyses.log"
    proc = _driver(tmp_path, deck, log)
    try:
        done = _wait_done_lines(proc, 3)
        assert len(done) == 3
        proc.send_signal(sig)
        out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert "Traceback" not in err
    if sig == signal.SIGKILL:
        assert proc.returncode == -signal.SIGKILL
    else:
        assert proc.returncode == 1
        rows = {r["path"]: r for r in _rows(tmp_path / "r.csv")}
        assert len(rows) == 12
        assert all(rows[p]["status"] == "done" for p in done)
        assert {r["status"] for r in rows.values()} <= {"done", "cancelled"}
        assert "cancelled" in {r["status"] for r in rows.values()}
        assert f"stopped by {signal.Signals(sig).name}" in err
    first = _analyzed(log)
    resumed = _driver(tmp_path, deck, log)
    out, err = resumed.communicate(timeout=60)
    assert resumed.returncode == 0 and "Traceback" not in err
    again = _analyzed(log)[len(first):]
    assert not set(done) & set(again)  # nothing shown as done is analyzed again
    assert {r["status"] for r in _rows(tmp_path / "r.csv")} == {"done"}
