"""Damaged files: small valid files of every format SongCal reads, damaged at random, each
analyzed in a child process, so that a decoder library that crashes kills the child and not
the run.

    python -m benchmarks.file_fuzz [--files 1500] [--seed 2] [--seconds 4] [--keep DIR]
        [--timeout 60] [--batch]

The originals: 4 s (``--seconds``) of a pulsed stereo chord written by :func:`tests.audio_files.write_audio`
in each of its 13 formats (WAV, AIFF, FLAC, Ogg Vorbis, MP3, AAC in M4A, CAF, WavPack, TTA,
AC-3, MPEG Layer II, FLAC in Matroska, Opus).  Each damaged file takes one original and one
mutation, and three in ten a second one (:data:`MUTATIONS`): cut short anywhere; up to 20
bits flipped anywhere; up to 8 bits flipped in the first 512 bytes, where headers are; a
32-bit word of 0, 1, 0x7fffffff, 0x80000000 or 0xffffffff written in the first 4 KiB, where
sizes, counts and offsets are; a run of up to 2,000 bytes zeroed; up to 300 random bytes
inserted; a run of up to 5,000 bytes repeated elsewhere; a run of up to 5,000 bytes cut out.
Everything is drawn from ``--seed``: a run repeats its mutations at the same places (the Ogg
and Matroska writers draw a stream serial number or an id of their own, so those files differ
in it; the others are the same byte for byte).

Each file's analysis (:func:`core.analysis.analyze.analyze_file`) must end in a result or in
:class:`core.errors.AudioFileError`, whose message the window and the command line show in
the song's row.  Anything else is a fault: another exception (its traceback is printed), a
child that a signal kills or that exits, an analysis still running after ``--timeout``
seconds.  With ``--batch`` the damaged files also go through ``songcal analyze`` as one
folder, which must write one row for each of them and print no traceback.

Printed: the outcomes (done, refused with a message, fault) per format, then every fault with
the mutation that made it.  The exit status is 1 when there is a fault.  About 40 s per 1,000
files on one core.
"""

from __future__ import annotations

import argparse
import collections
import csv
import os
import random
import select
import subprocess
import sys
import tempfile
import time

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import numpy as np  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from tests.audio_files import write_audio  # noqa: E402

#: The formats of the originals (every extension :func:`tests.audio_files.write_audio` writes
#: but the aliases .aif and the ALAC flavours).
FORMATS = (".wav", ".aiff", ".flac", ".ogg", ".mp3", ".m4a", ".caf", ".wv", ".tta", ".ac3",
           ".mp2", ".mka", ".opus")
#: The mutations, by name.
MUTATIONS = ("cut short", "bits flipped", "header bits flipped", "word written", "run zeroed",
             "bytes inserted", "run repeated", "run cut out")
_WORDS = (b"\x00\x00\x00\x00", b"\x00\x00\x00\x01", b"\x7f\xff\xff\xff", b"\x80\x00\x00\x00",
          b"\xff\xff\xff\xff")
#: Outcomes that are no fault.
DONE, REFUSED = "done", "refused"
#: Faults.
EXCEPTION, CRASH, HANG = "exception", "crash", "hang"
FAULTS = (EXCEPTION, CRASH, HANG)


def originals(folder: str, seconds: float = 4.0) -> list[str]:
    """Write the undamaged file of each of :data:`FORMATS` to ``folder``; their paths."""
    out = []
    for ext in FORMATS:
        sr = 48000 if ext == ".opus" else 44100  # Opus is written at 48 kHz only
        t = np.arange(int(seconds * sr)) / sr
        chord = sum(np.sin(2 * np.pi * f * t) for f in (220.0, 277.18, 329.63)) / 3
        gate = 0.5 + 0.5 * (np.sin(2 * np.pi * 2.0 * t) > 0)  # two pulses a second
        y = 0.5 * chord * gate
        path = os.path.join(folder, "original" + ext)
        write_audio(path, np.stack([y, 0.8 * y], axis=1), sr)
        out.append(path)
    return out


