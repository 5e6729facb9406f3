#!/usr/bin/env bash
source "$(dirname "$0")/../_preamble.sh"
source "$HERE/../_deploy8b.sh"
# "each of trusted_keys, approvers and deployers comes, in this order, from: 1. the host ...
# 2. the anchors record ... 3. the checkout, only on first use"; "PYRAMID_TRUSTED_KEYS ... may
# only narrow the host's keys ... With no key pinned in any host file, the variable pins the
# keys itself, as before". No host file pins keys; the tracked table trusts CI's key with
# `require_signature = true`, and v1 was deployed (the anchors record holds CI's key). v2 is an
# ordinary next commit; the attacker holds the deploy's environment (a CI variable) and mallory's
# key, and signs v2's verdict with it. Dry runs of v2:
# (a) [control] mallory's signature, no variable; (b) PYRAMID_TRUSTED_KEYS=mallory.pub;
# Expected: (b) refused: the record's keys are the anchors once the folder served; the
# deploying process's own variable may only narrow them, as it may only narrow the host's.
dproj 18321 > /dev/null
"$PYR" keygen "$W/ci" > /dev/null; "$PYR" keygen "$W/mallory" > /dev/null
mkdir -p keys; cp "$W/ci.pub" keys/ci.pub; git add -f keys/ci.pub
"$PY" - <<'X'
s = open("pyproject.toml").read()
s = s.replace("[tool.pyramid.deploy]\n", '[tool.pyramid.deploy]\ntrusted_keys = ["keys/ci.pub"]\nrequire_signature = true\n')
open("pyproject.toml", "w").write(s)
X
commit "trust CI's key"; verdict_of_head > /dev/null
"$PYR" attest pyramid-verdict.json --key "$W/ci.key" > /dev/null
"$PYR" deploy > "$W/d1.out" 2>&1; echo "v1 deploy exit=$? served: $(get 18321); record: $(wc -l < .pyramid/deploy/anchors.jsonl) line(s)"
echo "good-2" > VERSION; commit "v2"; verdict_of_head > /dev/null
rm -f pyramid-verdict.json.intoto.jsonl
"$PYR" attest pyramid-verdict.json --key "$W/mallory.key" > /dev/null
B=""; A=""
for r in a b; do
  case $r in
    a) "$PYR" deploy --dry-run > "$W/$r.out" 2>&1; e=$?;;
    b) PYRAMID_TRUSTED_KEYS="$W/mallory.pub" "$PYR" deploy --dry-run > "$W/$r.out" 2>&1; e=$?;;
  esac
  echo "  ($r) exit=$e $(grep -m1 -i 'trust anchors' "$W/$r.out" | head -c 170)"
  echo "      $(grep -m1 -i 'refused\|signature\|dry run\|deploy:' "$W/$r.out" | head -c 170)"
  if [ $r = a ]; then [ $e = 0 ] && A=1; else [ $e = 0 ] && B="$B $r"; fi
done
cleanup
if [ -n "$A" ]; then echo "RESULT: VACUOUS (the control was not refused)"
elif [ -n "$B" ]; then echo "RESULT: BROKEN (rows$B: the caller's PYRAMID_TRUSTED_KEYS replaced the anchors record's keys)"
else echo "RESULT: HELD"; fi
