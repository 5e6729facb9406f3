#!/usr/bin/env bash
source "$(dirname "$0")/../_preamble.sh"
# Round 13a, CI options and coverage (run/invocation.py: `--cov-branch` is classed with the
# other --cov* options as "coverage measurement and its reports": outcome-preserving). The
# coverage gates count (lines covered + branches covered) / (statements + branches). Branch
# measurement is not only a stricter view: fully covered branchy code adds covered branches to
# both sides, lifting a total that uncovered straight-line code keeps under the threshold. The
# project's tracked configuration measures lines (`branch` unset); a CI script that adds
# `--cov-branch` changes the figure the gate judges.
# Rows: (z) control: `--cov` (lines): blocked by coverage.total; (a) `--cov --cov-branch` on
# the command line; (b) the same through PYTEST_ADDOPTS; (c) (a) under -n 2.
# Expected: no row `ready` (a CI option, not the project's settings, decided the coverage gate).
base_project
printf 'pyramid-verdict*\n.pyramid/\n.coverage*\n' >> .gitignore
cat >> pyproject.toml <<'X'

[tool.pyramid.coverage]
total = 76
X
w mypkg/core.py <<'X'
def add(a, b):
    return a + b


def classify(n):
    if n < 0:
        return "neg"
    if n == 0:
        return "zero"
    if n < 10:
        return "small"
    if n < 100:
        return "medium"
    return "large"


def export_csv(rows):
    header = "a,b"
    body = [f"{r[0]},{r[1]}" for r in rows]
    text = "\n".join([header, *body])
    size = len(text)
    return text, size
X
w tests/unit/test_classify.py <<'X'
from mypkg.core import classify

def test_classify():
    assert [classify(n) for n in (-1, 0, 5, 50, 500)] == ["neg", "zero", "small", "medium", "large"]
X
commit init
r=""
one() { local label=$1; shift
  env "${ENVS[@]}" "$PY" -m pytest -q -p no:cacheprovider "$@" > "$W/p-$label.out" 2>&1; local e=$?; local d; d=$(decision)
  echo "row $label: exit=$e decision=$d coverage=$(jget pyramid-verdict.json coverage.percent) branch=$(jget pyramid-verdict.json coverage.branch) | $(show > "$W/s-$label.out"; grep -m1 -E 'reason|problem' "$W/s-$label.out" | cut -c1-140)"
  [ "$d" = ready ] && r="$r $label"; }
ENVS=(X_UNUSED=1)
one z --cov
one a --cov --cov-branch
ENVS=(PYTEST_ADDOPTS=--cov-branch)
one b --cov
ENVS=(X_UNUSED=1)
one c --cov --cov-branch -n 2
if echo "$r" | grep -qw z; then echo "RESULT: VACUOUS (control row z was ready)"
elif [ -n "$r" ]; then echo "RESULT: BROKEN (rows$r: --cov-branch from CI lifted coverage.total over the threshold: ready)"
else echo "RESULT: HELD"; fi
