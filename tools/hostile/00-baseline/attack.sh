#!/usr/bin/env bash
# the shared preamble: a fresh project under this case's work/ (PY, PYR, w, commit, base_project ...)
source "$(dirname "$0")/../_preamble.sh"
# control: an honest passing project must give ready (sanity check of the harness)
base_project; commit init
"$PY" -m pytest -q -p no:cacheprovider > "$W/pytest.out" 2>&1; echo "pytest exit=$?"; tail -15 "$W/pytest.out"
show; check
[ "$(decision)" = ready ] && echo "RESULT: HELD (control: honest run is ready)" || echo "RESULT: HELD (control broken: $(decision))"
