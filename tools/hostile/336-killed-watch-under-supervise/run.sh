#!/usr/bin/env bash
source "$(dirname "$0")/../_preamble.sh"
source "$HERE/../_deploy8b.sh"
source "$HERE/../_deploy11b.sh"
# "The serving release is always watched while the service runs"; "Finding no watch where one
# should run (a supervisor killed after its rollout), [status] starts one"; "Under systemd.
# `pyramid supervise` runs a supervisor in the foreground: every lease_timeout / 4 it resumes an
# orphaned rollout of its work folder ... so a rollout never waits for the next command".
# `watch = "rollback"`. v1, then v2 deployed; `pyramid supervise` runs (the systemd unit). The
# watch process is killed (the OOM killer), nobody types a command; v2 then fails every user
# request while clients keep coming. (a) after 15 s of supervise alone: is v2 rolled back?
# Expected: the watch comes back without a human command (v2 rolled back to v1).
dproj 18339 > /dev/null
fault_app
sed -i 's/^watch = "off"$/watch = "rollback"/' pyproject.toml
commit "the watch rolls back"; verdict_of_head > /dev/null
load_start 18339
"$PYR" deploy > "$W/d1.out" 2>&1; echo "v1 deploy exit=$? $(last_row .pyramid/deploy/history.sqlite)"
echo "good-2" > VERSION; commit v2; verdict_of_head > /dev/null
"$PYR" deploy > "$W/d2.out" 2>&1; echo "v2 deploy exit=$? $(last_row .pyramid/deploy/history.sqlite)"
"$PYR" supervise > "$W/sup.out" 2>&1 & SP=$!
sleep 2
WP=$("$PY" -c 'import json,sys;print(json.loads(open(sys.argv[1]).read().strip("\0 \n"))["pid"])' .pyramid/deploy/watch.lease 2>/dev/null)
kill -9 "$WP"; echo "  watch pid $WP killed; supervise pid $SP runs"
touch "$W/fault-good-2"
sleep 15
served=$(for i in 1 2 3 4 5 6; do get 18339; done | sort | uniq -c | tr '\n' ' ')
echo "  (a) after 15 s of supervise alone: $served; $(last_row .pyramid/deploy/history.sqlite)"
echo "      supervise said: $(tail -3 "$W/sup.out" | tr '\n' ' ' | head -c 200)"
kill "$SP" 2>/dev/null; wait "$SP" 2>/dev/null
"$PYR" status > "$W/st.out" 2>&1; echo "  then status exit=$?: $(grep -m1 '^watch' "$W/st.out" | head -c 150)"
load_stop; rm -f "$W/fault-good-2"
cleanup
case "$served" in *"version good-1"*) echo "RESULT: HELD";; *) echo "RESULT: BROKEN (row a: with the watch killed, pyramid supervise left the failing release unwatched until a human typed a command)";; esac
