"""The first hour on a real project (issue 15): adding pytest-pyramid must not break a
passing suite. Each test is a pytester project shaped like a real one - markers named
otherwise, a setup.cfg project, a conftest plugin, slow tests under ``-n 2`` - run for real,
serially and under xdist where it matters. Nothing here depends on the machine's speed."""

from __future__ import annotations

import textwrap
from typing import TYPE_CHECKING

import pytest

from pytest_pyramid.verdict.report_data import budget_use
from tests.conftest import LEAN_ADDOPTS

if TYPE_CHECKING:
    from pathlib import Path

    from tests.conftest import MakeProject, ReadVerdict

TWO_TIERS = {
    "tests/unit/test_u.py": "def test_a(): pass\ndef test_b(): pass\n",
    "tests/integration/test_i.py": "def test_i(): pass\n",
}
COVERAGE = """
[tool.pyramid.tiers.unit]
coverage = 80
[tool.pyramid.coverage]
total = 80
"""
WORKERS = pytest.mark.parametrize("workers", [0, 2], ids=["serial", "n2"])


def xdist(workers: int) -> list[str]:
    return ["-n", str(workers)] if workers else []


# -- 1. a partial run is never blocked by gates it cannot judge --------------------------------


@WORKERS
def test_the_pre_commit_command_passes_with_coverage_thresholds_and_no_cov(
    pytester: pytest.Pytester, make_project: MakeProject, read_verdict: ReadVerdict,
    workers: int,
) -> None:
    make_project(COVERAGE, **TWO_TIERS)
    result = pytester.runpytest("--pyramid-tier=fast", *xdist(workers))
    assert result.ret == 0  # pytest's own: every test passed
    data = read_verdict()
    assert data["decision"] == "incomplete"
    coverage = {g["id"]: g for g in data["gates"] if g["id"].startswith("coverage.")}
    assert coverage["coverage.unit"]["status"] == "not_evaluated"
    assert any("coverage.unit" in r and "not judged in a partial run" in r
               for r in data["reasons"])
    assert any("required tier integration did not run (not selected)" in r
               for r in data["reasons"])
    result.stdout.fnmatch_lines(["not judged (partial run): coverage.unit*"])


def test_the_whole_suite_without_cov_is_still_blocked_by_coverage(
    pytester: pytest.Pytester, make_project: MakeProject, read_verdict: ReadVerdict
) -> None:
    make_project(COVERAGE, **TWO_TIERS)
    result = pytester.runpytest()
    assert result.ret == 1
    assert read_verdict()["decision"] == "blocked"
    assert "not judged" not in result.stdout.str()


@WORKERS
def test_a_gate_that_failed_on_evidence_still_blocks_a_partial_run(
    pytester: pytest.Pytester, make_project: MakeProject, read_verdict: ReadVerdict,
    workers: int,
) -> None:
    make_project(
        COVERAGE + '[tool.pyramid.thresholds]\n"api.p95_ms" = "< 100"\n',
        **{**TWO_TIERS, "tests/unit/test_m.py":
           "def test_m(pyramid_metric): pyramid_metric('api.p95_ms', 250)\n"},
    )
    result = pytester.runpytest("--pyramid-tier=fast", *xdist(workers))
    assert result.ret == 1
    data = read_verdict()
    assert data["decision"] == "blocked"
    assert data["reasons"][0].startswith("gate metric.api.p95_ms")


# -- 2. no per-test kill limits nobody asked for ------------------------------------------------

TIMER_PROBE = """
import signal
def test_no_timer_armed(request):
    assert request.node.get_closest_marker("timeout") is None
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)
"""


@WORKERS
def test_a_default_run_arms_no_per_test_limit(
    pytester: pytest.Pytester, make_project: MakeProject, read_verdict: ReadVerdict,
    workers: int,
) -> None:
    make_project(**{"tests/unit/test_t.py": TIMER_PROBE,
                    "tests/e2e/test_e.py": TIMER_PROBE.replace("test_no", "test_e2e_no")})
    result = pytester.runpytest(*xdist(workers))
    result.assert_outcomes(passed=2)
    if not workers:
        result.stdout.fnmatch_lines(["pyramid: per-test limits: none*"])
    assert {t["test_timeout_s"] for t in read_verdict()["tiers"].values()} == {None}


