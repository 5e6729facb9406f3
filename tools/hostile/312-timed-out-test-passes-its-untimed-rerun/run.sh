#!/usr/bin/env bash
source "$(dirname "$0")/../_preamble.sh"
# A per-test limit and reruns, both the project's own tracked configuration (the everyday pair:
# "fail a hung test after N s, retry flaky ones twice"). A test that takes 3 s on *every*
# attempt, against a limit of 2 s: the first attempt times out, the rerun is not timed, passes,
# and the test counts as flaky (tests.flaky: warn) - ready.
# The promise: "a test that hangs, swallows the per-test timeout ...: the plugin fails it
# anyway, naming tier and limit"; per-test limits "read each phase's time ... measured by the
# plugin around the phase where the test ran"; "Every metric sample a gate judged came from ...
# its last attempt" - the last attempt is what counts, and it broke the limit too.
# Rows: (a) control: pytest-timeout's `timeout = 2`, no reruns: blocked; (b) `timeout = 2` and
# `reruns = 2` (pytest-rerunfailures' ini); (c) pytest-pyramid's own tier limit
# `[tool.pyramid.tiers.integration] test_timeout = "2s"` and `reruns = 2`; (d) (c) under -n 2;
# (e) control for (c): the tier limit, no reruns.
# Expected: no row `ready` (every attempt exceeded the limit).
base_project
printf 'pyramid-verdict*\npyramid-results*\n.pyramid/\n' >> .gitignore
w tests/integration/test_slow.py <<'X'
import time
from mypkg.core import add
def test_slow_every_time():
    time.sleep(3)          # a lock wait that never gets shorter: 3 s on every attempt
    assert add(1, 1) == 2
X
cp pyproject.toml "$W/pyproject.base"
setcfg() {  # setcfg INI_LINES [PYRAMID_TOML]
  cp "$W/pyproject.base" pyproject.toml
  "$PY" - "$1" <<'X'
import pathlib, sys
p = pathlib.Path("pyproject.toml")
p.write_text(p.read_text().replace('pythonpath = ["."]', 'pythonpath = ["."]\n' + sys.argv[1]))
X
  [ -n "${2:-}" ] && printf '%s\n' "$2" >> pyproject.toml
  commit "cfg"
}
BROKEN=""
runrow() {  # runrow LABEL [args]
  local label=$1; shift
  "$PY" -m pytest -p no:cacheprovider -rA "$@" > "$W/pytest-$label.out" 2>&1; local e=$?
  local d; d=$(decision)
  echo "row $label: pytest exit=$e decision=$d | $(tail -1 "$W/pytest-$label.out" | sed 's/=//g' | cut -c1-60) | $(grep -m1 -E '^(RERUN|FAILED).*test_slow' "$W/pytest-$label.out" | cut -c1-90) | $(show 2>/dev/null | grep -m1 -E 'problem|reason' | cut -c1-140)"
  [ "$d" = ready ] && BROKEN="$BROKEN $label"
}
tier=$'\n[tool.pyramid.tiers.integration]\ntest_timeout = "2s"'
setcfg 'timeout = 2'; runrow a
setcfg $'timeout = 2\nreruns = 2'; runrow b
setcfg 'reruns = 2' "$tier"; runrow c
runrow d -n 2
setcfg '' "$tier"; runrow e
if echo "$BROKEN" | grep -qwE 'a|e'; then echo "RESULT: VACUOUS (a control row was ready:$BROKEN)"
elif [ -n "$BROKEN" ]; then echo "RESULT: BROKEN (rows$BROKEN: a test over the per-test limit on every attempt passes its rerun, which the limit does not time: flaky, ready)"
else echo "RESULT: HELD"; fi
