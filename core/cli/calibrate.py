"""``songcal calibrate``: pair results with a reference sheet, fit, write the exports.

``songcal calibrate results.csv --reference ref.csv -o calibration.csv [--profile P.json]
[--results-out paired.csv] [--mismatches-out M.csv] [--calibrated-out C.csv]`` pairs the
results with the sheet, prints matched / unmatched counts, lists the songs and rows left
unpaired, then per column its verdict (:mod:`core.calibration.verdict`), the scores before
and after (nested cross-validated), the 90 % interval and the learned model, and writes
the exports.

``songcal apply results.csv --profile P.json -o calibrated.csv`` adds ``*_calibrated``
columns.

``calibrate`` and ``analyze --reference`` go through
:class:`core.calibration.session.CalibrationSession`, as the window does.  ``analyze
--reference`` names its files as the window's Export does
(:func:`core.calibration.exports.export_names`); ``calibrate`` writes the paths given.

Exit codes: 0 when every analyzed song found its reference row (calibrate) or the profile
was applied (apply); 1 when some analyzed songs stay unmatched or ambiguous, or no song at
all could be paired (the files are still written); 2 on bad usage, an unreadable input
(results CSV, reference sheet or profile) or an output refused before any work (an input,
a folder, read-only, no room: :mod:`core.cli.guard`); 3 when an output could not be
written.  Reference rows no song uses do not count as a failure: a sheet often covers more
songs than the deck.
"""

from __future__ import annotations

import contextlib
import math
import os
import sys

from core.errors import ExitCode, SongCalError
from core.io.outputs import physical_path, printable

__all__ = ["register", "run", "calibrate_results_file", "print_report", "read_results",
           "say_error"]


def register(subparsers) -> None:
    """Register ``calibrate`` on the ``songcal`` sub-parsers."""
    c = subparsers.add_parser(
        "calibrate", help="pair results with a reference sheet and fit corrections",
        description="Pair a results CSV with a reference sheet, fit a correction per "
        "descriptor (kept only where cross-validation says it helps) and write the "
        "calibration CSV.  Exit 0: every song paired; 1: some songs unpaired; 2: bad input.")
    c.add_argument("results", metavar="RESULTS_CSV", help="results CSV from songcal analyze")
    c.add_argument("--reference", required=True, metavar="SHEET",
                   help="reference sheet (CSV, or an Excel workbook .xlsx)")
    c.add_argument("-o", "--output", required=True, metavar="CSV",
                   help="calibration CSV to write (one row per descriptor), or - for "
                        "standard output; never one of the inputs; a symbolic link is "
                        "followed (its target is replaced), a dangling one refused")
    c.add_argument("--profile", metavar="JSON", help="also write a calibration profile")
    c.add_argument("--results-out", metavar="CSV",
                   help="also write the results with reference columns and errors")
    c.add_argument("--mismatches-out", metavar="CSV",
                   help="also write only the mismatches and unpaired songs and rows")
    c.add_argument("--calibrated-out", metavar="CSV",
                   help="also write every song with its calibrated values and 90 %% "
                        "intervals")
    c.add_argument("--keep-inverted", metavar="NAMES", default="",
                   help="comma-separated descriptors whose inverted correction (negative "
                        "slope) is kept anyway")
    c.add_argument("--no-learned", action="store_true",
                   help="fit no learned multi-input models (single-descriptor corrections "
                        "only)")
    c.add_argument("--folds", type=int, default=10,
                   help="cross-validation folds (leave-one-out below 20 songs; "
                        "default: %(default)s)")
    c.add_argument("--min-gain", type=float, default=0.01,
                   help="relative drop of the cross-validated MAE a correction needs to be "
                        "kept (default: %(default)s)")
    c.add_argument("--match-threshold", type=float, default=86.0,
                   help="lowest fuzzy title/artist score accepted, 0-100 (default: %(default)s)")
    c.add_argument("-q", "--quiet", action="store_true", help="print only problems")
    c.set_defaults(func=run)


def say_error(cmd: str, message: str) -> None:
    """Print ``songcal CMD: error: MESSAGE`` on standard error."""
    from core.cli.guard import say_error as say

    say(cmd, message)


def read_results(cmd: str, path: str):
    """The rows of a results CSV, or None (the reason printed)."""
    from core.io.csvio import CsvReadError, read_csv_rows

    try:
        columns, rows = read_csv_rows(path)
    except CsvReadError as err:
        say_error(cmd, f"cannot read results CSV {path}: {err.reason}")
        return None
    reason = not_results(path, columns)
    if reason:
        say_error(cmd, reason)
        return None
    warn_implausible(cmd, rows)
    return rows


