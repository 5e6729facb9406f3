"""Principle: a plugin the project did not declare is not the project's (docs/verdict.md,
"Plugins"; hostile round 2, cases 80 and 103). Every registered plugin is judged by where its
code comes from (run/plugins.py): pytest's and pytest-pyramid's own, the tree's, a
distribution the table knows, or one the project declared. Anything else - an installed
``pytest11`` plugin nobody declared, an object passed to ``pytest.main(plugins=[...])`` -
makes the run ``incomplete``, naming it. Serial and under ``-n 2``.

The undeclared distribution here is a real one (a ``.dist-info`` with a ``pytest11`` entry
point), committed under the project's ``site/`` and put on ``PYTHONPATH`` (inside the
repository: allowed) so that pytest autoloads it, in the xdist workers too.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from tests.git_repo import git

if TYPE_CHECKING:
    from pathlib import Path

    from tests.conftest import MakeProject, ReadVerdict

#: a test that fails with a ConnectionError, which the plugin below turns into a skip
FAILING = "def test_service():\n    raise ConnectionError('refused')\n"
#: the undeclared plugin of case 80: "network unavailable" turns a failure into a skip
SKIPNET = """
import pytest

@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    if rep.failed and call.excinfo is not None and call.excinfo.errisinstance(ConnectionError):
        rep.outcome = "skipped"
        rep.longrepr = (str(item.path), 0, "Skipped: network unavailable")
"""
#: an installed distribution holding it, autoloaded through its pytest11 entry point
SKIPNET_DIST = {
    "site/pytest_skipnet.py": SKIPNET,
    "site/pytest_skipnet-1.0.dist-info/METADATA":
        "Metadata-Version: 2.1\nName: pytest-skipnet\nVersion: 1.0\n",
    "site/pytest_skipnet-1.0.dist-info/entry_points.txt":
        "[pytest11]\nskipnet = pytest_skipnet\n",
}
UNDECLARED = "plugin skipnet (distribution pytest-skipnet) is registered but not declared"


class SkipNetwork:
    """Case 103's plugin object: never on a command line, not an entry point."""

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_makereport(self, item: pytest.Item, call: pytest.CallInfo[None]
                                  ) -> Any:
        outcome = yield
        report = outcome.get_result()
        if report.failed and call.excinfo is not None and call.excinfo.errisinstance(
                ConnectionError):
            report.outcome = "skipped"
            report.longrepr = (str(item.path), 0, "Skipped: network")


