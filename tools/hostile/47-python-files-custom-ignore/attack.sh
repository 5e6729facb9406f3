#!/usr/bin/env bash
# the shared preamble: a fresh project under this case's work/ (PY, PYR, w, commit, base_project ...)
source "$(dirname "$0")/../_preamble.sh"
# The project's committed pytest config adds its own python_files pattern (check_*.py). The e2e tier's
# only file is tests/e2e/check_flow.py (failing). A CI script passes --ignore=tests/e2e.
# Expected: files_not_collected / e2e required -> incomplete.
base_project
w pyproject.toml <<'X'
[tool.pytest.ini_options]
testpaths = ["tests"]
pythonpath = ["."]
python_files = ["test_*.py", "check_*.py"]

[tool.pyramid]
source = ["mypkg"]
X
w tests/e2e/check_flow.py <<'X'
def test_flow():
    assert False, "e2e broken"
X
commit init
echo "--- control:"; "$PY" -m pytest -q -p no:cacheprovider > "$W/pytest0.out" 2>&1; echo "pytest exit=$? decision=$(decision)"
R=HELD
for opt in "--ignore=tests/e2e" "--ignore-glob=*/e2e/*" "--deselect=tests/e2e/check_flow.py::test_flow"; do
  "$PY" -m pytest -q -p no:cacheprovider $opt > "$W/pytest.out" 2>&1; echo "[$opt] pytest exit=$? decision=$(decision) e2e files_on_disk=$(jget pyramid-verdict.json tiers.e2e.files_on_disk)"
  [ "$(decision)" = ready ] && R="FALSE-READY"
done
show | grep -v "tier \(contract\|perf\|secu\)"
echo "RESULT: $R"
