#!/usr/bin/env bash
source "$(dirname "$0")/../_preamble.sh"
source "$HERE/../_deploy8b.sh"
# "A version never runs from your working tree. Each commit is checked out into its release
# folder from the commit object": "the release holds the commit's bytes". Case 226 moved git's
# configuration to the host's (home from pwd, no XDG_CONFIG_HOME, CS_PATH), and docs say "the
# repository's own .git/config is the checkout's, and still applies". The attacker writes files
# of the deploying checkout that git does not track, in its repository folder (no commit, no
# ref, no tracked file changes; `git status` is clean):
# (a) `.git/info/attributes` `* filter=x` + `.git/config` `[filter "x"] smudge = sed s/good/EVIL/`;
# (b) `refs/replace`: `git replace` of VERSION's blob by one reading "EVIL-replace";
# (c) `.git/config` `core.autocrlf`/`core.eol` with `.git/info/attributes` `* text eol=crlf`
#     (bytes change without a program: app.py's VERSION read gains "\r").
# Each row: a fresh work folder (a real deploy, nginx on 127.0.0.1), then what the port serves.
# Expected: "version good-1" in every row (or refused): the release is the commit's blobs.
dproj 18274
B=""; declare -A PORTS=([a]=18274 [b]=18284 [c]=18294)
for r in a b c; do
  git config --unset-all filter.x.smudge 2>/dev/null; rm -f .git/info/attributes; git replace -l | xargs -r git replace -d >/dev/null
  git config --unset core.autocrlf 2>/dev/null
  case $r in
    a) mkdir -p .git/info; echo '* filter=x' > .git/info/attributes; git config filter.x.smudge 'sed s/good/EVIL/'; git config filter.x.clean cat;;
    b) blob=$(git rev-parse HEAD:VERSION); evil=$(echo "EVIL-replace" | git hash-object -w --stdin); git replace -f "$blob" "$evil";;
    c) mkdir -p .git/info; printf '* text eol=crlf\n' > .git/info/attributes;;
  esac
  echo "  ($r) git status: $(git status --porcelain | wc -l) change(s)"
  "$PYR" deploy --work-dir "$W/wd-$r" --port "${PORTS[$r]}" > "$W/$r.out" 2>&1; e=$?
  port=$(grep -m1 -o 'http://127.0.0.1:[0-9]*' "$W/$r.out" | tail -1 | cut -d: -f3)
  served=$(get "${port:-18274}")
  rel=$(ls -d "$W/wd-$r"/releases/*/ 2>/dev/null | head -1)
  echo "      deploy exit=$e; serves: $served; release VERSION: $(od -c "$rel/VERSION" 2>/dev/null | head -1 | cut -c9-60)"
  case "$served" in *EVIL*) B="$B $r";; esac
  od -c "$rel/VERSION" 2>/dev/null | grep -q '\\r' && B="$B $r"
  "$PYR" stop --work-dir "$W/wd-$r" --force > /dev/null 2>&1
done
cleanup "$W"/wd-*
[ -n "$B" ] && echo "RESULT: BROKEN (rows$B: the release serves bytes the commit does not hold)" || echo "RESULT: HELD"
