"""Principle: one finishing route. The same seeded project judged serially, under ``-n 2``
and as 1, 2 or 3 CI shards + ``pyramid merge`` gives the same decision, the same per-tier
counts and the same gate statuses (docs/shards.md names what legitimately differs: nothing
that these projects seed).

Each project differs from an all-passing one by one thing: a failure, a module skipped at
import, a gate of a nested conftest (judged on the whole run's data: it passes only when it
sees every test), a tier over its budget, a metric over its threshold.
"""

from __future__ import annotations

import textwrap
from typing import TYPE_CHECKING, Any

import pytest

from pytest_pyramid.cli import main as pyramid
from tests.integration.run.test_duplicate_ids import CASES_CONFTEST

if TYPE_CHECKING:
    from tests.conftest import MakeProject, ReadVerdict

BASE = {
    "tests/unit/test_u.py": "def test_a(): pass\ndef test_b(): pass\ndef test_c(): pass\n",
    "tests/integration/test_i.py": "def test_i(): pass\ndef test_j(): pass\n",
}

#: a gate of tests/unit/conftest.py, which an xdist controller never collects: it passes
#: only on the whole run's data (5 passed), so a shard's or a worker's share fails it
WHOLE_RUN_GATE = """
    from pytest_pyramid.gates import GateResult
    def pytest_pyramid_gates(config, run):
        passed = sum(t.passed for t in run.tiers.values())
        status = "pass" if passed == {want} else "fail"
        return [GateResult("project.whole_run", "block", status, passed, {want})]
"""

#: a gate of a nested conftest that needs its own pytest_configure to have run in the
#: process that judges (the xdist controller imports it late; pyramid merge configures it)
CONFIGURED_GATE = """
    from pytest_pyramid.gates import GateResult
    CONFIGURED = []
    def pytest_configure(config):
        CONFIGURED.append(config)
    def pytest_pyramid_gates(config, run):
        status = "pass" if CONFIGURED and CONFIGURED[-1] is config else "fail"
        return [GateResult("project.configured", "block", status, len(CONFIGURED), 1)]
"""

PROJECTS: dict[str, tuple[str, dict[str, str]]] = {
    "all_pass": ("", {}),
    "one_failure": ("", {"tests/integration/test_i.py":
                         "def test_i(): pass\ndef test_j(): assert False\n"}),
    "skip_at_import": ("", {"tests/e2e/test_e.py": """
        import pytest
        pytestmark = pytest.mark.e2e
        pytest.importorskip("a_module_that_is_not_installed")
        def test_e(): pass
    """, "tests/e2e/test_f.py": "def test_f(): pass\n"}),
    "nested_conftest_gate": ("", {"tests/unit/conftest.py": WHOLE_RUN_GATE.format(want=5)}),
    "nested_conftest_gate_fails": ("", {
        "tests/unit/conftest.py": WHOLE_RUN_GATE.format(want=6)}),
    "configured_conftest_gate": ("", {"tests/unit/conftest.py": CONFIGURED_GATE}),
    # two items of one node id (one passes, one fails): each counts once on every route
    "duplicate_ids": ("", {"tests/unit/conftest.py": CASES_CONFTEST,
                           "tests/unit/test_sums.cases": "sum_one: 2\nsum_one: 3\n"}),
    "budget_overrun": ("[tool.pyramid.tiers.integration]\nbudget = '100ms'\n", {
        "tests/integration/test_i.py":
            "import time\ndef test_i(): time.sleep(0.4)\ndef test_j(): pass\n"}),
    "metric_threshold": ('[tool.pyramid.thresholds]\n"api.ms" = "< 100"\n', {
        "tests/unit/test_m.py": """
            def test_m(pyramid_metric): pyramid_metric("api.ms", 250.0)
            def test_n(pyramid_metric): pyramid_metric("api.ms", 20.0)
        """}),
}

COUNTS = ("collected", "passed", "failed", "errors", "skipped", "xfailed", "xpassed",
          "never_ran", "skipped_modules", "status")


def summary(verdict: dict[str, Any]) -> dict[str, Any]:
    return {
        "decision": verdict["decision"],
        "tiers": {name: {k: tier.get(k) for k in COUNTS}
                  for name, tier in verdict["tiers"].items()},
        "gates": {gate["id"]: gate["status"] for gate in verdict["gates"]},
    }


def _sharded(pytester: pytest.Pytester, total: int, read: ReadVerdict,
             capsys: pytest.CaptureFixture[str]) -> dict[str, Any]:
    for old in pytester.path.glob("pyramid-partial-*"):
        old.unlink()
    for index in range(1, total + 1):
        result = pytester.runpytest(f"--pyramid-shard={index}/{total}")
        assert "INTERNALERROR" not in result.stdout.str()
    capsys.readouterr()
    pyramid(["merge", "--run-id", f"routes-{total}", "."])
    out = capsys.readouterr()
    assert "Traceback" not in out.err, out.err
    return read()


def _serial(pytester: pytest.Pytester, make_project: MakeProject, read: ReadVerdict,
            monkeypatch: pytest.MonkeyPatch, name: str) -> dict[str, Any]:
    """The project written and judged serially: what every other route must give."""
    monkeypatch.delenv("PYRAMID_RUN_ID", raising=False)
    config, files = PROJECTS[name]
    make_project(config, **{path: textwrap.dedent(body)
                            for path, body in {**BASE, **files}.items()})
    monkeypatch.chdir(pytester.path)
    pytester.runpytest()
    verdict = read()
    return {**summary(verdict), "reasons": verdict["reasons"]}


@pytest.mark.parametrize("name", list(PROJECTS))
def test_every_route_judges_alike(
    pytester: pytest.Pytester, make_project: MakeProject, read_verdict: ReadVerdict,
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], name: str,
) -> None:
    serial = _serial(pytester, make_project, read_verdict, monkeypatch, name)
    routes = {"n2": None, "shards-1": 1, "shards-2": 2}
    for route, total in routes.items():
        if total is None:
            pytester.runpytest("-n", "2")
            verdict = read_verdict()
        else:
            verdict = _sharded(pytester, total, read_verdict, capsys)
        assert {**summary(verdict), "reasons": serial["reasons"]} == serial, (
            route, verdict["reasons"])
    expected = {"all_pass": "ready", "skip_at_import": "ready",
                "nested_conftest_gate": "ready",
                "configured_conftest_gate": "ready"}.get(name, "blocked")
    assert serial["decision"] == expected, serial["reasons"]


@pytest.mark.slow
@pytest.mark.parametrize("name", ["one_failure", "nested_conftest_gate", "budget_overrun"])
def test_three_shards_judge_as_one_run(
    pytester: pytest.Pytester, make_project: MakeProject, read_verdict: ReadVerdict,
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], name: str,
) -> None:
    serial = _serial(pytester, make_project, read_verdict, monkeypatch, name)
    merged = _sharded(pytester, 3, read_verdict, capsys)
    assert {**summary(merged), "reasons": serial["reasons"]} == serial, merged["reasons"]
