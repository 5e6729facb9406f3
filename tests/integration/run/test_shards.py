"""CI shards end to end: real pytest runs (subprocesses, pytest-cov measuring) split with
``--pyramid-shard``, merged with ``pyramid merge``, compared with one unsharded run."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from pytest_pyramid.cli import main
from pytest_pyramid.verdict import schema_errors
from pytest_pyramid.verdict.partial import load_partial
from pytest_pyramid.verdict.partial import schema_errors as partial_schema_errors
from tests.conftest import LEAN_ADDOPTS
from tests.git_repo import git
from tests.support.top_level import top_level_environ, top_level_here

if TYPE_CHECKING:
    from collections.abc import Iterator

#: the class below has a method named pytest, which hides the module in its annotations
CaptureFixture = pytest.CaptureFixture

pytest.importorskip("pytest_cov")

LEAN = LEAN_ADDOPTS
PYPROJECT = f"""\
[tool.pytest.ini_options]
addopts = "{LEAN}"
pythonpath = ["src"]
filterwarnings = ["error"]
{{ini}}
[tool.pyramid]
source = ["src/shop"]

[tool.pyramid.tiers.unit]
coverage = 50

[tool.pyramid.tiers.integration]
coverage = 40

[tool.pyramid.coverage]
total = 70

[tool.pyramid.thresholds]
"calc.latency_ms" = "p95 < 900"
"calc.rps" = "mean >= 10"
"""
SHOP = """\
def add(a, b):
    return a + b


def mul(a, b):
    if a == 0:
        return 0
    return a * b


def ratio(a, b):
    if b == 0:
        raise ZeroDivisionError("b")
    return a / b


def untested():
    return "never"
"""
UNIT = """\
import os

import pytest

from shop import add, mul


@pytest.mark.parametrize("n", range(6))
def test_add(n, pyramid_metric):
    # deterministic samples: the merged percentiles must equal the unsharded ones
    pyramid_metric("calc.latency_ms", (n * 37 + {k} * 11) % 500)
    pyramid_metric("calc.rps", 10 + n + {k})
    assert add(n, 1) == n + 1


def test_mul():
    assert mul(2, 3) == 6


@pytest.mark.skip(reason="not today")
def test_skipped():
    pass


@pytest.mark.xfail(reason="known", strict=True)
def test_known_bug():
    assert add(1, 1) == 3


def test_flaky_once():
    assert os.environ.get("SHOP_FAIL") != "{k}"
"""
INTEGRATION = """\
import time

import pytest

from shop import mul, ratio


@pytest.fixture(scope="module")
def store():
    time.sleep(0.2)  # an expensive module fixture: its module should stay on one shard
    return {"n": 0}


class TestStore:
    def test_zero(self, store):
        assert mul(0, 5) == 0

    def test_ratio(self, store):
        assert ratio(4, 2) == 2

    def test_divide_by_zero(self, store):
        with pytest.raises(ZeroDivisionError):
            ratio(1, 0)


def test_plain(store):
    assert store["n"] == 0
