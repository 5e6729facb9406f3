#!/usr/bin/env bash
source "$(dirname "$0")/../_preamble.sh"
source "$HERE/../_deploy8b.sh"
# "When a deployment succeeds, its commit's own [tool.pyramid.deploy] advances the record: the
# anchors it sets replace the old ones (a key or approver a commit adds counts once that commit
# has been deployed: key rotation, as TUF's root)"; "pyramid rollback ... No new verdict is
# needed: it is the release that was running. It is recorded as a `rollback` row".
# v1 trusts the old CI key (later known leaked); v2 rotates: trusts only the new key (v2's
# verdict signed with the old key, still in force then); v2 deploys (the record moves to the new
# key). Then an ordinary `pyramid rollback` (v2 has a harmless bug): v1 serves again. The
# attacker holds the leaked old key; commit X, its verdict signed with the old key. Dry runs of X:
# (a) [control] before the rollback; (b) after the rollback; (c) after the rollback and one more
# `pyramid status` (any command that catches the record up).
# Expected: every row refused: returning traffic to an older release is not a deployment of its
# trust roots; a rotation once in force is never undone by a rollback.
dproj 18323 > /dev/null
"$PYR" keygen "$W/old" > /dev/null; "$PYR" keygen "$W/new" > /dev/null
mkdir -p keys; cp "$W/old.pub" keys/old.pub; cp "$W/new.pub" keys/new.pub; git add -f keys
"$PY" - <<'X'
s = open("pyproject.toml").read()
s = s.replace("[tool.pyramid.deploy]\n", '[tool.pyramid.deploy]\ntrusted_keys = ["keys/old.pub"]\nrequire_signature = true\n')
open("pyproject.toml", "w").write(s)
X
commit "v1 trusts the old key"; verdict_of_head > /dev/null
"$PYR" attest pyramid-verdict.json --key "$W/old.key" > /dev/null
"$PYR" deploy > "$W/d1.out" 2>&1; echo "v1 deploy exit=$? served: $(get 18323)"
sed -i 's|^trusted_keys = .*|trusted_keys = ["keys/new.pub"]|' pyproject.toml
echo "good-2" > VERSION; commit "v2 rotates to the new key"; verdict_of_head > /dev/null
rm -f pyramid-verdict.json.intoto.jsonl; "$PYR" attest pyramid-verdict.json --key "$W/old.key" > /dev/null
load_start 18323
"$PYR" deploy > "$W/d2.out" 2>&1; echo "v2 deploy exit=$? $(grep -m1 -o 'succeeded.*\|rolled_back.*\|refused.*' "$W/d2.out" | head -c 100) served: $(get 18323)"
# X: the attacker's commit, signed with the leaked old key
echo "EVIL-X" > VERSION; commit "X"; verdict_of_head > /dev/null
rm -f pyramid-verdict.json.intoto.jsonl; "$PYR" attest pyramid-verdict.json --key "$W/old.key" > /dev/null
"$PYR" deploy --dry-run > "$W/a.out" 2>&1; a=$?
echo "  (a) before the rollback: exit=$a $(grep -m1 -i 'refused\|dry run' "$W/a.out" | head -c 120) | $(grep -m1 -i 'signature' "$W/a.out" | head -c 120)"
"$PYR" rollback --by ops > "$W/rb.out" 2>&1; echo "  pyramid rollback exit=$? $(grep -m1 -i 'succeeded\|refused\|error' "$W/rb.out" | head -c 140); served: $(get 18323)"
load_stop
B=""
"$PYR" deploy --dry-run > "$W/b.out" 2>&1; b=$?
echo "  (b) after the rollback: exit=$b $(grep -m1 -i 'refused\|dry run' "$W/b.out" | head -c 120) | $(grep -m1 -i 'trust anchors' "$W/b.out" | head -c 120)"
[ $b = 0 ] && B="$B b"
"$PYR" status > /dev/null 2>&1
"$PYR" deploy --dry-run > "$W/c.out" 2>&1; c=$?
echo "  (c) after a status: exit=$c $(grep -m1 -i 'refused\|dry run' "$W/c.out" | head -c 120)"
[ $c = 0 ] && B="$B c"
echo "  the record's last line: $(tail -1 .pyramid/deploy/anchors.jsonl | head -c 200)"
cleanup
if [ "$a" = 0 ]; then echo "RESULT: VACUOUS (the control was not refused)"
elif [ -n "$B" ]; then echo "RESULT: BROKEN (rows$B: a rollback put the rotated-out key back into the anchors)"
else echo "RESULT: HELD"; fi
