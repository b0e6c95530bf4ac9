"""Mutation testing of ``core/``: how many small deliberate bugs does the test suite catch?

Two modes, each run per module group (``calibration``, ``batch``, ``loudness``, ``keys``,
``csv``, ``decoding``, ``loops``, ``analysis``, ``key``, ``tempo``, ``runner``, ``safety``,
``rest``) so that a run stays short on a small machine:

``run GROUP``
    mutmut generates every mutant of the group's modules (an operator flipped, a constant
    changed, a call's argument dropped...) and runs the group's own test files against each
    one.  The score is ``killed / (all - equivalent)``, where the equivalent mutants are the
    ones listed, each with its reason, in ``benchmarks/mutation_equivalent.md``.  Surviving
    mutants are printed with their diffs so that each can be killed by a test or triaged.
``run GROUP --sample N``
    The same over a random sample of ``N`` of the group's mutants (``--seed`` picks it), for
    the groups whose every mutant would take hours here (``calibration``, ``rest``).  The
    score is then an estimate, printed with its 95 % interval (Wilson).
``run GROUP --only PATTERN``
    The same over the mutants whose names match ``PATTERN`` (``*`` for any characters; may
    be given more than once), e.g. the mutants of one function:
    ``--only 'core.analysis.oggpages.x__walk__mutmut_*'``.  Scores those alone.
``handmade [GROUP]``
    Bugs written by hand, of the kinds that users and reviewers have met (a gate at the wrong
    level, a limit that ignores its setting, a relation scored the wrong way round...), put
    in one at a time; prints which ones the group's tests catch (``--only PATTERN``: the bugs
    whose names match).

The code is copied to a scratch folder first (``--workdir``, by default under the system's
temporary folder), so the checkout is never modified.  Mutation testing is not part of the
test suite; run it under ``nice`` on a shared machine::

    python -m benchmarks.mutation run batch            # then loudness, keys, csv...
    python -m benchmarks.mutation run batch --survivors
    python -m benchmarks.mutation run calibration --sample 400 --jobs 2
    python -m benchmarks.mutation handmade             # every group
    python -m benchmarks.mutation handmade loudness
    python -m benchmarks.mutation handmade batch --only '*list*'

It needs the ``bench`` extra (``pip install -e '.[bench,test]'``).
"""

from __future__ import annotations

import argparse
import dataclasses
import fnmatch
import math
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TRIAGE_FILE = ROOT / "benchmarks" / "mutation_equivalent.md"
_COPIED = ("core", "tests", "benchmarks", "resources", "pyproject.toml")


@dataclasses.dataclass(frozen=True)
class Group:
    """Modules mutated together and the test files that must catch their mutants."""

    modules: tuple[str, ...]
    tests: tuple[str, ...]
    #: Test node ids left out of the group's runs (``pytest --deselect``), each for a reason
    #: given where the group is defined.
    deselect: tuple[str, ...] = ()


def _core_modules() -> list[str]:
    return sorted(str(p.relative_to(ROOT)) for p in (ROOT / "core").rglob("*.py")
                  if p.name != "__init__.py")


GROUPS: dict[str, Group] = {
    "calibration": Group(
        modules=("core/calibration/*",),
        tests=tuple(f"tests/core/test_{name}.py" for name in (
            "descriptor_fit", "tempo_fit", "key_fit", "verdict", "learned", "pairing",
            "session", "calibration_io", "reference", "matching", "agreement", "keys",
            "cli", "tempo_range_suggestion", "reference_keys", "reference_summary_rows",
            "reference_exports", "checked_sheet", "fitted_ranges", "inputs", "mixed_in_key",
            "workbook", "calibration_rules_parts", "reference_rules_parts", "calibration_fit_parts",
            "sheet_pairing_parts", "fit_and_export_parts", "sheet_reading_parts", "text_sheets",
            "apply_and_fit_parts", "sheet_cells_parts", "tempo_calibration_parts",
            "tempo_fit_parts", "tempo_agreement_parts", "interval_parts",
            "key_calibration_parts", "applying_parts", "pairing_parts",
            "calibration_fit_whole_parts", "descriptor_fit_parts"))),
    # The batch's rules and tallies, and the session store's records of batches and of the
    # window's lists (whose owner checks decide which window may open or delete a list, and
    # whose counts the store's triggers keep).
    "batch": Group(modules=("core/batch/rules.py", "core/batch/progress.py",
                            "core/batch/store_sessions.py", "core/batch/store_lists.py",
                            "core/batch/store_counts.py"),
                   tests=("tests/core/test_batch.py", "tests/core/test_batch_run.py",
                          "tests/core/test_runner.py", "tests/core/test_store_library.py",
                          "tests/core/test_store_lists.py", "tests/core/test_store_owners.py",
                          "tests/core/test_store_catch_up.py", "tests/core/test_store.py",
                          "tests/core/test_store_counts.py")),
    "loudness": Group(modules=("core/analysis/loudness.py",),
                      tests=("tests/core/test_loudness.py",)),
    "keys": Group(modules=("core/io/keynotation.py",), tests=("tests/core/test_keys.py",)),
    # The writer's refusals (an output that became an input or read-only, a full disk: the
    # data kept beside it) are tested with the hostile paths and the injected faults.
    "csv": Group(modules=("core/io/csvio.py", "core/io/provenance.py", "core/io/tempfiles.py"),
                 tests=("tests/core/test_csvio.py", "tests/core/test_tempfiles.py",
                        "tests/core/test_hostile_paths.py", "tests/core/test_faults.py")),
    # The walks over a file's container before any decoding: an ID3v2 tag's frames, an
    # MP3's chain of frames, an Ogg stream's pages, an MP4 track's edit list (which decides
    # what an M4A decodes to; its tests take 2 s), a Musepack SV8 file's packets (which
    # tell a cut or damaged one, and its length).
    "decoding": Group(modules=("core/io/id3.py", "core/analysis/mp3frames.py",
                               "core/analysis/oggpages.py", "core/analysis/mp4edits.py",
                               "core/analysis/mpcpackets.py"),
                      tests=("tests/core/test_mp3frames.py", "tests/core/test_tags.py",
                             "tests/core/test_decode.py", "tests/core/test_oggpages.py",
                             "tests/core/test_mp4edits.py", "tests/core/test_ape_mpc_amr.py",
                             "tests/core/test_mpcpackets.py")),
    # The tempo of a file up to 20 s read as a loop, and the guess for one with two onsets
    # or more and no tempo of its own: the loop tests on streams of click tracks, and the
    # short files through analyze_file (each test takes under a second).
    "loops": Group(modules=("core/analysis/loops.py",),
                   tests=("tests/core/test_loops.py", "tests/core/test_short_files.py")),
    # One song's analysis (analyze_file) and the rules it applies before a tempo is read:
    # silence, sweeps, steady sounds, the hits on them and a short file played repeated.
    # Against the tests of those rules on generated files (each file under a second).
    "analysis": Group(modules=("core/analysis/analyze.py",),
                      tests=("tests/core/test_analyze.py", "tests/core/test_hits_on_a_held_tone.py",
                             "tests/core/test_few_onsets.py", "tests/core/test_short_files.py",
                             "tests/core/test_analysis_rules.py",
                             "tests/core/test_analyze_stream.py")),
    # The song's and the chunks' key: when a sound has none (silence, a single pitch, too
    # few or too evenly spread pitch classes, too brief), the frames that count as sound and
    # the noise at either end, the close played a step up, and the evidence the learned
    # decision weighs.  Against the key tests on generated songs (about 40 s in all).
    "key": Group(modules=("core/analysis/key.py", "core/analysis/keyevidence.py"),
                 tests=("tests/core/test_key.py", "tests/core/test_key_changes.py",
                        "tests/core/test_key_noise_ends.py",
                        "tests/core/test_key_bass_and_chunks.py",
                        "tests/core/test_key_evidence_parts.py")),
    # The song's and the chunks' tempo: the onsets and the periodicity they are read from,
    # the candidates and the learned choice among them, the abstention, the span where the
    # pulse is, the main section and the chunks' tempi that follow the song's.  Against the
    # tempo tests on generated songs and on onset envelopes (about 35 s in all).
    "tempo": Group(modules=("core/analysis/tempo.py", "core/analysis/periodicity.py",
                            "core/analysis/beatevidence.py"),
                   tests=("tests/core/test_tempo.py", "tests/core/test_periodicity.py",
                          "tests/core/test_pulseless_ends.py", "tests/core/test_few_onsets.py",
                          "tests/core/test_analysis_rules.py",
                          "tests/core/test_independent_synth.py",
                          "tests/core/test_tempo_parts.py")),
    # What keeps an engineer's files safe: the output guard (an output that is an input, a
    # link to one, another output, a folder, read-only, on a full disk, too long a name) and
    # the command line's use of it, and the result cache (a song's stored result found by
    # its content, never another song's; a file that changed while it was read).  Against
    # the hostile-path, command-line, store and CSV tests and the guard's and cache's own
    # (about 40 s in all).
    "safety": Group(modules=("core/io/outputs.py", "core/cli/guard.py", "core/batch/cache.py"),
                    tests=("tests/core/test_hostile_paths.py", "tests/core/test_cli.py",
                           "tests/core/test_store.py", "tests/core/test_csvio.py",
                           "tests/core/test_output_guard.py", "tests/core/test_cache_changes.py",
                           "tests/core/test_protect_user_files.py",
                           "tests/core/test_cli_guard.py")),
    # The plain thread pool of the command line: workers that claim songs and report them,
    # the watchdog's loop (stalls, time-outs, a cancel and its grace, workers that keep
    # crashing, the end of the run).  Against its tests, whose waits are bounded and whose
    # stuck songs stall on a clock the test moves (about 3 s in all).
    "runner": Group(modules=("core/batch/runner.py",),
                    tests=("tests/core/test_runner.py", "tests/core/test_runner_parts.py")),
}
_NAMED = {m for g in GROUPS.values() for m in g.modules}
#: Test files of ``tests/core`` left out of the ``rest`` group, each with its reason.
_REST_LEFT_OUT = {
    # It reads the packaging files (app.spec, packaging/, gui/app.py), which are not copied
    # to the scratch folder; it tests no code of core/.
    "test_packaging.py",
}
GROUPS["rest"] = Group(
    modules=tuple(m for m in _core_modules()
                  if m not in _NAMED and not m.startswith("core/calibration/")),
    tests=tuple(sorted(str(p.relative_to(ROOT)) for p in (ROOT / "tests" / "core").glob("test_*.py")
                       if p.name not in _REST_LEFT_OUT)),
    # Both restart a Dask worker, which a loaded machine can leave waiting past Dask's
    # 120 s reconnect limit: the clean run that mutmut needs then fails at random.
    deselect=("tests/core/test_cluster.py::test_a_stuck_song_times_out_and_the_batch_ends",
              "tests/core/test_cluster.py::test_a_worker_killed_mid_batch_loses_nothing"))