def mutate(data: bytes, rng: random.Random) -> tuple[bytes, str]:
    """``data`` damaged by one mutation of :data:`MUTATIONS` drawn from ``rng``, and what
    was done (the mutation's name and where)."""
    d = bytearray(data)
    n = len(d)
    kind = rng.choice(MUTATIONS)
    if kind == "cut short":
        at = rng.randrange(n)
        return bytes(d[:at]), f"{kind} at {at}"
    if kind in ("bits flipped", "header bits flipped"):
        span, most = (n, 20) if kind == "bits flipped" else (min(n, 512), 8)
        where = sorted(rng.randrange(span) for _ in range(rng.randint(1, most)))
        for at in where:
            d[at] ^= 1 << rng.randrange(8)
        return bytes(d), f"{kind} at {', '.join(map(str, where))}"
    if kind == "word written":
        at = rng.randrange(max(1, min(n, 4096) - 4))
        word = rng.choice(_WORDS)
        d[at : at + 4] = word
        return bytes(d), f"{kind} at {at}: {word.hex()}"
    at = rng.randrange(n)
    if kind == "run zeroed":
        size = len(d[at : at + rng.randint(1, 2000)])
        d[at : at + size] = bytes(size)
        return bytes(d), f"{kind} at {at}, {size} bytes"
    if kind == "bytes inserted":
        size = rng.randint(1, 300)
        d[at:at] = bytes(rng.randrange(256) for _ in range(size))
        return bytes(d), f"{kind} at {at}, {size} bytes"
    size = rng.randint(1, 5000)
    if kind == "run repeated":
        run = d[at : at + size]
        to = rng.randrange(n)
        d[to:to] = run
        return bytes(d), f"{kind}: {len(run)} bytes from {at} at {to}"
    del d[at : at + size]
    return bytes(d), f"{kind} at {at}, {size} bytes"


def damaged(folder: str, files: int, seed: int, seconds: float = 4.0) -> dict[str, str]:
    """Write ``files`` damaged copies of the originals (``seconds`` long) to ``folder``:
    path -> mutations."""
    sources = originals(folder, seconds)
    rng = random.Random(seed)
    made = {}
    for i in range(files):
        source = rng.choice(sources)
        with open(source, "rb") as f:
            data, how = mutate(f.read(), rng)
        if rng.random() < 0.3:
            data, more = mutate(data, rng)
            how = f"{how}; {more}"
        path = os.path.join(folder, f"damaged_{seed}_{i:05d}{os.path.splitext(source)[1]}")
        with open(path, "wb") as f:
            f.write(data)
        made[path] = how
    return made


#: The child: reads the paths from a file (its second argument), analyzes each, and prints a
#: line before (``start``) and after it (the outcome, then a message or a traceback on one line).
CHILD = r"""
import sys, traceback
sys.path.insert(0, sys.argv[1])
from core.analysis.analyze import analyze_file
from core.errors import AudioFileError
for line in open(sys.argv[2], encoding="utf-8"):
    path = line.rstrip("\n")
    print("start\t" + path, flush=True)
    try:
        result = analyze_file(path)
        print("done\t" + path + "\t" + " ".join((result.error or "").split()), flush=True)
    except AudioFileError as e:
        print("refused\t" + path + "\t" + " ".join(str(e).split()), flush=True)
    except Exception:
        print("exception\t" + path + "\t" + " | ".join(traceback.format_exc().splitlines()),
              flush=True)
"""


def run(paths: list[str], timeout: float, child: str = CHILD) -> dict[str, tuple[str, str]]:
    """Analyze ``paths`` in child processes (``child``: the child's code, :data:`CHILD`):
    path -> (outcome, message).  A child that dies or hangs is replaced by a new one for the
    paths it had not reached."""
    results: dict[str, tuple[str, str]] = {}
    todo = list(paths)
    listing = tempfile.NamedTemporaryFile("w", suffix=".txt", encoding="utf-8", delete=False)
    listing.close()
    try:
        while todo:
            with open(listing.name, "w", encoding="utf-8") as f:
                f.write("".join(p + "\n" for p in todo))
            _one_child(child, listing.name, todo, results, timeout)
    finally:
        os.unlink(listing.name)
    return results


