"""Principle: one finishing route. What decides a test's tier, and which facts count, is the
same in a serial run and under ``-n 2``: a conftest's ``pytest_pyramid_tier`` answers only for
the tests below its folder (the item's own hook relay), and a module skipped at import is
counted in the tier its markers name, not only by its path.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from tests.conftest import MakeProject, ReadVerdict

WORKERS = pytest.mark.parametrize("workers", [0, 2], ids=["serial", "n2"])


def _run(pytester: pytest.Pytester, workers: int, *args: str) -> pytest.RunResult:
    return pytester.runpytest(*args, *(["-n", str(workers)] if workers else []))


@WORKERS
def test_a_conftest_tier_hook_answers_only_below_its_folder(
    pytester: pytest.Pytester, make_project: MakeProject, read_verdict: ReadVerdict,
    workers: int,
) -> None:
    make_project(**{
        "tests/unit/conftest.py": """
            def pytest_pyramid_tier(item):
                return "e2e" if "slow" in item.name else None
        """,
        "tests/unit/test_u.py": "def test_fast(): pass\ndef test_slow(): pass\n",
        "tests/integration/test_i.py": "def test_slow_too(): pass\n",
    })
    _run(pytester, workers).assert_outcomes(passed=3)
    tiers = read_verdict()["tiers"]
    # the unit folder's hook moved its own slow test; the integration test kept its tier
    assert {name: tiers[name]["passed"] for name in ("unit", "integration", "e2e")} == {
        "unit": 1, "integration": 1, "e2e": 1}


SKIPPED_AT_IMPORT = """
    import pytest
    pytestmark = {marks}
    pytest.importorskip("a_module_that_is_not_installed")
    def test_browser(): pass
"""


@WORKERS
@pytest.mark.parametrize(
    ("marks", "config"),
    [
        ("pytest.mark.e2e", ""),
        ("[pytest.mark.browser]", "[tool.pyramid.tiers.e2e]\nmarkers = ['browser']\n"),
    ],
    ids=["tier_marker", "markers_rule"],
)
def test_a_module_skipped_at_import_counts_in_the_tier_its_markers_name(
    pytester: pytest.Pytester, make_project: MakeProject, read_verdict: ReadVerdict,
    workers: int, marks: str, config: str,
) -> None:
    make_project(config, ini="markers = ['browser']", **{
        "tests/unit/test_u.py": "def test_u(): pass\n",
        "tests/unit/test_skipped_browser_ui.py": SKIPPED_AT_IMPORT.format(marks=marks),
    })
    _run(pytester, workers).assert_outcomes(passed=1, skipped=1)
    tiers = read_verdict()["tiers"]
    assert (tiers["unit"]["skipped_modules"], tiers["e2e"]["skipped_modules"]) == (0, 1)
    assert (tiers["unit"]["skipped"], tiers["e2e"]["skipped"]) == (0, 1)
