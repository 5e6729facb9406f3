"""judge = "nonparametric" in real rollouts: real nginx, real app processes, loopback load.

A fresh baseline of the stable release gets the canary's weight; each look compares the two
from the router's access log. A slow tail (10% of requests +400 ms: p95 stays under the
500 ms limit) is rolled back with the tail share and the p-value in the reason; a good canary
is promoted; the baseline process is gone afterwards in both outcomes.
"""

from __future__ import annotations

import json
import os
import re
import signal
import sqlite3
import time
from typing import TYPE_CHECKING, Any

import pytest

from pytest_pyramid.deploy.nonparametric import Settings
from pytest_pyramid.deploy.processes import is_alive, start_ticks
from tests.e2e.deploy.test_faults import finish
from tests.e2e.deploy.test_supervisor import job_log, restored, supervisor_pid, wait_for
from tests.git_repo import git
from tests.support.deploy.helpers import Load, Project, app_command, receiving

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

JUDGE: dict[str, Any] = {"judge": "nonparametric", "steps": [50, 100], "judge_min_samples": 50,
         "inconclusive_limit": 1000, "progress_deadline": "60s"}


def looks(project: Project, deployment_id: int) -> list[dict[str, Any]]:
    """Every comparison recorded for the deployment's steps, in order."""
    with sqlite3.connect(project.work_dir / "history.sqlite") as db:
        rows = db.execute("SELECT measurements FROM steps WHERE deployment_id = ? "
                          "ORDER BY rowid", (deployment_id,)).fetchall()
    return [m["comparison"] for (text,) in rows for m in json.loads(text) if "comparison" in m]


def steps_of(project: Project, deployment_id: int) -> list[tuple[int, list[dict[str, Any]]]]:
    """Each recorded step's weight and measurements, in order."""
    with sqlite3.connect(project.work_dir / "history.sqlite") as db:
        rows = db.execute("SELECT weight, measurements FROM steps WHERE deployment_id = ? "
                          "ORDER BY rowid", (deployment_id,)).fetchall()
    return [(weight, json.loads(text)) for weight, text in rows]


def last_row(project: Project) -> dict[str, Any]:
    with sqlite3.connect(project.work_dir / "history.sqlite") as db:
        db.row_factory = sqlite3.Row
        return dict(db.execute("SELECT * FROM deployments ORDER BY id DESC LIMIT 1").fetchone())


def baseline_of(stdout: str) -> tuple[int, str]:
    """The baseline's pid and port, from the deploy's own output line."""
    line = next(x for x in stdout.splitlines() if x.startswith("[baseline] fresh"))
    addr = line.split(" on ", 1)[1].split()[0]
    pid = int(line.split("(pid ", 1)[1].split(")")[0])
    return pid, addr


def logged_line(path: Path, needle: str, timeout: float = 30.0) -> str:
    """The first line of ``path`` holding ``needle``, once written (the delivery thread writes
    it after its last attempt: polled with a generous deadline)."""
    deadline = time.monotonic() + timeout
    while True:
        text = path.read_text() if path.exists() else ""
        found = [line for line in text.splitlines() if needle in line]
        if found or time.monotonic() > deadline:
            assert found, text
            return found[0]
        time.sleep(0.05)


def gone(pid: int) -> bool:
    return start_ticks(pid) is None


@pytest.mark.deployed_with(steps=[50, 100], inconclusive_limit=1000)  # judged by them (371)
def test_a_slow_tail_is_rolled_back_by_the_comparison(
    deployed: tuple[Project, str], record_property: Callable[[str, object], None]
) -> None:
    project, first = deployed
    project.write_config(**JUDGE)
    project.commit("v2-slow-tail",
                   command=app_command("tail", "--delay", "0.4", "--tail-share", "0.1"))
    with Load(project.url, workers=6) as load:
        load.wait_for(20)
        result = project.run("deploy", timeout=150)
    assert result.returncode == 1, result.stdout
    row = last_row(project)
    assert row["outcome"] == "rolled_back"
    assert "slow tail:" in row["reason"]
    assert "Fisher p=" in row["reason"]
    assert "limit 500ms" not in row["reason"]  # the threshold limits did not see it
    pid, _ = baseline_of(result.stdout)
    assert gone(pid)
    recorded = looks(project, row["id"])
    assert recorded[-1]["decision"] == "failed"
    assert recorded[-1]["n_canary"] >= 50
    assert recorded[-1]["n_baseline"] >= 50
    assert "[judge] look" in result.stdout
    assert project.state()["stable"]["commit"] == first
    assert project.state()["rollout"] is None
    assert load.failed == 0
    record_property("tail_canary", recorded[-1]["tail_canary"])
    record_property("p_tail", recorded[-1]["p_tail"])


