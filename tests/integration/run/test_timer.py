"""The SIGALRM timer pyramid hands pytest-timeout: real runs, real signals."""

from __future__ import annotations

import signal
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from tests.conftest import MakeProject

pytest_plugins = ["pytester"]

pytestmark = pytest.mark.skipif(not hasattr(signal, "SIGALRM"), reason="needs SIGALRM")

PROBE_PATH = "import sys, os\nsys.path.insert(0, os.path.dirname(__file__))\n"
LIMIT = "[tool.pyramid.tiers.unit]\ntest_timeout = '0.5s'\n"

OURS = """
import signal
def armed_by_pyramid():
    handler = signal.getsignal(signal.SIGALRM)
    return type(getattr(handler, "__self__", None)).__name__ == "SignalTimer"
"""


def test_each_test_is_armed_for_its_limit_and_disarmed_after(
    pytester: pytest.Pytester, make_project: MakeProject
) -> None:
    make_project(
        LIMIT,
        **{
            "tests/unit/probe.py": OURS,
            "tests/unit/test_a.py": """
                import signal, time
                from probe import armed_by_pyramid
                def test_armed():
                    remaining, _ = signal.getitimer(signal.ITIMER_REAL)
                    assert armed_by_pyramid() and 0 < remaining <= 0.5  # armed, at most the limit
                def test_still_armed_after_the_first():
                    time.sleep(0.3)  # together with the first: over 0.5 s unless re-armed
                    assert armed_by_pyramid() and signal.getitimer(signal.ITIMER_REAL)[0] > 0
            """,
            "tests/unit/conftest.py": PROBE_PATH,
        },
    )
    # xdist workers run tests on their main thread: the same timer serves them
    pytester.runpytest_subprocess("-n", "2").assert_outcomes(passed=2)
    before = signal.getsignal(signal.SIGALRM)
    pytester.runpytest_inprocess("-p", "no:randomly").assert_outcomes(passed=2)
    # the session left nothing behind: the old handler is back and no timer is pending
    assert signal.getsignal(signal.SIGALRM) is before
    assert signal.getitimer(signal.ITIMER_REAL)[0] == 0


@pytest.mark.parametrize("replacement", ["signal.SIG_IGN", "lambda *a: None"])
def test_a_test_that_replaces_the_handler_does_not_disarm_the_next(
    pytester: pytest.Pytester, make_project: MakeProject, replacement: str
) -> None:
    make_project(
        LIMIT,
        **{
            "tests/unit/test_a.py": f"""
                import signal, time
                def test_1_replaces_the_handler():
                    signal.signal(signal.SIGALRM, {replacement})
                def test_2_hangs():
                    time.sleep(5)
            """
        },
    )
    result = pytester.runpytest_subprocess("-p", "no:randomly")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(["FAILED *test_2_hangs - Failed: Timeout (>0.5s)*"])


def test_a_hanging_fixture_is_stopped_too(
    pytester: pytest.Pytester, make_project: MakeProject
) -> None:
    make_project(
        LIMIT,
        **{
            "tests/unit/test_a.py": """
                import time, pytest
                @pytest.fixture
                def slow():
                    time.sleep(5)
                def test_uses_slow(slow): pass
                def test_after(): pass
            """
        },
    )
    result = pytester.runpytest_subprocess("-p", "no:randomly")
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(["*killed by the tier 'unit' per-test limit 500ms*"])


def test_thread_method_is_left_to_pytest_timeout(
    pytester: pytest.Pytester, make_project: MakeProject
) -> None:
    make_project(
        LIMIT,
        ini="timeout_method = 'thread'",
        **{
            "tests/unit/probe.py": OURS,
            "tests/unit/conftest.py": PROBE_PATH,
            "tests/unit/test_a.py": """
                import threading
                from probe import armed_by_pyramid
                def test_thread_timer():
                    assert not armed_by_pyramid()
                    assert any(t.name.startswith("pytest_timeout") for t in threading.enumerate())
            """,
        },
    )
    pytester.runpytest_subprocess().assert_outcomes(passed=1)


def test_func_only_times_the_test_body_alone(
    pytester: pytest.Pytester, make_project: MakeProject
) -> None:
    make_project(
        LIMIT,
        ini="timeout_func_only = true",
        **{
            "tests/unit/test_a.py": """
                import time, pytest
                @pytest.fixture
                def slow_setup():
                    time.sleep(0.8)  # over the limit, but setup is not timed with func_only
                def test_slow_setup_passes(slow_setup): pass
                def test_slow_body_is_stopped(): time.sleep(5)
            """
        },
    )
    result = pytester.runpytest_subprocess("-p", "no:randomly")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(
        ["*test_slow_body_is_stopped*", "*killed by the tier 'unit' per-test limit 500ms*"]
    )
