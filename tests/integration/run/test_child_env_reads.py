"""A followed child is the run's process (hostile case 344): the project's CLI, run by a test
as ``python -m mypkg.cli``, skips its failing work on a variable from the job. Its read is
noted in the child as the run notes its own, spooled to the run, and judged by the same
function: incomplete, naming it, serial, under ``-n 2`` (the child of a worker), through CI
shards and ``pyramid merge``, and in a forked pool worker (``multiprocessing``'s ``fork``).
A value the test hands the child itself is the test's own default, as in the run's own
process."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from tests.git_repo import git

if TYPE_CHECKING:
    from pathlib import Path

    from tests.conftest import MakeProject, ReadVerdict

CLI = """
    import os
    import sys


    def main() -> int:
        broken = True  # a real bug the CLI's exit status shows
        if broken and not os.environ.get("MYPKG_LENIENT"):
            return 1
        return 0


    if __name__ == "__main__":
        sys.exit(main())
"""

#: how the test runs the CLI (its exit status): a child with the job's environment, one with
#: a value of the test's own, or ``main`` in a forked pool worker (``multiprocessing``)
CHILDREN = {
    "inherits": 'subprocess.run([sys.executable, "-m", "mypkg.cli"]).returncode',
    "own-value": 'subprocess.run([sys.executable, "-m", "mypkg.cli"], '
                 'env={**os.environ, "MYPKG_LENIENT": "yes"}).returncode',
    "forked": "in_a_fork()",
}


def _project(make_project: MakeProject, child: str) -> Path:
    root = make_project(ini='pythonpath = ["."]', **{
        "mypkg/__init__.py": "",
        "mypkg/cli.py": CLI,
        "tests/unit/test_u.py": "def test_u(): pass\n",
        "tests/integration/test_child_cli_reads.py": f"""
            import multiprocessing
            import os
            import subprocess
            import sys

            from mypkg import cli


            def in_a_fork():
                with multiprocessing.get_context("fork").Pool(1) as pool:
                    return pool.apply(cli.main)


            def test_child_cli_reads():
                assert {CHILDREN[child]} == 0
        """,
    })
    git(root, "init", "-q")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "project")
    return root


def _naming(data: dict[str, object], name: str) -> list[str]:
    reasons = data["reasons"]
    assert isinstance(reasons, list)
    return [r for r in reasons if f"environment variable {name} " in r]


@pytest.mark.parametrize(("child", "workers"), [("inherits", 0), ("inherits", 2), ("forked", 0)],
                         ids=["serial", "n2", "forked"])
def test_a_variable_the_projects_cli_child_reads_is_an_input(
    pytester: pytest.Pytester, make_project: MakeProject, read_verdict: ReadVerdict,
    monkeypatch: pytest.MonkeyPatch, child: str, workers: int,
) -> None:
    _project(make_project, child)
    monkeypatch.setenv("MYPKG_LENIENT", "1")
    monkeypatch.setenv("NEVER_READ", "1")
    pytester.runpytest(*(["-n", str(workers)] if workers else []))
    data = read_verdict()
    assert data["decision"] == "incomplete", data["reasons"]
    [reason] = _naming(data, "MYPKG_LENIENT")
    assert "was read by the tests and is not the project's own" in reason
    assert _naming(data, "NEVER_READ") == []  # set, read by no child: free
    assert data["run"]["invocation"]["environment_read"] == ["MYPKG_LENIENT"]


def test_a_value_the_test_hands_its_child_is_the_tests_own(
    pytester: pytest.Pytester, make_project: MakeProject, read_verdict: ReadVerdict,
) -> None:
    """The job sets nothing: the child reads the test's own value, which no job decided."""
    _project(make_project, "own-value")
    pytester.runpytest()
    data = read_verdict()
    assert data["decision"] == "ready", data["reasons"]
    assert data["run"]["invocation"]["environment_read"] == []


def test_shards_and_the_merge_judge_a_childs_reads(
    pytester: pytest.Pytester, make_project: MakeProject, read_verdict: ReadVerdict,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The names travel in each shard's record and ``pyramid merge`` judges them again with
    the same function (``run/invocation.py: judge_recorded``)."""
    from pytest_pyramid.cli import main

    root = _project(make_project, "inherits")
    monkeypatch.setenv("MYPKG_LENIENT", "1")
    monkeypatch.setenv("PYRAMID_RUN_ID", "child-env-1")
    for index in (1, 2):
        pytester.runpytest(f"--pyramid-shard={index}/2")
    monkeypatch.chdir(root)
    main(["merge", "pyramid-partial-1-of-2.json", "pyramid-partial-2-of-2.json"])
    data = read_verdict()
    assert data["decision"] == "incomplete", data["reasons"]
    assert len(_naming(data, "MYPKG_LENIENT")) == 1
