#!/usr/bin/env bash
source "$(dirname "$0")/../_preamble.sh"
source "$HERE/../_deploy8b.sh"
source "$HERE/../_deploy11b.sh"
# docs/deploy.md: "Uncommitted edits in the working tree you deploy *from* are not shipped;
# the configuration is the one exception, and it is refused"; `--nginx-include` is "only the
# tracked value" ("what applies the weights and writes the log the rollout is judged by",
# hostile case 227); "An optional `nginx_include` is included in the split's server block".
# The table's value is a path (deploy/config.py: path=True), relative to the configuration
# file: a file of the deploying checkout's working tree, which nginx reads at every reload.
# The commit tracks `ops/router.conf` (a comment). On the deploy host someone edits it and
# leaves the edit uncommitted (`git status`: modified): a regex location that answers every
# request from nginx itself (a "maintenance page" tried once and forgotten).
# (a) [control] v1 deployed with the committed include: the port serves v1;
# (b) the edit left in the working tree, v2 deployed (`--progress-deadline 6s`);
#     then what the port serves and what `pyramid status` says.
# Expected (b): refused, exit 3 (the router's configuration is not the commit's), or the
# include read from the commit; never users answered by a file no commit holds.
dproj 18380 > /dev/null
w ops/router.conf <<'X'
# router tuning for the split (empty for now)
X
sed -i 's|^\[tool.pyramid.deploy\]$|[tool.pyramid.deploy]\nnginx_include = "ops/router.conf"|' pyproject.toml
sed -i 's|^inconclusive_limit = .*|inconclusive_limit = 3|' pyproject.toml
commit "a router include"; verdict_of_head > /dev/null
load_start 18380
"$PYR" deploy > "$W/d1.out" 2>&1; a=$?
echo "  (a) v1 with the committed include: exit=$a $(last_row .pyramid/deploy/history.sqlite); port: $(get 18380)"
echo "good-2" > VERSION; commit v2; verdict_of_head > /dev/null
cat > ops/router.conf <<'X'
location ~ . { default_type text/plain; return 200 "maintenance page (not a release)\n"; }
X
echo "      git status: $(git status --short | tr '\n' ' ')"
"$PYR" deploy --progress-deadline 6s > "$W/d2.out" 2>&1; b=$?
echo "  (b) v2 with the include edited in the working tree: exit=$b $(last_row .pyramid/deploy/history.sqlite)"
head -3 "$W/d2.out" | cut -c1-160 | sed 's/^/      /'
served=$(get 18380)
echo "      port: $served"
"$PYR" status > "$W/st.out" 2>&1; s=$?; echo "      status exit=$s: $(grep -m2 -i '^router:\|^stable:\|problem\|degraded' "$W/st.out" | tr '\n' ' ' | head -c 200)"
load_stop
git checkout -q -- ops/router.conf
cleanup
if [ $a != 0 ]; then echo "RESULT: VACUOUS (the control deploy failed)"
elif [ $b != 3 ] && [ "${served#maintenance}" != "$served" ]; then echo "RESULT: BROKEN (row b: the router served users from an uncommitted include (status exit $s, deploy exit $b))"
elif [ $b != 3 ]; then echo "RESULT: BROKEN (row b: the deploy ran with an uncommitted router include, exit $b)"
else echo "RESULT: HELD"; fi
