"""The GateEngine: strict [tool.pyramid.gates] parsing, evaluation of a RunSummary, the static
gate cache, and end-to-end pytester runs reading the written verdict."""

from __future__ import annotations

import datetime as dt
import json
import textwrap
from typing import TYPE_CHECKING, Any, cast

import pytest

from pytest_pyramid.config import parse_settings
from pytest_pyramid.errors import ConfigError
from pytest_pyramid.gates import complexity
from pytest_pyramid.gates.engine import GateEngine, discover, parse_gate_overrides
from pytest_pyramid.run.summary import MetricSample, RunSummary, TestOutcome, TierStats
from pytest_pyramid.verdict import schema_errors
from tests.git_repo import git, init_repo
from tests.support.gates.discovery import expected_gates

if TYPE_CHECKING:
    from pathlib import Path

SRC = "pyproject.toml"
TODAY = dt.date(2026, 11, 26)
TIERS = ("unit", "integration", "contract", "e2e", "performance", "security")


def engine(tmp_path: Path, table: dict[str, Any], **kwargs: Any) -> GateEngine:
    settings = parse_settings(table, SRC, tmp_path, {})
    return GateEngine.from_settings(settings, today=TODAY, environ={}, **kwargs)


def run_summary(*, security: bool = False, **extra: Any) -> RunSummary:
    tiers = {name: TierStats(name, selected=True) for name in TIERS}
    tiers["unit"].collected = tiers["unit"].passed = 3
    if security:
        tiers["security"].collected = tiers["security"].passed = 1
    return RunSummary(tiers=tiers, selected_tiers=TIERS, **extra)


def write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))


# --- [tool.pyramid.gates] -------------------------------------------------------------------


def test_adding_a_gate_is_adding_a_spec_file(tmp_path: Path) -> None:
    """The engine knows no gate by name: every SPEC in gates/specs/ is found and run."""
    from pytest_pyramid.gates.engine import discover
    from pytest_pyramid.gates.spec import GateSpec

    ids = [spec.id for spec in discover()]
    assert ids[:4] == ["tests.pass_rate", "budget.*", "tests.pytest_status", "metric.*"]
    assert len(ids) == len(set(ids))
    assert all(isinstance(spec, GateSpec) for spec in discover())


#: the defaults the docs promise for the built-in gates
DEFAULTS = {
    "tests.flaky": ("warn", "fail"),
    "tests.flaky_on_arrival": ("block", "warn"),
    "tests.quarantine": ("block", "fail"),
    "pyramid.shape": ("warn", "fail"),
    "static.complexity": ("warn", "fail"),
    "static.duplication": ("block", "fail"),
    "static.security": ("block", "fail"),
    "static.audit": ("block", "warn"),
    "risk.approval": ("approve", "approve"),
}


def test_gate_defaults() -> None:
    gates = parse_gate_overrides(None, SRC)
    # every configurable spec, in report order (a gate file added later brings its own
    # defaults: no edit here)
    assert list(gates) == [spec.id for spec in discover() if spec.configurable]
    assert {g: (gates[g].level, gates[g].on_missing) for g in DEFAULTS} == DEFAULTS
    assert gates["static.complexity"].options == {"threshold": 10}
    assert gates["static.duplication"].options == {"threshold": 3.0, "min_tokens": 50,
                                                   "min_lines": 5}


def test_gate_overrides() -> None:
    gates = parse_gate_overrides({
        "static.complexity": "block",
        "static.duplication": {"threshold": 5, "min_tokens": 70},
        "static.security": {"max_medium": 0, "min_confidence": "medium"},
        "tests.flaky": {"level": "approve", "threshold": 2, "on_missing": "skip"},
    }, SRC)
    assert gates["static.complexity"].level == "block"
    assert gates["static.duplication"].options["threshold"] == 5.0
    assert gates["static.duplication"].level == "block"
    assert gates["static.security"].options["max_medium"] == 0
    flaky = gates["tests.flaky"]
    assert (flaky.level, flaky.on_missing, flaky.options["threshold"]) == ("approve", "skip", 2)


