from __future__ import annotations

import pytest

from pytest_pyramid.run.tiers import (
    PathRouter,
    TierAssignmentError,
    assign_tier,
    module_marker_names,
)

ROUTER = PathRouter(
    {
        "unit": ["tests/unit"],
        "e2e": ["tests/e2e", "tests/ui/*_flow.py"],
        "performance": ["tests/e2e/load"],
        "contract": ["tests/*/pacts", "test_*_contract.py"],
        "security": ["tests/**/test_sec_*.py"],
    }
)


@pytest.mark.parametrize(
    ("path", "tier"),
    [
        ("tests/unit/test_a.py", "unit"),
        ("tests/unit", "unit"),
        ("tests/unit_old/test_a.py", None),
        ("tests/e2e/test_b.py", "e2e"),
        ("tests/e2e/load/test_c.py", "performance"),
        ("tests/ui/checkout_flow.py", "e2e"),
        ("tests/ui/test_other.py", None),
        ("src/unit/test_x.py", None),
        # globs are the project's one dialect (globs.py): '*' never crosses '/'
        ("tests/ui/sub/checkout_flow.py", None),
        # a directory a glob matches covers its contents, at any depth
        ("tests/api/pacts/test_orders.py", "contract"),
        ("tests/api/pacts/v2/test_orders.py", "contract"),
        ("tests/api/v2/pacts/test_orders.py", None),
        # without '/', a glob matches a file name in any directory
        ("tests/api/test_orders_contract.py", "contract"),
        # '**' spans any number of directories, none included
        ("tests/test_sec_headers.py", "security"),
        ("tests/a/b/test_sec_headers.py", "security"),
    ],
)
def test_path_router_prefix_and_glob(path: str, tier: str | None) -> None:
    assert ROUTER.tier_for(path) == tier
    assert ROUTER.tier_for(path) == tier  # cached answer is the same


def test_tiers_under_directory() -> None:
    router = PathRouter({"unit": ["tests/unit"], "e2e": ["tests/e2e"], "perf": ["tests/e2e/l"]})
    assert router.tiers_under("tests/unit") == {"unit"}
    assert router.tiers_under("tests/e2e") == {"e2e", "perf"}
    assert router.tiers_under("tests") is None  # mixed content: must be descended into
    assert PathRouter({"e2e": ["tests/*/e2e"]}).tiers_under("tests/e2e") is None


@pytest.mark.parametrize(
    ("markers", "path_tier", "strict", "expected"),
    [
        ({"e2e"}, "unit", False, "e2e"),  # marker beats path
        (set(), "integration", False, "integration"),  # path beats default
        (set(), None, False, "unit"),  # default
        ({"e2e"}, None, True, "e2e"),
        (set(), "unit", True, "unit"),
    ],
)
def test_assign_tier_precedence(
    markers: set[str], path_tier: str | None, strict: bool, expected: str
) -> None:
    assert assign_tier(markers, path_tier, "unit", strict=strict, nodeid="t.py::x") == expected


def test_two_tier_markers_name_the_test() -> None:
    with pytest.raises(TierAssignmentError, match=r"t\.py::x: has more than one tier marker"):
        assign_tier({"unit", "e2e"}, None, "unit", strict=False, nodeid="t.py::x")


def test_strict_without_tier_names_the_test() -> None:
    with pytest.raises(TierAssignmentError, match=r"t\.py::x: has no tier marker"):
        assign_tier(set(), None, "unit", strict=True, nodeid="t.py::x")


@pytest.mark.parametrize(
    ("source", "names"),
    [
        ("import pytest\npytestmark = pytest.mark.e2e\n", {"e2e"}),
        ("pytestmark = [pytest.mark.e2e, pytest.mark.slow(reason='x')]\n", {"e2e", "slow"}),
        ("from pytest import mark\npytestmark = (mark.integration,)\n", {"integration"}),
        ("pytestmark: list = [pytest.mark.e2e]\npytestmark += [pytest.mark.db]\n",
         {"e2e", "db"}),
        ("pytestmark = pytest.mark.e2e\npytest.importorskip('nothing_here')\n", {"e2e"}),
        ("marks = pytest.mark.e2e\n", set()),  # not pytestmark
        ("def f():\n    pytestmark = pytest.mark.e2e\n", set()),  # not module level
        ("pytestmark = [\n", set()),  # a syntax error: nothing, pytest reports the module
    ],
)
def test_module_marker_names_read_pytestmark_from_source(source: str, names: set[str]) -> None:
    assert module_marker_names(source) == frozenset(names)
