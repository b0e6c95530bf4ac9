"""``songcal apply results.csv --profile P.json -o calibrated.csv``: add calibrated columns
(values and 90 % intervals, :mod:`core.calibration.applying`) to every song of a results
CSV with a profile written by ``songcal calibrate`` or the window.

Exit codes: 0 applied; 2 bad usage or an unreadable input.
"""

from __future__ import annotations

import os
import sys

from core.cli.calibrate import read_results, say_error
from core.errors import ExitCode, SongCalError

__all__ = ["register", "run", "apply_to_results_file"]


def register(subparsers) -> None:
    """Register ``apply`` on the ``songcal`` sub-parsers."""
    a = subparsers.add_parser(
        "apply", help="apply a calibration profile to a results CSV",
        description="Add calibrated columns (bpm_calibrated, energy_calibrated and their "
        "90 %% intervals, key_calibrated...) to every song of a results CSV using a profile "
        "written by songcal calibrate.  Exit 0: applied; 2: bad input.")
    a.add_argument("results", metavar="RESULTS_CSV", help="results CSV from songcal analyze")
    a.add_argument("--profile", required=True, metavar="JSON", help="calibration profile")
    a.add_argument("-o", "--output", required=True, metavar="CSV", help="CSV to write")
    a.set_defaults(func=run)


def apply_to_results_file(results_csv, profile_path, output, *, cmd: str = "apply",
                          rows=None) -> int:
    """Apply the profile at ``profile_path`` to a results CSV and write ``output``.

    Parameters
    ----------
    results_csv : str
        The results CSV (its settings column is kept in the provenance).
    profile_path : str
        The profile.
    output : str
        The CSV to write, as given.
    cmd : str, optional
        Sub-command named in messages.
    rows : list of dict, optional
        The results rows when already read.

    Returns
    -------
    int
        The exit code: 0 written, 2 when an input cannot be read or the output written.
    """
    from core.calibration.exports import write_calibrated_csv
    from core.calibration.profile import load_profile
    from core.io.provenance import provenance

    try:
        profile = load_profile(profile_path)
    except SongCalError as err:
        say_error(cmd, str(err))
        return ExitCode.USAGE
    if rows is None:
        rows = read_results(cmd, results_csv)
        if rows is None:
            return ExitCode.USAGE
    settings = next((r.get("settings") for r in rows if r.get("settings")), "")
    meta = provenance(settings=settings, profile_file=os.path.basename(profile_path),
                      reference_file=profile.meta.get("reference_file", ""),
                      reference_sha256=profile.meta.get("reference_sha256", ""))
    try:
        n = write_calibrated_csv(output, rows, profile, meta=meta)
    except OSError as err:
        say_error(cmd, f"cannot write {output}: {err.strerror or err}")
        return ExitCode.USAGE
    print(f"applied {os.path.basename(profile_path)} to {n} songs; wrote {output}",
          file=sys.stderr)
    return ExitCode.OK


def run(args) -> int:
    """``songcal apply``; returns the exit code."""
    return apply_to_results_file(args.results, args.profile, args.output)
