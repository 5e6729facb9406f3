"""The release as a user gets it: the sdist and the wheel built from a copy of the checkout
(``python -m build``: the sdist, then the wheel from the sdist), and a fresh virtualenv
outside the repository with the wheel installed. Read by tests/e2e/test_release.py and by the
session's ready run of the demo (tests/support/shared.py), which runs from that wheel.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from tests.git_repo import git

ROOT = Path(__file__).resolve().parents[2]
#: what a user's shell would not have: our test run's own plugin and coverage state
DROP = ("PYTHONPATH", "PYTEST_ADDOPTS", "PYTEST_XDIST_WORKER", "PYTEST_XDIST_TESTRUNUID",
        # xdist sets it in its workers only: a top-level run that finds it judges it an input
        # from outside (`narrowed`), as the wheel's run of the demo did
        "PYTEST_XDIST_WORKER_COUNT",
        "PYTEST_CURRENT_TEST", "VIRTUAL_ENV", "COV_CORE_SOURCE", "COV_CORE_CONFIG",
        "COV_CORE_DATAFILE", "CI_NODE_INDEX", "CI_NODE_TOTAL", "GITHUB_STEP_SUMMARY",
        "PIP_REQUIRE_VIRTUALENV",
        # the release's processes run the wheel, not the tree: followed, they would report its
        # package as foreign code (hostile case 202); unfollowed, each is the `python
        # <unrecorded>` the project vouches for in [tool.pyramid] allow_options
        "PYRAMID_RECORD_SPOOL")


def env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k not in DROP}


def run(*cmd: str | Path, cwd: Path, timeout: float = 900) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(c) for c in cmd], cwd=cwd, env=env(), text=True,
                          capture_output=True, timeout=timeout, check=False)


def ok(*cmd: str | Path, cwd: Path, timeout: float = 900) -> str:
    result = run(*cmd, cwd=cwd, timeout=timeout)
    assert result.returncode == 0, f"{cmd}:\n{result.stdout[-4000:]}\n{result.stderr[-4000:]}"
    return result.stdout


def source_files() -> list[str]:
    """The files of this checkout a release is built from: tracked, or new and not ignored."""
    listed = git(ROOT, "ls-files", "-z", "--cached", "--others", "--exclude-standard")
    return sorted({name for name in listed.split("\0") if name and (ROOT / name).is_file()})


def copy_source(target: Path) -> Path:
    for name in source_files():
        (target / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, target / name)
    return target


def venv(where: Path) -> Path:
    """A fresh virtualenv outside the repository; its python."""
    ok(sys.executable, "-m", "venv", where, cwd=where.parent, timeout=300)
    return where / "bin" / "python"


def pip(python: Path, *args: str | Path) -> str:
    # --no-compile: pip's byte-compiling of every installed file (the extras are large: about
    # 10 s of CPU) proves nothing here (pip ignores a file that does not compile); what the
    # demo imports is compiled when it is imported
    if args and args[0] == "install":
        args = ("install", "--no-compile", *args[1:])
    return ok(python, "-m", "pip", "--disable-pip-version-check", "-q", *args,
              cwd=python.parent, timeout=900)


def build(dist: Path) -> None:
    """The sdist from a copy of the checkout, then the wheel from the sdist, into ``dist``."""
    src = copy_source(dist.parent / "src")
    ok(sys.executable, "-m", "build", "--outdir", dist, src, cwd=dist.parent)


def install(dist: Path, where: Path) -> Path:
    """The wheel in ``dist`` with every extra (the demo's tools) in a fresh virtualenv at
    ``where``; its python."""
    (wheel,) = dist.glob("*.whl")
    python = venv(where)
    # compiled, as pip installs for a user (not pip()'s --no-compile): the session's ready run
    # of the demo runs from here, and where PYTHONDONTWRITEBYTECODE is set (these machines)
    # every one of its processes compiled each module it imported from source, a live server's
    # start-up past its 15 s health wait on a busy machine and a unit test past its 2 s limit
    ok(python, "-m", "pip", "--disable-pip-version-check", "-q", "install", f"{wheel}[all]",
       cwd=python.parent, timeout=900)
    return python
