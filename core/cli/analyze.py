"""``songcal analyze PATH... -o results.csv``: scan, analyze on plain threads, write the CSV.

Every output is checked before any song is analyzed (:mod:`core.cli.guard`).  SIGINT,
SIGTERM and SIGHUP stop the batch within about a second: songs not finished are marked
``cancelled``, the partial CSV is written, finished songs are already in the session store.
With ``--reference`` the results are then calibrated (every calibration export beside
them); with ``--profile`` a saved calibration is applied to every song and written beside
them as ``<results>_calibrated.csv``.

Exit codes (:class:`core.errors.ExitCode`): 0 when every song is done, 1 when any failed,
timed out or was cancelled (also after a stop signal), 2 on bad usage (an unknown option or
bad value, an unreadable reference sheet, no audio found, an output refused by the guard),
3 when the results could not be written, or some could not be kept in the session store
(results it refused for a while are kept in memory and written once it takes writes again,
and so is the batch's session record; a run whose results and record all got there exits
0).  When several apply, the highest is
returned.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import sys
import time

from core.batch.rules import TERMINAL_STATES, Batch, SongState, seconds_text
from core.cli.cluster_options import add_cluster_options, cluster_from_args
from core.errors import ExitCode, SongCalError
from core.io.outputs import STDOUT, physical_path, printable
from core.io.results import write_chunks_csv, write_results_csv
from core.settings import AnalysisSettings, default_workers, workers_for_memory

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
    g.add_argument("--tempo-floor", type=float, default=d.tempo_floor_bpm, metavar="BPM",
                   help="state every tempo in the octave BPM to 2 x BPM, as DJ programs do "
                        "(88: from 88 to 175, a half-time groove at 170 reads 170, a chorale "
                        "at 66 reads 132); 0: the metrical level the analyzer finds most "
                        "likely (default: %(default)s)")


def settings_from_args(args) -> AnalysisSettings:
    """AnalysisSettings from parsed arguments (raises ValueError naming a bad value)."""
    return AnalysisSettings(sample_rate=args.sample_rate, chunk_seconds=args.chunk_seconds,
                            workers=args.workers, budget_base_s=args.budget_base,
                            budget_factor=args.budget_factor,
                            hard_limit_factor=args.hard_limit_factor,
                            tempo_floor_bpm=args.tempo_floor)


def register(subparsers) -> None:
    """Register ``analyze`` on the ``songcal`` sub-parsers."""
    a = subparsers.add_parser("analyze", help="analyze songs and write a results CSV",
                              description="Analyze every audio file under PATHS (folders "
                              "recursively) and write one CSV row per file.")
    a.add_argument("paths", nargs="+", metavar="PATH", help="audio files or folders")
    a.add_argument("-o", "--output", required=True, metavar="CSV",
                   help="results CSV to write, or - for standard output.  Checked before "
                        "any analysis: never an input, a folder or a read-only file; a "
                        "symbolic link is followed (its target is replaced, the link kept), "
                        "a dangling one refused")
    calib = a.add_mutually_exclusive_group()
    calib.add_argument("--reference", metavar="SHEET",
                       help="reference sheet (CSV or .xlsx): also pair, fit and write the "
                            "calibration files next to the results")
    calib.add_argument("--profile", metavar="JSON",
                       help="calibration profile: also write every song with its "
                            "calibrated values and 90 %% intervals next to the results "
                            "(RESULTS_calibrated.csv, as songcal apply writes it)")
    a.add_argument("--chunks-out", metavar="CSV",
                   help="also write every song's values chunk by chunk (tempo, key and "
                        "loudness of each chunk, beside the song's tempo and key); checked "
                        "like -o")
    a.add_argument("-q", "--quiet", action="store_true", help="no progress output")
    a.add_argument("--fresh", action="store_true",
                   help="analyze every file again, even unchanged ones already analyzed "
                        "with the same settings")
    a.add_argument("--no-store", action="store_true",
                   help="neither read nor write the session store")
    a.add_argument("--session", metavar="PATH",
                   help="session store file to use (default: results.sqlite in the user "
                        "data folder); run again with the same file to resume: finished "
                        "songs come from it")
    _settings_args(a)
    add_cluster_options(a)
    a.set_defaults(func=run)




def _fmt_eta(seconds) -> str:
    if seconds is None:
        return "--"
    seconds = int(seconds)
    return f"{seconds // 60}m{seconds % 60:02d}s" if seconds >= 60 else f"{seconds}s"


class _Reporter:
    """Progress on the terminal: a live line on a TTY, else one line per finished song.

    A terminal that went away (SIGHUP, a closed pipe) silences it instead of failing.
    """

    def __init__(self, stream, *, quiet: bool):
        self.stream = stream
        self.quiet = quiet or stream is None  # started with >&-: nobody to tell
        try:
            self.tty = stream.isatty()
        except (AttributeError, OSError, ValueError):
            self.tty = False
        self.last_line = 0.0
        self.width = 0

    def __call__(self, batch: Batch, changed) -> None:
        if self.quiet:
            return
        try:
            self._report(batch, changed)
        except (OSError, ValueError):  # the terminal is gone
            self.quiet = True

    def _report(self, batch: Batch, changed) -> None:
        if not self.tty:
            for job in changed:
                if job.state in TERMINAL_STATES:
                    self.stream.write(self._song_line(job) + "\n")
                elif job.state is SongState.STALLED:
                    self.stream.write(f"stalled   {printable(job.path)} (on {job.worker}, "
                                      f"{seconds_text(job.elapsed())}, budget "
                                      f"{seconds_text(batch.budget(job))})\n")
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
        # a song handed to a cluster and still in its queue (Job.waiting) has not started
        j = next((j for j in batch.jobs if j.status in (SongState.RUNNING, SongState.STALLED)),
                 None)
        now_on = ""
        if j is not None:
            where = f" chunk {j.chunk}/{j.n_chunks}" if j.n_chunks else ""
            now_on = f" | {printable(os.path.basename(j.path))[:40]}{where}"
        figures = batch.figures()
        line = (f"[{ended}/{len(batch.jobs)}] done {c[SongState.DONE]} failed "
                f"{c[SongState.FAILED] + c[SongState.TIMED_OUT]} stalled {c[SongState.STALLED]}"
                f" | {figures['rate']:.1f} songs/min | ETA {_fmt_eta(figures['eta'])}"
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
            with contextlib.suppress(OSError, ValueError):
                self.stream.write("\n")
                self.stream.flush()

    @staticmethod
    def _song_line(job) -> str:
        r = job.result
        if job.state is SongState.DONE and r is not None:
            bits = []
            if _finite(r.bpm):
                bits.append(f"{r.bpm:.1f} BPM")
            if r.key:
                bits.append(str(r.key))
            if _finite(r.loudness_lufs):
                bits.append(f"{r.loudness_lufs:.1f} LUFS")
            if r.note:
                bits.append(str(r.note))
            return (f"done      {printable(job.path)} ({', '.join(bits)}; "
                    f"{job.elapsed():.1f} s)")
        return f"{job.state.value:<9} {printable(job.path)}: {printable(job.error)}"


def _finite(value) -> bool:
    return (isinstance(value, int | float) and not isinstance(value, bool)
            and value == value and abs(value) != float("inf"))


def _fit_workers_to_memory(settings: AnalysisSettings) -> AnalysisSettings:
    """``settings`` with no more workers than the available memory holds songs in progress
    (:func:`core.settings.workers_for_memory`, at least one worker); says so when it lowers
    them."""
    cap = workers_for_memory(settings.workers)
    if cap is None:
        return settings
    import dataclasses

    _say(f"songcal analyze: warning: {cap.reason(f'--workers {cap.asked}')}")
    return dataclasses.replace(settings, workers=cap.fits)


def _default_store() -> tuple[str | None, str]:
    """The default session store's path, or ``(None, why)`` when it cannot be used: its
    folder cannot be made (no home folder, a read-only one) or its disk is full.  A store
    the user names with ``--session`` is checked with the other outputs instead (and a bad
    one refuses the run).  A default store written by a newer SongCal, another program's
    database or a file that is no database in its place is not used either, and left as
    it is."""
    from core.batch.store import default_store_path, unusable_store
    from core.io.outputs import OutputError, check_outputs

    try:
        path = default_store_path()
    except OSError as err:
        return None, (f"the session store's folder cannot be made "
                      f"({printable(str(err.strerror or err))}: "
                      f"{printable(os.fsdecode(err.filename or ''))})")
    from core.batch.store import read_only_problem

    read_only = read_only_problem(path) if os.path.exists(path) else None
    if read_only:
        return None, (f"the session store {printable(path)} cannot be written: "
                      f"{printable(read_only)}; --session PATH names another")
    try:
        check_outputs({"--session": path})
    except OutputError as err:
        return None, f"the session store {printable(path)} cannot be written: {err.reason}"
    why = unusable_store(path) if os.path.isfile(path) else None
    if why is None and os.path.isfile(path):
        from core.cli.guard import protect_user_files

        if protect_user_files(path, database=True):  # not an SQLite database at all
            why = ("the file is not an SQLite database (damaged, or another file put in its "
                   "place); it is left as it is")
    if why:
        return None, f"the session store {printable(path)} cannot be used: {why}"
    return path, ""


#: How long the end of a run waits for a session store that refuses writes (s).
STORE_CLOSE_S = 5.0


def _say(text: str) -> None:
    with contextlib.suppress(OSError, ValueError):
        print(text, file=sys.stderr)


def _exports_beside(output: str) -> dict:
    """Export kind -> path of the calibration files named after the results file, beside
    it (the exports' naming scheme)."""
    from core.calibration.exports import export_paths

    stem = os.path.splitext(os.path.basename(output))[0]
    try:
        folder = os.path.dirname(physical_path(output))
    except OSError:  # the current folder was removed: the guard refuses -o itself
        folder = os.path.dirname(output)
    return export_paths(folder, stem=stem)


def _report_skipped(skipped: list[tuple[str, str]], *, named: set[str]) -> None:
    """Say on stderr which paths the scan left out: each path named on the command line with
    its reason, the ones found in folders as counts per reason."""
    counts: dict[str, int] = {}
    for path, why in dict(skipped).items():  # a path met twice is said once
        if path in named:
            print(f"skipped   {printable(path)}: {why}", file=sys.stderr)
        else:
            counts[why] = counts.get(why, 0) + 1
    if counts:
        parts = ", ".join(f"{n} \u00d7 {why}" for why, n in counts.items())
        print(f"skipped   {sum(counts.values())} in the folders: {parts}", file=sys.stderr)


def _calibration_outputs(output: str) -> dict:
    """The files ``--reference`` writes beside the results (every export kind)."""
    return {f"--reference's {kind} file": path for kind, path in _exports_beside(output).items()}


def _check_reference(path) -> str | None:
    """Why a reference sheet cannot be used (before anything runs), or None."""
    import stat

    from core.io.inputs import special_kind

    try:
        st = os.stat(path)
    except OSError:
        return f"reference sheet not found: {printable(path)}"
    if not stat.S_ISREG(st.st_mode):
        return (f"reference sheet {printable(path)} is {special_kind(st.st_mode)}, not a "
                "regular file")
    return None


class _StopSignals:
    """SIGINT, SIGTERM and SIGHUP ask ``runner`` to stop while in effect (restored after)."""

    NAMES = ("SIGINT", "SIGTERM", "SIGHUP")

    def __init__(self, runner):
        self.runner = runner
        self.previous = {}

    def __enter__(self):
        for name in self.NAMES:
            signum = getattr(signal, name, None)
            if signum is None:
                continue
            try:
                self.previous[signum] = signal.signal(signum, self._handle)
            except (ValueError, OSError):  # not the main thread
                pass
        return self

    def _handle(self, signum, _frame):
        self.runner.request_stop(signum)

    def __exit__(self, *exc):
        for signum, handler in self.previous.items():
            with contextlib.suppress(ValueError, OSError, TypeError):
                signal.signal(signum, handler)
        return False


def run(args) -> int:
    """``songcal analyze``: check outputs, scan, analyze on a thread pool, write the CSV."""
    from core.batch.runner import BatchRunner
    from core.batch.scan import scan_paths
    from core.cli.guard import (
        guard_fitted_sheet,
        guard_outputs,
        log_to_file,
        safe_console,
        say_error,
        write_failed,
    )

    safe_console()
    log_to_file()
    try:
        settings = settings_from_args(args)
        cluster = cluster_from_args(args, workers=settings.workers)
    except ValueError as err:
        say_error("analyze", str(err))
        return ExitCode.USAGE
    if cluster is None:  # a cluster's workers have memory of their own
        settings = _fit_workers_to_memory(settings)
    if args.session and args.no_store:
        say_error("analyze", "--session and --no-store exclude each other")
        return ExitCode.USAGE
    if args.reference:
        problem = _check_reference(args.reference)
        if problem:
            say_error("analyze", problem)
            return ExitCode.USAGE
    if (args.reference or args.profile) and args.output == STDOUT:
        say_error("analyze", f"{'--reference' if args.reference else '--profile'} writes "
                             "files next to the results: give -o a file name, not -")
        return ExitCode.USAGE
    store_path, store_failed = None, False
    if args.session and not args.no_store:
        store_path = args.session
    elif not args.no_store:
        store_path, problem = _default_store()
        if problem:  # the analysis goes on; the exit code says the store was not written
            _say(f"songcal analyze: warning: {problem}; going on without it")
            store_failed = True
    outputs = {"-o": args.output}
    if args.reference:
        outputs.update(_calibration_outputs(args.output))
    if args.profile:
        outputs["--profile's calibrated file"] = _exports_beside(args.output)["calibrated"]
    if args.chunks_out:
        outputs["--chunks-out"] = args.chunks_out
    if store_path is not None:
        outputs["--session"] = store_path
    fixed = [("the reference sheet", args.reference), ("the profile", args.profile)]
    # First the checks that need no scan (so a bad -o fails at once, before a long scan).
    first = guard_outputs("analyze", outputs, inputs=fixed + [("an input", p) for p in args.paths],
                          store_option="--session")
    if first is None:
        return ExitCode.USAGE
    profile = sheet = None
    if args.profile:
        profile = _read_profile(args.profile)
        if profile is None or not guard_fitted_sheet("analyze", first, profile):
            return ExitCode.USAGE
    if args.reference:  # read before the batch: a sheet it cannot use is said at once
        sheet = _read_reference(args.reference)
        if sheet is None:
            return ExitCode.USAGE
    skipped: list[tuple[str, str]] = []
    unread: list[tuple[str, str]] = []  # folders and songs the scan could not reach
    paths = scan_paths(args.paths, on_skip=lambda path, why: skipped.append((path, why)),
                       on_unread=lambda path, why: unread.append((path, why)))
    _report_skipped(skipped, named={os.fspath(p) for p in args.paths})
    if not paths and not unread:
        say_error("analyze", "no audio files found in " + ", ".join(map(printable, args.paths)))
        return ExitCode.USAGE
    targets = guard_outputs("analyze", outputs,
                            inputs=fixed + [("an input audio file", p) for p in paths],
                            expected_bytes=4096 * len(paths), store_option="--session")
    if targets is None:
        return ExitCode.USAGE
    from core.analysis.analyze import analyze_file  # the numeric stack: after the checks

    batch = Batch(paths, settings=settings)
    to_stdout = targets["-o"] == STDOUT
    reporter = _Reporter(sys.stderr if to_stdout else sys.stdout, quiet=args.quiet)
    # songs the scan could not reach: failed rows, said as every failure is
    reporter(batch, [batch.add_failed(path, why) for path, why in unread])
    analyze, store, session = analyze_file, None, None
    if store_path is not None:
        from core.batch.store import ResultStore, StoreError, cached

        try:
            store = ResultStore(store_path)
        except StoreError as err:  # a broken store must not stop the analysis
            _say(f"songcal analyze: warning: {printable(err)}; going on without it")
            store_failed = True
        else:
            analyze = cached(analyze_file, store, force=lambda path: args.fresh)
            try:  # a record the store does not take now is written with the results
                session = store.begin_session(paths, settings.to_dict(), args.reference,
                                              late=True)
            except StoreError as err:  # refused for good
                _say(f"songcal analyze: warning: {printable(err)}; going on without a "
                     "session record")
                store_failed = True
            else:
                if session < 0:
                    why = store.problem or "another program holds it"
                    _say(f"songcal analyze: warning: the session store does not take the "
                         f"batch's session record now ({printable(why)}); it waits in "
                         "memory with the results, written once the store takes writes")
    if cluster is None:
        runner = BatchRunner(batch, analyze=analyze, on_change=reporter)
    else:
        runner = _cluster_runner(batch, cluster, store, settings, args, reporter)
    interrupted = False
    code = ExitCode.OK
    with _StopSignals(runner):  # also while writing: a second signal cannot cut it short
        try:
            runner.run()
        except KeyboardInterrupt:
            interrupted = True
        except SongCalError as err:  # the cluster cannot be used: nothing was analyzed
            say_error("analyze", printable(err))
            if store is not None:
                store.close()
            return ExitCode.USAGE
        finally:
            if cluster is not None:
                runner.close()
        reporter.finish()
        stopped = interrupted or runner.stopped_by is not None
        from core.analysis.identity import analyzer_id

        try:
            write_results_csv(targets["-o"], batch.results(), settings=batch.settings,
                              analyzer=analyzer_id())
        except OSError as err:
            code = write_failed("analyze", args.output, err)
        if args.chunks_out:
            try:
                write_chunks_csv(targets["--chunks-out"], batch.results(),
                                 settings=batch.settings, analyzer=analyzer_id())
            except OSError as err:
                code = write_failed("analyze", args.chunks_out, err)
        if store is not None:
            if session is not None and not stopped:
                store.end_session(session)
            if store.waiting:
                n = store.unwritten_songs()
                what = f"the results of {n} song(s)" if n else "writes"
                why = store.problem or "a write is still being retried"
                _say(f"songcal analyze: the session store still refuses {what} ({why}); "
                     f"waiting up to {STORE_CLOSE_S:g} s for it")
            store.close(timeout=STORE_CLOSE_S)
            if store.stats.failed_writes:
                store_failed = True
    c = batch.counts()
    hits = store.stats.hits if store is not None else 0
    why = ""
    if runner.stopped_by is not None and runner.stopped_by > 0:
        why = f" (stopped by {signal.Signals(runner.stopped_by).name})"
    elif interrupted:
        why = " (interrupted)"
    where = "standard output" if to_stdout else printable(args.output)
    summary = (f"{c[SongState.DONE]} of {len(batch.jobs)} songs analyzed"
               + (f", {hits} from the session store" if store is not None else "")
               + (f"; results in {where}" if code == ExitCode.OK else "") + why)
    if store is not None and store.stats.failed_writes:
        summary += (f"; {store.stats.failed_writes} write(s) to the session store failed "
                    f"({store.problem})")
    elif store is not None and store.stats.late:
        summary += (f"; the session store refused writes for a while ({store.problem}) and "
                    "took every result once it took writes again")
    _say(summary)
    status = ExitCode.OK if c[SongState.DONE] == len(batch.jobs) else ExitCode.FAILED
    status = max(status, code)
    if store_failed:
        status = max(status, ExitCode.OUTPUT)
    if args.reference and code == ExitCode.OK and not stopped:
        from core.calibration.reference import reference_from_bytes

        status = max(status, _calibrate_after_analyze(
            args.output, reference_from_bytes(sheet, args.reference), settings))
    if args.profile and code == ExitCode.OK and not stopped:
        status = max(status, _apply_after_analyze(args.output, args.profile,
                                                  targets["--profile's calibrated file"],
                                                  profile))
    return status


def _cluster_runner(batch, spec, store, settings, args, reporter):
    """A :class:`core.batch.cluster_runner.ClusterRunner` that reads and fills the session
    store in this process (the workers never touch it)."""
    from core.batch.cluster import store_hooks
    from core.batch.cluster_runner import ClusterRunner

    lookup = on_result = None
    if store is not None:
        lookup, on_result = store_hooks(store, settings, fresh=args.fresh)
    if not args.quiet:
        _say(f"songcal analyze: running on the {spec.describe()}")
    return ClusterRunner(batch, spec=spec, lookup=lookup, on_result=on_result,
                         on_change=reporter)


def _read_reference(path):
    """The bytes of the reference sheet, read and parsed before any song is analyzed (a
    sheet that cannot be used was said only after the whole batch), or None after saying
    why it cannot be used.  The bytes are kept for the calibration after the batch, not the
    parsed rows (about 30 times as large: 230 MB for a sheet of 200,000 rows)."""
    from core.calibration.reference import read_reference_bytes, reference_from_bytes
    from core.cli.guard import say_error

    try:
        data = read_reference_bytes(path)
        reference_from_bytes(data, path)  # the rows are made again after the batch
        return data
    except SongCalError as err:
        say_error("analyze", str(err))
        return None
    except UnicodeDecodeError as err:
        say_error("analyze", f"{path}: {err}")
        return None


def _calibrate_after_analyze(results_csv, reference, settings) -> int:
    """Pair the fresh results with ``reference`` (the sheet read before the batch) and
    write the calibration files beside them."""
    from core.cli.calibrate import calibrate_results_file

    return calibrate_results_file(results_csv, reference, settings=settings)


def _read_profile(path):
    """The profile, read before any song is analyzed (its fitted sheet is then kept from
    every output), or None after saying why it cannot be used."""
    from core.calibration.profile import load_profile
    from core.errors import SongCalError

    try:
        return load_profile(path)
    except SongCalError as err:
        from core.cli.guard import say_error

        say_error("analyze", str(err))
        return None


def _apply_after_analyze(results_csv, profile_path, target, profile) -> int:
    """Write ``<stem>_calibrated.csv`` (``target``, checked with the other outputs before
    the analysis) beside the fresh results, as ``songcal apply`` does, with the profile
    read before the batch (the one the outputs were checked against)."""
    from core.cli.apply import apply_to_results_file

    return apply_to_results_file(results_csv, profile_path, target, cmd="analyze",
                                 guarded=True, profile=profile)



