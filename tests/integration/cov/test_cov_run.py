"""A run under ``coverage run -m pytest`` (how click, attrs and pluggy measure): the coverage
gates are refused with the exact reason, never judged on data of unknown extent, and the
user's own measurement is left as it was (no per-tier contexts switched in it)."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from typing import TYPE_CHECKING

import pytest

from tests.conftest import LEAN_ADDOPTS

if TYPE_CHECKING:
    from pathlib import Path

PROJECT = {
    "pyproject.toml": f"""
        [tool.pytest.ini_options]
        addopts = "{LEAN_ADDOPTS}"
        [tool.coverage.run]
        source = ["shop"]
        [tool.pyramid]
        source = ["shop"]
        [tool.pyramid.tiers.unit]
        paths = ["tests"]
        coverage = 10
        [tool.pyramid.coverage]
        total = 10
    """,
    "shop/__init__.py": "def add(a, b):\n    return a + b\n",
    "tests/test_add.py": "from shop import add\ndef test_add():\n    assert add(1, 2) == 3\n",
}


def project(root: Path) -> Path:
    for name, text in PROJECT.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
    return root


def test_a_run_under_coverage_run_refuses_the_coverage_gates_with_the_reason(
    tmp_path: Path,
) -> None:
    pytest.importorskip("coverage")
    root = project(tmp_path)
    result = subprocess.run(
        [sys.executable, "-m", "coverage", "run", "-m", "pytest"], cwd=root,
        capture_output=True, text=True, timeout=600, check=False,
    )
    assert "1 passed" in result.stdout, result.stdout + result.stderr
    verdict = json.loads((root / "pyramid-verdict.json").read_text())
    gates = {g["id"]: g for g in verdict["gates"] if g["id"].startswith("coverage.")}
    assert set(gates) == {"coverage.unit", "coverage.total"}
    for gate in gates.values():
        assert gate["status"] == "not_evaluated"
    assert verdict["decision"] != "ready"
    assert any("measured by `coverage run`" in reason for reason in verdict["reasons"]), (
        verdict["reasons"]
    )
    # the user's own data is whole, with no context of ours in it
    data = subprocess.run(
        [sys.executable, "-m", "coverage", "json", "--show-contexts", "-o", "-"], cwd=root,
        capture_output=True, text=True, timeout=600, check=True,
    )
    report = json.loads(data.stdout)
    assert report["totals"]["percent_covered"] == 100.0
    contexts = {
        context
        for file in report["files"].values()
        for names in file.get("contexts", {}).values()
        for context in names
    }
    assert contexts <= {""}, contexts
