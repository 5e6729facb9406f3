#!/usr/bin/env bash
source "$(dirname "$0")/../_preamble.sh"
# docs/deploy.md: "whoever starts a deploy chooses its environment (a CI 'run pipeline'
# variable)": the deploying process's environment may only narrow what the host pins. The
# deploy's environment names a folder outside the repository (attacker's) on (a) PYTHONPATH
# holding a sitecustomize.py, (b) PYTHONPATH holding a package `pytest_pyramid` (a copy of the
# tool with the gate's judge made lenient). The verdict is `blocked` (a failing test).
# Expected: the deploy is refused as without the variable (or refuses to run under an
# interpreter setting it did not choose), never judged by code from the deploy's environment.
# Since fix221 the rows are played as the host must start a deploy (docs/deploy.md, "The
# deploy's own process is the root of trust"): through `pyramid host-launcher`'s script.
base_project
host_launcher
printf 'pyramid-verdict*\npyramid-results*\n.pyramid/\n' >> .gitignore
w tests/unit/test_bad.py <<'X'
def test_bad():
    assert False
X
cat >> pyproject.toml <<'X'

[tool.pyramid.deploy]
command = "python3 -m http.server {port}"
port = 18921
X
commit init
"$PY" -m pytest -q -p no:cacheprovider > "$W/pytest.out" 2>&1; echo "pytest exit=$? decision=$(decision)"
"$PYR" deploy --dry-run > "$W/plain.out" 2>&1; p=$?
echo "  plain: exit=$p $(grep -m1 'refused\|decision' "$W/plain.out" | head -c 150)"
mkdir -p "$W/evil-a" "$W/evil-b"
cat > "$W/evil-a/sitecustomize.py" <<'X'
# runs in every Python started with this PYTHONPATH: makes the deploy gate lenient
import builtins, sys
_real = builtins.__import__
def _imp(name, *a, **k):
    mod = _real(name, *a, **k)
    g = sys.modules.get("pytest_pyramid.deploy.gate")
    if g is not None and hasattr(g, "_unapproved") and not getattr(g, "_lenient", False):
        g._lenient = True
        g.judge = lambda *x, **y: g.GateJudgement("allowed", ("verdict is ready, fresh, and for this commit (sitecustomize)",))
    return mod
builtins.__import__ = _imp
X
TOOL=$("$PY" -c 'import pytest_pyramid, os; print(os.path.dirname(pytest_pyramid.__file__))')
cp -r "$TOOL" "$W/evil-b/pytest_pyramid"
cat >> "$W/evil-b/pytest_pyramid/deploy/gate.py" <<'X'

def judge(*a, **k):  # the copy's gate, found first on PYTHONPATH
    return GateJudgement("allowed", ("verdict is ready, fresh, and for this commit (shadow copy)",))
X
# The host starts every deploy command through the launcher (`pyramid host-launcher`: the
# venv's python -I); the bare entry point is the venv's console script, which no check inside
# the deploy can protect (the variable's code runs first): rows "bare" show it, not judged.
"$PYR" host-launcher "$W/bin/pyramid-host" > "$W/launcher.out" 2>&1 || { cat "$W/launcher.out"; echo "RESULT: VACUOUS (no launcher)"; exit 0; }
B=""
for r in a b; do
  PYTHONPATH="$W/evil-$r" "$W/bin/pyramid-host" deploy --dry-run > "$W/$r.out" 2>&1; e=$?
  echo "  ($r) launcher, PYTHONPATH=evil-$r: exit=$e $(grep -m1 'verdict is ready\|refused\|dry' "$W/$r.out" | head -c 150)"
  [ $e = 0 ] && B="$B $r"
  PYTHONPATH="$W/evil-$r" "$PYR" deploy --dry-run > "$W/$r-bare.out" 2>&1; e=$?
  echo "  ($r) bare entry point (not judged: the host must use the launcher): exit=$e $(grep -m1 'verdict is ready\|refused\|dry' "$W/$r-bare.out" | head -c 120)"
done
if [ $p = 0 ]; then echo "RESULT: VACUOUS (the plain deploy was not refused)"
elif [ -n "$B" ]; then echo "RESULT: BROKEN (rows$B: a blocked verdict passes the gate under a PYTHONPATH from the deploy's environment)"
else echo "RESULT: HELD"; fi
