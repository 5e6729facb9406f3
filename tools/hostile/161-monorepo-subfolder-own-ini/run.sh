#!/usr/bin/env bash
# the shared preamble: a fresh project under this case's work/ (PY, PYR, w, commit, base_project ...)
source "$(dirname "$0")/../_preamble.sh"
# The repository's top pyproject.toml holds [tool.pyramid] (project "."), with tiers by glob so they
# reach every package: `paths = ["**/tests/unit"]` ... A sub-package `libs/small/` has its own
# `pytest.ini` (its developers run it alone). A CI step runs pytest inside libs/small only: pytest
# takes libs/small/pytest.ini (rootdir libs/small), and the plugin walks up to the top's table.
# Expected: not a `ready` for project "." (only libs/small's tests ran), or a verdict of project
# "libs/small" that the top's check refuses.
base_project
cat >> pyproject.toml <<'X'

[tool.pyramid.tiers.unit]
paths = ["**/tests/unit"]

[tool.pyramid.tiers.integration]
paths = ["**/tests/integration"]
X
printf 'pyramid-verdict*\npyramid-results*\n' >> .gitignore
printf 'def test_top_broken():\n    assert False\n' > tests/unit/test_broken.py
mkdir -p libs/small/tests/unit libs/small/tests/integration
printf '[pytest]\ntestpaths = tests\n' > libs/small/pytest.ini
printf 'def test_s():\n    assert True\n' > libs/small/tests/unit/test_s.py
printf 'def test_si():\n    assert True\n' > libs/small/tests/integration/test_si.py
commit init
(cd libs/small && "$PY" -m pytest -q -p no:cacheprovider > "$W/pytest.out" 2>&1; echo "pytest exit=$? $(tail -1 "$W/pytest.out")")
V=$(ls libs/small/pyramid-verdict.json pyramid-verdict.json 2>/dev/null | head -1); echo "verdict at $V"
show "$V" | head -5; echo "project=$(jget "$V" project)"
check "$V"
"$PYR" check "$V" >/dev/null 2>&1; e=$?
[ -f libs/small/pyramid-verdict.json ] || echo "(no verdict: the plugin finds no [tool.pyramid] from pytest's rootdir libs/small and stays off)"
[ $e = 0 ] && echo "RESULT: BROKEN (libs/small's run passes the top project's check)" || echo "RESULT: HELD (top check exit $e, decision $(decision "$V"))"
