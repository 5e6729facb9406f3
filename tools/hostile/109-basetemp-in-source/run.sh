#!/usr/bin/env bash
# the shared preamble: a fresh project under this case's work/ (PY, PYR, w, commit, base_project ...)
source "$(dirname "$0")/../_preamble.sh"
# --basetemp pointed into the package: pytest empties that folder when a test first asks for tmp_path,
# deleting tracked source in the middle of the run. Expected: incomplete (tracked files changed during
# the run / a judgement-changing option).
base_project
w mypkg/extra/__init__.py <<'X'
X
w mypkg/extra/mod.py <<'X'
VALUE = 1
X
w tests/integration/test_tmp.py <<'X'
def test_tmp(tmp_path):
    (tmp_path / "x").write_text("x")
X
commit init
"$PY" -m pytest -q -p no:cacheprovider --basetemp=mypkg/extra > "$W/pytest.out" 2>&1; echo "pytest exit=$?"; tail -2 "$W/pytest.out"
echo "git status: $(git status --short | tr '\n' ' ')"
show | head -4
[ "$(decision)" = ready ] && echo "RESULT: BROKEN (false ready: --basetemp removed tracked source during the run)" || echo "RESULT: HELD ($(decision))"
