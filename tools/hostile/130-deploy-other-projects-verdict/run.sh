#!/usr/bin/env bash
# the shared preamble: a fresh project under this case's work/ (PY, PYR, w, commit, base_project ...)
source "$(dirname "$0")/../_preamble.sh"
# 126 through pyramid deploy's verdict check: b's deploy (--dry-run) given a's ready verdict of the
# same commit. Expected: refused (the verdict is not b's).
for p in a b; do
  mkdir -p $p/tests/unit
  printf '[tool.pytest.ini_options]\ntestpaths = ["tests"]\n\n[tool.pyramid]\n\n[tool.pyramid.deploy]\ncommand = "python3 -m http.server {port}"\n' > $p/pyproject.toml
done
printf 'def test_ok():\n    assert True\n' > a/tests/unit/test_ok.py
printf 'def test_bad():\n    assert False\n' > b/tests/unit/test_bad.py
printf '__pycache__/\n.pytest_cache/\npyramid-verdict*\n.pyramid/\n' > .gitignore
commit init
(cd a && "$PY" -m pytest -q -p no:cacheprovider > "$W/a.out" 2>&1); echo "a: $(decision a/pyramid-verdict.json)"
(cd b && "$PY" -m pytest -q -p no:cacheprovider > "$W/b.out" 2>&1); echo "b: $(decision b/pyramid-verdict.json)"
(cd b && "$PYR" deploy --dry-run --verdict ../a/pyramid-verdict.json --trust-first-checkout > "$W/d.out" 2>&1); e=$?
echo "pyramid deploy --dry-run in b/ with a's verdict: exit=$e"; head -c 600 "$W/d.out"; echo
[ $e = 0 ] && echo "RESULT: BROKEN (b's deploy gate passed on a's verdict)" || echo "RESULT: HELD (exit $e)"
