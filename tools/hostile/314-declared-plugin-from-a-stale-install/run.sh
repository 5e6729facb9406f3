#!/usr/bin/env bash
source "$(dirname "$0")/../_preamble.sh"
# A monorepo that ships its own pytest plugin as a second distribution
# (plugins/acme-pytest/src/acme_pytest.py, entry point `pytest11: acme`, installed into the
# test environment, not on `pythonpath`) declares it as the promise asks: `allow_options = ["plugin acme-pytest"]` ("a plugin the
# project declared: ... a distribution, module or plugin name"). The CI's cached virtualenv
# holds an older, regular (non-editable) install of acme-pytest: its `acme_pytest.py` in
# site-packages still skips tests marked `infra` (the current tree's plugin no longer does).
# The stale copy is the plugin that runs (the tree's file is reached only through an install). The declaration names *who*, not *which bytes*: the plugin's code is an
# installed distribution's, allowed by its name (cf. round 10's 297, a variable allowed by name).
# The promise: "a registered plugin the project did not declare" makes the run incomplete; the
# project's packages "imported from elsewhere (a stray install)" are named - for the packages
# of `source` (the default here: the tracked top-level packages at the root and under src/;
# the plugin's folder is neither).
# Rows: (a) control: the stale plugin installed, not declared: incomplete; (b) declared by
# distribution name; (c) declared by module name (`plugin acme_pytest`).
# Expected: no row `ready` (the failing `infra` test runs and fails with the tree's plugin).
fake_venv "$W/venv"
VPY="$W/venv/bin/python"
printf '__pycache__/\n.pytest_cache/\npyramid-verdict*\npyramid-results*\n.pyramid/\n' > .gitignore
w src/mypkg/__init__.py </dev/null
w src/mypkg/core.py <<'X'
def add(a, b):
    return a + b
X
w plugins/acme-pytest/src/acme_pytest.py <<'X'
"""acme's pytest plugin (current): registers the `infra` marker; infra tests run like any other."""


def pytest_configure(config):
    config.addinivalue_line("markers", "infra: needs the shared infrastructure")
X
w tests/unit/test_core.py <<'X'
from mypkg.core import add
def test_add():
    assert add(1, 2) == 3
X
w tests/integration/test_api.py <<'X'
from mypkg.core import add
def test_api():
    assert add(2, 3) == 5
X
w tests/integration/test_infra.py <<'X'
import pytest
from mypkg.core import add
@pytest.mark.infra
def test_ledger_total():
    assert add(2, 2) == 5   # the real bug
X
mkdir -p "$SP/acme_pytest-0.9.dist-info"
cat > "$SP/acme_pytest.py" <<'X'
"""acme's pytest plugin, release 0.9: infra tests are skipped on CI runners."""
import pytest


def pytest_configure(config):
    config.addinivalue_line("markers", "infra: needs the shared infrastructure")


def pytest_collection_modifyitems(config, items):
    for item in items:
        if item.get_closest_marker("infra"):
            item.add_marker(pytest.mark.skip(reason="infra not reachable from CI (acme-pytest 0.9)"))
X
printf 'Metadata-Version: 2.1\nName: acme-pytest\nVersion: 0.9\n' > "$SP/acme_pytest-0.9.dist-info/METADATA"
printf '[pytest11]\nacme = acme_pytest\n' > "$SP/acme_pytest-0.9.dist-info/entry_points.txt"
printf 'acme_pytest.py,,\n' > "$SP/acme_pytest-0.9.dist-info/RECORD"
cfg() {  # cfg SOURCE_LINE ALLOW_LINE
  printf '[tool.pytest.ini_options]\ntestpaths = ["tests"]\npythonpath = ["src"]\n\n[tool.pyramid]\n%s\n%s\n' "$1" "$2" > pyproject.toml
  commit cfg
}
BROKEN=""
runrow() {
  "$VPY" -m pytest -q -p no:cacheprovider > "$W/pytest-$1.out" 2>&1; local e=$?
  local d; d=$(decision)
  echo "row $1: pytest exit=$e decision=$d | $(tail -1 "$W/pytest-$1.out" | cut -c1-60) | $(show 2>/dev/null | grep -m1 -E 'problem|reason' | cut -c1-170)"
  [ "$d" = ready ] && BROKEN="$BROKEN $1"
}
cfg '' ''; runrow a
cfg '' 'allow_options = ["plugin acme-pytest"]'; runrow b
cfg '' 'allow_options = ["plugin acme_pytest"]'; runrow c
if echo "$BROKEN" | grep -qw a; then echo "RESULT: VACUOUS (the control row was ready)"
elif [ -n "$BROKEN" ]; then echo "RESULT: BROKEN (rows$BROKEN: a plugin declared by name is allowed from a stale installed copy whose code is not the tree's: its skip hid the failing test, ready)"
else echo "RESULT: HELD"; fi
