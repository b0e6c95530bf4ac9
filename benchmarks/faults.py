"""Faults thrown at a real ``songcal analyze`` process; prints one summary line.

    python -m benchmarks.faults [--songs 40] [--points 10] [--seed 0]

For each of ``kill -9``, SIGTERM and SIGHUP, at ``--points`` random moments of a batch of
``--songs`` short generated songs (the fake analyzer of :mod:`benchmarks.fault_driver`:
real command, real store, real signals), the process is hit, then the same command is run
again with the same ``--session``.  Counted:

- results lost: songs the first run reported done that the resumed run analyzed again or
  did not report done;
- batches that did not end: a run still alive 30 s after its signal, or a resumed run
  that did not finish;
- re-analyzed: songs reported done before the fault and analyzed again after it;
- wrong cache hits: after a song's file is replaced by different content of the same size
  with its timestamp kept (``touch -r``), or renamed, the resumed run's row must match the
  content now on disk.
- temporary files left: hidden ``.songcal-*`` files beside the CSV after each resumed run;
  and a writer of the CSV killed before its rename: the next run writing there must remove
  the file it left (set back past the safety margin) and keep another computer's and a
  running process's.

Also printed: the longest time from a stop signal to the process exit, and how long the
output guard takes to refuse a bad ``-o`` before any analysis.
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import subprocess
import sys
import tempfile
import threading
import time

import numpy as np
import soundfile as sf

from benchmarks.fault_driver import expected_bpm

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _deck(folder: str, n: int, seed: int) -> list[str]:
    rng = np.random.default_rng(seed)
    os.makedirs(folder, exist_ok=True)
    paths = []
    for i in range(n):
        y = (0.2 * rng.standard_normal(8000 + 97 * i)).astype(np.float32)
        p = os.path.join(folder, f"{i:03d} Song {i}.wav")
        sf.write(p, y, 8000, subtype="PCM_16")
        paths.append(p)
    return paths


def _cmd(work, deck, log, step_s):
    return [sys.executable, "-m", "benchmarks.fault_driver", log, str(step_s), "--", deck,
            "-o", os.path.join(work, "r.csv"), "--session", os.path.join(work, "s.sqlite"),
            "--workers", "2"]


def _analyzed(log) -> list[str]:
    if not os.path.exists(log):
        return []
    with open(log, encoding="ascii") as f:
        return [os.fsdecode(bytes.fromhex(x.strip())) for x in f if x.strip()]


def _rows(path) -> dict:
    import csv

    with open(path, encoding="utf-8-sig", errors="surrogateescape", newline="") as f:
        return {r["path"]: r for r in csv.DictReader(f)}


def one_fault(work: str, n: int, sig: int, delay_s: float, step_s: float, seed: int) -> dict:
    """Hit a batch with ``sig`` after ``delay_s``, resume it, and count what went wrong."""
    deck = os.path.join(work, "deck")
    _deck(deck, n, seed)
    log = os.path.join(work, "analyses.log")
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    proc = subprocess.Popen(_cmd(work, deck, log, step_s), cwd=ROOT, env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, errors="replace")
    lines: list[str] = []
    errors: list[str] = []
    readers = [threading.Thread(target=lambda s=s, o=o: o.extend(s), daemon=True)
               for s, o in ((proc.stdout, lines), (proc.stderr, errors))]
    for t in readers:
        t.start()
    time.sleep(delay_s)
    done = [ln.split(None, 1)[1].rsplit(" (", 1)[0] for ln in list(lines)
            if ln.startswith("done")]  # what was shown as done when the fault hit
    proc.send_signal(sig)
    t_sig = time.monotonic()
    hung = 0
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        hung = 1
    stop_s = time.monotonic() - t_sig
    for t in readers:
        t.join(5)
    err = "".join(errors)
    first = _analyzed(log)
    resumed = subprocess.run(_cmd(work, deck, log, step_s), cwd=ROOT, env=env, text=True,
                             capture_output=True, timeout=300, errors="replace")
    again = _analyzed(log)[len(first):]
    rows = _rows(os.path.join(work, "r.csv"))
    lost = sum(1 for p in done if rows.get(p, {}).get("status") != "done")
    reanalyzed = len(set(done) & set(again))
    tracebacks = ("Traceback" in err) + ("Traceback" in resumed.stderr)
    return {"lost": lost, "reanalyzed": reanalyzed, "hung": hung + (resumed.returncode != 0),
            "stop_s": stop_s if sig != signal.SIGKILL else 0.0, "tracebacks": tracebacks,
            "temp_left": len(_temporaries(work))}


def _temporaries(folder) -> list[str]:
    return [n for n in os.listdir(folder) if n.startswith(".songcal-")]


_KILLED_WRITER = """import os, sys, time
from core.io.csvio import atomic_write_bytes
os.fsync = lambda fd: time.sleep(60)  # stuck syncing, as on a slow share, when killed
atomic_write_bytes(sys.argv[1], b"half a results file\\n" * 1000)
"""


def killed_writer_fault(work: str, step_s: float) -> tuple[int, int]:
    """A writer of ``r.csv`` killed with SIGKILL before its rename leaves its temporary
    file; the next ``songcal analyze`` writing there must remove it (its mtime is set back
    past the safety margin, as if the kill happened a while ago) and keep the files of
    another computer and of a running process (this one).  Returns (removed, kept), at
    best (1, 2)."""
    from core.io.tempfiles import DEAD_AGE_S, host_tag

    deck = os.path.join(work, "deck")
    _deck(deck, 3, 11)
    writer = subprocess.Popen([sys.executable, "-c", _KILLED_WRITER,
                               os.path.join(work, "r.csv")], cwd=ROOT)
    deadline = time.monotonic() + 60
    while not _temporaries(work) and time.monotonic() < deadline:
        time.sleep(0.02)
    writer.kill()
    writer.wait()
    (left,) = _temporaries(work)
    others = [f".songcal-other-computer-{writer.pid}-abcdefgh.tmp",
              f".songcal-{host_tag()}-{os.getpid()}-abcdefgh.tmp"]
    for name in others:
        with open(os.path.join(work, name), "wb") as f:
            f.write(b"in use")
    t = time.time() - DEAD_AGE_S - 60
    for name in (left, *others):
        os.utime(os.path.join(work, name), (t, t))
    subprocess.run(_cmd(work, deck, os.path.join(work, "a.log"), step_s), cwd=ROOT,
                   capture_output=True, timeout=120)
    now = set(_temporaries(work))
    return int(left not in now), sum(n in now for n in others)


def stale_cache_faults(work: str, step_s: float) -> tuple[int, int]:
    """Replace files behind the store's back; returns (faults tried, wrong cache hits)."""
    deck = os.path.join(work, "deck")
    paths = _deck(deck, 6, 123)
    log = os.path.join(work, "a.log")
    subprocess.run(_cmd(work, deck, log, step_s), cwd=ROOT, capture_output=True, timeout=120)
    tried = wrong = 0
    # same size, other content, timestamp kept (touch -r)
    st = os.stat(paths[0])
    data = bytearray(open(paths[1], "rb").read())
    size = st.st_size
    data = (data + bytes(size))[:size]
    with open(paths[0], "wb") as f:
        f.write(bytes(data))
    os.utime(paths[0], ns=(st.st_atime_ns, st.st_mtime_ns))
    tried += 1
    # renamed, same content: must be a hit, with the new name
    renamed = os.path.join(deck, "Renamed Artist - Renamed.wav")
    os.replace(paths[2], renamed)
    tried += 1
    before = len(_analyzed(log))
    subprocess.run(_cmd(work, deck, log, step_s), cwd=ROOT, capture_output=True, timeout=120)
    again = _analyzed(log)[before:]
    rows = _rows(os.path.join(work, "r.csv"))
    for p, row in rows.items():
        if float(row["bpm"]) != expected_bpm(os.path.getsize(p)):
            wrong += 1
    if renamed in again or rows[renamed]["title"] != "Renamed":
        wrong += 1  # a moved file must be a hit, shown under its new name
    return tried, wrong


