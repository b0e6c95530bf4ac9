"""``songcal apply results.csv --profile P.json -o calibrated.csv``: add calibrated columns
(values and 90 % intervals, :mod:`core.calibration.applying`) to every song of a results
CSV with a profile written by ``songcal calibrate`` or the window.

A profile that corrects descriptors the results do not hold is said so: a warning when some
are missing, a usage error when none of them is there.

The summary line says how many songs have a calibrated value computed from a value outside
the range the profile was fitted on (column ``outside_fit``, per calibrated column), or that
the profile keeps no such ranges (written before they were kept: nothing is marked).

Exit codes: 0 applied; 2 bad usage, an unreadable input (results, a profile that fails its
checks) or an output refused before any work; 3 the output could not be written.
"""

from __future__ import annotations

import contextlib
import os
import sys

from core.cli.calibrate import not_results, say_error, warn_implausible
from core.errors import ExitCode, SongCalError
from core.io.outputs import printable

__all__ = ["register", "run", "apply_to_results_file"]


def register(subparsers) -> None:
    """Register ``apply`` on the ``songcal`` sub-parsers."""
    a = subparsers.add_parser(
        "apply", help="apply a calibration profile to a results CSV",
        description="Add calibrated columns (bpm_calibrated, energy_calibrated and their "
        "90 %% intervals, key_calibrated...) to every song of a results CSV using a profile "
        "written by songcal calibrate.  A last column, outside_fit, names per song the "
        "calibrated columns whose value comes from a value outside the range the profile "
        "was fitted on (widened by 5 %% of its width on each side; the value is still "
        "given, extrapolated by the correction and clamped to the column's range; keys are "
        "never marked); a profile written before ranges were kept gives no such column.  "
        "Exit 0: applied; 2: bad input.")
    a.add_argument("results", metavar="RESULTS_CSV", help="results CSV from songcal analyze")
    a.add_argument("--profile", required=True, metavar="JSON", help="calibration profile")
    a.add_argument("-o", "--output", required=True, metavar="CSV",
                   help="CSV to write, or - for standard output; never one of the inputs; "
                        "a symbolic link is followed (its target is replaced), a dangling "
                        "one refused")
    a.set_defaults(func=run)


def _profile_columns(profile) -> list[str]:
    """Result columns a profile reads."""
    cols = list(profile.descriptors)
    if profile.tempo_rule is not None:
        cols.insert(0, "bpm")
    if profile.key is not None:
        cols.insert(1 if profile.tempo_rule is not None else 0, "key")
    return cols


def apply_to_results_file(results_csv, profile_path, output, *, cmd: str = "apply",
                          guarded: bool = False, profile=None) -> int:
    """Apply the profile at ``profile_path`` to a results CSV and write ``output``.

    Parameters
    ----------
    results_csv : str
        The results CSV (its settings column is kept in the provenance).
    profile_path : str
        The profile.
    output : str
        The CSV to write, as given (``-`` for standard output).
    cmd : str, optional
        Sub-command named in messages.
    guarded : bool, optional
        True when the caller has checked ``output`` with :func:`core.cli.guard.guard_outputs`
        already.
    profile : CalibrationProfile, optional
        The profile already read from ``profile_path`` (``analyze --profile`` reads it
        before the batch: the file may be gone or changed by the end).

    Returns
    -------
    int
        The exit code: 0 written, 2 when an input cannot be read or the output is refused,
        3 when the output could not be written.
    """
    from core.calibration.applying import apply_profile
    from core.calibration.exports import write_calibrated_csv
    from core.calibration.profile import load_profile, profile_mismatch, results_analyzer
    from core.cli.guard import (
        guard_fitted_sheet,
        guard_outputs,
        log_to_file,
        safe_console,
        write_failed,
    )
    from core.io.csvio import CsvReadError, read_csv_rows
    from core.io.provenance import provenance

    safe_console()
    log_to_file()
    target = output
    if not guarded:
        size = 0
        with contextlib.suppress(OSError):
            size = 2 * os.stat(results_csv).st_size
        targets = guard_outputs(cmd, {"-o": output},
                                inputs=[("the results CSV", results_csv),
                                        ("the profile", profile_path)],
                                expected_bytes=size)
        if targets is None:
            return ExitCode.USAGE
        target = targets["-o"]
    if profile is None:
        try:
            profile = load_profile(profile_path)
        except SongCalError as err:
            say_error(cmd, str(err))
            return ExitCode.USAGE
    if not guarded and not guard_fitted_sheet(cmd, {"-o": target}, profile):
        return ExitCode.USAGE
    try:
        columns, rows = read_csv_rows(results_csv)
    except CsvReadError as err:
        say_error(cmd, f"cannot read results CSV {results_csv}: {err.reason}")
        return ExitCode.USAGE
    reason = not_results(results_csv, columns)
    if reason:
        say_error(cmd, reason)
        return ExitCode.USAGE
    warn_implausible(cmd, rows)
    wanted = _profile_columns(profile)
    missing = [c for c in wanted if c not in columns]
    if wanted and len(missing) == len(wanted):
        say_error(cmd, f"the profile corrects {', '.join(wanted)}, and the results hold "
                       "none of these columns: nothing to apply")
        return ExitCode.USAGE
    if missing:
        with contextlib.suppress(OSError, ValueError):
            print(f"songcal {cmd}: warning: the results have no {', '.join(missing)} "
                  f"column(s); their calibrated columns stay empty", file=sys.stderr)
    analyzer = results_analyzer(rows) or ""  # a file without the column: not said
    mismatch = profile_mismatch(profile, analyzer)
    if mismatch:
        with contextlib.suppress(OSError, ValueError):
            print(f"songcal {cmd}: warning: {mismatch}", file=sys.stderr)
    settings = next((r.get("settings") for r in rows if r.get("settings")), "")
    meta = provenance(settings=settings, analyzer=analyzer,
                      profile_file=os.path.basename(profile_path),
                      reference_file=profile.meta.get("reference_file", ""),
                      reference_sha256=profile.meta.get("reference_sha256", ""))
    calibrated = apply_profile(profile, rows)
    try:
        n = write_calibrated_csv(target, rows, profile, meta=meta, calibrated=calibrated)
    except OSError as err:
        return write_failed(cmd, output, err)
    where = "standard output" if target == "-" else printable(output)
    with contextlib.suppress(OSError, ValueError):
        said = outside_fit_said(profile, calibrated)
        print(f"applied {printable(os.path.basename(profile_path))} to {n} songs"
              f"{', ' + said if said else ''}; wrote {where}", file=sys.stderr)
    return ExitCode.OK


def outside_fit_said(profile, calibrated) -> str:
    """How many of the calibrated rows have values outside the fitted range, in words:
    ``"2 with values outside the range the profile was fitted on (bpm 2, energy 1; column
    outside_fit)"`` (empty for a profile of keys alone)."""
    from core.calibration.applying import (
        NO_RANGES_KEPT,
        OUTSIDE_FIT,
        keeps_fitted_ranges,
        outside_fit_counts,
    )

    if not profile.columns:
        return ""  # a key map only: keys have no range
    if not keeps_fitted_ranges(profile):
        return NO_RANGES_KEPT
    n, per = outside_fit_counts(calibrated)
    if not n:
        return "none with values outside the range the profile was fitted on"
    each = ", ".join(f"{c} {per[c]}" for c in profile.columns if c in per)
    return (f"{n} with values outside the range the profile was fitted on ({each}; column "
            f"{OUTSIDE_FIT})")


def run(args) -> int:
    """``songcal apply``; returns the exit code."""
    return apply_to_results_file(args.results, args.profile, args.output)
