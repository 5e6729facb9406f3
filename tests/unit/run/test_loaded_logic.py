"""The project's loaded code as raw facts (``run/loaded.py``), judged by one function: what
a process records (:func:`loaded_code`) and what the writer, a shard and ``pyramid merge``
make of a record (:func:`foreign_problems`), whoever wrote the record."""

from __future__ import annotations

import os
import types
from typing import TYPE_CHECKING

import pytest

from pytest_pyramid.run.loaded import (
    foreign_problems,
    loaded_code,
    module_fact,
    outside_facts,
    package_names,
    stray_reasons,
)

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
        # neither the tree nor this interpreter's environment holds these (hostile case 402)
        "?mypkg.core:/opt/site-packages/mypkg/core.py": None,
        "?mypkg_extra:/opt/elsewhere.py": None,
    }


@pytest.mark.parametrize(("file", "outside"), [
    pytest.param("{root}/tests/helpers/expect.py", False, id="the-tree"),
    pytest.param("{root}/../shared-testing/expect.py", True, id="a-sibling-spelled-through-root"),
    pytest.param("/env/lib/site-packages/expect.py", False, id="the-environment"),
    pytest.param("/env/lib/../../elsewhere/expect.py", True, id="dot-dot-out-of-the-environment"),
    pytest.param("/ci/shared-testing/expect.py", True, id="anywhere-else"),
])
def test_a_module_from_neither_the_tree_nor_the_environment_is_an_outside_fact(
    tmp_path: Path, file: str, outside: bool,
) -> None:
    root = tmp_path / "repo"
    root.mkdir()
    path = file.format(root=root)
    found = outside_facts(root, {"expect": module("expect", path)}, frozenset(),
                          places=("/env/",))
    assert found == ({f"?expect:{os.path.realpath(path)}": None} if outside else {})
    if outside:  # one reason, naming the module and the file, in every route's judgement
        [reason] = stray_reasons(found)
        assert reason.startswith(f"expect was imported from {os.path.realpath(path)}, outside")


def test_a_module_made_since_the_run_began_is_the_runs_own_output(tmp_path: Path) -> None:
    made = tmp_path / "made_here.py"
    made.write_text("VALUE = 1\n")
    modules = {"made_here": module("made_here", str(made))}
    root = tmp_path / "repo"
    assert outside_facts(root, modules, frozenset(), started=made.stat().st_ctime - 5,
                         places=("/env/",)) == {}
    assert outside_facts(root, modules, frozenset(), started=made.stat().st_ctime + 5,
                         places=("/env/",)) == {f"?made_here:{made}": None}


#: the tree of :func:`test_the_names_a_runs_children_report_are_the_runs_source`
TREE = ("mypkg/__init__.py", "tool.py", "conftest.py", "json/__init__.py", "docs/x.md",
        "src/acme/billing/core.py", "lib/deep/__init__.py")


@pytest.mark.parametrize(("source", "names"), [
    pytest.param((), {"mypkg", "tool", "docs", "src", "acme", "lib"},
                 id="not-set-the-trees-top-names"),
    # the declared ones and the tree's top-level ones beside them (hostile case 356: a tracked
    # package outside source is the project's code too)
    pytest.param(("lib/deep",), {"deep", "mypkg", "tool", "docs", "src", "acme", "lib"},
                 id="declared-a-nested-package"),
    pytest.param(("tool.py", "src/acme"), {"tool", "acme", "mypkg", "docs", "src", "lib"},
                 id="declared-a-module-a-namespace"),
])
def test_the_names_a_runs_children_report_are_the_runs_source(
    tmp_path: Path, source: tuple[str, ...], names: set[str],
) -> None:
    """Case 202: a followed child reports the modules of these names (what ``loaded_code``
    records in the run's own process): not the standard library's, not ``conftest``."""
    for name in TREE:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("")
    assert package_names(source, tmp_path) == names


@pytest.mark.parametrize(("file", "key"), [
    pytest.param("{root}/src/mypkg/core.py", "mypkg.core:src/mypkg/core.py", id="the-trees"),
    pytest.param("/opt/site-packages/mypkg/core.py", "mypkg.core:/opt/site-packages/mypkg/core.py",
                 id="an-installed-copy"),
    pytest.param("{root}/../old/mypkg/core.py", "mypkg.core:{parent}/old/mypkg/core.py",
                 id="beside-the-project"),
])
def test_one_fact_is_spelled_one_way_for_every_process(
    tmp_path: Path, file: str, key: str,
) -> None:
    """The child's fact at import and the run's at its end share :func:`module_fact`."""
    root = tmp_path / "proj"
    root.mkdir()
    fill = {"root": str(root), "parent": str(tmp_path)}
    assert module_fact("mypkg.core", file.format(**fill), None, str(root)) == (
        key.format(**fill), None)


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
    (tmp_path / "src/mypkg/__init__.py").write_text("")
    problems = foreign_problems(loaded, SRC, tmp_path)
    if says is None:
        assert problems == []
        return
    assert [p["kind"] for p in problems] == ["foreign_code"]
    assert says in problems[0]["message"]


