#!/usr/bin/env bash
source "$(dirname "$0")/../_preamble.sh"
# Round 14 on the coverage figure "the project's configuration defines" (gates/cov/measure.py:
# configured_branch, hostile case 357). coverage.py expands environment variables in its
# configuration's values (`${NAME-default}`, documented). A tracked `.coveragerc` that lets a
# developer's shell tune measurement (`omit = ${COV_OMIT-}`, `branch = ${COV_BRANCH-false}`)
# hands the figure the gate judges to whatever the CI job's environment holds; the read is
# coverage's own (an installed package, not a project frame), and the names are outside the
# COVERAGE_ namespace the run judges as set.
# Rows: (z) control: no variable: blocked by coverage.total (72% < 76); (a) COV_OMIT=*/export.py
# from the job: the uncovered module leaves the figure; (b) COV_BRANCH=true from the job:
# covered branches lift the total (357's route, through the file); (c) (a) under -n 2.
# Expected: no row `ready` (a job's variable, not the tracked configuration's text, decided the
# coverage gate).
base_project
printf 'pyramid-verdict*\n.pyramid/\n.coverage\n.coverage.*\n' >> .gitignore
cat >> pyproject.toml <<'X'

[tool.pyramid.coverage]
total = 76
X
w .coveragerc <<'X'
[run]
omit = ${COV_OMIT-}
branch = ${COV_BRANCH-false}
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
X
w mypkg/export.py <<'X'
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
ENVS=('COV_OMIT=*/export.py')
one a --cov
ENVS=(COV_BRANCH=true)
one b --cov
ENVS=('COV_OMIT=*/export.py')
one c --cov -n 2
if echo "$r" | grep -qw z; then echo "RESULT: VACUOUS (control row z was ready)"
elif [ -n "$r" ]; then echo "RESULT: BROKEN (rows$r: a job's variable expanded in the tracked coverage configuration decided coverage.total: ready)"
else echo "RESULT: HELD"; fi
