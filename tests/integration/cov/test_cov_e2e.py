"""Whole runs of small projects: pytest-cov measures, the pyramid plugin judges.

Every run is a subprocess (coverage inside pytester's in-process runs would measure the
outer test run too). Figures are checked against coverage.py's own report on the same
data file, with context filters, as ``coverage report --contexts`` computes them.
"""

from __future__ import annotations

import io
import shutil
import textwrap
from typing import TYPE_CHECKING, Any

import pytest

from pytest_pyramid.verdict import load_verdict
from tests.git_repo import git

if TYPE_CHECKING:
    from pathlib import Path

coverage = pytest.importorskip("coverage")
pytest.importorskip("pytest_cov")

PYPROJECT = """\
[tool.pyramid]
coverage_source = ["mypkg"]
{extra_top}
[tool.pyramid.tiers.unit]
coverage = {unit}
[tool.pyramid.tiers.integration]
coverage = {integration}
[tool.pyramid.tiers.e2e]
[tool.pyramid.coverage]
total = {total}
{extra_cov}
[tool.pytest.ini_options]
filterwarnings = ["error"]
{extra_ini}
"""

# The core registers the coverage plugin itself once wired; until then this shim does it.
# register_coverage() is idempotent, so the shim is harmless afterwards.
CONFTEST = """\
import pytest


@pytest.hookimpl(trylast=True)
def pytest_configure(config):
    from pytest_pyramid.gates.cov.plugin import register_coverage
    from pytest_pyramid.run.stash import SETTINGS_KEY

    settings = config.stash.get(SETTINGS_KEY, None)
    if settings is not None:
        register_coverage(config, settings)
"""

CORE = """\
def add(a, b):
    return a + b


def sign(x):
    if x > 0:
        return 1
    if x < 0:
        return -1
    return 0


def never():
    return "never"
"""

DB = """\
STORE = {}


def put(k, v):
    STORE[k] = v
    return len(STORE)


def get(k):
    return STORE.get(k)
"""

UNIT_TEST = """\
from mypkg.core import add, sign


def test_add():
    assert add(1, 2) == 3


def test_sign():
    assert sign(5) == 1
"""

INTEGRATION_TEST = """\
import pytest

from mypkg import db
from mypkg.core import sign


@pytest.fixture
def stored():
    db.put("a", 1)  # fixture lines count for the tier that set it up
    return "a"


def test_db(stored):
    assert db.get(stored) == 1
    assert sign(-3) == -1
"""


def make_project(
    pytester: pytest.Pytester,
    *,
    unit: float = 50,
    integration: float = 30,
    total: float = 60,
    extra_top: str = "",
    extra_cov: str = "",
    extra_ini: str = "",
) -> Path:
    root = pytester.path
    (root / "pyproject.toml").write_text(
        PYPROJECT.format(
            unit=unit,
            integration=integration,
            total=total,
            extra_top=extra_top,
            extra_cov=extra_cov,
            extra_ini=extra_ini,
        )
    )
    (root / "conftest.py").write_text(CONFTEST)
    (root / "mypkg").mkdir()
    (root / "mypkg" / "__init__.py").write_text("")
    (root / "mypkg" / "core.py").write_text(CORE)
    (root / "mypkg" / "db.py").write_text(DB)
    for tier, body, count in (("unit", UNIT_TEST, 4), ("integration", INTEGRATION_TEST, 3)):
        (root / "tests" / tier).mkdir(parents=True)
        for n in range(count):
            (root / "tests" / tier / f"test_{tier}_{n}.py").write_text(body)
    return root


# Autoloading every installed plugin (hypothesis, schemathesis ...) costs seconds per run.
# pytest-timeout is loaded: leaving it out is not harmless (hostile case 308)
PLUGINS = ("-p", "pytest_pyramid.plugin", "-p", "pytest_cov.plugin", "-p", "xdist.plugin",
           "-p", "pytest_timeout", "-p", "_hypothesis_pytestplugin")


