"""A pytest plugin for mutation runs: run the fastest tests first.

mutmut hands pytest the tests that cover a mutant in no particular order and stops at the
first failure (``-x``); running the quickest tests first makes a killed mutant cost seconds
instead of the whole file.  Durations come from mutmut's own statistics file, in the folder
the tests run from.  Used by :mod:`benchmarks.mutation` only.
"""

from __future__ import annotations

import json
import os

_STATS = "mutmut-stats.json"


def pytest_collection_modifyitems(session, config, items):
    if not os.path.exists(_STATS):
        return
    try:
        with open(_STATS, encoding="utf-8") as f:
            durations = json.load(f).get("duration_by_test", {})
    except (OSError, ValueError):
        return
    items.sort(key=lambda item: durations.get(item.nodeid, float("inf")))
