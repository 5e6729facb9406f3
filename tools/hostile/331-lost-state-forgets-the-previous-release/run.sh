#!/usr/bin/env bash
source "$(dirname "$0")/../_preamble.sh"
source "$HERE/../_deploy8b.sh"
source "$HERE/../_deploy11b.sh"
# "The state file is never trusted blindly ... A file that is missing, unreadable or of the wrong
# shape is rebuilt from what can be observed, the router's live weights and the process
# registry"; "`pyramid rollback` with no rollout under way returns all traffic to the version
# that completed a deploy before the current one"; "Safety does not depend on bookkeeping".
# v1, then v2 deployed (succeeded; `status` names v1 as previous). Then `state.json` is lost (a
# cleanup script, a restore from backup, a garbage write on a full disk), and v2 turns out bad:
# (a) `pyramid status` (rebuilds the state): does it still name the previous release?
# (b) `pyramid rollback --by ops`.
# (c) the same loss, the state truncated to 0 bytes, then `pyramid rollback --by ops`.
# Expected: (b), (c) return traffic to v1 (the history holds the deployment before v2, and its
# release folder is there), or at the very least the loss is not silent; never "nothing to return to".
dproj 18334 > /dev/null
load_start 18334
"$PYR" deploy > "$W/d1.out" 2>&1; echo "v1 deploy exit=$? $(last_row .pyramid/deploy/history.sqlite)"
echo "good-2" > VERSION; commit v2; verdict_of_head > /dev/null
"$PYR" deploy > "$W/d2.out" 2>&1; echo "v2 deploy exit=$? $(last_row .pyramid/deploy/history.sqlite)"
"$PYR" status > "$W/st0.out" 2>&1; echo "  before: status exit=$? $(grep -m1 '^previous' "$W/st0.out")"
B=""
for r in b c; do
  [ $r = b ] && rm -f .pyramid/deploy/state.json
  [ $r = c ] && : > .pyramid/deploy/state.json
  "$PYR" status > "$W/$r-st.out" 2>&1; se=$?; echo "  ($r/a) state lost ($([ $r = b ] && echo deleted || echo emptied)): status exit=$se $(grep -m1 -i 'rebuilt' "$W/$r-st.out" | head -c 100) | $(grep -m1 '^previous' "$W/$r-st.out" || echo 'no previous line')"
  "$PYR" rollback --by ops > "$W/$r-rb.out" 2>&1; e=$?
  echo "  ($r) pyramid rollback exit=$e $(grep -m1 -i 'succeeded\|no previous\|nothing\|refused\|error\|rollback:' "$W/$r-rb.out" | head -c 170); serves: $(get 18334)"
  if [ $r = b ]; then
    [ $e = 0 ] || B="$B b"
    # put v2 back for row c
    "$PYR" deploy --redeploy > "$W/c-d.out" 2>&1; echo "      v2 redeployed for row c: exit=$? serves: $(get 18334)"
  else
    [ $e = 0 ] || B="$B c"
  fi
done
load_stop
cleanup
if [ -n "$B" ]; then echo "RESULT: BROKEN (rows$B: a lost state.json made pyramid rollback forget the release before the current one)"
else echo "RESULT: HELD"; fi
