#!/usr/bin/env bash
source "$(dirname "$0")/../_preamble.sh"
source "$HERE/../_deploy8b.sh"
# docs/deploy.md: `pyramid rollback` with no rollout "returns all traffic to the version that
# completed a deploy before the current one: started again from its release folder"; a version
# "never runs from your working tree", a release folder "is reused only after git confirms that
# its tracked files still match the commit". The current version (v2, the attacker's deployed
# code, running as the deploy account) changes the previous release's folder before the rollback:
# (a) v1's tracked VERSION rewritten to "tampered" (b) v1's tracked app.py replaced by one
# serving "version INJECTED"; (c) v1's release folder deleted.
# Expected: the rollback serves v1's committed code ("version good-1"), checked out again where
# the folder does not match its commit, or refuses (exit != 0) with traffic left on v2.
dproj 18224
load_start 18224
B=""
for r in a b c; do
  "$PYR" stop --force > /dev/null 2>&1; rm -rf .pyramid
  echo "good-1" > VERSION; commit "v1$r"; verdict_of_head > /dev/null
  V1=$(git rev-parse HEAD)
  "$PYR" deploy > "$W/$r-d1.out" 2>&1; d1=$?
  echo "good-2" > VERSION; commit "v2$r"; verdict_of_head > /dev/null
  "$PYR" deploy > "$W/$r-d2.out" 2>&1; d2=$?
  REL=.pyramid/deploy/releases/$V1
  case $r in
    a) echo "tampered" > "$REL/VERSION";;
    b) sed -i 's/BODY = open.*/BODY = "INJECTED"/' "$REL/app.py";;
    c) rm -rf "$REL";;
  esac
  "$PYR" rollback > "$W/$r-rb.out" 2>&1; rb=$?
  s=$(get 18224)
  echo "  ($r) v1 exit=$d1, v2 exit=$d2, rollback exit=$rb $(grep -m1 -i 'release\|rolled\|error\|refus' "$W/$r-rb.out" | head -c 150) | served: $s"
  case "$s" in *good-1*|*good-2*) ;; *) B="$B $r";; esac
done
load_stop; cleanup
[ -n "$B" ] && echo "RESULT: BROKEN (rows$B: the rollback serves code that is not the previous release's commit)" || echo "RESULT: HELD"