"""
SUBPROCESS_ENV_DROP = ("PYTEST_XDIST_WORKER", "PYTEST_ADDOPTS", "CI_NODE_INDEX", "CI_NODE_TOTAL",
                       "CIRCLE_NODE_INDEX", "CIRCLE_NODE_TOTAL", "BUILDKITE_PARALLEL_JOB",
                       "BUILDKITE_PARALLEL_JOB_COUNT", "TEST_SHARD_INDEX", "TEST_TOTAL_SHARDS",
                       "COV_CORE_SOURCE", "COV_CORE_CONFIG", "COV_CORE_DATAFILE",
                       "GITHUB_STEP_SUMMARY", "GITHUB_RUN_ID", "CI_PIPELINE_ID", "PYRAMID_RUN_ID")


class Project:
    """A committed pyramid project and the commands that run and merge it."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def pytest(self, *args: str, env: dict[str, str] | None = None,
               cov: bool = True) -> subprocess.CompletedProcess[str]:
        environ = top_level_environ(drop=SUBPROCESS_ENV_DROP)
        environ.update(env or {})
        extra = ["--cov=shop", "--cov-report="] if cov else []
        return subprocess.run(
            [sys.executable, "-m", "pytest", "-q", *extra, *args],
            cwd=self.root, env=environ, capture_output=True, text=True, timeout=300,
            check=False,
        )

    def shards(self, total: int, *args: str, into: str = "", env: dict[str, str] | None = None,
               expect: int | None = 0) -> list[Path]:
        paths = []
        for index in range(1, total + 1):
            result = self.pytest(f"--pyramid-shard={index}/{total}", *args, env=env)
            if expect is not None:
                assert result.returncode == expect, result.stdout + result.stderr
            path = self.root / f"pyramid-partial-{index}-of-{total}.json"
            if into:
                target = self.root / into
                target.mkdir(exist_ok=True)
                for suffix in (".json", ".coverage"):
                    source = path.with_suffix(suffix)
                    if source.exists():
                        shutil.move(source, target / source.name)
                path = target / path.name
            paths.append(path)
        return paths

    def merge(self, *args: str | Path, capsys: CaptureFixture[str]) -> tuple[int, str]:
        previous = Path.cwd()
        os.chdir(self.root)
        try:
            with top_level_here():  # a release's merge, not one this suite's run started
                code = main(["merge", "--run-id", "local-test", *map(str, args)])
        finally:
            os.chdir(previous)
        captured = capsys.readouterr()
        return code, captured.out + captured.err

    def check(self) -> int:
        previous = Path.cwd()
        os.chdir(self.root)
        try:
            with top_level_here():
                return main(["check", "pyramid-verdict.json"])
        finally:
            os.chdir(previous)

    def verdict(self, name: str = "pyramid-verdict.json") -> dict[str, Any]:
        data: dict[str, Any] = json.loads((self.root / name).read_text())
        assert schema_errors(data) == []
        return data


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("shop")
    (root / "pyproject.toml").write_text(PYPROJECT.format(ini=""))
    (root / ".gitignore").write_text("*.json\n*.xml\n.coverage*\n*.coverage\n.pyramid/\n")
    (root / "src" / "shop").mkdir(parents=True)
    (root / "src" / "shop" / "__init__.py").write_text(SHOP)
    for k in (1, 2, 3):
        path = root / "tests" / "unit" / f"test_calc_{k}.py"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(UNIT.replace("{k}", str(k)))
    (root / "tests" / "integration").mkdir(parents=True)
    (root / "tests" / "integration" / "test_store.py").write_text(INTEGRATION)
    git(root, "init", "-q")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "shop")
    return root


