"""Verify tiers inside a rollout, behind real nginx with real pytest subprocesses: a new
version whose API fails while its health check stays green is stopped by the pre-traffic tier
with no user request sent to it (users under load see only the stable version), and a good one
passes pre-traffic and post-promotion; each run's verdict is shown by `pyramid history --id`."""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING

import pytest

from pytest_pyramid._files import write_json_atomic
from pytest_pyramid.project import table_from_text
from pytest_pyramid.verdict import load_verdict
from pytest_pyramid.verdict.decision import target_outcome
from pytest_pyramid.verdict.document import config_digest
from tests.conftest import LEAN_ADDOPTS
from tests.e2e.deploy.test_faults import ONE_STEP, one_step
from tests.support.deploy.helpers import Load, app_command

if TYPE_CHECKING:
    from tests.support.deploy.helpers import Project

SMOKE = """\
import os
import urllib.request


def test_the_api_answers(base_url, pyramid_live_server):
    assert base_url == pyramid_live_server.url
    # a fault the test picks deterministically: this run fails only through the router
    assert str(pyramid_live_server.port) != os.environ.get("FAIL_THROUGH_PORT")
    with urllib.request.urlopen(base_url + "/api/orders", timeout=10) as response:
        assert response.status == 200
"""
CONFTEST = 'pytest_plugins = ["pytest_pyramid.toolkits.plugin"]\n'
#: plugins that cost seconds of start-up per verify run and play no part in it (the suite's
#: own lean set: playwright, anyio, platformdirs and the cache too)
LEAN = f'[tool.pytest.ini_options]\naddopts = "{LEAN_ADDOPTS}"\n'


#: the smoke tests read FAIL_THROUGH_PORT and BROKEN_VERSION (set below for the deploy): the
#: project declares the variables its tests read, or its verify runs are unverified (hostile 265)
TIERS = {"tiers": {"smoke": {"paths": ["tests/smoke"]}},
         "allow_options": ["FAIL_THROUGH_PORT", "BROKEN_VERSION"]}


def commit_tracked(project: Project, message: str) -> str:
    """Commit with pyproject.toml tracked (a verify run's configuration must be the tree's,
    or the run cannot vouch for itself); the verdict names that configuration."""
    path = project.root / "pyproject.toml"
    path.write_text(path.read_text() + LEAN)
    sha = project.commit(message)
    verdict = json.loads(project.verdict_path.read_text())
    table = table_from_text(path.read_text(), str(path)) or {}
    verdict["config"] = {"file": "pyproject.toml", "digest": config_digest(table)}
    write_json_atomic(project.verdict_path, verdict)
    return sha


def with_smoke_tier(project: Project, test_text: str) -> None:
    """The project's smoke tier (tests/smoke), its pyproject.toml tracked from now on."""
    gitignore = project.root / ".gitignore"
    gitignore.write_text(gitignore.read_text().replace("pyproject.toml\n", ""))
    (project.root / "tests" / "smoke").mkdir(parents=True)
    (project.root / "tests" / "smoke" / "test_smoke.py").write_text(test_text)
    (project.root / "conftest.py").write_text(CONFTEST)


def history(project: Project, deployment_id: int) -> dict[str, object]:
    result = project.run("history", "--id", str(deployment_id))
    assert result.returncode == 0, result.stderr
    found: dict[str, object] = json.loads(result.stdout)
    return found


