"""The pre-commit hooks the project offers (``.pre-commit-hooks.yaml``) and uses itself
(``.pre-commit-config.yaml``): they parse, and each offered hook's entry runs as pre-commit
would run it, in a project of its own."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

import pytest
import yaml
from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def load(name: str) -> Any:
    return yaml.safe_load((ROOT / name).read_text("utf-8"))


def hooks() -> dict[str, dict[str, Any]]:
    return {hook["id"]: hook for hook in load(".pre-commit-hooks.yaml")}


def run_entry(hook: dict[str, Any], cwd: Path) -> subprocess.CompletedProcess[str]:
    """What pre-commit does for a hook with ``pass_filenames: false``: the entry, split as a
    shell would, run in the repository with this environment's tools first on PATH."""
    assert hook.get("pass_filenames") is False
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
    env.pop("PYTEST_XDIST_WORKER", None)
    env.pop("PYTEST_ADDOPTS", None)
    return subprocess.run(
        shlex.split(hook["entry"]), cwd=cwd, env=env, capture_output=True, text=True,
        timeout=300, check=False,
    )


def test_the_offered_hooks_parse_and_say_how_they_run() -> None:
    offered = hooks()
    assert set(offered) == {"pyramid-config", "pyramid-fast"}
    for hook in offered.values():
        assert {"id", "name", "entry", "language"} <= set(hook)
    assert offered["pyramid-fast"]["entry"] == "pytest --pyramid-tier=fast"
    assert offered["pyramid-fast"]["language"] == "system"  # the project's own environment
    assert offered["pyramid-config"]["entry"] == "pyramid config check"
    assert offered["pyramid-config"]["language"] == "python"  # installs this package


@pytest.mark.parametrize(
    ("path", "runs"),
    [("pyproject.toml", True), ("pyramid.toml", True), ("sub/pyproject.toml", True),
     ("other.toml", False), ("mypyramid.toml", False), ("pyproject.toml.bak", False)],
)
def test_the_config_hook_runs_when_a_configuration_file_changes(path: str, runs: bool) -> None:
    assert (re.search(hooks()["pyramid-config"]["files"], path) is not None) == runs


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "pyproject.toml").write_text(
        '[tool.pytest.ini_options]\naddopts = "-p no:cacheprovider -p no:schemathesis '
        '-p no:locust -p no:pact -p no:randomly -p no:playwright '
        '-p no:anyio -p no:platformdirs"\n'
        "[tool.pyramid]\n"
    )
    for tier in ("unit", "e2e"):
        (tmp_path / "tests" / tier).mkdir(parents=True)
        (tmp_path / "tests" / tier / f"test_{tier}.py").write_text("def test_ok(): pass\n")
    return tmp_path


def test_pyramid_config_entry(project: Path) -> None:
    hook = hooks()["pyramid-config"]
    assert run_entry(hook, project).returncode == 0
    with (project / "pyproject.toml").open("a") as handle:
        handle.write('[tool.pyramid.tiers.unit]\nbudget = "soon"\n')
    result = run_entry(hook, project)
    assert result.returncode == 3
    assert "tiers.unit.budget = 'soon'" in result.stderr


def test_pyramid_fast_entry(project: Path) -> None:
    hook = hooks()["pyramid-fast"]
    result = run_entry(hook, project)
    assert result.returncode == 0, result.stdout
    assert "1 passed" in result.stdout  # the unit tier only: e2e is not even imported
    (project / "tests" / "unit" / "test_unit.py").write_text("def test_bad(): assert False\n")
    result = run_entry(hook, project)
    assert result.returncode == 1  # a failing test stops the commit


def test_the_projects_own_hooks_are_ruff_and_mypy_from_the_dev_extra() -> None:
    config = load(".pre-commit-config.yaml")
    own = {hook["id"]: hook for repo in config["repos"] for hook in repo["hooks"]}
    assert set(own) == {"ruff", "mypy"}
    project = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["project"]
    dev = {Requirement(line).name for line in project["optional-dependencies"]["dev"]}
    tools = [shlex.split(hook["entry"])[0] for hook in own.values()]
    for tool in tools:
        assert tool in dev, f"{tool} is not in the dev extra"
    if not all(shutil.which(tool, path=str(BIN)) for tool in tools):
        # the test extra alone (tox -e min-versions, py3xx) has no linters
        pytest.skip("ruff and mypy are not installed: the dev extra installs them")
    result = subprocess.run(
        [str(BIN / "ruff"), *shlex.split(own["ruff"]["entry"])[1:], "pytest_pyramid"],
        cwd=ROOT, capture_output=True, text=True, timeout=300, check=False,
    )
    assert result.returncode == 0, result.stdout


@pytest.mark.parametrize(
    ("command", "name"),
    [("validate-manifest", ".pre-commit-hooks.yaml"),
     ("validate-config", ".pre-commit-config.yaml")],
)
def test_pre_commit_itself_accepts_the_files(command: str, name: str) -> None:
    # the test extra installs pre-commit: run it from this interpreter, whatever PATH holds
    result = subprocess.run([sys.executable, "-m", "pre_commit", command, str(ROOT / name)],
                            capture_output=True,
                            text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