@pytest.mark.deployed_with(steps=[50, 100], inconclusive_limit=1000,  # judged by them (371)
                           judge_looks=1000)  # a commit raising judge_looks is anchored
def test_a_good_canary_killed_mid_comparison_goes_on_counting_its_looks_and_is_promoted(
    deployed: tuple[Project, str],
) -> None:
    """The supervisor is killed after k looks of the 50% step (which cannot end: it wants 1000
    successes, and judge_looks plans for them) and resumed by the next command, which shows the
    looks spent: the resumed looks are numbered from k + 1 and spend only what is left of alpha
    (history), and a metric compared with the baseline is read for both sides. An untracked
    edit wanting 1 success steers nothing: the resuming command refuses it (the rollout is
    judged by the table its commit ships). A person promotes the good canary; the baseline is
    stopped with the rollout."""
    project, first = deployed
    folder = project.root.parent / "metrics"
    folder.mkdir()
    conversion = {"source": "file", "path": str(folder / "{version}.json"), "rollout": True,
                  "compare": "baseline", "change": ">= -0.1"}
    project.write_config(pyramid={"metrics": {"conversion": conversion}},
                         **{**JUDGE, "judge_looks": 1000,
                            "measurements": 1000})
    second = project.commit("v2")
    (folder / f"{second}.json").write_text('{"value": 0.029}')
    (folder / f"{first}.json").write_text('{"value": 0.030}')  # the baseline's release
    with Load(project.url, workers=6) as load:
        load.wait_for(20)
        deploy = project.popen("deploy")
        project.wait_state(lambda s: (s.get("rollout") or {}).get("looks", 0) >= 2, 90)
        pid = supervisor_pid(project)
        os.kill(pid, signal.SIGSTOP)  # frozen first: what the state says is what it did
        killed = project.state()["rollout"]
        os.kill(pid, signal.SIGKILL)
        finish(deploy)
        project.write_config(pyramid={"metrics": {"conversion": conversion}}, measurements=1)
        edited = project.run("status")
        assert edited.returncode == 3, edited.stdout  # nothing resumed by an untracked edit
        assert "an uncommitted edit" in edited.stderr
        git(project.root, "checkout", "pyproject.toml")
        shown = project.run("status").stdout  # the next command resumes the rollout
        project.wait_state(lambda s: (s.get("rollout") or {}).get("looks", 0) > killed["looks"],
                           120)
        assert project.run("promote", "--by", "oncall").returncode == 0
        wait_for(lambda: restored(project), 120)
        assert load.failed == 0
    spent, chosen = killed["looks"], Settings(alpha=0.01, looks=1000)
    assert killed["weight"] == 50
    assert killed["alpha_spent"] == pytest.approx(0.01 * spent**2 / 1000**2)
    # status reads the durable count (the resumed supervisor may have looked again since)
    seen = re.search(r"^looks: (\d+) of 1000, alpha spent \S+ of 0.01 "
                     r"\(judge = nonparametric\)$", shown, re.MULTILINE)
    assert seen is not None, shown
    assert int(seen[1]) >= spent, shown
    resumed = job_log(project, "resume")
    assert f"[resume] judge: {spent} of 1000 planned look(s) already spent" in resumed, resumed
    row = last_row(project)
    assert row["outcome"] == "succeeded", row
    counted = [c for c in looks(project, row["id"]) if min(c["n_canary"], c["n_baseline"]) >= 50]
    assert [c["look"] for c in counted] == list(range(spent + 1, spent + 1 + len(counted)))
    assert counted, resumed
    for numbers in counted:
        assert numbers["alpha_latency"] == pytest.approx(chosen.alpha_for("latency",
                                                                           numbers["look"]))
        assert numbers["weights"] == {"canary": 50, "baseline": 50, "stable": 0}
    assert counted[-1]["alpha_spent"] == pytest.approx(0.01 * counted[-1]["look"]**2 / 1000**2)
    assert "promoted by oncall" in resumed
    # the metric compared at the compared looks, both sides read
    read = {weight: [m["metrics"]["conversion"] for m in ms] for weight, ms in steps_of(project,
                                                                                        row["id"])}
    assert {(r["status"], r["value"], r["baseline"]) for r in read[50]} == {
        ("pass", 0.029, 0.030)}
    # stopped by the resumed supervisor with the rollout (an orphan of the killed one: a zombie
    # until reaped, so asked as the deploy asks, not by its start time)
    assert not is_alive(int(killed["baseline"]["pid"]), killed["baseline"]["start_ticks"])
    assert project.state()["stable"]["commit"] == second


