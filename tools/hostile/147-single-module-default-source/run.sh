#!/usr/bin/env bash
# the shared preamble: a fresh project under this case's work/ (PY, PYR, w, commit, base_project ...)
source "$(dirname "$0")/../_preamble.sh"
# 81's stale installed copy, for a project whose code is one top-level module (mymod.py, no package:
# the layout of six, attrs' old days, many small tools) and no [tool.pyramid] source. The default
# source is "folders with __init__.py": it names nothing here. Tests run through the pytest script
# (no cwd on sys.path) import the installed older copy, not the tree's (broken) module.
# Expected: not ready (the tree's code never ran).
base_project
rm -rf mypkg
sed -i 's/^pythonpath = \["."\]$//; s/^source = \["mypkg"\]$//' pyproject.toml
printf 'def add(a, b):\n    return a - b\n' > mymod.py
sed -i 's/from mypkg.core import add/from mymod import add/' tests/unit/test_core.py tests/integration/test_int.py
printf 'pyramid-verdict*\n' >> .gitignore
commit init
fake_venv "$W/venv"
printf 'def add(a, b):\n    return a + b\n' > "$SP/mymod.py"
"$W/venv/bin/pytest" -q -p no:cacheprovider > "$W/pytest.out" 2>&1; echo "pytest exit=$?"; tail -1 "$W/pytest.out"
show | head -4
[ "$(decision)" = ready ] && echo "RESULT: BROKEN (false ready: an installed copy of the project's only module ran, not the tree's)" || echo "RESULT: HELD ($(decision))"
