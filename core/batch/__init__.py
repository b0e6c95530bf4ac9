"""A batch of songs: the rules every engine follows, a plain-thread engine, the store.

- :mod:`core.batch.rules` -- :class:`~core.batch.rules.Batch`: song states, budgets, stall
  and time-out rules, attempt-tagged reports; the window, the command line and the
  cluster engine all drive this one object.
- :mod:`core.batch.runner` -- :class:`~core.batch.runner.AnalyzeFn` (the shape of the
  analysis every engine runs), :func:`~core.batch.runner.run_job`, and the command line's
  engine: plain threads, one song each, stuck workers abandoned so the batch always ends.
- :mod:`core.batch.store` -- the session store (SQLite): finished results, the cache of
  unchanged files, resumable sessions; :mod:`core.batch.store_counts` keeps each list's
  counts in its row for File > Open Earlier List.
- :mod:`core.batch.file_rates` -- a DSD file's own sample rate for a result an earlier
  build stored with the rate it is read at.
- :mod:`core.batch.scan` -- folders and files to the list of audio paths.
"""
