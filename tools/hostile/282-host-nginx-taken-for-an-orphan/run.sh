#!/usr/bin/env bash
source "$(dirname "$0")/../_preamble.sh"
source "$HERE/../_deploy8b.sh"
# Case 228's fix: "another work folder's live router is never ours to stop: an nginx whose live
# master runs with another `-p` prefix is not an orphan". A deploy stops "nginx processes
# listening on our ports outside a live group" of ours. The host runs its own nginx (a site of
# its own, started the distribution's way: `nginx -c <its conf>`, no `-p`), listening on
# 127.0.0.1:18282; the commit's tracked port is 18282 (a mistake, or a commit aimed at it).
# (a) `pyramid deploy`.
# Expected: the deploy fails its router start naming the holder; the host's nginx keeps running.
dproj 18282
mkdir -p "$W/site"
cat > "$W/site/nginx.conf" <<X
pid $W/site/nginx.pid;
error_log $W/site/error.log;
events {}
http {
  access_log off;
  client_body_temp_path $W/site; proxy_temp_path $W/site; fastcgi_temp_path $W/site; uwsgi_temp_path $W/site; scgi_temp_path $W/site;
  server { listen 127.0.0.1:18282; location / { return 200 "the host's own site\n"; } }
}
X
setsid "$NGINX" -c "$W/site/nginx.conf" -g 'daemon off;' > /dev/null 2>&1 &
for i in $(seq 1 50); do [ -s "$W/site/nginx.pid" ] && break; sleep 0.1; done
HP=$(cat "$W/site/nginx.pid"); echo "  the host's nginx: pid $HP, serves: $(get 18282)"
"$PYR" deploy > "$W/a.out" 2>&1; e=$?
echo "  (a) deploy exit=$e $(grep -m1 -i 'orphan\|in use by' "$W/a.out" | head -c 200)"
kill -0 "$HP" 2>/dev/null && alive=yes || alive=no
echo "      the host's nginx alive: $alive; port 18282 serves: $(get 18282)"
kill -QUIT "$HP" 2>/dev/null; cleanup
[ $alive = no ] && echo "RESULT: BROKEN (the deploy stopped the host's own nginx, which it never started)" || echo "RESULT: HELD"
