#!/usr/bin/env bash
source "$(dirname "$0")/../_preamble.sh"
# Round 12 on the environment reads (run/env_reads.py, hostile 265's fix and its review): a
# read is noted when the *caller* of `os.environ.__getitem__` is the project's file (frames of
# `os`, the mapping base classes and env_reads itself are skipped). A read the standard library
# makes on the project's behalf has a stdlib file as its caller: `os.path.expandvars` (a path
# in a config with `$VAR`), `collections.ChainMap(os.environ, defaults)` (the docs' own
# example of layered settings), `string.Template(...).substitute(os.environ)`. The project's
# code named the variable; the recorder sees the stdlib read it.
# Rows: (a) control: the failing test skips itself on `os.environ.get("SKIP_BROKEN")` with
# SKIP_BROKEN=1 from the job (not ready: 265); (b) the same through `os.path.expandvars`;
# (c) through `ChainMap(os.environ, {...})[...]`; (d) through `string.Template.safe_substitute`;
# (e) through `fnmatch.filter(os.environ, ...)` (a documented limit: regular expressions on a
# handed name); (z) control: (b) without the variable: blocked.
# Expected: no row `ready` (a CI job's variable decided a failing test's outcome).
base_project
printf 'pyramid-verdict*\npyramid-results*\n.pyramid/\n' >> .gitignore
commit init
r=""
one() { local label=$1 expr=$2; shift 2
  w tests/integration/test_broken.py <<X
import collections, fnmatch, os, string
import pytest

@pytest.mark.skipif(bool($expr), reason="known broken on CI")
def test_broken():
    assert False, "a real bug"
X
  commit "row $label"
  env "$@" "$PY" -m pytest -q -p no:cacheprovider > "$W/p-$label.out" 2>&1; local e=$?; local d; d=$(decision)
  echo "row $label: exit=$e decision=$d | $(tail -1 "$W/p-$label.out") | $(show > "$W/show-$label.out"; grep -m1 -E 'problem|reason' "$W/show-$label.out" | cut -c1-160)"
  [ "$d" = ready ] && r="$r $label"; }
one a 'os.environ.get("SKIP_BROKEN")' SKIP_BROKEN=1
one b 'os.path.expandvars("${SKIP_BROKEN}") == "1"' SKIP_BROKEN=1
one c 'collections.ChainMap(os.environ, {"SKIP_BROKEN": ""})["SKIP_BROKEN"]' SKIP_BROKEN=1
one d 'string.Template("$SKIP_BROKEN").safe_substitute(os.environ) == "1"' SKIP_BROKEN=1
one e 'fnmatch.filter(os.environ, "SKIP_BROKEN")' SKIP_BROKEN=1
one z 'os.path.expandvars("${SKIP_BROKEN}") == "1"' X_UNUSED=1
if echo "$r" | grep -qwE 'a|z'; then echo "RESULT: VACUOUS (a control row was ready)"
elif [ -n "$r" ]; then echo "RESULT: BROKEN (rows$r: a job's variable the project's code read through a standard-library helper skipped a failing test: ready)"
else echo "RESULT: HELD"; fi
