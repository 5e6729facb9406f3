#!/usr/bin/env bash
# the shared preamble: a fresh project under this case's work/ (PY, PYR, w, commit, base_project ...)
source "$(dirname "$0")/../_preamble.sh"
# -o addopts=... (pytest applies an -o addopts override to the arguments) deselecting the failing tier.
# Expected: incomplete (a selection from the command line).
base_project
printf 'import pytest\n\n@pytest.mark.slow\ndef test_bad():\n    assert False\n' > tests/integration/test_bad.py
sed -i 's/^pythonpath = \["."\]/pythonpath = ["."]\nmarkers = ["slow"]/' pyproject.toml
commit init
"$PY" -m pytest -q -p no:cacheprovider -o "addopts=-m 'not slow'" > "$W/pytest.out" 2>&1; echo "pytest exit=$?"; tail -1 "$W/pytest.out"
show | head -3
[ "$(decision)" = ready ] && echo "RESULT: BROKEN (false ready: -o addopts deselected the failing test)" || echo "RESULT: HELD ($(decision))"
