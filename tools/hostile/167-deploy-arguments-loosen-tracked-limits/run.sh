#!/usr/bin/env bash
# the shared preamble: a fresh project under this case's work/ (PY, PYR, w, commit, base_project ...)
source "$(dirname "$0")/../_preamble.sh"
# The project's tracked deploy table sets its limits: `max_age = "24h"` (a verdict older than a day
# is stale) and `require_signature = true` is NOT set here; the attacker controls the deploy
# command's arguments only. Row a: a `ready` verdict three days old (the commit's tests ran then;
# the code it depends on moved since) deployed with `--max-age 24000h`. Row b: the tracked
# `p95_limit = "200ms"` / `error_rate_limit = 0.001` of the rollout loosened with `--p95-limit 60s
# --error-rate-limit 0.9` (the plan line shows the limits the rollout will judge).
# Expected: the command line may tighten the project's tracked limits, never loosen them (as
# `require_signature` "only ever goes up"): row a refused as too old; row b keeps the tracked limits
# or is refused.
base_project
printf 'pyramid-verdict*\npyramid-results*\n.pyramid/\n' >> .gitignore
cat >> pyproject.toml <<'X'

[tool.pyramid.deploy]
command = "python3 -m http.server {port}"
port = 18981
max_age = "24h"
p95_limit = "200ms"
error_rate_limit = 0.001
X
commit init
"$PY" -m pytest -q -p no:cacheprovider > "$W/pytest.out" 2>&1; echo "pytest exit=$? decision=$(decision)"
"$PY" - <<'X'
import datetime as dt, json
v = json.load(open("pyramid-verdict.json"))
old = dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=3)
v["created_at"] = old.strftime("%Y-%m-%dT%H:%M:%SZ")
json.dump(v, open("pyramid-verdict.json", "w"), indent=2)
X
"$PYR" deploy --dry-run > "$W/own.out" 2>&1; o=$?
echo "  (a) tracked max_age: exit=$o $(grep -m1 -i 'old\|age\|refused' "$W/own.out" | head -c 150)"
"$PYR" deploy --dry-run --max-age 24000h > "$W/a.out" 2>&1; a=$?
echo "      --max-age 24000h: exit=$a $(grep -m1 -i 'old\|age\|dry run' "$W/a.out" | head -c 150)"
"$PYR" deploy --dry-run --max-age 24000h --p95-limit 60s --error-rate-limit 0.9 > "$W/b.out" 2>&1; b=$?
echo "  (b) exit=$b $(grep -m1 -i 'limits' "$W/b.out" | head -c 200)"
r=HELD
[ $o != 0 ] && [ $a = 0 ] && r="BROKEN (row a: --max-age loosens the tracked max_age: a 3-day-old verdict deploys)"
grep -q "error rate 90" "$W/b.out" && r="$r; BROKEN (row b: the rollout's tracked limits loosened from the command line)"
echo "RESULT: $r"
