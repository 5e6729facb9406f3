#!/usr/bin/env bash
# the shared preamble: a fresh project under this case's work/ (PY, PYR, w, commit, base_project ...)
source "$(dirname "$0")/../_preamble.sh"
# The project's tracked config says strict = true (a test no tier maps is an error). A CI script adds
# -o pyramid_strict=false / -o pyramid_default_tier=unit: the unmapped test is silently put in a tier.
base_project
cat >> pyproject.toml <<'X'
strict = true
X
w tests/misc/test_misc.py <<'X'
def test_misc():
    assert True
X
commit init
"$PY" -m pytest -q -p no:cacheprovider > "$W/honest.out" 2>&1; echo "honest: exit=$? $(decision)"
r=HELD
for o in "pyramid_strict=false" "pyramid_default_tier=unit"; do
  "$PY" -m pytest -q -p no:cacheprovider -o "$o" > "$W/pytest.out" 2>&1; echo "-o $o: exit=$? $(decision)"
  [ "$(decision)" = ready ] && r="BROKEN (false ready: -o $o)"
done
show | head -4
echo "RESULT: $r"
