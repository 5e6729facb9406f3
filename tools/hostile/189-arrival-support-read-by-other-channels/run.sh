#!/usr/bin/env bash
source "$(dirname "$0")/../_preamble.sh"
# Flaky on arrival, "reached by a changed support file": tests/support/expected.bin (under the
# test folders, neither a test nor a conftest) changes on the branch; the test that reads it is
# unchanged since the base and fails on its 2nd attempt in the process (a repeat finds it; the
# logged run alone passes). Each row has its own base commit (the test with its way of reading)
# and one commit that changes only the data; the tracked `[tool.pyramid.risk] base = "base"`
# names it (branch `base` moved to each row's base); CI=true.
# The test module reads it at import (while collecting). Rows read the file: (a) open() [control], (b) os.open + os.read, (c) mmap of an os.open fd,
# (d) libc open/read through ctypes (a C extension's read), (e) sqlite3.connect on the file,
# (f) a zip of helpers on sys.path imported (zipimport), (g) io.open_code.
# Expected: the arrival gate not `pass` in any row (the test arrives and its repeat fails:
# `fail`, decision `blocked`; or the run says it cannot tell: `not_evaluated`).
base_project
printf 'pyramid-verdict*\npyramid-results*\n.pyramid/\n' >> .gitignore
printf '\n[tool.pyramid.risk]\nbase = "base"\n' >> pyproject.toml
commit init
BROKEN=""
arow() {  # arow LABEL  (test body on stdin: defines read() -> bytes)
  local label=$1
  w tests/unit/test_reader.py
  "$PY" - "$label" 1 <<'X'
import sqlite3, sys, zipfile, os
label, v = sys.argv[1], sys.argv[2]
os.makedirs("tests/support", exist_ok=True)
if label == "e":
    if os.path.exists("tests/support/expected.bin"): os.remove("tests/support/expected.bin")
    c = sqlite3.connect("tests/support/expected.bin"); c.execute("create table t(v)"); c.execute("insert into t values (?)", (v,)); c.commit(); c.close()
elif label == "f":
    with zipfile.ZipFile("tests/support/expected.bin", "w") as z: z.writestr("helper_mod.py", "V = %r\n" % v)
else:
    open("tests/support/expected.bin", "w").write(v)
X
  commit "base $label"; git branch -f base HEAD
  "$PY" - "$label" 2 <<'X'
import sqlite3, sys, zipfile, os
label, v = sys.argv[1], sys.argv[2]
if label == "e":
    c = sqlite3.connect("tests/support/expected.bin"); c.execute("update t set v=?", (v,)); c.commit(); c.close()
elif label == "f":
    os.remove("tests/support/expected.bin")
    with zipfile.ZipFile("tests/support/expected.bin", "w") as z: z.writestr("helper_mod.py", "V = %r\n" % v)
else:
    open("tests/support/expected.bin", "w").write(v)
X
  commit "data $label"
  CI=true "$PY" -m pytest -q -p no:cacheprovider > "$W/pytest-$label.out" 2>&1; local e=$?
  local g; g=$("$PY" -c 'import json
v=json.load(open("pyramid-verdict.json"))
gs=v.get("gates") or []
gs = gs.values() if isinstance(gs, dict) else gs
for x in gs:
    if "arrival" in str(x.get("name", x.get("id",""))): print(x.get("status"), str(x.get("summary") or x.get("message") or "")[:120])' 2>/dev/null)
  local d; d=$(decision)
  echo "row $label: pytest exit=$e decision=$d | gate: ${g:-<none>} | $(tail -1 "$W/pytest-$label.out" | cut -c1-70)"
  case "$g" in pass*|"") echo "$label" >> "$W/broken";; esac  # arow runs in a pipe: a subshell
}
HEAD_T='import os, pathlib
N = [0]
P = pathlib.Path(__file__).parent.parent / "support" / "expected.bin"
'
TAIL_T='
DATA = read()  # read while collecting: every collected test arrives with a changed file

def test_reader():
    N[0] += 1
    assert DATA
    assert N[0] != 2, "flaky: fails on its second attempt"
'
printf '%s\ndef read():\n    return open(P, "rb").read()\n%s' "$HEAD_T" "$TAIL_T" | arow a
printf '%s\ndef read():\n    fd = os.open(str(P), os.O_RDONLY)\n    try:\n        return os.read(fd, 100)\n    finally:\n        os.close(fd)\n%s' "$HEAD_T" "$TAIL_T" | arow b
printf '%s\nimport mmap\ndef read():\n    fd = os.open(str(P), os.O_RDONLY)\n    try:\n        return bytes(mmap.mmap(fd, 0, prot=mmap.PROT_READ)[:])\n    finally:\n        os.close(fd)\n%s' "$HEAD_T" "$TAIL_T" | arow c
printf '%s\nimport ctypes, ctypes.util\ndef read():\n    libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)\n    fd = libc.open(str(P).encode(), 0)\n    buf = ctypes.create_string_buffer(100)\n    n = libc.read(fd, buf, 100); libc.close(fd)\n    return buf.raw[:n]\n%s' "$HEAD_T" "$TAIL_T" | arow d
printf '%s\nimport sqlite3\ndef read():\n    c = sqlite3.connect(str(P))\n    try:\n        return str(c.execute("select v from t").fetchone()[0]).encode()\n    finally:\n        c.close()\n%s' "$HEAD_T" "$TAIL_T" | arow e
printf '%s\nimport sys\ndef read():\n    sys.path.insert(0, str(P))\n    try:\n        import helper_mod\n        return helper_mod.V.encode()\n    finally:\n        sys.path.remove(str(P))\n%s' "$HEAD_T" "$TAIL_T" | arow f
printf '%s\nimport io\ndef read():\n    with io.open_code(str(P)) as f:\n        return f.read()\n%s' "$HEAD_T" "$TAIL_T" | arow g
BROKEN=$(cat "$W/broken" 2>/dev/null | tr "\n" " " | sed "s/^/ /; s/ $//")
if [ -n "$(echo "$BROKEN" | grep -w a)" ]; then echo "RESULT: VACUOUS (the control row a passed the gate)"
elif [ -n "$BROKEN" ]; then echo "RESULT: BROKEN (rows$BROKEN: a changed support file read that way reached a flaky test without the gate seeing it)"
else echo "RESULT: HELD"; fi
