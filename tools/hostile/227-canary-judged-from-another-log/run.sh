#!/usr/bin/env bash
source "$(dirname "$0")/../_preamble.sh"
source "$HERE/../_deploy8b.sh"
# "At every step it measures the new version from nginx's access log and rolls back on its own
# when a limit is breached." The tracked router is nginx (the default). v2 answers 500 to every
# user request (tracked code, reviewed, its tests pass: the failure shows only under traffic).
# Clients keep coming on the public port. Rows:
# (a) `pyramid deploy` [control];
# (b) `pyramid deploy --router command --router-command "sh weights.sh {weights}" --access-log
#     <attacker's log>`: `router`, `router_command` and `access_log` are "free" host settings;
#     the attacker's log gets a 200 line for every address the weights name, every 50 ms.
# Expected: v2 is rolled back in both rows (exit 1); never "succeeded".
dproj 18227
"$PYR" deploy > "$W/d1.out" 2>&1; echo "v1 deploy exit=$? served: $(get 18227)"
load_start 18227
cat > "$W/weights.sh" <<X
#!/bin/sh
echo "\$1" > "$W/canary.addr"
X
: > "$W/fake.log"
"$PY" - "$W/canary.addr" "$W/fake.log" "$W/fake.stop" > /dev/null 2>&1 <<'X' &
import os, sys, time
addr_file, log, stop = sys.argv[1:]
while not os.path.exists(stop):
    try: addr = open(addr_file).read().strip()
    except OSError: addr = ""
    for part in addr.split(","):  # {weights}: addr=w,addr=w
        a, _, w = part.partition("=")
        if a and w.strip() not in ("", "0"):
            with open(log, "a") as f: f.write(f"{time.time():.3f}|200|{a}|200|0.002|0.002\n")
    time.sleep(0.05)
X
FAKE=$!
B=""
for r in a b; do
  echo "bad-2$r" > VERSION; commit "v2$r"; verdict_of_head > /dev/null
  if [ $r = a ]; then "$PYR" deploy > "$W/$r.out" 2>&1; e=$?
  else "$PYR" deploy --router command --router-command "sh $W/weights.sh {weights}" --access-log "$W/fake.log" > "$W/$r.out" 2>&1; e=$?; fi
  echo "  ($r) v2 deploy exit=$e $(grep -m1 '^\[deploy\] #' "$W/$r.out" | tail -1 | head -c 170) $(grep '^\[deploy\] #[0-9]* ' "$W/$r.out" | tail -1 | head -c 170)"
  grep -q 'succeeded' "$W/$r.out" && B="$B $r"
done
touch "$W/fake.stop"; wait $FAKE 2>/dev/null
load_stop; cleanup
[ -n "$B" ] && echo "RESULT: BROKEN (rows$B: a version failing every request was judged healthy from a log the deploy's arguments named)" || echo "RESULT: HELD"