@ONE_STEP  # the verify runs are the point, not the canary's steps
def test_a_broken_order_flow_is_stopped_before_traffic_and_a_good_one_is_verified(
    deployed: tuple[Project, str],
) -> None:
    project, first = deployed
    one_step(project)
    with_smoke_tier(project, SMOKE)
    broken = project.root / "broken.flag"
    broken.write_text("on\n")
    project.write_config(
        pyramid=TIERS,
        verify={"tier": "smoke", "when": ["pre-traffic", "post-promotion"], "timeout": "60s"},
        command=app_command("good", "--fail-file", str(broken)),  # the API fails, health not
    )
    bad = commit_tracked(project, "v2: the API fails, /healthz stays green")
    with Load(project.url, workers=2, pause=0.01) as load:
        load.wait_for(20)
        result = project.run("deploy", timeout=180)
        since = len(load.results)
        load.wait_for(since + 20)
    assert result.returncode == 1, result.stdout
    assert "verify tier smoke failed (pre-traffic" in result.stdout
    assert "stopped before any traffic: 0 user request(s) reached the new version" in \
        result.stdout
    assert set(load.served_by()) == {first[:12]}  # users never saw the new version
    assert load.failed == 0
    row = history(project, 2)
    assert (row["outcome"], row["commit"], row["exposed_at"]) == ("aborted", bad, None)
    runs = row["verify"]
    assert isinstance(runs, list)
    assert [(r["phase"], r["outcome"]) for r in runs] == [("pre-traffic", "failed")]
    verdict = load_verdict(runs[0]["verdict"])
    assert verdict["decision"] == "blocked"  # a target run: never ready, here also failed
    assert target_outcome(verdict).outcome == "failed"

    broken.unlink()  # the same command now serves a working API
    project.write_config(pyramid=TIERS)
    good = commit_tracked(project, "v3: the API works")
    with Load(project.url, workers=2, pause=0.01) as load:  # the steps' analysis needs users
        result = project.run("deploy", timeout=180)
    assert result.returncode == 0, result.stdout
    assert load.failed == 0
    row = history(project, 3)
    assert (row["outcome"], row["commit"]) == ("succeeded", good)
    runs = row["verify"]
    assert isinstance(runs, list)
    assert [(r["phase"], r["outcome"]) for r in runs] == [
        ("pre-traffic", "verified"), ("post-promotion", "verified")]
    assert runs[1]["target"] == project.url.rstrip("/")  # through the router at 100%

    # a release that passes on its own address and fails through the router at 100%: the
    # post-promotion run rolls back to the warm previous version
    project.env["FAIL_THROUGH_PORT"] = str(project.port)
    project.write_config(pyramid=TIERS)
    later = commit_tracked(project, "v4: fails its post-promotion check")
    with Load(project.url, workers=2, pause=0.01) as load:
        result = project.run("deploy", timeout=180)
        since = len(load.results)
        load.wait_for(since + 20)
    assert result.returncode == 1, result.stdout
    row = history(project, 4)
    assert (row["outcome"], row["commit"]) == ("rolled_back", later)
    runs = row["verify"]
    assert isinstance(runs, list)
    assert [(r["phase"], r["outcome"]) for r in runs] == [
        ("pre-traffic", "verified"), ("post-promotion", "failed")]
    assert load.failed == 0
    assert project.state()["stable"]["commit"] == good  # all traffic back on v3


PINNED_SMOKE = """\
import os
import urllib.request


def test_the_new_version_answers(base_url):
    for _ in range(4):
        with urllib.request.urlopen(base_url + "/api/items", timeout=10) as response:
            served = response.read().decode().split()[0]
        assert served != os.environ.get("BROKEN_VERSION")
"""


def pinned_since(project: Project, offset: int) -> dict[str, int]:
    """Requests per version in the router's pinned log after ``offset`` bytes."""
    from pytest_pyramid.deploy.analysis import parse_lines

    pinned = project.work_dir / "router" / "split" / "logs" / "pinned.log"
    lines = pinned.read_bytes()[offset:].decode().splitlines() if pinned.exists() else []
    return {addr: s.requests for addr, s in parse_lines(lines).upstreams.items()}


def started_on(output: str, commit: str) -> str:
    """The address the deploy started ``commit`` on (its ``[start]`` line)."""
    started = re.search(rf"\[start\] {commit[:12]} on (127\.0\.0\.1:\d+)", output)
    assert started is not None, output
    return started.group(1)


