"""Principle: a tier's hard per-test limit cannot be swallowed.

A test that catches pytest-timeout's exception (``except BaseException``, a bare ``except:``,
a retry loop) and goes on is failed by the plugin all the same, naming the tier and its
limit, serial and under ``-n 2``; the verdict is then never ``ready``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from tests.conftest import MakeProject, ReadVerdict

LIMIT = "[tool.pyramid.tiers.unit]\ntest_timeout = '0.3s'\n"

SWALLOWERS = {
    "base_exception": """
        import time
        def test_it():
            try:
                time.sleep(30)
            except BaseException:
                pass
    """,
    "bare_except": """
        import time
        def test_it():
            try:
                time.sleep(30)
            except:  # noqa: E722
                pass
    """,
    "retry_loop": """
        import time
        def test_it():
            for attempt in range(3):
                try:
                    time.sleep(0.6)
                    return
                except BaseException:
                    continue
    """,
    "swallowed_in_fixture": """
        import time
        import pytest
        @pytest.fixture
        def slow():
            try:
                time.sleep(30)
            except BaseException:
                pass
        def test_it(slow):
            pass
    """,
    "expected_failure": """
        import time
        import pytest
        @pytest.mark.xfail(reason="slow")
        def test_it():
            try:
                time.sleep(30)
            except BaseException:
                pass
    """,
}


@pytest.mark.parametrize("workers", [0, 2], ids=["serial", "n2"])
@pytest.mark.parametrize("body", list(SWALLOWERS.values()), ids=list(SWALLOWERS))
def test_a_swallowed_timeout_still_fails_the_test(
    pytester: pytest.Pytester,
    make_project: MakeProject,
    read_verdict: ReadVerdict,
    body: str,
    workers: int,
) -> None:
    make_project(LIMIT, **{
        "tests/unit/test_swallow.py": body,
        "tests/unit/test_fine.py": "def test_fine(): pass\n",
    })
    args = ["-rfE", "-p", "no:randomly"] + (["-n", str(workers)] if workers else [])
    result = pytester.runpytest(*args)
    outcomes = result.parseoutcomes()
    assert outcomes.get("passed") == 1, result.stdout.str()
    assert outcomes.get("failed", 0) + outcomes.get("errors", 0) == 1, result.stdout.str()
    result.stdout.fnmatch_lines(["*pyramid: tier 'unit' per-test limit 300ms exceeded*"])
    data = read_verdict()
    assert data["decision"] != "ready"
    assert data["tiers"]["unit"]["failed"] + data["tiers"]["unit"]["errors"] == 1
    assert result.ret != 0


def test_a_test_within_its_limit_and_a_killed_test_are_as_before(
    pytester: pytest.Pytester, make_project: MakeProject, read_verdict: ReadVerdict
) -> None:
    """The check adds no failure to a test within its limit, nor a second one to a test
    pytest-timeout killed; a test's own longer mark is the limit it runs under."""
    make_project(LIMIT, **{
        "tests/unit/test_t.py": """
            import time
            import pytest
            def test_quick(): pass
            def test_killed(): time.sleep(30)
            @pytest.mark.timeout(5)
            def test_own_longer_mark(): time.sleep(0.5)
            @pytest.mark.timeout(0.3)
            def test_own_mark_swallowed():
                try:
                    time.sleep(30)
                except BaseException:
                    pass
        """,
    })
    result = pytester.runpytest("-rf")
    result.assert_outcomes(passed=2, failed=2)
    result.stdout.fnmatch_lines([
        "*killed by the tier 'unit' per-test limit 300ms (pytest-timeout)",
        "*pyramid: its own timeout mark 300ms exceeded*",
    ])
    assert read_verdict()["decision"] == "blocked"
