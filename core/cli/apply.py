"""``songcal apply results.csv --profile P.json -o calibrated.csv``: add ``*_calibrated``
columns to a results CSV with a profile written by ``songcal calibrate``.

A profile that corrects descriptors the results do not hold is said so: a warning when some
are missing, a usage error when none of them is there.

Exit codes: 0 applied; 2 bad usage, an unreadable input (results, a profile that fails its
checks) or an output refused before any work; 3 the output could not be written.
"""

from __future__ import annotations

import contextlib
import os
import sys

from core.cli.calibrate import say_error
from core.errors import ExitCode, SongCalError

__all__ = ["register", "run"]


def register(subparsers) -> None:
    """Register ``apply`` on the ``songcal`` sub-parsers."""
    a = subparsers.add_parser(
        "apply", help="apply a calibration profile to a results CSV",
        description="Add *_calibrated columns (bpm_calibrated, key_calibrated...) to a "
        "results CSV using a profile written by songcal calibrate.  Exit 0: applied; "
        "2: bad input.")
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


def run(args) -> int:
    """``songcal apply``; returns the exit code."""
    from core.calibration.exports import typed_row
    from core.calibration.profile import apply_profile, calibrated_columns, load_profile
    from core.cli.guard import guard_outputs, safe_console, write_failed
    from core.io.csvio import write_csv
    from core.io.provenance import PROVENANCE_COLUMNS, provenance

    safe_console()
    size = 0
    with contextlib.suppress(OSError):
        size = 2 * os.stat(args.results).st_size
    targets = guard_outputs("apply", {"-o": args.output},
                            inputs=[("the results CSV", args.results),
                                    ("the profile", args.profile)],
                            expected_bytes=size)
    if targets is None:
        return ExitCode.USAGE
    try:
        profile = load_profile(args.profile)
    except SongCalError as err:
        say_error("apply", str(err))
        return ExitCode.USAGE
    from core.io.csvio import CsvReadError, read_csv_rows

    try:
        columns, rows = read_csv_rows(args.results)
    except CsvReadError as err:
        say_error("apply", f"cannot read results CSV {args.results}: {err.reason}")
        return ExitCode.USAGE
    if "path" not in columns and "title" not in columns:
        say_error("apply", f"{args.results} is not a SongCal results CSV (no path or title "
                           "column)")
        return ExitCode.USAGE
    wanted = _profile_columns(profile)
    missing = [c for c in wanted if c not in columns]
    if wanted and len(missing) == len(wanted):
        say_error("apply", f"the profile corrects {', '.join(wanted)}, and the results hold "
                           "none of these columns: nothing to apply")
        return ExitCode.USAGE
    if missing:
        with contextlib.suppress(OSError, ValueError):
            print(f"songcal apply: warning: the results have no {', '.join(missing)} "
                  f"column(s); their calibrated columns stay empty", file=sys.stderr)
    body = [c for c in columns if c not in PROVENANCE_COLUMNS]
    out = [typed_row(r) for r in apply_profile(profile, rows)]
    for r in out:
        for c in PROVENANCE_COLUMNS:
            r.pop(c, None)
    settings = next((r.get("settings") for r in rows if r.get("settings")), "")
    meta = provenance(settings=settings, profile_file=os.path.basename(args.profile),
                      reference_file=profile.meta.get("reference_file", ""),
                      reference_sha256=profile.meta.get("reference_sha256", ""))
    try:
        write_csv(targets["-o"], body + calibrated_columns(profile), out, meta=meta)
    except OSError as err:
        return write_failed("apply", args.output, err)
    where = "standard output" if targets["-o"] == "-" else args.output
    with contextlib.suppress(OSError, ValueError):
        print(f"applied {os.path.basename(args.profile)} to {len(out)} songs; wrote {where}",
              file=sys.stderr)
    return ExitCode.OK
