#!/usr/bin/env bash
source "$(dirname "$0")/../_preamble.sh"
source "$HERE/../_deploy8b.sh"
source "$HERE/../_deploy11b.sh"
# The brief: trust taken from the code being deployed. `history` is a "host" key ("where this
# host keeps the history; a judging command reads the target's own"), settable in the commit's
# table; the target's own history is then the one the commit names. limits_commit (the anchor
# of "a commit may only tighten the limits it is judged by") and the way back read
# config.history_path. A team moving its deploy history to a shared volume
# (`history = "/var/lib/shop/deploys.sqlite"`) in the same commit as a looser limit:
# (a) [control] v2 fails users and sets error_rate_limit = "100%": kept at 0.5%, rolled back;
# (b) v3: the same, and the commit sets history = "<elsewhere>/deploys.sqlite" (a fresh file).
# Expected (b): kept at v1's 0.5% (the anchors record still says v1 served), rolled back;
# then `pyramid rollback` would have v1 to go back to.
dproj 18468 > /dev/null
load_start 18468
"$PYR" deploy > "$W/d1.out" 2>&1; echo "  v1 deploy exit=$? $(last_row .pyramid/deploy/history.sqlite)"
echo "bad-2" > VERSION; sed -i 's/^steps = .*/steps = [50, 100]\nerror_rate_limit = "100%"/' pyproject.toml
commit "v2: a looser limit"; verdict_of_head > /dev/null
"$PYR" deploy > "$W/d2.out" 2>&1; a=$?; echo "  (a) v2 deploy exit=$a $(last_row .pyramid/deploy/history.sqlite)"
mkdir -p "$W/shared"
echo "bad-3" > VERSION; sed -i "s|^steps = .*|&\nhistory = \"$W/shared/deploys.sqlite\"|" pyproject.toml
commit "v3: history on the shared volume"; verdict_of_head > /dev/null
"$PYR" deploy > "$W/d3.out" 2>&1; b=$?; echo "  (b) v3 deploy exit=$b $(last_row "$W/shared/deploys.sqlite")"
grep -m2 '\[limits\]\|refused' "$W/d3.out" | cut -c1-170 | sed 's/^/      /'
sleep 0.5; echo "      the public port answers: $(get 18468)"
"$PYR" rollback > "$W/r.out" 2>&1; echo "      pyramid rollback exit=$?: $(grep -m1 '\[rollback\]' "$W/r.out" | cut -c1-140)"
sleep 0.5; echo "      the public port then answers: $(get 18468)"
load_stop; cleanup
if [ $a = 0 ]; then echo "RESULT: VACUOUS (the control was promoted)"
elif [ $b = 0 ]; then echo "RESULT: BROKEN (row b: a commit naming a fresh history file was judged by its own error_rate_limit = 100% and promoted while failing every request)"
else echo "RESULT: HELD"; fi