def test_a_configured_limit_is_armed_for_its_tier_only(
    pytester: pytest.Pytester, make_project: MakeProject
) -> None:
    make_project(
        "[tool.pyramid.tiers.e2e]\ntest_timeout = '30s'\n",
        **{"tests/unit/test_t.py": TIMER_PROBE,
           "tests/e2e/test_e.py": "import signal\ndef test_armed():\n"
                                  "    assert 0 < signal.getitimer(signal.ITIMER_REAL)[0] <= 30\n"},
    )
    pytester.runpytest().assert_outcomes(passed=2)


# -- 3. budgets mean the same serial and parallel ---------------------------------------------

SLEEPY = {f"tests/unit/test_s{i}.py": "import time\ndef test_s(): time.sleep(0.2)\n"
          for i in range(4)}


@WORKERS
@pytest.mark.parametrize("basis", ["wall", "sum"])
def test_a_budget_judges_the_tiers_wall_time_unless_told_to_sum(
    pytester: pytest.Pytester, make_project: MakeProject, read_verdict: ReadVerdict,
    workers: int, basis: str,
) -> None:
    extra = "" if basis == "wall" else 'budget_basis = "sum"\n'
    make_project(extra + "[tool.pyramid.tiers.unit]\nbudget = '1h'\n", **SLEEPY)
    pytester.runpytest(*xdist(workers)).assert_outcomes(passed=4)
    data = read_verdict()
    tier = data["tiers"]["unit"]
    (gate,) = [g for g in data["gates"] if g["id"] == "budget.unit"]
    figure = tier["wall_time_s"] if basis == "wall" else tier["test_time_s"]
    assert gate["actual"] == pytest.approx(figure, abs=1e-3)
    assert gate["details"]["basis"] == basis
    assert gate["details"]["test_time_s"] == pytest.approx(tier["test_time_s"], abs=1e-3)
    # the reports (HTML, step summary, terminal, SVG) show the figure the gate judged
    assert tier["budget_basis"] == basis
    assert budget_use(tier) == (pytest.approx(gate["actual"], abs=1e-3), 3600.0)  # type: ignore[comparison-overlap]
    # every test's own span lies within the tier's: its wall time is at least the longest test
    longest = max(t["duration_s"] for t in tier["slowest"])
    assert tier["wall_time_s"] >= longest - 1e-3


# -- 4. existing markers, custom rules, late markers -------------------------------------------

MARKED = {
    "tests/test_mixed.py": """
        import pytest
        def test_plain(): pass
        @pytest.mark.slow
        def test_slow(): pass
        @pytest.mark.network
        def test_online(): pass
        @pytest.mark.slow
        @pytest.mark.network
        def test_slow_online(): pass
        @pytest.mark.all_locales
        def test_locales(): pass
    """,
}
MARKER_TIERS = """
[tool.pyramid.tiers.integration]
markers = ["slow", "all_locales"]
[tool.pyramid.tiers.e2e]
markers = ["network and not slow"]
"""
STRICT_MARKERS = """
markers = ["slow: slow", "network: network", "all_locales: every locale", "dev_server: server"]
"""


def tiers_of(data: dict[str, object]) -> dict[str, int]:
    tiers = data["tiers"]
    assert isinstance(tiers, dict)
    return {name: t["collected"] for name, t in tiers.items() if t["collected"]}


