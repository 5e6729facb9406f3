#!/usr/bin/env bash
# the shared preamble: a fresh project under this case's work/ (PY, PYR, w, commit, base_project ...)
source "$(dirname "$0")/../_preamble.sh"
# The deploy host pins CI's signing key in the deploy user's ~/.config/pyramid/trusted_keys
# ("keys pinned on the host make a signature required", docs/deploy.md): only a verdict CI signed
# deploys. The attacker made a `ready` verdict outside CI (their own run, on their machine) and
# signs it with their own key; they control the deploy command's environment:
# `PYRAMID_TRUSTED_KEYS=mallory.pub pyramid deploy --dry-run` (row a), or
# `XDG_CONFIG_HOME=elsewhere` with mallory's key in elsewhere/pyramid/trusted_keys (row b).
# Expected: the host's pin holds: a verdict not signed by CI's key is refused whatever the deploying
# process's environment says.
base_project
host_launcher  # the host is $HOME/.config/pyramid, as the account's home
printf 'pyramid-verdict*\npyramid-results*\n.pyramid/\n' >> .gitignore
cat >> pyproject.toml <<'X'

[tool.pyramid.deploy]
command = "python3 -m http.server {port}"
port = 18961
X
commit init
mkdir -p "$W/keys" "$HOME/.config/pyramid" "$W/elsewhere/pyramid"
"$PYR" keygen "$W/keys/ci" >/dev/null; "$PYR" keygen "$W/keys/mallory" >/dev/null
echo "$W/keys/ci.pub" > "$HOME/.config/pyramid/trusted_keys"
echo "$W/keys/mallory.pub" > "$W/elsewhere/pyramid/trusted_keys"
"$PY" -m pytest -q -p no:cacheprovider > "$W/pytest.out" 2>&1; echo "pytest exit=$? decision=$(decision)"
"$PYR" attest pyramid-verdict.json --key "$W/keys/mallory.key" > /dev/null 2>&1; echo "signed by mallory: exit=$?"
"$PYR" deploy --dry-run > "$W/host.out" 2>&1; h=$?
echo "  host's environment: exit=$h $(grep -m1 -i 'signature\|refused' "$W/host.out" | head -c 170)"
PYRAMID_TRUSTED_KEYS="$W/keys/mallory.pub" "$PYR" deploy --dry-run > "$W/a.out" 2>&1; a=$?
echo "  (a) PYRAMID_TRUSTED_KEYS=mallory.pub: exit=$a $(grep -m1 -i 'signature\|dry run\|refused' "$W/a.out" | head -c 170)"
XDG_CONFIG_HOME="$W/elsewhere" "$PYR" deploy --dry-run > "$W/b.out" 2>&1; b=$?
echo "  (b) XDG_CONFIG_HOME=elsewhere: exit=$b $(grep -m1 -i 'signature\|dry run\|refused' "$W/b.out" | head -c 170)"
r=HELD
[ $h != 0 ] && [ $a = 0 ] && r="BROKEN (row a: PYRAMID_TRUSTED_KEYS in the deploy's environment replaces the host's pinned key)"
[ $h != 0 ] && [ $b = 0 ] && r="$r; BROKEN (row b: XDG_CONFIG_HOME moves the host's pinned key file)"
[ "$h" = 0 ] && r="VACUOUS (the host row itself was not refused: the host's pins were not read)"
echo "RESULT: $r"
