"""The pytest plugin of the mutation runs (``benchmarks/mutation_order.py``)."""

from benchmarks.mutation_order import clear_core_memos
from core.io import keynotation


def test_a_mutation_run_starts_without_the_memos_the_clean_run_filled():
    # mutmut forks each mutant's test run from the process that ran the clean tests: a key
    # spelling read there would come back from the memo without the mutated code running.
    assert keynotation.parse_key("F#m") == keynotation.Key(6, "minor")
    assert keynotation._read_key_cached.cache_info().currsize > 0
    assert clear_core_memos() >= 1
    assert keynotation._read_key_cached.cache_info().currsize == 0
    assert keynotation.parse_key("F#m") == keynotation.Key(6, "minor")
