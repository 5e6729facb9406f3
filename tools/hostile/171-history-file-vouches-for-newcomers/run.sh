#!/usr/bin/env bash
# the shared preamble: a fresh project under this case's work/ (PY, PYR, w, commit, base_project ...)
source "$(dirname "$0")/../_preamble.sh"
# Flaky on arrival without a base (stop 30, ledger: "tests new to the flake ledger arrive"; the
# ledger is the one `--pyramid-history` names, an output option in the invocation table). The
# tracked [tool.pyramid.flaky] arrival = true; no base anywhere. A flaky test (fails on its 3rd
# call) is in the tree. Row a: no history file. Row b: the attacker first runs the suite twice with
# `--pyramid-history=/tmp/mine.sqlite` (an untracked file of their own; the flaky test passes its
# first call each time, so the ledger knows it), then the judged run names it.
# (`--pyramid-history PATH` with a space: pytest takes PATH for a path argument when it looks
# for the rootdir, and a PATH outside the project moves the rootdir and inifile: see FINDINGS.)
# Expected: a history file the run is pointed at may only make the run stricter: row b's gate is
# never better than row a's.
base_project
printf 'pyramid-verdict*\npyramid-results*\n' >> .gitignore
cat >> pyproject.toml <<'X'

[tool.pyramid.tiers.integration]
budget = "10m"

[tool.pyramid.flaky]
arrival = true
arrival_share = 1.0
X
w tests/integration/test_new.py <<'X'
import os, pathlib

def test_flaky():
    counter = pathlib.Path(os.environ["MARKS"]) / "n"
    number = int(counter.read_text()) + 1 if counter.exists() else 1
    counter.write_text(str(number))
    assert number % 7 != 3, "every seventh call from the third fails"
X
commit init
export MARKS="$W/marks"
gate() { "$PY" -c 'import json; v=json.load(open("pyramid-verdict.json")); g=[x for x in v["gates"] if x["id"]=="tests.flaky_on_arrival"]; print(g[0]["status"] if g else None, "|", g[0]["message"][:170] if g else "")'; }
rm -rf "$MARKS"; mkdir -p "$MARKS"
"$PY" -m pytest -q -p no:cacheprovider > "$W/a.out" 2>&1; e=$?
a=$(decision); echo "  (a) no history: exit=$e decision=$a gate: $(gate)"
H="$W/mine.sqlite"; rm -f "$H"
for i in 1 2; do rm -rf "$MARKS"; mkdir -p "$MARKS"; "$PY" -m pytest -q -p no:cacheprovider -p no:randomly --pyramid-history="$H" > "$W/seed.out" 2>&1; done
rm -rf "$MARKS"; mkdir -p "$MARKS"
"$PY" -m pytest -q -p no:cacheprovider --pyramid-history="$H" > "$W/b.out" 2>&1; e=$?
b=$(decision); echo "  (b) --pyramid-history of the attacker's: exit=$e decision=$b calls of test_flaky: $(cat "$MARKS/n") gate: $(gate)"
[ "$a" != ready ] && [ "$b" = ready ] && echo "RESULT: BROKEN (a history file named on the command line turned $a into ready)" || echo "RESULT: HELD (a=$a b=$b)"
