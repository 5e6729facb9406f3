#!/usr/bin/env bash
# the shared preamble: a fresh project under this case's work/ (PY, PYR, w, commit, base_project ...)
source "$(dirname "$0")/../_preamble.sh"
# The e2e suite is shared between services and lives in a git SUBMODULE at tests/e2e. CI clones
# without --recurse-submodules (actions/checkout's default), so tests/e2e is an empty directory; git
# considers the uninitialized submodule clean and the tree digest is the commit's tree.
# The e2e suite at the pinned submodule commit FAILS. Expected: not ready (a tier of the commit never ran).
base_project
mkdir -p "$W/e2e-suite" && (cd "$W/e2e-suite" && git init -q -b main && git config user.email a@b && git config user.name a && printf 'def test_checkout_flow():\n    assert False, "e2e broken"\n' > test_flow.py && git add -A && git commit -qm e2e)
git -c protocol.file.allow=always submodule -q add "$W/e2e-suite" tests/e2e
commit init
echo "--- control (submodule initialised):"; "$PY" -m pytest -q -p no:cacheprovider > "$W/pytest0.out" 2>&1; echo "pytest exit=$? decision=$(decision)"
git clone -q "$W/proj" "$W/ci"          # no --recurse-submodules
cd "$W/ci"; git config user.email a@b; git config user.name a
ls -A tests/e2e | wc -l | sed 's/^/files in tests\/e2e: /'
echo "git status: [$(git status --porcelain)]"
"$PY" -m pytest -q -p no:cacheprovider > "$W/pytest.out" 2>&1; echo "pytest exit=$?"; tail -2 "$W/pytest.out"
show | grep -v "tier \(contract\|perf\|secu\)"; check
[ "$(decision)" = ready ] && echo "RESULT: FALSE-READY" || echo "RESULT: HELD"
