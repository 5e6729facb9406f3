#!/usr/bin/env bash
source "$(dirname "$0")/../_preamble.sh"
# Case 265's rule notes a variable "read by name ... made by a file of the project"; a read whose
# immediate caller is the standard library or an installed library is "not the project's (their
# variables are the table's)". But the standard library and libraries read variables *on the
# project's behalf*, by a name the project's code chose: `os.path.expandvars("$SKIP_BROKEN")`,
# `string.Template(...).substitute(os.environ)`, click's `envvar=` on the project's own CLI.
# The name is the project's, the frame is not. The CI job sets SKIP_BROKEN=1 / ACME_FAST=1 (for
# another tool); a clean environment would not.
# Rows (each with the variable set by the job): (a) control: skipif(os.environ.get(...));
# (b) skipif(os.path.expandvars("$SKIP_BROKEN") == "1"); (c) skipif on
# string.Template("$SKIP_BROKEN").safe_substitute(os.environ) == "1"; (d) the project's click
# CLI has `--fast` with `envvar="ACME_FAST"`, which skips the check the test asserts on
# (CliRunner invokes it in process); (e) control for (d): the same CLI reading
# os.environ.get("ACME_FAST") itself.
# Expected: no row `ready` (each test fails without the variable).
base_project
printf 'pyramid-verdict*\npyramid-results*\n.pyramid/\n' >> .gitignore
w mypkg/cli.py <<'X'
import os
import click


@click.command()
@click.option("--fast", is_flag=True, envvar="ACME_FAST", help="skip the slow consistency check")
def main(fast):
    if not fast and 2 + 2 != 5:
        raise click.ClickException("inconsistent ledger")  # the real bug the check finds
    click.echo("ok")


@click.command()
def main_direct():
    if not os.environ.get("ACME_FAST") and 2 + 2 != 5:
        raise click.ClickException("inconsistent ledger")
    click.echo("ok")
X
commit init
erow() {  # erow LABEL VAR=VALUE (test body on stdin)
  local label=$1 assign=$2; w tests/integration/test_row.py; commit "row $label"
  env "$assign" "$PY" -m pytest -q -p no:cacheprovider > "$W/pytest-$label.out" 2>&1; local e=$?
  local d; d=$(decision)
  echo "row $label: pytest exit=$e decision=$d | $(tail -1 "$W/pytest-$label.out" | cut -c1-60) | $(show 2>/dev/null | grep -m1 -E 'problem|reason' | cut -c1-150)"
  [ "$d" = ready ] && BROKEN_ROWS="$BROKEN_ROWS $label"
}
erow a SKIP_BROKEN=1 <<'X'
import os, pytest
from mypkg.core import add
@pytest.mark.skipif(os.environ.get("SKIP_BROKEN") == "1", reason="known broken on CI")
def test_row():
    assert add(2, 2) == 5
X
erow b SKIP_BROKEN=1 <<'X'
import os, pytest
from mypkg.core import add
@pytest.mark.skipif(os.path.expandvars("$SKIP_BROKEN") == "1", reason="known broken on CI")
def test_row():
    assert add(2, 2) == 5
X
erow c SKIP_BROKEN=1 <<'X'
import os, string, pytest
from mypkg.core import add
@pytest.mark.skipif(string.Template("$SKIP_BROKEN").safe_substitute(os.environ) == "1", reason="known broken on CI")
def test_row():
    assert add(2, 2) == 5
X
erow d ACME_FAST=1 <<'X'
from click.testing import CliRunner
from mypkg.cli import main
def test_row():
    r = CliRunner().invoke(main, [])
    assert r.exit_code == 0, r.output
X
erow e ACME_FAST=1 <<'X'
from click.testing import CliRunner
from mypkg.cli import main_direct
def test_row():
    r = CliRunner().invoke(main_direct, [])
    assert r.exit_code == 0, r.output
X
if echo "$BROKEN_ROWS" | grep -qwE 'a|e'; then echo "RESULT: VACUOUS (a control row was ready:$BROKEN_ROWS)"
elif [ -n "$BROKEN_ROWS" ]; then echo "RESULT: BROKEN (rows$BROKEN_ROWS: a variable the project names, read by the standard library or a library on its behalf, is not noted: ready)"
else echo "RESULT: HELD"; fi