@pytest.mark.parametrize(
    ("table", "key", "why"),
    [
        ({"complexity": "block"}, "gates.complexity", "unknown gate id; known: tests.flaky"),
        ({"metric.api.p95_ms": "warn"}, 'gates."metric.api.p95_ms"', "[tool.pyramid.thresholds]"),
        ({"static.complexity": "error"}, 'gates."static.complexity"', "one of block, approve"),
        ({"static.complexity": {"level": "error"}}, 'gates."static.complexity".level', "one of"),
        ({"static.complexity": 3}, 'gates."static.complexity"', "level string or a table"),
        ({"static.complexity": {"treshold": 3}}, 'gates."static.complexity".treshold',
         "unknown option; known: level, on_missing, threshold"),
        ({"static.complexity": {"threshold": 0}}, 'gates."static.complexity".threshold', ">= 1"),
        ({"static.duplication": {"threshold": 101}}, 'gates."static.duplication".threshold',
         "between 0 and 100"),
        ({"static.security": {"threshold": 1}}, 'gates."static.security".threshold',
         "max_high"),
        ({"static.security": {"min_confidence": "sure"}},
         'gates."static.security".min_confidence', "low, medium, high"),
        ({"static.audit": {"on_missing": "pass"}}, 'gates."static.audit".on_missing', "one of"),
        ({"static.audit": {"requirements": "req.txt"}}, 'gates."static.audit".requirements',
         "list"),
        ({"tests.flaky": {"threshold": -1}}, 'gates."tests.flaky".threshold', ">= 0"),
    ],
)
def test_gate_override_errors(table: dict[str, object], key: str, why: str) -> None:
    with pytest.raises(ConfigError) as info:
        parse_gate_overrides(table, SRC)
    assert str(info.value).startswith(f"{SRC}: [tool.pyramid] {key} = ")
    assert why in str(info.value)


@pytest.mark.parametrize(
    ("table", "why"),
    [
        ({"thresholds": {"x": "500"}}, "expected"),
        ({"quarantine": [{"test": "a"}]}, "owner"),
        ({"shape": {"targets": {"unit": 0.5}, "level": "warn"},
          "gates": {"pyramid.shape": "block"}}, "set it in one place"),
        ({"static": {"enabled": "sometimes"}}, "static.enabled"),
        ({"risk": {"approval_from": "always"}}, "risk.approval_from"),
    ],
)
def test_from_settings_fails_at_start_up(tmp_path: Path, table: dict[str, Any], why: str) -> None:
    with pytest.raises(ConfigError, match=why.replace(".", r"\.").replace("[", r"\[")):
        engine(tmp_path, table)


# --- evaluation -----------------------------------------------------------------------------


def test_evaluate_run_summary(tmp_path: Path) -> None:
    eng = engine(tmp_path, {
        "thresholds": {"api.p95_ms": "p95 < 500", "never": {"threshold": "< 1", "level": "warn"}},
        "quarantine": [{"test": "t.py::old", "owner": "bob", "expires": "2026-01-01",
                        "reason": "x"}],
        "shape": {"targets": {"unit": 1.0}, "min_tests": 1},
        "gates": {"static.audit": "off"},
    })
    run = run_summary(
        metrics=[MetricSample("api.p95_ms", v, "unit", "t.py::a") for v in (612.0, 300.0, 100.0)],
        outcomes={"t.py::f": TestOutcome("t.py::f", "unit", "passed", reruns=1)},
    )
    gates = {g.id: g for g in eng.pytest_pyramid_gates(config=None, run=run)}  # type: ignore[arg-type]
    # no base and no arrival row: flaky on arrival has nothing to state, so it is not listed
    assert list(gates) == expected_gates(
        eng.setup, off={"static.audit"}, quiet={"tests.flaky_on_arrival"}, members={
            "budget.*": ["budget.unit"], "metric.*": ["metric.api.p95_ms", "metric.never"]})
    assert gates["metric.api.p95_ms"].message == "p95 of 3 samples = 612 >= 500 (limit p95 < 500)"
    assert gates["metric.never"].status == "not_evaluated"
    assert (gates["tests.flaky"].status, gates["tests.quarantine"].status) == ("fail", "fail")
    assert gates["pyramid.shape"].status == "pass"
    # The security tier has no tests and static is "auto": static gates say why they did not run.
    static = gates["static.security"]
    assert (static.status, static.on_missing) == ("not_evaluated", "skip")
    assert "security tier, which has no tests" in static.message
    sections = eng.pytest_pyramid_verdict_sections(config=None, run=run)  # type: ignore[arg-type]
    assert set(sections) == {"metrics", "flaky"}
    assert cast("dict[str, Any]", sections["metrics"])["api.p95_ms"]["value"] == 612.0
    assert sections["flaky"] == [{"nodeid": "t.py::f", "tier": "unit", "reruns": 1,
                                  "quarantined": False}]
    assert eng.evaluate(run) is eng.evaluate(run)  # computed once per run


