"""Pin every direct dependency at the floor ``pyproject.toml`` declares (``tox -e min-versions``).

pyproject.toml is the one source of truth for the floors. This reads the runtime
``dependencies`` and the requested extras (following ``pytest-pyramid-verdict[...]``
self-references, so ``test`` brings in ``all`` and every tool extra) and writes a pip
constraints file with one ``name==floor`` line per package. Installing the package with
those extras under these constraints gives the lowest versions we claim to support, so the
suite can prove the claim; everything further down the tree is left to the resolver (uv
calls this "lowest-direct").

A pin keeps its declaration's environment marker: ``tomli>=2.0; python_version < '3.11'``
must not hold tomli at 2.0 on 3.11, where another package may need a newer one. A dependency
without a floor, or with one no single release answers (``>1``, ``==1.*``), is an error: "any
version" is not a claim a test can check.

    python tools/floors.py [EXTRA ...] [-o OUT]     # OUT defaults to stdout
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from packaging.requirements import Requirement
from packaging.utils import NormalizedName, canonicalize_name
from packaging.version import Version

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping, Sequence

    from packaging.markers import Marker

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - tox -e min-versions-py310
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[1]

#: Operators whose version is the lowest release the requirement admits.
FLOOR_OPERATORS = frozenset({">=", "~=", "=="})
#: Operators that only cap or exclude, so they leave the floor to another specifier.
CAP_OPERATORS = frozenset({"<", "<=", "!="})


class FloorError(ValueError):
    """A declared dependency whose floor cannot be pinned; the message names it."""


@dataclass(frozen=True)
class Pin:
    name: NormalizedName
    version: Version
    marker: Marker | None

    def line(self) -> str:
        if self.marker is None:
            return f"{self.name}=={self.version}"
        return f"{self.name}=={self.version}; {self.marker}"


def floor_of(requirement: Requirement) -> Version:
    """The lowest release ``requirement`` admits."""
    floor: Version | None = None
    for spec in requirement.specifier:
        if spec.operator in CAP_OPERATORS:
            continue
        if spec.operator not in FLOOR_OPERATORS or spec.version.endswith(".*"):
            # ">1.0" or "==1.*" has no single lowest release to pin: the declaration
            # must say which release it means.
            raise FloorError(f"{requirement}: cannot pin a floor from {spec}; use '>='")
        version = Version(spec.version)
        floor = version if floor is None else max(floor, version)
    if floor is None:
        raise FloorError(f"{requirement}: no floor declared; give it one ('>=X')")
    return floor


def declared(project: Mapping[str, Any], extras: Iterable[str]) -> list[Requirement]:
    """The runtime dependencies and those of ``extras``, self-references expanded."""
    own = canonicalize_name(project["name"])
    groups: Mapping[str, list[str]] = project.get("optional-dependencies", {})
    found = [Requirement(line) for line in project.get("dependencies", [])]
    pending = [canonicalize_name(extra) for extra in extras]
    seen: set[str] = set()
    by_name = {canonicalize_name(name): lines for name, lines in groups.items()}
    while pending:
        extra = pending.pop()
        if extra in seen:
            continue
        seen.add(extra)
        if extra not in by_name:
            raise FloorError(f"extra {extra!r} is not declared in [project.optional-dependencies]")
        for line in by_name[extra]:
            requirement = Requirement(line)
            if canonicalize_name(requirement.name) == own:
                pending.extend(canonicalize_name(name) for name in requirement.extras)
            else:
                found.append(requirement)
    return found


def pins(requirements: Iterable[Requirement]) -> list[Pin]:
    """One pin per package, sorted by name. A package declared twice keeps the higher floor
    (both declarations must hold); declared under different markers, it is an error, since
    no single constraint line says which floor holds where."""
    chosen: dict[NormalizedName, Pin] = {}
    for requirement in requirements:
        name = canonicalize_name(requirement.name)
        pin = Pin(name, floor_of(requirement), requirement.marker)
        previous = chosen.get(name)
        if previous is not None:
            if str(previous.marker) != str(pin.marker):
                raise FloorError(
                    f"{name} is declared under different markers ({previous.marker}, "
                    f"{pin.marker}); declare it once per environment"
                )
            pin = max(previous, pin, key=lambda p: p.version)
        chosen[name] = pin
    return [chosen[name] for name in sorted(chosen)]


def constraints(found: Sequence[Pin]) -> str:
    return "".join(pin.line() + "\n" for pin in found)


def load_project(root: Path = ROOT) -> dict[str, Any]:
    with (root / "pyproject.toml").open("rb") as handle:
        project: dict[str, Any] = tomllib.load(handle)["project"]
    return project


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("extras", nargs="*", help="extras to include (e.g. test)")
    parser.add_argument("-o", "--output", type=Path, help="constraints file to write")
    args = parser.parse_args(argv)
    try:
        text = constraints(pins(declared(load_project(), args.extras)))
    except FloorError as error:
        print(f"floors: {error}", file=sys.stderr)
        return 3
    if args.output is None:
        sys.stdout.write(text)
    else:
        args.output.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
