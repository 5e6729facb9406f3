#!/usr/bin/env bash
source "$(dirname "$0")/../_preamble.sh"
# Case 254's fix: the environment the gates and the run identity read is taken in
# `pytest_load_initial_conftests`, before the first conftest is imported. A plugin module of
# the project's own, named by the tracked `addopts = "-p ..."` (the pytest-env pattern written
# in-house: a module that sets the test environment at import), is imported earlier, at
# pytest's argument pre-parse; so is the hook of a tracked plugin that runs `tryfirst` in
# `pytest_load_initial_conftests`.
# Rows (the run is started outside CI, no PYRAMID_RUN_ID in the job):
# (a) control: the tracked root conftest sets `PYRAMID_RUN_ID=conftest-run` (case 254: HELD);
# (b) tracked `envplug.py` at the top, `addopts = "-p envplug"`, sets it at import;
# (c) envplug sets it in a `pytest_load_initial_conftests(tryfirst=True)` hook;
# (d) (b) with `GITHUB_ACTIONS=true GITHUB_RUN_ID=999 GITHUB_RUN_ATTEMPT=1`.
# Expected: no row's `run_id` is the plugin's (the job named none).
base_project
printf 'pyramid-verdict*\npyramid-results*\n.pyramid/\n' >> .gitignore
commit init
prow() {  # prow LABEL ADDOPTS (envplug body on stdin; conftest.py from $CONFTEST)
  local label=$1 addopts=$2; w envplug.py; printf '%s\n' "${CONFTEST:-}" > conftest.py
  "$PY" - "$addopts" <<'X'
import pathlib, sys
p = pathlib.Path("pyproject.toml"); lines = [l for l in p.read_text().splitlines() if not l.startswith("addopts")]
i = lines.index("[tool.pytest.ini_options]") + 1
if sys.argv[1]: lines.insert(i, f'addopts = "{sys.argv[1]}"')
p.write_text("\n".join(lines) + "\n")
X
  commit "row $label"
  "$PY" -m pytest -q -p no:cacheprovider > "$W/pytest-$label.out" 2>&1; local e=$?
  local rid; rid=$(jget pyramid-verdict.json run_id)
  echo "row $label: pytest exit=$e decision=$(decision) run_id=$rid | $(show 2>/dev/null | grep -m1 -E 'problem|reason' | cut -c1-120)"
  case "$rid" in *plugin-run*|*conftest-run*|*999*) BROKEN_ROWS="$BROKEN_ROWS $label";; esac
}
CONFTEST='import os
os.environ["PYRAMID_RUN_ID"] = "conftest-run"' prow a "" </dev/null
prow b "-p envplug" <<'X'
import os
os.environ["PYRAMID_RUN_ID"] = "plugin-run"
X
prow c "-p envplug" <<'X'
import os
import pytest
@pytest.hookimpl(tryfirst=True)
def pytest_load_initial_conftests(early_config, parser, args):
    os.environ["PYRAMID_RUN_ID"] = "plugin-run"
X
prow d "-p envplug" <<'X'
import os
os.environ.update(GITHUB_ACTIONS="true", GITHUB_RUN_ID="999", GITHUB_RUN_ATTEMPT="1")
X
if echo "$BROKEN_ROWS" | grep -qw a; then echo "RESULT: VACUOUS (control row a took the conftest's run_id)"
elif [ -n "$BROKEN_ROWS" ]; then echo "RESULT: BROKEN (rows$BROKEN_ROWS: a tracked -p plugin's environment, set before the snapshot, is the verdict's run identity)"
else echo "RESULT: HELD"; fi
