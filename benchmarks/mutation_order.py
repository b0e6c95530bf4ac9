"""A pytest plugin for mutation runs: fresh memos, and the fastest tests first.

mutmut runs the clean tests in its own process and then forks one child per mutant, so a
child starts with every memo (``functools.cache``, ``lru_cache``) the clean run filled: a
value the tests read there comes back from the memo without running the mutated code at
all.  Within one run, a value an earlier test read makes a later test skip the code as
well, and mutmut, which records which tests run which function, then never runs that later
test against the function's mutants.  Each test therefore starts with the memos of the
``core`` modules emptied.

mutmut hands pytest the tests that cover a mutant in no particular order and stops at the
first failure (``-x``); running the quickest tests first makes a killed mutant cost seconds
instead of the whole file.  Durations come from mutmut's own statistics file, in the folder
the tests run from.  Used by :mod:`benchmarks.mutation` only.
"""

from __future__ import annotations

import json
import os
import sys

_STATS = "mutmut-stats.json"


def clear_core_memos() -> int:
    """Empty the memo of every memoized function at the top of an imported ``core`` module;
    returns how many were emptied."""
    cleared = 0
    for name, module in list(sys.modules.items()):
        if module is None or not (name == "core" or name.startswith("core.")):
            continue
        for value in list(vars(module).values()):
            if callable(getattr(value, "cache_clear", None)) and hasattr(value, "cache_info"):
                value.cache_clear()
                cleared += 1
    return cleared


def pytest_runtest_setup(item):
    clear_core_memos()


def pytest_collection_modifyitems(session, config, items):
    if not os.path.exists(_STATS):
        return
    try:
        with open(_STATS, encoding="utf-8") as f:
            durations = json.load(f).get("duration_by_test", {})
    except (OSError, ValueError):
        return
    items.sort(key=lambda item: durations.get(item.nodeid, float("inf")))
