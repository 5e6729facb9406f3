"""Principle: the code under test is the tree's (hostile round 2, case 81). Without
``[tool.pyramid] source`` the project's packages are its tracked top-level packages
(folders with ``__init__.py`` at the root and under ``src/``): a copy of one imported from
elsewhere (an installed build, another folder on ``sys.path``) makes the run
``incomplete``, naming it. A folder git does not track is not the project's package.
Serial and under ``-n 2``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from pytest_pyramid.run.loaded import default_packages

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from tests.conftest import ReadVerdict

#: a tracked conftest that puts another copy of the package first on sys.path (what an
#: installed build does when the tests run through an installed ``pytest`` script)
ELSEWHERE_FIRST = """
    import os, sys
    sys.path.insert(0, os.path.join(os.path.dirname(__file__), "elsewhere"))
"""
USES = "import mypkg\ndef test_i(): assert mypkg.VALUE\n"
NOT_SET = "[tool.pyramid] source is not set"


@pytest.mark.parametrize("workers", [0, 2], ids=["serial", "n2"])
@pytest.mark.parametrize(("files", "untracked", "says"), [
    pytest.param({"mypkg/__init__.py": "VALUE = 1\n", "conftest.py": ELSEWHERE_FIRST},
                 {}, "mypkg was imported from", id="root-package-shadowed"),
    pytest.param({"src/mypkg/__init__.py": "VALUE = 1\n", "conftest.py": ELSEWHERE_FIRST},
                 {}, "(the repository's package src/mypkg/", id="src-package-shadowed"),
    pytest.param({"mypkg/__init__.py": "VALUE = 1\n"}, {}, None, id="the-trees-own"),
    pytest.param({"conftest.py": ELSEWHERE_FIRST}, {"mypkg/__init__.py": "VALUE = 1\n"},
                 None, id="untracked-folder-is-not-a-package"),
])
def test_without_source_the_trees_packages_are_the_projects(
    pytester: pytest.Pytester, project: Callable[..., Path], read_verdict: ReadVerdict,
    workers: int, files: dict[str, str], untracked: dict[str, str], says: str | None,
) -> None:
    project({**files, "elsewhere/mypkg/__init__.py": "VALUE = 2\n",
             "tests/integration/test_i.py": USES},
            later=untracked, ini="pythonpath = ['.', 'src']")
    pytester.runpytest(*(["-n", str(workers)] if workers else []))
    data = read_verdict()
    if says is None:
        assert data["decision"] == "ready", data["reasons"]
        return
    assert data["decision"] == "incomplete"
    assert any(says in r and NOT_SET in r for r in data["reasons"]), data["reasons"]


def test_the_default_packages_are_the_folders_with_an_init(tmp_path: Path) -> None:
    for folder in ("mypkg", "src/other", "json", "docs", ".hidden", "not-a-name", "src/x/y"):
        (tmp_path / folder).mkdir(parents=True)
        if folder != "docs":
            (tmp_path / folder / "__init__.py").write_text("")
    (tmp_path / "setup.py").write_text("")
    # json: a folder named like a standard-library module (importing that one is not foreign)
    assert default_packages(tmp_path) == ["mypkg", "src/other"]  # src/x: no __init__.py
