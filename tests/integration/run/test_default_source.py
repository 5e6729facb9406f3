"""Principle: the code under test is the tree's (hostile round 2, case 81). Without
``[tool.pyramid] source`` the project's packages are its tracked top-level packages and
modules (folders with ``__init__.py``, ``*.py`` files and PEP 420 namespace folders at the
root and under ``src/``): a
copy of one imported from elsewhere (an installed build, another folder on ``sys.path``)
makes the run ``incomplete``, naming it. A folder git does not track is not the project's package.
Serial and under ``-n 2``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from pytest_pyramid.run.loaded import default_packages
from tests.integration.run.test_closed_world import BASE

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


@pytest.mark.parametrize("workers", [0, 2], ids=["serial", "n2"])
@pytest.mark.parametrize(("files", "source", "ini"), [
    pytest.param({"src/mypkg/__init__.py": "VALUE = 1\n"}, "mypkg", "pythonpath = ['src']",
                 id="src-layout-by-name"),
    pytest.param({"src/mypkg/__init__.py": "VALUE = 1\n"}, "src/mypkg", "pythonpath = ['src']",
                 id="src-layout-by-path"),
    pytest.param({"mypkg.py": "VALUE = 1\n"}, "mypkg", "pythonpath = ['.']",
                 id="one-module-by-name"),
])
def test_a_declared_source_by_name_or_path_is_the_trees_own(
    pytester: pytest.Pytester, project: Callable[..., Path], read_verdict: ReadVerdict,
    workers: int, files: dict[str, str], source: str, ini: str,
) -> None:
    """Hostile round 11a (noticed): ``source = ["mypkg"]`` in a src layout made every clean
    run ``incomplete`` ("mypkg was imported from src/mypkg/__init__.py, not from the
    project's source"): the entry was read as the folder ``mypkg`` at the top. A name means
    the module coverage would take (``config.source_path``); a stale copy of it elsewhere
    is still named (the row after)."""
    project({**files, "tests/integration/test_i.py": USES}, config=f'source = ["{source}"]\n',
            ini=ini)
    pytester.runpytest(*(["-n", str(workers)] if workers else []))
    data = read_verdict()
    assert data["decision"] == "ready", data["reasons"]


@pytest.mark.parametrize("workers", [0, 2], ids=["serial", "n2"])
@pytest.mark.parametrize("leftover", [
    {"mypkg/_version.py": "VERSION = '0.0.1'\n"},  # a generated file git ignores
    {"mypkg/__pycache__/core.cpython-312.pyc": "x"},  # bytecode only
], ids=["generated-file", "bytecode"])
def test_a_source_name_means_the_trees_package_not_a_leftover_folder(
    pytester: pytest.Pytester, project: Callable[..., Path], read_verdict: ReadVerdict,
    workers: int, leftover: dict[str, str],
) -> None:
    """Hostile case 341: after ``git mv mypkg src/mypkg`` an ignored leftover ``mypkg/`` at
    the top made ``source = ["mypkg"]`` mean that folder (it exists on disk), and a clean
    run ``incomplete``: the name is resolved against the tree (``config.source_path``)."""
    project({".gitignore": BASE[".gitignore"] + "mypkg/_version.py\n",
             "src/mypkg/__init__.py": "VALUE = 1\n", "tests/integration/test_i.py": USES},
            later=leftover, config='source = ["mypkg"]\n', ini="pythonpath = ['src']")
    pytester.runpytest(*(["-n", str(workers)] if workers else []))
    data = read_verdict()
    assert data["decision"] == "ready", data["reasons"]


def test_a_declared_source_by_name_still_names_a_stale_copy(
    pytester: pytest.Pytester, project: Callable[..., Path], read_verdict: ReadVerdict,
) -> None:
    project({"src/mypkg/__init__.py": "VALUE = 1\n", "conftest.py": ELSEWHERE_FIRST,
             "elsewhere/mypkg/__init__.py": "VALUE = 2\n", "tests/integration/test_i.py": USES},
            config='source = ["mypkg"]\n', ini="pythonpath = ['src']")
    pytester.runpytest()
    data = read_verdict()
    assert data["decision"] == "incomplete"
    assert any("mypkg was imported from elsewhere/mypkg/__init__.py" in r
               for r in data["reasons"]), data["reasons"]


def test_a_single_module_project_s_module_is_the_projects(
    pytester: pytest.Pytester, project: Callable[..., Path], read_verdict: ReadVerdict,
) -> None:
    """Hostile case 147: the project's code is one top-level module, and a stale copy of it
    elsewhere on sys.path is imported first."""
    project({"mymod.py": "VALUE = 1\n", "conftest.py": ELSEWHERE_FIRST,
             "elsewhere/mymod.py": "VALUE = 2\n",
             "tests/integration/test_i.py": "import mymod\ndef test_i(): assert mymod.VALUE\n"},
            ini="pythonpath = ['.']")
    pytester.runpytest()
    data = read_verdict()
    assert data["decision"] == "incomplete"
    assert any("mymod was imported from" in r and "(the repository's module mymod.py" in r
               for r in data["reasons"]), data["reasons"]


def test_a_namespace_package_s_modules_are_the_projects(
    pytester: pytest.Pytester, project: Callable[..., Path], read_verdict: ReadVerdict,
) -> None:
    """Hostile case 158: the project's code is a PEP 420 namespace package (no ``__init__.py``
    anywhere) and a stale copy of its module elsewhere on sys.path is imported first; a
    dependency's portion of the same namespace (``acme.common``) is not the project's.
    Serial only: a worker's facts reach the same function (the rows above, -n 2)."""
    project({"src/acme/billing/core.py": "VALUE = 1\n", "conftest.py": ELSEWHERE_FIRST,
             "elsewhere/acme/billing/core.py": "VALUE = 2\n",
             "elsewhere/acme/common/util.py": "VALUE = 3\n",
             "tests/integration/test_i.py": "from acme.billing import core\n"
                                            "from acme.common import util\n"
                                            "def test_i(): assert core.VALUE + util.VALUE\n"},
            ini="pythonpath = ['src']")
    pytester.runpytest()
    data = read_verdict()
    assert data["decision"] == "incomplete"
    said = [r for r in data["reasons"] if NOT_SET in r]
    assert len(said) == 1, data["reasons"]
    assert "acme.billing.core was imported from elsewhere/acme/billing/core.py" in said[0]
    assert "(the repository's namespace package src/acme/" in said[0]
    assert "acme.common" not in said[0]


def test_the_default_packages_are_the_folders_and_the_modules(tmp_path: Path) -> None:
    for folder in ("mypkg", "src/other", "json", "docs", ".hidden", "not-a-name", "src/x/y",
                   "__pycache__"):
        (tmp_path / folder).mkdir(parents=True)
        if folder != "docs":
            (tmp_path / folder / "__init__.py").write_text("")
    for module in ("setup.py", "mymod.py", "src/tool.py", "conftest.py", "os.py", "not-a-name.py",
                   "notes.txt"):
        (tmp_path / module).write_text("")
    # json, os: named like a standard-library module (importing that one is not foreign);
    # conftest.py: pytest imports every conftest as a top-level ``conftest``; docs, src, src/x:
    # folders without __init__.py, namespace packages to Python (of which only the modules
    # the tree holds are the project's: tests/unit/run/test_loaded_logic.py)
    assert default_packages(tmp_path) == ["docs", "mymod.py", "mypkg", "setup.py", "src",
                                          "src/other", "src/tool.py", "src/x"]
