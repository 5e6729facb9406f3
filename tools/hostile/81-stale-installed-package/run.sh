#!/usr/bin/env bash
# the shared preamble: a fresh project under this case's work/ (PY, PYR, w, commit, base_project ...)
source "$(dirname "$0")/../_preamble.sh"
# The project's package is also installed (non-editable, an older build) in the environment. The
# tests are run through the pytest script (no cwd on sys.path), without pythonpath: tests import the
# installed copy, not the tree's code (whose add() is now broken). Variant A: no [tool.pyramid]
# source; variant B: source = ["mypkg"]. Expected: not ready in both (the tree's code never ran).
base_project
sed -i 's/^pythonpath = \["."\]$//' pyproject.toml
w mypkg/core.py <<'X'
def add(a, b):
    return a - b
X
fake_venv "$W/venv"
mkdir -p "$SP/mypkg"; : > "$SP/mypkg/__init__.py"; printf 'def add(a, b):\n    return a + b\n' > "$SP/mypkg/core.py"
r=HELD
sed -i 's/^source = \["mypkg"\]$//' pyproject.toml; commit A
"$W/venv/bin/pytest" -q -p no:cacheprovider > "$W/a.out" 2>&1; echo "A (no source) exit=$?: $(decision)"; show | head -3
[ "$(decision)" = ready ] && r="BROKEN (false ready: tests ran an installed copy of mypkg, not the tree's; no source declared)"
rm -f pyramid-verdict.json pyramid-verdict.results.json; printf '\n[tool.pyramid]\nsource = ["mypkg"]\n' >> pyproject.toml; sed -i '0,/^\[tool.pyramid\]$/{//d}' pyproject.toml; commit B; cat pyproject.toml
"$W/venv/bin/pytest" -q -p no:cacheprovider > "$W/b.out" 2>&1; echo "B (source) exit=$?: $(decision)"; show | head -3
[ "$(decision)" = ready ] && r="BROKEN (false ready: installed copy with source declared)"
echo "RESULT: $r"
