#!/usr/bin/env bash
# round 11b (deploy side): helpers on top of _preamble.sh and _deploy8b.sh. Sourced after them.
# envproj STAGING_PORT PRODUCTION_PORT: dproj with the port moved into two environments, staging
# and production (work folders .pyramid/deploy/<name>); the host (the account's deploy.toml)
# pins `[environments.production] requires = "staging"` and names staging. app.py answers 500
# to users (not /healthz) while the file $W/fault (any version) or $W/fault-<VERSION> exists
# (a fault outside the commit: a dependency, a data shape).
envproj() {
  dproj "$1" > /dev/null
  sed -i "/^port = $1\$/d" pyproject.toml
  printf '\n[tool.pyramid.deploy.environments.staging]\nport = %s\n\n[tool.pyramid.deploy.environments.production]\nport = %s\n' "$1" "$2" >> pyproject.toml
  # production's port pinned too: a port the host does not pin could be production's under
  # another name, and staging's first deploy would then need production's approval (case 281)
  printf '[environments.staging]\n\n[environments.production]\nrequires = "staging"\nport = %s\n' "$2" > "$HOME/.config/pyramid/deploy.toml"
  fault_app
  commit "staging, then production"; verdict_of_head
}
fault_app() {  # app.py: 500 to users while $W/fault or $W/fault-<its VERSION> exists
  "$PY" - "$W/fault" <<'X'
import sys
s = open("app.py").read()
s = s.replace('code = 500 if BODY.startswith("bad") and self.path != "/healthz" else 200',
              'code = 500 if (BODY.startswith("bad") or os.path.exists(%r) or os.path.exists(%r + "-" + BODY)) and self.path != "/healthz" else 200' % (sys.argv[1], sys.argv[1]))
open("app.py", "w").write(s)
X
}
# the last history row of a work folder: "outcome | reason"
last_row() { "$PY" - "$1" <<'X'
import sqlite3, sys
con = sqlite3.connect(sys.argv[1])
r = con.execute("select id, outcome, reason from deployments order by id desc limit 1").fetchone()
print(r and f"#{r[0]} {r[1]} | {(r[2] or '')[:150]}")
X
}
