#!/usr/bin/env bash
source "$(dirname "$0")/../_preamble.sh"
# Round 16a, "every required tier ran": pytest's own `--setup-plan` and `--setup-only`
# (a CI script that wants to see the fixture plan, or a debugging flag left in a job's
# options) run no test body: pytest prints "no tests ran", yet each test's setup report
# says "passed". A tier "ran" only if one of its tests passed; these passed nothing.
# Rows (tests/integration/test_row.py holds one failing test):
# (z) control: plain run: blocked;
# (a) --setup-plan; (b) --setup-only; (c) --setup-plan from PYTEST_ADDOPTS;
# (d) -n 2 --setup-plan; (e) two CI shards (--pyramid-shard I/2) with --setup-only, then
#     `pyramid merge` and `pyramid check` on the merged verdict.
# Expected: no row `ready` (no test ran; a run that writes no verdict leaves none to trust:
# each row removes the previous verdict first, so a stale one cannot answer).
base_project
printf 'pyramid-verdict*\npyramid-results*\n.pyramid/\npyramid-partial*\nmerged.json\n' >> .gitignore
commit init
rm -f pyramid-verdict.json; row z <<'X'
def test_fail():
    assert False
X
rm -f pyramid-verdict.json; row a --setup-plan <<'X'
def test_fail():
    assert False
X
echo "   (a) settings recorded: $(jget pyramid-verdict.json run.invocation.settings | tr -d ' ' | cut -c1-200)"
echo "   (a) integration tier: $(jget pyramid-verdict.json tiers.integration | tr -d ' ' | cut -c1-160)"
check
rm -f pyramid-verdict.json; row b --setup-only <<'X'
def test_fail():
    assert False
X
export PYTEST_ADDOPTS=--setup-plan
rm -f pyramid-verdict.json; row c <<'X'
def test_fail():
    assert False
X
unset PYTEST_ADDOPTS
rm -f pyramid-verdict.json; row d -n 2 --setup-plan <<'X'
def test_fail():
    assert False
X
export PYRAMID_RUN_ID=r440
for i in 1 2; do
  "$PY" -m pytest -q -p no:cacheprovider --setup-only --pyramid-shard=$i/2 > "$W/shard$i.out" 2>&1
  echo "   (e) shard $i exit=$? $(tail -1 "$W/shard$i.out" | cut -c1-120)"
done
"$PYR" merge pyramid-partial-1-of-2.json pyramid-partial-2-of-2.json -o merged.json > "$W/merge.out" 2>&1; echo "   (e) merge exit=$? $(tail -1 "$W/merge.out" | cut -c1-160)"
unset PYRAMID_RUN_ID
d=$(decision merged.json); echo "row e: merged decision=$d"; [ "$d" = ready ] && BROKEN_ROWS="$BROKEN_ROWS e"
[ -f merged.json ] && check merged.json
if echo "$BROKEN_ROWS" | grep -qw z; then echo "RESULT: VACUOUS (control row z was ready)"
elif [ -n "$BROKEN_ROWS" ]; then echo "RESULT: BROKEN (rows$BROKEN_ROWS: --setup-plan/--setup-only ran no test body, the failing test counted passed: ready)"
else echo "RESULT: HELD"; fi
