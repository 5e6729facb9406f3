#!/usr/bin/env bash
source "$(dirname "$0")/../_preamble.sh"
source "$HERE/../_deploy8b.sh"
# "Trust anchors come from outside the release being judged, and lost state never lowers them";
# "keys pinned on the host make a signature required"; "PYRAMID_TRUSTED_KEYS may only narrow
# the host's keys ... With no key pinned in any host file, the variable pins the keys itself".
# The host pins CI's key. Then an accident on the host (the operator moved the key file, a typo,
# a half-written file): the pin is still there, but says nothing usable. The attacker holds the
# deploy's environment (a CI variable) and mallory's key. Each row, two dry runs of HEAD:
#   u: the `ready` verdict unsigned, no variable;  m: signed by mallory, PYRAMID_TRUSTED_KEYS=mallory.pub
# (a) [control] host trusted_keys = a line naming the real ci.pub;
# (b) host trusted_keys names a PEM file that is gone (/etc/pyramid/keys moved);
# (c) host trusted_keys holds a line that is no key ("ci-2026.pub" without its folder: relative to the host folder, missing);
# (d) host deploy.toml trusted_keys = ["<missing>.pub"];
# (e) host deploy.toml with a misspelt key `require_signatures = true` (no key file);
# (f) host trusted_keys is 40 hex digits (a truncated key);
# (g) host deploy.toml cut in half by a full disk (not TOML).
# Expected: every row refused (or exit 3 naming the host file): a pin that cannot be read is
# never "no pin", so neither the unsigned verdict nor mallory's key passes.
dproj 18320 > /dev/null
"$PYR" keygen "$W/ci" > /dev/null; "$PYR" keygen "$W/mallory" > /dev/null
cp pyramid-verdict.json "$W/unsigned.json"
"$PYR" attest pyramid-verdict.json --key "$W/mallory.key" > /dev/null
mv pyramid-verdict.json.intoto.jsonl "$W/mallory.intoto.jsonl"
H="$HOME/.config/pyramid"
HEX=$(head -c 20 /dev/urandom | od -An -tx1 | tr -d " \n")
B=""; A=""
for r in a b c d e f g; do
  rm -f "$H/trusted_keys" "$H/deploy.toml"
  case $r in
    a) echo "$W/ci.pub" > "$H/trusted_keys";;
    b) echo "$W/moved-away/ci-2026.pub" > "$H/trusted_keys";;
    c) echo "ci-2026.pub" > "$H/trusted_keys";;
    d) printf 'trusted_keys = ["%s"]\nrequire_signature = true\n' "$W/moved-away/ci.pub" > "$H/deploy.toml";;
    e) printf 'require_signatures = true\n' > "$H/deploy.toml";;
    f) echo "$HEX" > "$H/trusted_keys";;
    g) printf 'trusted_keys = ["%s"]\nrequire_signature = tr' "$W/ci.pub" > "$H/deploy.toml";;
  esac
  cp "$W/unsigned.json" pyramid-verdict.json; rm -f pyramid-verdict.json.intoto.jsonl
  "$PYR" deploy --dry-run > "$W/$r-u.out" 2>&1; u=$?
  cp "$W/mallory.intoto.jsonl" pyramid-verdict.json.intoto.jsonl
  PYRAMID_TRUSTED_KEYS="$W/mallory.pub" "$PYR" deploy --dry-run > "$W/$r-m.out" 2>&1; m=$?
  echo "  ($r) unsigned: exit=$u $(grep -m1 -i 'refused\|error\|dry run\|trusted\|deploy:' "$W/$r-u.out" | head -c 150)"
  echo "      mallory:  exit=$m $(grep -m1 -i 'refused\|error\|dry run\|trusted\|deploy:' "$W/$r-m.out" | head -c 150)"
  if [ $r = a ]; then { [ $u = 0 ] || [ $m = 0 ]; } && A=1
  else { [ $u = 0 ] && B="$B $r(unsigned)"; [ $m = 0 ] && B="$B $r(mallory)"; }; fi
done
cleanup
if [ -n "$A" ]; then echo "RESULT: VACUOUS (the control was not refused)"
elif [ -n "$B" ]; then echo "RESULT: BROKEN (rows$B: a host key pin that cannot be read counted as no pin)"
else echo "RESULT: HELD"; fi
