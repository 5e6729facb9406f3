#!/usr/bin/env bash
source "$(dirname "$0")/../_preamble.sh"
source "$HERE/../_deploy8b.sh"
source "$HERE/../_deploy9b.sh"
# The host's `run_as = "nobody"`: the deployed code must not hold its supervisor's rights. A
# rollout metric `source = "command"` runs the commit's tracked probe "in the version's release
# folder" (the fix of case 232) at every look. v2's probe (the commit's code, like the version)
# records its uid and tries what case 225's takeover needs: open supervisor.lease and state.json
# for writing; then prints 1 (>= 1: pass). docs/deploy.md lists what still runs as the deploy
# account (a verify tier's pytest, the migrations' schema check, a router command): not metrics.
# Expected: the probe runs as nobody (EACCES), or the deploy refuses a command metric under run_as.
runas_proj 18273
w probe.py <<'X'
import json, os, sys
from pathlib import Path
work = Path.cwd()
while work.name != "releases" and work != work.parent:
    work = work.parent
work = work.parent
got = {"uid": os.getuid()}
for name in ("supervisor.lease", "state.json"):
    try:
        with open(work / name, "r+b"):
            got[name] = "opened for writing"
    except OSError as exc:
        got[name] = type(exc).__name__
Path("/tmp/hostile273.json").write_text(json.dumps(got))
print(1)
X
cat >> pyproject.toml <<'X'

[tool.pyramid.metrics.probe]
source = "command"
command = ["/usr/bin/python3", "probe.py", "{version}"]
threshold = ">= 1"
rollout = true
X
commit "a rollout probe"; verdict_of_head
rm -f /tmp/hostile273.json
"$PYR" deploy > "$W/d1.out" 2>&1; echo "v1 deploy exit=$? served: $(get 18273)"
echo "good-2" > VERSION; commit v2; verdict_of_head > /dev/null
load_start 18273
"$PYR" deploy > "$W/d2.out" 2>&1; echo "v2 deploy exit=$? $(tail -1 "$W/d2.out" | head -c 150)"
load_stop
echo "  $(grep -m1 -o 'versions run as [^(]*' "$W/d2.out")"
echo "  the probe saw: $(cat /tmp/hostile273.json 2>/dev/null || echo 'did not run')"
cleanup
if grep -q '"uid": 0' /tmp/hostile273.json 2>/dev/null || grep -q 'opened for writing' /tmp/hostile273.json 2>/dev/null; then
  echo "RESULT: BROKEN (the commit's rollout probe ran as the deploy account under run_as: it could open the lease and state.json for writing)"
elif [ -f /tmp/hostile273.json ]; then echo "RESULT: HELD"
else echo "RESULT: VACUOUS (the probe never ran)"; fi
rm -f /tmp/hostile273.json
