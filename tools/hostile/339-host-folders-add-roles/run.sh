#!/usr/bin/env bash
source "$(dirname "$0")/../_preamble.sh"
source "$HERE/../_deploy8b.sh"
source "$HERE/../_deploy11b.sh"
# "The folders together pin what the strictest of them pins; none lowers another: ... a person
# when every folder naming people names them (with the keys and roles all of them give)";
# `/etc/pyramid/` (root's) and the deploy account's own `~/.config/pyramid/` (the deploy
# account's, and its versions' without run_as) are both read. The tracked table asks every
# deploy for `required_approvals = 1` from `approver_roles = ["release_manager"]`.
# /etc/pyramid names alice as `sre` only (and bot as deployer). The deploy account's
# ~/.config/pyramid names alice with role `release_manager` (bot as deployer).
# (a) [control] /etc alone: `pyramid approve --key alice.key --role release_manager`, then
#     `pyramid deploy --dry-run --deployer-key bot.key`;
# (b) both folders: the same.
# Expected (b): refused like (a): the account's folder may narrow /etc's roles, never add one.
dproj 18346 > /dev/null
"$PY" - <<'X'
s = open("pyproject.toml").read()
s = s.replace("[tool.pyramid.deploy]\n", '[tool.pyramid.deploy]\nrequired_approvals = 1\napprover_roles = ["release_manager"]\n')
open("pyproject.toml", "w").write(s)
X
commit "one release manager approves every deploy"; verdict_of_head > /dev/null
for k in alice bot; do "$PYR" keygen "$W/$k" > /dev/null; done
ETC="$W/etc-pyramid"; mkdir -p "$ETC"
printf '[approvers]\nalice = { key = "%s", roles = ["sre"] }\n\n[deployers]\nbot = { key = "%s" }\n' "$W/alice.pub" "$W/bot.pub" > "$ETC/deploy.toml"
two_roots() {  # the launcher reads /etc (played by $ETC) and, with "both", the account's folder
  cat > "$W/bin/pyramid" <<L
#!/bin/sh
exec "$PY" -c 'import sys; from pathlib import Path; from pytest_pyramid.deploy import host_pins; host_pins.HOST_ROOTS = tuple(Path(p) for p in sys.argv[1].split(":")); from pytest_pyramid.cli import main; sys.exit(main(sys.argv[2:]))' "$1" "\$@"
L
}
B=""; A=""
for r in a b; do
  rm -rf .pyramid
  if [ $r = a ]; then two_roots "$ETC"; rm -f "$HOME/.config/pyramid/deploy.toml"
  else
    printf '[approvers]\nalice = { key = "%s", roles = ["release_manager"] }\n\n[deployers]\nbot = { key = "%s" }\n' "$W/alice.pub" "$W/bot.pub" > "$HOME/.config/pyramid/deploy.toml"
    two_roots "$ETC:$HOME/.config/pyramid"
  fi
  "$PYR" approve --key "$W/alice.key" --role release_manager > "$W/$r-ap.out" 2>&1; ap=$?
  echo "  ($r) approve exit=$ap $(grep -m1 -i 'signed\|role\|refused\|approve:' "$W/$r-ap.out" | head -c 160)"
  "$PYR" deploy --dry-run --deployer-key "$W/bot.key" > "$W/$r.out" 2>&1; e=$?
  echo "      deploy --dry-run exit=$e $(grep -m1 -i 'approv' "$W/$r.out" | head -c 170)"
  if [ $r = a ]; then [ $e = 0 ] && A=1; else [ $e = 0 ] && B="$B b"; fi
done
if [ -n "$A" ]; then echo "RESULT: VACUOUS (the control was not refused)"
elif [ -n "$B" ]; then echo "RESULT: BROKEN (row b: the deploy account's own host folder added a role /etc/pyramid did not give)"
else echo "RESULT: HELD"; fi