#: a PEP 420 namespace package in the tree (hostile case 158: no ``__init__.py`` anywhere but
#: in ``acme/pay``, a regular package inside it)
NAMESPACE = ("src/acme",)
SITE = "/opt/site-packages/acme"


@pytest.mark.parametrize(("loaded", "says"), [
    pytest.param({"acme.billing.core:src/acme/billing/core.py": None}, None,
                 id="the-trees-own"),
    pytest.param({f"acme.billing.core:{SITE}/billing/core.py": None},
                 f"acme.billing.core was imported from {SITE}/billing/core.py",
                 id="an-installed-copy-of-a-module-the-tree-holds"),
    pytest.param({f"acme.common.util:{SITE}/common/util.py": None}, None,
                 id="a-dependency's-portion-of-the-namespace"),
    pytest.param({f"acme.billing.extra:{SITE}/billing/extra.py": None}, None,
                 id="a-dependency's-module-in-a-shared-namespace-folder"),
    pytest.param({f"acme.pay.gone:{SITE}/pay/gone.py": None},
                 "acme.pay.gone was imported from", id="a-regular-package-cannot-be-split"),
    pytest.param({f"acme.billing:{SITE}/billing/__init__.py": None},
                 f"acme.billing was imported from {SITE}/billing/__init__.py",
                 id="a-regular-package-shadows-a-namespace-folder-holding-code"),
    pytest.param({f"acme.docs:{SITE}/docs/__init__.py": None}, None,
                 id="a-folder-without-code-names-nothing"),
    pytest.param({f"acme.billing.core.deep:{SITE}/billing/core/deep.py": None},
                 "acme.billing.core.deep was imported from",
                 id="below-a-module-the-tree-holds"),
])
def test_of_a_namespace_package_the_modules_the_tree_holds_are_the_projects(
    tmp_path: Path, loaded: dict[str, str | None], says: str | None,
) -> None:
    for file in ("src/acme/billing/core.py", "src/acme/pay/__init__.py", "src/acme/pay/a.py",
                 "src/acme/docs/index.md"):
        (tmp_path / file).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / file).write_text("")
    problems = foreign_problems(loaded, NAMESPACE, tmp_path)
    if says is None:
        assert problems == []
        return
    assert [p["kind"] for p in problems] == ["foreign_code"]
    assert says in problems[0]["message"]


