"""The ``songcal`` command: one parser, one set of exit codes, a table of sub-commands.

- :mod:`core.cli.main` -- the entry point: environment set-up, the sub-command table,
  exit codes; ``songcal gui`` (and ``songcal`` alone) hands over to the window.
- :mod:`core.cli.analyze` -- ``songcal analyze``.
- :mod:`core.cli.calibrate` -- ``songcal calibrate`` and ``songcal apply``.
"""
