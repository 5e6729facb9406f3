"""End-to-end behaviour of the plugin through real pytest runs (pytester)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from tests.git_repo import init_repo

if TYPE_CHECKING:
    from tests.conftest import MakeProject, ReadVerdict

pytest_plugins = ["pytester"]


PYRAMID_FILES = {
    "tests/unit/test_logic.py": """
        def test_add(): assert 1 + 1 == 2
        def test_sub(): assert 2 - 1 == 1
    """,
    "tests/integration/test_db.py": """
        def test_db(): pass
    """,
    "tests/e2e/test_ui.py": """
        import pytest
        def test_page(): pass
        @pytest.mark.unit
        def test_marked_unit_in_e2e_dir(): pass
    """,
}


def test_inactive_without_config_writes_nothing_but_registers_markers(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(
        """
        import pytest
        @pytest.mark.e2e
        def test_marked(): pass
        """
    )
    result = pytester.runpytest("--strict-markers")
    result.assert_outcomes(passed=1)
    assert not (pytester.path / "pyramid-verdict.json").exists()
    assert "pyramid" not in result.stdout.str().lower().replace("pyramid-", "")


def test_full_run_writes_a_ready_verdict(
    pytester: pytest.Pytester, make_project: MakeProject, read_verdict: ReadVerdict
) -> None:
    make_project(**PYRAMID_FILES)
    result = pytester.runpytest("--strict-markers", "-v")
    result.assert_outcomes(passed=5)
    result.stdout.fnmatch_lines(["*= pyramid =*", "unit *3 *3 *0*", "decision: READY"])
    data = read_verdict()
    assert data["decision"] == "ready"
    tiers = data["tiers"]
    assert {name: tiers[name]["passed"] for name in ("unit", "integration", "e2e")} == {
        "unit": 3,
        "integration": 1,
        "e2e": 1,
    }
    assert tiers["contract"]["status"] == "empty"
    # bottom-up order: every unit test before integration, integration before e2e
    lines = [line for line in result.stdout.lines if " PASSED" in line]
    order = [line.split("::")[0] for line in lines]
    assert order == [
        "tests/e2e/test_ui.py",
        "tests/unit/test_logic.py",
        "tests/unit/test_logic.py",
        "tests/integration/test_db.py",
        "tests/e2e/test_ui.py",
    ]
    assert "test_marked_unit_in_e2e_dir" in lines[0]
    gate_ids = [g["id"] for g in data["gates"]]
    assert gate_ids[:4] == ["tests.pass_rate", "budget.unit", "budget.integration", "budget.e2e"]


def test_tier_fast_does_not_import_other_tiers_and_is_incomplete(
    pytester: pytest.Pytester, make_project: MakeProject, read_verdict: ReadVerdict
) -> None:
    files = dict(PYRAMID_FILES)
    files["tests/e2e/test_ui.py"] = "raise RuntimeError('e2e module imported')\n"
    make_project(**files)
    result = pytester.runpytest("--tier=fast")
    result.assert_outcomes(passed=2)
    data = read_verdict()
    assert data["decision"] == "incomplete"
    assert data["run"]["selected_tiers"] == ["unit"]
    assert "required tier e2e did not run (not selected)" in data["reasons"]
    assert "required tier integration did not run (not selected)" in data["reasons"]
    assert result.ret == 0


def test_unknown_tier_is_a_usage_error_listing_known_names(
    pytester: pytest.Pytester, make_project: MakeProject
) -> None:
    make_project(**PYRAMID_FILES)
    result = pytester.runpytest("--tier=unit,smoke")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*unknown tier or group 'smoke'*tiers: unit, integration*fast*"])


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ("strict = 1\n", "strict = 1: expected true or false"),
        ("[tool.pyramid.tiers.unit]\nbudget = 'soon'\n", "tiers.unit.budget = 'soon'"),
        ("colour = 'blue'\n", "colour = 'blue': unknown key"),
    ],
)
def test_bad_config_names_key_value_and_file(
    pytester: pytest.Pytester, config: str, message: str, make_project: MakeProject
) -> None:
    make_project(config, **PYRAMID_FILES)
    result = pytester.runpytest()
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([f"*pyproject.toml: [[]tool.pyramid[]] {message}*"])


def test_two_tier_markers_and_strict_mode_name_the_test(
    pytester: pytest.Pytester, make_project: MakeProject
) -> None:
    make_project(
        "strict = true\n",
        **{
            "tests/unit/test_ok.py": "def test_ok(): pass\n",
            "elsewhere/test_x.py": """
                import pytest
                @pytest.mark.unit
                @pytest.mark.e2e
                def test_both(): pass
                def test_none(): pass
            """,
        },
    )
    result = pytester.runpytest("tests", "elsewhere")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        [
            "*elsewhere/test_x.py::test_both: has more than one tier marker (e2e, unit)*",
            "*elsewhere/test_x.py::test_none: has no tier marker*strict*",
        ]
    )


def test_failed_test_blocks(
    pytester: pytest.Pytester, make_project: MakeProject, read_verdict: ReadVerdict
) -> None:
    make_project(**{"tests/unit/test_a.py": "def test_a(): assert False\n"})
    result = pytester.runpytest()
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    data = read_verdict()
    assert data["decision"] == "blocked"
    gate = data["gates"][0]
    assert (gate["id"], gate["status"], gate["actual"]) == ("tests.pass_rate", "fail", 0.0)
    assert data["tiers"]["unit"]["status"] == "failed"


def test_budget_gate_fails_the_run_although_every_test_passed(
    pytester: pytest.Pytester, make_project: MakeProject, read_verdict: ReadVerdict
) -> None:
    make_project(
        "[tool.pyramid.tiers.unit]\nbudget = '50ms'\n",
        **{"tests/unit/test_slow.py": "import time\ndef test_slow(): time.sleep(0.2)\n"},
    )
    result = pytester.runpytest()
    result.assert_outcomes(passed=1)
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    data = read_verdict()
    (budget,) = [g for g in data["gates"] if g["id"] == "budget.unit"]
    assert budget["status"] == "fail"
    assert budget["actual"] >= 0.2
    assert budget["threshold"] == 0.05
    assert data["decision"] == "blocked"
    assert data["run"]["pytest_exit"] == 1
    result.stdout.fnmatch_lines(["FAIL block   budget.unit*", "decision: BLOCKED"])


def test_budget_level_warn_only_reports(
    pytester: pytest.Pytester, make_project: MakeProject, read_verdict: ReadVerdict
) -> None:
    make_project(
        "[tool.pyramid.tiers.unit]\nbudget = '50ms'\nbudget_level = 'warn'\n",
        **{"tests/unit/test_slow.py": "import time\ndef test_slow(): time.sleep(0.1)\n"},
    )
    result = pytester.runpytest()
    assert result.ret == 0
    assert read_verdict()["decision"] == "ready"


def test_near_budget_is_warned_without_failing(
    pytester: pytest.Pytester, make_project: MakeProject, read_verdict: ReadVerdict
) -> None:
    make_project(
        "[tool.pyramid.tiers.unit]\nbudget = '0.3s'\n",
        **{"tests/unit/test_slow.py": "import time\ndef test_slow(): time.sleep(0.285)\n"},
    )
    result = pytester.runpytest()
    data = read_verdict()
    (budget,) = [g for g in data["gates"] if g["id"] == "budget.unit"]
    assert budget["actual"] >= 0.285
    if budget["status"] == "pass":
        # 297-299.9 ms prints as 100%: the status (pass) is what says it stayed under
        result.stdout.fnmatch_lines(["warning: tier unit used *% of its 300ms budget"])
        assert "above 90% of the budget" in budget["message"]
        assert result.ret == 0
    else:  # a slow machine overshot the 300 ms: then the gate must fail the run
        assert (budget["status"], data["decision"], result.ret) == ("fail", "blocked", 1)


def test_per_test_timeout_kills_and_names_tier_and_limit(
    pytester: pytest.Pytester, make_project: MakeProject, read_verdict: ReadVerdict
) -> None:
    make_project(
        "[tool.pyramid.tiers.unit]\ntest_timeout = '0.5s'\n",
        **{
            "tests/unit/test_hang.py": """
                import time
                import pytest
                def test_hang(): time.sleep(30)
                @pytest.mark.timeout(3)
                def test_own_limit_wins(): time.sleep(1)
            """
        },
    )
    result = pytester.runpytest("-rf", "--junitxml=junit.xml")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(
        ["*killed by the tier 'unit' per-test limit 500ms (pytest-timeout)"]
    )
    junit = (pytester.path / "junit.xml").read_text()
    assert "[pyramid: tier 'unit' per-test limit 500ms exceeded]" in junit
    data = read_verdict()
    assert data["tiers"]["unit"]["test_time_s"] < 10


def test_command_line_timeout_wins_over_tier_limits(
    pytester: pytest.Pytester, make_project: MakeProject
) -> None:
    make_project(
        "[tool.pyramid.tiers.unit]\ntest_timeout = '0.2s'\n",
        **{"tests/unit/test_a.py": "import time\ndef test_a(): time.sleep(0.6)\n"},
    )
    pytester.runpytest("--timeout=5").assert_outcomes(passed=1)


def test_k_filter_makes_the_verdict_incomplete(
    pytester: pytest.Pytester, make_project: MakeProject, read_verdict: ReadVerdict
) -> None:
    make_project(**PYRAMID_FILES)
    result = pytester.runpytest("-k", "not test_sub")
    result.assert_outcomes(passed=4, deselected=1)
    data = read_verdict()
    assert data["decision"] == "incomplete"
    assert "-k 'not test_sub' filtered the tests" in data["reasons"]


def test_custom_tier_group_and_verdict_option(
    pytester: pytest.Pytester, make_project: MakeProject, read_verdict: ReadVerdict
) -> None:
    make_project(
        """
        [tool.pyramid.tiers.smoke]
        after = "unit"
        paths = ["checks/*_smoke.py"]
        [tool.pyramid.groups]
        quick = ["unit", "smoke"]
        """,
        **{
            "tests/unit/test_a.py": "def test_a(): pass\n",
            "checks/api_smoke.py": "def test_smoke(): pass\n",
            "tests/e2e/test_e.py": "def test_e(): pass\n",
        },
    )
    result = pytester.runpytest(
        "--strict-markers",
        "tests",
        "checks/api_smoke.py",
        "--tier=quick",
        "--pyramid-verdict=out/v.json",
    )
    result.assert_outcomes(passed=2, deselected=0)
    data = read_verdict("out/v.json")
    assert data["tiers"]["smoke"]["passed"] == 1
    assert list(data["tiers"])[:2] == ["unit", "smoke"]


def test_marker_registered_for_custom_tiers_under_strict_markers(
    pytester: pytest.Pytester, make_project: MakeProject, read_verdict: ReadVerdict
) -> None:
    make_project(
        "[tool.pyramid.tiers.chaos]\npaths = []\n",
        **{"tests/test_c.py": "import pytest\n@pytest.mark.chaos\ndef test_c(): pass\n"},
    )
    result = pytester.runpytest("--strict-markers", "--tier=chaos")
    result.assert_outcomes(passed=1)
    assert read_verdict()["tiers"]["chaos"]["passed"] == 1


def test_keyboard_interrupt_writes_an_incomplete_verdict(
    pytester: pytest.Pytester, make_project: MakeProject, read_verdict: ReadVerdict
) -> None:
    make_project(
        **{
            "tests/unit/test_a.py": """
                def test_a(): pass
                def test_b(): raise KeyboardInterrupt
                def test_c(): pass
            """
        },
    )
    result = pytester.runpytest_subprocess()
    assert result.ret == pytest.ExitCode.INTERRUPTED
    data = read_verdict()
    assert data["decision"] == "incomplete"
    assert data["reasons"][0].startswith("the run was interrupted")


@pytest.mark.parametrize("option", ["--collect-only", "--setup-plan"])
def test_runs_that_execute_nothing_keep_the_last_verdict(
    pytester: pytest.Pytester, make_project: MakeProject, read_verdict: ReadVerdict, option: str
) -> None:
    make_project(**PYRAMID_FILES)
    pytester.runpytest().assert_outcomes(passed=5)
    before = read_verdict()
    result = pytester.runpytest(option, "--tier=fast")
    assert result.ret == 0
    assert read_verdict() == before


def test_disabled_with_p_no_pyramid(pytester: pytest.Pytester, make_project: MakeProject) -> None:
    make_project(**PYRAMID_FILES)
    result = pytester.runpytest("-p", "no:pyramid")
    result.assert_outcomes(passed=5)
    assert not (pytester.path / "pyramid-verdict.json").exists()


def test_strict_real_world_configuration(
    pytester: pytest.Pytester, read_verdict: ReadVerdict
) -> None:
    pytester.makefile(
        ".toml",
        pyproject="""
        [tool.pytest.ini_options]
        addopts = "--strict-markers --strict-config -p no:cacheprovider -p no:doctest"
        filterwarnings = ["error"]
        pyramid_default_tier = "integration"
        [tool.pyramid]
        """,
    )
    pytester.makepyfile(
        test_mixed="""
        import unittest
        class T(unittest.TestCase):
            def test_sub(self):
                for i in range(3):
                    with self.subTest(i=i):
                        self.assertLess(i, 5)
        def test_plain(): pass
        """
    )
    # -p no:doctest is the project's own decision only in its tracked configuration
    init_repo(pytester.path)
    result = pytester.runpytest()
    result.assert_outcomes(passed=2)
    data = read_verdict()
    assert data["tiers"]["integration"]["passed"] == 2
    assert data["decision"] == "ready"


def test_failing_subtests_count_the_test_once(
    pytester: pytest.Pytester, make_project: MakeProject, read_verdict: ReadVerdict
) -> None:
    make_project(
        **{
            "tests/unit/test_s.py": """
                import unittest
                class T(unittest.TestCase):
                    def test_sub(self):
                        for i in range(4):
                            with self.subTest(i=i):
                                self.assertLess(i, 2)
            """
        },
    )
    pytester.runpytest()
    data = read_verdict()
    unit = data["tiers"]["unit"]
    assert (unit["collected"], unit["failed"], unit["passed"]) == (1, 1, 0)


# the `subtests` fixture is pytest's own from 9.0; on 8.4 (tools/min_check.py) it does not exist
@pytest.mark.skipif(not hasattr(pytest, "Subtests"), reason="pytest < 9 has no subtests fixture")
def test_a_failed_subtest_in_a_non_strict_xfail_test_fails_it(
    pytester: pytest.Pytester, make_project: MakeProject, read_verdict: ReadVerdict
) -> None:
    # hostile case 210 d: pytest fails the test ("contains 1 failed subtest"); the verdict
    # counted it xpassed and said ready (the fold is the controller's too: the unit row in
    # tests/unit/run/test_aggregate.py holds the order; case 210 b, e run it under -n 2)
    make_project(
        **{
            "tests/unit/test_s.py": """
                import pytest
                @pytest.mark.xfail(raises=KeyError, strict=False, reason="not done yet")
                def test_sub(subtests):
                    with subtests.test(msg="checked"):
                        assert False
                def test_ok():
                    pass
            """
        },
    )
    pytester.runpytest()
    data = read_verdict()
    unit = data["tiers"]["unit"]
    assert (unit["failed"], unit["xpassed"], unit["passed"]) == (1, 0, 1)
    assert data["decision"] == "blocked"


def test_tier_fail_fast_serial_stops_before_the_next_tier(
    pytester: pytest.Pytester, make_project: MakeProject, read_verdict: ReadVerdict
) -> None:
    make_project(
        **{
            "tests/unit/test_a.py": "def test_ok(): pass\ndef test_bad(): assert 0\n"
            "def test_ok2(): pass\n",
            "tests/integration/test_i.py": "def test_i(): pass\n",
        },
    )
    result = pytester.runpytest("--tier-fail-fast")
    result.assert_outcomes(passed=2, failed=1)
    data = read_verdict()
    assert data["tiers"]["integration"]["passed"] == 0
    assert data["decision"] == "blocked"
    assert "stopped after tier unit failed (--tier-fail-fast)" in data["reasons"]


def test_lf_works_with_tiers(pytester: pytest.Pytester, read_verdict: ReadVerdict) -> None:
    pytester.makefile(".toml", pyproject="[tool.pyramid]\n")
    pytester.makepyfile(
        test_a="import pathlib\ndef test_ok(): pass\n"
        "def test_flip(): assert pathlib.Path('fixed').exists()\n"
    )
    pytester.runpytest().assert_outcomes(passed=1, failed=1)
    (pytester.path / "fixed").write_text("")
    result = pytester.runpytest("--lf")
    result.assert_outcomes(passed=1)
    data = read_verdict()
    assert data["decision"] == "incomplete"
    assert "--lf: only previously failed tests were run" in data["reasons"]


def test_pyramid_metric_fixture_lands_in_the_run(
    pytester: pytest.Pytester, make_project: MakeProject, read_verdict: ReadVerdict
) -> None:
    make_project(
        **{
            "tests/performance/test_p.py": """
                def test_p(pyramid_metric):
                    pyramid_metric("api.p95_ms", 123.4, endpoint="/items")
                def test_bad(pyramid_metric):
                    pyramid_metric("api.p95_ms", float("nan"))
            """,
            "conftest.py": """
                from pytest_pyramid.run.stash import RUN_KEY
                def pytest_pyramid_verdict_sections(config, run):
                    return {"artifacts": {"metrics_seen": [
                        [m.name, m.value, m.tier, dict(m.tags)] for m in run.metrics]}}
            """,
        },
    )
    result = pytester.runpytest()
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(["*Error: metric 'api.p95_ms': value must be finite*"])
    data = read_verdict()
    assert data["artifacts"]["metrics_seen"] == [
        ["api.p95_ms", 123.4, "performance", {"endpoint": "/items"}]
    ]


def test_custom_gate_hook_blocks(
    pytester: pytest.Pytester, make_project: MakeProject, read_verdict: ReadVerdict
) -> None:
    make_project(
        **{
            "tests/unit/test_a.py": "def test_a(): pass\n",
            "conftest.py": """
                from pytest_pyramid import GateResult
                def pytest_pyramid_gates(config, run):
                    return [GateResult("team.changelog", "block", "fail", actual=0,
                                       threshold=1, message="no changelog entry")]
            """,
        },
    )
    result = pytester.runpytest()
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    data = read_verdict()
    assert data["decision"] == "blocked"
    assert "gate team.changelog: no changelog entry" in data["reasons"]


def test_git_commit_is_recorded(
    pytester: pytest.Pytester, make_project: MakeProject, read_verdict: ReadVerdict
) -> None:
    make_project(**{"tests/unit/test_a.py": "def test_a(): pass\n"})
    head = init_repo(pytester.path, branch="trunk")
    pytester.runpytest()
    data = read_verdict()
    assert (data["commit"], data["branch"], data["dirty"]) == (head, "trunk", False)
    assert data["commit_time"]


def test_pre_commit_run_is_incomplete_not_blocked_by_whole_suite_gates(
    pytester: pytest.Pytester, make_project: MakeProject, read_verdict: ReadVerdict
) -> None:
    make_project(
        """
        [tool.pyramid.thresholds]
        "load.p95_ms" = "< 500"
        "e2e.page_load_ms" = { threshold = "< 2000", tier = "e2e" }
        "unit.checks" = { threshold = ">= 1", tier = "unit" }
        """,
        **{
            "tests/unit/test_a.py": """
                def test_a(pyramid_metric):
                    pyramid_metric("unit.checks", 1)
            """,
            "tests/performance/test_p.py": "def test_p(pyramid_metric): pass\n",
            "tests/e2e/test_e.py": "def test_e(): pass\n",
        },
    )
    result = pytester.runpytest("--tier=fast")
    assert result.ret == 0
    data = read_verdict()
    assert data["decision"] == "incomplete"
    gates = {g["id"]: g for g in data["gates"]}
    assert gates["metric.unit.checks"]["status"] == "pass"
    assert gates["metric.load.p95_ms"]["on_missing"] == "warn"
    assert gates["metric.e2e.page_load_ms"]["on_missing"] == "warn"
    # the same thresholds on a full run with the metrics missing: blocked
    result = pytester.runpytest()
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    data = read_verdict()
    assert data["decision"] == "blocked"
    assert (
        "gate metric.load.p95_ms: metric 'load.p95_ms' was never recorded (not evaluated)"
        in (data["reasons"])
    )


def test_github_step_summary_is_appended(
    pytester: pytest.Pytester,
    make_project: MakeProject,
    read_verdict: ReadVerdict,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    summary = pytester.path / "step-summary.md"
    summary.write_text("earlier step\n")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    make_project(
        "[tool.pyramid.tiers.unit]\nbudget = '1ms'\n",
        **{"tests/unit/test_a.py": "import time\ndef test_a(): time.sleep(0.01)\n"},
    )
    pytester.runpytest()
    text = summary.read_text()
    assert text.startswith("earlier step\n### ❌ pytest-pyramid: blocked")
    assert "| unit | 1 | 1 | 0 | 0 |" in text
    assert "| `budget.unit` | block | ✗ fail |" in text
    assert read_verdict()["decision"] == "blocked"


@pytest.mark.parametrize(
    ("hook", "message"),
    [
        ("raise RuntimeError('boom')", "raised RuntimeError: boom"),
        ("return [42]", "returned 42, not a GateResult"),
    ],
)
def test_a_broken_gate_plugin_makes_the_verdict_incomplete_not_stale(
    pytester: pytest.Pytester,
    make_project: MakeProject,
    read_verdict: ReadVerdict,
    hook: str,
    message: str,
) -> None:
    make_project(**{"tests/unit/test_a.py": "def test_a(): pass\n"})
    pytester.runpytest()
    assert read_verdict()["decision"] == "ready"
    pytester.makeconftest(f"def pytest_pyramid_gates(config, run):\n    {hook}\n")
    result = pytester.runpytest()
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    data = read_verdict()
    assert data["decision"] == "incomplete"
    assert any(message in reason for reason in data["reasons"])
    # the built-in gates were still judged
    assert [g["id"] for g in data["gates"]][:2] == ["tests.pass_rate", "budget.unit"]
    result.stdout.fnmatch_lines([f"error: pytest_pyramid_gates of *{message}*"])


def test_a_run_that_dies_leaves_an_incomplete_placeholder(
    pytester: pytest.Pytester, make_project: MakeProject, read_verdict: ReadVerdict
) -> None:
    make_project(
        **{
            "tests/unit/test_a.py": """
                import os
                def test_a(): pass
                def test_die():
                    os._exit(9)  # the whole pytest process dies: no session end
            """
        }
    )
    result = pytester.runpytest_subprocess()
    assert result.ret == 9
    data = read_verdict()
    assert data["decision"] == "incomplete"
    assert "has not finished" in data["reasons"][0]


def test_an_interrupted_test_is_not_counted_as_passed(
    pytester: pytest.Pytester, make_project: MakeProject, read_verdict: ReadVerdict
) -> None:
    make_project(
        **{
            "tests/unit/test_a.py": """
                import os, signal
                def test_a(): pass
                def test_interrupted():
                    # a shell that starts the run in the background ignores SIGINT, and the
                    # run inherits that: put Python's own handler back first
                    signal.signal(signal.SIGINT, signal.default_int_handler)
                    os.kill(os.getpid(), signal.SIGINT)  # Ctrl-C in the middle of the test
            """
        }
    )
    result = pytester.runpytest_subprocess()
    assert result.ret == pytest.ExitCode.INTERRUPTED
    data = read_verdict()
    unit = data["tiers"]["unit"]
    assert (unit["passed"], unit["failed"], unit["errors"]) == (1, 0, 0)
    assert data["decision"] == "incomplete"
    assert "1 test(s) started but never finished" in data["reasons"]


@pytest.mark.parametrize(
    ("args", "cwd", "reason"),
    [
        (["--ignore=tests/integration"], ".", "1 test file(s) on disk were not collected"),
        (["--ignore-glob=*integration*"], ".", "1 test file(s) on disk were not collected"),
        ([], "tests/unit", "2 test file(s) on disk were not collected"),
    ],
)
def test_narrowing_by_ignore_or_a_subdirectory_is_incomplete(
    pytester: pytest.Pytester,
    make_project: MakeProject,
    read_verdict: ReadVerdict,
    monkeypatch: pytest.MonkeyPatch,
    args: list[str],
    cwd: str,
    reason: str,
) -> None:
    make_project(**PYRAMID_FILES)
    monkeypatch.chdir(pytester.path / cwd)
    pytester.runpytest(*args)
    data = read_verdict()
    assert data["decision"] == "incomplete"
    assert any(r.startswith(reason) for r in data["reasons"]), data["reasons"]


def test_lf_without_earlier_failures_is_a_full_run(
    pytester: pytest.Pytester, make_project: MakeProject, read_verdict: ReadVerdict
) -> None:
    make_project(**PYRAMID_FILES)
    pytester.makefile(".toml", pyproject="[tool.pyramid]\n")  # with the cache plugin
    pytester.runpytest().assert_outcomes(passed=5)
    pytester.runpytest("--lf").assert_outcomes(passed=5)
    assert read_verdict()["decision"] == "ready"


def test_verdict_path_that_is_a_directory_is_a_start_up_usage_error(
    pytester: pytest.Pytester, make_project: MakeProject
) -> None:
    make_project(**PYRAMID_FILES)
    (pytester.path / "out").mkdir()
    result = pytester.runpytest("--pyramid-verdict=out")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*--pyramid-verdict = '*out' is a directory, not a file*"])
    assert "passed" not in result.stdout.str()


def test_verdict_file_is_readable_by_others(
    pytester: pytest.Pytester, make_project: MakeProject
) -> None:
    import os
    import stat

    make_project(**PYRAMID_FILES)
    old = os.umask(0o022)
    try:
        pytester.runpytest()
    finally:
        os.umask(old)
    mode = stat.S_IMODE((pytester.path / "pyramid-verdict.json").stat().st_mode)
    assert mode == 0o644


def test_dash_m_selects_tests_tiered_by_path(
    pytester: pytest.Pytester, make_project: MakeProject
) -> None:
    make_project(**PYRAMID_FILES)
    result = pytester.runpytest("-m", "e2e", "-v", "--strict-markers")
    result.assert_outcomes(passed=1, deselected=4)
    result.stdout.fnmatch_lines(["*tests/e2e/test_ui.py::test_page PASSED*"])


def test_limits_not_enforced_without_pytest_timeout_are_said(
    pytester: pytest.Pytester, make_project: MakeProject, read_verdict: ReadVerdict
) -> None:
    make_project(
        "[tool.pyramid.tiers.unit]\ntest_timeout = '0.1s'\n",
        **{"tests/unit/test_a.py": "import time\ndef test_a(): time.sleep(0.3)\n"},
    )
    result = pytester.runpytest("-p", "no:timeout")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["per-test limits were not enforced: pytest-timeout is not active"])
    assert read_verdict()["tiers"]["unit"]["test_timeout_s"] is None


def test_a_failed_warn_gate_is_named_in_a_ready_verdict(
    pytester: pytest.Pytester, make_project: MakeProject, read_verdict: ReadVerdict
) -> None:
    make_project(
        "[tool.pyramid.tiers.unit]\nbudget = '1ms'\nbudget_level = 'warn'\n",
        **{"tests/unit/test_a.py": "import time\ndef test_a(): time.sleep(0.02)\n"},
    )
    assert pytester.runpytest().ret == 0
    data = read_verdict()
    assert data["decision"] == "ready"
    assert data["reasons"][0] == "every required tier ran; no blocking or approval gate failed"
    assert data["reasons"][1].startswith("warning: gate budget.unit: tier unit took")


def test_needs_approval_names_the_approvals_needed(
    pytester: pytest.Pytester, make_project: MakeProject, read_verdict: ReadVerdict
) -> None:
    make_project(
        '[tool.pyramid.thresholds]\n"api.rps" = { threshold = ">= 100", level = "approve" }\n',
        **{"tests/unit/test_a.py": "def test_a(pyramid_metric): pyramid_metric('api.rps', 5)\n"},
    )
    assert pytester.runpytest().ret == 0
    data = read_verdict()
    assert data["decision"] == "needs_approval"
    assert data["reasons"][-1] == "needs 1 approval(s) (any role) (no risk assessment configured)"


def test_unwritable_verdict_location_is_a_usage_error_before_tests_run(
    pytester: pytest.Pytester, make_project: MakeProject
) -> None:
    make_project(**PYRAMID_FILES)
    (pytester.path / "blocker").write_text("a file where a directory is expected")
    result = pytester.runpytest("--pyramid-verdict=blocker/v.json")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*cannot write the verdict to *blocker/v.json*"])
    assert "passed" not in result.stdout.str()


LIMITED_TIERS = """
[tool.pyramid.tiers.unit]
test_timeout = '0.5s'
[tool.pyramid.tiers.integration]
test_timeout = '5s'
[tool.pyramid.tiers.e2e]
test_timeout = 0
"""
SLEEPERS = {
    "tests/unit/test_u.py": "import time\ndef test_slow_unit(): time.sleep(1.5)\n",
    "tests/integration/test_i.py": "import time\ndef test_slow_integration(): time.sleep(1.5)\n",
    "tests/e2e/test_e.py": "import time\ndef test_slow_e2e(): time.sleep(1.5)\n",
}


@pytest.mark.parametrize(
    ("args", "killed", "header"),
    [
        ([], ["unit"], "pyramid: per-test limits: unit 500ms, integration 5.0s, contract none*"),
        # the widest selected tier has no limit: the others must still be enforced
        (["--tier=e2e,unit"], ["unit"], "pyramid: per-test limits: unit 500ms, e2e none"),
        (["--tier=e2e,integration"], [], "pyramid: per-test limits: integration 5.0s, e2e none"),
        (["-n", "2"], ["unit"], None),
    ],
)
def test_each_tier_runs_under_its_own_limit(
    pytester: pytest.Pytester,
    make_project: MakeProject,
    read_verdict: ReadVerdict,
    args: list[str],
    killed: list[str],
    header: str | None,
) -> None:
    make_project(LIMITED_TIERS, **SLEEPERS)
    result = pytester.runpytest("-v", *args)
    failed = {
        line.split("test_slow_")[1].split()[0]
        for line in result.outlines
        if "test_slow_" in line and "FAILED" in line
    }
    assert failed == set(killed)
    for tier in killed:
        result.stdout.fnmatch_lines([f"*killed by the tier {tier!r} per-test limit 500ms*"])
    if header:
        result.stdout.fnmatch_lines([header])
    limits = {name: tier["test_timeout_s"] for name, tier in read_verdict()["tiers"].items()}
    assert (limits["unit"], limits["integration"], limits["e2e"]) == (0.5, 5.0, None)


def test_command_line_timeout_is_named_and_recorded(
    pytester: pytest.Pytester, make_project: MakeProject, read_verdict: ReadVerdict
) -> None:
    make_project(LIMITED_TIERS, **SLEEPERS)
    result = pytester.runpytest("--timeout=1", "--tier=integration,e2e")
    result.assert_outcomes(failed=2)
    result.stdout.fnmatch_lines(["pyramid: per-test limits: --timeout 1.0s for every tier"])
    result.stdout.fnmatch_lines(["*killed by the --timeout limit 1.0s (pytest-timeout)"])
    tiers = read_verdict()["tiers"]
    assert [tiers[name]["test_timeout_s"] for name in ("unit", "e2e")] == [1.0, 1.0]


def test_own_timeout_mark_is_not_blamed_on_the_tier(
    pytester: pytest.Pytester, make_project: MakeProject
) -> None:
    make_project(
        LIMITED_TIERS,
        **{
            "tests/integration/test_i.py": """
                import time, pytest
                @pytest.mark.timeout(0.3)
                def test_own(): time.sleep(2)
            """
        },
    )
    result = pytester.runpytest("-rf")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*Timeout (>0.3s) from pytest-timeout*"])
    assert "killed by the tier" not in result.stdout.str()


PROBE_MODULES = """
import sys
def test_modules():
    loaded = sorted(m for m in sys.modules if m.startswith("pytest_pyramid"))
    print("PYRAMID-MODULES", " ".join(loaded))
