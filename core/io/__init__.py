"""Files in and out, below the analysis: CSV, result records, tags, key notation.

- :mod:`core.io.csvio` -- atomic writes, spreadsheet-safe CSV cells, reading CSVs back.
- :mod:`core.io.tempfiles` -- temporary files named after their owner; leftovers of
  ended writers removed.
- :mod:`core.io.results` -- :class:`~core.io.results.SongResult` and the results columns.
- :mod:`core.io.tags` -- title and artist from tags, else from the file name.
- :mod:`core.io.keynotation` -- :class:`~core.io.keynotation.Key`: key names in every
  common spelling, Camelot codes, pitch classes.
"""
