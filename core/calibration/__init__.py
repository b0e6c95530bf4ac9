"""Calibration: a reference sheet, pairs of songs and rows, fitted corrections, exports.

- :mod:`core.calibration.reference` -- read a reference sheet (streaming-metrics, API-style
  or truth sheet): columns, scales and key spellings detected.
- :mod:`core.calibration.matching` -- pair songs with reference rows by normalized title
  and artist; manual matches.
- :mod:`core.calibration.agreement` -- the rules of agreement: tempo tolerance and tempo
  relations, Acc1/Acc2, key relations and the MIREX score.
- :mod:`core.calibration.fit` -- per-descriptor corrections, the tempo octave rule and the
  key correction, each kept only where cross-validation says it helps.
- :mod:`core.calibration.profile` -- a calibration profile (JSON) and applying it.
- :mod:`core.calibration.session` -- :class:`CalibrationSession`: results + sheet -> pairs,
  overrides, fit, summary, apply, export; used by the command line and the window.
- :mod:`core.calibration.exports` -- the paired, calibration and mismatches CSVs.
"""
