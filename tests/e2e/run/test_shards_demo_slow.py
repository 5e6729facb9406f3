"""SLOW end-to-end (about 1 minute on 2 cores): the demo pyramid in ``suites/`` - real
servers, Chromium, Locust, pact - split into 3 CI shards, each shard under ``-n 1``, merged
with ``pyramid merge``, against one unsharded run of the same commit (the session's one ready
run of the demo under ``-n 2``, by the release's wheel, which the release's, reports' and
README's tests read too).

Each shard runs under xdist (a worker's records reach the controller, which writes the
partial: the route of a CI shard that runs ``-n``), with one worker: every worker starts its
own PostgreSQL, Redis, shop and Chromium, and a second one per shard doubled the shards' CPU
(42.8 s -> 21.7 s and 29.6 s -> 17.3 s for shards 1 and 2, measured side by side) while
adding no merge fact: two workers' coverage, metrics and records combined into one shard's
partial are held on the small project of ``tests/integration/run/test_shards.py``
(``2-xdist``), and two workers' real servers in the unsharded run this test compares with.

The merged verdict must be the unsharded one: decision, counts per tier, gate statuses,
per-tier and total coverage within a few timing-dependent lines (TIMING_LINES), and a
complete run. Metric
*values* differ between any two runs of a load test; their gates' statuses are compared
here, and identical percentiles on deterministic samples in
``tests/integration/run/test_shards.py``.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from typing import TYPE_CHECKING, Any

import pytest

from pytest_pyramid.verdict import load_verdict
from tests.support.shared import copy_committed, demo_env, demo_outcome, demo_ready_run

if TYPE_CHECKING:
    from pathlib import Path

pytestmark = pytest.mark.slow


def run(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """In the unsharded run's environment (tests/support/shared.py: demo_env)."""
    return subprocess.run([sys.executable, "-m", *args], cwd=cwd, env=demo_env(cwd), text=True,
                          capture_output=True, timeout=900, check=False)


@pytest.fixture(scope="module")
def ready_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The session's one unsharded run of the demo, committed on its own (shared with the
    reports' and the README's tests: tests/support/shared.py)."""
    return demo_ready_run(tmp_path_factory)


@pytest.fixture(scope="module")
def demo(ready_run: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The same commit in a folder of this module's: every shard here tests that tree."""
    return copy_committed(ready_run, tmp_path_factory.mktemp("demo") / "suites")


@pytest.fixture(scope="module")
def unsharded(ready_run: Path) -> dict[str, Any]:
    returncode, terminal = demo_outcome(ready_run)
    assert returncode == 0, terminal[-6000:]
    verdict: dict[str, Any] = load_verdict(ready_run / "pyramid-verdict.json")  # type: ignore[assignment]
    return verdict


#: Lines of the demo that a run reaches or not by timing, whatever the split: the shop on
#: PostgreSQL and Redis has cache-hit and connection-pool paths that depend on which requests
#: came first (a 3-shard run covered 2 more e2e lines than the unsharded one). Exact coverage
#: equality of merged shards is held on a deterministic project in
#: tests/integration/run/test_shards.py.
TIMING_LINES = 3

COUNTS = ("selected", "required", "status", "collected", "deselected", "files_on_disk",
          "passed", "failed", "errors", "skipped", "xfailed", "xpassed", "never_ran")


# 3 shards, each under -n 1 (3 demo runs): the real services' pyramid split unevenly across
# shards and merged. 1, 2 and 4 shards ran here too until the suite neared its 30-minute CI
# budget; what a split's size changes (which tests land where, the degenerate 1-shard merge,
# even and odd splits of every size) is held on the small project of
# tests/integration/run/test_shards.py, and an even split of the demo added no fact the odd one
# does not hold (the same merge, the same comparison: 83 s of a CI worker)
@pytest.mark.parametrize("total", [3])
def test_the_demo_split_into_shards_gives_the_unsharded_verdict(
    demo: Path, unsharded: dict[str, Any], total: int
) -> None:
    # Kept outside the demo's repository: an untracked file a later shard finds in the tree is
    # part of the tree it tests (only tool caches are left out by name), so shards that found
    # different files tested different trees.
    out = demo.parent / f"partials-{total}"
    for index in range(1, total + 1):
        result = run(demo, "pytest", "-n", "1", "-q", f"--pyramid-shard={index}/{total}")
        assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
        out.mkdir(exist_ok=True)
        for produced in demo.glob(f"pyramid-partial-{index}-of-{total}.*"):
            shutil.move(produced, out / produced.name)
    merged_path = demo.parent / f"merged-{total}.json"
    result = run(demo, "pytest_pyramid", "merge", "--run-id", "demo", str(out), "-o",
                 str(merged_path))
    assert result.returncode == 0, result.stdout + result.stderr
    merged = json.loads(merged_path.read_text())
    assert merged["decision"] == unsharded["decision"] == "ready"
    assert merged["completeness"] == unsharded["completeness"] == []
    for name, tier in unsharded["tiers"].items():
        assert {k: merged["tiers"][name][k] for k in COUNTS} == {k: tier[k] for k in COUNTS}
        mine, theirs = merged["tiers"][name].get("coverage"), tier.get("coverage")
        assert (mine is None) == (theirs is None)
        if theirs is not None and theirs["percent"] is not None:
            assert mine["lines_total"] == theirs["lines_total"], (name, mine, theirs)
            assert abs(mine["lines_covered"] - theirs["lines_covered"]) <= TIMING_LINES, (
                name, mine, theirs)
    assert merged["coverage"]["lines_total"] == unsharded["coverage"]["lines_total"]
    assert abs(merged["coverage"]["lines_covered"] - unsharded["coverage"]["lines_covered"]) \
        <= TIMING_LINES
    assert [(g["id"], g["status"]) for g in merged["gates"]] == [
        (g["id"], g["status"]) for g in unsharded["gates"]]
    assert sorted(merged["metrics"]) == sorted(unsharded["metrics"])
    shards = merged["shards"]
    # shown with -s: the figures the comparison is about
    print(f"\n{total} shard(s): {merged['decision']}, coverage "
          f"{merged['coverage']['percent']} (unsharded {unsharded['coverage']['percent']}), per "
          f"tier {[t.get('coverage', {}).get('percent') for t in merged['tiers'].values()]}, "
          f"shards {[(s['tests'], s['duration_s']) for s in shards['shards']]}, critical path "
          f"{shards['critical_path_s']} s")
    assert shards["total"] == total
    assert [s["status"] for s in shards["shards"]] == ["finished"] * total
    assert sum(s["tests"] for s in shards["shards"]) == sum(
        t["collected"] for t in unsharded["tiers"].values())