@pytest.mark.deployed_with(steps=[50, 100])  # judged by them later (371)
def test_each_step_rolls_back_where_the_pinned_run_fails_and_promotes_where_it_passes(
    deployed: tuple[Project, str],
) -> None:
    """At a 50% step the tier runs through the router's verify port, pinned to the new
    version (its request is in the router's pinned log, to the new version), while users keep
    the weighted split with no failure; the release it finds broken is rolled back at that
    step, the run's verdict kept with the step in the history. The next release passes the
    same pinned run at its 50% step and is promoted, the step's verify verdict recorded, and
    every request of that run in the pinned log reached it. (The pinned route itself is
    proven with real nginx in test_pinned_route.py: two deploys here keep CI short.)"""

    project, first = deployed
    with_smoke_tier(project, PINNED_SMOKE)
    project.write_config(pyramid=TIERS, steps=[50, 100],
                         verify={"tier": "smoke", "when": ["each-step"], "timeout": "60s"})
    broken = commit_tracked(project, "v2: broken where only the pinned run looks")
    project.env["BROKEN_VERSION"] = broken[:12]
    with Load(project.url, workers=2, pause=0.01) as load:
        result = project.run("deploy", timeout=180)
    assert result.returncode == 1, result.stdout
    assert "step 1/2 50%: verify tier smoke failed (each-step" in result.stdout
    assert load.failed == 0  # users were served throughout, by both versions
    assert set(load.served_by()) == {first[:12], broken[:12]}
    row = history(project, 2)
    assert (row["outcome"], row["commit"]) == ("rolled_back", broken)
    runs = row["verify"]
    assert isinstance(runs, list)
    assert [(r["phase"], r["outcome"], r["at"]) for r in runs] == [
        ("each-step", "failed", "step 1/2 50%")]
    steps = row["steps"]
    assert isinstance(steps, list)
    assert [(s["idx"], s["result"]) for s in steps] == [(1, "failed")]
    recorded = [m["verify"] for m in steps[0]["measurements"] if "verify" in m]
    assert [(v["outcome"], v["verdict"]) for v in recorded] == [("failed", runs[0]["verdict"])]
    assert target_outcome(load_verdict(runs[0]["verdict"])).outcome == "failed"
    # the run's requests: the new version only
    assert set(pinned_since(project, 0)) == {started_on(result.stdout, broken)}
    assert project.state()["stable"]["commit"] == first  # all traffic back on v1

    # the pass path: a release the pinned run finds working goes through the step and promotes
    project.write_config(pyramid=TIERS)
    good = commit_tracked(project, "v3: works where the pinned run looks")
    pinned_log = project.work_dir / "router" / "split" / "logs" / "pinned.log"
    offset = pinned_log.stat().st_size
    with Load(project.url, workers=2, pause=0.01) as load:
        result = project.run("deploy", timeout=180)
    assert result.returncode == 0, result.stdout
    assert "[verify] verify tier smoke verified (each-step" in result.stdout
    assert load.failed == 0
    row = history(project, 3)
    assert (row["outcome"], row["commit"]) == ("succeeded", good)
    runs = row["verify"]
    assert isinstance(runs, list)
    assert [(r["phase"], r["outcome"], r["at"]) for r in runs] == [
        ("each-step", "verified", "step 1/2 50%")]
    steps = row["steps"]
    assert isinstance(steps, list)
    assert [(s["idx"], s["result"]) for s in steps][:2] == [(1, "passed"), (2, "passed")]
    recorded = [m["verify"] for m in steps[0]["measurements"] if "verify" in m]
    assert [(v["outcome"], v["verdict"]) for v in recorded] == [("verified", runs[0]["verdict"])]
    assert target_outcome(load_verdict(runs[0]["verdict"])).outcome == "verified"
    # the pinned run's four requests, every one to the new version (none to v1 under the split)
    assert pinned_since(project, offset) == {started_on(result.stdout, good): 4}
    assert project.state()["stable"]["commit"] == good