@WORKERS
def test_existing_markers_map_to_tiers(
    pytester: pytest.Pytester, make_project: MakeProject, read_verdict: ReadVerdict,
    workers: int,
) -> None:
    make_project(MARKER_TIERS, ini=STRICT_MARKERS, addopts="--strict-markers", **MARKED)
    pytester.runpytest(*xdist(workers)).assert_outcomes(passed=5)
    # slow -> integration; network without slow -> e2e; slow and network: the later tier's
    # rule does not match, integration's does
    assert tiers_of(read_verdict()) == {"unit": 1, "integration": 3, "e2e": 1}
    result = pytester.runpytest("-m", "integration", *xdist(workers))
    result.assert_outcomes(passed=3, deselected=0 if workers else 2)


def test_a_marker_in_two_tiers_or_a_bad_expression_is_a_usage_error(
    pytester: pytest.Pytester, make_project: MakeProject
) -> None:
    make_project(MARKER_TIERS + '[tool.pyramid.tiers.contract]\nmarkers = ["slow"]\n',
                 **MARKED)
    result = pytester.runpytest()
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*tiers.contract.markers*already puts tests in tier integration"])
    make_project('[tool.pyramid.tiers.e2e]\nmarkers = ["network and"]\n', **MARKED)
    result = pytester.runpytest()
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*'network and' is not a marker expression*"])


CONFTEST_RULE = """
def pytest_pyramid_tier(item):
    if "live" in getattr(item, "fixturenames", ()):
        return "e2e"
    if item.name == "test_unknown":
        return None
"""
SERVER_TESTS = {
    "tests/test_server.py": """
        import pytest
        @pytest.fixture
        def live(): return "http://127.0.0.1"
        def test_page(live): pass
        def test_unknown(): pass
        @pytest.mark.unit
        def test_marked(live): pass
    """,
}


@WORKERS
def test_a_conftest_rule_through_the_pytest_pyramid_tier_hook(
    pytester: pytest.Pytester, make_project: MakeProject, read_verdict: ReadVerdict,
    workers: int,
) -> None:
    make_project(**{"conftest.py": CONFTEST_RULE, **SERVER_TESTS})
    pytester.runpytest(*xdist(workers)).assert_outcomes(passed=3)
    # the hook's answer; None leaves the test to paths and default; a tier marker wins
    assert tiers_of(read_verdict()) == {"unit": 2, "e2e": 1}


def test_a_hook_answer_that_is_no_tier_names_the_test(
    pytester: pytest.Pytester, make_project: MakeProject
) -> None:
    make_project(**{"conftest.py": "def pytest_pyramid_tier(item): return 'smoke'\n",
                    **SERVER_TESTS})
    result = pytester.runpytest()
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        ["*tests/test_server.py::test_page: pytest_pyramid_tier returned 'smoke', not a tier*"]
    )


LATE_TIER = """
import pytest
def pytest_collection_modifyitems(items):
    for item in items:
        if item.name == "test_b":
            item.add_marker(pytest.mark.e2e)
"""
LATE_MAPPED = LATE_TIER.replace("pytest.mark.e2e", "pytest.mark.slow")


@WORKERS
def test_a_tier_marker_added_after_assignment_names_the_test(
    pytester: pytest.Pytester, make_project: MakeProject, read_verdict: ReadVerdict,
    workers: int,
) -> None:
    what = "tier marker 'e2e'"
    make_project('[tool.pyramid.tiers.integration]\nmarkers = ["slow"]\n',
                 ini=STRICT_MARKERS, **{"conftest.py": LATE_TIER, **TWO_TIERS})
    result = pytester.runpytest(*xdist(workers))
    assert result.ret != 0
    assert read_verdict()["decision"] == "incomplete"
    if workers:  # xdist reports a worker's usage error as its own internal error
        return
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    text = result.stderr.str()
    assert f"tests/unit/test_u.py::test_b: got {what} after pytest-pyramid put it in tier" in text
    assert "pytest_itemcollected" in text


@WORKERS
def test_a_mapped_marker_added_by_a_later_hook_moves_the_test(
    pytester: pytest.Pytester, make_project: MakeProject, read_verdict: ReadVerdict,
    workers: int,
) -> None:
    make_project('[tool.pyramid.tiers.integration]\nmarkers = ["slow"]\n',
                 ini=STRICT_MARKERS, **{"conftest.py": LATE_MAPPED, **TWO_TIERS})
    result = pytester.runpytest(*xdist(workers))
    result.assert_outcomes(passed=3)
    assert tiers_of(read_verdict()) == {"unit": 1, "integration": 2}


