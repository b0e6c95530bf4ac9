"""The ``songcal`` entry point: the command line or the window.

``songcal analyze|calibrate|apply ...`` runs :func:`core.cli.main` without importing Qt;
``songcal`` alone or ``songcal gui [PATHS...]`` opens the window.  Thread and cache
environment variables are set here, before numpy or Qt is imported, so each worker uses a
single numeric thread and numba can cache its compiled code.
"""

from __future__ import annotations

import os
import sys

__all__ = ["main", "prepare_environment", "CLI_COMMANDS"]

#: Sub-commands handled by the command line (``core.cli``).
CLI_COMMANDS = frozenset({"analyze", "calibrate", "apply"})


def _user_cache_dir() -> str:
    if sys.platform == "win32":
        base = os.environ.get("LOCALAPPDATA") or os.path.expanduser("~")
        return os.path.join(base, "SongCal", "Cache")
    if sys.platform == "darwin":
        return os.path.expanduser("~/Library/Caches/SongCal")
    return os.path.join(os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"),
                        "songcal")


def prepare_environment() -> None:
    """One numeric thread per worker, and a writable numba cache (only where unset)."""
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(var, "1")
    if "NUMBA_CACHE_DIR" not in os.environ:
        folder = os.path.join(_user_cache_dir(), "numba")
        try:
            os.makedirs(folder, exist_ok=True)
        except OSError:
            return
        os.environ["NUMBA_CACHE_DIR"] = folder


def main(argv=None) -> int:
    """Run ``songcal``; returns the exit code.

    Parameters
    ----------
    argv : list of str, optional
        Arguments without the program name (default: ``sys.argv[1:]``).
    """
    prepare_environment()
    argv = list(sys.argv[1:] if argv is None else argv)
    first = argv[0] if argv else None
    if first in CLI_COMMANDS or first in ("-h", "--help", "--version"):
        from core.cli import main as cli_main

        return int(cli_main(argv))
    if first == "gui":
        argv = argv[1:]
    from gui.app import run_gui

    return int(run_gui(argv))


if __name__ == "__main__":
    sys.exit(main())
