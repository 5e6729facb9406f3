"""Hostile case 393 end to end: a tracked ``.coveragerc`` whose ``omit`` names a variable
(``${COV_OMIT-}``). coverage.py expands it, so a CI job's ``COV_OMIT=*/export.py`` dropped the
uncovered module from the figure and ``coverage.total`` passed. Now the coverage gates are
not evaluated, naming the key and the variable, on every route (serial, ``-n 2``, CI shards +
``pyramid merge``, and the merge's own expansion); the tracked ``allow_options`` lets a team
that sets it on purpose use it."""

from __future__ import annotations

import shutil
from typing import TYPE_CHECKING, Any

import pytest

from tests.git_repo import git
from tests.integration.run.test_shards import LEAN, Project

if TYPE_CHECKING:
    from pathlib import Path

pytest.importorskip("pytest_cov")

PYPROJECT = f"""\
[tool.pytest.ini_options]
addopts = "{LEAN}"
filterwarnings = ["error"]

[tool.pyramid]
{{allow}}
[tool.pyramid.coverage]
total = 76
"""
CORE = """\
def classify(n):
    if n < 0:
        return "neg"
    if n == 0:
        return "zero"
    if n < 10:
        return "small"
    return "large"
"""
EXPORT = """\
def export_csv(rows):
    header = "a,b"
    body = [f"{r[0]},{r[1]}" for r in rows]
    return "\\n".join([header, *body])
"""
TEST = """\
from mypkg.core import classify

def test_classify_{n}():
    assert [classify(n) for n in (-1, 0, 5, 50)] == ["neg", "zero", "small", "large"]
"""
OMIT = {"COV_OMIT": "*/export.py"}


def _project(root: Path, allow: str = "") -> Project:
    root.mkdir()
    (root / "pyproject.toml").write_text(PYPROJECT.format(allow=allow))
    (root / ".gitignore").write_text("*.json\n.coverage\n.coverage.*\n*.coverage\n.pyramid/\n")
    (root / ".coveragerc").write_text("[run]\nomit = ${COV_OMIT-}\n")
    (root / "mypkg").mkdir()
    (root / "mypkg" / "__init__.py").write_text("")
    (root / "mypkg" / "core.py").write_text(CORE)
    (root / "mypkg" / "export.py").write_text(EXPORT)
    (root / "tests" / "unit").mkdir(parents=True)
    for n in (1, 2):
        (root / "tests" / "unit" / f"test_c{n}.py").write_text(TEST.format(n=n))
    git(root, "init", "-q")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "cov")
    return Project(root)


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _project(tmp_path_factory.mktemp("cov") / "proj").root


@pytest.fixture
def project(template: Path, tmp_path: Path) -> Project:
    shutil.copytree(template, tmp_path / "proj")
    return Project(tmp_path / "proj")


def _total(verdict: dict[str, Any]) -> dict[str, Any]:
    return next(g for g in verdict["gates"] if g["id"] == "coverage.total")


def _refused(verdict: dict[str, Any]) -> None:
    gate = _total(verdict)
    assert gate["status"] == "not_evaluated", gate
    assert "[run] omit names COV_OMIT" in gate["message"]
    assert 'allow_options = ["COV_OMIT"]' in gate["message"]
    assert verdict["decision"] != "ready"


def test_without_the_variable_the_tracked_text_decides(project: Project) -> None:
    project.pytest("--cov=mypkg")
    verdict = project.verdict()
    assert _total(verdict)["status"] == "fail"  # export.py is uncovered: below 76 %
    assert verdict["decision"] == "blocked"


@pytest.mark.parametrize("route", ["serial", "n2"])
def test_a_jobs_variable_in_the_configuration_leaves_coverage_unjudged(
    project: Project, route: str,
) -> None:
    project.pytest("--cov=mypkg", *(["-n", "2"] if route == "n2" else []), env=OMIT)
    _refused(project.verdict())


def test_shards_and_merge_leave_coverage_unjudged(
    project: Project, capsys: pytest.CaptureFixture[str],
) -> None:
    partials = project.shards(2, env=OMIT, expect=None)
    project.merge(*partials, capsys=capsys)
    _refused(project.verdict())


def test_the_merges_own_expansion_is_judged(
    project: Project, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The shards measured without it; the merge's coverage reads the file again, in the
    merge's environment."""
    partials = project.shards(2, expect=None)
    monkeypatch.setenv("COV_OMIT", OMIT["COV_OMIT"])
    project.merge(*partials, capsys=capsys)
    _refused(project.verdict())


def test_a_tracked_allow_options_lets_the_team_set_it(tmp_path: Path) -> None:
    project = _project(tmp_path / "allowed", allow='allow_options = ["COV_OMIT"]')
    project.pytest("--cov=mypkg", env=OMIT)
    verdict = project.verdict()
    assert _total(verdict)["status"] == "pass"  # the team's chosen figure: export.py omitted
    assert verdict["decision"] == "ready", verdict["reasons"]
