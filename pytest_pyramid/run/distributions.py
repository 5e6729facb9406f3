"""The installed distributions a run imported: what the tested code ran on besides the tree.

A verdict names the tree; the tests also ran on the environment's libraries. A release runs
on whatever its interpreter has installed, so the deploy gate (``deploy/libraries.py``) asks
that interpreter for the same distributions, at the same versions and files (hostile case
466: CI tested ``pricing`` 2.0, the deploy host's venv had 1.0).

Raw facts, once per process at its session end (never per import or per test): every
top-level module loaded from an install location, mapped to the distribution whose own record
holds its file (``run/installed.py``), with its version and :func:`~dist_probe.record_digest`.
The harness is recorded too, marked: a distribution only the test tools need (pytest, the
plugins pytest loaded, this plugin, and what they require) and the project's declared
``[project] dependencies`` do not (with what those require) is ``harness``, which a release
need not have. Everything else is checked: allow-listed by being the tools', never by name.
The project's own distribution (an install of the tree) is the tree's, not a library.

Keys are ``name==version`` (normalized name), so the xdist controller's and ``pyramid
merge``'s union keep two versions two processes or shards ran on: one release cannot have
both, and the gate names the one it lacks. No pytest import.
"""

from __future__ import annotations

import functools
import os
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from pytest_pyramid.run.dist_probe import normalize, record_digest
from pytest_pyramid.run.plugins import OWN_DISTRIBUTION

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable
    from types import ModuleType

#: a recorded distribution: ``name==version`` -> {"record": digest | None, "harness": bool}
Distributions = dict[str, dict[str, Any]]

#: the test tools' own distributions, whatever plugins are loaded
TOOLS = ("pytest", OWN_DISTRIBUTION)
#: this plugin's package folder: the run's harness wherever it is installed from
_PLUGIN_DIR = os.path.dirname(os.path.dirname(os.path.realpath(__file__))) + os.sep


def imported(modules: Mapping[str, ModuleType], places: tuple[str, ...],
             tools: Callable[[], Iterable[str]], declared: Iterable[str], own: str | None,
             startup: frozenset[str] = frozenset()) -> Distributions:
    """The distributions ``modules`` (``sys.modules`` at the session end) were loaded from.
    ``places``: the install locations (``run/plugins.py: install_dirs``); ``tools``: the
    distribution names of the test tools (pytest's loaded plugins: asked only when there is
    a distribution to classify); ``declared``: the
    project's ``[project] dependencies`` (requirement strings); ``own``: the project's name;
    ``startup``: the top-level modules loaded before the first conftest (the interpreter's
    ``.pth`` lines, pytest, its plugins): not the tested code's. What the project declares
    (and what that requires), installed here, is recorded whether imported or not: the
    release needs it as tested. Cheap when the run imported nothing new from an install
    location and declares nothing: no metadata is read."""
    needed = closure(declared) if declared else set()
    files: dict[str, str] = {}
    for name, module in list(modules.items()):
        if "." in name or name in startup or module is None:
            continue  # before any attribute is read: a lazy module would load on the read
        file = getattr(module, "__file__", None)
        if isinstance(file, str) and file.startswith(places) and \
                not os.path.realpath(file).startswith(_PLUGIN_DIR):
            files[name] = file
    if not files and not needed:
        return {}
    from importlib.metadata import PackageNotFoundError, distribution

    from pytest_pyramid.run.installed import holders

    owners = holders(files.values(), every=lambda _dists: False) if files else {}
    names = {normalize(holders_[0]) for holders_ in owners.values() if holders_} | needed
    names.discard(normalize(own or ""))
    harness = closure((*TOOLS, *tools())) - needed if names - needed else set()
    found: Distributions = {}
    for name in sorted(names):
        try:
            dist = distribution(name)
        except (PackageNotFoundError, ValueError, OSError):
            continue
        found[f"{name}=={dist.version}"] = {"record": record_digest(dist.read_text("RECORD")),
                                            "harness": name in harness}
    return found


#: a requirement's name at the start of a ``Requires-Dist`` value (PEP 508)
_NAME = re.compile(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)")


def closure(requirements: Iterable[str]) -> set[str]:
    """The normalized names of ``requirements`` (names or PEP 508 strings) and of everything
    their installed distributions require in this environment (markers evaluated; a
    requirement only an extra asks is left out), transitively. A requirement not installed
    is kept by name. Reads each distribution's ``Requires-Dist`` lines itself (the email
    parser importlib.metadata uses costs ~5 ms a distribution)."""
    from importlib.metadata import PackageNotFoundError, distribution

    seen: set[str] = set()
    todo = [str(r) for r in requirements]
    while todo:
        text = todo.pop()
        match = _NAME.match(text)
        _, _, marker = text.partition(";")
        if match is None or (marker.strip() and not _marker_holds(marker.strip())):
            continue
        name = normalize(match.group(1))
        if name in seen:
            continue
        seen.add(name)
        try:
            metadata = distribution(name).read_text("METADATA") or ""
        except (PackageNotFoundError, ValueError, OSError):
            continue
        head = metadata.split("\n\n", 1)[0]
        todo.extend(line[len("Requires-Dist:"):].strip() for line in head.splitlines()
                    if line.startswith("Requires-Dist:"))
    return seen


@functools.lru_cache(maxsize=512)
def _marker_holds(marker: str) -> bool:
    """Whether a requirement's marker holds here with no extra asked (a malformed one: no)."""
    if "extra" in marker:
        return False
    from packaging.markers import (
        InvalidMarker,
        Marker,
        UndefinedComparison,
        UndefinedEnvironmentName,
    )

    try:
        return Marker(marker).evaluate()
    except (InvalidMarker, UndefinedComparison, UndefinedEnvironmentName):
        return False


def listed(record: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The verdict's ``run.distributions``: the record as a sorted list."""
    rows = []
    for key, value in sorted(record.items()):
        if not isinstance(value, Mapping):
            value = {}  # a malformed partial's entry: no digest, never the harness'
        name, _, version = str(key).partition("==")
        record = value.get("record")
        if name:
            rows.append({"name": name, "version": version,
                         "record": record if isinstance(record, str) else None,
                         "harness": value.get("harness") is True})
    return rows


def project_declared(pyproject: Mapping[str, Any] | None) -> tuple[str | None, list[str]]:
    """The project's name and ``[project] dependencies`` from its parsed pyproject.toml."""
    table = (pyproject or {}).get("project")
    if not isinstance(table, Mapping):
        return None, []
    name = table.get("name")
    deps = table.get("dependencies")
    return (name if isinstance(name, str) else None,
            [d for d in deps if isinstance(d, str)] if isinstance(deps, list) else [])


def python_places() -> tuple[str, ...]:
    """This interpreter's install locations (``run/plugins.py: install_dirs``)."""
    from pytest_pyramid.run.plugins import install_dirs

    return install_dirs()
