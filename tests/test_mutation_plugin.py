"""The pytest plugin of the mutation runs (``benchmarks/mutation_order.py``)."""

from benchmarks import mutation_order
from core.io import keynotation


def test_each_test_of_a_mutation_run_starts_without_memos():
    # mutmut forks each mutant's test run from the process that ran the clean tests, and
    # tells which tests run a function from the calls each test makes: a key spelling read
    # before would come back from the memo without the (mutated) parser running.
    assert keynotation.parse_key("F#m") == keynotation.Key(6, "minor")
    assert keynotation._read_key_cached.cache_info().currsize > 0
    mutation_order.pytest_runtest_setup(None)
    assert keynotation._read_key_cached.cache_info().currsize == 0
    assert mutation_order.clear_core_memos() >= 1
    assert keynotation.parse_key("F#m") == keynotation.Key(6, "minor")
