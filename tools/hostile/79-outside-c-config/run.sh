#!/usr/bin/env bash
# the shared preamble: a fresh project under this case's work/ (PY, PYR, w, commit, base_project ...)
source "$(dirname "$0")/../_preamble.sh"
# -c points at a configuration file outside the repository that holds its own [tool.pyramid] (it is then
# "the file that holds [tool.pyramid]"). The tracked config has a metric threshold that fails.
base_project
cat >> pyproject.toml <<'X'

[tool.pyramid.thresholds]
"api.p95_ms" = "< 5"
X
w tests/unit/test_metric.py <<'X'
def test_m(pyramid_metric):
    pyramid_metric("api.p95_ms", 10)
X
commit init
"$PY" -m pytest -q -p no:cacheprovider > "$W/honest.out" 2>&1; echo "honest: $(decision)"
mkdir -p "$W/elsewhere"
cat > "$W/elsewhere/pyproject.toml" <<'X'
[tool.pytest.ini_options]
testpaths = ["tests"]
pythonpath = ["."]

[tool.pyramid]
source = ["mypkg"]
X
"$PY" -m pytest -q -p no:cacheprovider -c "$W/elsewhere/pyproject.toml" --rootdir=. > "$W/pytest.out" 2>&1; echo "pytest exit=$?"; tail -3 "$W/pytest.out"
V="$W/elsewhere/pyramid-verdict.json"; show "$V" | head -4; echo "config=$(jget "$V" config.file)"
[ "$(decision "$V")" = ready ] && echo "RESULT: BROKEN (false ready: -c of an outside file holding a laxer [tool.pyramid])" || echo "RESULT: HELD ($(decision "$V"))"
