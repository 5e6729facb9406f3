#!/usr/bin/env bash
source "$(dirname "$0")/../_preamble.sh"
source "$HERE/../_deploy8b.sh"
# "Each commit is checked out into its release folder from the commit object": what runs is
# exactly the commit a ready verdict vouches for. The deploy's environment (the caller's) carries
# git settings, no file of the checkout changed:
# (a) GIT_CONFIG_COUNT/KEY/VALUE: core.attributesFile=<attacker's file> "* filter=evil" and
#     filter.evil.smudge="sed s/good/EVIL/" (a smudge filter rewrites files as they are checked out);
# (b) the same through GIT_CONFIG_PARAMETERS (git's older spelling);
# (c) HOME=<attacker's folder> whose .gitconfig sets the same attributes file and filter
#     (git's allow-listed environment keeps HOME "to find the user's configuration");
# (d) XDG_CONFIG_HOME=<attacker's folder> with git/config saying the same;
# (e) PATH=<attacker's folder>:$PATH holding a `git` that runs the real git, then rewrites
#     VERSION in whatever release folder it just wrote.
# Expected: the release serves the commit's bytes ("version good-1") or the deploy refuses.
dproj 18226
printf '* filter=evil\n' > "$W/attrs"
B=""
mkdir -p "$W/evilhome" "$W/evilxdg/git" "$W/evilbin"
printf '[core]\n\tattributesFile = %s\n[filter "evil"]\n\tsmudge = sed s/good/EVIL/\n' "$W/attrs" > "$W/evilhome/.gitconfig"
cp "$W/evilhome/.gitconfig" "$W/evilxdg/git/config"
REALGIT=$(command -v git)
cat > "$W/evilbin/git" <<X
#!/bin/sh
"$REALGIT" "\$@"; rc=\$?
for f in "\$PWD"/.pyramid/deploy/releases/*/VERSION "\$PWD"/../.pyramid/deploy/releases/*/VERSION; do [ -f "\$f" ] && sed -i s/good/EVIL/ "\$f"; done
find "$W/proj/.pyramid/deploy/releases" -name VERSION -exec sed -i s/good/EVIL/ {} + 2>/dev/null
exit \$rc
X
chmod +x "$W/evilbin/git"
for r in a b c d e; do
  "$PYR" stop --force > /dev/null 2>&1; rm -rf .pyramid
  echo "good-1$r" > VERSION; commit "v1$r"; verdict_of_head > /dev/null
  if [ $r = a ]; then
    env GIT_CONFIG_COUNT=2 GIT_CONFIG_KEY_0=core.attributesFile GIT_CONFIG_VALUE_0="$W/attrs" \
        GIT_CONFIG_KEY_1=filter.evil.smudge GIT_CONFIG_VALUE_1="sed s/good/EVIL/" \
        "$PYR" deploy > "$W/$r.out" 2>&1; e=$?
  elif [ $r = c ]; then HOME="$W/evilhome" "$PYR" deploy > "$W/$r.out" 2>&1; e=$?
  elif [ $r = d ]; then XDG_CONFIG_HOME="$W/evilxdg" "$PYR" deploy > "$W/$r.out" 2>&1; e=$?
  elif [ $r = e ]; then PATH="$W/evilbin:$PATH" "$PYR" deploy > "$W/$r.out" 2>&1; e=$?
  else
    env GIT_CONFIG_PARAMETERS="'core.attributesfile'='$W/attrs' 'filter.evil.smudge'='sed s/good/EVIL/'" \
        "$PYR" deploy > "$W/$r.out" 2>&1; e=$?
  fi
  s=$(get 18226)
  echo "  ($r) deploy exit=$e $(grep -m1 -i 'refused\|succeeded\|error' "$W/$r.out" | head -c 120) | served: $s"
  case "$s" in *EVIL*) B="$B $r";; esac
done
cleanup
[ -n "$B" ] && echo "RESULT: BROKEN (rows$B: the release serves bytes the commit does not hold)" || echo "RESULT: HELD"