HYPOTHESIS_TESTS = {
    "tests/unit/test_props.py": """
        from hypothesis import given, settings, strategies as st

        @settings(max_examples=5, database=None)
        @given(st.integers())
        def test_round_trip(n):
            assert int(str(n)) == n

        @settings(max_examples=5, database=None)
        @given(st.text())
        def test_strip(s):
            assert s.strip() == s.strip().strip()

        def test_plain():
            pass
    """,
    "tests/integration/test_i.py": "def test_i(): pass\n",
}


def hypothesis_project(pytester: pytest.Pytester) -> None:
    """A project whose Hypothesis tests form a tier of their own, by the marker Hypothesis's
    plugin adds at collection (not in the test files): the plugin stays on here."""
    lean = LEAN_ADDOPTS  # hypothesis's plugin is never left out (hostile case 358)
    pytester.makefile(".toml", pyproject=textwrap.dedent(f"""
        [tool.pytest.ini_options]
        addopts = "{lean} --strict-markers"
        [tool.pyramid.tiers.property]
        after = "unit"
        markers = ["hypothesis"]
    """))
    for name, body in HYPOTHESIS_TESTS.items():
        path = pytester.path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(body))


@WORKERS
def test_hypothesis_tests_map_to_a_tier_by_the_marker_its_plugin_adds(
    pytester: pytest.Pytester, read_verdict: ReadVerdict, workers: int
) -> None:
    hypothesis_project(pytester)
    result = pytester.runpytest(*xdist(workers))
    result.assert_outcomes(passed=4)
    assert tiers_of(read_verdict()) == {"unit": 1, "property": 2, "integration": 1}
    # selecting the tier: Hypothesis marked every test before the other tiers were dropped
    result = pytester.runpytest("--pyramid-tier=property", "-v", *xdist(workers))
    result.assert_outcomes(passed=2)
    out = result.stdout.str()
    assert "test_props.py::test_round_trip" in out
    assert "test_props.py::test_strip" in out
    data = read_verdict()
    assert tiers_of(data) == {"unit": 1, "property": 2, "integration": 1}
    assert data["run"]["selected_tiers"] == ["property"]


def test_a_marker_added_while_collecting_is_honoured(
    pytester: pytest.Pytester, make_project: MakeProject, read_verdict: ReadVerdict
) -> None:
    early = textwrap.dedent("""
        import pytest
        def pytest_itemcollected(item):
            if item.name == "test_b":
                item.add_marker(pytest.mark.e2e)
    """)
    make_project(**{"conftest.py": early, **TWO_TIERS})
    pytester.runpytest().assert_outcomes(passed=3)
    assert tiers_of(read_verdict()) == {"unit": 1, "integration": 1, "e2e": 1}


# -- 5. the off switch leaves the markers alone -----------------------------------------------


def test_the_off_switch_keeps_the_tier_markers_registered(pytester: pytest.Pytester) -> None:
    pytester.makefile(".toml", pyproject=textwrap.dedent(f"""
        [tool.pytest.ini_options]
        addopts = "{LEAN_ADDOPTS} --strict-markers"
        filterwarnings = ["error"]
        [tool.pyramid.tiers.smoke]
        after = "unit"
    """))
    pytester.makepyfile(test_m="""
        import pytest
        @pytest.mark.e2e
        def test_e(): pass
        @pytest.mark.smoke
        def test_s(): pass
    """)
    result = pytester.runpytest("-p", "no:pyramid")
    result.assert_outcomes(passed=2)
    assert not (pytester.path / "pyramid-verdict.json").exists()
    result = pytester.runpytest("-p", "no:pyramid", "--markers")
    result.stdout.fnmatch_lines(["@pytest.mark.e2e: pyramid tier*", "@pytest.mark.smoke: *"])


