#!/usr/bin/env bash
# the shared preamble: a fresh project under this case's work/ (PY, PYR, w, commit, base_project ...)
source "$(dirname "$0")/../_preamble.sh"
# A quarantine entry names a folder (`test = "tests/integration"`), not a test or a module: does it
# excuse every test under it? Two variants: (a) 3 integration tests, one failing; (b) the same
# entry, written as the module's parent package id `tests/integration/` with a trailing slash.
# Expected: an entry excuses only the test, module or class it names; a folder entry either
# excuses nothing or counts every test under it against max_share (the gate fails).
base_project
for i in 1 2; do printf 'def test_i%s():\n    assert True\n' $i > tests/integration/test_i$i.py; done
printf 'def test_broken():\n    assert False, "real bug"\n' > tests/integration/test_broken.py
cat >> pyproject.toml <<'X'

[[tool.pyramid.quarantine]]
test = "tests/integration"
owner = "alice"
expires = 2099-12-31
reason = "flaky infra"
X
printf 'pyramid-verdict*\n' >> .gitignore
commit init
"$PY" -m pytest -q -p no:cacheprovider > "$W/pytest.out" 2>&1; echo "a: pytest exit=$?"; tail -1 "$W/pytest.out"
show | head -4; a=$(decision)
sed -i 's|test = "tests/integration"|test = "tests/integration/"|' pyproject.toml; commit b
"$PY" -m pytest -q -p no:cacheprovider > "$W/pytest.out" 2>&1; echo "b: pytest exit=$?"; tail -1 "$W/pytest.out"
show | head -4; b=$(decision)
[ "$a" = ready ] || [ "$b" = ready ] && echo "RESULT: BROKEN (a folder quarantine entry excused a failure: a=$a b=$b)" || echo "RESULT: HELD (a=$a b=$b)"
