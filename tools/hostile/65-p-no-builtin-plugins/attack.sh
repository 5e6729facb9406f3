#!/usr/bin/env bash
# the shared preamble: a fresh project under this case's work/ (PY, PYR, w, commit, base_project ...)
source "$(dirname "$0")/../_preamble.sh"
# `-p no:...` is flagged "except caching/ordering/output plugins". Built-in plugins that look like
# output plugins but decide outcomes: `warnings` (applies the project's filterwarnings = error),
# `unraisableexception`, `threadexception`. The project sets filterwarnings = ["error"]; tests trigger
# a DeprecationWarning, an unraisable exception in __del__, an exception in a thread.
# Expected: each `-p no:X` -> incomplete (or the failures stay) - never ready.
base_project
w pyproject.toml <<'X'
[tool.pytest.ini_options]
testpaths = ["tests"]
pythonpath = ["."]
filterwarnings = ["error"]

[tool.pyramid]
source = ["mypkg"]
X
w mypkg/legacy.py <<'X'
import warnings, threading

def old_api():
    warnings.warn("old_api is deprecated", DeprecationWarning, stacklevel=2)
    return 1

class Leaky:
    def __del__(self):
        raise RuntimeError("resource leak in __del__")

def spawn():
    t = threading.Thread(target=lambda: 1 / 0)
    t.start(); t.join()
X
w tests/unit/test_warn.py <<'X'
from mypkg.legacy import old_api
def test_old_api():
    assert old_api() == 1
X
w tests/unit/test_unraisable.py <<'X'
import gc
from mypkg.legacy import Leaky
def test_leak():
    Leaky(); gc.collect()
X
w tests/unit/test_thread.py <<'X'
from mypkg.legacy import spawn
def test_thread():
    spawn()
X
commit init
echo "--- control:"; "$PY" -m pytest -q -p no:cacheprovider > "$W/pytest0.out" 2>&1; echo "pytest exit=$? decision=$(decision) $(tail -1 "$W/pytest0.out")"
R=""
for p in warnings unraisableexception threadexception; do
  for f in test_warn test_unraisable test_thread; do :; done
  "$PY" -m pytest -q -p no:cacheprovider -p no:$p > "$W/pytest_$p.out" 2>&1; ex=$?
  echo "[-p no:$p] pytest exit=$ex decision=$(decision) $(tail -1 "$W/pytest_$p.out") reasons=$(jget pyramid-verdict.json reasons | head -c 160)"
  [ "$(decision)" = ready ] && R="$R [-p no:$p]"
done
echo "--- all three disabled:"
"$PY" -m pytest -q -p no:cacheprovider -p no:warnings -p no:unraisableexception -p no:threadexception > "$W/pytest_all.out" 2>&1; ex=$?
echo "pytest exit=$ex decision=$(decision) $(tail -1 "$W/pytest_all.out") reasons=$(jget pyramid-verdict.json reasons | head -c 200)"
[ "$(decision)" = ready ] && R="$R [all three]"
[ -n "$R" ] && echo "RESULT: FALSE-READY with$R" || echo "RESULT: HELD"
