#!/usr/bin/env bash
source "$(dirname "$0")/../_preamble.sh"
# A project that tests its own pytest plugin (or a tool that drives pytest) runs pytest *in
# process* from a test: `pytest.main([...])` (what `pytester.runpytest_inprocess` does). The
# inner session loads pytest-pyramid too, in the same process, with the same audit hook,
# stash-less module state and signal handlers. After it, a later test of the outer run reads
# git-ignored golden data (`tests/data/expected.txt`).
# Rows: (a) control: no inner run; (b) the inner project has no [tool.pyramid]; (c) the inner
# project has its own [tool.pyramid] (and a failing test); (d) as (c), the inner project a git
# repository of its own.
# Expected: every row `incomplete` (the outer run read a file its tree does not hold), and the
# outer verdict's counts are the outer run's (integration 3 collected, 3 passed).
base_project
printf 'pyramid-verdict*\npyramid-results*\n.pyramid/\ntests/data/\n' >> .gitignore
mkdir -p tests/data; echo 42 > tests/data/expected.txt
commit init
irow() { row "$1" <<X
import os, subprocess, pytest
from pathlib import Path

def test_a_inner(tmp_path):
    kind = "$1"
    if kind != "a":
        (tmp_path / "tests").mkdir()
        (tmp_path / "tests" / "test_inner.py").write_text("def test_x():\n    assert False\n")
        body = '[tool.pytest.ini_options]\ntestpaths = ["tests"]\n'
        if kind in "cd":
            body += '\n[tool.pyramid]\n'
        (tmp_path / "pyproject.toml").write_text(body)
        if kind == "d":
            subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
        old = os.getcwd()
        os.chdir(tmp_path)
        try:
            pytest.main([str(tmp_path), "-q", "-p", "no:cacheprovider"])
        finally:
            os.chdir(old)

def test_b_reads_golden():
    assert Path("tests/data/expected.txt").read_text().strip() == "42"
X
}
irow a; irow b; irow c; irow d
show | sed -n '1,12p'
if echo "$BROKEN_ROWS" | grep -qw a; then echo "RESULT: VACUOUS (control row a was ready)"
elif [ -n "$BROKEN_ROWS" ]; then echo "RESULT: BROKEN (rows$BROKEN_ROWS: after an in-process pytest run the outer run's reads went unjudged: ready)"
else echo "RESULT: HELD"; fi
