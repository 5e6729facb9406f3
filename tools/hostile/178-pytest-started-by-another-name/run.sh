#!/usr/bin/env bash
# the shared preamble: a fresh project under this case's work/ (PY, PYR, w, commit, base_project ...)
source "$(dirname "$0")/../_preamble.sh"
# Case 142 (a tracked `-p tests.localplugin` reads git-ignored local.json at import, before the
# recorder loads; held since stop 30 because the .pth line installs the audit hook at interpreter
# start when "the command line is pytest's") with pytest started by another spelling of its own
# entry points: (a) `python -m pytest.__main__`, (b) `python -m _pytest` ... not a module; instead
# (b) the console script copied to `bin/run-tests` (a CI wrapper name), (c) `python -c "import
# pytest, sys; sys.exit(pytest.console_main())"`, (d) control: `python -m pytest`.
# The docs name "pytest.main() from a script of one's own" as recording from the plugin's start:
# (c) is that limit by the letter; (a) is pytest's own module run with -m.
# Expected: not ready in (a) and (d); (b), (c) not ready or the limit said in the verdict.
base_project
printf 'tests/local.json\npyramid-verdict*\n' >> .gitignore
w tests/__init__.py </dev/null
w tests/localplugin.py <<'X'
import json
from pathlib import Path

import pytest

SETTINGS = json.loads((Path(__file__).parent / "local.json").read_text())

@pytest.fixture
def answer():
    return SETTINGS["answer"]
X
w tests/integration/test_answer.py <<'X'
def test_answer(answer):
    assert answer == 42
X
cat > pyproject.toml <<'X'
[tool.pytest.ini_options]
testpaths = ["tests"]
pythonpath = ["."]
addopts = "-p tests.localplugin"

[tool.pyramid]
source = ["mypkg"]
X
commit init
echo '{"answer": 42}' > tests/local.json
mkdir -p "$W/bin"; printf '#!%s\nimport sys, pytest\nsys.exit(pytest.console_main())\n' "$PY" > "$W/bin/run-tests"; chmod +x "$W/bin/run-tests"
go() { local label=$1; shift; "$@" -q -p no:cacheprovider > "$W/$label.out" 2>&1; local d; d=$(decision)
  echo "  ($label) exit=$? decision=$d $(tail -1 "$W/$label.out")"; [ "$d" = ready ] && BROKEN_ROWS="$BROKEN_ROWS $label"; rm -f pyramid-verdict.json; }
go a-m-pytest-main "$PY" -m pytest.__main__
go b-wrapper-name "$W/bin/run-tests"
go c-console-main "$PY" -c "import pytest, sys; sys.exit(pytest.console_main())"
go d-control "$PY" -m pytest
[ -n "$BROKEN_ROWS" ] && echo "RESULT: BROKEN (ready in rows:$BROKEN_ROWS: a -p plugin's ignored read before the recorder, unseen)" || echo "RESULT: HELD (no row ready)"
