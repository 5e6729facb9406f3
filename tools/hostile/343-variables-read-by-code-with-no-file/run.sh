#!/usr/bin/env bash
source "$(dirname "$0")/../_preamble.sh"
# Round 12 on the environment reads (run/env_reads.py): a read is the project's when the
# calling frame's *file* is under the repository (`Sink.owns`). Code compiled from a string has
# a file name that is no path: pytest's own string conditions (`@pytest.mark.skipif("...")`,
# evaluated as "<skipif condition>", with `os` and `sys` in its namespace: pytest's documented
# idiom), `eval(...)`, and a tracked settings file run with `exec(open(path).read())` (old
# config loaders). The project wrote the read; the recorder sees a caller named "<string>".
# Rows: (a) control: `skipif(bool(os.environ.get("SKIP_BROKEN")))` with SKIP_BROKEN=1 from the
# job (not ready: 265); (b) `skipif("os.environ.get('SKIP_BROKEN')")`; (c) `skipif(bool(eval(...)))`;
# (d) a tracked tests/settings.py run through exec(open(...).read()) sets SKIP from the variable;
# (z) control: (b) without the variable: blocked.
# Expected: no row `ready` (a CI job's variable decided a failing test's outcome).
base_project
printf 'pyramid-verdict*\npyramid-results*\n.pyramid/\n' >> .gitignore
w tests/settings.py <<'X'
import os
SKIP = bool(os.environ.get("SKIP_BROKEN"))
X
commit init
r=""
one() { local label=$1 deco=$2; shift 2
  w tests/integration/test_broken.py <<X
import os
from pathlib import Path
import pytest

@pytest.mark.skipif($deco, reason="known broken on CI")
def test_broken():
    assert False, "a real bug"
X
  commit "row $label"
  env "$@" "$PY" -m pytest -q -p no:cacheprovider > "$W/p-$label.out" 2>&1; local e=$?; local d; d=$(decision)
  echo "row $label: exit=$e decision=$d | $(tail -1 "$W/p-$label.out") | $(show > "$W/show-$label.out"; grep -m1 -E 'problem|reason' "$W/show-$label.out" | cut -c1-160)"
  [ "$d" = ready ] && r="$r $label"; }
one a 'bool(os.environ.get("SKIP_BROKEN"))' SKIP_BROKEN=1
one b '"os.environ.get('"'"'SKIP_BROKEN'"'"')"' SKIP_BROKEN=1
one c 'bool(eval("os.environ.get('"'"'SKIP_BROKEN'"'"')"))' SKIP_BROKEN=1
one d '(lambda ns: (exec((Path(__file__).parents[1] / "settings.py").read_text(), ns), ns["SKIP"])[1])({})' SKIP_BROKEN=1
one z '"os.environ.get('"'"'SKIP_BROKEN'"'"')"' X_UNUSED=1
if echo "$r" | grep -qwE 'a|z'; then echo "RESULT: VACUOUS (a control row was ready)"
elif [ -n "$r" ]; then echo "RESULT: BROKEN (rows$r: a job's variable read by code compiled from a string (pytest's skipif condition, eval, exec) skipped a failing test: ready)"
else echo "RESULT: HELD"; fi
