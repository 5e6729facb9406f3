#!/usr/bin/env bash
source "$(dirname "$0")/../_preamble.sh"
# Issue 19: a child the run cannot follow is known by what it is, not by its name. Each row's
# test reads git-ignored golden data (golden/expected.txt) through a child that is either a
# shell reading its commands from its standard input (fed `cat golden/expected.txt`) or a
# Python interpreter started without the run's recorder variable, spelled so that no name list
# knows it (the data lies outside the test folders, so only the child can name it):
# (z) ["echo", "42"] [control: ready]; (a) ["sh"] [control: named]; (b) a copy of /bin/sh outside the repository, `-s`;
# (c) ["ls", "-s"] with executable= that copy; (d) a symlink `runner` to the interpreter, with
# env={"PATH": ...}; (e) a copy of the interpreter, env={...}; (f) nice -n 5 sh;
# (g) timeout 10 sh; (h) env -S "sh -s"; (i) stdbuf -o0 sh; (j) setsid -w sh; (k) ionice -c 3 sh;
# (l) taskset 1 sh; (m) flock LOCK sh; (n) sh -c "env -i python3 tests/reader.py" (a tracked
# script reading the ignored file); (o) bash -c "exec -a foo sh -s";
# (p) sh -c "unset PYRAMID_RECORD_SPOOL; runner tests/reader.py";
# (q) sh -c "timeout 10 COPY -s"; (r) chrt -o 0 sh; (s) sh -c "echo `sh -s`" (a command
# substitution); (t) bash -c 'sh <<< "$(cat)"' (a computed here-string); (u) xargs -I{} sh -c {}
# (the command string is the input line); (v) sys.executable -S (no site: the .pth line does
# not run); (w) the host's /usr/bin/python3, where pytest-pyramid is not installed, with the
# run's variable.
# Expected: no row `ready`.
base_project
printf 'pyramid-verdict*\npyramid-results*\n.pyramid/\ngolden/\n' >> .gitignore
mkdir -p golden; echo 42 > golden/expected.txt
printf 'print(open("golden/expected.txt").read().strip())\n' > tests/reader.py  # tracked
commit init
T="$W/bin"; mkdir -p "$T"
cp /bin/sh "$T/x"; cp "$("$PY" -c 'import os, sys; print(os.path.realpath(sys.executable))')" "$T/tool"
ln -s "$("$PY" -c 'import sys; print(sys.executable)')" "$T/runner"
: > "$W/lock"
READ='print(open("golden/expected.txt").read().strip())'
srow() { row "$1" <<X
import os, subprocess, sys
def test_row():
    out = subprocess.run($2, input="cat golden/expected.txt\n", capture_output=True, text=True${3:-}).stdout
    assert out.strip() == "42"
X
}
ENV=', env={"PATH": os.environ["PATH"]}'
srow z '["echo", "42"]'  # control: a child that is no shell and no Python reads nothing
srow a '["sh"]'
srow b "[\"$T/x\", \"-s\"]"
srow c '["ls", "-s"]' ", executable=\"$T/x\""
srow d "[\"$T/runner\", \"-c\", '$READ']" "$ENV"
srow e "[\"$T/tool\", \"-c\", '$READ']" "$ENV"
srow f '["nice", "-n", "5", "sh"]'
srow g '["timeout", "10", "sh"]'
srow h '["env", "-S", "sh -s"]'
srow i '["stdbuf", "-o0", "sh"]'
srow j '["setsid", "-w", "sh"]'
srow k '["ionice", "-c", "3", "sh"]'
srow l '["taskset", "1", "sh"]'
srow m "[\"flock\", \"$W/lock\", \"sh\"]"
srow n '["sh", "-c", "env -i python3 tests/reader.py"]'
srow o '["bash", "-c", "exec -a foo sh -s"]'
srow p "[\"sh\", \"-c\", \"unset PYRAMID_RECORD_SPOOL; $T/runner tests/reader.py\"]"
srow q "[\"sh\", \"-c\", \"timeout 10 $T/x -s\"]"
srow r '["chrt", "-o", "0", "sh"]'
srow s '["sh", "-c", "echo `sh -s`"]'
srow t '["bash", "-c", "sh <<< \"$(cat)\""]'
srow u '["xargs", "-I{}", "sh", "-c", "{}"]'
srow v '[sys.executable, "-S", "tests/reader.py"]'
[ -x /usr/bin/python3 ] && srow w '["/usr/bin/python3", "tests/reader.py"]'
B=$(echo "$BROKEN_ROWS" | sed 's/ a//; s/ z//')
if echo "$BROKEN_ROWS" | grep -qw a; then echo "RESULT: VACUOUS (control row a was ready)"
elif ! echo "$BROKEN_ROWS" | grep -qw z; then echo "RESULT: VACUOUS (control row z was not ready)"
elif [ -n "$B" ]; then echo "RESULT: BROKEN (rows$B: a child known by no name ran unnamed)"
else echo "RESULT: HELD"; fi
