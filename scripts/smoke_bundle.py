"""Smoke test of the frozen SongCal (the one-folder bundle built by app.spec).

    python scripts/smoke_bundle.py [--bundle dist/SongCal] [--launch N]

Runs the bundle's executable as a user would, each step in its own process, with the user
folders pointed at a temporary folder:

1. ``SongCal --version`` names the version of the bundle's version file;
2. ``SongCal analyze`` on two demo songs exits 0 and writes two analyzed rows;
3. ``SongCal analyze`` on the whole demo deck, then ``SongCal calibrate`` with its reference
   sheet, exit 0 and write the calibration, and the sheet saved as an Excel workbook
   calibrates the same descriptors;
4. the window, offscreen: ``SongCal --demo --export-dir D --quit-when-done`` exits 0 and
   writes the results and calibration files into ``D``; it runs with no locale set (as a
   service or ``env -i`` would start it), and Qt must not complain about the locale;
5. a song that fails to decode gives its reason, in the CSV and on the terminal, and no
   traceback (exit code 1: a song failed);
6. ``SongCal doctor`` finds nothing wrong (every decoder of the bundle works);
7. a copy of the bundle (hard links) in a folder named with accents and Japanese letters,
   under a locale that is not UTF-8 (de_DE.ISO-8859-1, made with ``localedef`` into the
   scratch folder; skipped, and said, without ``localedef`` or the locale's sources),
   calibrates the deck of step 3;
8. ``analyze --cluster local:1`` says the bundle has no cluster engine (exit 2), rather
   than sending its user to pip.

With ``--launch N`` it then starts the window N times (on the display it is given, e.g.
under ``xvfb-run``) and prints how long each took from the process start to the window
shown (the "window shown" line of the run's log file); ``--cold`` first drops the bundle's
files from the page cache, so the first of them is a cold start.  The demo songs come from the
bundle's own copy.  Prints one line per step and the time it took; exits 1 when any step
fails.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
#: Longest a step may run (s): a first start compiles nothing but still reads ~300 MB.
STEP_TIMEOUT_S = 300


class StepFailed(Exception):
    """A smoke-test step did not behave."""


class Smoke:
    """The bundle under test and a scratch folder for its user folders and outputs."""

    def __init__(self, bundle: str, scratch: str):
        exe = os.path.join(bundle, "SongCal.exe" if sys.platform == "win32" else "SongCal")
        cli = os.path.join(bundle, "songcal-cli.exe")
        if sys.platform == "darwin" and not os.path.exists(exe):
            exe = os.path.join(bundle, "Contents", "MacOS", "SongCal")
        self.exe = cli if os.path.exists(cli) else exe
        if not os.path.exists(self.exe):
            raise SystemExit(f"smoke_bundle: no SongCal executable in {bundle}; build it with "
                             "scripts/build_bundle.sh")
        internal = os.path.join(bundle, "_internal")
        base = internal if os.path.isdir(internal) else bundle
        self.demo = os.path.join(base, "resources", "demo")
        self.build_info = os.path.join(base, "songcal_build.txt")
        self.bundle = bundle
        self.scratch = scratch
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("SONGCAL_")}
        self.env.update(SONGCAL_DATA_DIR=os.path.join(scratch, "data"),
                        SONGCAL_CACHE_DIR=os.path.join(scratch, "cache"),
                        SONGCAL_LOG_DIR=os.path.join(scratch, "logs"))
        self.env.pop("NUMBA_CACHE_DIR", None)

    def run(self, *args, expect: int = 0, env=None, drop=(), exe=None):
        """Run the executable (or ``exe``) with the variables ``drop`` taken out of its
        environment and ``env`` added; returns the completed process (checks the exit
        code)."""
        full = {**{k: v for k, v in self.env.items() if k not in drop}, **(env or {})}
        out = subprocess.run([exe or self.exe, *args], env=full,
                             capture_output=True, text=True, timeout=STEP_TIMEOUT_S,
                             cwd=self.scratch)
        if out.returncode != expect:
            raise StepFailed(f"exit code {out.returncode}, expected {expect}\n"
                             f"stdout:\n{out.stdout[-3000:]}\nstderr:\n{out.stderr[-3000:]}")
        for stream in (out.stdout, out.stderr):
            if "Traceback (most recent call last)" in stream:
                raise StepFailed(f"a traceback was printed:\n{stream[-3000:]}")
        return out

    def path(self, *parts) -> str:
        return os.path.join(self.scratch, *parts)

    def demo_songs(self) -> list[str]:
        return sorted(os.path.join(self.demo, n) for n in os.listdir(self.demo)
                      if n.endswith((".mp3", ".ogg")))


def read_rows(path: str) -> list[dict]:
    if not os.path.isfile(path):
        raise StepFailed(f"{path} was not written")
    with open(path, encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


def check_analyzed(rows: list[dict], n: int) -> None:
    if len(rows) != n:
        raise StepFailed(f"{len(rows)} rows, expected {n}")
    for r in rows:
        if r.get("status") != "done":
            raise StepFailed(f"{r.get('path')}: status {r.get('status')!r} {r.get('error', '')}")
        if not 30 <= float(r["bpm"]) <= 300 or not r.get("key"):
            raise StepFailed(f"{r['path']}: implausible tempo or key: {r['bpm']!r} {r['key']!r}")
        if not -70 < float(r["loudness_lufs"]) < 0:
            raise StepFailed(f"{r['path']}: implausible loudness {r['loudness_lufs']!r}")


# -- the steps -----------------------------------------------------------------------------

def step_version(s: Smoke) -> str:
    out = s.run("--version").stdout.strip()
    with open(s.build_info, encoding="utf-8") as fh:
        version = re.search(r"^version: (\S+)", fh.read(), re.M).group(1)
    if out != f"songcal {version}":
        raise StepFailed(f"--version printed {out!r}, the version file says {version}")
    return out


def step_analyze_two(s: Smoke) -> str:
    songs = s.demo_songs()[:2]
    s.run("analyze", *songs, "-o", s.path("two.csv"), "--workers", "2")
    rows = read_rows(s.path("two.csv"))
    check_analyzed(rows, 2)
    return ", ".join(f"{os.path.basename(r['path'])}: {float(r['bpm']):.1f} BPM {r['key']}"
                     for r in rows)


def step_calibrate(s: Smoke) -> str:
    s.run("analyze", s.demo, "-o", s.path("deck.csv"), "--workers", "2")
    check_analyzed(read_rows(s.path("deck.csv")), len(s.demo_songs()))
    s.run("calibrate", s.path("deck.csv"), "--reference", os.path.join(s.demo, "reference.csv"),
          "-o", s.path("calibration.csv"), "--profile", s.path("profile.json"))
    kinds = {r["descriptor"] for r in read_rows(s.path("calibration.csv"))}
    if not {"bpm", "loudness_lufs"} <= kinds:
        raise StepFailed(f"calibration.csv lacks descriptors: {sorted(kinds)}")
    with open(s.path("profile.json"), encoding="utf-8") as fh:
        json.load(fh)
    # the same sheet saved as an Excel workbook (read by the bundle's openpyxl)
    import openpyxl

    book = openpyxl.Workbook()
    with open(os.path.join(s.demo, "reference.csv"), newline="", encoding="utf-8") as fh:
        for record in csv.reader(fh):
            book.active.append(record)
    book.save(s.path("reference.xlsx"))
    s.run("calibrate", s.path("deck.csv"), "--reference", s.path("reference.xlsx"),
          "-o", s.path("calibration_xlsx.csv"))
    from_book = {r["descriptor"] for r in read_rows(s.path("calibration_xlsx.csv"))}
    if from_book != kinds:
        raise StepFailed(f"the workbook calibrated {sorted(from_book)}, the CSV {sorted(kinds)}")
    return f"{len(kinds)} calibration rows, the same from the sheet as .xlsx"


#: Locale variables; the window step runs without any of them.
LOCALE_VARS = ("LANG", "LANGUAGE", "LC_ALL", "LC_CTYPE", "LC_MESSAGES", "LC_NUMERIC",
               "LC_COLLATE", "LC_TIME", "LC_MONETARY")


def step_window_demo(s: Smoke) -> str:
    out_dir = s.path("window-exports")
    out = s.run("--demo", "--export-dir", out_dir, "--quit-when-done", "--workers", "2",
                env={"QT_QPA_PLATFORM": "offscreen"}, drop=LOCALE_VARS)
    if "which is not UTF-8" in out.stderr:  # Qt's complaint about a C locale
        raise StepFailed(f"Qt complained about the locale:\n{out.stderr[-2000:]}")
    made = sorted(n for n in os.listdir(out_dir) if n.startswith("songcal-export-"))
    if len(made) != 1:
        raise StepFailed(f"expected one new export folder in {out_dir}, found {made}")
    out_dir = os.path.join(out_dir, made[0])  # named after the moment of the export
    check_analyzed(read_rows(os.path.join(out_dir, "results.csv")), len(s.demo_songs()))
    for name in ("results_calibration.csv", "results_paired.csv", "results_mismatches.csv",
                 "results_calibrated.csv", "results_profile.json"):
        if not os.path.isfile(os.path.join(out_dir, name)):
            raise StepFailed(f"the window did not write {name}")
    return "results and calibration exported"


def step_bad_file(s: Smoke) -> str:
    bad = s.path("broken.mp3")
    with open(bad, "wb") as fh:
        fh.write(b"ID3\x03\x00\x00\x00\x00\x00\x10" + bytes(range(256)) * 64)
    out = s.run("analyze", bad, "-o", s.path("bad.csv"), expect=1)
    rows = read_rows(s.path("bad.csv"))
    if len(rows) != 1 or rows[0]["status"] != "failed" or not rows[0]["error"]:
        raise StepFailed(f"expected one failed row with its reason, got {rows}")
    reason = rows[0]["error"]
    if reason not in out.stdout + out.stderr:
        raise StepFailed(f"the terminal did not show the reason {reason!r}")
    return f"failed with its reason: {reason}"


def step_doctor(s: Smoke) -> str:
    out = s.run("doctor", env={"QT_QPA_PLATFORM": "offscreen"}).stdout
    decoded = [ln for ln in out.splitlines() if " ok (" in ln]
    if not out.rstrip().endswith("All is well."):
        raise StepFailed(out)
    return f"all is well ({len(decoded)} formats decoded)"


def _copy_bundle(bundle: str, dest: str) -> None:
    """``bundle`` copied to ``dest`` as hard links (a real copy across file systems)."""
    def link(src, dst):
        try:
            os.link(src, dst)
        except OSError:
            shutil.copy2(src, dst)

    shutil.copytree(bundle, dest, symlinks=True, copy_function=link)


def step_foreign_locale(s: Smoke) -> str:
    locales = s.path("locales")
    name = "de_DE.ISO-8859-1"
    if not shutil.which("localedef"):
        return "skipped: no localedef to make a non-UTF-8 locale"
    os.makedirs(locales, exist_ok=True)
    made = subprocess.run(["localedef", "-i", "de_DE", "-f", "ISO-8859-1",
                           os.path.join(locales, name)], capture_output=True, text=True)
    if not os.path.isdir(os.path.join(locales, name)):
        return f"skipped: localedef could not make {name} ({made.stderr.strip()[-200:]})"
    if not os.path.isfile(s.path("deck.csv")):
        s.run("analyze", s.demo, "-o", s.path("deck.csv"), "--workers", "2")
    copy = s.path("B\u00fcndel \u65e5\u672c", "SongCal")
    _copy_bundle(s.bundle, copy)
    exe = os.path.join(copy, os.path.relpath(s.exe, s.bundle))
    s.run("calibrate", s.path("deck.csv"), "--reference", os.path.join(s.demo, "reference.csv"),
          "-o", s.path("calibration-de.csv"), exe=exe, drop=LOCALE_VARS,
          env={"LANG": name, "LOCPATH": locales})
    kinds = {r["descriptor"] for r in read_rows(s.path("calibration-de.csv"))}
    return f"{len(kinds)} calibration rows under {name} from {copy}"


def step_no_cluster(s: Smoke) -> str:
    out = s.run("analyze", s.demo_songs()[0], "-o", s.path("cluster.csv"), "--cluster",
                "local:1", expect=2)
    said = out.stdout + out.stderr
    if "bundle has no cluster engine" not in said:
        raise StepFailed(f"no word of the missing cluster engine:\n{said[-2000:]}")
    return "says the bundle has no cluster engine"


STEPS = [("--version", step_version), ("analyze two demo songs", step_analyze_two),
         ("analyze the deck + calibrate", step_calibrate),
         ("window --demo, offscreen", step_window_demo), ("undecodable song", step_bad_file),
         ("doctor", step_doctor), ("latin-1 locale, non-ASCII dir", step_foreign_locale),
         ("--cluster in a bundle", step_no_cluster)]


def _load() -> float:
    return os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")


def evict(folder: str) -> int:
    """Drop the files of ``folder`` from the page cache (Linux), so that the next start
    reads them from disk as the first start after a reboot would; returns the bytes."""
    total = 0
    for dirpath, _dirs, files in os.walk(folder):
        for name in files:
            path = os.path.join(dirpath, name)
            if os.path.islink(path):
                continue
            fd = os.open(path, os.O_RDONLY)
            try:
                os.fsync(fd)
                os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
                total += os.fstat(fd).st_size
            finally:
                os.close(fd)
    return total


def launch_time(s: Smoke, *, timeout: float = 60.0) -> tuple[float, float]:
    """Start the window; seconds from the process start to its "window shown" log line,
    and the CPU seconds the process had used by then."""
    logs = s.path("logs")
    before = set(os.listdir(logs)) if os.path.isdir(logs) else set()
    proc = subprocess.Popen([s.exe], env=s.env, cwd=s.scratch, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for name in set(os.listdir(logs)) - before if os.path.isdir(logs) else ():
                with open(os.path.join(logs, name), encoding="utf-8") as fh:
                    m = re.search(r"window shown ([\d.]+) s .*\(([\d.]+) s of CPU", fh.read())
                if m:
                    return float(m.group(1)), float(m.group(2))
            if proc.poll() is not None:
                raise StepFailed(f"the window exited with code {proc.returncode}")
            time.sleep(0.05)
        raise StepFailed(f"no window within {timeout:.0f} s")
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(10)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--bundle", default=os.path.join(ROOT, "dist", "SongCal"),
                   help="the bundle folder (default: dist/SongCal)")
    p.add_argument("--launch", type=int, default=0, metavar="N",
                   help="also time N starts of the window (needs a display, e.g. xvfb-run)")
    p.add_argument("--only-launch", action="store_true", help="skip the other steps")
    p.add_argument("--cold", action="store_true",
                   help="drop the bundle's files from the page cache before the first timed "
                        "start (Linux)")
    args = p.parse_args(argv)
    failures = 0
    total = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="songcal-smoke-") as scratch:
        s = Smoke(args.bundle, scratch)
        print(f"smoke test of {s.exe}")
        for name, step in ([] if args.only_launch else STEPS):
            t0 = time.perf_counter()
            try:
                detail = step(s)
                status = "ok  "
            except (StepFailed, subprocess.TimeoutExpired, OSError, ValueError) as err:
                detail, status = str(err), "FAIL"
                failures += 1
            print(f"{status} {name:<30} {time.perf_counter() - t0:6.1f} s  {detail}",
                  flush=True)
        times = []
        for i in range(args.launch):
            if i == 0 and args.cold and hasattr(os, "posix_fadvise"):
                print(f"cold start: {evict(args.bundle) / 1e6:.0f} MB dropped from the page "
                      "cache", flush=True)
            try:
                wall, cpu = launch_time(s)
                times.append(wall)
                print(f"launch {i + 1}: window shown {wall:.2f} s after the start "
                      f"({cpu:.2f} s of CPU; load average {_load():.1f})",
                      flush=True)
            except StepFailed as err:
                print(f"FAIL launch {i + 1}: {err}", flush=True)
                failures += 1
        if times:
            first = "cold" if args.cold else "first"
            warm = sorted(times[1:]) or times
            print(f"launch to window shown: {first} {times[0]:.2f} s; then best "
                  f"{warm[0]:.2f} s, median {warm[len(warm) // 2]:.2f} s, worst {warm[-1]:.2f} s")
    print(f"{'FAILED' if failures else 'passed'}: {failures} failed step(s), "
          f"{time.perf_counter() - total:.0f} s in all")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
