#!/usr/bin/env bash
source "$(dirname "$0")/../_preamble.sh"
# A submodule checked out at another commit than the superproject's gitlink (a `git pull`
# without `git submodule update`, a CI cache restoring an older vendor/ checkout), in a project
# whose `.gitmodules` says `ignore = all` (common for vendored submodules: "don't show their
# churn in git status"). git status and `git add -A` then leave the gitlink alone.
# The promise (point 6/7): `tree.digest` is the tree as tested, "files in a submodule are named
# by its commit", `dirty` whether the tree differs from the commit's; pyramid check refuses a
# dirty verdict. The tests ran the submodule's *other* commit.
# Rows: (a) control: no ignore setting: dirty, check refuses; (b) `ignore = all` in the tracked
# .gitmodules; (c) `submodule.vendor/lib.ignore = all` in .git/config only; (d)
# `diff.ignoreSubmodules = all` in .git/config only.
# Expected: no row a clean `ready` that pyramid check accepts.
base_project
printf 'pyramid-verdict*\npyramid-results*\n.pyramid/\n' >> .gitignore
mkdir -p "$W/libsrc"; ( cd "$W/libsrc" && git init -q -b main . && git config user.email a@b && git config user.name a
  mkdir -p vlib && echo 'def answer():
    return 5  # v1: the bug' > vlib/__init__.py && git add -A && git commit -qm v1
  echo 'def answer():
    return 4  # v2: fixed upstream, not yet pinned' > vlib/__init__.py && git commit -qam v2 )
V1=$(git -C "$W/libsrc" rev-parse HEAD~1)
git -c protocol.file.allow=always submodule add -q "$W/libsrc" vendor/lib >/dev/null 2>&1
git -C vendor/lib checkout -q "$V1"
"$PY" - <<'X'
import pathlib
p = pathlib.Path("pyproject.toml")
p.write_text(p.read_text().replace('pythonpath = ["."]', 'pythonpath = [".", "vendor/lib"]'))
X
w tests/integration/test_vendor.py <<'X'
import vlib
from mypkg.core import add
def test_vendor_answer():
    assert vlib.answer() == add(2, 2)
X
commit "pin vendor/lib at v1"
echo "pinned: $(git ls-files -s vendor/lib)"
BROKEN=""
runrow() {
  git -C vendor/lib checkout -q main   # the workspace holds v2 (the test passes only there)
  "$PY" -m pytest -q -p no:cacheprovider > "$W/pytest-$1.out" 2>&1; local e=$?
  local d; d=$(decision); local c; "$PYR" check pyramid-verdict.json > "$W/check-$1.out" 2>&1; c=$?
  echo "row $1: pytest exit=$e decision=$d dirty=$(jget pyramid-verdict.json dirty) check exit=$c | git status: $(git status --porcelain | tr '\n' ' ') | $(head -c 160 "$W/check-$1.out" | tr '\n' ' ')"
  [ "$d" = ready ] && [ "$c" = 0 ] && BROKEN="$BROKEN $1"
}
runrow a
git config -f .gitmodules submodule.vendor/lib.ignore all; commit "ignore = all"; runrow b
git config -f .gitmodules --unset submodule.vendor/lib.ignore; commit "no ignore"
git config submodule.vendor/lib.ignore all; runrow c; git config --unset submodule.vendor/lib.ignore
git config diff.ignoreSubmodules all; runrow d; git config --unset diff.ignoreSubmodules
git -C vendor/lib checkout -q "$V1"; "$PY" -m pytest -q -p no:cacheprovider > "$W/pytest-pinned.out" 2>&1
echo "at the pinned commit (a clean clone): $(tail -1 "$W/pytest-pinned.out") decision=$(decision)"
if echo "$BROKEN" | grep -qw a; then echo "RESULT: VACUOUS (the control row passed the check)"
elif [ -n "$BROKEN" ]; then echo "RESULT: BROKEN (rows$BROKEN: a submodule at another commit than the gitlink, hidden by an ignore setting, is not in tree.digest: clean ready for code the commit does not pin)"
else echo "RESULT: HELD"; fi