def every_pyramid_ini_key() -> dict[str, str]:
    from pytest_pyramid.markers import INI_ONLY, OPTIONS

    keys = [(ini, flag) for _, _, ini, _, flag in OPTIONS] + [(i, f) for i, _, f in INI_ONLY]
    values = {"pyramid_tier": "unit", "pyramid_default_tier": "unit", "pyramid_shard": "1/1",
              "pyramid_target": "http://127.0.0.1:1"}
    return {ini: "false" if flag else values.get(ini, "x.json") for ini, flag in keys}


@pytest.mark.parametrize("strict", [[], ["--strict-config"]], ids=["plain", "strict_config"])
def test_what_a_project_writes_for_pyramid_loads_with_the_plugin_off(
    pytester: pytest.Pytester, strict: list[str]
) -> None:
    """A conftest hook and every pyramid_* ini key: -p no:pyramid runs the suite as pytest
    would (exit 0), not exit 3 (unknown hook) or 4 (unknown ini key under --strict-config)."""
    keys = every_pyramid_ini_key()
    assert len(keys) >= 12  # every key of both tables, not an empty loop
    ini = "\n".join(f'{key} = "{value}"' for key, value in keys.items())
    pytester.makefile(".toml", pyproject=f"""
[tool.pytest.ini_options]
addopts = "{LEAN_ADDOPTS} --strict-markers"
filterwarnings = ["error"]
{ini}
""")
    pytester.makeconftest(CONFTEST_RULE)
    pytester.makepyfile(test_m="def test_slow_one(): pass\ndef test_other(): pass\n")
    result = pytester.runpytest("-p", "no:pyramid", *strict)
    assert result.ret == 0, result.stdout.str() + result.stderr.str()
    result.assert_outcomes(passed=2)
    assert not (pytester.path / "x.json").exists()
    assert not (pytester.path / "pyramid-verdict.json").exists()
    # with the plugin on, the same keys are registered once (the hook and the ini both work)
    help_text = pytester.runpytest("--help").stdout.str()
    for key in keys:
        assert help_text.count(f"  {key} ") == 1, key


# -- 7. setup.cfg projects: a standalone pyramid.toml ----------------------------------------


def setup_cfg_project(pytester: pytest.Pytester, pyramid_toml: str) -> Path:
    (pytester.path / "setup.cfg").write_text(textwrap.dedent(f"""
        [tool:pytest]
        addopts = {LEAN_ADDOPTS} --strict-markers
        filterwarnings = error
        markers =
            slow: slow tests
    """))
    (pytester.path / "pyramid.toml").write_text(textwrap.dedent(pyramid_toml))
    for name, body in {**TWO_TIERS, "tests/unit/test_slow.py":
                       "import pytest\n@pytest.mark.slow\ndef test_slow(): pass\n"}.items():
        path = pytester.path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(body)
    return pytester.path


@WORKERS
def test_a_setup_cfg_project_configures_tiers_budgets_and_coverage_in_pyramid_toml(
    pytester: pytest.Pytester, read_verdict: ReadVerdict, workers: int,
) -> None:
    setup_cfg_project(pytester, """
        verdict = "out/verdict.json"
        [tiers.integration]
        markers = ["slow"]
        budget = "1h"
        [tiers.unit]
        coverage = 50
    """)
    result = pytester.runpytest("--pyramid-tier=fast", *xdist(workers))
    assert result.ret == 0
    data = read_verdict("out/verdict.json")
    assert data["config"]["file"] == "pyramid.toml"
    assert data["tiers"]["unit"]["collected"] == 2
    assert data["tiers"]["integration"]["budget_s"] == 3600
    assert "coverage.unit" in {g["id"] for g in data["gates"]}


def test_a_bad_pyramid_toml_names_its_key_without_the_tool_table(
    pytester: pytest.Pytester,
) -> None:
    setup_cfg_project(pytester, "[tiers.unit]\nbudget = 'soon'\n")
    result = pytester.runpytest()
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*pyramid.toml: tiers.unit.budget = 'soon': expected a duration*"])


