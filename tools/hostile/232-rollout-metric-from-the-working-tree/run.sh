#!/usr/bin/env bash
source "$(dirname "$0")/../_preamble.sh"
source "$HERE/../_deploy8b.sh"
# A tracked rollout metric (docs/deploy.md "Metric sources in the rollout"): `source = "command"`,
# `command = [python, "ops/probe.py", "{version}"]`, `threshold = ">= 1"`, `rollout = true`. The
# tracked probe prints 0 for the new version (a business figure that collapsed): every look
# fails, so v2 is rolled back [control (a)]. The attacker controls files in the deploying
# checkout, not the commit ("uncommitted edits in the working tree you deploy from are not
# shipped"): (b) ops/probe.py edited in the working tree (not committed) to print 5;
# (c) tracked `source = "file"`, `path = "reports/conv.json"` (git-ignored; the tracked
#     committed value would be... none: the attacker writes {"value": 5} there).
# Expected: (a), (b) rolled back (the judge's probe is the commit's, not the working tree's);
# (c) a relative path read from the deploying checkout is the attacker's: rolled back or refused.
dproj 18232
printf 'reports/\n' >> .gitignore
w ops/probe.py <<'X'
import sys
print(0)
X
cat >> pyproject.toml <<X

[tool.pyramid.metrics.conv]
source = "command"
command = ["$PY", "ops/probe.py", "{version}"]
threshold = ">= 1"
rollout = true
X
commit "rollout metric"; verdict_of_head > /dev/null
"$PYR" deploy > "$W/d1.out" 2>&1; echo "v1 deploy exit=$? served: $(get 18232)"
load_start 18232
B=""
for r in a b c; do
  git checkout -q -- ops/probe.py 2>/dev/null
  if [ $r = c ]; then
    "$PY" - "$PY" <<'X'
import sys
s = open("pyproject.toml").read()
i = s.index("[tool.pyramid.metrics.conv]")
open("pyproject.toml", "w").write(s[:i] + '[tool.pyramid.metrics.conv]\nsource = "file"\npath = "reports/conv.json"\nthreshold = ">= 1"\nmax_age = "1h"\nrollout = true\n')
X
  fi
  echo "good-2$r" > VERSION; commit "v2$r"; verdict_of_head > /dev/null
  [ $r = b ] && printf 'print(5)\n' > ops/probe.py
  [ $r = c ] && { mkdir -p reports; echo '{"value": 5}' > reports/conv.json; }
  "$PYR" deploy --progress-deadline 5s > "$W/$r.out" 2>&1; e=$?  # bounded: no number waits
  echo "  ($r) v2 deploy exit=$e $(grep '^\[deploy\] #[0-9]* ' "$W/$r.out" | tail -1 | head -c 170) | $(grep -m1 '\[metrics\]' "$W/$r.out" | head -c 80)"
  [ $r != a ] && grep -q 'succeeded' "$W/$r.out" && B="$B $r"
  [ $r = a ] && grep -q 'succeeded' "$W/$r.out" && echo "      (control succeeded: vacuous)"
done
git checkout -q -- ops/probe.py 2>/dev/null
load_stop; cleanup
[ -n "$B" ] && echo "RESULT: BROKEN (rows$B: the rollout's metric was read from the deploying checkout's files, not the commit's)" || echo "RESULT: HELD"
