#!/usr/bin/env bash
source "$(dirname "$0")/../_preamble.sh"
# Round 15a, the invocation (run/invocation.py: read_sources): pytest's parser reads
# `@FILE` arguments (argparse's fromfile_prefix_chars, one argument a line), and argparse
# expands an `@FILE` line inside such a file too, and an `@FILE` word in `addopts` or
# `PYTEST_ADDOPTS`. CI scripts keep long option lists in such files; a developer's tracked
# `addopts = "@.pytest-local.args"` reads an ignored local file. The plugin reads the
# command line's `@FILE` as a source of its own (not the project's): are the other spellings
# judged the same way, and is an option an ignored file supplies through the tracked addopts
# taken as the project's own?
# The judgement-changing option: `--reruns 2` (a test that fails its first attempt passes).
# Rows: (z) control: `--reruns 2` on the command line: incomplete;
# (a) `pytest @ci/pytest.args` (tracked, holds `--reruns` / `2`);
# (b) `pytest @ci/pytest.args` whose one line is `@ci/retries.args` (tracked, holds the option);
# (c) tracked addopts = "@.pytest-local.args", the file git-ignored;
# (d) PYTEST_ADDOPTS="@ci/retries.args";
# (e) tracked addopts = "@/tmp/...args", a file outside the repository;
# (f) tracked addopts = "@ci/pytest.args" (tracked) whose line is `@/tmp/...args` (outside).
# Expected: no row `ready` (a rerun that hid a failure is not the project's tracked choice).
base_project
printf 'pyramid-verdict*\npyramid-results*\n.pyramid/\n.pytest-local.args\n' >> .gitignore
w tests/integration/test_flaky.py <<'X'
_tries = []


def test_fails_first_time():
    _tries.append(1)
    assert len(_tries) > 1, "fails on its first attempt"
X
mkdir -p ci; printf -- '--reruns\n2\n' > ci/retries.args; printf -- '@ci/retries.args\n' > ci/pytest.args
commit init
r=""
one() { local label=$1; shift
  "$PY" -m pytest -q -p no:cacheprovider "$@" > "$W/p-$label.out" 2>&1; local e=$?; local d; d=$(decision)
  show > "$W/show-$label.out"
  echo "row $label: exit=$e decision=$d | $(tail -1 "$W/p-$label.out" | cut -c1-60) | $(grep -m1 -E 'problem|reason' "$W/show-$label.out" | cut -c1-150)"
  [ "$d" = ready ] && r="$r $label"; }
one z --reruns 2
printf -- '--reruns\n2\n' > ci/pytest.args; commit a; one a @ci/pytest.args
printf -- '@ci/retries.args\n' > ci/pytest.args; commit b; one b @ci/pytest.args
printf -- '--reruns\n2\n' > .pytest-local.args
"$PY" - <<'X'
import re
p = open("pyproject.toml").read()
open("pyproject.toml", "w").write(p.replace('pythonpath = ["."]', 'pythonpath = ["."]\naddopts = "@.pytest-local.args"'))
X
commit c; one c
git checkout -q HEAD~1 -- pyproject.toml; commit c-off
PYTEST_ADDOPTS="@ci/retries.args" one d
printf -- '--reruns\n2\n' > "$W/outside.args"
sed -i "s|pythonpath = \[\".\"\]|pythonpath = [\".\"]\naddopts = \"@$W/outside.args\"|" pyproject.toml
commit e; one e
# (f) the tracked addopts names a tracked argsfile whose one line names the outside file
printf -- '@%s\n' "$W/outside.args" > ci/pytest.args
sed -i "s|addopts = \"@$W/outside.args\"|addopts = \"@ci/pytest.args\"|" pyproject.toml
commit f; one f
if echo "$r" | grep -qw z; then echo "RESULT: VACUOUS (control row z was ready)"
elif [ -n "$r" ]; then echo "RESULT: BROKEN (rows$r: --reruns from an @argsfile spelling not judged: a first-attempt failure rerun to ready)"
else echo "RESULT: HELD"; fi
