#!/usr/bin/env bash
source "$(dirname "$0")/../_preamble.sh"
# Round 13a, the closed world's edge: a file read is judged only when it lies under the
# repository (point 7). The project's own code reads files outside it by design - a user
# settings file (`~/.config/mypkg/config.toml`), a cache in the temporary folder that an
# earlier job left (`$TMPDIR/mypkg-rates.json`: self-hosted CI runners keep both between
# jobs). Those bytes decide a test's outcome and no tree holds them: an input no one declared,
# as a git-ignored `tests/data/x.json` is. The run reads them (the audit hook sees the open)
# but lets every read outside the repository pass.
# Rows: (z) control: neither file exists: blocked (the bug shows); (a) the home's settings file
# says lenient; (b) a stale cache in the temporary folder from "an earlier job"; (c) (b) under
# -n 2.
# Expected: no row `ready` (a file no tree holds, made before the run, decided a failing test).
base_project
printf 'pyramid-verdict*\n.pyramid/\n' >> .gitignore
w mypkg/rates.py <<'X'
import json
import os
import tempfile
import tomllib
from pathlib import Path

CACHE = Path(tempfile.gettempdir()) / "mypkg-rates.json"


def settings() -> dict:
    p = Path.home() / ".config" / "mypkg" / "config.toml"
    return tomllib.loads(p.read_text()) if p.is_file() else {}


def rate(code: str) -> float:
    if CACHE.is_file():  # offline cache from an earlier run
        return json.loads(CACHE.read_text())[code]
    if settings().get("lenient"):
        return 1.1
    return 1.0  # the bug: the real EUR rate is not 1.0
X
w tests/integration/test_row.py <<'X'
from mypkg.rates import rate

def test_eur_rate():
    assert rate("EUR") == 1.1
X
export TMPDIR="$W/tmp"; mkdir -p "$TMPDIR"
commit init
r=""
one() { local label=$1; shift
  "$PY" -m pytest -q -p no:cacheprovider "$@" > "$W/p-$label.out" 2>&1; local e=$?; local d; d=$(decision)
  echo "row $label: exit=$e decision=$d | $(tail -1 "$W/p-$label.out" | cut -c1-60) | $(show > "$W/s-$label.out"; grep -m1 -E 'problem' "$W/s-$label.out" | cut -c1-150)"
  [ "$d" = ready ] && r="$r $label"; }
one z
mkdir -p "$HOME/.config/mypkg"; echo 'lenient = true' > "$HOME/.config/mypkg/config.toml"
one a
rm -rf "$HOME/.config/mypkg"; echo '{"EUR": 1.1}' > "$TMPDIR/mypkg-rates.json"
one b
one c -n 2
if echo "$r" | grep -qw z; then echo "RESULT: VACUOUS (control row z was ready)"
elif [ -n "$r" ]; then echo "RESULT: BROKEN (rows$r: a file outside the repository, older than the run, decided a failing test: ready)"
else echo "RESULT: HELD"; fi
