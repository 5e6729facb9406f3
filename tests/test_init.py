"""``pyramid init``: a first table from what the project has and one measured run, written
only after the diff was shown (``--write`` for scripts); the run right after it is ready."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from typing import TYPE_CHECKING

import pytest

from pytest_pyramid import adopt
from pytest_pyramid.cli import main
from pytest_pyramid.durations import parse_duration
from tests.conftest import LEAN_ADDOPTS

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

if TYPE_CHECKING:
    from pathlib import Path


def write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
    return root


SOURCE = {
    "src/shop/__init__.py": """
        def add(a, b):
            return a + b

        def unused(x):
            if x:
                return 1
            return 2
    """,
}
TESTS = {
    "tests/conftest.py": """
        import os, sys
        sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "src"))
    """,
    "tests/unit/test_add.py": "from shop import add\ndef test_add(): assert add(1, 2) == 3\n",
    "tests/functional/test_f.py": "def test_f(): pass\n",
    "tests/test_misc.py": """
        import pytest
        @pytest.mark.network
        def test_online(): pass
        def test_plain(): pass
    """,
}
SETUP_CFG = f"""
    [tool:pytest]
    testpaths = tests
    addopts = {LEAN_ADDOPTS} --strict-markers
    filterwarnings = error
    markers =
        network: needs the network
        smoke(reason): quick checks
"""


@pytest.mark.parametrize(
    ("files", "config", "testpaths", "markers"),
    [
        ({"setup.cfg": SETUP_CFG}, "setup.cfg", ("tests",), ("network", "smoke")),
        ({"pytest.ini": "[pytest]\nmarkers =\n  slow\n"}, "pytest.ini", (), ("slow",)),
        ({"tox.ini": "[tox]\n[pytest]\ntestpaths = tests other\n"}, "tox.ini",
         ("tests", "other"), ()),
        ({"pyproject.toml": '[tool.pytest.ini_options]\nmarkers = ["db: a database"]\n'
                            'testpaths = "tests"\n'}, "pyproject.toml", ("tests",), ("db",)),
        ({"pyproject.toml": "[project]\nname = 'x'\n"}, "", (), ()),
    ],
)
def test_inspect_reads_pytests_own_configuration(
    tmp_path: Path, files: dict[str, str], config: str, testpaths: tuple[str, ...],
    markers: tuple[str, ...],
) -> None:
    project = adopt.inspect(write(tmp_path, {**files, **SOURCE, **TESTS}))
    assert (project.pytest_config, project.testpaths, project.markers) == (
        config, testpaths, markers
    )
    assert project.source == ("src/shop",)
    assert project.folders == {"tests/functional": "integration", "tests/unit": "unit"}


def test_propose_maps_folders_and_markers_to_tiers(tmp_path: Path) -> None:
    project = adopt.inspect(write(tmp_path, {**SOURCE, **TESTS, "setup.cfg": SETUP_CFG.replace(
        "network: needs the network",
        "network: net\n        slow: slow\n        e2e: already a tier")}))
    plan = adopt.propose(project)
    assert plan == {
        "unit": adopt.TierPlan(("tests/unit",), ()),
        "integration": adopt.TierPlan(("tests/functional",), ("network", "slow")),
    }


@pytest.mark.parametrize(
    ("wall", "budget"),
    [(0.0, "10s"), (4.0, "10s"), (6.1, "15s"), (29.0, "60s"), (31.0, "90s"), (400.0, "14m")],
)
def test_budgets_are_the_measured_wall_time_with_headroom(wall: float, budget: str) -> None:
    assert adopt.nice_budget(wall) == budget
    assert parse_duration(budget) >= wall * adopt.HEADROOM


def run_pytest(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "pytest", *args], cwd=root, capture_output=True,
                          text=True, timeout=600, check=False)


def init(root: Path, capfd: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    code = main(["init", str(root), *args])
    out, err = capfd.readouterr()
    return code, out + err


def test_a_setup_cfg_project_gets_a_pyramid_toml_and_its_first_run_is_ready(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    root = write(tmp_path, {"setup.cfg": SETUP_CFG, **SOURCE, **TESTS})
    code, out = init(root, capfd, "--write")
    assert code == 0, out
    assert "+[tiers.integration]" in out  # the diff was shown
    table = tomllib.loads((root / "pyramid.toml").read_text())
    assert table["tiers"]["unit"]["paths"] == ["tests/unit"]
    assert table["tiers"]["integration"] == {
        "paths": ["tests/functional"], "markers": ["network"],
        "budget": table["tiers"]["integration"]["budget"],
    }
    assert table["source"] == ["src/shop"]
    # no --cov in the project's own runs: the measured floors are proposed as comments only
    assert "coverage" not in table["tiers"]["unit"]
    assert "# coverage = 50  # measured 50.0%" in (root / "pyramid.toml").read_text()
    assert main(["config", "check", str(root)]) == 0
    first = run_pytest(root)
    assert first.returncode == 0, first.stdout
    verdict = json.loads((root / "pyramid-verdict.json").read_text())
    assert verdict["decision"] == "ready", verdict["reasons"]
    assert {n: t["collected"] for n, t in verdict["tiers"].items() if t["collected"]} == {
        "unit": 2, "integration": 2,
    }
    for name in ("unit", "integration"):  # each budget holds twice what was measured
        budget = parse_duration(table["tiers"][name]["budget"])
        assert budget >= 10.0


def test_a_project_that_runs_with_cov_gets_coverage_floors(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    pytest.importorskip("pytest_cov")
    root = write(tmp_path, {
        "pyproject.toml": f"""
            [project]
            name = "shop"
            version = "1"
            [tool.pytest.ini_options]
            addopts = "{LEAN_ADDOPTS} --cov=src/shop --cov-report="
            markers = ["network: net"]
        """,
        **SOURCE, **TESTS,
    })
    code, out = init(root, capfd, "--write", "--observe")
    assert code == 0, out
    table = tomllib.loads((root / "pyproject.toml").read_text())
    pyramid = table["tool"]["pyramid"]
    assert table["project"]["name"] == "shop"  # appended, nothing else touched
    assert pyramid["mode"] == "observe"
    assert pyramid["tiers"]["unit"]["coverage"] == 50
    assert pyramid["coverage"]["total"] <= 50
    first = run_pytest(root)
    assert first.returncode == 0, first.stdout
    verdict = json.loads((root / "pyramid-verdict.json").read_text())
    assert verdict["decision"] == "ready", verdict["reasons"]
    assert verdict["run"]["mode"] == "observe"


def test_without_write_and_without_a_terminal_nothing_is_written(
    tmp_path: Path, capfd: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    root = write(tmp_path, {"setup.cfg": SETUP_CFG, **TESTS})
    monkeypatch.setattr("sys.stdin.isatty", lambda: False)
    code, out = init(root, capfd, "--no-run")
    assert code == 0
    assert "+[tiers.unit]" in out
    assert "not written: `pyramid init --write` writes it" in out
    assert not (root / "pyramid.toml").exists()


def test_a_configured_project_is_refused(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    root = write(tmp_path, {"pyproject.toml": "[tool.pyramid]\n", **TESTS})
    code, out = init(root, capfd, "--write")
    assert code == 3
    assert "pytest-pyramid is configured already" in out
