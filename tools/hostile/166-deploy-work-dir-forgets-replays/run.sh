#!/usr/bin/env bash
# the shared preamble: a fresh project under this case's work/ (PY, PYR, w, commit, base_project ...)
source "$(dirname "$0")/../_preamble.sh"
# Replays (docs/deploy.md "The gate": "it is not a replay ... a newer verdict for the same commit
# was seen by this work folder's gate since (a later test run, perhaps blocked: the older verdict
# is superseded)"). CI tested commit C twice: run 1 `ready` (kept as old.json), run 2 `blocked`
# (a test failed). The deploy gate saw run 2 (refused). The attacker, who controls the deploy's
# arguments, deploys run 1's verdict: (a) plainly (refused as a replay), (b) with
# `--work-dir <a fresh folder>`, (c) with `--history <a fresh file>`.
# Expected: refused in every row (the superseded verdict stays superseded), or --redeploy asked for.
base_project
printf 'pyramid-verdict*\npyramid-results*\n.pyramid/\nold.json\n' >> .gitignore
cat >> pyproject.toml <<'X'

[tool.pyramid.deploy]
command = "python3 -m http.server {port}"
port = 18971
X
printf 'import os\n\ndef test_env():\n    assert not os.environ.get("BREAK")\n' > tests/unit/test_env.py
commit init
"$PY" -m pytest -q -p no:cacheprovider > "$W/pytest.out" 2>&1; echo "run 1: exit=$? decision=$(decision)"; cp pyramid-verdict.json old.json
sleep 1.1   # two verdicts of one commit, a second apart (created_at has whole seconds)
BREAK=1 "$PY" -m pytest -q -p no:cacheprovider > "$W/pytest.out" 2>&1; echo "run 2: exit=$? decision=$(decision)"
"$PYR" deploy --dry-run > "$W/seen.out" 2>&1; echo "  gate sees run 2: exit=$? $(grep -m1 -i 'refused\|blocked' "$W/seen.out" | head -c 120)"
"$PYR" deploy --dry-run --verdict old.json > "$W/a.out" 2>&1; a=$?
echo "  (a) run 1's verdict: exit=$a $(grep -m1 -i 'replay\|supersed\|dry run' "$W/a.out" | head -c 160)"
"$PYR" deploy --dry-run --verdict old.json --work-dir "$W/fresh" > "$W/b.out" 2>&1; b=$?
echo "  (b) --work-dir fresh: exit=$b $(grep -m1 -i 'replay\|supersed\|dry run' "$W/b.out" | head -c 160)"
"$PYR" deploy --dry-run --verdict old.json --history "$W/fresh.sqlite" > "$W/c.out" 2>&1; c=$?
echo "  (c) --history fresh: exit=$c $(grep -m1 -i 'replay\|supersed\|dry run' "$W/c.out" | head -c 160)"
r=HELD
[ $a != 0 ] && [ $b = 0 ] && r="BROKEN (row b: --work-dir forgets the verdict that superseded it)"
[ $a != 0 ] && [ $c = 0 ] && r="$r; BROKEN (row c: --history forgets it)"
[ $a = 0 ] && r="BROKEN (row a: the superseded verdict deploys plainly)"
echo "RESULT: $r"
