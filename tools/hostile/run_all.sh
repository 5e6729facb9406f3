#!/usr/bin/env bash
# re-runs every case (attack.sh of round 1, run.sh of round 2); prints "<case> <seconds>s <RESULT line>"
cd "$(dirname "$0")"
for d in [0-9]*/; do
  d=${d%/}; s=$(date +%s)
  script="$d/attack.sh"; [ -f "$d/run.sh" ] && script="$d/run.sh"
  out=$(timeout 180 bash "$script" 2>&1); r=$(printf '%s\n' "$out" | grep '^RESULT:' | tail -1)
  printf '%s\n' "$out" > "$d/last-run.log"
  echo "$d $(( $(date +%s) - s ))s ${r:-RESULT: (none - see $d/last-run.log)}"
done
