#!/usr/bin/env bash
source "$(dirname "$0")/../_preamble.sh"
source "$HERE/../_deploy8b.sh"
source "$HERE/../_deploy11b.sh"
# The brief: a bad release reaching users it should not. docs/deploy.md, "A commit may only
# tighten the limits it is judged by": `steps` is anchored (a commit's `steps = [100]` keeps
# the last release's entries too), so the first users a new release reaches are the anchored
# first step's share. But `strategy` is a "commit" key (deploy/arguments.py: SAFETY, "canary or
# blue-green: both judged under the anchored limits"), and blue-green ignores `steps`: the
# new version is smoke-checked on its health path, then takes ALL traffic in one step. A team
# that switches a service to blue-green (a PR "faster deploys"), or a commit that does it in
# passing, sends its release to every user at once, whatever the anchored steps said.
# (a) [control] v2 answers 500 to users, canary steps [10, 100] (tracked, deployed with v1):
#     rolled back after the 10% step; the peak share of user requests failed is about 10%;
# (b) v3: the same fault, and the commit sets strategy = "blue-green".
# Expected (b): the first exposure stays at the anchored first step (10%), or the switch is
# kept from loosening like `steps` (canary kept until a blue-green release has deployed).
dproj 18460 > /dev/null
sed -i 's/^steps = .*/steps = [10, 100]/; s/^scale_down_delay = .*/scale_down_delay = "1s"/' pyproject.toml
commit "canary 10% first"; verdict_of_head > /dev/null
peak() {  # peak share of failed user requests (not /healthz) per 0.5 s of the split log from line $1
  "$PY" - "$1" .pyramid/deploy/router/split/logs/access.log <<'X'
import sys, collections
start, path = int(sys.argv[1]), sys.argv[2]
lines = open(path).read().splitlines()[start:]
b = collections.defaultdict(lambda: [0, 0])
for l in lines:
    f = l.split("|")
    if len(f) < 10 or f[9] == "/healthz": continue
    k = int(float(f[0]) * 2); b[k][0] += 1; b[k][1] += f[1].startswith("5")
full = [(e / n, n) for n, e in b.values() if n >= 5]
bad = sum(e for n, e in b.values()); tot = sum(n for n, e in b.values())
print(f"{max((s for s, n in full), default=0):.2f} (user requests failed in the deploy: {bad} of {tot})")
X
}
loglines() { wc -l < .pyramid/deploy/router/split/logs/access.log 2>/dev/null || echo 0; }
load_start 18460
"$PYR" deploy > "$W/d1.out" 2>&1; echo "  v1 deploy exit=$? $(last_row .pyramid/deploy/history.sqlite)"
sleep 1
echo "bad-2" > VERSION; commit v2; verdict_of_head > /dev/null
n=$(loglines); "$PYR" deploy > "$W/d2.out" 2>&1; a=$?; sleep 0.5
pa=$(peak "$n")
echo "  (a) v2 canary deploy exit=$a $(last_row .pyramid/deploy/history.sqlite)"
echo "      peak failed share per 0.5s: $pa"
echo "bad-3" > VERSION; sed -i 's/^steps = .*/strategy = "blue-green"\nsteps = [10, 100]/' pyproject.toml
commit "v3: blue-green"; verdict_of_head > /dev/null
n=$(loglines); "$PYR" deploy > "$W/d3.out" 2>&1; b=$?; sleep 0.5
pb=$(peak "$n")
echo "  (b) v3 blue-green deploy exit=$b $(last_row .pyramid/deploy/history.sqlite)"
echo "      peak failed share per 0.5s: $pb"
grep -m3 -i 'limits\|blue\|100%' "$W/d3.out" | cut -c1-170 | sed 's/^/      /'
load_stop
cleanup
sa=${pa%% *}; sb=${pb%% *}
if [ $a = 0 ] || "$PY" -c "import sys; sys.exit(not float('$sa') > 0.5)"; then echo "RESULT: VACUOUS (the control was not rolled back at its 10% step)"
elif "$PY" -c "import sys; sys.exit(not float('$sb') > 0.5)"; then echo "RESULT: BROKEN (row b: the commit's strategy = \"blue-green\" sent its failing release to every user at once (peak $sb), past the anchored first step of 10% (control $sa))"
else echo "RESULT: HELD"; fi
