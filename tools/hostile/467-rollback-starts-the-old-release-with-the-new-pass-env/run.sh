#!/usr/bin/env bash
source "$(dirname "$0")/../_preamble.sh"
source "$HERE/../_deploy8b.sh"
source "$HERE/../_deploy11b.sh"
# The brief: a rollback that goes to the wrong release. docs/deploy.md, Rollback: "`pyramid
# rollback` ... returns all traffic to the version that completed a deploy before the current
# one: started again from its release folder (with the start template it ran with)". Its
# environment is another matter: `pass_env` is the commit's (`pass_env = [...]`, "the names
# the commit's tracked table passes"), and rollout.py's rollback starts the previous release
# with `pass_env=self.config.pass_env`: the CURRENT table's. A team renames a setting
# (API_BASE -> SHOP_API_BASE: v2 reads the new name and passes only it; the job sets both
# during the migration). Rolling v2 back starts v1 without the variable v1 reads.
# (a) [control] v1 (reads API_BASE, pass_env = ["API_BASE"]) deployed: answers api=<the value>;
# (b) v2 (reads SHOP_API_BASE, pass_env = ["SHOP_API_BASE"]) deployed; then `pyramid rollback`.
# Expected (b): v1 runs again as it ran (its own commit's pass_env): api=<the value>.
dproj 18467 > /dev/null
"$PY" - <<'X'
s = open("app.py").read()
s = s.replace('data = ("version " + BODY + "\\n").encode()',
              'data = ("version " + BODY + " api=" + os.environ.get("SHOP_API_BASE" if BODY.startswith("v2") else "API_BASE", "unset") + "\\n").encode()')
open("app.py", "w").write(s)
X
sed -i 's/^steps = .*/steps = [50, 100]\npass_env = ["API_BASE"]/' pyproject.toml
commit "v1 reads API_BASE"; verdict_of_head > /dev/null
export API_BASE=https://payments.internal SHOP_API_BASE=https://payments.internal
load_start 18467
"$PYR" deploy > "$W/d1.out" 2>&1; a=$?; echo "  (a) v1 deploy exit=$a $(last_row .pyramid/deploy/history.sqlite)"
sleep 0.5; ra=$(get 18467); echo "      the public port answers: $ra"
echo "v2-2" > VERSION; sed -i 's/^pass_env = .*/pass_env = ["SHOP_API_BASE"]/' pyproject.toml
commit "v2: SHOP_API_BASE"; verdict_of_head > /dev/null
"$PYR" deploy > "$W/d2.out" 2>&1; echo "      v2 deploy exit=$? $(last_row .pyramid/deploy/history.sqlite); answers: $(get 18467)"
"$PYR" rollback > "$W/r.out" 2>&1; b=$?; echo "  (b) pyramid rollback exit=$b $(last_row .pyramid/deploy/history.sqlite)"
grep -m2 '\[rollback\]' "$W/r.out" | cut -c1-150 | sed 's/^/      /'
sleep 0.5; rb=$(get 18467); echo "      the public port answers: $rb"
load_stop; cleanup
if [ $a != 0 ] || [ "${ra##*=}" = unset ]; then echo "RESULT: VACUOUS (the control did not serve the variable)"
elif [ $b = 0 ] && [ "${rb##*=}" = unset ] && [ "${rb#version v2}" = "$rb" ]; then echo "RESULT: BROKEN (row b: pyramid rollback started v1 with v2's pass_env: v1 serves without the API_BASE it ran with (api=unset), exit 0)"
else echo "RESULT: HELD"; fi
