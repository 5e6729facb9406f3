#!/usr/bin/env bash
source "$(dirname "$0")/../_preamble.sh"
# Tracked deploy limits (error_rate_limit = 0.001, p95_limit = "200ms", max_p95_ratio = 1.2,
# judge_alpha = 0.05); the attacker controls only the deploy command's arguments (dry runs).
# Rows: (a) --error-rate-limit nan, (b) --max-p95-ratio nan, (c) --judge-alpha nan,
# (d) --error-rate-limit=0.9 (the `=` spelling), (e) --error-rate 0.9 (argparse prefix),
# (f) --error-rate-limit 0.0005 --error-rate-limit 0.9 (repeated: argparse keeps the last),
# (g) --max-error-rate-delta nan, (h) --p95-limit nan.
# Expected: each row refused (exit != 0) or its plan shows the tracked limit: a NaN limit makes
# every comparison false, so no measurement ever breaches it.
base_project
printf 'pyramid-verdict*\npyramid-results*\n.pyramid/\n' >> .gitignore
cat >> pyproject.toml <<'X'

[tool.pyramid.deploy]
command = "python3 -m http.server {port}"
port = 18988
p95_limit = "200ms"
error_rate_limit = 0.001
compare_with_stable = true
max_p95_ratio = 1.2
max_error_rate_delta = 0.001
judge = "nonparametric"
judge_alpha = 0.05
X
commit init
"$PY" -m pytest -q -p no:cacheprovider > "$W/pytest.out" 2>&1; echo "pytest exit=$? decision=$(decision)"
"$PYR" deploy --dry-run > "$W/own.out" 2>&1; o=$?
echo "  own: exit=$o $(grep -m1 -i 'limit' "$W/own.out" | head -c 200)"
BROKEN=""
tryrow() { local label=$1; shift
  "$PYR" deploy --dry-run "$@" > "$W/$label.out" 2>&1; local e=$?
  echo "  ($label) $*: exit=$e $(grep -m1 -i 'loosen\|error\|limit' "$W/$label.out" | head -c 220)"
  [ $e = 0 ] && BROKEN="$BROKEN $label"
}
tryrow a --error-rate-limit nan
tryrow b --max-p95-ratio nan
tryrow c --judge-alpha nan
tryrow d --error-rate-limit=0.9
tryrow e --error-rate 0.9
tryrow f --error-rate-limit 0.0005 --error-rate-limit 0.9
tryrow g --max-error-rate-delta nan
tryrow h --p95-limit nan
if [ $o != 0 ]; then echo "RESULT: VACUOUS (the tracked dry run itself was refused)"
elif [ -n "$BROKEN" ]; then echo "RESULT: BROKEN (rows$BROKEN: a looser or NaN limit accepted from the command line)"
else echo "RESULT: HELD"; fi
