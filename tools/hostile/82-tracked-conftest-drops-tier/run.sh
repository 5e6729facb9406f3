#!/usr/bin/env bash
# the shared preamble: a fresh project under this case's work/ (PY, PYR, w, commit, base_project ...)
source "$(dirname "$0")/../_preamble.sh"
# The project's tracked tests/conftest.py leaves the integration folder out when FAST is set
# (collect_ignore_glob, "the project's own decision"). A CI script sets FAST=1: the whole integration
# tier (a required tier: it has files on disk) is never collected. Expected: incomplete (a required
# tier that did not run), or at least integration listed as excluded and not ready.
base_project
w tests/conftest.py <<'X'
import os

collect_ignore_glob = ["integration/*"] if os.environ.get("FAST") else []
X
w tests/integration/test_int.py <<'X'
def test_int():
    assert False, "integration is broken"
X
commit init
"$PY" -m pytest -q -p no:cacheprovider > "$W/honest.out" 2>&1; echo "honest: $(decision)"
FAST=1 "$PY" -m pytest -q -p no:cacheprovider > "$W/pytest.out" 2>&1; echo "pytest exit=$?"; tail -2 "$W/pytest.out"
show; check; echo "exclusions=$(jget pyramid-verdict.json run.invocation.exclusions)"
# the same through CI shards + pyramid merge
export PYRAMID_RUN_ID=run-82
for s in 1 2; do FAST=1 "$PY" -m pytest -q -p no:cacheprovider --pyramid-shard=$s/2 > "$W/shard$s.out" 2>&1; done
mkdir -p "$W/parts"; mv pyramid-partial-* "$W/parts/"
"$PYR" merge "$W/parts" -o "$W/merged.json" > "$W/merge.out" 2>&1; echo "merged: $(decision "$W/merged.json")"
[ "$(decision "$W/merged.json")" = ready ] && echo "RESULT: BROKEN (false ready through shards + merge)" && exit 0
[ "$(decision)" = ready ] && echo "RESULT: BROKEN (false ready: a required tier with a failing test left out by an environment switch in a tracked conftest)" || echo "RESULT: HELD ($(decision))"
