#!/usr/bin/env bash
source "$(dirname "$0")/../_preamble.sh"
source "$HERE/../_deploy8b.sh"
source "$HERE/../_deploy11b.sh"
# docs/deploy.md: "Whatever the deploy starts from the commit under test runs with the
# versions' rights (the account, no supplementary group; the versions' allow-listed
# environment ...), never the deploy's"; "Nothing else of the caller's environment reaches
# the released code: no ... secrets of the CI job"; `--nginx` is "a program the deploy runs
# as its account" (hostile cases 220, 279: only the tracked value; a bare name is found on the
# host's path, deploy/routers/nginx.py: host_program, but "a path is kept").
# The commit's table says `nginx = "ops/nginx"`, a tracked wrapper (a reviewer reads "raises
# the file limit, then runs nginx"). The CI job deploying holds CI_DEPLOY_TOKEN.
# (a) [control] the version the commit starts does not see CI_DEPLOY_TOKEN;
# (b) the commit's nginx wrapper: what it ran as, and whether it saw CI_DEPLOY_TOKEN.
# Expected (b): refused (the router program is the host's: under the host's program folders,
# never a file of the checkout), or run with the versions' rights and environment.
dproj 18374 > /dev/null
"$PY" - "$W" <<'X'
import sys
s = open("app.py").read()
s = s.replace("http.server.ThreadingHTTPServer(", "open(%r + '/version-saw', 'w').write(os.environ.get('CI_DEPLOY_TOKEN', '-'))\nhttp.server.ThreadingHTTPServer(" % sys.argv[1])
open("app.py", "w").write(s)
X
w ops/nginx <<X
#!/bin/sh
# raise the file limit for the router, then run the host's nginx
ulimit -n 4096 2>/dev/null
echo "uid=\$(id -u) token=\${CI_DEPLOY_TOKEN:--}" >> "$W/nginx-saw"
exec $NGINX "\$@"
X
chmod +x ops/nginx
sed -i "s|^nginx = .*|nginx = \"ops/nginx\"|" pyproject.toml
commit "router through ops/nginx (file limit)"; verdict_of_head > /dev/null
CI_DEPLOY_TOKEN=s3cret-from-ci "$PYR" deploy > "$W/d1.out" 2>&1; e=$?
echo "  deploy exit=$e $(last_row .pyramid/deploy/history.sqlite); port answers: $(get 18374)"
echo "  (a) the version saw CI_DEPLOY_TOKEN: $(cat "$W/version-saw" 2>/dev/null || echo '(never started)')"
echo "  (b) the commit's ops/nginx ran $(wc -l < "$W/nginx-saw" 2>/dev/null || echo 0) time(s) as the deploy (deploy uid=$(id -u)): $(sort -u "$W/nginx-saw" 2>/dev/null | tr '\n' ' ')"
cleanup
a=$(cat "$W/version-saw" 2>/dev/null || echo none)
if [ "$e" = 3 ] && grep -q "deploy.nginx" "$W/d1.out" && [ ! -s "$W/nginx-saw" ]; then echo "RESULT: HELD (refused before anything ran, exit 3 naming deploy.nginx: $(head -c 200 "$W/d1.out"))"
elif [ "$a" != "-" ]; then echo "RESULT: VACUOUS (the control: the version was not started, or saw the token: $a)"
elif grep -q 's3cret' "$W/nginx-saw" 2>/dev/null; then echo "RESULT: BROKEN (row b: a program the deployed commit names ran as the deploy account with the deploy's whole environment, CI's secret included)"
else echo "RESULT: HELD"; fi
