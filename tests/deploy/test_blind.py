"""An analysis that cannot read is blind: the rollout pauses at its weight, and after
``blind_timeout`` rolls back; it never counts as a pass. Real nginx, real processes: the
split's access log is removed, or rotated under nginx, in the middle of a step.

Figures go through ``fault_report`` (``PYRAMID_FAULT_REPORT`` collects them for docs/deploy.md);
nothing asserts how long anything took.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

import pytest

from tests.deploy.helpers import Project, app_command
from tests.deploy.load import Clients
from tests.deploy.test_faults import assert_failures_before, finish, restore_figures, rows, when

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path


def split_log(project: Project) -> Path:
    return project.work_dir / "router" / "split" / "logs" / "access.log"


def remove(log: Path) -> None:
    log.unlink()  # nginx goes on writing to the unlinked file: nothing reaches the path


def rotate(log: Path) -> None:
    log.rename(log.with_name("access.log.1"))  # logrotate without telling nginx to reopen
    log.write_text("")


def held_at_50(project: Project, message: str, *extra: str) -> None:
    """v2 committed; its rollout will sit at 50% (far more measurements than it gets)."""
    project.commit(message)
    project.write_config(steps=[50, 100], interval="0.5s", measurements=100_000,
                         inconclusive_limit=100_000, progress_deadline="10m")


@pytest.mark.parametrize("fault", [remove, rotate], ids=["removed", "rotated"])
def test_blind_analysis_pauses_then_rolls_back_a_release_it_cannot_see(
    deployed: tuple[Project, str], fault: Callable[[Path], None],
    fault_report: Callable[..., object], tmp_path: Path,
) -> None:
    project, first = deployed
    trigger = tmp_path / "fail-now"
    held_at_50(project, "v2-breaks-unseen")
    project.write_config(blind_timeout="2s")
    with Clients(project.url) as clients:
        clients.wait_for(30)
        deploy = project.popen("deploy", "--command",
                               app_command("good", "--fail-file", str(trigger)))
        project.wait_state(lambda s: (s.get("rollout") or {}).get("weight") == 50, 90)
        fault_at = time.time()
        fault(split_log(project))
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
    away = log.with_name("access.log.away")
    with Clients(project.url) as clients:
        clients.wait_for(30)
        deploy = project.popen("deploy")
        project.wait_state(lambda s: (s.get("rollout") or {}).get("weight") == 50, 90)
        log.rename(away)
        paused = project.wait_state(
            lambda s: (s.get("rollout") or {}).get("status") == "paused", 90)
        status = project.run("status")
        away.rename(log)  # the same file back: nginx never stopped writing to it
        project.wait_state(lambda s: (s.get("rollout") or {}).get("status") == "running", 90)
        promoted = project.run("promote", "--by", "oncall")
        out = finish(deploy)
        clients.settle_on(second)
    assert "blind" in paused["rollout"]["reason"]
    assert "is missing" in paused["rollout"]["reason"]
    assert "paused" in status.stdout
    assert promoted.returncode == 0, promoted.stdout
    assert "[resume] step 1/2 50%: the analysis sees again" in out
    assert rows(project)[-1]["outcome"] == "succeeded"
    assert clients.failures == []
    assert project.state()["stable"]["commit"] == second
