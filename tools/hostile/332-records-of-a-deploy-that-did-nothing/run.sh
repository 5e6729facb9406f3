#!/usr/bin/env bash
source "$(dirname "$0")/../_preamble.sh"
source "$HERE/../_deploy8b.sh"
source "$HERE/../_deploy11b.sh"
# "A deploy is refused, and every reason is printed and recorded in the history, unless all of
# these hold" (the gate); "Deploying the commit that is already the healthy stable version does
# nothing (recorded `unchanged`, not a deployment)"; exit 0 means ok. A CI pipeline runs
# `pyramid deploy` after every test run and reads exit 0 as "the verdict was good and is live".
# v1 serves. Then, for the same commit:
# (a) a verdict of a dirty tree (an untracked file beside the tests) - `pyramid deploy`;
# (b) the ready verdict, judged with `--max-age 1s` two seconds later (too old) - `pyramid deploy`;
# (c) a verdict whose decision is `blocked` (a test failing now: a fault outside the commit).
# Expected: each exit 1 (refused, with its reason in the history), never exit 0 "unchanged".
# (d) lead time: a commit whose committer date is 2 days ahead (a skewed clock on a laptop)
#     deployed; `pyramid stats` lead time for changes. Expected: never negative.
dproj 18335 > /dev/null
w tests/unit/test_outside.py <<X
import os
def test_outside():
    assert not os.path.exists("$W/fail-now")
X
commit "a test of the outside"; verdict_of_head > /dev/null
"$PYR" deploy > "$W/d1.out" 2>&1; echo "v1 deploy exit=$? $(last_row .pyramid/deploy/history.sqlite)"
B=""
echo scratch > scratch.txt; verdict_of_head > /dev/null; rm -f scratch.txt
"$PYR" deploy > "$W/a.out" 2>&1; a=$?; echo "  (a) dirty verdict: exit=$a $(tail -1 "$W/a.out" | head -c 150) | row: $(last_row .pyramid/deploy/history.sqlite)"
[ $a = 0 ] && B="$B a"
verdict_of_head > /dev/null; sleep 2
"$PYR" deploy --max-age 1s > "$W/b.out" 2>&1; b=$?; echo "  (b) too old: exit=$b $(tail -1 "$W/b.out" | head -c 150) | row: $(last_row .pyramid/deploy/history.sqlite)"
[ $b = 0 ] && B="$B b"
touch "$W/fail-now"; verdict_of_head > /dev/null; rm -f "$W/fail-now"
"$PYR" deploy > "$W/c.out" 2>&1; c=$?; echo "  (c) $(decision) verdict: exit=$c $(tail -1 "$W/c.out" | head -c 150) | row: $(last_row .pyramid/deploy/history.sqlite)"
[ $c = 0 ] && B="$B c"
echo "good-2" > VERSION; git add -A; GIT_COMMITTER_DATE="$(date -d '+2 days' -R)" GIT_AUTHOR_DATE="$(date -d '+2 days' -R)" git commit -qm "v2 from a laptop two days ahead"
verdict_of_head > /dev/null
load_start 18335
"$PYR" deploy > "$W/d2.out" 2>&1; echo "  v2 deploy exit=$? $(last_row .pyramid/deploy/history.sqlite)"
load_stop
"$PYR" stats > "$W/stats.out" 2>&1; lt=$(grep -m1 'lead time' "$W/stats.out"); echo "  (d) stats: $lt"
[[ "$lt" == *" -"* ]] && B="$B d"
cleanup
if [ -n "$B" ]; then echo "RESULT: BROKEN (rows$B: a refused verdict reported as ok (unchanged), or a negative lead time)"
else echo "RESULT: HELD"; fi