@pytest.fixture(scope="module")
def sharded(template: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The template after its two shards ran (into ``good/``), run once for the module's rows
    that start from them, kept as a pristine copy beside the place they ran."""
    root = tmp_path_factory.mktemp("sharded") / "shop"
    shutil.copytree(template, root)
    Project(root).shards(2, into="good")
    shutil.copytree(root, root.with_name("pristine"), symlinks=True)
    return root


@pytest.fixture
def project(template: Path, tmp_path: Path, request: pytest.FixtureRequest) -> Project:
    """A fresh copy of the template. A row that starts from the two shards gets the copy where
    they ran, restored from the pristine one: a partial and its coverage data name the files by
    their absolute path, so they are read back only in the folder they were made in."""
    if "two_shards" in request.fixturenames:
        root: Path = request.getfixturevalue("sharded")
        shutil.rmtree(root)
        shutil.copytree(root.with_name("pristine"), root, symlinks=True)
        return Project(root)
    root = tmp_path / "shop"
    shutil.copytree(template, root)
    return Project(root)


@pytest.fixture(scope="module")
def unsharded(template: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """One unsharded run: the verdict and the per-test outcomes (JUnit XML)."""
    root = tmp_path_factory.mktemp("unsharded") / "shop"
    shutil.copytree(template, root)
    result = Project(root).pytest("--junitxml=unsharded.xml")
    assert result.returncode == 0, result.stdout + result.stderr
    return {"verdict": Project(root).verdict(), "outcomes": junit_outcomes(root / "unsharded.xml")}


def junit_outcomes(path: Path) -> dict[str, str]:
    outcomes = {}
    for case in ET.parse(path).getroot().iter("testcase"):
        module = case.get("classname", "").replace(".", "/")
        name = case.get("name", "")
        kinds = {child.tag for child in case}
        outcome = "passed"
        if "failure" in kinds or "error" in kinds:
            outcome = "failed"
        elif "skipped" in kinds:
            skipped = case.find("skipped")
            kind = skipped.get("type", "") if skipped is not None else ""
            outcome = "xfailed" if "xfail" in kind else "skipped"
        outcomes[f"{module}::{name}"] = outcome
    return outcomes


def merged_outcomes(partials: list[Path]) -> dict[str, str]:
    """node id -> outcome from the shards' records, keyed like JUnit's classname::name."""
    found = {}
    for path in partials:
        for entry in load_partial(path)["tests"]:
            module, _, rest = entry["nodeid"].partition("::")
            key = module.removesuffix(".py") + ("::" + rest if rest else "")
            if "::" in rest:  # a class: JUnit puts it in the classname
                cls, _, name = rest.rpartition("::")
                key = module.removesuffix(".py") + "/" + cls.replace("::", "/") + "::" + name
            found[key] = entry["outcome"]
    return found


def same_verdict(merged: dict[str, Any], unsharded: dict[str, Any]) -> None:
    """Decision, per-tier counts, gate statuses, coverage within 0.01 pp, metric values."""
    assert merged["decision"] == unsharded["decision"]
    counts = ("selected", "required", "status", "collected", "deselected", "files_on_disk",
              "passed", "failed", "errors", "skipped", "xfailed", "xpassed", "never_ran")
    for name, tier in unsharded["tiers"].items():
        assert {k: merged["tiers"][name][k] for k in counts} == {k: tier[k] for k in counts}
        mine, theirs = merged["tiers"][name].get("coverage"), tier.get("coverage")
        if theirs and theirs.get("percent") is not None:
            assert abs(mine["percent"] - theirs["percent"]) <= 0.01, name
    assert [(g["id"], g["status"]) for g in merged["gates"]] == [
        (g["id"], g["status"]) for g in unsharded["gates"]]
    assert abs(merged["coverage"]["percent"] - unsharded["coverage"]["percent"]) <= 0.01
    metrics = {g["id"]: g["actual"] for g in unsharded["gates"] if g["id"].startswith("metric.")}
    assert metrics  # the comparison below compares something
    assert {g["id"]: g["actual"] for g in merged["gates"] if g["id"] in metrics} == metrics
    assert {k: v["value"] for k, v in merged["metrics"].items()} == {
        k: v["value"] for k, v in unsharded["metrics"].items()}
    assert merged["completeness"] == unsharded["completeness"] == []


@pytest.mark.parametrize(("total", "args"), [(1, ()), (3, ()), (2, ("-n", "2"))],
                         ids=["1", "3", "2-xdist"])
def test_merged_shards_give_the_unsharded_verdict(
    project: Project, unsharded: dict[str, Any], total: int, args: tuple[str, ...],
    capsys: pytest.CaptureFixture[str],
) -> None:
    merged_like_unsharded(project, project.shards(total, *args), unsharded, capsys)


def test_two_merged_shards_give_the_unsharded_verdict(
    project: Project, two_shards: list[Path], unsharded: dict[str, Any],
    capsys: pytest.CaptureFixture[str],
) -> None:
    merged_like_unsharded(project, two_shards, unsharded, capsys)


def merged_like_unsharded(project: Project, partials: list[Path], unsharded: dict[str, Any],
                          capsys: pytest.CaptureFixture[str]) -> None:
    """The shards' records are whole, they wrote no verdict, and their merge is the unsharded
    run's verdict, one ``pyramid check`` accepts and reports are built from."""
    total = len(partials)
    for path in partials:
        partial = load_partial(path)
        assert partial_schema_errors(partial) == []  # the shipped schema, every record
        assert partial["finished"] is True
        assert partial["completeness"] == []  # a shard is not a narrowed run
        assert partial["coverage"]["measured"] is True
    assert not (project.root / "pyramid-verdict.json").exists()  # shards write no verdict
    code, out = project.merge(*partials, capsys=capsys)
    assert code == 0, out
    merged = project.verdict()
    same_verdict(merged, unsharded["verdict"])
    assert merged_outcomes(partials) == unsharded["outcomes"]
    assert merged["shards"]["total"] == total
    assert merged["shards"]["missing"] == []
    assert sum(s["tests"] for s in merged["shards"]["shards"]) == 34
    # the merged verdict speaks for this checkout, as an unsharded one would
    assert project.check() == 0
    # and its reports are built as from an unsharded verdict (the per-test results file)
    ctrf = project.root / "report.ctrf.json"
    assert main(["report", str(project.root / "pyramid-verdict.json"), "--ctrf", str(ctrf)]) == 0
    assert json.loads(ctrf.read_text())["results"]["summary"]["tests"] == 34


def test_the_merge_writes_durations_that_keep_costly_fixtures_together(
    project: Project, two_shards: list[Path], capsys: pytest.CaptureFixture[str]
) -> None:
    code, out = project.merge(*two_shards, capsys=capsys)
    assert code == 0, out
    durations = json.loads((project.root / ".pyramid" / "durations.json").read_text())
    assert len(durations["tests"]) == 31  # skipped tests are not timed
    # pytest bills the module fixture to the first test of each shard that runs it
    assert durations["scopes"]["tests/integration/test_store.py"] >= 0.2
    second = project.shards(2)
    homes = {
        path.name for path in second
        for entry in load_partial(path)["tests"] if "test_store.py" in entry["nodeid"]
    }
    assert len(homes) == 1  # the module's shared setup is paid once now
    assert load_partial(second[0])["selection"]["durations_digest"] is not None


def test_an_empty_shard_exits_0_and_the_merge_is_ready(
    project: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    # -k leaves 2 tests (one unit, one integration) for 3 shards: the third has none
    result = project.pytest("--pyramid-shard=3/3", "-k", "test_mul and calc_1 or test_plain")
    assert result.returncode == 0, result.stdout + result.stderr
    partial = load_partial(project.root / "pyramid-partial-3-of-3.json")
    assert partial["tests"] == []
    assert partial["assigned"] == 0
    assert partial["selection"]["count"] == 2


def test_a_narrowed_shard_makes_the_merge_incomplete(
    project: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    partials = project.shards(2, "-k", "not test_flaky_once")
    problems = load_partial(partials[0])["completeness"]
    assert [p["kind"] for p in problems] == ["narrowed"]
    code, out = project.merge(*partials, capsys=capsys)
    assert code == 1, out
    verdict = project.verdict()
    assert verdict["decision"] == "incomplete"
    # every shard says so: the merged verdict says it once
    assert verdict["reasons"] == ["-k 'not test_flaky_once' filtered the tests"]


@pytest.fixture
def two_shards(project: Project) -> list[Path]:
    """The two shards of the template, run once (``sharded``): every row starts from the same
    records, which none of them can change for another (each has its own restored copy)."""
    return [project.root / "good" / f"pyramid-partial-{index}-of-2.json" for index in (1, 2)]


def test_a_missing_shard_is_named(
    project: Project, two_shards: list[Path], capsys: pytest.CaptureFixture[str]
) -> None:
    code, out = project.merge(two_shards[0], capsys=capsys)
    assert code == 1, out
    verdict = project.verdict()
    assert verdict["decision"] == "incomplete"
    assert "shard 2 of 2 is missing (no partial result)" in verdict["reasons"][0]
    assert verdict["shards"]["missing"] == [2]
    assert verdict["run"]["never_ran"] == len(load_partial(two_shards[1])["tests"])


def _refused(project: Project, capsys: pytest.CaptureFixture[str], *args: str | Path) -> str:
    (project.root / "pyramid-verdict.json").write_text("{}")  # a stale file must not survive
    code, out = project.merge(*args, capsys=capsys)
    assert code == 3, out
    assert out.startswith("pyramid merge: ")
    assert len(out.strip().splitlines()) == 1
    verdict = project.verdict()
    assert verdict["decision"] == "incomplete"
    assert verdict["reasons"][0].startswith("pyramid merge refused the partial results: ")
    return out


def test_the_same_partial_twice_is_refused(
    project: Project, two_shards: list[Path], capsys: pytest.CaptureFixture[str]
) -> None:
    copy = project.root / "copy" / two_shards[0].name
    copy.parent.mkdir()
    shutil.copy(two_shards[0], copy)
    out = _refused(project, capsys, *two_shards, copy)
    assert "are the same attempt of shard 1/2 (one partial given twice)" in out


def test_shards_split_by_different_durations_overlap(
    project: Project, two_shards: list[Path], capsys: pytest.CaptureFixture[str]
) -> None:
    heavy = "tests/unit/test_calc_1.py::test_mul"
    recorded = {t["nodeid"]: [t["tier"], 0, 0.01, 0]
                for p in two_shards for t in load_partial(p)["tests"]}
    recorded[heavy] = ["unit", 0, 100.0, 0]
    (project.root / "other.json").write_text(json.dumps({
        "format": "pytest-pyramid-durations", "version": 1, "tests": recorded, "scopes": {},
    }))
    # with that file one shard holds the heavy test, the other nearly everything else
    [other] = [p for p in project.shards(2, "--pyramid-durations=other.json", into="other")
               if heavy not in {t["nodeid"] for t in load_partial(p)["tests"]}]
    good = next(p for p in two_shards if p.name != other.name)  # the other index
    out = _refused(project, capsys, good, other)
    assert "overlap: both ran" in out
    assert "split by different durations files" in out


def test_a_shard_of_another_commit_is_refused(
    project: Project, two_shards: list[Path], capsys: pytest.CaptureFixture[str]
) -> None:
    (project.root / "NOTES.md").write_text("a change\n")
    git(project.root, "add", "NOTES.md")
    git(project.root, "commit", "-qm", "two")
    result = project.pytest("--pyramid-shard=2/2")  # only the shard the merge is given
    assert result.returncode == 0, result.stdout + result.stderr
    later = project.root / "pyramid-partial-2-of-2.json"
    out = _refused(project, capsys, two_shards[0], later)
    assert "shard 2/2 (pyramid-partial-2-of-2.json) is from another commit" in out


def test_a_shard_of_another_selection_is_refused(
    project: Project, two_shards: list[Path], capsys: pytest.CaptureFixture[str]
) -> None:
    result = project.pytest("--pyramid-shard=2/2", "--pyramid-tier=unit")
    assert result.returncode == 0, result.stdout + result.stderr
    out = _refused(project, capsys, two_shards[0], project.root / "pyramid-partial-2-of-2.json")
    assert "split another selection" in out
    assert "30 tests" in out  # the unit tier alone, against the whole suite's 34


def test_a_shard_that_ran_everything_is_refused(
    project: Project, two_shards: list[Path], capsys: pytest.CaptureFixture[str]
) -> None:
    [whole] = project.shards(1, into="whole")
    data = json.loads(whole.read_text())
    data["shard"] = {"index": 2, "total": 2, "source": "--pyramid-shard=2/2"}  # seeded fault
    forged = project.root / "pyramid-partial-2-of-2.json"
    forged.write_text(json.dumps(data))
    shutil.copy(whole.with_suffix(".coverage"), forged.with_suffix(".coverage"))
    out = _refused(project, capsys, two_shards[0], forged)
    assert "ran the whole selection (34 tests) although it is one of 2 shards" in out


def test_a_merge_with_another_configuration_is_refused(
    project: Project, two_shards: list[Path], capsys: pytest.CaptureFixture[str]
) -> None:
    pyproject = project.root / "pyproject.toml"
    pyproject.write_text(pyproject.read_text().replace("total = 70", "total = 10"))
    out = _refused(project, capsys, *two_shards)
    assert "is not the configuration the shards ran with" in out


def test_a_retried_shard_counts_once_and_its_changed_tests_are_flaky(
    project: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    first = project.shards(2, into="first", env={"SHOP_FAIL": "2"}, expect=None)
    failing = next(p for p in first for t in load_partial(p)["tests"]
                   if t["nodeid"].endswith("test_calc_2.py::test_flaky_once"))
    assert load_partial(failing)["run"]["exitstatus"] == 1  # a shard's exit code: its tests'
    index = load_partial(failing)["shard"]["index"]
    retried = project.shards(2, into="retry")  # CI re-ran the failed job: it passes now
    code, out = project.merge(failing, *retried, capsys=capsys)
    assert code == 0, out
    verdict = project.verdict()
    assert verdict["decision"] == "ready"
    assert verdict["shards"]["retried"] == [index]
    assert verdict["shards"]["changed_outcome"] == ["tests/unit/test_calc_2.py::test_flaky_once"]
    assert [f["nodeid"] for f in verdict["flaky"]] == ["tests/unit/test_calc_2.py::test_flaky_once"]
    flaky_gate = next(g for g in verdict["gates"] if g["id"] == "tests.flaky")
    assert flaky_gate["status"] == "fail"  # level warn: ready, with the warning

    code, out = project.merge(*retried, failing, capsys=capsys)  # order of the arguments
    assert project.verdict()["shards"]["retried"] == [index]  # ... does not matter


def test_a_shard_that_died_leaves_a_partial_saying_so(
    project: Project, two_shards: list[Path], capsys: pytest.CaptureFixture[str]
) -> None:
    (project.root / "conftest.py").write_text(
        "import os\nif os.environ.get('BREAK'):\n    raise RuntimeError('broken conftest')\n")
    result = project.pytest("--pyramid-shard=2/2", env={"BREAK": "1"})
    assert result.returncode != 0
    dead = project.root / "pyramid-partial-2-of-2.json"
    assert load_partial(dead)["finished"] is False
    code, out = project.merge(two_shards[0], dead, capsys=capsys)
    assert code == 1, out
    verdict = project.verdict()
    assert verdict["decision"] == "incomplete"
    assert "shard 2 of 2 did not finish (a conftest could not be loaded" in verdict["reasons"][0]


def test_tampered_coverage_data_is_never_a_pass(
    project: Project, two_shards: list[Path], capsys: pytest.CaptureFixture[str]
) -> None:
    data = two_shards[1].with_suffix(".coverage")
    data.write_bytes(data.read_bytes() + b"\0")
    code, out = project.merge(*two_shards, capsys=capsys)
    assert code == 1, out
    verdict = project.verdict()
    assert verdict["decision"] == "blocked"
    gate = next(g for g in verdict["gates"] if g["id"] == "coverage.unit")
    assert gate["status"] == "not_evaluated"
    assert "is not the one it wrote (digest differs)" in gate["message"]


def test_gates_of_conftests_are_judged_on_the_merged_run(
    project: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    (project.root / "conftest.py").write_text(textwrap.dedent("""\
        from pytest_pyramid.gates import GateResult

        def pytest_pyramid_gates(config, run):
            seen = sum(t.passed + t.failed for t in run.tiers.values())
            return [GateResult(id="custom.seen", level="block", status="pass", actual=seen)]
    """))
    project.pytest()
    unsharded = project.verdict()
    partials = project.shards(2)
    code, out = project.merge(*partials, capsys=capsys)
    merged = project.verdict()
    gate = next(g for g in merged["gates"] if g["id"] == "custom.seen")
    # called once, on the merged run: it saw every test, as the unsharded run's did
    assert gate["actual"] == next(
        g for g in unsharded["gates"] if g["id"] == "custom.seen")["actual"]
    assert (code, merged["decision"]) == ({"ready": 0}.get(unsharded["decision"], 1),
                                          unsharded["decision"]), out
    # a plugin the shards had but the merge's environment has not: named, incomplete
    data = json.loads(partials[0].read_text())
    data["plugin_gates"] = [*data["plugin_gates"], "ghost-plugin"]
    partials[0].write_text(json.dumps(data))
    code, out = project.merge(*partials, capsys=capsys)
    assert code == 1, out
    reasons = project.verdict()["reasons"]
    assert any("gates of ghost-plugin (pytest_pyramid_gates) were not judged" in r
               for r in reasons), reasons


# -- the shard option itself (in-process runs: no coverage) ----------------------------------


@pytest.fixture
def small(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    for name in SUBPROCESS_ENV_DROP:
        monkeypatch.delenv(name, raising=False)
    pytester.makefile(".toml", pyproject=f'[tool.pytest.ini_options]\naddopts = "{LEAN}"\n'
                      "[tool.pyramid]\n")
    pytester.makepyfile(**{f"tests/unit/test_{n}": "def test_a(): pass\ndef test_b(): pass\n"
                           for n in range(3)})
    return pytester


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--pyramid-shard=auto"], "--pyramid-shard=auto: none of the CI shard variables is set"),
        (["--pyramid-shard=5/4"], "--pyramid-shard=5/4: shard 5 is beyond the 4 shard(s)"),
        (["--pyramid-shard=1/0"], "--pyramid-shard=1/0: 0 shard(s): the number of shards"),
        (["--pyramid-shard=0/2"], "shard 0: shards are numbered 1..2"),
        (["--pyramid-shard=half"], "--pyramid-shard='half': expected I/N"),
    ],
)
def test_shard_usage_errors_never_run_anything(
    small: pytest.Pytester, args: list[str], message: str
) -> None:
    result = small.runpytest(*args)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert message in result.stderr.str()
    assert not list(small.path.glob("pyramid-partial-*"))
    assert not (small.path / "pyramid-verdict.json").exists()


def test_a_shard_leaves_no_older_ready_verdict_behind(small: pytest.Pytester) -> None:
    assert small.runpytest().ret == 0
    assert json.loads((small.path / "pyramid-verdict.json").read_text())["decision"] == "ready"
    small.makepyfile(**{"tests/unit/test_new": "def test_new(): assert False"})
    result = small.runpytest("--pyramid-shard=1/2")
    assert result.ret in (0, 1)  # whichever shard the failing test fell in
    stale = json.loads((small.path / "pyramid-verdict.json").read_text())
    assert stale["decision"] == "incomplete"
    assert any("CI shard 1/2 ran here" in r for r in stale["reasons"]), stale["reasons"]


def test_the_ini_twin_names_its_file(small: pytest.Pytester) -> None:
    result = small.runpytest("-o", "pyramid_shard=3/2")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert "pyproject.toml: pyramid_shard=3/2: shard 3 is beyond the 2 shard(s)" in (
        result.stderr.str())


@pytest.mark.parametrize(
    ("environ", "name"),
    [
        ({"CI_NODE_INDEX": "2", "CI_NODE_TOTAL": "2"}, "pyramid-partial-2-of-2.json"),
        ({"CIRCLE_NODE_INDEX": "0", "CIRCLE_NODE_TOTAL": "3"}, "pyramid-partial-1-of-3.json"),
        ({"BUILDKITE_PARALLEL_JOB": "2", "BUILDKITE_PARALLEL_JOB_COUNT": "3"},
         "pyramid-partial-3-of-3.json"),
    ],
)
def test_auto_reads_the_ci(
    small: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, environ: dict[str, str], name: str
) -> None:
    for key, value in environ.items():
        monkeypatch.setenv(key, value)
    result = small.runpytest("--pyramid-shard=auto")
    assert result.ret == 0
    partial = load_partial(small.path / name)
    assert partial["finished"] is True
    assert partial["shard"]["source"].startswith("--pyramid-shard=auto (")
    assert not (small.path / "pyramid-verdict.json").exists()


def test_bazel_learns_that_the_runner_sharded(
    small: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    status = small.path / "shard-status"
    monkeypatch.setenv("TEST_SHARD_INDEX", "1")
    monkeypatch.setenv("TEST_TOTAL_SHARDS", "2")
    monkeypatch.setenv("TEST_SHARD_STATUS_FILE", str(status))
    assert small.runpytest("--pyramid-shard=auto").ret == 0
    assert status.exists()
    assert load_partial(small.path / "pyramid-partial-2-of-2.json")["tests"]


def test_an_unsharded_run_registers_no_shard_hooks(small: pytest.Pytester) -> None:
    small.makeconftest(
        "def pytest_sessionfinish(session):\n"
        "    names = [n for n, _ in session.config.pluginmanager.list_name_plugin()]\n"
        "    assert 'pyramid-session' in names\n"
        "    assert 'pyramid-shard' not in names\n"
    )
    assert small.runpytest().ret == 0


def test_a_bad_durations_file_is_a_usage_error(small: pytest.Pytester) -> None:
    (small.path / "d.json").write_text('{"format": "pytest-split"}')
    result = small.runpytest("--pyramid-shard=1/2", "--pyramid-durations=d.json")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert "--pyramid-durations = " in result.stderr.str()
    assert "not a durations file: 'format' is 'pytest-split'" in result.stderr.str()


def partials_of(root: Path) -> Iterator[Path]:
    yield from sorted(root.glob("pyramid-partial-*-of-*.json"))


def test_more_shards_than_tests_leave_empty_shards_that_still_merge(
    small: pytest.Pytester, capsys: pytest.CaptureFixture[str]
) -> None:
    for index in range(1, 8):  # 6 tests, 7 shards
        result = small.runpytest(f"--pyramid-shard={index}/7")
        assert result.ret == 0, result.stdout.str()
    empty = load_partial(small.path / "pyramid-partial-7-of-7.json")
    assert (empty["tests"], empty["assigned"], empty["completeness"]) == ([], 0, [])
    capsys.readouterr()
    code = main(["merge", "--run-id", "local-test", str(small.path)])
    assert code == 0, capsys.readouterr()
    verdict = json.loads((small.path / "pyramid-verdict.json").read_text())
    assert schema_errors(verdict) == []
    assert verdict["decision"] == "ready"
    assert [s["tests"] for s in verdict["shards"]["shards"]] == [1, 1, 1, 1, 1, 1, 0]


@pytest.mark.parametrize("xdist", [False, True], ids=["serial", "xdist"])
def test_files_stay_whole_under_dist_loadfile(small: pytest.Pytester, xdist: bool) -> None:
    # tests/unit/test_{0,1,2}.py hold two tests each: a file never spans two shards
    extra = ["-n", "2"] if xdist else []
    homes: dict[str, set[int]] = {}
    for index in (1, 2):
        assert small.runpytest(f"--pyramid-shard={index}/2", "--dist=loadfile", *extra).ret == 0
        for entry in load_partial(small.path / f"pyramid-partial-{index}-of-2.json")["tests"]:
            homes.setdefault(entry["nodeid"].split("::")[0], set()).add(index)
    assert len(homes) == 3
    assert all(len(shards) == 1 for shards in homes.values())


def test_a_missing_shard_keeps_its_tests_durations(
    small: pytest.Pytester, capsys: pytest.CaptureFixture[str]
) -> None:
    for index in (1, 2):
        assert small.runpytest(f"--pyramid-shard={index}/2").ret == 0
    assert main(["merge", "--run-id", "local-test", "."]) == 0
    durations = small.path / ".pyramid" / "durations.json"
    before = set(json.loads(durations.read_text())["tests"])
    assert len(before) == 6
    (small.path / "pyramid-partial-2-of-2.json").unlink()
    assert small.runpytest("--pyramid-shard=1/2").ret == 0
    # incomplete: shard 2 is missing
    assert main(["merge", "--run-id", "local-test", "."]) == 1
    assert set(json.loads(durations.read_text())["tests"]) == before
    capsys.readouterr()


def test_a_pyramid_toml_project_merges_like_a_pyproject_one(
    project: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    """Issue 21, defect 1: ``pyramid merge`` looked for a pyproject.toml with [tool.pyramid]
    only, so a project configured by the documented standalone pyramid.toml (pytest's own
    settings in pytest.ini) could run its shards but never merge them: exit 3."""
    text = PYPROJECT.format(ini="")
    table = text[text.index("[tool.pyramid]\n") + len("[tool.pyramid]\n"):]
    (project.root / "pyproject.toml").unlink()
    (project.root / "pyramid.toml").write_text(table.replace("[tool.pyramid.", "["))
    (project.root / "pytest.ini").write_text(
        f"[pytest]\naddopts = {LEAN}\npythonpath = src\nfilterwarnings = error\n")
    git(project.root, "add", "-A")
    git(project.root, "commit", "-qm", "configured by pyramid.toml")
    partials = project.shards(2)
    code, out = project.merge(*partials, capsys=capsys)
    assert code == 0, out
    merged = project.verdict()
    assert merged["decision"] == "ready"
    assert merged["config"]["file"] == "pyramid.toml"
    assert project.check() == 0
