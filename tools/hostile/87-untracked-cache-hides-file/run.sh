#!/usr/bin/env bash
# the shared preamble: a fresh project under this case's work/ (PY, PYR, w, commit, base_project ...)
source "$(dirname "$0")/../_preamble.sh"
# git's untracked cache trusts directory mtimes. A new untracked (not ignored) data file the test needs is
# added and its directory's mtime put back: git status no longer lists it. Expected: the verdict is
# dirty (or incomplete), never a clean ready for a tree without the file.
base_project
w tests/integration/test_data.py <<'X'
import json
from pathlib import Path

def test_from_data():
    assert json.loads((Path(__file__).parent / "expected.json").read_text())["ok"]
X
commit init
git config core.untrackedCache true; git update-index --untracked-cache; git status --short >/dev/null
m=$(stat -c %y tests/integration)
echo '{"ok": true}' > tests/integration/expected.json
touch -d "$m" tests/integration
echo "git status: [$(git status --short --untracked-files=all)]"
"$PY" -m pytest -q -p no:cacheprovider > "$W/pytest.out" 2>&1; echo "pytest exit=$?"; tail -2 "$W/pytest.out"
show | head -4; check
[ "$(decision)" = ready ] && [ "$(jget pyramid-verdict.json dirty)" = false ] && echo "RESULT: BROKEN (false ready: clean verdict, the untracked data file hidden by the untracked cache)" || echo "RESULT: HELD ($(decision) dirty=$(jget pyramid-verdict.json dirty))"
