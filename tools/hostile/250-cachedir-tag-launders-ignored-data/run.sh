#!/usr/bin/env bash
source "$(dirname "$0")/../_preamble.sh"
# The workspace rule (case 205) names a git-ignored file lying in the test folders when the
# tests start: a test can take its answer from its presence. It leaves out "a folder marked as
# a cache by a CACHEDIR.TAG". The tag is a file like any other: whoever leaves the data there
# can leave the tag beside it (an untracked file; no tool of the run wrote it).
# A failing test skips itself when ignored `tests/data/.skip-broken` exists.
# Rows: (a) control: no tag; (b) `tests/data/CACHEDIR.TAG` (empty); (c) the tag with the
# standard signature line; (d) the tag one level up in an ignored `tests/local/` holding `data/`.
# Expected: no row `ready` (a clean clone fails the test).
base_project
printf 'pyramid-verdict*\npyramid-results*\n.pyramid/\ntests/data/\ntests/local/\n' >> .gitignore
mkdir -p tests/data; touch tests/data/.skip-broken
commit init
body() { cat <<'X'
from pathlib import Path
import pytest
HERE = Path(__file__).parent.parent
def test_row():
    if (HERE / "data/.skip-broken").exists() or (HERE / "local/data/.skip-broken").exists():
        pytest.skip("known broken locally")
    assert False, "a real bug"
X
}
row a < <(body)
touch tests/data/CACHEDIR.TAG
row b < <(body)
printf 'Signature: 8a477f597d28d172789f06886806bc55\n# a cache\n' > tests/data/CACHEDIR.TAG
row c < <(body)
rm -rf tests/data; mkdir -p tests/local/data; touch tests/local/data/.skip-broken
printf 'Signature: 8a477f597d28d172789f06886806bc55\n' > tests/local/CACHEDIR.TAG
row d < <(body)
if echo "$BROKEN_ROWS" | grep -qw a; then echo "RESULT: VACUOUS (control row a was ready)"
elif [ -n "$BROKEN_ROWS" ]; then echo "RESULT: BROKEN (rows$BROKEN_ROWS: a hand-made CACHEDIR.TAG beside ignored data: ready)"
else echo "RESULT: HELD"; fi
