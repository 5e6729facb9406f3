#!/usr/bin/env bash
# the shared preamble: a fresh project under this case's work/ (PY, PYR, w, commit, base_project ...)
source "$(dirname "$0")/../_preamble.sh"
# A test takes a value an earlier run stored in pytest's cache (config.cache) instead of computing
# it; the cached value makes it pass, a clean checkout (no .pytest_cache) fails it.
# Expected: not ready (a stale cache decided an outcome: the docs list stale caches as defended).
base_project
w tests/integration/test_cached.py <<'X'
def test_cached(request):
    value = request.config.cache.get("demo/expected", None)
    assert value == 4
X
commit init
"$PY" - <<'X'
import json, pathlib
p = pathlib.Path(".pytest_cache/v/demo/expected"); p.parent.mkdir(parents=True); p.write_text(json.dumps(4))
X
"$PY" -m pytest -q > "$W/pytest.out" 2>&1; echo "pytest exit=$?"; tail -1 "$W/pytest.out"
show | head -3; check
[ "$(decision)" = ready ] && echo "RESULT: BROKEN (false ready: a value from pytest's cache decided a test)" || echo "RESULT: HELD ($(decision))"