# -- scratch copy ----------------------------------------------------------------------------


def _scratch(workdir: Path, names=_COPIED) -> Path:
    """Copy the code and tests (``names`` under the checkout) to ``workdir`` (kept between
    runs: mutmut resumes there)."""
    workdir.mkdir(parents=True, exist_ok=True)
    for name in names:
        src, dst = ROOT / name, workdir / name
        if src.is_dir():
            shutil.copytree(src, dst, dirs_exist_ok=True,
                            ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        elif src.exists():
            shutil.copy2(src, dst)
    return workdir


_CONFIG_HEADER = "\n[tool.mutmut]\n"


def _mutmut_config(group: Group) -> str:
    def toml_list(items):
        return "[" + ", ".join(f'"{i}"' for i in items) + "]"

    deselect = [a for node in group.deselect for a in ("--deselect", node)]
    return _CONFIG_HEADER + (
        'source_paths = ["core"]\n'
        f"only_mutate = {toml_list(group.modules)}\n"
        f"pytest_add_cli_args_test_selection = {toml_list(group.tests)}\n"
        "pytest_add_cli_args = "
        f"{toml_list(['-n', '0', '-p', 'no:cacheprovider', '-p', 'benchmarks.mutation_order', *deselect])}\n"
        'also_copy = ["benchmarks", "resources"]\n'
        "use_git_change_detection = false\n"
    )


# -- the triage file -------------------------------------------------------------------------


def equivalent_mutants(triage_file: Path | None = None) -> dict[str, str]:
    """Mutant name -> reason, from the triage file's ``- `name`: reason`` lines
    (default :data:`TRIAGE_FILE`)."""
    triage_file = TRIAGE_FILE if triage_file is None else triage_file
    if not triage_file.exists():
        return {}
    out = {}
    for line in triage_file.read_text(encoding="utf-8").splitlines():
        m = re.match(r"\s*[-*]\s+`([^`]+)`\s*[:\u2014-]\s*(.+)", line)
        if m:
            out[m.group(1)] = m.group(2).strip()
    return out


# -- run ------------------------------------------------------------------------------------


def _mutmut_env() -> dict[str, str]:
    """The environment of the mutmut runs: bytecode is cached.  The instrumented copy of a
    module is about fifty times its size (every mutant is a function of its own), and every
    process that imports it without a cached compilation compiles it again: each Dask worker
    or command line the tests start, and every reading of the analyzer build
    (:func:`core.analysis.identity.analyzer_id` compiles the analysis modules; the runs empty
    its memo before each test): 7-17 s on two busy cores, against 0.6-1.1 s from cached
    bytecode."""
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def _mutmut(workdir: Path, *args: str, nice: int) -> subprocess.CompletedProcess:
    exe = Path(sys.executable).with_name("mutmut")
    cmd = (["nice", "-n", str(nice)] if nice else []) + [str(exe), *args]
    return subprocess.run(cmd, cwd=workdir, capture_output=True, text=True, check=False,
                          env=_mutmut_env())


def _failed_setup(proc: subprocess.CompletedProcess) -> bool:
    """True when mutmut could not run the tests on the code without a mutant (its statistics
    run or its clean run failed): no mutant's verdict would mean anything."""
    out = proc.stdout + proc.stderr
    return "failed to collect stats" in out or "Failed to run clean test" in out


def _statuses(scratch: Path) -> dict[str, str]:
    listing = _mutmut(scratch, "results", "--all", "true", nice=0).stdout
    status = {}
    for line in listing.splitlines():
        if ": " in line:
            key, st = line.strip().rsplit(": ", 1)
            status[key] = st
    return status


def wilson_interval(hits: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """95 % Wilson score interval of a proportion ``hits / n``."""
    if n == 0:
        return (0.0, 1.0)
    p = hits / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return (max(0.0, centre - half), min(1.0, centre + half))


def sample_names(names, size: int, seed: int) -> list[str]:
    """``size`` of ``names`` picked at random (the same for the same names and seed)."""
    ordered = sorted(names)
    if size >= len(ordered):
        return ordered
    return sorted(random.Random(seed).sample(ordered, size))


def chosen_names(names, only=(), size: int = 0, seed: int = 1) -> list[str]:
    """The ``names`` that match one of the patterns ``only`` (all of them without one;
    ``*`` stands for any characters), or ``size`` of those picked at random with ``seed``."""
    pool = [k for k in names if not only or any(fnmatch.fnmatchcase(k, p) for p in only)]
    return sample_names(pool, size or len(pool), seed)


_NO_MUTANT = "songcal.no-such-mutant"


def run_group(name: str, *, workdir: Path, jobs: int, nice: int, survivors: bool,
              fresh: bool = False, retest: bool = False, sample: int = 0,
              seed: int = 1, only: tuple[str, ...] = ()) -> dict:
    """Run mutmut over one group; returns the counts and the score.

    ``fresh`` forgets the verdicts of an earlier run in the same scratch folder.  ``retest``
    runs again only the mutants that the earlier run did not kill and keeps the other
    verdicts: sound after tests were added and the code left alone (use ``fresh`` otherwise).
    ``sample`` > 0 tests that many of the group's mutants, picked with ``seed``, and scores
    those alone.  ``only`` (name patterns, ``*`` for any characters) tests the mutants whose
    names match one of them, and scores those alone.
    """
    group = GROUPS[name]
    if fresh:
        shutil.rmtree(workdir / name, ignore_errors=True)
    scratch = _scratch(workdir / name)
    pyproject = scratch / "pyproject.toml"
    text = pyproject.read_text(encoding="utf-8").split(_CONFIG_HEADER)[0]
    pyproject.write_text(text + _mutmut_config(group), encoding="utf-8")
    previous: dict[str, str] = {}
    names: list[str] = []
    chosen: list[str] = []
    # The earlier verdicts are read before anything runs: generating the mutants again (for
    # a sample or a selection) starts mutmut's own record afresh.
    earlier = _statuses(scratch) if retest and (scratch / "mutants").exists() else {}
    retest = bool(earlier)  # nothing to test again: a first run
    if sample or only or retest:
        # Generate every mutant (and the coverage mutmut needs) without testing any: the
        # run stops, as meant, on a name that matches nothing.
        proc = _mutmut(scratch, "run", "--max-children", str(jobs), _NO_MUTANT, nice=nice)
        if _failed_setup(proc):
            sys.stderr.write(proc.stdout[-4000:] + proc.stderr[-4000:])
            raise SystemExit(f"mutmut could not run {name}'s tests without a mutant")
        everything = _statuses(scratch)
        if not everything:
            raise SystemExit(f"mutmut generated no mutants for {name}")
        # A retest after the code changed: mutmut numbered the edited functions' mutants
        # afresh, so the earlier verdicts no longer name them.  Said before any is tested.
        gone = [k for k in earlier if k not in everything]
        if gone:
            raise SystemExit(f"{len(gone)} mutants of the earlier run no longer exist (e.g. "
                             f"{gone[0]}): the code changed since; run with --fresh")
    if sample or only:
        chosen = chosen_names(everything, only, sample, seed)
        if not chosen:
            raise SystemExit(f"no mutant of {name} matches {' '.join(only)}")
        print(f"{name}: testing {len(chosen)} of {len(everything)} mutants"
              + (f" (seed {seed})" if sample else f" (matching {' '.join(only)})"))
    if earlier:
        previous = earlier
        if chosen:
            previous = {k: previous.get(k, "not checked") for k in chosen}
        names = [k for k, st in previous.items() if st not in ("killed", "timeout")]
        if not names:
            retest = False
    elif chosen:
        names = chosen
    if names or not (retest or chosen):
        proc = _mutmut(scratch, "run", "--max-children", str(jobs), *names, nice=nice)
        if proc.returncode != 0:
            sys.stderr.write(proc.stdout[-4000:] + proc.stderr[-4000:])
            raise SystemExit(f"mutmut run failed for {name} (exit {proc.returncode})")
    status = _statuses(scratch)
    if retest:
        status = {k: (status[k] if k in names else st) for k, st in previous.items()}
    elif chosen:
        status = {k: status[k] for k in chosen}
    equivalent = equivalent_mutants()
    counts: dict[str, int] = {}
    for st in status.values():
        counts[st] = counts.get(st, 0) + 1
    killed = counts.get("killed", 0) + counts.get("timeout", 0)
    equiv = [k for k, st in status.items() if k in equivalent and st not in ("killed", "timeout")]
    left = [k for k, st in status.items()
            if st not in ("killed", "timeout") and k not in equivalent]
    denominator = len(status) - len(equiv)
    score = killed / denominator if denominator else float("nan")
    print(f"{name}: {len(status)} mutants, {killed} killed (time-outs included), "
          f"{len(equiv)} equivalent, {len(left)} not killed: "
          f"score {killed}/{denominator} = {100 * score:.1f} %")
    print("  " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))
    if sample:
        low, high = wilson_interval(killed, denominator)
        print(f"  a sample: the group's score is {100 * low:.1f}-{100 * high:.1f} % "
              "(95 % interval)")
    if survivors:
        for key in left:
            print(_mutmut(scratch, "show", key, nice=0).stdout)
    elif left:
        print("  not killed: " + " ".join(left))
    return {"group": name, "mutants": len(status), "killed": killed,
            "equivalent": len(equiv), "score": score}


# -- hand-made bugs --------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Bug:
    """A hand-made bug: ``old`` replaced by ``new`` (exactly once) in ``path``."""

    group: str
    name: str
    path: str
    old: str
    new: str


HANDMADE: tuple[Bug, ...] = (
    # Calibration rules.
    Bug("calibration", "a correction kept on a tie", "core/calibration/verdict.py",
        "return bool(cv_mae < mae_before * (1.0 - min_gain))",
        "return bool(cv_mae <= mae_before * (1.0 - min_gain))"),
    Bug("calibration", "a correction kept at up to 1 % worse", "core/calibration/verdict.py",
        "return bool(cv_mae < mae_before * (1.0 - min_gain))",
        "return bool(cv_mae < mae_before * (1.01 - min_gain))"),
    Bug("calibration", "the minimum gain ignored", "core/calibration/verdict.py",
        "return bool(cv_mae < mae_before * (1.0 - min_gain))",
        "return bool(cv_mae < mae_before)"),
    Bug("calibration", "tempo octave rule kept on a tie", "core/calibration/tempo_fit.py",
        "rule_kept = acc1(pred_rule, ref) * share > cal.acc1_before",
        "rule_kept = acc1(pred_rule, ref) * share >= cal.acc1_before"),
    Bug("calibration", "tempo Acc1 after the rule measured in-sample",
        "core/calibration/tempo_fit.py",
        "cal.acc1_after, cal.acc2_after = acc1(pred_rule, ref) * share, acc2(pred_rule, ref) * share",
        "cal.acc1_after, cal.acc2_after = (acc1(cal.rule.apply(est), ref) * share,"
        " acc2(cal.rule.apply(est), ref) * share)"),
    Bug("calibration", "tempo correction kept though it lowers Acc1",
        "core/calibration/tempo_fit.py",
        "if keeps(cal.mae_nested, base_mae, min_gain) and acc1(pred_nested, ref) >= acc1(pred, ref):",
        "if keeps(cal.mae_nested, base_mae, min_gain):"),
    Bug("calibration", "key correction kept on a tie", "core/calibration/key_fit.py",
        "if cv_w > cal.weighted_before + 1e-12:", "if cv_w >= cal.weighted_before - 1e-12:"),
    Bug("calibration", "key correction kept when its score drops by 0.05",
        "core/calibration/key_fit.py",
        "if cv_w > cal.weighted_before + 1e-12:", "if cv_w > cal.weighted_before - 0.05:"),
    Bug("calibration", "key scores after measured in-sample", "core/calibration/key_fit.py",
        "        cal.accuracy_after, cal.weighted_after = cv_acc, cv_w\n",
        "        cal.accuracy_after, cal.weighted_after = key_scores("
        "[cal.correction.apply(e) for e in est], ref)\n"),
    Bug("calibration", "inverted when the slope is positive", "core/calibration/verdict.py",
        "if slope < 0 and cv >= NO_RELATION_R2:", "if slope > 0 and cv >= NO_RELATION_R2:"),
    Bug("calibration", "no relation when either r2 is small", "core/calibration/verdict.py",
        "if max(raw, cv) < NO_RELATION_R2:", "if min(raw, cv) < NO_RELATION_R2:"),
    Bug("calibration", "the worst method chosen", "core/calibration/descriptor_fit.py",
        "cal.best_method = min(cal.cv_mae, key=lambda m: (cal.cv_mae[m], methods.index(m)))",
        "cal.best_method = max(cal.cv_mae, key=lambda m: (cal.cv_mae[m], methods.index(m)))"),
    Bug("calibration", "tempo tolerance strict", "core/calibration/agreement.py",
        "out = np.abs(np.asarray(est, float) - target) <= tolerance * target",
        "out = np.abs(np.asarray(est, float) - target) < tolerance * target"),
    Bug("calibration", "tempo tolerance 8 %", "core/calibration/agreement.py",
        "TEMPO_TOLERANCE = 0.04", "TEMPO_TOLERANCE = 0.08"),
    Bug("calibration", "Acc2 without triple and third", "core/calibration/agreement.py",
        'ACC2_RELATIONS = ("ok", "double", "half", "triple", "third")',
        'ACC2_RELATIONS = ("ok", "double", "half")'),
    Bug("calibration", "fuzzy matches accepted 5 points below the threshold",
        "core/calibration/matching.py",
        "if not scored or scored[0][0] < threshold:",
        "if not scored or scored[0][0] < threshold - 5:"),
    Bug("calibration", "a shared artist lifts a title by 10 points", "core/calibration/matching.py",
        "_TITLE_LIFT = 3.0", "_TITLE_LIFT = 10.0"),
    Bug("calibration", "title score not checked when the artists agree",
        "core/calibration/matching.py",
        "                elif agree and r_full_title[j]:",
        "                elif agree and not r_full_title[j]:"),
    Bug("calibration", "title score checked when the artists differ too",
        "core/calibration/matching.py",
        "                elif agree and r_full_title[j]:", "                elif r_full_title[j]:"),
    Bug("calibration", "another artist costs 5 points", "core/calibration/matching.py",
        "sc -= 15", "sc -= 5"),
    Bug("calibration", "artists agree at 80", "core/calibration/matching.py",
        "fuzz.ratio(a, b) >= 90", "fuzz.ratio(a, b) >= 80"),
    Bug("calibration", "fits from nine pairs", "core/calibration/verdict.py",
        "MIN_PAIRS = 10", "MIN_PAIRS = 9"),
    Bug("calibration", "weak tempo below Acc1 0.6", "core/calibration/verdict.py",
        "TEMPO_WEAK_ACC1 = 0.5", "TEMPO_WEAK_ACC1 = 0.6"),
    # A reference on a scale of its own (Mixed In Key's energy level 1-10).
    Bug("calibration", "Mixed In Key energy 0 accepted", "core/calibration/mixed_in_key.py",
        'ENERGY_SCALE = (1.0, 10.0,', 'ENERGY_SCALE = (0.0, 10.0,'),
    Bug("calibration", "Mixed In Key energy 11 accepted", "core/calibration/mixed_in_key.py",
        'ENERGY_SCALE = (1.0, 10.0,', 'ENERGY_SCALE = (1.0, 11.0,'),
    Bug("calibration", "Mixed In Key energy range checked strictly",
        "core/calibration/reference.py",
        "            if not lo <= v <= hi:\n", "            if not lo < v < hi:\n"),
    Bug("calibration", "a Mixed In Key export known by its Key result header only",
        "core/calibration/mixed_in_key.py",
        'HEADERS = frozenset({"key result", "collection name"})',
        'HEADERS = frozenset({"key result"})'),
    Bug("calibration", "the scale map counted as a kept correction",
        "core/calibration/descriptor_fit.py",
        'return self.correction.method not in ("none", SCALE_METHOD)',
        'return self.correction.method != "none"'),
    Bug("calibration", "an offset tried from one scale to another",
        "core/calibration/descriptor_fit.py",
        '        methods = tuple(m for m in methods if m != "offset") or ("linear",)\n', ""),
    Bug("calibration", "the values as read not stretched onto the reference's scale",
        "core/calibration/descriptor_fit.py",
        "raw = np.asarray(as_read.apply(x), float)", "raw = np.asarray(x, float)"),
    # The outlying-song rule.
    Bug("calibration", "the outlier floor ignores the value step",
        "core/calibration/descriptor_fit.py",
        "floor = max(float(resolution), 1e-9 * max(1.0, float(np.max(np.abs(r)))))",
        "floor = 1e-9 * max(1.0, float(np.max(np.abs(r))))"),
    Bug("calibration", "the outlier floor ignores the reference's spread",
        "core/calibration/descriptor_fit.py",
        "floor = max(floor, OUTLIER_MIN_SPREAD * float(np.std(np.asarray(reference, float))))",
        "floor = floor"),
    Bug("calibration", "the value step read from the analyzer's values only",
        "core/calibration/descriptor_fit.py",
        "resolution=max(value_step(x), value_step(y)))", "resolution=value_step(x))"),
    Bug("calibration", "learned models judged with their outlying songs again",
        "core/calibration/learned_fit.py",
        "cv_r2=self.r2_judged)", "cv_r2=self.r2_cv)"),
    Bug("calibration", "learned models' outlying songs found without the value step",
        "core/calibration/learned_fit.py",
        "reference=y, resolution=value_step(y))", "reference=y)"),
    # Batch rules.
    Bug("batch", "time-out at a hard-coded 2x budget", "core/batch/rules.py",
        "if elapsed >= self.hard_limit(job):", "if elapsed >= 2.0 * self.budget(job):"),
    Bug("batch", "only an already-stalled song can time out", "core/batch/rules.py",
        "if elapsed >= self.hard_limit(job):",
        "if job.state is SongState.STALLED and elapsed >= self.hard_limit(job):"),
    Bug("batch", "stall check with > instead of >=", "core/batch/rules.py",
        "SongState.RUNNING and elapsed >= self.budget(job)",
        "SongState.RUNNING and elapsed > self.budget(job)"),
    Bug("batch", "time-out check with > instead of >=", "core/batch/rules.py",
        "if elapsed >= self.hard_limit(job):", "if elapsed > self.hard_limit(job):"),
    Bug("batch", "hard limit at the default factor 3", "core/batch/jobs.py",
        "return settings.hard_limit_factor * budget_for", "return 3.0 * budget_for"),
    Bug("batch", "budget factor ignored", "core/batch/jobs.py",
        "settings.budget_factor * max(", "0.25 * max("),
    Bug("batch", "hard limit counted from the stall", "core/batch/rules.py",
        "if elapsed >= self.hard_limit(job):",
        "if now - (job.stalled_at or now) >= self.hard_limit(job):"),
    Bug("batch", "timed-out song not told to stop", "core/batch/rules.py",
        "        job.outcome = state\n        job.cancel_event.set()\n",
        "        job.outcome = state\n        if state is not SongState.TIMED_OUT:\n"
        "            job.cancel_event.set()\n"),
    Bug("batch", "stale attempt accepted", "core/batch/rules.py",
        "if job.attempt != attempt or job.state not in ACTIVE_STATES:",
        "if job.state not in ACTIVE_STATES:"),
    Bug("batch", "stalled song re-stalled on every check", "core/batch/rules.py",
        "elif job.state is SongState.RUNNING and elapsed >= self.budget(job):",
        "elif elapsed >= self.budget(job):"),
    Bug("batch", "budget from a stale duration", "core/batch/rules.py",
        "            if duration_s is not None:\n                job.duration_s = duration_s\n"
        "            return True",
        "            return True"),
    # The window's earlier lists and removals from them.
    Bug("batch", "a list another window holds can be deleted", "core/batch/store_lists.py",
        "                elif owner_in_use(row[0]):\n                    found.append(_HELD)",
        "                elif False:\n                    found.append(_HELD)"),
    Bug("batch", "the window's own list can be deleted", "core/batch/store_lists.py",
        "                elif row[0] == self.owner:\n",
        "                elif False:\n"),
    Bug("batch", "a list another window holds can be opened", "core/batch/store_lists.py",
        "elif row[0] != self.owner and owner_in_use(row[0]):", "elif False:"),
    Bug("batch", "letting go of a list frees another window's", "core/batch/store_lists.py",
        '"UPDATE sessions SET owner=NULL, used=? WHERE id=? AND "\n'
        '                                 "owner=?", (now, self._sid(sid), self.owner))',
        '"UPDATE sessions SET owner=NULL, used=? WHERE id=? AND "\n'
        '                                 "?<>0", (now, self._sid(sid), 1))'),
    # Undo of Clear: the list let go taken back, and the batch's places after a removal.
    Bug("batch", "undo of clear keeps the clear's empty list", "core/batch/store_lists.py",
        "                if gone is not None and gone != own:\n",
        "                if False:\n"),
    Bug("batch", "undo of clear deletes the new list songs were put into",
        "core/batch/store_lists.py",
        "                        if empty else\n", "                        if True else\n"),
    Bug("batch", "undo of clear takes back a list another window holds",
        "core/batch/store_lists.py",
        "if row is not None and (row[0] in (None, self.owner)\n",
        "if row is not None and (True\n"),
    Bug("batch", "undo of clear writes a dead window's list afresh", "core/batch/store_lists.py",
        "\n                                        or not owner_in_use(row[0])):", "):"),
    Bug("batch", "removed songs renumbered from the last one removed", "core/batch/rules.py",
        "self._recount(out[0].id, left=out)", "self._recount(out[-1].id, left=out)"),
    Bug("batch", "songs put back renumbered from the last one put back", "core/batch/rules.py",
        "first = min(jobs[0].id, len(self._jobs))", "first = min(jobs[-1].id, len(self._jobs))"),
    Bug("batch", "songs put back not counted by state", "core/batch/rules.py",
        "        for sign, songs in ((-1, left), (1, back)):",
        "        for sign, songs in ((-1, left),):"),
    Bug("batch", "removed songs keep their results in the store", "core/batch/store_sessions.py",
        'for table in ("session_results", "session_songs"):', 'for table in ("session_songs",):'),
    Bug("batch", "removed songs still counted in the run's tally", "core/batch/rules.py",
        "            for job in out:\n                self._tally.remove(job.key)\n", ""),
    Bug("batch", "songs put back not counted in the run's tally", "core/batch/rules.py",
        "                self._tally.add_if_ended(job, self._run)\n", ""),
    Bug("batch", "the tally kept by place, not by song", "core/batch/progress.py",
        "        self._parts[job.key] = part\n", "        self._parts[job.id] = part\n"),
    # The counts each list keeps in its row, kept by the store's triggers (SQL text that
    # mutmut leaves alone but for the case of its words).
    Bug("counts", "a list's count of results not taking off the result it replaces",
        "core/batch/store_counts.py",
        '            rows=f"SELECT 1 AS sign, {_status(\'NEW.result\')} AS st UNION ALL "\n'
        '                 f"SELECT -1, {_status(\'result\')} FROM session_results "\n'
        '                 "WHERE session = NEW.session AND idx = NEW.idx",',
        '            rows=f"SELECT 1 AS sign, {_status(\'NEW.result\')} AS st",'),
    Bug("counts", "a list's count of songs not taking off the song it replaces",
        "core/batch/store_counts.py",
        "song_count + 1 - EXISTS (SELECT 1", "song_count + 1 + 0 * EXISTS (SELECT 1"),
    Bug("counts", "a list's failed results counted as done", "core/batch/store_counts.py",
        "done_count + SUM(sign * (st IS 'done'))",
        "done_count + SUM(sign * (st IS 'done' OR st IS 'failed' OR st IS 'timed out'))"),
    Bug("counts", "a list's timed-out results not counted as failed", "core/batch/store_counts.py",
        'FAILED_STATUSES = ("failed", "timed out")', 'FAILED_STATUSES = ("failed",)'),
    Bug("counts", "a list's damaged results counted as results", "core/batch/store_counts.py",
        "result_count + SUM(sign * (st IS NOT NULL))", "result_count + SUM(sign)"),
    Bug("counts", "a list's deleted results still counted", "core/batch/store_counts.py",
        '"AFTER DELETE ON session_results BEGIN "',
        '"AFTER DELETE ON session_results WHEN 0 BEGIN "'),
    Bug("counts", "a list's deleted songs still counted", "core/batch/store_counts.py",
        '"AFTER DELETE ON session_songs BEGIN "', '"AFTER DELETE ON session_songs WHEN 0 BEGIN "'),
    Bug("counts", "a list's result changed in place not counted again", "core/batch/store_counts.py",
        '"AFTER UPDATE OF session, result ON session_results BEGIN "',
        '"AFTER UPDATE OF session ON session_results BEGIN "'),
    Bug("counts", "a result moved to another list counted in neither",
        "core/batch/store_counts.py",
        '"AFTER UPDATE OF session, result ON session_results BEGIN "',
        '"AFTER UPDATE OF result ON session_results BEGIN "'),
    Bug("counts", "a song moved to another list counted in neither", "core/batch/store_counts.py",
        '"AFTER UPDATE OF session ON session_songs WHEN OLD.session IS NOT NEW.session BEGIN "',
        '"AFTER UPDATE OF session ON session_songs WHEN 0 BEGIN "'),
    Bug("counts", "a list not counted yet counted on from 0 by the triggers",
        "core/batch/store_counts.py",
        '"result_count + SUM(sign * (st IS NOT NULL)), done_count + SUM(sign * (st IS \'done\')), "\n'
        '    f"failed_count + SUM(',
        '"COALESCE(result_count, 0) + SUM(sign * (st IS NOT NULL)), "\n'
        '    "COALESCE(done_count, 0) + SUM(sign * (st IS \'done\')), "\n'
        '    f"COALESCE(failed_count, 0) + SUM('),
    Bug("counts", "the counts of an older store trusted before they are counted",
        "core/batch/store_lists.py",
        "if kept and None not in r[6:]}", "if kept}"),
    Bug("counts", "the counts trusted when a trigger is missing", "core/batch/store_lists.py",
        "if kept and None not in r[6:]}", "if None not in r[6:]}"),
    # Loudness.
    Bug("loudness", "relative gate at 20 LU", "core/analysis/loudness.py",
        "relative_lu=10.0)", "relative_lu=20.0)"),
    Bug("loudness", "LRA low percentile at 20", "core/analysis/loudness.py",
        "[10.0, 95.0]", "[20.0, 95.0]"),
    Bug("loudness", "relative gate at 8 LU (the 2010 value)", "core/analysis/loudness.py",
        "relative_lu=10.0)", "relative_lu=8.0)"),
    Bug("loudness", "relative gate at 12 LU", "core/analysis/loudness.py",
        "relative_lu=10.0)", "relative_lu=12.0)"),
    Bug("loudness", "absolute gate at -80 LUFS", "core/analysis/loudness.py",
        "_ABS_GATE_LUFS = -70.0", "_ABS_GATE_LUFS = -80.0"),
    Bug("loudness", "absolute gate at -65 LUFS", "core/analysis/loudness.py",
        "_ABS_GATE_LUFS = -70.0", "_ABS_GATE_LUFS = -65.0"),
    Bug("loudness", "LRA high percentile at 90", "core/analysis/loudness.py",
        "[10.0, 95.0]", "[10.0, 90.0]"),
    Bug("loudness", "LRA low percentile at 5", "core/analysis/loudness.py",
        "[10.0, 95.0]", "[5.0, 95.0]"),
    Bug("loudness", "LRA relative gate at 10 LU", "core/analysis/loudness.py",
        "p.mean() * 10.0 ** (-20.0 / 10.0)", "p.mean() * 10.0 ** (-10.0 / 10.0)"),
    Bug("loudness", "LRA without its relative gate", "core/analysis/loudness.py",
        "    p = p[p > p.mean() * 10.0 ** (-20.0 / 10.0)]\n", ""),
    Bug("loudness", "momentary blocks of 300 ms", "core/analysis/loudness.py",
        "return self._window_powers(4)", "return self._window_powers(3)"),
    Bug("loudness", "short-term windows of 2 s", "core/analysis/loudness.py",
        "p = self._window_powers(30)", "p = self._window_powers(20)"),
    Bug("loudness", "surround weight 1.0", "core/analysis/loudness.py",
        "return np.array([1.0, 1.0, 1.0, 0.0, 1.41, 1.41])",
        "return np.array([1.0, 1.0, 1.0, 0.0, 1.0, 1.0])"),
    Bug("loudness", "offset with the wrong sign", "core/analysis/loudness.py",
        "_OFFSET = -0.691", "_OFFSET = 0.691"),
    Bug("loudness", "relative gate from the median block", "core/analysis/loudness.py",
        "    p = p[p > p.mean() * 10.0 ** (-relative_lu / 10.0)]",
        "    p = p[p > np.median(p) * 10.0 ** (-relative_lu / 10.0)]"),
    # Descriptors.
    Bug("descriptors", "valence raised by minor mode", "core/analysis/descriptors.py",
        'if key_mode == "major"', 'if key_mode == "minor"'),
    Bug("descriptors", "dynamic range over the quietest blocks", "core/analysis/descriptors.py",
        "top = np.sort(blocks)[-max(1, int(math.ceil(0.2 * nb))):]",
        "top = np.sort(blocks)[:max(1, int(math.ceil(0.2 * nb)))]"),
    Bug("descriptors", "dynamic range over half the blocks", "core/analysis/descriptors.py",
        "math.ceil(0.2 * nb)", "math.ceil(0.5 * nb)"),
    Bug("descriptors", "energy falls with loudness", "core/analysis/descriptors.py",
        "0.5 * _ramp(loudness_lufs, -30.0, -6.0)", "0.5 * (1 - _ramp(loudness_lufs, -30.0, -6.0))"),
    Bug("descriptors", "energy ignores onset density", "core/analysis/descriptors.py",
        "+ 0.3 * _ramp(onset_rate, 0.5, 6.0)", "+ 0.3 * _ramp(0.0, 0.5, 6.0)"),
    Bug("descriptors", "brighter is more acoustic", "core/analysis/descriptors.py",
        "+ 0.3 * (1.0 - _ramp(brightness, 1000.0, 4000.0))",
        "+ 0.3 * _ramp(brightness, 1000.0, 4000.0)"),
    Bug("descriptors", "slower tempo raises valence", "core/analysis/descriptors.py",
        "0.25 * _ramp(tempo, 60.0, 160.0)", "0.25 * (1 - _ramp(tempo, 60.0, 160.0))"),
    Bug("descriptors", "silence threshold at -50 dBFS", "core/analysis/descriptors.py",
        "SILENCE_DBFS = -60.0", "SILENCE_DBFS = -50.0"),
    Bug("descriptors", "dance range centred at 150 BPM", "core/analysis/descriptors.py",
        "abs(tempo - 112.0)", "abs(tempo - 150.0)"),
    Bug("descriptors", "wider dynamics less acoustic", "core/analysis/descriptors.py",
        "+ 0.15 * _ramp(dyn if dyn is not None else 0.0, 8.0, 20.0)",
        "+ 0.15 * (1 - _ramp(dyn if dyn is not None else 0.0, 8.0, 20.0))"),
    Bug("descriptors", "pulse ignored", "core/analysis/descriptors.py",
        "+ 0.30 * _ramp(pulse, 0.4, 1.6)", "+ 0.30 * _ramp(0.0, 0.4, 1.6)"),
    # Keys.
    Bug("keys", "relative of a minor key a major third up", "core/io/keynotation.py",
        "return Key((self.tonic + 3) % 12, \"major\")", "return Key((self.tonic + 4) % 12, \"major\")"),
    Bug("keys", "only the ascending fifth counts", "core/calibration/agreement.py",
        "% 12 in (5, 7):", "% 12 == 7:"),
    Bug("keys", "relative and parallel weights swapped", "core/calibration/agreement.py",
        '"relative": 0.3, "parallel": 0.2', '"relative": 0.2, "parallel": 0.3'),
    Bug("keys", "relation read the wrong way round", "core/calibration/agreement.py",
        "if estimate == reference.relative():", "if reference == estimate.parallel():"),
    Bug("keys", "fifths distance not folded", "core/calibration/agreement.py",
        "return min(d, 12 - d)", "return d"),
    Bug("keys", "fifth across modes", "core/calibration/agreement.py",
        "    if estimate.mode == reference.mode:\n        if (",
        "    if True:\n        if ("),
    Bug("keys", "Camelot minor wheel shifted", "core/io/keynotation.py",
        "_CAMELOT_MINOR = {8: 1, 3: 2,", "_CAMELOT_MINOR = {3: 1, 8: 2,"),
    # CSV exports.
    Bug("csv", "header cells not neutralized", "core/io/csvio.py",
        "writer.writerow([format_cell(c) for c in header])", "writer.writerow(header)"),
    Bug("csv", "provenance cells written raw", "core/io/csvio.py",
        "meta_cells = {c: format_cell(v) for c, v in meta.items()}",
        "meta_cells = {c: '' if v is None else str(v) for c, v in meta.items()}"),
    Bug("csv", "@ not neutralized", "core/io/csvio.py",
        '_DANGEROUS = ("=", "+", "-", "@", "\\t", "\\r")',
        '_DANGEROUS = ("=", "+", "-", "\\t", "\\r")'),
    Bug("csv", "every apostrophe stripped on reading", "core/io/csvio.py",
        "if s.startswith(\"'\") and len(s) > 1 and s[1] in _DANGEROUS:",
        "if s.startswith(\"'\"):"),
    Bug("csv", "no byte-order mark", "core/io/csvio.py",
        "atomic_write_text(path, buf.getvalue(), bom=True)",
        "atomic_write_text(path, buf.getvalue(), bom=False)"),
    Bug("csv", "floats rounded to 2 decimals", "core/io/csvio.py",
        "if kind is float:  # the common case first\n        return repr(round(value, 6))",
        "if kind is float:  # the common case first\n        return repr(round(value, 2))"),
    Bug("csv", "infinite cells read as numbers", "core/io/csvio.py",
        "return f if math.isfinite(f) else None", "return f"),
    # Session store and command line.
    Bug("store", "the command line never reads the store", "core/cli/analyze.py",
        "force=lambda path: args.fresh", "force=lambda path: True"),
    Bug("store", "the command line bypasses the store", "core/cli/analyze.py",
        "analyze = cached(analyze_file, store, force=lambda path: args.fresh)",
        "analyze = analyze_file"),
    Bug("store", "cached() never reads the store", "core/batch/cache.py",
        "        if not force(path):\n            hit = stored_result(",
        "        if False:\n            hit = stored_result("),
    Bug("store", "--fresh ignored", "core/cli/analyze.py",
        "force=lambda path: args.fresh", "force=lambda path: False"),
    Bug("store", "results of other settings served from the store", "core/batch/store.py",
        "\"SELECT result FROM cache WHERE fingerprint=? AND settings=?\"",
        "\"SELECT result FROM cache WHERE fingerprint=? OR settings=?\""),
    Bug("store", "failed results cached", "core/batch/store.py",
        'if getattr(result, "status", None) != "done":',
        'if getattr(result, "status", None) is None:'),
    # The steady-sound rule (a test tone or hum gets no tempo).
    Bug("steady", "level limit loosened to 2.5 dB", "core/analysis/analyze.py",
        "_STEADY_LEVEL_DB = 1.5", "_STEADY_LEVEL_DB = 2.5"),
    Bug("steady", "level limit tightened to 0.1 dB", "core/analysis/analyze.py",
        "_STEADY_LEVEL_DB = 1.5", "_STEADY_LEVEL_DB = 0.1"),
    Bug("steady", "centroid limit loosened to 1 octave", "core/analysis/analyze.py",
        "_STEADY_CENTROID_OCTAVES = 0.3", "_STEADY_CENTROID_OCTAVES = 1.0"),
    Bug("steady", "level test the wrong way round", "core/analysis/analyze.py",
        "if high - low >= (_STEADY_SHORT_LEVEL_DB if short else _STEADY_LEVEL_DB):",
        "if high - low < (_STEADY_SHORT_LEVEL_DB if short else _STEADY_LEVEL_DB):"),
    Bug("steady", "a part under a second judged within 1.5 dB", "core/analysis/analyze.py",
        "_STEADY_SHORT_LEVEL_DB = 1.0", "_STEADY_SHORT_LEVEL_DB = 1.5"),
    Bug("steady", "a part under a second not judged", "core/analysis/analyze.py",
        "    if stop - start < 2 * width:",
        "    if stop - start < max(2 * width, round(feats.frame_rate)):"),
    Bug("steady", "centroid test the wrong way round", "core/analysis/analyze.py",
        "if high - low >= _STEADY_CENTROID_OCTAVES:", "if high - low < _STEADY_CENTROID_OCTAVES:"),
    Bug("steady", "rise over fall the wrong way round", "core/analysis/analyze.py",
        "if not np.all(ratio[counted] < _STEADY_RISE_OVER_FALL):",
        "if not np.all(ratio[counted] > _STEADY_RISE_OVER_FALL):"),
    Bug("steady", "rise/fall check dropped", "core/analysis/analyze.py",
        "if not np.all(ratio[counted] < _STEADY_RISE_OVER_FALL):", "if False:"),
    Bug("steady", "rise over fall loosened to 3", "core/analysis/analyze.py",
        "_STEADY_RISE_OVER_FALL = 1.3", "_STEADY_RISE_OVER_FALL = 3.0"),
    Bug("steady", "only the strongest onset band counted", "core/analysis/analyze.py",
        "counted = total >= _STEADY_BAND_SHARE * total.max()", "counted = total >= total.max()"),
    Bug("steady", "any band with a sharp rise judged, the others ignored",
        "core/analysis/analyze.py",
        "if not np.all(ratio[counted] < _STEADY_RISE_OVER_FALL):",
        "if not np.any(ratio[counted] < _STEADY_RISE_OVER_FALL):"),
    Bug("steady", "a regular train of hits not looked for", "core/analysis/analyze.py",
        "    return not any(_regular_hits(", "    return True or any(_regular_hits("),
    Bug("steady", "hits over the flicker not asked for", "core/analysis/analyze.py",
        "_HIT_OVER_FLICKER = 3.0", "_HIT_OVER_FLICKER = 0.0"),
    Bug("steady", "the hits' spread over the file not asked for", "core/analysis/analyze.py",
        "_HITS_COVER = 0.75", "_HITS_COVER = 0.0"),
    Bug("steady", "the hits' grid not asked for", "core/analysis/analyze.py",
        "_HITS_ON_GRID = 0.75", "_HITS_ON_GRID = 0.0"),
    Bug("steady", "hits of a syncopated pattern off the grid", "core/analysis/analyze.py",
        "half = 0.5 * float(np.median(gaps))", "half = float(np.median(gaps))"),
    Bug("steady", "two hits a train", "core/analysis/analyze.py",
        "_HITS_MIN = 8", "_HITS_MIN = 2"),
    Bug("steady", "a rise out of a beat's null taken for a hit", "core/analysis/analyze.py",
        "feats.frame_rate, falls=falls[band])", "feats.frame_rate)"),
    Bug("steady", "the fall before a hit read in one frame", "core/analysis/analyze.py",
        "_HIT_FALL_FRAMES = 3", "_HIT_FALL_FRAMES = 1"),
    Bug("steady", "the silence around the sound judged", "core/analysis/analyze.py",
        "start, stop = sounding[0] + _STEADY_EDGE_FRAMES, sounding[-1] + 1 - _STEADY_EDGE_FRAMES",
        "start, stop = 0, len(power)"),
    Bug("steady", "the steady rule never consulted", "core/analysis/analyze.py",
        "steady, repeated = _is_steady(feats), None", "steady, repeated = False, None"),
    Bug("steady", "pitch classes that move not asked for", "core/analysis/analyze.py",
        "    if _pitch_moves(feats, start, stop):\n        return False\n", ""),
    Bug("steady", "pitch classes read above the pitch range", "core/analysis/analyze.py",
        "np.median(centroid) >= _PITCH_CENTROID_HZ", "False"),
    Bug("steady", "a flicker of the pitch shares taken for a move", "core/analysis/analyze.py",
        "return bool(np.median(apart) >= limit and", "return bool(True and"),
    Bug("steady", "a floor swelling under held pitch classes taken for a move",
        "core/analysis/analyze.py",
        "and np.percentile(r, 10) <= _PITCH_CORRELATION)", ")"),
    Bug("steady", "pauses read as pitch classes", "core/analysis/analyze.py",
        "energy >= _PITCH_QUIET * np.median(energy)", "energy > 0"),
    Bug("steady", "a part under four seconds not read in shorter windows",
        "core/analysis/analyze.py",
        "width = min(full, chroma.shape[1] // _PITCH_MIN_WINDOWS)", "width = full"),
    Bug("steady", "shorter windows held to a second's share limit", "core/analysis/analyze.py",
        "_PITCH_SHARE * float(np.sqrt(full / width))", "_PITCH_SHARE"),
    Bug("steady", "windows of a single pitch frame", "core/analysis/analyze.py",
        "_PITCH_MIN_FRAMES = 2", "_PITCH_MIN_FRAMES = 1"),
    # Which frames of the pitch grid sound, and how long a key needs them.
    Bug("keyframes", "a pulsed tone's song read for a key", "core/analysis/key.py",
        "    if plain is not None and _single_pitch(chroma):\n        plain, reason = None, NO_KEY_FEW\n",
        ""),
    Bug("keyframes", "a pulsed tone's chunks read for a key", "core/analysis/key.py",
        "        if single and profile.sum() > 0 and _single_pitch(chroma[:, a:b]):",
        "        if False:"),
    Bug("keyframes", "a chunk read as a single pitch in a song that is none", "core/analysis/key.py",
        "    single = _single_pitch(chroma)\n", "    single = True\n"),
    Bug("keyframes", "a single pitch without its neighbours", "core/analysis/key.py",
        "near = energy[[(top - 1) % 12, top, (top + 1) % 12]].sum()", "near = energy[top]"),
    Bug("keyframes", "a single pitch at half the energy", "core/analysis/key.py",
        "_SINGLE_PITCH_SHARE = 0.7", "_SINGLE_PITCH_SHARE = 0.5"),
    Bug("keyframes", "a noise floor 60 dB down counted as sound", "core/analysis/keyevidence.py",
        "_SOUNDING_SHARE = 1e-2", "_SOUNDING_SHARE = 1e-3"),
    Bug("keyframes", "frames at exactly a hundredth of the loudest counted",
        "core/analysis/keyevidence.py",
        "energy > _SOUNDING_SHARE * top)", "energy >= _SOUNDING_SHARE * top)"),
    Bug("keyframes", "noise before and after the music counted as sound",
        "core/analysis/keyevidence.py",
        "    sounding[:first] = False\n    sounding[stop:] = False\n", ""),
    Bug("keyframes", "the final chord read in the noise after it", "core/analysis/keyevidence.py",
        "    idx = np.flatnonzero(_without_noise_ends(chroma, energy > 1e-2 * loud))\n",
        "    idx = np.flatnonzero(energy > 1e-2 * loud)\n"),
    Bug("keyframes", "noise only from an evenness of 0.95", "core/analysis/keyevidence.py",
        "_NOISE_EVENNESS = 0.9", "_NOISE_EVENNESS = 0.95"),
    Bug("keyframes", "each frame's evenness judged alone", "core/analysis/keyevidence.py",
        "_NOISE_SMOOTH = 21", "_NOISE_SMOOTH = 1"),
    # The stretches without a pulse at a song's ends.
    Bug("pulseends", "the ends never left out", "core/analysis/tempo.py",
        "    lo, hi = _pulse_bounds_of(features, bands, fr)\n    spans = None\n",
        "    lo, hi = 0, n\n    spans = None\n"),
    Bug("pulseends", "one window with a pulse begins it", "core/analysis/tempo.py",
        "_END_RUN = 3", "_END_RUN = 1"),
    Bug("pulseends", "the window the pulse comes in kept", "core/analysis/tempo.py",
        "    lo = start if first == start else first + w\n", "    lo = first\n"),
    Bug("pulseends", "the last window with a pulse left out", "core/analysis/tempo.py",
        "    hi = stop if last == stop - w else last\n", "    hi = last\n"),
    Bug("pulseends", "no cap on the limit", "core/analysis/tempo.py",
        "    limit = min(_END_MAX_PERIODICITY, _END_OF_SONG * song)",
        "    limit = _END_OF_SONG * song"),
    Bug("pulseends", "the song's pulse the median window's", "core/analysis/tempo.py",
        "    song = float(np.percentile(side_by_side, 75))",
        "    song = float(np.median(side_by_side))"),
    Bug("pulseends", "short files cut too", "core/analysis/tempo.py",
        "_END_MIN_S = 16.0", "_END_MIN_S = 0.0"),
    Bug("pulseends", "chunks read with the applause in them", "core/analysis/tempo.py",
        "        a, b = max(a, lo), min(b, hi)\n        if b <= a:\n",
        "        if b <= a:\n"),
    Bug("pulseends", "a section search over the whole song", "core/analysis/tempo.py",
        "        chunks = [(max(a, lo), min(b, hi)) for a, b in features.chunk_frames()\n"
        "                  if min(b, hi) > max(a, lo)]\n",
        "        chunks = features.chunk_frames()\n"),
    Bug("keyframes", "no least sounding time for a song's key", "core/analysis/key.py",
        "    if plain is not None and _brief(chroma, frame_rate):",
        "    if False:"),
    Bug("keyframes", "no least sounding time for a chunk's key", "core/analysis/key.py",
        "        if profile.sum() > 0 and _brief(chroma[:, a:b], features.pitch_frame_rate):",
        "        if False:"),
    Bug("keyframes", "a tenth of a second enough for a key", "core/analysis/key.py",
        "_MIN_SOUNDING_S = 0.5", "_MIN_SOUNDING_S = 0.1"),
    # A close played a step above the rest of the song.
    Bug("keyclose", "the close never turned back", "core/analysis/keyevidence.py",
        "    shift, cut = closing_transposition(c, frame_rate, path=path)\n",
        "    shift, cut = 0, c.shape[1]\n"),
    Bug("keyclose", "steps down looked for too", "core/analysis/keyevidence.py",
        "_CLOSE_SHIFTS = (1, 2)", "_CLOSE_SHIFTS = (1, 2, 10, 11)"),
    Bug("keyclose", "the last chord not asked", "core/analysis/keyevidence.py",
        "    if chords[shift] <= chords[0]:", "    if False:"),
    Bug("keyclose", "a close of one window", "core/analysis/keyevidence.py",
        "_CLOSE_WINDOWS = 3", "_CLOSE_WINDOWS = 1"),
    Bug("keyclose", "a close longer than the body", "core/analysis/keyevidence.py",
        "    if len(path) - first < _CLOSE_WINDOWS or first < len(path) / 2:",
        "    if len(path) - first < _CLOSE_WINDOWS:"),
    Bug("keyclose", "no margin over the close as it is", "core/analysis/keyevidence.py",
        "_CLOSE_MARGIN = 0.15", "_CLOSE_MARGIN = -1.0"),
    Bug("keyclose", "the bass left as it is", "core/analysis/keyevidence.py",
        "        b = np.concatenate([b[:, :cut], np.roll(b[:, cut:], -shift, axis=0)], axis=1)\n",
        ""),
    Bug("keyclose", "the close's start counted from the sound, not the file",
        "core/analysis/keyevidence.py",
        "        close = (shift, span.start + cut)", "        close = (shift, cut)"),
    Bug("keyclose", "the note names the body's key", "core/analysis/analyze.py",
        "        close = Key((key.key.tonic + shift) % 12, key.key.mode)",
        "        close = key.key"),
    Bug("cutend", "the click of a cut at the end left in the bands", "core/analysis/periodicity.py",
        "    if not cut.any():\n        return bands\n", "    if True:\n        return bands\n"),
    Bug("cutend", "the end bounded by the band's strongest frame, not its median",
        "core/analysis/periodicity.py",
        "floor = np.median(body[cut], axis=1, keepdims=True)",
        "floor = body[cut].max(axis=1, keepdims=True)"),
    Bug("cutend", "only the last frame judged", "core/analysis/periodicity.py",
        "END_FRAMES = 4", "END_FRAMES = 1"),
    Bug("cutend", "the tempo reads the raw bands", "core/analysis/tempo.py",
        "return tame_end(features.onset_bands), float(features.frame_rate)",
        "return np.atleast_2d(features.onset_bands), float(features.frame_rate)"),
)

BUG_TESTS = {
    "calibration": GROUPS["calibration"].tests,
    "batch": GROUPS["batch"].tests,
    "counts": ("tests/core/test_store_counts.py", "tests/core/test_store_lists.py"),
    "loudness": GROUPS["loudness"].tests,
    "descriptors": ("tests/core/test_descriptors.py",),
    "keys": GROUPS["keys"].tests + ("tests/core/test_agreement.py",),
    "csv": GROUPS["csv"].tests + ("tests/core/test_cli.py",),
    "store": ("tests/core/test_store.py", "tests/core/test_cli.py"),
    "steady": ("tests/core/test_analyze.py", "tests/core/test_hits_on_a_held_tone.py"),
    "cutend": ("tests/core/test_periodicity.py", "tests/core/test_tempo.py"),
    "keyframes": ("tests/core/test_key.py", "tests/core/test_analyze.py",
                  "tests/core/test_key_noise_ends.py"),
    "pulseends": ("tests/core/test_pulseless_ends.py", "tests/core/test_tempo.py"),
    "keyclose": ("tests/core/test_key_changes.py", "tests/core/test_key.py"),
}


def run_handmade(groups, *, workdir: Path, nice: int, only=()) -> tuple[int, int]:
    """Put each hand-made bug in a scratch copy and run its group's tests; (caught, tried).
    ``only``: name patterns (``*`` for any characters) of the bugs to try (all without)."""
    scratch = _scratch(workdir / "handmade")
    caught = tried = 0
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    for bug in HANDMADE:
        if groups and bug.group not in groups:
            continue
        if only and not any(fnmatch.fnmatchcase(bug.name, p) for p in only):
            continue
        target = scratch / bug.path
        original = (ROOT / bug.path).read_text(encoding="utf-8")
        if original.count(bug.old) != 1:
            print(f"  SKIPPED  [{bug.group}] {bug.name}: the code it changes is gone")
            continue
        target.write_text(original.replace(bug.old, bug.new), encoding="utf-8")
        try:
            cmd = (["nice", "-n", str(nice)] if nice else []) + [
                sys.executable, "-m", "pytest", "-x", "-q", "-n", "0", "-p", "no:cacheprovider",
                *BUG_TESTS[bug.group]]
            proc = subprocess.run(cmd, cwd=scratch, capture_output=True, text=True, env=env,
                                  check=False)
        finally:
            target.write_text(original, encoding="utf-8")
        tried += 1
        hit = proc.returncode != 0
        caught += hit
        why = ""
        if hit:
            failed = re.findall(r"^FAILED (\S+)", proc.stdout, re.M)
            why = failed[0] if failed else proc.stdout.strip().splitlines()[-1]
        print(f"  {'caught' if hit else 'MISSED'}   [{bug.group}] {bug.name}  {why}")
    print(f"hand-made bugs caught: {caught} of {tried}")
    return caught, tried


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m benchmarks.mutation", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--workdir", type=Path,
                   default=Path(tempfile.gettempdir()) / "songcal-mutation",
                   help="scratch folder (default: %(default)s)")
    p.add_argument("--nice", type=int, default=10, help="niceness of the runs (default 10)")
    sub = p.add_subparsers(dest="mode", required=True)
    r = sub.add_parser("run", help="mutmut over a module group")
    r.add_argument("groups", nargs="+", choices=sorted(GROUPS))
    r.add_argument("--jobs", type=int, default=1, help="mutants tested at once (default 1)")
    r.add_argument("--survivors", action="store_true", help="print each survivor's diff")
    r.add_argument("--fresh", action="store_true", help="forget the previous run's verdicts")
    r.add_argument("--retest", action="store_true",
                   help="after adding tests: run again only the mutants not killed last time")
    r.add_argument("--sample", type=int, default=0, metavar="N",
                   help="test a random sample of N mutants (default: all of them)")
    r.add_argument("--seed", type=int, default=1, help="which sample (default 1)")
    r.add_argument("--only", action="append", default=[], metavar="PATTERN",
                   help="test only the mutants whose names match PATTERN (* for any "
                        "characters; may be repeated)")
    h = sub.add_parser("handmade", help="hand-made bugs, one at a time")
    h.add_argument("groups", nargs="*", metavar="GROUP",
                   help="any of: " + ", ".join(sorted(BUG_TESTS)) + " (default: all)")
    h.add_argument("--only", action="append", default=[], metavar="PATTERN",
                   help="try only the bugs whose names match PATTERN (* for any "
                        "characters; may be repeated)")
    args = p.parse_args(argv)
    if args.mode == "handmade" and set(args.groups) - set(BUG_TESTS):
        p.error(f"unknown group(s): {sorted(set(args.groups) - set(BUG_TESTS))}")
    if args.mode == "run":
        for g in args.groups:
            run_group(g, workdir=args.workdir, jobs=args.jobs, nice=args.nice,
                      survivors=args.survivors, fresh=args.fresh, retest=args.retest,
                      sample=args.sample, seed=args.seed, only=tuple(args.only))
    else:
        caught, tried = run_handmade(args.groups, workdir=args.workdir, nice=args.nice,
                                     only=tuple(args.only))
        return 0 if caught == tried else 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
