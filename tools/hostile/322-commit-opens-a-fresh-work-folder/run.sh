#!/usr/bin/env bash
source "$(dirname "$0")/../_preamble.sh"
source "$HERE/../_deploy8b.sh"
# "A commit cannot vouch for itself: if the keys and approvers were read from the checkout being
# deployed, a commit adding its author's key could sign its own verdict"; the checkout counts
# "only on first use: the work folder never served anything"; a fresh `--work-dir` takes the
# configured work folder's record. No host pins. The tracked table trusts CI's key
# (`require_signature = true`); v1 is deployed and serves 127.0.0.1:18322 (the record holds CI's
# key). The commit under test X (the attacker's) trusts mallory's key instead, and its verdict is
# signed by mallory. Dry runs of X, each X a variant of the same change:
# (a) [control] only the key changed;
# (b) the key changed and `work_dir = ".pyramid/live"` (the same port 18322);
# (c) the key changed and the table gains `[environments.production]` with port 18322
#     (`--env production`: its work folder `.pyramid/deploy/production`);
# (d) the key changed and `history = ".pyramid/h.sqlite"` (the record's folder kept).
# (e) the operator stopped the old target before (c) (moving the service into environments);
#     X(c) is deployed for real.
# Expected: every row refused: the same service (port 18322, served from v1's work folder) is
# not a first use; the commit's own key never counts before it was deployed.
dproj 18322 > /dev/null
"$PYR" keygen "$W/ci" > /dev/null; "$PYR" keygen "$W/mallory" > /dev/null
mkdir -p keys; cp "$W/ci.pub" keys/ci.pub; git add -f keys/ci.pub
"$PY" - <<'X'
s = open("pyproject.toml").read()
s = s.replace("[tool.pyramid.deploy]\n", '[tool.pyramid.deploy]\ntrusted_keys = ["keys/ci.pub"]\nrequire_signature = true\n')
open("pyproject.toml", "w").write(s)
X
commit "trust CI's key"; verdict_of_head > /dev/null
"$PYR" attest pyramid-verdict.json --key "$W/ci.key" > /dev/null
"$PYR" deploy > "$W/d1.out" 2>&1; echo "v1 deploy exit=$? served: $(get 18322)"
V1=$(git rev-parse HEAD); cp pyproject.toml "$W/v1.toml"
cp "$W/mallory.pub" keys/m.pub; git add -f keys/m.pub
B=""; A=""
for r in a b c d; do
  git checkout -q "$V1" -- pyproject.toml 2>/dev/null; cp "$W/v1.toml" pyproject.toml
  [ $r = c ] && { "$PYR" stop > "$W/e-stop.out" 2>&1; echo "  the operator stops the old target before moving it into environments: exit=$?"; }
  sed -i 's|^trusted_keys = .*|trusted_keys = ["keys/m.pub"]|' pyproject.toml
  envflag=()
  case $r in
    b) sed -i 's|^\[tool.pyramid.deploy\]$|[tool.pyramid.deploy]\nwork_dir = ".pyramid/live"|' pyproject.toml;;
    c) sed -i '/^port = 18322$/d' pyproject.toml; printf '\n[tool.pyramid.deploy.environments.production]\nport = 18322\n' >> pyproject.toml; envflag=(--env production);;
    d) sed -i 's|^\[tool.pyramid.deploy\]$|[tool.pyramid.deploy]\nhistory = ".pyramid/h.sqlite"|' pyproject.toml;;
  esac
  echo "EVIL-$r" > VERSION; commit "X$r"
  verdict_of_head > /dev/null; rm -f pyramid-verdict.json.intoto.jsonl
  "$PYR" attest pyramid-verdict.json --key "$W/mallory.key" > /dev/null
  "$PYR" deploy --dry-run "${envflag[@]}" > "$W/$r.out" 2>&1; e=$?
  echo "  ($r) exit=$e $(grep -m1 -i 'trust anchors\|trust on first' "$W/$r.out" | head -c 160)"
  echo "      $(grep -m1 -i 'refused\|signature\|dry run\|deploy:' "$W/$r.out" | head -c 170)"
  if [ $r = a ]; then [ $e = 0 ] && A=1; else [ $e = 0 ] && B="$B $r"; fi
  if [ $r = c ]; then  # (e) the operator moves the service into environments: the old target stopped, then a real deploy
    "$PYR" deploy --env production > "$W/e.out" 2>&1; e=$?
    echo "  (e) after pyramid stop of the old target, a real deploy of X(c): exit=$e; 127.0.0.1:18322 serves: $(get 18322)"
    [ $e = 0 ] && B="$B e"
    "$PYR" stop --force --env production > /dev/null 2>&1
  fi
done
cleanup "$W"/proj/.pyramid/deploy/production "$W"/proj/.pyramid/live
if [ -n "$A" ]; then echo "RESULT: VACUOUS (the control was not refused)"
elif [ -n "$B" ]; then echo "RESULT: BROKEN (rows$B: the commit under test moved its target to a fresh folder and its own key signed its verdict: trust on first use of a service that served)"
else echo "RESULT: HELD"; fi
