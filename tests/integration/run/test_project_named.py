"""Principle: a verdict speaks for one project (hostile cases 126 and 130). A monorepo's
projects share commits and trees, so the verdict records its project (its configuration's
folder relative to the repository's top level) and the one trust function every consumer
calls (``verdict/trust.py``: check, deploy, approve, verify's target read) compares it: a
verdict of another project, or one without the field, is refused with one line. Shards of
different projects never merge, and a merge judges only its own project's shards.

The repository holds ``a/`` (passes) and ``b/`` (fails), each with its own ``[tool.pyramid]``;
runs are subprocesses in the project's folder (serial: an xdist controller writes the
verdict and the partial through the same writer, and ``project`` comes from its settings, not
from any worker). A verdict without the field, and the pure rules, are rows of
``test_project_logic.py``.
"""

from __future__ import annotations

import json
import subprocess
import sys
from typing import TYPE_CHECKING, Any

import pytest

from pytest_pyramid.cli import main as pyramid
from tests.conftest import LEAN_ADDOPTS, strict_json
from tests.integration.run.test_closed_world import commit, git
from tests.support.top_level import top_level_environ, top_level_here

if TYPE_CHECKING:
    from pathlib import Path

PROJECT = (f'[tool.pytest.ini_options]\naddopts = "{LEAN_ADDOPTS}"\ntestpaths = ["tests"]\n\n'
           '[tool.pyramid]\n\n[tool.pyramid.deploy]\ncommand = "python3 -m http.server {port}"\n')
FILES = {
    "a/pyproject.toml": PROJECT,
    "a/tests/unit/test_ok.py": "def test_ok(): pass\ndef test_ok_too(): pass\n",
    "b/pyproject.toml": PROJECT,
    "b/tests/unit/test_bad.py": "def test_bad(): assert False\n",
    ".gitignore": "pyramid-verdict*\npyramid-partial-*\n.pyramid*\n.coverage*\n__pycache__/\n"
                  "/stdout\n/stderr\n",
}


@pytest.fixture
def monorepo(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name, body in FILES.items():
        path = pytester.path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(body)
    git(pytester.path, "init", "-q")
    commit(pytester.path)
    monkeypatch.setenv("PYRAMID_RUN_ID", "monorepo")
    return pytester.path


def run_in(folder: Path, *args: str) -> dict[str, Any]:
    """pytest in ``folder`` (its own project), as CI runs each project of a monorepo."""
    subprocess.run([sys.executable, "-m", "pytest", "-p", "no:randomly", *args], cwd=folder,
                   capture_output=True, check=False, env=top_level_environ())
    if any(arg.startswith("--pyramid-shard") for arg in args):
        return {}
    data: dict[str, Any] = strict_json((folder / "pyramid-verdict.json").read_text())
    return data


def cli(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], folder: Path,
        *args: str) -> tuple[int, str]:
    """A ``pyramid`` command run in ``folder``: its exit status and what it printed."""
    monkeypatch.chdir(folder)
    capsys.readouterr()
    with top_level_here():  # a release's merge, check or deploy: not one the suite started
        code = pyramid(list(args))
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    return code, out + err


def test_check_and_deploy_trust_a_verdict_only_in_its_own_project(
    monorepo: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:
    verdict = run_in(monorepo / "a")
    assert (verdict["decision"], verdict["project"]) == ("ready", "a")
    mine = cli(monkeypatch, capsys, monorepo / "a" / "tests", "check", "../pyramid-verdict.json")
    assert mine[0] == 0, mine[1]
    code, err = cli(monkeypatch, capsys, monorepo / "b", "check", "../a/pyramid-verdict.json")
    assert code == 3
    assert "the verdict is of project 'a', not 'b'" in err
    # the deploy gate asks the same function (case 130)
    code, err = cli(monkeypatch, capsys, monorepo / "b", "deploy", "--dry-run", "--verdict",
                    "../a/pyramid-verdict.json", "--trust-first-checkout")
    assert code != 0
    assert "the verdict is of project 'a', not 'b'" in err


def test_shards_of_another_project_are_never_merged(
    monorepo: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:
    for index in (1, 2):
        run_in(monorepo / "a", f"--pyramid-shard={index}/2")
    partials = ["pyramid-partial-1-of-2.json", "pyramid-partial-2-of-2.json"]
    elsewhere = [f"../a/{name}" for name in partials]
    code, err = cli(monkeypatch, capsys, monorepo / "b", "merge", *elsewhere)
    assert code == 3
    assert "ran project 'a', not 'b'" in err
    assert json.loads((monorepo / "b/pyramid-verdict.json").read_text())["decision"] != "ready"
    code, err = cli(monkeypatch, capsys, monorepo / "a", "merge", *partials)
    merged = json.loads((monorepo / "a/pyramid-verdict.json").read_text())
    assert (code, merged["decision"], merged["project"]) == (0, "ready", "a"), err
    other = monorepo / "a" / partials[1]
    data = json.loads(other.read_text())
    data["project"] = "b"  # a shard of b's run beside a's (same commit, tree and settings)
    other.write_text(json.dumps(data))
    code, err = cli(monkeypatch, capsys, monorepo / "a", "merge", *partials)
    assert code == 3
    assert "is of another project" in err


def test_a_symlinked_shared_configuration_configures_the_folder_it_was_found_in(
    monorepo: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:
    """Hostile case 160: ``c/pyproject.toml -> ../a/pyproject.toml`` (a tracked symlink, one
    configuration shared). c's run is project ``c`` and writes its verdict in ``c/``, not
    over a's (it named project ``a`` and wrote ``a/pyramid-verdict.json``); a's check does not
    take it. A merge takes its project from the same folder (``project.configured_folder``)."""
    (monorepo / "c/tests/unit").mkdir(parents=True)
    (monorepo / "c/tests/unit/test_c.py").write_text("def test_c(): pass\n")
    (monorepo / "c/pyproject.toml").symlink_to("../a/pyproject.toml")
    commit(monorepo)
    verdict = run_in(monorepo / "c")
    assert (verdict["decision"], verdict["project"]) == ("ready", "c"), verdict["reasons"]
    assert not (monorepo / "a/pyramid-verdict.json").exists()
    code, err = cli(monkeypatch, capsys, monorepo / "a", "check", "../c/pyramid-verdict.json")
    assert code == 3
    assert "the verdict is of project 'c', not 'a'" in err
