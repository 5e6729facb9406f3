#!/usr/bin/env bash
source "$(dirname "$0")/../_preamble.sh"
source "$HERE/../_deploy8b.sh"
source "$HERE/../_deploy9b.sh"
# The host's `run_as = "nobody"`: "a work folder (or anything directly in it: state, lease, lock,
# logs, jobs, registry, router) that the account may write is refused, before anything is judged
# or started"; "opening the lease, state.json, a new file of the work folder or of its release
# fails with EACCES". The attacker controls the deploy command's environment: its umask is a
# process attribute the deploy, its supervisor and its nginx inherit. `umask 000; pyramid deploy`
# (v1, then v2 with a --detach rollout at 50%). Then, as the versions' account (nobody): list
# what it may write in the work folder, and try to append a 200 line to the split's access log
# (what the analysis reads) and to rewrite state.json.
# Expected: nothing of the work folder writable by nobody (the deploy sets its own umask, or
# refuses); the appends fail with EACCES.
runas_proj 18276
( umask 000; "$PYR" deploy > "$W/d0.out" 2>&1 ); echo "v1 deploy (umask 000) exit=$? $(tail -1 "$W/d0.out" | head -c 150)"
WD=.pyramid/deploy
echo "  left world-writable: $(find "$WD" -perm -0002 ! -type l 2>/dev/null | wc -l) path(s)"; rm -rf "$WD"
"$PYR" deploy > "$W/d1.out" 2>&1; echo "v1 deploy (umask 022) exit=$? served: $(get 18276)"
echo "bad-2" > VERSION; commit v2; verdict_of_head > /dev/null
( umask 000; "$PYR" deploy --detach --measurements 50 > "$W/d2.out" 2>&1 ); echo "v2 deploy --detach (umask 000) exit=$?"
for i in $(seq 1 60); do "$PYR" status > "$W/st0.out" 2>&1; grep -q '50%' "$W/st0.out" && break; sleep 0.3; done
echo "  world-writable in the work folder: $(find "$WD" -perm -0002 ! -type l 2>/dev/null | wc -l) ($(find "$WD" -perm -0002 ! -type l 2>/dev/null | sed "s|$WD/||" | head -8 | tr '\n' ' '))"
LOG=$(ls "$WD"/router/split/logs/*.log 2>/dev/null | head -1)
as_nobody sh -c "echo forged >> '$LOG'" 2>/dev/null && w1=yes || w1=no
as_nobody sh -c "echo '{}' > '$WD/state.json.probe' && rm -f '$WD/state.json.probe'" 2>/dev/null && w2=yes || w2=no
as_nobody sh -c "test -w '$WD/state.json'" && w3=yes || w3=no
RES=$(ls -t "$WD"/supervisor/*.log | head -1); w4=no; as_nobody sh -c "test -w '$RES'" && w4=yes
REL=$(ls -td "$WD"/releases/*/ | head -1); w5=no; as_nobody sh -c "echo x >> '$REL/app.py'" 2>/dev/null && w5=yes
echo "  as nobody: append to $(basename "$LOG"): $w1; create a file in the work folder: $w2; state.json writable: $w3; the job's log writable: $w4; its release's app.py: $w5"
"$PYR" abort --wait 30s > /dev/null 2>&1
"$PYR" deploy --dry-run > "$W/d3.out" 2>&1; echo "  a later deploy (normal umask): exit=$? $(tail -1 "$W/d3.out" | head -c 200)"
cleanup
if [ $w1 = yes ] || [ $w2 = yes ] || [ $w3 = yes ] || [ $w4 = yes ] || [ $w5 = yes ]; then echo "RESULT: BROKEN (the caller's umask 000 left the work folder writable by the versions' account)"
else echo "RESULT: HELD"; fi
