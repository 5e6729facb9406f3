#!/usr/bin/env bash
# the shared preamble: a fresh project under this case's work/ (PY, PYR, w, commit, base_project ...)
source "$(dirname "$0")/../_preamble.sh"
# A registered submodule (git submodule add). The committed submodule code is broken; the workspace
# has an uncommitted fix inside the submodule. Also tried: only an untracked new module inside it.
# Expected: incomplete ("a submodule with uncommitted changes").
base_project
mkdir -p "$W/calc" && (cd "$W/calc" && git init -q -b main && git config user.email a@b && git config user.name a && printf 'def add(a, b):\n    return a - b  # BUG\n' > __init__.py && git add -A && git commit -qm v)
git -c protocol.file.allow=always submodule -q add "$W/calc" mypkg/calc
w mypkg/core.py <<'X'
try:
    from mypkg.calc.fast import add   # optional accelerated version
except ImportError:
    from mypkg.calc import add
X
commit init
cat .gitmodules
# untracked (not committed in the submodule) new file that shadows the broken code
printf 'def add(a, b):\n    return a + b\n' > mypkg/calc/fast.py
echo "git status: [$(git status --porcelain)]"
"$PY" -m pytest -q -p no:cacheprovider > "$W/pytest.out" 2>&1; echo "pytest exit=$?"; tail -3 "$W/pytest.out"
show; check
[ "$(decision)" = ready ] && [ "$(jget pyramid-verdict.json dirty)" = false ] && echo "RESULT: FALSE-READY" || echo "RESULT: HELD"
