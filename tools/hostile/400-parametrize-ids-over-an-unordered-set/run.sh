#!/usr/bin/env bash
source "$(dirname "$0")/../_preamble.sh"
# Round 15a, "the whole suite ran" under xdist and CI shards (run/distributed.py, run/shard.py,
# verdict/merge.py): a test parametrized over a set of tuples (pytest ids them by position,
# `case0`, `case1` ...: tuples get no value id) takes its values in the set's iteration order,
# which depends on each *process's* string hash seed (random by default). xdist only checks
# that every worker collected the same node ids, and a shard is a list of node ids: so under
# `-n 2` (or two shards) `case2` is one value on gw0 and another on gw1, and a value can run
# twice while another never runs. The verdict counts node ids: every id reported, `ready`,
# though the failing value was never tested. A common accident (a `set` of fixtures, a
# `dict.keys()` of a set, `glob` results put in a set) that xdist documents as a limitation
# ("the order of collected tests must be the same"), here with the same order of ids.
# Rows (one project; tests/integration/test_cases.py parametrized over 4 tuples, one fails):
# (z) control: serial: blocked (the failing value always runs);
# (a) `-n 2`, run up to 10 times: any `ready`?
# (b) `--pyramid-shard=1/2` + `2/2` (two jobs) merged by `pyramid merge`, up to 10 times: any `ready`?
# Expected: no `ready` row (a parametrized value that never ran is a test that never ran; the
# run cannot vouch that every worker/shard meant the same test by one id).
base_project
printf 'pyramid-verdict*\npyramid-results*\n.pyramid/\npyramid-partial*\nparts*/\n' >> .gitignore
w tests/integration/test_cases.py <<'X'
import pytest

CASES = {("alpha", 1), ("beta", 2), ("gamma", 3), ("delta", 4)}


@pytest.mark.parametrize("case", CASES)
def test_case(case):
    print("ran", case)
    assert case[0] != "gamma"
X
commit init
r=""
"$PY" -m pytest -q -p no:cacheprovider > "$W/z.out" 2>&1
echo "row z (serial): exit=$? decision=$(decision) | $(tail -1 "$W/z.out" | cut -c1-70)"
[ "$(decision)" = ready ] && r="$r z"
for i in $(seq 1 10); do
  "$PY" -m pytest -q -p no:cacheprovider -n 2 > "$W/a$i.out" 2>&1; e=$?; d=$(decision)
  echo "row a try $i (-n 2): exit=$e decision=$d | $(tail -1 "$W/a$i.out" | cut -c1-70)"
  if [ "$d" = ready ]; then r="$r a"; cp pyramid-verdict.json "$W/v-a.json"
    echo "   verdict: $(jget pyramid-verdict.json tiers.integration.collected) collected, $(jget pyramid-verdict.json tiers.integration.passed) passed in integration"
    break; fi
done
export PYRAMID_RUN_ID=gh-400
for i in $(seq 1 10); do
  rm -rf parts; mkdir parts
  for s in 1 2; do
    rm -rf "$W/job$s"; git clone -q "$W/proj" "$W/job$s"
    (cd "$W/job$s" && "$PY" -m pytest -q -p no:cacheprovider --pyramid-shard=$s/2 > "$W/b$i-$s.out" 2>&1)
    mkdir -p parts/$s; mv "$W/job$s"/pyramid-partial-$s-of-2.json parts/$s/ 2>/dev/null
  done
  "$PYR" merge parts -o "$W/v-b.json" > "$W/merge-b$i.out" 2>&1; e=$?; d=$(decision "$W/v-b.json")
  echo "row b try $i (2 shards merged): merge exit=$e decision=$d | $(grep -h -o 'ran .*' "$W"/b$i-*.out | tr '\n' ' ' | cut -c1-90)"
  if [ "$d" = ready ]; then r="$r b"; break; fi
done
unset PYRAMID_RUN_ID
if echo "$r" | grep -qw z; then echo "RESULT: VACUOUS (control row z was ready)"
elif [ -n "$r" ]; then echo "RESULT: BROKEN (rows$r: the failing parametrized value never ran on any worker/shard, every node id reported: ready)"
else echo "RESULT: HELD (no try gave ready)"; fi
