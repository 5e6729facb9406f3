#!/usr/bin/env bash
# the shared preamble: a fresh project under this case's work/ (PY, PYR, w, commit, base_project ...)
source "$(dirname "$0")/../_preamble.sh"
# Prefixes of long options (argparse abbreviations): --pyramid-diff=HEAD, --deselec, --cov-app,
# --ignore-g. Each must be judged as the option it abbreviates (or refused).
base_project
w mypkg/new.py <<'X'
def new(x):
    if x:
        return 1
    return 2
X
w tests/integration/test_fail.py <<'X'
def test_fail():
    assert False
X
cat >> pyproject.toml <<'X'
[tool.pyramid.coverage]
changed_lines = 100
base = "main"
X
commit init
git checkout -q -b feature; printf 'def more():\n    return 3\n' >> mypkg/new.py; commit feature
r=HELD
for args in "--pyramid-diff=HEAD" "--deselec=tests/integration/test_fail.py::test_fail" "--ignore-g=*fail*" "--desel tests/integration/test_fail.py::test_fail"; do
  "$PY" -m pytest -q -p no:cacheprovider --cov=mypkg $args > "$W/pytest.out" 2>&1; e=$?
  d=$(decision); echo "  $args: exit=$e decision=$d $(grep -m1 -o 'error: .*' "$W/pytest.out" | head -c 120)"
  [ "$d" = ready ] && r="BROKEN (false ready with $args)"
done
echo "RESULT: $r"