@pytest.mark.deployed_with(steps=[50, 100])  # judged by them (371)
def test_a_rollout_metric_breach_rolls_back_naming_the_metric_and_is_told(
    deployed: tuple[Project, str],
) -> None:
    """A business figure read from outside the access log (a file source, {version} = the new
    version's commit) breaks its threshold while the access log looks fine. The webhooks are
    told (started, rolled back with the reason); one that answers 500 is retried, logged, and
    changes nothing."""
    project, first = deployed
    folder = project.root.parent / "metrics"
    folder.mkdir()
    conversion = {"source": "file", "path": str(folder / "{version}.json"),
                  "threshold": ">= 0.02", "rollout": True}
    with receiving() as told, receiving() as broken:
        broken.statuses = [500] * 10
        hooks = {"webhooks": [{"url": told.url}, {"url": broken.url, "retries": 1}]}
        project.write_config(pyramid={"metrics": {"conversion": conversion}, "notify": hooks},
                             steps=[50, 100])
        second = project.commit("v2-converts-less")
        (folder / f"{second}.json").write_text('{"value": 0.011}')
        with Load(project.url) as load:
            load.wait_for(20)
            result = project.run("deploy", timeout=120)
        assert told.events(2) == ["started", "rolled_back"]
        assert broken.events(4) == ["started", "started", "rolled_back", "rolled_back"]
    assert result.returncode == 1, result.stdout
    row = last_row(project)
    assert row["outcome"] == "rolled_back"
    assert "metric conversion = 0.011 breaks >= 0.02 (file)" in row["reason"]
    assert "[metrics] conversion 0.011 vs >= 0.02: fail" in result.stdout
    assert "metric conversion = 0.011 breaks" in told.bodies[1]["text"]
    assert told.bodies[1]["details"]["commit"] == second
    logged = logged_line(project.work_dir / "notify.log", f"rolled_back to {broken.url}")
    assert "not delivered after 2 attempt(s): HTTP 500" in logged
    assert project.state()["stable"]["commit"] == first
    assert load.failed == 0


@pytest.mark.deployed_with(steps=[50, 100], inconclusive_limit=1000)  # judged by them (371)
def test_the_baseline_of_a_rollout_whose_supervisor_died_is_stopped_by_abort(
    deployed: tuple[Project, str],
) -> None:
    """No traffic: the first step waits for data with canary and baseline running. The
    supervisor is SIGKILLed; `pyramid abort` settles the rollout from its durable record and
    stops the baseline with the canary."""
    project, first = deployed
    project.write_config(**JUDGE)
    project.commit("v2")
    result = project.run("deploy", "--detach")
    assert result.returncode == 0, result.stdout
    state = project.wait_state(lambda s: (s.get("rollout") or {}).get("weight") == 50, 90)
    baseline, canary = state["rollout"]["baseline"], state["rollout"]["canary"]
    lease = json.loads((project.work_dir / "supervisor.lease").read_text().strip("\0 \n"))
    assert start_ticks(int(lease["pid"])) == lease["start_ticks"]
    os.kill(int(lease["pid"]), signal.SIGKILL)
    aborted = project.run("abort", "--by", "test")
    assert aborted.returncode in (0, 1), aborted.stdout  # abort, or a resume that settles it
    project.wait_state(lambda s: s.get("rollout") is None, 90)
    def ended(version: dict[str, Any]) -> bool:
        return bool(start_ticks(int(version["pid"])) != version["start_ticks"])

    deadline = time.monotonic() + 30
    while not (ended(baseline) and ended(canary)) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert ended(baseline), aborted.stdout
    assert ended(canary)
    assert project.state()["stable"]["commit"] == first
