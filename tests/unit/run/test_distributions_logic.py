"""run/distributions.py: which installed distributions a run's modules came from, with the
test tools' own marked ``harness`` (a release need not have them) unless the project
declares them. Read from this environment's real metadata (pluggy: pytest's requirement)."""

from __future__ import annotations

import sys
from importlib.metadata import version

import pytest

from pytest_pyramid.run.distributions import closure, imported, python_places

PLUGGY = f"pluggy=={version('pluggy')}"


def test_the_closure_follows_installed_requirements() -> None:
    assert {"pytest", "pluggy", "iniconfig", "packaging"} <= closure(["pytest>=8"])
    # a requirement only an extra asks, or whose marker does not hold here, is left out
    assert closure(["pluggy; extra == 'dev'", "pluggy; python_version < '3'"]) == set()
    assert closure(["not-installed-anywhere==1"]) == {"not-installed-anywhere"}


@pytest.mark.parametrize(("declared", "startup", "expected"), [
    ((), frozenset(), {PLUGGY: True}),  # only pytest needs it: the harness'
    (("pluggy>=1",), frozenset(), {PLUGGY: False}),  # the project declares it: checked
    ((), frozenset({"pluggy"}), {}),  # loaded before the first conftest: the tools'
    (("pluggy",), frozenset({"pluggy"}), {PLUGGY: False}),  # declared: recorded anyway
])
def test_an_imported_module_is_recorded_by_its_distribution(
        declared: tuple[str, ...], startup: frozenset[str], expected: dict[str, bool]) -> None:
    found = imported({"pluggy": sys.modules["pluggy"], "json": sys.modules["json"]},
                     python_places(), lambda: [], declared, None, startup)
    assert {key: value["harness"] for key, value in found.items()} == expected
    assert all(str(value["record"]).startswith("sha256:") for value in found.values())


def test_the_projects_own_distribution_is_the_trees() -> None:
    found = imported({"pluggy": sys.modules["pluggy"]}, python_places(), lambda: [], (),
                     "Pluggy", frozenset())
    assert found == {}
