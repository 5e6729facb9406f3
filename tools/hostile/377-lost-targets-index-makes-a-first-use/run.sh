#!/usr/bin/env bash
source "$(dirname "$0")/../_preamble.sh"
source "$HERE/../_deploy8b.sh"
# docs/deploy.md: "first use is a property of the service, not of a folder (hostile case 322)
# ... The host keeps one index of targets, `targets.jsonl` in the deploy account's own host
# folder"; "a damaged index" is refused; "Safety does not depend on bookkeeping". The index is
# bookkeeping too: a missing file reads as "no target was ever claimed" (deploy/targets.py:
# read_index). The deploy account's home is rebuilt from the machine image (the work folders
# live on the data volume and survive); /etc/pyramid pins nothing (the documented
# no-host-pins set-up of case 322).
# No host pins. v1 trusts CI's key (`require_signature = true`) and serves 127.0.0.1:18379; the
# record holds CI's key. The commit under test X trusts mallory's key, moves `work_dir` to
# `.pyramid/live` (same port), and its verdict is signed by mallory. Dry runs of X:
# (a) [control] the index in place: refused (322 row b's fix);
# (b) the deploy account's ~/.config/pyramid/targets.jsonl gone (v1's router still serves the
#     port, from the old work folder, whose record is intact).
# (c) the operator stops the old target (a move into the new folder), then X is deployed for real.
# Expected (b), (c): refused (a port this host's own router serves, or a record anywhere on the host
# anchoring it, is not a first use; a missing index where deploys happened is not "none").
dproj 18379 > /dev/null
"$PYR" keygen "$W/ci" > /dev/null; "$PYR" keygen "$W/mallory" > /dev/null
mkdir -p keys; cp "$W/ci.pub" keys/ci.pub; git add -f keys/ci.pub
"$PY" - <<'X'
s = open("pyproject.toml").read()
s = s.replace("[tool.pyramid.deploy]\n", '[tool.pyramid.deploy]\ntrusted_keys = ["keys/ci.pub"]\nrequire_signature = true\n')
open("pyproject.toml", "w").write(s)
X
commit "trust CI's key"; verdict_of_head > /dev/null
"$PYR" attest pyramid-verdict.json --key "$W/ci.key" > /dev/null
"$PYR" deploy > "$W/d1.out" 2>&1; echo "  v1 deploy exit=$? served: $(get 18379)"
IDX="$HOME/.config/pyramid/targets.jsonl"; echo "  index: $(wc -l < "$IDX" 2>/dev/null || echo none) line(s)"
cp "$W/mallory.pub" keys/m.pub; git add -f keys/m.pub
sed -i 's|^trusted_keys = .*|trusted_keys = ["keys/m.pub"]|' pyproject.toml
sed -i 's|^\[tool.pyramid.deploy\]$|[tool.pyramid.deploy]\nwork_dir = ".pyramid/live"|' pyproject.toml
echo "EVIL" > VERSION; commit "X"
verdict_of_head > /dev/null; rm -f pyramid-verdict.json.intoto.jsonl
"$PYR" attest pyramid-verdict.json --key "$W/mallory.key" > /dev/null
"$PYR" deploy --dry-run > "$W/a.out" 2>&1; a=$?
echo "  (a) exit=$a $(grep -m1 -i 'trust anchors\|trust on first' "$W/a.out" | head -c 160)"
mv "$IDX" "$W/targets.jsonl.saved"
"$PYR" deploy --dry-run > "$W/b.out" 2>&1; b=$?
echo "  (b) index gone: exit=$b $(grep -m1 -i 'trust anchors\|trust on first' "$W/b.out" | head -c 200)"
echo "      $(grep -m1 -i 'refused\|dry run' "$W/b.out" | head -c 170); the port still serves: $(get 18379)"
"$PYR" stop --work-dir .pyramid/deploy > "$W/stop.out" 2>&1; echo "  the operator stops the old target (moving it to .pyramid/live): exit=$?"
"$PYR" deploy > "$W/c.out" 2>&1; c=$?
echo "  (c) a real deploy of X, index still gone: exit=$c; 127.0.0.1:18379 serves: $(get 18379)"
"$PYR" stop --force > /dev/null 2>&1
cleanup "$W"/proj/.pyramid/live
if [ $a = 0 ]; then echo "RESULT: VACUOUS (the control was not refused)"
elif [ $b = 0 ] || [ $c = 0 ]; then echo "RESULT: BROKEN (rows b/c (b=$b c=$c): with the host's targets index gone, the commit under test moved its target to a fresh folder and its own key signed its verdict: trust on first use of a port this host's router serves)"
else echo "RESULT: HELD"; fi
