#!/usr/bin/env bash
source "$(dirname "$0")/../_preamble.sh"
source "$HERE/../_deploy8b.sh"
# "Trust comes from the host": the host pins production (`[environments.production] requires =
# "staging"`, `required_approvals = 1`). The deploy's arguments are the attacker's, and
# `--work-dir` / `--port` are "free: where this host keeps and serves things". Rows:
# (a) control `pyramid deploy --env production` (no approval): refused;
# (c) the same with `--work-dir` only, the folder spelled another way.
# (b) `pyramid deploy --env staging --port <production's port> --work-dir <production's folder>`
#     (a real deploy: staging needs nothing).
# Expected (b): refused; an environment's requirements hold for the port and the work folder it
# serves, whatever its name on the command line. Also: `pyramid status --env production`.
dproj 18270
cat >> pyproject.toml <<'X'

[tool.pyramid.deploy.environments.staging]
port = 18271
work_dir = ".pyramid/staging"

[tool.pyramid.deploy.environments.production]
port = 18270
work_dir = ".pyramid/production"
X
commit envs; verdict_of_head
printf '[environments.production]\nrequires = "staging"\nrequired_approvals = 1\n' > "$HOME/.config/pyramid/deploy.toml"
"$PYR" deploy --env production > "$W/a.out" 2>&1; a=$?
echo "  (a) --env production: exit=$a $(grep -m1 -i 'requires\|approv' "$W/a.out" | head -c 160)"
"$PYR" deploy --env staging --port 18270 --work-dir .pyramid/production > "$W/b.out" 2>&1; b=$?
echo "  (b) --env staging --port 18270 --work-dir .pyramid/production: exit=$b $(tail -1 "$W/b.out" | head -c 160)"
"$PYR" deploy --env staging --work-dir "$W/proj/.pyramid/./production" > "$W/c.out" 2>&1; c=$?
echo "  (c) --env staging --work-dir <production's folder, spelled another way>: exit=$c $(tail -1 "$W/c.out" | head -c 160)"
echo "      production's port 18270 serves: $(get 18270)"
"$PYR" status --env production > "$W/st.out" 2>&1; echo "      status --env production exit=$?: $(grep -m3 -i 'stable\|serv\|environment' "$W/st.out" | tr '\n' ' ' | head -c 260)"
cleanup "$W/proj/.pyramid/production" "$W/proj/.pyramid/staging"
if [ $a = 0 ]; then echo "RESULT: VACUOUS (the control was not refused)"
elif [ $b = 0 ] || [ $c = 0 ]; then echo "RESULT: BROKEN (row b: a staging deploy served production's port from production's work folder without production's host-pinned staging-first and approval)"
else echo "RESULT: HELD"; fi
