#!/usr/bin/env bash
# the shared preamble: a fresh project under this case's work/ (PY, PYR, w, commit, base_project ...)
source "$(dirname "$0")/../_preamble.sh"
# The project has [tool.pyramid] but no pytest section of its own. The CI workspace has a stray
# pytest.ini one directory ABOVE the checkout (left by another job / a monorepo root) that narrows
# python_files. pytest picks it up as its inifile. The e2e tier fails.
# Expected: the configuration is not the project's -> incomplete (or the e2e failure blocks).
base_project
w pyproject.toml <<'X'
[tool.pyramid]
source = ["mypkg"]
X
w conftest.py <<'X'
import os, sys
sys.path.insert(0, os.path.dirname(__file__))
X
w tests/e2e/test_e2e_flow.py <<'X'
def test_flow():
    assert False, "e2e broken"
X
commit init
cat > "$W/pytest.ini" <<'X'
[pytest]
python_files = test_core.py test_int.py
X
"$PY" -m pytest -q -p no:cacheprovider > "$W/pytest.out" 2>&1; echo "pytest exit=$?"; tail -5 "$W/pytest.out"
V=pyramid-verdict.json; [ -f $V ] || V="$W/pyramid-verdict.json"; ls "$W"
show $V; check $V
[ "$(decision $V)" = ready ] && echo "RESULT: FALSE-READY" || echo "RESULT: HELD"
