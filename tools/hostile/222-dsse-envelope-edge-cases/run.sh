#!/usr/bin/env bash
source "$(dirname "$0")/../_preamble.sh"
# The host pins CI's key. The attacker has no CI key but writes the verdict's envelope file
# (an untracked file in the checkout), and holds mallory's key. Verdict `ready` (the attacker's
# own run, outside CI). Rows, each an envelope next to the verdict (dry runs):
# (a) mallory's signature, its keyid set to CI's key id;
# (b) two signatures: mallory's valid one, then one naming CI's keyid with a random signature;
# (c) two lines in the .intoto.jsonl: mallory's envelope, then a CI envelope of ANOTHER verdict
#     (CI's honest `blocked` verdict of the same commit);
# (d) CI's honest envelope of the `blocked` verdict, with its payload's predicate decision
#     rewritten to `ready` (signature kept);
# (e) CI's envelope of the blocked verdict, the verdict file rewritten so that its JSON has
#     "decision" twice, "ready" first and "blocked" last (a reader keeping the first sees ready,
#     Python's json keeps the last, which equals the signed predicate).
# Expected: every row refused.
base_project
host_launcher
printf 'pyramid-verdict*\npyramid-results*\n.pyramid/\n*.pub\n*.key\nci-*\n' >> .gitignore
cat >> pyproject.toml <<'X'

[tool.pyramid.deploy]
command = "python3 -m http.server {port}"
port = 18922
X
w tests/unit/test_flaky.py <<'X'
import os
def test_sometimes():
    assert not os.environ.get("MAKE_IT_FAIL")
X
commit init
mkdir -p "$W/keys"
"$PYR" keygen "$W/keys/ci" >/dev/null; "$PYR" keygen "$W/keys/mallory" >/dev/null
echo "$W/keys/ci.pub" > "$HOME/.config/pyramid/trusted_keys"
# CI's honest run: blocked, signed by CI
MAKE_IT_FAIL=1 "$PY" -m pytest -q -p no:cacheprovider > "$W/ci.out" 2>&1; echo "CI run: decision=$(decision)"
"$PYR" attest pyramid-verdict.json --key "$W/keys/ci.key" >/dev/null 2>&1
cp pyramid-verdict.json ci-blocked.json; cp pyramid-verdict.json.intoto.jsonl ci-blocked.json.intoto.jsonl
"$PYR" deploy --dry-run --verdict ci-blocked.json > "$W/control.out" 2>&1; echo "  control (CI's blocked, signed): exit=$?"
# the attacker's own run: ready
"$PY" -m pytest -q -p no:cacheprovider > "$W/pytest.out" 2>&1; echo "attacker run: decision=$(decision)"
"$PYR" attest pyramid-verdict.json --key "$W/keys/mallory.key" >/dev/null 2>&1
cp pyramid-verdict.json.intoto.jsonl "$W/mallory.env"
edit() { "$PY" - "$@" <<'X'
import base64, json, sys, secrets
row, out = sys.argv[1], sys.argv[2]
mal = json.loads(open(sys.argv[3]).read().splitlines()[0])
ci = json.loads(open("ci-blocked.json.intoto.jsonl").read().splitlines()[0])
ci_id = ci["signatures"][0]["keyid"]
if row == "a":
    mal["signatures"][0]["keyid"] = ci_id; text = json.dumps(mal)
elif row == "b":
    mal["signatures"].append({"keyid": ci_id, "sig": base64.b64encode(secrets.token_bytes(64)).decode()}); text = json.dumps(mal)
elif row == "c":
    text = json.dumps(mal) + "\n" + json.dumps(ci)
elif row == "d":
    st = json.loads(base64.b64decode(ci["payload"])); st["predicate"] = json.load(open("pyramid-verdict.json"))
    ci["payload"] = base64.b64encode(json.dumps(st, sort_keys=True, separators=(",", ":")).encode()).decode(); text = json.dumps(ci)
elif row == "e":
    text = json.dumps(ci)
open(out, "w").write(text + "\n")
X
}
B=""
for r in a b c d e; do
  cp pyramid-verdict.json "v-$r.json"
  edit "$r" "v-$r.json.intoto.jsonl" "$W/mallory.env"
  if [ $r = e ]; then  # the blocked verdict with "decision": "ready" written first, "blocked" last
    "$PY" - <<'X'
import json
v = json.load(open("ci-blocked.json")); text = json.dumps(v)
text = text.replace('"decision": "blocked"', '"decision": "ready", "decision": "blocked"', 1)
open("v-e.json", "w").write(text)
X
  fi
  "$PYR" deploy --dry-run --verdict "v-$r.json" > "$W/$r.out" 2>&1; e=$?
  echo "  ($r) exit=$e $(grep -m1 -i 'signature\|verdict is ready\|decision' "$W/$r.out" | head -c 170)"
  [ $e = 0 ] && B="$B $r"
done
[ -n "$B" ] && echo "RESULT: BROKEN (rows$B deployed without CI's signature over a ready verdict)" || echo "RESULT: HELD"
