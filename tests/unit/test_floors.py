"""tools/floors.py (the constraints of `tox -e min-versions`) against the real pyproject.toml,
and its rules on small tables, so the minimum-versions check cannot quietly test less."""

from __future__ import annotations

import configparser
import importlib.util
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

if TYPE_CHECKING:
    from types import ModuleType

ROOT = Path(__file__).resolve().parents[2]
TOOL = ROOT / "tools" / "floors.py"
#: the extra the min-versions env installs (and pins)
EXTRA = "test"


def load_tool() -> ModuleType:
    # tools/ is not a package: load the script by path, as tox runs it (registered first,
    # since dataclasses look their module up while the class is built)
    spec = importlib.util.spec_from_file_location("pyramid_tools_floors", TOOL)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


floors = load_tool()


@pytest.fixture(scope="module")
def project() -> dict[str, Any]:
    loaded: dict[str, Any] = floors.load_project(ROOT)
    return loaded


# -- the real pyproject.toml ------------------------------------------------------------------


def test_the_test_extra_reaches_every_other_extra(project: dict[str, Any]) -> None:
    """An extra the min-versions env does not install would have floors nobody tries."""
    own = canonicalize_name(project["name"])
    groups: dict[str, list[str]] = {
        canonicalize_name(k): v for k, v in project["optional-dependencies"].items()
    }
    reached: set[str] = set()
    pending = [EXTRA]
    while pending:
        extra = pending.pop()
        if extra in reached:
            continue
        reached.add(extra)
        for line in groups[extra]:
            requirement = Requirement(line)
            if canonicalize_name(requirement.name) == own:
                pending.extend(canonicalize_name(name) for name in requirement.extras)
    # dev adds only lint and packaging tools (ruff, mypy, tox), which the suite does not run
    assert set(groups) - reached == {"dev"}


def test_every_direct_dependency_is_pinned_at_its_floor(project: dict[str, Any]) -> None:
    own = canonicalize_name(project["name"])
    lines = list(project["dependencies"])
    for name, group in project["optional-dependencies"].items():
        if name != "dev":
            lines.extend(group)
    expected: dict[str, tuple[Version, str | None]] = {}
    for line in lines:
        requirement = Requirement(line)
        name = canonicalize_name(requirement.name)
        if name == own:
            continue
        lowest = [Version(s.version) for s in requirement.specifier if s.operator == ">="]
        assert lowest, f"{line!r} declares no '>=' floor"
        if name in expected:
            lowest.append(expected[name][0])
        expected[name] = (max(lowest), str(requirement.marker) if requirement.marker else None)

    text = floors.constraints(floors.pins(floors.declared(project, [EXTRA])))
    pinned: dict[str, tuple[Version, str | None]] = {}
    for line in text.splitlines():
        # a pip constraint: a bare name (no extras), one exact version, maybe a marker
        requirement = Requirement(line)
        assert not requirement.extras, line
        (spec,) = requirement.specifier
        assert spec.operator == "==", line
        marker = str(requirement.marker) if requirement.marker else None
        pinned[canonicalize_name(requirement.name)] = (Version(spec.version), marker)
    assert pinned == expected


def test_the_marker_stays_with_its_pin(project: dict[str, Any]) -> None:
    """tomli only below 3.11: pinned everywhere, it would hold back whatever needs a newer one."""
    by_name = {pin.name: pin for pin in floors.pins(floors.declared(project, [EXTRA]))}
    assert by_name["tomli"].marker is not None
    assert by_name["tomli"].marker.evaluate({"python_version": "3.10"})
    assert not by_name["tomli"].marker.evaluate({"python_version": "3.11"})


def test_the_cli_writes_the_constraints_file(tmp_path: Path, project: dict[str, Any]) -> None:
    out = tmp_path / "floors.txt"
    done = subprocess.run(
        [sys.executable, str(TOOL), EXTRA, "-o", str(out)],
        capture_output=True, text=True, check=False, timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert out.read_text() == floors.constraints(floors.pins(floors.declared(project, [EXTRA])))


def test_the_cli_names_a_bad_extra() -> None:
    done = subprocess.run(
        [sys.executable, str(TOOL), "no-such-extra"],
        capture_output=True, text=True, check=False, timeout=60,
    )
    assert done.returncode == 3
    assert done.stdout == ""
    assert "'no-such-extra' is not declared" in done.stderr


def test_tox_installs_what_the_tool_pins() -> None:
    """The env must pin the extra it installs, or some installed floor goes untested."""
    tox = configparser.ConfigParser(interpolation=None)
    tox.read(ROOT / "tox.ini")
    (section,) = [s for s in tox.sections() if s.startswith("testenv:min-versions")]
    commands = tox[section]["commands_pre"]
    assert f"tools/floors.py {EXTRA} -o " in commands
    assert f"--constraint {{env_tmp_dir}}/floors.txt -e .[{EXTRA}]" in commands


# -- the rules --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "floor"),
    [
        ("a>=1.2", "1.2"),
        ("a~=1.4", "1.4"),
        ("a==2.0", "2.0"),
        ("a>=1,<2", "1"),
        ("a>=1,!=1.5", "1"),
        ("a>=1,>=1.5", "1.5"),
        ("a[extra]>=3; python_version < '3.11'", "3"),
    ],
)
def test_floor_of(line: str, floor: str) -> None:
    assert floors.floor_of(Requirement(line)) == Version(floor)


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("a", "a: no floor declared"),
        ("a<2", "a<2: no floor declared"),
        ("a>1", "cannot pin a floor from >1"),
        ("a==1.*", "cannot pin a floor from ==1.*"),
        ("a>=1,===2", "cannot pin a floor from ===2"),
    ],
)
def test_floor_of_refuses(line: str, message: str) -> None:
    with pytest.raises(floors.FloorError, match=message.replace("*", r"\*")):
        floors.floor_of(Requirement(line))


def test_pins_keep_the_higher_floor_drop_extras_and_keep_markers() -> None:
    found = floors.pins([
        Requirement("B_Pkg[x]>=1"),
        Requirement("b-pkg>=1.5"),
        Requirement("a>=2; python_version < '3.11'"),
    ])
    assert floors.constraints(found) == (
        'a==2; python_version < "3.11"\n'
        "b-pkg==1.5\n"
    )


def test_pins_refuse_one_package_under_two_markers() -> None:
    with pytest.raises(floors.FloorError, match="tomli is declared under different markers"):
        floors.pins([Requirement("tomli>=2; python_version < '3.11'"), Requirement("tomli>=2")])


def test_declared_follows_self_references_once() -> None:
    project = {
        "name": "Shop",
        "dependencies": ["core>=1"],
        "optional-dependencies": {
            "a": ["shop[b]", "one>=1"],
            "b": ["shop[a]", "two>=2"],
            "c": ["three>=3"],
        },
    }
    names = sorted(r.name for r in floors.declared(project, ["a"]))
    assert names == ["core", "one", "two"]
    with pytest.raises(floors.FloorError, match="extra 'd' is not declared"):
        floors.declared(project, ["d"])
