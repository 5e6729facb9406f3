from __future__ import annotations

import importlib
import io
import itertools
import os
import sys
import textwrap
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from pytest_pyramid.gates.cov.measure import (
    TOTAL,
    Numbers,
    anchored_regex,
    group_contexts,
    measure,
    split_static,
    tier_classifier,
)
from pytest_pyramid.gates.cov.measure import (
    test_context_classifier as context_classifier,
)

if TYPE_CHECKING:
    from collections.abc import Iterator
    from types import ModuleType

coverage = pytest.importorskip("coverage")

TIERS = ("unit", "integration", "e2e")
SOURCE = """\
def f(x):
    if x > 1:
        return 1
    return 2


def g(x):
    for i in range(x):
        if i == 3:
            return i
    return -1


def h():  # pragma: no cover
    return 3


def k():
    return 4
"""
_counter = itertools.count()


@pytest.fixture
def project(tmp_path: Path) -> Iterator[tuple[Path, str]]:
    """A fresh importable package (unique name, so tests never share a module)."""
    name = f"covpkg_{os.getpid()}_{next(_counter)}"
    pkg = tmp_path / name
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "m.py").write_text(SOURCE)
    (pkg / "other.py").write_text("def unused():\n    return 1\n")
    sys.path.insert(0, str(tmp_path))
    try:
        yield tmp_path, name
    finally:
        sys.path.remove(str(tmp_path))
        for mod in [m for m in sys.modules if m == name or m.startswith(name + ".")]:
            del sys.modules[mod]


def run_tiers(tmp_path: Path, name: str, **options: Any) -> Any:
    """Measure: import at "collection" time, then unit calls f(0), integration g(5) and f(5)."""
    cov = coverage.Coverage(data_file=str(tmp_path / ".coverage"), source=[name], **options)
    cov.erase()
    cov.start()
    try:
        module: ModuleType = importlib.import_module(f"{name}.m")
        importlib.import_module(f"{name}.other")
        cov.switch_context("unit")
        module.f(0)
        cov.switch_context("integration")
        module.g(5)
        module.f(5)
    finally:
        cov.stop()
    cov.save()
    return cov


def reference(cov: Any, regexes: list[str] | None) -> float:
    """coverage's own figure, as ``coverage report --contexts`` computes it."""
    return float(cov.report(contexts=regexes, file=io.StringIO(), ignore_errors=True))


@pytest.mark.parametrize("branch", [False, True])
@pytest.mark.parametrize("fast", [True, False])
def test_per_tier_figures_match_coverage_report(
    project: tuple[Path, str], branch: bool, fast: bool
) -> None:
    tmp_path, name = project
    rc = tmp_path / ".coveragerc"  # branches are measured because the configuration says so
    rc.write_text(f"[run]\nbranch = {str(branch).lower()}\n")
    cov = run_tiers(tmp_path, name, config_file=str(rc))
    groups = group_contexts(
        cov.get_data().measured_contexts(), ["unit", "integration"], tier_classifier(TIERS)
    )
    assert groups == {"unit": ["unit", ""], "integration": ["integration", ""]}

    result = measure(cov, groups, fast=fast)

    assert result.branch is branch
    for tier in ("unit", "integration"):
        assert result.groups[tier].percent == pytest.approx(reference(cov, [f"^{tier}$", "^$"]))
    assert result.groups[TOTAL].percent == pytest.approx(reference(cov, None))
    # hand-checked: m.py has 11 statements (h is excluded), other.py 2, __init__.py 0
    assert result.groups[TOTAL].statements == 13
    assert result.groups[TOTAL].files == 3
    # imports run the 3 measured def lines of m.py and 1 of other.py; f(0) adds lines 2, 4
    assert result.groups["unit"].lines_covered == 4 + 2
    # the data's query was reset: later reporters see everything again
    assert reference(cov, None) == pytest.approx(result.groups[TOTAL].percent)


@pytest.mark.parametrize("config", ["", "[run]\nbranch = false\n", "[report]\nprecision = 1\n"])
def test_branches_measured_on_request_count_only_where_the_configuration_says(
    project: tuple[Path, str], config: str
) -> None:
    """Hostile case 357: `--cov-branch` (pytest-cov's constructor argument) over a lines-only
    configuration: the figures are the configuration's, lines only."""
    tmp_path, name = project
    options: dict[str, Any] = {}
    if config:
        (tmp_path / ".coveragerc").write_text(config)
        options["config_file"] = str(tmp_path / ".coveragerc")
    lines = measure(run_tiers(tmp_path, name, **options), {})
    for module in [m for m in sys.modules if m == name or m.startswith(name + ".")]:
        del sys.modules[module]  # measured again from its first line
    branched = measure(run_tiers(tmp_path, name, branch=True, **options), {})
    assert branched.branch is False
    assert branched.groups[TOTAL] == lines.groups[TOTAL]
    assert branched.groups[TOTAL].branches == 0


def test_import_time_lines_count_for_every_tier(project: tuple[Path, str]) -> None:
    tmp_path, name = project
    cov = run_tiers(tmp_path, name)
    result = measure(cov, {"unit": ["unit", ""], "unit_only": ["unit"]})
    assert result.groups["unit"].lines_covered == result.groups["unit_only"].lines_covered + 4


