#!/usr/bin/env bash
source "$(dirname "$0")/../_preamble.sh"
source "$HERE/../_deploy8b.sh"
source "$HERE/../_deploy11b.sh"
# The brief: a false deploy success; trust from what was tested. docs/deploy.md: a version's
# PATH "is the folder of the deploy's own interpreter", so `python` in `command` is the deploy
# venv's, with the deploy host's installed packages (the demo: "`python` in `command` must be a
# Python with uvicorn and the app's dependencies"). The verdict records the Python version and
# pytest's plugins, not the distributions the tested code imported, and the gate compares
# nothing of the kind. A deploy host whose venv lags the lock file (requirements installed
# once, the lock bumped since) runs the commit on other library code than CI tested.
# `pricing` stands for any such library: CI's venv has pricing 2.0 (RATE = 2), the deploy
# host's venv pricing 1.0 (RATE = 1); the tests assert RATE == 2.
# (a) [control] deployed through CI's venv (the tested environment): the port answers rate=2;
# (b) the same commit and verdict deployed (--redeploy) through the host's venv.
# Expected (b): refused (the release's interpreter lacks the distributions the verdict's run
# imported, at their versions), or at least said; never a silent `succeeded` serving rate=1.
mkvenv() {  # mkvenv DIR VERSION RATE: a venv that sees the tool's environment, plus pricing VERSION
  fake_venv "$1"
  mkdir -p "$SP/pricing" "$SP/pricing-$2.dist-info"
  echo "RATE = $3" > "$SP/pricing/__init__.py"
  printf 'Metadata-Version: 2.1\nName: pricing\nVersion: %s\n' "$2" > "$SP/pricing-$2.dist-info/METADATA"
  echo pricing > "$SP/pricing-$2.dist-info/top_level.txt"; printf "pricing/__init__.py,,\npricing-%s.dist-info/METADATA,,\npricing-%s.dist-info/RECORD,,\n" "$2" "$2" > "$SP/pricing-$2.dist-info/RECORD"
}
mkvenv "$W/ci-venv" 2.0 2; mkvenv "$W/host-venv" 1.0 1
TOOL_PY=$PY; PY=$W/ci-venv/bin/python
dproj 18466 > /dev/null
"$PY" - <<'X'
s = open("app.py").read()
s = s.replace("import http.server, os, sys", "import http.server, os, sys, pricing")
s = s.replace('data = ("version " + BODY + "\\n").encode()', 'data = ("version " + BODY + " rate=" + str(pricing.RATE) + "\\n").encode()')
open("app.py", "w").write(s)
X
sed -i 's|^command = .*|command = "python app.py {port}"|' pyproject.toml
sed -i 's|^\[project\]|&|' pyproject.toml
printf '[project]\nname = "shop"\nversion = "1"\ndependencies = ["pricing==2.0"]\n\n' | cat - pyproject.toml > p.tmp && mv p.tmp pyproject.toml
w tests/unit/test_pricing.py <<'X'
import pricing

def test_rate():
    assert pricing.RATE == 2
X
commit "pricing 2"; echo "  CI (pricing 2.0): $(verdict_of_head) | $(grep -m1 -E 'passed|failed' "$W/pytest.out")"
show | grep -m3 -i 'problem\|reason' | cut -c1-160
load_start 18466
"$PYR" deploy > "$W/d1.out" 2>&1; a=$?; echo "  (a) deploy through CI's venv exit=$a $(last_row .pyramid/deploy/history.sqlite)"
sleep 0.5; ra=$(get 18466); echo "      the public port answers: $ra"
"$PYR" stop > /dev/null 2>&1
PY=$W/host-venv/bin/python; host_launcher
"$PYR" deploy --redeploy > "$W/d2.out" 2>&1; b=$?; echo "  (b) deploy --redeploy through the host's venv (pricing 1.0) exit=$b $(last_row .pyramid/deploy/history.sqlite)"
sleep 0.5; rb=$(get 18466); echo "      the public port answers: $rb"
grep -i -m2 'pricing\|distribution' "$W/d2.out" | cut -c1-160 | sed 's/^/      /'
load_stop; cleanup
if [ $a != 0 ] || [ "${ra##*=}" != 2 ]; then echo "RESULT: VACUOUS (the control did not serve rate=2)"
elif [ $b = 0 ] && [ "${rb##*=}" = 1 ]; then echo "RESULT: BROKEN (row b: the verdict tested pricing 2.0; the release runs on the deploy venv's pricing 1.0, succeeded, users get rate=1: nothing binds the release's libraries to the tested ones)"
else echo "RESULT: HELD"; fi
