"""``songcal apply results.csv --profile P.json -o calibrated.csv``: add ``*_calibrated``
columns to a results CSV with a profile written by ``songcal calibrate``.

Exit codes: 0 applied; 2 bad usage or an unreadable input.
"""

from __future__ import annotations

import os
import sys

from core.cli.calibrate import read_results, say_error
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
    a.add_argument("-o", "--output", required=True, metavar="CSV", help="CSV to write")
    a.set_defaults(func=run)


def run(args) -> int:
    """``songcal apply``; returns the exit code."""
    from core.calibration.exports import typed_row
    from core.calibration.profile import apply_profile, calibrated_columns, load_profile
    from core.io.csvio import read_csv_rows, write_csv
    from core.io.provenance import PROVENANCE_COLUMNS, provenance

    try:
        profile = load_profile(args.profile)
    except SongCalError as err:
        say_error("apply", str(err))
        return ExitCode.USAGE
    if read_results("apply", args.results) is None:
        return ExitCode.USAGE
    columns, rows = read_csv_rows(args.results)
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
        write_csv(args.output, body + calibrated_columns(profile), out, meta=meta)
    except OSError as err:
        say_error("apply", f"cannot write {args.output}: {err.strerror or err}")
        return ExitCode.USAGE
    print(f"applied {os.path.basename(args.profile)} to {len(out)} songs; wrote {args.output}",
          file=sys.stderr)
    return ExitCode.OK
