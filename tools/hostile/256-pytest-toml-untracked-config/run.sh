#!/usr/bin/env bash
source "$(dirname "$0")/../_preamble.sh"
# pytest 9 reads `pytest.toml` / `.pytest.toml` first (before pytest.ini and pyproject.toml).
# The project's tracked configuration is pyproject.toml. An untracked or ignored pytest.toml at
# the top takes its place (a developer's local file, a CI step's generated one), and with it
# python_functions: the failing test is no longer a test.
# Rows: (a) control; (b) untracked `pytest.toml`; (c) untracked `.pytest.toml`; (d) ignored
# `pytest.toml` (listed in .gitignore); each names the same testpaths/pythonpath and
# `python_functions = ["test_add", "test_int"]`.
# Expected: (a) blocked; (b)-(d) not `ready`, or a `ready` that names the untracked file as
# part of its tree (`dirty: true`, `pyramid check` refusing it): untracked, not-ignored files
# are part of the working tree the digest names (docs/verdict.md, 6).
base_project
printf 'pyramid-verdict*\npyramid-results*\n.pyramid/\n' >> .gitignore
printf 'def test_broken():\n    assert False, "real bug"\n' > tests/integration/test_broken.py
commit init
cfg='[pytest]
testpaths = ["tests"]
pythonpath = ["."]
python_functions = ["test_add", "test_int"]
'
r=""
run() {  # run LABEL FILE
  [ -n "$2" ] && printf '%s' "$cfg" > "$2"
  "$PY" -m pytest -q -p no:cacheprovider > "$W/pytest-$1.out" 2>&1; local e=$?
  local d; d=$(decision); local dirty; dirty=$(jget pyramid-verdict.json dirty)
  check; echo "row $1 ($2): exit=$e decision=$d dirty=$dirty | $(tail -1 "$W/pytest-$1.out")"
  if [ "$d" = ready ] && { [ "$dirty" != true ] || ! grep -q "changed: .*$2" "$W/check.out"; }; then r="$r $1"; fi
  [ -n "$2" ] && rm -f "$2"
}
run a ""
run b pytest.toml
run c .pytest.toml
echo pytest.toml >> .gitignore; commit ign
run d pytest.toml
if echo "$r" | grep -qw a; then echo "RESULT: VACUOUS (control row a was ready)"
elif [ -n "$r" ]; then echo "RESULT: BROKEN (rows$r: a pytest.toml the commit does not hold replaced the tracked configuration: ready, not named)"
else echo "RESULT: HELD"; fi
