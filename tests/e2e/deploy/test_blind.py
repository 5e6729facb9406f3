"""An analysis that cannot read is blind: the rollout pauses at its weight, and after
``blind_timeout`` rolls back; it never counts as a pass. Real nginx, real processes: the
split's access log is taken away in the middle of a step (/dev/null in its place: nothing a
reopen mends), or rotated under nginx (which is then told to reopen its logs, so the analysis
sees again).

Figures go through ``fault_report`` (``PYRAMID_FAULT_REPORT`` collects them for docs/deploy.md);
nothing asserts how long anything took.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

import pytest

from pytest_pyramid.deploy.processes import open_files
from tests.e2e.deploy.test_faults import assert_failures_before, finish, restore_figures, rows, when
from tests.support.deploy.helpers import Project, app_command
from tests.support.deploy.load import Clients

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path


#: later rollouts here are judged by looser limits than the fixture's: deployed first (371)
pytestmark = pytest.mark.deployed_with(steps=[50, 100], inconclusive_limit=100_000,
                                      progress_deadline="10m", blind_timeout="5m")


def split_log(project: Project) -> Path:
    return project.work_dir / "router" / "split" / "logs" / "access.log"


def occupy(log: Path) -> None:
    """Blind for good: the path leads to /dev/null, not a log file (nothing a reopen, the way
    a rotation is put right, can mend); nginx goes on writing to the unlinked file."""
    log.unlink()
    log.symlink_to("/dev/null")


def rotate(log: Path) -> None:
    log.rename(log.with_name("access.log.1"))  # logrotate without telling nginx to reopen
    log.write_text("")


def held_at_50(project: Project, message: str, **settings: str) -> None:
    """v2 committed with its settings; its rollout will sit at 50% (far more measurements
    than it gets)."""
    held: dict[str, Any] = {"steps": [50, 100], "interval": "0.5s", "measurements": 100_000,
                            "inconclusive_limit": 100_000, "progress_deadline": "10m"}
    project.write_config(**{**held, **settings})
    project.commit(message)


def test_blind_analysis_pauses_then_rolls_back_a_release_it_cannot_see(
    deployed: tuple[Project, str], fault_report: Callable[..., object], tmp_path: Path,
) -> None:
    project, first = deployed
    trigger = tmp_path / "fail-now"
    held_at_50(project, "v2-breaks-unseen", blind_timeout="2s",
               command=app_command("good", "--fail-file", str(trigger)))
    with Clients(project.url) as clients:
        clients.wait_for(30)
        deploy = project.popen("deploy")
        project.wait_state(lambda s: (s.get("rollout") or {}).get("weight") == 50, 90)
        fault_at = time.time()
        occupy(split_log(project))
        trigger.write_text("the release breaks while the analysis cannot see it\n")
        paused = project.wait_state(
            lambda s: (s.get("rollout") or {}).get("status") == "paused" or not s.get("rollout"),
            90)
        out = finish(deploy)
        clients.settle_on(first)
    row = rows(project)[-1]
    fault_report(clients, outcome=row["outcome"], **restore_figures(row, fault_at))
    assert "blind" in (paused.get("rollout") or {}).get("reason", "blind"), paused
    assert "[paused]" in out
    assert "the analysis is blind" in out
    assert row["outcome"] == "rolled_back"
    assert "the analysis stayed blind" in row["reason"], row["reason"]
    assert "(blind_timeout 2.0s)" in row["reason"]
    assert "progress deadline" not in row["reason"]
    assert_failures_before(clients, when(row["restored_at"]))
    assert project.state()["stable"]["commit"] == first


def test_sight_back_before_blind_timeout_resumes_the_step_with_fresh_data(
    deployed: tuple[Project, str],
) -> None:
    project, _ = deployed
    held_at_50(project, "v2")
    project.write_config(blind_timeout="5m")
    second = project.commit("v2")
    log = split_log(project)
    with Clients(project.url) as clients:
        clients.wait_for(30)
        deploy = project.popen("deploy")
        project.wait_state(lambda s: (s.get("rollout") or {}).get("weight") == 50, 90)
        occupy(log)
        paused = project.wait_state(
            lambda s: (s.get("rollout") or {}).get("status") == "paused", 90)
        status = project.run("status")
        log.unlink()  # a log file can be made again: nginx is told to at its next check
        project.wait_state(lambda s: (s.get("rollout") or {}).get("status") == "running", 90)
        promoted = project.run("promote", "--by", "oncall")
        out = finish(deploy)
        clients.settle_on(second)
    assert "blind" in paused["rollout"]["reason"]
    assert "split/logs/access.log" in paused["rollout"]["reason"]
    assert "paused" in status.stdout
    assert promoted.returncode == 0, promoted.stdout
    assert "[resume] step 1/2 50%: the analysis sees again" in out
    assert rows(project)[-1]["outcome"] == "succeeded"
    assert clients.failures == []
    assert project.state()["stable"]["commit"] == second


def test_a_log_rotated_in_a_step_is_reopened_and_the_release_judged_on_it(
    deployed: tuple[Project, str], fault_report: Callable[..., object], tmp_path: Path,
) -> None:
    """logrotate without a postrotate, in the middle of a step (no reload follows to reopen
    the logs): both logs renamed away and empty files created in their place, while nginx goes
    on writing to the renamed ones. The router check tells nginx to reopen its logs; the
    release that breaks just then is seen failing and rolled back for its errors (unmended,
    both paths stay empty: no request seen, so nothing judged until the progress deadline)."""
    project, first = deployed
    trigger = tmp_path / "fail-now"
    held_at_50(project, "v2-breaks-after-the-rotation", blind_timeout="1m",
               progress_deadline="30s", command=app_command("good", "--fail-file", str(trigger)))
    with Clients(project.url) as clients:
        clients.wait_for(30)
        deploy = project.popen("deploy")
        project.wait_state(lambda s: (s.get("rollout") or {}).get("weight") == 50, 90)
        for role in ("split", "edge"):
            rotate(project.work_dir / "router" / role / "logs" / "access.log")
        fault_at = time.time()
        trigger.write_text("the release breaks after the rotation\n")
        out = finish(deploy)
        clients.settle_on(first)
    row = rows(project)[-1]
    fault_report(clients, outcome=row["outcome"], **restore_figures(row, fault_at))
    assert "[router] the split nginx reopened its logs" in out
    assert row["outcome"] == "rolled_back", out
    assert "error" in row["reason"], row["reason"]
    assert "blind" not in row["reason"]
    assert "progress deadline" not in row["reason"]
    master = int((project.work_dir / "router" / "split" / "nginx.pid").read_text())
    info = split_log(project).stat()
    assert (info.st_dev, info.st_ino) in (open_files(master) or set())
    assert project.state()["stable"]["commit"] == first