def test_off_gates_are_not_emitted(tmp_path: Path) -> None:
    # every gate [tool.pyramid.gates] can switch off
    off = {spec.id for spec in discover() if spec.configurable}
    eng = engine(tmp_path, {"gates": dict.fromkeys(off, "off")})
    gates = eng.evaluate(run_summary(security=True)).gates
    # the pass rate, the budgets and pytest's status cannot be switched off here: they are
    # the run itself
    assert [g.id for g in gates] == expected_gates(eng.setup, off=off, members={
        "budget.*": ["budget.unit", "budget.security"], "metric.*": []})
    assert {g.id for g in gates} >= {"tests.pass_rate", "tests.pytest_status"}


def test_static_gates_without_source_are_not_evaluated(tmp_path: Path) -> None:
    eng = engine(tmp_path, {"gates": {"static.audit": "off", "tests.flaky": "off"}})
    everything = eng.evaluate(run_summary(security=True)).gates
    gates = [g for g in everything if g.id.startswith("static.")]
    static = [spec.id for spec in discover()
              if spec.id.startswith("static.") and spec.id != "static.audit"]
    assert len(static) >= 3  # complexity, duplication, security at least
    assert [(g.id, g.status, g.on_missing) for g in gates] == [
        (gate_id, "not_evaluated", "fail") for gate_id in static]
    assert 'set top-level source = ["pkg"]' in gates[0].message


VULNERABLE = """\
import subprocess


def run(cmd):
    return subprocess.call(cmd, shell=True)
"""


def test_static_gates_run_write_sarif_and_are_cached(tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path, {"pkg/__init__.py": "", "pkg/run.py": VULNERABLE})
    table: dict[str, Any] = {"source": ["pkg"],
                             "gates": {"static.audit": "off", "tests.flaky": "off"}}
    first = engine(tmp_path, table).evaluate(run_summary(security=True))
    by_id = {g.id: g for g in first.gates}
    assert by_id["static.security"].status == "fail"
    assert by_id["static.complexity"].status == "pass"
    assert first.sections["artifacts"] == {"sarif": ".pyramid/bandit.sarif"}
    sarif = json.loads((tmp_path / ".pyramid" / "bandit.sarif").read_text())
    assert sarif["version"] == "2.1.0"
    cache_dir = tmp_path / ".pyramid" / "cache"
    assert sorted(p.name for p in cache_dir.iterdir()) == [
        "static.complexity.json", "static.duplication.json", "static.security.json"
    ]

    # A rerun on unchanged sources reads the cache: the tools are not run again.
    def boom(*args: object, **kwargs: object) -> None:
        raise AssertionError("the cache was not used")

    monkeypatch.setattr(complexity, "measure", boom)
    monkeypatch.setattr("pytest_pyramid.gates.security.run_bandit", boom)
    (tmp_path / ".pyramid" / "bandit.sarif").unlink()
    again = engine(tmp_path, table).evaluate(run_summary(security=True))
    assert [g.to_json() for g in again.gates] == [g.to_json() for g in first.gates]
    assert (tmp_path / ".pyramid" / "bandit.sarif").is_file()  # restored from the cache

    # A level override applies to a cached result without recomputing it.
    relevel = {**table, "gates": {**table["gates"], "static.complexity": "block"}}
    cached = {g.id: g for g in engine(tmp_path, relevel).evaluate(run_summary(security=True)).gates}
    assert cached["static.complexity"].level == "block"

    # Changing a source file invalidates the cache.
    (tmp_path / "pkg" / "run.py").write_text("x = 1\n")
    with pytest.raises(AssertionError, match="cache was not used"):
        engine(tmp_path, table).evaluate(run_summary(security=True))


