"""Principle: a path that existed before the run is never left out of the digest as a run
output (issue 19 section 2; hostile round 2, case 107). Only tool caches no test reads are
left out by name (``__pycache__``, ``.pytest_cache``, ``.coverage*``, ``.pyramid``); an
untracked data file under Playwright's ``test-results/`` or named like a shard's partial is
part of the tree the verdict names (so the verdict is dirty and ``pyramid check`` refuses
it), while real partials of shards sharing one directory are still left out one by one.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import pytest

from pytest_pyramid.cli import main as pyramid

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from tests.conftest import ReadVerdict

READS_DATA = """
import json
from pathlib import Path

HERE = Path(__file__).parent

def test_a():
    assert json.loads((HERE / "test-results" / "expected.json").read_text())["ok"]

def test_b():
    assert json.loads((HERE.parent / "data" / "pyramid-partial-1-of-2.json").read_text())["ok"]
"""
DATA = ("tests/integration/test-results/expected.json", "tests/data/pyramid-partial-1-of-2.json")


@pytest.mark.parametrize("workers", [0, 2], ids=["serial", "n2"])
def test_untracked_data_under_artifact_names_is_part_of_the_tree(
    pytester: pytest.Pytester, project: Callable[..., Path], read_verdict: ReadVerdict,
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], workers: int,
) -> None:
    root = project({"tests/integration/test_data.py": READS_DATA},
                   later={name: '{"ok": true}\n' for name in DATA})
    pytester.runpytest(*(["-n", str(workers)] if workers else [])).assert_outcomes(passed=3)
    verdict = read_verdict()
    assert verdict["dirty"] is True
    assert not set(DATA) & set(verdict["tree"]["excluded"])
    monkeypatch.chdir(root)
    capsys.readouterr()
    assert pyramid(["check", "pyramid-verdict.json"]) == 3
    said = capsys.readouterr().err
    assert all(name in said for name in DATA), said


def test_shards_sharing_a_directory_leave_each_others_partials_out(
    pytester: pytest.Pytester, project: Callable[..., Path], read_verdict: ReadVerdict,
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:
    """No ``.gitignore`` entry for partials: the second shard finds the first one's partial
    (a real one: its content says so) and names the same tree."""
    root = project({"tests/unit/test_v.py": "def test_v(): pass\n"})
    monkeypatch.setenv("PYRAMID_RUN_ID", "artifacts-1")
    for index in (1, 2):
        pytester.runpytest(f"--pyramid-shard={index}/2")
    trees = {json.loads((root / f"pyramid-partial-{i}-of-2.json").read_text())["tree"]["digest"]
             for i in (1, 2)}
    assert len(trees) == 1
    monkeypatch.chdir(root)
    assert pyramid(["merge", "."]) == 0, capsys.readouterr()
    verdict = read_verdict()
    assert verdict["decision"] == "ready", verdict["reasons"]
    assert verdict["dirty"] is False
