#!/usr/bin/env bash
source "$(dirname "$0")/../_preamble.sh"
source "$HERE/../_deploy8b.sh"
source "$HERE/../_deploy11b.sh"
# "The serving release is always watched while the service runs"; the watch "has its own lease
# (`watch.lease`, `watch.lock`)"; "`pyramid status` says what is watched: `watch: pid N judges
# <commit> ...`. Finding no watch where one should run ..., it starts one"; a frozen supervisor
# (SIGSTOP, Ctrl-Z) is "unwatched" once its heartbeat is older than `lease_timeout`.
# watch = "rollback" (tracked). v1, then v2 deployed (succeeded; the supervisor goes on as v2's
# watch). The watch process is frozen (SIGSTOP: a debugger, a cgroup freeze, a stuck NFS read),
# then v2 starts failing every user request (a fault outside the commit), clients keep coming.
# (a) `pyramid status` polled for 8 s; (b) then `pyramid supervise` (the systemd unit) for 12 s.
# (the first polls (about 3 s) may fall within lease_timeout 3s: they do not count)
# Expected: (a) status says the watch does not answer (exit 1), or takes its lease and judges;
# never "watch: pid N judges" with exit 0 while nothing judges; (b) v2 is rolled back to v1.
dproj 18329 > /dev/null
fault_app
sed -i 's/^watch = "off"$/watch = "rollback"/' pyproject.toml
commit "the watch rolls back"; verdict_of_head > /dev/null
load_start 18329
"$PYR" deploy > "$W/d1.out" 2>&1; echo "v1 deploy exit=$? $(last_row .pyramid/deploy/history.sqlite)"
echo "good-2" > VERSION; commit v2; verdict_of_head > /dev/null
"$PYR" deploy > "$W/d2.out" 2>&1; echo "v2 deploy exit=$? $(last_row .pyramid/deploy/history.sqlite)"
sleep 1
WP=$("$PY" -c 'import json,sys;print(json.loads(open(sys.argv[1]).read().strip("\0 \n"))["pid"])' .pyramid/deploy/watch.lease 2>/dev/null)
echo "  watch pid: $WP ($(tr '\0' ' ' < /proc/$WP/cmdline 2>/dev/null | head -c 80))"
kill -STOP "$WP"; touch "$W/fault-good-2"
judges=0; ok=0; last=""
for i in $(seq 1 16); do
  sleep 0.5; "$PYR" status > "$W/a-st.out" 2>&1; e=$?
  grep -q "watch: .*pid [0-9]* judges" "$W/a-st.out" && judges=$((judges+1))
  # (a line naming a watch that took the frozen one's lease is true; only the frozen pid counts)
  grep -q "watch: .*pid $WP judges" "$W/a-st.out" && [ $e = 0 ] && ok=$((ok+1))
  last="exit=$e $(grep -m1 '^watch' "$W/a-st.out" | head -c 150)"
done
echo "  (a) status said 'watch: ... pid N judges' $judges of 16 times ($ok naming the frozen pid $WP with exit 0); last: $last"
n=$(ls .pyramid/deploy/supervisor/*-watch-*.log 2>/dev/null | wc -l); empty=$(find .pyramid/deploy/supervisor -name '*-watch-*.log' -empty | wc -l)
echo "      watches started meanwhile: $n, of which $empty wrote nothing (a new watch cannot take watch.lock from the frozen one)"
echo "      now: $(for i in 1 2 3 4 5 6; do get 18329; done | sort | uniq -c | tr '\n' ' ')"
"$PYR" supervise > "$W/sup.out" 2>&1 & SP=$!
sleep 12; kill "$SP" 2>/dev/null; wait "$SP" 2>/dev/null
served=$(for i in 1 2 3 4 5 6; do get 18329; done | sort | uniq -c | tr '\n' ' ')
echo "  (b) after 12 s of pyramid supervise: $served; $(last_row .pyramid/deploy/history.sqlite)"
kill -CONT "$WP" 2>/dev/null
load_stop; rm -f "$W/fault-good-2"
cleanup
B=""; [ $ok -gt 4 ] && B="$B a"; case "$served" in *"version good-1"*) ;; *) B="$B b";; esac
if [ -n "$B" ]; then echo "RESULT: BROKEN (rows$B: a frozen watch was reported as judging / nothing rolled the failing release back)"
else echo "RESULT: HELD"; fi
