"""What a ``pyramid deploy`` and its supervisor import: every deploy command pays its
interpreter's start-up twice (the command, then the supervisor it starts), and the e2e suite
pays it hundreds of times. pytest (a second or more under load) and importlib.metadata are
run-side costs; no module of the deploy stage needs them at import. Checked in a fresh
interpreter: this process has imported everything already."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

_PROBE = """
import json, pkgutil, importlib, sys
from pytest_pyramid.cli import main
main(["--version"])  # the command's own start: the foreign check and the parser
import pytest_pyramid.deploy as deploy, pytest_pyramid.deploy.routers as routers
names = [m.name for package, prefix in ((deploy, "pytest_pyramid.deploy."),
                                        (routers, "pytest_pyramid.deploy.routers."))
         for m in pkgutil.iter_modules(package.__path__, prefix)
         if not m.name.endswith("__main__")]
for name in names:
    importlib.import_module(name)
print(json.dumps({"modules": len(names), "loaded": sorted(sys.modules)}))
"""


@pytest.fixture(scope="module")
def loaded() -> dict[str, object]:
    """The deploy stage's modules, all imported in a fresh isolated interpreter (as the
    deploy's launcher starts it: ``-I``)."""
    out = subprocess.run([sys.executable, "-I", "-c", _PROBE], capture_output=True, text=True,
                         check=True, timeout=120).stdout
    found: dict[str, object] = json.loads(out.splitlines()[-1])
    return found


def test_the_probe_imported_the_deploy_stage(loaded: dict[str, object]) -> None:
    modules = loaded["modules"]
    assert isinstance(modules, int)
    assert modules > 30  # a probe that found no modules proves nothing


@pytest.mark.parametrize("heavy", ["pytest", "_pytest", "importlib.metadata"])
def test_the_deploy_stage_imports_no_run_side_module(loaded: dict[str, object],
                                                     heavy: str) -> None:
    names = loaded["loaded"]
    assert isinstance(names, list)
    assert heavy not in names, f"import {heavy} where it is used, not on the deploy path"
