#!/usr/bin/env bash
source "$(dirname "$0")/../_preamble.sh"
source "$HERE/../_deploy8b.sh"
source "$HERE/../_deploy11b.sh"
# docs/deploy.md, the gate: a verdict is refused when "a newer verdict for the same commit was
# seen by this work folder's gate since (a later test run, perhaps `blocked`: the older
# verdict is superseded)"; "The verdicts the gate saw are kept in <work_dir>/verdicts.jsonl".
# The promise: "Safety does not depend on bookkeeping"; of the anchors record: "a work folder
# that served before but has no usable record is refused". deploy/replays.py keeps the ledger
# "best effort": a file that is gone reads as "nothing seen", a line that is not JSON is
# skipped, a write that fails is suppressed.
# C's tests pass (V1, ready), then fail (V2, blocked: a fault outside the commit); the gate
# refuses V2 and notes it. Then V1 is offered again (a pipeline re-run of the deploy job).
# (a) [control] V1 after the gate saw V2: refused (superseded);
# (b) the same after the work folder's verdicts.jsonl was cleaned away (a log tidy-up, the work
#     folder restored from last night's backup);
# (c) the same with the ledger's V2 line cut short (a full disk as it was written).
# Expected (b), (c): refused: a folder that served before and cannot say which verdicts it saw
# cannot tell a replay (as a lost anchors record), never "nothing newer".
dproj 18377 > /dev/null
w tests/unit/test_outside.py <<X
import os
def test_outside():
    assert not os.path.exists("$W/fail-now")
X
commit "a test of the outside"; verdict_of_head > /dev/null; cp pyramid-verdict.json "$W/v1.json"
"$PYR" deploy > "$W/d1.out" 2>&1; echo "  deploy V1 exit=$? $(last_row .pyramid/deploy/history.sqlite)"
touch "$W/fail-now"; verdict_of_head > /dev/null; rm -f "$W/fail-now"; echo "  V2: $(decision)"
"$PYR" deploy > "$W/d2.out" 2>&1; echo "  deploy V2 exit=$? $(last_row .pyramid/deploy/history.sqlite)"
L=.pyramid/deploy/verdicts.jsonl; cp "$L" "$W/ledger"
echo "  ledger: $(wc -l < "$L") line(s)"
cp "$W/v1.json" pyramid-verdict.json
"$PYR" deploy --dry-run > "$W/a.out" 2>&1; a=$?
echo "  (a) V1 again: exit=$a $(grep -m1 -io 'superseded[^;]*' "$W/a.out" | head -c 120)"
rm -f "$L"
"$PYR" deploy --dry-run > "$W/b.out" 2>&1; b=$?
echo "  (b) V1 again, ledger gone: exit=$b $(grep -m1 -i 'superseded\|dry run\|refused' "$W/b.out" | head -c 160)"
"$PY" - "$W/ledger" "$L" <<'X'
import sys
lines = open(sys.argv[1]).read().splitlines()
out = [l for l in lines if '"blocked"' not in l] + [l[:-9] for l in lines if '"blocked"' in l]
open(sys.argv[2], "w").write("\n".join(out) + "\n")
X
"$PYR" deploy --dry-run > "$W/c.out" 2>&1; c=$?
echo "  (c) V1 again, V2's line cut short: exit=$c $(grep -m1 -i 'superseded\|dry run\|refused' "$W/c.out" | head -c 160)"
cleanup
B=""; [ $b = 0 ] && B="$B b"; [ $c = 0 ] && B="$B c"
if [ $a = 0 ]; then echo "RESULT: VACUOUS (the control was not refused)"
elif [ -n "$B" ]; then echo "RESULT: BROKEN (rows$B: a superseded verdict passed the gate once the ledger of seen verdicts was lost or damaged)"
else echo "RESULT: HELD"; fi
