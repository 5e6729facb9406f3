"""Shared helpers for the plugin's end-to-end tests: a pytester project with [tool.pyramid]."""

from __future__ import annotations

import json
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from pytest_pyramid.verdict import schema_errors
from tests.support.deploy import host

# fixtures every tier's tests of a folder use, registered once (tools/layout_tests.py: PLUGINS)
pytest_plugins = ["tests.support.deploy.fixtures"]

#: Plugins of the dev environment that cost seconds of start-up per process and play no
#: part in these runs (hypothesis via schemathesis, locust, pact). pytest-playwright (its
#: sync API: 0.6 s of CPU per process, half of a bare pytest's start-up in this venv), anyio
#: and platformdirs too: every xdist worker and subprocess run of the suite paid for them.
#: Each is one the invocation table (run/invocation.py: DISABLE) knows can only
#: make a test error when left out, so the judgement of these runs does not change.
LEAN_ADDOPTS = (
    "-p no:cacheprovider -p no:schemathesis -p no:locust -p no:pact"
    " -p no:playwright -p no:anyio -p no:platformdirs"
)
#: for the projects whose tests use pytest-playwright's fixtures
BROWSER_ADDOPTS = LEAN_ADDOPTS.replace(" -p no:playwright", "")



@pytest.fixture(scope="session", autouse=True)
def _no_host_pins(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """The suite never reads this machine's own host pins (``/etc/pyramid``, the account's
    ``~/.config/pyramid``): in-process code reads an empty host, CLI processes their test's
    (tests/support/deploy/host.py). Session-wide, so no test pays for it."""
    with host.isolated(tmp_path_factory.mktemp("no-host-pins")):
        yield


MakeProject = Callable[..., Path]
ReadVerdict = Callable[..., dict[str, Any]]


@pytest.fixture
def make_project(pytester: pytest.Pytester) -> MakeProject:
    """Write ``pyproject.toml`` with ``[tool.pyramid]`` plus ``config``, and the given files."""

    def make(config: str = "", *, ini: str = "", addopts: str = "", lean: str = LEAN_ADDOPTS,
             **files: str) -> Path:
        pytester.makefile(
            ".toml",
            pyproject=f'[tool.pytest.ini_options]\naddopts = "{lean} {addopts}"\n'
            f"{textwrap.dedent(ini)}\n[tool.pyramid]\n{textwrap.dedent(config)}",
        )
        for name, body in files.items():
            path = pytester.path / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(textwrap.dedent(body))
        return pytester.path

    return make


def _no_constant(name: str) -> object:
    raise AssertionError(f"the verdict is not strict JSON: it contains {name}")


def strict_json(text: str) -> Any:
    """Parse as a strict reader (JavaScript, Go, jq) would: NaN and Infinity are errors."""
    return json.loads(text, parse_constant=_no_constant)


@pytest.fixture
def read_verdict(pytester: pytest.Pytester) -> ReadVerdict:
    """Load a verdict the run wrote: strict JSON, checked against the shipped schema."""

    def read(name: str = "pyramid-verdict.json") -> dict[str, Any]:
        data: dict[str, Any] = strict_json((pytester.path / name).read_text())
        assert schema_errors(data) == []
        return data

    return read