# -- 8. the summary adds up -------------------------------------------------------------------

COUNTED = {
    "tests/unit/test_x.py": """
        import pytest
        def test_pass(): pass
        @pytest.mark.xfail(reason="known")
        def test_xfail(): assert False
        @pytest.mark.xfail(reason="fixed", strict=False)
        def test_xpass(): pass
        @pytest.mark.skip(reason="later")
        def test_skip(): pass
    """,
    "tests/unit/test_optional.py": """
        import pytest
        pytest.importorskip("a_module_nobody_has")
        def test_never(): pass
    """,
}


@WORKERS
def test_the_tier_table_has_xfail_and_xpass_and_counts_skipped_modules(
    pytester: pytest.Pytester, make_project: MakeProject, read_verdict: ReadVerdict,
    workers: int,
) -> None:
    make_project(**COUNTED)
    result = pytester.runpytest("-rs", *xdist(workers))
    result.assert_outcomes(passed=1, xfailed=1, xpassed=1, skipped=2)
    unit = read_verdict()["tiers"]["unit"]
    assert (unit["skipped"], unit["skipped_modules"], unit["xfailed"], unit["xpassed"]) == (
        2, 1, 1, 1
    )
    # tests pass fail skip xfail xpass: 5 = 1 + 0 + 2 + 1 + 1, as pytest's own summary counts
    result.stdout.re_match_lines([r"tier +tests +pass +fail +skip +xfail +xpass +wall / budget",
                                  r"unit +5 +1 +0 +2 +1 +1 "])
    # only tiers with tests are listed
    assert not any(line.startswith(("integration ", "e2e ")) for line in result.outlines)


def test_quiet_and_verbose_summaries(
    pytester: pytest.Pytester, make_project: MakeProject
) -> None:
    make_project("[tool.pyramid.tiers.integration]\nbudget = '1ms'\nbudget_level = 'warn'\n",
                 **{**TWO_TIERS, "tests/integration/test_i.py":
                    "import time\ndef test_i(): time.sleep(0.01)\n"})
    quiet = pytester.runpytest("-q")
    quiet.stdout.fnmatch_lines(["unit: 2 passed in *", "integration: 1 passed in *",
                                "FAIL warn    budget.integration*", "decision: READY"])
    assert "tests.pass_rate" not in quiet.stdout.str()  # passing gates: not in -q
    assert "gates:" not in quiet.stdout.str()
    default = pytester.runpytest()
    default.stdout.fnmatch_lines(["gates:", "FAIL warn    budget.integration*",
                                  "* gate(s) passed (-v or --pyramid-explain lists them)"])
    assert "PASS " not in default.stdout.str()
    verbose = pytester.runpytest("-v")
    verbose.stdout.fnmatch_lines(["PASS block   tests.pass_rate*"])


# -- the decision rule for partial runs, as a table (pure) -----------------------------------


def gate(status: str, level: str = "block", on_missing: str = "fail") -> dict[str, object]:
    return {"id": "g", "level": level, "status": status, "on_missing": on_missing,
            "message": "m", "actual": None, "threshold": 1}


def document(*, gates: list[dict[str, object]], unit_selected: bool = True,
             integration_selected: bool = True, problems: tuple[str, ...] = (),
             interrupted: bool = False) -> dict[str, object]:
    def tier(selected: bool) -> dict[str, object]:
        return {"selected": selected, "required": True, "collected": 1,
                "passed": 1 if selected else 0}

    return {
        "gates": gates,
        "tiers": {"unit": tier(unit_selected), "integration": tier(integration_selected)},
        "completeness": [{"kind": kind, "message": kind} for kind in problems],
        "run": {"interrupted": interrupted},
    }


