"""The project's loaded code as raw facts (``run/loaded.py``), judged by one function: what
a process records (:func:`loaded_code`) and what the writer, a shard and ``pyramid merge``
make of a record (:func:`foreign_problems`), whoever wrote the record."""

from __future__ import annotations

import types
from typing import TYPE_CHECKING

import pytest

from pytest_pyramid.run.loaded import foreign_problems, loaded_code

if TYPE_CHECKING:
    from pathlib import Path

SRC = ("src/mypkg",)


def module(name: str, file: str | None) -> types.ModuleType:
    made = types.ModuleType(name)
    made.__file__ = file
    return made


def test_a_process_records_its_projects_modules_relative_to_the_project(
    tmp_path: Path,
) -> None:
    (tmp_path / "src/mypkg").mkdir(parents=True)
    modules = {
        "mypkg": module("mypkg", str(tmp_path / "src/mypkg/__init__.py")),
        "mypkg.core": module("mypkg.core", "/opt/site-packages/mypkg/core.py"),
        "mypkg_extra": module("mypkg_extra", "/opt/elsewhere.py"),  # another top-level name
        "mypkg.ns": module("mypkg.ns", None),  # a namespace package: no file of its own
        "json": module("json", "/usr/lib/python3/json/__init__.py"),
    }
    assert loaded_code(SRC, tmp_path, modules) == {
        "mypkg:src/mypkg/__init__.py": None,
        "mypkg.core:/opt/site-packages/mypkg/core.py": None,
    }


@pytest.mark.parametrize(("loaded", "says"), [
    pytest.param({"mypkg:src/mypkg/__init__.py": None, "mypkg.a:src/mypkg/a.py": None}, None,
                 id="the-trees-own"),
    pytest.param({"mypkg:/opt/site-packages/mypkg/__init__.py": None},
                 "mypkg was imported from /opt/site-packages/mypkg/__init__.py, not from the "
                 "project's source", id="an-installed-copy"),
    pytest.param({"mypkg:src/mypkg/__init__.py": None, "mypkg:build/lib/mypkg/__init__.py": None},
                 "mypkg was imported from build/lib/mypkg/__init__.py", id="a-second-process-"
                 "loaded-another-copy"),
    pytest.param({"mypkg:src/mypkg_old/__init__.py": None},
                 "mypkg was imported from src/mypkg_old/__init__.py", id="a-sibling-folder"),
    pytest.param({"mypkg.a:src/mypkg/a.py": "src/mypkg/__pycache__/a.cpython-311.pyc"},
                 "mypkg.a ran from bytecode Python does not check against its source "
                 "(src/mypkg/__pycache__/a.cpython-311.pyc)", id="unchecked-bytecode"),
    pytest.param({"other:/opt/other.py": None}, None, id="not-the-projects-package"),
    pytest.param(None, "no facts on the modules the run loaded were recorded",
                 id="no-record"),
    pytest.param(["mypkg:/opt/x.py"], "no facts on the modules the run loaded were recorded",
                 id="not-a-mapping"),
])
def test_a_record_of_loaded_code_is_judged_whoever_wrote_it(
    tmp_path: Path, loaded: object, says: str | None,
) -> None:
    (tmp_path / "src/mypkg").mkdir(parents=True)
    problems = foreign_problems(loaded, SRC, tmp_path)
    if says is None:
        assert problems == []
        return
    assert [p["kind"] for p in problems] == ["foreign_code"]
    assert says in problems[0]["message"]
