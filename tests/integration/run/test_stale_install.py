"""Principle: which module is the project's is decided by where its distribution comes from,
not only by what the tree holds today (hostile round 11a, cases 310 and 314). A cached
virtualenv holding an older install of the project: a module the commit deleted, still
importable from it, is named (no installed distribution holds it, or the project's own
does); a plugin the project declares is allowed for the tree's bytes, not for a stale
installed copy of the tree's file. Each run is a real pytest in a real virtualenv outside
the repository (what a CI cache is), serial and under ``-n 2``.
"""

from __future__ import annotations

import subprocess
import sys
import sysconfig
from typing import TYPE_CHECKING

import pytest

from tests.git_repo import git

if TYPE_CHECKING:
    from pathlib import Path

    from tests.conftest import MakeProject, ReadVerdict

WORKERS = pytest.mark.parametrize("workers", [0, 2], ids=["serial", "n2"])
USES_LEGACY = "import legacy_util\ndef test_rate():\n    assert legacy_util.rate() == 4\n"
STALE_LEGACY = "def rate():\n    return 4  # the old release\n"
PLUGIN_NOW = "def pytest_configure(config):\n    config.addinivalue_line('markers', 'infra: x')\n"
PLUGIN_OLD = PLUGIN_NOW + """
import pytest
def pytest_collection_modifyitems(config, items):
    for item in items:
        if item.get_closest_marker("infra"):
            item.add_marker(pytest.mark.skip(reason="infra not reachable (0.9)"))
"""


def _venv(where: Path) -> tuple[Path, Path]:
    """A virtualenv (its python, its site-packages) that sees this one's packages."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(where)], check=True)
    site = next(where.glob("lib/python3*/site-packages"))
    (site / "zz_tool_env.pth").write_text(
        f"import site; site.addsitedir({sysconfig.get_paths()['purelib']!r})\n")
    return where / "bin/python", site


def _dist(site: Path, name: str, files: dict[str, str], entry: str = "") -> None:
    """An installed distribution ``name`` holding ``files`` (a regular install's record)."""
    info = site / f"{name.replace('-', '_')}-0.9.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 0.9\n")
    (info / "RECORD").write_text("".join(f"{file},,\n" for file in files))
    if entry:
        (info / "entry_points.txt").write_text(f"[pytest11]\n{entry}\n")
    for file, body in files.items():
        (site / file).write_text(body)


def _ready(data: dict[str, object], workers: int, mentions: str) -> None:
    """A ready row: serial, ``ready``; under ``-n 2`` the xdist workers this test's
    virtualenv starts are not followed (pytest-pyramid reaches it through a ``.pth``, so
    they count as ``python <unrecorded>``): there, nothing names ``mentions``."""
    reasons = data["reasons"]
    assert isinstance(reasons, list)
    if workers == 0:
        assert data["decision"] == "ready", reasons
    assert not [r for r in reasons if mentions in r], reasons


def _run(pytester: pytest.Pytester, python: Path, workers: int) -> None:
    root = pytester.path
    (root / ".gitignore").write_text("pyramid-verdict*\n__pycache__/\n")
    git(root, "init", "-q")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "project")
    args = ["-n", str(workers)] if workers else []
    result = pytester.run(str(python), "-m", "pytest", *args)
    assert "INTERNALERROR" not in result.stdout.str()


@WORKERS
@pytest.mark.parametrize(("project", "holder", "says"), [
    pytest.param("", None, "which no installed distribution holds", id="no-record"),
    pytest.param('[project]\nname = "acme"\n', "acme", "the project's own distribution acme",
                 id="the-projects-own"),
    pytest.param("", "othertool", None, id="a-dependencys-module"),
])
def test_a_module_the_commit_deleted_is_named_from_a_stale_install(
    pytester: pytest.Pytester, make_project: MakeProject, read_verdict: ReadVerdict,
    tmp_path_factory: pytest.TempPathFactory, workers: int, project: str,
    holder: str | None, says: str | None,
) -> None:
    python, site = _venv(tmp_path_factory.mktemp("cache") / "venv")
    if holder is None:
        (site / "legacy_util.py").write_text(STALE_LEGACY)
    else:
        _dist(site, holder, {"legacy_util.py": STALE_LEGACY})
    make_project(project, **{"app.py": "VALUE = 1\n",
                             "tests/unit/test_u.py": "def test_u(): pass\n",
                             "tests/integration/test_rate.py": USES_LEGACY})
    _run(pytester, python, workers)
    data = read_verdict()
    if says is None:
        _ready(data, workers, "legacy_util")
        return
    assert data["decision"] == "incomplete"
    assert any("legacy_util was imported from" in r and says in r
               for r in data["reasons"]), data["reasons"]


@WORKERS
@pytest.mark.parametrize(("installed", "says"), [
    pytest.param(PLUGIN_OLD, "an installed copy of the tree's plugins/acme-pytest/src/"
                 "acme_pytest.py", id="stale-copy"),
    pytest.param(PLUGIN_NOW, None, id="the-trees-bytes"),
])
def test_a_declared_plugin_is_allowed_for_the_trees_bytes_only(
    pytester: pytest.Pytester, make_project: MakeProject, read_verdict: ReadVerdict,
    tmp_path_factory: pytest.TempPathFactory, workers: int, installed: str,
    says: str | None,
) -> None:
    python, site = _venv(tmp_path_factory.mktemp("cache") / "venv")
    _dist(site, "acme-pytest", {"acme_pytest.py": installed}, entry="acme = acme_pytest")
    make_project('allow_options = ["plugin acme-pytest"]\n', **{
        "plugins/acme-pytest/src/acme_pytest.py": PLUGIN_NOW,
        "tests/unit/test_u.py": "def test_u(): pass\n",
        "tests/integration/test_i.py": "def test_i(): pass\n"})
    _run(pytester, python, workers)
    data = read_verdict()
    if says is None:
        _ready(data, workers, "acme")
        return
    assert data["decision"] == "incomplete"
    assert any(says in r for r in data["reasons"]), data["reasons"]
