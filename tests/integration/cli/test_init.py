"""``pyramid init``: a first table from what the project has and one measured run, written
only after the diff was shown (``--write`` for scripts); the run right after it is ready."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from typing import TYPE_CHECKING

import pytest

import pytest_pyramid.cli._adopt as adopt
from pytest_pyramid.cli import main
from pytest_pyramid.durations import parse_duration
from tests.conftest import LEAN_ADDOPTS
from tests.git_repo import commit, init_repo

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


@pytest.mark.parametrize(
    ("wall", "runs", "says", "floor"),
    [(0.3, 1, "measured 0.3s of wall time (one run)", True),
     (4.9, 3, "measured 4.9s of wall time (slowest of 3 runs)", True),
     (5.0, 3, "measured 5.0s of wall time (slowest of 3 runs)", False),
     (120.0, 1, "measured 120.0s of wall time (one run)", False)],
)
def test_a_budget_comment_says_where_it_comes_from_and_when_the_floor_applies(
    wall: float, runs: int, says: str, floor: bool
) -> None:
    text = adopt.budget_comment(wall, runs)
    assert text.startswith(says)
    assert ("10s is the smallest budget proposed" in text) is floor


def measured(wall: dict[str, float], cov: dict[str, float], failed: int = 0) -> adopt.Measured:
    return adopt.Measured(tests=dict.fromkeys(wall, 2), wall_s=wall, coverage=cov,
                          total_coverage=min(cov.values()) if cov else None, failed=failed,
                          duration_s=sum(wall.values()))


def test_several_runs_give_the_slowest_wall_and_the_lowest_coverage() -> None:
    runs = [measured({"unit": 1.0, "integration": 40.0}, {"unit": 91.0}),
            measured({"unit": 3.0, "integration": 15.0}, {"unit": 90.5}, failed=1),
            measured({"unit": 2.0, "integration": 25.0}, {"unit": 92.0})]
    both = adopt.slowest(runs)
    assert both.wall_s == {"unit": 3.0, "integration": 40.0}
    assert both.coverage == {"unit": 90.5}
    assert both.total_coverage == 90.5
    assert both.failed == 1
    assert both.runs == 3
    # one budget whatever the order the runs came in (click: 40, 25 and 15 s in three runs)
    assert adopt.slowest(runs[::-1]).wall_s == both.wall_s


@pytest.mark.parametrize(
    ("existing", "added"),
    [("", list(adopt.GITIGNORE)),
     ("*.pyc\npyramid-verdict.json\n", [n for n in adopt.GITIGNORE if n != "pyramid-verdict.json"]),
     ("/pyramid-verdict.json\n" + "\n".join(adopt.GITIGNORE[1:]), [])],
)
def test_gitignore_gets_only_the_outputs_it_does_not_name(existing: str, added: list[str]) -> None:
    assert adopt.gitignore_lines(existing) == added


def project_files(tmp_path: Path) -> list[str]:
    return sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*"))


def test_measuring_leaves_nothing_behind_and_shows_only_its_own_lines(
    tmp_path: Path, capfd: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("pytest_cov")
    root = write(tmp_path, {"setup.cfg": SETUP_CFG, **SOURCE, **TESTS})
    before = project_files(root)
    monkeypatch.setattr("sys.stdin.isatty", lambda: False)
    code, out = init(root, capfd, "--runs", "2")
    assert code == 0, out
    assert "measuring 1/2:" in out
    assert "measuring 2/2:" in out
    assert "  4 tests in " in out
    # the measuring runs' own pyramid section (budgets off, gates, decision) is not shown
    assert "decision:" not in out
    assert "budget" not in out.split("--- pyramid.toml")[0]
    assert "slowest of 2 runs" in out
    assert "10s is the smallest budget proposed" in out  # these tiers take well under 5 s
    assert "not written" in out
    assert project_files(root) == before  # no .coverage, cache, bytecode or probe file


def test_a_coverage_configuration_that_clashes_with_cov_is_measured_without_it(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    pytest.importorskip("pytest_cov")
    root = write(tmp_path, {"setup.cfg": SETUP_CFG, ".coveragerc": "[run]\nplugins = no_such_mod\n",
                            **SOURCE, **TESTS})
    code, out = init(root, capfd, "--runs", "1", "--write")
    assert code == 0, out
    assert "the project's own coverage configuration may clash with --cov" in out
    assert "No module named 'no_such_mod'" in out
    table = tomllib.loads((root / "pyramid.toml").read_text())
    assert set(table["tiers"]) == {"unit", "integration"}
    assert "coverage" not in (root / "pyramid.toml").read_text()


def test_write_ignores_the_run_outputs_and_says_to_commit(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    root = write(tmp_path, {"setup.cfg": SETUP_CFG, ".gitignore": "*.pyc", **TESTS})
    code, out = init(root, capfd, "--no-run", "--write")
    assert code == 0, out
    lines = (root / ".gitignore").read_text().splitlines()
    assert lines[0] == "*.pyc"  # kept, and the new lines start on a line of their own
    assert set(adopt.GITIGNORE) <= set(lines)
    assert "commit the change" in out
    code, out = init(root, capfd, "--no-run", "--write")  # configured now: refused, unchanged
    assert code == 3
    assert (root / ".gitignore").read_text().splitlines() == lines


def test_inspect_proposes_root_benchmarks_and_the_projects_own_collect_ignore(
    tmp_path: Path,
) -> None:
    root = write(tmp_path, {
        "pyproject.toml": """
            [tool.pytest]
            testpaths = ["tests"]
            markers = ["slow: takes a while"]
        """,
        "conftest.py": (
            'collect_ignore = ["setup.py", "docs"]\ncollect_ignore_glob = ["*_old.py"]\n'
        ),
        "docs/conf.py": "",
        "tests/conftest.py": "import sys\ncollect_ignore = [f'x{sys.version}', 'legacy']\n",
        "tests/legacy/test_l.py": "def test_l(): pass\n",
        "tests/unit/test_u.py": "def test_u(): pass\n",
        "bench/test_speed.py": "def test_speed(): pass\n",
        "scripts/run.py": "",
    })
    project = adopt.inspect(root)
    assert project.pytest_config == "pyproject.toml"  # pytest 9's native [tool.pytest] table
    assert project.testpaths == ("tests",)
    assert project.markers == ("slow",)
    assert project.folders == {"tests/unit": "unit", "bench": "performance"}
    # literal strings only (an f-string is not evaluated); folders become folder globs
    assert project.exclusions == ("setup.py", "docs/**", "*_old.py", "tests/legacy/**")
    text = adopt.render(project, adopt.propose(project), None)
    table = tomllib.loads(text)["tool"]["pyramid"]
    assert table["exclude"] == list(project.exclusions)
    assert table["tiers"]["performance"] == {"paths": ["bench"]}
    assert table["tiers"]["integration"] == {"markers": ["slow"]}


def test_a_configured_project_can_be_measured_again(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    root = write(tmp_path, {"setup.cfg": SETUP_CFG, **TESTS, "pyramid.toml": """
        [tiers.unit]
        paths = ["tests/unit"]
        budget = "5m"
    """})
    before = project_files(root)
    code, out = init(root, capfd, "--remeasure", "--runs", "2")
    assert code == 0, out
    assert "measuring 2/2:" in out
    assert "unit: budget 5m00s; proposed 10s (measured " in out
    assert "(slowest of 2 runs); 10s is the smallest budget proposed" in out
    assert "not written" in out
    assert project_files(root) == before


def test_the_measuring_proposal_turns_every_budget_off() -> None:
    from pathlib import Path

    from pytest_pyramid.config import BUILTIN_TIERS

    project = adopt.Project(root=Path("/nonexistent"))
    plan = {"integration": adopt.TierPlan(("tests/functional",), ())}
    table = tomllib.loads(adopt.render(project, plan, None, measuring=True))
    assert table["mode"] == "observe"
    assert {name: tier["budget"] for name, tier in table["tiers"].items()} == dict.fromkeys(
        BUILTIN_TIERS, "off"
    )


@pytest.mark.parametrize(
    ("addopts", "expression"),
    [
        ('-m "not slow"', "not slow"),
        (["-m", "not slow and not stress"], "not slow and not stress"),
        ("-ra -mnot\\ slow --strict-markers", "not slow"),
        ('-m "not slow" -m "not network"', "not network"),  # the last wins, as in pytest
        ("--strict-markers -p no:cacheprovider", ""),
        ('-m "unclosed', ""),  # not splittable: pytest itself says so on the first run
        ("", ""),
    ],
)
def test_the_projects_own_marker_expression_is_read_from_addopts(
    addopts: str | list[str], expression: str
) -> None:
    assert adopt.markexpr_of(addopts) == expression


@pytest.mark.parametrize(
    ("markexpr", "plan", "held"),
    [
        ("not slow", {"integration": adopt.TierPlan((), ("slow",))}, ["integration"]),
        ("not slow", {"integration": adopt.TierPlan((), ("slow", "network"))}, []),
        ("not slow and not network",
         {"integration": adopt.TierPlan((), ("slow", "network"))}, ["integration"]),
        # a tier's marker is on its tests too: excluding the tier excludes them
        ("not e2e", {"e2e": adopt.TierPlan((), ("browser",))}, ["e2e"]),
        # tests under a folder may carry no marker at all: never held back unmeasured
        ("not slow", {"integration": adopt.TierPlan(("tests/functional",), ("slow",))}, []),
        ("", {"integration": adopt.TierPlan((), ("slow",))}, []),
        ("not (", {"integration": adopt.TierPlan((), ("slow",))}, []),
    ],
)
def test_tiers_the_projects_own_marker_expression_leaves_out(
    tmp_path: Path, markexpr: str, plan: dict[str, adopt.TierPlan], held: list[str]
) -> None:
    project = adopt.Project(root=tmp_path, markexpr=markexpr)
    assert adopt.held_back(project, plan, None) == held


def test_measured_tiers_whose_every_test_was_deselected_are_held_back(tmp_path: Path) -> None:
    found = adopt.Measured(tests={"unit": 3, "integration": 2, "e2e": 2}, wall_s={},
                           coverage={}, total_coverage=None, failed=0, duration_s=1.0,
                           deselected={"unit": 1, "integration": 2, "e2e": 1})
    assert adopt.held_back(adopt.Project(root=tmp_path), {}, found) == ["integration"]


@pytest.mark.parametrize("workers", [[], ["-n", "2"]])
def test_a_project_that_deselects_by_marker_in_addopts_gets_a_ready_first_run(
    tmp_path: Path, capfd: pytest.CaptureFixture[str], workers: list[str]
) -> None:
    """click, attrs: `addopts = -m "not slow"`. The tier of the slow tests never runs by
    default, so init leaves it out of release_tiers (it was required: every full run was
    incomplete) and measures no budget for it; the verdict lists the exclusion."""
    if workers:
        pytest.importorskip("xdist")
    root = write(tmp_path, {
        "pyproject.toml": f"""
            [tool.pytest.ini_options]
            testpaths = ["tests"]
            addopts = "{LEAN_ADDOPTS} -m 'not slow'"
            markers = ["slow: takes minutes"]
        """,
        **SOURCE,
        "tests/conftest.py": TESTS["tests/conftest.py"],
        "tests/test_shop.py": """
            import pytest
            from shop import add
            def test_add(): assert add(1, 2) == 3
            @pytest.mark.slow
            def test_slow(): assert add(2, 2) == 4
        """,
    })
    init_repo(root, message="the project")
    code, out = init(root, capfd, "--write", "--runs", "1")
    assert code == 0, out
    # the docs' next step: commit, so the addopts are the project's own (tracked)
    commit(root, "pytest-pyramid")
    text = (root / "pyproject.toml").read_text()
    table = tomllib.loads(text)["tool"]["pyramid"]
    assert table["release_tiers"] == ["unit"]
    assert table["tiers"]["integration"] == {"markers": ["slow"]}  # no budget measured
    assert "deselect every test of integration" in text
    assert "-m 'not slow' in pyproject.toml" in text
    first = run_pytest(root, *workers)
    assert first.returncode == 0, first.stdout
    verdict = json.loads((root / "pyramid-verdict.json").read_text())
    assert verdict["decision"] == "ready", verdict["reasons"]
    assert verdict["tiers"]["integration"]["passed"] == 0  # deselected, never counted passed
    exclusions = verdict["run"]["invocation"]["exclusions"]
    assert [e["what"] for e in exclusions] == ["-m 'not slow'"]


@pytest.mark.parametrize(
    ("markexpr", "named"),
    [("not slow", "(-m 'not slow' in pytest.ini)"), ("", "(their exclusions in pytest.ini)")],
)
def test_the_release_tiers_comment_names_the_exclusion(
    tmp_path: Path, markexpr: str, named: str
) -> None:
    project = adopt.Project(root=tmp_path, pytest_config="pytest.ini", markexpr=markexpr)
    found = adopt.Measured(tests={"unit": 2, "integration": 1}, wall_s={"unit": 1.0},
                           coverage={}, total_coverage=None, failed=0, duration_s=1.0,
                           deselected={"integration": 1})
    text = adopt.render(project, {"integration": adopt.TierPlan((), ("slow",))}, found)
    assert f"# the project's own addopts {named} deselect every test of integration:" in text
    assert 'release_tiers = ["unit"]' in text
    assert 'budget = "10s"' in text  # unit's, measured; integration has none
    assert text.count("budget = ") == 1