def _site(tmp_path: Path, *files: str, holder: str = "") -> tuple[str, ...]:
    """A site-packages folder holding ``files``; with ``holder``, a distribution of that
    name whose RECORD lists them (no ``top_level.txt``: as flit and hatchling install)."""
    site = tmp_path / "env/site-packages"
    for file in files:
        (site / file).parent.mkdir(parents=True, exist_ok=True)
        (site / file).write_text("")
    if holder:
        info = site / f"{holder}-1.0.dist-info"
        info.mkdir(parents=True)
        (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {holder}\nVersion: 1.0\n")
        (info / "RECORD").write_text("".join(f"{file},,\n" for file in files))
    return (str(site) + "/",)


@pytest.mark.parametrize(("name", "file", "holder", "project", "fact"), [
    # hostile case 310: a module the commit deleted, kept by an old install with no record
    pytest.param("legacy_util", "legacy_util.py", "", "", None, id="no-distribution-holds-it"),
    # a dependency's module: its distribution's record lists the file
    pytest.param("othertool", "othertool/__init__.py", "OtherTool", "", "-",
                 id="a-dependencys"),
    # the same file when the project *is* that distribution: its own, installed
    pytest.param("othertool", "othertool/__init__.py", "OtherTool", 'name = "othertool"',
                 "OtherTool", id="the-projects-own-distribution"),
    # imported under another name: the file decides (distutils is setuptools' _distutils)
    pytest.param("distutils", "othertool/_distutils/__init__.py", "OtherTool", "", "-",
                 id="by-its-file"),
])
def test_an_installed_module_the_tree_does_not_hold_is_judged_by_its_distribution(
    tmp_path: Path, name: str, file: str, holder: str, project: str, fact: str | None,
) -> None:
    from pytest_pyramid.run.loaded import stray_facts

    (tmp_path / "repo").mkdir()
    (tmp_path / "repo/pyproject.toml").write_text(f"[project]\n{project}\n")
    installed = _site(tmp_path, file, holder=holder)
    modules = {name: module(name, installed[0] + file)}
    found = stray_facts(frozenset(), tmp_path / "repo", modules, frozenset(), installed)
    if fact == "-":
        assert found == {}
        return
    assert found == {f"!{name}:{installed[0]}{file}": fact}
    # the judge names it, whoever recorded it (the writer, a shard, the merge)
    problems = foreign_problems(found, (), tmp_path / "repo")
    says = "no installed distribution holds" if fact is None else "the project's own"
    assert len(problems) == 1, problems
    assert says in problems[0]["message"]


def test_a_file_dropped_into_a_dependencys_folder_is_held_by_no_distribution(
    tmp_path: Path,
) -> None:
    """The record lists the files the distribution installed, not its folder: a module
    written beside them later is no distribution's."""
    from pytest_pyramid.run.loaded import stray_facts

    installed = _site(tmp_path, "othertool/__init__.py", holder="OtherTool")
    (tmp_path / "env/site-packages/othertool_extra.py").write_text("")
    modules = {"othertool": module("othertool", installed[0] + "othertool/__init__.py"),
               "othertool_extra": module("othertool_extra",
                                         installed[0] + "othertool_extra.py")}
    (tmp_path / "repo").mkdir()
    assert stray_facts(frozenset(), tmp_path / "repo", modules, frozenset(), installed) == {
        f"!othertool_extra:{installed[0]}othertool_extra.py": None}


def test_modules_loaded_before_the_plugin_are_the_environments(tmp_path: Path) -> None:
    """virtualenv's ``_virtualenv`` (a ``.pth`` import, held by no distribution) is the
    interpreter's start-up, not the code under test."""
    from pytest_pyramid.run.loaded import stray_facts

    installed = _site(tmp_path, "_virtualenv.py")
    modules = {"_virtualenv": module("_virtualenv", installed[0] + "_virtualenv.py")}
    assert stray_facts(frozenset(), tmp_path, modules, frozenset({"_virtualenv"}),
                       installed) == {}


@pytest.mark.parametrize(("holder", "fact"), [
    # hostile case 310 c: the commit deleted src/acme/billing/rates.py, an old install keeps it
    pytest.param("", None, id="no-distribution-holds-it"),
    # a namespace shared by design: a dependency's acme.billing.rates
    pytest.param("acme-rates", "-", id="a-dependencys-module-of-the-namespace"),
])
def test_a_module_of_the_projects_packages_from_an_install_is_judged_by_its_distribution(
    tmp_path: Path, holder: str, fact: str | None,
) -> None:
    from pytest_pyramid.run.loaded import stray_facts

    (tmp_path / "repo/src/acme/billing").mkdir(parents=True)
    (tmp_path / "repo/src/acme/billing/core.py").write_text("")
    installed = _site(tmp_path, "acme/billing/rates.py", holder=holder)
    file = installed[0] + "acme/billing/rates.py"
    modules = {"acme.billing.rates": module("acme.billing.rates", file)}
    found = stray_facts(frozenset({"acme"}), tmp_path / "repo", modules, frozenset(), installed)
    assert found == ({} if fact == "-" else {f"!acme.billing.rates:{file}": fact})
    # the namespace rule leaves it to the distribution: named once, by the stray rule
    loaded = {**found, f"acme.billing.rates:{file}": None}
    problems = foreign_problems(loaded, ("src/acme",), tmp_path / "repo")
    assert len(problems) == (0 if fact == "-" else 1), problems


def test_a_module_named_as_not_the_trees_is_named_once(tmp_path: Path) -> None:
    """An installed copy shadowing the tree's package, held by no distribution: the tree's
    rule names it; the stray rule adds no second reason."""
    from pytest_pyramid.run.loaded import stray_facts

    (tmp_path / "repo/src/acme").mkdir(parents=True)
    (tmp_path / "repo/src/acme/__init__.py").write_text("")
    installed = _site(tmp_path, "acme/__init__.py")
    file = installed[0] + "acme/__init__.py"
    found = stray_facts(frozenset({"acme"}), tmp_path / "repo", {"acme": module("acme", file)},
                        frozenset(), installed)
    assert found == {f"!acme:{file}": None}
    problems = foreign_problems({**found, f"acme:{file}": None}, ("src/acme",), tmp_path / "repo")
    assert len(problems) == 1, problems
    assert "not from the project's source" in problems[0]["message"]


@pytest.mark.parametrize(("tracked", "says"), [
    pytest.param(True, "testing_utils was imported from /opt/site-packages/testing_utils",
                 id="a-tracked-package-outside-source"),
    pytest.param(False, None, id="an-untracked-folder-is-not-the-projects"),
])
def test_a_tracked_package_beside_the_declared_source_is_the_projects_too(
    tmp_path: Path, tracked: bool, says: str | None,
) -> None:
    """Hostile case 356: ``source = ["mypkg"]`` chooses what coverage measures; the tree's
    tracked test helper package ran from a stale installed copy and nothing said so."""
    import subprocess

    for file in ("src/mypkg/__init__.py", "testing_utils/__init__.py"):
        (tmp_path / file).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / file).write_text("")
    subprocess.run(["git", "init", "-q"], cwd=tmp_path, check=True)
    if tracked:
        subprocess.run(["git", "add", "testing_utils"], cwd=tmp_path, check=True)
    loaded = {"mypkg:src/mypkg/__init__.py": None,
              "testing_utils:/opt/site-packages/testing_utils/__init__.py": None}
    problems = foreign_problems(loaded, SRC, tmp_path)
    if says is None:
        assert problems == []
        return
    assert says in problems[0]["message"]
    assert "source names others" in problems[0]["message"]
