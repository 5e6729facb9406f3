"""Processes the closed world cannot follow (hostile case 121; ``run/unfollowed.py``): a
repository file run as a program that is not Python is named as unverifiable, unless the
project's tracked ``allow_options = ["process PATH"]`` vouches for it. End to end in
``test_closed_world.py``."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from pytest_pyramid.run.unfollowed import REASON, allowed, program_kind, record, vouched

if TYPE_CHECKING:
    from pathlib import Path

FILES = {
    "check.sh": b"#!/bin/sh\nexec python3 local.py\n",
    "env_bash": b"#!/usr/bin/env bash\necho hi\n",
    "tool": b"#!/usr/bin/env python3\nprint(1)\n",
    "script.py": b"print(1)\n",
    "binary": b"\x7fELF\x02\x01\x01" + bytes(20),
    "data.txt": b"not a program\n",
    "noshebang": b"echo hi\n",
}


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    for name, body in FILES.items():
        (tmp_path / name).write_bytes(body)
    return tmp_path


@pytest.mark.parametrize(("name", "by_shell", "kind"), [
    ("check.sh", False, "a sh script"),
    ("env_bash", False, "a bash script"),
    ("binary", False, "a compiled binary"),
    ("tool", False, None),  # Python: its file is hashed, the run follows it that far
    ("script.py", True, None),
    ("data.txt", False, None),  # a data file in an argument is an input, not a program
    ("noshebang", False, None),
    ("noshebang", True, "a shell script"),  # `sh noshebang`: the shell runs it
    ("missing", True, None),
])
def test_program_kind(tree: Path, name: str, by_shell: bool, kind: str | None) -> None:
    assert program_kind(str(tree / name), by_shell=by_shell) == kind


@pytest.mark.parametrize(("command", "named"), [
    (["check.sh"], ["check.sh"]),
    (["/bin/sh", "noshebang", "data.txt"], ["noshebang"]),
    (["bash", "check.sh"], ["check.sh"]),
    (["python3", "script.py", "data.txt"], []),
    (["env_bash", "binary"], ["env_bash", "binary"]),
    (["git", "status"], []),  # outside the repository: not the tree's code
])
def test_record_names_the_programs_of_the_repository(tree: Path, command: list[str],
                                                       named: list[str]) -> None:
    found: dict[str, str] = {}

    def resolve(token: str) -> str | None:
        path = tree / token  # the recorder's rule: only paths under the repository
        return str(path) if path.exists() and path.is_relative_to(tree) else None

    record(command, resolve, found)
    assert sorted(found) == sorted(str(tree / name) for name in named)
    assert all(why.startswith(REASON) for why in found.values())


def test_the_project_vouches_for_a_program_by_its_path() -> None:
    unverifiable = {"/r/scripts/check.sh": f"{REASON} (a sh script): ...",
                    "/r/other.sh": f"{REASON} (a sh script): ...",
                    "/r/scripts/mod.pyc": "bytecode without its source"}
    paths = allowed(["-p xdist", "process scripts/check.sh", "process /other.sh/"])
    assert paths == {"scripts/check.sh", "other.sh"}
    assert vouched(unverifiable, lambda real: real.removeprefix("/r/"), paths) == {
        "/r/scripts/mod.pyc": "bytecode without its source"}
    assert vouched(unverifiable, lambda real: real.removeprefix("/r/"),
                   allowed([])) == unverifiable
