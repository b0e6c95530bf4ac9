"""The analyzer's build id: what it covers, what leaves it alone, that it is stable."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from core.analysis.identity import ANALYSIS_MODULES, analyzer_id, code_digest

ROOT = Path(__file__).resolve().parents[2]


def _module_file(name: str) -> Path:
    path = ROOT.joinpath(*name.split("."))
    return path / "__init__.py" if path.is_dir() else path.with_suffix(".py")


def _core_imports(name: str) -> set[str]:
    """``core`` modules a module imports, anywhere in it (also inside functions)."""
    tree = ast.parse(_module_file(name).read_text())
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("core"):
            for alias in node.names:
                sub = f"{node.module}.{alias.name}"
                found.add(sub if _module_file(sub).exists() else node.module)
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("core."))
    return found


def test_every_module_of_the_analysis_is_in_the_id():
    on_disk = {f"core.analysis.{p.stem}" for p in (ROOT / "core" / "analysis").glob("*.py")
               if p.stem != "__init__"}
    assert on_disk <= set(ANALYSIS_MODULES)
    # ...and every core module they import, but the settings (their fingerprint holds the
    # values that change a result), the package markers and what writes a results file.
    imported = set().union(*(_core_imports(m) for m in ANALYSIS_MODULES))
    leave_out = {"core", "core.settings", "core.io", "core.io.csvio", "core.io.provenance"}
    missing = imported - set(ANALYSIS_MODULES) - leave_out
    assert not missing, f"add to ANALYSIS_MODULES: {sorted(missing)}"


def test_the_id_is_twelve_hex_digits_and_the_same_in_another_process():
    ident = analyzer_id()
    assert len(ident) == 12 and int(ident, 16) >= 0
    env = dict(os.environ, PYTHONHASHSEED="12345")  # frozensets of names in another order
    other = subprocess.run(
        [sys.executable, "-c", "from core.analysis.identity import analyzer_id; "
                               "print(analyzer_id())"],
        cwd=ROOT, env=env, capture_output=True, text=True, check=True).stdout.strip()
    assert other == ident


def _digest(source: str, filename: str = "m.py") -> str:
    return code_digest(compile(textwrap.dedent(source), filename, "exec"))


BASE = """
def decide(x, floor=88.0):
    if x in {"a", "b", "c"}:
        return x * 2
    return [v / 3 for v in (x, floor)]
"""


def test_comments_line_numbers_and_the_file_name_leave_the_digest_alone():
    moved = "\n\n# a comment above\n" + BASE.replace("return x * 2", "return x * 2  # twice")
    assert _digest(moved, "/elsewhere/m.py") == _digest(BASE)


@pytest.mark.parametrize("change", [
    ("floor=88.0", "floor=89.0"),  # a constant
    ("x * 2", "x * 3"),  # a constant in a nested expression
    ("v / 3", "v // 3"),  # an operator
    ('"c"}', '"d"}'),  # a member of a set
    ("for v in", "for w in (0,) for v in"),  # code in a nested comprehension
])
def test_a_change_to_what_the_code_does_changes_the_digest(change):
    old, new = change
    assert old in BASE
    assert _digest(BASE.replace(old, new)) != _digest(BASE)


def test_the_id_reads_the_model_the_tempo_decision_reads():
    import core.analysis.identity as identity
    from core.analysis.tempo import TREES_PATH

    assert identity._TREES_PATH == TREES_PATH and os.path.exists(TREES_PATH)
