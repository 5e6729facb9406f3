#!/usr/bin/env bash
source "$(dirname "$0")/../_preamble.sh"
# Round 12 on the environment reads (run/env_reads.py): reads are noted in the run's own
# processes only ("reads in child processes" is a stated limit), yet the run follows its Python
# children for files and imports. The everyday CLI test runs the project's own entry point as a
# child (`subprocess.run([sys.executable, "-m", "mypkg.cli"])`), and the child inherits the
# job's environment: a variable the CLI reads decides the test's outcome.
# Rows: (a) control: the CLI's function called in process, MYPKG_LENIENT=1 from the job
# (not ready); (b) the same CLI run as a followed child; (c) (b) under -n 2; (z) control: (b)
# without the variable: blocked.
# Expected: no row `ready` (a CI job's variable decided a failing test's outcome).
base_project
printf 'pyramid-verdict*\npyramid-results*\n.pyramid/\n' >> .gitignore
w mypkg/cli.py <<'X'
import os
import sys


def main() -> int:
    broken = True  # a real bug the CLI's exit status shows
    if broken and not os.environ.get("MYPKG_LENIENT"):
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
X
commit init
r=""
one() { local label=$1 body=$2; shift 2
  w tests/integration/test_cli.py <<X
import subprocess, sys
from mypkg import cli

def test_cli():
    assert $body == 0
X
  commit "row $label"
  env "$@" "$PY" -m pytest -q -p no:cacheprovider ${NARGS:-} > "$W/p-$label.out" 2>&1; local e=$?; local d; d=$(decision)
  echo "row $label: exit=$e decision=$d | $(tail -1 "$W/p-$label.out") | $(show > "$W/show-$label.out"; grep -m1 -E 'problem|reason' "$W/show-$label.out" | cut -c1-160)"
  [ "$d" = ready ] && r="$r $label"; }
CHILD='subprocess.run([sys.executable, "-m", "mypkg.cli"]).returncode'
one a 'cli.main()' MYPKG_LENIENT=1
one b "$CHILD" MYPKG_LENIENT=1
NARGS="-n 2" one c "$CHILD" MYPKG_LENIENT=1
one z "$CHILD" X_UNUSED=1
if echo "$r" | grep -qwE 'a|z'; then echo "RESULT: VACUOUS (a control row was ready)"
elif [ -n "$r" ]; then echo "RESULT: BROKEN (rows$r: a job's variable read by the project's CLI in a followed child decided a failing test: ready)"
else echo "RESULT: HELD"; fi
