#!/usr/bin/env bash
source "$(dirname "$0")/../_preamble.sh"
# Default source (no `[tool.pyramid] source`): the project's PEP 420 namespace package
# src/acme/billing/core.py (no __init__.py anywhere). A test module (attacker's code) changes
# sys.path at run time - no PYTHONPATH, no option - so that `acme.billing.core` is imported from a
# folder outside the repository; the test proves the outside copy ran (VALUE == "outside").
# Rows: (a) sys.path.insert(0, OUT) where OUT has a regular package acme/__init__.py +
# acme/billing/core.py; (b) sys.path.append(OUT) where OUT has acme/billing/__init__.py (a regular
# package wins over the tree's namespace portion wherever it stands on the path) + core.py;
# (c) control: the tree's own module (VALUE == "tree") -> ready.
# Expected: (a), (b) not `ready` (a module the tree holds, imported from elsewhere).
printf '__pycache__/\n.pytest_cache/\npyramid-verdict*\npyramid-results*\n.pyramid/\n' > .gitignore
w src/acme/billing/core.py <<'X'
VALUE = "tree"
X
w tests/unit/test_core.py <<'X'
def test_unit():
    assert 1 + 1 == 2
X
w pyproject.toml <<'X'
[tool.pytest.ini_options]
testpaths = ["tests"]
pythonpath = ["src"]

[tool.pyramid]
X
commit init
OUT="$W/outside"
mkdir -p "$OUT/a/acme/billing" "$OUT/b/acme/billing"
touch "$OUT/a/acme/__init__.py" "$OUT/a/acme/billing/__init__.py" "$OUT/b/acme/billing/__init__.py"
echo 'VALUE = "outside"' > "$OUT/a/acme/billing/core.py"; echo 'VALUE = "outside"' > "$OUT/b/acme/billing/core.py"
row a <<X
import sys
sys.path.insert(0, "$OUT/a")
def test_row():
    import acme.billing.core as core
    assert core.VALUE == "outside", core.__file__
X
row b <<X
import sys
sys.path.append("$OUT/b")
def test_row():
    import acme.billing.core as core
    assert core.VALUE == "outside", core.__file__
X
row c <<'X'
def test_row():
    import acme.billing.core as core
    assert core.VALUE == "tree", core.__file__
X
for l in a b c; do grep -q "passed" "$W/pytest-$l.out" && grep -qv failed "$W/pytest-$l.out" || echo "  row $l: its test did not pass (see $W/pytest-$l.out)"; done
B=$(echo "$BROKEN_ROWS" | sed 's/ c//')
if ! echo "$BROKEN_ROWS" | grep -qw c; then echo "RESULT: VACUOUS (control row c was not ready)"
elif [ -n "$B" ]; then echo "RESULT: BROKEN (rows$B: the project's namespace module ran from outside the tree)"
else echo "RESULT: HELD"; fi
