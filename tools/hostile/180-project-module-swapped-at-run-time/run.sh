#!/usr/bin/env bash
# the shared preamble: a fresh project under this case's work/ (PY, PYR, w, commit, base_project ...)
source "$(dirname "$0")/../_preamble.sh"
# The closed world names the project's packages loaded from elsewhere ("the project's packages
# imported from elsewhere (PYTHONPATH, a stray install)"). The tree's mypkg/core.py is broken
# (add subtracts); an older good copy lives outside the repository ($W/old/mypkg). The tests reach
# it: (a) a tracked conftest puts an *unjudged* variable's folder first on sys.path (`EXTRA`: only
# PYTEST_*, PYTHON*, PYRAMID_* variables are judged), (b) a test inserts the folder and calls
# `importlib.reload(mypkg.core)` after dropping it from sys.modules... (reload keeps the spec's
# origin: instead, it re-imports by name), (c) `importlib.util.spec_from_file_location("mypkg.core",
# old)` installed in sys.modules by a fixture.
# Expected: not ready in every row (the code under test is not the tree's).
base_project
printf 'pyramid-verdict*\n' >> .gitignore
printf 'def add(a, b):\n    return a - b\n' > mypkg/core.py
mkdir -p "$W/old/mypkg"; : > "$W/old/mypkg/__init__.py"; printf 'def add(a, b):\n    return a + b\n' > "$W/old/mypkg/core.py"
export OLD="$W/old"
# the base project's tests import add at module level: make them use the swapped module at call time
sed -i 's/from mypkg.core import add/import mypkg.core as core/; s/assert add(/assert core.add(/' tests/unit/test_core.py tests/integration/test_int.py
commit init
w tests/conftest.py <<'X'
import os, sys
if os.environ.get("EXTRA"):
    sys.path.insert(0, os.environ["EXTRA"])
X
commit a
EXTRA="$OLD" "$PY" -m pytest -q -p no:cacheprovider -p no:randomly > "$W/a.out" 2>&1
echo "  (a) EXTRA on sys.path from a conftest: $(tail -1 "$W/a.out") -> $(decision) $(jget pyramid-verdict.json completeness.0.message | head -c 160)"; [ "$(decision)" = ready ] && BROKEN_ROWS="$BROKEN_ROWS a"
w tests/conftest.py <<'X'
import importlib, os, sys
import pytest

@pytest.fixture(autouse=True)
def older():
    sys.path.insert(0, os.environ["OLD"])
    for name in [n for n in sys.modules if n == "mypkg" or n.startswith("mypkg.")]:
        del sys.modules[name]
    import mypkg.core
    yield
X
commit b
"$PY" -m pytest -q -p no:cacheprovider -p no:randomly > "$W/b.out" 2>&1
echo "  (b) re-imported by name from OLD: $(tail -1 "$W/b.out") -> $(decision) $(jget pyramid-verdict.json completeness.0.message | head -c 160)"; [ "$(decision)" = ready ] && BROKEN_ROWS="$BROKEN_ROWS b"
w tests/conftest.py <<'X'
import importlib.util, os, sys
import pytest
import mypkg

@pytest.fixture(autouse=True)
def older():
    spec = importlib.util.spec_from_file_location("mypkg.core", os.path.join(os.environ["OLD"], "mypkg", "core.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    sys.modules["mypkg.core"] = module
    mypkg.core = module
    yield
X
commit c
"$PY" -m pytest -q -p no:cacheprovider -p no:randomly > "$W/c.out" 2>&1
echo "  (c) spec_from_file_location into sys.modules: $(tail -1 "$W/c.out") -> $(decision) $(jget pyramid-verdict.json completeness.0.message | head -c 160)"; [ "$(decision)" = ready ] && BROKEN_ROWS="$BROKEN_ROWS c"
[ -n "$BROKEN_ROWS" ] && echo "RESULT: BROKEN (ready in rows:$BROKEN_ROWS: the tests ran an older copy of the project's module)" || echo "RESULT: HELD (no row ready)"
