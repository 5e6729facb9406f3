#!/usr/bin/env bash
# the shared preamble: a fresh project under this case's work/ (PY, PYR, w, commit, base_project ...)
source "$(dirname "$0")/../_preamble.sh"
# A tracked conftest's pytest_pyramid_gates judges build/bundle-stats.json (the docs' own example);
# build/ is git-ignored and holds a stale file from an earlier build that passes the gate.
# Expected by the docs' design: the gate judges what it reads (an input from outside the tree, by
# design); noted, not counted as BROKEN unless the verdict hides where the number came from.
base_project
echo "build/" >> .gitignore
w tests/conftest.py <<'X'
import json
from pathlib import Path
from pytest_pyramid.gates import GateResult

def pytest_pyramid_gates(config, run):
    size = json.loads(Path(config.rootpath, "build", "bundle-stats.json").read_text())["kb"]
    return [GateResult(id="web.bundle_kb", level="block", status="pass" if size <= 250 else "fail",
                       actual=size, threshold=250, message=f"bundle {size} KiB")]
X
commit init
mkdir -p build; echo '{"kb": 100}' > build/bundle-stats.json
"$PY" -m pytest -q -p no:cacheprovider > "$W/pytest.out" 2>&1; echo "pytest exit=$?"; tail -1 "$W/pytest.out"
show | head -3; check
[ "$(decision)" = ready ] && echo "RESULT: HELD (ready by design: a conftest gate judges the file it reads; see FINDINGS-round3.md)" || echo "RESULT: HELD ($(decision))"
