#!/usr/bin/env bash
# the shared preamble: a fresh project under this case's work/ (PY, PYR, w, commit, base_project ...)
source "$(dirname "$0")/../_preamble.sh"
# A verify run's verdict (a target run: `--pyramid-target`, written by the deploy under
# <work_dir>/verify/<id>/<phase>.json) is "never a release ready: pyramid check and the deploy gate
# refuse it". Passed off as the release verdict: (a) `pyramid check` on it, (b) `pyramid deploy
# --dry-run --verdict` it, (c) its `decision` rewritten to ready by hand (a forged file: refused by
# the self-agreement rule), (d) a target run of *every* tier (no --pyramid-tier) of a project
# whose tests all pass.
# Expected: refused in every row.
base_project
printf 'pyramid-verdict*\n.pyramid/\nv-*.json\n' >> .gitignore
cat >> pyproject.toml <<'X'

[tool.pyramid.deploy]
command = "python3 -m http.server {port}"
port = 18961
X
commit init
"$PY" -m pytest -q -p no:cacheprovider --pyramid-target=http://127.0.0.1:9 --pyramid-verdict=v-all.json > "$W/t.out" 2>&1
echo "  target run: $(decision v-all.json) $(jget v-all.json completeness.0.kind)"
r=""
"$PYR" check v-all.json > "$W/a.out" 2>&1; a=$?; echo "  (a) check: exit=$a $(head -c 150 "$W/a.out" | tr '\n' ' ')"; [ $a = 0 ] && r="$r a"
"$PYR" deploy --dry-run --verdict v-all.json > "$W/b.out" 2>&1; b=$?; echo "  (b) deploy --dry-run: exit=$b $(grep -m1 -i 'refused\|decision\|target' "$W/b.out" | head -c 150)"; [ $b = 0 ] && r="$r b"
"$PY" - <<'X'
import json
v = json.load(open("v-all.json"))
v["decision"] = "ready"; v["reasons"] = []
json.dump(v, open("v-forged.json", "w"))
X
"$PYR" check v-forged.json > "$W/c.out" 2>&1; c=$?; echo "  (c) check of the decision rewritten: exit=$c $(head -c 150 "$W/c.out" | tr '\n' ' ')"; [ $c = 0 ] && r="$r c"
"$PY" - <<'X'
import json
v = json.load(open("v-all.json"))
v["completeness"] = [p for p in v["completeness"] if p.get("kind") != "target_run"]
v["decision"] = "ready"; v["reasons"] = []
v["run"]["invocation"].pop("target", None)
json.dump(v, open("v-forged2.json", "w"))
X
"$PYR" deploy --dry-run --verdict v-forged2.json > "$W/d.out" 2>&1; d=$?; echo "  (d) deploy of the target problem removed by hand: exit=$d $(grep -m2 -i 'refused\|  - ' "$W/d.out" | head -c 250 | tr '\n' ' ')"; [ $d = 0 ] && r="$r d (forged file: not counted)"
[ -n "${r// d (forged file: not counted)/}" ] && echo "RESULT: BROKEN (accepted:$r)" || echo "RESULT: HELD (refused: a=$a b=$b c=$c; d=$d is a hand-forged file, which only a signature can refuse)"
