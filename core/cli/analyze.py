"""``songcal analyze PATH... -o results.csv``: scan, analyze on plain threads, write the CSV.

With ``--reference`` the results are then calibrated (every calibration export beside
them); with ``--profile`` a saved calibration is applied to every song and written beside
them as ``<results>_calibrated.csv``.

Exit codes (:class:`core.errors.ExitCode`): 0 when every song is done, 1 when any failed,
timed out or was cancelled, 2 on bad usage (unknown option, unreadable reference sheet, no
audio found).
"""

from __future__ import annotations

import argparse
import os
import sys
import time

from core.batch.rules import TERMINAL_STATES, Batch, SongState
from core.errors import ExitCode
from core.io.results import write_results_csv
from core.settings import AnalysisSettings, default_workers

__all__ = ["register", "run", "settings_from_args"]



def _settings_args(p: argparse.ArgumentParser) -> None:
    d = AnalysisSettings(workers=1)
    g = p.add_argument_group("analysis settings")
    g.add_argument("--workers", type=int, default=default_workers(),
                   help="worker threads, one song each (default: %(default)s, the cores)")
    g.add_argument("--sample-rate", type=int, default=d.sample_rate,
                   help="analysis sample rate in Hz (default: %(default)s)")
    g.add_argument("--chunk-seconds", type=float, default=d.chunk_seconds,
                   help="length of a streamed chunk in s (default: %(default)s)")
    g.add_argument("--budget-base", type=float, default=d.budget_base_s,
                   help="time budget per song: base in s (default: %(default)s)")
    g.add_argument("--budget-factor", type=float, default=d.budget_factor,
                   help="time budget per song: s per s of audio (default: %(default)s)")
    g.add_argument("--hard-limit-factor", type=float, default=d.hard_limit_factor,
                   help="a song times out at this many budgets (default: %(default)s)")


def settings_from_args(args) -> AnalysisSettings:
    """AnalysisSettings from parsed arguments (raises ValueError naming a bad value)."""
    return AnalysisSettings(sample_rate=args.sample_rate, chunk_seconds=args.chunk_seconds,
                            workers=args.workers, budget_base_s=args.budget_base,
                            budget_factor=args.budget_factor,
                            hard_limit_factor=args.hard_limit_factor)


def register(subparsers) -> None:
    """Register ``analyze`` on the ``songcal`` sub-parsers."""
    a = subparsers.add_parser("analyze", help="analyze songs and write a results CSV",
                              description="Analyze every audio file under PATHS (folders "
                              "recursively) and write one CSV row per file.")
    a.add_argument("paths", nargs="+", metavar="PATH", help="audio files or folders")
    a.add_argument("-o", "--output", required=True, metavar="CSV", help="results CSV to write")
    calib = a.add_mutually_exclusive_group()
    calib.add_argument("--reference", metavar="CSV",
                       help="reference sheet: also pair, fit and write the calibration "
                            "files next to the results")
    calib.add_argument("--profile", metavar="JSON",
                       help="calibration profile: also write every song with its "
                            "calibrated values and 90 %% intervals next to the results "
                            "(RESULTS_calibrated.csv, as songcal apply writes it)")
    a.add_argument("-q", "--quiet", action="store_true", help="no progress output")
    a.add_argument("--fresh", action="store_true",
                   help="analyze every file again, even unchanged ones already analyzed "
                        "with the same settings")
    a.add_argument("--no-store", action="store_true",
                   help="neither read nor write the session store")
    _settings_args(a)
    a.set_defaults(func=run)


def _fmt_eta(seconds) -> str:
    if seconds is None:
        return "--"
    seconds = int(seconds)
    return f"{seconds // 60}m{seconds % 60:02d}s" if seconds >= 60 else f"{seconds}s"


