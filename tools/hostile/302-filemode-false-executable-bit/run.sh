#!/usr/bin/env bash
source "$(dirname "$0")/../_preamble.sh"
# The executable bit on disk is not the commit's, and git is told not to look
# (`core.fileMode = false`: the default git picks on a checkout mounted from Windows, WSL's
# /mnt drives, some Docker volume drivers, and a setting teams copy into CI images). The
# commit ships `bin/release-hook` as 100644 (a bug: the release runs it directly and gets
# "Permission denied"); the test that guards it passes on the runner because someone (a CI
# step, `chmod +x` by hand) made the file executable. The promise (docs/verdict.md point 6):
# `tree.digest` "names the bytes on disk", `dirty` whether that tree differs from the commit's.
# Rows: (a) control: core.fileMode true (git's default), chmod +x: the tree differs (dirty, the
# check refuses); (b) core.fileMode false in .git/config, chmod +x; (c) (b) and the test runs
# the hook as a program of its own (vouched in allow_options, as a team would once it asked).
# Expected: no row gives a clean `ready` that `pyramid check` accepts.
base_project
printf 'pyramid-verdict*\npyramid-results*\n.pyramid/\n' >> .gitignore
cat >> pyproject.toml <<'X'
allow_options = ["process bin/release-hook"]
X
w bin/release-hook <<'X'
#!/bin/sh
echo ok
X
chmod 644 bin/release-hook
w tests/integration/test_hook.py <<'X'
import os
def test_hook_is_executable():
    assert os.access("bin/release-hook", os.X_OK), "the release runs it directly"
X
commit init
git ls-files -s bin/release-hook | sed 's/^/committed: /'
BROKEN=""
runrow() {  # runrow LABEL
  "$PY" -m pytest -q -p no:cacheprovider > "$W/pytest-$1.out" 2>&1; local e=$?
  local d; d=$(decision)
  echo "row $1: pytest exit=$e decision=$d dirty=$(jget pyramid-verdict.json dirty) digest==head: $("$PY" -c 'import json;t=json.load(open("pyramid-verdict.json"))["tree"];print(t["digest"]==t.get("head"))') | git status: $(git status --porcelain | tr '\n' ' ')"
  check; local c; c=$(head -c1 "$W/check.out" >/dev/null; "$PYR" check pyramid-verdict.json >/dev/null 2>&1; echo $?)
  [ "$d" = ready ] && [ "$c" = 0 ] && BROKEN="$BROKEN $1"
}
chmod 755 bin/release-hook
runrow a
git config core.fileMode false
runrow b
w tests/integration/test_hook.py <<'X'
import subprocess
def test_hook_runs():
    assert subprocess.run(["bin/release-hook"], capture_output=True, text=True).stdout == "ok\n"
X
chmod 644 bin/release-hook; git add -A; git commit -qm "run it"; chmod 755 bin/release-hook
runrow c
chmod 644 bin/release-hook
"$PY" -m pytest -q -p no:cacheprovider > "$W/pytest-clean.out" 2>&1; echo "a clean checkout's mode (644): decision=$(decision) | $(tail -1 "$W/pytest-clean.out")"
if echo "$BROKEN" | grep -qw a; then echo "RESULT: VACUOUS (the control row passed the check)"
elif [ -n "$BROKEN" ]; then echo "RESULT: BROKEN (rows$BROKEN: under core.fileMode=false the digest takes the index's mode, not the disk's: the executable bit the test depended on is not in tree.digest, dirty=false, ready, and pyramid check accepts it)"
else echo "RESULT: HELD"; fi