def not_results(path, columns) -> str:
    """Why a CSV with these ``columns`` is not a results CSV SongCal can read, or empty."""
    if "path" in columns or "title" in columns:
        return ""
    header = columns[0] if len(columns) == 1 else ""
    for sep, shown in ((";", "';'"), ("\t", "tabs")):
        if sep in header and {"path", "title"} & set(header.split(sep)):
            return (f"{path}: its columns are separated by {shown}, not commas (saved again "
                    "by a spreadsheet program?): give the results CSV SongCal wrote, or save "
                    "it as CSV with commas")
    return f"{path} is not a SongCal results CSV (no path or title column)"


#: Implausible results cells named one by one in the warning; the rest are counted.
_IMPLAUSIBLE_LISTED = 5


def warn_implausible(cmd: str, rows) -> None:
    """Warn about the results cells no analyzer writes (they are read as no value)."""
    from core.calibration.cells import implausible_cells

    cells = implausible_cells(rows)
    if not cells:
        return
    more = len(cells) - _IMPLAUSIBLE_LISTED
    with contextlib.suppress(OSError, ValueError):
        print(f"songcal {cmd}: warning: {len(cells)} value(s) of the results are outside "
              f"anything the analyzer writes and are read as no value: "
              f"{printable('; '.join(cells[:_IMPLAUSIBLE_LISTED]))}"
              f"{f'; and {more} more' if more > 0 else ''}", file=sys.stderr)


def _fmt(v, digits=3) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "n/a"
    return f"{v:.{digits}f}"


def _song_label(s) -> str:
    """A song as the report names it, with what a terminal would act on escaped (a tag or
    a file name may hold a newline or an escape sequence)."""
    name = f"{s.artist} - {s.title}" if s.artist else s.title
    return printable(f"{s.path} ({name})" if s.path else name)


#: Unused or unreadable reference rows listed one by one; the rest are counted (a playlist
#: export of thousands of rows against a small deck would flood the terminal).
ROWS_LISTED = 20


def _print_more(total: int, listed_in, stream) -> None:
    if total > ROWS_LISTED:
        where = f" (every one is in {listed_in})" if listed_in else ""
        print(f"  ... and {total - ROWS_LISTED} more{where}", file=stream)


def print_report(session, written: dict, *, stream=None, quiet: bool = False) -> None:
    """Print matched / unmatched counts, the unpaired songs and rows, the scores and the
    files written.

    Parameters
    ----------
    session : CalibrationSession
        A matched and fitted session.
    written : dict of str to str
        Export kind -> path, as returned by its ``write`` or ``export``.
    stream : file, optional
        Where to print (default: standard output).
    quiet : bool, optional
        Print only the counts and the problems.
    """
    stream = stream or sys.stdout
    m, sheet = session.match, session.sheet
    by = {}
    for x in m.matches:
        by[x.method] = by.get(x.method, 0) + 1
    detail = ", ".join(f"{k} {v}" for k, v in sorted(by.items()))
    print(f"matched {len(m.matches)} of {m.n_songs} songs"
          + (f" ({detail})" if detail else "")
          + f"; unmatched songs {len(m.unmatched_songs)} (ambiguous {len(m.ambiguous)}); "
          f"unused reference rows {len(m.unmatched_rows)} of {m.n_rows}", file=stream)
    amb = {a.song: a for a in m.ambiguous}
    if m.unmatched_songs:
        songs = session.identities()
        print("unmatched songs:", file=stream)
        for i in m.unmatched_songs:
            line = f"  {_song_label(songs[i])}"
            if i in amb:
                rows = ", ".join(f"row {sheet.rows[j].row} ({sc:g})"
                                 for j, sc in amb[i].candidates)
                line += f" - ambiguous: {rows}"
                if amb[i].rivals:  # the same song twice, most often
                    line += ", matched as well by " + ", ".join(
                        _song_label(songs[k]) for k in amb[i].rivals)
            print(line, file=stream)
    if m.unmatched_rows and not quiet:
        print("unused reference rows:", file=stream)
        for j in m.unmatched_rows[:ROWS_LISTED]:
            r = sheet.rows[j]
            print(printable(f"  row {r.row}: {r.artist + ' - ' if r.artist else ''}{r.title}"),
                  file=stream)
        _print_more(len(m.unmatched_rows), written.get("mismatches"), stream)
    if sheet.bad_rows:
        print("reference rows that could not be read:", file=stream)
        for b in sheet.bad_rows[:ROWS_LISTED]:
            print(f"  {printable(b)}", file=stream)
        _print_more(len(sheet.bad_rows), None, stream)
    for w in sheet.warnings:
        print(f"warning: {printable(w)}", file=stream)
    if quiet:
        return
    _print_scores(session.calibration, stream, session=session)
    tip = session.tempo_range_suggestion()
    if tip is not None:
        print(f"bpm: {tip.text()} Analyze with --tempo-floor {tip.floor:g} (or Settings > "
              f"Tempo range {tip.range_text} in the window) to state them so.", file=stream)
    for kind, path in written.items():
        again = " (replaced an older file)" if path in session.replaced else ""
        print(f"wrote {kind}: {printable(path)}{again}", file=stream)


