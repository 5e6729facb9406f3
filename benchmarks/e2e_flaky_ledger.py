"""The flake ledger's end-to-end sample from the issue, run on demand (about 5-8 minutes on
2 cores; the suite runs the same rules in 8 runs:
tests/integration/verdict/test_flake_ledger_run.py).

    python benchmarks/e2e_flaky_ledger.py [--seed 2025] [--runs 20] [--keep]

A sample project in a temporary git repository: one unit test that is 10% flaky (its first
attempt fails in the runs a seeded draw picks; its rerun passes), one test that breaks in
the last three runs, and 60 stable tests. ``--runs`` real runs of ``pytest -n 2 --reruns 1``
feed the run history; then:
- ``pyramid flaky report`` must list the flaky test with its evidence, and the broken one;
- ``pyramid flaky quarantine --write`` must propose the flaky test and never the broken one;
- once the entry is committed, a run in which the flaky test fails every attempt must be
  ``ready``, with "quarantined: 1 (<= 2% of unit)".
Prints each step's output and exits 1 when one of these does not hold.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

PYPROJECT = """
[tool.pytest.ini_options]
addopts = "-p no:cacheprovider --reruns 1"
pyramid_history = "ledger.db"

[tool.pyramid]
default_tier = "unit"
[tool.pyramid.tiers.unit]
paths = ["tests/unit"]
"""
SEEDED = """
import os, pathlib

def test_flaky():
    # the first attempt fails in the runs FLAKY_RUNS names (drawn at 10%); the rerun passes,
    # unless FLAKY_ALWAYS says every attempt of this run fails
    run = os.environ["PYRAMID_RUN_ID"]
    mark = pathlib.Path(os.environ["MARKS"]) / run
    if os.environ.get("FLAKY_ALWAYS") == "1":
        raise AssertionError("failing every attempt")
    if run in os.environ["FLAKY_RUNS"].split(",") and not mark.exists():
        mark.touch()
        raise AssertionError("first attempt failed")

def test_broken():
    assert os.environ.get("BROKEN") != "1", "broken since the change"
"""
STABLE = """
import pytest

@pytest.mark.parametrize("i", range(60))
def test_stable(i):
    assert i >= 0
"""
IGNORE = "pyramid-verdict*\nledger.db\n__pycache__/\n.coverage*\n.pyramid/\n"


def git(root: Path, *args: str) -> None:
    subprocess.run(["git", "-c", "user.email=a@b", "-c", "user.name=a", *args], cwd=root,
                   check=True, capture_output=True)


def make(root: Path) -> None:
    files = {"pyproject.toml": PYPROJECT, "tests/unit/test_seeded.py": SEEDED,
             "tests/unit/test_stable.py": STABLE, "CODEOWNERS": "/tests/ @qa-team\n",
             ".gitignore": IGNORE}
    for name, body in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(body).lstrip())
    git(root, "init", "-q")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "sample project")


def run(root: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", *args], cwd=root, env=env, text=True,
                          capture_output=True, timeout=600, check=False)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=2025)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--keep", action="store_true", help="keep the sample project")
    args = parser.parse_args()
    draw = random.Random(args.seed)
    flaky_runs = [f"run-{n}" for n in range(1, args.runs + 1) if draw.random() < 0.10]
    root = Path(tempfile.mkdtemp(prefix="pyramid-flaky-e2e-"))
    marks = root.parent / (root.name + "-marks")
    marks.mkdir()
    make(root)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "PYRAMID_"))}
    env.update(MARKS=str(marks), FLAKY_RUNS=",".join(flaky_runs))
    print(f"sample project {root}: seed {args.seed}, {args.runs} runs under -n 2 --reruns 1; "
          f"the flaky test's first attempt fails in {', '.join(flaky_runs) or 'no run'}; "
          f"test_broken fails in the last 3")
    problems: list[str] = []
    for number in range(1, args.runs + 1):
        broken = {"BROKEN": "1"} if number > args.runs - 3 else {}
        done = run(root, {**env, "PYRAMID_RUN_ID": f"run-{number}", **broken},
                   "pytest", "-n", "2", "-q")
        verdict = json.loads((root / "pyramid-verdict.json").read_text())
        print(f"  run-{number}: exit {done.returncode}, {verdict['decision']}")
    report = run(root, env, "pytest_pyramid", "flaky", "report")
    print("$ pyramid flaky report\n" + report.stdout + report.stderr)
    standing = json.loads(run(root, env, "pytest_pyramid", "flaky", "report", "--json").stdout)
    flaky = [t["nodeid"] for t in standing["flaky"]]
    broken_ids = [t["nodeid"] for t in standing["broken"]]
    if flaky != ["tests/unit/test_seeded.py::test_flaky"]:
        problems.append(f"flaky listed: {flaky}")
    if broken_ids != ["tests/unit/test_seeded.py::test_broken"]:
        problems.append(f"broken listed: {broken_ids}")
    write = run(root, env, "pytest_pyramid", "flaky", "quarantine", "--write")
    print("$ pyramid flaky quarantine --write\n" + write.stdout + write.stderr)
    text = (root / "pyproject.toml").read_text()
    if text.count("[[tool.pyramid.quarantine]]") != 1 or "test_broken" in text:
        problems.append("quarantine --write did not propose exactly the flaky test")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "quarantine the flaky test")
    last = run(root, {**env, "PYRAMID_RUN_ID": f"run-{args.runs + 1}", "FLAKY_ALWAYS": "1"},
               "pytest", "-n", "2", "-q")
    verdict = json.loads((root / "pyramid-verdict.json").read_text())
    gate = next(g for g in verdict["gates"] if g["id"] == "tests.quarantine")
    print(f"next run, the flaky test failing every attempt: exit {last.returncode}, "
          f"{verdict['decision']}; {gate['id']}: {gate['message']}")
    if verdict["decision"] != "ready" or "quarantined: 1 (<= 2% of unit)" not in gate["message"]:
        problems.append("the run after the committed quarantine is not ready with it")
    if not args.keep:
        shutil.rmtree(root, ignore_errors=True)
        shutil.rmtree(marks, ignore_errors=True)
    print("end to end:", "held" if not problems else "FAILED: " + "; ".join(problems))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
