#!/usr/bin/env bash
source "$(dirname "$0")/../_preamble.sh"
# `pyramid check` "takes require_signature from the table the checked commit ships, whatever
# folder it runs in". The commit's project sets `require_signature = true`; the commit also
# tracks another, reviewed project folder (an example, a fixture: `examples/demo/pyproject.toml`
# with a `[tool.pyramid]` of its own and no deploy table). An unsigned `ready` verdict of HEAD:
# (a) `pyramid check` at the top [control]; (b) the same verdict checked from `examples/demo`;
# (c) from `examples/demo` with `--commit HEAD`; (d) from an untracked folder `scratch/` holding an
# untracked pyproject.toml without require_signature (the attacker's file).
# Expected: (b)-(d) refused like (a): the checked verdict's project requires a signature.
base_project
printf 'pyramid-verdict*\npyramid-results*\n.pyramid/\nscratch/\n' >> .gitignore
cat >> pyproject.toml <<'X'

[tool.pyramid.deploy]
require_signature = true
X
w examples/demo/pyproject.toml <<'X'
[tool.pyramid]
source = ["demo"]
X
commit init
"$PY" -m pytest -q -p no:cacheprovider > "$W/pytest.out" 2>&1; echo "pytest exit=$? decision=$(decision)"
V="$W/proj/pyramid-verdict.json"
check "$V"; a=$(sed -n 's/.*exit=\([0-9]*\).*/\1/p' <<<"$(check "$V")")
B=""
for r in b c d; do
  case $r in
    b) dir=examples/demo; extra=();;
    c) dir=examples/demo; extra=(--commit HEAD);;
    d) mkdir -p scratch; printf '[tool.pyramid]\nsource = ["x"]\n' > scratch/pyproject.toml; dir=scratch; extra=();;
  esac
  out=$(cd "$dir" && "$PYR" check "$V" "${extra[@]}" 2>&1); e=$?
  echo "  ($r) from $dir ${extra[*]}: exit=$e $(head -c 220 <<<"$out" | tr '\n' ' ')"
  [ $e = 0 ] && B="$B $r"
done
if [ "$a" = 0 ]; then echo "RESULT: VACUOUS (the control passed unsigned)"
elif [ -n "$B" ]; then echo "RESULT: BROKEN (rows$B: an unsigned verdict passed pyramid check where its own project requires a signature)"
else echo "RESULT: HELD"; fi