def test_total_keeps_per_file_lines_for_changed_line_checks(project: tuple[Path, str]) -> None:
    tmp_path, name = project
    cov = run_tiers(tmp_path, name)
    result = measure(cov, {})
    m_py = os.path.realpath(tmp_path / name / "m.py")
    assert result.files[m_py].statements == frozenset({1, 2, 3, 4, 7, 8, 9, 10, 11, 18, 19})
    # g(5) returns at i == 3, so "return -1" never ran; k() was never called
    assert result.files[m_py].missing == frozenset({11, 19})


def test_report_omit_and_keep_filter(project: tuple[Path, str]) -> None:
    tmp_path, name = project
    rc = tmp_path / "covrc"
    rc.write_text(f"[report]\nomit = */{name}/other.py\n")
    cov = run_tiers(tmp_path, name, config_file=str(rc))
    result = measure(cov, {})
    assert {Path(p).name for p in result.files} == {"__init__.py", "m.py"}
    assert result.groups[TOTAL].percent == pytest.approx(reference(cov, None))

    only_m = os.path.realpath(tmp_path / name / "m.py")
    kept = measure(cov, {"unit": ["unit", ""]}, keep=lambda path: path == only_m)
    assert list(kept.files) == [only_m]
    assert kept.groups[TOTAL].statements == 11


def test_static_context_is_split_off(project: tuple[Path, str]) -> None:
    tmp_path, name = project
    cov = run_tiers(tmp_path, name, context="ci")
    contexts = cov.get_data().measured_contexts()
    assert contexts == {"ci", "ci|unit", "ci|integration"}
    groups = group_contexts(contexts, ["unit"], tier_classifier(TIERS), static="ci")
    assert groups == {"unit": ["ci|unit", "ci"]}
    result = measure(cov, groups)
    assert result.groups["unit"].percent == pytest.approx(reference(cov, ["^ci\\|unit$", "^ci$"]))


def test_a_tier_that_recorded_nothing_has_only_import_lines(project: tuple[Path, str]) -> None:
    tmp_path, name = project
    cov = run_tiers(tmp_path, name)
    groups = group_contexts(cov.get_data().measured_contexts(), ["e2e"], tier_classifier(TIERS))
    assert groups == {"e2e": [""]}
    result = measure(cov, groups)
    assert result.groups["e2e"].lines_covered == 4


def test_empty_group_is_all_missing(project: tuple[Path, str]) -> None:
    tmp_path, name = project
    cov = run_tiers(tmp_path, name)
    result = measure(cov, {"e2e": []})
    assert result.groups["e2e"].lines_covered == 0
    assert result.groups["e2e"].statements == result.groups[TOTAL].statements


def test_no_data_at_all(tmp_path: Path) -> None:
    cov = coverage.Coverage(data_file=str(tmp_path / ".coverage"))
    cov.erase()
    result = measure(cov, {"unit": ["unit"]})
    assert result.groups[TOTAL].percent is None
    assert result.files == {}


# -- pure helpers --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("context", "static", "dynamic"),
    [
        ("unit", None, "unit"),
        ("", None, ""),
        ("ci", "ci", ""),
        ("ci|unit", "ci", "unit"),
        ("other|unit", "ci", "other|unit"),
    ],
)
def test_split_static(context: str, static: str | None, dynamic: str) -> None:
    assert split_static(context, static) == dynamic


def test_group_contexts_by_test_nodeid() -> None:
    classify = context_classifier(
        {"tests/u/test_a.py::test_x[a|b]": "unit", "tests/i/test_b.py::test_y": "integration"}
    )
    contexts = {
        "",
        "tests/u/test_a.py::test_x[a|b]|setup",
        "tests/u/test_a.py::test_x[a|b]|run",
        "tests/i/test_b.py::test_y|run",
        "tests/gone.py::test_z|run",
        "not-a-test-context",
    }
    assert group_contexts(contexts, ["unit", "integration"], classify) == {
        "unit": [
            "tests/u/test_a.py::test_x[a|b]|run",
            "tests/u/test_a.py::test_x[a|b]|setup",
            "",
        ],
        "integration": ["tests/i/test_b.py::test_y|run", ""],
    }


@pytest.mark.parametrize(
    ("contexts", "matches", "misses"),
    [
        (["unit"], ["unit"], ["unit_slow", "x|unit", ""]),
        (["unit", ""], ["unit", ""], ["integration"]),
        (["a.py::t[1]|run"], ["a.py::t[1]|run"], ["a.py::t1|run", "a.py::t[1]|runx"]),
    ],
)
def test_anchored_regex(contexts: list[str], matches: list[str], misses: list[str]) -> None:
    import re

    regex = re.compile(anchored_regex(contexts))
    assert all(regex.search(c) for c in matches)
    assert not any(regex.search(c) for c in misses)


def test_numbers_add_and_percent() -> None:
    total = Numbers(10, 2, 4, 1, 1) + Numbers(5, 5, 0, 0, 1)
    assert total == Numbers(15, 7, 4, 1, 2)
    assert total.percent == pytest.approx(100 * (8 + 3) / 19)
    assert Numbers().percent is None


def test_source_text_is_what_the_counts_assume() -> None:
    # guards the hand-checked numbers above against an edit of SOURCE
    assert textwrap.dedent(SOURCE).count("\n") == 19
