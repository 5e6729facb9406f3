#!/usr/bin/env bash
# the shared preamble: a fresh project under this case's work/ (PY, PYR, w, commit, base_project ...)
source "$(dirname "$0")/../_preamble.sh"
# A CI container checks the repository out as another user (the classic "dubious ownership"): git
# refuses to work in it, so the run cannot name its commit or tree. Expected: incomplete, or at least
# pyramid check refusing it; never a ready verdict that passes the check.
base_project; commit init
SHA=$(git rev-parse HEAD)
chown -R nobody: . 2>/dev/null || { echo "RESULT: HELD (cannot chown here)"; exit 0; }
echo "git as root: $(git rev-parse HEAD 2>&1 | head -1)"
"$PY" -m pytest -q -p no:cacheprovider > "$W/pytest.out" 2>&1; echo "pytest exit=$?"; tail -2 "$W/pytest.out"
show | head -3; echo "commit=$(jget pyramid-verdict.json commit) digest=$(jget pyramid-verdict.json tree.digest)"
check; ce=$("$PYR" check pyramid-verdict.json >/dev/null 2>&1; echo $?)
c2=$("$PYR" check pyramid-verdict.json --commit "$SHA" >/dev/null 2>&1; echo $?)
echo "check exit=$ce, with --commit=$c2"
chown -R root: .
[ "$(decision)" = ready ] && { [ "$ce" = 0 ] || [ "$c2" = 0 ]; } && echo "RESULT: BROKEN (false ready that pyramid check accepts: git could not read the repository)" || { [ "$(decision)" = ready ] && echo "RESULT: BROKEN (wrong field: ready with no commit/tree; check refuses)" || echo "RESULT: HELD ($(decision))"; }
