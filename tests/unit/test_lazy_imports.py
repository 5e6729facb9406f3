"""What importing the plugin's entry points costs every pytest run where it is installed.

pytest imports the three ``pytest11`` entry points in every project of the environment,
pyramid or not, before it knows whether the plugin is active; an active run imports the rest
of what it uses in its hooks (``tests/integration/test_plugin.py`` probes those). A module
added to the entry row, or a heavy import reached from it, is paid by every run: this test
fails on it, so start-up does not drift again (docs/architecture.md, "Start-up and per-test
cost"). Checked in a fresh interpreter: this process has imported everything already.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

#: the modules importing the entry points adds to ``import pytest``: the entry row and the
#: small base modules it reads (options, the project loader's settings and their record
#: type, the stash keys)
ENTRY_ROW = frozenset({
    "pytest_pyramid", "pytest_pyramid.results", "pytest_pyramid.guard", "pytest_pyramid.foreign",
    "pytest_pyramid.plugin", "pytest_pyramid.markers", "pytest_pyramid.config",
    "pytest_pyramid.durations", "pytest_pyramid.errors", "pytest_pyramid.run",
    "pytest_pyramid.run._git", "pytest_pyramid.run.filters", "pytest_pyramid.run.stash",
    "pytest_pyramid.verdict", "pytest_pyramid.verdict.report_kinds",
})

#: standard-library packages that cost milliseconds to import and that no run needs at
#: start-up (the ledger's sqlite3, the reports' html/xml, signing's hmac, ...)
HEAVY_STDLIB = frozenset({
    "sqlite3", "html", "xml", "email", "http", "ssl", "asyncio", "concurrent", "decimal",
    "hmac", "secrets", "zoneinfo", "statistics", "difflib", "csv", "gzip", "zipfile", "tarfile",
    "urllib", "socket", "selectors", "multiprocessing", "importlib.metadata", "sysconfig",
})

_PROBE = """
import json, sys
import pytest
before = set(sys.modules)
import pytest_pyramid.guard, pytest_pyramid.plugin, pytest_pyramid.markers
print(json.dumps(sorted(set(sys.modules) - before)))
"""


@pytest.fixture(scope="module")
def added() -> set[str]:
    """The modules the entry points add to ``import pytest``, in a fresh interpreter."""
    out = subprocess.run([sys.executable, "-c", _PROBE], capture_output=True, text=True,
                         check=True, timeout=120).stdout
    return set(json.loads(out.splitlines()[-1]))


def test_the_entry_points_import_only_the_entry_row(added: set[str]) -> None:
    own = {name for name in added if name.partition(".")[0] == "pytest_pyramid"}
    assert own - ENTRY_ROW == set(), "import it where it is used, not at the entry row"


def test_the_entry_points_import_nothing_outside_the_standard_library(added: set[str]) -> None:
    tops = {name.partition(".")[0] for name in added} - {"pytest_pyramid"}
    assert {top for top in tops if top not in sys.stdlib_module_names} == set()


@pytest.mark.parametrize("heavy", sorted(HEAVY_STDLIB))
def test_the_entry_points_import_no_heavy_standard_module(added: set[str], heavy: str) -> None:
    assert heavy not in added


#: what an active run no longer imports or builds at start-up (docs/performance.md): the
#: gate specs are listed without pkgutil, the JSON shapes are plain dict subclasses at run
#: time (mypy still checks them as TypedDicts)
_PROBE_RUN_PARTS = """
import json, sys, typing
from pytest_pyramid.gates.engine import discover
from pytest_pyramid.run.summary import Problem
from pytest_pyramid.verdict.document import GateEntry, Verdict
discover()
print(json.dumps({"pkgutil": "pkgutil" in sys.modules,
                  "typeddicts": [typing.is_typeddict(t) for t in (Verdict, GateEntry, Problem)]}))
"""


def test_the_run_parts_import_no_pkgutil_and_build_no_typeddict() -> None:
    out = subprocess.run([sys.executable, "-c", _PROBE_RUN_PARTS], capture_output=True,
                         text=True, check=True, timeout=120).stdout
    found = json.loads(out.splitlines()[-1])
    assert found == {"pkgutil": False, "typeddicts": [False, False, False]}
