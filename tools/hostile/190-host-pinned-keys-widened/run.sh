#!/usr/bin/env bash
source "$(dirname "$0")/../_preamble.sh"
# The host pins CI's key (host_launcher: the account's ~/.config/pyramid/trusted_keys); the
# verdict is `ready` but signed by mallory's key. The deploying process's word may only narrow
# the host's keys (deploy/host_pins.py). Rows (dry runs unless said):
# (a) PYRAMID_TRUSTED_KEYS="ci.pub:mallory.pub" (the host's key plus one more);
# (b) `pyramid check --trusted-key mallory.pub`;
# (c) PYRAMID_TRUSTED_KEYS=both.pub, one file holding CI's PEM block then mallory's;
# (d) PYRAMID_TRUSTED_KEYS=<mallory's 64-hex> next to ci.pub with an empty entry ("::");
# (e) the host's trusted_keys names its key by a relative path "ci.pub" (beside it), and the
#     attacker's project folder (the deploy's cwd) holds its own ci.pub = mallory's key.
# Expected: every row refuses mallory's signature.
base_project
host_launcher
printf 'pyramid-verdict*\npyramid-results*\n.pyramid/\n*.pub\n' >> .gitignore
cat >> pyproject.toml <<'X'

[tool.pyramid.deploy]
command = "python3 -m http.server {port}"
port = 18990
X
commit init
mkdir -p "$W/keys"
"$PYR" keygen "$W/keys/ci" >/dev/null; "$PYR" keygen "$W/keys/mallory" >/dev/null
echo "$W/keys/ci.pub" > "$HOME/.config/pyramid/trusted_keys"
"$PY" -m pytest -q -p no:cacheprovider > "$W/pytest.out" 2>&1; echo "pytest exit=$? decision=$(decision)"
"$PYR" attest pyramid-verdict.json --key "$W/keys/mallory.key" > /dev/null 2>&1; echo "signed by mallory: exit=$?"
"$PYR" deploy --dry-run > "$W/host.out" 2>&1; h=$?
echo "  host only: exit=$h $(grep -m1 -i 'signature\|refused\|trust' "$W/host.out" | head -c 170)"
OK=""
rowd() { local label=$1; shift; "$@" > "$W/$label.out" 2>&1; local e=$?
  echo "  ($label) exit=$e $(grep -i 'signature:\|dry run\|does not pin\|check' "$W/$label.out" | grep -v WARNING | head -1 | head -c 200)"
  [ $e = 0 ] && OK="$OK $label"; }
rowd a env PYRAMID_TRUSTED_KEYS="$W/keys/ci.pub:$W/keys/mallory.pub" "$PYR" deploy --dry-run
rowd b "$PYR" check pyramid-verdict.json --trusted-key "$W/keys/mallory.pub"
cat "$W/keys/ci.pub" "$W/keys/mallory.pub" > "$W/keys/both.pub"
rowd c env PYRAMID_TRUSTED_KEYS="$W/keys/both.pub" "$PYR" deploy --dry-run
HEX=$("$PY" -c 'import sys
from cryptography.hazmat.primitives import serialization as s
k = s.load_pem_public_key(open(sys.argv[1], "rb").read())
print(k.public_bytes(s.Encoding.Raw, s.PublicFormat.Raw).hex())' "$W/keys/mallory.pub")
rowd d env PYRAMID_TRUSTED_KEYS="$W/keys/ci.pub::$HEX" "$PYR" deploy --dry-run
cp "$W/keys/ci.pub" "$HOME/.config/pyramid/ci.pub"; echo "ci.pub" > "$HOME/.config/pyramid/trusted_keys"
cp "$W/keys/mallory.pub" ./ci.pub
rowd e "$PYR" deploy --dry-run

if [ $h = 0 ]; then echo "RESULT: VACUOUS (the host row itself deployed: the host's pin was not read)"
elif [ -n "$OK" ]; then echo "RESULT: BROKEN (rows$OK: mallory's signature accepted although the host pins only CI's key)"
else echo "RESULT: HELD"; fi
