#!/usr/bin/env bash
source "$(dirname "$0")/../_preamble.sh"
source "$HERE/../_deploy8b.sh"
source "$HERE/../_deploy11b.sh"
# "Safety never waits on bookkeeping ... a write that fails afterwards (the file locked by another
# process ...) is queued ... kept in `<work_dir>/history.pending.jsonl` ..., and the next `pyramid`
# command writes it"; replays: a verdict is refused when "the commit was rolled back since the
# verdict was made", read from the history.
# v1 serves. v2 answers 500; while its rollout runs, another process holds the history locked
# (a backup tool, `sqlite3 history.sqlite` left open in a transaction): v2's rollback is queued.
# The lock is released. Then v2's same verdict is offered again, without --redeploy:
# (a) `pyramid deploy --dry-run`; (b) `pyramid history --limit 2` and `pyramid stats` first,
# then `pyramid deploy --dry-run` again.
# Expected: (a), (b) refused ("rolled back since this verdict was made"): a rollback queued for
# the history is still a rollback.
dproj 18338 > /dev/null
load_start 18338
"$PYR" deploy > "$W/d1.out" 2>&1; echo "v1 deploy exit=$? $(last_row .pyramid/deploy/history.sqlite)"
echo "bad-2" > VERSION; commit v2; verdict_of_head > /dev/null
"$PYR" deploy --measurements 3 > "$W/d2.out" 2>&1 & DP=$!
for i in $(seq 1 400); do grep -q '^\[start\]' "$W/d2.out" && break; sleep 0.05; done
"$PY" - .pyramid/deploy/history.sqlite "$W/locked" "$W/unlock" > "$W/lock.out" 2>&1 <<'X' &
import os, sqlite3, sys, time
con = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=30)
con.execute("begin exclusive")
open(sys.argv[2], "w").close()
while not os.path.exists(sys.argv[3]): time.sleep(0.05)
con.execute("rollback")
X
LP=$!
wait $DP; echo "  v2 deploy exit=$? $(grep -m1 'rolled_back\|succeeded' "$W/d2.out" | head -c 120)"
echo "  while locked: history.pending.jsonl has $(wc -l < .pyramid/deploy/history.pending.jsonl 2>/dev/null || echo 0) line(s); $(grep -m1 -i 'history' "$W/d2.out" | head -c 120)"
touch "$W/unlock"; wait $LP
load_stop
B=""
"$PYR" deploy --dry-run > "$W/a.out" 2>&1; a=$?
echo "  (a) v2's verdict again: exit=$a $(grep -m1 -i 'rolled back\|refused\|dry run' "$W/a.out" | head -c 170)"
[ $a = 0 ] && B="$B a"
"$PYR" history --limit 2 > "$W/h.out" 2>&1; "$PYR" stats > "$W/s.out" 2>&1
echo "      history: $(tail -2 "$W/h.out" | cut -c1-90 | tr '\n' '/')"
"$PYR" deploy --dry-run > "$W/b.out" 2>&1; b=$?
echo "  (b) after history/stats: exit=$b $(grep -m1 -i 'rolled back\|refused\|dry run' "$W/b.out" | head -c 170)"
[ $b = 0 ] && B="$B b"
cleanup
if [ -n "$B" ]; then echo "RESULT: BROKEN (rows$B: a rollback queued while the history was locked did not stop a replay of the rolled-back verdict)"
else echo "RESULT: HELD"; fi
