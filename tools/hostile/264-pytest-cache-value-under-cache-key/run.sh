#!/usr/bin/env bash
source "$(dirname "$0")/../_preamble.sh"
# Case 114 for a key pytest's own records share a folder with. The closed world counts reads
# of pytest's cache folder except "pytest's own records (`v/cache/`: lastfailed, nodeids,
# stepwise)" (run/imported.py: PYTEST_CACHE_OWN), by prefix. `config.cache.get(KEY)` reads
# `v/KEY`: a test's own key "cache/expected" lies in `v/cache/`, the same as pytest's records.
# The value a test reads decides it; a clean checkout (no cache) fails it.
# Rows: (a) control: key "demo/expected" (case 114); (b) key "cache/expected";
# (c) key "cache/expected" under -n 2; (d) the project's `cache_dir = "tests/.cache"`, key
# "cache/expected" (the cache folder inside the test folders).
# Expected: no row `ready`.
base_project
printf 'pyramid-verdict*\npyramid-results*\n.pyramid/\n' >> .gitignore
commit init
seed() { "$PY" - "$1" "$2" <<'X'
import json, pathlib, sys
p = pathlib.Path(sys.argv[1]) / "v" / sys.argv[2]; p.parent.mkdir(parents=True, exist_ok=True); p.write_text(json.dumps(4))
X
}
crow() {  # crow LABEL KEY CACHEDIR [pytest args]
  local label=$1 key=$2 dir=$3; shift 3
  w tests/integration/test_row.py <<X
def test_row(request):
    assert request.config.cache.get("$key", None) == 4
X
  commit "row $label"; seed "$dir" "$key"
  "$PY" -m pytest -q "$@" > "$W/p-$label.out" 2>&1; local e=$?; local d; d=$(decision)
  echo "row $label: exit=$e decision=$d dirty=$(jget pyramid-verdict.json dirty) | $(tail -1 "$W/p-$label.out")"
  [ "$d" = ready ] && BROKEN_ROWS="$BROKEN_ROWS $label"
}
crow a demo/expected .pytest_cache
crow b cache/expected .pytest_cache
crow c cache/expected .pytest_cache -n 2
sed -i 's/^pythonpath = \["."\]$/pythonpath = ["."]\ncache_dir = "tests\/.cache"/' pyproject.toml
echo 'tests/.cache/' >> .gitignore
crow d cache/expected tests/.cache
if echo "$BROKEN_ROWS" | grep -qw a; then echo "RESULT: VACUOUS (control row a was ready)"
elif [ -n "$BROKEN_ROWS" ]; then echo "RESULT: BROKEN (rows$BROKEN_ROWS: a test's value under pytest's own cache prefix decided it: ready)"
else echo "RESULT: HELD"; fi