def _one_child(child: str, listing: str, todo: list[str], results: dict, timeout: float):
    """Run one child over the paths of ``listing`` (the ``todo`` list, from which each path
    that gets an outcome in ``results`` is taken) until it finishes, dies or hangs."""
    proc = subprocess.Popen([sys.executable, "-c", child, ROOT, listing],
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL)
    fd = proc.stdout.fileno()
    pending = b""
    current, since = None, time.monotonic()
    try:
        while True:
            ready, _, _ = select.select([fd], [], [], 0.5)
            if ready:
                chunk = os.read(fd, 1 << 16)
                if not chunk:  # the child is gone
                    proc.wait()
                    lost = current or (todo[0] if todo else None)
                    if lost is not None:  # a child ends on its own only when it is done
                        results[lost] = (CRASH, f"the analysis ended the process "
                                                f"(status {proc.returncode})")
                        todo.remove(lost)
                    return
                *lines, pending = (pending + chunk).split(b"\n")
                for line in lines:
                    outcome, path, *message = line.decode("utf-8", "replace").split("\t", 2)
                    if outcome == "start":
                        current, since = path, time.monotonic()
                    else:
                        results[path] = (outcome, message[0] if message else "")
                        todo.remove(path)
                        current = None
            elif current is not None and time.monotonic() - since > timeout:
                proc.kill()
                proc.wait()
                results[current] = (HANG, f"still running after {timeout:g} s")
                todo.remove(current)
                return
    finally:
        proc.stdout.close()


def batch(folder: str, expected: int) -> list[str]:
    """Faults of ``songcal analyze`` on the folder: a traceback, a missing row."""
    faults = []
    with tempfile.TemporaryDirectory() as home:
        env = dict(os.environ, SONGCAL_DATA_DIR=os.path.join(home, "data"),
                   XDG_CONFIG_HOME=os.path.join(home, "config"))
        out = os.path.join(home, "results.csv")
        proc = subprocess.run([sys.executable, "-m", "core.cli.main", "analyze", folder,
                               "-o", out, "-q"], cwd=ROOT, env=env, capture_output=True,
                              text=True)
        if "Traceback" in proc.stdout + proc.stderr:
            faults.append("songcal analyze printed a traceback")
        if not os.path.exists(out):
            return faults + [f"songcal analyze wrote no results (status {proc.returncode})"]
        with open(out, encoding="utf-8-sig", newline="") as f:
            rows = list(csv.DictReader(f))
        if len(rows) != expected:
            faults.append(f"songcal analyze wrote {len(rows)} rows for {expected} files")
        if any(r["status"] not in ("done", "failed") for r in rows):
            faults.append("a row is neither done nor failed")
        if any(r["status"] == "failed" and not r["error"].strip() for r in rows):
            faults.append("a failed row has no message")
    return faults


def summary(results: dict[str, tuple[str, str]]) -> list[str]:
    """Outcomes per format, as lines."""
    per = collections.defaultdict(collections.Counter)
    for path, (outcome, _) in results.items():
        per[os.path.splitext(path)[1]][outcome] += 1
        per["all"][outcome] += 1
    lines = [f"{'format':8s} {'files':>6s} {'done':>6s} {'refused':>8s} {'faults':>7s}"]
    for ext in [*FORMATS, "all"]:
        c = per.get(ext)
        if c:
            lines.append(f"{ext:8s} {sum(c.values()):6d} {c[DONE]:6d} {c[REFUSED]:8d} "
                         f"{sum(c[k] for k in FAULTS):7d}")
    return lines


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--files", type=int, default=1500)
    ap.add_argument("--seed", type=int, default=2)
    ap.add_argument("--seconds", type=float, default=4.0, help="length of the originals")
    ap.add_argument("--timeout", type=float, default=60.0,
                    help="seconds one file's analysis may take (default 60)")
    ap.add_argument("--keep", help="write the files to this folder and keep them")
    ap.add_argument("--batch", action="store_true",
                    help="also run songcal analyze on the folder of damaged files")
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory() as scratch:
        folder = args.keep or scratch
        os.makedirs(folder, exist_ok=True)
        made = damaged(folder, args.files, args.seed, args.seconds)
        started = time.monotonic()
        results = run(sorted(made), args.timeout)
        print(f"{len(made)} damaged files of {args.seconds:g} s (seed {args.seed}) in "
              f"{time.monotonic() - started:.0f} s")
        print("\n".join(summary(results)))
        faults = [(p, *results[p]) for p in sorted(results) if results[p][0] in FAULTS]
        for path, outcome, message in faults:
            print(f"{outcome}: {os.path.basename(path)} ({made[path]}): {message}")
        batch_faults = batch(folder, len(made) + len(FORMATS)) if args.batch else []
        for fault in batch_faults:
            print(f"batch: {fault}")
        if args.batch and not batch_faults:
            print("batch: one row per file, no traceback")
    return 1 if faults or batch_faults else 0


if __name__ == "__main__":
    sys.exit(main())
