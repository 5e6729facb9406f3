#!/usr/bin/env bash
# the shared preamble: a fresh project under this case's work/ (PY, PYR, w, commit, base_project ...)
source "$(dirname "$0")/../_preamble.sh"
# A test reads an untracked (not ignored) data file. --pyramid-verdict points at that data file: the
# verdict overwrites it at the end and, as a run output, it is left out of the digest, so the run reads
# clean. Expected: the path existed before the run, so it stays in the digest (dirty) or the run is
# incomplete; pyramid check must not accept a clean verdict for a tree without the file.
# (Re-judged: the run writes its incomplete placeholder over the path before collection, so no test
# reads the old bytes - the test below fails, as it would on a clean clone run the same way.)
base_project
w tests/integration/test_data.py <<'X'
import json
from pathlib import Path

def test_from_data():
    data = json.loads((Path(__file__).parent / "expected.json").read_text())
    assert data.get("ok")
X
commit init
echo '{"ok": true}' > tests/integration/expected.json
"$PY" -m pytest -q -p no:cacheprovider --pyramid-verdict=tests/integration/expected.json > "$W/pytest.out" 2>&1; echo "pytest exit=$?"; tail -2 "$W/pytest.out"
V=tests/integration/expected.json
show $V | head -4; echo "excluded=$(jget $V tree.excluded)" | head -c 400; echo
check $V
[ "$(decision $V)" = ready ] && [ "$(jget $V dirty)" = false ] && echo "RESULT: BROKEN (false ready: the verdict written over an untracked data file laundered it out of the digest)" || echo "RESULT: HELD ($(decision $V) dirty=$(jget $V dirty))"
