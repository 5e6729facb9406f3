#!/usr/bin/env bash
# the shared preamble: a fresh project under this case's work/ (PY, PYR, w, commit, base_project ...)
source "$(dirname "$0")/../_preamble.sh"
# Counts must not depend on -n: a module skipped at import, a skipped test, an xfail, an xpass, a
# parametrized test, in the unit tier. Compare tier counts serial vs -n 2 (and to pytest's own summary).
base_project
w tests/unit/test_mix.py <<'X'
import pytest

@pytest.mark.skip(reason="s")
def test_skip(): pass

@pytest.mark.xfail(reason="x")
def test_xfail(): assert False

@pytest.mark.xfail(reason="x")
def test_xpass(): pass

@pytest.mark.parametrize("i", range(3))
def test_p(i): pass
X
w tests/unit/test_modskip.py <<'X'
import pytest
pytest.skip("needs a GPU", allow_module_level=True)

def test_gpu(): pass
X
commit init
"$PY" -m pytest -q -p no:cacheprovider > "$W/s.out" 2>&1; tail -1 "$W/s.out"; cp pyramid-verdict.json "$W/serial.json"
"$PY" -m pytest -q -p no:cacheprovider -n 2 > "$W/x.out" 2>&1; tail -1 "$W/x.out"; cp pyramid-verdict.json "$W/xdist.json"
"$PY" - "$W/serial.json" "$W/xdist.json" <<'X'
import json, sys
keys = ["collected", "passed", "failed", "errors", "skipped", "skipped_modules", "xfailed", "xpassed", "never_ran", "files_on_disk"]
a, b = (json.load(open(p)) for p in sys.argv[1:])
diff = []
for t in ("unit", "integration"):
    for k in keys:
        va, vb = a["tiers"][t].get(k), b["tiers"][t].get(k)
        print(t, k, va, vb)
        if va != vb: diff.append("tiers.%s.%s serial=%s xdist=%s" % (t, k, va, vb))
for k in ("collected", "never_ran"):
    if a["run"].get(k) != b["run"].get(k): diff.append("run.%s serial=%s xdist=%s" % (k, a["run"].get(k), b["run"].get(k)))
print("decisions:", a["decision"], b["decision"])
print("RESULT: WRONG-FIELD " + "; ".join(diff) if diff else "RESULT: HELD")
X
