"""``songcal gui [PATHS...] [--reference SHEET] [--start] [--export-dir DIR] [--quit-when-done]``
and ``songcal [gui] --demo [--export-dir DIR] [--quit-when-done]``.

The options drive the real window for automation: add paths, load the reference sheet into
the window, start the batch, write the exports into a new folder inside ``DIR`` when it
ends, and quit with the exit code ``songcal analyze --reference`` would give.  The window's module is imported by
name when the command runs, so the rest of the command line never loads Qt.
"""

from __future__ import annotations

import argparse
import importlib

from core.cli.cluster_options import add_cluster_options

__all__ = ["register", "add_options", "run"]

#: The module (and its function) that opens the window.
WINDOW_ENTRY = ("gui.app", "run_gui")


def add_options(p: argparse.ArgumentParser) -> None:
    """Add the window's options to ``p``."""
    p.add_argument("paths", nargs="*", metavar="PATH",
                   help="audio files or folders to add; without --reference, a sheet among "
                        "them (.csv, .tsv, .xlsx, .xlsm, or a .txt named alone or whose "
                        "header reads as a sheet's) is loaded as the reference")
    p.add_argument("--start", action="store_true", help="start the batch once files are found")
    p.add_argument("--export-dir", metavar="DIR",
                   help="when the batch ends, make a new folder in DIR named after the "
                        "moment (songcal-export-YYYYMMDD-HHMMSS) and write results.csv "
                        "(and, with --reference, the calibration files) there")
    p.add_argument("--quit-when-done", action="store_true",
                   help="quit when the batch has ended (and its results are written)")
    p.add_argument("--reference", metavar="SHEET",
                   help="reference sheet (CSV or .xlsx): load it into the window, and with "
                        "--export-dir write the calibration files there when the batch ends")
    p.add_argument("--demo", action="store_true",
                   help="open the bundled demo deck and its reference sheet, analyze the songs, "
                        "fit the calibration and show it (with --export-dir, the results and "
                        "calibration files are written there)")
    p.add_argument("--workers", type=int, help="worker threads (this run only)")
    add_cluster_options(p)
    p.add_argument("--screenshot", metavar="PNG", help=argparse.SUPPRESS)
    p.add_argument("--screenshot-midway", metavar="PNG", help=argparse.SUPPRESS)
    p.add_argument("--screenshot-calibration", metavar="PNG", help=argparse.SUPPRESS)


def register(subparsers) -> None:
    """Register ``gui`` on the ``songcal`` sub-parsers."""
    p = subparsers.add_parser("gui", help="open the window (the default command)",
                              description="Open the SongCal window.")
    add_options(p)
    p.set_defaults(func=run)


def run(args) -> int:
    """Open the window with parsed ``args``; returns the exit code."""
    module, name = WINDOW_ENTRY
    return int(getattr(importlib.import_module(module), name)(args))
