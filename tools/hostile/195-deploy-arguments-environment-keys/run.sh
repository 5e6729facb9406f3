#!/usr/bin/env bash
source "$(dirname "$0")/../_preamble.sh"
# Deploy arguments against the environment's own tracked keys (dry runs, --env production):
# the tracked [tool.pyramid.deploy] is loose, production's table is strict. Rows, each a value
# looser than production's own but no looser than the top-level table:
# (a) --error-rate-limit 0.01 (production 0.001, top 0.05); (b) --max-age 24h (production 1h,
# top unset: default); (c) --watch=alert (production rollback); (d) --steps 50,100 (production
# 10,50,100); (e) --judge-a 0.01 (prefix of --judge-alpha; production 0.05 nonparametric);
# (f) --measurements 1 (production 5); (g) --bake 0s (production 30s);
# (h) --strategy blue-green (production canary); (i) --health-path / (production /healthz).
# Expected: every row refused (exit 3 naming production's value), the plain run not.
base_project
printf 'pyramid-verdict*\npyramid-results*\n.pyramid/\n' >> .gitignore
cat >> pyproject.toml <<'X'

[tool.pyramid.deploy]
command = "python3 -m http.server {port}"
port = 18995
error_rate_limit = 0.05

[tool.pyramid.deploy.environments.production]
port = 18996
error_rate_limit = 0.001
max_age = "1h"
watch = "rollback"
steps = [10, 50, 100]
judge = "nonparametric"
judge_alpha = 0.05
measurements = 5
bake = "30s"
strategy = "canary"
health_path = "/healthz"
X
commit init
"$PY" -m pytest -q -p no:cacheprovider > "$W/pytest.out" 2>&1; echo "pytest exit=$? decision=$(decision)"
"$PYR" deploy --env production --dry-run > "$W/own.out" 2>&1; o=$?
echo "  as tracked: exit=$o $(grep -m1 -i 'plan\|refused\|error' "$W/own.out" | head -c 160)"
OK=""
drow() { local label=$1; shift; "$PYR" deploy --env production --dry-run "$@" > "$W/$label.out" 2>&1; local e=$?
  echo "  ($label) $*: exit=$e $(head -1 "$W/$label.out" | cut -c1-200)"; [ $e = 0 ] && OK="$OK $label"; }
drow a --error-rate-limit 0.01
drow b --max-age 24h
drow c --watch=alert
drow d --steps 50,100
drow e --judge-a 0.01
drow f --measurements 1
drow g --bake 0s
drow h --strategy blue-green
drow i --health-path /
if [ $o != 0 ]; then echo "RESULT: VACUOUS (the tracked production dry run itself was refused)"
elif [ -n "$OK" ]; then echo "RESULT: BROKEN (rows$OK: a value looser than production's own tracked key accepted)"
else echo "RESULT: HELD"; fi
