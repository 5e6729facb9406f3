#!/usr/bin/env bash
source "$(dirname "$0")/../_preamble.sh"
# `PYTHONPATH` entries inside the repository are allowed. Python imports `sitecustomize` (and
# `usercustomize`) from sys.path at interpreter start, before pytest, its plugins and the
# recorder's plugin part: a git-ignored `sitecustomize.py` at the top of the checkout (a
# developer's local tweak, or a CI cache) then runs in every process of the run.
# It sets a value a test relies on (a clean clone fails the test). Rows:
# (a) control: no PYTHONPATH (the file is not imported: blocked);
# (b) PYTHONPATH=. (the checkout, allowed);
# (c) PYTHONPATH=$PWD/tests (inside, allowed) with the file in tests/;
# (d) (b) under -n 2.
# Expected: (a) blocked; (b)-(d) not `ready` (an ignored file ran in the run's processes).
base_project
printf 'pyramid-verdict*\npyramid-results*\n.pyramid/\nsitecustomize.py\n' >> .gitignore
printf 'import builtins\nbuiltins.LOCAL_ANSWER = 42\n' > sitecustomize.py
cp sitecustomize.py tests/sitecustomize.py
commit init
cat > "$W/body" <<'X'
import builtins

def test_row():
    assert getattr(builtins, "LOCAL_ANSWER", None) == 42
X
row a < "$W/body"
export PYTHONPATH=.; row b < "$W/body"; unset PYTHONPATH
rm sitecustomize.py
export PYTHONPATH=$PWD/tests; row c < "$W/body"; unset PYTHONPATH
cp tests/sitecustomize.py sitecustomize.py
export PYTHONPATH=.; row d -n 2 < "$W/body"; unset PYTHONPATH
show | head -3
if echo "$BROKEN_ROWS" | grep -qw a; then echo "RESULT: VACUOUS (control row a was ready)"
elif [ -n "$BROKEN_ROWS" ]; then echo "RESULT: BROKEN (rows$BROKEN_ROWS: a git-ignored sitecustomize ran in the run's processes: ready)"
else echo "RESULT: HELD"; fi
