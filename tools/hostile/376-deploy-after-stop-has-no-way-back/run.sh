#!/usr/bin/env bash
source "$(dirname "$0")/../_preamble.sh"
source "$HERE/../_deploy8b.sh"
source "$HERE/../_deploy11b.sh"
# The brief: no "rollback when the new version is unhealthy" is a failure; the promise: "Safety
# does not depend on bookkeeping". docs/deploy.md: "`stop` ... `state.json` is emptied, so the
# next deploy is a first deployment"; "the first deployment (nothing runs: a new work folder,
# or the first deploy after `pyramid stop`) takes 100% at once ... A failed window stops it and
# records the deploy `failed` ("there is no earlier version to return to")"; and "The
# previous release comes from the history in a rebuilt state" (hostile case 331).
# v1, v2 deployed (v2 serves, judged). The operator runs `pyramid stop` (a maintenance
# runbook: the host's nginx moves, the machine is patched), and CI's next deploy is v3, which
# answers 500 to every user request.
# (a) [control] v3 deployed while v2 still runs: rolled back, v2 serves;
# (b) `pyramid stop`, then v3 deployed.
# Expected (b): v3 is judged against the last good release the history holds (v2, whose
# release folder is there), and traffic ends on v2; never 100% to v3 with nothing to return to.
dproj 18378 > /dev/null
load_start 18378
"$PYR" deploy > "$W/d1.out" 2>&1; echo "  v1 deploy exit=$? $(last_row .pyramid/deploy/history.sqlite)"
echo "good-2" > VERSION; commit v2; verdict_of_head > /dev/null
"$PYR" deploy > "$W/d2.out" 2>&1; echo "  v2 deploy exit=$? $(last_row .pyramid/deploy/history.sqlite)"
echo "bad-3" > VERSION; commit v3; verdict_of_head > /dev/null; cp pyramid-verdict.json "$W/v3.json"
"$PYR" deploy > "$W/a.out" 2>&1; a=$?
echo "  (a) v3 while v2 runs: exit=$a $(last_row .pyramid/deploy/history.sqlite); port answers: $(get 18378)"
"$PYR" stop > "$W/stop.out" 2>&1; echo "  pyramid stop exit=$?: $(tail -1 "$W/stop.out" | head -c 120)"
cp "$W/v3.json" pyramid-verdict.json
"$PYR" deploy --redeploy > "$W/b.out" 2>&1; b=$?
echo "  (b) v3 after stop (--redeploy: it was rolled back in (a)): exit=$b $(last_row .pyramid/deploy/history.sqlite)"
after=$(get 18378)
echo "      port answers: $after"
"$PYR" status > "$W/st.out" 2>&1; echo "      status exit=$? $(grep -m1 -i 'previous' "$W/st.out" | head -c 120)"
load_stop
cleanup
if [ $a = 0 ]; then echo "RESULT: VACUOUS (the control was not rolled back)"
elif [ "$after" != "version good-2" ]; then echo "RESULT: BROKEN (row b: after pyramid stop a failing release took 100% with no way back; the history's last good release (v2) was not returned to)"
else echo "RESULT: HELD"; fi
