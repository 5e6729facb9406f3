#!/usr/bin/env bash
source "$(dirname "$0")/../_preamble.sh"
# "its commit is the commit being deployed (--commit, default HEAD)" and "it tested that commit's
# tree". C1 is ready (its verdict); C2 on top breaks the code (no verdict of its own). The
# deploy's arguments: `--verdict <C1's verdict>` and (a) `--commit <C1>` [control: allowed],
# (b) `--commit <C1's tree id>`, (c) `--commit C1^{tree}`, (d) `--commit v1` (an annotated tag
# object naming C1) [allowed], (e) `--commit <C2>`, (f) `--commit "HEAD@{1}"`... at C2 that is C1
# [allowed], (g) `--commit <C1 in capitals>`, (h) `--commit ":/break"` (the commit whose message
# matches: C2), (i) `--commit "<C1>^{/init}"`, (j) `--commit "<C1>..<C2>"` (a range).
# Expected: a plan ships C1's tree exactly when one is allowed; every other row refused (exit != 0).
base_project
host_launcher
printf 'pyramid-verdict*\npyramid-results*\n.pyramid/\n' >> .gitignore
cat >> pyproject.toml <<'X'

[tool.pyramid.deploy]
command = "python3 -m http.server {port}"
port = 18931
X
commit init
"$PY" -m pytest -q -p no:cacheprovider > "$W/pytest.out" 2>&1; echo "pytest exit=$? decision=$(decision)"
cp pyramid-verdict.json "$W/c1-verdict.json"
C1=$(git rev-parse HEAD); T1=$(git rev-parse "HEAD^{tree}")
git tag -a v1 -m v1
printf 'def add(a, b):\n    return a - b\n' > mypkg/core.py; commit "break it"
C2=$(git rev-parse HEAD)
UP=$(echo "$C1" | tr a-f A-F)
B=""
rowc() { local label=$1 want=$2; shift 2
  "$PYR" deploy --dry-run --verdict "$W/c1-verdict.json" --commit "$@" > "$W/$label.out" 2>&1; local e=$?
  local ships; ships=$(grep -o 'clean checkout of [0-9a-f]*' "$W/$label.out" | head -1 | cut -c19-30)
  echo "  ($label) --commit $* : exit=$e ${ships:+ships $ships }$(grep -v 'WARNING\|trust anchors' "$W/$label.out" | grep -m1 -i 'refused\|  - \|error\|verdict is' | head -c 130)"
  if [ $e = 0 ] && { [ "$want" = no ] || [ "${ships}" != "${C1:0:12}" ]; }; then B="$B $label"; fi
}
rowc a yes "$C1"
rowc b no "$T1"
rowc c no "$C1^{tree}"
rowc d yes v1
rowc e no "$C2"
rowc f yes "HEAD@{1}"
rowc g yes "$UP"
rowc h no ":/break"
rowc i yes "$C1^{/init}"
rowc j no "$C1..$C2"
[ -n "$B" ] && echo "RESULT: BROKEN (rows$B: planned without shipping C1's tree exactly)" || echo "RESULT: HELD"
