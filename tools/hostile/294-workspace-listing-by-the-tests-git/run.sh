#!/usr/bin/env bash
source "$(dirname "$0")/../_preamble.sh"
# The workspace listing is read when collection ends, through process functions bound at
# import (`run/workspace.py: listed`), so a test's patch of `subprocess` cannot answer for it.
# But *which* git runs is found on the PATH of `git_env()`: `os.environ["PATH"]` as the
# conftests and the test modules (imported during collection) left it. A tracked conftest that
# puts the tests' own stub `git` first on PATH at import (the code under test lists files with
# `git ls-files`; the stub answers that with nothing and hands every other command to the real
# git) answers for the listing. And what a test module looks at *during* collection (at its
# import) lies before the cut: a one-shot marker looked at and consumed at import is gone when
# the listing is taken.
# A failing test skips itself when ignored `tests/data/.skip-broken` exists.
# Rows: (a) control: the marker, no stub (incomplete, naming tests/data); (b) the tracked
# conftest prepends tracked `tests/shims/` (its `git` stubs `ls-files`); (c) no stub: the test
# module reads the marker's presence at import and deletes it ("skip once").
# Expected: no row `ready` (a clean clone fails the test).
REAL_GIT=$(command -v git)
base_project
printf 'pyramid-verdict*\npyramid-results*\n.pyramid/\ntests/data/\n' >> .gitignore
w tests/shims/git <<X
#!/bin/sh
# the tests' git: the code under test's file listing is stubbed; everything else is git's
case "\$*" in *ls-files*) exit 0 ;; esac
exec $REAL_GIT "\$@"
X
chmod +x tests/shims/git
commit init
SKIP='from pathlib import Path
import pytest
MARK = Path(__file__).parent.parent / "data/.skip-broken"
def test_row():
    if MARK.exists():
        pytest.skip("known broken locally")
    assert False, "a real bug"'
mkdir -p tests/data; touch tests/data/.skip-broken
row a <<<"$SKIP"
w conftest.py <<'X'
import os
from pathlib import Path
# the tests' own git stub comes first (tests/shims/git)
os.environ["PATH"] = f"{Path(__file__).parent / 'tests/shims'}{os.pathsep}{os.environ['PATH']}"
X
row b <<<"$SKIP"
git rm -q conftest.py; commit "no stub"
row c <<'X'
from pathlib import Path
import pytest
MARK = Path(__file__).parent.parent / "data/.skip-broken"
SKIP_ONCE = MARK.exists()
MARK.unlink(missing_ok=True)  # a one-shot marker: consumed by the run that sees it
def test_row():
    if SKIP_ONCE:
        pytest.skip("known broken locally (once)")
    assert False, "a real bug"
X
if echo "$BROKEN_ROWS" | grep -qw a; then echo "RESULT: VACUOUS (control row a was ready)"
elif [ -n "$BROKEN_ROWS" ]; then echo "RESULT: BROKEN (rows$BROKEN_ROWS: the workspace listing answered by a git the tests put on PATH / a marker looked at and removed during collection: ready)"
else echo "RESULT: HELD"; fi