def install(root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The project's committed ``site/`` on ``PYTHONPATH``: the distribution is installed
    for a pytest run in a subprocess (xdist's workers take the controller's ``sys.path`` as
    it was when xdist was imported, so an in-process run cannot install it for them)."""
    monkeypatch.setenv("PYTHONPATH", str(root / "site"))


def _project(make_project: MakeProject, pytester: pytest.Pytester, config: str = "",
             addopts: str = "", files: dict[str, str] | None = None,
             monkeypatch: pytest.MonkeyPatch | None = None) -> Path:
    root = make_project(config, addopts=addopts, **{
        "tests/unit/test_u.py": "def test_a(): pass\n",
        "tests/integration/test_net.py": FAILING,
        **SKIPNET_DIST, **(files or {})})
    (root / ".gitignore").write_text("pyramid-verdict*\n__pycache__/\n")
    git(root, "init", "-q")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "project")
    if monkeypatch is not None:
        install(root, monkeypatch)
    return root


def _run(pytester: pytest.Pytester, workers: int, **kwargs: Any) -> None:
    """In-process (``plugins=``: pytest.main's own argument), else in a subprocess."""
    args = ["-n", str(workers)] if workers else []
    if "plugins" in kwargs:
        result = pytester.runpytest_inprocess(*args, **kwargs)
    else:
        result = pytester.runpytest_subprocess(*args)
    assert "INTERNALERROR" not in result.stdout.str()


WORKERS = pytest.mark.parametrize("workers", [0, 2], ids=["serial", "n2"])


@WORKERS
def test_an_undeclared_installed_plugin_makes_the_run_incomplete(
    pytester: pytest.Pytester, make_project: MakeProject, read_verdict: ReadVerdict,
    monkeypatch: pytest.MonkeyPatch, workers: int,
) -> None:
    _project(make_project, pytester, monkeypatch=monkeypatch)
    _run(pytester, workers)
    data = read_verdict()
    # the plugin did its work: the failure is a skip, and only the plugin check stops ready
    assert data["tiers"]["integration"]["skipped"] == 1
    assert data["decision"] == "incomplete"
    assert any(UNDECLARED in r and 'allow_options = ["plugin pytest-skipnet"]' in r
               for r in data["reasons"]), data["reasons"]
    recorded = {p["name"]: p for p in data["run"]["invocation"]["plugins"]}
    assert recorded["skipnet"]["code"][0]["distribution"] == "pytest-skipnet"
    assert recorded["xdist"]["code"][0]["distribution"] == "pytest-xdist"


@WORKERS
@pytest.mark.parametrize(("config", "addopts"), [
    ('allow_options = ["plugin pytest-skipnet"]', ""),
    ("", "-p skipnet"),
], ids=["allow_options", "tracked-addopts"])
def test_a_plugin_the_project_declares_is_its_own_decision(
    pytester: pytest.Pytester, make_project: MakeProject, read_verdict: ReadVerdict,
    monkeypatch: pytest.MonkeyPatch, workers: int, config: str, addopts: str,
) -> None:
    _project(make_project, pytester, config, addopts,
             files={"tests/integration/test_net.py": "def test_service(): pass\n"},
             monkeypatch=monkeypatch)
    _run(pytester, workers)
    data = read_verdict()
    assert data["decision"] == "ready", data["reasons"]
    assert "skipnet" in {p["name"] for p in data["run"]["invocation"]["plugins"]}


@WORKERS
def test_a_declaration_in_an_untracked_file_is_not_the_projects(
    pytester: pytest.Pytester, make_project: MakeProject, read_verdict: ReadVerdict,
    monkeypatch: pytest.MonkeyPatch, workers: int,
) -> None:
    root = _project(make_project, pytester, monkeypatch=monkeypatch)
    text = (root / "pyproject.toml").read_text()
    (root / "pyproject.toml").write_text(text + '\nallow_options = ["plugin pytest-skipnet"]\n')
    git(root, "rm", "-q", "--cached", "pyproject.toml")
    _run(pytester, workers)
    data = read_verdict()
    assert data["decision"] == "incomplete"
    assert any(UNDECLARED in r for r in data["reasons"]), data["reasons"]


@WORKERS
def test_a_plugin_object_passed_to_pytest_main_makes_the_run_incomplete(
    pytester: pytest.Pytester, make_project: MakeProject, read_verdict: ReadVerdict,
    workers: int,
) -> None:
    """``pytest.main(args, plugins=[obj])`` (pytester's in-process run is that call): the
    object's code is this test module, outside the project's repository."""
    _project(make_project, pytester)
    _run(pytester, workers, plugins=[SkipNetwork()])
    data = read_verdict()
    # serially it turned the failure into a skip; xdist's workers never had it (the
    # controller did, and its presence is what the verdict judges)
    assert data["tiers"]["integration"]["skipped"] == (0 if workers else 1)
    assert data["decision"] == ("blocked" if workers else "incomplete")
    said = [p["message"] for p in data["completeness"]]
    assert any(f"plugin {__name__}.SkipNetwork runs code from {__file__}" in m
               for m in said), said


@WORKERS
def test_the_trees_own_plugins_and_pytesters_are_the_projects(
    pytester: pytest.Pytester, make_project: MakeProject, read_verdict: ReadVerdict,
    workers: int,
) -> None:
    """A tracked conftest registering an object of its own, a module of the tree named by a
    conftest's ``pytest_plugins``, and pytester's in-process run (its recorder object is
    pytest's own code): ready, and the tree's plugins are recorded by repository path."""
    _project(make_project, pytester, files={
        "tests/integration/test_net.py": "def test_service(): pass\n",
        "conftest.py": """
            pytest_plugins = ["helpers.plug"]
            class Marker:
                def pytest_report_header(self):
                    return "own plugin"
            def pytest_configure(config):
                config.pluginmanager.register(Marker(), "own-marker")
        """,
        "helpers/__init__.py": "",
        "helpers/plug.py": "def pytest_report_header():\n    return 'helper plugin'\n",
    })
    _run(pytester, workers)
    data = read_verdict()
    assert data["decision"] == "ready", data["reasons"]
    files = {c["file"] for p in data["run"]["invocation"]["plugins"] for c in p["code"]}
    assert {"conftest.py", "helpers/plug.py"} <= files
    assert data["run"]["invocation"]["plugins_declared"] == ["helpers.plug"]


def test_pytester_code_is_left_out_of_the_record(
    pytester: pytest.Pytester, make_project: MakeProject, read_verdict: ReadVerdict,
) -> None:
    """Only code that is not pytest's or pytest-pyramid's is recorded (the record is raw
    facts the merge judges again; the judge's own code needs no judgement)."""
    _project(make_project, pytester)
    pytester.runpytest()
    modules = {c["module"] for p in read_verdict()["run"]["invocation"]["plugins"]
               for c in p["code"]}
    assert not {m for m in modules if m.startswith(("_pytest", "pytest_pyramid", "pluggy"))}



#: a tracked conftest of one folder that registers an installed module nobody declared
#: while tests are collected: after the session started, and under xdist only in the
#: workers (the controller collects nothing)
LATE = """
def pytest_collection_modifyitems(config, items):
    if config.pluginmanager.get_plugin("late") is None:
        import attr
        config.pluginmanager.register(attr, "late")
"""


#: a test that registers an installed module nobody declared while it runs, and removes it
#: again: gone by the run's end, so only the registration itself can be judged
IN_A_TEST = """
def test_registers(pytestconfig):
    import iniconfig
    pytestconfig.pluginmanager.register(iniconfig, "in_a_test")
    pytestconfig.pluginmanager.unregister(name="in_a_test")
"""


@WORKERS
def test_a_plugin_registered_during_collection_or_while_tests_run_is_judged(
    pytester: pytest.Pytester, make_project: MakeProject, read_verdict: ReadVerdict,
    workers: int,
) -> None:
    """After collection, every registration is judged as it comes (``run/plugins.py``'s one
    judgement), in every process; a worker ships what it saw."""
    _project(make_project, pytester, files={"tests/integration/conftest.py": LATE,
                                            "tests/integration/test_net.py": IN_A_TEST})
    _run(pytester, workers)
    data = read_verdict()
    assert data["decision"] == "incomplete"
    for name, dist in (("late", "attrs"), ("in_a_test", "iniconfig")):
        assert any(f"plugin {name} (distribution {dist}) is registered but not declared" in r
                   for r in data["reasons"]), data["reasons"]
    recorded = {p["name"]: p for p in data["run"]["invocation"]["plugins"]}
    assert recorded["late"]["code"][0]["distribution"] == "attrs"

