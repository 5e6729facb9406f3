#!/usr/bin/env bash
# the shared preamble: a fresh project under this case's work/ (PY, PYR, w, commit, base_project ...)
source "$(dirname "$0")/../_preamble.sh"
# A monorepo whose services share one configuration by a tracked symlink (a common way to keep
# settings alike): `services/b/pyproject.toml -> ../a/pyproject.toml`. Service b's run (in
# services/b, b's own tests and code) writes a verdict; it is then checked as service a's
# (`pyramid check` in services/a). Service a's own tests fail. Both use
# the repository's shared `libs/common` (pythonpath inside the repository).
# Expected: b's verdict says project "services/b" (the folder the run's configuration was found
# in) and is written in services/b, so service a's check (of services/a/pyramid-verdict.json) has no
# ready verdict to read, or refuses b's.
base_project
rm -rf mypkg tests pyproject.toml
printf 'pyramid-verdict*\npyramid-results*\n' >> .gitignore
mkdir -p libs/common; printf 'def add(a, b):\n    return a + b\n' > libs/common/calc.py
for s in a b; do
  mkdir -p services/$s/tests/unit services/$s/tests/integration
  printf 'from calc import add\n\ndef test_add():\n    assert add(1, 2) == 3\n' > services/$s/tests/unit/test_core.py
  printf 'from calc import add\n\ndef test_int():\n    assert add(2, 2) == 4\n' > services/$s/tests/integration/test_int.py
done
printf 'def test_a_only():\n    assert False, "service a is broken"\n' > services/a/tests/unit/test_a.py
w services/a/pyproject.toml <<'X'
[tool.pytest.ini_options]
testpaths = ["tests"]
pythonpath = ["../../libs/common"]

[tool.pyramid]
X
ln -s ../a/pyproject.toml services/b/pyproject.toml
commit init
(cd services/b && "$PY" -m pytest -q -p no:cacheprovider > "$W/pytest.out" 2>&1; echo "b's run: pytest exit=$?"; grep "verdict written" "$W/pytest.out")
for s in a b; do echo "  services/$s/pyramid-verdict.json: decision=$(decision services/$s/pyramid-verdict.json) project=$(jget services/$s/pyramid-verdict.json project)"; done
(cd services/a && check)
(cd services/a && "$PYR" check >/dev/null 2>&1); e=$?
[ $e = 0 ] && echo "RESULT: BROKEN (service b's run wrote services/a/pyramid-verdict.json, which passes service a's check: project $(jget services/a/pyramid-verdict.json project))" || echo "RESULT: HELD (check in services/a exit $e)"
