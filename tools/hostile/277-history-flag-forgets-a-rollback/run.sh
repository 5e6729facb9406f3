#!/usr/bin/env bash
source "$(dirname "$0")/../_preamble.sh"
source "$HERE/../_deploy8b.sh"
# The gate: "it is not a replay ... the commit was rolled back since the verdict was made";
# "a fresh --work-dir adds to the record, never resets it (hostile case 166)". `--history` is a
# free flag ("where this host keeps the history"). v2 answers 500 to users; deployed with clients
# on the port, it is rolled back. Then its same verdict again, `--dry-run`:
# (a) plain [control: refused, rolled back since]; (b) `--history <a fresh file>`;
# (c) `--history <a file that is not SQLite>`; (d) `--work-dir <fresh> --port <another>`
#     `--history <fresh>` (a new target: the record of folders, as case 166); (e) `--work-dir
#     <fresh> --port <another>` (its history is then in the fresh folder).
# Expected: (b)-(d) refused like (a): the rollback is a fact of this host, not of the file named.
dproj 18277
"$PYR" deploy > "$W/d1.out" 2>&1; echo "v1 deploy exit=$? served: $(get 18277)"
echo "bad-2" > VERSION; commit v2; verdict_of_head > /dev/null
load_start 18277
"$PYR" deploy > "$W/d2.out" 2>&1; echo "v2 deploy exit=$? $(tail -1 "$W/d2.out" | head -c 120)"
load_stop
echo "not a database" > "$W/junk.sqlite"
B=""; a=""
for r in a b c d e; do
  case $r in
    a) extra=();; b) extra=(--history "$W/fresh-b.sqlite");; c) extra=(--history "$W/junk.sqlite");;
    d) extra=(--work-dir "$W/wd-d" --port 18287 --history "$W/fresh-d.sqlite");;
    e) extra=(--work-dir "$W/wd-e" --port 18288);;
  esac
  "$PYR" deploy --dry-run "${extra[@]}" > "$W/$r.out" 2>&1; e=$?
  echo "  ($r) exit=$e $(grep -m1 -i 'rolled back since\|history\|dry run\|would' "$W/$r.out" | head -c 170)"
  [ $r = a ] && a=$e
  [ $r != a ] && [ $e = 0 ] && B="$B $r"
done
cleanup
if [ "$a" = 0 ]; then echo "RESULT: VACUOUS (the control was not refused)"
elif [ -n "$B" ]; then echo "RESULT: BROKEN (rows$B: a verdict of a commit rolled back since passed the gate without --redeploy)"
else echo "RESULT: HELD"; fi
