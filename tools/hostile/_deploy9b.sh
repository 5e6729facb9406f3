#!/usr/bin/env bash
# round 9b (deploy side): helpers on top of _preamble.sh and _deploy8b.sh. Sourced after them.
# runas_proj PORT: dproj PORT, with the host's `run_as = "nobody"` (the account's deploy.toml)
# and the tracked start `/usr/bin/python3 app.py {port}` (the tool's venv may lie where nobody
# cannot read). as_nobody CMD...: runs CMD as that account, no supplementary group.
runas_proj() {
  dproj "$1" > /dev/null
  echo 'run_as = "nobody"' > "$HOME/.config/pyramid/deploy.toml"
  sed -i "s|^command = .*|command = \"/usr/bin/python3 app.py {port}\"|" pyproject.toml
  commit "start with the system python"; verdict_of_head
}
as_nobody() { setpriv --reuid nobody --regid nogroup --clear-groups -- "$@"; }
