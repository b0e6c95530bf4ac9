"""Mutation testing of ``core/calibration``: how many small deliberate bugs do the
calibration tests catch?

mutmut generates every mutant of the calibration modules (an operator flipped, a constant
changed, an argument dropped...) and runs the calibration tests (:data:`TESTS`) against
each, in a scratch copy of the code (``--workdir``; the checkout is never modified).  The
score is ``killed / (all - equivalent)``, the equivalent mutants being those listed, each
with its reason, in ``benchmarks/mutation_equivalent_calibration.md`` (lines
``- `mutant name`: reason``).  Surviving mutants not listed there are printed with their
diffs, to be killed by a test or triaged.

Not part of the test suite; run it under ``nice`` on a shared machine (it takes hours)::

    nice -n 10 python benchmarks/mutation_calibration.py [--jobs 2] [--workdir DIR]
    python benchmarks/mutation_calibration.py --report   # the score of the last run

It needs mutmut 3 (``pip install 'mutmut>=3.3'``).
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
TRIAGE_FILE = ROOT / "benchmarks" / "mutation_equivalent_calibration.md"
MODULES = ("core/calibration/*",)
TESTS = (
    "tests/core/test_descriptor_fit.py",
    "tests/core/test_tempo_fit.py",
    "tests/core/test_key_fit.py",
    "tests/core/test_verdict.py",
    "tests/core/test_learned.py",
    "tests/core/test_pairing.py",
    "tests/core/test_session.py",
    "tests/core/test_calibration_io.py",
    "tests/core/test_reference.py",
    "tests/core/test_matching.py",
    "tests/core/test_agreement.py",
)
_COPIED = ("core", "tests", "pyproject.toml")


def _scratch(workdir: Path) -> Path:
    """Copy the code and the tests to ``workdir`` (kept between runs: mutmut resumes)."""
    from benchmarks.mutation import _scratch as copy_checkout

    copy_checkout(workdir, _COPIED)
    pyproject = workdir / "pyproject.toml"
    text = pyproject.read_text(encoding="utf-8").split("\n[tool.mutmut]\n")[0]

    def toml_list(items):
        return "[" + ", ".join(f'"{i}"' for i in items) + "]"

    pyproject.write_text(
        text + "\n[tool.mutmut]\n"
        'source_paths = ["core"]\n'
        f"only_mutate = {toml_list(MODULES)}\n"
        f"pytest_add_cli_args_test_selection = {toml_list(TESTS)}\n"
        'pytest_add_cli_args = ["-n", "0", "-p", "no:cacheprovider", "-x", "-q"]\n'
        "use_git_change_detection = false\n", encoding="utf-8")
    return workdir


def equivalent_mutants() -> dict[str, str]:
    """Mutant name -> reason, from this run's triage file."""
    from benchmarks.mutation import equivalent_mutants as read_triage

    return read_triage(TRIAGE_FILE)


def _mutmut(workdir: Path, *args: str) -> subprocess.CompletedProcess:
    exe = Path(sys.executable).with_name("mutmut")
    return subprocess.run([str(exe), *args], cwd=workdir, capture_output=True, text=True,
                          check=False)


def statuses(workdir: Path) -> dict[str, str]:
    """Mutant name -> status (``killed``, ``survived``, ``timeout``...) of the last run."""
    out = {}
    for line in _mutmut(workdir, "results", "--all", "true").stdout.splitlines():
        m = re.match(r"\s*(\S+):\s*(\S+)", line)
        if m and "." in m.group(1):
            out[m.group(1)] = m.group(2)
    return out


def report(workdir: Path, *, diffs: bool) -> float:
    """Print the counts, the score and the untriaged survivors; return the score."""
    status = statuses(workdir)
    equivalent = equivalent_mutants()
    counts: dict[str, int] = {}
    for s in status.values():
        counts[s] = counts.get(s, 0) + 1
    caught = counts.get("killed", 0) + counts.get("timeout", 0)
    listed = sum(1 for name, s in status.items() if name in equivalent and s != "killed")
    score = caught / max(len(status) - listed, 1)
    print("mutants: " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items()))
          + f"; listed as equivalent {listed}")
    print(f"score = caught / (all - equivalent) = {caught} / {len(status) - listed} = "
          f"{100 * score:.1f} %")
    open_ = [n for n, s in status.items() if s not in ("killed", "timeout")
             and n not in equivalent]
    print(f"survivors not triaged: {len(open_)}")
    for name in open_:
        print(f"  {name} ({status[name]})")
        if diffs:
            print(_mutmut(workdir, "show", name).stdout)
    return score


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--workdir", type=Path,
                   default=Path(tempfile.gettempdir()) / "songcal-mutation-calibration")
    p.add_argument("--jobs", type=int, default=2, help="mutants tested side by side")
    p.add_argument("--report", action="store_true", help="only report the last run")
    p.add_argument("--diffs", action="store_true", help="show the untriaged survivors")
    args = p.parse_args(argv)
    if not args.report:
        scratch = _scratch(args.workdir)
        run = _mutmut(scratch, "run", "--max-children", str(args.jobs))
        if run.returncode not in (0, 1):
            print(run.stdout[-3000:], run.stderr[-3000:], file=sys.stderr)
            return run.returncode
    report(args.workdir, diffs=args.diffs)
    return 0


if __name__ == "__main__":
    sys.exit(main())
