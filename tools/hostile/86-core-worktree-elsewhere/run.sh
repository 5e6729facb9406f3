#!/usr/bin/env bash
# the shared preamble: a fresh project under this case's work/ (PY, PYR, w, commit, base_project ...)
source "$(dirname "$0")/../_preamble.sh"
# The repository's own config has core.worktree pointing at another, clean checkout (a tooling leftover).
# The project folder's pyproject.toml was edited (its failing metric threshold removed). git -C <project>
# reads the other folder: the digest names the clean tree. Expected: not ready / incomplete.
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
git worktree add -q "$W/clean" HEAD 2>/dev/null || cp -r . "$W/clean"
rm -rf "$W/clean/.git"; cp -r . "$W/clean2" 2>/dev/null; rm -rf "$W/clean2"
(cd "$W/clean" && git checkout -q . 2>/dev/null); ls "$W/clean"
git config core.worktree "$W/clean"
"$PY" - <<'X'
import re, pathlib
p = pathlib.Path("pyproject.toml"); p.write_text(p.read_text().replace('"api.p95_ms" = "< 5"', ''))
X
echo "git status from project: $(git status --short | head -3)"; echo "toplevel: $(git rev-parse --show-toplevel)"
"$PY" -m pytest -q -p no:cacheprovider > "$W/pytest.out" 2>&1; echo "pytest exit=$?"; tail -2 "$W/pytest.out"
show | head -5; check
echo "tree.digest=$(jget pyramid-verdict.json tree.digest) dirty=$(jget pyramid-verdict.json dirty)"
(unset GIT_CONFIG_NOSYSTEM; "$PYR" check pyramid-verdict.json >/dev/null 2>&1; echo "pyramid check (plain environment) exit=$?")
[ "$(decision)" = ready ] && echo "RESULT: BROKEN (false ready, tree.digest null: core.worktree elsewhere hid an edited pyproject.toml)" || echo "RESULT: HELD ($(decision))"
