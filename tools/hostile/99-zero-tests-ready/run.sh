#!/usr/bin/env bash
# the shared preamble: a fresh project under this case's work/ (PY, PYR, w, commit, base_project ...)
source "$(dirname "$0")/../_preamble.sh"
# Misconfiguration: the tracked [tool.pyramid] exclude lists every test file (a glob meant for fixtures,
# written too wide). Nothing is expected, nothing runs. Also: a tracked testpaths naming a folder that
# does not exist. Expected: never ready with zero tests run (the promise: the run ran and passed the
# project's own tests).
base_project
w tests/integration/test_int.py <<'X'
def test_int():
    assert False
X
printf '[tool.pytest.ini_options]\ntestpaths = ["tests"]\npythonpath = ["."]\n\n[tool.pyramid]\nsource = ["mypkg"]\nexclude = ["tests/**"]\n' > pyproject.toml
commit init
r=HELD
"$PY" -m pytest -q -p no:cacheprovider > "$W/a.out" 2>&1; echo "exclude tests/**: exit=$? $(decision) collected=$(jget pyramid-verdict.json run.collected)"; tail -2 "$W/a.out"
[ "$(decision)" = ready ] && r="BROKEN (false ready with $(jget pyramid-verdict.json run.collected) tests collected: exclude = [tests/**])"
printf '[tool.pytest.ini_options]\ntestpaths = ["test"]\npythonpath = ["."]\n\n[tool.pyramid]\nsource = ["mypkg"]\n' > pyproject.toml; commit t
"$PY" -m pytest -q -p no:cacheprovider > "$W/b.out" 2>&1; echo "testpaths=[test]: exit=$? $(decision)"; tail -2 "$W/b.out"
[ "$(decision)" = ready ] && r="BROKEN (false ready: testpaths names a missing folder)"
rm -f pyramid-verdict.json pyramid-verdict.results.json
printf '[tool.pytest.ini_options]\ntestpaths = ["mypkg"]\npythonpath = ["."]\n\n[tool.pyramid]\nsource = ["mypkg"]\nexclude = ["tests/**"]\n' > pyproject.toml; commit c
"$PY" -m pytest -q -p no:cacheprovider > "$W/c.out" 2>&1; echo "testpaths=[mypkg] + exclude tests/**: exit=$? $(decision) collected=$(jget pyramid-verdict.json run.collected)"; tail -1 "$W/c.out"
[ "$(decision)" = ready ] && r="BROKEN (false ready with $(jget pyramid-verdict.json run.collected) tests collected: testpaths=[mypkg], exclude = [tests/**])"
show | head -3
echo "RESULT: $r"