def test_risk_section_and_gate_from_env_base(tmp_path: Path) -> None:
    settings = parse_settings({}, SRC, tmp_path, {})
    eng = GateEngine.from_settings(settings, environ={"PYRAMID_RISK_BASE": "origin/main"})
    result = eng.evaluate(run_summary())
    risk_gate = next(g for g in result.gates if g.id == "risk.approval")
    assert risk_gate.status == "not_evaluated"  # tmp_path is no git work tree
    risk_section: dict[str, Any] = result.sections["risk"]  # type: ignore[assignment]
    assert (risk_section["level"], risk_section["assessed"]) == ("high", False)
    plain = engine(tmp_path, {}).evaluate(run_summary())  # not configured: no risk at all
    assert "risk" not in plain.sections
    assert "risk.approval" not in {g.id for g in plain.gates}


# --- end to end (pytester) ------------------------------------------------------------------

PYPROJECT = """
[tool.pytest.ini_options]
addopts = "-p no:cacheprovider -p no:randomly"

[tool.pyramid]
"""


def project(pytester: pytest.Pytester, config: str, **files: str) -> None:
    pytester.makefile(".toml", pyproject=PYPROJECT + textwrap.dedent(config))
    write(pytester.path, files)


def verdict(pytester: pytest.Pytester) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((pytester.path / "pyramid-verdict.json").read_text())
    assert schema_errors(data) == []
    return data


def gate(data: dict[str, Any], gate_id: str) -> dict[str, Any]:
    found: dict[str, Any] = next(g for g in data["gates"] if g["id"] == gate_id)
    return found


METRIC_TEST = """
    def test_latency(pyramid_metric):
        for value in VALUES:
            pyramid_metric("api.p95_ms", value, endpoint="/items")
"""


@pytest.mark.parametrize(
    ("values", "decision", "status"),
    [("(120, 340)", "ready", "pass"), ("(120, 640)", "blocked", "fail"),
     ("()", "blocked", "not_evaluated")],
)
def test_e2e_metric_threshold(pytester: pytest.Pytester, values: str, decision: str,
                              status: str) -> None:
    project(pytester, """
        [tool.pyramid.thresholds]
        "api.p95_ms" = "p95 < 500"
    """, **{"tests/unit/test_perf.py": f"VALUES = {values}\n" + textwrap.dedent(METRIC_TEST)})
    result = pytester.runpytest()
    data = verdict(pytester)
    assert data["decision"] == decision
    assert gate(data, "metric.api.p95_ms")["status"] == status
    if status != "not_evaluated":
        samples = data["metrics"]["api.p95_ms"]["samples"]
        assert samples[0] == {
            "value": 120.0, "tier": "unit", "nodeid": "tests/unit/test_perf.py::test_latency",
            "tags": {"endpoint": "/items"},
        }
    assert result.ret == (0 if decision == "ready" else 1)


def test_e2e_bad_config_is_a_usage_error(pytester: pytest.Pytester) -> None:
    project(pytester, """
        [tool.pyramid.thresholds]
        "api.p95_ms" = "p95 << 500"
    """, **{"tests/unit/test_a.py": "def test_a(): pass\n"})
    result = pytester.runpytest()
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(['*pyproject.toml: [[]tool.pyramid[]] thresholds."api.p95_ms" = '
                                 "'p95 << 500': expected*"])


#: an entry whose last day was 2020-01-31
EXPIRED_ENTRY = """
    [[tool.pyramid.quarantine]]
    test = "tests/unit/test_q.py::test_known"
    owner = "alice"
    expires = 2020-01-31
    reason = "sandbox times out"
"""


def test_e2e_flaky_with_rerunfailures_and_expired_quarantine(pytester: pytest.Pytester) -> None:
    pytest.importorskip("pytest_rerunfailures")
    project(pytester, EXPIRED_ENTRY, **{
        "tests/unit/test_flaky.py": """
            from pathlib import Path

            def test_flaky(tmp_path_factory):
                marker = Path(__file__).with_suffix(".ran")
                if not marker.exists():
                    marker.write_text("1")
                    raise AssertionError("first attempt fails")
        """,
        "tests/unit/test_q.py": "def test_known(): pass\n",
    })
    pytester.runpytest("--reruns", "1")
    data = verdict(pytester)
    flaky = gate(data, "tests.flaky")
    assert (flaky["status"], flaky["level"], flaky["actual"]) == ("fail", "warn", 1)
    assert data["flaky"] == [{"nodeid": "tests/unit/test_flaky.py::test_flaky", "tier": "unit",
                              "reruns": 1, "quarantined": False}]
    quarantine = gate(data, "tests.quarantine")
    assert (quarantine["status"], quarantine["level"]) == ("fail", "block")
    assert "tests/unit/test_q.py::test_known (owner alice, expired 2020-01-31" in (
        quarantine["message"]
    )
    assert data["decision"] == "blocked"


