#!/usr/bin/env bash
source "$(dirname "$0")/../_preamble.sh"
# The workspace rule (case 205) leaves out "a folder holding a pyvenv.cfg (a virtual
# environment)". A `pyvenv.cfg` is a file like any other: whoever leaves ignored data in the
# test folders can leave one beside it. No interpreter of the run lives there.
# A failing test skips itself when ignored `tests/data/.skip-broken` exists.
# Rows: (a) control; (b) an empty `tests/data/pyvenv.cfg`; (c) `home = /usr/bin` in it;
# (d) (b) under `-n 2`.
# Expected: no row `ready` (a clean clone fails the test).
base_project
printf 'pyramid-verdict*\npyramid-results*\n.pyramid/\ntests/data/\n' >> .gitignore
mkdir -p tests/data; touch tests/data/.skip-broken
commit init
body() { cat <<'X'
from pathlib import Path
import pytest
def test_row():
    if (Path(__file__).parent.parent / "data/.skip-broken").exists():
        pytest.skip("known broken locally")
    assert False, "a real bug"
X
}
row a < <(body)
touch tests/data/pyvenv.cfg
row b < <(body)
printf 'home = /usr/bin\ninclude-system-site-packages = false\n' > tests/data/pyvenv.cfg
row c < <(body)
row d -n 2 < <(body)
if echo "$BROKEN_ROWS" | grep -qw a; then echo "RESULT: VACUOUS (control row a was ready)"
elif [ -n "$BROKEN_ROWS" ]; then echo "RESULT: BROKEN (rows$BROKEN_ROWS: a hand-made pyvenv.cfg beside ignored data: ready)"
else echo "RESULT: HELD"; fi
