#!/usr/bin/env bash
source "$(dirname "$0")/../_preamble.sh"
# git tracks files, not folders: an empty folder is neither tracked, untracked nor ignored, so
# no listing (`git ls-files --others`, `git status`, `git clean -ndX`) shows it. A test can take
# its answer from one: the code under test writes into tests/fixtures/outbox/ and expects it to
# exist (a clean clone has no such folder: FileNotFoundError); the folder was left by a local
# run or a CI step (`mkdir -p`).
# The promise (point 7, hostile case 205): "the workspace is allow-listed rather than those
# calls chased": what lies in the test folders and is not the tree's makes the run incomplete;
# `tree.digest` names the working tree as tested.
# Rows: (a) control: the folder holds an untracked `.keep` (dirty: pyramid check refuses);
# (b) the folder is empty; (c) the folder is empty and lies at the top (outside the test
# folders: docs say only what is read is judged there).
# Expected: no row a clean `ready` that pyramid check accepts.
base_project
printf 'pyramid-verdict*\npyramid-results*\n.pyramid/\n' >> .gitignore
w mypkg/outbox.py <<'X'
from pathlib import Path


def deliver(folder, name, text):
    (Path(folder) / name).write_text(text)  # the bug: never creates the folder
    return Path(folder) / name
X
w tests/integration/test_outbox.py <<'X'
from mypkg.outbox import deliver
def test_deliver(tmp_path):
    p = deliver("tests/fixtures/outbox", "m.txt", "hi")
    assert p.read_text() == "hi"
    p.unlink()
X
commit init
BROKEN=""
runrow() {
  "$PY" -m pytest -q -p no:cacheprovider > "$W/pytest-$1.out" 2>&1; local e=$?
  local d; d=$(decision); local c; "$PYR" check pyramid-verdict.json > "$W/check-$1.out" 2>&1; c=$?
  echo "row $1: pytest exit=$e decision=$d dirty=$(jget pyramid-verdict.json dirty) check exit=$c | $(tail -1 "$W/pytest-$1.out" | cut -c1-50) | $(show 2>/dev/null | grep -m1 -E 'problem' | cut -c1-140)"
  [ "$d" = ready ] && [ "$c" = 0 ] && BROKEN="$BROKEN $1"
}
mkdir -p tests/fixtures/outbox; touch tests/fixtures/outbox/.keep; runrow a
rm tests/fixtures/outbox/.keep; runrow b
rm -rf tests/fixtures
sed -i 's#tests/fixtures/outbox#outbox#' tests/integration/test_outbox.py; commit top
mkdir -p outbox; runrow c
rmdir outbox; "$PY" -m pytest -q -p no:cacheprovider > "$W/pytest-clean.out" 2>&1
echo "a clean clone: decision=$(decision) | $(tail -1 "$W/pytest-clean.out")"
if echo "$BROKEN" | grep -qw a; then echo "RESULT: VACUOUS (the control row passed the check)"
elif [ -n "$BROKEN" ]; then echo "RESULT: BROKEN (rows$BROKEN: an empty folder the test depends on is in no git listing: clean ready for a workspace a clean clone is not)"
else echo "RESULT: HELD"; fi
