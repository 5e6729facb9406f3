"""What a test leaves behind does not reach the judgement: the gates and the writer run after
the session, in the process the tests ran in (hostile round 8a). The clock is in
tests/integration/gates/test_gate_engine.py (cases 200, 215)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import pytest

from tests.git_repo import commit, git, init_repo

if TYPE_CHECKING:
    from tests.conftest import MakeProject, ReadVerdict


def test_variables_a_test_leaves_in_os_environ_are_not_the_runs(
    pytester: pytest.Pytester, make_project: MakeProject, read_verdict: ReadVerdict,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # hostile case 206: a test that sets a variable without monkeypatch hands it to the gates
    # (PYRAMID_RISK_BASE=HEAD: nothing changed, no approval) and to the run's CI identity;
    # case 254: so does the root conftest at its import, before pytest_configure
    for name in ("PYRAMID_RISK_BASE", "PYRAMID_RUN_ID"):
        monkeypatch.setenv(name, "-")  # undone after this test: the inner run leaks into
        monkeypatch.delenv(name)  # this process, and its variables must not outlive it
    make_project(
        """
        [tool.pyramid.risk]
        base = "main"
        approval_from = "medium"
        """,
        **{
            ".gitignore": "pyramid-*\n.pyramid/\n__pycache__/\n",
            "conftest.py": """
                import os

                os.environ["PYRAMID_RUN_ID"] = "conftest-run"
            """,
            "tests/unit/test_leak.py": """
                import os

                def test_a_helper_of_the_ci_scripts():
                    os.environ["PYRAMID_RISK_BASE"] = "HEAD"
                    os.environ["PYRAMID_RUN_ID"] = "fixture-run"
            """,
        },
    )
    init_repo(pytester.path)
    git(pytester.path, "checkout", "-qb", "feature")
    migration = pytester.path / "app" / "migrations" / "0002_users.py"
    migration.parent.mkdir(parents=True)
    migration.write_text('SQL = "ALTER TABLE users ADD COLUMN x int"\n')
    commit(pytester.path, "a migration")
    pytester.runpytest()
    data = read_verdict()
    assert (data["risk"]["base"], data["decision"]) == ("main", "needs_approval")
    assert data["run_id"] not in ("fixture-run", "conftest-run")


@pytest.mark.parametrize("workers", [(), ("-n", "2")], ids=["serial", "n2"])
def test_a_tracked_p_plugin_s_variables_are_not_the_runs(
    pytester: pytest.Pytester, make_project: MakeProject, read_verdict: ReadVerdict,
    monkeypatch: pytest.MonkeyPatch, workers: tuple[str, ...],
) -> None:
    # hostile case 296: a -p plugin of the tracked addopts is imported at pytest's pre-parse,
    # before any hook of the plugin: the run's starting environment is the copy taken at
    # interpreter start (run/early.py), so what the plugin set names no run. A subprocess: the
    # .pth line runs at a pytest command line's start (in-process, this process's run took it)
    for name in ("PYRAMID_RUN_ID", "GITHUB_ACTIONS", "GITHUB_RUN_ID", "GITHUB_RUN_ATTEMPT",
                 "GITLAB_CI", "CI_PIPELINE_ID", "BUILDKITE", "CIRCLECI", "JENKINS_URL"):
        monkeypatch.setenv(name, "-")  # undone after this test, whatever the job set
        monkeypatch.delenv(name)
    make_project(
        addopts="-p envplug",
        **{
            ".gitignore": "pyramid-*\n.pyramid/\n__pycache__/\n/stdout\n/stderr\n",
            "envplug.py": """
                import os

                os.environ.update(PYRAMID_RUN_ID="plugin-run", GITHUB_ACTIONS="true",
                                  GITHUB_RUN_ID="999", GITHUB_RUN_ATTEMPT="1")
            """,
            "tests/unit/test_a.py": "def test_a(): pass\n",
        },
    )
    init_repo(pytester.path)
    pytester.runpytest_subprocess("-p", "no:randomly", *workers)
    data = read_verdict()
    assert data["run_id"].startswith("local:"), data["run_id"]


def test_a_fork_that_escaped_its_test_writes_no_verdict(
    pytester: pytest.Pytester, make_project: MakeProject
) -> None:
    # hostile case 214: a child that returns instead of calling os._exit is a copy of the
    # session; it ran the remaining tests and its session end, and its verdict replaced the
    # run's. The run's own process waits for the copy, then keeps what the path held.
    make_project(
        **{
            "tests/unit/test_fork.py": """
                import os
                from pathlib import Path

                CHILD = []

                def test_a_fork():
                    pid = os.fork()
                    if pid == 0:
                        return  # the bug: no os._exit, the copy carries on with the session
                    CHILD.append(pid)

                def test_z_wait_for_the_copy():
                    if not CHILD:  # the copy: nothing to wait for
                        return
                    os.waitpid(CHILD[0], 0)  # the copy has run to its end
                    verdict = Path("pyramid-verdict.json")
                    held = verdict.read_text() if verdict.exists() else "{}"
                    Path("after-the-copy.json").write_text(held)
            """
        },
    )
    pytester.runpytest_subprocess()
    held = json.loads((pytester.path / "after-the-copy.json").read_text())
    # the run's own placeholder (written at its start), not a verdict of the copy's
    assert "not_finished" in {p["kind"] for p in held.get("completeness", [])}, held


def test_a_subprocess_a_test_left_patched_does_not_answer_for_git(
    pytester: pytest.Pytester, make_project: MakeProject, read_verdict: ReadVerdict
) -> None:
    # hostile case 211: the tree is read again after the tests through git; a test that left
    # subprocess.run patched answered "no output", and "no tree" was taken for "unchanged"
    make_project(
        **{
            ".gitignore": "pyramid-*\n.pyramid/\n__pycache__/\n",
            "pkg/version.py": 'VERSION = "1.0"\n',
            "tests/unit/test_bump.py": """
                import subprocess
                from pathlib import Path
                from unittest import mock

                def test_the_release_tool_bumps_the_version():
                    Path("pkg/version.py").write_text('VERSION = "1.1"\\n')
                    done = subprocess.CompletedProcess([], 0, "", "")
                    mock.patch("subprocess.run", return_value=done).start()  # never stopped
            """,
        },
    )
    init_repo(pytester.path)
    pytester.runpytest_subprocess()  # in process, the patch would outlive the inner run
    data = read_verdict()
    assert "tree_changed" in {p["kind"] for p in data["completeness"]}
    assert data["decision"] == "incomplete"