def test_e2e_a_clock_the_tests_froze_does_not_judge(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    # hostile cases 200 and 215: the gates and a shard's partial writer run after the session
    # in the tests' process; a clock a conftest froze (and never put back) kept an expired
    # entry alive and made a shard's try "later" than its CI re-run
    frozen = 1577836800.0  # 2020-01-01, before the entry's last day
    import time

    # the inner run is in process: its conftest replaces this process's time.time, which
    # monkeypatch puts back after the test
    monkeypatch.setattr(time, "time", time.time)
    project(pytester, EXPIRED_ENTRY, **{
        "tests/conftest.py": f"import time\ntime.time = lambda: {frozen}\n",
        "tests/unit/test_q.py": "def test_known(): assert False\n",
        "tests/unit/test_a.py": f"import time\ndef test_a(): assert time.time() == {frozen!r}\n",
    })
    pytester.runpytest()
    data = verdict(pytester)
    quarantine = gate(data, "tests.quarantine")
    assert (quarantine["status"], data["decision"]) == ("fail", "blocked")
    assert "expired 2020-01-31" in quarantine["message"]
    assert data["created_at"] > "2021"
    monkeypatch.setenv("PYRAMID_RUN_ID", "run-clock")
    pytester.runpytest("--pyramid-shard=1/2")
    partial = json.loads((pytester.path / "pyramid-partial-1-of-2.json").read_text())
    assert partial["attempt"]["finished"] > frozen + 86400 * 365


def test_e2e_static_gates_with_security_tier(pytester: pytest.Pytester) -> None:
    project(pytester, """
        source = ["pkg"]

        [tool.pyramid.gates]
        "static.audit" = "off"
        "static.duplication" = { threshold = 50 }
    """, **{
        "pkg/__init__.py": "",
        "pkg/run.py": VULNERABLE,
        "tests/unit/test_a.py": "def test_a(): pass\n",
        "tests/security/test_sec.py": "def test_headers(): pass\n",
    })
    pytester.runpytest()
    data = verdict(pytester)
    security = gate(data, "static.security")
    assert security["status"] == "fail"
    assert {"file": "pkg/run.py", "line": 5, "rule": "B602"}.items() <= (
        security["details"]["findings"][0].items()
    )
    assert data["artifacts"] == {"sarif": ".pyramid/bandit.sarif"}
    assert (pytester.path / ".pyramid" / "bandit.sarif").is_file()
    assert gate(data, "static.complexity")["status"] == "pass"
    assert data["decision"] == "blocked"

    # --tier unit leaves the security tier out: the static gates do not run, and say why.
    pytester.runpytest("--tier", "unit")
    skipped = gate(verdict(pytester), "static.security")
    assert (skipped["status"], skipped["on_missing"]) == ("not_evaluated", "skip")
    assert "security tier was not selected" in skipped["message"]


def test_e2e_risk_needs_approval_in_a_real_repo(pytester: pytest.Pytester) -> None:
    project(pytester, """
        [tool.pyramid.risk]
        base = "main"
    """, **{"tests/unit/test_a.py": "def test_a(): pass\n"})
    init_repo(pytester.path, message="base")
    git(pytester.path, "checkout", "-q", "-b", "feature")
    write(pytester.path, {"app/migrations/0002_users.py": "op = 1\n"})
    pytester.runpytest()
    data = verdict(pytester)
    assert data["decision"] == "needs_approval"
    assert data["risk"]["level"] == "medium"
    assert data["risk"]["required_approvals"] == 2
    assert data["risk"]["factors"][0]["evidence"] == ["app/migrations/0002_users.py"]
    approval = gate(data, "risk.approval")
    assert approval["status"] == "fail"
    assert any("needs 2 approval(s) from tech_lead, product_owner" in r for r in data["reasons"])
