#!/usr/bin/env bash
source "$(dirname "$0")/../_preamble.sh"
source "$HERE/../_deploy8b.sh"
# "Trust anchors come from outside the release being judged": after the first use, the anchors
# record `<work_dir>/anchors.jsonl` advances only when a deployment succeeds ("appended at the
# next deploy's gate from the history"). `--history` is a free flag. The tracked table trusts
# CI's key (`require_signature = true`); v1 is deployed (first use: CI's key recorded). The
# attacker makes a local commit X (not reviewed, not deployed) whose table trusts mallory's key,
# a `ready` verdict of X signed by mallory, and a SQLite file: a copy of the host's history with
# one more row, "deployment of X succeeded". Rows (dry runs of X with mallory's signature):
# (a) plain [control: no signature verifies]; (b) `--history <the forged copy>`;
# (c) after (b), plain again (no flag).
# Expected: every row refused; the record never holds mallory's key.
dproj 18278
"$PYR" keygen "$W/ci" > /dev/null; "$PYR" keygen "$W/mallory" > /dev/null
mkdir -p keys; cp "$W/ci.pub" keys/ci.pub; git add -f keys/ci.pub
cat >> pyproject.toml <<'X'
trusted_keys = ["keys/ci.pub"]
require_signature = true
X
sed -i '/^\[tool.pyramid.deploy\]/,$!b' pyproject.toml
"$PY" - <<'X'
s = open("pyproject.toml").read()
head, deploy = s.split("[tool.pyramid.deploy]\n", 1)
lines = deploy.splitlines()
moved = [l for l in lines if l.startswith(("trusted_keys", "require_signature"))]
rest = [l for l in lines if l not in moved]
open("pyproject.toml", "w").write(head + "[tool.pyramid.deploy]\n" + "\n".join(moved + rest) + "\n")
X
commit "trust CI's key"; verdict_of_head > /dev/null
"$PYR" attest pyramid-verdict.json --key "$W/ci.key" > /dev/null
"$PYR" deploy > "$W/d1.out" 2>&1; echo "v1 deploy exit=$? served: $(get 18278)"
# the attacker's local commit X: mallory's key, EVIL code
cp "$W/mallory.pub" keys/m.pub; git add -f keys/m.pub
sed -i 's|^trusted_keys = .*|trusted_keys = ["keys/m.pub"]|' pyproject.toml
echo "EVIL-X" > VERSION; commit "X"; X=$(git rev-parse HEAD)
verdict_of_head > /dev/null; rm -f pyramid-verdict.json.intoto.jsonl
"$PYR" attest pyramid-verdict.json --key "$W/mallory.key" > /dev/null
cp .pyramid/deploy/history.sqlite "$W/forged.sqlite"
"$PY" - "$W/forged.sqlite" "$X" <<'X'
import sqlite3, sys
con = sqlite3.connect(sys.argv[1])
cols = [r[1] for r in con.execute("pragma table_info(deployments)")]
row = dict(zip(cols, con.execute("select * from deployments where outcome = 'succeeded' order by id desc limit 1").fetchone()))
row["id"] = con.execute("select max(id) from deployments").fetchone()[0] + 1
row["commit_sha"] = sys.argv[2]
con.execute(f"insert into deployments ({', '.join(chr(34) + c + chr(34) for c in row)}) values ({', '.join('?' * len(row))})", list(row.values()))
con.commit()
X
B=""; a=""
for r in a b c; do
  extra=(); [ $r = b ] && extra=(--history "$W/forged.sqlite")
  "$PYR" deploy --dry-run "${extra[@]}" > "$W/$r.out" 2>&1; e=$?
  echo "  ($r) exit=$e $(grep -m1 -i 'trust anchors\|signature\|dry run' "$W/$r.out" | head -c 190)"
  [ $r = a ] && a=$e
  [ $r != a ] && [ $e = 0 ] && B="$B $r"
done
echo "  the anchors record's last line: $(tail -1 .pyramid/deploy/anchors.jsonl | head -c 160)"
cleanup
if [ "$a" = 0 ]; then echo "RESULT: VACUOUS (the control was not refused)"
elif [ -n "$B" ]; then echo "RESULT: BROKEN (rows$B: a history file the caller named advanced the anchors record to the attacker's key)"
else echo "RESULT: HELD"; fi
