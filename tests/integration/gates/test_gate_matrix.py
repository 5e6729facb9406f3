"""Every built-in gate made to pass, fail and be not evaluated by a real pytest run.

One table: each row is a small project, a pytest command line and what the written verdict
must say about the gates it exercises (status, actual, threshold, level, ``on_missing``), the
decision and pytest's exit code. A row checks several gates where one run shows them
naturally. Runs are in-process (``pytester.runpytest``) except those that measure coverage,
which run in a subprocess so coverage does not also measure this outer run.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pytest

from pytest_pyramid.gates.engine import discover
from tests.git_repo import git
from tests.support.gates.discovery import family

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping
    from pathlib import Path

    from tests.conftest import MakeProject, ReadVerdict


class Anything:
    """Matches any value, for figures that depend on the machine (a tier's test time)."""

    def __eq__(self, other: object) -> bool:
        return True

    def __repr__(self) -> str:
        return "<anything>"


class AtLeast:
    """Matches a number >= ``low``: a sleeping test's time is at least its sleep."""

    def __init__(self, low: float) -> None:
        self.low = low

    def __eq__(self, other: object) -> bool:
        return isinstance(other, (int, float)) and not isinstance(other, bool) and (
            other >= self.low
        )

    def __repr__(self) -> str:
        return f"<number >= {self.low}>"


ANY: Any = Anything()
ABSENT = "absent"


@dataclass(frozen=True)
class Gate:
    """What the verdict must say about one gate; ``status = ABSENT``: not listed at all."""

    id: str
    status: str
    actual: Any = None
    threshold: Any = None
    level: str = "block"
    on_missing: str | None = None  # required for not_evaluated, absent from the JSON otherwise
    message: str = ""  # a substring of the gate's message (the why)


@dataclass(frozen=True)
class Case:
    config: str
    files: Mapping[str, str]
    gates: tuple[Gate, ...]
    decision: str
    exit: int
    args: tuple[str, ...] = ()
    # Files written on a ``feature`` branch after everything else was committed on ``main``.
    changes: Mapping[str, str] | None = None
    subprocess: bool = False  # coverage: measure in a child process, never this run
    reason: str = ""  # a substring of one of the decision's reasons
    extra: Callable[[dict[str, Any]], None] | None = field(default=None, compare=False)


PASSING = "def test_one():\n    pass\n\n\ndef test_two():\n    pass\n"
ONE_FAILS = "def test_ok():\n    pass\n\n\ndef test_broken():\n    assert 1 == 2\n"
ALL_SKIPPED = "import pytest\n\n\n@pytest.mark.skip(reason='not today')\ndef test_s():\n    pass\n"
SLOW = "import time\n\n\ndef test_slow():\n    time.sleep(0.05)\n"

METRICS = """\
def test_record(pyramid_metric):
    for value in {p95}:
        pyramid_metric("api.p95_ms", value, endpoint="/items")
    for value in {rps}:
        pyramid_metric("api.rps", value)
    pyramid_metric("page.load_ms", {home}, page="{page}")
    pyramid_metric("page.load_ms", 5000, page="admin")  # outside the {{page:home}} filter
"""

THRESHOLDS = """\
[tool.pyramid.thresholds]
"api.p95_ms" = "< 500"
"api.rps" = { threshold = ">= 100", level = "approve", aggregate = "mean" }
"page.load_ms{page:home}" = "p(95) < 2000"
"""

# Fails its first attempt, passes on the rerun: the flag file outlives the attempt.
FLAKY = """\
from pathlib import Path


def test_flaky():
    flag = Path(__file__).with_name("flaky.ran")
    if not flag.exists():
        flag.write_text("1")
        raise AssertionError("first attempt fails")


def test_steady():
    pass
"""

# Stands in for pip-audit (not installed here): a real child process printing pip-audit's
# --format json report, through the gate's own ``command`` option.
FAKE_AUDIT = """\
import json
DEPS = {deps}
print(json.dumps({{"dependencies": DEPS, "fixes": []}}))
"""
CLEAN_DEP = {"name": "idna", "version": "3.20", "vulns": []}
VULN_DEP = {"name": "requests", "version": "2.19.0", "vulns": [
    {"id": "PYSEC-2018-28", "fix_versions": ["2.20.0"], "aliases": ["CVE-2018-18074"]}]}


def audit_command() -> str:
    return json.dumps([sys.executable, "fake_pip_audit.py"])


def fake_audit(*deps: Mapping[str, object]) -> str:
    return FAKE_AUDIT.format(deps=repr([dict(d) for d in deps]))


SIMPLE = "def add(a, b):\n    return a + b\n"
COMPLEX = "def grade(n):\n" + "".join(
    f"    if n == {i}:\n        return {i}\n" for i in range(11)
) + "    return -1\n"
CLONE = """\
def summarise(rows):
    total = 0
    count = 0
    for row in rows:
        if row.get("kind") == "sale":
            total += row["amount"] * row.get("qty", 1)
            count += 1
        elif row.get("kind") == "refund":
            total -= row["amount"]
    return {"total": total, "count": count, "mean": total / count if count else 0}
"""
BARE_NOSEC = """\
import subprocess  # nosec B404 # runs our own fixed commands


def run(cmd):
    return subprocess.call(cmd, shell=True)  # nosec
"""
STATIC_TESTS = {"tests/unit/test_a.py": PASSING, "tests/security/test_sec.py": PASSING}
SECURITY_LIMIT = "high <= 0, medium <= 5, unexplained nosec <= 0"
NOT_RUN = "security tier, which has no tests here"
STATIC_SKIPPED = (
    Gate("static.complexity", "not_evaluated", None, 10, "warn", "skip", NOT_RUN),
    Gate("static.duplication", "not_evaluated", None, 3.0, "block", "skip", NOT_RUN),
    Gate("static.security", "not_evaluated", None, SECURITY_LIMIT, "block", "skip", NOT_RUN),
    Gate("static.audit", "not_evaluated", None, 0, "block", "skip", NOT_RUN),
)

RISK = '[tool.pyramid.risk]\nbase = "main"\n'
GITIGNORE = "__pycache__/\n.pyramid/\npyramid-verdict.json\n.coverage*\nflaky.ran\n"

COV_CONFIG = """\
coverage_source = ["mypkg"]

[tool.pyramid.tiers.unit]
coverage = {unit}

[tool.pyramid.coverage]
total = {total}
changed_lines = 80
base = "main"
"""
CORE = """\
def add(a, b):
    return a + b


def sign(x):
    if x > 0:
        return 1
    return -1
"""
COV_FILES = {
    "mypkg/__init__.py": "",
    "mypkg/core.py": CORE,
    "tests/unit/test_core.py": (
        "from mypkg.core import add, sign\n\n\ndef test_add():\n    assert add(1, 2) == 3\n\n\n"
        "def test_sign():\n    assert sign(2) == 1\n"
    ),
}
COV_ARGS = ("--cov=mypkg", "--cov-report=")


def unit(body: str = PASSING, name: str = "test_a.py") -> dict[str, str]:
    return {f"tests/unit/{name}": body}


CASES = [
    # --- tests.pass_rate, budget.<tier>, metric.<name>, shape: the happy path -------------------
    pytest.param(Case(
        config='[tool.pyramid.tiers.unit]\nbudget = "30s"\n\n'
               "[tool.pyramid.shape]\ntargets = { unit = 1.0 }\nmin_tests = 2\n\n" + THRESHOLDS
               + '"never.recorded" = { threshold = "< 1", on_missing = "skip" }\n',
        files={**unit(), **unit(METRICS.format(p95=(120, 340), rps=(150, 90), home=100,
                                               page="home"), "test_metrics.py")},
        gates=(
            Gate("tests.pass_rate", "pass", 100.0, 100.0, message="3 of 3 executed tests passed"),
            Gate("budget.unit", "pass", ANY, 30.0),
            Gate("metric.api.p95_ms", "pass", 340.0, "< 500"),
            Gate("metric.api.rps", "pass", 120.0, ">= 100", "approve", message="mean of 2"),
            Gate("metric.page.load_ms{page:home}", "pass", 100.0, "p95 < 2000",
                 message="p95 of 1 sample = 100"),
            Gate("metric.never.recorded", "not_evaluated", None, "< 1", on_missing="skip"),
            Gate("tests.flaky", "pass", 0, 0, "warn", message="no flaky tests"),
            Gate("pyramid.shape", "pass", 0.0, "unit 100% (±10%)", "warn"),
            Gate("tests.quarantine", ABSENT),
            Gate("risk.approval", ABSENT),
            *STATIC_SKIPPED,
        ),
        decision="ready", exit=0,
    ), id="ready"),
    pytest.param(Case(
        config="[tool.pyramid.shape]\ntargets = { unit = 0.5, integration = 0.5 }\n"
               'min_tests = 2\nlevel = "block"\n',
        files=unit(ONE_FAILS),
        gates=(
            Gate("tests.pass_rate", "fail", 50.0, 100.0, message="1 of 2 executed tests failed"),
            Gate("pyramid.shape", "fail", 0.5, "unit 50%, integration 50% (±10%)",
                 message="unit 100% (target 50%)"),
        ),
        decision="blocked", exit=1, reason="gate tests.pass_rate",
    ), id="pass_rate-fail+shape-fail"),
    pytest.param(Case(
        config='[tool.pyramid.tiers.unit]\nbudget = "30s"\n\n'
               "[tool.pyramid.shape]\ntargets = { unit = 1.0 }\nmin_tests = 50\n\n"
               '[tool.pyramid.thresholds]\n"api.p95_ms" = "< 500"\n',
        files=unit(ALL_SKIPPED),
        gates=(
            Gate("tests.pass_rate", "not_evaluated", None, 100.0, on_missing="fail",
                 message="no test was executed"),
            Gate("tests.flaky", "not_evaluated", None, 0, "warn", "fail",
                 message="no test was executed"),
            Gate("metric.api.p95_ms", "not_evaluated", None, "< 500", on_missing="fail",
                 message="never recorded"),
            Gate("pyramid.shape", "not_evaluated", None, "unit 100% (±10%)", "warn", "fail",
                 message="judged from 50 on"),
            # A budget judges a tier's time; a tier that executed nothing has no budget gate,
            # and the run says so as incomplete (below) instead.
            Gate("budget.unit", ABSENT),
        ),
        decision="blocked", exit=1, reason="required tier unit did not run",
    ), id="all_skipped-not_evaluated"),
    # --- budget.<tier> ------------------------------------------------------------------------
    pytest.param(Case(
        config='[tool.pyramid.tiers.unit]\nbudget = "10ms"\n',
        files=unit(SLOW),
        gates=(
            Gate("tests.pass_rate", "pass", 100.0, 100.0),
            Gate("budget.unit", "fail", AtLeast(0.05), 0.01, message="budget"),
        ),
        decision="blocked", exit=1, reason="gate budget.unit: tier unit took",
    ), id="budget-fail-block"),
    pytest.param(Case(
        config='budget_level = "approve"\n\n[tool.pyramid.tiers.unit]\nbudget = "10ms"\n',
        files=unit(SLOW),
        gates=(Gate("budget.unit", "fail", AtLeast(0.05), 0.01, "approve"),),
        decision="needs_approval", exit=0, reason="gate budget.unit",
    ), id="budget-fail-approve"),
    # --- metric.<name> ------------------------------------------------------------------------
    pytest.param(Case(
        config=THRESHOLDS,
        files=unit(METRICS.format(p95=(120, 640), rps=(150,), home=2500, page="home")),
        gates=(
            Gate("metric.api.p95_ms", "fail", 640.0, "< 500",
                 message="worst of 2 samples = 640 >= 500"),
            Gate("metric.api.rps", "pass", 150.0, ">= 100", "approve"),
            Gate("metric.page.load_ms{page:home}", "fail", 2500.0, "p95 < 2000"),
        ),
        decision="blocked", exit=1, reason="gate metric.api.p95_ms",
    ), id="metric-fail-block"),
    pytest.param(Case(
        config=THRESHOLDS,
        files=unit(METRICS.format(p95=(120,), rps=(150, 30), home=100, page="home")),
        gates=(
            Gate("metric.api.p95_ms", "pass", 120.0, "< 500"),
            Gate("metric.api.rps", "fail", 90.0, ">= 100", "approve",
                 message="mean of 2 samples = 90 < 100"),
        ),
        decision="needs_approval", exit=0, reason="gate metric.api.rps",
    ), id="metric-fail-approve-long-form"),
    pytest.param(Case(
        config=THRESHOLDS,
        # Only page:admin and page:about samples: the {page:home} filter selects none.
        files=unit(METRICS.format(p95=(120,), rps=(150,), home=100, page="about")),
        gates=(Gate("metric.page.load_ms{page:home}", "not_evaluated", None, "p95 < 2000",
                    on_missing="fail", message="with tags {'page': 'home'} was never recorded"),),
        decision="blocked", exit=1, reason="gate metric.page.load_ms{page:home}",
    ), id="metric-not_evaluated-tag-filter"),
    pytest.param(Case(
        config='[tool.pyramid.thresholds]\n'
               '"api.cold_ms" = { threshold = "< 800", level = "block", on_missing = "approve" }\n',
        files=unit(),
        gates=(Gate("metric.api.cold_ms", "not_evaluated", None, "< 800", on_missing="approve"),),
        decision="needs_approval", exit=0, reason="gate metric.api.cold_ms",
    ), id="metric-not_evaluated-on_missing-approve"),
    pytest.param(Case(
        config='[tool.pyramid.thresholds]\n'
               '"load.p95_ms" = { threshold = "< 500", tier = "performance" }\n',
        files={**unit(), "tests/performance/test_load.py": PASSING},
        args=("--tier=unit",),
        gates=(Gate("metric.load.p95_ms", "not_evaluated", None, "< 500", on_missing="warn"),),
        decision="incomplete", exit=0, reason="performance",
    ), id="metric-not_evaluated-tier-not-selected"),
    # --- tests.flaky, tests.quarantine --------------------------------------------------------
    # reruns excuse a failure only when the project's own tracked configuration allows them
    # (run/invocation.py): a repository whose pyproject lists the option
    pytest.param(Case(
        config='allow_options = ["--reruns"]\n',
        files=unit(FLAKY), changes={},
        args=("--reruns", "2"),
        gates=(
            Gate("tests.pass_rate", "pass", 100.0, 100.0),
            Gate("tests.flaky", "fail", 1, 0, "warn",
                 message="1 flaky test(s), over the maximum of 0: "
                         "tests/unit/test_a.py::test_flaky (1 rerun)"),
        ),
        decision="ready", exit=0,
        extra=lambda v: _assert_equal(v["flaky"], [{
            "nodeid": "tests/unit/test_a.py::test_flaky", "tier": "unit", "reruns": 1,
            "quarantined": False}]),
    ), id="flaky-fail-warn"),
    pytest.param(Case(
        config='allow_options = ["--reruns"]\n[tool.pyramid.gates]\n"tests.flaky" = "approve"\n',
        files=unit(FLAKY), changes={},
        args=("--reruns", "2"),
        gates=(Gate("tests.flaky", "fail", 1, 0, "approve"),),
        decision="needs_approval", exit=0, reason="gate tests.flaky",
    ), id="flaky-fail-approve"),
    pytest.param(Case(
        config="[[tool.pyramid.quarantine]]\n"
               'test = "tests/unit/test_a.py::test_one"\nowner = "alice"\n'
               'expires = 2020-01-31\nreason = "sandbox times out"\n',
        files=unit(), changes={},  # in git: only a tracked file's entries count
        gates=(
            Gate("tests.pass_rate", "pass", 100.0, 100.0),
            Gate("tests.quarantine", "fail", 1, 0,
                 message="tests/unit/test_a.py::test_one (owner alice, expired 2020-01-31: "
                         "sandbox times out)"),
        ),
        decision="blocked", exit=1, reason="gate tests.quarantine",
    ), id="quarantine-fail-expired"),
    pytest.param(Case(
        config="[[tool.pyramid.quarantine]]\n"
               'test = "tests/unit/test_a.py::test_broken"\nowner = "bob"\n'
               'expires = 2999-12-31\nreason = "PAY-123"\n',
        files=unit(ONE_FAILS), changes={},  # in git: only a tracked file's entries count
        gates=(
            Gate("tests.pass_rate", "pass", 100.0, 100.0,
                 message="1 quarantined failure(s) not counted"),
            Gate("tests.quarantine", "pass", 0, 0, message="1 quarantine entry, none expired"),
        ),
        # The decision excuses the quarantined failure, and so does the exit status.
        decision="ready", exit=0,
        extra=lambda v: _assert_equal(
            _gate(v, "tests.pass_rate")["details"]["quarantined_failures"],
            ["tests/unit/test_a.py::test_broken"]),
    ), id="quarantine-pass-excuses-failure"),
    pytest.param(Case(  # hostile case 169: tests that never ran do not dilute the cap
        config="".join("[[tool.pyramid.quarantine]]\n"
                       f'test = "tests/unit/test_a.py::{name}"\nowner = "bob"\n'
                       'expires = 2999-12-31\nreason = "PAY-123"\n'
                       for name in ("test_broken", "test_broken_too")),
        files=unit(ONE_FAILS + "\n\ndef test_broken_too():\n    assert 1 == 2\n\n\n"
                   "import pytest\n\n\n@pytest.mark.parametrize('n', range(98))\n"
                   "def test_elsewhere(n):\n    pytest.skip('not on this platform')\n"),
        changes={},
        gates=(Gate("tests.quarantine", "fail", 1, 0,
                    message="over the cap of 2% of a tier ([tool.pyramid.flaky] max_share): "
                            "2 of 3 unit tests (66.7%)"),),
        decision="blocked", exit=1, reason="gate tests.quarantine",
    ), id="quarantine-cap-counts-tests-that-ran"),
    # --- static.* -----------------------------------------------------------------------------
    pytest.param(Case(
        config='source = ["pkg"]\n\n[tool.pyramid.gates]\n'
               f'"static.audit" = {{ command = {audit_command()} }}\n',
        files={**STATIC_TESTS, "pkg/__init__.py": "", "pkg/core.py": SIMPLE,
               "fake_pip_audit.py": fake_audit(CLEAN_DEP)},
        gates=(
            Gate("static.complexity", "pass", 1, 10, "warn"),
            Gate("static.duplication", "pass", 0.0, 3.0),
            Gate("static.security", "pass", "high 0, medium 0, low 0, unexplained nosec 0",
                 SECURITY_LIMIT),
            Gate("static.audit", "pass", 0, 0, message="1 package(s) audited"),
        ),
        decision="ready", exit=0,
    ), id="static-pass"),
    pytest.param(Case(
        config='source = ["pkg"]\n\n[tool.pyramid.gates]\n'
               f'"static.audit" = {{ command = {audit_command()} }}\n',
        files={**STATIC_TESTS, "pkg/__init__.py": "", "pkg/grade.py": COMPLEX,
               "pkg/sales.py": CLONE, "pkg/refunds.py": CLONE, "pkg/run.py": BARE_NOSEC,
               "fake_pip_audit.py": fake_audit(CLEAN_DEP, VULN_DEP)},
        gates=(
            Gate("static.complexity", "fail", 12, 10, "warn", message="grade"),
            Gate("static.duplication", "fail", 42.55, 3.0, message="pkg/refunds.py"),
            Gate("static.security", "fail", "high 0, medium 0, low 0, unexplained nosec 1",
                 SECURITY_LIMIT, message="unexplained nosec 1 > 0"),
            Gate("static.audit", "fail", 1, 0, message="requests 2.19.0: PYSEC-2018-28"),
        ),
        decision="blocked", exit=1, reason="gate static.security",
    ), id="static-fail"),
    pytest.param(Case(
        # No pip-audit on this machine and no command configured; the source does not exist.
        config='source = ["missing_pkg"]\n',
        files=STATIC_TESTS,
        gates=(
            Gate("static.complexity", "not_evaluated", None, 10, "warn", "fail",
                 message="not found: missing_pkg"),
            Gate("static.duplication", "not_evaluated", None, 3.0, on_missing="fail"),
            Gate("static.security", "not_evaluated", None, SECURITY_LIMIT, on_missing="fail"),
            Gate("static.audit", "not_evaluated", None, 0, on_missing="warn",
                 message="pip-audit is not installed"),
        ),
        decision="blocked", exit=1, reason="gate static.duplication",
    ), id="static-not_evaluated"),
    # --- risk.approval ------------------------------------------------------------------------
    pytest.param(Case(
        config=RISK, files=unit(), changes={"README.md": "typo fixed\n"},
        gates=(Gate("risk.approval", "pass", "low", "risk < medium", "approve",
                    message="risk low (score 0 against main)"),),
        decision="ready", exit=0,
    ), id="risk-pass"),
    pytest.param(Case(
        config=RISK, files=unit(), changes={"app/migrations/0002_users.py": "op = 1\n"},
        gates=(Gate("risk.approval", "fail", "medium", "risk < medium", "approve",
                    message="needs 2 approval(s) from tech_lead, product_owner"),),
        decision="needs_approval", exit=0, reason="app/migrations/0002_users.py",
        extra=lambda v: _assert_equal(
            (v["risk"]["level"], v["risk"]["assessed"], v["risk"]["factors"][0]["evidence"]),
            ("medium", True, ["app/migrations/0002_users.py"])),
    ), id="risk-fail-migrations"),
    pytest.param(Case(
        config=RISK, files=unit(),  # no git repository at all
        gates=(Gate("risk.approval", "not_evaluated", None, "risk < medium", "approve",
                    "approve", message="is not a git checkout"),),
        decision="needs_approval", exit=0, reason="treated as high risk: needs 3 approval(s)",
        extra=lambda v: _assert_equal((v["risk"]["level"], v["risk"]["assessed"]),
                                      ("high", False)),
    ), id="risk-not_evaluated-no-repo"),
    # --- coverage.<tier>, coverage.total, coverage.changed_lines --------------------------------
    pytest.param(Case(
        config=COV_CONFIG.format(unit=50, total=50), files=COV_FILES,
        changes={"mypkg/core.py": CORE.replace("    return a + b",
                                               "    result = a + b\n    return result")},
        args=COV_ARGS, subprocess=True,
        gates=(
            Gate("coverage.unit", "pass", 85.71, 50),
            Gate("coverage.total", "pass", 85.71, 50),
            Gate("coverage.changed_lines", "pass", 100.0, 80),
        ),
        decision="ready", exit=0,
    ), id="coverage-pass"),
    pytest.param(Case(
        config=COV_CONFIG.format(unit=95, total=95), files=COV_FILES,
        changes={"mypkg/core.py": CORE + "\n\ndef never():\n    x = 1\n    return x\n"},
        args=COV_ARGS, subprocess=True,
        gates=(
            Gate("coverage.unit", "fail", 66.67, 95),
            Gate("coverage.total", "fail", 66.67, 95),
            Gate("coverage.changed_lines", "fail", 33.33, 80,
                 message="1/3 covered, 33.33% < 80%"),
        ),
        decision="blocked", exit=1, reason="gate coverage.changed_lines",
        extra=lambda v: _assert_equal(
            _gate(v, "coverage.changed_lines")["details"]["uncovered"], {"mypkg/core.py": "12-13"}),
    ), id="coverage-fail"),
    pytest.param(Case(
        config=COV_CONFIG.format(unit=50, total=50), files=COV_FILES,
        changes={"mypkg/core.py": CORE + "\n\ndef never():\n    return 0\n"},
        # Without --cov nothing was measured: never a pass, never 0 %.
        gates=(
            Gate("coverage.unit", "not_evaluated", None, 50, on_missing="fail",
                 message="run pytest with --cov"),
            Gate("coverage.total", "not_evaluated", None, 50, on_missing="fail"),
            Gate("coverage.changed_lines", "not_evaluated", None, 80, on_missing="fail"),
        ),
        decision="blocked", exit=1, reason="gate coverage.unit",
    ), id="coverage-not_evaluated"),
]


# Gates that have no not_evaluated state, and what stands for it in the table instead.
NO_NOT_EVALUATED = {
    "budget.": "a tier that executed nothing gets no budget gate; the run is incomplete",
    "tests.quarantine": "judges the config only; without entries it is not listed",
}
# Gates made to pass, fail and be not evaluated by other tests than this table's rows.
ELSEWHERE = {
    "tests.pytest_status": "passes in every row; fails in tests/integration/run/"
                           "test_seeded_faults.py; pytest's exit status is always there",
    "tests.flaky_on_arrival": "tests/integration/run/test_flake_arrival_run.py (a git base)",
    "external.*": "tests/integration/gates/test_gate_external.py (a metric server per row)",
}
#: the coverage plugin's gates: answered beside the engine, not by a spec in gates/specs/
COVERAGE_GATES = ("coverage.unit", "coverage.total", "coverage.changed_lines")


def test_the_table_covers_every_gate_three_ways() -> None:
    """Every gate the engine discovers (a family by its prefix) and the coverage gates: a
    gate file added to gates/specs/ needs rows here (or a line in ELSEWHERE naming its
    tests), and no list of gates to edit."""
    discovered = discover()
    assert set(ELSEWHERE) <= {spec.id for spec in discovered}, "ELSEWHERE names no gate"
    families = [family(spec) for spec in discovered if spec.id not in ELSEWHERE]
    seen: dict[str, set[str]] = {name: set() for name in (*families, *COVERAGE_GATES)}
    for param in CASES:
        case = param.values[0]
        assert isinstance(case, Case)
        for gate in case.gates:
            for name in seen:
                if gate.id == name or (name.endswith(".") and gate.id.startswith(name)):
                    seen[name].add(gate.status)
    for name, statuses in seen.items():
        wanted = {"pass", "fail"} | (
            {ABSENT} if name in NO_NOT_EVALUATED else {"not_evaluated"}
        )
        assert wanted <= statuses, (name, sorted(statuses))


def _assert_equal(actual: object, expected: object) -> None:
    assert actual == expected


def _gate(verdict: dict[str, Any], gate_id: str) -> dict[str, Any]:
    found = [g for g in verdict["gates"] if g["id"] == gate_id]
    assert len(found) <= 1, f"gate {gate_id} listed twice"
    return found[0] if found else {}


def _make_repo(root: Path, changes: Mapping[str, str]) -> None:
    (root / ".gitignore").write_text(GITIGNORE)
    for args in (("init", "-q", "-b", "main"), ("add", "-A"), ("commit", "-q", "-m", "base"),
                 ("checkout", "-q", "-b", "feature")):
        git(root, *args)
    for name, text in changes.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


@pytest.mark.parametrize("case", CASES)
def test_gate_matrix(case: Case, pytester: pytest.Pytester, make_project: MakeProject,
                     read_verdict: ReadVerdict, monkeypatch: pytest.MonkeyPatch) -> None:
    if "--reruns" in case.args:
        pytest.importorskip("pytest_rerunfailures")
    monkeypatch.delenv("PYRAMID_RISK_BASE", raising=False)
    monkeypatch.delenv("PYRAMID_SIGNING_KEY", raising=False)
    # The "no repository" row must not find a repository above the test's directory.
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(pytester.path.parent))
    root = make_project(case.config, **case.files)
    if case.changes is not None:
        _make_repo(root, case.changes)

    if case.subprocess:
        pytest.importorskip("pytest_cov")
        # Autoloading every installed plugin costs seconds per child; load only what is used.
        monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")
        result = pytester.runpytest_subprocess(
            # pytest-timeout too: leaving it out is not harmless (hostile case 308)
            # and hypothesis's (hostile case 358: it fails tests itself)
            "-p", "pytest_pyramid.plugin", "-p", "pytest_cov.plugin", "-p", "pytest_timeout",
            "-p", "_hypothesis_pytestplugin", *case.args
        )
    else:
        pytester.syspathinsert()  # the project's own package, as ``python -m pytest`` would
        result = pytester.runpytest(*case.args)
    output = result.stdout.str()
    verdict = read_verdict()

    for want in case.gates:
        got = _gate(verdict, want.id)
        if want.status == ABSENT:
            assert got == {}, f"{want.id} should not be listed: {got}"
            continue
        assert got, f"gate {want.id} missing; gates: {[g['id'] for g in verdict['gates']]}"
        assert (got["status"], got["actual"], got["threshold"], got["level"]) == (
            want.status, want.actual, want.threshold, want.level
        ), got
        assert got.get("on_missing") == want.on_missing, got
        if want.status == "not_evaluated":
            assert want.on_missing is not None, "a not_evaluated row must name its policy"
        assert want.message in got["message"], got["message"]
    assert verdict["decision"] == case.decision, verdict["reasons"]
    assert any(case.reason in r for r in verdict["reasons"]), verdict["reasons"]
    assert result.ret == case.exit, output
    assert verdict["run"]["pytest_exit"] == case.exit
    if case.extra is not None:
        case.extra(verdict)


