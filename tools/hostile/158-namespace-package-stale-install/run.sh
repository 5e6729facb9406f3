#!/usr/bin/env bash
# the shared preamble: a fresh project under this case's work/ (PY, PYR, w, commit, base_project ...)
source "$(dirname "$0")/../_preamble.sh"
# 147's stale installed copy, for a project whose code is an implicit namespace package (PEP 420:
# `src/acme/billing/core.py`, no `__init__.py` anywhere, as a company's `acme.*` distributions
# are laid out) and no [tool.pyramid] source. Tests run through the pytest script (no `src` on
# sys.path) import the installed older copy, not the tree's (broken) module.
# Expected: not ready (the tree's code never ran).
base_project
rm -rf mypkg
sed -i 's/^pythonpath = \["."\]$//; s/^source = \["mypkg"\]$//' pyproject.toml
mkdir -p src/acme/billing
printf 'def add(a, b):\n    return a - b\n' > src/acme/billing/core.py
sed -i 's/from mypkg.core import add/from acme.billing.core import add/' tests/unit/test_core.py tests/integration/test_int.py
printf 'pyramid-verdict*\n' >> .gitignore
commit init
fake_venv "$W/venv"
mkdir -p "$SP/acme/billing"; printf 'def add(a, b):\n    return a + b\n' > "$SP/acme/billing/core.py"
"$W/venv/bin/pytest" -q -p no:cacheprovider > "$W/pytest.out" 2>&1; echo "pytest exit=$?"; tail -1 "$W/pytest.out"
show | head -4
[ "$(decision)" = ready ] && echo "RESULT: BROKEN (false ready: an installed copy of the project's namespace package ran, not the tree's)" || echo "RESULT: HELD ($(decision))"