def _verdict(v: str) -> str:
    return f"[{v}]" if v else ""


def _print_scores(cal, stream, *, session=None) -> None:
    from core.calibration.inputs import NOT_IN_RESULTS

    if cal.tempo is not None:
        t = cal.tempo
        missing = (f" ({t.n_missing} without an analyzer tempo, counted as misses)"
                   if t.n_missing else "")
        print(f"bpm {_verdict(t.verdict)} (n={t.n}{missing}): rule {t.rule.describe()}, "
              f"correction {t.correction.method}; Acc1 {_fmt(t.acc1_before)} -> "
              f"{_fmt(t.acc1_after)}, Acc2 {_fmt(t.acc2_before)} -> {_fmt(t.acc2_after)}, "
              f"MAE {_fmt(t.mae_before, 2)} -> {_fmt(t.mae_after, 2)} BPM (cross-validated); "
              f"90 % interval: {t.interval.describe()}", file=stream)
        if t.note and not t.kept and t.verdict != "tracks":
            print(f"  {t.note}", file=stream)
    if cal.key is not None:
        k = cal.key
        print(f"key {_verdict(k.verdict)} (n={k.n}): correction {k.correction.describe()}; "
              f"accuracy {_fmt(k.accuracy_before)} -> {_fmt(k.accuracy_after)}, weighted "
              f"{_fmt(k.weighted_before)} -> {_fmt(k.weighted_after)} (cross-validated)",
              file=stream)
        if k.note and not k.kept and k.verdict != "tracks":
            print(f"  {k.note}", file=stream)
    def label(column):  # "energy (Mixed In Key 1-10)": the sheet's own scale, where it has one
        return session.sheet.column_label(column) if session is not None else column

    for name, d in cal.descriptors.items():
        how = d.correction.describe() if d.kept else "no correction"
        if d.reference_range is not None and not d.kept:
            how += f"; {d.correction.describe()}"  # what stands: 0-1 stretched onto 1-10
        line = (f"{label(name)} {_verdict(d.verdict)} (n={d.n}): {how}; MAE "
                f"{_fmt(d.mae_before, 4)}"
                f" -> {_fmt(d.mae_after, 4)}, r2 {_fmt(d.r2_cv)} (nested "
                f"cross-validated); 90 % interval: {d.interval.describe()}")
        print(line, file=stream)
        if d.outlier_note:
            _print_outliers(d.outlier_note, name, session, stream)
        if d.note and not d.kept:
            print(f"  {d.note}", file=stream)
    for name, m in cal.learned.items():
        if m.model is None:
            print(f"{label(name)} learned model: {m.note}", file=stream)
            continue
        top = ", ".join(f"{a} {v:.3g}" for a, v in m.importance[:4] if v > 0) or "none"
        curve = ", ".join(f"{size} songs {v:.4g}" for size, v in m.learning_curve)
        state = "kept" if m.kept else "not kept"
        tag = f" {_verdict(m.verdict)}" if m.verdict else ""
        print(f"{label(name)} learned model{tag} ({state}): {m.describe()}; MAE "
              f"{_fmt(m.mae_cv, 4)}, r2 {_fmt(m.r2_cv)} (nested cross-validated); "
              f"inputs that matter: {top}; learning curve: {curve}", file=stream)
        if m.outlier_note:
            _print_outliers(m.outlier_note, name, session, stream, learned=True)
        if m.note:
            print(f"  {m.note}", file=stream)
    if cal.learned:
        print("learned models do not yet read: " + ", ".join(NOT_IN_RESULTS)
              + " (not in the results)", file=stream)


def _print_outliers(note, column, session, stream, *, learned=False) -> None:
    """The outlying songs of a descriptor (or of a learned model: its held-out prediction
    in place of the analyzer value), one a line with both values."""
    print(f"  {note}:", file=stream)
    found = (session.outlying_songs(column, learned=learned) if session is not None
             else [])
    songs = session.identities() if found else []
    what = "predicted" if learned else "in the results"
    for i, x, y in found[:ROWS_LISTED]:
        print(f"    {_song_label(songs[i])}: {x:.4g} {what}, {y:.4g} in the sheet",
              file=stream)
    _print_more(len(found), None, stream)


