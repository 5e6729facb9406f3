#!/usr/bin/env bash
source "$(dirname "$0")/../_preamble.sh"
# Case 253's fix judges the dynamic loader's LD_ variables; the changelog tells a CI image that
# sets LD_LIBRARY_PATH for its Python to allow it by name (tracked `allow_options =
# ["LD_LIBRARY_PATH"]`). The allowance is by name, whatever the value: unlike PYTHONPATH,
# whose entries inside or outside the repository are judged. A job (or a developer's shell)
# that points it into the repository's git-ignored build folder hands the tests a stale native
# library: `ctypes.CDLL("libanswer.so")` names no path, the loader finds it, and the closed
# world's `ctypes.dlopen` event names only "libanswer.so" (resolved against the working folder:
# no such file).
# Rows: (a) control: not allowed (incomplete, naming LD_LIBRARY_PATH); (b) allowed by the
# tracked table, the value `<repo>/build/lib` (ignored, holding the stale libanswer.so);
# (c) control for (b): the test loads the ignored library by its path (case 131's rule).
# Expected: no row `ready` (a clean clone fails: no such library).
base_project
printf 'pyramid-verdict*\npyramid-results*\n.pyramid/\nbuild/\n' >> .gitignore
mkdir -p build/lib
printf 'int answer(void) { return 42; }\n' > "$W/answer.c"
gcc -shared -fPIC -o build/lib/libanswer.so "$W/answer.c" || { echo "RESULT: VACUOUS (no compiler)"; exit; }
commit init
BODY='import ctypes
def test_row():
    assert ctypes.CDLL("libanswer.so").answer() == 42'
export LD_LIBRARY_PATH="$PWD/build/lib"
row a <<<"$BODY"
printf 'allow_options = ["LD_LIBRARY_PATH"]  # the CI image'"'"'s Python needs it\n' >> pyproject.toml
row b <<<"$BODY"
row c <<'X'
import ctypes
from pathlib import Path
def test_row():
    lib = Path(__file__).resolve().parents[2] / "build/lib/libanswer.so"
    assert ctypes.CDLL(str(lib)).answer() == 42
X
unset LD_LIBRARY_PATH
if echo "$BROKEN_ROWS" | grep -qwE 'a|c'; then echo "RESULT: VACUOUS (a control row was ready:$BROKEN_ROWS)"
elif [ -n "$BROKEN_ROWS" ]; then echo "RESULT: BROKEN (rows$BROKEN_ROWS: LD_LIBRARY_PATH allowed by name pointed into the ignored build folder; a library loaded by its soname was not named: ready)"
else echo "RESULT: HELD"; fi
