#!/usr/bin/env bash
source "$(dirname "$0")/../_preamble.sh"
source "$HERE/../_deploy8b.sh"
source "$HERE/../_deploy11b.sh"
# "Traffic first, bookkeeping after: all traffic goes back to the stable version in one reload
# ... Then the router drains ... The state and history are written last, best effort";
# "Safety does not depend on bookkeeping or on a process staying alive"; the history records
# "what ended a rollout ... written by the code path that ended it"; replays: "the commit was
# rolled back since the verdict was made (... reverted by `pyramid rollback`)".
# The drain lasts as long as a slow request still in flight (8 s here: a report download).
# The process that rolls back is SIGKILLed (OOM killer, a host reboot of the unit) during it:
# (a) v3 starts answering 500 at its 50% step (slow requests in flight): its supervisor rolls
#     it back; killed once "all traffic on stable"
#     is printed; then `pyramid status` (the next command);
# (b) v2 serves (completed); `pyramid rollback --by ops` returns to v1; the process holding the
#     deploy lock is killed once v1 "serves 100%"; then `pyramid status`; then v2's old verdict
#     is offered again without --redeploy (`--dry-run`).
# Expected: (a) v3's row is a change failure (rolled back, cause change), as without the kill;
# (b) v2 is marked reverted, so its old verdict needs --redeploy.
dproj 18328 > /dev/null
"$PY" - <<'X'
s = open("app.py").read()
s = s.replace("    def do_GET(self):\n", "    def do_GET(self):\n        if self.path == '/slow':\n            import time; time.sleep(8)\n")
open("app.py", "w").write(s)
X
fault_app
commit "a slow report path"; verdict_of_head > /dev/null
slow() {  # slow N: N requests to /slow in flight (each 8 s)
  local i; for i in $(seq 1 "$1"); do "$PY" -c 'import sys,time,urllib.request
t = time.time()
try: r = urllib.request.urlopen("http://127.0.0.1:18328/slow", timeout=30).read().decode().strip()
except Exception as e: r = "ERR %s %s" % (type(e).__name__, getattr(e, "code", ""))
print("%.1fs %s" % (time.time() - t, r))' >> "$W/slow-$2.out" & done
}
lease_pid() { "$PY" -c 'import json,sys;print(json.loads(open(sys.argv[1]).read().strip("\0 \n"))["pid"])' .pyramid/deploy/supervisor.lease 2>/dev/null; }
load_start 18328
"$PYR" deploy > "$W/d1.out" 2>&1; echo "v1 deploy exit=$? $(last_row .pyramid/deploy/history.sqlite)"
echo "good-2" > VERSION; commit v2; verdict_of_head > /dev/null; cp pyramid-verdict.json "$W/v2-verdict.json"; V2=$(git rev-parse HEAD)
"$PYR" deploy > "$W/d2.out" 2>&1; echo "v2 deploy exit=$? $(last_row .pyramid/deploy/history.sqlite)"
# (a)
echo "good-3" > VERSION; commit v3; verdict_of_head > /dev/null
"$PYR" deploy --measurements 40 > "$W/d3.out" 2>&1 & DP=$!
for i in $(seq 1 400); do grep -q '^\[step 1/2\]' "$W/d3.out" && break; sleep 0.05; done
slow 4 a; sleep 2; touch "$W/fault-good-3"
for i in $(seq 1 300); do grep -q 'all traffic on stable' "$W/d3.out" && break; sleep 0.05; done
P=$(lease_pid); kill -9 "$P" 2>/dev/null; echo "  (a) supervisor $P killed after: $(grep -m1 'all traffic on stable' "$W/d3.out" | head -c 110)"
grep -q 'stopped after the router drained' "$W/d3.out" && echo "      (too late: the drain had ended)"
wait $DP; echo "      the deploy command exited $?"
sleep 9
echo "      the slow requests: $(sort "$W/slow-a.out" | uniq -c | tr '\n' ' ')"
"$PYR" status > "$W/a-st.out" 2>&1; echo "      status exit=$? $(grep -m1 -i 'rollout\|settled\|rebuilt' "$W/a-st.out" | head -c 140)"
sleep 2
ra=$(last_row .pyramid/deploy/history.sqlite); echo "      v3's row: $ra"
"$PY" - .pyramid/deploy/history.sqlite > "$W/a-cause.out" <<'X'
import sqlite3, sys
con = sqlite3.connect(sys.argv[1])
print(con.execute("select outcome, cause from deployments order by id desc limit 1").fetchone())
X
echo "      outcome, cause: $(cat "$W/a-cause.out")"
"$PYR" stats > "$W/a-stats.out" 2>&1; echo "      stats: $(grep -m1 'change failure rate' "$W/a-stats.out")"
# (b)
echo "  (b) serving now: $(get 18328)"
slow 4 b; sleep 1
"$PYR" rollback --by ops > "$W/rb.out" 2>&1 & RP=$!
for i in $(seq 1 400); do grep -q 'serves 100%' "$W/rb.out" && break; sleep 0.05; done
P=$(lease_pid); kill -9 "$P" 2>/dev/null; echo "      lock holder $P (the rollback command is $RP) killed after: $(grep -m1 'serves 100%' "$W/rb.out" | head -c 110)"
grep -q 'succeeded' "$W/rb.out" && echo "      (too late: the rollback had finished)"
wait $RP; echo "      pyramid rollback exited $?"
sleep 9
echo "      the slow requests: $(sort "$W/slow-b.out" | uniq -c | tr '\n' ' ')"
"$PYR" status > "$W/b-st.out" 2>&1; echo "      status exit=$? $(grep -m1 -i 'stable\|rebuilt' "$W/b-st.out" | head -c 140); serving: $(get 18328)"
"$PY" - .pyramid/deploy/history.sqlite "$V2" > "$W/b-rows.out" <<'X'
import sqlite3, sys
con = sqlite3.connect(sys.argv[1]); con.row_factory = sqlite3.Row
for r in con.execute("select * from deployments where commit_sha = ? or kind = 'rollback' order by id", (sys.argv[2],)):
    d = dict(r); print({k: d[k] for k in d if k in ("id", "kind", "outcome", "cause", "reverted_by", "reverted_at", "reason")})
X
sed 's/^/      /' "$W/b-rows.out" | cut -c1-220
git checkout -q "$V2" 2>/dev/null; cp "$W/v2-verdict.json" pyramid-verdict.json
"$PYR" deploy --dry-run > "$W/b-dry.out" 2>&1; bd=$?
echo "      v2's old verdict again, no --redeploy: exit=$bd $(grep -m1 -i 'rolled back\|refused\|dry run' "$W/b-dry.out" | head -c 160)"
load_stop
cleanup
B=""
case "$(cat "$W/a-cause.out")" in *"'rolled_back', 'change'"*) ;; *) B="$B a";; esac
[ $bd = 0 ] && B="$B b"
if [ -n "$B" ]; then echo "RESULT: BROKEN (rows$B: a rollback killed after traffic moved left a wrong record: its breach or its revert is lost)"
else echo "RESULT: HELD"; fi
