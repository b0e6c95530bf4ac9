"""The layout rules: core/ never imports Qt or the GUI; the code passes ruff."""

import ast
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FORBIDDEN = ("PySide6", "pyqtgraph", "shiboken6", "gui")


def _imports(path: Path):
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.lineno, node.module


def test_core_never_imports_qt_or_gui():
    bad = []
    for path in sorted((ROOT / "core").rglob("*.py")):
        for line, name in _imports(path):
            if name.split(".")[0] in FORBIDDEN:
                bad.append(f"{path.relative_to(ROOT)}:{line} imports {name}")
    assert bad == []


def test_import_linter_contract_holds():
    exe = shutil.which("lint-imports", path=os.path.dirname(sys.executable)) or shutil.which(
        "lint-imports")
    if exe is None:
        pytest.skip("import-linter is not installed")
    run = subprocess.run([exe], cwd=ROOT, capture_output=True, text=True,
                         env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert run.returncode == 0, run.stdout + run.stderr


def test_ruff_is_clean():
    exe = shutil.which("ruff", path=os.path.dirname(sys.executable)) or shutil.which("ruff")
    if exe is None:
        pytest.skip("ruff is not installed")
    run = subprocess.run([exe, "check", "."], cwd=ROOT, capture_output=True, text=True)
    assert run.returncode == 0, run.stdout + run.stderr


def _sender_calls(path: Path):
    """Lines of ``path`` that call ``<anything>.sender()``."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    for node in ast.walk(tree):
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                and node.func.attr == "sender" and not node.args):
            yield node.lineno


def test_gui_slots_are_told_what_they_need_instead_of_asking_for_the_sender():
    # QObject.sender() is None when a slot is called in any other way than by a signal
    # (directly, through a partial, a queued call from elsewhere), and it hides what the
    # slot depends on: the connection carries it instead.
    bad = [f"{path.relative_to(ROOT)}:{line}"
           for path in sorted((ROOT / "gui").rglob("*.py")) for line in _sender_calls(path)]
    assert bad == []
