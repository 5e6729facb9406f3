#!/usr/bin/env bash
source "$(dirname "$0")/../_preamble.sh"
source "$HERE/../_deploy8b.sh"
# "A rollout stays watched when its command dies", judged by "the table the commit of the rollout
# in progress ships" (`_built`, `started_table`). The commit also tracks another, reviewed
# project folder `examples/loose/` (an example for newcomers: `error_rate_limit = "100%"`).
# v2 answers 500 to every user request; its rollout reaches 50% (no traffic yet: inconclusive),
# then its supervisor is SIGKILLed and clients come (an unwatched stretch). Then, to resume it:
# (a) `pyramid status` [control]; (b) `pyramid status --config examples/loose/pyproject.toml
# --work-dir .pyramid/deploy --port 18271` (`--config`, `--work-dir`, `--port`: where to look).
# Expected: both resumed rollouts judged by the rollout's own table: v2 rolled back (or (b)
# refused, exit 3, and a plain `status` then resumes it under its own table).
dproj 18271
w examples/loose/pyproject.toml <<X
[tool.pyramid]
source = ["loose"]

[tool.pyramid.deploy]
command = "$PY app.py {port}"
port = 18279
nginx = "$NGINX"
error_rate_limit = "100%"
interval = "0.3s"
measurements = 1
min_requests = 1
inconclusive_limit = 40
steps = [50, 100]
bake = "0s"
watch = "off"
X
commit loose-example; verdict_of_head > /dev/null
"$PYR" deploy > "$W/d1.out" 2>&1; echo "v1 deploy exit=$? served: $(get 18271)"
B=""
for r in a b; do
  echo "bad-2$r" > VERSION; commit "v2$r"; verdict_of_head > /dev/null
  "$PYR" deploy --detach > "$W/$r.out" 2>&1; echo "  ($r) v2 deploy --detach exit=$?"
  for i in $(seq 1 60); do "$PYR" status > "$W/$r-st0.out" 2>&1; grep -q '50%' "$W/$r-st0.out" && break; sleep 0.3; done
  P=$("$PY" -c 'import json,sys;print(json.loads(open(sys.argv[1]).read().strip("\0 \n"))["pid"])' .pyramid/deploy/supervisor.lease)
  kill -9 "$P"; echo "      at 50%: supervisor $P killed"
  load_start 18271; sleep 3
  if [ $r = a ]; then "$PYR" status > "$W/$r-st.out" 2>&1; e=$?
  else "$PYR" status --config examples/loose/pyproject.toml --work-dir .pyramid/deploy --port 18271 > "$W/$r-st.out" 2>&1; e=$?; fi
  echo "      resume: status exit=$e $(grep -m1 -io 'rollout #.*' "$W/$r-st.out" | head -c 160)"
  if [ $r = b ] && [ $e = 3 ]; then  # refused: then the plain command resumes it
    "$PYR" status > "$W/$r-st2.out" 2>&1; echo "      then plain status exit=$?"
  fi
  out=""
  for i in $(seq 1 60); do
    out=$("$PYR" history --limit 1 2>&1 | tail -1 | grep -oE '(rolled_back|succeeded|aborted|paused).*'); [ -n "$out" ] && break; sleep 0.5
  done
  load_stop
  echo "      the resumed supervisor: $(head -c 170 <<<"$out")"
  echo "      port now serves: $(get 18271)"
  case "$out" in rolled_back*) ;; *) B="$B $r";; esac
  "$PYR" abort --wait 30s > /dev/null 2>&1
  [ $r = b ] || { "$PYR" rollback > /dev/null 2>&1; true; }
done
cleanup
if [[ "$B" == *a* ]]; then echo "RESULT: VACUOUS (the control was not rolled back)"
elif [ -n "$B" ]; then echo "RESULT: BROKEN (row b: the resumed rollout was judged by another tracked table the caller named)"
else echo "RESULT: HELD"; fi