@pytest.mark.parametrize(
    ("doc", "decision", "not_judged"),
    [
        # a whole run: a gate it could not evaluate blocks, as before
        (document(gates=[gate("not_evaluated")]), "blocked", ()),
        # a tier left out: the same gate is not judged, the run incomplete, never ready
        (document(gates=[gate("not_evaluated")], integration_selected=False),
         "incomplete", ("g",)),
        (document(gates=[gate("not_evaluated")], problems=("narrowed",)), "incomplete", ("g",)),
        (document(gates=[gate("not_evaluated")], problems=("files_not_collected",)),
         "incomplete", ("g",)),
        # evidence that fails still blocks a partial run
        (document(gates=[gate("fail")], integration_selected=False), "blocked", ()),
        (document(gates=[gate("fail"), gate("not_evaluated")], problems=("narrowed",)),
         "blocked", ("g",)),
        # another kind of incompleteness is not a partial selection: the gate blocks
        (document(gates=[gate("not_evaluated")], problems=("never_ran",)), "blocked", ()),
        # interrupted wins, as before
        (document(gates=[gate("not_evaluated")], integration_selected=False, interrupted=True),
         "incomplete", ("g",)),
        # a warn-level or skip-policy gate was never blocking: unchanged
        (document(gates=[gate("not_evaluated", on_missing="skip")],
                  integration_selected=False), "incomplete", ()),
        (document(gates=[gate("not_evaluated", level="approve", on_missing="approve")],
                  integration_selected=False), "incomplete", ()),
    ],
)
def test_a_partial_run_is_never_blocked_by_a_gate_it_could_not_evaluate(
    doc: dict[str, object], decision: str, not_judged: tuple[str, ...]
) -> None:
    from pytest_pyramid.verdict.decision import judge

    judgement = judge(doc)
    assert judgement.decision == decision
    assert judgement.not_judged == not_judged
    assert judgement.decision != "ready"


# -- 6. observe mode ---------------------------------------------------------------------------


@WORKERS
def test_observe_mode_judges_and_shows_every_gate_but_keeps_pytests_exit_status(
    pytester: pytest.Pytester, make_project: MakeProject, read_verdict: ReadVerdict,
    workers: int,
) -> None:
    make_project('mode = "observe"\n[tool.pyramid.tiers.unit]\nbudget = "1ms"\n',
                 **{"tests/unit/test_u.py": "import time\ndef test_a(): time.sleep(0.01)\n"})
    result = pytester.runpytest(*xdist(workers))
    assert result.ret == 0  # every test passed: pytest's own status
    data = read_verdict()
    # the verdict stays the truth for whoever deploys: blocked, and it says it was observed
    assert (data["decision"], data["run"]["mode"]) == ("blocked", "observe")
    assert data["reasons"][0].startswith("gate budget.unit")
    result.stdout.fnmatch_lines(["FAIL block   budget.unit*",
                                 "decision: BLOCKED (observe mode: reported, not enforced*"])
    # a failing test still fails the run: observe mode never hides pytest's own result
    (pytester.path / "tests/unit/test_bad.py").write_text("def test_bad(): assert False\n")
    assert pytester.runpytest(*xdist(workers)).ret == 1


@pytest.mark.parametrize(
    ("table", "unit_level", "e2e_level"),
    [
        ({}, "warn", "warn"),  # the built-in budgets are reported, never a guess that blocks
        ({"tiers": {"unit": {"budget": "40s"}}}, "block", "warn"),
        ({"budget_level": "approve"}, "approve", "approve"),
        ({"tiers": {"e2e": {"budget_level": "block"}}}, "warn", "block"),
        ({"tiers": {"smoke": {"after": "unit"}}}, "warn", "warn"),
    ],
)
def test_a_budget_blocks_only_where_the_project_set_one(
    table: dict[str, object], unit_level: str, e2e_level: str
) -> None:
    from pathlib import Path

    from pytest_pyramid.config import parse_settings

    tiers = parse_settings(table, "p/pyproject.toml", Path("p"), {}).tiers
    assert (tiers["unit"].budget_level, tiers["e2e"].budget_level) == (unit_level, e2e_level)
    assert tiers["unit"].budget is not None  # the default budget is still judged and shown