def guard_time(work: str) -> float:
    """Seconds ``songcal analyze`` takes to refuse ``-o`` naming an input song."""
    deck = os.path.join(work, "deck")
    paths = _deck(deck, 3, 7)
    t0 = time.monotonic()
    proc = subprocess.run([sys.executable, "-m", "core.cli.main", "analyze", "-o", paths[0],
                           *paths[1:]], cwd=ROOT, capture_output=True, timeout=60)
    assert proc.returncode == 2
    return time.monotonic() - t0


def main(argv=None) -> int:
    """Run the faults and print the summary line; returns 0 when nothing was lost."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--songs", type=int, default=40)
    ap.add_argument("--points", type=int, default=10)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--step", type=float, default=0.05, help="fake analysis step (s)")
    args = ap.parse_args(argv)
    rng = random.Random(args.seed)
    batch_s = args.songs * 4 * args.step / 2
    totals = {"lost": 0, "reanalyzed": 0, "hung": 0, "tracebacks": 0, "temp_left": 0}
    longest_stop = 0.0
    tried = 0
    for sig in (signal.SIGKILL, signal.SIGTERM, signal.SIGHUP):
        for _ in range(args.points):
            with tempfile.TemporaryDirectory(prefix="songcal-fault-") as work:
                r = one_fault(work, args.songs, sig, rng.uniform(0.8, 0.8 + batch_s),
                              args.step, rng.randrange(10**6))
            tried += 1
            for k in totals:
                totals[k] += r[k]
            longest_stop = max(longest_stop, r["stop_s"])
    with tempfile.TemporaryDirectory(prefix="songcal-fault-") as work:
        n, wrong = stale_cache_faults(work, args.step)
    tried += n
    with tempfile.TemporaryDirectory(prefix="songcal-fault-") as work:
        removed, kept = killed_writer_fault(work, args.step)
    tried += 1
    with tempfile.TemporaryDirectory(prefix="songcal-fault-") as work:
        guard_s = guard_time(work)
    print(f"faults tried {tried}, results lost {totals['lost']}, batches that did not end "
          f"{totals['hung']}, wrong cache hits {wrong} (re-analyzed after a fault "
          f"{totals['reanalyzed']}, tracebacks {totals['tracebacks']}; longest stop after "
          f"SIGTERM/SIGHUP {longest_stop:.2f} s including exit; guard refused a bad -o in "
          f"{guard_s:.2f} s including start-up; temporary files left after a resume "
          f"{totals['temp_left']}, a killed writer's removed by the next run {removed}/1, "
          f"other computers' and running processes' kept {kept}/2)")
    return 0 if not (totals["lost"] or totals["hung"] or wrong or totals["temp_left"]
                     or removed != 1 or kept != 2) else 1


if __name__ == "__main__":
    sys.exit(main())
