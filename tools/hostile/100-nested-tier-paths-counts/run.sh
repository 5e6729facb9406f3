#!/usr/bin/env bash
# the shared preamble: a fresh project under this case's work/ (PY, PYR, w, commit, base_project ...)
source "$(dirname "$0")/../_preamble.sh"
# A custom tier nested inside another's folder (smoke at tests/unit/smoke, longest prefix wins).
# Expected counts: unit 2 collected / 2 files on disk, smoke 1 / 1, serial and -n 2.
base_project
cat >> pyproject.toml <<'X'

[tool.pyramid.tiers.smoke]
after = "unit"
paths = ["tests/unit/smoke"]
X
w tests/unit/test_more.py <<'X'
def test_more():
    assert True
X
w tests/unit/smoke/test_s.py <<'X'
def test_s():
    assert True
X
commit init
r=HELD
for n in "" "-n 2"; do
  "$PY" -m pytest -q -p no:cacheprovider $n > "$W/o.out" 2>&1
  got="unit $(jget pyramid-verdict.json tiers.unit.collected)/$(jget pyramid-verdict.json tiers.unit.files_on_disk) smoke $(jget pyramid-verdict.json tiers.smoke.collected)/$(jget pyramid-verdict.json tiers.smoke.files_on_disk) $(decision)"
  echo "[$n] $got"; [ "$got" = "unit 2/2 smoke 1/1 ready" ] || r="BROKEN (wrong field [$n]: $got)"
done
echo "RESULT: $r"
