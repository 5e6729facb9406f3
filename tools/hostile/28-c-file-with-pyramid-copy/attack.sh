#!/usr/bin/env bash
# the shared preamble: a fresh project under this case's work/ (PY, PYR, w, commit, base_project ...)
source "$(dirname "$0")/../_preamble.sh"
# `-c FILE other than the file that holds [tool.pyramid]` is caught. Here the -c file is a TRACKED CI
# copy (ci/pyproject.toml) that holds an identical [tool.pyramid] table, but a narrower python_files.
# `--rootdir=.` keeps the project as rootdir. The e2e tier's only file fails.
# Expected: incomplete (settings are not the project's own) or blocked.
base_project
w tests/e2e/test_flow.py <<'X'
def test_flow():
    assert False, "e2e broken"
X
w ci/pyproject.toml <<'X'
[tool.pytest.ini_options]
testpaths = ["tests"]
pythonpath = ["."]
python_files = ["test_core.py", "test_int.py"]

[tool.pyramid]
source = ["mypkg"]
X
commit init
echo "--- control:"; "$PY" -m pytest -q -p no:cacheprovider > "$W/pytest0.out" 2>&1; echo "pytest exit=$? decision=$(decision)"
"$PY" -m pytest -q -p no:cacheprovider -c ci/pyproject.toml --rootdir=. > "$W/pytest.out" 2>&1; echo "pytest exit=$?"; tail -4 "$W/pytest.out"
V=pyramid-verdict.json; [ -f ci/pyramid-verdict.json ] && V=ci/pyramid-verdict.json
show $V | grep -v "tier \(contract\|perf\|secu\)"; echo "config=$(jget $V config)"; check $V
[ "$(decision $V)" = ready ] && echo "RESULT: FALSE-READY" || echo "RESULT: HELD"
