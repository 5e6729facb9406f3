#!/usr/bin/env bash
source "$(dirname "$0")/../_preamble.sh"
# Round 13a, on disk = collected: the scan for test files covers the tiers' paths and
# `testpaths`. Tests living elsewhere in the tree - in-package tests (`mypkg/tests/`, a
# layout many projects keep or half-migrated from), a `scripts/test_deploy.py`, a second
# top-level `test/` folder (singular) - are neither collected (testpaths says `tests`) nor
# expected. A tracked file pytest would collect by its own name pattern, outside every
# scanned folder, holding a failing test: never run, never named.
# Rows: (z) control: the file in tests/unit: blocked; (a) mypkg/tests/test_legacy.py;
# (b) test/test_legacy.py (singular folder); (c) mypkg/test_inline.py beside the code.
# Expected: no row `ready` (a tracked test file the tree holds never ran and is not excluded).
base_project
printf 'pyramid-verdict*\n.pyramid/\n' >> .gitignore
commit init
r=""
one() { local label=$1 path=$2
  git rm -q -r --cached tests/unit/test_legacy.py mypkg/tests test mypkg/test_inline.py >/dev/null 2>&1
  rm -rf tests/unit/test_legacy.py mypkg/tests test mypkg/test_inline.py; find . -name __pycache__ -prune -exec rm -rf {} +
  w "$path" <<'X'
def test_legacy_rounding():
    assert round(2.675, 2) == 2.68
X
  case "$path" in mypkg/tests/*) : > mypkg/tests/__init__.py;; esac
  commit "row $label"
  "$PY" -m pytest -q -p no:cacheprovider > "$W/p-$label.out" 2>&1; local e=$?; local d; d=$(decision)
  echo "row $label ($path): exit=$e decision=$d | $(tail -1 "$W/p-$label.out" | cut -c1-60) | $(show > "$W/s-$label.out"; grep -m1 -E 'problem' "$W/s-$label.out" | cut -c1-150)"
  [ "$d" = ready ] && r="$r $label"; }
one z tests/unit/test_legacy.py
one a mypkg/tests/test_legacy.py
one b test/test_legacy.py
one c mypkg/test_inline.py
if echo "$r" | grep -qw z; then echo "RESULT: VACUOUS (control row z was ready)"
elif [ -n "$r" ]; then echo "RESULT: BROKEN (rows$r: a tracked test file outside the scanned folders, holding a failing test, never ran: ready)"
else echo "RESULT: HELD"; fi
