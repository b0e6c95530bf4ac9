"""The ``songcal`` entry point: one parser, one set of exit codes, a table of sub-commands.

``songcal analyze|calibrate|apply ...`` runs without importing Qt; ``songcal`` alone,
``songcal PATH...`` or ``songcal gui ...`` opens the window.  Thread and cache environment
variables are set here, before numpy or Qt is imported, so each worker uses a single
numeric thread and numba can cache its compiled code.

Each sub-command lives in its own module, named in :data:`SUBCOMMANDS`, with a
``register(subparsers)`` function that adds its parser and sets ``func``.  The window's
module (``gui.app``) is imported only when ``songcal gui`` runs, by name (the command line
sits below the window and never imports it statically).
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import logging
import os
import sys

from core import __version__
from core.errors import ExitCode

__all__ = ["main", "build_parser", "prepare_environment", "Parser", "SUBCOMMANDS",
           "ExitCode"]

#: Sub-command -> module whose ``register(subparsers)`` adds it, in help order.
SUBCOMMANDS = {
    "analyze": "core.cli.analyze",
    "calibrate": "core.cli.calibrate",
    "apply": "core.cli.apply",
    "gui": "core.cli.gui",
    "doctor": "core.cli.doctor",
}


class Parser(argparse.ArgumentParser):
    """An argument parser that exits with :attr:`ExitCode.USAGE` and says why plainly."""

    def error(self, message):
        self.print_usage(sys.stderr)
        self.exit(ExitCode.USAGE, f"{self.prog}: error: {message}\n")


def prepare_environment() -> None:
    """One numeric thread per worker, and a writable numba cache (only where unset)."""
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(var, "1")
    if "NUMBA_CACHE_DIR" not in os.environ:
        from core.paths import cache_dir

        try:
            os.environ["NUMBA_CACHE_DIR"] = cache_dir("numba")
        except OSError:
            return


def build_parser() -> Parser:
    """The ``songcal`` argument parser with every sub-command of :data:`SUBCOMMANDS`."""
    parser = Parser(prog="songcal", description="Calibrate a music analyzer against a "
                    "reference sheet.  Without a command, the window opens.",
                    epilog="Exit codes: 0 every song done (and paired); 1 some songs failed, "
                    "timed out, were cancelled or stayed unpaired; 2 bad usage or an "
                    "unreadable input; 3 an output or the session store could not be "
                    "written.")
    parser.add_argument("--version", action="version", version=f"songcal {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
    for module in SUBCOMMANDS.values():
        importlib.import_module(module).register(sub)
    return parser


class Terminated(KeyboardInterrupt):
    """SIGTERM or SIGHUP before a batch took the signals over: the command ends as after
    Ctrl-C, saying so (the default action ended the process at once, with no word)."""


def _terminate(signum, _frame):
    raise Terminated(signum)


@contextlib.contextmanager
def _stop_signals_end_the_command():
    """SIGTERM and SIGHUP raise :class:`Terminated` in the main thread while in effect (a
    batch takes them over for its own run); the handlers before are restored after."""
    import signal

    previous = {}
    for name in ("SIGTERM", "SIGHUP"):
        signum = getattr(signal, name, None)
        if signum is None:
            continue
        try:
            previous[signum] = signal.signal(signum, _terminate)
        except (ValueError, OSError):  # not the main thread
            pass
    try:
        yield
    finally:
        for signum, handler in previous.items():
            with contextlib.suppress(ValueError, OSError, TypeError):
                signal.signal(signum, handler)


def main(argv=None) -> int:
    """Run ``songcal``; returns the exit code.

    Parameters
    ----------
    argv : list of str, optional
        Arguments without the program name (default: ``sys.argv[1:]``).
    """
    argv = list(sys.argv[1:] if argv is None else argv)
    first = argv[0] if argv else None
    if first not in SUBCOMMANDS and first not in ("-h", "--help", "--version"):
        argv = ["gui", *argv]  # ``songcal`` alone, or with paths and window options
    command = f"songcal {argv[0]}" if argv[0] in SUBCOMMANDS else "songcal"
    # the window handles its signals itself; a command's batch takes them over for its run
    signals = (contextlib.nullcontext() if argv[0] == "gui"
               else _stop_signals_end_the_command())
    with signals:
        try:
            prepare_environment()
            if argv[0] != "gui":
                logging.basicConfig(level=logging.WARNING,
                                    format="%(levelname)s %(name)s: %(message)s")
            args = build_parser().parse_args(argv)
            try:
                return int(args.func(args))
            finally:
                from core.io.outputs import forget_inputs

                forget_inputs()  # the inputs kept by the output guard were this command's
        except Terminated:
            _say_stopped(command, "terminated")
            return ExitCode.FAILED
        except KeyboardInterrupt:  # Ctrl-C before a batch took the signals over (start-up,
            _say_stopped(command, "interrupted")  # the scan, calibrate and apply)
            return ExitCode.FAILED
        except Exception as err:  # no check foresaw it: one line, the traceback in the log
            from core.cli.guard import say_unexpected

            say_unexpected(command, err)
            return ExitCode.INTERNAL


def _say_stopped(command: str, how: str) -> None:
    with contextlib.suppress(OSError, ValueError, AttributeError):
        print(f"{command}: {how}", file=sys.stderr)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
