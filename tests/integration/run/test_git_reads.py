"""Principle: a test's expected value comes from the tree the verdict names (hostile case
148; ``run/git_reads.py``). A test reads ``expected.txt`` with ``git show`` twice: from HEAD
(the commit the verdict names: allowed) and from the ``golden`` branch (an object no clean
checkout of that commit holds): the run is ``incomplete``, naming only the second, serially
and under ``-n 2``. The plugin's own git calls (``run/_git.py``: ``merge-base`` and ``diff``
against a configured base here) are not recorded, so the same project without the golden read
is ``ready``."""

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
"""
GOLDEN = 'def test_from_golden(): assert show("golden") == "42"\n'


#: the plugin's own git calls with a base to compare with (``git merge-base``, ``git diff``)
WITH_BASE = '[tool.pyramid.risk]\nbase = "golden"\n'


@pytest.mark.parametrize(("mode", "golden", "config"), [
    pytest.param((), True, "", id="golden-read-serial"),
    pytest.param(("-n", "2"), True, "", id="golden-read-xdist"),
    pytest.param((), False, WITH_BASE, id="head-only-with-a-base-serial"),
])
def test_an_object_of_another_ref_is_named(
    pytester: pytest.Pytester, project: Callable[..., Path], read_verdict: ReadVerdict,
    mode: tuple[str, ...], golden: bool, config: str,
) -> None:
    import textwrap

    body = textwrap.dedent(READS) + (GOLDEN if golden else "")
    root = project({"expected.txt": "1\n", "tests/unit/test_golden.py": body}, config=config)
    git(root, "checkout", "-qb", "golden")
    (root / "expected.txt").write_text("42\n")
    commit(root, "golden")
    git(root, "checkout", "-q", "-")
    run(pytester, mode)
    verdict = read_verdict()
    assert verdict["tiers"]["unit"]["passed"] == 2 + golden, verdict["tiers"]["unit"]
    if not golden:
        assert (verdict["decision"], verdict["completeness"]) == ("ready", [])
        return
    assert verdict["decision"] == "incomplete"
    said = closed_world(verdict)
    assert any(".git/golden:expected.txt (read from git's object store by `git show "
               "golden:expected.txt`" in m for m in said), said
    assert not any("HEAD:expected.txt" in m for m in said), said
