"""The pytest plugin of the mutation runs (``benchmarks/mutation_order.py``)."""

import pytest

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


def test_a_mutation_run_stops_when_the_tests_fail_without_a_mutant():
    # A sampled run first has mutmut run the tests on the code without a mutant (to learn
    # which tests run which function); when that fails, every verdict would be wrong, and
    # mutmut's exit code cannot tell it from the deliberate stop that ends that step.
    import importlib.util
    import subprocess
    from pathlib import Path

    import pytest

    from benchmarks import mutation

    spec = importlib.util.find_spec("mutmut")
    if spec is None:
        pytest.skip("mutmut is not installed (the bench extra)")
    said = (Path(spec.origin).parent / "__main__.py").read_text(encoding="utf-8")

    def run(out):
        return subprocess.CompletedProcess([], 1, stdout=out, stderr="")

    for message in ("failed to collect stats. runner returned 1", "Failed to run clean test"):
        assert message.split(".")[0] in said  # what mutmut says
        assert mutation._failed_setup(run(f"...\n{message}\n"))
    assert not mutation._failed_setup(run("AssertionError: Filtered for specific mutants, "
                                          "but nothing matches"))


def test_a_run_can_be_narrowed_to_the_mutants_of_one_function():
    from benchmarks import mutation

    names = [f"core.a.x__walk__mutmut_{i}" for i in (1, 2, 10)] + ["core.a.x__walker__mutmut_1",
                                                                  "core.b.x__walk__mutmut_1"]
    assert mutation.chosen_names(names, ("core.a.x__walk__mutmut_*",)) == sorted(names[:3])
    assert mutation.chosen_names(names, ("*.x__walk__*", "*walker*")) == sorted(names)
    assert mutation.chosen_names(names, ("core.c.*",)) == []
    assert mutation.chosen_names(names) == sorted(names)
    picked = mutation.chosen_names(names, ("core.a.*",), 2, seed=3)
    assert len(picked) == 2 and set(picked) <= set(names[:4])
    assert picked == mutation.chosen_names(names, ("core.a.*",), 2, seed=3)


def _fake_mutmut(monkeypatch, tmp_path, group: str, record: dict, on_run) -> list:
    """A scratch folder for ``group`` and a stand-in for mutmut over ``record`` (mutant name
    -> verdict): each ``mutmut run`` is noted in the list returned and handed to ``on_run``
    (the names it was given); every call lists the record as mutmut does."""
    import subprocess

    from benchmarks import mutation

    (tmp_path / group / "mutants").mkdir(parents=True)
    (tmp_path / group / "pyproject.toml").write_text("[project]\n", encoding="utf-8")
    runs = []

    def mutmut(workdir, *args, nice):
        if args[0] == "run":
            runs.append(args[3:])
            on_run(args[3:])
        listing = "".join(f"    {k}: {v}\n" for k, v in record.items())
        return subprocess.CompletedProcess([], 0, stdout=listing, stderr="")

    monkeypatch.setattr(mutation, "_mutmut", mutmut)
    monkeypatch.setattr(mutation, "_scratch", lambda path: path)
    monkeypatch.setattr(mutation, "equivalent_mutants", lambda: set())
    return runs


def test_a_retest_of_a_selection_runs_only_its_survivors(tmp_path, monkeypatch):
    """Generating the mutants of a selection again starts mutmut's record afresh: a retest
    reads the earlier verdicts first, runs the survivors alone and keeps the kills."""
    from benchmarks import mutation

    record = {"core.a.x_f__mutmut_1": "killed", "core.a.x_f__mutmut_2": "survived",
              "core.a.x_f__mutmut_3": "killed"}

    def on_run(names):
        if names == (mutation._NO_MUTANT,):
            record.update(dict.fromkeys(record, "not checked"))  # a record afresh
        else:
            record.update(dict.fromkeys(names, "killed"))

    runs = _fake_mutmut(monkeypatch, tmp_path, "analysis", record, on_run)
    out = mutation.run_group("analysis", workdir=tmp_path, jobs=1, nice=0, survivors=False,
                             retest=True, only=("core.a.x_f__mutmut_*",))
    assert runs == [(mutation._NO_MUTANT,), ("core.a.x_f__mutmut_2",)]
    assert (out["mutants"], out["killed"]) == (3, 3)


def test_a_retest_after_the_code_changed_says_to_start_afresh(tmp_path, monkeypatch):
    """A survivor of the earlier run that the code no longer has (its function was edited,
    and mutmut numbered its mutants afresh) stops the retest with what to do, before any
    survivor is tested."""
    from benchmarks import mutation

    record = {"core.a.x_f__mutmut_1": "killed", "core.a.x_f__mutmut_9": "survived"}
    # the edited function has eight mutants now
    runs = _fake_mutmut(monkeypatch, tmp_path, "key", record,
                        lambda names: record.pop("core.a.x_f__mutmut_9", None))
    with pytest.raises(SystemExit, match="x_f__mutmut_9.*run with --fresh"):
        mutation.run_group("key", workdir=tmp_path, jobs=1, nice=0, survivors=False,
                           retest=True)
    assert runs == [(mutation._NO_MUTANT,)]


def test_a_retest_with_the_code_unchanged_tests_the_survivors_alone(tmp_path, monkeypatch):
    from benchmarks import mutation

    record = {"core.a.x_f__mutmut_1": "killed", "core.a.x_f__mutmut_2": "survived",
              "core.a.x_f__mutmut_3": "no tests"}

    def on_run(names):
        if names == (mutation._NO_MUTANT,):
            record.update(dict.fromkeys(record, "not checked"))
        else:
            record["core.a.x_f__mutmut_2"] = "killed"

    runs = _fake_mutmut(monkeypatch, tmp_path, "key", record, on_run)
    out = mutation.run_group("key", workdir=tmp_path, jobs=1, nice=0, survivors=False,
                             retest=True)
    assert runs == [(mutation._NO_MUTANT,), ("core.a.x_f__mutmut_2", "core.a.x_f__mutmut_3")]
    assert (out["mutants"], out["killed"]) == (3, 2)


def test_every_hand_made_bug_still_finds_the_code_it_changes():
    """A hand-made bug whose code moved or changed is skipped by the run ("the code it
    changes is gone"), so a deliberate bug the suite should catch would no longer be tried:
    each one's text is in its file exactly once."""
    from benchmarks.mutation import HANDMADE, ROOT

    gone = [(b.group, b.name, b.path) for b in HANDMADE
            if (ROOT / b.path).read_text(encoding="utf-8").count(b.old) != 1]
    assert gone == []
