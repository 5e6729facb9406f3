#!/usr/bin/env bash
source "$(dirname "$0")/../_preamble.sh"
# "Any other .coverage.* file that appears during the run makes the coverage gates
# not_evaluated ... Subprocess measurement the project declares (coverage's patch = subprocess,
# COVERAGE_PROCESS_START) writes files named after processes the run cannot know: then a file
# coverage named after another process id is taken as theirs." Whether subprocesses are
# declared is read from os.environ when the gates run. The integration test runs the
# package's exercise script under `coverage run -p` (a test of a tool that measures the
# project: it writes `.coverage.<host>.<pid>.<rand>` into the project's top folder, claiming
# lines no test of this run executed in a process of its own). Real coverage 50% < total 90.
# Rows: (a) control: nothing declares subprocesses (not_evaluated: blocked); (b)
# COVERAGE_PROCESS_START=pyproject.toml in the CI job's environment (nothing tracked declares
# it); (c) the test itself leaves COVERAGE_PROCESS_START set (os.environ, not monkeypatch).
# Expected: no row `ready`.
base_project
cat >> pyproject.toml <<'X'

[tool.pyramid.coverage]
total = 90
X
w mypkg/extra.py <<'X'
def f(x):
    if x > 0:
        a = 1
        b = 2
        c = 3
        d = 4
        return a + b + c + d
    return 0
X
w tests/unit/test_extra.py <<'X'
import mypkg.extra

def test_f():
    assert mypkg.extra.f(0) == 0
X
w tools/exercise.py <<'X'
import mypkg.extra, mypkg.core
mypkg.extra.f(1); mypkg.extra.f(0); mypkg.core.add(1, 2)
X
printf '.coverage\n.coverage.*\npyramid-verdict*\npyramid-results*\n.pyramid/\n' >> .gitignore
commit init
crow() { local l=$1 leak=$2; shift 2; row "$l" --cov "$@" <<X
import os, subprocess, sys
from pathlib import Path

def test_row():
    top = Path(__file__).parents[2]
    env = {**os.environ, "PYTHONPATH": str(top)}
    env.pop("COVERAGE_PROCESS_START", None)
    subprocess.run([sys.executable, "-m", "coverage", "run", "-p", "--source=mypkg",
                    "tools/exercise.py"], cwd=top, env=env, check=True)
    if "$leak":
        os.environ["COVERAGE_PROCESS_START"] = str(top / "pyproject.toml")
X
  echo "   ($l) coverage gate: $("$PY" -c 'import json; v=json.load(open("pyramid-verdict.json")); print([(g["id"], g["status"], g.get("message","")[:90]) for g in v["gates"] if g["id"].startswith("coverage")])')"
}
crow a ""
export COVERAGE_PROCESS_START=pyproject.toml; crow b ""; unset COVERAGE_PROCESS_START
crow c "leak"
if echo "$BROKEN_ROWS" | grep -qw a; then echo "RESULT: VACUOUS (control row a was ready)"
elif [ -n "$BROKEN_ROWS" ]; then echo "RESULT: BROKEN (rows$BROKEN_ROWS: another process's coverage data taken as this run's: ready)"
else echo "RESULT: HELD"; fi
