"""Calibration: a reference sheet, pairs of songs and rows, fitted corrections, exports.

- :mod:`core.calibration.reference` -- read a reference sheet (streaming-metrics, API-style
  or truth sheet): columns, scales and key spellings detected.
- :mod:`core.calibration.workbook` -- an Excel workbook's worksheets as the rows of text
  their CSV would hold; other spreadsheet files named.
- :mod:`core.calibration.xlsx_book` -- a workbook opened with openpyxl, its worksheets read
  row by row without being sized first.
- :mod:`core.calibration.mixed_in_key` -- whether a sheet is a Mixed In Key export (by its
  headers or by its shape), whose energy is a level 1-10.
- :mod:`core.calibration.matching` -- pair songs with reference rows by normalized title
  and artist; manual matches.
- :mod:`core.calibration.agreement` -- the rules of agreement: the 4 % tempo tolerance and
  the tempo relation names, Acc1/Acc2, key relations, the MIREX score, fifths distance.
- :mod:`core.calibration.descriptor_fit` -- cross-validation, and the correction of one
  numeric descriptor (offset, least squares, Theil-Sen, Huber).
- :mod:`core.calibration.tempo_fit` -- the tempo octave rule and its guarded linear fit.
- :mod:`core.calibration.key_fit` -- the key correction and its confusion map.
- :mod:`core.calibration.fit` -- every descriptor at once: :class:`~core.calibration.fit.Calibration`.
- :mod:`core.calibration.profile` -- a calibration profile (JSON) and applying it.
- :mod:`core.calibration.summary` -- what is shown: sheet, match, key errors and per
  descriptor n, r², MAE, Acc1/Acc2 before and after.
- :mod:`core.calibration.exports` -- the export file names and the paired, calibration and
  mismatches CSVs.
- :mod:`core.calibration.session` -- :class:`~core.calibration.session.CalibrationSession`:
  results + sheet -> pairs, manual overrides, fit, summary, apply, export; used by the
  command line and the window.
"""
