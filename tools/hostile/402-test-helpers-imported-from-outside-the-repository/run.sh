#!/usr/bin/env bash
source "$(dirname "$0")/../_preamble.sh"
# Round 15a, the closed world (docs/verdict.md 7: "it ran only the code of that tree"): a
# file the run imports is judged when it is under the repository; the interpreter's
# environment is excused. A monorepo-adjacent layout puts shared test helpers in a sibling
# checkout (`../shared-testing`), reached through the *tracked* `pythonpath`, a conftest's
# `sys.path.insert`, or a relative path the project takes for granted. Those helpers decide
# what the tests expect, they are no tree's bytes and no environment's (no `pip install`):
# the verdict names a tree that did not hold the code that decided the outcome.
# Rows (tests/integration/test_total.py asserts mypkg's answer against the helper's):
# (z) control: the helper in the repository (tests/helpers/expect.py, git-ignored): incomplete;
# (a) tracked `pythonpath = [".", "../shared-testing"]`, the sibling folder no repository;
# (b) tests/conftest.py: `sys.path.insert(0, str(Path(__file__).parents[2] / "shared-testing"))`;
# (c) (a) with the sibling a git repository of its own, its helper uncommitted.
# Each row's helper is edited so that a wrong answer passes (the code's bug is hidden).
# Expected: no row `ready` (code outside the tree and outside the environment decided the outcome).
base_project
printf 'pyramid-verdict*\npyramid-results*\n.pyramid/\ntests/helpers/\n' >> .gitignore
w mypkg/core.py <<'X'
def add(a, b):
    return a + b + (a == 2 and b == 3)  # the bug
X
w tests/integration/test_total.py <<'X'
from mypkg.core import add
from expect import expected_sum


def test_total():
    assert add(2, 3) == expected_sum(2, 3)
X
commit init
SHARED="$W/shared-testing"; mkdir -p "$SHARED"
w "$SHARED/expect.py" <<'X'
def expected_sum(a, b):
    return a + b + (a == 2 and b == 3)  # edited locally to match the code under test
X
r=""
one() { local label=$1; shift
  "$PY" -m pytest -q -p no:cacheprovider "$@" > "$W/p-$label.out" 2>&1; local e=$?; local d; d=$(decision)
  show > "$W/show-$label.out"
  echo "row $label: exit=$e decision=$d | $(tail -1 "$W/p-$label.out" | cut -c1-50) | $(grep -m1 -E 'problem|reason' "$W/show-$label.out" | cut -c1-150)"
  [ "$d" = ready ] && r="$r $label"; }
# (z)
mkdir -p tests/helpers; cp "$SHARED/expect.py" tests/helpers/expect.py
sed -i 's|pythonpath = \["."\]|pythonpath = [".", "tests/helpers"]|' pyproject.toml; commit z; one z
git checkout -q HEAD~1 -- pyproject.toml; rm -rf tests/helpers; commit z-off
# (a)
sed -i 's|pythonpath = \["."\]|pythonpath = [".", "../shared-testing"]|' pyproject.toml; commit a; one a
git checkout -q HEAD~1 -- pyproject.toml; commit a-off
# (b)
w tests/conftest.py <<'X'
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "shared-testing"))
X
commit b; one b; git rm -q tests/conftest.py; rm -rf tests/__pycache__; commit b-off
# (c)
(cd "$SHARED" && git init -q -b main . && git config user.email a@b && git config user.name a && git add -A && git commit -qm helpers
 sed -i 's/# edited/# edited again/' expect.py)
sed -i 's|pythonpath = \["."\]|pythonpath = [".", "../shared-testing"]|' pyproject.toml; commit c; one c
# (d) the commonest form: a src-less project without `pythonpath`, run with the `pytest`
#     console script, whose environment has an editable install (a path `.pth`, as
#     `setup.py develop` / `pip install -e` with `editable_mode=compat` write) of another
#     git worktree of the same repository ($W/other: an older branch with the bug fixed the
#     wrong way) - `import mypkg` runs the other worktree's code.
#     Expected like the rest; it is the row that shows the rule exists for `source` packages.
git checkout -q HEAD~1 -- pyproject.toml; sed -i '/^pythonpath/d' pyproject.toml; commit d-base
git worktree add -q "$W/other" HEAD 2>/dev/null
printf 'def add(a, b):\n    return a + b\n' > "$W/other/mypkg/core.py"
fake_venv "$W/venv"; echo "$W/other" > "$SP/__editable__.mypkg-0.1.pth"
w tests/integration/test_total.py <<'Y'
from mypkg.core import add


def test_total():
    assert add(2, 3) == 5
Y
commit d
"$W/venv/bin/pytest" -q -p no:cacheprovider > "$W/p-d.out" 2>&1; e=$?; d=$(decision); show > "$W/show-d.out"
echo "row d: exit=$e decision=$d | $(tail -1 "$W/p-d.out" | cut -c1-50) | $(grep -m1 -E 'problem|reason' "$W/show-d.out" | cut -c1-150)"
[ "$d" = ready ] && r="$r d"
if echo "$r" | grep -qw z; then echo "RESULT: VACUOUS (control row z was ready)"
elif [ -n "$r" ]; then echo "RESULT: BROKEN (rows$r: test helpers imported from a folder outside the repository and the environment decided the outcome: ready)"
else echo "RESULT: HELD"; fi
