#!/usr/bin/env bash
# the shared preamble: a fresh project under this case's work/ (PY, PYR, w, commit, base_project ...)
source "$(dirname "$0")/../_preamble.sh"
# The plugin table lists distributions (pytest-xdist, pytest-timeout ...) as harmless. A CI line loads,
# with -p, a module of such a distribution that is not its plugin entry point, or pytest's own
# pytester module: (a) -p xdist.looponfail, (b) -p pytester, (c) -p pytest_timeout (its entry point
# module named directly).
# Expected: each judged; ready only where the module is what autoloading loads anyway.
# Found: (a) xdist.looponfail is itself a pytest11 entry point of pytest-xdist (ready is right),
# (b) incomplete naming -p pytester, (c) pytest refuses it (exit 3, registered twice).
base_project
printf 'pyramid-verdict*\n' >> .gitignore
commit init
r=HELD
for p in xdist.looponfail pytester pytest_timeout; do
rm -f pyramid-verdict.json
"$PY" -m pytest -q -p no:cacheprovider -p $p > "$W/pytest.out" 2>&1; e=$?
echo "  -p $p: exit=$e decision=$(decision) $(jget pyramid-verdict.json reasons.0 | head -c 200)"
[ $p = pytester ] && [ "$(decision)" = ready ] && r="BROKEN (-p pytester gave ready)"
done
echo "RESULT: $r"
