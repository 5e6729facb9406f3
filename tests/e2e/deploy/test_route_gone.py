"""A route the release lost (hostile case 464): real nginx, real processes, real clients. The
release answers 404 on ``/checkout``, where stable answers 200, to a few percent of the traffic:
below the whole-share margin (5 points) and the absolute rule's 20%, so only the per-path
comparison can tell it. Rolled back during the rollout; and a release that loses the route
after its bake is rolled back by the watch, which judges its paths by the shares stable gave
during the rollout that promoted it."""

from __future__ import annotations

import json
import time
from typing import TYPE_CHECKING, Any

import pytest

from tests.e2e.deploy.test_faults import rows
from tests.support.deploy.helpers import app_command
from tests.support.deploy.load import Clients

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from tests.support.deploy.helpers import Project

#: users' requests a second, and the checkout's: about 4% of the traffic, under the 5-point
#: margin of the whole 4xx share (so the whole share alone never fails it)
USERS, BUYERS = 75.0, 3.0
#: after the bake only the absolute rule's 20% bounds the whole share: more checkouts (14%), so
#: the rollout's compared step sees stable answer them (its rows are what the watch judges by)
WATCHED_USERS, WATCHED_BUYERS = 60.0, 10.0


def wait_for(predicate: Callable[[], bool], timeout: float = 90.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out waiting"
        time.sleep(0.2)


def lost_route(project: Project, gone: Path, **settings: Any) -> str:
    """v2: ``/checkout`` answers 404 while ``gone`` exists."""
    project.write_config(steps=[50, 100], **settings)
    return project.commit("v2-checkout-gone", command=app_command("good", "--gone-file",
                                                                  str(gone)))


#: Each judged window holds this many canary requests (a count, not a time: the window grows
#: until it holds them), so both versions answer enough checkouts for the per-path comparison
#: to be conclusive (about 19 each at 50%; Fisher's test needs about 5 all-4xx against 0) and
#: the test does not depend on how much traffic fits in an interval. CI once judged a 12-request
#: window with no checkout in it and promoted the release: the comparison had nothing to compare.
EVIDENCE = {"min_requests": 500, "inconclusive_limit": 400}
#: the watch's test needs stable's checkouts in the rollout's compared windows (carried rows)
WATCHED_EVIDENCE = {"min_requests": 150, "inconclusive_limit": 400}


@pytest.mark.deployed_with(steps=[50, 100], **EVIDENCE)
def test_a_route_gone_under_the_4xx_margin_is_rolled_back(
    deployed: tuple[Project, str], tmp_path: Path
) -> None:
    project, first = deployed
    gone = tmp_path / "checkout-gone"
    gone.write_text("the release lost its checkout route\n")
    lost_route(project, gone, **EVIDENCE)
    with Clients(project.url, rate=USERS) as users, \
            Clients(f"{project.url}/checkout", rate=BUYERS) as buyers:
        users.wait_for(10)
        buyers.wait_for(3)
        result = project.run("deploy", "--progress-deadline", "2m")
        users.settle_on(first, requests=10)
    assert result.returncode == 1, result.stdout
    row = rows(project)[-1]
    assert row["outcome"] == "rolled_back", row
    assert "4xx on /checkout: " in row["reason"], row["reason"]
    assert "where stable gave 0 of" in row["reason"], row["reason"]
    assert project.state()["stable"]["commit"] == first


@pytest.mark.deployed_with(steps=[50, 100], **WATCHED_EVIDENCE)
def test_the_watch_judges_a_path_by_the_shares_stable_gave_in_the_rollout(
    deployed: tuple[Project, str], tmp_path: Path
) -> None:
    project, first = deployed
    gone = tmp_path / "checkout-gone-later"
    second = lost_route(project, gone, interval="0.5s", measurements=3, watch="rollback",
                        **WATCHED_EVIDENCE)
    with Clients(project.url, rate=WATCHED_USERS) as users, \
            Clients(f"{project.url}/checkout", rate=WATCHED_BUYERS) as buyers:
        users.wait_for(10)
        buyers.wait_for(3)
        result = project.run("deploy")
        assert result.returncode == 0, result.stdout
        wait_for(lambda: "watch: pid" in project.run("status").stdout)
        users.settle_on(second)
        gone.write_text("the release loses its checkout route after its bake\n")
        wait_for(lambda: rows(project)[-1]["kind"] == "rollback" and
                 rows(project)[-1]["outcome"] != "in_progress")
        users.settle_on(first)
    carried = json.loads((project.work_dir / "path-shares.json").read_text())
    assert carried["release"] == second
    assert carried["rows"]["/checkout"][1:] == [0, 0]  # stable answered every checkout 2xx
    revert = rows(project)[-1]
    assert revert["outcome"] == "succeeded", revert
    assert "the watch" in revert["reason"], revert
    said = "".join(log.read_text() for log in (project.work_dir / "supervisor").glob("*.log"))
    assert f"[watch] {second[:12]} breached its limits after the bake: 4xx on /checkout: " in said
    assert project.state()["stable"]["commit"] == first
