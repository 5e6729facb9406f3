#!/usr/bin/env bash
source "$(dirname "$0")/../_preamble.sh"
source "$HERE/../_deploy8b.sh"
# "A running supervisor holds an flock on deploy.lock ...; a second deploy is refused." A rollout
# of v2 is under way (detached, paused at 50% without traffic: in progress, watched). A second
# `pyramid deploy` of v3 (ready), started with:
# (a) nothing else [control]; (b) `--work-dir <a symlink to the same work folder>`;
# (c) `--work-dir <a fresh folder>` (same tracked public port);
# (d) `--work-dir <fresh> --port <another port>` then what the first rollout's `status` says.
# Expected: (a)-(c) refused or failing before any traffic moves; the first rollout still watched
# and its router still serving (its public port answers); (d) a separate deploy target is fine.
dproj 18228
"$PYR" deploy > "$W/d1.out" 2>&1; echo "v1 deploy exit=$? served: $(get 18228)"
echo "good-2" > VERSION; commit v2; verdict_of_head > /dev/null
"$PYR" deploy --detach > "$W/d2.out" 2>&1; echo "v2 deploy --detach exit=$?"
for i in $(seq 1 100); do "$PYR" status > "$W/st0.out" 2>&1; s=$?; [ $s = 2 ] && break; sleep 0.3; done
echo "good-3" > VERSION; commit v3; verdict_of_head > /dev/null
ln -s "$PWD/.pyramid/deploy" "$W/same-work"
B=""
for r in a b c d; do
  case $r in
    a) "$PYR" deploy > "$W/$r.out" 2>&1; e=$?;;
    b) "$PYR" deploy --work-dir "$W/same-work" > "$W/$r.out" 2>&1; e=$?;;
    c) "$PYR" deploy --work-dir "$W/fresh-c" > "$W/$r.out" 2>&1; e=$?;;
    d) "$PYR" deploy --work-dir "$W/fresh-d" --port 18229 > "$W/$r.out" 2>&1; e=$?;;
  esac
  "$PYR" status > "$W/$r-st.out" 2>&1; st=$?
  served=$(get 18228)
  echo "  ($r) exit=$e $(grep -m1 -i 'refused\|lock\|succeeded\|aborted\|error\|in use' "$W/$r.out" | head -c 150)"
  echo "      first target: status exit=$st ($(grep -m1 -io 'watched by its supervisor\|unwatched' "$W/$r-st.out")), public port: $served"
  [ $r != d ] && [ $e = 0 ] && B="$B $r"
  case "$served" in *good-3*|ERR*) B="$B $r(port)";; esac
done
"$PYR" stop --force > /dev/null 2>&1
"$PYR" stop --force --work-dir "$W/fresh-c" > /dev/null 2>&1; "$PYR" stop --force --work-dir "$W/fresh-d" > /dev/null 2>&1
cleanup "$W/fresh-c" "$W/fresh-d"
[ -n "$B" ] && echo "RESULT: BROKEN (rows$B: a second deploy went ahead over a rollout in progress)" || echo "RESULT: HELD"