class _Reporter:
    """Progress on the terminal: a live line on a TTY, else one line per finished song."""

    def __init__(self, stream, *, quiet: bool):
        self.stream = stream
        self.quiet = quiet
        self.tty = stream.isatty()
        self.last_line = 0.0
        self.width = 0

    def __call__(self, batch: Batch, changed) -> None:
        if self.quiet:
            return
        if not self.tty:
            for job in changed:
                if job.state in TERMINAL_STATES:
                    self.stream.write(self._song_line(job) + "\n")
                elif job.state is SongState.STALLED:
                    self.stream.write(f"stalled   {job.path} (on {job.worker}, "
                                      f"{job.elapsed():.0f} s, budget "
                                      f"{batch.budget(job):.0f} s)\n")
            self.stream.flush()
            return
        for job in changed:  # keep finished failures visible above the live line
            if job.state in TERMINAL_STATES and job.state is not SongState.DONE:
                self._clear()
                self.stream.write(self._song_line(job) + "\n")
        now = time.monotonic()
        if now - self.last_line < 0.2 and not batch.is_finished:
            return
        self.last_line = now
        c = batch.counts()
        ended = sum(c[s] for s in TERMINAL_STATES)
        running = [j for j in batch.jobs if j.state in (SongState.RUNNING, SongState.STALLED)]
        now_on = ""
        if running:
            j = running[0]
            where = f" chunk {j.chunk}/{j.n_chunks}" if j.n_chunks else ""
            now_on = f" | {os.path.basename(j.path)[:40]}{where}"
        line = (f"[{ended}/{len(batch.jobs)}] done {c[SongState.DONE]} failed "
                f"{c[SongState.FAILED] + c[SongState.TIMED_OUT]} stalled {c[SongState.STALLED]}"
                f" | {batch.rate_per_minute():.1f} songs/min | ETA {_fmt_eta(batch.eta_s())}"
                f"{now_on}")
        self._clear()
        self.stream.write(line)
        self.width = len(line)
        self.stream.flush()

    def _clear(self):
        if self.tty and self.width:
            self.stream.write("\r" + " " * self.width + "\r")
            self.width = 0

    def finish(self):
        if self.tty and not self.quiet and self.width:
            self.stream.write("\n")
            self.stream.flush()

    @staticmethod
    def _song_line(job) -> str:
        r = job.result
        if job.state is SongState.DONE and r is not None:
            bits = []
            if r.bpm is not None:
                bits.append(f"{r.bpm:.1f} BPM")
            if r.key:
                bits.append(r.key)
            if r.loudness_lufs is not None:
                bits.append(f"{r.loudness_lufs:.1f} LUFS")
            if r.error:
                bits.append(r.error)
            return f"done      {job.path} ({', '.join(bits)}; {job.elapsed():.1f} s)"
        return f"{job.state.value:<9} {job.path}: {job.error}"


def run(args) -> int:
    """``songcal analyze``: scan, analyze on a thread pool, write the results CSV."""
    from core.analysis.analyze import analyze_file
    from core.batch.runner import BatchRunner
    from core.batch.scan import scan_paths

    try:
        settings = settings_from_args(args)
    except ValueError as err:
        print(f"songcal analyze: error: {err}", file=sys.stderr)
        return ExitCode.USAGE
    if args.reference and not os.path.isfile(args.reference):
        print(f"songcal analyze: error: reference sheet not found: {args.reference}",
              file=sys.stderr)
        return ExitCode.USAGE
    if args.profile and not _profile_readable(args.profile):
        return ExitCode.USAGE
    paths = scan_paths(args.paths)
    if not paths:
        print("songcal analyze: error: no audio files found in " + ", ".join(args.paths),
              file=sys.stderr)
        return ExitCode.USAGE
    batch = Batch(paths, settings=settings)
    reporter = _Reporter(sys.stdout, quiet=args.quiet)
    analyze, store, session = analyze_file, None, None
    if not args.no_store:
        from core.batch.store import ResultStore, cached
        try:
            store = ResultStore()
        except Exception as err:  # a broken store must not stop the analysis
            print(f"songcal analyze: warning: session store unavailable ({err})",
                  file=sys.stderr)
        else:
            analyze = cached(analyze_file, store, force=lambda path: args.fresh)
            session = store.begin_session(paths, settings.to_dict(), args.reference)
    runner = BatchRunner(batch, analyze=analyze, on_change=reporter)
    interrupted = False
    try:
        runner.run()
    except KeyboardInterrupt:
        interrupted = True
    reporter.finish()
    write_results_csv(args.output, batch.results(), settings=batch.settings)
    if store is not None:
        if not interrupted:
            store.end_session(session)
        store.close()
    c = batch.counts()
    print(f"{c[SongState.DONE]} of {len(batch.jobs)} songs analyzed; results in {args.output}"
          + (" (interrupted)" if interrupted else ""), file=sys.stderr)
    status = ExitCode.OK if c[SongState.DONE] == len(batch.jobs) else ExitCode.FAILED
    if args.reference:
        status = max(status, _calibrate_after_analyze(args.output, args.reference, settings))
    if args.profile:
        status = max(status, _apply_after_analyze(args.output, args.profile))
    return status


def _calibrate_after_analyze(results_csv, reference, settings) -> int:
    """Pair the fresh results with ``reference`` and write the calibration files beside them."""
    from core.cli.calibrate import calibrate_results_file

    return calibrate_results_file(results_csv, reference, settings=settings)


def _profile_readable(path) -> bool:
    """Read the profile before any song is analyzed; say why when it cannot be used."""
    from core.calibration.profile import load_profile
    from core.errors import SongCalError

    try:
        load_profile(path)
    except SongCalError as err:
        print(f"songcal analyze: error: {err}", file=sys.stderr)
        return False
    return True


def _apply_after_analyze(results_csv, profile) -> int:
    """Write ``<stem>_calibrated.csv`` beside the fresh results, as ``songcal apply`` does."""
    from core.calibration.exports import export_names
    from core.cli.apply import apply_to_results_file

    stem = os.path.splitext(os.path.basename(results_csv))[0]
    out = os.path.join(os.path.dirname(os.path.abspath(results_csv)),
                       export_names(stem)["calibrated"])
    return apply_to_results_file(results_csv, profile, out, cmd="analyze")



