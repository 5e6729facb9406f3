#!/usr/bin/env bash
source "$(dirname "$0")/../_preamble.sh"
source "$HERE/../_deploy8b.sh"
# The deploy ships "exactly the commit a ready verdict vouches for" and trust "comes from the host,
# not from the deploying process". The attacker controls only the deploy command's arguments (a CI
# "run pipeline" field). The tracked `command` starts the reviewed app.py; the command line says:
# (a) `--command "<python> -m http.server {port} --directory <attacker's folder>"`: what serves
#     is not the commit at all;
# (b) `--nginx <attacker's script>`: a program of the caller's choosing runs as the deploy account
#     (here it only records that it ran, then execs the real nginx).
# Expected: refused (exit 3 naming the option), as a loosened limit is: a program the deploy runs
# is the commit's tracked one or the host's (its files), never the caller's.
dproj 18220
mkdir -p "$W/evil"; echo "version EVIL (not the commit)" > "$W/evil/index.html"; echo ok > "$W/evil/healthz"
"$PYR" deploy --command "$PY -m http.server {port} --bind 127.0.0.1 --directory $W/evil" > "$W/a.out" 2>&1; a=$?
sa=$(get 18220)
echo "  (a) --command elsewhere: exit=$a $(grep -m1 -i 'refused\|loosen\|succeeded\|error' "$W/a.out" | head -c 160) | served: $sa"
cleanup
cat > "$W/evil/nginx" <<X
#!/bin/sh
echo "ran as \$(id -un) with: \$*" >> "$W/evil/nginx-ran.txt"
exec "$NGINX" "\$@"
X
chmod +x "$W/evil/nginx"
"$PYR" deploy --nginx "$W/evil/nginx" > "$W/b.out" 2>&1; b=$?
ran=$([ -s "$W/evil/nginx-ran.txt" ] && echo "the caller's program ran $(wc -l < "$W/evil/nginx-ran.txt") times" || echo "not run")
echo "  (b) --nginx elsewhere: exit=$b $(grep -m1 -i 'refused\|loosen\|succeeded\|error' "$W/b.out" | head -c 160) | $ran"
cleanup
B=""
case "$sa" in *EVIL*) B="$B a";; esac
[ -s "$W/evil/nginx-ran.txt" ] && B="$B b"
[ -n "$B" ] && echo "RESULT: BROKEN (rows$B: a program named by the deploy's arguments runs as the deploy account and serves)" || echo "RESULT: HELD"
