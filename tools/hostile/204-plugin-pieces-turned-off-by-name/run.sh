#!/usr/bin/env bash
source "$(dirname "$0")/../_preamble.sh"
# pytest-pyramid registers its pieces as plugins under names of their own ("pyramid-session",
# "pyramid-closed-world", "pyramid-timer", "pyramid-judging", "pyramid-arrival", ...).
# `-p no:NAME` blocks a name, and pluginmanager.register() of a blocked name returns None without
# a word. The integration tier has `test_timeout = "1s"`; its test swallows the timeout (bare
# `except:`) and passes after 2 s, and reads git-ignored golden data.
# Rows: (a) control: no option; (b) `-p no:pyramid-timer`; (c) `-p no:pyramid-closed-world`;
# (d) `-p no:pyramid-judging`; (e) `-p no:pyramid-arrival`; (f) `-p no:pyramid-session`;
# (g) `--disable-plugin-autoload -p pyramid` (pytest 8.4's flag for PYTEST_DISABLE_PLUGIN_AUTOLOAD).
# Expected: no row `ready` (the limit broken and the ignored file read in every row).
base_project
printf 'pyramid-verdict*\npyramid-results*\n.pyramid/\ntests/data/\n' >> .gitignore
mkdir -p tests/data; echo 42 > tests/data/expected.txt
printf '\n[tool.pyramid.tiers.integration]\ntest_timeout = "1s"\n' >> pyproject.toml
commit init
prow() { local l=$1; shift; row "$l" "$@" <<'X'
import time
from pathlib import Path

def test_row():
    end = time.monotonic() + 2
    while time.monotonic() < end:
        try:
            time.sleep(0.05)
        except:  # noqa: E722 - swallows the timeout too
            pass
    assert Path("tests/data/expected.txt").read_text().strip() == "42"
X
}
prow a
prow b -p no:pyramid-timer
prow c -p no:pyramid-closed-world
prow d -p no:pyramid-judging
prow e -p no:pyramid-arrival
prow f -p no:pyramid-session
prow g --disable-plugin-autoload -p pyramid
if echo "$BROKEN_ROWS" | grep -qw a; then echo "RESULT: VACUOUS (control row a was ready)"
elif [ -n "$BROKEN_ROWS" ]; then echo "RESULT: BROKEN (rows$BROKEN_ROWS: a piece of pytest-pyramid turned off by its name: ready)"
else echo "RESULT: HELD"; fi
