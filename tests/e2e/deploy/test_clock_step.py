"""A real wall-clock step, for the deploy processes only: libfaketime (the build vendored by
the ``libfaketime`` package on PyPI; Debian's 0.9.10 fails ``time.sleep`` with EINVAL when
monotonic time is left real) preloaded into the deploy command, its supervisor, nginx and the
versions, reading its offset from a file the test rewrites mid-rollout. CLOCK_MONOTONIC is left real
(``FAKETIME_DONT_FAKE_MONOTONIC``), as a real ``settimeofday`` leaves it, so the wall clock
jumps while monotonic time runs on: exactly what an NTP step does to a host.

What must hold: the lease (monotonic) stays fresh, an abort stays an abort, durations stay
true, and no other history row is rewritten.
"""

from __future__ import annotations

import importlib.util
import sqlite3
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from tests.e2e.deploy.test_faults import finish, rows, when

if TYPE_CHECKING:
    from tests.support.deploy.helpers import Project

def libfaketime() -> Path | None:
    spec = importlib.util.find_spec("libfaketime")
    for folder in (spec.submodule_search_locations or []) if spec else []:
        found = Path(folder) / "vendor" / "libfaketime" / "src" / "libfaketime.so.1"
        if found.exists():
            return found
    return None


@pytest.fixture
def stepped(project: Project, tmp_path: Path) -> tuple[Project, Path]:
    """The project's pyramid processes see the wall clock ``offset`` file says (+0 now)."""
    preload = libfaketime()
    if preload is None:
        pytest.skip("a real clock step needs the libfaketime package (the test extra)")
    offset = tmp_path / "clock-offset"
    offset.write_text("+0\n")
    project.env.update({
        "LD_PRELOAD": str(preload), "FAKETIME_TIMESTAMP_FILE": str(offset),
        # no cache: every process sees a step at its next clock read (with a 1 s cache, a
        # quick abort could be handled before the supervisor re-read the offset file)
        "FAKETIME_NO_CACHE": "1", "FAKETIME_DONT_FAKE_MONOTONIC": "1",
    })
    return project, offset


def step_clock(offset: Path, to: str, project: Project) -> None:
    """Step the processes' wall clock to ``to`` (e.g. "-2h") and wait until they see it."""
    offset.write_text(f"{to}\n")
    probe = project.run("status", "--json")  # runs under the same preload: reads the offset
    assert probe.returncode in (0, 1, 2), probe.stderr


def history_row(project: Project, ident: int) -> dict[str, Any]:
    with sqlite3.connect(project.work_dir / "history.sqlite") as db:
        db.row_factory = sqlite3.Row
        return dict(db.execute("SELECT * FROM deployments WHERE id = ?", (ident,)).fetchone())


@pytest.mark.parametrize("to", ["-2h", "+3h"], ids=["back-2h", "forward-3h"])
def test_a_real_clock_step_mid_rollout_changes_no_decision(
    stepped: tuple[Project, Path], to: str
) -> None:
    project, offset = stepped
    project.write_config(inconclusive_limit=100_000)  # v2 is judged by it: deployed first
    first = project.commit("v1")
    assert project.run("deploy").returncode == 0
    before = history_row(project, 1)
    project.write_config(interval="0.5s", inconclusive_limit=100_000, lease_timeout="2s")
    project.commit("v2")
    deploy = project.popen("deploy")  # no traffic: it waits at 5%, watched
    project.wait_state(lambda s: (s.get("rollout") or {}).get("weight") == 5, 90)
    step_clock(offset, to, project)
    status = project.run("status")
    assert status.returncode == 2, status.stdout  # in progress, and still watched
    assert "unwatched" not in status.stdout
    aborted = project.run("abort", "--by", "oncall")
    assert aborted.returncode == 0, aborted.stdout
    out = finish(deploy)
    assert "[rollback] all traffic on stable" in out
    assert project.state()["stable"]["commit"] == first
    assert project.state()["rollout"] is None
    row = rows(project)[-1]
    assert (row["id"], row["outcome"], row["cause"]) == (2, "aborted", "change")
    assert "aborted by oncall" in row["reason"]
    # the step was real for them: the row's wall-clock start and end lie the step apart
    started, ended = when(row["started_at"]), when(row["finished_at"])
    assert started is not None
    assert ended is not None
    step_s = {"-2h": -7200, "+3h": 10800}[to]
    assert abs((ended - started) - step_s) < 600
    assert 0 <= row["duration_s"] < 600  # the monotonic clock, not the stepped wall clock
    assert history_row(project, 1) == before  # another row is never rewritten
    # time to restore: the exposure time plus monotonic time, not the stepped wall clock
    exposed, restored = when(row["exposed_at"]), when(row["restored_at"])
    assert exposed is not None
    assert restored is not None
    assert 0 <= restored - exposed < 600
