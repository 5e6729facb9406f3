#!/usr/bin/env bash
source "$(dirname "$0")/../_preamble.sh"
source "$HERE/../_deploy8b.sh"
# "A dead supervisor: the next command resumes the rollout at once. `status` starts a new
# supervisor that watches it again from where the durable record says"; "a resumed phase
# continues, it does not start over", and "the traffic of the stretch nobody watched is judged".
# Clients keep coming. v2 (`--measurements 15`: stricter) is at step 1 (50%); then BOTH the
# deploy command and its supervisor are SIGKILLed, and v2 starts failing every user request
# (its code reads a flag file; v1 does not) while nobody watches, for 3 s; then it heals; then `pyramid status`.
# Expected: status says unwatched, then a resumed supervisor judges the unwatched stretch's
# errors and rolls v2 back; the history says rolled back (not succeeded).
dproj 18229
"$PY" - <<'X'
s = open("app.py").read()
s = s.replace('code = 500 if BODY.startswith("bad") and self.path != "/healthz" else 200',
              'code = 500 if (BODY.startswith("bad") or (BODY.endswith("-2") and os.path.exists(os.environ.get("FAIL_FLAG", "/nonexistent")))) and self.path != "/healthz" else 200')
open("app.py", "w").write(s)
X
# a version gets only what its tracked table passes of the deploy's environment (case 221)
echo 'pass_env = ["FAIL_FLAG"]' >> pyproject.toml
commit "app: fails while a flag file exists"; verdict_of_head > /dev/null
export FAIL_FLAG="$W/fail.flag"
"$PYR" deploy > "$W/d1.out" 2>&1; echo "v1 deploy exit=$? served: $(get 18229)"
load_start 18229
echo "good-2" > VERSION; commit v2; verdict_of_head > /dev/null
"$PYR" deploy --measurements 15 > "$W/d2.out" 2>&1 & DEP=$!
for i in $(seq 1 100); do grep -q 'measurement 3' .pyramid/deploy/supervisor/*.log 2>/dev/null && break; sleep 0.1; done
SUPPID=$("$PY" -c 'import json,sys;print(json.loads(open(sys.argv[1]).read().strip("\0 \n"))["pid"])' .pyramid/deploy/supervisor.lease)
kill -9 "$DEP" "$SUPPID"; wait "$DEP" 2>/dev/null
echo "killed the deploy command $DEP and the supervisor $SUPPID at: $(grep 'measurement' .pyramid/deploy/supervisor/*.log | tail -1 | cut -c1-90)"
touch "$W/fail.flag"; sleep 3; rm -f "$W/fail.flag"
"$PYR" status > "$W/st1.out" 2>&1; echo "status exit=$? $(grep -m1 -io 'unwatched[^;]*\|watched by[^;]*\|resum[^;]*' "$W/st1.out" | head -c 150)"
for i in $(seq 1 150); do "$PYR" status > "$W/st2.out" 2>&1; s=$?; [ $s = 0 ] || [ $s = 1 ] && ! grep -q 'rollout #' "$W/st2.out" && break; sleep 0.3; done
"$PYR" history --limit 3 > "$W/hist.out" 2>&1
echo "history:"; sed 's/^/    /' "$W/hist.out" | head -6
echo "resumed supervisor's log: $(grep -h -i 'resum\|rolled\|rollback\|error rate' .pyramid/deploy/supervisor/*.log | tail -3 | tr '\n' ' ' | head -c 400)"
load_stop; cleanup
if grep -q 'rolled_back\|rolled back' "$W/hist.out"; then echo "RESULT: HELD"
else echo "RESULT: BROKEN (the errors served while nobody watched were not judged: v2 was not rolled back)"; fi