def _session(rows, reference, *, settings=None, options=None):
    """A session of ``rows`` (keyed by position) and the sheet, matched and fitted."""
    from core.calibration.profile import results_analyzer
    from core.calibration.session import CalibrationSession

    session = CalibrationSession(options=options, settings=settings,
                                 analyzer=results_analyzer(rows) or "")  # read from a file
    session.set_results(rows, keys=range(len(rows)))
    session.set_reference(reference)
    session.fit()
    return session


def _status(session) -> int:
    return ExitCode.OK if session.all_songs_paired else ExitCode.FAILED


def run(args) -> int:
    """``songcal calibrate``; returns the exit code."""
    from core.calibration.session import CalibrationOptions
    from core.cli.guard import guard_outputs, log_to_file, safe_console, write_failed

    safe_console()
    log_to_file()
    if args.folds < 2:
        say_error("calibrate", f"--folds must be >= 2, got {args.folds}")
        return ExitCode.USAGE
    if not 0 <= args.min_gain < 1:
        say_error("calibrate", f"--min-gain must be in [0, 1), got {args.min_gain}")
        return ExitCode.USAGE
    if not 0 <= args.match_threshold <= 100:
        say_error("calibrate", f"--match-threshold must be 0-100, got {args.match_threshold}")
        return ExitCode.USAGE
    from core.calibration.reference import REFERENCE_DESCRIPTORS

    inverted = frozenset(n.strip() for n in args.keep_inverted.split(",") if n.strip())
    unknown = sorted(inverted - set(REFERENCE_DESCRIPTORS) | (inverted & {"bpm"}))
    if unknown:
        say_error("calibrate", f"--keep-inverted names {', '.join(unknown)}; expected "
                  f"descriptors among {', '.join(REFERENCE_DESCRIPTORS[1:])}")
        return ExitCode.USAGE
    options = CalibrationOptions(k=args.folds, min_gain=args.min_gain,
                                 threshold=args.match_threshold, keep_inverted=inverted,
                                 learned=not args.no_learned)
    size = 0
    with contextlib.suppress(OSError):
        size = 3 * os.stat(args.results).st_size
    targets = guard_outputs(
        "calibrate", {"-o": args.output, "--profile": args.profile,
                      "--results-out": args.results_out,
                      "--mismatches-out": args.mismatches_out,
                      "--calibrated-out": args.calibrated_out},
        inputs=[("the results CSV", args.results), ("the reference sheet", args.reference)],
        expected_bytes=size)
    if targets is None:
        return ExitCode.USAGE
    rows = read_results("calibrate", args.results)
    if rows is None:
        return ExitCode.USAGE
    paths = {"calibration": targets["-o"], "paired": targets.get("--results-out"),
             "mismatches": targets.get("--mismatches-out"),
             "calibrated": targets.get("--calibrated-out"), "profile": targets.get("--profile")}
    try:
        session = _session(rows, args.reference, options=options)
        written = session.write(paths)
    except SongCalError as err:
        say_error("calibrate", str(err))
        return ExitCode.USAGE
    except OSError as err:
        return write_failed("calibrate", err.filename or args.output, err)
    with contextlib.suppress(OSError, ValueError):
        print_report(session, written, quiet=args.quiet,
                     stream=sys.stderr if targets["-o"] == "-" else sys.stdout)
    return _status(session)


def calibrate_results_file(results_csv, reference, *, settings=None, out_dir=None,
                           stream=None) -> int:
    """Calibrate a results CSV just written (``songcal analyze --reference``): every export
    under the shared names with the results file's stem
    (:func:`core.calibration.session.calibrate_results_csv`), then the report.

    Returns
    -------
    int
        The exit code, as for ``songcal calibrate``.
    """
    from core.calibration.session import calibrate_results_csv

    try:
        session, written = calibrate_results_csv(results_csv, reference, out_dir=out_dir,
                                                 settings=settings)
    except SongCalError as err:
        say_error("analyze", str(err))
        return ExitCode.USAGE
    except UnicodeDecodeError as err:
        say_error("analyze", f"calibration failed: {err}")
        return ExitCode.USAGE
    except OSError as err:
        from core.cli.guard import write_failed

        folder = out_dir or os.path.dirname(physical_path(results_csv))
        return write_failed("analyze", err.filename or folder, err)
    with contextlib.suppress(OSError, ValueError):
        print_report(session, written, stream=stream or sys.stdout)
    return _status(session)