SKIPPED_DEP = {"name": "certifi",
               "skip_reason": "Dependency not found on PyPI and could not be audited: certifi (1)"}


def test_audit_that_could_not_audit_blocks_and_is_retried_next_run(
    pytester: pytest.Pytester, make_project: MakeProject, read_verdict: ReadVerdict
) -> None:
    make_project(
        'source = ["pkg"]\n\n[tool.pyramid.gates]\n'
        f'"static.audit" = {{ command = {audit_command()}, on_missing = "fail" }}\n',
        **STATIC_TESTS, **{"pkg/__init__.py": SIMPLE,
                           "fake_pip_audit.py": fake_audit(CLEAN_DEP, SKIPPED_DEP)},
    )
    offline = pytester.runpytest()
    gate = _gate(read_verdict(), "static.audit")
    assert (gate["status"], gate["actual"], gate["threshold"], gate["on_missing"]) == (
        "not_evaluated", None, 0, "fail")
    assert "could not audit 1 of 2 package(s)" in gate["message"]
    assert gate["details"]["skipped"] == {"certifi": SKIPPED_DEP["skip_reason"]}
    assert read_verdict()["decision"] == "blocked"
    assert offline.ret == 1  # every test passed; the unaudited dependencies block

    # The service is reachable again, same day, same environment: the audit runs again
    # instead of the failed attempt being served from the cache.
    (pytester.path / "fake_pip_audit.py").write_text(fake_audit(CLEAN_DEP))
    online = pytester.runpytest()
    gate = _gate(read_verdict(), "static.audit")
    assert (gate["status"], gate["actual"]) == ("pass", 0)
    assert online.ret == 0


def test_pass_rate_message_does_not_count_a_quarantined_failure_as_passed(
    pytester: pytest.Pytester, make_project: MakeProject, read_verdict: ReadVerdict
) -> None:
    make_project(
        "[[tool.pyramid.quarantine]]\n"
        'test = "tests/unit/test_a.py::test_broken"\nowner = "bob"\n'
        'expires = 2999-12-31\nreason = "PAY-123"\n',
        **unit(ONE_FAILS),
    )
    _make_repo(pytester.path, {})  # only a tracked file's entries excuse a failure
    pytester.runpytest()
    gate = _gate(read_verdict(), "tests.pass_rate")
    assert gate["status"] == "pass"
    assert not gate["message"].startswith("2 of 2 executed tests passed"), gate["message"]
