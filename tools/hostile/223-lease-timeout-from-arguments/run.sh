#!/usr/bin/env bash
source "$(dirname "$0")/../_preamble.sh"
source "$HERE/../_deploy8b.sh"
# docs/deploy.md: "A heartbeat older than lease_timeout (3s) means nobody watches: the holder is
# frozen (SIGSTOP, Ctrl-Z), hung or dead"; `status` then says unwatched (exit 1) and `pyramid
# supervise` / the next command takes the lease. The deployed version runs as the deploy
# account, so its code can SIGSTOP the supervisor. The deploy's arguments choose
# `--lease-timeout` (a "free" host setting). A real rollout of v2 (`--bake 10m`: longer is stricter)
# (here it pauses at 50%: no traffic; still in progress and watched), its supervisor frozen with SIGSTOP:
# (a) tracked lease_timeout (default 3s) [control]; (b) `--lease-timeout 1000h`.
# Expected: `pyramid status` says unwatched (exit 1) in both rows, a few seconds after the freeze.
dproj 18223
"$PYR" deploy > "$W/d1.out" 2>&1; echo "v1 deploy exit=$? served: $(get 18223)"
B=""
for r in a b; do
  echo "good-2$r" > VERSION; commit "v2$r"; verdict_of_head
  extra=""; [ $r = b ] && extra="--lease-timeout 1000h"
  "$PYR" deploy --bake 10m --detach $extra > "$W/$r.out" 2>&1; echo "  ($r) v2 deploy --detach exit=$?"
  # wait until the rollout is under way (status exit 2: in progress and watched)
  for i in $(seq 1 100); do "$PYR" status > "$W/$r-st0.out" 2>&1; s=$?; [ $s = 2 ] && break; sleep 0.3; done
  pid=$("$PY" -c 'import json,sys;print(json.loads(open(sys.argv[1]).read().strip("\0 \n"))["pid"])' .pyramid/deploy/supervisor.lease)
  kill -STOP "$pid"; echo "      supervisor $pid frozen (status before: exit=$s)"
  st=2
  for i in $(seq 1 40); do sleep 0.5; "$PYR" status > "$W/$r-st.out" 2>&1; st=$?; grep -q 'unwatched' "$W/$r-st.out" && break; done
  echo "      status (polled up to 20s after the freeze): exit=$st $(grep -m1 -io '[a-z ]*watched[^;]*' "$W/$r-st.out" | head -c 150)"
  grep -q 'unwatched' "$W/$r-st.out" || B="$B $r"
  kill -CONT "$pid" 2>/dev/null
  "$PYR" abort --wait 30s > "$W/$r-abort.out" 2>&1; echo "      abort exit=$?"
done
cleanup
[ -n "$B" ] && echo "RESULT: BROKEN (rows$B: a frozen supervisor still counts as watching)" || echo "RESULT: HELD"
