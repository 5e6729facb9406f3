#!/usr/bin/env bash
source "$(dirname "$0")/../_preamble.sh"
source "$HERE/../_deploy8b.sh"
# "A program the deploy runs as its account is the commit's tracked one or the host's, never the
# caller's" (case 220 b: `--nginx` is tracked-only; case 226: git is found on the host's fixed
# search path, "like every program a deploy starts by name: ... the default nginx"). The tracked
# table leaves `nginx` to its default ("nginx", a name). The deploy's environment is the
# attacker's: `PATH=<attacker's folder>:$PATH`, holding an `nginx` script that records that it
# ran (as which uid) and execs the system's nginx. (a) a real deploy with that PATH.
# Expected: the caller's script never runs (nginx found on the host's search path, or refused).
dproj 18279
sed -i '/^nginx = /d' pyproject.toml; commit "nginx: the default"; verdict_of_head > /dev/null
mkdir -p "$W/evil"
cat > "$W/evil/nginx" <<X
#!/bin/sh
echo "ran as uid \$(id -u): \$*" >> "$W/evil/ran.log"
exec $NGINX "\$@"
X
chmod +x "$W/evil/nginx"
PATH="$W/evil:$PATH" "$PYR" deploy > "$W/d1.out" 2>&1; echo "  (a) deploy with PATH=<attacker's>:\$PATH exit=$? served: $(get 18279)"
n=$(cat "$W/evil/ran.log" 2>/dev/null | wc -l)
echo "      the caller's nginx ran $n time(s): $(head -1 "$W/evil/ran.log" 2>/dev/null | head -c 120)"
cleanup
[ "$n" -gt 0 ] && echo "RESULT: BROKEN (the caller's PATH chose the nginx the deploy runs as its account)" || echo "RESULT: HELD"