@pytest.fixture(autouse=True)
def _no_plugin_autoload(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")


def run(pytester: pytest.Pytester, *args: str) -> tuple[pytest.RunResult, dict[str, Any]]:
    result = pytester.runpytest_subprocess(*PLUGINS, "-p", "no:cacheprovider", *args)
    verdict_path = pytester.path / "pyramid-verdict.json"
    assert verdict_path.exists(), result.stdout.str() + result.stderr.str()
    verdict = load_verdict(verdict_path)  # validates against the schema
    return result, dict(verdict)


def gates_of(verdict: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {g["id"]: g for g in verdict["gates"] if g["id"].startswith("coverage.")}


def tier_percents(verdict: dict[str, Any]) -> dict[str, float | None]:
    return {
        name: tier["coverage"]["percent"]
        for name, tier in verdict["tiers"].items()
        if tier.get("coverage")
    }


def independent_figures(root: Path, tiers: list[str]) -> dict[str, float]:
    """Per-tier and total percent straight from coverage's API on the run's data file."""
    cov = coverage.Coverage(data_file=str(root / ".coverage"))
    cov.load()
    out = io.StringIO()
    figures = {
        tier: round(cov.report(contexts=[f"^{tier}$", "^$"], file=out, include=["*/mypkg/*"]), 2)
        for tier in tiers
    }
    figures["total"] = round(cov.report(file=out, include=["*/mypkg/*"]), 2)
    return figures


@pytest.mark.parametrize("branch", [False, True], ids=["lines", "branches"])
def test_serial_and_xdist_agree_with_coverage_report(
    pytester: pytest.Pytester, branch: bool
) -> None:
    root = make_project(pytester)
    if branch:  # the project's own configuration measures branches
        with (root / "pyproject.toml").open("a") as handle:
            handle.write("\n[tool.coverage.run]\nbranch = true\n")
    serial_result, serial = run(pytester, "--cov=mypkg", "--cov-report=")
    serial_result.assert_outcomes(passed=11)
    expected = independent_figures(root, ["unit", "integration"])

    xdist_result, xdist = run(pytester, "--cov=mypkg", "--cov-report=", "-n", "2")
    xdist_result.assert_outcomes(passed=11)
    assert independent_figures(root, ["unit", "integration"]) == expected

    for verdict in (serial, xdist):
        assert verdict["coverage"]["branch"] is branch
        assert verdict["coverage"]["percent"] == expected["total"]
        # e2e has no threshold and did not run: no figure at all (never 0 %)
        assert tier_percents(verdict) == {
            "unit": expected["unit"],
            "integration": expected["integration"],
        }
        gates = gates_of(verdict)
        assert gates["coverage.unit"]["actual"] == expected["unit"]
        assert gates["coverage.unit"]["status"] == "pass"
        assert gates["coverage.total"]["actual"] == expected["total"]
    # the figures differ by tier: unit never runs db.py, integration never runs add()
    assert expected["unit"] < expected["integration"] < expected["total"]
    assert serial["tiers"]["unit"]["coverage"] == xdist["tiers"]["unit"]["coverage"]


@pytest.mark.parametrize("how", ["option", "addopts-variable", "xdist"])
def test_branches_measured_on_request_do_not_change_the_project_s_figure(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, how: str
) -> None:
    """Hostile case 357: the project measures lines; a CI's `--cov-branch` made the gates
    count covered branches too, which lifted coverage.total over the project's threshold.
    The figure judged is the one the project's configuration defines."""
    make_project(pytester)
    _, lines = run(pytester, "--cov=mypkg", "--cov-report=")
    args = ["--cov=mypkg", "--cov-report="]
    if how == "addopts-variable":
        monkeypatch.setenv("PYTEST_ADDOPTS", "--cov-branch")
    else:
        args += ["--cov-branch", *(["-n", "2"] if how == "xdist" else [])]
    _, branched = run(pytester, *args)
    assert branched["coverage"]["branch"] is False
    assert branched["coverage"]["percent"] == lines["coverage"]["percent"]
    assert tier_percents(branched) == tier_percents(lines)
    assert gates_of(branched)["coverage.total"]["actual"] == lines["coverage"]["percent"]


def test_per_test_contexts_map_to_the_same_tier_figures(pytester: pytest.Pytester) -> None:
    make_project(pytester)
    _, tiers_mode = run(pytester, "--cov=mypkg", "--cov-report=")
    _, test_mode = run(pytester, "--cov=mypkg", "--cov-report=", "--cov-context=test")
    assert test_mode["coverage"]["mode"] == "test"
    assert tiers_mode["coverage"]["mode"] == "tier"
    assert tier_percents(test_mode) == tier_percents(tiers_mode)


def test_thresholds_not_met_block_the_release(pytester: pytest.Pytester) -> None:
    make_project(pytester, unit=95, integration=30, total=99)
    result, verdict = run(pytester, "--cov=mypkg", "--cov-report=")
    assert verdict["decision"] == "blocked"
    gates = gates_of(verdict)
    assert gates["coverage.unit"]["status"] == "fail"
    assert gates["coverage.unit"]["threshold"] == 95
    assert gates["coverage.integration"]["status"] == "pass"
    assert gates["coverage.total"]["status"] == "fail"
    assert result.ret != 0
    result.stdout.fnmatch_lines(["*coverage.unit*"])


def test_without_cov_the_gates_are_not_evaluated(pytester: pytest.Pytester) -> None:
    make_project(pytester)
    result, verdict = run(pytester)
    result.assert_outcomes(passed=11)  # no warning turned into an error by the project
    gates = gates_of(verdict)
    for gate_id in ("coverage.unit", "coverage.integration", "coverage.total"):
        assert gates[gate_id]["status"] == "not_evaluated"
        assert gates[gate_id]["on_missing"] == "fail"
        assert "run pytest with --cov" in gates[gate_id]["message"]
    assert verdict["decision"] == "blocked"
    assert verdict["coverage"]["measured"] is False


def test_unselected_tier_is_not_evaluated(pytester: pytest.Pytester) -> None:
    root = make_project(pytester, unit=30)
    _, verdict = run(pytester, "--cov=mypkg", "--cov-report=", "--tier", "unit")
    gates = gates_of(verdict)
    assert gates["coverage.unit"]["status"] == "pass"
    assert gates["coverage.unit"]["actual"] == independent_figures(root, ["unit"])["unit"]
    assert gates["coverage.integration"]["status"] == "not_evaluated"
    assert gates["coverage.integration"]["on_missing"] == "skip"
    assert gates["coverage.integration"]["actual"] is None
    assert verdict["tiers"]["integration"]["coverage"]["percent"] is None
    assert "not selected" in verdict["tiers"]["integration"]["coverage"]["reason"]


def test_users_coverage_config_is_honoured(pytester: pytest.Pytester) -> None:
    """source, branch and omit come from [tool.coverage]; no coverage_source, bare --cov."""
    root = make_project(pytester)
    text = (root / "pyproject.toml").read_text().replace('coverage_source = ["mypkg"]\n', "")
    text += textwrap.dedent(
        """
        [tool.coverage.run]
        source = ["mypkg"]
        branch = true
        omit = ["*/db.py"]
        """
    )
    (root / "pyproject.toml").write_text(text)
    _, verdict = run(pytester, "--cov", "--cov-report=")
    assert verdict["coverage"]["branch"] is True
    assert verdict["coverage"]["source"] == ["mypkg"]
    assert verdict["coverage"]["source_from"] == "coverage config"
    assert verdict["coverage"]["files"] == 2  # __init__.py and core.py; db.py omitted
    cov = coverage.Coverage(
        data_file=str(root / ".coverage"), config_file=str(root / "pyproject.toml")
    )
    cov.load()
    assert verdict["coverage"]["percent"] == round(cov.report(file=io.StringIO()), 2)
    assert verdict["tiers"]["unit"]["coverage"]["percent"] == round(
        cov.report(contexts=["^unit$", "^$"], file=io.StringIO()), 2
    )


def test_dynamic_context_in_coverage_config_disables_tier_figures_with_a_reason(
    pytester: pytest.Pytester,
) -> None:
    root = make_project(pytester)
    (root / ".coveragerc").write_text("[run]\ndynamic_context = test_function\n")
    result, verdict = run(pytester, "--cov=mypkg", "--cov-report=", "-W", "default")
    gates = gates_of(verdict)
    assert gates["coverage.unit"]["status"] == "not_evaluated"
    assert "dynamic_context" in gates["coverage.unit"]["message"]
    assert gates["coverage.total"]["status"] == "pass"
    assert "dynamic_context = test_function" in result.stdout.str() + result.stderr.str()


# -- changed lines -------------------------------------------------------------------------

requires_git = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")


@requires_git
def test_changed_lines_gate_lists_uncovered_lines(pytester: pytest.Pytester) -> None:
    root = make_project(pytester, extra_cov='changed_lines = 80\nbase = "main"')
    (root / ".gitignore").write_text(".coverage*\npyramid-verdict.json\n")
    git(root, "init", "-q", "-b", "main")
    git(root, "add", ".")
    git(root, "commit", "-q", "-m", "base")
    git(root, "checkout", "-q", "-b", "feature")
    core = root / "mypkg" / "core.py"
    core.write_text(
        CORE.replace("    return a + b\n", "    total = a + b\n    return total\n")
        + "\n\ndef brand_new(x):\n    y = x * 2\n    return y\n"
    )
    git(root, "commit", "-q", "-am", "feature")

    _, verdict = run(pytester, "--cov=mypkg", "--cov-report=")
    gate = gates_of(verdict)["coverage.changed_lines"]
    # changed executable lines: 2, 3 (add() is tested), 18 (a def: runs at import), 19, 20
    assert gate["status"] == "fail"
    assert gate["actual"] == 60.0
    assert gate["threshold"] == 80
    assert gate["details"]["uncovered"] == {"mypkg/core.py": "19-20"}
    section = verdict["coverage"]["changed_lines"]
    assert (section["lines_covered"], section["lines_total"]) == (3, 5)
    assert section["base"] == "main"

    # the command-line base wins, and an unknown base is missing evidence, never a pass
    _, verdict = run(pytester, "--cov=mypkg", "--cov-report=", "--pyramid-diff-base=nope")
    gate = gates_of(verdict)["coverage.changed_lines"]
    assert gate["status"] == "not_evaluated"
    assert gate["on_missing"] == "fail"
    assert "'nope' not found" in gate["message"]


@requires_git
def test_small_change_is_below_min_changed_lines(pytester: pytest.Pytester) -> None:
    root = make_project(
        pytester, extra_cov='changed_lines = 80\nbase = "main"\nmin_changed_lines = 20'
    )
    (root / ".gitignore").write_text(".coverage*\npyramid-verdict.json\n")
    git(root, "init", "-q", "-b", "main")
    git(root, "add", ".")
    git(root, "commit", "-q", "-m", "base")
    (root / "mypkg" / "core.py").write_text(CORE.replace('"never"', '"not ever"'))

    _, verdict = run(pytester, "--cov=mypkg", "--cov-report=")
    gate = gates_of(verdict)["coverage.changed_lines"]
    assert gate["status"] == "not_evaluated"
    assert gate["on_missing"] == "skip"
    assert gate["message"] == "only 1 changed executable lines (< min_changed_lines = 20)"
    assert verdict["coverage"]["changed_lines"]["uncovered"] == {"mypkg/core.py": "14"}


SESSION_CONFTEST = """\
import os

import pytest


@pytest.fixture(scope="session", autouse=True)
def booted():
    from mypkg.core import never

    return never()  # set up once, by whichever test comes first, for every tier


def pytest_collection_modifyitems(items):
    if os.environ.get("REVERSE"):
        items.reverse()  # the other tier first: what another xdist worker or shard sees
"""


def test_session_fixture_setup_counts_for_every_tier_whoever_comes_first(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = make_project(pytester)
    (root / "conftest.py").write_text(CONFTEST + "\n" + SESSION_CONFTEST)
    _, unit_first = run(pytester, "--cov=mypkg", "--cov-report=")
    monkeypatch.setenv("REVERSE", "1")
    _, integration_first = run(pytester, "--cov=mypkg", "--cov-report=")
    assert tier_percents(unit_first) == tier_percents(integration_first)
    # never() ran in the run's own context: counted in both tiers' figures
    cov = coverage.Coverage(data_file=str(root / ".coverage"))
    cov.load()
    data = cov.get_data()
    core = next(f for f in data.measured_files() if f.endswith("core.py"))
    return_line = CORE.splitlines().index('    return "never"') + 1
    assert data.contexts_by_lineno(core)[return_line] == [""]
