"""Principle: a test's expected value comes from the tree the verdict names (hostile case
148; ``run/git_reads.py``). A test reads ``expected.txt`` with ``git show`` twice: from HEAD
(the commit the verdict names: allowed) and from the ``golden`` branch (an object no clean
checkout of that commit holds), and a third test reads every ref through ``env git log
--all`` (cases 172, 173): the run is ``incomplete``, naming only the second and the third,
serially and under ``-n 2``. The plugin's own git calls (``run/_git.py``: ``merge-base``
and ``diff`` against a configured base in the serial row) are not recorded: the golden reads
(the last through ``executable=``, argv[0] only a name: case 173 e)
are the run's only problem."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from tests.git_repo import commit, git
from tests.integration.run.test_closed_world import closed_world, run

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from tests.conftest import ReadVerdict

READS = """
import subprocess
def show(revision):
    return subprocess.run(["git", "show", f"{revision}:expected.txt"], check=True,
                          capture_output=True, text=True).stdout.strip()
def test_from_head(): assert show("HEAD") == "1"
def test_from_golden(): assert show("golden") == "42"
def test_from_every_ref():  # behind env, through an option (hostile cases 172, 173)
    assert "+42" in subprocess.run(["env", "git", "log", "--all", "-p", "--format=", "--",
                                    "expected.txt"], capture_output=True, text=True).stdout
def test_through_executable():  # argv[0] is only a name: the program is git (case 173 e)
    import shutil
    out = subprocess.run(["show-it", "show", "golden~0:expected.txt"],
                         executable=shutil.which("git"), capture_output=True, text=True)
    assert out.stdout.strip() == "42"
"""


#: the plugin's own git calls with a base to compare with (``git merge-base``, ``git diff``)
WITH_BASE = '[tool.pyramid.risk]\nbase = "golden"\n'


@pytest.mark.parametrize(("mode", "config"), [
    pytest.param((), WITH_BASE, id="serial-with-a-base"),
    pytest.param(("-n", "2"), "", id="xdist"),
])
def test_an_object_of_another_ref_is_named(
    pytester: pytest.Pytester, project: Callable[..., Path], read_verdict: ReadVerdict,
    mode: tuple[str, ...], config: str,
) -> None:
    root = project({"expected.txt": "1\n", "tests/unit/test_golden.py": READS}, config=config)
    git(root, "checkout", "-qb", "golden")
    (root / "expected.txt").write_text("42\n")
    commit(root, "golden")
    git(root, "checkout", "-q", "-")
    run(pytester, mode)
    verdict = read_verdict()
    assert verdict["tiers"]["unit"]["passed"] == 5, verdict["tiers"]["unit"]
    assert verdict["decision"] == "incomplete"
    said = closed_world(verdict)
    assert any(".git/golden:expected.txt (read from git's object store by `git show "
               "golden:expected.txt`" in m for m in said), said
    assert any(".git/git log --all (an option that selects refs or objects" in m
               for m in said), said
    assert any(".git/golden~0:expected.txt (read from git's object store by `git show "
               "golden~0:expected.txt`" in m for m in said), said
    # only the golden reads: not HEAD's, not the plugin's own merge-base and diff
    assert [p["message"] for p in verdict["completeness"]] == said
    assert [m.count(".git/") for m in said] == [3], said
