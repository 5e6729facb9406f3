#!/usr/bin/env bash
source "$(dirname "$0")/../_preamble.sh"
source "$HERE/../_deploy8b.sh"
source "$HERE/../_deploy11b.sh"
# The brief: no rollout goes on "when the new version is unhealthy". docs/deploy.md, Analysis:
# "Errors are 5xx answers, connection failures and time-outs" (deploy/analysis.py: parse_lines
# counts an answer as an error only when its status is >= 500). A release whose routing broke
# answers 404 to every user request (or 401/403: a broken session secret, a missing
# permission), while its /healthz answers 200. Clients get nothing but errors.
# (a) [control] v2 answers 500 to every user request: rolled back;
# (b) v3 answers 404 to every user request (health check fine), steps [50, 100].
# Expected (b): rolled back, or at least never `succeeded` (an answer the release did not
# serve is not a success: success should be an allow-list, 2xx/3xx, or 4xx judged against
# the stable version's rate).
dproj 18370 > /dev/null
"$PY" - <<'X'
s = open("app.py").read()
s = s.replace('code = 500 if BODY.startswith("bad") and self.path != "/healthz" else 200',
              'code = 500 if BODY.startswith("bad") and self.path != "/healthz" else 404 if BODY.startswith("lost") and self.path != "/healthz" else 200')
open("app.py", "w").write(s)
X
commit "lost routes answer 404"; verdict_of_head > /dev/null
load_start 18370
"$PYR" deploy > "$W/d1.out" 2>&1; echo "  v1 deploy exit=$? $(last_row .pyramid/deploy/history.sqlite)"
echo "bad-2" > VERSION; commit v2; verdict_of_head > /dev/null
"$PYR" deploy > "$W/d2.out" 2>&1; a=$?
echo "  (a) v2 (500 to users) deploy exit=$a $(last_row .pyramid/deploy/history.sqlite)"
echo "lost-3" > VERSION; commit v3; verdict_of_head > /dev/null
"$PYR" deploy > "$W/d3.out" 2>&1; b=$?
echo "  (b) v3 (404 to users) deploy exit=$b $(last_row .pyramid/deploy/history.sqlite)"
grep -m2 'measurement' "$W/d3.out" | cut -c1-170 | sed 's/^/      /'
load_stop
echo "      the public port now answers: $("$PY" -c 'import sys,urllib.request
try: urllib.request.urlopen("http://127.0.0.1:18370/", timeout=5); print(200)
except Exception as e: print(getattr(e, "code", e))')"
echo "      split log statuses: $(cut -d'|' -f2 .pyramid/deploy/router/split/logs/access.log 2>/dev/null | sort | uniq -c | tr '\n' ' ')"
cleanup
if [ $a = 0 ]; then echo "RESULT: VACUOUS (the control was not rolled back)"
elif [ $b = 0 ]; then echo "RESULT: BROKEN (row b: a release answering 404 to every user request was promoted: only 5xx count as errors)"
else echo "RESULT: HELD"; fi
