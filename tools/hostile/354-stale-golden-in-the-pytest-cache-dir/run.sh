#!/usr/bin/env bash
source "$(dirname "$0")/../_preamble.sh"
# Round 13a, stale caches: pytest's cache has two stores, values (`config.cache.set/get`,
# `v/<key>`, judged: a stored value is an input) and folders (`config.cache.makedir(NAME)`,
# `d/<NAME>/`, "for plugins and tests to keep files between runs"). A session fixture keeps an
# expensive golden file there, built from tracked data on a miss; CI keeps `.pytest_cache`
# between jobs (a cache step), so a golden built from an older commit's data answers now.
# Rows: (z) control: no cache: the golden is built from the tracked data: blocked (the bug
# shows); (a) a stale golden in `.pytest_cache/d/golden/` from an earlier commit; (b) the same
# kept as a cache value (`cache.set`, `v/golden/rates`); (c) (a) under -n 2.
# Expected: no row `ready` (bytes no tree holds, made before the run, decided a failing test).
base_project
printf 'pyramid-verdict*\n.pyramid/\n' >> .gitignore
w mypkg/rates.py <<'X'
def rate(code):
    return {"EUR": 1.0}[code]  # the bug: the tracked table says 1.1
X
w tests/data/rates.csv <<'X'
EUR,1.1
X
w tests/conftest.py <<'X'
import json
from pathlib import Path

import pytest

HERE = Path(__file__).parent


def build_golden():
    return {k: float(v) for k, v in (l.split(",") for l in (HERE / "data/rates.csv").read_text().split())}


@pytest.fixture(scope="session")
def golden(request):
    mode = (HERE / "cache_mode.txt").read_text().strip()
    if mode == "dir":
        d = request.config.cache.mkdir("golden")
        f = d / "rates.json"
        if not f.exists():
            f.write_text(json.dumps(build_golden()))
        return json.loads(f.read_text())
    value = request.config.cache.get("golden/rates", None)
    if value is None:
        value = build_golden()
        request.config.cache.set("golden/rates", value)
    return value
X
w tests/integration/test_row.py <<'X'
from mypkg.rates import rate

def test_eur(golden):
    assert rate("EUR") == golden["EUR"]
X
echo dir > tests/cache_mode.txt
commit init
r=""
one() { local label=$1; shift
  "$PY" -m pytest -q "$@" > "$W/p-$label.out" 2>&1; local e=$?; local d; d=$(decision)
  echo "row $label: exit=$e decision=$d | $(tail -1 "$W/p-$label.out" | cut -c1-60) | $(show > "$W/s-$label.out"; grep -m1 -E 'problem' "$W/s-$label.out" | cut -c1-170)"
  [ "$d" = ready ] && r="$r $label"; }
rm -rf .pytest_cache; one z
stale() { rm -rf .pytest_cache; mkdir -p .pytest_cache/d/golden .pytest_cache/v/golden
  echo '{"EUR": 1.0}' > .pytest_cache/d/golden/rates.json
  echo '{"EUR": 1.0}' > .pytest_cache/v/golden/rates
  printf 'Signature: 8a477f597d28d172789f06886806bc55\n' > .pytest_cache/CACHEDIR.TAG; }
stale; one a
echo value > tests/cache_mode.txt; commit value
stale; one b
echo dir > tests/cache_mode.txt; commit dir
stale; one c -n 2
if echo "$r" | grep -qw z; then echo "RESULT: VACUOUS (control row z was ready)"
elif [ -n "$r" ]; then echo "RESULT: BROKEN (rows$r: a golden kept in pytest's cache by an earlier commit decided a failing test: ready)"
else echo "RESULT: HELD"; fi
