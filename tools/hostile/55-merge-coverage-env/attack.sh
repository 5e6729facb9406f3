#!/usr/bin/env bash
# the shared preamble: a fresh project under this case's work/ (PY, PYR, w, commit, base_project ...)
source "$(dirname "$0")/../_preamble.sh"
# CI shards + merge with coverage: total=90, real coverage 50%. The shards run clean (`pytest --cov
# --pyramid-shard=I/2`). The MERGE job's environment has COVERAGE_RCFILE pointing at a tracked
# ci/lenient.cfg (exclude_also drops the uncovered block) - the merge analyses the combined data itself.
# Expected: blocked (or coverage not_evaluated), like the unsharded run.
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
w ci/lenient.cfg <<'X'
[report]
exclude_also =
    if x > 0:
X
printf '.coverage\n.coverage.*\n' >> .gitignore
commit init
export PYRAMID_RUN_ID=run-7
for s in 1 2; do "$PY" -m pytest -q -p no:cacheprovider --cov --pyramid-shard=$s/2 > "$W/shard$s.out" 2>&1; echo "shard $s exit=$?"; done
ls pyramid-partial-*
"$PYR" merge . -o "$W/control.json" > "$W/merge0.out" 2>&1; echo "control merge exit=$? decision=$(decision "$W/control.json") cov=$(jget "$W/control.json" coverage.percent)"
COVERAGE_RCFILE=ci/lenient.cfg "$PYR" merge . -o "$W/verdict.json" > "$W/merge.out" 2>&1; echo "merge exit=$?"; tail -4 "$W/merge.out"
show "$W/verdict.json" | grep -v "tier \(contract\|e2e\|perf\|secu\)"; echo "coverage.percent=$(jget "$W/verdict.json" coverage.percent)"
R=HELD; [ "$(decision "$W/verdict.json")" = ready ] && R="FALSE-READY (COVERAGE_RCFILE in the merge job)"
echo "--- (b) the SHARD jobs carry COVERAGE_RCFILE, the merge job does not:"
rm -f pyramid-partial-*
for s in 1 2; do COVERAGE_RCFILE=ci/lenient.cfg "$PY" -m pytest -q -p no:cacheprovider --cov --pyramid-shard=$s/2 > "$W/shardb$s.out" 2>&1; echo "shard $s exit=$?"; done
"$PYR" merge . -o "$W/verdict_b.json" > "$W/merge_b.out" 2>&1; echo "merge exit=$?"
show "$W/verdict_b.json" | grep -v "tier \(contract\|e2e\|perf\|secu\)"; echo "coverage.percent=$(jget "$W/verdict_b.json" coverage.percent)"
[ "$(decision "$W/verdict_b.json")" = ready ] && { [ "$R" = HELD ] && R="FALSE-READY (COVERAGE_RCFILE in the shard jobs)" || R="$R (COVERAGE_RCFILE in the shard jobs)"; }
echo "RESULT: $R"
