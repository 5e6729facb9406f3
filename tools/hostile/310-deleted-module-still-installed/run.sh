#!/usr/bin/env bash
source "$(dirname "$0")/../_preamble.sh"
# A module the commit *deleted* still answers from an earlier install. A CI image or a cached
# virtualenv (keyed on requirements.txt, not on the source) holds a regular `pip install .` of an
# older commit; the project later removed a module, but a test (or the project's code) still
# imports it. A clean environment of this commit has no such module: the import fails there.
# The promise: "the project's packages imported from elsewhere (PYTHONPATH, a stray install)"
# are named; the default `source` is the repository's tracked top-level packages and modules,
# and "of a namespace ... a module is the project's when the tree holds it ... a stale installed
# acme.billing.core is" named (hostile case 158). A module the tree no longer holds is decided
# by the same tracked listing, so its stale copy reads as a dependency's.
# Rows: (a) control: the stale install holds `legacy_util.py` *and* the tree still tracks it
# (shadowed by the install: named); (b) the commit deleted legacy_util.py, the install keeps it
# (default source); (c) namespace package src/acme/billing (no __init__.py), source =
# ["acme"]: the commit deleted acme/billing/rates.py, the install keeps it; (d) control for (c):
# the tree still holds rates.py, the install shadows it.
# Expected: no row `ready` (each test passes only thanks to the stale copy).
fake_venv "$W/venv"
VPY="$W/venv/bin/python"
printf '__pycache__/\n.pytest_cache/\npyramid-verdict*\npyramid-results*\n.pyramid/\n' > .gitignore
w tests/unit/test_x.py <<'X'
def test_x():
    assert True
X
BROKEN=""
runrow() {
  "$VPY" -m pytest -q -p no:cacheprovider > "$W/pytest-$1.out" 2>&1; local e=$?
  local d; d=$(decision)
  echo "row $1: pytest exit=$e decision=$d | $(tail -1 "$W/pytest-$1.out" | cut -c1-60) | $(show 2>/dev/null | grep -m1 -E 'problem|reason' | cut -c1-170)"
  [ "$d" = ready ] && BROKEN="$BROKEN $1"
}
# --- (a)/(b): a top-level module, default source
w pyproject.toml <<'X'
[tool.pytest.ini_options]
testpaths = ["tests"]

[tool.pyramid]
X
w app.py <<'X'
def run():
    return "ok"
X
w legacy_util.py <<'X'
def rate():
    return 5  # the bug
X
w tests/integration/test_rate.py <<'X'
import legacy_util
def test_rate():
    assert legacy_util.rate() == 4
X
commit init
printf 'def rate():\n    return 4  # fixed in the old release\n' > "$SP/legacy_util.py"
runrow a
git rm -q legacy_util.py; commit "remove legacy_util (moved to app)"
runrow b
# --- (c)/(d): a PEP 420 namespace under src/
git rm -rq . >/dev/null; rm -rf app.py tests "$SP/legacy_util.py"
w pyproject.toml <<'X'
[tool.pytest.ini_options]
testpaths = ["tests"]
pythonpath = ["src"]

[tool.pyramid]
source = ["acme"]
X
w src/acme/billing/core.py <<'X'
def total(xs):
    return sum(xs)
X
w src/acme/billing/rates.py <<'X'
def vat():
    return 5  # the bug
X
w tests/unit/test_x.py <<'X'
from acme.billing.core import total
def test_x():
    assert total([1, 2]) == 3
X
w tests/integration/test_rate.py <<'X'
from acme.billing import rates
def test_rate():
    assert rates.vat() == 4
X
commit namespace
mkdir -p "$SP/acme/billing"; printf 'def vat():\n    return 4\n' > "$SP/acme/billing/rates.py"
runrow d
git rm -q src/acme/billing/rates.py; commit "remove rates (moved to core)"
runrow c
if echo "$BROKEN" | grep -qwE 'a|d'; then echo "RESULT: control row ready ($BROKEN): see rows"
fi
if echo "$BROKEN" | grep -qwE 'b|c'; then echo "RESULT: BROKEN (rows$(echo "$BROKEN" | tr -d 'ad' | tr -s ' ')): a module the commit deleted, imported from a stale install, is not the project's by the tree's listing: ready)"
else echo "RESULT: HELD"; fi
