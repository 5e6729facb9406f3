#!/usr/bin/env bash
# the shared preamble: a fresh project under this case's work/ (PY, PYR, w, commit, base_project ...)
source "$(dirname "$0")/../_preamble.sh"
# A test loads a locally built, git-ignored extension module straight from its file
# (importlib.util.spec_from_file_location on build/_speedups*.so): no sys.meta_path finder is asked,
# and the dynamic loader reads the file in C (only the `import` audit event names it).
# Expected: not ready (code the tree does not hold ran).
base_project
echo "build/" >> .gitignore
SO=$("$PY" -c 'import markupsafe._speedups as m; print(m.__file__)')
w tests/integration/test_native.py <<'X'
import importlib.util
from pathlib import Path

def test_native_escape():
    path = next((Path(__file__).parents[2] / "build").glob("_speedups*.so"))
    spec = importlib.util.spec_from_file_location("_speedups", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    assert mod._escape_inner("<") == "&lt;"
X
commit init
mkdir -p build; cp "$SO" build/
"$PY" -m pytest -q -p no:cacheprovider > "$W/pytest.out" 2>&1; echo "pytest exit=$?"; tail -1 "$W/pytest.out"
show | head -4; check
[ "$(decision)" = ready ] && echo "RESULT: BROKEN (false ready: a git-ignored extension module loaded from its file)" || echo "RESULT: HELD ($(decision))"
