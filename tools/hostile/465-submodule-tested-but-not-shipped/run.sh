#!/usr/bin/env bash
source "$(dirname "$0")/../_preamble.sh"
source "$HERE/../_deploy8b.sh"
source "$HERE/../_deploy11b.sh"
# The brief: a false deploy success; the release is the tree the verdict tested. docs/deploy.md,
# "Releases: the exact commit": a release folder is "the commit's tree and nothing more", and
# the gate checks that the verdict "tested that commit's tree" (tree.digest). The last line:
# "Submodules are not checked out." A tree with a gitlink is tested by CI with the submodule
# checked out (`actions/checkout` with `submodules: true`, `git clone --recursive`), then
# shipped without it, silently (deploy/releases.py says nothing). A team that moves shared
# configuration into a submodule (feature flags, pricing tables, translations) ships a release
# that reads none: an optional file read falls back to defaults, every answer still a 200.
# (a) [control] v1 keeps its flags in a tracked file flags/flags.json ({"checkout": "on"}),
#     tested (a test asserts checkout is on) and deployed: the port answers "checkout=on";
# (b) v2 moves flags/ into a git submodule (same file, same test, which passes: CI checked the
#     submodule out), deployed.
# Expected (b): the release serves what was tested (the submodule checked out at its recorded
# commit), or the deploy refuses a tree it cannot ship whole, naming the submodule.
dproj 18465 > /dev/null
"$PY" - <<'X'
s = open("app.py").read()
s = s.replace("BODY = open(", "import json\nHERE = os.path.dirname(os.path.abspath(__file__))\n"
              "def flags():\n    try: return json.load(open(os.path.join(HERE, 'flags', 'flags.json')))\n"
              "    except OSError: return {}  # no flags file: every feature off (the safe default)\n"
              "BODY = open(")
s = s.replace('data = ("version " + BODY + "\\n").encode()',
              'data = ("version " + BODY + " checkout=" + flags().get("checkout", "off") + "\\n").encode()')
open("app.py", "w").write(s)
X
w flags/flags.json <<'X'
{"checkout": "on"}
X
w tests/unit/test_flags.py <<'X'
import json, pathlib

def test_checkout_is_on():
    root = pathlib.Path(__file__).resolve().parents[2]
    assert json.loads((root / "flags" / "flags.json").read_text())["checkout"] == "on"
X
commit "flags"; echo "  v1 $(verdict_of_head)"
load_start 18465
"$PYR" deploy > "$W/d1.out" 2>&1; a=$?; echo "  (a) v1 deploy exit=$a $(last_row .pyramid/deploy/history.sqlite)"
sleep 0.5; ra=$(get 18465); echo "      the public port answers: $ra"
# the flags move into their own repository, added back as a submodule
mkdir -p "$W/flags-repo" && cp flags/flags.json "$W/flags-repo/" && (cd "$W/flags-repo" && git init -q -b main . && git add -A && git -c user.email=a@b -c user.name=a commit -qm flags)
git rm -rq flags && git commit -qm "flags move out"
git -c protocol.file.allow=always submodule add -q "$W/flags-repo" flags > /dev/null 2>&1
echo "good-2" > VERSION; commit "v2: flags as a submodule"
echo "      submodule: $(git submodule status | cut -c1-60); flags file in the checkout: $(cat flags/flags.json)"
echo "  v2 $(verdict_of_head) ($(grep -m1 -E 'passed|failed' "$W/pytest.out"))"
"$PYR" deploy > "$W/d2.out" 2>&1; b=$?; echo "  (b) v2 deploy exit=$b $(last_row .pyramid/deploy/history.sqlite)"
sleep 0.5; rb=$(get 18465); echo "      the public port answers: $rb"
rel=.pyramid/deploy/releases/$(git rev-parse HEAD)
echo "      the release's flags/: $(ls -A "$rel/flags" 2>&1 | head -3 | tr '\n' ' ')"
load_stop; cleanup
if [ $a != 0 ] || [ "${ra##*=}" != on ]; then echo "RESULT: VACUOUS (the control did not serve checkout=on)"
elif [ $b = 0 ] && [ "${rb##*=}" != on ]; then echo "RESULT: BROKEN (row b: a ready verdict that tested the submodule's flags (checkout on) deployed a release without them: users get checkout=${rb##*=}, every answer a 200)"
else echo "RESULT: HELD"; fi
