#!/usr/bin/env bash
source "$(dirname "$0")/../_preamble.sh"
source "$HERE/../_deploy8b.sh"
source "$HERE/../_deploy11b.sh"
# "A release folder is the commit's tree and nothing more"; "every file of a release is hashed
# as it is (`git hash-object --no-filters`) against the commit's blob ids"; the gate: "it tested
# that commit's tree". A tracked symlink is a blob holding a path: the commit's tree pins the
# path, not what lies there. The commit's app takes its version text from `greeting.txt`, a
# tracked symlink to an absolute path outside the repository ($W/shared/greeting.txt, "a shared
# config"); (b) the same for a module: `impl.py` -> $W/shared/impl.py, imported by app.py and by
# a unit test. Between the test run and the deploy the outside files change (EVIL).
# Expected: the verdict is not `ready` (it vouches for content outside the commit), or the deploy
# refuses / the release fails its start; never serve content that is not the commit's.
dproj 18337 > /dev/null
mkdir -p "$W/shared"; echo "good-linked" > "$W/shared/greeting.txt"; printf 'def version():\n    return "impl-good"\n' > "$W/shared/impl.py"
ln -s "$W/shared/greeting.txt" greeting.txt; ln -s "$W/shared/impl.py" impl.py
"$PY" - <<'X'
s = open("app.py").read()
s = s.replace('BODY = open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "VERSION")).read().strip()',
              'HERE = os.path.dirname(os.path.abspath(__file__)); sys.path.insert(0, HERE)\nimport impl\nBODY = open(os.path.join(HERE, "greeting.txt")).read().strip() + " " + impl.version()')
open("app.py", "w").write(s)
X
w tests/unit/test_impl.py <<'X'
import impl
def test_version():
    assert impl.version().startswith("impl-")
    assert open("greeting.txt").read().startswith("good")
X
commit "a shared greeting and impl, linked"; verdict_of_head; show | head -4
echo "EVIL-linked" > "$W/shared/greeting.txt"; printf 'def version():\n    return "impl-EVIL"\n' > "$W/shared/impl.py"
"$PYR" deploy > "$W/d1.out" 2>&1; e=$?
s=$(get 18337)
echo "  (a, b) deploy exit=$e $(grep -m1 -i 'refused\|release\|link' "$W/d1.out" | head -c 160); serves: $s"
cleanup
if [ $e = 0 ] && [[ "$s" == *EVIL* ]]; then echo "RESULT: BROKEN (a release served content from outside the commit through a tracked symlink: $s)"
else echo "RESULT: HELD"; fi
