"""The same behaviour under ``pytest -n 2``: workers report, the controller alone decides."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from tests.conftest import MakeProject, ReadVerdict

pytest_plugins = ["pytester"]

FILES = {
    "tests/unit/test_u.py": """
        import pytest
        @pytest.mark.parametrize("n", range(12))
        def test_u(n, pyramid_metric):
            pyramid_metric("unit.n", n)
        def test_skip():
            pytest.skip("not here")
    """,
    "tests/integration/test_i.py": """
        import time
        def test_i1(): time.sleep(0.05)
        def test_i2(): time.sleep(0.05)
    """,
    "tests/e2e/test_e.py": """
        def test_e1(): pass
        def test_e2(): assert 0, "broken page"
    """,
}


COUNTS = ("selected", "collected", "passed", "failed", "errors", "skipped", "status")


def figures(data: dict[str, Any]) -> dict[str, Any]:
    return {
        "decision": data["decision"],
        "reasons": data["reasons"],
        "tiers": {n: {k: t[k] for k in COUNTS} for n, t in data["tiers"].items()},
        "gates": [
            (g["id"], g["status"]) for g in data["gates"] if g["id"] != "tests.pass_rate" or True
        ],
        "metrics": sorted(
            (s["nodeid"], s["value"])
            for m in data.get("metrics", {}).values()
            for s in m["samples"]
        ),
    }


def test_serial_and_two_workers_agree(
    pytester: pytest.Pytester, make_project: MakeProject, read_verdict: ReadVerdict
) -> None:
    make_project(**FILES)
    serial = pytester.runpytest_subprocess()
    serial.assert_outcomes(passed=15, failed=1, skipped=1)
    serial_data = read_verdict()
    parallel = pytester.runpytest_subprocess("-n", "2")
    parallel.assert_outcomes(passed=15, failed=1, skipped=1)
    parallel_data = read_verdict()
    assert parallel_data["run"]["workers"] == 2
    assert serial_data["run"]["workers"] == 0
    assert figures(serial_data) == figures(parallel_data)
    assert parallel_data["decision"] == "blocked"
    assert parallel_data["tiers"]["integration"]["test_time_s"] >= 0.1
    parallel.stdout.fnmatch_lines(["*= pyramid =*", "decision: BLOCKED"])


def test_dist_option_without_workers_is_a_serial_run(
    make_project: MakeProject, read_verdict: ReadVerdict, pytester: pytest.Pytester
) -> None:
    make_project(**FILES)
    pytester.runpytest("--dist=loadfile").assert_outcomes(passed=15, failed=1, skipped=1)
    data = read_verdict()
    assert data["tiers"]["unit"]["collected"] == 13
    assert data["run"]["workers"] == 0


def test_tier_fast_under_xdist(
    pytester: pytest.Pytester, make_project: MakeProject, read_verdict: ReadVerdict
) -> None:
    files = dict(FILES)
    files["tests/e2e/test_e.py"] = "raise ImportError('must not be imported')\n"
    make_project(**files)
    result = pytester.runpytest_subprocess("-n", "2", "--tier=fast")
    result.assert_outcomes(passed=12, skipped=1)
    data = read_verdict()
    assert data["tiers"]["unit"]["collected"] == 13
    assert data["decision"] == "incomplete"
    assert "required tier e2e did not run (not selected)" in data["reasons"]


def test_tier_fail_fast_under_xdist_runs_no_later_tier(
    pytester: pytest.Pytester, make_project: MakeProject, read_verdict: ReadVerdict
) -> None:
    files = {
        "tests/unit/test_u.py": """
            import time
            import pytest
            @pytest.mark.parametrize("n", range(8))
            def test_u(n):
                time.sleep(0.02)
                assert n != 5
        """,
        "tests/integration/test_i.py": """
            import pytest
            @pytest.mark.parametrize("n", range(8))
            def test_i(n): pass
        """,
    }
    make_project(**files)
    result = pytester.runpytest_subprocess("-n", "2", "--tier-fail-fast")
    result.assert_outcomes(passed=7, failed=1)
    data = read_verdict()
    assert data["tiers"]["integration"]["passed"] == 0
    assert "stopped after tier unit failed (--tier-fail-fast)" in data["reasons"]
    assert data["decision"] == "blocked"
    assert result.ret == pytest.ExitCode.TESTS_FAILED


def test_tier_fail_fast_under_xdist_continues_when_green(
    pytester: pytest.Pytester, make_project: MakeProject, read_verdict: ReadVerdict
) -> None:
    files = {
        "tests/unit/test_u.py": "import pytest\n@pytest.mark.parametrize('n', range(6))\n"
        "def test_u(n): pass\n",
        "tests/integration/test_i.py": "import pytest\n@pytest.mark.parametrize('n', range(6))\n"
        "def test_i(n): pass\n",
    }
    make_project(**files)
    result = pytester.runpytest_subprocess("-n", "2", "--tier-fail-fast", "-v")
    result.assert_outcomes(passed=12)
    # the barrier: no integration test finished before the last unit test
    passed = [line for line in result.stdout.lines if "PASSED" in line]
    last_unit = max(i for i, line in enumerate(passed) if "test_u[" in line)
    first_integration = min(i for i, line in enumerate(passed) if "test_i[" in line)
    assert last_unit < first_integration
    assert read_verdict()["decision"] == "ready"


def test_crashed_worker_makes_the_verdict_incomplete(
    pytester: pytest.Pytester, make_project: MakeProject, read_verdict: ReadVerdict
) -> None:
    files = {
        "tests/unit/test_u.py": """
            import os
            def test_ok(): pass
            def test_crash(): os._exit(1)
            def test_ok2(): pass
        """,
    }
    make_project(**files)
    pytester.runpytest_subprocess("-n", "2")
    data = read_verdict()
    assert data["decision"] == "incomplete"
    assert any(
        "crashed while running tests/unit/test_u.py::test_crash" in r for r in data["reasons"]
    )


def test_crashed_test_counts_as_failed_in_the_pass_rate(
    pytester: pytest.Pytester, make_project: MakeProject, read_verdict: ReadVerdict
) -> None:
    make_project(
        **{
            "tests/unit/test_u.py": "import os\ndef test_ok(): pass\n"
            "def test_crash(): os._exit(3)\n"
        }
    )
    pytester.runpytest_subprocess("-n", "2")
    data = read_verdict()
    gate = next(g for g in data["gates"] if g["id"] == "tests.pass_rate")
    assert gate["status"] == "fail"
    assert data["tiers"]["unit"]["passed"] == 1
    assert data["tiers"]["unit"]["failed"] + data["tiers"]["unit"]["errors"] == 1
    assert data["decision"] == "incomplete"
