#!/usr/bin/env bash
# the shared preamble: a fresh project under this case's work/ (PY, PYR, w, commit, base_project ...)
source "$(dirname "$0")/../_preamble.sh"
# A conftest puts a git-ignored vendored archive (vendor/helpers.zip, built locally) on sys.path; the
# tests import their helper from it (zipimport reads the archive, the module has no file of its own).
# Expected: not ready.
base_project
echo "vendor/" >> .gitignore
w tests/conftest.py <<'X'
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parents[1] / "vendor" / "helpers.zip"))
X
w tests/integration/test_helper.py <<'X'
from zhelper import answer

def test_answer():
    assert answer() == 42
X
commit init
mkdir -p vendor; "$PY" -c 'import zipfile; z=zipfile.ZipFile("vendor/helpers.zip","w"); z.writestr("zhelper.py","def answer():\n    return 42\n"); z.close()'
"$PY" -m pytest -q -p no:cacheprovider > "$W/pytest.out" 2>&1; echo "pytest exit=$?"; tail -1 "$W/pytest.out"
show | head -4; check
[ "$(decision)" = ready ] && echo "RESULT: BROKEN (false ready: code imported from a git-ignored zip archive)" || echo "RESULT: HELD ($(decision))"
