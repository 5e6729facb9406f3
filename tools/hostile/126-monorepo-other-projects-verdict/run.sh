#!/usr/bin/env bash
# the shared preamble: a fresh project under this case's work/ (PY, PYR, w, commit, base_project ...)
source "$(dirname "$0")/../_preamble.sh"
# A repository with two projects (a/ and b/), each with its own [tool.pyramid]. a's run is ready, b's
# tests fail. pyramid check run in b/ with a's verdict (a CI path variable pointing at the wrong one).
# Expected: refused (a verdict speaks for the project whose configuration it ran), as the deploy gate.
for p in a b; do
  mkdir -p $p/tests/unit
  printf '[tool.pytest.ini_options]\ntestpaths = ["tests"]\n\n[tool.pyramid]\n' > $p/pyproject.toml
done
printf 'def test_ok():\n    assert True\n' > a/tests/unit/test_ok.py
printf 'def test_bad():\n    assert False\n' > b/tests/unit/test_bad.py
printf '__pycache__/\n.pytest_cache/\npyramid-verdict*\n' > .gitignore
commit init
(cd a && "$PY" -m pytest -q -p no:cacheprovider > "$W/a.out" 2>&1); echo "a: $(decision a/pyramid-verdict.json)"
(cd b && "$PY" -m pytest -q -p no:cacheprovider > "$W/b.out" 2>&1); echo "b: $(decision b/pyramid-verdict.json)"
(cd b && "$PYR" check ../a/pyramid-verdict.json > "$W/c.out" 2>&1); e=$?
echo "pyramid check in b/ with a's verdict: exit=$e $(head -c 250 "$W/c.out" | tr '\n' ' ')"
[ $e = 0 ] && echo "RESULT: BROKEN (another project's ready verdict passes the check of this project)" || echo "RESULT: HELD (exit $e)"
