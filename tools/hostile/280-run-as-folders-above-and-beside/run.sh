#!/usr/bin/env bash
source "$(dirname "$0")/../_preamble.sh"
source "$HERE/../_deploy8b.sh"
source "$HERE/../_deploy9b.sh"
# The host's `run_as = "nobody"`: "a work folder (or anything directly in it ...) that the account
# may write is refused, exit 3, before anything is judged"; "the release folder is readable by
# the account but not writable". `--work-dir` and `--release-dir` are free flags (the caller's).
# (a) `--work-dir <F>/wd` where the folder F above it is writable by every account (0777, no
#     sticky bit): nobody may rename the work folder away and put its own in its place;
# (b) `--release-dir <G>/rel` (the release folder itself; G 0777): nobody may rename it away and
#     put its own in its place (the next start or rollback of that release).
# Each row: a real deploy of v1; then, as nobody, the rename.
# Expected: refused before anything starts (the account may replace the folder), or the rename fails.
runas_proj 18280
B=""
mkdir -m 0777 "$W/open" "$W/openrel"; chmod 0777 "$W/open" "$W/openrel"
"$PYR" deploy --work-dir "$W/open/wd" > "$W/a.out" 2>&1; e=$?
echo "  (a) --work-dir <0777>/wd: exit=$e $(tail -1 "$W/a.out" | head -c 140)"
if [ $e = 0 ]; then
  as_nobody sh -c "mv '$W/open/wd' '$W/open/wd.away' && mkdir '$W/open/wd' && echo '{}' > '$W/open/wd/state.json'" 2>/dev/null && m=yes || m=no
  echo "      as nobody: the work folder replaced: $m; status now: $("$PYR" status --work-dir "$W/open/wd" 2>&1 | head -2 | tr '\n' ' ' | head -c 150)"
  [ $m = yes ] && B="$B a"
  "$PYR" stop --force --work-dir "$W/open/wd.away" > /dev/null 2>&1
fi
"$PYR" deploy --release-dir "$W/openrel/rel" --port 18281 --work-dir "$W/wd-b" > "$W/b.out" 2>&1; e=$?
echo "  (b) --release-dir <0777>: exit=$e $(tail -1 "$W/b.out" | head -c 140)"
if [ $e = 0 ]; then
  as_nobody sh -c "mv '$W/openrel/rel' '$W/openrel/moved' && mkdir '$W/openrel/rel'" 2>/dev/null && m=yes || m=no
  echo "      as nobody: the serving release folder replaced: $m"
  [ $m = yes ] && B="$B b"
  "$PYR" stop --force --work-dir "$W/wd-b" > /dev/null 2>&1
fi
cleanup "$W/open/wd.away" "$W/open/wd" "$W/wd-b"
[ -n "$B" ] && echo "RESULT: BROKEN (rows$B: the versions' account could replace a folder the deploy trusts)" || echo "RESULT: HELD"
