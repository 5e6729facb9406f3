"""The gate engine lists ``gates/specs/`` without ``pkgutil`` (``engine._module_names``): the
same names ``pkgutil.iter_modules`` gives for a package on disk, row by row."""

from __future__ import annotations

import pkgutil
from typing import TYPE_CHECKING

import pytest

from pytest_pyramid.gates import specs
from pytest_pyramid.gates.engine import _module_names, discover

if TYPE_CHECKING:
    from pathlib import Path


@pytest.mark.parametrize(("first", "second"), [
    (["a.py", "b.py", "__init__.py"], []),
    (["z.py", "m.py", "a.py"], []),  # sorted, as pkgutil sorts
    (["pkg/__init__.py", "pkg.py", "mod.py"], []),  # a package beside its namesake
    (["folder/x.py", "notes.txt", "a.b.py", "data.json"], []),  # none is a module
    (["__pycache__/a.cpython-311.pyc", "ok.py"], []),
    (["a.py", "b.py"], ["b.py", "c.py"]),  # two folders: the first one's b wins, once
])
def test_the_names_are_pkgutils(tmp_path: Path, first: list[str], second: list[str]) -> None:
    folders = []
    for index, files in enumerate((first, second)):
        folder = tmp_path / str(index)
        folder.mkdir()
        for name in files:
            (folder / name).parent.mkdir(parents=True, exist_ok=True)
            (folder / name).write_text("")
        folders.append(str(folder))
    expected = [info.name for info in pkgutil.iter_modules(folders)]
    assert _module_names(folders) == expected


def test_every_spec_module_is_discovered() -> None:
    names = [info.name for info in pkgutil.iter_modules(specs.__path__)]
    assert _module_names(specs.__path__) == names
    assert len(discover()) == len(names) == 14  # each of them declares its SPEC
