#!/usr/bin/env bash
# the shared preamble: a fresh project under this case's work/ (PY, PYR, w, commit, base_project ...)
source "$(dirname "$0")/../_preamble.sh"
# pyramid check run from a subdirectory of the repository, after a tracked file was edited (the tree
# no longer is the verdict's). Expected: refused, as from the top.
base_project
commit init
"$PY" -m pytest -q -p no:cacheprovider > "$W/pytest.out" 2>&1; echo "pytest exit=$?"; tail -1 "$W/pytest.out"
show | head -3; check
echo "# edited" >> mypkg/core.py
(cd mypkg && "$PYR" check ../pyramid-verdict.json > "$W/sub.out" 2>&1; echo "check from mypkg/: exit=$? $(head -c 200 "$W/sub.out" | tr '\n' ' ')"; echo $? > /dev/null)
(cd mypkg && "$PYR" check ../pyramid-verdict.json > /dev/null 2>&1); e=$?
[ $e = 0 ] && echo "RESULT: BROKEN (pyramid check from a subdirectory accepted a verdict for another tree)" || echo "RESULT: HELD (exit $e)"