"""


#: the same at the very end of the run, after the gates, the verdict and its summary
PROBE_END = """
import sys
def pytest_unconfigure(config):
    loaded = sorted(m for m in sys.modules if m.startswith("pytest_pyramid"))
    print("PYRAMID-END-MODULES", " ".join(loaded))
"""


def _loaded_modules(result: pytest.RunResult, marker: str = "PYRAMID-MODULES") -> set[str]:
    (line,) = [line for line in result.outlines if marker in line]
    return set(line.split(marker, 1)[1].split())


def test_an_inactive_project_loads_only_the_entry_point(pytester: pytest.Pytester) -> None:
    # a fresh process: pytest imports the plugin in every project where it is installed
    pytester.makepyfile(test_probe=PROBE_MODULES)
    result = pytester.runpytest_subprocess("-s", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)
    loaded = _loaded_modules(result)
    assert "pytest_pyramid.plugin" in loaded
    assert not loaded & {"pytest_pyramid.run.session", "pytest_pyramid.run.summary",
                         "pytest_pyramid.gates.engine", "pytest_pyramid.run.timer"}


#: module prefixes no pytest run imports (the deploy stage, the CLI, merging shards, report
#: writers, the flake ledger): each costs start-up, and its dataclasses are compiled at import
NEVER_IN_A_RUN = ("pytest_pyramid.deploy", "pytest_pyramid.cli", "pytest_pyramid.verdict.merge",
                  "pytest_pyramid.verdict.partial", "pytest_pyramid.verdict.report_html",
                  "pytest_pyramid.verdict.report_svg", "pytest_pyramid.verdict.report_junit",
                  "pytest_pyramid.verdict.report_ctrf", "pytest_pyramid.verdict.signing",
                  "pytest_pyramid.verdict.ledger", "pytest_pyramid.verdict.history",
                  "pytest_pyramid.toolkits.services", "pytest_pyramid.toolkits.browser")


def test_a_default_run_does_not_load_what_it_does_not_use(
    pytester: pytest.Pytester, make_project: MakeProject
) -> None:
    make_project(**{"tests/unit/test_probe.py": PROBE_MODULES, "conftest.py": PROBE_END})
    result = pytester.runpytest_subprocess("-s")
    result.assert_outcomes(passed=1)
    # loaded when configured or run: per-test limits (none by default), static gates, risk,
    # thresholds, shape, coverage measuring, reports, quarantine entries; checked during the
    # run and again at its very end (a gate's logic is imported when it is judged, so a
    # gate judged idle must be judged so before its implementation is imported)
    unused = {
        "pytest_pyramid.run.timer",
        "pytest_pyramid.gates.risk", "pytest_pyramid.gates.complexity",
        "pytest_pyramid.gates.duplication", "pytest_pyramid.gates.security",
        "pytest_pyramid.gates.audit", "pytest_pyramid.gates.thresholds",
        "pytest_pyramid.gates.shape", "pytest_pyramid.gates.cov.measure",
        "pytest_pyramid.gates.cov.gates", "pytest_pyramid.verdict.reports",
    }
    # the flaky gate's logic is judged at the end of every run, not parsed at its start
    for marker, also in (("PYRAMID-MODULES", {"pytest_pyramid.gates.flaky"}),
                         ("PYRAMID-END-MODULES", set())):
        loaded = _loaded_modules(result, marker)
        assert "pytest_pyramid.run.session" in loaded
        assert not loaded & (unused | also), marker
        # whole stages a test run never needs: deploying, the CLI, the merge and the reports
        assert not {m for m in loaded if m.startswith(NEVER_IN_A_RUN)}, marker
    assert "pytest_pyramid.verdict.writer" in loaded  # the end probe did see the end


@pytest.mark.parametrize(
    ("args", "ini"),
    [
        (("--pyramid-tier=fast",), ""),
        (("--tier=fast",), ""),
        ((), 'pyramid_tier = "fast"'),
    ],
)
def test_tier_selection_by_option_alias_or_ini_twin(
    pytester: pytest.Pytester, make_project: MakeProject, read_verdict: ReadVerdict,
    args: tuple[str, ...], ini: str,
) -> None:
    make_project(ini=ini, **PYRAMID_FILES)
    pytester.runpytest(*args).assert_outcomes(passed=2)
    assert read_verdict()["run"]["selected_tiers"] == ["unit"]


def test_every_option_has_an_ini_twin_with_the_same_help(pytester: pytest.Pytester) -> None:
    from pytest_pyramid.markers import OPTIONS

    result = pytester.runpytest("--help")
    text = " ".join(result.stdout.str().split())
    for option, _alias, ini, help_text, _flag in OPTIONS:
        assert option in text
        assert ini in text
        assert text.count(" ".join(help_text.split()[:6])) >= 2, option


def test_a_bad_boolean_ini_value_names_the_key_and_file(
    pytester: pytest.Pytester, make_project: MakeProject
) -> None:
    make_project(ini='pyramid_fail_fast = "maybe"', **PYRAMID_FILES)
    result = pytester.runpytest()
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*pyproject.toml: pyramid_fail_fast*maybe*"])


def test_plugin_authors_pytester_getitems_and_getmodulecol_work_beside_the_plugin(
    pytester: pytest.Pytester,
) -> None:
    """pytester's getitems/getmodulecol collect with ``genitems=False``, which hands
    ``pytest_collection_modifyitems`` a module collector, not tests: the plugin leaves that
    list alone (it raised ``AttributeError: 'Module' object has no attribute 'location'``)."""
    pytester.makepyprojecttoml("[tool.pyramid]\n")
    items = pytester.getitems("def test_a(): pass\ndef test_b(): pass\n")
    assert [item.name for item in items] == ["test_a", "test_b"]
    module = pytester.getmodulecol("def test_c(): pass\n")
    assert isinstance(module, pytest.Module)
